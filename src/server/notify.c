/* notify.c - the sd_notify datagram (systemd's notify protocol) without libsystemd. */
#include "server/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

/* The address of $NOTIFY_SOCKET: "/path" or "@abstract". */
static int notify_address(const char *name, struct sockaddr_un *sa, socklen_t *len,
			  struct error *err)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((name[0] != '/' && name[0] != '@') || n < 2 || n > sizeof(sa->sun_path) - 1)
		return err_set(err, ERR_INVALID, "unsupported NOTIFY_SOCKET '%s'", name);
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0'; /* abstract namespace: no terminating NUL counted */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/' ? 1 : 0));
	return 0;
}

int notify_send(const char *state, struct error *err)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len = 0;
	size_t n = strlen(state);
	int fd = -1, rc = -1;

	if (name == NULL || name[0] == '\0')
		return 0;
	if (n > NOTIFY_MESSAGE_MAX)
		return err_set(err, ERR_INVALID, "notification of %zu bytes is too long", n);
	if (notify_address(name, &sa, &len, err) != 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, ERR_IO, "cannot create the notification socket: %s", strerror(errno));
		goto out;
	}
	if (sendto(fd, state, n, MSG_NOSIGNAL, (const struct sockaddr *)&sa, len) != (ssize_t)n) {
		err_set(err, ERR_IO, "cannot notify %s: %s", name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Sends state, logging (not returning) a failure. */
static void notify_or_log(const char *state)
{
	struct error err = {0};

	if (notify_send(state, &err) != 0)
		log_msg(LOG_WARN, "cannot notify the service manager", "error", err.msg, NULL);
}

/* Sends "<first>\nSTATUS=<status>" (newlines in status become spaces), or first alone. */
static void notify_with_status(const char *first, const char *status)
{
	char msg[NOTIFY_MESSAGE_MAX + 1];
	size_t n;

	if (status == NULL) {
		notify_or_log(first);
		return;
	}
	n = (size_t)snprintf(msg, sizeof(msg), "%s%sSTATUS=", first, first[0] != '\0' ? "\n" : "");
	for (const char *p = status; *p != '\0' && n < sizeof(msg) - 1; p++)
		msg[n++] = *p == '\n' ? ' ' : *p;
	msg[n] = '\0';
	notify_or_log(msg);
}

void notify_ready(const char *status)
{
	notify_with_status("READY=1", status);
}

void notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
		     (unsigned long long)ts.tv_nsec / 1000ull);
	notify_or_log(msg);
}

void notify_stopping(const char *status)
{
	notify_with_status("STOPPING=1", status);
}

void notify_status(const char *status)
{
	notify_with_status("", status != NULL ? status : "");
}
