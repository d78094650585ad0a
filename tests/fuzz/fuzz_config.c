/* fuzz_config.c - ca.json from arbitrary bytes, and the authority built from it.
 *
 * A configuration that parses is (1) written the way `ca init` writes ca.json and parsed
 * again, which must succeed, and (2) pointed at the fixture CA's files (ca_fixture.h) and
 * turned into an authority: provisioners (JWK keys, X5C roots in base64 PEM, claims with
 * durations), the TLS options. Inputs over CA_CONFIG_MAX_SIZE are refused like the loader
 * does; the target bounds them far lower as the interesting structure is small.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority/authority.h"
#include "config/ca_config.h"
#include "store/store.h"

#include "ca_fixture.h"

#define FUZZ_MAX_CONFIG (128 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_config *cfg = NULL, *again = NULL;
	struct store *store = NULL;
	struct authority *a = NULL;
	struct error err = {0};
	char *text = NULL;
	size_t len = 0;

	if (size > FUZZ_MAX_CONFIG)
		return 0;
	if (ca_config_parse((const char *)data, size, "fuzz.json", &cfg, &err) != 0)
		return 0;
	if (config_json_format(cfg->doc, 1, &text, &len, &err) != 0 ||
	    ca_config_parse(text, len, "fuzz-again.json", &again, &err) != 0) {
		fprintf(stderr, "ca.json does not survive being written: %s\n", err.msg);
		abort();
	}
	ca_config_free(again);
	free(text);
	fx_config_use_files(cfg);
	if (store_open_memory(&store, NULL) != 0)
		abort();
	if (authority_new(cfg, NULL, store, &a, &err) == 0) {
		json_t *page = NULL;
		if (authority_provisioners_page(a, NULL, NULL, &page, NULL) == 0)
			json_decref(page);
		authority_free(a); /* frees cfg and store */
	} else {
		ca_config_free(cfg);
		store_close(store);
	}
	return 0;
}
