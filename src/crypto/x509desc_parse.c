/* x509desc_parse.c - the JSON certificate description, decoded as step's x509util decodes it
 * with Go's encoding/json: member names matched case-insensitively, null meaning absent,
 * string-or-array members, []byte members in standard base64. */
#include <ctype.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "crypto/x509desc.h"

/* The member key of obj, exact first, else case-insensitive (Go's decoder); NULL when absent or
 * null. */
static const json_t *member(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	const char *k;
	json_t *val;

	if (v == NULL) {
		json_object_foreach((json_t *)obj, k, val)
		{
			if (str_eq_nocase(k, key)) {
				v = val;
				break;
			}
		}
	}
	return json_is_null(v) ? NULL : v;
}

static int bad(struct error *err, const char *field, const char *what)
{
	return err_set(err, ERR_INVALID, "error unmarshaling json: %s %s", field, what);
}

/* MultiString: a string or an array of strings. */
static int multi_string(const json_t *v, const char *field, struct strv *out, struct error *err)
{
	size_t i;
	json_t *item;

	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		strv_push(out, json_string_value(v));
		return 0;
	}
	if (!json_is_array(v))
		return bad(err, field, "must be a string or an array of strings");
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return bad(err, field, "must be a string or an array of strings");
		strv_push(out, json_string_value(item));
	}
	return 0;
}

