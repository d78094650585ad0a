/* peer_certs.h - the certificate chain a TLS server presents, for commands that take
 * "https://host[:port]" where step takes a certificate file or a hostname. */
#ifndef STRIDE_CLI_PEER_CERTS_H
#define STRIDE_CLI_PEER_CERTS_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "base/error.h"

#define PEER_ROOTS_MAX	       (4u * 1024u * 1024u) /* all --roots files together */
#define PEER_CONNECT_TIMEOUT_S 15
#define PEER_TIMEOUT_S	       30

/* Whether arg names a server ("https://...") rather than a file. */
bool peer_is_url(const char *arg);
/* Connects to url ("https://host[:port][/...]", port 443 by default), verifies the server's
 * certificate against roots (step's --roots: a file, a comma-separated list of files or a
 * directory of PEM files; NULL = the system's trust store) for servername (NULL = the URL's
 * host, also sent as SNI), and returns the chain it presented, leaf first. *out owned by the
 * caller (sk_X509_pop_free). */
int peer_chain(const char *url, const char *roots, const char *servername, STACK_OF(X509) * *out,
	       struct error *err);

#endif
