/* run.c - one scenario: prepare, run the timed phase on one thread per connection, measure. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/str.h"
#include "bench.h"

#define RSS_SAMPLE_MS  50
#define RSS_SERIES_MAX 20000
#define ERR_SNIPPET    160

enum req_state { REQ_NOT_RUN, REQ_OK, REQ_STATUS, REQ_TRANSPORT };

struct run {
	const struct bench_ctx *ctx;
	const struct target *t;
	const struct scen_spec *s;
	struct prepared *reqs; /* sign scenarios */
	char *renew_req;       /* renew scenario: the same request on every connection */
	size_t renew_len;
	struct identity *ids;	 /* renew scenario: one per connection */
	int expect;		 /* the status of a success: 201, 200 for OCSP and cfssl */
	bool ocsp;		 /* a success is also an OCSPResponse that says successful */
	bool cfssl;		 /* cfssl's authsign: sampled answers are checked as cfssl's */
	struct acme_acct *accts; /* ACME scenario: one account per connection */
	atomic_size_t orders_done, acme_requests, acme_polls, acme_bad_nonces;
	size_t n;
	atomic_size_t next;
	atomic_int finished;
	atomic_llong deadline; /* 0 = none */
	atomic_size_t reconnects;
	pthread_barrier_t barrier;
	double *lat_ms;
	uint8_t *state;
	int16_t *who; /* the connection (thread) that ran the request */
	uint8_t **bodies;
	size_t *body_lens;
	int64_t *end_ns; /* per thread: when its last request finished */
	pthread_mutex_t mu;
	struct scen_result *res; /* first_errors, under mu */
};

struct worker_arg {
	struct run *r;
	int index;
};

static void record_error(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record_error(struct run *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&r->mu);
	if (r->res->n_first_errors < 3) {
		bool seen = false;
		for (int k = 0; k < r->res->n_first_errors; k++)
			seen |= strcmp(r->res->first_errors[k], msg) == 0;
		if (!seen)
			snprintf(r->res->first_errors[r->res->n_first_errors++],
				 sizeof(r->res->first_errors[0]), "%s", msg);
	}
	pthread_mutex_unlock(&r->mu);
}

static int servers_mem(const struct bench_ctx *ctx, long *rss_kb, long *hwm_kb, struct error *err);

static bool sampled(const struct run *r, size_t i)
{
	return r->ctx->sample_every > 0 && i % (size_t)r->ctx->sample_every == 0;
}

static int open_conn(struct run *r, struct hconn *c, int k, struct error *err)
{
	const struct identity *id = r->ids != NULL ? &r->ids[k] : NULL;

	const struct target *t =
	    r->ctx->n_targets > 1 ? &r->ctx->targets[k % r->ctx->n_targets] : r->t;

	return hconn_open(c, t, id != NULL ? id->cert : NULL, id != NULL ? id->key : NULL,
			  id != NULL ? id->chain : NULL, err);
}

/* The server's RSS once the number of completed orders reaches one of bench_rss_marks. */
static void mark_rss(struct run *r, size_t done)
{
	long rss, hwm;

	for (int k = 0; k < BENCH_RSS_MARKS; k++) {
		if (done != bench_rss_marks[k] || servers_mem(r->ctx, &rss, &hwm, NULL) != 0)
			continue;
		pthread_mutex_lock(&r->mu);
		r->res->rss_mark_kb[k] = rss;
		pthread_mutex_unlock(&r->mu);
	}
}

/* One whole ACME order as request i of the run. */
static void acme_one(struct run *r, struct hconn *c, int index, size_t i)
{
	const struct target *t =
	    r->ctx->n_targets > 1 ? &r->ctx->targets[index % r->ctx->n_targets] : r->t;
	struct acme_order_out o;
	struct error err = {0};
	int64_t t0 = now_ns();
	int rc = acme_order_run(r->ctx, t, c, &r->accts[index], index, &r->reqs[i], sampled(r, i),
				&o, &err);

	r->lat_ms[i] = (double)(now_ns() - t0) / 1e6;
	atomic_fetch_add(&r->acme_requests, o.requests);
	atomic_fetch_add(&r->acme_polls, o.polls);
	atomic_fetch_add(&r->acme_bad_nonces, o.bad_nonces);
	atomic_fetch_add(&r->reconnects, o.reconnects);
	if (rc != 0) {
		r->state[i] = o.status != 0 ? REQ_STATUS : REQ_TRANSPORT;
		record_error(r, "%s", err.msg);
		free(o.pem);
		return;
	}
	r->state[i] = REQ_OK;
	r->bodies[i] = o.pem;
	r->body_lens[i] = o.pem_len;
	mark_rss(r, atomic_fetch_add(&r->orders_done, 1) + 1);
}

