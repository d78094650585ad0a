/* order.c - ACME orders (RFC 8555 §7.4): new-order, the order URL, finalize.
 *
 * An order's status is not stored while it is pending: it follows from its authorizations
 * each time it is read (RFC 8555 §7.1.6), so a challenge validated by any instance shows at
 * once everywhere. Only finalize writes it ("valid", with the certificate, in the same commit
 * as the certificate itself).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "authority/admin_state.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/metrics.h"
#include "base/str.h"
#include "crypto/csr.h"
#include "store/store.h"

#define ORDER_IDENTIFIERS_MAX 100
#define DNS_NAME_MAX	      253
#define DNS_LABEL_MAX	      63
#define RETRY_AFTER_SEC	      1

const char *acme_authz_status(const json_t *authz, int64_t now_ns)
{
	const char *st = acme_get_str(authz, "status");

	if (strcmp(st, "pending") == 0 && acme_get_time(authz, "expires") <= now_ns)
		return "expired";
	return st;
}

int acme_order_status(struct acme *ac, const json_t *order, int64_t now_ns, const char **status,
		      struct acme_problem *p)
{
	const char *st = acme_get_str(order, "status");
	const json_t *authzs = json_object_get(order, "authorizations");
	bool all_valid = true;
	size_t i;
	json_t *v;

	if (strcmp(st, "pending") != 0) {
		*status = st;
		return 0;
	}
	if (acme_get_time(order, "expires") <= now_ns) {
		*status = "invalid";
		return 0;
	}
	json_array_foreach(authzs, i, v)
	{
		json_t *authz = NULL;
		bool found = false;
		const char *ast;

		if (acme_rec_get(ac, ACME_COL_AUTHZS,
				 json_string_value(v) ? json_string_value(v) : "-", &found, &authz,
				 NULL, NULL, p) != 0)
			return -1;
		ast = found ? acme_authz_status(authz, now_ns) : "invalid";
		if (strcmp(ast, "valid") != 0)
			all_valid = false;
		if (strcmp(ast, "pending") != 0 && strcmp(ast, "valid") != 0) {
			json_decref(authz);
			*status = "invalid";
			return 0;
		}
		json_decref(authz);
	}
	*status = all_valid ? "ready" : "pending";
	return 0;
}

/* The order object of RFC 8555 §7.1.3 with its status now. */
static json_t *order_json(const struct acme_call *c, const char *id, const json_t *rec,
			  const char *status)
{
	json_t *o = json_object(), *urls = json_array(), *v;
	const json_t *err = json_object_get(rec, "error");
	size_t i;

	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "status", json_string(status));
	json_object_set(o, "expires", json_object_get(rec, "expires"));
	json_object_set(o, "identifiers", json_object_get(rec, "identifiers"));
	json_object_set(o, "notBefore", json_object_get(rec, "notBefore"));
	json_object_set(o, "notAfter", json_object_get(rec, "notAfter"));
	json_array_foreach(json_object_get(rec, "authorizations"), i, v)
	    json_array_append_new(urls, acme_json_url(c, "authz", json_string_value(v), NULL));
	json_object_set_new(o, "authorizations", urls);
	json_object_set_new(o, "finalize", acme_json_url(c, "order", id, "finalize"));
	if (strcmp(status, "valid") == 0)
		json_object_set_new(
		    o, "certificate",
		    acme_json_url(c, "certificate", acme_get_str(rec, "certificate"), NULL));
	if (err != NULL)
		json_object_set(o, "error", (json_t *)err);
	return o;
}

void acme_order_reply(struct acme_call *c, int status_code, const char *id, const json_t *rec,
		      const char *status, bool commit)
{
	char *loc = acme_url(c, "order", id, NULL);

	if (strcmp(status, "pending") == 0)
		c->resp.retry_after = RETRY_AFTER_SEC;
	if (commit)
		acme_answer_json(c, status_code, order_json(c, id, rec, status), loc);
	else
		acme_reply_json(c, status_code, order_json(c, id, rec, status), loc);
	free(loc);
}

/* --- identifiers ------------------------------------------------------------------------ */

/* A DNS name as RFC 1123 allows in certificates: LDH labels, optional leading "*." (lower-cased
 * in place). */
