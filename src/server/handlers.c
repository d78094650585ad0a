/* handlers.c - the endpoints of the core API (http-api.md §3) and the request dispatcher. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/log.h"
#include "base/password.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "server/decode.h"
#include "server/internal.h"
#include "server/respond.h"
#include "server/server.h"

#ifndef STRIDE_VERSION
#define STRIDE_VERSION "0.0.0-dev"
#endif

#define NOT_FOUND_TEXT "404 page not found\n"
#define REQUEST_ID_MAX 64

typedef void (*handler_fn)(struct request_ctx *rc, const struct route_match *m);

/* {"crts":[PEM, ...]} of a list of certificates, or NULL with err set. */
static json_t *pem_list(STACK_OF(X509) * certs, struct error *err)
{
	json_t *list = json_array();

	for (int i = 0; i < sk_X509_num(certs); i++) {
		char *pem = NULL;

		if (cert_to_pem(sk_X509_value(certs, i), &pem, err) != 0) {
			json_decref(list);
			return NULL;
		}
		json_array_append_new(list, json_string(pem));
		free(pem);
	}
	return json_pack("{s:o}", "crts", list);
}

static void handle_health(struct request_ctx *rc, const struct route_match *m)
{
	(void)m;
	respond_json(rc, 200, json_pack("{s:s}", "status", "ok"));
}

static void handle_version(struct request_ctx *rc, const struct route_match *m)
{
	(void)m;
	respond_json(rc, 200, json_pack("{s:s}", "version", STRIDE_VERSION));
}

static void handle_root(struct request_ctx *rc, const struct route_match *m)
{
	X509 *root = authority_root_by_fingerprint(rc->a, m->param);
	struct error err = {0};
	char *pem = NULL;

	if (root == NULL) {
		err_set(&err, ERR_NOT_FOUND,
			"root certificate with fingerprint \"%s\" was not found", m->param);
		respond_error(rc, &err);
		return;
	}
	if (cert_to_pem(root, &pem, &err) != 0) {
		respond_error(rc, &err);
		return;
	}
	respond_json(rc, 200, json_pack("{s:s}", "ca", pem));
	free(pem);
}

/* 201 {"crts":[...]} (step's quirk: 201 on GET). */
static void respond_crts(struct request_ctx *rc, STACK_OF(X509) * certs)
{
	struct error err = {0};
	json_t *doc = pem_list(certs, &err);

	if (doc == NULL) {
		respond_error(rc, &err);
		return;
	}
	respond_json(rc, 201, doc);
}

static void respond_pem_bundle(struct request_ctx *rc, STACK_OF(X509) * certs)
{
	struct error err = {0};
	char *pem = NULL;

	if (cert_chain_to_pem(certs, &pem, &err) != 0) {
		respond_error(rc, &err);
		return;
	}
	respond_raw(rc, 200, "application/x-pem-file", pem, strlen(pem));
	free(pem);
}

static void handle_roots(struct request_ctx *rc, const struct route_match *m)
{
	(void)m;
	respond_crts(rc, authority_roots(rc->a));
}

static void handle_roots_pem(struct request_ctx *rc, const struct route_match *m)
{
	(void)m;
	respond_pem_bundle(rc, authority_roots(rc->a));
}

static void handle_federation(struct request_ctx *rc, const struct route_match *m)
{
	(void)m;
	respond_crts(rc, authority_federation(rc->a));
}

static void handle_intermediates(struct request_ctx *rc, const struct route_match *m)
{
	STACK_OF(X509) *inter = authority_intermediates(rc->a);

	if (sk_X509_num(inter) <= 0) {
		respond_status(rc, 501);
		return;
	}
	if (m->id == ROUTE_INTERMEDIATES_PEM)
		respond_pem_bundle(rc, inter);
	else
		respond_crts(rc, inter);
}

