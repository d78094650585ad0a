/* test_config.c - ca.json parsing, defaults and validation; JSON writing; defaults.json merging
 * and contexts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/str.h"
#include "config/ca_config.h"
#include "config/defaults.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif
#define DATA(f) TEST_DATA_DIR "/config/" f

static char *read_text(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	struct error err = {0};

	assert_int_equal(file_read(path, 1 << 24, &data, &len, &err), 0);
	return (char *)data;
}

static void write_text(const char *path, const char *text)
{
	struct error err = {0};
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	*slash = '\0';
	assert_int_equal(file_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0644, &err), 0);
	free(dir);
}

static struct ca_config *parse_ok(const char *text)
{
	struct ca_config *cfg = NULL;
	struct error err = {0};

	if (ca_config_parse(text, strlen(text), "t.json", &cfg, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
	assert_non_null(cfg);
	return cfg;
}

static void test_full_step_config(void **state)
{
	struct ca_config *cfg = NULL;
	struct error err = {0};
	json_t *provs;
	(void)state;

	assert_int_equal(ca_config_load(DATA("ca_full.json"), &cfg, &err), 0);
	assert_string_equal(cfg->path, DATA("ca_full.json"));
	assert_int_equal(cfg->roots.n, 1);
	assert_string_equal(cfg->roots.v[0], "/home/user/.step/certs/root_ca.crt");
	assert_int_equal(cfg->federated_roots.n, 0);
	assert_string_equal(cfg->crt, "/home/user/.step/certs/intermediate_ca.crt");
	assert_string_equal(cfg->key, "/home/user/.step/secrets/intermediate_ca_key");
	assert_null(cfg->password);
	assert_string_equal(cfg->address, "127.0.0.1:9443");
	assert_string_equal(cfg->insecure_address, "");
	assert_int_equal(cfg->dns_names.n, 2);
	assert_string_equal(cfg->dns_names.v[0], "localhost");
	assert_string_equal(cfg->dns_names.v[1], "127.0.0.1");
	assert_string_equal(cfg->common_name, "Step Online CA");
	assert_true(cfg->has_db);
	assert_string_equal(cfg->db_type, "badgerv2");
	assert_string_equal(cfg->db_data_source, "/home/user/.step/db");
	assert_string_equal(cfg->logger_format, "text");
	provs = cfg->provisioners;
	assert_int_equal(json_array_size(provs), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(provs, 1), "type")),
			    "ACME");
	assert_ptr_equal(provs,
			 json_object_get(json_object_get(cfg->doc, "authority"), "provisioners"));
	assert_null(cfg->claims);
	assert_null(cfg->subject_template);
	assert_true(cfg->backdate_ns == NS_PER_MIN);
	assert_false(cfg->disable_issued_at_check);
	assert_int_equal(cfg->tls.cipher_suites.n, 2);
	assert_string_equal(cfg->tls.cipher_suites.v[0],
			    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
	assert_string_equal(cfg->tls.cipher_suites.v[1], "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	assert_true(cfg->tls.min_version == 1.2);
	assert_true(cfg->tls.max_version == 1.3);
	assert_false(cfg->tls.renegotiation);
	/* Fields stride does not interpret are kept. */
	assert_int_equal(
	    json_array_size(json_object_get(
		json_object_get(json_object_get(cfg->doc, "templates"), "ssh"), "user")),
	    4);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(cfg->doc, "ssh"), "hostKey")),
	    "/home/user/.step/secrets/ssh_host_ca_key");
	ca_config_free(cfg);
}

/* The ca.json real step-ca 0.19 `ca init` wrote (placeholders filled in). */
static void test_real_step_file(void **state)
{
	char *text = read_text(TEST_DATA_DIR "/stepca/tree/config/ca.json"), *filled;
	struct ca_config *cfg;
	struct buf b;
	(void)state;

	/* Fill in the placeholders @PORT@ and @TREE@. */
	buf_init(&b, 1 << 20);
	for (const char *p = text; *p != '\0';) {
		if (strncmp(p, "@PORT@", 6) == 0) {
			assert_int_equal(buf_append_str(&b, "9443", NULL), 0);
			p += 6;
		} else if (strncmp(p, "@TREE@", 6) == 0) {
			assert_int_equal(buf_append_str(&b, "/srv/step", NULL), 0);
			p += 6;
		} else {
			assert_int_equal(buf_append(&b, p++, 1, NULL), 0);
		}
	}
	filled = buf_steal(&b);
	cfg = parse_ok(filled);
	assert_string_equal(cfg->address, "127.0.0.1:9443");
	assert_string_equal(cfg->roots.v[0], "/srv/step/certs/root_ca.crt");
	assert_int_equal(json_array_size(cfg->provisioners), 1);
	assert_string_equal(cfg->db_type, "badgerv2");
	ca_config_free(cfg);
	buf_free(&b);
	free(filled);
	free(text);
}

