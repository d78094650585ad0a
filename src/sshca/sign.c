/* sign.c - POST /ssh/sign (ssh.md §2, §4): the certificate step-ca makes from a JWK or X5C
 * token with the step.ssh claim, the add-user certificate and the identity certificate.
 *
 * The order of the checks is step-ca's: the body, the token, the request's options against the
 * token's, the certificate from the token's values, the validity (the request's, then the
 * token's, then the default with the backdate), the signer of its type, the policy, the
 * signature, then the validators (key, validity against the claims, the fields).
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "authority/admin_state.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "policy/policy.h"
#include "sshca/internal.h"
#include "store/store.h"

/* The SSHSignRequest of step-ca. */
struct sign_body {
	struct ssh_pubkey key;
	struct ssh_pubkey add_user_key; /* type 0 when absent */
	const char *ott;
	const char *cert_type;
	const char *key_id;
	struct strv principals;
	bool has_principals;	     /* the request's principals are not null */
	const json_t *template_data; /* borrowed from the body, NULL when absent */
	const char *valid_after, *valid_before;
	X509_REQ *identity_csr;
};

static void sign_body_free(struct sign_body *b)
{
	ssh_pubkey_clear(&b->key);
	ssh_pubkey_clear(&b->add_user_key);
	strv_free(&b->principals);
	X509_REQ_free(b->identity_csr);
}

int sshca_body_key(const json_t *body, const char *name, const char *what, struct ssh_pubkey *out,
		   struct error *err)
{
	const json_t *v = json_object_get(body, name);
	uint8_t *raw = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (json_string_length(v) > (size_t)SSH_MAX_BLOB * 4 / 3 + 4)
		return err_public(err, ERR_INVALID, "%s", what);
	if (b64_decode(json_string_value(v), json_string_length(v), false, &raw, &n, err) != 0)
		return err_public(err, ERR_INVALID, "%s", what);
	rc = ssh_pubkey_from_blob(raw, n, out, err);
	free(raw);
	if (rc != 0)
		return err_public(err, ERR_INVALID, "%s", what);
	return 0;
}

/* A string member as Go decodes it into a string: absent or null -> "", another type -> 400. */
static int body_string(const json_t *body, const char *name, const char **out, struct error *err)
{
	const json_t *v = json_object_get(body, name);

	*out = "";
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
	*out = json_string_value(v);
	return 0;
}

/* A time-or-duration member: "" unset; one that does not parse is Go's decoding error. */
static int body_time(const json_t *body, const char *name, const char **out, struct error *err)
{
	int64_t t;
	bool set;

	if (body_string(body, name, out, err) != 0)
		return -1;
	if (time_or_duration_parse(*out, 0, &t, &set, NULL) != 0)
		return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
	return 0;
}

