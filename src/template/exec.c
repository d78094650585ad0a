/* exec.c - runs a parsed template over JSON data as Go's text/template executes it: dot and
 * variables, field chains, pipelines, if/range/with, {{template}}, and Go's messages
 * ("template: <name>:<line>:<col>: executing "<name>" at <node>: <msg>"). Every execution is
 * bounded in output, steps, work and depth. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"
#include "template/tpl_internal.h"

enum { FLOW_OK = 0, FLOW_BREAK = 1, FLOW_CONTINUE = 2 };

static int xerr(struct exec *st, const struct node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int xerr(struct exec *st, const struct node *at, const char *fmt, ...)
{
	char msg[600], ctx[32];
	va_list ap;

	if (st->err && st->err->kind != ERR_NONE)
		return -1; /* keep the first (innermost) message */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at == NULL) {
		return err_set(st->err, ERR_INTERNAL, "template: %s: %s", st->cur_name, msg);
	}
	const char *src = st->t->src;
	size_t pos = at->pos, end = at->end > at->pos ? at->end : at->pos;
	size_t col = pos, line = 1;
	for (size_t i = 0; i < pos; i++)
		if (src[i] == '\n')
			line++, col = pos - i - 1;
	size_t n = end - pos;
	if (n > 20)
		snprintf(ctx, sizeof(ctx), "%.20s...", src + pos);
	else
		snprintf(ctx, sizeof(ctx), "%.*s", (int)n, src + pos);
	for (char *c = ctx; *c; c++)
		if (*c == '\n' || *c == '\t' || *c == '\r')
			*c = ' ';
	return err_set(st->err, ERR_INTERNAL, "template: %s:%zu:%zu: executing \"%s\" at <%s>: %s",
		       st->t->name, line, col, st->cur_name, ctx, msg);
}

int exec_fn_err(struct exec *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->fmsg, sizeof(st->fmsg), fmt, ap);
	va_end(ap);
	return -1;
}

int exec_charge(struct exec *st, size_t n)
{
	st->work += (long)(n / 8 + 1);
	if (st->work > TPL_MAX_WORK / 8)
		return exec_fn_err(st, "template execution exceeds its work limit");
	return 0;
}

static int step(struct exec *st, const struct node *at)
{
	if (++st->steps > TPL_MAX_STEPS)
		return xerr(st, at, "template execution exceeds %d steps", TPL_MAX_STEPS);
	return 0;
}

static int write_out(struct exec *st, const struct node *at, const void *p, size_t n)
{
	if (st->out->len - st->out_start + n > TPL_MAX_OUTPUT)
		return xerr(st, at, "template output exceeds %d bytes", TPL_MAX_OUTPUT);
	struct error e = {0};
	if (buf_append(st->out, p, n, &e))
		return xerr(st, at, "%s", e.msg);
	return 0;
}

/* ---- variables ---- */

static int var_push(struct exec *st, const char *name, const struct val *v)
{
	if (st->nvars >= TPL_MAX_VARS)
		return xerr(st, st->at, "too many variables");
	if (st->nvars == st->cap_vars) {
		size_t cap = st->cap_vars ? st->cap_vars * 2 : 16;
		void *p = realloc(st->vars, cap * sizeof(*st->vars));
		if (p == NULL)
			return xerr(st, st->at, "out of memory");
		st->vars = p;
		st->cap_vars = cap;
	}
	st->vars[st->nvars].name = (char *)name;
	st->vars[st->nvars].v = val_copy(v);
	st->nvars++;
	return 0;
}

static void var_pop(struct exec *st, size_t mark)
{
	while (st->nvars > mark)
		val_free(&st->vars[--st->nvars].v);
}

static struct val *var_find(struct exec *st, const char *name)
{
	for (size_t i = st->nvars; i > 0; i--)
		if (strcmp(st->vars[i - 1].name, name) == 0)
			return &st->vars[i - 1].v;
	return NULL;
}

static int var_set(struct exec *st, const struct node *at, const char *name, const struct val *v)
{
	struct val *slot = var_find(st, name);

	if (slot == NULL)
		return xerr(st, at, "undefined variable: %s", name);
	val_free(slot);
	*slot = val_copy(v);
	return 0;
}

/* ---- evaluation ---- */

static int eval_pipe(struct exec *st, const struct node *pipe, const struct val *dot, bool declare,
		     struct val *res);

