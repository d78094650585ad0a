/* linkedca_prov.c - a provisioner between its linkedca form (admin API) and its ca.json form
 * (linkedca.h). Field names, zero-value rules and member order follow step-ca's conversion:
 * the ca.json side is laid out as step-ca's provisioner structs marshal (omitempty or not),
 * the linkedca side as protobuf-JSON (camelCase, zero values omitted, bytes as base64). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/b64.h"
#include "base/str.h"
#include "config/linkedca.h"
#include "config/linkedca_int.h"

/* ---------------------------------------------------------------- linkedca -> ca.json */

/* An enum list (names or numbers) as the ca.json strings; unknown numbers and the zero value
 * are skipped as step-ca skips them, unknown names refused. *out NULL when empty. */
static int enums_to_config(const json_t *d, const char *path, const struct lc_field *f,
			   json_t **out, struct error *err)
{
	const char *const *names = f->kind == K_CHAL ? lc_chal_lc : lc_att_lc;
	const char *const *cfgs = f->kind == K_CHAL ? lc_chal_cfg : lc_att_cfg;
	char p[LC_PATH_MAX];
	const json_t *v, *e;
	json_t *list;
	size_t i;

	*out = NULL;
	if (lc_get(d, path, f->lc, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	lc_path(p, path, f->lc);
	if (!json_is_array(v))
		return err_set(err, ERR_INVALID, "%s must be an array", p);
	list = json_array();
	json_array_foreach(v, i, e)
	{
		long long n = -1;

		if (json_is_integer(e)) {
			n = json_integer_value(e);
		} else if (json_is_string(e)) {
			for (int k = 0; names[k] != NULL; k++)
				if (strcmp(names[k], json_string_value(e)) == 0)
					n = k;
			if (n < 0) {
				json_decref(list);
				return err_set(err, ERR_INVALID, "invalid value for %s: \"%.64s\"",
					       p, json_string_value(e));
			}
		} else {
			json_decref(list);
			return err_set(err, ERR_INVALID, "%s must be an array of enum names", p);
		}
		for (int k = 1; names[k] != NULL; k++)
			if (k == n)
				json_array_append_new(list, json_string(cfgs[k]));
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		list = NULL;
	}
	*out = list;
	return 0;
}

/* A repeated bytes member of PEMs joined into one ca.json base64 value (NULL when none). */
static int pems_to_config(const json_t *d, const char *path, const struct lc_field *f, json_t **out,
			  struct error *err)
{
	char p[LC_PATH_MAX], q[LC_PATH_MAX + 32];
	const json_t *v, *e;
	size_t i, len = 0, n;
	char *joined = NULL, *b;
	uint8_t *pem;
	int rc = -1;

	*out = NULL;
	if (lc_get(d, path, f->lc, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	lc_path(p, path, f->lc);
	if (!json_is_array(v))
		return err_set(err, ERR_INVALID, "%s must be an array of base64 strings", p);
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e)) {
			err_set(err, ERR_INVALID, "%s must be an array of base64 strings", p);
			goto out;
		}
		snprintf(q, sizeof(q), "%s[%zu]", p, i);
		if (lc_b64_decode(json_string_value(e), json_string_length(e), q, &pem, &n, err) !=
		    0)
			goto out;
		joined = xrealloc(joined, len + n + 2);
		/* step-ca: X5C and K8sSA put "\n" between every two PEMs; ACME attestation
		 * roots and Nebula roots only before one that does not end in "\n" */
		if (i > 0 && (f->join_nl || n == 0 || pem[n - 1] != '\n'))
			joined[len++] = '\n';
		if (n > 0)
			memcpy(joined + len, pem, n);
		len += n;
		free(pem);
	}
	if (len > 0) {
		b = b64_encode(joined, len);
		*out = json_string(b);
		free(b);
	}
	rc = 0;
out:
	free(joined);
	return rc;
}

/* The JWK publicKey: base64 of the public JWK's JSON, required. */
static int jwk_to_config(const json_t *d, const char *path, json_t **out, struct error *err)
{
	char p[LC_PATH_MAX];
	uint8_t *b;
	size_t n;
	json_error_t jerr;
	json_t *key;

	*out = NULL;
	lc_path(p, path, "publicKey");
	if (lc_bytes(d, path, "publicKey", &b, &n, err) != 0)
		return -1;
	if (n == 0)
		return err_set(err, ERR_INVALID, "%s is required", p);
	key = json_loadb((const char *)b, n, 0, &jerr);
	free(b);
	if (key == NULL)
		return err_set(err, ERR_INVALID, "%s is not valid JSON: %s", p, jerr.text);
	if (!json_is_string(json_object_get(key, "kty"))) {
		json_decref(key);
		return err_set(err, ERR_INVALID, "%s is not a JSON web key", p);
	}
	*out = key;
	return 0;
}

/* One field of the details object d (at path) into cfg. */
static int field_to_config(const json_t *details, const char *dpath, const struct lc_field *f,
			   json_t *cfg, struct error *err)
{
	char path[LC_PATH_MAX], p[LC_PATH_MAX], prefix[LC_PATH_MAX + 96], norm[64];
	const json_t *d = details;
	json_t *v = NULL;
	const char *s;
	bool b, present;
	int64_t i64;
	uint8_t *bytes;
	size_t n;

	snprintf(path, sizeof(path), "%s", dpath);
	if (f->sub != NULL) {
		if (lc_object(details, dpath, f->sub, &d, err) != 0)
			return -1;
		lc_path(path, dpath, f->sub);
	}
	switch (f->kind) {
	case K_JWK:
		if (jwk_to_config(d, path, &v, err) != 0)
			return -1;
		break;
	case K_STR:
		if (lc_string(d, path, f->lc, &s, err) != 0)
			return -1;
		if (s != NULL && s[0] != '\0')
			v = json_string(s);
		else if (f->always)
			v = json_string("");
		break;
	case K_STRS:
		if (lc_strings(d, path, f->lc, &v, err) != 0)
			return -1;
		if (v == NULL && f->always)
			v = json_null();
		break;
	case K_BOOL:
	case K_OPTBOOL:
		if (lc_bool(d, path, f->lc, &b, &present, err) != 0)
			return -1;
		if (b || (f->kind == K_BOOL && f->always) || (f->kind == K_OPTBOOL && present))
			v = json_boolean(b);
		break;
	case K_INT:
		if (lc_int32(d, path, f->lc, &i64, err) != 0)
			return -1;
		if (i64 != 0)
			v = json_integer(i64);
		break;
	case K_DUR:
		if (lc_string(d, path, f->lc, &s, err) != 0)
			return -1;
		if (s == NULL || s[0] == '\0') {
			v = json_string("0s");
			break;
		}
		snprintf(prefix, sizeof(prefix), "error parsing instance age '%.64s' (%s)", s,
			 lc_path(p, path, f->lc));
		if (lc_duration_norm(s, prefix, norm, sizeof(norm), err) != 0)
			return -1;
		v = json_string(norm);
		break;
	case K_PEMS:
		if (pems_to_config(d, path, f, &v, err) != 0)
			return -1;
		if (v == NULL && f->always)
			v = json_null();
		break;
	case K_B64:
	case K_BSTR:
		if (lc_bytes(d, path, f->lc, &bytes, &n, err) != 0)
			return -1;
		if (n > 0 && f->kind == K_B64) {
			char *e = b64_encode(bytes, n);
			v = json_string(e);
			free(e);
		} else if (n > 0 && (v = json_stringn((const char *)bytes, n)) == NULL) {
			free(bytes);
			return err_set(err, ERR_INVALID, "%s is not valid UTF-8 text",
				       lc_path(p, path, f->lc));
		}
		free(bytes);
		break;
	case K_CHAL:
	case K_ATT:
		if (enums_to_config(d, path, f, &v, err) != 0)
			return -1;
		break;
	case K_NULL:
		v = json_null();
		break;
	}
	if (v != NULL)
		json_object_set_new(cfg, f->cfg, v);
	return 0;
}

/* A new object with obj's members in the given order (others after them). */
static json_t *reorder(json_t *obj, const char *const *order)
{
	json_t *o = json_object(), *v;
	const char *k;

	for (size_t i = 0; order[i] != NULL; i++)
		if ((v = json_object_get(obj, order[i])) != NULL)
			json_object_set(o, order[i], v);
	json_object_foreach(obj, k, v)
	{
		if (json_object_get(o, k) == NULL)
			json_object_set(o, k, v);
	}
	return o;
}

/* The type of lc's "type": an enum name or number. */
static int type_of(const json_t *lc, const struct lc_ptype **out, struct error *err)
{
	const json_t *v;
	long long n = -1;

	*out = NULL;
	if (lc_get(lc, "", "type", &v, err) != 0)
		return -1;
	if (v == NULL)
		return err_set(err, ERR_INVALID, "provisioner type cannot be empty");
	if (json_is_string(v)) {
		for (int i = 0; i < lc_nptypes; i++)
			if (strcmp(lc_ptypes[i].name, json_string_value(v)) == 0)
				n = i;
		if (n < 0)
			return err_set(err, ERR_INVALID,
				       "invalid value for provisioner type: \"%.64s\"",
				       json_string_value(v));
	} else if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n < 0 || n >= lc_nptypes)
			return err_set(err, ERR_INVALID, "invalid value for provisioner type: %lld",
				       n);
	} else {
		return err_set(err, ERR_INVALID, "provisioner type must be a string or a number");
	}
	if (n == 0)
		return err_set(err, ERR_INVALID, "provisioner type NOOP is not supported");
	*out = &lc_ptypes[n];
	return 0;
}

