/* pubkey.c - SSH public keys: the wire forms of RFC 4253 §6.6 (ssh-rsa, ssh-dss), RFC 5656
 * §3.1 (ecdsa-sha2-*), RFC 8709 (ssh-ed25519) and PROTOCOL.u2f (sk-*), the .pub line, the
 * SHA256 fingerprint and step-ca's policy for the keys it certifies. */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "crypto/key.h"
#include "ssh/internal.h"

struct key_info {
	enum ssh_key_type type;
	const char *name;
	const char *cert_name;
	const char *curve; /* OpenSSH's curve name of the ECDSA types */
	const char *group; /* OpenSSL's group name */
	int nid;
};

static const struct key_info key_infos[] = {
    {SSH_KEY_ED25519, "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", NULL, NULL, 0},
    {SSH_KEY_ECDSA_P256, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
     "nistp256", "P-256", NID_X9_62_prime256v1},
    {SSH_KEY_ECDSA_P384, "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
     "nistp384", "P-384", NID_secp384r1},
    {SSH_KEY_ECDSA_P521, "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
     "nistp521", "P-521", NID_secp521r1},
    {SSH_KEY_RSA, "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", NULL, NULL, 0},
    {SSH_KEY_DSA, "ssh-dss", "ssh-dss-cert-v01@openssh.com", NULL, NULL, 0},
    {SSH_KEY_SK_ECDSA, "sk-ecdsa-sha2-nistp256@openssh.com",
     "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "nistp256", NULL, 0},
    {SSH_KEY_SK_ED25519, "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com", NULL,
     NULL, 0},
};

#define N_KEY_INFOS  (sizeof(key_infos) / sizeof(key_infos[0]))
#define ED25519_LEN  32
#define RSA_MAX_BITS 16384

static const struct key_info *info_of(enum ssh_key_type t)
{
	for (size_t i = 0; i < N_KEY_INFOS; i++)
		if (key_infos[i].type == t)
			return &key_infos[i];
	return NULL;
}

const char *ssh_key_type_name(enum ssh_key_type t)
{
	const struct key_info *ki = info_of(t);

	return ki == NULL ? NULL : ki->name;
}

const char *ssh_cert_type_name(enum ssh_key_type t)
{
	const struct key_info *ki = info_of(t);

	return ki == NULL ? NULL : ki->cert_name;
}

const char *ssh_curve_name(enum ssh_key_type t)
{
	const struct key_info *ki = info_of(t);

	return ki == NULL ? NULL : ki->curve;
}

const char *ssh_curve_group(enum ssh_key_type t)
{
	const struct key_info *ki = info_of(t);

	return ki == NULL ? NULL : ki->group;
}

static bool name_is(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

enum ssh_key_type ssh_key_type_from_name(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < N_KEY_INFOS; i++)
		if (name_is(p, n, key_infos[i].name))
			return key_infos[i].type;
	return SSH_KEY_UNKNOWN;
}

enum ssh_key_type ssh_key_type_from_cert_name(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < N_KEY_INFOS; i++)
		if (name_is(p, n, key_infos[i].cert_name))
			return key_infos[i].type;
	return SSH_KEY_UNKNOWN;
}

/* The size in bytes of a field element of an ECDSA type's curve. */
static size_t ec_field_len(enum ssh_key_type t)
{
	switch (t) {
	case SSH_KEY_ECDSA_P256:
	case SSH_KEY_SK_ECDSA:
		return 32;
	case SSH_KEY_ECDSA_P384:
		return 48;
	case SSH_KEY_ECDSA_P521:
		return 66;
	default:
		return 0;
	}
}

int ssh_pubkey_skip_fields(struct wire_reader *r, enum ssh_key_type t)
{
	const uint8_t *p;
	size_t n, strings = 0, mpints = 0;

	switch (t) {
	case SSH_KEY_ED25519:
		strings = 1; /* pk */
		break;
	case SSH_KEY_ECDSA_P256:
	case SSH_KEY_ECDSA_P384:
	case SSH_KEY_ECDSA_P521:
	case SSH_KEY_SK_ED25519:
		strings = 2; /* curve and Q / pk and application */
		break;
	case SSH_KEY_SK_ECDSA:
		strings = 3; /* curve, Q, application */
		break;
	case SSH_KEY_RSA:
		mpints = 2; /* e, n */
		break;
	case SSH_KEY_DSA:
		mpints = 4; /* p, q, g, y */
		break;
	default:
		r->bad = true;
		return -1;
	}
	for (size_t i = 0; i < strings; i++)
		wire_get_string(r, &p, &n);
	for (size_t i = 0; i < mpints; i++)
		wire_get_mpint(r, &p, &n);
	return r->bad ? -1 : 0;
}

