/* x509desc_san.c - the subjectAltName of a certificate description. The types Go knows (dns,
 * email, ip, uri, auto) go through Go's own encoder (DNS, email, IP, URI order); with any other
 * type step's x509util writes the extension itself: the dnsNames, emailAddresses, ipAddresses
 * and uris lists, then every "sans" entry in order. */
#include <ctype.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"
#include "crypto/x509desc.h"

static bool is_go_type(const char *t)
{
	return *t == '\0' || strcmp(t, "dns") == 0 || strcmp(t, "email") == 0 ||
	       strcmp(t, "ip") == 0 || strcmp(t, "uri") == 0 || strcmp(t, "auto") == 0;
}

bool x509_desc_has_extended_sans(const struct x509_desc *d)
{
	for (size_t i = 0; i < d->n_sans; i++)
		if (!is_go_type(d->sans[i].type))
			return true;
	return false;
}

/* x509util's SubjectAlternativeName.Set: the type compared case-insensitively, an empty value
 * skipped, an IP that does not parse skipped, auto classified as step classifies SANs. */
static void san_set(const struct x509_san_desc *s, struct names *n)
{
	char *t = str_lower(xstrdup(s->type));
	ASN1_OCTET_STRING *ip;

	if (s->value[0] == '\0') {
		free(t);
		return;
	}
	if (strcmp(t, "dns") == 0) {
		strv_push(&n->dns, s->value);
	} else if (strcmp(t, "email") == 0) {
		strv_push(&n->email, s->value);
	} else if (strcmp(t, "ip") == 0) {
		ip = a2i_IPADDRESS(s->value);
		if (ip != NULL)
			strv_push(&n->ip, s->value);
		ASN1_OCTET_STRING_free(ip);
		ERR_clear_error();
	} else if (strcmp(t, "uri") == 0) {
		strv_push(&n->uri, s->value);
	} else {
		names_add_san(n, s->value);
	}
	free(t);
}

int x509_desc_san_names(const struct x509_desc *d, struct names *out, struct error *err)
{
	(void)err;
	memset(out, 0, sizeof(*out));
	out->cn = xstrdup("");
	for (size_t i = 0; i < d->names.dns.n; i++)
		strv_push(&out->dns, d->names.dns.v[i]);
	for (size_t i = 0; i < d->names.email.n; i++)
		strv_push(&out->email, d->names.email.v[i]);
	for (size_t i = 0; i < d->names.ip.n; i++)
		strv_push(&out->ip, d->names.ip.v[i]);
	for (size_t i = 0; i < d->names.uri.n; i++)
		strv_push(&out->uri, d->names.uri.v[i]);
	for (size_t i = 0; i < d->n_sans; i++)
		san_set(&d->sans[i], out);
	return 0;
}

/* The GeneralNames content (no SEQUENCE header) of names n. */
static int put_names(struct dbuf *b, const struct names *n, struct error *err)
{
	struct dbuf seq = {0};
	uint8_t tag;
	size_t hdr, len;

	if (crypto_san_der(n, &seq, err) != 0) {
		dbuf_free(&seq);
		return -1;
	}
	if (seq.n > 0 && der_header(seq.p, seq.n, &tag, &hdr, &len) == 0)
		dbuf_put(b, seq.p + hdr, len);
	dbuf_free(&seq);
	return 0;
}

/* otherName [0] { type-id, [0] EXPLICIT value }. */
static int put_other_name(struct dbuf *b, const char *oid, const struct dbuf *value,
			  struct error *err)
{
	struct dbuf in = {0}, v = {0};
	int rc = -1;

	if (dbuf_put_oid(&in, oid, err) != 0)
		goto out;
	dbuf_put_tlv(&v, 0xa0, value->p, value->n);
	dbuf_put(&in, v.p, v.n);
	dbuf_put_tlv(b, 0xa0, in.p, in.n);
	rc = 0;
out:
	dbuf_free(&in);
	dbuf_free(&v);
	return rc;
}

static bool all_in(const char *s, bool (*ok)(int c))
{
	for (; *s != '\0'; s++)
		if (!ok((unsigned char)*s))
			return false;
	return true;
}
static bool ia5_char(int c)
{
	return c < 0x80;
}
static bool printable_char(int c)
{
	return isalnum(c) || strchr(" '()+,-./:=?*&", c) != NULL; /* step allows * and & */
}
static bool numeric_char(int c)
{
	return isdigit(c) || c == ' ';
}

/* x509util's marshalValue for "<type>:<value>" SANs of an OID type: printable by default, utf8,
 * ia5, numeric, int, oid, bool. */
