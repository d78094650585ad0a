/* crl_handler.c - GET /crl and /1.0/crl (http-api.md §3.11): the CRL the authority's CRL
 * service serves (authority/crl.h). */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority/crl.h"
#include "base/duration.h"
#include "server/internal.h"
#include "server/respond.h"

#define CRL_DISABLED_MSG                                                                           \
	"The certificate authority received an unexpected HTTP status code - '404'. Please see "   \
	"the certificate authority logs for more info."

void handle_crl(struct request_ctx *rc, const struct route_match *m)
{
	struct crl_service *svc = authority_crl(rc->a);
	struct crl_current *cur = svc != NULL ? crl_service_current(svc) : NULL;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(rc->req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(rc->req);
	char *pem = NULL, expires[64];
	time_t t;
	struct tm tm;
	(void)m;

	if (cur == NULL) {
		/* step-ca wraps "Certificate Revocation Lists are not enabled" with a status its
		 * errors have no text for: the message is that of an unexpected status */
		char *body = http_error_body(404, CRL_DISABLED_MSG);

		respond_raw(rc, 404, "application/json", body, strlen(body));
		free(body);
		return;
	}
	/* Go's time.RFC1123 of a UTC time */
	t = (time_t)(cur->next_update_ns / NS_PER_SEC);
	gmtime_r(&t, &tm);
	strftime(expires, sizeof(expires), "%a, %d %b %Y %H:%M:%S UTC", &tm);
	evhttp_add_header(h, "Expires", expires);
	query_get(uri != NULL ? evhttp_uri_get_query(uri) : NULL, "pem", &pem);
	if (pem != NULL) {
		evhttp_add_header(h, "Content-Disposition", "attachment; filename=\"crl.pem\"");
		respond_raw(rc, 200, "application/x-pem-file", cur->pem, cur->pem_len);
	} else {
		evhttp_add_header(h, "Content-Disposition", "attachment; filename=\"crl.crl\"");
		respond_raw(rc, 200, "application/pkix-crl", cur->der, cur->der_len);
	}
	free(pem);
	crl_current_put(cur);
}
