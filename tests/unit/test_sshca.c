/* test_sshca.c - the SSH CA: claims, the step.ssh claim of tokens, POST /ssh/sign (the
 * certificates, step-ca's errors, the policy), add-user and identity certificates, the
 * templates, the read-only routes, and the engine without SSH keys (SSHPOP, revocation and the
 * KRL: test_sshca_pop.c). The expected answers are step-ca 0.19's, observed on the same
 * requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority/internal.h"
#include "base/b64.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "ssh_tool.h"
#include "sshca_fixture.h"

#define GENERIC_401 "{\"status\":401,\"message\":\"" AFX_GENERIC_401 "\"}\n"
#define FORBIDDEN   "The request was forbidden by the certificate authority: "
#define BAD_REQUEST "The request could not be completed: "
#define USER_STEP                                                                                  \
	"{\"ssh\":{\"certType\":\"user\",\"keyID\":\"alice@example.com\",\"principals\":"          \
	"[\"alice\",\"root\"],\"validAfter\":\"\",\"validBefore\":\"\"}}"
#define HOUR (3600 * AFX_SEC)

static void test_claims(void **state)
{
	struct claims c;
	json_t *prov = json_loads("{\"defaultUserSSHCertDuration\":\"48h\","
				  "\"minHostSSHCertDuration\":\"1h\"}",
				  0, NULL);
	json_t *global =
	    json_loads("{\"enableSSHCA\":true,\"maxHostSSHCertDuration\":\"1000h\"}", 0, NULL);
	(void)state;

	assert_int_equal(claims_resolve(NULL, NULL, &c, NULL), 0);
	assert_false(c.enable_ssh_ca);
	assert_int_equal(c.min_user_ssh_ns, 5 * 60 * AFX_SEC);
	assert_int_equal(c.max_user_ssh_ns, 24 * HOUR);
	assert_int_equal(c.default_user_ssh_ns, 16 * HOUR);
	assert_int_equal(c.min_host_ssh_ns, 5 * 60 * AFX_SEC);
	assert_int_equal(c.max_host_ssh_ns, 720 * HOUR);
	assert_int_equal(c.default_host_ssh_ns, 720 * HOUR);
	assert_int_equal(c.max_tls_ns, 24 * HOUR); /* the TLS claims as before */
	assert_int_equal(claims_resolve(prov, global, &c, NULL), 0);
	assert_true(c.enable_ssh_ca);
	/* a provisioner default over the inherited maximum widens it (step-ca's rule) */
	assert_int_equal(c.default_user_ssh_ns, 48 * HOUR);
	assert_int_equal(c.max_user_ssh_ns, 48 * HOUR);
	assert_int_equal(c.min_host_ssh_ns, HOUR);
	assert_int_equal(c.max_host_ssh_ns, 1000 * HOUR);
	json_decref(prov);
	json_decref(global);
}

