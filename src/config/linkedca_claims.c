/* linkedca_claims.c - claims and templates between linkedca and ca.json (admin.md §4.2,
 * provisioners-and-policy.md §3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "config/linkedca_int.h"

#define DUR_MAX 64

/* linkedca Durations members, the word step-ca's messages use for each, and the ca.json
 * claims of the three triples, in that order. */
static const char *const dur_lc[3] = {"min", "max", "default"};
static const char *const dur_word[3] = {"minimum", "maximum", "default"};
static const char *const tls_keys[3] = {"minTLSCertDuration", "maxTLSCertDuration",
					"defaultTLSCertDuration"};
static const char *const user_keys[3] = {"minUserSSHCertDuration", "maxUserSSHCertDuration",
					 "defaultUserSSHCertDuration"};
static const char *const host_keys[3] = {"minHostSSHCertDuration", "maxHostSSHCertDuration",
					 "defaultHostSSHCertDuration"};
/* The renewal and extension claims step-ca always writes when converting to ca.json. */
static const char *const flag_keys[3] = {"disableRenewal", "allowRenewalAfterExpiry",
					 "disableSmallstepExtensions"};

/* The Durations object `name` of parent (at path) into cfg's keys; "" means unset. */
static int durations_to_config(const json_t *parent, const char *path, const char *name,
			       const char *const keys[3], json_t *cfg, struct error *err)
{
	char p[LC_PATH_MAX], q[LC_PATH_MAX], prefix[LC_PATH_MAX + 128], norm[DUR_MAX];
	const json_t *d;

	if (lc_object(parent, path, name, &d, err) != 0)
		return -1;
	if (d == NULL)
		return 0;
	lc_path(p, path, name);
	for (int i = 0; i < 3; i++) {
		const char *s;

		if (lc_string(d, p, dur_lc[i], &s, err) != 0)
			return -1;
		if (s == NULL || s[0] == '\0')
			continue;
		snprintf(prefix, sizeof(prefix), "error parsing %s duration '%.64s' (%s)",
			 dur_word[i], s, lc_path(q, p, dur_lc[i]));
		if (lc_duration_norm(s, prefix, norm, sizeof(norm), err) != 0)
			return -1;
		json_object_set_new(cfg, keys[i], json_string(norm));
	}
	return 0;
}

int lc_claims_to_config(const json_t *c, json_t **out, struct error *err)
{
	json_t *cfg = NULL;
	const json_t *x509, *ssh;
	bool x509_enabled, enabled = false, flags[3];
	int rc = -1;

	*out = NULL;
	if (c == NULL || json_is_null(c))
		return 0;
	if (!json_is_object(c))
		return err_set(err, ERR_INVALID, "claims must be an object");
	cfg = json_object();
	if (lc_object(c, "claims", "x509", &x509, err) != 0 ||
	    lc_object(c, "claims", "ssh", &ssh, err) != 0 ||
	    durations_to_config(x509, "claims.x509", "durations", tls_keys, cfg, err) != 0 ||
	    durations_to_config(ssh, "claims.ssh", "userDurations", user_keys, cfg, err) != 0 ||
	    durations_to_config(ssh, "claims.ssh", "hostDurations", host_keys, cfg, err) != 0)
		goto out;
	/* x509.enabled is informational (step always sends true) */
	if (lc_bool(x509, "claims.x509", "enabled", &x509_enabled, NULL, err) != 0 ||
	    lc_bool(ssh, "claims.ssh", "enabled", &enabled, NULL, err) != 0)
		goto out;
	/* step-ca: enableSSHCA is written whenever ssh claims are given */
	if (ssh != NULL)
		json_object_set_new(cfg, "enableSSHCA", json_boolean(enabled));
	for (int i = 0; i < 3; i++) {
		if (lc_bool(c, "claims", flag_keys[i], &flags[i], NULL, err) != 0)
			goto out;
		json_object_set_new(cfg, flag_keys[i], json_boolean(flags[i]));
	}
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	json_decref(cfg);
	return rc;
}

