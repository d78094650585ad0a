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

/* --- extensions ------------------------------------------------------------------------- */

static bool desc_has_ext(const struct x509_desc *d, const char *oid)
{
	for (size_t i = 0; i < d->n_ext; i++)
		if (strcmp(d->ext[i].oid, oid) == 0)
			return true;
	return false;
}

/* The certificate being written: its extensions so far (each a DER Extension, in order), and
 * what some of them are derived from. */
struct tbs_parts {
	struct dbuf exts;
	bool empty_subject; /* RFC 5280 §4.2.1.6: the SAN extension is then critical */
	const uint8_t *key; /* the subjectPublicKey bits, for the subject key identifier */
	size_t key_len;
};

/* Appends Extension { extnID, critical (only when true: DEFAULT FALSE), extnValue }. */
static int put_ext(struct tbs_parts *t, const char *oid, bool crit, const uint8_t *value,
		   size_t len, struct error *err)
{
	struct dbuf e = {0};
	static const uint8_t critical[] = {0x01, 0x01, 0xff};

	if (dbuf_put_oid(&e, oid, NULL) != 0) {
		dbuf_free(&e);
		return err_set(err, ERR_INVALID, "invalid extension id %s", oid);
	}
	if (crit)
		dbuf_put(&e, critical, sizeof(critical));
	dbuf_put_tlv(&e, V_ASN1_OCTET_STRING, value, len);
	dbuf_put_tlv(&t->exts, 0x30, e.p, e.n);
	dbuf_free(&e);
	return 0;
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

static int add_key_ids(struct tbs_parts *t, const struct x509_desc *d, X509 *issuer,
		       struct error *err)
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
			unsigned int n = 0;
			if (EVP_Digest(t->key, t->key_len, ski, &n, crypto_md_sha1(), NULL) != 1) {
				err_openssl(err, ERR_CRYPTO,
					    "error computing the subject key identifier");
				goto out;
			}
			dbuf_put_tlv(&der, V_ASN1_OCTET_STRING, ski, sizeof(ski));
		}
		if (put_ext(t, "2.5.29.14", 0, der.p, der.n, err) != 0)
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
		if (put_ext(t, "2.5.29.35", 0, der.p, der.n, err) != 0)
			goto out;
	}
	rc = 0;
out:
	dbuf_free(&der);
	return rc;
}

/* Go's buildCertExtensions up to the extra extensions. */
static int add_builtin_exts(struct tbs_parts *t, const struct x509_desc *d,
			    const struct x509_ca_ext *ca, X509 *issuer, struct error *err)
{
	struct dbuf der = {0};
	int rc = -1, r;

	if (d->key_usage != 0 && !desc_has_ext(d, "2.5.29.15")) {
		key_usage_der(d->key_usage, &der);
		if (put_ext(t, "2.5.29.15", 1, der.p, der.n, err) != 0)
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
		if (put_ext(t, "2.5.29.37", 0, der.p, der.n, err) != 0)
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
		if (put_ext(t, "2.5.29.19", 1, der.p, der.n, err) != 0)
			goto out;
	}
	if (add_key_ids(t, d, issuer, err) != 0)
		goto out;
	der.n = 0;
	if (!desc_has_ext(d, "1.3.6.1.5.5.7.1.1")) {
		r = aia_der(&d->ocsp, ca != NULL ? ca->ocsp_url : NULL, &d->issuing_urls, &der,
			    err);
		if (r < 0 || (r == 0 && put_ext(t, "1.3.6.1.5.5.7.1.1", 0, der.p, der.n, err) != 0))
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
		if (der.n > 0 && put_ext(t, "2.5.29.17", t->empty_subject, der.p, der.n, err) != 0)
			goto out;
	}
	der.n = 0;
	if (d->has_nc && !desc_has_ext(d, "2.5.29.30")) {
		r = name_constraints_der(&d->nc, &der, err);
		if (r < 0 ||
		    (r == 0 && put_ext(t, "2.5.29.30", d->nc.critical, der.p, der.n, err) != 0))
			goto out;
	}
	der.n = 0;
	if (d->crl_dp.n > 0 && !desc_has_ext(d, "2.5.29.31")) {
		crl_dp_der(&d->crl_dp, &der);
		if (put_ext(t, "2.5.29.31", 0, der.p, der.n, err) != 0)
			goto out;
	}
	der.n = 0;
	if (d->policies.n > 0 && !desc_has_ext(d, "2.5.29.32")) {
		if (policies_der(&d->policies, &der, err) != 0 ||
		    put_ext(t, "2.5.29.32", 0, der.p, der.n, err) != 0)
			goto out;
	}
	rc = 0;
out:
	dbuf_free(&der);
	return rc;
}

/* step's provisioner extension (x509build.c writes its value). */
static int put_provisioner_ext(struct tbs_parts *t, const struct x509_ca_ext *ca, struct error *err)
{
	struct dbuf v = {0};
	int rc;

	x509_provisioner_ext_value(ca->prov_type, ca->prov_name, ca->prov_cred_id, &v);
	rc = put_ext(t, STEP_PROVISIONER_OID, false, v.p, v.n, err);
	dbuf_free(&v);
	return rc;
}

/* The template's extensions (step prepends its own subjectAltName when a SAN type Go does not
 * know is used), then what the CA adds. */
