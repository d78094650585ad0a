/* authority.c - building the authority from ca.json, and its read-only views. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority/admin_state.h"
#include "authority/internal.h"
#include "authority/templates.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/invariant.h"
#include "base/password.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/x509build.h"
#include "store/store.h"

#define PROVISIONERS_DEFAULT_LIMIT 20
#define PROVISIONERS_MAX_LIMIT	   100
#define TLS_CERT_LIFETIME	   (24 * NS_PER_HOUR)
#define TLS_CERT_BACKDATE	   NS_PER_MIN

/* Appends every certificate of each file to *stack (created on first use). */
static int load_cert_files(const struct strv *paths, STACK_OF(X509) * stack, struct error *err)
{
	for (size_t i = 0; i < paths->n; i++) {
		STACK_OF(X509) *certs = NULL;

		if (cert_load_chain_file(paths->v[i], &certs, err) != 0)
			return -1;
		while (sk_X509_num(certs) > 0)
			sk_X509_push(stack, sk_X509_shift(certs));
		sk_X509_free(certs);
	}
	return 0;
}

/* Key values that name a KMS rather than a file (step-ca's KMS URI schemes). */
static bool is_kms_uri(const char *key)
{
	static const char *const schemes[] = {
	    "pkcs11:", "yubikey:",     "tpmkms:", "awskms:", "cloudkms:", "azurekms:",
	    "capi:",   "sshagentkms:", "mackms:", "kms:",    NULL};
	for (size_t i = 0; schemes[i] != NULL; i++)
		if (str_has_prefix(key, schemes[i]))
			return true;
	return false;
}

/* Reads and decrypts the intermediate key and checks it belongs to the intermediate cert. */
static int load_signer(struct authority *a, const char *password, struct error *err)
{
	const char *path = a->cfg->key;
	uint8_t *data = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (is_kms_uri(path)) {
		err_set(err, ERR_NOT_IMPLEMENTED, "key '%s': KMS keys are not supported yet", path);
		goto out;
	}
	if (file_read(path, 1024 * 1024, &data, &len, err) != 0)
		goto out;
	if (key_pem_is_encrypted(data, len) && password == NULL) {
		err_set(err, ERR_INVALID, "%s is encrypted: a password is required", path);
		goto out;
	}
	if (key_parse_private(data, len, password, &key, err) != 0) {
		err_wrap(err, "error reading %s", path);
		goto out;
	}
	if (!key_public_equal(key, X509_get0_pubkey(a->issuer))) {
		err_set(err, ERR_INVALID, "the key %s does not match the certificate %s", path,
			a->cfg->crt);
		goto out;
	}
	a->signer = signer_file_new(key);
	key = NULL;
	INVARIANT(a->signer != NULL); /* key_parse_private takes only keys a signer supports */
	rc = 0;
out:
	EVP_PKEY_free(key);
	if (data != NULL) {
		secure_wipe(data, len);
		free(data);
	}
	return rc;
}

static json_t *build_tls_options(const struct tls_config *tls)
{
	json_t *suites = json_array();

	for (size_t i = 0; i < tls->cipher_suites.n; i++)
		json_array_append_new(suites, json_string(tls->cipher_suites.v[i]));
	return json_pack("{s:o, s:f, s:f, s:b}", "cipherSuites", suites, "minVersion",
			 tls->min_version, "maxVersion", tls->max_version, "renegotiation",
			 tls->renegotiation);
}

static int load_certificates(struct authority *a, struct error *err)
{
	struct strv crt = {0};
	int rc;

	a->roots = sk_X509_new_null();
	a->federation = sk_X509_new_null();
	a->intermediates = sk_X509_new_null();
	strv_push(&crt, a->cfg->crt);
	rc = load_cert_files(&a->cfg->roots, a->roots, err) != 0 ||
	     load_cert_files(&a->cfg->roots, a->federation, err) != 0 ||
	     load_cert_files(&a->cfg->federated_roots, a->federation, err) != 0 ||
	     load_cert_files(&crt, a->intermediates, err) != 0;
	strv_free(&crt);
	if (rc)
		return -1;
	if (sk_X509_num(a->roots) == 0)
		return err_set(err, ERR_INVALID, "no root certificate found");
	a->issuer = sk_X509_value(a->intermediates, 0);
	a->trust = cert_store_new(a->roots);
	a->fingerprints = xcalloc((size_t)sk_X509_num(a->federation), sizeof(*a->fingerprints));
	for (int i = 0; i < sk_X509_num(a->federation); i++)
		if (cert_fingerprint(sk_X509_value(a->federation, i), a->fingerprints[i], err) != 0)
			return -1;
	return 0;
}

