/* test_cli_provisioner.c - `ca provisioner add/update` flags -> the ca.json provisioner object
 * (cli/prov_edit.h): exact JSON as step's newest CLI writes it, step's error messages, and the
 * claim checks of local mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/file.h"
#include "base/str.h"
#include "cli/command.h"
#include "cli/prov_edit.h"
#include "jose/jwe.h"

#define STEPCA_KEYS TEST_DATA_DIR "/stepca/keys"
#define STEPCA_TREE TEST_DATA_DIR "/stepca/tree"

/* The public JWK of stepca/keys/jwk_p256_a256gcm.jwe (made by step's jose package). */
#define STEP_PUB_JWK                                                                               \
	"{\"use\":\"sig\",\"kty\":\"EC\",\"kid\":\"iIEhkswcGPTktdJqTmyFy149WVpH1e5JOg9w93qQ2Ew\"," \
	"\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":\"w42tIY7o67KQb1JRF2TbggQwobqWA5_"              \
	"TfOePhsEJuQY\","                                                                          \
	"\"y\":\"2wMECN3gFsSFM5iLdAbQfEKyjpzhH8ibA04Hvr19oWk\"}"
#define FALSE_CLAIMS                                                                               \
	"\"disableRenewal\":false,\"allowRenewalAfterExpiry\":false,"                              \
	"\"disableSmallstepExtensions\":false"

static const struct command add_cmd = {
    .name = "add", .summary = "a", .args = "<name>", .flags = prov_add_flags, .max_args = -1};
static const struct command update_cmd = {
    .name = "update", .summary = "u", .args = "<name>", .flags = prov_update_flags, .max_args = -1};

static char tmpdir[] = "/tmp/stride-prov-XXXXXX";

static char *tmp_file(const char *name, const char *content)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static char *slurp(const char *path)
{
	uint8_t *data = NULL;
	size_t n = 0;

	assert_int_equal(file_read(path, 1 << 20, &data, &n, NULL), 0);
	data = xrealloc(data, n + 1);
	data[n] = '\0';
	return (char *)data;
}

/* Parses argv (NULL-terminated) for cmd and resolves it without defaults.json. */
static void ctx_for(struct cli_ctx *ctx, const struct command *cmd, const char *first, ...)
{
	char *argv[40];
	int argc = 0;
	struct error err = {0};
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 40; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	cli_ctx_init(ctx, cmd, "stride ca provisioner test");
	assert_int_equal(cli_ctx_parse(ctx, argc, argv, &err), 0);
	assert_int_equal(cli_ctx_resolve_with(ctx, NULL, NULL, &err), 0);
}

/* Builds with add's flags and checks the compact JSON (or the error message). */
static void expect_add(struct cli_ctx *ctx, const char *want_json, const char *want_err)
{
	struct error err = {0};
	json_t *prov = NULL;
	int rc = prov_build(ctx, cli_arg(ctx, 0), &prov, &err);

	if (want_err != NULL) {
		assert_int_equal(rc, -1);
		assert_null(prov);
		assert_string_equal(err.msg, want_err);
	} else {
		char *got;
		if (rc != 0)
			fail_msg("prov_build: %s", err.msg);
		got = json_dumps(prov, JSON_COMPACT);
		assert_string_equal(got, want_json);
		free(got);
	}
	json_decref(prov);
	cli_ctx_free(ctx);
}

static void expect_update(struct cli_ctx *ctx, const char *old, const char *want_json,
			  const char *want_err)
{
	struct error err = {0};
	json_t *prov = json_loads(old, 0, NULL);
	int rc;

	assert_non_null(prov);
	rc = prov_apply_update(ctx, prov, &err);
	if (want_err != NULL) {
		assert_int_equal(rc, -1);
		assert_string_equal(err.msg, want_err);
	} else {
		char *got;
		if (rc != 0)
			fail_msg("prov_apply_update: %s", err.msg);
		got = json_dumps(prov, JSON_COMPACT);
		assert_string_equal(got, want_json);
		free(got);
	}
	json_decref(prov);
	cli_ctx_free(ctx);
}

