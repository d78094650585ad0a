/* parse.c - builds the parse tree of a template from its tokens, with the checks Go's parser
 * makes before execution: known functions, declared variables, matching {{end}}s,
 * {{break}}/{{continue}} inside {{range}}, {{define}} at the top level only. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"
#include "template/tpl_internal.h"

struct parser {
	const char *name;
	const char *src;
	struct toks tk;
	size_t i;
	char **vars;
	size_t nvars, cap_vars;
	int depth;
	int range_depth;
	struct tpl *t;
	struct error *err;
};

static int perr(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(p->err, ERR_INVALID, "template: %s:%d: %s", p->name,
		       tpl_line_of(p->src, pos), msg);
}

static struct tok *peek(struct parser *p)
{
	return &p->tk.v[p->i];
}

static struct tok *next(struct parser *p)
{
	struct tok *t = &p->tk.v[p->i];

	if (t->type != T_EOF)
		p->i++;
	return t;
}

static struct node *new_node(struct parser *p, enum node_type type, size_t pos)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		err_set(p->err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	n->type = type;
	n->pos = pos;
	n->end = pos;
	return n;
}

static int add_kid(struct parser *p, struct node *n, struct node *kid)
{
	struct node **k = realloc(n->kids, (n->nkids + 1) * sizeof(*k));

	if (k == NULL) {
		tpl_node_free(kid);
		return err_set(p->err, ERR_INTERNAL, "out of memory");
	}
	n->kids = k;
	n->kids[n->nkids++] = kid;
	return 0;
}

static int add_name(struct parser *p, struct node *n, const char *s)
{
	char **k = realloc(n->names, (n->nnames + 1) * sizeof(*k));

	if (k == NULL)
		return err_set(p->err, ERR_INTERNAL, "out of memory");
	n->names = k;
	if ((n->names[n->nnames] = strdup(s)) == NULL)
		return err_set(p->err, ERR_INTERNAL, "out of memory");
	n->nnames++;
	return 0;
}

static int push_var(struct parser *p, const char *name)
{
	if (p->nvars == p->cap_vars) {
		size_t cap = p->cap_vars ? p->cap_vars * 2 : 16;
		char **v = realloc(p->vars, cap * sizeof(*v));
		if (v == NULL)
			return err_set(p->err, ERR_INTERNAL, "out of memory");
		p->vars = v;
		p->cap_vars = cap;
	}
	if ((p->vars[p->nvars] = strdup(name)) == NULL)
		return err_set(p->err, ERR_INTERNAL, "out of memory");
	p->nvars++;
	return 0;
}

static void pop_vars(struct parser *p, size_t to)
{
	while (p->nvars > to)
		free(p->vars[--p->nvars]);
}

static bool var_known(struct parser *p, const char *name)
{
	for (size_t i = p->nvars; i > 0; i--)
		if (strcmp(p->vars[i - 1], name) == 0)
			return true;
	return false;
}

static const char *tok_desc(const struct tok *t, char *buf, size_t n)
{
	switch (t->type) {
	case T_EOF:
		return "EOF";
	case T_RDELIM:
		return "<right delim>";
	case T_LDELIM:
		return "<left delim>";
	case T_TEXT:
		return "text";
	case T_STR:
		snprintf(buf, n, "quoted string");
		return buf;
	case T_FIELD:
		snprintf(buf, n, "<.%.40s>", t->text);
		return buf;
	default:
		snprintf(buf, n, "\"%.40s\"", t->text);
		return buf;
	}
}

static int parse_number(struct parser *p, struct tok *t, struct node *n)
{
	char clean[128];
	size_t k = 0;
	const char *s = t->text;

	for (size_t i = 0; s[i]; i++)
		if (s[i] != '_' && k + 1 < sizeof(clean))
			clean[k++] = s[i];
	clean[k] = '\0';
	bool hex = strstr(clean, "0x") || strstr(clean, "0X");
	bool floaty = !hex && strpbrk(clean, ".eEpP") != NULL;
	char *end = NULL;
	errno = 0;
	if (!floaty) {
		const char *d = clean;
		bool neg = false;
		int base = 0;
		if (*d == '+' || *d == '-')
			neg = *d++ == '-';
		if (d[0] == '0' && (d[1] == 'o' || d[1] == 'O'))
			base = 8, d += 2;
		else if (d[0] == '0' && (d[1] == 'b' || d[1] == 'B'))
			base = 2, d += 2;
		if (*d == '\0' || *d == '+' || *d == '-')
			goto bad;
		unsigned long long u = strtoull(d, &end, base);
		if (*end != '\0')
			goto bad;
		if (errno || u > (unsigned long long)INT64_MAX + (neg ? 1 : 0))
			return perr(p, t->pos, "%s overflows int", t->text);
		n->is_int = true;
		n->ival = neg ? (int64_t)(0 - u) : (int64_t)u;
		n->fval = (double)n->ival;
		return 0;
	}
	n->fval = strtod(clean, &end);
	if (end == clean || *end != '\0')
		goto bad;
	return 0;
bad:
	return perr(p, t->pos, "bad number syntax: \"%s\"", t->text);
}

static struct node *parse_pipe(struct parser *p, const char *ctx, bool in_range, bool paren);

/* Collects ".A.B" directly attached (no space) to the previous operand. */
static int parse_chain(struct parser *p, struct node *n)
{
	while (peek(p)->type == T_FIELD && !peek(p)->space) {
		struct tok *f = next(p);
		if (add_name(p, n, f->text))
			return -1;
		n->end = f->end;
	}
	return 0;
}

