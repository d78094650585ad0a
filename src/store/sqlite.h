/* sqlite.h - the embedded SQLite back end of store.h. */
#ifndef STRIDE_STORE_SQLITE_H
#define STRIDE_STORE_SQLITE_H

#include "store/store.h"

/* Current schema version (PRAGMA user_version) written by this build. */
#define STORE_SQLITE_SCHEMA_VERSION 5

/* Opens (creating if needed, mode 0600, parent directory 0700) the SQLite database at path; an
 * existing directory means <dir>/stride.db. *out is owned by the caller (store_close). */
int store_sqlite_open(const char *path, struct store **out, struct error *err);

#endif
