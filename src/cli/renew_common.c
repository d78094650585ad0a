/* renew_common.c - the parts of `ca renew` and `ca rekey` they share. */
#include "cli/issue.h"
#include "cli/renew_common.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authority/authority.h"
#include "base/buf.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/password.h"
#include "base/str.h"
#include "cli/daemon.h"
#include "cli/offline.h"
#include "cli/ui.h"
#include "client/ca_client.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/csr.h"

extern char **environ;

#define PID_FILE_MAX (4u * 1024u)
#define KEY_FILE_MAX (1024u * 1024u)

/* --- flags ------------------------------------------------------------------------------------ */

/* A positive int flag value; invalid value error otherwise. */
static int positive_int(const char *flag, const char *v, long long *out, struct error *err)
{
	if (parse_int64(v, out, NULL) != 0 || *out <= 0 || *out > INT32_MAX)
		return cli_err_invalid(err, flag, v, NULL);
	return 0;
}

static int read_pid_file(const char *path, pid_t *pid, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	long long v;
	char *s;
	int rc = -1;

	if (file_read(path, PID_FILE_MAX, &data, &len, err) != 0)
		return -1;
	s = str_trim((char *)data);
	if (parse_int64(s, &v, NULL) != 0 || v > INT32_MAX || v < INT32_MIN) {
		err_set(err, ERR_INVALID, "error converting %s to integer process id", s);
		goto out;
	}
	if (v <= 0) {
		cli_err_invalid(err, "pid-file", s, NULL);
		goto out;
	}
	*pid = (pid_t)v;
	rc = 0;
out:
	free(data);
	return rc;
}

static int parse_duration_flag(struct cli_ctx *ctx, const char *flag, int64_t *out,
			       struct error *err)
{
	const char *v = flag_str(ctx, flag);

	*out = 0;
	if (v == NULL)
		return 0;
	if (duration_parse(v, out, NULL) != 0)
		return cli_err_invalid(err, flag, v, NULL);
	return 0;
}

int renew_opts_parse(struct cli_ctx *ctx, bool rekey, struct renew_opts *o, struct error *err)
{
	const char *pid = flag_str(ctx, "pid"), *pid_file = flag_str(ctx, "pid-file");
	const char *sig = flag_str(ctx, "signal"), *exec = flag_str(ctx, "exec");
	char *root = NULL;
	long long v;

	memset(o, 0, sizeof(*o));
	o->rekey = rekey;
	o->period_flag = rekey ? "rekey-period" : "renew-period";
	o->signal = SIGHUP;
	o->daemon = flag_bool(ctx, "daemon");
	o->offline = flag_bool(ctx, "offline");
	o->mtls = rekey || flag_bool(ctx, "mtls");
	if (flag_str(ctx, "kms") != NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED,
			       "flag '--kms' is not supported yet: keys in a KMS or HSM come with "
			       "a later release");
	if (!o->offline) {
		if (cli_ca_url(ctx, &o->ca_url, err) != 0 || cli_root_file(ctx, &root, err) != 0)
			goto fail;
		free(root);
	}
	if (parse_duration_flag(ctx, "expires-in", &o->expires_in, err) != 0 ||
	    parse_duration_flag(ctx, o->period_flag, &o->period, err) != 0)
		goto fail;
	if (o->expires_in > 0 && o->period > 0) {
		cli_err_incompatible(err, "expires-in", o->period_flag);
		goto fail;
	}
	if (o->period > 0 && !o->daemon) {
		cli_err_requires(err, o->period_flag, "daemon");
		goto fail;
	}
	if (pid != NULL && pid_file != NULL) {
		cli_err_exclusive(err, "pid", "pid-file");
		goto fail;
	}
	if (pid != NULL) {
		if (positive_int("pid", pid, &v, err) != 0)
			goto fail;
		o->pid = (pid_t)v;
	}
	if (pid_file != NULL && read_pid_file(pid_file, &o->pid, err) != 0)
		goto fail;
	if (sig != NULL) {
		if (positive_int("signal", sig, &v, err) != 0)
			goto fail;
		o->signal = (int)v;
	}
	if (exec != NULL) {
		char *copy = xstrdup(exec), *t = str_trim(copy);
		if (*t != '\0')
			o->exec = xstrdup(t);
		free(copy);
	}
	return 0;
fail:
	renew_opts_free(o);
	return -1;
}