static struct node *parse_operand(struct parser *p)
{
	struct tok *t = peek(p);
	struct node *n = NULL;
	char d[64];

	switch (t->type) {
	case T_IDENT:
		next(p);
		if (strcmp(t->text, "true") == 0 || strcmp(t->text, "false") == 0) {
			n = new_node(p, N_BOOL, t->pos);
			if (n)
				n->bval = t->text[0] == 't';
		} else if (strcmp(t->text, "nil") == 0) {
			n = new_node(p, N_NIL, t->pos);
		} else {
			if (tpl_fn_lookup(t->text) == NULL) {
				perr(p, t->pos, "function \"%s\" not defined", t->text);
				return NULL;
			}
			n = new_node(p, N_IDENT, t->pos);
			if (n && (n->str = strdup(t->text)) == NULL) {
				tpl_node_free(n);
				err_set(p->err, ERR_INTERNAL, "out of memory");
				return NULL;
			}
		}
		break;
	case T_DOT:
		next(p);
		n = new_node(p, N_DOT, t->pos);
		break;
	case T_FIELD:
		next(p);
		n = new_node(p, N_FIELD, t->pos);
		if (n && (add_name(p, n, t->text) || (n->end = t->end, parse_chain(p, n)))) {
			tpl_node_free(n);
			return NULL;
		}
		return n;
	case T_VAR:
		next(p);
		if (!var_known(p, t->text)) {
			perr(p, t->pos, "undefined variable \"%s\"", t->text);
			return NULL;
		}
		n = new_node(p, N_VAR, t->pos);
		if (n && (n->str = strdup(t->text)) == NULL) {
			tpl_node_free(n);
			err_set(p->err, ERR_INTERNAL, "out of memory");
			return NULL;
		}
		if (n) {
			n->end = t->end;
			if (parse_chain(p, n)) {
				tpl_node_free(n);
				return NULL;
			}
		}
		return n;
	case T_STR:
		next(p);
		n = new_node(p, N_STRING, t->pos);
		if (n) {
			n->str = malloc(t->len + 1);
			if (n->str == NULL) {
				tpl_node_free(n);
				err_set(p->err, ERR_INTERNAL, "out of memory");
				return NULL;
			}
			memcpy(n->str, t->text, t->len + 1);
			n->len = t->len;
		}
		break;
	case T_NUM:
		next(p);
		n = new_node(p, N_NUMBER, t->pos);
		if (n && parse_number(p, t, n)) {
			tpl_node_free(n);
			return NULL;
		}
		break;
	case T_LPAREN: {
		next(p);
		if (++p->depth > TPL_MAX_NEST) {
			perr(p, t->pos, "too deeply nested");
			return NULL;
		}
		struct node *pipe = parse_pipe(p, "parenthesized pipeline", false, true);
		p->depth--;
		if (pipe == NULL)
			return NULL;
		struct tok *r = next(p); /* the ')' parse_pipe stopped at */
		pipe->pos = t->pos;
		pipe->end = r->end;
		if (peek(p)->type == T_FIELD && !peek(p)->space) {
			n = new_node(p, N_CHAIN, t->pos);
			if (n == NULL) {
				tpl_node_free(pipe);
				return NULL;
			}
			n->base = pipe;
			if (parse_chain(p, n)) {
				tpl_node_free(n);
				return NULL;
			}
			return n;
		}
		return pipe;
	}
	default:
		perr(p, t->pos, "unexpected %s in operand", tok_desc(t, d, sizeof(d)));
		return NULL;
	}
	if (n) {
		n->end = t->end;
		if (peek(p)->type == T_FIELD && !peek(p)->space) {
			if (n->type != N_DOT) {
				perr(p, peek(p)->pos, "unexpected . after term \"%s\"", t->text);
				tpl_node_free(n);
				return NULL;
			}
			n->type = N_FIELD; /* "..A" is not valid Go, but "." then ".A" is a field */
			if (parse_chain(p, n)) {
				tpl_node_free(n);
				return NULL;
			}
		}
	}
	return n;
}

