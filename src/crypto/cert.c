/* cert.c - X.509 certificates: parsing, PEM, fingerprints, chain verification. */
#include "crypto/cert.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "base/str.h"
#include "crypto/internal.h"

/* Whether x encodes to exactly der/len. d2i_X509 accepts BER that is not DER (a signature
 * BIT STRING with non-zero padding bits, long-form lengths in the TBS), which Go's x509 and
 * so step refuse; the SHA-256 fingerprint of such a certificate would not be the one of the
 * bytes that were sent. i2d_re_X509_tbs makes OpenSSL encode the TBS from its fields instead
 * of replaying the bytes it parsed, so the whole certificate is re-encoded and compared. */
static bool encodes_to(X509 *x, const uint8_t *der, size_t len)
{
	unsigned char *enc = NULL;
	int n;
	bool same;

	if (i2d_re_X509_tbs(x, NULL) <= 0)
		return false;
	n = i2d_X509(x, &enc);
	same = n > 0 && (size_t)n == len && memcmp(enc, der, len) == 0;
	OPENSSL_free(enc);
	return same;
}

X509 *cert_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len == 0 || len > CRYPTO_INPUT_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && (p != der + len || !encodes_to(x, der, len))) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

int cert_parse_chain(const uint8_t *data, size_t len, STACK_OF(X509) * *out, struct error *err)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	BIO *bio = NULL;
	int rc = -1;

	*out = NULL;
	if (chain == NULL) {
		err_openssl(err, ERR_CRYPTO, "error parsing certificate");
		goto out;
	}
	if (data == NULL || len == 0) {
		err_set(err, ERR_INVALID, "error parsing certificate: empty input");
		goto out;
	}
	if (len > CRYPTO_INPUT_MAX) {
		err_set(err, ERR_TOO_LARGE, "error parsing certificate: input too large");
		goto out;
	}
	if (!crypto_is_pem(data, len)) {
		X509 *x = cert_from_der(data, len);
		if (x == NULL || !sk_X509_push(chain, x)) {
			X509_free(x);
			err_set(err, ERR_INVALID, "error parsing certificate: invalid ASN.1 data");
			goto out;
		}
	} else {
		bio = BIO_new_mem_buf(data, (int)len);
		for (;;) {
			char *name = NULL, *header = NULL;
			unsigned char *der = NULL;
			long dlen = 0;
			X509 *x = NULL;
			bool ok = true;

			if (bio == NULL || !PEM_read_bio(bio, &name, &header, &der, &dlen)) {
				unsigned long e = ERR_peek_last_error();
				if (bio != NULL && ERR_GET_LIB(e) == ERR_LIB_PEM &&
				    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
					break; /* end of data */
				err_set(err, ERR_INVALID, "error parsing certificate: invalid PEM");
				goto out;
			}
			if (strcmp(name, "CERTIFICATE") == 0) {
				x = cert_from_der(der, (size_t)dlen);
				ok = x != NULL && sk_X509_push(chain, x);
			}
			OPENSSL_free(name);
			OPENSSL_free(header);
			OPENSSL_free(der);
			if (!ok) {
				X509_free(x);
				err_set(err, ERR_INVALID,
					"error parsing certificate: invalid ASN.1 data");
				goto out;
			}
		}
		if (sk_X509_num(chain) == 0) {
			err_set(err, ERR_INVALID,
				"error parsing certificate: no certificate found");
			goto out;
		}
	}
	*out = chain;
	chain = NULL;
	rc = 0;
out:
	BIO_free(bio);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return rc;
}

int cert_load_chain_file(const char *path, STACK_OF(X509) * *out, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (file_read(path, CRYPTO_INPUT_MAX, &data, &len, err) != 0)
		return -1;
	rc = cert_parse_chain(data, len, out, err);
	if (rc != 0)
		err_wrap(err, "%s", path);
	free(data);
	return rc;
}

int cert_load_file(const char *path, X509 **out, struct error *err)
{
	STACK_OF(X509) *chain = NULL;

	*out = NULL;
	if (cert_load_chain_file(path, &chain, err) != 0)
		return -1;
	*out = sk_X509_shift(chain);
	sk_X509_pop_free(chain, X509_free);
	return 0;
}

int cert_to_pem(X509 *cert, char **pem, struct error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -1;

	*pem = NULL;
	if (bio == NULL || cert == NULL || !PEM_write_bio_X509(bio, cert)) {
		err_openssl(err, ERR_CRYPTO, "error encoding certificate");
		goto out;
	}
	rc = crypto_bio_to_str(bio, pem, err);
out:
	BIO_free(bio);
	return rc;
}

int cert_chain_to_pem(STACK_OF(X509) * chain, char **pem, struct error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -1;

	*pem = NULL;
	if (bio == NULL) {
		err_openssl(err, ERR_CRYPTO, "error encoding certificate");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(chain); i++) {
		if (!PEM_write_bio_X509(bio, sk_X509_value(chain, i))) {
			err_openssl(err, ERR_CRYPTO, "error encoding certificate");
			goto out;
		}
	}
	rc = crypto_bio_to_str(bio, pem, err);
out:
	BIO_free(bio);
	return rc;
}

