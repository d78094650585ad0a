/* pki.c - the files of a new CA: keys, certificates, provisioner, configuration. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/duration.h"
#include "base/file.h"
#include "base/password.h"
#include "authority/authority.h"
#include "cli/pki.h"
#include "config/ca_config.h"
#include "crypto/cert.h"
#include "crypto/signer.h"
#include "crypto/x509build.h"
#include "jose/jwe.h"
#include "jose/jwk.h"
#include "store/store.h"

#define CA_VALIDITY (87600 * NS_PER_HOUR) /* 10 years of 365 days, as step */

void pki_result_free(struct pki_result *r)
{
	if (r == NULL)
		return;
	free(r->root_crt);
	free(r->root_key);
	free(r->intermediate_crt);
	free(r->intermediate_key);
	free(r->db_dir);
	free(r->defaults_json);
	free(r->ca_json);
	free(r->ca_url);
	free(r->ssh_host_key);
	free(r->ssh_host_pub);
	free(r->ssh_user_key);
	free(r->ssh_user_pub);
	free(r->templates_dir);
	memset(r, 0, sizeof(*r));
}

char *pki_default_ca_url(const char *dns0, const char *address)
{
	const char *colon = strrchr(address, ':');
	const char *port = colon != NULL ? colon + 1 : "";
	bool v6 = strchr(dns0, ':') != NULL;

	if (port[0] == '\0' || strcmp(port, "443") == 0)
		return xasprintf(v6 ? "https://[%s]" : "https://%s", dns0);
	return xasprintf(v6 ? "https://[%s]:%s" : "https://%s:%s", dns0, port);
}

/* Writes a certificate as one PEM block, mode 0600. */
static int write_cert(const char *path, X509 *cert, struct error *err)
{
	char *pem = NULL;
	int rc;

	if (cert_to_pem(cert, &pem, err) != 0)
		return -1;
	rc = file_write_atomic(path, pem, strlen(pem), 0600, err);
	free(pem);
	return rc;
}

/* Writes a private key encrypted with password in step's format, mode 0600. */
static int write_key(const char *path, EVP_PKEY *key, const char *password, struct error *err)
{
	char *pem = NULL;
	int rc;

	if (key_private_to_pem(key, password, &pem, err) != 0)
		return -1;
	rc = file_write_atomic(path, pem, strlen(pem), 0600, err);
	password_free(pem);
	return rc;
}

/* Loads an existing root (--root/--key): the certificate and its decrypted key. */
static int load_root(const struct pki_params *p, X509 **crt, EVP_PKEY **key, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = -1;

	if (cert_load_file(p->root_crt, crt, err) != 0)
		return -1;
	if (file_read(p->root_key, 1024 * 1024, &data, &len, err) != 0)
		return -1;
	if (key_parse_private(data, len, p->root_key_password, key, err) != 0) {
		err_wrap(err, "error reading %s", p->root_key);
		goto out;
	}
	if (!key_public_equal(*key, X509_get0_pubkey(*crt))) {
		err_set(err, ERR_INVALID, "the key %s does not match the certificate %s",
			p->root_key, p->root_crt);
		goto out;
	}
	rc = 0;
out:
	secure_wipe(data, len);
	free(data);
	return rc;
}

