/* fmt.c - the part of Go's fmt that templates reach through printf (verbs v s d q x X t f e
 * g c o b T %, flags, width, precision, Go's %!verb(type=value) for mismatches) and the
 * conversions sprig applies to its arguments (strval, cast.ToInt64, cast.ToFloat64). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/tpl_internal.h"

int val_to_string(struct exec *st, const struct val *v, struct val *out)
{
	struct buf b;
	struct error e = {0};

	if (v->k == V_STR) {
		*out = val_copy(v);
		return 0;
	}
	buf_init(&b, TPL_MAX_STR);
	struct val nv = *v;
	if (nv.k == V_MISSING)
		nv.k = V_NIL;
	if (val_print(&b, &nv, &e)) {
		buf_free(&b);
		return exec_fn_err(st, "%s", e.msg);
	}
	int r = val_str(out, b.data ? (const char *)b.data : "", b.len);
	buf_free(&b);
	return r ? exec_fn_err(st, "out of memory") : 0;
}

int64_t val_to_i64(const struct val *v)
{
	switch (v->k) {
	case V_INT:
	case V_DUR:
		return v->i;
	case V_FLOAT:
		if (!(v->f > -9.2e18 && v->f < 9.2e18))
			return 0;
		return (int64_t)v->f;
	case V_BOOL:
		return v->b ? 1 : 0;
	case V_STR: {
		const char *s = val_strp(v, NULL);
		char *end;
		long long x = strtoll(s, &end, 0);
		if (*s && *end == '\0')
			return x;
		double f = strtod(s, &end);
		if (*s && *end == '\0' && f > -9.2e18 && f < 9.2e18)
			return (int64_t)f;
		return 0;
	}
	default:
		return 0;
	}
}

double val_to_f64(const struct val *v)
{
	switch (v->k) {
	case V_INT:
	case V_DUR:
		return (double)v->i;
	case V_FLOAT:
		return v->f;
	case V_BOOL:
		return v->b ? 1 : 0;
	case V_STR: {
		const char *s = val_strp(v, NULL);
		char *end;
		double f = strtod(s, &end);
		return *s && *end == '\0' ? f : 0;
	}
	default:
		return 0;
	}
}

/* strconv.Quote: printable UTF-8 kept, the rest escaped. */
static int go_quote(struct buf *b, const char *s, size_t n, char q, struct error *err)
{
	const unsigned char *u = (const unsigned char *)s;
	int r = buf_append(b, &q, 1, err);

	for (size_t i = 0; r == 0 && i < n;) {
		unsigned char c = u[i];
		char e[16];
		if (c >= 0x80) {
			int len = c >= 0xF0 && c < 0xF5	  ? 4
				  : c >= 0xE0 && c < 0xF0 ? 3
				  : c >= 0xC2 && c < 0xE0 ? 2
							  : 0;
			bool ok = len && i + (size_t)len <= n;
			for (int k = 1; ok && k < len; k++)
				ok = (u[i + k] & 0xC0) == 0x80;
			if (ok) {
				r = buf_append(b, u + i, (size_t)len, err);
				i += (size_t)len;
			} else {
				snprintf(e, sizeof(e), "\\x%02x", c);
				r = buf_append_str(b, e, err);
				i++;
			}
			continue;
		}
		const char *rep = NULL;
		switch (c) {
		case '\a':
			rep = "\\a";
			break;
		case '\b':
			rep = "\\b";
			break;
		case '\f':
			rep = "\\f";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\r':
			rep = "\\r";
			break;
		case '\t':
			rep = "\\t";
			break;
		case '\v':
			rep = "\\v";
			break;
		case '\\':
			rep = "\\\\";
			break;
		default:
			if (c == (unsigned char)q) {
				e[0] = '\\', e[1] = (char)c, e[2] = '\0';
				rep = e;
			} else if (c < 0x20 || c == 0x7f) {
				snprintf(e, sizeof(e), "\\x%02x", c);
				rep = e;
			}
		}
		r = rep ? buf_append_str(b, rep, err) : buf_append(b, &c, 1, err);
		i++;
	}
	return r ? r : buf_append(b, &q, 1, err);
}

struct spec {
	bool minus, plus, sharp, zero, space;
	int width, prec; /* -1: none */
	char verb;
};