/* Decodes and validates the body as step-ca's SSHSign handler does. */
static int parse_body(const json_t *body, struct sign_body *b, struct error *err)
{
	const json_t *principals = json_object_get(body, "principals");
	const json_t *csr = json_object_get(body, "identityCSR");
	const json_t *add = json_object_get(body, "addUserPublicKey");
	const char *key = NULL;
	size_t i;
	json_t *v;

	if (body_string(body, "publicKey", &key, err) != 0 ||
	    body_string(body, "ott", &b->ott, err) != 0 ||
	    body_string(body, "certType", &b->cert_type, err) != 0 ||
	    body_string(body, "keyID", &b->key_id, err) != 0 ||
	    body_time(body, "validAfter", &b->valid_after, err) != 0 ||
	    body_time(body, "validBefore", &b->valid_before, err) != 0)
		return -1;
	if (principals != NULL && !json_is_null(principals)) {
		if (!json_is_array(principals) || json_array_size(principals) > SSH_MAX_PRINCIPALS)
			return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
		b->has_principals = true;
		json_array_foreach(principals, i, v)
		{
			if (!json_is_string(v))
				return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
			strv_push(&b->principals, json_string_value(v));
		}
	}
	/* a json.RawMessage: any value, kept as sent */
	b->template_data = json_object_get(body, "templateData");
	if (csr != NULL && !json_is_null(csr)) {
		if (!json_is_string(csr) ||
		    csr_parse((const uint8_t *)json_string_value(csr), json_string_length(csr),
			      &b->identity_csr, NULL) != 0)
			return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
	}
	/* SSHSignRequest.Validate */
	if (b->cert_type[0] != '\0' && strcmp(b->cert_type, "user") != 0 &&
	    strcmp(b->cert_type, "host") != 0)
		return err_public(err, ERR_INVALID, "invalid certType '%s'", b->cert_type);
	if (key[0] == '\0')
		return err_public(err, ERR_INVALID, "missing or empty publicKey");
	if (b->ott[0] == '\0')
		return err_public(err, ERR_INVALID, "missing or empty ott");
	if (b->identity_csr != NULL && csr_verify(b->identity_csr, NULL) != 0)
		return err_public(err, ERR_INVALID, "invalid identityCSR");
	if (sshca_body_key(body, "publicKey", "error parsing publicKey", &b->key, err) != 0)
		return -1;
	if (add != NULL && !json_is_null(add) &&
	    sshca_body_key(body, "addUserPublicKey", "error parsing addUserPublicKey",
			   &b->add_user_key, err) != 0)
		return -1;
	return 0;
}

/* A time-or-duration relative to now, as Unix seconds (0 when unset or before 1970). */
static uint64_t rel_time(const char *s, int64_t now_ns)
{
	int64_t t = 0;
	bool set = false;

	if (s == NULL || time_or_duration_parse(s, now_ns, &t, &set, NULL) != 0 || !set || t < 0)
		return 0;
	return (uint64_t)(t / NS_PER_SEC);
}

/* Go's %v of step-ca's TimeDuration as the request or the token gave it: a duration is
 * {{0 0 <nil>} <ns>}, a time {{<ns of second> <seconds since year 1> <nil>} 0} (exact for UTC
 * times, whose location Go leaves nil). malloc'd. */
static char *go_time_duration(const char *s)
{
	int64_t v;

	if (duration_parse(s, &v, NULL) == 0)
		return xasprintf("{{0 0 <nil>} %lld}", (long long)v);
	if (time_parse_rfc3339(s, &v, NULL) == 0)
		return xasprintf(
		    "{{%lld %lld <nil>} 0}",
		    (long long)(((v % NS_PER_SEC) + NS_PER_SEC) % NS_PER_SEC),
		    (long long)((v - (((v % NS_PER_SEC) + NS_PER_SEC) % NS_PER_SEC)) / NS_PER_SEC +
				INT64_C(62135596800)));
	return xstrdup(s);
}

/* step-ca's 403 for a validity the request and the token both set, differently. */
static int validity_mismatch(const char *what, const char *got, const char *want, struct error *err)
{
	char *g = go_time_duration(got), *w = go_time_duration(want);

	err_public(err, ERR_FORBIDDEN, "ssh certificate %s does not match - got %s, want %s", what,
		   g, w);
	free(g);
	free(w);
	return -1;
}

/* Go's %v of a []string. */
static char *list_text(const struct strv *v)
{
	return go_list(v);
}

/* Whether every one of sub is in group, ignoring case (step-ca's containsAllMembers). */
static bool contains_all(const struct strv *group, const struct strv *sub)
{
	if (sub->n > group->n)
		return false;
	for (size_t i = 0; i < sub->n; i++) {
		bool found = false;
		for (size_t j = 0; j < group->n && !found; j++)
			found = str_eq_nocase(sub->v[i], group->v[j]);
		if (!found)
			return false;
	}
	return true;
}

/* The request's options against the token's (step-ca's sshCertOptionsValidator): 403. */
static int match_options(const struct token_ssh *want, const struct sign_body *got, int64_t now,
			 struct error *err)
{
	char *g, *w;

