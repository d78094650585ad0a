/* peer_certs.c - a server's certificate chain through libcurl's certificate information. */
#include "cli/peer_certs.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/str.h"
#include "crypto/cert.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool peer_is_url(const char *arg)
{
	return strstr(arg, "://") != NULL;
}

/* Appends the PEM file path (or every regular file of the directory path) to pem. */
static int add_roots(struct buf *pem, const char *path, struct error *err)
{
	struct stat st;
	uint8_t *data = NULL;
	size_t n = 0;
	int rc = -1;

	if (stat(path, &st) != 0)
		return err_set(err, ERR_NOT_FOUND, "error reading %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;

		if (d == NULL)
			return err_set(err, ERR_IO, "error reading %s: %s", path, strerror(errno));
		rc = 0;
		while (rc == 0 && (e = readdir(d)) != NULL) {
			char *p = e->d_name[0] == '.' ? NULL : path_join(path, e->d_name);
			struct stat fst;

			if (p != NULL && stat(p, &fst) == 0 && S_ISREG(fst.st_mode))
				rc = add_roots(pem, p, err);
			free(p);
		}
		closedir(d);
		return rc;
	}
	if (file_read(path, PEER_ROOTS_MAX, &data, &n, err) != 0)
		goto out;
	if (buf_append(pem, data, n, err) != 0 || buf_append(pem, "\n", 1, err) != 0)
		goto out;
	rc = 0;
out:
	free(data);
	return rc;
}

/* step's --roots: a file, files separated by commas, or a directory. */
static int read_roots(const char *roots, struct buf *pem, struct error *err)
{
	char *list = xstrdup(roots), *save = NULL;
	int rc = 0;

	for (char *p = strtok_r(list, ",", &save); p != NULL && rc == 0;
	     p = strtok_r(NULL, ",", &save))
		rc = add_roots(pem, p, err);
	free(list);
	if (rc == 0 && pem->len == 0)
		rc = err_set(err, ERR_INVALID, "no root certificates in '%s'", roots);
	return rc;
}

/* Splits the authority of "https://host[:port]/..." into host and port (443 by default). */
static int split_url(const char *url, char **host, long *port, struct error *err)
{
	const char *a, *end, *colon;
	long long p = 443;

	*host = NULL;
	if (strncmp(url, "https://", 8) != 0)
		return err_set(err, ERR_INVALID, "unsupported protocol in '%s': use https://", url);
	a = url + 8;
	end = a + strcspn(a, "/?#");
	if (*a == '[') {
		const char *rb = memchr(a, ']', (size_t)(end - a));
		if (rb == NULL)
			return err_set(err, ERR_INVALID, "invalid address '%s'", url);
		*host = xasprintf("%.*s", (int)(rb - a - 1), a + 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(a, ':', (size_t)(end - a));
		*host = xasprintf("%.*s", (int)((colon != NULL ? colon : end) - a), a);
	}
	if (colon != NULL) {
		char *ps = xasprintf("%.*s", (int)(end - colon - 1), colon + 1);
		int bad = parse_int64(ps, &p, NULL) != 0 || p < 1 || p > 65535;

		free(ps);
		if (bad) {
			free(*host);
			*host = NULL;
			return err_set(err, ERR_INVALID, "invalid port in '%s'", url);
		}
	}
	if ((*host)[0] == '\0') {
		free(*host);
		*host = NULL;
		return err_set(err, ERR_INVALID, "invalid address '%s'", url);
	}
	*port = (long)p;
	return 0;
}

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

int peer_chain(const char *url, const char *roots, const char *servername, STACK_OF(X509) * *out,
	       struct error *err)
{
	CURL *h = NULL;
	struct curl_slist *connect_to = NULL;
	struct curl_certinfo *ci = NULL;
	struct curl_blob blob;
	struct buf pem, chain;
	char *host = NULL, *target = NULL, *map = NULL;
	long port = 443;
	CURLcode cc;
	int rc = -1;

	*out = NULL;
	buf_init(&pem, PEER_ROOTS_MAX);
	buf_init(&chain, PEER_ROOTS_MAX);
	pthread_once(&curl_once, curl_init_once);
	if (split_url(url, &host, &port, err) != 0)
		goto out;
	if (roots != NULL && roots[0] != '\0' && read_roots(roots, &pem, err) != 0)
		goto out;
	h = curl_easy_init();
	if (h == NULL) {
		err_set(err, ERR_INTERNAL, "cannot create an HTTP client");
		goto out;
	}
	/* The name checked and sent as SNI is --servername when given: the URL names it, and
	 * CONNECT_TO sends the connection to the URL's host. */
	if (servername != NULL && servername[0] != '\0') {
		target =
		    xasprintf(strchr(servername, ':') ? "https://[%s]:%ld/" : "https://%s:%ld/",
			      servername, port);
		map = xasprintf(strchr(host, ':') ? "%s:%ld:[%s]:%ld" : "%s:%ld:%s:%ld", servername,
				port, host, port);
		connect_to = curl_slist_append(NULL, map);
	} else {
		target = xstrdup(url);
	}
	curl_easy_setopt(h, CURLOPT_URL, target);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)PEER_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)PEER_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (connect_to != NULL)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
	if (pem.len > 0) {
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
		blob.data = pem.data;
		blob.len = pem.len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		err_set(err, ERR_NETWORK, "error connecting to %s: %s", url,
			curl_easy_strerror(cc));
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
	    ci->num_of_certs <= 0) {
		err_set(err, ERR_NETWORK, "%s presented no certificate", url);
		goto out;
	}
	for (int i = 0; i < ci->num_of_certs; i++)
		for (struct curl_slist *s = ci->certinfo[i]; s != NULL; s = s->next)
			if (strncmp(s->data, "Cert:", 5) == 0 &&
			    (buf_append_str(&chain, s->data + 5, err) != 0 ||
			     buf_append(&chain, "\n", 1, err) != 0))
				goto out;
	if (cert_parse_chain(chain.data, chain.len, out, err) != 0)
		goto out;
	rc = 0;
out:
	curl_slist_free_all(connect_to);
	if (h != NULL)
		curl_easy_cleanup(h);
	buf_free(&pem);
	buf_free(&chain);
	free(host);
	free(target);
	free(map);
	return rc;
}
