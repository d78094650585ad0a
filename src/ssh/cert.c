/* cert.c - OpenSSH certificates (PROTOCOL.certkeys): the *-cert-v01@openssh.com blob, signed
 * by a CA key over everything up to and including the signature key. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "ssh/internal.h"

#define NONCE_LEN    32 /* step-ca's nonce: 32 printable ASCII characters */
#define NAME_MAX_LEN 1024

void ssh_option_add(struct ssh_option **v, size_t *n, const char *name, const char *value)
{
	struct ssh_option *o;
	size_t len;

	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	o = &(*v)[*n];
	o->name = xstrdup(name);
	o->data = NULL;
	o->data_len = 0;
	if (value != NULL) {
		len = strlen(value);
		o->data = xmalloc(len + 4);
		o->data[0] = (uint8_t)(len >> 24);
		o->data[1] = (uint8_t)(len >> 16);
		o->data[2] = (uint8_t)(len >> 8);
		o->data[3] = (uint8_t)len;
		memcpy(o->data + 4, value, len);
		o->data_len = len + 4;
	}
	(*n)++;
}

char *ssh_option_string(const struct ssh_option *v, size_t n, const char *name)
{
	struct wire_reader r;
	char *s = NULL;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) != 0)
			continue;
		wire_reader_init(&r, v[i].data, v[i].data_len);
		if (wire_get_cstring(&r, SSH_MAX_BLOB, &s) != 0 || !wire_done(&r)) {
			free(s);
			return NULL;
		}
		return s;
	}
	return NULL;
}

void ssh_cert_default_user_extensions(struct ssh_cert *c)
{
	static const char *const names[] = {"permit-X11-forwarding", "permit-agent-forwarding",
					    "permit-port-forwarding", "permit-pty",
					    "permit-user-rc"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ssh_option_add(&c->extensions, &c->n_extensions, names[i], NULL);
}

static void options_free(struct ssh_option *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].data);
	}
	free(v);
}

static int option_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ssh_option *)a)->name, ((const struct ssh_option *)b)->name);
}

/* Sorts the options by name and refuses duplicates and too many. */
static int options_prepare(struct ssh_option *v, size_t n, const char *what, struct error *err)
{
	if (n > SSH_MAX_OPTIONS)
		return err_set(err, ERR_INVALID, "ssh certificate has more than %d %s",
			       SSH_MAX_OPTIONS, what);
	for (size_t i = 0; i < n; i++)
		if (v[i].name == NULL || v[i].name[0] == '\0')
			return err_set(err, ERR_INVALID, "ssh certificate %s without a name", what);
	if (n > 1)
		qsort(v, n, sizeof(*v), option_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1].name, v[i].name) == 0)
			return err_set(err, ERR_INVALID, "duplicate ssh certificate %s %s", what,
				       v[i].name);
	return 0;
}

/* Writes a string holding the options (name, data) in order. */
static void put_options(struct wire_writer *w, const struct ssh_option *v, size_t n)
{
	struct wire_writer in;

	wire_writer_init(&in, SSH_MAX_BLOB, w->err);
	for (size_t i = 0; i < n; i++) {
		wire_put_cstring(&in, v[i].name);
		wire_put_string(&in, v[i].data, v[i].data_len);
	}
	if (in.rc != 0 && w->rc == 0)
		w->rc = -1;
	wire_put_string(w, in.buf.data, in.buf.len);
	wire_writer_free(&in);
}

static void put_principals(struct wire_writer *w, const struct strv *p)
{
	struct wire_writer in;

	wire_writer_init(&in, SSH_MAX_BLOB, w->err);
	for (size_t i = 0; i < p->n; i++)
		wire_put_cstring(&in, p->v[i]);
	if (in.rc != 0 && w->rc == 0)
		w->rc = -1;
	wire_put_string(w, in.buf.data, in.buf.len);
	wire_writer_free(&in);
}