/* Creates (or loads) the root and issues the intermediate; writes both. */
static int make_ca_certs(const struct pki_params *p, struct pki_result *r, struct error *err)
{
	EVP_PKEY *root_key = NULL, *int_key = NULL;
	X509 *root = NULL, *inter = NULL;
	struct signer *root_signer = NULL;
	int64_t now = time_now_ns();
	char *cn = NULL;
	int rc = -1;

	if (p->root_crt != NULL) {
		if (load_root(p, &root, &root_key, err) != 0)
			goto out;
	} else if (key_generate(&p->key_spec, &root_key, err) != 0) {
		goto out;
	}
	EVP_PKEY_up_ref(root_key);
	root_signer = signer_file_new(root_key);
	if (root == NULL) {
		cn = xasprintf("%s Root CA", p->name);
		if (x509_issue_ca(cn, p->name, root_key, NULL, root_signer, 1, now,
				  now + CA_VALIDITY, &root, err) != 0)
			goto out;
		free(cn);
		cn = NULL;
	}
	if (key_generate(&p->key_spec, &int_key, err) != 0)
		goto out;
	cn = xasprintf("%s Intermediate CA", p->name);
	if (x509_issue_ca(cn, p->name, int_key, root, root_signer, 0, now, now + CA_VALIDITY,
			  &inter, err) != 0)
		goto out;
	if (write_cert(r->root_crt, root, err) != 0 ||
	    (p->root_crt == NULL && write_key(r->root_key, root_key, p->password, err) != 0) ||
	    write_cert(r->intermediate_crt, inter, err) != 0 ||
	    write_key(r->intermediate_key, int_key, p->password, err) != 0 ||
	    cert_fingerprint(root, r->fingerprint, err) != 0)
		goto out;
	r->root_key_written = p->root_crt == NULL;
	rc = 0;
out:
	free(cn);
	signer_free(root_signer);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(int_key);
	X509_free(root);
	X509_free(inter);
	return rc;
}

static json_t *default_tls(void)
{
	return json_pack("{s:[s,s], s:f, s:f, s:b}", "cipherSuites",
			 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
			 "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "minVersion", 1.2, "maxVersion",
			 1.3, "renegotiation", false);
}

/* Writes ca.json; *provs_out gets the provisioners (new reference), which ca.json lists unless
 * remote management keeps them in the database. */
static int write_ca_json(const struct pki_params *p, const struct pki_result *r, json_t **provs_out,
			 struct error *err)
{
	json_t *doc, *dns = json_array(), *prov, *provs;
	char *db_file = NULL;
	bool pg = p->db_type != NULL && strcmp(p->db_type, "sqlite") != 0;
	int rc;

	prov = provisioner_jwk_create(
	    p->provisioner, p->provisioner_password != NULL ? p->provisioner_password : p->password,
	    err);
	if (prov == NULL) {
		json_decref(dns);
		return -1;
	}
	for (size_t i = 0; i < p->dns->n; i++)
		json_array_append_new(dns, json_string(p->dns->v[i]));
	doc = json_pack("{s:s, s:n, s:s, s:s, s:s, s:s, s:o}", "root", r->root_crt,
			"federatedRoots", "crt", r->intermediate_crt, "key", r->intermediate_key,
			"address", p->address, "insecureAddress", "", "dnsNames", dns);
	if (p->ssh)
		json_object_set_new(doc, "ssh", pki_ssh_config(r));
	json_object_set_new(doc, "logger", json_pack("{s:s}", "format", "json"));
	if (!p->no_db) {
		json_t *db;
		db_file = p->db_source != NULL ? xstrdup(p->db_source)
					       : path_join(r->db_dir, "stride.db");
		/* type, dataSource, then the others: the order step writes */
		db = json_pack("{s:s, s:s}", "type", p->db_type != NULL ? p->db_type : "sqlite",
			       "dataSource", db_file);
		if (p->db_name != NULL)
			json_object_set_new(db, "database", json_string(p->db_name));
		json_object_set_new(doc, "db", db);
	}
	if (p->ssh) /* step's init: the first provisioner may sign SSH certificates */
		json_object_set_new(prov, "claims", json_pack("{s:b}", "enableSSHCA", 1));
	provs = json_pack("[o]", prov);
	if (p->acme) {
		/* step's init: "acme", or "acme-1" when the first provisioner has that name */
		const char *name = strcmp(p->provisioner, "acme") == 0 ? "acme-1" : "acme";
		json_array_append_new(provs, json_pack("{s:s, s:s}", "type", "ACME", "name", name));
	}
	if (p->ssh)
		json_array_append_new(provs,
				      json_pack("{s:s, s:s, s:{s:b}}", "type", "SSHPOP", "name",
						"sshpop", "claims", "enableSSHCA", 1));
	*provs_out = json_incref(provs);
	if (p->remote_management) { /* step: the provisioners live in the database */
		json_object_set_new(doc, "authority", json_pack("{s:b}", "enableAdmin", 1));
		json_decref(provs);
	} else {
		json_object_set_new(doc, "authority", json_pack("{s:o}", "provisioners", provs));
	}
	json_object_set_new(doc, "tls", default_tls());
	if (p->ssh)
		json_object_set_new(doc, "templates", pki_ssh_templates());
	/* A PostgreSQL URL may carry a password: only the CA's user may read it. */
	rc = config_write_json(r->ca_json, doc, 1, pg ? 0600 : 0644, err);
	json_decref(doc);
	free(db_file);
	return rc;
}

