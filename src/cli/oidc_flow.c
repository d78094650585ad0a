/* oidc_flow.c - the authorization-code flow with PKCE on a loopback redirect (oidc_flow.h). */
#include "cli/oidc_flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/password.h"
#include "base/str.h"
#include "client/http_fetch.h"

#define FLOW_TIMEOUT_MS	   (2 * 60 * 1000) /* step: "oauth command timed out" after 2m */
#define REQUEST_TIMEOUT_MS 5000
#define REQUEST_MAX	   8192

struct flow {
	const char *client_id;
	const char *client_secret;
	char *authz_endpoint;
	char *token_endpoint;
	char *redirect_uri;
	char *state;	/* 32 alphanumerics */
	char *verifier; /* 64 alphanumerics: the PKCE code_verifier */
	char *nonce;	/* 64 hex digits */
	int listener;
};

static void flow_free(struct flow *f)
{
	free(f->authz_endpoint);
	free(f->token_endpoint);
	free(f->redirect_uri);
	password_free(f->state);
	password_free(f->verifier);
	free(f->nonce);
	if (f->listener >= 0)
		close(f->listener);
}

/* The identity provider's authorization and token endpoints (its discovery document). */
static int discover(struct flow *f, const char *endpoint, struct error *err)
{
	char *url = oidc_discovery_url(endpoint);
	struct http_fetch_result r;
	json_t *doc = NULL;
	const char *authz, *tok;
	int rc = -1;

	if (http_fetch(url, NULL, &r, err) != 0) {
		err_wrap(err, "error retrieving %s", url);
		goto out;
	}
	doc = json_loadb(r.body, r.body_len, 0, NULL);
	http_fetch_result_free(&r);
	if (!json_is_object(doc)) {
		err_set(err, ERR_INVALID, "error reading %s: unsupported format", url);
		goto out;
	}
	authz = json_string_value(json_object_get(doc, "authorization_endpoint"));
	tok = json_string_value(json_object_get(doc, "token_endpoint"));
	if (authz == NULL) {
		err_set(err, ERR_INVALID,
			"missing or invalid 'authorization_endpoint' in provider metadata");
		goto out;
	}
	if (tok == NULL) {
		err_set(err, ERR_INVALID,
			"missing or invalid 'token_endpoint' in provider metadata");
		goto out;
	}
	f->authz_endpoint = xstrdup(authz);
	f->token_endpoint = xstrdup(tok);
	rc = 0;
out:
	json_decref(doc);
	free(url);
	return rc;
}

/* Listens on addr ("host:port", "[v6]:port", ":port"; "" = 127.0.0.1:0) and sets the
 * redirect URI: http://127.0.0.1:<port>, or the host as given (step's NewServer). */
static int listen_on(struct flow *f, const char *addr, struct error *err)
{
	char host[256] = "127.0.0.1", port[16] = "0", bound[NI_MAXSERV];
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *colon = strrchr(addr, ':');
	int one = 1, gai;

	if (addr[0] != '\0') {
		size_t hl;
		if (colon == NULL || strlen(colon + 1) >= sizeof(port))
			return err_set(err, ERR_INVALID, "invalid value '%s' for flag '--listen'",
				       addr);
		hl = (size_t)(colon - addr);
		if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
			addr++;
			hl -= 2;
		}
		if (hl >= sizeof(host))
			return err_set(err, ERR_INVALID, "invalid value '%s' for flag '--listen'",
				       addr);
		if (hl > 0) {
			memcpy(host, addr, hl);
			host[hl] = '\0';
		}
		snprintf(port, sizeof(port), "%s", colon + 1);
	}
	gai = getaddrinfo(host, port, &hints, &ai);
	if (gai != 0)
		return err_set(err, ERR_NETWORK, "error listening on %s: %s", addr,
			       gai_strerror(gai));
	f->listener = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->listener < 0 ||
	    setsockopt(f->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(f->listener, ai->ai_addr, ai->ai_addrlen) != 0 || listen(f->listener, 8) != 0 ||
	    getsockname(f->listener, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, bound, sizeof(bound),
			NI_NUMERICSERV) != 0) {
		int e = errno;
		freeaddrinfo(ai);
		return err_set(err, ERR_NETWORK, "error listening on %s: %s", addr, strerror(e));
	}
	freeaddrinfo(ai);
	f->redirect_uri = strchr(host, ':') != NULL ? xasprintf("http://[%s]:%s", host, bound)
						    : xasprintf("http://%s:%s", host, bound);
	return 0;
}

struct param {
	char *k, *v;
};

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct param *)a)->k, ((const struct param *)b)->k);
}

