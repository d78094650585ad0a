/* offline.h - the authority in-process, for `--offline` (as step's CLI does). */
#ifndef STRIDE_CLI_OFFLINE_H
#define STRIDE_CLI_OFFLINE_H

#include "authority/authority.h"
#include "base/error.h"

/* Loads ca_config (must have at least one provisioner), opens its store and builds the
 * authority. The intermediate key password comes from password_file when given, else from
 * ca.json's "password", else a terminal prompt. */
int offline_authority_open(const char *ca_config, const char *password_file, struct authority **out,
			   struct error *err);

/* The CA URL offline mode uses: https://<dnsNames[0]> (IPv6 bracketed); malloc'd. */
char *offline_ca_url(const struct authority *a);

#endif
