/* prep.c - everything a request needs, made before the timed phase: keys, CSRs, tokens. */
#include <openssl/ocsp.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/b64.h"
#include "base/str.h"
#include "bench.h"
#include "client/token.h"
#include "crypto/csr.h"
#include "crypto/key.h"

/* A token lives an hour (the longest the step CLI makes), so a long run never outlives it. */
#define TOKEN_LIFETIME_SEC 3600

struct prep_job {
	const struct bench_ctx *ctx;
	const char *label;
	struct prepared *out;
	size_t lo, hi;
	bool close, keep_all, acme, cfssl;
	int64_t key_ns, csr_ns, token_ns;
	struct error err;
	int rc;
};

static char *sign_request(const struct bench_ctx *ctx, const char *path, const char *body,
			  bool close, size_t *len)
{
	char *req = xasprintf("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: stride-bench\r\n"
			      "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
			      path, ctx->host_header, strlen(body),
			      close ? "Connection: close\r\n" : "", body);
	*len = strlen(req);
	return req;
}

/* cfssl's authsign body: the sign request (the CSR, the one host, the profile) and its
 * HMAC-SHA256 under the profile's auth key, both standard base64, as cfssl's auth package
 * checks them. NULL with err on failure. */
static char *cfssl_body(const struct bench_ctx *ctx, const char *pem, const char *dns,
			struct error *err)
{
	json_t *req = json_pack("{s:s, s:[s], s:s}", "certificate_request", pem, "hosts", dns,
				"profile", ctx->cfssl_profile);
	char *raw = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char *tok = NULL, *b64 = NULL, *body = NULL;
	json_t *doc = NULL;

	if (raw == NULL || HMAC(EVP_sha256(), ctx->cfssl_key, (int)ctx->cfssl_key_len,
				(const unsigned char *)raw, strlen(raw), mac, &mac_len) == NULL) {
		err_set(err, ERR_CRYPTO, "cannot build the authsign request");
		goto out;
	}
	tok = b64_encode(mac, mac_len);
	b64 = b64_encode(raw, strlen(raw));
	doc = json_pack("{s:s, s:s}", "token", tok, "request", b64);
	body = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (body == NULL)
		err_set(err, ERR_INTERNAL, "cannot build the authsign body");
out:
	json_decref(doc);
	json_decref(req);
	free(raw);
	free(tok);
	free(b64);
	return body;
}

/* Prepares one request: key, CSR with CN = SAN = dns, token for dns, the HTTP request. */
static int prep_one(struct prep_job *j, size_t i)
{
	const struct bench_ctx *ctx = j->ctx;
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	struct prepared *p = &j->out[i];
	struct strv sans = {0};
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL;
	char *pem = NULL, *tok = NULL, *body = NULL;
	json_t *doc = NULL;
	int64_t t0, t1, t2, t3;
	int rc = -1;

	p->dns = j->acme ? xstrdup(ctx->acme_name)
			 : xasprintf("b%u-%s-%zu.bench.test", ctx->run_tag, j->label, i);
	strv_push(&sans, p->dns);
	t0 = now_ns();
	if (key_generate(&spec, &key, &j->err) != 0)
		goto out;
	t1 = now_ns();
	if (csr_create(key, p->dns, &sans, &csr, &j->err) != 0)
		goto out;
	if (j->acme) {
		/* finalize takes the CSR as base64url DER (RFC 8555 §7.4); no token */
		unsigned char *der = NULL;
		int der_len = i2d_X509_REQ(csr, &der);
		if (der_len <= 0) {
			err_set(&j->err, ERR_CRYPTO, "cannot encode the CSR");
			goto out;
		}
		p->csr_b64 = b64url_encode(der, (size_t)der_len);
		OPENSSL_free(der);
		j->key_ns += t1 - t0;
		j->csr_ns += now_ns() - t1;
		if (ctx->sample_every > 0 && i % (size_t)ctx->sample_every == 0) {
			p->key = key;
			key = NULL;
		}
		rc = 0;
		goto out;
	}
	if (csr_to_pem(csr, &pem, &j->err) != 0)
		goto out;
	t2 = now_ns();
	if (j->cfssl) {
		/* the HMAC token is this request's "token" time */
		if ((body = cfssl_body(ctx, pem, p->dns, &j->err)) == NULL)
			goto out;
		t3 = now_ns();
		p->req = sign_request(ctx, "/api/v1/cfssl/authsign", body, j->close, &p->req_len);
		goto done;
	}
	{
		int64_t now = (int64_t)time(NULL);
		struct token_params tp = {
		    .issuer = ctx->prov_name,
		    .kid = ctx->kid,
		    .subject = p->dns,
		    .sans = &sans,
		    .audience = ctx->audience,
		    .not_before_sec = now,
		    .not_after_sec = now + TOKEN_LIFETIME_SEC,
		    .root_sha = ctx->root_sha,
		};
		if (token_build(ctx->prov_key, &tp, &tok, &j->err) != 0)
			goto out;
	}
	t3 = now_ns();
	doc = json_pack("{s:s, s:s, s:s, s:s}", "csr", pem, "ott", tok, "notBefore", "", "notAfter",
			"");
	body = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (body == NULL) {
		err_set(&j->err, ERR_INTERNAL, "cannot build the request body");
		goto out;
	}
	p->req = sign_request(ctx, "/1.0/sign", body, j->close, &p->req_len);
done:
	if (j->keep_all || (ctx->sample_every > 0 && i % (size_t)ctx->sample_every == 0)) {
		p->key = key;
		key = NULL;
	}
	j->key_ns += t1 - t0;
	j->csr_ns += t2 - t1;
	j->token_ns += t3 - t2;
	rc = 0;
out:
	if (tok != NULL)
		OPENSSL_cleanse(tok, strlen(tok));
	if (body != NULL)
		OPENSSL_cleanse(body, strlen(body));
	free(tok);
	free(body);
	json_decref(doc);
	free(pem);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	strv_free(&sans);
	return rc;
}