static int pad(struct buf *b, const struct spec *sp, const char *s, size_t n, bool numeric,
	       struct error *err)
{
	size_t w = sp->width > 0 ? (size_t)sp->width : 0;
	/* width counts runes */
	size_t runes = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			runes++;
	if (runes >= w)
		return buf_append(b, s, n, err);
	size_t fill = w - runes;
	int r = 0;
	if (sp->minus) {
		r = buf_append(b, s, n, err);
		for (size_t i = 0; r == 0 && i < fill; i++)
			r = buf_append(b, " ", 1, err);
		return r;
	}
	if (sp->zero && numeric) {
		size_t sign = n > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
		r = buf_append(b, s, sign, err);
		for (size_t i = 0; r == 0 && i < fill; i++)
			r = buf_append(b, "0", 1, err);
		return r ? r : buf_append(b, s + sign, n - sign, err);
	}
	for (size_t i = 0; r == 0 && i < fill; i++)
		r = buf_append(b, " ", 1, err);
	return r ? r : buf_append(b, s, n, err);
}

/* %!v(type=value) */
static int bad_verb(struct buf *b, char verb, const struct val *v, struct error *err)
{
	int r = buf_printf(b, err, "%%!%c(", verb);

	if (r == 0 && (v->k == V_NIL || v->k == V_MISSING))
		return buf_append_str(b, "<nil>)", err);
	if (r == 0)
		r = buf_printf(b, err, "%s=", val_type(v));
	if (r == 0)
		r = val_print(b, v, err);
	return r ? r : buf_append(b, ")", 1, err);
}

static int fmt_int(struct buf *b, const struct spec *sp, int64_t x, struct error *err)
{
	char o[80];

	switch (sp->verb) {
	case 'd':
	case 'v':
	case 'x':
	case 'X':
	case 'o':
		break;
	case 'b': {
		uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
		char t[70];
		int n = 0;
		do
			t[n++] = (char)('0' + (u & 1));
		while (u >>= 1);
		size_t w = 0;
		if (x < 0)
			o[w++] = '-';
		while (n)
			o[w++] = t[--n];
		return pad(b, sp, o, w, true, err);
	}
	case 'c':
	case 'q': {
		char u8[8] = {0};
		uint64_t cp = (uint64_t)x;
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = 0xFFFD;
		size_t n;
		if (cp < 0x80)
			u8[0] = (char)cp, n = 1;
		else if (cp < 0x800)
			u8[0] = (char)(0xC0 | (cp >> 6)), u8[1] = (char)(0x80 | (cp & 63)), n = 2;
		else if (cp < 0x10000)
			u8[0] = (char)(0xE0 | (cp >> 12)), u8[1] = (char)(0x80 | ((cp >> 6) & 63)),
			u8[2] = (char)(0x80 | (cp & 63)), n = 3;
		else
			u8[0] = (char)(0xF0 | (cp >> 18)), u8[1] = (char)(0x80 | ((cp >> 12) & 63)),
			u8[2] = (char)(0x80 | ((cp >> 6) & 63)), u8[3] = (char)(0x80 | (cp & 63)),
			n = 4;
		if (sp->verb == 'c')
			return pad(b, sp, u8, n, false, err);
		struct buf q;
		buf_init(&q, 64);
		int r = go_quote(&q, u8, n, '\'', err);
		if (r == 0)
			r = pad(b, sp, (const char *)q.data, q.len, false, err);
		buf_free(&q);
		return r;
	}
	default:
		return -2;
	}
	/* digits by hand: Go prints -0x1f where C would print two's complement */
	{
		int base = sp->verb == 'o' ? 8 : (sp->verb == 'x' || sp->verb == 'X') ? 16 : 10;
		const char *dig = sp->verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
		uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
		char t[72];
		int nd = 0;
		do
			t[nd++] = dig[u % (uint64_t)base];
		while (u /= (uint64_t)base);
		while (sp->prec >= 0 && nd < sp->prec && nd < 64)
			t[nd++] = '0';
		size_t w = 0;
		if (x < 0)
			o[w++] = '-';
		else if (sp->plus)
			o[w++] = '+';
		if (sp->sharp && base == 16)
			o[w++] = '0', o[w++] = sp->verb;
		else if (sp->sharp && base == 8)
			o[w++] = '0';
		while (nd)
			o[w++] = t[--nd];
		o[w] = '\0';
	}
	return pad(b, sp, o, strlen(o), sp->prec < 0, err);
}

