/* renew_hooks.c - the post-renewal actions of `ca renew` and `ca rekey`, in step's order:
 * kill(2) the --pid/--pid-file process with --signal, then run --exec through /bin/sh -c and
 * wait for it. One-shot runs report the first failure (exit 1); the daemon logs every outcome
 * and carries on. */
#include "cli/renew_hooks.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/daemon.h"
#include "cli/ui.h"

extern char **environ;

/* Runs cmd with /bin/sh -c, with default signal handling, and waits; *status = wait status. */
static int run_shell(const char *cmd, int *status, struct error *err)
{
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	pid_t child;
	int e;

	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_init(&attr);
	/* The daemon blocks its signals (signalfd): the command must not inherit that. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	fflush(stdout);
	fflush(stderr);
	e = posix_spawn(&child, "/bin/sh", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (e != 0)
		return err_set(err, ERR_IO, "error running '%s': %s", cmd, strerror(e));
	while (waitpid(child, status, 0) < 0) {
		if (errno != EINTR)
			return err_set(err, ERR_IO, "error waiting for '%s': %s", cmd,
				       strerror(errno));
	}
	return 0;
}

int renew_hooks_run(const struct renew_opts *o, bool log, struct error *err)
{
	struct error e = {0};
	int status = 0;

	if (o->pid > 0 && kill(o->pid, o->signal) != 0) {
		err_set(&e, ERR_IO, "kill %d with signal %d failed: %s", (int)o->pid, o->signal,
			strerror(errno));
		if (!log)
			goto fail;
		daemon_log_error("%s", e.msg);
	}
	if (o->exec == NULL)
		return 0;
	if (run_shell(o->exec, &status, &e) != 0) {
		if (!log)
			goto fail;
		daemon_log_error("%s", e.msg);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (log)
			daemon_log_info("'%s' exited with status 0", o->exec);
		else
			ui_info("'%s' exited with status 0", o->exec);
		return 0;
	}
	if (WIFEXITED(status))
		err_set(&e, ERR_IO, "exit status %d", WEXITSTATUS(status));
	else
		err_set(&e, ERR_IO, "signal: %s", strsignal(WTERMSIG(status)));
	if (log) {
		daemon_log_error("'%s' failed: %s", o->exec, e.msg);
		return 0;
	}
	ui_info("'%s' failed: %s", o->exec, e.msg);
fail:
	if (err != NULL)
		*err = e;
	return -1;
}
