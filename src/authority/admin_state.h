/* admin_state.h - the provisioners, admins and policies of an authority, as the operations and
 * the admin API see them (authority layer only: src/authority, src/acme, src/admin).
 *
 * Without remote administration they come from ca.json and never change. With it
 * (authority.enableAdmin and a database) they live in the store and can change while the CA
 * runs, at any instance sharing the database:
 *   collection "admin_provisioners": id = provisioner UUID, value
 *       {"provisioner":<ca.json object>,"createdAt":<ns>,"policy":<policy or absent>}
 *   collection "admin_admins": id = admin UUID, value
 *       {"subject":S,"provisionerId":UUID,"type":1|2,"createdAt":<ns>}
 *   collection "admin_policies": id "authority" (the authority policy) or "acme/<eab key id>"
 *       (an ACME account's), value = the policy in the admin API's form
 *   collection "admin_state": id "version", value {"version":N}: every change rewrites it in
 *       the same transaction (compare-and-swap), so that concurrent changes are serialised
 *       and every instance can tell cheaply whether it must reload.
 *
 * What an operation uses is a snapshot (struct prov_set): immutable once published and
 * reference counted. An operation takes a reference when it starts (prov_set_get) and drops it
 * when done (prov_set_put); a change publishes a new snapshot and the old one is freed when
 * its last user is done. A provisioner pointer is valid while its snapshot is held.
 */
#ifndef STRIDE_AUTHORITY_ADMIN_STATE_H
#define STRIDE_AUTHORITY_ADMIN_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "authority/internal.h"

struct policy;

/* An administrator (linkedca Admin). */
struct admin_entry {
	char *id;
	char *subject;
	char *provisioner_id;
	int type; /* LINKEDCA_ADMIN (1) or LINKEDCA_SUPER_ADMIN (2) */
	int64_t created_at_ns;
};

/* An ACME account (EAB key) policy. */
struct acme_policy_entry {
	char *eab_key_id;
	json_t *doc; /* the admin API's form */
	struct policy *policy;
};

/* One snapshot. */
struct prov_set {
	int refs;		    /* atomic */
	int64_t version;	    /* admin_state version it was loaded at; 0: ca.json */
	json_t *configs;	    /* ca.json provisioner objects; provs.v[i].config points in */
	struct provisioners provs;  /* with .id, .created_at_ns and .policy when admin */
	struct admin_entry *admins; /* admin mode only; in id order */
	size_t n_admins;
	json_t *authority_policy_doc;	 /* the admin API's form, or NULL */
	struct policy *authority_policy; /* compiled, or NULL (none) */
	struct acme_policy_entry *acme_policies;
	size_t n_acme_policies;
	json_t *claims;	     /* the authority claims provs were built with (a reference, or NULL) */
	uint64_t claims_gen; /* which reload of ca.json they came from (0: the start) */
};

/* A new reference to the current snapshot (never NULL). */
struct prov_set *prov_set_get(struct authority *a);
/* Drops a reference; the last one frees the snapshot. NULL is a no-op. */
void prov_set_put(struct prov_set *s);
/* With remote administration: reads the stored version and, when it differs from the current
 * snapshot's, loads and publishes the stored state. Blocking (a store read): call it where the
 * operation may wait on the store. Without remote administration: 0, nothing done. */
int prov_set_refresh(struct authority *a, struct error *err);

/* The admin of a snapshot with this id, or NULL. */
const struct admin_entry *prov_set_admin(const struct prov_set *s, const char *id);
/* The provisioner of a snapshot with this id, or NULL. */
const struct provisioner *prov_set_by_id(const struct prov_set *s, const char *id);
/* The ACME account policy bound to EAB key eab_key_id, or NULL. */
const struct policy *prov_set_acme_policy(const struct prov_set *s, const char *eab_key_id);

/* --- changes (remote administration only; otherwise ERR_NOT_IMPLEMENTED) -------------------
 * Each change is validated against the stored state, written in one transaction with the new
 * admin_state version (a concurrent change elsewhere makes it retry on the new state), and
 * published at once. Errors carry step-ca's kinds and public messages (admin.md §3, §5). */

/* Adds a provisioner (config: its ca.json object, borrowed; without "id"): name and token id
 * unique (400 "provisioner with name <n> already exists", "provisioner with token ID <id>
 * already exists"), it must initialise (400 "error validating configuration for provisioner
 * \"<n>\": ..."). policy (borrowed, may be NULL) is its provisioner policy. *id_out (malloc'd)
 * its new UUID. */
int admin_provisioner_create(struct authority *a, const json_t *config, const json_t *policy,
			     char **id_out, struct error *err);
/* Replaces provisioner id's ca.json object (the type must not change: 500 "cannot change
 * provisioner type"); policy as for create (NULL: none). Unknown id: 404. */
int admin_provisioner_update(struct authority *a, const char *id, const json_t *config,
			     const json_t *policy, struct error *err);
/* Removes provisioner id and its admins; refused (400 "cannot remove provisioner <p> because no
 * super admins will remain") when that would leave no super admin. Unknown id: 404. */
