/* report.c - the table on stdout, and the results as markdown and JSON files. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "bench.h"

/* Other CPU (fraction of one core) above which a scenario is flagged as disturbed. Loopback
 * softirq work alone stays well below. */
#define BUSY_MACHINE 0.3

static double mib(long kb)
{
	return (double)kb / 1024.0;
}

static size_t errors(const struct scen_result *r)
{
	return r->err_status + r->err_transport + r->err_sample;
}

/* The crypto floor of one request of this scenario in ms: an issuance verifies a token and a
 * CSR and signs a certificate; a renewal over mTLS only signs a certificate (the client
 * certificate was verified once, in the handshake). */
static double floor_of(const struct scen_result *r, const struct report *rep)
{
	if (!rep->have_floor)
		return 0;
	if (r->spec.kind == SCEN_ACME)
		return r->ok > 0 ? ((double)r->acme_http_requests / (double)r->ok *
					rep->floor.jws_verify_us +
				    rep->floor.csr_verify_us + rep->floor.cert_sign_us) /
				       1e3
				 : 0;
	if (r->spec.kind == SCEN_OCSP || r->spec.kind == SCEN_OCSP_NONCE)
		return rep->floor.ecdsa_sign_us / 1e3; /* an answer signed (the cache saves it) */
	if (scen_is_cfssl(r->spec.kind)) /* an HMAC instead of the token's ECDSA verify */
		return (rep->floor.csr_verify_us + rep->floor.cert_sign_us) / 1e3;
	return r->spec.kind == SCEN_RENEW ? rep->floor.cert_sign_us / 1e3 : rep->floor.floor_ms;
}

/* ACME: HTTP requests per completed order. */
static double acme_req_per_order(const struct scen_result *r)
{
	return r->ok > 0 ? (double)r->acme_http_requests / (double)r->ok : 0;
}

/* "10.5 / 10.6 / -" : VmRSS at the start and after each mark of orders ("-": not reached). */
static void rss_marks_str(const struct scen_result *r, char *out, size_t n)
{
	size_t off = (size_t)snprintf(out, n, "%.1f", mib(r->rss_start_kb));

	for (int k = 0; k < BENCH_RSS_MARKS && off < n; k++) {
		if (r->rss_mark_kb[k] > 0)
			off +=
			    (size_t)snprintf(out + off, n - off, " / %.1f", mib(r->rss_mark_kb[k]));
		else
			off += (size_t)snprintf(out + off, n - off, " / -");
	}
}

/* Server CPU per request over the floor; 0 when unknown. */
static double vs_floor(const struct scen_result *r, const struct report *rep)
{
	double f = floor_of(r, rep);

	return f > 0 && r->ok > 0 ? r->srv_cpu_ms_per_req / f : 0;
}

/* The smallest step of the server CPU per request: one clock tick over the requests. */
static double cpu_resolution(const struct scen_result *r, const struct report *rep)
{
	return r->ok > 0 ? 1e3 / rep->ticks_per_s / (double)r->ok : 0;
}

const char *kind_name(enum scen_kind k)
{
	return k == SCEN_SIGN		      ? "sign"
	       : k == SCEN_RENEW	      ? "renew"
	       : k == SCEN_ACME		      ? "acme"
	       : k == SCEN_OCSP		      ? "ocsp"
	       : k == SCEN_OCSP_NONCE	      ? "ocsp-nonce"
	       : k == SCEN_CFSSL_SIGN	      ? "cfssl-sign"
	       : k == SCEN_CFSSL_SIGN_NEWCONN ? "cfssl-sign-newconn"
					      : "sign-newconn";
}

/* Whether this is a run against cfssl (its scenarios are all cfssl's). */
static bool cfssl_run(const struct report *rep)
{
	return rep->nres > 0 && scen_is_cfssl(rep->res[0].spec.kind);
}

static void cpu_model(char *out, size_t n)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, n, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) == 0) {
			char *v = strchr(line, ':');
			if (v != NULL) {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				v[strcspn(v, "\n")] = '\0';
				snprintf(out, n, "%s", v);
			}
			break;
		}
	}
	fclose(f);
}

