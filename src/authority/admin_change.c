/* admin_change.c - changes to the administration state (admin_state.h): provisioners, admins
 * and policies, and the first state of a new CA.
 *
 * A change is checked against the stored state as this instance last loaded it and written
 * in one transaction together with a compare-and-swap of the "admin_state" record. When
 * another instance changed the state in between, the swap conflicts, nothing is written, and
 * the change is checked again on the newer state: two admins adding the same provisioner name
 * at two instances cannot both succeed, and the last super admin cannot be removed twice.
 */
#include <stdlib.h>
#include <string.h>

#include "authority/admin_state.h"
#include "base/duration.h"
#include "base/log.h"
#include "config/linkedca.h"
#include "crypto/key.h"
#include "policy/policy.h"
#include "store/store.h"

/* Attempts of one change when other instances keep changing the state. */
#define CHANGE_ATTEMPTS 5

/* One change: checks it against cur and adds its writes to t. */
typedef int (*change_fn)(struct authority *a, const struct prov_set *cur, struct store_txn *t,
			 void *arg, struct error *err);

/* Adds a JSON record change to t. */
static void txn_json(struct store_txn *t, enum store_record_op op, const char *collection,
		     const char *id, const json_t *value)
{
	char *text = value != NULL ? json_dumps(value, JSON_COMPACT) : NULL;
	struct store_record rec = {
	    .collection = collection,
	    .id = id,
	    .value = (const uint8_t *)(text != NULL ? text : ""),
	    .value_len = text != NULL ? strlen(text) : 0,
	};

	store_txn_record(t, op, &rec);
	free(text);
}

/* The swap that orders this change after the state it was checked against. */
static void txn_bump_version(struct store_txn *t, int64_t version)
{
	struct store_record rec = {
	    .collection = ADMIN_COL_STATE,
	    .id = ADMIN_STATE_ID,
	    .value = (const uint8_t *)"{}",
	    .value_len = 2,
	    .version = version,
	};

	store_txn_record(t, version == 0 ? STORE_REC_INSERT : STORE_REC_UPDATE, &rec);
}

static int apply_change(struct authority *a, change_fn fn, void *arg, struct error *err)
{
	if (!authority_admin_enabled(a))
		return err_public(err, ERR_NOT_IMPLEMENTED, "administration API not enabled");
	for (int attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
		struct prov_set *cur;
		struct store_txn *t;
		bool conflict;
		int rc;

		if (prov_set_refresh(a, err) != 0)
			return -1;
		cur = prov_set_get(a);
		t = store_txn_new();
		rc = fn(a, cur, t, arg, err);
		if (rc == 0) {
			txn_bump_version(t, cur->version);
			rc = store_commit(a->store, t, err);
		}
		conflict = rc == 0 && t->record_conflict;
		store_txn_free(t);
		prov_set_put(cur);
		if (rc != 0)
			return -1;
		if (!conflict)
			return prov_set_refresh(a, err); /* publishes what was just written */
	}
	return err_public(err, ERR_UNAVAILABLE,
			  "the administration state is being changed elsewhere; try again");
}

/* --- provisioners --------------------------------------------------------------------------- */

static int count_super_admins(const struct prov_set *s, const char *except_prov,
			      const char *except_admin)
{
	int n = 0;

	for (size_t i = 0; i < s->n_admins; i++) {
		const struct admin_entry *e = &s->admins[i];
		if (e->type != LINKEDCA_SUPER_ADMIN)
			continue;
		if (except_prov != NULL && strcmp(e->provisioner_id, except_prov) == 0)
			continue;
		if (except_admin != NULL && strcmp(e->id, except_admin) == 0)
			continue;
		n++;
	}
	return n;
}

/* Checks config as provisioner self_id (NULL: a new one) of the state cur: name and token id
 * unique, and it initialises as it would when loaded; policy (may be NULL) compiles. */