static void *prep_thread(void *arg)
{
	struct prep_job *j = arg;

	j->rc = 0;
	for (size_t i = j->lo; i < j->hi; i++) {
		if (prep_one(j, i) != 0) {
			j->rc = -1;
			break;
		}
	}
	return NULL;
}

enum prep_kind { PREP_SIGN, PREP_ACME, PREP_CFSSL };

static int prep_sign_ex(const struct bench_ctx *ctx, const char *label, size_t n, bool close,
			bool keep_all, enum prep_kind kind, struct prepared **out,
			struct scen_result *res, struct error *err)
{
	int nt = ctx->prep_threads > 0 ? ctx->prep_threads : 1;
	struct prep_job *jobs;
	pthread_t *th;
	struct prepared *p = xcalloc(n > 0 ? n : 1, sizeof(*p));
	int64_t t0 = now_ns(), key_ns = 0, csr_ns = 0, token_ns = 0;
	int rc = 0, started = 0;

	if ((size_t)nt > n)
		nt = n > 0 ? (int)n : 1;
	jobs = xcalloc((size_t)nt, sizeof(*jobs));
	th = xcalloc((size_t)nt, sizeof(*th));
	for (int k = 0; k < nt; k++) {
		jobs[k] = (struct prep_job){.ctx = ctx,
					    .label = label,
					    .out = p,
					    .lo = n * (size_t)k / (size_t)nt,
					    .hi = n * (size_t)(k + 1) / (size_t)nt,
					    .close = close,
					    .keep_all = keep_all,
					    .acme = kind == PREP_ACME,
					    .cfssl = kind == PREP_CFSSL};
		if (pthread_create(&th[k], NULL, prep_thread, &jobs[k]) != 0) {
			err_set(err, ERR_INTERNAL, "cannot start a preparation thread");
			rc = -1;
			break;
		}
		started++;
	}
	for (int k = 0; k < started; k++) {
		pthread_join(th[k], NULL);
		if (jobs[k].rc != 0 && rc == 0) {
			if (err != NULL)
				*err = jobs[k].err;
			rc = -1;
		}
		key_ns += jobs[k].key_ns;
		csr_ns += jobs[k].csr_ns;
		token_ns += jobs[k].token_ns;
	}
	if (res != NULL && n > 0) {
		res->prepared = n;
		res->prep_wall_s = (double)(now_ns() - t0) / 1e9;
		res->prep_key_us = (double)key_ns / 1e3 / (double)n;
		res->prep_csr_us = (double)csr_ns / 1e3 / (double)n;
		res->prep_token_us = (double)token_ns / 1e3 / (double)n;
	}
	free(jobs);
	free(th);
	if (rc != 0) {
		prep_free(p, n);
		p = NULL;
	}
	*out = p;
	return rc;
}

int prep_sign(const struct bench_ctx *ctx, const char *label, size_t n, bool close,
	      struct prepared **out, struct scen_result *res, struct error *err)
{
	return prep_sign_ex(ctx, label, n, close, false, PREP_SIGN, out, res, err);
}

