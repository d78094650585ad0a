/* test_ssh.c - src/ssh against OpenSSH's own ssh-keygen: its keys, lines, fingerprints,
 * private key files, certificates and KRLs are read by stride, and stride's are read by it with
 * exactly the fields ssh-keygen -L prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "crypto/key.h"
#include "ssh/ssh.h"
#include "ssh_tool.h"

#define VALID_AFTER  1700000000ULL /* 2023-11-14T22:13:20 UTC */
#define VALID_BEFORE 1800000000ULL /* 2027-01-15T08:00:00 UTC */

/* The keys ssh-keygen made: subjects and CAs, with what ssh-keygen calls them. */
struct tkey {
	const char *file, *type;
	int bits;
	const char *label; /* ssh-keygen -l's "(ED25519)" */
	EVP_PKEY *pkey;
	struct ssh_pubkey pub;
};

static struct tkey keys[] = {
    {"ed", "ed25519", 0, "ED25519", NULL, {0}},	 {"ec", "ecdsa", 256, "ECDSA", NULL, {0}},
    {"rsa", "rsa", 2048, "RSA", NULL, {0}},	 {"ca_ed", "ed25519", 0, "ED25519", NULL, {0}},
    {"ca_ec", "ecdsa", 384, "ECDSA", NULL, {0}}, {"ca_rsa", "rsa", 2048, "RSA", NULL, {0}},
    {"ec521", "ecdsa", 521, "ECDSA", NULL, {0}},
};
#define N_KEYS	   (sizeof(keys) / sizeof(keys[0]))
#define SUBJECT(i) (&keys[i])	    /* 0..2 */
#define CA(i)	   (&keys[3 + (i)]) /* 0..2 */

static EVP_PKEY *load_private(const char *file)
{
	size_t n;
	char *data = sshtool_read(file, &n);
	EVP_PKEY *k = NULL;
	struct error err = {0};

	if (ssh_private_parse((const uint8_t *)data, n, NULL, &k, &err) != 0)
		fail_msg("%s: %s", file, err.msg);
	free(data);
	return k;
}

static int setup(void **state)
{
	struct error err = {0};

	(void)state;
	for (size_t i = 0; i < N_KEYS; i++) {
		sshtool_keygen(keys[i].file, keys[i].type, keys[i].bits);
		keys[i].pkey = load_private(keys[i].file);
		if (ssh_pubkey_from_evp(keys[i].pkey, &keys[i].pub, &err) != 0)
			fail_msg("%s: %s", keys[i].file, err.msg);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_KEYS; i++) {
		EVP_PKEY_free(keys[i].pkey);
		ssh_pubkey_clear(&keys[i].pub);
	}
	sshtool_cleanup();
	return 0;
}

/* The .pub line of a key file without its comment (malloc'd). */
static char *pub_line_no_comment(const char *file)
{
	char *name = xasprintf("%s.pub", file);
	char *line = sshtool_line(name);
	char *sp = strchr(line, ' ');

	if (sp != NULL && (sp = strchr(sp + 1, ' ')) != NULL)
		*sp = '\0';
	free(name);
	return line;
}

/* .pub lines parse, print back the same, and fingerprints are ssh-keygen -l's. */
static void test_pub_lines_and_fingerprints(void **state)
{
	struct error err = {0};
	char fp[SSH_FINGERPRINT_MAX];

	(void)state;
	for (size_t i = 0; i < N_KEYS; i++) {
		char *name = xasprintf("%s.pub", keys[i].file);
		char *line = sshtool_line(name), *mine, *want, *out;
		struct ssh_pubkey k;
		int st;

		assert_int_equal(ssh_pubkey_from_line(line, &k, &err), 0);
		assert_true(ssh_pubkey_equal(&k, &keys[i].pub));
		mine = ssh_pubkey_line(&k, "test@stride");
		assert_string_equal(mine, line);
		ssh_pubkey_fingerprint(&k, fp);
		out = sshtool_run(&st, "ssh-keygen -l -E sha256 -f %s", name);
		assert_int_equal(st, 0);
		want = xasprintf("%d %s test@stride (%s)\n", EVP_PKEY_get_bits(keys[i].pkey), fp,
				 keys[i].label);
		assert_string_equal(out, want);
		free(want);
		free(out);
		free(mine);
		ssh_pubkey_clear(&k);
		free(line);
		free(name);
	}
}

