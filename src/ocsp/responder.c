/* responder.c - the OCSP responder: its delegated signing certificate, the status of a
 * certificate from the store, the signed answers and their cache (see ocsp.h). */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/duration.h"
#include "base/log.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/x509build.h"
#include "ocsp/ocsp.h"
#include "store/store.h"

/* The signing certificate is backdated this much (clock skew of relying parties). */
#define SIGNER_BACKDATE NS_PER_MIN
/* A signing certificate that could not be renewed is tried again this much later. */
#define SIGNER_RETRY NS_PER_MIN
/* Cached answers: a direct-mapped table (a colliding answer replaces the slot's). */
#define CACHE_SLOTS 4096
/* The longest serial looked up (RFC 5280 §4.1.2.2: 20 octets; some CAs get it wrong). */
#define SERIAL_MAX_BYTES 32

/* The issuer's hashes for one CertID hash algorithm (RFC 6960 §4.1.1). */
struct issuer_hash {
	int nid;
	unsigned char name[EVP_MAX_MD_SIZE], key[EVP_MAX_MD_SIZE];
	unsigned int len;
};

/* The delegated signer in use; references held by the answers being signed with it. */
struct ocsp_signer {
	EVP_PKEY *key;
	X509 *cert;
	int64_t not_before_ns, not_after_ns;
	atomic_int refs;
};

struct cache_slot {
	uint8_t *key; /* CertID DER + status, see answer_key */
	size_t key_len;
	uint8_t *der; /* the OCSPResponse */
	size_t der_len;
	int64_t produced_ns;
	uint64_t generation; /* of the signer that signed it */
};

/* The settings in use: immutable, swapped by ocsp_responder_reconfigure; the replaced ones are
 * kept until the responder is freed (a request may still read them, and the path is borrowed
 * by the router). */
struct ocsp_settings {
	char *path;
	int64_t validity_ns, responder_validity_ns;
	struct ocsp_settings *next; /* in old */
};

struct ocsp_responder {
	struct authority *a;
	_Atomic(struct ocsp_settings *) cfg;
	struct ocsp_settings *old; /* replaced settings (guarded by lock) */
	struct issuer_hash hashes[4];
	pthread_mutex_t lock; /* signer, renew_at, renewing, generation */
	struct ocsp_signer *signer;
	int64_t renew_at_ns;
	bool renewing;
	uint64_t generation;
	pthread_mutex_t cache_lock;
	struct cache_slot *cache;
	atomic_uint_fast64_t n_signed, n_cached;
};

struct ocsp_call {
	struct pool_job job; /* first: the pool runs the call */
	struct ocsp_responder *r;
	const uint8_t *req;
	size_t len;
	ocsp_done_fn done;
	void *arg;
};

static const struct ocsp_settings *settings(const struct ocsp_responder *r)
{
	return atomic_load_explicit(&((struct ocsp_responder *)r)->cfg, memory_order_acquire);
}

static struct ocsp_settings *settings_new(const struct ca_ocsp *cfg)
{
	struct ocsp_settings *set = xcalloc(1, sizeof(*set));

	set->path = xstrdup(cfg->path);
	set->validity_ns = cfg->validity_ns;
	set->responder_validity_ns = cfg->responder_validity_ns;
	return set;
}

static void settings_free(struct ocsp_settings *set)
{
	while (set != NULL) {
		struct ocsp_settings *next = set->next;

		free(set->path);
		free(set);
		set = next;
	}
}

static void signer_release(struct ocsp_signer *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	free(s);
}

/* The subject of the signing certificate: "<issuer CN> OCSP Responder". */
static X509_NAME *signer_subject(X509 *issuer)
{
	X509_NAME *n = X509_NAME_new();
	char cn[256] = "";
	char text[300];

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(issuer), NID_commonName, cn,
				      sizeof(cn)) <= 0)
		cn[0] = '\0';
	snprintf(text, sizeof(text), "%s%sOCSP Responder", cn, cn[0] != '\0' ? " " : "");
	if (n != NULL && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
						    (const unsigned char *)text, -1, -1, 0) != 1) {
		X509_NAME_free(n);
		n = NULL;
	}
	return n;
}

