/* daemon.c - the renewal daemon: pure scheduling plus a signal-safe sleep loop. */
#include "cli/daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "base/duration.h"
#include "crypto/cert.h"

/* --- scheduling (pure) ------------------------------------------------------------------------ */

/* rnd reduced to [0, n); 0 when n <= 0. */
static int64_t pick(uint64_t rnd, int64_t n)
{
	return n > 0 ? (int64_t)(rnd % (uint64_t)n) : 0;
}

int64_t daemon_next(int64_t now, int64_t not_before, int64_t not_after, int64_t expires_in,
		    int64_t period, uint64_t rnd)
{
	int64_t validity = not_after - not_before, left = not_after - now, e, d, jitter, next;

	if (left <= 0)
		return 0;
	if (period > 0)
		return left - period <= 0 ? 0 : period;
	e = expires_in > 0 ? expires_in : validity / 3;
	if (e < 0)
		e = 0;
	d = left - e;
	jitter = validity / 20;
	if (d <= 0)
		next = 0;
	else if (d < jitter)
		next = pick(rnd, d);
	else
		next = d - pick(rnd, jitter);
	return next > left ? left : next;
}

int64_t daemon_next_after_renewal(int64_t now, int64_t not_before, int64_t not_after,
				  int64_t expires_in, int64_t period, uint64_t rnd)
{
	int64_t next = daemon_next(now, not_before, not_after, expires_in, period, rnd);
	int64_t floor = (not_after - not_before) / 100, left = not_after - now;

	if (next > 0 || left <= 0)
		return next;
	if (floor < NS_PER_SEC)
		floor = NS_PER_SEC;
	return floor < left ? floor : left;
}

int64_t daemon_backoff(unsigned failures, int64_t now, int64_t not_after, uint64_t rnd)
{
	int64_t b = 2 * NS_PER_SEC, d;

	for (unsigned i = 1; i < failures && b < DAEMON_BACKOFF_MAX; i++)
		b *= 2;
	if (b > DAEMON_BACKOFF_MAX)
		b = DAEMON_BACKOFF_MAX;
	d = b / 2 + pick(rnd, b / 2 + 1);
	if (now < not_after - NS_PER_SEC) {
		if (d > not_after - NS_PER_SEC - now)
			d = not_after - NS_PER_SEC - now;
	} else if (now < not_after) {
		if (d > not_after - now)
			d = not_after - now;
	}
	return d < 0 ? 0 : d;
}

bool daemon_too_early(int64_t now, int64_t not_after, int64_t expires_in, uint64_t rnd)
{
	if (expires_in <= 0)
		return false;
	return not_after - now > expires_in + pick(rnd, expires_in / 20);
}

uint64_t daemon_random(void)
{
	uint64_t r;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint64_t)time_now_ns() * UINT64_C(0x9e3779b97f4a7c15);
	return r;
}

/* --- logging ---------------------------------------------------------------------------------- */

static void vlog(FILE *f, const char *level, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void vlog(FILE *f, const char *level, const char *fmt, va_list ap)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y/%m/%d %H:%M:%S", &tm) == 0)
		strcpy(stamp, "0000/00/00 00:00:00");
	fprintf(f, "%s: %s ", level, stamp);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void daemon_log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(stdout, "INFO", fmt, ap);
	va_end(ap);
}

void daemon_log_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vlog(stderr, "ERROR", fmt, ap);
	va_end(ap);
}

/* --- the loop --------------------------------------------------------------------------------- */

enum wake { WAKE_TIMER, WAKE_HUP, WAKE_STOP, WAKE_ERROR };

/* Sleeps until the wall-clock time `at` (ns) or a signal on sfd. */
static enum wake sleep_until(int sfd, int tfd, int64_t at, int *signo, struct error *err)
{
	struct itimerspec its = {0};
	struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = tfd, .events = POLLIN}};
	bool timer = at > time_now_ns();

	if (timer) {
		its.it_value.tv_sec = (time_t)(at / NS_PER_SEC);
		its.it_value.tv_nsec = (long)(at % NS_PER_SEC);
		if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
			err_set(err, ERR_IO, "timerfd_settime: %s", strerror(errno));
			return WAKE_ERROR;
		}
	}
	for (;;) {
		int n = poll(p, timer ? 2 : 1, timer ? -1 : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, ERR_IO, "poll: %s", strerror(errno));
			return WAKE_ERROR;
		}
		if (n > 0 && (p[0].revents & POLLIN) != 0) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				continue;
			*signo = (int)si.ssi_signo;
			if (si.ssi_signo == SIGHUP)
				return WAKE_HUP;
			return WAKE_STOP;
		}
		if (n > 0 && (p[1].revents & POLLIN) != 0) {
			uint64_t expirations;
			if (read(tfd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
				continue;
			if (time_now_ns() < at) /* a stale expiry: the clock says not yet */
				continue;
			return WAKE_TIMER;
		}
		if (!timer)
			return WAKE_TIMER; /* the time has already come */
	}
}

static char *fmt_dur(int64_t d, char *buf, size_t n)
{
	return duration_format(duration_round(d, NS_PER_SEC), buf, n);
}

int daemon_run(const struct daemon_job *job, X509 *leaf, struct error *err)
{
	sigset_t set;
	int sfd = -1, tfd = -1, rc = -1, signo = 0;
	int64_t now, wake, not_after = cert_not_after_ns(leaf);
	unsigned failures = 0;
	char d[64];

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return err_set(err, ERR_IO, "sigprocmask: %s", strerror(errno));
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0) {
		err_set(err, ERR_IO, "cannot set up the daemon's timer and signals: %s",
			strerror(errno));
		goto out;
	}
	now = time_now_ns();
	wake = now + daemon_next(now, cert_not_before_ns(leaf), not_after, job->expires_in,
				 job->period, daemon_random());
	daemon_log_info("first %s in %s", job->noun, fmt_dur(wake - now, d, sizeof(d)));
	for (;;) {
		X509 *renewed = NULL;
		struct error e = {0};
		switch (sleep_until(sfd, tfd, wake, &signo, err)) {
		case WAKE_ERROR:
			goto out;
		case WAKE_STOP:
			daemon_log_info("%s received, exiting",
					signo == SIGINT ? "SIGINT" : "SIGTERM");
			rc = 0;
			goto out;
		case WAKE_HUP:
		case WAKE_TIMER:
			break;
		}
		if (job->attempt(job->arg, &renewed, &e) != 0) {
			int64_t delay;
			failures++;
			now = time_now_ns();
			delay = daemon_backoff(failures, now, not_after, daemon_random());
			wake = now + delay;
			daemon_log_error("error %s certificate: %s; retrying in %s", job->gerund,
					 e.msg, fmt_dur(delay, d, sizeof(d)));
			continue;
		}
		failures = 0;
		now = time_now_ns();
		not_after = cert_not_after_ns(renewed);
		wake =
		    now + daemon_next_after_renewal(now, cert_not_before_ns(renewed), not_after,
						    job->expires_in, job->period, daemon_random());
		{
			char *cn = cert_common_name(renewed);
			daemon_log_info("%s%scertificate %s, next in %s", cn,
					cn[0] != '\0' ? " " : "", job->done,
					fmt_dur(wake - now, d, sizeof(d)));
			free(cn);
		}
		X509_free(renewed);
		if (job->after != NULL)
			job->after(job->arg);
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	/* The signals stay blocked: the process is about to exit, and one more pending SIGHUP
	 * must not kill it on the way out. */
	return rc;
}
