/* daemon.h - the renewal daemon of `stride ca renew --daemon` and `stride ca rekey --daemon`
 * (scheduled as step's renewal daemon does).
 *
 * Scheduling is a set of pure functions of (now, certificate window, flags, a random number):
 * "when do I next want to wake". The loop sleeps until that wall-clock time or a signal
 * (signalfd + an absolute CLOCK_REALTIME timerfd, so a signal never races the sleep and a
 * suspended machine wakes on time), then calls the job's attempt function.
 *
 *   - after a success: next = daemon_next() of the new leaf (step's schedule: 2/3 of the
 *     validity minus up to validity/20 of jitter, or --expires-in / --renew-period), but never
 *     "at once" again (daemon_next_after_renewal: no tight renewal loop);
 *   - after a failure: daemon_backoff(): 1-2 s, then doubling with jitter up to 30-60 s, and
 *     never past the certificate's expiry (the last attempt happens while it is still valid);
 *   - SIGHUP: attempt now; SIGINT / SIGTERM: return 0.
 *
 * Log lines follow step's Go logger: "INFO: 2026/11/22 02:54:10 ..." on stdout and
 * "ERROR: 2026/11/22 02:54:10 ..." on stderr (local time), one line per attempt.
 */
#ifndef STRIDE_CLI_DAEMON_H
#define STRIDE_CLI_DAEMON_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

#define DAEMON_BACKOFF_MAX (60 * INT64_C(1000000000)) /* the longest retry delay: 1 minute */

/* Nanoseconds until the next renewal of a certificate valid [not_before, not_after] (step's
 * schedule): with period > 0 the period (0 once less than a period is left); else renew when
 * expires_in (default a third of the validity) is left, up to validity/20 earlier (rnd picks
 * the jitter). Never negative and never later than not_after. */
int64_t daemon_next(int64_t now, int64_t not_before, int64_t not_after, int64_t expires_in,
		    int64_t period, uint64_t rnd);

/* daemon_next() for a certificate that was just renewed. When the schedule says "now" again
 * (an --expires-in or period at least as long as what a renewal leaves), the daemon would renew
 * in a tight loop; it waits 1/100 of the validity instead (at least 1 s, never past expiry). */
int64_t daemon_next_after_renewal(int64_t now, int64_t not_before, int64_t not_after,
				  int64_t expires_in, int64_t period, uint64_t rnd);

/* Nanoseconds to wait before retrying after `failures` (>= 1) failed attempts in a row: a
 * jittered exponential backoff in [b/2, b] with b = min(2^failures s, 60 s). While the
 * certificate is valid the wait ends at the latest one second before not_after (or at
 * not_after in its last second), so a last attempt happens before it expires. */
int64_t daemon_backoff(unsigned failures, int64_t now, int64_t not_after, uint64_t rnd);

/* The one-shot --expires-in rule (step's): true when the certificate is not due yet, i.e.
 * the time left exceeds expires_in + a jitter in [0, expires_in/20) (rnd picks it). Always
 * false when expires_in <= 0. */
bool daemon_too_early(int64_t now, int64_t not_after, int64_t expires_in, uint64_t rnd);

/* A uniformly random 64-bit number (OpenSSL's RNG; falls back to the clock if it fails). */
uint64_t daemon_random(void);

/* "INFO: <local date time> <message>" on stdout, flushed. */
void daemon_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "ERROR: <local date time> <message>" on stderr. */
void daemon_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What the loop runs. */
struct daemon_job {
	const char *noun;   /* "renewal" / "rekey": "first renewal in 15h45m2s" */
	const char *done;   /* "renewed" / "rekeyed": "<CN> certificate renewed, next in ..." */
	const char *gerund; /* "renewing" / "rekeying": "error renewing certificate: ..." */
	int64_t expires_in; /* --expires-in, 0 = off */
	int64_t period;	    /* --renew-period / --rekey-period, 0 = off */
	void *arg;	    /* passed to the callbacks */
	/* One renewal from the files on disk; on success *leaf = the new leaf (owned by the
	 * caller of attempt, i.e. the loop). On failure the files on disk are unchanged. */
	int (*attempt)(void *arg, X509 **leaf, struct error *err);
	/* The post-renewal actions (signal, exec); logs its own outcome. May be NULL. */
	void (*after)(void *arg);
};

/* Runs the renewal loop for a certificate whose current leaf is `leaf` (borrowed) until SIGINT
 * or SIGTERM (then returns 0). Blocks SIGHUP, SIGINT and SIGTERM in the calling process for
 * good (call it before any other thread exists; the caller exits afterwards). Fails only when
 * the loop itself cannot run. */
int daemon_run(const struct daemon_job *job, X509 *leaf, struct error *err);

#endif
