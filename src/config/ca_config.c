/* ca_config.c - reads and validates step-ca's ca.json. Unknown fields are kept in `doc` and
 * otherwise ignored; a JSON null counts as an absent field (Go's zero value). Every message starts
 * with "error parsing <path>: ". */
#include "config/ca_config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/file.h"
#include "base/password.h"

#define DEFAULT_COMMON_NAME "Step Online CA"
#define DEFAULT_BACKDATE_NS (1 * NS_PER_MIN)
#define DEFAULT_TLS_MIN	    1.2
#define DEFAULT_TLS_MAX	    1.3

static const char *const default_dns_names[] = {"localhost", "127.0.0.1", "::1", NULL};
static const char *const default_cipher_suites[] = {
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    NULL,
};

/* The cipher suite names step-ca accepts in tls.cipherSuites (Go's names). */
static const char *const known_cipher_suites[] = {
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    NULL,
};

bool tls_cipher_suite_known(const char *name)
{
	for (size_t i = 0; name != NULL && known_cipher_suites[i] != NULL; i++)
		if (strcmp(known_cipher_suites[i], name) == 0)
			return true;
	return false;
}

/* Fills err with "error parsing <path>: <fmt...>"; returns -1. */
static int parse_error(const char *path, struct error *err, enum err_kind kind, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));

static int parse_error(const char *path, struct error *err, enum err_kind kind, const char *fmt,
		       ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, kind, "error parsing %s: %s", path, msg);
}

