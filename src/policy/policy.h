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
#include "base/http_error.h"
#include "base/str.h"

struct policy;

/* Compiles a policy document. Both spellings are accepted, member by member:
 * - ca.json's: {"x509":{"allow":{"cn","dns","ip","email","uri"},"deny":{...},
 *   "allowWildcardNames":bool}, "ssh":{"user":{"allow":{"email","principal"},"deny":{}},
 *   "host":{"allow":{"dns","ip","principal"},"deny":{}}}} (ssh lists may also hold "dns", "ip",
 *   "email" and "principal" on either side, as step-ca's ca.json allows);
 * - the admin API's (linkedca protobuf-JSON): "commonNames", "dns", "ips", "emails", "uris",
 *   "principals", "allowWildcardNames" (also snake_case "common_names", "allow_wildcard_names").
 * Constraints are normalised as step-ca does: cn, dns, email, uri trimmed and lower-cased,
 * internationalised domains converted to ASCII (punycode); ip and principal taken as given
 * (principal "*" = any). An invalid one is ERR_INVALID (public) with step-ca's message, e.g.
 * `cannot parse permitted domain constraint "*.*.example.com": domain constraint
 * "*.*.example.com" can only have wildcard as starting character` (see the list below). NULL,
 * JSON null, or a document without any constraint gives *out = NULL (no policy: everything
 * allowed; allowWildcardNames alone is no constraint). *out is the caller's (policy_free).
 *
 * Messages for invalid constraints: `cannot parse <side> <kind> constraint %q: <why>` with
 * <side> "permitted" (allow) or "excluded" (deny), %q Go's quoting of the constraint as given,
 * <kind> and <why> (D = `domain constraint %q`, U = `URI domain constraint %q`, E = `email
 * constraint %q`, <idna> = `idna: disallowed rune U+XXXX` or `idna: invalid label %q`):
 *   common name: `constraint %q can not be empty or white space string`,
 *                `wildcard constraint %q is not supported`;
 *   domain:      `constraint %q can not be empty or white space string`, `D cannot have empty
 *                labels`, `D with wildcard should start with *`, `D can only have wildcard as
 *                starting character`, `wildcard character in domain constraint %q can only be
 *                used to match (full) labels`, `D can not be converted to ASCII: <idna>`,
 *                `cannot parse domain constraint %q`;
 *   email:       `E can not be empty or white space string`, `E cannot contain asterisk
 *                wildcard`, `E contains too many @ characters`, `E cannot start with period`,
 *                `cannot parse email constraint %q as RFC 2821 mailbox`, `E domain part %q
 *                cannot be converted to ASCII: <idna>`, `E cannot be converted to ASCII:
 *                <idna>`, `cannot parse email domain constraint %q`;
 *   URI domain:  `U cannot be empty or white space string`, `U contains scheme (not supported
 *                yet)`, `U cannot have empty labels`, `U with wildcard should start with *`,
 *                `U can only have wildcard as starting character`, `U contains invalid square
 *                brackets`, `U cannot contain port`, `U cannot be an IP`, `U cannot be
 *                converted to ASCII: <idna>`, `cannot parse URI domain constraint %q`.
 * IP constraints: `cannot parse <side> constraint %q as IP nor CIDR`. Shape errors (stride's
 * own): `policy <path> must be an object`, `policy <path>.<member> must be a list of strings`,
 * `policy <path>.allowWildcardNames must be a boolean`. */
int policy_new(const json_t *doc, struct policy **out, struct error *err);
/* NULL is a no-op. */
void policy_free(struct policy *p);

/* The names an X.509 certificate will carry. */
struct policy_x509_names {
	const char *cn;				      /* the subject's CN, NULL or "" when none */
	const struct strv *dns, *ips, *emails, *uris; /* each may be NULL (none) */
};

