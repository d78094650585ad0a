/* k8ssa.c - the K8sSA provisioner: Kubernetes service-account tokens (tokens.md §6.5,
 * provisioners-and-policy.md §2.4).
 *
 * The token is the cluster's own JWT: no audience of this CA, no replay record (step-ca lets a
 * service-account token be used again and again), signed by one of the keys of publicKeys. The
 * certificate it grants is the CSR's (the admin-leaf template) and an SSH certificate is the
 * request's certType, keyID and principals.
 */
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/b64.h"
#include "base/duration.h"
#include "crypto/pem_keys.h"

/* The claims of a service-account token step-ca decodes besides the registered ones. */
static const char *const sa_claims[] = {
    "kubernetes.io/serviceaccount/namespace",
    "kubernetes.io/serviceaccount/secret.name",
    "kubernetes.io/serviceaccount/service-account.name",
    "kubernetes.io/serviceaccount/service-account.uid",
    NULL,
};

/* Every key of the PEM bundle text, as step-ca's Init reads publicKeys, with its messages. */
static int parse_bundle(struct provisioner *p, const uint8_t *text, size_t n, struct error *err)
{
	const char *bad_type = NULL;

	if (pem_public_keys(text, n, &p->k8s_keys, &p->n_k8s_keys, &bad_type, err) == 0)
		return 0;
	if (bad_type != NULL)
		return err_set(err, ERR_INVALID,
			       "Unexpected public key type %s in provisioner '%s'", bad_type,
			       p->name);
	return err_wrap(err, "error parsing public key in provisioner '%s'", p->name);
}

int k8ssa_init(struct provisioner *p, struct error *err)
{
	const json_t *v = json_object_get(p->config, "publicKeys");
	uint8_t *text = NULL;
	size_t n = 0;
	int rc;

	/* publicKeys is Go []byte: null or absent is no keys at all; "" is an empty bundle,
	 * which step-ca accepts and then has no key to verify a token with */
	if (v == NULL || json_is_null(v))
		return err_set(err, ERR_INVALID,
			       "K8s Service Account provisioner cannot be initialized without pub "
			       "keys");
	if (!json_is_string(v) ||
	    b64_decode(json_string_value(v), json_string_length(v), false, &text, &n, NULL) != 0)
		return err_set(err, ERR_INVALID,
			       "publicKeys of provisioner '%s' is not a base64 string", p->name);
	rc = parse_bundle(p, text, n, err);
	free(text);
	if (rc != 0)
		k8ssa_clear(p);
	return rc;
}

void k8ssa_clear(struct provisioner *p)
{
	pem_keys_free(p->k8s_keys, p->n_k8s_keys);
	p->k8s_keys = NULL;
	p->n_k8s_keys = 0;
}

/* The signature with any of the keys, then the claims' types (step-ca decodes both at once:
 * either failure is the same error). */
static int verify_token(const struct provisioner *p, const struct jws *jws, struct error *err)
{
	static const char *const times[] = {"exp", "nbf", "iat", NULL};
	bool valid = false;
	int64_t t;
	int present;

	if (p->n_k8s_keys == 0)
		return err_set(err, ERR_UNAUTHORIZED,
			       "k8ssa.authorizeToken; k8sSA TokenReview API integration not "
			       "implemented");
	for (size_t i = 0; i < p->n_k8s_keys && !valid; i++)
		valid = jws_verify(jws, p->k8s_keys[i], NULL) == 0;
	for (size_t i = 0; valid && times[i] != NULL; i++)
		valid = jwt_claim_time(jws, times[i], &t, &present) == 0;
	for (size_t i = 0; valid && sa_claims[i] != NULL; i++) {
		const json_t *c = json_object_get(jws->payload, sa_claims[i]);
		valid = c == NULL || json_is_null(c) || json_is_string(c);
	}
	{
		static const char *const strs[] = {"iss", "sub", "jti", NULL};
		for (size_t i = 0; valid && strs[i] != NULL; i++) {
			const json_t *c = json_object_get(jws->payload, strs[i]);
			valid = c == NULL || json_is_null(c) || json_is_string(c);
		}
	}
	if (!valid)
		return err_set(err, ERR_UNAUTHORIZED,
			       "k8ssa.authorizeToken; error validating k8sSA token and extracting "
			       "claims");
	return 0;
}

