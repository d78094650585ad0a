/* fuzz_acme_requests.c - every ACME request body parser behind a valid JWS: what an
 * authenticated ACME client sends to a real engine (acme_handle) over a real authority on a
 * SQLite store.
 *
 * Once per process (and again every WORLD_INPUTS inputs, which bounds the store) the target
 * builds the fixture CA of ca_fixture.h on a SQLite store in a temporary directory (on
 * /dev/shm when it exists, so that fsync costs nothing), an ACME
 * engine, an account (a signed new-account through acme_handle), a pending order, a ready order
 * (its authorizations marked valid in the store) and a certificate (a finalize). Then per
 * input the first byte picks the request (byte % 15; byte / 15 picks an authorization or a
 * challenge where there is a choice), the rest is the JWS payload, which the target signs
 * (ES256, flattened JSON) with a fresh nonce and the right url:
 *   0 new-account     jwk: the account key        7 certificate     kid
 *   1 account         kid (update, deactivate)    8 revoke-cert     jwk: the certificate's key
 *   2 new-order       kid                         9 key-change      kid; the payload is the
 *   3 order           kid (POST-as-GET)                             inner JWS as sent
 *   4 finalize        kid, the ready order        10 account orders kid
 *   5 authz           kid                         11 key-change     kid; the rest is the inner
 *   6 challenge       kid (validation: nowhere,                     payload, which the target
 *                     the resolver is a closed port)                signs with the next key
 *                                                 12 revoke-cert    kid
 *  13 new-order, then (when it is created) its authorizations made valid in the store and a
 *     finalize with a CSR for its identifiers (byte / 15 odd: no CN), so the fuzzer's names
 *     and validity reach issuance.
 *  14 new-account on a second ACME provisioner, "eab", with requireEAB, signed (jwk) by a key
 *     without an account; once one binds, a new EAB key and account key are made.
 * Before signing, the payload's placeholders are replaced: $ACCT (the account URL), $JWK (the
 * account's public JWK), $NEWJWK (the next key's), $CSR (base64url DER of a CSR for the ready
 * order's names), $CERT (base64url DER of the certificate), $URL (the request URL), $EAB (a
 * valid externalAccountBinding object for request 14), $EABKID (the EAB key's ID). So seeds
 * made once stay valid, and the fuzzer mutates around valid requests.
 *
 * Invariants, for every answer: done runs exactly once; the status is one of 200 201 204 400
 * 401 403 404 405 409 500 501 503, and never 500 (a client's mistake is never the server's
 * fault); every non-2xx answer is application/problem+json with an
 * urn:ietf:params:acme:error: type and a non-empty detail; every answer carries a valid
 * Replay-Nonce.
 *
 * What an input changes is repaired before the next one needs it: a deactivated account or one
 * whose key changed (to a key the target does not hold) is replaced by a new account, a
 * finalized order by a new ready one, a revoked certificate by a new one, a challenged
 * authorization by a new pending order. STRIDE_FUZZ_DEBUG=1 prints each answer.
 */
#include <curl/curl.h>
#include <ftw.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "acme/internal.h"
#include "base/b64.h"
#include "base/buf.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/str.h"
#include "crypto/csr.h"
#include "jose/jwk.h"
#include "store/store.h"

#include "ca_fixture.h"

#define HOST	      "fuzz.test"
#define BASE	      "/acme/acme"
#define WORLD_INPUTS  4000 /* inputs before the store is thrown away and made again */
#define PAYLOAD_MAX   (32 * 1024)
#define DONE_WAIT_SEC 30
#define ORDER_PAYLOAD                                                                              \
	"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"fuzz.test\"},{\"type\":\"ip\",\"value\":" \
	"\"127.0.0.1\"}]}"
#define N_SELECTORS    15
#define PROBLEM_PREFIX "urn:ietf:params:acme:error:"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum sel {
	S_NEW_ACCOUNT,
	S_ACCOUNT,
	S_NEW_ORDER,
	S_ORDER,
	S_FINALIZE,
	S_AUTHZ,
	S_CHALLENGE,
	S_CERT,
	S_REVOKE_JWK,
	S_KEY_CHANGE,
	S_ORDERS,
	S_KEY_CHANGE_SIGNED,
	S_REVOKE_KID,
	S_ORDER_FINALIZE,
	S_EAB_NEW_ACCOUNT,
};

