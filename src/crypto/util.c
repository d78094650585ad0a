/* util.c - DER writing, digests, SAN conversion and other helpers of the crypto module. */
#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "crypto/internal.h"
#include "crypto/key.h"

void dbuf_put(struct dbuf *b, const void *d, size_t n)
{
	if (n == 0)
		return;
	if (b->n + n > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 64;
		while (cap < b->n + n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

void dbuf_put_tlv(struct dbuf *b, uint8_t tag, const void *d, size_t n)
{
	uint8_t hdr[6];
	size_t h = 0;

	hdr[h++] = tag;
	if (n < 0x80) {
		hdr[h++] = (uint8_t)n;
	} else {
		uint8_t len[4];
		size_t k = 0;
		for (size_t v = n; v != 0 && k < sizeof(len); v >>= 8)
			len[k++] = (uint8_t)(v & 0xff);
		hdr[h++] = (uint8_t)(0x80 | k);
		while (k > 0)
			hdr[h++] = len[--k];
	}
	dbuf_put(b, hdr, h);
	dbuf_put(b, d, n);
}

void dbuf_put_uint(struct dbuf *b, uint64_t v)
{
	uint8_t tmp[9];
	size_t k = sizeof(tmp);

	do {
		tmp[--k] = (uint8_t)(v & 0xff);
		v >>= 8;
	} while (v != 0);
	if (tmp[k] & 0x80)
		tmp[--k] = 0;
	dbuf_put_tlv(b, V_ASN1_INTEGER, tmp + k, sizeof(tmp) - k);
}

void dbuf_free(struct dbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

int der_header(const uint8_t *p, size_t avail, uint8_t *tag, size_t *hdr, size_t *len)
{
	size_t h = 2, l;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	l = p[1];
	if (l & 0x80) {
		size_t k = l & 0x7f;
		if (k == 0 || k > 4 || avail < 2 + k)
			return -1;
		l = 0;
		for (size_t i = 0; i < k; i++)
			l = (l << 8) | p[2 + i];
		h += k;
	}
	if (l > avail - h)
		return -1;
	*hdr = h;
	*len = l;
	return 0;
}

bool der_next(const uint8_t **p, const uint8_t *end, struct der_elem *e)
{
	size_t hdr, len;

	if (*p >= end || der_header(*p, (size_t)(end - *p), &e->tag, &hdr, &len) != 0)
		return false;
	e->start = *p;
	e->content = *p + hdr;
	e->len = len;
	e->size = hdr + len;
	*p += e->size;
	return true;
}

bool der_take(const uint8_t **p, const uint8_t *end, uint8_t tag, struct der_elem *e)
{
	const uint8_t *q = *p;
	struct der_elem got;

	if (!der_next(&q, end, &got) || got.tag != tag)
		return false; /* *p and *e untouched: an optional element may be absent */
	*p = q;
	*e = got;
	return true;
}

bool der_spki_split(const uint8_t *spki, size_t len, struct der_elem *alg, struct der_elem *bits)
{
	const uint8_t *p = spki, *end = spki + len;
	struct der_elem outer;

	if (!der_take(&p, end, 0x30, &outer) || p != end)
		return false;
	p = outer.content;
	end = outer.content + outer.len;
	return der_take(&p, end, 0x30, alg) && der_take(&p, end, 0x03, bits) && p == end;
}

/* Digests fetched once: an implicit fetch on every use costs a lock and a lookup. */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha1, *md_sha256, *md_sha384, *md_sha512;

static void md_init(void)
{
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	md_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
	ERR_clear_error();
}

const EVP_MD *crypto_md_sha1(void)
{
	pthread_once(&md_once, md_init);
	return md_sha1 != NULL ? md_sha1 : EVP_sha1();
}

const EVP_MD *crypto_md_sha256(void)
{
	pthread_once(&md_once, md_init);
	return md_sha256 != NULL ? md_sha256 : EVP_sha256();
}

const EVP_MD *crypto_md_sha384(void)
{
	pthread_once(&md_once, md_init);
	return md_sha384 != NULL ? md_sha384 : EVP_sha384();
}

const EVP_MD *crypto_md_sha512(void)
{
	pthread_once(&md_once, md_init);
	return md_sha512 != NULL ? md_sha512 : EVP_sha512();
}

int crypto_ec_curve_nid(const EVP_PKEY *key)
{
	char name[64];
	size_t n = 0;
	int nid;

	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return NID_undef;
	if (EVP_PKEY_get_group_name(key, name, sizeof(name), &n) != 1) {
		ERR_clear_error();
		return NID_undef;
	}
	nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	return nid;
}

bool crypto_key_supported(const EVP_PKEY *key)
{
	const EVP_MD *md;

	return crypto_sign_md(key, &md, NULL) == 0;
}

int crypto_sign_md(const EVP_PKEY *key, const EVP_MD **md, struct error *err)
{
	*md = NULL;
	if (key == NULL)
		return err_set(err, ERR_INVALID, "missing key");
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		switch (crypto_ec_curve_nid(key)) {
		case NID_X9_62_prime256v1:
			*md = crypto_md_sha256();
			return 0;
		case NID_secp384r1:
			*md = crypto_md_sha384();
			return 0;
		case NID_secp521r1:
			*md = crypto_md_sha512();
			return 0;
		default:
			return err_set(err, ERR_INVALID, "unsupported elliptic curve");
		}
	case EVP_PKEY_ED25519:
		return 0;
	case EVP_PKEY_RSA:
		*md = crypto_md_sha256();
		return 0;
	default:
		return err_set(err, ERR_INVALID, "unsupported key type '%s'",
			       OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
	}
}

int crypto_cert_ski(X509 *cert, uint8_t out[20], struct error *err)
{
	ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(cert);
	unsigned int n = 0;

	if (bits == NULL ||
	    EVP_Digest(ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits), out, &n,
		       crypto_md_sha1(), NULL) != 1 ||
	    n != 20)
		return err_openssl(err, ERR_CRYPTO, "error computing the subject key identifier");
	return 0;
}

/* True when s is printable as an IA5String (ASCII, no NUL since it is a C string). */
static bool is_ia5(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Parses an IP address as text into 4 or 16 bytes (IPv4-mapped IPv6 becomes 4 bytes). */
static int parse_ip(const char *s, uint8_t ip[16], size_t *n)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (inet_pton(AF_INET, s, ip) == 1) {
		*n = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip) == 1) {
		if (memcmp(ip, mapped, sizeof(mapped)) == 0) {
			memmove(ip, ip + 12, 4);
			*n = 4;
		} else {
			*n = 16;
		}
		return 0;
	}
	return -1;
}

static int put_ia5_list(struct dbuf *b, uint8_t tag, const struct strv *sv, const char *what,
			struct error *err)
{
	for (size_t i = 0; i < sv->n; i++) {
		if (!is_ia5(sv->v[i]))
			return err_public(err, ERR_INVALID,
					  "%s '%s' cannot be encoded as IA5String", what, sv->v[i]);
		dbuf_put_tlv(b, tag, sv->v[i], strlen(sv->v[i]));
	}
	return 0;
}

int crypto_san_der(const struct names *n, struct dbuf *out, struct error *err)
{
	struct dbuf seq = {0};
	int rc = -1;

	out->n = 0;
	if (n == NULL)
		return 0;
	/* GeneralName implicit tags: [1] rfc822Name, [2] dNSName, [6] URI, [7] iPAddress. */
	if (put_ia5_list(&seq, 0x82, &n->dns, "DNS name", err) != 0 ||
	    put_ia5_list(&seq, 0x81, &n->email, "email address", err) != 0)
		goto out;
	for (size_t i = 0; i < n->ip.n; i++) {
		uint8_t ip[16];
		size_t iplen;
		if (parse_ip(n->ip.v[i], ip, &iplen) != 0) {
			err_public(err, ERR_INVALID, "invalid IP address '%s'", n->ip.v[i]);
			goto out;
		}
		dbuf_put_tlv(&seq, 0x87, ip, iplen);
	}
	if (put_ia5_list(&seq, 0x86, &n->uri, "URI", err) != 0)
		goto out;
	if (seq.n > 0)
		dbuf_put_tlv(out, 0x30, seq.p, seq.n);
	rc = 0;
out:
	dbuf_free(&seq);
	return rc;
}

int crypto_add_ext(X509 *x, int nid, const ASN1_OBJECT *obj, int crit, const uint8_t *der,
		   size_t len, struct error *err)
{
	ASN1_OCTET_STRING os = {
	    .length = (int)len, .type = V_ASN1_OCTET_STRING, .data = (unsigned char *)der};
	X509_EXTENSION *ext;
	int ok;

	if (len > INT32_MAX)
		return err_set(err, ERR_INVALID, "extension too large");
	if (nid != NID_undef)
		ext = X509_EXTENSION_create_by_NID(NULL, nid, crit, &os);
	else
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, &os);
	ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	if (!ok)
		return err_openssl(err, ERR_CRYPTO, "error adding a certificate extension");
	return 0;
}

/* Copies an IA5String SAN into list, refusing embedded NULs and non-ASCII bytes. */
static int push_ia5(struct strv *list, const ASN1_STRING *s, const char *what, struct error *err)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int len = ASN1_STRING_length(s);
	char *copy;

	for (int i = 0; i < len; i++)
		if (d[i] == 0 || d[i] >= 0x80)
			return err_public(err, ERR_INVALID,
					  "invalid %s in subject alternative names", what);
	copy = xmalloc((size_t)len + 1);
	memcpy(copy, d, (size_t)len);
	copy[len] = '\0';
	strv_push(list, copy);
	free(copy);
	return 0;
}