static void param_add(struct param *ps, size_t *n, size_t max, const char *k, size_t klen, char *v)
{
	if (*n == max) {
		free(v);
		return;
	}
	ps[*n].k = xasprintf("%.*s", (int)klen, k);
	ps[*n].v = v;
	(*n)++;
}

/* The scopes of the provisioner joined with spaces, else step's "openid email". */
static char *scope_of(const json_t *p)
{
	const json_t *scopes = json_object_get(p, "scopes");
	char *out = NULL, *t;
	size_t i;
	json_t *v;

	json_array_foreach(scopes, i, v)
	{
		if (!json_is_string(v))
			continue;
		t = out == NULL ? xstrdup(json_string_value(v))
				: xasprintf("%s %s", out, json_string_value(v));
		free(out);
		out = t;
	}
	return out != NULL ? out : xstrdup("openid email");
}

/* The authorization URL: step's parameters plus the provisioner's authParams ("k=v"), sorted
 * by name as Go's url.Values.Encode writes them. malloc'd. */
static char *auth_url(const struct flow *f, const json_t *p)
{
	const json_t *extra = json_object_get(p, "authParams");
	struct param ps[64];
	size_t n = 0, i, max = sizeof(ps) / sizeof(ps[0]);
	unsigned char md[32];
	char *out, *tmp;
	json_t *v;

	EVP_Digest(f->verifier, strlen(f->verifier), md, NULL, EVP_sha256(), NULL);
	param_add(ps, &n, max, "client_id", 9, xstrdup(f->client_id));
	param_add(ps, &n, max, "redirect_uri", 12, xstrdup(f->redirect_uri));
	param_add(ps, &n, max, "response_type", 13, xstrdup("code"));
	param_add(ps, &n, max, "code_challenge_method", 21, xstrdup("S256"));
	param_add(ps, &n, max, "code_challenge", 14, b64url_encode(md, sizeof(md)));
	param_add(ps, &n, max, "scope", 5, scope_of(p));
	param_add(ps, &n, max, "state", 5, xstrdup(f->state));
	param_add(ps, &n, max, "nonce", 5, xstrdup(f->nonce));
	json_array_foreach(extra, i, v)
	{
		const char *kv = json_string_value(v), *eq;
		if (kv == NULL || kv[0] == '\0' || kv[0] == '=')
			continue;
		eq = strchr(kv, '=');
		param_add(ps, &n, max, kv, eq != NULL ? (size_t)(eq - kv) : strlen(kv),
			  xstrdup(eq != NULL ? eq + 1 : ""));
	}
	qsort(ps, n, sizeof(ps[0]), param_cmp);
	out = xasprintf("%s%c", f->authz_endpoint, strchr(f->authz_endpoint, '?') ? '&' : '?');
	for (i = 0; i < n; i++) {
		char *ek = http_form_escape(ps[i].k), *ev = http_form_escape(ps[i].v);
		tmp = xasprintf("%s%s%s=%s", out, i > 0 ? "&" : "", ek, ev);
		free(out);
		out = tmp;
		free(ek);
		free(ev);
		free(ps[i].k);
		free(ps[i].v);
	}
	return out;
}

/* Starts cmd url in the background with stdin and stdout on /dev/null (the token goes to
 * stdout); never waits for it. 0 once it runs, -1 when it cannot be started. */
