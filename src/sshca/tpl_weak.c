/* tpl_weak.c - placeholders for the template engine until it is merged (removed then). */
#include "template/template.h"

__attribute__((weak)) int tpl_parse(const char *name, const char *src, size_t len, struct tpl **out,
				    struct error *err)
{
	(void)name;
	(void)src;
	(void)len;
	*out = NULL;
	return err_set(err, ERR_NOT_IMPLEMENTED, "templates are not available");
}

__attribute__((weak)) int tpl_execute(const struct tpl *t, const json_t *data, struct buf *out,
				      struct error *err)
{
	(void)t;
	(void)data;
	(void)out;
	return err_set(err, ERR_NOT_IMPLEMENTED, "templates are not available");
}

__attribute__((weak)) void tpl_free(struct tpl *t)
{
	(void)t;
}
