/* linkedca_types.c - the provisioner types and their fields on both sides (linkedca_int.h):
 * linkedca members in protobuf field order, ca.json members in step-ca's struct lc_field order. */
#include <stddef.h>

#include "config/linkedca_int.h"

#define END                                                                                        \
	{                                                                                          \
		NULL, NULL, K_STR, false, NULL, false                                              \
	}

static const struct lc_field f_jwk[] = {
    {"publicKey", "key", K_JWK, true, NULL, false},
    {"encryptedPrivateKey", "encryptedKey", K_BSTR, false, NULL, false},
    END};
static const char *const o_jwk[] = {"type",   "name",	 "key", "encryptedKey",
				    "claims", "options", NULL};

static const struct lc_field f_oidc[] = {
    {"clientId", "clientID", K_STR, true, NULL, false},
    {"clientSecret", "clientSecret", K_STR, true, NULL, false},
    {"configurationEndpoint", "configurationEndpoint", K_STR, true, NULL, false},
    {"admins", "admins", K_STRS, false, NULL, false},
    {"domains", "domains", K_STRS, false, NULL, false},
    {"groups", "groups", K_STRS, false, NULL, false},
    {"listenAddress", "listenAddress", K_STR, false, NULL, false},
    {"tenantId", "tenantID", K_STR, false, NULL, false},
    {"scopes", "scopes", K_STRS, false, NULL, false},
    {"authParams", "authParams", K_STRS, false, NULL, false},
    END};
static const char *const o_oidc[] = {
    "type",	"name",	   "clientID", "clientSecret", "configurationEndpoint",
    "tenantID", "admins",  "domains",  "groups",       "listenAddress",
    "claims",	"options", "scopes",   "authParams",   NULL};

static const struct lc_field f_gcp[] = {
    {"serviceAccounts", "serviceAccounts", K_STRS, false, NULL, false},
    {"projectIds", "projectIDs", K_STRS, false, NULL, false},
    {"disableCustomSans", "disableCustomSANs", K_BOOL, true, NULL, false},
    {"disableTrustOnFirstUse", "disableTrustOnFirstUse", K_BOOL, true, NULL, false},
    {"instanceAge", "instanceAge", K_DUR, true, NULL, false},
    {"disableSshCaUser", "disableSSHCAUser", K_OPTBOOL, false, NULL, false},
    {"disableSshCaHost", "disableSSHCAHost", K_OPTBOOL, false, NULL, false},
    {"organizationId", "organizationID", K_STR, false, NULL, false},
    END};
static const char *const o_gcp[] = {"type",
				    "name",
				    "serviceAccounts",
				    "projectIDs",
				    "organizationID",
				    "disableCustomSANs",
				    "disableTrustOnFirstUse",
				    "disableSSHCAUser",
				    "disableSSHCAHost",
				    "instanceAge",
				    "claims",
				    "options",
				    NULL};

static const struct lc_field f_aws[] = {
    {"accounts", "accounts", K_STRS, true, NULL, false},
    {"disableCustomSans", "disableCustomSANs", K_BOOL, true, NULL, false},
    {"disableTrustOnFirstUse", "disableTrustOnFirstUse", K_BOOL, true, NULL, false},
    {"instanceAge", "instanceAge", K_DUR, true, NULL, false},
    {NULL, "imdsVersions", K_NULL, true, NULL, false},
    END};
static const char *const o_aws[] = {"type",
				    "name",
				    "accounts",
				    "disableCustomSANs",
				    "disableTrustOnFirstUse",
				    "imdsVersions",
				    "instanceAge",
				    "iidRoots",
				    "claims",
				    "options",
				    NULL};

static const struct lc_field f_azure[] = {
    {"tenantId", "tenantID", K_STR, true, NULL, false},
    {"resourceGroups", "resourceGroups", K_STRS, true, NULL, false},
    {"audience", "audience", K_STR, false, NULL, false},
    {"disableCustomSans", "disableCustomSANs", K_BOOL, true, NULL, false},
    {"disableTrustOnFirstUse", "disableTrustOnFirstUse", K_BOOL, true, NULL, false},
    {"subscriptionIds", "subscriptionIDs", K_STRS, true, NULL, false},
    {"objectIds", "objectIDs", K_STRS, true, NULL, false},
    END};
static const char *const o_azure[] = {
    "type",	 "name",     "tenantID",	  "resourceGroups",	    "subscriptionIDs",
    "objectIDs", "audience", "disableCustomSANs", "disableTrustOnFirstUse", "claims",
    "options",	 NULL};

