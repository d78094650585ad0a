/* bench.h - what the files of stride-bench share: scenarios, results, the pieces of a run.
 *
 * stride-bench is a load generator for stride-ca (make bench). It prepares every request
 * (key, CSR, one-time token) before a scenario's timed phase, drives the server from one
 * thread per connection with blocking TLS, and reports throughput, latency, the server's CPU
 * time and memory from /proc, and the crypto floor measured with the same OpenSSL.
 */
#ifndef STRIDE_BENCH_BENCH_H
#define STRIDE_BENCH_BENCH_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/error.h"
#include "http.h"

enum scen_kind {
	SCEN_SIGN,	   /* POST /1.0/sign over keep-alive connections */
	SCEN_SIGN_NEWCONN, /* POST /1.0/sign, a new TLS connection per request */
	SCEN_RENEW,	   /* POST /renew over keep-alive mTLS connections */
	SCEN_ACME,	   /* whole ACME orders (RFC 8555) with http-01, keep-alive */
	SCEN_OCSP,	   /* POST of one OCSP request (no nonce: the cached answer), keep-alive */
	SCEN_OCSP_NONCE,   /* the same with a nonce: every answer is signed */
	/* The peer: cfssl serve's POST /api/v1/cfssl/authsign (HMAC-authenticated sign) */
	SCEN_CFSSL_SIGN,	 /* over keep-alive connections, as SCEN_SIGN */
	SCEN_CFSSL_SIGN_NEWCONN, /* a new TLS connection per request, as SCEN_SIGN_NEWCONN */
};

/* Whether a scenario drives cfssl rather than stride-ca. */
static inline bool scen_is_cfssl(enum scen_kind k)
{
	return k == SCEN_CFSSL_SIGN || k == SCEN_CFSSL_SIGN_NEWCONN;
}

/* Whether a scenario opens a new connection per request. */
static inline bool scen_is_newconn(enum scen_kind k)
{
	return k == SCEN_SIGN_NEWCONN || k == SCEN_CFSSL_SIGN_NEWCONN;
}

/* ACME: the server's VmRSS is read when this many orders have completed. */
#define BENCH_RSS_MARKS 3
extern const size_t bench_rss_marks[BENCH_RSS_MARKS];

/* One scenario as given on the command line: KIND:CONCURRENCY:REQUESTS[:SECONDS]. */
struct scen_spec {
	enum scen_kind kind;
	int conc;
	size_t requests; /* requests prepared; the run stops when they are used up */
	double seconds;	 /* 0 = no time limit; else the run also stops after this long */
	char name[64];	 /* "sign c=8" */
};

/* Everything a scenario measured. Times in nanoseconds unless the name says otherwise. */
struct scen_result {
	struct scen_spec spec;
	/* preparation (untimed phase) */
	double prep_wall_s;
	double prep_key_us, prep_csr_us, prep_token_us; /* per item, summed over threads */
	size_t prepared;
	/* timed phase */
	size_t attempted, ok, err_status, err_transport, err_sample;
	size_t reconnects;
	double wall_s;
	double rps;
	double p50_ms, p90_ms, p99_ms, max_ms, mean_ms;
	/* server, from /proc */
	uint64_t srv_ticks;	    /* utime+stime delta in clock ticks */
	uint64_t srv_user_ticks;    /* of which utime (user space) */
	double srv_user_ms_per_req; /* utime share per request */
	double srv_sys_ms_per_req;  /* stime share per request (syscalls, fsync, TCP) */
	double srv_cpu_s;
	double srv_cpu_ms_per_req;
	double srv_util; /* server CPU seconds / wall seconds (2.0 = both cores) */
	/* the database server (--db-pid: the postmaster and its children), from /proc */
	bool has_db;
	uint64_t db_ticks;
	double db_cpu_ms_per_req;
	double db_util;
	long rss_start_kb, rss_end_kb, rss_max_sampled_kb, hwm_kb;
	bool
	    hwm_reset; /* VmHWM was reset at the start (clear_refs), so hwm_kb is this scenario's */
	/* load generator, and everything else on the machine */
	double bench_cpu_ms_per_req;
	double bench_util; /* this process's CPU seconds / wall seconds */
	double other_util; /* busy CPU not used by the server or this process, / wall seconds */
	double steal_util; /* CPU stolen by the hypervisor, / wall seconds */
	/* certificate checks */
	size_t sampled, sample_ok;
	/* a few error messages for the report */
	char first_errors[3][256];
	int n_first_errors;
	json_t *rss_series; /* [[t_s, rss_kb], ...] sampled while running */
	/* ACME: one "request" above is one whole order */
	size_t acme_http_requests;	   /* HTTP requests of the timed phase (all orders) */
	size_t acme_polls;		   /* of which authorization polls */
	size_t acme_bad_nonces;		   /* badNonce answers retried */
	size_t acme_http01_served;	   /* key authorizations the responder served */
	long rss_mark_kb[BENCH_RSS_MARKS]; /* VmRSS after bench_rss_marks[k] orders; 0: not reached
					    */
};

