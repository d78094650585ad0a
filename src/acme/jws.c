/* jws.c - the JWS of every ACME POST (RFC 8555 §6.2) and the external account binding
 * (RFC 8555 §7.3.4).
 *
 * Parsing accepts the flattened JSON serialization (RFC 7515 §7.2.2), the general one with
 * exactly one signature and the compact one; every header parameter must be protected
 * (RFC 8555 §6.2). Decoding is strict base64url without padding. Verification is jose's
 * (jws_verify_raw) after the ACME checks on the key: its type must suit "alg" and an RSA key
 * must have at least 2048 bits, with step-ca's texts for both.
 */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "base/b64.h"
#include "base/str.h"
#include "crypto/key.h"
#include "jose/jwk.h"
#include "jose/jws.h"

#define RSA_MIN_BITS 2048
#define TXT_RSA_SIZE "rsa keys must be at least 2048 bits (256 bytes) in size"
#define TXT_KEY_ALG  "jws key type and algorithm do not match"
#define ALGS_TEXT    "ES256, ES384, ES512, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512"

/* The signature algorithms RFC 8555 §6.2 lets a server accept, with the key they need. */
static const struct {
	const char *name;
	const char *kty; /* JWK "kty" */
	const char *crv; /* EC and OKP: the curve */
} acme_algs[] = {
    {"ES256", "EC", "P-256"},	 {"ES384", "EC", "P-384"}, {"ES512", "EC", "P-521"},
    {"EdDSA", "OKP", "Ed25519"}, {"RS256", "RSA", NULL},   {"RS384", "RSA", NULL},
    {"RS512", "RSA", NULL},	 {"PS256", "RSA", NULL},   {"PS384", "RSA", NULL},
    {"PS512", "RSA", NULL},
};

/* Index of alg in acme_algs, or -1. */
static int alg_index(const char *alg)
{
	for (size_t i = 0; i < sizeof(acme_algs) / sizeof(acme_algs[0]); i++)
		if (strcmp(acme_algs[i].name, alg) == 0)
			return (int)i;
	return -1;
}

/* JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2; "k": a symmetric key). */
static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

/* Decodes a strict base64url string into a fresh NUL-terminated buffer. */
static int decode_part(const char *s, size_t n, uint8_t **out, size_t *out_len)
{
	uint8_t *buf = xmalloc(n / 4 * 3 + 3);

	if (!b64url_decode_strict_to(s, n, buf, out_len)) {
		free(buf);
		*out = NULL;
		return -1;
	}
	buf[*out_len] = '\0';
	*out = buf;
	return 0;
}

/* The three base64url parts of a JWS, borrowed from the body or from its JSON. */
struct parts {
	const char *prot, *payload, *sig;
	size_t prot_len, payload_len, sig_len;
};

/* A string member of a JWS JSON object: *s, *n set; -1 (malformed) when absent or not a
 * string. */
static int part_member(const json_t *obj, const char *name, const char *what, const char **s,
		       size_t *n, struct acme_problem *p)
{
	const json_t *v = json_object_get(obj, name);

	if (v == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, "%s has no \"%s\"", what, name);
	if (!json_is_string(v))
		return acme_fail(p, ACME_PROB_MALFORMED, "%s \"%s\" must be a string", what, name);
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 0;
}

/* The parts of a JWS in JSON form: flattened, or general with exactly one signature. No
 * unprotected header (RFC 8555 §6.2). what names the JWS in details. */
static int json_parts(const json_t *obj, const char *what, struct parts *out,
		      struct acme_problem *p)
{
	const json_t *sigs = json_object_get(obj, "signatures"), *sigobj = obj;

