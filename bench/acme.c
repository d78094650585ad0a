/* acme.c - the ACME scenario's client (RFC 8555) and its http-01 responder.
 *
 * Each connection has its own ES256 account, created before the timed phase. An order is
 * new-order, a POST-as-GET of its authorization, a POST to the http-01 challenge, polls of the
 * authorization until it is valid, finalize with a prepared CSR and a POST-as-GET of the
 * certificate. Every request is a JWS in the flattened JSON serialization (RFC 7515 §7.2.2)
 * signed with the account key; the Replay-Nonce of each answer is the nonce of the next
 * request on that connection (RFC 8555 §6.5), and a badNonce answer is retried once with the
 * fresh nonce it carries.
 *
 * The responder answers stride-ca's http-01 checks (RFC 8555 §8.3) for the orders in flight:
 * a worker puts the token and key authorization of its order in its slot before it posts the
 * challenge, and waits until the responder has served it before it polls, so the polls measure
 * the server committing the result rather than the responder's speed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ecdsa.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/str.h"
#include "bench.h"
#include "crypto/key.h"
#include "jose/jwk.h"
#include "jose/jws.h"

#define ACME_POLL_TIMEOUT_NS   (30 * INT64_C(1000000000)) /* an order's validation at most */
#define ACME_SERVED_WAIT_NS    (10 * INT64_C(1000000000)) /* the responder's fetch at most */
#define ACME_POLL_FIRST_US     500
#define ACME_POLL_MAX_US       50000
#define HTTP01_TOKEN_MAX       128
#define HTTP01_KEYAUTH_MAX     256
#define HTTP01_REQUEST_MAX     4096
#define HTTP01_IO_TIMEOUT_MS   2000
#define HTTP01_MAX_LISTENERS   2
#define ACME_PROBLEM_BAD_NONCE "urn:ietf:params:acme:error:badNonce"

const size_t bench_rss_marks[BENCH_RSS_MARKS] = {1000, 10000, 100000};

/* --- the http-01 responder ---------------------------------------------------------------- */

struct http01_slot {
	char token[HTTP01_TOKEN_MAX];
	char keyauth[HTTP01_KEYAUTH_MAX];
	bool served;
};

struct http01 {
	int fds[HTTP01_MAX_LISTENERS];
	int nfds;
	int wake[2]; /* a pipe: a byte stops the thread */
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct http01_slot *slots;
	int nslots;
	atomic_size_t served, unknown;
};

