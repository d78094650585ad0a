/* ca_client.c - the CA API client on libcurl. */
#include "client/ca_client.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/password.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/key.h"

#ifndef STRIDE_VERSION
#define STRIDE_VERSION "0.0.0-dev"
#endif

/* What decides whether a live connection may be reused for the next request. */
enum tls_mode { TLS_NONE = 0, TLS_VERIFIED, TLS_VERIFIED_IDENTITY, TLS_INSECURE };

struct ca_client {
	CURL *curl;
	char *base;	  /* https://host[:port] */
	char *root_pem;	  /* NULL = system trust store */
	char *cert_pem;	  /* client certificate chain for mTLS, or NULL */
	char *key_pem;	  /* its unencrypted key (wiped on free), or NULL */
	bool insecure;	  /* never verify (set at creation) */
	long timeout_sec; /* per request */
	enum tls_mode last_mode;
};

/* --- libcurl global state --------------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init_once(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int ca_client_global_init(struct error *err)
{
	pthread_once(&global_once, global_init_once);
	if (global_rc != CURLE_OK)
		return err_set(err, ERR_INTERNAL, "error initialising libcurl: %s",
			       curl_easy_strerror(global_rc));
	return 0;
}

/* --- errors --------------------------------------------------------------------------------- */

enum err_kind ca_client_status_kind(long status)
{
	switch (status) {
	case 400:
	case 405:
	case 422:
		return ERR_INVALID;
	case 401:
		return ERR_UNAUTHORIZED;
	case 403:
		return ERR_FORBIDDEN;
	case 404:
		return ERR_NOT_FOUND;
	case 409:
		return ERR_CONFLICT;
	case 413:
		return ERR_TOO_LARGE;
	case 501:
		return ERR_NOT_IMPLEMENTED;
	case 502:
	case 503:
	case 504:
		return ERR_NETWORK;
	default:
		return status >= 400 && status < 500 ? ERR_INVALID : ERR_INTERNAL;
	}
}

int ca_client_decode_error(long status, const char *body, size_t len, struct error *err)
{
	enum err_kind kind = ca_client_status_kind(status);
	json_error_t je;
	json_t *j = json_loadb(body != NULL ? body : "", body != NULL ? len : 0, 0, &je);
	const char *msg;

	if (j == NULL) {
		err_set(err, kind, "failed decoding CA error response: %s", je.text);
		goto out;
	}
	if (!json_is_object(j)) {
		err_set(err, kind, "failed decoding CA error response: not a JSON object");
		goto out;
	}
	msg = json_string_value(json_object_get(j, "message"));
	if (msg == NULL || msg[0] == '\0')
		msg = json_string_value(json_object_get(j, "detail"));
	if (msg != NULL && msg[0] != '\0')
		err_set(err, kind, "%s", msg);
	else
		err_set(err, kind, "the certificate authority answered with HTTP status %ld",
			status);
	err_set_status(err, (int)status);
out:
	json_decref(j);
	return -1;
}

/* --- client lifecycle ----------------------------------------------------------------------- */

static void free_secret(char *s)
{
	if (s != NULL) {
		secure_wipe(s, strlen(s));
		free(s);
	}
}

int ca_client_new(const struct ca_client_config *cfg, struct ca_client **out, struct error *err)
{
	struct ca_client *c = NULL;
	int rc = -1;

	*out = NULL;
	if (ca_client_global_init(err) != 0)
		goto out;
	c = xcalloc(1, sizeof(*c));
	if (ca_url_normalize(cfg->ca_url, &c->base, err) != 0)
		goto out;
	c->root_pem = cfg->root_pem != NULL ? xstrdup(cfg->root_pem) : NULL;
	c->insecure = cfg->insecure;
	c->timeout_sec = cfg->timeout_sec > 0 ? cfg->timeout_sec : CA_CLIENT_TIMEOUT_SEC;
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		err_set(err, ERR_INTERNAL, "error creating a libcurl handle");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	ca_client_free(c);
	return rc;
}

void ca_client_free(struct ca_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl); /* before wiping the blobs it may point at */
	free(c->base);
	free(c->root_pem);
	free(c->cert_pem);
	free_secret(c->key_pem);
	free(c);
}

const char *ca_client_url(const struct ca_client *c)
{
	return c->base;
}

