/* renew.c - POST /ssh/renew, /ssh/rekey and /ssh/revoke (ssh.md §5), and stride's GET /ssh/krl:
 * the OpenSSH key revocation list of the revoked SSH certificates, which sshd's RevokedKeys
 * reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/str.h"
#include "sshca/internal.h"
#include "store/store.h"

#define REASON_CODE_MAX 10 /* RFC 5280 §5.3.1: aACompromise */
#define SERIAL_MAX_LEN	64
#define KRL_PAGE	1000

int sshca_is_revoked(struct sshca *s, const char *serial, bool *revoked, struct error *err)
{
	struct store_record r = {0};
	int rc;

	*revoked = false;
	if (!authority_has_db(s->a)) /* nothing can be revoked without a database */
		return 0;
	rc = s->a->store->ops->record_get(s->a->store, SSHCA_COL_REVOKED, serial, revoked, &r, err);
	store_record_free(&r);
	return rc;
}

/* The SSHPOP part of renew and rekey: the token, then what step-ca checks of its certificate
 * (a host certificate, not revoked, with a validity period). */
static int authorize_pop(struct sshca_call *c, const char *ott, enum token_op op,
			 struct token_grant *g, struct error *err)
{
	struct token_options o = {.sshpop = &c->s->trust};
	char serial[24];
	bool revoked = false;

	if (token_authorize_ex(c->a, ott, op, &o, g, err) != 0)
		return -1;
	if (g->sshpop == NULL)
		return err_set(err, ERR_UNAUTHORIZED, "%s provisioner \"%s\" cannot authorize %s",
			       g->prov->type_name, g->prov->name,
			       op == OP_SSH_RENEW ? "ssh renewals" : "ssh rekeys");
	if (g->sshpop->type != SSH_CERT_HOST)
		return err_public(err, ERR_INVALID,
				  "sshpop certificate must be a host ssh certificate");
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)g->sshpop->serial);
	if (sshca_is_revoked(c->s, serial, &revoked, err) != 0)
		return -1;
	if (revoked)
		return err_set(err, ERR_UNAUTHORIZED, "certificate has been revoked");
	return 0;
}

/* The renewal's claims (the SSHPOP provisioner's, as step-ca): disableRenewal, not yet valid,
 * expired unless allowRenewalAfterExpiry. 401s. */
static int renew_claims(const struct token_grant *g, struct error *err)
{
	const struct ssh_cert *old = g->sshpop;
	uint64_t now = (uint64_t)(time_now_ns() / NS_PER_SEC);

	if (g->prov->claims.disable_renewal)
		return err_set(err, ERR_UNAUTHORIZED, "renew is disabled for provisioner '%s'",
			       g->prov->name);
	if (now < old->valid_after)
		return err_set(err, ERR_UNAUTHORIZED, "certificate is not yet valid");
	if (old->valid_before != UINT64_MAX && now >= old->valid_before &&
	    !g->prov->claims.allow_renewal_after_expiry)
		return err_set(err, ERR_UNAUTHORIZED, "certificate has expired");
	return 0;
}

/* The successor of old for key: the same type, key id, principals, options and extensions,
 * the same validity length from now - backdate. */
static int successor(const struct sshca_call *c, const struct ssh_cert *old,
		     const struct ssh_pubkey *key, const char *verb, struct ssh_cert *out,
		     struct error *err)
{
	uint64_t backdate = (uint64_t)(c->a->cfg->backdate_ns / NS_PER_SEC);
	uint64_t now = (uint64_t)(time_now_ns() / NS_PER_SEC);

