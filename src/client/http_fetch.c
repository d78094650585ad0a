/* http_fetch.c - GET/POST to an identity provider with libcurl. */
#include "client/http_fetch.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/str.h"
#include "client/ca_client.h"

#ifndef STRIDE_VERSION
#define STRIDE_VERSION "0.0.0-dev"
#endif

static bool host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char tmp[64];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(tmp)) {
		memcpy(tmp, host + 1, n - 2);
		tmp[n - 2] = '\0';
		host = tmp;
	}
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

/* The scheme and host of url (malloc'd), or -1 when it does not parse. */
static int url_parts(const char *url, char **scheme, char **host)
{
	CURLU *u = curl_url();
	int rc = -1;

	*scheme = *host = NULL;
	if (u == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	if (rc != 0) {
		curl_free(*scheme);
		curl_free(*host);
		*scheme = *host = NULL;
	}
	return rc;
}

bool http_url_is_loopback(const char *url)
{
	char *scheme, *host;
	bool r;

	if (url_parts(url, &scheme, &host) != 0)
		return false;
	r = host_is_loopback(host);
	curl_free(scheme);
	curl_free(host);
	return r;
}

#define WELL_KNOWN "/.well-known/openid-configuration"

char *oidc_discovery_url(const char *endpoint)
{
	const char *rest, *q;
	size_t base_len;

	if (strstr(endpoint, WELL_KNOWN) != NULL)
		return xstrdup(endpoint);
	/* the path starts after "scheme://authority" and ends at '?' or '#' */
	rest = strstr(endpoint, "://");
	rest = rest != NULL ? strchr(rest + 3, '/') : NULL;
	q = strpbrk(rest != NULL ? rest : endpoint, "?#");
	base_len = q != NULL ? (size_t)(q - endpoint) : strlen(endpoint);
	while (base_len > 0 && endpoint[base_len - 1] == '/' &&
	       (rest == NULL || endpoint + base_len - 1 > rest))
		base_len--;
	if (rest != NULL && endpoint + base_len - 1 == rest)
		base_len--; /* the path was "/" */
	return xasprintf("%.*s%s%s", (int)base_len, endpoint, WELL_KNOWN, q != NULL ? q : "");
}

char *http_form_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(3 * n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

struct sink {
	struct buf body;
	int64_t max_age;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	return buf_append(&s->body, ptr, n, NULL) == 0 ? n : 0;
}

/* Cache-Control: ... max-age=N ... (step-ca caches a key set that long). */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	char line[512];
	const char *v;

	if (n >= sizeof(line) || strncasecmp(ptr, "cache-control:", 14) != 0)
		return n;
	memcpy(line, ptr, n);
	line[n] = '\0';
	v = strstr(line, "max-age=");
	if (v != NULL && isdigit((unsigned char)v[8]))
		s->max_age = strtoll(v + 8, NULL, 10);
	return n;
}

int http_fetch(const char *url, const char *form, struct http_fetch_result *out, struct error *err)
{
	struct sink sink = {.max_age = -1};
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", ua[64], *scheme = NULL, *host = NULL;
	CURL *h = NULL;
	CURLcode rc = CURLE_OK;
	bool loopback;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&sink.body, HTTP_FETCH_MAX_BODY);
	if (ca_client_global_init(err) != 0)
		return -1;
	if (url_parts(url, &scheme, &host) != 0) {
		err_set(err, ERR_INVALID, "invalid URL %s", url);
		goto out;
	}
	loopback = host_is_loopback(host);
	if (strcasecmp(scheme, "https") != 0 && !(strcasecmp(scheme, "http") == 0 && loopback)) {
		err_set(err, ERR_INVALID, "%s: the URL must use https (http only on loopback)",
			url);
		goto out;
	}
	h = curl_easy_init();
	if (h == NULL) {
		err_set(err, ERR_INTERNAL, "error creating a libcurl handle");
		goto out;
	}
	snprintf(ua, sizeof(ua), "stride/%s", STRIDE_VERSION);
	headers = curl_slist_append(headers, "Accept: application/json");
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, loopback ? "http,https" : "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, loopback ? "http,https" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 5L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT, HTTP_FETCH_TIMEOUT_SEC);
	SET(CURLOPT_CONNECTTIMEOUT, HTTP_FETCH_TIMEOUT_SEC);
	SET(CURLOPT_USERAGENT, ua);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &sink);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, &sink);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (loopback)
		SET(CURLOPT_PROXY, "");
	if (form != NULL) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, form);
	}
#undef SET
	if (rc == CURLE_OK)
		rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		err_set(err, ERR_NETWORK, "failed to connect to %s: %s", url,
			errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	out->max_age = sink.max_age;
	out->body_len = sink.body.len;
	out->body = sink.body.len > 0 ? buf_steal(&sink.body) : xstrdup("");
	ret = 0;
out:
	curl_slist_free_all(headers);
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_free(scheme);
	curl_free(host);
	buf_free(&sink.body);
	return ret;
}

void http_fetch_result_free(struct http_fetch_result *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}
