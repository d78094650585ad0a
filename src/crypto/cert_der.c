/* cert_der.c - what the authority needs from a certificate it has just written, read from its
 * DER without building an X509 object: OpenSSL 3.0's d2i_X509 decodes the public key through a
 * decoder context it builds anew for every call, which costs more than signing the
 * certificate. The certificate is stride's own, so the walk only needs to find its fields. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "base/pem_text.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/internal.h"

/* The fields of a TBSCertificate (RFC 5280 §4.1) the callers use. */
struct tbs_fields {
	struct der_elem serial, not_after, subject, extensions; /* extensions.len 0: none */
};

static bool split_tbs(const uint8_t *der, size_t len, struct tbs_fields *f)
{
	const uint8_t *p = der, *end = der + len, *q, *tend;
	struct der_elem cert, tbs, s, validity;

	memset(f, 0, sizeof(*f));
	if (!der_next(&p, end, &cert) || cert.tag != 0x30)
		return false;
	p = cert.content;
	end = cert.content + cert.len;
	if (!der_next(&p, end, &tbs) || tbs.tag != 0x30)
		return false;
	q = tbs.content;
	tend = tbs.content + tbs.len;
	if (!der_next(&q, tend, &s))
		return false;
	if (s.tag == 0xa0 && !der_next(&q, tend, &s)) /* [0] version */
		return false;
	f->serial = s;
	if (f->serial.tag != V_ASN1_INTEGER || !der_next(&q, tend, &s) /* signature */ ||
	    !der_next(&q, tend, &s) /* issuer */ || !der_next(&q, tend, &validity) ||
	    validity.tag != 0x30 || !der_next(&q, tend, &f->subject) ||
	    !der_next(&q, tend, &s) /* spki */)
		return false;
	{
		const uint8_t *v = validity.content, *vend = validity.content + validity.len;
		if (!der_next(&v, vend, &s) || !der_next(&v, vend, &f->not_after))
			return false;
	}
	while (q < tend) { /* [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions */
		if (!der_next(&q, tend, &s))
			return false;
		if (s.tag == 0xa3) {
			const uint8_t *e = s.content;
			if (!der_next(&e, s.content + s.len, &f->extensions) ||
			    f->extensions.tag != 0x30)
				return false;
		}
	}
	return true;
}

char *cert_der_serial_decimal(const uint8_t *der, size_t len)
{
	struct tbs_fields f;
	const unsigned char *p;
	ASN1_INTEGER *ai;
	char *out;

	if (!split_tbs(der, len, &f))
		return NULL;
	p = f.serial.start;
	ai = d2i_ASN1_INTEGER(NULL, &p, (long)f.serial.size);
	out = crypto_asn1_integer_decimal(ai);
	ASN1_INTEGER_free(ai);
	return out;
}

int64_t cert_der_not_after_ns(const uint8_t *der, size_t len)
{
	struct tbs_fields f;
	const unsigned char *p;
	ASN1_TIME *t;
	int64_t ns;

	if (!split_tbs(der, len, &f))
		return 0;
	p = f.not_after.start;
	t = d2i_ASN1_TIME(NULL, &p, (long)f.not_after.size);
	ns = crypto_asn1_time_ns(t);
	ASN1_TIME_free(t);
	return ns;
}

/* The value of the extension whose OID content is oid, or false. */
static bool find_ext(const struct tbs_fields *f, const uint8_t *oid, size_t oid_len,
		     struct der_elem *value)
{
	const uint8_t *p = f->extensions.content, *end = p + f->extensions.len;
	struct der_elem ext, id, s;

	while (p < end && der_next(&p, end, &ext)) {
		const uint8_t *q = ext.content, *qend = q + ext.len;
		if (!der_next(&q, qend, &id) || id.tag != V_ASN1_OBJECT || id.len != oid_len ||
		    memcmp(id.content, oid, oid_len) != 0)
			continue;
		if (!der_next(&q, qend, &s))
			return false;
		if (s.tag == V_ASN1_BOOLEAN && !der_next(&q, qend, &s))
			return false;
		if (s.tag != V_ASN1_OCTET_STRING)
			return false;
		*value = s;
		return true;
	}
	return false;
}

int cert_der_names(const uint8_t *der, size_t len, struct names *out, struct error *err)
{
	static const uint8_t san_oid[] = {0x55, 0x1d, 0x11}; /* 2.5.29.17 */
	struct tbs_fields f;
	struct der_elem san;
	GENERAL_NAMES *gens = NULL;
	X509_NAME *subject = NULL;
	const unsigned char *p;
	char *cn = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!split_tbs(der, len, &f)) {
		err_set(err, ERR_INVALID, "invalid certificate");
		goto out;
	}
	p = f.subject.start;
	subject = d2i_X509_NAME(NULL, &p, (long)f.subject.size);
	cn = subject != NULL ? crypto_name_cn(subject) : NULL;
	if (cn == NULL) {
		err_set(err, ERR_INVALID, "invalid certificate: bad common name");
		goto out;
	}
	if (find_ext(&f, san_oid, sizeof(san_oid), &san)) {
		p = san.content;
		gens = d2i_GENERAL_NAMES(NULL, &p, (long)san.len);
		if (gens == NULL) {
			err_set(err, ERR_INVALID,
				"invalid certificate: bad subject alternative names");
			goto out;
		}
	}
	rc = crypto_names_from_gens(gens, cn, out, err);
out:
	free(cn);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(subject);
	ERR_clear_error();
	return rc;
}

bool cert_der_is_sequence(const uint8_t *der, size_t len)
{
	const uint8_t *p = der;
	struct der_elem e;

	return der_take(&p, der + len, 0x30, &e) && p == der + len;
}

int cert_der_to_pem(const uint8_t *der, size_t len, char **pem, struct error *err)
{
	*pem = NULL;
	if (der == NULL || len == 0 || len > CRYPTO_INPUT_MAX)
		return err_set(err, ERR_INVALID, "error encoding certificate");
	*pem = pem_text("CERTIFICATE", der, len);
	return 0;
}
