/* internal.h - the SSH wire encoding (RFC 4251 §5) shared by the files of src/ssh.
 *
 * The reader never reads past its input: every length is checked against what is left, and a
 * failed read makes the reader "bad" so that the following reads fail too (callers check once
 * after a group of reads). The writer appends to a struct buf with a maximum, with the same
 * sticky failure.
 */
#ifndef STRIDE_SSH_INTERNAL_H
#define STRIDE_SSH_INTERNAL_H

#include <openssl/bn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "ssh/ssh.h"

/* The largest mpint read: a 16384-bit RSA modulus and its sign byte. */
#define SSH_MPINT_MAX (16384 / 8 + 1)

struct wire_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool bad; /* a read failed: every later read fails */
};

/* Starts reading the n bytes at p (borrowed). */
void wire_reader_init(struct wire_reader *r, const uint8_t *p, size_t n);
/* Reads a byte / a big-endian uint32 / uint64; 0 or -1 (short input: the reader turns bad). */
int wire_get_u8(struct wire_reader *r, uint8_t *v);
int wire_get_u32(struct wire_reader *r, uint32_t *v);
int wire_get_u64(struct wire_reader *r, uint64_t *v);
/* Reads a string: *p points into the input (borrowed), *n its length. */
int wire_get_string(struct wire_reader *r, const uint8_t **p, size_t *n);
/* Reads a string that holds text without NUL bytes, as a malloc'd C string (at most max
 * bytes). */
int wire_get_cstring(struct wire_reader *r, size_t max, char **out);
/* Reads a string and requires it to equal s. */
int wire_get_name(struct wire_reader *r, const char *s);
/* Reads a non-negative mpint (RFC 4251 §5) of at most SSH_MPINT_MAX bytes: *p and *n are its
 * magnitude without leading zeros (borrowed; *n is 0 for zero). */
int wire_get_mpint(struct wire_reader *r, const uint8_t **p, size_t *n);
/* Reads a non-negative mpint as a new BIGNUM (*bn owned by the caller). */
int wire_get_bignum(struct wire_reader *r, BIGNUM **bn);
/* Bytes left to read. */
size_t wire_left(const struct wire_reader *r);
/* True when every read succeeded and nothing is left. */
bool wire_done(const struct wire_reader *r);

struct wire_writer {
	struct buf buf;
	int rc;		   /* -1 once an append failed (err then says why) */
	struct error *err; /* borrowed, may be NULL */
};

/* Starts an empty output of at most max bytes. */
void wire_writer_init(struct wire_writer *w, size_t max, struct error *err);
void wire_put_u8(struct wire_writer *w, uint8_t v);
void wire_put_u32(struct wire_writer *w, uint32_t v);
void wire_put_u64(struct wire_writer *w, uint64_t v);
/* Raw bytes, no length. */
void wire_put_raw(struct wire_writer *w, const void *p, size_t n);
/* A string of n bytes / of a C string. */
void wire_put_string(struct wire_writer *w, const void *p, size_t n);
void wire_put_cstring(struct wire_writer *w, const char *s);
/* A non-negative mpint from its big-endian magnitude (leading zeros dropped, a zero byte added
 * when the high bit is set). */
void wire_put_mpint(struct wire_writer *w, const uint8_t *p, size_t n);
/* A non-negative mpint from a BIGNUM. */
void wire_put_bignum(struct wire_writer *w, const BIGNUM *bn);
/* Ends writing: 0 and *out malloc'd (never NULL), or -1 after a failed append (err filled). */
int wire_writer_finish(struct wire_writer *w, uint8_t **out, size_t *len);
/* Drops what was written (wiped). */
void wire_writer_free(struct wire_writer *w);

/* --- shared between the files of src/ssh ---------------------------------------------------- */

/* The key type of a wire name ("ssh-ed25519", ...), SSH_KEY_UNKNOWN when none. */
enum ssh_key_type ssh_key_type_from_name(const uint8_t *p, size_t n);
/* The key type of a certificate type name, SSH_KEY_UNKNOWN when none. */
enum ssh_key_type ssh_key_type_from_cert_name(const uint8_t *p, size_t n);
/* Skips the public fields of a key of type t (those after its name) in r. */
int ssh_pubkey_skip_fields(struct wire_reader *r, enum ssh_key_type t);
/* The OpenSSH curve name ("nistp256") of an ECDSA type, or NULL. */
const char *ssh_curve_name(enum ssh_key_type t);
/* The OpenSSL group name ("P-256") of an ECDSA type, or NULL. */
const char *ssh_curve_group(enum ssh_key_type t);
/* The key type of an OpenSSL key (EC P-256/384/521, Ed25519, RSA), else SSH_KEY_UNKNOWN. */
enum ssh_key_type ssh_key_type_of_evp(const EVP_PKEY *key);
/* Writes the public fields of an OpenSSL key of type t (after its name) to w. */
int ssh_put_evp_public(struct wire_writer *w, EVP_PKEY *key, enum ssh_key_type t,
		       struct error *err);
/* Splits "<type> <base64>[ <comment>]": *type and the decoded blob (malloc'd) out. */
int ssh_line_split(const char *line, char **type, uint8_t **blob, size_t *len, struct error *err);

#endif
