/* test_acme_server.c - the ACME server end to end in-process: stride-ca's real server (event
 * loops, TLS, evhttp) with the ACME engine on a SQLite store in a temporary directory, driven
 * over HTTPS with JWS this test signs itself (ES256, RS256 and EdDSA account keys), and a
 * loopback http-01 responder the engine validates against. Asserts exact statuses, problem
 * documents (type and the engine's detail) and the headers of RFC 8555 (Replay-Nonce,
 * Cache-Control, Link, Location, Retry-After, Content-Type).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "authority_fixture.h"
#include "base/audit.h"
#include "base/b64.h"
#include "base/file.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "jose/jwk.h"
#include "server_fixture.h"

#define URN(t)	   "urn:ietf:params:acme:error:" t
#define JOSE	   "application/jose+json"
#define POLL_MAX   100 /* polls of a pending object, 50 ms apart */
#define POLL_NS	   (50 * 1000 * 1000)
#define RESP_SLOTS 32
#define ALGS	   "ES256, ES384, ES512, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512"
#define EXTRA_PROVS                                                                                \
	"[{\"type\":\"ACME\",\"name\":\"acme-meta\",\"termsOfService\":\"https://ca.example/"      \
	"tos\","                                                                                   \
	"\"website\":\"https://ca.example\",\"caaIdentities\":[\"ca.example\"]},"                  \
	"{\"type\":\"ACME\",\"name\":\"acme-eab\",\"requireEAB\":true}]"

/* ---- the http-01 responder ------------------------------------------------------------------- */

/* A loopback HTTP server answering GET /.well-known/acme-challenge/<token> with what the test
 * set for the token (404 otherwise). */
struct responder {
	int fd, port;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t lock;
	struct {
		char *token, *body;
	} slots[RESP_SLOTS];
	size_t n;
};

static void responder_set(struct responder *r, const char *token, const char *body)
{
	pthread_mutex_lock(&r->lock);
	assert_true(r->n < RESP_SLOTS);
	r->slots[r->n].token = xstrdup(token);
	r->slots[r->n].body = xstrdup(body);
	r->n++;
	pthread_mutex_unlock(&r->lock);
}

/* Answers one connection. */
static void responder_serve(struct responder *r, int fd)
{
	char req[4096], *body = NULL, *resp;
	size_t n = 0;
	struct timeval tv = {.tv_sec = 2};
	const char *prefix = "GET /.well-known/acme-challenge/";

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < sizeof(req) - 1) {
		ssize_t got = read(fd, req + n, sizeof(req) - 1 - n);

		if (got <= 0)
			break;
		n += (size_t)got;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[n] = '\0';
	if (str_has_prefix(req, prefix)) {
		char *tok = req + strlen(prefix), *sp = strchr(tok, ' ');

		if (sp != NULL)
			*sp = '\0';
		pthread_mutex_lock(&r->lock);
		for (size_t i = 0; i < r->n; i++)
			if (strcmp(r->slots[i].token, tok) == 0)
				body = xstrdup(r->slots[i].body);
		pthread_mutex_unlock(&r->lock);
	}
	if (body != NULL)
		resp = xasprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
				 "%zu\r\nConnection: close\r\n\r\n%s",
				 strlen(body), body);
	else
		resp = xstrdup("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: "
			       "close\r\n\r\n");
	if (write(fd, resp, strlen(resp)) < 0)
		print_error("responder: write failed\n");
	free(resp);
	free(body);
}

static void *responder_run(void *arg)
{
	struct responder *r = arg;

	while (!atomic_load(&r->stop)) {
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		int fd;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fd = accept(r->fd, NULL, NULL);
		if (fd < 0)
			continue;
		responder_serve(r, fd);
		close(fd);
	}
	return NULL;
}

static void responder_start(struct responder *r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->fd, 64), 0);
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&sa, &len), 0);
	r->port = ntohs(sa.sin_port);
	pthread_mutex_init(&r->lock, NULL);
	assert_int_equal(pthread_create(&r->thread, NULL, responder_run, r), 0);
}

static void responder_stop(struct responder *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	close(r->fd);
	for (size_t i = 0; i < r->n; i++) {
		free(r->slots[i].token);
		free(r->slots[i].body);
	}
	pthread_mutex_destroy(&r->lock);
}

/* ---- the server under test ------------------------------------------------------------------ */

struct t {
	struct sfx *x;
	struct responder r;
	char *nonce; /* the last answer's Replay-Nonce, unused yet */
};

static int setup(void **state)
{
	struct t *t = xcalloc(1, sizeof(*t));
	struct afx *f;
	struct acme *ac = NULL;
	struct error err = {0};

	responder_start(&t->r);
	f = afx_new_provs(NULL, "{\"address\":\"127.0.0.1:0\"}", EXTRA_PROVS);
	{
		/* what stride-ca --acme-http-port gives the engine (src/server/main.c) */
		struct acme_options ao = {.http_port = t->r.port, .validate_timeout_ms = 5000};

		if (acme_new(f->a, &ao, &ac, &err) != 0)
			fail_msg("acme_new: %s", err.msg);
	}
	t->x = sfx_start(f, ac);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	sfx_stop(t->x);
	responder_stop(&t->r);
	free(t->nonce);
	free(t);
	return 0;
}

/* https://127.0.0.1:<port>/acme/<prov>[/<rest>]; malloc'd. */
static char *acme_url(struct t *t, const char *prov, const char *rest)
{
	return xasprintf("%s/acme/%s%s%s", t->x->url, prov, rest != NULL ? "/" : "",
			 rest != NULL ? rest : "");
}

/* ---- accounts and JWS ------------------------------------------------------------------------ */

struct acct {
	EVP_PKEY *key;
	const char *alg;
	json_t *jwk; /* the public JWK as clients send it (kty and key members only) */
	char thumb[44];
	char *kid; /* the account URL, once made */
	const char *prov;
};

/* An account key of key (a reference is taken), signing with alg, on provisioner prov. */
static void acct_init_key(struct acct *a, EVP_PKEY *key, const char *alg, const char *prov)
{
	struct error err = {0};

	memset(a, 0, sizeof(*a));
	EVP_PKEY_up_ref(key);
	a->key = key;
	a->alg = alg;
	a->prov = prov;
	a->jwk = jwk_from_pkey(a->key, false, &err);
	assert_non_null(a->jwk);
	json_object_del(a->jwk, "use");
	json_object_del(a->jwk, "kid");
	json_object_del(a->jwk, "alg");
	assert_int_equal(jwk_thumbprint(a->key, a->thumb, &err), 0);
}

/* A fresh key of kind (RSA too: afx_key shares one RSA key per process). */
static void acct_init(struct acct *a, enum afx_key kind, const char *alg, const char *prov)
{
	EVP_PKEY *key = kind == AFX_RSA2048 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
					    : afx_key(kind);

	assert_non_null(key);

	acct_init_key(a, key, alg, prov);
	EVP_PKEY_free(key);
}

static void acct_free(struct acct *a)
{
	EVP_PKEY_free(a->key);
	json_decref(a->jwk);
	free(a->kid);
	memset(a, 0, sizeof(*a));
}

/* The JWS signature of si with key under alg (RFC 7518 §3), base64url; malloc'd. */
static char *sign_b64(EVP_PKEY *key, const char *alg, const char *si)
{
	const char *md = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sig[1024];
	size_t sig_len = sizeof(sig);

	if (strcmp(alg, "EdDSA") != 0)
		md = "SHA256";
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (const uint8_t *)si, strlen(si)), 1);
	EVP_MD_CTX_free(ctx);
	if (strcmp(alg, "ES256") == 0) {
		/* DER to R || S */
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
		uint8_t rs[64];

		assert_non_null(es);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32), 32);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32), 32);
		ECDSA_SIG_free(es);
		return b64url_encode(rs, sizeof(rs));
	}
	return b64url_encode(sig, sig_len);
}