enum fz_signer { SIGN_KID, SIGN_JWK, SIGN_CERT_KEY, SIGN_EAB_KEY };

struct world {
	char dir[48];
	struct authority *a;
	struct acme *ac;
	EVP_PKEY *key; /* the account's */
	char *jwk;     /* its public JWK, compact JSON */
	char thumb[44];
	EVP_PKEY *next_key; /* what harness-signed key changes roll over to */
	char *next_jwk;
	char acct[ACME_ID_LEN + 1];
	char pending[ACME_ID_LEN + 1];		/* a pending order */
	char pending_authz[2][ACME_ID_LEN + 1]; /* its authorizations (dns, ip) */
	char ready[ACME_ID_LEN + 1];		/* an order whose authorizations are valid */
	char cert[80];				/* a certificate's ID (its serial) */
	char *cert_b64;				/* its DER, base64url */
	/* the "eab" provisioner (requireEAB) */
	EVP_PKEY *eab_acct_key;	 /* signs its new-accounts: no account yet */
	struct acme_eab_key eab; /* an unbound EAB key */
};

static struct world w;
static bool have_world;
static unsigned long inputs;
static bool debug;
static EVP_PKEY *cert_key; /* the key of the CSRs the target makes */
static char *csr_b64;	   /* CN=fuzz.test, SANs fuzz.test and 127.0.0.1, with cert_key */

/* --- failing ------------------------------------------------------------------------------- */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "acme request invariant broken: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* --- waiting for done ---------------------------------------------------------------------- */

static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static unsigned long handled, done_runs;
static struct acme_response *answer;

static void on_done(void *arg, struct acme_response *resp)
{
	(void)arg;
	pthread_mutex_lock(&done_mu);
	done_runs++;
	if (answer == NULL && done_runs == handled) {
		answer = resp;
		resp = NULL;
	}
	pthread_cond_broadcast(&done_cv);
	pthread_mutex_unlock(&done_mu);
	if (resp != NULL) {
		/* a second run of done (or one for no request): reported by the next wait */
		acme_response_free(resp);
		free(resp);
	}
}

/* Serves req and waits for its answer (owned by the caller). */
static struct acme_response *serve(const struct acme_request *req)
{
	struct acme_response *r;
	struct timespec until;

	pthread_mutex_lock(&done_mu);
	if (done_runs != handled)
		fail("done ran %lu times for %lu requests", done_runs, handled);
	handled++;
	answer = NULL;
	pthread_mutex_unlock(&done_mu);
	acme_handle(w.ac, req, on_done, NULL);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DONE_WAIT_SEC;
	pthread_mutex_lock(&done_mu);
	while (answer == NULL && done_runs < handled)
		if (pthread_cond_timedwait(&done_cv, &done_mu, &until) != 0)
			break;
	r = answer;
	answer = NULL;
	if (done_runs != handled) {
		pthread_mutex_unlock(&done_mu);
		fail("done ran %lu times for %lu requests (%s)", done_runs, handled, req->path);
	}
	pthread_mutex_unlock(&done_mu);
	if (r == NULL)
		fail("no answer for %s", req->path);
	return r;
}

/* --- signing ------------------------------------------------------------------------------ */

/* ES256 over si, base64url of R||S; malloc'd. */
static char *es256(EVP_PKEY *key, const char *si)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[128], rs[64];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *es;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, (const uint8_t *)si, strlen(si)) != 1)
		fail("cannot sign");
	EVP_MD_CTX_free(ctx);
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (es == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32) != 32)
		fail("cannot encode a signature");
	ECDSA_SIG_free(es);
	return b64url_encode(rs, sizeof(rs));
}

/* A flattened JWS of payload (n bytes) signed by key with header hdr (alg added); malloc'd. */
static char *flattened(json_t *hdr, const uint8_t *payload, size_t n, EVP_PKEY *key)
{
	char *h, *hb, *pb, *si, *sig, *out;
	json_t *doc;

	json_object_set_new(hdr, "alg", json_string("ES256"));
	h = json_dumps(hdr, JSON_COMPACT);
	hb = b64url_encode(h, strlen(h));
	pb = b64url_encode(payload, n);
	si = xasprintf("%s.%s", hb, pb);
	sig = es256(key, si);
	doc = json_pack("{s:s, s:s, s:s}", "protected", hb, "payload", pb, "signature", sig);
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	free(h);
	free(hb);
	free(pb);
	free(si);
	free(sig);
	return out;
}

