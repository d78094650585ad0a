/* fuzz_strings.c - the small string parsers fed by requests, tokens and config files:
 * CA URLs (a token's audience becomes the CLI's CA URL), root fingerprints (GET /root/{sha},
 * the token "sha" claim), ca.json addresses, SAN strings of tokens and CSRs, paths, method
 * names, and the error bodies that echo a client's text.
 *
 * Invariants: ca_url_normalize, cert_fingerprint_normalize and path_clean are idempotent;
 * a fingerprint is 64 lowercase hex; an address ca.json accepts, the server can split; an
 * error body is one JSON object whose message is valid UTF-8 (jansson checks).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/str.h"
#include "cli/flags.h"
#include "client/ca_client.h"
#include "client/token.h"
#include "config/ca_config.h"
#include "config/defaults.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "server/respond.h"
#include "server/router.h"
#include "server/server.h"

#define FUZZ_MAX_STRING 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *s)
{
	fprintf(stderr, "string invariant broken: %s: \"%s\"\n", what, s);
	abort();
}

static void check_url(const char *s)
{
	char *url = NULL, *again = NULL, *aud;

	if (ca_url_normalize(s, &url, NULL) != 0)
		return;
	if (strncmp(url, "https://", 8) != 0)
		fail("normalised URL is not https", url);
	if (ca_url_normalize(url, &again, NULL) != 0 || strcmp(url, again) != 0)
		fail("ca_url_normalize is not idempotent", s);
	aud = token_audience(url, "/1.0/sign");
	if (aud == NULL || strncmp(aud, url, strlen(url)) != 0)
		fail("token_audience", url);
	free(aud);
	free(again);
	free(url);
}

static void check_fingerprint(const char *s)
{
	char fp[65], again[65];

	if (cert_fingerprint_normalize(s, fp, NULL) != 0)
		return;
	if (strlen(fp) != 64 || strspn(fp, "0123456789abcdef") != 64)
		fail("fingerprint format", s);
	if (cert_fingerprint_normalize(fp, again, NULL) != 0 || strcmp(fp, again) != 0)
		fail("cert_fingerprint_normalize is not idempotent", s);
}

static void check_address(const char *s)
{
	char *host = NULL, *port = NULL;
	bool valid = config_valid_host_port(s);

	if (server_split_address(s, &host, &port, NULL) == 0) {
		if (host == NULL || port == NULL || strlen(port) > 5)
			fail("split address", s);
	} else if (valid) {
		fail("ca.json accepts an address the server cannot split", s);
	}
	free(host);
	free(port);
}

static void check_path(const char *s)
{
	char *clean = path_clean(s), *again;

	if (clean == NULL)
		return;
	again = path_clean(clean);
	if (again == NULL || strcmp(clean, again) != 0)
		fail("path_clean is not idempotent", s);
	free(again);
	free(clean);
}

static void check_error_body(const char *s)
{
	char *body = http_error_body(400, s);
	json_error_t jerr;
	json_t *doc = json_loads(body, 0, &jerr);

	if (doc == NULL || !json_is_object(doc) ||
	    !json_is_string(json_object_get(doc, "message")) ||
	    json_integer_value(json_object_get(doc, "status")) != 400)
		fail("error body is not valid JSON", s);
	json_decref(doc);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	struct names n = {0};
	enum http_method m;

	if (size > FUZZ_MAX_STRING)
		return 0;
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	check_url(s);
	check_fingerprint(s);
	check_address(s);
	check_path(s);
	check_error_body(s);
	names_add_san(&n, s);
	if (n.dns.n + n.ip.n + n.email.n + n.uri.n != 1)
		fail("a SAN string is not classified exactly once", s);
	names_free(&n);
	m = http_method_from_name(s);
	if (m != HTTP_OTHER && strcmp(http_method_name(m), s) != 0)
		fail("method name round trip", s);
	{
		long long v;
		bool b;
		(void)parse_int64(s, &v, NULL);
		(void)stride_context_name_valid(s);
		(void)flag_parse_bool(s, &b);
	}
	free(s);
	return 0;
}