/* JWK from step's own key files: the public JWK as is (kid kept), the JWE kept as is,
 * templates and claims in step-ca's layout. */
static void test_jwk_public_private(void **state)
{
	struct cli_ctx ctx;
	char *pub = tmp_file("pub.json", STEP_PUB_JWK "\n");
	char *tpl = tmp_file("leaf.tpl", "{\"subject\": {{ toJson .Subject }}}\n");
	char *data = tmp_file("data.json", "{\"team\": \"ops\"}");
	char *jwe = slurp(STEPCA_KEYS "/jwk_p256_a256gcm.jwe"), *want;

	(void)state;
	jwe[strcspn(jwe, "\n")] = '\0';
	want = xasprintf(
	    "{\"type\":\"JWK\",\"name\":\"ops@example.com\",\"key\":" STEP_PUB_JWK
	    ",\"encryptedKey\":\"%s\",\"claims\":{\"minTLSCertDuration\":\"10m0s\","
	    "\"defaultTLSCertDuration\":\"1h30m0s\",\"maxUserSSHCertDuration\":\"2h0m0s\","
	    "\"enableSSHCA\":false,\"disableRenewal\":true,\"allowRenewalAfterExpiry\":false,"
	    "\"disableSmallstepExtensions\":true},\"options\":{\"x509\":{\"template\":"
	    "\"{\\\"subject\\\": {{ toJson .Subject }}}\\n\",\"templateData\":{\"team\":\"ops\"}},"
	    "\"ssh\":{}}}",
	    jwe);
	ctx_for(&ctx, &add_cmd, "ops@example.com", "--type", "jwk", "--public-key", pub,
		"--private-key", STEPCA_KEYS "/jwk_p256_a256gcm.jwe", "--x509-template", tpl,
		"--x509-template-data", data, "--x509-min-dur", "10m", "--x509-default-dur", "90m",
		"--ssh-user-max-dur", "2h", "--ssh=false", "--disable-renewal",
		"--disable-smallstep-extensions", NULL);
	expect_add(&ctx, want, NULL);
	free(want);
	free(jwe);
	free(pub);
	free(tpl);
	free(data);
}

/* A PEM public key gets the RFC 7638 thumbprint as kid; no private key, no encryptedKey. */
static void test_jwk_pem_public(void **state)
{
	struct cli_ctx ctx;

	(void)state;
	ctx_for(&ctx, &add_cmd, "pem", "--public-key", TEST_DATA_DIR "/crypto/ec_public.pem", NULL);
	expect_add(&ctx,
		   "{\"type\":\"JWK\",\"name\":\"pem\",\"key\":{\"use\":\"sig\",\"kty\":\"EC\","
		   "\"kid\":\"4BasDve0IxyM70sW8ITzTDDv4DGPtgxaQV1GmMe0nkw\",\"crv\":\"P-256\","
		   "\"alg\":\"ES256\",\"x\":\"1ujtgU9nwbzSYClFGfZ1Fwl0Q60no7208-kxK2hhFu8\","
		   "\"y\":\"9XOQKBwCTSqyvaBKMyUgUvq_ueeXgKcjec19mn-7KBA\"},\"claims\":{"
		   "\"enableSSHCA\":true," FALSE_CLAIMS "},\"options\":{\"x509\":{},\"ssh\":{}}}",
		   NULL);
}

