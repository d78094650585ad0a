/* admins.c - /admin/admins: list, get, create, change the type of, and remove administrators,
 * with step-ca's bodies (the list in Go's JSON form, single admins in protobuf JSON), statuses
 * and messages (admin.md §3, §4.1). Who may change admins (SUPER_ADMIN) is checked with the
 * token (token.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/internal.h"
#include "base/str.h"
#include "config/linkedca.h"

#define BODY_PREFIX "error reading request body: error decoding json: "

/* The name Go's encoding/json gives a JSON value's type in its errors. */
static const char *go_json_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "number";
	}
}

/* An admin type as Go decodes it into a linkedca.Admin_Type (an int32): a JSON integer. */
static int decode_type(const json_t *v, const char *go_struct, int *out, struct error *err)
{
	double d;

	if (json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
	    json_integer_value(v) <= INT32_MAX) {
		*out = (int)json_integer_value(v);
		return 0;
	}
	if (json_is_number(v)) {
		d = json_number_value(v);
		if (json_is_real(v) && d >= INT32_MIN && d <= INT32_MAX &&
		    d == (double)(int32_t)d) {
			*out = (int)d;
			return 0;
		}
		return err_public(err, ERR_INVALID,
				  BODY_PREFIX "json: cannot unmarshal number %.17g into Go struct "
					      "field %s.type of type linkedca.Admin_Type",
				  d, go_struct);
	}
	return err_public(err, ERR_INVALID,
			  BODY_PREFIX "json: cannot unmarshal %s into Go struct field %s.type of "
				      "type linkedca.Admin_Type",
			  go_json_type(v), go_struct);
}

/* A string member as Go decodes it (null leaves it as it was). */
static int decode_string(const json_t *v, const char *go_struct, const char *field, char **out,
			 struct error *err)
{
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_public(err, ERR_INVALID,
				  BODY_PREFIX "json: cannot unmarshal %s into Go struct field "
					      "%s.%s of type string",
				  go_json_type(v), go_struct, field);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* Decodes an admin body as Go's encoding/json does into a struct with these fields (names
 * matched without regard to case; unknown members ignored). */