/* Whether any scenario measured a database server (--db-pid). */
static bool have_db(const struct report *rep)
{
	for (int i = 0; i < rep->nres; i++)
		if (rep->res[i].has_db)
			return true;
	return false;
}

void report_progress(const struct scen_result *r, const struct report *rep)
{
	printf("  %-16s %6zu ok %4zu err %9.1f req/s  p50 %6.2f  p99 %6.2f ms  server %.3f ms/req "
	       "(%.2fx floor)  peak RSS %.1f MiB",
	       r->spec.name, r->ok, errors(r), r->rps, r->p50_ms, r->p99_ms, r->srv_cpu_ms_per_req,
	       vs_floor(r, rep), mib(r->hwm_kb));
	if (r->has_db)
		printf("  postgres %.3f ms/req", r->db_cpu_ms_per_req);
	printf("\n");
	if (r->spec.kind == SCEN_ACME) {
		char marks[128];
		rss_marks_str(r, marks, sizeof(marks));
		printf(
		    "  %-16s orders/s, p99 and server CPU are per whole order; %.2f HTTP requests "
		    "per order (%.2f authorization polls), %zu badNonce retried, %zu key "
		    "authorizations served; server RSS MiB at start / after 1,000 / 10,000 / "
		    "100,000 orders: %s\n",
		    "", acme_req_per_order(r),
		    r->ok > 0 ? (double)r->acme_polls / (double)r->ok : 0, r->acme_bad_nonces,
		    r->acme_http01_served, marks);
	}
	for (int k = 0; k < r->n_first_errors; k++)
		printf("      error: %s\n", r->first_errors[k]);
	fflush(stdout);
}