/* ssh-keygen's unencrypted private key files are read (setup did) and give the .pub key. */
static void test_private_from_keygen(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_KEYS; i++) {
		char *want = pub_line_no_comment(keys[i].file);
		char *mine = ssh_pubkey_line(&keys[i].pub, NULL);

		assert_string_equal(mine, want);
		free(mine);
		free(want);
	}
}

/* An encrypted OpenSSH private key is refused with how to decrypt it. */
static void test_private_encrypted_refused(void **state)
{
	struct error err = {0};
	EVP_PKEY *k = NULL;
	char *out, *data;
	size_t n;
	int st;

	(void)state;
	out = sshtool_run(&st, "ssh-keygen -q -t ed25519 -N secret -f enc");
	assert_int_equal(st, 0);
	data = sshtool_read("enc", &n);
	assert_true(ssh_private_is_openssh((const uint8_t *)data, n));
	assert_int_equal(ssh_private_parse((const uint8_t *)data, n, "secret", &k, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_IMPLEMENTED);
	assert_string_equal(err.msg, "encrypted OpenSSH private keys are not supported: decrypt "
				     "it with ssh-keygen -p -N ''");
	assert_null(k);
	free(data);
	free(out);
}

/* Our private key files are read by ssh-keygen -y (same public line) and by us. */
static void test_private_written_read_by_keygen(void **state)
{
	static const struct key_spec specs[] = {
	    {KEY_KTY_EC, NID_X9_62_prime256v1, 0},
	    {KEY_KTY_EC, NID_secp384r1, 0},
	    {KEY_KTY_EC, NID_secp521r1, 0},
	    {KEY_KTY_OKP, NID_ED25519, 0},
	    {KEY_KTY_RSA, 0, 2048},
	};
	struct error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		EVP_PKEY *key = NULL, *back = NULL;
		struct ssh_pubkey pub;
		char *pem = NULL, *out, *want;
		int st;

		assert_int_equal(key_generate(&specs[i], &key, &err), 0);
		assert_int_equal(ssh_private_to_openssh(key, "written@stride", &pem, &err), 0);
		assert_true(str_has_prefix(pem, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
		sshtool_write("written", pem, strlen(pem));
		out = sshtool_run(&st, "ssh-keygen -y -f written");
		assert_int_equal(st, 0);
		assert_int_equal(ssh_pubkey_from_evp(key, &pub, &err), 0);
		want = ssh_pubkey_line(&pub, "written@stride");
		assert_true(strncmp(out, want, strlen(want)) == 0);
		assert_string_equal(out + strlen(want), "\n");
		assert_int_equal(
		    ssh_private_parse((const uint8_t *)pem, strlen(pem), NULL, &back, &err), 0);
		assert_true(key_public_equal(key, back));
		free(want);
		free(out);
		free(pem);
		ssh_pubkey_clear(&pub);
		EVP_PKEY_free(back);
		EVP_PKEY_free(key);
	}
}

/* A user certificate with every field set, signed by ca. */
static void make_cert(struct ssh_cert *c, const struct tkey *subject, const struct tkey *ca,
		      uint64_t serial)
{
	struct error err = {0};

	memset(c, 0, sizeof(*c));
	ssh_pubkey_copy(&c->key, &subject->pub);
	c->serial = serial;
	c->type = SSH_CERT_USER;
	c->key_id = xstrdup("alice@example.com");
	strv_push(&c->principals, "alice");
	strv_push(&c->principals, "root");
	c->valid_after = VALID_AFTER;
	c->valid_before = VALID_BEFORE;
	ssh_option_add(&c->critical, &c->n_critical, "source-address", "127.0.0.1/32");
	ssh_option_add(&c->critical, &c->n_critical, "force-command", "sudo useradd -m alice");
	ssh_cert_default_user_extensions(c);
	if (ssh_cert_sign(c, ca->pkey, &err) != 0)
		fail_msg("ssh_cert_sign: %s", err.msg);
}

static const char *cert_label(const struct tkey *k)
{
	return k->label;
}

static const char *sig_alg(const struct tkey *ca)
{
	return strcmp(ca->type, "rsa") == 0 ? "rsa-sha2-512" : ssh_key_type_name(ca->pub.type);
}

/* What ssh-keygen -L prints about make_cert's certificate in file. */
static char *expected_listing(const char *file, const struct ssh_cert *c, const struct tkey *ca)
{
	char kfp[SSH_FINGERPRINT_MAX], cafp[SSH_FINGERPRINT_MAX];

	ssh_pubkey_fingerprint(&c->key, kfp);
	ssh_pubkey_fingerprint(&ca->pub, cafp);
	return xasprintf("%s:\n"
			 "        Type: %s user certificate\n"
			 "        Public key: %s-CERT %s\n"
			 "        Signing CA: %s %s (using %s)\n"
			 "        Key ID: \"alice@example.com\"\n"
			 "        Serial: %llu\n"
			 "        Valid: from 2023-11-14T22:13:20 to 2027-01-15T08:00:00\n"
			 "        Principals: \n"
			 "                alice\n"
			 "                root\n"
			 "        Critical Options: \n"
			 "                force-command sudo useradd -m alice\n"
			 "                source-address 127.0.0.1/32\n"
			 "        Extensions: \n"
			 "                permit-X11-forwarding\n"
			 "                permit-agent-forwarding\n"
			 "                permit-port-forwarding\n"
			 "                permit-pty\n"
			 "                permit-user-rc\n",
			 file, ssh_cert_type_name(c->key.type),
			 cert_label(&keys[c->key.type == SSH_KEY_ED25519      ? 0
					  : c->key.type == SSH_KEY_ECDSA_P256 ? 1
									      : 2]),
			 kfp, ca->label, cafp, sig_alg(ca), (unsigned long long)c->serial);
}

/* Certificates we sign are accepted by ssh-keygen -L with exactly our fields, for ed25519,
 * ecdsa and rsa subjects and CAs. */
static void test_cert_sign_listed_by_keygen(void **state)
{
	struct error err = {0};

	(void)state;
	for (int s = 0; s < 3; s++) {
		for (int a = 0; a < 3; a++) {
			struct ssh_cert c, back;
			char *line, *out, *want;
			int st;

			make_cert(&c, SUBJECT(s), CA(a), 1000u * (unsigned)s + (unsigned)a + 1);
			line = ssh_cert_line(&c, "alice");
			sshtool_write("c-cert.pub", line, strlen(line));
			out = sshtool_run(&st, "ssh-keygen -L -f c-cert.pub");
			assert_int_equal(st, 0);
			want = expected_listing("c-cert.pub", &c, CA(a));
			assert_string_equal(out, want);
			/* and it reads back, verified, as the same blob */
			assert_int_equal(ssh_cert_from_line(line, &back, &err), 0);
			assert_int_equal(ssh_cert_verify(&back, &err), 0);
			assert_int_equal(back.blob_len, c.blob_len);
			assert_memory_equal(back.blob, c.blob, c.blob_len);
			ssh_cert_clear(&back);
			free(want);
			free(out);
			free(line);
			ssh_cert_clear(&c);
		}
	}
}

/* A host certificate without options, valid forever. */
static void test_cert_host_forever(void **state)
{
	struct error err = {0};
	struct ssh_cert c = {0};
	char fp[SSH_FINGERPRINT_MAX], cafp[SSH_FINGERPRINT_MAX];
	char *line, *out, *want;
	int st;

	(void)state;
	ssh_pubkey_copy(&c.key, &keys[1].pub);
	c.serial = 18446744073709551615ULL;
	c.type = SSH_CERT_HOST;
	c.key_id = xstrdup("web1");
	strv_push(&c.principals, "web1.example.com");
	c.valid_after = 0;
	c.valid_before = UINT64_MAX;
	assert_int_equal(ssh_cert_sign(&c, CA(0)->pkey, &err), 0);
	line = ssh_cert_line(&c, NULL);
	sshtool_write("h-cert.pub", line, strlen(line));
	out = sshtool_run(&st, "ssh-keygen -L -f h-cert.pub");
	assert_int_equal(st, 0);
	ssh_pubkey_fingerprint(&c.key, fp);
	ssh_pubkey_fingerprint(&CA(0)->pub, cafp);
	want = xasprintf("h-cert.pub:\n"
			 "        Type: ecdsa-sha2-nistp256-cert-v01@openssh.com host certificate\n"
			 "        Public key: ECDSA-CERT %s\n"
			 "        Signing CA: ED25519 %s (using ssh-ed25519)\n"
			 "        Key ID: \"web1\"\n"
			 "        Serial: 18446744073709551615\n"
			 "        Valid: forever\n"
			 "        Principals: \n"
			 "                web1.example.com\n"
			 "        Critical Options: (none)\n"
			 "        Extensions: (none)\n",
			 fp, cafp);
	assert_string_equal(out, want);
	free(want);
	free(out);
	free(line);
	ssh_cert_clear(&c);
}

/* Certificates made by ssh-keygen -s parse with their fields and verify; tampered ones don't. */
static void test_keygen_cert_parses(void **state)
{
	struct error err = {0};

	(void)state;
	for (int a = 0; a < 3; a++) {
		struct ssh_cert c;
		char *out, *line, *mine, *fc;
		int st;

		out = sshtool_run(&st,
				  "ssh-keygen -q -s %s -I bob@example.com -n bob,admin -z 42 "
				  "-V 20231114221320:20270115080000 -O force-command=ls -O no-pty "
				  "ed.pub",
				  CA(a)->file);
		assert_int_equal(st, 0);
		free(out);
		line = sshtool_line("ed-cert.pub");
		assert_int_equal(ssh_cert_from_line(line, &c, &err), 0);
		assert_int_equal(ssh_cert_verify(&c, &err), 0);
		assert_true(ssh_pubkey_equal(&c.key, &SUBJECT(0)->pub));
		assert_true(ssh_pubkey_equal(&c.signature_key, &CA(a)->pub));
		assert_int_equal(c.type, SSH_CERT_USER);
		assert_string_equal(c.key_id, "bob@example.com");
		assert_int_equal(c.serial, 42);
		assert_int_equal(c.principals.n, 2);
		assert_string_equal(c.principals.v[0], "bob");
		assert_string_equal(c.principals.v[1], "admin");
		assert_int_equal(c.valid_after, VALID_AFTER);
		assert_int_equal(c.valid_before, VALID_BEFORE);
		assert_int_equal(c.n_critical, 1);
		fc = ssh_option_string(c.critical, c.n_critical, "force-command");
		assert_string_equal(fc, "ls");
		assert_int_equal(c.n_extensions, 4);
		assert_string_equal(c.extensions[0].name, "permit-X11-forwarding");
		assert_string_equal(c.extensions[3].name, "permit-user-rc");
		assert_int_equal(c.nonce_len, 32);
		mine = ssh_cert_line(&c, "test@stride");
		assert_string_equal(mine, line);
		/* a byte of the nonce changed: the signature no longer verifies */
		c.blob[4 + strlen(ssh_cert_type_name(c.key.type)) + 4] ^= 1;
		assert_int_equal(ssh_cert_verify(&c, &err), -1);
		assert_int_equal(err.kind, ERR_UNAUTHORIZED);
		assert_string_equal(err.msg, "ssh signature verification failed");
		free(mine);
		free(fc);
		free(line);
		ssh_cert_clear(&c);
	}
}

/* Whether ssh-keygen -Q says cert file is revoked by the KRL file krl. */
static bool keygen_revoked(const char *krl, const char *cert)
{
	int st;
	char *out = sshtool_run(&st, "ssh-keygen -Q -f %s %s 2>&1", krl, cert);
	bool revoked = strstr(out, "REVOKED") != NULL;

	if (revoked != (st != 0))
		fail_msg("ssh-keygen -Q said \"%s\" with status %d", out, st);
	free(out);
	return revoked;
}

/* A KRL we build is honoured by ssh-keygen -Q. */
static void test_krl_built_honoured_by_keygen(void **state)
{
	static const uint64_t revoked[] = {7, 5, 6, 8, 100, 100, 18446744073709551614ULL, 3};
	static const struct {
		uint64_t serial;
		int ca;
		bool revoked;
	} cases[] = {{5, 1, true},
		     {6, 1, true},
		     {8, 1, true},
		     {100, 1, true},
		     {3, 1, true},
		     {4, 1, false},
		     {9, 1, false},
		     {99, 1, false},
		     {5, 0, false},
		     {100, 2, false},
		     {18446744073709551614ULL, 1, true},
		     {18446744073709551615ULL, 1, false}};
	struct ssh_krl_ca ca = {&CA(1)->pub, revoked, sizeof(revoked) / sizeof(revoked[0])};
	struct error err = {0};
	uint8_t *krl = NULL;
	size_t len;

	(void)state;
	assert_int_equal(ssh_krl_build(&ca, 1, 3, VALID_AFTER, "stride test", &krl, &len, &err), 0);
	sshtool_write("built.krl", krl, len);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ssh_cert c;
		char *line;
		bool mine;

		make_cert(&c, SUBJECT(0), CA(cases[i].ca), cases[i].serial);
		line = ssh_cert_line(&c, NULL);
		sshtool_write("q-cert.pub", line, strlen(line));
		assert_int_equal(keygen_revoked("built.krl", "q-cert.pub"), cases[i].revoked);
		assert_int_equal(ssh_krl_revokes_serial(krl, len, &CA(cases[i].ca)->pub,
							cases[i].serial, &mine, &err),
				 0);
		assert_int_equal(mine, cases[i].revoked);
		free(line);
		ssh_cert_clear(&c);
	}
	free(krl);
}

/* The certificate subsection types of the first certificate section of a KRL. */
static void krl_subsection_types(const uint8_t *k, size_t len, bool seen[256])
{
	size_t off = 8 + 4 + 8 + 8 + 8, n;

	for (int i = 0; i < 2; i++) { /* reserved, comment */
		n = (size_t)k[off] << 24 | (size_t)k[off + 1] << 16 | (size_t)k[off + 2] << 8 |
		    k[off + 3];
		off += 4 + n;
	}
	off += 1 + 4;		      /* section type and length */
	for (int i = 0; i < 2; i++) { /* ca key, reserved */
		n = (size_t)k[off] << 24 | (size_t)k[off + 1] << 16 | (size_t)k[off + 2] << 8 |
		    k[off + 3];
		off += 4 + n;
	}
	while (off + 5 <= len) {
		seen[k[off]] = true;
		n = (size_t)k[off + 1] << 24 | (size_t)k[off + 2] << 16 | (size_t)k[off + 3] << 8 |
		    k[off + 4];
		off += 5 + n;
	}
}

static bool spec_revokes(uint64_t s)
{
	return s == 5 || (s >= 10 && s <= 20) || s == 1000 ||
	       (s >= 2000 && s <= 2100 && s % 2 == 0) || (s >= 100000 && s <= 200000);
}

/* A KRL from ssh-keygen -k (serial lines, ranges, a bitmap, a key id) is read right. */
static void test_krl_from_keygen(void **state)
{
	struct error err = {0};
	bool seen[256] = {false}, revoked;
	char *out, *spec = xstrdup("serial: 5\nserial: 10-20\nserial: 1000\nid: someone\n"
				   "serial: 100000-200000\n");
	uint8_t *krl;
	size_t len;
	int st;

	(void)state;
	for (int s = 2000; s <= 2100; s += 2) {
		char *more = xasprintf("%sserial: %d\n", spec, s);

		free(spec);
		spec = more;
	}
	sshtool_write("spec", spec, strlen(spec));
	out = sshtool_run(&st, "ssh-keygen -q -k -f keygen.krl -s %s.pub spec", CA(1)->file);
	assert_int_equal(st, 0);
	krl = (uint8_t *)sshtool_read("keygen.krl", &len);
	krl_subsection_types(krl, len, seen);
	assert_true(seen[0x20] && seen[0x21] && seen[0x22] && seen[0x23]);
	for (uint64_t s = 0;
	     s < 2200 || (s >= 99990 && s <= 100010) || (s >= 199990 && s <= 200010);
	     s = s == 2199     ? 99990
		 : s == 100010 ? 199990
			       : s + 1) {
		assert_int_equal(ssh_krl_revokes_serial(krl, len, &CA(1)->pub, s, &revoked, &err),
				 0);
		if (revoked != spec_revokes(s))
			fail_msg("serial %llu: revoked %d", (unsigned long long)s, revoked);
		assert_int_equal(ssh_krl_revokes_serial(krl, len, &CA(0)->pub, s, &revoked, &err),
				 0);
		assert_false(revoked);
	}
	free(krl);
	free(out);
	free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pub_lines_and_fingerprints),
	    cmocka_unit_test(test_private_from_keygen),
	    cmocka_unit_test(test_private_encrypted_refused),
	    cmocka_unit_test(test_private_written_read_by_keygen),
	    cmocka_unit_test(test_cert_sign_listed_by_keygen),
	    cmocka_unit_test(test_cert_host_forever),
	    cmocka_unit_test(test_keygen_cert_parses),
	    cmocka_unit_test(test_krl_built_honoured_by_keygen),
	    cmocka_unit_test(test_krl_from_keygen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