/* step-ca's nonce: NONCE_LEN characters drawn uniformly from ASCII 33..126. */
static int make_nonce(struct ssh_cert *c, struct error *err)
{
	uint8_t rnd[64];
	size_t got = 0;

	c->nonce = xmalloc(NONCE_LEN);
	c->nonce_len = NONCE_LEN;
	while (got < NONCE_LEN) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return err_openssl(err, ERR_CRYPTO, "random nonce");
		for (size_t i = 0; i < sizeof(rnd) && got < NONCE_LEN; i++)
			if (rnd[i] < 94 * 2) /* 188 = 2 * 94: no modulo bias */
				c->nonce[got++] = (uint8_t)(33 + rnd[i] % 94);
	}
	return 0;
}

static int check_unsigned(struct ssh_cert *c, struct error *err)
{
	if (c->type != SSH_CERT_USER && c->type != SSH_CERT_HOST)
		return err_set(err, ERR_INVALID, "ssh certificate type %d is not user or host",
			       (int)c->type);
	if (c->key.blob == NULL || ssh_cert_type_name(c->key.type) == NULL)
		return err_set(err, ERR_INVALID, "ssh certificate without a key");
	if (c->principals.n > SSH_MAX_PRINCIPALS)
		return err_set(err, ERR_INVALID, "ssh certificate has more than %d principals",
			       SSH_MAX_PRINCIPALS);
	if (options_prepare(c->critical, c->n_critical, "critical option", err) != 0 ||
	    options_prepare(c->extensions, c->n_extensions, "extension", err) != 0)
		return -1;
	return 0;
}

/* Writes the signed part of c: everything up to and including the signature key. */
static int put_tbs(struct wire_writer *w, const struct ssh_cert *c)
{
	struct wire_reader r;
	const uint8_t *name;
	size_t name_len;

	wire_reader_init(&r, c->key.blob, c->key.blob_len);
	if (wire_get_string(&r, &name, &name_len) != 0)
		return err_set(w->err, ERR_INVALID, "malformed ssh certificate key");
	wire_put_cstring(w, ssh_cert_type_name(c->key.type));
	wire_put_string(w, c->nonce, c->nonce_len);
	wire_put_raw(w, c->key.blob + r.off, wire_left(&r));
	wire_put_u64(w, c->serial);
	wire_put_u32(w, (uint32_t)c->type);
	wire_put_cstring(w, c->key_id);
	put_principals(w, &c->principals);
	wire_put_u64(w, c->valid_after);
	wire_put_u64(w, c->valid_before);
	put_options(w, c->critical, c->n_critical);
	put_options(w, c->extensions, c->n_extensions);
	wire_put_string(w, c->reserved, c->reserved_len);
	wire_put_string(w, c->signature_key.blob, c->signature_key.blob_len);
	return w->rc;
}

int ssh_cert_sign(struct ssh_cert *c, EVP_PKEY *ca_key, struct error *err)
{
	struct wire_writer w;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int rc = -1;

	wire_writer_init(&w, SSH_MAX_BLOB, err);
	if (check_unsigned(c, err) != 0)
		goto out;
	if (c->nonce == NULL && make_nonce(c, err) != 0)
		goto out;
	ssh_pubkey_clear(&c->signature_key);
	if (ssh_pubkey_from_evp(ca_key, &c->signature_key, err) != 0)
		goto out;
	free(c->blob);
	c->blob = NULL;
	c->blob_len = c->signed_len = 0;
	if (put_tbs(&w, c) != 0)
		goto out;
	/* An RSA CA signs with rsa-sha2-512, as ssh-keygen does. */
	if (ssh_sign(ca_key, true, w.buf.data, w.buf.len, &sig, &sig_len, err) != 0)
		goto out;
	c->signed_len = w.buf.len;
	wire_put_string(&w, sig, sig_len);
	rc = wire_writer_finish(&w, &c->blob, &c->blob_len);
	if (rc != 0)
		c->signed_len = 0;
out:
	wire_writer_free(&w);
	free(sig);
	return rc;
}

/* Reads a string of (name, data) pairs, names strictly ascending. */
static int parse_options(struct wire_reader *r, struct ssh_option **v, size_t *n, const char *what,
			 struct error *err)
{
	struct wire_reader in;
	const uint8_t *p, *data;
	size_t len, data_len;
	char *name = NULL;

