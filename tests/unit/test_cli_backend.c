/* test_cli_backend.c - the CLI's choice of CA end, and that issue, renew/rekey and token
 * making go through it: a fake backend records the calls and answers with certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "cli/issue.h"
#include "cli/renew_common.h"
#include "cli/token_flow.h"
#include "client/ssh_token.h"
#include "base/b64.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "jose/jws.h"
#include "ssh/ssh.h"

static const struct flag_def offline_flags[] = {
    TOKEN_FLOW_FLAGS,
    FLAG_END,
};
static const struct command offline_cmd = {
    .name = "token", .summary = "t", .args = "<subject>", .flags = offline_flags, .max_args = -1};

static const struct flag_def online_only_flags[] = {
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    FLAG_END,
};
static const struct command online_only_cmd = {
    .name = "health", .summary = "h", .flags = online_only_flags, .max_args = -1};

/* Parses argv (NULL-terminated) for cmd and resolves it without defaults.json. */
static void ctx_for(struct cli_ctx *ctx, const struct command *cmd, const char *first, ...)
{
	char *argv[16];
	int argc = 0;
	struct error err = {0};
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 16; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	cli_ctx_init(ctx, cmd, "stride ca test");
	assert_int_equal(cli_ctx_parse(ctx, argc, argv, &err), 0);
	assert_int_equal(cli_ctx_resolve_with(ctx, NULL, NULL, &err), 0);
}

/* --- certificates ----------------------------------------------------------------------------- */

static EVP_PKEY *new_key(void)
{
	struct key_spec spec;
	EVP_PKEY *k = NULL;

	assert_int_equal(key_spec_parse(NULL, NULL, NULL, &spec, NULL), 0);
	assert_int_equal(key_generate(&spec, &k, NULL), 0);
	return k;
}

