/* template_data.c - the --set and --set-file flags (step's flags.GetTemplateData). */
#include "cli/template_data.h"

#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/str.h"

#define SET_FILE_MAX (1024 * 1024)

int cli_template_data(const struct cli_ctx *ctx, json_t **out, struct error *err)
{
	const char *path;
	const struct strv *sets;
	json_t *data;

	*out = NULL;
	/* a command without the flags (an admin login's internal sign) sends no data */
	if (!flag_defined(ctx, "set") || !flag_defined(ctx, "set-file"))
		return 0;
	path = flag_str(ctx, "set-file");
	sets = flag_list(ctx, "set");
	data = json_object();
	if (path != NULL && *path != '\0') {
		uint8_t *text = NULL;
		size_t n = 0;
		json_error_t jerr;
		json_t *doc;

		if (file_read(path, SET_FILE_MAX, &text, &n, err) != 0) {
			json_decref(data);
			return -1;
		}
		doc = json_loadb((const char *)text, n, JSON_DECODE_ANY, &jerr);
		free(text);
		if (!json_is_object(doc)) {
			json_decref(doc);
			json_decref(data);
			return err_set(err, ERR_INVALID, "error unmarshaling %s: %s", path,
				       doc == NULL ? jerr.text
						   : "the file must hold a JSON object");
		}
		json_object_update(data, doc);
		json_decref(doc);
	}
	for (size_t i = 0; sets != NULL && i < sets->n; i++) {
		const char *eq = strchr(sets->v[i], '=');
		char *key;
		json_t *v;

		if (eq == NULL) {
			json_decref(data);
			return cli_err_invalid(err, "set", sets->v[i], NULL);
		}
		key = xstrdup(sets->v[i]);
		key[eq - sets->v[i]] = '\0';
		v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
		if (v == NULL)
			v = json_string(eq + 1);
		if (v == NULL) { /* not UTF-8 */
			free(key);
			json_decref(data);
			return cli_err_invalid(err, "set", sets->v[i], NULL);
		}
		json_object_set_new(data, key, v);
		free(key);
	}
	if (json_object_size(data) == 0) {
		json_decref(data);
		return 0;
	}
	*out = data;
	return 0;
}
