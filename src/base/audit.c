/* audit.c - the audit records: their JSON line and where they go. */
#include "base/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/json_escape.h"
#include "base/log.h"
#include "base/metrics.h"

#define AUDIT_LINE_MAX (1u << 20)

static atomic_int audit_fd = -1;
static char *audit_path;
static atomic_bool failing; /* the last write failed: the next failure is not logged again */

void audit_item_free(struct audit_item *it)
{
	if (it == NULL)
		return;
	free(it->serial);
	free(it->subject);
	free(it->provisioner);
	strv_free(&it->sans);
	memset(it, 0, sizeof(*it));
}

/* The length of s cut to AUDIT_VALUE_MAX bytes without splitting a UTF-8 sequence. */
static size_t value_len(const char *s)
{
	size_t n = strlen(s);

	if (n <= AUDIT_VALUE_MAX)
		return n;
	n = AUDIT_VALUE_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static int put_string(struct buf *b, const char *key, const char *v, struct error *err)
{
	if (buf_printf(b, err, ",\"%s\":", key) != 0)
		return -1;
	return json_escape_buf(b, v, value_len(v), JSON_ESCAPE_UTF8, err);
}

static bool present(const char *s)
{
	return s != NULL && s[0] != '\0';
}

int audit_format(const struct audit_record *r, struct buf *out, struct error *err)
{
	char ts[40];
	size_t nsans = r->nsans < AUDIT_SANS_MAX ? r->nsans : AUDIT_SANS_MAX;

	time_format_rfc3339_ms(r->time_ns, ts, sizeof(ts));
	if (buf_printf(out, err, "{\"time\":\"%s\"", ts) != 0 ||
	    put_string(out, "operation", r->operation != NULL ? r->operation : "", err) != 0 ||
	    buf_printf(out, err, ",\"result\":\"%s\",\"status\":%d",
		       r->status >= 400 ? "error" : "ok", r->status) != 0)
		return -1;
	if (r->status >= 400 &&
	    put_string(out, "message", r->message != NULL ? r->message : "", err) != 0)
		return -1;
	if ((present(r->serial) && put_string(out, "serial", r->serial, err) != 0) ||
	    (present(r->subject) && put_string(out, "subject", r->subject, err) != 0))
		return -1;
	if (nsans > 0) {
		if (buf_append_str(out, ",\"sans\":[", err) != 0)
			return -1;
		for (size_t i = 0; i < nsans; i++)
			if ((i > 0 && buf_append_str(out, ",", err) != 0) ||
			    json_escape_buf(out, r->sans[i], value_len(r->sans[i]),
					    JSON_ESCAPE_UTF8, err) != 0)
				return -1;
		if (buf_append_str(out, "]", err) != 0)
			return -1;
	}
	if ((present(r->provisioner) && put_string(out, "provisioner", r->provisioner, err) != 0) ||
	    (present(r->client) && put_string(out, "client", r->client, err) != 0) ||
	    (present(r->request_id) && put_string(out, "request_id", r->request_id, err) != 0))
		return -1;
	return buf_append_str(out, "}\n", err);
}

int audit_open(const char *path, struct error *err)
{
	int fd;

	audit_close();
	if (path == NULL)
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, ERR_INVALID, "cannot open the audit file %s: %s", path,
			       strerror(errno));
	audit_path = xstrdup(path);
	atomic_store(&audit_fd, fd);
	return 0;
}

int audit_reopen(struct error *err)
{
	int fd, cur = atomic_load(&audit_fd);

	if (cur < 0 || audit_path == NULL)
		return 0;
	fd = open(audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, ERR_INTERNAL, "cannot reopen the audit file %s: %s", audit_path,
			       strerror(errno));
	/* dup3 replaces the descriptor number writers use in one step */
	if (dup3(fd, cur, O_CLOEXEC) < 0) {
		int e = errno;
		close(fd);
		return err_set(err, ERR_INTERNAL, "cannot reopen the audit file %s: %s", audit_path,
			       strerror(e));
	}
	close(fd);
	return 0;
}

void audit_close(void)
{
	int fd = atomic_exchange(&audit_fd, -1);

	if (fd >= 0)
		close(fd);
	free(audit_path);
	audit_path = NULL;
}

static void write_failed(const char *why)
{
	metrics_audit_failure();
	if (!atomic_exchange(&failing, true))
		log_msg(LOG_ERROR, "cannot write an audit record", "error", why, NULL);
}

/* The record as a log line, SANs joined with commas. */
static void audit_log(const struct audit_record *r)
{
	struct buf sans;
	char status[16];

	buf_init(&sans, AUDIT_LINE_MAX);
	for (size_t i = 0; i < r->nsans && i < AUDIT_SANS_MAX; i++)
		if ((i > 0 && buf_append_str(&sans, ",", NULL) != 0) ||
		    buf_append_str(&sans, r->sans[i], NULL) != 0)
			break;
	snprintf(status, sizeof(status), "%d", r->status);
	log_msg(LOG_INFO, "audit", "operation", r->operation != NULL ? r->operation : "", "result",
		r->status >= 400 ? "error" : "ok", "status", status, "message",
		r->message != NULL ? r->message : "", "serial", r->serial != NULL ? r->serial : "",
		"subject", r->subject != NULL ? r->subject : "", "sans",
		sans.data != NULL ? (char *)sans.data : "", "provisioner",
		r->provisioner != NULL ? r->provisioner : "", "client",
		r->client != NULL ? r->client : "", "request_id",
		r->request_id != NULL ? r->request_id : "", NULL);
	buf_free(&sans);
}

void audit_write(const struct audit_record *r)
{
	int fd = atomic_load(&audit_fd);
	struct buf line;
	struct error err = {0};
	ssize_t w;

	if (fd < 0) {
		audit_log(r);
		return;
	}
	buf_init(&line, AUDIT_LINE_MAX);
	if (audit_format(r, &line, &err) != 0) {
		write_failed(err.msg);
		goto out;
	}
	do
		w = write(fd, line.data, line.len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		write_failed(strerror(errno));
	else if ((size_t)w != line.len)
		write_failed("short write");
	else
		atomic_store(&failing, false);
out:
	buf_free(&line);
}
