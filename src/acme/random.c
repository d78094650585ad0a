/* random.c - random bytes and identifiers of ACME objects.
 *
 * A request needs random bytes several times (its answer's nonce, the IDs of new objects), and
 * every RAND_bytes call costs a system call on OpenSSL 3 (its fork check calls getpid). The
 * bytes are therefore drawn from RAND_bytes in blocks, per thread; a fork empties the blocks so
 * that a child never repeats its parent's bytes.
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "acme/internal.h"

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
	uint8_t bytes[POOL_SIZE];
	size_t left; /* unused bytes at the end of bytes */
	unsigned generation;
} pool;

int acme_random_bytes(void *out, size_t n)
{
	uint8_t *o = out;
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
		/* a byte handed out is not kept */
		OPENSSL_cleanse(pool.bytes + POOL_SIZE - pool.left, take);
		pool.left -= take;
		o += take;
		n -= take;
	}
	return 0;
}

static const char id_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int acme_random_id(char out[ACME_ID_LEN + 1], struct error *err)
{
	uint8_t buf[48];
	size_t n = 0;
	int rc = -1;

	/* rejection sampling: bytes >= 248 (= 4 * 62) are dropped so that byte % 62 is uniform */
	while (n < ACME_ID_LEN) {
		if (acme_random_bytes(buf, sizeof(buf)) != 0) {
			err_openssl(err, ERR_CRYPTO, "cannot generate a random ID");
			goto out;
		}
		for (size_t i = 0; i < sizeof(buf) && n < ACME_ID_LEN; i++)
			if (buf[i] < 248)
				out[n++] = id_alphabet[buf[i] % 62];
	}
	out[n] = '\0';
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0)
		out[0] = '\0';
	return rc;
}
