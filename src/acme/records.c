/* records.c - the engine's documents as store records (layout in internal.h). */
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "base/duration.h"
#include "store/store.h"

int acme_rec_get(struct acme *ac, const char *collection, const char *id, bool *found,
		 json_t **value, int64_t *version, char **owner, struct acme_problem *p)
{
	struct store_record r = {0};
	struct error err;
	json_error_t jerr;

	*found = false;
	if (value != NULL)
		*value = NULL;
	if (owner != NULL)
		*owner = NULL;
	/* an id no record can have (a client's EAB kid of 300 bytes, say) names nothing; the
	 * store would refuse it as an invalid argument */
	if (store_record_check(collection, id, NULL) != 0)
		return 0;
	if (ac->store->ops->record_get(ac->store, collection, id, found, &r, &err) != 0)
		return acme_fail_from_error(p, ACME_PROB_SERVER_INTERNAL, &err);
	if (!*found)
		return 0;
	if (value != NULL) {
		*value = json_loadb((const char *)r.value, r.value_len, 0, &jerr);
		if (!json_is_object(*value)) {
			json_decref(*value);
			*value = NULL;
			store_record_free(&r);
			return acme_fail(p, ACME_PROB_SERVER_INTERNAL, "stored %s '%s' is corrupt",
					 collection, id);
		}
	}
	if (version != NULL)
		*version = r.version;
	if (owner != NULL && r.owner != NULL)
		*owner = strdup(r.owner);
	store_record_free(&r);
	return 0;
}

void acme_txn_rec(struct store_txn *t, int op, const char *collection, const char *id,
		  const char *owner, const json_t *value, int64_t version, int64_t expires_ns)
{
	char *s = value != NULL ? json_dumps(value, JSON_COMPACT) : NULL;
	struct store_record rec = {
	    .collection = collection,
	    .id = id,
	    .owner = owner,
	    .value = (const uint8_t *)(s != NULL ? s : ""),
	    .value_len = s != NULL ? strlen(s) : 0,
	    .expires_at_ns = expires_ns,
	    .version = version,
	};

	store_txn_record(t, (enum store_record_op)op, &rec);
	free(s);
}

json_t *acme_json_time(int64_t t_ns)
{
	char buf[64];

	return json_string(time_format_rfc3339(t_ns / NS_PER_SEC * NS_PER_SEC, buf, sizeof(buf)));
}

int64_t acme_get_time(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	int64_t t = 0;

	if (s == NULL || time_parse_rfc3339(s, &t, NULL) != 0)
		return 0;
	return t;
}

const char *acme_get_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

int acme_rec_owned(struct acme_call *c, const char *collection, const char *what, const char *id,
		   json_t **rec, int64_t *version, struct acme_problem *p)
{
	char *owner = NULL;
	bool found = false;
	int rc = -1;

	*rec = NULL;
	if (acme_rec_get(c->ac, collection, id, &found, rec, version, &owner, p) != 0)
		goto out;
	if (!found) {
		acme_fail(p, ACME_PROB_MALFORMED, "%s '%s' does not exist", what, id);
		p->status = 404;
		goto out;
	}
	if (owner == NULL || strcmp(owner, c->acct.id) != 0) {
		acme_fail(p, ACME_PROB_UNAUTHORIZED, "%s '%s' is not the account's", what, id);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		json_decref(*rec);
		*rec = NULL;
	}
	free(owner);
	return rc;
}
