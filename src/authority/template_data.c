/* template_data.c - what an X.509 template sees (step's x509util TemplateData): .Subject,
 * .SANs, .Token, .Insecure.CR, .Insecure.User, .AuthorizationCrt and the options' templateData.
 *
 * Go values are objects keyed by their Go field names; "@type" names their Go type and "@json"
 * holds what toJson writes for them (template.h). */
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "authority/templates.h"
#include "base/b64.h"
#include "base/duration.h"
#include "crypto/cert.h"

static json_t *str_array(const struct strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

/* A MultiString member of step's JSON: omitted when empty (omitempty). */
static void set_multi(json_t *o, const char *key, const struct strv *v)
{
	if (v->n > 0)
		json_object_set_new(o, key, str_array(v));
}

/* step's Subject (Name): Go fields, toJson with its JSON tags and omitempty. */
static json_t *subject_obj(const struct x509_name_desc *n)
{
	json_t *o = json_object(), *j = json_object(), *extra = json_array(),
	       *jextra = json_array();

	json_object_set_new(o, "Country", str_array(&n->country));
	json_object_set_new(o, "Organization", str_array(&n->organization));
	json_object_set_new(o, "OrganizationalUnit", str_array(&n->unit));
	json_object_set_new(o, "Locality", str_array(&n->locality));
	json_object_set_new(o, "Province", str_array(&n->province));
	json_object_set_new(o, "StreetAddress", str_array(&n->street));
	json_object_set_new(o, "PostalCode", str_array(&n->postal_code));
	json_object_set_new(o, "SerialNumber",
			    json_string(n->serial_number != NULL ? n->serial_number : ""));
	json_object_set_new(o, "CommonName",
			    json_string(n->common_name != NULL ? n->common_name : ""));
	for (size_t i = 0; i < n->n_extra; i++) {
		json_t *v = n->extra[i].is_int ? json_integer(n->extra[i].ival)
					       : json_string(n->extra[i].value);
		json_array_append_new(extra, json_pack("{s:s,s:O,s:{s:s,s:O}}", "Type",
						       n->extra[i].oid, "Value", v, "@json", "type",
						       n->extra[i].oid, "value", v));
		json_array_append_new(jextra,
				      json_pack("{s:s,s:O}", "type", n->extra[i].oid, "value", v));
		json_decref(v);
	}
	json_object_set_new(o, "ExtraNames", extra);
	set_multi(j, "country", &n->country);
	set_multi(j, "organization", &n->organization);
	set_multi(j, "organizationalUnit", &n->unit);
	set_multi(j, "locality", &n->locality);
	set_multi(j, "province", &n->province);
	set_multi(j, "streetAddress", &n->street);
	set_multi(j, "postalCode", &n->postal_code);
	if (n->serial_number != NULL && n->serial_number[0] != '\0')
		json_object_set_new(j, "serialNumber", json_string(n->serial_number));
	if (n->common_name != NULL && n->common_name[0] != '\0')
		json_object_set_new(j, "commonName", json_string(n->common_name));
	if (json_array_size(jextra) > 0)
		json_object_set(j, "extraNames", jextra);
	json_decref(jextra);
	json_object_set_new(o, "@type", json_string("x509util.Subject"));
	json_object_set_new(o, "@json", j);
	return o;
}

/* x509util's CreateSANs: [{"Type","Value"}], toJson {"type","value"}. */
static json_t *sans_obj(const struct strv *sans)
{
	json_t *a = json_array();

	for (size_t i = 0; sans != NULL && i < sans->n; i++) {
		struct names one = {0};
		const char *t = "dns", *v = sans->v[i];

		names_add_san(&one, sans->v[i]);
		if (one.ip.n > 0)
			t = "ip", v = one.ip.v[0];
		else if (one.uri.n > 0)
			t = "uri";
		else if (one.email.n > 0)
			t = "email";
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "Type", t, "Value",
						   v, "@type", "x509util.SubjectAlternativeName",
						   "@json", "type", t, "value", v));
		names_free(&one);
	}
	return a;
}

/* The public key as the Go value step puts in .Insecure.CR.PublicKey. */
static json_t *public_key_obj(EVP_PKEY *key, const char **algorithm)
{
	json_t *o = json_object();
	int id = key != NULL ? EVP_PKEY_get_base_id(key) : NID_undef;

	if (id == EVP_PKEY_EC) {
		char curve[64] = "";
		size_t n = 0;
		EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof(curve), &n);
		const char *name = strcmp(curve, "prime256v1") == 0  ? "P-256"
				   : strcmp(curve, "secp384r1") == 0 ? "P-384"
				   : strcmp(curve, "secp521r1") == 0 ? "P-521"
								     : curve;
		json_object_set_new(o, "@type", json_string("*ecdsa.PublicKey"));
		json_object_set_new(o, "Curve",
				    json_pack("{s:{s:s,s:i}}", "Params", "Name", name, "BitSize",
					      EVP_PKEY_get_bits(key)));
		*algorithm = "ECDSA";
	} else if (id == EVP_PKEY_RSA) {
		json_object_set_new(o, "@type", json_string("*rsa.PublicKey"));
		json_object_set_new(o, "Size", json_integer(EVP_PKEY_get_size(key)));
		json_object_set_new(o, "E", json_integer(65537));
		*algorithm = "RSA";
	} else {
		json_object_set_new(o, "@type", json_string("ed25519.PublicKey"));
		*algorithm = "Ed25519";
	}
	return o;
}

