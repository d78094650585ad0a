/* templates.c - options.x509 of a provisioner and the description of the leaf a signing request
 * gets (provisioners-and-policy.md §4.1).
 *
 * A provisioner without a template gets step's default template for its kind; its description
 * is filled here directly instead of rendering the default template's text on every request
 * (the unit tests render the texts and prove both give the same certificate). */
#include "authority/templates.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/file.h"
#include "template/template.h"

/* A template's output is a certificate description: a few KiB; bounded as step bounds nothing,
 * so that a hostile template cannot exhaust memory. */
#define TEMPLATE_OUTPUT_MAX (1024 * 1024)
#define TEMPLATE_FILE_MAX   (1024 * 1024)

static pthread_mutex_t base_lock = PTHREAD_MUTEX_INITIALIZER;
static char *base_dir;

void templates_set_base(const char *config_path)
{
	const char *env = getenv("STRIDEPATH");
	char *dir;

	if (env != NULL && *env != '\0') {
		dir = xstrdup(env);
	} else if (config_path != NULL && strchr(config_path, '/') != NULL) {
		char *slash;
		dir = xstrdup(config_path);
		*strrchr(dir, '/') = '\0'; /* <path>/config */
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		else {
			free(dir);
			dir = xstrdup(".");
		}
		if (*dir == '\0') {
			free(dir);
			dir = xstrdup("/");
		}
	} else {
		dir = xstrdup(".");
	}
	pthread_mutex_lock(&base_lock);
	free(base_dir);
	base_dir = dir;
	pthread_mutex_unlock(&base_lock);
}

static char *resolve_path(const char *path)
{
	char *out;

	if (path[0] == '/')
		return xstrdup(path);
	pthread_mutex_lock(&base_lock);
	out = xasprintf("%s/%s", base_dir != NULL ? base_dir : ".", path);
	pthread_mutex_unlock(&base_lock);
	return out;
}

void prov_template_free(struct prov_template *t)
{
	if (t == NULL)
		return;
	tpl_free(t->tpl);
	json_decref(t->data);
	free(t);
}

/* The template text of options.x509: inline, base64, or a file. *text malloc'd, NULL when none. */
static int template_text(const json_t *x509, char **text, size_t *len, struct error *err)
{
	const json_t *tv = json_object_get(x509, "template"),
		     *fv = json_object_get(x509, "templateFile");
	char *trim;

	*text = NULL;
	*len = 0;
	if (tv != NULL && !json_is_null(tv) && !json_is_string(tv))
		return err_set(err, ERR_INVALID, "options.x509.template must be a string");
	if (fv != NULL && !json_is_null(fv) && !json_is_string(fv))
		return err_set(err, ERR_INVALID, "options.x509.templateFile must be a string");
	if (json_is_string(tv) && json_string_length(tv) > 0) {
		trim = str_trim(xstrdup(json_string_value(tv)));
		if (trim[0] == '{') {
			*text = trim;
			*len = strlen(trim);
			return 0;
		}
		{
			uint8_t *dec = NULL;
			size_t n = 0;
			int rc = b64_decode(trim, strlen(trim), true, &dec, &n, NULL);
			free(trim);
			if (rc != 0)
				return err_set(err, ERR_INVALID,
					       "error decoding x509 template: illegal base64 data");
			*text = xmalloc(n + 1);
			memcpy(*text, dec, n);
			(*text)[n] = '\0';
			*len = n;
			free(dec);
			return 0;
		}
	}
	if (json_is_string(fv) && json_string_length(fv) > 0) {
		char *path = resolve_path(json_string_value(fv));
		uint8_t *data = NULL;
		size_t n = 0;
		int rc = file_read(path, TEMPLATE_FILE_MAX, &data, &n, err);

		if (rc != 0) {
			err_wrap(err, "error reading %s", path);
			free(path);
			return -1;
		}
		free(path);
		*text = xmalloc(n + 1);
		memcpy(*text, data, n);
		(*text)[n] = '\0';
		*len = n;
		free(data);
	}
	return 0;
}

int prov_x509_template_init(struct provisioner *p, struct error *err)
{
	const json_t *opts = json_object_get(p->config, "options"), *x509, *data;
	struct prov_template *t;
	char *text = NULL;
	size_t len = 0;

	if (opts == NULL || json_is_null(opts))
		return 0;
	if (!json_is_object(opts))
		return err_set(err, ERR_INVALID, "options must be an object");
	x509 = json_object_get(opts, "x509");
	if (x509 == NULL || json_is_null(x509))
		return 0;
	if (!json_is_object(x509))
		return err_set(err, ERR_INVALID, "options.x509 must be an object");
	data = json_object_get(x509, "templateData");
	if (data != NULL && !json_is_null(data) && !json_is_object(data))
		return err_set(err, ERR_INVALID,
			       "error unmarshaling template data: options.x509.templateData must "
			       "be a JSON object");
	if (template_text(x509, &text, &len, err) != 0)
		return -1;
	if (text == NULL)
		return 0; /* templateData alone: the default template does not read it */
	t = xcalloc(1, sizeof(*t));
	if (tpl_parse("template", text, len, &t->tpl, err) != 0) {
		free(text);
		free(t);
		return err_wrap(err, "invalid x509 template");
	}
	free(text);
	t->data = json_is_object(data) ? json_deep_copy(data) : NULL;
	p->x509_tpl = t;
	return 0;
}