static void test_token_step(void **state)
{
	struct shx *x = shx_new(NULL, NULL, NULL);
	struct token_grant g = {0};
	struct error err = {0};
	char *tok;
	(void)state;

	tok = shx_token(x, SHX_JWK, "alice@example.com",
			"{\"ssh\":{\"certType\":\"host\",\"keyID\":\"k1\",\"principals\":[\"a\","
			"\"b\"],\"validAfter\":\"-5m\",\"validBefore\":\"2h\"}}",
			NULL);
	assert_int_equal(token_authorize(x->f->a, tok, OP_SSH_SIGN, &g, &err), 0);
	assert_true(g.ssh.present);
	assert_string_equal(g.ssh.cert_type, "host");
	assert_string_equal(g.ssh.key_id, "k1");
	assert_int_equal(g.ssh.principals.n, 2);
	assert_string_equal(g.ssh.principals.v[1], "b");
	assert_string_equal(g.ssh.valid_after, "-5m");
	assert_string_equal(g.ssh.valid_before, "2h");
	token_grant_free(&g);
	free(tok);
	/* no step claim: step-ca's 401, its detail for the log only */
	tok = shx_token(x, SHX_JWK, "alice", "null", NULL);
	assert_int_equal(token_authorize(x->f->a, tok, OP_SSH_SIGN, &g, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_false(err.expose);
	assert_string_equal(err.msg, "jwk token must be an SSH provisioning token");
	token_grant_free(&g);
	free(tok);
	/* enableSSHCA off (jwk@test) */
	tok = shx_token(x, AFX_JWK, "alice", USER_STEP, NULL);
	assert_int_equal(token_authorize(x->f->a, tok, OP_SSH_SIGN, &g, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_false(err.expose);
	assert_string_equal(err.msg, "sshCA is disabled for jwk provisioner 'jwk@test'");
	token_grant_free(&g);
	free(tok);
	/* principals of the wrong type */
	tok = shx_token(x, SHX_JWK, "alice", "{\"ssh\":{\"principals\":\"root\"}}", NULL);
	assert_int_equal(token_authorize(x->f->a, tok, OP_SSH_SIGN, &g, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	token_grant_free(&g);
	free(tok);
	shx_free(x);
}

static void test_sign_user(void **state)
{
	struct shx *x = shx_new(NULL, NULL, NULL);
	EVP_PKEY *key = afx_key(AFX_ED25519);
	char *b = shx_pub_b64(key),
	     *tok = shx_token(x, SHX_JWK, "alice@example.com", USER_STEP, NULL);
	char *body = shx_sign_body(b, tok, "{\"certType\":\"user\",\"principals\":[\"alice\"]}");
	json_t *doc = shx_json(x, "POST", "/ssh/sign", body, 201);
	struct ssh_cert c = {0};
	char *line, *out;
	int st;
	(void)state;

	assert_int_equal(json_object_size(doc), 1); /* crt only */
	shx_cert(doc, "crt", &c);
	shx_check_signed(&c, &x->user_pub);
	assert_int_equal(c.type, SSH_CERT_USER);
	assert_int_equal(c.key.type, SSH_KEY_ED25519);
	assert_string_equal(c.key_id, "alice@example.com");
	/* the token's principals, not the request's */
	assert_int_equal(c.principals.n, 2);
	assert_string_equal(c.principals.v[0], "alice");
	assert_string_equal(c.principals.v[1], "root");
	/* 16h from now, backdated a minute */
	assert_true(llabs((long long)c.valid_after - (shx_now() - 60)) <= 2);
	assert_int_equal(c.valid_before - c.valid_after, 16 * 3600 + 60);
	assert_int_equal(c.n_critical, 0);
	assert_int_equal(c.n_extensions, 5);
	line = ssh_cert_line(&c, NULL);
	sshtool_write("u-cert.pub", line, strlen(line));
	out = sshtool_run(&st, "ssh-keygen -L -f u-cert.pub");
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "Type: ssh-ed25519-cert-v01@openssh.com user certificate"));
	assert_non_null(strstr(out, "Key ID: \"alice@example.com\""));
	assert_non_null(strstr(out, "Extensions: \n                permit-X11-forwarding\n"
				    "                permit-agent-forwarding\n"
				    "                permit-port-forwarding\n"
				    "                permit-pty\n                permit-user-rc"));
	free(out);
	free(line);
	ssh_cert_clear(&c);
	json_decref(doc);
	free(body);
	free(tok);
	free(b);
	EVP_PKEY_free(key);
	sshtool_cleanup();
	shx_free(x);
}

static void test_sign_host(void **state)
{
	struct shx *x = shx_new(NULL, NULL, NULL);
	EVP_PKEY *key = shx_p256();
	struct ssh_cert c = {0};
	json_t *doc;
	(void)state;

	shx_host_cert(x, key, &c);
	shx_check_signed(&c, &x->host_pub);
	assert_int_equal(c.type, SSH_CERT_HOST);
	assert_string_equal(c.key_id, "web1.example.com");
	assert_int_equal(c.valid_before - c.valid_after, 720 * 3600 + 60);
	assert_int_equal(c.n_extensions, 0);
	/* the host is known now, by any case of its name */
	doc = shx_json(x, "POST", "/ssh/check-host",
		       "{\"type\":\"host\",\"principal\":\"WEB1.example.com\"}", 200);
	assert_true(json_is_true(json_object_get(doc, "exists")));
	json_decref(doc);
	doc = shx_json(x, "GET", "/1.0/ssh/hosts", NULL, 200);
	{
		char *s = json_dumps(doc, JSON_COMPACT);
		assert_string_equal(s, "{\"hosts\":[{\"hid\":\"\",\"host_tags\":null,\"hostname\":"
				       "\"localhost\"},{\"hid\":\"\",\"host_tags\":null,"
				       "\"hostname\":\"web1.example.com\"}]}");
		free(s);
	}
	json_decref(doc);
	ssh_cert_clear(&c);
	EVP_PKEY_free(key);
	shx_free(x);
}

struct bad_sign {
	const char *row;
	const char *prov, *step, *key, *extra; /* key: "P256", "DSA", "RSA1024", or literal */
	int status;
	const char *message; /* NULL: the generic 401 body */
};

static const struct bad_sign bad_signs[] = {
    {"principals the token does not grant", SHX_JWK,
     "{\"ssh\":{\"certType\":\"user\",\"principals\":[\"alice\"]}}", "P256",
     "{\"principals\":[\"root\"]}", 403,
     FORBIDDEN "ssh certificate principals does not match - got [root], want [alice]."},
    {"unknown request cert type", SHX_JWK, USER_STEP, "P256", "{\"certType\":\"foo\"}", 400,
     BAD_REQUEST "invalid certType 'foo'."},
    {"unknown token cert type", SHX_JWK, "{\"ssh\":{\"certType\":\"foo\"}}", "P256", NULL, 400,
     BAD_REQUEST "unknown certificate type 'foo'."},
    {"cert type mismatch", SHX_JWK, "{\"ssh\":{\"certType\":\"host\"}}", "P256",
     "{\"certType\":\"user\"}", 403,
     FORBIDDEN "ssh certificate type does not match - got user, want host."},
    {"duration over the max", SHX_JWK, "{\"ssh\":{\"certType\":\"user\",\"validBefore\":\"48h\"}}",
     "P256", NULL, 403,
     FORBIDDEN "requested duration of 48h1m0s is greater than maximum accepted duration for "
	       "selected provisioner of 24h1m0s."},
    {"duration under the min", SHX_JWK, USER_STEP, "P256", "{\"validBefore\":\"1m\"}", 403,
     FORBIDDEN "requested duration of 2m0s is less than minimum accepted duration for "
	       "selected provisioner of 5m0s."},
    {"validBefore mismatch", SHX_JWK, "{\"ssh\":{\"validBefore\":\"2h\"}}", "P256",
     "{\"validBefore\":\"3h\"}", 403,
     FORBIDDEN "ssh certificate validBefore does not match - got {{0 0 \\u003cnil\\u003e} "
	       "10800000000000}, want {{0 0 \\u003cnil\\u003e} 7200000000000}."},
    {"validAfter after validBefore", SHX_JWK, USER_STEP, "P256",
     "{\"validAfter\":\"2h\",\"validBefore\":\"1h\"}", 400,
     BAD_REQUEST "ssh certificate validAfter cannot be greater than validBefore."},
    {"DSA key", SHX_JWK, USER_STEP, "DSA", NULL, 400,
     BAD_REQUEST "ssh certificate key algorithm (DSA) is not supported."},
    {"RSA 1024 key", SHX_JWK, USER_STEP, "RSA1024", NULL, 403,
     FORBIDDEN "ssh certificate key must be at least 2048 bits (256 bytes)."},
    {"missing key", SHX_JWK, USER_STEP, "", NULL, 400, BAD_REQUEST "missing or empty publicKey."},
    {"key that does not parse", SHX_JWK, USER_STEP, "AAAA", NULL, 400,
     BAD_REQUEST "error parsing publicKey."},
    {"missing token", SHX_JWK, USER_STEP, "P256", "{\"ott\":\"\"}", 400,
     BAD_REQUEST "missing or empty ott."},
    {"body of the wrong type", SHX_JWK, USER_STEP, "P256", "{\"publicKey\":5}", 400,
     BAD_REQUEST "error decoding json."},
    {"empty principal", SHX_JWK, USER_STEP, "P256", "{\"principals\":[\"\"]}", 400,
     BAD_REQUEST "principals cannot contain empty values."},
    {"no step claim", SHX_JWK, "null", "P256", NULL, 401, NULL},
    {"enableSSHCA off", AFX_JWK, USER_STEP, "P256", NULL, 401, NULL},
};

/* The base64 public key a row names. */
static char *row_key(const char *key)
{
	char *out;

	if (strcmp(key, "P256") == 0) {
		EVP_PKEY *k = shx_p256();
		out = shx_pub_b64(k);
		EVP_PKEY_free(k);
		return out;
	}
	if (strcmp(key, "DSA") == 0 || strcmp(key, "RSA1024") == 0) {
		char *line;

		sshtool_keygen("k", strcmp(key, "DSA") == 0 ? "dsa" : "rsa",
			       strcmp(key, "DSA") == 0 ? 0 : 1024);
		line = sshtool_line("k.pub");
		out = xstrdup(strtok(strchr(line, ' ') + 1, " "));
		free(line);
		return out;
	}
	return xstrdup(key);
}

static void test_sign_errors(void **state)
{
	struct shx *x = shx_new(NULL, NULL, NULL);
	(void)state;

	for (size_t i = 0; i < sizeof(bad_signs) / sizeof(bad_signs[0]); i++) {
		const struct bad_sign *r = &bad_signs[i];
		char *key = row_key(r->key), *want;
		struct shx_resp resp;

		shx_sign(x, r->prov, "alice@example.com", r->step, key, r->extra, &resp);
		want = r->message != NULL ? xasprintf("{\"status\":%d,\"message\":\"%s\"}\n",
						      r->status, r->message)
					  : xstrdup(GENERIC_401);
		if (resp.status != r->status || strcmp(resp.body, want) != 0)
			afx_fail("%s: got %d %s, want %d %s", r->row, resp.status, resp.body,
				 r->status, want);
		free(want);
		shx_resp_free(&resp);
		free(key);
	}
	afx_done();
	sshtool_cleanup();
	shx_free(x);
}

static void test_policy(void **state)
{
	struct shx *x = shx_new(
	    NULL, "{\"policy\":{\"ssh\":{\"user\":{\"allow\":{\"principal\":[\"alice\"]}}}}}",
	    NULL);
	EVP_PKEY *k = shx_p256();
	char *b = shx_pub_b64(k);
	struct shx_resp r;
	(void)state;

	shx_sign(x, SHX_JWK, "alice",
		 "{\"ssh\":{\"certType\":\"user\",\"principals\":[\"alice\"]}}", b, NULL, &r);
	assert_int_equal(r.status, 201);
	shx_resp_free(&r);
	shx_sign(x, SHX_JWK, "alice", USER_STEP, b, NULL, &r);
	assert_int_equal(r.status, 403);
	/* step-ca's sentence, once */
	assert_string_equal(r.body, "{\"status\":403,\"message\":\"" FORBIDDEN
				    "principal name \\\"root\\\" not allowed\"}\n");
	shx_resp_free(&r);
	free(b);
	EVP_PKEY_free(k);
	shx_free(x);
}

static void test_add_user_and_identity(void **state)
{
	struct shx *x = shx_new(NULL, NULL, NULL);
	EVP_PKEY *k = shx_p256(), *add = shx_p256(), *idk = shx_p256();
	char *b = shx_pub_b64(k), *ab = shx_pub_b64(add), *extra, *pem = NULL, *cmd;
	X509_REQ *csr = afx_csr(idk, "alice@example.com", NULL, false);
	struct ssh_cert c = {0}, au = {0};
	json_t *doc;
	X509 *leaf;
	BIO *bio;
	(void)state;

	assert_int_equal(csr_to_pem(csr, &pem, NULL), 0);
	{
		json_t *e = json_pack("{s:s, s:s}", "addUserPublicKey", ab, "identityCSR", pem);
		extra = json_dumps(e, JSON_COMPACT);
		json_decref(e);
	}
	{
		char *tok =
		    shx_token(x, SHX_JWK, "alice@example.com",
			      "{\"ssh\":{\"certType\":\"user\",\"principals\":[\"alice\"]}}", NULL);
		char *body = shx_sign_body(b, tok, extra);
		doc = shx_json(x, "POST", "/ssh/sign", body, 201);
		free(body);
		free(tok);
	}
	shx_cert(doc, "crt", &c);
	shx_cert(doc, "addUserCrt", &au);
	shx_check_signed(&au, &x->user_pub);
	assert_string_equal(au.key_id, "alice-provisioner");
	assert_int_equal(au.principals.n, 1);
	assert_string_equal(au.principals.v[0], "provisioner");
	assert_int_equal(au.n_extensions, 0);
	cmd = ssh_option_string(au.critical, au.n_critical, "force-command");
	assert_string_equal(cmd, "sudo useradd -m alice; nc -q0 localhost 22");
	assert_int_equal(au.valid_after, c.valid_after);
	assert_int_equal(au.valid_before, c.valid_before);
	/* the identity certificate: leaf and intermediate, the SSH certificate's validity */
	assert_int_equal(json_array_size(json_object_get(doc, "identityCrt")), 2);
	bio = BIO_new_mem_buf(
	    json_string_value(json_array_get(json_object_get(doc, "identityCrt"), 0)), -1);
	leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(leaf);
	assert_int_equal(cert_not_before_ns(leaf), (int64_t)c.valid_after * AFX_SEC);
	assert_int_equal(cert_not_after_ns(leaf), (int64_t)c.valid_before * AFX_SEC);
	assert_true(key_public_equal(X509_get0_pubkey(leaf), idk));
	X509_free(leaf);
	BIO_free(bio);
	free(cmd);
	ssh_cert_clear(&c);
	ssh_cert_clear(&au);
	json_decref(doc);
	free(extra);
	free(pem);
	X509_REQ_free(csr);
	free(b);
	free(ab);
	EVP_PKEY_free(k);
	EVP_PKEY_free(add);
	EVP_PKEY_free(idk);
	shx_free(x);
}

/* The decoded content of template i of list name of doc (malloc'd). */
static char *content(const json_t *doc, const char *name, size_t i)
{
	const char *v = json_string_value(
	    json_object_get(json_array_get(json_object_get(doc, name), i), "content"));
	uint8_t *out = NULL;
	size_t n = 0;

	assert_non_null(v);
	assert_int_equal(b64_decode(v, strlen(v), false, &out, &n, NULL), 0);
	return (char *)out;
}

static void test_config(void **state)
{
	struct shx *x = shx_new(NULL, NULL, NULL);
	json_t *doc;
	char *s, *want, *hk = ssh_pubkey_line(&x->host_pub, NULL);
	struct shx_resp r;
	(void)state;

	/* step's own data: step-ca 0.19's text */
	doc = shx_json(
	    x, "POST", "/ssh/config",
	    "{\"type\":\"user\",\"data\":{\"GOOS\":\"linux\",\"StepPath\":\"/home/a/.step\","
	    "\"StepSSHTemplateVersion\":\"v2\",\"Context\":\"ctx\",\"User\":\"alice\"}}",
	    200);
	s = content(doc, "userTemplates", 2);
	assert_string_equal(s, "Match exec \"step ssh check-host --context ctx %h\"\n\tUser alice\n"
			       "\tUserKnownHostsFile \"/home/a/.step/ssh/known_hosts\"\n"
			       "\tProxyCommand step ssh proxycommand --context ctx %r %h %p\n");
	free(s);
	s = json_dumps(json_array_get(json_object_get(doc, "userTemplates"), 1), JSON_COMPACT);
	assert_string_equal(s, "{\"name\":\"step_includes.tpl\",\"type\":\"prepend-line\",\"path\":"
			       "\"${STEPPATH}/ssh/includes\",\"comment\":\"#\",\"content\":"
			       "\"SW5jbHVkZSAiL2hvbWUvYS8uc3RlcC9zc2gvY29uZmlnIg==\"}");
	free(s);
	s = content(doc, "userTemplates", 3);
	want = xasprintf("@cert-authority * %s\n", hk);
	assert_string_equal(s, want);
	free(want);
	free(s);
	json_decref(doc);
	/* without data: Go's <no value> */
	doc = shx_json(x, "POST", "/ssh/config", "{}", 200);
	s = content(doc, "userTemplates", 0);
	assert_string_equal(s, "Host *\n\tInclude \"<no value>/ssh/includes\"");
	free(s);
	json_decref(doc);
	/* hosts: the required variables, then sshd_config with the KRL */
	shx_call(x, "POST", "/ssh/config", "{\"type\":\"host\"}", &r);
	shx_expect("host without data", &r, 400,
		   "{\"status\":400,\"message\":\"" BAD_REQUEST
		   "required variable 'Certificate' is missing, please use `--set "
		   "\\u003ckey=value\\u003e` flag.\"}\n");
	shx_resp_free(&r);
	doc = shx_json(x, "POST", "/ssh/config",
		       "{\"type\":\"host\",\"data\":{\"Certificate\":\"h-cert.pub\",\"Key\":\"h\","
		       "\"SSHDir\":\"/srv/ssh\"}}",
		       200);
	s = content(doc, "hostTemplates", 0);
	assert_string_equal(s, "Match all\n\tTrustedUserCAKeys /srv/ssh/ca.pub\n\tHostCertificate "
			       "/srv/ssh/h-cert.pub\n\tHostKey /srv/ssh/h\n\tRevokedKeys "
			       "/srv/ssh/stride_revoked_keys");
	free(s);
	s = json_dumps(
	    json_object_get(json_array_get(json_object_get(doc, "hostTemplates"), 2), "path"),
	    JSON_ENCODE_ANY);
	assert_string_equal(s, "\"/srv/ssh/stride_revoked_keys\"");
	free(s);
	s = content(doc, "hostTemplates", 2);
	assert_memory_equal(s, "SSHKRL\n\0", 8);
	free(s);
	json_decref(doc);
	shx_call(x, "POST", "/ssh/config", "{\"type\":\"bad\"}", &r);
	shx_expect("bad type", &r, 400,
		   "{\"status\":400,\"message\":\"" BAD_REQUEST "invalid type 'bad'.\"}\n");
	shx_resp_free(&r);
	afx_done();
	free(hk);
	shx_free(x);
}

static void test_routes(void **state)
{
	struct shx *x = shx_new(
	    "{\"bastion\":{\"hostname\":\"bastion.example.com\",\"port\":\"22\"}}", NULL, NULL);
	struct shx_resp r;
	char *want, *u = b64_encode(x->user_pub.blob, x->user_pub.blob_len),
		    *h = b64_encode(x->host_pub.blob, x->host_pub.blob_len);
	(void)state;

	shx_call(x, "GET", "/ssh/roots", NULL, &r);
	want = xasprintf("{\"userKey\":[\"%s\"],\"hostKey\":[\"%s\"]}\n", u, h);
	shx_expect("roots", &r, 200, want);
	shx_resp_free(&r);
	free(want);
	shx_call(x, "POST", "/ssh/bastion", "{\"user\":\"a\",\"hostname\":\"h\"}", &r);
	shx_expect("bastion", &r, 200,
		   "{\"hostname\":\"h\",\"bastion\":{\"hostname\":\"bastion.example.com\",\"port\":"
		   "\"22\"}}\n");
	shx_resp_free(&r);
	shx_call(x, "POST", "/ssh/check-host", "{\"type\":\"user\",\"principal\":\"x\"}", &r);
	shx_expect("check-host type", &r, 400,
		   "{\"status\":400,\"message\":\"" BAD_REQUEST "unsupported type 'user'.\"}\n");
	shx_resp_free(&r);
	shx_call(x, "GET", "/ssh/sign", NULL, &r);
	shx_expect("wrong method", &r, 405, "");
	shx_resp_free(&r);
	shx_call(x, "POST", "/ssh/nothing", "{}", &r);
	shx_expect("unknown route", &r, 404, "404 page not found\n");
	shx_resp_free(&r);
	afx_done();
	free(u);
	free(h);
	shx_free(x);
}

/* Without an "ssh" object: what step-ca answers then. */
static void test_no_ssh(void **state)
{
	struct shx *x = shx_new("-", NULL, NULL);
	EVP_PKEY *k = shx_p256();
	char *b = shx_pub_b64(k), *tok, *body;
	struct shx_resp r;
	(void)state;

	assert_null(sshca_startup_lines(x->s));
	shx_sign(x, SHX_JWK, "alice", USER_STEP, b, NULL, &r);
	shx_expect("sign", &r, 501, "{\"status\":501,\"message\":\"" AFX_GENERIC_501 "\"}\n");
	shx_resp_free(&r);
	shx_call(x, "GET", "/ssh/roots", NULL, &r);
	shx_expect("roots", &r, 404, NULL);
	shx_resp_free(&r);
	tok = shx_token(x, SHX_JWK, "777", "null", "/1.0/ssh/revoke");
	body = xasprintf("{\"serial\":\"777\",\"ott\":\"%s\",\"passive\":true}", tok);
	shx_call(x, "POST", "/ssh/revoke", body, &r);
	shx_expect("revoke", &r, 200, "{\"status\":\"ok\"}\n");
	shx_resp_free(&r);
	afx_done();
	free(body);
	free(tok);
	free(b);
	EVP_PKEY_free(k);
	shx_free(x);
}

/* Without a database (ca.json has no "db"): certificates are signed but nothing is recorded,
 * and what needs the records answers as step-ca 0.19 does then. */
static void test_no_db(void **state)
{
	struct shx *x = shx_new_db(NULL, NULL, NULL, false);
	EVP_PKEY *key = shx_p256();
	struct ssh_cert c = {0};
	struct shx_resp r;
	(void)state;

	shx_host_cert(x, key, &c);
	shx_call(x, "POST", "/ssh/check-host", "{\"type\":\"host\",\"principal\":\"localhost\"}",
		 &r);
	shx_expect("check-host", &r, 501, "{\"status\":501,\"message\":\"" AFX_GENERIC_501 "\"}\n");
	shx_resp_free(&r);
	shx_call(x, "GET", "/ssh/hosts", NULL, &r);
	shx_expect("hosts", &r, 500, NULL);
	shx_resp_free(&r);
	shx_call(x, "GET", "/ssh/krl", NULL, &r);
	shx_expect("krl", &r, 200, NULL);
	shx_resp_free(&r);
	afx_done();
	ssh_cert_clear(&c);
	EVP_PKEY_free(key);
	shx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_claims),
	    cmocka_unit_test(test_token_step),
	    cmocka_unit_test(test_sign_user),
	    cmocka_unit_test(test_sign_host),
	    cmocka_unit_test(test_sign_errors),
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_add_user_and_identity),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_no_ssh),
	    cmocka_unit_test(test_no_db),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
