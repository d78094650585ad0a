/* test_random.c - crypto_random_bytes: draws never repeat (within a block, across blocks, on
 * the large path past the block), and a child forked after the parent filled its block never
 * hands out the bytes the parent will. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/random.h"

#define DRAW  16
#define DRAWS 200 /* several 512-byte blocks */

static void test_draws_differ(void **state)
{
	static unsigned char d[DRAWS][DRAW];
	unsigned char big[1024], zero[sizeof(big)] = {0};
	(void)state;

	for (int i = 0; i < DRAWS; i++)
		assert_int_equal(crypto_random_bytes(d[i], DRAW), 0);
	for (int i = 0; i < DRAWS; i++)
		for (int j = i + 1; j < DRAWS; j++)
			assert_memory_not_equal(d[i], d[j], DRAW);
	/* past a quarter block the bytes come straight from RAND_bytes */
	assert_int_equal(crypto_random_bytes(big, sizeof(big)), 0);
	assert_memory_not_equal(big, zero, sizeof(big));
	assert_int_equal(crypto_random_bytes(big, 0), 0);
}

static void test_fork_child_does_not_repeat_the_parent(void **state)
{
	unsigned char parent[DRAW], child[DRAW];
	int fds[2], status;
	pid_t pid;
	(void)state;

	assert_int_equal(crypto_random_bytes(parent, 1), 0); /* the parent's block is filled */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (crypto_random_bytes(child, sizeof(child)) != 0 ||
		    write(fds[1], child, sizeof(child)) != (ssize_t)sizeof(child))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], child, sizeof(child)), (ssize_t)sizeof(child));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(crypto_random_bytes(parent, sizeof(parent)), 0);
	assert_memory_not_equal(parent, child, sizeof(child));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_draws_differ),
	    cmocka_unit_test(test_fork_child_does_not_repeat_the_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