/* Listens on addr (IPv4 or IPv6 loopback) at port: the socket, or -1. */
static int listen_on(int family, int port, struct error *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, ERR_NETWORK, "socket: %s", strerror(errno));
		return -1;
	}
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
		err_set(err, ERR_NETWORK, "http-01 responder on %s port %d: %s",
			family == AF_INET ? "127.0.0.1" : "::1", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes all of buf to fd (a blocking socket with a send timeout). */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* Serves one connection: one GET, answered and closed. */
static void http01_serve(struct http01 *h, int fd)
{
	static const char prefix[] = "GET /.well-known/acme-challenge/";
	struct timeval tv = {.tv_sec = HTTP01_IO_TIMEOUT_MS / 1000,
			     .tv_usec = (HTTP01_IO_TIMEOUT_MS % 1000) * 1000};
	char req[HTTP01_REQUEST_MAX + 1], token[HTTP01_TOKEN_MAX], keyauth[HTTP01_KEYAUTH_MAX];
	char resp[HTTP01_KEYAUTH_MAX + 128];
	size_t len = 0, tl;
	bool found = false;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < HTTP01_REQUEST_MAX) {
		ssize_t r = recv(fd, req + len, HTTP01_REQUEST_MAX - len, 0);
		if (r <= 0)
			return;
		len += (size_t)r;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[len] = '\0';
	if (strncmp(req, prefix, sizeof(prefix) - 1) == 0) {
		const char *t = req + sizeof(prefix) - 1;
		tl = strcspn(t, " \r\n");
		if (tl > 0 && tl < sizeof(token)) {
			memcpy(token, t, tl);
			token[tl] = '\0';
			pthread_mutex_lock(&h->mu);
			for (int k = 0; k < h->nslots && !found; k++) {
				struct http01_slot *s = &h->slots[k];
				if (s->token[0] != '\0' && strcmp(s->token, token) == 0) {
					snprintf(keyauth, sizeof(keyauth), "%s", s->keyauth);
					s->served = true;
					found = true;
				}
			}
			if (found)
				pthread_cond_broadcast(&h->cond);
			pthread_mutex_unlock(&h->mu);
		}
	}
	if (found) {
		int n = snprintf(resp, sizeof(resp),
				 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
				 "%zu\r\nConnection: close\r\n\r\n%s",
				 strlen(keyauth), keyauth);
		atomic_fetch_add(&h->served, 1);
		write_all(fd, resp, (size_t)n);
	} else {
		static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
					 "Connection: close\r\n\r\n";
		atomic_fetch_add(&h->unknown, 1);
		write_all(fd, nf, sizeof(nf) - 1);
	}
}

static void *http01_thread(void *arg)
{
	struct http01 *h = arg;
	struct pollfd pfd[HTTP01_MAX_LISTENERS + 1];

	for (;;) {
		int n = 0;

		for (int k = 0; k < h->nfds; k++)
			pfd[n++] = (struct pollfd){.fd = h->fds[k], .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = h->wake[0], .events = POLLIN};
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[n - 1].revents != 0)
			break;
		for (int k = 0; k < h->nfds; k++) {
			int c;

			if ((pfd[k].revents & POLLIN) == 0)
				continue;
			c = accept4(h->fds[k], NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			http01_serve(h, c);
			close(c);
		}
	}
	return NULL;
}

int http01_start(int port, int slots, struct http01 **out, struct error *err)
{
	struct http01 *h = xcalloc(1, sizeof(*h));
	int fd;

	*out = NULL;
	h->wake[0] = h->wake[1] = -1;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->slots = xcalloc((size_t)slots, sizeof(*h->slots));
	h->nslots = slots;
	fd = listen_on(AF_INET, port, err);
	if (fd < 0)
		goto fail;
	h->fds[h->nfds++] = fd;
	/* ::1 too when the machine has it (stride-ca may resolve localhost to it) */
	fd = listen_on(AF_INET6, port, NULL);
	if (fd >= 0)
		h->fds[h->nfds++] = fd;
	if (pipe2(h->wake, O_CLOEXEC) != 0) {
		err_set(err, ERR_INTERNAL, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&h->thread, NULL, http01_thread, h) != 0) {
		err_set(err, ERR_INTERNAL, "cannot start the http-01 responder");
		goto fail;
	}
	h->running = true;
	*out = h;
	return 0;
fail:
	http01_stop(h);
	return -1;
}

void http01_stop(struct http01 *h)
{
	if (h == NULL)
		return;
	if (h->running) {
		if (write(h->wake[1], "x", 1) != 1)
			pthread_cancel(h->thread);
		pthread_join(h->thread, NULL);
	}
	for (int k = 0; k < h->nfds; k++)
		close(h->fds[k]);
	for (int k = 0; k < 2; k++)
		if (h->wake[k] >= 0)
			close(h->wake[k]);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cond);
	free(h->slots);
	free(h);
}

size_t http01_served(const struct http01 *h)
{
	return h != NULL ? atomic_load(&((struct http01 *)h)->served) : 0;
}

/* Puts token's key authorization in slot (not served yet). */
static void http01_set(struct http01 *h, int slot, const char *token, const char *keyauth)
{
	struct http01_slot *s = &h->slots[slot];

	pthread_mutex_lock(&h->mu);
	snprintf(s->token, sizeof(s->token), "%s", token);
	snprintf(s->keyauth, sizeof(s->keyauth), "%s", keyauth);
	s->served = false;
	pthread_mutex_unlock(&h->mu);
}

