/* test_reload.c - a reload of ca.json (SIGHUP): what changed between two files (config_diff),
 * the authority's new provisioners and claims (authority_update_*), and the whole reload of a
 * running server (server_reload): TLS settings, limits, a refused file, the hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authority/admin_state.h"
#include "authority_fixture.h"
#include "base/file.h"
#include "base/str.h"
#include "config/config_diff.h"
#include "crypto/cert.h"
#include "server/reload.h"
#include "server_fixture.h"

/* The fixture's ca.json with patch (RFC 7396) merged into the whole document; malloc'd. */
static char *patched(const struct afx *f, const char *patch)
{
	json_t *doc = json_loads(f->ca_json, 0, NULL);
	char *text;

	assert_non_null(doc);
	if (patch != NULL)
		afx_patch(doc, patch);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}

static struct ca_config *config(const struct afx *f, const char *patch)
{
	char *text = patched(f, patch);
	struct ca_config *cfg = NULL;
	struct error err = {0};

	if (ca_config_parse(text, strlen(text), "authority-ca.json", &cfg, &err) != 0)
		fail_msg("ca_config_parse: %s", err.msg);
	free(text);
	return cfg;
}

/* The diff of next (patch over the fixture's file) against started = running = the fixture's,
 * printed "prov claims policy tls limits | live | restart | ignored". */
static char *diff_text(const struct ca_config *started, const struct ca_config *running,
		       const struct ca_config *next, bool admin, const struct strv *sections)
{
	struct config_diff d;
	char *live, *restart, *ignored, *out;

	config_diff(started, running, next, admin, sections, &d);
	live = config_diff_join(&d.live);
	restart = config_diff_join(&d.restart);
	ignored = config_diff_join(&d.ignored);
	out = xasprintf("%d%d%d%d%d|%s|%s|%s|%d", d.provisioners, d.claims, d.policy, d.tls,
			d.limits, live, restart, ignored, config_diff_live(&d));
	free(live);
	free(restart);
	free(ignored);
	config_diff_free(&d);
	return out;
}

static void expect_diff(const struct afx *f, const char *patch, bool admin, const char *want)
{
	struct ca_config *base = config(f, NULL), *next = config(f, patch);
	struct strv sections = {0};
	char *got;

	strv_push(&sections, "crl");
	got = diff_text(base, base, next, admin, &sections);
	if (strcmp(got, want) != 0)
		fail_msg("patch %s (admin %d): got %s, want %s", patch, admin, got, want);
	free(got);
	strv_free(&sections);
	ca_config_free(base);
	ca_config_free(next);
}

static void test_diff(void **state)
{
	struct afx *f = afx_new(NULL);
	(void)state;

	expect_diff(f, NULL, false, "00000||||0");
	/* spacing and member order do not count */
	expect_diff(f, "{\"authority\":{\"disableIssuedAtCheck\":false}}", false, "00000||||0");
	expect_diff(f, "{\"authority\":{\"provisioners\":[]}}", false, "10000||||1");
	expect_diff(f, "{\"authority\":{\"provisioners\":[]}}", true,
		    "00000|||authority.provisioners|0");
	expect_diff(f, "{\"authority\":{\"claims\":{\"defaultTLSCertDuration\":\"2h\"}}}", false,
		    "01000||||1");
	expect_diff(f, "{\"authority\":{\"claims\":{\"defaultTLSCertDuration\":\"2h\"}}}", true,
		    "01000||||1");
	expect_diff(f, "{\"authority\":{\"policy\":{\"x509\":{\"allow\":{\"dns\":[\"a\"]}}}}}",
		    false, "00100||||1");
	expect_diff(f, "{\"authority\":{\"policy\":{\"x509\":{\"allow\":{\"dns\":[\"a\"]}}}}}",
		    true, "00000|||authority.policy|0");
	expect_diff(f, "{\"tls\":{\"minVersion\":1.3},\"limits\":{\"maxBodyBytes\":2048}}", false,
		    "00011||||1");
	expect_diff(f, "{\"crl\":{\"enabled\":true}}", false, "00000|crl|||1");
	/* in the new file's order, then the members it lost */
	expect_diff(f,
		    "{\"address\":\"127.0.0.1:9001\",\"logger\":null,\"ssh\":{},"
		    "\"authority\":{\"backdate\":\"2m\",\"enableAdmin\":true},\"ocsp\":{}}",
		    false,
		    "00000||address, authority.backdate, authority.enableAdmin, ssh, ocsp, "
		    "logger||0");
	expect_diff(f,
		    "{\"address\":\"127.0.0.1:9001\",\"authority\":{\"provisioners\":[]},"
		    "\"tls\":{\"maxVersion\":1.2}}",
		    false, "10010||address||1");
	afx_free(f);
}

