/* config_diff.c - what changed between two ca.json files (config_diff.h). */
#include "config/config_diff.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

/* The members of "authority" a running stride-ca applies. */
static const char *const live_authority[] = {"provisioners", "claims", "policy"};
/* The top-level members it applies itself (besides "authority" and the hooks' sections). */
static const char *const live_top[] = {"tls", "limits"};

static bool in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Whether member name differs between objects a and b (absent on one side counts). */
static bool member_changed(const json_t *a, const json_t *b, const char *name)
{
	const json_t *x = json_object_get(a, name), *y = json_object_get(b, name);

	if (x == NULL || y == NULL)
		return x != y;
	return !json_equal(x, y);
}

/* The member names of the objects (NULL or not objects: none), each once: those of the first
 * in its order, then the others' new ones. */
static void member_names(const json_t *const *objs, size_t n, struct strv *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *key;
		json_t *v;

		json_object_foreach((json_t *)objs[i], key, v)
		{
			if (!strv_contains(out, key))
				strv_push(out, key);
		}
	}
}

static char *dotted(const char *parent, const char *name)
{
	return xasprintf("%s.%s", parent, name);
}

/* The members of "authority" (started, running, next: the three "authority" objects). */
static void diff_authority(const json_t *started, const json_t *running, const json_t *next,
			   bool admin, struct config_diff *d)
{
	const json_t *objs[] = {next, running, started};
	struct strv names = {0};

	member_names(objs, 3, &names);
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		char *path = dotted("authority", name);

		if (!in_list(live_authority, sizeof(live_authority) / sizeof(live_authority[0]),
			     name)) {
			if (member_changed(started, next, name))
				strv_push(&d->restart, path);
		} else if (!member_changed(running, next, name)) {
			/* unchanged */
		} else if (strcmp(name, "claims") == 0) {
			d->claims = true;
		} else if (admin) {
			strv_push(&d->ignored, path);
		} else if (strcmp(name, "provisioners") == 0) {
			d->provisioners = true;
		} else {
			d->policy = true;
		}
		free(path);
	}
	strv_free(&names);
}

void config_diff(const struct ca_config *started, const struct ca_config *running,
		 const struct ca_config *next, bool admin, const struct strv *sections,
		 struct config_diff *out)
{
	const json_t *objs[] = {next->doc, running->doc, started->doc};
	struct strv names = {0};

	memset(out, 0, sizeof(*out));
	member_names(objs, 3, &names);
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];

		if (strcmp(name, "authority") == 0) {
			diff_authority(json_object_get(started->doc, name),
				       json_object_get(running->doc, name),
				       json_object_get(next->doc, name), admin, out);
		} else if (in_list(live_top, sizeof(live_top) / sizeof(live_top[0]), name) ||
			   (sections != NULL && strv_contains(sections, name))) {
			if (!member_changed(running->doc, next->doc, name))
				continue;
			if (strcmp(name, "tls") == 0)
				out->tls = true;
			else if (strcmp(name, "limits") == 0)
				out->limits = true;
			else
				strv_push(&out->live, name);
		} else if (member_changed(started->doc, next->doc, name)) {
			strv_push(&out->restart, name);
		}
	}
	strv_free(&names);
}

bool config_diff_live(const struct config_diff *d)
{
	return d->provisioners || d->claims || d->policy || d->tls || d->limits || d->live.n > 0;
}

char *config_diff_join(const struct strv *names)
{
	struct buf b;
	char *s;

	buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < names->n; i++)
		buf_printf(&b, NULL, "%s%s", i > 0 ? ", " : "", names->v[i]);
	s = b.len > 0 ? buf_steal(&b) : xstrdup("");
	buf_free(&b);
	return s;
}

void config_diff_free(struct config_diff *d)
{
	if (d == NULL)
		return;
	strv_free(&d->live);
	strv_free(&d->restart);
	strv_free(&d->ignored);
	memset(d, 0, sizeof(*d));
}
