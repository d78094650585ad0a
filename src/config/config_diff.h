/* config_diff.h - what changed between two ca.json files, for a reload (SIGHUP) of stride-ca.
 *
 * The comparison is made on the parsed documents (ca_config.doc), member by member, so that a
 * file rewritten with other spacing or member order changes nothing. Each member is either
 * applied by a running stride-ca (authority.provisioners, authority.claims, authority.policy,
 * tls, limits, and the sections whose reload hooks are registered) or needs a restart (every
 * other member: address, root, crt, key, db, dnsNames, ssh, logger, ...).
 */
#ifndef STRIDE_CONFIG_CONFIG_DIFF_H
#define STRIDE_CONFIG_CONFIG_DIFF_H

#include <stdbool.h>

#include "base/str.h"
#include "config/ca_config.h"

struct config_diff {
	bool provisioners; /* authority.provisioners changed (applied live without remote
			    * administration) */
	bool claims;	   /* authority.claims changed (always applied live) */
	bool policy; /* authority.policy changed (applied live without remote administration) */
	bool tls;    /* "tls" changed: new connections get a new TLS context */
	bool limits; /* "limits" changed: new connections and requests get them */
	struct strv live; /* the changed sections of the caller's list (applied by their hooks) */
	struct strv restart; /* changed members only a restart applies, in document order:
			      * "address", "authority.backdate", ... */
	struct strv ignored; /* with remote administration: authority.provisioners and
			      * authority.policy, which come from the database */
};

/* Compares next with what runs: started is the configuration the process started with (what the
 * members needing a restart are compared with), running the one applied last (the live
 * members); both may be the same. admin: remote administration is on. sections (may be NULL):
 * further top-level members applied live (by reload hooks). *out is filled (config_diff_free). */
void config_diff(const struct ca_config *started, const struct ca_config *running,
		 const struct ca_config *next, bool admin, const struct strv *sections,
		 struct config_diff *out);
/* True when the diff has anything to apply live. */
bool config_diff_live(const struct config_diff *d);
/* ", "-joined names (d->restart or another list); malloc'd, "" when empty. */
char *config_diff_join(const struct strv *names);
/* Frees what d owns and zeroes it. */
void config_diff_free(struct config_diff *d);

#endif
