/* ssh_tool.h - OpenSSH's ssh-keygen run by the SSH tests in a scratch directory: keys and
 * certificates it makes, and what it prints about ours. */
#ifndef STRIDE_TESTS_SSH_TOOL_H
#define STRIDE_TESTS_SSH_TOOL_H

#include <stddef.h>
#include <stdint.h>

/* Makes a scratch directory (mkdtemp under /tmp); its path is static. Aborts on failure. */
const char *sshtool_dir(void);
/* Removes the scratch directory and what is in it. */
void sshtool_cleanup(void);
/* The path of name inside the scratch directory (static buffer rotating over 8 slots). */
const char *sshtool_path(const char *name);
/* Runs a shell command (printf-style) in the scratch directory with TZ=UTC; returns its stdout
 * (malloc'd) and sets *status to its exit status. */
char *sshtool_run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes data to the file name of the scratch directory with mode 0600. */
void sshtool_write(const char *name, const void *data, size_t n);
/* Reads the file name of the scratch directory (malloc'd, NUL-terminated). */
char *sshtool_read(const char *name, size_t *n);
/* The first line of the file name without its newline (malloc'd). */
char *sshtool_line(const char *name);
/* Generates a key with ssh-keygen: type "ed25519", "ecdsa", "rsa"; bits 0 for the default;
 * no passphrase; comment "test@stride". */
void sshtool_keygen(const char *name, const char *type, int bits);

#endif
