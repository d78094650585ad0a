/* log.h - one JSON object per line on stderr.
 *
 * Callers pass key/value pairs; values are escaped. Secrets are never logged:
 * the token of a request is logged only as its jti / a hash by the caller.
 */
#ifndef STRIDE_BASE_LOG_H
#define STRIDE_BASE_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the minimum level written (default LOG_INFO) and whether output is JSON (default) or
 * "text" (step's logger.format). */
void log_configure(enum log_level min, int json);
/* Writes {"time":...,"level":...,"msg":msg, k1:v1, ...}; the list of string pairs ends with
 * NULL (a NULL value also ends it). Levels are "debug", "info", "warning", "error"; a line is at
 * most 8 KiB (a long value is cut and ends with "..."). Thread-safe (one write(2) per line). */
void log_msg(enum log_level level, const char *msg, ...) __attribute__((sentinel));
/* Between log_hold and log_release the lines this thread logs are kept and then written with
 * one write(2) (up to PIPE_BUF bytes at a time): a request's access line and its audit record
 * cost one system call. Only for a short stretch of code that cannot block or crash between
 * the two calls. */
void log_hold(void);
void log_release(void);
#endif