	for (size_t i = 0; i < got->principals.n; i++)
		if (got->principals.v[i][0] == '\0')
			return err_public(err, ERR_INVALID,
					  "principals cannot contain empty values");
	if (want->cert_type[0] != '\0' && got->cert_type[0] != '\0' &&
	    strcmp(want->cert_type, got->cert_type) != 0)
		return err_public(err, ERR_FORBIDDEN,
				  "ssh certificate type does not match - got %s, want %s",
				  got->cert_type, want->cert_type);
	if (want->principals.n > 0 && got->principals.n > 0 &&
	    !contains_all(&want->principals, &got->principals)) {
		g = list_text(&got->principals);
		w = list_text(&want->principals);
		err_public(err, ERR_FORBIDDEN,
			   "ssh certificate principals does not match - got %s, want %s", g, w);
		free(g);
		free(w);
		return -1;
	}
	if (want->valid_after[0] != '\0' && got->valid_after[0] != '\0' &&
	    rel_time(want->valid_after, now) != rel_time(got->valid_after, now))
		return validity_mismatch("validAfter", got->valid_after, want->valid_after, err);
	if (want->valid_before[0] != '\0' && got->valid_before[0] != '\0' &&
	    rel_time(want->valid_before, now) != rel_time(got->valid_before, now))
		return validity_mismatch("validBefore", got->valid_before, want->valid_before, err);
	return 0;
}

/* The certificate's validity: the template's values replaced by the request's, then the
 * token's, then the default duration of the type with the backdate (for X5C capped at the token
 * certificate's end). */
static int set_validity(const struct authority *a, const struct token_grant *g,
			const struct sign_body *b, int64_t now_ns, struct ssh_cert *c,
			struct error *err)
{
	const struct claims *cl = &g->prov->claims;
	int64_t def = c->type == SSH_CERT_USER ? cl->default_user_ssh_ns : cl->default_host_ssh_ns;
	uint64_t now = (uint64_t)(now_ns / NS_PER_SEC), backdate = 0, va = c->valid_after,
		 vb = c->valid_before;
	char s1[64], s2[64];

	if (b->valid_after[0] != '\0')
		va = rel_time(b->valid_after, now_ns);
	if (b->valid_before[0] != '\0')
		vb = rel_time(b->valid_before, now_ns);
	if (va > 0 && vb > 0 && va > vb)
		return err_public(err, ERR_INVALID,
				  "ssh certificate validAfter cannot be greater than validBefore");
	if (g->ssh.valid_after[0] != '\0')
		va = rel_time(g->ssh.valid_after, now_ns);
	if (g->ssh.valid_before[0] != '\0')
		vb = rel_time(g->ssh.valid_before, now_ns);
	/* step-ca's default duration needs the type a template may have left out */
	if (c->type != SSH_CERT_USER && c->type != SSH_CERT_HOST)
		return err_public(err, ERR_FORBIDDEN, "error creating ssh certificate");
	if (va == 0) {
		backdate = (uint64_t)(a->cfg->backdate_ns / NS_PER_SEC);
		va = now;
	}
	if (g->x5c_not_after != 0) {
		uint64_t na = (uint64_t)(g->x5c_not_after / NS_PER_SEC);
		if (va > na)
			return err_public(err, ERR_FORBIDDEN,
					  "provisioning credential expiration (%s) is before "
					  "requested certificate validAfter (%s)",
					  go_time(g->x5c_not_after, s1, sizeof(s1)),
					  go_time((int64_t)va * NS_PER_SEC, s2, sizeof(s2)));
		if (vb == 0)
			vb = va + (uint64_t)(def / NS_PER_SEC) < na
				 ? va + (uint64_t)(def / NS_PER_SEC)
				 : na;
		else if (na < vb)
			return err_public(err, ERR_FORBIDDEN,
					  "provisioning credential expiration (%s) is before "
					  "requested certificate validBefore (%s)",
					  go_time(g->x5c_not_after, s1, sizeof(s1)),
					  go_time((int64_t)vb * NS_PER_SEC, s2, sizeof(s2)));
	}
	if (vb == 0)
		vb = va + (uint64_t)(def / NS_PER_SEC);
	if (va > backdate)
		va -= backdate;
	c->valid_after = va;
	c->valid_before = vb;
	return 0;
}

