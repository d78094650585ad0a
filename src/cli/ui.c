/* ui.c - status lines, prompts and output files of the CLI. */
#include "cli/ui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/password.h"
#include "base/str.h"

#define ANSI_GREEN "\033[32m"
#define ANSI_BOLD  "\033[1m"
#define ANSI_RESET "\033[0m"

bool ui_color(void)
{
	const char *no = getenv("NO_COLOR");

	return isatty(STDERR_FILENO) == 1 && (no == NULL || no[0] == '\0');
}

void ui_status(const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ui_color())
		fprintf(stderr, ANSI_GREEN "✔" ANSI_RESET " " ANSI_BOLD "%s:" ANSI_RESET " ", name);
	else
		fprintf(stderr, "✔ %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void ui_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void ui_print_error(const struct error *err)
{
	const char *debug = getenv("STRIDEDEBUG");

	fprintf(stderr, "%s\n", err->msg[0] != '\0' ? err->msg : "unknown error");
	if (debug != NULL && strcmp(debug, "1") == 0)
		fprintf(stderr, "(error kind: %s, HTTP status: %d)\n", err_kind_name(err->kind),
			err->status);
	else if (err->status != 0)
		fprintf(stderr, "Re-run with STRIDEDEBUG=1 for more info.\n");
	fflush(stderr);
}

enum ui_answer ui_parse_yes_no(const char *answer)
{
	char buf[8];
	size_t n;

	if (answer == NULL)
		return UI_ANSWER_INVALID;
	while (*answer == ' ' || *answer == '\t' || *answer == '\r' || *answer == '\n')
		answer++;
	n = strlen(answer);
	while (n > 0 && strchr(" \t\r\n", answer[n - 1]) != NULL)
		n--;
	if (n == 0 || n >= sizeof(buf))
		return UI_ANSWER_INVALID;
	memcpy(buf, answer, n);
	buf[n] = '\0';
	if (str_eq_nocase(buf, "y") || str_eq_nocase(buf, "yes"))
		return UI_ANSWER_YES;
	if (str_eq_nocase(buf, "n") || str_eq_nocase(buf, "no"))
		return UI_ANSWER_NO;
	return UI_ANSWER_INVALID;
}

int ui_confirm_overwrite(const char *path, struct error *err)
{
	char *prompt = NULL, *line = NULL;
	enum ui_answer a = UI_ANSWER_INVALID;
	int rc = -1;

	if (!tty_available()) {
		err_set(err, ERR_CONFLICT,
			"%s already exists and there is no terminal to confirm overwriting it; "
			"use --force to overwrite it",
			path);
		goto out;
	}
	prompt = xasprintf("Would you like to overwrite %s [y/n]", path);
	while (a == UI_ANSWER_INVALID) {
		free(line);
		line = NULL;
		if (tty_prompt_line(prompt, &line, err) != 0)
			goto out;
		a = ui_parse_yes_no(line);
		if (a == UI_ANSWER_INVALID)
			fprintf(stderr, "Please answer y, yes, n or no.\n");
	}
	if (a == UI_ANSWER_NO) {
		err_set(err, ERR_CONFLICT, "unexpected error on %s: file exists", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	free(prompt);
	return rc;
}

int ui_write_file(const char *path, const void *data, size_t n, mode_t mode, bool force,
		  struct error *err)
{
	if (!force && file_exists(path) && ui_confirm_overwrite(path, err) != 0)
		return -1;
	return file_write_atomic(path, data, n, mode, err);
}

int ui_select(const char *prompt, const char *const *labels, size_t n, size_t *choice,
	      struct error *err)
{
	char *line = NULL, *q = NULL;
	long long pick = 0;
	FILE *tty = NULL;
	int rc = -1;

	if (n == 0)
		return err_set(err, ERR_INVALID, "nothing to choose from");
	tty = fopen("/dev/tty", "w");
	if (tty == NULL) {
		err_set(err, ERR_IO, "error allocating terminal");
		goto out;
	}
	fprintf(tty, "%s\n", prompt);
	for (size_t i = 0; i < n; i++)
		fprintf(tty, "  %zu) %s\n", i + 1, labels[i]);
	fflush(tty);
	q = xasprintf("Choose one [1-%zu]", n);
	for (;;) {
		free(line);
		line = NULL;
		if (tty_prompt_line(q, &line, err) != 0)
			goto out;
		if (parse_int64(line, &pick, NULL) == 0 && pick >= 1 && (size_t)pick <= n)
			break;
		fprintf(tty, "Please enter a number between 1 and %zu.\n", n);
		fflush(tty);
	}
	*choice = (size_t)pick - 1;
	rc = 0;
out:
	if (tty != NULL)
		fclose(tty);
	free(line);
	free(q);
	return rc;
}

int ui_print_json(const json_t *j, int indent, struct error *err)
{
	char *s = json_dumps(j, JSON_INDENT(indent) | JSON_ENCODE_ANY);

	if (s == NULL)
		return err_set(err, ERR_INTERNAL, "error encoding JSON");
	fputs(s, stdout);
	fputc('\n', stdout);
	free(s);
	if (fflush(stdout) != 0)
		return err_set(err, ERR_IO, "error writing to stdout");
	return 0;
}
