/* metrics.h - stride-ca's Prometheus counters and their text exposition (format 0.0.4).
 *
 * One process-wide registry of fixed metric families, all named stride_*. Recording is a few
 * relaxed atomic additions on one of METRICS_SHARDS copies of the counters (each thread keeps
 * to its own copy): no lock and no shared cache line on the signing path. A scrape sums the
 * copies. Label sets are bounded: routes are indexes named once at start (metrics_set_routes),
 * status codes and provisioner names get a slot under a lock the first time they are seen (at
 * most METRICS_MAX_STATUSES / METRICS_MAX_PROVISIONERS; later ones share the last slot, whose
 * label is "other").
 *
 * Families (metrics_write writes them in this order):
 *   stride_http_requests_total{route,status}                counter
 *   stride_http_request_duration_seconds{route}             histogram
 *   stride_http_connections_open                            gauge
 *   stride_certificates_issued_total{kind,operation,provisioner} counter
 *   stride_certificates_revoked_total{kind}                 counter
 *   stride_token_replays_total                              counter
 *   stride_store_commit_duration_seconds{store}             histogram
 *   stride_store_commit_group_size{store}                   histogram
 *   stride_acme_orders_total{state}                         counter
 *   stride_audit_write_failures_total                       counter
 */
#ifndef STRIDE_BASE_METRICS_H
#define STRIDE_BASE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

#define METRICS_SHARDS		 8
#define METRICS_MAX_ROUTES	 32
#define METRICS_MAX_STATUSES	 32
#define METRICS_MAX_PROVISIONERS 128

enum metrics_kind { METRICS_X509, METRICS_SSH, METRICS_KIND_COUNT };
enum metrics_op { METRICS_OP_SIGN, METRICS_OP_RENEW, METRICS_OP_REKEY, METRICS_OP_COUNT };
enum metrics_store { METRICS_STORE_SQLITE, METRICS_STORE_POSTGRES, METRICS_STORE_COUNT };
/* The ACME order states the engine sees an order enter: created (pending), finalized (valid). */
enum metrics_order { METRICS_ORDER_PENDING, METRICS_ORDER_VALID, METRICS_ORDER_COUNT };

/* Names the routes 0..n-1 of metrics_request (n at most METRICS_MAX_ROUTES; the strings must
 * live as long as the process). Call before the first request; later calls are ignored. */
void metrics_set_routes(const char *const *names, int n);
/* One request answered: route index, HTTP status, time from arrival to answer. */
void metrics_request(int route, int status, int64_t duration_ns);
/* A connection opened (+1) or closed (-1). */
void metrics_connection(int delta);
/* A certificate issued by provisioner (NULL counts as ""). */
void metrics_issued(enum metrics_kind kind, enum metrics_op op, const char *provisioner);
/* A certificate revoked. */
void metrics_revoked(enum metrics_kind kind);
/* A token refused because it was used before. */
void metrics_token_replay(void);
/* One group commit of the store: its duration and how many transactions it held. */
void metrics_commit(enum metrics_store store, int64_t duration_ns, size_t group);
/* An ACME order entered state. */
void metrics_acme_order(enum metrics_order state);
/* An audit record could not be written. */
void metrics_audit_failure(void);

/* Appends the exposition text of every family to out (HELP and TYPE lines, label values
 * escaped, histograms with cumulative _bucket, le="+Inf", _sum and _count). */
int metrics_write(struct buf *out, struct error *err);
/* Sets every counter back to zero and forgets statuses and provisioners (tests only; nothing
 * may record meanwhile). */
void metrics_reset(void);

#endif