	if (!json_is_object(obj))
		return acme_fail(p, ACME_PROB_MALFORMED, "%s must be a JSON object", what);
	if (sigs != NULL) {
		if (json_object_get(obj, "protected") != NULL ||
		    json_object_get(obj, "signature") != NULL)
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "%s mixes the general and the flattened serialization",
					 what);
		if (!json_is_array(sigs))
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "%s \"signatures\" must be an array", what);
		if (json_array_size(sigs) != 1)
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "%s must have exactly one signature, not %zu", what,
					 json_array_size(sigs));
		sigobj = json_array_get(sigs, 0);
		if (!json_is_object(sigobj))
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "%s signature must be a JSON object", what);
	}
	if (json_object_get(obj, "header") != NULL || json_object_get(sigobj, "header") != NULL)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "%s has an unprotected header; every header parameter must be "
				 "in \"protected\"",
				 what);
	if (part_member(sigobj, "protected", what, &out->prot, &out->prot_len, p) != 0 ||
	    part_member(obj, "payload", what, &out->payload, &out->payload_len, p) != 0 ||
	    part_member(sigobj, "signature", what, &out->sig, &out->sig_len, p) != 0)
		return -1;
	return 0;
}

/* The parts of a compact JWS: exactly three, separated by dots. */
static int compact_parts(const uint8_t *body, size_t len, struct parts *out, struct acme_problem *p)
{
	const char *s = (const char *)body;
	const char *d1 = memchr(s, '.', len), *d2;

	d2 = d1 != NULL ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s)) : NULL;
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - s)) != NULL)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "JWS is neither JSON nor a compact serialization (three "
				 "base64url parts separated by dots)");
	out->prot = s;
	out->prot_len = (size_t)(d1 - s);
	out->payload = d1 + 1;
	out->payload_len = (size_t)(d2 - d1 - 1);
	out->sig = d2 + 1;
	out->sig_len = len - (size_t)(d2 + 1 - s);
	return 0;
}

/* Decodes the protected header into a JSON object, and the signature; builds the signing
 * input. what names the JWS in details. */
static int decode_common(const struct parts *pt, const char *what, json_t **header, char **si,
			 size_t *si_len, uint8_t **sig, size_t *sig_len, struct acme_problem *p)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	json_error_t jerr;
	int rc = -1;

	if (pt->prot_len == 0) {
		acme_fail(p, ACME_PROB_MALFORMED, "%s protected header is empty", what);
		goto out;
	}
	if (decode_part(pt->prot, pt->prot_len, &raw, &raw_len) != 0) {
		acme_fail(p, ACME_PROB_MALFORMED, "%s protected header is not valid base64url",
			  what);
		goto out;
	}
	*header = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
	if (*header == NULL) {
		acme_fail(p, ACME_PROB_MALFORMED, "%s protected header is not valid JSON: %s", what,
			  jerr.text);
		goto out;
	}
	if (!json_is_object(*header)) {
		acme_fail(p, ACME_PROB_MALFORMED, "%s protected header is not a JSON object", what);
		goto out;
	}
	if (decode_part(pt->sig, pt->sig_len, sig, sig_len) != 0) {
		acme_fail(p, ACME_PROB_MALFORMED, "%s signature is not valid base64url", what);
		goto out;
	}
	if (*sig_len == 0) {
		acme_fail(p, ACME_PROB_MALFORMED, "%s signature is empty", what);
		goto out;
	}
	/* RFC 7515 §4.1.11: a critical extension stride does not understand (it understands
	 * none, "b64" included) makes the JWS invalid */
	if (json_object_get(*header, "crit") != NULL) {
		acme_fail(p, ACME_PROB_MALFORMED,
			  "%s protected header has a \"crit\" parameter, which is not supported",
			  what);
		goto out;
	}
	*si =
	    xasprintf("%.*s.%.*s", (int)pt->prot_len, pt->prot, (int)pt->payload_len, pt->payload);
	*si_len = pt->prot_len + 1 + pt->payload_len;
	rc = 0;
out:
	free(raw);
	return rc;
}

/* An optional string member of the protected header: *out NULL when absent. */
static int header_str(const json_t *header, const char *name, const char **out,
		      struct acme_problem *p)
{
	const json_t *v = json_object_get(header, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "JWS protected header \"%s\" must be a string", name);
	*out = json_string_value(v);
	return 0;
}