int sshca_check_cert(const struct authority *a, const struct claims *cl, const struct ssh_cert *c,
		     struct error *err)
{
	uint64_t now = (uint64_t)(time_now_ns() / NS_PER_SEC);
	bool user = c->type == SSH_CERT_USER;
	int64_t min = user ? cl->min_user_ssh_ns : cl->min_host_ssh_ns;
	int64_t max = (user ? cl->max_user_ssh_ns : cl->max_host_ssh_ns) + a->cfg->backdate_ns;
	int64_t d;
	char s1[64], s2[64];

	if (ssh_pubkey_check_allowed(&c->key, err) != 0)
		return -1;
	if (c->valid_after == 0)
		return err_public(err, ERR_INVALID, "ssh certificate validAfter cannot be 0");
	if (c->valid_before < now)
		return err_public(err, ERR_INVALID,
				  "ssh certificate validBefore cannot be in the past");
	if (c->valid_before < c->valid_after)
		return err_public(err, ERR_INVALID,
				  "ssh certificate validBefore cannot be before validAfter");
	d = c->valid_before - c->valid_after > (uint64_t)(INT64_MAX / NS_PER_SEC)
		? INT64_MAX
		: (int64_t)(c->valid_before - c->valid_after) * NS_PER_SEC;
	if (d < min)
		return err_public(err, ERR_FORBIDDEN,
				  "requested duration of %s is less than minimum accepted duration "
				  "for selected provisioner of %s",
				  duration_format(d, s1, sizeof(s1)),
				  duration_format(min, s2, sizeof(s2)));
	if (d > max)
		return err_public(err, ERR_FORBIDDEN,
				  "requested duration of %s is greater than maximum accepted "
				  "duration for selected provisioner of %s",
				  duration_format(d, s1, sizeof(s1)),
				  duration_format(max, s2, sizeof(s2)));
	if (c->key_id == NULL || c->key_id[0] == '\0')
		return err_public(err, ERR_FORBIDDEN, "ssh certificate key id cannot be empty");
	return 0;
}

int sshca_sign_cert(const struct sshca *s, const struct claims *cl, struct ssh_cert *c,
		    struct error *err)
{
	EVP_PKEY *signer = sshca_signer(s, c->type);

	if (signer == NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED, "%s certificate signing is not enabled",
			       c->type == SSH_CERT_USER ? "user" : "host");
	/* step-ca keeps a serial a template set */
	if (c->serial == 0 && sshca_random_serial(&c->serial, err) != 0)
		return -1;
	if (ssh_cert_sign(c, signer, err) != 0)
		return err_wrap(err, "error signing certificate");
	return sshca_check_cert(s->a, cl, c, err);
}

void sshca_audit_cert(struct sshca_call *c, const struct ssh_cert *cert, const char *prov_name)
{
	audit_item_free(&c->resp.audit);
	c->resp.audit.serial = xasprintf("%llu", (unsigned long long)cert->serial);
	c->resp.audit.subject = xstrdup(cert->key_id != NULL ? cert->key_id : "");
	c->resp.audit.provisioner = xstrdup(prov_name != NULL ? prov_name : "");
	for (size_t i = 0; i < cert->principals.n; i++)
		strv_push(&c->resp.audit.sans, cert->principals.v[i]);
}