void renew_opts_free(struct renew_opts *o)
{
	if (o == NULL)
		return;
	free(o->exec);
	free(o->ca_url);
	o->exec = NULL;
	o->ca_url = NULL;
}

bool renew_is_kms_uri(const char *s)
{
	static const char *const prefixes[] = {
	    "pkcs11:", "yubikey:",     "tpmkms:", "awskms:", "cloudkms:", "azurekms:",
	    "capi:",   "sshagentkms:", "mackms:", "kms:",    NULL};

	if (s == NULL || file_exists(s))
		return false;
	for (size_t i = 0; prefixes[i] != NULL; i++)
		if (str_has_prefix(s, prefixes[i]))
			return true;
	return false;
}

/* --- the certificate and its key -------------------------------------------------------------- */

void renew_creds_free(struct renew_creds *c)
{
	if (c == NULL)
		return;
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	c->chain = NULL;
	c->key = NULL;
}

/* key_load_file that never prompts: a daemon has no one to ask (the caller asked at start-up). */
static int load_key_quietly(const char *path, const char *password_file, const char *password,
			    EVP_PKEY **out, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	bool encrypted;

	if (file_read(path, KEY_FILE_MAX, &data, &len, err) != 0)
		return -1;
	encrypted = key_pem_is_encrypted(data, len);
	secure_wipe(data, len);
	free(data);
	if (encrypted && password_file == NULL && password == NULL)
		return err_set(err, ERR_INVALID,
			       "the key %s is encrypted and no password is known; use "
			       "--password-file",
			       path);
	return key_load_file(path, password_file, password, out, err);
}

int renew_creds_load(const char *crt_file, const char *key_file, const char *password_file,
		     const char *password, struct renew_creds *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	if (cert_load_chain_file(crt_file, &out->chain, err) != 0 ||
	    load_key_quietly(key_file, password_file, password, &out->key, err) != 0)
		goto fail;
	if (!key_public_equal(out->key, X509_get0_pubkey(sk_X509_value(out->chain, 0)))) {
		err_set(err, ERR_INVALID, "certificate %s and key %s do not match", crt_file,
			key_file);
		goto fail;
	}
	return 0;
fail:
	renew_creds_free(out);
	return -1;
}

static char *fmt_round(int64_t d, char *buf, size_t n)
{
	return duration_format(duration_round(d, NS_PER_SEC), buf, n);
}

int renew_check_validity(const struct renew_opts *o, X509 *leaf, struct error *err)
{
	int64_t validity = cert_not_after_ns(leaf) - cert_not_before_ns(leaf);
	char a[64], b[64];

	if (o->period > 0 && o->period >= validity)
		return err_set(err, ERR_INVALID,
			       "flag '--%s' must be within (lower than) the certificate validity "
			       "period; %s=%s, cert-validity-period=%s",
			       o->period_flag, o->period_flag,
			       duration_format(o->period, a, sizeof(a)),
			       duration_format(validity, b, sizeof(b)));
	if (o->expires_in > 0 && o->expires_in > validity)
		return err_set(err, ERR_INVALID,
			       "flag '--expires-in' must be within (lower than) the certificate "
			       "validity period; expires-in=%s, cert-validity-period=%s",
			       duration_format(o->expires_in, a, sizeof(a)),
			       duration_format(validity, b, sizeof(b)));
	return 0;
}

bool renew_skip_early(const struct renew_opts *o, X509 *leaf)
{
	int64_t now = time_now_ns(), not_after = cert_not_after_ns(leaf);
	char d[64];

	if (!daemon_too_early(now, not_after, o->expires_in, daemon_random()))
		return false;
	ui_info("certificate not %s: expires in %s", o->rekey ? "rekeyed" : "renewed",
		fmt_round(not_after - now, d, sizeof(d)));
	return true;
}

