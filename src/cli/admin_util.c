/* admin_util.c - tabwriter layout, admin paths and policy edits for the admin commands. */
#include "cli/admin_util.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

#define TAB_WIDTH 8
#define PADDING	  1

/* --- tabwriter ------------------------------------------------------------------------------- */

struct tw_line {
	const char **cells; /* pointers into the text copy */
	size_t *widths;	    /* in characters */
	size_t n;
};

static size_t utf8_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static void tw_pad(struct buf *b, size_t textw, size_t cellw)
{
	size_t w = (cellw + TAB_WIDTH - 1) / TAB_WIDTH * TAB_WIDTH;
	size_t tabs = (w - textw + TAB_WIDTH - 1) / TAB_WIDTH;

	for (size_t i = 0; i < tabs; i++)
		buf_append(b, "\t", 1, NULL);
}

static void tw_write_lines(struct buf *b, const struct tw_line *lines, size_t from, size_t to,
			   const size_t *widths, size_t nwidths)
{
	for (size_t l = from; l < to; l++) {
		for (size_t j = 0; j < lines[l].n; j++) {
			buf_append_str(b, lines[l].cells[j], NULL);
			if (j < nwidths && j + 1 < lines[l].n)
				tw_pad(b, lines[l].widths[j], widths[j]);
		}
		buf_append(b, "\n", 1, NULL);
	}
}

/* Go's Writer.format: column blocks of consecutive lines that have a cell in this column. */
static void tw_format(struct buf *b, const struct tw_line *lines, size_t line0, size_t line1,
		      size_t *widths, size_t nwidths)
{
	size_t column = nwidths;

	for (size_t this = line0; this < line1; this ++) {
		size_t width = 0;
		if (lines[this].n == 0 || column >= lines[this].n - 1)
			continue;
		tw_write_lines(b, lines, line0, this, widths, nwidths);
		line0 = this;
		for (; this < line1; this ++) {
			if (lines[this].n == 0 || column >= lines[this].n - 1)
				break;
			if (lines[this].widths[column] + PADDING > width)
				width = lines[this].widths[column] + PADDING;
		}
		widths[nwidths] = width;
		tw_format(b, lines, line0, this, widths, nwidths + 1);
		line0 = this;
		if (this == line1)
			break;
	}
	tw_write_lines(b, lines, line0, line1, widths, nwidths);
}

char *tabwriter_format(const char *text)
{
	char *copy = xstrdup(text), *p = copy;
	struct tw_line *lines = NULL;
	size_t nlines = 0, maxcells = 0, *widths;
	struct buf b;

	buf_init(&b, (size_t)16 << 20);
	while (*p != '\0') {
		char *end = strchr(p, '\n');
		struct tw_line *l;
		if (end != NULL)
			*end = '\0';
		lines = xrealloc(lines, (nlines + 1) * sizeof(*lines));
		l = &lines[nlines++];
		memset(l, 0, sizeof(*l));
		for (char *c = p;;) {
			char *tab = strchr(c, '\t');
			if (tab != NULL)
				*tab = '\0';
			l->cells = xrealloc(l->cells, (l->n + 1) * sizeof(*l->cells));
			l->widths = xrealloc(l->widths, (l->n + 1) * sizeof(*l->widths));
			l->cells[l->n] = c;
			l->widths[l->n++] = utf8_width(c);
			if (tab == NULL)
				break;
			c = tab + 1;
		}
		if (l->n > maxcells)
			maxcells = l->n;
		if (end == NULL)
			break;
		p = end + 1;
	}
	widths = xcalloc(maxcells + 1, sizeof(*widths));
	tw_format(&b, lines, 0, nlines, widths, 0);
	free(widths);
	for (size_t i = 0; i < nlines; i++) {
		free(lines[i].cells);
		free(lines[i].widths);
	}
	free(lines);
	free(copy);
	if (b.len == 0)
		return xstrdup("");
	return buf_steal(&b);
}

int admin_cli_result(int rc, struct error *err)
{
	if (rc != 0 && err != NULL && err->status != 0)
		err_reclassify(err, err->kind, err->expose);
	return rc;
}

/* --- paths and names ------------------------------------------------------------------------- */

char *admin_path_escape(const char *segment)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, (size_t)16 << 20);
	for (const unsigned char *c = (const unsigned char *)segment; *c != '\0'; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("-_.~$&+,:;=@", *c) != NULL) {
			buf_append(&b, c, 1, NULL);
		} else {
			char e[3] = {'%', hex[*c >> 4], hex[*c & 15]};
			buf_append(&b, e, 3, NULL);
		}
	}
	if (b.len == 0)
		return xstrdup("");
	return buf_steal(&b);
}

const char *admin_type_name(const json_t *type)
{
	if (json_is_string(type)) {
		const char *s = json_string_value(type);
		if (strcmp(s, "ADMIN") == 0 || strcmp(s, "SUPER_ADMIN") == 0)
			return strcmp(s, "ADMIN") == 0 ? "ADMIN" : "SUPER_ADMIN";
		return "UNKNOWN";
	}
	switch (json_integer_value(type)) {
	case 1:
		return "ADMIN";
	case 2:
		return "SUPER_ADMIN";
	default:
		return "UNKNOWN";
	}
}