/* Whether an OCSP answer is an OCSPResponse whose responseStatus is successful (0). */
static bool ocsp_successful(const struct hresp *resp)
{
	const uint8_t *b = resp->body;
	size_t off = 2;

	if (resp->body_len < 8 || b[0] != 0x30)
		return false;
	if (b[1] & 0x80)
		off += b[1] & 0x7f;
	return off + 3 <= resp->body_len && memcmp(b + off, "\x0a\x01\x00", 3) == 0;
}

static void *worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct run *r = wa->r;
	bool newconn = scen_is_newconn(r->s->kind);
	struct error err = {0};
	struct hconn c;
	struct hresp resp;

	hconn_init(&c);
	/* Keep-alive scenarios connect before the clock starts. */
	if (!newconn && open_conn(r, &c, wa->index, &err) != 0)
		record_error(r, "connect: %s", err.msg);
	pthread_barrier_wait(&r->barrier);
	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);
		long long deadline = atomic_load(&r->deadline);
		const void *req;
		size_t len;
		int64_t t0;

		if (i >= r->n || (deadline != 0 && now_ns() >= deadline))
			break;
		r->who[i] = (int16_t)wa->index;
		if (r->accts != NULL) {
			acme_one(r, &c, wa->index, i);
			continue;
		}
		req = r->reqs != NULL ? r->reqs[i].req : r->renew_req;
		len = r->reqs != NULL ? r->reqs[i].req_len : r->renew_len;
		t0 = now_ns();
		if (!hconn_is_open(&c)) {
			if (!newconn)
				atomic_fetch_add(&r->reconnects, 1);
			if (open_conn(r, &c, wa->index, &err) != 0) {
				r->state[i] = REQ_TRANSPORT;
				record_error(r, "connect: %s", err.msg);
				continue;
			}
		}
		if (http_roundtrip(&c, req, len, &resp, &err) != 0) {
			r->state[i] = REQ_TRANSPORT;
			record_error(r, "%s", err.msg);
			hconn_close(&c);
			continue;
		}
		r->lat_ms[i] = (double)(now_ns() - t0) / 1e6;
		if (resp.status == r->expect && r->ocsp && !ocsp_successful(&resp)) {
			r->state[i] = REQ_STATUS;
			record_error(r, "OCSP answer of %zu bytes is not successful",
				     resp.body_len);
		} else if (resp.status == r->expect && r->ocsp) {
			r->state[i] = REQ_OK;
		} else if (resp.status == r->expect) {
			r->state[i] = REQ_OK;
			if (sampled(r, i)) {
				r->bodies[i] = xmalloc(resp.body_len + 1);
				memcpy(r->bodies[i], resp.body, resp.body_len);
				r->bodies[i][resp.body_len] = '\0';
				r->body_lens[i] = resp.body_len;
			}
		} else {
			r->state[i] = REQ_STATUS;
			record_error(
			    r, "status %d: %.*s", resp.status,
			    (int)(resp.body_len > ERR_SNIPPET ? ERR_SNIPPET : resp.body_len),
			    (const char *)resp.body);
		}
		if (resp.close || newconn)
			hconn_close(&c);
	}
	r->end_ns[wa->index] = now_ns();
	hconn_free(&c);
	atomic_fetch_add(&r->finished, 1);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *v, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Statistics over the requests that ran. */
static void summarize(struct run *r, int64_t t0)
{
	struct scen_result *res = r->res;
	double *ok_lat = xmalloc((r->n > 0 ? r->n : 1) * sizeof(double)), sum = 0;
	int64_t end = t0;
	size_t nok = 0;

	for (int k = 0; k < r->s->conc; k++)
		if (r->end_ns[k] > end)
			end = r->end_ns[k];
	for (size_t i = 0; i < r->n; i++) {
		switch (r->state[i]) {
		case REQ_OK:
			ok_lat[nok++] = r->lat_ms[i];
			sum += r->lat_ms[i];
			break;
		case REQ_STATUS:
			res->err_status++;
			break;
		case REQ_TRANSPORT:
			res->err_transport++;
			break;
		default:
			continue;
		}
		res->attempted++;
	}
	qsort(ok_lat, nok, sizeof(double), cmp_double);
	res->ok = nok;
	res->wall_s = (double)(end - t0) / 1e9;
	res->rps = res->wall_s > 0 ? (double)nok / res->wall_s : 0;
	res->p50_ms = percentile(ok_lat, nok, 0.50);
	res->p90_ms = percentile(ok_lat, nok, 0.90);
	res->p99_ms = percentile(ok_lat, nok, 0.99);
	res->max_ms = nok > 0 ? ok_lat[nok - 1] : 0;
	res->mean_ms = nok > 0 ? sum / (double)nok : 0;
	res->reconnects = atomic_load(&r->reconnects);
	res->acme_http_requests = atomic_load(&r->acme_requests);
	res->acme_polls = atomic_load(&r->acme_polls);
	res->acme_bad_nonces = atomic_load(&r->acme_bad_nonces);
	free(ok_lat);
}