/* Bits of a big-endian unsigned number. */
static int be_bits(const uint8_t *b, size_t n)
{
	size_t i = 0;
	int bits;

	while (i < n && b[i] == 0)
		i++;
	if (i == n)
		return 0;
	bits = (int)(n - i - 1) * 8;
	for (unsigned v = b[i]; v != 0; v >>= 1)
		bits++;
	return bits;
}

/* Checks a JWK against the JWS algorithm before it becomes a key: its type (and curve) must
 * suit alg, an RSA modulus must have at least 2048 bits, no private member, and its own "alg"
 * (when present) must be alg. */
static int jwk_suits_alg(const json_t *jwk, const char *alg, struct acme_problem *p)
{
	int i = alg_index(alg);
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const json_t *jalg = json_object_get(jwk, "alg");

	if (i < 0)
		return acme_fail(p, ACME_PROB_BAD_SIGNATURE_ALGORITHM,
				 "unsupported JWS algorithm \"%.32s\" (supported: " ALGS_TEXT ")",
				 alg);
	for (size_t k = 0; k < sizeof(private_members) / sizeof(private_members[0]); k++)
		if (json_object_get(jwk, private_members[k]) != NULL)
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "\"jwk\" must be a public key, it has the private member "
					 "\"%s\"",
					 private_members[k]);
	if (kty == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, "\"jwk\" has no \"kty\"");
	if (strcmp(kty, acme_algs[i].kty) != 0 ||
	    (acme_algs[i].crv != NULL && (crv == NULL || strcmp(crv, acme_algs[i].crv) != 0)))
		return acme_fail(p, ACME_PROB_MALFORMED, TXT_KEY_ALG);
	if (strcmp(kty, "RSA") == 0) {
		const json_t *n = json_object_get(jwk, "n");
		uint8_t *raw = NULL;
		size_t raw_len = 0;
		int bits;

		if (!json_is_string(n) ||
		    decode_part(json_string_value(n), json_string_length(n), &raw, &raw_len) != 0)
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "\"jwk\" \"n\" is not a base64url string");
		bits = be_bits(raw, raw_len);
		free(raw);
		if (bits < RSA_MIN_BITS)
			return acme_fail(p, ACME_PROB_MALFORMED, TXT_RSA_SIZE);
	}
	if (jalg != NULL && (!json_is_string(jalg) || strcmp(json_string_value(jalg), alg) != 0))
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "\"jwk\" \"alg\" is \"%.32s\", the JWS algorithm is \"%s\"",
				 json_is_string(jalg) ? json_string_value(jalg) : "", alg);
	return 0;
}