/* --create: a P-256 key whose private half the password decrypts. */
static void test_jwk_create(void **state)
{
	struct cli_ctx ctx;
	struct error err = {0};
	char *pw = tmp_file("pw", "s3cret\n");
	json_t *prov = NULL, *priv;
	uint8_t *plain = NULL;
	size_t n = 0;
	const json_t *key;

	(void)state;
	ctx_for(&ctx, &add_cmd, "new", "--create", "--password-file", pw, NULL);
	assert_int_equal(prov_build(&ctx, "new", &prov, &err), 0);
	key = json_object_get(prov, "key");
	assert_string_equal(json_string_value(json_object_get(key, "crv")), "P-256");
	assert_string_equal(json_string_value(json_object_get(key, "alg")), "ES256");
	assert_null(json_object_get(key, "d"));
	assert_int_equal(
	    jwe_decrypt_password(json_string_value(json_object_get(prov, "encryptedKey")), "s3cret",
				 &plain, &n, &err),
	    0);
	priv = json_loadb((const char *)plain, n, 0, NULL);
	assert_non_null(json_object_get(priv, "d"));
	assert_string_equal(json_string_value(json_object_get(priv, "x")),
			    json_string_value(json_object_get(key, "x")));
	assert_string_equal(json_string_value(json_object_get(priv, "kid")),
			    json_string_value(json_object_get(key, "kid")));
	json_decref(priv);
	free(plain);
	json_decref(prov);
	cli_ctx_free(&ctx);

	ctx_for(&ctx, &add_cmd, "new", "--create", "--public-key", pw, NULL);
	expect_add(&ctx, NULL, "flag '--create' is incompatible with 'public-key'");
	ctx_for(&ctx, &add_cmd, "new", NULL);
	expect_add(&ctx, NULL, "'--create false' requires the '--public-key' flag");
	free(pw);
}

/* X5C: the roots as base64 of their PEM; a certificate without keyCertSign is refused. */
static void test_x5c(void **state)
{
	struct cli_ctx ctx;
	char *pem = slurp(STEPCA_TREE "/certs/root_ca.crt"), *b64 = b64_encode(pem, strlen(pem));
	char *want = xasprintf("{\"type\":\"X5C\",\"name\":\"x5c\",\"roots\":\"%s\",\"claims\":{"
			       "\"enableSSHCA\":true," FALSE_CLAIMS
			       "},\"options\":{\"x509\":{},\"ssh\":{}}}",
			       b64);

	(void)state;
	ctx_for(&ctx, &add_cmd, "x5c", "--type", "X5C", "--x5c-root",
		STEPCA_TREE "/certs/root_ca.crt", NULL);
	expect_add(&ctx, want, NULL);
	ctx_for(&ctx, &add_cmd, "x5c", "--type", "x5c", NULL);
	expect_add(&ctx, NULL, "'--type x5c' requires the '--x5c-roots' flag");
	ctx_for(&ctx, &add_cmd, "x5c", "--type", "x5c", "--x5c-roots",
		TEST_DATA_DIR "/crypto/fixture_cert.pem", NULL);
	expect_add(&ctx, NULL,
		   "error: certificate with common name 'Fixture Root CA' cannot be used as an X5C "
		   "root certificate.\n\nX5C provisioner root certificates must have the "
		   "'Certificate Sign' key usage extension.");
	free(want);
	free(b64);
	free(pem);
}

/* ACME: forceCN/requireEAB only when true, challenges canonical and de-duplicated. */
static void test_acme(void **state)
{
	struct cli_ctx ctx;

	(void)state;
	ctx_for(&ctx, &add_cmd, "acme", "--type", "acme", "--challenge", "HTTP-01", "--challenge",
		"dns-01", "--challenge", "http-01", "--attestation-format", "TPM", "--require-eab",
		"--x509-default-dur", "48h", NULL);
	expect_add(&ctx,
		   "{\"type\":\"ACME\",\"name\":\"acme\",\"requireEAB\":true,\"challenges\":["
		   "\"http-01\",\"dns-01\"],\"attestationFormats\":[\"tpm\"],\"claims\":{"
		   "\"defaultTLSCertDuration\":\"48h0m0s\",\"enableSSHCA\":true," FALSE_CLAIMS
		   "},\"options\":{\"x509\":{},\"ssh\":{}}}",
		   NULL);
	ctx_for(&ctx, &add_cmd, "acme", "--type", "ACME", "--challenge", "http-02", NULL);
	expect_add(&ctx, NULL,
		   "invalid value 'http-02' for flag '--challenge'; options are http-01, dns-01, "
		   "tls-alpn-01 and device-attest-01");
	ctx_for(&ctx, &add_cmd, "acme", "--type", "ACME", "--attestation-format", "android", NULL);
	expect_add(&ctx, NULL,
		   "invalid value 'android' for flag '--attestation-format'; options are apple, "
		   "step, and tpm");
}

