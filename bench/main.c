/* main.c - stride-bench: a load generator for stride-ca (make bench; see bench/README.md). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "bench.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "jose/jwk.h"

#define MAX_SCENARIOS 32
#define MAX_CONC      1024

static const char usage[] =
    "Usage: stride-bench --url URL --root FILE --jwk FILE --provisioner NAME --server-pid PID\n"
    "                    [--kid KID] [--scenario KIND:CONC:REQUESTS[:SECONDS]]...\n"
    "                    [--sample N] [--floor-iterations N] [--warmup N] [--prep-threads N]\n"
    "                    [--results-dir DIR] [--startup-json FILE] [--note TEXT]\n"
    "                    [--db-pid PID] [--label TEXT]\n"
    "                    [--acme-http-port N] [--acme-provisioner NAME] [--acme-name NAME]\n"
    "                    [--json-copy FILE]\n"
    "       stride-bench --url URL --root FILE --server-pid PID --cfssl-key FILE\n"
    "                    --cfssl-ca FILE [--cfssl-profile NAME] [--compare FILE]\n"
    "                    [--scenario cfssl-sign:CONC:REQUESTS[:SECONDS]]... [options above]\n"
    "       stride-bench startup --url URL --root FILE [--runs N] [--interval-ms N]\n"
    "                    [--log FILE] [--out FILE] -- SERVER_COMMAND [ARGS...]\n"
    "       stride-bench floor [ITERATIONS]\n"
    "\n"
    "Drives a running stride-ca over HTTPS and reports requests/s, latency, the server's CPU\n"
    "time per request and memory (from /proc/PID), and the crypto floor of an issuance.\n"
    "\n"
    "  --url URL              the CA, https://127.0.0.1:PORT; repeatable (several stride-ca\n"
    "                         on one database): connection k goes to the (k mod n)th\n"
    "  --root FILE            its root certificate\n"
    "  --jwk FILE             the JWK provisioner's private key (decrypted JWK)\n"
    "  --provisioner NAME     the provisioner's name (token iss)\n"
    "  --kid KID              the key id (default: \"kid\" of the JWK)\n"
    "  --server-pid PID       the stride-ca process to measure; repeatable: CPU and RSS are\n"
    "                         the sums over them\n"
    "  --db-pid PID           also measure the CPU of this PostgreSQL postmaster and of its\n"
    "                         children (the backends) per request\n"
    "  --label TEXT           appended to every scenario's name, e.g. \"pg\"\n"
    "  --scenario SPEC        KIND is sign, renew, sign-newconn, acme, ocsp or ocsp-nonce; e.g. "
    "sign:8:5000\n"
    "                         or sign:8:100000:30 (stop after 30 s); for acme REQUESTS are\n"
    "                         whole orders. Repeatable; default:\n"
    "                         sign:1:2000 sign:8:5000 sign:32:5000 renew:8:5000\n"
    "                         sign-newconn:8:2000\n"
    "                         Against cfssl serve: cfssl-sign or cfssl-sign-newconn\n"
    "  --acme-http-port N     stride-ca's --acme-http-port: the http-01 responder of the\n"
    "                         acme scenario listens there on 127.0.0.1 (and ::1)\n"
    "  --acme-provisioner NAME  the ACME provisioner (default acme)\n"
    "  --acme-name NAME       the dns identifier of every order (default localhost)\n"
    "  --sample N             check every Nth certificate (default 50; 0 = none)\n"
    "  --floor-iterations N   iterations of the crypto floor (default 3000; 0 = skip)\n"
    "  --warmup N             untimed sign requests (c=8) before the first scenario\n"
    "                         (default 200)\n"
    "  --prep-threads N       threads preparing requests (default: the number of cores)\n"
    "  --results-dir DIR      where <date>.md and <date>.json go (default bench/results)\n"
    "  --startup-json FILE    start-up times from `stride-bench startup --out` to include\n"
    "  --note TEXT            a line for the results file (e.g. the commit)\n"
    "  --json-copy FILE       also write the results JSON to FILE\n"
    "\n"
    "The peer, cfssl serve (POST /api/v1/cfssl/authsign; --url is cfssl's, --root the root\n"
    "of its CA and of its TLS certificate, --server-pid its process):\n"
    "  --cfssl-key FILE       the auth key of the signing profile (hex, as in cfssl's config)\n"
    "  --cfssl-ca FILE        cfssl's signing CA certificate (and any intermediates above it)\n"
    "  --cfssl-profile NAME   the signing profile asked for (default bench)\n"
    "  --compare FILE         the results JSON of the stride-ca run (--json-copy): prints the\n"
    "                         ratios stride / cfssl of the matching scenarios\n"
    "\n"
    "Exit status: 0 when every request succeeded, 3 when some failed or a certificate check\n"
    "failed (the results are still written), 1 when the benchmark could not run.\n";

static int parse_scenario(const char *arg, struct scen_spec *s, struct error *err)
{
	char kind[32];
	long conc;
	unsigned long long n;
	double secs = 0;
	int used = 0;

	memset(s, 0, sizeof(*s));
	if (sscanf(arg, "%31[a-z-]:%ld:%llu%n", kind, &conc, &n, &used) != 3)
		return err_set(err, ERR_INVALID, "bad scenario %s (KIND:CONC:REQUESTS[:SECONDS])",
			       arg);
	if (arg[used] == ':') {
		char *end;
		secs = strtod(arg + used + 1, &end);
		if (*end != '\0' || secs <= 0)
			return err_set(err, ERR_INVALID, "bad time limit in %s", arg);
	} else if (arg[used] != '\0') {
		return err_set(err, ERR_INVALID, "bad scenario %s", arg);
	}
	if (strcmp(kind, "sign") == 0)
		s->kind = SCEN_SIGN;
	else if (strcmp(kind, "renew") == 0)
		s->kind = SCEN_RENEW;
	else if (strcmp(kind, "sign-newconn") == 0 || strcmp(kind, "newconn") == 0)
		s->kind = SCEN_SIGN_NEWCONN;
	else if (strcmp(kind, "acme") == 0)
		s->kind = SCEN_ACME;
	else if (strcmp(kind, "ocsp") == 0)
		s->kind = SCEN_OCSP;
	else if (strcmp(kind, "ocsp-nonce") == 0)
		s->kind = SCEN_OCSP_NONCE;
	else if (strcmp(kind, "cfssl-sign") == 0)
		s->kind = SCEN_CFSSL_SIGN;
	else if (strcmp(kind, "cfssl-sign-newconn") == 0)
		s->kind = SCEN_CFSSL_SIGN_NEWCONN;
	else
		return err_set(err, ERR_INVALID, "unknown scenario kind %s", kind);
	if (conc < 1 || conc > MAX_CONC || n < 1 || n > 100000000ULL)
		return err_set(err, ERR_INVALID, "scenario %s: concurrency 1..%d, requests >= 1",
			       arg, MAX_CONC);
	s->conc = (int)conc;
	s->requests = (size_t)n;
	s->seconds = secs;
	snprintf(s->name, sizeof(s->name), "%s c=%d",
		 s->kind == SCEN_SIGN		      ? "sign"
		 : s->kind == SCEN_RENEW	      ? "renew mTLS"
		 : s->kind == SCEN_ACME		      ? "acme"
		 : s->kind == SCEN_OCSP		      ? "ocsp"
		 : s->kind == SCEN_OCSP_NONCE	      ? "ocsp nonce"
		 : s->kind == SCEN_CFSSL_SIGN	      ? "cfssl sign"
		 : s->kind == SCEN_CFSSL_SIGN_NEWCONN ? "cfssl sign new-conn"
						      : "sign new-conn",
		 s->conc);
	return 0;
}

static int parse_count(const char *arg, const char *what, long max, long *out, struct error *err)
{
	char *end;

	errno = 0;
	*out = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || *out < 0 || *out > max)
		return err_set(err, ERR_INVALID, "bad %s: %s", what, arg);
	return 0;
}

struct options {
	const char *url, *root, *jwk, *prov, *kid, *results_dir, *startup_json, *note, *label;
	const char *acme_prov, *acme_name;
	const char *cfssl_key, *cfssl_ca, *cfssl_profile, *compare, *json_copy;
	long acme_http_port;
	const char *urls[BENCH_MAX_SERVERS];
	int nurls;
	long pids[BENCH_MAX_SERVERS];
	int npids;
	long pid, db_pid, sample, floor_iters, warmup, prep_threads;
	struct scen_spec specs[MAX_SCENARIOS];
	int nspecs;
};

static int parse_args(int argc, char **argv, struct options *o, struct error *err)
{
	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"root", required_argument, NULL, 'r'},
	    {"jwk", required_argument, NULL, 'j'},
	    {"provisioner", required_argument, NULL, 'p'},
	    {"kid", required_argument, NULL, 'k'},
	    {"server-pid", required_argument, NULL, 'P'},
	    {"scenario", required_argument, NULL, 's'},
	    {"sample", required_argument, NULL, 'S'},
	    {"floor-iterations", required_argument, NULL, 'f'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"prep-threads", required_argument, NULL, 't'},
	    {"results-dir", required_argument, NULL, 'd'},
	    {"startup-json", required_argument, NULL, 'J'},
	    {"note", required_argument, NULL, 'n'},
	    {"db-pid", required_argument, NULL, 'D'},
	    {"label", required_argument, NULL, 'L'},
	    {"acme-provisioner", required_argument, NULL, 'A'},
	    {"acme-name", required_argument, NULL, 'N'},
	    {"acme-http-port", required_argument, NULL, 'H'},
	    {"cfssl-key", required_argument, NULL, 'K'},
	    {"cfssl-ca", required_argument, NULL, 'C'},
	    {"cfssl-profile", required_argument, NULL, 'F'},
	    {"compare", required_argument, NULL, 'c'},
	    {"json-copy", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *defaults[] = {"sign:1:2000", "sign:8:5000", "sign:32:5000",
					 "renew:8:5000", "sign-newconn:8:2000"};
	int opt, ncfssl = 0;

	memset(o, 0, sizeof(*o));
	o->sample = 50;
	o->floor_iters = 3000;
	o->warmup = 200;
	o->prep_threads = sysconf(_SC_NPROCESSORS_ONLN);
	o->results_dir = "bench/results";
	o->acme_prov = "acme";
	o->acme_name = "localhost";
	o->cfssl_profile = "bench";
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			if (o->nurls == BENCH_MAX_SERVERS)
				return err_set(err, ERR_INVALID, "at most %d --url",
					       BENCH_MAX_SERVERS);
			o->urls[o->nurls++] = optarg;
			o->url = o->urls[0];
			break;
		case 'r':
			o->root = optarg;
			break;
		case 'j':
			o->jwk = optarg;
			break;
		case 'p':
			o->prov = optarg;
			break;
		case 'k':
			o->kid = optarg;
			break;
		case 'P':
			if (o->npids == BENCH_MAX_SERVERS)
				return err_set(err, ERR_INVALID, "at most %d --server-pid",
					       BENCH_MAX_SERVERS);
			if (parse_count(optarg, "--server-pid", 1L << 30, &o->pids[o->npids],
					err) != 0)
				return -1;
			o->pid = o->pids[0];
			o->npids++;
			break;
		case 'D':
			if (parse_count(optarg, "--db-pid", 1L << 30, &o->db_pid, err) != 0)
				return -1;
			break;
		case 'L':
			o->label = optarg;
			break;
		case 'A':
			o->acme_prov = optarg;
			break;
		case 'N':
			o->acme_name = optarg;
			break;
		case 'H':
			if (parse_count(optarg, "--acme-http-port", 65535, &o->acme_http_port,
					err) != 0)
				return -1;
			break;
		case 's':
			if (o->nspecs == MAX_SCENARIOS)
				return err_set(err, ERR_INVALID, "at most %d scenarios",
					       MAX_SCENARIOS);
			if (parse_scenario(optarg, &o->specs[o->nspecs], err) != 0)
				return -1;
			o->nspecs++;
			break;
		case 'S':
			if (parse_count(optarg, "--sample", 1L << 30, &o->sample, err) != 0)
				return -1;
			break;
		case 'f':
			if (parse_count(optarg, "--floor-iterations", 10000000, &o->floor_iters,
					err) != 0)
				return -1;
			break;
		case 'w':
			if (parse_count(optarg, "--warmup", 10000000, &o->warmup, err) != 0)
				return -1;
			break;
		case 't':
			if (parse_count(optarg, "--prep-threads", 256, &o->prep_threads, err) != 0)
				return -1;
			break;
		case 'd':
			o->results_dir = optarg;
			break;
		case 'J':
			o->startup_json = optarg;
			break;
		case 'K':
			o->cfssl_key = optarg;
			break;
		case 'C':
			o->cfssl_ca = optarg;
			break;
		case 'F':
			o->cfssl_profile = optarg;
			break;
		case 'c':
			o->compare = optarg;
			break;
		case 'O':
			o->json_copy = optarg;
			break;
		case 'n':
			o->note = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			return err_set(err, ERR_INVALID, "see stride-bench --help");
		}
	}
	if (optind < argc)
		return err_set(err, ERR_INVALID, "unexpected argument %s", argv[optind]);
	if (strlen(o->acme_prov) > 256 ||
	    strspn(o->acme_prov, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(o->acme_prov))
		return err_set(err, ERR_INVALID, "--acme-provisioner: a plain name, please");
	if (o->url == NULL || o->root == NULL || o->pid <= 0)
		return err_set(err, ERR_INVALID, "--url, --root and --server-pid are required");
	for (int i = 0; i < o->nspecs; i++)
		ncfssl += scen_is_cfssl(o->specs[i].kind);
	if (ncfssl > 0 && ncfssl < o->nspecs)
		return err_set(err, ERR_INVALID,
			       "cfssl scenarios run against cfssl serve, in a run of their own");
	if (ncfssl == 0 && (o->jwk == NULL || o->prov == NULL))
		return err_set(err, ERR_INVALID, "--jwk and --provisioner are required");
	if (ncfssl > 0 && (o->cfssl_key == NULL || o->cfssl_ca == NULL))
		return err_set(err, ERR_INVALID, "cfssl scenarios need --cfssl-key and --cfssl-ca");
	if (o->prep_threads < 1)
		o->prep_threads = 1;
	for (int i = 0; i < o->nspecs; i++)
		if (o->specs[i].kind == SCEN_ACME && o->acme_http_port == 0)
			return err_set(err, ERR_INVALID,
				       "an acme scenario needs --acme-http-port (stride-ca's)");
	if (o->nspecs == 0) {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			if (parse_scenario(defaults[i], &o->specs[o->nspecs++], err) != 0)
				return -1;
	}
	for (int i = 0; o->label != NULL && i < o->nspecs; i++) {
		struct scen_spec *s = &o->specs[i];
		size_t used = strlen(s->name);
		if ((size_t)snprintf(s->name + used, sizeof(s->name) - used, " %s", o->label) >=
		    sizeof(s->name) - used)
			return err_set(err, ERR_INVALID, "--label is too long");
	}
	return 0;
}

/* cfssl's auth key (hex, as in its config's auth_keys), its signing CA and the profile. */
static int cfssl_setup(const struct options *o, struct bench_ctx *ctx, struct error *err)
{
	uint8_t *hex = NULL;
	unsigned char *key;
	size_t n;
	long len = 0;

	if (file_read(o->cfssl_key, 4096, &hex, &n, err) != 0)
		return err_wrap(err, "--cfssl-key");
	hex[strcspn((char *)hex, " \r\n")] = '\0';
	key = OPENSSL_hexstr2buf((char *)hex, &len);
	OPENSSL_cleanse(hex, n);
	free(hex);
	if (key == NULL || len == 0) {
		OPENSSL_free(key);
		return err_set(err, ERR_INVALID, "--cfssl-key: %s is not a hex key", o->cfssl_key);
	}
	ctx->cfssl_key = xmalloc((size_t)len);
	memcpy(ctx->cfssl_key, key, (size_t)len);
	ctx->cfssl_key_len = (size_t)len;
	OPENSSL_clear_free(key, (size_t)len);
	ctx->cfssl_profile = o->cfssl_profile;
	if (cert_load_chain_file(o->cfssl_ca, &ctx->cfssl_chain, err) != 0)
		return err_wrap(err, "--cfssl-ca");
	return 0;
}