static void handle_provisioners(struct request_ctx *rc, const struct route_match *m)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(rc->req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	char *cursor = NULL, *limit = NULL;
	struct error err = {0};
	json_t *page = NULL;
	(void)m;

	query_get(query, "cursor", &cursor);
	query_get(query, "limit", &limit);
	if (authority_provisioners_page(rc->a, cursor, limit, &page, &err) != 0)
		respond_error(rc, &err);
	else
		respond_json(rc, 200, page);
	free(cursor);
	free(limit);
}

static void handle_provisioner_key(struct request_ctx *rc, const struct route_match *m)
{
	struct error err = {0};
	const char *jwe = NULL;

	if (authority_encrypted_key(rc->a, m->param, &jwe, &err) != 0) {
		respond_error(rc, &err);
		return;
	}
	respond_json(rc, 200, json_pack("{s:s}", "key", jwe));
}

/* The client certificate of the request's connection (borrowed; the TLS layer verified it)
 * and the chain the client sent after it, or NULL when the client sent none. */
static X509 *peer_certificate(struct request_ctx *rc, STACK_OF(X509) * *chain)
{
	SSL *ssl = request_ssl(rc->req);
	X509 *peer = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;

	*chain = NULL;
	if (peer == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
		return NULL;
	*chain = SSL_get_peer_cert_chain(ssl);
	return peer;
}

/* The largest body ca.json allows (evhttp refuses larger ones with 413 before a handler runs). */
static size_t max_body(const struct request_ctx *rc)
{
	return (size_t)authority_config(rc->a)->limits.max_body_bytes;
}

/* The request body as one contiguous block (owned by the request); *len its size. */
static uint8_t *request_body(struct request_ctx *rc, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rc->req);

	*len = in != NULL ? evbuffer_get_length(in) : 0;
	return *len > 0 ? evbuffer_pullup(in, -1) : (uint8_t *)"";
}

/* Appends s as a JSON string. PEM needs only its newlines escaped; the rest is for safety. */
static void put_json_string(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		if (c != '\0' && c >= 0x20 && c != '"' && c != '\\')
			continue;
		evbuffer_add(b, run, (size_t)(s - run));
		if (c == '\0')
			break;
		if (c == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add_printf(b, "\\u%04x", c);
		run = s + 1;
	}
	evbuffer_add(b, "\"", 1);
}

/* The SignResponse (http-api.md §2.1: crt, ca, certChain, tlsOptions in this order) of a new
 * certificate, always issued under the authority's intermediates. The parts that never change
 * are encoded once (authority.h): per request only the new certificate is encoded. */
static struct evbuffer *sign_response_body(struct request_ctx *rc, const struct issued *out,
					   struct error *err)
{
	int n = sk_X509_num(authority_intermediates(rc->a));
	const char *tls = authority_tls_options_json(rc->a);
	struct evbuffer *b;
	char *pem = NULL;

