/* x509desc.c - a certificate description turned into a signed certificate, the way Go's
 * x509.CreateCertificate encodes what step's x509util sets (see x509desc.h for the order). */
#include "crypto/x509desc.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"
#include "crypto/x509build.h"

/* Appends an ASN.1 string as Go's encoding/asn1 marshals a Go string without a type:
 * PrintableString when every character allows it (no '*' nor '&'), else UTF8String. */
static int put_go_string(struct dbuf *b, const char *s, struct error *err)
{
	bool printable = true;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(" '()+,-./:=?", *p) != NULL))
			printable = false;
	if (!printable) {
		ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();
		int ok = u != NULL && ASN1_mbstring_copy(&u, (const unsigned char *)s, -1,
							 MBSTRING_UTF8, B_ASN1_UTF8STRING) > 0;
		ASN1_UTF8STRING_free(u);
		if (!ok) {
			ERR_clear_error();
			return err_set(err, ERR_INVALID, "asn1: string not valid UTF-8");
		}
	}
	dbuf_put_tlv(b, printable ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING, s, strlen(s));
	return 0;
}

/* One RDN: SET OF AttributeTypeAndValue for values of one attribute (DER sorts them; the
 * X509_NAME encoder does). */
static int add_rdn(X509_NAME *name, const char *oid, const struct strv *values, bool ia5,
		   struct error *err)
{
	for (size_t i = 0; i < values->n; i++) {
		struct dbuf v = {0};
		const unsigned char *p;
		ASN1_TYPE *t = NULL;
		ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
		X509_NAME_ENTRY *e = NULL;
		int ok = 0;

		if (ia5)
			dbuf_put_tlv(&v, V_ASN1_IA5STRING, values->v[i], strlen(values->v[i]));
		else if (put_go_string(&v, values->v[i], err) != 0)
			goto next;
		p = v.p;
		t = d2i_ASN1_TYPE(NULL, &p, (long)v.n);
		e = X509_NAME_ENTRY_new();
		ok = o != NULL && t != NULL && e != NULL && X509_NAME_ENTRY_set_object(e, o) &&
		     X509_NAME_ENTRY_set_data(e, t->type,
					      ASN1_STRING_get0_data(t->value.asn1_string),
					      ASN1_STRING_length(t->value.asn1_string)) &&
		     X509_NAME_add_entry(name, e, -1, i == 0 ? 0 : -1);
		if (!ok)
			err_openssl(err, ERR_INVALID, "invalid name attribute %s", oid);
	next:
		X509_NAME_ENTRY_free(e);
		ASN1_TYPE_free(t);
		ASN1_OBJECT_free(o);
		dbuf_free(&v);
		if (!ok)
			return -1;
	}
	return 0;
}

static bool in_extra(const struct x509_name_desc *n, const char *oid)
{
	for (size_t i = 0; i < n->n_extra; i++)
		if (strcmp(n->extra[i].oid, oid) == 0)
			return true;
	return false;
}

static int add_attr(X509_NAME *name, const struct x509_name_desc *n, const char *oid,
		    const struct strv *values, struct error *err)
{
	if (values->n == 0 || in_extra(n, oid))
		return 0;
	return add_rdn(name, oid, values, false, err);
}

static int add_single(X509_NAME *name, const struct x509_name_desc *n, const char *oid,
		      const char *value, struct error *err)
{
	struct strv one = {0};
	int rc;

	if (value == NULL || *value == '\0')
		return 0;
	strv_push(&one, value);
	rc = add_attr(name, n, oid, &one, err);
	strv_free(&one);
	return rc;
}