int admin_provisioner_delete(struct authority *a, const char *id, struct error *err);
/* Adds an admin (subject, provisioner id, type 1 or 2); duplicate subject + provisioner: 400
 * "admin with subject <s> and provisioner <p> already exists". *out filled (admin_entry_free). */
int admin_admin_create(struct authority *a, const char *subject, const char *provisioner_id,
		       int type, struct admin_entry *out, struct error *err);
/* Changes an admin's type; 404 for an unknown id; the last super admin cannot become ADMIN
 * (400 "cannot change role of last super admin"). *out filled. */
int admin_admin_update(struct authority *a, const char *id, int type, struct admin_entry *out,
		       struct error *err);
/* Removes an admin; 404 unknown; the last super admin: 400 "cannot remove the last super
 * admin". */
int admin_admin_delete(struct authority *a, const char *id, struct error *err);
/* Sets (policy non-NULL, the admin API's form, already validated) or removes (NULL) the policy
 * with id scope ("authority" or "acme/<eab key id>"). must_exist / must_not_exist: 404
 * "<what> policy does not exist" / 409 "<what> already has a policy" as step-ca's messages
 * (the caller words them; here ERR_NOT_FOUND / ERR_CONFLICT with a generic message). */
int admin_policy_set(struct authority *a, const char *scope, const json_t *policy, bool must_exist,
		     bool must_not_exist, struct error *err);

void admin_entry_free(struct admin_entry *e);

/* --- inside the authority (authority.c, admin_change.c) ----------------------------------- */

#define ADMIN_COL_PROVISIONERS	 "admin_provisioners"
#define ADMIN_COL_ADMINS	 "admin_admins"
#define ADMIN_COL_POLICIES	 "admin_policies"
#define ADMIN_COL_STATE		 "admin_state"
#define ADMIN_STATE_ID		 "version"
#define ADMIN_POLICY_AUTHORITY	 "authority"
#define ADMIN_POLICY_ACME_PREFIX "acme/"

/* The snapshot of ca.json's provisioners and authority policy (*out with one reference). */
int prov_set_from_config(const struct ca_config *cfg, struct prov_set **out, struct error *err);
/* A snapshot for a reload of ca.json (cfg, borrowed): cfg's provisioners and policy built with
 * cfg's authority claims, or with remote administration the stored state built with cfg's
 * claims (a store read). Errors as at start-up. Nothing is published: *out (one reference) is
 * for prov_set_install or prov_set_put. */
int prov_set_for_reload(struct authority *a, const struct ca_config *cfg, struct prov_set **out,
			struct error *err);
/* Publishes s (made by prov_set_for_reload; its reference passes to the authority) and makes its
 * claims the authority claims from now on: later loads of the stored state use them. Operations
 * under way keep the snapshot they hold. With remote administration, when a newer stored state
 * was published meanwhile, s is dropped and that state is loaded again with the new claims
 * within a second (the background refresh). */
void prov_set_install(struct authority *a, struct prov_set *s);
/* The stored version (0: no administration state stored yet). */
int admin_stored_version(struct authority *a, int64_t *version, struct error *err);
#define ADMIN_JWK_NAME "Admin JWK"

/* Sets up a->current (and, with remote administration, imports ca.json into an empty database
 * and, when background, starts the thread that follows changes made elsewhere). ca_password
 * (may be NULL) encrypts the key of the "Admin JWK" provisioner made when ca.json has no JWK
 * provisioner to hold the first super admin, as step-ca does. */
int admin_state_start(struct authority *a, bool background, const char *ca_password,
		      struct error *err);
/* authority_admin_bootstrap, with the CA password for an "Admin JWK" provisioner. */
int admin_bootstrap(struct authority *a, const json_t *provisioners, const char *admin_subject,
		    const char *admin_jwk_password, bool *done, struct error *err);
/* Stops the thread and drops the current snapshot; safe when never started. */
void admin_state_stop(struct authority *a);

/* --- policy_enforce.c: the policies where certificates are made --------------------------- */

/* Checks the names of a certificate about to be made by provisioner p (may be NULL) against
 * p's policy, then the authority's: a refused name is ERR_FORBIDDEN with step-ca's public
 * message ("The request was forbidden by the certificate authority: dns name \"x\" not
 * allowed"). */
int policy_enforce_names(const struct prov_set *s, const struct provisioner *p, const char *cn,
			 const struct names *sans, struct error *err);
/* The principals of an SSH certificate (host or user) about to be made by p (may be NULL):
 * the provisioner's ssh policy, then the authority's; a refusal as policy_enforce_names. */
int policy_enforce_ssh(const struct prov_set *s, const struct provisioner *p, bool host,
		       const struct strv *principals, struct error *err);
/* The same for the names of an existing certificate (renew, rekey). */
int policy_enforce_cert(const struct prov_set *s, const struct provisioner *p, X509 *cert,
			struct error *err);
/* ACME new-order: one identifier (type "dns" or "ip") against the account's policy (may be
 * NULL), p's and the authority's; a refusal is ERR_FORBIDDEN with the engine's message (the
 * ACME engine answers rejectedIdentifier). */
int policy_enforce_identifier(const struct prov_set *s, const struct provisioner *p,
			      const struct policy *account, const char *type, const char *value,
			      struct error *err);

#endif
