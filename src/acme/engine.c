/* engine.c - the ACME engine: one request from acme_handle to its answer.
 *
 * A request runs the checks of RFC 8555 §6 in step-ca's order (provisioner, Content-Type, JWS,
 * nonce, url, key, signature, payload), then its resource's handler, which reads records and
 * commits what it changes together with the use of the request's nonce (acme_commit). The
 * answer is given only once that commit is durable. Where this runs follows the authority's
 * rule: on the caller's thread when the store's reads are local (SQLite), on the authority's
 * pool when they wait on the network (PostgreSQL), so that an event loop never waits on a
 * round trip. Directory and new-nonce read nothing and answer at once.
 */
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "authority/admin_state.h"
#include "base/duration.h"
#include "base/str.h"
#include "base/url.h"
#include "jose/jwk.h"
#include "store/store.h"

#define ACME_MAX_ATTEMPTS   4 /* runs of a handler whose records changed under it */
#define VALIDATORS_DEFAULT  8
#define NONCE_CLOCK_SKEW_NS (5 * NS_PER_SEC) /* between instances on one database */
#define VALIDATIONS_QUEUED  1024

static void call_free(struct acme_call *c)
{
	if (c == NULL)
		return;
	acme_response_free(&c->resp);
	acme_jws_free(&c->jws);
	json_decref(c->payload);
	EVP_PKEY_free(c->key);
	json_decref(c->acct.rec);
	if (c->scratch_free != NULL)
		c->scratch_free(c->scratch);
	free(c->base);
	free(c->url);
	prov_set_put(c->set);
	free(c);
}

void acme_response_free(struct acme_response *r)
{
	if (r == NULL)
		return;
	free(r->content_type);
	free(r->body);
	free(r->location);
	free(r->nonce);
	free(r->link_index);
	free(r->link_up);
	free(r->link_alternate);
	free(r->error);
	free(r->serial);
	free(r->provisioner);
	free(r->subject);
	strv_free(&r->sans);
	memset(r, 0, sizeof(*r));
}

/* Hands the answer to done and frees the call. */
static void call_end(struct acme_call *c)
{
	struct acme_response *resp = xmalloc(sizeof(*resp));

	*resp = c->resp;
	memset(&c->resp, 0, sizeof(c->resp));
	c->done(c->arg, resp);
	call_free(c);
}

/* Sets the answer's status and body (body owned by the response). */
static void set_raw(struct acme_call *c, int status, const char *content_type, char *body,
		    size_t len)
{
	c->resp.status = status;
	free(c->resp.content_type);
	c->resp.content_type = content_type != NULL ? xstrdup(content_type) : NULL;
	free(c->resp.body);
	c->resp.body = body;
	c->resp.body_len = len;
}

void acme_reply_raw(struct acme_call *c, int status, const char *content_type, char *body,
		    size_t len)
{
	set_raw(c, status, content_type, body, len);
	call_end(c);
}

/* Sets a JSON answer (body consumed); -1 when it cannot be encoded. */
static int set_json(struct acme_call *c, int status, json_t *body, const char *location)
{
	char *s = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (location != NULL) {
		free(c->resp.location);
		c->resp.location = xstrdup(location);
	}
	if (s == NULL)
		return -1;
	set_raw(c, status, "application/json", s, strlen(s));
	return 0;
}

void acme_reply_json(struct acme_call *c, int status, json_t *body, const char *location)
{
	struct acme_problem p;

	if (set_json(c, status, body, location) == 0) {
		call_end(c);
		return;
	}
	acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "cannot encode the answer");
	acme_reply_problem(c, &p);
}

void acme_answer_json(struct acme_call *c, int status, json_t *body, const char *location)
{
	struct acme_problem p;

	if (set_json(c, status, body, location) != 0) {
		acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "cannot encode the answer");
		acme_fail_call(c, &p);
		return;
	}
	acme_commit(c, NULL, NULL);
}

void acme_answer_raw(struct acme_call *c, int status, const char *content_type, char *body,
		     size_t len)
{
	set_raw(c, status, content_type, body, len);
	acme_commit(c, NULL, NULL);
}

