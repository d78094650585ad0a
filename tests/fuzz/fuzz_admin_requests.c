/* fuzz_admin_requests.c - what any client reaches of the admin API: admin_handle over a real
 * authority with remote administration on a SQLite store, and the request body parsers behind
 * the token check, called directly.
 *
 * Once per process the target builds the fixture CA of ca_fixture.h with authority.enableAdmin
 * on a SQLite store in a temporary directory (on /dev/shm when it exists), imports its
 * administration state (super admin "step" on the JWK provisioner), and makes an admin token
 * that looks right but authorises nothing: an x5c chain issued by the CA's intermediate through
 * the JWK provisioner for a subject no admin has. Its first use is recorded, so every later
 * request stops at the replay check; nothing else is written, which bounds the store. Per input
 * the first byte picks what the rest is (byte % 5):
 *   0  "METHOD\nPATH[?QUERY]\nBODY" to admin_handle with the token (byte / 5 odd: without)
 *   1  a POST /admin/provisioners body: admin_provisioner_body (linkedca -> ca.json, claims,
 *      policy)
 *   2  a POST /admin/admins body: admin_create_admin_body
 *   3  "AUD\nPATH": admin_audience_ok
 *   4  a linkedca claims object: admin_claims_validate
 * Invariants: done runs exactly once, before admin_handle returns (SQLite); the status is one of
 * 401 404 405 409 413 and never 500 (nothing is authorised); an error body is step-ca's
 * {"type","detail","message"}; a parser returns 0 with its outputs set, or -1 with none.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/internal.h"
#include "base/duration.h"
#include "base/file.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/x509build.h"

#include "ca_fixture.h"

#define INPUT_MAX (64 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct authority *a;
static char dir[48];
static char *token;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_admin_requests: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	authority_free(a);
	free(token);
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	fx_cleanup();
}

/* The x5c token of a certificate for "fuzz-nobody" issued through the JWK provisioner. */
static char *make_token(void)
{
	EVP_PKEY *ca_key = NULL, *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct signer *signer;
	STACK_OF(X509) *chain = NULL;
	X509 *inter = NULL, *leaf = NULL;
	X509_NAME *subject = X509_NAME_new();
	struct names sans = {0};
	struct error err = {0};
	uint8_t *der = NULL;
	size_t len = 0;
	char *b64[2], *out = NULL;
	int64_t now = time_now_ns();
	json_t *hdr, *claims;

	if (key_parse_private((const uint8_t *)FX_INTER_KEY_PEM, strlen(FX_INTER_KEY_PEM), NULL,
			      &ca_key, &err) != 0 ||
	    cert_parse_chain((const uint8_t *)FX_INTER_PEM, strlen(FX_INTER_PEM), &chain, &err) !=
		0)
		fail("the fixture's intermediate", err.msg);
	inter = sk_X509_shift(chain);
	sk_X509_pop_free(chain, X509_free);
	signer = signer_file_new(ca_key);
	X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
				   (const unsigned char *)"fuzz-nobody", -1, -1, 0);
	strv_push(&sans.dns, "fuzz-nobody");
	if (x509_issue_leaf(&(struct leaf_spec){.subject = subject,
						.sans = &sans,
						.public_key = key,
						.not_before_ns = now - 60 * NS_PER_SEC,
						.not_after_ns = now + 100 * 24 * NS_PER_HOUR,
						.client_auth = true,
						.prov_type = PROV_CODE_JWK,
						.prov_name = FX_PROV_NAME},
			    inter, signer, &leaf, &err) != 0)
		fail("x509_issue_leaf", err.msg);
	cert_to_der(leaf, &der, &len, NULL);
	b64[0] = b64_encode(der, len);
	free(der);
	cert_to_der(inter, &der, &len, NULL);
	b64[1] = b64_encode(der, len);
	free(der);
	hdr = json_pack("{s:[s,s]}", "x5c", b64[0], b64[1]);
	claims =
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", "step-admin-client/1.0", "sub",
		      "fuzz-nobody", "aud", "https://ca.fuzz.test/admin/admins", "iat",
		      (json_int_t)(now / NS_PER_SEC), "nbf", (json_int_t)(now / NS_PER_SEC), "exp",
		      (json_int_t)(now / NS_PER_SEC + 100 * 24 * 3600), "jti", "fuzz-admin-token");
	if (jws_sign(hdr, claims, key, &out, &err) != 0)
		fail("jws_sign", err.msg);
	json_decref(hdr);
	json_decref(claims);
	free(b64[0]);
	free(b64[1]);
	names_free(&sans);
	X509_NAME_free(subject);
	X509_free(leaf);
	X509_free(inter);
	signer_free(signer);
	EVP_PKEY_free(key);
	return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *text = fx_ca_json(), *db;
	json_t *doc = json_loads(text, 0, NULL);
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct error err = {0};
	bool done = false;
	(void)argc;
	(void)argv;

	json_object_set_new(json_object_get(doc, "authority"), "enableAdmin", json_true());
	free(text);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	snprintf(dir, sizeof(dir), "%s/stride-fuzz-admin-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		fail("mkdtemp", dir);
	db = path_join(dir, "db");
	if (ca_config_parse(text, strlen(text), "fuzz-ca.json", &cfg, &err) != 0 ||
	    store_open(&(struct store_config){.type = "sqlite", .data_source = db}, &store, &err) !=
		0 ||
	    authority_new(cfg, NULL, store, &a, &err) != 0 ||
	    authority_admin_bootstrap(a, authority_config(a)->provisioners, NULL, &done, &err) != 0)
		fail("the authority", err.msg);
	free(db);
	free(text);
	token = make_token();
	atexit(cleanup);
	return 0;
}