/* An EVP_PKEY of algorithm alg from the parameters of bld (a public key). */
static EVP_PKEY *pkey_from_params(const char *alg, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static int parse_rsa(struct wire_reader *r, struct ssh_pubkey *out, struct error *err)
{
	BIGNUM *e = NULL, *n = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	int rc = -1;

	wire_get_bignum(r, &e);
	wire_get_bignum(r, &n);
	if (r->bad) {
		err_set(err, ERR_INVALID, "malformed ssh-rsa public key");
		goto out;
	}
	if (BN_num_bits(n) > RSA_MAX_BITS) {
		err_set(err, ERR_INVALID, "ssh-rsa modulus of %d bits exceeds %d bits",
			BN_num_bits(n), RSA_MAX_BITS);
		goto out;
	}
	if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 32 || !BN_is_odd(n)) {
		err_set(err, ERR_INVALID, "invalid ssh-rsa public key");
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (out->pkey = pkey_from_params("RSA", bld)) == NULL) {
		err_openssl(err, ERR_INVALID, "invalid ssh-rsa public key");
		goto out;
	}
	rc = 0;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return rc;
}

/* An EC public key on the curve of t from its uncompressed point q (checked on the curve). */
static EVP_PKEY *ec_from_point(enum ssh_key_type t, const uint8_t *q, size_t n)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, ssh_curve_group(t),
					     0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, n))
		goto out;
	pkey = pkey_from_params("EC", bld);
	if (pkey == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || EVP_PKEY_public_check_quick(ctx) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static int parse_ecdsa(struct wire_reader *r, struct ssh_pubkey *out, struct error *err)
{
	const uint8_t *q;
	size_t n, l = ec_field_len(out->type);

	if (wire_get_name(r, ssh_curve_name(out->type)) != 0 || wire_get_string(r, &q, &n) != 0)
		return err_set(err, ERR_INVALID, "malformed %s public key",
			       ssh_key_type_name(out->type));
	if (n != 1 + 2 * l || q[0] != 0x04 ||
	    (out->pkey = ec_from_point(out->type, q, n)) == NULL) {
		ERR_clear_error();
		return err_set(err, ERR_INVALID, "invalid %s public key: not a point of %s",
			       ssh_key_type_name(out->type), ssh_curve_name(out->type));
	}
	return 0;
}

static int parse_ed25519(struct wire_reader *r, struct ssh_pubkey *out, struct error *err)
{
	const uint8_t *pk;
	size_t n;

	if (wire_get_string(r, &pk, &n) != 0 || n != ED25519_LEN)
		return err_set(err, ERR_INVALID, "malformed ssh-ed25519 public key");
	out->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, n);
	if (out->pkey == NULL)
		return err_openssl(err, ERR_INVALID, "invalid ssh-ed25519 public key");
	return 0;
}

/* The security-key types and DSA: structure checked, kept as blobs. */
static int parse_blob_only(struct wire_reader *r, enum ssh_key_type t, struct error *err)
{
	const uint8_t *p;
	size_t n;
	struct wire_reader copy = *r;

	if (t == SSH_KEY_SK_ECDSA) {
		wire_get_name(&copy, "nistp256");
		wire_get_string(&copy, &p, &n);
		if (copy.bad || n != 65 || p[0] != 0x04)
			return err_set(err, ERR_INVALID, "malformed %s public key",
				       ssh_key_type_name(t));
	} else if (t == SSH_KEY_SK_ED25519) {
		if (wire_get_string(&copy, &p, &n) != 0 || n != ED25519_LEN)
			return err_set(err, ERR_INVALID, "malformed %s public key",
				       ssh_key_type_name(t));
	}
	if (ssh_pubkey_skip_fields(r, t) != 0)
		return err_set(err, ERR_INVALID, "malformed %s public key", ssh_key_type_name(t));
	return 0;
}

static int parse_fields(struct wire_reader *r, struct ssh_pubkey *out, struct error *err)
{
	switch (out->type) {
	case SSH_KEY_RSA:
		return parse_rsa(r, out, err);
	case SSH_KEY_ECDSA_P256:
	case SSH_KEY_ECDSA_P384:
	case SSH_KEY_ECDSA_P521:
		return parse_ecdsa(r, out, err);
	case SSH_KEY_ED25519:
		return parse_ed25519(r, out, err);
	default:
		return parse_blob_only(r, out->type, err);
	}
}

