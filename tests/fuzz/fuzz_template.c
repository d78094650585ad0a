/* fuzz_template.c - certificate templates (options.x509/ssh template and templateFile in ca.json,
 * provisioner add/update): tpl_parse and tpl_execute over a fixed data object shaped like the
 * one step-ca gives a leaf template.
 *
 * Invariants: a refused template is ERR_INVALID with a "template: " message and no tree; an
 * execution either succeeds with at most 1 MiB appended to what the buffer held, or fails
 * with ERR_INVALID exposed (fail) or ERR_INTERNAL not exposed, leaving the buffer as it was;
 * executing twice gives the same verdict (and the same text unless it reads the clock or
 * randomness). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const DATA =
    "{\"Subject\": {\"@type\": \"x509util.Subject\", \"CommonName\": \"a\", \"Organization\": "
    "[\"Acme\"], \"@json\": {\"commonName\": \"a\", \"organization\": [\"Acme\"]}},"
    " \"SANs\": [{\"Type\": \"dns\", \"Value\": \"a.example.com\", \"@json\": {\"type\": \"dns\","
    " \"value\": \"a.example.com\"}}],"
    " \"Token\": {\"sub\": \"a\", \"exp\": 1700000000, \"iat\": 1699999700.5, \"groups\": "
    "[\"admin\", \"dev\"], \"email\": \"a@example.com\"},"
    " \"Insecure\": {\"CR\": {\"@type\": \"*x509.CertificateRequest\", \"PublicKey\": {\"@type\":"
    " \"*rsa.PublicKey\"}, \"DNSNames\": [\"a.example.com\"]}, \"User\": {\"role\": \"ops\", "
    "\"n\": null, \"list\": [1, \"x\", {\"k\": true}]}}}";

static void fail(const char *what, const char *msg)
{
	fprintf(stderr, "template invariant broken: %s: %s\n", what, msg);
	abort();
}

static void check_exec(const struct tpl *t, const json_t *d, struct buf *out, int *verdict)
{
	struct error err = {0};
	size_t before = out->len;
	int r = tpl_execute(t, d, out, &err);

	*verdict = r;
	if (r == 0) {
		if (out->len - before > 1024 * 1024)
			fail("output over 1 MiB", "");
		return;
	}
	if (out->len != before)
		fail("failed execution left output", err.msg);
	if (!(err.kind == ERR_INVALID && err.expose) && !(err.kind == ERR_INTERNAL && !err.expose))
		fail("execution error kind", err.msg);
	if (err.kind == ERR_INTERNAL && strncmp(err.msg, "template: ", 10) != 0)
		fail("execution message", err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *d;
	struct tpl *t = NULL;
	struct error err = {0};
	struct buf out;
	int v1, v2;

	if (d == NULL && (d = json_loads(DATA, 0, NULL)) == NULL)
		abort();
	if (tpl_parse("fuzz", (const char *)data, size, &t, &err) != 0) {
		if (t != NULL || err.kind != ERR_INVALID || strncmp(err.msg, "template: fuzz:", 15))
			fail("parse error", err.msg);
		return 0;
	}
	buf_init(&out, 4 * 1024 * 1024);
	check_exec(t, d, &out, &v1);
	buf_reset(&out);
	check_exec(t, d, &out, &v2);
	if (v1 != v2 && !memmem(data, size, "now", 3) && !memmem(data, size, "uuid", 4) &&
	    !memmem(data, size, "Time", 4) && !memmem(data, size, "ago", 3) &&
	    !memmem(data, size, "date", 4) && !memmem(data, size, "set", 3) &&
	    !memmem(data, size, "merge", 5) && !memmem(data, size, "Overwrite", 9))
		fail("verdict changed between runs", (const char *)data);
	buf_free(&out);
	tpl_free(t);
	return 0;
}
