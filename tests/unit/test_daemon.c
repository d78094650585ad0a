/* test_daemon.c - the renewal daemon: its pure schedule (next renewal, one-shot --expires-in
 * rule, retry backoff) and the loop's signal handling in a child process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/duration.h"
#include "cli/daemon.h"

#define S NS_PER_SEC
#define M NS_PER_MIN
#define H NS_PER_HOUR

/* A step certificate: 24h plus the 1 minute backdate. */
static const int64_t V = 24 * H + M;

/* --- daemon_next: step's renewal schedule ----------------------------------------------------- */

static void test_next_default_two_thirds(void **state)
{
	const int64_t nb = 1000 * H, na = nb + V;
	const int64_t d = V - V / 3; /* from notBefore: renew when a third is left */
	(void)state;

	/* rnd = 0: no jitter; the jitter is V/20 at most, and only earlier. */
	assert_int_equal(daemon_next(nb, nb, na, 0, 0, 0), d);
	assert_int_equal(daemon_next(nb, nb, na, 0, 0, 1), d - 1);
	assert_int_equal(daemon_next(nb, nb, na, 0, 0, (uint64_t)(V / 20 - 1)), d - V / 20 + 1);
	assert_int_equal(daemon_next(nb, nb, na, 0, 0, (uint64_t)(V / 20)), d); /* wraps: % V/20 */
	/* Later in the life of the certificate the wait shrinks by the elapsed time. */
	assert_int_equal(daemon_next(nb + 10 * H, nb, na, 0, 0, 0), d - 10 * H);
	/* 16h0m40s for a 24h1m certificate at issuance */
	assert_int_equal(d, 16 * H + 40 * S);
}

static void test_next_jitter_bounds(void **state)
{
	const int64_t nb = 0, na = V, d = V - V / 3;
	uint64_t r = 0x243f6a8885a308d3u;
	(void)state;

	for (int i = 0; i < 10000; i++) {
		int64_t n;
		r = r * 6364136223846793005u + 1442695040888963407u;
		n = daemon_next(nb, nb, na, 0, 0, r);
		assert_true(n <= d);
		assert_true(n > d - V / 20);
	}
}

static void test_next_expires_in(void **state)
{
	const int64_t nb = 0, na = V;
	(void)state;

	/* renew when 8h30m are left: at V - 8h30m after issuance */
	assert_int_equal(daemon_next(nb, nb, na, 8 * H + 30 * M, 0, 0), V - 8 * H - 30 * M);
	assert_int_equal(daemon_next(nb, nb, na, 8 * H + 30 * M, 0, 7), V - 8 * H - 30 * M - 7);
	/* already within the window: now */
	assert_int_equal(daemon_next(na - 8 * H, nb, na, 8 * H + 30 * M, 0, 12345), 0);
	assert_int_equal(daemon_next(na - 8 * H - 30 * M, nb, na, 8 * H + 30 * M, 0, 12345), 0);
}

static void test_next_close_to_the_window(void **state)
{
	/* d < V/20: a random point in [0, d) */
	const int64_t nb = 0, na = V, e = V / 3, now = na - e - 10 * S;
	(void)state;

	assert_int_equal(daemon_next(now, nb, na, 0, 0, 0), 0);
	assert_int_equal(daemon_next(now, nb, na, 0, 0, 3 * (uint64_t)S), 3 * S);
	assert_int_equal(daemon_next(now, nb, na, 0, 0, 10 * (uint64_t)S), 0); /* % d */
	assert_int_equal(daemon_next(now, nb, na, 0, 0, 10 * (uint64_t)S - 1), 10 * S - 1);
}

static void test_next_period(void **state)
{
	const int64_t nb = 0, na = V;
	(void)state;

	assert_int_equal(daemon_next(nb, nb, na, 0, 16 * H, 999), 16 * H);
	assert_int_equal(daemon_next(na - 17 * H, nb, na, 0, 16 * H, 999), 16 * H);
	assert_int_equal(daemon_next(na - 16 * H, nb, na, 0, 16 * H, 999), 0);
	assert_int_equal(daemon_next(na - 1 * H, nb, na, 0, 16 * H, 999), 0);
}

static void test_next_expired_and_odd_certificates(void **state)
{
	(void)state;
	/* expired: now */
	assert_int_equal(daemon_next(V + 1, 0, V, 0, 0, 5), 0);
	assert_int_equal(daemon_next(V, 0, V, 0, 0, 5), 0);
	assert_int_equal(daemon_next(V + H, 0, V, 0, 16 * H, 5), 0);
	/* notAfter before notBefore: never a wait past expiry */
	assert_int_equal(daemon_next(0, 10 * H, 5 * H, 0, 0, 5), 5 * H);
	/* a 20 ns certificate: no jitter range, no division by zero */
	assert_int_equal(daemon_next(0, 0, 20, 0, 0, 5), 20 - 6 - 0);
}

