/* token.c - authorising one-time provisioner tokens as step-ca does.
 *
 * The order of the checks is step-ca's: the provisioner is found from the
 * unverified claims, the issued-at and replay checks run before the signature
 * is verified (so a failed token is consumed), then the provisioner's own
 * checks. Every failure is a 401 whose detail goes to the log only.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "authority/admin_state.h"
#include "authority/internal.h"
#include "base/duration.h"
#include "base/metrics.h"
#include "crypto/cert.h"
#include "ssh/ssh.h"
#include "store/store.h"

void token_grant_free(struct token_grant *g)
{
	if (g == NULL)
		return;
	free(g->subject);
	strv_free(&g->sans);
	free(g->cnf_fingerprint);
	free(g->token_id);
	token_ssh_free(&g->ssh);
	if (g->sshpop != NULL) {
		ssh_cert_clear(g->sshpop);
		free(g->sshpop);
	}
	json_decref(g->claims);
	X509_free(g->x5c_leaf);
	prov_set_put(g->set);
	memset(g, 0, sizeof(*g));
}

/* The first URL fragment among the audiences, or NULL. */
static const char *first_fragment(const struct strv *aud)
{
	for (size_t i = 0; i < aud->n; i++) {
		const char *hash = strchr(aud->v[i], '#');
		if (hash != NULL)
			return hash + 1;
	}
	return NULL;
}

/* A token whose audience is not this CA's: a Kubernetes service-account token, or an OIDC
 * (or Azure) ID token naming its client (tokens.md §5, step 3). */
static const struct provisioner *lookup_foreign_audience(const struct provisioners *ps,
							 const struct jws *jws,
							 const struct strv *aud)
{
	const char *iss = jwt_claim_str(jws, "iss");
	const char *azp = jwt_claim_str(jws, "azp");
	const char *tid = jwt_claim_str(jws, "tid");

	if (iss != NULL && strcmp(iss, K8SSA_ISSUER) == 0)
		return provisioners_by_token_id(ps, K8SSA_TOKEN_ID);
	if (aud->n == 0)
		return NULL;
	if (azp != NULL && azp[0] != '\0')
		return provisioners_by_token_id(ps, azp);
	if (tid != NULL && tid[0] != '\0' && jwt_claim_str(jws, "email") == NULL)
		return provisioners_by_token_id(ps, tid);
	return provisioners_by_token_id(ps, aud->v[0]);
}

/* The provisioner a token names in the snapshot *set (a reference the caller drops). */
static const struct provisioner *lookup_provisioner(struct authority *a, const struct jws *jws,
						    const struct strv *aud, struct prov_set **set)
{
	const char *fragment = first_fragment(aud);
	const char *iss = jwt_claim_str(jws, "iss");
	const char *kid = json_string_value(json_object_get(jws->header, "kid"));
	const struct provisioner *p = NULL;

	*set = prov_set_get(a);
	if (!audience_matches_any(a, aud, fragment))
		return lookup_foreign_audience(&(*set)->provs, jws, aud);
	if (fragment != NULL) {
		p = provisioners_by_token_id(&(*set)->provs, fragment);
	} else if (iss != NULL && kid != NULL) {
		char *id = xasprintf("%s:%s", iss, kid);
		p = provisioners_by_token_id(&(*set)->provs, id);
		free(id);
	}
	return p;
}

/* The token's provisioner; g->set holds the snapshot it belongs to. A provisioner this
 * instance does not know may have just been added elsewhere (remote administration): the
 * stored state is then checked once before the token is refused. */
static int find_provisioner(struct authority *a, const struct jws *jws, const struct strv *aud,
			    struct token_grant *g, const struct provisioner **out,
			    struct error *err)
{
	const struct provisioner *p = lookup_provisioner(a, jws, aud, &g->set);

	if (p == NULL && authority_admin_enabled(a)) {
		if (prov_set_refresh(a, err) != 0)
			return -1;
		prov_set_put(g->set);
		p = lookup_provisioner(a, jws, aud, &g->set);
	}
	if (p == NULL)
		return err_set(err, ERR_UNAUTHORIZED,
			       "provisioner not found or invalid audience (%s)",
			       aud->n > 0 ? aud->v[0] : "");
	*out = p;
	return 0;
}

