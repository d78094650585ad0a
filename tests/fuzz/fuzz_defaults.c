/* fuzz_defaults.c - the CLI's files under $STRIDEPATH: contexts.json, current-context.json
 * and config/defaults.json, and applying defaults.json to a flag table.
 *
 * The input is split at the first two NUL bytes into contexts.json, current-context.json
 * and config/defaults.json (missing parts: no file), written to a private $STRIDEPATH.
 * Then the context is resolved, the effective path and the merged defaults are computed and
 * applied to string, bool and list flags. Invariants: a resolved context names an authority
 * and a profile that are valid directory names; the effective path stays under $STRIDEPATH.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/str.h"
#include "cli/flags.h"
#include "config/defaults.h"

#define FUZZ_MAX_FILES (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[32];
static char *files[3];
static const char *const names[3] = {"contexts.json", "current-context.json",
				     "config/defaults.json"};

static const struct flag_def defs[] = {
    {.name = "ca-url", .type = FLAG_STRING},
    {.name = "root", .type = FLAG_STRING, .def = "certs/root_ca.crt", .opts = FLAG_PATH_DEFAULT},
    {.name = "provisioner", .aliases = "issuer,prov", .type = FLAG_STRING},
    {.name = "force", .short_name = 'f', .type = FLAG_BOOL},
    {.name = "offline", .type = FLAG_BOOL, .def = "false"},
    {.name = "san", .type = FLAG_LIST},
    {.name = "secret", .type = FLAG_STRING, .opts = FLAG_NO_DEFAULTS},
    FLAG_END,
};

static void cleanup(void)
{
	for (int i = 0; i < 3; i++)
		if (files[i] != NULL)
			unlink(files[i]);
	if (base[0] != '\0') {
		char *dir = xasprintf("%s/config", base);
		rmdir(dir);
		free(dir);
		rmdir(base);
	}
}

static void setup(void)
{
	char *dir;

	snprintf(base, sizeof(base), "/tmp/stride-fuzz-XXXXXX");
	if (mkdtemp(base) == NULL)
		abort();
	atexit(cleanup);
	dir = xasprintf("%s/config", base);
	if (mkdir(dir, 0700) != 0)
		abort();
	free(dir);
	for (int i = 0; i < 3; i++)
		files[i] = xasprintf("%s/%s", base, names[i]);
	setenv("STRIDEPATH", base, 1);
}

static void write_part(int i, const uint8_t *p, size_t n, bool present)
{
	FILE *f;

	unlink(files[i]);
	if (!present)
		return;
	f = fopen(files[i], "w");
	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *name = NULL, *authority = NULL, *profile = NULL, *eff = NULL;
	json_t *defaults = NULL;
	struct flag_set fs;

	if (size > FUZZ_MAX_FILES)
		return 0;
	if (base[0] == '\0')
		setup();
	for (int i = 0; i < 3; i++) {
		const uint8_t *nul = p != NULL ? memchr(p, '\0', (size_t)(end - p)) : NULL;
		size_t n = p == NULL ? 0 : nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
		write_part(i, p, n, p != NULL);
		p = nul != NULL ? nul + 1 : NULL;
	}
	if (stride_context_resolve(NULL, &name, &authority, &profile, NULL) == 0 && name != NULL) {
		if (authority == NULL || profile == NULL || !stride_context_name_valid(authority) ||
		    !stride_context_name_valid(profile))
			abort();
	}
	if (stride_effective_path(NULL, &eff, NULL) == 0 &&
	    (strncmp(eff, base, strlen(base)) != 0 || strstr(eff + strlen(base), "/../") != NULL))
		abort();
	(void)stride_contexts_enabled();
	if (defaults_load(NULL, &defaults, NULL) == 0) {
		if (!json_is_object(defaults))
			abort();
		flag_set_init(&fs, defs);
		if (flag_set_apply_defaults(&fs, defaults, NULL) == 0)
			flag_set_apply_builtin(&fs, eff);
		flag_set_free(&fs);
	}
	json_decref(defaults);
	free(eff);
	free(name);
	free(authority);
	free(profile);
	return 0;
}
