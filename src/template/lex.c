/* lex.c - splits template source into text and action tokens as Go's text/template lexer does:
 * "{{" and "}}" delimiters, "{{- " and " -}}" trimming of the adjacent text, comments (a
 * slash-star right after the delimiter), interpreted and raw strings, numbers, character
 * constants. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "template/tpl_internal.h"

int tpl_line_of(const char *src, size_t pos)
{
	int line = 1;

	for (size_t i = 0; i < pos; i++)
		if (src[i] == '\n')
			line++;
	return line;
}

static int lex_err(const char *name, const char *src, size_t pos, struct error *err,
		   const char *msg)
{
	return err_set(err, ERR_INVALID, "template: %s:%d: %s", name, tpl_line_of(src, pos), msg);
}

static int push(struct toks *t, enum tok_type type, size_t pos, size_t end, bool space,
		const char *text, size_t len, struct error *err)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tok *v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return err_set(err, ERR_INTERNAL, "out of memory");
		t->v = v;
		t->cap = cap;
	}
	struct tok *k = &t->v[t->n];
	k->text = malloc(len + 1);
	if (k->text == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	if (len)
		memcpy(k->text, text, len);
	k->text[len] = '\0';
	k->len = len;
	k->type = type;
	k->pos = pos;
	k->end = end;
	k->space = space;
	t->n++;
	return 0;
}

void tpl_toks_free(struct toks *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(unsigned char c)
{
	return c == '_' || isalnum(c) || c >= 0x80;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(char *o, unsigned long r)
{
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = 0xFFFD;
	if (r < 0x80) {
		o[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (char)(0xC0 | (r >> 6));
		o[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (char)(0xE0 | (r >> 12));
		o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		o[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (r >> 18));
	o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((r >> 6) & 0x3F));
	o[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}

/* Decodes the Go escapes of an interpreted string or char literal body s[0..n) into o (at
 * most n bytes are written: no escape grows). Returns the length or -1. */
static long unquote(const char *s, size_t n, char *o)
{
	size_t i = 0, w = 0;

	while (i < n) {
		if (s[i] != '\\') {
			o[w++] = s[i++];
			continue;
		}
		if (++i >= n)
			return -1;
		char c = s[i++];
		int digits = 0;
		switch (c) {
		case 'a':
			o[w++] = '\a';
			break;
		case 'b':
			o[w++] = '\b';
			break;
		case 'f':
			o[w++] = '\f';
			break;
		case 'n':
			o[w++] = '\n';
			break;
		case 'r':
			o[w++] = '\r';
			break;
		case 't':
			o[w++] = '\t';
			break;
		case 'v':
			o[w++] = '\v';
			break;
		case '\\':
			o[w++] = '\\';
			break;
		case '"':
			o[w++] = '"';
			break;
		case '\'':
			o[w++] = '\'';
			break;
		case 'x':
			digits = 2;
			break;
		case 'u':
			digits = 4;
			break;
		case 'U':
			digits = 8;
			break;
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7': {
			if (i + 2 > n)
				return -1;
			int v = c - '0';
			for (int k = 0; k < 2; k++) {
				if (s[i] < '0' || s[i] > '7')
					return -1;
				v = v * 8 + (s[i++] - '0');
			}
			if (v > 255)
				return -1;
			o[w++] = (char)v;
			break;
		}
		default:
			return -1;
		}
		if (digits) {
			unsigned long v = 0;
			if (i + (size_t)digits > n)
				return -1;
			for (int k = 0; k < digits; k++) {
				int h = hexval(s[i++]);
				if (h < 0)
					return -1;
				v = v * 16 + (unsigned long)h;
			}
			if (digits == 2)
				o[w++] = (char)v;
			else {
				if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
					return -1;
				w += put_utf8(o + w, v);
			}
		}
	}
	return (long)w;
}

