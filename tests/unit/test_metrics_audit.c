/* test_metrics_audit.c - the metrics registry and its exposition text (base/metrics.h), the
 * audit record and its file (base/audit.h), and their ca.json fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/audit.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/metrics.h"
#include "config/ca_config.h"

/* The exposition text, malloc'd. */
static char *exposition(void)
{
	struct buf b;
	struct error err = {0};

	buf_init(&b, 1u << 22);
	assert_int_equal(metrics_write(&b, &err), 0);
	return buf_steal(&b);
}

static const char *const routes[] = {"sign", "we\"ird\\route\n"};
/* The label of routes[1], escaped. */
#define W "route=\"we\\\"ird\\\\route\\n\""

/* What every scrape ends with when nothing but the first lines was recorded. */
#define TAIL_EMPTY_STORE                                                                           \
	"# HELP stride_store_commit_duration_seconds Duration of the store's group commits, by "   \
	"store.\n"                                                                                 \
	"# TYPE stride_store_commit_duration_seconds histogram\n"                                  \
	"# HELP stride_store_commit_group_size Transactions per group commit of the store, by "    \
	"store.\n"                                                                                 \
	"# TYPE stride_store_commit_group_size histogram\n"

static void test_exposition_empty(void **state)
{
	char *text;
	(void)state;

	metrics_reset();
	text = exposition();
	assert_string_equal(
	    text,
	    "# HELP stride_http_requests_total HTTP requests answered, by route and status.\n"
	    "# TYPE stride_http_requests_total counter\n"
	    "# HELP stride_http_request_duration_seconds Time from a request's arrival to its "
	    "answer, by route.\n"
	    "# TYPE stride_http_request_duration_seconds histogram\n"
	    "# HELP stride_http_connections_open Client connections open on the HTTPS listener.\n"
	    "# TYPE stride_http_connections_open gauge\n"
	    "stride_http_connections_open 0\n"
	    "# HELP stride_certificates_issued_total Certificates issued, by kind, operation and "
	    "provisioner.\n"
	    "# TYPE stride_certificates_issued_total counter\n"
	    "# HELP stride_certificates_revoked_total Certificates revoked, by kind.\n"
	    "# TYPE stride_certificates_revoked_total counter\n"
	    "stride_certificates_revoked_total{kind=\"x509\"} 0\n"
	    "stride_certificates_revoked_total{kind=\"ssh\"} 0\n"
	    "# HELP stride_token_replays_total Tokens refused because they were used before.\n"
	    "# TYPE stride_token_replays_total counter\n"
	    "stride_token_replays_total 0\n" TAIL_EMPTY_STORE
	    "# HELP stride_acme_orders_total ACME orders that entered a state (pending: created, "
	    "valid: finalized).\n"
	    "# TYPE stride_acme_orders_total counter\n"
	    "stride_acme_orders_total{state=\"pending\"} 0\n"
	    "stride_acme_orders_total{state=\"valid\"} 0\n"
	    "# HELP stride_audit_write_failures_total Audit records that could not be written.\n"
	    "# TYPE stride_audit_write_failures_total counter\n"
	    "stride_audit_write_failures_total 0\n");
	free(text);
}