	if (old->valid_after == 0 || old->valid_before == 0)
		return err_public(err, ERR_INVALID,
				  "cannot %s a certificate without validity period", verb);
	ssh_pubkey_copy(&out->key, key);
	out->type = old->type;
	out->key_id = xstrdup(old->key_id != NULL ? old->key_id : "");
	for (size_t i = 0; i < old->principals.n; i++)
		strv_push(&out->principals, old->principals.v[i]);
	for (size_t i = 0; i < old->n_critical; i++) {
		out->critical =
		    xrealloc(out->critical, (out->n_critical + 1) * sizeof(*out->critical));
		out->critical[out->n_critical].name = xstrdup(old->critical[i].name);
		out->critical[out->n_critical].data = xmalloc(old->critical[i].data_len + 1);
		memcpy(out->critical[out->n_critical].data, old->critical[i].data,
		       old->critical[i].data_len);
		out->critical[out->n_critical].data_len = old->critical[i].data_len;
		out->n_critical++;
	}
	for (size_t i = 0; i < old->n_extensions; i++) {
		out->extensions =
		    xrealloc(out->extensions, (out->n_extensions + 1) * sizeof(*out->extensions));
		out->extensions[out->n_extensions].name = xstrdup(old->extensions[i].name);
		out->extensions[out->n_extensions].data = xmalloc(old->extensions[i].data_len + 1);
		memcpy(out->extensions[out->n_extensions].data, old->extensions[i].data,
		       old->extensions[i].data_len);
		out->extensions[out->n_extensions].data_len = old->extensions[i].data_len;
		out->n_extensions++;
	}
	out->valid_after = now - backdate;
	out->valid_before = old->valid_before == UINT64_MAX
				? UINT64_MAX
				: now - backdate + (old->valid_before - old->valid_after);
	return 0;
}

/* Standard base64 of a certificate as a JSON string. */
static json_t *cert_json(const struct ssh_cert *cert)
{
	char *b = b64_encode(cert->blob, cert->blob_len);
	json_t *v = json_string(b);

	free(b);
	return v;
}

/* Renew (key NULL) or rekey (key: the new one) up to the writes. */
static int renew(struct sshca_call *c, const char *ott, const struct ssh_pubkey *key,
		 struct store_txn **t, struct error *err)
{
	enum token_op op = key == NULL ? OP_SSH_RENEW : OP_SSH_REKEY;
	struct token_grant g = {0};
	struct ssh_cert cert = {0};
	struct issued id = {0};
	int rc = -1;

	if (!sshca_has_keys(c->s)) {
		err_set(err, ERR_NOT_IMPLEMENTED, SSHCA_NOT_ENABLED);
		goto out;
	}
	if (authorize_pop(c, ott, op, &g, err) != 0)
		goto out;
	if (key == NULL && renew_claims(&g, err) != 0)
		goto out;
	if (successor(c, g.sshpop, key != NULL ? key : &g.sshpop->key,
		      key != NULL ? "rekey" : "renew", &cert, err) != 0)
		goto out;
	if (key == NULL) { /* step-ca validates nothing of a renewal beyond the above */
		EVP_PKEY *signer = sshca_signer(c->s, cert.type);

		if (signer == NULL) {
			err_set(err, ERR_NOT_IMPLEMENTED,
				"host certificate signing is not enabled");
			goto out;
		}
		if (sshca_random_serial(&cert.serial, err) != 0 ||
		    ssh_cert_sign(&cert, signer, err) != 0)
			goto out;
	} else if (sshca_sign_cert(c->s, &g.prov->claims, &cert, err) != 0) {
		goto out;
	}
	/* over mTLS the client's certificate is renewed too, with the new validity (step-ca) */
	if (c->req.peer != NULL) {
		if (renew_certificate_length(c->a, c->req.peer, NULL,
					     (int64_t)(cert.valid_before - cert.valid_after) *
						 NS_PER_SEC,
					     &id, t, err) != 0)
			goto out;
		c->identity = true;
	}
	sshca_txn_cert(c->s, t, &cert, g.prov->name);
	sshca_audit_cert(c, &cert, g.prov->name);
	c->status = 201;
	c->answer = json_pack("{s:o}", "crt", cert_json(&cert));
	if (id.der != NULL)
		json_object_set_new(c->answer, "identityCrt", sshca_chain_json(&id));
	rc = 0;
out:
	issued_free(&id);
	txn_add_token(t, g.token_id, ott);
	ssh_cert_clear(&cert);
	token_grant_free(&g);
	return rc;
}