/* Mints a new delegated signing certificate with a fresh key (RFC 6960 §4.2.2.2). */
static int signer_mint(struct ocsp_responder *r, struct ocsp_signer **out, struct error *err)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	struct authority *a = r->a;
	struct names none = {0};
	struct ocsp_signer *s = xcalloc(1, sizeof(*s));
	X509_NAME *subject = signer_subject(a->issuer);
	int64_t now = time_now_ns();
	int rc = -1;

	*out = NULL;
	atomic_init(&s->refs, 1);
	if (subject == NULL) {
		err_openssl(err, ERR_CRYPTO, "error creating the OCSP signer's subject");
		goto out;
	}
	if (key_generate(&spec, &s->key, err) != 0)
		goto out;
	{
		struct leaf_spec leaf = {
		    .subject = subject,
		    .sans = &none,
		    .public_key = s->key,
		    .not_before_ns = now - SIGNER_BACKDATE,
		    .not_after_ns = now + settings(r)->responder_validity_ns,
		    .ocsp_signing = true,
		};
		if (x509_issue_leaf(&leaf, a->issuer, a->signer, &s->cert, err) != 0)
			goto out;
	}
	s->not_before_ns = cert_not_before_ns(s->cert);
	s->not_after_ns = cert_not_after_ns(s->cert);
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (rc != 0)
		err_wrap(err, "error creating the OCSP signing certificate");
	signer_release(s);
	X509_NAME_free(subject);
	return rc;
}

/* Two thirds into the signer's life: an answer signed before then (nextUpdate at most a third
 * of the life later, ca_config_parse_ocsp) never outlives its signer. */
static int64_t renew_time(const struct ocsp_signer *s)
{
	return s->not_before_ns + (s->not_after_ns - s->not_before_ns) / 3 * 2;
}

/* The signer to sign with now (a reference), renewed first at two thirds of its life. */
static struct ocsp_signer *signer_acquire(struct ocsp_responder *r, uint64_t *generation)
{
	int64_t now = time_now_ns();
	struct ocsp_signer *s, *fresh = NULL, *old = NULL;
	struct error err = {0};
	bool renew = false;

	pthread_mutex_lock(&r->lock);
	if (now >= r->renew_at_ns && !r->renewing) {
		r->renewing = true;
		renew = true;
	}
	pthread_mutex_unlock(&r->lock);
	if (renew) {
		int rc = signer_mint(r, &fresh, &err);

		pthread_mutex_lock(&r->lock);
		r->renewing = false;
		if (rc == 0) {
			old = r->signer;
			r->signer = fresh;
			r->generation++; /* the cached answers go with the old signer */
			r->renew_at_ns = renew_time(fresh);
		} else {
			r->renew_at_ns = now + SIGNER_RETRY;
		}
		pthread_mutex_unlock(&r->lock);
		if (rc == 0)
			log_msg(LOG_INFO, "renewed the OCSP signing certificate", NULL);
		else
			log_msg(LOG_ERROR, "cannot renew the OCSP signing certificate", "error",
				err.msg, NULL);
		signer_release(old);
	}
	pthread_mutex_lock(&r->lock);
	s = r->signer;
	if (s != NULL)
		atomic_fetch_add(&s->refs, 1);
	*generation = r->generation;
	pthread_mutex_unlock(&r->lock);
	return s;
}

static int issuer_hashes(struct ocsp_responder *r, struct error *err)
{
	static const int nids[4] = {NID_sha1, NID_sha256, NID_sha384, NID_sha512};
	X509 *issuer = r->a->issuer;
	unsigned char *name = NULL;
	int name_len = i2d_X509_NAME(X509_get_subject_name(issuer), &name);
	int rc = -1;

	if (name_len <= 0) {
		err_openssl(err, ERR_CRYPTO, "error encoding the issuer's name");
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		struct issuer_hash *h = &r->hashes[i];
		const EVP_MD *md = EVP_get_digestbynid(nids[i]);
		unsigned int klen = 0;

		h->nid = nids[i];
		if (md == NULL ||
		    EVP_Digest(name, (size_t)name_len, h->name, &h->len, md, NULL) != 1 ||
		    X509_pubkey_digest(issuer, md, h->key, &klen) != 1 || klen != h->len) {
			err_openssl(err, ERR_CRYPTO, "error hashing the issuer");
			goto out;
		}
	}
	rc = 0;
out:
	OPENSSL_free(name);
	return rc;
}