int x509_name_desc_build(const struct x509_name_desc *n, X509_NAME **out, struct error *err)
{
	X509_NAME *name = X509_NAME_new();
	int rc = -1;

	*out = NULL;
	if (name == NULL)
		return err_openssl(err, ERR_CRYPTO, "error building a name");
	if (add_attr(name, n, "2.5.4.6", &n->country, err) != 0 ||
	    add_attr(name, n, "2.5.4.8", &n->province, err) != 0 ||
	    add_attr(name, n, "2.5.4.7", &n->locality, err) != 0 ||
	    add_attr(name, n, "2.5.4.9", &n->street, err) != 0 ||
	    add_attr(name, n, "2.5.4.17", &n->postal_code, err) != 0 ||
	    add_attr(name, n, "2.5.4.10", &n->organization, err) != 0 ||
	    add_attr(name, n, "2.5.4.11", &n->unit, err) != 0 ||
	    add_single(name, n, "2.5.4.3", n->common_name, err) != 0 ||
	    add_single(name, n, "2.5.4.5", n->serial_number, err) != 0)
		goto out;
	for (size_t i = 0; i < n->n_extra; i++) {
		const struct x509_dn_attr *a = &n->extra[i];
		struct strv one = {0};
		int r;

		if (a->is_int) {
			/* an INTEGER value: rare; written as its decimal text would not be Go's */
			ASN1_INTEGER *ai = ASN1_INTEGER_new();
			ASN1_OBJECT *o = OBJ_txt2obj(a->oid, 1);
			unsigned char *der = NULL;
			int len;
			X509_NAME_ENTRY *e = X509_NAME_ENTRY_new();

			r = ai != NULL && o != NULL && e != NULL &&
				    ASN1_INTEGER_set_int64(ai, a->ival) &&
				    X509_NAME_ENTRY_set_object(e, o) &&
				    (len = i2d_ASN1_INTEGER(ai, &der)) > 2 &&
				    X509_NAME_ENTRY_set_data(e, V_ASN1_INTEGER, der + 2, len - 2) &&
				    X509_NAME_add_entry(name, e, -1, 0)
				? 0
				: err_openssl(err, ERR_INVALID, "invalid name attribute %s",
					      a->oid);
			OPENSSL_free(der);
			X509_NAME_ENTRY_free(e);
			ASN1_OBJECT_free(o);
			ASN1_INTEGER_free(ai);
		} else {
			strv_push(&one, a->value);
			/* Go writes a string emailAddress (PKCS #9) as an IA5String */
			r = add_rdn(name, a->oid, &one, strcmp(a->oid, "1.2.840.113549.1.9.1") == 0,
				    err);
			strv_free(&one);
		}
		if (r != 0)
			goto out;
	}
	*out = name;
	name = NULL;
	rc = 0;
out:
	X509_NAME_free(name);
	return rc;
}

/* --- extensions ------------------------------------------------------------------------- */

static bool desc_has_ext(const struct x509_desc *d, const char *oid)
{
	for (size_t i = 0; i < d->n_ext; i++)
		if (strcmp(d->ext[i].oid, oid) == 0)
			return true;
	return false;
}

static int add_ext_oid(X509 *x, const char *oid, bool crit, const struct dbuf *der,
		       struct error *err)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int rc;

	if (o == NULL) {
		ERR_clear_error();
		return err_set(err, ERR_INVALID, "invalid extension id %s", oid);
	}
	rc = crypto_add_ext(x, NID_undef, o, crit, der->p, der->n, err);
	ASN1_OBJECT_free(o);
	return rc;
}

/* Go's marshalKeyUsage: the bits reversed into one or two bytes, trailing zero bits trimmed. */
static void key_usage_der(unsigned ku, struct dbuf *out)
{
	uint8_t b[3] = {0};
	int len, bits;

	for (int i = 0; i < 8; i++) {
		if (ku & (1u << i))
			b[1] |= (uint8_t)(0x80 >> i);
		if (ku & (1u << (i + 8)))
			b[2] |= (uint8_t)(0x80 >> i);
	}
	len = b[2] != 0 ? 2 : 1;
	bits = len * 8;
	for (int i = len; i >= 1 && bits > 0; i--) {
		int bit = 0;
		while (bit < 8 && !(b[i] & (1 << bit))) {
			bit++;
			bits--;
		}
		if (bit < 8)
			break;
	}
	b[0] = (uint8_t)(len * 8 - bits);
	dbuf_put_tlv(out, V_ASN1_BIT_STRING, b, (size_t)len + 1);
}

static void put_nc_list(struct dbuf *b, uint8_t tag, const struct strv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		struct dbuf gn = {0};
		dbuf_put_tlv(&gn, tag, v->v[i], strlen(v->v[i]));
		dbuf_put_tlv(b, 0x30, gn.p, gn.n);
		dbuf_free(&gn);
	}
}