void report_print(const struct report *rep)
{
	const struct floor_result *f = &rep->floor;

	printf("\nstride-bench results (%s)\n", rep->started_at);
	bool db = have_db(rep);
	int w = 17; /* the scenario column: as wide as the longest name */

	for (int i = 0; i < rep->nres; i++)
		if ((int)strlen(rep->res[i].spec.name) > w)
			w = (int)strlen(rep->res[i].spec.name);
	printf("\n%-*s %4s %6s %6s %8s %7s %7s %7s %10s %7s %5s %16s %8s %5s", w, "scenario",
	       "conc", "ok", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "srv ms/req",
	       "x floor", "srv %", "srv RSS MiB", "bench ms", "other");
	printf(db ? " %10s %5s\n" : "\n", "pg ms/req", "pg %");
	printf("%-*s %4s %6s %6s %8s %7s %7s %7s %10s %7s %5s %16s %8s %5s", w, "", "", "", "", "",
	       "", "", "", "(CPU)", "", "CPU", "start/peak/end", "CPU/req", "CPU %");
	printf(db ? " %10s %5s\n" : "\n", "(CPU)", "CPU");
	for (int i = 0; i < rep->nres; i++) {
		const struct scen_result *r = &rep->res[i];
		char rss[40];
		snprintf(rss, sizeof(rss), "%.1f/%.1f/%.1f", mib(r->rss_start_kb), mib(r->hwm_kb),
			 mib(r->rss_end_kb));
		printf("%-*s %4d %6zu %6zu %8.1f %7.2f %7.2f %7.2f %10.3f %7.2f %5.0f %16s %8.3f "
		       "%5.0f",
		       w, r->spec.name, r->spec.conc, r->ok, errors(r), r->rps, r->p50_ms,
		       r->p90_ms, r->p99_ms, r->srv_cpu_ms_per_req, vs_floor(r, rep),
		       r->srv_util * 100, rss, r->bench_cpu_ms_per_req, r->other_util * 100);
		if (db)
			printf(" %10.3f %5.0f", r->db_cpu_ms_per_req, r->db_util * 100);
		printf("\n");
	}
	compare_print(rep);
	if (cfssl_run(rep))
		printf("\ncfssl serve: POST /api/v1/cfssl/authsign (HMAC-SHA256 auth, nothing "
		       "stored), answered 200; x floor divides by a CSR verify + a leaf build and "
		       "sign (no token verify)\n");
	if (rep->have_floor)
		printf("\ncrypto floor per issuance (this process, %s, %d iterations): "
		       "token verify %.1f us + CSR verify %.1f us + certificate build+sign %.1f us "
		       "= %.3f ms\n  (reference: bare ECDSA P-256 sign %.1f us, verify %.1f us; "
		       "jws_parse+jws_verify %.1f us; csr_parse %.1f us)\n",
		       OpenSSL_version(OPENSSL_VERSION), f->iterations, f->jws_verify_us,
		       f->csr_verify_us, f->cert_sign_us, f->floor_ms, f->ecdsa_sign_us,
		       f->ecdsa_verify_us, f->token_parse_us, f->csr_parse_us);
	printf("server idle RSS %.1f MiB (VmRSS before the first request); server CPU from "
	       "/proc/%ld/stat in ticks of %.0f ms\n",
	       mib(rep->idle_rss_kb), (long)rep->ctx->server_pid, 1e3 / rep->ticks_per_s);
	if (rep->ctx->n_servers > 1 || rep->ctx->n_targets > 1)
		printf("%d servers (CPU and RSS are their sums), connections spread over %d "
		       "URLs\n",
		       rep->ctx->n_servers, rep->ctx->n_targets);
	if (db)
		printf("pg: CPU of the PostgreSQL postmaster (pid %ld) and its children\n",
		       (long)rep->ctx->db_pid);
	if (rep->startup != NULL)
		printf("start-up on an existing CA: healthy after %.1f ms median (min %.1f, max "
		       "%.1f)\n",
		       json_real_value(json_object_get(rep->startup, "median_ms")),
		       json_real_value(json_object_get(rep->startup, "min_ms")),
		       json_real_value(json_object_get(rep->startup, "max_ms")));
	for (int i = 0; i < rep->nres; i++) {
		const struct scen_result *r = &rep->res[i];
		if (r->spec.kind == SCEN_OCSP || r->spec.kind == SCEN_OCSP_NONCE)
			printf("prepared %-16s one certificate and its OCSP request in %.2f s\n",
			       r->spec.name, r->prep_wall_s);
		else if (r->spec.kind == SCEN_RENEW)
			printf("prepared %-16s %d client certificates in %.2f s\n", r->spec.name,
			       r->spec.conc, r->prep_wall_s);
		else if (r->spec.kind == SCEN_ACME)
			printf(
			    "prepared %-16s %zu keys+CSRs and %d accounts in %.2f s (per item: key "
			    "%.0f us, CSR %.0f us)\n",
			    r->spec.name, r->prepared, r->spec.conc, r->prep_wall_s, r->prep_key_us,
			    r->prep_csr_us);
		else
			printf("prepared %-16s %zu keys+CSRs+tokens in %.2f s (per item: key %.0f "
			       "us, CSR %.0f us, %s %.0f us)\n",
			       r->spec.name, r->prepared, r->prep_wall_s, r->prep_key_us,
			       r->prep_csr_us, scen_is_cfssl(r->spec.kind) ? "HMAC token" : "token",
			       r->prep_token_us);
	}
	for (int i = 0; i < rep->nres; i++)
		if (rep->res[i].other_util > BUSY_MACHINE)
			printf("note: other processes used %.0f %% CPU during %s: the machine was "
			       "busy, latency and throughput are disturbed\n",
			       rep->res[i].other_util * 100, rep->res[i].spec.name);
	printf("total %.1f s\n", rep->total_wall_s);
	fflush(stdout);
}