static void test_defaults_applied(void **state)
{
	struct ca_config *cfg = NULL;
	struct error err = {0};
	json_t *provs;
	(void)state;

	assert_int_equal(ca_config_load(DATA("ca_minimal.json"), &cfg, &err), 0);
	assert_int_equal(cfg->dns_names.n, 3);
	assert_string_equal(cfg->dns_names.v[0], "localhost");
	assert_string_equal(cfg->dns_names.v[1], "127.0.0.1");
	assert_string_equal(cfg->dns_names.v[2], "::1");
	assert_string_equal(cfg->common_name, "Step Online CA");
	assert_string_equal(cfg->address, ":443");
	assert_string_equal(cfg->insecure_address, "");
	assert_false(cfg->has_db);
	assert_null(cfg->db_type);
	assert_null(cfg->db_data_source);
	assert_string_equal(cfg->logger_format, "");
	assert_true(cfg->backdate_ns == NS_PER_MIN);
	assert_false(cfg->disable_issued_at_check);
	assert_int_equal(cfg->tls.cipher_suites.n, 2);
	assert_string_equal(cfg->tls.cipher_suites.v[0],
			    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
	assert_true(cfg->tls.min_version == 1.2);
	assert_true(cfg->tls.max_version == 1.3);
	/* authority.provisioners is created as an empty array in the document. */
	provs = json_object_get(json_object_get(cfg->doc, "authority"), "provisioners");
	assert_true(json_is_array(provs));
	assert_int_equal(json_array_size(provs), 0);
	assert_ptr_equal(cfg->provisioners, provs);
	ca_config_free(cfg);
}

static void test_optional_fields(void **state)
{
	struct ca_config *cfg;
	(void)state;

	cfg = parse_ok(
	    "{\"root\":[\"/a.crt\",\"/b.crt\"],\"federatedRoots\":[\"/f.crt\"],"
	    "\"crt\":\"c\",\"key\":\"k\",\"password\":\"s3cret\",\"address\":\"[::1]:0\","
	    "\"insecureAddress\":\":8080\",\"dnsNames\":[\"ca.example.com\"],"
	    "\"commonName\":\"My CA\",\"db\":{\"type\":\"sqlite\",\"dataSource\":\"/d\"},"
	    "\"logger\":{\"format\":\"json\"},\"authority\":{\"provisioners\":null,"
	    "\"claims\":{\"maxTLSCertDuration\":\"48h\"},\"template\":{\"country\":\"CH\"},"
	    "\"backdate\":\"90s\",\"disableIssuedAtCheck\":true,\"type\":\"softcas\"},"
	    "\"tls\":{\"cipherSuites\":[],\"minVersion\":1,\"maxVersion\":1.2,"
	    "\"renegotiation\":true},\"unknownField\":{\"x\":[1,2]}}");
	assert_int_equal(cfg->roots.n, 2);
	assert_string_equal(cfg->roots.v[1], "/b.crt");
	assert_int_equal(cfg->federated_roots.n, 1);
	assert_string_equal(cfg->federated_roots.v[0], "/f.crt");
	assert_string_equal(cfg->password, "s3cret");
	assert_string_equal(cfg->address, "[::1]:0");
	assert_string_equal(cfg->insecure_address, ":8080");
	assert_int_equal(cfg->dns_names.n, 1);
	assert_string_equal(cfg->common_name, "My CA");
	assert_true(cfg->has_db);
	assert_string_equal(cfg->db_type, "sqlite");
	assert_string_equal(cfg->db_data_source, "/d");
	assert_string_equal(cfg->logger_format, "json");
	assert_int_equal(json_array_size(cfg->provisioners), 0);
	assert_string_equal(json_string_value(json_object_get(cfg->claims, "maxTLSCertDuration")),
			    "48h");
	assert_string_equal(json_string_value(json_object_get(cfg->subject_template, "country")),
			    "CH");
	assert_true(cfg->backdate_ns == 90 * NS_PER_SEC);
	assert_true(cfg->disable_issued_at_check);
	assert_int_equal(cfg->tls.cipher_suites.n, 2); /* empty list -> defaults */
	assert_true(cfg->tls.min_version == 1.0);
	assert_true(cfg->tls.max_version == 1.2);
	assert_true(cfg->tls.renegotiation);
	ca_config_free(cfg);

	cfg = parse_ok("{\"root\":\"r\",\"crt\":\"c\",\"key\":\"k\",\"address\":\"h:1\",\"db\":{},"
		       "\"commonName\":\"\",\"authority\":{\"backdate\":\"0s\"},"
		       "\"tls\":{\"cipherSuites\":[\"TLS_AES_128_GCM_SHA256\"],\"minVersion\":1.3,"
		       "\"maxVersion\":0}}");
	assert_true(cfg->has_db);
	assert_string_equal(cfg->db_type, "");
	assert_string_equal(cfg->db_data_source, "");
	assert_string_equal(cfg->common_name, "Step Online CA");
	assert_true(cfg->backdate_ns == 0);
	assert_int_equal(cfg->tls.cipher_suites.n, 1);
	assert_true(cfg->tls.min_version == 1.3);
	assert_true(cfg->tls.max_version == 1.3);
	ca_config_free(cfg);
}

struct bad_case {
	const char *override; /* merged over a valid minimal document; null removes a field */
	enum err_kind kind;
	const char *msg; /* after "error parsing t.json: " */
};

static const struct bad_case bad_cases[] = {
    {"{\"root\":null}", ERR_INVALID, "root cannot be empty"},
    {"{\"root\":\"\"}", ERR_INVALID, "root cannot be empty"},
    {"{\"root\":[]}", ERR_INVALID, "root cannot be empty"},
    {"{\"root\":[\"a\",\"\"]}", ERR_INVALID, "root cannot be empty"},
    {"{\"root\":5}", ERR_INVALID, "root must be a string or an array of strings"},
    {"{\"root\":[\"a\",5]}", ERR_INVALID, "root[1] must be a string"},
    {"{\"federatedRoots\":\"x\"}", ERR_INVALID, "federatedRoots must be an array of strings"},
    {"{\"crt\":\"\"}", ERR_INVALID, "crt cannot be empty"},
    {"{\"crt\":5}", ERR_INVALID, "crt must be a string"},
    {"{\"key\":null}", ERR_INVALID, "key cannot be empty"},
    {"{\"key\":{}}", ERR_INVALID, "key must be a string"},
    {"{\"password\":true}", ERR_INVALID, "password must be a string"},
    {"{\"address\":null}", ERR_INVALID, "address cannot be empty"},
    {"{\"address\":\"localhost\"}", ERR_INVALID, "invalid address localhost"},
    {"{\"address\":\"localhost:http\"}", ERR_INVALID, "invalid address localhost:http"},
    {"{\"address\":\"::1:443\"}", ERR_INVALID, "invalid address ::1:443"},
    {"{\"address\":\"[::1]443\"}", ERR_INVALID, "invalid address [::1]443"},
    {"{\"address\":\"host:65536\"}", ERR_INVALID, "invalid address host:65536"},
    {"{\"address\":\"host:\"}", ERR_INVALID, "invalid address host:"},
    {"{\"address\":\"host:-1\"}", ERR_INVALID, "invalid address host:-1"},
    {"{\"address\":443}", ERR_INVALID, "address must be a string"},
    {"{\"insecureAddress\":\"x\"}", ERR_INVALID, "invalid address x"},
    {"{\"dnsNames\":[]}", ERR_INVALID, "dnsNames cannot be empty"},
    {"{\"dnsNames\":[\"a\",\"\"]}", ERR_INVALID, "dnsNames[1] cannot be empty"},
    {"{\"dnsNames\":\"a\"}", ERR_INVALID, "dnsNames must be an array of strings"},
    {"{\"commonName\":1}", ERR_INVALID, "commonName must be a string"},
    {"{\"db\":\"x\"}", ERR_INVALID, "db must be an object"},
    {"{\"db\":{\"type\":5}}", ERR_INVALID, "db.type must be a string"},
    {"{\"db\":{\"dataSource\":[]}}", ERR_INVALID, "db.dataSource must be a string"},
    {"{\"logger\":{\"format\":\"xml\"}}", ERR_INVALID,
     "unsupported logger.format 'xml': use text, json or common"},
    {"{\"logger\":[]}", ERR_INVALID, "logger must be an object"},
    {"{\"authority\":[]}", ERR_INVALID, "authority must be an object"},
    {"{\"authority\":{\"provisioners\":{}}}", ERR_INVALID,
     "authority.provisioners must be an array"},
    {"{\"authority\":{\"provisioners\":[{},1]}}", ERR_INVALID,
     "authority.provisioners[1] must be an object"},
    {"{\"authority\":{\"claims\":[]}}", ERR_INVALID, "authority.claims must be an object"},
    {"{\"authority\":{\"template\":\"x\"}}", ERR_INVALID, "authority.template must be an object"},
    {"{\"authority\":{\"backdate\":\"-1m\"}}", ERR_INVALID,
     "authority.backdate cannot be less than 0"},
    {"{\"authority\":{\"backdate\":60}}", ERR_INVALID, "authority.backdate must be a string"},
    {"{\"authority\":{\"disableIssuedAtCheck\":\"yes\"}}", ERR_INVALID,
     "authority.disableIssuedAtCheck must be true or false"},
    {"{\"authority\":{\"type\":\"stepcas\"}}", ERR_NOT_IMPLEMENTED,
     "authority.type 'stepcas' is not supported: stride only signs with its own keys "
     "(softcas)"},
    {"{\"limits\":[]}", ERR_INVALID, "limits must be an object"},
    {"{\"limits\":{\"maxBodyBytes\":\"1MiB\"}}", ERR_INVALID,
     "limits.maxBodyBytes: must be an integer"},
    {"{\"limits\":{\"maxBodyBytes\":4096.0}}", ERR_INVALID,
     "limits.maxBodyBytes: must be an integer"},
    {"{\"limits\":{\"maxBodyBytes\":1023}}", ERR_INVALID,
     "limits.maxBodyBytes: 1023 is out of range: use 1024 to 1073741824"},
    {"{\"limits\":{\"maxBodyBytes\":1073741825}}", ERR_INVALID,
     "limits.maxBodyBytes: 1073741825 is out of range: use 1024 to 1073741824"},
    {"{\"limits\":{\"maxBodyBytes\":1024,\"maxHeaderBytes\":1048576}}", ERR_NONE, NULL},
    {"{\"limits\":{\"maxHeaderBytes\":4095}}", ERR_INVALID,
     "limits.maxHeaderBytes: 4095 is out of range: use 4096 to 1048576"},
    {"{\"limits\":{\"maxHeaderBytes\":-65536}}", ERR_INVALID,
     "limits.maxHeaderBytes: -65536 is out of range: use 4096 to 1048576"},
    {"{\"limits\":{\"maxConnections\":0}}", ERR_INVALID,
     "limits.maxConnections: 0 is out of range: use 1 to 1048576"},
    {"{\"limits\":{\"maxConnections\":true}}", ERR_INVALID,
     "limits.maxConnections: must be an integer"},
    {"{\"limits\":{\"readTimeout\":15}}", ERR_INVALID,
     "limits.readTimeout: must be a duration string such as \"15s\""},
    {"{\"limits\":{\"readTimeout\":\"15\"}}", ERR_INVALID,
     "limits.readTimeout: time: missing unit in duration \"15\""},
    {"{\"limits\":{\"readTimeout\":\"-1s\"}}", ERR_INVALID,
     "limits.readTimeout: -1s is out of range: use 1s to 1h0m0s"},
    {"{\"limits\":{\"writeTimeout\":\"0s\"}}", ERR_INVALID,
     "limits.writeTimeout: 0s is out of range: use 1s to 1h0m0s"},
    {"{\"limits\":{\"idleTimeout\":\"999ms\"}}", ERR_INVALID,
     "limits.idleTimeout: 999ms is out of range: use 1s to 1h0m0s"},
    {"{\"limits\":{\"handshakeTimeout\":\"1h0m1s\"}}", ERR_INVALID,
     "limits.handshakeTimeout: 1h0m1s is out of range: use 1s to 1h0m0s"},
    {"{\"limits\":{\"readTimeout\":\"1s\",\"handshakeTimeout\":\"1h\"}}", ERR_NONE, NULL},
    {"{\"limits\":{\"readtimeout\":\"5s\"}}", ERR_INVALID,
     "limits.readtimeout: unknown limit; use maxBodyBytes, maxHeaderBytes, maxConnections, "
     "readTimeout, writeTimeout, idleTimeout or handshakeTimeout"},
    {"{\"tls\":\"x\"}", ERR_INVALID, "tls must be an object"},
    {"{\"tls\":{\"cipherSuites\":[\"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\",\"TLS_FOO\"]}}",
     ERR_INVALID, "tls.cipherSuites: unsupported cipher suite 'TLS_FOO'"},
    {"{\"tls\":{\"cipherSuites\":\"TLS_AES_128_GCM_SHA256\"}}", ERR_INVALID,
     "tls.cipherSuites must be an array of strings"},
    {"{\"tls\":{\"minVersion\":\"1.2\"}}", ERR_INVALID, "tls.minVersion must be a number"},
    {"{\"tls\":{\"minVersion\":1.4}}", ERR_INVALID,
     "tls.minVersion 1.4 is not a valid tls version; use 1.0, 1.1, 1.2 or 1.3"},
    {"{\"tls\":{\"maxVersion\":1.25}}", ERR_INVALID,
     "tls.maxVersion 1.25 is not a valid tls version; use 1.0, 1.1, 1.2 or 1.3"},
    {"{\"tls\":{\"maxVersion\":-1}}", ERR_INVALID,
     "tls.maxVersion -1 is not a valid tls version; use 1.0, 1.1, 1.2 or 1.3"},
    {"{\"tls\":{\"minVersion\":1.3,\"maxVersion\":1.2}}", ERR_INVALID,
     "tls minVersion cannot exceed tls maxVersion"},
    {"{\"tls\":{\"minVersion\":1.3}, \"unused\":0}", ERR_NONE, NULL}, /* 1.3 <= default max */
    {"{\"tls\":{\"renegotiation\":1}}", ERR_INVALID, "tls.renegotiation must be true or false"},
};

static void test_validation_errors(void **state)
{
	const char *base = "{\"root\":\"/r.crt\",\"crt\":\"/i.crt\",\"key\":\"/i.key\","
			   "\"address\":\":443\",\"authority\":{\"provisioners\":[]}}";
	(void)state;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		json_t *doc = json_loads(base, 0, NULL),
		       *over = json_loads(bad_cases[i].override, 0, NULL);
		struct ca_config *cfg = (struct ca_config *)1;
		struct error err = {0};
		char *text, want[ERR_MSG_MAX];
		int rc;

		assert_non_null(over);
		json_object_update(doc, over);
		text = json_dumps(doc, 0);
		rc = ca_config_parse(text, strlen(text), "t.json", &cfg, &err);
		if (bad_cases[i].msg == NULL) {
			assert_int_equal(rc, 0);
			ca_config_free(cfg);
		} else {
			snprintf(want, sizeof(want), "error parsing t.json: %s", bad_cases[i].msg);
			if (rc != -1 || strcmp(err.msg, want) != 0)
				fail_msg("case %zu %s: rc %d, got '%s', want '%s'", i,
					 bad_cases[i].override, rc, err.msg, want);
			assert_null(cfg);
			assert_int_equal(err.kind, bad_cases[i].kind);
		}
		free(text);
		json_decref(doc);
		json_decref(over);
	}
}