/* The argument-less methods of time.Time templates use ("{{ (toTime .Token.iat).Unix }}"). */
static bool time_method(const struct val *t, const char *name, struct val *out)
{
	static const char *const parts[] = {"Year",   "YearDay", "Day",	      "Hour",
					    "Minute", "Second",	 "Nanosecond"};
	if (strcmp(name, "Unix") == 0) {
		*out = val_int(t->i);
		return true;
	}
	if (strcmp(name, "UTC") == 0) {
		*out = *t;
		out->off = 0;
		return true;
	}
	if (strcmp(name, "IsZero") == 0) {
		*out = val_bool(t->i == INT64_C(-62135596800) && t->nsec == 0);
		return true;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (strcmp(name, parts[i]) != 0)
			continue;
		struct buf b;
		struct error e = {0};
		static const char *const layouts[] = {"2006", "002", "2",	  "15",
						      "4",    "5",   ".000000000"};
		buf_init(&b, 64);
		if (time_format_go(&b, t, layouts[i], &e) == 0 && b.data) {
			const char *d = (const char *)b.data + (i == 6);
			*out = val_int(strtoll(d, NULL, 10));
		} else {
			*out = val_int(0);
		}
		buf_free(&b);
		return true;
	}
	return false;
}

/* One field of a receiver, as Go's evalField does for maps and structs. */
static int field(struct exec *st, const struct node *at, const struct val *recv, const char *name,
		 struct val *out)
{
	*out = (struct val){.k = V_MISSING};
	switch (recv->k) {
	case V_MISSING:
		return 0; /* Go: a missing key's field is again no value */
	case V_NIL:
		return xerr(st, at, "nil pointer evaluating interface {}.%s", name);
	case V_MAP: {
		json_t *x = json_hidden_key(name) ? NULL : json_object_get(recv->j, name);
		if (x == NULL) {
			json_t *ty = json_object_get(recv->j, "@type");
			if (json_is_string(ty))
				return xerr(st, at, "can't evaluate field %s in type %s", name,
					    json_string_value(ty));
			return 0;
		}
		*out = val_from_json(x);
		return 0;
	}
	case V_TIME:
		if (time_method(recv, name, out))
			return 0;
		/* fallthrough */
	default:
		return xerr(st, at, "can't evaluate field %s in type %s", name, val_type(recv));
	}
}

static int chain(struct exec *st, const struct node *n, struct val *v)
{
	for (size_t i = 0; i < n->nnames; i++) {
		struct val next;
		if (field(st, n, v, n->names[i], &next)) {
			val_free(v);
			return -1;
		}
		val_free(v);
		*v = next;
	}
	return 0;
}

static int call(struct exec *st, const struct node *cmd, const struct val *dot, bool has_final,
		const struct val *final, struct val *res);

/* An argument of a function (or the value of a non-function command). */
static int eval_arg(struct exec *st, const struct node *n, const struct val *dot, struct val *res)
{
	*res = (struct val){.k = V_MISSING};
	if (step(st, n))
		return -1;
	switch (n->type) {
	case N_DOT:
		*res = val_copy(dot);
		return 0;
	case N_NIL:
		*res = val_nil();
		return 0;
	case N_BOOL:
		*res = val_bool(n->bval);
		return 0;
	case N_NUMBER:
		*res = n->is_int ? val_int(n->ival) : val_float(n->fval);
		return 0;
	case N_STRING:
		if (val_str(res, n->str, n->len))
			return xerr(st, n, "out of memory");
		return 0;
	case N_FIELD:
		*res = val_copy(dot);
		return chain(st, n, res);
	case N_VAR: {
		struct val *v = var_find(st, n->str);
		if (v == NULL)
			return xerr(st, n, "undefined variable: %s", n->str);
		*res = val_copy(v);
		return chain(st, n, res);
	}
	case N_CHAIN:
		if (eval_pipe(st, n->base, dot, false, res))
			return -1;
		return chain(st, n, res);
	case N_PIPE:
		return eval_pipe(st, n, dot, false, res);
	case N_IDENT: {
		/* a function used as an argument is called without arguments */
		struct node cmd = *n;
		struct node *kids[1] = {(struct node *)n};
		cmd.type = N_CMD;
		cmd.kids = kids;
		cmd.nkids = 1;
		return call(st, &cmd, dot, false, NULL, res);
	}
	default:
		return xerr(st, n, "can't handle argument");
	}
}

