/* template.h - Go's text/template, as step-ca evaluates certificate templates.
 *
 * The language is Go's text/template (actions, pipelines, variables, if/else if/else, range
 * with else and $i, $v, break/continue, with/else with, define/template/block, comments,
 * whitespace trimming with "{{- " and " -}}", and, or, not, eq, ne, lt, le, gt, ge, len,
 * index, print, printf, println, html, js, urlquery, slice; call is refused) with the sprig
 * function set step-ca registers minus env and expandenv, plus step's fail, formatTime,
 * toTime, parseTime, mustParseTime, toTimeLayout and the X.509 helpers asn1Enc, asn1Marshal,
 * asn1Seq, asn1Set.
 *
 * Data is jansson JSON. Go's values that are structs are JSON objects keyed by their Go
 * field names (".Subject.CommonName"); two reserved members describe them:
 *   "@type": the Go type name typeOf/typeIs/kindOf/kindIs report ("*rsa.PublicKey",
 *            "x509util.Subject"); kindOf says "ptr" when it starts with '*', else "struct".
 *            A field a typed object lacks is Go's "can't evaluate field X in type T" error.
 *   "@json": what toJson (toPrettyJson, toRawJson) writes for the value, when it differs
 *            from the object itself (struct fields keyed by their JSON tags).
 * Members whose key begins with '@' are invisible to templates (range, len, keys, hasKey,
 * printing). A missing map key gives Go's "<no value>" when printed and null to toJson.
 * Numbers: as encoding/json decodes step-ca's claims and templateData, JSON numbers of plain
 * objects are float64 ({{ .Token.exp }} prints 1.7e+09); JSON integers directly in a typed
 * object (or its arrays) are Go ints (PublicKey.Size, so that {{ lt .X.Size 384 }} works).
 */
#ifndef STRIDE_TEMPLATE_TEMPLATE_H
#define STRIDE_TEMPLATE_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

struct tpl;

/* Parses src (len bytes, need not be NUL-terminated). name appears in messages as Go writes
 * them: "template: <name>:<line>: <what>" (step-ca names its templates "template"). A syntax
 * error, an undefined function or variable is ERR_INVALID (not exposed). *out owned by the
 * caller. */
int tpl_parse(const char *name, const char *src, size_t len, struct tpl **out, struct error *err);

/* Runs t with dot = data (not modified: the engine works on a copy; NULL is nil) and appends
 * the text to out. `fail "msg"` gives ERR_INVALID, exposed, with msg as the message (step-ca
 * answers it with 400); any other execution error (required, a wrong type, a missing
 * template...) is ERR_INTERNAL, not exposed, with Go's message
 * "template: <name>:<line>:<col>: executing "<name>" at <...>: <what>". On error out keeps
 * only what it held before. Execution is bounded (1 MiB of output, 10^6 steps, work of the
 * functions, 100 nested {{template}} calls), so a hostile template ends with an error. */
int tpl_execute(const struct tpl *t, const json_t *data, struct buf *out, struct error *err);

void tpl_free(struct tpl *t);

#endif