/* Waits until slot's key authorization was served (true) or timeout_ns passed (false). */
static bool http01_wait(struct http01 *h, int slot, int64_t timeout_ns)
{
	struct timespec until;
	bool served;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(timeout_ns / 1000000000);
	pthread_mutex_lock(&h->mu);
	while (!h->slots[slot].served &&
	       pthread_cond_timedwait(&h->cond, &h->mu, &until) != ETIMEDOUT)
		;
	served = h->slots[slot].served;
	pthread_mutex_unlock(&h->mu);
	return served;
}

/* Empties slot. */
static void http01_clear(struct http01 *h, int slot)
{
	pthread_mutex_lock(&h->mu);
	memset(&h->slots[slot], 0, sizeof(h->slots[slot]));
	pthread_mutex_unlock(&h->mu);
}

/* --- JWS ------------------------------------------------------------------------------------ */

/* ES256 over "b64(header)." (an empty payload: POST-as-GET, RFC 8555 §6.3), in JWS form
 * (R||S). jws_sign_alg signs JSON payloads only. */
static int sign_empty_payload(EVP_PKEY *key, const char *h64, char **compact, struct error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *si = xasprintf("%s.", h64), *s64 = NULL;
	unsigned char der[128], rs[64];
	const unsigned char *pp = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	int rc = -1;

	*compact = NULL;
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, der, &der_len, (const unsigned char *)si, strlen(si)) != 1 ||
	    (sig = d2i_ECDSA_SIG(NULL, &pp, (long)der_len)) == NULL) {
		err_openssl(err, ERR_CRYPTO, "cannot sign the POST-as-GET");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, rs, 32) != 32 || BN_bn2binpad(s, rs + 32, 32) != 32) {
		err_set(err, ERR_CRYPTO, "cannot encode the signature");
		goto out;
	}
	s64 = b64url_encode(rs, sizeof(rs));
	*compact = xasprintf("%s.%s", si, s64); /* "h64..sig": the payload is empty */
	rc = 0;
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	free(si);
	free(s64);
	return rc;
}

/* The flattened JSON serialization of a compact JWS. */
static char *flatten(const char *compact)
{
	const char *d1 = strchr(compact, '.'), *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;

	if (d2 == NULL)
		return NULL;
	return xasprintf("{\"protected\":\"%.*s\",\"payload\":\"%.*s\",\"signature\":\"%s\"}",
			 (int)(d1 - compact), compact, (int)(d2 - d1 - 1), d1 + 1, d2 + 1);
}

/* The request path of an absolute URL on the target (https://host:port/path). */
static const char *url_path(const struct target *t, const char *url)
{
	size_t hl = strlen(t->host_header);

	if (strncmp(url, "https://", 8) != 0 || strncmp(url + 8, t->host_header, hl) != 0 ||
	    url[8 + hl] != '/')
		return NULL;
	return url + 8 + hl;
}

/* Gets a fresh nonce for a from new-nonce (GET: 204 with Replay-Nonce). */
static int fetch_nonce(const struct target *t, struct hconn *c, struct acme_acct *a,
		       struct acme_order_out *o, struct error *err)
{
	const char *path = url_path(t, a->new_nonce);
	char *req = NULL;
	struct hresp resp;
	int rc = -1;

