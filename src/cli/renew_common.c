/* renew_common.c - the parts of `ca renew` and `ca rekey` they share. */
#include "cli/renew_common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/file.h"
#include "base/password.h"
#include "base/str.h"
#include "cli/ca_backend.h"
#include "cli/daemon.h"
#include "cli/renew_hooks.h"
#include "cli/ui.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/csr.h"

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
	o->mtls = rekey || flag_bool(ctx, "mtls");
	if (flag_str(ctx, "kms") != NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED,
			       "flag '--kms' is not supported yet: keys in a KMS or HSM come with "
			       "a later release");
	if (ca_backend_remote(ctx->ca)) {
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

/* An x5cInsecure renew token for the chain, audience <url>/renew, valid 5 minutes. */
static int renew_token(const char *url, const struct renew_creds *c, char **token,
		       struct error *err)
{
	int64_t now = time_now_ns() / NS_PER_SEC;
	char *aud = token_audience(url, "/renew");
	int rc = token_build_renew(c->chain, c->key, aud, now, now + TOKEN_DEFAULT_LIFETIME_SEC,
				   token, err);

	free(aud);
	return rc;
}

/* Renews (new_key NULL; with a renew token when use_token) or rekeys (the new key goes in a
 * CSR with an empty subject and no SANs, as step sends: only the public key counts). */
static int call_ca(struct ca_backend *ca, const struct renew_creds *c, bool use_token,
		   EVP_PKEY *new_key, char **chain_pem, struct error *err)
{
	X509_REQ *csr = NULL;
	char *token = NULL;
	int rc = -1;

	if (ca_backend_connect(ca, NULL, err) != 0)
		return -1;
	if (new_key != NULL) {
		if (csr_create(new_key, "", NULL, &csr, err) == 0)
			rc = ca_backend_rekey(ca, c->chain, c->key, csr, chain_pem, err);
	} else if (!use_token || renew_token(ca_backend_url(ca), c, &token, err) == 0) {
		rc = ca_backend_renew(ca, c->chain, c->key, token, chain_pem, err);
	}
	X509_REQ_free(csr);
	password_free(token);
	return rc;
}

int renew_ca_call(struct ca_backend *ca, const struct renew_opts *o, const struct renew_creds *c,
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
	if (call_ca(ca, c, use_token, new_key, chain_pem, err) != 0)
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

	renew_hooks_run(job->opts, true, NULL);
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