json_t *acme_json_url(const struct acme_call *c, const char *kind, const char *id, const char *id2)
{
	char *u = acme_url(c, kind, id, id2);
	json_t *j = json_string(u);

	free(u);
	return j;
}

void acme_reply_problem(struct acme_call *c, const struct acme_problem *p)
{
	json_t *doc = acme_prob_json(p);
	char *s = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	free(c->resp.error);
	c->resp.error = xstrdup(p->detail);
	c->resp.retry_after = 0;
	if (p->type == ACME_PROB_UNAVAILABLE)
		c->resp.retry_after = 1;
	if (s == NULL)
		s = xstrdup("{}");
	acme_reply_raw(c, acme_prob_status(p), "application/problem+json", s, strlen(s));
}

/* --- commits --------------------------------------------------------------------------- */

/* The store's callback for acme_commit. */
static void call_committed(struct store_txn *t, void *arg)
{
	struct acme_call *c = arg;
	struct acme_problem p;
	void (*then)(struct acme_call *, struct store_txn *) = c->then;

	c->then = NULL;
	if (t->rc != 0) {
		acme_fail_from_error(&p, ACME_PROB_SERVER_INTERNAL, &t->err);
		store_txn_free(t);
		acme_reply_problem(c, &p);
		return;
	}
	/* the nonce's use is the last change: a conflict there is a reuse */
	if (t->record_conflict && c->nonce_valid && t->n_records > 0 &&
	    t->records[t->n_records - 1].conflict) {
		store_txn_free(t);
		acme_fail(&p, ACME_PROB_BAD_NONCE, "the nonce has already been used");
		acme_reply_problem(c, &p);
		return;
	}
	if (then == NULL) {
		store_txn_free(t);
		call_end(c);
		return;
	}
	then(c, t);
	store_txn_free(t);
}

void acme_commit(struct acme_call *c, struct store_txn *t,
		 void (*then)(struct acme_call *c, struct store_txn *t))
{
	if (t == NULL)
		t = store_txn_new();
	if (c->nonce_valid) {
		json_t *empty = json_object();

		acme_txn_rec(t, STORE_REC_INSERT, ACME_COL_NONCES, c->jws.nonce, NULL, empty, 0,
			     c->nonce_expires_ns);
		json_decref(empty);
	}
	c->then = then;
	t->done = call_committed;
	t->done_arg = c;
	c->ac->store->ops->submit(c->ac->store, t);
}

/* After the nonce's use is committed: the answer acme_fail_call kept. */
static void reply_kept_problem(struct acme_call *c, struct store_txn *t)
{
	struct acme_problem p = *(struct acme_problem *)c->scratch;

	(void)t;
	acme_reply_problem(c, &p);
}

void acme_fail_call(struct acme_call *c, const struct acme_problem *p)
{
	struct acme_problem *copy;

	if (!c->nonce_valid) {
		acme_reply_problem(c, p);
		return;
	}
	/* the nonce is used by this request whatever its answer: commit that, then answer */
	copy = xmalloc(sizeof(*copy));
	*copy = *p;
	if (c->scratch_free != NULL)
		c->scratch_free(c->scratch);
	c->scratch = copy;
	c->scratch_free = free;
	acme_commit(c, NULL, reply_kept_problem);
}

/* --- URLs ------------------------------------------------------------------------------- */

char *acme_url(const struct acme_call *c, const char *kind, const char *id, const char *id2)
{
	if (id2 != NULL)
		return xasprintf("%s/%s/%s/%s", c->base, kind, id, id2);
	if (id != NULL)
		return xasprintf("%s/%s/%s", c->base, kind, id);
	return xasprintf("%s/%s", c->base, kind);
}

/* --- the checks of every POST (RFC 8555 §6.2, §6.3, §6.5) -------------------------------- */

/* Whether the resource is read with POST-as-GET only. */
static bool post_as_get_only(enum acme_res r)
{
	return r == ACME_RES_ORDER || r == ACME_RES_ACCOUNT_ORDERS || r == ACME_RES_AUTHZ ||
	       r == ACME_RES_CERT;
}

