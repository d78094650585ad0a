/* server_fixture.h - stride-ca's real server (worker event loops, TLS, evhttp) in-process on a
 * loopback port over an authority fixture (authority_fixture.h), and one HTTPS exchange with it
 * through libcurl, trusting the fixture's root.
 */
#ifndef STRIDE_TESTS_SERVER_FIXTURE_H
#define STRIDE_TESTS_SERVER_FIXTURE_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "authority_fixture.h"

struct acme;

/* A server serving until sfx_stop. */
struct sfx {
	struct afx *f;
	struct acme *acme; /* the ACME engine it serves, or NULL */
	struct server *srv;
	pthread_t thread;
	int run_rc;
	char url[64]; /* https://127.0.0.1:<port> */
	char *root_pem, *inter_pem;
};

/* Starts a server (2 worker threads) over f, serving /acme/ with acme when not NULL; takes
 * both (sfx_stop frees them). Also sets up curl and quiets the request log. Aborts the test on
 * failure. */
struct sfx *sfx_start(struct afx *f, struct acme *acme);
/* Stops the server, waits for it, frees it with the engine and the authority; asserts
 * server_run returned 0. */
void sfx_stop(struct sfx *x);

/* A growing NUL-terminated buffer. */
struct grow {
	char *p;
	size_t n;
};

/* A request (method NULL = GET, or POST when there is a body; body NULL = none, body_len 0 =
 * strlen; path "/..." under x->url, or a whole "https://..." URL) and its answer. */
struct call {
	const char *method, *path, *body;
	size_t body_len;
	const char *cert, *key;	   /* client certificate chain and key (PEM), NULL = none */
	const char *bearer;	   /* Authorization: Bearer */
	const char *authorization; /* Authorization: <value> as it is (admin tokens) */
	const char *content_type;  /* Content-Type, NULL = curl's default */
	long status;
	struct grow got, head; /* body and header lines, NUL-terminated ("" when empty) */
	CURL *easy;
	struct curl_slist *hdrs;
	char *auth, *ctype;
};

/* Prepares c's transfer (c->easy) without running it. */
void sfx_call_start(struct sfx *x, struct call *c);
/* After the transfer: the status (0 when it failed), and the handle goes. */
void sfx_call_end(struct call *c, CURLcode res);
/* Frees the answer. */
void sfx_call_free(struct call *c);
/* Runs the exchange; asserts status and, unless want_body is NULL, the exact body. */
void sfx_call(struct sfx *x, struct call *c, long want_status, const char *want_body);
/* Whether the answer has the header line "Name: value" (exactly). */
bool sfx_has_header(const struct call *c, const char *line);
/* The value of the first header name (case-insensitive) of the answer, malloc'd; NULL when
 * absent. */
char *sfx_header(const struct call *c, const char *name);
/* How many header lines name (case-insensitive) the answer has. */
int sfx_header_count(const struct call *c, const char *name);

#endif