static struct node *parse_cmd(struct parser *p)
{
	struct node *c = new_node(p, N_CMD, peek(p)->pos);
	char d[64];

	if (c == NULL)
		return NULL;
	for (;;) {
		enum tok_type ty = peek(p)->type;
		if (ty == T_RDELIM || ty == T_RPAREN || ty == T_PIPE)
			break;
		if (ty == T_EOF || ty == T_COMMA || ty == T_DECL || ty == T_ASSIGN) {
			perr(p, peek(p)->pos, "unexpected %s in command",
			     tok_desc(peek(p), d, sizeof(d)));
			goto fail;
		}
		struct node *a = parse_operand(p);
		if (a == NULL || add_kid(p, c, a))
			goto fail;
		c->end = a->end;
	}
	if (c->nkids == 0) {
		perr(p, peek(p)->pos, "empty command");
		goto fail;
	}
	return c;
fail:
	tpl_node_free(c);
	return NULL;
}

/* A pipeline up to "}}" (or ")" when paren), with optional declarations. Leaves the closing
 * token unread. */
static struct node *parse_pipe(struct parser *p, const char *ctx, bool in_range, bool paren)
{
	struct node *pipe = new_node(p, N_PIPE, peek(p)->pos);
	char d[64];

	if (pipe == NULL)
		return NULL;
	/* declarations: $x := / $x = / $i, $v := (range) */
	struct tok *t0 = peek(p);
	if (t0->type == T_VAR) {
		struct tok *t1 = &p->tk.v[p->i + 1];
		if (t1->type == T_DECL || t1->type == T_ASSIGN) {
			pipe->assign = t1->type == T_ASSIGN;
			if (pipe->assign && !var_known(p, t0->text)) {
				perr(p, t0->pos, "undefined variable \"%s\"", t0->text);
				goto fail;
			}
			if ((pipe->decl[0] = strdup(t0->text)) == NULL)
				goto oom;
			pipe->ndecl = 1;
			p->i += 2;
		} else if (t1->type == T_COMMA && in_range && p->tk.v[p->i + 2].type == T_VAR &&
			   (p->tk.v[p->i + 3].type == T_DECL ||
			    p->tk.v[p->i + 3].type == T_ASSIGN)) {
			struct tok *t2 = &p->tk.v[p->i + 2];
			pipe->assign = p->tk.v[p->i + 3].type == T_ASSIGN;
			if ((pipe->decl[0] = strdup(t0->text)) == NULL ||
			    (pipe->decl[1] = strdup(t2->text)) == NULL)
				goto oom;
			pipe->ndecl = 2;
			p->i += 4;
		}
	}
	for (;;) {
		struct node *c = parse_cmd(p);
		if (c == NULL || add_kid(p, pipe, c))
			goto fail;
		pipe->end = c->end;
		struct tok *t = peek(p);
		if (t->type == T_PIPE) {
			next(p);
			continue;
		}
		if ((paren && t->type == T_RPAREN) || (!paren && t->type == T_RDELIM))
			break;
		perr(p, t->pos, "unexpected %s in %s", tok_desc(t, d, sizeof(d)), ctx);
		goto fail;
	}
	/* the declared variables are visible after the declaration */
	if (!pipe->assign)
		for (int k = 0; k < pipe->ndecl; k++)
			if (push_var(p, pipe->decl[k]))
				goto fail;
	return pipe;
oom:
	err_set(p->err, ERR_INTERNAL, "out of memory");
fail:
	tpl_node_free(pipe);
	return NULL;
}

