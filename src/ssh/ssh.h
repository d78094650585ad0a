/* ssh.h - OpenSSH's formats: public keys (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709, and the
 * security-key types of PROTOCOL.u2f), signatures (RFC 4253 §6.6, RFC 5656 §3.1.2, RFC 8332,
 * RFC 8709), certificates (PROTOCOL.certkeys), private key files (PROTOCOL.key) and key
 * revocation lists (PROTOCOL.krl).
 *
 * Pure encoding, decoding and crypto over OpenSSL: no files, no network, no authority. Every
 * parser here is reached by an attacker (a /ssh/sign body, an SSHPOP token header), so each
 * bounds what it reads and has a fuzz target (tests/fuzz).
 */
#ifndef STRIDE_SSH_SSH_H
#define STRIDE_SSH_SSH_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/str.h"

/* Bounds of what is parsed (a certificate of step-ca is well under 2 KiB). */
#define SSH_MAX_BLOB	    (64 * 1024) /* a key or certificate blob */
#define SSH_MAX_PRINCIPALS  256
#define SSH_MAX_OPTIONS	    64 /* critical options, and extensions, each */
#define SSH_FINGERPRINT_MAX 64 /* "SHA256:" + 43 base64 characters + NUL, rounded up */

enum ssh_key_type {
	SSH_KEY_UNKNOWN = 0,
	SSH_KEY_ED25519,    /* ssh-ed25519 */
	SSH_KEY_ECDSA_P256, /* ecdsa-sha2-nistp256 */
	SSH_KEY_ECDSA_P384, /* ecdsa-sha2-nistp384 */
	SSH_KEY_ECDSA_P521, /* ecdsa-sha2-nistp521 */
	SSH_KEY_RSA,	    /* ssh-rsa */
	SSH_KEY_DSA,	    /* ssh-dss: parsed so that it can be refused with step-ca's message */
	SSH_KEY_SK_ECDSA,   /* sk-ecdsa-sha2-nistp256@openssh.com */
	SSH_KEY_SK_ED25519, /* sk-ssh-ed25519@openssh.com */
};

/* The key algorithm name on the wire ("ssh-ed25519", ...); NULL for SSH_KEY_UNKNOWN. */
const char *ssh_key_type_name(enum ssh_key_type t);
/* The certificate type name of a key type ("ssh-ed25519-cert-v01@openssh.com", ...). */
const char *ssh_cert_type_name(enum ssh_key_type t);

/* A public key: its wire form, and the key as OpenSSL holds it when OpenSSL can use it. */
struct ssh_pubkey {
	enum ssh_key_type type;
	EVP_PKEY *pkey; /* owned; NULL for DSA and the security-key types (kept as blobs only) */
	uint8_t *blob;	/* owned: the wire form (string type, then the type's fields) */
	size_t blob_len;
};

/* Parses a wire public key (no trailing bytes). An unknown algorithm, a malformed field, an EC
 * point not on its curve, an RSA modulus over 16384 bits -> ERR_INVALID. *out cleared first. */
int ssh_pubkey_from_blob(const uint8_t *b, size_t n, struct ssh_pubkey *out, struct error *err);
/* Parses a line of a .pub / authorized_keys file: "<type> <base64>[ <comment>]" (no options
 * before the type). The type must agree with the blob's. */
int ssh_pubkey_from_line(const char *line, struct ssh_pubkey *out, struct error *err);
/* The SSH form of an OpenSSL key (EC P-256/384/521, Ed25519, RSA); takes a new reference to
 * pkey. Other keys -> ERR_INVALID. */
