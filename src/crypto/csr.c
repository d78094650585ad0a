/* csr.c - certificate signing requests and the names they (and certificates) carry. */
#include "crypto/csr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "base/b64.h"
#include "base/pem_text.h"
#include "crypto/internal.h"

void names_free(struct names *n)
{
	if (n == NULL)
		return;
	free(n->cn);
	n->cn = NULL;
	strv_free(&n->dns);
	strv_free(&n->ip);
	strv_free(&n->email);
	strv_free(&n->uri);
}

/* True when s starts with an RFC 3986 scheme ("spiffe:", "urn:", "https:"). */
static bool has_scheme(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':';
}

/* True when s[0..n) has only valid %XX escapes. */
static bool escapes_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '%' && (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
				    !isxdigit((unsigned char)s[i + 2])))
			return false;
	return true;
}

/* Approximates what Go's url.Parse refuses once a scheme is present: control characters,
 * bad %-escapes in the fragment, host or path, and a non-numeric port. An opaque URI
 * ("urn:x", "host:8080") is not checked further, as in Go. */
static bool uri_parses(const char *s)
{
	const char *rest, *end, *frag;
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	frag = strchr(s, '#');
	if (frag != NULL && !escapes_ok(frag + 1, strlen(frag + 1)))
		return false;
	end = frag != NULL ? frag : s + n;
	rest = strchr(s, ':') + 1;
	for (const char *q = rest; q < end; q++)
		if (*q == '?') {
			end = q;
			break;
		}
	if (*rest != '/')
		return true; /* opaque */
	if (rest[1] == '/') {
		const char *auth = rest + 2, *slash = auth, *host, *colon = NULL;
		while (slash < end && *slash != '/')
			slash++;
		host = auth;
		for (const char *q = auth; q < slash; q++)
			if (*q == '@')
				host = q + 1;
		if (host < slash && *host == '[') {
			const char *close = memchr(host, ']', (size_t)(slash - host));
			if (close == NULL)
				return false;
			if (close + 1 < slash)
				colon = close + 1;
			if (colon != NULL && *colon != ':')
				return false;
		} else {
			colon = memchr(host, ':', (size_t)(slash - host));
		}
		if (colon != NULL)
			for (const char *q = colon + 1; q < slash; q++)
				if (!isdigit((unsigned char)*q))
					return false;
		if (!escapes_ok(host, (size_t)(slash - host)))
			return false;
		rest = slash;
	}
	return escapes_ok(rest, (size_t)(end - rest));
}

void names_add_san(struct names *n, const char *san)
{
	uint8_t ip[16];
	char text[INET6_ADDRSTRLEN];

	if (san == NULL)
		return;
	if (inet_pton(AF_INET, san, ip) == 1) {
		inet_ntop(AF_INET, ip, text, sizeof(text));
		strv_push(&n->ip, text);
	} else if (inet_pton(AF_INET6, san, ip) == 1) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(ip, mapped, sizeof(mapped)) == 0)
			inet_ntop(AF_INET, ip + 12, text, sizeof(text));
		else
			inet_ntop(AF_INET6, ip, text, sizeof(text));
		strv_push(&n->ip, text);
	} else if (has_scheme(san) && uri_parses(san)) {
		strv_push(&n->uri, san);
	} else if (strchr(san, '@') != NULL) {
		strv_push(&n->email, san);
	} else {
		strv_push(&n->dns, san);
	}
}

/* The bytes of the first PEM block of data, whatever its type; malloc'd (OPENSSL_free). */
static int pem_first_block(const uint8_t *data, size_t len, uint8_t **der, long *dlen)
{
	BIO *bio;
	char *name = NULL, *header = NULL;
	size_t n;
	int ok;

	/* PEM as step writes it is read without a BIO: the same bytes (pem_text.h). */
	*der = OPENSSL_malloc(len * 3 / 4 + 1);
	if (*der != NULL && pem_text_decode(data, len, *der, &n)) {
		*dlen = (long)n;
		return 0;
	}
	OPENSSL_free(*der);
	*der = NULL;
	bio = BIO_new_mem_buf(data, (int)len);
	ok = bio != NULL && PEM_read_bio(bio, &name, &header, der, dlen);
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	return ok ? 0 : -1;
}