static int spawn_detached(const char *cmd, const char *url)
{
	int pfd[2], status, e = 0;
	pid_t child;
	ssize_t got;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (child == 0) {
		/* the intermediate child: the browser is re-parented to init when it exits */
		pid_t g = fork();
		if (g == 0) {
			int null = open("/dev/null", O_RDWR);
			setsid();
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
			}
			close(pfd[0]);
			execlp(cmd, cmd, url, (char *)NULL);
			e = errno;
			(void)!write(pfd[1], &e, sizeof(e));
			_exit(127);
		}
		_exit(g < 0 ? 1 : 0);
	}
	close(pfd[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* EOF once the browser executed (close-on-exec), errno when it could not */
	do
		got = read(pfd[0], &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	close(pfd[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got > 0)
		return -1;
	return 0;
}

/* step's DoLoopbackAuthorization messages around opening the browser. */
static void open_browser(const char *url)
{
	const char *browser = getenv("BROWSER");
	const char *skip = getenv("STRIDE_OPEN_BROWSER");
	int rc;

	if (skip != NULL && strcmp(skip, "0") == 0) {
		fprintf(stderr, "%s\n", url);
		return;
	}
	rc = spawn_detached(browser != NULL && browser[0] != '\0' ? browser : "xdg-open", url);
	if (rc != 0)
		fprintf(stderr,
			"Cannot open a web browser on your platform.\n\n"
			"Open a local web browser and visit:\n\n%s\n\n",
			url);
	else
		fprintf(stderr, "Your default web browser has been opened to visit:\n\n%s\n\n",
			url);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void respond(int fd, int status, const char *reason, const char *ctype, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, reason, ctype, strlen(body));

	if (n > 0 && write(fd, head, (size_t)n) == n)
		(void)!write(fd, body, strlen(body));
}

static void respond_page(int fd, int status, const char *title, const char *text)
{
	char *safe = xmalloc(6 * strlen(text) + 1), *o = safe, *body;

	/* the text may come from the identity provider: no markup of its own */
	for (const char *c = text; *c != '\0'; c++) {
		const char *rep = *c == '<'   ? "&lt;"
				  : *c == '>' ? "&gt;"
				  : *c == '&' ? "&amp;"
					      : NULL;
		if (rep != NULL) {
			strcpy(o, rep);
			o += strlen(rep);
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	body = xasprintf("<html lang=\"en-US\"><head><title>%s</title></head><body>"
			 "<p>%s</p></body></html>",
			 title, safe);
	free(safe);

	respond(fd, status, status == 200 ? "OK" : "Bad Request", "text/html; charset=utf-8", body);
	free(body);
}

/* The value of name in a query string, percent- and '+'-decoded (Go's ParseQuery); malloc'd, or
 * NULL when absent. */
static char *query_get(const char *query, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = query; p != NULL && *p != '\0';) {
		const char *end = strpbrk(p, "&;");
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			char *out = xmalloc(len - nl), *o = out;
			for (const char *c = p + nl + 1; c < p + len; c++) {
				unsigned int x;
				if (*c == '+') {
					*o++ = ' ';
				} else if (*c == '%' && c + 2 < p + len &&
					   sscanf(c + 1, "%2x", &x) == 1) {
					*o++ = (char)x;
					c += 2;
				} else {
					*o++ = *c;
				}
			}
			*o = '\0';
			return out;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

/* Exchanges the code at the token endpoint for the tokens; *id_token malloc'd. */
static int exchange(const struct flow *f, const char *code, char **id_token, struct error *err)
{
	const char *names[] = {"client_id",	"client_secret", "code",
			       "code_verifier", "grant_type",	 "redirect_uri"};
	const char *values[] = {f->client_id, f->client_secret,	    code,
				f->verifier,  "authorization_code", f->redirect_uri};
	struct http_fetch_result r;
	char *form = xstrdup(""), *t;
	json_t *doc;
	const char *e, *desc, *id;
	int rc = -1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *v = http_form_escape(values[i] != NULL ? values[i] : "");
		t = xasprintf("%s%s%s=%s", form, i > 0 ? "&" : "", names[i], v);
		free(v);
		password_free(form);
		form = t;
	}
	rc = http_fetch(f->token_endpoint, form, &r, err);
	password_free(form);
	if (rc != 0)
		return -1;
	rc = -1;
	doc = json_loadb(r.body, r.body_len, 0, NULL);
	http_fetch_result_free(&r);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return err_set(err, ERR_INVALID, "invalid JSON from %s", f->token_endpoint);
	}
	e = json_string_value(json_object_get(doc, "error"));
	desc = json_string_value(json_object_get(doc, "error_description"));
	id = json_string_value(json_object_get(doc, "id_token"));
	if ((e != NULL && e[0] != '\0') || (desc != NULL && desc[0] != '\0'))
		err_set(err, ERR_UNAUTHORIZED, "%s. %s", e != NULL ? e : "",
			desc != NULL ? desc : "");
	else if (id == NULL || id[0] == '\0')
		err_set(err, ERR_UNAUTHORIZED, "the token endpoint returned no id_token");
	else {
		*id_token = xstrdup(id);
		rc = 0;
	}
	json_decref(doc);
	return rc;
}

/* Reads one request's head from fd: "GET <target> HTTP/1.1". *target malloc'd. */
static int read_request(int fd, char **method, char **target)
{
	char buf[REQUEST_MAX + 1];
	size_t len = 0;
	int64_t deadline = now_ms() + REQUEST_TIMEOUT_MS;
	char *sp1, *sp2;

	while (len < REQUEST_MAX) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		n = read(fd, buf + len, REQUEST_MAX - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
			break;
	}
	buf[len] = '\0';
	sp1 = strchr(buf, ' ');
	sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	if (sp2 == NULL)
		return -1;
	*method = xasprintf("%.*s", (int)(sp1 - buf), buf);
	*target = xasprintf("%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
	return 0;
}

enum serve_result { SERVE_AGAIN, SERVE_DONE, SERVE_FAILED };

/* Handles one callback request (step's ServeHTTP). */
static enum serve_result serve_one(const struct flow *f, int fd, const char *peer, char **id_token,
				   struct error *err)
{
	char *method = NULL, *target = NULL, *code = NULL, *state = NULL, *oerr = NULL;
	const char *query;
	size_t plen;
	enum serve_result res = SERVE_AGAIN;

	if (read_request(fd, &method, &target) != 0)
		goto out;
	query = strchr(target, '?');
	plen = query != NULL ? (size_t)(query - target) : strlen(target);
	query = query != NULL ? query + 1 : "";
	if (plen != 1 || target[0] != '/') {
		respond(fd, 404, "Not Found", "text/plain; charset=utf-8", "404 page not found\n");
		goto out;
	}
	if (strcmp(method, "OPTIONS") == 0) {
		respond(fd, 200, "OK", "text/plain; charset=utf-8", "");
		goto out;
	}
	oerr = query_get(query, "error");
	code = query_get(query, "code");
	state = query_get(query, "state");
	if (oerr != NULL && oerr[0] != '\0') {
		err_set(err, ERR_UNAUTHORIZED, "Failed to authenticate: %s", oerr);
		res = SERVE_FAILED;
	} else if (code == NULL || code[0] == '\0' || state == NULL || state[0] == '\0') {
		fprintf(stderr, "Invalid request received: http://%s%s\n", peer, target);
		fprintf(stderr,
			"You may have an app or browser plugin that needs to be turned off\n");
		respond(fd, 400, "Bad Request", "text/plain; charset=utf-8", "400 bad request\n");
		goto out;
	} else if (strcmp(state, f->state) != 0) {
		err_set(err, ERR_UNAUTHORIZED, "Failed to authenticate: missing or invalid state");
		res = SERVE_FAILED;
	} else if (exchange(f, code, id_token, err) != 0) {
		err_wrap(err, "Failed exchanging authorization code");
		res = SERVE_FAILED;
	} else {
		respond_page(fd, 200, "OAuth Request Successful",
			     "Success: the OAuth request was successful; look for the token on "
			     "the command line.");
		res = SERVE_DONE;
		goto out;
	}
	respond_page(fd, 400, "OAuth Request Unsuccessful", err->msg);
out:
	free(method);
	free(target);
	password_free(code);
	free(state);
	free(oerr);
	return res;
}

/* Accepts callbacks until one completes the flow, fails it, or the time is up. */
static int wait_callback(const struct flow *f, char **id_token, struct error *err)
{
	int64_t deadline = now_ms() + FLOW_TIMEOUT_MS;

	for (;;) {
		struct pollfd pfd = {.fd = f->listener, .events = POLLIN};
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[NI_MAXHOST], serv[NI_MAXSERV], peer[NI_MAXHOST + NI_MAXSERV + 4];
		int64_t left = deadline - now_ms();
		enum serve_result res;
		int fd;

		if (left <= 0)
			return err_set(err, ERR_NETWORK,
				       "oauth command timed out, please try again");
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		fd = accept4(f->listener, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv, sizeof(serv),
				NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(peer, sizeof(peer), "?");
		else
			snprintf(peer, sizeof(peer), "%s:%s", host, serv);
		res = serve_one(f, fd, peer, id_token, err);
		close(fd);
		if (res == SERVE_DONE)
			return 0;
		if (res == SERVE_FAILED)
			return -1;
	}
}

int oidc_flow_token(const json_t *p, char **id_token, struct error *err)
{
	struct flow f = {.listener = -1};
	const char *endpoint = json_string_value(json_object_get(p, "configurationEndpoint"));
	const char *listen = getenv("STRIDE_LISTEN");
	unsigned char rnd[32];
	char *url = NULL;
	int rc = -1;

	*id_token = NULL;
	f.client_id = json_string_value(json_object_get(p, "clientID"));
	f.client_secret = json_string_value(json_object_get(p, "clientSecret"));
	if (listen == NULL || listen[0] == '\0')
		listen = json_string_value(json_object_get(p, "listenAddress"));
	if (f.client_id == NULL || endpoint == NULL)
		return err_set(err, ERR_INVALID,
			       "the OIDC provisioner has no clientID or configurationEndpoint");
	if (password_generate(32, &f.state, err) != 0 ||
	    password_generate(64, &f.verifier, err) != 0)
		goto out;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		err_set(err, ERR_CRYPTO, "error generating a nonce");
		goto out;
	}
	f.nonce = hex_encode(rnd, sizeof(rnd));
	if (discover(&f, endpoint, err) != 0 ||
	    listen_on(&f, listen != NULL ? listen : "", err) != 0)
		goto out;
	url = auth_url(&f, p);
	open_browser(url);
	rc = wait_callback(&f, id_token, err);
out:
	free(url);
	flow_free(&f);
	return rc;
}
