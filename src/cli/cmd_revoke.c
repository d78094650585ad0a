/* cmd_revoke.c - `stride ca revoke`, as `step ca revoke`. */
#include <ctype.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <stdlib.h>
#include <string.h>

#include "base/password.h"
#include "base/str.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "cli/renew_common.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "crypto/cert.h"
#include "crypto/key.h"

static const struct flag_def revoke_flags[] = {
    {.name = "cert",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "The certificate to revoke, authenticated by mutual TLS with it and --key (no "
	     "token; the serial number comes from the certificate)."},
    {.name = "key",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "The private key of --cert."},
    {.name = "token",
     .type = FLAG_STRING,
     .placeholder = "token",
     .help = "A revoke token (see 'stride ca token --revoke') whose subject is the serial "
	     "number. Without it (and without --cert) one is made with the provisioner."},
    {.name = "reason",
     .type = FLAG_STRING,
     .placeholder = "string",
     .help = "The reason for the revocation, as free text."},
    {.name = "reasonCode",
     .type = FLAG_STRING,
     .placeholder = "reasonCode",
     .help = "The RFC 5280 reason code: a number from 0 to 10 or one of Unspecified (0), "
	     "KeyCompromise (1), CACompromise (2), AffiliationChanged (3), Superseded (4), "
	     "CessationOfOperation (5), CertificateHold (6), RemoveFromCRL (8), "
	     "PrivilegeWithdrawn (9), AACompromise (10); case and spaces do not matter."},
    {.name = "kid",
     .type = FLAG_STRING,
     .placeholder = "kid",
     .help = "The provisioner kid to use."},
    {.name = "provisioner",
     .aliases = "issuer",
     .type = FLAG_STRING,
     .placeholder = "name",
     .help = "The provisioner name to use."},
    CLI_FLAG_PASSWORD_FILE,
    CLI_FLAG_PROVISIONER_PASSWORD_FILE,
    CLI_FLAG_OFFLINE,
    CLI_FLAG_CA_CONFIG,
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

/* --- reason codes and serial numbers ---------------------------------------------------------- */

int cli_revoke_reason_code(const char *v, int *out, struct error *err)
{
	static const struct {
		const char *name;
		int code;
	} names[] = {
	    {"unspecified", 0},	       {"keycompromise", 1}, {"cacompromise", 2},
	    {"affiliationchanged", 3}, {"superseded", 4},    {"cessationofoperation", 5},
	    {"certificatehold", 6},    {"removefromcrl", 8}, {"privilegewithdrawn", 9},
	    {"aacompromise", 10},
	};
	long long n;
	char *k;
	size_t j = 0;

	*out = 0;
	if (v == NULL)
		return 0;
	if (parse_int64(v, &n, NULL) == 0) {
		if (n < 0 || n > 10)
			return err_set(
			    err, ERR_INVALID,
			    "reasonCode out of bounds. Got %lld, but want value between 0 "
			    "and 10",
			    n);
		*out = (int)n;
		return 0;
	}
	k = xstrdup(v);
	for (size_t i = 0; k[i] != '\0'; i++)
		if (k[i] != ' ')
			k[j++] = (char)tolower((unsigned char)k[i]);
	k[j] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(k, names[i].name) == 0) {
			*out = names[i].code;
			free(k);
			return 0;
		}
	}
	free(k);
	return err_set(err, ERR_INVALID, "unrecognized revocation reason code '%s'", v);
}

/* Parses an integer the way Go's big.Int SetString(s, 0) does (sign; 0x/0o/0b or a leading 0
 * for octal; '_' between digits) and prints it in decimal; *out malloc'd. */
static int parse_serial(const char *s, char **out, struct error *err)
{
	const char *p = s;
	BIGNUM *bn = BN_new();
	bool neg = false, digits = false, underscore_ok = false;
	int base = 10, rc = -1;
	char *dec;

	*out = NULL;
	if (bn == NULL)
		return err_set(err, ERR_CRYPTO, "out of memory");
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		underscore_ok = true;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
		underscore_ok = true;
	} else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		base = 8;
		p += 2;
		underscore_ok = true;
	} else if (p[0] == '0' && p[1] != '\0') {
		base = 8;
		p += 1;
		digits = true; /* the 0 itself */
		underscore_ok = true;
	}
	for (; *p != '\0'; p++) {
		int d;
		if (*p == '_') {
			if (!underscore_ok || p[1] == '\0' || p[1] == '_')
				goto bad;
			continue;
		}
		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			goto bad;
		if (d >= base || !BN_mul_word(bn, (BN_ULONG)base) || !BN_add_word(bn, (BN_ULONG)d))
			goto bad;
		digits = true;
		underscore_ok = true;
	}
	if (!digits)
		goto bad;
	BN_set_negative(bn, neg);
	dec = BN_bn2dec(bn);
	if (dec == NULL)
		goto bad;
	*out = xstrdup(dec);
	OPENSSL_free(dec);
	rc = 0;
	goto out;
bad:
	err_set(err, ERR_INVALID,
		"'%s' is not a valid serial number - use a base 10 representation or add a prefix "
		"indicating the base",
		s);
out:
	BN_free(bn);
	return rc;
}

/* --- talking to the CA ------------------------------------------------------------------------ */

struct revoke_args {
	char *serial;		  /* decimal */
	char *token;		  /* "" in the mTLS flow */
	struct renew_creds creds; /* the mTLS flow */
	struct token_info ti;	  /* a given --token */
	int reason_code;
	const char *reason;
};