static void test_exposition_exact(void **state)
{
	char *text;
	(void)state;

	metrics_reset();
	metrics_set_routes(routes, 2);
	metrics_request(0, 401, 200000);     /* 0.2 ms */
	metrics_request(0, 201, 1500000);    /* 1.5 ms */
	metrics_request(0, 201, 1000000);    /* exactly on the 0.001 bound */
	metrics_request(1, 404, 3000000000); /* 3 s */
	metrics_request(1, 99, 0);	     /* not a status: the "other" slot */
	metrics_request(5, 200, 1);	     /* no such route: ignored */
	metrics_connection(1);
	metrics_connection(1);
	metrics_connection(-1);
	metrics_issued(METRICS_X509, METRICS_OP_SIGN, "a\"b\\c");
	metrics_issued(METRICS_X509, METRICS_OP_SIGN, "a\"b\\c");
	metrics_issued(METRICS_SSH, METRICS_OP_RENEW, "p");
	metrics_issued(METRICS_X509, METRICS_OP_REKEY, NULL);
	metrics_revoked(METRICS_X509);
	metrics_token_replay();
	metrics_token_replay();
	metrics_commit(METRICS_STORE_SQLITE, 300000, 3);
	metrics_commit(METRICS_STORE_SQLITE, 2000000000, 300);
	metrics_acme_order(METRICS_ORDER_PENDING);
	metrics_audit_failure();
	text = exposition();
	assert_string_equal(
	    text,
	    "# HELP stride_http_requests_total HTTP requests answered, by route and status.\n"
	    "# TYPE stride_http_requests_total counter\n"
	    "stride_http_requests_total{route=\"sign\",status=\"201\"} 2\n"
	    "stride_http_requests_total{route=\"sign\",status=\"401\"} 1\n"
	    "stride_http_requests_total{route=\"we\\\"ird\\\\route\\n\",status=\"404\"} 1\n"
	    "stride_http_requests_total{route=\"we\\\"ird\\\\route\\n\",status=\"other\"} 1\n"
	    "# HELP stride_http_request_duration_seconds Time from a request's arrival to its "
	    "answer, by route.\n"
	    "# TYPE stride_http_request_duration_seconds histogram\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.0005\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.001\"} 2\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.0025\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.005\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.01\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.025\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.05\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.1\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.25\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"0.5\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"1\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"2.5\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"5\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"10\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{route=\"sign\",le=\"+Inf\"} 3\n"
	    "stride_http_request_duration_seconds_sum{route=\"sign\"} 0.0027\n"
	    "stride_http_request_duration_seconds_count{route=\"sign\"} 3\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.0005\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.001\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.0025\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.005\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.01\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.025\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.05\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.1\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.25\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"0.5\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"1\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"2.5\"} 1\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"5\"} 2\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"10\"} 2\n"
	    "stride_http_request_duration_seconds_bucket{" W ",le=\"+Inf\"} 2\n"
	    "stride_http_request_duration_seconds_sum{" W "} 3\n"
	    "stride_http_request_duration_seconds_count{" W "} 2\n"
	    "# HELP stride_http_connections_open Client connections open on the HTTPS listener.\n"
	    "# TYPE stride_http_connections_open gauge\n"
	    "stride_http_connections_open 1\n"
	    "# HELP stride_certificates_issued_total Certificates issued, by kind, operation and "
	    "provisioner.\n"
	    "# TYPE stride_certificates_issued_total counter\n"
	    "stride_certificates_issued_total{kind=\"x509\",operation=\"sign\","
	    "provisioner=\"a\\\"b\\\\c\"} 2\n"
	    "stride_certificates_issued_total{kind=\"x509\",operation=\"rekey\",provisioner=\"\"} "
	    "1\n"
	    "stride_certificates_issued_total{kind=\"ssh\",operation=\"renew\",provisioner=\"p\"} "
	    "1\n"
	    "# HELP stride_certificates_revoked_total Certificates revoked, by kind.\n"
	    "# TYPE stride_certificates_revoked_total counter\n"
	    "stride_certificates_revoked_total{kind=\"x509\"} 1\n"
	    "stride_certificates_revoked_total{kind=\"ssh\"} 0\n"
	    "# HELP stride_token_replays_total Tokens refused because they were used before.\n"
	    "# TYPE stride_token_replays_total counter\n"
	    "stride_token_replays_total 2\n"
	    "# HELP stride_store_commit_duration_seconds Duration of the store's group commits, by "
	    "store.\n"
	    "# TYPE stride_store_commit_duration_seconds histogram\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.0001\"} 0\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.00025\"} 0\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.0005\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.001\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.0025\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.005\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.01\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.025\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.05\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.1\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.25\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"0.5\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"1\"} 1\n"
	    "stride_store_commit_duration_seconds_bucket{store=\"sqlite\",le=\"+Inf\"} 2\n"
	    "stride_store_commit_duration_seconds_sum{store=\"sqlite\"} 2.0003\n"
	    "stride_store_commit_duration_seconds_count{store=\"sqlite\"} 2\n"
	    "# HELP stride_store_commit_group_size Transactions per group commit of the store, by "
	    "store.\n"
	    "# TYPE stride_store_commit_group_size histogram\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"1\"} 0\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"2\"} 0\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"4\"} 1\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"8\"} 1\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"16\"} 1\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"32\"} 1\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"64\"} 1\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"128\"} 1\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"256\"} 1\n"
	    "stride_store_commit_group_size_bucket{store=\"sqlite\",le=\"+Inf\"} 2\n"
	    "stride_store_commit_group_size_sum{store=\"sqlite\"} 303\n"
	    "stride_store_commit_group_size_count{store=\"sqlite\"} 2\n"
	    "# HELP stride_acme_orders_total ACME orders that entered a state (pending: created, "
	    "valid: finalized).\n"
	    "# TYPE stride_acme_orders_total counter\n"
	    "stride_acme_orders_total{state=\"pending\"} 1\n"
	    "stride_acme_orders_total{state=\"valid\"} 0\n"
	    "# HELP stride_audit_write_failures_total Audit records that could not be written.\n"
	    "# TYPE stride_audit_write_failures_total counter\n"
	    "stride_audit_write_failures_total 1\n");
	free(text);
	metrics_reset();
}

/* The line of text that starts with prefix, up to its value: the value, or -1. */
static long long sample(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);

	return p != NULL ? atoll(p + strlen(prefix)) : -1;
}