/* Loads the root, the provisioner key and the targets (t[0..o->nurls-1]) into ctx. */
static int setup(const struct options *o, struct bench_ctx *ctx, struct target *t,
		 struct error *err)
{
	json_error_t jerr;
	json_t *jwk = NULL;
	STACK_OF(X509) *roots = NULL;
	char *aud = NULL;
	unsigned char tag[4];
	int rc = -1;

	ctx->url = o->url;
	ctx->prov_name = o->prov;
	ctx->server_pid = (pid_t)o->pid;
	for (int k = 0; k < o->npids; k++)
		ctx->server_pids[k] = (pid_t)o->pids[k];
	ctx->n_servers = o->npids;
	ctx->db_pid = (pid_t)o->db_pid;
	ctx->targets = t;
	ctx->sample_every = (int)o->sample;
	ctx->acme_prov = o->acme_prov;
	ctx->acme_name = o->acme_name;
	ctx->acme_http_port = (int)o->acme_http_port;
	ctx->prep_threads = (int)o->prep_threads;
	if (RAND_bytes(tag, sizeof(tag)) != 1) {
		err_set(err, ERR_CRYPTO, "RAND_bytes failed");
		goto out;
	}
	ctx->run_tag = ((unsigned)tag[0] << 8 | tag[1]) % 100000;
	if (cert_load_file(o->root, &ctx->root, err) != 0 ||
	    cert_fingerprint(ctx->root, ctx->root_sha, err) != 0)
		goto out;
	roots = sk_X509_new_null();
	if (roots == NULL || !sk_X509_push(roots, ctx->root) ||
	    (ctx->roots = cert_store_new(roots)) == NULL) {
		err_set(err, ERR_CRYPTO, "cannot build the root store");
		goto out;
	}
	if (o->cfssl_key != NULL && cfssl_setup(o, ctx, err) != 0)
		goto out;
	if (o->jwk == NULL)
		goto targets; /* a cfssl run: no provisioner */
	jwk = json_load_file(o->jwk, 0, &jerr);
	if (jwk == NULL) {
		err_set(err, ERR_INVALID, "%s: %s", o->jwk, jerr.text);
		goto out;
	}
	if (jwk_to_pkey(jwk, &ctx->prov_key, err) != 0) {
		err_wrap(err, "%s", o->jwk);
		goto out;
	}
	ctx->kid = o->kid != NULL ? xstrdup(o->kid)
		   : json_string_value(json_object_get(jwk, "kid")) != NULL
		       ? xstrdup(json_string_value(json_object_get(jwk, "kid")))
		       : NULL;
	if (ctx->kid == NULL) {
		err_set(err, ERR_INVALID, "no --kid and no kid in %s", o->jwk);
		goto out;
	}
targets:
	for (int k = 0; k < o->nurls; k++) {
		if (target_init(&t[k], o->urls[k], o->root, err) != 0)
			goto out;
		ctx->n_targets = k + 1;
	}
	snprintf(ctx->host_header, sizeof(ctx->host_header), "%s", t->host_header);
	aud = token_audience(o->url, "/1.0/sign");
	if (aud == NULL || strlen(aud) >= sizeof(ctx->audience)) {
		err_set(err, ERR_INVALID, "cannot make the token audience from %s", o->url);
		goto out;
	}
	snprintf(ctx->audience, sizeof(ctx->audience), "%s", aud);
	rc = 0;
out:
	free(aud);
	sk_X509_free(roots); /* the store and ctx->root hold their own references */
	json_decref(jwk);
	return rc;
}