/* step-ca's answer to a name the policy refuses (ERR_FORBIDDEN): status 403, message
 * POLICY_FORBIDDEN_PREFIX followed by err->msg, e.g.
 * {"status":403,"message":"The request was forbidden by the certificate authority: dns name
 * \"x.example.org\" not allowed"}. The other refusals (ERR_INVALID: a name step-ca cannot parse or
 * match, SSH principals of the wrong kind, an SSH engine of the other certificate type only) are
 * internal errors in step-ca: status 500 with POLICY_X509_ERROR_MESSAGE (X.509) or
 * POLICY_SSH_ERROR_MESSAGE (SSH). */
#define POLICY_FORBIDDEN_PREFIX	  HTTP_FORBIDDEN_PREFIX
#define POLICY_X509_ERROR_MESSAGE "error creating certificate"
#define POLICY_SSH_ERROR_MESSAGE  "authority.SignSSH: error creating ssh certificate"

/* Checks an X.509 certificate's names (§5.3, §5.4): every DNS SAN, then IPs, e-mails, URIs,
 * then the CN. p NULL or without x509 constraints: allowed. A refused name (<type> is dns, ip,
 * email, uri or cn; %q Go's quoting; an IP as Go prints it, IPv4-mapped as IPv4):
 *   `<type> name %q not allowed`                  ERR_FORBIDDEN, public
 *   `cannot parse <type> domain %q`               ERR_INVALID, public (DNS name not convertible)
 *   `cannot parse <type> rfc822Name %q`           ERR_INVALID, public (e-mail not a mailbox)
 *   `error matching <type> name %q to constraint` ERR_INVALID, public (URI without host, with
 *                                                 '*', with an IP host)
 *   `cannot parse ip address %q`                  ERR_INVALID, public (ips entry not an IP)
 * The CN: allowed when cn constraints exist and allow it; else classified as step-ca does
 * (IP, URI with a scheme, e-mail when it has '@', else DNS) and checked, the error naming cn. */
int policy_check_x509(const struct policy *p, const struct policy_x509_names *names,
		      struct error *err);

/* Checks one ACME identifier of a new order with the x509 engine. As step-ca does, the value
 * is classified by its syntax (an IP, a URI, an e-mail, else a DNS name) whatever type says;
 * messages as for policy_check_x509. */
int policy_check_identifier(const struct policy *p, const char *type, const char *value,
			    struct error *err);

/* Checks the principals of an SSH certificate (host: true for a host certificate) (§5.4).
 * p NULL or without ssh constraints: allowed. Host: principals are classified as DNS, IP or
 * e-mail and checked in that order (types dns, ip, email). User: e-mails as email, the others
 * as principal. Refusals: as policy_check_x509 (ERR_FORBIDDEN `principal name "root" not
 * allowed`, ...), and ERR_INVALID (internal, err_set), with <kind> "host" or "user":
 *   `authority not allowed to sign SSH host certificates when SSH user certificate policy is
 *   active` (and the same with user and host swapped);
 *   `URL principals [<uris>] not expected in SSH <kind> certificate`;
 *   `IP principals [<ips>] not expected in SSH user certificate`. */
int policy_check_ssh(const struct policy *p, bool host, const struct strv *principals,
		     struct error *err);

/* Whether the policy has any x509 / ssh constraints. */
bool policy_has_x509(const struct policy *p);
bool policy_has_ssh(const struct policy *p);

/* Normalises a policy document (either spelling) into the admin API's protobuf-JSON form as
 * step-ca stores and returns it: camelCase names in linkedca's field order, each list
 * de-duplicated keeping the first occurrence (values kept as given: step-ca does not lower-case
 * what it stores), empty lists and objects and a false allowWildcardNames omitted; NULL or null
 * gives {}. Lists the linkedca form lacks (ssh.host emails; ssh.user dns, ips) are refused when
 * not empty (`policy ssh.host.allow does not support emails`). Invalid constraints are refused
 * as by policy_new. *out is a new reference. */
int policy_normalize(const json_t *doc, json_t **out, struct error *err);

#endif