/* Lexes one action starting just after "{{" (and its trim marker) at *pp; stops after "}}". */
static int lex_action(const char *name, const char *src, size_t len, size_t *pp, struct toks *t,
		      bool *trim_after, struct error *err)
{
	size_t p = *pp;
	int parens = 0;
	bool space = false;

	for (;;) {
		if (p >= len)
			return lex_err(name, src, p, err, "unclosed action");
		/* right delimiter, with optional trim marker " -}}" */
		if (is_space(src[p]) && p + 3 < len + 0 && src[p + 1] == '-' && p + 3 < len &&
		    src[p + 2] == '}' && src[p + 3] == '}') {
			if (parens)
				return lex_err(name, src, p, err, "unclosed left paren");
			*trim_after = true;
			*pp = p + 4;
			return push(t, T_RDELIM, p, p + 4, true, "", 0, err);
		}
		if (src[p] == '}' && p + 1 < len && src[p + 1] == '}') {
			if (parens)
				return lex_err(name, src, p, err, "unclosed left paren");
			*trim_after = false;
			*pp = p + 2;
			return push(t, T_RDELIM, p, p + 2, space, "", 0, err);
		}
		char c = src[p];
		if (is_space(c)) {
			if (c == '\n' || c == '\r') {
				/* Go allows newlines inside actions since 1.16 */
			}
			space = true;
			p++;
			continue;
		}
		size_t s = p;
		int r = 0;
		if (c == '|') {
			r = push(t, T_PIPE, s, p + 1, space, "|", 1, err), p++;
		} else if (c == '(') {
			if (++parens > TPL_MAX_NEST)
				return lex_err(name, src, p, err, "too deeply nested");
			r = push(t, T_LPAREN, s, p + 1, space, "(", 1, err), p++;
		} else if (c == ')') {
			if (--parens < 0)
				return lex_err(name, src, p, err, "unexpected right paren");
			r = push(t, T_RPAREN, s, p + 1, space, ")", 1, err), p++;
		} else if (c == ',') {
			r = push(t, T_COMMA, s, p + 1, space, ",", 1, err), p++;
		} else if (c == ':') {
			if (p + 1 >= len || src[p + 1] != '=')
				return lex_err(name, src, p, err, "expected :=");
			r = push(t, T_DECL, s, p + 2, space, ":=", 2, err), p += 2;
		} else if (c == '=') {
			r = push(t, T_ASSIGN, s, p + 1, space, "=", 1, err), p++;
		} else if (c == '"' || c == '\'') {
			p++;
			while (p < len && src[p] != c) {
				if (src[p] == '\\' && p + 1 < len)
					p++;
				else if (src[p] == '\n')
					break;
				p++;
			}
			if (p >= len || src[p] != c)
				return lex_err(name, src, s, err,
					       c == '"' ? "unterminated quoted string"
							: "unterminated character constant");
			char *o = malloc(p - s + 1);
			if (o == NULL)
				return err_set(err, ERR_INTERNAL, "out of memory");
			long n = unquote(src + s + 1, p - s - 1, o);
			p++;
			if (n < 0 || (c == '\'' && n == 0)) {
				free(o);
				return lex_err(name, src, s, err,
					       c == '"' ? "invalid syntax in quoted string"
							: "malformed character constant");
			}
			if (c == '"') {
				r = push(t, T_STR, s, p, space, o, (size_t)n, err);
			} else {
				/* a character constant is its code point, an int */
				unsigned long cp = (unsigned char)o[0];
				if (cp >= 0x80) {
					int extra = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : 1;
					cp &= extra == 3 ? 0x07 : extra == 2 ? 0x0F : 0x1F;
					for (int k = 1; k <= extra && k < n; k++)
						cp = (cp << 6) | ((unsigned char)o[k] & 0x3F);
				}
				char num[32];
				int nl = snprintf(num, sizeof(num), "%lu", cp);
				r = push(t, T_NUM, s, p, space, num, (size_t)nl, err);
			}
			free(o);
		} else if (c == '`') {
			p++;
			while (p < len && src[p] != '`')
				p++;
			if (p >= len)
				return lex_err(name, src, s, err, "unterminated raw quoted string");
			p++;
			/* Go drops carriage returns from raw strings */
			char *o = malloc(p - s);
			if (o == NULL)
				return err_set(err, ERR_INTERNAL, "out of memory");
			size_t n = 0;
			for (size_t k = s + 1; k < p - 1; k++)
				if (src[k] != '\r')
					o[n++] = src[k];
			r = push(t, T_STR, s, p, space, o, n, err);
			free(o);
		} else if (c == '$') {
			p++;
			while (p < len && is_alnum((unsigned char)src[p]))
				p++;
			r = push(t, T_VAR, s, p, space, src + s, p - s, err);
		} else if (c == '.' && !(p + 1 < len && isdigit((unsigned char)src[p + 1]))) {
			p++;
			if (p < len && is_alnum((unsigned char)src[p])) {
				while (p < len && is_alnum((unsigned char)src[p]))
					p++;
				r = push(t, T_FIELD, s, p, space, src + s + 1, p - s - 1, err);
			} else {
				r = push(t, T_DOT, s, p, space, ".", 1, err);
			}
		} else if (isdigit((unsigned char)c) || c == '+' || c == '-' || c == '.') {
			p++;
			while (p < len &&
			       (isalnum((unsigned char)src[p]) || src[p] == '.' || src[p] == '_' ||
				((src[p] == '+' || src[p] == '-') &&
				 (src[p - 1] == 'e' || src[p - 1] == 'E' || src[p - 1] == 'p' ||
				  src[p - 1] == 'P'))))
				p++;
			r = push(t, T_NUM, s, p, space, src + s, p - s, err);
		} else if (is_alnum((unsigned char)c)) {
			while (p < len && is_alnum((unsigned char)src[p]))
				p++;
			r = push(t, T_IDENT, s, p, space, src + s, p - s, err);
		} else {
			char msg[64];
			snprintf(msg, sizeof(msg), "unrecognized character in action: U+%04X '%c'",
				 (unsigned char)c, isprint((unsigned char)c) ? c : '?');
			return lex_err(name, src, p, err, msg);
		}
		if (r)
			return r;
		space = false;
	}
}