/* A field of obj, or NULL when absent or null. */
static json_t *field(const json_t *obj, const char *key)
{
	json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

static int get_object(const char *path, const json_t *obj, const char *key, const char *name,
		      json_t **out, struct error *err)
{
	json_t *v = field(obj, key);

	*out = NULL;
	if (v != NULL && !json_is_object(v))
		return parse_error(path, err, ERR_INVALID, "%s must be an object", name);
	*out = v;
	return 0;
}

/* Copies a string field into *out (left unchanged when absent). */
static int get_string(const char *path, const json_t *obj, const char *key, const char *name,
		      char **out, struct error *err)
{
	json_t *v = field(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return parse_error(path, err, ERR_INVALID, "%s must be a string", name);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_bool(const char *path, const json_t *obj, const char *key, const char *name,
		    bool *out, struct error *err)
{
	json_t *v = field(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return parse_error(path, err, ERR_INVALID, "%s must be true or false", name);
	*out = json_is_true(v);
	return 0;
}

static int get_number(const char *path, const json_t *obj, const char *key, const char *name,
		      double *out, struct error *err)
{
	json_t *v = field(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return parse_error(path, err, ERR_INVALID, "%s must be a number", name);
	*out = json_number_value(v);
	return 0;
}

/* Reads an array of strings (or, when allow_string, a single string) into sv; *present says
 * whether the field was there (not absent, not null). */
static int get_strings(const char *path, const json_t *obj, const char *key, const char *name,
		       bool allow_string, struct strv *sv, bool *present, struct error *err)
{
	json_t *v = field(obj, key), *item;
	size_t i;

	*present = v != NULL;
	if (v == NULL)
		return 0;
	if (allow_string && json_is_string(v)) {
		strv_push(sv, json_string_value(v));
		return 0;
	}
	if (!json_is_array(v))
		return parse_error(path, err, ERR_INVALID,
				   allow_string ? "%s must be a string or an array of strings"
						: "%s must be an array of strings",
				   name);
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return parse_error(path, err, ERR_INVALID, "%s[%zu] must be a string", name,
					   i);
		strv_push(sv, json_string_value(item));
	}
	return 0;
}

static bool is_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

static bool strv_has_empty(const struct strv *sv)
{
	if (sv->n == 0)
		return true;
	for (size_t i = 0; i < sv->n; i++)
		if (sv->v[i][0] == '\0')
			return true;
	return false;
}

bool config_valid_host_port(const char *addr)
{
	const char *colon, *port;
	size_t n;
	long value;

	if (addr == NULL)
		return false;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			return false;
		if (memchr(addr + 1, '[', (size_t)(close - addr - 1)) != NULL)
			return false;
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			return false; /* missing port */
		for (const char *p = addr; p < colon; p++)
			if (*p == ':' || *p == '[' || *p == ']')
				return false; /* too many colons: IPv6 needs brackets */
	}
	port = colon + 1;
	n = strlen(port);
	if (n == 0 || n > 5 || strspn(port, "0123456789") != n)
		return false;
	value = strtol(port, NULL, 10);
	return value >= 0 && value <= 65535;
}

/* Maps 1.0 .. 1.3 (integers and reals) to themselves, 0 to def; anything else is an error. */
static int tls_version(const char *path, double v, double def, const char *name, double *out,
		       struct error *err)
{
	long tenths = 0;
	double diff = 1;

	if (v == 0) {
		*out = def;
		return 0;
	}
	if (v > 0.5 && v < 2.0) {
		tenths = (long)(v * 10.0 + 0.5);
		diff = v * 10.0 - (double)tenths;
	}
	if (diff > 1e-6 || diff < -1e-6 || tenths < 10 || tenths > 13)
		return parse_error(path, err, ERR_INVALID,
				   "%s %g is not a valid tls version; use 1.0, 1.1, 1.2 or 1.3",
				   name, v);
	*out = (double)tenths / 10.0;
	return 0;
}

static int parse_tls(struct ca_config *cfg, struct error *err)
{
	struct tls_config *tls = &cfg->tls;
	double min = 0, max = 0;
	json_t *obj;
	bool present;

	tls->min_version = DEFAULT_TLS_MIN;
	tls->max_version = DEFAULT_TLS_MAX;
	if (get_object(cfg->path, cfg->doc, "tls", "tls", &obj, err) != 0)
		return -1;
	if (obj != NULL) {
		if (get_strings(cfg->path, obj, "cipherSuites", "tls.cipherSuites", false,
				&tls->cipher_suites, &present, err) != 0 ||
		    get_number(cfg->path, obj, "minVersion", "tls.minVersion", &min, err) != 0 ||
		    get_number(cfg->path, obj, "maxVersion", "tls.maxVersion", &max, err) != 0 ||
		    get_bool(cfg->path, obj, "renegotiation", "tls.renegotiation",
			     &tls->renegotiation, err) != 0)
			return -1;
		for (size_t i = 0; i < tls->cipher_suites.n; i++)
			if (!tls_cipher_suite_known(tls->cipher_suites.v[i]))
				return parse_error(
				    cfg->path, err, ERR_INVALID,
				    "tls.cipherSuites: unsupported cipher suite '%s'",
				    tls->cipher_suites.v[i]);
		if (tls_version(cfg->path, min, DEFAULT_TLS_MIN, "tls.minVersion",
				&tls->min_version, err) != 0 ||
		    tls_version(cfg->path, max, DEFAULT_TLS_MAX, "tls.maxVersion",
				&tls->max_version, err) != 0)
			return -1;
		if (tls->min_version > tls->max_version)
			return parse_error(cfg->path, err, ERR_INVALID,
					   "tls minVersion cannot exceed tls maxVersion");
	}
	if (tls->cipher_suites.n == 0)
		for (size_t i = 0; default_cipher_suites[i] != NULL; i++)
			strv_push(&tls->cipher_suites, default_cipher_suites[i]);
	return 0;
}

static int parse_authority(struct ca_config *cfg, struct error *err)
{
	json_t *auth, *provs, *item;
	char *type = NULL, *backdate = NULL;
	size_t i;
	int rc = -1;

	cfg->backdate_ns = DEFAULT_BACKDATE_NS;
	if (get_object(cfg->path, cfg->doc, "authority", "authority", &auth, err) != 0)
		goto out;
	if (auth == NULL) {
		auth = json_object();
		json_object_set_new(cfg->doc, "authority", auth);
	}
	provs = field(auth, "provisioners");
	if (provs == NULL) {
		provs = json_array();
		json_object_set_new(auth, "provisioners", provs);
	}
	if (!json_is_array(provs)) {
		parse_error(cfg->path, err, ERR_INVALID, "authority.provisioners must be an array");
		goto out;
	}
	json_array_foreach(provs, i, item)
	{
		if (!json_is_object(item)) {
			parse_error(cfg->path, err, ERR_INVALID,
				    "authority.provisioners[%zu] must be an object", i);
			goto out;
		}
	}
	cfg->provisioners = provs;
	if (get_object(cfg->path, auth, "claims", "authority.claims", &cfg->claims, err) != 0 ||
	    get_object(cfg->path, auth, "template", "authority.template", &cfg->subject_template,
		       err) != 0 ||
	    get_string(cfg->path, auth, "backdate", "authority.backdate", &backdate, err) != 0 ||
	    get_bool(cfg->path, auth, "disableIssuedAtCheck", "authority.disableIssuedAtCheck",
		     &cfg->disable_issued_at_check, err) != 0 ||
	    get_bool(cfg->path, auth, "enableAdmin", "authority.enableAdmin", &cfg->enable_admin,
		     err) != 0 ||
	    get_object(cfg->path, auth, "policy", "authority.policy", &cfg->policy, err) != 0 ||
	    get_string(cfg->path, auth, "type", "authority.type", &type, err) != 0)
		goto out;
	if (!is_empty(type) && !str_eq_nocase(type, "softcas")) {
		parse_error(cfg->path, err, ERR_NOT_IMPLEMENTED,
			    "authority.type '%s' is not supported: stride only signs with its own "
			    "keys (softcas)",
			    type);
		goto out;
	}
	if (!is_empty(backdate)) {
		struct error derr = {0};
		if (duration_parse(backdate, &cfg->backdate_ns, &derr) != 0) {
			parse_error(cfg->path, err, ERR_INVALID, "authority.backdate: %s",
				    derr.msg);
			goto out;
		}
		if (cfg->backdate_ns < 0) {
			parse_error(cfg->path, err, ERR_INVALID,
				    "authority.backdate cannot be less than 0");
			goto out;
		}
	}
	rc = 0;
out:
	free(type);
	free(backdate);
	return rc;
}

/* The members of "limits" with their bounds: beyond them a value is a typo or a way to take the
 * server down (a 1-byte header limit, a day-long read timeout), not a configuration. */
static const struct limit_field {
	const char *key;
	bool duration; /* a Go duration string; else a JSON integer */
	int64_t min, max;
	size_t offset; /* of the int64_t in struct ca_limits */
} limit_fields[] = {
    {"maxBodyBytes", false, 1024, INT64_C(1) << 30, offsetof(struct ca_limits, max_body_bytes)},
    {"maxHeaderBytes", false, 4096, INT64_C(1) << 20, offsetof(struct ca_limits, max_header_bytes)},
    {"maxConnections", false, 1, INT64_C(1) << 20, offsetof(struct ca_limits, max_connections)},
    {"readTimeout", true, NS_PER_SEC, NS_PER_HOUR, offsetof(struct ca_limits, read_timeout_ns)},
    {"writeTimeout", true, NS_PER_SEC, NS_PER_HOUR, offsetof(struct ca_limits, write_timeout_ns)},
    {"idleTimeout", true, NS_PER_SEC, NS_PER_HOUR, offsetof(struct ca_limits, idle_timeout_ns)},
    {"handshakeTimeout", true, NS_PER_SEC, NS_PER_HOUR,
     offsetof(struct ca_limits, handshake_timeout_ns)},
};
#define N_LIMIT_FIELDS (sizeof(limit_fields) / sizeof(limit_fields[0]))

void ca_limits_default(struct ca_limits *l)
{
	l->max_body_bytes = CA_LIMITS_MAX_BODY_BYTES;
	l->max_header_bytes = CA_LIMITS_MAX_HEADER_BYTES;
	l->max_connections = CA_LIMITS_MAX_CONNECTIONS;
	l->read_timeout_ns = CA_LIMITS_READ_TIMEOUT;
	l->write_timeout_ns = CA_LIMITS_WRITE_TIMEOUT;
	l->idle_timeout_ns = CA_LIMITS_IDLE_TIMEOUT;
	l->handshake_timeout_ns = CA_LIMITS_HANDSHAKE_TIMEOUT;
}

/* Reads one member (an integer or a duration string) into *out and checks its bounds. */
static int parse_limit(const char *path, const struct limit_field *f, const json_t *v, int64_t *out,
		       struct error *err)
{
	struct error derr = {0};
	char lo[32], hi[32];

	if (f->duration && !json_is_string(v))
		return parse_error(path, err, ERR_INVALID,
				   "limits.%s: must be a duration string such as \"15s\"", f->key);
	if (f->duration && duration_parse(json_string_value(v), out, &derr) != 0)
		return parse_error(path, err, ERR_INVALID, "limits.%s: %s", f->key, derr.msg);
	if (!f->duration && !json_is_integer(v))
		return parse_error(path, err, ERR_INVALID, "limits.%s: must be an integer", f->key);
	if (!f->duration)
		*out = json_integer_value(v);
	if (*out >= f->min && *out <= f->max)
		return 0;
	if (f->duration)
		return parse_error(path, err, ERR_INVALID,
				   "limits.%s: %s is out of range: use %s to %s", f->key,
				   json_string_value(v), duration_format(f->min, lo, sizeof(lo)),
				   duration_format(f->max, hi, sizeof(hi)));
	return parse_error(path, err, ERR_INVALID,
			   "limits.%s: %" PRId64 " is out of range: use %" PRId64 " to %" PRId64,
			   f->key, *out, f->min, f->max);
}

/* "limits": unknown members are refused, since a misspelt limit would silently stay at its
 * default. */
static int parse_limits(struct ca_config *cfg, struct error *err)
{
	json_t *obj, *v;
	const char *key;

	ca_limits_default(&cfg->limits);
	if (get_object(cfg->path, cfg->doc, "limits", "limits", &obj, err) != 0)
		return -1;
	json_object_foreach(obj, key, v)
	{
		const struct limit_field *f = NULL;

		for (size_t i = 0; i < N_LIMIT_FIELDS && f == NULL; i++)
			if (strcmp(limit_fields[i].key, key) == 0)
				f = &limit_fields[i];
		if (f == NULL)
			return parse_error(cfg->path, err, ERR_INVALID,
					   "limits.%s: unknown limit; use maxBodyBytes, "
					   "maxHeaderBytes, maxConnections, readTimeout, "
					   "writeTimeout, idleTimeout or handshakeTimeout",
					   key);
		if (!json_is_null(v) &&
		    parse_limit(cfg->path, f, v, (int64_t *)((char *)&cfg->limits + f->offset),
				err) != 0)
			return -1;
	}
	return 0;
}

static int parse_db_and_logger(struct ca_config *cfg, struct error *err)
{
	json_t *db, *logger;

	if (get_object(cfg->path, cfg->doc, "db", "db", &db, err) != 0 ||
	    get_object(cfg->path, cfg->doc, "logger", "logger", &logger, err) != 0)
		return -1;
	if (db != NULL) {
		cfg->has_db = true;
		if (get_string(cfg->path, db, "type", "db.type", &cfg->db_type, err) != 0 ||
		    get_string(cfg->path, db, "database", "db.database", &cfg->db_database, err) !=
			0 ||
		    get_string(cfg->path, db, "dataSource", "db.dataSource", &cfg->db_data_source,
			       err) != 0)
			return -1;
		if (cfg->db_type == NULL)
			cfg->db_type = xstrdup("");
		if (cfg->db_data_source == NULL)
			cfg->db_data_source = xstrdup("");
	}
	cfg->logger_format = xstrdup("");
	if (get_string(cfg->path, logger, "format", "logger.format", &cfg->logger_format, err) != 0)
		return -1;
	if (!is_empty(cfg->logger_format) && strcmp(cfg->logger_format, "text") != 0 &&
	    strcmp(cfg->logger_format, "json") != 0 && strcmp(cfg->logger_format, "common") != 0)
		return parse_error(cfg->path, err, ERR_INVALID,
				   "unsupported logger.format '%s': use text, json or common",
				   cfg->logger_format);
	return 0;
}

static int parse_top(struct ca_config *cfg, struct error *err)
{
	const char *p = cfg->path;
	json_t *doc = cfg->doc;
	bool present;

	if (get_strings(p, doc, "root", "root", true, &cfg->roots, &present, err) != 0 ||
	    get_strings(p, doc, "federatedRoots", "federatedRoots", false, &cfg->federated_roots,
			&present, err) != 0 ||
	    get_string(p, doc, "crt", "crt", &cfg->crt, err) != 0 ||
	    get_string(p, doc, "key", "key", &cfg->key, err) != 0 ||
	    get_string(p, doc, "password", "password", &cfg->password, err) != 0 ||
	    get_string(p, doc, "address", "address", &cfg->address, err) != 0 ||
	    get_string(p, doc, "insecureAddress", "insecureAddress", &cfg->insecure_address, err) !=
		0 ||
	    get_strings(p, doc, "dnsNames", "dnsNames", false, &cfg->dns_names, &present, err) !=
		0 ||
	    get_string(p, doc, "commonName", "commonName", &cfg->common_name, err) != 0)
		return -1;
	if (!present)
		for (size_t i = 0; default_dns_names[i] != NULL; i++)
			strv_push(&cfg->dns_names, default_dns_names[i]);
	if (is_empty(cfg->common_name)) {
		free(cfg->common_name);
		cfg->common_name = xstrdup(DEFAULT_COMMON_NAME);
	}
	if (cfg->insecure_address == NULL)
		cfg->insecure_address = xstrdup("");
	return 0;
}

/* The checks step-ca runs after reading, in its order. */
static int validate(struct ca_config *cfg, struct error *err)
{
	const char *p = cfg->path;

	if (is_empty(cfg->address))
		return parse_error(p, err, ERR_INVALID, "address cannot be empty");
	if (cfg->dns_names.n == 0)
		return parse_error(p, err, ERR_INVALID, "dnsNames cannot be empty");
	for (size_t i = 0; i < cfg->dns_names.n; i++)
		if (cfg->dns_names.v[i][0] == '\0')
			return parse_error(p, err, ERR_INVALID, "dnsNames[%zu] cannot be empty", i);
	if (strv_has_empty(&cfg->roots))
		return parse_error(p, err, ERR_INVALID, "root cannot be empty");
	if (is_empty(cfg->crt))
		return parse_error(p, err, ERR_INVALID, "crt cannot be empty");
	if (is_empty(cfg->key))
		return parse_error(p, err, ERR_INVALID, "key cannot be empty");
	if (!config_valid_host_port(cfg->address))
		return parse_error(p, err, ERR_INVALID, "invalid address %s", cfg->address);
	if (!is_empty(cfg->insecure_address) && !config_valid_host_port(cfg->insecure_address))
		return parse_error(p, err, ERR_INVALID, "invalid address %s",
				   cfg->insecure_address);
	return 0;
}

/* metricsAddress (newest step-ca) and stride's own {"audit":{"path":...}}. */
static int parse_metrics_audit(struct ca_config *cfg, struct error *err)
{
	json_t *audit;

	if (get_string(cfg->path, cfg->doc, "metricsAddress", "metricsAddress",
		       &cfg->metrics_address, err) != 0 ||
	    get_object(cfg->path, cfg->doc, "audit", "audit", &audit, err) != 0 ||
	    get_string(cfg->path, audit, "path", "audit.path", &cfg->audit_path, err) != 0)
		return -1;
	if (is_empty(cfg->metrics_address)) {
		free(cfg->metrics_address);
		cfg->metrics_address = NULL;
	} else if (!config_valid_host_port(cfg->metrics_address)) {
		return parse_error(cfg->path, err, ERR_INVALID, "invalid metricsAddress %s",
				   cfg->metrics_address);
	}
	if (is_empty(cfg->audit_path)) {
		free(cfg->audit_path);
		cfg->audit_path = NULL;
	}
	return 0;
}

int ca_config_parse(const char *text, size_t len, const char *path, struct ca_config **out,
		    struct error *err)
{
	struct ca_config *cfg = xcalloc(1, sizeof(*cfg));
	json_error_t jerr;
	int rc = -1;

	*out = NULL;
	cfg->path = xstrdup(path != NULL ? path : "ca.json");
	if (len > CA_CONFIG_MAX_SIZE) {
		parse_error(cfg->path, err, ERR_TOO_LARGE, "file exceeds the maximum of %u bytes",
			    CA_CONFIG_MAX_SIZE);
		goto out;
	}
	cfg->doc = json_loadb(text, len, 0, &jerr);
	if (cfg->doc == NULL) {
		parse_error(cfg->path, err, ERR_INVALID, "%s at line %d column %d", jerr.text,
			    jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(cfg->doc)) {
		parse_error(cfg->path, err, ERR_INVALID, "the document must be a JSON object");
		goto out;
	}
	if (parse_top(cfg, err) != 0 || parse_db_and_logger(cfg, err) != 0 ||
	    validate(cfg, err) != 0 || parse_tls(cfg, err) != 0 || parse_authority(cfg, err) != 0 ||
	    parse_limits(cfg, err) != 0 || ca_config_parse_ocsp(cfg, err) != 0 ||
	    crl_config_parse(cfg->path, cfg->doc, &cfg->crl, err) != 0)
		goto out;
	if (parse_metrics_audit(cfg, err) != 0)
		goto out;
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	ca_config_free(cfg);
	return rc;
}

int ca_config_load(const char *path, struct ca_config **out, struct error *err)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (file_read(path, CA_CONFIG_MAX_SIZE, &text, &len, err) != 0)
		return -1;
	rc = ca_config_parse((const char *)text, len, path, out, err);
	secure_wipe(text, len); /* may hold a password */
	free(text);
	return rc;
}

void ca_config_free(struct ca_config *cfg)
{
	json_t *pw;

	if (cfg == NULL)
		return;
	pw = cfg->doc != NULL ? json_object_get(cfg->doc, "password") : NULL;
	if (json_is_string(pw)) /* jansson keeps the text in its own buffer: wipe it */
		secure_wipe((char *)json_string_value(pw), json_string_length(pw));
	json_decref(cfg->doc);
	free(cfg->path);
	strv_free(&cfg->roots);
	strv_free(&cfg->federated_roots);
	free(cfg->crt);
	free(cfg->key);
	password_free(cfg->password);
	free(cfg->address);
	free(cfg->insecure_address);
	free(cfg->metrics_address);
	free(cfg->audit_path);
	strv_free(&cfg->dns_names);
	free(cfg->common_name);
	free(cfg->db_type);
	free(cfg->db_data_source);
	free(cfg->db_database);
	free(cfg->logger_format);
	strv_free(&cfg->tls.cipher_suites);
	crl_config_clear(&cfg->crl);
	free(cfg->ocsp.path);
	free(cfg->ocsp.url);
	free(cfg);
}