int cert_to_der(X509 *cert, uint8_t **der, size_t *len, struct error *err)
{
	unsigned char *p = NULL;
	int n = cert != NULL ? i2d_X509(cert, &p) : -1;

	*der = NULL;
	*len = 0;
	if (n <= 0)
		return err_openssl(err, ERR_CRYPTO, "error encoding certificate");
	*der = p;
	*len = (size_t)n;
	return 0;
}

static void hex_lower(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int cert_fingerprint(X509 *cert, char out[65], struct error *err)
{
	unsigned char md[32];
	unsigned int n = 0;

	out[0] = '\0';
	if (cert == NULL || X509_digest(cert, crypto_md_sha256(), md, &n) != 1 || n != 32)
		return err_openssl(err, ERR_CRYPTO, "error computing certificate fingerprint");
	hex_lower(md, n, out);
	return 0;
}

/* The SubjectPublicKeyInfo DER of an EC key in xpk with its point uncompressed; *der
 * OPENSSL_malloc'd. -1 when the key or its point does not decode. */
static int ec_spki_uncompressed(X509_PUBKEY *xpk, unsigned char **der)
{
	const unsigned char *pk = NULL;
	unsigned char point[1 + 2 * 66];
	const void *curve = NULL;
	ASN1_OBJECT *alg_oid = NULL;
	X509_ALGOR *alg = NULL;
	X509_PUBKEY *out = NULL;
	EC_GROUP *group = NULL;
	EC_POINT *p = NULL;
	unsigned char *copy = NULL;
	int pklen = 0, ptype = 0, len = -1;
	size_t n = 0;

	if (X509_PUBKEY_get0_param(&alg_oid, &pk, &pklen, &alg, xpk) != 1)
		return -1;
	X509_ALGOR_get0(NULL, &ptype, &curve, alg);
	if (ptype != V_ASN1_OBJECT ||
	    (group = EC_GROUP_new_by_curve_name(OBJ_obj2nid(curve))) == NULL ||
	    (p = EC_POINT_new(group)) == NULL ||
	    EC_POINT_oct2point(group, p, pk, (size_t)pklen, NULL) != 1 ||
	    (n = EC_POINT_point2oct(group, p, POINT_CONVERSION_UNCOMPRESSED, point, sizeof(point),
				    NULL)) == 0 ||
	    (out = X509_PUBKEY_new()) == NULL || (copy = OPENSSL_memdup(point, n)) == NULL)
		goto out;
	if (X509_PUBKEY_set0_param(out, OBJ_dup(alg_oid), V_ASN1_OBJECT, OBJ_dup(curve), copy,
				   (int)n) != 1) {
		OPENSSL_free(copy);
		goto out;
	}
	len = i2d_X509_PUBKEY(out, der);
out:
	X509_PUBKEY_free(out);
	EC_POINT_free(p);
	EC_GROUP_free(group);
	return len;
}

int cert_key_id(X509 *cert, char out[65], struct error *err)
{
	X509_PUBKEY *xpk = cert != NULL ? X509_get_X509_PUBKEY(cert) : NULL;
	const unsigned char *pk = NULL;
	ASN1_OBJECT *alg_oid = NULL;
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int pklen = 0, len = -1;

	out[0] = '\0';
	if (xpk != NULL && X509_PUBKEY_get0_param(&alg_oid, &pk, &pklen, NULL, xpk) == 1) {
		if (OBJ_obj2nid(alg_oid) == NID_X9_62_id_ecPublicKey && pklen > 0 && pk[0] != 0x04)
			len = ec_spki_uncompressed(xpk, &der);
		else
			len = i2d_X509_PUBKEY(xpk, &der);
	}
	if (len <= 0 || EVP_Digest(der, (size_t)len, md, &mdlen, crypto_md_sha256(), NULL) != 1) {
		OPENSSL_free(der);
		return err_openssl(err, ERR_CRYPTO, "error computing the certificate's key id");
	}
	OPENSSL_free(der);
	hex_lower(md, mdlen, out);
	return 0;
}

/* Whether spki is an EC key whose point is not in uncompressed form. */
static bool ec_point_compressed(const uint8_t *spki, size_t len)
{
	static const uint8_t ec_oid[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
	struct der_elem alg, bits, oid;
	const uint8_t *p;

	if (!der_spki_split(spki, len, &alg, &bits) || bits.len < 2)
		return false;
	p = alg.content;
	if (!der_take(&p, alg.content + alg.len, V_ASN1_OBJECT, &oid) ||
	    oid.len != sizeof(ec_oid) || memcmp(oid.content, ec_oid, oid.len) != 0)
		return false;
	return bits.content[1] != 0x04;
}

int spki_key_id(const uint8_t *spki, size_t len, char out[65], struct error *err)
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	bool ok;

	if (ec_point_compressed(spki, len)) {
		/* the key id names the uncompressed point, as cert_key_id (rare, so OpenSSL's) */
		const unsigned char *p = spki;
		X509_PUBKEY *xpk = d2i_X509_PUBKEY(NULL, &p, (long)len);
		int n = xpk != NULL ? ec_spki_uncompressed(xpk, &der) : -1;
		X509_PUBKEY_free(xpk);
		ok = n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, crypto_md_sha256(), NULL) == 1;
		OPENSSL_free(der);
	} else {
		ok = EVP_Digest(spki, len, md, &mdlen, crypto_md_sha256(), NULL) == 1;
	}
	if (!ok)
		return err_openssl(err, ERR_CRYPTO, "error computing the certificate's key id");
	hex_lower(md, mdlen, out);
	return 0;
}

