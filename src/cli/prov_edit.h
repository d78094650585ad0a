/* prov_edit.h - the flags of `stride ca provisioner add/update` turned into a provisioner in
 * ca.json's spelling (provisioners-and-policy.md §2, §3), as step's newest CLI builds it
 * (admin.md §6.1): local mode writes the object into ca.json, remote mode converts it with
 * linkedca_from_config and sends it to the admin API.
 *
 * Objects are laid out as step-ca serialises its provisioner structs (members in their field
 * order, empty optional members left out), with the claims always materialised: durations in
 * Go's Duration.String() form, enableSSHCA (true on add unless --ssh=false), and explicit false
 * disableRenewal, allowRenewalAfterExpiry and disableSmallstepExtensions.
 */
#ifndef STRIDE_CLI_PROV_EDIT_H
#define STRIDE_CLI_PROV_EDIT_H

#include <jansson.h>

#include "base/error.h"
#include "cli/command.h"

/* The flag tables of `ca provisioner add` and `ca provisioner update` (step's flags). */
extern const struct flag_def prov_add_flags[];
extern const struct flag_def prov_update_flags[];

/* The ca.json object of a new provisioner called name from add's flags (--type and the
 * type's flags, templates, claims); generates or encrypts a JWK key as --create,
 * --public-key, --private-key and --password-file say (prompting when needed). Flag errors
 * use step's messages. *out is a new reference. */
int prov_build(struct cli_ctx *ctx, const char *name, json_t **out, struct error *err);

/* Applies update's flags to prov, a provisioner in ca.json's spelling, in place: --name,
 * templates (an empty file name removes one), claims, the type's fields and the --remove-*
 * lists; then lays prov out as prov_build does. */
int prov_apply_update(struct cli_ctx *ctx, json_t *prov, struct error *err);

/* Checks every duration triple of prov's claims as step-ca's admin API does ("min duration
 * '<min>' cannot be greater than max duration '<max>'", ...). */
int prov_check_durations(const json_t *prov, struct error *err);

/* Checks the X.509 validity claims of prov after resolution over global_claims (ca.json's
 * authority.claims, may be NULL) and the built-in defaults, as step-ca's provisioner Init
 * does ("claims: DefaultCertDuration cannot be less than MinCertDuration: ..."). */
int prov_check_claims(const json_t *prov, const json_t *global_claims, struct error *err);

/* The token identifier step-ca keeps unique across provisioners (JWK "<name>:<kid>", OIDC the
 * client ID, K8sSA "k8ssa/k8sSA-default", other types "<type>/<name>"). malloc'd. */
char *prov_token_id(const json_t *prov);

/* step's spelling of a provisioner type (linkedca's enum name: "JWK", "K8SSA", "AZURE", ...)
 * for a type given in any case; NULL when unknown. Static string. */
const char *prov_type_canonical(const char *type);

#endif
