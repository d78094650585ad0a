/* k8ssa.c - the K8sSA provisioner: Kubernetes service-account tokens (tokens.md §6.5,
 * provisioners-and-policy.md §2.4).
 *
 * The token is the cluster's own JWT: no audience of this CA, no replay record (step-ca lets a
 * service-account token be used again and again), signed by one of the keys of publicKeys. The
 * certificate it grants is the CSR's (the admin-leaf template) and an SSH certificate is the
 * request's certType, keyID and principals.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/b64.h"
#include "base/duration.h"

/* The claims of a service-account token step-ca decodes besides the registered ones. */
static const char *const sa_claims[] = {
    "kubernetes.io/serviceaccount/namespace",
    "kubernetes.io/serviceaccount/secret.name",
    "kubernetes.io/serviceaccount/service-account.name",
    "kubernetes.io/serviceaccount/service-account.uid",
    NULL,
};

/* Go's %T of what step's PEM parser returns for a private key block, for step-ca's message. */
static const char *private_go_type(const EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		return "*rsa.PrivateKey";
	case EVP_PKEY_EC:
		return "*ecdsa.PrivateKey";
	case EVP_PKEY_ED25519:
		return "ed25519.PrivateKey";
	default:
		return "crypto.PrivateKey";
	}
}

/* Go's %T of a public key step cannot verify tokens with. */
static const char *public_go_type(const EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_DSA:
		return "*dsa.PublicKey";
	case EVP_PKEY_X25519:
		return "*ecdh.PublicKey";
	default:
		return "crypto.PublicKey";
	}
}

static bool usable_type(const EVP_PKEY *k)
{
	int id = EVP_PKEY_get_base_id(k);

	return id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_ED25519;
}

/* One PEM block of publicKeys as step's PEM parser reads it: a public key, a certificate's key
 * or (refused by the caller) a private key. *is_private tells which. */
static int block_key(const char *prov, const char *type, const unsigned char *der, long len,
		     EVP_PKEY **out, bool *is_private, struct error *err)
{
	const unsigned char *p = der;
	X509 *x;

	*out = NULL;
	*is_private = false;
	if (strcmp(type, "PUBLIC KEY") == 0) {
		*out = d2i_PUBKEY(NULL, &p, len);
	} else if (strcmp(type, "CERTIFICATE") == 0) {
		x = d2i_X509(NULL, &p, len);
		*out = x != NULL ? X509_get_pubkey(x) : NULL;
		X509_free(x);
	} else if (strcmp(type, "RSA PRIVATE KEY") == 0 || strcmp(type, "EC PRIVATE KEY") == 0 ||
		   strcmp(type, "PRIVATE KEY") == 0) {
		*out = d2i_AutoPrivateKey(NULL, &p, len);
		*is_private = true;
	} else {
		return err_set(err, ERR_INVALID,
			       "error parsing public key in provisioner '%s': error decoding PEM: "
			       "contains an unexpected header '%s'",
			       prov, type);
	}
	if (*out == NULL) {
		ERR_clear_error();
		return err_set(err, ERR_INVALID,
			       "error parsing public key in provisioner '%s': error parsing PEM",
			       prov);
	}
	return 0;
}

/* Adds every key of the PEM bundle text to p->k8s_keys, as step-ca's Init does. */
static int parse_bundle(struct provisioner *p, const uint8_t *text, size_t n, struct error *err)
{
	BIO *bio = BIO_new_mem_buf(text, (int)n);
	int rc = -1;

	if (bio == NULL)
		return err_openssl(err, ERR_CRYPTO, "cannot read publicKeys");
	for (;;) {
		char *type = NULL, *header = NULL;
		unsigned char *der = NULL;
		long len = 0;
		EVP_PKEY *key = NULL;
		bool priv;
		int r;

		if (PEM_read_bio(bio, &type, &header, &der, &len) != 1) {
			ERR_clear_error(); /* no more blocks: Go's pem.Decode stops there too */
			break;
		}
		r = block_key(p->name, type, der, len, &key, &priv, err);
		if (r == 0 && (priv || !usable_type(key)))
			r = err_set(err, ERR_INVALID,
				    "Unexpected public key type %s in provisioner '%s'",
				    priv ? private_go_type(key) : public_go_type(key), p->name);
		OPENSSL_free(type);
		OPENSSL_free(header);
		OPENSSL_free(der);
		if (r != 0) {
			EVP_PKEY_free(key);
			goto out;
		}
		p->k8s_keys = xrealloc(p->k8s_keys, (p->n_k8s_keys + 1) * sizeof(*p->k8s_keys));
		p->k8s_keys[p->n_k8s_keys++] = key;
	}
	rc = 0;
out:
	BIO_free(bio);
	return rc;
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
	for (size_t i = 0; i < p->n_k8s_keys; i++)
		EVP_PKEY_free(p->k8s_keys[i]);
	free(p->k8s_keys);
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