	if (cert_to_pem(out->leaf, &pem, err) != 0)
		return NULL;
	b = evbuffer_new();
	if (b == NULL) {
		free(pem);
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	evbuffer_add(b, "{\"crt\":", 7);
	put_json_string(b, pem);
	evbuffer_add_printf(b, ",\"ca\":%s,\"certChain\":[",
			    n > 0 ? authority_intermediate_json(rc->a, 0) : "null");
	put_json_string(b, pem);
	for (int i = 0; i < n; i++)
		evbuffer_add_printf(b, ",%s", authority_intermediate_json(rc->a, i));
	evbuffer_add(b, "]", 1);
	if (tls != NULL)
		evbuffer_add_printf(b, ",\"tlsOptions\":%s", tls);
	evbuffer_add(b, "}\n", 2);
	free(pem);
	return b;
}

/* Answers 201 with the SignResponse of a new certificate and logs what was issued; after an mTLS
 * renewal the answer closes the connection (request_ctx.renews_peer). */
static void respond_issued(struct request_ctx *rc, const struct issued *out)
{
	struct error err = {0};
	struct evbuffer *body;

	rc->serial = xstrdup(out->serial != NULL ? out->serial : "");
	rc->subject = xstrdup(out->subject != NULL ? out->subject : "");
	rc->provisioner = xstrdup(out->provisioner != NULL ? out->provisioner : "");
	body = sign_response_body(rc, out, &err);
	if (body == NULL) {
		respond_error(rc, &err);
		return;
	}
	rc->close |= rc->renews_peer;
	respond_buffer(rc, 201, "application/json", body);
	evbuffer_free(body);
}

static void request_finish(struct request_ctx *rc);

/* Kyma's error body {"code":N,"error":"..."}. */
static void respond_kyma_error(struct request_ctx *rc, const struct error *err)
{
	char msg[ERR_MSG_MAX];
	int status = http_error_map(err, msg, sizeof(msg));

	if (err->expose && status < 500)
		snprintf(msg, sizeof(msg), "%s", err->msg);
	rc->error = xstrdup(err->msg);
	respond_json(rc, status, json_pack("{s:i, s:s}", "code", status, "error", msg));
}

/* {"crt","clientCrt","caCrt"}: base64 of PEM chain, leaf, and issuing CA (kyma-renewal.md). */
static json_t *kyma_response(const struct issued *out, struct error *err)
{
	char *leaf = NULL, *ca = NULL, *chain = NULL, *b[3] = {NULL, NULL, NULL};
	json_t *doc = NULL;

	if (cert_to_pem(out->leaf, &leaf, err) != 0 ||
	    cert_to_pem(sk_X509_value(out->chain, 0), &ca, err) != 0)
		goto out;
	chain = xasprintf("%s%s", leaf, ca);
	b[0] = b64_encode(chain, strlen(chain));
	b[1] = b64_encode(leaf, strlen(leaf));
	b[2] = b64_encode(ca, strlen(ca));
	doc = json_pack("{s:s, s:s, s:s}", "crt", b[0], "clientCrt", b[1], "caCrt", b[2]);
out:
	free(leaf);
	free(ca);
	free(chain);
	for (int i = 0; i < 3; i++)
		free(b[i]);
	return doc;
}

/* ---- requests that wait for the authority ---------------------------------------------------
 *
 * sign, renew, rekey, revoke and the Kyma renewal end when the authority's done callback runs,
 * once what they wrote is durable. A request's pending context holds what the operation reads
 * (body, CSR, client certificate, token) until then. When done runs while the handler is still
 * in the authority's call (a refusal before any write, a store that commits at once, or a
 * commit quick enough), the handler answers; otherwise done runs on another thread (the store's
 * committer or an authority thread) and hands the answer to the request's own worker, whose
 * event loop goes on serving others meanwhile. */

enum pending_state {
	PENDING_CALLING,  /* the handler is in the authority's call */
	PENDING_RETURNED, /* the call returned before done ran: done posts the answer */
	PENDING_DONE,	  /* done ran during the call: the handler answers */
};

struct pending {
	struct request_ctx rc; /* moved from the handler's caller */
	enum route_id route;
	atomic_int state; /* enum pending_state */
	/* what the operation reads, kept until done has run */
	struct sign_body sign;	   /* /sign, /rekey */
	struct revoke_body revoke; /* /revoke */
	X509_REQ *kyma_csr;
	X509 *peer;		     /* a reference of our own */
	STACK_OF(X509) * peer_chain; /* references of our own */
	char *bearer;		     /* the renew token, a copy */
	uint8_t *body;		     /* the request's body, wiped at the end (tokens) */
	size_t body_len;
	/* the result */
	int op_rc;
	struct error err;
	struct issued out;
	char *serial; /* /revoke */
	/* without a worker (tests): the handler waits for done */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool finished;
};

static struct pending *pending_new(struct request_ctx *rc, enum route_id route)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	p->rc = *rc;
	p->route = route;
	atomic_init(&p->state, PENDING_CALLING);
	if (rc->w == NULL) {
		pthread_mutex_init(&p->lock, NULL);
		pthread_cond_init(&p->cond, NULL);
	}
	return p;
}

/* Keeps the client certificate and its chain for the operation (the connection may go). */
static void pending_keep_peer(struct pending *p, X509 *peer, STACK_OF(X509) * chain)
{
	if (peer != NULL && X509_up_ref(peer) == 1)
		p->peer = peer;
	if (chain != NULL)
		p->peer_chain = X509_chain_up_ref(chain);
}

