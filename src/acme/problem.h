/* problem.h - ACME problem documents (RFC 8555 §6.7): the error of every ACME answer.
 *
 * Every ACME function that can fail fills a struct acme_problem: its type (which also gives
 * the HTTP status) and a detail that says what went wrong for this request (step-ca sends a
 * fixed text per type; stride says the reason, which clients show to their users).
 */
#ifndef STRIDE_ACME_PROBLEM_H
#define STRIDE_ACME_PROBLEM_H

#include <jansson.h>

#include "base/error.h"

enum acme_prob {
	ACME_PROB_NONE = 0,
	ACME_PROB_ACCOUNT_DOES_NOT_EXIST,
	ACME_PROB_ALREADY_REVOKED,
	ACME_PROB_BAD_CSR,
	ACME_PROB_BAD_NONCE,
	ACME_PROB_BAD_PUBLIC_KEY,
	ACME_PROB_BAD_REVOCATION_REASON,
	ACME_PROB_BAD_SIGNATURE_ALGORITHM,
	ACME_PROB_CAA,
	ACME_PROB_CONNECTION,
	ACME_PROB_DNS,
	ACME_PROB_EXTERNAL_ACCOUNT_REQUIRED,
	ACME_PROB_INCORRECT_RESPONSE,
	ACME_PROB_MALFORMED,
	ACME_PROB_ORDER_NOT_READY,
	ACME_PROB_RATE_LIMITED,
	ACME_PROB_REJECTED_IDENTIFIER,
	ACME_PROB_SERVER_INTERNAL,
	ACME_PROB_TLS,
	ACME_PROB_UNAUTHORIZED,
	ACME_PROB_UNSUPPORTED_CONTACT,
	ACME_PROB_UNSUPPORTED_IDENTIFIER,
	ACME_PROB_USER_ACTION_REQUIRED,
	ACME_PROB_NOT_IMPLEMENTED, /* 501; step-ca's type string for it is rejectedIdentifier */
	ACME_PROB_UNAVAILABLE,	   /* 503: the database is down or the CA is busy */
	ACME_PROB_COUNT
};

#define ACME_DETAIL_MAX 512

struct acme_problem {
	enum acme_prob type;
	int status; /* HTTP status; 0 = the type's own */
	char detail[ACME_DETAIL_MAX];
};

/* Fills p (may be NULL) with type and a detail from fmt; returns -1. */
int acme_fail(struct acme_problem *p, enum acme_prob type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fills p from an authority/store error: ERR_UNAVAILABLE -> 503 with the message, an exposed
 * message of a client error -> type with it, anything else -> serverInternal with a generic
 * detail (the real one belongs in the log). Returns -1. */
int acme_fail_from_error(struct acme_problem *p, enum acme_prob type, const struct error *err);
/* "urn:ietf:params:acme:error:<name>". */
const char *acme_prob_urn(enum acme_prob type);
/* The HTTP status of p: p->status when set, else the type's. */
int acme_prob_status(const struct acme_problem *p);
/* The problem document {"type":...,"detail":...} (new reference). */
json_t *acme_prob_json(const struct acme_problem *p);

#endif
