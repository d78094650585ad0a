/* path.c - the ACME URL layout (step-ca's): /acme/{provisioner}/<resource>[/{id}[/{id}]],
 * also under /2.0/acme/. A pure function of the path, so it is unit-tested and fuzzed. */
#include <string.h>

#include "acme/internal.h"
#include "base/url.h"

static const struct {
	const char *name;
	enum acme_res res;
	int nids; /* path segments after the name */
} resources[] = {
    {"directory", ACME_RES_DIRECTORY, 0},
    {"new-nonce", ACME_RES_NEW_NONCE, 0},
    {"new-account", ACME_RES_NEW_ACCOUNT, 0},
    {"account", ACME_RES_ACCOUNT, 1},
    {"new-order", ACME_RES_NEW_ORDER, 0},
    {"order", ACME_RES_ORDER, 1},
    {"authz", ACME_RES_AUTHZ, 1},
    {"challenge", ACME_RES_CHALLENGE, 2},
    {"certificate", ACME_RES_CERT, 1},
    {"revoke-cert", ACME_RES_REVOKE, 0},
    {"key-change", ACME_RES_KEY_CHANGE, 0},
};

/* The prefix of path (len bytes) before the provisioner, or 0 when it is not an ACME path. */
static size_t acme_prefix_len(const char *path, size_t len)
{
	static const char *const prefixes[] = {"/acme/", "/2.0/acme/"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (len >= n && memcmp(path, prefixes[i], n) == 0)
			return n;
	}
	return 0;
}

bool acme_path_is_acme(const char *path, size_t len)
{
	return acme_prefix_len(path, len) != 0;
}

/* Splits the next '/'-separated segment of [*p, end): start and length; false at the end. */
static bool next_segment(const char **p, const char *end, const char **seg, size_t *n)
{
	const char *s = *p, *slash;

	if (s >= end)
		return false;
	slash = memchr(s, '/', (size_t)(end - s));
	*seg = s;
	*n = slash != NULL ? (size_t)(slash - s) : (size_t)(end - s);
	*p = slash != NULL ? slash + 1 : end;
	return true;
}

/* Copies an ID segment: 1..ACME_PATH_ID_MAX bytes of [A-Za-z0-9_-]. */
static bool copy_id(const char *seg, size_t n, char *out)
{
	if (n == 0 || n > ACME_PATH_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = seg[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	memcpy(out, seg, n);
	out[n] = '\0';
	return true;
}

int acme_path_parse(const char *path, size_t len, struct acme_path *out)
{
	size_t plen = acme_prefix_len(path, len), n;
	const char *p = path + plen, *end = path + len, *seg;
	int nids = -1;

	memset(out, 0, sizeof(*out));
	out->res = ACME_RES_UNKNOWN;
	if (plen == 0 || !next_segment(&p, end, &seg, &n) || n == 0 ||
	    url_unescape(seg, n, false, out->prov, ACME_PATH_PROV_MAX) != 0)
		return -1;
	if (!next_segment(&p, end, &seg, &n))
		return 0; /* "/acme/<prov>" alone: a provisioner, no resource */
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		if (strlen(resources[i].name) == n && memcmp(resources[i].name, seg, n) == 0) {
			out->res = resources[i].res;
			nids = resources[i].nids;
			break;
		}
	}
	if (nids < 0)
		return 0;
	if (nids >= 1 && (!next_segment(&p, end, &seg, &n) || !copy_id(seg, n, out->id1)))
		goto unknown;
	if (nids >= 2 && (!next_segment(&p, end, &seg, &n) || !copy_id(seg, n, out->id2)))
		goto unknown;
	/* what may follow: /account/{id}/orders and /order/{id}/finalize */
	if (next_segment(&p, end, &seg, &n)) {
		if (out->res == ACME_RES_ACCOUNT && n == 6 && memcmp(seg, "orders", 6) == 0)
			out->res = ACME_RES_ACCOUNT_ORDERS;
		else if (out->res == ACME_RES_ORDER && n == 8 && memcmp(seg, "finalize", 8) == 0)
			out->res = ACME_RES_FINALIZE;
		else
			goto unknown;
		if (p < end)
			goto unknown;
	} else if (len > 0 && path[len - 1] == '/') {
		goto unknown;
	}
	return 0;
unknown:
	out->res = ACME_RES_UNKNOWN;
	out->id1[0] = out->id2[0] = '\0';
	return 0;
}