/* --- policies -------------------------------------------------------------------------------- */

/* A member by its camelCase name or its snake_case alias. */
static const json_t *member(const json_t *o, const char *camel, const char *snake)
{
	const json_t *v = json_object_get(o, camel);

	if (v == NULL && snake != NULL)
		v = json_object_get(o, snake);
	return v;
}

struct field {
	const char *camel, *snake;
};

static const struct field x509_names[] = {
    {"dns", NULL}, {"ips", NULL}, {"emails", NULL}, {"uris", NULL}, {"commonNames", "common_names"},
    {NULL, NULL}};
static const struct field host_names[] = {
    {"dns", NULL}, {"ips", NULL}, {"principals", NULL}, {NULL, NULL}};
static const struct field user_names[] = {{"emails", NULL}, {"principals", NULL}, {NULL, NULL}};

/* The names object in canonical form: the string lists of fields, non-empty ones only. */
static json_t *names_canonical(const json_t *in, const struct field *fields)
{
	json_t *out = json_object();

	for (const struct field *f = fields; f->camel != NULL; f++) {
		const json_t *l = member(in, f->camel, f->snake);
		json_t *copy = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(l, i, v)
		{
			if (json_is_string(v))
				json_array_append(copy, v);
		}
		if (json_array_size(copy) > 0)
			json_object_set_new(out, f->camel, copy);
		else
			json_decref(copy);
	}
	return out;
}

/* allow/deny of an object, kept when present (or when fill). */
static json_t *rules_canonical(const json_t *in, const struct field *fields, bool fill)
{
	json_t *out = json_object();
	static const char *const keys[] = {"allow", "deny"};

	for (size_t k = 0; k < 2; k++) {
		const json_t *v = json_object_get(in, keys[k]);
		if (json_is_object(v) || fill)
			json_object_set_new(out, keys[k], names_canonical(v, fields));
	}
	return out;
}

static json_t *canonical(const json_t *p, bool fill)
{
	json_t *out = json_object();
	const json_t *x509 = json_object_get(p, "x509"), *ssh = json_object_get(p, "ssh");

	if (json_is_object(x509) || fill) {
		json_t *x = rules_canonical(x509, x509_names, fill);
		if (json_is_true(member(x509, "allowWildcardNames", "allow_wildcard_names")))
			json_object_set_new(x, "allowWildcardNames", json_true());
		json_object_set_new(out, "x509", x);
	}
	if (json_is_object(ssh) || fill) {
		json_t *s = json_object();
		const json_t *host = json_object_get(ssh, "host"),
			     *user = json_object_get(ssh, "user");
		if (json_is_object(host) || fill)
			json_object_set_new(s, "host", rules_canonical(host, host_names, fill));
		if (json_is_object(user) || fill)
			json_object_set_new(s, "user", rules_canonical(user, user_names, fill));
		json_object_set_new(out, "ssh", s);
	}
	return out;
}

json_t *policy_canonical(const json_t *p)
{
	return canonical(p, false);
}

json_t *policy_initialized(const json_t *p)
{
	return canonical(p, true);
}

json_t *policy_list(json_t *policy, const char *scope, const char *action, const char *name)
{
	json_t *o = policy, *l;
	const char *path[4] = {scope, NULL, NULL, NULL};
	size_t n = 1;

	if (strcmp(scope, "ssh.host") == 0 || strcmp(scope, "ssh.user") == 0) {
		path[0] = "ssh";
		path[1] = scope + 4;
		n = 2;
	}
	path[n++] = action;
	for (size_t i = 0; i < n; i++) {
		json_t *next = json_object_get(o, path[i]);
		if (!json_is_object(next)) {
			next = json_object();
			json_object_set_new(o, path[i], next);
		}
		o = next;
	}
	l = json_object_get(o, name);
	if (!json_is_array(l)) {
		l = json_array();
		json_object_set_new(o, name, l);
	}
	return l;
}

void policy_list_edit(json_t *list, const struct strv *values, bool remove)
{
	for (size_t i = 0; i < values->n; i++) {
		if (!remove) {
			json_array_append_new(list, json_string(values->v[i]));
			continue;
		}
		for (size_t j = json_array_size(list); j > 0; j--) {
			const char *s = json_string_value(json_array_get(list, j - 1));
			if (s != NULL && strcmp(s, values->v[i]) == 0)
				json_array_remove(list, j - 1);
		}
	}
}

static void dedup_list(json_t *list)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *s = json_string_value(json_array_get(list, i));
		for (size_t j = json_array_size(list); j > i + 1; j--) {
			const char *t = json_string_value(json_array_get(list, j - 1));
			if (s != NULL && t != NULL && strcmp(s, t) == 0)
				json_array_remove(list, j - 1);
		}
	}
}

/* Every array anywhere under o. */
static void dedup_all(json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		if (json_is_array(v))
			dedup_list(v);
		else if (json_is_object(v))
			dedup_all(v);
	}
}

void policy_deduplicate(json_t *policy)
{
	dedup_all(policy);
}

char *policy_pretty(const json_t *policy)
{
	json_t *c = policy_canonical(policy);
	char *s = json_dumps(c, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
	char *out = xasprintf("%s\n", s != NULL ? s : "{}");

	free(s);
	json_decref(c);
	return out;
}