static void test_next_never_past_expiry(void **state)
{
	uint64_t r = 88172645463325252u;
	(void)state;

	for (int i = 0; i < 20000; i++) {
		int64_t nb, na, now, e, p, n;
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		nb = (int64_t)(r % (1000 * (uint64_t)H));
		na = nb + 1 + (int64_t)((r >> 8) % (48 * (uint64_t)H));
		now = nb - H + (int64_t)((r >> 16) % (50 * (uint64_t)H));
		e = (r & 1) != 0 ? (int64_t)((r >> 24) % (uint64_t)(na - nb)) : 0;
		p = (r & 2) != 0 && e == 0 ? (int64_t)((r >> 32) % (uint64_t)(na - nb)) : 0;
		n = daemon_next(now, nb, na, e, p, r * 31);
		assert_true(n >= 0);
		assert_true(now + n <= (na > now ? na : now));
	}
}

static void test_next_after_renewal_no_tight_loop(void **state)
{
	/* a 100 s certificate right after a renewal (40 s left) */
	const int64_t now = 1000 * S, nb = now - M, na = now + 40 * S;
	(void)state;

	/* the normal schedule is unchanged */
	assert_int_equal(daemon_next_after_renewal(now, nb, na, 0, 0, 0),
			 daemon_next(now, nb, na, 0, 0, 0));
	assert_int_equal(daemon_next_after_renewal(now, nb, na, 0, 3 * S, 0), 3 * S);
	/* --expires-in 90s or --renew-period 50s would say "now" forever: 1 s (1% is 1 s) */
	assert_int_equal(daemon_next(now, nb, na, 90 * S, 0, 0), 0);
	assert_int_equal(daemon_next_after_renewal(now, nb, na, 90 * S, 0, 0), S);
	assert_int_equal(daemon_next_after_renewal(now, nb, na, 0, 50 * S, 0), S);
	/* a 24h1m certificate: 1% of the validity */
	assert_int_equal(daemon_next_after_renewal(0, -M, V - M, V - 2 * M, 0, 0), V / 100);
	/* never past expiry, and expired stays "now" */
	assert_int_equal(daemon_next_after_renewal(na - S / 2, nb, na, 90 * S, 0, 0), S / 2);
	assert_int_equal(daemon_next_after_renewal(na + S, nb, na, 90 * S, 0, 0), 0);
}

/* --- the one-shot --expires-in rule ----------------------------------------------------------- */

static void test_too_early(void **state)
{
	const int64_t na = 100 * H, e = 8 * H;
	(void)state;

	assert_false(daemon_too_early(0, na, 0, 0));  /* no --expires-in: always renew */
	assert_false(daemon_too_early(0, na, -H, 0)); /* negative = off */
	/* an example: 10h52m5s left, --expires-in 8h: not renewed */
	assert_true(daemon_too_early(na - (10 * H + 52 * M + 5 * S), na, e, 0));
	assert_false(daemon_too_early(na - e, na, e, 0));
	assert_false(daemon_too_early(na - H, na, e, 0));
	/* the jitter J in [0, E/20) makes renewal happen a little earlier */
	assert_true(daemon_too_early(na - e - 1, na, e, 0));
	assert_false(daemon_too_early(na - e - 1, na, e, 1));
	assert_false(daemon_too_early(na - e - e / 20 + 1, na, e, (uint64_t)(e / 20 - 1)));
	assert_true(daemon_too_early(na - e - e / 20, na, e, (uint64_t)(e / 20 - 1)));
	assert_false(daemon_too_early(na + H, na, e, 0)); /* expired */
}

/* --- retry backoff -----------------------------------------------------------------------------
 */

static void test_backoff_growth_and_cap(void **state)
{
	const int64_t far = 1000 * H;
	static const int64_t bound[] = {0, 2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 60 * S, 60 * S};
	(void)state;

	for (unsigned f = 1; f < sizeof(bound) / sizeof(bound[0]); f++) {
		/* rnd = 0 gives the lower end b/2, rnd = b/2 the upper end b */
		assert_int_equal(daemon_backoff(f, 0, far, 0), bound[f] / 2);
		assert_int_equal(daemon_backoff(f, 0, far, (uint64_t)(bound[f] / 2)), bound[f]);
		assert_int_equal(daemon_backoff(f, 0, far, (uint64_t)(bound[f] / 2 + 1)),
				 bound[f] / 2);
	}
	assert_int_equal(daemon_backoff(1, 0, far, 0), S); /* the first retry after 1-2 s */
	/* capped at a minute however many failures, without overflow */
	for (unsigned f = 6; f < 200; f += 7) {
		uint64_t r = (uint64_t)f * 0x9e3779b97f4a7c15u;
		int64_t d = daemon_backoff(f, 0, far, r);
		assert_true(d >= 30 * S && d <= DAEMON_BACKOFF_MAX);
	}
	assert_int_equal(daemon_backoff(UINT32_MAX, 0, far, 30 * (uint64_t)S), DAEMON_BACKOFF_MAX);
	/* growing: the shortest wait of a step is the longest of the step before, until the cap */
	for (unsigned f = 2; f < 6; f++)
		assert_int_equal(daemon_backoff(f, 0, far, 0),
				 daemon_backoff(f - 1, 0, far, (uint64_t)(bound[f - 1] / 2)));
	assert_true(daemon_backoff(6, 0, far, 0) < daemon_backoff(5, 0, far, 16 * (uint64_t)S));
}