/* The parts of every SignResponse that never change, encoded once (15 digits print the TLS
 * versions as 1.2 and 1.3, as Go does). */
static int precompute_json(struct authority *a, struct error *err)
{
	int n = sk_X509_num(a->intermediates);

	a->intermediates_json = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		char *pem = NULL;
		json_t *str;

		if (cert_to_pem(sk_X509_value(a->intermediates, i), &pem, err) != 0)
			return -1;
		str = json_string(pem);
		free(pem);
		a->intermediates_json[i] = str != NULL ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
		json_decref(str);
		if (a->intermediates_json[i] == NULL)
			return err_set(err, ERR_INTERNAL,
				       "cannot encode the intermediate certificate");
	}
	if (a->tls_options != NULL) {
		a->tls_options_json =
		    json_dumps(a->tls_options, JSON_COMPACT | JSON_REAL_PRECISION(15));
		if (a->tls_options_json == NULL)
			return err_set(err, ERR_INTERNAL, "cannot encode the TLS options");
	}
	return 0;
}

int authority_new(struct ca_config *cfg, const char *key_password, struct store *store,
		  struct authority **out, struct error *err)
{
	struct authority *a = xcalloc(1, sizeof(*a));
	const char *password = key_password != NULL ? key_password : cfg->password;

	templates_set_base(cfg->path);
	a->cfg = cfg;
	a->start_sec = (int64_t)time(NULL);
	a->store = store;
	if (load_certificates(a, err) != 0 || load_signer(a, password, err) != 0 ||
	    admin_state_start(a, true, password, err) != 0)
		goto fail;
	a->tls_options = build_tls_options(&cfg->tls);
	if (precompute_json(a, err) != 0)
		goto fail;
	if (store != NULL && store->remote &&
	    pool_new(pool_default_threads(), POOL_MAX_QUEUED, &a->pool, err) != 0)
		goto fail;
	{
		char *dp = NULL;

		if (cfg->crl.enabled && cfg->crl.distribution_point && cfg->dns_names.n > 0)
			dp = crl_config_url(&cfg->crl, cfg->dns_names.v[0]);
		authority_set_leaf_urls(a, dp, cfg->ocsp.url);
		free(dp);
	}
	*out = a;
	return 0;
fail:
	a->cfg = NULL; /* the caller keeps cfg and store on failure */
	a->store = NULL;
	authority_free(a);
	return -1;
}

int authority_new_admin(struct ca_config *cfg, struct store *store, struct authority **out,
			struct error *err)
{
	struct authority *a = xcalloc(1, sizeof(*a));

