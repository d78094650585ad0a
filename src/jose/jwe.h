/* jwe.h - password-protected JWE, the format of step's provisioner encryptedKey.
 *
 * alg PBES2-HS256+A128KW, enc A256GCM (or A128GCM when reading old files),
 * compact serialization (RFC 7516 §7.1, RFC 7518 §4.8).
 */
#ifndef STRIDE_JOSE_JWE_H
#define STRIDE_JOSE_JWE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define JWE_P2C_DEFAULT 600000
/* Largest compact JWE accepted (a provisioner key is a few KiB); plaintexts up to half. */
#define JWE_MAX_LEN (64 * 1024)

/* Decrypts a compact JWE with a password. Wrong password -> ERR_INVALID "invalid password".
 * The header's p2c is honoured within 1000..10,000,000 (bounds the work a file can ask for).
 * *plain malloc'd, NUL-terminated; the caller wipes and frees it. */
int jwe_decrypt_password(const char *compact, const char *password, uint8_t **plain,
			 size_t *plain_len, struct error *err);
/* Encrypts with PBES2-HS256+A128KW / A256GCM, a 16-byte random p2s and p2c iterations;
 * header {"alg","cty","enc","p2c","p2s"} (cty omitted when NULL). *out malloc'd. */
int jwe_encrypt_password(const uint8_t *plain, size_t plain_len, const char *password, int p2c,
			 const char *cty, char **out, struct error *err);

#endif