static json_t *scenario_json(const struct scen_result *r, const struct report *rep)
{
	json_t *errs = json_array(), *doc;

	for (int k = 0; k < r->n_first_errors; k++)
		json_array_append_new(errs, json_string(r->first_errors[k]));
	doc = json_pack(
	    "{s:s, s:s, s:i, s:I, s:f, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:f, s:f,"
	    " s:{s:f, s:f, s:f, s:f, s:f},"
	    " s:{s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:b, s:I, s:O},"
	    " s:f, s:f, s:f, s:f, s:{s:f, s:f, s:f, s:f}, s:{s:I, s:I}, s:o}",
	    "name", r->spec.name, "kind", kind_name(r->spec.kind), "concurrency", r->spec.conc,
	    "requests_prepared", (json_int_t)r->spec.requests, "time_limit_s", r->spec.seconds,
	    "attempted", (json_int_t)r->attempted, "ok", (json_int_t)r->ok, "errors",
	    (json_int_t)errors(r), "error_kinds", "status", (json_int_t)r->err_status, "transport",
	    (json_int_t)r->err_transport, "certificate_check", (json_int_t)r->err_sample,
	    "reconnects", (json_int_t)r->reconnects, "wall_s", r->wall_s, "requests_per_s", r->rps,
	    "latency_ms", "p50", r->p50_ms, "p90", r->p90_ms, "p99", r->p99_ms, "max", r->max_ms,
	    "mean", r->mean_ms, "server", "cpu_ticks", (json_int_t)r->srv_ticks, "user_ticks",
	    (json_int_t)r->srv_user_ticks, "user_ms_per_request", r->srv_user_ms_per_req,
	    "system_ms_per_request", r->srv_sys_ms_per_req, "cpu_s", r->srv_cpu_s,
	    "cpu_ms_per_request", r->srv_cpu_ms_per_req, "cpu_ms_per_request_resolution",
	    cpu_resolution(r, rep), "floor_ms", floor_of(r, rep), "cpu_vs_floor", vs_floor(r, rep),
	    "cpu_utilization", r->srv_util, "rss_start_kb", (json_int_t)r->rss_start_kb,
	    "rss_end_kb", (json_int_t)r->rss_end_kb, "rss_peak_kb", (json_int_t)r->hwm_kb,
	    "rss_peak_is_this_scenario", r->hwm_reset, "rss_max_sampled_kb",
	    (json_int_t)r->rss_max_sampled_kb, "rss_series_s_kb", r->rss_series,
	    "bench_cpu_ms_per_request", r->bench_cpu_ms_per_req, "bench_cpu_utilization",
	    r->bench_util, "other_cpu_utilization", r->other_util, "steal_utilization",
	    r->steal_util, "prep", "wall_s", r->prep_wall_s, "key_us", r->prep_key_us, "csr_us",
	    r->prep_csr_us, "token_us", r->prep_token_us, "certificates_checked", "sampled",
	    (json_int_t)r->sampled, "ok", (json_int_t)r->sample_ok, "first_errors", errs);
	if (doc != NULL && r->spec.kind == SCEN_ACME) {
		json_t *marks = json_array();
		for (int k = 0; k < BENCH_RSS_MARKS; k++)
			if (r->rss_mark_kb[k] > 0)
				json_array_append_new(
				    marks, json_pack("{s:I, s:I}", "orders",
						     (json_int_t)bench_rss_marks[k], "rss_kb",
						     (json_int_t)r->rss_mark_kb[k]));
		json_object_set_new(
		    doc, "acme",
		    json_pack("{s:I, s:f, s:I, s:I, s:I, s:o}", "http_requests",
			      (json_int_t)r->acme_http_requests, "http_requests_per_order",
			      acme_req_per_order(r), "authorization_polls",
			      (json_int_t)r->acme_polls, "bad_nonces_retried",
			      (json_int_t)r->acme_bad_nonces, "key_authorizations_served",
			      (json_int_t)r->acme_http01_served, "rss_after_orders", marks));
	}
	if (doc != NULL && r->has_db)
		json_object_set_new(doc, "database",
				    json_pack("{s:I, s:f, s:f}", "cpu_ticks",
					      (json_int_t)r->db_ticks, "cpu_ms_per_request",
					      r->db_cpu_ms_per_req, "cpu_utilization", r->db_util));
	return doc;
}