/* SSHPOP has no options; OIDC and K8SSA as step-ca writes them; unknown and not-yet types. */
static void test_other_types(void **state)
{
	struct cli_ctx ctx;

	(void)state;
	ctx_for(&ctx, &add_cmd, "sshpop", "--type", "sshpop", "--x509-template", "/nonexistent",
		NULL);
	expect_add(&ctx,
		   "{\"type\":\"SSHPOP\",\"name\":\"sshpop\",\"claims\":{\"enableSSHCA\":"
		   "true," FALSE_CLAIMS "}}",
		   NULL);
	ctx_for(&ctx, &add_cmd, "google", "--type", "oidc", "--client-id", "cid",
		"--configuration-endpoint",
		"https://accounts.google.com/.well-known/openid-configuration", "--domain",
		"example.com", "--admin", "a@example.com", "--listen-address", ":10000", NULL);
	expect_add(
	    &ctx,
	    "{\"type\":\"OIDC\",\"name\":\"google\",\"clientID\":\"cid\",\"clientSecret\":\"\","
	    "\"configurationEndpoint\":\"https://accounts.google.com/.well-known/"
	    "openid-configuration\",\"admins\":[\"a@example.com\"],\"domains\":["
	    "\"example.com\"],\"listenAddress\":\":10000\",\"claims\":{\"enableSSHCA\":"
	    "true," FALSE_CLAIMS "},\"options\":{\"x509\":{},\"ssh\":{}}}",
	    NULL);
	ctx_for(&ctx, &add_cmd, "google", "--type", "OIDC", "--client-id", "cid", NULL);
	expect_add(&ctx, NULL, "'--type OIDC' requires the '--configuration-endpoint' flag");
	ctx_for(&ctx, &add_cmd, "k8s", "--type", "k8ssa", NULL);
	expect_add(&ctx, NULL, "'--type k8sSA' requires the '--public-key' flag");
	ctx_for(&ctx, &add_cmd, "x", "--type", "jwt", NULL);
	expect_add(&ctx, NULL,
		   "invalid value 'jwt' for flag '--type'; options are JWK, ACME, OIDC, SSHPOP, "
		   "K8SSA, NEBULA, SCEP, AWS, GCP, AZURE");
	ctx_for(&ctx, &add_cmd, "neb", "--type", "nebula", NULL);
	expect_add(&ctx, NULL, "provisioner type 'NEBULA' is not supported yet by stride");
	ctx_for(&ctx, &add_cmd, "x", "--create", "--x509-max-dur", "1d", NULL);
	expect_add(&ctx, NULL, "invalid value \"1d\" for flag -x509-max-dur: parse error");
}

/* The cloud types and SCEP: Go's layout, null for empty lists without omitempty, instanceAge
 * always written. */