	if (path == NULL)
		return err_set(err, ERR_INVALID, "URL %s is not on %s", a->new_nonce,
			       t->host_header);
	req = xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: stride-bench\r\n\r\n", path,
			t->host_header);
	if (!hconn_is_open(c)) {
		if (hconn_open(c, t, NULL, NULL, NULL, err) != 0)
			goto out;
		o->reconnects++;
	}
	o->requests++;
	if (http_roundtrip(c, req, strlen(req), &resp, err) != 0) {
		err_wrap(err, "new-nonce");
		hconn_close(c);
		goto out;
	}
	if (resp.close)
		hconn_close(c);
	if (resp.status != 204 || resp.nonce[0] == '\0') {
		o->status = resp.status;
		err_set(err, ERR_NETWORK, "new-nonce: status %d, %s Replay-Nonce", resp.status,
			resp.nonce[0] != '\0' ? "with a" : "without");
		goto out;
	}
	snprintf(a->nonce, sizeof(a->nonce), "%s", resp.nonce);
	rc = 0;
out:
	free(req);
	return rc;
}

/* Signs payload (NULL: POST-as-GET) for url as a (with "jwk" when jwk is set: new-account;
 * else a's kid) and returns the flattened JWS. */
static char *jws_body(struct acme_acct *a, const json_t *jwk, const char *url,
		      const json_t *payload, struct error *err)
{
	json_t *hdr = json_pack("{s:s, s:s}", "nonce", a->nonce, "url", url);
	char *compact = NULL, *hjson = NULL, *h64 = NULL, *body = NULL;
	int r;

	if (jwk != NULL)
		json_object_set(hdr, "jwk", (json_t *)jwk);
	else
		json_object_set_new(hdr, "kid", json_string(a->kid));
	if (payload != NULL) {
		r = jws_sign_alg(hdr, payload, a->key, "ES256", &compact, err);
	} else {
		json_object_set_new(hdr, "alg", json_string("ES256"));
		hjson = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
		h64 = hjson != NULL ? b64url_encode(hjson, strlen(hjson)) : NULL;
		r = h64 != NULL ? sign_empty_payload(a->key, h64, &compact, err)
				: err_set(err, ERR_INTERNAL, "cannot encode a JWS header");
	}
	if (r == 0 && (body = flatten(compact)) == NULL)
		err_set(err, ERR_INTERNAL, "cannot flatten the JWS");
	json_decref(hdr);
	free(hjson);
	free(h64);
	free(compact);
	return body;
}

/* POSTs a JWS (see jws_body) to url; the answer's nonce becomes a's next one, and a badNonce
 * answer is retried once with it. what names the step in errors. */
static int acme_post(const struct target *t, struct hconn *c, struct acme_acct *a,
		     const json_t *jwk, const char *url, const json_t *payload, const char *what,
		     struct hresp *resp, struct acme_order_out *o, struct error *err)
{
	const char *path = url_path(t, url);

	if (path == NULL)
		return err_set(err, ERR_INVALID, "%s: URL %s is not on %s", what, url,
			       t->host_header);
	for (int attempt = 0;; attempt++) {
		char *body, *req;
		int r;

		if (a->nonce[0] == '\0' && fetch_nonce(t, c, a, o, err) != 0)
			return -1;
		if (!hconn_is_open(c)) {
			if (hconn_open(c, t, NULL, NULL, NULL, err) != 0)
				return err_wrap(err, "%s", what);
			o->reconnects++;
		}
		body = jws_body(a, jwk, url, payload, err);
		if (body == NULL)
			return -1;
		req = xasprintf(
		    "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: stride-bench\r\n"
		    "Content-Type: application/jose+json\r\nContent-Length: %zu\r\n\r\n%s",
		    path, t->host_header, strlen(body), body);
		free(body);
		o->requests++;
		a->nonce[0] = '\0'; /* used */
		r = http_roundtrip(c, req, strlen(req), resp, err);
		free(req);
		if (r != 0) {
			hconn_close(c);
			o->status = 0;
			return err_wrap(err, "%s", what);
		}
		snprintf(a->nonce, sizeof(a->nonce), "%s", resp->nonce);
		if (resp->close)
			hconn_close(c); /* the body stays in c's buffer */
		if (resp->status == 400 && attempt == 0 && a->nonce[0] != '\0' &&
		    memmem(resp->body, resp->body_len, ACME_PROBLEM_BAD_NONCE,
			   strlen(ACME_PROBLEM_BAD_NONCE)) != NULL) {
			o->bad_nonces++;
			continue;
		}
		return 0;
	}
}

