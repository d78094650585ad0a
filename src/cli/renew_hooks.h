/* renew_hooks.h - what `stride ca renew` and `stride ca rekey` do after each new certificate
 * is written, in step's order: signal the --pid/--pid-file process, then run --exec. */
#ifndef STRIDE_CLI_RENEW_HOOKS_H
#define STRIDE_CLI_RENEW_HOOKS_H

#include <stdbool.h>

#include "base/error.h"
#include "cli/renew_common.h"

/* Sends o->signal to o->pid (when set), then runs o->exec (when set) with /bin/sh -c and
 * waits. With log (daemon mode) every outcome is logged (INFO/ERROR) and 0 returned;
 * otherwise the first failure is returned in err ("kill <pid> with signal <n> failed: ...",
 * "exit status <n>"). */
int renew_hooks_run(const struct renew_opts *o, bool log, struct error *err);

#endif
