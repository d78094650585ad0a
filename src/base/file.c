/* file.c - bounded reads and atomic (temp + fsync + rename) writes. */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/password.h"
#include "base/str.h"

static int os_error(struct error *err, const char *op, const char *path, int e)
{
	return err_set(err, e == ENOENT ? ERR_NOT_FOUND : ERR_IO, "%s %s: %s", op, path,
		       strerror(e));
}

static int too_large(struct error *err, const char *path, size_t max)
{
	return err_set(err, ERR_TOO_LARGE, "read %s: file exceeds the maximum of %zu bytes", path,
		       max);
}

int file_read(const char *path, size_t max, uint8_t **out, size_t *outlen, struct error *err)
{
	struct buf b;
	struct stat st;
	uint8_t chunk[8192];
	int fd, rc = -1;

	buf_init(&b, max);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		os_error(err, "open", path, errno);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		os_error(err, "stat", path, errno);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err_set(err, ERR_IO, "read %s: %s", path, strerror(EISDIR));
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		too_large(err, path, max);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, ERR_IO, "read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (buf_append(&b, chunk, (size_t)n, NULL) != 0) {
			too_large(err, path, max);
			goto out;
		}
	}
	*outlen = b.len;
	*out = (uint8_t *)buf_steal(&b);
	rc = 0;
out:
	secure_wipe(chunk, sizeof(chunk));
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return rc;
}

/* Splits path into a malloc'd directory ("." when none) and a pointer to its last element. */
static char *dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*base = path;
		return xstrdup(".");
	}
	*base = slash + 1;
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

static int fsync_dir(const char *dir, struct error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return os_error(err, "open", dir, errno);
	/* Some file systems cannot sync a directory; that is not a failure of ours. */
	if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
		rc = os_error(err, "fsync", dir, errno);
	close(fd);
	return rc;
}

/* Creates a temp file beside path holding data with mode, fsync'd and closed; *tmp_out malloc'd.
 * On failure nothing is left behind. */
static int write_temp(const char *path, const void *data, size_t n, mode_t mode, char **tmp_out,
		      struct error *err)
{
	const uint8_t *p = data;
	const char *base;
	char *dir = dir_of(path, &base);
	char *tmp = NULL;
	int fd = -1, rc = -1;

	if (*base == '\0') {
		err_set(err, ERR_INVALID, "open %s: is a directory", path);
		goto out;
	}
	tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		os_error(err, "open", path, errno);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			os_error(err, "write", path, errno);
			goto out;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fchmod(fd, mode) != 0) {
		os_error(err, "chmod", path, errno);
		goto out;
	}
	if (fsync(fd) != 0) {
		os_error(err, "fsync", path, errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		os_error(err, "close", path, errno);
		goto out;
	}
	fd = -1;
	*tmp_out = tmp;
	tmp = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rc;
}

static int rename_into_place(const char *tmp, const char *path, struct error *err)
{
	if (rename(tmp, path) != 0)
		return os_error(err, "rename", path, errno);
	return 0;
}

static int sync_parent(const char *path, struct error *err)
{
	const char *base;
	char *dir = dir_of(path, &base);
	int rc = fsync_dir(dir, err);

	free(dir);
	return rc;
}

int file_write_atomic(const char *path, const void *data, size_t n, mode_t mode, struct error *err)
{
	char *tmp = NULL;
	int rc = -1;

	if (write_temp(path, data, n, mode, &tmp, err) != 0)
		goto out;
	if (rename_into_place(tmp, path, err) != 0)
		goto out;
	free(tmp);
	tmp = NULL;
	if (sync_parent(path, err) != 0)
		goto out;
	rc = 0;
out:
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return rc;
}

int file_write_pair_atomic(const char *path1, const void *d1, size_t n1, mode_t m1,
			   const char *path2, const void *d2, size_t n2, mode_t m2,
			   struct error *err)
{
	char *tmp1 = NULL, *tmp2 = NULL, *dir1 = NULL, *dir2 = NULL;
	const char *base;
	int rc = -1;

	if (write_temp(path1, d1, n1, m1, &tmp1, err) != 0)
		goto out;
	if (write_temp(path2, d2, n2, m2, &tmp2, err) != 0)
		goto out;
	if (rename_into_place(tmp1, path1, err) != 0)
		goto out;
	free(tmp1);
	tmp1 = NULL;
	if (rename_into_place(tmp2, path2, err) != 0)
		goto out;
	free(tmp2);
	tmp2 = NULL;
	dir1 = dir_of(path1, &base);
	dir2 = dir_of(path2, &base);
	if (fsync_dir(dir1, err) != 0)
		goto out;
	if (strcmp(dir1, dir2) != 0 && fsync_dir(dir2, err) != 0)
		goto out;
	rc = 0;
out:
	if (tmp1 != NULL) {
		unlink(tmp1);
		free(tmp1);
	}
	if (tmp2 != NULL) {
		unlink(tmp2);
		free(tmp2);
	}
	free(dir1);
	free(dir2);
	return rc;
}

bool file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int file_mkdir_p(const char *dir, mode_t mode, struct error *err)
{
	char *p = xstrdup(dir);
	struct stat st;
	int rc = -1;

	for (char *s = p + 1;; s++) {
		bool last = *s == '\0';
		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (s[-1] != '/' && mkdir(p, mode) != 0) {
			if (errno != EEXIST) {
				os_error(err, "mkdir", p, errno);
				goto out;
			}
			if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
				err_set(err, ERR_IO, "mkdir %s: %s", p, strerror(ENOTDIR));
				goto out;
			}
		}
		if (last)
			break;
		*s = '/';
	}
	rc = 0;
out:
	free(p);
	return rc;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (la == 0)
		return xstrdup(b);
	if (*b == '\0')
		return xstrdup(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 1 && a[0] == '/')
		return xasprintf("/%s", b);
	return xasprintf("%.*s/%s", (int)la, a, b);
}

char *path_clean(const char *path)
{
	size_t n = strlen(path);
	bool abs = path[0] == '/';
	char *out = xmalloc(n + 2);
	size_t o = 0, dotdot_floor = 0; /* output before dotdot_floor cannot be removed by ".." */
	const char *p = path;

	if (abs)
		out[o++] = '/';
	dotdot_floor = o;
	while (*p != '\0') {
		const char *e = p;
		size_t len;
		while (*e != '\0' && *e != '/')
			e++;
		len = (size_t)(e - p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* skip empty and "." elements */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (o > dotdot_floor) {
				while (o > dotdot_floor && out[o - 1] != '/')
					o--;
				if (o > dotdot_floor)
					o--; /* the separator */
			} else if (!abs) {
				if (o > 0)
					out[o++] = '/';
				out[o++] = '.';
				out[o++] = '.';
				dotdot_floor = o;
			}
		} else {
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p = *e == '/' ? e + 1 : e;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

char *path_absolute(const char *path)
{
	char *cwd, *joined, *clean;

	if (path[0] == '/')
		return path_clean(path);
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return NULL;
	joined = path_join(cwd, path);
	clean = path_clean(joined);
	free(cwd);
	free(joined);
	return clean;
}
