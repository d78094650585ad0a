/* random.c - random bytes drawn from OpenSSL in blocks, per thread.
 *
 * A request needs random bytes several times (its request ID, a certificate's serial number,
 * an ACME nonce and the IDs of new ACME objects), and every RAND_bytes call costs a system
 * call on OpenSSL 3 (its fork check calls getpid) besides the DRBG's own set-up. The bytes are
 * therefore drawn in blocks, per thread; a byte handed out is wiped from the block, and a fork
 * empties the blocks so that a child never repeats its parent's bytes.
 */
#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define POOL_SIZE 512

static atomic_uint fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	atomic_fetch_add(&fork_generation, 1);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

static _Thread_local struct {
	unsigned char bytes[POOL_SIZE];
	size_t left; /* unused bytes at the end of bytes */
	unsigned generation;
} pool;

int crypto_random_bytes(void *out, size_t n)
{
	unsigned char *o = out;
	unsigned gen;

	pthread_once(&atfork_once, register_atfork);
	gen = atomic_load(&fork_generation);
	if (pool.generation != gen) {
		OPENSSL_cleanse(pool.bytes, sizeof(pool.bytes));
		pool.left = 0;
		pool.generation = gen;
	}
	if (n > POOL_SIZE / 4)
		return RAND_bytes(o, (int)n) == 1 ? 0 : -1;
	while (n > 0) {
		size_t take;

		if (pool.left == 0) {
			if (RAND_bytes(pool.bytes, POOL_SIZE) != 1)
				return -1;
			pool.left = POOL_SIZE;
		}
		take = n < pool.left ? n : pool.left;
		memcpy(o, pool.bytes + POOL_SIZE - pool.left, take);
		OPENSSL_cleanse(pool.bytes + POOL_SIZE - pool.left, take);
		pool.left -= take;
		o += take;
		n -= take;
	}
	return 0;
}