static const struct lc_field f_acme[] = {
    {"forceCn", "forceCN", K_BOOL, false, NULL, false},
    {"requireEab", "requireEAB", K_BOOL, false, NULL, false},
    {"challenges", "challenges", K_CHAL, false, NULL, false},
    {"attestationFormats", "attestationFormats", K_ATT, false, NULL, false},
    {"attestationRoots", "attestationRoots", K_PEMS, false, NULL, false},
    {"termsOfService", "termsOfService", K_STR, false, NULL, false},
    {"website", "website", K_STR, false, NULL, false},
    {"caaIdentities", "caaIdentities", K_STRS, false, NULL, false},
    END};
static const char *const o_acme[] = {
    "type",	     "name",	   "forceCN",	 "termsOfService",     "website",
    "caaIdentities", "requireEAB", "challenges", "attestationFormats", "attestationRoots",
    "claims",	     "options",	   NULL};

static const struct lc_field f_x5c[] = {{"roots", "roots", K_PEMS, true, NULL, true}, END};
static const char *const o_x5c[] = {"type", "name", "roots", "claims", "options", NULL};

static const struct lc_field f_k8ssa[] = {{"publicKeys", "publicKeys", K_PEMS, false, NULL, true},
					  END};
static const char *const o_k8ssa[] = {"type", "name", "publicKeys", "claims", "options", NULL};

static const struct lc_field f_sshpop[] = {END};
static const char *const o_sshpop[] = {"type", "name", "claims", NULL};

static const struct lc_field f_scep[] = {
    {"forceCn", "forceCN", K_BOOL, false, NULL, false},
    {"challenge", "challenge", K_STR, false, NULL, false},
    {"capabilities", "capabilities", K_STRS, false, NULL, false},
    {"minimumPublicKeyLength", "minimumPublicKeyLength", K_INT, false, NULL, false},
    {"includeRoot", "includeRoot", K_BOOL, false, NULL, false},
    {"encryptionAlgorithmIdentifier", "encryptionAlgorithmIdentifier", K_INT, false, NULL, false},
    {"certificate", "decrypterCertificate", K_B64, false, "decrypter", false},
    {"key", "decrypterKeyPEM", K_B64, false, "decrypter", false},
    {"keyUri", "decrypterKey", K_STR, false, "decrypter", false},
    {"keyPassword", "decrypterKeyPassword", K_BSTR, false, "decrypter", false},
    {"excludeIntermediate", "excludeIntermediate", K_BOOL, false, NULL, false},
    END};
static const char *const o_scep[] = {"type",
				     "name",
				     "forceCN",
				     "challenge",
				     "capabilities",
				     "includeRoot",
				     "excludeIntermediate",
				     "minimumPublicKeyLength",
				     "decrypterCertificate",
				     "decrypterKeyPEM",
				     "decrypterKey",
				     "decrypterKeyPassword",
				     "encryptionAlgorithmIdentifier",
				     "options",
				     "claims",
				     NULL};

static const struct lc_field f_nebula[] = {{"roots", "roots", K_PEMS, true, NULL, false}, END};
static const char *const o_nebula[] = {"type", "name", "roots", "claims", "options", NULL};

/* Indexed by linkedca.Provisioner.Type (0 NOOP has no entry). */
const struct lc_ptype lc_ptypes[] = {
    {"NOOP", NULL, NULL, NULL, false},		{"JWK", "JWK", f_jwk, o_jwk, true},
    {"OIDC", "OIDC", f_oidc, o_oidc, true},	{"GCP", "GCP", f_gcp, o_gcp, true},
    {"AWS", "AWS", f_aws, o_aws, true},		{"AZURE", "Azure", f_azure, o_azure, true},
    {"ACME", "ACME", f_acme, o_acme, true},	{"X5C", "X5C", f_x5c, o_x5c, true},
    {"K8SSA", "K8sSA", f_k8ssa, o_k8ssa, true}, {"SSHPOP", "SSHPOP", f_sshpop, o_sshpop, false},
    {"SCEP", "SCEP", f_scep, o_scep, true},	{"NEBULA", "Nebula", f_nebula, o_nebula, true},
};
const int lc_nptypes = (int)(sizeof(lc_ptypes) / sizeof(lc_ptypes[0]));

/* linkedca enum names and their ca.json strings; index = enum number. */
const char *const lc_chal_lc[] = {"UNKNOWN",	 "HTTP_01",	     "DNS_01",
				  "TLS_ALPN_01", "DEVICE_ATTEST_01", NULL};
const char *const lc_chal_cfg[] = {NULL,	  "http-01",	      "dns-01",
				   "tls-alpn-01", "device-attest-01", NULL};
const char *const lc_att_lc[] = {"NONE", "APPLE", "STEP", "TPM", NULL};
const char *const lc_att_cfg[] = {NULL, "apple", "step", "tpm", NULL};