/* Provisioner names beyond METRICS_MAX_PROVISIONERS - 1 share the slot "other"; status codes
 * beyond METRICS_MAX_STATUSES - 1 share "other" too. */
static void test_bounded_labels(void **state)
{
	char name[32], *text;
	(void)state;

	metrics_reset();
	metrics_set_routes(routes, 1);
	for (int i = 0; i < METRICS_MAX_PROVISIONERS + 5; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		metrics_issued(METRICS_X509, METRICS_OP_SIGN, name);
	}
	for (int i = 0; i < METRICS_MAX_STATUSES + 3; i++)
		metrics_request(0, 200 + i, 0);
	text = exposition();
	assert_int_equal(sample(text, "operation=\"sign\",provisioner=\"p0\"} "), 1);
	assert_int_equal(sample(text, "operation=\"sign\",provisioner=\"p126\"} "), 1);
	assert_int_equal(sample(text, "operation=\"sign\",provisioner=\"p127\"} "), -1);
	assert_int_equal(sample(text, "operation=\"sign\",provisioner=\"other\"} "), 6);
	assert_int_equal(sample(text, "status=\"230\"} "), 1);
	assert_int_equal(sample(text, "status=\"231\"} "), -1);
	assert_int_equal(sample(text, "status=\"other\"} "), 4);
	free(text);
	metrics_reset();
}

#define THREADS	   4
#define PER_THREAD 100000

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		metrics_request(0, 201, 1000);
		metrics_issued(METRICS_X509, METRICS_OP_SIGN, i % 2 ? "a" : "b");
	}
	return NULL;
}

/* Concurrent recording from several threads loses nothing. */
static void test_concurrent(void **state)
{
	pthread_t t[THREADS];
	char *text;
	(void)state;

	metrics_reset();
	metrics_set_routes(routes, 1);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	text = exposition();
	assert_int_equal(sample(text, "{route=\"sign\",status=\"201\"} "), THREADS * PER_THREAD);
	assert_int_equal(sample(text, "_count{route=\"sign\"} "), THREADS * PER_THREAD);
	assert_int_equal(sample(text, "provisioner=\"a\"} "), THREADS * PER_THREAD / 2);
	assert_int_equal(sample(text, "provisioner=\"b\"} "), THREADS * PER_THREAD / 2);
	free(text);
	metrics_reset();
}

