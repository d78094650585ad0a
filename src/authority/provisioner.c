/* provisioner.c - the provisioners of ca.json, set up for token checks. */
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "authority/templates.h"
#include "crypto/x509build.h"
#include "base/b64.h"
#include "base/password.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "jose/jwe.h"
#include "jose/jwk.h"

struct type_info {
	const char *name; /* canonical spelling */
	enum prov_type type;
	int code;	       /* provisioner extension code */
	const char *id_prefix; /* token id "<prefix>/<name>", NULL when derived otherwise */
};

static const struct type_info types[] = {
    {"JWK", PROV_JWK, PROV_CODE_JWK, NULL},
    {"OIDC", PROV_OIDC, PROV_CODE_OIDC, NULL},
    {"GCP", PROV_GCP, PROV_CODE_GCP, "gcp"},
    {"AWS", PROV_AWS, PROV_CODE_AWS, "aws"},
    {"Azure", PROV_AZURE, PROV_CODE_AZURE, NULL},
    {"ACME", PROV_ACME, PROV_CODE_ACME, "acme"},
    {"X5C", PROV_X5C, PROV_CODE_X5C, "x5c"},
    {"K8sSA", PROV_K8SSA, PROV_CODE_K8SSA, NULL},
    {"SSHPOP", PROV_SSHPOP, PROV_CODE_SSHPOP, "sshpop"},
    {"SCEP", PROV_SCEP, PROV_CODE_SCEP, "scep"},
    {"Nebula", PROV_NEBULA, PROV_CODE_NEBULA, "nebula"},
};

static const struct type_info *type_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (str_eq_nocase(types[i].name, name))
			return &types[i];
	return NULL;
}

int prov_type_code(enum prov_type type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].code;
	return 0;
}

static const char *json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Sets up the JWK-specific fields: the verification key, its kid and the token id. */
static int jwk_init(struct provisioner *p, struct error *err)
{
	const json_t *key = json_object_get(p->config, "key");
	const json_t *enc = json_object_get(p->config, "encryptedKey");
	const char *kid;
	char thumb[44];

	if (!json_is_object(key))
		return err_set(err, ERR_INVALID, "provisioner key cannot be empty");
	if (jwk_to_pkey(key, &p->jwk_key, err) != 0)
		return err_wrap(err, "invalid provisioner key");
	kid = json_str(key, "kid");
	if (kid == NULL || kid[0] == '\0') {
		if (jwk_thumbprint(p->jwk_key, thumb, err) != 0)
			return -1;
		kid = thumb;
	}
	if (enc != NULL && !json_is_null(enc) && !json_is_string(enc))
		return err_set(err, ERR_INVALID, "encryptedKey must be a string");
	p->kid = xstrdup(kid);
	p->encrypted_key = json_string_value(enc);
	p->token_id = xasprintf("%s:%s", p->name, p->kid);
	return 0;
}

/* Sets up an X5C provisioner: "roots" is base64 of a PEM bundle (as in step-ca's
 * ca.json). */
static int x5c_init(struct provisioner *p, struct error *err)
{
	const char *b64 = json_str(p->config, "roots");
	uint8_t *pem = NULL;
	size_t len = 0;
	STACK_OF(X509) *roots = NULL;
	int rc = -1;

	if (b64 == NULL || b64_decode(b64, strlen(b64), true, &pem, &len, NULL) != 0 ||
	    cert_parse_chain(pem, len, &roots, NULL) != 0) {
		err_set(err, ERR_INVALID,
			"no x509 certificates found in roots attribute for provisioner '%s'",
			p->name);
		goto out;
	}
	p->x5c_roots = cert_store_new(roots);
	p->token_id = xasprintf("x5c/%s", p->name);
	rc = 0;
out:
	sk_X509_pop_free(roots, X509_free);
	free(pem);
	return rc;
}

/* A bool member of an ACME provisioner: absent or null is false (as Go's decoder). */
static int acme_bool(const json_t *config, const char *key, bool *out, struct error *err)
{
	const json_t *v = json_object_get(config, key);

	*out = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return err_set(err, ERR_INVALID, "%s must be a boolean", key);
	*out = json_is_true(v);
	return 0;
}

/* A string member of an ACME provisioner, borrowed; absent or null is NULL. */
static int acme_string(const json_t *config, const char *key, const char **out, struct error *err)
{
	const json_t *v = json_object_get(config, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(err, ERR_INVALID, "%s must be a string", key);
	*out = json_string_value(v);
	return 0;
}

/* An array-of-strings member of an ACME provisioner, borrowed; absent or null is NULL. */
static int acme_strings(const json_t *config, const char *key, const json_t **out,
			struct error *err)
{
	const json_t *v = json_object_get(config, key), *item;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return err_set(err, ERR_INVALID, "%s must be an array of strings", key);
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return err_set(err, ERR_INVALID, "%s must be an array of strings", key);
	}
	*out = v;
	return 0;
}

