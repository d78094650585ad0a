/* file.h - reading and writing files safely.
 *
 * Writes are atomic: data goes to a temporary file in the same directory,
 * is fsync'd, then renamed over the target and the directory is fsync'd, so a
 * reader sees either the old or the new content, never a mix. Private keys
 * are written with mode 0600.
 */
#ifndef STRIDE_BASE_FILE_H
#define STRIDE_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

#define FILE_MAX_DEFAULT (16u * 1024u * 1024u)

/* Reads a whole file (at most max bytes, else ERR_TOO_LARGE); *out is NUL-terminated, malloc'd,
 * caller frees. Missing file -> ERR_NOT_FOUND with "open <path>: No such file or directory". */
int file_read(const char *path, size_t max, uint8_t **out, size_t *outlen, struct error *err);
/* Atomically replaces path with data using mode for a new file (an existing file keeps the
 * given mode too: we always set it). */
int file_write_atomic(const char *path, const void *data, size_t n, mode_t mode, struct error *err);
/* Atomically replaces two files as a pair (cert then key, both fsync'd before either rename) so
 * a crash leaves both old or, at worst, a new cert beside an old key for an instant. */
int file_write_pair_atomic(const char *path1, const void *d1, size_t n1, mode_t m1,
			   const char *path2, const void *d2, size_t n2, mode_t m2,
			   struct error *err);
/* True when path exists (any type). */
bool file_exists(const char *path);
/* Creates dir and its parents with mode (existing dirs are fine). */
int file_mkdir_p(const char *dir, mode_t mode, struct error *err);
/* Joins two path parts with exactly one '/'; malloc'd, caller frees. */
char *path_join(const char *a, const char *b);
/* Cleans a path lexically like Go's filepath.Clean ("a//b/../c/." -> "a/c"); malloc'd. */
char *path_clean(const char *path);
/* Makes path absolute against the current directory and cleans it; malloc'd, caller frees;
 * NULL when the current directory cannot be determined. */
char *path_absolute(const char *path);

#endif