static json_t *report_json(const struct report *rep)
{
	const struct floor_result *f = &rep->floor;
	json_t *scen = json_array(), *doc;
	char cpu[256];
	struct utsname u;

	cpu_model(cpu, sizeof(cpu));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	for (int i = 0; i < rep->nres; i++) {
		json_t *sj = scenario_json(&rep->res[i], rep);
		if (sj == NULL)
			fprintf(stderr, "stride-bench: cannot encode %s as JSON\n",
				rep->res[i].spec.name);
		json_array_append_new(scen, sj);
	}
	doc = json_pack("{s:s, s:s, s:{s:s, s:i, s:s, s:s, s:f}, s:{s:I, s:I, s:I}, s:o, s:f}",
			"started_at", rep->started_at, "note", rep->note != NULL ? rep->note : "",
			"environment", "cpu", cpu, "cores", (int)sysconf(_SC_NPROCESSORS_ONLN),
			"kernel", u.release, "openssl", OpenSSL_version(OPENSSL_VERSION),
			"clock_ticks_per_s", rep->ticks_per_s, "server", "pid",
			(json_int_t)rep->ctx->server_pid, "idle_rss_kb",
			(json_int_t)rep->idle_rss_kb, "idle_hwm_kb", (json_int_t)rep->idle_hwm_kb,
			"scenarios", scen, "total_wall_s", rep->total_wall_s);
	if (rep->have_floor)
		json_object_set_new(
		    doc, "crypto_floor",
		    json_pack("{s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "iterations",
			      f->iterations, "jws_verify_us", f->jws_verify_us, "csr_verify_us",
			      f->csr_verify_us, "cert_sign_us", f->cert_sign_us, "floor_ms",
			      f->floor_ms, "ecdsa_p256_sign_us", f->ecdsa_sign_us,
			      "ecdsa_p256_verify_us", f->ecdsa_verify_us, "jws_parse_verify_us",
			      f->token_parse_us, "csr_parse_us", f->csr_parse_us));
	else
		json_object_set_new(doc, "crypto_floor", json_null());
	json_object_set(doc, "startup", rep->startup != NULL ? rep->startup : json_null());
	if (rep->compare != NULL)
		json_object_set_new(doc, "comparison", compare_json(rep));
	return doc;
}

