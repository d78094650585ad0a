/* token_ssh.c - the SSH parts of provisioner tokens: the step.ssh claim of SSH sign tokens and
 * the SSHPOP provisioner, whose tokens are signed by the key of an SSH certificate the CA
 * issued (tokens.md §2, §6.4).
 */
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/b64.h"
#include "base/duration.h"
#include "ssh/ssh.h"

void token_ssh_free(struct token_ssh *s)
{
	if (s == NULL)
		return;
	free(s->cert_type);
	free(s->key_id);
	strv_free(&s->principals);
	free(s->valid_after);
	free(s->valid_before);
	memset(s, 0, sizeof(*s));
}

/* An optional string member of o: "" when absent or null; false when of another type. */
static bool opt_string(const json_t *o, const char *name, char **out)
{
	const json_t *v = json_object_get(o, name);

	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return false;
	*out = xstrdup(json_is_string(v) ? json_string_value(v) : "");
	return true;
}

/* A time-or-duration of the claim: as step-ca's decoder, one that does not parse refuses the
 * token. */
static bool time_ok(const char *s)
{
	int64_t t;
	bool set;

	return time_or_duration_parse(s, 0, &t, &set, NULL) == 0;
}

int token_ssh_parse(const struct jws *jws, const struct provisioner *p, struct token_ssh *out,
		    struct error *err)
{
	const json_t *step = json_object_get(jws->payload, "step");
	const json_t *ssh = json_is_object(step) ? json_object_get(step, "ssh") : NULL;
	const json_t *principals;
	const char *kind = p->type == PROV_JWK ? "jwk" : "x5c";
	size_t i;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (step != NULL && !json_is_null(step) && !json_is_object(step))
		return err_set(err, ERR_UNAUTHORIZED, "error parsing %s token claims", kind);
	if (ssh == NULL || json_is_null(ssh))
		return err_set(err, ERR_UNAUTHORIZED, "%s token must be an SSH provisioning token",
			       kind);
	if (!json_is_object(ssh) || !opt_string(ssh, "certType", &out->cert_type) ||
	    !opt_string(ssh, "keyID", &out->key_id) ||
	    !opt_string(ssh, "validAfter", &out->valid_after) ||
	    !opt_string(ssh, "validBefore", &out->valid_before) || !time_ok(out->valid_after) ||
	    !time_ok(out->valid_before))
		goto bad;
	principals = json_object_get(ssh, "principals");
	if (principals != NULL && !json_is_null(principals)) {
		if (!json_is_array(principals) || json_array_size(principals) > SSH_MAX_PRINCIPALS)
			goto bad;
		json_array_foreach(principals, i, v)
		{
			if (!json_is_string(v))
				goto bad;
			strv_push(&out->principals, json_string_value(v));
		}
	}
	out->present = true;
	if (out->cert_type[0] != '\0' && strcmp(out->cert_type, "user") != 0 &&
	    strcmp(out->cert_type, "host") != 0)
		return err_public(err, ERR_INVALID, "unknown certificate type '%s'",
				  out->cert_type);
	return 0;
bad:
	token_ssh_free(out);
	return err_set(err, ERR_UNAUTHORIZED, "error parsing %s token claims: invalid step.ssh",
		       kind);
}

/* The certificate of the sshpop header (standard base64 of its wire form). */
static int header_cert(const struct jws *jws, struct ssh_cert *c, struct error *err)
{
	const json_t *h = json_object_get(jws->header, "sshpop");
	uint8_t *raw = NULL;
	size_t n = 0;
	int rc;

	if (h == NULL)
		return err_set(err, ERR_UNAUTHORIZED,
			       "error extracting sshpop header from token: token missing sshpop "
			       "header");
	if (!json_is_string(h))
		return err_set(err, ERR_UNAUTHORIZED,
			       "error extracting sshpop header from token: unexpected type for "
			       "sshpop header");
	if (json_string_length(h) > SSH_MAX_BLOB * 4 / 3 + 4 ||
	    b64_decode(json_string_value(h), json_string_length(h), false, &raw, &n, err) != 0)
		return err_set(err, ERR_UNAUTHORIZED,
			       "error extracting sshpop header from token: error base64 decoding "
			       "sshpop header");
	rc = ssh_cert_parse(raw, n, c, err);
	free(raw);
	if (rc != 0)
		return err_set(err, ERR_UNAUTHORIZED,
			       "error extracting sshpop header from token: error parsing ssh "
			       "certificate");
	return 0;
}

/* Whether c's signature key is one the CA trusts for its type, and its signature good. */
static int check_issuer(const struct ssh_cert *c, const struct sshpop_trust *t, struct error *err)
{
	const struct ssh_pubkey *keys = c->type == SSH_CERT_USER ? t->user : t->host;
	size_t n = c->type == SSH_CERT_USER ? t->n_user : t->n_host;

	for (size_t i = 0; i < n; i++)
		if (ssh_pubkey_equal(&keys[i], &c->signature_key) && ssh_cert_verify(c, NULL) == 0)
			return 0;
	return err_set(err, ERR_UNAUTHORIZED,
		       "could not find valid ca signer to verify sshpop certificate");
}

int sshpop_authorize(const struct authority *a, const struct provisioner *p, const struct jws *jws,
		     const struct strv *aud, enum token_op op, const struct sshpop_trust *trust,
		     struct token_grant *g, struct error *err)
{
	struct ssh_cert *c = xcalloc(1, sizeof(*c));
	uint64_t now = (uint64_t)(time_now_ns() / NS_PER_SEC);
	int rc = -1;

	if (header_cert(jws, c, err) != 0)
		goto out;
	/* step-ca 0.19 leaves the validity of a certificate to renew to the renewal's claims */
	if (op != OP_SSH_RENEW && c->valid_after != 0 && c->valid_after > now) {
		err_set(err, ERR_UNAUTHORIZED, "sshpop certificate validAfter is in the future");
		goto out;
	}
	if (op != OP_SSH_RENEW && c->valid_before != UINT64_MAX && c->valid_before < now) {
		err_set(err, ERR_UNAUTHORIZED, "sshpop certificate validBefore is in the past");
		goto out;
	}
	if (check_issuer(c, trust, err) != 0)
		goto out;
	if (c->key.pkey == NULL) {
		err_set(err, ERR_UNAUTHORIZED, "sshpop certificate key cannot verify tokens");
		goto out;
	}
	if (jws_verify(jws, c->key.pkey, err) != 0) {
		err_wrap(err, "error parsing sshpop token claims");
		goto out;
	}
	if (token_check_common_claims(a, p, jws, aud, op, p->token_id, err) != 0)
		goto out;
	g->sshpop = c;
	c = NULL;
	rc = 0;
out:
	if (c != NULL) {
		ssh_cert_clear(c);
		free(c);
	}
	return rc;
}