/* HMAC-SHA256 of si under key, base64url; malloc'd. */
static char *hmac_b64(const uint8_t *key, size_t key_len, const char *si)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;

	assert_non_null(
	    HMAC(EVP_sha256(), key, (int)key_len, (const uint8_t *)si, strlen(si), mac, &mac_len));
	return b64url_encode(mac, mac_len);
}

/* A flattened JWS {"protected","payload","signature"} of the header hdr and payload (text, ""
 * = POST-as-GET) signed by key under alg (hmac_key non-NULL: HMAC-SHA256 with it); corrupt:
 * the signature's first byte changed. New reference. */
static json_t *jws_flat(const json_t *hdr, const char *payload, EVP_PKEY *key, const char *alg,
			const uint8_t *hmac_key, size_t hmac_len, bool corrupt)
{
	char *htext = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
	char *h64 = b64url_encode(htext, strlen(htext));
	char *p64 = b64url_encode(payload, strlen(payload));
	char *si = xasprintf("%s.%s", h64, p64);
	char *s64 = hmac_key != NULL ? hmac_b64(hmac_key, hmac_len, si) : sign_b64(key, alg, si);
	json_t *out;

	if (corrupt)
		s64[0] = s64[0] == 'A' ? 'B' : 'A';
	out = json_pack("{s:s, s:s, s:s}", "protected", h64, "payload", p64, "signature", s64);
	free(htext);
	free(h64);
	free(p64);
	free(si);
	free(s64);
	return out;
}

/* How a request departs from a correct one. */
enum key_mode { KEY_AUTO = 0, KEY_JWK, KEY_KID, KEY_BOTH, KEY_NEITHER };
struct jws_opts {
	const char *alg;	  /* NULL: the account's */
	const char *nonce;	  /* NULL: a fresh one; "": none */
	const char *url;	  /* NULL: the request's */
	enum key_mode key;	  /* KEY_AUTO: kid once the account exists, else jwk */
	const char *kid;	  /* NULL: the account's */
	bool corrupt;		  /* a wrong signature */
	const char *content_type; /* NULL: application/jose+json */
	const char *body;	  /* the body as is instead of a JWS */
};

/* A nonce of the server: the last answer's, else one from new-nonce. malloc'd. */
static char *fresh_nonce(struct t *t)
{
	struct call c = {.path = "/acme/acme/new-nonce", .method = "HEAD"};
	char *n;

	if (t->nonce != NULL) {
		n = t->nonce;
		t->nonce = NULL;
		return n;
	}
	sfx_call(t->x, &c, 200, "");
	n = sfx_header(&c, "Replay-Nonce");
	assert_non_null(n);
	sfx_call_free(&c);
	return n;
}

/* What every answer of a JWS route carries (RFC 8555 §6.5, §7.1): a new nonce, no-store, the
 * directory as rel="index". Keeps the nonce for the next request. */
static void check_common(struct t *t, const struct call *c, const char *prov)
{
	char *nonce = sfx_header(c, "Replay-Nonce");
	char *dir = acme_url(t, prov, "directory");
	char *link = xasprintf("Link: <%s>;rel=\"index\"", dir);

	if (nonce == NULL || strlen(nonce) != 43)
		fail_msg("%s: Replay-Nonce '%s'", c->path, nonce != NULL ? nonce : "(none)");
	assert_true(sfx_has_header(c, "Cache-Control: no-store"));
	if (!sfx_has_header(c, link))
		fail_msg("%s: no %s in\n%s", c->path, link, c->head.p);
	free(t->nonce);
	t->nonce = nonce;
	free(dir);
	free(link);
}

/* POSTs to url a JWS of payload ("" = POST-as-GET) signed by a as o says; asserts the status
 * and the common headers; *c (sfx_call_free) holds the answer. */
static void post(struct t *t, struct acct *a, const char *url, const char *payload,
		 const struct jws_opts *o, long want, struct call *c)
{
	static const struct jws_opts none = {0};
	enum key_mode mode;
	char *nonce = NULL, *body = NULL;
	json_t *hdr;

	if (o == NULL)
		o = &none;
	mode = o->key != KEY_AUTO ? o->key : a->kid != NULL ? KEY_KID : KEY_JWK;
	hdr = json_pack("{s:s, s:s}", "alg", o->alg != NULL ? o->alg : a->alg, "url",
			o->url != NULL ? o->url : url);
	if (o->nonce == NULL) {
		nonce = fresh_nonce(t);
		json_object_set_new(hdr, "nonce", json_string(nonce));
	} else if (o->nonce[0] != '\0') {
		json_object_set_new(hdr, "nonce", json_string(o->nonce));
	}
	if (mode == KEY_JWK || mode == KEY_BOTH)
		json_object_set(hdr, "jwk", a->jwk);
	if (mode == KEY_KID || mode == KEY_BOTH)
		json_object_set_new(hdr, "kid",
				    json_string(o->kid != NULL	 ? o->kid
						: a->kid != NULL ? a->kid
								 : "https://nowhere/account/x"));
	if (o->body == NULL) {
		json_t *flat = jws_flat(hdr, payload, a->key, o->alg != NULL ? o->alg : a->alg,
					NULL, 0, o->corrupt);
		body = json_dumps(flat, JSON_COMPACT);
		json_decref(flat);
	}
	*c = (struct call){.path = url,
			   .method = "POST",
			   .body = o->body != NULL ? o->body : body,
			   .content_type = o->content_type != NULL ? o->content_type : JOSE};
	sfx_call(t->x, c, want, NULL);
	check_common(t, c, a->prov);
	c->body = NULL;
	free(body);
	free(nonce);
	json_decref(hdr);
}

/* The answer as a JSON object (application/json). New reference. */
static json_t *answer_json(const struct call *c)
{
	json_t *doc = json_loads(c->got.p, 0, NULL);

	if (!sfx_has_header(c, "Content-Type: application/json"))
		fail_msg("%s: not application/json:\n%s", c->path, c->head.p);
	if (!json_is_object(doc))
		fail_msg("%s: not a JSON object: %s", c->path, c->got.p);
	return doc;
}

/* Asserts the answer is exactly the problem {"type":URN(type),"detail":detail}. */
static void check_problem(const struct call *c, const char *type, const char *detail)
{
	json_t *doc = json_loads(c->got.p, 0, NULL);
	char *urn = xasprintf(URN("%s"), type);

	if (!sfx_has_header(c, "Content-Type: application/problem+json"))
		fail_msg("%s: not application/problem+json:\n%s", c->path, c->head.p);
	if (json_object_size(doc) != 2 ||
	    strcmp(json_string_value(json_object_get(doc, "type")), urn) != 0 ||
	    strcmp(json_string_value(json_object_get(doc, "detail")), detail) != 0)
		fail_msg("%s: got %s\nwant type %s, detail %s", c->path, c->got.p, urn, detail);
	json_decref(doc);
	free(urn);
}

/* post() expecting the problem (status, type, detail); opts as post(). */
static void expect_problem(struct t *t, struct acct *a, const char *url, const char *payload,
			   const struct jws_opts *o, long status, const char *type,
			   const char *detail)
{
	struct call c;

	post(t, a, url, payload, o, status, &c);
	check_problem(&c, type, detail);
	sfx_call_free(&c);
}

/* A string member of obj ("" when absent). */
static const char *str_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

/* new-account for a on its provisioner with payload; expects want (201 or 200) and sets
 * a->kid from Location. Returns the answer's JSON (new reference). */
static json_t *new_account(struct t *t, struct acct *a, const char *payload, long want)
{
	char *url = acme_url(t, a->prov, "new-account");
	struct call c;
	json_t *doc;
	char *loc;

	post(t, a, url, payload, &(struct jws_opts){.key = KEY_JWK}, want, &c);
	doc = answer_json(&c);
	loc = sfx_header(&c, "Location");
	assert_non_null(loc);
	if (a->kid != NULL) {
		assert_string_equal(loc, a->kid);
		free(loc);
	} else {
		char *prefix = acme_url(t, a->prov, "account/");

		assert_true(str_has_prefix(loc, prefix));
		assert_int_equal(strlen(loc), strlen(prefix) + 32);
		a->kid = loc;
		free(prefix);
	}
	sfx_call_free(&c);
	free(url);
	return doc;
}

