/* test_store_sqlite.c - the shared store suite (store_suite.c) on SQLite: a fresh temporary
 * directory per test, each handle another store_open of the same file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/str.h"
#include "store_suite.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int sqlite_setup(void **ctx)
{
	char tmpl[] = "/tmp/stride-test-store-sqlite-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return -1;
	*ctx = xstrdup(tmpl);
	return 0;
}

static int sqlite_open(void *ctx, struct store **out, struct error *err)
{
	char *file = path_join(ctx, "ca.db");
	int rc =
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, out, err);

	free(file);
	return rc;
}

static void sqlite_teardown(void *ctx)
{
	nftw(ctx, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(ctx);
}

int main(void)
{
	static const struct store_suite_backend sqlite = {
	    .name = "sqlite",
	    .setup = sqlite_setup,
	    .open = sqlite_open,
	    .teardown = sqlite_teardown,
	};

	return store_suite_run(&sqlite);
}
