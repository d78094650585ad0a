/* finalize.c - finalizing an order (RFC 8555 §7.4): the CSR must name exactly the order's
 * identifiers; the certificate is issued by the authority as /sign issues (claims, the key
 * policy, lineage and blocked keys in the commit), and the order becomes valid in the same
 * commit as the certificate, so two finalizes of one order cannot both issue.
 */
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "base/b64.h"
#include "base/buf.h"
#include "base/duration.h"
#include "base/metrics.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "store/store.h"

#define CERT_RECORD_KEEP_NS (24 * 3600 * NS_PER_SEC) /* after the certificate expires */
#define CSR_MAX		    (16 * 1024)

struct finalize_state {
	json_t *order; /* the order as written (valid) */
	struct issued out;
};

static void finalize_state_free(void *arg)
{
	struct finalize_state *f = arg;

	if (f == NULL)
		return;
	json_decref(f->order);
	issued_free(&f->out);
	free(f);
}

/* Decodes and checks the CSR of the payload: base64url DER (trailing '=' tolerated), a valid
 * self-signature, a key the CA accepts. */
static int finalize_csr(struct acme_call *c, X509_REQ **csr, struct acme_problem *p)
{
	const char *s = json_string_value(json_object_get(c->payload, "csr"));
	size_t n = s != NULL ? strlen(s) : 0;
	uint8_t *der = NULL;
	size_t der_len = 0;
	struct error err;
	int rc = -1;

	*csr = NULL;
	if (s == NULL || n == 0 || n > CSR_MAX)
		return acme_fail(p, ACME_PROB_MALFORMED, "the payload has no csr");
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (b64url_decode(s, n, &der, &der_len, &err) != 0) {
		acme_fail(p, ACME_PROB_MALFORMED, "the csr is not base64url");
		goto out;
	}
	/* the CSR parser of /sign first (no per-call key decoder; it takes only what re-encodes
	 * to the input exactly), then OpenSSL's for everything else */
	*csr = csr_parse_der_fast(der, der_len);
	if (*csr == NULL) {
		const unsigned char *pp = der;

		*csr = d2i_X509_REQ(NULL, &pp, (long)der_len);
	}
	if (*csr == NULL) {
		acme_fail(p, ACME_PROB_BAD_CSR, "the csr is not a DER certificate request");
		goto out;
	}
	if (request_csr_check(*csr, "the csr's signature is invalid", &err) != 0) {
		acme_fail(p, ACME_PROB_BAD_CSR, "%s", err.msg);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		X509_REQ_free(*csr);
		*csr = NULL;
	}
	free(der);
	return rc;
}

/* Whether two sorted lists are equal. */
static bool strv_equal(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static int strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts sv and drops duplicates. */
static void strv_sort_unique(struct strv *sv)
{
	size_t o = 0;

	if (sv->n == 0)
		return;
	qsort(sv->v, sv->n, sizeof(char *), strv_cmp);
	for (size_t i = 0; i < sv->n; i++) {
		if (o > 0 && strcmp(sv->v[o - 1], sv->v[i]) == 0) {
			free(sv->v[i]);
			continue;
		}
		sv->v[o++] = sv->v[i];
	}
	sv->n = o;
}

/* "[a b c]" for a detail. */
static char *strv_text(const struct strv *sv)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_append_str(&b, "[", NULL);
	for (size_t i = 0; i < sv->n; i++)
		buf_printf(&b, NULL, "%s%s", i > 0 ? " " : "", sv->v[i]);
	buf_append_str(&b, "]", NULL);
	return buf_steal(&b);
}

/* The CSR's names against the order's identifiers: the CN counts as a name; DNS names compared
 * lower-cased, IPs in canonical form; both sets must be equal (RFC 8555 §7.4). */
static int match_names(X509_REQ *csr, const json_t *order, struct names *names,
		       struct acme_problem *p)
{
	struct strv want_dns = {0}, want_ip = {0};
	const json_t *idents = json_object_get(order, "identifiers");
	struct error err;
	size_t i;
	json_t *v;
	int rc = -1;

	if (csr_names(csr, names, &err) != 0)
		return acme_fail(p, ACME_PROB_BAD_CSR, "%s", err.msg);
	if (names->email.n > 0 || names->uri.n > 0)
		return acme_fail(p, ACME_PROB_BAD_CSR,
				 "only DNS names and IP addresses are allowed in the csr");
	if (names->cn[0] != '\0')
		names_add_san(names, names->cn);
	for (i = 0; i < names->dns.n; i++)
		str_lower(names->dns.v[i]);
	strv_sort_unique(&names->dns);
	strv_sort_unique(&names->ip);
	json_array_foreach(idents, i, v)
	{
		if (strcmp(acme_get_str(v, "type"), "ip") == 0)
			strv_push(&want_ip, acme_get_str(v, "value"));
		else
			strv_push(&want_dns, acme_get_str(v, "value"));
	}
	strv_sort_unique(&want_dns);
	strv_sort_unique(&want_ip);
	if (!strv_equal(&want_dns, &names->dns) || !strv_equal(&want_ip, &names->ip)) {
		char *got_dns = strv_text(&names->dns), *got_ip = strv_text(&names->ip);
		char *w_dns = strv_text(&want_dns), *w_ip = strv_text(&want_ip);

		acme_fail(p, ACME_PROB_BAD_CSR,
			  "the csr's names (dns %s, ip %s) are not the order's identifiers (dns "
			  "%s, ip %s)",
			  got_dns, got_ip, w_dns, w_ip);
		free(got_dns);
		free(got_ip);
		free(w_dns);
		free(w_ip);
		goto out;
	}
	rc = 0;
out:
	strv_free(&want_dns);
	strv_free(&want_ip);
	return rc;
}