/* The challenge names step-ca knows, with their bit here (0: known to step-ca, not served). */
static const struct {
	const char *name;
	unsigned bit;
} acme_challenges[] = {
    {"http-01", PROV_ACME_CH_HTTP01},
    {"dns-01", PROV_ACME_CH_DNS01},
    {"tls-alpn-01", PROV_ACME_CH_TLSALPN01},
    {"device-attest-01", 0},
    {"wire-oidc-01", 0},
    {"wire-dpop-01", 0},
};

/* "challenges": names matched case-insensitively and trimmed (as step-ca reads them); absent
 * or empty means http-01, dns-01 and tls-alpn-01. */
static int acme_challenge_mask(const json_t *list, unsigned *out, struct error *err)
{
	const json_t *item;
	size_t i;

	*out = 0;
	json_array_foreach(list, i, item)
	{
		const char *raw = json_string_value(item);
		char *name = xstrdup(raw);
		const char *t = str_trim(name);
		size_t k, n = sizeof(acme_challenges) / sizeof(acme_challenges[0]);

		for (k = 0; k < n; k++)
			if (str_eq_nocase(acme_challenges[k].name, t))
				break;
		free(name);
		if (k == n)
			return err_set(err, ERR_INVALID, "acme challenge \"%s\" is not supported",
				       raw);
		if (acme_challenges[k].bit == 0)
			return err_set(err, ERR_INVALID,
				       "acme challenge \"%s\" is not served by stride: it serves "
				       "http-01, dns-01 and tls-alpn-01",
				       raw);
		*out |= acme_challenges[k].bit;
	}
	if (*out == 0)
		*out = PROV_ACME_CH_ALL;
	return 0;
}

/* Reads step-ca's ACME fields (acme.go): forceCN, requireEAB, challenges, termsOfService,
 * website, caaIdentities. A wrong JSON type refuses the configuration, as Go's decoder does. */
static int acme_init(struct provisioner *p, struct error *err)
{
	const json_t *challenges = NULL;

	if (acme_bool(p->config, "forceCN", &p->acme.force_cn, err) != 0 ||
	    acme_bool(p->config, "requireEAB", &p->acme.require_eab, err) != 0 ||
	    acme_strings(p->config, "challenges", &challenges, err) != 0 ||
	    acme_challenge_mask(challenges, &p->acme.challenges, err) != 0 ||
	    acme_string(p->config, "termsOfService", &p->acme.terms_of_service, err) != 0 ||
	    acme_string(p->config, "website", &p->acme.website, err) != 0 ||
	    acme_strings(p->config, "caaIdentities", &p->acme.caa_identities, err) != 0)
		return -1;
	p->token_id = xasprintf("acme/%s", p->name);
	return 0;
}

/* The token id of a provisioner that is listed but cannot authorise tokens yet. */
static void other_token_id(struct provisioner *p, const struct type_info *ti)
{
	const char *v;

	if (ti->id_prefix != NULL) {
		p->token_id = xasprintf("%s/%s", ti->id_prefix, p->name);
		return;
	}
	switch (p->type) {
	case PROV_OIDC:
		v = json_str(p->config, "clientID");
		break;
	case PROV_AZURE:
		v = json_str(p->config, "tenantID");
		break;
	case PROV_K8SSA:
		v = K8SSA_TOKEN_ID;
		break;
	default:
		v = NULL;
		break;
	}
	p->token_id = xstrdup(v != NULL ? v : p->name);
}

static int provisioner_init(struct provisioner *p, json_t *config, const struct type_info *ti,
			    const json_t *global_claims, struct error *err)
{
	const char *name = json_str(config, "name");

	p->config = config;
	p->type = ti->type;
	p->type_name = ti->name;
	if (name == NULL || name[0] == '\0')
		return err_set(err, ERR_INVALID, "provisioner name cannot be empty");
	p->name = xstrdup(name);
	if (claims_resolve(json_object_get(config, "claims"), global_claims, &p->claims, err) !=
		0 ||
	    prov_x509_template_init(p, err) != 0)
		return -1;
	if (p->type == PROV_JWK)
		return jwk_init(p, err);
	if (p->type == PROV_X5C)
		return x5c_init(p, err);
	if (p->type == PROV_ACME)
		return acme_init(p, err);
	other_token_id(p, ti);
	if (p->type == PROV_OIDC)
		return oidc_init(p, err);
	if (p->type == PROV_K8SSA)
		return k8ssa_init(p, err);
	return 0;
}

