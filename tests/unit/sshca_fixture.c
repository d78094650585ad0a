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
	patch = json_object();
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
	struct waiter w = {.out = out};
	struct sshca_request req = {
	    .method = method,
	    .path = path,
	    .body = (const uint8_t *)(body != NULL ? body : ""),
	    .body_len = body != NULL ? strlen(body) : 0,
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