/* Reads the account the JWS "kid" names and checks it may act here. */
static int load_kid_account(struct acme_call *c, struct acme_problem *p)
{
	const char *kid = c->jws.kid, *slash = strrchr(kid, '/');
	char *prefix = acme_url(c, "account", "", NULL);
	const char *id = slash != NULL ? slash + 1 : "";
	bool found = false, prefixed = str_has_prefix(kid, prefix);
	json_t *jwk;
	struct error err;

	free(prefix);
	if (!prefixed)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "kid does not name an account of this "
				 "provisioner: '%s'",
				 kid);
	if (strlen(id) != ACME_ID_LEN)
		return acme_fail(p, ACME_PROB_ACCOUNT_DOES_NOT_EXIST, "account '%s' does not exist",
				 id);
	if (acme_rec_get(c->ac, ACME_COL_ACCOUNTS, id, &found, &c->acct.rec, &c->acct.version, NULL,
			 p) != 0)
		return -1;
	if (!found)
		return acme_fail(p, ACME_PROB_ACCOUNT_DOES_NOT_EXIST, "account '%s' does not exist",
				 id);
	memcpy(c->acct.id, id, ACME_ID_LEN + 1);
	c->has_account = true;
	if (strcmp(acme_get_str(c->acct.rec, "status"), "valid") != 0)
		return acme_fail(p, ACME_PROB_UNAUTHORIZED, "account '%s' is %s", id,
				 acme_get_str(c->acct.rec, "status"));
	if (strcmp(acme_get_str(c->acct.rec, "provisioner"), c->path.prov) != 0)
		return acme_fail(p, ACME_PROB_UNAUTHORIZED,
				 "account '%s' belongs to another provisioner", id);
	snprintf(c->acct.thumbprint, sizeof(c->acct.thumbprint), "%s",
		 acme_get_str(c->acct.rec, "thumbprint"));
	jwk = json_object_get(c->acct.rec, "jwk");
	if (acme_account_key(c->ac, id, c->acct.thumbprint, jwk, &c->key, &err) != 0)
		return acme_fail(p, ACME_PROB_SERVER_INTERNAL, "the account's key is unreadable");
	return 0;
}

/* Which key signs: "jwk" for new-account, "kid" for all but revoke-cert (either). */
static int resolve_key(struct acme_call *c, struct acme_problem *p)
{
	enum acme_res r = c->path.res;

	if (c->jws.jwk != NULL) {
		if (r != ACME_RES_NEW_ACCOUNT && r != ACME_RES_REVOKE)
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "this request must be signed with an account's kid, not "
					 "a jwk");
		return acme_jws_jwk_key(&c->jws, &c->key, p);
	}
	if (r == ACME_RES_NEW_ACCOUNT)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "new-account must be signed with a jwk, not a kid");
	return load_kid_account(c, p);
}

/* The payload: empty (POST-as-GET) or a JSON object. */
static int parse_payload(struct acme_call *c, struct acme_problem *p)
{
	json_error_t jerr;

	if (c->jws.payload_len == 0) {
		if (c->path.res == ACME_RES_NEW_ACCOUNT || c->path.res == ACME_RES_NEW_ORDER ||
		    c->path.res == ACME_RES_FINALIZE || c->path.res == ACME_RES_REVOKE ||
		    c->path.res == ACME_RES_KEY_CHANGE)
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "the payload is empty: this "
					 "request needs a JSON object");
		return 0;
	}
	if (post_as_get_only(c->path.res))
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "this resource is read with POST-as-GET: the payload must be "
				 "empty");
	c->payload = json_loadb((const char *)c->jws.payload, c->jws.payload_len,
				JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(c->payload))
		return acme_fail(p, ACME_PROB_MALFORMED, "the payload is not a JSON object");
	return 0;
}

/* Content-Type: application/jose+json, exactly (RFC 8555 §6.2). */
static int check_content_type(const struct acme_call *c, struct acme_problem *p)
{
	const char *ct = c->req.content_type;

	if (ct != NULL && strcmp(ct, "application/jose+json") == 0)
		return 0;
	return acme_fail(p, ACME_PROB_MALFORMED,
			 "expected Content-Type application/jose+json, got '%s'",
			 ct != NULL ? ct : "");
}