/* The crypto an issuance needs, measured in this process with the same OpenSSL. */
struct floor_result {
	int iterations;
	double jws_verify_us; /* ES256 signature check of a token (EVP_DigestVerify) */
	double csr_verify_us; /* csr_verify of a P-256 CSR */
	double cert_sign_us;  /* x509_issue_leaf with a P-256 intermediate (build + sign) */
	double floor_ms;      /* the sum of the three */
	double ecdsa_sign_us; /* for reference: a bare ECDSA P-256 sign of 32 bytes */
	double ecdsa_verify_us;
	double token_parse_us; /* for reference: jws_parse + jws_verify of the library */
	double csr_parse_us;   /* for reference: csr_parse of a PEM CSR (decodes its key) */
};

/* The fixed inputs every scenario uses. */
#define BENCH_MAX_SERVERS 8

struct bench_ctx {
	const char *url;    /* the first --url */
	char audience[512]; /* https://host:port/1.0/sign */
	char host_header[300];
	EVP_PKEY *prov_key; /* provisioner private key */
	const char *prov_name;
	const char *kid;
	char root_sha[65];
	X509 *root;
	X509_STORE *roots;
	pid_t server_pid; /* the first --server-pid */
	/* Every --url: connection k goes to targets[k % n_targets] (several stride-ca on one
	 * database); every --server-pid: CPU and RSS are their sums. */
	const struct target *targets;
	int n_targets;
	pid_t server_pids[BENCH_MAX_SERVERS];
	int n_servers;
	pid_t db_pid; /* --db-pid: a PostgreSQL postmaster, or 0 */
	int sample_every;
	int prep_threads;
	unsigned run_tag; /* makes names unique across runs against the same CA */
	/* ACME */
	const char *acme_prov; /* the ACME provisioner's name */
	const char *acme_name; /* the dns identifier every order asks for ("localhost") */
	int acme_http_port;    /* where stride-ca checks http-01: the responder listens there */
	struct http01 *http01; /* the responder, started with the first ACME scenario */
	/* cfssl (the peer): the authsign HMAC key, the profile asked for, and the chain from
	 * its signing CA up to (not including) the root, which authsign does not return */
	uint8_t *cfssl_key;
	size_t cfssl_key_len;
	const char *cfssl_profile;
	STACK_OF(X509) * cfssl_chain;
};

/* A request body ready to be written, and what its certificate must contain. */
struct prepared {
	char *req; /* the full HTTP request (headers + body), malloc'd */
	size_t req_len;
	char *dns;     /* the one DNS SAN asked for (also the CN) */
	EVP_PKEY *key; /* the CSR's key, kept for sampled requests (and identities) only */
	char *csr_b64; /* ACME: the CSR as base64url DER (req is NULL) */
};

/* An identity for mTLS: a leaf, its key, the chain to send. */
struct identity {
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) * chain; /* intermediates */
	char *dns;
};

/* --- prep.c --- */

/* Prepares n sign requests (a fresh P-256 key, CSR and one-time token each) on
 * ctx->prep_threads threads; close adds "Connection: close". Fills timing fields of res. */
int prep_sign(const struct bench_ctx *ctx, const char *label, size_t n, bool close,
	      struct prepared **out, struct scen_result *res, struct error *err);