static int decode_body(const uint8_t *body, size_t len, const char *go_struct, char **subject,
		       char **prov, int *type, struct error *err)
{
	json_t *doc = NULL, *v;
	const char *k;
	struct error e = {0};
	int rc = -1;

	if (admin_json_load(body, len, true, &doc, &e) != 0) {
		err_public(err, e.kind == ERR_TOO_LARGE ? ERR_TOO_LARGE : ERR_INVALID,
			   BODY_PREFIX "%s", e.msg);
		goto out;
	}
	if (json_is_null(doc)) {
		rc = 0;
		goto out;
	}
	if (!json_is_object(doc)) {
		err_public(err, ERR_INVALID,
			   BODY_PREFIX "json: cannot unmarshal %s into Go value of type api.%s",
			   go_json_type(doc), go_struct);
		goto out;
	}
	json_object_foreach(doc, k, v)
	{
		if (strcasecmp(k, "type") == 0) {
			if (!json_is_null(v) && decode_type(v, go_struct, type, err) != 0)
				goto out;
		} else if (subject != NULL && strcasecmp(k, "subject") == 0) {
			if (decode_string(v, go_struct, "subject", subject, err) != 0)
				goto out;
		} else if (prov != NULL && strcasecmp(k, "provisioner") == 0) {
			if (decode_string(v, go_struct, "provisioner", prov, err) != 0)
				goto out;
		}
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

static int check_type(int type, struct error *err)
{
	if (type != LINKEDCA_ADMIN && type != LINKEDCA_SUPER_ADMIN)
		return err_public(err, ERR_INVALID, "invalid value for admin type");
	return 0;
}

int admin_create_admin_body(const uint8_t *body, size_t len, char **subject, char **prov, int *type,
			    struct error *err)
{
	*subject = NULL;
	*prov = NULL;
	*type = 0;
	if (decode_body(body, len, "CreateAdminRequest", subject, prov, type, err) != 0)
		goto fail;
	if (*subject == NULL || (*subject)[0] == '\0') {
		err_public(err, ERR_INVALID, "subject cannot be empty");
		goto fail;
	}
	if (*prov == NULL || (*prov)[0] == '\0') {
		err_public(err, ERR_INVALID, "provisioner cannot be empty");
		goto fail;
	}
	if (check_type(*type, err) != 0)
		goto fail;
	return 0;
fail:
	free(*subject);
	free(*prov);
	*subject = NULL;
	*prov = NULL;
	return -1;
}

/* GET /admin/admins?cursor=&limit=: step-ca's page (the cursor is the first ID to return). */
static void list_admins(struct admin_call *c)
{
	const struct prov_set *s = c->snap;
	struct error err = {0};
	char *cursor = NULL;
	size_t limit, i = 0;
	json_t *list, *doc;

	if (admin_page_params(c, &cursor, &limit, &err) != 0) {
		admin_reply_error(c, &err);
		return;
	}
	while (i < s->n_admins && strcmp(s->admins[i].id, cursor) < 0)
		i++;
	list = json_array();
	for (; i < s->n_admins && json_array_size(list) < limit; i++) {
		const struct admin_entry *e = &s->admins[i];

		json_array_append_new(list, linkedca_admin_j(e->id, e->subject, e->provisioner_id,
							     e->type, e->created_at_ns));
	}
	doc = json_pack("{s:o, s:s}", "admins", list, "nextCursor",
			i < s->n_admins ? s->admins[i].id : "");
	free(cursor);
	admin_reply_json(c, 200, doc, true);
}

static void create_admin(struct admin_call *c)
{
	struct error err = {0};
	struct admin_entry out = {0};
	const struct provisioner *p;
	char *subject = NULL, *prov = NULL;
	int type = 0;

	if (admin_create_admin_body(c->req.body, c->req.body_len, &subject, &prov, &type, &err) !=
		0 ||
	    (p = admin_load_provisioner(c, prov, &err)) == NULL) {
		admin_reply_error(c, &err);
		goto out;
	}
	if (admin_admin_create(c->a, subject, p->id, type, &out, &err) != 0) {
		err_wrap(&err, "error storing admin");
		admin_reply_error(c, &err);
		goto out;
	}
	admin_reply_json(
	    c, 201, linkedca_admin_p(out.id, out.subject, out.provisioner_id, out.type, 0), false);
out:
	admin_entry_free(&out);
	free(subject);
	free(prov);
}

static void update_admin(struct admin_call *c, const char *id)
{
	struct error err = {0};
	struct admin_entry out = {0};
	int type = 0;

	if (decode_body(c->req.body, c->req.body_len, "UpdateAdminRequest", NULL, NULL, &type,
			&err) != 0 ||
	    check_type(type, &err) != 0) {
		admin_reply_error(c, &err);
		return;
	}
	if (admin_admin_update(c->a, id, type, &out, &err) != 0) {
		err_wrap(&err, "error updating admin %s: error updating cached admin %s", id, id);
		admin_reply_error(c, &err);
		return;
	}
	admin_reply_json(
	    c, 200, linkedca_admin_p(out.id, out.subject, out.provisioner_id, out.type, 0), false);
	admin_entry_free(&out);
}

static void delete_admin(struct admin_call *c, const char *id)
{
	struct error err = {0};

	if (admin_admin_delete(c->a, id, &err) != 0) {
		err_wrap(&err,
			 "error deleting admin %s: error removing admin %s from authority cache",
			 id, id);
		admin_reply_error(c, &err);
		return;
	}
	admin_reply_ok(c);
}

void admin_admins(struct admin_call *c)
{
	const char *m = c->req.method;
	const struct admin_entry *e;

	if (c->nseg == 1) {
		if (strcmp(m, "POST") == 0)
			create_admin(c);
		else
			list_admins(c);
		return;
	}
	if (strcmp(m, "PATCH") == 0) {
		update_admin(c, c->seg[1]);
	} else if (strcmp(m, "DELETE") == 0) {
		delete_admin(c, c->seg[1]);
	} else {
		e = prov_set_admin(c->snap, c->seg[1]);
		if (e == NULL)
			admin_fail(c, ERR_NOT_FOUND, "admin %s not found", c->seg[1]);
		else
			admin_reply_json(
			    c, 200,
			    linkedca_admin_p(e->id, e->subject, e->provisioner_id, e->type, 0),
			    false);
	}
}