int ssh_pubkey_from_evp(EVP_PKEY *pkey, struct ssh_pubkey *out, struct error *err);
/* "<type> <base64>" plus " <comment>" when comment is not NULL or empty; malloc'd. */
char *ssh_pubkey_line(const struct ssh_pubkey *k, const char *comment);
/* "SHA256:" and the unpadded base64 of the SHA-256 of the blob, as ssh-keygen -l prints. */
void ssh_pubkey_fingerprint(const struct ssh_pubkey *k, char out[SSH_FINGERPRINT_MAX]);
/* Whether both have the same blob. */
bool ssh_pubkey_equal(const struct ssh_pubkey *a, const struct ssh_pubkey *b);
/* The key policy of step-ca for a key it certifies: DSA -> ERR_INVALID (400) "ssh certificate
 * key algorithm (DSA) is not supported"; RSA under 2048 bits -> ERR_FORBIDDEN (403) "ssh
 * certificate key must be at least 2048 bits (256 bytes)"; the rest is accepted. Public
 * messages. */
int ssh_pubkey_check_allowed(const struct ssh_pubkey *k, struct error *err);
/* A copy of src into dst (new references). */
void ssh_pubkey_copy(struct ssh_pubkey *dst, const struct ssh_pubkey *src);
/* Frees what k owns and zeroes it; safe on a zeroed struct. */
void ssh_pubkey_clear(struct ssh_pubkey *k);

/* --- signatures ----------------------------------------------------------------------------- */

/* Signs data with key as an SSH signature blob (string algorithm, string signature): ECDSA with
 * the curve's hash (r and s as mpints), Ed25519, RSA as rsa-sha2-512 when rsa_sha512 else
 * rsa-sha2-256 (never SHA-1). *sig malloc'd. */
int ssh_sign(EVP_PKEY *key, bool rsa_sha512, const uint8_t *data, size_t n, uint8_t **sig,
	     size_t *sig_len, struct error *err);
/* Verifies an SSH signature blob over data by k: the algorithm must suit k (ssh-rsa, the SHA-1
 * one, is refused as OpenSSH 8.8 and later refuse it; rsa-sha2-256/512 accepted). A bad
 * signature -> ERR_UNAUTHORIZED "ssh signature verification failed". */
int ssh_verify(const struct ssh_pubkey *k, const uint8_t *data, size_t n, const uint8_t *sig,
	       size_t sig_len, struct error *err);

/* --- certificates (PROTOCOL.certkeys) -------------------------------------------------------- */

enum ssh_cert_type { SSH_CERT_USER = 1, SSH_CERT_HOST = 2 };

/* A critical option or extension: its name and its raw data field (empty for the flags
 * extensions; for force-command and source-address an SSH string holding the value). */
struct ssh_option {
	char *name;
	uint8_t *data;
	size_t data_len;
};

struct ssh_cert {
	struct ssh_pubkey key; /* the certified key */
	uint8_t *nonce;	       /* NULL before ssh_cert_sign: it then makes step-ca's nonce */
	size_t nonce_len;
	uint64_t serial;
	enum ssh_cert_type type;
	char *key_id;
	struct strv principals;
	uint64_t valid_after; /* Unix seconds; valid_before UINT64_MAX = forever */
	uint64_t valid_before;
	struct ssh_option *critical; /* n_critical of them */
	size_t n_critical;
	struct ssh_option *extensions;
	size_t n_extensions;
	uint8_t *reserved; /* written as is (a template may set it); not read back by parsing */
	size_t reserved_len;
	struct ssh_pubkey signature_key; /* the CA's key (set by ssh_cert_sign) */
	uint8_t *blob;			 /* the whole certificate, signature included, once signed
					  * or parsed */
	size_t blob_len;
	size_t signed_len; /* the first signed_len bytes of blob are what the signature covers */
};

/* Adds an option to *v (n of them): value NULL -> empty data (the flags extensions, such as
 * permit-pty), else data = an SSH string of value (force-command). Copies name and value. */
void ssh_option_add(struct ssh_option **v, size_t *n, const char *name, const char *value);
/* The value of a string option (force-command), malloc'd, or NULL when absent or malformed. */
char *ssh_option_string(const struct ssh_option *v, size_t n, const char *name);
/* step-ca's default extensions of a user certificate: permit-X11-forwarding,
 * permit-agent-forwarding, permit-port-forwarding, permit-pty, permit-user-rc. */
