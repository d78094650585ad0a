/* token.c - provisioner tokens as step's CLI makes them. */
#include <jansson.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "jose/jwk.h"
#include "jose/jws.h"

#define RENEW_TOKEN_ISSUER "step-ca-client/1.0"
#define MAX_DELAY_SEC	   (30 * 60)
#define MIN_WINDOW_SEC	   10
#define MAX_WINDOW_SEC	   (60 * 60)

static int random_jti(char **out, struct error *err)
{
	unsigned char raw[32];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return err_openssl(err, ERR_CRYPTO, "error generating token id");
	*out = hex_encode(raw, sizeof(raw));
	return 0;
}

static json_t *build_claims(const struct token_params *p, const char *jti)
{
	json_t *claims = json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:s}", "aud", p->audience, "exp",
				   (json_int_t)p->not_after_sec, "iat",
				   (json_int_t)p->not_before_sec, "iss", p->issuer, "jti", jti,
				   "nbf", (json_int_t)p->not_before_sec, "sub", p->subject);

	if (claims == NULL)
		return NULL;
	if (p->sans != NULL) {
		json_t *sans = json_array();
		for (size_t i = 0; i < p->sans->n; i++)
			json_array_append_new(sans, json_string(p->sans->v[i]));
		json_object_set_new(claims, "sans", sans);
	}
	if (p->root_sha != NULL)
		json_object_set_new(claims, "sha", json_string(p->root_sha));
	if (p->step != NULL)
		json_object_set(claims, "step", (json_t *)p->step);
	if (p->user != NULL)
		json_object_set(claims, "user", (json_t *)p->user);
	if (p->cnf != NULL)
		json_object_set_new(claims, "cnf", json_pack("{s:s}", "x5rt#S256", p->cnf));
	return claims;
}

/* The chain as an array of base64 DER strings, leaf first (RFC 7515 x5c encoding). */
static json_t *x5c_array(STACK_OF(X509) * chain, struct error *err)
{
	json_t *arr = json_array();

	for (int i = 0; i < sk_X509_num(chain); i++) {
		uint8_t *der = NULL;
		size_t len = 0;
		char *b64;

		if (cert_to_der(sk_X509_value(chain, i), &der, &len, err) != 0) {
			json_decref(arr);
			return NULL;
		}
		b64 = b64_encode(der, len);
		json_array_append_new(arr, json_string(b64));
		free(b64);
		OPENSSL_free(der);
	}
	return arr;
}

int token_build(EVP_PKEY *key, const struct token_params *p, char **out, struct error *err)
{
	json_t *header = NULL, *claims = NULL;
	char *jti = NULL;
	int rc = -1;

	if (random_jti(&jti, err) != 0)
		goto out;
	header = json_pack("{s:s, s:s}", "kid", p->kid, "typ", "JWT");
	if (header != NULL && p->x5c != NULL) {
		json_t *x5c = x5c_array(p->x5c, err);
		if (x5c == NULL)
			goto out;
		json_object_set_new(header, "x5c", x5c);
	}
	claims = build_claims(p, jti);
	if (header == NULL || claims == NULL) {
		err_set(err, ERR_INVALID, "error building the token claims");
		goto out;
	}
	rc = jws_sign(header, claims, key, out, err);
out:
	json_decref(header);
	json_decref(claims);
	free(jti);
	return rc;
}

int token_build_renew(STACK_OF(X509) * chain, EVP_PKEY *key, const char *audience,
		      int64_t not_before_sec, int64_t not_after_sec, char **out, struct error *err)
{
	X509 *leaf = sk_X509_value(chain, 0);
	json_t *header = NULL, *claims = NULL, *x5c;
	char thumb[44], *cn = NULL, *jti = NULL;
	int rc = -1;

	if (leaf == NULL || !key_public_equal(key, X509_get0_pubkey(leaf)))
		return err_set(err, ERR_INVALID, "the key does not match the certificate");
	if (random_jti(&jti, err) != 0)
		return -1;
	if (jwk_thumbprint(key, thumb, err) != 0 || (x5c = x5c_array(chain, err)) == NULL) {
		free(jti);
		return -1;
	}
	cn = cert_common_name(leaf);
	header = json_pack("{s:s, s:s, s:o}", "kid", thumb, "typ", "JWT", "x5cInsecure", x5c);
	claims =
	    json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:s}", "aud", audience, "exp",
		      (json_int_t)not_after_sec, "iat", (json_int_t)not_before_sec, "iss",
		      RENEW_TOKEN_ISSUER, "jti", jti, "nbf", (json_int_t)not_before_sec, "sub", cn);
	if (header == NULL || claims == NULL)
		err_set(err, ERR_INVALID, "error building the renew token");
	else
		rc = jws_sign(header, claims, key, out, err);
	json_decref(header);
	json_decref(claims);
	free(cn);
	free(jti);
	return rc;
}