static int check_provisioner(struct authority *a, const struct prov_set *cur, const char *self_id,
			     const json_t *config, const json_t *policy, struct error *err)
{
	const char *name = json_string_value(json_object_get(config, "name"));
	json_t *list;
	struct provisioners one = {0};
	struct policy *pol = NULL;
	struct error lerr = {0};
	int rc = -1;
	(void)a; /* the authority claims are cur's */

	if (name == NULL || name[0] == '\0')
		return err_public(err, ERR_INVALID, "provisioner name cannot be empty");
	for (size_t i = 0; i < cur->provs.n; i++) {
		const struct provisioner *p = &cur->provs.v[i];
		if ((self_id == NULL || strcmp(p->id, self_id) != 0) && strcmp(p->name, name) == 0)
			return err_public(err, ERR_INVALID,
					  "provisioner with name %s already exists", name);
	}
	list = json_pack("[O]", config);
	if (provisioners_load(list, cur->claims, &one, &lerr) != 0 || one.n != 1) {
		err_public(err, ERR_INVALID,
			   "error validating configuration for provisioner \"%s\": %s", name,
			   one.n != 1 && lerr.msg[0] == '\0' ? "unknown type" : lerr.msg);
		goto out;
	}
	for (size_t i = 0; i < cur->provs.n; i++) {
		const struct provisioner *p = &cur->provs.v[i];
		if ((self_id == NULL || strcmp(p->id, self_id) != 0) &&
		    strcmp(p->token_id, one.v[0].token_id) == 0) {
			err_public(err, ERR_INVALID, "provisioner with token ID %s already exists",
				   one.v[0].token_id);
			goto out;
		}
	}
	if (policy_new(policy, &pol, &lerr) != 0) {
		err_public(err, ERR_INVALID, "error validating policy of provisioner \"%s\": %s",
			   name, lerr.msg);
		goto out;
	}
	rc = 0;
out:
	policy_free(pol);
	provisioners_free(&one);
	json_decref(list);
	return rc;
}

static json_t *provisioner_value(const json_t *config, int64_t created_at_ns, const json_t *policy)
{
	json_t *v =
	    json_pack("{s:O, s:I}", "provisioner", config, "createdAt", (json_int_t)created_at_ns);

	if (policy != NULL && !json_is_null(policy))
		json_object_set(v, "policy", (json_t *)policy);
	return v;
}

struct prov_change {
	const char *id; /* update, delete */
	const json_t *config;
	const json_t *policy;
	char new_id[37]; /* create */
};

static int create_provisioner(struct authority *a, const struct prov_set *cur, struct store_txn *t,
			      void *arg, struct error *err)
{
	struct prov_change *c = arg;
	json_t *v;

	if (check_provisioner(a, cur, NULL, c->config, c->policy, err) != 0 ||
	    key_random_uuid4(c->new_id, err) != 0)
		return -1;
	v = provisioner_value(c->config, time_now_ns(), c->policy);
	txn_json(t, STORE_REC_INSERT, ADMIN_COL_PROVISIONERS, c->new_id, v);
	json_decref(v);
	return 0;
}

int admin_provisioner_create(struct authority *a, const json_t *config, const json_t *policy,
			     char **id_out, struct error *err)
{
	struct prov_change c = {.config = config, .policy = policy};

	*id_out = NULL;
	if (apply_change(a, create_provisioner, &c, err) != 0)
		return -1;
	*id_out = xstrdup(c.new_id);
	return 0;
}

static int update_provisioner(struct authority *a, const struct prov_set *cur, struct store_txn *t,
			      void *arg, struct error *err)
{
	struct prov_change *c = arg;
	const struct provisioner *p = prov_set_by_id(cur, c->id);
	const char *type = json_string_value(json_object_get(c->config, "type"));
	json_t *v;

	if (p == NULL)
		return err_public(err, ERR_NOT_FOUND, "provisioner %s not found", c->id);
	if (type == NULL || strcasecmp(type, p->type_name) != 0)
		return err_public(err, ERR_INTERNAL, "cannot change provisioner type");
	if (check_provisioner(a, cur, c->id, c->config, c->policy, err) != 0)
		return -1;
	v = provisioner_value(c->config, p->created_at_ns, c->policy);
	txn_json(t, STORE_REC_PUT, ADMIN_COL_PROVISIONERS, c->id, v);
	json_decref(v);
	return 0;
}

int admin_provisioner_update(struct authority *a, const char *id, const json_t *config,
			     const json_t *policy, struct error *err)
{
	struct prov_change c = {.id = id, .config = config, .policy = policy};

	return apply_change(a, update_provisioner, &c, err);
}

