/* audit.h - one record per certificate issued, renewed, rekeyed or revoked (or refused).
 *
 * A record is one JSON object on one line:
 *   {"time":"2026-12-04T12:00:00.123Z","operation":"x509.sign","result":"ok","status":201,
 *    "serial":"...","subject":"...","sans":["a.example.com"],"provisioner":"...",
 *    "client":"127.0.0.1:50000","request_id":"..."}
 * A refusal has "result":"error" and a "message" after "status". Strings are escaped as the log
 * escapes them (base/json_escape.h, invalid UTF-8 as U+FFFD).
 *
 * Where records go: ca.json's stride-only {"audit":{"path":"/var/log/stride/audit.log"}} sends
 * them to that file (opened O_APPEND|O_CREAT, mode 0600; one write(2) per record); without it
 * they go to the log (stderr) as lines with "msg":"audit". A record that cannot be written is
 * counted (stride_audit_write_failures_total) and logged, and never fails the operation.
 */
#ifndef STRIDE_BASE_AUDIT_H
#define STRIDE_BASE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"

/* A longer value is cut to this many bytes (at a UTF-8 boundary), and only the first
 * AUDIT_SANS_MAX SANs are written. */
#define AUDIT_VALUE_MAX 1024
#define AUDIT_SANS_MAX	100

/* What an operation issued or revoked (owned strings, NULL when unknown). */
struct audit_item {
	char *serial;
	char *subject;
	char *provisioner;
	struct strv sans;
};
/* Frees what it holds and zeroes it. */
void audit_item_free(struct audit_item *it);

struct audit_record {
	int64_t time_ns;			    /* CLOCK_REALTIME */
	const char *operation;			    /* "x509.sign", "ssh.revoke", ... */
	int status;				    /* HTTP status answered; >= 400 is a refusal */
	const char *message;			    /* a refusal's reason, or NULL */
	const char *serial, *subject, *provisioner; /* NULL or "": omitted */
	const char *const *sans;
	size_t nsans;
	const char *client;	/* "127.0.0.1:50000", or NULL */
	const char *request_id; /* or NULL */
};

/* Appends the JSON line of r (with its newline) to out. */
int audit_format(const struct audit_record *r, struct buf *out, struct error *err);

/* Sends the records to the file at path from now on (NULL: to the log). Not thread-safe with
 * itself; call at start. */
int audit_open(const char *path, struct error *err);
/* Opens the file again at its path (after logrotate moved it) and switches to it atomically:
 * a record being written goes whole to the old or to the new file. No-op without a file.
 * Any thread may call it (SIGHUP). */
int audit_reopen(struct error *err);
/* Closes the file; records go to the log again. */
void audit_close(void);
/* Writes r where records go (never fails: a failure is logged and counted). Thread-safe. */
void audit_write(const struct audit_record *r);

#endif
