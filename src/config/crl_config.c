/* crl_config.c - ca.json's "crl" object: step-ca's fields, defaults and checks. */
#include "config/crl_config.h"

#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/str.h"

/* Reads a duration member: a Go duration string, or a number of nanoseconds (as step's
 * Duration type accepts). *set says whether it was there. */
static int get_duration(const char *path, const json_t *obj, const char *key, int64_t *out,
			bool *set, struct error *err)
{
	json_t *v = json_object_get(obj, key);
	struct error derr = {0};

	*set = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
	} else if (!json_is_string(v)) {
		return err_set(err, ERR_INVALID, "error parsing %s: crl.%s must be a duration",
			       path, key);
	} else if (duration_parse(json_string_value(v), out, &derr) != 0) {
		return err_set(err, ERR_INVALID, "error parsing %s: crl.%s: %s", path, key,
			       derr.msg);
	}
	*set = true;
	return 0;
}

static int get_flag(const char *path, const json_t *obj, const char *key, bool *out,
		    struct error *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return err_set(err, ERR_INVALID, "error parsing %s: crl.%s must be true or false",
			       path, key);
	*out = json_is_true(v);
	return 0;
}

int crl_config_parse(const char *path, const json_t *doc, struct crl_config *out, struct error *err)
{
	json_t *obj = json_object_get(doc, "crl"), *idp;
	bool cache_set = false, renew_set = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (obj == NULL || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return err_set(err, ERR_INVALID, "error parsing %s: crl must be an object", path);
	idp = json_object_get(obj, "idpURL");
	if (idp != NULL && !json_is_null(idp) && !json_is_string(idp)) {
		err_set(err, ERR_INVALID, "error parsing %s: crl.idpURL must be a string", path);
		goto out;
	}
	if (get_flag(path, obj, "enabled", &out->enabled, err) != 0 ||
	    get_flag(path, obj, "generateOnRevoke", &out->generate_on_revoke, err) != 0 ||
	    get_flag(path, obj, "distributionPoint", &out->distribution_point, err) != 0 ||
	    get_duration(path, obj, "cacheDuration", &out->cache_duration_ns, &cache_set, err) !=
		0 ||
	    get_duration(path, obj, "renewPeriod", &out->renew_period_ns, &renew_set, err) != 0)
		goto out;
	if (json_is_string(idp) && json_string_length(idp) > 0)
		out->idp_url = xstrdup(json_string_value(idp));
	/* step-ca's Init sets the default before Validate runs */
	if (out->enabled && !cache_set) {
		out->cache_duration_ns = CRL_DEFAULT_CACHE_DURATION;
		cache_set = true;
	}
	/* step-ca's CRLConfig.Validate, in its order */
	if (cache_set && out->cache_duration_ns < 0) {
		err_set(err, ERR_INVALID,
			"error parsing %s: crl.cacheDuration must be greater than or equal to 0",
			path);
		goto out;
	}
	if (renew_set && out->renew_period_ns < 0) {
		err_set(err, ERR_INVALID,
			"error parsing %s: crl.renewPeriod must be greater than or equal to 0",
			path);
		goto out;
	}
	if (renew_set && cache_set && out->renew_period_ns > out->cache_duration_ns) {
		err_set(err, ERR_INVALID,
			"error parsing %s: crl.cacheDuration must be greater than or equal to "
			"crl.renewPeriod",
			path);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		crl_config_clear(out);
	return rc;
}

void crl_config_clear(struct crl_config *c)
{
	free(c->idp_url);
	memset(c, 0, sizeof(*c));
}

int64_t crl_config_renew_interval(const struct crl_config *c)
{
	if (!c->enabled)
		return 0;
	if (c->renew_period_ns > 0)
		return c->renew_period_ns;
	return c->cache_duration_ns / 3 * 2;
}

char *crl_config_url(const struct crl_config *c, const char *dns_name)
{
	if (c->idp_url != NULL)
		return xstrdup(c->idp_url);
	/* step-ca's Audience: an IPv6 address goes in brackets */
	if (strchr(dns_name, ':') != NULL && dns_name[0] != '[')
		return xasprintf("https://[%s]/1.0/crl", dns_name);
	return xasprintf("https://%s/1.0/crl", dns_name);
}
