/* sign.c - POST /sign: token, CSR checks, validity, the leaf, the store.
 *
 * Messages shown to clients are step-ca's, so step's own CLI prints the
 * same thing against stride-ca as against step-ca.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "authority/admin_state.h"
#include "authority/internal.h"
#include "authority/templates.h"
#include "base/duration.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/x509build.h"
#include "store/store.h"

void issued_free(struct issued *out)
{
	if (out == NULL)
		return;
	X509_free(out->leaf);
	free(out->der);
	free(out->serial);
	free(out->subject);
	free(out->provisioner);
	memset(out, 0, sizeof(*out));
}

X509 *issued_leaf(struct issued *out)
{
	if (out->leaf == NULL && out->der != NULL)
		out->leaf = cert_from_der(out->der, out->der_len);
	return out->leaf;
}

int issued_chain_pem(const struct issued *out, char **pem, struct error *err)
{
	char *leaf = NULL, *rest = NULL;

	*pem = NULL;
	if (cert_der_to_pem(out->der, out->der_len, &leaf, err) != 0)
		return -1;
	if (sk_X509_num(out->chain) > 0 && cert_chain_to_pem(out->chain, &rest, err) != 0) {
		free(leaf);
		return -1;
	}
	if (rest == NULL) {
		*pem = leaf;
		return 0;
	}
	*pem = xasprintf("%s%s", leaf, rest);
	free(leaf);
	free(rest);
	return 0;
}

static bool same_set(const struct strv *a, const struct strv *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strv_contains(b, a->v[i]))
			return false;
	for (size_t i = 0; i < b->n; i++)
		if (!strv_contains(a, b->v[i]))
			return false;
	return true;
}

static int check_san_type(const char *what, const struct strv *got, const struct strv *want,
			  struct error *err)
{
	char *g, *w;

	if (got->n == 0 || same_set(got, want))
		return 0;
	g = go_list(got);
	w = go_list(want);
	err_public(err, ERR_FORBIDDEN,
		   "certificate request does not contain the valid %s - got %s, want %s", what, g,
		   w);
	free(g);
	free(w);
	return -1;
}

static int check_common_name(const struct names *csr, const struct token_grant *g,
			     struct error *err)
{
	char *want;

	if (csr->cn[0] == '\0' || strcmp(csr->cn, g->subject) == 0)
		return 0;
	if (g->prov->type == PROV_X5C) /* X5C: the CN must be the subject itself */
		return err_public(err, ERR_FORBIDDEN,
				  "certificate request does not contain the valid common name - "
				  "got %s, want %s",
				  csr->cn, g->subject);
	if (strv_contains(&g->sans, csr->cn))
		return 0;
	{
		struct strv all = {0};
		strv_push(&all, g->subject);
		for (size_t i = 0; i < g->sans.n; i++)
			strv_push(&all, g->sans.v[i]);
		want = go_list(&all);
		strv_free(&all);
	}
	err_public(err, ERR_FORBIDDEN,
		   "certificate request does not contain the valid common name - got %s, want %s",
		   csr->cn, want);
	free(want);
	return -1;
}

int request_csr_check(X509_REQ *csr, const char *bad_signature, struct error *err)
{
	if (csr == NULL)
		return err_public(err, ERR_INVALID, "missing csr");
	if (key_check_allowed(X509_REQ_get0_pubkey(csr), "certificate request", err) != 0)
		return -1;
	if (csr_verify(csr, NULL) != 0)
		return err_public(err, ERR_INVALID, "%s", bad_signature);
	return 0;
}

/* The CSR's key and self-signature, once the token is known to be good. step-ca checks the
 * signature before the token; here a request without a valid token
 * costs no signature check (a hostile RSA key makes one cost milliseconds), so a bad token is
 * reported before a bad CSR. Key refusals are 400s (step-ca cannot even parse such a CSR),
 * except a short RSA key: step-ca's key validator answers that with 403, and
 * its status and message stay. */
static int check_request(X509_REQ *csr, struct error *err)
{
	EVP_PKEY *key = csr != NULL ? X509_REQ_get0_pubkey(csr) : NULL;

	if (request_csr_check(csr, "invalid csr", err) == 0)
		return 0;
	if (err != NULL && key != NULL && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
	    EVP_PKEY_get_bits(key) < KEY_RSA_BITS_MIN)
		err_reclassify(err, ERR_FORBIDDEN, true);
	return -1;
}

static int check_cnf(X509_REQ *csr, const struct token_grant *g, struct error *err)
{
	char *fp = NULL;
	int rc;

	if (g->cnf_fingerprint == NULL)
		return 0;
	if (csr_fingerprint_b64url(csr, &fp, err) != 0)
		return -1;
	rc = strcmp(fp, g->cnf_fingerprint) == 0
		 ? 0
		 : err_public(err, ERR_FORBIDDEN,
			      "certificate request fingerprint does not match \"%s\"",
			      g->cnf_fingerprint);
	free(fp);
	return rc;
}

