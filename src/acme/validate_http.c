/* validate_http.c - http-01 (RFC 8555 §8.3) with libcurl.
 *
 * curl never resolves a name itself: every host of the chain (the identifier, then the host
 * of each redirect) is resolved here (acme_v_resolve: /etc/hosts, then the configured
 * resolver) and handed to curl with CURLOPT_RESOLVE. Redirects are therefore followed here,
 * one request per hop, at most ACME_V_REDIRECTS_MAX of them, http and https (certificates
 * not verified, as step-ca does). The whole chain shares the validation's deadline.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/validate.h"
#include "base/str.h"

#define URL_MAX 2048

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static pthread_key_t handle_key;

static void handle_free(void *h)
{
	curl_easy_cleanup(h);
}

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	(void)pthread_key_create(&handle_key, handle_free);
}

/* The calling thread's curl handle, reset to its defaults (NULL: none can be made). A handle
 * is kept per validator thread because making one costs more than the fetch it serves (its
 * buffers and the socket pair of its internal multi handle); every fetch still gets a new
 * connection (CURLOPT_FRESH_CONNECT, CURLOPT_FORBID_REUSE below), as with a new handle. */
static CURL *thread_handle(void)
{
	CURL *h = pthread_getspecific(handle_key);

	if (h != NULL) {
		curl_easy_reset(h);
		return h;
	}
	h = curl_easy_init();
	if (h != NULL && pthread_setspecific(handle_key, h) != 0) {
		curl_easy_cleanup(h);
		h = NULL;
	}
	return h;
}

struct body {
	uint8_t data[ACME_V_BODY_MAX];
	size_t len;
	bool over; /* more than ACME_V_BODY_MAX bytes came */
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;