static int typed_value(const char *value, struct dbuf *out, struct error *err)
{
	const char *colon = strchr(value, ':');
	char type[16] = "printable";
	const char *v = value;

	if (colon != NULL && (size_t)(colon - value) < sizeof(type)) {
		memcpy(type, value, (size_t)(colon - value));
		type[colon - value] = '\0';
		v = colon + 1;
	}
	if (strcmp(type, "utf8") == 0)
		dbuf_put_tlv(out, V_ASN1_UTF8STRING, v, strlen(v));
	else if (strcmp(type, "ia5") == 0 && all_in(v, ia5_char))
		dbuf_put_tlv(out, V_ASN1_IA5STRING, v, strlen(v));
	else if (strcmp(type, "numeric") == 0 && all_in(v, numeric_char))
		dbuf_put_tlv(out, V_ASN1_NUMERICSTRING, v, strlen(v));
	else if (strcmp(type, "int") == 0) {
		char *end;
		long long n = strtoll(v, &end, 10);
		ASN1_INTEGER *ai = ASN1_INTEGER_new();
		unsigned char *der = NULL;
		int len =
		    (*v != '\0' && *end == '\0' && ai != NULL && ASN1_INTEGER_set_int64(ai, n))
			? i2d_ASN1_INTEGER(ai, &der)
			: -1;
		ASN1_INTEGER_free(ai);
		if (len <= 0)
			return err_set(err, ERR_INVALID, "invalid int value");
		dbuf_put(out, der, (size_t)len);
		OPENSSL_free(der);
	} else if (strcmp(type, "oid") == 0) {
		return dbuf_put_oid(out, v, err);
	} else if (strcmp(type, "bool") == 0 || strcmp(type, "boolean") == 0) {
		uint8_t t = strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ? 0xff : 0x00;
		if (t == 0 && strcmp(v, "false") != 0 && strcmp(v, "0") != 0)
			return err_set(err, ERR_INVALID, "invalid bool value");
		dbuf_put_tlv(out, V_ASN1_BOOLEAN, &t, 1);
	} else {
		/* printable, and an unknown type defaults to printable */
		if (!all_in(v, printable_char))
			return err_set(err, ERR_INVALID, "invalid printable value");
		dbuf_put_tlv(out, V_ASN1_PRINTABLESTRING, v, strlen(v));
	}
	return 0;
}

static int put_extended(struct dbuf *b, const struct x509_san_desc *s, struct error *err)
{
	struct dbuf v = {0};
	int rc = -1;

	if (strcmp(s->type, "permanentIdentifier") == 0) {
		struct dbuf seq = {0};
		const char *id = s->value, *assigner = NULL;
		json_t *j = s->asn1_value != NULL ? json_loads(s->asn1_value, 0, NULL) : NULL;

		if (j != NULL) {
			id = json_string_value(json_object_get(j, "identifier"));
			assigner = json_string_value(json_object_get(j, "assigner"));
		}
		if (id != NULL && *id != '\0')
			dbuf_put_tlv(&seq, V_ASN1_UTF8STRING, id, strlen(id));
		rc = assigner != NULL && *assigner != '\0' ? dbuf_put_oid(&seq, assigner, err) : 0;
		json_decref(j);
		if (rc == 0) {
			dbuf_put_tlv(&v, 0x30, seq.p, seq.n);
			rc = put_other_name(b, "1.3.6.1.5.5.7.8.3", &v, err);
		}
		dbuf_free(&seq);
	} else if (strcmp(s->type, "userPrincipalName") == 0) {
		if (s->value[0] == '\0') {
			err_set(err, ERR_INVALID,
				"error parsing UserPrincipalName SAN: empty value is not allowed");
			goto out;
		}
		dbuf_put_tlv(&v, V_ASN1_UTF8STRING, s->value, strlen(s->value));
		rc = put_other_name(b, "1.3.6.1.4.1.311.20.2.3", &v, err);
	} else if (strcmp(s->type, "registeredID") == 0) {
		struct dbuf oid = {0};
		uint8_t tag;
		size_t hdr, len;
		if (s->value[0] == '\0' || dbuf_put_oid(&oid, s->value, err) != 0 ||
		    der_header(oid.p, oid.n, &tag, &hdr, &len) != 0) {
			dbuf_free(&oid);
			err_set(err, ERR_INVALID, "error parsing OID for RegisteredID SAN");
			goto out;
		}
		dbuf_put_tlv(b, 0x88, oid.p + hdr, len);
		dbuf_free(&oid);
		rc = 0;
	} else if (isdigit((unsigned char)s->type[0])) {
		if (typed_value(s->value, &v, err) != 0)
			goto out;
		rc = put_other_name(b, s->type, &v, err);
	} else {
		err_set(err, ERR_INVALID, "unsupported SAN type %s", s->type);
	}
out:
	dbuf_free(&v);
	return rc;
}

int x509_desc_san_ext_der(const struct x509_desc *d, struct dbuf *out, struct error *err)
{
	struct dbuf all = {0};
	struct names n = {0};
	int rc = -1;

	n.cn = xstrdup("");
	for (size_t i = 0; i < d->names.dns.n; i++)
		if (d->names.dns.v[i][0] != '\0')
			strv_push(&n.dns, d->names.dns.v[i]);
	for (size_t i = 0; i < d->names.email.n; i++)
		if (d->names.email.v[i][0] != '\0')
			strv_push(&n.email, d->names.email.v[i]);
	for (size_t i = 0; i < d->names.ip.n; i++)
		strv_push(&n.ip, d->names.ip.v[i]);
	for (size_t i = 0; i < d->names.uri.n; i++)
		if (d->names.uri.v[i][0] != '\0')
			strv_push(&n.uri, d->names.uri.v[i]);
	if (put_names(&all, &n, err) != 0)
		goto out;
	for (size_t i = 0; i < d->n_sans; i++) {
		const struct x509_san_desc *s = &d->sans[i];

		if (s->value[0] == '\0' && s->asn1_value == NULL)
			continue;
		if (is_go_type(s->type)) {
			struct names one = {0};
			int r;
			one.cn = xstrdup("");
			san_set(s, &one);
			r = put_names(&all, &one, err);
			names_free(&one);
			if (r != 0)
				goto out;
		} else if (put_extended(&all, s, err) != 0) {
			goto out;
		}
	}
	out->n = 0;
	if (all.n > 0)
		dbuf_put_tlv(out, 0x30, all.p, all.n);
	rc = 0;
out:
	names_free(&n);
	dbuf_free(&all);
	return rc;
}
