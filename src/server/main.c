/* main.c - the stride-ca binary: flags, password, start-up messages (those of step-ca's command
 * line). */
#include <errno.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "sshca/sshca.h"
#include "ocsp/ocsp.h"
#include "server/router.h"
#include "authority/authority.h"
#include "authority/crl.h"
#include "base/audit.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/password.h"
#include "base/str.h"
#include "config/ca_config.h"
#include "config/defaults.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "server/metrics_http.h"
#include "server/reload.h"
#include "server/revocation_reload.h"
#include "server/server.h"
#include "store/store.h"

#ifndef STRIDE_VERSION
#define STRIDE_VERSION "0.0.0-dev"
#endif

#define USAGE_LINE   "stride-ca [<ca.json>]"
#define KEY_FILE_MAX (1024 * 1024)

static const char usage[] =
    "Usage: stride-ca [<ca.json>] [--password-file <file>] [--pidfile <file>] [--quiet]\n"
    "                 [--context <name>] [--help] [--version]\n"
    "\n"
    "Runs the stride online certificate authority: an HTTPS server speaking step-ca's API.\n"
    "\n"
    "  <ca.json>              the CA configuration (default $STRIDEPATH/config/ca.json)\n"
    "  --password-file <file> the password of the intermediate key (trailing whitespace\n"
    "                         is trimmed); else \"password\" in ca.json, else a prompt\n"
    "  --pidfile <file>       write the process id to <file> and remove it on exit\n"
    "  --quiet                no start-up information\n"
    "  --context <name>       the context whose configuration to use\n"
    "  --resolver <host:port> the DNS server for every ACME lookup (default: the system's)\n"
    "  --acme-http-port <n>   the port where http-01 challenges are checked (default 80)\n"
    "  --acme-tls-port <n>    the port where tls-alpn-01 challenges are checked (default 443)\n"
    "  --ssh-host-password-file <file>  the password of ca.json's ssh.hostKey (default: the\n"
    "                         intermediate's)\n"
    "  --ssh-user-password-file <file>  the password of ca.json's ssh.userKey (default: the\n"
    "                         intermediate's)\n"
    "  --insecure             accepted for step-ca's command lines (it requires it with the\n"
    "                         two port flags)\n"
    "  --help, -h             this help\n"
    "  --version, -v          the version\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop gracefully. SIGHUP reloads <ca.json> without dropping\n"
    "connections: provisioners, claims, tls and limits apply to new requests; other changed\n"
    "fields (address, root, crt, key, db, ...) are logged as needing a restart; a file with\n"
    "an error is logged and the running configuration is kept.\n";

/* step-ca flags stride-ca knows but does not implement yet; "value" ones take an argument. */
static const struct {
	const char *name;
	bool value;
} unsupported[] = {
    {"issuer-password-file", true},
    {"token", true},
    {"acme-strict-fqdn", false},
};

struct options {
	const char *config;
	const char *password_file;
	const char *pidfile;
	const char *context;
	const char *resolver;
	const char *acme_http_port;
	const char *acme_tls_port;
	const char *ssh_host_password_file;
	const char *ssh_user_password_file;
	bool insecure;
	bool quiet;
	bool help;
	bool version;
};

