/* tls.c - SSL_CTX for stride-ca: versions, cipher suites, client certificates, renewal. */
#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/duration.h"
#include "base/log.h"
#include "base/str.h"
#include "crypto/cert.h"

/* Go/IANA names (ca.json's tls.cipherSuites) to OpenSSL names; "" marks the TLS 1.3 suites. ca.json
 * may name all of them (step-ca accepts them), but stride-ca serves only the `allowed` ones: ECDHE
 * key exchange (forward secrecy) with an AEAD cipher. */
static const struct {
	const char *iana;
	const char *openssl;
	bool allowed;
} cipher_names[] = {
    {"TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA", false},
    {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA", false},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", false},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA", false},
    {"TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256", false},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256", false},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384", false},
    {"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA", false},
    {"TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA", false},
    {"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", false},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", true},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", true},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", true},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", true},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", true},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", true},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", true},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305", true},
    {"TLS_AES_128_GCM_SHA256", "", true},
    {"TLS_AES_256_GCM_SHA384", "", true},
    {"TLS_CHACHA20_POLY1305_SHA256", "", true},
};

/* Used when the configuration leaves no TLS <= 1.2 suite: forward secrecy and AEAD only. */
#define TLS_DEFAULT_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
/* TLS 1.3 (not configurable, as in Go): the three AEAD suites, never CCM. */
#define TLS13_CIPHERSUITES                                                                         \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
/* Key exchange groups, in the server's order of preference. */
#define TLS_GROUPS	       "X25519:P-256:P-384"
#define TLS_SESSION_ID_CONTEXT "stride-ca"

static int cipher_index(const char *iana)
{
	for (size_t i = 0; iana != NULL && i < sizeof(cipher_names) / sizeof(cipher_names[0]); i++)
		if (strcmp(cipher_names[i].iana, iana) == 0)
			return (int)i;
	return -1;
}

const char *tls_cipher_openssl_name(const char *iana)
{
	int i = cipher_index(iana);

	return i >= 0 ? cipher_names[i].openssl : NULL;
}

bool tls_cipher_allowed(const char *iana)
{
	int i = cipher_index(iana);

	return i >= 0 && cipher_names[i].allowed;
}