void sshca_txn_cert(const struct sshca *s, struct store_txn **t, const struct ssh_cert *c,
		    const char *prov_name)
{
	char id[24];
	char *b64 = b64_encode(c->blob, c->blob_len), *text;
	json_t *principals = json_array();
	json_t *doc;
	struct store_record rec = {.collection = SSHCA_COL_CERTS, .id = id};

	if (!authority_has_db(s->a)) { /* step-ca without a database keeps no records */
		free(b64);
		json_decref(principals);
		return;
	}
	if (*t == NULL)
		*t = store_txn_new();
	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->serial);
	for (size_t i = 0; i < c->principals.n; i++)
		json_array_append_new(principals, json_string(c->principals.v[i]));
	doc = json_pack("{s:s, s:s, s:O, s:I, s:s, s:s}", "type",
			c->type == SSH_CERT_USER ? "user" : "host", "keyId", c->key_id,
			"principals", principals, "validBefore", (json_int_t)c->valid_before,
			"provisioner", prov_name != NULL ? prov_name : "", "crt", b64);
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rec.value = (const uint8_t *)text;
	rec.value_len = strlen(text);
	store_txn_record(*t, STORE_REC_INSERT, &rec);
	free(text);
	json_decref(doc);
	for (size_t i = 0; c->type == SSH_CERT_HOST && i < c->principals.n; i++) {
		char *host = str_lower(xstrdup(c->principals.v[i]));
		json_t *h = json_pack("{s:s, s:I}", "serial", id, "validBefore",
				      (json_int_t)c->valid_before);
		char *ht = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
		struct store_record hr = {.collection = SSHCA_COL_HOSTS,
					  .id = host,
					  .value = (const uint8_t *)ht,
					  .value_len = strlen(ht)};

		if (strlen(host) <= STORE_RECORD_ID_MAX && host[0] != '\0')
			store_txn_record(*t, STORE_REC_PUT, &hr);
		free(ht);
		json_decref(h);
		free(host);
	}
	json_decref(principals);
	free(b64);
}

/* The request's certType, keyID and principals a provisioner needs (step-ca's
 * sshCertOptionsRequireValidator): 400. */
static int require_request(const struct sign_body *b, struct error *err)
{
	if (b->cert_type[0] == '\0')
		return err_public(err, ERR_INVALID, "ssh certificate certType cannot be empty");
	if (b->key_id[0] == '\0')
		return err_public(err, ERR_INVALID, "ssh certificate keyID cannot be empty");
	if (b->principals.n == 0)
		return err_public(err, ERR_INVALID, "ssh certificate principals cannot be empty");
	return 0;
}

/* The certificate's fields before its validity, from the provisioner's template or step-ca's
 * default one for the provisioner (ssh.md §3), with the request's options checked first. */
static int cert_fields(const struct token_grant *g, const struct sign_body *b, int64_t now,
		       struct ssh_cert *c, struct error *err)
{
	const struct ssh_prov_template *pt = g->prov->ssh_template;
	const char *email = json_string_value(json_object_get(g->claims, "email"));
	struct sshca_tpl_input in = {
	    .kind = SSHCA_TPL_DEFAULT,
	    .type = SSH_CERT_USER,
	    .key_id = g->subject,
	    .token = g->claims,
	    .key = &b->key,
	    .cr_type = b->cert_type,
	    .cr_key_id = b->key_id,
	    .cr_principals = b->has_principals ? &b->principals : NULL,
	    .user_data = b->template_data,
	};
	struct token_ssh user_only = {
	    .cert_type = "user", .key_id = "", .valid_after = "", .valid_before = ""};
	struct strv principals = {0};
	int rc = -1;

