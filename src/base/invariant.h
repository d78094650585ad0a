/* invariant.h - INVARIANT(cond) for programming errors: a broken invariant (a NULL signer, a
 * store without its operations) aborts with the condition, file, line and function.
 *
 * Unlike assert() it stays in release builds (CMake's RelWithDebInfo and Release define
 * NDEBUG): a CA that goes on after its own bug may sign what it should not. Never for input
 * validation: what a client, a file or a flag can cause is an error (base/error.h).
 */
#ifndef STRIDE_BASE_INVARIANT_H
#define STRIDE_BASE_INVARIANT_H

#include <stdio.h>
#include <stdlib.h>

/* Reports a broken invariant on stderr and aborts. */
static inline _Noreturn void invariant_failed(const char *cond, const char *file, int line,
					      const char *func)
{
	fprintf(stderr, "fatal: invariant broken: %s (%s:%d, %s)\n", cond, file, line, func);
	abort();
}

/* Aborts (invariant_failed) unless cond holds; cond is evaluated once, in every build. */
#define INVARIANT(cond) ((cond) ? (void)0 : invariant_failed(#cond, __FILE__, __LINE__, __func__))

#endif