int ocsp_responder_new(struct authority *a, struct ocsp_responder **out, struct error *err)
{
	struct ocsp_responder *r = NULL;
	const struct ca_ocsp *cfg = &a->cfg->ocsp;
	int rc = -1;

	*out = NULL;
	if (!cfg->enabled)
		return 0;
	if (a->issuer == NULL || a->signer == NULL)
		return err_set(err, ERR_INVALID,
			       "OCSP needs the CA's intermediate certificate and key");
	r = xcalloc(1, sizeof(*r));
	r->a = a;
	atomic_init(&r->cfg, settings_new(cfg));
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->cache_lock, NULL);
	r->cache = xcalloc(CACHE_SLOTS, sizeof(*r->cache));
	atomic_init(&r->n_signed, 0);
	atomic_init(&r->n_cached, 0);
	if (issuer_hashes(r, err) != 0 || signer_mint(r, &r->signer, err) != 0)
		goto out;
	r->renew_at_ns = renew_time(r->signer);
	*out = r;
	r = NULL;
	rc = 0;
out:
	ocsp_responder_free(r);
	return rc;
}

void ocsp_responder_free(struct ocsp_responder *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->cache != NULL && i < CACHE_SLOTS; i++) {
		free(r->cache[i].key);
		free(r->cache[i].der);
	}
	free(r->cache);
	signer_release(r->signer);
	settings_free(atomic_load(&r->cfg));
	settings_free(r->old);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->cache_lock);
	free(r);
}

const char *ocsp_responder_path(const struct ocsp_responder *r)
{
	return settings(r)->path;
}

void ocsp_responder_reconfigure(struct ocsp_responder *r, const struct ca_ocsp *cfg)
{
	const struct ocsp_settings *cur = settings(r);
	bool renew = cfg->responder_validity_ns != cur->responder_validity_ns;
	struct ocsp_settings *old;

	if (strcmp(cfg->path, cur->path) == 0 && cfg->validity_ns == cur->validity_ns && !renew)
		return;
	old = atomic_exchange_explicit(&r->cfg, settings_new(cfg), memory_order_acq_rel);
	pthread_mutex_lock(&r->lock);
	old->next = r->old;
	r->old = old;
	r->generation++; /* the cached answers have the old validity: not used again */
	if (renew)
		r->renew_at_ns = 0; /* the next answer mints a signer of the new validity */
	pthread_mutex_unlock(&r->lock);
}

X509 *ocsp_responder_cert(struct ocsp_responder *r)
{
	uint64_t gen;
	struct ocsp_signer *s = signer_acquire(r, &gen);
	X509 *c = s != NULL ? s->cert : NULL;

	if (c != NULL)
		X509_up_ref(c);
	signer_release(s);
	return c;
}

void ocsp_responder_renew_soon(struct ocsp_responder *r)
{
	pthread_mutex_lock(&r->lock);
	r->renew_at_ns = 0;
	pthread_mutex_unlock(&r->lock);
}

void ocsp_responder_counts(struct ocsp_responder *r, uint64_t *signed_n, uint64_t *cached_n)
{
	*signed_n = atomic_load(&r->n_signed);
	*cached_n = atomic_load(&r->n_cached);
}

/* --- one certificate's status ------------------------------------------------------------- */

struct cert_answer {
	int status;	       /* V_OCSP_CERTSTATUS_* */
	int64_t revoked_at_ns; /* revoked */
	int reason;	       /* revoked: CRLReason, or OCSP_REVOKED_STATUS_NOSTATUS */
};

/* Whether the CertID names this CA as the issuer (RFC 6960 §4.1.1: hashes of its name and
 * key with the CertID's algorithm). */
static bool issued_here(const struct ocsp_responder *r, ASN1_OBJECT *alg,
			ASN1_OCTET_STRING *name_hash, ASN1_OCTET_STRING *key_hash)
{
	int nid = OBJ_obj2nid(alg);

	for (int i = 0; i < 4; i++) {
		const struct issuer_hash *h = &r->hashes[i];

		if (h->nid != nid)
			continue;
		return ASN1_STRING_length(name_hash) == (int)h->len &&
		       ASN1_STRING_length(key_hash) == (int)h->len &&
		       memcmp(ASN1_STRING_get0_data(name_hash), h->name, h->len) == 0 &&
		       memcmp(ASN1_STRING_get0_data(key_hash), h->key, h->len) == 0;
	}
	return false; /* a hash algorithm this responder does not use: unknown */
}

