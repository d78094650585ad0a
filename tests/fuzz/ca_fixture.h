/* ca_fixture.h - a small certificate authority on disk for the fuzz targets that need one.
 *
 * The CA (root, intermediate, a JWK provisioner with its encrypted key, an X5C provisioner
 * trusting the root, an ACME provisioner) comes from ca_fixture_data.h: throwaway test keys,
 * valid until 2100, so seeds made with them keep working. The files are written once per
 * process to a fresh /tmp/stride-fuzz-XXXXXX directory that is removed at exit.
 */
#ifndef STRIDE_FUZZ_CA_FIXTURE_H
#define STRIDE_FUZZ_CA_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authority/authority.h"
#include "base/b64.h"
#include "base/str.h"
#include "config/ca_config.h"
#include "store/store.h"

#include "ca_fixture_data.h"

#define FX_UNUSED __attribute__((unused))

/* What tokens for the fixture CA carry. */
#define FX_AUDIENCE  "https://ca.fuzz.test:9000"
#define FX_PROV_NAME "fuzz@example.com"
#define FX_X5C_NAME  "x5c"

static char fx_dir[32];
static char *fx_root_path, *fx_crt_path, *fx_key_path;

static void fx_cleanup(void)
{
	char **paths[] = {&fx_root_path, &fx_crt_path, &fx_key_path};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (*paths[i] != NULL)
			unlink(*paths[i]);
		free(*paths[i]);
		*paths[i] = NULL;
	}
	if (fx_dir[0] != '\0')
		rmdir(fx_dir);
	fx_dir[0] = '\0';
}

static char *fx_write(const char *name, const char *data)
{
	char *path = xasprintf("%s/%s", fx_dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(data, f) < 0 || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}

/* Writes the CA's files (once). */
static void fx_files(void)
{
	if (fx_root_path != NULL)
		return;
	snprintf(fx_dir, sizeof(fx_dir), "/tmp/stride-fuzz-XXXXXX");
	if (mkdtemp(fx_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(fx_cleanup);
	fx_root_path = fx_write("root_ca.crt", FX_ROOT_PEM);
	fx_crt_path = fx_write("intermediate_ca.crt", FX_INTER_PEM);
	fx_key_path = fx_write("intermediate_ca_key", FX_INTER_KEY_PEM);
}

/* The fixture's ca.json; malloc'd. */
FX_UNUSED static char *fx_ca_json(void)
{
	json_t *jwk, *doc;
	char *roots, *text;

	fx_files();
	jwk = json_loads(FX_PROV_JWK, 0, NULL);
	roots = b64_encode(FX_ROOT_PEM, strlen(FX_ROOT_PEM));
	doc = json_pack("{s:s, s:s, s:s, s:s, s:[s,s], s:{s:s},"
			" s:{s:b, s:[{s:s, s:s, s:o, s:s, s:{s:b, s:s}},"
			" {s:s, s:s, s:s, s:{s:b}}, {s:s, s:s}]}}",
			"root", fx_root_path, "crt", fx_crt_path, "key", fx_key_path, "address",
			"127.0.0.1:9000", "dnsNames", "ca.fuzz.test", "127.0.0.1", "logger",
			"format", "text", "authority", "disableIssuedAtCheck", 1, "provisioners",
			"type", "JWK", "name", FX_PROV_NAME, "key", jwk, "encryptedKey",
			FX_PROV_JWE, "claims", "allowRenewalAfterExpiry", 1, "maxTLSCertDuration",
			"876000h", "type", "X5C", "name", FX_X5C_NAME, "roots", roots, "claims",
			"allowRenewalAfterExpiry", 1, "type", "ACME", "name", "acme");
	if (doc == NULL)
		abort();
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	free(roots);
	return text;
}

/* Points a parsed configuration at the fixture's root, intermediate and key (so any ca.json
 * can become an authority). */
FX_UNUSED static void fx_config_use_files(struct ca_config *cfg)
{
	fx_files();
	strv_free(&cfg->roots);
	strv_push(&cfg->roots, fx_root_path);
	strv_free(&cfg->federated_roots);
	free(cfg->crt);
	cfg->crt = xstrdup(fx_crt_path);
	free(cfg->key);
	cfg->key = xstrdup(fx_key_path);
}

/* A new authority over the fixture CA with an in-memory store; aborts on failure. */
FX_UNUSED static struct authority *fx_authority_new(void)
{
	char *text = fx_ca_json();
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct authority *a = NULL;
	struct error err = {0};

	if (ca_config_parse(text, strlen(text), "fuzz-ca.json", &cfg, &err) != 0 ||
	    store_open_memory(&store, &err) != 0 ||
	    authority_new(cfg, NULL, store, &a, &err) != 0) {
		fprintf(stderr, "ca_fixture: %s\n", err.msg);
		abort();
	}
	free(text);
	return a;
}

/* A store in front of a memory store that commits no issuance: the token and the certificate
 * of a sign, renew, rekey or Kyma renewal are reported committed but not recorded, so that
 * a valid seed token stays usable for every input. Revocations go to the memory store (which
 * refuses them: 501). */
struct fx_dry_store {
	struct store base;
	struct store *inner;
};

static int fx_dry_token_used(struct store *s, const char *key, bool *used, struct error *err)
{
	struct store *in = ((struct fx_dry_store *)s)->inner;

	return in->ops->token_used(in, key, used, err);
}

static void fx_dry_submit(struct store *s, struct store_txn *t)
{
	struct store *in = ((struct fx_dry_store *)s)->inner;

	if (t->has_revocation) {
		in->ops->submit(in, t);
		return;
	}
	t->rc = 0;
	store_txn_clear_results(t);
	t->done(t, t->done_arg);
}

static int fx_dry_get_cert_provisioner(struct store *s, const char *serial, bool *found,
				       char **prov_name, char **prov_type, struct error *err)
{
	struct store *in = ((struct fx_dry_store *)s)->inner;

	return in->ops->get_cert_provisioner(in, serial, found, prov_name, prov_type, err);
}

static int fx_dry_is_revoked(struct store *s, const char *serial, bool *revoked, struct error *err)
{
	struct store *in = ((struct fx_dry_store *)s)->inner;

	return in->ops->is_revoked(in, serial, revoked, err);
}

static void fx_dry_close(struct store *s)
{
	store_close(((struct fx_dry_store *)s)->inner);
	free(s);
}

FX_UNUSED static const struct store_ops fx_dry_ops = {
    .token_used = fx_dry_token_used,
    .submit = fx_dry_submit,
    .get_cert_provisioner = fx_dry_get_cert_provisioner,
    .is_revoked = fx_dry_is_revoked,
    .close = fx_dry_close,
};

/* fx_authority_new over a store that commits no issuance (struct fx_dry_store). */
FX_UNUSED static struct authority *fx_authority_new_dry(void)
{
	char *text = fx_ca_json();
	struct ca_config *cfg = NULL;
	struct fx_dry_store *dry = xcalloc(1, sizeof(*dry));
	struct authority *a = NULL;
	struct error err = {0};

	dry->base.ops = &fx_dry_ops;
	if (ca_config_parse(text, strlen(text), "fuzz-ca.json", &cfg, &err) != 0 ||
	    store_open_memory(&dry->inner, &err) != 0 ||
	    authority_new(cfg, NULL, &dry->base, &a, &err) != 0) {
		fprintf(stderr, "ca_fixture: %s\n", err.msg);
		abort();
	}
	free(text);
	return a;
}

#endif
