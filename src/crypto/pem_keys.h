/* pem_keys.h - the public keys of a PEM bundle as step reads a K8sSA provisioner's publicKeys
 * (and `step ca provisioner add --type K8SSA --public-key`): every PEM block, through step's
 * PEM parser, must give an RSA, ECDSA or Ed25519 public key. */
#ifndef STRIDE_CRYPTO_PEM_KEYS_H
#define STRIDE_CRYPTO_PEM_KEYS_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Text outside the blocks is skipped (as Go's pem.Decode skips it). A block is a "PUBLIC KEY",
 * a "CERTIFICATE" (its key) or a private key ("RSA PRIVATE KEY", "EC PRIVATE KEY",
 * "PRIVATE KEY"). On failure (ERR_INVALID) *keys is empty and either *bad_type is the Go type
 * step reports for a key it refuses ("*ecdsa.PrivateKey", "*dsa.PublicKey", ...), or it is
 * NULL and err holds step's PEM parser's message ("error decoding PEM: contains an unexpected
 * header 'X'", "error parsing PEM"). *keys (malloc'd, each key owned) is freed with
 * pem_keys_free. */
int pem_public_keys(const uint8_t *text, size_t len, EVP_PKEY ***keys, size_t *n,
		    const char **bad_type, struct error *err);
void pem_keys_free(EVP_PKEY **keys, size_t n);

#endif
