/* error.h - the one error type every fallible function fills in.
 *
 * Convention: a function that can fail returns 0 on success and -1 on failure
 * after filling the `struct error *err` its caller passed (err may be NULL when
 * the caller does not care about the reason). The kind says what went wrong in
 * terms the server maps to an HTTP status and the CLI to an exit status; the
 * message is a human sentence without trailing period.
 *
 * `expose` separates what a client may read from what only the log may read:
 * step-ca shows the detail of CSR/validity problems to the client but hides
 * token-validation details behind a generic 401 text. err_public() sets it,
 * err_set() leaves it clear.
 */
#ifndef STRIDE_BASE_ERROR_H
#define STRIDE_BASE_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

enum err_kind {
	ERR_NONE = 0,
	ERR_INVALID,	     /* bad input: malformed request, flag, file content -> 400 */
	ERR_UNAUTHORIZED,    /* authentication failed -> 401 */
	ERR_FORBIDDEN,	     /* authenticated but not allowed -> 403 */
	ERR_NOT_FOUND,	     /* no such resource / file -> 404 */
	ERR_CONFLICT,	     /* already exists (revoked twice, file exists) -> 409/400 */
	ERR_TOO_LARGE,	     /* input over a configured maximum -> 413 */
	ERR_NOT_IMPLEMENTED, /* feature not available -> 501 */
	ERR_IO,		     /* filesystem or OS failure -> 500 / exit 1 */
	ERR_NETWORK,	     /* could not reach a peer (client side) */
	ERR_CRYPTO,	     /* an OpenSSL operation failed unexpectedly -> 500 */
	ERR_INTERNAL,	     /* anything else that is our fault -> 500 */
	ERR_UNAVAILABLE,     /* a dependency (the database) is down or read-only -> 503 */
};

#define ERR_MSG_MAX 1024

struct error {
	enum err_kind kind;
	bool expose;	       /* message may be shown to a remote client */
	int status;	       /* explicit HTTP status when set (e.g. a CA's answer), else 0 */
	bool verbatim;	       /* an exposed message a server shows as it is, without step's
				* sentence around it (a template's `fail` text) */
	char msg[ERR_MSG_MAX]; /* never contains secrets */
};

/* Fills err (if not NULL) with an internal-detail message; returns -1. */
int err_set(struct error *err, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like err_set, but the message may be shown to a remote client; returns -1. */
int err_public(struct error *err, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills err with fmt plus the most recent OpenSSL error string; clears the
 * OpenSSL error queue; returns -1. */
int err_openssl(struct error *err, enum err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with "<prefix>: "; keeps kind and expose; returns -1. */
int err_wrap(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Re-classifies an error already filled in: sets kind and expose, clears status (the kind
 * decides it again) and keeps the message. NULL err is a no-op; returns -1. */
int err_reclassify(struct error *err, enum err_kind kind, bool expose);

/* Records the explicit HTTP status of err (a CA's answer); keeps the rest. NULL err is a no-op;
 * returns -1. */
int err_set_status(struct error *err, int status);

/* Marks an exposed message as shown to clients as it is (error.verbatim); keeps the rest. NULL
 * err is a no-op; returns -1. */
int err_set_verbatim(struct error *err);
/* Resets err to ERR_NONE with an empty message. */
void err_clear(struct error *err);

/* Short name of a kind, for logs ("invalid", "unauthorized", ...). */
const char *err_kind_name(enum err_kind kind);

#endif