static bool dns_name_ok(char *name)
{
	char *s = name;
	size_t n = strlen(name);

	if (str_has_prefix(s, "*."))
		s += 2;
	if (n == 0 || n > DNS_NAME_MAX || *s == '\0')
		return false;
	str_lower(name);
	while (*s != '\0') {
		char *dot = strchr(s, '.');
		size_t len = dot != NULL ? (size_t)(dot - s) : strlen(s);

		if (len == 0 || len > DNS_LABEL_MAX || s[0] == '-' || s[len - 1] == '-')
			return false;
		for (size_t i = 0; i < len; i++) {
			char ch = s[i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
				return false;
		}
		s += len;
		if (*s == '.') {
			s++;
			if (*s == '\0')
				return false; /* no trailing dot */
		}
	}
	return true;
}

/* An IP address in canonical text form (IPv4-mapped IPv6 as IPv4). */
static bool ip_canonical(const char *in, char *out, size_t n)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, in, buf) == 1)
		return inet_ntop(AF_INET, buf, out, (socklen_t)n) != NULL;
	if (inet_pton(AF_INET6, in, buf) != 1)
		return false;
	if (memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		return inet_ntop(AF_INET, buf + 12, out, (socklen_t)n) != NULL;
	return inet_ntop(AF_INET6, buf, out, (socklen_t)n) != NULL;
}

/* Checks and normalises the identifiers of a new order: an array of {"type","value"} (dns or
 * ip), duplicates dropped. *out new reference. */
static int order_identifiers(const json_t *in, json_t **out, struct acme_problem *p)
{
	json_t *list = json_array(), *v;
	size_t i;

	*out = NULL;
	if (!json_is_array(in) || json_array_size(in) == 0) {
		json_decref(list);
		return acme_fail(p, ACME_PROB_MALFORMED, "the order has no identifiers");
	}
	if (json_array_size(in) > ORDER_IDENTIFIERS_MAX) {
		json_decref(list);
		return acme_fail(p, ACME_PROB_REJECTED_IDENTIFIER,
				 "an order has at most %d identifiers", ORDER_IDENTIFIERS_MAX);
	}
	json_array_foreach(in, i, v)
	{
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *value = json_string_value(json_object_get(v, "value"));
		char norm[DNS_NAME_MAX + 3];
		json_t *id;

		if (type == NULL || value == NULL || strlen(value) > DNS_NAME_MAX + 2) {
			json_decref(list);
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "identifier %zu needs a type and a value", i);
		}
		snprintf(norm, sizeof(norm), "%s", value);
		if (strcmp(type, "dns") == 0) {
			if (!dns_name_ok(norm)) {
				json_decref(list);
				return acme_fail(p, ACME_PROB_REJECTED_IDENTIFIER,
						 "'%s' is not a valid DNS name", value);
			}
		} else if (strcmp(type, "ip") == 0) {
			if (!ip_canonical(value, norm, sizeof(norm))) {
				json_decref(list);
				return acme_fail(p, ACME_PROB_MALFORMED,
						 "'%s' is not an IP address", value);
			}
		} else {
			json_decref(list);
			return acme_fail(p, ACME_PROB_UNSUPPORTED_IDENTIFIER,
					 "identifier type '%s' is not supported (dns, ip)", type);
		}
		id = json_pack("{s:s, s:s}", "type", type, "value", norm);
		{
			bool dup = false;
			size_t j;
			json_t *w;

			json_array_foreach(list, j, w) dup = dup || json_equal(w, id);
			if (dup)
				json_decref(id);
			else
				json_array_append_new(list, id);
		}
	}
	*out = list;
	return 0;
}

/* The challenge types an identifier gets, as a mask (the provisioner's list applied). */
static unsigned challenges_for(const struct provisioner *prov, const char *type, const char *value)
{
	unsigned mask;

	if (strcmp(type, "ip") == 0)
		mask = 1u << ACME_CH_HTTP01 | 1u << ACME_CH_TLSALPN01;
	else if (str_has_prefix(value, "*."))
		mask = 1u << ACME_CH_DNS01;
	else
		mask = 1u << ACME_CH_DNS01 | 1u << ACME_CH_HTTP01 | 1u << ACME_CH_TLSALPN01;
	return mask & prov->acme.challenges;
}

