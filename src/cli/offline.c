/* offline.c - running the authority in-process. */
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/password.h"
#include "cli/offline.h"
#include "config/ca_config.h"
#include "crypto/key.h"
#include "store/store.h"

int offline_authority_open(const char *ca_config, const char *password_file, struct authority **out,
			   struct error *err)
{
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct store_config db;
	char *password = NULL;
	int rc = -1;

	if (ca_config_load(ca_config, &cfg, err) != 0)
		goto out;
	if (cfg->provisioners == NULL || json_array_size(cfg->provisioners) == 0) {
		err_set(err, ERR_INVALID, "error parsing %s: no provisioners found", ca_config);
		goto out;
	}
	if (key_file_password(cfg->key, password_file, cfg->password, &password, err) != 0)
		goto out;
	/* The "issued before the CA started" rule protects a server whose replay records may
	 * have been lost in a restart. In-process, the token is made moments before the
	 * authority exists, so the rule would refuse every offline token. */
	cfg->disable_issued_at_check = true;
	db = (struct store_config){cfg->db_type, cfg->db_data_source, cfg->db_database};
	if (cfg->has_db ? store_open(&db, &store, err) : store_open_memory(&store, err))
		goto out;
	if (authority_new(cfg, password, store, out, err) != 0)
		goto out;
	cfg = NULL;
	store = NULL;
	rc = 0;
out:
	password_free(password);
	store_close(store);
	ca_config_free(cfg);
	return rc;
}

char *offline_ca_url(const struct authority *a)
{
	const char *h = authority_config(a)->dns_names.v[0];

	return xasprintf(strchr(h, ':') != NULL ? "https://[%s]" : "https://%s", h);
}