/* ---- audit ---------------------------------------------------------------------------- */

static char *format(const struct audit_record *r)
{
	struct buf b;
	struct error err = {0};

	buf_init(&b, 1u << 20);
	assert_int_equal(audit_format(r, &b, &err), 0);
	return buf_steal(&b);
}

/* 2026-12-04T12:00:00.123Z */
#define T0 (1796385600LL * 1000000000LL + 123000000LL)

static void test_audit_format(void **state)
{
	const char *sans[] = {"a.example.com", "10.0.0.1", "x\"y"};
	struct audit_record ok = {
	    .time_ns = T0,
	    .operation = "x509.sign",
	    .status = 201,
	    .message = "ignored when ok",
	    .serial = "1234",
	    .subject = "a.example.com",
	    .provisioner = "admin@example.com",
	    .sans = sans,
	    .nsans = 3,
	    .client = "127.0.0.1:5000",
	    .request_id = "rid",
	};
	struct audit_record bad = {
	    .time_ns = T0,
	    .operation = "ssh.revoke",
	    .status = 401,
	    .message = "unauthorized: bad \"token\"\n\xff",
	    .serial = "",
	    .client = "[::1]:6000",
	};
	char *text;
	(void)state;

	text = format(&ok);
	assert_string_equal(
	    text, "{\"time\":\"2026-12-04T12:00:00.123Z\",\"operation\":\"x509.sign\",\"result\":"
		  "\"ok\",\"status\":201,\"serial\":\"1234\",\"subject\":\"a.example.com\","
		  "\"sans\":[\"a.example.com\",\"10.0.0.1\",\"x\\\"y\"],\"provisioner\":"
		  "\"admin@example.com\",\"client\":\"127.0.0.1:5000\",\"request_id\":\"rid\"}\n");
	free(text);
	text = format(&bad);
	assert_string_equal(text, "{\"time\":\"2026-12-04T12:00:00.123Z\",\"operation\":"
				  "\"ssh.revoke\",\"result\":\"error\",\"status\":401,\"message\":"
				  "\"unauthorized: bad \\\"token\\\"\\n\\ufffd\",\"client\":"
				  "\"[::1]:6000\"}\n");
	free(text);
}

/* A value longer than AUDIT_VALUE_MAX is cut at a UTF-8 boundary. */
static void test_audit_long_value(void **state)
{
	char *subject = malloc(AUDIT_VALUE_MAX + 10), *text, *want;
	struct audit_record r = {.time_ns = T0, .operation = "x509.sign", .status = 201};
	(void)state;

	memset(subject, 'a', AUDIT_VALUE_MAX - 1);
	memcpy(subject + AUDIT_VALUE_MAX - 1, "\xc3\xa9zzzzzzzz", 11); /* é across the limit */
	r.subject = subject;
	text = format(&r);
	want = malloc(AUDIT_VALUE_MAX + 200);
	snprintf(want, AUDIT_VALUE_MAX + 200,
		 "{\"time\":\"2026-12-04T12:00:00.123Z\",\"operation\":\"x509.sign\",\"result\":"
		 "\"ok\",\"status\":201,\"subject\":\"%.*s\"}\n",
		 AUDIT_VALUE_MAX - 1, subject);
	assert_string_equal(text, want);
	free(want);
	free(text);
	free(subject);
}

static char *slurp(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;

	assert_int_equal(file_read(path, 1u << 20, &data, &len, NULL), 0);
	return (char *)data;
}