/* Prepares n cfssl authsign requests (a fresh P-256 key and CSR each, the sign request and its
 * HMAC-SHA256 token) as prep_sign does. */
int prep_cfssl(const struct bench_ctx *ctx, const char *label, size_t n, bool close,
	       struct prepared **out, struct scen_result *res, struct error *err);
/* Frees n prepared requests (wiping the tokens they carry). */
void prep_free(struct prepared *p, size_t n);
/* The POST /renew request (empty body) for this target; malloc'd. */
char *prep_renew_request(const struct bench_ctx *ctx, size_t *len);
/* POST /ocsp asking about id's certificate (issuer: its chain's first certificate), with a
 * nonce when nonce; malloc'd, *len its size. NULL with err on failure. */
char *prep_ocsp_request(const struct bench_ctx *ctx, const struct identity *id, bool nonce,
			size_t *len, struct error *err);
/* Issues n client identities through POST /sign (untimed). */
int prep_identities(const struct bench_ctx *ctx, const struct target *t, int n,
		    struct identity **out, struct error *err);
/* Frees n identities. */
void identities_free(struct identity *ids, int n);

/* Prepares n ACME orders: a fresh P-256 key and a CSR for ctx->acme_name each. */
int prep_acme(const struct bench_ctx *ctx, size_t n, struct prepared **out, struct scen_result *res,
	      struct error *err);

/* --- acme.c: an ACME client (RFC 8555) and the http-01 responder --- */

/* One ACME account (ES256) and the nonce its next request uses. */
struct acme_acct {
	EVP_PKEY *key;
	char thumbprint[44]; /* RFC 7638, for key authorizations */
	char *kid;	     /* the account URL */
	char *new_nonce;     /* the directory's URLs */
	char *new_order;
	char nonce[HTTP_NONCE_MAX]; /* "" when none is at hand */
};

/* What one order cost, and what it brought back. */
struct acme_order_out {
	unsigned requests;   /* HTTP requests sent */
	unsigned polls;	     /* authorization polls among them */
	unsigned bad_nonces; /* badNonce answers retried */
	unsigned reconnects;
	uint8_t *pem; /* the certificate chain, malloc'd, when asked for */
	size_t pem_len;
	int status; /* the HTTP status of the failing step, 0 for a transport error */
};

/* Reads the directory and creates n accounts (one per connection), untimed; *out[n]. */
int acme_accounts_new(const struct bench_ctx *ctx, const struct target *t, int n,
		      struct acme_acct **out, struct error *err);
/* Frees n accounts. */
void acme_accounts_free(struct acme_acct *a, int n);
/* Runs one whole order on connection c for account a: new-order, the authorization, its
 * http-01 challenge (the key authorization served by the responder in slot), polls of the
 * authorization until valid, finalize with p's CSR, the certificate download (kept in out->pem
 * when keep_pem). */
int acme_order_run(const struct bench_ctx *ctx, const struct target *t, struct hconn *c,
		   struct acme_acct *a, int slot, const struct prepared *p, bool keep_pem,
		   struct acme_order_out *out, struct error *err);

/* The http-01 responder: GET /.well-known/acme-challenge/<token> answered with the key
 * authorization of an order in flight (one slot per connection), on 127.0.0.1 (and ::1 when it
 * can) at port. */
int http01_start(int port, int slots, struct http01 **out, struct error *err);
/* Stops the responder and frees it; NULL is a no-op. */
void http01_stop(struct http01 *h);
/* Key authorizations served so far. */
size_t http01_served(const struct http01 *h);

/* --- check.c --- */

/* Checks a sign/renew response body: chain to the root, exactly the DNS SAN expected, the
 * public key expected, and (when not NULL) a serial different from old. */
int check_response(const struct bench_ctx *ctx, const uint8_t *body, size_t len, const char *dns,
		   EVP_PKEY *pubkey, X509 *old, struct error *err);
/* Checks a cfssl authsign response ({"success": true, "result": {"certificate": PEM}}) as
 * check_response does, with ctx->cfssl_chain as the chain. */
int check_cfssl_response(const struct bench_ctx *ctx, const uint8_t *body, size_t len,
			 const char *dns, EVP_PKEY *pubkey, struct error *err);