/* A new account of a (with a contact); asserts the 201. */
static void make_account(struct t *t, struct acct *a)
{
	json_t *doc = new_account(
	    t, a, "{\"contact\":[\"mailto:x@example.com\"],\"termsOfServiceAgreed\":true}", 201);

	assert_string_equal(str_of(doc, "status"), "valid");
	json_decref(doc);
}

/* POST-as-GET url by a, expecting 200; the JSON answer (new reference). */
static json_t *get_json(struct t *t, struct acct *a, const char *url, struct call *keep)
{
	struct call c;
	json_t *doc;

	post(t, a, url, "", NULL, 200, &c);
	doc = answer_json(&c);
	if (keep != NULL)
		*keep = c;
	else
		sfx_call_free(&c);
	return doc;
}

/* ---- directory, nonces, provisioners -------------------------------------------------------- */

static void check_directory(struct t *t, const char *path, const char *prov, const char *meta)
{
	struct call c = {.path = path};
	char *base = acme_url(t, prov, NULL);
	char *want = xasprintf("{\"newNonce\":\"%s/new-nonce\",\"newAccount\":\"%s/new-account\","
			       "\"newOrder\":\"%s/new-order\",\"revokeCert\":\"%s/revoke-cert\","
			       "\"keyChange\":\"%s/key-change\"%s%s%s}",
			       base, base, base, base, base, meta != NULL ? ",\"meta\":" : "",
			       meta != NULL ? meta : "", "");

	sfx_call(t->x, &c, 200, want);
	assert_true(sfx_has_header(&c, "Content-Type: application/json"));
	/* step-ca's directory carries no nonce and no Link */
	assert_int_equal(sfx_header_count(&c, "Replay-Nonce"), 0);
	assert_int_equal(sfx_header_count(&c, "Link"), 0);
	sfx_call_free(&c);
	free(want);
	free(base);
}

static void test_directory_and_nonce(void **state)
{
	struct t *t = *state;
	struct call c;
	char *link = xasprintf("Link: <%s/acme/acme/directory>;rel=\"index\"", t->x->url);

	check_directory(t, "/acme/acme/directory", "acme", NULL);
	/* the /2.0 prefix links under /acme/ */
	check_directory(t, "/2.0/acme/acme/directory", "acme", NULL);
	check_directory(t, "/acme/acme-meta/directory", "acme-meta",
			"{\"termsOfService\":\"https://ca.example/tos\",\"website\":\"https://"
			"ca.example\",\"caaIdentities\":[\"ca.example\"]}");
	check_directory(t, "/acme/acme-eab/directory", "acme-eab",
			"{\"externalAccountRequired\":true}");

	/* new-nonce: GET 204, HEAD 200, each with a nonce, no-store and the index */
	c = (struct call){.path = "/acme/acme/new-nonce"};
	sfx_call(t->x, &c, 204, "");
	assert_int_equal(sfx_header_count(&c, "Replay-Nonce"), 1);
	assert_true(sfx_has_header(&c, "Cache-Control: no-store"));
	assert_true(sfx_has_header(&c, link));
	sfx_call_free(&c);
	c = (struct call){.path = "/2.0/acme/acme/new-nonce", .method = "HEAD"};
	sfx_call(t->x, &c, 200, "");
	assert_int_equal(sfx_header_count(&c, "Replay-Nonce"), 1);
	assert_true(sfx_has_header(&c, "Cache-Control: no-store"));
	assert_true(sfx_has_header(&c, link));
	sfx_call_free(&c);

	/* no such provisioner, or not an ACME one: step-ca's admin-style 404 */
	c = (struct call){.path = "/acme/nope/directory"};
	sfx_call(t->x, &c, 404,
		 "{\"type\":\"notFound\",\"detail\":\"resource not found\",\"message\":"
		 "\"provisioner nope not found\"}");
	assert_true(sfx_has_header(&c, "Content-Type: application/json"));
	sfx_call_free(&c);
	c = (struct call){.path = "/acme/" AFX_JWK "/new-nonce"};
	sfx_call(t->x, &c, 404,
		 "{\"type\":\"notFound\",\"detail\":\"resource not found\",\"message\":"
		 "\"provisioner " AFX_JWK " not found\"}");
	sfx_call_free(&c);
	free(link);
}

/* ---- accounts ------------------------------------------------------------------------------- */

static void test_accounts(void **state)
{
	struct t *t = *state;
	struct acct es, rs, ed, unknown;
	char *url = acme_url(t, "acme", "new-account");
	json_t *doc;
	struct call c;
	char *orders;

	acct_init(&es, AFX_P256, "ES256", "acme");
	acct_init(&rs, AFX_RSA2048, "RS256", "acme");
	acct_init(&ed, AFX_ED25519, "EdDSA", "acme");
	acct_init(&unknown, AFX_P256, "ES256", "acme");

	/* new: 201, the account object, Location */
	doc = new_account(
	    t, &es, "{\"contact\":[\"mailto:es@example.com\"],\"termsOfServiceAgreed\":true}", 201);
	orders = xasprintf("%s/orders", es.kid);
	assert_int_equal(json_object_size(doc), 3);
	assert_string_equal(str_of(doc, "status"), "valid");
	assert_string_equal(str_of(doc, "orders"), orders);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "contact"), 0)),
			    "mailto:es@example.com");
	json_decref(doc);
	/* the same key again: 200 and the same Location (new_account checks it) */
	doc = new_account(t, &es, "{\"termsOfServiceAgreed\":true}", 200);
	assert_string_equal(str_of(doc, "orders"), orders);
	json_decref(doc);
	doc = new_account(t, &es, "{\"onlyReturnExisting\":true}", 200);
	json_decref(doc);
	make_account(t, &rs);
	make_account(t, &ed);
	assert_string_not_equal(rs.kid, ed.kid);

	/* onlyReturnExisting for a key without an account */
	expect_problem(t, &unknown, url, "{\"onlyReturnExisting\":true}",
		       &(struct jws_opts){.key = KEY_JWK}, 400, "accountDoesNotExist",
		       "no account exists for this key");
	/* a contact that is not a URL */
	expect_problem(t, &unknown, url, "{\"contact\":[\"nope\"]}",
		       &(struct jws_opts){.key = KEY_JWK}, 400, "unsupportedContact",
		       "contact 0 is not a URL (mailto:...)");

	/* the account URL: read, update the contact */
	doc = get_json(t, &ed, ed.kid, &c);
	assert_string_equal(str_of(doc, "status"), "valid");
	{
		char *loc = sfx_header(&c, "Location");

		assert_string_equal(loc, ed.kid);
		free(loc);
	}
	sfx_call_free(&c);
	json_decref(doc);
	post(t, &ed, ed.kid, "{\"contact\":[\"mailto:new@example.com\"]}", NULL, 200, &c);
	doc = answer_json(&c);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "contact"), 0)),
			    "mailto:new@example.com");
	assert_int_equal(json_array_size(json_object_get(doc, "contact")), 1);
	json_decref(doc);
	sfx_call_free(&c);
	doc = get_json(t, &ed, ed.kid, NULL);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "contact"), 0)),
			    "mailto:new@example.com");
	json_decref(doc);

	/* deactivation; then the account can do nothing */
	post(t, &rs, rs.kid, "{\"status\":\"deactivated\"}", NULL, 200, &c);
	doc = answer_json(&c);
	assert_string_equal(str_of(doc, "status"), "deactivated");
	json_decref(doc);
	sfx_call_free(&c);
	{
		char *id = strrchr(rs.kid, '/') + 1;
		char *detail = xasprintf("account '%s' is deactivated", id);
		char *new_order = acme_url(t, "acme", "new-order");

		expect_problem(t, &rs, rs.kid, "", NULL, 401, "unauthorized", detail);
		expect_problem(t, &rs, new_order,
			       "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.example.com\"}]}",
			       NULL, 401, "unauthorized", detail);
		/* and its key cannot make a new one */
		expect_problem(t, &rs, url, "{}", &(struct jws_opts){.key = KEY_JWK}, 401,
			       "unauthorized", "the account of this key is deactivated");
		free(detail);
		free(new_order);
	}
	free(orders);
	free(url);
	acct_free(&es);
	acct_free(&rs);
	acct_free(&ed);
	acct_free(&unknown);
}