/* Records go to the file, one line each; after a rename and audit_reopen, to the new file. */
static void test_audit_file_reopen(void **state)
{
	char dir[] = "/tmp/stride-audit-XXXXXX", path[128], moved[128], *text;
	struct audit_record r = {
	    .time_ns = T0, .operation = "x509.renew", .status = 201, .serial = "1"};
	struct error err = {0};
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	snprintf(moved, sizeof(moved), "%s/audit.log.1", dir);
	assert_int_equal(audit_open(path, &err), 0);
	audit_write(&r);
	assert_int_equal(rename(path, moved), 0);
	r.serial = "2";
	audit_write(&r); /* still the old file */
	assert_int_equal(audit_reopen(&err), 0);
	r.serial = "3";
	audit_write(&r);
	audit_close();
	text = slurp(moved);
	assert_string_equal(text,
			    "{\"time\":\"2026-12-04T12:00:00.123Z\",\"operation\":"
			    "\"x509.renew\",\"result\":\"ok\",\"status\":201,\"serial\":\"1\"}\n"
			    "{\"time\":\"2026-12-04T12:00:00.123Z\",\"operation\":"
			    "\"x509.renew\",\"result\":\"ok\",\"status\":201,\"serial\":\"2\"}\n");
	free(text);
	text = slurp(path);
	assert_string_equal(text,
			    "{\"time\":\"2026-12-04T12:00:00.123Z\",\"operation\":"
			    "\"x509.renew\",\"result\":\"ok\",\"status\":201,\"serial\":\"3\"}\n");
	free(text);
	unlink(path);
	unlink(moved);
	rmdir(dir);
	snprintf(path, sizeof(path), "%s/none/audit.log", dir);
	assert_int_equal(audit_open(path, &err), -1);
	assert_true(strncmp(err.msg, "cannot open the audit file /tmp/stride-audit-", 45) == 0);
	assert_non_null(strstr(err.msg, "/none/audit.log: No such file or directory"));
	assert_int_equal(audit_reopen(&err), 0); /* no file: nothing to do */
}

/* ---- ca.json -------------------------------------------------------------------------- */

static int parse(const char *extra, struct ca_config **cfg, struct error *err)
{
	char doc[512];

	snprintf(
	    doc, sizeof(doc),
	    "{\"root\":\"/r.crt\",\"crt\":\"/i.crt\",\"key\":\"/i.key\",\"address\":\":443\"%s}",
	    extra);
	return ca_config_parse(doc, strlen(doc), "ca.json", cfg, err);
}

static void test_config_fields(void **state)
{
	struct ca_config *cfg = NULL;
	struct error err = {0};
	(void)state;

	assert_int_equal(parse("", &cfg, &err), 0);
	assert_null(cfg->metrics_address);
	assert_null(cfg->audit_path);
	ca_config_free(cfg);
	assert_int_equal(
	    parse(",\"metricsAddress\":\":9100\",\"audit\":{\"path\":\"/var/a.log\"}", &cfg, &err),
	    0);
	assert_string_equal(cfg->metrics_address, ":9100");
	assert_string_equal(cfg->audit_path, "/var/a.log");
	ca_config_free(cfg);
	assert_int_equal(parse(",\"metricsAddress\":\"\",\"audit\":{}", &cfg, &err), 0);
	assert_null(cfg->metrics_address);
	assert_null(cfg->audit_path);
	ca_config_free(cfg);
	assert_int_equal(parse(",\"metricsAddress\":\"9100\"", &cfg, &err), -1);
	assert_string_equal(err.msg, "error parsing ca.json: invalid metricsAddress 9100");
	assert_int_equal(parse(",\"metricsAddress\":9100", &cfg, &err), -1);
	assert_string_equal(err.msg, "error parsing ca.json: metricsAddress must be a string");
	assert_int_equal(parse(",\"audit\":\"/a.log\"", &cfg, &err), -1);
	assert_string_equal(err.msg, "error parsing ca.json: audit must be an object");
	assert_int_equal(parse(",\"audit\":{\"path\":1}", &cfg, &err), -1);
	assert_string_equal(err.msg, "error parsing ca.json: audit.path must be a string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exposition_empty),  cmocka_unit_test(test_exposition_exact),
	    cmocka_unit_test(test_bounded_labels),    cmocka_unit_test(test_concurrent),
	    cmocka_unit_test(test_audit_format),      cmocka_unit_test(test_audit_long_value),
	    cmocka_unit_test(test_audit_file_reopen), cmocka_unit_test(test_config_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
