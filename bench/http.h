/* http.h - a minimal blocking HTTP/1.1-over-TLS client for stride-bench.
 *
 * One connection per thread, blocking SSL_read/SSL_write, one request in flight.
 * Responses must carry Content-Length (stride-ca always sends it); headers are
 * bounded by HTTP_HEADER_MAX and bodies by HTTP_BODY_MAX. Anything else is a
 * transport error, counted as such by the caller.
 */
#ifndef STRIDE_BENCH_HTTP_H
#define STRIDE_BENCH_HTTP_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/error.h"

#define HTTP_HEADER_MAX	  (16 * 1024)
#define HTTP_BODY_MAX	  (256 * 1024)
#define HTTP_IO_TIMEOUT_S 30
#define HTTP_NONCE_MAX	  128 /* Replay-Nonce (stride-ca's are 43 characters) */
#define HTTP_LOCATION_MAX 512

/* Where to connect and how to check the server. */
struct target {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host[256]; /* as in the URL, without brackets */
	int port;
	char host_header[300]; /* "host:port" */
	SSL_CTX *ctx;	       /* verifies the server against the root; no session reuse */
};

/* Parses https://host:port, resolves host once, builds the TLS context trusting root_file. */
int target_init(struct target *t, const char *url, const char *root_file, struct error *err);
/* Frees the TLS context. */
void target_free(struct target *t);

/* One TLS connection and its read buffer. */
struct hconn {
	int fd;
	SSL *ssl;
	uint8_t *buf; /* HTTP_HEADER_MAX + HTTP_BODY_MAX bytes */
	size_t len;
};

/* A response; body points into the connection's buffer until the next request. */
struct hresp {
	int status;
	const uint8_t *body;
	size_t body_len;
	bool close; /* the server asked to close, or spoke HTTP/1.0 */
	/* ACME headers (RFC 8555 §6.5, §7.1): "" when absent */
	char nonce[HTTP_NONCE_MAX];
	char location[HTTP_LOCATION_MAX];
};

/* Sets up an unconnected hconn (allocates the buffer). */
void hconn_init(struct hconn *c);
/* Connects and completes the TLS handshake; cert/key (may be NULL) are the client identity,
 * chain the intermediates sent with it. */
int hconn_open(struct hconn *c, const struct target *t, X509 *cert, EVP_PKEY *key,
	       STACK_OF(X509) * chain, struct error *err);
/* True when the connection is open. */
bool hconn_is_open(const struct hconn *c);
/* Shuts down TLS (close_notify) and closes the socket; the buffer is kept. */
void hconn_close(struct hconn *c);
/* hconn_close and frees the buffer. */
void hconn_free(struct hconn *c);
/* Writes one complete request and reads its response. */
int http_roundtrip(struct hconn *c, const void *req, size_t len, struct hresp *out,
		   struct error *err);

#endif
