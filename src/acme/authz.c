/* authz.c - authorizations and challenges (RFC 8555 §7.5, §8).
 *
 * A POST to a pending challenge marks it "processing" (durable), answers, and queues its
 * validation on the engine's validator threads, off the event loops and bounded in number and
 * time. The validation's result is committed before anyone can read it. A failed validation
 * makes the challenge, its authorization (and so its order) invalid, as RFC 8555 §7.5.1 says,
 * so clients stop at once instead of polling until an expiry.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/log.h"
#include "base/str.h"
#include "store/store.h"

#define RETRY_AFTER_SEC	     1
#define VALIDATION_ATTEMPTS  5	/* commits of a result whose record changed under it */
#define PROCESSING_STALE_SEC 90 /* a validation this old was lost (its instance stopped) */

char *acme_key_authorization(const char *token, const char *thumbprint)
{
	return xasprintf("%s.%s", token, thumbprint);
}

/* The challenge object of RFC 8555 §8 from its record. */
static json_t *challenge_json(const struct acme_call *c, const char *authz_id, const json_t *authz,
			      const json_t *ch)
{
	json_t *o = json_object();
	const json_t *validated = json_object_get(ch, "validated");
	const json_t *error = json_object_get(ch, "error");

	json_object_set_new(o, "type", json_string(acme_get_str(ch, "type")));
	json_object_set_new(o, "status", json_string(acme_get_str(ch, "status")));
	json_object_set_new(o, "token", json_string(acme_get_str(authz, "token")));
	json_object_set_new(o, "url",
			    acme_json_url(c, "challenge", authz_id, acme_get_str(ch, "id")));
	if (validated != NULL)
		json_object_set(o, "validated", (json_t *)validated);
	if (error != NULL)
		json_object_set(o, "error", (json_t *)error);
	return o;
}

/* The authorization object of RFC 8555 §7.1.4 with its status now. */
static json_t *authz_json(const struct acme_call *c, const char *id, const json_t *authz,
			  const char *status)
{
	json_t *o = json_object(), *chs = json_array(), *ch;
	size_t i;

	json_object_set(o, "identifier", json_object_get(authz, "identifier"));
	json_object_set_new(o, "status", json_string(status));
	json_object_set(o, "expires", json_object_get(authz, "expires"));
	json_array_foreach(json_object_get(authz, "challenges"), i, ch)
	    json_array_append_new(chs, challenge_json(c, id, authz, ch));
	json_object_set_new(o, "challenges", chs);
	json_object_set_new(o, "wildcard",
			    json_boolean(json_is_true(json_object_get(authz, "wildcard"))));
	return o;
}

/* Reads authorization id; it must be the signer's. 404 when absent. */
static int load_authz(struct acme_call *c, const char *id, json_t **rec, int64_t *version,
		      struct acme_problem *p)
{
	return acme_rec_owned(c, ACME_COL_AUTHZS, "authorization", id, rec, version, p);
}

/* Answers with authorization rec; commit: the nonce's use first. */
static void authz_reply(struct acme_call *c, const json_t *rec, bool commit)
{
	const char *status = acme_authz_status(rec, c->now_ns);
	char *loc = acme_url(c, "authz", c->path.id1, NULL);

	c->resp.retry_after = strcmp(status, "pending") == 0 ? RETRY_AFTER_SEC : 0;
	if (commit)
		acme_answer_json(c, 200, authz_json(c, c->path.id1, rec, status), loc);
	else
		acme_reply_json(c, 200, authz_json(c, c->path.id1, rec, status), loc);
	free(loc);
}

/* Whether a pending authorization has a challenge being validated. */
static bool validating(const json_t *rec)
{
	size_t i;
	json_t *ch;

	if (strcmp(acme_get_str(rec, "status"), "pending") != 0)
		return false;
	json_array_foreach(json_object_get(rec, "challenges"), i, ch)
	{
		if (strcmp(acme_get_str(ch, "status"), "processing") == 0)
			return true;
	}
	return false;
}

static void authz_json_free(void *rec)
{
	json_decref(rec);
}

/* Once the nonce's use of a read of a validating authorization is durable: the authorization
 * as it is now. A validation's result is usually committed in the same group as the read's
 * nonce, so the client sees it on this poll instead of polling once more; the answer is still
 * the state at a moment between the request and its answer. Read failure: the first read. */
static void authz_reread(struct acme_call *c, struct store_txn *t)
{
	json_t *rec = NULL;
	struct acme_problem p;

	(void)t;
	if (load_authz(c, c->path.id1, &rec, NULL, &p) != 0) {
		authz_reply(c, c->scratch, false);
		return;
	}
	authz_reply(c, rec, false);
	json_decref(rec);
}

