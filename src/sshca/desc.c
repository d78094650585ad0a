/* desc.c - the JSON SSH certificate description a template renders (provisioners-and-policy.md
 * §4.2, ssh.md §3) read into a certificate, as step-ca decodes it into its certificate
 * structure with Go's encoding/json.
 *
 * Go's decoder rules kept here: only the first JSON value counts (what follows is never read);
 * member names match the fields case-insensitively (Unicode simple folding: the Kelvin sign
 * folds to "k", the long s to "s"); unknown members are ignored; for a member given twice the
 * last wins, except that a second object for a map adds to the first; null leaves a field as it
 * is (clears a map); any other type mismatch is an error. Every error is step-ca's 500 "error
 * applying certificate template".
 */
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/str.h"
#include "sshca/internal.h"

/* step-ca's answer to a description its decoder refuses (a template that renders bad JSON). */
static int bad(struct error *err)
{
	return err_public(err, ERR_INTERNAL, SSHCA_TEMPLATE_ERROR);
}

/* Whether the member name key matches the (ASCII) field name as Go's decoder folds names. */
static bool name_folds(const char *key, const char *field)
{
	const unsigned char *k = (const unsigned char *)key;

	for (const char *f = field; *f != '\0'; f++) {
		char want = (char)(*f | 0x20);

		if (k[0] == 0xE2 && k[1] == 0x84 && k[2] == 0xAA && want == 'k') {
			k += 3; /* U+212A KELVIN SIGN */
			continue;
		}
		if (k[0] == 0xC5 && k[1] == 0xBF && want == 's') {
			k += 2; /* U+017F LATIN SMALL LETTER LONG S */
			continue;
		}
		/* the field names are all ASCII letters: ASCII case folding */
		if (*k >= 0x80 || (char)(*k | 0x20) != want ||
		    !((*k | 0x20) >= 'a' && (*k | 0x20) <= 'z'))
			return false;
		k++;
	}
	return *k == '\0';
}

enum field {
	F_NONE,
	F_NONCE,
	F_SERIAL,
	F_TYPE,
	F_KEY_ID,
	F_PRINCIPALS,
	F_VALID_AFTER,
	F_VALID_BEFORE,
	F_CRITICAL,
	F_EXTENSIONS,
	F_RESERVED,
};

static enum field field_of(const char *key)
{
	static const struct {
		const char *name;
		enum field f;
	} fields[] = {
	    {"nonce", F_NONCE},
	    {"serial", F_SERIAL},
	    {"type", F_TYPE},
	    {"keyId", F_KEY_ID},
	    {"principals", F_PRINCIPALS},
	    {"validAfter", F_VALID_AFTER},
	    {"validBefore", F_VALID_BEFORE},
	    {"criticalOptions", F_CRITICAL},
	    {"extensions", F_EXTENSIONS},
	    {"reserved", F_RESERVED},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (name_folds(key, fields[i].name))
			return fields[i].f;
	return F_NONE;
}

/* A Go []byte: standard base64 with padding (Go skips CR and LF); null leaves it. */
static int get_bytes(const json_t *v, uint8_t **data, size_t *len, struct error *err)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), o = 0;
	char *clean;
	uint8_t *out = NULL;
	size_t out_len = 0;
	int rc;

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(err);
	clean = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			clean[o++] = s[i];
	clean[o] = '\0';
	rc = b64_decode(clean, o, false, &out, &out_len, NULL);
	free(clean);
	if (rc != 0)
		return bad(err);
	free(*data);
	*data = out_len > 0 ? out : NULL;
	*len = out_len;
	if (out_len == 0)
		free(out);
	return 0;
}

/* A Go time.Time in JSON (RFC 3339 or null) as certificate seconds: the zero time is 0. */
static int get_time(const json_t *v, uint64_t *out, struct error *err)
{
	const char *s = json_string_value(v);
	int64_t ns;

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(err);
	if (strcmp(s, "0001-01-01T00:00:00Z") == 0) { /* Go's zero time: no validity set */
		*out = 0;
		return 0;
	}
	if (time_parse_rfc3339(s, &ns, NULL) != 0 || ns < 0)
		return bad(err);
	*out = (uint64_t)(ns / NS_PER_SEC);
	return 0;
}

