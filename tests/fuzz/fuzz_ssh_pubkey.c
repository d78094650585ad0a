/* fuzz_ssh_pubkey.c - SSH public keys as /ssh/sign's publicKey and addUserPublicKey, ca.json's
 * SSH keys and .pub files carry them: ssh_pubkey_from_blob and ssh_pubkey_from_line.
 *
 * Invariants: a refused key leaves nothing behind; a parsed one prints as a line that reads
 * back equal; a key OpenSSL holds converts back to a blob that parses to the same key; copies
 * are equal; the key policy answers with step-ca's kinds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "ssh/ssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const struct error *err)
{
	fprintf(stderr, "ssh pubkey invariant broken: %s: %s\n", what, err != NULL ? err->msg : "");
	abort();
}

static void check_parsed(const struct ssh_pubkey *k)
{
	struct ssh_pubkey back, copy, evp, evp_back;
	struct error err = {0};
	char fp[SSH_FINGERPRINT_MAX];
	char *line = ssh_pubkey_line(k, "c");

	if (ssh_pubkey_from_line(line, &back, &err) != 0 || !ssh_pubkey_equal(&back, k) ||
	    back.type != k->type)
		fail("line round trip", &err);
	ssh_pubkey_copy(&copy, k);
	if (!ssh_pubkey_equal(&copy, k))
		fail("copy differs", NULL);
	if (k->pkey != NULL) {
		if (ssh_pubkey_from_evp(k->pkey, &evp, &err) != 0 ||
		    ssh_pubkey_from_blob(evp.blob, evp.blob_len, &evp_back, &err) != 0 ||
		    !ssh_pubkey_equal(&evp, &evp_back) || evp.type != k->type)
			fail("OpenSSL round trip", &err);
		ssh_pubkey_clear(&evp);
		ssh_pubkey_clear(&evp_back);
	}
	if (ssh_pubkey_check_allowed(k, &err) != 0 && err.kind != ERR_INVALID &&
	    err.kind != ERR_FORBIDDEN)
		fail("key policy kind", &err);
	ssh_pubkey_fingerprint(k, fp);
	ssh_pubkey_clear(&copy);
	ssh_pubkey_clear(&back);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_pubkey k;
	struct error err = {0};
	char *text;

	if (size > SSH_MAX_BLOB + 16)
		return 0;
	if (ssh_pubkey_from_blob(data, size, &k, &err) == 0) {
		check_parsed(&k);
		ssh_pubkey_clear(&k);
	} else if (k.blob != NULL || k.pkey != NULL || err.kind != ERR_INVALID) {
		fail("a refused key left something behind", &err);
	}
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (ssh_pubkey_from_line(text, &k, &err) == 0) {
		check_parsed(&k);
		ssh_pubkey_clear(&k);
	}
	free(text);
	return 0;
}