static void test_cloud_and_scep(void **state)
{
	struct cli_ctx ctx;
	char *pw = tmp_file("scep-pw", "decrypt-me\n");
	char *want;

	(void)state;
	ctx_for(&ctx, &add_cmd, "amazon", "--type", "AWS", "--aws-account", "123456789",
		"--disable-custom-sans", "--instance-age", "1h", NULL);
	expect_add(
	    &ctx,
	    "{\"type\":\"AWS\",\"name\":\"amazon\",\"accounts\":[\"123456789\"],"
	    "\"disableCustomSANs\":true,\"disableTrustOnFirstUse\":false,\"imdsVersions\":null,"
	    "\"instanceAge\":\"1h0m0s\",\"claims\":{\"enableSSHCA\":true," FALSE_CLAIMS
	    "},\"options\":{\"x509\":{},\"ssh\":{}}}",
	    NULL);
	ctx_for(&ctx, &add_cmd, "amazon", "--type", "aws", "--disable-ssh-ca-user", NULL);
	expect_add(&ctx, NULL,
		   "flag disable-ssh-ca-user is not supported for AWS IID provisioners");
	ctx_for(&ctx, &add_cmd, "amazon", "--type", "aws", "--instance-age", "-1m", NULL);
	expect_add(&ctx, NULL, "flag '--instance-age' must be greater than or equal to 0s");
	ctx_for(&ctx, &add_cmd, "google", "--type", "GCP", "--gcp-project", "internal",
		"--disable-tofu", "--disable-ssh-ca-host", NULL);
	expect_add(&ctx,
		   "{\"type\":\"GCP\",\"name\":\"google\",\"projectIDs\":[\"internal\"],"
		   "\"disableCustomSANs\":false,\"disableTrustOnFirstUse\":true,"
		   "\"disableSSHCAHost\":true,\"instanceAge\":\"0s\",\"claims\":{\"enableSSHCA\":"
		   "true," FALSE_CLAIMS "},\"options\":{\"x509\":{},\"ssh\":{}}}",
		   NULL);
	ctx_for(&ctx, &add_cmd, "google", "--type", "gcp", "--gcp-project", "p",
		"--gcp-organization", "1", NULL);
	expect_add(&ctx, NULL, "flag '--gcp-organization' is incompatible with '--gcp-project'");
	ctx_for(&ctx, &add_cmd, "azure", "--type", "Azure", "--azure-tenant", "t1",
		"--azure-resource-group", "identity", "--azure-resource-group", "accounting", NULL);
	expect_add(&ctx,
		   "{\"type\":\"AZURE\",\"name\":\"azure\",\"tenantID\":\"t1\",\"resourceGroups\":"
		   "[\"identity\",\"accounting\"],\"subscriptionIDs\":null,\"objectIDs\":null,"
		   "\"disableCustomSANs\":false,\"disableTrustOnFirstUse\":false,\"claims\":{"
		   "\"enableSSHCA\":true," FALSE_CLAIMS "},\"options\":{\"x509\":{},\"ssh\":{}}}",
		   NULL);
	ctx_for(&ctx, &add_cmd, "azure", "--type", "Azure", NULL);
	expect_add(&ctx, NULL, "'--type Azure' requires the '--azure-tenant' flag");
	want = xasprintf("{\"type\":\"SCEP\",\"name\":\"scep\",\"challenge\":\"secret\","
			 "\"capabilities\":[\"AES\"],\"includeRoot\":true,"
			 "\"minimumPublicKeyLength\":2048,\"decrypterKeyPassword\":\"decrypt-me\","
			 "\"encryptionAlgorithmIdentifier\":2,\"options\":{\"x509\":{},\"ssh\":{}},"
			 "\"claims\":{\"enableSSHCA\":true," FALSE_CLAIMS "}}");
	ctx_for(&ctx, &add_cmd, "scep", "--type", "scep", "--challenge", "secret", "--capabilities",
		"AES", "--include-root", "--min-public-key-length", "2048",
		"--encryption-algorithm-identifier", "2", "--scep-decrypter-key-password-file", pw,
		NULL);
	expect_add(&ctx, want, NULL);
	ctx_for(&ctx, &add_cmd, "scep", "--type", "scep", "--challenge", "a", "--challenge", "b",
		NULL);
	expect_add(&ctx, NULL,
		   "provisioner type 'SCEP' does not support multiple '--challenge' flags");
	ctx_for(&ctx, &add_cmd, "scep", "--type", "scep", "--min-public-key-length", "big", NULL);
	expect_add(&ctx, NULL,
		   "invalid value \"big\" for flag -min-public-key-length: parse error");
	free(want);
	free(pw);
}

