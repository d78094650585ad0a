/* fuzz_linkedca.c - the admin API's provisioner bodies and ca.json provisioner objects
 * (config/linkedca.h).
 *
 * The input is one JSON value. It is read as a linkedca Provisioner (linkedca_to_config) and as
 * a ca.json provisioner (linkedca_from_config). Invariants: a refusal is ERR_INVALID with a
 * message and no output; whatever one direction gives, the other takes; and the linkedca form
 * is a fixed point after one trip (from_config(to_config(from_config(x))) equals
 * from_config(x)).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "config/linkedca.h"

#define FUZZ_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks a refusal: ERR_INVALID, a message, no output. */
static void refused(const json_t *out, const struct error *err)
{
	if (out != NULL || err->kind != ERR_INVALID || err->msg[0] == '\0')
		abort();
}

/* lc (the linkedca form from_config gave) must convert to ca.json and come back unchanged. */
static void check_fixed_point(const json_t *lc)
{
	struct error err = {0};
	json_t *cfg = NULL, *again = NULL;

	if (linkedca_to_config(lc, &cfg, &err) != 0)
		abort();
	if (linkedca_from_config(cfg, NULL, 0, false, &again, &err) != 0)
		abort();
	if (!json_equal((json_t *)lc, again))
		abort();
	json_decref(again);
	json_decref(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = {0};
	json_t *in, *cfg = NULL, *lc = NULL;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	in = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (in == NULL)
		return 0;

	/* as an admin API body */
	if (linkedca_to_config(in, &cfg, &err) == 0) {
		if (!json_is_object(cfg) ||
		    linkedca_from_config(cfg, NULL, 0, false, &lc, &err) != 0)
			abort();
		check_fixed_point(lc);
		json_decref(lc);
		lc = NULL;
	} else {
		refused(cfg, &err);
	}
	json_decref(cfg);

	/* as a ca.json object */
	err = (struct error){0};
	if (linkedca_from_config(in, "id", 1, true, &lc, &err) == 0) {
		if (!json_is_object(lc) || linkedca_to_config(lc, &cfg, &err) != 0)
			abort();
		json_decref(cfg);
		json_decref(lc);
		/* from_config's own output, without the metadata, is a fixed point */
		if (linkedca_from_config(in, NULL, 0, false, &lc, &err) != 0)
			abort();
		check_fixed_point(lc);
	} else {
		refused(lc, &err);
	}
	json_decref(lc);
	json_decref(in);
	return 0;
}