/* An IP range (CIDR) as Go writes a constraint: address then mask, 4 bytes each for IPv4. */
static int put_nc_ips(struct dbuf *b, const struct strv *v, struct error *err)
{
	for (size_t i = 0; i < v->n; i++) {
		char *s = xstrdup(v->v[i]), *slash = strchr(s, '/');
		ASN1_OCTET_STRING *ip = NULL;
		uint8_t buf[32] = {0};
		long bits;
		int n;
		struct dbuf gn = {0};

		if (slash != NULL) {
			*slash = '\0';
			ip = a2i_IPADDRESS(s);
		}
		n = ip != NULL ? ASN1_STRING_length(ip) : 0;
		bits = slash != NULL ? strtol(slash + 1, NULL, 10) : -1;
		if (ip == NULL || bits < 0 || bits > n * 8 || slash[1] == '\0') {
			ASN1_OCTET_STRING_free(ip);
			free(s);
			ERR_clear_error();
			return err_set(err, ERR_INVALID, "invalid CIDR address: %s", v->v[i]);
		}
		memcpy(buf, ASN1_STRING_get0_data(ip), (size_t)n);
		for (int k = 0; k < n * 8; k++)
			if (k < bits)
				buf[n + k / 8] |= (uint8_t)(0x80 >> (k % 8));
		for (int k = 0; k < n; k++)
			buf[k] &= buf[n + k]; /* Go's ParseCIDR keeps the network address */
		dbuf_put_tlv(&gn, 0x87, buf, (size_t)n * 2);
		dbuf_put_tlv(b, 0x30, gn.p, gn.n);
		dbuf_free(&gn);
		ASN1_OCTET_STRING_free(ip);
		free(s);
	}
	return 0;
}

static int name_constraints_der(const struct x509_nc_desc *nc, struct dbuf *out, struct error *err)
{
	struct dbuf p = {0}, e = {0}, seq = {0};
	int rc = -1;

	put_nc_list(&p, 0x82, &nc->permitted_dns);
	if (put_nc_ips(&p, &nc->permitted_ip, err) != 0)
		goto out;
	put_nc_list(&p, 0x81, &nc->permitted_email);
	put_nc_list(&p, 0x86, &nc->permitted_uri);
	put_nc_list(&e, 0x82, &nc->excluded_dns);
	if (put_nc_ips(&e, &nc->excluded_ip, err) != 0)
		goto out;
	put_nc_list(&e, 0x81, &nc->excluded_email);
	put_nc_list(&e, 0x86, &nc->excluded_uri);
	if (p.n > 0)
		dbuf_put_tlv(&seq, 0xa0, p.p, p.n);
	if (e.n > 0)
		dbuf_put_tlv(&seq, 0xa1, e.p, e.n);
	dbuf_put_tlv(out, 0x30, seq.p, seq.n);
	rc = seq.n > 0 ? 0 : 1; /* 1: nothing to write */
out:
	dbuf_free(&p);
	dbuf_free(&e);
	dbuf_free(&seq);
	return rc;
}

/* SEQUENCE OF DistributionPoint { [0] { fullName [0] { [6] url } } }, one per URL (Go). */
static void crl_dp_der(const struct strv *urls, struct dbuf *out)
{
	struct dbuf all = {0};

	for (size_t i = 0; i < urls->n; i++) {
		struct dbuf a = {0}, b = {0}, c = {0};
		dbuf_put_tlv(&a, 0x86, urls->v[i], strlen(urls->v[i]));
		dbuf_put_tlv(&b, 0xa0, a.p, a.n);
		dbuf_put_tlv(&c, 0xa0, b.p, b.n);
		dbuf_put_tlv(&all, 0x30, c.p, c.n);
		dbuf_free(&a);
		dbuf_free(&b);
		dbuf_free(&c);
	}
	dbuf_put_tlv(out, 0x30, all.p, all.n);
	dbuf_free(&all);
}

