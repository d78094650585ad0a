/* fuzz_ssh_krl.c - OpenSSH key revocation lists (a KRL file or GET /ssh/krl's answer read back):
 * ssh_krl_revokes_serial.
 *
 * The input is the KRL. The CA is a fixed Ed25519 key (public key bytes 0x01 * 32; the seeds
 * were made for it with ssh-keygen -k and ssh_krl_build). Invariants: the verdict is the same
 * for a serial asked twice; a malformed KRL is ERR_INVALID and revokes nothing; whatever this
 * KRL revokes for the serials it names, a KRL that ssh_krl_build makes of them revokes too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh/ssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const struct error *err)
{
	fprintf(stderr, "ssh krl invariant broken: %s: %s\n", what, err != NULL ? err->msg : "");
	abort();
}

static void ca_key(struct ssh_pubkey *ca)
{
	static const uint8_t blob[] = {0,   0,	 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5',
				       '1', '9', 0, 0,	0,   32,  1,   1,   1,	 1,   1,   1,	1,
				       1,   1,	 1, 1,	1,   1,	  1,   1,   1,	 1,   1,   1,	1,
				       1,   1,	 1, 1,	1,   1,	  1,   1,   1,	 1,   1,   1};
	struct error err = {0};

	if (ssh_pubkey_from_blob(blob, sizeof(blob), ca, &err) != 0)
		fail("fixed CA key", &err);
}

/* The serials worth asking about: 0, 1, max, and every 8-byte window of the input. */
static size_t candidates(const uint8_t *data, size_t size, uint64_t *out, size_t max)
{
	size_t n = 0;

	out[n++] = 0;
	out[n++] = 1;
	out[n++] = UINT64_MAX;
	for (size_t i = 0; i + 8 <= size && n < max; i += 8) {
		uint64_t v = 0;

		for (int j = 0; j < 8; j++)
			v = v << 8 | data[i + j];
		out[n++] = v;
		if (n < max && v < UINT64_MAX)
			out[n++] = v + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_pubkey ca;
	struct error err = {0};
	uint64_t serials[64], hits[64];
	size_t n, n_hits = 0;
	bool r1, r2;
	int rc;

	if (size > 1024 * 1024)
		return 0;
	ca_key(&ca);
	n = candidates(data, size, serials, 64);
	for (size_t i = 0; i < n; i++) {
		rc = ssh_krl_revokes_serial(data, size, &ca, serials[i], &r1, &err);
		if (rc != 0 && (err.kind != ERR_INVALID || r1))
			fail("a malformed KRL revoked or failed otherwise", &err);
		if (ssh_krl_revokes_serial(data, size, &ca, serials[i], &r2, &err) != rc ||
		    r1 != r2)
			fail("the verdict changed", &err);
		if (r1)
			hits[n_hits++] = serials[i];
	}
	if (n_hits > 0) {
		struct ssh_krl_ca kca = {&ca, hits, n_hits};
		uint8_t *krl;
		size_t len;

		if (ssh_krl_build(&kca, 1, 1, 0, "fuzz", &krl, &len, &err) != 0)
			fail("build", &err);
		for (size_t i = 0; i < n_hits; i++)
			if (ssh_krl_revokes_serial(krl, len, &ca, hits[i], &r1, &err) != 0 || !r1)
				fail("a built KRL does not revoke its serials", &err);
		free(krl);
	}
	ssh_pubkey_clear(&ca);
	return 0;
}