/* ---- the JWS and nonce pipeline ------------------------------------------------------------- */

static void test_jws_pipeline(void **state)
{
	struct t *t = *state;
	struct acct a, b;
	char *new_order = acme_url(t, "acme", "new-order");
	char *new_account = acme_url(t, "acme", "new-account");
	const char *order = "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"p.example.com\"}]}";
	char *nonce, *detail, *unknown_kid;
	struct call c;
	json_t *doc;

	acct_init(&a, AFX_P256, "ES256", "acme");
	acct_init(&b, AFX_P256, "ES256", "acme");
	make_account(t, &a);

	/* Content-Type */
	expect_problem(t, &a, new_order, order,
		       &(struct jws_opts){.content_type = "application/json"}, 400, "malformed",
		       "expected Content-Type application/jose+json, got 'application/json'");

	/* a nonce used twice: badNonce, and the answer's nonce works */
	nonce = fresh_nonce(t);
	post(t, &a, a.kid, "", &(struct jws_opts){.nonce = nonce}, 200, &c);
	sfx_call_free(&c);
	expect_problem(t, &a, a.kid, "", &(struct jws_opts){.nonce = nonce}, 400, "badNonce",
		       "the nonce has already been used");
	post(t, &a, a.kid, "", NULL, 200, &c); /* with the nonce of the badNonce answer */
	sfx_call_free(&c);
	free(nonce);
	/* reused on a request that writes: nothing is written */
	nonce = fresh_nonce(t);
	post(t, &a, a.kid, "", &(struct jws_opts){.nonce = nonce}, 200, &c);
	sfx_call_free(&c);
	expect_problem(t, &a, a.kid, "{\"contact\":[\"mailto:replayed@example.com\"]}",
		       &(struct jws_opts){.nonce = nonce}, 400, "badNonce",
		       "the nonce has already been used");
	doc = get_json(t, &a, a.kid, NULL);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "contact"), 0)),
			    "mailto:x@example.com");
	json_decref(doc);
	free(nonce);
	/* not ours, missing */
	expect_problem(t, &a, new_order, order,
		       &(struct jws_opts){.nonce = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		       400, "badNonce", "nonce is not one this server issued");
	expect_problem(t, &a, new_order, order, &(struct jws_opts){.nonce = ""}, 400, "badNonce",
		       "the JWS has no nonce");

	/* url */
	detail = xasprintf("the JWS url '%s' is not the request's '%s'", new_account, new_order);
	expect_problem(t, &a, new_order, order, &(struct jws_opts){.url = new_account}, 400,
		       "malformed", detail);
	free(detail);

	/* jwk and kid: both, neither; kid unknown; jwk where a kid is needed */
	expect_problem(t, &a, new_order, order, &(struct jws_opts){.key = KEY_BOTH}, 400,
		       "malformed",
		       "JWS protected header has both \"jwk\" and \"kid\"; exactly one is needed");
	expect_problem(
	    t, &a, new_order, order, &(struct jws_opts){.key = KEY_NEITHER}, 400, "malformed",
	    "JWS protected header has neither \"jwk\" nor \"kid\"; exactly one is needed");
	unknown_kid = acme_url(t, "acme", "account/0123456789abcdefABCDEF0123456789");
	expect_problem(t, &a, new_order, order, &(struct jws_opts){.kid = unknown_kid}, 400,
		       "accountDoesNotExist",
		       "account '0123456789abcdefABCDEF0123456789' does not exist");
	expect_problem(t, &a, new_order, order, &(struct jws_opts){.key = KEY_JWK}, 400,
		       "malformed", "this request must be signed with an account's kid, not a jwk");
	expect_problem(t, &b, new_account, "{}", &(struct jws_opts){.key = KEY_KID, .kid = a.kid},
		       400, "malformed", "new-account must be signed with a jwk, not a kid");

	/* algorithms, signatures */
	expect_problem(t, &a, new_order, order, &(struct jws_opts){.alg = "none", .body = NULL},
		       400, "badSignatureAlgorithm",
		       "JWS algorithm \"none\" is not allowed: ACME requests need a public key "
		       "signature (" ALGS ")");
	expect_problem(t, &a, new_order, order, &(struct jws_opts){.alg = "HS256"}, 400,
		       "badSignatureAlgorithm",
		       "JWS algorithm \"HS256\" is not allowed: ACME requests need a public key "
		       "signature (" ALGS ")");
	expect_problem(t, &a, new_order, order, &(struct jws_opts){.corrupt = true}, 400,
		       "malformed",
		       "JWS signature is invalid: it does not verify with the account's key");
	/* signed by another key than the account's */
	{
		struct acct imp = b;

		imp.kid = a.kid;
		expect_problem(
		    t, &imp, new_order, order, NULL, 400, "malformed",
		    "JWS signature is invalid: it does not verify with the account's key");
	}

	/* POST-as-GET only: "{}" on an order */
	post(t, &a, new_order, order, NULL, 201, &c);
	{
		char *loc = sfx_header(&c, "Location");

		expect_problem(t, &a, loc, "{}", NULL, 400, "malformed",
			       "this resource is read with POST-as-GET: the payload must be empty");
		free(loc);
	}
	sfx_call_free(&c);

	free(unknown_kid);
	free(new_order);
	free(new_account);
	acct_free(&a);
	acct_free(&b);
}

/* ---- orders ---------------------------------------------------------------------------------- */

/* A header value of c, asserted present; malloc'd. */
static char *header_of(const struct call *c, const char *name)
{
	char *v = sfx_header(c, name);

	if (v == NULL)
		fail_msg("%s: no %s header in\n%s", c->path, name, c->head.p);
	return v;
}

/* new-order by a with payload: asserts the 201, Location, Retry-After and the pending order;
 * *loc (malloc'd) its URL. The order (new reference). */
static json_t *new_order(struct t *t, struct acct *a, const char *payload, char **loc)
{
	char *url = acme_url(t, a->prov, "new-order"), *finalize;
	struct call c;
	json_t *doc;

	post(t, a, url, payload, NULL, 201, &c);
	doc = answer_json(&c);
	*loc = header_of(&c, "Location");
	assert_true(sfx_has_header(&c, "Retry-After: 1"));
	assert_string_equal(str_of(doc, "status"), "pending");
	finalize = xasprintf("%s/finalize", *loc);
	assert_string_equal(str_of(doc, "finalize"), finalize);
	assert_string_equal(str_of(doc, "id"), strrchr(*loc, '/') + 1);
	free(finalize);
	sfx_call_free(&c);
	free(url);
	return doc;
}

/* The challenge types of an authorization as "a,b,c"; all must share the authorization's
 * token and have the challenge URL layout. malloc'd. */
static char *challenge_types(struct t *t, const json_t *authz, const char *authz_url,
			     const char **token)
{
	const json_t *chs = json_object_get(authz, "challenges"), *ch;
	char *out = xstrdup(""), *prefix;
	size_t i;

	prefix = xasprintf("%s/acme/acme/challenge/%s/", t->x->url, strrchr(authz_url, '/') + 1);
	*token = str_of(json_array_get(chs, 0), "token");
	assert_int_equal(strlen(*token), 32);
	json_array_foreach(chs, i, ch)
	{
		char *next = xasprintf("%s%s%s", out, i > 0 ? "," : "", str_of(ch, "type"));

		free(out);
		out = next;
		assert_string_equal(str_of(ch, "token"), *token);
		assert_string_equal(str_of(ch, "status"), "pending");
		assert_true(str_has_prefix(str_of(ch, "url"), prefix));
		assert_int_equal(strlen(str_of(ch, "url")), strlen(prefix) + 32);
	}
	free(prefix);
	return out;
}