static char *jwk_text(EVP_PKEY *key)
{
	struct error err;
	json_t *j = jwk_from_pkey(key, false, &err);
	char *s;

	if (j == NULL)
		fail("jwk_from_pkey: %s", err.msg);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static EVP_PKEY *p256(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		fail("cannot make a key");
	return k;
}

/* --- answers ------------------------------------------------------------------------------ */

static bool allowed_status(int s)
{
	static const int ok[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 500, 501, 503};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == s)
			return true;
	return false;
}

/* The invariants of every answer. */
static void check_answer(const char *path, const struct acme_response *r)
{
	struct acme_problem p = {0};
	int64_t issued;
	int status = r->status;
	const char *body = r->body != NULL ? r->body : "";

	if (debug)
		fprintf(stderr, "fuzz_acme_requests: %s -> %d %.*s\n", path, status,
			(int)(r->body_len > 600 ? 600 : r->body_len), body);
	if (!allowed_status(status))
		fail("status %d for %s", status, path);
	if (status == 500)
		fail("a client's request answered 500: %s (%s)", body, path);
	if (r->nonce == NULL ||
	    acme_nonce_check(w.ac->nonce_key, r->nonce, time_now_ns(), &issued, &p) != 0)
		fail("no valid Replay-Nonce in the answer %d to %s", status, path);
	if (status >= 300) {
		json_t *doc = r->body != NULL ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
		const char *type = json_string_value(json_object_get(doc, "type"));
		const char *detail = json_string_value(json_object_get(doc, "detail"));

		if (r->content_type == NULL ||
		    strcmp(r->content_type, "application/problem+json") != 0)
			fail("answer %d to %s is not a problem document", status, path);
		if (type == NULL || !str_has_prefix(type, PROBLEM_PREFIX) ||
		    type[strlen(PROBLEM_PREFIX)] == '\0')
			fail("problem without an ACME type: %s (%s)", body, path);
		if (detail == NULL || detail[0] == '\0')
			fail("problem without a detail: %s (%s)", body, path);
		json_decref(doc);
	}
}

static void answer_free(struct acme_response *r)
{
	acme_response_free(r);
	free(r);
}

/* The last path segment of url into out, or "" */
static void last_segment(const char *url, char *out, size_t n)
{
	const char *s = url != NULL ? strrchr(url, '/') : NULL;

	snprintf(out, n, "%s", s != NULL ? s + 1 : "");
}

/* --- requests ----------------------------------------------------------------------------- */

/* Signs payload for path as signer and serves it; the answer has passed check_answer. */
static struct acme_response *post(const char *path, const uint8_t *payload, size_t n,
				  enum fz_signer signer)
{
	char nonce[ACME_NONCE_LEN + 1], *url = xasprintf("https://" HOST "%s", path), *body;
	struct error err;
	json_t *hdr;
	EVP_PKEY *key = signer == SIGN_CERT_KEY	 ? cert_key
			: signer == SIGN_EAB_KEY ? w.eab_acct_key
						 : w.key;
	struct acme_response *r;

	if (acme_nonce_new(w.ac->nonce_key, time_now_ns(), nonce, &err) != 0)
		fail("acme_nonce_new: %s", err.msg);
	hdr = json_pack("{s:s, s:s}", "nonce", nonce, "url", url);
	if (signer == SIGN_KID) {
		char *kid = xasprintf("https://" HOST BASE "/account/%s", w.acct);

		json_object_set_new(hdr, "kid", json_string(kid));
		free(kid);
	} else {
		char *jwk = jwk_text(key);

		json_object_set_new(hdr, "jwk", json_loads(jwk, 0, NULL));
		free(jwk);
	}
	body = flattened(hdr, payload, n, key);
	json_decref(hdr);
	{
		struct acme_request req = {
		    .method = ACME_POST,
		    .path = path,
		    .host = HOST,
		    .content_type = "application/jose+json",
		    .body = (const uint8_t *)body,
		    .body_len = strlen(body),
		    .client = "fuzz",
		};
		r = serve(&req);
	}
	check_answer(path, r);
	free(body);
	free(url);
	return r;
}

