/* ca_config.h - step-ca's ca.json: read, validate, write.
 *
 * The parsed document is kept (`doc`) so that provisioners can be served
 * exactly as configured and `ca init` / `provisioner add` can write back
 * fields stride does not interpret.
 */
#ifndef STRIDE_CONFIG_CA_CONFIG_H
#define STRIDE_CONFIG_CA_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/duration.h"
#include "base/error.h"
#include "base/str.h"
#include "config/crl_config.h"
#include "config/json_write.h" /* config_write_json, which writes ca.json */

#define CA_CONFIG_MAX_SIZE (4u * 1024u * 1024u)

/* Defaults of the "limits" object. */
#define CA_LIMITS_MAX_BODY_BYTES    (1024 * 1024)
#define CA_LIMITS_MAX_HEADER_BYTES  (64 * 1024)
#define CA_LIMITS_MAX_CONNECTIONS   4096
#define CA_LIMITS_READ_TIMEOUT	    (15 * NS_PER_SEC)
#define CA_LIMITS_WRITE_TIMEOUT	    (15 * NS_PER_SEC)
#define CA_LIMITS_IDLE_TIMEOUT	    (15 * NS_PER_SEC) /* step-ca's idle timeout */
#define CA_LIMITS_HANDSHAKE_TIMEOUT (10 * NS_PER_SEC)

struct tls_config {
	struct strv cipher_suites; /* IANA/Go names, defaults applied */
	double min_version;	   /* 1.2 by default */
	double max_version;	   /* 1.3 by default */
	bool renegotiation;
};

/* stride's own top-level "limits" object (step-ca ignores unknown fields): what one client may
 * cost the server. Every member is optional; durations are Go duration strings. */
struct ca_limits {
	int64_t max_body_bytes;	      /* maxBodyBytes: request body, 413 beyond */
	int64_t max_header_bytes;     /* maxHeaderBytes: request line + headers, 4xx beyond */
	int64_t max_connections;      /* maxConnections: open connections, all workers together */
	int64_t read_timeout_ns;      /* readTimeout: a whole request, from its first byte */
	int64_t write_timeout_ns;     /* writeTimeout: from the request read to the response sent */
	int64_t idle_timeout_ns;      /* idleTimeout: a keep-alive connection between requests */
	int64_t handshake_timeout_ns; /* handshakeTimeout: from accept to the TLS handshake done */
};

/* stride's own top-level "ocsp" object: the OCSP responder (RFC 6960; step-ca has none).
 * Parsed and checked by ca_config_parse_ocsp (ocsp_config.c). */
struct ca_ocsp {
	bool enabled;		       /* enabled: serve OCSP at path (needs a "db") */
	char *path;		       /* path: "/ocsp" by default */
	char *url;		       /* url: the AIA OCSP URL of issued leaves, or NULL (none) */
	int64_t validity_ns;	       /* validity: nextUpdate - thisUpdate, 1h by default */
	int64_t responder_validity_ns; /* responderValidity: the delegated signer, 24h */
};

struct ca_config {
	json_t *doc;		     /* the whole document (owned) */
	char *path;		     /* where it was read from */
	struct strv roots;	     /* "root": string or array */
	struct strv federated_roots; /* may be empty */
	char *crt;
	char *key;
	char *password; /* "password" field or NULL; wiped on free */
	char *address;
	char *insecure_address;
	struct strv dns_names; /* defaults localhost, 127.0.0.1, ::1 */
	char *common_name;     /* default "Step Online CA" */
	bool has_db;
	char *db_type;
	char *db_data_source;
	char *db_database;   /* "database" (PostgreSQL), or NULL */
	char *logger_format; /* "text" / "json" / "" */
	/* authority */
	json_t *provisioners;	  /* borrowed: authority.provisioners array (may be empty) */
	json_t *claims;		  /* borrowed: authority.claims object or NULL */
	json_t *subject_template; /* borrowed: authority.template object or NULL */
	json_t *policy;		  /* borrowed: authority.policy object or NULL */
	bool enable_admin;	  /* authority.enableAdmin */
	int64_t backdate_ns;	  /* default 1m */
	bool disable_issued_at_check;
	struct tls_config tls;
	struct ca_limits limits; /* defaults applied */
	char *metrics_address;	 /* "metricsAddress": Prometheus listener, NULL when absent */
	char *audit_path;	 /* stride's "audit": {"path"}: the audit file, NULL: the log */
	struct crl_config crl;	 /* "crl" (crl_config.h) */
	struct ca_ocsp ocsp;	 /* defaults applied */
};

/* Reads and validates ca.json (errors carry the path and the field: "error parsing <path>:
 * ..."). *out owned by the caller. */
int ca_config_load(const char *path, struct ca_config **out, struct error *err);
/* Parses from memory (path is only used in messages). */
int ca_config_parse(const char *text, size_t len, const char *path, struct ca_config **out,
		    struct error *err);
/* Fills l with the default limits (CA_LIMITS_*). */
void ca_limits_default(struct ca_limits *l);
/* Frees cfg and its document, wiping the password; NULL is a no-op. */
void ca_config_free(struct ca_config *cfg);
/* Reads and checks ca.json's "ocsp" object into cfg->ocsp (defaults when absent); errors are
 * "error parsing <path>: ocsp...". Called by ca_config_parse. */
int ca_config_parse_ocsp(struct ca_config *cfg, struct error *err);
/* True when name is one of the TLS cipher suite names step-ca's ca.json accepts. */
bool tls_cipher_suite_known(const char *name);
/* True when addr is "host:port" (host may be empty or a bracketed IPv6) with a numeric port
 * 0..65535. */
bool config_valid_host_port(const char *addr);

#endif
