/* cert_tpl.c - the fields of an SSH certificate from the provisioner's template (ssh.md §3):
 * step-ca evaluates a template for every certificate it signs, its default one when the
 * provisioner has none, and decodes the JSON description it renders.
 *
 * Without options.ssh the default templates' output is known in advance, so the fields are set
 * directly (the same certificate, without a template evaluation per request); a test compares
 * both paths byte for byte.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/str.h"
#include "sshca/internal.h"
#include "template/template.h"

/* The largest description a template may render. */
#define SSHCA_DESC_MAX (256 * 1024)

/* step-ca's default templates (sshutil), rendering the same JSON. */
static const char *const default_texts[] = {
    [SSHCA_TPL_DEFAULT] = "{\n"
			  "  \"type\": {{ toJson .Type }},\n"
			  "  \"keyId\": {{ toJson .KeyID }},\n"
			  "  \"principals\": {{ toJson .Principals }},\n"
			  "  \"extensions\": {{ toJson .Extensions }},\n"
			  "  \"criticalOptions\": {{ toJson .CriticalOptions }}\n"
			  "}",
    [SSHCA_TPL_ADMIN] = "{\n"
			"  \"type\": {{ toJson .Insecure.CR.Type }},\n"
			"  \"keyId\": {{ toJson .Insecure.CR.KeyID }},\n"
			"  \"principals\": {{ toJson .Insecure.CR.Principals }}\n"
			"{{- if eq .Insecure.CR.Type \"user\" }},\n"
			"  \"extensions\": {{ toJson .Extensions }},\n"
			"  \"criticalOptions\": {{ toJson .CriticalOptions }}\n"
			"{{- end }}\n"
			"}",
    [SSHCA_TPL_CR] = "{\n"
		     "  \"type\": {{ toJson .Insecure.CR.Type }},\n"
		     "  \"keyId\": {{ toJson .Insecure.CR.KeyID }},\n"
		     "  \"principals\": {{ toJson .Insecure.CR.Principals }}\n"
		     "{{- if eq .Insecure.CR.Type \"user\" }},\n"
		     "  \"extensions\": {\"permit-X11-forwarding\": \"\", "
		     "\"permit-agent-forwarding\": \"\", \"permit-port-forwarding\": \"\", "
		     "\"permit-pty\": \"\", \"permit-user-rc\": \"\"}\n"
		     "{{- end }}\n"
		     "}",
};

static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;
static struct tpl *defaults[3];

static void compile_defaults(void)
{
	for (int k = 0; k < 3; k++)
		if (tpl_parse("template", default_texts[k], strlen(default_texts[k]), &defaults[k],
			      NULL) != 0)
			defaults[k] = NULL;
}

const char *sshca_default_template_text(enum sshca_tpl_kind kind)
{
	return default_texts[kind];
}

/* The Go type name of a parsed SSH public key (golang.org/x/crypto/ssh), for typeOf. */
static const char *go_key_type(enum ssh_key_type t)
{
	switch (t) {
	case SSH_KEY_ED25519:
		return "ssh.ed25519PublicKey";
	case SSH_KEY_ECDSA_P256:
	case SSH_KEY_ECDSA_P384:
	case SSH_KEY_ECDSA_P521:
		return "*ssh.ecdsaPublicKey";
	case SSH_KEY_RSA:
		return "*ssh.rsaPublicKey";
	case SSH_KEY_DSA:
		return "*ssh.dsaPublicKey";
	case SSH_KEY_SK_ECDSA:
		return "*ssh.skECDSAPublicKey";
	case SSH_KEY_SK_ED25519:
		return "*ssh.skEd25519PublicKey";
	default:
		return "ssh.PublicKey";
	}
}

