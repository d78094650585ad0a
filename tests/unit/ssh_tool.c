/* ssh_tool.c - ssh-keygen in a scratch directory for the SSH tests (ssh_tool.h). */
#include "ssh_tool.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/str.h"

static char dir[64];

const char *sshtool_dir(void)
{
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/stride-ssh-XXXXXX");
		if (mkdtemp(dir) == NULL)
			fail_msg("mkdtemp failed");
	}
	return dir;
}

void sshtool_cleanup(void)
{
	char cmd[128];

	if (dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fail_msg("cannot remove %s", dir);
	dir[0] = '\0';
}

const char *sshtool_path(const char *name)
{
	static char slots[8][256];
	static int next;
	char *p = slots[next++ % 8];

	snprintf(p, sizeof(slots[0]), "%s/%s", sshtool_dir(), name);
	return p;
}

char *sshtool_run(int *status, const char *fmt, ...)
{
	va_list ap;
	char *cmd, *full, *out = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];
	FILE *f;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		fail_msg("vasprintf");
	va_end(ap);
	full = xasprintf("cd '%s' && TZ=UTC LC_ALL=C %s", sshtool_dir(), cmd);
	f = popen(full, "r");
	if (f == NULL)
		fail_msg("popen %s", full);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + len, chunk, n);
		len += n;
	}
	st = pclose(f);
	if (out == NULL)
		out = xstrdup("");
	else
		out[len] = '\0';
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	free(cmd);
	free(full);
	return out;
}

void sshtool_write(const char *name, const void *data, size_t n)
{
	FILE *f = fopen(sshtool_path(name), "wb");

	if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0)
		fail_msg("cannot write %s", name);
	chmod(sshtool_path(name), 0600);
}

char *sshtool_read(const char *name, size_t *n)
{
	FILE *f = fopen(sshtool_path(name), "rb");
	char *p = NULL;
	long len = 0;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot read %s", name);
	p = xmalloc((size_t)len + 1);
	if (fread(p, 1, (size_t)len, f) != (size_t)len)
		fail_msg("cannot read %s", name);
	p[len] = '\0';
	fclose(f);
	if (n != NULL)
		*n = (size_t)len;
	return p;
}

char *sshtool_line(const char *name)
{
	char *p = sshtool_read(name, NULL);

	p[strcspn(p, "\r\n")] = '\0';
	return p;
}

void sshtool_keygen(const char *name, const char *type, int bits)
{
	char b[32] = "";
	int st;
	char *out;

	if (bits > 0)
		snprintf(b, sizeof(b), "-b %d", bits);
	out =
	    sshtool_run(&st, "rm -f %s %s.pub && ssh-keygen -q -t %s %s -N '' -C test@stride -f %s",
			name, name, type, b, name);
	free(out);
	if (st != 0)
		fail_msg("ssh-keygen -t %s %s failed (%d)", type, b, st);
}