int ssh_pubkey_from_blob(const uint8_t *b, size_t n, struct ssh_pubkey *out, struct error *err)
{
	struct wire_reader r;
	const uint8_t *name;
	size_t name_len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (n > SSH_MAX_BLOB)
		return err_set(err, ERR_INVALID, "ssh public key exceeds %d bytes", SSH_MAX_BLOB);
	wire_reader_init(&r, b, n);
	if (wire_get_string(&r, &name, &name_len) != 0) {
		err_set(err, ERR_INVALID, "malformed ssh public key");
		goto out;
	}
	out->type = ssh_key_type_from_name(name, name_len);
	if (out->type == SSH_KEY_UNKNOWN) {
		err_set(err, ERR_INVALID, "unsupported ssh public key algorithm \"%.*s\"",
			(int)(name_len > 64 ? 64 : name_len), (const char *)name);
		goto out;
	}
	if (parse_fields(&r, out, err) != 0)
		goto out;
	if (!wire_done(&r)) {
		err_set(err, ERR_INVALID, "malformed %s public key: trailing data",
			ssh_key_type_name(out->type));
		goto out;
	}
	out->blob = xmalloc(n);
	memcpy(out->blob, b, n);
	out->blob_len = n;
	rc = 0;
out:
	if (rc != 0)
		ssh_pubkey_clear(out);
	return rc;
}

/* The end of the next run of non-blank characters at s. */
static const char *word_end(const char *s)
{
	while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
		s++;
	return s;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int ssh_line_split(const char *line, char **type, uint8_t **blob, size_t *len, struct error *err)
{
	const char *t, *te, *b, *be;

	*type = NULL;
	*blob = NULL;
	*len = 0;
	t = skip_blanks(line);
	te = word_end(t);
	b = skip_blanks(te);
	be = word_end(b);
	if (te == t || be == b || b == te)
		return err_set(err, ERR_INVALID,
			       "malformed ssh key line: want \"<type> <base64>\"");
	if ((size_t)(be - b) > (SSH_MAX_BLOB / 3 + 1) * 4)
		return err_set(err, ERR_INVALID, "ssh key line exceeds %d bytes", SSH_MAX_BLOB);
	if (b64_decode(b, (size_t)(be - b), false, blob, len, err) != 0)
		return err_wrap(err, "malformed ssh key line");
	*type = xmalloc((size_t)(te - t) + 1);
	memcpy(*type, t, (size_t)(te - t));
	(*type)[te - t] = '\0';
	return 0;
}

int ssh_pubkey_from_line(const char *line, struct ssh_pubkey *out, struct error *err)
{
	char *type = NULL;
	uint8_t *blob = NULL;
	size_t len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ssh_line_split(line, &type, &blob, &len, err) != 0 ||
	    ssh_pubkey_from_blob(blob, len, out, err) != 0)
		goto out;
	if (strcmp(type, ssh_key_type_name(out->type)) != 0) {
		err_set(err, ERR_INVALID, "ssh key line type %.64s does not match its key %s", type,
			ssh_key_type_name(out->type));
		ssh_pubkey_clear(out);
		goto out;
	}
	rc = 0;
out:
	free(type);
	free(blob);
	return rc;
}

enum ssh_key_type ssh_key_type_of_evp(const EVP_PKEY *key)
{
	char group[64];
	size_t len;
	int nid;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
		return SSH_KEY_ED25519;
	case EVP_PKEY_RSA:
		return SSH_KEY_RSA;
	case EVP_PKEY_EC:
		break;
	default:
		return SSH_KEY_UNKNOWN;
	}
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &len) != 1)
		return SSH_KEY_UNKNOWN;
	nid = OBJ_sn2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	for (size_t i = 0; i < N_KEY_INFOS; i++)
		if (key_infos[i].nid != 0 && key_infos[i].nid == nid)
			return key_infos[i].type;
	return SSH_KEY_UNKNOWN;
}

static int put_ec_public(struct wire_writer *w, EVP_PKEY *key, enum ssh_key_type t)
{
	BIGNUM *x = NULL, *y = NULL;
	size_t l = ec_field_len(t);
	uint8_t q[1 + 2 * 66];
	int rc = -1;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto out;
	q[0] = 0x04;
	if (BN_bn2binpad(x, q + 1, (int)l) < 0 || BN_bn2binpad(y, q + 1 + l, (int)l) < 0)
		goto out;
	wire_put_cstring(w, ssh_curve_name(t));
	wire_put_string(w, q, 1 + 2 * l);
	rc = 0;
out:
	BN_free(x);
	BN_free(y);
	return rc;
}

static int put_rsa_public(struct wire_writer *w, EVP_PKEY *key)
{
	BIGNUM *n = NULL, *e = NULL;
	int rc = -1;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
	    BN_num_bits(n) > RSA_MAX_BITS)
		goto out;
	wire_put_bignum(w, e);
	wire_put_bignum(w, n);
	rc = 0;