/* started, running and next: the live members against the last file applied, the others
 * against the start. */
static void test_diff_three_files(void **state)
{
	struct afx *f = afx_new(NULL);
	struct ca_config *started = config(f, NULL);
	struct ca_config *running =
	    config(f, "{\"address\":\"127.0.0.1:1\",\"authority\":{\"provisioners\":[]},"
		      "\"tls\":{\"minVersion\":1.3}}");
	struct ca_config *same = config(f, "{\"address\":\"127.0.0.1:1\",\"authority\":"
					   "{\"provisioners\":[]},\"tls\":{\"minVersion\":1.3}}");
	struct ca_config *back = config(f, NULL);
	char *got;
	(void)state;

	/* the address still differs from the one in use; the rest was applied already */
	got = diff_text(started, running, same, false, NULL);
	assert_string_equal(got, "00000||address||0");
	free(got);
	/* back to the start-up file: the address needs nothing, the live members change back */
	got = diff_text(started, running, back, false, NULL);
	assert_string_equal(got, "10010||||1");
	free(got);
	ca_config_free(started);
	ca_config_free(running);
	ca_config_free(same);
	ca_config_free(back);
	afx_free(f);
}

/* A new provisioner and new claims: invisible until applied, then used by new operations while
 * a snapshot taken before (an operation in flight) stays whole. */
