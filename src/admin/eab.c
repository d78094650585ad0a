/* eab.c - /admin/acme/eab/{prov}[/{reference}] (list), POST /admin/acme/eab/{prov} (create)
 * and DELETE /admin/acme/eab/{prov}/{keyID}: ACME External Account Binding keys over the admin
 * API (acme.md §13). step-ca's open-source build answers 501 here; stride creates, lists and
 * removes keys (src/acme/eab_keys.c), behind step-ca's checks: the admin token, the provisioner
 * (404), an ACME provisioner (500) with requireEAB (400).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/acme.h"
#include "admin/internal.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/password.h"
#include "base/str.h"

#define REFERENCE_MAX 256

const struct provisioner *admin_eab_provisioner(struct admin_call *c, const char *name,
						struct error *err)
{
	const struct provisioner *p = admin_load_provisioner(c, name, err);

	if (p == NULL)
		return NULL;
	if (p->type != PROV_ACME) {
		err_public(err, ERR_INTERNAL, "error getting ACME details for provisioner '%s'",
			   name);
		return NULL;
	}
	if (!p->acme.require_eab) {
		err_public(err, ERR_INVALID, "ACME EAB not enabled for provisioner '%s'", name);
		return NULL;
	}
	return p;
}

/* A Go JSON timestamp {"seconds":N[,"nanos":N]}. */
static json_t *go_timestamp(int64_t ns)
{
	json_t *t = json_pack("{s:I}", "seconds", (json_int_t)(ns / NS_PER_SEC));

	if (ns % NS_PER_SEC != 0)
		json_object_set_new(t, "nanos", json_integer(ns % NS_PER_SEC));
	return t;
}

/* A key in the list (Go's JSON of linkedca.EABKey, without the HMAC key). */
static json_t *key_j(const struct acme_eab_key *k)
{
	json_t *o = json_pack("{s:s, s:s}", "id", k->id, "provisioner", k->provisioner);

	if (k->reference[0] != '\0')
		json_object_set_new(o, "reference", json_string(k->reference));
	if (k->account[0] != '\0')
		json_object_set_new(o, "account", json_string(k->account));
	json_object_set_new(o, "created_at", go_timestamp(k->created_at_ns));
	if (k->bound_at_ns != 0)
		json_object_set_new(o, "bound_at", go_timestamp(k->bound_at_ns));
	return o;
}

/* A new key (protobuf JSON of linkedca.EABKey: the HMAC key in standard base64). */
static json_t *key_p(const struct acme_eab_key *k, struct error *err)
{
	uint8_t *raw = NULL;
	size_t len = 0;
	char *std = NULL, when[40];
	json_t *o = NULL;

	if (b64url_decode(k->hmac_key, strlen(k->hmac_key), &raw, &len, err) != 0)
		goto out;
	std = b64_encode(raw, len);
	o = json_pack("{s:s, s:s, s:s}", "id", k->id, "hmacKey", std, "provisioner",
		      k->provisioner);
	if (k->reference[0] != '\0')
		json_object_set_new(o, "reference", json_string(k->reference));
	json_object_set_new(o, "createdAt",
			    json_string(time_format_rfc3339(k->created_at_ns, when, sizeof(when))));
out:
	if (raw != NULL)
		secure_wipe(raw, len);
	if (std != NULL)
		secure_wipe(std, strlen(std));
	free(raw);
	free(std);
	return o;
}

/* The reference of a POST body ({"reference":"..."}, Go's JSON); *out malloc'd. */
static int create_body(const struct admin_call *c, char **out, struct error *err)
{
	json_t *doc = NULL, *v;
	const char *k;
	struct error e = {0};
	int rc = -1;

	*out = xstrdup("");
	if (admin_json_load(c->req.body, c->req.body_len, true, &doc, &e) != 0) {
		err_public(err, ERR_INVALID, "error reading request body: error decoding json: %s",
			   e.msg);
		goto out;
	}
	if (!json_is_object(doc) && !json_is_null(doc)) {
		err_public(err, ERR_INVALID,
			   "error reading request body: error decoding json: json: cannot "
			   "unmarshal %s into Go value of type api.CreateExternalAccountKeyRequest",
			   json_is_array(doc)	 ? "array"
			   : json_is_string(doc) ? "string"
						 : "number");
		goto out;
	}
	json_object_foreach(doc, k, v)
	{
		if (strcasecmp(k, "reference") != 0 || json_is_null(v))
			continue;
		if (!json_is_string(v)) {
			err_public(err, ERR_INVALID,
				   "error reading request body: error decoding json: json: cannot "
				   "unmarshal %s into Go struct field "
				   "CreateExternalAccountKeyRequest.reference of type string",
				   json_is_object(v)	? "object"
				   : json_is_array(v)	? "array"
				   : json_is_boolean(v) ? "bool"
							: "number");
			goto out;
		}
		free(*out);
		*out = xstrdup(json_string_value(v));
	}
	if (strlen(*out) > REFERENCE_MAX) {
		err_public(
		    err, ERR_INVALID,
		    "error validating request body: reference length %zu exceeds the maximum "
		    "(%d)",
		    strlen(*out), REFERENCE_MAX);
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static void create_key(struct admin_call *c, const char *prov)
{
	struct acme_eab_key k = {0};
	struct error err = {0};
	char *reference = NULL;
	json_t *doc;

	if (create_body(c, &reference, &err) != 0 ||
	    acme_eab_key_add(c->a, prov, reference, &k, &err) != 0) {
		if (err.kind == ERR_CONFLICT)
			err_reclassify(&err, ERR_CONFLICT, true);
		admin_reply_error(c, &err);
		goto out;
	}
	doc = key_p(&k, &err);
	if (doc == NULL)
		admin_reply_error(c, &err);
	else
		admin_reply_json(c, 201, doc, false);
out:
	acme_eab_key_free(&k);
	free(reference);
}

static void list_keys(struct admin_call *c, const char *prov, const char *reference)
{
	struct acme_eab_key *keys = NULL;
	struct error err = {0};
	char *cursor = NULL, *next = NULL;
	size_t limit = 0, n = 0;
	json_t *list;

	if (admin_page_params(c, &cursor, &limit, &err) != 0) {
		admin_reply_error(c, &err);
		goto out;
	}
	if (acme_eab_key_list(c->a, prov, reference, cursor, limit, &keys, &n, &next, &err) != 0) {
		err_wrap(&err, "error retrieving external account keys");
		admin_reply_error(c, &err);
		goto out;
	}
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, key_j(&keys[i]));
	admin_reply_json(c, 200, json_pack("{s:o, s:s}", "eaks", list, "nextCursor", next), true);
out:
	acme_eab_keys_free(keys, n);
	free(cursor);
	free(next);
}

void admin_eab(struct admin_call *c)
{
	const char *prov = c->seg[2];
	struct error err = {0};

	if (admin_eab_provisioner(c, prov, &err) == NULL) {
		admin_reply_error(c, &err);
		return;
	}
	if (strcmp(c->req.method, "POST") == 0) {
		create_key(c, prov);
	} else if (strcmp(c->req.method, "DELETE") == 0) {
		if (acme_eab_key_remove(c->a, prov, c->seg[3], &err) != 0) {
			err_wrap(&err, "error deleting ACME EAB Key '%s'", c->seg[3]);
			admin_reply_error(c, &err);
			return;
		}
		admin_reply_ok(c);
	} else {
		list_keys(c, prov, c->nseg == 4 ? c->seg[3] : NULL);
	}
}
