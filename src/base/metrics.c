/* metrics.c - the registry of stride-ca's metrics and its text exposition. */
#include "base/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

typedef _Atomic uint64_t counter;

/* Histogram upper bounds, in nanoseconds (durations) or units (group sizes), and their le
 * labels. */
static const uint64_t lat_bounds[] = {500000,	  1000000,    2500000,	  5000000,    10000000,
				      25000000,	  50000000,   100000000,  250000000,  500000000,
				      1000000000, 2500000000, 5000000000, 10000000000};
static const char *const lat_le[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
				     "0.1",    "0.25",	"0.5",	  "1",	   "2.5",  "5",	    "10"};
#define LAT_N (sizeof(lat_bounds) / sizeof(lat_bounds[0]))

static const uint64_t commit_bounds[] = {100000,    250000,    500000,	  1000000,  2500000,
					 5000000,   10000000,  25000000,  50000000, 100000000,
					 250000000, 500000000, 1000000000};
static const char *const commit_le[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025",
					"0.005",  "0.01",    "0.025",  "0.05",	"0.1",
					"0.25",	  "0.5",     "1"};
#define COMMIT_N (sizeof(commit_bounds) / sizeof(commit_bounds[0]))

static const uint64_t group_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
static const char *const group_le[] = {"1", "2", "4", "8", "16", "32", "64", "128", "256"};
#define GROUP_N (sizeof(group_bounds) / sizeof(group_bounds[0]))

/* One copy of every counter; histogram buckets hold plain (not cumulative) counts, the last
 * one what is above every bound. */
struct shard {
	counter req[METRICS_MAX_ROUTES][METRICS_MAX_STATUSES];
	counter lat[METRICS_MAX_ROUTES][LAT_N + 1];
	counter lat_sum[METRICS_MAX_ROUTES]; /* ns */
	counter conns;			     /* +1 / -1, modulo 2^64 */
	counter issued[METRICS_KIND_COUNT][METRICS_OP_COUNT][METRICS_MAX_PROVISIONERS];
	counter revoked[METRICS_KIND_COUNT];
	counter replays;
	counter commit[METRICS_STORE_COUNT][COMMIT_N + 1];
	counter commit_sum[METRICS_STORE_COUNT]; /* ns */
	counter group[METRICS_STORE_COUNT][GROUP_N + 1];
	counter group_sum[METRICS_STORE_COUNT];
	counter orders[METRICS_ORDER_COUNT];
	counter audit_failures;
} __attribute__((aligned(64)));

static struct shard shards[METRICS_SHARDS];
static _Thread_local int my_shard = -1;
static atomic_uint next_shard;

static const char *const *route_names;
static atomic_int nroutes;

/* Status codes and provisioner names: a slot each, the last one shared by the overflow. */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
#define STATUS_MIN 100
#define STATUS_MAX 599
static _Atomic unsigned char status_slot[STATUS_MAX + 1]; /* slot + 1; 0: not seen yet */
static int status_code[METRICS_MAX_STATUSES];		  /* under slot_lock */
static int nstatus;					  /* under slot_lock */
static char *prov_names[METRICS_MAX_PROVISIONERS];
static atomic_int nprov; /* published with release after prov_names[n - 1] is set */

static const char *const kind_names[METRICS_KIND_COUNT] = {"x509", "ssh"};
static const char *const op_names[METRICS_OP_COUNT] = {"sign", "renew", "rekey"};
static const char *const store_names[METRICS_STORE_COUNT] = {"sqlite", "postgresql"};
static const char *const order_names[METRICS_ORDER_COUNT] = {"pending", "valid"};

static struct shard *shard(void)
{
	if (my_shard < 0)
		my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) %
				 METRICS_SHARDS);
	return &shards[my_shard];
}