/* The replay key: the claim (jti; an OIDC ID token's nonce, as step-ca), or, for a token
 * without one, the SHA-256 of its signed header and payload. Never of the signature: an ECDSA
 * signature has a second valid form (s -> n - s), so a key over the whole token would let the
 * same token be used twice. A claim that is not a string is refused, as step-ca's claims
 * decoder does. *out malloc'd. */
static int replay_key(const struct jws *jws, const char *claim, char **out, struct error *err)
{
	const json_t *jti = json_object_get(jws->payload, claim);
	unsigned char md[32];

	*out = NULL;
	if (jti != NULL && !json_is_null(jti) && !json_is_string(jti))
		return err_set(err, ERR_UNAUTHORIZED, "invalid token id claim (%s)", claim);
	if (json_string_length(jti) > 0) {
		*out = xstrdup(json_string_value(jti));
		return 0;
	}
	if (EVP_Digest(jws->signing_input, jws->signing_input_len, md, NULL, EVP_sha256(), NULL) !=
	    1)
		return err_openssl(err, ERR_CRYPTO, "error hashing the token");
	*out = hex_encode(md, sizeof(md));
	return 0;
}

static int check_issued_after_start(const struct authority *a, const struct jws *jws,
				    struct error *err)
{
	int64_t iat;
	int present;

	if (a->cfg->disable_issued_at_check)
		return 0;
	if (jwt_claim_time(jws, "iat", &iat, &present) != 0)
		return err_set(err, ERR_UNAUTHORIZED, "invalid issued at claim (iat)");
	if (present && iat < a->start_sec)
		return err_set(err, ERR_UNAUTHORIZED,
			       "token issued before the bootstrap of certificate authority");
	return 0;
}

/* check_replay with the replay key from claim (jti, or nonce for OIDC). at_commit: the key is
 * only taken, and the commit that records it is the check (issuance_settle). */
static int check_replay_claim(struct authority *a, const struct jws *jws, const char *claim,
			      const char *used_msg, bool at_commit, char **key_out,
			      struct error *err)
{
	char *key = NULL;
	bool used = false;

	if (replay_key(jws, claim, &key, err) != 0)
		return -1;
	if (at_commit) {
		*key_out = key;
		return 0;
	}
	if (a->store->ops->token_used(a->store, key, &used, err) != 0) {
		free(key);
		return -1;
	}
	if (used) {
		free(key);
		metrics_token_replay();
		return err_set(err, ERR_UNAUTHORIZED, "%s", used_msg);
	}
	*key_out = key;
	return 0;
}

int check_replay(struct authority *a, const struct jws *jws, const char *used_msg, char **key_out,
		 struct error *err)
{
	return check_replay_claim(a, jws, "jti", used_msg, false, key_out, err);
}

/* nbf/exp/iat with step's one-minute leeway; exp is required (the CLI always sets it and a
 * token without expiry would be valid forever). */
static int check_time_claims(const struct jws *jws, struct error *err)
{
	int64_t now = time_now_ns() / NS_PER_SEC, v;
	int present;

	if (jwt_claim_time(jws, "nbf", &v, &present) != 0)
		return err_set(err, ERR_UNAUTHORIZED, "invalid not before claim (nbf)");
	if (present && now + TOKEN_LEEWAY_SEC < v)
		return err_set(err, ERR_UNAUTHORIZED, "token not valid yet (nbf)");
	if (jwt_claim_time(jws, "exp", &v, &present) != 0 || !present)
		return err_set(err, ERR_UNAUTHORIZED, "invalid expiration claim (exp)");
	if (now - TOKEN_LEEWAY_SEC > v)
		return err_set(err, ERR_UNAUTHORIZED, "token is expired (exp)");
	if (jwt_claim_time(jws, "iat", &v, &present) != 0)
		return err_set(err, ERR_UNAUTHORIZED, "invalid issued at claim (iat)");
	if (present && v > now + TOKEN_LEEWAY_SEC)
		return err_set(err, ERR_UNAUTHORIZED, "token issued in the future (iat)");
	return 0;
}

