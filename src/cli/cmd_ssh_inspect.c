/* cmd_ssh_inspect.c - `stride ssh inspect`: an SSH certificate as `ssh-keygen -L` and
 * `step ssh inspect` print it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/file.h"
#include "cli/command.h"
#include "cli/ssh_common.h"

static const struct flag_def inspect_flags[] = {
    {.name = "format",
     .type = FLAG_STRING,
     .placeholder = "format",
     .def = "text",
     .help = "The output format: text (the only one so far)."},
    FLAG_END,
};

/* ssh-keygen's name of a key type ("ECDSA", "ED25519", ...). */
static const char *short_type(enum ssh_key_type t)
{
	switch (t) {
	case SSH_KEY_ED25519:
		return "ED25519";
	case SSH_KEY_ECDSA_P256:
	case SSH_KEY_ECDSA_P384:
	case SSH_KEY_ECDSA_P521:
		return "ECDSA";
	case SSH_KEY_RSA:
		return "RSA";
	case SSH_KEY_DSA:
		return "DSA";
	case SSH_KEY_SK_ECDSA:
		return "ECDSA-SK";
	case SSH_KEY_SK_ED25519:
		return "ED25519-SK";
	default:
		return "UNKNOWN";
	}
}

static uint32_t get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The signature of a parsed certificate: its algorithm name and raw blob (borrowed). */
static void signature_parts(const struct ssh_cert *c, char *alg, size_t alg_max,
			    const uint8_t **blob, size_t *blob_len)
{
	const uint8_t *p = c->blob + c->signed_len;
	size_t left = c->blob_len - c->signed_len;
	uint32_t n;

	snprintf(alg, alg_max, "unknown");
	*blob = NULL;
	*blob_len = 0;
	if (left < 8 || (n = get_u32(p + 4)) > left - 8)
		return;
	snprintf(alg, alg_max, "%.*s", (int)n, (const char *)p + 8);
	p += 8 + n;
	left -= 8 + n;
	if (left >= 4 && get_u32(p) <= left - 4) {
		*blob = p + 4;
		*blob_len = get_u32(p);
	}
}

static void local_time(uint64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > (uint64_t)INT64_MAX || localtime_r(&tt, &tm) == NULL ||
	    strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(out, n, "%" PRIu64, t);
}

static void print_validity(const struct ssh_cert *c)
{
	char a[64], b[64];

	local_time(c->valid_after, a, sizeof(a));
	local_time(c->valid_before, b, sizeof(b));
	if (c->valid_after == 0 && c->valid_before == UINT64_MAX)
		printf("        Valid: forever\n");
	else if (c->valid_after == 0)
		printf("        Valid: before %s\n", b);
	else if (c->valid_before == UINT64_MAX)
		printf("        Valid: after %s\n", a);
	else
		printf("        Valid: from %s to %s\n", a, b);
}

static void print_options(const char *title, const struct ssh_option *o, size_t n)
{
	printf("        %s: ", title);
	if (n == 0) {
		printf("(none)\n");
		return;
	}
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		char *v = o[i].data_len > 0 ? ssh_option_string(o, n, o[i].name) : NULL;
		printf("                %s%s%s\n", o[i].name, v != NULL ? " " : "",
		       v != NULL ? v : "");
		free(v);
	}
}

static void print_cert(const char *name, const struct ssh_cert *c)
{
	char fp[SSH_FINGERPRINT_MAX], ca_fp[SSH_FINGERPRINT_MAX], alg[128];
	const uint8_t *sig;
	size_t sig_len;

	ssh_pubkey_fingerprint(&c->key, fp);
	ssh_pubkey_fingerprint(&c->signature_key, ca_fp);
	signature_parts(c, alg, sizeof(alg), &sig, &sig_len);
	printf("%s:\n", name);
	printf("        Type: %s %s certificate\n", ssh_cert_type_name(c->key.type),
	       c->type == SSH_CERT_HOST ? "host" : "user");
	printf("        Public key: %s-CERT %s\n", short_type(c->key.type), fp);
	printf("        Signing CA: %s %s (using %s)\n", short_type(c->signature_key.type), ca_fp,
	       alg);
	printf("        Key ID: \"%s\"\n", c->key_id);
	printf("        Serial: %" PRIu64 "\n", c->serial);
	print_validity(c);
	printf("        Principals: ");
	if (c->principals.n == 0)
		printf("(none)\n");
	else
		printf("\n");
	for (size_t i = 0; i < c->principals.n; i++)
		printf("                %s\n", c->principals.v[i]);
	print_options("Critical Options", c->critical, c->n_critical);
	print_options("Extensions", c->extensions, c->n_extensions);
	printf("        Signature:");
	for (size_t i = 0; i < sig_len; i++)
		printf("%s%02x%s", i % 16 == 0 ? "\n                " : "", sig[i],
		       i + 1 < sig_len ? ":" : "");
	printf("\n");
}

/* A certificate line, or its bare base64. */
static int parse_any(const char *text, struct ssh_cert *out, struct error *err)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	if (ssh_cert_from_line(text, out, NULL) == 0)
		return 0;
	if (b64_decode(text, strlen(text), false, &blob, &len, NULL) != 0)
		return err_set(err, ERR_INVALID, "error parsing ssh certificate");
	rc = ssh_cert_parse(blob, len, out, err);
	free(blob);
	return rc != 0 ? err_wrap(err, "error parsing ssh certificate") : 0;
}

/* The file's text (stdin for "-"), trimmed; malloc'd. */
static int read_input(const char *name, char **out, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *s, *t;

	if (strcmp(name, "-") == 0 ? file_read("/dev/stdin", SSH_CLI_FILE_MAX, &data, &len, err)
				   : file_read(name, SSH_CLI_FILE_MAX, &data, &len, err))
		return -1;
	s = xmalloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	free(data);
	t = str_trim(s);
	*out = xstrdup(t);
	free(s);
	return 0;
}

static int inspect_run(struct cli_ctx *ctx, struct error *err)
{
	const char *name = cli_arg(ctx, 0) != NULL ? cli_arg(ctx, 0) : "-";
	const char *format = flag_str(ctx, "format");
	struct ssh_cert c = {0};
	char *text = NULL;
	int rc = -1;

	if (format != NULL && strcmp(format, "text") != 0)
		return cli_err_invalid(err, "format", format, "the only format supported is text");
	if (read_input(name, &text, err) != 0 || parse_any(text, &c, err) != 0)
		goto out;
	print_cert(name, &c);
	rc = 0;
out:
	free(text);
	ssh_cert_clear(&c);
	return rc;
}

const struct command cmd_ssh_inspect = {
    .name = "inspect",
    .summary = "print the contents of an ssh certificate",
    .args = "[<crt-file>]",
    .description =
	"Prints an SSH certificate (a -cert.pub file, or standard input for - or no\n"
	"argument) as ssh-keygen -L does: type, keys, key ID, serial, validity in local\n"
	"time, principals, critical options, extensions, then the signature.",
    .flags = inspect_flags,
    .min_args = 0,
    .max_args = 1,
    .run = inspect_run,
};
