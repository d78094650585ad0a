/* url.h - percent-encoding of URL parts. */
#ifndef STRIDE_BASE_URL_H
#define STRIDE_BASE_URL_H

#include <stdbool.h>
#include <stddef.h>

/* Percent-decodes n bytes of s; '+' becomes a space when plus is set. Fails (returns -1) on a
 * malformed escape, a decoded NUL or an output longer than max bytes. out gets max+1 bytes. */
int url_unescape(const char *s, size_t n, bool plus, char *out, size_t max);
/* s escaped as one path segment, as Go's url.PathEscape does ("acme x" -> "acme%20x");
 * malloc'd. */
char *url_path_escape(const char *s);

#endif