/* The token of a renew or rekey body: "missing or empty ott" when absent. */
static int body_ott(const json_t *body, const char **ott, struct error *err)
{
	const json_t *v = json_object_get(body, "ott");

	*ott = json_is_string(v) ? json_string_value(v) : "";
	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
	if ((*ott)[0] == '\0')
		return err_public(err, ERR_INVALID, "missing or empty ott");
	return 0;
}

void sshca_renew(struct sshca_call *c)
{
	struct store_txn *t = NULL;
	struct error err = {0};
	json_t *body = NULL;
	const char *ott;

	if (sshca_body_json(c, &body, &err) != 0 || body_ott(body, &ott, &err) != 0 ||
	    renew(c, ott, NULL, &t, &err) != 0)
		sshca_fail(c, &err);
	json_decref(body);
	sshca_finish(c, t);
}

void sshca_rekey(struct sshca_call *c)
{
	struct store_txn *t = NULL;
	struct error err = {0};
	struct ssh_pubkey key = {0};
	json_t *body = NULL;
	const char *ott;

	if (sshca_body_json(c, &body, &err) != 0 || body_ott(body, &ott, &err) != 0)
		goto fail;
	if (json_string_length(json_object_get(body, "publicKey")) == 0) {
		err_public(&err, ERR_INVALID, "missing or empty public key");
		goto fail;
	}
	if (sshca_body_key(body, "publicKey", "error parsing publicKey", &key, &err) != 0 ||
	    renew(c, ott, &key, &t, &err) != 0)
		goto fail;
	goto out;
fail:
	sshca_fail(c, &err);
out:
	ssh_pubkey_clear(&key);
	json_decref(body);
	sshca_finish(c, t);
}

/* --- POST /ssh/revoke ------------------------------------------------------------------------ */

/* step-ca's SSHRevokeRequest, validated as its handler does. */
struct revoke_body {
	const char *serial, *ott, *reason;
	long long reason_code;
	bool passive;
};

static int parse_revoke(const json_t *body, struct revoke_body *b, struct error *err)
{
	const json_t *code = json_object_get(body, "reasonCode");
	const json_t *passive = json_object_get(body, "passive");
	const json_t *v;
	const char *names[3] = {"serial", "ott", "reason"};
	const char **slots[3] = {&b->serial, &b->ott, &b->reason};

	for (int i = 0; i < 3; i++) {
		v = json_object_get(body, names[i]);
		if (v != NULL && !json_is_null(v) && !json_is_string(v))
			return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
		*slots[i] = json_is_string(v) ? json_string_value(v) : "";
	}
	if ((code != NULL && !json_is_null(code) && !json_is_integer(code)) ||
	    (passive != NULL && !json_is_null(passive) && !json_is_boolean(passive)))
		return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
	b->reason_code = json_is_integer(code) ? json_integer_value(code) : 0;
	b->passive = json_is_true(passive);
	if (b->serial[0] == '\0')
		return err_public(err, ERR_INVALID, "missing serial");
	if (b->reason_code < 0 || b->reason_code > REASON_CODE_MAX)
		return err_public(err, ERR_INVALID, "reasonCode out of bounds");
	if (!b->passive)
		return err_public(err, ERR_NOT_IMPLEMENTED,
				  "non-passive revocation not implemented");
	if (b->ott[0] == '\0')
		return err_public(err, ERR_INVALID, "missing ott");
	if (strlen(b->serial) > SERIAL_MAX_LEN)
		return err_public(err, ERR_INVALID, "serial is too long");
	return 0;
}