/* The status of one CertID: unknown unless this CA issued it and the store knows it. */
static int cert_answer(struct ocsp_responder *r, OCSP_CERTID *cid, struct cert_answer *out,
		       struct error *err)
{
	ASN1_OCTET_STRING *name_hash = NULL, *key_hash = NULL;
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *sn = NULL;
	struct store_cert_status st = {0};
	BIGNUM *bn = NULL;
	char *serial = NULL;
	int rc = -1;

	out->status = V_OCSP_CERTSTATUS_UNKNOWN;
	out->revoked_at_ns = 0;
	out->reason = OCSP_REVOKED_STATUS_NOSTATUS;
	if (OCSP_id_get0_info(&name_hash, &alg, &key_hash, &sn, cid) != 1) {
		err_set(err, ERR_INVALID, "OCSP request has a bad CertID");
		goto out;
	}
	if (!issued_here(r, alg, name_hash, key_hash) || sn == NULL ||
	    ASN1_STRING_length(sn) > SERIAL_MAX_BYTES || ASN1_STRING_type(sn) != V_ASN1_INTEGER) {
		rc = 0;
		goto out;
	}
	bn = ASN1_INTEGER_to_BN(sn, NULL);
	serial = bn != NULL ? BN_bn2dec(bn) : NULL;
	if (serial == NULL) {
		err_openssl(err, ERR_CRYPTO, "error reading a serial number");
		goto out;
	}
	if (r->a->store->ops->cert_status(r->a->store, serial, &st, err) != 0)
		goto out;
	if (st.revoked) {
		out->status = V_OCSP_CERTSTATUS_REVOKED;
		out->revoked_at_ns = st.revoked_at_ns;
		if (st.reason_code > 0 && st.reason_code <= 10 && st.reason_code != 7)
			out->reason = st.reason_code;
	} else if (st.stored) {
		out->status = V_OCSP_CERTSTATUS_GOOD;
	}
	rc = 0;
out:
	OPENSSL_free(serial);
	BN_free(bn);
	return rc;
}

/* --- the cache ------------------------------------------------------------------------------ */

/* The cache key of a single answer: the CertID's DER, then the status read. */
static int answer_key(OCSP_CERTID *cid, const struct cert_answer *ans, uint8_t **key, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_OCSP_CERTID(cid, &der);
	char tail[64];
	int tl;

	if (n <= 0)
		return -1;
	tl = snprintf(tail, sizeof(tail), "|%d|%lld|%d", ans->status, (long long)ans->revoked_at_ns,
		      ans->reason);
	*len = (size_t)n + (size_t)tl;
	*key = xmalloc(*len);
	memcpy(*key, der, (size_t)n);
	memcpy(*key + n, tail, (size_t)tl);
	OPENSSL_free(der);
	return 0;
}

static size_t slot_of(const uint8_t *key, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * UINT64_C(1099511628211);
	return (size_t)(h % CACHE_SLOTS);
}

/* A cached answer for key still fresh (a quarter of ocsp.validity) and signed by the current
 * signer: *der malloc'd copy. */
static bool cache_get(struct ocsp_responder *r, const uint8_t *key, size_t len, uint64_t generation,
		      uint8_t **der, size_t *der_len)
{
	struct cache_slot *s = &r->cache[slot_of(key, len)];
	int64_t now = time_now_ns();
	bool hit = false;

	pthread_mutex_lock(&r->cache_lock);
	if (s->key != NULL && s->key_len == len && memcmp(s->key, key, len) == 0 &&
	    s->generation == generation && now >= s->produced_ns &&
	    now - s->produced_ns < settings(r)->validity_ns / 4) {
		*der = xmalloc(s->der_len);
		memcpy(*der, s->der, s->der_len);
		*der_len = s->der_len;
		hit = true;
	}
	pthread_mutex_unlock(&r->cache_lock);
	return hit;
}

