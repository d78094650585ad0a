/* x509desc_name.c - the subject of a certificate description as DER, in the order and with
 * the string types Go's pkix.Name.ToRDNSequence and encoding/asn1 give it; and the reverse,
 * a certificate's name read as step's Name. */
#include <openssl/err.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"
#include "crypto/x509desc.h"

/* Appends an ASN.1 string as Go's encoding/asn1 marshals a Go string without a type:
 * PrintableString when every character allows it (no '*' nor '&'), else UTF8String. */
static int put_go_string(struct dbuf *b, const char *s, struct error *err)
{
	bool printable = true;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(" '()+,-./:=?", *p) != NULL))
			printable = false;
	if (!printable) {
		ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();
		int ok = u != NULL && ASN1_mbstring_copy(&u, (const unsigned char *)s, -1,
							 MBSTRING_UTF8, B_ASN1_UTF8STRING) > 0;
		ASN1_UTF8STRING_free(u);
		if (!ok) {
			ERR_clear_error();
			return err_set(err, ERR_INVALID, "asn1: string not valid UTF-8");
		}
	}
	dbuf_put_tlv(b, printable ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING, s, strlen(s));
	return 0;
}

/* DER orders the members of a SET OF by their encodings (X.690 §11.6), as OpenSSL's name
 * encoder does: bytewise, a prefix first. */