static int call(struct exec *st, const struct node *cmd, const struct val *dot, bool has_final,
		const struct val *final, struct val *res)
{
	const char *name = cmd->kids[0]->str;
	const struct fn_def *f = tpl_fn_lookup(name);
	size_t nargs = cmd->nkids - 1 + (has_final ? 1 : 0);

	*res = (struct val){.k = V_MISSING};
	if (f == NULL)
		return xerr(st, cmd, "\"%s\" is not a defined function", name);
	if ((int)nargs < f->min || (f->max >= 0 && (int)nargs > f->max)) {
		if (f->max < 0)
			return xerr(st, cmd,
				    "wrong number of args for %s: want at least %d got %zu", name,
				    f->min, nargs);
		return xerr(st, cmd, "wrong number of args for %s: want %d got %zu", name,
			    (int)nargs < f->min ? f->min : f->max, nargs);
	}
	if (step(st, cmd))
		return -1;
	/* and/or evaluate their arguments only as far as needed */
	if (strcmp(name, "and") == 0 || strcmp(name, "or") == 0) {
		bool is_and = name[0] == 'a';
		for (size_t i = 0; i < nargs; i++) {
			val_free(res);
			if (i + 1 < cmd->nkids) {
				if (eval_arg(st, cmd->kids[i + 1], dot, res))
					return -1;
			} else {
				*res = val_copy(final);
			}
			if (val_truth(res) != is_and)
				break;
		}
		return 0;
	}
	struct val *args = calloc(nargs + 1, sizeof(*args));
	if (args == NULL)
		return xerr(st, cmd, "out of memory");
	int r = 0;
	for (size_t i = 0; i + 1 < cmd->nkids && r == 0; i++)
		r = eval_arg(st, cmd->kids[i + 1], dot, &args[i]);
	if (r == 0 && has_final)
		args[nargs - 1] = val_copy(final);
	/* a missing value passed to a function is Go's nil interface */
	for (size_t i = 0; i < nargs; i++)
		if (args[i].k == V_MISSING)
			args[i].k = V_NIL;
	if (r == 0) {
		st->fmsg[0] = '\0';
		st->at = cmd;
		r = f->fn(st, args, nargs, res);
		if (r && !st->failed)
			xerr(st, cmd, "error calling %s: %s", name, st->fmsg);
		else if (r == 0 && res->k == V_MISSING)
			res->k = V_NIL;
	}
	for (size_t i = 0; i < nargs; i++)
		val_free(&args[i]);
	free(args);
	if (r)
		val_free(res);
	return r;
}

static int eval_cmd(struct exec *st, const struct node *cmd, const struct val *dot, bool has_final,
		    const struct val *final, struct val *res)
{
	const struct node *first = cmd->kids[0];

	st->at = cmd;
	if (first->type == N_IDENT)
		return call(st, cmd, dot, has_final, final, res);
	if (first->type == N_NIL)
		return xerr(st, first, "nil is not a command");
	if (cmd->nkids > 1 || has_final) {
		if (first->type == N_FIELD || first->type == N_CHAIN || first->type == N_VAR)
			return xerr(st, first, "%s has arguments but cannot be invoked as function",
				    first->nnames ? first->names[first->nnames - 1] : "value");
		return xerr(st, first, "can't give argument to non-function %.*s",
			    (int)(first->end - first->pos), st->t->src + first->pos);
	}
	return eval_arg(st, first, dot, res);
}

static int eval_pipe_cmds(struct exec *st, const struct node *pipe, const struct val *dot,
			  struct val *out)
{
	struct val v = {.k = V_MISSING};
	bool has = false;

	for (size_t i = 0; i < pipe->nkids; i++) {
		struct val next;
		if (eval_cmd(st, pipe->kids[i], dot, has, &v, &next)) {
			val_free(&v);
			return -1;
		}
		val_free(&v);
		v = next;
		has = true;
	}
	*out = v;
	return 0;
}

static int eval_pipe(struct exec *st, const struct node *pipe, const struct val *dot, bool declare,
		     struct val *res)
{
	struct val v = {.k = V_MISSING};

	*res = v;
	if (st->nest >= TPL_MAX_EXEC_NEST)
		return xerr(st, pipe, "template nesting exceeds %d levels", TPL_MAX_EXEC_NEST);
	st->nest++;
	int r = eval_pipe_cmds(st, pipe, dot, &v);
	st->nest--;
	if (r)
		return -1;
	if (declare) {
		for (int k = 0; k < pipe->ndecl; k++) {
			r = pipe->assign ? var_set(st, pipe, pipe->decl[k], &v)
					 : var_push(st, pipe->decl[k], &v);
			if (r) {
				val_free(&v);
				return -1;
			}
		}
	}
	*res = v;
	return 0;
}

