/* internal.h - helpers shared by the files of the crypto module (not a public interface). */
#ifndef STRIDE_CRYPTO_INTERNAL_H
#define STRIDE_CRYPTO_INTERNAL_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"
#include "crypto/csr.h"
#include "crypto/signer.h"

/* Largest PEM/DER input the parsers accept (keys, CSRs, certificate chains). */
#define CRYPTO_INPUT_MAX (4u * 1024u * 1024u)

/* A growable byte buffer for hand-written DER (aborts on out-of-memory like xmalloc). */
struct dbuf {
	uint8_t *p;
	size_t n, cap;
};
/* Appends n bytes. */
void dbuf_put(struct dbuf *b, const void *d, size_t n);
/* Appends a DER tag-length-value with the given one-byte tag. */
void dbuf_put_tlv(struct dbuf *b, uint8_t tag, const void *d, size_t n);
/* Appends a DER INTEGER holding a non-negative value. */
void dbuf_put_uint(struct dbuf *b, uint64_t v);
/* Appends the DER OBJECT IDENTIFIER of a dotted OID; ERR_INVALID when it is not one. */
int dbuf_put_oid(struct dbuf *b, const char *oid, struct error *err);
/* Frees the buffer and resets it. */
void dbuf_free(struct dbuf *b);

/* Reads a DER header at p (avail bytes): one-byte tag, definite length; returns 0 and fills
 * *tag, *hdr (header size) and *len (content size, fits inside avail), or -1. */
int der_header(const uint8_t *p, size_t avail, uint8_t *tag, size_t *hdr, size_t *len);
/* One DER element: its whole encoding [start, start + size), its content [content, + len). */
struct der_elem {
	const uint8_t *start, *content;
	size_t size, len;
	uint8_t tag;
};
/* Reads the element at *p (before end) into *e and moves *p past it; false when none is
 * there or its header is not one der_header reads. */
bool der_next(const uint8_t **p, const uint8_t *end, struct der_elem *e);
/* der_next, and false (*p and *e unchanged) when the element's tag is not tag. */
bool der_take(const uint8_t **p, const uint8_t *end, uint8_t tag, struct der_elem *e);
/* The algorithm (a SEQUENCE) and the BIT STRING of a SubjectPublicKeyInfo that is exactly
 * [spki, spki + len); false when it is not one. */
bool der_spki_split(const uint8_t *spki, size_t len, struct der_elem *alg, struct der_elem *bits);

/* Pre-fetched digests (never NULL, never freed). */
const EVP_MD *crypto_md_sha1(void);
const EVP_MD *crypto_md_sha256(void);
const EVP_MD *crypto_md_sha384(void);
const EVP_MD *crypto_md_sha512(void);

/* Curve NID of an EC key (NID_undef for other keys or unknown curves). */
int crypto_ec_curve_nid(const EVP_PKEY *key);
/* True for the key types stride supports: EC P-256/384/521, Ed25519, RSA. */
bool crypto_key_supported(const EVP_PKEY *key);
/* The digest to sign with a key: SHA-256/384/512 by EC curve, SHA-256 for RSA, NULL for
 * Ed25519 (*md = NULL). Unsupported key -> ERR_INVALID. */
int crypto_sign_md(const EVP_PKEY *key, const EVP_MD **md, struct error *err);

/* Sets the public key of a certificate being built (fast path for EC and RSA keys). */
int crypto_set_pubkey(X509 *x, EVP_PKEY *pub, struct error *err);
/* SHA-1 of the subjectPublicKey BIT STRING of a certificate (its Subject Key Identifier). */
int crypto_cert_ski(X509 *cert, uint8_t out[20], struct error *err);
/* Encodes the SANs of n (DNS, email, IP, URI in that order) as the DER of a GeneralNames
 * SEQUENCE into out; out->n stays 0 when there are no SANs. Bad IP/non-ASCII -> ERR_INVALID. */
int crypto_san_der(const struct names *n, struct dbuf *out, struct error *err);
/* Adds an extension with DER value der/len (OID by nid, or obj when nid is NID_undef). */
int crypto_add_ext(X509 *x, int nid, const ASN1_OBJECT *obj, int crit, const uint8_t *der,
		   size_t len, struct error *err);