/* --- the CA end ------------------------------------------------------------------------------- */

struct renew_ca {
	struct ca_client *client; /* online */
	struct authority *auth;	  /* offline */
	char *url;		  /* https://host[:port] for token audiences */
};

int renew_ca_open(struct cli_ctx *ctx, const struct renew_opts *o, struct renew_ca **out,
		  struct error *err)
{
	struct renew_ca *ca = xcalloc(1, sizeof(*ca));

	*out = NULL;
	if (o->offline) {
		if (offline_authority_open(flag_str(ctx, "ca-config"),
					   flag_str(ctx, "password-file"), &ca->auth, err) != 0)
			goto fail;
		ca->url = offline_ca_url(ca->auth);
	} else {
		if (cli_client_new(ctx, &ca->client, err) != 0)
			goto fail;
		ca->url = xstrdup(ca_client_url(ca->client));
	}
	*out = ca;
	return 0;
fail:
	renew_ca_free(ca);
	return -1;
}

void renew_ca_free(struct renew_ca *ca)
{
	if (ca == NULL)
		return;
	ca_client_free(ca->client);
	authority_free(ca->auth);
	free(ca->url);
	free(ca);
}

/* An x5cInsecure renew token for the chain, audience <url>/renew, valid 5 minutes. */
static int renew_token(const struct renew_ca *ca, const struct renew_creds *c, char **token,
		       struct error *err)
{
	int64_t now = time_now_ns() / NS_PER_SEC;
	char *aud = token_audience(ca->url, "/renew");
	int rc = token_build_renew(c->chain, c->key, aud, now, now + TOKEN_DEFAULT_LIFETIME_SEC,
				   token, err);

	free(aud);
	return rc;
}

static int call_online(struct renew_ca *ca, const struct renew_creds *c, bool use_token,
		       EVP_PKEY *new_key, char **chain_pem, struct error *err)
{
	char *token = NULL, *cert_pem = NULL, *key_pem = NULL, *csr_pem = NULL;
	X509_REQ *csr = NULL;
	json_t *body = NULL, *resp = NULL;
	struct ca_request req = {.method = "POST", .path = new_key != NULL ? "/rekey" : "/renew"};
	int rc = -1;

	if (use_token) {
		if (renew_token(ca, c, &token, err) != 0)
			goto out;
		req.bearer = token;
		req.no_identity = true;
	} else {
		if (cert_chain_to_pem(c->chain, &cert_pem, err) != 0 ||
		    key_private_to_pem(c->key, NULL, &key_pem, err) != 0 ||
		    ca_client_set_identity(ca->client, cert_pem, key_pem, err) != 0)
			goto out;
	}
	if (new_key != NULL) {
		/* Only the public key counts: an empty subject and no SANs, as step sends. */
		if (csr_create(new_key, "", NULL, &csr, err) != 0 ||
		    csr_to_pem(csr, &csr_pem, err) != 0)
			goto out;
		body = json_pack("{s:s}", "csr", csr_pem);
		req.body = body;
	}
	if (ca_client_do(ca->client, &req, NULL, &resp, err) != 0 ||
	    cli_response_chain(resp, chain_pem, err) != 0)
		goto out;
	rc = 0;
out:
	if (!use_token)
		ca_client_set_identity(ca->client, NULL, NULL, NULL); /* drops the key copy */
	json_decref(resp);
	json_decref(body);
	X509_REQ_free(csr);
	free(csr_pem);
	free(cert_pem);
	password_free(key_pem);
	password_free(token);
	return rc;
}