/* A start-up line in Go's log format ("2006/01/02 15:04:05 msg") on stderr. */
static void startup(const struct options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void startup(const struct options *o, const char *fmt, ...)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	if (o->quiet)
		return;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y/%m/%d %H:%M:%S", &tm);
	fprintf(stderr, "%s ", stamp);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Parses "--flag value", "--flag=value" (one or two dashes), positionals anywhere, "--". */
static int parse_args(int argc, char **argv, struct options *o, struct error *err)
{
	bool flags_done = false;

	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *name, *eq, *value = NULL;
		size_t nlen;

		if (flags_done || arg[0] != '-' || arg[1] == '\0') {
			if (o->config != NULL)
				return err_set(
				    err, ERR_INVALID,
				    "too many positional arguments were provided in '%s'",
				    USAGE_LINE);
			o->config = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			flags_done = true;
			continue;
		}
		name = arg + (arg[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if (eq != NULL)
			value = eq + 1;
#define IS(flag) (nlen == strlen(flag) && strncmp(name, flag, nlen) == 0)
		if (IS("help") || IS("h")) {
			o->help = true;
			continue;
		}
		if (IS("version") || IS("v")) {
			o->version = true;
			continue;
		}
		if (IS("quiet")) {
			if (value != NULL && strcmp(value, "true") != 0 &&
			    strcmp(value, "false") != 0)
				return err_set(err, ERR_INVALID,
					       "invalid boolean value '%s' for flag '--quiet'",
					       value);
			o->quiet = value == NULL || strcmp(value, "true") == 0;
			continue;
		}
		if (IS("insecure")) {
			o->insecure = value == NULL || strcmp(value, "true") == 0;
			continue;
		}
		for (size_t k = 0; k < sizeof(unsupported) / sizeof(unsupported[0]); k++)
			if (IS(unsupported[k].name))
				return err_set(err, ERR_NOT_IMPLEMENTED,
					       "flag '--%s' is not supported yet",
					       unsupported[k].name);
		{
			const char **slot =
			    IS("password-file")		   ? &o->password_file
			    : IS("pidfile")		   ? &o->pidfile
			    : IS("context")		   ? &o->context
			    : IS("resolver")		   ? &o->resolver
			    : IS("acme-http-port")	   ? &o->acme_http_port
			    : IS("acme-tls-port")	   ? &o->acme_tls_port
			    : IS("ssh-host-password-file") ? &o->ssh_host_password_file
			    : IS("ssh-user-password-file") ? &o->ssh_user_password_file
							   : NULL;
			if (slot == NULL)
				return err_set(err, ERR_INVALID,
					       "flag provided but not defined: %s", arg);
			if (value == NULL) {
				if (i + 1 >= argc)
					return err_set(err, ERR_INVALID,
						       "flag needs an argument: %s", arg);
				value = argv[++i];
			}
			*slot = value;
		}
#undef IS
	}
	return 0;
}

/* "https://host:port" with brackets for an IPv6 literal; malloc'd. */
static char *base_url(const char *host, int port)
{
	return xasprintf(strchr(host, ':') != NULL ? "https://[%s]:%d" : "https://%s:%d", host,
			 port);
}

static void print_startup(const struct options *o, struct authority *a, const struct sshca *ssh,
			  struct server *srv)
{
	const struct ca_config *cfg = authority_config(a);
	STACK_OF(X509) *roots = authority_roots(a);
	char *url = base_url(cfg->dns_names.n > 0 ? cfg->dns_names.v[0] : "localhost",
			     server_bound_port(srv));

	startup(o, "Starting stride-ca %s", STRIDE_VERSION);
	if (o->context != NULL)
		startup(o, "Current context: %s", o->context);
	startup(o, "Config file: %s", cfg->path != NULL ? cfg->path : o->config);
	startup(o, "The primary server URL is %s", url);
	startup(o, "Root certificates are available at %s/roots.pem", url);
	if (cfg->dns_names.n > 1) {
		struct buf others;

		buf_init(&others, 64 * 1024);
		for (size_t i = 1; i < cfg->dns_names.n; i++)
			buf_printf(&others, NULL, "%s%s", i > 1 ? ", " : "", cfg->dns_names.v[i]);
		startup(o, "Additional configured hostnames: %s",
			others.data != NULL ? (const char *)others.data : "");
		buf_free(&others);
	}
	for (int i = 0; i < sk_X509_num(roots); i++) {
		char fp[65];
		if (cert_fingerprint(sk_X509_value(roots, i), fp, NULL) == 0)
			startup(o, "X.509 Root Fingerprint: %s", fp);
	}
	{
		char *lines = sshca_startup_lines(ssh), *save = NULL;

		/* step-ca prints each with the key line's own newline: an empty line follows */
		for (char *l = lines != NULL ? strtok_r(lines, "\n", &save) : NULL; l != NULL;
		     l = strtok_r(NULL, "\n", &save))
			startup(o, "%s\n", l);
		free(lines);
	}
	startup(o, "Serving HTTPS on %s ...", server_bound_address(srv));
	free(url);
}

static int write_pidfile(const char *path, struct error *err)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());

	if (file_write_atomic(path, line, (size_t)n, 0644, err) != 0)
		return err_wrap(err, "cannot write the pid file %s", path);
	return 0;
}

