/* pki.h - creating a CA tree like `step ca init` (ca.json, defaults.json, certificates). */
#ifndef STRIDE_CLI_PKI_H
#define STRIDE_CLI_PKI_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/str.h"
#include "crypto/key.h"

struct pki_params {
	const char *base_path;		  /* effective $STRIDEPATH; created if missing */
	const char *name;		  /* the PKI name: "<name> Root CA", O=<name> */
	const struct strv *dns;		  /* dnsNames, at least one */
	const char *address;		  /* host:port the CA binds to */
	const char *provisioner;	  /* name of the first JWK provisioner */
	const char *password;		  /* encrypts the CA keys */
	const char *provisioner_password; /* encrypts the provisioner key; NULL = password */
	struct key_spec key_spec;	  /* CA key type (EC P-256 by default) */
	const char *root_crt;		  /* existing root certificate (--root) or NULL */
	const char *root_key;		  /* its key (--key) */
	const char *root_key_password;	  /* its password, may be NULL */
	bool pki_only;			  /* --pki: keys and certificates only */
	bool no_db;			  /* --no-db */
	bool acme;			  /* --acme: an ACME provisioner after the JWK one */
	const char *db_type;		  /* "db" type (--db-type) or NULL = sqlite */
	const char *db_source;		  /* its dataSource or NULL = <base>/db/stride.db */
	const char *db_name;		  /* its "database" or NULL = none */
	const char *ca_url;		  /* --with-ca-url, or NULL to derive it */
	bool remote_management;		  /* --remote-management: "enableAdmin": true, the
					   * provisioners in the database, not in ca.json */
	const char *admin_subject;	  /* --admin-subject: the first super admin ("step" when
					   * NULL) */
	bool ssh;			  /* --ssh: SSH host and user CA keys, "ssh" and
					   * "templates" in ca.json, enableSSHCA on the JWK
					   * provisioner and an SSHPOP provisioner "sshpop" */
};

/* What was written, for the messages `ca init` prints. All strings malloc'd. */
struct pki_result {
	char *root_crt, *root_key, *intermediate_crt, *intermediate_key;
	char *db_dir, *defaults_json, *ca_json;
	char *ssh_host_key, *ssh_host_pub, *ssh_user_key, *ssh_user_pub; /* with --ssh */
	char *templates_dir;						 /* with --ssh */
	char fingerprint[65];
	char *ca_url;
	bool root_key_written; /* false with --root/--key */
};
void pki_result_free(struct pki_result *r);

/* Creates keys, certificates, the provisioner, ca.json and defaults.json; with
 * remote_management stores the provisioners and the first super admin in the new database
 * (authority_admin_bootstrap) instead of ca.json. */
int pki_init(const struct pki_params *p, struct pki_result *out, struct error *err);

/* The ca-url `ca init` derives: https://<dns[0]>[:port], port omitted when 443, IPv6 in
 * brackets; malloc'd. */
char *pki_default_ca_url(const char *dns0, const char *address);

/* For pki.c (pki_ssh.c): the SSH part of the tree. */
/* Generates the host and user CA keys (EC P-256): secrets/ssh_{host,user}_ca_key encrypted
 * with password, certs/ssh_{host,user}_ca_key.pub one authorized_keys line each; sets the
 * ssh_* paths and templates_dir of r. */
int pki_ssh_keys(const char *base, const char *password, struct pki_result *r, struct error *err);
/* ca.json's "ssh" object: {"hostKey", "userKey"}. New reference. */
json_t *pki_ssh_config(const struct pki_result *r);
/* ca.json's "templates" object: the default user and host SSH templates. New reference. */
json_t *pki_ssh_templates(void);
/* Writes the template files under templates_dir/ssh/ (mode 0644). */
int pki_ssh_write_templates(const struct pki_result *r, struct error *err);

#endif
