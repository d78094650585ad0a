/* problem.c - ACME problem types, their statuses and documents. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "acme/problem.h"
#include "base/buf.h"
#include "base/json_escape.h"

#define URN(name) "urn:ietf:params:acme:error:" name

static const struct {
	const char *urn;
	int status;
} prob_table[ACME_PROB_COUNT] = {
    [ACME_PROB_NONE] = {URN("serverInternal"), 500},
    [ACME_PROB_ACCOUNT_DOES_NOT_EXIST] = {URN("accountDoesNotExist"), 400},
    [ACME_PROB_ALREADY_REVOKED] = {URN("alreadyRevoked"), 400},
    [ACME_PROB_BAD_CSR] = {URN("badCSR"), 400},
    [ACME_PROB_BAD_NONCE] = {URN("badNonce"), 400},
    [ACME_PROB_BAD_PUBLIC_KEY] = {URN("badPublicKey"), 400},
    [ACME_PROB_BAD_REVOCATION_REASON] = {URN("badRevocationReason"), 400},
    [ACME_PROB_BAD_SIGNATURE_ALGORITHM] = {URN("badSignatureAlgorithm"), 400},
    [ACME_PROB_CAA] = {URN("caa"), 403},
    [ACME_PROB_CONNECTION] = {URN("connection"), 400},
    [ACME_PROB_DNS] = {URN("dns"), 400},
    [ACME_PROB_EXTERNAL_ACCOUNT_REQUIRED] = {URN("externalAccountRequired"), 400},
    [ACME_PROB_INCORRECT_RESPONSE] = {URN("incorrectResponse"), 400},
    [ACME_PROB_MALFORMED] = {URN("malformed"), 400},
    [ACME_PROB_ORDER_NOT_READY] = {URN("orderNotReady"), 400},
    [ACME_PROB_RATE_LIMITED] = {URN("rateLimited"), 429},
    [ACME_PROB_REJECTED_IDENTIFIER] = {URN("rejectedIdentifier"), 400},
    [ACME_PROB_SERVER_INTERNAL] = {URN("serverInternal"), 500},
    [ACME_PROB_TLS] = {URN("tls"), 400},
    [ACME_PROB_UNAUTHORIZED] = {URN("unauthorized"), 401},
    [ACME_PROB_UNSUPPORTED_CONTACT] = {URN("unsupportedContact"), 400},
    [ACME_PROB_UNSUPPORTED_IDENTIFIER] = {URN("unsupportedIdentifier"), 400},
    [ACME_PROB_USER_ACTION_REQUIRED] = {URN("userActionRequired"), 403},
    [ACME_PROB_NOT_IMPLEMENTED] = {URN("rejectedIdentifier"), 501},
    [ACME_PROB_UNAVAILABLE] = {URN("serverInternal"), 503},
};

/* Drops a UTF-8 sequence cut short at the end of s (a detail truncated to ACME_DETAIL_MAX). */
static void trim_partial_utf8(char *s, size_t n)
{
	size_t i = n, lead, need;
	unsigned char c;

	while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = i - 1;
	c = (unsigned char)s[lead];
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (need > 1 && n - lead < need)
		s[lead] = '\0';
}

int acme_fail(struct acme_problem *p, enum acme_prob type, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p == NULL)
		return -1;
	p->type = type;
	p->status = 0;
	va_start(ap, fmt);
	n = vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(p->detail))
		trim_partial_utf8(p->detail, sizeof(p->detail) - 1);
	return -1;
}

int acme_fail_from_error(struct acme_problem *p, enum acme_prob type, const struct error *err)
{
	if (err == NULL || err->kind == ERR_NONE)
		return acme_fail(p, ACME_PROB_SERVER_INTERNAL,
				 "The server experienced an internal "
				 "error");
	if (err->kind == ERR_UNAVAILABLE)
		return acme_fail(p, ACME_PROB_UNAVAILABLE, "%s", err->msg);
	switch (err->kind) {
	case ERR_INVALID:
	case ERR_UNAUTHORIZED:
	case ERR_FORBIDDEN:
	case ERR_CONFLICT:
	case ERR_NOT_FOUND:
	case ERR_TOO_LARGE:
		if (err->expose)
			return acme_fail(p, type, "%s", err->msg);
		break;
	default:
		break;
	}
	return acme_fail(p, ACME_PROB_SERVER_INTERNAL, "The server experienced an internal error");
}

const char *acme_prob_urn(enum acme_prob type)
{
	if ((int)type < 0 || type >= ACME_PROB_COUNT)
		type = ACME_PROB_SERVER_INTERNAL;
	return prob_table[type].urn;
}

int acme_prob_status(const struct acme_problem *p)
{
	if (p->status != 0)
		return p->status;
	if ((int)p->type < 0 || p->type >= ACME_PROB_COUNT)
		return 500;
	return prob_table[p->type].status;
}

/* detail as a JSON string, each byte that is not valid UTF-8 (a raw request path, say) as
 * U+FFFD. New reference. */
static json_t *detail_json(const char *detail)
{
	json_t *s = json_string(detail);
	struct buf b;

	if (s != NULL)
		return s;
	buf_init(&b, 8 * ACME_DETAIL_MAX);
	if (json_escape_buf(&b, detail, strlen(detail), JSON_ESCAPE_UTF8, NULL) == 0)
		s = json_loadb((const char *)b.data, b.len, JSON_DECODE_ANY, NULL);
	buf_free(&b);
	return s != NULL ? s : json_string("invalid request");
}

json_t *acme_prob_json(const struct acme_problem *p)
{
	return json_pack("{s:s, s:o}", "type", acme_prob_urn(p->type), "detail",
			 detail_json(p->detail));
}