static int der_order(const void *a, const void *b)
{
	const struct dbuf *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	if (c != 0)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* How an attribute value is written: Go's string rule, an IA5String, or an INTEGER. */
enum value_kind { VALUE_GO_STRING, VALUE_IA5, VALUE_INTEGER };

/* One AttributeTypeAndValue. */
static int put_atv(struct dbuf *out, const char *oid, enum value_kind kind, const char *value,
		   struct error *err)
{
	struct dbuf atv = {0};
	int rc = -1;

	if (dbuf_put_oid(&atv, oid, err) != 0) {
		err_set(err, ERR_INVALID, "invalid name attribute %s", oid);
		goto out;
	}
	if (kind == VALUE_INTEGER) {
		/* Go can write one, but OpenSSL cannot read a name that holds it back */
		err_set(err, ERR_INVALID, "invalid name attribute %s: an INTEGER value", oid);
		goto out;
	} else if (kind == VALUE_IA5) {
		dbuf_put_tlv(&atv, V_ASN1_IA5STRING, value, strlen(value));
	} else if (put_go_string(&atv, value, err) != 0) {
		goto out;
	}
	dbuf_put_tlv(out, 0x30, atv.p, atv.n);
	rc = 0;
out:
	dbuf_free(&atv);
	return rc;
}

/* One RDN holding every value of one attribute (Go writes a multi-valued attribute so). */
static int put_rdn(struct dbuf *name, const char *oid, const struct strv *values, struct error *err)
{
	struct dbuf one = {0}, *atvs;
	struct dbuf set = {0};
	int rc = -1;

	if (values->n == 1) { /* the common case: no sorting, no array */
		if (put_atv(&one, oid, VALUE_GO_STRING, values->v[0], err) == 0) {
			dbuf_put_tlv(name, 0x31, one.p, one.n);
			rc = 0;
		}
		dbuf_free(&one);
		return rc;
	}
	atvs = xcalloc(values->n, sizeof(*atvs));
	for (size_t i = 0; i < values->n; i++)
		if (put_atv(&atvs[i], oid, VALUE_GO_STRING, values->v[i], err) != 0)
			goto out;
	qsort(atvs, values->n, sizeof(*atvs), der_order);
	for (size_t i = 0; i < values->n; i++)
		dbuf_put(&set, atvs[i].p, atvs[i].n);
	dbuf_put_tlv(name, 0x31, set.p, set.n);
	rc = 0;
out:
	for (size_t i = 0; i < values->n; i++)
		dbuf_free(&atvs[i]);
	free(atvs);
	dbuf_free(&set);
	return rc;
}

static bool in_extra(const struct x509_name_desc *n, const char *oid)
{
	for (size_t i = 0; i < n->n_extra; i++)
		if (strcmp(n->extra[i].oid, oid) == 0)
			return true;
	return false;
}

static int put_attr(struct dbuf *name, const struct x509_name_desc *n, const char *oid,
		    const struct strv *values, struct error *err)
{
	if (values->n == 0 || in_extra(n, oid))
		return 0;
	return put_rdn(name, oid, values, err);
}

static int put_single(struct dbuf *name, const struct x509_name_desc *n, const char *oid,
		      const char *value, struct error *err)
{
	struct strv one = {.v = (char **)&value, .n = 1};

	if (value == NULL || *value == '\0')
		return 0;
	return put_attr(name, n, oid, &one, err);
}

int x509_name_desc_der(const struct x509_name_desc *n, struct dbuf *out, size_t *entries,
		       struct error *err)
{
	struct dbuf rdns = {0};
	int rc = -1;

	if (put_attr(&rdns, n, "2.5.4.6", &n->country, err) != 0 ||
	    put_attr(&rdns, n, "2.5.4.8", &n->province, err) != 0 ||
	    put_attr(&rdns, n, "2.5.4.7", &n->locality, err) != 0 ||
	    put_attr(&rdns, n, "2.5.4.9", &n->street, err) != 0 ||
	    put_attr(&rdns, n, "2.5.4.17", &n->postal_code, err) != 0 ||
	    put_attr(&rdns, n, "2.5.4.10", &n->organization, err) != 0 ||
	    put_attr(&rdns, n, "2.5.4.11", &n->unit, err) != 0 ||
	    put_single(&rdns, n, "2.5.4.3", n->common_name, err) != 0 ||
	    put_single(&rdns, n, "2.5.4.5", n->serial_number, err) != 0)
		goto out;
	for (size_t i = 0; i < n->n_extra; i++) {
		const struct x509_dn_attr *a = &n->extra[i];
		struct dbuf atv = {0};
		/* Go writes a string emailAddress (PKCS #9) as an IA5String */
		enum value_kind kind = a->is_int ? VALUE_INTEGER
				       : strcmp(a->oid, "1.2.840.113549.1.9.1") == 0
					   ? VALUE_IA5
					   : VALUE_GO_STRING;
		int r = put_atv(&atv, a->oid, kind, a->value, err);
		if (r == 0)
			dbuf_put_tlv(&rdns, 0x31, atv.p, atv.n);
		dbuf_free(&atv);
		if (r != 0)
			goto out;
	}
	if (entries != NULL)
		*entries = rdns.n; /* 0 exactly when the name has no attribute */
	dbuf_put_tlv(out, 0x30, rdns.p, rdns.n);
	rc = 0;
out:
	dbuf_free(&rdns);
	return rc;
}

int x509_name_desc_build(const struct x509_name_desc *n, X509_NAME **out, struct error *err)
{
	struct dbuf der = {0};
	const unsigned char *p;

	*out = NULL;
	if (x509_name_desc_der(n, &der, NULL, err) != 0) {
		dbuf_free(&der);
		return -1;
	}
	p = der.p;
	*out = d2i_X509_NAME(NULL, &p, (long)der.n);
	dbuf_free(&der);
	if (*out == NULL)
		return err_openssl(err, ERR_CRYPTO, "error building a name");
	return 0;
}

int x509_name_desc_from_x509(const X509_NAME *name, struct x509_name_desc *out, struct error *err)
{
	int n = X509_NAME_entry_count(name);

	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
		char oid[128];
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, v);
		struct strv *list = NULL;
		char **single = NULL;

		if (len < 0 ||
		    OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1) <= 0 ||
		    memchr(utf8, 0, (size_t)len) != NULL) {
			OPENSSL_free(utf8);
			ERR_clear_error();
			return err_set(err, ERR_INVALID, "invalid subject attribute");
		}
		/* Go's FillFromRDNSequence, then step's extraNames for the attributes pkix.Name has
		 * no field for */
		if (strcmp(oid, "2.5.4.6") == 0)
			list = &out->country;
		else if (strcmp(oid, "2.5.4.8") == 0)
			list = &out->province;
		else if (strcmp(oid, "2.5.4.7") == 0)
			list = &out->locality;
		else if (strcmp(oid, "2.5.4.9") == 0)
			list = &out->street;
		else if (strcmp(oid, "2.5.4.17") == 0)
			list = &out->postal_code;
		else if (strcmp(oid, "2.5.4.10") == 0)
			list = &out->organization;
		else if (strcmp(oid, "2.5.4.11") == 0)
			list = &out->unit;
		else if (strcmp(oid, "2.5.4.3") == 0)
			single = &out->common_name;
		else if (strcmp(oid, "2.5.4.5") == 0)
			single = &out->serial_number;
		if (list != NULL) {
			strv_push(list, (const char *)utf8);
		} else if (single != NULL) {
			free(*single);
			*single = xstrdup((const char *)utf8);
		} else {
			out->extra = xrealloc(out->extra, (out->n_extra + 1) * sizeof(*out->extra));
			memset(&out->extra[out->n_extra], 0, sizeof(*out->extra));
			out->extra[out->n_extra].oid = xstrdup(oid);
			out->extra[out->n_extra].value = xstrdup((const char *)utf8);
			out->n_extra++;
		}
		OPENSSL_free(utf8);
	}
	return 0;
}