int token_check_common_claims(const struct authority *a, const struct provisioner *p,
			      const struct jws *jws, const struct strv *aud, enum token_op op,
			      const char *fragment, struct error *err)
{
	const char *iss = jwt_claim_str(jws, "iss");
	const char *sub = jwt_claim_str(jws, "sub");

	if (iss == NULL || strcmp(iss, p->name) != 0)
		return err_set(err, ERR_UNAUTHORIZED, "invalid issuer claim (iss)");
	if (check_time_claims(jws, err) != 0)
		return -1;
	if (!audience_matches(a, aud, op, fragment))
		return err_set(err, ERR_UNAUTHORIZED, "invalid audience claim (aud)");
	if (sub == NULL || sub[0] == '\0')
		return err_set(err, ERR_UNAUTHORIZED, "subject cannot be empty");
	return 0;
}

static int jwk_authorize(const struct authority *a, const struct provisioner *p,
			 const struct jws *jws, const struct strv *aud, enum token_op op,
			 struct error *err)
{
	if (jws_verify(jws, p->jwk_key, err) != 0)
		return err_wrap(err, "error parsing token");
	return token_check_common_claims(a, p, jws, aud, op, NULL, err);
}

/* X5C: the x5c chain verifies to the provisioner's roots now, its leaf signed the token. */
static int x5c_authorize(const struct authority *a, const struct provisioner *p,
			 const struct jws *jws, const struct strv *aud, enum token_op op,
			 struct token_grant *g, struct error *err)
{
	STACK_OF(X509) *chain = NULL;
	X509 *leaf;
	int rc = -1;

	if (jws_header_chain(jws, "x5c", &chain, err) != 0 ||
	    verify_header_chain(chain, p->x5c_roots, 0, err) != 0)
		goto out;
	leaf = sk_X509_value(chain, 0);
	if (jws_verify(jws, X509_get0_pubkey(leaf), err) != 0) {
		err_wrap(err, "error parsing token");
		goto out;
	}
	if (token_check_common_claims(a, p, jws, aud, op, p->token_id, err) != 0)
		goto out;
	g->x5c_not_before = cert_not_before_ns(leaf);
	g->x5c_not_after = cert_not_after_ns(leaf);
	if (X509_up_ref(leaf) == 1)
		g->x5c_leaf = leaf;
	rc = 0;
out:
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* Copies sub, sans (defaulting to [sub]) and cnf into the grant. */
static int fill_grant(const struct jws *jws, struct token_grant *g, struct error *err)
{
	const json_t *sans = json_object_get(jws->payload, "sans");
	const json_t *cnf = json_object_get(jws->payload, "cnf");
	size_t i;
	json_t *v;

	g->subject = xstrdup(jwt_claim_str(jws, "sub"));
	if (sans != NULL && !json_is_null(sans)) {
		if (!json_is_array(sans))
			return err_set(err, ERR_UNAUTHORIZED, "invalid sans claim");
		json_array_foreach(sans, i, v)
		{
			if (!json_is_string(v))
				return err_set(err, ERR_UNAUTHORIZED, "invalid sans claim");
			strv_push(&g->sans, json_string_value(v));
		}
	}
	if (g->sans.n == 0)
		strv_push(&g->sans, g->subject);
	if (cnf != NULL && !json_is_null(cnf)) {
		const char *fp = json_string_value(json_object_get(cnf, "x5rt#S256"));
		if (!json_is_object(cnf))
			return err_set(err, ERR_UNAUTHORIZED, "invalid cnf claim");
		if (fp != NULL)
			g->cnf_fingerprint = xstrdup(fp);
	}
	return 0;
}

/* The provisioner's own checks of the token for op. */
static int provisioner_authorize(struct authority *a, const struct provisioner *p,
				 const struct jws *jws, const struct strv *aud, enum token_op op,
				 const struct token_options *o, struct token_grant *g,
				 struct error *err)
{
	bool ssh_pop_op = op == OP_SSH_RENEW || op == OP_SSH_REKEY || op == OP_SSH_REVOKE;