int ca_client_set_identity(struct ca_client *c, const char *cert_chain_pem, const char *key_pem,
			   struct error *err)
{
	if ((cert_chain_pem == NULL) != (key_pem == NULL))
		return err_set(err, ERR_INVALID,
			       "a client certificate needs both the certificate and its key");
	/* The handle may still point at the old blobs: drop them first. */
	curl_easy_reset(c->curl);
	free(c->cert_pem);
	free_secret(c->key_pem);
	c->cert_pem = cert_chain_pem != NULL ? xstrdup(cert_chain_pem) : NULL;
	c->key_pem = key_pem != NULL ? xstrdup(key_pem) : NULL;
	return 0;
}

/* --- requests ------------------------------------------------------------------------------- */

int ca_client_uuid4(char out[37], struct error *err)
{
	return key_random_uuid4(out, err);
}

struct sink {
	struct buf body;
	bool overflow;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	if (buf_append(&s->body, ptr, n, NULL) != 0) {
		s->overflow = true;
		return 0;
	}
	return n;
}

/* Sets every option of one request on the (reset) handle. */
static int setup_request(struct ca_client *c, const struct ca_request *req, const char *url,
			 struct curl_slist *headers, const char *payload, size_t payload_len,
			 struct sink *sink, char *errbuf)
{
	CURL *h = c->curl;
	bool insecure = c->insecure || req->insecure;
	bool identity = !insecure && !req->no_identity && c->cert_pem != NULL;
	enum tls_mode mode =
	    insecure ? TLS_INSECURE : (identity ? TLS_VERIFIED_IDENTITY : TLS_VERIFIED);
	struct curl_blob blob;
	char ua[64];
	CURLcode rc = CURLE_OK;

	curl_easy_reset(h);
	snprintf(ua, sizeof(ua), "stride/%s", STRIDE_VERSION);
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* CURLOPT_NOSIGNAL stays off: the resolver is threaded (no SIGALRM) and libcurl then
	 * ignores SIGPIPE while it writes to a peer that went away. */
	SET(CURLOPT_TIMEOUT, c->timeout_sec);
	SET(CURLOPT_CONNECTTIMEOUT, c->timeout_sec);
	SET(CURLOPT_USERAGENT, ua);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink->body.max);
	if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "DELETE") == 0 && payload_len == 0) {
		SET(CURLOPT_HTTPGET, 1L);
		SET(CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, payload);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)payload_len);
		if (strcmp(req->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
		SET(CURLOPT_FORBID_REUSE, 1L);
	} else {
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
		if (c->root_pem != NULL) {
			/* Only the pinned roots: no compiled-in bundle or directory. */
			SET(CURLOPT_CAINFO, NULL);
			SET(CURLOPT_CAPATH, NULL);
			blob.data = c->root_pem;
			blob.len = strlen(c->root_pem);
			blob.flags = CURL_BLOB_COPY;
			SET(CURLOPT_CAINFO_BLOB, &blob);
		}
	}
	if (identity) {
		blob.data = c->cert_pem;
		blob.len = strlen(c->cert_pem);
		blob.flags = CURL_BLOB_COPY;
		SET(CURLOPT_SSLCERT_BLOB, &blob);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		/* NOCOPY: libcurl reads our copy, which we wipe; no unwiped copy inside libcurl. */
		blob.data = c->key_pem;
		blob.len = strlen(c->key_pem);
		blob.flags = CURL_BLOB_NOCOPY;
		SET(CURLOPT_SSLKEY_BLOB, &blob);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
	}
	/* A connection or TLS session made under other TLS settings is never reused: a resumed
	 * session would carry the peer/client certificates of the one it resumes. */
	if (c->last_mode != TLS_NONE && c->last_mode != mode)
		SET(CURLOPT_FRESH_CONNECT, 1L);
	if (mode != TLS_VERIFIED)
		SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
#undef SET
	c->last_mode = mode;
	return rc == CURLE_OK ? 0 : -1;
}

static void free_headers(struct curl_slist *headers)
{
	for (struct curl_slist *h = headers; h != NULL; h = h->next)
		secure_wipe(h->data, strlen(h->data)); /* may hold a bearer token */
	curl_slist_free_all(headers);
}

static struct curl_slist *add_header(struct curl_slist *list, const char *h, bool *oom)
{
	struct curl_slist *n = curl_slist_append(list, h);