void ssh_cert_default_user_extensions(struct ssh_cert *c);

/* Signs c with the CA key ca_key (RSA CA keys sign with rsa-sha2-512, as ssh-keygen does):
 * sets signature_key, makes the nonce when c->nonce is NULL (32 random printable characters,
 * as step-ca does), sorts the critical options and the extensions by name as OpenSSH requires,
 * and builds c->blob. Checks what OpenSSH would refuse: type, non-empty key, principals and
 * options within their bounds, duplicate option names. */
int ssh_cert_sign(struct ssh_cert *c, EVP_PKEY *ca_key, struct error *err);
/* Parses a certificate blob (structure only; ssh_cert_verify checks its signature): the type
 * name must match the certified key's, options must be sorted and unique, no trailing bytes.
 * *out cleared first. ERR_INVALID on any malformation. */
int ssh_cert_parse(const uint8_t *b, size_t n, struct ssh_cert *out, struct error *err);
/* Parses "<type>-cert-v01@openssh.com <base64>[ <comment>]" (a -cert.pub file's line). */
int ssh_cert_from_line(const char *line, struct ssh_cert *out, struct error *err);
/* Verifies c's signature by c->signature_key (not whether that key is trusted). */
int ssh_cert_verify(const struct ssh_cert *c, struct error *err);
/* "<cert type> <base64 of blob>" plus " <comment>" when comment is not NULL or empty. */
char *ssh_cert_line(const struct ssh_cert *c, const char *comment);
/* Frees what c owns and zeroes it; safe on a zeroed struct. */
void ssh_cert_clear(struct ssh_cert *c);

/* --- private key files ------------------------------------------------------------------------ */

/* Whether data is an "OPENSSH PRIVATE KEY" PEM (PROTOCOL.key). */
bool ssh_private_is_openssh(const uint8_t *data, size_t len);
/* Reads a private key file as ssh-keygen writes it: "OPENSSH PRIVATE KEY" unencrypted (an
 * encrypted one -> ERR_NOT_IMPLEMENTED "encrypted OpenSSH private keys are not supported:
 * decrypt it with ssh-keygen -p -N ''"), else any PEM or DER key_parse_private reads (password
 * may be NULL). The key must pass key_check_allowed. *out owned by the caller. */
int ssh_private_parse(const uint8_t *data, size_t len, const char *password, EVP_PKEY **out,
		      struct error *err);
/* Writes key as an unencrypted "OPENSSH PRIVATE KEY" PEM with comment (may be NULL); *pem
 * malloc'd, wipe it (password_free). EC, Ed25519 and RSA keys. */
int ssh_private_to_openssh(EVP_PKEY *key, const char *comment, char **pem, struct error *err);

/* --- key revocation lists (PROTOCOL.krl) -------------------------------------------------------
 */

/* The revoked serials of the certificates one CA key signed. */
struct ssh_krl_ca {
	const struct ssh_pubkey *ca;
	const uint64_t *serials; /* any order, duplicates allowed */
	size_t n;
};

/* A binary KRL (as ssh-keygen -k writes and sshd's RevokedKeys reads): format version 1,
 * krl_version, generated_at (Unix seconds), comment (may be NULL), then for each CA with
 * serials a certificate section with its serials (ranges where they are contiguous). *out
 * malloc'd. */
int ssh_krl_build(const struct ssh_krl_ca *cas, size_t n_cas, uint64_t krl_version,
		  uint64_t generated_at, const char *comment, uint8_t **out, size_t *len,
		  struct error *err);
/* Whether a KRL (as ssh_krl_build or ssh-keygen -k write it; signatures ignored) revokes the
 * certificate with this serial signed by ca: the serial list, range and bitmap sections are
 * read, key-id sections and plain-key sections are skipped. Malformed -> ERR_INVALID. */
int ssh_krl_revokes_serial(const uint8_t *krl, size_t len, const struct ssh_pubkey *ca,
			   uint64_t serial, bool *revoked, struct error *err);

#endif
