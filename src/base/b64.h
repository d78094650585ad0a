/* b64.h - base64 in its two JOSE/PEM flavours.
 *
 * base64url without padding (RFC 7515) for JOSE, and standard base64 with
 * padding for PEM bodies, x5c headers and Kyma bodies. Decoders are strict
 * about the alphabet; the standard decoder can optionally skip ASCII
 * whitespace (PEM bodies, `base64` output wrapped at 76 columns).
 */
#ifndef STRIDE_BASE_B64_H
#define STRIDE_BASE_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Encodes n bytes as unpadded base64url; returns a malloc'd string owned by the caller. */
char *b64url_encode(const void *data, size_t n);
/* Decodes unpadded (exact padding tolerated) base64url; *out is malloc'd and NUL-terminated
 * (caller frees), *outlen set. Bad input: ERR_INVALID "illegal base64 data at input byte N". */
int b64url_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen, struct error *err);
/* Strict unpadded base64url (RFC 7515 §2) of s[0..n) into out, which holds at least n * 3 / 4
 * bytes (not NUL-terminated); refuses padding, other alphabets and non-zero trailing bits (one
 * encoding per value). No allocation. */
bool b64url_decode_strict_to(const char *s, size_t n, uint8_t *out, size_t *outlen);
/* Encodes n bytes as padded standard base64 on one line; malloc'd, caller frees. */
char *b64_encode(const void *data, size_t n);
/* The same into out, which holds (n + 2) / 3 * 4 bytes (no NUL); returns what it wrote. */
size_t b64_encode_to(char *out, const void *data, size_t n);
/* Decodes padded standard base64; skips ASCII whitespace when skip_space. *out malloc'd and
 * NUL-terminated; errors as b64url_decode. */
int b64_decode(const char *s, size_t slen, bool skip_space, uint8_t **out, size_t *outlen,
	       struct error *err);

#endif