static void add(counter *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

/* The sum over every shard of the counter that is at c in shard 0. */
static uint64_t sum(const counter *c)
{
	uint64_t s = 0;

	for (int k = 0; k < METRICS_SHARDS; k++)
		s += atomic_load_explicit(
		    (const counter *)((const char *)c + (size_t)k * sizeof(struct shard)),
		    memory_order_relaxed);
	return s;
}

static size_t bucket(const uint64_t *bounds, size_t n, uint64_t v)
{
	size_t i = 0;

	while (i < n && v > bounds[i])
		i++;
	return i;
}

void metrics_set_routes(const char *const *names, int n)
{
	pthread_mutex_lock(&slot_lock);
	if (atomic_load(&nroutes) == 0 && n > 0) {
		route_names = names;
		atomic_store(&nroutes, n < METRICS_MAX_ROUTES ? n : METRICS_MAX_ROUTES);
	}
	pthread_mutex_unlock(&slot_lock);
}

static int status_index(int status)
{
	int v;

	if (status < STATUS_MIN || status > STATUS_MAX)
		return METRICS_MAX_STATUSES - 1;
	v = atomic_load_explicit(&status_slot[status], memory_order_relaxed);
	if (v != 0)
		return v - 1;
	pthread_mutex_lock(&slot_lock);
	v = atomic_load_explicit(&status_slot[status], memory_order_relaxed);
	if (v == 0) {
		if (nstatus < METRICS_MAX_STATUSES - 1) {
			status_code[nstatus] = status;
			v = ++nstatus;
		} else {
			v = METRICS_MAX_STATUSES;
		}
		atomic_store_explicit(&status_slot[status], (unsigned char)v, memory_order_relaxed);
	}
	pthread_mutex_unlock(&slot_lock);
	return v - 1;
}

static int prov_index(const char *name)
{
	int n = atomic_load_explicit(&nprov, memory_order_acquire);

	if (name == NULL)
		name = "";
	for (int i = 0; i < n; i++)
		if (strcmp(prov_names[i], name) == 0)
			return i;
	pthread_mutex_lock(&slot_lock);
	n = atomic_load_explicit(&nprov, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		if (strcmp(prov_names[i], name) == 0) {
			pthread_mutex_unlock(&slot_lock);
			return i;
		}
	if (n < METRICS_MAX_PROVISIONERS - 1) {
		prov_names[n] = xstrdup(name);
		atomic_store_explicit(&nprov, n + 1, memory_order_release);
	} else {
		n = METRICS_MAX_PROVISIONERS - 1;
	}
	pthread_mutex_unlock(&slot_lock);
	return n;
}

void metrics_request(int route, int status, int64_t duration_ns)
{
	struct shard *s = shard();
	uint64_t d = duration_ns > 0 ? (uint64_t)duration_ns : 0;

	if (route < 0 || route >= METRICS_MAX_ROUTES)
		return;
	add(&s->req[route][status_index(status)], 1);
	add(&s->lat[route][bucket(lat_bounds, LAT_N, d)], 1);
	add(&s->lat_sum[route], d);
}

void metrics_connection(int delta)
{
	add(&shard()->conns, (uint64_t)(int64_t)delta);
}

void metrics_issued(enum metrics_kind kind, enum metrics_op op, const char *provisioner)
{
	add(&shard()->issued[kind][op][prov_index(provisioner)], 1);
}

void metrics_revoked(enum metrics_kind kind)
{
	add(&shard()->revoked[kind], 1);
}

void metrics_token_replay(void)
{
	add(&shard()->replays, 1);
}

void metrics_commit(enum metrics_store store, int64_t duration_ns, size_t group)
{
	struct shard *s = shard();
	uint64_t d = duration_ns > 0 ? (uint64_t)duration_ns : 0;

	add(&s->commit[store][bucket(commit_bounds, COMMIT_N, d)], 1);
	add(&s->commit_sum[store], d);
	add(&s->group[store][bucket(group_bounds, GROUP_N, group)], 1);
	add(&s->group_sum[store], group);
}

void metrics_acme_order(enum metrics_order state)
{
	add(&shard()->orders[state], 1);
}

void metrics_audit_failure(void)
{
	add(&shard()->audit_failures, 1);
}

/* ---- exposition ----------------------------------------------------------------------- */

/* A label value with '\\', '"' and newline escaped (exposition format 0.0.4). */
static int put_label(struct buf *b, const char *v, struct error *err)
{
	for (; *v != '\0'; v++) {
		const char *e = *v == '\\'   ? "\\\\"
				: *v == '"'  ? "\\\""
				: *v == '\n' ? "\\n"
					     : NULL;
		if ((e != NULL ? buf_append_str(b, e, err) : buf_append(b, v, 1, err)) != 0)
			return -1;
	}
	return 0;
}

static int put_family(struct buf *b, const char *name, const char *type, const char *help,
		      struct error *err)
{
	return buf_printf(b, err, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Seconds from nanoseconds, without trailing zeros ("0.0015", "2"). */
static void seconds_text(uint64_t ns, char *out, size_t n)
{
	size_t len;

	snprintf(out, n, "%llu.%09llu", (unsigned long long)(ns / 1000000000u),
		 (unsigned long long)(ns % 1000000000u));
	len = strlen(out);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 0 && out[len - 1] == '.')
		out[--len] = '\0';
}

/* One histogram series: labels is the text inside the braces without le ("" when none). The
 * buckets are summed over the shards, counts[] of shard 0 given; sum_is_ns: print the sum as
 * seconds. */
static int put_histogram(struct buf *b, const char *name, const char *labels, const counter *counts,
			 const char *const *le, size_t n, const counter *sum_c, bool sum_is_ns,
			 struct error *err)
{
	uint64_t cum = 0, total_sum = sum(sum_c);
	const char *sep = labels[0] != '\0' ? "," : "";
	char text[48];

	for (size_t i = 0; i <= n; i++) {
		cum += sum(&counts[i]);
		if (buf_printf(b, err, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep,
			       i < n ? le[i] : "+Inf", (unsigned long long)cum) != 0)
			return -1;
	}
	if (sum_is_ns)
		seconds_text(total_sum, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%llu", (unsigned long long)total_sum);
	if (labels[0] != '\0')
		return buf_printf(b, err, "%s_sum{%s} %s\n%s_count{%s} %llu\n", name, labels, text,
				  name, labels, (unsigned long long)cum);
	return buf_printf(b, err, "%s_sum %s\n%s_count %llu\n", name, text, name,
			  (unsigned long long)cum);
}

static uint64_t histogram_count(const counter *counts, size_t n)
{
	uint64_t c = 0;

	for (size_t i = 0; i <= n; i++)
		c += sum(&counts[i]);
	return c;
}

/* The label text route="<name>" (escaped) of route r, in a buffer of its own. */
static int route_label(int r, struct buf *l, struct error *err)
{
	buf_reset(l);
	if (buf_append_str(l, "route=\"", err) != 0 || put_label(l, route_names[r], err) != 0 ||
	    buf_append_str(l, "\"", err) != 0)
		return -1;
	return 0;
}

static int write_requests(struct buf *b, int nr, const int *codes, const int *order, int ns,
			  struct error *err)
{
	struct buf l;
	int rc = -1;

	buf_init(&l, 4096);
	if (put_family(b, "stride_http_requests_total", "counter",
		       "HTTP requests answered, by route and status.", err) != 0)
		goto out;
	for (int r = 0; r < nr; r++) {
		if (route_label(r, &l, err) != 0)
			goto out;
		for (int i = 0; i < ns; i++) {
			int slot = order[i];
			uint64_t v = sum(&shards[0].req[r][slot]);
			char code[16];

			if (v == 0)
				continue;
			if (slot == METRICS_MAX_STATUSES - 1)
				snprintf(code, sizeof(code), "other");
			else
				snprintf(code, sizeof(code), "%d", codes[slot]);
			if (buf_printf(b, err,
				       "stride_http_requests_total{%s,status=\"%s\"} %llu\n",
				       (char *)l.data, code, (unsigned long long)v) != 0)
				goto out;
		}
	}
	if (put_family(b, "stride_http_request_duration_seconds", "histogram",
		       "Time from a request's arrival to its answer, by route.", err) != 0)
		goto out;
	for (int r = 0; r < nr; r++) {
		if (histogram_count(shards[0].lat[r], LAT_N) == 0)
			continue;
		if (route_label(r, &l, err) != 0 ||
		    put_histogram(b, "stride_http_request_duration_seconds", (char *)l.data,
				  shards[0].lat[r], lat_le, LAT_N, &shards[0].lat_sum[r], true,
				  err) != 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&l);
	return rc;
}

static int write_certificates(struct buf *b, struct error *err)
{
	int np = atomic_load_explicit(&nprov, memory_order_acquire);

	if (put_family(b, "stride_certificates_issued_total", "counter",
		       "Certificates issued, by kind, operation and provisioner.", err) != 0)
		return -1;
	for (int k = 0; k < METRICS_KIND_COUNT; k++)
		for (int o = 0; o < METRICS_OP_COUNT; o++)
			for (int p = 0; p < METRICS_MAX_PROVISIONERS; p++) {
				uint64_t v = sum(&shards[0].issued[k][o][p]);

				if (v == 0 || (p >= np && p != METRICS_MAX_PROVISIONERS - 1))
					continue;
				if (buf_printf(b, err,
					       "stride_certificates_issued_total{kind=\"%s\","
					       "operation=\"%s\",provisioner=\"",
					       kind_names[k], op_names[o]) != 0 ||
				    put_label(b, p < np ? prov_names[p] : "other", err) != 0 ||
				    buf_printf(b, err, "\"} %llu\n", (unsigned long long)v) != 0)
					return -1;
			}
	if (put_family(b, "stride_certificates_revoked_total", "counter",
		       "Certificates revoked, by kind.", err) != 0)
		return -1;
	for (int k = 0; k < METRICS_KIND_COUNT; k++)
		if (buf_printf(b, err, "stride_certificates_revoked_total{kind=\"%s\"} %llu\n",
			       kind_names[k], (unsigned long long)sum(&shards[0].revoked[k])) != 0)
			return -1;
	if (put_family(b, "stride_token_replays_total", "counter",
		       "Tokens refused because they were used before.", err) != 0 ||
	    buf_printf(b, err, "stride_token_replays_total %llu\n",
		       (unsigned long long)sum(&shards[0].replays)) != 0)
		return -1;
	return 0;
}

static int write_store(struct buf *b, struct error *err)
{
	char labels[64];

	if (put_family(b, "stride_store_commit_duration_seconds", "histogram",
		       "Duration of the store's group commits, by store.", err) != 0)
		return -1;
	for (int s = 0; s < METRICS_STORE_COUNT; s++) {
		if (histogram_count(shards[0].commit[s], COMMIT_N) == 0)
			continue;
		snprintf(labels, sizeof(labels), "store=\"%s\"", store_names[s]);
		if (put_histogram(b, "stride_store_commit_duration_seconds", labels,
				  shards[0].commit[s], commit_le, COMMIT_N,
				  &shards[0].commit_sum[s], true, err) != 0)
			return -1;
	}
	if (put_family(b, "stride_store_commit_group_size", "histogram",
		       "Transactions per group commit of the store, by store.", err) != 0)
		return -1;
	for (int s = 0; s < METRICS_STORE_COUNT; s++) {
		if (histogram_count(shards[0].group[s], GROUP_N) == 0)
			continue;
		snprintf(labels, sizeof(labels), "store=\"%s\"", store_names[s]);
		if (put_histogram(b, "stride_store_commit_group_size", labels, shards[0].group[s],
				  group_le, GROUP_N, &shards[0].group_sum[s], false, err) != 0)
			return -1;
	}
	return 0;
}

int metrics_write(struct buf *out, struct error *err)
{
	int codes[METRICS_MAX_STATUSES], order[METRICS_MAX_STATUSES];
	int ns, nr = atomic_load(&nroutes);

	pthread_mutex_lock(&slot_lock);
	ns = nstatus;
	memcpy(codes, status_code, sizeof(codes));
	pthread_mutex_unlock(&slot_lock);
	/* statuses in numeric order, the overflow slot last */
	for (int i = 0; i < ns; i++) {
		int j = i;

		while (j > 0 && codes[order[j - 1]] > codes[i]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	order[ns++] = METRICS_MAX_STATUSES - 1;

	if (write_requests(out, nr, codes, order, ns, err) != 0 ||
	    put_family(out, "stride_http_connections_open", "gauge",
		       "Client connections open on the HTTPS listener.", err) != 0 ||
	    buf_printf(out, err, "stride_http_connections_open %lld\n",
		       (long long)(int64_t)sum(&shards[0].conns)) != 0 ||
	    write_certificates(out, err) != 0 || write_store(out, err) != 0 ||
	    put_family(out, "stride_acme_orders_total", "counter",
		       "ACME orders that entered a state (pending: created, valid: finalized).",
		       err) != 0)
		return -1;
	for (int o = 0; o < METRICS_ORDER_COUNT; o++)
		if (buf_printf(out, err, "stride_acme_orders_total{state=\"%s\"} %llu\n",
			       order_names[o], (unsigned long long)sum(&shards[0].orders[o])) != 0)
			return -1;
	if (put_family(out, "stride_audit_write_failures_total", "counter",
		       "Audit records that could not be written.", err) != 0 ||
	    buf_printf(out, err, "stride_audit_write_failures_total %llu\n",
		       (unsigned long long)sum(&shards[0].audit_failures)) != 0)
		return -1;
	return 0;
}

void metrics_reset(void)
{
	pthread_mutex_lock(&slot_lock);
	memset(shards, 0, sizeof(shards)); /* tests only: nothing records concurrently */
	for (int i = STATUS_MIN; i <= STATUS_MAX; i++)
		atomic_store(&status_slot[i], 0);
	nstatus = 0;
	for (int i = 0; i < atomic_load(&nprov); i++) {
		free(prov_names[i]);
		prov_names[i] = NULL;
	}
	atomic_store(&nprov, 0);
	route_names = NULL;
	atomic_store(&nroutes, 0);
	pthread_mutex_unlock(&slot_lock);
}
