/* operations.c - the endpoints that make the authority write: POST /sign, /renew, /rekey,
 * /revoke and Kyma's renewal, as step-ca and Kyma's connector answer them.
 *
 * Each decodes its request, hands it to the authority's asynchronous API and answers when the
 * authority's done callback runs, once what the operation wrote is durable (see "requests that
 * wait for the authority" below). The read-only endpoints and the dispatcher are in handlers.c.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/password.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "acme/acme.h"
#include "admin/admin.h"
#include "sshca/sshca.h"
#include "ocsp/ocsp.h"
#include "server/decode.h"
#include "server/internal.h"
#include "server/respond.h"

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

/* The largest body ca.json allows (evhttp refuses larger ones with 413 before a handler runs);
 * the server's limits, which a reload may change. */
static size_t max_body(const struct request_ctx *rc)
{
	if (rc->w != NULL)
		return (size_t)server_limits(rc->w->srv)->max_body_bytes;
	return (size_t)authority_config(rc->a)->limits.max_body_bytes;
}

/* The request body as one contiguous block (owned by the request); *len its size. */
static uint8_t *request_body(struct request_ctx *rc, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rc->req);

	*len = in != NULL ? evbuffer_get_length(in) : 0;
	return *len > 0 ? evbuffer_pullup(in, -1) : (uint8_t *)"";
}

/* Sends the ACME engine's answer with its headers (RFC 8555 §6.5, §7.1, §8). */
static void respond_acme(struct request_ctx *rc, struct acme_response *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(rc->req);
	char *link;

	if (r->nonce != NULL)
		evhttp_add_header(h, "Replay-Nonce", r->nonce);
	if (r->no_store)
		evhttp_add_header(h, "Cache-Control", "no-store");
	if (r->link_index != NULL) {
		link = xasprintf("<%s>;rel=\"index\"", r->link_index);
		evhttp_add_header(h, "Link", link);
		free(link);
	}
	if (r->link_up != NULL) {
		link = xasprintf("<%s>;rel=\"up\"", r->link_up);
		evhttp_add_header(h, "Link", link);
		free(link);
	}
	if (r->location != NULL)
		evhttp_add_header(h, "Location", r->location);
	if (r->retry_after > 0) {
		char v[16];

		snprintf(v, sizeof(v), "%d", r->retry_after);
		evhttp_add_header(h, "Retry-After", v);
	}
	rc->error = r->error;
	r->error = NULL;
	rc->serial = r->serial;
	r->serial = NULL;
	rc->provisioner = r->provisioner;
	r->provisioner = NULL;
	rc->subject = r->subject;
	r->subject = NULL;
	rc->sans = r->sans;
	memset(&r->sans, 0, sizeof(r->sans));
	if (rc->serial != NULL && rc->subject == NULL)
		rc->subject = xstrdup("");
	respond_raw(rc, r->status, r->content_type, r->body != NULL ? r->body : "", r->body_len);
}

/* Sends the admin engine's answer; its error goes to the request log. */
static void respond_admin(struct request_ctx *rc, struct admin_response *r)
{
	if (r->status == 404 && r->content_type != NULL &&
	    str_has_prefix(r->content_type, "text/plain"))
		evhttp_add_header(evhttp_request_get_output_headers(rc->req),
				  "X-Content-Type-Options", "nosniff");
	rc->error = r->error;
	r->error = NULL;
	respond_raw(rc, r->status, r->content_type, r->body != NULL ? r->body : "", r->body_len);
}

