/* respond.c - status codes, step's error messages, and sending responses with evhttp. */
#include "server/respond.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "server/internal.h"

#define LOGS_HINT " Please see the certificate authority logs for more info."
/* The most plaintext one TLS record carries. */
#define TLS_RECORD_MAX 16384

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

	if (err != NULL && err->expose && err->msg[0] != '\0') {
		switch (status) {
		case 400:
			snprintf(msg, n, "The request could not be completed: %s.", err->msg);
			return status;
		case 403:
			snprintf(msg, n,
				 "The request was forbidden by the certificate authority: %s.",
				 err->msg);
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

/* The headers every answer carries; false when the request was answered already. */
static bool start_answer(struct request_ctx *rc, int status, const char *content_type)
{
	struct evkeyvalq *h;

	if (rc->status != 0 || rc->req == NULL)
		return false;
	rc->status = status;
	h = evhttp_request_get_output_headers(rc->req);
	if (content_type != NULL)
		evhttp_add_header(h, "Content-Type", content_type);
	if (rc->request_id[0] != '\0')
		evhttp_add_header(h, "X-Request-Id", rc->request_id);
	if (rc->close)
		evhttp_add_header(h, "Connection", "close");
	return true;
}

/* Sends the answer. evhttp leaves its head and each piece of the body as separate chains of
 * the connection's output buffer, and libevent's TLS bufferevent writes every chain as its own
 * TLS record with its own write(2): a SignResponse went out as four. Made contiguous before
 * the event loop writes it, an answer of up to one record is one record and one system call.
 * The connection is looked up first: evhttp_send_reply may finish with the request. */
static void send_reply(struct request_ctx *rc, int status, struct evbuffer *body)
{
	struct bufferevent *bev = request_bufferevent(rc->req);
	struct evbuffer *out;
	size_t n;

	evhttp_send_reply(rc->req, status, http_reason(status), body);
	/* A request whose client left while its answer waited for the authority has no
	 * connection: evhttp_send_reply freed it. */
	if (bev == NULL)
		rc->req = NULL;
	out = bev != NULL ? bufferevent_get_output(bev) : NULL;
	n = out != NULL ? evbuffer_get_length(out) : 0;
	if (n > 0 && n <= TLS_RECORD_MAX)
		(void)evbuffer_pullup(out, -1); /* NULL only when out of memory: then as before */
}

void respond_buffer(struct request_ctx *rc, int status, const char *content_type,
		    struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);

	if (rc->head) {
		respond_raw(rc, status, content_type, NULL, len);
		return;
	}
	if (start_answer(rc, status, content_type))
		send_reply(rc, status, body);
}

void respond_raw(struct request_ctx *rc, int status, const char *content_type, const void *body,
		 size_t len)
{
	struct evkeyvalq *h;
	struct evbuffer *buf;

	if (!start_answer(rc, status, content_type))
		return;
	h = evhttp_request_get_output_headers(rc->req);
	buf = evbuffer_new();
	if (rc->head) {
		/* evhttp adds no Content-Length to HEAD answers: say what GET would send. */
		char n[32];
		snprintf(n, sizeof(n), "%zu", len);
		evhttp_add_header(h, "Content-Length", n);
	} else if (buf != NULL && len > 0) {
		evbuffer_add(buf, body, len);
	}
	send_reply(rc, status, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

void respond_json(struct request_ctx *rc, int status, json_t *doc)
{
	/* 15 digits print the TLS versions of tlsOptions as 1.2 and 1.3, as Go does. */
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	char *body;

	json_decref(doc);
	if (text == NULL) {
		struct error err;
		err_set(&err, ERR_INTERNAL, "error encoding the response");
		respond_error(rc, &err);
		return;
	}
	body = xasprintf("%s\n", text);
	respond_raw(rc, status, "application/json", body, strlen(body));
	free(body);
	free(text);
}

void respond_error(struct request_ctx *rc, const struct error *err)
{
	char msg[ERR_MSG_MAX + 128];
	int status = http_error_map(err, msg, sizeof(msg));
	char *body = http_error_body(status, msg);

	if (rc->error == NULL && err != NULL)
		rc->error = xasprintf("%s: %s", err_kind_name(err->kind), err->msg);
	respond_raw(rc, status, "application/json", body, strlen(body));
	free(body);
}

void respond_status(struct request_ctx *rc, int status)
{
	char msg[512];
	char *body;

	http_generic_message(status, msg, sizeof(msg));
	body = http_error_body(status, msg);
	respond_raw(rc, status, "application/json", body, strlen(body));
	free(body);
}