static int string_member(const json_t *obj, const char *key, char **out, struct error *err)
{
	const json_t *v = member(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return bad(err, key, "must be a string");
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* A dotted object identifier as Go's parseObjectIdentifier accepts it: at least two arcs. */
static bool oid_valid(const char *s)
{
	int arcs = 0;
	const char *p = s;

	if (*p == '\0')
		return false;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		arcs++;
		if (*p == '.') {
			p++;
			if (*p == '\0')
				return false;
		}
	}
	return arcs >= 2 && strlen(s) < 200;
}

static int multi_oid(const json_t *v, const char *field, struct strv *out, struct error *err)
{
	size_t start = out->n;

	if (multi_string(v, field, out, err) != 0)
		return -1;
	for (size_t i = start; i < out->n; i++)
		if (!oid_valid(out->v[i]))
			return err_set(err, ERR_INVALID, "error unmarshaling json: invalid oid %s",
				       out->v[i]);
	return 0;
}

/* A []byte member: standard base64. */
static int bytes_member(const json_t *v, const char *field, uint8_t **out, size_t *len,
			struct error *err)
{
	const char *s;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return bad(err, field, "must be a base64 string");
	s = json_string_value(v);
	free(*out);
	*out = NULL;
	*len = 0;
	if (b64_decode(s, strlen(s), true, out, len, NULL) != 0)
		return bad(err, field, "is not valid base64");
	return 0;
}

void x509_name_desc_clear(struct x509_name_desc *n)
{
	strv_free(&n->country);
	strv_free(&n->province);
	strv_free(&n->locality);
	strv_free(&n->street);
	strv_free(&n->postal_code);
	strv_free(&n->organization);
	strv_free(&n->unit);
	free(n->common_name);
	free(n->serial_number);
	for (size_t i = 0; i < n->n_extra; i++) {
		free(n->extra[i].oid);
		free(n->extra[i].value);
	}
	free(n->extra);
	memset(n, 0, sizeof(*n));
}

static int extra_names(const json_t *v, struct x509_name_desc *n, struct error *err)
{
	size_t i;
	json_t *item;

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return bad(err, "extraNames", "must be an array");
	n->extra = xcalloc(json_array_size(v) + 1, sizeof(*n->extra));
	json_array_foreach(v, i, item)
	{
		const json_t *t = member(item, "type"), *val = member(item, "value");
		struct x509_dn_attr *a = &n->extra[n->n_extra];

		if (!json_is_object(item) || !json_is_string(t) || !oid_valid(json_string_value(t)))
			return bad(err, "extraNames", "must have an object identifier type");
		if (json_is_string(val)) {
			a->value = xstrdup(json_string_value(val));
		} else if (json_is_integer(val)) {
			a->is_int = true;
			a->ival = json_integer_value(val);
		} else {
			return bad(err, "extraNames", "value must be a string or an integer");
		}
		a->oid = xstrdup(json_string_value(t));
		n->n_extra++;
	}
	return 0;
}

/* step's Name: a string is the common name; else an object. */
static int name_parse(const json_t *v, const char *field, struct x509_name_desc *n,
		      struct error *err)
{
	if (v == NULL)
		return 0;
	x509_name_desc_clear(n);
	if (json_is_string(v)) {
		n->common_name = xstrdup(json_string_value(v));
		return 0;
	}
	if (!json_is_object(v))
		return bad(err, field, "must be a string or an object");
	if (multi_string(member(v, "country"), "country", &n->country, err) != 0 ||
	    multi_string(member(v, "organization"), "organization", &n->organization, err) != 0 ||
	    multi_string(member(v, "organizationalUnit"), "organizationalUnit", &n->unit, err) !=
		0 ||
	    multi_string(member(v, "locality"), "locality", &n->locality, err) != 0 ||
	    multi_string(member(v, "province"), "province", &n->province, err) != 0 ||
	    multi_string(member(v, "streetAddress"), "streetAddress", &n->street, err) != 0 ||
	    multi_string(member(v, "postalCode"), "postalCode", &n->postal_code, err) != 0 ||
	    string_member(v, "serialNumber", &n->serial_number, err) != 0 ||
	    string_member(v, "commonName", &n->common_name, err) != 0 ||
	    extra_names(member(v, "extraNames"), n, err) != 0)
		return -1;
	return 0;
}

/* Go's big.Int SetString(s, 0) for the forms templates use: decimal or 0x hex, optional sign
 * (a negative serial is refused later, as Go's CreateCertificate does). */
static int serial_parse(const json_t *v, char **out, struct error *err)
{
	const char *s, *p;

	if (v == NULL)
		return 0;
	free(*out);
	*out = NULL;
	if (json_is_integer(v)) {
		*out = xasprintf("%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v))
		return bad(err, "serialNumber", "must be a string or an integer");
	s = json_string_value(v);
	p = s + (*s == '-' || *s == '+');
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		if (*p == '\0' || strspn(p, "0123456789abcdefABCDEF") != strlen(p))
			goto invalid;
	} else if (*p == '\0' || strspn(p, "0123456789") != strlen(p)) {
		goto invalid;
	}
	if (strlen(s) > 100)
		goto invalid;
	*out = xstrdup(s);
	return 0;
invalid:
	return err_set(err, ERR_INVALID, "error unmarshaling json: serialNumber %s is not valid",
		       s);
}

/* time.Time: RFC 3339; Go's zero time counts as not set. */
static int time_member(const json_t *v, const char *field, int64_t *out, struct error *err)
{
	const char *s;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return bad(err, field, "must be an RFC 3339 time");
	s = json_string_value(v);
	if (strcmp(s, "0001-01-01T00:00:00Z") == 0) {
		*out = 0;
		return 0;
	}
	if (time_parse_rfc3339(s, out, NULL) != 0 || *out == 0)
		return bad(err, field, "must be an RFC 3339 time");
	return 0;
}

static int sans_parse(const json_t *v, struct x509_desc *d, struct error *err)
{
	size_t i;
	json_t *item;

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return bad(err, "sans", "must be an array");
	d->sans = xcalloc(json_array_size(v) + 1, sizeof(*d->sans));
	json_array_foreach(v, i, item)
	{
		struct x509_san_desc *s = &d->sans[d->n_sans];
		const json_t *asn1;

		if (!json_is_object(item))
			return bad(err, "sans", "must be an array of objects");
		d->n_sans++;
		if (string_member(item, "type", &s->type, err) != 0 ||
		    string_member(item, "value", &s->value, err) != 0)
			return -1;
		asn1 = member(item, "asn1Value");
		if (asn1 != NULL)
			s->asn1_value = json_dumps(asn1, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s->type == NULL)
			s->type = xstrdup("");
		if (s->value == NULL)
			s->value = xstrdup("");
	}
	return 0;
}

static int extensions_parse(const json_t *v, struct x509_desc *d, struct error *err)
{
	size_t i;
	json_t *item;

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return bad(err, "extensions", "must be an array");
	d->ext = xcalloc(json_array_size(v) + 1, sizeof(*d->ext));
	json_array_foreach(v, i, item)
	{
		struct x509_ext_desc *e = &d->ext[d->n_ext];
		const json_t *crit;

		if (!json_is_object(item))
			return bad(err, "extensions", "must be an array of objects");
		d->n_ext++;
		if (string_member(item, "id", &e->oid, err) != 0)
			return -1;
		if (e->oid == NULL || !oid_valid(e->oid))
			return err_set(err, ERR_INVALID,
				       "error unmarshaling json: invalid extension id %s",
				       e->oid != NULL ? e->oid : "");
		crit = member(item, "critical");
		if (crit != NULL && !json_is_boolean(crit))
			return bad(err, "critical", "must be a boolean");
		e->critical = json_is_true(crit);
		if (bytes_member(member(item, "value"), "value", &e->value, &e->len, err) != 0)
			return -1;
	}
	return 0;
}

/* Go's convertName: lower case without '_'. */
static bool usage_is(const char *s, const char *name)
{
	for (;; s++, name++) {
		while (*s == '_')
			s++;
		if (tolower((unsigned char)*s) != tolower((unsigned char)*name))
			return false;
		if (*s == '\0')
			return true;
	}
}

static const struct {
	const char *name;
	unsigned bit;
} key_usages[] = {
    {"digitalSignature", X509_KU_DIGITAL_SIGNATURE},
    {"contentCommitment", X509_KU_CONTENT_COMMITMENT},
    {"nonRepudiation", X509_KU_CONTENT_COMMITMENT},
    {"keyEncipherment", X509_KU_KEY_ENCIPHERMENT},
    {"dataEncipherment", X509_KU_DATA_ENCIPHERMENT},
    {"keyAgreement", X509_KU_KEY_AGREEMENT},
    {"certSign", X509_KU_CERT_SIGN},
    {"crlSign", X509_KU_CRL_SIGN},
    {"encipherOnly", X509_KU_ENCIPHER_ONLY},
    {"decipherOnly", X509_KU_DECIPHER_ONLY},
};

static const struct {
	const char *name;
	const char *oid;
} ext_key_usages[] = {
    {"any", "2.5.29.37.0"},
    {"serverAuth", "1.3.6.1.5.5.7.3.1"},
    {"clientAuth", "1.3.6.1.5.5.7.3.2"},
    {"codeSigning", "1.3.6.1.5.5.7.3.3"},
    {"emailProtection", "1.3.6.1.5.5.7.3.4"},
    {"ipsecEndSystem", "1.3.6.1.5.5.7.3.5"},
    {"ipsecTunnel", "1.3.6.1.5.5.7.3.6"},
    {"ipsecUser", "1.3.6.1.5.5.7.3.7"},
    {"timeStamping", "1.3.6.1.5.5.7.3.8"},
    {"ocspSigning", "1.3.6.1.5.5.7.3.9"},
    {"microsoftServerGatedCrypto", "1.3.6.1.4.1.311.10.3.3"},
    {"netscapeServerGatedCrypto", "2.16.840.1.113730.4.1"},
    {"microsoftCommercialCodeSigning", "1.3.6.1.4.1.311.2.1.22"},
    {"microsoftKernelCodeSigning", "1.3.6.1.4.1.311.61.1.1"},
};

static int usages_parse(const json_t *ku, const json_t *eku, const json_t *unknown,
			struct x509_desc *d, struct error *err)
{
	struct strv names = {0};
	size_t i, k;
	int rc = -1;

	if (multi_string(ku, "keyUsage", &names, err) != 0)
		goto out;
	for (i = 0; i < names.n; i++) {
		for (k = 0; k < sizeof(key_usages) / sizeof(key_usages[0]); k++)
			if (usage_is(names.v[i], key_usages[k].name))
				break;
		if (k == sizeof(key_usages) / sizeof(key_usages[0])) {
			err_set(err, ERR_INVALID, "unsupported keyUsage %s", names.v[i]);
			goto out;
		}
		d->key_usage |= key_usages[k].bit;
	}
	strv_free(&names);
	if (multi_string(eku, "extKeyUsage", &names, err) != 0)
		goto out;
	for (i = 0; i < names.n; i++) {
		for (k = 0; k < sizeof(ext_key_usages) / sizeof(ext_key_usages[0]); k++)
			if (usage_is(names.v[i], ext_key_usages[k].name))
				break;
		if (k == sizeof(ext_key_usages) / sizeof(ext_key_usages[0])) {
			err_set(err, ERR_INVALID, "unsupported extKeyUsage %s", names.v[i]);
			goto out;
		}
		strv_push(&d->eku_oids, ext_key_usages[k].oid);
	}
	rc = multi_oid(unknown, "unknownExtKeyUsage", &d->eku_oids, err);
out:
	strv_free(&names);
	return rc;
}

static int bool_member(const json_t *obj, const char *key, bool *out, struct error *err)
{
	const json_t *v = member(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return bad(err, key, "must be a boolean");
	*out = json_is_true(v);
	return 0;
}

static int basic_constraints_parse(const json_t *v, struct x509_desc *d, struct error *err)
{
	const json_t *mpl;

	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return bad(err, "basicConstraints", "must be an object");
	d->has_bc = true;
	d->max_path_len = 0; /* Go's zero value: pathlen 0 for a CA */
	if (bool_member(v, "isCA", &d->is_ca, err) != 0)
		return -1;
	mpl = member(v, "maxPathLen");
	if (mpl != NULL) {
		if (!json_is_integer(mpl) || json_integer_value(mpl) > 1000000 ||
		    json_integer_value(mpl) < -1000000)
			return bad(err, "maxPathLen", "must be an integer");
		d->max_path_len = (int)json_integer_value(mpl);
	}
	return 0;
}

static int name_constraints_parse(const json_t *v, struct x509_desc *d, struct error *err)
{
	struct x509_nc_desc *nc = &d->nc;

	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return bad(err, "nameConstraints", "must be an object");
	d->has_nc = true;
	if (bool_member(v, "critical", &nc->critical, err) != 0 ||
	    multi_string(member(v, "permittedDNSDomains"), "permittedDNSDomains",
			 &nc->permitted_dns, err) != 0 ||
	    multi_string(member(v, "excludedDNSDomains"), "excludedDNSDomains", &nc->excluded_dns,
			 err) != 0 ||
	    multi_string(member(v, "permittedIPRanges"), "permittedIPRanges", &nc->permitted_ip,
			 err) != 0 ||
	    multi_string(member(v, "excludedIPRanges"), "excludedIPRanges", &nc->excluded_ip,
			 err) != 0 ||
	    multi_string(member(v, "permittedEmailAddresses"), "permittedEmailAddresses",
			 &nc->permitted_email, err) != 0 ||
	    multi_string(member(v, "excludedEmailAddresses"), "excludedEmailAddresses",
			 &nc->excluded_email, err) != 0 ||
	    multi_string(member(v, "permittedURIDomains"), "permittedURIDomains",
			 &nc->permitted_uri, err) != 0 ||
	    multi_string(member(v, "excludedURIDomains"), "excludedURIDomains", &nc->excluded_uri,
			 err) != 0)
		return -1;
	return 0;
}

/* Go's x509.SignatureAlgorithm names as step's SignatureAlgorithm decodes them. */
static const char *const sig_algs[] = {
    "MD2-RSA",	    "MD5-RSA",	    "SHA1-RSA",	     "SHA256-RSA",    "SHA384-RSA",
    "SHA512-RSA",   "DSA-SHA1",	    "DSA-SHA256",    "ECDSA-SHA1",    "ECDSA-SHA256",
    "ECDSA-SHA384", "ECDSA-SHA512", "SHA256-RSAPSS", "SHA384-RSAPSS", "SHA512-RSAPSS",
    "Ed25519",	    "PureEd25519",
};

static int sig_alg_parse(const json_t *v, struct x509_desc *d, struct error *err)
{
	const char *s;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return bad(err, "signatureAlgorithm", "must be a string");
	s = json_string_value(v);
	if (*s == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++)
		if (str_eq_nocase(s, sig_algs[i])) {
			d->signature_algorithm = xstrdup(sig_algs[i]);
			return 0;
		}
	return err_set(err, ERR_INVALID, "unsupported signatureAlgorithm %s", s);
}

static int ips_parse(const json_t *v, struct strv *out, struct error *err)
{
	size_t start = out->n;

	if (multi_string(v, "ipAddresses", out, err) != 0)
		return -1;
	for (size_t i = start; i < out->n; i++) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(out->v[i]);

		if (ip == NULL)
			return err_set(err, ERR_INVALID,
				       "error unmarshaling json: ip %s is not valid", out->v[i]);
		ASN1_OCTET_STRING_free(ip);
	}
	return 0;
}

int x509_desc_from_json(const json_t *doc, struct x509_desc **out, struct error *err)
{
	struct x509_desc *d;

	*out = NULL;
	if (!json_is_object(doc))
		return err_set(err, ERR_INVALID,
			       "error unmarshaling certificate: the template must produce a JSON "
			       "object");
	d = x509_desc_new();
	if (name_parse(member(doc, "subject"), "subject", &d->subject, err) != 0 ||
	    bytes_member(member(doc, "rawSubject"), "rawSubject", &d->raw_subject,
			 &d->raw_subject_len, err) != 0 ||
	    serial_parse(member(doc, "serialNumber"), &d->serial, err) != 0 ||
	    multi_string(member(doc, "dnsNames"), "dnsNames", &d->names.dns, err) != 0 ||
	    multi_string(member(doc, "emailAddresses"), "emailAddresses", &d->names.email, err) !=
		0 ||
	    ips_parse(member(doc, "ipAddresses"), &d->names.ip, err) != 0 ||
	    multi_string(member(doc, "uris"), "uris", &d->names.uri, err) != 0 ||
	    sans_parse(member(doc, "sans"), d, err) != 0 ||
	    time_member(member(doc, "notBefore"), "notBefore", &d->not_before_ns, err) != 0 ||
	    time_member(member(doc, "notAfter"), "notAfter", &d->not_after_ns, err) != 0 ||
	    extensions_parse(member(doc, "extensions"), d, err) != 0 ||
	    usages_parse(member(doc, "keyUsage"), member(doc, "extKeyUsage"),
			 member(doc, "unknownExtKeyUsage"), d, err) != 0 ||
	    bytes_member(member(doc, "subjectKeyId"), "subjectKeyId", &d->ski, &d->ski_len, err) !=
		0 ||
	    bytes_member(member(doc, "authorityKeyId"), "authorityKeyId", &d->aki, &d->aki_len,
			 err) != 0 ||
	    multi_string(member(doc, "ocspServer"), "ocspServer", &d->ocsp, err) != 0 ||
	    multi_string(member(doc, "issuingCertificateURL"), "issuingCertificateURL",
			 &d->issuing_urls, err) != 0 ||
	    multi_string(member(doc, "crlDistributionPoints"), "crlDistributionPoints", &d->crl_dp,
			 err) != 0 ||
	    multi_oid(member(doc, "policyIdentifiers"), "policyIdentifiers", &d->policies, err) !=
		0 ||
	    basic_constraints_parse(member(doc, "basicConstraints"), d, err) != 0 ||
	    name_constraints_parse(member(doc, "nameConstraints"), d, err) != 0 ||
	    sig_alg_parse(member(doc, "signatureAlgorithm"), d, err) != 0) {
		x509_desc_free(d);
		return -1;
	}
	/* "issuer" and "version" are read by step's decoder but not used: the issuer's subject
	 * is the issuer, and every certificate is a v3 one. */
	*out = d;
	return 0;
}

int x509_desc_parse(const char *text, size_t len, struct x509_desc **out, struct error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	int rc;

	*out = NULL;
	if (doc == NULL)
		return err_set(err, ERR_INVALID, "error unmarshaling certificate: %s", jerr.text);
	rc = x509_desc_from_json(doc, out, err);
	json_decref(doc);
	return rc;
}

struct x509_desc *x509_desc_new(void)
{
	struct x509_desc *d = xcalloc(1, sizeof(*d));

	d->max_path_len = -1;
	return d;
}

static void nc_free(struct x509_nc_desc *nc)
{
	strv_free(&nc->permitted_dns);
	strv_free(&nc->excluded_dns);
	strv_free(&nc->permitted_ip);
	strv_free(&nc->excluded_ip);
	strv_free(&nc->permitted_email);
	strv_free(&nc->excluded_email);
	strv_free(&nc->permitted_uri);
	strv_free(&nc->excluded_uri);
}

void x509_desc_free(struct x509_desc *d)
{
	if (d == NULL)
		return;
	x509_name_desc_clear(&d->subject);
	free(d->raw_subject);
	free(d->serial);
	names_free(&d->names);
	for (size_t i = 0; i < d->n_sans; i++) {
		free(d->sans[i].type);
		free(d->sans[i].value);
		free(d->sans[i].asn1_value);
	}
	free(d->sans);
	for (size_t i = 0; i < d->n_ext; i++) {
		free(d->ext[i].oid);
		free(d->ext[i].value);
	}
	free(d->ext);
	strv_free(&d->eku_oids);
	free(d->ski);
	free(d->aki);
	strv_free(&d->ocsp);
	strv_free(&d->issuing_urls);
	strv_free(&d->crl_dp);
	strv_free(&d->policies);
	nc_free(&d->nc);
	free(d->signature_algorithm);
	free(d);
}
