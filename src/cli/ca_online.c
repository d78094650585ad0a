/* ca_online.c - the CA end over HTTPS (src/client/): /sign, /renew, /rekey, /revoke and the
 * provisioners of a running stride-ca or step-ca. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "base/b64.h"
#include "base/buf.h"
#include "base/duration.h"
#include "base/password.h"
#include "base/str.h"
#include "cli/template_data.h"
#include "cli/admin_cli.h"
#include "cli/admin_util.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "cli/token_flow.h"
#include "client/ca_client.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

#define CHAIN_MAX (1024u * 1024u)

struct online {
	struct ca_client *client;
	struct admin_session *admin; /* opened by the first admin API call */
};

static struct ca_client *client_of(const struct ca_backend *be)
{
	return ((const struct online *)be->state)->client;
}

int cli_response_chain(const json_t *resp, char **out, struct error *err)
{
	const json_t *chain = json_object_get(resp, "certChain");
	struct buf b;
	size_t i;
	json_t *v;
	bool owned = false;
	int rc = -1;

	buf_init(&b, CHAIN_MAX);
	if (!json_is_array(chain) || json_array_size(chain) == 0) {
		/* "crt" then "ca" (either may be missing or null) */
		static const char *const keys[] = {"crt", "ca"};
		chain = json_array();
		owned = true;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (json_is_string(json_object_get(resp, keys[k])))
				json_array_append((json_t *)chain, json_object_get(resp, keys[k]));
	}
	json_array_foreach(chain, i, v)
	{
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		if (buf_append_str(&b, s, err) != 0)
			goto out;
		if (s[0] != '\0' && s[strlen(s) - 1] != '\n' && buf_append_str(&b, "\n", err) != 0)
			goto out;
	}
	if (b.len == 0 || strstr((const char *)b.data, "BEGIN CERTIFICATE") == NULL) {
		err_set(err, ERR_INVALID, "the CA's answer has no certificate");
		goto out;
	}
	*out = buf_steal(&b);
	rc = 0;
out:
	if (owned)
		json_decref((json_t *)chain);
	buf_free(&b);
	return rc;
}

int ca_root_file_sha(const char *path, char out[65], struct error *err)
{
	X509 *root = NULL;
	int rc;

	if (cert_load_file(path, &root, err) != 0)
		return -1;
	rc = cert_fingerprint(root, out, err);
	X509_free(root);
	return rc;
}

/* A client for the CA a token names: its audience host, its root pinned by "sha". */
static int client_from_token(const struct cli_ctx *ctx, const char *token, struct ca_client **out,
			     struct error *err)
{
	struct token_info ti = {0};
	struct ca_client *insecure = NULL;
	char *root = NULL;
	int rc = -1;

	if (token_flow_inspect(token, &ti, err) != 0)
		return -1;
	if (ti.sha == NULL || ti.audience == NULL || !str_has_prefix(ti.audience, "https://")) {
		cli_err_required(ctx, err, "ca-url");
		goto out;
	}
	{
		struct ca_client_config cfg = {.ca_url = ti.audience, .insecure = true};
		if (ca_client_new(&cfg, &insecure, err) != 0 ||
		    ca_client_root(insecure, ti.sha, &root, err) != 0)
			goto out;
	}
	{
		struct ca_client_config cfg = {.ca_url = ti.audience, .root_pem = root};
		rc = ca_client_new(&cfg, out, err);
	}
out:
	ca_client_free(insecure);
	free(root);
	token_info_free(&ti);
	return rc;
}

static int online_connect(struct ca_backend *be, const char *token, struct error *err)
{
	struct online *s = be->state;

	if (flag_str(be->ctx, "ca-url") != NULL || token == NULL || token[0] == '\0')
		return cli_client_new(be->ctx, &s->client, err);
	return client_from_token(be->ctx, token, &s->client, err);
}

static const char *online_url(const struct ca_backend *be)
{
	return ca_client_url(client_of(be));
}

static int online_token_source(struct ca_backend *be, struct ca_token_source *out,
			       struct error *err)
{
	char *root = NULL;
	int rc = -1;