/* The registered claims as step-ca validates them (go-jose's Validate with the issuer expected
 * and its default one-minute leeway): iss, then nbf, exp and iat when present. A token without
 * exp, as the legacy secret-based ones are, never expires. */
static int check_claims(const struct jws *jws, struct error *err)
{
	const char *iss = jwt_claim_str(jws, "iss");
	const char *sub = jwt_claim_str(jws, "sub");
	int64_t now = time_now_ns() / NS_PER_SEC, v;
	int present;
	const char *why = NULL;

	if (iss == NULL || strcmp(iss, K8SSA_ISSUER) != 0)
		why = "invalid issuer claim (iss)";
	else if (jwt_claim_time(jws, "nbf", &v, &present) == 0 && present &&
		 now + TOKEN_LEEWAY_SEC < v)
		why = "token not valid yet (nbf)";
	else if (jwt_claim_time(jws, "exp", &v, &present) == 0 && present &&
		 now - TOKEN_LEEWAY_SEC > v)
		why = "token is expired (exp)";
	else if (jwt_claim_time(jws, "iat", &v, &present) == 0 && present &&
		 now + TOKEN_LEEWAY_SEC < v)
		why = "token issued in the future (iat)";
	if (why != NULL)
		return err_set(err, ERR_UNAUTHORIZED,
			       "k8ssa.authorizeToken; invalid k8sSA token claims: "
			       "go-jose/go-jose/jwt: validation failed, %s",
			       why);
	if (sub == NULL || sub[0] == '\0')
		return err_set(err, ERR_UNAUTHORIZED,
			       "k8ssa.authorizeToken; k8sSA token subject cannot be empty");
	return 0;
}

int k8ssa_authorize(const struct authority *a, const struct provisioner *p, const struct jws *jws,
		    enum token_op op, struct token_grant *g, struct error *err)
{
	const char *sub;

	(void)a;
	/* step-ca: the K8sSA provisioner renews, rekeys and revokes no SSH certificate */
	if (op == OP_SSH_RENEW || op == OP_SSH_REKEY || op == OP_SSH_REVOKE)
		return err_set(err, ERR_UNAUTHORIZED, "provisioner.AuthorizeSSH%s not implemented",
			       op == OP_SSH_RENEW   ? "Renew"
			       : op == OP_SSH_REKEY ? "Rekey"
						    : "Revoke");
	/* step-ca checks enableSSHCA before the token */
	if (op == OP_SSH_SIGN && !p->claims.enable_ssh_ca)
		return err_set(err, ERR_UNAUTHORIZED,
			       "k8ssa.AuthorizeSSHSign; sshCA is disabled for k8sSA provisioner "
			       "'%s'",
			       p->name);
	if (verify_token(p, jws, err) != 0 || check_claims(jws, err) != 0)
		return -1;
	sub = jwt_claim_str(jws, "sub");
	g->subject = xstrdup(sub);
	strv_push(&g->sans, sub);
	g->leaf_tpl = LEAF_TPL_ADMIN;
	if (op == OP_SSH_SIGN) {
		/* no step.ssh claim: the request's certType, keyID and principals make the
		 * certificate (sshca fills them in) */
		g->ssh.cert_type = xstrdup("");
		g->ssh.key_id = xstrdup("");
		g->ssh.valid_after = xstrdup("");
		g->ssh.valid_before = xstrdup("");
	}
	return 0;
}

const char *k8ssa_service_account(const struct token_grant *g)
{
	return json_string_value(
	    json_object_get(g->claims, "kubernetes.io/serviceaccount/service-account.name"));
}
