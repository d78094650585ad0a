/* store.h - the one interface for persistence.
 *
 * Back ends: SQLite (embedded default, `"db": {"type":"sqlite"}`), PostgreSQL
 * later. All operations are safe to call from several threads at once.
 * A certificate is durable (committed) when store_put_cert returns 0.
 */
#ifndef STRIDE_STORE_STORE_H
#define STRIDE_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct store;

struct cert_record {
	const char *serial; /* decimal */
	const uint8_t *der;
	size_t der_len;
	const char *prov_id;   /* e.g. "jwk/<name>" style id, may be NULL */
	const char *prov_name; /* may be NULL */
	const char *prov_type; /* "JWK", "X5C", ... may be NULL */
	int64_t not_after_ns;
	const char *parent_serial; /* the certificate this one renews, or NULL */
};

struct revocation {
	const char *serial; /* decimal */
	const char *prov_id;
	int reason_code;
	const char *reason;
	int64_t revoked_at_ns;
	int64_t expires_at_ns;
	const char *token_id;
	bool mtls;
};

struct store_ops {
	/* Records a used token key; *already_used is set (and nothing changes) if it was there. */
	int (*use_token)(struct store *s, const char *key, const char *token, bool *already_used,
			 struct error *err);
	/* Stores an issued certificate durably. */
	int (*put_cert)(struct store *s, const struct cert_record *rec, struct error *err);
	/* Looks a certificate up by decimal serial: *found, and provisioner name/type copied out
	 * (malloc'd, may be NULL). */
	int (*get_cert_provisioner)(struct store *s, const char *serial, bool *found,
				    char **prov_name, char **prov_type, struct error *err);
	/* Inserts a revocation if absent, together with revocations of every certificate
	 * renewed from it; *already_revoked set when the serial was revoked already. */
	int (*revoke)(struct store *s, const struct revocation *rev, bool *already_revoked,
		      struct error *err);
	/* Whether a serial is revoked. */
	int (*is_revoked)(struct store *s, const char *serial, bool *revoked, struct error *err);
	/* Closes and frees. */
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
};

/* Opens the back end named by type ("sqlite") at data_source. Unknown type -> ERR_INVALID
 * "unsupported database type '<t>': supported types are sqlite". */
int store_open(const char *type, const char *data_source, struct store **out, struct error *err);
/* An in-memory store (no "db" in ca.json): replay protection until restart, no revocation. */
int store_open_memory(struct store **out, struct error *err);

static inline void store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

#endif