/* The one details object of lc, which must be the type's. */
static int details_of(const json_t *lc, const struct lc_ptype *t, const json_t **out,
		      struct error *err)
{
	const json_t *details, *v, *found = NULL;
	const char *k, *first = NULL;
	char p[LC_PATH_MAX];

	*out = NULL;
	if (lc_object(lc, "", "details", &details, err) != 0)
		return -1;
	json_object_foreach((json_t *)details, k, v)
	{
		if (json_is_null(v))
			continue;
		if (first != NULL)
			return err_set(err, ERR_INVALID,
				       "details must have exactly one key: got \"%.32s\" and "
				       "\"%.32s\"",
				       first, k);
		first = k;
		found = v;
	}
	if (found == NULL)
		return err_set(err, ERR_INVALID, "provisioner does not have any details");
	if (strcmp(first, t->details) != 0) {
		for (int i = 1; i < lc_nptypes; i++)
			if (strcmp(first, lc_ptypes[i].details) == 0)
				return err_set(err, ERR_INVALID,
					       "details key \"%s\" does not match provisioner type "
					       "%s",
					       first, t->name);
		return err_set(err, ERR_INVALID, "unknown details key \"%.64s\"", first);
	}
	if (!json_is_object(found))
		return err_set(err, ERR_INVALID, "%s must be an object",
			       lc_path(p, "details", first));
	*out = found;
	return 0;
}