	if (cli_root_file(be->ctx, &root, err) != 0 || ca_root_file_sha(root, out->sha, err) != 0 ||
	    ca_backend_connect(be, NULL, err) != 0 ||
	    ca_client_provisioners(client_of(be), &out->provisioners, err) != 0)
		goto out;
	out->audience_base = xstrdup(ca_client_url(client_of(be)));
	out->sign_path = "/1.0/sign";
	out->revoke_path = "/1.0/revoke";
	rc = 0;
out:
	free(root);
	return rc;
}

static int online_provisioner_key(struct ca_backend *be, const json_t *prov, char **jwe,
				  struct error *err)
{
	const char *kid = json_string_value(json_object_get(json_object_get(prov, "key"), "kid"));

	if (ca_backend_connect(be, NULL, err) != 0)
		return -1;
	return ca_client_provisioner_encrypted_key(client_of(be), kid != NULL ? kid : "", jwe, err);
}

static int online_sign(struct ca_backend *be, X509_REQ *csr, const char *token,
		       const char *not_before, const char *not_after, char **chain_pem,
		       struct error *err)
{
	json_t *resp = NULL, *data = NULL;
	char *csr_pem = NULL;
	int rc = -1;

	/* --set / --set-file: the request's templateData */
	if (cli_template_data(be->ctx, &data, err) != 0 || csr_to_pem(csr, &csr_pem, err) != 0 ||
	    ca_client_sign(client_of(be), csr_pem, token, not_before, not_after, data, &resp,
			   err) != 0 ||
	    cli_response_chain(resp, chain_pem, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(resp);
	json_decref(data);
	free(csr_pem);
	return rc;
}

/* Presents chain and key as the client's TLS identity (mutual TLS). */
static int set_identity(struct ca_client *c, STACK_OF(X509) * chain, EVP_PKEY *key,
			struct error *err)
{
	char *cert_pem = NULL, *key_pem = NULL;
	int rc = -1;

	if (cert_chain_to_pem(chain, &cert_pem, err) != 0 ||
	    key_private_to_pem(key, NULL, &key_pem, err) != 0 ||
	    ca_client_set_identity(c, cert_pem, key_pem, err) != 0)
		goto out;
	rc = 0;
out:
	free(cert_pem);
	password_free(key_pem);
	return rc;
}

/* POST /renew (token, or mTLS) or /rekey (mTLS, csr) and the chain of the answer. */
static int renew_call(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key,
		      const char *token, X509_REQ *csr, char **chain_pem, struct error *err)
{
	struct ca_client *c = client_of(be);
	char *csr_pem = NULL;
	json_t *body = NULL, *resp = NULL;
	struct ca_request req = {.method = "POST", .path = csr != NULL ? "/rekey" : "/renew"};
	int rc = -1;

	if (token != NULL) {
		req.bearer = token;
		req.no_identity = true;
	} else if (set_identity(c, chain, key, err) != 0) {
		goto out;
	}
	if (csr != NULL) {
		if (csr_to_pem(csr, &csr_pem, err) != 0)
			goto out;
		body = json_pack("{s:s}", "csr", csr_pem);
		req.body = body;
	}
	if (ca_client_do(c, &req, NULL, &resp, err) != 0 ||
	    cli_response_chain(resp, chain_pem, err) != 0)
		goto out;
	rc = 0;
out:
	if (token == NULL)
		ca_client_set_identity(c, NULL, NULL, NULL); /* drops the key copy */
	json_decref(resp);
	json_decref(body);
	free(csr_pem);
	return rc;
}

static int online_renew(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key,
			const char *token, char **chain_pem, struct error *err)
{
	return renew_call(be, chain, key, token, NULL, chain_pem, err);
}

static int online_rekey(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key, X509_REQ *csr,
			char **chain_pem, struct error *err)
{
	return renew_call(be, chain, key, NULL, csr, chain_pem, err);
}

static int online_revoke(struct ca_backend *be, const struct ca_revoke_request *r,
			 struct error *err)
{
	struct ca_client *c = client_of(be);
	json_t *body = NULL, *resp = NULL;
	int rc = -1;

	if (r->chain != NULL && set_identity(c, r->chain, r->key, err) != 0)
		goto out;
	body =
	    json_pack("{s:s, s:s, s:i, s:s, s:b}", "serial", r->serial, "ott", r->ott, "reasonCode",
		      r->reason_code, "reason", r->reason != NULL ? r->reason : "", "passive", 1);
	if (body == NULL) {
		err_set(err, ERR_INTERNAL, "error encoding the revoke request");
		goto out;
	}
	rc = ca_client_post_json(c, "/revoke", body, NULL, &resp, err);
out:
	if (r->chain != NULL)
		ca_client_set_identity(c, NULL, NULL, NULL);
	json_decref(resp);
	json_decref(body);
	return rc;
}

static void online_close(struct ca_backend *be)
{
	struct online *s = be->state;

	if (s != NULL) {
		ca_client_free(s->client);
		cli_admin_session_free(s->admin);
	}
	free(s);
}

/* --- ACME EAB keys over the admin API (acme.md §13, admin.md §3) ---------------------------- */

#define EAB_NOT_IMPLEMENTED                                                                        \
	"this functionality is currently only available in Certificate Manager: "                  \
	"https://u.step.sm/cm \xF0\x9F\x9A\x80 \xF0\x9F\xA4\xA9"

static int online_admin_open(struct ca_backend *be, struct error *err)
{
	struct online *s = be->state;

	if (s->admin != NULL)
		return 0;
	return cli_admin_session_new((struct cli_ctx *)be->ctx, &s->admin, err);
}

/* step's message for the 501 of open-source step-ca. */
static int eab_error(int status, struct error *err)
{
	if (status == 501 && err != NULL && err->status == 501)
		err_set(err, ERR_NOT_IMPLEMENTED, EAB_NOT_IMPLEMENTED);
	return -1;
}

/* A member by its protobuf-JSON (camelCase) or Go (snake_case) name. */
static const json_t *eab_member(const json_t *o, const char *camel, const char *snake)
{
	const json_t *v = json_object_get(o, camel);

	return v != NULL ? v : json_object_get(o, snake);
}

static char *eab_str(const json_t *o, const char *camel, const char *snake)
{
	const char *v = json_string_value(eab_member(o, camel, snake));

	return xstrdup(v != NULL ? v : "");
}

/* A timestamp: RFC 3339 text (protobuf JSON) or {"seconds","nanos"} (Go JSON); 0 when absent
 * or not after 1970. */
static int64_t eab_time(const json_t *v)
{
	int64_t ns = 0;

	if (json_is_string(v) && time_parse_rfc3339(json_string_value(v), &ns, NULL) != 0)
		ns = 0;
	if (json_is_object(v))
		ns = (int64_t)json_integer_value(json_object_get(v, "seconds")) * 1000000000 +
		     (int64_t)json_integer_value(json_object_get(v, "nanos"));
	return ns > 0 ? ns : 0;
}

/* An EABKey of the admin API; the HMAC key (standard base64) becomes unpadded base64url. */
static int eab_from_json(const json_t *j, struct acme_eab_key *out, struct error *err)
{
	const char *hmac = json_string_value(eab_member(j, "hmacKey", "hmac_key"));
	uint8_t *raw = NULL;
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	if (hmac != NULL && hmac[0] != '\0' &&
	    b64_decode(hmac, strlen(hmac), false, &raw, &len, err) != 0)
		return err_wrap(err, "error decoding the EAB key");
	out->hmac_key = raw != NULL ? b64url_encode(raw, len) : xstrdup("");
	if (raw != NULL) {
		secure_wipe(raw, len);
		free(raw);
	}
	out->id = eab_str(j, "id", "id");
	out->provisioner = eab_str(j, "provisioner", "provisioner");
	out->reference = eab_str(j, "reference", "reference");
	out->account = eab_str(j, "account", "account");
	out->created_at_ns = eab_time(eab_member(j, "createdAt", "created_at"));
	out->bound_at_ns = eab_time(eab_member(j, "boundAt", "bound_at"));
	return 0;
}

static int online_eab_add(struct ca_backend *be, const char *prov, const char *reference,
			  struct acme_eab_key *out, struct error *err)
{
	struct online *s = be->state;
	char *p = admin_path_escape(prov), *path = xasprintf("/admin/acme/eab/%s", p);
	json_t *body = json_pack("{s:s}", "reference", reference != NULL ? reference : "");
	json_t *resp = NULL;
	int status = 0, rc = -1;

	if (online_admin_open(be, err) != 0)
		goto out;
	if (cli_admin_call(s->admin, "POST", path, body, &status, &resp, err) != 0) {
		eab_error(status, err);
		goto out;
	}
	rc = eab_from_json(resp, out, err);
out:
	json_decref(resp);
	json_decref(body);
	free(path);
	free(p);
	return rc;
}

static int online_eab_list(struct ca_backend *be, const char *prov, const char *reference,
			   const char *cursor, size_t limit, struct acme_eab_key **out, size_t *n,
			   char **next_cursor, struct error *err)
{
	struct online *s = be->state;
	char *p = admin_path_escape(prov), *r = NULL, *c = NULL, *path;
	const char *next;
	json_t *resp = NULL, *k;
	size_t i, count = 0;
	int status = 0, rc = -1;

	if (reference != NULL && reference[0] != '\0') {
		char *e = admin_path_escape(reference);
		r = xasprintf("/%s", e);
		free(e);
	}
	if (cursor != NULL && cursor[0] != '\0') {
		char *e = admin_path_escape(cursor);
		c = xasprintf("cursor=%s&", e);
		free(e);
	}
	path = xasprintf("/admin/acme/eab/%s%s?%slimit=%zu", p, r != NULL ? r : "",
			 c != NULL ? c : "", limit);
	if (online_admin_open(be, err) != 0)
		goto out;
	if (cli_admin_call(s->admin, "GET", path, NULL, &status, &resp, err) != 0) {
		eab_error(status, err);
		goto out;
	}
	*out = xcalloc(json_array_size(json_object_get(resp, "eaks")) + 1, sizeof(**out));
	json_array_foreach(json_object_get(resp, "eaks"), i, k)
	{
		if (eab_from_json(k, &(*out)[count], err) != 0) {
			acme_eab_keys_free(*out, count + 1);
			*out = NULL;
			goto out;
		}
		count++;
	}
	*n = count;
	next = json_string_value(json_object_get(resp, "nextCursor"));
	*next_cursor = xstrdup(next != NULL ? next : "");
	rc = 0;
out:
	json_decref(resp);
	free(path);
	free(c);
	free(r);
	free(p);
	return rc;
}

static int online_eab_remove(struct ca_backend *be, const char *prov, const char *id,
			     struct error *err)
{
	struct online *s = be->state;
	char *p = admin_path_escape(prov), *k = admin_path_escape(id), *path;
	json_t *resp = NULL;
	int status = 0, rc = -1;

	path = xasprintf("/admin/acme/eab/%s/%s", p, k);
	if (online_admin_open(be, err) != 0)
		goto out;
	if (cli_admin_call(s->admin, "DELETE", path, NULL, &status, &resp, err) != 0) {
		eab_error(status, err);
		goto out;
	}
	rc = 0;
out:
	json_decref(resp);
	free(path);
	free(k);
	free(p);
	return rc;
}

static const struct ca_backend_ops online_ops = {
    .remote = true,
    .connect = online_connect,
    .url = online_url,
    .token_source = online_token_source,
    .provisioner_key = online_provisioner_key,
    .sign = online_sign,
    .renew = online_renew,
    .rekey = online_rekey,
    .revoke = online_revoke,
    .admin_open = online_admin_open,
    .eab_add = online_eab_add,
    .eab_list = online_eab_list,
    .eab_remove = online_eab_remove,
    .close = online_close,
};

struct ca_backend *ca_backend_online(const struct cli_ctx *ctx)
{
	struct ca_backend *be = xcalloc(1, sizeof(*be));

	be->ops = &online_ops;
	be->ctx = ctx;
	be->state = xcalloc(1, sizeof(struct online));
	return be;
}

struct ca_client *ca_backend_client(struct ca_backend *be)
{
	if (be == NULL || be->ops != &online_ops || !be->connected)
		return NULL;
	return client_of(be);
}
