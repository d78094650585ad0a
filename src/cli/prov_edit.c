/* prov_edit.c - `ca provisioner add/update` flags -> a provisioner in ca.json's spelling, as
 * step's newest CLI builds it (admin.md §6.1) and step-ca writes it (its provisioner structs'
 * field order, omitempty members left out). See prov_edit.h. */
#include "cli/prov_edit.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/password.h"
#include "base/str.h"
#include "cli/admin_cli.h"
#include "cli/ui.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "jose/jwe.h"
#include "jose/jwk.h"

#include "cli/prov_edit_int.h"
#include "config/linkedca.h"

#define TYPE_OPTIONS "JWK, ACME, OIDC, SSHPOP, K8SSA, NEBULA, SCEP, AWS, GCP, AZURE"

/* --- layout ------------------------------------------------------------------------------------
 */

static const char *const types[] = {"JWK", "OIDC",  "GCP",    "AWS",  "AZURE",	"ACME",
				    "X5C", "K8SSA", "SSHPOP", "SCEP", "NEBULA", NULL};

const char *prov_type_canonical(const char *type)
{
	if (type == NULL)
		return NULL;
	for (size_t i = 0; types[i] != NULL; i++)
		if (str_eq_nocase(types[i], type))
			return types[i];
	return NULL;
}

/* step-ca's field order per type (its provisioner structs). */
static const char *const order_options[] = {"x509", "ssh", "webhooks", "wire", NULL};
static const char *const order_template[] = {"template", "templateFile", "templateData", NULL};

/* Re-inserts obj's members: those named in order first, in that order, then the rest. */
static void reorder(json_t *obj, const char *const *order)
{
	json_t *copy = json_object(), *v;
	const char *k;
	void *tmp;

	for (size_t i = 0; order[i] != NULL; i++)
		if ((v = json_object_get(obj, order[i])) != NULL)
			json_object_set(copy, order[i], v);
	json_object_foreach_safe(obj, tmp, k, v)
	{
		if (json_object_get(copy, k) == NULL)
			json_object_set(copy, k, v);
	}
	json_object_clear(obj);
	json_object_foreach(copy, k, v) json_object_set(obj, k, v);
	json_decref(copy);
}

/* --- small helpers -----------------------------------------------------------------------------
 */

int pe_read_file(const char *path, char **out, size_t *len, struct error *err)
{
	uint8_t *data = NULL;
	size_t n = 0;

	*out = NULL;
	if (file_read(path, PROV_FILE_MAX, &data, &n, err) != 0)
		return -1;
	*out = xrealloc(data, n + 1);
	(*out)[n] = '\0';
	if (len != NULL)
		*len = n;
	return 0;
}

/* Sets obj[key] = true, or removes it (Go's omitempty false). */
void pe_set_flag_bool(json_t *obj, const char *key, bool v)
{
	if (v)
		json_object_set_new(obj, key, json_true());
	else
		json_object_del(obj, key);
}

/* Sets obj[key] to a string, or removes it when s is NULL or empty (omitempty). */
void pe_set_str(json_t *obj, const char *key, const char *s)
{
	if (s != NULL && s[0] != '\0')
		json_object_set_new(obj, key, json_string(s));
	else
		json_object_del(obj, key);
}

/* Sets obj[key] to an array of strings, or removes it when empty (omitempty). */
void pe_set_list(json_t *obj, const char *key, json_t *arr)
{
	if (arr != NULL && json_array_size(arr) > 0)
		json_object_set(obj, key, arr);
	else
		json_object_del(obj, key);
	json_decref(arr);
}

/* A copy of obj[key] when it is an array of strings, else an empty array. */
json_t *pe_string_list(const json_t *obj, const char *key)
{
	json_t *arr = json_array(), *v, *src = json_object_get(obj, key);
	size_t i;

	json_array_foreach(src, i, v) if (json_is_string(v)) json_array_append(arr, v);
	return arr;
}

/* step's removeElements: drops the first element equal to each of rems. */
void pe_list_remove(json_t *arr, const struct strv *rems)
{
	for (size_t r = 0; r < rems->n; r++) {
		for (size_t i = 0; i < json_array_size(arr); i++) {
			if (strcmp(json_string_value(json_array_get(arr, i)), rems->v[r]) == 0) {
				json_array_remove(arr, i);
				break;
			}
		}
	}
}

