/* decode.c - request bodies to structs. */
#include "server/decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/json_flat.h"
#include "base/password.h"
#include "crypto/csr.h"

#define DECODE_ERROR "error decoding json"
/* Go's json.Decoder: any value, and nothing after it is read */
#define BODY_JSON_FLAGS (JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK)

json_t *json_field(const json_t *obj, const char *name)
{
	const char *key;
	json_t *value;
	json_t *found = NULL;

	if (!json_is_object(obj))
		return NULL;
	/* json_object_foreach wants a non-const object; iteration does not modify it. */
	json_object_foreach((json_t *)obj, key, value)
	{
		if (strcasecmp(key, name) == 0)
			found = value;
	}
	return found;
}

/* A string field: NULL/null -> "" (unset); another type -> -1. */
static int string_field(const json_t *obj, const char *name, const char **out)
{
	const json_t *v = json_field(obj, name);

	*out = "";
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/* step's TimeDuration: "" or an RFC 3339 time or a Go duration; anything else fails to decode. */
static int time_duration_ok(const char *s)
{
	int64_t ns;
	bool set;

	return s[0] == '\0' || time_or_duration_parse(s, 0, &ns, &set, NULL) == 0;
}

/* The body of /sign (need_ott) or /rekey: step's decoding and checks in step's order, less
 * the CSR's signature (the authority checks it once the client is authenticated). */
static int csr_body_parse(const uint8_t *data, size_t len, size_t max, bool need_ott,
			  struct sign_body *out, struct error *err)
{
	json_error_t jerr;
	const char *csr_pem = "";
	const json_t *td;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > max) {
		err_public(err, ERR_TOO_LARGE, "request body too large");
		goto out;
	}
	/* The usual body, a flat object of ASCII strings, without jansson's lexer (json_flat.c) */
	out->doc = json_flat_loadb((const char *)data, len, BODY_JSON_FLAGS);
	if (out->doc == NULL)
		out->doc = json_loadb((const char *)data, len, BODY_JSON_FLAGS, &jerr);
	if (out->doc == NULL || !(json_is_object(out->doc) || json_is_null(out->doc)))
		goto decode_error;
	if (string_field(out->doc, "csr", &csr_pem) != 0 ||
	    string_field(out->doc, "ott", &out->ott) != 0 ||
	    string_field(out->doc, "notBefore", &out->not_before) != 0 ||
	    string_field(out->doc, "notAfter", &out->not_after) != 0 ||
	    !time_duration_ok(out->not_before) || !time_duration_ok(out->not_after))
		goto decode_error;
	td = json_field(out->doc, "templateData");
	out->template_data = json_is_null(td) ? NULL : td;
	if (csr_pem[0] != '\0') {
		/* Only PEM is accepted (Go's pem.Decode): the first block, whatever its type. */
		if (strstr(csr_pem, "-----BEGIN ") == NULL ||
		    csr_parse((const uint8_t *)csr_pem, strlen(csr_pem), &out->csr, NULL) != 0)
			goto decode_error;
	}
	if (out->csr == NULL) {
		err_public(err, ERR_INVALID, "missing csr");
		goto out;
	}
	/* The CSR's self-signature is the authority's to check, after the token: see
	 * authority_sign. */
	if (need_ott && out->ott[0] == '\0') {
		err_public(err, ERR_INVALID, "missing ott");
		goto out;
	}
	rc = 0;
	goto out;
decode_error:
	err_public(err, ERR_INVALID, DECODE_ERROR);
out:
	if (rc != 0)
		sign_body_free(out);
	return rc;
}

int sign_body_parse(const uint8_t *data, size_t len, size_t max, struct sign_body *out,
		    struct error *err)
{
	return csr_body_parse(data, len, max, true, out, err);
}

int rekey_body_parse(const uint8_t *data, size_t len, size_t max, struct sign_body *out,
		     struct error *err)
{
	return csr_body_parse(data, len, max, false, out, err);
}

int revoke_body_parse(const uint8_t *data, size_t len, size_t max, struct revoke_body *out,
		      struct error *err)
{
	json_error_t jerr;
	const json_t *v;

	memset(out, 0, sizeof(*out));
	if (len > max)
		return err_public(err, ERR_TOO_LARGE, "request body too large");
	out->doc =
	    json_loadb((const char *)data, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
	if (out->doc == NULL || !(json_is_object(out->doc) || json_is_null(out->doc)) ||
	    string_field(out->doc, "serial", &out->serial) != 0 ||
	    string_field(out->doc, "ott", &out->ott) != 0 ||
	    string_field(out->doc, "reason", &out->reason) != 0)
		goto decode_error;
	v = json_field(out->doc, "reasonCode");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
		    json_integer_value(v) > INT32_MAX)
			goto decode_error;
		out->reason_code = (int)json_integer_value(v);
	}
	v = json_field(out->doc, "passive");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v))
			goto decode_error;
		out->passive = json_is_true(v);
	}
	return 0;
decode_error:
	revoke_body_free(out);
	return err_public(err, ERR_INVALID, DECODE_ERROR);
}

void revoke_body_free(struct revoke_body *b)
{
	if (b == NULL)
		return;
	if (b->ott != NULL && b->ott[0] != '\0')
		secure_wipe((char *)b->ott, strlen(b->ott));
	json_decref(b->doc);
	memset(b, 0, sizeof(*b));
}

int kyma_body_parse(const uint8_t *data, size_t len, size_t max, X509_REQ **csr, struct error *err)
{
	json_error_t jerr;
	json_t *doc = NULL;
	const char *b64 = "";
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	int rc = -1;

	*csr = NULL;
	if (len > max)
		return err_public(err, ERR_TOO_LARGE, "request body too large");
	doc = json_loadb((const char *)data, len, JSON_DISABLE_EOF_CHECK, &jerr);
	if (doc == NULL || !json_is_object(doc) || string_field(doc, "csr", &b64) != 0) {
		err_public(err, ERR_INVALID, "Error while unmarshalling the request body: %s",
			   doc == NULL ? jerr.text : "not an object with a \"csr\" string");
		goto out;
	}
	if (b64_decode(b64, strlen(b64), true, &pem, &pem_len, NULL) != 0 || pem_len == 0) {
		err_public(err, ERR_INVALID,
			   "There was an error while parsing the base64 content. "
			   "An incorrect value was provided.");
		goto out;
	}
	if (strstr((const char *)pem, "-----BEGIN ") == NULL ||
	    csr_parse(pem, pem_len, csr, NULL) != 0) {
		err_public(err, ERR_INVALID, "Error while parsing CSR: not a certificate request");
		goto out;
	}
	rc = 0; /* the signature is checked by authority_kyma_renew */
out:
	free(pem);
	json_decref(doc);
	return rc;
}

void sign_body_free(struct sign_body *b)
{
	if (b == NULL)
		return;
	if (b->ott != NULL && b->ott[0] != '\0')
		secure_wipe((char *)b->ott, strlen(b->ott));
	X509_REQ_free(b->csr);
	json_decref(b->doc);
	memset(b, 0, sizeof(*b));
}