/* A port flag: 1..65535. */
static int port_flag(const char *name, const char *v, int *out, struct error *err)
{
	long long n = 0;

	*out = 0;
	if (v == NULL)
		return 0;
	if (parse_int64(v, &n, NULL) != 0 || n < 1 || n > 65535)
		return err_set(err, ERR_INVALID, "invalid value '%s' for flag '--%s'", v, name);
	*out = (int)n;
	return 0;
}

/* The ACME engine (a database and an ACME provisioner: as step-ca, no ACME without both). */
static int start_acme(const struct options *o, struct authority *a, struct acme **out,
		      struct error *err)
{
	struct acme_options ao = {.resolver = o->resolver};

	if ((o->resolver != NULL && acme_resolver_check(o->resolver, err) != 0) ||
	    port_flag("acme-http-port", o->acme_http_port, &ao.http_port, err) != 0 ||
	    port_flag("acme-tls-port", o->acme_tls_port, &ao.tls_port, err) != 0)
		return -1;
	return acme_new(a, &ao, out, err);
}

/* The SSH CA of ca.json's "ssh" (*out NULL without one): the keys' passwords from their flags,
 * else the intermediate's (ca_password, else --password-file's, else ca.json's). */
static int start_ssh(const struct options *o, struct authority *a, const char *ca_password,
		     struct sshca **out, struct error *err)
{
	char *host = NULL, *user = NULL, *ca = NULL;
	struct sshca_options so = {0};
	int rc = -1;

	if ((o->ssh_host_password_file != NULL &&
	     password_read_file(o->ssh_host_password_file, &host, err) != 0) ||
	    (o->ssh_user_password_file != NULL &&
	     password_read_file(o->ssh_user_password_file, &user, err) != 0) ||
	    (ca_password == NULL && o->password_file != NULL &&
	     password_read_file(o->password_file, &ca, err) != 0))
		goto out;
	so.host_password = host;
	so.user_password = user;
	so.ca_password = ca_password != NULL ? ca_password
			 : ca != NULL	     ? ca
					     : authority_config(a)->password;
	rc = sshca_new(a, &so, out, err);
out:
	password_free(host);
	password_free(user);
	password_free(ca);
	return rc;
}

/* The three lines step prints when it cannot open the configuration. */
static bool config_readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Reload hook: a SIGHUP opens the audit file again at its path (after logrotate moved it).
 * A changed audit.path is not applied live (no section registered): it needs a restart. */
static int reopen_audit_on_reload(void *ctx, const struct server_reload_event *ev,
				  struct error *err)
{
	struct error e = {0};

