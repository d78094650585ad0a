/* issued_response.c - the bodies of the answers that carry a new certificate: step-ca's
 * SignResponse (/sign, /renew, /rekey) and Kyma's renewal answer and errors. The request flow
 * that leads to them is in operations.c. */
#include <event2/buffer.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/http_error.h"
#include "base/json_escape.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "server/internal.h"
#include "server/respond.h"

static int evbuffer_sink(void *b, const char *s, size_t n)
{
	return evbuffer_add(b, s, n);
}

/* Appends s (a PEM text) as a JSON string. */
static void put_json_string(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	json_escape(s, strlen(s), 0, evbuffer_sink, b);
	evbuffer_add(b, "\"", 1);
}

/* The SignResponse (step-ca's: crt, ca, certChain, tlsOptions in this order) of a new
 * certificate, always issued under the authority's intermediates. The parts that never change
 * are encoded once (authority.h): per request only the new certificate is encoded. */
static struct evbuffer *sign_response_body(struct request_ctx *rc, const struct issued *out,
					   struct error *err)
{
	int n = sk_X509_num(authority_intermediates(rc->a));
	const char *tls = authority_tls_options_json(rc->a);
	struct evbuffer *b;
	char *pem = NULL;

	if (cert_der_to_pem(out->der, out->der_len, &pem, err) != 0)
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
void respond_issued(struct request_ctx *rc, const struct issued *out)
{
	struct error err = {0};
	struct evbuffer *body;

	rc->serial = xstrdup(out->serial != NULL ? out->serial : "");
	rc->subject = xstrdup(out->subject != NULL ? out->subject : "");
	rc->provisioner = xstrdup(out->provisioner != NULL ? out->provisioner : "");
	observe_sans(out->der, out->der_len, &rc->sans);
	body = sign_response_body(rc, out, &err);
	if (body == NULL) {
		respond_error(rc, &err);
		return;
	}
	rc->close |= rc->renews_peer;
	respond_buffer(rc, 201, "application/json", body);
	evbuffer_free(body);
}

/* Kyma's error body {"code":N,"error":"..."}. */
void respond_kyma_error(struct request_ctx *rc, const struct error *err)
{
	char msg[ERR_MSG_MAX];
	int status = http_error_map(err, msg, sizeof(msg));

	if (err->expose && status < 500)
		snprintf(msg, sizeof(msg), "%s", err->msg);
	rc->error = xstrdup(err->msg);
	respond_json(rc, status, json_pack("{s:i, s:s}", "code", status, "error", msg));
}

/* {"crt","clientCrt","caCrt"}: base64 of PEM chain, leaf, and issuing CA (as Kyma's connector
 * answers). */
json_t *kyma_response(const struct issued *out, struct error *err)
{
	char *leaf = NULL, *ca = NULL, *chain = NULL, *b[3] = {NULL, NULL, NULL};
	json_t *doc = NULL;

	if (cert_der_to_pem(out->der, out->der_len, &leaf, err) != 0 ||
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