	templates_set_base(cfg->path);
	a->cfg = cfg;
	a->start_sec = (int64_t)time(NULL);
	a->store = store;
	if (admin_state_start(a, false, NULL, err) != 0) {
		a->cfg = NULL; /* the caller keeps cfg and store on failure */
		a->store = NULL;
		authority_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

bool authority_has_db(const struct authority *a)
{
	return a->cfg->has_db;
}

size_t authority_acme_provisioner_count(struct authority *a)
{
	struct prov_set *s = prov_set_get(a);
	size_t n = 0;

	for (size_t i = 0; i < s->provs.n; i++)
		if (s->provs.v[i].type == PROV_ACME)
			n++;
	prov_set_put(s);
	return n;
}

void authority_free(struct authority *a)
{
	if (a == NULL)
		return;
	/* The operations still queued run, then the store commits what they wrote and their
	 * callbacks run: nothing below is needed by then. */
	pool_free(a->pool);
	admin_state_stop(a);
	store_close(a->store);
	json_decref(a->tls_options);
	for (char **p = a->intermediates_json; p != NULL && *p != NULL; p++)
		free(*p);
	free(a->intermediates_json);
	free(a->tls_options_json);
	authority_leaf_urls_free(a);
	free(a->fingerprints);
	X509_STORE_free(a->trust);
	sk_X509_pop_free(a->roots, X509_free);
	sk_X509_pop_free(a->federation, X509_free);
	sk_X509_pop_free(a->intermediates, X509_free);
	signer_free(a->signer);
	ca_config_free(a->cfg);
	free(a);
}

const struct ca_config *authority_config(const struct authority *a)
{
	return a->cfg;
}

STACK_OF(X509) * authority_roots(const struct authority *a)
{
	return a->roots;
}

STACK_OF(X509) * authority_federation(const struct authority *a)
{
	return a->federation;
}

STACK_OF(X509) * authority_intermediates(const struct authority *a)
{
	return a->intermediates;
}

X509_STORE *authority_trust_store(const struct authority *a)
{
	return a->trust;
}

const json_t *authority_tls_options(const struct authority *a)
{
	return a->tls_options;
}

const char *authority_intermediate_json(const struct authority *a, int i)
{
	return a->intermediates_json[i];
}

const char *authority_tls_options_json(const struct authority *a)
{
	return a->tls_options_json;
}

int64_t authority_start_time(const struct authority *a)
{
	return a->start_sec;
}

X509 *authority_root_by_fingerprint(const struct authority *a, const char *fingerprint)
{
	char want[65];

	if (cert_fingerprint_normalize(fingerprint, want, NULL) != 0)
		return NULL;
	for (int i = 0; i < sk_X509_num(a->federation); i++)
		if (strcmp(a->fingerprints[i], want) == 0)
			return sk_X509_value(a->federation, i);
	return NULL;
}

/* Parses the "limit" query parameter with step's bounds. */
static int parse_limit(const char *s, size_t *out, struct error *err)
{
	long long v;

	*out = PROVISIONERS_DEFAULT_LIMIT;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (parse_int64(s, &v, NULL) != 0)
		return err_public(err, ERR_INVALID, "limit '%s' is not an integer", s);
	if (v > PROVISIONERS_MAX_LIMIT)
		*out = PROVISIONERS_MAX_LIMIT;
	else if (v > 0)
		*out = (size_t)v;
	return 0;
}

/* The cursor is the decimal index of the next provisioner; "" starts at the beginning. */
static int parse_cursor(const char *s, size_t *out, struct error *err)
{
	long long v;

	*out = 0;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (parse_int64(s, &v, NULL) != 0 || v < 0)
		return err_public(err, ERR_INVALID, "cursor '%s' is not valid", s);
	*out = (size_t)v;
	return 0;
}

int authority_provisioners_page(struct authority *a, const char *cursor, const char *limit_str,
				json_t **out, struct error *err)
{
	struct prov_set *s;
	size_t start, limit, end, n;
	json_t *list;
	char next[32] = "";

	if (parse_limit(limit_str, &limit, err) != 0 || parse_cursor(cursor, &start, err) != 0)
		return -1;
	s = prov_set_get(a);
	n = s->provs.n;
	if (start > n)
		start = n;
	end = n - start > limit ? start + limit : n;
	list = json_array();
	for (size_t i = start; i < end; i++)
		json_array_append_new(list, json_deep_copy(s->provs.v[i].config));
	if (end < n)
		snprintf(next, sizeof(next), "%zu", end);
	prov_set_put(s);
	*out = json_pack("{s:o, s:s}", "provisioners", list, "nextCursor", next);
	return 0;
}

int authority_encrypted_key(struct authority *a, const char *kid, char **jwe, struct error *err)
{
	struct prov_set *s = prov_set_get(a);

	*jwe = NULL;
	for (size_t i = 0; i < s->provs.n && *jwe == NULL; i++) {
		const struct provisioner *p = &s->provs.v[i];

		if (p->type == PROV_JWK && p->encrypted_key != NULL && strcmp(p->kid, kid) == 0)
			*jwe = xstrdup(p->encrypted_key);
	}
	prov_set_put(s);
	if (*jwe == NULL)
		return err_set(err, ERR_NOT_FOUND, "provisioner with kid '%s' has no encrypted key",
			       kid);
	return 0;
}

int authority_mint_tls_cert(struct authority *a, EVP_PKEY **key, X509 **cert, struct error *err)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	struct names sans = {0};
	X509_NAME *subject = X509_NAME_new();
	int64_t now = time_now_ns();
	int rc = -1;

	*key = NULL;
	*cert = NULL;
	for (size_t i = 0; i < a->cfg->dns_names.n; i++)
		names_add_san(&sans, a->cfg->dns_names.v[i]);
	if (subject == NULL || X509_NAME_add_entry_by_txt(
				   subject, "CN", MBSTRING_UTF8,
				   (const unsigned char *)a->cfg->common_name, -1, -1, 0) != 1) {
		err_openssl(err, ERR_CRYPTO, "error creating the server certificate subject");
		goto out;
	}
	if (key_generate(&spec, key, err) != 0)
		goto out;
	{
		struct leaf_spec leaf = {
		    .subject = subject,
		    .sans = &sans,
		    .public_key = *key,
		    .not_before_ns = now - TLS_CERT_BACKDATE,
		    .not_after_ns = now + TLS_CERT_LIFETIME,
		    .server_auth = true,
		    .client_auth = true,
		};
		if (x509_issue_leaf(&leaf, a->issuer, a->signer, cert, err) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	X509_NAME_free(subject);
	names_free(&sans);
	return rc;
}