int acme_jws_parse(const uint8_t *body, size_t len, struct acme_jws *out, struct acme_problem *p)
{
	json_t *doc = NULL;
	struct parts pt = {0};
	size_t i = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0)
		return acme_fail(p, ACME_PROB_MALFORMED, "request body is empty (a JWS is needed)");
	if (len > ACME_JWS_MAX)
		return acme_fail(p, ACME_PROB_MALFORMED, "JWS is larger than %d bytes",
				 ACME_JWS_MAX);
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i < len && body[i] == '{') {
		json_error_t jerr;

		doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
		if (doc == NULL) {
			acme_fail(p, ACME_PROB_MALFORMED, "JWS is not valid JSON: %s", jerr.text);
			goto out;
		}
		if (json_parts(doc, "JWS", &pt, p) != 0)
			goto out;
	} else if (compact_parts(body, len, &pt, p) != 0) {
		goto out;
	}
	if (decode_common(&pt, "JWS", &out->header, &out->signing_input, &out->signing_input_len,
			  &out->sig, &out->sig_len, p) != 0)
		goto out;
	if (decode_part(pt.payload, pt.payload_len, &out->payload, &out->payload_len) != 0) {
		acme_fail(p, ACME_PROB_MALFORMED, "JWS payload is not valid base64url");
		goto out;
	}

	if (header_str(out->header, "alg", &out->alg, p) != 0 ||
	    header_str(out->header, "nonce", &out->nonce, p) != 0 ||
	    header_str(out->header, "url", &out->url, p) != 0 ||
	    header_str(out->header, "kid", &out->kid, p) != 0)
		goto out;
	if (out->alg == NULL) {
		acme_fail(p, ACME_PROB_MALFORMED, "JWS protected header has no \"alg\"");
		goto out;
	}
	if (strcmp(out->alg, "none") == 0 || str_has_prefix(out->alg, "HS")) {
		acme_fail(p, ACME_PROB_BAD_SIGNATURE_ALGORITHM,
			  "JWS algorithm \"%.32s\" is not allowed: ACME requests need a public key "
			  "signature (" ALGS_TEXT ")",
			  out->alg);
		goto out;
	}
	if (alg_index(out->alg) < 0) {
		acme_fail(p, ACME_PROB_BAD_SIGNATURE_ALGORITHM,
			  "unsupported JWS algorithm \"%.32s\" (supported: " ALGS_TEXT ")",
			  out->alg);
		goto out;
	}
	out->jwk = json_object_get(out->header, "jwk");
	if (out->jwk != NULL && out->kid != NULL) {
		acme_fail(p, ACME_PROB_MALFORMED,
			  "JWS protected header has both \"jwk\" and \"kid\"; exactly one is "
			  "needed");
		goto out;
	}
	if (out->jwk == NULL && out->kid == NULL) {
		acme_fail(p, ACME_PROB_MALFORMED,
			  "JWS protected header has neither \"jwk\" nor \"kid\"; exactly one is "
			  "needed");
		goto out;
	}
	if (out->kid != NULL && out->kid[0] == '\0') {
		acme_fail(p, ACME_PROB_MALFORMED, "JWS protected header \"kid\" is empty");
		goto out;
	}
	if (out->jwk != NULL) {
		if (!json_is_object(out->jwk)) {
			acme_fail(p, ACME_PROB_MALFORMED,
				  "JWS protected header \"jwk\" must be a JSON object");
			goto out;
		}
		/* step-ca checks the embedded key against alg as it parses (RSA size, type) */
		if (jwk_suits_alg(out->jwk, out->alg, p) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	if (rc != 0)
		acme_jws_free(out);
	return rc;
}

/* Checks that key suits the JWS algorithm alg (one of acme_algs). */
static int key_suits_alg(EVP_PKEY *key, const char *alg, struct acme_problem *p)
{
	const char *kalg = key_jws_alg(key);

	if (kalg == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, TXT_KEY_ALG);
	if (strcmp(kalg, "RS256") == 0) {
		if (alg[0] != 'R' && alg[0] != 'P')
			return acme_fail(p, ACME_PROB_MALFORMED, TXT_KEY_ALG);
		if (EVP_PKEY_get_bits(key) < RSA_MIN_BITS)
			return acme_fail(p, ACME_PROB_MALFORMED, TXT_RSA_SIZE);
		return 0;
	}
	if (strcmp(kalg, alg) != 0)
		return acme_fail(p, ACME_PROB_MALFORMED, TXT_KEY_ALG);
	return 0;
}

int acme_jws_verify(const struct acme_jws *j, EVP_PKEY *key, struct acme_problem *p)
{
	struct error err = {0};
	uint8_t padded[2 * 66];
	size_t half = 0;

	if (j == NULL || j->alg == NULL || j->signing_input == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, "no JWS to verify");
	if (alg_index(j->alg) < 0)
		return acme_fail(p, ACME_PROB_BAD_SIGNATURE_ALGORITHM,
				 "unsupported JWS algorithm \"%.32s\" (supported: " ALGS_TEXT ")",
				 j->alg);
	if (key_suits_alg(key, j->alg, p) != 0)
		return -1;
	if (j->jwk != NULL && json_object_get(j->jwk, "alg") != NULL &&
	    !json_equal(json_object_get(j->jwk, "alg"), json_object_get(j->header, "alg")))
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "\"jwk\" \"alg\" is not the JWS algorithm \"%s\"", j->alg);
	if (jws_verify_raw(j->alg, key, j->signing_input, j->signing_input_len, j->sig, j->sig_len,
			   &err) == 0)
		return 0;
	if (err.kind == ERR_CRYPTO)
		return acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot verify the JWS signature");
	/* Some clients drop a leading zero byte of R or S, so the signature is one or two bytes
	 * short (newest step-ca retries these with zero padding): try each place the missing
	 * zeros can have been. */
	if (j->alg[0] == 'E' && j->alg[1] == 'S') {
		half = strcmp(j->alg, "ES256") == 0 ? 32 : strcmp(j->alg, "ES384") == 0 ? 48 : 66;
		if (j->sig_len + 2 >= 2 * half && j->sig_len < 2 * half) {
			size_t missing = 2 * half - j->sig_len;

			for (size_t r_short = 0; r_short <= missing; r_short++) {
				size_t s_short = missing - r_short, r_len = half - r_short;

				memset(padded, 0, sizeof(padded));
				memcpy(padded + r_short, j->sig, r_len);
				memcpy(padded + half + s_short, j->sig + r_len, half - s_short);
				if (jws_verify_raw(j->alg, key, j->signing_input,
						   j->signing_input_len, padded, 2 * half,
						   NULL) == 0)
					return 0;
			}
		}
	}
	ERR_clear_error();
	if (j->alg[0] == 'E' && j->alg[1] == 'S' && j->sig_len != 2 * half && half != 0)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "JWS signature is invalid: %s signatures are %zu bytes, this one "
				 "has %zu",
				 j->alg, 2 * half, j->sig_len);
	return acme_fail(p, ACME_PROB_MALFORMED,
			 "JWS signature is invalid: it does not verify with the %s key",
			 j->jwk != NULL ? "embedded \"jwk\"" : "account's");
}