void pe_list_append(json_t *arr, const struct strv *vals)
{
	for (size_t i = 0; i < vals->n; i++)
		json_array_append_new(arr, json_string(vals->v[i]));
}

/* The list flag name: removals (when remove_flag is declared and set) then additions. */
void pe_edit_list(struct cli_ctx *ctx, json_t *obj, const char *key, const char *add_flag,
		  const char *remove_flag)
{
	json_t *arr = pe_string_list(obj, key);

	if (remove_flag != NULL && flag_defined(ctx, remove_flag))
		pe_list_remove(arr, flag_list(ctx, remove_flag));
	pe_list_append(arr, flag_list(ctx, add_flag));
	pe_set_list(obj, key, arr);
}

/* The base64 of the PEM of certificates, each PEM ending in a newline, joined with sep. */
char *pe_certs_b64(STACK_OF(X509) * certs, const char *sep, struct error *err)
{
	struct strv pems = {0};
	char *pem = NULL, *joined = NULL, *b64 = NULL;
	size_t total = 1, off = 0;

	for (int i = 0; i < sk_X509_num(certs); i++) {
		if (cert_to_pem(sk_X509_value(certs, i), &pem, err) != 0)
			goto out;
		strv_push(&pems, pem);
		free(pem);
		pem = NULL;
		total += strlen(pems.v[pems.n - 1]) + strlen(sep);
	}
	joined = xmalloc(total);
	joined[0] = '\0';
	for (size_t i = 0; i < pems.n; i++) {
		if (i > 0) {
			memcpy(joined + off, sep, strlen(sep));
			off += strlen(sep);
		}
		memcpy(joined + off, pems.v[i], strlen(pems.v[i]));
		off += strlen(pems.v[i]);
	}
	joined[off] = '\0';
	b64 = b64_encode(joined, off);
out:
	free(joined);
	strv_free(&pems);
	return b64;
}

bool pe_has_key_cert_sign(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_KUSAGE) != 0 &&
	       (X509_get_key_usage(x) & KU_KEY_CERT_SIGN) != 0;
}

char *pe_common_name(X509 *x)
{
	char *cn = cert_common_name(x);

	return cn != NULL ? cn : xstrdup("");
}

/* --- claims ------------------------------------------------------------------------------------
 */

static const struct {
	const char *flag, *claim;
} dur_flags[] = {
    {"x509-min-dur", "minTLSCertDuration"},
    {"x509-max-dur", "maxTLSCertDuration"},
    {"x509-default-dur", "defaultTLSCertDuration"},
    {"ssh-user-min-dur", "minUserSSHCertDuration"},
    {"ssh-user-max-dur", "maxUserSSHCertDuration"},
    {"ssh-user-default-dur", "defaultUserSSHCertDuration"},
    {"ssh-host-min-dur", "minHostSSHCertDuration"},
    {"ssh-host-max-dur", "maxHostSSHCertDuration"},
    {"ssh-host-default-dur", "defaultHostSSHCertDuration"},
};
#define N_DUR (sizeof(dur_flags) / sizeof(dur_flags[0]))

/* The duration flags parse as Go durations (step's flags are Go duration flags). */
static int check_duration_flags(struct cli_ctx *ctx, struct error *err)
{
	int64_t d;

	for (size_t i = 0; i < N_DUR; i++) {
		const char *v = flag_str(ctx, dur_flags[i].flag);

		if (flag_is_set(ctx, dur_flags[i].flag) &&
		    duration_parse(v != NULL ? v : "", &d, NULL) != 0)
			return err_set(err, ERR_INVALID,
				       "invalid value \"%s\" for flag -%s: parse error",
				       v != NULL ? v : "", dur_flags[i].flag);
	}
	if (flag_is_set(ctx, "instance-age")) {
		const char *v = flag_str(ctx, "instance-age");
		if (duration_parse(v != NULL ? v : "", &d, NULL) != 0)
			return err_set(err, ERR_INVALID,
				       "invalid value \"%s\" for flag -instance-age: parse error",
				       v != NULL ? v : "");
		if (d < 0)
			return err_set(err, ERR_INVALID,
				       "flag '--instance-age' must be greater than or equal to 0s");
	}
	return 0;
}

/* A claim's duration re-spelled as step-ca writes it (Go's Duration.String()); an unparsable
 * value is kept as written. New reference. */
json_t *pe_duration_value(const char *s)
{
	char buf[64];
	int64_t d;

	if (duration_parse(s, &d, NULL) != 0)
		return json_string(s);
	return json_string(duration_format(d, buf, sizeof(buf)));
}