int crypto_names_from_gens(const GENERAL_NAMES *gens, const char *cn, struct names *out,
			   struct error *err)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->cn = xstrdup(cn != NULL ? cn : "");
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
		char text[INET6_ADDRSTRLEN];
		const unsigned char *ip;
		int iplen;

		switch (gn->type) {
		case GEN_DNS:
			if (push_ia5(&out->dns, gn->d.dNSName, "DNS name", err) != 0)
				goto out;
			break;
		case GEN_EMAIL:
			if (push_ia5(&out->email, gn->d.rfc822Name, "email address", err) != 0)
				goto out;
			break;
		case GEN_URI:
			if (push_ia5(&out->uri, gn->d.uniformResourceIdentifier, "URI", err) != 0)
				goto out;
			break;
		case GEN_IPADD:
			ip = ASN1_STRING_get0_data(gn->d.iPAddress);
			iplen = ASN1_STRING_length(gn->d.iPAddress);
			if (iplen == 16 && memcmp(ip, mapped, sizeof(mapped)) == 0) {
				ip += 12;
				iplen = 4;
			}
			if ((iplen != 4 && iplen != 16) ||
			    inet_ntop(iplen == 4 ? AF_INET : AF_INET6, ip, text, sizeof(text)) ==
				NULL) {
				err_public(err, ERR_INVALID,
					   "invalid IP address in subject alternative names");
				goto out;
			}
			strv_push(&out->ip, text);
			break;
		default:
			break; /* otherName, directoryName, ...: not names step compares */
		}
	}
	rc = 0;