/* The answer's body as a JSON object when its status is want; else an error naming what. */
static json_t *answer_json(const struct hresp *r, int want, const char *what,
			   struct acme_order_out *o, struct error *err)
{
	json_t *doc;

	if (r->status != want) {
		o->status = r->status;
		err_set(err, ERR_INVALID, "%s: status %d: %.*s", what, r->status,
			(int)(r->body_len > 160 ? 160 : r->body_len), (const char *)r->body);
		return NULL;
	}
	doc = json_loadb((const char *)r->body, r->body_len, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		o->status = r->status;
		err_set(err, ERR_INVALID, "%s: the answer is not a JSON object", what);
		return NULL;
	}
	return doc;
}

static void sleep_us(int64_t us)
{
	struct timespec ts = {.tv_sec = (time_t)(us / 1000000),
			      .tv_nsec = (long)(us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

/* --- accounts ------------------------------------------------------------------------------- */

void acme_accounts_free(struct acme_acct *a, int n)
{
	if (a == NULL)
		return;
	for (int i = 0; i < n; i++) {
		EVP_PKEY_free(a[i].key);
		free(a[i].kid);
		free(a[i].new_nonce);
		free(a[i].new_order);
	}
	free(a);
}

int acme_accounts_new(const struct bench_ctx *ctx, const struct target *t, int n,
		      struct acme_acct **out, struct error *err)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	struct acme_acct *a = xcalloc((size_t)n, sizeof(*a));
	struct acme_order_out o = {0};
	json_t *dir = NULL, *payload = NULL;
	struct hconn c;
	struct hresp r;
	char *req = xasprintf("GET /acme/%s/directory HTTP/1.1\r\nHost: %s\r\n"
			      "User-Agent: stride-bench\r\n\r\n",
			      ctx->acme_prov, t->host_header);
	int rc = -1;

	*out = NULL;
	hconn_init(&c);
	if (hconn_open(&c, t, NULL, NULL, NULL, err) != 0 ||
	    http_roundtrip(&c, req, strlen(req), &r, err) != 0)
		goto out;
	if ((dir = answer_json(&r, 200, "directory", &o, err)) == NULL)
		goto out;
	if (json_string_value(json_object_get(dir, "newNonce")) == NULL ||
	    json_string_value(json_object_get(dir, "newAccount")) == NULL ||
	    json_string_value(json_object_get(dir, "newOrder")) == NULL) {
		err_set(err, ERR_INVALID, "the directory lacks newNonce, newAccount or newOrder");
		goto out;
	}
	payload = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	for (int i = 0; i < n; i++) {
		json_t *jwk = NULL;

		a[i].new_nonce = xstrdup(json_string_value(json_object_get(dir, "newNonce")));
		a[i].new_order = xstrdup(json_string_value(json_object_get(dir, "newOrder")));
		if (key_generate(&spec, &a[i].key, err) != 0 ||
		    jwk_thumbprint(a[i].key, a[i].thumbprint, err) != 0 ||
		    (jwk = jwk_from_pkey(a[i].key, false, err)) == NULL)
			goto out;
		/* only the members RFC 7638 needs: kid, use and alg are no business of the server
		 */
		json_object_del(jwk, "kid");
		json_object_del(jwk, "use");
		json_object_del(jwk, "alg");
		if (acme_post(t, &c, &a[i], jwk,
			      json_string_value(json_object_get(dir, "newAccount")), payload,
			      "new-account", &r, &o, err) != 0) {
			json_decref(jwk);
			goto out;
		}
		json_decref(jwk);
		if (r.status != 201 || r.location[0] == '\0') {
			err_set(err, ERR_INVALID, "new-account: status %d: %.*s", r.status,
				(int)(r.body_len > 300 ? 300 : r.body_len), (const char *)r.body);
			goto out;
		}
		a[i].kid = xstrdup(r.location);
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	if (rc != 0)
		err_wrap(err, "creating the ACME accounts");
	free(req);
	json_decref(dir);
	json_decref(payload);
	hconn_free(&c);
	acme_accounts_free(a, n);
	return rc;
}

/* --- one order ------------------------------------------------------------------------------ */

/* The http-01 challenge of an authorization: its token and URL (borrowed from authz). */
static int http01_challenge(const json_t *authz, const char **token, const char **url,
			    struct error *err)
{
	size_t i;
	json_t *ch;

	json_array_foreach(json_object_get(authz, "challenges"), i, ch)
	{
		const char *type = json_string_value(json_object_get(ch, "type"));
		if (type != NULL && strcmp(type, "http-01") == 0) {
			*token = json_string_value(json_object_get(ch, "token"));
			*url = json_string_value(json_object_get(ch, "url"));
			if (*token == NULL || *url == NULL || strlen(*token) >= HTTP01_TOKEN_MAX)
				return err_set(err, ERR_INVALID,
					       "the http-01 challenge lacks a token or url");
			return 0;
		}
	}
	return err_set(err, ERR_INVALID, "the authorization offers no http-01 challenge");
}

int acme_order_run(const struct bench_ctx *ctx, const struct target *t, struct hconn *c,
		   struct acme_acct *a, int slot, const struct prepared *p, bool keep_pem,
		   struct acme_order_out *o, struct error *err)
{
	json_t *payload = NULL, *order = NULL, *authz = NULL, *empty = json_object();
	char *order_url = NULL, *authz_url = NULL, *keyauth = NULL, *cert_url = NULL;
	const char *token = NULL, *ch_url = NULL, *finalize, *status;
	struct hresp r;
	bool slot_used = false;
	int64_t deadline, wait_us = ACME_POLL_FIRST_US;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	/* new-order */
	payload =
	    json_pack("{s:[{s:s, s:s}]}", "identifiers", "type", "dns", "value", ctx->acme_name);
	if (acme_post(t, c, a, NULL, a->new_order, payload, "new-order", &r, o, err) != 0 ||
	    (order = answer_json(&r, 201, "new-order", o, err)) == NULL)
		goto out;
	if (r.location[0] == '\0' ||
	    json_string_value(json_array_get(json_object_get(order, "authorizations"), 0)) ==
		NULL ||
	    json_string_value(json_object_get(order, "finalize")) == NULL) {
		err_set(err, ERR_INVALID, "new-order: no Location, authorization or finalize URL");
		goto out;
	}
	order_url = xstrdup(r.location);
	authz_url =
	    xstrdup(json_string_value(json_array_get(json_object_get(order, "authorizations"), 0)));
	/* the authorization and its http-01 challenge */
	if (acme_post(t, c, a, NULL, authz_url, NULL, "authorization", &r, o, err) != 0 ||
	    (authz = answer_json(&r, 200, "authorization", o, err)) == NULL ||
	    http01_challenge(authz, &token, &ch_url, err) != 0)
		goto out;
	keyauth = xasprintf("%s.%s", token, a->thumbprint);
	http01_set(ctx->http01, slot, token, keyauth);
	slot_used = true;
	if (acme_post(t, c, a, NULL, ch_url, empty, "challenge", &r, o, err) != 0)
		goto out;
	if (r.status != 200) {
		o->status = r.status;
		err_set(err, ERR_INVALID, "challenge: status %d: %.*s", r.status,
			(int)(r.body_len > 160 ? 160 : r.body_len), (const char *)r.body);
		goto out;
	}
	if (!http01_wait(ctx->http01, slot, ACME_SERVED_WAIT_NS)) {
		err_set(err, ERR_INVALID,
			"stride-ca did not fetch the key authorization within %d s",
			(int)(ACME_SERVED_WAIT_NS / 1000000000));
		goto out;
	}
	/* poll the authorization until the result is committed */
	deadline = now_ns() + ACME_POLL_TIMEOUT_NS;
	for (;;) {
		sleep_us(wait_us);
		if (wait_us < ACME_POLL_MAX_US)
			wait_us *= 2;
		json_decref(authz);
		authz = NULL;
		o->polls++;
		if (acme_post(t, c, a, NULL, authz_url, NULL, "authorization poll", &r, o, err) !=
			0 ||
		    (authz = answer_json(&r, 200, "authorization poll", o, err)) == NULL)
			goto out;
		status = json_string_value(json_object_get(authz, "status"));
		if (status != NULL && strcmp(status, "valid") == 0)
			break;
		if (status == NULL || strcmp(status, "pending") != 0) {
			err_set(err, ERR_INVALID, "authorization %s: %.*s",
				status != NULL ? status : "without status",
				(int)(r.body_len > 200 ? 200 : r.body_len), (const char *)r.body);
			goto out;
		}
		if (now_ns() > deadline) {
			err_set(err, ERR_INVALID, "authorization still pending after %d s",
				(int)(ACME_POLL_TIMEOUT_NS / 1000000000));
			goto out;
		}
	}
	http01_clear(ctx->http01, slot);
	slot_used = false;
	/* finalize (stride-ca issues at once; an order still processing is polled) */
	finalize = json_string_value(json_object_get(order, "finalize"));
	json_decref(payload);
	payload = json_pack("{s:s}", "csr", p->csr_b64);
	if (acme_post(t, c, a, NULL, finalize, payload, "finalize", &r, o, err) != 0)
		goto out;
	json_decref(order);
	if ((order = answer_json(&r, 200, "finalize", o, err)) == NULL)
		goto out;
	wait_us = ACME_POLL_FIRST_US;
	while ((status = json_string_value(json_object_get(order, "status"))) != NULL &&
	       strcmp(status, "processing") == 0 && now_ns() < deadline) {
		sleep_us(wait_us);
		if (wait_us < ACME_POLL_MAX_US)
			wait_us *= 2;
		json_decref(order);
		order = NULL;
		if (acme_post(t, c, a, NULL, order_url, NULL, "order poll", &r, o, err) != 0 ||
		    (order = answer_json(&r, 200, "order poll", o, err)) == NULL)
			goto out;
	}
	if (status == NULL || strcmp(status, "valid") != 0 ||
	    json_string_value(json_object_get(order, "certificate")) == NULL) {
		err_set(err, ERR_INVALID, "finalize: order %s without a certificate",
			status != NULL ? status : "without status");
		goto out;
	}
	cert_url = xstrdup(json_string_value(json_object_get(order, "certificate")));
	/* the certificate */
	if (acme_post(t, c, a, NULL, cert_url, NULL, "certificate", &r, o, err) != 0)
		goto out;
	if (r.status != 200) {
		o->status = r.status;
		err_set(err, ERR_INVALID, "certificate: status %d: %.*s", r.status,
			(int)(r.body_len > 160 ? 160 : r.body_len), (const char *)r.body);
		goto out;
	}
	if (keep_pem) {
		o->pem = xmalloc(r.body_len + 1);
		memcpy(o->pem, r.body, r.body_len);
		o->pem[r.body_len] = '\0';
		o->pem_len = r.body_len;
	}
	rc = 0;
out:
	if (slot_used)
		http01_clear(ctx->http01, slot);
	json_decref(payload);
	json_decref(order);
	json_decref(authz);
	json_decref(empty);
	free(order_url);
	free(authz_url);
	free(keyauth);
	free(cert_url);
	return rc;
}