void acme_authz(struct acme_call *c)
{
	json_t *rec = NULL;
	struct acme_problem p;

	if (load_authz(c, c->path.id1, &rec, NULL, &p) != 0) {
		acme_fail_call(c, &p);
		return;
	}
	/* not on a database across the network: there the commit's thread must not wait on a
	 * read */
	if (!c->ac->store->remote && validating(rec)) {
		c->scratch = rec;
		c->scratch_free = authz_json_free;
		acme_commit(c, NULL, authz_reread);
		return;
	}
	authz_reply(c, rec, true);
	json_decref(rec);
}

/* The challenge id of authz (borrowed), or NULL. */
static json_t *find_challenge(const json_t *authz, const char *id)
{
	size_t i;
	json_t *ch;

	json_array_foreach(json_object_get(authz, "challenges"), i, ch)
	{
		if (strcmp(acme_get_str(ch, "id"), id) == 0)
			return ch;
	}
	return NULL;
}

/* --- validation ------------------------------------------------------------------------- */

/* One validation, from the challenge POST to its committed result. */
struct validation {
	struct pool_job job; /* first */
	struct acme *ac;
	char authz_id[ACME_PATH_ID_MAX + 1];
	char challenge_id[ACME_PATH_ID_MAX + 1];
	enum acme_chall_type type;
	char *ident_type, *value, *token, *key_auth;
};

static void validation_free(struct validation *v)
{
	if (v == NULL)
		return;
	free(v->ident_type);
	free(v->value);
	free(v->token);
	if (v->key_auth != NULL)
		OPENSSL_cleanse(v->key_auth, strlen(v->key_auth));
	free(v->key_auth);
	free(v);
}

/* Writes the result into the authorization: the challenge valid or invalid, and the
 * authorization with it. 1 when there is nothing to write (no longer processing). */
static int apply_result(json_t *authz, const char *challenge_id, int rc,
			const struct acme_problem *p, int64_t now)
{
	json_t *ch = find_challenge(authz, challenge_id);

	if (ch == NULL || strcmp(acme_get_str(ch, "status"), "processing") != 0 ||
	    strcmp(acme_get_str(authz, "status"), "pending") != 0)
		return 1;
	json_object_del(ch, "started");
	if (rc == 0) {
		json_object_set_new(ch, "status", json_string("valid"));
		json_object_set_new(ch, "validated", acme_json_time(now));
		json_object_set_new(authz, "status", json_string("valid"));
	} else {
		json_object_set_new(ch, "status", json_string("invalid"));
		json_object_set_new(ch, "error", acme_prob_json(p));
		json_object_set_new(authz, "status", json_string("invalid"));
	}
	return 0;
}

/* A validator thread: checks the challenge, then commits the result (compare-and-swap on the
 * authorization, retried when it changed meanwhile). */
static void validation_run(struct pool_job *job)
{
	struct validation *v = (struct validation *)job;
	struct acme *ac = v->ac;
	struct acme_problem p = {0};
	int rc =
	    acme_validate(&ac->vcfg, v->type, v->ident_type, v->value, v->token, v->key_auth, &p);

	for (int attempt = 0; attempt < VALIDATION_ATTEMPTS; attempt++) {
		json_t *authz = NULL;
		int64_t version = 0;
		bool found = false;
		char *owner = NULL;
		struct acme_problem rp;
		struct store_txn *t;
		struct error err;
		int crc;

		if (acme_rec_get(ac, ACME_COL_AUTHZS, v->authz_id, &found, &authz, &version, &owner,
				 &rp) != 0 ||
		    !found || apply_result(authz, v->challenge_id, rc, &p, time_now_ns()) != 0) {
			json_decref(authz);
			free(owner);
			break;
		}
		t = store_txn_new();
		acme_txn_rec(t, STORE_REC_UPDATE, ACME_COL_AUTHZS, v->authz_id, owner, authz,
			     version, acme_get_time(authz, "expires") + ACME_RECORD_KEEP_NS);
		json_decref(authz);
		free(owner);
		crc = store_commit(ac->store, t, &err);
		if (crc == 0 && !t->record_conflict) {
			store_txn_free(t);
			break;
		}
		store_txn_free(t);
		if (crc != 0) {
			log_msg(LOG_ERROR, "cannot record an ACME validation", "challenge",
				v->challenge_id, "error", err.msg, NULL);
			break;
		}
	}
	validation_free(v);
}

/* --- the challenge URL -------------------------------------------------------------------- */