	if (wire_get_string(r, &p, &len) != 0)
		return err_set(err, ERR_INVALID, "malformed ssh certificate %s", what);
	wire_reader_init(&in, p, len);
	while (wire_left(&in) > 0) {
		if (wire_get_cstring(&in, NAME_MAX_LEN, &name) != 0 ||
		    wire_get_string(&in, &data, &data_len) != 0 || name[0] == '\0')
			break;
		if (*n >= SSH_MAX_OPTIONS || (*n > 0 && strcmp((*v)[*n - 1].name, name) >= 0))
			break;
		ssh_option_add(v, n, name, NULL);
		(*v)[*n - 1].data = xmalloc(data_len == 0 ? 1 : data_len);
		memcpy((*v)[*n - 1].data, data, data_len);
		(*v)[*n - 1].data_len = data_len;
		free(name);
		name = NULL;
	}
	if (name != NULL || !wire_done(&in)) {
		free(name);
		return err_set(err, ERR_INVALID,
			       "malformed ssh certificate %s (or not sorted, or over %d)", what,
			       SSH_MAX_OPTIONS);
	}
	return 0;
}

static int parse_principals(struct wire_reader *r, struct strv *out, struct error *err)
{
	struct wire_reader in;
	const uint8_t *p;
	size_t len;
	char *s = NULL;

	if (wire_get_string(r, &p, &len) != 0)
		return err_set(err, ERR_INVALID, "malformed ssh certificate principals");
	wire_reader_init(&in, p, len);
	while (wire_left(&in) > 0) {
		if (out->n >= SSH_MAX_PRINCIPALS)
			return err_set(err, ERR_INVALID,
				       "ssh certificate has more than %d principals",
				       SSH_MAX_PRINCIPALS);
		if (wire_get_cstring(&in, NAME_MAX_LEN, &s) != 0)
			return err_set(err, ERR_INVALID, "malformed ssh certificate principals");
		strv_push(out, s);
		free(s);
	}
	return wire_done(&in) ? 0 : err_set(err, ERR_INVALID, "malformed ssh certificate");
}

/* Reads the certified key: its fields after the nonce, rebuilt as a public key blob. */
static int parse_key(struct wire_reader *r, enum ssh_key_type t, struct ssh_pubkey *key,
		     struct error *err)
{
	struct wire_writer w;
	size_t start = r->off;
	uint8_t *blob = NULL;
	size_t len;
	int rc;

	if (ssh_pubkey_skip_fields(r, t) != 0)
		return err_set(err, ERR_INVALID, "malformed ssh certificate key");
	wire_writer_init(&w, SSH_MAX_BLOB, err);
	wire_put_cstring(&w, ssh_key_type_name(t));
	wire_put_raw(&w, r->p + start, r->off - start);
	if (wire_writer_finish(&w, &blob, &len) != 0)
		return -1;
	rc = ssh_pubkey_from_blob(blob, len, key, err);
	free(blob);
	return rc != 0 ? err_wrap(err, "ssh certificate key") : 0;
}

static int parse_body(struct wire_reader *r, struct ssh_cert *out, struct error *err)
{
	const uint8_t *p;
	size_t n;
	uint32_t type;
	enum ssh_key_type kt;

	if (wire_get_string(r, &p, &n) != 0)
		return err_set(err, ERR_INVALID, "malformed ssh certificate");
	kt = ssh_key_type_from_cert_name(p, n);
	if (kt == SSH_KEY_UNKNOWN)
		return err_set(err, ERR_INVALID, "unsupported ssh certificate type \"%.*s\"",
			       (int)(n > 64 ? 64 : n), (const char *)p);
	if (wire_get_string(r, &p, &n) != 0)
		return err_set(err, ERR_INVALID, "malformed ssh certificate nonce");
	out->nonce = xmalloc(n == 0 ? 1 : n);
	memcpy(out->nonce, p, n);
	out->nonce_len = n;
	if (parse_key(r, kt, &out->key, err) != 0)
		return -1;
	wire_get_u64(r, &out->serial);
	wire_get_u32(r, &type);
	wire_get_cstring(r, NAME_MAX_LEN, &out->key_id);
	if (r->bad)
		return err_set(err, ERR_INVALID, "malformed ssh certificate");
	if (type != SSH_CERT_USER && type != SSH_CERT_HOST)
		return err_set(err, ERR_INVALID, "unknown ssh certificate type %u", type);
	out->type = (enum ssh_cert_type)type;
	if (parse_principals(r, &out->principals, err) != 0)
		return -1;
	wire_get_u64(r, &out->valid_after);
	wire_get_u64(r, &out->valid_before);
	if (parse_options(r, &out->critical, &out->n_critical, "critical options", err) != 0 ||
	    parse_options(r, &out->extensions, &out->n_extensions, "extensions", err) != 0)
		return -1;
	wire_get_string(r, &p, &n); /* reserved: ignored, as OpenSSH does */
	if (wire_get_string(r, &p, &n) != 0)
		return err_set(err, ERR_INVALID, "malformed ssh certificate");
	if (ssh_pubkey_from_blob(p, n, &out->signature_key, err) != 0)
		return err_wrap(err, "ssh certificate signature key");
	return 0;
}