/* A certificate for pub signed by signer, valid from now+from_s to now+to_s. */
static X509 *new_cert(EVP_PKEY *pub, EVP_PKEY *signer, long from_s, long to_s)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 4242);
	X509_gmtime_adj(X509_getm_notBefore(c), from_s);
	X509_gmtime_adj(X509_getm_notAfter(c), to_s);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"leaf", -1, -1, 0);
	X509_set_subject_name(c, n);
	X509_set_issuer_name(c, n);
	X509_set_pubkey(c, pub);
	assert_true(X509_sign(c, signer, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return c;
}

/* --- the fake CA end -------------------------------------------------------------------------- */

struct fake {
	int connects, signs, renews, rekeys, revokes, sources, keys;
	char *connect_token, *token, *not_before;
	X509_REQ *csr;		/* borrowed from the caller, valid during the call */
	EVP_PKEY *answer_pub;	/* the key the answer certifies; NULL = the CSR's / the peer's */
	EVP_PKEY *ca_key;	/* signs the answers */
	STACK_OF(X509) * chain; /* the peer chain renew/rekey got */
};

static struct fake *fake_of(const struct ca_backend *be)
{
	return be->state;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL ? xstrdup(v) : NULL;
}

static int answer(struct fake *f, EVP_PKEY *pub, char **chain_pem)
{
	X509 *c = new_cert(f->answer_pub != NULL ? f->answer_pub : pub, f->ca_key, -60, 3600);
	int rc = cert_to_pem(c, chain_pem, NULL);

	X509_free(c);
	return rc;
}

static int fake_connect(struct ca_backend *be, const char *token, struct error *err)
{
	(void)err;
	fake_of(be)->connects++;
	set_str(&fake_of(be)->connect_token, token);
	return 0;
}

static const char *fake_url(const struct ca_backend *be)
{
	(void)be;
	return "https://fake.example:8443";
}

static int fake_token_source(struct ca_backend *be, struct ca_token_source *out, struct error *err)
{
	(void)err;
	fake_of(be)->sources++;
	out->provisioners =
	    json_pack("[{s:s, s:s, s:{s:s}}, {s:s, s:s}]", "type", "JWK", "name", "fakeprov", "key",
		      "kid", "kid-1", "type", "SSHPOP", "name", "sshpop");
	out->audience_base = xstrdup("https://fake.example:8443");
	out->sign_path = "/fake/sign";
	out->revoke_path = "/fake/revoke";
	memset(out->sha, 'a', 64);
	return 0;
}

static int fake_provisioner_key(struct ca_backend *be, const json_t *prov, char **jwe,
				struct error *err)
{
	(void)jwe;
	fake_of(be)->keys++;
	return err_set(err, ERR_NOT_FOUND, "fake: no key for %s",
		       json_string_value(json_object_get(prov, "name")));
}

static int fake_sign(struct ca_backend *be, X509_REQ *csr, const char *token,
		     const char *not_before, const char *not_after, char **chain_pem,
		     struct error *err)
{
	struct fake *f = fake_of(be);

	(void)not_after;
	(void)err;
	f->signs++;
	f->csr = csr;
	set_str(&f->token, token);
	set_str(&f->not_before, not_before);
	return answer(f, X509_REQ_get0_pubkey(csr), chain_pem);
}

static int fake_renew(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key,
		      const char *token, char **chain_pem, struct error *err)
{
	struct fake *f = fake_of(be);

	(void)err;
	f->renews++;
	f->chain = chain;
	set_str(&f->token, token);
	return answer(f, key, chain_pem);
}

static int fake_rekey(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key, X509_REQ *csr,
		      char **chain_pem, struct error *err)
{
	struct fake *f = fake_of(be);

	(void)key;
	(void)err;
	f->rekeys++;
	f->chain = chain;
	f->csr = csr;
	return answer(f, X509_REQ_get0_pubkey(csr), chain_pem);
}

static int fake_revoke(struct ca_backend *be, const struct ca_revoke_request *req,
		       struct error *err)
{
	(void)req;
	(void)err;
	fake_of(be)->revokes++;
	return 0;
}

static void fake_close(struct ca_backend *be)
{
	(void)be; /* the state lives in the test */
}

static const struct ca_backend_ops fake_ops = {
    .remote = false,
    .connect = fake_connect,
    .url = fake_url,
    .token_source = fake_token_source,
    .provisioner_key = fake_provisioner_key,
    .sign = fake_sign,
    .renew = fake_renew,
    .rekey = fake_rekey,
    .revoke = fake_revoke,
    .close = fake_close,
};

/* Replaces the backend ctx selected by the fake (freed with ctx). */
static void use_fake(struct cli_ctx *ctx, struct fake *f)
{
	struct ca_backend *be = xcalloc(1, sizeof(*be));

	be->ops = &fake_ops;
	be->ctx = ctx;
	be->state = f;
	ca_backend_free(ctx->ca);
	ctx->ca = be;
}

static void fake_free(struct fake *f)
{
	free(f->connect_token);
	free(f->token);
	free(f->not_before);
	EVP_PKEY_free(f->ca_key);
}

/* --- the choice ------------------------------------------------------------------------------- */

static void test_selection(void **state)
{
	struct cli_ctx ctx;

	(void)state;
	ctx_for(&ctx, &offline_cmd, "--offline", NULL);
	assert_non_null(ctx.ca);
	assert_false(ca_backend_remote(ctx.ca));
	assert_null(ca_backend_url(ctx.ca)); /* nothing opened yet */
	cli_ctx_free(&ctx);

	ctx_for(&ctx, &offline_cmd, "--offline=false", NULL);
	assert_true(ca_backend_remote(ctx.ca));
	cli_ctx_free(&ctx);

	ctx_for(&ctx, &offline_cmd, NULL);
	assert_true(ca_backend_remote(ctx.ca));
	cli_ctx_free(&ctx);

	/* a command without --offline is always online */
	ctx_for(&ctx, &online_only_cmd, NULL);
	assert_true(ca_backend_remote(ctx.ca));
	cli_ctx_free(&ctx);
}

/* The online end says which flag is missing only when a call needs it. */
static void test_online_connect_needs_ca_url(void **state)
{
	struct cli_ctx ctx;
	struct error err = {0};

	(void)state;
	ctx_for(&ctx, &online_only_cmd, "--root", "/nonexistent/root.crt", NULL);
	assert_int_equal(ca_backend_connect(ctx.ca, NULL, &err), -1);
	assert_string_equal(err.msg, "'stride ca test' requires the '--ca-url' flag");
	/* an empty token (the mTLS flow of revoke) also needs the flags */
	assert_int_equal(ca_backend_connect(ctx.ca, "", &err), -1);
	assert_string_equal(err.msg, "'stride ca test' requires the '--ca-url' flag");
	assert_null(ca_backend_url(ctx.ca));
	cli_ctx_free(&ctx);
}

/* --- the commands go through the backend ------------------------------------------------------ */

static void test_issue(void **state)
{
	struct cli_ctx ctx;
	struct fake f = {.ca_key = new_key()};
	EVP_PKEY *key = new_key();
	X509_REQ *csr = NULL;
	STACK_OF(X509) *got = NULL;
	char *chain = NULL;

	(void)state;
	ctx_for(&ctx, &offline_cmd, NULL);
	use_fake(&ctx, &f);
	assert_int_equal(csr_create(key, "a.example", NULL, &csr, NULL), 0);
	assert_int_equal(cli_issue(&ctx, csr, "the-token", "5m", NULL, &chain, NULL), 0);
	assert_int_equal(f.connects, 1);
	assert_string_equal(f.connect_token, "the-token");
	assert_int_equal(f.signs, 1);
	assert_ptr_equal(f.csr, csr);
	assert_string_equal(f.token, "the-token");
	assert_string_equal(f.not_before, "5m");
	assert_int_equal(cert_parse_chain((const uint8_t *)chain, strlen(chain), &got, NULL), 0);
	assert_true(key_public_equal(key, X509_get0_pubkey(sk_X509_value(got, 0))));
	/* a second call does not connect again */
	free(chain);
	assert_int_equal(cli_issue(&ctx, csr, "t2", NULL, NULL, &chain, NULL), 0);
	assert_int_equal(f.connects, 1);
	assert_int_equal(f.signs, 2);
	sk_X509_pop_free(got, X509_free);
	free(chain);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	cli_ctx_free(&ctx);
	fake_free(&f);
}

struct renew_fixture {
	struct cli_ctx ctx;
	struct fake f;
	struct renew_opts o;
	struct renew_creds c;
};

static void renew_setup(struct renew_fixture *r, long from_s, long to_s)
{
	memset(r, 0, sizeof(*r));
	r->f.ca_key = new_key();
	ctx_for(&r->ctx, &offline_cmd, NULL);
	use_fake(&r->ctx, &r->f);
	r->o.mtls = true;
	r->c.key = new_key();
	r->c.chain = sk_X509_new_null();
	sk_X509_push(r->c.chain, new_cert(r->c.key, r->f.ca_key, from_s, to_s));
}

static void renew_teardown(struct renew_fixture *r)
{
	renew_creds_free(&r->c);
	cli_ctx_free(&r->ctx);
	fake_free(&r->f);
}

static void test_renew_mtls_and_token(void **state)
{
	struct renew_fixture r;
	struct token_info ti = {0};
	char *chain = NULL;
	X509 *leaf = NULL;

	(void)state;
	renew_setup(&r, -60, 3600);
	/* mTLS: the pair itself, no token */
	assert_int_equal(renew_ca_call(r.ctx.ca, &r.o, &r.c, NULL, &chain, &leaf, NULL), 0);
	assert_int_equal(r.f.renews, 1);
	assert_int_equal(r.f.rekeys, 0);
	assert_null(r.f.token);
	assert_ptr_equal(r.f.chain, r.c.chain);
	assert_true(key_public_equal(r.c.key, X509_get0_pubkey(leaf)));
	free(chain);
	X509_free(leaf);

	/* --mtls=false: an x5cInsecure renew token for <url>/renew */
	r.o.mtls = false;
	assert_int_equal(renew_ca_call(r.ctx.ca, &r.o, &r.c, NULL, &chain, &leaf, NULL), 0);
	assert_int_equal(r.f.renews, 2);
	assert_non_null(r.f.token);
	assert_int_equal(token_flow_inspect(r.f.token, &ti, NULL), 0);
	assert_string_equal(ti.audience, "https://fake.example:8443/renew");
	assert_string_equal(ti.subject, "leaf");
	assert_int_equal(r.f.connects, 1);
	token_info_free(&ti);
	free(chain);
	X509_free(leaf);
	renew_teardown(&r);
}

static void test_renew_expired_uses_token(void **state)
{
	struct renew_fixture r;
	char *chain = NULL;
	X509 *leaf = NULL;
	struct error err = {0};
	EVP_PKEY *k = new_key();

	(void)state;
	renew_setup(&r, -7200, -60);
	assert_int_equal(renew_ca_call(r.ctx.ca, &r.o, &r.c, NULL, &chain, &leaf, NULL), 0);
	assert_non_null(r.f.token); /* mTLS with an expired certificate is not possible */
	free(chain);
	X509_free(leaf);
	/* ... and it cannot be rekeyed: refused before the CA is asked */
	assert_int_equal(renew_ca_call(r.ctx.ca, &r.o, &r.c, k, &chain, &leaf, &err), -1);
	assert_string_equal(err.msg, "cannot rekey an expired certificate");
	assert_int_equal(r.f.rekeys, 0);
	assert_null(chain);
	assert_null(leaf);
	EVP_PKEY_free(k);
	renew_teardown(&r);
}

static void test_rekey_and_wrong_key(void **state)
{
	struct renew_fixture r;
	EVP_PKEY *k = new_key(), *other = new_key();
	struct error err = {0};
	char *chain = NULL;
	X509 *leaf = NULL;

	(void)state;
	renew_setup(&r, -60, 3600);
	assert_int_equal(renew_ca_call(r.ctx.ca, &r.o, &r.c, k, &chain, &leaf, NULL), 0);
	assert_int_equal(r.f.rekeys, 1);
	assert_int_equal(r.f.renews, 0);
	assert_ptr_equal(r.f.chain, r.c.chain);
	assert_true(key_public_equal(k, X509_get0_pubkey(leaf)));
	free(chain);
	X509_free(leaf);

	/* an answer for another key is never returned */
	r.f.answer_pub = other;
	assert_int_equal(renew_ca_call(r.ctx.ca, &r.o, &r.c, k, &chain, &leaf, &err), -1);
	assert_string_equal(err.msg, "the CA answered with a certificate for another key");
	assert_null(chain);
	assert_null(leaf);
	assert_int_equal(renew_ca_call(r.ctx.ca, &r.o, &r.c, NULL, &chain, &leaf, &err), -1);
	assert_string_equal(err.msg, "the CA answered with a certificate for another key");
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	renew_teardown(&r);
}

static void test_token_flow(void **state)
{
	struct cli_ctx ctx;
	struct fake f = {0};
	struct token_info ti = {0};
	struct error err = {0};
	char path[] = "/tmp/stride-backend-key.XXXXXX";
	EVP_PKEY *key = new_key();
	char *pem = NULL, *token = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(key_private_to_pem(key, NULL, &pem, NULL), 0);
	assert_int_equal(file_write_atomic(path, pem, strlen(pem), 0600, NULL), 0);

	/* with --key: the source's provisioner and audience, the key from the file */
	ctx_for(&ctx, &offline_cmd, "--key", path, NULL);
	use_fake(&ctx, &f);
	{
		struct token_request req = {.kind = TOKEN_KIND_SIGN, .subject = "a.example"};
		assert_int_equal(token_flow_create(&ctx, &req, &token, NULL), 0);
	}
	assert_int_equal(f.sources, 1);
	assert_int_equal(f.keys, 0);
	assert_int_equal(token_flow_inspect(token, &ti, NULL), 0);
	assert_string_equal(ti.audience, "https://fake.example:8443/fake/sign");
	assert_string_equal(ti.subject, "a.example");
	assert_string_equal(ti.sha,
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	token_info_free(&ti);
	free(token);
	{
		struct token_request req = {.kind = TOKEN_KIND_REVOKE, .subject = "123"};
		assert_int_equal(token_flow_create(&ctx, &req, &token, NULL), 0);
	}
	assert_int_equal(token_flow_inspect(token, &ti, NULL), 0);
	assert_string_equal(ti.audience, "https://fake.example:8443/fake/revoke");
	token_info_free(&ti);
	free(token);
	cli_ctx_free(&ctx);

	/* without --key the provisioner's encrypted key comes from the backend */
	ctx_for(&ctx, &offline_cmd, NULL);
	use_fake(&ctx, &f);
	{
		struct token_request req = {.kind = TOKEN_KIND_SIGN, .subject = "a.example"};
		assert_int_equal(token_flow_create(&ctx, &req, &token, &err), -1);
	}
	assert_string_equal(err.msg, "fake: no key for fakeprov");
	assert_int_equal(f.keys, 1);
	cli_ctx_free(&ctx);

	unlink(path);
	free(pem);
	EVP_PKEY_free(key);
	fake_free(&f);
}

/* A JWS's claims and header, parsed without verification. */
static void parse_token(const char *token, struct jws *out)
{
	assert_int_equal(jws_parse(token, strlen(token), out, NULL), 0);
}

/* Writes text to a new temporary file; path is the mkstemp template. */
static void write_tmp(char *path, const char *text)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600, NULL), 0);
}