void prov_x509_template_clear(struct provisioner *p)
{
	prov_template_free(p->x509_tpl);
	p->x509_tpl = NULL;
}

/* --- the default templates ------------------------------------------------------------- */

/* step's x509util DefaultLeafTemplate, DefaultIIDLeafTemplate and DefaultAdminLeafTemplate. */
static const char LEAF_TEMPLATE[] = "{\n"
				    "\t\"subject\": {{ toJson .Subject }},\n"
				    "\t\"sans\": {{ toJson .SANs }},\n"
				    "{{- if typeIs \"*rsa.PublicKey\" .Insecure.CR.PublicKey }}\n"
				    "\t\"keyUsage\": [\"keyEncipherment\", \"digitalSignature\"],\n"
				    "{{- else }}\n"
				    "\t\"keyUsage\": [\"digitalSignature\"],\n"
				    "{{- end }}\n"
				    "\t\"extKeyUsage\": [\"serverAuth\", \"clientAuth\"]\n"
				    "}";

static const char IID_TEMPLATE[] =
    "{\n"
    "\t\"subject\": {\"commonName\": {{ toJson .Insecure.CR.Subject.CommonName }}},\n"
    "{{- if .SANs }}\n"
    "\t\"sans\": {{ toJson .SANs }},\n"
    "{{- else }}\n"
    "\t\"dnsNames\": {{ toJson .Insecure.CR.DNSNames }},\n"
    "\t\"emailAddresses\": {{ toJson .Insecure.CR.EmailAddresses }},\n"
    "\t\"ipAddresses\": {{ toJson .Insecure.CR.IPAddresses }},\n"
    "\t\"uris\": {{ toJson .Insecure.CR.URIs }},\n"
    "{{- end }}\n"
    "{{- if typeIs \"*rsa.PublicKey\" .Insecure.CR.PublicKey }}\n"
    "\t\"keyUsage\": [\"keyEncipherment\", \"digitalSignature\"],\n"
    "{{- else }}\n"
    "\t\"keyUsage\": [\"digitalSignature\"],\n"
    "{{- end }}\n"
    "\t\"extKeyUsage\": [\"serverAuth\", \"clientAuth\"]\n"
    "}";

static const char ADMIN_TEMPLATE[] =
    "{\n"
    "\t\"subject\": {{ toJson .Insecure.CR.Subject }},\n"
    "\t\"dnsNames\": {{ toJson .Insecure.CR.DNSNames }},\n"
    "\t\"emailAddresses\": {{ toJson .Insecure.CR.EmailAddresses }},\n"
    "\t\"ipAddresses\": {{ toJson .Insecure.CR.IPAddresses }},\n"
    "\t\"uris\": {{ toJson .Insecure.CR.URIs }},\n"
    "{{- if typeIs \"*rsa.PublicKey\" .Insecure.CR.PublicKey }}\n"
    "\t\"keyUsage\": [\"keyEncipherment\", \"digitalSignature\"],\n"
    "{{- else }}\n"
    "\t\"keyUsage\": [\"digitalSignature\"],\n"
    "{{- end }}\n"
    "\t\"extKeyUsage\": [\"serverAuth\", \"clientAuth\"]\n"
    "}";

const char *x509_default_template(enum leaf_template kind)
{
	switch (kind) {
	case LEAF_TPL_IID:
		return IID_TEMPLATE;
	case LEAF_TPL_ADMIN:
		return ADMIN_TEMPLATE;
	default:
		return LEAF_TEMPLATE;
	}
}

/* x509util's CreateSANs: each name typed as step classifies it. */
static void add_sans(struct x509_desc *d, const struct strv *sans)
{
	d->sans = xcalloc(sans->n + 1, sizeof(*d->sans));
	for (size_t i = 0; i < sans->n; i++) {
		struct names one = {0};
		const char *t = "dns";
		const struct strv *v = &one.dns;

		names_add_san(&one, sans->v[i]);
		if (one.ip.n > 0)
			t = "ip", v = &one.ip;
		else if (one.uri.n > 0)
			t = "uri", v = &one.uri;
		else if (one.email.n > 0)
			t = "email", v = &one.email;
		d->sans[d->n_sans].type = xstrdup(t);
		d->sans[d->n_sans].value = xstrdup(v->n > 0 ? v->v[0] : sans->v[i]);
		d->n_sans++;
		names_free(&one);
	}
}

static void copy_strv(struct strv *to, const struct strv *from)
{
	for (size_t i = 0; i < from->n; i++)
		strv_push(to, from->v[i]);
}