static void pending_free(struct pending *p)
{
	if (p->rc.w == NULL) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
	}
	issued_free(&p->out);
	free(p->serial);
	sign_body_free(&p->sign);
	revoke_body_free(&p->revoke);
	X509_REQ_free(p->kyma_csr);
	X509_free(p->peer);
	sk_X509_pop_free(p->peer_chain, X509_free);
	if (p->bearer != NULL) {
		secure_wipe(p->bearer, strlen(p->bearer));
		free(p->bearer);
	}
	free(p);
}

/* The answer of a finished operation, on the request's worker; then the request ends. */
static void pending_answer(struct pending *p)
{
	struct request_ctx *rc = &p->rc;
	json_t *doc;

	if (p->body_len > 0)
		secure_wipe(p->body, p->body_len); /* before the answer, which may free it */
	if (p->op_rc != 0 && p->route == ROUTE_KYMA_RENEWALS) {
		respond_kyma_error(rc, &p->err);
	} else if (p->op_rc != 0) {
		respond_error(rc, &p->err);
	} else if (p->route == ROUTE_REVOKE) {
		rc->serial = p->serial;
		p->serial = NULL;
		respond_json(rc, 200, json_pack("{s:s}", "status", "ok"));
	} else if (p->route == ROUTE_KYMA_RENEWALS) {
		rc->serial = xstrdup(p->out.serial);
		rc->subject = xstrdup(p->out.subject);
		doc = kyma_response(&p->out, &p->err);
		if (doc == NULL) {
			respond_kyma_error(rc, &p->err);
		} else {
			rc->renews_peer = true;
			rc->close = true;
			respond_json(rc, 201, doc);
		}
	} else {
		respond_issued(rc, &p->out);
	}
	request_finish(rc);
	pending_free(p);
}

/* Worker thread: the operation ended after its handler returned. */
static void pending_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct worker *w = p->rc.w;
	(void)fd;
	(void)what;

	pending_answer(p);
	atomic_fetch_sub(&w->deferred, 1);
}