static int fmt_float(struct buf *b, const struct spec *sp, double x, struct error *err)
{
	char o[400];
	int prec = sp->prec > 60 ? 60 : sp->prec;

	if (isinf(x) || isnan(x)) {
		fmt_float_g(x, o, sizeof(o));
		if (isinf(x) && x > 0 && !sp->plus)
			memmove(o, o + 1, strlen(o));
		struct spec s2 = *sp;
		s2.zero = false;
		return pad(b, &s2, o, strlen(o), false, err);
	}
	switch (sp->verb) {
	case 'v':
	case 'g':
	case 'G':
		if (prec < 0) {
			fmt_float_g(x, o, sizeof(o));
			if (sp->plus && x >= 0)
				memmove(o + 1, o, strlen(o) + 1), o[0] = '+';
			break;
		}
		/* fallthrough */
	case 'e':
	case 'E':
	case 'f':
	case 'F':
		switch (sp->verb) {
		case 'e':
			snprintf(o, sizeof(o), "%.*e", prec < 0 ? 6 : prec, x);
			break;
		case 'E':
			snprintf(o, sizeof(o), "%.*E", prec < 0 ? 6 : prec, x);
			break;
		case 'f':
		case 'F':
			snprintf(o, sizeof(o), "%.*f", prec < 0 ? 6 : prec, x);
			break;
		case 'G':
			snprintf(o, sizeof(o), "%.*G", prec < 0 ? 6 : prec, x);
			break;
		default:
			snprintf(o, sizeof(o), "%.*g", prec < 0 ? 6 : prec, x);
			break;
		}
		if (sp->plus && x >= 0)
			memmove(o + 1, o, strlen(o) + 1), o[0] = '+';
		break;
	default:
		return -2;
	}
	return pad(b, sp, o, strlen(o), true, err);
}

static int fmt_str(struct buf *b, const struct spec *sp, const char *s, size_t n, struct error *err)
{
	static const char hex[] = "0123456789abcdef", HEX[] = "0123456789ABCDEF";

	if (sp->prec >= 0 && (sp->verb == 's' || sp->verb == 'v' || sp->verb == 'q')) {
		/* precision truncates to that many runes */
		size_t runes = 0, i = 0;
		for (; i < n; i++)
			if (((unsigned char)s[i] & 0xC0) != 0x80 && runes++ == (size_t)sp->prec)
				break;
		n = i;
	}
	switch (sp->verb) {
	case 's':
	case 'v':
		return pad(b, sp, s, n, false, err);
	case 'q': {
		struct buf q;
		buf_init(&q, TPL_MAX_STR);
		int r = sp->sharp && !memchr(s, '`', n) ? buf_printf(&q, err, "`%.*s`", (int)n, s)
							: go_quote(&q, s, n, '"', err);
		if (r == 0)
			r = pad(b, sp, q.data ? (const char *)q.data : "", q.len, false, err);
		buf_free(&q);
		return r;
	}
	case 'x':
	case 'X': {
		struct buf h;
		buf_init(&h, TPL_MAX_STR);
		int r = 0;
		for (size_t i = 0; r == 0 && i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			char t[2] = {(sp->verb == 'x' ? hex : HEX)[c >> 4],
				     (sp->verb == 'x' ? hex : HEX)[c & 15]};
			r = buf_append(&h, t, 2, err);
		}
		if (r == 0)
			r = pad(b, sp, h.data ? (const char *)h.data : "", h.len, false, err);
		buf_free(&h);
		return r;
	}
	default:
		return -2;
	}
}

