/* test_ssh_formats.c - src/ssh on its own: the wire reader's bounds, malformed keys,
 * signatures, certificates, private key files and KRLs refused with the exact error kinds and
 * messages, step-ca's key policy and nonce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "crypto/key.h"
#include "ssh/internal.h"
#include "ssh/ssh.h"

static EVP_PKEY *gen(enum key_kty kty, int nid, int bits)
{
	struct key_spec spec = {kty, nid, bits};
	struct error err = {0};
	EVP_PKEY *k = NULL;

	if (key_generate(&spec, &k, &err) != 0)
		fail_msg("key_generate: %s", err.msg);
	return k;
}

/* A wire blob from a writer (malloc'd). */
static uint8_t *finish(struct wire_writer *w, size_t *n)
{
	uint8_t *out;

	if (wire_writer_finish(w, &out, n) != 0)
		fail_msg("writer failed");
	return out;
}

static void expect_blob_error(const uint8_t *b, size_t n, const char *msg)
{
	struct ssh_pubkey k;
	struct error err = {0};

	assert_int_equal(ssh_pubkey_from_blob(b, n, &k, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
	assert_null(k.blob);
	assert_null(k.pkey);
}

static void test_wire_bounds(void **state)
{
	static const uint8_t in[] = {0, 0, 0, 5, 'a', 'b', 'c', 0, 0, 0, 1, 0x80};
	struct wire_reader r;
	const uint8_t *p;
	size_t n;
	uint32_t v;

	(void)state;
	wire_reader_init(&r, in, sizeof(in));
	assert_int_equal(wire_get_string(&r, &p, &n), 0); /* "abc\0\0" */
	assert_int_equal(n, 5);
	assert_int_equal(wire_get_mpint(&r, &p, &n), -1); /* length 1 past... 0x80: negative */
	assert_true(r.bad);
	assert_int_equal(wire_get_u32(&r, &v), -1); /* sticky */
	assert_int_equal(wire_left(&r), 0);
	/* a length past the end */
	wire_reader_init(&r, in, 7);
	assert_int_equal(wire_get_string(&r, &p, &n), -1);
	assert_null(p);
	/* a length of 2^32-1 */
	wire_reader_init(&r, (const uint8_t *)"\xff\xff\xff\xff", 4);
	assert_int_equal(wire_get_string(&r, &p, &n), -1);
}

static void test_mpint_encoding(void **state)
{
	struct wire_writer w;
	struct error err = {0};
	uint8_t *out;
	size_t n;
	struct wire_reader r;
	const uint8_t *p;

	(void)state;
	/* RFC 4251 §5 examples: 0, 0x80 (needs a zero byte), leading zeros dropped */
	wire_writer_init(&w, 100, &err);
	wire_put_mpint(&w, (const uint8_t *)"", 0);
	wire_put_mpint(&w, (const uint8_t *)"\x80", 1);
	wire_put_mpint(&w, (const uint8_t *)"\x00\x00\x09\xa3\x78\xf9\xb2\xe3\x32\xa7", 10);
	out = finish(&w, &n);
	assert_int_equal(n, 4 + 6 + 12);
	assert_memory_equal(
	    out, "\0\0\0\0\0\0\0\x02\x00\x80\0\0\0\x08\x09\xa3\x78\xf9\xb2\xe3\x32\xa7", n);
	wire_reader_init(&r, out, n);
	assert_int_equal(wire_get_mpint(&r, &p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(wire_get_mpint(&r, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0], 0x80);
	free(out);
	/* the writer's maximum */
	wire_writer_init(&w, 6, &err);
	wire_put_cstring(&w, "abc");
	assert_int_equal(wire_writer_finish(&w, &out, &n), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	assert_null(out);
}

/* The blob of a key, for building malformed variants. */
static void blob_of(EVP_PKEY *k, struct ssh_pubkey *pub)
{
	struct error err = {0};

	if (ssh_pubkey_from_evp(k, pub, &err) != 0)
		fail_msg("%s", err.msg);
}

static void test_pubkey_malformed(void **state)
{
	EVP_PKEY *ed = gen(KEY_KTY_OKP, NID_ED25519, 0);
	EVP_PKEY *ec = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	struct ssh_pubkey pe, pc;
	uint8_t *b;

	(void)state;
	blob_of(ed, &pe);
	blob_of(ec, &pc);
	/* every truncation of a valid blob */
	for (size_t i = 0; i < pe.blob_len; i++)
		expect_blob_error(pe.blob, i, NULL);
	for (size_t i = 0; i < pc.blob_len; i++)
		expect_blob_error(pc.blob, i, NULL);
	/* a trailing byte */
	b = xmalloc(pe.blob_len + 1);
	memcpy(b, pe.blob, pe.blob_len);
	b[pe.blob_len] = 0;
	expect_blob_error(b, pe.blob_len + 1, "malformed ssh-ed25519 public key: trailing data");
	/* the key's length past the end */
	b[4 + 11 + 3] = 33;
	expect_blob_error(b, pe.blob_len, "malformed ssh-ed25519 public key");
	/* wrong type names */
	memcpy(b, pe.blob, pe.blob_len);
	b[4 + 10] = '8'; /* ssh-ed25518 */
	expect_blob_error(b, pe.blob_len, "unsupported ssh public key algorithm \"ssh-ed25518\"");
	free(b);
	/* an ECDSA point off the curve, and the wrong curve name */
	b = xmalloc(pc.blob_len);
	memcpy(b, pc.blob, pc.blob_len);
	b[pc.blob_len - 1] ^= 1;
	expect_blob_error(b, pc.blob_len,
			  "invalid ecdsa-sha2-nistp256 public key: not a point of nistp256");
	memcpy(b, pc.blob, pc.blob_len);
	b[4 + 19 + 4 + 7] = '4'; /* nistp254 */
	expect_blob_error(b, pc.blob_len, "malformed ecdsa-sha2-nistp256 public key");
	free(b);
	ssh_pubkey_clear(&pe);
	ssh_pubkey_clear(&pc);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(ec);
}

static uint8_t *rsa_blob(const uint8_t *e, size_t e_len, const uint8_t *n, size_t n_len,
			 size_t *len)
{
	struct wire_writer w;
	struct error err = {0};

	wire_writer_init(&w, SSH_MAX_BLOB, &err);
	wire_put_cstring(&w, "ssh-rsa");
	wire_put_mpint(&w, e, e_len);
	wire_put_mpint(&w, n, n_len);
	return finish(&w, len);
}

static void test_pubkey_rsa_limits(void **state)
{
	uint8_t big[2049], *b;
	size_t len;

	(void)state;
	memset(big, 0xff, sizeof(big));
	big[0] = 0x01; /* 16385 bits */
	b = rsa_blob((const uint8_t *)"\x01\x00\x01", 3, big, sizeof(big), &len);
	expect_blob_error(b, len, "ssh-rsa modulus of 16385 bits exceeds 16384 bits");
	free(b);
	b = rsa_blob((const uint8_t *)"\x01\x00\x02", 3, big + 1, 256, &len);
	expect_blob_error(b, len, "invalid ssh-rsa public key");
	free(b);
}

/* step-ca's key policy: DSA 400, RSA under 2048 bits 403, public messages. */
static void test_pubkey_check_allowed(void **state)
{
	struct wire_writer w;
	struct error err = {0};
	struct ssh_pubkey k;
	EVP_PKEY *rsa1024 = EVP_RSA_gen(1024), *ed = gen(KEY_KTY_OKP, NID_ED25519, 0);
	uint8_t *b;
	size_t n;

	(void)state;
	wire_writer_init(&w, SSH_MAX_BLOB, &err);
	wire_put_cstring(&w, "ssh-dss");
	for (int i = 0; i < 4; i++)
		wire_put_mpint(&w, (const uint8_t *)"\x05", 1);
	b = finish(&w, &n);
	assert_int_equal(ssh_pubkey_from_blob(b, n, &k, &err), 0);
	assert_int_equal(k.type, SSH_KEY_DSA);
	assert_null(k.pkey);
	assert_int_equal(ssh_pubkey_check_allowed(&k, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_true(err.expose);
	assert_string_equal(err.msg, "ssh certificate key algorithm (DSA) is not supported");
	ssh_pubkey_clear(&k);
	free(b);
	assert_int_equal(ssh_pubkey_from_evp(rsa1024, &k, &err), 0);
	assert_int_equal(ssh_pubkey_check_allowed(&k, &err), -1);
	assert_int_equal(err.kind, ERR_FORBIDDEN);
	assert_true(err.expose);
	assert_string_equal(err.msg, "ssh certificate key must be at least 2048 bits (256 bytes)");
	ssh_pubkey_clear(&k);
	assert_int_equal(ssh_pubkey_from_evp(ed, &k, &err), 0);
	assert_int_equal(ssh_pubkey_check_allowed(&k, &err), 0);
	ssh_pubkey_clear(&k);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(ed);
}

static void test_pubkey_lines(void **state)
{
	EVP_PKEY *ed = gen(KEY_KTY_OKP, NID_ED25519, 0);
	struct ssh_pubkey k, back;
	struct error err = {0};
	char *line, *bad;

	(void)state;
	blob_of(ed, &k);
	line = ssh_pubkey_line(&k, "a comment");
	assert_int_equal(ssh_pubkey_from_line(line, &back, &err), 0);
	assert_true(ssh_pubkey_equal(&k, &back));
	ssh_pubkey_clear(&back);
	bad = xasprintf("ssh-rsa%s", strchr(line, ' '));
	assert_int_equal(ssh_pubkey_from_line(bad, &back, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg,
			    "ssh key line type ssh-rsa does not match its key ssh-ed25519");
	free(bad);
	assert_int_equal(ssh_pubkey_from_line("ssh-ed25519", &back, &err), -1);
	assert_string_equal(err.msg, "malformed ssh key line: want \"<type> <base64>\"");
	assert_int_equal(ssh_pubkey_from_line("ssh-ed25519 AAAA*AAA", &back, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	free(line);
	ssh_pubkey_clear(&k);
	EVP_PKEY_free(ed);
}

static void test_sign_verify(void **state)
{
	EVP_PKEY *ks[] = {gen(KEY_KTY_OKP, NID_ED25519, 0),
			  gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0),
			  gen(KEY_KTY_EC, NID_secp384r1, 0), gen(KEY_KTY_EC, NID_secp521r1, 0),
			  gen(KEY_KTY_RSA, 0, 2048)};
	const uint8_t data[] = "to be signed";
	struct error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		struct ssh_pubkey k;
		uint8_t *sig;
		size_t n;

		blob_of(ks[i], &k);
		for (int sha512 = 0; sha512 < 2; sha512++) {
			assert_int_equal(
			    ssh_sign(ks[i], sha512, data, sizeof(data), &sig, &n, &err), 0);
			assert_int_equal(ssh_verify(&k, data, sizeof(data), sig, n, &err), 0);
			assert_int_equal(ssh_verify(&k, data, sizeof(data) - 1, sig, n, &err), -1);
			assert_int_equal(err.kind, ERR_UNAUTHORIZED);
			assert_string_equal(err.msg, "ssh signature verification failed");
			sig[n - 1] ^= 0x40;
			assert_int_equal(ssh_verify(&k, data, sizeof(data), sig, n, &err), -1);
			free(sig);
		}
		ssh_pubkey_clear(&k);
		EVP_PKEY_free(ks[i]);
	}
}

/* The SHA-1 ssh-rsa signature is refused; algorithms must suit the key; no trailing bytes. */
static void test_verify_refusals(void **state)
{
	EVP_PKEY *rsa = gen(KEY_KTY_RSA, 0, 2048), *ec = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	const uint8_t data[] = "x";
	struct ssh_pubkey kr, ke;
	struct wire_writer w;
	struct error err = {0};
	uint8_t raw[256], *sig;
	size_t raw_len = sizeof(raw), n;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	(void)state;
	blob_of(rsa, &kr);
	blob_of(ec, &ke);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha1(), NULL, rsa), 1);
	assert_int_equal(EVP_DigestSign(ctx, raw, &raw_len, data, sizeof(data)), 1);
	wire_writer_init(&w, 1024, &err);
	wire_put_cstring(&w, "ssh-rsa");
	wire_put_string(&w, raw, raw_len);
	sig = finish(&w, &n);
	assert_int_equal(ssh_verify(&kr, data, sizeof(data), sig, n, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_string_equal(err.msg, "ssh signature algorithm ssh-rsa (SHA-1) is not accepted");
	free(sig);
	assert_int_equal(ssh_sign(rsa, false, data, sizeof(data), &sig, &n, &err), 0);
	assert_int_equal(ssh_verify(&ke, data, sizeof(data), sig, n, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(
	    err.msg, "ssh signature algorithm rsa-sha2-256 does not suit ecdsa-sha2-nistp256");
	sig = xrealloc(sig, n + 1);
	sig[n] = 0;
	assert_int_equal(ssh_verify(&kr, data, sizeof(data), sig, n + 1, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "malformed ssh signature");
	free(sig);
	EVP_MD_CTX_free(ctx);
	ssh_pubkey_clear(&kr);
	ssh_pubkey_clear(&ke);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

/* A signed certificate with two extensions "ab" and "aa" and one critical option. */
static void signed_cert(struct ssh_cert *c, EVP_PKEY *subject, EVP_PKEY *ca)
{
	struct error err = {0};

	memset(c, 0, sizeof(*c));
	blob_of(subject, &c->key);
	c->serial = 77;
	c->type = SSH_CERT_HOST;
	c->key_id = xstrdup("id");
	strv_push(&c->principals, "h.example.com");
	c->valid_after = 1;
	c->valid_before = 2;
	ssh_option_add(&c->extensions, &c->n_extensions, "ab", NULL);
	ssh_option_add(&c->extensions, &c->n_extensions, "aa", NULL);
	ssh_option_add(&c->critical, &c->n_critical, "force-command", "true");
	if (ssh_cert_sign(c, ca, &err) != 0)
		fail_msg("%s", err.msg);
}

static void expect_cert_error(const uint8_t *b, size_t n, const char *msg)
{
	struct ssh_cert c;
	struct error err = {0};

	assert_int_equal(ssh_cert_parse(b, n, &c, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	if (msg != NULL)
		assert_string_equal(err.msg, msg);
	assert_null(c.blob);
}

static void test_cert_sign_parse(void **state)
{
	EVP_PKEY *sub = gen(KEY_KTY_OKP, NID_ED25519, 0);
	EVP_PKEY *ca = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	struct ssh_cert c, back;
	struct error err = {0};
	char *fc;

	(void)state;
	signed_cert(&c, sub, ca);
	/* step-ca's nonce; options sorted by name */
	assert_int_equal(c.nonce_len, 32);
	for (size_t i = 0; i < c.nonce_len; i++)
		assert_true(c.nonce[i] >= 33 && c.nonce[i] <= 126);
	assert_string_equal(c.extensions[0].name, "aa");
	assert_string_equal(c.extensions[1].name, "ab");
	assert_int_equal(ssh_cert_parse(c.blob, c.blob_len, &back, &err), 0);
	assert_int_equal(ssh_cert_verify(&back, &err), 0);
	assert_int_equal(back.serial, 77);
	assert_int_equal(back.type, SSH_CERT_HOST);
	assert_string_equal(back.key_id, "id");
	assert_string_equal(back.principals.v[0], "h.example.com");
	assert_int_equal(back.valid_after, 1);
	assert_int_equal(back.valid_before, 2);
	assert_memory_equal(back.nonce, c.nonce, 32);
	assert_int_equal(back.signed_len, c.signed_len);
	fc = ssh_option_string(back.critical, back.n_critical, "force-command");
	assert_string_equal(fc, "true");
	free(fc);
	assert_null(ssh_option_string(back.extensions, back.n_extensions, "aa"));
	assert_null(ssh_option_string(back.extensions, back.n_extensions, "zz"));
	ssh_cert_clear(&back);
	/* duplicates and bad types are refused when signing */
	ssh_option_add(&c.extensions, &c.n_extensions, "aa", NULL);
	assert_int_equal(ssh_cert_sign(&c, ca, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "duplicate ssh certificate extension aa");
	c.n_extensions--;
	free(c.extensions[c.n_extensions].name);
	c.type = 3;
	assert_int_equal(ssh_cert_sign(&c, ca, &err), -1);
	assert_string_equal(err.msg, "ssh certificate type 3 is not user or host");
	ssh_cert_clear(&c);
	EVP_PKEY_free(sub);
	EVP_PKEY_free(ca);
}

static void test_cert_malformed(void **state)
{
	EVP_PKEY *sub = gen(KEY_KTY_OKP, NID_ED25519, 0);
	EVP_PKEY *ca = gen(KEY_KTY_OKP, NID_ED25519, 0);
	struct ssh_cert c, back;
	struct error err = {0};
	uint8_t *b, *p;
	char *line, *bad;

	(void)state;
	signed_cert(&c, sub, ca);
	for (size_t i = 0; i < c.blob_len; i++)
		expect_cert_error(c.blob, i, NULL);
	b = xmalloc(c.blob_len + 1);
	memcpy(b, c.blob, c.blob_len);
	b[c.blob_len] = 0;
	expect_cert_error(b, c.blob_len + 1, "malformed ssh certificate signature");
	/* unsorted extensions: "aa" renamed "ac" comes before "ab" */
	p = memmem(b, c.blob_len,
		   "\0\0\0\x02"
		   "aa",
		   6);
	assert_non_null(p);
	p[5] = 'c';
	expect_cert_error(b, c.blob_len,
			  "malformed ssh certificate extensions (or not sorted, or over 64)");
	/* a wrong certificate type name, and certificate type 3 */
	memcpy(b, c.blob, c.blob_len);
	b[4 + 19] = '2'; /* ssh-ed25519-cert-v02@openssh.com */
	expect_cert_error(b, c.blob_len,
			  "unsupported ssh certificate type \"ssh-ed25519-cert-v02@openssh.com\"");
	memcpy(b, c.blob, c.blob_len);
	p = b + 4 + 32 + 4 + 32 + 4 + 32 + 8; /* name, nonce, key, serial */
	assert_int_equal(p[3], 2);
	p[3] = 3;
	expect_cert_error(b, c.blob_len, "unknown ssh certificate type 3");
	free(b);
	/* a line whose type is not the certificate's */
	line = ssh_cert_line(&c, NULL);
	bad = xasprintf("ssh-rsa-cert-v01@openssh.com%s", strchr(line, ' '));
	assert_int_equal(ssh_cert_from_line(bad, &back, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "ssh certificate line type ssh-rsa-cert-v01@openssh.com does "
				     "not match ssh-ed25519-cert-v01@openssh.com");
	free(bad);
	free(line);
	/* an unsigned certificate does not verify */
	memset(&back, 0, sizeof(back));
	assert_int_equal(ssh_cert_verify(&back, &err), -1);
	assert_string_equal(err.msg, "ssh certificate is not signed");
	ssh_cert_clear(&c);
	EVP_PKEY_free(sub);
	EVP_PKEY_free(ca);
}

/* Decodes an OpenSSH PEM, lets edit change the binary, encodes it again. */
static char *pem_edit(const char *pem, void (*edit)(uint8_t *, size_t))
{
	const char *b = strchr(pem, '\n') + 1, *e = strstr(pem, "-----END");
	struct error err = {0};
	uint8_t *der;
	size_t n;
	char *b64, *out;

	if (b64_decode(b, (size_t)(e - b), true, &der, &n, &err) != 0)
		fail_msg("%s", err.msg);
	edit(der, n);
	b64 = b64_encode(der, n);
	out = xasprintf("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n"
			"-----END OPENSSH PRIVATE KEY-----\n",
			b64);
	free(b64);
	free(der);
	return out;
}

/* Edits of an Ed25519 key file without comment: the public key is bytes 43..93 (magic 15,
 * "none" 8, "none" 8, kdf options 4, count 4, length 4), the private section starts at byte 98
 * (after its length) and is 136 bytes: check integers, key (15 + 36 + 68), comment 4, padding
 * 1..5. */
static void edit_magic(uint8_t *d, size_t n)
{
	(void)n;
	d[0] = 'O';
}

static void edit_cipher(uint8_t *d, size_t n)
{
	(void)n;
	d[15 + 4 + 3] = 'f';
}

static void edit_kdf(uint8_t *d, size_t n)
{
	(void)n;
	d[15 + 8 + 4 + 3] = 'f';
}

static void edit_check(uint8_t *d, size_t n)
{
	(void)n;
	d[102] ^= 1;
}

static void edit_padding(uint8_t *d, size_t n)
{
	d[n - 1] = 9;
}

static void edit_public(uint8_t *d, size_t n)
{
	(void)n;
	d[93] ^= 1;
}

static void edit_none(uint8_t *d, size_t n)
{
	(void)d;
	(void)n;
}

static void test_private_malformed(void **state)
{
	static const struct {
		void (*edit)(uint8_t *, size_t);
		enum err_kind kind;
		const char *msg;
	} cases[] = {
	    {edit_magic, ERR_INVALID, "not an OpenSSH private key: bad magic"},
	    {edit_cipher, ERR_NOT_IMPLEMENTED,
	     "encrypted OpenSSH private keys are not supported: decrypt it with ssh-keygen -p -N "
	     "''"},
	    {edit_kdf, ERR_INVALID, "malformed OpenSSH private key: kdf without a cipher"},
	    {edit_check, ERR_INVALID, "malformed OpenSSH private key: check integers differ"},
	    {edit_padding, ERR_INVALID, "malformed OpenSSH private key: bad padding"},
	    {edit_public, ERR_INVALID, "OpenSSH private key does not match its public key"},
	};
	EVP_PKEY *ed = gen(KEY_KTY_OKP, NID_ED25519, 0), *k = NULL;
	struct error err = {0};
	char *pem, *edited;
	uint8_t *p;

	(void)state;
	assert_int_equal(ssh_private_to_openssh(ed, NULL, &pem, &err), 0);
	edited = pem_edit(pem, edit_none);
	assert_int_equal(ssh_private_parse((uint8_t *)edited, strlen(edited), NULL, &k, &err), 0);
	assert_true(key_public_equal(k, ed));
	EVP_PKEY_free(k);
	k = NULL;
	free(edited);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		edited = pem_edit(pem, cases[i].edit);
		assert_int_equal(
		    ssh_private_parse((uint8_t *)edited, strlen(edited), NULL, &k, &err), -1);
		assert_int_equal(err.kind, cases[i].kind);
		assert_string_equal(err.msg, cases[i].msg);
		assert_null(k);
		free(edited);
	}
	p = (uint8_t *)strstr(pem, "-----END");
	assert_non_null(p);
	assert_int_equal(
	    ssh_private_parse((uint8_t *)pem, (size_t)(p - (uint8_t *)pem), NULL, &k, &err), -1);
	assert_string_equal(err.msg,
			    "OpenSSH private key: no -----END OPENSSH PRIVATE KEY----- line");
	assert_null(k);
	free(pem);
	EVP_PKEY_free(ed);
}

/* Builds a KRL with one certificate section of ca (subsections as given). */
static uint8_t *krl_with(const uint8_t *ca, size_t ca_len, const uint8_t *subs, size_t subs_len,
			 size_t *n)
{
	struct wire_writer w, sec;
	struct error err = {0};
	uint8_t *s;
	size_t s_len;

	wire_writer_init(&sec, 1 << 20, &err);
	wire_put_string(&sec, ca, ca_len);
	wire_put_string(&sec, NULL, 0);
	wire_put_raw(&sec, subs, subs_len);
	s = finish(&sec, &s_len);
	wire_writer_init(&w, 1 << 20, &err);
	wire_put_u64(&w, 0x5353484b524c0a00ULL);
	wire_put_u32(&w, 1);
	wire_put_u64(&w, 1);
	wire_put_u64(&w, 2);
	wire_put_u64(&w, 0);
	wire_put_string(&w, NULL, 0);
	wire_put_string(&w, NULL, 0);
	wire_put_u8(&w, 1);
	wire_put_string(&w, s, s_len);
	free(s);
	return finish(&w, n);
}

static void test_krl_read(void **state)
{
	EVP_PKEY *ca = gen(KEY_KTY_OKP, NID_ED25519, 0), *other = gen(KEY_KTY_OKP, NID_ED25519, 0);
	/* bitmap at offset 100: bits 0 and 9 -> 100, 109; key id "x"; a non-critical extension */
	static const uint8_t subs[] = {0x22, 0,	  0, 0, 14, 0,	 0,    0,    0,	   0, 0,
				       0,    100, 0, 0, 0,  2,	 0x02, 0x01, 0x23, 0, 0,
				       0,    5,	  0, 0, 0,  1,	 'x',  0x39, 0,	   0, 0,
				       10,   0,	  0, 0, 1,  'e', 0,    0,    0,	   0, 0};
	struct ssh_pubkey kc, ko;
	struct error err = {0};
	uint8_t *krl;
	size_t n;
	bool r;

	(void)state;
	blob_of(ca, &kc);
	blob_of(other, &ko);
	krl = krl_with(kc.blob, kc.blob_len, subs, sizeof(subs), &n);
	for (uint64_t s = 95; s < 120; s++) {
		assert_int_equal(ssh_krl_revokes_serial(krl, n, &kc, s, &r, &err), 0);
		assert_int_equal(r, s == 100 || s == 109);
		assert_int_equal(ssh_krl_revokes_serial(krl, n, &ko, s, &r, &err), 0);
		assert_false(r);
	}
	/* cut inside the section, or past it */
	assert_int_equal(ssh_krl_revokes_serial(krl, n - 1, &kc, 100, &r, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "malformed KRL section 1");
	assert_false(r);
	krl[0] ^= 1;
	assert_int_equal(ssh_krl_revokes_serial(krl, n, &kc, 100, &r, &err), -1);
	assert_string_equal(err.msg, "malformed KRL header");
	free(krl);
	/* a critical certificate extension is refused; an empty CA key applies to every CA */
	{
		uint8_t crit[sizeof(subs)];

		memcpy(crit, subs, sizeof(subs));
		crit[sizeof(subs) - 5] = 1;
		krl = krl_with(kc.blob, kc.blob_len, crit, sizeof(crit), &n);
		assert_int_equal(ssh_krl_revokes_serial(krl, n, &kc, 100, &r, &err), -1);
		free(krl);
		krl = krl_with(NULL, 0, subs, sizeof(subs), &n);
		assert_int_equal(ssh_krl_revokes_serial(krl, n, &ko, 109, &r, &err), 0);
		assert_true(r);
		free(krl);
	}
	ssh_pubkey_clear(&kc);
	ssh_pubkey_clear(&ko);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(other);
}

/* ssh_krl_build: sorted, deduplicated, ranges for runs of three or more. */
static void test_krl_build_layout(void **state)
{
	EVP_PKEY *ca = gen(KEY_KTY_OKP, NID_ED25519, 0);
	static const uint64_t serials[] = {9, 1, 2, 3, 3, 7, 4, 20, 21};
	struct ssh_pubkey k;
	struct ssh_krl_ca kca;
	struct error err = {0};
	uint8_t *krl, *want;
	size_t n, want_len;
	static const uint8_t subs[] = {
	    0x21, 0, 0, 0, 16, 0, 0, 0,	 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, /* 1-4 */
	    0x20, 0, 0, 0, 32, 0, 0, 0,	 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9, /* 7 9 20 21 */
	    0,	  0, 0, 0, 0,  0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 21};

	(void)state;
	blob_of(ca, &k);
	kca.ca = &k;
	kca.serials = serials;
	kca.n = sizeof(serials) / sizeof(serials[0]);
	assert_int_equal(ssh_krl_build(&kca, 1, 1, 2, NULL, &krl, &n, &err), 0);
	want = krl_with(k.blob, k.blob_len, subs, sizeof(subs), &want_len);
	assert_int_equal(n, want_len);
	for (size_t i = 0; i < n; i++)
		if (krl[i] != want[i])
			fail_msg("byte %zu of %zu: %02x != %02x", i, n, krl[i], want[i]);
	free(want);
	free(krl);
	ssh_pubkey_clear(&k);
	EVP_PKEY_free(ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_bounds),		 cmocka_unit_test(test_mpint_encoding),
	    cmocka_unit_test(test_pubkey_malformed),	 cmocka_unit_test(test_pubkey_rsa_limits),
	    cmocka_unit_test(test_pubkey_check_allowed), cmocka_unit_test(test_pubkey_lines),
	    cmocka_unit_test(test_sign_verify),		 cmocka_unit_test(test_verify_refusals),
	    cmocka_unit_test(test_cert_sign_parse),	 cmocka_unit_test(test_cert_malformed),
	    cmocka_unit_test(test_private_malformed),	 cmocka_unit_test(test_krl_read),
	    cmocka_unit_test(test_krl_build_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
