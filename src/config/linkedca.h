/* linkedca.h - step's two spellings of a provisioner: ca.json's (authority.provisioners[]) and
 * the admin API's (smallstep/linkedca's Provisioner message as protobuf-JSON), and the admin
 * API's JSON forms of admins (admin.md §4).
 *
 * The admin API takes and returns the linkedca form; stride-ca keeps and serves provisioners in
 * the ca.json form (the same objects as GET /provisioners), so both the server and
 * `stride ca provisioner add/update` convert with these functions. Pure JSON: no I/O, no keys
 * are generated or decrypted here.
 */
#ifndef STRIDE_CONFIG_LINKEDCA_H
#define STRIDE_CONFIG_LINKEDCA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* The ca.json object of a linkedca Provisioner (admin.md §4.2): type the enum name as step-ca
 * writes it ("JWK", "ACME", "X5C", "K8SSA", "AZURE", "NEBULA", ...; readers take any case),
 * name, the details of its one "details" key
 * mapped to ca.json fields (JWK publicKey -> "key" (the decoded JWK object), encryptedPrivateKey
 * -> "encryptedKey"; X5C roots -> "roots" (base64 of the PEMs joined with "\n"); ACME forceCn,
 * requireEab, challenges ("HTTP_01" -> "http-01"), ...), claims mapped to ca.json claims with
 * disableRenewal, allowRenewalAfterExpiry and disableSmallstepExtensions always written (as
 * explicit false when unset, as step-ca does), x509Template/sshTemplate to
 * options.x509/options.ssh ({"template":<decoded text>,"templateData":<decoded JSON>}).
 * Request bodies may spell members in camelCase or snake_case and enums by name or number.
 * "id", "authorityId", "createdAt", "deletedAt", "policy" and "webhooks" are not part of the
 * ca.json object (the caller keeps them). A missing or malformed member is ERR_INVALID with a
 * message naming it (step-ca: "error converting to certificates provisioner from linkedca
 * provisioner: ..."). *out is a new reference. */
int linkedca_to_config(const json_t *lc, json_t **out, struct error *err);

/* The linkedca Provisioner of a ca.json object: the inverse of linkedca_to_config, with the
 * members step-ca's protobuf-JSON gives (camelCase, enums by name, bytes as standard base64,
 * zero values omitted). Only inline templates (options.x509/ssh.template) are converted:
 * step-ca reads a templateFile here, the caller inlines it first if it wants it. id (may be
 * NULL) is added as "id"; created_at_ns (0: none) as
 * "createdAt" (RFC 3339); with_meta adds "authorityId" (all zeroes, standalone) and
 * "deletedAt":"0001-01-01T00:00:00Z" as step-ca's GET shows them. An unknown type is
 * ERR_INVALID. *out is a new reference. */
int linkedca_from_config(const json_t *cfg, const char *id, int64_t created_at_ns, bool with_meta,
			 json_t **out, struct error *err);

/* Admin types (linkedca.Admin_Type). */
enum linkedca_admin_type {
	LINKEDCA_ADMIN_UNKNOWN = 0,
	LINKEDCA_ADMIN = 1,
	LINKEDCA_SUPER_ADMIN = 2
};
/* "UNKNOWN", "ADMIN", "SUPER_ADMIN". */
const char *linkedca_admin_type_name(int type);

/* An admin as the admin API returns one (P form, admin.md §4.1):
 * {"id","authorityId","subject","provisionerId","type":"ADMIN"|"SUPER_ADMIN"}; created_at_ns
 * 0: no "createdAt". New reference. */
json_t *linkedca_admin_p(const char *id, const char *subject, const char *provisioner_id, int type,
			 int64_t created_at_ns);
/* The same inside GET /admin/admins (J form): snake_case names, type as a number,
 * "created_at":{"seconds":N} and "deleted_at":{"seconds":-62135596800}. New reference. */
json_t *linkedca_admin_j(const char *id, const char *subject, const char *provisioner_id, int type,
			 int64_t created_at_ns);

/* Puts the members of a ca.json provisioner object in the order step-ca writes them (its
 * provisioner type's field order; members it does not know come after). Unknown types are left
 * as they are. */
void linkedca_config_order(json_t *cfg);

#endif