/* The servers' CPU ticks, summed: user in *user, user + system in *all. */
static int servers_cpu(const struct bench_ctx *ctx, uint64_t *user, uint64_t *all,
		       struct error *err)
{
	uint64_t u, s;

	*user = *all = 0;
	for (int k = 0; k < ctx->n_servers; k++) {
		if (proc_cpu_ticks(ctx->server_pids[k], &u, &s, err) != 0)
			return -1;
		*user += u;
		*all += u + s;
	}
	return 0;
}

/* The servers' VmRSS and VmHWM, summed. */
static int servers_mem(const struct bench_ctx *ctx, long *rss_kb, long *hwm_kb, struct error *err)
{
	long r, h;

	*rss_kb = *hwm_kb = 0;
	for (int k = 0; k < ctx->n_servers; k++) {
		if (proc_mem_kb(ctx->server_pids[k], &r, &h, err) != 0)
			return -1;
		*rss_kb += r;
		*hwm_kb += h;
	}
	return 0;
}

/* The first server that is gone, or 0. */
static pid_t server_gone(const struct bench_ctx *ctx)
{
	for (int k = 0; k < ctx->n_servers; k++)
		if (!proc_alive(ctx->server_pids[k]))
			return ctx->server_pids[k];
	return 0;
}

/* Checks the sampled certificates after the timed phase. */
static void check_samples(struct run *r)
{
	struct scen_result *res = r->res;
	struct error err = {0};

	for (size_t i = 0; i < r->n; i++) {
		const char *dns;
		EVP_PKEY *key;
		X509 *old = NULL;

		if (r->bodies[i] == NULL)
			continue;
		if (r->ids != NULL) {
			const struct identity *id = &r->ids[r->who[i]];
			dns = id->dns;
			key = id->key;
			old = id->cert;
		} else {
			dns = r->reqs[i].dns;
			key = r->reqs[i].key;
		}
		res->sampled++;
		if ((r->accts != NULL
			 ? check_pem_chain(r->ctx, r->bodies[i], r->body_lens[i], dns, key, &err)
		     : r->cfssl ? check_cfssl_response(r->ctx, r->bodies[i], r->body_lens[i], dns,
						       key, &err)
				: check_response(r->ctx, r->bodies[i], r->body_lens[i], dns, key,
						 old, &err)) == 0) {
			res->sample_ok++;
		} else {
			res->err_sample++;
			record_error(r, "certificate %zu: %s", i, err.msg);
		}
	}
}

int scenario_run(const struct bench_ctx *ctx, const struct target *t, const struct scen_spec *s,
		 struct scen_result *res, struct error *err)
{
	struct run r = {.ctx = ctx, .t = t, .s = s, .n = s->requests, .res = res};
	struct worker_arg *args = NULL;
	pthread_t *th = NULL;
	uint64_t tk0 = 0, tk1 = 0, us0 = 0, us1 = 0, busy0 = 0, busy1 = 0, steal0 = 0, steal1 = 0;
	uint64_t db0 = 0, db1 = 0;
	pid_t gone;
	int64_t t0, cpu0, start_ns;
	size_t served0 = http01_served(ctx->http01);
	long hwm = 0;
	bool failed;
	char label[32];
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->spec = *s;
	res->rss_series = json_array();
	pthread_mutex_init(&r.mu, NULL);
	snprintf(label, sizeof(label), "%s%d",
		 s->kind == SCEN_SIGN		      ? "s"
		 : s->kind == SCEN_RENEW	      ? "r"
		 : s->kind == SCEN_ACME		      ? "a"
		 : s->kind == SCEN_SIGN_NEWCONN	      ? "n"
		 : s->kind == SCEN_CFSSL_SIGN	      ? "cs"
		 : s->kind == SCEN_CFSSL_SIGN_NEWCONN ? "cn"
						      : "o",
		 s->conc);
	r.ocsp = s->kind == SCEN_OCSP || s->kind == SCEN_OCSP_NONCE;
	r.cfssl = scen_is_cfssl(s->kind);
	/* stride-ca answers a sign with 201 Created as step-ca does; cfssl with 200 */
	r.expect = r.ocsp || r.cfssl ? 200 : 201;