/* The CSR validators of JWK-style provisioners. token_names gets the grant's SANs split by
 * type (the leaf carries those, not the CSR's). */
static int check_csr(X509_REQ *csr, const struct token_grant *g, struct names *token_names,
		     struct error *err)
{
	struct names got = {0};
	int rc = -1;

	for (size_t i = 0; i < g->sans.n; i++)
		names_add_san(token_names, g->sans.v[i]);
	if (csr_names(csr, &got, err) != 0) {
		err_reclassify(err, ERR_INVALID, true);
		goto out;
	}
	if (check_common_name(&got, g, err) != 0 ||
	    check_san_type("DNS names", &got.dns, &token_names->dns, err) != 0 ||
	    check_san_type("IP addresses", &got.ip, &token_names->ip, err) != 0 ||
	    check_san_type("email addresses", &got.email, &token_names->email, err) != 0 ||
	    check_san_type("URIs", &got.uri, &token_names->uri, err) != 0 ||
	    check_cnf(csr, g, err) != 0)
		goto out;
	rc = 0;
out:
	names_free(&got);
	return rc;
}

/* The names the leaf carries: the token's, checked against the CSR (step-ca's leaf template),
 * or, for the admin leaf (K8sSA, OIDC admins), the CSR's own, unchecked. */
static int request_names(X509_REQ *csr, const struct token_grant *g, struct names *names,
			 struct error *err)
{
	if (g->leaf_tpl != LEAF_TPL_ADMIN && g->prov->type == PROV_OIDC) {
		/* step-ca's OIDC sign options validate no CSR name: the leaf gets the token's */
		for (size_t i = 0; i < g->sans.n; i++)
			names_add_san(names, g->sans.v[i]);
		return 0;
	}
	if (g->leaf_tpl != LEAF_TPL_ADMIN)
		return check_csr(csr, g, names, err);
	if (csr_names(csr, names, err) != 0)
		return err_reclassify(err, ERR_INVALID, true);
	return 0;
}

/* The subject's common name policies see: the token's, or the CSR's for the admin leaf. */
static const char *leaf_common_name(const struct token_grant *g, const struct names *names)
{
	return g->leaf_tpl == LEAF_TPL_ADMIN ? names->cn : g->subject;
}

/* Turns a parse error into a 400 the client may read, prefixed with what was parsed. */
static int expose_invalid(struct error *err, const char *what)
{
	err_wrap(err, "%s", what);
	return err_reclassify(err, ERR_INVALID, true);
}

/* X5C: the new certificate must lie within the validity of the token's certificate. */
static int check_x5c_window(const struct token_grant *g, int64_t nb, int64_t na, struct error *err)
{
	char s1[64], s2[64];

	if (g->x5c_not_after == 0)
		return 0;
	if (nb < g->x5c_not_before)
		return err_public(err, ERR_FORBIDDEN,
				  "requested notBefore (%s) is before the x5c certificate's "
				  "notBefore (%s)",
				  go_time(nb, s1, sizeof(s1)),
				  go_time(g->x5c_not_before, s2, sizeof(s2)));
	if (na > g->x5c_not_after)
		return err_public(err, ERR_FORBIDDEN,
				  "requested notAfter (%s) is after the x5c certificate's notAfter "
				  "(%s)",
				  go_time(na, s1, sizeof(s1)),
				  go_time(g->x5c_not_after, s2, sizeof(s2)));
	return 0;
}

struct validity {
	int64_t not_before;
	int64_t not_after;
};

/* Applies the request's notBefore/notAfter, the default duration and the backdate, then checks
 * the result against the provisioner's claims. */
static int resolve_validity(const struct authority *a, const struct token_grant *g,
			    const struct sign_request *req, struct validity *v, struct error *err)
{
	int64_t now = time_now_ns() / NS_PER_SEC * NS_PER_SEC;
	const struct claims *c = &g->prov->claims;
	int64_t backdate = a->cfg->backdate_ns, nb, na;
	bool nb_set = false, na_set = false;
	char s1[64], s2[64];

	if (time_or_duration_parse(req->not_before ? req->not_before : "", now, &nb, &nb_set,
				   err) != 0)
		return expose_invalid(err, "invalid notBefore");
	if (!nb_set)
		nb = now;
	if (time_or_duration_parse(req->not_after ? req->not_after : "", nb, &na, &na_set, err) !=
	    0)
		return expose_invalid(err, "invalid notAfter");
	if (!na_set)
		na = nb + c->default_tls_ns;
	/* X5C: by default the certificate ends when the token's certificate does. */
	if (!na_set && g->x5c_not_after != 0 && na > g->x5c_not_after)
		na = g->x5c_not_after;
	if (!nb_set)
		nb -= backdate;
	nb = nb / NS_PER_SEC * NS_PER_SEC;
	na = na / NS_PER_SEC * NS_PER_SEC;

	if (na < now)
		return err_public(err, ERR_INVALID, "notAfter cannot be in the past; na=%s",
				  go_time(na, s1, sizeof(s1)));
	if (na < nb)
		return err_public(err, ERR_INVALID,
				  "notAfter cannot be before notBefore; na=%s, nb=%s",
				  go_time(na, s1, sizeof(s1)), go_time(nb, s2, sizeof(s2)));
	if (check_x5c_window(g, nb, na, err) != 0 || validity_check_claims(a, c, nb, na, err) != 0)
		return -1;
	v->not_before = nb;
	v->not_after = na;
	return 0;
}