bool cert_same_key(X509 *a, X509 *b)
{
	X509_PUBKEY *pa = X509_get_X509_PUBKEY(a), *pb = X509_get_X509_PUBKEY(b);
	const unsigned char *ka = NULL, *kb = NULL;
	X509_ALGOR *alg_a = NULL, *alg_b = NULL;
	int la = 0, lb = 0;

	return pa != NULL && pb != NULL &&
	       X509_PUBKEY_get0_param(NULL, &ka, &la, &alg_a, pa) == 1 &&
	       X509_PUBKEY_get0_param(NULL, &kb, &lb, &alg_b, pb) == 1 && la == lb &&
	       memcmp(ka, kb, (size_t)la) == 0 && X509_ALGOR_cmp(alg_a, alg_b) == 0;
}

int cert_fingerprint_normalize(const char *in, char out[65], struct error *err)
{
	size_t k = 0;

	out[0] = '\0';
	for (const char *p = in; p != NULL && *p != '\0'; p++) {
		char c = *p;
		if (c == '-' || c == ':')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || k == 64) {
			out[0] = '\0';
			return err_set(err, ERR_INVALID,
				       "invalid fingerprint: want 64 hexadecimal characters");
		}
		out[k++] = c;
	}
	out[k] = '\0';
	if (k != 64) {
		out[0] = '\0';
		return err_set(err, ERR_INVALID,
			       "invalid fingerprint: want 64 hexadecimal characters");
	}
	return 0;
}

char *crypto_asn1_integer_decimal(const ASN1_INTEGER *ai)
{
	BIGNUM *bn = ai != NULL ? ASN1_INTEGER_to_BN(ai, NULL) : NULL;
	char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;
	char *out = dec != NULL ? xstrdup(dec) : NULL;

	OPENSSL_free(dec);
	BN_free(bn);
	ERR_clear_error();
	return out;
}

char *cert_serial_decimal(X509 *cert)
{
	return crypto_asn1_integer_decimal(cert != NULL ? X509_get0_serialNumber(cert) : NULL);
}

int64_t crypto_asn1_time_ns(const ASN1_TIME *t)
{
	struct tm tm;
	time_t s;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return 0;
	}
	s = timegm(&tm);
	if (s > INT64_MAX / INT64_C(1000000000))
		return INT64_MAX;
	if (s < INT64_MIN / INT64_C(1000000000))
		return INT64_MIN;
	return (int64_t)s * INT64_C(1000000000);
}

int64_t cert_not_before_ns(X509 *cert)
{
	return crypto_asn1_time_ns(cert != NULL ? X509_get0_notBefore(cert) : NULL);
}

int64_t cert_not_after_ns(X509 *cert)
{
	return crypto_asn1_time_ns(cert != NULL ? X509_get0_notAfter(cert) : NULL);
}

char *cert_common_name(X509 *cert)
{
	char *cn = cert != NULL ? crypto_name_cn(X509_get_subject_name(cert)) : NULL;

	return cn != NULL ? cn : xstrdup("");
}

int cert_verify_chain(X509 *leaf, STACK_OF(X509) * untrusted, X509_STORE *roots, int64_t at_ns,
		      int purpose, struct error *err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	if (ctx == NULL || leaf == NULL || roots == NULL ||
	    !X509_STORE_CTX_init(ctx, roots, leaf, untrusted)) {
		err_openssl(err, ERR_CRYPTO, "error verifying certificate");
		goto out;
	}
	if (at_ns != 0)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
					   crypto_ns_to_time(at_ns));
	if (purpose != 0 && !X509_STORE_CTX_set_purpose(ctx, purpose)) {
		err_openssl(err, ERR_INTERNAL, "error verifying certificate: bad purpose");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		int code = X509_STORE_CTX_get_error(ctx);
		err_set(err, ERR_UNAUTHORIZED, "%s", X509_verify_cert_error_string(code));
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

X509_STORE *cert_store_new(STACK_OF(X509) * certs)
{
	X509_STORE *store = X509_STORE_new();

	for (int i = 0; store != NULL && i < sk_X509_num(certs); i++) {
		if (!X509_STORE_add_cert(store, sk_X509_value(certs, i))) {
			X509_STORE_free(store);
			store = NULL;
		}
	}
	ERR_clear_error();
	return store;
}