/* .Insecure.CR: step's x509util CertificateRequest of the CSR. */
static json_t *cr_obj(X509_REQ *csr)
{
	struct x509_name_desc subj = {0};
	struct names n = {0};
	json_t *o = json_object(), *j = json_object(), *s;
	const char *alg = "";
	unsigned char *der = NULL;
	int len;

	csr_names(csr, &n, NULL);
	x509_name_desc_from_x509(X509_REQ_get_subject_name(csr), &subj, NULL);
	s = subject_obj(&subj);
	json_object_set_new(o, "Version", json_integer(0));
	json_object_set(o, "Subject", s);
	json_object_set_new(o, "DNSNames", str_array(&n.dns));
	json_object_set_new(o, "EmailAddresses", str_array(&n.email));
	json_object_set_new(o, "IPAddresses", str_array(&n.ip));
	json_object_set_new(o, "URIs", str_array(&n.uri));
	json_object_set_new(o, "PublicKey", public_key_obj(X509_REQ_get0_pubkey(csr), &alg));
	json_object_set_new(o, "PublicKeyAlgorithm", json_string(alg));
	json_object_set_new(j, "version", json_integer(0));
	json_object_set(j, "subject", json_object_get(s, "@json"));
	len = i2d_X509_NAME(X509_REQ_get_subject_name(csr), &der);
	if (len > 0) {
		char *b = b64_encode(der, (size_t)len);
		json_object_set_new(j, "rawSubject", json_string(b));
		free(b);
	}
	OPENSSL_free(der);
	json_object_set_new(j, "dnsNames", n.dns.n ? str_array(&n.dns) : json_null());
	json_object_set_new(j, "emailAddresses", n.email.n ? str_array(&n.email) : json_null());
	json_object_set_new(j, "ipAddresses", n.ip.n ? str_array(&n.ip) : json_null());
	json_object_set_new(j, "uris", n.uri.n ? str_array(&n.uri) : json_null());
	json_object_set_new(j, "sans", json_null());
	json_object_set_new(j, "keyUsage", json_null());
	json_object_set_new(j, "extKeyUsage", json_array());
	json_object_set_new(j, "unknownExtKeyUsage", json_null());
	json_object_set_new(j, "basicConstraints", json_null());
	json_object_set_new(o, "@type", json_string("*x509util.CertificateRequest"));
	json_object_set_new(o, "@json", j);
	json_decref(s);
	names_free(&n);
	x509_name_desc_clear(&subj);
	return o;
}

static json_t *time_str(int64_t ns)
{
	char buf[64];

	return json_string(time_format_rfc3339(ns, buf, sizeof(buf)));
}

/* .AuthorizationCrt: the X5C leaf as Go's x509.Certificate fields templates use. */
static json_t *crt_obj(X509 *crt)
{
	struct x509_name_desc subj = {0}, iss = {0};
	struct names n = {0};
	json_t *o = json_object(), *s, *i;
	char *serial = cert_serial_decimal(crt);

	cert_names(crt, &n, NULL);
	x509_name_desc_from_x509(X509_get_subject_name(crt), &subj, NULL);
	x509_name_desc_from_x509(X509_get_issuer_name(crt), &iss, NULL);
	s = subject_obj(&subj);
	i = subject_obj(&iss);
	json_object_set_new(o, "Subject", s);
	json_object_set_new(o, "Issuer", i);
	json_object_set_new(o, "SerialNumber", json_string(serial != NULL ? serial : ""));
	json_object_set_new(o, "DNSNames", str_array(&n.dns));
	json_object_set_new(o, "EmailAddresses", str_array(&n.email));
	json_object_set_new(o, "IPAddresses", str_array(&n.ip));
	json_object_set_new(o, "URIs", str_array(&n.uri));
	json_object_set_new(o, "NotBefore", time_str(cert_not_before_ns(crt)));
	json_object_set_new(o, "NotAfter", time_str(cert_not_after_ns(crt)));
	json_object_set_new(o, "@type", json_string("*x509.Certificate"));
	free(serial);
	names_free(&n);
	x509_name_desc_clear(&subj);
	x509_name_desc_clear(&iss);
	return o;
}

json_t *x509_template_data(const struct leaf_request *r, const json_t *options_data)
{
	json_t *d = json_object(), *insecure = json_object();
	struct x509_name_desc subj = {0};
	const char *k;
	json_t *v;

	subj.common_name = (char *)(r->cn != NULL ? r->cn : "");
	json_object_set_new(d, "Subject", subject_obj(&subj));
	json_object_set_new(d, "SANs", sans_obj(r->sans));
	if (r->token != NULL)
		json_object_set(d, "Token", (json_t *)r->token);
	if (r->authorization_crt != NULL)
		json_object_set_new(d, "AuthorizationCrt", crt_obj(r->authorization_crt));
	/* step-ca: the options' templateData is decoded over the data, then the request's */
	json_object_foreach((json_t *)options_data, k, v)
	{
		json_object_set(d, k, v);
	}
	json_object_set_new(insecure, "CR", cr_obj(r->csr));
	/* step-ca: a request templateData that is not an object gives an empty one */
	if (r->user != NULL && json_is_object(r->user))
		json_object_set(insecure, "User", (json_t *)r->user);
	else if (r->user != NULL)
		json_object_set_new(insecure, "User", json_object());
	json_object_set_new(d, "Insecure", insecure);
	return d;
}
