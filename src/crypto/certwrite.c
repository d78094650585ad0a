/* certwrite.c - a certificate written as DER from its parts and signed over its TBS bytes, with
 * no X509 object: the builder of every leaf (x509desc.c) and of renewals (x509_reissue_der).
 * Building an X509 object costs OpenSSL 3.0 a key encode, name copies and re-encodings that
 * together cost more than the signature. The encoding is the one OpenSSL gives the same fields
 * (tests/unit/test_cert_der.c checks it byte for byte). */
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/internal.h"
#include "crypto/x509build.h"

/* An INTEGER from big-endian magnitude bytes (a 0x00 first when the top bit is set). */
static void put_positive_integer(struct dbuf *b, const uint8_t *mag, size_t n)
{
	struct dbuf v = {0};
	static const uint8_t zero = 0;

	if (n > 0 && (mag[0] & 0x80))
		dbuf_put(&v, &zero, 1);
	dbuf_put(&v, mag, n);
	dbuf_put_tlv(b, V_ASN1_INTEGER, v.p, v.n);
	dbuf_free(&v);
}

static int put_serial(struct dbuf *b, const char *s, struct error *err)
{
	uint8_t mag[X509_SERIAL_RANDOM_BYTES];
	size_t start;
	BIGNUM *bn = NULL;
	bool neg;
	const char *p;
	int ok;

	if (s == NULL) {
		if (x509_serial_random_bytes(mag, &start, err) != 0)
			return -1;
		put_positive_integer(b, mag + start, sizeof(mag) - start);
		return 0;
	}
	neg = *s == '-';
	p = s + (*s == '-' || *s == '+');
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
	{
		uint8_t big[20];
		int n = BN_bn2bin(bn, big);
		put_positive_integer(b, big, (size_t)n);
	}
	BN_free(bn);
	return 0;
}

/* A Time as RFC 5280 §4.1.2.5 and Go write it: UTCTime for 1950-2049, else GeneralizedTime. */
static int put_time(struct dbuf *b, int64_t ns, struct error *err)
{
	time_t t = crypto_ns_to_time(ns);
	struct tm tm;
	char s[32];
	int year;

	if (gmtime_r(&t, &tm) == NULL || (year = tm.tm_year + 1900) < 0 || year > 9999)
		return err_set(err, ERR_INVALID, "error building certificate: time out of range");
	if (year >= 1950 && year < 2050) {
		snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		dbuf_put_tlv(b, V_ASN1_UTCTIME, s, 13);
	} else {
		snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		dbuf_put_tlv(b, V_ASN1_GENERALIZEDTIME, s, 15);
	}
	return 0;
}

/* The subjectPublicKey bits of a SubjectPublicKeyInfo (after the unused-bits octet). */
int crypto_spki_key_bits(const uint8_t *spki, size_t len, const uint8_t **key, size_t *key_len,
			 struct error *err)
{
	struct der_elem alg, bits;

	if (!der_spki_split(spki, len, &alg, &bits) || bits.len < 1 || bits.content[0] != 0)
		return err_set(err, ERR_INVALID, "error building certificate: bad public key");
	*key = bits.content + 1;
	*key_len = bits.len - 1;
	return 0;
}

