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
#include "base/pem_text.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "server/internal.h"
#include "server/respond.h"

/* A JSON string holding the PEM text of a certificate: json_escape of PEM_write_bio_X509's
 * output, written straight from the DER (a PEM's only character to escape is its newline). */
#define CERT_LABEL "CERTIFICATE"

static char *put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

/* The SignResponse (step-ca's: crt, ca, certChain, tlsOptions in this order) of a new
 * certificate, always issued under the authority's intermediates. The parts that never change
 * are encoded once (authority.h): per request only the new certificate is encoded, once for
 * both places it appears, and the whole body is written into one buffer of its exact size. */
static struct evbuffer *sign_response_body(struct request_ctx *rc, const struct issued *out,
					   struct error *err)
{
	static const char crt_key[] = "{\"crt\":\"",
			  ca_key[] = "\",\"ca\":", chain_key[] = ",\"certChain\":[\"",
			  tls_key[] = ",\"tlsOptions\":";
	int n = sk_X509_num(authority_intermediates(rc->a));
	const char *tls = authority_tls_options_json(rc->a);
	const char *ca = n > 0 ? authority_intermediate_json(rc->a, 0) : "null";
	struct evbuffer *b = NULL;
	struct evbuffer_iovec vec;
	const uint8_t *der;
	size_t der_len, pem_len, total;
	char *o;

	if (out->der == NULL) {
		err_set(err, ERR_INTERNAL, "no certificate to answer with");
		return NULL;
	}
	der = out->der;
	der_len = out->der_len;
	pem_len = pem_text_len(CERT_LABEL, der_len, true);
	total = sizeof(crt_key) - 1 + pem_len + sizeof(ca_key) - 1 + strlen(ca) +
		sizeof(chain_key) - 1 + pem_len + 1 + 1 + 2;
	for (int i = 0; i < n; i++)
		total += 1 + strlen(authority_intermediate_json(rc->a, i));
	if (tls != NULL)
		total += sizeof(tls_key) - 1 + strlen(tls);
	b = evbuffer_new();
	if (b == NULL || evbuffer_reserve_space(b, (ev_ssize_t)total, &vec, 1) != 1 ||
	    vec.iov_len < total) {
		evbuffer_free(b);
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	o = put(vec.iov_base, crt_key, sizeof(crt_key) - 1);
	o += pem_text_write(o, CERT_LABEL, der, der_len, true);
	o = put(o, ca_key, sizeof(ca_key) - 1);
	o = put(o, ca, strlen(ca));
	o = put(o, chain_key, sizeof(chain_key) - 1);
	o += pem_text_write(o, CERT_LABEL, der, der_len, true);
	o = put(o, "\"", 1);
	for (int i = 0; i < n; i++) {
		const char *pem = authority_intermediate_json(rc->a, i);
		o = put(put(o, ",", 1), pem, strlen(pem));
	}
	o = put(o, "]", 1);
	if (tls != NULL)
		o = put(put(o, tls_key, sizeof(tls_key) - 1), tls, strlen(tls));
	o = put(o, "}\n", 2);
	vec.iov_len = (size_t)(o - (char *)vec.iov_base);
	evbuffer_commit_space(b, &vec, 1);
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

	if (out->der == NULL) {
		err_set(err, ERR_INTERNAL, "no certificate to answer with");
		goto out;
	}
	leaf = pem_text(CERT_LABEL, out->der, out->der_len);
	if (cert_to_pem(sk_X509_value(out->chain, 0), &ca, err) != 0)
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