	switch (g->prov->type) {
	case PROV_K8SSA: { /* any certificate the request describes */
		const char *sa = json_string_value(json_object_get(
		    g->claims, "kubernetes.io/serviceaccount/service-account.name"));

		/* the variables hold the service account's name */
		in.kind = SSHCA_TPL_CR;
		in.type = SSH_CERT_HOST;
		in.key_id = sa != NULL ? sa : g->subject;
		strv_push(&principals, in.key_id);
		if (require_request(b, err) != 0)
			goto out;
		break;
	}
	case PROV_OIDC:
		/* admins get what they ask for unless the provisioner has its own template;
		 * others user certificates for their identity */
		/* oidc.c put step-ca's identity in the grant: the e-mail as key ID, its
		 * usernames as principals */
		in.key_id = g->ssh.key_id;
		for (size_t i = 0; i < g->ssh.principals.n; i++)
			strv_push(&principals, g->ssh.principals.v[i]);
		if (g->leaf_tpl == LEAF_TPL_ADMIN) {
			if (pt == NULL || pt->tpl == NULL)
				in.kind = SSHCA_TPL_ADMIN;
			if (require_request(b, err) != 0)
				goto out;
		} else if (match_options(&user_only, b, now, err) != 0) {
			goto out;
		}
		if (email == NULL || email[0] == '\0') { /* step-ca: no principals then */
			in.principals = NULL;
			rc = sshca_cert_from_template(pt, &in, c, err);
			goto out;
		}
		break;
	default: /* JWK, X5C: the token's step.ssh values */
		if (match_options(&g->ssh, b, now, err) != 0)
			goto out;
		in.type = strcmp(g->ssh.cert_type, "host") == 0 ? SSH_CERT_HOST : SSH_CERT_USER;
		if (g->ssh.key_id[0] != '\0')
			in.key_id = g->ssh.key_id;
		for (size_t i = 0; i < g->ssh.principals.n; i++)
			strv_push(&principals, g->ssh.principals.v[i]);
		if (principals.n == 0)
			strv_push(&principals, g->subject);
		break;
	}
	in.principals = &principals;
	rc = sshca_cert_from_template(pt, &in, c, err);
out:
	strv_free(&principals);
	return rc;
}

/* step-ca's IsValidForAddUser: a user certificate with one principal, or two of which the
 * second holds an '@' (an e-mail address, as OIDC adds it). */
static bool valid_for_add_user(const struct ssh_cert *c)
{
	if (c->type != SSH_CERT_USER)
		return false;
	if (c->principals.n == 1)
		return true;
	return c->principals.n == 2 && strchr(c->principals.v[1], '@') != NULL;
}

int sshca_random_serial(uint64_t *out, struct error *err)
{
	do {
		if (RAND_bytes((unsigned char *)out, sizeof(*out)) != 1)
			return err_openssl(err, ERR_CRYPTO, "error making a serial");
	} while (*out == 0);
	return 0;
}

/* The add-user certificate of c for key (ssh.md §4.2). */
static int add_user_cert(const struct sshca *s, const struct ssh_cert *c,
			 const struct ssh_pubkey *key, struct ssh_cert *out, struct error *err)
{
	const char *first = c->principals.v[0];
	char *cmd = str_replace_all(s->add_user_command, "<principal>", first);

	ssh_pubkey_copy(&out->key, key);
	out->type = SSH_CERT_USER;
	out->key_id = xasprintf("%s-%s", first, s->add_user_principal);
	strv_push(&out->principals, s->add_user_principal);
	out->valid_after = c->valid_after;
	out->valid_before = c->valid_before;
	ssh_option_add(&out->critical, &out->n_critical, "force-command", cmd);
	free(cmd);
	if (s->user_key == NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED, "user certificate signing is not enabled");
	if (sshca_random_serial(&out->serial, err) != 0)
		return -1;
	return ssh_cert_sign(out, s->user_key, err);
}

/* Standard base64 of data as a JSON string. */
static json_t *b64_json(const uint8_t *data, size_t n)
{
	char *b = b64_encode(data, n);
	json_t *v = json_string(b);

	free(b);
	return v;
}