	if (n == NULL) {
		*oom = true;
		return list;
	}
	return n;
}

int ca_client_do(struct ca_client *c, const struct ca_request *req, long *status, json_t **out,
		 struct error *err)
{
	struct curl_slist *headers = NULL;
	struct sink sink = {.overflow = false};
	char errbuf[CURL_ERROR_SIZE] = "";
	char reqid[37], *url = NULL, *payload = NULL, *hdr = NULL;
	size_t payload_len = 0;
	bool oom = false;
	long code = 0;
	CURLcode cc;
	json_error_t je;
	int rc = -1;

	if (status != NULL)
		*status = 0;
	if (out != NULL)
		*out = NULL;
	buf_init(&sink.body, CA_CLIENT_MAX_RESPONSE);
	url = xasprintf("%s%s", c->base, req->path);
	if (ca_client_uuid4(reqid, err) != 0)
		goto out;
	hdr = xasprintf("X-Request-Id: %s", reqid);
	headers = add_header(headers, hdr, &oom);
	headers = add_header(headers, "Accept: application/json", &oom);
	if (strcmp(req->method, "GET") != 0 &&
	    (strcmp(req->method, "DELETE") != 0 || req->body != NULL)) {
		headers = add_header(headers, "Content-Type: application/json", &oom);
		headers = add_header(headers, "Expect:", &oom);
		if (req->body != NULL) {
			payload = json_dumps(req->body, JSON_COMPACT);
			if (payload == NULL) {
				err_set(err, ERR_INTERNAL, "error encoding the request body");
				goto out;
			}
			payload_len = strlen(payload);
		}
	}
	if (req->bearer != NULL) {
		free(hdr);
		hdr = xasprintf("Authorization: Bearer %s", req->bearer);
		headers = add_header(headers, hdr, &oom);
	} else if (req->authorization != NULL) {
		free(hdr);
		hdr = xasprintf("Authorization: %s", req->authorization);
		headers = add_header(headers, hdr, &oom);
	}
	if (oom || setup_request(c, req, url, headers, payload != NULL ? payload : "", payload_len,
				 &sink, errbuf) != 0) {
		err_set(err, ERR_INTERNAL, "client %s %s failed: error configuring libcurl",
			req->method, url);
		goto out;
	}
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		if (sink.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
			err_set(err, ERR_TOO_LARGE,
				"client %s %s failed: response exceeds the maximum of %u bytes",
				req->method, url, CA_CLIENT_MAX_RESPONSE);
		} else {
			size_t n = strlen(errbuf);
			long os_errno = 0;
			while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == '\r'))
				errbuf[--n] = '\0';
			curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
			err_set(err, ERR_NETWORK, "client %s %s failed: %s%s%s%s", req->method, url,
				n > 0 ? errbuf : curl_easy_strerror(cc), os_errno != 0 ? " (" : "",
				os_errno != 0 ? strerror((int)os_errno) : "",
				os_errno != 0 ? ")" : "");
		}
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (status != NULL)
		*status = code;
	if (code >= 400) {
		ca_client_decode_error(code, (const char *)sink.body.data, sink.body.len, err);
		goto out;
	}
	if (out != NULL && sink.body.len > 0) {
		*out = json_loadb((const char *)sink.body.data, sink.body.len, 0, &je);
		if (*out == NULL) {
			err_set(err, ERR_INVALID,
				"client %s %s failed: error decoding response: %s", req->method,
				url, je.text);
			goto out;
		}
	}
	rc = 0;
out:
	/* Drop the handle's pointers into this call's memory (header list, error buffer). */
	curl_easy_reset(c->curl);
	free_headers(headers);
	if (payload != NULL) {
		secure_wipe(payload, payload_len); /* may hold a token */
		free(payload);
	}
	free_secret(hdr);
	free(url);
	buf_free(&sink.body);
	return rc;
}

int ca_client_get_json(struct ca_client *c, const char *path, long *status, json_t **out,
		       struct error *err)
{
	struct ca_request req = {.method = "GET", .path = path};

	return ca_client_do(c, &req, status, out, err);
}

int ca_client_post_json(struct ca_client *c, const char *path, const json_t *body, long *status,
			json_t **out, struct error *err)
{
	struct ca_request req = {.method = "POST", .path = path, .body = body};

	return ca_client_do(c, &req, status, out, err);
}