static void dispatch(struct acme_call *c)
{
	switch (c->path.res) {
	case ACME_RES_NEW_ACCOUNT:
		acme_new_account(c);
		break;
	case ACME_RES_ACCOUNT:
		acme_account(c);
		break;
	case ACME_RES_ACCOUNT_ORDERS:
		acme_account_orders(c);
		break;
	case ACME_RES_KEY_CHANGE:
		acme_key_change(c);
		break;
	case ACME_RES_NEW_ORDER:
		acme_new_order(c);
		break;
	case ACME_RES_ORDER:
		acme_order(c);
		break;
	case ACME_RES_FINALIZE:
		acme_finalize(c);
		break;
	case ACME_RES_AUTHZ:
		acme_authz(c);
		break;
	case ACME_RES_CHALLENGE:
		acme_challenge(c);
		break;
	case ACME_RES_CERT:
		acme_certificate(c);
		break;
	case ACME_RES_REVOKE:
		acme_revoke(c);
		break;
	default: {
		struct acme_problem p;

		acme_fail(&p, ACME_PROB_MALFORMED, "no such resource");
		acme_fail_call(c, &p);
	}
	}
}

void acme_retry(struct acme_call *c)
{
	struct acme_problem p;

	if (c->scratch_free != NULL)
		c->scratch_free(c->scratch);
	c->scratch = NULL;
	c->scratch_free = NULL;
	if (++c->attempts >= ACME_MAX_ATTEMPTS) {
		acme_fail(&p, ACME_PROB_SERVER_INTERNAL,
			  "the resource kept changing under the request; try again");
		acme_fail_call(c, &p);
		return;
	}
	c->now_ns = time_now_ns();
	if (c->has_account) {
		/* the account may have changed too: read it again */
		json_decref(c->acct.rec);
		c->acct.rec = NULL;
		EVP_PKEY_free(c->key);
		c->key = NULL;
		if (load_kid_account(c, &p) != 0) {
			acme_fail_call(c, &p);
			return;
		}
	}
	dispatch(c);
}

/* The checks of a POST, then its handler. */
static void run_post(struct acme_call *c)
{
	struct acme_problem p;
	int64_t issued = 0;

	if (check_content_type(c, &p) != 0 ||
	    acme_jws_parse(c->req.body, c->req.body_len, &c->jws, &p) != 0)
		goto fail;
	if (c->jws.nonce == NULL) {
		acme_fail(&p, ACME_PROB_BAD_NONCE, "the JWS has no nonce");
		goto fail;
	}
	/* a nonce from another instance may carry a slightly later clock */
	if (acme_nonce_check(c->ac->nonce_key, c->jws.nonce, c->now_ns + NONCE_CLOCK_SKEW_NS,
			     &issued, &p) != 0)
		goto fail;
	c->nonce_valid = true;
	c->nonce_expires_ns = issued + ACME_NONCE_LIFETIME_NS;
	if (c->jws.url == NULL) {
		acme_fail(&p, ACME_PROB_MALFORMED, "the JWS has no url");
		goto fail;
	}
	if (strcmp(c->jws.url, c->url) != 0) {
		acme_fail(&p, ACME_PROB_MALFORMED, "the JWS url '%s' is not the request's '%s'",
			  c->jws.url, c->url);
		goto fail;
	}
	if (resolve_key(c, &p) != 0 || acme_jws_verify(&c->jws, c->key, &p) != 0 ||
	    parse_payload(c, &p) != 0)
		goto fail;
	dispatch(c);
	return;
fail:
	acme_fail_call(c, &p);
}

static void run_post_job(struct pool_job *job)
{
	run_post((struct acme_call *)job);
}

/* --- directory and new-nonce --------------------------------------------------------------- */