int cert_write(const struct cert_parts *cp, X509 *issuer_cert, struct signer *signer, uint8_t **der,
	       size_t *der_len, struct error *err)
{
	static const uint8_t v3[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
	struct dbuf tbs = {0}, body = {0}, validity = {0}, sig = {0}, cert = {0};
	const uint8_t *alg, *issuer;
	uint8_t *raw_sig = NULL;
	size_t alg_len, issuer_len, raw_len = 0;
	int rc = -1;

	*der = NULL;
	*der_len = 0;
	if (!X509_NAME_get0_der(X509_get_subject_name(issuer_cert), &issuer, &issuer_len)) {
		err_openssl(err, ERR_CRYPTO, "error building certificate");
		goto out;
	}
	signer_sign_alg(signer, &alg, &alg_len);
	dbuf_put(&body, v3, sizeof(v3));
	if (put_serial(&body, cp->serial, err) != 0)
		goto out;
	dbuf_put(&body, alg, alg_len);
	dbuf_put(&body, issuer, issuer_len);
	if (put_time(&validity, cp->not_before_ns, err) != 0 ||
	    put_time(&validity, cp->not_after_ns, err) != 0)
		goto out;
	dbuf_put_tlv(&body, 0x30, validity.p, validity.n);
	dbuf_put(&body, cp->subject, cp->subject_len);
	dbuf_put(&body, cp->spki, cp->spki_len);
	if (cp->exts_len > 0) {
		struct dbuf seq = {0};
		dbuf_put_tlv(&seq, 0x30, cp->exts, cp->exts_len);
		dbuf_put_tlv(&body, 0xa3, seq.p, seq.n);
		dbuf_free(&seq);
	}
	dbuf_put_tlv(&tbs, 0x30, body.p, body.n);
	if (signer_sign_data(signer, tbs.p, tbs.n, &raw_sig, &raw_len, err) != 0)
		goto out;
	/* the signature BIT STRING: no unused bits, then the signature */
	dbuf_put(&sig, "", 1);
	dbuf_put(&sig, raw_sig, raw_len);
	dbuf_put(&tbs, alg, alg_len);
	dbuf_put_tlv(&tbs, V_ASN1_BIT_STRING, sig.p, sig.n);
	dbuf_put_tlv(&cert, 0x30, tbs.p, tbs.n);
	*der = cert.p;
	*der_len = cert.n;
	cert.p = NULL;
	rc = 0;
out:
	dbuf_free(&tbs);
	dbuf_free(&body);
	dbuf_free(&validity);
	dbuf_free(&sig);
	dbuf_free(&cert);
	free(raw_sig);
	return rc;
}

/* authorityKeyIdentifier { keyIdentifier = the issuer's SKI } as an Extension; nothing when
 * the issuer has none. */
static void put_aki_ext(struct dbuf *exts, X509 *issuer)
{
	static const uint8_t oid[] = {0x06, 0x03, 0x55, 0x1d, 0x23};
	const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(issuer);
	struct dbuf inner = {0}, seq = {0}, ext = {0};

	ERR_clear_error();
	if (iski == NULL)
		return;
	dbuf_put_tlv(&inner, 0x80, ASN1_STRING_get0_data(iski), (size_t)ASN1_STRING_length(iski));
	dbuf_put_tlv(&seq, 0x30, inner.p, inner.n);
	dbuf_put(&ext, oid, sizeof(oid));
	dbuf_put_tlv(&ext, V_ASN1_OCTET_STRING, seq.p, seq.n);
	dbuf_put_tlv(exts, 0x30, ext.p, ext.n);
	dbuf_free(&inner);
	dbuf_free(&seq);
	dbuf_free(&ext);
}

/* subjectKeyIdentifier: SHA-1 of the key bits of spki, as an Extension. */
static int put_ski_ext(struct dbuf *exts, const uint8_t *spki, size_t spki_len, struct error *err)
{
	static const uint8_t oid[] = {0x06, 0x03, 0x55, 0x1d, 0x0e};
	uint8_t value[22] = {V_ASN1_OCTET_STRING, 20};
	const uint8_t *key;
	size_t key_len;
	unsigned int n = 0;
	struct dbuf ext = {0};

	if (crypto_spki_key_bits(spki, spki_len, &key, &key_len, err) != 0)
		return -1;
	if (EVP_Digest(key, key_len, value + 2, &n, crypto_md_sha1(), NULL) != 1 || n != 20)
		return err_openssl(err, ERR_CRYPTO, "error computing the subject key identifier");
	dbuf_put(&ext, oid, sizeof(oid));
	dbuf_put_tlv(&ext, V_ASN1_OCTET_STRING, value, sizeof(value));
	dbuf_put_tlv(exts, 0x30, ext.p, ext.n);
	dbuf_free(&ext);
	return 0;
}

int x509_reissue_der(X509 *old, const uint8_t *new_spki, size_t new_spki_len, int64_t not_before_ns,
		     int64_t not_after_ns, X509 *issuer_cert, struct signer *signer, uint8_t **der,
		     size_t *der_len, struct error *err)
{
	struct dbuf spki = {0}, exts = {0};
	const uint8_t *subject;
	size_t subject_len;
	bool aki_done = false;
	struct cert_parts cp = {0};
	int rc = -1;

	*der = NULL;
	*der_len = 0;
	if (old == NULL || issuer_cert == NULL || signer == NULL)
		return err_set(err, ERR_INTERNAL, "x509_reissue: missing argument");
	if (!X509_NAME_get0_der(X509_get_subject_name(old), &subject, &subject_len)) {
		err_openssl(err, ERR_CRYPTO, "error building certificate");
		goto out;
	}
	if (new_spki != NULL)
		dbuf_put(&spki, new_spki, new_spki_len);
	else if (crypto_xpk_spki(X509_get_X509_PUBKEY(old), X509_get0_pubkey(old), &spki, err) != 0)
		goto out;
	/* the old extensions in their order: the AKI names the new issuer, a new key gets its
	 * own SKI, every other extension is copied */
	for (int i = 0; i < X509_get_ext_count(old); i++) {
		X509_EXTENSION *ext = X509_get_ext(old, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		unsigned char *e = NULL;
		int n;

		if (nid == NID_authority_key_identifier) {
			if (!aki_done)
				put_aki_ext(&exts, issuer_cert);
			aki_done = true;
			continue;
		}
		if (nid == NID_subject_key_identifier && new_spki != NULL) {
			if (put_ski_ext(&exts, spki.p, spki.n, err) != 0)
				goto out;
			continue;
		}
		n = i2d_X509_EXTENSION(ext, &e);
		if (n <= 0) {
			err_openssl(err, ERR_CRYPTO, "error copying certificate extensions");
			goto out;
		}
		dbuf_put(&exts, e, (size_t)n);
		OPENSSL_free(e);
	}
	if (!aki_done)
		put_aki_ext(&exts, issuer_cert);
	cp = (struct cert_parts){
	    .not_before_ns = not_before_ns,
	    .not_after_ns = not_after_ns,
	    .subject = subject,
	    .subject_len = subject_len,
	    .spki = spki.p,
	    .spki_len = spki.n,
	    .exts = exts.p,
	    .exts_len = exts.n,
	};
	rc = cert_write(&cp, issuer_cert, signer, der, der_len, err);
out:
	dbuf_free(&spki);
	dbuf_free(&exts);
	return rc;
}
