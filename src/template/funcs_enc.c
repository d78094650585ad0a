/* funcs_enc.c - sprig's regular expressions (POSIX ERE, with RE2's \\d \\w \\s classes
 * translated; patterns and inputs are bounded) and encodings (b64enc, b64dec, b32enc, b32dec,
 * sha256sum). */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "template/tpl_internal.h"

#define MAX_REGEX	256
#define MAX_REGEX_INPUT (64 * 1024)

/* ---- regular expressions ---- */

static int re_compile(struct exec *st, struct val *pv, regex_t *re)
{
	size_t pl;
	const char *p = fn_arg_str(st, pv, &pl);
	char tr[MAX_REGEX * 16 + 1];
	size_t w = 0;

	if (pl > MAX_REGEX || memchr(p, '\0', pl))
		return exec_fn_err(st, "error parsing regexp: pattern too long");
	for (size_t i = 0; i < pl; i++) {
		const char *rep = NULL;
		if (p[i] == '\\' && i + 1 < pl) {
			switch (p[i + 1]) {
			case 'd':
				rep = "[0-9]";
				break;
			case 'D':
				rep = "[^0-9]";
				break;
			case 'w':
				rep = "[0-9A-Za-z_]";
				break;
			case 'W':
				rep = "[^0-9A-Za-z_]";
				break;
			case 's':
				rep = "[[:space:]]";
				break;
			case 'S':
				rep = "[^[:space:]]";
				break;
			}
			if (p[i + 1] >= '1' && p[i + 1] <= '9')
				return exec_fn_err(
				    st, "error parsing regexp: invalid escape sequence: `\\%c`",
				    p[i + 1]);
		}
		if (rep) {
			size_t rl = strlen(rep);
			memcpy(tr + w, rep, rl);
			w += rl;
			i++;
		} else {
			tr[w++] = p[i];
		}
	}
	tr[w] = '\0';
	int rc = regcomp(re, tr, REG_EXTENDED);
	if (rc != 0) {
		char msg[128];
		regerror(rc, re, msg, sizeof(msg));
		return exec_fn_err(st, "error parsing regexp: %s: `%.*s`", msg, (int)pl, p);
	}
	return 0;
}

static const char *re_input(struct exec *st, struct val *v, size_t *l)
{
	const char *s = fn_arg_str(st, v, l);

	if (*l > MAX_REGEX_INPUT || memchr(s, '\0', *l)) {
		exec_fn_err(st, "regexp: input too long");
		return NULL;
	}
	if (exec_charge(st, *l * 16))
		return NULL;
	return s;
}

static int fn_regexMatch(struct exec *st, struct val *a, size_t n, struct val *res)
{
	regex_t re;
	size_t l;
	const char *s;

	(void)n;
	if ((s = re_input(st, &a[1], &l)) == NULL || re_compile(st, &a[0], &re))
		return -1;
	*res = val_bool(regexec(&re, s, 0, NULL, 0) == 0);
	regfree(&re);
	return 0;
}

static int fn_regexFind(struct exec *st, struct val *a, size_t n, struct val *res)
{
	regex_t re;
	regmatch_t m;
	size_t l;
	const char *s;

	(void)n;
	if ((s = re_input(st, &a[1], &l)) == NULL || re_compile(st, &a[0], &re))
		return -1;
	int rc = regexec(&re, s, 1, &m, 0);
	regfree(&re);
	if (rc != 0)
		return fn_ret_str(st, "", 0, res);
	return fn_ret_str(st, s + m.rm_so, (size_t)(m.rm_eo - m.rm_so), res);
}

/* regexReplaceAll regex s repl: $1 / ${1} in repl expand to the groups. */
static int fn_regexReplaceAll(struct exec *st, struct val *a, size_t n, struct val *res)
{
	regex_t re;
	regmatch_t m[10];
	size_t l, rl;
	const char *s, *rp;
	struct buf b;
	struct error e = {0};
	int r = 0;

	(void)n;
	if ((s = re_input(st, &a[1], &l)) == NULL)
		return -1;
	rp = fn_arg_str(st, &a[2], &rl);
	if (re_compile(st, &a[0], &re))
		return -1;
	buf_init(&b, TPL_MAX_STR);
	size_t pos = 0;
	while (r == 0 && pos <= l) {
		if (regexec(&re, s + pos, 10, m, pos ? REG_NOTBOL : 0) != 0)
			break;
		r = buf_append(&b, s + pos, (size_t)m[0].rm_so, &e);
		for (size_t i = 0; r == 0 && i < rl; i++) {
			if (rp[i] == '$' && i + 1 < rl) {
				size_t j = i + 1;
				bool brace = rp[j] == '{';
				if (brace)
					j++;
				int g = -1;
				if (j < rl && rp[j] >= '0' && rp[j] <= '9') {
					g = rp[j] - '0';
					j++;
				}
				if (g >= 0 && (!brace || (j < rl && rp[j] == '}'))) {
					if (brace)
						j++;
					if (m[g].rm_so >= 0)
						r = buf_append(&b, s + pos + m[g].rm_so,
							       (size_t)(m[g].rm_eo - m[g].rm_so),
							       &e);
					i = j - 1;
					continue;
				}
				if (rp[i + 1] == '$') {
					r = buf_append(&b, "$", 1, &e);
					i++;
					continue;
				}
			}
			r = buf_append(&b, rp + i, 1, &e);
		}
		if (m[0].rm_eo == m[0].rm_so) {
			if (r == 0 && pos < l)
				r = buf_append(&b, s + pos + m[0].rm_eo, 1, &e);
			pos += (size_t)m[0].rm_eo + 1;
		} else {
			pos += (size_t)m[0].rm_eo;
		}
	}
	if (r == 0 && pos < l)
		r = buf_append(&b, s + pos, l - pos, &e);
	regfree(&re);
	if (r) {
		buf_free(&b);
		return exec_fn_err(st, "%s", e.msg);
	}
	return fn_ret_buf(st, &b, res);
}