	if (p->type == PROV_SSHPOP) {
		if (!ssh_pop_op || o->sshpop == NULL)
			return err_set(err, ERR_UNAUTHORIZED,
				       "sshpop provisioner \"%s\" cannot authorize this operation",
				       p->name);
		return sshpop_authorize(a, p, jws, aud, op, o->sshpop, g, err);
	}
	if (p->type == PROV_OIDC)
		return oidc_authorize(a, p, jws, op, g, err);
	if (p->type == PROV_K8SSA)
		return k8ssa_authorize(a, p, jws, op, g, err);
	if (p->type != PROV_JWK && p->type != PROV_X5C)
		return err_set(err, ERR_UNAUTHORIZED,
			       "%s provisioner \"%s\" cannot authorize tokens yet", p->type_name,
			       p->name);
	/* step-ca: JWK and X5C renew or rekey no SSH certificate (SSHPOP does) */
	if (op == OP_SSH_RENEW || op == OP_SSH_REKEY)
		return err_set(err, ERR_UNAUTHORIZED, "%s provisioner \"%s\" cannot authorize %s",
			       p->type_name, p->name,
			       op == OP_SSH_RENEW ? "ssh renewals" : "ssh rekeys");
	/* step-ca checks enableSSHCA before the token's signature */
	if (op == OP_SSH_SIGN && !p->claims.enable_ssh_ca)
		return err_set(err, ERR_UNAUTHORIZED, "sshCA is disabled for %s provisioner '%s'",
			       p->type == PROV_JWK ? "jwk" : "x5c", p->name);
	if (p->type == PROV_JWK ? jwk_authorize(a, p, jws, aud, op, err)
				: x5c_authorize(a, p, jws, aud, op, g, err))
		return -1;
	if (op == OP_SSH_SIGN && token_ssh_parse(jws, p, &g->ssh, err) != 0)
		return -1;
	return 0;
}

int token_authorize(struct authority *a, const char *token, enum token_op op,
		    struct token_grant *out, struct error *err)
{
	return token_authorize_ex(a, token, op, NULL, out, err);
}

int token_authorize_ex(struct authority *a, const char *token, enum token_op op,
		       const struct token_options *o, struct token_grant *out, struct error *err)
{
	static const struct token_options none = {0};
	struct jws jws = {0};
	struct strv aud = {0};
	const struct provisioner *p = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (o == NULL)
		o = &none;
	if (jws_parse(token, strlen(token), &jws, err) != 0) {
		err_wrap(err, "error parsing token");
		err_reclassify(err, ERR_UNAUTHORIZED, false);
		goto out;
	}
	if (audience_from_claims(jws.payload, &aud, err) != 0 ||
	    find_provisioner(a, &jws, &aud, out, &p, err) != 0)
		goto out;
	if (p->type == PROV_ACME || p->type == PROV_SCEP) {
		err_public(err, ERR_INVALID, "token flow is not supported");
		goto out;
	}
	if (check_issued_after_start(a, &jws, err) != 0 ||
	    (!o->skip_replay && p->type != PROV_K8SSA && /* step-ca: K8sSA tokens are reusable */
	     check_replay_claim(a, &jws, p->type == PROV_OIDC ? "nonce" : "jti",
				"token already used", o->replay_at_commit, &out->token_id,
				err) != 0))
		goto out;
	if (provisioner_authorize(a, p, &jws, &aud, op, o, out, err) != 0)
		goto out;
	if (out->subject == NULL && fill_grant(&jws, out, err) != 0)
		goto out;
	out->claims = json_incref(jws.payload);
	out->prov = p;
	rc = 0;
out:
	if (rc != 0) {
		char *key = out->token_id; /* still to be recorded, see internal.h */
		out->token_id = NULL;
		token_grant_free(out);
		out->token_id = key;
	}
	strv_free(&aud);
	jws_free(&jws);
	return rc;
}