/* authorityInfoAccess: the OCSP servers, then the issuing certificate URLs (Go's order). */
static int aia_der(const struct strv *ocsp, const char *ca_ocsp, const struct strv *issuers,
		   struct dbuf *out, struct error *err)
{
	struct dbuf all = {0};
	int rc = -1;

	for (size_t k = 0; k < 2; k++) {
		const struct strv *v = k == 0 ? ocsp : issuers;
		const char *method = k == 0 ? "1.3.6.1.5.5.7.48.1" : "1.3.6.1.5.5.7.48.2";
		size_t n = v->n + (k == 0 && v->n == 0 && ca_ocsp != NULL ? 1 : 0);

		for (size_t i = 0; i < n; i++) {
			const char *url = i < v->n ? v->v[i] : ca_ocsp;
			struct dbuf ad = {0};
			if (dbuf_put_oid(&ad, method, err) != 0) {
				dbuf_free(&ad);
				goto out;
			}
			dbuf_put_tlv(&ad, 0x86, url, strlen(url));
			dbuf_put_tlv(&all, 0x30, ad.p, ad.n);
			dbuf_free(&ad);
		}
	}
	dbuf_put_tlv(out, 0x30, all.p, all.n);
	rc = all.n > 0 ? 0 : 1;
out:
	dbuf_free(&all);
	return rc;
}

static int policies_der(const struct strv *oids, struct dbuf *out, struct error *err)
{
	struct dbuf all = {0};
	int rc = -1;

	for (size_t i = 0; i < oids->n; i++) {
		struct dbuf pi = {0};
		if (dbuf_put_oid(&pi, oids->v[i], err) != 0) {
			dbuf_free(&pi);
			goto out;
		}
		dbuf_put_tlv(&all, 0x30, pi.p, pi.n);
		dbuf_free(&pi);
	}
	dbuf_put_tlv(out, 0x30, all.p, all.n);
	rc = 0;
out:
	dbuf_free(&all);
	return rc;
}

static int add_key_ids(X509 *x, const struct x509_desc *d, X509 *issuer, struct error *err)
{
	struct dbuf der = {0};
	uint8_t ski[20];
	const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(issuer);
	const uint8_t *aki = d->aki;
	size_t aki_len = d->aki_len;
	int rc = -1;

	ERR_clear_error();
	if (!desc_has_ext(d, "2.5.29.14")) {
		if (d->ski_len > 0) {
			dbuf_put_tlv(&der, V_ASN1_OCTET_STRING, d->ski, d->ski_len);
		} else {
			if (crypto_cert_ski(x, ski, err) != 0)
				goto out;
			dbuf_put_tlv(&der, V_ASN1_OCTET_STRING, ski, sizeof(ski));
		}
		if (crypto_add_ext(x, NID_subject_key_identifier, NULL, 0, der.p, der.n, err) != 0)
			goto out;
	}
	/* Go: the issuer's SKI wins over a template's authorityKeyId */
	if (iski != NULL) {
		aki = ASN1_STRING_get0_data(iski);
		aki_len = (size_t)ASN1_STRING_length(iski);
	}
	if (aki_len > 0 && !desc_has_ext(d, "2.5.29.35")) {
		struct dbuf inner = {0};
		der.n = 0;
		dbuf_put_tlv(&inner, 0x80, aki, aki_len);
		dbuf_put_tlv(&der, 0x30, inner.p, inner.n);
		dbuf_free(&inner);
		if (crypto_add_ext(x, NID_authority_key_identifier, NULL, 0, der.p, der.n, err) !=
		    0)
			goto out;
	}
	rc = 0;
out:
	dbuf_free(&der);
	return rc;
}