static void test_orders(void **state)
{
	struct t *t = *state;
	struct acct o, other;
	char *new_order_url = acme_url(t, "acme", "new-order"), *loc, *loc2, *detail;
	json_t *order, *authzs;
	struct {
		const char *type, *value, *challenges;
		bool wildcard;
	} want[] = {
	    {"dns", "www.example.com", "dns-01,http-01,tls-alpn-01", false},
	    {"dns", "example.com", "dns-01", true},
	    {"ip", "10.0.0.1", "http-01,tls-alpn-01", false},
	};
	const char *tokens[3];

	acct_init(&o, AFX_RSA2048, "RS256", "acme");
	acct_init(&other, AFX_ED25519, "EdDSA", "acme");
	make_account(t, &o);
	make_account(t, &other);

	order = new_order(t, &o,
			  "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"WWW.example.com\"},"
			  "{\"type\":\"dns\",\"value\":\"*.example.com\"},"
			  "{\"type\":\"ip\",\"value\":\"10.0.0.1\"}]}",
			  &loc);
	{
		char *ids = json_dumps(json_object_get(order, "identifiers"), JSON_COMPACT);

		assert_string_equal(ids, "[{\"type\":\"dns\",\"value\":\"www.example.com\"},"
					 "{\"type\":\"dns\",\"value\":\"*.example.com\"},"
					 "{\"type\":\"ip\",\"value\":\"10.0.0.1\"}]");
		free(ids);
	}
	assert_non_null(json_object_get(order, "expires"));
	assert_non_null(json_object_get(order, "notBefore"));
	assert_non_null(json_object_get(order, "notAfter"));
	assert_null(json_object_get(order, "certificate"));
	authzs = json_object_get(order, "authorizations");
	assert_int_equal(json_array_size(authzs), 3);
	for (size_t i = 0; i < 3; i++) {
		const char *url = json_string_value(json_array_get(authzs, i));
		struct call c;
		json_t *authz = get_json(t, &o, url, &c);
		char *types, *l = header_of(&c, "Location");

		assert_string_equal(l, url);
		assert_true(sfx_has_header(&c, "Retry-After: 1"));
		assert_string_equal(str_of(authz, "status"), "pending");
		assert_string_equal(str_of(json_object_get(authz, "identifier"), "type"),
				    want[i].type);
		assert_string_equal(str_of(json_object_get(authz, "identifier"), "value"),
				    want[i].value);
		assert_int_equal(json_is_true(json_object_get(authz, "wildcard")),
				 want[i].wildcard);
		types = challenge_types(t, authz, url, &tokens[i]);
		assert_string_equal(types, want[i].challenges);
		tokens[i] = NULL; /* borrowed from authz */
		free(types);
		free(l);
		json_decref(authz);
		sfx_call_free(&c);
	}
	/* the order as read back */
	{
		struct call c;
		json_t *again = get_json(t, &o, loc, &c);
		char *l = header_of(&c, "Location");

		assert_string_equal(l, loc);
		assert_true(sfx_has_header(&c, "Retry-After: 1"));
		assert_true(json_equal(again, order));
		free(l);
		json_decref(again);
		sfx_call_free(&c);
	}

	/* identifiers refused */
	expect_problem(t, &o, new_order_url,
		       "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"bad_name.example.com\"}]}",
		       NULL, 400, "rejectedIdentifier",
		       "'bad_name.example.com' is not a valid DNS name");
	expect_problem(t, &o, new_order_url,
		       "{\"identifiers\":[{\"type\":\"email\",\"value\":\"a@example.com\"}]}", NULL,
		       400, "unsupportedIdentifier",
		       "identifier type 'email' is not supported (dns, ip)");
	expect_problem(t, &o, new_order_url, "{\"identifiers\":[]}", NULL, 400, "malformed",
		       "the order has no identifiers");
	expect_problem(
	    t, &o, new_order_url,
	    "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.example.com\"}],"
	    "\"notBefore\":\"2099-01-01T00:00:00Z\",\"notAfter\":\"2099-01-03T00:00:00Z\"}",
	    NULL, 400, "malformed",
	    "requested duration of 48h0m0s is more than the authorized maximum certificate "
	    "duration of 24h1m0s");

	/* another account's order */
	detail = xasprintf("order '%s' is not the account's", strrchr(loc, '/') + 1);
	expect_problem(t, &other, loc, "", NULL, 401, "unauthorized", detail);
	free(detail);

	/* the account's orders */
	json_decref(new_order(t, &o, "{\"identifiers\":[{\"type\":\"ip\",\"value\":\"10.0.0.2\"}]}",
			      &loc2));
	{
		char *orders_url = xasprintf("%s/orders", o.kid);
		json_t *list = get_json(t, &o, orders_url, NULL),
		       *urls = json_object_get(list, "orders");
		const char *u0 = json_string_value(json_array_get(urls, 0));
		const char *u1 = json_string_value(json_array_get(urls, 1));

		assert_int_equal(json_object_size(list), 1);
		assert_int_equal(json_array_size(urls), 2);
		assert_true((strcmp(u0, loc) == 0 && strcmp(u1, loc2) == 0) ||
			    (strcmp(u0, loc2) == 0 && strcmp(u1, loc) == 0));
		json_decref(list);
		/* not another account's list */
		detail = xasprintf("account '%s' is not the signer's", strrchr(o.kid, '/') + 1);
		expect_problem(t, &other, orders_url, "", NULL, 401, "unauthorized", detail);
		free(detail);
		free(orders_url);
	}
	json_decref(order);
	free(loc);
	free(loc2);
	free(new_order_url);
	acct_free(&o);
	acct_free(&other);
}

/* ---- challenge validation, finalize, certificate ------------------------------------------ */

/* Sleeps one poll interval. */
static void poll_wait(void)
{
	struct timespec ts = {.tv_nsec = POLL_NS};

	nanosleep(&ts, NULL);
}

/* The challenge of type in authz (borrowed). */
static json_t *challenge_of(const json_t *authz, const char *type)
{
	size_t i;
	json_t *ch;

	json_array_foreach(json_object_get(authz, "challenges"), i, ch)
	{
		if (strcmp(str_of(ch, "type"), type) == 0)
			return ch;
	}
	fail_msg("no %s challenge", type);
	return NULL;
}

/* Serves body (NULL: the right key authorization) for the authorization's token at the
 * responder, then POSTs its http-01 challenge: 200 "processing", Link up, Location,
 * Retry-After. Returns the key authorization (malloc'd). */
static char *start_http01(struct t *t, struct acct *a, const char *authz_url, const char *body)
{
	json_t *authz = get_json(t, a, authz_url, NULL), *ch = challenge_of(authz, "http-01"), *doc;
	char *ka = xasprintf("%s.%s", str_of(ch, "token"), a->thumb);
	char *up = xasprintf("Link: <%s>;rel=\"up\"", authz_url), *l;
	struct call c;

	responder_set(&t->r, str_of(ch, "token"), body != NULL ? body : ka);
	post(t, a, str_of(ch, "url"), "{}", NULL, 200, &c);
	doc = answer_json(&c);
	assert_string_equal(str_of(doc, "status"), "processing");
	assert_string_equal(str_of(doc, "type"), "http-01");
	assert_string_equal(str_of(doc, "url"), str_of(ch, "url"));
	assert_true(sfx_has_header(&c, up));
	assert_true(sfx_has_header(&c, "Retry-After: 1"));
	l = header_of(&c, "Location");
	assert_string_equal(l, str_of(ch, "url"));
	free(l);
	json_decref(doc);
	sfx_call_free(&c);
	free(up);
	json_decref(authz);
	return ka;
}

