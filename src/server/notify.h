/* notify.h - readiness notification to the service manager, systemd's sd_notify protocol
 * without libsystemd.
 *
 * Each call sends one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET: a filesystem
 * path, or an abstract socket name when it starts with '@'. With NOTIFY_SOCKET unset (not
 * started by systemd with Type=notify) nothing is sent and every call succeeds.
 *
 * What stride-ca sends:
 *   READY=1 + STATUS=      server_run, once every listener is bound and the workers run
 *   STOPPING=1 + STATUS=   server_run, when the graceful stop begins
 * Around a reload (SIGHUP) the reload code calls:
 *   notify_reloading();                       before it reads ca.json again
 *   ... reload, or keep the running configuration ...
 *   notify_ready("Serving HTTPS on ...");     once the new (or kept) configuration serves
 * systemd then reports the unit as "reloading" in between (Type=notify-reload needs it;
 * with Type=notify and ExecReload it is informative).
 *
 * The helpers log a warning when sending fails and never fail the caller.
 */
#ifndef STRIDE_SERVER_NOTIFY_H
#define STRIDE_SERVER_NOTIFY_H

#include "base/error.h"

#define NOTIFY_MESSAGE_MAX 4096 /* longest state text sent */

/* Sends state (newline-separated VAR=value assignments, e.g. "READY=1\nSTATUS=ok") to
 * $NOTIFY_SOCKET; 0 without NOTIFY_SOCKET; -1 with err filled when the variable is malformed or
 * the datagram cannot be sent. */
int notify_send(const char *state, struct error *err);
/* READY=1, plus STATUS=status when status is not NULL. */
void notify_ready(const char *status);
/* RELOADING=1 with MONOTONIC_USEC= (the CLOCK_MONOTONIC time, as systemd asks). */
void notify_reloading(void);
/* STOPPING=1, plus STATUS=status when status is not NULL. */
void notify_stopping(const char *status);
/* STATUS=status alone (a one-line text systemctl status shows). */
void notify_status(const char *status);

#endif