static void md_write(FILE *o, const struct report *rep)
{
	const struct floor_result *f = &rep->floor;
	bool db = have_db(rep);
	char cpu[256];
	struct utsname u;

	cpu_model(cpu, sizeof(cpu));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	fprintf(o, "# stride-bench %s\n\n", rep->started_at);
	if (rep->note != NULL && rep->note[0] != '\0')
		fprintf(o, "%s\n\n", rep->note);
	fprintf(o,
		"%ld cores (%s), Linux %s, %s; load generator and server on the same "
		"machine.\n\n",
		sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release, OpenSSL_version(OPENSSL_VERSION));
	fprintf(o,
		"| scenario | conc | ok | errors | req/s | p50 ms | p90 ms | p99 ms | server CPU "
		"ms/req | user / sys | × floor | server CPU %% | server RSS MiB start / peak / end "
		"| bench CPU ms/req | other CPU %% |%s\n",
		db ? " postgres CPU ms/req | postgres CPU % |" : "");
	fprintf(o, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|%s\n",
		db ? "--:|--:|" : "");
	for (int i = 0; i < rep->nres; i++) {
		const struct scen_result *r = &rep->res[i];
		fprintf(o,
			"| %s | %d | %zu | %zu | %.0f | %.2f | %.2f | %.2f | %.3f (±%.3f) | %.3f / "
			"%.3f | %.2f | %.0f | %.1f / %.1f / %.1f | %.3f | %.0f |",
			r->spec.name, r->spec.conc, r->ok, errors(r), r->rps, r->p50_ms, r->p90_ms,
			r->p99_ms, r->srv_cpu_ms_per_req, cpu_resolution(r, rep),
			r->srv_user_ms_per_req, r->srv_sys_ms_per_req, vs_floor(r, rep),
			r->srv_util * 100, mib(r->rss_start_kb), mib(r->hwm_kb), mib(r->rss_end_kb),
			r->bench_cpu_ms_per_req, r->other_util * 100);
		if (db)
			fprintf(o, " %.3f | %.0f |", r->db_cpu_ms_per_req, r->db_util * 100);
		fprintf(o, "\n");
	}
	compare_md(o, rep);
	if (cfssl_run(rep))
		fprintf(
		    o, "\nThe server is `cfssl serve`: `POST /api/v1/cfssl/authsign`, the request "
		       "authenticated by an HMAC-SHA256 of a shared key (no signature to verify), "
		       "the CSR's signature verified, the leaf signed with a P-256 CA and answered "
		       "`200` without being stored anywhere (no database configured) and with no "
		       "replay check. × floor divides by a CSR verify + a leaf build and sign.\n");
	for (int i = 0; i < rep->nres; i++) {
		const struct scen_result *r = &rep->res[i];
		char marks[128];
		if (r->spec.kind != SCEN_ACME)
			continue;
		rss_marks_str(r, marks, sizeof(marks));
		fprintf(
		    o,
		    "\n%s: one row is one whole order (new-order, authorization, http-01 "
		    "challenge answered by the load generator, polls, finalize, certificate "
		    "download): req/s is orders/s, latencies are per order, server CPU is per "
		    "certificate. %.2f HTTP requests per order (%.2f authorization polls), %zu "
		    "badNonce retried, %zu key authorizations served. × floor divides by %.2f "
		    "ES256 "
		    "verifies + a CSR verify + a leaf build and sign. Server RSS MiB at the start "
		    "/ after 1,000 / 10,000 / 100,000 orders: %s.\n",
		    r->spec.name, acme_req_per_order(r),
		    r->ok > 0 ? (double)r->acme_polls / (double)r->ok : 0, r->acme_bad_nonces,
		    r->acme_http01_served, acme_req_per_order(r), marks);
	}
	fprintf(o, "\nServer idle RSS (before the first request): %.1f MiB.",
		mib(rep->idle_rss_kb));
	if (rep->startup != NULL)
		fprintf(o,
			" Start-up on an existing CA (exec to the first 200 from /health, polled "
			"every %lld ms): median %.1f ms, min %.1f, max %.1f.",
			json_integer_value(json_object_get(rep->startup, "poll_interval_ms")),
			json_real_value(json_object_get(rep->startup, "median_ms")),
			json_real_value(json_object_get(rep->startup, "min_ms")),
			json_real_value(json_object_get(rep->startup, "max_ms")));
	fprintf(o, "\n\n");
	if (rep->have_floor)
		fprintf(
		    o,
		    "Crypto floor per issuance, this process, same OpenSSL, %d iterations:\n\n"
		    "| ES256 token verify | P-256 CSR verify | leaf build + sign (x509_issue_leaf) "
		    "| floor |\n|--:|--:|--:|--:|\n| %.1f µs | %.1f µs | %.1f µs | %.3f ms |\n\n"
		    "For reference: bare ECDSA P-256 sign %.1f µs, verify %.1f µs; the library's "
		    "jws_parse + jws_verify %.1f µs; csr_parse of a PEM CSR %.1f µs.\n\n",
		    f->iterations, f->jws_verify_us, f->csr_verify_us, f->cert_sign_us, f->floor_ms,
		    f->ecdsa_sign_us, f->ecdsa_verify_us, f->token_parse_us, f->csr_parse_us);
	fprintf(o, "Prepared before each timed phase (not timed):\n\n");
	for (int i = 0; i < rep->nres; i++) {
		const struct scen_result *r = &rep->res[i];
		if (r->spec.kind == SCEN_OCSP || r->spec.kind == SCEN_OCSP_NONCE)
			fprintf(o, "- %s: one certificate and its OCSP request in %.2f s\n",
				r->spec.name, r->prep_wall_s);
		else if (r->spec.kind == SCEN_RENEW)
			fprintf(o, "- %s: %d client certificates issued in %.2f s\n", r->spec.name,
				r->spec.conc, r->prep_wall_s);
		else if (r->spec.kind == SCEN_ACME)
			fprintf(
			    o,
			    "- %s: %zu keys and CSRs in %.2f s, with %d accounts (per item: key "
			    "%.0f µs, CSR %.0f µs)\n",
			    r->spec.name, r->prepared, r->prep_wall_s, r->spec.conc, r->prep_key_us,
			    r->prep_csr_us);
		else
			fprintf(o,
				"- %s: %zu keys, CSRs and tokens in %.2f s (per item: key %.0f µs, "
				"CSR %.0f µs, token %.0f µs)\n",
				r->spec.name, r->prepared, r->prep_wall_s, r->prep_key_us,
				r->prep_csr_us, r->prep_token_us);
	}
	fprintf(o,
		"\nServer CPU is utime+stime of the server process from /proc/<pid>/stat "
		"(%.0f ticks/s) over the timed phase divided by the successful requests; "
		"± is one tick per request; user / sys splits it into utime and stime (system "
		"calls: fsync, TCP, locks). × floor divides it by the crypto floor (for renew: "
		"the leaf build + sign alone). Peak RSS is VmHWM, reset at the start of each "
		"scenario when the kernel allows it (%s). Other CPU is busy CPU time of the "
		"machine charged to neither the server nor the load generator (other processes, "
		"softirq). ",
		rep->ticks_per_s,
		rep->nres > 0 && rep->res[0].hwm_reset ? "it did"
						       : "it did not: peaks are since start");
	if (rep->ctx->n_servers > 1 || rep->ctx->n_targets > 1)
		fprintf(o,
			"%d stride-ca processes on one database, the connections spread over %d "
			"of them: server CPU and RSS are the sums over the processes. ",
			rep->ctx->n_servers, rep->ctx->n_targets);
	if (db)
		fprintf(
		    o,
		    "Postgres CPU is utime+stime of the PostgreSQL postmaster (pid %ld) and of "
		    "its children (backends, WAL writer, checkpointer) over the timed phase per "
		    "successful request; it is not in other CPU. ",
		    (long)rep->ctx->db_pid);
	fprintf(o, "Sampled certificates checked (chain, SANs, key): ");
	for (int i = 0; i < rep->nres; i++)
		fprintf(o, "%s%s %zu/%zu", i > 0 ? ", " : "", rep->res[i].spec.name,
			rep->res[i].sample_ok, rep->res[i].sampled);
	fprintf(o, ".\n");
	for (int i = 0; i < rep->nres; i++)
		if (rep->res[i].other_util > BUSY_MACHINE)
			fprintf(
			    o,
			    "\nNote: other processes used %.0f %% CPU during %s: the machine was "
			    "busy, latency and throughput are disturbed.\n",
			    rep->res[i].other_util * 100, rep->res[i].spec.name);
	for (int i = 0; i < rep->nres; i++)
		for (int k = 0; k < rep->res[i].n_first_errors; k++)
			fprintf(o, "\nError in %s: `%s`\n", rep->res[i].spec.name,
				rep->res[i].first_errors[k]);
}

