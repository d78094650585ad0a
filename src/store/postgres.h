/* postgres.h - the PostgreSQL back end of store.h, through libpq
 * (`"db": {"type": "postgresql", "dataSource": URL, "database": NAME}`).
 *
 * Several stride-ca processes may share one database: the rules of store.h (token replay,
 * lineage, blocked keys) hold across them. Reads may wait on the network (store.remote).
 */
#ifndef STRIDE_STORE_POSTGRES_H
#define STRIDE_STORE_POSTGRES_H

#include "store/store.h"

/* Current schema version (the newest row of stride_schema_migrations) written by this build. */
#define STORE_PG_SCHEMA_VERSION 1

/* Opens the database cfg->database (NULL: the one of the URL cfg->data_source) on the server of
 * cfg->data_source, creating the database when it does not exist and migrating its schema when
 * it is older than this build's. *out is owned by the caller (store_close). Messages never
 * contain the password of the URL. */
int store_pg_open(const struct store_config *cfg, struct store **out, struct error *err);

#endif