enum stop { STOP_EOF, STOP_END, STOP_ELSE };

static int parse_list(struct parser *p, struct node **out, enum stop *stop);

/* After "{{" + keyword: if / range / with. */
static struct node *parse_control(struct parser *p, enum node_type type, size_t pos, const char *kw)
{
	size_t mark = p->nvars;
	struct node *n = new_node(p, type, pos);
	enum stop stop;

	if (n == NULL)
		return NULL;
	if (++p->depth > TPL_MAX_NEST) {
		perr(p, pos, "too deeply nested");
		goto fail;
	}
	if (peek(p)->type == T_RDELIM) {
		perr(p, pos, "missing value for %s", kw);
		goto fail;
	}
	n->pipe = parse_pipe(p, kw, type == N_RANGE, false);
	if (n->pipe == NULL)
		goto fail;
	next(p); /* }} */
	if (type == N_RANGE)
		p->range_depth++;
	int r = parse_list(p, &n->list, &stop);
	if (type == N_RANGE)
		p->range_depth--;
	if (r)
		goto fail;
	if (stop == STOP_EOF) {
		perr(p, p->tk.v[p->i].pos, "unexpected EOF");
		goto fail;
	}
	if (stop == STOP_ELSE) {
		struct tok *t = peek(p);
		/* "{{else if ...}}" / "{{else with ...}}": a nested control sharing our {{end}} */
		if ((type == N_IF || type == N_WITH) && t->type == T_IDENT &&
		    strcmp(t->text, type == N_IF ? "if" : "with") == 0) {
			next(p);
			struct node *inner = parse_control(p, type, t->pos, kw);
			if (inner == NULL)
				goto fail;
			n->else_list = new_node(p, N_LIST, t->pos);
			if (n->else_list == NULL || add_kid(p, n->else_list, inner)) {
				if (n->else_list == NULL)
					tpl_node_free(inner);
				goto fail;
			}
			p->depth--;
			pop_vars(p, mark);
			return n;
		}
		if (t->type != T_RDELIM) {
			perr(p, t->pos, "unexpected %s in else", t->text);
			goto fail;
		}
		next(p);
		if (parse_list(p, &n->else_list, &stop))
			goto fail;
		if (stop != STOP_END) {
			perr(p, p->tk.v[p->i].pos,
			     stop == STOP_EOF ? "unexpected EOF" : "expected end; found {{else}}");
			goto fail;
		}
	}
	p->depth--;
	pop_vars(p, mark);
	return n;
fail:
	pop_vars(p, mark);
	tpl_node_free(n);
	return NULL;
}

static int add_def(struct parser *p, const char *name, struct node *root)
{
	struct tpl *t = p->t;

	for (size_t i = 0; i < t->ndefs; i++)
		if (strcmp(t->defs[i].name, name) == 0) {
			tpl_node_free(t->defs[i].root);
			t->defs[i].root = root;
			return 0;
		}
	struct tpl_def *d = realloc(t->defs, (t->ndefs + 1) * sizeof(*d));
	if (d == NULL)
		goto oom;
	t->defs = d;
	if ((d[t->ndefs].name = strdup(name)) == NULL)
		goto oom;
	d[t->ndefs].root = root;
	t->ndefs++;
	return 0;
oom:
	tpl_node_free(root);
	return err_set(p->err, ERR_INTERNAL, "out of memory");
}

