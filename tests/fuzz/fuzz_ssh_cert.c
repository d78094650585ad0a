/* fuzz_ssh_cert.c - OpenSSH certificates as an /ssh/ request body or an SSHPOP token header carries
 * them: ssh_cert_parse, ssh_cert_verify, ssh_cert_line and ssh_cert_from_line.
 *
 * Invariants: a refused blob leaves nothing behind; a parsed certificate prints as a line that
 * reads back as the same blob and fields, with the same verdict of ssh_cert_verify; its
 * force-command (if any) reads as a string.
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
	fprintf(stderr, "ssh cert invariant broken: %s: %s\n", what, err != NULL ? err->msg : "");
	abort();
}

static void check_parsed(const struct ssh_cert *c)
{
	struct ssh_cert back;
	struct error err = {0}, err2 = {0};
	char fp[SSH_FINGERPRINT_MAX];
	char *line = ssh_cert_line(c, "comment");
	int v1, v2;

	if (ssh_cert_from_line(line, &back, &err) != 0)
		fail("a parsed certificate's line does not read back", &err);
	if (back.blob_len != c->blob_len || memcmp(back.blob, c->blob, c->blob_len) != 0 ||
	    back.serial != c->serial || back.type != c->type ||
	    strcmp(back.key_id, c->key_id) != 0 || back.principals.n != c->principals.n ||
	    back.n_critical != c->n_critical || back.n_extensions != c->n_extensions ||
	    back.signed_len != c->signed_len || !ssh_pubkey_equal(&back.key, &c->key))
		fail("line round trip changes the certificate", NULL);
	v1 = ssh_cert_verify(c, &err);
	v2 = ssh_cert_verify(&back, &err2);
	if (v1 != v2)
		fail("verify differs after a round trip", &err);
	if (v1 != 0 && err.kind == ERR_NONE)
		fail("verify failed without a reason", NULL);
	ssh_pubkey_fingerprint(&c->signature_key, fp);
	if (strncmp(fp, "SHA256:", 7) != 0 || strlen(fp) != 50)
		fail("bad fingerprint", NULL);
	free(ssh_option_string(c->critical, c->n_critical, "force-command"));
	ssh_cert_clear(&back);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_cert c;
	struct error err = {0};
	char *text;

	if (size > SSH_MAX_BLOB + 16)
		return 0;
	if (ssh_cert_parse(data, size, &c, &err) == 0) {
		check_parsed(&c);
		ssh_cert_clear(&c);
	} else if (c.blob != NULL || c.key_id != NULL || c.key.pkey != NULL ||
		   err.kind != ERR_INVALID) {
		fail("a refused certificate left something behind", &err);
	}
	/* the same bytes as a -cert.pub line */
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (ssh_cert_from_line(text, &c, &err) == 0) {
		check_parsed(&c);
		ssh_cert_clear(&c);
	}
	free(text);
	return 0;
}