static bool old_true(const json_t *old, const char *key)
{
	return json_is_true(json_object_get(old, key));
}

/* The claims object of prov from the flags over its old claims (NULL on add), materialised as
 * step's conversion writes it. */
static void apply_claims(struct cli_ctx *ctx, json_t *prov, bool add)
{
	const json_t *old = add ? NULL : json_object_get(prov, "claims");
	json_t *c = json_object();
	bool ssh;

	for (size_t i = 0; i < N_DUR; i++) {
		const json_t *ov = json_object_get(old, dur_flags[i].claim);
		const char *v = flag_str(ctx, dur_flags[i].flag);

		if (flag_is_set(ctx, dur_flags[i].flag) && v != NULL)
			json_object_set_new(c, dur_flags[i].claim, pe_duration_value(v));
		else if (json_is_string(ov) && json_string_value(ov)[0] != '\0')
			json_object_set_new(c, dur_flags[i].claim,
					    pe_duration_value(json_string_value(ov)));
	}
	if (add)
		ssh = !(flag_is_set(ctx, "ssh") && !flag_bool(ctx, "ssh"));
	else
		ssh =
		    flag_is_set(ctx, "ssh") ? flag_bool(ctx, "ssh") : old_true(old, "enableSSHCA");
	json_object_set_new(c, "enableSSHCA", json_boolean(ssh));
	static const char *const bools[] = {"disableRenewal", "allowRenewalAfterExpiry",
					    "disableSmallstepExtensions"};
	static const char *const bool_flags[] = {"disable-renewal", "allow-renewal-after-expiry",
						 "disable-smallstep-extensions"};
	for (size_t i = 0; i < 3; i++) {
		bool v = flag_is_set(ctx, bool_flags[i]) ? flag_bool(ctx, bool_flags[i])
							 : old_true(old, bools[i]);
		json_object_set_new(c, bools[i], json_boolean(v));
	}
	json_object_set_new(prov, "claims", c);
}

/* One triple of durations as step-ca's admin API validates it. */
static int check_triple(const json_t *claims, const char *kmin, const char *kmax, const char *kdef,
			struct error *err)
{
	const char *names[3] = {"min", "max", "default"};
	const char *keys[3] = {kmin, kmax, kdef};
	const char *s[3];
	int64_t d[3];

	for (int i = 0; i < 3; i++) {
		s[i] = json_string_value(json_object_get(claims, keys[i]));
		if (s[i] != NULL && s[i][0] == '\0')
			s[i] = NULL;
		if (s[i] == NULL)
			continue;
		if (duration_parse(s[i], &d[i], NULL) != 0)
			return err_set(err, ERR_INVALID, "%s duration '%s' is invalid", names[i],
				       s[i]);
		if (d[i] < 0)
			return err_set(err, ERR_INVALID, "%s duration '%s' cannot be less than 0",
				       names[i], s[i]);
	}
	if (s[0] != NULL && s[1] != NULL && d[0] > d[1])
		return err_set(err, ERR_INVALID,
			       "min duration '%s' cannot be greater than max duration '%s'", s[0],
			       s[1]);
	if (s[0] != NULL && s[2] != NULL && d[0] > d[2])
		return err_set(err, ERR_INVALID,
			       "min duration '%s' cannot be greater than default duration '%s'",
			       s[0], s[2]);
	if (s[2] != NULL && s[1] != NULL && d[2] > d[1])
		return err_set(err, ERR_INVALID,
			       "default duration '%s' cannot be greater than max duration '%s'",
			       s[2], s[1]);
	return 0;
}

int prov_check_durations(const json_t *prov, struct error *err)
{
	const json_t *c = json_object_get(prov, "claims");

	for (size_t i = 0; i < N_DUR; i += 3)
		if (check_triple(c, dur_flags[i].claim, dur_flags[i + 1].claim,
				 dur_flags[i + 2].claim, err) != 0)
			return -1;
	return 0;
}

/* A claim of the provisioner, else of the global claims, else def; *set says whether the
 * provisioner had it. */
static int64_t resolve_dur(const json_t *pc, const json_t *gc, const char *key, int64_t def,
			   bool *set)
{
	int64_t d;
	const char *s = json_string_value(json_object_get(pc, key));

	*set = false;
	if (s != NULL && duration_parse(s, &d, NULL) == 0) {
		*set = true;
		return d;
	}
	s = json_string_value(json_object_get(gc, key));
	if (s != NULL && duration_parse(s, &d, NULL) == 0)
		return d;
	return def;
}

