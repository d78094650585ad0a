/* prov_types.c - each provisioner type's flags of `ca provisioner add/update` applied to its
 * ca.json object (JWK keys, X5C roots, ACME challenges, OIDC, K8sSA), as step-ca writes those
 * fields; the cloud identities and SCEP are in prov_cloud.c. See prov_edit.h. */
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
#include "crypto/pem_keys.h"
#include "jose/jwe.h"
#include "jose/jwk.h"

#include "cli/prov_edit_int.h"

#define GENERATED_PASSWORD_LEN 32
#define JWK_PASSWORD_PROMPT                                                                        \
	"Please enter a password to encrypt the provisioner private key? [leave empty and we'll "  \
	"generate one]"

/* --- JWK ---------------------------------------------------------------------------------------
 */

/* The password that encrypts a new private key: --password-file (trimmed) or the prompt, where
 * an empty answer generates one (printed, as step offers it for editing). */
static int new_key_password(struct cli_ctx *ctx, char **out, struct error *err)
{
	*out = NULL;
	if (flag_str(ctx, "password-file") != NULL) {
		if (password_read_file(flag_str(ctx, "password-file"), out, err) != 0)
			return -1;
		if ((*out)[0] != '\0')
			return 0;
		password_free(*out);
		*out = NULL;
	}
	if (!tty_available())
		return cli_err_required(ctx, err, "password-file");
	if (password_prompt(JWK_PASSWORD_PROMPT, out, err) != 0)
		return -1;
	if ((*out)[0] != '\0')
		return 0;
	password_free(*out);
	*out = NULL;
	if (password_generate(GENERATED_PASSWORD_LEN, out, err) != 0)
		return -1;
	ui_status("Password", "%s", *out);
	return 0;
}

/* The JWE of a private key (step's EncryptJWK: cty jwk+json); *out malloc'd. */
static int encrypt_private(EVP_PKEY *key, const char *kid, const char *pw, size_t pw_len,
			   char **out, struct error *err)
{
	json_t *priv = jwk_from_pkey(key, true, err);
	char *text = NULL, *pwz = NULL;
	int rc = -1;

	*out = NULL;
	if (priv == NULL)
		goto out;
	if (kid != NULL)
		json_object_set_new(priv, "kid", json_string(kid));
	text = json_dumps(priv, JSON_COMPACT);
	pwz = xmalloc(pw_len + 1);
	memcpy(pwz, pw, pw_len);
	pwz[pw_len] = '\0';
	if (text == NULL)
		goto out;
	rc = jwe_encrypt_password((const uint8_t *)text, strlen(text), pwz, JWE_P2C_DEFAULT,
				  "jwk+json", out, err);
out:
	if (text != NULL)
		password_free(text);
	if (pwz != NULL) {
		secure_wipe(pwz, pw_len);
		free(pwz);
	}
	json_decref(priv);
	return rc;
}

/* A JWK from a file: JSON (a JWK) or PEM/DER; *is_private says whether it had private parts.
 * *jwk (NULL for PEM input) is the parsed JSON. */