static void reply_directory(struct acme_call *c)
{
	const struct provisioner *prov = c->prov;
	json_t *dir = json_object(), *meta = json_object();
	static const struct {
		const char *key, *path;
	} links[] = {{"newNonce", "new-nonce"},
		     {"newAccount", "new-account"},
		     {"newOrder", "new-order"},
		     {"revokeCert", "revoke-cert"},
		     {"keyChange", "key-change"}};

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		json_object_set_new(dir, links[i].key, acme_json_url(c, links[i].path, NULL, NULL));
	if (prov->acme.terms_of_service != NULL)
		json_object_set_new(meta, "termsOfService",
				    json_string(prov->acme.terms_of_service));
	if (prov->acme.website != NULL)
		json_object_set_new(meta, "website", json_string(prov->acme.website));
	if (prov->acme.caa_identities != NULL)
		json_object_set(meta, "caaIdentities", (json_t *)prov->acme.caa_identities);
	if (prov->acme.require_eab)
		json_object_set_new(meta, "externalAccountRequired", json_true());
	if (json_object_size(meta) > 0)
		json_object_set(dir, "meta", meta);
	json_decref(meta);
	/* the directory carries no nonce (step-ca's answer) */
	free(c->resp.nonce);
	c->resp.nonce = NULL;
	c->resp.no_store = false;
	free(c->resp.link_index);
	c->resp.link_index = NULL;
	acme_reply_json(c, 200, dir, NULL);
}

/* A 404 for a provisioner that does not exist, in step-ca's admin-style JSON. */
static void reply_no_provisioner(struct acme_call *c)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "type", "notFound", "detail",
				 "resource not found", "message", "provisioner not found");

	if (body != NULL) {
		char *msg = xasprintf("provisioner %s not found", c->path.prov);

		json_object_set_new(body, "message", json_string(msg));
		free(msg);
	}
	c->resp.error = xasprintf("provisioner %s not found", c->path.prov);
	acme_reply_json(c, 404, body, NULL);
}

/* --- acme_handle ---------------------------------------------------------------------------- */

/* Builds the call's URLs from the Host header (step-ca links always use /acme/). */
static void call_urls(struct acme_call *c)
{
	char *escaped = url_path_escape(c->path.prov);
	const char *host = c->req.host != NULL ? c->req.host : "";

	c->base = xasprintf("https://%s/acme/%s", host, escaped);
	c->url = xasprintf("https://%s%s", host, c->req.path);
	free(escaped);
}

void acme_handle(struct acme *ac, const struct acme_request *req, acme_done_fn done, void *arg)
{
	struct acme_call *c = xcalloc(1, sizeof(*c));
	char nonce[ACME_NONCE_LEN + 1];
	struct error err;
	struct acme_problem p;

	c->ac = ac;
	c->req = *req;
	c->done = done;
	c->arg = arg;
	c->now_ns = time_now_ns();
	if (acme_path_parse(req->path, strlen(req->path), &c->path) != 0) {
		acme_reply_raw(c, 404, "text/plain; charset=utf-8", xstrdup("404 page not found\n"),
			       19);
		return;
	}
	c->set = prov_set_get(ac->a);
	c->prov = provisioners_by_name(&c->set->provs, c->path.prov);
	if (c->prov == NULL && authority_admin_enabled(ac->a) && !ac->store->remote &&
	    prov_set_refresh(ac->a, NULL) == 0) {
		/* added by another instance since this one last looked? (On a database across the
		 * network the background refresh finds it within a second: no wait here.) */
		prov_set_put(c->set);
		c->set = prov_set_get(ac->a);
		c->prov = provisioners_by_name(&c->set->provs, c->path.prov);
	}
	if (c->prov == NULL || c->prov->type != PROV_ACME) {
		reply_no_provisioner(c);
		return;
	}
	c->resp.provisioner = xstrdup(c->prov->name);
	call_urls(c);
	c->resp.link_index = acme_url(c, "directory", NULL, NULL);
	c->resp.no_store = true;
	if (acme_nonce_new(ac->nonce_key, c->now_ns, nonce, &err) != 0) {
		acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "cannot make a nonce");
		acme_reply_problem(c, &p);
		return;
	}
	c->resp.nonce = xstrdup(nonce);

	switch (c->path.res) {
	case ACME_RES_DIRECTORY:
		if (req->method == ACME_POST)
			break;
		reply_directory(c);
		return;
	case ACME_RES_NEW_NONCE:
		if (req->method == ACME_POST)
			break;
		acme_reply_raw(c, req->method == ACME_HEAD ? 200 : 204, NULL, NULL, 0);
		return;
	case ACME_RES_UNKNOWN:
		acme_fail(&p, ACME_PROB_MALFORMED, "no such ACME resource: %s", req->path);
		p.status = 404;
		acme_reply_problem(c, &p);
		return;
	default:
		if (req->method == ACME_POST) {
			if (!ac->store->remote) {
				run_post(c);
				return;
			}
			c->job.run = run_post_job;
			if (pool_submit(ac->a->pool, &c->job) != 0) {
				acme_fail(&p, ACME_PROB_UNAVAILABLE, AUTHORITY_BUSY_MSG);
				acme_reply_problem(c, &p);
			}
			return;
		}
	}
	acme_fail(&p, ACME_PROB_MALFORMED, "method not allowed on %s", req->path);
	p.status = 405;
	acme_reply_problem(c, &p);
}