/* Polls the authorization until it is no longer pending (a bounded number of times). */
static json_t *poll_authz(struct t *t, struct acct *a, const char *url)
{
	for (int i = 0; i < POLL_MAX; i++) {
		json_t *authz = get_json(t, a, url, NULL);

		if (strcmp(str_of(authz, "status"), "pending") != 0)
			return authz;
		json_decref(authz);
		poll_wait();
	}
	fail_msg("%s still pending after %d polls", url, POLL_MAX);
	return NULL;
}

/* Validates every authorization of order through the responder; asserts each becomes valid. */
static void validate_all(struct t *t, struct acct *a, const json_t *order)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(order, "authorizations"), i, v)
	{
		char *ka = start_http01(t, a, json_string_value(v), NULL);
		json_t *authz = poll_authz(t, a, json_string_value(v));
		json_t *ch = challenge_of(authz, "http-01");

		assert_string_equal(str_of(authz, "status"), "valid");
		assert_string_equal(str_of(ch, "status"), "valid");
		assert_non_null(json_object_get(ch, "validated"));
		assert_null(json_object_get(ch, "error"));
		json_decref(authz);
		free(ka);
	}
}

/* {"csr":"<base64url DER>"} of a CSR of key for cn and sans; malloc'd. */
static char *csr_payload(EVP_PKEY *key, const char *cn, const char *sans)
{
	X509_REQ *csr = afx_csr(key, cn, sans, false);
	unsigned char *der = NULL;
	int len = i2d_X509_REQ(csr, &der);
	char *b64 = b64url_encode(der, (size_t)len), *out = xasprintf("{\"csr\":\"%s\"}", b64);

	OPENSSL_free(der);
	free(b64);
	X509_REQ_free(csr);
	return out;
}

/* Downloads the certificate at url: the PEM leaf and the intermediate, verifying to the root.
 * The leaf (owned). */
static X509 *download(struct t *t, struct acct *a, const char *url)
{
	struct call c;
	STACK_OF(X509) *chain = NULL;
	struct error err = {0};
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509 *leaf;

	post(t, a, url, "", NULL, 200, &c);
	assert_true(sfx_has_header(&c, "Content-Type: application/pem-certificate-chain"));
	assert_int_equal(cert_parse_chain((const uint8_t *)c.got.p, c.got.n, &chain, &err), 0);
	assert_int_equal(sk_X509_num(chain), 2);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 1), t->x->f->ca_cert), 0);
	{
		/* the body is exactly the two PEM blocks */
		char *leaf_pem = NULL, *want;

		assert_int_equal(cert_to_pem(sk_X509_value(chain, 0), &leaf_pem, &err), 0);
		want = xasprintf("%s%s", leaf_pem, t->x->inter_pem);
		assert_string_equal(c.got.p, want);
		free(want);
		free(leaf_pem);
	}
	X509_STORE_add_cert(store, sk_X509_value(authority_roots(t->x->f->a), 0));
	sk_X509_push(untrusted, sk_X509_value(chain, 1));
	assert_int_equal(X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted), 1);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("the chain does not verify: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	leaf = sk_X509_value(chain, 0);
	X509_up_ref(leaf);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	sk_X509_pop_free(chain, X509_free);
	sfx_call_free(&c);
	return leaf;
}

/* finalize of the order at loc with payload; expects 200 and a valid order with a certificate
 * URL. The certificate URL (malloc'd). */
static char *finalize_ok(struct t *t, struct acct *a, const char *loc, const char *payload)
{
	char *url = xasprintf("%s/finalize", loc), *l, *cert, *prefix;
	struct call c;
	json_t *doc;

	post(t, a, url, payload, NULL, 200, &c);
	doc = answer_json(&c);
	l = header_of(&c, "Location");
	assert_string_equal(l, loc);
	assert_int_equal(sfx_header_count(&c, "Retry-After"), 0);
	assert_string_equal(str_of(doc, "status"), "valid");
	prefix = acme_url(t, a->prov, "certificate/");
	cert = xstrdup(str_of(doc, "certificate"));
	assert_true(str_has_prefix(cert, prefix));
	free(prefix);
	free(l);
	json_decref(doc);
	sfx_call_free(&c);
	free(url);
	return cert;
}

/* A certificate for localhost with key through a whole order of a. Owned. */
static X509 *issue(struct t *t, struct acct *a, EVP_PKEY *key)
{
	char *loc, *csr = csr_payload(key, "localhost", NULL), *cert_url;
	json_t *order =
	    new_order(t, a, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"localhost\"}]}", &loc);
	X509 *leaf;

	validate_all(t, a, order);
	cert_url = finalize_ok(t, a, loc, csr);
	leaf = download(t, a, cert_url);
	json_decref(order);
	free(loc);
	free(csr);
	free(cert_url);
	return leaf;
}

static void test_http01_finalize_certificate(void **state)
{
	struct t *t = *state;
	struct acct v;
	EVP_PKEY *key = afx_key(AFX_P256);
	char *loc, *pending_loc, *csr, *extra, *cert_url, *again, *url, *sans;
	char audit_dir[] = "/tmp/stride-acme-audit-XXXXXX", audit_path[128];
	json_t *order, *doc;
	struct call c;
	X509 *leaf;

	acct_init(&v, AFX_P256, "ES256", "acme");
	make_account(t, &v);

	/* finalize before the authorizations are valid */
	json_decref(new_order(t, &v,
			      "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"pending."
			      "example.com\"}]}",
			      &pending_loc));
	url = xasprintf("%s/finalize", pending_loc);
	csr = csr_payload(key, "pending.example.com", NULL);
	expect_problem(t, &v, url, csr, NULL, 400, "orderNotReady",
		       "the order is pending, not ready");
	free(url);
	free(csr);

	order = new_order(t, &v,
			  "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"localhost\"},"
			  "{\"type\":\"ip\",\"value\":\"127.0.0.1\"}]}",
			  &loc);
	validate_all(t, &v, order);
	post(t, &v, loc, "", NULL, 200, &c);
	doc = answer_json(&c);
	assert_string_equal(str_of(doc, "status"), "ready");
	assert_int_equal(sfx_header_count(&c, "Retry-After"), 0);
	json_decref(doc);
	sfx_call_free(&c);

	/* a CSR with a name more than the order's */
	assert_non_null(mkdtemp(audit_dir));
	snprintf(audit_path, sizeof(audit_path), "%s/audit.log", audit_dir);
	assert_int_equal(audit_open(audit_path, NULL), 0);
	url = xasprintf("%s/finalize", loc);
	extra = csr_payload(key, "localhost", "127.0.0.1,extra.example.com");
	expect_problem(
	    t, &v, url, extra, NULL, 400, "badCSR",
	    "the csr's names (dns [extra.example.com localhost], ip [127.0.0.1]) are not "
	    "the order's identifiers (dns [localhost], ip [127.0.0.1])");
	/* exactly the identifiers (the CN counts as a name) */
	csr = csr_payload(key, "localhost", "127.0.0.1");
	cert_url = finalize_ok(t, &v, loc, csr);
	/* finalize again: the same valid order, whatever the CSR */
	again = finalize_ok(t, &v, loc, extra);
	assert_string_equal(again, cert_url);
	free(again);
	audit_close();
	doc = get_json(t, &v, loc, NULL);
	assert_string_equal(str_of(doc, "status"), "valid");
	assert_string_equal(str_of(doc, "certificate"), cert_url);
	json_decref(doc);

	leaf = download(t, &v, cert_url);
	sans = afx_ext_text(leaf, NID_subject_alt_name);
	assert_string_equal(sans, "DNS:localhost, IP Address:127.0.0.1");
	assert_true(EVP_PKEY_eq(X509_get0_pubkey(leaf), key) == 1);
	/* the audit records: the refused finalize, the issuance; the second finalize issued
	 * nothing */
	{
		uint8_t *text = NULL;
		size_t len = 0;
		char *serial = cert_serial_decimal(leaf), *line2, *want;

		assert_int_equal(file_read(audit_path, 1u << 20, &text, &len, NULL), 0);
		assert_non_null(strstr((char *)text,
				       "\"operation\":\"acme.finalize\",\"result\":"
				       "\"error\",\"status\":400,\"message\":\"the csr's names"));
		line2 = strchr((char *)text, '\n') + 1;
		want =
		    xasprintf("\"operation\":\"acme.finalize\",\"result\":\"ok\",\"status\":200,"
			      "\"serial\":\"%s\",\"subject\":\"localhost\",\"sans\":[\"localhost\","
			      "\"127.0.0.1\"],\"provisioner\":\"acme\",\"client\":\"127.0.0.1:",
			      serial);
		assert_non_null(strstr(line2, want));
		assert_string_equal(strchr(line2, '\n'), "\n"); /* two lines */
		free(want);
		free(serial);
		free(text);
		unlink(audit_path);
		rmdir(audit_dir);
	}
	/* the certificate is the account's only */
	{
		struct acct other;
		char *detail =
		    xasprintf("certificate '%s' is not the account's", strrchr(cert_url, '/') + 1);

		acct_init(&other, AFX_P256, "ES256", "acme");
		make_account(t, &other);
		expect_problem(t, &other, cert_url, "", NULL, 401, "unauthorized", detail);
		free(detail);
		acct_free(&other);
	}

	X509_free(leaf);
	free(sans);
	free(cert_url);
	free(url);
	free(csr);
	free(extra);
	free(loc);
	free(pending_loc);
	json_decref(order);
	EVP_PKEY_free(key);
	acct_free(&v);
}