/* {{define "x"}} ... {{end}} or {{block "x" pipe}} ... {{end}} (after the keyword). */
static struct node *parse_define(struct parser *p, size_t pos, bool block)
{
	struct tok *nm = next(p);
	struct node *n = NULL;
	enum stop stop;
	char **saved = p->vars;
	size_t saved_n = p->nvars, saved_cap = p->cap_vars;
	int saved_range = p->range_depth;

	if (nm->type != T_STR) {
		perr(p, nm->pos, "%s clause: expected quoted string", block ? "block" : "define");
		return NULL;
	}
	if (block) {
		n = new_node(p, N_TEMPLATE, pos);
		if (n == NULL || (n->str = strdup(nm->text)) == NULL)
			goto fail;
		if (peek(p)->type != T_RDELIM &&
		    (n->pipe = parse_pipe(p, "block", false, false)) == NULL)
			goto fail;
	} else if (p->depth > 0) {
		perr(p, pos, "unexpected <define> in command");
		return NULL;
	}
	if (peek(p)->type != T_RDELIM) {
		perr(p, peek(p)->pos, "unexpected \"%s\" in define clause", peek(p)->text);
		goto fail;
	}
	next(p);
	/* a definition has its own variables: only $ */
	p->vars = NULL;
	p->nvars = p->cap_vars = 0;
	p->range_depth = 0;
	p->depth++;
	struct node *body = NULL;
	int r = push_var(p, "$");
	if (r == 0)
		r = parse_list(p, &body, &stop);
	p->depth--;
	pop_vars(p, 0);
	free(p->vars);
	p->vars = saved;
	p->nvars = saved_n;
	p->cap_vars = saved_cap;
	p->range_depth = saved_range;
	if (r)
		goto fail;
	if (stop != STOP_END) {
		tpl_node_free(body);
		perr(p, p->tk.v[p->i].pos,
		     stop == STOP_EOF ? "unexpected EOF" : "unexpected {{else}}");
		goto fail;
	}
	if (add_def(p, nm->text, body))
		goto fail;
	return n ? n : new_node(p, N_LIST, pos);
fail:
	tpl_node_free(n);
	return NULL;
}

/* Parses one action after "{{"; *stop tells the caller about {{end}} / {{else}}. */
static struct node *parse_action(struct parser *p, enum stop *stop, bool *is_stop)
{
	struct tok *t = peek(p);
	size_t pos = t->pos;
	char d[64];

	*is_stop = false;
	if (t->type == T_IDENT) {
		const char *kw = t->text;
		if (strcmp(kw, "end") == 0 || strcmp(kw, "else") == 0) {
			next(p);
			if (kw[1] == 'n') {
				if (peek(p)->type != T_RDELIM) {
					perr(p, pos, "unexpected %s in end",
					     tok_desc(peek(p), d, sizeof(d)));
					return NULL;
				}
				next(p);
			}
			*is_stop = true;
			*stop = kw[1] == 'n' ? STOP_END : STOP_ELSE;
			return NULL;
		}
		if (strcmp(kw, "if") == 0 || strcmp(kw, "range") == 0 || strcmp(kw, "with") == 0) {
			next(p);
			return parse_control(p,
					     kw[0] == 'i'   ? N_IF
					     : kw[0] == 'r' ? N_RANGE
							    : N_WITH,
					     pos, kw);
		}
		if (strcmp(kw, "break") == 0 || strcmp(kw, "continue") == 0) {
			next(p);
			if (p->range_depth == 0) {
				perr(p, pos, "{{%s}} outside {{range}}", kw);
				return NULL;
			}
			if (peek(p)->type != T_RDELIM) {
				perr(p, pos, "unexpected %s in {{%s}}",
				     tok_desc(peek(p), d, sizeof(d)), kw);
				return NULL;
			}
			next(p);
			return new_node(p, kw[0] == 'b' ? N_BREAK : N_CONTINUE, pos);
		}
		if (strcmp(kw, "define") == 0 || strcmp(kw, "block") == 0) {
			next(p);
			return parse_define(p, pos, kw[0] == 'b');
		}
		if (strcmp(kw, "template") == 0) {
			next(p);
			struct tok *nm = next(p);
			if (nm->type != T_STR) {
				perr(p, nm->pos, "template clause: expected quoted string");
				return NULL;
			}
			struct node *n = new_node(p, N_TEMPLATE, pos);
			if (n == NULL)
				return NULL;
			if ((n->str = strdup(nm->text)) == NULL) {
				tpl_node_free(n);
				err_set(p->err, ERR_INTERNAL, "out of memory");
				return NULL;
			}
			if (peek(p)->type != T_RDELIM &&
			    (n->pipe = parse_pipe(p, "template clause", false, false)) == NULL) {
				tpl_node_free(n);
				return NULL;
			}
			n->end = n->pipe ? n->pipe->end : nm->end;
			next(p);
			return n;
		}
	}
	if (t->type == T_RDELIM) {
		perr(p, pos, "missing value for command");
		return NULL;
	}
	struct node *n = new_node(p, N_ACTION, pos);
	if (n == NULL)
		return NULL;
	n->pipe = parse_pipe(p, "command", false, false);
	if (n->pipe == NULL) {
		tpl_node_free(n);
		return NULL;
	}
	n->end = n->pipe->end;
	next(p);
	return n;
}