int ssh_cert_parse(const uint8_t *b, size_t n, struct ssh_cert *out, struct error *err)
{
	struct wire_reader r;
	const uint8_t *sig;
	size_t sig_len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (n > SSH_MAX_BLOB)
		return err_set(err, ERR_INVALID, "ssh certificate exceeds %d bytes", SSH_MAX_BLOB);
	wire_reader_init(&r, b, n);
	if (parse_body(&r, out, err) != 0)
		goto out;
	out->signed_len = r.off;
	if (wire_get_string(&r, &sig, &sig_len) != 0 || !wire_done(&r)) {
		err_set(err, ERR_INVALID, "malformed ssh certificate signature");
		goto out;
	}
	out->blob = xmalloc(n);
	memcpy(out->blob, b, n);
	out->blob_len = n;
	rc = 0;
out:
	if (rc != 0)
		ssh_cert_clear(out);
	return rc;
}

int ssh_cert_from_line(const char *line, struct ssh_cert *out, struct error *err)
{
	char *type = NULL;
	uint8_t *blob = NULL;
	size_t len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ssh_line_split(line, &type, &blob, &len, err) != 0 ||
	    ssh_cert_parse(blob, len, out, err) != 0)
		goto out;
	if (strcmp(type, ssh_cert_type_name(out->key.type)) != 0) {
		err_set(err, ERR_INVALID, "ssh certificate line type %.64s does not match %s", type,
			ssh_cert_type_name(out->key.type));
		ssh_cert_clear(out);
		goto out;
	}
	rc = 0;
out:
	free(type);
	free(blob);
	return rc;
}

int ssh_cert_verify(const struct ssh_cert *c, struct error *err)
{
	struct wire_reader r;
	const uint8_t *sig;
	size_t sig_len;

	if (c->blob == NULL || c->signed_len == 0 || c->signed_len > c->blob_len)
		return err_set(err, ERR_INVALID, "ssh certificate is not signed");
	wire_reader_init(&r, c->blob + c->signed_len, c->blob_len - c->signed_len);
	if (wire_get_string(&r, &sig, &sig_len) != 0 || !wire_done(&r))
		return err_set(err, ERR_INVALID, "malformed ssh certificate signature");
	return ssh_verify(&c->signature_key, c->blob, c->signed_len, sig, sig_len, err);
}

char *ssh_cert_line(const struct ssh_cert *c, const char *comment)
{
	char *b64 = b64_encode(c->blob, c->blob_len);
	char *line;

	if (comment != NULL && comment[0] != '\0')
		line = xasprintf("%s %s %s", ssh_cert_type_name(c->key.type), b64, comment);
	else
		line = xasprintf("%s %s", ssh_cert_type_name(c->key.type), b64);
	free(b64);
	return line;
}

void ssh_cert_clear(struct ssh_cert *c)
{
	if (c == NULL)
		return;
	ssh_pubkey_clear(&c->key);
	free(c->nonce);
	free(c->key_id);
	strv_free(&c->principals);
	options_free(c->critical, c->n_critical);
	options_free(c->extensions, c->n_extensions);
	free(c->reserved);
	ssh_pubkey_clear(&c->signature_key);
	free(c->blob);
	memset(c, 0, sizeof(*c));
}