/* Checks an ACME certificate download (a PEM chain, leaf first) as check_response does. */
int check_pem_chain(const struct bench_ctx *ctx, const uint8_t *pem, size_t len, const char *dns,
		    EVP_PKEY *pubkey, struct error *err);
/* Parses a SignResponse into the leaf and its chain (certChain[1..] or ca). */
int parse_sign_response(const uint8_t *body, size_t len, X509 **leaf, STACK_OF(X509) * *chain,
			struct error *err);

/* --- floor.c --- */

/* Measures the crypto floor over iterations (a few thousand). */
int floor_measure(int iterations, struct floor_result *out, struct error *err);
/* `stride-bench floor [ITERATIONS]`: measures and prints the crypto floor only. */
int floor_main(int argc, char **argv);

/* --- proc.c --- */

/* utime and stime of pid (all threads) in clock ticks (/proc/<pid>/stat). */
int proc_cpu_ticks(pid_t pid, uint64_t *user, uint64_t *sys, struct error *err);
/* VmRSS and VmHWM of pid in KiB (/proc/<pid>/status). */
int proc_mem_kb(pid_t pid, long *rss_kb, long *hwm_kb, struct error *err);
/* True while pid exists and is not a zombie. */
bool proc_alive(pid_t pid);
/* Busy (user+nice+system+irq+softirq) and steal ticks of all CPUs (/proc/stat); pid 0 in the
 * other readers means /proc itself. */
int proc_system_cpu(uint64_t *busy, uint64_t *steal, struct error *err);
/* utime + stime in clock ticks of pid and of its children (found by a scan of /proc): a
 * PostgreSQL postmaster and its backends. */
int proc_tree_cpu_ticks(pid_t pid, uint64_t *ticks, struct error *err);
/* Resets VmHWM of pid to its current RSS (writes 5 to /proc/<pid>/clear_refs). */
int proc_reset_hwm(pid_t pid);
/* Monotonic clock in nanoseconds. */
int64_t now_ns(void);
/* CPU time of this process (all threads) in nanoseconds. */
int64_t self_cpu_ns(void);

/* --- run.c --- */

/* Runs one scenario: prepares it, runs the timed phase, checks the sampled certificates. */
int scenario_run(const struct bench_ctx *ctx, const struct target *t, const struct scen_spec *s,
		 struct scen_result *res, struct error *err);
/* Frees what a result owns. */
void scen_result_free(struct scen_result *r);

/* --- startup.c --- */

/* `stride-bench startup ...`: time from exec to the first healthy /health, several runs. */
int startup_main(int argc, char **argv);

/* --- report.c --- */

struct report {
	const struct bench_ctx *ctx;
	struct floor_result floor;
	bool have_floor;
	struct scen_result *res;
	int nres;
	long idle_rss_kb, idle_hwm_kb;
	double ticks_per_s;
	json_t *startup; /* from the startup run, or NULL */
	const char *note;
	char started_at[32]; /* UTC, 2006-01-02T15:04:05Z */
	double total_wall_s;
	json_t *compare; /* --compare: the results JSON of a stride-ca run, or NULL */
};

/* Prints one scenario line as it finishes. */
void report_progress(const struct scen_result *r, const struct report *rep);
/* Prints the final table on stdout. */
void report_print(const struct report *rep);
/* Writes <dir>/<stamp>.md and .json (and the JSON to json_copy too when not NULL); prints
 * their paths. */
int report_write(const struct report *rep, const char *dir, const char *json_copy,
		 struct error *err);
/* The name of a scenario kind as on the command line ("sign", "cfssl-sign" ...). */
const char *kind_name(enum scen_kind k);

/* --- compare.c: a cfssl run against the stride-ca run it follows --- */

/* One line per cfssl scenario with a stride-ca scenario of the same kind and concurrency in
 * rep->compare: the ratios stride / cfssl of server CPU per request, req/s and p99. */
void compare_print(const struct report *rep);
/* The same as a markdown section. */
void compare_md(FILE *o, const struct report *rep);
/* The same as a JSON array (new reference). */
json_t *compare_json(const struct report *rep);

#endif
