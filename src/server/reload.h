/* reload.h - SIGHUP: stride-ca reads ca.json again and applies what can change while it runs.
 *
 * A reload reads the file the server started with, with the loader and checks of the start
 * (ca_config_load, the provisioners, the TLS settings, ...). A file with any error changes
 * nothing: one log line gives the file and the reason. Otherwise these apply at once, without
 * dropping a connection:
 *   - authority.provisioners, authority.policy (without remote administration: with it they
 *     come from the database), authority.claims: operations that start afterwards use them;
 *   - tls: new connections get a new TLS context, existing ones keep theirs;
 *   - limits: new connections and the requests and phases that start afterwards;
 *   - the sections of the registered hooks (server_reload_register): stride-ca registers
 *     "crl" and "ocsp" (revocation_reload.h: their settings, and the CRL Distribution Point and
 *     AIA OCSP URL of the next leaves; crl.enabled and ocsp.enabled need a restart, which
 *     their hook logs).
 * Any other changed member (address, root, crt, key, db, dnsNames, ssh, ...) needs a restart:
 * the server keeps its old value and logs one line naming those members. The token replay
 * state, the store and the connections are never touched.
 *
 * Requests in flight hold references to what they use (the provisioner snapshot, the SSL_CTX of
 * their connection, the limits, the CRL and OCSP settings and the leaves' URLs, which are kept
 * until the server, CRL service, responder or authority is freed): a reload never waits
 * for them, and the signing path takes no lock of the reload.
 */
#ifndef STRIDE_SERVER_RELOAD_H
#define STRIDE_SERVER_RELOAD_H

#include <stdbool.h>

#include "base/error.h"
#include "config/ca_config.h"
#include "server/server.h"

/* When a hook runs during a reload. */
enum server_reload_phase {
	SERVER_RELOAD_BEGIN, /* before the file is read (sd_notify RELOADING=1, reopen a log) */
	SERVER_RELOAD_CHECK, /* the new file is valid so far; a hook may refuse it (-1 with err):
			      * then nothing at all is applied */
	SERVER_RELOAD_APPLY, /* every check passed: apply (the return value is ignored; a hook
			      * logs its own trouble) */
	SERVER_RELOAD_END,   /* the reload is over, applied or not (sd_notify READY=1) */
};

struct server_reload_event {
	enum server_reload_phase phase;
	const struct ca_config *running; /* the configuration applied until now (never NULL) */
	const struct ca_config *next;	 /* the new one: CHECK, APPLY, and END when applied;
					  * NULL otherwise. Borrowed: a hook copies what it keeps
					  * (it lives until the next reload is applied). */
	bool changed;			 /* CHECK, APPLY: the hook's section differs */
	bool ok;			 /* END: the new configuration was applied */
};

/* A reload hook: ctx is the one registered. */
typedef int (*server_reload_fn)(void *ctx, const struct server_reload_event *ev, struct error *err);

/* Adds a hook, run at every phase of every reload in the order of registration, on the thread
 * that reloads (the server's main loop; never a worker's). section (copied; may be NULL) is the
 * top-level ca.json member the hook applies live ("crl", "ocsp"): its changes are then not
 * reported as needing a restart. Any thread, at any time: it takes part from the next reload. */
void server_reload_register(struct server *s, const char *section, server_reload_fn fn, void *ctx);
/* Reloads ca.json now, as SIGHUP does (logged the same way): 0 when the file was applied (maybe
 * partly: members that need a restart), -1 with err when it was refused (nothing changed).
 * One reload at a time; call it while server_run runs (SIGHUP does, on the main loop). */
int server_reload(struct server *s, struct error *err);

#endif
