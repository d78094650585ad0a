/* fuzz_config.c - ca.json from arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "config/ca_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_config *cfg = NULL;

	if (ca_config_parse((const char *)data, size, "fuzz.json", &cfg, NULL) == 0)
		ca_config_free(cfg);
	return 0;
}