/* A request of the setup that must succeed with want. */
static struct acme_response *setup_post(const char *path, const char *payload, enum fz_signer s,
					int want)
{
	struct acme_response *r = post(path, (const uint8_t *)payload, strlen(payload), s);

	if (r->status != want)
		fail("setup request %s answered %d: %s", path, r->status,
		     r->body != NULL ? r->body : "");
	return r;
}

/* --- the world ----------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void world_free(void)
{
	if (!have_world)
		return;
	acme_free(w.ac);
	authority_free(w.a);
	EVP_PKEY_free(w.key);
	EVP_PKEY_free(w.next_key);
	free(w.jwk);
	free(w.next_jwk);
	free(w.cert_b64);
	EVP_PKEY_free(w.eab_acct_key);
	acme_eab_key_free(&w.eab);
	EVP_PKEY_free(cert_key);
	cert_key = NULL;
	free(csr_b64);
	csr_b64 = NULL;
	nftw(w.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	memset(&w, 0, sizeof(w));
	have_world = false;
}

static void set_key(EVP_PKEY *key)
{
	struct error err;

	EVP_PKEY_free(w.key);
	free(w.jwk);
	w.key = key;
	w.jwk = jwk_text(key);
	if (jwk_thumbprint(key, w.thumb, &err) != 0)
		fail("jwk_thumbprint: %s", err.msg);
}

static void set_next_key(EVP_PKEY *key)
{
	EVP_PKEY_free(w.next_key);
	free(w.next_jwk);
	w.next_key = key;
	w.next_jwk = jwk_text(key);
}

/* A new account with a new key. */
static void make_account(void)
{
	struct acme_response *r;

	set_key(p256());
	r = setup_post(BASE "/new-account",
		       "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:fuzz@fuzz.test\"]}",
		       SIGN_JWK, 201);
	last_segment(r->location, w.acct, sizeof(w.acct));
	answer_free(r);
	w.pending[0] = w.ready[0] = w.cert[0] = '\0';
}

/* A new order for fuzz.test and 127.0.0.1: id into order, its authorizations into authz. */
static void make_order(char order[ACME_ID_LEN + 1], char authz[2][ACME_ID_LEN + 1])
{
	struct acme_response *r = setup_post(BASE "/new-order", ORDER_PAYLOAD, SIGN_KID, 201);
	json_t *doc = json_loadb(r->body, r->body_len, 0, NULL);
	json_t *authzs = json_object_get(doc, "authorizations");

	if (json_array_size(authzs) != 2)
		fail("new order without two authorizations: %s", r->body);
	last_segment(r->location, order, ACME_ID_LEN + 1);
	for (size_t i = 0; i < 2; i++)
		last_segment(json_string_value(json_array_get(authzs, i)), authz[i],
			     ACME_ID_LEN + 1);
	json_decref(doc);
	answer_free(r);
}

/* Adds to t the authorization id, and its first challenge, made valid (what a validation
 * would write). */
static void validate_authz(struct store_txn *t, const char *id)
{
	struct acme_problem p;
	json_t *rec = NULL;
	int64_t version = 0;
	bool found = false;
	char *owner = NULL;

	if (acme_rec_get(w.ac, ACME_COL_AUTHZS, id, &found, &rec, &version, &owner, &p) != 0 ||
	    !found)
		fail("cannot read authorization %s", id);
	json_object_set_new(rec, "status", json_string("valid"));
	json_object_set_new(json_array_get(json_object_get(rec, "challenges"), 0), "status",
			    json_string("valid"));
	acme_txn_rec(t, STORE_REC_UPDATE, ACME_COL_AUTHZS, id, owner, rec, version,
		     acme_get_time(rec, "expires") + ACME_RECORD_KEEP_NS);
	json_decref(rec);
	free(owner);
}