#define CN_MAX 64 /* ub-common-name, RFC 5280 */

/* The subject CN of a certificate for names: the CSR's, else the first DNS name, then IP, that
 * fits; NULL when none does. */
static const char *subject_cn(const struct names *names)
{
	if (names->cn[0] != '\0')
		return names->cn;
	for (size_t i = 0; i < names->dns.n; i++)
		if (strlen(names->dns.v[i]) <= CN_MAX)
			return names->dns.v[i];
	for (size_t i = 0; i < names->ip.n; i++)
		if (strlen(names->ip.v[i]) <= CN_MAX)
			return names->ip.v[i];
	return NULL;
}

/* The subject and SANs of the new certificate, for the audit record. */
static void audit_names(struct acme_call *c, const struct issued *out)
{
	struct names n = {0};
	const struct strv *lists[4] = {&n.dns, &n.ip, &n.email, &n.uri};

	if (out->der != NULL && cert_der_names(out->der, out->der_len, &n, NULL) == 0) {
		c->resp.subject = xstrdup(n.cn);
		for (int l = 0; l < 4; l++)
			for (size_t i = 0; i < lists[l]->n; i++)
				strv_push(&c->resp.sans, lists[l]->v[i]);
	}
	names_free(&n);
}

static void finalized(struct acme_call *c, struct store_txn *t)
{
	struct finalize_state *f = c->scratch;
	struct acme_problem p;
	struct error err = {0};

	if (t->record_conflict) {
		acme_retry(c); /* finalized meanwhile: the retry answers with that */
		return;
	}
	if (issuance_settle(t, 0, &err) != 0) {
		acme_fail_from_error(&p, ACME_PROB_BAD_CSR, &err);
		acme_reply_problem(c, &p);
		return;
	}
	c->resp.serial = xstrdup(f->out.serial);
	audit_names(c, &f->out);
	metrics_acme_order(METRICS_ORDER_VALID);
	acme_order_reply(c, 200, c->path.id1, f->order, "valid", false);
}

void acme_finalize(struct acme_call *c)
{
	X509_REQ *csr = NULL;
	json_t *order = NULL;
	struct names names = {0};
	struct finalize_state *f = NULL;
	struct store_txn *t = NULL;
	const char *status;
	int64_t version = 0, nb, na;
	struct acme_problem p;
	struct error err = {0};

	if (finalize_csr(c, &csr, &p) != 0 || acme_order_load(c, &order, &version, &p) != 0 ||
	    acme_order_status(c->ac, order, c->now_ns, &status, &p) != 0)
		goto fail;
	if (strcmp(status, "valid") == 0) {
		acme_order_reply(c, 200, c->path.id1, order, status, true);
		goto out;
	}
	if (strcmp(status, "ready") != 0) {
		acme_fail(&p, ACME_PROB_ORDER_NOT_READY, "the order is %s, not ready", status);
		goto fail;
	}
	if (match_names(csr, order, &names, &p) != 0)
		goto fail;
	nb = acme_get_time(order, "notBefore");
	na = acme_get_time(order, "notAfter");
	f = xcalloc(1, sizeof(*f));
	{
		/* the subject CN: the CSR's, else the first name that fits one (64 characters,
		 * RFC 5280), so no subject is empty */
		const char *cn = subject_cn(&names);
		char *cn_copy;

		if (cn == NULL) {
			acme_fail(&p, ACME_PROB_BAD_CSR,
				  "the csr has no common name and no name short enough for one (64 "
				  "characters)");
			goto fail;
		}
		cn_copy = xstrdup(cn);
		names.cn[0] = '\0';
		if (issue_for_names(c->ac->a, c->set, c->prov, csr, cn_copy, &names, nb, na,
				    &f->out, &t, &err) != 0) {
			free(cn_copy);
			acme_fail_from_error(&p, ACME_PROB_BAD_CSR, &err);
			goto fail;
		}
		free(cn_copy);
	}
	{
		char *b64 = b64url_encode(f->out.der, f->out.der_len);
		json_t *cert = json_pack("{s:s, s:s, s:s?}", "serial", f->out.serial, "order",
					 c->path.id1, "der", b64);

		free(b64);
		json_object_set_new(order, "status", json_string("valid"));
		json_object_set_new(order, "certificate", json_string(f->out.serial));
		acme_txn_rec(t, STORE_REC_UPDATE, ACME_COL_ORDERS, c->path.id1, c->acct.id, order,
			     version, acme_get_time(order, "expires") + ACME_RECORD_KEEP_NS);
		acme_txn_rec(
		    t, STORE_REC_INSERT, ACME_COL_CERTS, f->out.serial, c->acct.id, cert, 0,
		    cert_der_not_after_ns(f->out.der, f->out.der_len) + CERT_RECORD_KEEP_NS);
		json_decref(cert);
	}
	f->order = order;
	order = NULL;
	c->scratch = f;
	c->scratch_free = finalize_state_free;
	f = NULL;
	acme_commit(c, t, finalized);
	t = NULL;
	goto out;
fail:
	acme_fail_call(c, &p);
out:
	store_txn_free(t);
	finalize_state_free(f);
	names_free(&names);
	json_decref(order);
	X509_REQ_free(csr);
}
