/* sshca_fixture.c - the SSH engine over the authority fixture (sshca_fixture.h). */
#include "sshca_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../fuzz/ca_fixture_data.h"
#include "base/b64.h"
#include "base/file.h"
#include "base/str.h"
#include "crypto/key.h"

EVP_PKEY *shx_p256(void)
{
	struct key_spec spec;
	EVP_PKEY *k = NULL;

	assert_int_equal(key_spec_parse("EC", "P-256", NULL, &spec, NULL), 0);
	assert_int_equal(key_generate(&spec, &k, NULL), 0);
	return k;
}

/* Writes key encrypted with password to dir/name; returns the path (malloc'd). */
static char *write_key(const char *dir, const char *name, EVP_PKEY *key, const char *password)
{
	char *pem = NULL, *path = path_join(dir, name);

	assert_int_equal(key_private_to_pem(key, password, &pem, NULL), 0);
	assert_int_equal(file_write_atomic(path, pem, strlen(pem), 0600, NULL), 0);
	free(pem);
	return path;
}

struct shx *shx_new(const char *ssh_patch, const char *authority_patch, const char *extra)
{
	return shx_new_db(ssh_patch, authority_patch, extra, true);
}

struct shx *shx_new_db(const char *ssh_patch, const char *authority_patch, const char *extra,
		       bool db)
{
	struct shx *x = xcalloc(1, sizeof(*x));
	char *host, *user, *doc, *provs;
	struct sshca_options o = {.host_password = SHX_HOST_PASSWORD,
				  .ca_password = SHX_CA_PASSWORD};
	struct error err = {0};
	json_t *ssh = NULL, *patch;

	snprintf(x->dir, sizeof(x->dir), "/tmp/stride-test-sshca-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	x->host_ca = shx_p256();
	x->user_ca = shx_p256();
	assert_int_equal(ssh_pubkey_from_evp(x->host_ca, &x->host_pub, NULL), 0);
	assert_int_equal(ssh_pubkey_from_evp(x->user_ca, &x->user_pub, NULL), 0);
	host = write_key(x->dir, "ssh_host_ca_key", x->host_ca, SHX_HOST_PASSWORD);
	user = write_key(x->dir, "ssh_user_ca_key", x->user_ca, SHX_CA_PASSWORD);
	/* the fixture opens its SQLite store itself; "db" says the CA has one (authority_has_db) */
	patch = db ? json_pack("{s:{s:s, s:s}}", "db", "type", "sqlite", "dataSource", "unused")
		   : json_object();
	if (ssh_patch == NULL || strcmp(ssh_patch, "-") != 0) {
		ssh = json_pack("{s:s, s:s}", "hostKey", host, "userKey", user);
		if (ssh_patch != NULL)
			afx_patch(ssh, ssh_patch);
		json_object_set_new(patch, "ssh", ssh);
	}
	doc = json_dumps(patch, JSON_COMPACT);
	provs =
	    xasprintf("[{\"type\":\"JWK\",\"name\":\"" SHX_JWK "\",\"key\":%s,"
		      "\"claims\":{\"enableSSHCA\":true}},"
		      "{\"type\":\"SSHPOP\",\"name\":\"sshpop\",\"claims\":{\"enableSSHCA\":true}}"
		      "%s%s]",
		      FX_PROV_JWK, extra != NULL ? "," : "", extra != NULL ? extra : "");
	x->f = afx_new_provs(authority_patch, doc, provs);
	if (sshca_new(x->f->a, &o, &x->s, &err) != 0)
		fail_msg("sshca_new: %s", err.msg);
	json_decref(patch);
	free(doc);
	free(provs);
	free(host);
	free(user);
	return x;
}

void shx_free(struct shx *x)
{
	char cmd[128];

	if (x == NULL)
		return;
	sshca_free(x->s);
	afx_free(x->f);
	EVP_PKEY_free(x->host_ca);
	EVP_PKEY_free(x->user_ca);
	ssh_pubkey_clear(&x->host_pub);
	ssh_pubkey_clear(&x->user_pub);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
}

void shx_resp_free(struct shx_resp *r)
{
	free(r->content_type);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	struct shx_resp *out;
};

static void done(void *arg, struct sshca_response *resp)
{
	struct waiter *w = arg;

	w->out->status = resp->status;
	w->out->content_type = resp->content_type != NULL ? xstrdup(resp->content_type) : NULL;
	w->out->body = xmalloc(resp->body_len + 1);
	if (resp->body_len > 0)
		memcpy(w->out->body, resp->body, resp->body_len);
	w->out->body[resp->body_len] = '\0';
	w->out->len = resp->body_len;
	sshca_response_free(resp);
	free(resp);
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void shx_call(struct shx *x, const char *method, const char *path, const char *body,
	      struct shx_resp *out)
{
	shx_call_peer(x, method, path, body, NULL, out);
}

void shx_call_peer(struct shx *x, const char *method, const char *path, const char *body,
		   X509 *peer, struct shx_resp *out)
{
	struct waiter w = {.out = out};
	struct sshca_request req = {
	    .method = method,
	    .path = path,
	    .body = (const uint8_t *)(body != NULL ? body : ""),
	    .body_len = body != NULL ? strlen(body) : 0,
	    .peer = peer,
	};

	memset(out, 0, sizeof(*out));
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	sshca_handle(x != NULL ? x->s : NULL, &req, done, &w);
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
}

json_t *shx_json(struct shx *x, const char *method, const char *path, const char *body,
		 int want_status)
{
	struct shx_resp r;
	json_t *doc;

	shx_call(x, method, path, body, &r);
	if (r.status != want_status)
		fail_msg("%s %s: status %d, want %d: %s", method, path, r.status, want_status,
			 r.body);
	doc = json_loads(r.body, 0, NULL);
	if (!json_is_object(doc))
		fail_msg("%s %s: not a JSON object: %s", method, path, r.body);
	shx_resp_free(&r);
	return doc;
}

char *shx_token(struct shx *x, const char *prov, const char *sub, const char *step_json,
		const char *aud_path)
{
	char *aud = xasprintf(AFX_AUDIENCE "%s", aud_path != NULL ? aud_path : "/1.0/ssh/sign");
	json_t *h = json_pack("{s:s, s:s}", "kid", AFX_KID, "typ", "JWT");
	json_t *p = afx_claims(prov, aud, sub, NULL);
	json_t *step = json_loads(step_json, JSON_DECODE_ANY, NULL);
	char *tok;

	json_object_del(p, "sans");
	if (step != NULL && !json_is_null(step))
		json_object_set_new(p, "step", step);
	else
		json_decref(step);
	tok = afx_jwt(x->f->prov_key, h, p);
	json_decref(h);
	json_decref(p);
	free(aud);
	return tok;
}

char *shx_pop_token(const struct ssh_cert *cert, EVP_PKEY *key, const char *sub,
		    const char *aud_path)
{
	char *b = b64_encode(cert->blob, cert->blob_len);
	char *aud = xasprintf(AFX_AUDIENCE "%s#sshpop/sshpop", aud_path);
	json_t *h = json_pack("{s:s, s:s}", "sshpop", b, "typ", "JWT");
	json_t *p = afx_claims("sshpop", aud, sub, NULL);
	char *tok;

	json_object_del(p, "sans");
	tok = afx_jwt(key, h, p);
	json_decref(h);
	json_decref(p);
	free(aud);
	free(b);
	return tok;
}

char *shx_pub_b64(EVP_PKEY *key)
{
	struct ssh_pubkey k = {0};
	char *b;

	assert_int_equal(ssh_pubkey_from_evp(key, &k, NULL), 0);
	b = b64_encode(k.blob, k.blob_len);
	ssh_pubkey_clear(&k);
	return b;
}

void shx_cert(const json_t *doc, const char *name, struct ssh_cert *c)
{
	const char *v = json_string_value(json_object_get(doc, name));
	uint8_t *raw = NULL;
	size_t n = 0;
	struct error err = {0};

	if (v == NULL)
		fail_msg("no %s in the answer", name);
	assert_int_equal(b64_decode(v, strlen(v), false, &raw, &n, &err), 0);
	if (ssh_cert_parse(raw, n, c, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	free(raw);
}

int64_t shx_now(void)
{
	return (int64_t)time(NULL);
}

/* The body of POST /ssh/sign for key (base64) and token, with extra members (JSON, may be
 * NULL). malloc'd. */
char *shx_sign_body(const char *key, const char *ott, const char *extra)
{
	json_t *b = json_pack("{s:s, s:s}", "publicKey", key, "ott", ott);
	char *s;

	if (extra != NULL)
		afx_patch(b, extra);
	s = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return s;
}

/* POST /ssh/sign with a fresh token of prov; returns the answer. */
void shx_sign(struct shx *x, const char *prov, const char *sub, const char *step, const char *key,
	      const char *extra, struct shx_resp *r)
{
	char *tok = shx_token(x, prov, sub, step, NULL), *body = shx_sign_body(key, tok, extra);

	shx_call(x, "POST", "/ssh/sign", body, r);
	free(body);
	free(tok);
}

/* A host certificate for key from ssh@test; *c filled. */
void shx_host_cert(struct shx *x, EVP_PKEY *key, struct ssh_cert *c)
{
	char *b = shx_pub_b64(key), *tok, *body;
	json_t *doc;

	tok = shx_token(x, SHX_JWK, "web1.example.com",
			"{\"ssh\":{\"certType\":\"host\",\"principals\":[\"web1.example.com\","
			"\"localhost\"]}}",
			NULL);
	body = shx_sign_body(b, tok, NULL);
	doc = shx_json(x, "POST", "/ssh/sign", body, 201);
	shx_cert(doc, "crt", c);
	json_decref(doc);
	free(body);
	free(tok);
	free(b);
}

/* Checks what every certificate of ours has: signed by ca, a nonce of 32 characters, a serial. */
void shx_check_signed(const struct ssh_cert *c, const struct ssh_pubkey *ca)
{
	assert_true(ssh_pubkey_equal(&c->signature_key, ca));
	assert_int_equal(ssh_cert_verify(c, NULL), 0);
	assert_int_equal(c->nonce_len, 32);
	assert_true(c->serial != 0);
}

/* POST path with {"ott":token} (and more members, may be NULL); the answer's status and body. */
void shx_post_ott(struct shx *x, const char *path, char *token, const char *more,
		  struct shx_resp *r)
{
	char *body = xasprintf("{\"ott\":\"%s\"%s%s}", token, more != NULL ? "," : "",
			       more != NULL ? more : "");

	shx_call(x, "POST", path, body, r);
	free(body);
	free(token);
}

void shx_expect(const char *row, const struct shx_resp *r, int status, const char *body)
{
	if (r->status != status || (body != NULL && strcmp(r->body, body) != 0))
		afx_fail("%s: got %d %s, want %d %s", row, r->status, r->body, status,
			 body != NULL ? body : "");
}

/* A certificate of key signed by the CA key ca outside the engine (its validity as given). */
void shx_forge(EVP_PKEY *ca, EVP_PKEY *key, enum ssh_cert_type type, uint64_t after,
	       uint64_t before, struct ssh_cert *c)
{
	assert_int_equal(ssh_pubkey_from_evp(key, &c->key, NULL), 0);
	c->type = type;
	c->serial = 4242;
	c->key_id = xstrdup("forged");
	strv_push(&c->principals, "forged.example.com");
	c->valid_after = after;
	c->valid_before = before;
	assert_int_equal(ssh_cert_sign(c, ca, NULL), 0);
}
