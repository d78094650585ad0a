/* prov_edit_int.h - what the files of `ca provisioner add/update`'s builder share
 * (prov_edit.c: layout, claims, templates, entry points; prov_types.c and prov_cloud.c: each
 * type's flags; prov_flags.c: the flag tables). Not used outside them. */
#ifndef STRIDE_CLI_PROV_EDIT_INT_H
#define STRIDE_CLI_PROV_EDIT_INT_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/str.h"
#include "cli/command.h"

#define PROV_FILE_MAX (1024u * 1024u)

/* --- helpers (prov_edit.c) --- */
int pe_read_file(const char *path, char **out, size_t *len, struct error *err);
void pe_set_flag_bool(json_t *obj, const char *key, bool v);
void pe_set_str(json_t *obj, const char *key, const char *s);
void pe_set_list(json_t *obj, const char *key, json_t *arr);
json_t *pe_string_list(const json_t *obj, const char *key);
void pe_list_remove(json_t *arr, const struct strv *rems);
void pe_list_append(json_t *arr, const struct strv *vals);
void pe_edit_list(struct cli_ctx *ctx, json_t *obj, const char *key, const char *add_flag,
		  const char *remove_flag);
char *pe_certs_b64(STACK_OF(X509) * certs, const char *sep, struct error *err);
bool pe_has_key_cert_sign(X509 *x);
char *pe_common_name(X509 *x);
json_t *pe_duration_value(const char *s);

/* --- each type's flags applied to prov (add: a new provisioner) (prov_types.c, prov_cloud.c) ---
 */
int pe_apply_jwk(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err);
int pe_apply_x5c(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err);
int pe_apply_acme(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err);
int pe_apply_oidc(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err);
int pe_apply_k8ssa(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err);
int pe_apply_aws_azure(struct cli_ctx *ctx, json_t *prov, const char *type, bool add,
		       struct error *err);
int pe_apply_gcp(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err);
int pe_apply_scep(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err);
/* Checks the values of --challenge and --attestation-format before anything is built. */
int pe_check_acme_values(struct cli_ctx *ctx, struct error *err);

#endif