char *token_admin_subject(X509 *leaf)
{
	struct names n = {0};
	char *s;

	if (cert_names(leaf, &n, NULL) != 0)
		return xstrdup("");
	if (n.cn != NULL && n.cn[0] != '\0')
		s = xstrdup(n.cn);
	else if (n.dns.n > 0)
		s = xstrdup(n.dns.v[0]);
	else if (n.email.n > 0)
		s = xstrdup(n.email.v[0]);
	else
		s = xstrdup("");
	names_free(&n);
	return s;
}

int token_build_admin(STACK_OF(X509) * chain, EVP_PKEY *key, const char *audience, int64_t now_sec,
		      char **out, struct error *err)
{
	X509 *leaf = sk_X509_value(chain, 0);
	json_t *header = NULL, *claims = NULL, *x5c = NULL;
	char thumb[44], *sub = NULL, *jti = NULL;
	int rc = -1;

	if (leaf == NULL || !key_public_equal(key, X509_get0_pubkey(leaf)))
		return err_set(err, ERR_INVALID,
			       "the admin key does not match the admin certificate");
	if (random_jti(&jti, err) != 0 || jwk_thumbprint(key, thumb, err) != 0 ||
	    (x5c = x5c_array(chain, err)) == NULL)
		goto out;
	sub = token_admin_subject(leaf);
	header = json_pack("{s:s, s:s, s:O}", "kid", thumb, "typ", "JWT", "x5c", x5c);
	claims = json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:s}", "aud", audience, "exp",
			   (json_int_t)(now_sec + TOKEN_DEFAULT_LIFETIME_SEC), "iat",
			   (json_int_t)now_sec, "iss", ADMIN_TOKEN_ISSUER, "jti", jti, "nbf",
			   (json_int_t)now_sec, "sub", sub);
	if (header == NULL || claims == NULL) {
		err_set(err, ERR_INVALID, "error building the admin token");
		goto out;
	}
	rc = jws_sign(header, claims, key, out, err);
out:
	json_decref(header);
	json_decref(claims);
	json_decref(x5c);
	free(sub);
	free(jti);
	return rc;
}

static int parse_bound(const char *flag, const char *v, int64_t now_ns, int64_t *out_sec, bool *set,
		       struct error *err)
{
	int64_t ns;

	if (time_or_duration_parse(v != NULL ? v : "", now_ns, &ns, set, err) != 0)
		return err_set(err, ERR_INVALID, "invalid value '%s' for flag '%s'", v, flag);
	*out_sec = ns / NS_PER_SEC;
	return 0;
}

static const char *fmt_time(int64_t sec, char *buf, size_t n)
{
	return time_format_rfc3339(sec * NS_PER_SEC, buf, n);
}

int token_window(const char *not_before, const char *not_after, int64_t now_sec, int64_t *nbf_sec,
		 int64_t *exp_sec, struct error *err)
{
	bool nb_set, na_set;
	char a[64], b[64], d[64];
	int64_t win;

	if (parse_bound("--not-before", not_before, now_sec * NS_PER_SEC, nbf_sec, &nb_set, err) !=
		0 ||
	    parse_bound("--not-after", not_after, now_sec * NS_PER_SEC, exp_sec, &na_set, err) != 0)
		return -1;
	if (!nb_set)
		*nbf_sec = now_sec;
	if (!na_set)
		*exp_sec = *nbf_sec + TOKEN_DEFAULT_LIFETIME_SEC;
	if (*exp_sec < *nbf_sec)
		return err_set(err, ERR_INVALID, "nbf < exp: nbf=%s, exp=%s",
			       fmt_time(*nbf_sec, a, sizeof(a)), fmt_time(*exp_sec, b, sizeof(b)));
	if (*nbf_sec - now_sec > MAX_DELAY_SEC)
		return err_set(err, ERR_INVALID,
			       "requested validity delay is too long: 'requested validity delay' "
			       "= %s, 'max validity delay' = 30m0s",
			       duration_format((*nbf_sec - now_sec) * NS_PER_SEC, d, sizeof(d)));
	win = *exp_sec - *nbf_sec;
	if (win < MIN_WINDOW_SEC)
		return err_set(err, ERR_INVALID,
			       "requested token validity is too short: 'requested token validity' "
			       "= %s, 'minimum token validity' = 10s",
			       duration_format(win * NS_PER_SEC, d, sizeof(d)));
	if (win > MAX_WINDOW_SEC)
		return err_set(err, ERR_INVALID,
			       "requested token validity is too long: 'requested token validity' "
			       "= %s, 'maximum token validity' = 1h0m0s",
			       duration_format(win * NS_PER_SEC, d, sizeof(d)));
	return 0;
}

char *token_audience(const char *ca_url, const char *path)
{
	const char *host = strstr(ca_url, "://");
	size_t host_len;

	host = host != NULL ? host + 3 : ca_url;
	host_len = strcspn(host, "/?#");
	return xasprintf("https://%.*s%s", (int)host_len, host, path);
}
