/* test_notify.c - the sd_notify datagrams of server/notify.h: to a socket path and to an
 * abstract name ('@'), nothing without NOTIFY_SOCKET, errors for a malformed variable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/notify.h"

/* A datagram socket bound to name ("/path" or "@abstract"); a receive timeout of 5 s. */
static int bind_socket(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
			 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* The next datagram on fd as a string. */
static void expect_datagram(int fd, const char *want)
{
	char got[NOTIFY_MESSAGE_MAX + 1];
	ssize_t n = recv(fd, got, sizeof(got) - 1, 0);

	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

static void test_notify_path(void **state)
{
	char dir[] = "/tmp/stride-notify-XXXXXX", *path;
	int fd;
	(void)state;

	assert_non_null(mkdtemp(dir));
	path = malloc(strlen(dir) + 8);
	sprintf(path, "%s/notify", dir);
	fd = bind_socket(path);
	setenv("NOTIFY_SOCKET", path, 1);
	notify_ready("Serving HTTPS on 127.0.0.1:443");
	expect_datagram(fd, "READY=1\nSTATUS=Serving HTTPS on 127.0.0.1:443");
	notify_stopping(NULL);
	expect_datagram(fd, "STOPPING=1");
	notify_status("two\nlines");
	expect_datagram(fd, "STATUS=two lines");
	assert_int_equal(notify_send("WATCHDOG=1", NULL), 0);
	expect_datagram(fd, "WATCHDOG=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
	rmdir(dir);
	free(path);
}

static void test_notify_abstract(void **state)
{
	char name[64], got[256];
	ssize_t n;
	int fd;
	(void)state;

	snprintf(name, sizeof(name), "@stride-notify-test-%ld", (long)getpid());
	fd = bind_socket(name);
	setenv("NOTIFY_SOCKET", name, 1);
	notify_reloading();
	n = recv(fd, got, sizeof(got) - 1, 0);
	assert_true(n > 0);
	got[n] = '\0';
	assert_true(strncmp(got, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	assert_true(strtoull(got + 27, NULL, 10) > 0);
	notify_ready(NULL);
	expect_datagram(fd, "READY=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void test_notify_unset_and_malformed(void **state)
{
	struct error err = {0};
	(void)state;

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_send("READY=1", &err), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(notify_send("READY=1", &err), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(notify_send("READY=1", &err), -1);
	assert_string_equal(err.msg, "unsupported NOTIFY_SOCKET 'relative/path'");
	setenv("NOTIFY_SOCKET", "/nonexistent-stride-dir/notify", 1);
	assert_int_equal(notify_send("READY=1", &err), -1);
	assert_string_equal(
	    err.msg, "cannot notify /nonexistent-stride-dir/notify: No such file or directory");
	notify_ready("x"); /* logs a warning, does not fail */
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notify_path),
	    cmocka_unit_test(test_notify_abstract),
	    cmocka_unit_test(test_notify_unset_and_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