/* Fills out (zeroed first) with the SANs of gens (gens may be NULL) and cn ("" when NULL). */
int crypto_names_from_gens(const GENERAL_NAMES *gens, const char *cn, struct names *out,
			   struct error *err);
/* The first CN of a name as UTF-8, "" when absent; malloc'd. NULL on a bad encoding. */
char *crypto_name_cn(const X509_NAME *name);
/* Appends an attribute to a name as PrintableString when possible, else UTF8String (like Go). */
int crypto_name_add(X509_NAME *name, int nid, const char *value, struct error *err);
/* Copies the content of a memory BIO into a malloc'd NUL-terminated string. */
int crypto_bio_to_str(BIO *bio, char **out, struct error *err);
/* cert.c: a Time as nanoseconds since the epoch (0 when unreadable, clamped to int64). */
int64_t crypto_asn1_time_ns(const ASN1_TIME *t);
/* An INTEGER in decimal (malloc'd), or NULL (ai NULL or unreadable). */
char *crypto_asn1_integer_decimal(const ASN1_INTEGER *ai);
/* Converts nanoseconds since the epoch to seconds, rounding down. */
time_t crypto_ns_to_time(int64_t ns);
/* True when the data looks like PEM (contains a "-----BEGIN " line). */
bool crypto_is_pem(const uint8_t *data, size_t len);

/* x509desc_san.c: the subjectAltName of a certificate description (x509desc.h). Whether a
 * "sans" type Go's encoder does not know is used; the names Go's encoder writes (out zeroed
 * first); the whole extension step's x509util writes otherwise (out->n 0: none). */
struct x509_desc;
bool x509_desc_has_extended_sans(const struct x509_desc *d);
int x509_desc_san_ext_der(const struct x509_desc *d, struct dbuf *out, struct error *err);
/* x509build.c: adds step's provisioner extension; its DER value alone. */
int x509_provisioner_ext(X509 *x, int type, const char *name, const char *cred, struct error *err);
void x509_provisioner_ext_value(int type, const char *name, const char *cred, struct dbuf *out);
/* x509build.c: a random serial's magnitude: X509_SERIAL_RANDOM_BYTES bytes, top bit clear, not
 * zero; its significant bytes start at *start (leading zero bytes skipped). */
#define X509_SERIAL_RANDOM_BYTES 16
int x509_serial_random_bytes(uint8_t b[X509_SERIAL_RANDOM_BYTES], size_t *start, struct error *err);

/* x509desc_name.c: the DER of a name description (Go's RDN order and string types) appended
 * to out; *entries (when not NULL) is 0 exactly when it has no attribute. */
struct x509_name_desc;
int x509_name_desc_der(const struct x509_name_desc *n, struct dbuf *out, size_t *entries,
		       struct error *err);

/* certwrite.c: a certificate from its parts, signed by signer under issuer_cert (version 3,
 * the signer's algorithm); *der malloc'd. subject and spki are DER; exts the content of the
 * SEQUENCE OF Extension (none when exts_len is 0); serial NULL for a random one, else as
 * step's serialNumber (decimal or 0x hex). */
struct cert_parts {
	const char *serial;
	int64_t not_before_ns, not_after_ns;
	const uint8_t *subject, *spki, *exts;
	size_t subject_len, spki_len, exts_len;
};
int cert_write(const struct cert_parts *cp, X509 *issuer_cert, struct signer *signer, uint8_t **der,
	       size_t *der_len, struct error *err);
/* The subjectPublicKey bits of a SubjectPublicKeyInfo (after the unused-bits octet). */
int crypto_spki_key_bits(const uint8_t *spki, size_t len, const uint8_t **key, size_t *key_len,
			 struct error *err);
/* pubkey.c: the SubjectPublicKeyInfo of xpk as a certificate for pub carries it: xpk's own
 * encoding when it is already the canonical one, else crypto_pubkey_spki's. */
int crypto_xpk_spki(X509_PUBKEY *xpk, EVP_PKEY *pub, struct dbuf *out, struct error *err);
/* pubkey.c: the SubjectPublicKeyInfo a certificate for pub carries (the encoding
 * crypto_set_pubkey gives), appended to out. */
int crypto_pubkey_spki(EVP_PKEY *pub, struct dbuf *out, struct error *err);

#endif
