/* startup.c - `stride-bench startup`: how soon a freshly exec'd stride-ca answers /health.
 *
 *   stride-bench startup --url URL --root FILE [--runs N] [--interval-ms N] [--log FILE]
 *                        [--out FILE] -- /path/to/stride-ca ARGS...
 *
 * Each run forks, execs the server, and polls GET /health with this tool's own TLS client
 * every interval (default 2 ms) until it answers 200; the time from fork to that answer is
 * the start-up time. The server is then stopped with SIGTERM and reaped before the next run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/str.h"
#include "bench.h"

#define STARTUP_TIMEOUT_S 20
#define STARTUP_RUNS_MAX  100

static const char startup_usage[] =
    "Usage: stride-bench startup --url URL --root FILE [--runs N] [--interval-ms N]\n"
    "                            [--log FILE] [--out FILE] -- SERVER_COMMAND [ARGS...]\n";

static void sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

/* One GET /health; 0 when it answered 200. */
static int health_once(const struct target *t, struct hconn *c, const char *req, size_t len)
{
	struct hresp r;
	int rc = -1;

	if (hconn_open(c, t, NULL, NULL, NULL, NULL) == 0 &&
	    http_roundtrip(c, req, len, &r, NULL) == 0 && r.status == 200)
		rc = 0;
	hconn_close(c);
	return rc;
}

/* Starts the server, waits for /health, stops it. *ms is the start-up time. */
static int one_run(const struct target *t, char **cmd, const char *log, long interval_us,
		   double *ms, int *attempts, struct error *err)
{
	char *req = xasprintf("GET /health HTTP/1.1\r\nHost: %s\r\nUser-Agent: stride-bench\r\n"
			      "Connection: close\r\n\r\n",
			      t->host_header);
	struct hconn c;
	int64_t t0, deadline;
	pid_t pid;
	int st, rc = -1;

	hconn_init(&c);
	*attempts = 0;
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		err_set(err, ERR_IO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int fd = open(log != NULL ? log : "/dev/null",
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(cmd[0], cmd);
		_exit(127);
	}
	deadline = t0 + (int64_t)STARTUP_TIMEOUT_S * 1000000000;
	for (;;) {
		(*attempts)++;
		if (health_once(t, &c, req, strlen(req)) == 0) {
			*ms = (double)(now_ns() - t0) / 1e6;
			break;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			err_set(err, ERR_IO, "%s exited before it was healthy (status %d)", cmd[0],
				WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			pid = -1;
			goto out;
		}
		if (now_ns() > deadline) {
			err_set(err, ERR_IO, "%s not healthy within %d s", cmd[0],
				STARTUP_TIMEOUT_S);
			goto out;
		}
		sleep_us(interval_us);
	}
	rc = 0;
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		if (waitpid(pid, &st, 0) == pid && rc == 0 &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			err_set(err, ERR_IO, "%s exited with status %d after SIGTERM", cmd[0],
				WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			rc = -1;
		}
	}
	hconn_free(&c);
	free(req);
	return rc;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int startup_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'},  {"root", required_argument, NULL, 'r'},
	    {"runs", required_argument, NULL, 'n'}, {"interval-ms", required_argument, NULL, 'i'},
	    {"log", required_argument, NULL, 'l'},  {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	const char *url = NULL, *root = NULL, *log = NULL, *outfile = NULL;
	int runs = 5, interval_ms = 2, opt, rc = 1;
	struct target t = {0};
	struct error err = {0};
	double ms[STARTUP_RUNS_MAX], sorted[STARTUP_RUNS_MAX];
	int attempts[STARTUP_RUNS_MAX];
	json_t *doc = NULL, *arr, *att;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			url = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		case 'i':
			interval_ms = atoi(optarg);
			break;
		case 'l':
			log = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'h':
			fputs(startup_usage, stdout);
			return 0;
		default:
			fputs(startup_usage, stderr);
			return 1;
		}
	}
	if (url == NULL || root == NULL || optind >= argc || runs < 1 || runs > STARTUP_RUNS_MAX ||
	    interval_ms < 0 || interval_ms > 1000) {
		fputs(startup_usage, stderr);
		return 1;
	}
	if (target_init(&t, url, root, &err) != 0)
		goto out;
	arr = json_array();
	att = json_array();
	doc = json_pack("{s:o, s:o, s:i}", "runs_ms", arr, "attempts", att, "poll_interval_ms",
			interval_ms);
	for (int k = 0; k < runs; k++) {
		if (one_run(&t, argv + optind, log, (long)interval_ms * 1000, &ms[k], &attempts[k],
			    &err) != 0)
			goto out;
		printf("startup run %d: healthy after %.1f ms (%d polls)\n", k + 1, ms[k],
		       attempts[k]);
		json_array_append_new(arr, json_real(ms[k]));
		json_array_append_new(att, json_integer(attempts[k]));
		sorted[k] = ms[k];
	}
	qsort(sorted, (size_t)runs, sizeof(double), cmp_d);
	json_object_set_new(doc, "min_ms", json_real(sorted[0]));
	json_object_set_new(doc, "median_ms", json_real(sorted[(runs - 1) / 2]));
	json_object_set_new(doc, "max_ms", json_real(sorted[runs - 1]));
	printf("startup: median %.1f ms, min %.1f, max %.1f over %d runs (polled every %d ms)\n",
	       sorted[(runs - 1) / 2], sorted[0], sorted[runs - 1], runs, interval_ms);
	if (outfile != NULL && json_dump_file(doc, outfile, JSON_INDENT(2)) != 0) {
		err_set(&err, ERR_IO, "cannot write %s", outfile);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "stride-bench startup: %s\n", err.msg);
	json_decref(doc);
	target_free(&t);
	return rc;
}