static int delete_provisioner(struct authority *a, const struct prov_set *cur, struct store_txn *t,
			      void *arg, struct error *err)
{
	struct prov_change *c = arg;
	const struct provisioner *p = prov_set_by_id(cur, c->id);
	(void)a;

	if (p == NULL)
		return err_public(err, ERR_NOT_FOUND, "provisioner %s not found", c->id);
	if (count_super_admins(cur, NULL, NULL) > 0 && count_super_admins(cur, c->id, NULL) == 0)
		return err_public(
		    err, ERR_INVALID,
		    "cannot remove provisioner %s because no super admins will remain", p->name);
	for (size_t i = 0; i < cur->n_admins; i++)
		if (strcmp(cur->admins[i].provisioner_id, c->id) == 0)
			txn_json(t, STORE_REC_DELETE, ADMIN_COL_ADMINS, cur->admins[i].id, NULL);
	txn_json(t, STORE_REC_DELETE, ADMIN_COL_PROVISIONERS, c->id, NULL);
	return 0;
}

int admin_provisioner_delete(struct authority *a, const char *id, struct error *err)
{
	struct prov_change c = {.id = id};

	return apply_change(a, delete_provisioner, &c, err);
}

/* --- admins --------------------------------------------------------------------------------- */

struct admin_change {
	const char *id; /* update, delete */
	const char *subject;
	const char *provisioner_id;
	int type;
	struct admin_entry *out;
	char new_id[37];
};

static json_t *admin_value(const char *subject, const char *provisioner_id, int type,
			   int64_t created_at_ns)
{
	return json_pack("{s:s, s:s, s:i, s:I}", "subject", subject, "provisionerId",
			 provisioner_id, "type", type, "createdAt", (json_int_t)created_at_ns);
}

static void admin_fill(struct admin_entry *out, const char *id, const char *subject,
		       const char *provisioner_id, int type, int64_t created_at_ns)
{
	if (out == NULL)
		return;
	out->id = xstrdup(id);
	out->subject = xstrdup(subject);
	out->provisioner_id = xstrdup(provisioner_id);
	out->type = type;
	out->created_at_ns = created_at_ns;
}

static int valid_admin_type(int type, struct error *err)
{
	if (type != LINKEDCA_ADMIN && type != LINKEDCA_SUPER_ADMIN)
		return err_public(err, ERR_INVALID, "invalid value for admin type");
	return 0;
}

static int create_admin(struct authority *a, const struct prov_set *cur, struct store_txn *t,
			void *arg, struct error *err)
{
	struct admin_change *c = arg;
	const struct provisioner *p = prov_set_by_id(cur, c->provisioner_id);
	int64_t now = time_now_ns();
	json_t *v;
	(void)a;

	if (c->subject == NULL || c->subject[0] == '\0')
		return err_public(err, ERR_INVALID, "admin subject cannot be empty");
	if (valid_admin_type(c->type, err) != 0)
		return -1;
	if (p == NULL)
		return err_public(err, ERR_NOT_FOUND, "provisioner %s not found",
				  c->provisioner_id);
	for (size_t i = 0; i < cur->n_admins; i++)
		if (strcmp(cur->admins[i].subject, c->subject) == 0 &&
		    strcmp(cur->admins[i].provisioner_id, c->provisioner_id) == 0)
			return err_public(err, ERR_INVALID,
					  "admin with subject %s and provisioner %s already exists",
					  c->subject, p->name);
	if (key_random_uuid4(c->new_id, err) != 0)
		return -1;
	v = admin_value(c->subject, c->provisioner_id, c->type, now);
	txn_json(t, STORE_REC_INSERT, ADMIN_COL_ADMINS, c->new_id, v);
	json_decref(v);
	admin_entry_free(c->out);
	admin_fill(c->out, c->new_id, c->subject, c->provisioner_id, c->type, now);
	return 0;
}

int admin_admin_create(struct authority *a, const char *subject, const char *provisioner_id,
		       int type, struct admin_entry *out, struct error *err)
{
	struct admin_change c = {
	    .subject = subject, .provisioner_id = provisioner_id, .type = type, .out = out};

	memset(out, 0, sizeof(*out));
	if (apply_change(a, create_admin, &c, err) != 0) {
		admin_entry_free(out);
		return -1;
	}
	return 0;
}