	if (n > ACME_V_BODY_MAX - b->len) {
		b->over = true;
		return 0; /* aborts the transfer */
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool token_ok(const char *t)
{
	if (t[0] == '\0')
		return false;
	for (; *t != '\0'; t++) {
		char c = *t;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* The CURLOPT_RESOLVE entry "host:port:addr,addr" pinning host to the addresses we resolved
 * (none for an IP literal). */
static int pin_host(const struct acme_validate_cfg *cfg, int64_t deadline, const char *host,
		    int port, struct curl_slist **pins, struct acme_problem *p)
{
	struct acme_v_addrs addrs;
	struct acme_v_addr lit;
	char entry[URL_MAX + ACME_V_ADDRS_MAX * (INET6_ADDRSTRLEN + 3)];
	size_t off;

	if (host[0] == '[' || acme_v_ip_parse(host, &lit) == 0)
		return 0;
	if (acme_v_resolve(cfg, host, deadline, &addrs, p) != 0)
		return -1;
	off = (size_t)snprintf(entry, sizeof(entry), "%s:%d:", host, port);
	for (size_t i = 0; i < addrs.n && off < sizeof(entry); i++) {
		char ip[INET6_ADDRSTRLEN];

		acme_v_ip_format(&addrs.a[i], ip, sizeof(ip));
		off += (size_t)snprintf(entry + off, sizeof(entry) - off,
					addrs.a[i].family == AF_INET6 ? "%s[%s]" : "%s%s",
					i > 0 ? "," : "", ip);
	}
	if (off >= sizeof(entry))
		return acme_fail(p, ACME_PROB_CONNECTION, "host name %s is too long", host);
	*pins = curl_slist_append(*pins, entry);
	return 0;
}

/* Splits url into its scheme, host (IPv6 bracketed) and port (the scheme's default when
 * absent); only http and https. */
static int split_url(const char *url, char **scheme, char **host, int *port)
{
	CURLU *u = curl_url();
	char *port_s = NULL;
	int rc = -1;

	*scheme = NULL;
	*host = NULL;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port_s, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if (strcmp(*scheme, "http") != 0 && strcmp(*scheme, "https") != 0)
		goto out;
	*port = atoi(port_s);
	rc = 0;
out:
	if (rc != 0) {
		curl_free(*scheme);
		curl_free(*host);
		*scheme = NULL;
		*host = NULL;
	}
	curl_free(port_s);
	curl_url_cleanup(u);
	return rc;
}

/* One GET of url within the deadline: 0 with *status, *redirect (malloc'd or NULL) and the
 * body (b->over: it was longer than ACME_V_BODY_MAX), or -1 with p set. */
static int fetch_once(const struct acme_validate_cfg *cfg, int64_t deadline, const char *url,
		      long *status, char **redirect, struct body *b, struct acme_problem *p)
{
	struct curl_slist *pins = NULL;
	char *scheme = NULL, *host = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	int port, rc = -1;
	CURLcode cc;
	int left;

	*redirect = NULL;
	b->len = 0;
	b->over = false;
	if (split_url(url, &scheme, &host, &port) != 0) {
		acme_fail(p, ACME_PROB_CONNECTION, "cannot fetch %s: not an http or https URL",
			  url);
		goto out;
	}
	if (pin_host(cfg, deadline, host, port, &pins, p) != 0)
		goto out;
	left = acme_v_left_ms(deadline);
	if (left == 0) {
		acme_fail(p, ACME_PROB_CONNECTION, "no answer from %s within %d ms", url,
			  cfg->timeout_ms);
		goto out;
	}
	h = thread_handle();
	if (h == NULL) {
		acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot start an HTTP request");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* no proxy from the environment */
	curl_easy_setopt(h, CURLOPT_RESOLVE, pins);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "stride-acme/" STRIDE_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(h);
	if (b->over) { /* the caller says so */
		rc = 0;
		goto out;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		acme_fail(p, ACME_PROB_CONNECTION, "no answer from %s within %d ms", url,
			  cfg->timeout_ms);
		goto out;
	}
	if (cc == CURLE_COULDNT_CONNECT) {
		long os_errno = 0;

		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
		acme_fail(p, ACME_PROB_CONNECTION, "cannot connect to %s: %s", url,
			  os_errno != 0 ? strerror((int)os_errno) : curl_easy_strerror(cc));
		goto out;
	}
	if (cc != CURLE_OK) {
		acme_fail(p, ACME_PROB_CONNECTION, "cannot fetch %s: %s", url,
			  errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (*status == 301 || *status == 302 || *status == 303 || *status == 307 ||
	    *status == 308) {
		char *loc = NULL;

		curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
		if (loc != NULL)
			*redirect = xstrdup(loc);
	}
	rc = 0;
out:
	if (h != NULL) /* the handle keeps pointers to these: clear them before they go */
		curl_easy_reset(h);
	curl_slist_free_all(pins);
	curl_free(scheme);
	curl_free(host);
	return rc;
}

int acme_v_http01(const struct acme_validate_cfg *cfg, int64_t deadline, bool ip, const char *value,
		  const char *token, const char *key_authorization, struct acme_problem *p)
{
	struct body *b = NULL;
	char *url = NULL, *next = NULL;
	char hostport[URL_MAX];
	int rc = -1;

	pthread_once(&curl_once, curl_init_once);
	if (!token_ok(token))
		return acme_fail(p, ACME_PROB_MALFORMED, "the token is not base64url");
	if (strlen(value) > 255)
		return acme_fail(p, ACME_PROB_MALFORMED, "identifier %s is too long", value);
	(void)ip; /* an IPv6 address is bracketed like any IPv6 host */
	if (cfg->http_port == 80)
		url = strchr(value, ':') != NULL
			  ? xasprintf("http://[%s]/.well-known/acme-challenge/%s", value, token)
			  : xasprintf("http://%s/.well-known/acme-challenge/%s", value, token);
	else {
		acme_v_hostport(value, cfg->http_port, hostport, sizeof(hostport));
		url = xasprintf("http://%s/.well-known/acme-challenge/%s", hostport, token);
	}
	b = xmalloc(sizeof(*b));
	for (int redirects = 0;; redirects++) {
		long status = 0;

		if (fetch_once(cfg, deadline, url, &status, &next, b, p) != 0)
			goto out;
		if (b->over) {
			char want[4 * ACME_V_QUOTE_MAX + 8];

			acme_v_quote(key_authorization, strlen(key_authorization), want,
				     sizeof(want));
			acme_fail(p, ACME_PROB_INCORRECT_RESPONSE,
				  "expected %s at %s, received more than %d bytes", want, url,
				  ACME_V_BODY_MAX);
			goto out;
		}
		if (next != NULL) {
			if (redirects == ACME_V_REDIRECTS_MAX) {
				acme_fail(p, ACME_PROB_CONNECTION,
					  "stopped after %d redirects at %s", ACME_V_REDIRECTS_MAX,
					  url);
				goto out;
			}
			free(url);
			url = next;
			next = NULL;
			continue;
		}
		if (status >= 400) {
			acme_fail(p, ACME_PROB_CONNECTION, "%s answered HTTP status %ld", url,
				  status);
			goto out;
		}
		break;
	}
	size_t start = 0, end = b->len;
	while (start < end && is_space(b->data[start]))
		start++;
	while (end > start && is_space(b->data[end - 1]))
		end--;
	size_t kl = strlen(key_authorization);
	if (end - start != kl || memcmp(b->data + start, key_authorization, kl) != 0) {
		char want[4 * ACME_V_QUOTE_MAX + 8], got[4 * ACME_V_QUOTE_MAX + 8];

		acme_v_quote(key_authorization, kl, want, sizeof(want));
		acme_v_quote(b->data + start, end - start, got, sizeof(got));
		acme_fail(p, ACME_PROB_INCORRECT_RESPONSE, "expected %s at %s, received %s", want,
			  url, got);
		goto out;
	}
	rc = 0;
out:
	free(b);
	free(url);
	free(next);
	return rc;
}
