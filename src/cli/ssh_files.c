/* ssh_files.c - how `ssh config` merges the CA's templates into files, as step does: snippets
 * between markers, prepended lines, paths under $STRIDEPATH or ~. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/str.h"
#include "cli/ssh_common.h"

#define SNIPPET_FILE_MAX (16u * 1024u * 1024u)

/* The byte range [*start, *end) of the first marked block of text, or (len, len). */
static void find_block(const char *text, size_t len, size_t *start, size_t *end)
{
	size_t off = 0;
	bool in = false;

	*start = *end = len;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t next = nl != NULL ? (size_t)(nl - text) + 1 : len;
		const char *line = text + off;
		size_t n = next - off;
		if (!in && n >= strlen(SSH_SNIPPET_HEADER) &&
		    strncmp(line, SSH_SNIPPET_HEADER, strlen(SSH_SNIPPET_HEADER)) == 0) {
			in = true;
			*start = off;
		} else if (in && n >= strlen(SSH_SNIPPET_FOOTER) &&
			   strncmp(line, SSH_SNIPPET_FOOTER, strlen(SSH_SNIPPET_FOOTER)) == 0) {
			*end = next;
			return;
		}
		off = next;
	}
	*start = *end = len; /* no complete block: append */
}

char *ssh_snippet_merge(const char *old, const char *content, const char *timestamp)
{
	size_t len = old != NULL ? strlen(old) : 0, start, end;
	struct buf b;

	buf_init(&b, SNIPPET_FILE_MAX);
	find_block(old != NULL ? old : "", len, &start, &end);
	if (len > 0) {
		buf_append(&b, old, start, NULL);
		if (start == end)
			buf_append_str(&b, "\n", NULL);
	}
	buf_append_str(&b, SSH_SNIPPET_HEADER " @ ", NULL);
	buf_append_str(&b, timestamp, NULL);
	buf_append_str(&b, "\n", NULL);
	buf_append_str(&b, content, NULL);
	if (content[0] == '\0' || content[strlen(content) - 1] != '\n')
		buf_append_str(&b, "\n", NULL);
	buf_append_str(&b, SSH_SNIPPET_FOOTER "\n", NULL);
	if (len > 0)
		buf_append(&b, old + end, len - end, NULL);
	return buf_steal(&b);
}

char *ssh_prepend_line(const char *old, const char *line)
{
	struct buf b;
	const char *p = old != NULL ? old : "";

	buf_init(&b, SNIPPET_FILE_MAX);
	buf_append_str(&b, line, NULL);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > 0 && !(n >= strlen(line) && strncmp(p, line, strlen(line)) == 0)) {
			buf_append_str(&b, "\n", NULL);
			buf_append(&b, p, n, NULL);
		}
		p += n + (nl != NULL ? 1 : 0);
	}
	return buf_steal(&b);
}

char *ssh_template_path(const char *path, const char *home, const char *cwd,
			const char *stride_path, const char *base_path)
{
	const char *var = "${STEPPATH}", *at = strstr(path, var);
	char *p, *out;

	if (at != NULL)
		p = xasprintf("%.*s%s%s", (int)(at - path), path, base_path, at + strlen(var));
	else
		p = xstrdup(path);
	if (p[0] == '/')
		return p;
	if (str_has_prefix(p, "~/"))
		out = path_join(home, p + 2);
	else if (str_has_prefix(p, "./") || str_has_prefix(p, "../")) {
		char *joined = path_join(cwd, p);
		out = path_clean(joined);
		free(joined);
	} else
		out = path_join(stride_path, p);
	free(p);
	return out;
}
