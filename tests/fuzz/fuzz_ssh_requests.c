/* fuzz_ssh_requests.c - what any client reaches of the SSH API: sshca_handle over a real
 * authority with an SSH CA (fixed throwaway host and user CA keys below, the fixture's JWK
 * provisioner with enableSSHCA, an SSHPOP provisioner) on the in-memory store, and the SSH
 * token checks called directly.
 *
 * Per input the first byte picks what the rest is (byte % 2):
 *   0  "METHOD\nPATH\nBODY" to sshca_handle: the routing, every request body (/ssh/sign's
 *      public keys, identity CSR, principals and times; renew, rekey and revoke bodies; the
 *      config data), and the tokens inside them up to the checks that need a signature
 *   1  a token to token_authorize_ex for the SSH operation (byte / 2) % 4 (sign, renew, rekey,
 *      revoke) with the CA's SSHPOP trust: the step.ssh claim and the sshpop header (base64,
 *      the certificate parser, the issuer check)
 * Invariants: done runs exactly once, before sshca_handle returns (the memory store commits at
 * once); the status is one the SSH API answers, and never 500 except GET /ssh/hosts (which
 * step-ca answers so without a database) and POST /ssh/config (the templates step-ca cannot
 * render: a Windows path that is missing); an error body is step-ca's {"status","message"};
 * token_authorize_ex returns 0 with a grant or -1 without one.
 *
 * Seeds (corpus/fuzz_ssh_requests): requests of every route, and SSHPOP tokens whose header
 * holds a host certificate signed by the host CA key below (made with ssh-keygen -s).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "sshca/internal.h"

#include "ca_fixture.h"

#define INPUT_MAX (64 * 1024)

/* Throwaway P-256 keys of the fuzz CA's SSH CA (they protect nothing). */
static const char HOST_CA_KEY[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIDzU+GypvifQmjWKnBwfpjW32kNmHwHtsWNJvEJuHPxooAoGCCqGSM49\n"
    "AwEHoUQDQgAEovqZYC4nSkzBGcjXKdLwQy7mQEBvaQt6cdBuVzTQQ0ZKtsxpjqfg\n"
    "KOyetsYePwzYgX+K+tCOB/JBnb3b6RK4GA==\n"
    "-----END EC PRIVATE KEY-----\n";
static const char USER_CA_KEY[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEILu7vJDf72xT9SjnurvjjkS0m6TMXr+NeGOo5kjI//LZoAoGCCqGSM49\n"
    "AwEHoUQDQgAEvEJak6iesTRXFTzIr+wwggT+NGMydEr2kMub/XMjQdZRPEbqRELo\n"
    "9zHFpqT7Ax5KutXIUDvLFRmMSOAS8Fu8CQ==\n"
    "-----END EC PRIVATE KEY-----\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct authority *a;
static struct sshca *s;
static char *host_path, *user_path;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_ssh_requests: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

static void cleanup(void)
{
	sshca_free(s);
	authority_free(a);
	if (host_path != NULL)
		unlink(host_path);
	if (user_path != NULL)
		unlink(user_path);
	free(host_path);
	free(user_path);
	fx_cleanup();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *text = fx_ca_json();
	json_t *doc = json_loads(text, 0, NULL), *provs;
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct error err = {0};
	(void)argc;
	(void)argv;

	fx_files();
	host_path = path_join(fx_dir, "ssh_host_ca_key");
	user_path = path_join(fx_dir, "ssh_user_ca_key");
	if (file_write_atomic(host_path, HOST_CA_KEY, strlen(HOST_CA_KEY), 0600, &err) != 0 ||
	    file_write_atomic(user_path, USER_CA_KEY, strlen(USER_CA_KEY), 0600, &err) != 0)
		fail("the SSH CA keys", err.msg);
	json_object_set_new(doc, "ssh",
			    json_pack("{s:s, s:s, s:{s:s}}", "hostKey", host_path, "userKey",
				      user_path, "bastion", "hostname", "bastion.fuzz.test"));
	provs = json_object_get(json_object_get(doc, "authority"), "provisioners");
	json_object_set_new(json_object_get(json_array_get(provs, 0), "claims"), "enableSSHCA",
			    json_true());
	json_array_append_new(provs, json_pack("{s:s, s:s}", "type", "SSHPOP", "name", "sshpop"));
	free(text);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (ca_config_parse(text, strlen(text), "fuzz-ca.json", &cfg, &err) != 0 ||
	    store_open_memory(&store, &err) != 0 ||
	    authority_new(cfg, NULL, store, &a, &err) != 0 || sshca_new(a, NULL, &s, &err) != 0)
		fail("the authority", err.msg);
	free(text);
	atexit(cleanup);
	return 0;
}

struct answer {
	int calls;
	struct sshca_response *resp;
};

static void done_cb(void *arg, struct sshca_response *resp)
{
	struct answer *ans = arg;

	ans->calls++;
	ans->resp = resp;
}

static void check_answer(const struct answer *ans, const char *path)
{
	const struct sshca_response *r = ans->resp;
	static const int ok[] = {200, 201, 400, 401, 403, 404, 405, 413, 501};
	bool known = false;
	json_t *doc;

	if (ans->calls != 1 || r == NULL)
		fail("done", "not called exactly once before sshca_handle returned");
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		known |= r->status == ok[i];
	if (r->status == 500 && (strstr(path, "/ssh/hosts") != NULL || strstr(path, "/ssh/config")))
		known = true;
	if (!known)
		fail("unexpected status", r->body);
	if (r->status >= 400 && r->content_type != NULL &&
	    strcmp(r->content_type, "application/json") == 0) {
		doc = json_loadb(r->body, r->body_len, 0, NULL);
		if (!json_is_integer(json_object_get(doc, "status")) ||
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
	char *out = xmalloc(len + 1);

	memcpy(out, *p, len);
	out[len] = '\0';
	*p += nl != NULL ? len + 1 : len;
	*n -= nl != NULL ? len + 1 : len;
	return out;
}

static void one_request(const uint8_t *data, size_t size)
{
	char *method = line(&data, &size), *path = line(&data, &size);
	struct answer ans = {0};

	sshca_handle(
	    s,
	    &(struct sshca_request){.method = method, .path = path, .body = data, .body_len = size},
	    done_cb, &ans);
	check_answer(&ans, path);
	sshca_response_free(ans.resp);
	free(ans.resp);
	free(method);
	free(path);
}

static void one_token(const uint8_t *data, size_t size, unsigned which)
{
	static const enum token_op ops[] = {OP_SSH_SIGN, OP_SSH_RENEW, OP_SSH_REKEY, OP_SSH_REVOKE};
	struct token_options o = {.sshpop = &s->trust};
	struct token_grant g = {0};
	struct error err = {0};
	char *tok = xmalloc(size + 1);

	memcpy(tok, data, size);
	tok[size] = '\0';
	if (token_authorize_ex(a, tok, ops[which % 4], &o, &g, &err) == 0 ? g.prov == NULL
									  : g.prov != NULL)
		fail("token_authorize_ex", err.msg);
	token_grant_free(&g);
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_MAX)
		return 0;
	if (data[0] % 2 == 0)
		one_request(data + 1, size - 1);
	else
		one_token(data + 1, size - 1, data[0] / 2);
	return 0;
}
