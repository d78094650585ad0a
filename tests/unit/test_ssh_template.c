/* test_ssh_template.c - SSH certificate templates (ssh.md §3): the JSON description decoded as
 * step-ca's decoder does, options.ssh refused at load, step-ca's default templates giving the
 * same certificate bytes as the direct path, and custom templates through POST /ssh/sign.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/b64.h"
#include "base/buf.h"
#include "base/str.h"
#include "crypto/key.h"
#include "sshca/internal.h"
#include "sshca_fixture.h"
#include "template/template.h"
#include "../fuzz/ca_fixture_data.h"

#define TEMPLATE_ERROR "error applying certificate template"

/* The data field of option name in v (n of them), or NULL. */
static const struct ssh_option *opt(const struct ssh_option *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static int desc(const char *text, struct ssh_cert *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	err_clear(err);
	return sshca_desc_apply(text, strlen(text), c, err);
}

static void test_desc_fields(void **state)
{
	struct ssh_cert c;
	struct error err;
	const struct ssh_option *o;
	(void)state;

	assert_int_equal(
	    desc("{\"type\":\"user\",\"keyId\":\"alice@example.com\",\"principals\":[\"alice\","
		 "\"root\"],\"extensions\":{\"permit-pty\":\"\",\"permit-agent-forwarding\":null},"
		 "\"criticalOptions\":{\"force-command\":\"/bin/true\",\"source-address\":"
		 "\"10.0.0.0/8\"},\"serial\":42,\"nonce\":\"bm9uY2U=\",\"validAfter\":"
		 "\"2030-01-02T03:04:05Z\",\"validBefore\":\"2030-01-02T04:04:05+01:00\","
		 "\"reserved\":\"AQI=\",\"unknown\":[1,2]}",
		 &c, &err),
	    0);
	assert_int_equal(c.type, SSH_CERT_USER);
	assert_string_equal(c.key_id, "alice@example.com");
	assert_int_equal(c.principals.n, 2);
	assert_string_equal(c.principals.v[1], "root");
	assert_int_equal(c.n_extensions, 2);
	o = opt(c.extensions, c.n_extensions, "permit-agent-forwarding");
	assert_non_null(o);
	assert_int_equal(o->data_len, 0); /* null and "" are an empty data field */
	assert_int_equal(c.n_critical, 2);
	o = opt(c.critical, c.n_critical, "force-command");
	assert_int_equal(o->data_len, 4 + 9); /* an SSH string */
	assert_memory_equal(o->data, "\0\0\0\x09/bin/true", 13);
	assert_int_equal(c.serial, 42);
	assert_int_equal(c.nonce_len, 5);
	assert_memory_equal(c.nonce, "nonce", 5);
	assert_int_equal(c.valid_after, 1893553445);
	assert_int_equal(c.valid_before, 1893553445); /* the same instant, other offset */
	assert_int_equal(c.reserved_len, 2);
	ssh_cert_clear(&c);

	/* Go matches names case-insensitively (Kelvin sign = k); the last one wins; what follows
	 * the first value is not read; host in capitals */
	assert_int_equal(desc("{\"TYPE\":\"HOST\",\"\xe2\x84\xaa"
			      "eyid\":\"a\",\"KeyId\":\"b\","
			      "\"Principals\":[\"x\",null]} trailing {",
			      &c, &err),
			 0);
	assert_int_equal(c.type, SSH_CERT_HOST);
	assert_string_equal(c.key_id, "b");
	assert_int_equal(c.principals.n, 2);
	assert_string_equal(c.principals.v[1], "");
	ssh_cert_clear(&c);

	/* a second map adds to the first, null clears it; null leaves a string; the zero time */
	assert_int_equal(
	    desc("{\"extensions\":{\"a\":\"\"},\"Extensions\":{\"b\":\"x\",\"a\":\"y\"},"
		 "\"criticalOptions\":{\"c\":\"\"},\"criticaloptions\":null,"
		 "\"keyId\":\"k\",\"keyid\":null,\"validAfter\":"
		 "\"0001-01-01T00:00:00Z\",\"type\":\"user\"}",
		 &c, &err),
	    0);
	assert_int_equal(c.n_extensions, 2);
	assert_int_equal(opt(c.extensions, c.n_extensions, "a")->data_len, 5);
	assert_int_equal(c.n_critical, 0);
	assert_string_equal(c.key_id, "k");
	assert_int_equal(c.valid_after, 0);
	ssh_cert_clear(&c);

	/* null as the whole description: nothing set (the type check comes later, a 403) */
	assert_int_equal(desc("null", &c, &err), 0);
	assert_int_equal(c.type, 0);
	ssh_cert_clear(&c);
}

static void test_desc_errors(void **state)
{
	static const char *const bad[] = {
	    "",
	    "   ",
	    "{\"type\":\"user\",",
	    "[]",
	    "\"user\"",
	    "{\"type\":null}",
	    "{\"type\":\"admin\"}",
	    "{\"type\":1}",
	    "{\"keyId\":5}",
	    "{\"principals\":\"alice\"}",
	    "{\"principals\":[1]}",
	    "{\"extensions\":[]}",
	    "{\"extensions\":{\"a\":1}}",
	    "{\"criticalOptions\":\"force-command\"}",
	    "{\"serial\":-1}",
	    "{\"serial\":1.5}",
	    "{\"serial\":\"42\"}",
	    "{\"validAfter\":\"tomorrow\"}",
	    "{\"validBefore\":1893553445}",
	    "{\"validAfter\":\"1960-01-01T00:00:00Z\"}",
	    "{\"nonce\":\"***\"}",
	    "{\"reserved\":5}",
	};
	struct ssh_cert c;
	struct error err;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (desc(bad[i], &c, &err) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(err.kind, ERR_INTERNAL);
		assert_true(err.expose);
		assert_string_equal(err.msg, TEMPLATE_ERROR);
		ssh_cert_clear(&c);
	}
}

/* The list the provisioners of load_one borrow their configuration from. */
static json_t *loaded;

/* provisioners_load over a one-provisioner list with options.ssh = ssh (JSON); returns its
 * result, the message in err. */
static int load_one(const char *ssh, struct provisioners *ps, struct error *err)
{
	char *text = xasprintf("[{\"type\":\"JWK\",\"name\":\"tpl\",\"key\":%s,"
			       "\"options\":{\"ssh\":%s}}]",
			       FX_PROV_JWK, ssh);
	int rc;

	json_decref(loaded);
	loaded = json_loads(text, 0, NULL);
	assert_non_null(loaded);
	err_clear(err);
	rc = provisioners_load(loaded, NULL, ps, err);
	free(text);
	return rc;
}

static void test_load(void **state)
{
	struct provisioners ps;
	struct error err;
	(void)state;

	/* no template, no data: nothing compiled, step-ca's default path */
	assert_int_equal(load_one("{}", &ps, &err), 0);
	assert_null(ps.v[0].ssh_template);
	provisioners_free(&ps);
	assert_int_equal(load_one("{\"templateData\":{}}", &ps, &err), 0);
	assert_null(ps.v[0].ssh_template);
	provisioners_free(&ps);
	/* data only: kept, and known to replace a default template's variable or not */
	assert_int_equal(load_one("{\"templateData\":{\"team\":\"ops\"}}", &ps, &err), 0);
	assert_non_null(ps.v[0].ssh_template);
	assert_null(ps.v[0].ssh_template->tpl);
	assert_false(ps.v[0].ssh_template->data_overrides);
	provisioners_free(&ps);
	assert_int_equal(load_one("{\"templateData\":{\"Principals\":[\"ops\"]}}", &ps, &err), 0);
	assert_true(ps.v[0].ssh_template->data_overrides);
	provisioners_free(&ps);

	/* refused at load, naming the provisioner */
	assert_int_equal(load_one("{\"template\":\"%%%not base64\"}", &ps, &err), -1);
	assert_string_equal(err.msg, "failed to initialize JWK provisioner \"tpl\": error "
				     "decoding ssh template");
	assert_int_equal(load_one("{\"templateData\":[1]}", &ps, &err), -1);
	assert_string_equal(err.msg, "failed to initialize JWK provisioner \"tpl\": error "
				     "unmarshaling ssh template data");
	assert_int_equal(load_one("{\"templateFile\":\"/nonexistent/ssh.tpl\"}", &ps, &err), -1);
	assert_true(str_has_prefix(err.msg, "failed to initialize JWK provisioner \"tpl\": error "
					    "reading /nonexistent/ssh.tpl"));
	assert_int_equal(load_one("[]", &ps, &err), -1);
	assert_string_equal(err.msg, "failed to initialize JWK provisioner \"tpl\": options.ssh "
				     "must be an object");
	json_decref(loaded);
	loaded = NULL;
}

/* The certificate today's builder made for a JWK token (the fields step-ca's default template
 * renders): type, key id, principals, the default user extensions. */
static void expected_default(enum ssh_cert_type type, const char *key_id, const char *p1,
			     const char *p2, const struct ssh_pubkey *key, struct ssh_cert *c)
{
	memset(c, 0, sizeof(*c));
	ssh_pubkey_copy(&c->key, key);
	c->type = type;
	c->key_id = xstrdup(key_id);
	strv_push(&c->principals, p1);
	if (p2 != NULL)
		strv_push(&c->principals, p2);
	if (type == SSH_CERT_USER)
		ssh_cert_default_user_extensions(c);
}

/* Fixed nonce, serial and validity, then signed by an Ed25519 CA (deterministic signatures):
 * equal fields give equal bytes. */
static void sign_fixed(struct ssh_cert *c, EVP_PKEY *ca)
{
	c->nonce = (uint8_t *)xstrdup("0123456789abcdef0123456789abcdef");
	c->nonce_len = 32;
	c->serial = 1234567890123ULL;
	c->valid_after = 1893553445;
	c->valid_before = 1893553445 + 16 * 3600;
	assert_int_equal(ssh_cert_sign(c, ca, NULL), 0);
}

static EVP_PKEY *ed25519(void)
{
	struct key_spec spec;
	EVP_PKEY *k = NULL;

	assert_int_equal(key_spec_parse("OKP", "Ed25519", NULL, &spec, NULL), 0);
	assert_int_equal(key_generate(&spec, &k, NULL), 0);
	return k;
}

/* The direct path of the default templates (no options.ssh) against today's builder. */
static void test_default_direct(void **state)
{
	EVP_PKEY *ca = ed25519(), *subject = shx_p256();
	struct ssh_pubkey key = {0};
	struct strv principals = {0}, cr_principals = {0};
	struct ssh_cert want, got;
	struct error err = {0};
	struct sshca_tpl_input in = {.kind = SSHCA_TPL_DEFAULT,
				     .type = SSH_CERT_USER,
				     .key_id = "alice@example.com",
				     .principals = &principals,
				     .key = &key,
				     .cr_type = "",
				     .cr_key_id = ""};
	(void)state;

	assert_int_equal(ssh_pubkey_from_evp(subject, &key, NULL), 0);
	strv_push(&principals, "alice");
	strv_push(&principals, "root");
	for (int type = SSH_CERT_USER; type <= SSH_CERT_HOST; type++) {
		in.type = (enum ssh_cert_type)type;
		expected_default(in.type, "alice@example.com", "alice", "root", &key, &want);
		memset(&got, 0, sizeof(got));
		assert_int_equal(sshca_cert_from_template(NULL, &in, &got, &err), 0);
		sign_fixed(&want, ca);
		sign_fixed(&got, ca);
		assert_int_equal(got.blob_len, want.blob_len);
		assert_memory_equal(got.blob, want.blob, want.blob_len);
		ssh_cert_clear(&want);
		ssh_cert_clear(&got);
	}
	/* the request templates (K8sSA, OIDC admins): the request's type, key id, principals */
	strv_push(&cr_principals, "web1.example.com");
	in.cr_principals = &cr_principals;
	in.cr_key_id = "web1";
	for (int kind = SSHCA_TPL_ADMIN; kind <= SSHCA_TPL_CR; kind++) {
		in.kind = (enum sshca_tpl_kind)kind;
		in.cr_type = kind == SSHCA_TPL_ADMIN ? "host" : "user";
		expected_default(kind == SSHCA_TPL_ADMIN ? SSH_CERT_HOST : SSH_CERT_USER, "web1",
				 "web1.example.com", NULL, &key, &want);
		memset(&got, 0, sizeof(got));
		assert_int_equal(sshca_cert_from_template(NULL, &in, &got, &err), 0);
		sign_fixed(&want, ca);
		sign_fixed(&got, ca);
		assert_memory_equal(got.blob, want.blob, want.blob_len);
		ssh_cert_clear(&want);
		ssh_cert_clear(&got);
	}
	strv_free(&principals);
	strv_free(&cr_principals);
	ssh_pubkey_clear(&key);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(subject);
}

/* step-ca's default templates evaluated by the template engine give the bytes of the direct
 * path, for every kind and type. */
static void test_default_templates(void **state)
{
	EVP_PKEY *ca = ed25519(), *subject = shx_p256();
	struct ssh_pubkey key = {0};
	struct strv principals = {0}, cr_principals = {0};
	json_t *claims = json_pack("{s:s, s:i}", "sub", "alice@example.com", "iat", 1764000000);
	struct sshca_tpl_input in = {.principals = &principals,
				     .key_id = "alice@example.com",
				     .token = claims,
				     .key = &key,
				     .cr_key_id = "web1",
				     .cr_principals = &cr_principals};
	(void)state;

	assert_int_equal(ssh_pubkey_from_evp(subject, &key, NULL), 0);
	strv_push(&principals, "alice");
	strv_push(&principals, "root");
	strv_push(&cr_principals, "web1.example.com");
	for (int kind = SSHCA_TPL_DEFAULT; kind <= SSHCA_TPL_CR; kind++) {
		const char *text = sshca_default_template_text((enum sshca_tpl_kind)kind);
		struct tpl *t = NULL;
		struct error err = {0};

		if (tpl_parse("template", text, strlen(text), &t, &err) != 0)
			fail_msg("default template %d: %s", kind, err.msg);
		for (int type = SSH_CERT_USER; type <= SSH_CERT_HOST; type++) {
			struct ssh_cert direct = {0}, tpl = {0};
			struct buf out;
			json_t *data;

			in.kind = (enum sshca_tpl_kind)kind;
			in.type = (enum ssh_cert_type)type;
			in.cr_type = type == SSH_CERT_USER ? "user" : "host";
			assert_int_equal(sshca_cert_from_template(NULL, &in, &direct, &err), 0);
			data = sshca_template_data(NULL, &in);
			buf_init(&out, 1 << 20);
			if (tpl_execute(t, data, &out, &err) != 0)
				fail_msg("default template %d: %s", kind, err.msg);
			if (sshca_desc_apply((const char *)out.data, out.len, &tpl, &err) != 0)
				fail_msg("default template %d rendered %s", kind, (char *)out.data);
			ssh_pubkey_copy(&tpl.key, &key);
			sign_fixed(&direct, ca);
			sign_fixed(&tpl, ca);
			if (direct.blob_len != tpl.blob_len ||
			    memcmp(direct.blob, tpl.blob, tpl.blob_len) != 0)
				fail_msg("default template %d, type %d differs: %s", kind, type,
					 (char *)out.data);
			buf_free(&out);
			json_decref(data);
			ssh_cert_clear(&direct);
			ssh_cert_clear(&tpl);
		}
		tpl_free(t);
	}
	json_decref(claims);
	strv_free(&principals);
	strv_free(&cr_principals);
	ssh_pubkey_clear(&key);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(subject);
}

/* templateData replacing a default template's variable changes the certificate; a template
 * that does not parse refuses the configuration. */
static void test_data_and_syntax(void **state)
{
	struct provisioners ps;
	struct error err;
	EVP_PKEY *subject = shx_p256();
	struct ssh_pubkey key = {0};
	struct strv principals = {0};
	struct ssh_cert c = {0};
	struct sshca_tpl_input in = {.kind = SSHCA_TPL_DEFAULT,
				     .type = SSH_CERT_USER,
				     .key_id = "alice",
				     .principals = &principals,
				     .key = &key,
				     .cr_type = "",
				     .cr_key_id = ""};
	(void)state;

	assert_int_equal(ssh_pubkey_from_evp(subject, &key, NULL), 0);
	strv_push(&principals, "alice");
	assert_int_equal(load_one("{\"templateData\":{\"Principals\":[\"ops\",\"deploy\"],"
				  "\"CriticalOptions\":{\"force-command\":\"id\"}}}",
				  &ps, &err),
			 0);
	assert_int_equal(sshca_cert_from_template(ps.v[0].ssh_template, &in, &c, &err), 0);
	assert_int_equal(c.principals.n, 2);
	assert_string_equal(c.principals.v[0], "ops");
	assert_int_equal(c.n_critical, 1);
	assert_int_equal(c.n_extensions, 5);
	ssh_cert_clear(&c);
	provisioners_free(&ps);

	assert_int_equal(load_one("{\"template\":\"{ {{ if }} }\"}", &ps, &err), -1);
	assert_true(str_has_prefix(err.msg, "failed to initialize JWK provisioner \"tpl\": error "
					    "parsing ssh template: template: template:1: "));
	/* the base64 form and the file form parse too */
	assert_int_equal(load_one("{\"template\":\"e3sgaWYgfX0=\"}", &ps, &err), -1); /* {{ if }} */
	assert_true(str_has_prefix(err.msg, "failed to initialize JWK provisioner \"tpl\": error "
					    "parsing ssh template: "));
	json_decref(loaded);
	loaded = NULL;
	strv_free(&principals);
	ssh_pubkey_clear(&key);
	EVP_PKEY_free(subject);
}

/* Custom templates through POST /ssh/sign: variables from the token, the request and the
 * provisioner's data; `fail`; output that is not JSON; output without a type. */
static void test_custom_sign(void **state)
{
	static const char user_tpl[] =
	    "{{- with .Insecure.User }}{{ if .hold }}{{ fail \"on hold\" }}{{ end }}{{ end -}}"
	    "{\"type\": {{ toJson .Type }}, \"keyId\": {{ toJson (printf \"%s/%s/%s\" .Token.sub "
	    ".Insecure.CR.KeyID .team) }}, \"principals\": {{ toJson .Principals }}, "
	    "\"extensions\": {\"permit-pty\": \"\"}, \"criticalOptions\": {\"force-command\": "
	    "{{ toJson .Insecure.User.cmd }}}}";
	char *extra, *tpl_json;
	char *b;
	struct shx *x;
	struct shx_resp r;
	struct ssh_cert c = {0};
	json_t *doc;
	char *cmd;
	(void)state;

	doc = json_string(user_tpl);
	tpl_json = json_dumps(doc, JSON_ENCODE_ANY);
	json_decref(doc);
	extra = xasprintf(
	    "{\"type\":\"JWK\",\"name\":\"team\",\"key\":%s,\"claims\":{\"enableSSHCA\":true},"
	    "\"options\":{\"ssh\":{\"template\":%s,\"templateData\":{\"team\":\"ops\"}}}},"
	    "{\"type\":\"JWK\",\"name\":\"notjson\",\"key\":%s,\"claims\":{\"enableSSHCA\":true},"
	    "\"options\":{\"ssh\":{\"template\":\"{\\\"type\\\": }\"}}},"
	    "{\"type\":\"JWK\",\"name\":\"notype\",\"key\":%s,\"claims\":{\"enableSSHCA\":true},"
	    "\"options\":{\"ssh\":{\"template\":\"{\\\"keyId\\\": \\\"k\\\"}\"}}},"
	    "{\"type\":\"JWK\",\"name\":\"broken\",\"key\":%s,\"claims\":{\"enableSSHCA\":true},"
	    "\"options\":{\"ssh\":{\"template\":\"{ {{ .Missing.Field.Deeper }} }\"}}}",
	    FX_PROV_JWK, tpl_json, FX_PROV_JWK, FX_PROV_JWK, FX_PROV_JWK);
	x = shx_new(NULL, NULL, extra);
	b = shx_pub_b64(x->user_ca);

	shx_sign(x, "team", "alice", "{\"ssh\":{\"certType\":\"user\",\"principals\":[\"alice\"]}}",
		 b, "{\"keyID\":\"req-id\",\"templateData\":{\"cmd\":\"/usr/bin/id\"}}", &r);
	shx_expect("custom template", &r, 201, NULL);
	doc = json_loads(r.body, 0, NULL);
	shx_cert(doc, "crt", &c);
	shx_check_signed(&c, &x->user_pub);
	assert_string_equal(c.key_id, "alice/req-id/ops");
	assert_int_equal(c.principals.n, 1);
	assert_int_equal(c.n_extensions, 1);
	assert_string_equal(c.extensions[0].name, "permit-pty");
	cmd = ssh_option_string(c.critical, c.n_critical, "force-command");
	assert_string_equal(cmd, "/usr/bin/id");
	free(cmd);
	assert_int_equal(c.valid_before - c.valid_after, 16 * 3600 + 60);
	ssh_cert_clear(&c);
	json_decref(doc);
	shx_resp_free(&r);

	shx_sign(x, "team", "alice", "{\"ssh\":{\"certType\":\"user\"}}", b,
		 "{\"templateData\":{\"hold\":true}}", &r);
	shx_expect("fail", &r, 400,
		   "{\"status\":400,\"message\":\"The request could not be completed: on "
		   "hold.\"}\n");
	shx_resp_free(&r);
	shx_sign(x, "notjson", "alice", "{\"ssh\":{\"certType\":\"user\"}}", b, NULL, &r);
	shx_expect("not JSON", &r, 500,
		   "{\"status\":500,\"message\":\"error applying certificate template\"}\n");
	shx_resp_free(&r);
	shx_sign(x, "notype", "alice", "{\"ssh\":{\"certType\":\"user\"}}", b, NULL, &r);
	shx_expect("no type", &r, 403,
		   "{\"status\":403,\"message\":\"The request was forbidden by the certificate "
		   "authority: error creating ssh certificate.\"}\n");
	shx_resp_free(&r);
	shx_sign(x, "broken", "alice", "{\"ssh\":{\"certType\":\"user\"}}", b, NULL, &r);
	shx_expect("execution error", &r, 500, NULL);
	assert_null(strstr(r.body, "Missing")); /* Go's message stays in the log */
	shx_resp_free(&r);

	free(b);
	free(extra);
	free(tpl_json);
	shx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_desc_fields),
	    cmocka_unit_test(test_desc_errors),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_default_direct),
	    cmocka_unit_test(test_default_templates),
	    cmocka_unit_test(test_data_and_syntax),
	    cmocka_unit_test(test_custom_sign),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