int linkedca_to_config(const json_t *lc, json_t **out, struct error *err)
{
	const struct lc_ptype *t;
	const json_t *details, *claims_lc;
	const char *name;
	char dpath[LC_PATH_MAX];
	json_t *cfg = NULL, *claims = NULL, *options = NULL;
	int rc = -1;

	*out = NULL;
	if (!json_is_object(lc))
		return err_set(err, ERR_INVALID, "provisioner must be a JSON object");
	if (type_of(lc, &t, err) != 0 || lc_string(lc, "", "name", &name, err) != 0)
		goto out;
	if (name == NULL || name[0] == '\0') {
		err_set(err, ERR_INVALID, "provisioner name cannot be empty");
		goto out;
	}
	if (details_of(lc, t, &details, err) != 0)
		goto out;
	lc_path(dpath, "details", t->details);
	cfg = json_pack("{s:s,s:s}", "type", t->name, "name", name);
	for (const struct lc_field *f = t->fields; f->cfg != NULL; f++)
		if (field_to_config(details, dpath, f, cfg, err) != 0)
			goto out;
	if (lc_get(lc, "", "claims", &claims_lc, err) != 0 ||
	    lc_claims_to_config(claims_lc, &claims, err) != 0)
		goto out;
	if (claims != NULL)
		json_object_set(cfg, "claims", claims);
	if (t->options) {
		if (lc_options_to_config(lc, &options, err) != 0)
			goto out;
		json_object_set(cfg, "options", options);
	}
	*out = reorder(cfg, t->order);
	rc = 0;
out:
	json_decref(cfg);
	json_decref(claims);
	json_decref(options);
	return rc;
}

/* ---------------------------------------------------------------- ca.json -> linkedca */

static int cfg_type_err(const char *key, const char *what, struct error *err)
{
	return err_set(err, ERR_INVALID, "%s must be %s", key, what);
}

