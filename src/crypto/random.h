/* random.h - random bytes drawn from OpenSSL in blocks, per thread. */
#ifndef STRIDE_CRYPTO_RANDOM_H
#define STRIDE_CRYPTO_RANDOM_H

#include <stddef.h>

/* Fills out with n bytes from OpenSSL's DRBG: 0, or -1 with the failure on OpenSSL's error
 * queue. Small requests are served from a per-thread block (see random.c). */
int crypto_random_bytes(void *out, size_t n);

#endif