/* Go's buildCertExtensions up to the extra extensions. */
static int add_builtin_exts(X509 *x, const struct x509_desc *d, const struct x509_ca_ext *ca,
			    X509 *issuer, struct error *err)
{
	struct dbuf der = {0};
	int rc = -1, r;

	if (d->key_usage != 0 && !desc_has_ext(d, "2.5.29.15")) {
		key_usage_der(d->key_usage, &der);
		if (crypto_add_ext(x, NID_key_usage, NULL, 1, der.p, der.n, err) != 0)
			goto out;
	}
	if (d->eku_oids.n > 0 && !desc_has_ext(d, "2.5.29.37")) {
		struct dbuf oids = {0};
		for (size_t i = 0; i < d->eku_oids.n; i++)
			if (dbuf_put_oid(&oids, d->eku_oids.v[i], err) != 0) {
				dbuf_free(&oids);
				goto out;
			}
		der.n = 0;
		dbuf_put_tlv(&der, 0x30, oids.p, oids.n);
		dbuf_free(&oids);
		if (crypto_add_ext(x, NID_ext_key_usage, NULL, 0, der.p, der.n, err) != 0)
			goto out;
	}
	if (d->has_bc && !desc_has_ext(d, "2.5.29.19")) {
		struct dbuf bc = {0};
		static const uint8_t ca_true[] = {0x01, 0x01, 0xff};
		if (d->is_ca) {
			dbuf_put(&bc, ca_true, sizeof(ca_true));
			if (d->max_path_len >= 0)
				dbuf_put_uint(&bc, (uint64_t)d->max_path_len);
		}
		der.n = 0;
		dbuf_put_tlv(&der, 0x30, bc.p, bc.n);
		dbuf_free(&bc);
		if (crypto_add_ext(x, NID_basic_constraints, NULL, 1, der.p, der.n, err) != 0)
			goto out;
	}
	if (add_key_ids(x, d, issuer, err) != 0)
		goto out;
	der.n = 0;
	if (!desc_has_ext(d, "1.3.6.1.5.5.7.1.1")) {
		r = aia_der(&d->ocsp, ca != NULL ? ca->ocsp_url : NULL, &d->issuing_urls, &der,
			    err);
		if (r < 0 ||
		    (r == 0 && crypto_add_ext(x, NID_info_access, NULL, 0, der.p, der.n, err) != 0))
			goto out;
	}
	if (!x509_desc_has_extended_sans(d) && !desc_has_ext(d, "2.5.29.17")) {
		struct names n = {0};
		if (x509_desc_san_names(d, &n, err) != 0 || crypto_san_der(&n, &der, err) != 0) {
			names_free(&n);
			goto out;
		}
		names_free(&n);
		/* RFC 5280 §4.2.1.6: critical when the subject is empty. */
		if (der.n > 0 &&
		    crypto_add_ext(x, NID_subject_alt_name, NULL,
				   X509_NAME_entry_count(X509_get_subject_name(x)) == 0, der.p,
				   der.n, err) != 0)
			goto out;
	}
	der.n = 0;
	if (d->has_nc && !desc_has_ext(d, "2.5.29.30")) {
		r = name_constraints_der(&d->nc, &der, err);
		if (r < 0 || (r == 0 && crypto_add_ext(x, NID_name_constraints, NULL,
						       d->nc.critical, der.p, der.n, err) != 0))
			goto out;
	}
	der.n = 0;
	if (d->crl_dp.n > 0 && !desc_has_ext(d, "2.5.29.31")) {
		crl_dp_der(&d->crl_dp, &der);
		if (crypto_add_ext(x, NID_crl_distribution_points, NULL, 0, der.p, der.n, err) != 0)
			goto out;
	}
	der.n = 0;
	if (d->policies.n > 0 && !desc_has_ext(d, "2.5.29.32")) {
		if (policies_der(&d->policies, &der, err) != 0 ||
		    crypto_add_ext(x, NID_certificate_policies, NULL, 0, der.p, der.n, err) != 0)
			goto out;
	}
	rc = 0;
out:
	dbuf_free(&der);
	return rc;
}

/* The template's extensions (step prepends its own subjectAltName when a SAN type Go does not
 * know is used), then what the CA adds. */
static int add_extra_exts(X509 *x, const struct x509_desc *d, const struct x509_ca_ext *ca,
			  struct error *err)
{
	struct dbuf der = {0};
	int rc = -1;

