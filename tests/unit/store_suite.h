/* store_suite.h - the rules every store back end keeps (store.h), as one cmocka suite.
 *
 * A back end's test (test_store_<backend>.c) describes how to get a fresh, empty database and
 * how to open a handle on it, then runs store_suite_run. Several handles opened on one
 * database behave like several stride-ca processes sharing it: the suite races them.
 */
#ifndef STRIDE_TESTS_STORE_SUITE_H
#define STRIDE_TESTS_STORE_SUITE_H

#include "store/store.h"

struct store_suite_backend {
	const char *name; /* the cmocka group's name, e.g. "sqlite" */
	/* Makes a fresh, empty database for one test; *ctx goes to open and teardown. 0 / -1. */
	int (*setup)(void **ctx);
	/* Opens one more handle on ctx's database (any number of times, each one independent,
	 * like another process). 0 / -1 with err. */
	int (*open)(void *ctx, struct store **out, struct error *err);
	/* Removes the database and frees ctx (every handle is closed by then). */
	void (*teardown)(void *ctx);
};

/* Runs every test of the suite on b; returns the number of failed tests (0: all passed). */
int store_suite_run(const struct store_suite_backend *b);

#endif