static void test_authority_update(void **state)
{
	struct afx *f = afx_new(NULL);
	struct ca_config *next =
	    config(f, "{\"authority\":{\"claims\":{\"defaultTLSCertDuration\":\"3h\"},"
		      "\"provisioners\":[{\"type\":\"JWK\",\"name\":\"only@test\",\"key\":"
		      "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"x\",\"x\":"
		      "\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\",\"y\":"
		      "\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}}]}}");
	struct authority_update *u = NULL;
	struct prov_set *before;
	struct error err = {0};
	X509 *leaf = NULL;
	(void)state;

	assert_int_equal(authority_update_prepare(f->a, next, &u, &err), 0);
	ca_config_free(next); /* the update keeps what it needs */
	before = prov_set_get(f->a);
	assert_int_equal(before->provs.n, 6);
	assert_int_equal(afx_sign(f, NULL, AFX_JWK, "a.example.com", NULL, &leaf, &err), 0);
	assert_int_equal(cert_not_after_ns(leaf) - cert_not_before_ns(leaf),
			 (24 * 60 + 1) * 60 * AFX_SEC);
	X509_free(leaf);
	leaf = NULL;

	authority_update_apply(f->a, u);
	/* the snapshot held before is whole */
	assert_int_equal(before->provs.n, 6);
	assert_string_equal(before->provs.v[0].name, AFX_JWK);
	prov_set_put(before);
	/* new operations: jwk@test is gone (step-ca's 401), the new one is there */
	assert_int_equal(afx_sign(f, NULL, AFX_JWK, "b.example.com", NULL, &leaf, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_string_equal(err.msg, "provisioner not found or invalid audience (" AFX_AUDIENCE
				     "/1.0/sign)");
	{
		struct prov_set *now = prov_set_get(f->a);
		assert_int_equal(now->provs.n, 1);
		assert_string_equal(now->provs.v[0].name, "only@test");
		assert_int_equal(now->provs.v[0].claims.default_tls_ns, 3 * 3600 * AFX_SEC);
		prov_set_put(now);
	}
	afx_free(f);
}

/* A new default duration applies to the provisioners that do not set their own. */
static void test_authority_update_claims(void **state)
{
	struct afx *f = afx_new(NULL);
	struct ca_config *next =
	    config(f, "{\"authority\":{\"claims\":{\"defaultTLSCertDuration\":\"3h\"}}}");
	struct authority_update *u = NULL;
	struct error err = {0};
	X509 *leaf = NULL;
	(void)state;

	assert_int_equal(authority_update_prepare(f->a, next, &u, &err), 0);
	authority_update_apply(f->a, u);
	ca_config_free(next);
	assert_int_equal(afx_sign(f, NULL, AFX_JWK, "a.example.com", NULL, &leaf, &err), 0);
	assert_int_equal(cert_not_after_ns(leaf) - cert_not_before_ns(leaf),
			 (3 * 60 + 1) * 60 * AFX_SEC);
	X509_free(leaf);
	leaf = NULL;
	/* twohours@test sets its own */
	assert_int_equal(afx_sign(f, NULL, "twohours@test", "a.example.com", NULL, &leaf, &err), 0);
	assert_int_equal(cert_not_after_ns(leaf) - cert_not_before_ns(leaf),
			 (2 * 60 + 1) * 60 * AFX_SEC);
	X509_free(leaf);
	afx_free(f);
}

/* With remote administration the provisioners stay the database's (ca.json's list is ignored)
 * and are rebuilt with the new authority claims; a later refresh keeps them. */
static void test_authority_update_admin(void **state)
{
	struct afx *f = afx_new_doc("{\"enableAdmin\":true}",
				    "{\"db\":{\"type\":\"sqlite\",\"dataSource\":\"fixture\"}}");
	struct ca_config *next = config(
	    f,
	    "{\"authority\":{\"claims\":{\"defaultTLSCertDuration\":\"3h\"},\"provisioners\":[]}}");
	struct authority_update *u = NULL;
	struct error err = {0};
	struct prov_set *s;
	X509 *leaf = NULL;
	(void)state;

	assert_int_equal(authority_update_prepare(f->a, next, &u, &err), 0);
	ca_config_free(next);
	authority_update_apply(f->a, u);
	assert_int_equal(prov_set_refresh(f->a, &err), 0);
	s = prov_set_get(f->a);
	assert_int_equal(s->version, 1);
	assert_int_equal(s->claims_gen, 1);
	assert_int_equal(s->provs.n, 6);
	assert_string_equal(s->provs.v[0].name, AFX_JWK);
	assert_int_equal(s->provs.v[0].claims.default_tls_ns, 3 * 3600 * AFX_SEC);
	prov_set_put(s);
	assert_int_equal(afx_sign(f, NULL, AFX_JWK, "a.example.com", NULL, &leaf, &err), 0);
	assert_int_equal(cert_not_after_ns(leaf) - cert_not_before_ns(leaf),
			 (3 * 60 + 1) * 60 * AFX_SEC);
	X509_free(leaf);
	afx_free(f);
}

/* An invalid provisioner or claims: refused with start-up's message, nothing changes. */
static void test_authority_update_refused(void **state)
{
	struct afx *f = afx_new(NULL);
	struct ca_config *bad = config(f, "{\"authority\":{\"claims\":{\"minTLSCertDuration\":"
					  "\"48h\",\"maxTLSCertDuration\":\"1h\"}}}");
	struct authority_update *u = NULL;
	struct error err = {0};
	struct prov_set *s;
	(void)state;

	assert_int_equal(authority_update_prepare(f->a, bad, &u, &err), -1);
	assert_null(u);
	assert_string_equal(
	    err.msg, "failed to initialize JWK provisioner \"norenew@test\": claims: "
		     "MaxCertDuration cannot be less than MinCertDuration: MaxCertDuration - "
		     "1h0m0s, MinCertDuration - 48h0m0s");
	ca_config_free(bad);
	s = prov_set_get(f->a);
	assert_int_equal(s->provs.n, 6);
	prov_set_put(s);
	afx_free(f);
}

/* --- the whole reload on a running server ------------------------------------------------ */

struct hook_log {
	char text[512];
	int refuse; /* refuse at CHECK */
};

static int hook(void *ctx, const struct server_reload_event *ev, struct error *err)
{
	struct hook_log *h = ctx;
	static const char *names[] = {"begin", "check", "apply", "end"};
	size_t n = strlen(h->text);

	snprintf(h->text + n, sizeof(h->text) - n, "%s%s%s%s%s ", names[ev->phase],
		 ev->changed ? "+changed" : "", ev->next != NULL ? "+next" : "",
		 ev->ok ? "+ok" : "", ev->running != NULL ? "" : "!running");
	if (ev->phase == SERVER_RELOAD_CHECK && h->refuse)
		return err_set(err, ERR_INVALID, "crl: the hook refuses");
	return 0;
}

/* Writes the fixture's file with patch where the server reads it (the directory is the
 * fixture's, made the working directory). */
static void write_config(const struct afx *f, const char *patch)
{
	char *text = patched(f, patch);

	assert_int_equal(file_write_atomic("authority-ca.json", text, strlen(text), 0600, NULL), 0);
	free(text);
}

/* GET /health with TLS at most max (CURL_SSLVERSION_MAX_*) and at least min: the status, 0 when
 * the handshake failed. */
static long health(struct sfx *x, long min, long max)
{
	struct call c = {.path = "/health"};
	long status;

	sfx_call_start(x, &c);
	curl_easy_setopt(c.easy, CURLOPT_SSLVERSION, min | max);
	sfx_call_end(&c, curl_easy_perform(c.easy));
	status = c.status;
	sfx_call_free(&c);
	return status;
}

static void test_server_reload(void **state)
{
	struct afx *f = afx_new(NULL);
	struct sfx *x;
	struct hook_log h = {0};
	struct error err = {0};
	char cwd[4096];
	(void)state;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	x = sfx_start(f, NULL);
	server_reload_register(x->srv, "crl", hook, &h);
	assert_int_equal(health(x, CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2), 200);

	/* no file yet: refused, with the reason */
	assert_int_equal(server_reload(x->srv, &err), -1);
	assert_string_equal(err.msg, "open authority-ca.json: No such file or directory");
	assert_string_equal(h.text, "begin end ");
	h.text[0] = '\0';

	/* TLS 1.3 only, a small body limit, the hook's section */
	write_config(f, "{\"tls\":{\"minVersion\":1.3},\"limits\":{\"maxBodyBytes\":1024},"
			"\"crl\":{\"enabled\":true}}");
	assert_int_equal(server_reload(x->srv, &err), 0);
	assert_string_equal(h.text, "begin check+changed+next apply+changed+next end+next+ok ");
	assert_int_equal(health(x, CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2), 0);
	assert_int_equal(health(x, CURL_SSLVERSION_TLSv1_3, CURL_SSLVERSION_MAX_TLSv1_3), 200);
	{
		char body[2000];
		struct call c = {.path = "/1.0/sign", .body = body};

		memset(body, 'x', sizeof(body) - 1);
		body[sizeof(body) - 1] = '\0';
		sfx_call(x, &c, 413, NULL);
		sfx_call_free(&c);
	}

	/* bad JSON: refused, the running configuration stays */
	h.text[0] = '\0';
	assert_int_equal(file_write_atomic("authority-ca.json", "{\"root\":", 8, 0600, NULL), 0);
	assert_int_equal(server_reload(x->srv, &err), -1);
	assert_string_equal(
	    err.msg, "error parsing authority-ca.json: unexpected token near end of file at line 1 "
		     "column 8");
	assert_string_equal(h.text, "begin end ");
	assert_int_equal(health(x, CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2), 0);

	/* an invalid TLS setting: refused, nothing applied (not even the valid claims) */
	write_config(f, "{\"tls\":{\"minVersion\":1.1},\"authority\":{\"provisioners\":[]}}");
	assert_int_equal(server_reload(x->srv, &err), -1);
	assert_string_equal(
	    err.msg, "tls minVersion 1.1 is not allowed: stride-ca requires TLS 1.2 or later");
	{
		struct prov_set *s = prov_set_get(f->a);
		assert_int_equal(s->provs.n, 6);
		prov_set_put(s);
	}

	/* a hook refusing at CHECK: nothing applied */
	h.text[0] = '\0';
	h.refuse = 1;
	write_config(f, "{\"authority\":{\"provisioners\":[]}}");
	assert_int_equal(server_reload(x->srv, &err), -1);
	assert_string_equal(err.msg, "crl: the hook refuses");
	assert_string_equal(h.text, "begin check+changed+next end ");
	assert_int_equal(health(x, CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2), 0);
	{
		struct prov_set *s = prov_set_get(f->a);
		assert_int_equal(s->provs.n, 6);
		prov_set_put(s);
	}

	/* back to the fixture's file: TLS 1.2 again, the provisioners as they were */
	h.refuse = 0;
	write_config(f, NULL);
	assert_int_equal(server_reload(x->srv, &err), 0);
	assert_int_equal(health(x, CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2), 200);
	sfx_stop(x);
	assert_int_equal(chdir(cwd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_diff_three_files),
	    cmocka_unit_test(test_authority_update),
	    cmocka_unit_test(test_authority_update_claims),
	    cmocka_unit_test(test_authority_update_admin),
	    cmocka_unit_test(test_authority_update_refused),
	    cmocka_unit_test(test_server_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