/* update: flags over the old object; claims re-spelled and materialised; lists edited. */
static void test_update(void **state)
{
	struct cli_ctx ctx;

	(void)state;
	ctx_for(&ctx, &update_cmd, "acme", "--name", "acme-http", "--remove-challenge", "DNS-01",
		"--challenge", "tls-alpn-01", "--challenge", "http-01", "--force-cn=false",
		"--x509-max-dur", "72h", "--allow-renewal-after-expiry", NULL);
	expect_update(&ctx,
		      "{\"type\":\"acme\",\"name\":\"acme\",\"forceCN\":true,\"challenges\":["
		      "\"http-01\",\"dns-01\"],\"claims\":{\"defaultTLSCertDuration\":\"48h\"}}",
		      "{\"type\":\"ACME\",\"name\":\"acme-http\",\"challenges\":[\"http-01\","
		      "\"tls-alpn-01\"],\"claims\":{\"maxTLSCertDuration\":\"72h0m0s\","
		      "\"defaultTLSCertDuration\":\"48h0m0s\",\"enableSSHCA\":false,"
		      "\"disableRenewal\":false,\"allowRenewalAfterExpiry\":true,"
		      "\"disableSmallstepExtensions\":false},\"options\":{\"x509\":{},\"ssh\":{}}}",
		      NULL);
	/* an empty --private-key drops the encrypted key; --ssh turns SSH on */
	ctx_for(&ctx, &update_cmd, "j", "--private-key", "", "--ssh", NULL);
	expect_update(&ctx,
		      "{\"type\":\"JWK\",\"name\":\"j\",\"key\":" STEP_PUB_JWK
		      ",\"encryptedKey\":\"a.b.c.d.e\",\"options\":{\"x509\":{\"templateFile\":"
		      "\"t.tpl\"}}}",
		      "{\"type\":\"JWK\",\"name\":\"j\",\"key\":" STEP_PUB_JWK
		      ",\"claims\":{\"enableSSHCA\":true," FALSE_CLAIMS
		      "},\"options\":{\"x509\":{\"templateFile\":\"t.tpl\"},\"ssh\":{}}}",
		      NULL);
	ctx_for(&ctx, &update_cmd, "a", "--challenge", "x-01", NULL);
	expect_update(&ctx, "{\"type\":\"ACME\",\"name\":\"a\"}", NULL,
		      "invalid value 'x-01' for flag '--challenge'; options are http-01, dns-01, "
		      "tls-alpn-01 and device-attest-01");
	ctx_for(&ctx, &update_cmd, "o", "--remove-domain", "a.com", "--domain", "c.com",
		"--configuration-endpoint", "mailto:x", NULL);
	expect_update(&ctx,
		      "{\"type\":\"OIDC\",\"name\":\"o\",\"clientID\":\"c\",\"domains\":[\"a.com\","
		      "\"b.com\"]}",
		      NULL, "invalid value 'mailto:x' for flag '--configuration-endpoint'");
	ctx_for(&ctx, &update_cmd, "o", "--remove-domain", "a.com", "--domain", "c.com", NULL);
	expect_update(
	    &ctx,
	    "{\"type\":\"OIDC\",\"name\":\"o\",\"clientID\":\"c\",\"domains\":[\"a.com\","
	    "\"b.com\"]}",
	    "{\"type\":\"OIDC\",\"name\":\"o\",\"clientID\":\"c\",\"clientSecret\":\"\","
	    "\"domains\":[\"b.com\",\"c.com\"],\"claims\":{\"enableSSHCA\":false," FALSE_CLAIMS
	    "},\"options\":{\"x509\":{},\"ssh\":{}}}",
	    NULL);
}

/* Local mode's checks: step-ca's provisioner Init (over the global claims) and the admin API's
 * duration rules. */
