/* renew_common.h - what `stride ca renew` and `stride ca rekey` share:
 * the flag checks, loading the certificate/key pair, the call to the CA end the flags
 * selected (cli/ca_backend.h: mTLS or a renew token), writing the result atomically and the
 * glue to the daemon. The post-renewal actions are in cli/renew_hooks.h.
 */
#ifndef STRIDE_CLI_RENEW_COMMON_H
#define STRIDE_CLI_RENEW_COMMON_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "cli/command.h"
#include "crypto/key.h"

/* The flags renew and rekey share (add to the flag table; the period flag is separate). */
#define RENEW_COMMON_FLAGS                                                                         \
	{.name = "expires-in",                                                                     \
	 .type = FLAG_STRING,                                                                      \
	 .placeholder = "duration",                                                                \
	 .help = "Only act when the certificate expires within this duration (plus a random "      \
		 "jitter of up to duration/20); otherwise say so and exit 0. With --daemon: act "  \
		 "each time this much validity is left. A Go duration such as \"300ms\", "         \
		 "\"-1.5h\" or \"2h45m\" (units ns, us, ms, s, m, h)."},                           \
	    {.name = "pid",                                                                        \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "value",                                                               \
	     .help = "The process id to signal after each new certificate is written "             \
		     "(SIGHUP unless --signal says otherwise)."},                                  \
	    {.name = "pid-file",                                                                   \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "file",                                                                \
	     .help = "The file holding the process id to signal after each new certificate is "    \
		     "written. It is read once, at start-up."},                                    \
	    {.name = "signal",                                                                     \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "number",                                                              \
	     .help = "The signal number sent to --pid or --pid-file. Default: 1 (SIGHUP)."},       \
	    {.name = "exec",                                                                       \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "command",                                                             \
	     .help =                                                                               \
		 "A command to run after each new certificate is written (after the "              \
		 "signal). stride runs it with /bin/sh -c, so shell syntax works (step splits "    \
		 "it on spaces instead); its exit status is logged, and a non-zero status "        \
		 "fails a one-shot run."},                                                         \
	    {.name = "daemon",                                                                     \
	     .type = FLAG_BOOL,                                                                    \
	     .help = "Keep running and act periodically: by default once 2/3 of the validity "     \
		     "has passed, up to validity/20 earlier at random; see --expires-in and the "  \
		     "period flag. Implies --force. SIGHUP acts at once; SIGINT and SIGTERM exit " \
		     "0."},                                                                        \
	    CLI_FLAG_FORCE, CLI_FLAG_OFFLINE, CLI_FLAG_CA_CONFIG, CLI_FLAG_PASSWORD_FILE,          \
	    CLI_FLAG_KMS, CLI_FLAG_CA_URL, CLI_FLAG_ROOT, CLI_FLAG_CONTEXT

/* Parsed and checked flags. */
struct renew_opts {
	bool rekey;		 /* rekey (new key) rather than renew */
	const char *period_flag; /* "renew-period" / "rekey-period" */
	int64_t expires_in;	 /* ns; <= 0 = off */
	int64_t period;		 /* ns; <= 0 = off */
	bool daemon;
	bool mtls;    /* renew: --mtls (rekey: always) */
	pid_t pid;    /* from --pid or --pid-file; 0 = none */
	int signal;   /* --signal, default SIGHUP */
	char *exec;   /* --exec trimmed, NULL when empty; malloc'd */
	char *ca_url; /* --ca-url normalised (online only); malloc'd */
};

/* Checks the common flags in step's order: KMS (refused: not supported yet), --ca-url
 * required unless --offline, --root, durations, --expires-in vs the period flag, the period
 * flag needs --daemon, --pid/--pid-file/--signal. Fills o (free with renew_opts_free). */
int renew_opts_parse(struct cli_ctx *ctx, bool rekey, struct renew_opts *o, struct error *err);
/* Frees what o owns (not o itself). */
void renew_opts_free(struct renew_opts *o);

/* A certificate chain (leaf first) with its private key. */
struct renew_creds {
	STACK_OF(X509) * chain;
	EVP_PKEY *key;
};
/* Reads crt_file (every certificate) and key_file (decrypted with password_file, else
 * password; never a prompt: an encrypted key without either is an error) and checks that the key
 * belongs to the leaf ("certificate <crt> and key <key> do not match"). */
int renew_creds_load(const char *crt_file, const char *key_file, const char *password_file,
		     const char *password, struct renew_creds *out, struct error *err);
/* Frees the chain and the key (not c itself); NULL is fine. */
void renew_creds_free(struct renew_creds *c);

/* step's check of the periods against the leaf's validity. */
int renew_check_validity(const struct renew_opts *o, X509 *leaf, struct error *err);

/* True (after printing "certificate not renewed: expires in 10h52m5s" / "... not rekeyed ...")
 * when --expires-in says it is too early (step's first check). */
bool renew_skip_early(const struct renew_opts *o, X509 *leaf);

struct ca_backend;
/* Renews (new_key NULL) or rekeys (new_key = the new key pair) the certificate of c: renew over
 * mTLS, or with an x5cInsecure renew token when !o->mtls or the certificate has expired;
 * rekey over mTLS only. Checks that the answer's leaf carries the expected public key.
 * *chain_pem = leaf then intermediates (malloc'd); *leaf = the new leaf (owned). */
int renew_ca_call(struct ca_backend *ca, const struct renew_opts *o, const struct renew_creds *c,
		  EVP_PKEY *new_key, char **chain_pem, X509 **leaf, struct error *err);

/* True when s is not an existing file but looks like a KMS key URI (pkcs11:, yubikey:, ...). */
bool renew_is_kms_uri(const char *s);

/* One renewal or rekey as the daemon (and the one-shot run) does it. */
struct renew_job {
	const struct renew_opts *opts;
	struct ca_backend *ca; /* the CA end (borrowed: the command's) */
	char *crt_file;	       /* the pair currently in use (moves to the outputs after a write) */
	char *key_file;
	const char *out_crt;	    /* where the chain goes */
	const char *out_key;	    /* rekey: where a new key goes; NULL = not written */
	const char *private_key;    /* rekey: key file to use instead of generating one */
	struct key_spec spec;	    /* rekey: the type of a generated key */
	const char *password_file;  /* decrypts the current key (and --private-key) */
	char *password;		    /* or this password (asked once at start-up) */
	char *private_key_password; /* the same for --private-key */
};
/* Renews/rekeys with the given current pair, writes the outputs atomically (a rekey writes cert
 * and key as a pair, both 0600), then points job->crt_file/key_file at the new pair.
 * *leaf = the new leaf (owned). */
int renew_job_once(struct renew_job *job, const struct renew_creds *c, X509 **leaf,
		   struct error *err);
/* Runs the daemon for the job: before every attempt the pair is re-read from disk; when the
 * certificate and key no longer match, nothing is written and the attempt fails (logged, retried
 * with backoff) until the files agree again. `leaf` is the current leaf (borrowed). */
int renew_job_daemon(struct renew_job *job, X509 *leaf, struct error *err);
/* Frees what the job owns (the current paths, the passwords), not job itself. */
void renew_job_free(struct renew_job *job);

/* CA answers are printed as they are; a transport failure says what was being done
 * ("error <gerund> certificate: ..."). */
void renew_wrap_transport(struct error *err, const char *gerund);

#endif
