/* test_sshca_pop.c - the SSH CA's SSHPOP flows (renew, rekey, revoke: the token checks, a
 * wrong key, another CA, expired, revoked, a serial mismatch, the mTLS identity renewal) and
 * revocation by JWK token with the KRL of GET /ssh/krl. The expected answers are step-ca 0.19's
 * (stride refuses more: the SSHPOP certificate must not be revoked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "sshca_fixture.h"

#define GENERIC_401 "{\"status\":401,\"message\":\"" AFX_GENERIC_401 "\"}\n"
#define BAD_REQUEST "The request could not be completed: "

static void test_sshpop(void **state)
{
	struct shx *x = shx_new(NULL, NULL, NULL);
	EVP_PKEY *key = shx_p256(), *other = shx_p256(), *newkey = shx_p256();
	struct ssh_cert c = {0}, n = {0}, expired = {0}, user = {0}, foreign = {0};
	uint64_t now = (uint64_t)shx_now();
	char serial[24], *nb = shx_pub_b64(newkey), *more;
	struct shx_resp r;
	json_t *doc;
	(void)state;

	shx_host_cert(x, key, &c);
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)c.serial);
	/* renew: same fields, a new serial, the same length from now - backdate */
	shx_post_ott(x, "/ssh/renew", shx_pop_token(&c, key, serial, "/1.0/ssh/renew"), NULL, &r);
	shx_expect("renew", &r, 201, NULL);
	doc = json_loads(r.body, 0, NULL);
	shx_cert(doc, "crt", &n);
	shx_check_signed(&n, &x->host_pub);
	assert_true(n.serial != c.serial);
	assert_true(ssh_pubkey_equal(&n.key, &c.key));
	assert_string_equal(n.key_id, c.key_id);
	assert_int_equal(n.principals.n, 2);
	assert_int_equal(n.valid_before - n.valid_after, c.valid_before - c.valid_after);
	json_decref(doc);
	shx_resp_free(&r);
	/* over mTLS the client's X.509 certificate is renewed with the new SSH validity */
	{
		EVP_PKEY *pk = afx_key(AFX_P256);
		X509 *peer = afx_issue(x->f, AFX_JWK, "web1.example.com", NULL, pk), *leaf;
		char *tok = shx_pop_token(&c, key, serial, "/1.0/ssh/renew");
		char *body = xasprintf("{\"ott\":\"%s\"}", tok);
		BIO *bio;

		shx_call_peer(x, "POST", "/ssh/renew", body, peer, &r);
		shx_expect("renew over mTLS", &r, 201, NULL);
		doc = json_loads(r.body, 0, NULL);
		assert_int_equal(json_array_size(json_object_get(doc, "identityCrt")), 2);
		ssh_cert_clear(&n);
		shx_cert(doc, "crt", &n);
		bio = BIO_new_mem_buf(
		    json_string_value(json_array_get(json_object_get(doc, "identityCrt"), 0)), -1);
		leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		assert_non_null(leaf);
		assert_int_equal(cert_not_before_ns(leaf), (int64_t)n.valid_after * AFX_SEC);
		assert_int_equal(cert_not_after_ns(leaf), (int64_t)n.valid_before * AFX_SEC);
		assert_true(key_public_equal(X509_get0_pubkey(leaf), pk));
		X509_free(leaf);
		BIO_free(bio);
		json_decref(doc);
		shx_resp_free(&r);
		free(body);
		free(tok);
		X509_free(peer);
		EVP_PKEY_free(pk);
	}
	/* a token the certificate's key did not sign */
	shx_post_ott(x, "/ssh/renew", shx_pop_token(&c, other, serial, "/1.0/ssh/renew"), NULL, &r);
	shx_expect("wrong key", &r, 401, GENERIC_401);
	shx_resp_free(&r);
	/* a certificate of another CA */
	shx_forge(other, key, SSH_CERT_HOST, now - 60, now + 3600, &foreign);
	shx_post_ott(x, "/ssh/renew", shx_pop_token(&foreign, key, "4242", "/1.0/ssh/renew"), NULL,
		     &r);
	shx_expect("foreign CA", &r, 401, GENERIC_401);
	shx_resp_free(&r);
	/* expired: refused for rekey by the token check, for renew by the renewal's claims */
	shx_forge(x->host_ca, key, SSH_CERT_HOST, now - 7200, now - 3600, &expired);
	shx_post_ott(x, "/ssh/renew", shx_pop_token(&expired, key, "4242", "/1.0/ssh/renew"), NULL,
		     &r);
	shx_expect("expired renew", &r, 401, GENERIC_401);
	shx_resp_free(&r);
	more = xasprintf("\"publicKey\":\"%s\"", nb);
	shx_post_ott(x, "/ssh/rekey", shx_pop_token(&expired, key, "4242", "/1.0/ssh/rekey"), more,
		     &r);
	shx_expect("expired rekey", &r, 401, GENERIC_401);
	shx_resp_free(&r);
	/* a user certificate */
	shx_forge(x->user_ca, key, SSH_CERT_USER, now - 60, now + 3600, &user);
	shx_post_ott(x, "/ssh/renew", shx_pop_token(&user, key, "4242", "/1.0/ssh/renew"), NULL,
		     &r);
	shx_expect("user certificate", &r, 400,
		   "{\"status\":400,\"message\":\"" BAD_REQUEST
		   "sshpop certificate must be a host ssh certificate.\"}\n");
	shx_resp_free(&r);
	/* rekey to a new key */
	shx_post_ott(x, "/ssh/rekey", shx_pop_token(&c, key, serial, "/1.0/ssh/rekey"), more, &r);
	shx_expect("rekey", &r, 201, NULL);
	shx_resp_free(&r);
	/* revoke: the subject must be the certificate's serial */
	shx_post_ott(x, "/ssh/revoke", shx_pop_token(&c, key, "12345", "/1.0/ssh/revoke"),
		     "\"serial\":\"12345\",\"passive\":true", &r);
	shx_expect("serial mismatch", &r, 400,
		   "{\"status\":400,\"message\":\"" BAD_REQUEST
		   "sshpop token subject must be equivalent to sshpop certificate serial "
		   "number.\"}\n");
	shx_resp_free(&r);
	{
		char *m = xasprintf("\"serial\":\"%s\",\"passive\":true", serial);
		shx_post_ott(x, "/ssh/revoke", shx_pop_token(&c, key, serial, "/1.0/ssh/revoke"), m,
			     &r);
		shx_expect("revoke", &r, 200, "{\"status\":\"ok\"}\n");
		shx_resp_free(&r);
		free(m);
	}
	/* revoked: no more renewals */
	shx_post_ott(x, "/ssh/renew", shx_pop_token(&c, key, serial, "/1.0/ssh/renew"), NULL, &r);
	shx_expect("revoked", &r, 401, GENERIC_401);
	shx_resp_free(&r);
	afx_done();
	free(more);
	free(nb);
	ssh_cert_clear(&c);
	ssh_cert_clear(&n);
	ssh_cert_clear(&expired);
	ssh_cert_clear(&user);
	ssh_cert_clear(&foreign);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(newkey);
	shx_free(x);
}