static void test_claim_checks(void **state)
{
	struct error err = {0};
	json_t *p;
	json_t *global = json_loads("{\"maxTLSCertDuration\":\"1h\"}", 0, NULL);

	(void)state;
	/* a default below the global minimum widens it; a minimum above the global maximum fails */
	p = json_loads("{\"claims\":{\"defaultTLSCertDuration\":\"2m\"}}", 0, NULL);
	assert_int_equal(prov_check_claims(p, global, &err), 0);
	json_decref(p);
	p = json_loads("{\"claims\":{\"minTLSCertDuration\":\"2h\"}}", 0, NULL);
	assert_int_equal(prov_check_claims(p, NULL, &err), 0);
	assert_int_equal(prov_check_claims(p, global, &err), -1);
	assert_string_equal(err.msg, "claims: MaxCertDuration cannot be less than MinCertDuration: "
				     "MaxCertDuration - 1h0m0s, MinCertDuration - 2h0m0s");
	json_decref(p);
	p = json_loads(
	    "{\"claims\":{\"minTLSCertDuration\":\"1h\",\"defaultTLSCertDuration\":\"30m\"}}", 0,
	    NULL);
	assert_int_equal(prov_check_claims(p, NULL, &err), -1);
	assert_string_equal(err.msg, "claims: DefaultCertDuration cannot be less than "
				     "MinCertDuration: DefaultCertDuration - 30m0s, "
				     "MinCertDuration - 1h0m0s");
	json_decref(p);
	p = json_loads("{\"claims\":{\"maxTLSCertDuration\":\"1m\"}}", 0, NULL);
	assert_int_equal(prov_check_claims(p, NULL, &err), -1);
	assert_string_equal(err.msg, "claims: MaxCertDuration cannot be less than MinCertDuration: "
				     "MaxCertDuration - 1m0s, MinCertDuration - 5m0s");
	json_decref(p);
	p = json_loads(
	    "{\"claims\":{\"minHostSSHCertDuration\":\"2h\",\"defaultHostSSHCertDuration\""
	    ":\"1h\"}}",
	    0, NULL);
	assert_int_equal(prov_check_claims(p, NULL, &err), 0);
	assert_int_equal(prov_check_durations(p, &err), -1);
	assert_string_equal(err.msg,
			    "min duration '2h' cannot be greater than default duration '1h'");
	json_decref(p);
	p = json_loads("{\"claims\":{\"maxUserSSHCertDuration\":\"-1h\"}}", 0, NULL);
	assert_int_equal(prov_check_durations(p, &err), -1);
	assert_string_equal(err.msg, "max duration '-1h' cannot be less than 0");
	json_decref(p);
	json_decref(global);
}

static void test_token_ids(void **state)
{
	const char *cases[][2] = {
	    {"{\"type\":\"JWK\",\"name\":\"a\",\"key\":{\"kid\":\"k\"}}", "a:k"},
	    {"{\"type\":\"oidc\",\"name\":\"a\",\"clientID\":\"c\"}", "c"},
	    {"{\"type\":\"K8sSA\",\"name\":\"a\"}", "k8ssa/k8sSA-default"},
	    {"{\"type\":\"ACME\",\"name\":\"a\"}", "acme/a"},
	    {"{\"type\":\"X5C\",\"name\":\"b\"}", "x5c/b"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *p = json_loads(cases[i][0], 0, NULL);
		char *id = prov_token_id(p);
		assert_string_equal(id, cases[i][1]);
		free(id);
		json_decref(p);
	}
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc;

	(void)state;
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jwk_public_private),
	    cmocka_unit_test(test_jwk_pem_public),
	    cmocka_unit_test(test_jwk_create),
	    cmocka_unit_test(test_x5c),
	    cmocka_unit_test(test_acme),
	    cmocka_unit_test(test_other_types),
	    cmocka_unit_test(test_update),
	    cmocka_unit_test(test_claim_checks),
	    cmocka_unit_test(test_token_ids),
	    cmocka_unit_test(test_cloud_and_scep),
	};
	unsetenv("STRIDE_TYPE");
	return cmocka_run_group_tests(tests, setup, teardown);
}