static int call_offline(struct renew_ca *ca, const struct renew_creds *c, bool use_token,
			EVP_PKEY *new_key, char **chain_pem, struct error *err)
{
	struct renew_request rq = {0};
	struct issued issued = {0};
	STACK_OF(X509) *peer_chain = NULL;
	X509_REQ *csr = NULL;
	char *token = NULL;
	int rc = -1;

	/* The authority takes the new key in a CSR, as /rekey does. */
	if (new_key != NULL && csr_create(new_key, "", NULL, &csr, err) != 0)
		goto out;
	rq.csr = csr;
	if (use_token) {
		if (renew_token(ca, c, &token, err) != 0)
			goto out;
		rq.bearer_token = token;
	} else {
		/* In-process there is no handshake: the pair was checked when it was loaded, the
		 * authority verifies the chain itself (peer_verified = false). */
		peer_chain = sk_X509_new_null();
		for (int i = 1; i < sk_X509_num(c->chain); i++)
			sk_X509_push(peer_chain, sk_X509_value(c->chain, i));
		rq.peer = sk_X509_value(c->chain, 0);
		rq.peer_chain = peer_chain;
		rq.peer_verified = false;
	}
	if (authority_renew(ca->auth, &rq, &issued, err) != 0)
		goto out;
	rc = issued_chain_pem(&issued, chain_pem, err);
out:
	sk_X509_free(peer_chain);
	X509_REQ_free(csr);
	issued_free(&issued);
	password_free(token);
	return rc;
}

int renew_ca_call(struct renew_ca *ca, const struct renew_opts *o, const struct renew_creds *c,
		  EVP_PKEY *new_key, char **chain_pem, X509 **leaf, struct error *err)
{
	X509 *old = sk_X509_value(c->chain, 0);
	bool expired = time_now_ns() > cert_not_after_ns(old);
	bool use_token = new_key == NULL && (!o->mtls || expired);
	STACK_OF(X509) *got = NULL;
	int rc = -1;

	*chain_pem = NULL;
	*leaf = NULL;
	if (new_key != NULL && expired)
		return err_set(err, ERR_INVALID, "cannot rekey an expired certificate");
	if ((ca->auth != NULL ? call_offline : call_online)(ca, c, use_token, new_key, chain_pem,
							    err) != 0)
		goto out;
	if (cert_parse_chain((const uint8_t *)*chain_pem, strlen(*chain_pem), &got, err) != 0) {
		err_wrap(err, "error parsing the CA's answer");
		goto out;
	}
	/* Never write a certificate that does not belong to the key beside it. */
	if (!key_public_equal(new_key != NULL ? new_key : c->key,
			      X509_get0_pubkey(sk_X509_value(got, 0)))) {
		err_set(err, ERR_INVALID, "the CA answered with a certificate for another key");
		goto out;
	}
	*leaf = X509_dup(sk_X509_value(got, 0));
	rc = 0;
out:
	if (rc != 0) {
		free(*chain_pem);
		*chain_pem = NULL;
	}
	sk_X509_pop_free(got, X509_free);
	return rc;
}

/* --- post-renewal actions --------------------------------------------------------------------- */