/* A host certificate for key, serial 4242, signed by a new CA key; its -cert.pub line. */
static char *host_cert_line(EVP_PKEY *key, uint8_t **blob, size_t *blob_len)
{
	struct ssh_cert c = {0};
	EVP_PKEY *ca = new_key();
	char *line, *text;

	assert_int_equal(ssh_pubkey_from_evp(key, &c.key, NULL), 0);
	c.serial = 4242;
	c.type = SSH_CERT_HOST;
	c.key_id = xstrdup("h.test");
	strv_push(&c.principals, "h.test");
	c.valid_after = 1;
	c.valid_before = UINT64_MAX;
	assert_int_equal(ssh_cert_sign(&c, ca, NULL), 0);
	*blob = xmalloc(c.blob_len);
	memcpy(*blob, c.blob, c.blob_len);
	*blob_len = c.blob_len;
	line = ssh_cert_line(&c, "h.test");
	text = xasprintf("%s\n", line);
	free(line);
	ssh_cert_clear(&c);
	EVP_PKEY_free(ca);
	return text;
}

/* SSH kinds: the audiences next to the source's paths, the "step" claim without "sans", and
 * SSHPOP tokens signed with the certificate's key (only SSHPOP provisioners offered). */
static void test_token_flow_ssh(void **state)
{
	struct cli_ctx ctx;
	struct fake f = {0};
	struct jws jws = {0};
	struct error err = {0};
	char kpath[] = "/tmp/stride-backend-key.XXXXXX", cpath[] = "/tmp/stride-sshpop-crt.XXXXXX";
	char hpath[] = "/tmp/stride-sshpop-key.XXXXXX", opath[] = "/tmp/stride-sshpop-other.XXXXXX";
	EVP_PKEY *key = new_key(), *host = new_key(), *other = new_key();
	char *pem = NULL, *token = NULL, *crt, *b64;
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	json_t *step = ssh_step_claim(true, "h.test", NULL, "-5m", "1h");

	(void)state;
	assert_int_equal(key_private_to_pem(key, NULL, &pem, NULL), 0);
	write_tmp(kpath, pem);
	free(pem);
	ctx_for(&ctx, &offline_cmd, "--key", kpath, NULL);
	use_fake(&ctx, &f);
	{
		struct token_request req = {
		    .kind = TOKEN_KIND_SSH_SIGN, .subject = "h.test", .step = step};
		assert_int_equal(token_flow_create(&ctx, &req, &token, NULL), 0);
	}
	parse_token(token, &jws);
	assert_string_equal(jwt_claim_str(&jws, "aud"), "https://fake.example:8443/fake/ssh/sign");
	assert_string_equal(jwt_claim_str(&jws, "iss"), "fakeprov");
	assert_string_equal(jwt_claim_str(&jws, "sub"), "h.test");
	assert_null(json_object_get(jws.payload, "sans"));
	assert_true(json_equal(json_object_get(jws.payload, "step"), step));
	jws_free(&jws);
	free(token);
	{
		struct token_request req = {.kind = TOKEN_KIND_SSH_REVOKE, .subject = "4242"};
		assert_int_equal(token_flow_create(&ctx, &req, &token, NULL), 0);
	}
	parse_token(token, &jws);
	assert_string_equal(jwt_claim_str(&jws, "aud"),
			    "https://fake.example:8443/fake/ssh/revoke");
	assert_string_equal(jwt_claim_str(&jws, "sub"), "4242");
	assert_null(json_object_get(jws.payload, "sans"));
	assert_null(json_object_get(jws.payload, "step"));
	jws_free(&jws);
	free(token);

	/* SSHPOP: the certificate in the header, its key signs, the SSHPOP provisioner issues */
	crt = host_cert_line(host, &blob, &blob_len);
	write_tmp(cpath, crt);
	assert_int_equal(ssh_private_to_openssh(host, "h.test", &pem, NULL), 0);
	write_tmp(hpath, pem);
	free(pem);
	{
		struct token_request req = {.kind = TOKEN_KIND_SSH_RENEW,
					    .subject = "4242",
					    .sshpop_cert = cpath,
					    .sshpop_key = hpath};
		assert_int_equal(token_flow_create(&ctx, &req, &token, &err), 0);
	}
	parse_token(token, &jws);
	assert_int_equal(jws_verify(&jws, host, NULL), 0);
	b64 = b64_encode(blob, blob_len);
	assert_string_equal(json_string_value(json_object_get(jws.header, "sshpop")), b64);
	assert_string_equal(jwt_claim_str(&jws, "iss"), "sshpop");
	assert_string_equal(jwt_claim_str(&jws, "sub"), "4242");
	assert_string_equal(jwt_claim_str(&jws, "aud"),
			    "https://fake.example:8443/fake/ssh/renew#sshpop/sshpop");
	assert_string_equal(jwt_claim_str(&jws, "sha"),
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	jws_free(&jws);
	free(token);

	/* a key that is not the certificate's */
	assert_int_equal(key_private_to_pem(other, NULL, &pem, NULL), 0);
	write_tmp(opath, pem);
	free(pem);
	{
		struct token_request req = {.kind = TOKEN_KIND_SSH_REKEY,
					    .subject = "4242",
					    .sshpop_cert = cpath,
					    .sshpop_key = opath};
		assert_int_equal(token_flow_create(&ctx, &req, &token, &err), -1);
	}
	{
		char *want = xasprintf("the key %s does not match the certificate", opath);
		assert_string_equal(err.msg, want);
		free(want);
	}
	cli_ctx_free(&ctx);
	unlink(kpath);
	unlink(cpath);
	unlink(hpath);
	unlink(opath);
	free(crt);
	free(b64);
	free(blob);
	json_decref(step);
	EVP_PKEY_free(key);
	EVP_PKEY_free(host);
	EVP_PKEY_free(other);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selection),
	    cmocka_unit_test(test_online_connect_needs_ca_url),
	    cmocka_unit_test(test_issue),
	    cmocka_unit_test(test_renew_mtls_and_token),
	    cmocka_unit_test(test_renew_expired_uses_token),
	    cmocka_unit_test(test_rekey_and_wrong_key),
	    cmocka_unit_test(test_token_flow),
	    cmocka_unit_test(test_token_flow_ssh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