	(void)ctx;
	(void)err;
	if (ev->phase == SERVER_RELOAD_BEGIN && audit_reopen(&e) != 0)
		log_msg(LOG_ERROR, "reload: the audit file stays as it was", "error", e.msg, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct error err = {0};
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct store_config db;
	struct authority *a = NULL;
	struct server *srv = NULL;
	struct metrics_http *metrics = NULL;
	struct server_options sopts = {0};
	struct acme *acme = NULL;
	struct sshca *ssh = NULL;
	struct crl_service *crl = NULL; /* owned by the store */
	struct ocsp_responder *ocsp = NULL;
	struct revocation_reload rr = {0};
	char *config_path = NULL;
	char *password = NULL;
	bool pidfile_written = false;
	int status = 1;

	evthread_use_pthreads(); /* before any event_base exists */
	if (parse_args(argc, argv, &o, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		if (err.kind == ERR_INVALID)
			fprintf(stderr, "Run 'stride-ca --help' for usage.\n");
		return 1;
	}
	if (o.help) {
		fputs(usage, stdout);
		return 0;
	}
	if (o.version) {
		printf("stride-ca %s\n", STRIDE_VERSION);
		return 0;
	}
	if (o.config != NULL) {
		config_path = xstrdup(o.config);
	} else {
		char *base = NULL;

		if (stride_effective_path(o.context, &base, &err) != 0)
			goto fail;
		config_path = path_join(base, "config/ca.json");
		free(base);
	}
	if (!config_readable(config_path)) {
		fprintf(stderr, "stride-ca can't find or open the configuration file for your CA.\n"
				"You may need to create a CA first by running `stride ca init`.\n"
				"Documentation: see README.md\n");
		goto out;
	}
	if (ca_config_load(config_path, &cfg, &err) != 0)
		goto fail;
	log_configure(LOG_INFO,
		      !(cfg->logger_format != NULL && strcmp(cfg->logger_format, "text") == 0));
	if (key_file_password(cfg->key, o.password_file, cfg->password, &password, &err) != 0)
		goto fail;
	db = (struct store_config){cfg->db_type, cfg->db_data_source, cfg->db_database};
	if (cfg->has_db ? store_open(&db, &store, &err) != 0 : store_open_memory(&store, &err) != 0)
		goto fail;
	if (crl_service_wrap(cfg, &store, &crl, &err) != 0)
		goto fail;
	if (authority_new(cfg, password, store, &a, &err) != 0)
		goto fail;
	cfg = NULL; /* owned by the authority now */
	store = NULL;
	if (crl != NULL && crl_service_start(crl, a, &err) != 0)
		goto fail;
	if (start_ssh(&o, a, password, &ssh, &err) != 0)
		goto fail;
	password_free(password);
	password = NULL;
	/* With remote administration an ACME provisioner may be added at any time. */
	if (authority_has_db(a) &&
	    (authority_admin_enabled(a) || authority_acme_provisioner_count(a) > 0) &&
	    start_acme(&o, a, &acme, &err) != 0)
		goto fail;
	if (ocsp_responder_new(a, &ocsp, &err) != 0)
		goto fail;
	if (ocsp != NULL && router_path_taken(ocsp_responder_path(ocsp))) {
		err_set(&err, ERR_INVALID, "ocsp.path \"%s\" is a route of stride-ca already",
			ocsp_responder_path(ocsp));
		goto fail;
	}
	sopts.acme = acme;
	sopts.ssh = ssh;
	sopts.ocsp = ocsp;
	if (server_new(a, &sopts, &srv, &err) != 0)
		goto fail;
	if (audit_open(authority_config(a)->audit_path, &err) != 0 ||
	    (authority_config(a)->metrics_address != NULL &&
	     metrics_http_start(authority_config(a)->metrics_address, &metrics, &err) != 0))
		goto fail;
	server_reload_register(srv, NULL, reopen_audit_on_reload, NULL);
	rr = (struct revocation_reload){a, crl, ocsp};
	revocation_reload_register(srv, &rr);
	print_startup(&o, a, ssh, srv);
	if (o.pidfile != NULL) {
		if (write_pidfile(o.pidfile, &err) != 0)
			goto fail;
		pidfile_written = true;
	}
	if (server_run(srv, &err) != 0)
		goto fail;
	status = 0;
	goto out;
fail:
	fprintf(stderr, "%s\n", err.msg);
out:
	if (pidfile_written)
		unlink(o.pidfile);
	metrics_http_free(metrics);
	server_free(srv);
	audit_close();
	ocsp_responder_free(ocsp);
	acme_free(acme);
	sshca_free(ssh);
	authority_free(a);
	store_close(store);
	ca_config_free(cfg);
	password_free(password);
	free(config_path);
	return status;
}