int validity_check_claims(const struct authority *a, const struct claims *c, int64_t nb, int64_t na,
			  struct error *err)
{
	int64_t backdate = a->cfg->backdate_ns, d = na - nb;
	char s1[64], s2[64];

	if (d < c->min_tls_ns)
		return err_public(err, ERR_FORBIDDEN,
				  "requested duration of %s is less than the authorized minimum "
				  "certificate duration of %s",
				  duration_format(d, s1, sizeof(s1)),
				  duration_format(c->min_tls_ns, s2, sizeof(s2)));
	if (d > c->max_tls_ns + backdate)
		return err_public(err, ERR_FORBIDDEN,
				  "requested duration of %s is more than the authorized maximum "
				  "certificate duration of %s",
				  duration_format(d, s1, sizeof(s1)),
				  duration_format(c->max_tls_ns + backdate, s2, sizeof(s2)));
	return 0;
}

/* Issues the leaf of grant g for csr with the token's names and validity v (the template of the
 * provisioner, or step's default for g->leaf_tpl), adds it to *txn and fills out. user is the
 * request's templateData (NULL when none). */
static int issue_leaf(struct authority *a, const struct token_grant *g, X509_REQ *csr,
		      const struct names *token_names, const struct validity *v, const json_t *user,
		      struct issued *out, struct store_txn **txn, struct error *err)
{
	struct leaf_request lr = {
	    .prov = g->prov,
	    .kind = g->leaf_tpl,
	    .csr = csr,
	    .cn = g->subject,
	    .sans = &g->sans,
	    .token = g->claims,
	    .user = user,
	    .authorization_crt = g->x5c_leaf,
	    .asn1dn = a->cfg->subject_template,
	};
	struct leaf_issue li = {
	    .req = &lr,
	    .set = g->set,
	    .not_before = v->not_before,
	    .not_after = v->not_after,
	    .cred_id = g->prov->kid,
	    .log_subject = leaf_common_name(g, token_names),
	};

	return issue_described_leaf(a, &li, out, txn, err);
}

int sign_prepare(struct authority *a, const struct sign_request *req, struct issued *out,
		 struct store_txn **txn, struct error *err)
{
	/* The token's use is recorded in the transaction of the certificate, whatever the
	 * outcome (txn_add_token below), so that commit is the replay check: no read before. */
	static const struct token_options at_commit = {.replay_at_commit = true};
	struct token_grant g = {0};
	struct names token_names = {0};
	struct validity v = {0};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*txn = NULL;
	if (token_authorize_ex(a, req->ott, OP_SIGN, &at_commit, &g, err) != 0 ||
	    check_request(req->csr, err) != 0 ||
	    request_names(req->csr, &g, &token_names, err) != 0 ||
	    resolve_validity(a, &g, req, &v, err) != 0 ||
	    policy_enforce_names(g.set, g.prov, leaf_common_name(&g, &token_names), &token_names,
				 err) != 0 ||
	    issue_leaf(a, &g, req->csr, &token_names, &v, req->template_data, out, txn, err) != 0)
		goto out;
	rc = 0;
out:
	txn_add_token(txn, g.token_id, req->ott);
	names_free(&token_names);
	token_grant_free(&g);
	return rc;
}

int sign_identity(struct authority *a, const char *ott, X509_REQ *csr, int64_t nb, int64_t na,
		  struct issued *out, struct store_txn **txn, struct error *err)
{
	struct token_options o = {.skip_replay = true};
	struct token_grant g = {0};
	struct names token_names = {0};
	struct validity v = {.not_before = nb, .not_after = na};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (token_authorize_ex(a, ott, OP_SIGN, &o, &g, err) != 0 || check_request(csr, err) != 0 ||
	    request_names(csr, &g, &token_names, err) != 0 ||
	    check_x5c_window(&g, nb, na, err) != 0 ||
	    validity_check_claims(a, &g.prov->claims, nb, na, err) != 0 ||
	    policy_enforce_names(g.set, g.prov, leaf_common_name(&g, &token_names), &token_names,
				 err) != 0 ||
	    issue_leaf(a, &g, csr, &token_names, &v, NULL, out, txn, err) != 0)
		goto out;
	rc = 0;
out:
	names_free(&token_names);
	token_grant_free(&g);
	return rc;
}