/* Commits t (validate_authz's changes). */
static void validate_commit(struct store_txn *t)
{
	struct error err = {0};

	if (store_commit(w.ac->store, t, &err) != 0 || t->record_conflict)
		fail("cannot validate authorizations: %s", err.msg);
	store_txn_free(t);
}

static void make_ready(void)
{
	char authz[2][ACME_ID_LEN + 1];

	struct store_txn *t;

	make_order(w.ready, authz);
	t = store_txn_new();
	validate_authz(t, authz[0]);
	validate_authz(t, authz[1]);
	validate_commit(t);
}

/* A new certificate key and a CSR with it for the orders' names (a keyCompromise revocation
 * blocks the old key). */
static void new_cert_key(void)
{
	struct strv sans = {0};
	struct error err;
	X509_REQ *csr = NULL;
	unsigned char *der = NULL;
	int der_len;

	EVP_PKEY_free(cert_key);
	cert_key = p256();
	strv_push(&sans, "fuzz.test");
	strv_push(&sans, "127.0.0.1");
	if (csr_create(cert_key, "fuzz.test", &sans, &csr, &err) != 0)
		fail("csr_create: %s", err.msg);
	der_len = i2d_X509_REQ(csr, &der);
	if (der_len <= 0)
		fail("cannot encode the CSR");
	free(csr_b64);
	csr_b64 = b64url_encode(der, (size_t)der_len);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	strv_free(&sans);
}

/* Finalizes a new ready order with a new key: its certificate becomes the world's. */
static void make_cert(void)
{
	char *path, *payload;
	struct acme_response *r;
	json_t *doc, *rec = NULL;
	struct acme_problem p;
	bool found = false;

	new_cert_key();
	make_ready();
	path = xasprintf(BASE "/order/%s/finalize", w.ready);
	payload = xasprintf("{\"csr\":\"%s\"}", csr_b64);
	r = setup_post(path, payload, SIGN_KID, 200);
	doc = json_loadb(r->body, r->body_len, 0, NULL);
	last_segment(json_string_value(json_object_get(doc, "certificate")), w.cert,
		     sizeof(w.cert));
	json_decref(doc);
	answer_free(r);
	free(path);
	free(payload);
	w.ready[0] = '\0';
	if (acme_rec_get(w.ac, ACME_COL_CERTS, w.cert, &found, &rec, NULL, NULL, &p) != 0 || !found)
		fail("no certificate record %s", w.cert);
	free(w.cert_b64);
	w.cert_b64 = xstrdup(acme_get_str(rec, "der"));
	json_decref(rec);
}

/* ca.json text with a second ACME provisioner, "eab", that requires an external account
 * binding; takes text. */
static char *with_eab_provisioner(char *text)
{
	json_t *doc = json_loads(text, 0, NULL);
	char *out;

	json_array_append_new(
	    json_object_get(json_object_get(doc, "authority"), "provisioners"),
	    json_pack("{s:s, s:s, s:b}", "type", "ACME", "name", "eab", "requireEAB", 1));
	out = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	free(text);
	return out;
}

/* A new unbound EAB key of "eab" and a new key for the account it will bind. */
static void new_eab(void)
{
	struct error err;

	EVP_PKEY_free(w.eab_acct_key);
	w.eab_acct_key = p256();
	acme_eab_key_free(&w.eab);
	if (acme_eab_key_add(w.a, "eab", NULL, &w.eab, &err) != 0)
		fail("acme_eab_key_add: %s", err.msg);
}

/* The externalAccountBinding of RFC 8555 §7.3.4 for url: the JWK of the EAB account key
 * signed with HS256 under the EAB key; compact JSON, malloc'd. */
static char *eab_binding(const char *url)
{
	char *jwk = jwk_text(w.eab_acct_key), *h, *hb, *pb, *si, *sig, *out;
	uint8_t *key = NULL, mac[EVP_MAX_MD_SIZE];
	size_t key_len = 0;
	unsigned mac_len = 0;
	json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", w.eab.id, "url", url);
	json_t *doc;

	if (b64url_decode(w.eab.hmac_key, strlen(w.eab.hmac_key), &key, &key_len, NULL) != 0)
		fail("EAB key %s is not base64url", w.eab.id);
	h = json_dumps(hdr, JSON_COMPACT);
	hb = b64url_encode(h, strlen(h));
	pb = b64url_encode(jwk, strlen(jwk));
	si = xasprintf("%s.%s", hb, pb);
	if (HMAC(EVP_sha256(), key, (int)key_len, (const uint8_t *)si, strlen(si), mac, &mac_len) ==
	    NULL)
		fail("HMAC");
	sig = b64url_encode(mac, mac_len);
	doc = json_pack("{s:s, s:s, s:s}", "protected", hb, "payload", pb, "signature", sig);
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	json_decref(hdr);
	free(key);
	free(jwk);
	free(h);
	free(hb);
	free(pb);
	free(si);
	free(sig);
	return out;
}