static int update_admin(struct authority *a, const struct prov_set *cur, struct store_txn *t,
			void *arg, struct error *err)
{
	struct admin_change *c = arg;
	const struct admin_entry *e = prov_set_admin(cur, c->id);
	json_t *v;
	(void)a;

	if (e == NULL)
		return err_public(err, ERR_NOT_FOUND, "admin %s not found", c->id);
	if (valid_admin_type(c->type, err) != 0)
		return -1;
	if (e->type == LINKEDCA_SUPER_ADMIN && c->type != LINKEDCA_SUPER_ADMIN &&
	    count_super_admins(cur, NULL, e->id) == 0)
		return err_public(err, ERR_INVALID, "cannot change role of last super admin");
	v = admin_value(e->subject, e->provisioner_id, c->type, e->created_at_ns);
	txn_json(t, STORE_REC_PUT, ADMIN_COL_ADMINS, e->id, v);
	json_decref(v);
	admin_entry_free(c->out);
	admin_fill(c->out, e->id, e->subject, e->provisioner_id, c->type, e->created_at_ns);
	return 0;
}

int admin_admin_update(struct authority *a, const char *id, int type, struct admin_entry *out,
		       struct error *err)
{
	struct admin_change c = {.id = id, .type = type, .out = out};

	memset(out, 0, sizeof(*out));
	if (apply_change(a, update_admin, &c, err) != 0) {
		admin_entry_free(out);
		return -1;
	}
	return 0;
}

static int delete_admin(struct authority *a, const struct prov_set *cur, struct store_txn *t,
			void *arg, struct error *err)
{
	struct admin_change *c = arg;
	const struct admin_entry *e = prov_set_admin(cur, c->id);
	(void)a;

	if (e == NULL)
		return err_public(err, ERR_NOT_FOUND, "admin %s not found", c->id);
	if (e->type == LINKEDCA_SUPER_ADMIN && count_super_admins(cur, NULL, e->id) == 0)
		return err_public(err, ERR_INVALID, "cannot remove the last super admin");
	txn_json(t, STORE_REC_DELETE, ADMIN_COL_ADMINS, e->id, NULL);
	return 0;
}

int admin_admin_delete(struct authority *a, const char *id, struct error *err)
{
	struct admin_change c = {.id = id};

	return apply_change(a, delete_admin, &c, err);
}

/* --- policies ------------------------------------------------------------------------------- */

struct policy_change {
	const char *scope;
	const json_t *policy;
	bool must_exist, must_not_exist;
};

static bool policy_exists(const struct prov_set *s, const char *scope)
{
	size_t plen = strlen(ADMIN_POLICY_ACME_PREFIX);

	if (strcmp(scope, ADMIN_POLICY_AUTHORITY) == 0)
		return s->authority_policy_doc != NULL;
	if (strncmp(scope, ADMIN_POLICY_ACME_PREFIX, plen) == 0)
		for (size_t i = 0; i < s->n_acme_policies; i++)
			if (strcmp(s->acme_policies[i].eab_key_id, scope + plen) == 0)
				return true;
	return false;
}

static int set_policy(struct authority *a, const struct prov_set *cur, struct store_txn *t,
		      void *arg, struct error *err)
{
	struct policy_change *c = arg;
	bool exists = policy_exists(cur, c->scope);
	(void)a;

	if (c->must_exist && !exists)
		return err_public(err, ERR_NOT_FOUND, "policy does not exist");
	if (c->must_not_exist && exists)
		return err_public(err, ERR_CONFLICT, "policy already exists");
	if (c->policy == NULL) {
		if (exists)
			txn_json(t, STORE_REC_DELETE, ADMIN_COL_POLICIES, c->scope, NULL);
		return 0;
	}
	txn_json(t, STORE_REC_PUT, ADMIN_COL_POLICIES, c->scope, c->policy);
	return 0;
}

int admin_policy_set(struct authority *a, const char *scope, const json_t *policy, bool must_exist,
		     bool must_not_exist, struct error *err)
{
	struct policy_change c = {.scope = scope,
				  .policy = policy,
				  .must_exist = must_exist,
				  .must_not_exist = must_not_exist};

	if (strcmp(scope, ADMIN_POLICY_AUTHORITY) != 0 &&
	    (strncmp(scope, ADMIN_POLICY_ACME_PREFIX, strlen(ADMIN_POLICY_ACME_PREFIX)) != 0 ||
	     scope[strlen(ADMIN_POLICY_ACME_PREFIX)] == '\0'))
		return err_set(err, ERR_INTERNAL, "unknown policy scope %s", scope);
	return apply_change(a, set_policy, &c, err);
}

/* --- the first state ------------------------------------------------------------------------ */

struct bootstrap {
	const json_t *provisioners;
	const char *subject;
	const char *admin_jwk_password; /* NULL: no Admin JWK can be made */
};