/* The current KRL from GET /ssh/krl. */
static void krl(struct shx *x, struct shx_resp *r)
{
	shx_call(x, "GET", "/ssh/krl", NULL, r);
	assert_int_equal(r->status, 200);
	assert_string_equal(r->content_type, "application/octet-stream");
}

static void test_revoke_and_krl(void **state)
{
	struct shx *x = shx_new(NULL, NULL, NULL);
	EVP_PKEY *key = shx_p256();
	struct ssh_cert c = {0};
	char serial[24], *body, *tok;
	struct shx_resp r;
	bool revoked = true;
	(void)state;

	shx_host_cert(x, key, &c);
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)c.serial);
	krl(x, &r);
	assert_int_equal(ssh_krl_revokes_serial((uint8_t *)r.body, r.len, &x->host_pub, c.serial,
						&revoked, NULL),
			 0);
	assert_false(revoked);
	shx_resp_free(&r);
	for (int i = 0; i < 2; i++) {
		tok = shx_token(x, SHX_JWK, serial, "null", "/1.0/ssh/revoke");
		body = xasprintf("{\"serial\":\"%s\",\"ott\":\"%s\",\"passive\":true,"
				 "\"reasonCode\":1,\"reason\":\"lost\"}",
				 serial, tok);
		shx_call(x, "POST", "/ssh/revoke", body, &r);
		if (i == 0) {
			shx_expect("revoke", &r, 200, "{\"status\":\"ok\"}\n");
		} else {
			char *want = xasprintf("{\"status\":400,\"message\":\"" BAD_REQUEST
					       "certificate with serial number '%s' is already "
					       "revoked.\"}\n",
					       serial);
			shx_expect("revoke twice", &r, 400, want);
			free(want);
		}
		shx_resp_free(&r);
		free(body);
		free(tok);
	}
	/* the KRL is rebuilt after the revocation: the serial is in it, under the host CA */
	krl(x, &r);
	assert_int_equal(ssh_krl_revokes_serial((uint8_t *)r.body, r.len, &x->host_pub, c.serial,
						&revoked, NULL),
			 0);
	assert_true(revoked);
	assert_int_equal(ssh_krl_revokes_serial((uint8_t *)r.body, r.len, &x->host_pub,
						c.serial + 1, &revoked, NULL),
			 0);
	assert_false(revoked);
	shx_resp_free(&r);
	/* step-ca's checks of the body */
	shx_call(x, "POST", "/ssh/revoke", "{\"serial\":\"1\",\"passive\":false,\"ott\":\"x\"}",
		 &r);
	shx_expect("not passive", &r, 501, NULL);
	shx_resp_free(&r);
	shx_call(x, "POST", "/ssh/revoke", "{\"passive\":true}", &r);
	shx_expect("no serial", &r, 400,
		   "{\"status\":400,\"message\":\"" BAD_REQUEST "missing serial.\"}\n");
	shx_resp_free(&r);
	afx_done();
	ssh_cert_clear(&c);
	EVP_PKEY_free(key);
	shx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sshpop),
	    cmocka_unit_test(test_revoke_and_krl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