/* A ca.json base64 ([]byte) member decoded; NULL with *n 0 when absent, null or empty. */
static int cfg_bytes(const json_t *v, const char *key, uint8_t **out, size_t *n, struct error *err)
{
	struct error e = {0};

	*out = NULL;
	*n = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cfg_type_err(key, "a base64 string", err);
	if (b64_decode(json_string_value(v), json_string_length(v), true, out, n, &e) != 0)
		return err_set(err, ERR_INVALID, "%s is not valid base64: %s", key, e.msg);
	return 0;
}

/* The ca.json enum strings as linkedca enum names (unknown ones skipped, as step-ca does). */
static int enums_from_config(const json_t *v, const struct lc_field *f, json_t **out,
			     struct error *err)
{
	const char *const *names = f->kind == K_CHAL ? lc_chal_lc : lc_att_lc;
	const char *const *cfgs = f->kind == K_CHAL ? lc_chal_cfg : lc_att_cfg;
	const json_t *e;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return cfg_type_err(f->cfg, "an array of strings", err);
	*out = json_array();
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e)) {
			json_decref(*out);
			*out = NULL;
			return cfg_type_err(f->cfg, "an array of strings", err);
		}
		for (int k = 1; cfgs[k] != NULL; k++)
			if (str_eq_nocase(cfgs[k], json_string_value(e)))
				json_array_append_new(*out, json_string(names[k]));
	}
	if (json_array_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
	}
	return 0;
}

/* One ca.json field of cfg into the linkedca details object d. */
static int field_from_config(const json_t *cfg, const struct lc_field *f, json_t *d,
			     struct error *err)
{
	const json_t *v = json_object_get(cfg, f->cfg), *e;
	char prefix[160], norm[64], *s;
	json_t *out = NULL;
	uint8_t *bytes = NULL;
	size_t n, i;

	if (json_is_null(v))
		v = NULL;
	switch (f->kind) {
	case K_JWK:
		if (v == NULL)
			return err_set(err, ERR_INVALID, "provisioner key cannot be empty");
		if (!json_is_object(v))
			return cfg_type_err(f->cfg, "an object", err);
		if (!json_is_string(json_object_get(v, "kty")))
			return err_set(err, ERR_INVALID, "%s is not a JSON web key", f->cfg);
		s = json_dumps(v, JSON_COMPACT);
		if (s == NULL)
			return cfg_type_err(f->cfg, "an object", err);
		bytes = (uint8_t *)b64_encode(s, strlen(s));
		out = json_string((char *)bytes);
		free(s);
		break;
	case K_STR:
		if (v != NULL && !json_is_string(v))
			return cfg_type_err(f->cfg, "a string", err);
		if (v != NULL && json_string_length(v) > 0)
			out = json_copy((json_t *)v);
		break;
	case K_STRS:
		if (v == NULL)
			break;
		if (!json_is_array(v))
			return cfg_type_err(f->cfg, "an array of strings", err);
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e))
				return cfg_type_err(f->cfg, "an array of strings", err);
		}
		if (json_array_size(v) > 0)
			out = json_deep_copy(v);
		break;
	case K_BOOL:
	case K_OPTBOOL:
		if (v != NULL && !json_is_boolean(v))
			return cfg_type_err(f->cfg, "a boolean", err);
		if (v != NULL && (json_is_true(v) || f->kind == K_OPTBOOL))
			out = json_boolean(json_is_true(v));
		break;
	case K_INT:
		if (v != NULL && !json_is_integer(v))
			return cfg_type_err(f->cfg, "an integer", err);
		if (v != NULL &&
		    (json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX))
			return err_set(err, ERR_INVALID, "%s is out of range", f->cfg);
		if (v != NULL && json_integer_value(v) != 0)
			out = json_integer(json_integer_value(v));
		break;
	case K_DUR:
		if (v != NULL && !json_is_string(v))
			return cfg_type_err(f->cfg, "a duration string", err);
		snprintf(norm, sizeof(norm), "0s");
		snprintf(prefix, sizeof(prefix), "error parsing %s '%.64s'", f->cfg,
			 v != NULL ? json_string_value(v) : "");
		if (v != NULL &&
		    lc_duration_norm(json_string_value(v), prefix, norm, sizeof(norm), err) != 0)
			return -1;
		out = json_string(norm);
		break;
	case K_PEMS:
		if (cfg_bytes(v, f->cfg, &bytes, &n, err) != 0)
			return -1;
		out = lc_pem_split_b64(bytes, n);
		if (json_array_size(out) == 0) {
			json_decref(out);
			out = NULL;
		}
		break;
	case K_B64:
		if (cfg_bytes(v, f->cfg, &bytes, &n, err) != 0)
			return -1;
		if (n > 0) {
			s = b64_encode(bytes, n);
			out = json_string(s);
			free(s);
		}
		break;
	case K_BSTR:
		if (v != NULL && !json_is_string(v))
			return cfg_type_err(f->cfg, "a string", err);
		if (v != NULL && json_string_length(v) > 0) {
			s = b64_encode(json_string_value(v), json_string_length(v));
			out = json_string(s);
			free(s);
		}
		break;
	case K_CHAL:
	case K_ATT:
		if (enums_from_config(v, f, &out, err) != 0)
			return -1;
		break;
	case K_NULL:
		break;
	}
	free(bytes);
	if (out != NULL)
		json_object_set_new(d, f->lc, out);
	return 0;
}