/* The order in which an authorization lists its challenges. */
static const enum acme_chall_type chall_order[] = {ACME_CH_DNS01, ACME_CH_HTTP01,
						   ACME_CH_TLSALPN01};

/* A new authorization record for an identifier, added to t; *id its ID. */
static int new_authz(struct acme_call *c, const json_t *ident, const char *order_id,
		     int64_t expires, struct store_txn *t, char id[ACME_ID_LEN + 1],
		     struct acme_problem *p)
{
	const char *type = acme_get_str(ident, "type"), *value = acme_get_str(ident, "value");
	bool wildcard = str_has_prefix(value, "*.");
	unsigned mask = challenges_for(c->prov, type, value);
	char token[ACME_ID_LEN + 1];
	json_t *chs, *rec;
	struct error err;

	if (mask == 0)
		return acme_fail(p, ACME_PROB_REJECTED_IDENTIFIER,
				 "provisioner '%s' offers no challenge type for %s identifier '%s'",
				 c->prov->name, wildcard ? "wildcard" : type, value);
	if (acme_random_id(id, &err) != 0 || acme_random_id(token, &err) != 0)
		return acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot make an ID");
	chs = json_array();
	/* in step-ca's order: dns-01, http-01, tls-alpn-01 */
	for (size_t i = 0; i < sizeof(chall_order) / sizeof(chall_order[0]); i++) {
		enum acme_chall_type ct = chall_order[i];
		char chid[ACME_ID_LEN + 1];

		if (!(mask & 1u << ct))
			continue;
		if (acme_random_id(chid, &err) != 0) {
			json_decref(chs);
			return acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot make an ID");
		}
		json_array_append_new(chs, json_pack("{s:s, s:s, s:s}", "id", chid, "type",
						     acme_chall_name(ct), "status", "pending"));
	}
	rec = json_pack("{s:{s:s, s:s}, s:s, s:o, s:b, s:s, s:s, s:o}", "identifier", "type", type,
			"value", wildcard ? value + 2 : value, "status", "pending", "expires",
			acme_json_time(expires), "wildcard", wildcard, "token", token, "order",
			order_id, "challenges", chs);
	acme_txn_rec(t, STORE_REC_INSERT, ACME_COL_AUTHZS, id, c->acct.id, rec, 0,
		     expires + ACME_RECORD_KEEP_NS);
	json_decref(rec);
	return 0;
}

/* The validity an order asks for (RFC 8555 §7.4), else now - backdate .. now + default. */
static int order_validity(struct acme_call *c, int64_t *nb, int64_t *na, struct acme_problem *p)
{
	const char *snb = json_string_value(json_object_get(c->payload, "notBefore"));
	const char *sna = json_string_value(json_object_get(c->payload, "notAfter"));
	int64_t now = c->now_ns / NS_PER_SEC * NS_PER_SEC;
	struct error err;

	*nb = now - authority_config(c->ac->a)->backdate_ns;
	*na = now + c->prov->claims.default_tls_ns;
	if (snb != NULL && time_parse_rfc3339(snb, nb, NULL) != 0)
		return acme_fail(p, ACME_PROB_MALFORMED, "notBefore '%s' is not an RFC 3339 time",
				 snb);
	if (sna != NULL && time_parse_rfc3339(sna, na, NULL) != 0)
		return acme_fail(p, ACME_PROB_MALFORMED, "notAfter '%s' is not an RFC 3339 time",
				 sna);
	if (snb != NULL && sna == NULL)
		*na = *nb + c->prov->claims.default_tls_ns;
	if (*na <= now || *na <= *nb)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "notAfter must be in the future and after notBefore");
	/* refused now rather than at finalize: the order could never be finalized */
	if (validity_check_claims(c->ac->a, &c->prov->claims, *nb, *na, &err) != 0)
		return acme_fail(p, ACME_PROB_MALFORMED, "%s", err.msg);
	return 0;
}

struct order_state {
	char id[ACME_ID_LEN + 1];
	json_t *rec;
};

