/* password.c - password files, terminal prompts, generated passwords, wiping. */
#include "base/password.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"

/* A password file may carry trailing newlines and more; the password itself must fit
 * PASSWORD_MAX, which is checked by callers that care. */
#define PASSWORD_FILE_MAX (64u * 1024u)

void secure_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void password_free(char *pw)
{
	if (pw == NULL)
		return;
	secure_wipe(pw, strlen(pw));
	free(pw);
}

/* Length of the trailing white space rune ending at s[n-1] per Go's unicode.IsSpace, else 0. */
static size_t trailing_space(const unsigned char *s, size_t n)
{
	unsigned char c = s[n - 1];

	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return 1;
	/* U+0085, U+00A0 */
	if (n >= 2 && s[n - 2] == 0xc2 && (c == 0x85 || c == 0xa0))
		return 2;
	if (n >= 3) {
		unsigned char a = s[n - 3], b = s[n - 2];
		if (a == 0xe1 && b == 0x9a && c == 0x80) /* U+1680 */
			return 3;
		if (a == 0xe2 && b == 0x80 &&
		    ((c >= 0x80 && c <= 0x8a) || c == 0xa8 || c == 0xa9 ||
		     c == 0xaf)) /* U+2000..200A, 2028, 2029, 202F */
			return 3;
		if (a == 0xe2 && b == 0x81 && c == 0x9f) /* U+205F */
			return 3;
		if (a == 0xe3 && b == 0x80 && c == 0x80) /* U+3000 */
			return 3;
	}
	return 0;
}

int password_read_file(const char *path, char **out, struct error *err)
{
	uint8_t *data = NULL;
	size_t n = 0, k;

	if (file_read(path, PASSWORD_FILE_MAX, &data, &n, err) != 0)
		return -1;
	while (n > 0 && (k = trailing_space(data, n)) > 0) {
		secure_wipe(data + n - k, k);
		n -= k;
	}
	data[n] = '\0';
	*out = (char *)data;
	return 0;
}

static volatile sig_atomic_t caught[NSIG];

static void on_signal(int sig)
{
	caught[sig] = 1;
}

static const int trapped[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};
#define NTRAPPED (sizeof(trapped) / sizeof(trapped[0]))

/* Prompts on /dev/tty and reads one line; with echo off when !echo. The terminal state is
 * restored even when a signal arrives (the signal is re-raised afterwards). */
static int tty_read(const char *prompt, bool echo, char **out, struct error *err)
{
	struct sigaction sa, saved[NTRAPPED];
	struct termios term, old;
	bool restore = false;
	char *line = xmalloc(PASSWORD_MAX + 1);
	size_t n = 0;
	int fd, rc = -1;
	bool too_long = false;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err_set(err, ERR_IO, "error allocating terminal");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NTRAPPED; i++) {
		caught[trapped[i]] = 0;
		sigaction(trapped[i], &sa, &saved[i]);
	}
	if (!echo && tcgetattr(fd, &old) == 0) {
		term = old;
		term.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		if (tcsetattr(fd, TCSANOW, &term) == 0)
			restore = true;
	}
	/* One write: the terminal's echo of input typed ahead cannot split the prompt. */
	if (writev(fd, (struct iovec[]){{(void *)prompt, strlen(prompt)}, {(void *)": ", 2}}, 2) <
	    0) {
		err_set(err, ERR_IO, "error writing to terminal: %s", strerror(errno));
		goto restore;
	}
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR) {
			bool any = false;
			for (size_t i = 0; i < NTRAPPED; i++)
				any = any || caught[trapped[i]];
			if (any)
				break;
			continue;
		}
		if (r < 0) {
			err_set(err, ERR_IO, "error reading from terminal: %s", strerror(errno));
			goto restore;
		}
		if (r == 0 || c == '\n')
			break;
		if (n < PASSWORD_MAX)
			line[n++] = c;
		else
			too_long = true;
		c = 0;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	rc = 0;
restore:
	if (restore) {
		tcsetattr(fd, TCSANOW, &old);
		if (write(fd, "\n", 1) < 0) {
			/* nothing to do: the prompt was already answered */
		}
	}
	for (size_t i = 0; i < NTRAPPED; i++)
		sigaction(trapped[i], &saved[i], NULL);
	close(fd);
	for (size_t i = 0; i < NTRAPPED; i++) {
		if (caught[trapped[i]]) {
			caught[trapped[i]] = 0;
			raise(trapped[i]);
			if (rc == 0) {
				rc = err_set(err, ERR_IO, "interrupted");
			}
		}
	}
	if (rc == 0 && too_long)
		rc = err_set(err, ERR_TOO_LARGE, "input exceeds the maximum of %d bytes",
			     PASSWORD_MAX);
	if (rc == 0) {
		*out = line;
		line = NULL;
	}
out:
	if (line != NULL) {
		secure_wipe(line, PASSWORD_MAX + 1);
		free(line);
	}
	return rc;
}

int password_prompt(const char *prompt, char **out, struct error *err)
{
	return tty_read(prompt, false, out, err);
}

int tty_prompt_line(const char *prompt, char **out, struct error *err)
{
	char *line = NULL, *t;

	if (tty_read(prompt, true, &line, err) != 0)
		return -1;
	t = str_trim(line);
	memmove(line, t, strlen(t) + 1);
	*out = line;
	return 0;
}

bool tty_available(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int password_generate(size_t len, char **out, struct error *err)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	/* 62 * 4 = 248: bytes >= 248 are rejected so each symbol is equally likely. */
	const unsigned limit = (256 / (sizeof(alphabet) - 1)) * (sizeof(alphabet) - 1);
	unsigned char rnd[64];
	char *pw = xmalloc(len + 1);
	size_t n = 0;
	int rc = -1;

	while (n < len) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			err_openssl(err, ERR_CRYPTO, "error generating random password");
			goto out;
		}
		for (size_t i = 0; i < sizeof(rnd) && n < len; i++)
			if (rnd[i] < limit)
				pw[n++] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	}
	pw[len] = '\0';
	*out = pw;
	pw = NULL;
	rc = 0;
out:
	secure_wipe(rnd, sizeof(rnd));
	if (pw != NULL) {
		secure_wipe(pw, len + 1);
		free(pw);
	}
	return rc;
}
