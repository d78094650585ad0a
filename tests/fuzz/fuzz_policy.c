/* fuzz_policy.c - certificate issuance policies (ca.json's authority.policy, admin API policy
 * bodies) and the names they are checked against (CSR SANs and CNs, ACME identifiers, SSH
 * principals).
 *
 * Input: a policy document, a NUL byte, then names separated by '\n'; without a NUL byte the
 * first byte picks one of a few fixed policies and the rest are names.
 * Invariants: a refusal is ERR_FORBIDDEN or ERR_INVALID with a message; a normalised policy
 * compiles and normalises to itself; IDNA output is ASCII and converts to itself; punycode
 * decodes back to what it encoded; a parsed IP formats and parses back to the same address.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "policy/policy.h"
#include "policy/policy_int.h"

#define FUZZ_MAX_INPUT 4096
#define FUZZ_MAX_NAMES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed[] = {
    "{\"x509\":{\"allow\":{\"dns\":[\"*.internal.example.com\",\"example.com\"],\"ip\":"
    "[\"10.0.0.0/8\",\"2001:db8::/32\",\"::ffff:1.2.3.4\"],\"email\":[\"@example.com\","
    "\"a@b.example\"],\"uri\":[\"*.example.com\"],\"cn\":[\"svc\"]},\"deny\":{\"dns\":"
    "[\"bad.internal.example.com\"],\"ip\":[\"10.1.0.0/16\"],\"email\":[\"bad@example.com\"],"
    "\"uri\":[\"bad.example.com\"],\"cn\":[\"bad\"]},\"allowWildcardNames\":true},"
    "\"ssh\":{\"user\":{\"allow\":{\"email\":[\"@example.com\"],\"principal\":[\"alice\"]},"
    "\"deny\":{\"principal\":[\"root\"]}},\"host\":{\"allow\":{\"dns\":[\"*.m\xc3\xbcnchen.de\"],"
    "\"ip\":[\"192.168.0.0/16\"],\"principal\":[\"h1\"]}}}}",
    "{\"x509\":{\"deny\":{\"dns\":[\"bad.example.com\"],\"uri\":[\"example.org\"]}},"
    "\"ssh\":{\"host\":{\"deny\":{\"dns\":[\"x.y\"]}}}}",
    "{\"x509\":{\"allow\":{\"commonNames\":[\"My Service\"],\"emails\":[\"example.com\"]}},"
    "\"ssh\":{\"user\":{\"allow\":{\"principals\":[\"*\"]}}}}",
};

static void fail(const char *what, const char *s)
{
	fprintf(stderr, "policy invariant broken: %s: \"%s\"\n", what, s);
	abort();
}

static void check_refusal(int rc, const struct error *err, const char *what)
{
	if (rc == 0)
		return;
	if (rc != -1 || err->msg[0] == '\0' ||
	    (err->kind != ERR_FORBIDDEN && err->kind != ERR_INVALID))
		fail("refusal without a kind or message", what);
}

static void check_text(const char *name)
{
	char out[8 * 512 + 64], again[8 * 512 + 64], emsg[300], fmt[64];
	unsigned char ip[16], ip2[16], len, len2;
	uint32_t cp[512], back[512];
	size_t n = 0, k, olen, bn;
	const unsigned char *s = (const unsigned char *)name;

	if (strlen(name) < 512 &&
	    pol_idna_to_ascii(name, out, sizeof(out), emsg, sizeof(emsg)) == 0) {
		for (const char *p = out; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				fail("IDNA output not ASCII", name);
		if (pol_idna_to_ascii(out, again, sizeof(again), emsg, sizeof(emsg)) != 0 ||
		    strcmp(out, again) != 0)
			fail("IDNA not idempotent", name);
	}
	for (size_t i = 0; s[i] != '\0' && n < 512; i += k) {
		int32_t c = pol_utf8_next(s + i, strlen(name) - i, &k);

		if (c < 0)
			return;
		cp[n++] = (uint32_t)c;
	}
	if (n > 0 && pol_punycode_encode(cp, n, out, sizeof(out), &olen) == 0) {
		if (pol_punycode_decode(out, olen, back, 512, &bn) != 0 || bn != n ||
		    memcmp(back, cp, n * sizeof(cp[0])) != 0)
			fail("punycode round trip", name);
	}
	if (pol_ip_parse(name, ip, &len)) {
		pol_ip_format(ip, len, fmt, sizeof(fmt));
		if (!pol_ip_parse(fmt, ip2, &len2) || len2 != len || memcmp(ip, ip2, len) != 0)
			fail("IP round trip", name);
	}
}

static void check_names(const struct policy *p, const struct strv *names)
{
	struct strv one = {0}, none = {0};
	struct error err;
	int rc;

	for (size_t i = 0; i < names->n; i++) {
		const char *name = names->v[i];
		struct policy_x509_names x = {.cn = name};

		check_text(name);
		strv_push(&one, name);
		for (int slot = 0; slot < 4; slot++) {
			struct policy_x509_names y = {0};

			if (slot == 0)
				y.dns = &one;
			else if (slot == 1)
				y.ips = &one;
			else if (slot == 2)
				y.emails = &one;
			else
				y.uris = &one;
			err_clear(&err);
			rc = policy_check_x509(p, &y, &err);
			check_refusal(rc, &err, name);
		}
		err_clear(&err);
		check_refusal(policy_check_x509(p, &x, &err), &err, name);
		err_clear(&err);
		check_refusal(policy_check_identifier(p, "dns", name, &err), &err, name);
		strv_free(&one);
	}
	for (int host = 0; host < 2; host++) {
		err_clear(&err);
		rc = policy_check_ssh(p, host == 1, names, &err);
		check_refusal(rc, &err, "ssh");
	}
	check_refusal(policy_check_ssh(p, true, &none, &err), &err, "ssh none");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	char *text = NULL, *doc_text = NULL;
	const char *names_text;
	json_t *doc = NULL, *norm = NULL, *norm2 = NULL;
	struct policy *p = NULL, *p2 = NULL;
	struct strv names = {0};
	struct error err;

	if (size == 0 || size > FUZZ_MAX_INPUT)
		return 0;
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (nul != NULL) {
		doc_text = text;
		names_text = text + (nul - data) + 1;
	} else {
		doc_text = xstrdup(fixed[data[0] % (sizeof(fixed) / sizeof(fixed[0]))]);
		names_text = text + 1;
	}
	doc = json_loads(doc_text, JSON_DECODE_ANY, NULL);
	if (policy_new(doc, &p, &err) != 0 && err.kind != ERR_INVALID)
		fail("policy_new error kind", doc_text);
	if (policy_normalize(doc, &norm, &err) == 0) {
		if (policy_new(norm, &p2, &err) != 0)
			fail("normalised policy does not compile", doc_text);
		if (policy_normalize(norm, &norm2, &err) != 0 || !json_equal(norm, norm2))
			fail("normalisation not idempotent", doc_text);
	}
	for (const char *s = names_text; *s != '\0' && names.n < FUZZ_MAX_NAMES;) {
		const char *e = strchr(s, '\n');
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
		char *name = strndup(s, n);

		strv_push(&names, name);
		free(name);
		if (e == NULL)
			break;
		s = e + 1;
	}
	check_names(p, &names);
	if (p2 != NULL)
		check_names(p2, &names);
	strv_free(&names);
	policy_free(p);
	policy_free(p2);
	json_decref(norm);
	json_decref(norm2);
	json_decref(doc);
	if (doc_text != text)
		free(doc_text);
	free(text);
	return 0;
}