/* Fills d as the default template of r->kind renders (key usages by key type). */
static int default_description(const struct leaf_request *r, struct x509_desc *d, struct error *err)
{
	EVP_PKEY *key = X509_REQ_get0_pubkey(r->csr);
	struct names csr = {0};
	int rc = -1;

	if (r->kind == LEAF_TPL_LEAF) {
		d->subject.common_name = xstrdup(r->cn);
		add_sans(d, r->sans);
	} else {
		if (csr_names(r->csr, &csr, err) != 0) {
			err_reclassify(err, ERR_INVALID, true);
			goto out;
		}
		if (r->kind == LEAF_TPL_ADMIN) {
			if (x509_name_desc_from_x509(X509_REQ_get_subject_name(r->csr), &d->subject,
						     err) != 0)
				goto out;
		} else {
			d->subject.common_name = xstrdup(csr.cn);
		}
		if (r->kind == LEAF_TPL_IID && r->sans != NULL && r->sans->n > 0) {
			add_sans(d, r->sans);
		} else {
			copy_strv(&d->names.dns, &csr.dns);
			copy_strv(&d->names.email, &csr.email);
			copy_strv(&d->names.ip, &csr.ip);
			copy_strv(&d->names.uri, &csr.uri);
		}
	}
	d->key_usage = X509_KU_DIGITAL_SIGNATURE;
	if (key != NULL && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		d->key_usage |= X509_KU_KEY_ENCIPHERMENT;
	strv_push(&d->eku_oids, "1.3.6.1.5.5.7.3.1");
	strv_push(&d->eku_oids, "1.3.6.1.5.5.7.3.2");
	rc = 0;
out:
	names_free(&csr);
	return rc;
}

int x509_render(const struct tpl *t, const json_t *data, struct x509_desc **out, struct error *err)
{
	struct buf b;
	int rc;

	*out = NULL;
	buf_init(&b, TEMPLATE_OUTPUT_MAX);
	if (tpl_execute(t, data, &b, err) != 0) {
		buf_free(&b);
		if (err != NULL && err->kind == ERR_INVALID) {
			/* fail "msg": a 400 with the message, in step-ca 0.19's form
			 * ("The request could not be completed: msg.") as for SSH templates */
			return err_reclassify(err, ERR_INVALID, true);
		}
		return err_reclassify(err, ERR_INTERNAL, false);
	}
	rc = x509_desc_parse(b.data != NULL ? (const char *)b.data : "", b.len, out, err);
	buf_free(&b);
	if (rc != 0) {
		err_wrap(err, "error unmarshaling certificate");
		err_reclassify(err, ERR_INTERNAL, false);
		/* step-ca answers a description it cannot decode with this message */
		err_public(err, ERR_INTERNAL, "error applying certificate template");
		err_set_verbatim(err);
	}
	return rc;
}

int leaf_description(const struct leaf_request *r, struct x509_desc **out, struct error *err)
{
	const struct prov_template *t = r->prov != NULL ? r->prov->x509_tpl : NULL;
	struct x509_desc *d;
	json_t *data;
	int rc;

	*out = NULL;
	if (t == NULL) {
		d = x509_desc_new();
		if (default_description(r, d, err) != 0) {
			x509_desc_free(d);
			return -1;
		}
		*out = d;
		return 0;
	}
	data = x509_template_data(r, t->data);
	rc = x509_render(t->tpl, data, out, err);
	json_decref(data);
	return rc;
}

/* --- authority.template ------------------------------------------------------------------ */

static void default_attr(struct strv *v, const json_t *asn1dn, const char *key)
{
	const json_t *j = json_object_get(asn1dn, key), *item;
	size_t i;

	if (v->n > 0)
		return;
	if (json_is_string(j) && json_string_length(j) > 0) {
		strv_push(v, json_string_value(j));
		return;
	}
	json_array_foreach(j, i, item)
	{
		if (json_is_string(item))
			strv_push(v, json_string_value(item));
	}
}

void x509_desc_apply_asn1dn(struct x509_desc *d, const json_t *asn1dn)
{
	const char *sn;

	if (!json_is_object(asn1dn) || d->raw_subject != NULL)
		return;
	default_attr(&d->subject.country, asn1dn, "country");
	default_attr(&d->subject.organization, asn1dn, "organization");
	default_attr(&d->subject.unit, asn1dn, "organizationalUnit");
	default_attr(&d->subject.locality, asn1dn, "locality");
	default_attr(&d->subject.province, asn1dn, "province");
	default_attr(&d->subject.street, asn1dn, "streetAddress");
	if ((d->subject.common_name == NULL || d->subject.common_name[0] == '\0') &&
	    json_string_length(json_object_get(asn1dn, "commonName")) > 0) {
		free(d->subject.common_name);
		d->subject.common_name =
		    xstrdup(json_string_value(json_object_get(asn1dn, "commonName")));
	}
	sn = json_string_value(json_object_get(asn1dn, "serialNumber"));
	if ((d->subject.serial_number == NULL || d->subject.serial_number[0] == '\0') &&
	    sn != NULL && *sn != '\0') {
		free(d->subject.serial_number);
		d->subject.serial_number = xstrdup(sn);
	}
}
