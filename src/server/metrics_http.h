/* metrics_http.h - the Prometheus listener of stride-ca (ca.json "metricsAddress").
 *
 * Plain HTTP on its own thread and event loop, apart from the HTTPS workers: GET (or HEAD)
 * /metrics answers the text exposition (format 0.0.4) of base/metrics.h; every other path is
 * 404. A host-less address (":9100") listens on 127.0.0.1 only, unlike "address" (which takes
 * every interface): expose the metrics beyond the machine by naming the host ("0.0.0.0:9100").
 */
#ifndef STRIDE_SERVER_METRICS_HTTP_H
#define STRIDE_SERVER_METRICS_HTTP_H

#include "base/error.h"

struct metrics_http;

/* Binds address and starts serving; *out owned by the caller (metrics_http_free). */
int metrics_http_start(const char *address, struct metrics_http **out, struct error *err);
/* The address bound, with the real port ("127.0.0.1:9100"). */
const char *metrics_http_address(const struct metrics_http *m);
/* Stops serving, joins the thread and frees everything (NULL is fine). */
void metrics_http_free(struct metrics_http *m);

#endif