	/* Untimed preparation. */
	if (s->kind == SCEN_RENEW) {
		int64_t p0 = now_ns();
		if (prep_identities(ctx, t, s->conc, &r.ids, err) != 0)
			goto out;
		r.renew_req = prep_renew_request(ctx, &r.renew_len);
		res->prepared = (size_t)s->conc;
		res->prep_wall_s = (double)(now_ns() - p0) / 1e9;
	} else if (s->kind == SCEN_OCSP || s->kind == SCEN_OCSP_NONCE) {
		/* one certificate, asked about on every connection (no client certificate) */
		struct identity *id = NULL;
		int64_t p0 = now_ns();
		if (prep_identities(ctx, t, 1, &id, err) != 0)
			goto out;
		r.renew_req =
		    prep_ocsp_request(ctx, id, s->kind == SCEN_OCSP_NONCE, &r.renew_len, err);
		identities_free(id, 1);
		if (r.renew_req == NULL)
			goto out;
		res->prepared = 1;
		res->prep_wall_s = (double)(now_ns() - p0) / 1e9;
	} else if (s->kind == SCEN_ACME) {
		int64_t p0 = now_ns();
		if (ctx->http01 == NULL || ctx->n_targets > 1) {
			err_set(err, ERR_INVALID,
				"the ACME scenario needs --acme-http-port and one --url");
			goto out;
		}
		if (prep_acme(ctx, r.n, &r.reqs, res, err) != 0 ||
		    acme_accounts_new(ctx, t, s->conc, &r.accts, err) != 0)
			goto out;
		res->prep_wall_s = (double)(now_ns() - p0) / 1e9;
	} else if (r.cfssl) {
		if (prep_cfssl(ctx, label, r.n, s->kind == SCEN_CFSSL_SIGN_NEWCONN, &r.reqs, res,
			       err) != 0)
			goto out;
	} else if (prep_sign(ctx, label, r.n, s->kind == SCEN_SIGN_NEWCONN, &r.reqs, res, err) !=
		   0) {
		goto out;
	}
	r.lat_ms = xcalloc(r.n + 1, sizeof(double));
	r.state = xcalloc(r.n + 1, 1);
	r.who = xcalloc(r.n + 1, sizeof(int16_t));
	r.bodies = xcalloc(r.n + 1, sizeof(uint8_t *));
	r.body_lens = xcalloc(r.n + 1, sizeof(size_t));
	r.end_ns = xcalloc((size_t)s->conc, sizeof(int64_t));
	args = xcalloc((size_t)s->conc, sizeof(*args));
	th = xcalloc((size_t)s->conc, sizeof(*th));