/* The type ("user", "host", or "" when unknown) of the stored certificate with serial. */
static char *stored_type(struct sshca *s, const char *serial)
{
	struct store_record r = {0};
	bool found = false;
	char *type = xstrdup("");

	if (s->a->store->ops->record_get(s->a->store, SSHCA_COL_CERTS, serial, &found, &r, NULL) ==
		0 &&
	    found) {
		json_t *doc = json_loadb((const char *)r.value, r.value_len, 0, NULL);
		const char *t = json_string_value(json_object_get(doc, "type"));

		if (t != NULL) {
			free(type);
			type = xstrdup(t);
		}
		json_decref(doc);
	}
	store_record_free(&r);
	return type;
}

/* The revocation up to its writes. */
static int revoke(struct sshca_call *c, const struct revoke_body *b, struct store_txn **t,
		  struct error *err)
{
	struct token_options o = {.sshpop = &c->s->trust};
	struct token_grant g = {0};
	char cert_serial[24], *type = NULL, *text = NULL;
	bool revoked = false;
	json_t *doc = NULL;
	int rc = -1;

	if (token_authorize_ex(c->a, b->ott, OP_SSH_REVOKE, &o, &g, err) != 0)
		goto out;
	if (g.sshpop != NULL) {
		snprintf(cert_serial, sizeof(cert_serial), "%llu",
			 (unsigned long long)g.sshpop->serial);
		if (strcmp(g.subject, cert_serial) != 0) {
			err_public(err, ERR_INVALID,
				   "sshpop token subject must be equivalent to sshpop certificate "
				   "serial number");
			goto out;
		}
		if (sshca_is_revoked(c->s, cert_serial, &revoked, err) != 0)
			goto out;
		if (revoked) {
			err_set(err, ERR_UNAUTHORIZED, "certificate has been revoked");
			goto out;
		}
	}
	if (strcmp(g.subject, b->serial) != 0) {
		err_public(err, ERR_FORBIDDEN,
			   "request serial number \"%s\" and token subject \"%s\" do not match",
			   b->serial, g.subject);
		goto out;
	}
	if (sshca_is_revoked(c->s, b->serial, &revoked, err) != 0)
		goto out;
	snprintf(c->conflict, sizeof(c->conflict),
		 "certificate with serial number '%s' is already revoked", b->serial);
	if (revoked) {
		err_public(err, ERR_CONFLICT, "%s", c->conflict);
		goto out;
	}
	type = stored_type(c->s, b->serial);
	doc = json_pack("{s:s, s:I, s:s, s:I, s:s}", "type", type, "reasonCode",
			(json_int_t)b->reason_code, "reason", b->reason, "revokedAt",
			(json_int_t)(time_now_ns() / NS_PER_SEC), "provisioner", g.prov->name);
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	{
		struct store_record rec = {.collection = SSHCA_COL_REVOKED,
					   .id = b->serial,
					   .value = (const uint8_t *)text,
					   .value_len = strlen(text)};
		if (*t == NULL)
			*t = store_txn_new();
		store_txn_record(*t, STORE_REC_INSERT, &rec);
	}
	c->revoked = true;
	audit_item_free(&c->resp.audit);
	c->resp.audit.serial = xstrdup(b->serial);
	c->resp.audit.provisioner = xstrdup(g.prov->name);
	c->status = 200;
	c->answer = json_pack("{s:s}", "status", "ok");
	rc = 0;
out:
	txn_add_token(t, g.token_id, b->ott);
	free(text);
	json_decref(doc);
	free(type);
	token_grant_free(&g);
	return rc;
}

void sshca_revoke(struct sshca_call *c)
{
	struct revoke_body b = {0};
	struct store_txn *t = NULL;
	struct error err = {0};
	json_t *body = NULL;

	if (sshca_body_json(c, &body, &err) != 0 || parse_revoke(body, &b, &err) != 0 ||
	    revoke(c, &b, &t, &err) != 0)
		sshca_fail(c, &err);
	json_decref(body);
	sshca_finish(c, t);
}