static json_t *strv_json(const struct strv *v)
{
	json_t *a;

	if (v == NULL)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

json_t *sshca_template_data(const struct ssh_prov_template *pt, const struct sshca_tpl_input *in)
{
	json_t *data = json_object(), *cr, *key, *insecure;

	json_object_set_new(data, "Type", json_string(in->type == SSH_CERT_HOST ? "host" : "user"));
	json_object_set_new(data, "KeyID", json_string(in->key_id != NULL ? in->key_id : ""));
	json_object_set_new(data, "Principals", strv_json(in->principals));
	if (in->type == SSH_CERT_USER)
		json_object_set_new(data, "Extensions",
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "permit-X11-forwarding",
					      "", "permit-agent-forwarding", "",
					      "permit-port-forwarding", "", "permit-pty", "",
					      "permit-user-rc", ""));
	else
		json_object_set_new(data, "Extensions", json_null());
	if (in->token != NULL)
		json_object_set(data, "Token", (json_t *)in->token);
	/* step-ca merges options.ssh.templateData over the variables it made */
	if (pt != NULL && pt->data != NULL)
		json_object_update(data, pt->data);

	key = json_object();
	json_object_set_new(key, "@type", json_string(go_key_type(in->key->type)));
	json_object_set_new(key, "Type",
			    json_string(ssh_key_type_name(in->key->type) != NULL
					    ? ssh_key_type_name(in->key->type)
					    : ""));
	cr = json_object();
	json_object_set_new(cr, "@type", json_string("sshutil.CertificateRequest"));
	json_object_set_new(cr, "Key", key);
	json_object_set_new(cr, "Type", json_string(in->cr_type != NULL ? in->cr_type : ""));
	json_object_set_new(cr, "KeyID", json_string(in->cr_key_id != NULL ? in->cr_key_id : ""));
	json_object_set_new(cr, "Principals", strv_json(in->cr_principals));
	insecure = json_object();
	/* the request's templateData reaches only a provisioner's own template; what is not an
	 * object is an empty one (step-ca) */
	if (pt != NULL && pt->tpl != NULL && in->user_data != NULL)
		json_object_set_new(insecure, "User",
				    json_is_object(in->user_data) ? json_deep_copy(in->user_data)
								  : json_object());
	json_object_set_new(insecure, "CR", cr);
	json_object_set_new(data, "Insecure", insecure);
	return data;
}

/* The request's certificate type as CertType decodes it (the admin and request templates). */
static int cr_type(const char *s, enum ssh_cert_type *out, struct error *err)
{
	if (s != NULL && str_eq_nocase(s, "user"))
		*out = SSH_CERT_USER;
	else if (s != NULL && str_eq_nocase(s, "host"))
		*out = SSH_CERT_HOST;
	else
		return err_public(err, ERR_INTERNAL, SSHCA_TEMPLATE_ERROR);
	return 0;
}

/* What the default template of in->kind renders, set directly. */
static int from_defaults(const struct sshca_tpl_input *in, struct ssh_cert *c, struct error *err)
{
	const struct strv *p = in->kind == SSHCA_TPL_DEFAULT ? in->principals : in->cr_principals;

	if (in->kind == SSHCA_TPL_DEFAULT) {
		c->type = in->type;
		c->key_id = xstrdup(in->key_id != NULL ? in->key_id : "");
	} else {
		if (cr_type(in->cr_type, &c->type, err) != 0)
			return -1;
		c->key_id = xstrdup(in->cr_key_id != NULL ? in->cr_key_id : "");
	}
	for (size_t i = 0; p != NULL && i < p->n; i++)
		strv_push(&c->principals, p->v[i]);
	if (c->type == SSH_CERT_USER)
		ssh_cert_default_user_extensions(c);
	return 0;
}

int sshca_cert_from_template(const struct ssh_prov_template *pt, const struct sshca_tpl_input *in,
			     struct ssh_cert *c, struct error *err)
{
	const struct tpl *t = pt != NULL ? pt->tpl : NULL;
	struct buf out;
	json_t *data;
	int rc;

	if (t == NULL && (pt == NULL || !pt->data_overrides)) {
		rc = from_defaults(in, c, err);
	} else {
		if (t == NULL) {
			pthread_once(&defaults_once, compile_defaults);
			t = defaults[in->kind];
			if (t == NULL)
				return err_set(err, ERR_INTERNAL,
					       "default ssh template unavailable");
		}
		data = sshca_template_data(pt, in);
		buf_init(&out, SSHCA_DESC_MAX);
		rc = tpl_execute(t, data, &out, err);
		json_decref(data);
		/* step-ca: `fail` is a 400 with its message; any other failure a 500 */
		if (rc == 0)
			rc = sshca_desc_apply(out.data != NULL ? (const char *)out.data : "",
					      out.len, c, err);
		buf_free(&out);
	}
	if (rc == 0)
		ssh_pubkey_copy(&c->key, in->key);
	return rc;
}
