/* request.c - reading an OCSP request (RFC 6960 §4.1, appendix A.1), and the answers that
 * carry only an error status. Pure: reached by any client, so it has a fuzz target. */
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "base/url.h"
#include "ocsp/ocsp.h"

int ocsp_request_parse(const uint8_t *der, size_t len, OCSP_REQUEST **out, struct error *err)
{
	const unsigned char *p = der;
	OCSP_REQUEST *req = NULL;
	int n, rc = -1;

	*out = NULL;
	if (der == NULL || len == 0) {
		err_set(err, ERR_INVALID, "empty OCSP request");
		goto out;
	}
	if (len > OCSP_REQUEST_MAX) {
		err_set(err, ERR_INVALID, "OCSP request of %zu bytes: at most %d are read", len,
			OCSP_REQUEST_MAX);
		goto out;
	}
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	if (req == NULL) {
		err_set(err, ERR_INVALID, "OCSP request is not a DER OCSPRequest");
		goto out;
	}
	if ((size_t)(p - der) != len) {
		err_set(err, ERR_INVALID, "OCSP request has %zu bytes after its end",
			len - (size_t)(p - der));
		goto out;
	}
	n = OCSP_request_onereq_count(req);
	if (n < 1 || n > OCSP_MAX_ONEREQS) {
		err_set(err, ERR_INVALID, "OCSP request with %d certificates: 1 to %d are answered",
			n, OCSP_MAX_ONEREQS);
		goto out;
	}
	/* RFC 6960 §4.4: unrecognised extensions are ignored, unless critical. */
	for (int i = 0; i < OCSP_REQUEST_get_ext_count(req); i++) {
		X509_EXTENSION *ext = OCSP_REQUEST_get_ext(req, i);

		if (X509_EXTENSION_get_critical(ext) &&
		    OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_id_pkix_OCSP_Nonce) {
			err_set(err, ERR_INVALID, "OCSP request has an unknown critical extension");
			goto out;
		}
	}
	*out = req;
	req = NULL;
	rc = 0;
out:
	OCSP_REQUEST_free(req);
	ERR_clear_error();
	return rc;
}

int ocsp_get_decode(const char *tail, size_t len, uint8_t **der, size_t *der_len, struct error *err)
{
	char *text = NULL;
	int rc = -1;

	*der = NULL;
	*der_len = 0;
	if (len == 0 || len > OCSP_GET_TAIL_MAX) {
		err_set(err, ERR_INVALID, "OCSP GET request of %zu characters: 1 to %d are read",
			len, OCSP_GET_TAIL_MAX);
		goto out;
	}
	text = xmalloc(len + 1);
	/* RFC 6960 A.1: url-encoding of base64 encoding; '+' is a base64 digit, not a space */
	if (url_unescape(tail, len, false, text, len) != 0) {
		err_set(err, ERR_INVALID, "OCSP GET request has a bad percent escape");
		goto out;
	}
	if (b64_decode(text, strlen(text), false, der, der_len, err) != 0)
		goto out;
	rc = 0;
out:
	free(text);
	return rc;
}

int ocsp_error_response(int status, uint8_t **der, size_t *len, struct error *err)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
	unsigned char *buf = NULL;
	int n = resp != NULL ? i2d_OCSP_RESPONSE(resp, &buf) : -1;
	int rc = -1;

	*der = NULL;
	*len = 0;
	if (n <= 0) {
		err_set(err, ERR_CRYPTO, "error encoding an OCSP response");
		goto out;
	}
	*der = xmalloc((size_t)n);
	memcpy(*der, buf, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(buf);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return rc;
}
