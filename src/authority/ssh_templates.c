/* ssh_templates.c - a provisioner's options.ssh (provisioners-and-policy.md §4.2): the SSH
 * certificate template and its data, compiled when the configuration loads so that a template
 * that does not parse refuses the configuration instead of failing the first request (step-ca
 * reads and parses it on every request).
 */
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/b64.h"
#include "base/file.h"
#include "base/str.h"
#include "config/defaults.h"
#include "template/template.h"

/* The largest template file read. */
#define SSH_TEMPLATE_MAX (1024 * 1024)

/* The variables of step-ca's default SSH templates that templateData may replace. */
static bool data_overrides(const json_t *data)
{
	static const char *const keys[] = {"Type", "KeyID", "Principals", "Extensions",
					   "CriticalOptions"};

	for (size_t i = 0; data != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(data, keys[i]) != NULL)
			return true;
	return false;
}

/* The template text of options.ssh: *text malloc'd, or NULL when there is none. */
static int template_text(const json_t *ssh, char **text, size_t *len, struct error *err)
{
	const char *inline_tpl = json_string_value(json_object_get(ssh, "template"));
	const char *file = json_string_value(json_object_get(ssh, "templateFile"));
	uint8_t *raw = NULL;
	size_t n = 0;

	*text = NULL;
	*len = 0;
	if (inline_tpl != NULL && inline_tpl[0] != '\0') {
		char *t = str_trim(xstrdup(inline_tpl));

		if (t[0] == '{') { /* step-ca: JSON text in a string */
			*text = t;
			*len = strlen(t);
			return 0;
		}
		/* else base64 of the template */
		if (b64_decode(t, strlen(t), false, &raw, &n, NULL) != 0) {
			free(t);
			return err_set(err, ERR_INVALID, "error decoding ssh template");
		}
		free(t);
		*text = (char *)raw;
		*len = n;
		return 0;
	}
	if (file != NULL && file[0] != '\0') {
		char *path = NULL;

		if (file[0] == '/') {
			path = xstrdup(file);
		} else { /* step-ca resolves it against the step path */
			char *base = stride_base_path();
			path = xasprintf("%s/%s", base, file);
			free(base);
		}
		if (file_read(path, SSH_TEMPLATE_MAX, &raw, &n, err) != 0) {
			err_wrap(err, "error reading %s", path);
			free(path);
			return -1;
		}
		free(path);
		*text = (char *)raw;
		*len = n;
	}
	return 0;
}

int ssh_template_load(struct provisioner *p, struct error *err)
{
	const json_t *ssh = json_object_get(json_object_get(p->config, "options"), "ssh");
	const json_t *data = json_object_get(ssh, "templateData");
	struct ssh_prov_template *t;
	char *text = NULL;
	size_t len = 0;

	if (ssh == NULL || json_is_null(ssh))
		return 0;
	if (!json_is_object(ssh))
		return err_set(err, ERR_INVALID, "options.ssh must be an object");
	if (data != NULL && !json_is_null(data) && !json_is_object(data))
		return err_set(err, ERR_INVALID, "error unmarshaling ssh template data");
	if (json_is_null(data) || json_object_size(data) == 0)
		data = NULL;
	if (template_text(ssh, &text, &len, err) != 0)
		return -1;
	if (text == NULL && data == NULL)
		return 0;
	t = xcalloc(1, sizeof(*t));
	if (text != NULL && tpl_parse("template", text, len, &t->tpl, err) != 0) {
		err_wrap(err, "error parsing ssh template");
		free(text);
		free(t);
		return -1;
	}
	free(text);
	t->data = data != NULL ? json_deep_copy(data) : NULL;
	t->data_overrides = data_overrides(data);
	p->ssh_template = t;
	return 0;
}

void ssh_template_free(struct ssh_prov_template *t)
{
	if (t == NULL)
		return;
	tpl_free(t->tpl);
	json_decref(t->data);
	free(t);
}