/* Any thread: the operation's result is in p. */
static void pending_done(struct pending *p)
{
	int expected = PENDING_CALLING;

	if (atomic_compare_exchange_strong(&p->state, &expected, PENDING_DONE))
		return; /* the handler is still in the call and answers */
	if (p->rc.w == NULL) {
		pthread_mutex_lock(&p->lock);
		p->finished = true;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	if (event_base_once(p->rc.w->base, -1, EV_TIMEOUT, pending_answer_cb, p, NULL) != 0) {
		fprintf(stderr, "stride-ca: out of memory queueing an answer\n");
		abort();
	}
}

static void issued_done(void *arg, int rc, const struct error *err, struct issued *out)
{
	struct pending *p = arg;

	p->op_rc = rc;
	if (rc != 0)
		p->err = *err;
	p->out = *out;
	memset(out, 0, sizeof(*out));
	pending_done(p);
}

static void revoked_done(void *arg, int rc, const struct error *err, char *serial)
{
	struct pending *p = arg;

	p->op_rc = rc;
	if (rc != 0)
		p->err = *err;
	p->serial = serial;
	pending_done(p);
}

/* The handler's side once the authority's call has returned: answers now when done has run,
 * else leaves the answer to done (the request is deferred) or, without a worker, waits. */
static void pending_returned(struct request_ctx *rc, struct pending *p)
{
	int expected = PENDING_CALLING;

	if (!atomic_compare_exchange_strong(&p->state, &expected, PENDING_RETURNED)) {
		pending_answer(p); /* done ran during the call */
		rc->deferred = true;
		return;
	}
	if (p->rc.w == NULL) {
		pthread_mutex_lock(&p->lock);
		while (!p->finished)
			pthread_cond_wait(&p->cond, &p->lock);
		pthread_mutex_unlock(&p->lock);
		pending_answer(p);
		rc->deferred = true;
		return;
	}
	/* p belongs to the answer from here on; worker_main waits for it at shutdown. */
	atomic_fetch_add(&rc->w->deferred, 1);
	rc->deferred = true;
}

static void handle_sign(struct request_ctx *rc, const struct route_match *m)
{
	struct pending *p;
	struct error err = {0};
	size_t len;
	uint8_t *data = request_body(rc, &len);
	struct sign_body body = {0};
	(void)m;

	if (sign_body_parse(data, len, max_body(rc), &body, &err) != 0) {
		respond_error(rc, &err);
		if (len > 0)
			secure_wipe(data, len); /* the body holds the one-time token */
		return;
	}
	p = pending_new(rc, ROUTE_SIGN);
	p->sign = body;
	p->body = data;
	p->body_len = len;
	{
		struct sign_request req = {
		    .csr = p->sign.csr,
		    .ott = p->sign.ott,
		    .not_before = p->sign.not_before,
		    .not_after = p->sign.not_after,
		    .template_data = p->sign.template_data,
		};
		authority_sign_async(rc->a, &req, issued_done, p);
	}
	pending_returned(rc, p);
}

/* POST /renew: the mTLS peer, else a Bearer renew token (http-api.md §3.8). */
static void handle_renew(struct request_ctx *rc, const struct route_match *m)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(rc->req);
	const char *auth = evhttp_find_header(headers, "Authorization");
	struct renew_request req = {.peer_verified = true};
	STACK_OF(X509) *chain = NULL;
	X509 *peer = peer_certificate(rc, &chain);
	struct pending *p;
	(void)m;

	rc->renews_peer = peer != NULL; /* a Bearer token leaves the connection as it was */
	p = pending_new(rc, ROUTE_RENEW);
	pending_keep_peer(p, peer, chain);
	if (peer == NULL && auth != NULL && strncmp(auth, "Bearer ", 7) == 0)
		p->bearer = xstrdup(auth + 7);
	req.peer = p->peer;
	req.peer_chain = p->peer_chain;
	req.bearer_token = p->bearer;
	authority_renew_async(rc->a, &req, issued_done, p);
	pending_returned(rc, p);
}

/* POST /rekey: mTLS only, the new key from the CSR (http-api.md §3.9). */
static void handle_rekey(struct request_ctx *rc, const struct route_match *m)
{
	struct renew_request req = {.peer_verified = true};
	STACK_OF(X509) *chain = NULL;
	X509 *peer = peer_certificate(rc, &chain);
	struct sign_body body = {0};
	struct error err = {0};
	struct pending *p;
	size_t len;
	uint8_t *data = request_body(rc, &len);
	(void)m;

	if (peer == NULL) {
		err_public(&err, ERR_INVALID, "missing client certificate");
		respond_error(rc, &err);
		return;
	}
	rc->renews_peer = true;
	if (rekey_body_parse(data, len, max_body(rc), &body, &err) != 0) {
		respond_error(rc, &err);
		return;
	}
	p = pending_new(rc, ROUTE_REKEY);
	p->sign = body;
	pending_keep_peer(p, peer, chain);
	req.peer = p->peer;
	req.peer_chain = p->peer_chain;
	req.csr = p->sign.csr;
	authority_renew_async(rc->a, &req, issued_done, p);
	pending_returned(rc, p);
}

/* POST /revoke: by token or by the mTLS peer (http-api.md §3.10). */
static void handle_revoke(struct request_ctx *rc, const struct route_match *m)
{
	STACK_OF(X509) *chain = NULL;
	X509 *peer = peer_certificate(rc, &chain);
	struct revoke_body body = {0};
	struct error err = {0};
	struct pending *p;
	size_t len;
	uint8_t *data = request_body(rc, &len);
	(void)m;

	if (revoke_body_parse(data, len, max_body(rc), &body, &err) != 0) {
		respond_error(rc, &err);
		if (len > 0)
			secure_wipe(data, len); /* the body may hold a token */
		return;
	}
	p = pending_new(rc, ROUTE_REVOKE);
	p->revoke = body;
	p->body = data;
	p->body_len = len;
	pending_keep_peer(p, peer, NULL);
	{
		struct revoke_request req = {
		    .serial = p->revoke.serial,
		    .ott = p->revoke.ott,
		    .peer = p->peer,
		    .peer_verified = true,
		    .reason_code = p->revoke.reason_code,
		    .reason = p->revoke.reason,
		    .passive = p->revoke.passive,
		};
		authority_revoke_async(rc->a, &req, revoked_done, p);
	}
	pending_returned(rc, p);
}