static void world_new(void)
{
	char *text = with_eab_provisioner(fx_ca_json()), *db;
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct error err = {0};
	struct acme_options opts = {
	    .resolver = "127.0.0.1:9", /* nothing answers: validations fail at once */
	    .http_port = 9,
	    .tls_port = 9,
	    .validate_timeout_ms = 500,
	    .validators = 2,
	};

	/* on tmpfs when there is one: the store's fsync per commit would set the pace */
	snprintf(w.dir, sizeof(w.dir), "%s/stride-fuzz-acme-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(w.dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	db = path_join(w.dir, "db");
	if (ca_config_parse(text, strlen(text), "fuzz-ca.json", &cfg, &err) != 0 ||
	    store_open(&(struct store_config){.type = "sqlite", .data_source = db}, &store, &err) !=
		0 ||
	    authority_new(cfg, NULL, store, &w.a, &err) != 0 ||
	    acme_new(w.a, &opts, &w.ac, &err) != 0) {
		fprintf(stderr, "fuzz_acme_requests: %s\n", err.msg);
		abort();
	}
	free(db);
	free(text);
	have_world = true;
	set_next_key(p256());
	new_eab();
	make_account();
	make_order(w.pending, w.pending_authz);
	make_cert();
}

/* --- repairs: what the next input needs ---------------------------------------------------- */

static bool account_ok(void)
{
	struct acme_problem p;
	json_t *rec = NULL;
	bool found = false, ok;

	if (w.acct[0] == '\0' ||
	    acme_rec_get(w.ac, ACME_COL_ACCOUNTS, w.acct, &found, &rec, NULL, NULL, &p) != 0 ||
	    !found)
		return false;
	ok = strcmp(acme_get_str(rec, "status"), "valid") == 0 &&
	     strcmp(acme_get_str(rec, "thumbprint"), w.thumb) == 0;
	json_decref(rec);
	return ok;
}

static bool pending_ok(void)
{
	struct acme_problem p;
	json_t *rec = NULL, *ch;
	bool found = false, ok;
	size_t i;

	if (w.pending[0] == '\0' ||
	    acme_rec_get(w.ac, ACME_COL_AUTHZS, w.pending_authz[0], &found, &rec, NULL, NULL, &p) !=
		0 ||
	    !found)
		return false;
	ok = strcmp(acme_get_str(rec, "status"), "pending") == 0;
	json_array_foreach(json_object_get(rec, "challenges"), i, ch) ok =
	    ok && strcmp(acme_get_str(ch, "status"), "pending") == 0;
	json_decref(rec);
	return ok;
}

static bool ready_ok(void)
{
	struct acme_problem p;
	json_t *rec = NULL;
	bool found = false, ok;
	const char *st = "";

	if (w.ready[0] == '\0' ||
	    acme_rec_get(w.ac, ACME_COL_ORDERS, w.ready, &found, &rec, NULL, NULL, &p) != 0 ||
	    !found)
		return false;
	ok = acme_order_status(w.ac, rec, time_now_ns(), &st, &p) == 0 && strcmp(st, "ready") == 0;
	json_decref(rec);
	return ok;
}

static bool cert_ok(void)
{
	struct error err;
	bool revoked = true;

	return w.cert[0] != '\0' &&
	       w.ac->store->ops->is_revoked(w.ac->store, w.cert, &revoked, &err) == 0 && !revoked;
}

static void prepare(enum sel s)
{
	if (!account_ok())
		make_account();
	if ((s == S_ORDER || s == S_AUTHZ || s == S_CHALLENGE) && !pending_ok())
		make_order(w.pending, w.pending_authz);
	if ((s == S_CERT || s == S_REVOKE_JWK || s == S_REVOKE_KID) && !cert_ok())
		make_cert();
	if (s == S_FINALIZE && !ready_ok())
		make_ready();
}

/* --- placeholders -------------------------------------------------------------------------- */

/* The payload with the placeholders replaced; *n its length. NULL when it would be too long. */
static char *substitute(const uint8_t *in, size_t len, const char *url, size_t *n)
{
	char *acct = xasprintf("https://" HOST BASE "/account/%s", w.acct);
	char *eab = eab_binding(url);
	const struct {
		const char *name, *value;
	} subs[] = {
	    {"$ACCT", acct},	   {"$JWK", w.jwk}, {"$NEWJWK", w.next_jwk}, {"$CSR", csr_b64},
	    {"$CERT", w.cert_b64}, {"$URL", url},   {"$EABKID", w.eab.id},   {"$EAB", eab},
	};
	struct buf b;
	char *out = NULL;
	size_t i = 0;

	buf_init(&b, PAYLOAD_MAX);
	while (i < len) {
		size_t k, used = 0;

		for (k = 0; k < sizeof(subs) / sizeof(subs[0]); k++) {
			size_t nl = strlen(subs[k].name);

			if (len - i >= nl && memcmp(in + i, subs[k].name, nl) == 0) {
				if (buf_append_str(&b, subs[k].value != NULL ? subs[k].value : "",
						   NULL) != 0)
					goto out;
				used = nl;
				break;
			}
		}
		if (used == 0) {
			if (buf_append(&b, in + i, 1, NULL) != 0)
				goto out;
			used = 1;
		}
		i += used;
	}
	*n = b.len;
	out = buf_steal(&b);
out:
	buf_free(&b);
	free(acct);
	free(eab);
	return out;
}

/* --- issuance for the fuzzer's names ------------------------------------------------------- */

/* After a new-order the fuzzer wrote was created: its authorizations made valid, then a
 * finalize with a CSR for its identifiers (the CN the first one unless no_cn), so the names
 * and the validity the fuzzer chose reach issuance. */
static void finalize_new_order(const struct acme_response *created, bool no_cn)
{
	json_t *doc = json_loadb(created->body, created->body_len, 0, NULL), *v;
	struct strv sans = {0};
	struct error err;
	X509_REQ *csr = NULL;
	unsigned char *der = NULL;
	char order[ACME_ID_LEN + 1], authz[ACME_ID_LEN + 1], *path, *b64, *payload;
	const char *cn = NULL;
	int der_len;
	size_t i;
	struct store_txn *t = store_txn_new();

	last_segment(created->location, order, sizeof(order));
	json_array_foreach(json_object_get(doc, "authorizations"), i, v)
	{
		last_segment(json_string_value(v), authz, sizeof(authz));
		validate_authz(t, authz);
	}
	validate_commit(t);
	json_array_foreach(json_object_get(doc, "identifiers"), i, v)
	{
		const char *value = acme_get_str(v, "value");

		strv_push(&sans, value);
		if (cn == NULL && !no_cn)
			cn = value;
	}
	if (csr_create(cert_key, cn != NULL ? cn : "", &sans, &csr, &err) == 0 &&
	    (der_len = i2d_X509_REQ(csr, &der)) > 0) {
		struct acme_response *r;

		b64 = b64url_encode(der, (size_t)der_len);
		payload = xasprintf("{\"csr\":\"%s\"}", b64);
		path = xasprintf(BASE "/order/%s/finalize", order);
		r = post(path, (const uint8_t *)payload, strlen(payload), SIGN_KID);
		answer_free(r);
		free(path);
		free(payload);
		free(b64);
		OPENSSL_free(der);
	}
	X509_REQ_free(csr);
	strv_free(&sans);
	json_decref(doc);
}

/* --- the target ---------------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	debug = getenv("STRIDE_FUZZ_DEBUG") != NULL;
	/* libcurl and libssl set up here rather than on the first validator thread, where
	 * OpenSSL's initialisation leaves that thread's error state behind (stride-ca has them
	 * set up by its TLS listener before any validation) */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atexit(world_free);
	return 0;
}

