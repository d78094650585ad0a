/* csr_fast.c - parsing a CSR without OpenSSL 3.0's per-call key decoder.
 *
 * d2i_X509_REQ() decodes the subject public key through an OSSL_DECODER context that OpenSSL
 * 3.0 builds anew for every call: about 200 us, more than verifying the CSR's signature and
 * signing the certificate together. Here the CSR's DER is walked by hand, the key is built
 * directly (EC with a cached group, RSA through d2i_RSAPublicKey: "legacy" keys, which
 * OpenSSL also encodes quickly when the certificate is built) and the X509_REQ is assembled
 * from its parts. The result is used only if it encodes to exactly the input bytes; any
 * other CSR (other key types, unusual encodings) goes through d2i_X509_REQ as before, so
 * both paths accept the same inputs and produce the same object.
 *
 * Verifying such a CSR's signature through EVP exports its legacy EC key to the provider on
 * every call (about 18 us of the 70 a verification costs); csr_verify_fast hashes the request
 * info and calls ECDSA_verify on the EC_KEY instead, with the checks X509_REQ_verify makes.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <string.h>

#include "crypto/csr.h"
#include "crypto/internal.h"

#define TAG_SEQUENCE   0x30
#define TAG_INTEGER    0x02
#define TAG_BIT_STRING 0x03
#define TAG_NULL       0x05
#define TAG_OID	       0x06
#define TAG_ATTRIBUTES 0xa0 /* [0] IMPLICIT SET OF Attribute */
#define MAX_ATTRIBUTES 16

/* The parts of a CertificationRequest (RFC 2986). */
struct csr_parts {
	struct der_elem version, subject, spki, attrs, sig_alg, sig;
	bool has_attrs;
	struct der_elem key_alg, key_params, key_bits; /* inside spki */
};

static bool split_csr(const uint8_t *der, size_t len, struct csr_parts *c)
{
	const uint8_t *p = der, *end = der + len, *q;
	struct der_elem outer, info, alg, null;

	memset(c, 0, sizeof(*c));
	if (!der_take(&p, end, TAG_SEQUENCE, &outer) || p != end)
		return false;
	p = outer.content;
	end = outer.content + outer.len;
	if (!der_take(&p, end, TAG_SEQUENCE, &info) ||
	    !der_take(&p, end, TAG_SEQUENCE, &c->sig_alg) ||
	    !der_take(&p, end, TAG_BIT_STRING, &c->sig) || p != end)
		return false;
	p = info.content;
	end = info.content + info.len;
	if (!der_take(&p, end, TAG_INTEGER, &c->version) ||
	    !der_take(&p, end, TAG_SEQUENCE, &c->subject) ||
	    !der_take(&p, end, TAG_SEQUENCE, &c->spki))
		return false;
	c->has_attrs = der_take(&p, end, TAG_ATTRIBUTES, &c->attrs);
	if (p != end)
		return false;
	q = c->spki.content;
	end = c->spki.content + c->spki.len;
	if (!der_take(&q, end, TAG_SEQUENCE, &alg) ||
	    !der_take(&q, end, TAG_BIT_STRING, &c->key_bits) || q != end)
		return false;
	q = alg.content;
	end = alg.content + alg.len;
	if (!der_take(&q, end, TAG_OID, &c->key_alg))
		return false;
	/* Only a named curve or NULL as parameters take the fast path. */
	if (q < end && !der_take(&q, end, TAG_OID, &c->key_params) &&
	    !(der_take(&q, end, TAG_NULL, &null) && null.len == 0))
		return false;
	return q == end;
}

/* Made once: the groups of the NIST curves (building one costs more than the rest of a key),
 * and the digests of the ecdsa-with-SHA* signature algorithms. */
static const int curve_nids[] = {NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1};
static EC_GROUP *curve_groups[3];
static const int ecdsa_sig_nids[] = {NID_ecdsa_with_SHA256, NID_ecdsa_with_SHA384,
				     NID_ecdsa_with_SHA512};
static const char *const ecdsa_sig_digests[] = {"SHA256", "SHA384", "SHA512"};
static EVP_MD *ecdsa_mds[3];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void make_tables(void)
{
	for (size_t i = 0; i < 3; i++) {
		curve_groups[i] = EC_GROUP_new_by_curve_name(curve_nids[i]);
		ecdsa_mds[i] = EVP_MD_fetch(NULL, ecdsa_sig_digests[i], NULL);
	}
}

static const EC_GROUP *curve_group(int nid)
{
	pthread_once(&tables_once, make_tables);
	for (size_t i = 0; i < 3; i++)
		if (curve_nids[i] == nid)
			return curve_groups[i];
	return NULL;
}