int acme_jws_jwk_key(const struct acme_jws *j, EVP_PKEY **out, struct acme_problem *p)
{
	struct error err = {0};
	EVP_PKEY *key = NULL;

	*out = NULL;
	if (j == NULL || j->jwk == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, "JWS protected header has no \"jwk\"");
	if (jwk_suits_alg(j->jwk, j->alg, p) != 0)
		return -1;
	if (jwk_to_pkey(j->jwk, &key, &err) != 0)
		return acme_fail(p, ACME_PROB_MALFORMED, "%s", err.msg);
	if (key_suits_alg(key, j->alg, p) != 0) {
		EVP_PKEY_free(key);
		return -1;
	}
	*out = key;
	return 0;
}

void acme_jws_free(struct acme_jws *j)
{
	if (j == NULL)
		return;
	json_decref(j->header);
	free(j->payload);
	free(j->signing_input);
	free(j->sig);
	memset(j, 0, sizeof(*j));
}

/* ---- external account binding (RFC 8555 §7.3.4) --------------------------------------- */

#define EAB "external account binding"

/* The digest of an EAB algorithm, or NULL. */
static const EVP_MD *eab_md(const char *alg)
{
	if (alg == NULL)
		return NULL;
	if (strcmp(alg, "HS256") == 0)
		return EVP_sha256();
	if (strcmp(alg, "HS384") == 0)
		return EVP_sha384();
	if (strcmp(alg, "HS512") == 0)
		return EVP_sha512();
	return NULL;
}