static void ctx_free(struct bench_ctx *ctx)
{
	EVP_PKEY_free(ctx->prov_key);
	X509_free(ctx->root);
	X509_STORE_free(ctx->roots);
	free((char *)ctx->kid);
	if (ctx->cfssl_key != NULL)
		OPENSSL_cleanse(ctx->cfssl_key, ctx->cfssl_key_len);
	free(ctx->cfssl_key);
	sk_X509_pop_free(ctx->cfssl_chain, X509_free);
}

static void utc_now(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int main(int argc, char **argv)
{
	struct options o;
	struct bench_ctx ctx = {0};
	struct target t[BENCH_MAX_SERVERS] = {0};
	struct report rep = {0};
	struct scen_result *res = NULL;
	struct error err = {0};
	int64_t t_start = now_ns();
	bool had_errors = false;
	int rc = 1;

	if (argc > 1 && strcmp(argv[1], "startup") == 0)
		return startup_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "floor") == 0)
		return floor_main(argc - 1, argv + 1);
	signal(SIGPIPE, SIG_IGN);
	json_decref(json_object()); /* seeds jansson's hash before threads use it */
	if (parse_args(argc, argv, &o, &err) != 0 || setup(&o, &ctx, t, &err) != 0)
		goto out;

	rep.ctx = &ctx;
	rep.note = o.note;
	rep.ticks_per_s = (double)sysconf(_SC_CLK_TCK);
	utc_now(rep.started_at);
	if (o.compare != NULL) {
		json_error_t jerr;
		rep.compare = json_load_file(o.compare, 0, &jerr);
		if (rep.compare == NULL) {
			err_set(&err, ERR_INVALID, "--compare %s: %s", o.compare, jerr.text);
			goto out;
		}
	}
	if (o.startup_json != NULL) {
		json_error_t jerr;
		rep.startup = json_load_file(o.startup_json, 0, &jerr);
		if (rep.startup == NULL)
			fprintf(stderr, "stride-bench: ignoring %s: %s\n", o.startup_json,
				jerr.text);
	}
	if (proc_mem_kb(ctx.server_pid, &rep.idle_rss_kb, &rep.idle_hwm_kb, &err) != 0) {
		err_wrap(&err, "no server process %ld", (long)ctx.server_pid);
		goto out;
	}
	for (int k = 1; k < ctx.n_servers; k++) {
		long rss, hwm;
		if (proc_mem_kb(ctx.server_pids[k], &rss, &hwm, &err) != 0) {
			err_wrap(&err, "no server process %ld", (long)ctx.server_pids[k]);
			goto out;
		}
		rep.idle_rss_kb += rss;
		rep.idle_hwm_kb += hwm;
	}
	printf("stride-bench against %s%s (server pid %ld%s), idle RSS %.1f MiB\n", o.url,
	       o.nurls > 1 ? " and more" : "", (long)ctx.server_pid,
	       ctx.n_servers > 1 ? " and more: sums" : "", (double)rep.idle_rss_kb / 1024);
	fflush(stdout);

	if (o.floor_iters > 0) {
		printf("measuring the crypto floor (%ld iterations) ...\n", o.floor_iters);
		fflush(stdout);
		if (floor_measure((int)o.floor_iters, &rep.floor, &err) != 0)
			goto out;
		rep.have_floor = true;
		printf("  floor %.3f ms per issuance (token verify %.1f us, CSR verify %.1f us, "
		       "certificate %.1f us)\n",
		       rep.floor.floor_ms, rep.floor.jws_verify_us, rep.floor.csr_verify_us,
		       rep.floor.cert_sign_us);
	}
	if (o.warmup > 0) {
		struct scen_spec w = {.kind = scen_is_cfssl(o.specs[0].kind) ? SCEN_CFSSL_SIGN
									     : SCEN_SIGN,
				      .conc = o.warmup < 8 ? (int)o.warmup : 8,
				      .requests = (size_t)o.warmup};
		struct scen_result wr;
		snprintf(w.name, sizeof(w.name), "warm-up");
		if (scenario_run(&ctx, &t[0], &w, &wr, &err) != 0) {
			scen_result_free(&wr);
			goto out;
		}
		printf("warm-up: %zu requests, %zu errors (not reported)\n", wr.attempted,
		       wr.err_status + wr.err_transport + wr.err_sample);
		for (int k = 0; k < wr.n_first_errors; k++)
			printf("      error: %s\n", wr.first_errors[k]);
		scen_result_free(&wr);
	}

	{
		int conc = 0;
		for (int i = 0; i < o.nspecs; i++)
			if (o.specs[i].kind == SCEN_ACME && o.specs[i].conc > conc)
				conc = o.specs[i].conc;
		if (conc > 0 && http01_start(ctx.acme_http_port, conc, &ctx.http01, &err) != 0)
			goto out;
	}
	res = xcalloc((size_t)o.nspecs, sizeof(*res));
	rep.res = res;
	for (int i = 0; i < o.nspecs; i++) {
		printf("%s: preparing %zu requests ...\n", o.specs[i].name,
		       o.specs[i].kind == SCEN_RENEW ? (size_t)o.specs[i].conc
						     : o.specs[i].requests);
		fflush(stdout);
		if (scenario_run(&ctx, &t[0], &o.specs[i], &res[i], &err) != 0) {
			scen_result_free(&res[i]);
			err_wrap(&err, "%s", o.specs[i].name);
			goto out;
		}
		rep.nres = i + 1;
		report_progress(&res[i], &rep);
		had_errors |= res[i].err_status + res[i].err_transport + res[i].err_sample > 0 ||
			      res[i].ok == 0;
	}
	rep.total_wall_s = (double)(now_ns() - t_start) / 1e9;
	report_print(&rep);
	if (report_write(&rep, o.results_dir, o.json_copy, &err) != 0)
		goto out;
	rc = had_errors ? 3 : 0;
out:
	if (rc == 1)
		fprintf(stderr, "stride-bench: %s\n", err.msg);
	for (int i = 0; i < rep.nres; i++)
		scen_result_free(&res[i]);
	free(res);
	json_decref(rep.startup);
	json_decref(rep.compare);
	for (int k = 0; k < BENCH_MAX_SERVERS; k++)
		target_free(&t[k]);
	http01_stop(ctx.http01);
	ctx_free(&ctx);
	return rc;
}
