/* templates.h - provisioner certificate templates (options.x509) and the X.509 leaf description
 * of a signing request (provisioners-and-policy.md §4.1). Internal to src/authority/. */
#ifndef STRIDE_AUTHORITY_TEMPLATES_H
#define STRIDE_AUTHORITY_TEMPLATES_H

#include <jansson.h>
#include <openssl/x509.h>

#include "authority/internal.h"
#include "crypto/x509desc.h"

struct tpl;

/* A provisioner's compiled template and its options templateData (a JSON object or NULL). */
struct prov_template {
	struct tpl *tpl;
	json_t *data;
};
void prov_template_free(struct prov_template *t);

/* The directory relative templateFile paths resolve against: $STRIDEPATH when set, else the
 * step path ca.json lives in (<path>/config/ca.json); config_path may be NULL (then "."). */
void templates_set_base(const char *config_path);

/* Reads options.x509 of p's configuration: "template" (inline JSON when it starts with '{'
 * after trimming, else base64 of it), else "templateFile"; "templateData" (an object). The
 * template is compiled now: an invalid one refuses the provisioner. p->x509_tpl stays NULL
 * when there is none. */
int prov_x509_template_init(struct provisioner *p, struct error *err);
void prov_x509_template_clear(struct provisioner *p);

/* What the leaf of one signing request is made of. */
struct leaf_request {
	const struct provisioner *prov;
	enum leaf_template kind; /* the default template, when prov has no custom one */
	X509_REQ *csr;
	const char *cn;		 /* .Subject.CommonName */
	const struct strv *sans; /* .SANs, classified as step's CreateSANs does */
	const json_t *token;	 /* .Token (the claims), or NULL */
	const json_t *user;	 /* the request's templateData (.Insecure.User), or NULL */
	X509 *authorization_crt; /* .AuthorizationCrt (the X5C leaf), or NULL */
	const json_t *asn1dn;	 /* authority.template (defaults of the subject), or NULL */
};

/* The description of the leaf: the provisioner's template rendered and decoded, or step's
 * default template for r->kind (filled directly; the same description the default templates
 * render, see x509_default_template). Errors are step-ca's: `fail` -> 400 with its message,
 * output that is not a valid description -> 500 "error applying certificate template", other
 * execution errors -> 500. */
int leaf_description(const struct leaf_request *r, struct x509_desc **out, struct error *err);

/* One leaf to issue (leaf.c): the request, the snapshot its provisioner belongs to (policies),
 * the validity the CA computed, the provisioner extension's credential id, the subject the
 * request log shows. */
struct leaf_issue {
	const struct leaf_request *req;
	const struct prov_set *set;
	int64_t not_before, not_after;
	const char *cred_id;
	const char *log_subject;
};
/* Describes, checks (template validity against the claims, a custom template's names against
 * the policies), builds and signs the leaf, adds it to *txn (created if NULL), fills out. */
int issue_described_leaf(struct authority *a, const struct leaf_issue *li, struct issued *out,
			 struct store_txn **txn, struct error *err);

/* step's default leaf templates, as text. */
const char *x509_default_template(enum leaf_template kind);
/* The data a template sees for r (a new reference). */
json_t *x509_template_data(const struct leaf_request *r, const json_t *options_data);
/* Renders template t over data and decodes the description. */
int x509_render(const struct tpl *t, const json_t *data, struct x509_desc **out, struct error *err);
/* Applies authority.template (step-ca's default ASN.1 DN): every attribute the subject lacks. */
void x509_desc_apply_asn1dn(struct x509_desc *d, const json_t *asn1dn);

#endif
