/* ui.h - what the CLI says and asks (as step does).
 *
 * Messages and status lines go to stderr; data to stdout. Prompts read from the terminal
 * (/dev/tty, so they work when stdin is a pipe); with no terminal they fail clearly
 * instead of blocking or guessing.
 */
#ifndef STRIDE_CLI_UI_H
#define STRIDE_CLI_UI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

/* True when stderr is a terminal (and NO_COLOR is not set): ANSI colours are used. */
bool ui_color(void);
/* "✔ <name>: <value>" on stderr; green check and bold name on a terminal. */
void ui_status(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A message line on stderr (a newline is appended). */
void ui_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a failed command's error on stderr: the message, then for CA errors (status set)
 * "Re-run with STRIDEDEBUG=1 for more info." (with STRIDEDEBUG=1: kind and status instead). */
void ui_print_error(const struct error *err);

enum ui_answer { UI_ANSWER_INVALID = 0, UI_ANSWER_YES, UI_ANSWER_NO };
/* Classifies a y/n answer: y, yes, n, no (case-insensitive, surrounding space ignored). */
enum ui_answer ui_parse_yes_no(const char *answer);
/* Asks "Would you like to overwrite <path> [y/n]: " until y/yes/n/no. No -> ERR_CONFLICT
 * "unexpected error on <path>: file exists"; no terminal -> an error telling to use --force. */
int ui_confirm_overwrite(const char *path, struct error *err);
/* Writes path atomically with mode; when it exists and force is false, asks first. */
int ui_write_file(const char *path, const void *data, size_t n, mode_t mode, bool force,
		  struct error *err);
/* Lets the user pick one of n labels on the terminal (numbered list, then
 * "<prompt> [1-n]: "); *choice = index. No terminal -> error. */
int ui_select(const char *prompt, const char *const *labels, size_t n, size_t *choice,
	      struct error *err);
/* Prints JSON on stdout with indent spaces per level and a final newline. */
int ui_print_json(const json_t *j, int indent, struct error *err);

#endif