static int exec_list(struct exec *st, const struct node *list, const struct val *dot);

static int exec_range(struct exec *st, const struct node *n, const struct val *dot)
{
	struct val v;
	size_t mark = st->nvars;
	int r = 0;
	bool any = false;

	if (eval_pipe(st, n->pipe, dot, false, &v))
		return -1;
	const struct node *p = n->pipe;
	/* the declared variables exist for the whole range body */
	for (int k = 0; k < p->ndecl && !p->assign; k++) {
		struct val z = {.k = V_MISSING};
		if (var_push(st, p->decl[k], &z)) {
			val_free(&v);
			return -1;
		}
	}
	size_t n_items = 0;
	const char **keys = NULL;
	switch (v.k) {
	case V_LIST:
		n_items = json_array_size(v.j);
		break;
	case V_MAP:
		keys = val_keys(v.j, &n_items);
		if (keys == NULL) {
			r = xerr(st, n, "out of memory");
			goto done;
		}
		break;
	case V_INT:
		n_items = v.i > 0 ? (size_t)v.i : 0;
		break;
	case V_MISSING:
	case V_NIL:
		break;
	default: {
		/* Go prints the value it cannot range over */
		struct buf pb;
		struct error pe = {0};
		buf_init(&pb, 256);
		val_print(&pb, &v, &pe);
		r = xerr(st, n->pipe, "range can't iterate over %.100s",
			 pb.data ? (const char *)pb.data : "");
		buf_free(&pb);
	}
		goto done;
	}
	for (size_t i = 0; i < n_items; i++) {
		struct val key, elem;
		if ((r = step(st, n->pipe)) != 0)
			break;
		any = true;
		if (v.k == V_LIST) {
			key = val_int((int64_t)i);
			elem = val_from_json(json_array_get(v.j, i));
		} else if (v.k == V_MAP) {
			if (val_str(&key, keys[i], strlen(keys[i]))) {
				r = xerr(st, n, "out of memory");
				break;
			}
			elem = val_from_json(json_object_get(v.j, keys[i]));
		} else {
			key = val_int((int64_t)i);
			elem = val_int((int64_t)i);
		}
		if (p->ndecl == 1)
			r = var_set(st, n, p->decl[0], v.k == V_INT ? &key : &elem);
		else if (p->ndecl == 2) {
			r = var_set(st, n, p->decl[0], &key);
			if (r == 0)
				r = var_set(st, n, p->decl[1], &elem);
		}
		size_t inner = st->nvars;
		if (r == 0)
			r = exec_list(st, n->list, &elem);
		var_pop(st, inner);
		val_free(&key);
		val_free(&elem);
		if (r == FLOW_BREAK) {
			r = 0;
			break;
		}
		if (r == FLOW_CONTINUE)
			r = 0;
		if (r)
			break;
	}
	if (r == 0 && !any && n->else_list)
		r = exec_list(st, n->else_list, dot);
done:
	free(keys);
	var_pop(st, mark);
	val_free(&v);
	return r;
}

