/* tpl_internal.h - the pieces of the template engine shared by its modules: tokens, the parse
 * tree, the value model and the execution state.
 *
 * Values follow Go's reflect view of step-ca's template data: JSON numbers in the data are
 * float64 (encoding/json), integer literals and the results of len/add/atoi are int, lists
 * are []interface{} and objects map[string]interface{} (or the Go type their "@type" names).
 */
#ifndef STRIDE_TEMPLATE_TPL_INTERNAL_H
#define STRIDE_TEMPLATE_TPL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

#define TPL_MAX_OUTPUT	  (1024 * 1024)	      /* bytes one execution may write */
#define TPL_MAX_STEPS	  1000000	      /* nodes, iterations and calls per execution */
#define TPL_MAX_WORK	  (64L * 1024 * 1024) /* bytes functions may produce per execution */
#define TPL_MAX_DEPTH	  100		      /* nested {{template}} calls */
#define TPL_MAX_NEST	  100		      /* nesting of blocks and parentheses when parsing */
#define TPL_MAX_STR	  (1024 * 1024)	      /* longest string a function may build */
#define TPL_MAX_EXEC_NEST 1000		      /* nested lists and pipelines while executing */
#define TPL_MAX_VARS	  10000		      /* live variables */

/* ---- tokens (lex.c) ---- */
enum tok_type {
	T_EOF,
	T_TEXT,
	T_LDELIM,
	T_RDELIM,
	T_IDENT,
	T_FIELD, /* ".Name" (text without the dot) */
	T_VAR,	 /* "$" or "$name" (text with the dollar) */
	T_STR,	 /* decoded string */
	T_NUM,	 /* text of a number or char constant */
	T_DOT,
	T_PIPE,
	T_LPAREN,
	T_RPAREN,
	T_DECL,
	T_ASSIGN,
	T_COMMA,
};