int tpl_lex(const char *name, const char *src, size_t len, struct toks *out, struct error *err)
{
	size_t p = 0;
	bool trim_next = false;

	memset(out, 0, sizeof(*out));
	while (p <= len) {
		size_t start = p;
		const char *d = NULL;
		for (size_t k = p; k + 1 < len; k++)
			if (src[k] == '{' && src[k + 1] == '{') {
				d = src + k;
				break;
			}
		size_t tend = d ? (size_t)(d - src) : len;
		size_t after = tend + 2; /* just after "{{" */
		bool trim_before = d && after + 1 < len + 1 && after < len && src[after] == '-' &&
				   after + 1 < len && is_space(src[after + 1]);
		size_t ts = start, te = tend;
		if (trim_next)
			while (ts < te && is_space(src[ts]))
				ts++;
		if (trim_before)
			while (te > ts && is_space(src[te - 1]))
				te--;
		if (te > ts && push(out, T_TEXT, ts, te, false, src + ts, te - ts, err))
			goto fail;
		if (!d)
			break;
		p = trim_before ? after + 2 : after;
		/* a comment: slash-star right after the delimiter (and trim marker) */
		if (p + 1 < len && src[p] == '/' && src[p + 1] == '*') {
			const char *e = NULL;
			for (size_t k = p + 2; k + 1 < len; k++)
				if (src[k] == '*' && src[k + 1] == '/') {
					e = src + k;
					break;
				}
			if (!e) {
				lex_err(name, src, tend, err, "unclosed comment");
				goto fail;
			}
			size_t q = (size_t)(e - src) + 2;
			if (q + 3 < len + 1 && is_space(src[q]) && q + 3 < len &&
			    src[q + 1] == '-' && src[q + 2] == '}' && src[q + 3] == '}') {
				trim_next = true;
				p = q + 4;
			} else if (q + 1 < len && src[q] == '}' && src[q + 1] == '}') {
				trim_next = false;
				p = q + 2;
			} else {
				lex_err(name, src, tend, err,
					"comment ends before closing delimiter");
				goto fail;
			}
			continue;
		}
		if (push(out, T_LDELIM, tend, p, false, "{{", 2, err))
			goto fail;
		if (lex_action(name, src, len, &p, out, &trim_next, err))
			goto fail;
	}
	if (push(out, T_EOF, len, len, false, "", 0, err))
		goto fail;
	return 0;
fail:
	tpl_toks_free(out);
	return -1;
}