int prep_cfssl(const struct bench_ctx *ctx, const char *label, size_t n, bool close,
	       struct prepared **out, struct scen_result *res, struct error *err)
{
	return prep_sign_ex(ctx, label, n, close, false, PREP_CFSSL, out, res, err);
}

int prep_acme(const struct bench_ctx *ctx, size_t n, struct prepared **out, struct scen_result *res,
	      struct error *err)
{
	return prep_sign_ex(ctx, "acme", n, false, false, PREP_ACME, out, res, err);
}

void prep_free(struct prepared *p, size_t n)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (p[i].req != NULL)
			OPENSSL_cleanse(p[i].req, p[i].req_len);
		free(p[i].req);
		free(p[i].dns);
		free(p[i].csr_b64);
		EVP_PKEY_free(p[i].key);
	}
	free(p);
}

char *prep_renew_request(const struct bench_ctx *ctx, size_t *len)
{
	char *req = xasprintf("POST /renew HTTP/1.1\r\nHost: %s\r\nUser-Agent: stride-bench\r\n"
			      "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n",
			      ctx->host_header);
	*len = strlen(req);
	return req;
}

char *prep_ocsp_request(const struct bench_ctx *ctx, const struct identity *id, bool nonce,
			size_t *len, struct error *err)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *cid = sk_X509_num(id->chain) > 0
			       ? OCSP_cert_to_id(EVP_sha1(), id->cert, sk_X509_value(id->chain, 0))
			       : NULL;
	unsigned char *der = NULL;
	char *head = NULL, *out = NULL;
	int n = -1;

	*len = 0;
	if (req == NULL || cid == NULL || OCSP_request_add0_id(req, cid) == NULL) {
		OCSP_CERTID_free(cid);
		err_set(err, ERR_CRYPTO, "cannot build an OCSP request");
		goto out;
	}
	if ((nonce && OCSP_request_add1_nonce(req, NULL, 16) != 1) ||
	    (n = i2d_OCSP_REQUEST(req, &der)) <= 0) {
		err_set(err, ERR_CRYPTO, "cannot encode an OCSP request");
		goto out;
	}
	head = xasprintf("POST /ocsp HTTP/1.1\r\nHost: %s\r\nUser-Agent: stride-bench\r\n"
			 "Content-Type: application/ocsp-request\r\nContent-Length: %d\r\n\r\n",
			 ctx->host_header, n);
	*len = strlen(head) + (size_t)n;
	out = xmalloc(*len);
	memcpy(out, head, strlen(head));
	memcpy(out + strlen(head), der, (size_t)n);
out:
	free(head);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return out;
}

int prep_identities(const struct bench_ctx *ctx, const struct target *t, int n,
		    struct identity **out, struct error *err)
{
	struct identity *ids = xcalloc((size_t)n, sizeof(*ids));
	struct prepared *p = NULL;
	struct hconn c;
	struct hresp r;
	int rc = -1;

	hconn_init(&c);
	*out = NULL;
	if (prep_sign_ex(ctx, "id", (size_t)n, false, true, PREP_SIGN, &p, NULL, err) != 0 ||
	    hconn_open(&c, t, NULL, NULL, NULL, err) != 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if (!hconn_is_open(&c) && hconn_open(&c, t, NULL, NULL, NULL, err) != 0)
			goto out;
		if (http_roundtrip(&c, p[i].req, p[i].req_len, &r, err) != 0)
			goto out;
		if (r.status != 201) {
			err_set(err, ERR_INTERNAL, "issuing a client certificate: status %d: %.*s",
				r.status, (int)(r.body_len > 300 ? 300 : r.body_len), r.body);
			goto out;
		}
		if (parse_sign_response(r.body, r.body_len, &ids[i].cert, &ids[i].chain, err) != 0)
			goto out;
		ids[i].key = p[i].key;
		p[i].key = NULL;
		ids[i].dns = p[i].dns;
		p[i].dns = NULL;
		if (r.close)
			hconn_close(&c);
	}
	*out = ids;
	ids = NULL;
	rc = 0;
out:
	hconn_free(&c);
	prep_free(p, (size_t)n);
	identities_free(ids, n);
	return rc;
}

void identities_free(struct identity *ids, int n)
{
	if (ids == NULL)
		return;
	for (int i = 0; i < n; i++) {
		X509_free(ids[i].cert);
		EVP_PKEY_free(ids[i].key);
		sk_X509_pop_free(ids[i].chain, X509_free);
		free(ids[i].dns);
	}
	free(ids);
}