json_t *sshca_chain_json(const struct issued *id)
{
	json_t *list = json_array();
	char *pem = NULL;

	if (cert_der_to_pem(id->der, id->der_len, &pem, NULL) == 0)
		json_array_append_new(list, json_string(pem));
	free(pem);
	for (int i = 0; i < sk_X509_num(id->chain); i++) {
		pem = NULL;
		if (cert_to_pem(sk_X509_value(id->chain, i), &pem, NULL) == 0)
			json_array_append_new(list, json_string(pem));
		free(pem);
	}
	return list;
}

/* The work of POST /ssh/sign up to its writes (*t): 0 with the answer in c, or -1. */
static int sign(struct sshca_call *c, const struct sign_body *b, struct store_txn **t,
		struct error *err)
{
	struct token_options o = {.sshpop = &c->s->trust};
	struct token_grant g = {0};
	struct ssh_cert cert = {0}, add = {0};
	struct issued id = {0};
	int64_t now = time_now_ns() / NS_PER_SEC * NS_PER_SEC;
	json_t *doc;
	int rc = -1;

	if (!sshca_has_keys(c->s)) {
		err_set(err, ERR_NOT_IMPLEMENTED, SSHCA_NOT_ENABLED);
		goto out;
	}
	if (token_authorize_ex(c->a, b->ott, OP_SSH_SIGN, &o, &g, err) != 0)
		goto out;
	if (cert_fields(&g, b, now, &cert, err) != 0)
		goto out;
	if (set_validity(c->a, &g, b, now, &cert, err) != 0)
		goto out;
	if (sshca_signer(c->s, cert.type) == NULL) {
		err_set(err, ERR_NOT_IMPLEMENTED, "%s certificate signing is not enabled",
			cert.type == SSH_CERT_USER ? "user" : "host");
		goto out;
	}
	if (policy_enforce_ssh(g.set, g.prov, cert.type == SSH_CERT_HOST, &cert.principals, err) !=
		0 ||
	    sshca_sign_cert(c->s, &g.prov->claims, &cert, err) != 0)
		goto out;
	if (b->add_user_key.type != SSH_KEY_UNKNOWN && valid_for_add_user(&cert) &&
	    add_user_cert(c->s, &cert, &b->add_user_key, &add, err) != 0)
		goto out;
	if (b->identity_csr != NULL) {
		if (sign_identity(c->a, b->ott, b->identity_csr,
				  (int64_t)cert.valid_after * NS_PER_SEC,
				  (int64_t)cert.valid_before * NS_PER_SEC, &id, t, err) != 0)
			goto out;
		c->identity = true;
	}
	/* stored only when the whole request succeeds */
	sshca_txn_cert(c->s, t, &cert, g.prov->name);
	sshca_audit_cert(c, &cert, g.prov->name);
	if (add.blob != NULL)
		sshca_txn_cert(c->s, t, &add, g.prov->name);
	doc = json_object();
	json_object_set_new(doc, "crt", b64_json(cert.blob, cert.blob_len));
	if (add.blob != NULL)
		json_object_set_new(doc, "addUserCrt", b64_json(add.blob, add.blob_len));
	if (id.der != NULL)
		json_object_set_new(doc, "identityCrt", sshca_chain_json(&id));
	c->status = 201;
	c->answer = doc;
	rc = 0;
out:
	txn_add_token(t, g.token_id, b->ott);
	issued_free(&id);
	ssh_cert_clear(&add);
	ssh_cert_clear(&cert);
	token_grant_free(&g);
	return rc;
}

void sshca_sign(struct sshca_call *c)
{
	struct sign_body b = {0};
	struct store_txn *t = NULL;
	struct error err = {0};
	json_t *body = NULL;

	if (sshca_body_json(c, &body, &err) != 0 || parse_body(body, &b, &err) != 0 ||
	    sign(c, &b, &t, &err) != 0)
		sshca_fail(c, &err);
	sign_body_free(&b);
	json_decref(body);
	sshca_finish(c, t);
}