static int read_key_file(const char *path, bool want_private, EVP_PKEY **key, json_t **jwk,
			 struct error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;
	json_t *j = NULL;

	*key = NULL;
	*jwk = NULL;
	if (pe_read_file(path, &text, &len, err) != 0)
		return -1;
	j = json_loads(text, 0, NULL);
	if (json_is_object(j)) {
		if (str_eq_nocase(json_string_value(json_object_get(j, "kty")), "oct")) {
			err_set(err, ERR_INVALID,
				"invalid JWK: a symmetric key cannot be used as a provisioner");
			goto out;
		}
		if (jwk_to_pkey(j, key, err) != 0) {
			err_wrap(err, "error reading %s", path);
			goto out;
		}
		*jwk = j;
		j = NULL;
		rc = 0;
		goto out;
	}
	if (want_private || key_parse_public((const uint8_t *)text, len, key, NULL) != 0) {
		if (key_parse_private((const uint8_t *)text, len, NULL, key, err) != 0) {
			err_wrap(err, "error reading %s", path);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(j);
	if (text != NULL) {
		secure_wipe(text, len);
		free(text);
	}
	return rc;
}

/* The public JWK of --public-key: kid kept when the file has one, else the thumbprint. */
static int public_jwk(const char *path, json_t **out, struct error *err)
{
	EVP_PKEY *key = NULL;
	json_t *in = NULL, *pub = NULL;
	const char *kid;
	int rc = -1;

	*out = NULL;
	if (read_key_file(path, false, &key, &in, err) != 0)
		goto out;
	pub = jwk_from_pkey(key, false, err);
	if (pub == NULL)
		goto out;
	kid = json_string_value(json_object_get(in, "kid"));
	if (kid != NULL && kid[0] != '\0')
		json_object_set_new(pub, "kid", json_string(kid));
	*out = pub;
	pub = NULL;
	rc = 0;
out:
	json_decref(pub);
	json_decref(in);
	EVP_PKEY_free(key);
	return rc;
}

/* A JWE as given: the compact form, or the JSON (flattened) form step writes, made compact.
 * NULL when text is not a JWE. malloc'd. */
static char *as_jwe(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	char *out = NULL;

	if (json_is_object(j)) {
		const char *p = json_string_value(json_object_get(j, "protected"));
		const char *k = json_string_value(json_object_get(j, "encrypted_key"));
		const char *iv = json_string_value(json_object_get(j, "iv"));
		const char *ct = json_string_value(json_object_get(j, "ciphertext"));
		const char *tag = json_string_value(json_object_get(j, "tag"));
		if (p != NULL && k != NULL && iv != NULL && ct != NULL && tag != NULL)
			out = xasprintf("%s.%s.%s.%s.%s", p, k, iv, ct, tag);
		json_decref(j);
		return out;
	}
	json_decref(j);
	/* compact: five base64url parts separated by dots, white space ignored */
	size_t dots = 0, n = 0;
	out = xmalloc(strlen(text) + 1);
	for (const char *c = text; *c != '\0'; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n')
			continue;
		if (*c == '.')
			dots++;
		else if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
			   (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			dots = 99;
		out[n++] = *c;
	}
	out[n] = '\0';
	if (dots != 4 || n < 8) {
		free(out);
		return NULL;
	}
	return out;
}

/* --private-key: a JWE is kept as it is; a plain private key is encrypted with the content of
 * --password-file (as read, step's behaviour) or the prompt's password. */
static int private_jwe(struct cli_ctx *ctx, const char *path, const char *kid, char **out,
		       struct error *err)
{
	EVP_PKEY *key = NULL;
	json_t *in = NULL;
	char *text = NULL, *pw = NULL;
	size_t len = 0, pw_len = 0;
	int rc = -1;

	*out = NULL;
	if (pe_read_file(path, &text, &len, err) != 0)
		goto out;
	if ((*out = as_jwe(text)) != NULL) {
		rc = 0;
		goto out;
	}
	if (read_key_file(path, true, &key, &in, err) != 0)
		goto out;
	if (in != NULL && json_object_get(in, "d") == NULL) {
		err_set(err, ERR_INVALID, "invalid jwk: private-key is a public key");
		goto out;
	}
	if (flag_str(ctx, "password-file") != NULL) {
		uint8_t *raw = NULL;
		if (file_read(flag_str(ctx, "password-file"), PROV_FILE_MAX, &raw, &pw_len, err) !=
		    0)
			goto out;
		pw = xmalloc(pw_len + 1);
		memcpy(pw, raw, pw_len);
		pw[pw_len] = '\0';
		secure_wipe(raw, pw_len);
		free(raw);
	} else {
		if (new_key_password(ctx, &pw, err) != 0)
			goto out;
		pw_len = strlen(pw);
	}
	rc = encrypt_private(key, kid, pw, pw_len, out, err);
out:
	if (pw != NULL) {
		secure_wipe(pw, pw_len);
		free(pw);
	}
	if (text != NULL) {
		secure_wipe(text, len);
		free(text);
	}
	json_decref(in);
	EVP_PKEY_free(key);
	return rc;
}

/* JWK: key and encryptedKey from --create, or --public-key with an optional --private-key. */
int pe_apply_jwk(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	EVP_PKEY *key = NULL;
	json_t *pub = NULL;
	char *pw = NULL, *jwe = NULL;
	int rc = -1;

	if (flag_bool(ctx, "create")) {
		if (flag_is_set(ctx, "public-key")) {
			err_set(err, ERR_INVALID,
				"flag '--create' is incompatible with 'public-key'");
			goto out;
		}
		if (flag_is_set(ctx, "private-key")) {
			err_set(err, ERR_INVALID,
				"flag '--create' is incompatible with 'private-key'");
			goto out;
		}
		if (new_key_password(ctx, &pw, err) != 0 || key_generate(&spec, &key, err) != 0)
			goto out;
		if ((pub = jwk_from_pkey(key, false, err)) == NULL ||
		    encrypt_private(key, NULL, pw, strlen(pw), &jwe, err) != 0)
			goto out;
		json_object_set(prov, "key", pub);
		json_object_set_new(prov, "encryptedKey", json_string(jwe));
		rc = 0;
		goto out;
	}
	if (add && flag_str(ctx, "public-key") == NULL) {
		err_set(err, ERR_INVALID, "'--create false' requires the '--public-key' flag");
		goto out;
	}
	if (flag_str(ctx, "public-key") != NULL) {
		if (public_jwk(flag_str(ctx, "public-key"), &pub, err) != 0)
			goto out;
		json_object_set(prov, "key", pub);
	}
	if (flag_is_set(ctx, "private-key")) {
		const char *kid =
		    json_string_value(json_object_get(json_object_get(prov, "key"), "kid"));
		if (flag_str(ctx, "private-key") == NULL) {
			json_object_del(prov,
					"encryptedKey"); /* update: an empty name removes it */
		} else {
			if (private_jwe(ctx, flag_str(ctx, "private-key"), kid, &jwe, err) != 0)
				goto out;
			json_object_set_new(prov, "encryptedKey", json_string(jwe));
		}
	}
	rc = 0;
out:
	password_free(pw);
	free(jwe);
	json_decref(pub);
	EVP_PKEY_free(key);
	return rc;
}

/* --- X5C, ACME, OIDC, K8SSA --------------------------------------------------------------------
 */

int pe_apply_x5c(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const char *file = flag_str(ctx, "x5c-roots");
	STACK_OF(X509) *roots = NULL;
	char *b64 = NULL, *cn = NULL;
	int rc = -1;

	if (file == NULL) {
		if (add)
			return err_set(err, ERR_INVALID,
				       "'--type x5c' requires the '--x5c-roots' flag");
		return 0;
	}
	if (cert_load_chain_file(file, &roots, err) != 0) {
		err_wrap(err, "error loading X5C Root certificates from %s", file);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(roots); i++) {
		if (!pe_has_key_cert_sign(sk_X509_value(roots, i))) {
			cn = pe_common_name(sk_X509_value(roots, i));
			err_set(err, ERR_INVALID,
				"error: certificate with common name '%s' cannot be used as an X5C "
				"root certificate.\n\nX5C provisioner root certificates must have "
				"the 'Certificate Sign' key usage extension.",
				cn);
			goto out;
		}
	}
	if ((b64 = pe_certs_b64(roots, "\n", err)) == NULL)
		goto out;
	json_object_set_new(prov, "roots", json_string(b64));
	rc = 0;
out:
	free(cn);
	free(b64);
	sk_X509_pop_free(roots, X509_free);
	return rc;
}

static const char *const acme_challenges[] = {"http-01", "dns-01", "tls-alpn-01",
					      "device-attest-01", NULL};
static const char *const acme_formats[] = {"apple", "step", "tpm", NULL};

static const char *in_set(const char *const *set, const char *v)
{
	for (size_t i = 0; set[i] != NULL; i++)
		if (str_eq_nocase(set[i], v))
			return set[i];
	return NULL;
}

/* --challenge/--remove-challenge and the attestation formats take step's values only. */
int pe_check_acme_values(struct cli_ctx *ctx, struct error *err)
{
	static const char *const flags[] = {"challenge", "remove-challenge", "attestation-format",
					    "remove-attestation-format"};

	for (size_t f = 0; f < 4; f++) {
		const struct strv *vals;
		bool ch = f < 2;

		if (!flag_defined(ctx, flags[f]))
			continue;
		vals = flag_list(ctx, flags[f]);
		for (size_t i = 0; i < vals->n; i++)
			if (in_set(ch ? acme_challenges : acme_formats, vals->v[i]) == NULL)
				return cli_err_invalid(
				    err, flags[f], vals->v[i],
				    ch ? "options are http-01, dns-01, tls-alpn-01 and "
					 "device-attest-01"
				       : "options are apple, step, and tpm");
	}
	return 0;
}

/* True when vals->v[i] also appears before index i. */
static bool seen_before(const struct strv *vals, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(vals->v[j], vals->v[i]) == 0)
			return true;
	return false;
}

/* A list of ACME values: old ones (known, canonical spelling) minus removals plus additions,
 * duplicates dropped (step's sliceutil). */
static void edit_acme_list(struct cli_ctx *ctx, json_t *prov, const char *key,
			   const char *const *set, const char *add_flag, const char *remove_flag)
{
	json_t *arr, *v;
	const struct strv *rem =
	    flag_defined(ctx, remove_flag) ? flag_list(ctx, remove_flag) : NULL;
	const struct strv *add = flag_list(ctx, add_flag);
	struct strv vals = {0};
	size_t i;

	if ((rem == NULL || rem->n == 0) && add->n == 0)
		return; /* untouched */
	arr = json_array();
	json_array_foreach(json_object_get(prov, key), i, v)
	{
		const char *c = json_is_string(v) ? in_set(set, json_string_value(v)) : NULL;
		bool removed = false;
		if (c == NULL)
			continue;
		for (size_t r = 0; rem != NULL && r < rem->n; r++)
			removed = removed || str_eq_nocase(rem->v[r], c);
		if (!removed)
			strv_push(&vals, c);
	}
	for (i = 0; i < add->n; i++)
		strv_push(&vals, in_set(set, add->v[i]));
	for (i = 0; i < vals.n; i++)
		if (!seen_before(&vals, i))
			json_array_append_new(arr, json_string(vals.v[i]));
	strv_free(&vals);
	pe_set_list(prov, key, arr);
}

/* --attestation-roots: CA certificates (basic constraints CA and keyCertSign) of every file. */
static int attestation_roots(struct cli_ctx *ctx, json_t *prov, struct error *err)
{
	const struct strv *files = flag_list(ctx, "attestation-roots");
	STACK_OF(X509) *all = sk_X509_new_null(), *certs = NULL;
	char *b64 = NULL, *cn = NULL;
	int rc = -1;

	for (size_t f = 0; f < files->n; f++) {
		if (cert_load_chain_file(files->v[f], &certs, err) != 0) {
			err_wrap(err, "error reading certificates from %s", files->v[f]);
			goto out;
		}
		while (sk_X509_num(certs) > 0) {
			X509 *x = sk_X509_shift(certs);
			sk_X509_push(all, x);
			if (X509_check_ca(x) == 0 || !pe_has_key_cert_sign(x)) {
				cn = pe_common_name(x);
				err_set(err, ERR_INVALID,
					"certificate with common name \"%s\" is not a valid CA",
					cn);
				goto out;
			}
		}
		sk_X509_free(certs);
		certs = NULL;
	}
	if (sk_X509_num(all) == 0) {
		json_object_del(prov, "attestationRoots");
		rc = 0;
		goto out;
	}
	if ((b64 = pe_certs_b64(all, "", err)) == NULL)
		goto out;
	json_object_set_new(prov, "attestationRoots", json_string(b64));
	rc = 0;
out:
	free(cn);
	free(b64);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(all, X509_free);
	return rc;
}

int pe_apply_acme(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	if (add || flag_is_set(ctx, "force-cn"))
		pe_set_flag_bool(prov, "forceCN", flag_bool(ctx, "force-cn"));
	if (add || flag_is_set(ctx, "require-eab"))
		pe_set_flag_bool(prov, "requireEAB", flag_bool(ctx, "require-eab"));
	edit_acme_list(ctx, prov, "challenges", acme_challenges, "challenge", "remove-challenge");
	edit_acme_list(ctx, prov, "attestationFormats", acme_formats, "attestation-format",
		       "remove-attestation-format");
	if (flag_is_set(ctx, "attestation-roots"))
		return attestation_roots(ctx, prov, err);
	return 0;
}

int pe_apply_oidc(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const char *type = flag_defined(ctx, "type") ? flag_str(ctx, "type") : "OIDC";
	const char *ep = flag_str(ctx, "configuration-endpoint");

	if (add && flag_str(ctx, "client-id") == NULL)
		return err_set(err, ERR_INVALID, "'--type %s' requires the '--client-id' flag",
			       type);
	if (add && ep == NULL)
		return err_set(err, ERR_INVALID,
			       "'--type %s' requires the '--configuration-endpoint' flag", type);
	if (flag_is_set(ctx, "configuration-endpoint") && ep != NULL) {
		if (!str_has_prefix(ep, "https://") && !str_has_prefix(ep, "http://"))
			return cli_err_invalid(err, "configuration-endpoint", ep, NULL);
	}
	if (add || flag_is_set(ctx, "client-id"))
		json_object_set_new(prov, "clientID",
				    json_string(flag_str(ctx, "client-id") != NULL
						    ? flag_str(ctx, "client-id")
						    : ""));
	if (add || flag_is_set(ctx, "client-secret"))
		json_object_set_new(prov, "clientSecret",
				    json_string(flag_str(ctx, "client-secret") != NULL
						    ? flag_str(ctx, "client-secret")
						    : ""));
	if (flag_is_set(ctx, "configuration-endpoint"))
		json_object_set_new(prov, "configurationEndpoint",
				    json_string(ep != NULL ? ep : ""));
	if (add || flag_is_set(ctx, "tenant-id"))
		pe_set_str(prov, "tenantID", flag_str(ctx, "tenant-id"));
	if (add || flag_is_set(ctx, "listen-address"))
		pe_set_str(prov, "listenAddress", flag_str(ctx, "listen-address"));
	pe_edit_list(ctx, prov, "admins", "admin", "remove-admin");
	pe_edit_list(ctx, prov, "domains", "domain", "remove-domain");
	pe_edit_list(ctx, prov, "groups", "group", NULL);
	/* step sets scopes and authParams on update only: add ignores --scope and --auth-param */
	if (!add) {
		pe_edit_list(ctx, prov, "scopes", "scope", "remove-scope");
		pe_edit_list(ctx, prov, "authParams", "auth-param", NULL);
	}
	/* clientID, clientSecret and configurationEndpoint are always written */
	if (json_object_get(prov, "clientSecret") == NULL)
		json_object_set_new(prov, "clientSecret", json_string(""));
	return 0;
}

int pe_apply_k8ssa(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const char *file = flag_str(ctx, "public-key"), *bad_type = NULL;
	EVP_PKEY **keys = NULL;
	size_t n = 0, len = 0;
	char *text = NULL, *joined = NULL, *b64;
	int rc = -1;

	if (file == NULL) {
		if (add)
			return err_set(err, ERR_INVALID,
				       "'--type k8sSA' requires the '--public-key' flag");
		return 0;
	}
	if (pe_read_file(file, &text, &len, err) != 0) {
		err_wrap(err, "error reading pem keys");
		goto out;
	}
	if (pem_public_keys((const uint8_t *)text, len, &keys, &n, &bad_type, err) != 0) {
		if (bad_type != NULL)
			err_set(err, ERR_INVALID, "Unexpected public key type %s in %s", bad_type,
				file);
		else
			err_wrap(err, "error parsing public key from %s", file);
		goto out;
	}
	if (n == 0) {
		json_object_del(prov, "publicKeys");
		rc = 0;
		goto out;
	}
	/* step sends each key as a PKIX "PUBLIC KEY" PEM; step-ca joins them with a newline */
	joined = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *pem = NULL, *next;
		if (key_public_to_pem(keys[i], &pem, err) != 0)
			goto out;
		next = xasprintf("%s%s%s", joined, i > 0 ? "\n" : "", pem);
		free(pem);
		free(joined);
		joined = next;
	}
	b64 = b64_encode(joined, strlen(joined));
	json_object_set_new(prov, "publicKeys", json_string(b64));
	free(b64);
	rc = 0;
out:
	pem_keys_free(keys, n);
	free(joined);
	free(text);
	return rc;
}
