/* json_write.c - the Go-compatible JSON writer: documents come out as step, a Go program, writes
 * them with encoding/json's MarshalIndent, so that a ca.json written by stride reads and diffs
 * like one written by step.
 *
 * What "Go-compatible" means here:
 * - Layout of MarshalIndent with an empty prefix: each member or element on its own line,
 *   indented one unit per level (a tab for ca.json; the unit is the caller's choice), ": "
 *   between a key and its value, "," at the end of every line but the last; an empty object
 *   or array stays "{}" / "[]" on one line. A newline ends the document, as in the files
 *   step writes.
 * - Strings escaped as encoding/json's HTML-safe default does (base/json_escape.h with
 *   JSON_ESCAPE_HTML): '"', '\\', \b \f \n \r \t, other control bytes as \u00XX with lowercase
 *   hex, '<' '>' '&' as \u003c \u003e \u0026, U+2028 and U+2029 as \u2028 and \u2029. Go
 *   would also write \ufffd for invalid UTF-8; jansson strings are valid UTF-8 already, so
 *   bytes >= 0x80 are copied.
 * - Keys in the document's order (jansson keeps insertion order; Go writes struct fields in
 *   declaration order): callers build documents in step's order.
 * Not like Go: a real is written as the shortest text that reads back as the same double and
 * keeps a ".0" (Go writes 1.0 as 1), so that it is still a real when read back.
 */
#include "config/json_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json_escape.h"
#include "base/password.h"

#define JSON_WRITE_MAX	     (64u * 1024u * 1024u)
#define JSON_WRITE_MAX_DEPTH 2048

struct writer {
	struct buf b;
	int indent; /* > 0: one tab per level; 0: two spaces; < 0: -indent spaces */
	struct error *err;
};

static int w_str(struct writer *w, const char *s)
{
	return buf_append_str(&w->b, s, w->err);
}

static int w_newline(struct writer *w, int level)
{
	if (w_str(w, "\n") != 0)
		return -1;
	for (int i = 0; i < level; i++) {
		int rc = w->indent > 0	  ? w_str(w, "\t")
			 : w->indent == 0 ? w_str(w, "  ")
					  : buf_printf(&w->b, w->err, "%*s", -w->indent, "");
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int w_string(struct writer *w, const char *s, size_t n)
{
	return json_escape_buf(&w->b, s, n, JSON_ESCAPE_HTML, w->err);
}

/* The shortest text that reads back as the same double; keeps a ".0" so it stays a real. */
static int w_real(struct writer *w, double v)
{
	char text[64];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*g", prec, v);
		if (strtod(text, NULL) == v)
			break;
	}
	if (strpbrk(text, ".eEin") == NULL)
		strcat(text, ".0");
	return w_str(w, text);
}

static int w_value(struct writer *w, const json_t *v, int level)
{
	const char *key;
	json_t *item;
	size_t i, n;

	if (level > JSON_WRITE_MAX_DEPTH)
		return err_set(w->err, ERR_INVALID, "JSON document nested too deeply");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0)
			return w_str(w, "{}");
		if (w_str(w, "{") != 0)
			return -1;
		n = 0;
		json_object_foreach((json_t *)v, key, item)
		{
			if ((n++ > 0 && w_str(w, ",") != 0) || w_newline(w, level + 1) != 0 ||
			    w_string(w, key, strlen(key)) != 0 || w_str(w, ": ") != 0 ||
			    w_value(w, item, level + 1) != 0)
				return -1;
		}
		if (w_newline(w, level) != 0)
			return -1;
		return w_str(w, "}");
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			return w_str(w, "[]");
		if (w_str(w, "[") != 0)
			return -1;
		json_array_foreach(v, i, item)
		{
			if ((i > 0 && w_str(w, ",") != 0) || w_newline(w, level + 1) != 0 ||
			    w_value(w, item, level + 1) != 0)
				return -1;
		}
		if (w_newline(w, level) != 0)
			return -1;
		return w_str(w, "]");
	case JSON_STRING:
		return w_string(w, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return buf_printf(&w->b, w->err, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return w_real(w, json_real_value(v));
	case JSON_TRUE:
		return w_str(w, "true");
	case JSON_FALSE:
		return w_str(w, "false");
	case JSON_NULL:
	default:
		return w_str(w, "null");
	}
}

int config_json_format(const json_t *doc, int indent, char **out, size_t *len, struct error *err)
{
	struct writer w = {.indent = indent, .err = err};
	int rc = -1;

	*out = NULL;
	buf_init(&w.b, JSON_WRITE_MAX);
	if (doc == NULL) {
		err_set(err, ERR_INTERNAL, "no JSON document to write");
		goto out;
	}
	if (w_value(&w, doc, 0) != 0 || w_str(&w, "\n") != 0)
		goto out;
	*len = w.b.len;
	*out = buf_steal(&w.b);
	rc = 0;
out:
	buf_free(&w.b);
	return rc;
}

int config_write_json(const char *path, const json_t *doc, int indent_tabs, mode_t mode,
		      struct error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (config_json_format(doc, indent_tabs, &text, &len, err) != 0)
		goto out;
	rc = file_write_atomic(path, text, len, mode, err);
out:
	if (text != NULL)
		secure_wipe(text, len); /* ca.json may hold a password */
	free(text);
	return rc;
}
