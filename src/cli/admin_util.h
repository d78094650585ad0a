/* admin_util.h - the pure pieces of the admin commands (`ca admin`, `ca policy`,
 * `ca acme eab` remotely): step's tabwriter layout, admin API paths, and policy edits in
 * linkedca's protobuf-JSON form (admin.md §4.3, §6). */
#ifndef STRIDE_CLI_ADMIN_UTIL_H
#define STRIDE_CLI_ADMIN_UTIL_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/str.h"

/* Lays out text as Go's text/tabwriter does with minwidth 0, tabwidth 8, padding 1 and TAB
 * as the padding character (step's tables): text is lines ending in '\n' whose cells are
 * separated by '\t'; each column of consecutive lines is padded with TABs to the smallest
 * multiple of 8 that exceeds its widest cell (widths counted in UTF-8 characters); the last
 * cell of a line is not padded. malloc'd. */
char *tabwriter_format(const char *text);

/* The end of an admin command: step prints admin API errors as plain messages (no
 * "Re-run with ..." hint), so a failure's HTTP status is cleared. Returns rc. */
int admin_cli_result(int rc, struct error *err);

/* Percent-encodes one path segment as Go's URL.EscapedPath does ("Admin JWK" ->
 * "Admin%20JWK"; '/' escaped too). malloc'd. */
char *admin_path_escape(const char *segment);

/* The name of an admin type given as an enum name or number (1 "ADMIN", 2 "SUPER_ADMIN",
 * else "UNKNOWN"). Static string. */
const char *admin_type_name(const json_t *type);

/* A policy in the canonical protobuf-JSON form step prints and sends: the members of p
 * (camelCase or snake_case names accepted) in linkedca's field order, objects kept even when
 * empty, empty lists and false booleans left out. NULL p gives {}. New reference. */
json_t *policy_canonical(const json_t *p);
/* step's initPolicy: the canonical form of p with every object present (x509.allow/deny,
 * ssh.host.allow/deny, ssh.user.allow/deny). New reference. */
json_t *policy_initialized(const json_t *p);
/* The list at x509|ssh.host|ssh.user -> allow|deny -> name (dns, ips, emails, uris,
 * commonNames, principals) of an initialized policy, created when missing. Borrowed. */
json_t *policy_list(json_t *policy, const char *scope, const char *action, const char *name);
/* Appends values to list, or with remove drops every element equal to one of them. */
void policy_list_edit(json_t *list, const struct strv *values, bool remove);
/* Removes duplicate values from every list of the policy, keeping first occurrences. */
void policy_deduplicate(json_t *policy);
/* The policy as step prints it: its canonical form indented with 3 spaces, and a newline.
 * malloc'd. */
char *policy_pretty(const json_t *policy);

#endif