static int oid_nid(const struct der_elem *e)
{
	const unsigned char *p = e->start;
	ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &p, (long)e->size);
	int nid = o != NULL ? OBJ_obj2nid(o) : NID_undef;

	ASN1_OBJECT_free(o);
	return nid;
}

/* The BIT STRING's bytes when it has no unused bits. */
static bool bit_string_bytes(const struct der_elem *bits, const uint8_t **p, size_t *n)
{
	if (bits->len < 2 || bits->content[0] != 0)
		return false;
	*p = bits->content + 1;
	*n = bits->len - 1;
	return true;
}

/* The EC key of the CSR, set in req. X509_REQ_set_pubkey encodes the key it is given to fill
 * the request's SubjectPublicKeyInfo, and encoding an EC point costs a field inversion (its
 * affine coordinates): more than the rest of the parse. So req takes the key while its point is
 * still the point at infinity (one zero byte to encode); then the CSR's point is read into that
 * same key (req holds a reference to it, not a copy) and the SubjectPublicKeyInfo gets the
 * CSR's algorithm, curve and bytes, from which the point was read. encodes_to checks the
 * result as before. */
static bool set_ec_pubkey(X509_REQ *req, const struct csr_parts *c)
{
	int nid = c->key_params.start != NULL ? oid_nid(&c->key_params) : NID_undef;
	const EC_GROUP *group = curve_group(nid);
	EC_KEY *ec = group != NULL ? EC_KEY_new() : NULL;
	EC_POINT *infinity = group != NULL ? EC_POINT_new(group) : NULL; /* as a new point is */
	EVP_PKEY *pkey = NULL;
	const uint8_t *pt;
	uint8_t *bits;
	size_t n;
	bool ok;

	if (ec == NULL || infinity == NULL || EC_KEY_set_group(ec, group) != 1 ||
	    !bit_string_bytes(&c->key_bits, &pt, &n) || EC_KEY_set_public_key(ec, infinity) != 1 ||
	    (pkey = EVP_PKEY_new()) == NULL || EVP_PKEY_assign_EC_KEY(pkey, ec) != 1) {
		EC_POINT_free(infinity);
		EVP_PKEY_free(pkey);
		EC_KEY_free(ec);
		return false;
	}
	EC_POINT_free(infinity);
	/* From here pkey owns ec. */
	ok = X509_REQ_set_pubkey(req, pkey) == 1 && EC_KEY_oct2key(ec, pt, n, NULL) == 1 &&
	     (bits = OPENSSL_memdup(pt, n)) != NULL;
	if (ok && X509_PUBKEY_set0_param(X509_REQ_get_X509_PUBKEY(req),
					 OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
					 OBJ_nid2obj(nid), bits, (int)n) != 1) {
		OPENSSL_free(bits);
		ok = false;
	}
	EVP_PKEY_free(pkey);
	return ok;
}

static EVP_PKEY *rsa_key(const struct csr_parts *c)
{
	const uint8_t *pt;
	size_t n;
	RSA *rsa = NULL;
	EVP_PKEY *pkey = NULL;

	if (c->key_params.start != NULL || !bit_string_bytes(&c->key_bits, &pt, &n))
		return NULL;
	rsa = d2i_RSAPublicKey(NULL, &pt, (long)n);
	if (rsa != NULL && (pkey = EVP_PKEY_new()) != NULL && EVP_PKEY_assign_RSA(pkey, rsa) == 1)
		return pkey;
	EVP_PKEY_free(pkey);
	RSA_free(rsa);
	return NULL;
}

static bool set_pubkey(X509_REQ *req, const struct csr_parts *c)
{
	EVP_PKEY *key;
	bool ok;

	switch (oid_nid(&c->key_alg)) {
	case NID_X9_62_id_ecPublicKey:
		return set_ec_pubkey(req, c);
	case NID_rsaEncryption:
		key = rsa_key(c);
		ok = key != NULL && X509_REQ_set_pubkey(req, key) == 1;
		EVP_PKEY_free(key);
		return ok;
	default:
		return false;
	}
}

/* Adds every Attribute of the [0] element to req. */
static bool add_attributes(X509_REQ *req, const struct der_elem *attrs)
{
	const uint8_t *p = attrs->content, *end = attrs->content + attrs->len;
	int n = 0;

	while (p < end) {
		struct der_elem a;
		const unsigned char *q;
		X509_ATTRIBUTE *attr;
		bool ok;

		if (++n > MAX_ATTRIBUTES || !der_take(&p, end, TAG_SEQUENCE, &a))
			return false;
		q = a.start;
		attr = d2i_X509_ATTRIBUTE(NULL, &q, (long)a.size);
		ok = attr != NULL && q == a.start + a.size && X509_REQ_add1_attr(req, attr) == 1;
		X509_ATTRIBUTE_free(attr);
		if (!ok)
			return false;
	}
	return true;
}