static int order_error(const char *big_name, int64_t big, const char *small_name, int64_t small,
		       struct error *err)
{
	char b[64], s[64];

	return err_set(err, ERR_INVALID, "claims: %s cannot be less than %s: %s - %s, %s - %s",
		       big_name, small_name, big_name, duration_format(big, b, sizeof(b)),
		       small_name, duration_format(small, s, sizeof(s)));
}

int prov_check_claims(const json_t *prov, const json_t *global_claims, struct error *err)
{
	const json_t *pc = json_object_get(prov, "claims");
	bool min_set, max_set, def_set;
	int64_t mn = resolve_dur(pc, global_claims, "minTLSCertDuration", 5 * NS_PER_MIN, &min_set);
	int64_t mx =
	    resolve_dur(pc, global_claims, "maxTLSCertDuration", 24 * NS_PER_HOUR, &max_set);
	int64_t df =
	    resolve_dur(pc, global_claims, "defaultTLSCertDuration", 24 * NS_PER_HOUR, &def_set);

	/* a provisioner default outside the inherited bounds widens them (step-ca's rule) */
	if (def_set && !min_set && df < mn)
		mn = df;
	if (def_set && !max_set && df > mx)
		mx = df;
	if (mn <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: MinTLSCertDuration must be greater than 0");
	if (mx <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: MaxTLSCertDuration must be greater than 0");
	if (df <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: DefaultTLSCertDuration must be greater than 0");
	if (mx < mn)
		return order_error("MaxCertDuration", mx, "MinCertDuration", mn, err);
	if (df < mn)
		return order_error("DefaultCertDuration", df, "MinCertDuration", mn, err);
	if (mx < df)
		return order_error("MaxCertDuration", mx, "DefaultCertDuration", df, err);
	return 0;
}

/* --- templates ---------------------------------------------------------------------------------
 */

/* options.<scope>.template / templateData from --<prefix>-template[-data]; an empty file name
 * removes the value. */
static int apply_template(struct cli_ctx *ctx, json_t *options, const char *scope,
			  const char *tpl_flag, const char *data_flag, struct error *err)
{
	json_t *o = json_object_get(options, scope), *data;
	json_error_t jerr;
	char *text = NULL;
	int rc = -1;

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(options, scope, o);
	}
	if (flag_is_set(ctx, tpl_flag)) {
		json_object_del(o, "templateFile");
		if (flag_str(ctx, tpl_flag) == NULL) {
			json_object_del(o, "template");
		} else {
			if (pe_read_file(flag_str(ctx, tpl_flag), &text, NULL, err) != 0)
				goto out;
			json_object_set_new(o, "template", json_string(text));
			free(text);
			text = NULL;
		}
	}
	if (flag_is_set(ctx, data_flag)) {
		if (flag_str(ctx, data_flag) == NULL) {
			json_object_del(o, "templateData");
		} else {
			if (pe_read_file(flag_str(ctx, data_flag), &text, NULL, err) != 0)
				goto out;
			data = json_loads(text, JSON_DECODE_ANY, &jerr);
			if (data == NULL) {
				err_set(err, ERR_INVALID, "error parsing %s: %s",
					flag_str(ctx, data_flag), jerr.text);
				goto out;
			}
			json_object_set_new(o, "templateData", data);
		}
	}
	reorder(o, order_template);
	rc = 0;
out:
	free(text);
	return rc;
}

static int apply_templates(struct cli_ctx *ctx, json_t *prov, struct error *err)
{
	json_t *options = json_object_get(prov, "options");

	if (!json_is_object(options)) {
		options = json_object();
		json_object_set_new(prov, "options", options);
	}
	if (apply_template(ctx, options, "x509", "x509-template", "x509-template-data", err) != 0 ||
	    apply_template(ctx, options, "ssh", "ssh-template", "ssh-template-data", err) != 0)
		return -1;
	reorder(options, order_options);
	return 0;
}

/* --- entry points ------------------------------------------------------------------------------
 */

/* The type-specific part for a known type; the types stride cannot write yet are refused. */
static int apply_type(struct cli_ctx *ctx, const char *type, json_t *prov, bool add,
		      struct error *err)
{
	if (strcmp(type, "JWK") == 0)
		return pe_apply_jwk(ctx, prov, add, err);
	if (strcmp(type, "X5C") == 0)
		return pe_apply_x5c(ctx, prov, add, err);
	if (strcmp(type, "ACME") == 0)
		return pe_apply_acme(ctx, prov, add, err);
	if (strcmp(type, "SSHPOP") == 0)
		return 0;
	if (strcmp(type, "OIDC") == 0)
		return pe_apply_oidc(ctx, prov, add, err);
	if (strcmp(type, "K8SSA") == 0)
		return pe_apply_k8ssa(ctx, prov, add, err);
	if (strcmp(type, "AWS") == 0 || strcmp(type, "AZURE") == 0)
		return pe_apply_aws_azure(ctx, prov, type, add, err);
	if (strcmp(type, "GCP") == 0)
		return pe_apply_gcp(ctx, prov, add, err);
	if (strcmp(type, "SCEP") == 0)
		return pe_apply_scep(ctx, prov, add, err);
	return err_set(err, ERR_NOT_IMPLEMENTED,
		       "provisioner type '%s' is not supported yet by stride", type);
}

/* Claims, templates, the type's fields, then step-ca's layout. */
static int apply_all(struct cli_ctx *ctx, const char *type, json_t *prov, bool add,
		     struct error *err)
{
	if (strcmp(type, "ACME") == 0 && pe_check_acme_values(ctx, err) != 0)
		return -1;
	if (strcmp(type, "SSHPOP") != 0 && apply_templates(ctx, prov, err) != 0)
		return -1;
	apply_claims(ctx, prov, add);
	if (apply_type(ctx, type, prov, add, err) != 0)
		return -1;
	json_object_set_new(prov, "type", json_string(type));
	linkedca_config_order(prov);
	return 0;
}

int prov_build(struct cli_ctx *ctx, const char *name, json_t **out, struct error *err)
{
	const char *given = flag_str(ctx, "type");
	const char *type;
	json_t *prov = NULL;
	int rc = -1;

	*out = NULL;
	if (check_duration_flags(ctx, err) != 0)
		goto out;
	if (given == NULL) {
		err_set(err, ERR_INVALID, "missing value for flag '--type'");
		goto out;
	}
	if ((type = prov_type_canonical(given)) == NULL) {
		cli_err_invalid(err, "type", given, "options are " TYPE_OPTIONS);
		goto out;
	}
	prov = json_pack("{s:s, s:s}", "type", type, "name", name);
	if (apply_all(ctx, type, prov, true, err) != 0)
		goto out;
	*out = prov;
	prov = NULL;
	rc = 0;
out:
	json_decref(prov);
	return rc;
}

int prov_apply_update(struct cli_ctx *ctx, json_t *prov, struct error *err)
{
	const char *type = prov_type_canonical(json_string_value(json_object_get(prov, "type")));

	if (check_duration_flags(ctx, err) != 0)
		return -1;
	if (type == NULL)
		return err_set(err, ERR_INVALID, "unsupported provisioner type %s",
			       json_string_value(json_object_get(prov, "type")) != NULL
				   ? json_string_value(json_object_get(prov, "type"))
				   : "");
	if (flag_is_set(ctx, "name") && flag_str(ctx, "name") != NULL)
		json_object_set_new(prov, "name", json_string(flag_str(ctx, "name")));
	return apply_all(ctx, type, prov, false, err);
}

char *prov_token_id(const json_t *prov)
{
	const char *type = prov_type_canonical(json_string_value(json_object_get(prov, "type")));
	const char *name = json_string_value(json_object_get(prov, "name"));
	char *low, *id;

	name = name != NULL ? name : "";
	if (type == NULL)
		return xstrdup(name);
	if (strcmp(type, "JWK") == 0) {
		const char *kid =
		    json_string_value(json_object_get(json_object_get(prov, "key"), "kid"));
		return xasprintf("%s:%s", name, kid != NULL ? kid : "");
	}
	if (strcmp(type, "OIDC") == 0 || strcmp(type, "AZURE") == 0) {
		const char *v = json_string_value(
		    json_object_get(prov, strcmp(type, "OIDC") == 0 ? "clientID" : "tenantID"));
		return xstrdup(v != NULL ? v : "");
	}
	if (strcmp(type, "K8SSA") == 0)
		return xstrdup("k8ssa/k8sSA-default");
	low = str_lower(xstrdup(type));
	id = xasprintf("%s/%s", low, name);
	free(low);
	return id;
}