/* A Go map[string]string decoded into the options: null clears them, an object adds to them. */
static int get_options(const json_t *v, struct ssh_option **opts, size_t *n, struct error *err)
{
	const char *key;
	json_t *val;

	if (json_is_null(v)) {
		for (size_t i = 0; i < *n; i++) {
			free((*opts)[i].name);
			free((*opts)[i].data);
		}
		free(*opts);
		*opts = NULL;
		*n = 0;
		return 0;
	}
	if (!json_is_object(v))
		return bad(err);
	json_object_foreach((json_t *)v, key, val)
	{
		const char *s = json_is_null(val) ? "" : json_string_value(val);

		if (s == NULL)
			return bad(err);
		for (size_t i = 0; i < *n; i++) { /* the same key again replaces the value */
			if (strcmp((*opts)[i].name, key) == 0) {
				free((*opts)[i].name);
				free((*opts)[i].data);
				memmove(&(*opts)[i], &(*opts)[i + 1],
					(*n - i - 1) * sizeof(**opts));
				(*n)--;
				break;
			}
		}
		if (*n >= SSH_MAX_OPTIONS)
			return bad(err);
		/* an empty value is an empty data field (Go's ssh package), else an SSH string */
		ssh_option_add(opts, n, key, s[0] != '\0' ? s : NULL);
	}
	return 0;
}

static int get_principals(const json_t *v, struct strv *out, struct error *err)
{
	size_t i;
	json_t *p;

	if (json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > SSH_MAX_PRINCIPALS)
		return bad(err);
	for (i = 0; i < json_array_size(v); i++) {
		p = json_array_get(v, i);
		if (!json_is_string(p) && !json_is_null(p))
			return bad(err);
	}
	strv_free(out);
	for (i = 0; i < json_array_size(v); i++) { /* null decodes into "" */
		p = json_array_get(v, i);
		strv_push(out, json_is_null(p) ? "" : json_string_value(p));
	}
	return 0;
}

static int get_type(const json_t *v, enum ssh_cert_type *out, struct error *err)
{
	const char *s = json_string_value(v);

	/* CertType's decoder: a string, "user" or "host" in any case; null is an unknown type */
	if (s == NULL)
		return bad(err);
	if (str_eq_nocase(s, "user"))
		*out = SSH_CERT_USER;
	else if (str_eq_nocase(s, "host"))
		*out = SSH_CERT_HOST;
	else
		return bad(err);
	return 0;
}

static int get_member(enum field f, const json_t *v, struct ssh_cert *c, struct error *err)
{
	switch (f) {
	case F_NONCE:
		return get_bytes(v, &c->nonce, &c->nonce_len, err);
	case F_RESERVED:
		return get_bytes(v, &c->reserved, &c->reserved_len, err);
	case F_SERIAL:
		if (json_is_null(v))
			return 0;
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return bad(err);
		c->serial = (uint64_t)json_integer_value(v);
		return 0;
	case F_TYPE:
		return get_type(v, &c->type, err);
	case F_KEY_ID:
		if (json_is_null(v))
			return 0;
		if (!json_is_string(v))
			return bad(err);
		free(c->key_id);
		c->key_id = xstrdup(json_string_value(v));
		return 0;
	case F_PRINCIPALS:
		return get_principals(v, &c->principals, err);
	case F_VALID_AFTER:
		return get_time(v, &c->valid_after, err);
	case F_VALID_BEFORE:
		return get_time(v, &c->valid_before, err);
	case F_CRITICAL:
		return get_options(v, &c->critical, &c->n_critical, err);
	case F_EXTENSIONS:
		return get_options(v, &c->extensions, &c->n_extensions, err);
	case F_NONE:
		break;
	}
	return 0;
}

int sshca_desc_apply(const char *text, size_t len, struct ssh_cert *c, struct error *err)
{
	json_t *doc = json_loadb(text, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, NULL);
	const char *key;
	json_t *v;
	int rc = 0;

	if (doc == NULL)
		return bad(err);
	if (!json_is_object(doc) && !json_is_null(doc)) {
		json_decref(doc);
		return bad(err);
	}
	if (c->key_id == NULL)
		c->key_id = xstrdup("");
	json_object_foreach(doc, key, v)
	{
		/* Go reports the first mismatch after decoding the rest: an error either way */
		if (get_member(field_of(key), v, c, err) != 0) {
			rc = -1;
			break;
		}
	}
	json_decref(doc);
	return rc;
}
