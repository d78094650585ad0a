/* policy.h - step-ca's certificate issuance policy engine: which names the CA may put in a
 * certificate (provisioners-and-policy.md §5).
 *
 * A policy is compiled once from its JSON (ca.json's authority.policy, or the admin API's
 * protobuf-JSON form) into an immutable value that any number of threads may evaluate at
 * once. It knows nothing of certificates or of the store: callers pass the names.
 */
#ifndef STRIDE_POLICY_POLICY_H
#define STRIDE_POLICY_POLICY_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/str.h"

struct policy;

/* Compiles a policy document. Both spellings are accepted, member by member:
 * - ca.json's: {"x509":{"allow":{"cn","dns","ip","email","uri"},"deny":{...},
 *   "allowWildcardNames":bool}, "ssh":{"user":{"allow":{"email","principal"},"deny":{}},
 *   "host":{"allow":{"dns","ip","principal"},"deny":{}}}};
 * - the admin API's (linkedca protobuf-JSON): "commonNames", "dns", "ips", "emails", "uris",
 *   "principals", "allowWildcardNames" (also snake_case "common_names", "allow_wildcard_names").
 * Constraints are lower-cased and trimmed; an invalid one is ERR_INVALID naming it (e.g.
 * "cannot parse permitted domain constraint \"*.*.example.com\""). NULL, JSON null, or a
 * document without any constraint gives *out = NULL (no policy: everything allowed). *out is
 * the caller's (policy_free). */
int policy_new(const json_t *doc, struct policy **out, struct error *err);
/* NULL is a no-op. */
void policy_free(struct policy *p);

/* The names an X.509 certificate will carry. */
struct policy_x509_names {
	const char *cn;				      /* the subject's CN, NULL or "" when none */
	const struct strv *dns, *ips, *emails, *uris; /* each may be NULL (none) */
};

/* Checks an X.509 certificate's names (§5.3, §5.4): each SAN, then the CN. p NULL: allowed.
 * A refused name is ERR_FORBIDDEN with the public message step-ca gives, for example
 * `dns name "bad.example.com" not allowed`, `ip address "10.1.2.3" not allowed`,
 * `email address "a@b.c" not allowed`, `uri "spiffe://x/y" not allowed`,
 * `common name "foo" not allowed` (the caller adds step-ca's prefix). */
int policy_check_x509(const struct policy *p, const struct policy_x509_names *names,
		      struct error *err);

/* Checks one ACME identifier of a new order (type "dns" or "ip"): the same rules as for a
 * certificate's SAN of that type. */
int policy_check_identifier(const struct policy *p, const char *type, const char *value,
			    struct error *err);

/* Checks the principals of an SSH certificate (host: true for a host certificate) (§5.4).
 * p NULL: allowed. */
int policy_check_ssh(const struct policy *p, bool host, const struct strv *principals,
		     struct error *err);

/* Whether the policy has any x509 / ssh constraints. */
bool policy_has_x509(const struct policy *p);
bool policy_has_ssh(const struct policy *p);

/* Normalises a policy document into the admin API's protobuf-JSON form (camelCase names,
 * lists de-duplicated keeping the first occurrence, empty lists and objects omitted), as
 * step-ca stores and returns it. Invalid constraints are refused as by policy_new. *out is a
 * new reference. */
int policy_normalize(const json_t *doc, json_t **out, struct error *err);

#endif