/* ---- encodings ---- */

static int fn_b64enc(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const char *s = fn_arg_str(st, &a[0], &l);
	char *o = malloc(4 * ((l + 2) / 3) + 1);

	(void)n;
	if (o == NULL)
		return exec_fn_err(st, "out of memory");
	int ol = EVP_EncodeBlock((unsigned char *)o, (const unsigned char *)s, (int)l);
	int r = fn_ret_str(st, o, (size_t)ol, res);
	free(o);
	return r;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* sprig returns the decoder's error text as the result. */
static int fn_b64dec(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const char *s = fn_arg_str(st, &a[0], &l);
	char *o = malloc(l + 1);
	size_t w = 0, i;
	uint32_t acc = 0;
	int bits = 0;

	(void)n;
	if (o == NULL)
		return exec_fn_err(st, "out of memory");
	for (i = 0; i < l && s[i] != '='; i++) {
		int v = b64val(s[i]);
		if (v < 0 || s[i] == '\n' || s[i] == '\r') {
			if (s[i] == '\n' || s[i] == '\r')
				continue;
			goto bad;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[w++] = (char)(acc >> bits);
		}
	}
	/* padding must complete the last quantum */
	{
		size_t data = 0;
		for (size_t k = 0; k < i; k++)
			if (s[k] != '\n' && s[k] != '\r')
				data++;
		size_t pads = l - i;
		if (data % 4 == 1 || (data % 4 && pads != 4 - data % 4) || (data % 4 == 0 && pads))
			goto bad;
		for (size_t k = i; k < l; k++)
			if (s[k] != '=')
				goto bad;
	}
	int r = fn_ret_str(st, o, w, res);
	free(o);
	return r;
bad:
	free(o);
	char msg[80];
	int ml = snprintf(msg, sizeof(msg), "illegal base64 data at input byte %zu", i);
	return fn_ret_str(st, msg, (size_t)ml, res);
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static int fn_b32enc(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const unsigned char *s = (const unsigned char *)fn_arg_str(st, &a[0], &l);
	struct buf b;
	struct error e = {0};
	int r = 0;

	(void)n;
	buf_init(&b, TPL_MAX_STR);
	for (size_t i = 0; r == 0 && i < l; i += 5) {
		uint64_t acc = 0;
		size_t k = l - i < 5 ? l - i : 5;
		for (size_t j = 0; j < 5; j++)
			acc = (acc << 8) | (j < k ? s[i + j] : 0);
		size_t chars = (k * 8 + 4) / 5;
		for (size_t j = 0; r == 0 && j < 8; j++) {
			char c = j < chars ? b32[(acc >> (35 - 5 * j)) & 31] : '=';
			r = buf_append(&b, &c, 1, &e);
		}
	}
	if (r) {
		buf_free(&b);
		return exec_fn_err(st, "%s", e.msg);
	}
	return fn_ret_buf(st, &b, res);
}

static int fn_b32dec(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const char *s = fn_arg_str(st, &a[0], &l);
	char *o = malloc(l + 1);
	size_t w = 0, i;
	uint64_t acc = 0;
	int bits = 0;

	(void)n;
	if (o == NULL)
		return exec_fn_err(st, "out of memory");
	if (l % 8)
		goto bad_end;
	for (i = 0; i < l && s[i] != '='; i++) {
		const char *p = memchr(b32, s[i], 32);
		if (p == NULL || s[i] == '\0')
			goto bad;
		acc = (acc << 5) | (uint64_t)(p - b32);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			o[w++] = (char)(acc >> bits);
		}
	}
	for (size_t k = i; k < l; k++)
		if (s[k] != '=')
			goto bad;
	int r = fn_ret_str(st, o, w, res);
	free(o);
	return r;
bad_end:
	i = l - l % 8;
bad:
	free(o);
	char msg[80];
	int ml = snprintf(msg, sizeof(msg), "illegal base32 data at input byte %zu", i);
	return fn_ret_str(st, msg, (size_t)ml, res);
}

static int fn_sha256sum(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const char *s = fn_arg_str(st, &a[0], &l);
	unsigned char d[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	(void)n;
	if (exec_charge(st, l))
		return -1;
	SHA256((const unsigned char *)s, l, d);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return fn_ret_str(st, hex, 2 * SHA256_DIGEST_LENGTH, res);
}

const struct fn_def tpl_fns_enc[] = {
    {"regexMatch", fn_regexMatch, 2, 2},
    {"regexFind", fn_regexFind, 2, 2},
    {"regexReplaceAll", fn_regexReplaceAll, 3, 3},
    {"b64enc", fn_b64enc, 1, 1},
    {"b64dec", fn_b64dec, 1, 1},
    {"b32enc", fn_b32enc, 1, 1},
    {"b32dec", fn_b32dec, 1, 1},
    {"sha256sum", fn_sha256sum, 1, 1},
    {NULL, NULL, 0, 0},
};