	if (servers_mem(ctx, &res->rss_start_kb, &hwm, err) != 0)
		goto out;
	res->hwm_reset = true;
	for (int k = 0; k < ctx->n_servers; k++)
		res->hwm_reset &= proc_reset_hwm(ctx->server_pids[k]) == 0;
	if (pthread_barrier_init(&r.barrier, NULL, (unsigned)s->conc + 1) != 0) {
		err_set(err, ERR_INTERNAL, "pthread_barrier_init failed");
		goto out;
	}
	for (int k = 0; k < s->conc; k++) {
		args[k] = (struct worker_arg){.r = &r, .index = k};
		if (pthread_create(&th[k], NULL, worker, &args[k]) != 0) {
			/* The barrier counts on every thread: no way to go on. */
			fprintf(stderr, "stride-bench: cannot start thread %d of %d\n", k, s->conc);
			exit(1);
		}
	}
	pthread_barrier_wait(&r.barrier);
	t0 = now_ns();
	if (s->seconds > 0)
		atomic_store(&r.deadline, (long long)(t0 + (int64_t)(s->seconds * 1e9)));
	cpu0 = self_cpu_ns();
	failed = servers_cpu(ctx, &us0, &tk0, err) != 0 ||
		 proc_system_cpu(&busy0, &steal0, err) != 0 ||
		 (ctx->db_pid > 0 && proc_tree_cpu_ticks(ctx->db_pid, &db0, err) != 0);
	start_ns = t0;
	res->rss_max_sampled_kb = res->rss_start_kb;
	while (!failed && atomic_load(&r.finished) < s->conc) {
		long rss, h;
		sleep_ms(RSS_SAMPLE_MS);
		if (servers_mem(ctx, &rss, &h, NULL) == 0) {
			if (rss > res->rss_max_sampled_kb)
				res->rss_max_sampled_kb = rss;
			if (json_array_size(res->rss_series) < RSS_SERIES_MAX)
				json_array_append_new(res->rss_series,
						      json_pack("[f, I]",
								(double)(now_ns() - start_ns) / 1e9,
								(json_int_t)rss));
		}
	}
	for (int k = 0; k < s->conc; k++)
		pthread_join(th[k], NULL);
	pthread_barrier_destroy(&r.barrier);
	if (failed)
		goto out;
	if (servers_cpu(ctx, &us1, &tk1, err) != 0 || proc_system_cpu(&busy1, &steal1, err) != 0 ||
	    servers_mem(ctx, &res->rss_end_kb, &res->hwm_kb, err) != 0 ||
	    (ctx->db_pid > 0 && proc_tree_cpu_ticks(ctx->db_pid, &db1, err) != 0)) {
		if ((gone = server_gone(ctx)) != 0) {
			summarize(&r, t0);
			err_set(err, ERR_IO,
				"the server (pid %ld) exited during the run: %zu ok, %zu transport "
				"errors, first error: %s",
				(long)gone, res->ok, res->err_transport,
				res->n_first_errors > 0 ? res->first_errors[0] : "none");
		}
		goto out;
	}
	summarize(&r, t0);
	{
		double bench_s = (double)(self_cpu_ns() - cpu0) / 1e9;
		double tck = (double)sysconf(_SC_CLK_TCK);
		double srv_s = (double)(tk1 - tk0) / tck;
		res->bench_cpu_ms_per_req = res->ok > 0 ? bench_s * 1e3 / (double)res->ok : 0;
		if (res->wall_s > 0) {
			res->bench_util = bench_s / res->wall_s;
			res->other_util = ((double)(busy1 - busy0) / tck - srv_s - bench_s -
					   (double)(db1 - db0) / tck) /
					  res->wall_s;
			if (res->other_util < 0)
				res->other_util = 0;
			res->steal_util = (double)(steal1 - steal0) / tck / res->wall_s;
		}
	}
	res->srv_ticks = tk1 - tk0;
	res->srv_user_ticks = us1 - us0;
	res->srv_cpu_s = (double)res->srv_ticks / (double)sysconf(_SC_CLK_TCK);
	res->srv_cpu_ms_per_req = res->ok > 0 ? res->srv_cpu_s * 1e3 / (double)res->ok : 0;
	res->srv_util = res->wall_s > 0 ? res->srv_cpu_s / res->wall_s : 0;
	if (ctx->db_pid > 0) {
		double db_s = (double)(db1 > db0 ? db1 - db0 : 0) / (double)sysconf(_SC_CLK_TCK);
		res->has_db = true;
		res->db_ticks = db1 > db0 ? db1 - db0 : 0;
		res->db_cpu_ms_per_req = res->ok > 0 ? db_s * 1e3 / (double)res->ok : 0;
		res->db_util = res->wall_s > 0 ? db_s / res->wall_s : 0;
	}
	if (res->ok > 0) {
		double ms_per_tick = 1e3 / (double)sysconf(_SC_CLK_TCK);
		res->srv_user_ms_per_req =
		    (double)res->srv_user_ticks * ms_per_tick / (double)res->ok;
		res->srv_sys_ms_per_req =
		    (double)(res->srv_ticks - res->srv_user_ticks) * ms_per_tick / (double)res->ok;
	}
	check_samples(&r);
	if (s->kind == SCEN_ACME)
		res->acme_http01_served = http01_served(ctx->http01) - served0;
	rc = 0;
out:
	if (r.bodies != NULL)
		for (size_t i = 0; i < r.n; i++)
			free(r.bodies[i]);
	free(r.bodies);
	free(r.body_lens);
	free(r.lat_ms);
	free(r.state);
	free(r.who);
	free(r.end_ns);
	free(args);
	free(th);
	prep_free(r.reqs, r.n);
	free(r.renew_req);
	identities_free(r.ids, s->conc);
	acme_accounts_free(r.accts, s->conc);
	pthread_mutex_destroy(&r.mu);
	return rc;
}

void scen_result_free(struct scen_result *r)
{
	json_decref(r->rss_series);
	r->rss_series = NULL;
}