int acme_eab_parse(const json_t *eab, const char *outer_url, struct acme_eab *out,
		   struct acme_problem *p)
{
	struct parts pt = {0};
	const char *url;
	uint8_t *payload = NULL;
	size_t payload_len = 0;
	json_error_t jerr;
	EVP_PKEY *key = NULL;
	struct error err = {0};
	const json_t *kid;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (json_parts(eab, EAB, &pt, p) != 0)
		goto out;
	if (pt.prot_len + pt.payload_len + pt.sig_len > ACME_JWS_MAX) {
		acme_fail(p, ACME_PROB_MALFORMED, EAB " is larger than %d bytes", ACME_JWS_MAX);
		goto out;
	}
	if (decode_common(&pt, EAB, &out->header, &out->signing_input, &out->signing_input_len,
			  &out->sig, &out->sig_len, p) != 0)
		goto out;
	out->alg = json_string_value(json_object_get(out->header, "alg"));
	if (out->alg == NULL) {
		acme_fail(p, ACME_PROB_MALFORMED, EAB " protected header has no \"alg\"");
		goto out;
	}
	if (eab_md(out->alg) == NULL) {
		acme_fail(p, ACME_PROB_MALFORMED,
			  EAB " algorithm \"%.32s\" is not supported (HS256, HS384, HS512)",
			  out->alg);
		goto out;
	}
	kid = json_object_get(out->header, "kid");
	if (!json_is_string(kid) || json_string_length(kid) == 0) {
		acme_fail(p, ACME_PROB_MALFORMED,
			  EAB " protected header needs a non-empty \"kid\" (the EAB key ID)");
		goto out;
	}
	out->kid = json_string_value(kid);
	if (json_object_get(out->header, "nonce") != NULL) {
		acme_fail(p, ACME_PROB_MALFORMED,
			  EAB " must not have a \"nonce\" (RFC 8555 section 7.3.4)");
		goto out;
	}
	url = json_string_value(json_object_get(out->header, "url"));
	if (url == NULL) {
		acme_fail(p, ACME_PROB_MALFORMED, EAB " protected header has no \"url\"");
		goto out;
	}
	if (outer_url == NULL || strcmp(url, outer_url) != 0) {
		acme_fail(p, ACME_PROB_MALFORMED,
			  EAB " \"url\" \"%.200s\" is not the request's \"url\"", url);
		goto out;
	}
	if (decode_part(pt.payload, pt.payload_len, &payload, &payload_len) != 0) {
		acme_fail(p, ACME_PROB_MALFORMED, EAB " payload is not valid base64url");
		goto out;
	}
	out->payload =
	    json_loadb((const char *)payload, payload_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(out->payload)) {
		acme_fail(p, ACME_PROB_MALFORMED, EAB " payload is not a JWK: not a JSON object");
		goto out;
	}
	for (size_t k = 0; k < sizeof(private_members) / sizeof(private_members[0]); k++) {
		if (json_object_get(out->payload, private_members[k]) != NULL) {
			acme_fail(p, ACME_PROB_MALFORMED,
				  EAB " payload must be a public JWK, it has the private member "
				      "\"%s\"",
				  private_members[k]);
			goto out;
		}
	}
	if (jwk_to_pkey(out->payload, &key, &err) != 0) {
		acme_fail(p, ACME_PROB_MALFORMED, EAB " payload is not a JWK: %s", err.msg);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	free(payload);
	if (rc != 0)
		acme_eab_free(out);
	return rc;
}

int acme_eab_verify(const struct acme_eab *e, const uint8_t *key, size_t key_len,
		    struct acme_problem *p)
{
	const EVP_MD *md = e != NULL ? eab_md(e->alg) : NULL;
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	int rc = -1;

	if (md == NULL || e->signing_input == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, "no " EAB " to verify");
	if (key == NULL || key_len == 0 || key_len > INT32_MAX) {
		acme_fail(p, ACME_PROB_UNAUTHORIZED, EAB " key \"%.64s\" has no HMAC key", e->kid);
		goto out;
	}
	if (HMAC(md, key, (int)key_len, (const unsigned char *)e->signing_input,
		 e->signing_input_len, mac, &mac_len) == NULL) {
		ERR_clear_error();
		acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot compute the " EAB " HMAC");
		goto out;
	}
	if (e->sig_len != mac_len || CRYPTO_memcmp(mac, e->sig, mac_len) != 0) {
		acme_fail(p, ACME_PROB_UNAUTHORIZED,
			  EAB " signature does not verify with the HMAC key of \"%.64s\"", e->kid);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

void acme_eab_free(struct acme_eab *e)
{
	if (e == NULL)
		return;
	json_decref(e->header);
	json_decref(e->payload);
	free(e->signing_input);
	free(e->sig);
	memset(e, 0, sizeof(*e));
}