/* The path an input goes to. */
static char *input_path(enum sel s, unsigned variant)
{
	switch (s) {
	case S_NEW_ACCOUNT:
		return xstrdup(BASE "/new-account");
	case S_ACCOUNT:
		return xasprintf(BASE "/account/%s", w.acct);
	case S_NEW_ORDER:
		return xstrdup(BASE "/new-order");
	case S_ORDER:
		return xasprintf(BASE "/order/%s", w.pending);
	case S_FINALIZE:
		return xasprintf(BASE "/order/%s/finalize", w.ready);
	case S_AUTHZ:
		return xasprintf(BASE "/authz/%s", w.pending_authz[variant % 2]);
	case S_CHALLENGE: {
		/* the dns authorization only: its validation asks the closed resolver */
		struct acme_problem p;
		json_t *rec = NULL, *chs;
		bool found = false;
		char *path;

		if (acme_rec_get(w.ac, ACME_COL_AUTHZS, w.pending_authz[0], &found, &rec, NULL,
				 NULL, &p) != 0 ||
		    !found)
			fail("no authorization %s", w.pending_authz[0]);
		chs = json_object_get(rec, "challenges");
		path = xasprintf(
		    BASE "/challenge/%s/%s", w.pending_authz[0],
		    acme_get_str(json_array_get(chs, variant % json_array_size(chs)), "id"));
		json_decref(rec);
		return path;
	}
	case S_CERT:
		return xasprintf(BASE "/certificate/%s", w.cert);
	case S_REVOKE_JWK:
	case S_REVOKE_KID:
		return xstrdup(BASE "/revoke-cert");
	case S_KEY_CHANGE:
	case S_KEY_CHANGE_SIGNED:
		return xstrdup(BASE "/key-change");
	case S_ORDERS:
		return xasprintf(BASE "/account/%s/orders", w.acct);
	case S_ORDER_FINALIZE:
		return xstrdup(BASE "/new-order");
	case S_EAB_NEW_ACCOUNT:
		return xstrdup("/acme/eab/new-account");
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum sel s;
	unsigned variant;
	char *path, *url, *payload;
	size_t n = 0;
	struct acme_response *r;
	enum fz_signer signer = SIGN_KID;

	if (size < 1 || size > PAYLOAD_MAX)
		return 0;
	if (have_world && inputs >= WORLD_INPUTS) {
		world_free();
		inputs = 0;
	}
	if (!have_world)
		world_new();
	inputs++;
	s = (enum sel)(data[0] % N_SELECTORS);
	variant = data[0] / N_SELECTORS;
	prepare(s);
	path = input_path(s, variant);
	url = xasprintf("https://" HOST "%s", path);
	payload = substitute(data + 1, size - 1, url, &n);
	if (payload == NULL)
		goto out;
	if (s == S_NEW_ACCOUNT)
		signer = SIGN_JWK;
	else if (s == S_EAB_NEW_ACCOUNT)
		signer = SIGN_EAB_KEY;
	else if (s == S_REVOKE_JWK)
		signer = SIGN_CERT_KEY;
	if (s == S_KEY_CHANGE_SIGNED) {
		/* the inner JWS of RFC 8555 §7.3.5, signed by the next key */
		json_t *hdr =
		    json_pack("{s:s, s:o}", "url", url, "jwk", json_loads(w.next_jwk, 0, NULL));

		char *inner = flattened(hdr, (const uint8_t *)payload, n, w.next_key);

		json_decref(hdr);
		free(payload);
		payload = inner;
		n = strlen(inner);
	}
	r = post(path, (const uint8_t *)payload, n, signer);
	if (s == S_KEY_CHANGE_SIGNED && r->status == 200) {
		/* rolled over: the next key is the account's now */
		EVP_PKEY *k = w.next_key;

		EVP_PKEY_up_ref(k);
		set_key(k);
		set_next_key(p256());
	}
	if (s == S_ORDER_FINALIZE && r->status == 201)
		finalize_new_order(r, variant % 2 == 1);
	if (s == S_EAB_NEW_ACCOUNT && r->status == 201)
		new_eab(); /* bound: the next binding needs a new one */
	answer_free(r);
out:
	free(payload);
	free(path);
	free(url);
	return 0;
}