/* A wrong key authorization: the challenge, its authorization and its order become invalid at
 * once (RFC 8555 §7.5.1, §7.1.6; step-ca leaves them pending). */
static void test_http01_wrong_key_authorization(void **state)
{
	struct t *t = *state;
	struct acct w;
	char *loc, *ka, *detail, *url, *csr;
	const char *authz_url;
	json_t *order, *authz, *ch, *err, *doc;
	EVP_PKEY *key = afx_key(AFX_P256);

	acct_init(&w, AFX_ED25519, "EdDSA", "acme");
	make_account(t, &w);
	order =
	    new_order(t, &w, "{\"identifiers\":[{\"type\":\"ip\",\"value\":\"127.0.0.1\"}]}", &loc);
	authz_url = json_string_value(json_array_get(json_object_get(order, "authorizations"), 0));
	ka = start_http01(t, &w, authz_url, "wrong");
	authz = poll_authz(t, &w, authz_url);
	assert_string_equal(str_of(authz, "status"), "invalid");
	ch = challenge_of(authz, "http-01");
	assert_string_equal(str_of(ch, "status"), "invalid");
	assert_null(json_object_get(ch, "validated"));
	err = json_object_get(ch, "error");
	detail = xasprintf("expected \"%s\" at http://127.0.0.1:%d/.well-known/acme-challenge/%s, "
			   "received \"wrong\"",
			   ka, t->r.port, str_of(ch, "token"));
	assert_int_equal(json_object_size(err), 2);
	assert_string_equal(str_of(err, "type"), URN("incorrectResponse"));
	assert_string_equal(str_of(err, "detail"), detail);
	/* the other challenges stay as they were; posting the failed one again changes nothing */
	assert_string_equal(str_of(challenge_of(authz, "tls-alpn-01"), "status"), "pending");
	{
		struct call c;

		post(t, &w, str_of(ch, "url"), "{}", NULL, 200, &c);
		doc = answer_json(&c);
		assert_string_equal(str_of(doc, "status"), "invalid");
		assert_int_equal(sfx_header_count(&c, "Retry-After"), 0);
		json_decref(doc);
		sfx_call_free(&c);
	}
	doc = get_json(t, &w, loc, NULL);
	assert_string_equal(str_of(doc, "status"), "invalid");
	json_decref(doc);
	url = xasprintf("%s/finalize", loc);
	csr = csr_payload(key, "", "127.0.0.1");
	expect_problem(t, &w, url, csr, NULL, 400, "orderNotReady",
		       "the order is invalid, not ready");
	free(url);
	free(csr);
	free(detail);
	free(ka);
	json_decref(authz);
	json_decref(order);
	free(loc);
	EVP_PKEY_free(key);
	acct_free(&w);
}

/* ---- revoke-cert ----------------------------------------------------------------------------- */

/* {"certificate":"<base64url DER>"[,"reason":N]}; reason < 0: none. malloc'd. */
static char *revoke_payload(X509 *cert, int reason)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	char *b64 = b64url_encode(der, (size_t)len), *out;

	out = reason >= 0 ? xasprintf("{\"certificate\":\"%s\",\"reason\":%d}", b64, reason)
			  : xasprintf("{\"certificate\":\"%s\"}", b64);
	OPENSSL_free(der);
	free(b64);
	return out;
}

static void test_revoke(void **state)
{
	struct t *t = *state;
	struct acct r1, r2, holder;
	EVP_PKEY *ka = afx_key(AFX_P256), *kb = afx_key(AFX_P256);
	X509 *a, *b;
	char *url = acme_url(t, "acme", "revoke-cert"), *sa, *sb, *body, *detail;
	struct call c;

	acct_init(&r1, AFX_P256, "ES256", "acme");
	acct_init(&r2, AFX_RSA2048, "RS256", "acme");
	make_account(t, &r1);
	make_account(t, &r2);
	a = issue(t, &r1, ka);
	b = issue(t, &r1, kb);
	sa = cert_serial_decimal(a);
	sb = cert_serial_decimal(b);

	/* another account */
	body = revoke_payload(a, 4);
	detail = xasprintf("the account did not order certificate %s", sa);
	expect_problem(t, &r2, url, body, NULL, 403, "unauthorized", detail);
	free(detail);
	free(body);
	/* reason 7 is not a reason */
	body = revoke_payload(a, 7);
	expect_problem(t, &r1, url, body, NULL, 400, "badRevocationReason",
		       "reason must be a CRLReason code 0-10 other than 7");
	free(body);
	/* by the account that ordered it, then again */
	body = revoke_payload(a, 4);
	post(t, &r1, url, body, NULL, 200, &c);
	assert_string_equal(c.got.p, "");
	sfx_call_free(&c);
	detail = xasprintf("certificate %s is already revoked", sa);
	expect_problem(t, &r1, url, body, NULL, 400, "alreadyRevoked", detail);
	free(detail);
	free(body);
	/* by the certificate's key, no account needed */
	acct_init_key(&holder, kb, "ES256", "acme");
	body = revoke_payload(b, -1);
	post(t, &holder, url, body, &(struct jws_opts){.key = KEY_JWK}, 200, &c);
	assert_string_equal(c.got.p, "");
	sfx_call_free(&c);
	detail = xasprintf("certificate %s is already revoked", sb);
	expect_problem(t, &r1, url, body, NULL, 400, "alreadyRevoked", detail);
	free(detail);
	free(body);

	free(sa);
	free(sb);
	free(url);
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	acct_free(&r1);
	acct_free(&r2);
	acct_free(&holder);
}

/* ---- key-change ---------------------------------------------------------------------------- */

/* The key-change payload: an inner JWS signed by the new key (jwk) for url, naming the account
 * and its old key. malloc'd. */
static char *key_change_payload(const struct acct *new_key, const char *url, const char *kid,
				const json_t *old_jwk)
{
	json_t *hdr =
	    json_pack("{s:s, s:O, s:s}", "alg", new_key->alg, "jwk", new_key->jwk, "url", url);
	json_t *inner_payload = json_pack("{s:s, s:O}", "account", kid, "oldKey", old_jwk);
	char *text = json_dumps(inner_payload, JSON_COMPACT | JSON_SORT_KEYS), *out;
	json_t *inner = jws_flat(hdr, text, new_key->key, new_key->alg, NULL, 0, false);

	out = json_dumps(inner, JSON_COMPACT);
	json_decref(hdr);
	json_decref(inner_payload);
	json_decref(inner);
	free(text);
	return out;
}