struct challenge_state {
	json_t *authz;
	struct validation *v; /* queued once the commit is durable */
};

static void challenge_state_free(void *arg)
{
	struct challenge_state *s = arg;

	if (s == NULL)
		return;
	json_decref(s->authz);
	validation_free(s->v);
	free(s);
}

/* Answers with challenge id2 of the URL as it is in authz. */
static void reply_challenge(struct acme_call *c, const json_t *authz, bool commit)
{
	json_t *ch = find_challenge(authz, c->path.id2);
	char *loc = acme_url(c, "challenge", c->path.id1, c->path.id2);
	const char *st = acme_get_str(ch, "status");

	free(c->resp.link_up);
	c->resp.link_up = acme_url(c, "authz", c->path.id1, NULL);
	if (strcmp(st, "processing") == 0 || strcmp(st, "pending") == 0)
		c->resp.retry_after = RETRY_AFTER_SEC;
	if (commit)
		acme_answer_json(c, 200, challenge_json(c, c->path.id1, authz, ch), loc);
	else
		acme_reply_json(c, 200, challenge_json(c, c->path.id1, authz, ch), loc);
	free(loc);
}

static void challenge_committed(struct acme_call *c, struct store_txn *t)
{
	struct challenge_state *s = c->scratch;
	struct validation *v = s->v;

	if (t->record_conflict) {
		acme_retry(c);
		return;
	}
	s->v = NULL;
	v->job.run = validation_run;
	if (pool_submit(c->ac->validators, &v->job) != 0) {
		/* too many validations under way: the challenge stays processing and is retried
		 * when the client posts it again after PROCESSING_STALE_SEC */
		log_msg(LOG_WARN, "ACME validation queue full: the challenge waits", "challenge",
			v->challenge_id, NULL);
		validation_free(v);
	}
	reply_challenge(c, s->authz, false);
}

/* Whether a challenge must be (re)validated now. */
static bool needs_validation(const json_t *authz, const json_t *ch, int64_t now)
{
	const char *st = acme_get_str(ch, "status");

	if (strcmp(acme_get_str(authz, "status"), "pending") != 0)
		return false;
	if (strcmp(st, "pending") == 0)
		return true;
	return strcmp(st, "processing") == 0 &&
	       acme_get_time(ch, "started") + PROCESSING_STALE_SEC * NS_PER_SEC < now;
}

void acme_challenge(struct acme_call *c)
{
	json_t *authz = NULL, *ch;
	int64_t version = 0;
	struct acme_problem p;
	struct challenge_state *s;
	struct validation *v;
	struct store_txn *t;

	if (load_authz(c, c->path.id1, &authz, &version, &p) != 0)
		goto fail;
	ch = find_challenge(authz, c->path.id2);
	if (ch == NULL) {
		acme_fail(&p, ACME_PROB_MALFORMED, "challenge '%s' does not exist", c->path.id2);
		p.status = 404;
		goto fail;
	}
	if (!needs_validation(authz, ch, c->now_ns) ||
	    strcmp(acme_authz_status(authz, c->now_ns), "pending") != 0) {
		reply_challenge(c, authz, true);
		json_decref(authz);
		return;
	}
	v = xcalloc(1, sizeof(*v));
	v->ac = c->ac;
	memcpy(v->authz_id, c->path.id1, sizeof(v->authz_id));
	snprintf(v->challenge_id, sizeof(v->challenge_id), "%s", c->path.id2);
	v->type = acme_chall_from_name(acme_get_str(ch, "type"));
	v->ident_type = xstrdup(acme_get_str(json_object_get(authz, "identifier"), "type"));
	v->value = xstrdup(acme_get_str(json_object_get(authz, "identifier"), "value"));
	v->token = xstrdup(acme_get_str(authz, "token"));
	v->key_auth = acme_key_authorization(v->token, c->acct.thumbprint);
	json_object_set_new(ch, "status", json_string("processing"));
	json_object_set_new(ch, "started", acme_json_time(c->now_ns));
	t = store_txn_new();
	acme_txn_rec(t, STORE_REC_UPDATE, ACME_COL_AUTHZS, c->path.id1, c->acct.id, authz, version,
		     acme_get_time(authz, "expires") + ACME_RECORD_KEEP_NS);
	s = xcalloc(1, sizeof(*s));
	s->authz = authz;
	s->v = v;
	c->scratch = s;
	c->scratch_free = challenge_state_free;
	acme_commit(c, t, challenge_committed);
	return;
fail:
	json_decref(authz);
	acme_fail_call(c, &p);
}