struct answer {
	int calls;
	struct admin_response *resp;
};

static void done_cb(void *arg, struct admin_response *resp)
{
	struct answer *ans = arg;

	ans->calls++;
	ans->resp = resp;
}

/* The invariants of an answer to a request nothing authorises. */
static void check_answer(const struct answer *ans)
{
	const struct admin_response *r = ans->resp;
	json_t *doc;

	if (ans->calls != 1 || r == NULL)
		fail("done", "not called exactly once before admin_handle returned");
	if (r->status != 401 && r->status != 404 && r->status != 405 && r->status != 409 &&
	    r->status != 413)
		fail("unexpected status", r->body);
	if (r->status == 401 || r->status == 409 || r->status == 413) {
		doc = json_loadb(r->body, r->body_len, 0, NULL);
		if (json_string_value(json_object_get(doc, "type")) == NULL ||
		    json_string_value(json_object_get(doc, "detail")) == NULL ||
		    json_string_length(json_object_get(doc, "message")) == 0)
			fail("error body", r->body);
		json_decref(doc);
	}
	if (getenv("STRIDE_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "%d %.*s\n", r->status, (int)r->body_len,
			r->body != NULL ? r->body : "");
}

/* The next line of *p (up to n bytes), NUL-terminated and malloc'd; *p and *n advance. */
static char *line(const uint8_t **p, size_t *n)
{
	const uint8_t *nl = memchr(*p, '\n', *n);
	size_t len = nl != NULL ? (size_t)(nl - *p) : *n;
	char *s = xmalloc(len + 1);

	memcpy(s, *p, len);
	s[len] = '\0';
	*p += nl != NULL ? len + 1 : len;
	*n -= nl != NULL ? len + 1 : len;
	return s;
}

static void one_request(const uint8_t *data, size_t size, bool with_token)
{
	char *method = line(&data, &size), *target = line(&data, &size);
	char *q = strchr(target, '?');
	struct answer ans = {0};

	if (q != NULL)
		*q++ = '\0';
	admin_handle(a,
		     &(struct admin_request){.method = method,
					     .path = target,
					     .query = q,
					     .authorization = with_token ? token : NULL,
					     .body = data,
					     .body_len = size},
		     done_cb, &ans);
	check_answer(&ans);
	admin_response_free(ans.resp);
	free(ans.resp);
	free(method);
	free(target);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = {0};
	json_t *lc, *config, *policy, *claims;
	char *subject, *prov, *aud, *path;
	int type, rc;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	switch (data[0] % 5) {
	case 0:
		one_request(data + 1, size - 1, (data[0] / 5) % 2 == 0);
		break;
	case 1:
		rc = admin_provisioner_body(data + 1, size - 1, &lc, &config, &policy, &err);
		if ((rc == 0) != (lc != NULL && config != NULL))
			fail("admin_provisioner_body", err.msg);
		json_decref(lc);
		json_decref(config);
		json_decref(policy);
		break;
	case 2:
		rc = admin_create_admin_body(data + 1, size - 1, &subject, &prov, &type, &err);
		if (rc == 0 && (subject == NULL || prov == NULL || (type != 1 && type != 2)))
			fail("admin_create_admin_body",
			     "accepted without subject, provisioner or type");
		if (rc != 0 && (subject != NULL || prov != NULL || err.msg[0] == '\0'))
			fail("admin_create_admin_body", "refused without a message");
		free(subject);
		free(prov);
		break;
	case 3:
		data++;
		size--;
		aud = line(&data, &size);
		path = xmalloc(size + 1);
		memcpy(path, data, size);
		path[size] = '\0';
		(void)admin_audience_ok(a, aud, path);
		free(aud);
		free(path);
		break;
	default:
		claims = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
		(void)admin_claims_validate(claims, &err);
		json_decref(claims);
		break;
	}
	return 0;
}