static void cache_put(struct ocsp_responder *r, const uint8_t *key, size_t len, uint64_t generation,
		      int64_t produced_ns, const uint8_t *der, size_t der_len)
{
	struct cache_slot *s = &r->cache[slot_of(key, len)];
	uint8_t *k = xmalloc(len), *d = xmalloc(der_len);

	memcpy(k, key, len);
	memcpy(d, der, der_len);
	pthread_mutex_lock(&r->cache_lock);
	free(s->key);
	free(s->der);
	s->key = k;
	s->key_len = len;
	s->der = d;
	s->der_len = der_len;
	s->produced_ns = produced_ns;
	s->generation = generation;
	pthread_mutex_unlock(&r->cache_lock);
}

/* --- answers ------------------------------------------------------------------------------ */

static ASN1_GENERALIZEDTIME *gtime(int64_t ns)
{
	return ASN1_GENERALIZEDTIME_set(NULL, (time_t)(ns / NS_PER_SEC));
}

/* Whether the request's nonce is one to echo (RFC 8954 §2.1: at most 32 octets). */
static bool nonce_echoed(OCSP_REQUEST *req, bool *has_nonce)
{
	int i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	ASN1_OCTET_STRING *v;

	*has_nonce = i >= 0;
	if (i < 0)
		return false;
	v = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, i));
	/* the extension's value is an OCTET STRING holding the nonce's own OCTET STRING */
	return v != NULL && ASN1_STRING_length(v) <= OCSP_NONCE_MAX + 2;
}

/* Signs the answers of req; *der malloc'd. */
static int sign_answer(struct ocsp_responder *r, OCSP_REQUEST *req,
		       const struct cert_answer *answers, struct ocsp_signer *s, int64_t now,
		       uint8_t **der, size_t *der_len, struct error *err)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp = NULL;
	ASN1_GENERALIZEDTIME *this_upd = gtime(now),
			     *next_upd = gtime(now + settings(r)->validity_ns);
	unsigned char *buf = NULL;
	bool has_nonce;
	int n, rc = -1;

	if (bs == NULL || this_upd == NULL || next_upd == NULL)
		goto fail;
	for (int i = 0; i < OCSP_request_onereq_count(req); i++) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		ASN1_GENERALIZEDTIME *rev = NULL;
		OCSP_SINGLERESP *single;

		if (answers[i].status == V_OCSP_CERTSTATUS_REVOKED &&
		    (rev = gtime(answers[i].revoked_at_ns)) == NULL)
			goto fail;
		single = OCSP_basic_add1_status(bs, cid, answers[i].status, answers[i].reason, rev,
						this_upd, next_upd);
		ASN1_GENERALIZEDTIME_free(rev);
		if (single == NULL)
			goto fail;
	}
	if (nonce_echoed(req, &has_nonce) && OCSP_copy_nonce(bs, req) != 1)
		goto fail;
	if (OCSP_basic_sign(bs, s->cert, s->key, EVP_sha256(), NULL, OCSP_RESPID_KEY) != 1)
		goto fail;
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	n = resp != NULL ? i2d_OCSP_RESPONSE(resp, &buf) : -1;
	if (n <= 0)
		goto fail;
	*der = xmalloc((size_t)n);
	memcpy(*der, buf, (size_t)n);
	*der_len = (size_t)n;
	atomic_fetch_add(&r->n_signed, 1);
	rc = 0;
	goto out;
fail:
	err_openssl(err, ERR_CRYPTO, "error signing an OCSP response");
out:
	OPENSSL_free(buf);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ASN1_GENERALIZEDTIME_free(this_upd);
	ASN1_GENERALIZEDTIME_free(next_upd);
	return rc;
}

/* An error status as the answer; aborts only when even that cannot be encoded (memory). */
static void error_answer(int status, uint8_t **der, size_t *der_len)
{
	struct error err = {0};

	if (ocsp_error_response(status, der, der_len, &err) != 0) {
		fprintf(stderr, "stride-ca: %s\n", err.msg);
		abort();
	}
}

/* The answer to a parsed request: each CertID's status from the store, or good for every one
 * when own (a certificate this process minted and keeps in memory, never stored). */
