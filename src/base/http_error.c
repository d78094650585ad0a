/* http_error.c - step-ca's error statuses, messages and error body, shared by the server and
 * the engines that build their answers themselves (src/sshca). */
#include "base/http_error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

#define LOGS_HINT " Please see the certificate authority logs for more info."

/* The status an error kind stands for (step-ca's error statuses; a conflict is step's 400). */
static int error_status(const struct error *err)
{
	if (err == NULL)
		return 500;
	if (err->status >= 400 && err->status <= 599)
		return err->status;
	switch (err->kind) {
	case ERR_INVALID:
	case ERR_CONFLICT:
		return 400;
	case ERR_UNAUTHORIZED:
		return 401;
	case ERR_FORBIDDEN:
		return 403;
	case ERR_NOT_FOUND:
		return 404;
	case ERR_TOO_LARGE:
		return 413;
	case ERR_NOT_IMPLEMENTED:
		return 501;
	case ERR_UNAVAILABLE:
		return 503;
	default:
		return 500;
	}
}

void http_generic_message(int status, char *out, size_t n)
{
	switch (status) {
	case 400:
		snprintf(
		    out, n,
		    "The request could not be completed; malformed or missing data." LOGS_HINT);
		break;
	case 401:
		snprintf(out, n,
			 "The request lacked necessary authorization to be completed." LOGS_HINT);
		break;
	case 403:
		snprintf(out, n,
			 "The request was forbidden by the certificate authority." LOGS_HINT);
		break;
	case 404:
		snprintf(out, n, "The requested resource could not be found." LOGS_HINT);
		break;
	case 500:
		snprintf(
		    out, n,
		    "The certificate authority encountered an Internal Server Error." LOGS_HINT);
		break;
	case 501:
		snprintf(out, n,
			 "The requested method is not implemented by the certificate "
			 "authority." LOGS_HINT);
		break;
	default:
		snprintf(out, n,
			 "The certificate authority received an unexpected HTTP status code - "
			 "'%d'." LOGS_HINT,
			 status);
		break;
	}
}

int http_error_map(const struct error *err, char *msg, size_t n)
{
	int status = error_status(err);

	/* a text step-ca gives as it is (a template's `fail`, "error applying certificate
	 * template") */
	if (err != NULL && err->expose && err->verbatim && err->msg[0] != '\0') {
		snprintf(msg, n, "%s", err->msg);
		return status;
	}
	if (err != NULL && err->expose && err->msg[0] != '\0') {
		switch (status) {
		case 400:
			snprintf(msg, n, "The request could not be completed: %s.", err->msg);
			return status;
		case 403:
			/* a policy refusal carries the whole sentence already, without the period
			 * (step-ca's policy errors) */
			if (str_has_prefix(err->msg, HTTP_FORBIDDEN_PREFIX))
				snprintf(msg, n, "%s", err->msg);
			else
				snprintf(msg, n, HTTP_FORBIDDEN_PREFIX "%s.", err->msg);
			return status;
		case 401:
		case 404:
		case 503: /* "database unavailable": the client may retry */
			snprintf(msg, n, "%s", err->msg);
			return status;
		default:
			break;
		}
	}
	http_generic_message(status, msg, n);
	return status;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Request Entity Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

/* Copies s replacing invalid UTF-8 with U+FFFD (as Go's encoder does); malloc'd. */
static char *utf8_sanitize(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1);
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t len = 0;
		unsigned cp = 0;

		if (p[0] < 0x80) {
			len = 1;
			cp = p[0];
		} else if ((p[0] & 0xe0) == 0xc0) {
			len = 2;
			cp = p[0] & 0x1fu;
		} else if ((p[0] & 0xf0) == 0xe0) {
			len = 3;
			cp = p[0] & 0x0fu;
		} else if ((p[0] & 0xf8) == 0xf0) {
			len = 4;
			cp = p[0] & 0x07u;
		}
		for (size_t k = 1; len > 0 && k < len; k++) {
			if (i + k >= n || (p[k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = cp << 6 | (p[k] & 0x3fu);
		}
		if (len > 0 && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
				(len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
				(cp >= 0xd800 && cp <= 0xdfff)))
			len = 0;
		if (len == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, p, len);
			o += len;
			i += len;
		}
	}
	out[o] = '\0';
	return out;
}

char *http_error_body(int status, const char *message)
{
	char *clean = utf8_sanitize(message != NULL ? message : "");
	json_t *doc = json_pack("{s:i, s:s}", "status", status, "message", clean);
	char *text = json_dumps(doc, JSON_COMPACT);
	char *out = xasprintf("%s\n", text != NULL ? text : "{}");

	free(text);
	json_decref(doc);
	free(clean);
	return out;
}