/* --- GET /ssh/krl ------------------------------------------------------------------------------
 */

/* A decimal uint64 serial, or false. */
static bool parse_serial(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* Appends v to *list (n of them, cap *cap). */
static void push_serial(uint64_t **list, size_t *n, size_t *cap, uint64_t v)
{
	if (*n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		*list = xrealloc(*list, *cap * sizeof(**list));
	}
	(*list)[(*n)++] = v;
}

/* Builds the KRL of every revoked serial: user certificates under the user CA key, host ones
 * under the host CA key, those of unknown type under both. */
static int krl_build(struct sshca *s, uint64_t version, uint8_t **out, size_t *len,
		     struct error *err)
{
	uint64_t *user = NULL, *host = NULL;
	size_t nu = 0, nh = 0, cu = 0, ch = 0, n = 0;
	char *after = NULL;
	struct ssh_krl_ca cas[2];
	size_t ncas = 0;
	int rc = -1;

	while (authority_has_db(s->a)) { /* without a database nothing is revoked */
		struct store_record *page = NULL;

		if (s->a->store->ops->record_list(s->a->store, SSHCA_COL_REVOKED, NULL, after,
						  KRL_PAGE, &page, &n, err) != 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			json_t *doc =
			    json_loadb((const char *)page[i].value, page[i].value_len, 0, NULL);
			const char *type = json_string_value(json_object_get(doc, "type"));
			uint64_t serial;

			if (parse_serial(page[i].id, &serial)) {
				if (type == NULL || strcmp(type, "host") != 0)
					push_serial(&user, &nu, &cu, serial);
				if (type == NULL || strcmp(type, "user") != 0)
					push_serial(&host, &nh, &ch, serial);
			}
			json_decref(doc);
		}
		free(after);
		after = n > 0 ? xstrdup(page[n - 1].id) : NULL;
		store_records_free(page, n);
		if (n < KRL_PAGE)
			break;
	}
	if (s->user_key != NULL && nu > 0)
		cas[ncas++] =
		    (struct ssh_krl_ca){.ca = &s->user_roots[0], .serials = user, .n = nu};
	if (s->host_key != NULL && nh > 0)
		cas[ncas++] =
		    (struct ssh_krl_ca){.ca = &s->host_roots[0], .serials = host, .n = nh};
	rc = ssh_krl_build(cas, ncas, version, (uint64_t)(time_now_ns() / NS_PER_SEC), NULL, out,
			   len, err);
out:
	free(after);
	free(user);
	free(host);
	return rc;
}

int sshca_krl_get(struct sshca *s, uint8_t **out, size_t *len, struct error *err)
{
	int64_t now = time_now_ns();
	int rc = 0;

	*out = NULL;
	*len = 0;
	pthread_mutex_lock(&s->krl_lock);
	if (s->krl_built_ns == 0 || now - s->krl_built_ns > SSHCA_KRL_MAX_AGE_NS) {
		uint8_t *krl = NULL;
		size_t n = 0;

		rc = krl_build(s, s->krl_version + 1, &krl, &n, err);
		if (rc == 0) {
			free(s->krl);
			s->krl = krl;
			s->krl_len = n;
			s->krl_version++;
			s->krl_built_ns = now;
		}
	}
	if (rc == 0) {
		*out = xmalloc(s->krl_len + 1);
		memcpy(*out, s->krl, s->krl_len);
		*len = s->krl_len;
	}
	pthread_mutex_unlock(&s->krl_lock);
	return rc;
}

void sshca_krl(struct sshca_call *c)
{
	struct error err = {0};
	uint8_t *krl = NULL;
	size_t n = 0;

	if (sshca_krl_get(c->s, &krl, &n, &err) != 0) {
		sshca_reply_error(c, &err);
		return;
	}
	sshca_reply_raw(c, 200, "application/octet-stream", krl, n);
	free(krl);
}