static void answer_request(struct ocsp_responder *r, OCSP_REQUEST *req, bool own, uint8_t **der,
			   size_t *der_len)
{
	struct cert_answer answers[OCSP_MAX_ONEREQS];
	struct ocsp_signer *s = NULL;
	struct error err = {0};
	uint8_t *key = NULL;
	size_t key_len = 0;
	uint64_t generation = 0;
	int64_t now;
	bool has_nonce, cacheable;
	int n = OCSP_request_onereq_count(req);

	for (int i = 0; i < n; i++) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));

		if (own) {
			answers[i] = (struct cert_answer){V_OCSP_CERTSTATUS_GOOD, 0,
							  OCSP_REVOKED_STATUS_NOSTATUS};
		} else if (cert_answer(r, cid, &answers[i], &err) != 0) {
			log_msg(LOG_ERROR, "cannot answer an OCSP request", "error", err.msg, NULL);
			error_answer(err.kind == ERR_UNAVAILABLE ? OCSP_RESPONSE_STATUS_TRYLATER
				     : err.kind == ERR_INVALID
					 ? OCSP_RESPONSE_STATUS_MALFORMEDREQUEST
					 : OCSP_RESPONSE_STATUS_INTERNALERROR,
				     der, der_len);
			goto out;
		}
	}
	(void)nonce_echoed(req, &has_nonce);
	cacheable = n == 1 && !has_nonce;
	s = signer_acquire(r, &generation);
	now = time_now_ns();
	if (s == NULL || now >= s->not_after_ns) {
		log_msg(LOG_ERROR, "cannot answer an OCSP request", "error",
			"the OCSP signing certificate has expired", NULL);
		error_answer(OCSP_RESPONSE_STATUS_INTERNALERROR, der, der_len);
		goto out;
	}
	if (cacheable &&
	    answer_key(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), &answers[0], &key,
		       &key_len) == 0 &&
	    cache_get(r, key, key_len, generation, der, der_len)) {
		atomic_fetch_add(&r->n_cached, 1);
		goto out;
	}
	now = now / NS_PER_SEC * NS_PER_SEC;
	if (sign_answer(r, req, answers, s, now, der, der_len, &err) != 0) {
		log_msg(LOG_ERROR, "cannot answer an OCSP request", "error", err.msg, NULL);
		error_answer(OCSP_RESPONSE_STATUS_INTERNALERROR, der, der_len);
		goto out;
	}
	if (key != NULL)
		cache_put(r, key, key_len, generation, now, *der, *der_len);
out:
	free(key);
	signer_release(s);
}

void ocsp_answer(struct ocsp_responder *r, const uint8_t *req_der, size_t len, uint8_t **der,
		 size_t *der_len)
{
	OCSP_REQUEST *req = NULL;
	struct error err = {0};

	*der = NULL;
	*der_len = 0;
	if (ocsp_request_parse(req_der, len, &req, &err) != 0)
		error_answer(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, der, der_len);
	else
		answer_request(r, req, false, der, der_len);
	OCSP_REQUEST_free(req);
	ERR_clear_error();
}

int ocsp_staple(struct ocsp_responder *r, X509 *cert, uint8_t **der, size_t *der_len,
		struct error *err)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *cid = OCSP_cert_to_id(EVP_sha1(), cert, r->a->issuer);
	int rc = -1;

	*der = NULL;
	*der_len = 0;
	if (req == NULL || cid == NULL || OCSP_request_add0_id(req, cid) == NULL) {
		OCSP_CERTID_free(cid);
		err_openssl(err, ERR_CRYPTO, "error building the OCSP staple");
		goto out;
	}
	answer_request(r, req, true, der, der_len);
	rc = 0;
out:
	OCSP_REQUEST_free(req);
	ERR_clear_error();
	return rc;
}

static void call_run(struct pool_job *job)
{
	struct ocsp_call *c = (struct ocsp_call *)job;
	uint8_t *der;
	size_t len;

	ocsp_answer(c->r, c->req, c->len, &der, &len);
	c->done(c->arg, der, len);
	free(c);
}

void ocsp_handle(struct ocsp_responder *r, const uint8_t *req, size_t len, ocsp_done_fn done,
		 void *arg)
{
	struct ocsp_call *c;
	uint8_t *der;
	size_t der_len;

	if (req == NULL || len == 0 || !r->a->store->remote || r->a->pool == NULL) {
		ocsp_answer(r, req, len, &der, &der_len);
		done(arg, der, der_len);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->job.run = call_run;
	c->r = r;
	c->req = req;
	c->len = len;
	c->done = done;
	c->arg = arg;
	if (pool_submit(r->a->pool, &c->job) != 0) {
		free(c);
		error_answer(OCSP_RESPONSE_STATUS_TRYLATER, &der, &der_len);
		done(arg, der, der_len);
	}
}