static int fmt_one(struct buf *b, const struct spec *sp, const struct val *v, struct error *err)
{
	int r = -2;

	if (sp->verb == 'T') {
		const char *t = val_type(v);
		return pad(b, sp, t, strlen(t), false, err);
	}
	switch (v->k) {
	case V_INT:
		r = fmt_int(b, sp, v->i, err);
		break;
	case V_FLOAT:
		r = fmt_float(b, sp, v->f, err);
		break;
	case V_STR:
		r = fmt_str(b, sp, val_strp(v, NULL), val_len(v), err);
		break;
	case V_BOOL:
		if (sp->verb == 't' || sp->verb == 'v')
			r = pad(b, sp, v->b ? "true" : "false", v->b ? 4 : 5, false, err);
		break;
	case V_DUR:
		if (sp->verb != 'v' && sp->verb != 's') {
			r = fmt_int(b, sp, v->i, err);
			break;
		}
		/* fallthrough */
	default:
		if (sp->verb == 'v' || sp->verb == 's' ||
		    (sp->verb == 'd' && (v->k == V_LIST || v->k == V_MAP))) {
			struct buf t;
			struct val nv = *v;
			if (nv.k == V_MISSING)
				nv.k = V_NIL;
			if (nv.k == V_NIL && sp->verb != 'v')
				break;
			buf_init(&t, TPL_MAX_STR);
			r = val_print(&t, &nv, err);
			if (r == 0)
				r = pad(b, sp, t.data ? (const char *)t.data : "", t.len, false,
					err);
			buf_free(&t);
		}
	}
	if (r == -2)
		return bad_verb(b, sp->verb, v, err);
	return r;
}

int tpl_sprintf(struct exec *st, struct buf *b, const char *f, size_t fl, struct val *args,
		size_t n)
{
	struct error e = {0};
	size_t argi = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < fl;) {
		if (f[i] != '%') {
			size_t j = i;
			while (j < fl && f[j] != '%')
				j++;
			r = buf_append(b, f + i, j - i, &e);
			i = j;
			continue;
		}
		i++;
		struct spec sp = {.width = -1, .prec = -1};
		for (; i < fl; i++) {
			char c = f[i];
			if (c == '-')
				sp.minus = true;
			else if (c == '+')
				sp.plus = true;
			else if (c == '#')
				sp.sharp = true;
			else if (c == '0')
				sp.zero = !sp.minus;
			else if (c == ' ')
				sp.space = true;
			else
				break;
		}
		if (i < fl && f[i] == '*') {
			i++;
			sp.width = argi < n && args[argi].k == V_INT ? (int)args[argi].i : 0;
			argi++;
		} else {
			for (sp.width = 0; i < fl && isdigit((unsigned char)f[i]); i++)
				sp.width =
				    sp.width < 100000 ? sp.width * 10 + (f[i] - '0') : sp.width;
		}
		if (i < fl && f[i] == '.') {
			i++;
			if (i < fl && f[i] == '*') {
				i++;
				sp.prec = argi < n && args[argi].k == V_INT ? (int)args[argi].i : 0;
				argi++;
			} else {
				for (sp.prec = 0; i < fl && isdigit((unsigned char)f[i]); i++)
					sp.prec = sp.prec < 100000 ? sp.prec * 10 + (f[i] - '0')
								   : sp.prec;
			}
		}
		if (sp.width > 100000 || sp.width < 0)
			sp.width = sp.width < 0 ? 0 : 100000;
		if (sp.prec > 100000)
			sp.prec = 100000;
		if (i >= fl) {
			r = buf_append_str(b, "%!(NOVERB)", &e);
			break;
		}
		sp.verb = f[i++];
		if (sp.verb == '%') {
			r = buf_append(b, "%", 1, &e);
			continue;
		}
		if (argi >= n) {
			r = buf_printf(b, &e, "%%!%c(MISSING)", sp.verb);
			continue;
		}
		r = fmt_one(b, &sp, &args[argi++], &e);
	}
	if (r == 0 && argi < n) {
		r = buf_append_str(b, "%!(EXTRA ", &e);
		for (size_t k = argi; r == 0 && k < n; k++) {
			if (k > argi)
				r = buf_append_str(b, ", ", &e);
			struct val nv = args[k];
			if (nv.k == V_NIL || nv.k == V_MISSING) {
				r = buf_append_str(b, "<nil>", &e);
				continue;
			}
			if (r == 0)
				r = buf_printf(b, &e, "%s=", val_type(&nv));
			if (r == 0)
				r = val_print(b, &nv, &e);
		}
		if (r == 0)
			r = buf_append(b, ")", 1, &e);
	}
	return r ? exec_fn_err(st, "%s", e.msg) : 0;
}