int csr_parse(const uint8_t *data, size_t len, X509_REQ **out, struct error *err)
{
	uint8_t *der = NULL;
	long dlen = 0;
	const unsigned char *p;
	int rc = -1;

	*out = NULL;
	if (data == NULL || len == 0)
		return err_set(err, ERR_INVALID, "error parsing certificate request: empty input");
	if (len > CRYPTO_INPUT_MAX)
		return err_set(err, ERR_TOO_LARGE,
			       "error parsing certificate request: input too large");
	if (crypto_is_pem(data, len)) {
		if (pem_first_block(data, len, &der, &dlen) != 0) {
			err_set(err, ERR_INVALID, "error parsing certificate request: invalid PEM");
			goto out;
		}
		p = der;
	} else {
		p = data;
		dlen = (long)len;
	}
	{
		const unsigned char *start = p;
		*out = csr_parse_der_fast(p, (size_t)dlen);
		if (*out == NULL)
			*out = d2i_X509_REQ(NULL, &p, dlen);
		else
			p += dlen;
		if (*out != NULL && p != start + dlen) {
			X509_REQ_free(*out);
			*out = NULL;
		}
	}
	if (*out == NULL) {
		err_set(err, ERR_INVALID, "error parsing certificate request: invalid ASN.1 data");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}

int csr_verify(X509_REQ *csr, struct error *err)
{
	EVP_PKEY *pub = X509_REQ_get0_pubkey(csr);
	int r = csr_verify_fast(csr);

	if (r < 0)
		r = pub != NULL ? X509_REQ_verify(csr, pub) : -1;

	ERR_clear_error();
	if (r != 1)
		return err_set(err, ERR_INVALID, "invalid certificate request signature");
	return 0;
}

int csr_names(X509_REQ *csr, struct names *out, struct error *err)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	GENERAL_NAMES *gens = NULL;
	char *cn = crypto_name_cn(X509_REQ_get_subject_name(csr));
	int crit = -1, rc = -1;

	memset(out, 0, sizeof(*out));
	if (cn == NULL) {
		err_public(err, ERR_INVALID, "invalid certificate request: bad common name");
		goto out;
	}
	if (exts != NULL)
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL && crit != -1) {
		err_public(err, ERR_INVALID,
			   "invalid certificate request: bad subject alternative names");
		goto out;
	}
	rc = crypto_names_from_gens(gens, cn, out, err);
out:
	free(cn);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return rc;
}

int cert_names(X509 *cert, struct names *out, struct error *err)
{
	GENERAL_NAMES *gens = NULL;
	char *cn = crypto_name_cn(X509_get_subject_name(cert));
	int crit = -1, rc = -1;

	memset(out, 0, sizeof(*out));
	if (cn == NULL) {
		err_set(err, ERR_INVALID, "invalid certificate: bad common name");
		goto out;
	}
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL && crit != -1) {
		err_set(err, ERR_INVALID, "invalid certificate: bad subject alternative names");
		goto out;
	}
	rc = crypto_names_from_gens(gens, cn, out, err);
out:
	free(cn);
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	return rc;
}

int csr_create(EVP_PKEY *key, const char *cn, const struct strv *sans, X509_REQ **out,
	       struct error *err)
{
	struct names n = {0};
	struct dbuf san = {0};
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = NULL;
	const EVP_MD *md;
	int rc = -1;

	*out = NULL;
	if (req == NULL) {
		err_openssl(err, ERR_CRYPTO, "error creating certificate request");
		goto out;
	}
	if (crypto_sign_md(key, &md, err) != 0)
		goto out;
	for (size_t i = 0; sans != NULL && i < sans->n; i++)
		names_add_san(&n, sans->v[i]);
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) || !X509_REQ_set_pubkey(req, key)) {
		err_openssl(err, ERR_CRYPTO, "error creating certificate request");
		goto out;
	}
	if (cn != NULL && *cn != '\0' &&
	    crypto_name_add(X509_REQ_get_subject_name(req), NID_commonName, cn, err) != 0)
		goto out;
	if (crypto_san_der(&n, &san, err) != 0)
		goto out;
	if (san.n > 0) {
		ASN1_OCTET_STRING os = {
		    .length = (int)san.n, .type = V_ASN1_OCTET_STRING, .data = san.p};
		X509_EXTENSION *ext =
		    X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, &os);
		exts = sk_X509_EXTENSION_new_null();
		if (ext == NULL || exts == NULL || !sk_X509_EXTENSION_push(exts, ext)) {
			X509_EXTENSION_free(ext);
			err_openssl(err, ERR_CRYPTO, "error creating certificate request");
			goto out;
		}
		if (!X509_REQ_add_extensions(req, exts)) {
			err_openssl(err, ERR_CRYPTO, "error creating certificate request");
			goto out;
		}
	}
	if (X509_REQ_sign(req, key, md) <= 0) {
		err_openssl(err, ERR_CRYPTO, "error signing certificate request");
		goto out;
	}
	*out = req;
	req = NULL;
	rc = 0;
out:
	X509_REQ_free(req);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	dbuf_free(&san);
	names_free(&n);
	return rc;
}

int csr_to_pem(X509_REQ *csr, char **pem, struct error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -1;

	*pem = NULL;
	if (bio == NULL || !PEM_write_bio_X509_REQ(bio, csr)) {
		err_openssl(err, ERR_CRYPTO, "error encoding certificate request");
		goto out;
	}
	rc = crypto_bio_to_str(bio, pem, err);
out:
	BIO_free(bio);
	return rc;
}

int csr_fingerprint_b64url(X509_REQ *csr, char **out, struct error *err)
{
	unsigned char *der = NULL;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int len = i2d_X509_REQ(csr, &der);
	int rc = -1;

	*out = NULL;
	if (len <= 0 || EVP_Digest(der, (size_t)len, md, &mdlen, crypto_md_sha256(), NULL) != 1) {
		err_openssl(err, ERR_CRYPTO, "error computing certificate request fingerprint");
		goto out;
	}
	*out = b64url_encode(md, mdlen);
	if (*out == NULL) {
		err_set(err, ERR_INTERNAL, "error encoding certificate request fingerprint");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}
