/* observe.c - what the server tells the metrics and the audit log about each request. */
#include <event2/http.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/audit.h"
#include "base/duration.h"
#include "base/metrics.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "server/internal.h"

/* The audited operations and what a success counts. */
static const struct {
	const char *name;
	enum metrics_kind kind;
	int op; /* enum metrics_op, or -1: a revocation */
} operations[] = {
    {AUDIT_X509_SIGN, METRICS_X509, METRICS_OP_SIGN},
    {AUDIT_X509_RENEW, METRICS_X509, METRICS_OP_RENEW},
    {AUDIT_X509_REKEY, METRICS_X509, METRICS_OP_REKEY},
    {AUDIT_X509_REVOKE, METRICS_X509, -1},
    {AUDIT_KYMA_RENEW, METRICS_X509, METRICS_OP_REKEY},
    {AUDIT_ACME_FINALIZE, METRICS_X509, METRICS_OP_SIGN},
    {AUDIT_ACME_REVOKE, METRICS_X509, -1},
    {AUDIT_SSH_SIGN, METRICS_SSH, METRICS_OP_SIGN},
    {AUDIT_SSH_RENEW, METRICS_SSH, METRICS_OP_RENEW},
    {AUDIT_SSH_REKEY, METRICS_SSH, METRICS_OP_REKEY},
    {AUDIT_SSH_REVOKE, METRICS_SSH, -1},
};

/* The route names of the metrics: the router's, then "none" for a target that matched none. */
static const char *route_labels[ROUTE_COUNT + 1];
static pthread_once_t routes_once = PTHREAD_ONCE_INIT;

static void routes_init(void)
{
	for (int i = 0; i < ROUTE_COUNT; i++)
		route_labels[i] = route_name((enum route_id)i);
	route_labels[ROUTE_COUNT] = "none";
	metrics_set_routes(route_labels, ROUTE_COUNT + 1);
}

void observe_init(void)
{
	pthread_once(&routes_once, routes_init);
}

void observe_sans(const uint8_t *der, size_t len, struct strv *out)
{
	struct names n = {0};
	const struct strv *lists[4] = {&n.dns, &n.ip, &n.email, &n.uri};

	if (der == NULL || cert_der_names(der, len, &n, NULL) != 0)
		goto out;
	for (int l = 0; l < 4; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			strv_push(out, lists[l]->v[i]);
out:
	names_free(&n);
}

/* A path of an engine without step's "/1.0" or "/2.0" prefix. */
static const char *unversioned(const char *path)
{
	if (strncmp(path, "/1.0/", 5) == 0 || strncmp(path, "/2.0/", 5) == 0)
		return path + 4;
	return path;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *observe_engine_operation(enum route_id route, enum http_method method, const char *path)
{
	if (method != HTTP_POST || path == NULL)
		return NULL;
	path = unversioned(path);
	if (route == ROUTE_ACME) {
		if (ends_with(path, "/finalize"))
			return AUDIT_ACME_FINALIZE;
		if (ends_with(path, "/revoke-cert"))
			return AUDIT_ACME_REVOKE;
	} else if (route == ROUTE_SSH) {
		if (strcmp(path, "/ssh/sign") == 0)
			return AUDIT_SSH_SIGN;
		if (strcmp(path, "/ssh/renew") == 0)
			return AUDIT_SSH_RENEW;
		if (strcmp(path, "/ssh/rekey") == 0)
			return AUDIT_SSH_REKEY;
		if (strcmp(path, "/ssh/revoke") == 0)
			return AUDIT_SSH_REVOKE;
	}
	return NULL;
}

/* "127.0.0.1:50000" of the request's client, "" when gone. */
static void client_text(struct request_ctx *rc, char *out, size_t n)
{
	struct evhttp_connection *evcon =
	    rc->req != NULL ? evhttp_request_get_connection(rc->req) : NULL;
	char *host = NULL;
	ev_uint16_t port = 0;

	out[0] = '\0';
	if (evcon == NULL)
		return;
	evhttp_connection_get_peer(evcon, &host, &port);
	if (host != NULL)
		snprintf(out, n, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
}

static void observe_operation(struct request_ctx *rc)
{
	char client[128];
	struct audit_record r = {
	    .time_ns = time_now_ns(),
	    .operation = rc->audit_op,
	    .status = rc->status,
	    .message = rc->error,
	    .serial = rc->serial,
	    .subject = rc->subject,
	    .provisioner = rc->provisioner,
	    .sans = (const char *const *)rc->sans.v,
	    .nsans = rc->sans.n,
	    .client = client,
	    .request_id = rc->request_id,
	};

	/* a success that names no certificate issued or revoked nothing (an ACME finalize of an
	 * order finalized before answers the order again) */
	if (rc->status < 400 && (rc->serial == NULL || rc->serial[0] == '\0'))
		return;
	client_text(rc, client, sizeof(client));
	audit_write(&r);
	if (rc->status >= 400)
		return;
	for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
		if (strcmp(operations[i].name, rc->audit_op) != 0)
			continue;
		if (operations[i].op < 0)
			metrics_revoked(operations[i].kind);
		else
			metrics_issued(operations[i].kind, (enum metrics_op)operations[i].op,
				       rc->provisioner);
		break;
	}
}

void observe_request(struct request_ctx *rc)
{
	observe_init();
	metrics_request(rc->route, rc->status, time_now_ns() - rc->start_ns);
	if (rc->audit_op != NULL)
		observe_operation(rc);
}