/* The ca.json duration claim key of c into norm ("" when unset). */
static int cfg_duration(const json_t *c, const char *key, char norm[DUR_MAX], struct error *err)
{
	const json_t *v = json_object_get(c, key);
	char prefix[160];
	const char *s;

	norm[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(err, ERR_INVALID, "claims.%s must be a duration string", key);
	s = json_string_value(v);
	snprintf(prefix, sizeof(prefix), "error parsing claims.%s '%.64s'", key, s);
	return lc_duration_norm(s, prefix, norm, DUR_MAX, err);
}

/* A linkedca Durations object of the ca.json triple keys, NULL when none is set. */
static int durations_from_config(const json_t *c, const char *const keys[3], json_t **out,
				 struct error *err)
{
	char norm[3][DUR_MAX];
	bool any = false;

	*out = NULL;
	for (int i = 0; i < 3; i++) {
		if (cfg_duration(c, keys[i], norm[i], err) != 0)
			return -1;
		any = any || norm[i][0] != '\0';
	}
	if (!any)
		return 0;
	*out = json_object();
	/* linkedca's field order: default, min, max */
	for (int i = 2; i < 5; i++) {
		int k = i % 3;
		if (norm[k][0] != '\0')
			json_object_set_new(*out, dur_lc[k], json_string(norm[k]));
	}
	return 0;
}

static int cfg_bool(const json_t *c, const char *key, bool *out, struct error *err)
{
	const json_t *v = json_object_get(c, key);

	*out = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return err_set(err, ERR_INVALID, "claims.%s must be a boolean", key);
	*out = json_is_true(v);
	return 0;
}

int lc_claims_from_config(const json_t *c, json_t **out, struct error *err)
{
	json_t *lc = NULL, *tls = NULL, *user = NULL, *host = NULL;
	bool ssh, flags[3];
	int rc = -1;

	*out = NULL;
	if (c == NULL || json_is_null(c))
		return 0;
	if (!json_is_object(c))
		return err_set(err, ERR_INVALID, "claims must be an object");
	if (durations_from_config(c, tls_keys, &tls, err) != 0 ||
	    durations_from_config(c, user_keys, &user, err) != 0 ||
	    durations_from_config(c, host_keys, &host, err) != 0 ||
	    cfg_bool(c, "enableSSHCA", &ssh, err) != 0)
		goto out;
	for (int i = 0; i < 3; i++)
		if (cfg_bool(c, flag_keys[i], &flags[i], err) != 0)
			goto out;
	lc = json_object();
	if (tls != NULL) {
		json_object_set_new(lc, "x509",
				    json_pack("{s:b,s:O}", "enabled", 1, "durations", tls));
	}
	/* step-ca: the SSH claims (and their durations) only when enableSSHCA is true */
	if (ssh) {
		json_t *s = json_pack("{s:b}", "enabled", 1);
		if (user != NULL)
			json_object_set(s, "userDurations", user);
		if (host != NULL)
			json_object_set(s, "hostDurations", host);
		json_object_set_new(lc, "ssh", s);
	}
	for (int i = 0; i < 3; i++)
		if (flags[i])
			json_object_set_new(lc, flag_keys[i], json_true());
	*out = lc;
	rc = 0;
out:
	json_decref(tls);
	json_decref(user);
	json_decref(host);
	return rc;
}

/* The ca.json x509/ssh options object of the linkedca Template `name` of lc. */
static int template_to_config(const json_t *lc, const char *name, json_t **out, struct error *err)
{
	char p[LC_PATH_MAX];
	const json_t *t;
	uint8_t *text = NULL, *data = NULL;
	size_t tn = 0, dn = 0;
	json_t *o = json_object(), *v;
	json_error_t jerr;
	int rc = -1;

	*out = NULL;
	if (lc_object(lc, "", name, &t, err) != 0 ||
	    lc_bytes(t, name, "template", &text, &tn, err) != 0 ||
	    lc_bytes(t, name, "data", &data, &dn, err) != 0)
		goto out;
	if (tn > 0) {
		if ((v = json_stringn((const char *)text, tn)) == NULL) {
			err_set(err, ERR_INVALID, "%s is not valid UTF-8 text",
				lc_path(p, name, "template"));
			goto out;
		}
		json_object_set_new(o, "template", v);
	}
	if (dn > 0) {
		if ((v = json_loadb((const char *)data, dn, JSON_DECODE_ANY, &jerr)) == NULL) {
			err_set(err, ERR_INVALID, "%s is not valid JSON: %s",
				lc_path(p, name, "data"), jerr.text);
			goto out;
		}
		json_object_set_new(o, "templateData", v);
	}
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_decref(o);
	free(text);
	free(data);
	return rc;
}

int lc_options_to_config(const json_t *lc, json_t **out, struct error *err)
{
	json_t *x509 = NULL, *ssh = NULL;

	*out = NULL;
	if (template_to_config(lc, "x509Template", &x509, err) != 0 ||
	    template_to_config(lc, "sshTemplate", &ssh, err) != 0) {
		json_decref(x509);
		return -1;
	}
	/* step-ca always gives a converted provisioner both option objects */
	*out = json_pack("{s:o,s:o}", "x509", x509, "ssh", ssh);
	return 0;
}

/* Adds lc[name] from the ca.json options object `scope` (at "options.<key>"). */
static int template_from_config(const json_t *options, const char *key, const char *name,
				json_t *lc, struct error *err)
{
	const json_t *o = json_object_get(options, key), *tpl, *data;
	char *b = NULL, *dump = NULL;
	json_t *t;

	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return err_set(err, ERR_INVALID, "options.%s must be an object", key);
	tpl = json_object_get(o, "template");
	data = json_object_get(o, "templateData");
	if (tpl != NULL && !json_is_null(tpl) && !json_is_string(tpl))
		return err_set(err, ERR_INVALID, "options.%s.template must be a string", key);
	/* step-ca reads templateFile from disk here; only inline templates are converted */
	if (!json_is_string(tpl) || json_string_length(tpl) == 0)
		return 0;
	t = json_object();
	b = b64_encode(json_string_value(tpl), json_string_length(tpl));
	json_object_set_new(t, "template", json_string(b));
	free(b);
	if (data != NULL) {
		dump = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
		if (dump != NULL) {
			b = b64_encode(dump, strlen(dump));
			json_object_set_new(t, "data", json_string(b));
			free(b);
			free(dump);
		}
	}
	json_object_set_new(lc, name, t);
	return 0;
}

int lc_options_from_config(const json_t *options, json_t *lc, struct error *err)
{
	if (options == NULL || json_is_null(options))
		return 0;
	if (!json_is_object(options))
		return err_set(err, ERR_INVALID, "options must be an object");
	if (template_from_config(options, "x509", "x509Template", lc, err) != 0 ||
	    template_from_config(options, "ssh", "sshTemplate", lc, err) != 0)
		return -1;
	return 0;
}
