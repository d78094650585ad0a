/* fuzz_ocsp_request.c - the OCSP responder's request readers on arbitrary bytes.
 *
 * The first byte chooses the form: even, a POST body (DER OCSPRequest); odd, a GET path tail
 * (percent-escaped base64, RFC 6960 A.1), decoded then parsed. The target is also matched
 * against the routing of ocsp.path.
 * Invariants: a refusal is ERR_INVALID with nothing left owned; an accepted request has 1 to
 * OCSP_MAX_ONEREQS CertIDs, each readable, and re-encodes; an error answer encodes.
 */
#include <openssl/ocsp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/ocsp.h"
#include "server/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const uint8_t *der, size_t len)
{
	OCSP_REQUEST *req = NULL;
	struct error err = {0};
	unsigned char *back = NULL;
	int n, blen;

	if (ocsp_request_parse(der, len, &req, &err) != 0) {
		if (err.kind != ERR_INVALID || req != NULL)
			abort();
		return;
	}
	n = OCSP_request_onereq_count(req);
	if (n < 1 || n > OCSP_MAX_ONEREQS)
		abort();
	for (int i = 0; i < n; i++) {
		ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
		ASN1_OBJECT *md = NULL;
		ASN1_INTEGER *sn = NULL;

		if (OCSP_id_get0_info(&nh, &md, &kh, &sn,
				      OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i))) != 1)
			abort();
	}
	blen = i2d_OCSP_REQUEST(req, &back);
	if (blen <= 0)
		abort();
	OPENSSL_free(back);
	OCSP_REQUEST_free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_match m;
	struct error err = {0};
	uint8_t *der = NULL, *answer = NULL;
	size_t len = 0, alen = 0;

	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		parse(data + 1, size - 1);
	} else {
		if (ocsp_get_decode((const char *)data + 1, size - 1, &der, &len, &err) == 0)
			parse(der, len);
		else if (err.kind != ERR_INVALID || der != NULL)
			abort();
		free(der);
		(void)router_match_ocsp("/ocsp", HTTP_GET, (const char *)data + 1, size - 1, &m);
	}
	if (ocsp_error_response(1, &answer, &alen, &err) != 0 || alen != 5)
		abort();
	free(answer);
	return 0;
}