int report_write(const struct report *rep, const char *dir, const char *json_copy,
		 struct error *err)
{
	char stamp[32], *md_path = NULL, *json_path = NULL;
	json_t *doc = NULL;
	FILE *o = NULL;
	int rc = -1;

	/* 2006-01-02T15:04:05Z -> 2006-01-02T150405Z (no colons in file names) */
	snprintf(stamp, sizeof(stamp), "%.13s%.2s%.2sZ", rep->started_at, rep->started_at + 14,
		 rep->started_at + 17);
	if (file_mkdir_p(dir, 0755, err) != 0)
		goto out;
	md_path = xasprintf("%s/%s.md", dir, stamp);
	json_path = xasprintf("%s/%s.json", dir, stamp);
	o = fopen(md_path, "w");
	if (o == NULL) {
		err_set(err, ERR_IO, "open %s: %s", md_path, strerror(errno));
		goto out;
	}
	md_write(o, rep);
	if (fclose(o) != 0) {
		o = NULL;
		err_set(err, ERR_IO, "write %s: %s", md_path, strerror(errno));
		goto out;
	}
	o = NULL;
	doc = report_json(rep);
	if (doc == NULL || json_dump_file(doc, json_path, JSON_INDENT(2)) != 0) {
		err_set(err, ERR_IO, "cannot write %s", json_path);
		goto out;
	}
	if (json_copy != NULL && json_dump_file(doc, json_copy, JSON_INDENT(2)) != 0) {
		err_set(err, ERR_IO, "cannot write %s", json_copy);
		goto out;
	}
	printf("results: %s\n         %s\n", md_path, json_path);
	rc = 0;
out:
	if (o != NULL)
		fclose(o);
	json_decref(doc);
	free(md_path);
	free(json_path);
	return rc;
}