	if (x509_desc_has_extended_sans(d) && !desc_has_ext(d, "2.5.29.17")) {
		if (x509_desc_san_ext_der(d, &der, err) != 0)
			goto out;
		if (der.n > 0 &&
		    crypto_add_ext(x, NID_subject_alt_name, NULL,
				   X509_NAME_entry_count(X509_get_subject_name(x)) == 0, der.p,
				   der.n, err) != 0)
			goto out;
	}
	for (size_t i = 0; i < d->n_ext; i++) {
		struct dbuf v = {.p = d->ext[i].value, .n = d->ext[i].len};
		/* the CA writes the provisioner extension itself */
		if (ca != NULL && ca->prov_name != NULL &&
		    strcmp(d->ext[i].oid, STEP_PROVISIONER_OID) == 0)
			continue;
		if (add_ext_oid(x, d->ext[i].oid, d->ext[i].critical, &v, err) != 0)
			goto out;
	}
	if (ca != NULL && ca->prov_name != NULL &&
	    x509_provisioner_ext(x, ca->prov_type, ca->prov_name, ca->prov_cred_id, err) != 0)
		goto out;
	if (ca != NULL && ca->crl_url != NULL && d->crl_dp.n == 0 &&
	    !desc_has_ext(d, "2.5.29.31")) {
		struct strv one = {0};
		strv_push(&one, ca->crl_url);
		der.n = 0;
		crl_dp_der(&one, &der);
		strv_free(&one);
		if (crypto_add_ext(x, NID_crl_distribution_points, NULL, 0, der.p, der.n, err) != 0)
			goto out;
	}
	if (ca != NULL && ca->ocsp_nocheck) {
		static const uint8_t null_der[] = {0x05, 0x00};
		if (crypto_add_ext(x, NID_id_pkix_OCSP_noCheck, NULL, 0, null_der, sizeof(null_der),
				   err) != 0)
			goto out;
	}
	rc = 0;
out:
	dbuf_free(&der);
	return rc;
}

static int set_serial(X509 *x, const char *s, struct error *err)
{
	BIGNUM *bn = NULL;
	bool neg = *s == '-';
	const char *p = s + (*s == '-' || *s == '+');
	int ok;

	ok = (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) ? BN_hex2bn(&bn, p + 2) > 0
							   : BN_dec2bn(&bn, p) > 0;
	if (!ok || bn == NULL) {
		BN_free(bn);
		return err_set(err, ERR_INVALID, "serialNumber %s is not valid", s);
	}
	if (neg || BN_is_zero(bn) || BN_num_bytes(bn) > 20) {
		BN_free(bn);
		/* Go's CreateCertificate: positive, at most 20 octets (RFC 5280 §4.1.2.2) */
		return err_set(err, ERR_INVALID,
			       "x509: serial number must be positive and at most 20 octets");
	}
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : err_openssl(err, ERR_CRYPTO, "error setting serial number");
}

static int set_subject(X509 *x, const struct x509_desc *d, struct error *err)
{
	X509_NAME *name = NULL;
	int ok;

	if (d->raw_subject_len > 0) {
		const unsigned char *p = d->raw_subject;
		name = d2i_X509_NAME(NULL, &p, (long)d->raw_subject_len);
		if (name == NULL || p != d->raw_subject + d->raw_subject_len) {
			X509_NAME_free(name);
			ERR_clear_error();
			return err_set(err, ERR_INVALID, "rawSubject is not a valid name");
		}
	} else if (x509_name_desc_build(&d->subject, &name, err) != 0) {
		return -1;
	}
	ok = X509_set_subject_name(x, name);
	X509_NAME_free(name);
	return ok ? 0 : err_openssl(err, ERR_CRYPTO, "error building certificate");
}

/* The signature algorithm a description asks for must be the one the CA key makes (Go's
 * CreateCertificate refuses others). */
static int check_sig_alg(const char *alg, struct signer *signer, struct error *err)
{
	EVP_PKEY *k = signer_public_key(signer);
	int id = k != NULL ? EVP_PKEY_get_base_id(k) : NID_undef;
	bool ok;

	if (alg == NULL)
		return 0;
	if (id == EVP_PKEY_EC)
		ok = str_has_prefix(alg, "ECDSA-SHA");
	else if (id == EVP_PKEY_RSA)
		ok = strstr(alg, "-RSA") != NULL && !str_has_prefix(alg, "MD");
	else
		ok = strcmp(alg, "Ed25519") == 0 || strcmp(alg, "PureEd25519") == 0;
	if (!ok)
		return err_set(
		    err, ERR_INVALID,
		    "x509: requested SignatureAlgorithm does not match private key type");
	return 0;
}