out:
	if (rc != 0)
		names_free(out);
	return rc;
}

char *crypto_name_cn(const X509_NAME *name)
{
	const X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	char *cn;
	int idx, n;

	idx = name != NULL ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	if (idx < 0)
		return xstrdup("");
	e = X509_NAME_get_entry(name, idx);
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n < 0 || memchr(utf8, 0, (size_t)n) != NULL) {
		OPENSSL_free(utf8);
		ERR_clear_error();
		return NULL;
	}
	cn = xmalloc((size_t)n + 1);
	memcpy(cn, utf8, (size_t)n);
	cn[n] = '\0';
	OPENSSL_free(utf8);
	return cn;
}

int crypto_name_add(X509_NAME *name, int nid, const char *value, struct error *err)
{
	ASN1_STRING *s = NULL;
	int type, ok;

	/* Validates UTF-8 and picks PrintableString when every character allows it. */
	type = ASN1_mbstring_copy(&s, (const unsigned char *)value, -1, MBSTRING_UTF8,
				  B_ASN1_PRINTABLESTRING | B_ASN1_UTF8STRING);
	ok = type > 0 && X509_NAME_add_entry_by_NID(name, nid, type, ASN1_STRING_get0_data(s),
						    ASN1_STRING_length(s), -1, 0) == 1;
	ASN1_STRING_free(s);
	if (!ok)
		return err_openssl(err, ERR_INVALID, "invalid %s '%s'", OBJ_nid2sn(nid), value);
	return 0;
}

