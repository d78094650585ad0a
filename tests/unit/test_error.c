/* test_error.c - re-classifying errors (err_reclassify, err_set_status), and INVARIANT
 * (base/invariant.h) with the invariants it guards: a NULL signer, a store without its
 * operations. Each invariant case runs in a child that must abort with the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/invariant.h"
#include "crypto/signer.h"
#include "store/store.h"

/* ---------------------------------------------------------------- errors */

static void test_error_reclassify(void **state)
{
	struct error err;
	(void)state;

	err_set(&err, ERR_INVALID, "no key");
	err_set_status(&err, 418);
	assert_int_equal(err.status, 418);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "no key");
	assert_int_equal(err_reclassify(&err, ERR_UNAUTHORIZED, true), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_true(err.expose);
	assert_int_equal(err.status, 0);
	assert_string_equal(err.msg, "no key");
	assert_int_equal(err_reclassify(&err, ERR_FORBIDDEN, false), -1);
	assert_int_equal(err.kind, ERR_FORBIDDEN);
	assert_false(err.expose);
	assert_string_equal(err.msg, "no key");
	assert_int_equal(err_set_status(&err, 503), -1);
	assert_int_equal(err.status, 503);
	assert_int_equal(err.kind, ERR_FORBIDDEN);
	assert_int_equal(err_reclassify(NULL, ERR_INVALID, true), -1);
	assert_int_equal(err_set_status(NULL, 400), -1);
}

/* ---------------------------------------------------------------- invariants */

/* Runs fn in a child with stderr on a pipe; asserts the child died of SIGABRT and that its
 * stderr starts with "fatal: invariant broken: <cond> (" and names the function. */
static void expect_abort(void (*fn)(void), const char *cond, const char *func)
{
	char out[1024], want[512];
	size_t n = 0;
	ssize_t r;
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		fn();
		_exit(0); /* not reached when the invariant holds its promise */
	}
	close(fds[1]);
	while (n + 1 < sizeof(out) && (r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	snprintf(want, sizeof(want), "fatal: invariant broken: %s (", cond);
	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("stderr: %s, want it to start with %s", out, want);
	snprintf(want, sizeof(want), ", %s)\n", func);
	assert_non_null(strstr(out, want));
}

static void broken(void)
{
	int x = 1;
	INVARIANT(x == 2);
}

static void holds(void)
{
	int x = 2;
	INVARIANT(x == 2);
	fprintf(stderr, "still here\n");
}

static void test_invariant_macro(void **state)
{
	int fds[2], status;
	pid_t pid;
	char out[64] = "";
	(void)state;

	expect_abort(broken, "x == 2", "broken");
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		holds();
		_exit(3);
	}
	close(fds[1]);
	assert_true(read(fds[0], out, sizeof(out) - 1) > 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_string_equal(out, "still here\n");
}

static void sign_with_null_signer(void)
{
	signer_sign_cert(NULL, NULL, NULL);
}

static void public_key_of_null_signer(void)
{
	signer_public_key(NULL);
}

static void test_signer_invariants(void **state)
{
	(void)state;
	expect_abort(sign_with_null_signer,
		     "s != NULL && s->ops != NULL && s->ops->sign_cert != NULL",
		     "signer_sign_cert");
	expect_abort(public_key_of_null_signer,
		     "s != NULL && s->ops != NULL && s->ops->public_key != NULL",
		     "signer_public_key");
}

static void commit_on_store_without_ops(void)
{
	struct store s = {.ops = NULL};
	struct store_txn *t = store_txn_new();

	store_commit(&s, t, NULL);
}

static void commit_on_store_without_submit(void)
{
	static const struct store_ops ops = {.submit = NULL};
	struct store s = {.ops = &ops};
	struct store_txn *t = store_txn_new();

	store_commit(&s, t, NULL);
}

static void use_token_without_key(void)
{
	struct store_txn *t = store_txn_new();

	store_txn_use_token(t, NULL, "token");
}

static void test_store_invariants(void **state)
{
	static const char commit_cond[] =
	    "s != NULL && s->ops != NULL && s->ops->submit != NULL && t != NULL";
	(void)state;
	expect_abort(commit_on_store_without_ops, commit_cond, "store_commit");
	expect_abort(commit_on_store_without_submit, commit_cond, "store_commit");
	expect_abort(use_token_without_key, "t != NULL && key != NULL", "store_txn_use_token");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_reclassify),
	    cmocka_unit_test(test_invariant_macro),
	    cmocka_unit_test(test_signer_invariants),
	    cmocka_unit_test(test_store_invariants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