static void test_key_change(void **state)
{
	struct t *t = *state;
	struct acct k1, k2, k3, probe;
	char *url = acme_url(t, "acme", "key-change"), *payload, *loc;
	char *na_url = acme_url(t, "acme", "new-account");
	json_t *doc;
	struct call c;

	acct_init(&k1, AFX_P256, "ES256", "acme");
	acct_init(&k2, AFX_ED25519, "EdDSA", "acme");
	acct_init(&k3, AFX_RSA2048, "RS256", "acme");
	make_account(t, &k1);
	make_account(t, &k3);

	/* k1's account rolls over to k2 */
	payload = key_change_payload(&k2, url, k1.kid, k1.jwk);
	post(t, &k1, url, payload, NULL, 200, &c);
	doc = answer_json(&c);
	assert_string_equal(str_of(doc, "status"), "valid");
	json_decref(doc);
	sfx_call_free(&c);
	free(payload);
	/* the old key finds no account, the new one finds k1's */
	acct_init_key(&probe, k1.key, "ES256", "acme");
	expect_problem(t, &probe, na_url, "{\"onlyReturnExisting\":true}",
		       &(struct jws_opts){.key = KEY_JWK}, 400, "accountDoesNotExist",
		       "no account exists for this key");
	acct_free(&probe);
	k2.kid = xstrdup(k1.kid);
	json_decref(new_account(t, &k2, "{\"onlyReturnExisting\":true}", 200));
	/* the account now answers to k2 only */
	json_decref(get_json(t, &k2, k2.kid, NULL));
	expect_problem(t, &k1, k1.kid, "", NULL, 400, "malformed",
		       "jws key type and algorithm do not match");

	/* to a key another account has: 409 and that account's URL */
	payload = key_change_payload(&k3, url, k2.kid, k2.jwk);
	post(t, &k2, url, payload, NULL, 409, &c);
	check_problem(&c, "malformed", "the new key is already in use by an account");
	loc = header_of(&c, "Location");
	assert_string_equal(loc, k3.kid);
	free(loc);
	sfx_call_free(&c);
	free(payload);
	/* nothing changed */
	json_decref(new_account(t, &k2, "{\"onlyReturnExisting\":true}", 200));
	json_decref(new_account(t, &k3, "{\"onlyReturnExisting\":true}", 200));

	free(url);
	free(na_url);
	acct_free(&k1);
	acct_free(&k2);
	acct_free(&k3);
}

/* A rollover to a key of the same type: the engine keeps parsed account keys, and the old key
 * (used, so parsed and kept, just before) must stop verifying at once while the new one
 * verifies. */
static void test_key_change_same_type(void **state)
{
	struct t *t = *state;
	struct acct k1, k2;
	char *url = acme_url(t, "acme", "key-change"), *payload;
	struct call c;

	acct_init(&k1, AFX_P256, "ES256", "acme");
	acct_init(&k2, AFX_P256, "ES256", "acme");
	make_account(t, &k1);
	json_decref(get_json(t, &k1, k1.kid, NULL));
	json_decref(get_json(t, &k1, k1.kid, NULL));
	payload = key_change_payload(&k2, url, k1.kid, k1.jwk);
	post(t, &k1, url, payload, NULL, 200, &c);
	sfx_call_free(&c);
	free(payload);
	k2.kid = xstrdup(k1.kid);
	json_decref(get_json(t, &k2, k2.kid, NULL));
	expect_problem(t, &k1, k1.kid, "", NULL, 400, "malformed",
		       "JWS signature is invalid: it does not verify with the account's key");
	json_decref(get_json(t, &k2, k2.kid, NULL));
	free(url);
	acct_free(&k1);
	acct_free(&k2);
}

/* ---- external account binding --------------------------------------------------------------- */

/* new-account's payload with an EAB of key id (HMAC key hmac) binding a's key. malloc'd. */
static char *eab_payload(struct t *t, const struct acct *a, const char *id, const uint8_t *hmac,
			 size_t hmac_len)
{
	char *url = acme_url(t, a->prov, "new-account");
	char *jwk = json_dumps(a->jwk, JSON_COMPACT | JSON_SORT_KEYS), *out;
	json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", id, "url", url);
	json_t *eab = jws_flat(hdr, jwk, NULL, "HS256", hmac, hmac_len, false);
	json_t *payload = json_pack("{s:[s], s:b, s:O}", "contact", "mailto:eab@example.com",
				    "termsOfServiceAgreed", 1, "externalAccountBinding", eab);

	out = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	json_decref(eab);
	json_decref(hdr);
	free(jwk);
	free(url);
	return out;
}

static void test_eab(void **state)
{
	struct t *t = *state;
	struct acct e1, e2;
	char *url = acme_url(t, "acme-eab", "new-account"), *payload, *detail, *next = NULL;
	struct acme_eab_key k = {0}, *keys = NULL;
	struct error err = {0};
	uint8_t *hmac = NULL;
	size_t hmac_len = 0, n = 0;
	json_t *doc, *sent;

	acct_init(&e1, AFX_P256, "ES256", "acme-eab");
	acct_init(&e2, AFX_ED25519, "EdDSA", "acme-eab");
	expect_problem(t, &e1, url, "{\"termsOfServiceAgreed\":true}",
		       &(struct jws_opts){.key = KEY_JWK}, 400, "externalAccountRequired",
		       "provisioner 'acme-eab' requires an external account binding");

	if (acme_eab_key_add(t->x->f->a, "acme-eab", "ref-1", &k, &err) != 0)
		fail_msg("acme_eab_key_add: %s", err.msg);
	assert_int_equal(b64url_decode(k.hmac_key, strlen(k.hmac_key), &hmac, &hmac_len, &err), 0);
	payload = eab_payload(t, &e1, k.id, hmac, hmac_len);
	doc = new_account(t, &e1, payload, 201);
	sent = json_loads(payload, 0, NULL);
	assert_true(json_equal(json_object_get(doc, "externalAccountBinding"),
			       json_object_get(sent, "externalAccountBinding")));
	json_decref(sent);
	json_decref(doc);
	free(payload);
	/* the key is bound to the account now */
	assert_int_equal(
	    acme_eab_key_list(t->x->f->a, "acme-eab", "ref-1", NULL, 0, &keys, &n, &next, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].id, k.id);
	assert_string_equal(keys[0].account, strrchr(e1.kid, '/') + 1);
	assert_true(keys[0].bound_at_ns > 0);
	assert_string_equal(keys[0].hmac_key, "");
	/* the same EAB key for another account key */
	payload = eab_payload(t, &e2, k.id, hmac, hmac_len);
	detail = xasprintf("external account key '%s' is already bound", k.id);
	expect_problem(t, &e2, url, payload, &(struct jws_opts){.key = KEY_JWK}, 401,
		       "unauthorized", detail);
	free(detail);
	free(payload);
	/* the bound account's key at another provisioner: accounts are per provisioner, and
	 * whether this key has one elsewhere is not told */
	{
		struct acct other;
		char *url2 = acme_url(t, "acme", "new-account");

		acct_init_key(&other, e1.key, "ES256", "acme");
		expect_problem(t, &other, url2, "{\"termsOfServiceAgreed\":true}",
			       &(struct jws_opts){.key = KEY_JWK}, 401, "unauthorized",
			       "this key's account belongs to another provisioner");
		acct_free(&other);
		free(url2);
	}

	acme_eab_keys_free(keys, n);
	acme_eab_key_free(&k);
	free(next);
	free(hmac);
	free(url);
	acct_free(&e1);
	acct_free(&e2);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_directory_and_nonce),
	    cmocka_unit_test(test_accounts),
	    cmocka_unit_test(test_jws_pipeline),
	    cmocka_unit_test(test_orders),
	    cmocka_unit_test(test_http01_finalize_certificate),
	    cmocka_unit_test(test_http01_wrong_key_authorization),
	    cmocka_unit_test(test_revoke),
	    cmocka_unit_test(test_key_change),
	    cmocka_unit_test(test_key_change_same_type),
	    cmocka_unit_test(test_eab),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