out:
	BN_free(n);
	BN_free(e);
	return rc;
}

int ssh_put_evp_public(struct wire_writer *w, EVP_PKEY *key, enum ssh_key_type t, struct error *err)
{
	uint8_t pk[ED25519_LEN];
	size_t n = sizeof(pk);
	int rc = -1;

	switch (t) {
	case SSH_KEY_ED25519:
		if (EVP_PKEY_get_raw_public_key(key, pk, &n) == 1 && n == ED25519_LEN) {
			wire_put_string(w, pk, n);
			rc = 0;
		}
		break;
	case SSH_KEY_ECDSA_P256:
	case SSH_KEY_ECDSA_P384:
	case SSH_KEY_ECDSA_P521:
		rc = put_ec_public(w, key, t);
		break;
	case SSH_KEY_RSA:
		rc = put_rsa_public(w, key);
		break;
	default:
		break;
	}
	if (rc != 0)
		return err_openssl(err, ERR_INVALID, "cannot encode the key as an ssh public key");
	return 0;
}

int ssh_pubkey_from_evp(EVP_PKEY *pkey, struct ssh_pubkey *out, struct error *err)
{
	struct wire_writer w;
	enum ssh_key_type t = ssh_key_type_of_evp(pkey);

	memset(out, 0, sizeof(*out));
	if (t == SSH_KEY_UNKNOWN)
		return err_set(err, ERR_INVALID,
			       "unsupported ssh key: want EC P-256/P-384/P-521, Ed25519 or RSA");
	wire_writer_init(&w, SSH_MAX_BLOB, err);
	wire_put_cstring(&w, ssh_key_type_name(t));
	if (ssh_put_evp_public(&w, pkey, t, err) != 0) {
		wire_writer_free(&w);
		return -1;
	}
	if (wire_writer_finish(&w, &out->blob, &out->blob_len) != 0)
		return -1;
	out->type = t;
	EVP_PKEY_up_ref(pkey);
	out->pkey = pkey;
	return 0;
}

char *ssh_pubkey_line(const struct ssh_pubkey *k, const char *comment)
{
	char *b64 = b64_encode(k->blob, k->blob_len);
	char *line;

	if (comment != NULL && comment[0] != '\0')
		line = xasprintf("%s %s %s", ssh_key_type_name(k->type), b64, comment);
	else
		line = xasprintf("%s %s", ssh_key_type_name(k->type), b64);
	free(b64);
	return line;
}

void ssh_pubkey_fingerprint(const struct ssh_pubkey *k, char out[SSH_FINGERPRINT_MAX])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	char *b64;
	size_t n;

	SHA256(k->blob, k->blob_len, md);
	b64 = b64_encode(md, sizeof(md));
	n = strlen(b64);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, SSH_FINGERPRINT_MAX, "SHA256:%.*s", (int)n, b64);
	free(b64);
}

bool ssh_pubkey_equal(const struct ssh_pubkey *a, const struct ssh_pubkey *b)
{
	return a->blob != NULL && b->blob != NULL && a->blob_len == b->blob_len &&
	       memcmp(a->blob, b->blob, a->blob_len) == 0;
}

int ssh_pubkey_check_allowed(const struct ssh_pubkey *k, struct error *err)
{
	/* step-ca's messages and statuses for the keys it refuses to certify. */
	if (k->type == SSH_KEY_DSA)
		return err_public(err, ERR_INVALID,
				  "ssh certificate key algorithm (DSA) is not supported");
	if (k->type == SSH_KEY_UNKNOWN || k->blob == NULL)
		return err_public(err, ERR_INVALID, "ssh certificate key is not supported");
	if (k->type == SSH_KEY_RSA && (k->pkey == NULL || EVP_PKEY_get_bits(k->pkey) < 2048))
		return err_public(err, ERR_FORBIDDEN,
				  "ssh certificate key must be at least 2048 bits (256 bytes)");
	return 0;
}

void ssh_pubkey_copy(struct ssh_pubkey *dst, const struct ssh_pubkey *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->type = src->type;
	if (src->pkey != NULL) {
		EVP_PKEY_up_ref(src->pkey);
		dst->pkey = src->pkey;
	}
	if (src->blob != NULL) {
		dst->blob = xmalloc(src->blob_len == 0 ? 1 : src->blob_len);
		memcpy(dst->blob, src->blob, src->blob_len);
		dst->blob_len = src->blob_len;
	}
}

void ssh_pubkey_clear(struct ssh_pubkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->blob);
	memset(k, 0, sizeof(*k));
}