int tls_cipher_list(const struct strv *names, char **out, struct error *err)
{
	struct buf b;
	int rc = -1;

	*out = NULL;
	buf_init(&b, 64 * 1024);
	for (size_t i = 0; names != NULL && i < names->n; i++) {
		const char *name = tls_cipher_openssl_name(names->v[i]);

		if (name == NULL) {
			err_set(err, ERR_INVALID, "unsupported tls cipher suite '%s'", names->v[i]);
			goto out;
		}
		if (!tls_cipher_allowed(names->v[i])) {
			err_set(
			    err, ERR_INVALID,
			    "tls cipher suite '%s' is not allowed: stride-ca only accepts ECDHE "
			    "suites with AES-GCM or ChaCha20-Poly1305",
			    names->v[i]);
			goto out;
		}
		if (name[0] == '\0')
			continue;
		if (buf_printf(&b, err, "%s%s", b.len > 0 ? ":" : "", name) != 0)
			goto out;
	}
	*out = b.len > 0 ? buf_steal(&b) : xstrdup(TLS_DEFAULT_CIPHERS);
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

int tls_version_from_config(double v)
{
	double t = v * 10.0;
	long tenths;

	if (!(t > 0.0 && t < 100.0)) /* also refuses NaN */
		return 0;
	tenths = (long)(t + 0.5);
	if (t - (double)tenths > 1e-6 || (double)tenths - t > 1e-6)
		return 0;
	switch (tenths) {
	case 10:
		return TLS1_VERSION;
	case 11:
		return TLS1_1_VERSION;
	case 12:
		return TLS1_2_VERSION;
	case 13:
		return TLS1_3_VERSION;
	default:
		return 0;
	}
}

/* Client certificates: the authority's roots are the anchors, its intermediates are added to
 * whatever chain the client sent (clients may send only their leaf). OpenSSL has already set
 * the "ssl_client" purpose (clientAuth or no EKU) and checks validity at the current time. */
static int verify_client_cert(X509_STORE_CTX *xctx, void *arg)
{
	struct authority *a = arg;
	STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(xctx);
	STACK_OF(X509) *inter = authority_intermediates(a);
	STACK_OF(X509) *untrusted = sent != NULL ? sk_X509_dup(sent) : sk_X509_new_null();
	SSL *ssl;
	int ok;

	if (untrusted == NULL)
		return 0;
	for (int i = 0; i < sk_X509_num(inter); i++)
		sk_X509_push(untrusted, sk_X509_value(inter, i));
	X509_STORE_CTX_set0_untrusted(xctx, untrusted);
	ok = X509_verify_cert(xctx);
	X509_STORE_CTX_set0_untrusted(xctx, sent);
	sk_X509_free(untrusted);
	if (ok <= 0) {
		X509 *leaf = X509_STORE_CTX_get0_cert(xctx);
		char *cn = leaf != NULL ? cert_common_name(leaf) : NULL;

		log_msg(LOG_WARN, "client certificate refused", "error",
			X509_verify_cert_error_string(X509_STORE_CTX_get_error(xctx)), "subject",
			cn != NULL ? cn : "", NULL);
		free(cn);
		/* Go answers every refused client certificate with a bad_certificate alert. */
		X509_STORE_CTX_set_error(xctx, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	/* This session will never be resumed (ticket_decrypted): issue it no TLS 1.3 ticket, which
	 * would cost encoding the session now and decoding it when the client offers it back. */
	ssl = X509_STORE_CTX_get_ex_data(xctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl != NULL)
		(void)SSL_set_num_tickets(ssl, 0);
	return 1;
}

/* A session ticket the server issued came back. A session with a client certificate is never
 * resumed: its identity is that certificate, and after a renewal over mTLS (which closes the
 * connection) the client must show the new one in a full handshake, not bring back the old
 * one in a ticket. Other sessions resume as OpenSSL would by default. */
static SSL_TICKET_RETURN ticket_decrypted(SSL *ssl, SSL_SESSION *sess, const unsigned char *name,
					  size_t name_len, SSL_TICKET_STATUS status, void *arg)
{
	(void)ssl;
	(void)name;
	(void)name_len;
	(void)arg;

	switch (status) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		if (SSL_SESSION_get0_peer(sess) != NULL)
			return SSL_TICKET_RETURN_IGNORE_RENEW;
		return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE
						    : SSL_TICKET_RETURN_USE_RENEW;
	case SSL_TICKET_EMPTY:
	case SSL_TICKET_NO_DECRYPT:
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	default:
		return SSL_TICKET_RETURN_ABORT;
	}
}

/* TLS 1.3 tickets: one per handshake, and only to a client that offered the psk_dhe_ke mode (RFC
 * 8446 section 4.2.9: without it the client cannot use a ticket; OpenSSL's server does not refuse
 * stateless tickets with DHE, so psk_ke alone is no use either). step-ca (Go's crypto/tls) does
 * the same: one ticket, sent only when the client offered psk_dhe_ke, which a Go client does only
 * with a session cache. OpenSSL's default is two tickets to every client, each one encrypted,
 * serialized and written on its own: a client that resumes needs only one (OpenSSL's stateless
 * tickets can be used more than once). verify_client_cert then drops the ticket of a session
 * with a client certificate. */
#define TLS13_TICKETS	1
#define PSK_MODE_DHE_KE 1
static int client_hello(SSL *ssl, int *alert, void *arg)
{
	const unsigned char *ext = NULL;
	size_t len = 0;
	size_t tickets = 0;
	(void)alert;
	(void)arg;

	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk_kex_modes, &ext, &len) == 1 &&
	    len >= 1 && (size_t)ext[0] + 1 <= len)
		for (size_t i = 1; i <= ext[0]; i++)
			if (ext[i] == PSK_MODE_DHE_KE)
				tickets = TLS13_TICKETS;
	(void)SSL_set_num_tickets(ssl, tickets);
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* ALPN: evhttp speaks HTTP/1.1 only; a client offering only h2 gets no ALPN answer. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char http11[] = "http/1.1";
	(void)ssl;
	(void)arg;

	for (unsigned int i = 0; i < inlen;) {
		unsigned int n = in[i];

		if (i + 1 + n > inlen)
			break;
		if (n == sizeof(http11) - 1 && memcmp(in + i + 1, http11, n) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* Sends roots and intermediates as acceptable CA names in the CertificateRequest. */
static int add_client_ca_names(SSL_CTX *ctx, struct authority *a, struct error *err)
{
	STACK_OF(X509) * lists[2] = {authority_roots(a), authority_intermediates(a)};

	for (int l = 0; l < 2; l++)
		for (int i = 0; i < sk_X509_num(lists[l]); i++)
			if (SSL_CTX_add_client_CA(ctx, sk_X509_value(lists[l], i)) != 1)
				return err_openssl(err, ERR_CRYPTO, "error adding client CA names");
	return 0;
}

/* Refuses a configured version below TLS 1.2 (ca.json may say 1.0 or 1.1, as step-ca allows). */
static int check_version(double v, int version, const char *name, struct error *err)
{
	if (version == 0)
		return err_set(err, ERR_INVALID, "unsupported tls %s %g", name, v);
	if (version < TLS1_2_VERSION)
		return err_set(err, ERR_INVALID,
			       "tls %s %.1f is not allowed: stride-ca requires TLS 1.2 or later",
			       name, v);
	return 0;
}

int tls_version_range(const struct tls_config *tls, int *min, int *max, struct error *err)
{
	*min = tls->min_version == 0 ? TLS1_2_VERSION : tls_version_from_config(tls->min_version);
	*max = tls->max_version == 0 ? TLS1_3_VERSION : tls_version_from_config(tls->max_version);
	if (check_version(tls->min_version, *min, "minVersion", err) != 0 ||
	    check_version(tls->max_version, *max, "maxVersion", err) != 0)
		return -1;
	if (*min > *max)
		return err_set(err, ERR_INVALID, "tls minVersion cannot exceed tls maxVersion");
	return 0;
}

/* Defence in depth: every TLS <= 1.2 suite the context ended up with is ECDHE + AEAD with an
 * authenticated server (whatever OpenSSL's aliases or the system configuration expanded to). */
static int check_ctx_ciphers(SSL_CTX *ctx, struct error *err)
{
	STACK_OF(SSL_CIPHER) *list = SSL_CTX_get_ciphers(ctx);

	for (int i = 0; i < sk_SSL_CIPHER_num(list); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(list, i);
		int auth = SSL_CIPHER_get_auth_nid(c);

		if (SSL_CIPHER_get_kx_nid(c) == NID_kx_any) /* TLS 1.3 */
			continue;
		if (SSL_CIPHER_get_kx_nid(c) != NID_kx_ecdhe || !SSL_CIPHER_is_aead(c) ||
		    (auth != NID_auth_ecdsa && auth != NID_auth_rsa))
			return err_set(err, ERR_INVALID,
				       "tls cipher suite %s is not allowed: stride-ca only accepts "
				       "ECDHE suites with AES-GCM or ChaCha20-Poly1305",
				       SSL_CIPHER_get_name(c));
	}
	return 0;
}

SSL_CTX *tls_ctx_new(struct authority *a, const struct tls_config *tls, EVP_PKEY *key, X509 *leaf,
		     struct error *err)
{
	const struct tls_config *cfg_tls = tls != NULL ? tls : &authority_config(a)->tls;
	STACK_OF(X509) *inter = authority_intermediates(a);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char *ciphers = NULL;
	int min = 0, max = 0;
	int rc = -1;

	if (ctx == NULL) {
		err_openssl(err, ERR_CRYPTO, "error creating the TLS context");
		goto out;
	}
	/* No compression (CRIME), no renegotiation of either side (OpenSSL 3 refuses a client's
	 * renegotiation unless ALLOW_CLIENT_RENEGOTIATION is set; it is cleared in case the
	 * system configuration set it), the server's cipher order. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION |
				       SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION);
	if (tls_version_range(cfg_tls, &min, &max, err) != 0 ||
	    tls_cipher_list(&cfg_tls->cipher_suites, &ciphers, err) != 0)
		goto out;
	if (SSL_CTX_set_min_proto_version(ctx, min) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, max) != 1) {
		err_openssl(err, ERR_CRYPTO, "error setting the TLS versions");
		goto out;
	}
	if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		err_openssl(err, ERR_INVALID,
			    "none of the configured tls cipherSuites is available");
		goto out;
	}
	if (SSL_CTX_set_ciphersuites(ctx, TLS13_CIPHERSUITES) != 1) {
		err_openssl(err, ERR_CRYPTO, "error setting the TLS 1.3 cipher suites");
		goto out;
	}
	if (check_ctx_ciphers(ctx, err) != 0)
		goto out;
	if (SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1) {
		err_openssl(err, ERR_CRYPTO, "error setting the TLS key exchange groups");
		goto out;
	}
	if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		err_openssl(err, ERR_CRYPTO, "error loading the server certificate");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(inter); i++) {
		if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(inter, i)) != 1) {
			err_openssl(err, ERR_CRYPTO, "error adding the intermediate certificates");
			goto out;
		}
	}
	SSL_CTX_set1_cert_store(ctx, authority_trust_store(a));
	if (add_client_ca_names(ctx, a, err) != 0)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify_client_cert, a);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)TLS_SESSION_ID_CONTEXT,
				       sizeof(TLS_SESSION_ID_CONTEXT) - 1);
	/* Resumption only from tickets, which ticket_decrypted checks: TLS 1.2 resumption by
	 * session ID (from the server's cache) would bring back a client certificate unchecked. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_session_ticket_cb(ctx, NULL, ticket_decrypted, NULL) != 1) {
		err_openssl(err, ERR_CRYPTO, "error setting the session ticket callback");
		goto out;
	}
	SSL_CTX_set_client_hello_cb(ctx, client_hello, NULL);
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
	rc = 0;
out:
	free(ciphers);
	if (rc != 0) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* Mints a certificate and builds its context with the settings tls; *key and *leaf (the
 * caller's) are the new certificate and its key. */
static SSL_CTX *mint_ctx(struct authority *a, const struct tls_config *tls, EVP_PKEY **key,
			 X509 **leaf, struct error *err)
{
	SSL_CTX *ctx = NULL;

	*key = NULL;
	*leaf = NULL;
	if (authority_mint_tls_cert(a, key, leaf, err) != 0) {
		err_wrap(err, "error creating the server certificate");
		return NULL;
	}
	ctx = tls_ctx_new(a, tls, *key, *leaf, err);
	if (ctx == NULL) {
		EVP_PKEY_free(*key);
		X509_free(*leaf);
		*key = NULL;
		*leaf = NULL;
	}
	return ctx;
}

/* Makes ctx, key and leaf (taken) current; the old ones are freed (connections made with the
 * old context hold their own references). */
static void swap_in(struct tls_state *st, SSL_CTX *ctx, EVP_PKEY *key, X509 *leaf)
{
	SSL_CTX *old;
	EVP_PKEY *old_key;
	X509 *old_leaf;

	pthread_mutex_lock(&st->mu);
	old = st->current;
	old_key = st->key;
	old_leaf = st->leaf;
	st->current = ctx;
	st->key = key;
	st->leaf = leaf;
	st->not_before_ns = cert_not_before_ns(leaf);
	st->not_after_ns = cert_not_after_ns(leaf);
	pthread_mutex_unlock(&st->mu);
	SSL_CTX_free(old);
	EVP_PKEY_free(old_key);
	X509_free(old_leaf);
}

int tls_state_init(struct tls_state *st, struct authority *a, struct error *err)
{
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	SSL_CTX *ctx;

	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->mu, NULL);
	st->a = a;
	ctx = mint_ctx(a, NULL, &key, &leaf, err);
	if (ctx == NULL)
		return -1;
	swap_in(st, ctx, key, leaf);
	return 0;
}

int tls_state_renew(struct tls_state *st, struct error *err)
{
	const struct tls_config *tls;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	SSL_CTX *ctx;

	pthread_mutex_lock(&st->mu);
	tls = st->tls;
	pthread_mutex_unlock(&st->mu);
	ctx = mint_ctx(st->a, tls, &key, &leaf, err);
	if (ctx == NULL)
		return -1;
	if (tls_staple_attach(ctx, st->ocsp, err) != 0) {
		SSL_CTX_free(ctx);
		EVP_PKEY_free(key);
		X509_free(leaf);
		return -1;
	}
	swap_in(st, ctx, key, leaf);
	return 0;
}

SSL_CTX *tls_state_prepare(struct tls_state *st, const struct tls_config *tls, struct error *err)
{
	EVP_PKEY *key;
	X509 *leaf;
	SSL_CTX *ctx;

	pthread_mutex_lock(&st->mu);
	key = st->key;
	leaf = st->leaf;
	EVP_PKEY_up_ref(key);
	X509_up_ref(leaf);
	pthread_mutex_unlock(&st->mu);
	ctx = tls_ctx_new(st->a, tls, key, leaf, err);
	EVP_PKEY_free(key);
	X509_free(leaf);
	if (ctx != NULL && tls_staple_attach(ctx, st->ocsp, err) != 0) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

void tls_state_install(struct tls_state *st, SSL_CTX *ctx, const struct tls_config *tls)
{
	SSL_CTX *old;

	pthread_mutex_lock(&st->mu);
	old = ctx != NULL ? st->current : NULL;
	if (ctx != NULL)
		st->current = ctx;
	st->tls = tls;
	pthread_mutex_unlock(&st->mu);
	SSL_CTX_free(old); /* connections made with it hold their own references */
}

int64_t tls_state_renew_at(struct tls_state *st)
{
	int64_t nb, na;

	pthread_mutex_lock(&st->mu);
	nb = st->not_before_ns;
	na = st->not_after_ns;
	pthread_mutex_unlock(&st->mu);
	return nb + (na - nb) / 3 * 2;
}

SSL_CTX *tls_state_acquire(struct tls_state *st)
{
	SSL_CTX *ctx;

	pthread_mutex_lock(&st->mu);
	ctx = st->current;
	if (ctx != NULL)
		SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&st->mu);
	return ctx;
}

void tls_state_destroy(struct tls_state *st)
{
	if (st == NULL || st->a == NULL)
		return;
	SSL_CTX_free(st->current);
	st->current = NULL;
	EVP_PKEY_free(st->key);
	X509_free(st->leaf);
	st->key = NULL;
	st->leaf = NULL;
	pthread_mutex_destroy(&st->mu);
	st->a = NULL;
}