/* The ptype of a ca.json type spelled in any case. */
static const struct lc_ptype *cfg_type(const char *type)
{
	for (int i = 1; i < lc_nptypes; i++)
		if (str_eq_nocase(lc_ptypes[i].name, type))
			return &lc_ptypes[i];
	return NULL;
}

int linkedca_from_config(const json_t *cfg, const char *id, int64_t created_at_ns, bool with_meta,
			 json_t **out, struct error *err)
{
	const struct lc_ptype *t;
	const json_t *type, *name;
	json_t *lc = NULL, *details = NULL, *claims = NULL;
	char when[64];
	int rc = -1;

	*out = NULL;
	if (!json_is_object(cfg))
		return err_set(err, ERR_INVALID, "provisioner must be a JSON object");
	type = json_object_get(cfg, "type");
	name = json_object_get(cfg, "name");
	if (!json_is_string(type) || json_string_length(type) == 0)
		return err_set(err, ERR_INVALID, "provisioner type cannot be empty");
	if ((t = cfg_type(json_string_value(type))) == NULL)
		return err_set(err, ERR_INVALID, "provisioner type %.64s not supported",
			       json_string_value(type));
	if (!json_is_string(name) || json_string_length(name) == 0)
		return err_set(err, ERR_INVALID, "provisioner name cannot be empty");
	details = json_object();
	for (const struct lc_field *f = t->fields; f->cfg != NULL; f++) {
		json_t *d = details;
		if (f->sub != NULL) {
			/* step-ca always sends the sub-message, empty or not */
			if ((d = json_object_get(details, f->sub)) == NULL) {
				d = json_object();
				json_object_set_new(details, f->sub, d);
			}
		}
		if (field_from_config(cfg, f, d, err) != 0)
			goto out;
	}
	if (lc_claims_from_config(json_object_get(cfg, "claims"), &claims, err) != 0)
		goto out;
	lc = json_object();
	if (id != NULL && id[0] != '\0')
		json_object_set_new(lc, "id", json_string(id));
	if (with_meta)
		json_object_set_new(lc, "authorityId",
				    json_string("00000000-0000-0000-0000-000000000000"));
	json_object_set_new(lc, "type", json_string(t->name));
	json_object_set(lc, "name", (json_t *)name);
	json_object_set_new(lc, "details", json_pack("{s:O}", t->details, details));
	if (claims != NULL)
		json_object_set(lc, "claims", claims);
	if (t->options && lc_options_from_config(json_object_get(cfg, "options"), lc, err) != 0)
		goto out;
	if (created_at_ns != 0)
		json_object_set_new(lc, "createdAt",
				    json_string(lc_timestamp(created_at_ns, when, sizeof(when))));
	if (with_meta)
		json_object_set_new(lc, "deletedAt", json_string("0001-01-01T00:00:00Z"));
	*out = lc;
	lc = NULL;
	rc = 0;
out:
	json_decref(lc);
	json_decref(details);
	json_decref(claims);
	return rc;
}

void linkedca_config_order(json_t *cfg)
{
	const char *type = json_string_value(json_object_get(cfg, "type"));
	json_t *o, *v;
	const char *k;

	for (int i = 1; type != NULL && i < lc_nptypes; i++) {
		if (lc_ptypes[i].order == NULL || strcasecmp(lc_ptypes[i].name, type) != 0)
			continue;
		o = reorder(cfg, lc_ptypes[i].order);
		json_object_clear(cfg);
		json_object_foreach(o, k, v) json_object_set(cfg, k, v);
		json_decref(o);
		return;
	}
}