struct tok {
	enum tok_type type;
	size_t pos; /* byte offset in the source */
	size_t end; /* offset just past the token */
	bool space; /* preceded by white space inside an action */
	char *text; /* owned, NUL-terminated (may contain NULs for T_STR: see len) */
	size_t len;
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

/* Splits src into tokens; an error is "template: <name>:<line>: <msg>". */
int tpl_lex(const char *name, const char *src, size_t len, struct toks *out, struct error *err);
void tpl_toks_free(struct toks *t);
/* 1-based line of byte offset pos. */
int tpl_line_of(const char *src, size_t pos);

/* ---- parse tree (parse.c) ---- */
enum node_type {
	N_LIST,
	N_TEXT,
	N_ACTION,
	N_IF,
	N_RANGE,
	N_WITH,
	N_TEMPLATE,
	N_BREAK,
	N_CONTINUE,
	/* operands */
	N_PIPE, /* a pipeline: decls + commands */
	N_CMD,	/* a command: args */
	N_FIELD,
	N_VAR,
	N_IDENT,
	N_CHAIN, /* (pipe).A.B */
	N_DOT,
	N_STRING,
	N_NUMBER,
	N_BOOL,
	N_NIL,
};

struct node {
	enum node_type type;
	size_t pos, end;    /* source span, for error positions and contexts */
	struct node **kids; /* N_LIST items; N_PIPE commands; N_CMD args */
	size_t nkids;
	char **names; /* field chain (N_FIELD, N_VAR after the variable, N_CHAIN) */
	size_t nnames;
	char *str; /* N_TEXT, N_STRING (len), N_VAR name, N_IDENT name, N_TEMPLATE name */
	size_t len;
	char *decl[2]; /* N_PIPE: declared or assigned variables */
	int ndecl;
	bool assign;	   /* N_PIPE: "=" rather than ":=" */
	struct node *pipe; /* N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE (may be NULL) */
	struct node *list; /* body */
	struct node *else_list;
	struct node *base; /* N_CHAIN: the operand */
	bool is_int, bval;
	int64_t ival;
	double fval;
};

struct tpl_def {
	char *name;
	struct node *root;
};

struct tpl {
	char *name;
	char *src; /* copy of the source, for error positions */
	size_t src_len;
	struct tpl_def *defs; /* defs[0] is the main template */
	size_t ndefs;
};

void tpl_node_free(struct node *n);

/* ---- values (value.c) ---- */
enum val_kind {
	V_MISSING, /* Go's invalid reflect.Value: a missing map key */
	V_NIL,
	V_BOOL,
	V_INT,
	V_FLOAT,
	V_STR,	/* j: json string (any bytes) */
	V_LIST, /* j: json array */
	V_MAP,	/* j: json object */
	V_TIME, /* i: seconds since the epoch, nsec, off: zone offset in seconds */
	V_DUR,	/* i: nanoseconds */
};

struct val {
	enum val_kind k;
	bool b;
	int64_t i;
	double f;
	int32_t nsec, off;
	json_t *j; /* owned reference for V_STR, V_LIST, V_MAP */
};

struct val val_nil(void);
struct val val_bool(bool b);
struct val val_int(int64_t i);
struct val val_float(double f);
/* Takes ownership of j (may be NULL: then the value is V_MISSING, i.e. allocation failed). */
struct val val_json_owned(json_t *j);
/* A new reference to an element of the data (JSON numbers become float64). */
struct val val_from_json(json_t *j);
/* Turns v into JSON for storing in a list or map (a new reference, NULL on failure). */
json_t *val_to_json(const struct val *v);
int val_str(struct val *out, const char *s, size_t n);
struct val val_copy(const struct val *v);
void val_free(struct val *v);
const char *val_strp(const struct val *v, size_t *len);
bool val_truth(const struct val *v);
/* Go's type name: "string", "float64", "map[string]interface {}", or the "@type" member. */
const char *val_type(const struct val *v);
/* reflect.Kind name: "string", "float64", "map", "slice", "struct", "ptr", "invalid"... */
const char *val_kind_name(const struct val *v);
/* Visible members of a map: keys not starting with '@', sorted. Caller frees the array only. */
const char **val_keys(json_t *obj, size_t *n);
size_t val_len(const struct val *v);
bool json_hidden_key(const char *k);

/* Appends v as fmt's %v would print it (top = false inside containers). */
int val_print(struct buf *b, const struct val *v, struct error *err);
/* Go's strconv.FormatFloat(f, 'g', -1, 64) as %v shows it ("1.7e+09", "0.5", "100"). */
void fmt_float_g(double f, char *out, size_t n);
/* Go's encoding/json: html escapes <>&; indent NULL for compact. */
int val_to_json_text(struct buf *b, const struct val *v, bool html, const char *indent,
		     struct error *err);
int json_to_go_text(struct buf *b, json_t *j, bool html, const char *indent, int depth,
		    struct error *err);
/* Formats a time like Go's Time.Format(layout). */
int time_format_go(struct buf *b, const struct val *t, const char *layout, struct error *err);
int time_parse_go(const char *layout, const char *s, struct val *out, struct error *err);

/* ---- execution (exec.c) ---- */
struct exec {
	const struct tpl *t;
	const char *cur_name; /* template being executed, for messages */
	struct buf *out;
	size_t out_start;
	long steps;
	long work;
	int depth;
	int nest; /* exec_list / eval_pipe recursion, bounded to keep the stack small */
	struct {
		char *name;
		struct val v;
	} * vars;
	size_t nvars, cap_vars;
	const struct node *at; /* node being evaluated, for messages */
	struct error *err;
	bool failed; /* `fail` was called: err is the exposed message */
	char fmsg[ERR_MSG_MAX];
};

/* Charges n bytes of work; -1 with an error when over the budget. */
int exec_charge(struct exec *st, size_t n);
/* Sets a function's error ("error calling <fn>: <msg>" is added by the caller). */
int exec_fn_err(struct exec *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- functions (funcs_*.c) ---- */
typedef int (*tpl_fn)(struct exec *st, struct val *args, size_t n, struct val *res);

struct fn_def {
	const char *name;
	tpl_fn fn;
	int min, max; /* argument counts; max -1 = variadic */
};

const struct fn_def *tpl_fn_lookup(const char *name);
extern const struct fn_def tpl_fns_core[];
extern const struct fn_def tpl_fns_str[];
extern const struct fn_def tpl_fns_list[];
extern const struct fn_def tpl_fns_misc[];
extern const struct fn_def tpl_fns_time[];
extern const struct fn_def tpl_fns_enc[];
extern const struct fn_def tpl_fns_asn1[];
extern const struct fn_def tpl_fns_dict[];

/* sprig's empty; Go's reflect.DeepEqual; a value to store in a container (containers are
 * copied, and refused when nested too deep); the nesting check alone. */
bool fn_empty_val(const struct val *v);
bool fn_deep_equal(const struct val *a, const struct val *b);
json_t *fn_store(struct exec *st, const struct val *v);
int fn_check_nest(struct exec *st, const struct val *v);

/* Helpers of the function modules: return a buffer / bytes as a string result (charging the
 * work), and the string form of an argument (converted in place, sprig's strval). */
int fn_ret_buf(struct exec *st, struct buf *b, struct val *res);
int fn_ret_str(struct exec *st, const char *s, size_t n, struct val *res);
const char *fn_arg_str(struct exec *st, struct val *v, size_t *n);

/* Go's fmt.Sprintf subset used by printf. */
int tpl_sprintf(struct exec *st, struct buf *b, const char *fmt, size_t flen, struct val *args,
		size_t n);
/* sprig's strval / fmt.Sprint of one value. */
int val_to_string(struct exec *st, const struct val *v, struct val *out);
/* Go's eq for two values: -1 with an error for incompatible types. */
int val_equal(struct exec *st, const struct val *a, const struct val *b, bool *eq);
/* Converts to int64 / float64 as sprig's cast.ToInt64 / ToFloat64 do (0 when impossible). */
int64_t val_to_i64(const struct val *v);
double val_to_f64(const struct val *v);

#endif
