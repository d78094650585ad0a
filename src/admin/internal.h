/* internal.h - what the files of the admin engine share (src/admin only).
 *
 * One request is one struct admin_call: engine.c builds it, runs the admin token check
 * (token.c) and hands it to the handler of its route (provisioners.c, admins.c, policy.c,
 * eab.c), which completes it with admin_reply_* exactly once.
 */
#ifndef STRIDE_ADMIN_INTERNAL_H
#define STRIDE_ADMIN_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin/admin.h"
#include "authority/admin_state.h"
#include "authority/internal.h"
#include "base/error.h"

/* Path segments after /admin a route may have, and the longest decoded segment. */
#define ADMIN_MAX_SEGS 6
#define ADMIN_SEG_MAX  512
/* The largest request body the engine reads (the server's maxBodyBytes applies first). */
#define ADMIN_BODY_MAX (1024 * 1024)
/* Page sizes of the lists (step-ca's). */
#define ADMIN_LIMIT_DEFAULT 20
#define ADMIN_LIMIT_MAX	    100

/* The text of the admin error types (step-ca's admin errors). */
#define ADMIN_NOT_FOUND_TEXT "404 page not found\n"

struct admin_call {
	struct pool_job job; /* first: the pool runs the call */
	struct authority *a;
	struct admin_request req; /* borrowed, see admin.h */
	admin_done_fn done;
	void *arg;
	struct admin_response resp;
	/* the route: segments after "/admin", percent-decoded */
	char *seg[ADMIN_MAX_SEGS];
	size_t nseg;
	bool v1; /* under /1.0/admin */
	void (*handler)(struct admin_call *c);
	/* set once authorised */
	struct prov_set *snap;		 /* held while the call runs */
	const struct admin_entry *admin; /* the token's admin (in snap) */
	const struct provisioner *aprov; /* its provisioner (in snap) */
};

/* --- engine.c ------------------------------------------------------------------------ */

/* Answers with a JSON document (consumed); newline: Go's encoding/json form (J, with "\n"),
 * else the protobuf-JSON form (P, no newline). Ends the call. */
void admin_reply_json(struct admin_call *c, int status, json_t *doc, bool newline);
/* Answers {"status":"ok"} (200, J form). Ends the call. */
void admin_reply_ok(struct admin_call *c);
/* Answers step-ca's admin error body for err ({"type","detail","message"}). Ends the call. */
void admin_reply_error(struct admin_call *c, const struct error *err);
/* The same for a new error of kind with a public message. Ends the call. */
void admin_fail(struct admin_call *c, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The first value of key in the request's query, decoded; malloc'd, NULL when absent. */
char *admin_query(const struct admin_call *c, const char *key);
/* The cursor and limit of a list request: limit not an integer -> ERR_INVALID with step-ca's
 * message; 0 or less -> the default, above the maximum -> the maximum. *cursor malloc'd ("" when
 * absent). */
int admin_page_params(const struct admin_call *c, char **cursor, size_t *limit, struct error *err);
/* A request body as a JSON value (any type): ERR_INVALID with the decoder's message ("EOF"
 * when empty). go: as Go's json.Decoder, what follows the first value is ignored. *out a new
 * reference. */
int admin_json_load(const uint8_t *body, size_t len, bool go, json_t **out, struct error *err);
/* The ca.json provisioner named name in the call's snapshot, or 404 with step-ca's message
 * "error loading provisioner <name>: provisioner <name> not found". */
const struct provisioner *admin_load_provisioner(struct admin_call *c, const char *name,
						 struct error *err);

/* --- token.c: the admin token (admin.md §2.3) ----------------------------------------- */

/* Authorises the call's Authorization header in step-ca's order; sets c->admin and c->aprov
 * (in c->snap). Failures are ERR_UNAUTHORIZED (or ERR_NOT_FOUND for a certificate whose
 * provisioner is unknown) with step-ca's public messages. */
int admin_authorize(struct admin_call *c, struct error *err);
/* Whether an audience (token "aud" value) names path at one of the CA's dnsNames, or is path
 * itself, the port ignored, escaped and unescaped paths alike. */
bool admin_audience_ok(const struct authority *a, const char *aud, const char *path);

/* --- provisioners.c ----------------------------------------------------------------------- */

void admin_provisioners(struct admin_call *c); /* /admin/provisioners[/{name}] */
/* Reads a provisioner request body (linkedca, P form): *lc (the body), *config (its ca.json
 * object), *policy (its normalised policy or NULL); claims validated as step-ca does (400).
 * New references. Reachable by any client: the fuzz target calls it directly. */
int admin_provisioner_body(const uint8_t *body, size_t len, json_t **lc, json_t **config,
			   json_t **policy, struct error *err);
/* step-ca's ValidateClaims over a linkedca "claims" object (may be NULL): 400 messages. */
int admin_claims_validate(const json_t *claims, struct error *err);

/* --- admins.c ----------------------------------------------------------------------------- */

void admin_admins(struct admin_call *c); /* /admin/admins[/{id}] */
/* Reads a POST /admin/admins body (Go JSON): subject, provisioner and type (a number 1 or 2),
 * with step-ca's messages. *subject and *prov malloc'd. The fuzz target calls it directly. */
int admin_create_admin_body(const uint8_t *body, size_t len, char **subject, char **prov, int *type,
			    struct error *err);

/* --- policy.c ----------------------------------------------------------------------------- */

void admin_authority_policy(struct admin_call *c);   /* /admin/policy */
void admin_provisioner_policy(struct admin_call *c); /* /admin/provisioners/{name}/policy */
void admin_acme_policy(struct admin_call *c); /* /admin/acme/policy/{p}/{reference|key}/{v} */
/* Reads a policy request body (P form) and normalises it (policy_normalize); what names the
 * error: "authority", "provisioner", "ACME EAK" (400 "error validating <what> policy: ..."). */
int admin_policy_body(const struct admin_call *c, const char *what, json_t **out,
		      struct error *err);
/* The lock-out check: every admin in admins (n; and also subject when not NULL) must pass the
 * x509 part of policy: 400 "<prefix>: the provided policy would lock out [s] from the CA. ..." */
int admin_policy_lockout(const json_t *policy, const char *subject,
			 const struct admin_entry *const *admins, size_t n, const char *prefix,
			 struct error *err);

/* --- eab.c -------------------------------------------------------------------------------- */

void admin_eab(struct admin_call *c); /* /admin/acme/eab/{prov}[/{x}] */
/* The ACME provisioner named name with requireEAB (step-ca's EAB middleware): 404, 500, 400. */
const struct provisioner *admin_eab_provisioner(struct admin_call *c, const char *name,
						struct error *err);

#endif