/* Stores one ca.json provisioner object under a new id (id, 37 bytes). */
static int insert_provisioner(struct store_txn *t, const json_t *item, int64_t now, char *id,
			      struct error *err)
{
	json_t *v;

	if (key_random_uuid4(id, err) != 0)
		return -1;
	v = provisioner_value(item, now, NULL);
	txn_json(t, STORE_REC_INSERT, ADMIN_COL_PROVISIONERS, id, v);
	json_decref(v);
	return 0;
}

/* step-ca's first provisioner when there is no JWK one to hold the super admin: "Admin JWK",
 * its key encrypted with the CA's password, certificates of five minutes by default. */
static int insert_admin_jwk(struct store_txn *t, const char *password, int64_t now, char *id,
			    struct error *err)
{
	json_t *prov;
	int rc;

	if (password == NULL)
		return err_set(err, ERR_INVALID,
			       "remote administration needs a JWK provisioner for the first super "
			       "admin, or the CA's password (--password-file) to create the "
			       "provisioner \"%s\"",
			       ADMIN_JWK_NAME);
	prov = provisioner_jwk_create(ADMIN_JWK_NAME, password, err);
	if (prov == NULL)
		return -1;
	json_object_set_new(prov, "claims", json_pack("{s:s}", "defaultTLSCertDuration", "5m"));
	rc = insert_provisioner(t, prov, now, id, err);
	json_decref(prov);
	if (rc == 0)
		log_msg(LOG_INFO,
			"remote administration: created the provisioner \"Admin JWK\"; its "
			"password is the CA's",
			NULL);
	return rc;
}

static int first_state(struct authority *a, const struct prov_set *cur, struct store_txn *t,
		       void *arg, struct error *err)
{
	struct bootstrap *b = arg;
	struct provisioners all = {0};
	const json_t *item;
	char admin_prov[37] = "";
	int64_t now = time_now_ns();
	size_t i;
	(void)cur;

	/* the whole list must load as it would from ca.json */
	if (provisioners_load(b->provisioners, a->cfg->claims, &all, err) != 0)
		return -1;
	provisioners_free(&all);
	json_array_foreach(b->provisioners, i, item)
	{
		const char *type = json_string_value(json_object_get(item, "type"));
		char id[37];

		/* a nanosecond apart: listed in ca.json's order */
		if (insert_provisioner(t, item, now + (int64_t)i, id, err) != 0)
			return -1;
		if (admin_prov[0] == '\0' && type != NULL && strcasecmp(type, "JWK") == 0)
			memcpy(admin_prov, id, sizeof(id));
	}
	if (admin_prov[0] == '\0' &&
	    insert_admin_jwk(t, b->admin_jwk_password, now + (int64_t)i, admin_prov, err) != 0)
		return -1;
	{
		char id[37];
		json_t *v;

		if (key_random_uuid4(id, err) != 0)
			return -1;
		v = admin_value(b->subject, admin_prov, LINKEDCA_SUPER_ADMIN, now);
		txn_json(t, STORE_REC_INSERT, ADMIN_COL_ADMINS, id, v);
		json_decref(v);
	}
	return 0;
}

int admin_bootstrap(struct authority *a, const json_t *provisioners, const char *admin_subject,
		    const char *admin_jwk_password, bool *done, struct error *err)
{
	struct bootstrap b = {.provisioners = provisioners,
			      .subject = admin_subject != NULL ? admin_subject : "step",
			      .admin_jwk_password = admin_jwk_password};
	int64_t version = 0;
	struct store_txn *t;
	int rc;

	*done = false;
	if (a->store == NULL)
		return err_set(err, ERR_INVALID, "remote administration needs a database");
	if (json_array_size(provisioners) == 0 && admin_jwk_password == NULL)
		return 0; /* nothing to import, no Admin JWK can be made (ca init, eab) */
	if (admin_stored_version(a, &version, err) != 0)
		return -1;
	if (version != 0)
		return 0; /* stored already, by an earlier start or another instance */
	t = store_txn_new();
	rc = first_state(a, NULL, t, &b, err);
	if (rc == 0) {
		txn_bump_version(t, 0);
		rc = store_commit(a->store, t, err);
	}
	*done = rc == 0 && !t->record_conflict; /* a conflict: another instance won */
	store_txn_free(t);
	return rc;
}

int authority_admin_bootstrap(struct authority *a, const json_t *provisioners,
			      const char *admin_subject, bool *done, struct error *err)
{
	return admin_bootstrap(a, provisioners, admin_subject, NULL, done, err);
}