int crypto_bio_to_str(BIO *bio, char **out, struct error *err)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);

	*out = NULL;
	if (n < 0 || (n > 0 && data == NULL))
		return err_set(err, ERR_INTERNAL, "error reading a memory buffer");
	*out = xmalloc((size_t)n + 1);
	if (n > 0)
		memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
	return 0;
}

time_t crypto_ns_to_time(int64_t ns)
{
	int64_t s = ns / INT64_C(1000000000);

	if (ns % INT64_C(1000000000) < 0)
		s--;
	return (time_t)s;
}

bool crypto_is_pem(const uint8_t *data, size_t len)
{
	return data != NULL && memmem(data, len, "-----BEGIN ", 11) != NULL;
}

int key_random_uuid4(char out[37], struct error *err)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return err_openssl(err, ERR_CRYPTO, "cannot generate a UUID");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

/* Appends one arc in base 128, most significant group first (X.690 §8.19.2). */
static size_t oid_arc(uint8_t *out, uint64_t v)
{
	uint8_t tmp[10];
	size_t k = 0, n = 0;

	do {
		tmp[k++] = (uint8_t)(v & 0x7f);
		v >>= 7;
	} while (v != 0);
	while (k > 0) {
		k--;
		out[n++] = (uint8_t)(tmp[k] | (k > 0 ? 0x80 : 0));
	}
	return n;
}

/* The DER of a plain dotted OID (digits and single dots, arcs below 2^56, at most 64
 * bytes), or 0 for anything else, which OpenSSL's parser then judges. */
static size_t oid_der_fast(const char *oid, uint8_t out[66])
{
	uint64_t arcs[32];
	size_t n = 0, len = 0;

	for (const char *p = oid;; p++) {
		uint64_t v = 0;
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v >= (UINT64_C(1) << 56))
				return 0;
			p++;
		}
		if (p == start || n == sizeof(arcs) / sizeof(arcs[0]))
			return 0;
		arcs[n++] = v;
		if (*p == '\0')
			break;
		if (*p != '.')
			return 0;
	}
	if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40))
		return 0;
	len = oid_arc(out + 2, arcs[0] * 40 + arcs[1]);
	for (size_t i = 2; i < n; i++) {
		if (len > 64 - 10)
			return 0;
		len += oid_arc(out + 2 + len, arcs[i]);
	}
	out[0] = V_ASN1_OBJECT;
	out[1] = (uint8_t)len;
	return len + 2;
}

int dbuf_put_oid(struct dbuf *b, const char *oid, struct error *err)
{
	uint8_t fast[66];
	size_t fast_len = oid_der_fast(oid, fast);
	ASN1_OBJECT *o;
	unsigned char *der = NULL;
	int n;

	if (fast_len > 0) { /* the certificate builder's OIDs: no trip through OBJ_txt2obj */
		dbuf_put(b, fast, fast_len);
		return 0;
	}
	o = OBJ_txt2obj(oid, 1);
	n = o != NULL ? i2d_ASN1_OBJECT(o, &der) : -1;
	ASN1_OBJECT_free(o);
	if (n <= 0) {
		ERR_clear_error();
		return err_set(err, ERR_INVALID, "invalid object identifier %s", oid);
	}
	dbuf_put(b, der, (size_t)n);
	OPENSSL_free(der);
	return 0;
}