/* Connects (the token's CA without --ca-url), names the CA and sends the request. */
static int revoke_send(struct cli_ctx *ctx, const struct revoke_args *r, struct error *err)
{
	struct ca_revoke_request req = {
	    .serial = r->serial,
	    .ott = r->token,
	    .chain = r->creds.chain,
	    .key = r->creds.key,
	    .reason_code = r->reason_code,
	    .reason = r->reason,
	};

	if (ca_backend_connect(ctx->ca, r->token, err) != 0)
		return -1;
	ui_status("CA", "%s", ca_backend_url(ctx->ca));
	return ca_backend_revoke(ctx->ca, &req, err);
}

/* --- the command ------------------------------------------------------------------------------ */

static int check_flags(struct cli_ctx *ctx, struct error *err)
{
	const char *cert = flag_str(ctx, "cert"), *key = flag_str(ctx, "key");
	const char *token = flag_str(ctx, "token");

	if (cert != NULL && key == NULL)
		return cli_err_requires(err, "cert", "key");
	if (key != NULL && cert == NULL)
		return cli_err_requires(err, "key", "cert");
	if (cert != NULL && token != NULL)
		return cli_err_incompatible(err, "cert", "token");
	if (token != NULL && flag_bool(ctx, "offline"))
		return cli_err_incompatible(err, "token", "offline");
	return 0;
}

/* The mTLS flow: the serial is the certificate's (an argument, if any, must agree). */
static int from_certificate(struct cli_ctx *ctx, struct revoke_args *r, struct error *err)
{
	const char *cert = flag_str(ctx, "cert"), *key = flag_str(ctx, "key");
	char *password = NULL, *arg = NULL;
	int rc = -1;

	if (key_file_password(key, flag_str(ctx, "password-file"), NULL, &password, err) != 0 ||
	    renew_creds_load(cert, key, flag_str(ctx, "password-file"), password, &r->creds, err) !=
		0)
		goto out;
	r->serial = cert_serial_decimal(sk_X509_value(r->creds.chain, 0));
	r->token = xstrdup("");
	if (cli_arg(ctx, 0) != NULL) {
		if (parse_serial(cli_arg(ctx, 0), &arg, err) != 0)
			goto out;
		if (strcmp(arg, r->serial) != 0) {
			err_set(err, ERR_INVALID,
				"serial number '%s' and the serial number of %s ('%s') do not "
				"match",
				arg, cert, r->serial);
			goto out;
		}
	}
	rc = 0;
out:
	free(arg);
	password_free(password);
	return rc;
}

/* The token flow: --token (its subject must be the serial) or one made with a provisioner. */
static int from_serial(struct cli_ctx *ctx, struct revoke_args *r, struct error *err)
{
	const char *token = flag_str(ctx, "token");
	char *typed = NULL;
	int rc = -1;

	if (cli_arg(ctx, 0) == NULL || cli_arg(ctx, 0)[0] == '\0') {
		if (tty_prompt_line(
			"What is the Serial Number of the certificate you would like to "
			"revoke? (`step certificate inspect foo.cert`)",
			&typed, err) != 0)
			return -1;
	}
	if (parse_serial(typed != NULL ? typed : cli_arg(ctx, 0), &r->serial, err) != 0)
		goto out;
	if (token != NULL) {
		if (token_flow_inspect(token, &r->ti, err) != 0)
			goto out;
		if (r->ti.subject == NULL || strcmp(r->ti.subject, r->serial) != 0) {
			err_set(err, ERR_INVALID,
				"token subject '%s' and serial number '%s' do not match",
				r->ti.subject != NULL ? r->ti.subject : "", r->serial);
			goto out;
		}
		r->token = xstrdup(token);
	} else {
		struct token_request req = {.kind = TOKEN_KIND_REVOKE, .subject = r->serial};
		if (token_flow_create(ctx, &req, &r->token, err) != 0)
			goto out;
	}
	rc = 0;
out:
	free(typed);
	return rc;
}

static int revoke_run(struct cli_ctx *ctx, struct error *err)
{
	struct revoke_args r = {0};
	int rc = -1;

	if (check_flags(ctx, err) != 0 ||
	    cli_revoke_reason_code(flag_str(ctx, "reasonCode"), &r.reason_code, err) != 0)
		return -1;
	r.reason = flag_str(ctx, "reason");
	if ((flag_str(ctx, "cert") != NULL ? from_certificate : from_serial)(ctx, &r, err) != 0)
		goto out;
	if (revoke_send(ctx, &r, err) != 0)
		goto out;
	ui_info("Certificate with Serial Number %s has been revoked.", r.serial);
	rc = 0;
out:
	free(r.serial);
	password_free(r.token);
	renew_creds_free(&r.creds);
	token_info_free(&r.ti);
	return rc;
}

const struct command cmd_ca_revoke = {
    .name = "revoke",
    .summary = "revoke a certificate",
    .args = "[<serial-number>]",
    .description =
	"Revokes a certificate by its serial number. The revocation is passive: the CA records it "
	"and refuses to renew or rekey the certificate (and those renewed from it); there is no "
	"OCSP.\n\n"
	"The request is authorized by --token, by a revoke token made with the selected "
	"provisioner (as 'stride ca token --revoke <serial-number>' does), or, with --cert and "
	"--key, by mutual TLS with the certificate itself (then the serial number comes from "
	"the certificate). The serial number may be given in decimal or with a base prefix "
	"(0x for hexadecimal, 0o or 0 for octal, 0b for binary); it is sent in decimal. With "
	"--offline the authority of --ca-config runs in-process.",
    .flags = revoke_flags,
    .min_args = 0,
    .max_args = 1,
    .run = revoke_run,
};
