/* server_fixture.c - see server_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/acme.h"
#include "base/log.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "server/server.h"
#include "server_fixture.h"

static void *serve(void *arg)
{
	struct sfx *x = arg;
	struct error err = {0};

	x->run_rc = server_run(x->srv, &err);
	if (x->run_rc != 0)
		print_error("server_run: %s\n", err.msg);
	return NULL;
}

struct sfx *sfx_start(struct afx *f, struct acme *acme)
{
	struct sfx *x = xcalloc(1, sizeof(*x));
	struct server_options opts = {.threads = 2, .acme = acme};
	struct error err = {0};

	log_configure(LOG_WARN, 1); /* no request log lines */
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	x->f = f;
	x->acme = acme;
	if (server_new(x->f->a, &opts, &x->srv, &err) != 0)
		fail_msg("server_new: %s", err.msg);
	snprintf(x->url, sizeof(x->url), "https://127.0.0.1:%d", server_bound_port(x->srv));
	assert_int_equal(
	    cert_to_pem(sk_X509_value(authority_roots(x->f->a), 0), &x->root_pem, &err), 0);
	assert_int_equal(cert_to_pem(x->f->ca_cert, &x->inter_pem, &err), 0);
	assert_int_equal(pthread_create(&x->thread, NULL, serve, x), 0);
	return x;
}

void sfx_stop(struct sfx *x)
{
	int rc;

	if (x == NULL)
		return;
	server_stop(x->srv);
	pthread_join(x->thread, NULL);
	server_free(x->srv);
	acme_free(x->acme);
	afx_free(x->f);
	free(x->root_pem);
	free(x->inter_pem);
	curl_global_cleanup();
	rc = x->run_rc;
	free(x);
	assert_int_equal(rc, 0);
}

static size_t grow_add(char *data, size_t size, size_t n, void *arg)
{
	struct grow *g = arg;
	size_t len = size * n;

	g->p = xrealloc(g->p, g->n + len + 1);
	memcpy(g->p + g->n, data, len);
	g->n += len;
	g->p[g->n] = '\0';
	return len;
}

void sfx_call_start(struct sfx *x, struct call *c)
{
	struct curl_blob ca = {x->root_pem, strlen(x->root_pem), CURL_BLOB_COPY};
	char *url = str_has_prefix(c->path, "https://") ? xstrdup(c->path)
							: xasprintf("%s%s", x->url, c->path);
	CURL *e = curl_easy_init();

	assert_non_null(e);
	c->easy = e;
	c->got = (struct grow){xstrdup(""), 0};
	c->head = (struct grow){xstrdup(""), 0};
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, grow_add);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &c->got);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, grow_add);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &c->head);
	c->hdrs = curl_slist_append(NULL, "Expect:"); /* the body at once, no 100-continue */
	if (c->bearer != NULL) {
		c->auth = xasprintf("Authorization: Bearer %s", c->bearer);
		c->hdrs = curl_slist_append(c->hdrs, c->auth);
	}
	if (c->authorization != NULL) {
		free(c->auth);
		c->auth = xasprintf("Authorization: %s", c->authorization);
		c->hdrs = curl_slist_append(c->hdrs, c->auth);
	}
	if (c->content_type != NULL) {
		c->ctype = xasprintf("Content-Type: %s", c->content_type);
		c->hdrs = curl_slist_append(c->hdrs, c->ctype);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	if (c->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(c->body_len > 0 ? c->body_len : strlen(c->body)));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	}
	if (c->method != NULL && strcmp(c->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (c->method != NULL)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	if (c->cert != NULL) {
		struct curl_blob crt = {(void *)c->cert, strlen(c->cert), CURL_BLOB_COPY};
		struct curl_blob key = {(void *)c->key, strlen(c->key), CURL_BLOB_COPY};

		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &crt);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	free(url);
}

void sfx_call_end(struct call *c, CURLcode res)
{
	if (res != CURLE_OK)
		print_error("%s: %s\n", c->path, curl_easy_strerror(res));
	c->status = 0;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->hdrs);
	free(c->auth);
	free(c->ctype);
	c->easy = NULL;
	c->hdrs = NULL;
	c->auth = NULL;
	c->ctype = NULL;
}

void sfx_call_free(struct call *c)
{
	free(c->got.p);
	free(c->head.p);
	c->got.p = c->head.p = NULL;
}

void sfx_call(struct sfx *x, struct call *c, long want_status, const char *want_body)
{
	sfx_call_start(x, c);
	sfx_call_end(c, curl_easy_perform(c->easy));
	if (c->status != want_status)
		fail_msg("%s %s: status %ld, want %ld; body %s",
			 c->method ? c->method
			 : c->body ? "POST"
				   : "GET",
			 c->path, c->status, want_status, c->got.p);
	if (want_body != NULL)
		assert_string_equal(c->got.p, want_body);
}

bool sfx_has_header(const struct call *c, const char *line)
{
	char *want = xasprintf("\r\n%s\r\n", line);
	bool found = strstr(c->head.p, want) != NULL;

	free(want);
	return found;
}

/* The value (after the colon) of the first header line of c named name, or NULL; *count how
 * many lines have that name. */
static const char *find_header(const struct call *c, const char *name, int *count)
{
	size_t n = strlen(name);
	const char *line = strstr(c->head.p, "\r\n"), *found = NULL;

	*count = 0;
	while (line != NULL && line[2] != '\0') {
		line += 2;
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			if (found == NULL)
				found = line + n + 1;
			(*count)++;
		}
		line = strstr(line, "\r\n");
	}
	return found;
}

char *sfx_header(const struct call *c, const char *name)
{
	int count;
	const char *v = find_header(c, name, &count), *end;

	if (v == NULL)
		return NULL;
	while (*v == ' ')
		v++;
	end = strstr(v, "\r\n");
	return xasprintf("%.*s", (int)(end != NULL ? end - v : (long)strlen(v)), v);
}

int sfx_header_count(const struct call *c, const char *name)
{
	int count;

	find_header(c, name, &count);
	return count;
}
