/* error.c - filling struct error. */
#include "base/error.h"

#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

static int err_vset(struct error *err, enum err_kind kind, bool expose, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int err_vset(struct error *err, enum err_kind kind, bool expose, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->kind = kind;
	err->expose = expose;
	err->status = 0;
	err->verbatim = false;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int err_set(struct error *err, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, kind, false, fmt, ap);
	va_end(ap);
	return -1;
}

int err_public(struct error *err, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, kind, true, fmt, ap);
	va_end(ap);
	return -1;
}

int err_openssl(struct error *err, enum err_kind kind, const char *fmt, ...)
{
	unsigned long code = ERR_peek_last_error();
	char detail[256] = "";
	va_list ap;

	if (code != 0)
		ERR_error_string_n(code, detail, sizeof(detail));
	ERR_clear_error();
	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(err, kind, false, fmt, ap);
	va_end(ap);
	if (detail[0] != '\0') {
		size_t len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", detail);
	}
	return -1;
}

/* Appends src to dst (size n, current length *len), truncating; keeps dst NUL-terminated. */
static void append_trunc(char *dst, size_t n, size_t *len, const char *src)
{
	size_t k = strlen(src);

	if (k > n - 1 - *len)
		k = n - 1 - *len;
	memcpy(dst + *len, src, k);
	*len += k;
	dst[*len] = '\0';
}

int err_wrap(struct error *err, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	size_t len;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* "<prefix>: <old>", truncated to the message size */
	len = 0;
	append_trunc(err->msg, sizeof(err->msg), &len, prefix);
	append_trunc(err->msg, sizeof(err->msg), &len, ": ");
	append_trunc(err->msg, sizeof(err->msg), &len, old);
	return -1;
}

int err_reclassify(struct error *err, enum err_kind kind, bool expose)
{
	if (err == NULL)
		return -1;
	err->kind = kind;
	err->expose = expose;
	err->status = 0;
	err->verbatim = false;
	return -1;
}

int err_set_verbatim(struct error *err)
{
	if (err != NULL)
		err->verbatim = true;
	return -1;
}

int err_set_status(struct error *err, int status)
{
	if (err != NULL)
		err->status = status;
	return -1;
}

void err_clear(struct error *err)
{
	if (err == NULL)
		return;
	err->kind = ERR_NONE;
	err->expose = false;
	err->status = 0;
	err->verbatim = false;
	err->msg[0] = '\0';
}

const char *err_kind_name(enum err_kind kind)
{
	switch (kind) {
	case ERR_NONE:
		return "none";
	case ERR_INVALID:
		return "invalid";
	case ERR_UNAUTHORIZED:
		return "unauthorized";
	case ERR_FORBIDDEN:
		return "forbidden";
	case ERR_NOT_FOUND:
		return "not_found";
	case ERR_CONFLICT:
		return "conflict";
	case ERR_TOO_LARGE:
		return "too_large";
	case ERR_NOT_IMPLEMENTED:
		return "not_implemented";
	case ERR_IO:
		return "io";
	case ERR_NETWORK:
		return "network";
	case ERR_CRYPTO:
		return "crypto";
	case ERR_INTERNAL:
		return "internal";
	case ERR_UNAVAILABLE:
		return "unavailable";
	}
	return "unknown";
}