static void provisioner_clear(struct provisioner *p)
{
	free(p->name);
	free(p->token_id);
	free(p->kid);
	EVP_PKEY_free(p->jwk_key);
	X509_STORE_free(p->x5c_roots);
	oidc_clear(p);
	k8ssa_clear(p);
	prov_x509_template_clear(p);
	ssh_template_free(p->ssh_template);
	memset(p, 0, sizeof(*p));
}

static int check_unique(const struct provisioners *ps, const struct provisioner *p,
			struct error *err)
{
	for (size_t i = 0; i < ps->n; i++) {
		if (strcmp(ps->v[i].name, p->name) == 0)
			return err_set(err, ERR_INVALID,
				       "cannot add multiple provisioners with the same name");
		if (strcmp(ps->v[i].token_id, p->token_id) == 0)
			return err_set(err, ERR_INVALID,
				       "cannot add multiple provisioners with the same token "
				       "identifier");
	}
	if (p->type == PROV_K8SSA) {
		for (size_t i = 0; i < ps->n; i++)
			if (ps->v[i].type == PROV_K8SSA)
				return err_set(err, ERR_INVALID,
					       "cannot have more than one kubernetes service "
					       "account provisioner");
	}
	return 0;
}

int provisioners_load(const json_t *list, const json_t *global_claims, struct provisioners *out,
		      struct error *err)
{
	size_t i;
	json_t *item;

	memset(out, 0, sizeof(*out));
	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return err_set(err, ERR_INVALID, "authority.provisioners must be an array");
	out->v = xcalloc(json_array_size(list) + 1, sizeof(*out->v));
	json_array_foreach(list, i, item)
	{
		struct provisioner *p = &out->v[out->n];
		const char *type = json_str(item, "type");
		const struct type_info *ti;

		if (!json_is_object(item))
			goto bad;
		ti = type != NULL ? type_lookup(type) : NULL;
		if (ti == NULL)
			continue; /* unknown types are skipped, as step's readers do */
		if (provisioner_init(p, item, ti, global_claims, err) != 0 ||
		    ssh_template_load(p, err) != 0 || check_unique(out, p, err) != 0) {
			err_wrap(err, "failed to initialize %s provisioner \"%s\"", ti->name,
				 p->name != NULL ? p->name : "");
			provisioner_clear(p);
			provisioners_free(out);
			return -1;
		}
		out->n++;
	}
	return 0;
bad:
	provisioners_free(out);
	return err_set(err, ERR_INVALID, "authority.provisioners[%zu] must be an object", i);
}

void provisioners_free(struct provisioners *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = 0; i < ps->n; i++)
		provisioner_clear(&ps->v[i]);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

const struct provisioner *provisioners_by_token_id(const struct provisioners *ps,
						   const char *token_id)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].token_id, token_id) == 0)
			return &ps->v[i];
	return NULL;
}

const struct provisioner *provisioners_by_name(const struct provisioners *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].name, name) == 0)
			return &ps->v[i];
	return NULL;
}

json_t *provisioner_jwk_create(const char *name, const char *password, struct error *err)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	EVP_PKEY *key = NULL;
	json_t *pub = NULL, *priv = NULL, *prov = NULL;
	char *priv_text = NULL, *jwe = NULL;

	if (key_generate(&spec, &key, err) != 0)
		goto out;
	pub = jwk_from_pkey(key, false, err);
	priv = jwk_from_pkey(key, true, err);
	if (pub == NULL || priv == NULL)
		goto out;
	priv_text = json_dumps(priv, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (priv_text == NULL) {
		err_set(err, ERR_INTERNAL, "cannot encode the provisioner key");
		goto out;
	}
	if (jwe_encrypt_password((const uint8_t *)priv_text, strlen(priv_text), password,
				 JWE_P2C_DEFAULT, "jwk+json", &jwe, err) != 0)
		goto out;
	prov = json_pack("{s:s, s:s, s:O, s:s}", "type", "JWK", "name", name, "key", pub,
			 "encryptedKey", jwe);
	if (prov == NULL)
		err_set(err, ERR_INTERNAL, "cannot build the provisioner");
out:
	if (priv_text != NULL)
		password_free(priv_text);
	json_decref(priv); /* holds "d"; jansson frees it, we cannot wipe its copy */
	json_decref(pub);
	free(jwe);
	EVP_PKEY_free(key);
	return prov;
}
