/* util.c - Go-style formatting for the messages step-ca clients expect. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority/internal.h"
#include "base/duration.h"

/* Go's fmt of a []string: "[a b c]"; malloc'd. */
char *go_list(const struct strv *sv)
{
	size_t len = 3;
	char *s;

	for (size_t i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + 1;
	s = xmalloc(len);
	strcpy(s, "[");
	for (size_t i = 0; i < sv->n; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, sv->v[i]);
	}
	strcat(s, "]");
	return s;
}

/* Go's default time format in UTC: "2026-11-22 02:51:38 +0000 UTC". */
char *go_time(int64_t t_ns, char *out, size_t n)
{
	time_t t = (time_t)(t_ns / NS_PER_SEC);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	return out;
}
