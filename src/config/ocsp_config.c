/* ocsp_config.c - ca.json's "ocsp" object: stride's OCSP responder (RFC 6960).
 *
 * step-ca has no OCSP responder, so this object is stride's own (step-ca ignores unknown
 * top-level fields, and every ca.json writer of stride keeps the document as it was read):
 *
 *   "ocsp": {"enabled": true, "path": "/ocsp", "url": "https://ca.example.com/ocsp",
 *            "validity": "1h", "responderValidity": "24h"}
 *
 * Unknown members are refused, since a misspelt one would silently stay at its default.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ca_config.h"

#define OCSP_PATH_MAX 128
#define OCSP_URL_MAX  512

#define OCSP_VALIDITY_DEFAULT	   NS_PER_HOUR
#define OCSP_VALIDITY_MIN	   NS_PER_MIN
#define OCSP_VALIDITY_MAX	   (7 * 24 * NS_PER_HOUR)
#define OCSP_RESP_VALIDITY_DEFAULT (24 * NS_PER_HOUR)
#define OCSP_RESP_VALIDITY_MIN	   (10 * NS_PER_MIN)
#define OCSP_RESP_VALIDITY_MAX	   (90 * 24 * NS_PER_HOUR)

static int ocsp_error(const struct ca_config *cfg, struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ocsp_error(const struct ca_config *cfg, struct error *err, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, ERR_INVALID, "error parsing %s: %s", cfg->path, msg);
}

/* A path of letters, digits and "-._~/" starting with "/", not ending with one, no "//". */
static bool path_ok(const char *p)
{
	size_t n = strlen(p);

	if (n < 2 || n > OCSP_PATH_MAX || p[0] != '/' || p[n - 1] == '/' || strstr(p, "//"))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("-._~/", c) != NULL))
			return false;
	}
	return true;
}

/* An absolute http:// or https:// URL with a host, printable ASCII without spaces. */
static bool url_ok(const char *u)
{
	size_t n = strlen(u), skip;

	if (n > OCSP_URL_MAX)
		return false;
	if (strncmp(u, "http://", 7) == 0)
		skip = 7;
	else if (strncmp(u, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	if (u[skip] == '\0' || u[skip] == '/' || u[skip] == '?' || u[skip] == '#')
		return false;
	for (size_t i = 0; i < n; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f)
			return false;
	return true;
}

/* A duration member within [min, max]; left unchanged when absent. */
static int get_duration(const struct ca_config *cfg, const json_t *obj, const char *key,
			int64_t min, int64_t max, int64_t *out, struct error *err)
{
	json_t *v = json_object_get(obj, key);
	struct error derr = {0};
	char lo[32], hi[32];
	int64_t d;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return ocsp_error(cfg, err, "ocsp.%s must be a duration string such as \"1h\"",
				  key);
	if (duration_parse(json_string_value(v), &d, &derr) != 0)
		return ocsp_error(cfg, err, "ocsp.%s: %s", key, derr.msg);
	if (d < min || d > max)
		return ocsp_error(cfg, err, "ocsp.%s: %s is out of range: use %s to %s", key,
				  json_string_value(v), duration_format(min, lo, sizeof(lo)),
				  duration_format(max, hi, sizeof(hi)));
	*out = d;
	return 0;
}

int ca_config_parse_ocsp(struct ca_config *cfg, struct error *err)
{
	struct ca_ocsp *o = &cfg->ocsp;
	json_t *obj = json_object_get(cfg->doc, "ocsp"), *v;
	const char *key;
	char a[32], b[32];

	o->enabled = false;
	o->path = xstrdup("/ocsp");
	o->url = NULL;
	o->validity_ns = OCSP_VALIDITY_DEFAULT;
	o->responder_validity_ns = OCSP_RESP_VALIDITY_DEFAULT;
	if (obj == NULL || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return ocsp_error(cfg, err, "ocsp must be an object");
	json_object_foreach(obj, key, v)
	{
		if (strcmp(key, "enabled") != 0 && strcmp(key, "path") != 0 &&
		    strcmp(key, "url") != 0 && strcmp(key, "validity") != 0 &&
		    strcmp(key, "responderValidity") != 0)
			return ocsp_error(cfg, err,
					  "ocsp.%s: unknown member; use enabled, path, url, "
					  "validity or responderValidity",
					  key);
	}
	v = json_object_get(obj, "enabled");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v))
		return ocsp_error(cfg, err, "ocsp.enabled must be true or false");
	o->enabled = json_is_true(v);
	v = json_object_get(obj, "path");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || !path_ok(json_string_value(v)))
			return ocsp_error(cfg, err,
					  "ocsp.path must be a path such as \"/ocsp\": \"/\" "
					  "and at most %d letters, digits, '-', '.', '_', '~' "
					  "or '/', not ending with '/'",
					  OCSP_PATH_MAX - 1);
		free(o->path);
		o->path = xstrdup(json_string_value(v));
	}
	v = json_object_get(obj, "url");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || !url_ok(json_string_value(v)))
			return ocsp_error(cfg, err,
					  "ocsp.url must be an http:// or https:// URL with a "
					  "host (at most %d characters, no spaces), such as "
					  "\"http://ca.example.com/ocsp\"",
					  OCSP_URL_MAX);
		o->url = xstrdup(json_string_value(v));
	}
	if (get_duration(cfg, obj, "validity", OCSP_VALIDITY_MIN, OCSP_VALIDITY_MAX,
			 &o->validity_ns, err) != 0 ||
	    get_duration(cfg, obj, "responderValidity", OCSP_RESP_VALIDITY_MIN,
			 OCSP_RESP_VALIDITY_MAX, &o->responder_validity_ns, err) != 0)
		return -1;
	/* The delegated signer is renewed at two thirds of its life (and the cached answers
	 * with it): an answer must not outlive the certificate that signed it. */
	if (o->validity_ns * 3 > o->responder_validity_ns)
		return ocsp_error(cfg, err,
				  "ocsp.validity (%s) must be at most a third of "
				  "ocsp.responderValidity (%s)",
				  duration_format(o->validity_ns, a, sizeof(a)),
				  duration_format(o->responder_validity_ns, b, sizeof(b)));
	if (o->enabled && !cfg->has_db)
		return ocsp_error(cfg, err,
				  "ocsp.enabled needs a database (\"db\"): the responder answers "
				  "from the stored certificates and revocations");
	return 0;
}