/* Runs cmd with /bin/sh -c, with default signal handling, and waits; *status = wait status. */
static int run_shell(const char *cmd, int *status, struct error *err)
{
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	pid_t child;
	int e;

	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_init(&attr);
	/* The daemon blocks its signals (signalfd): the command must not inherit that. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	fflush(stdout);
	fflush(stderr);
	e = posix_spawn(&child, "/bin/sh", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (e != 0)
		return err_set(err, ERR_IO, "error running '%s': %s", cmd, strerror(e));
	while (waitpid(child, status, 0) < 0) {
		if (errno != EINTR)
			return err_set(err, ERR_IO, "error waiting for '%s': %s", cmd,
				       strerror(errno));
	}
	return 0;
}

int renew_actions_run(const struct renew_opts *o, bool log, struct error *err)
{
	struct error e = {0};
	int status = 0;

	if (o->pid > 0 && kill(o->pid, o->signal) != 0) {
		err_set(&e, ERR_IO, "kill %d with signal %d failed: %s", (int)o->pid, o->signal,
			strerror(errno));
		if (!log)
			goto fail;
		daemon_log_error("%s", e.msg);
	}
	if (o->exec == NULL)
		return 0;
	if (run_shell(o->exec, &status, &e) != 0) {
		if (!log)
			goto fail;
		daemon_log_error("%s", e.msg);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (log)
			daemon_log_info("'%s' exited with status 0", o->exec);
		else
			ui_info("'%s' exited with status 0", o->exec);
		return 0;
	}
	if (WIFEXITED(status))
		err_set(&e, ERR_IO, "exit status %d", WEXITSTATUS(status));
	else
		err_set(&e, ERR_IO, "signal: %s", strsignal(WTERMSIG(status)));
	if (log) {
		daemon_log_error("'%s' failed: %s", o->exec, e.msg);
		return 0;
	}
	ui_info("'%s' failed: %s", o->exec, e.msg);
fail:
	if (err != NULL)
		*err = e;
	return -1;
}

/* --- one renewal, and the daemon -------------------------------------------------------------- */

int renew_job_once(struct renew_job *job, const struct renew_creds *c, X509 **leaf,
		   struct error *err)
{
	const struct renew_opts *o = job->opts;
	EVP_PKEY *new_key = NULL;
	char *chain = NULL, *key_pem = NULL;
	int rc = -1;

	*leaf = NULL;
	if (o->rekey) {
		if (job->private_key != NULL
			? load_key_quietly(job->private_key, job->password_file,
					   job->private_key_password, &new_key, err)
			: key_generate(&job->spec, &new_key, err))
			goto out;
	}
	if (renew_ca_call(job->ca, o, c, new_key, &chain, leaf, err) != 0)
		goto out;
	if (o->rekey && job->out_key != NULL) {
		/* Both files complete on disk before either is renamed into place. */
		if (key_private_to_pem(new_key, NULL, &key_pem, err) != 0 ||
		    file_write_pair_atomic(job->out_crt, chain, strlen(chain), 0600, job->out_key,
					   key_pem, strlen(key_pem), 0600, err) != 0)
			goto out;
	} else if (file_write_atomic(job->out_crt, chain, strlen(chain), 0600, err) != 0) {
		goto out;
	}
	/* From now on the new pair is the one in use. */
	free(job->crt_file);
	job->crt_file = xstrdup(job->out_crt);
	if (o->rekey) {
		free(job->key_file);
		job->key_file = xstrdup(job->out_key != NULL ? job->out_key : job->private_key);
	}
	rc = 0;
out:
	if (rc != 0) {
		X509_free(*leaf);
		*leaf = NULL;
	}
	password_free(key_pem);
	free(chain);
	EVP_PKEY_free(new_key);
	return rc;
}

static int job_attempt(void *arg, X509 **leaf, struct error *err)
{
	struct renew_job *job = arg;
	struct renew_creds c = {0};
	int rc;

	/* The files on disk are the truth: someone may have replaced them since. */
	if (renew_creds_load(job->crt_file, job->key_file, job->password_file, job->password, &c,
			     err) != 0) {
		if (err != NULL) {
			size_t n = strlen(err->msg);
			snprintf(err->msg + n, sizeof(err->msg) - n, "; nothing was written");
		}
		return -1;
	}
	rc = renew_job_once(job, &c, leaf, err);
	renew_creds_free(&c);
	return rc;
}

static void job_after(void *arg)
{
	struct renew_job *job = arg;

	renew_actions_run(job->opts, true, NULL);
}

int renew_job_daemon(struct renew_job *job, X509 *leaf, struct error *err)
{
	struct daemon_job dj = {
	    .noun = job->opts->rekey ? "rekey" : "renewal",
	    .done = job->opts->rekey ? "rekeyed" : "renewed",
	    .gerund = job->opts->rekey ? "rekeying" : "renewing",
	    .expires_in = job->opts->expires_in,
	    .period = job->opts->period,
	    .arg = job,
	    .attempt = job_attempt,
	    .after = job_after,
	};

	return daemon_run(&dj, leaf, err);
}

void renew_job_free(struct renew_job *job)
{
	if (job == NULL)
		return;
	renew_ca_free(job->ca);
	free(job->crt_file);
	free(job->key_file);
	password_free(job->password);
	password_free(job->private_key_password);
	job->ca = NULL;
	job->crt_file = job->key_file = job->password = job->private_key_password = NULL;
}

void renew_wrap_transport(struct error *err, const char *gerund)
{
	if (err != NULL && err->status == 0 && err->kind == ERR_NETWORK)
		err_wrap(err, "error %s certificate", gerund);
}
