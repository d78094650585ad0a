/* key.h - private/public keys: generation, step's PEM formats, JWS algorithms.
 *
 * Reads every key format step writes or reads: PKCS#8 (plain and
 * PBES2-encrypted, including step's malformed PRF parameters), SEC1
 * "EC PRIVATE KEY" and PKCS#1 "RSA PRIVATE KEY" plain or with RFC 1421
 * Proc-Type/DEK-Info encryption, and DER. Writes what step writes.
 */
#ifndef STRIDE_CRYPTO_KEY_H
#define STRIDE_CRYPTO_KEY_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum key_kty { KEY_KTY_EC, KEY_KTY_OKP, KEY_KTY_RSA };

/* The RSA modulus sizes stride accepts, generates and certifies (see key_check_allowed). */
#define KEY_RSA_BITS_MIN 2048
#define KEY_RSA_BITS_MAX 16384

/* The one key policy, for every key stride certifies (CSRs of /sign, /rekey, Kyma), trusts in a
 * token's certificate chain, or reads from a key file: EC on the named curves P-256, P-384 and
 * P-521 (explicit parameters refused, even when they describe one of those), Ed25519, and RSA
 * of KEY_RSA_BITS_MIN to KEY_RSA_BITS_MAX bits with an odd modulus and an odd public exponent
 * 3 <= e <= 2^31-1. Cheap: no signature or point operation, so it runs before the signatures
 * that a hostile key would make costly. what names the key's holder in the message:
 * "certificate request" gives "certificate request key: unsupported elliptic curve secp256k1
 * (allowed: ...)" and step-ca's "certificate request RSA key must be at least 2048 bits (256
 * bytes)". A refusal is ERR_INVALID with a public message. */
int key_check_allowed(const EVP_PKEY *key, const char *what, struct error *err);

struct key_spec {
	enum key_kty kty;
	int nid; /* EC: NID_X9_62_prime256v1 / NID_secp384r1 / NID_secp521r1; OKP: NID_ED25519 */
	int rsa_bits;
};

/* Resolves step's --kty/--curve/--size flags (NULL = unset) into a spec with step's defaults
 * (EC P-256; OKP Ed25519; RSA 2048) and step's error messages for bad combinations. */
int key_spec_parse(const char *kty, const char *curve, const char *size, struct key_spec *out,
		   struct error *err);
/* Generates a new key pair, which key_check_allowed accepts; *out owned by the caller
 * (EVP_PKEY_free). */
int key_generate(const struct key_spec *spec, EVP_PKEY **out, struct error *err);

/* True when the PEM data holds an encrypted private key (needs a password). */
bool key_pem_is_encrypted(const uint8_t *data, size_t len);
/* Parses a private key in any supported format (PEM or DER); password may be NULL for plain keys.
 * Wrong password -> ERR_INVALID "invalid password"; a key key_check_allowed refuses -> its
 * ERR_INVALID ("private key: ..."). *out owned by the caller. */
int key_parse_private(const uint8_t *data, size_t len, const char *password, EVP_PKEY **out,
		      struct error *err);
/* Parses a public key ("PUBLIC KEY" PEM or DER SubjectPublicKeyInfo) that key_check_allowed
 * accepts ("public key: ..." otherwise). */
int key_parse_public(const uint8_t *data, size_t len, EVP_PKEY **out, struct error *err);
/* Serialises a private key as step does: EC -> "EC PRIVATE KEY", RSA -> "RSA PRIVATE KEY",
 * Ed25519 -> "PRIVATE KEY". With a password: EC/RSA use Proc-Type AES-256-CBC (legacy),
 * Ed25519 uses PKCS#8 PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, 600000 iterations.
 * *pem malloc'd (caller wipes and frees with password_free / secure free). */
int key_private_to_pem(EVP_PKEY *key, const char *password, char **pem, struct error *err);
/* Serialises the public half as "PUBLIC KEY" PEM; malloc'd. */
int key_public_to_pem(EVP_PKEY *key, char **pem, struct error *err);

/* The JWS algorithm step uses for a key: ES256/ES384/ES512, EdDSA, RS256. NULL if unsupported. */
const char *key_jws_alg(EVP_PKEY *key);
/* True when both keys have the same public component. */
bool key_public_equal(EVP_PKEY *a, EVP_PKEY *b);
/* "EC", "OKP", "RSA" or NULL. */
const char *key_kty_name(EVP_PKEY *key);

/* The password an encrypted key file needs: the content of password_file (trailing whitespace
 * trimmed), else a copy of fallback, else an answer typed at the terminal ("Please enter the
 * password to decrypt <path>"). *out is NULL when the file is not encrypted or cannot be read
 * (reading it later reports why). Free *out with password_free. */
int key_file_password(const char *path, const char *password_file, const char *fallback, char **out,
		      struct error *err);
/* Reads and decrypts a private key file, with the password as key_file_password finds it;
 * errors name the file. *out owned by the caller. */
int key_load_file(const char *path, const char *password_file, const char *fallback, EVP_PKEY **out,
		  struct error *err);

/* A random UUIDv4 in canonical form (36 characters + NUL). */
int key_random_uuid4(char out[37], struct error *err);

#endif
