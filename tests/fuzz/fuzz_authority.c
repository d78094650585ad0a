/* fuzz_authority.c - what a client's bytes reach behind the router: the request bodies and
 * the Authorization header handed to a real authority (the fixture CA of ca_fixture.h).
 *
 * The first byte picks the endpoint, the rest is what the client sent:
 *   '0' POST /sign body          sign_body_parse + authority_sign (token_authorize: JWS, kid
 *                                and iss lookup, audiences, x5c header chains, sans, cnf)
 *   '1' POST /renew              the Authorization header value ("Bearer <x5cInsecure token>")
 *   '2' POST /revoke body        revoke_body_parse + authority_revoke (serial bases, tokens)
 *   '3' Kyma renewal body        kyma_body_parse + authority_kyma_renew (fixed mTLS peer)
 *   '4' POST /rekey body         rekey_body_parse + authority_renew (fixed mTLS peer)
 *   '5' GET lookups              /provisioners?cursor=&limit=, /provisioners/{kid}/encrypted-
 *                                key, /root/{sha256}: "<cursor or kid or sha>\n<limit>"
 * and, as a client holding the provisioner key (the target signs what the fuzzer writes):
 *   '6' token claims             a JSON object signed as a JWK token, sent to /sign with a
 *                                fixed CSR: the claim checks (aud, iss, sub, sans, cnf, times)
 *   '7' names                    {"cn": "...", "sans": [...]}: a CSR and a matching token
 *                                with these names: SAN classification, the name policy and
 *                                the certificate's names
 * Invariants: success issues a certificate with a decimal serial; a failure caused by the
 * client's bytes never maps to a 500 (501 is allowed: the in-memory store cannot revoke).
 * Issuances are not committed (the fixture's dry store, fx_authority_new_dry) so a valid seed
 * token stays usable; the authority is rebuilt every FX_REBUILD inputs, which bounds the
 * store's memory of used token ids (revocations record theirs).
 *
 * STRIDE_FUZZ_SEEDS=<dir> ./fuzz_authority writes fresh seed corpora for this and the other
 * targets to <dir>/<target>/ and exits (see seedgen.h).
 */
#include <ctype.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority/authority.h"
#include "base/duration.h"
#include "base/error.h"
#include "client/token.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/x509build.h"
#include "jose/jws.h"
#include "server/decode.h"
#include "server/respond.h"
#include "server/server.h"

#include "ca_fixture.h"
#include "seedgen.h"

#define FX_REBUILD	4096
#define FX_PEER_CN	"kyma.fuzz.test"
#define FUZZ_MAX_HEADER (8 * 1024) /* evhttp's default header limit is larger; a token fits */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct authority *auth;
static unsigned long runs;
static X509 *peer;	    /* an mTLS client certificate issued by the fixture intermediate */
static bool debug;	    /* STRIDE_FUZZ_DEBUG=1: print each input's outcome (checking seeds) */
static EVP_PKEY *prov_key;  /* the JWK provisioner's private key */
static EVP_PKEY *csr_key;   /* the key of the CSRs the target makes */
static X509_REQ *fixed_csr; /* CN=fuzz.example.com, SANs fuzz.example.com and 10.0.0.1 */

/* Issues the fixed mTLS peer: CN=kyma.fuzz.test, provisioner extension of the JWK one. */
static X509 *mint_peer(void)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	STACK_OF(X509) *inter = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	struct signer *signer = NULL;
	struct names sans = {0};
	X509_NAME *subject = X509_NAME_new();
	X509 *out = NULL;
	struct error err = {0};

	strv_push(&sans.dns, FX_PEER_CN);
	X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)FX_PEER_CN,
				   -1, -1, 0);
	if (cert_parse_chain((const uint8_t *)FX_INTER_PEM, strlen(FX_INTER_PEM), &inter, &err) ||
	    key_parse_private((const uint8_t *)FX_INTER_KEY_PEM, strlen(FX_INTER_KEY_PEM), NULL,
			      &ca_key, &err) ||
	    key_generate(&spec, &key, &err) || (signer = signer_file_new(ca_key)) == NULL) {
		fprintf(stderr, "fuzz_authority: %s\n", err.msg);
		abort();
	}
	{
		struct leaf_spec ls = {
		    .subject = subject,
		    .sans = &sans,
		    .public_key = key,
		    .not_before_ns = time_now_ns() - NS_PER_HOUR,
		    .not_after_ns = time_now_ns() + 24 * NS_PER_HOUR,
		    .server_auth = true,
		    .client_auth = true,
		    .prov_type = PROV_CODE_JWK,
		    .prov_name = FX_PROV_NAME,
		    .prov_cred_id = FX_PROV_KID,
		};
		if (x509_issue_leaf(&ls, sk_X509_value(inter, 0), signer, &out, &err) != 0) {
			fprintf(stderr, "fuzz_authority: %s\n", err.msg);
			abort();
		}
	}
	signer_free(signer); /* owns ca_key */
	EVP_PKEY_free(key);
	names_free(&sans);
	X509_NAME_free(subject);
	sk_X509_pop_free(inter, X509_free);
	return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("STRIDE_FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	if (seeds != NULL && seeds[0] != '\0')
		exit(seedgen_write_all(seeds));
	peer = mint_peer();
	{
		struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
		struct strv sans = {0};
		struct error err = {0};

		strv_push(&sans, "fuzz.example.com");
		strv_push(&sans, "10.0.0.1");
		if (key_parse_private((const uint8_t *)FX_PROV_KEY_PEM, strlen(FX_PROV_KEY_PEM),
				      NULL, &prov_key, &err) != 0 ||
		    key_generate(&spec, &csr_key, &err) != 0 ||
		    csr_create(csr_key, "fuzz.example.com", &sans, &fixed_csr, &err) != 0) {
			fprintf(stderr, "fuzz_authority: %s\n", err.msg);
			abort();
		}
		strv_free(&sans);
	}
	debug = getenv("STRIDE_FUZZ_DEBUG") != NULL;
	return 0;
}