/* --- the engine ----------------------------------------------------------------------------- */

/* Reads the key nonces are made with, creating it on first use (every instance on one database
 * shares it). */
static int load_nonce_key(struct acme *ac, struct error *err)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		struct store_record r = {0};
		bool found = false;
		uint8_t fresh[ACME_NONCE_KEY_LEN];

		if (ac->store->ops->record_get(ac->store, ACME_COL_SECRETS, "nonce-key", &found, &r,
					       err) != 0)
			return -1;
		if (found) {
			int rc = 0;

			if (r.value_len != ACME_NONCE_KEY_LEN)
				rc =
				    err_set(err, ERR_INTERNAL,
					    "the stored ACME nonce key has %zu bytes", r.value_len);
			else
				memcpy(ac->nonce_key, r.value, ACME_NONCE_KEY_LEN);
			OPENSSL_cleanse((void *)r.value, r.value_len);
			store_record_free(&r);
			return rc;
		}
		if (RAND_bytes(fresh, sizeof(fresh)) != 1)
			return err_openssl(err, ERR_CRYPTO, "RAND_bytes");
		{
			struct store_txn *t = store_txn_new();
			struct store_record rec = {.collection = ACME_COL_SECRETS,
						   .id = "nonce-key",
						   .value = fresh,
						   .value_len = sizeof(fresh)};
			int rc;

			store_txn_record(t, STORE_REC_INSERT, &rec);
			OPENSSL_cleanse(fresh, sizeof(fresh));
			rc = store_commit(ac->store, t, err);
			store_txn_free(t);
			if (rc != 0)
				return -1;
		}
		/* inserted, or another instance won: read it again */
	}
	return err_set(err, ERR_INTERNAL, "cannot create the ACME nonce key");
}

int acme_new(struct authority *a, const struct acme_options *opts, struct acme **out,
	     struct error *err)
{
	struct acme *ac = xcalloc(1, sizeof(*ac));
	int n = opts->validators > 0 ? opts->validators : VALIDATORS_DEFAULT;

	ac->a = a;
	ac->store = a->store;
	ac->resolver = opts->resolver != NULL ? xstrdup(opts->resolver) : NULL;
	ac->vcfg.resolver = ac->resolver;
	ac->vcfg.http_port = opts->http_port;
	ac->vcfg.tls_port = opts->tls_port;
	ac->vcfg.timeout_ms = opts->validate_timeout_ms;
	pthread_mutex_init(&ac->keys_lock, NULL);
	if (load_nonce_key(ac, err) != 0 ||
	    pool_new(n, VALIDATIONS_QUEUED, &ac->validators, err) != 0) {
		acme_free(ac);
		return -1;
	}
	*out = ac;
	return 0;
}

void acme_free(struct acme *ac)
{
	if (ac == NULL)
		return;
	pool_free(ac->validators);
	acme_account_keys_free(ac);
	pthread_mutex_destroy(&ac->keys_lock);
	OPENSSL_cleanse(ac->nonce_key, sizeof(ac->nonce_key));
	free(ac->resolver);
	free(ac);
}
