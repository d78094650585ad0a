/* ssh_token.h - what step's CLI puts in SSH tokens and SSH sign requests (ssh.md §4.1, §5).
 *
 * Pure: no files, no network. Used by `stride ca token --ssh` and the `stride ssh` commands.
 */
#ifndef STRIDE_CLIENT_SSH_TOKEN_H
#define STRIDE_CLIENT_SSH_TOKEN_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/str.h"

/* The principal step derives from a user name or e-mail: its local part (before the last
 * '@') lower-cased, '.' dropped, every character (UTF-8 rune) outside [a-z0-9-] replaced by
 * '_' ("Alice.Smith@x.com" -> "alicesmith"). malloc'd. */
char *ssh_sanitize_user_principal(const char *subject);

/* The principals `ssh certificate` asks for without --principal: [subject] for a host; for a
 * user the sanitized name, then the raw local part when the subject has an '@' and it differs
 * from the name (ignoring case), then the whole subject when it differs from the name.
 * Appended to *out. */
void ssh_default_principals(const char *subject, bool host, struct strv *out);

/* The "step" claim of an SSH sign token: {"ssh": {"certType", "keyID", "principals" (null
 * when principals is NULL or empty), "validAfter", "validBefore"}} with "" for NULL times.
 * New reference. */
json_t *ssh_step_claim(bool host, const char *key_id, const struct strv *principals,
		       const char *valid_after, const char *valid_before);

/* An SSHPOP token (tokens.md §6.4): header {alg, kid = the key's JWK thumbprint, typ "JWT",
 * sshpop = standard base64 of the certificate blob}; claims aud, exp, iat, iss, jti (64 hex),
 * nbf, sha (when root_sha is not NULL), sub. Signed with the certificate's private key. */
struct sshpop_params {
	const char *issuer;   /* the SSHPOP provisioner's name */
	const char *subject;  /* the certificate's serial in decimal */
	const char *audience; /* .../1.0/ssh/{renew,rekey,revoke}#sshpop/<name> */
	int64_t not_before_sec;
	int64_t not_after_sec;
	const char *root_sha; /* or NULL */
	const uint8_t *cert;  /* the certificate's wire form */
	size_t cert_len;
};
/* *out malloc'd; the caller wipes and frees it. */
int token_build_sshpop(EVP_PKEY *key, const struct sshpop_params *p, char **out, struct error *err);

#endif