/* Sends the SSH engine's answer; its error goes to the request log. */
static void respond_ssh(struct request_ctx *rc, struct sshca_response *r)
{
	if (r->status == 404 && r->content_type != NULL &&
	    str_has_prefix(r->content_type, "text/plain"))
		evhttp_add_header(evhttp_request_get_output_headers(rc->req),
				  "X-Content-Type-Options", "nosniff");
	rc->error = r->error;
	r->error = NULL;
	rc->serial = r->audit.serial;
	rc->subject = r->audit.subject;
	rc->provisioner = r->audit.provisioner;
	rc->sans = r->audit.sans;
	memset(&r->audit, 0, sizeof(r->audit));
	respond_raw(rc, r->status, r->content_type, r->body != NULL ? r->body : "", r->body_len);
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
	/* the engines (ACME, admin API, SSH): copies of what they read (pending_for_engine), the
	 * headers some of them read (the admin token is wiped), and their answers */
	char *engine_path, *engine_query;
	char *acme_host, *acme_content_type, *admin_auth;
	struct acme_response *acme;
	struct admin_response *admin;
	struct sshca_response *ssh;
	uint8_t *ocsp_der; /* the OCSPResponse */
	size_t ocsp_len;
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
	if (p->route == ROUTE_ACME || p->route == ROUTE_ADMIN || p->route == ROUTE_SSH ||
	    p->route == ROUTE_OCSP)
		free(p->body); /* a copy (handle_acme, handle_admin, handle_ssh, handle_ocsp); the
				* others point into the request */
	free(p->engine_path);
	free(p->engine_query);
	free(p->ocsp_der);
	if (p->admin_auth != NULL) {
		secure_wipe(p->admin_auth, strlen(p->admin_auth));
		free(p->admin_auth);
	}
	admin_response_free(p->admin);
	free(p->admin);
	sshca_response_free(p->ssh);
	free(p->ssh);
	free(p->acme_host);
	free(p->acme_content_type);
	acme_response_free(p->acme);
	free(p->acme);
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
	if (p->route == ROUTE_ACME || p->route == ROUTE_SSH)
		rc->audit_op = observe_engine_operation(p->route, rc->method, p->engine_path);
	if (p->route == ROUTE_ACME) {
		respond_acme(rc, p->acme);
	} else if (p->route == ROUTE_ADMIN) {
		respond_admin(rc, p->admin);
	} else if (p->route == ROUTE_SSH) {
		respond_ssh(rc, p->ssh);
	} else if (p->route == ROUTE_OCSP) {
		respond_raw(rc, 200, "application/ocsp-response", p->ocsp_der, p->ocsp_len);
	} else if (p->op_rc != 0 && p->route == ROUTE_KYMA_RENEWALS) {
		respond_kyma_error(rc, &p->err);
	} else if (p->op_rc != 0) {
		if (p->route == ROUTE_REVOKE && p->revoke.serial != NULL)
			rc->serial = xstrdup(p->revoke.serial); /* for the audit record */
		respond_error(rc, &p->err);
	} else if (p->route == ROUTE_REVOKE) {
		rc->serial = p->serial;
		p->serial = NULL;
		respond_json(rc, 200, json_pack("{s:s}", "status", "ok"));
	} else if (p->route == ROUTE_KYMA_RENEWALS) {
		rc->serial = xstrdup(p->out.serial);
		rc->subject = xstrdup(p->out.subject);
		rc->provisioner = xstrdup(p->out.provisioner != NULL ? p->out.provisioner : "");
		observe_sans(p->out.der, p->out.der_len, &rc->sans);
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

void handle_sign(struct request_ctx *rc, const struct route_match *m)
{
	struct pending *p;
	struct error err = {0};
	size_t len;
	uint8_t *data = request_body(rc, &len);
	struct sign_body body = {0};
	(void)m;

	rc->audit_op = AUDIT_X509_SIGN;
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

/* POST /renew: the mTLS peer, else a Bearer renew token, as step-ca's POST /renew. */
void handle_renew(struct request_ctx *rc, const struct route_match *m)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(rc->req);
	const char *auth = evhttp_find_header(headers, "Authorization");
	struct renew_request req = {.peer_verified = true};
	STACK_OF(X509) *chain = NULL;
	X509 *peer = peer_certificate(rc, &chain);
	struct pending *p;
	(void)m;

	rc->audit_op = AUDIT_X509_RENEW;
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

/* POST /rekey: mTLS only, the new key from the CSR, as step-ca's POST /rekey. */
void handle_rekey(struct request_ctx *rc, const struct route_match *m)
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

	rc->audit_op = AUDIT_X509_REKEY;
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

/* POST /revoke: by token or by the mTLS peer, as step-ca's POST /revoke. */
void handle_revoke(struct request_ctx *rc, const struct route_match *m)
{
	STACK_OF(X509) *chain = NULL;
	X509 *peer = peer_certificate(rc, &chain);
	struct revoke_body body = {0};
	struct error err = {0};
	struct pending *p;
	size_t len;
	uint8_t *data = request_body(rc, &len);
	(void)m;

	rc->audit_op = AUDIT_X509_REVOKE;
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
void handle_kyma_renewal(struct request_ctx *rc, const struct route_match *m)
{
	STACK_OF(X509) *chain = NULL;
	X509 *peer = peer_certificate(rc, &chain);
	X509_REQ *csr = NULL;
	struct error err = {0};
	struct pending *p;
	size_t len;
	uint8_t *data = request_body(rc, &len);
	(void)m;

	rc->audit_op = AUDIT_KYMA_RENEW;
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

static void acme_done(void *arg, struct acme_response *resp)
{
	struct pending *p = arg;

	p->acme = resp;
	pending_done(p);
}

/* The value of header name, copied (NULL when absent). */
static char *header_copy(struct evhttp_request *req, const char *name)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);

	return v != NULL ? xstrdup(v) : NULL;
}

/* A pending request for an engine, with copies of its path ("" when absent), query and body:
 * the engine may still read them after the client has gone. */
static struct pending *pending_for_engine(struct request_ctx *rc, enum route_id route)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(rc->req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct pending *p = pending_new(rc, route);
	size_t len;
	uint8_t *data = request_body(rc, &len);

	p->engine_path = xstrdup(path != NULL ? path : "");
	p->engine_query = query != NULL ? xstrdup(query) : NULL;
	if (len > 0) {
		p->body = xmalloc(len);
		memcpy(p->body, data, len);
		p->body_len = len;
	}
	return p;
}

void handle_acme(struct request_ctx *rc, const struct route_match *m)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(rc->req);
	struct pending *p;
	(void)m;

	if (rc->acme == NULL || uri == NULL || evhttp_uri_get_path(uri) == NULL) {
		/* no database or no ACME provisioner: not mounted, as in step-ca */
		respond_raw(rc, 404, "text/plain; charset=utf-8", "404 page not found\n", 19);
		return;
	}
	p = pending_for_engine(rc, ROUTE_ACME);
	p->acme_host = header_copy(rc->req, "Host");
	p->acme_content_type = header_copy(rc->req, "Content-Type");
	{
		struct acme_request req = {
		    .method = rc->method == HTTP_POST ? ACME_POST
			      : rc->head	      ? ACME_HEAD
						      : ACME_GET,
		    .path = p->engine_path,
		    .host = p->acme_host,
		    .content_type = p->acme_content_type,
		    .body = p->body,
		    .body_len = p->body_len,
		};
		acme_handle(rc->acme, &req, acme_done, p);
	}
	pending_returned(rc, p);
}

static void admin_done(void *arg, struct admin_response *resp)
{
	struct pending *p = arg;

	p->admin = resp;
	pending_done(p);
}

void handle_admin(struct request_ctx *rc, const struct route_match *m)
{
	struct pending *p = pending_for_engine(rc, ROUTE_ADMIN);
	(void)m;

	p->admin_auth = header_copy(rc->req, "Authorization");
	{
		struct admin_request req = {
		    .method = http_method_name(rc->method),
		    .path = p->engine_path,
		    .query = p->engine_query,
		    .authorization = p->admin_auth,
		    .body = p->body,
		    .body_len = p->body_len,
		};
		admin_handle(rc->a, &req, admin_done, p);
	}
	pending_returned(rc, p);
}

static void ssh_done(void *arg, struct sshca_response *resp)
{
	struct pending *p = arg;

	p->ssh = resp;
	pending_done(p);
}

void handle_ssh(struct request_ctx *rc, const struct route_match *m)
{
	STACK_OF(X509) *chain = NULL;
	X509 *peer = peer_certificate(rc, &chain);
	struct pending *p = pending_for_engine(rc, ROUTE_SSH);
	size_t len;
	uint8_t *data = request_body(rc, &len);
	(void)m;

	pending_keep_peer(p, peer, NULL);
	secure_wipe(data, len); /* the body may hold a token; p has a copy */
	{
		struct sshca_request req = {
		    .method = http_method_name(rc->method),
		    .path = p->engine_path,
		    .query = p->engine_query,
		    .body = p->body,
		    .body_len = p->body_len,
		    .peer = p->peer,
		};
		sshca_handle(rc->ssh, &req, ssh_done, p);
	}
	pending_returned(rc, p);
}

static void ocsp_done(void *arg, uint8_t *der, size_t len)
{
	struct pending *p = arg;

	p->ocsp_der = der;
	p->ocsp_len = len;
	pending_done(p);
}

/* GET <ocsp.path>/<base64> and POST <ocsp.path> (RFC 6960 appendix A). A request that cannot
 * be decoded is answered malformedRequest by the responder (an OCSP status, HTTP 200). */
void handle_ocsp(struct request_ctx *rc, const struct route_match *m)
{
	struct pending *p;
	uint8_t *req = NULL;
	size_t len = 0;
	(void)m;

	if (rc->method == HTTP_POST) {
		uint8_t *data = request_body(rc, &len);

		req = xmalloc(len > 0 ? len : 1);
		memcpy(req, data, len);
	} else {
		const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(rc->req);
		const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
		size_t olen = strlen(ocsp_responder_path(rc->ocsp));
		struct error err = {0};

		if (path != NULL && strlen(path) > olen + 1 &&
		    ocsp_get_decode(path + olen + 1, strlen(path + olen + 1), &req, &len, &err) !=
			0)
			rc->error = xstrdup(err.msg);
	}
	p = pending_new(rc, ROUTE_OCSP);
	p->body = req;
	p->body_len = len;
	ocsp_handle(rc->ocsp, req, len, ocsp_done, p);
	pending_returned(rc, p);
}