int ca_client_request(struct ca_client *c, const char *method, const char *path, const json_t *body,
		      const char *authorization, long *status, json_t **out, struct error *err)
{
	struct ca_request req = {
	    .method = method, .path = path, .body = body, .authorization = authorization};

	return ca_client_do(c, &req, status, out, err);
}

/* --- typed helpers --------------------------------------------------------------------------- */

static int bad_response(struct error *err, struct ca_client *c, const char *path, const char *what)
{
	return err_set(err, ERR_INVALID, "client GET %s%s failed: error decoding response: %s",
		       c->base, path, what);
}

int ca_client_health(struct ca_client *c, char **status_out, struct error *err)
{
	json_t *j = NULL;
	const char *s;
	int rc = -1;

	*status_out = NULL;
	if (ca_client_get_json(c, "/health", NULL, &j, err) != 0)
		goto out;
	s = json_string_value(json_object_get(j, "status"));
	if (s == NULL) {
		bad_response(err, c, "/health", "missing status");
		goto out;
	}
	*status_out = xstrdup(s);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* Re-encodes every certificate of a PEM string and appends it to b. */
static int append_pem_certs(struct buf *b, const char *pem, struct error *err)
{
	STACK_OF(X509) *chain = NULL;
	char *out = NULL;
	int rc = -1;

	if (cert_parse_chain((const uint8_t *)pem, strlen(pem), &chain, err) != 0)
		goto out;
	if (cert_chain_to_pem(chain, &out, err) != 0)
		goto out;
	rc = buf_append_str(b, out, err);
out:
	free(out);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

int ca_client_root(struct ca_client *c, const char *fingerprint, char **pem, struct error *err)
{
	struct ca_request req = {.method = "GET", .insecure = true, .no_identity = true};
	STACK_OF(X509) *chain = NULL;
	char want[65], got[65], *path = NULL;
	const char *ca;
	json_t *j = NULL;
	int rc = -1;

	*pem = NULL;
	if (cert_fingerprint_normalize(fingerprint, want, err) != 0)
		goto out;
	path = xasprintf("/root/%s", want);
	req.path = path;
	if (ca_client_do(c, &req, NULL, &j, err) != 0)
		goto out;
	ca = json_string_value(json_object_get(j, "ca"));
	if (ca == NULL) {
		bad_response(err, c, path, "missing ca");
		goto out;
	}
	if (cert_parse_chain((const uint8_t *)ca, strlen(ca), &chain, err) != 0)
		goto out;
	if (cert_fingerprint(sk_X509_value(chain, 0), got, err) != 0)
		goto out;
	if (strcmp(want, got) != 0) {
		err_set(err, ERR_INVALID, "root certificate fingerprint does not match");
		goto out;
	}
	rc = cert_to_pem(sk_X509_value(chain, 0), pem, err);
out:
	sk_X509_pop_free(chain, X509_free);
	json_decref(j);
	free(path);
	return rc;
}

static int get_bundle(struct ca_client *c, const char *path, char **pem, struct error *err)
{
	struct buf b;
	json_t *j = NULL, *crts;
	size_t i;
	json_t *v;
	int rc = -1;

	*pem = NULL;
	buf_init(&b, CA_CLIENT_MAX_RESPONSE);
	if (ca_client_get_json(c, path, NULL, &j, err) != 0)
		goto out;
	crts = json_object_get(j, "crts");
	if (!json_is_array(crts) || json_array_size(crts) == 0) {
		bad_response(err, c, path, "missing crts");
		goto out;
	}
	json_array_foreach(crts, i, v)
	{
		if (!json_is_string(v)) {
			bad_response(err, c, path, "crts must hold PEM strings");
			goto out;
		}
		if (append_pem_certs(&b, json_string_value(v), err) != 0)
			goto out;
	}
	*pem = buf_steal(&b);
	rc = 0;
out:
	buf_free(&b);
	json_decref(j);
	return rc;
}

int ca_client_roots(struct ca_client *c, char **pem, struct error *err)
{
	return get_bundle(c, "/roots", pem, err);
}

int ca_client_federation(struct ca_client *c, char **pem, struct error *err)
{
	return get_bundle(c, "/federation", pem, err);
}

int ca_client_provisioners(struct ca_client *c, json_t **out, struct error *err)
{
	json_t *all = json_array(), *page = NULL, *list;
	char *cursor = xstrdup(""), *path = NULL, *esc;
	const char *next;
	int rc = -1;

	*out = NULL;
	for (int n = 0;; n++) {
		if (n >= CA_CLIENT_MAX_PAGES) {
			err_set(err, ERR_INVALID,
				"client GET %s/provisioners failed: more than %d pages", c->base,
				CA_CLIENT_MAX_PAGES);
			goto out;
		}
		free(path);
		if (cursor[0] == '\0') {
			path = xasprintf("/provisioners?limit=%d", CA_CLIENT_PROVISIONER_PAGE);
		} else {
			esc = curl_easy_escape(c->curl, cursor, 0);
			if (esc == NULL) {
				path = NULL;
				err_set(err, ERR_INTERNAL, "error escaping the provisioner cursor");
				goto out;
			}
			path = xasprintf("/provisioners?cursor=%s&limit=%d", esc,
					 CA_CLIENT_PROVISIONER_PAGE);
			curl_free(esc);
		}
		json_decref(page);
		page = NULL;
		if (ca_client_get_json(c, path, NULL, &page, err) != 0)
			goto out;
		list = json_object_get(page, "provisioners");
		if (!json_is_array(list)) {
			bad_response(err, c, path, "missing provisioners");
			goto out;
		}
		json_array_extend(all, list);
		next = json_string_value(json_object_get(page, "nextCursor"));
		if (next == NULL || next[0] == '\0')
			break;
		if (strcmp(next, cursor) == 0) {
			bad_response(err, c, path, "nextCursor repeats the cursor");
			goto out;
		}
		free(cursor);
		cursor = xstrdup(next);
	}
	*out = all;
	all = NULL;
	rc = 0;
out:
	json_decref(all);
	json_decref(page);
	free(cursor);
	free(path);
	return rc;
}

int ca_client_provisioner_encrypted_key(struct ca_client *c, const char *kid, char **key,
					struct error *err)
{
	char *esc = NULL, *path = NULL;
	const char *k;
	json_t *j = NULL;
	int rc = -1;

	*key = NULL;
	esc = curl_easy_escape(c->curl, kid, 0);
	if (esc == NULL) {
		err_set(err, ERR_INTERNAL, "error escaping the provisioner kid");
		goto out;
	}
	path = xasprintf("/provisioners/%s/encrypted-key", esc);
	if (ca_client_get_json(c, path, NULL, &j, err) != 0)
		goto out;
	k = json_string_value(json_object_get(j, "key"));
	if (k == NULL) {
		bad_response(err, c, path, "missing key");
		goto out;
	}
	*key = xstrdup(k);
	rc = 0;
out:
	json_decref(j);
	free(path);
	curl_free(esc);
	return rc;
}

int ca_client_sign(struct ca_client *c, const char *csr_pem, const char *ott,
		   const char *not_before, const char *not_after, const json_t *template_data,
		   json_t **out, struct error *err)
{
	json_t *body, *v;
	int rc = -1;

	*out = NULL;
	/* Field order of step's SignRequest. */
	body = json_pack("{s:s, s:s, s:s, s:s}", "csr", csr_pem, "ott", ott, "notAfter",
			 not_after != NULL ? not_after : "", "notBefore",
			 not_before != NULL ? not_before : "");
	if (body == NULL) {
		err_set(err, ERR_INVALID, "error encoding the sign request");
		goto out;
	}
	if (template_data != NULL)
		json_object_set(body, "templateData", (json_t *)template_data);
	if (ca_client_post_json(c, "/sign", body, NULL, out, err) != 0)
		goto out;
	if (!json_is_object(*out) || !json_is_string(json_object_get(*out, "crt"))) {
		json_decref(*out);
		*out = NULL;
		err_set(err, ERR_INVALID,
			"client POST %s/sign failed: error decoding response: "
			"missing crt",
			c->base);
		goto out;
	}
	rc = 0;
out:
	/* the token is a credential until it is used: wipe jansson's copy */
	v = json_object_get(body, "ott");
	if (json_is_string(v))
		secure_wipe((char *)json_string_value(v), json_string_length(v));
	json_decref(body);
	return rc;
}