/* POST /v1/applications/certificates/renewals: Kyma's renewal with a CSR over mTLS. */
static void handle_kyma_renewal(struct request_ctx *rc, const struct route_match *m)
{
	STACK_OF(X509) *chain = NULL;
	X509 *peer = peer_certificate(rc, &chain);
	X509_REQ *csr = NULL;
	struct error err = {0};
	struct pending *p;
	size_t len;
	uint8_t *data = request_body(rc, &len);
	(void)m;

	if (peer == NULL) {
		err_public(&err, ERR_UNAUTHORIZED, "Client certificate required.");
		respond_kyma_error(rc, &err);
		return;
	}
	if (kyma_body_parse(data, len, max_body(rc), &csr, &err) != 0) {
		respond_kyma_error(rc, &err);
		return;
	}
	p = pending_new(rc, ROUTE_KYMA_RENEWALS);
	p->kyma_csr = csr;
	pending_keep_peer(p, peer, NULL);
	authority_kyma_renew_async(rc->a, p->peer, p->kyma_csr, issued_done, p);
	pending_returned(rc, p);
}

static const handler_fn handlers[ROUTE_COUNT] = {
    [ROUTE_HEALTH] = handle_health,
    [ROUTE_VERSION] = handle_version,
    [ROUTE_ROOT] = handle_root,
    [ROUTE_ROOTS] = handle_roots,
    [ROUTE_ROOTS_PEM] = handle_roots_pem,
    [ROUTE_FEDERATION] = handle_federation,
    [ROUTE_INTERMEDIATES] = handle_intermediates,
    [ROUTE_INTERMEDIATES_PEM] = handle_intermediates,
    [ROUTE_PROVISIONERS] = handle_provisioners,
    [ROUTE_PROVISIONER_KEY] = handle_provisioner_key,
    [ROUTE_SIGN] = handle_sign,
    [ROUTE_RENEW] = handle_renew,
    [ROUTE_REKEY] = handle_rekey,
    [ROUTE_REVOKE] = handle_revoke,
    [ROUTE_KYMA_RENEWALS] = handle_kyma_renewal,
};

static enum http_method method_of(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
		return HTTP_GET;
	case EVHTTP_REQ_HEAD:
		return HTTP_HEAD;
	case EVHTTP_REQ_POST:
		return HTTP_POST;
	case EVHTTP_REQ_PUT:
		return HTTP_PUT;
	case EVHTTP_REQ_DELETE:
		return HTTP_DELETE;
	case EVHTTP_REQ_OPTIONS:
		return HTTP_OPTIONS;
	case EVHTTP_REQ_PATCH:
		return HTTP_PATCH;
	case EVHTTP_REQ_TRACE:
		return HTTP_TRACE;
	case EVHTTP_REQ_CONNECT:
		return HTTP_CONNECT;
	default:
		return HTTP_OTHER;
	}
}

/* Echoes a sane X-Request-Id (or step's legacy X-Smallstep-Id), else a new UUIDv4. */
static void set_request_id(struct request_ctx *rc)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(rc->req);
	const char *given = evhttp_find_header(h, "X-Request-Id");
	unsigned char r[16];

	if (given == NULL)
		given = evhttp_find_header(h, "X-Smallstep-Id");
	if (given != NULL && given[0] != '\0' && strlen(given) <= REQUEST_ID_MAX) {
		bool ok = true;
		for (const char *p = given; *p != '\0' && ok; p++)
			ok = *p > 0x20 && *p < 0x7f;
		if (ok) {
			snprintf(rc->request_id, sizeof(rc->request_id), "%s", given);
			return;
		}
	}
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(rc->request_id, sizeof(rc->request_id),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
		 r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
		 r[15]);
}

