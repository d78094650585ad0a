/* info.c - the SSH endpoints that only read: GET /ssh/roots and /ssh/federation, POST
 * /ssh/check-host, GET /ssh/hosts and POST /ssh/bastion (ssh.md §6, http-api.md §4.3). */
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/str.h"
#include "sshca/internal.h"
#include "store/store.h"

#define HOSTS_PAGE 1000

/* A list of base64 wire keys (no type prefix). */
static json_t *key_list(const struct ssh_pubkey *v, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		char *b = b64_encode(v[i].blob, v[i].blob_len);

		json_array_append_new(list, json_string(b));
		free(b);
	}
	return list;
}

/* {"userKey":[...],"hostKey":[...]}, members omitted when empty; 404 when both are. */
static void reply_keys(struct sshca_call *c, const struct ssh_pubkey *user, size_t nu,
		       const struct ssh_pubkey *host, size_t nh)
{
	json_t *doc = json_object();
	struct error err = {0};

	if (nu == 0 && nh == 0) {
		json_decref(doc);
		err_set(&err, ERR_NOT_FOUND, "no keys found");
		sshca_reply_error(c, &err);
		return;
	}
	if (nu > 0)
		json_object_set_new(doc, "userKey", key_list(user, nu));
	if (nh > 0)
		json_object_set_new(doc, "hostKey", key_list(host, nh));
	sshca_reply_json(c, 200, doc);
}

void sshca_roots(struct sshca_call *c)
{
	const struct sshca *s = c->s;

	reply_keys(c, s->user_roots, s->n_user_roots, s->host_roots, s->n_host_roots);
}

void sshca_federation(struct sshca_call *c)
{
	const struct sshca *s = c->s;

	reply_keys(c, s->user_fed, s->n_user_fed, s->host_fed, s->n_host_fed);
}

/* A string member as Go decodes it: "" when absent or null, 400 for another type. */
static int body_string(const json_t *body, const char *name, const char **out, struct error *err)
{
	const json_t *v = json_object_get(body, name);

	*out = json_is_string(v) ? json_string_value(v) : "";
	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
	return 0;
}

void sshca_check_host(struct sshca_call *c)
{
	struct error err = {0};
	struct store_record r = {0};
	const char *type, *principal, *token;
	json_t *body = NULL;
	bool found = false;
	char *key = NULL;

	if (sshca_body_json(c, &body, &err) != 0 || body_string(body, "type", &type, &err) != 0 ||
	    body_string(body, "principal", &principal, &err) != 0 ||
	    body_string(body, "token", &token, &err) != 0)
		goto fail;
	if (strcmp(type, "host") != 0) {
		err_public(&err, ERR_INVALID, "unsupported type '%s'", type);
		goto fail;
	}
	if (principal[0] == '\0') {
		err_public(&err, ERR_INVALID, "missing or empty principal");
		goto fail;
	}
	if (!authority_has_db(c->a)) { /* step-ca without a database */
		err_set(&err, ERR_NOT_IMPLEMENTED, "isSSHHost is not implemented");
		goto fail;
	}
	key = str_lower(xstrdup(principal));
	if (strlen(key) <= STORE_RECORD_ID_MAX &&
	    c->a->store->ops->record_get(c->a->store, SSHCA_COL_HOSTS, key, &found, &r, &err) != 0)
		goto fail;
	store_record_free(&r);
	sshca_reply_json(c, 200, json_pack("{s:b}", "exists", found));
	goto out;
fail:
	sshca_reply_error(c, &err);
out:
	free(key);
	json_decref(body);
}

void sshca_hosts(struct sshca_call *c)
{
	struct store *st = c->a->store;
	int64_t now = time_now_ns() / NS_PER_SEC;
	json_t *hosts = json_array();
	struct error err = {0};
	char *after = NULL;
	size_t n = 0, total = 0;

	if (!authority_has_db(c->a)) { /* step-ca without a database: a 500 */
		err_set(&err, ERR_INTERNAL, "getSSHHostPrincipals is not implemented");
		goto fail;
	}
	do {
		struct store_record *page = NULL;

		if (st->ops->record_list(st, SSHCA_COL_HOSTS, NULL, after, HOSTS_PAGE, &page, &n,
					 &err) != 0)
			goto fail;
		for (size_t i = 0; i < n && total < SSHCA_HOSTS_MAX; i++) {
			json_t *doc =
			    json_loadb((const char *)page[i].value, page[i].value_len, 0, NULL);
			json_int_t vb = json_integer_value(json_object_get(doc, "validBefore"));

			if (vb > now) {
				json_array_append_new(hosts, json_pack("{s:s, s:n, s:s}", "hid", "",
								       "host_tags", "hostname",
								       page[i].id));
				total++;
			}
			json_decref(doc);
		}
		free(after);
		after = n > 0 ? xstrdup(page[n - 1].id) : NULL;
		store_records_free(page, n);
	} while (n == HOSTS_PAGE && total < SSHCA_HOSTS_MAX);
	free(after);
	sshca_reply_json(c, 200, json_pack("{s:o}", "hosts", hosts));
	return;
fail:
	free(after);
	json_decref(hosts);
	sshca_reply_error(c, &err);
}

/* ssh.bastion in Go's form: hostname, then user, port, cmd, flags when not empty. */
static json_t *bastion_json(const json_t *b)
{
	static const char *const names[] = {"hostname", "user", "port", "cmd", "flags"};
	json_t *out = json_object();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = json_string_value(json_object_get(b, names[i]));

		if (i == 0 || (v != NULL && v[0] != '\0'))
			json_object_set_new(out, names[i], json_string(v != NULL ? v : ""));
	}
	return out;
}

void sshca_bastion(struct sshca_call *c)
{
	struct error err = {0};
	const char *user, *hostname, *bh;
	json_t *body = NULL, *doc;

	if (sshca_body_json(c, &body, &err) != 0 || body_string(body, "user", &user, &err) != 0 ||
	    body_string(body, "hostname", &hostname, &err) != 0) {
		sshca_reply_error(c, &err);
		json_decref(body);
		return;
	}
	if (hostname[0] == '\0') {
		err_public(&err, ERR_INVALID, "missing or empty hostname");
		sshca_reply_error(c, &err);
		json_decref(body);
		return;
	}
	if (!c->s->configured) {
		err_set(&err, ERR_NOT_FOUND, "ssh is not configured");
		sshca_reply_error(c, &err);
		json_decref(body);
		return;
	}
	doc = json_pack("{s:s}", "hostname", hostname);
	bh = json_string_value(json_object_get(c->s->bastion, "hostname"));
	/* step-ca gives no bastion for the bastion itself */
	if (bh != NULL && bh[0] != '\0' && !str_eq_nocase(hostname, bh))
		json_object_set_new(doc, "bastion", bastion_json(c->s->bastion));
	json_decref(body);
	sshca_reply_json(c, 200, doc);
}
