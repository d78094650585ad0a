/* fuzz_ssh_desc.c - the JSON SSH certificate description an SSH template renders (ssh.md §3),
 * from arbitrary bytes: what a provisioner's template (and through it the request's
 * templateData and the token) can make the CA decode.
 *
 * Invariants: a refusal is step-ca's exposed 500 "error applying certificate template"; an
 * accepted description that names a type is signed by a fixed Ed25519 CA key or refused with an
 * error (never a crash), and a signed certificate parses back to the same type, key id,
 * principals, serial, validity and option names, and verifies.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sshca/internal.h"

#define FUZZ_MAX_TEXT 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "ssh description invariant broken: %s\n", what);
	abort();
}

static EVP_PKEY *ca_key(void)
{
	static EVP_PKEY *k;
	static const uint8_t seed[32] = {1,  2,	 3,  4,	 5,  6,	 7,  8,	 9,  10, 11,
					 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
					 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

	if (k == NULL)
		k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	if (k == NULL)
		fail("Ed25519 key");
	return k;
}

static bool same_names(const struct ssh_option *a, size_t na, const struct ssh_option *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) != 0 || a[i].data_len != b[i].data_len ||
		    (a[i].data_len > 0 && memcmp(a[i].data, b[i].data, a[i].data_len) != 0))
			return false;
	return true;
}

static void check_round_trip(struct ssh_cert *c)
{
	struct ssh_cert back = {0};
	struct error err = {0};

	if (ssh_pubkey_from_evp(ca_key(), &c->key, NULL) != 0)
		fail("subject key");
	if (ssh_cert_sign(c, ca_key(), &err) != 0) {
		if (err.kind == ERR_NONE)
			fail("signing refused without an error");
		return;
	}
	if (ssh_cert_parse(c->blob, c->blob_len, &back, NULL) != 0)
		fail("signed certificate does not parse");
	if (back.type != c->type || strcmp(back.key_id, c->key_id) != 0 ||
	    back.serial != c->serial || back.valid_after != c->valid_after ||
	    back.valid_before != c->valid_before || back.principals.n != c->principals.n)
		fail("fields differ after a round trip");
	for (size_t i = 0; i < c->principals.n; i++)
		if (strcmp(back.principals.v[i], c->principals.v[i]) != 0)
			fail("principal differs");
	/* signing sorted the options: the parsed ones come in the same order */
	if (!same_names(back.critical, back.n_critical, c->critical, c->n_critical) ||
	    !same_names(back.extensions, back.n_extensions, c->extensions, c->n_extensions))
		fail("options differ");
	if (ssh_cert_verify(&back, NULL) != 0)
		fail("signed certificate does not verify");
	ssh_cert_clear(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_cert c = {0};
	struct error err = {0};

	if (size > FUZZ_MAX_TEXT)
		return 0;
	if (sshca_desc_apply((const char *)data, size, &c, &err) != 0) {
		if (err.kind != ERR_INTERNAL || !err.expose ||
		    strcmp(err.msg, SSHCA_TEMPLATE_ERROR) != 0)
			fail("refusal is not step-ca's template error");
	} else if (c.type == SSH_CERT_USER || c.type == SSH_CERT_HOST) {
		if (c.key_id == NULL)
			fail("no key id");
		check_round_trip(&c);
	} else if (c.type != 0) {
		fail("unknown type accepted");
	}
	ssh_cert_clear(&c);
	return 0;
}