static int exec_node(struct exec *st, const struct node *n, const struct val *dot)
{
	struct val v;
	int r = 0;
	size_t mark;

	if (step(st, n))
		return -1;
	switch (n->type) {
	case N_TEXT:
		return write_out(st, n, n->str, n->len);
	case N_ACTION:
		if (eval_pipe(st, n->pipe, dot, true, &v))
			return -1;
		if (n->pipe->ndecl == 0) {
			struct buf b;
			struct error e = {0};
			buf_init(&b, TPL_MAX_OUTPUT + 1);
			/* a nil interface at the end of a pipeline prints as no value */
			if (v.k == V_NIL)
				v.k = V_MISSING;
			r = val_print(&b, &v, &e);
			if (r)
				r = xerr(st, n, "%s", e.msg);
			else if (b.len)
				r = write_out(st, n, b.data, b.len);
			buf_free(&b);
		}
		val_free(&v);
		return r;
	case N_IF:
	case N_WITH:
		mark = st->nvars;
		if (eval_pipe(st, n->pipe, dot, true, &v))
			return -1;
		if (val_truth(&v))
			r = exec_list(st, n->list, n->type == N_WITH ? &v : dot);
		else if (n->else_list)
			r = exec_list(st, n->else_list, dot);
		var_pop(st, mark);
		val_free(&v);
		return r;
	case N_RANGE:
		return exec_range(st, n, dot);
	case N_BREAK:
		return FLOW_BREAK;
	case N_CONTINUE:
		return FLOW_CONTINUE;
	case N_TEMPLATE: {
		const struct tpl_def *d = NULL;
		for (size_t i = 0; i < st->t->ndefs; i++)
			if (strcmp(st->t->defs[i].name, n->str) == 0 && st->t->defs[i].root)
				d = &st->t->defs[i];
		if (d == NULL)
			return xerr(st, n, "template \"%s\" not defined", n->str);
		if (st->depth >= TPL_MAX_DEPTH)
			return xerr(st, n, "exceeded maximum template depth (%d)", TPL_MAX_DEPTH);
		v = val_nil();
		if (n->pipe && eval_pipe(st, n->pipe, dot, false, &v))
			return -1;
		/* the called template sees only $ = its dot */
		size_t saved_n = st->nvars;
		const char *saved_name = st->cur_name;
		mark = st->nvars;
		if (var_push(st, "$", &v) == 0) {
			/* hide the caller's variables by starting a new frame */
			st->depth++;
			st->cur_name = d->name;
			r = exec_list(st, d->root, &v);
			st->cur_name = saved_name;
			st->depth--;
		} else {
			r = -1;
		}
		var_pop(st, mark);
		(void)saved_n;
		val_free(&v);
		return r < 0 ? -1 : 0;
	}
	case N_LIST:
		return exec_list(st, n, dot);
	default:
		return xerr(st, n, "unknown node");
	}
}

static int exec_list(struct exec *st, const struct node *list, const struct val *dot)
{
	int r = 0;

	if (++st->nest > TPL_MAX_EXEC_NEST) {
		st->nest--;
		return xerr(st, list, "template nesting exceeds %d levels", TPL_MAX_EXEC_NEST);
	}
	for (size_t i = 0; i < list->nkids && r == 0; i++)
		r = exec_node(st, list->kids[i], dot);
	st->nest--;
	return r;
}

/* Go's encoding/json decodes every JSON number of a map[string]interface{} as float64: so do
 * the numbers of plain objects here, while the integers of an object with "@type" (a Go
 * struct: PublicKey.Size, PublicKeyAlgorithm) and of its arrays stay int, as do the integers
 * the template makes. */
static json_t *go_numbers(json_t *j, bool in_struct, int depth)
{
	if (depth > 1000)
		return NULL;
	switch (json_typeof(j)) {
	case JSON_INTEGER:
		return in_struct ? json_incref(j) : json_real((double)json_integer_value(j));
	case JSON_ARRAY: {
		json_t *a = json_array();
		for (size_t i = 0; a && i < json_array_size(j); i++) {
			json_t *x = go_numbers(json_array_get(j, i), in_struct, depth + 1);
			if (x == NULL || json_array_append_new(a, x)) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case JSON_OBJECT: {
		json_t *o = json_object(), *x;
		const char *k;
		bool typed = json_object_get(j, "@type") != NULL;
		json_object_foreach(j, k, x)
		{
			json_t *c = go_numbers(x, typed, depth + 1);
			if (o == NULL || c == NULL || json_object_set_new(o, k, c)) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	default:
		return json_incref(j);
	}
}

int tpl_execute(const struct tpl *t, const json_t *data, struct buf *out, struct error *err)
{
	struct exec st = {.t = t, .cur_name = t->name, .out = out, .out_start = out->len};
	struct error local = {0};
	json_t *copy = data ? go_numbers((json_t *)data, false, 0) : json_null();

	st.err = &local;
	if (copy == NULL)
		return err_set(err, ERR_INTERNAL, "template: %s: data too deeply nested", t->name);
	struct val dot = val_from_json(copy);
	int r = var_push(&st, "$", &dot);
	if (r == 0 && t->defs[0].root)
		r = exec_list(&st, t->defs[0].root, &dot);
	var_pop(&st, 0);
	free(st.vars);
	val_free(&dot);
	json_decref(copy);
	if (r < 0) {
		out->len = st.out_start;
		if (out->data)
			out->data[out->len] = '\0';
		if (st.failed)
			return err_public(err, ERR_INVALID, "%s", st.fmsg);
		if (err) {
			*err = local;
			if (err->kind == ERR_NONE)
				err_set(err, ERR_INTERNAL, "template: %s: execution failed",
					t->name);
		}
		return -1;
	}
	return 0;
}