static void test_parse_errors(void **state)
{
	struct ca_config *cfg = NULL;
	struct error err = {0};
	char *big;
	const char *bad_duration = "{\"root\":\"r\",\"crt\":\"c\",\"key\":\"k\",\"address\":\":1\","
				   "\"authority\":{\"backdate\":\"1d\"}}";
	(void)state;

	assert_int_equal(ca_config_load(DATA("ca_broken.json"), &cfg, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(
	    err.msg, "error parsing " DATA("ca_broken.json") ": ']' expected near "
							     "end of file at line 10 column 0");
	assert_int_equal(ca_config_parse("{\n \"root\": }", 12, "t.json", &cfg, &err), -1);
	assert_string_equal(err.msg,
			    "error parsing t.json: unexpected token near '}' at line 2 column 10");
	assert_int_equal(ca_config_parse("[1]", 3, "t.json", &cfg, &err), -1);
	assert_string_equal(err.msg, "error parsing t.json: the document must be a JSON object");
	assert_int_equal(ca_config_parse("{}", 2, "t.json", &cfg, &err), -1);
	assert_string_equal(err.msg, "error parsing t.json: address cannot be empty");
	assert_int_equal(ca_config_parse(bad_duration, strlen(bad_duration), "t.json", &cfg, &err),
			 -1);
	assert_true(str_has_prefix(err.msg, "error parsing t.json: authority.backdate: "));
	assert_non_null(strstr(err.msg, "1d"));

	big = xcalloc(1, CA_CONFIG_MAX_SIZE + 2);
	memset(big, ' ', CA_CONFIG_MAX_SIZE + 1);
	assert_int_equal(ca_config_parse(big, CA_CONFIG_MAX_SIZE + 1, "t.json", &cfg, &err), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	free(big);

	assert_int_equal(ca_config_load("/nonexistent/ca.json", &cfg, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_null(cfg);
}

static void test_limits(void **state)
{
	struct ca_config *cfg = NULL;
	struct error err = {0};
	struct ca_limits def;
	(void)state;

	ca_limits_default(&def);
	assert_true(def.max_body_bytes == 1048576);
	assert_true(def.max_header_bytes == 65536);
	assert_true(def.max_connections == 4096);
	assert_true(def.read_timeout_ns == 15 * NS_PER_SEC);
	assert_true(def.write_timeout_ns == 15 * NS_PER_SEC);
	assert_true(def.idle_timeout_ns == 15 * NS_PER_SEC);
	assert_true(def.handshake_timeout_ns == 10 * NS_PER_SEC);

	/* No "limits": the defaults. */
	assert_int_equal(ca_config_load(DATA("ca_minimal.json"), &cfg, &err), 0);
	assert_memory_equal(&cfg->limits, &def, sizeof(def));
	ca_config_free(cfg);

	/* Every member set. */
	assert_int_equal(ca_config_load(DATA("ca_limits.json"), &cfg, &err), 0);
	assert_true(cfg->limits.max_body_bytes == 4096);
	assert_true(cfg->limits.max_header_bytes == 8192);
	assert_true(cfg->limits.max_connections == 3);
	assert_true(cfg->limits.read_timeout_ns == 2 * NS_PER_SEC);
	assert_true(cfg->limits.write_timeout_ns == 1500 * NS_PER_MS);
	assert_true(cfg->limits.idle_timeout_ns == 2 * NS_PER_MIN);
	assert_true(cfg->limits.handshake_timeout_ns == NS_PER_HOUR);
	ca_config_free(cfg);

	/* Some members set, one null: the others keep their defaults. */
	cfg = parse_ok("{\"root\":\"r\",\"crt\":\"c\",\"key\":\"k\",\"address\":\":1\","
		       "\"limits\":{\"readTimeout\":\"1m30s\",\"maxConnections\":null}}");
	assert_true(cfg->limits.read_timeout_ns == 90 * NS_PER_SEC);
	def.read_timeout_ns = 90 * NS_PER_SEC;
	assert_memory_equal(&cfg->limits, &def, sizeof(def));
	ca_config_free(cfg);

	/* An empty object and a null "limits" are the defaults too. */
	cfg = parse_ok(
	    "{\"root\":\"r\",\"crt\":\"c\",\"key\":\"k\",\"address\":\":1\",\"limits\":{}}");
	assert_true(cfg->limits.idle_timeout_ns == 15 * NS_PER_SEC);
	ca_config_free(cfg);
	cfg = parse_ok(
	    "{\"root\":\"r\",\"crt\":\"c\",\"key\":\"k\",\"address\":\":1\",\"limits\":null}");
	assert_true(cfg->limits.max_body_bytes == 1048576);
	ca_config_free(cfg);

	/* The message names the file and the field. */
	assert_int_equal(ca_config_load(DATA("ca_limits_bad.json"), &cfg, &err), -1);
	assert_null(cfg);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(
	    err.msg,
	    "error parsing " DATA("ca_limits_bad.json") ": limits.idleTimeout: "
							"time: unknown unit \"d\" in duration "
							"\"1d\"");
}

static void test_host_port(void **state)
{
	(void)state;
	assert_true(config_valid_host_port(":443"));
	assert_true(config_valid_host_port("0.0.0.0:9000"));
	assert_true(config_valid_host_port("ca.example.com:65535"));
	assert_true(config_valid_host_port("[::]:1"));
	assert_false(config_valid_host_port(""));
	assert_false(config_valid_host_port("[::1]"));
	assert_false(config_valid_host_port("[::1:443"));
	assert_false(config_valid_host_port("a:123456"));
	assert_false(config_valid_host_port("a:1 "));
	assert_false(config_valid_host_port(NULL));
	assert_true(tls_cipher_suite_known("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"));
	assert_false(tls_cipher_suite_known("ECDHE-RSA-AES128-GCM-SHA256"));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup_dir(void **state)
{
	char tmpl[] = "/tmp/stride-test-config-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return -1;
	*state = xstrdup(tmpl);
	return 0;
}

static int teardown_dir(void **state)
{
	nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	unsetenv("STRIDEPATH");
	return 0;
}

/* The writer reproduces step's tab-indented file byte for byte and reads back equal. */
static void test_write_tabs(void **state)
{
	char *want = read_text(DATA("ca_full.json")), *out = NULL, *path, *back;
	struct ca_config *cfg = NULL, *cfg2 = NULL;
	struct error err = {0};
	struct stat st;
	size_t len = 0;

	assert_int_equal(ca_config_load(DATA("ca_full.json"), &cfg, &err), 0);
	assert_int_equal(config_json_format(cfg->doc, 1, &out, &len, &err), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));

	path = path_join(*state, "config/ca.json");
	assert_int_equal(file_mkdir_p(*state, 0700, &err), 0);
	write_text(path, "old");
	assert_int_equal(config_write_json(path, cfg->doc, 1, 0644, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	back = read_text(path);
	assert_string_equal(back, want);
	assert_int_equal(ca_config_load(path, &cfg2, &err), 0);
	assert_true(json_equal(cfg->doc, cfg2->doc));
	ca_config_free(cfg);
	ca_config_free(cfg2);
	free(back);
	free(path);
	free(out);
	free(want);
}

static void test_write_spaces_and_escapes(void **state)
{
	json_t *doc = json_loads(
	    "{\"z\":\"<x>&\\n\\t\\\"\\\\\\u0001\\u2028\\u00e9/\",\"a\":[],\"m\":{},\"r\":1.5,"
	    "\"two\":2.0,\"tls\":1.2,\"i\":-3,\"n\":null,\"nest\":[1,{\"x\":true,\"y\":false}]}",
	    0, NULL);
	char *out = NULL, *path;
	size_t len = 0;
	struct error err = {0};
	json_t *back;
	(void)state;

	assert_non_null(doc);
	assert_int_equal(config_json_format(doc, 0, &out, &len, &err), 0);
	assert_string_equal(
	    out, "{\n"
		 "  \"z\": \"\\u003cx\\u003e\\u0026\\n\\t\\\"\\\\\\u0001\\u2028\xc3\xa9/\",\n"
		 "  \"a\": [],\n"
		 "  \"m\": {},\n"
		 "  \"r\": 1.5,\n"
		 "  \"two\": 2.0,\n"
		 "  \"tls\": 1.2,\n"
		 "  \"i\": -3,\n"
		 "  \"n\": null,\n"
		 "  \"nest\": [\n"
		 "    1,\n"
		 "    {\n"
		 "      \"x\": true,\n"
		 "      \"y\": false\n"
		 "    }\n"
		 "  ]\n"
		 "}\n");
	back = json_loads(out, 0, NULL);
	assert_true(json_equal(doc, back));
	json_decref(back);
	free(out);

	assert_int_equal(config_json_format(doc, -4, &out, &len, &err), 0);
	assert_true(str_has_prefix(out, "{\n    \"z\": "));
	assert_non_null(strstr(out, "\n        1,\n"));
	free(out);

	path = path_join(*state, "defaults.json");
	assert_int_equal(config_write_json(path, json_object_get(doc, "a"), 0, 0600, &err), 0);
	out = read_text(path);
	assert_string_equal(out, "[]\n");
	free(out);
	free(path);
	json_decref(doc);
}

static void use_stridepath(const char *dir)
{
	assert_int_equal(setenv("STRIDEPATH", dir, 1), 0);
}

static char *joined(const char *a, const char *b)
{
	return path_join(a, b);
}

static void write_under(const char *base, const char *rel, const char *text)
{
	char *p = joined(base, rel);
	write_text(p, text);
	free(p);
}

static const char *str_of(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_defaults_without_contexts(void **state)
{
	const char *base = *state;
	char *path = NULL;
	json_t *d = NULL;
	struct error err = {0};

	use_stridepath(base);
	assert_int_equal(defaults_load(NULL, &d, &err), 0); /* no file at all */
	assert_true(json_is_object(d));
	assert_int_equal(json_object_size(d), 0);
	json_decref(d);

	write_under(base, "config/defaults.json",
		    "{\"ca-url\":\"https://ca:9443\",\"root\":\"/r.crt\",\"context\":\"x\","
		    "\"authority\":\"y\"}");
	assert_int_equal(defaults_load(NULL, &d, &err), 0);
	assert_int_equal(json_object_size(d), 2);
	assert_string_equal(str_of(d, "ca-url"), "https://ca:9443");
	assert_string_equal(str_of(d, "root"), "/r.crt");
	assert_null(json_object_get(d, "context"));
	json_decref(d);

	assert_int_equal(stride_effective_path(NULL, &path, &err), 0);
	assert_string_equal(path, base);
	free(path);

	/* --context with no contexts defined */
	assert_int_equal(stride_effective_path("nope", &path, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_string_equal(err.msg, "context 'nope' not found");
	assert_null(path);

	write_under(base, "config/defaults.json", "{\"ca-url\": ");
	assert_int_equal(defaults_load(NULL, &d, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	path = xasprintf("error parsing %s/config/defaults.json: ", base);
	assert_true(str_has_prefix(err.msg, path));
	assert_non_null(strstr(err.msg, " at line 1 column "));
	free(path);
	assert_null(d);

	write_under(base, "config/defaults.json", "[]");
	assert_int_equal(defaults_load(NULL, &d, &err), -1);
	path = xasprintf(
	    "error parsing %s/config/defaults.json: the document must be a JSON object", base);
	assert_string_equal(err.msg, path);
	free(path);

	write_under(base, "config/defaults.json", "\n");
	assert_int_equal(defaults_load(NULL, &d, &err), 0);
	assert_int_equal(json_object_size(d), 0);
	json_decref(d);
}

static void test_base_path(void **state)
{
	char *p, *home = getenv("HOME") != NULL ? xstrdup(getenv("HOME")) : NULL;
	(void)state;

	use_stridepath("/srv/stride//");
	p = stride_base_path();
	assert_string_equal(p, "/srv/stride");
	free(p);
	unsetenv("STRIDEPATH");
	setenv("HOME", "/home/tester", 1);
	p = stride_base_path();
	assert_string_equal(p, "/home/tester/.stride");
	free(p);
	use_stridepath("");
	p = stride_base_path();
	assert_string_equal(p, "/home/tester/.stride");
	free(p);
	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
}

static void test_contexts(void **state)
{
	const char *base = *state;
	char *path = NULL, *want, *name, *auth, *prof;
	json_t *d = NULL;
	struct error err = {0};

	use_stridepath(base);
	write_under(base, "contexts.json",
		    "{\"a\":{\"authority\":\"ca-a\",\"profile\":\"prof-a\"},"
		    "\"b\":{\"authority\":\"ca-b\",\"profile\":\"prof-b\"}}");
	write_under(base, "current-context.json", "{\"context\":\"a\"}");
	write_under(base, "config/defaults.json", "{\"ca-url\":\"https://base\"}");
	write_under(base, "authorities/ca-a/config/defaults.json",
		    "{\"ca-url\":\"https://a\",\"root\":\"/a/root.crt\",\"fingerprint\":\"aa\"}");
	write_under(base, "profiles/prof-a/config/defaults.json",
		    "{\"root\":\"/profile/root.crt\",\"profile\":\"p\",\"provisioner\":\"me\"}");
	write_under(base, "authorities/ca-b/config/defaults.json", "{\"ca-url\":\"https://b\"}");

	/* The current context */
	assert_int_equal(stride_effective_path(NULL, &path, &err), 0);
	want = xasprintf("%s/authorities/ca-a", base);
	assert_string_equal(path, want);
	free(want);
	free(path);
	assert_int_equal(defaults_load(NULL, &d, &err), 0);
	assert_int_equal(json_object_size(d), 4);
	assert_string_equal(str_of(d, "ca-url"), "https://a");
	assert_string_equal(str_of(d, "root"), "/profile/root.crt"); /* profile wins */
	assert_string_equal(str_of(d, "fingerprint"), "aa");
	assert_string_equal(str_of(d, "provisioner"), "me");
	assert_null(json_object_get(d, "profile"));
	json_decref(d);

	/* --context b (its profile has no defaults file) */
	assert_int_equal(stride_effective_path("b", &path, &err), 0);
	want = xasprintf("%s/authorities/ca-b", base);
	assert_string_equal(path, want);
	free(want);
	free(path);
	assert_int_equal(defaults_load("b", &d, &err), 0);
	assert_int_equal(json_object_size(d), 1);
	assert_string_equal(str_of(d, "ca-url"), "https://b");
	json_decref(d);
	assert_int_equal(stride_context_resolve("b", &name, &auth, &prof, &err), 0);
	assert_string_equal(name, "b");
	assert_string_equal(auth, "ca-b");
	assert_string_equal(prof, "prof-b");
	free(name);
	free(auth);
	free(prof);

	/* Unknown context */
	assert_int_equal(stride_effective_path("zzz", &path, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_string_equal(err.msg, "context 'zzz' not found");
	assert_int_equal(defaults_load("zzz", &d, &err), -1);
	assert_null(d);

	/* Current context names a context that is gone */
	write_under(base, "current-context.json", "{\"context\":\"gone\"}");
	assert_int_equal(stride_effective_path(NULL, &path, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_true(str_has_prefix(err.msg, "context 'gone' not found"));

	/* No current context and two contexts: the caller must choose */
	write_under(base, "current-context.json", "{}");
	assert_int_equal(stride_effective_path(NULL, &path, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "no current context: select one with --context <name>");

	/* ... one context: it is used */
	write_under(base, "contexts.json", "{\"only\":{\"authority\":\"ca-o\",\"profile\":\"p\"}}");
	assert_int_equal(stride_effective_path(NULL, &path, &err), 0);
	want = xasprintf("%s/authorities/ca-o", base);
	assert_string_equal(path, want);
	free(want);
	free(path);

	/* Broken contexts */
	write_under(base, "contexts.json", "{\"x\":{\"authority\":\"\",\"profile\":\"p\"}}");
	assert_int_equal(stride_effective_path("x", &path, &err), -1);
	assert_string_equal(err.msg, "context cannot have an empty authority value; check your "
				     "$STRIDEPATH/contexts.json file");
	write_under(base, "contexts.json", "{\"x\":{\"authority\":\"a\"}}");
	assert_int_equal(stride_effective_path("x", &path, &err), -1);
	assert_string_equal(err.msg, "context cannot have an empty profile value; check your "
				     "$STRIDEPATH/contexts.json file");
	write_under(base, "contexts.json", "{\"x\":{\"authority\":\"../etc\",\"profile\":\"p\"}}");
	assert_int_equal(stride_effective_path("x", &path, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "context 'x' has an invalid authority value; check your "
				     "$STRIDEPATH/contexts.json file");
	write_under(base, "contexts.json", "{\"x\":");
	assert_int_equal(stride_effective_path("x", &path, &err), -1);
	want = xasprintf("error parsing %s/contexts.json: ", base);
	assert_true(str_has_prefix(err.msg, want));
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_step_config),
	    cmocka_unit_test(test_real_step_file),
	    cmocka_unit_test(test_defaults_applied),
	    cmocka_unit_test(test_optional_fields),
	    cmocka_unit_test(test_validation_errors),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_host_port),
	    cmocka_unit_test_setup_teardown(test_write_tabs, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(test_write_spaces_and_escapes, setup_dir, teardown_dir),
	    cmocka_unit_test(test_base_path),
	    cmocka_unit_test_setup_teardown(test_defaults_without_contexts, setup_dir,
					    teardown_dir),
	    cmocka_unit_test_setup_teardown(test_contexts, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