static int add_extra_exts(struct tbs_parts *t, const struct x509_desc *d,
			  const struct x509_ca_ext *ca, struct error *err)
{
	struct dbuf der = {0};
	int rc = -1;

	if (x509_desc_has_extended_sans(d) && !desc_has_ext(d, "2.5.29.17")) {
		if (x509_desc_san_ext_der(d, &der, err) != 0)
			goto out;
		if (der.n > 0 && put_ext(t, "2.5.29.17", t->empty_subject, der.p, der.n, err) != 0)
			goto out;
	}
	for (size_t i = 0; i < d->n_ext; i++) {
		/* the CA writes the provisioner extension itself */
		if (ca != NULL && ca->prov_name != NULL &&
		    strcmp(d->ext[i].oid, STEP_PROVISIONER_OID) == 0)
			continue;
		if (put_ext(t, d->ext[i].oid, d->ext[i].critical, d->ext[i].value, d->ext[i].len,
			    err) != 0)
			goto out;
	}
	if (ca != NULL && ca->prov_name != NULL && put_provisioner_ext(t, ca, err) != 0)
		goto out;
	if (ca != NULL && ca->crl_url != NULL && d->crl_dp.n == 0 &&
	    !desc_has_ext(d, "2.5.29.31")) {
		struct strv one = {0};
		strv_push(&one, ca->crl_url);
		der.n = 0;
		crl_dp_der(&one, &der);
		strv_free(&one);
		if (put_ext(t, "2.5.29.31", 0, der.p, der.n, err) != 0)
			goto out;
	}
	if (ca != NULL && ca->ocsp_nocheck) {
		static const uint8_t null_der[] = {0x05, 0x00};
		if (put_ext(t, "1.3.6.1.5.5.7.48.1.5", 0, null_der, sizeof(null_der), err) != 0)
			goto out;
	}
	rc = 0;
out:
	dbuf_free(&der);
	return rc;
}

/* The subject: rawSubject as given (after checking it is one Name), else the description's. */
static int put_subject(struct dbuf *b, const struct x509_desc *d, bool *empty, struct error *err)
{
	X509_NAME *name;
	const unsigned char *p = d->raw_subject;
	size_t entries = 0;

	if (d->raw_subject_len == 0) {
		if (x509_name_desc_der(&d->subject, b, &entries, err) != 0)
			return -1;
		*empty = entries == 0;
		return 0;
	}
	name = d2i_X509_NAME(NULL, &p, (long)d->raw_subject_len);
	if (name == NULL || p != d->raw_subject + d->raw_subject_len) {
		X509_NAME_free(name);
		ERR_clear_error();
		return err_set(err, ERR_INVALID, "rawSubject is not a valid name");
	}
	*empty = X509_NAME_entry_count(name) == 0;
	X509_NAME_free(name);
	dbuf_put(b, d->raw_subject, d->raw_subject_len);
	return 0;
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

int x509_desc_issue_der(const struct x509_desc *d, const struct x509_ca_ext *ca,
			const uint8_t *spki, size_t spki_len, int64_t not_before_ns,
			int64_t not_after_ns, X509 *issuer_cert, struct signer *signer,
			uint8_t **der, size_t *der_len, struct error *err)
{
	struct tbs_parts t = {0};
	struct dbuf subject = {0};
	struct cert_parts cp = {0};
	int rc = -1;

	*der = NULL;
	*der_len = 0;
	if (d == NULL || spki == NULL || issuer_cert == NULL || signer == NULL)
		return err_set(err, ERR_INTERNAL, "x509_desc_issue: missing argument");
	if (check_sig_alg(d->signature_algorithm, signer, err) != 0 ||
	    crypto_spki_key_bits(spki, spki_len, &t.key, &t.key_len, err) != 0)
		return -1;
	if (put_subject(&subject, d, &t.empty_subject, err) != 0 ||
	    add_builtin_exts(&t, d, ca, issuer_cert, err) != 0 ||
	    add_extra_exts(&t, d, ca, err) != 0)
		goto out;
	cp = (struct cert_parts){
	    .serial = d->serial,
	    .not_before_ns = d->not_before_ns != 0 ? d->not_before_ns : not_before_ns,
	    .not_after_ns = d->not_after_ns != 0 ? d->not_after_ns : not_after_ns,
	    .subject = subject.p,
	    .subject_len = subject.n,
	    .spki = spki,
	    .spki_len = spki_len,
	    .exts = t.exts.p,
	    .exts_len = t.exts.n,
	};
	rc = cert_write(&cp, issuer_cert, signer, der, der_len, err);
out:
	dbuf_free(&t.exts);
	dbuf_free(&subject);
	return rc;
}

int x509_desc_issue(const struct x509_desc *d, const struct x509_ca_ext *ca, EVP_PKEY *public_key,
		    int64_t not_before_ns, int64_t not_after_ns, X509 *issuer_cert,
		    struct signer *signer, X509 **out, struct error *err)
{
	struct dbuf spki = {0};
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	int rc = -1;

	*out = NULL;
	if (public_key == NULL)
		return err_set(err, ERR_INTERNAL, "x509_desc_issue: missing argument");
	if (crypto_pubkey_spki(public_key, &spki, err) != 0 ||
	    x509_desc_issue_der(d, ca, spki.p, spki.n, not_before_ns, not_after_ns, issuer_cert,
				signer, &der, &len, err) != 0)
		goto out;
	p = der;
	*out = d2i_X509(NULL, &p, (long)len);
	if (*out == NULL) {
		err_openssl(err, ERR_CRYPTO, "error building certificate");
		goto out;
	}
	rc = 0;
out:
	dbuf_free(&spki);
	free(der);
	return rc;
}