static void order_state_free(void *arg)
{
	struct order_state *o = arg;

	if (o != NULL)
		json_decref(o->rec);
	free(o);
}

static void order_created(struct acme_call *c, struct store_txn *t)
{
	struct order_state *o = c->scratch;

	if (t->record_conflict) {
		acme_retry(c); /* an ID collided: new ones */
		return;
	}
	metrics_acme_order(METRICS_ORDER_PENDING);
	acme_order_reply(c, 201, o->id, o->rec, "pending", false);
}

/* The issuance policies (the account's, the provisioner's, the authority's) for each
 * identifier, before any challenge (provisioners-and-policy.md §5.5). */
static int order_policy(struct acme_call *c, const json_t *idents, struct acme_problem *p)
{
	const char *eab_kid = acme_get_str(c->acct.rec, "eabKeyID");
	const struct policy *account = prov_set_acme_policy(c->set, eab_kid);
	const json_t *v;
	size_t i;

	json_array_foreach(idents, i, v)
	{
		struct error err = {0};

		if (policy_enforce_identifier(c->set, c->prov, account, acme_get_str(v, "type"),
					      acme_get_str(v, "value"), &err) != 0)
			return acme_fail(p, ACME_PROB_REJECTED_IDENTIFIER, "%s", err.msg);
	}
	return 0;
}

void acme_new_order(struct acme_call *c)
{
	json_t *idents = NULL, *authz_ids = json_array(), *v;
	struct order_state *o = xcalloc(1, sizeof(*o));
	struct store_txn *t = store_txn_new();
	int64_t nb, na, expires = c->now_ns + ACME_ORDER_LIFETIME_NS;
	struct acme_problem p;
	struct error err;
	size_t i;

	if (order_identifiers(json_object_get(c->payload, "identifiers"), &idents, &p) != 0 ||
	    order_policy(c, idents, &p) != 0 || order_validity(c, &nb, &na, &p) != 0)
		goto fail;
	if (acme_random_id(o->id, &err) != 0) {
		acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "cannot make an ID");
		goto fail;
	}
	json_array_foreach(idents, i, v)
	{
		char aid[ACME_ID_LEN + 1];

		if (new_authz(c, v, o->id, expires, t, aid, &p) != 0)
			goto fail;
		json_array_append_new(authz_ids, json_string(aid));
	}
	o->rec = json_pack("{s:s, s:o, s:O, s:o, s:o, s:O, s:s}", "status", "pending", "expires",
			   acme_json_time(expires), "identifiers", idents, "notBefore",
			   acme_json_time(nb), "notAfter", acme_json_time(na), "authorizations",
			   authz_ids, "provisioner", c->prov->name);
	acme_txn_rec(t, STORE_REC_INSERT, ACME_COL_ORDERS, o->id, c->acct.id, o->rec, 0,
		     expires + ACME_RECORD_KEEP_NS);
	json_decref(idents);
	json_decref(authz_ids);
	c->scratch = o;
	c->scratch_free = order_state_free;
	acme_commit(c, t, order_created);
	return;
fail:
	json_decref(idents);
	json_decref(authz_ids);
	order_state_free(o);
	store_txn_free(t);
	acme_fail_call(c, &p);
}

int acme_order_load(struct acme_call *c, json_t **rec, int64_t *version, struct acme_problem *p)
{
	if (acme_rec_owned(c, ACME_COL_ORDERS, "order", c->path.id1, rec, version, p) != 0)
		return -1;
	if (strcmp(acme_get_str(*rec, "provisioner"), c->prov->name) != 0) {
		json_decref(*rec);
		*rec = NULL;
		return acme_fail(p, ACME_PROB_UNAUTHORIZED, "order '%s' is not the account's",
				 c->path.id1);
	}
	return 0;
}

void acme_order(struct acme_call *c)
{
	json_t *rec = NULL;
	const char *status;
	struct acme_problem p;

	if (acme_order_load(c, &rec, NULL, &p) != 0 ||
	    acme_order_status(c->ac, rec, c->now_ns, &status, &p) != 0) {
		json_decref(rec);
		acme_fail_call(c, &p);
		return;
	}
	acme_order_reply(c, 200, c->path.id1, rec, status, true);
	json_decref(rec);
}