/* Stores the provisioners and the first super admin in the database of the new ca.json. */
static int bootstrap_admin(const struct pki_params *p, const struct pki_result *r,
			   const json_t *provs, struct error *err)
{
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct authority *a = NULL;
	struct store_config db;
	bool done = false;
	int rc = -1;

	if (ca_config_load(r->ca_json, &cfg, err) != 0)
		goto out;
	db = (struct store_config){cfg->db_type, cfg->db_data_source, cfg->db_database};
	if (store_open(&db, &store, err) != 0 || authority_new_admin(cfg, store, &a, err) != 0)
		goto out;
	cfg = NULL;
	store = NULL;
	if (authority_admin_bootstrap(a, provs, p->admin_subject, &done, err) != 0)
		goto out;
	if (!done) {
		err_set(err, ERR_CONFLICT,
			"the database of %s has provisioners already: remove it or use another one",
			r->ca_json);
		goto out;
	}
	rc = 0;
out:
	authority_free(a);
	store_close(store);
	ca_config_free(cfg);
	return rc;
}

static int write_defaults_json(const struct pki_result *r, struct error *err)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "ca-url", r->ca_url, "ca-config",
				r->ca_json, "fingerprint", r->fingerprint, "root", r->root_crt);
	int rc = config_write_json(r->defaults_json, doc, 1, 0644, err);

	json_decref(doc);
	return rc;
}

static int make_dirs(const char *base, struct error *err)
{
	static const char *const dirs[] = {"certs", "secrets", "config", "db", NULL};

	if (file_mkdir_p(base, 0700, err) != 0)
		return -1;
	for (size_t i = 0; dirs[i] != NULL; i++) {
		char *d = path_join(base, dirs[i]);
		int rc = file_mkdir_p(d, 0700, err);
		free(d);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int pki_init(const struct pki_params *p, struct pki_result *r, struct error *err)
{
	char *base = path_absolute(p->base_path);
	json_t *provs = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (p->dns == NULL || p->dns->n == 0) {
		err_set(err, ERR_INVALID, "at least one DNS name or IP address is required");
		goto out;
	}
	r->root_crt = path_join(base, "certs/root_ca.crt");
	r->root_key = path_join(base, "secrets/root_ca_key");
	r->intermediate_crt = path_join(base, "certs/intermediate_ca.crt");
	r->intermediate_key = path_join(base, "secrets/intermediate_ca_key");
	r->db_dir = path_join(base, "db");
	r->defaults_json = path_join(base, "config/defaults.json");
	r->ca_json = path_join(base, "config/ca.json");
	r->ca_url =
	    p->ca_url != NULL ? xstrdup(p->ca_url) : pki_default_ca_url(p->dns->v[0], p->address);
	if (make_dirs(base, err) != 0 || make_ca_certs(p, r, err) != 0)
		goto out;
	if (p->ssh && pki_ssh_keys(base, p->password, r, err) != 0)
		goto out;
	if (!p->pki_only &&
	    (write_ca_json(p, r, &provs, err) != 0 || write_defaults_json(r, err) != 0))
		goto out;
	if (!p->pki_only && p->ssh && pki_ssh_write_templates(r, err) != 0)
		goto out;
	if (!p->pki_only && p->remote_management && bootstrap_admin(p, r, provs, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(provs);
	free(base);
	return rc;
}
