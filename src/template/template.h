/* template.h - Go's text/template, as step-ca evaluates certificate templates.
 *
 * The language is Go's text/template (actions, pipelines, variables, if/else if/else, range
 * with else and $i, $v, with, define/template/block, comments, whitespace trimming with
 * "{{- " and " -}}", and, or, not, eq, ne, lt, le, gt, ge, len, index, print, printf,
 * println, html, js, urlquery, slice, call is refused) with the sprig function set step-ca
 * registers minus env and expandenv, plus step's fail, formatTime, toTime, parseTime,
 * mustParseTime, toTimeLayout.
 *
 * Data is jansson JSON. Go's values that are structs are JSON objects keyed by their Go
 * field names (".Subject.CommonName"); two reserved members describe them:
 *   "@type": the Go type name typeOf/typeIs/kindOf/kindIs report ("*rsa.PublicKey");
 *   "@json": what toJson (toPrettyJson, toRawJson) writes for the value, when it differs
 *            from the object itself (struct fields keyed by their JSON tags).
 * Members whose key begins with '@' are invisible to templates (range, len, keys, hasKey,
 * printing). A missing map key gives Go's "<no value>" when printed and null to toJson.
 */
#ifndef STRIDE_TEMPLATE_TEMPLATE_H
#define STRIDE_TEMPLATE_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

struct tpl;

/* Parses src (len bytes, need not be NUL-terminated). name appears in messages as Go writes
 * them: "template: <name>:<line>: <what>". A syntax error, an undefined function or
 * variable is ERR_INVALID (not exposed). *out owned by the caller. */
int tpl_parse(const char *name, const char *src, size_t len, struct tpl **out, struct error *err);

/* Runs t with dot = data and appends the text to out. `fail "msg"` gives ERR_INVALID, exposed,
 * with msg as the message (step-ca answers it with 400); any other execution error is
 * ERR_INTERNAL, not exposed, with Go's message. Execution is bounded (output size, range
 * iterations, recursion depth), so a hostile template ends with an error. */
int tpl_execute(const struct tpl *t, const json_t *data, struct buf *out, struct error *err);

void tpl_free(struct tpl *t);

#endif