static void test_backoff_never_past_expiry(void **state)
{
	const int64_t na = 1000 * H;
	(void)state;

	/* ten seconds left: the retry comes at the latest one second before expiry */
	assert_int_equal(daemon_backoff(6, na - 10 * S, na, 59 * (uint64_t)S), 9 * S);
	assert_int_equal(daemon_backoff(1, na - 10 * S, na, (uint64_t)S), 2 * S);
	/* in the last second: at expiry, not later */
	assert_int_equal(daemon_backoff(6, na - S / 2, na, 0), S / 2);
	assert_int_equal(daemon_backoff(6, na - S, na, 0), S);
	/* expired (the token flow may still renew it): the normal backoff */
	assert_int_equal(daemon_backoff(6, na + S, na, 0), 30 * S);
	for (int64_t left = 1; left < 70 * S; left += S / 3) {
		for (unsigned f = 1; f < 10; f++) {
			int64_t d = daemon_backoff(f, na - left, na, (uint64_t)left * 7919u + f);
			assert_true(d >= 0);
			assert_true(na - left + d <= na);
		}
	}
}

/* --- the loop ----------------------------------------------------------------------------------
 */

/* A self-signed certificate valid [now + from, now + to]. */
static X509 *make_cert(int64_t from_sec, int64_t to_sec)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	time_t now = time(NULL);
	X509_NAME *n;

	assert_non_null(k);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, (long)from_sec, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), 0, (long)to_sec, &now);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"loop.test", -1,
				   -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	EVP_PKEY_free(k);
	return x;
}

struct loop_state {
	int attempts;
	int fail_first; /* attempts that fail before successes */
	int stop_after; /* SIGTERM to ourselves after this many attempts */
	int64_t times[8];
};

static int loop_attempt(void *arg, X509 **leaf, struct error *err)
{
	struct loop_state *s = arg;

	s->times[s->attempts < 8 ? s->attempts : 7] = time_now_ns();
	s->attempts++;
	if (s->attempts >= s->stop_after)
		raise(SIGTERM); /* blocked: it must wake the next sleep, not kill us */
	else if (s->attempts > s->fail_first)
		raise(SIGHUP); /* "renew now" although the next renewal is hours away */
	if (s->attempts <= s->fail_first)
		return err_set(err, ERR_NETWORK, "simulated failure %d", s->attempts);
	*leaf = make_cert(-60, 24 * 3600);
	return 0;
}

/* Runs the loop in a child; returns the child's exit status (attempts, or 100 + error). */
static int run_loop_child(struct loop_state *s, int64_t first_from, int64_t first_to,
			  int64_t *elapsed)
{
	int64_t t0 = time_now_ns();
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct daemon_job job = {.noun = "renewal",
					 .done = "renewed",
					 .gerund = "renewing",
					 .arg = s,
					 .attempt = loop_attempt};
		X509 *first = make_cert(first_from, first_to);
		int fd = open("/dev/null", O_WRONLY);
		alarm(10); /* a loop that ignores SIGHUP would sleep for hours: fail instead */
		struct error err = {0};
		int rc;
		dup2(fd, 1);
		dup2(fd, 2);
		rc = daemon_run(&job, first, &err);
		X509_free(first);
		_exit(rc == 0 ? s->attempts : 100);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*elapsed = time_now_ns() - t0;
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_loop_sighup_renews_now_and_sigterm_exits_0(void **state)
{
	/* the first renewal is due at once (a certificate with 10 s of 60 s left); every attempt
	 * then asks for another with SIGHUP although the next one is 16 h away, the third stops */
	struct loop_state s = {.fail_first = 0, .stop_after = 3};
	int64_t elapsed;
	(void)state;

	assert_int_equal(run_loop_child(&s, -50, 10, &elapsed), 3);
	assert_true(elapsed < 5 * S);
}

static void test_loop_retries_after_a_failure(void **state)
{
	/* one failure, then the retry comes after the backoff of 1-2 s */
	struct loop_state s = {.fail_first = 1, .stop_after = 2};
	int64_t elapsed;
	(void)state;

	assert_int_equal(run_loop_child(&s, -3600, 60, &elapsed), 2);
	assert_true(elapsed >= S);
	assert_true(elapsed < 4 * S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_next_default_two_thirds),
	    cmocka_unit_test(test_next_jitter_bounds),
	    cmocka_unit_test(test_next_expires_in),
	    cmocka_unit_test(test_next_close_to_the_window),
	    cmocka_unit_test(test_next_period),
	    cmocka_unit_test(test_next_expired_and_odd_certificates),
	    cmocka_unit_test(test_next_never_past_expiry),
	    cmocka_unit_test(test_next_after_renewal_no_tight_loop),
	    cmocka_unit_test(test_too_early),
	    cmocka_unit_test(test_backoff_growth_and_cap),
	    cmocka_unit_test(test_backoff_never_past_expiry),
	    cmocka_unit_test(test_loop_sighup_renews_now_and_sigterm_exits_0),
	    cmocka_unit_test(test_loop_retries_after_a_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
