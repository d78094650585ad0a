/* password.h - where passwords come from, and wiping them.
 *
 * A password file's content is used whole with trailing whitespace trimmed
 * (step's rule). Prompts read from /dev/tty without echo, so they work when
 * stdin is a pipe; with no terminal they fail with a clear error.
 */
#ifndef STRIDE_BASE_PASSWORD_H
#define STRIDE_BASE_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

#define PASSWORD_MAX 1024

/* Reads a password file, trimming trailing white space (Go's unicode.IsSpace); the result may be
 * empty; *out malloc'd; free with password_free. */
int password_read_file(const char *path, char **out, struct error *err);
/* Prompts on the terminal without echo ("<prompt>: "); *out malloc'd; free with password_free.
 * No terminal: ERR_IO "error allocating terminal". */
int password_prompt(const char *prompt, char **out, struct error *err);
/* Prompts on the terminal with echo for a line of text (trimmed); *out malloc'd. */
int tty_prompt_line(const char *prompt, char **out, struct error *err);
/* True when a terminal is available for prompts (/dev/tty can be opened). */
bool tty_available(void);
/* Generates a random alphanumeric password of len characters; malloc'd. */
int password_generate(size_t len, char **out, struct error *err);
/* Wipes and frees a password (NULL is fine). */
void password_free(char *pw);
/* Wipes n bytes at p (OPENSSL_cleanse). */
void secure_wipe(void *p, size_t n);

#endif
