/* handlers.c - the read-only endpoints of step-ca's core API, the request dispatcher
 * and the request log. The endpoints that write are in operations.c. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/log.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/random.h"
#include "ocsp/ocsp.h"
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
	char *jwe = NULL;

	if (authority_encrypted_key(rc->a, m->param, &jwe, &err) != 0) {
		respond_error(rc, &err);
		return;
	}
	respond_json(rc, 200, json_pack("{s:s}", "key", jwe));
	free(jwe);
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
    [ROUTE_CRL] = handle_crl,
    [ROUTE_ACME] = handle_acme,
    [ROUTE_ADMIN] = handle_admin,
    [ROUTE_SSH] = handle_ssh,
    [ROUTE_OCSP] = handle_ocsp,
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
	if (crypto_random_bytes(r, sizeof(r)) != 0)
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
	    .acme = w->srv->acme,
	    .ssh = w->srv->ssh,
	    .ocsp = w->srv->ocsp,
	    .w = w,
	    .method = method_of(evhttp_request_get_command(req)),
	    .close = w->draining,
	    .start_ns = time_now_ns(),
	    .route = ROUTE_COUNT,
	};

	if (uri == NULL)
		uri = "";
	set_request_id(&rc);
	if (rc.ocsp != NULL &&
	    router_match_ocsp(ocsp_responder_path(rc.ocsp), rc.method, uri, strlen(uri), &m))
		m.insecure = true; /* relying parties fetch OCSP over plain HTTP too */
	else
		router_match(rc.method, uri, strlen(uri), &m);
	if (w->plain && !m.insecure)
		m.status = ROUTE_NOT_FOUND; /* the plain listener serves only its routes */
	if (m.status != ROUTE_NOT_FOUND)
		rc.route = (int)m.id;
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
void request_finish(struct request_ctx *rc)
{
	const char *uri = rc->req != NULL ? evhttp_request_get_uri(rc->req) : NULL;

	if (rc->status == 0) /* a handler that forgot to answer is our bug, not the client's */
		respond_status(rc, 500);
	log_hold(); /* the request line and its audit record: one write */
	log_request(rc, uri != NULL ? uri : "", rc->start_ns);
	observe_request(rc);
	log_release();
	strv_free(&rc->sans);
	free(rc->error);
	free(rc->serial);
	free(rc->subject);
	free(rc->provisioner);
}