/* The path of the request target without its query, for the log (malloc'd). */
static char *log_path(const char *uri)
{
	size_t n = strcspn(uri, "?#");

	if (n > 2048)
		n = 2048;
	return xasprintf("%.*s", (int)n, uri);
}

static void log_request(struct request_ctx *rc, const char *uri, int64_t start_ns)
{
	struct evhttp_connection *evcon =
	    rc->req != NULL ? evhttp_request_get_connection(rc->req) : NULL;
	struct evkeyvalq *h = rc->req != NULL ? evhttp_request_get_input_headers(rc->req) : NULL;
	const char *ua = h != NULL ? evhttp_find_header(h, "User-Agent") : NULL;
	char *peer_host = NULL;
	ev_uint16_t peer_port = 0;
	char remote[128] = "";
	char status[16], duration[32];
	char *path = log_path(uri);
	enum log_level level = rc->status >= 500 ? LOG_ERROR : LOG_INFO;

	if (evcon != NULL) {
		evhttp_connection_get_peer(evcon, &peer_host, &peer_port);
		if (peer_host != NULL)
			snprintf(remote, sizeof(remote),
				 strchr(peer_host, ':') ? "[%s]:%u" : "%s:%u", peer_host,
				 (unsigned)peer_port);
	}
	snprintf(status, sizeof(status), "%d", rc->status);
	snprintf(duration, sizeof(duration), "%lld",
		 (long long)((time_now_ns() - start_ns) / NS_PER_US));
	if (ua == NULL)
		ua = "";
#define BASE_FIELDS                                                                                \
	"request_id", rc->request_id, "method", http_method_name(rc->method), "path", path,        \
	    "status", status, "duration_us", duration, "remote_address", remote, "user_agent", ua
	if (rc->error != NULL)
		log_msg(level, "request", BASE_FIELDS, "error", rc->error, NULL);
	else if (rc->serial != NULL)
		log_msg(level, "request", BASE_FIELDS, "serial", rc->serial, "subject", rc->subject,
			"provisioner", rc->provisioner, NULL);
	else
		log_msg(level, "request", BASE_FIELDS, NULL);
#undef BASE_FIELDS
	free(path);
}

void server_handle_request(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct route_match m;
	struct request_ctx rc = {
	    .req = req,
	    .a = w->srv->a,
	    .w = w,
	    .method = method_of(evhttp_request_get_command(req)),
	    .close = w->draining,
	    .start_ns = time_now_ns(),
	};

	if (uri == NULL)
		uri = "";
	set_request_id(&rc);
	router_match(rc.method, uri, strlen(uri), &m);
	switch (m.status) {
	case ROUTE_FOUND:
		rc.head = m.head;
		handlers[m.id](&rc, &m);
		break;
	case ROUTE_BAD_METHOD:
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", m.allow);
		respond_raw(&rc, 405, NULL, "", 0);
		break;
	case ROUTE_NOT_FOUND:
	default:
		rc.head = rc.method == HTTP_HEAD;
		evhttp_add_header(evhttp_request_get_output_headers(req), "X-Content-Type-Options",
				  "nosniff");
		respond_raw(&rc, 404, "text/plain; charset=utf-8", NOT_FOUND_TEXT,
			    strlen(NOT_FOUND_TEXT));
		break;
	}
	if (!rc.deferred)
		request_finish(&rc);
}

/* After the answer: logs the request and frees what its context owns. rc->req is NULL when the
 * client left before a deferred answer (respond.c): the line then lacks the path and peer. */
static void request_finish(struct request_ctx *rc)
{
	const char *uri = rc->req != NULL ? evhttp_request_get_uri(rc->req) : NULL;

	if (rc->status == 0) /* a handler that forgot to answer is our bug, not the client's */
		respond_status(rc, 500);
	log_request(rc, uri != NULL ? uri : "", rc->start_ns);
	free(rc->error);
	free(rc->serial);
	free(rc->subject);
	free(rc->provisioner);
}
