/* store.c - picks the persistence back end named in ca.json's "db.type". */
#include "store/store.h"

#include <string.h>

#include "store/sqlite.h"

int store_open(const char *type, const char *data_source, struct store **out, struct error *err)
{
	*out = NULL;
	if (type != NULL && strcmp(type, "sqlite") == 0)
		return store_sqlite_open(data_source, out, err);
	return err_set(err, ERR_INVALID,
		       "unsupported database type '%s': supported types are sqlite",
		       type != NULL ? type : "");
}