static bool is_decimal(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A client's bytes may be refused, but never as a fault of the server. */
static void check_error(const struct error *err)
{
	char msg[ERR_MSG_MAX + 256];
	int status = http_error_map(err, msg, sizeof(msg));

	if (debug)
		fprintf(stderr, "fuzz_authority: %d %s\n", status, err->msg);
	if (status >= 500 && status != 501) {
		fprintf(stderr, "client input gave %d: %s (%s)\n", status, err->msg,
			err_kind_name(err->kind));
		abort();
	}
}

static void check_issued(int rc, const struct issued *out, const struct error *err)
{
	if (rc != 0) {
		check_error(err);
		return;
	}
	if (out->der == NULL || !is_decimal(out->serial)) {
		fprintf(stderr, "issued without a certificate or with serial %s\n",
			out->serial != NULL ? out->serial : "(null)");
		abort();
	}
	if (debug)
		fprintf(stderr, "fuzz_authority: issued serial %s\n", out->serial);
}

static void do_sign(const uint8_t *p, size_t n)
{
	struct sign_body b;
	struct issued out = {0};
	struct error err = {0};

	if (sign_body_parse(p, n, SERVER_MAX_BODY, &b, &err) != 0) {
		if (debug)
			fprintf(stderr, "fuzz_authority: body: %s\n", err.msg);
		return;
	}
	{
		struct sign_request req = {
		    .csr = b.csr,
		    .ott = b.ott,
		    .not_before = b.not_before,
		    .not_after = b.not_after,
		    .template_data = b.template_data,
		};
		check_issued(authority_sign(auth, &req, &out, &err), &out, &err);
	}
	issued_free(&out);
	sign_body_free(&b);
}

/* The header value as evhttp hands it over: NUL-terminated, cut at the first NUL. */
static void do_renew(const char *header)
{
	struct renew_request req = {.peer_verified = true};
	struct issued out = {0};
	struct error err = {0};

	/* handlers.c's rule: a Bearer token only counts without a client certificate. */
	if (strncmp(header, "Bearer ", 7) == 0)
		req.bearer_token = header + 7;
	check_issued(authority_renew(auth, &req, &out, &err), &out, &err);
	issued_free(&out);
}

static void do_revoke(const uint8_t *p, size_t n)
{
	struct revoke_body b;
	struct error err = {0};
	char *serial = NULL;

	if (revoke_body_parse(p, n, SERVER_MAX_BODY, &b, &err) != 0)
		return;
	{
		struct revoke_request req = {
		    .serial = b.serial,
		    .ott = b.ott,
		    .peer_verified = true,
		    .reason_code = b.reason_code,
		    .reason = b.reason,
		    .passive = b.passive,
		};
		if (authority_revoke(auth, &req, &serial, &err) != 0)
			check_error(&err);
		else if (serial != NULL && !is_decimal(serial))
			abort();
		else if (debug)
			fprintf(stderr, "fuzz_authority: revoked %s\n", serial);
	}
	free(serial);
	revoke_body_free(&b);
}

static void do_kyma(const uint8_t *p, size_t n)
{
	X509_REQ *csr = NULL;
	struct issued out = {0};
	struct error err = {0};

	if (kyma_body_parse(p, n, SERVER_MAX_BODY, &csr, &err) != 0)
		return;
	check_issued(authority_kyma_renew(auth, peer, csr, &out, &err), &out, &err);
	issued_free(&out);
	X509_REQ_free(csr);
}

static void do_rekey(const uint8_t *p, size_t n)
{
	struct sign_body b;
	struct issued out = {0};
	struct error err = {0};

	if (rekey_body_parse(p, n, SERVER_MAX_BODY, &b, &err) != 0)
		return;
	{
		struct renew_request req = {
		    .peer = peer,
		    .peer_verified = true,
		    .csr = b.csr,
		};
		check_issued(authority_renew(auth, &req, &out, &err), &out, &err);
	}
	issued_free(&out);
	sign_body_free(&b);
}

static void do_lookups(char *s)
{
	char *limit = strchr(s, '\n');
	json_t *page = NULL;
	char *jwe = NULL;
	struct error err = {0};

	if (limit != NULL)
		*limit++ = '\0';
	if (authority_provisioners_page(auth, s, limit, &page, &err) == 0) {
		if (!json_is_array(json_object_get(page, "provisioners")))
			abort();
		json_decref(page);
	} else {
		check_error(&err);
	}
	if (authority_encrypted_key(auth, s, &jwe, &err) == 0 && jwe == NULL)
		abort();
	free(jwe);
	(void)authority_root_by_fingerprint(auth, s);
}

/* Signs claims as a token of the JWK provisioner; malloc'd or NULL. */
static char *sign_claims(const json_t *claims)
{
	json_t *header = json_pack("{s:s, s:s}", "kid", FX_PROV_KID, "typ", "JWT");
	char *token = NULL;
	struct error err = {0};

	if (jws_sign(header, claims, prov_key, &token, &err) != 0) {
		if (debug)
			fprintf(stderr, "fuzz_authority: jws_sign: %s\n", err.msg);
		token = NULL;
	}
	json_decref(header);
	return token;
}

static void sign_with(X509_REQ *csr, const char *token)
{
	struct issued out = {0};
	struct error err = {0};
	struct sign_request req = {.csr = csr, .ott = token, .not_before = "", .not_after = ""};

	check_issued(authority_sign(auth, &req, &out, &err), &out, &err);
	issued_free(&out);
}

static void do_claims(const uint8_t *p, size_t n)
{
	json_t *claims = json_loadb((const char *)p, n, 0, NULL);
	char *token = json_is_object(claims) ? sign_claims(claims) : NULL;

	if (token != NULL)
		sign_with(fixed_csr, token);
	free(token);
	json_decref(claims);
}

static void do_names(const uint8_t *p, size_t n)
{
	json_t *doc = json_loadb((const char *)p, n, 0, NULL), *v;
	const char *cn = json_string_value(json_object_get(doc, "cn"));
	struct strv sans = {0};
	X509_REQ *csr = NULL;
	char *token = NULL;
	size_t i;

	if (cn == NULL)
		goto out;
	json_array_foreach(json_object_get(doc, "sans"), i, v)
	{
		if (json_is_string(v))
			strv_push(&sans, json_string_value(v));
	}
	if (csr_create(csr_key, cn, &sans, &csr, NULL) != 0)
		goto out;
	{
		struct token_params tp = {
		    .issuer = FX_PROV_NAME,
		    .kid = FX_PROV_KID,
		    .subject = cn,
		    .sans = &sans,
		    .audience = FX_AUDIENCE "/1.0/sign",
		    .not_before_sec = time_now_ns() / NS_PER_SEC,
		    .not_after_sec = time_now_ns() / NS_PER_SEC + 300,
		};
		if (token_build(prov_key, &tp, &token, NULL) != 0)
			goto out;
	}
	sign_with(csr, token);
out:
	free(token);
	X509_REQ_free(csr);
	strv_free(&sans);
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size == 0 || size > SERVER_MAX_BODY)
		return 0;
	if (auth == NULL || runs++ % FX_REBUILD == 0) {
		authority_free(auth);
		auth = fx_authority_new_dry();
	}
	switch (data[0] % 8) {
	case 0:
		do_sign(data + 1, size - 1);
		break;
	case 1:
	case 5:
		if (size - 1 > FUZZ_MAX_HEADER)
			break;
		s = xmalloc(size);
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		if (data[0] % 8 == 1)
			do_renew(s);
		else
			do_lookups(s);
		free(s);
		break;
	case 2:
		do_revoke(data + 1, size - 1);
		break;
	case 3:
		do_kyma(data + 1, size - 1);
		break;
	case 4:
		do_rekey(data + 1, size - 1);
		break;
	case 6:
		do_claims(data + 1, size - 1);
		break;
	case 7:
		do_names(data + 1, size - 1);
		break;
	}
	return 0;
}