static bool set_subject(X509_REQ *req, const struct der_elem *e)
{
	const unsigned char *p = e->start;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)e->size);
	bool ok = name != NULL && p == e->start + e->size && X509_REQ_set_subject_name(req, name);

	X509_NAME_free(name);
	return ok;
}

static bool set_version(X509_REQ *req, const struct der_elem *e)
{
	/* Only v1 (0), as every CSR has; anything else takes the general path. */
	return e->len == 1 && e->content[0] == 0 && X509_REQ_set_version(req, 0) == 1;
}

static bool set_signature(X509_REQ *req, const struct csr_parts *c)
{
	const unsigned char *p = c->sig_alg.start, *q = c->sig.start;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)c->sig_alg.size);
	ASN1_BIT_STRING *sig = d2i_ASN1_BIT_STRING(NULL, &q, (long)c->sig.size);
	bool ok = alg != NULL && sig != NULL && X509_REQ_set1_signature_algo(req, alg) == 1;

	if (ok)
		X509_REQ_set0_signature(req, sig);
	else
		ASN1_BIT_STRING_free(sig);
	X509_ALGOR_free(alg);
	return ok;
}

/* Whether req encodes to exactly der: then it is what d2i_X509_REQ would have made. */
static bool encodes_to(X509_REQ *req, const uint8_t *der, size_t len)
{
	unsigned char *out = NULL;
	int n = i2d_X509_REQ(req, &out);
	bool same = n > 0 && (size_t)n == len && memcmp(out, der, len) == 0;

	OPENSSL_free(out);
	return same;
}

X509_REQ *csr_parse_der_fast(const uint8_t *der, size_t len)
{
	struct csr_parts c;
	X509_REQ *req = NULL;
	bool ok;

	if (!split_csr(der, len, &c) || (req = X509_REQ_new()) == NULL) {
		ok = false;
	} else {
		ok = set_version(req, &c.version) && set_subject(req, &c.subject) &&
		     set_pubkey(req, &c) && (!c.has_attrs || add_attributes(req, &c.attrs)) &&
		     set_signature(req, &c) && encodes_to(req, der, len);
	}
	if (!ok) {
		X509_REQ_free(req);
		req = NULL;
	}
	ERR_clear_error();
	return req;
}

/* The digest of an ecdsa-with-SHA* signature algorithm; NULL for others. */
static const EVP_MD *ecdsa_sig_md(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *oid;
	const void *params;
	int ptype, nid;

	X509_ALGOR_get0(&oid, &ptype, &params, alg);
	if (ptype != V_ASN1_UNDEF)
		return NULL; /* parameters: let OpenSSL judge them */
	nid = OBJ_obj2nid(oid);
	pthread_once(&tables_once, make_tables);
	for (size_t i = 0; i < 3; i++)
		if (ecdsa_sig_nids[i] == nid)
			return ecdsa_mds[i];
	return NULL;
}

/* The DER CertificationRequestInfo of req as signed: the first element of its encoding. */
static bool request_info(X509_REQ *req, uint8_t **der, struct der_elem *info)
{
	int n = i2d_X509_REQ(req, der);
	const uint8_t *p, *end;
	struct der_elem outer;

	if (n <= 0)
		return false;
	p = *der;
	end = *der + n;
	if (!der_take(&p, end, TAG_SEQUENCE, &outer))
		return false;
	p = outer.content;
	return der_take(&p, outer.content + outer.len, TAG_SEQUENCE, info);
}

int csr_verify_fast(X509_REQ *req)
{
	EVP_PKEY *pkey = X509_REQ_get0_pubkey(req);
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const EVP_MD *md;
	uint8_t *der = NULL, digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EC_KEY *ec;
	struct der_elem info;
	int rc = -1;

	/* Only legacy EC keys (the fast parser's): provider keys have no export to save. */
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get0_provider(pkey) != NULL)
		return -1;
	X509_REQ_get0_signature(req, &sig, &alg);
	md = ecdsa_sig_md(alg);
	/* A BIT STRING with unused bits is refused by OpenSSL with its own error. */
	if (md == NULL || (sig->flags & ASN1_STRING_FLAG_BITS_LEFT && (sig->flags & 0x07) != 0))
		return -1;
	ec = EVP_PKEY_get1_EC_KEY(pkey); /* a reference: ECDSA_verify wants it non-const */
	if (ec != NULL && request_info(req, &der, &info) &&
	    EVP_Digest(info.start, info.size, digest, &dlen, md, NULL) == 1)
		rc = ECDSA_verify(0, digest, (int)dlen, ASN1_STRING_get0_data(sig),
				  ASN1_STRING_length(sig), ec) == 1
			 ? 1
			 : 0;
	EC_KEY_free(ec);
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}