int x509_desc_issue(const struct x509_desc *d, const struct x509_ca_ext *ca, EVP_PKEY *public_key,
		    int64_t not_before_ns, int64_t not_after_ns, X509 *issuer_cert,
		    struct signer *signer, X509 **out, struct error *err)
{
	X509 *x = NULL;
	ASN1_INTEGER *serial = NULL;
	int rc = -1;

	*out = NULL;
	if (d == NULL || public_key == NULL || issuer_cert == NULL || signer == NULL)
		return err_set(err, ERR_INTERNAL, "x509_desc_issue: missing argument");
	if (d->not_before_ns != 0)
		not_before_ns = d->not_before_ns;
	if (d->not_after_ns != 0)
		not_after_ns = d->not_after_ns;
	if (check_sig_alg(d->signature_algorithm, signer, err) != 0)
		return -1;
	x = X509_new();
	if (x == NULL) {
		err_openssl(err, ERR_CRYPTO, "error building certificate");
		goto out;
	}
	if (d->serial != NULL) {
		if (set_serial(x, d->serial, err) != 0)
			goto out;
	} else if (x509_random_serial(&serial, err) != 0 || !X509_set_serialNumber(x, serial)) {
		if (serial != NULL)
			err_openssl(err, ERR_CRYPTO, "error setting serial number");
		goto out;
	}
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer_cert)) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), crypto_ns_to_time(not_before_ns)) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), crypto_ns_to_time(not_after_ns)) == NULL) {
		err_openssl(err, ERR_CRYPTO, "error building certificate");
		goto out;
	}
	if (set_subject(x, d, err) != 0 || crypto_set_pubkey(x, public_key, err) != 0 ||
	    add_builtin_exts(x, d, ca, issuer_cert, err) != 0 ||
	    add_extra_exts(x, d, ca, err) != 0 || signer_sign_cert(signer, x, err) != 0)
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	ASN1_INTEGER_free(serial);
	X509_free(x);
	return rc;
}

int x509_name_desc_from_x509(const X509_NAME *name, struct x509_name_desc *out, struct error *err)
{
	int n = X509_NAME_entry_count(name);

	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
		char oid[128];
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, v);
		struct strv *list = NULL;
		char **single = NULL;

		if (len < 0 ||
		    OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1) <= 0 ||
		    memchr(utf8, 0, (size_t)len) != NULL) {
			OPENSSL_free(utf8);
			ERR_clear_error();
			return err_set(err, ERR_INVALID, "invalid subject attribute");
		}
		/* Go's FillFromRDNSequence, then step's extraNames for the attributes pkix.Name has
		 * no field for */
		if (strcmp(oid, "2.5.4.6") == 0)
			list = &out->country;
		else if (strcmp(oid, "2.5.4.8") == 0)
			list = &out->province;
		else if (strcmp(oid, "2.5.4.7") == 0)
			list = &out->locality;
		else if (strcmp(oid, "2.5.4.9") == 0)
			list = &out->street;
		else if (strcmp(oid, "2.5.4.17") == 0)
			list = &out->postal_code;
		else if (strcmp(oid, "2.5.4.10") == 0)
			list = &out->organization;
		else if (strcmp(oid, "2.5.4.11") == 0)
			list = &out->unit;
		else if (strcmp(oid, "2.5.4.3") == 0)
			single = &out->common_name;
		else if (strcmp(oid, "2.5.4.5") == 0)
			single = &out->serial_number;
		if (list != NULL) {
			strv_push(list, (const char *)utf8);
		} else if (single != NULL) {
			free(*single);
			*single = xstrdup((const char *)utf8);
		} else {
			out->extra = xrealloc(out->extra, (out->n_extra + 1) * sizeof(*out->extra));
			memset(&out->extra[out->n_extra], 0, sizeof(*out->extra));
			out->extra[out->n_extra].oid = xstrdup(oid);
			out->extra[out->n_extra].value = xstrdup((const char *)utf8);
			out->n_extra++;
		}
		OPENSSL_free(utf8);
	}
	return 0;
}