static int parse_list(struct parser *p, struct node **out, enum stop *stop)
{
	struct node *list = new_node(p, N_LIST, peek(p)->pos);

	*out = NULL;
	if (list == NULL)
		return -1;
	for (;;) {
		struct tok *t = next(p);
		struct node *n = NULL;
		if (t->type == T_EOF) {
			*stop = STOP_EOF;
			break;
		}
		if (t->type == T_TEXT) {
			n = new_node(p, N_TEXT, t->pos);
			if (n == NULL)
				goto fail;
			n->str = t->text;
			n->len = t->len;
			t->text = NULL;
			if ((t->text = strdup("")) == NULL) {
				tpl_node_free(n);
				goto fail;
			}
		} else {
			bool is_stop;
			n = parse_action(p, stop, &is_stop);
			if (is_stop)
				break;
			if (n == NULL)
				goto fail;
			if (n->type == N_LIST && n->nkids == 0) { /* a {{define}} */
				tpl_node_free(n);
				continue;
			}
		}
		if (add_kid(p, list, n))
			goto fail;
	}
	*out = list;
	return 0;
fail:
	tpl_node_free(list);
	return -1;
}

int tpl_parse(const char *name, const char *src, size_t len, struct tpl **out, struct error *err)
{
	struct parser p = {.name = name, .src = src, .err = err};
	struct tpl *t = calloc(1, sizeof(*t));
	struct node *root = NULL;
	enum stop stop;

	*out = NULL;
	if (t == NULL || (t->name = strdup(name)) == NULL || (t->src = malloc(len + 1)) == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		goto fail;
	}
	memcpy(t->src, src, len);
	t->src[len] = '\0';
	t->src_len = len;
	p.src = t->src;
	p.t = t;
	/* defs[0] is the main template; its body is set after parsing */
	if ((t->defs = calloc(1, sizeof(*t->defs))) == NULL ||
	    (t->defs[0].name = strdup(name)) == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		goto fail;
	}
	t->ndefs = 1;
	if (tpl_lex(name, t->src, len, &p.tk, err))
		goto fail;
	if (push_var(&p, "$") || parse_list(&p, &root, &stop))
		goto fail;
	if (stop != STOP_EOF) {
		tpl_node_free(root);
		perr(&p, p.tk.v[p.i > 0 ? p.i - 1 : 0].pos, "unexpected {{%s}}",
		     stop == STOP_END ? "end" : "else");
		goto fail;
	}
	/* a {{define}} of the main name replaces it only when the main body is empty */
	if (t->defs[0].root == NULL || root->nkids > 0) {
		tpl_node_free(t->defs[0].root);
		t->defs[0].root = root;
	} else {
		tpl_node_free(root);
	}
	pop_vars(&p, 0);
	free(p.vars);
	tpl_toks_free(&p.tk);
	*out = t;
	return 0;
fail:
	pop_vars(&p, 0);
	free(p.vars);
	tpl_toks_free(&p.tk);
	tpl_free(t);
	return -1;
}
