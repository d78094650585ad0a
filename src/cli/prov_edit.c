/* prov_edit.c - `ca provisioner add/update` flags -> a provisioner in ca.json's spelling, as
 * step's newest CLI builds it (admin.md §6.1) and step-ca writes it (its provisioner structs'
 * field order, omitempty members left out). See prov_edit.h. */
#include "cli/prov_edit.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/password.h"
#include "base/str.h"
#include "cli/admin_cli.h"
#include "cli/ui.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "jose/jwe.h"
#include "jose/jwk.h"

#define PROV_FILE_MAX	       (1024u * 1024u)
#define GENERATED_PASSWORD_LEN 32
#define JWK_PASSWORD_PROMPT                                                                        \
	"Please enter a password to encrypt the provisioner private key? [leave empty and we'll "  \
	"generate one]"
#define TYPE_OPTIONS "JWK, ACME, OIDC, SSHPOP, K8SSA, NEBULA, SCEP, AWS, GCP, AZURE"

/* --- flags ------------------------------------------------------------------------------------ */

#define DUR_HELP                                                                                   \
	" Value must be a sequence of decimal numbers, each with optional fraction, and a unit "   \
	"suffix, such as \"300ms\", \"-1.5h\" or \"2h45m\". Valid time units are \"ns\", \"us\" "  \
	"(or \"µs\"), \"ms\", \"s\", \"m\", \"h\"."
#define S(n, ph, h)                                                                                \
	{                                                                                          \
		.name = (n), .type = FLAG_STRING, .placeholder = (ph), .help = (h)                 \
	}
#define B(n, h)                                                                                    \
	{                                                                                          \
		.name = (n), .type = FLAG_BOOL, .help = (h)                                        \
	}
#define L(n, ph, h)                                                                                \
	{                                                                                          \
		.name = (n), .type = FLAG_LIST, .placeholder = (ph), .help = (h)                   \
	}

/* Flags add and update share (step's lists, in its order). */
#define PROV_COMMON_FLAGS                                                                          \
	S("public-key", "file",                                                                    \
	  "The file containing the JWK public key. Or, a file containing one or more PEM "         \
	  "formatted keys, if used with the K8SSA provisioner."),                                  \
	    B("create", "Create the JWK key pair for the provisioner."),                           \
	    S("private-key", "file", "The file containing the JWK private key."),                  \
	    S("client-id", "id",                                                                   \
	      "The id used to validate the audience in an OpenID Connect token."),                 \
	    S("client-secret", "secret", "The secret used to obtain the OpenID Connect tokens."),  \
	    S("listen-address", "address",                                                         \
	      "The callback address used in the OpenID Connect flow (e.g. \":10000\")"),           \
	    S("configuration-endpoint", "url", "OpenID Connect configuration url."),               \
	    L("admin", "email",                                                                    \
	      "The email of an admin user in an OpenID Connect provisioner, this user will not "   \
	      "have restrictions in the certificates to sign. Repeat the flag for several."),      \
	    L("domain", "domain",                                                                  \
	      "The domain used to validate the email claim in an OpenID Connect provisioner. "     \
	      "Repeat the flag for several."),                                                     \
	    L("group", "group",                                                                    \
	      "The group list used to validate the groups extension in an OpenID Connect token. "  \
	      "Repeat the flag for several."),                                                     \
	    S("tenant-id", "tenant-id",                                                            \
	      "The tenant-id used to replace the templatized tenantid value in the OpenID "        \
	      "Configuration."),                                                                   \
	    L("scope", "scope",                                                                    \
	      "The scope list used to validate the scopes extension in an OpenID Connect token. "  \
	      "Repeat the flag for several."),                                                     \
	    L("auth-param", "auth-param",                                                          \
	      "The auth-param list used to validate the auth-params extension in an OpenID "       \
	      "Connect token. Repeat the flag for several."),                                      \
	    {.name = "x5c-roots",                                                                  \
	     .aliases = "x5c-root",                                                                \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "file",                                                                \
	     .help = "PEM-formatted root certificate(s) file used to validate the signature on "   \
		     "X5C provisioning tokens."},                                                  \
	    S("nebula-root", "file",                                                               \
	      "Root certificate (chain) file used to validate the signature on Nebula "            \
	      "provisioning tokens."),                                                             \
	    B("require-eab", "Require (and enable) External Account Binding (EAB) for Account "    \
			     "creation. If this flag is set to false, then disable EAB."),         \
	    B("force-cn", "Always set the common name in provisioned certificates."),              \
	    L("challenge", "challenge",                                                            \
	      "With a SCEP provisioner the challenge is a shared secret between a client and the " \
	      "CA. With an ACME provisioner, the challenge to enable (http-01, dns-01, "           \
	      "tls-alpn-01, device-attest-01); repeat the flag for several. Without any, "         \
	      "http-01, dns-01 and tls-alpn-01 are enabled."),                                     \
	    L("attestation-format", "format",                                                      \
	      "Enable an ACME attestation statement format (apple, step, tpm) in the "             \
	      "provisioner. Repeat the flag for several."),                                        \
	    L("attestation-roots", "file",                                                         \
	      "PEM-formatted root certificate(s) file used to validate the attestation "           \
	      "certificates. Repeat the flag to read from several files."),                        \
	    L("capabilities", "capabilities", "The SCEP capabilities to advertise"),               \
	    B("include-root", "Include the CA root certificate in the SCEP CA certificate chain"), \
	    B("exclude-intermediate",                                                              \
	      "Exclude the CA intermediate certificate in the SCEP CA certificate chain"),         \
	    S("min-public-key-length", "length",                                                   \
	      "The minimum public key length of the SCEP RSA encryption key"),                     \
	    S("encryption-algorithm-identifier", "id",                                             \
	      "The id for the SCEP encryption algorithm to use (0 DES-CBC, 1 AES-128-CBC, 2 "      \
	      "AES-256-CBC, 3 AES-128-GCM, 4 AES-256-GCM)."),                                      \
	    S("scep-decrypter-certificate-file", "file",                                           \
	      "The path to a PEM certificate file for the SCEP decrypter"),                        \
	    S("scep-decrypter-key-file", "file",                                                   \
	      "The path to a PEM private key file for the SCEP decrypter"),                        \
	    S("scep-decrypter-key-uri", "uri",                                                     \
	      "The key uri for the SCEP decrypter. Should be a valid value for the KMS type "      \
	      "used."),                                                                            \
	    S("scep-decrypter-key-password-file", "file",                                          \
	      "The path to a file containing the password for the SCEP decrypter key"),            \
	    L("aws-account", "id",                                                                 \
	      "The AWS account id used to validate the identity documents. Repeat the flag for "   \
	      "several."),                                                                         \
	    S("azure-tenant", "id",                                                                \
	      "The Microsoft Azure tenant id used to validate the identity tokens."),              \
	    L("azure-resource-group", "name",                                                      \
	      "The Microsoft Azure resource group name used to validate the identity tokens. "     \
	      "Repeat the flag for several."),                                                     \
	    S("azure-audience", "name",                                                            \
	      "The Microsoft Azure audience name used to validate the identity tokens."),          \
	    L("azure-subscription-id", "id",                                                       \
	      "The Microsoft Azure subscription id used to validate the identity tokens. Repeat "  \
	      "the flag for several."),                                                            \
	    L("azure-object-id", "id",                                                             \
	      "The Microsoft Azure AD object id used to validate the identity tokens. Repeat the " \
	      "flag for several."),                                                                \
	    L("gcp-service-account", "email",                                                      \
	      "The Google service account email or id used to validate the identity tokens. "      \
	      "Repeat the flag for several."),                                                     \
	    L("gcp-project", "id",                                                                 \
	      "The Google project id used to validate the identity tokens. Repeat the flag for "   \
	      "several."),                                                                         \
	    S("gcp-organization", "id",                                                            \
	      "The Google organization id used to validate the project in the identity tokens."),  \
	    S("instance-age", "duration",                                                          \
	      "The maximum duration to grant a certificate in AWS and GCP "                        \
	      "provisioners." DUR_HELP),                                                           \
	    B("disable-custom-sans",                                                               \
	      "On cloud provisioners, if enabled only the internal DNS and IP will be added as a " \
	      "SAN. By default it will accept any SAN in the CSR."),                               \
	    {.name = "disable-trust-on-first-use",                                                 \
	     .aliases = "disable-tofu",                                                            \
	     .type = FLAG_BOOL,                                                                    \
	     .help = "On cloud provisioners, if enabled multiple sign request for this "           \
		     "provisioner with the same instance will be accepted. By default only the "   \
		     "first request will be accepted."},                                           \
	    B("disable-ssh-ca-user", "Disable ability to sign SSH user certificates"),             \
	    B("disable-ssh-ca-host", "Disable ability to sign SSH host certificates"),             \
	    S("x509-template", "file",                                                             \
	      "The x509 certificate template file, a JSON representation of the certificate to "   \
	      "create."),                                                                          \
	    S("x509-template-data", "file",                                                        \
	      "The x509 certificate template data file, a JSON map of data that can be used by "   \
	      "the certificate template."),                                                        \
	    S("ssh-template", "file",                                                              \
	      "The ssh certificate template file, a JSON representation of the certificate to "    \
	      "create."),                                                                          \
	    S("ssh-template-data", "file",                                                         \
	      "The ssh certificate template data file, a JSON map of data that can be used by "    \
	      "the certificate template."),                                                        \
	    S("x509-min-dur", "duration",                                                          \
	      "The minimum duration for an x509 certificate generated by this "                    \
	      "provisioner." DUR_HELP),                                                            \
	    S("x509-max-dur", "duration",                                                          \
	      "The maximum duration for an x509 certificate generated by this "                    \
	      "provisioner." DUR_HELP),                                                            \
	    S("x509-default-dur", "duration",                                                      \
	      "The default duration for an x509 certificate generated by this "                    \
	      "provisioner." DUR_HELP),                                                            \
	    S("ssh-user-min-dur", "duration",                                                      \
	      "The minimum duration for an ssh user certificate generated by this "                \
	      "provisioner." DUR_HELP),                                                            \
	    S("ssh-user-max-dur", "duration",                                                      \
	      "The maximum duration for an ssh user certificate generated by this "                \
	      "provisioner." DUR_HELP),                                                            \
	    S("ssh-user-default-dur", "duration",                                                  \
	      "The default duration for an ssh user certificate generated by this "                \
	      "provisioner." DUR_HELP),                                                            \
	    S("ssh-host-min-dur", "duration",                                                      \
	      "The minimum duration for an ssh host certificate generated by this "                \
	      "provisioner." DUR_HELP),                                                            \
	    S("ssh-host-max-dur", "duration",                                                      \
	      "The maximum duration for an ssh host certificate generated by this "                \
	      "provisioner." DUR_HELP),                                                            \
	    S("ssh-host-default-dur", "duration",                                                  \
	      "The default duration for an ssh host certificate generated by this "                \
	      "provisioner." DUR_HELP),                                                            \
	    B("disable-renewal", "Disable renewal for all certificates generated by this "         \
				 "provisioner."),                                                  \
	    B("allow-renewal-after-expiry",                                                        \
	      "Allow renewals for expired certificates generated by this provisioner."),           \
	    B("disable-smallstep-extensions",                                                      \
	      "Disable the Smallstep extension for all certificates generated by this "            \
	      "provisioner."),                                                                     \
	    B("ssh", "Enable provisioning of ssh certificates. The default value is true. To "     \
		     "disable ssh use '--ssh=false'."),                                            \
	    S("admin-cert", "file", "The admin certificate (chain) used to sign admin tokens."),   \
	    S("admin-key", "file", "The private key of --admin-cert."),                            \
	    {.name = "admin-subject",                                                              \
	     .aliases = "admin-name",                                                              \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "subject",                                                             \
	     .help = "The admin subject to use for generating admin credentials."},                \
	    {.name = "admin-provisioner",                                                          \
	     .aliases = "admin-issuer",                                                            \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "name",                                                                \
	     .help = "The provisioner name to use for generating admin credentials."},             \
	    S("admin-password-file", "file",                                                       \
	      "The file with the password of the admin provisioner's key."),                       \
	    S("password-file", "file",                                                             \
	      "The file with the password that encrypts the provisioner's JWK private key."),      \
	    CLI_FLAG_CA_URL, CLI_FLAG_ROOT, CLI_FLAG_CONTEXT, CLI_FLAG_CA_CONFIG

const struct flag_def prov_add_flags[] = {
    {.name = "type",
     .type = FLAG_STRING,
     .placeholder = "type",
     .def = "JWK",
     .help = "The type of provisioner to create, case-insensitive: JWK (default), OIDC, AWS, "
	     "GCP, Azure, ACME, X5C, K8SSA, SSHPOP, SCEP or Nebula."},
    PROV_COMMON_FLAGS,
    FLAG_END,
};

const struct flag_def prov_update_flags[] = {
    S("name", "name", "The new name for the provisioner."),
    PROV_COMMON_FLAGS,
    L("remove-admin", "email",
      "Remove the email of an admin user of an OpenID Connect "
      "provisioner. Repeat the flag for several."),
    L("remove-domain", "domain",
      "Remove a domain of an OpenID Connect provisioner. Repeat the "
      "flag for several."),
    L("remove-scope", "scope",
      "Remove a scope of an OpenID Connect provisioner. Repeat the "
      "flag for several."),
    L("remove-challenge", "challenge",
      "Remove an ACME challenge from the list configured in "
      "the provisioner. Repeat the flag for several."),
    L("remove-attestation-format", "format",
      "Remove an ACME attestation statement format from the list configured in the "
      "provisioner. Repeat the flag for several."),
    L("remove-aws-account", "id", "Remove an AWS account id. Repeat the flag for several."),
    L("remove-gcp-service-account", "email",
      "Remove a Google service account. Repeat the flag for several."),
    L("remove-gcp-project", "id", "Remove a Google project id. Repeat the flag for several."),
    L("remove-azure-resource-group", "name",
      "Remove a Microsoft Azure resource group. Repeat the flag for several."),
    L("remove-azure-subscription-id", "id",
      "Remove a Microsoft Azure subscription id. Repeat the flag for several."),
    L("remove-azure-object-id", "id",
      "Remove a Microsoft Azure AD object id. Repeat the flag for several."),
    FLAG_END,
};

/* --- layout ------------------------------------------------------------------------------------
 */

static const char *const types[] = {"JWK", "OIDC",  "GCP",    "AWS",  "AZURE",	"ACME",
				    "X5C", "K8SSA", "SSHPOP", "SCEP", "NEBULA", NULL};

const char *prov_type_canonical(const char *type)
{
	if (type == NULL)
		return NULL;
	for (size_t i = 0; types[i] != NULL; i++)
		if (str_eq_nocase(types[i], type))
			return types[i];
	return NULL;
}

/* step-ca's field order per type (its provisioner structs). */
static const char *const order_jwk[] = {"type",	  "name",    "key", "encryptedKey",
					"claims", "options", NULL};
static const char *const order_x5c[] = {"type", "name", "roots", "claims", "options", NULL};
static const char *const order_acme[] = {
    "type",	     "name",	   "forceCN",	 "termsOfService",     "website",
    "caaIdentities", "requireEAB", "challenges", "attestationFormats", "attestationRoots",
    "claims",	     "options",	   NULL};
static const char *const order_sshpop[] = {"type", "name", "claims", NULL};
static const char *const order_oidc[] = {
    "type",	"name",	   "clientID", "clientSecret", "configurationEndpoint",
    "tenantID", "admins",  "domains",  "groups",       "listenAddress",
    "claims",	"options", "scopes",   "authParams",   NULL};
static const char *const order_k8ssa[] = {"type", "name", "publicKeys", "claims", "options", NULL};
static const char *const order_aws[] = {"type",
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
static const char *const order_gcp[] = {"type",
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
static const char *const order_azure[] = {
    "type",	 "name",     "tenantID",	  "resourceGroups",	    "subscriptionIDs",
    "objectIDs", "audience", "disableCustomSANs", "disableTrustOnFirstUse", "claims",
    "options",	 NULL};
static const char *const order_scep[] = {"type",
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
static const char *const order_options[] = {"x509", "ssh", "webhooks", "wire", NULL};
static const char *const order_template[] = {"template", "templateFile", "templateData", NULL};

/* Re-inserts obj's members: those named in order first, in that order, then the rest. */
static void reorder(json_t *obj, const char *const *order)
{
	json_t *copy = json_object(), *v;
	const char *k;
	void *tmp;

	for (size_t i = 0; order[i] != NULL; i++)
		if ((v = json_object_get(obj, order[i])) != NULL)
			json_object_set(copy, order[i], v);
	json_object_foreach_safe(obj, tmp, k, v)
	{
		if (json_object_get(copy, k) == NULL)
			json_object_set(copy, k, v);
	}
	json_object_clear(obj);
	json_object_foreach(copy, k, v) json_object_set(obj, k, v);
	json_decref(copy);
}

static const char *const *type_order(const char *type)
{
	if (strcmp(type, "JWK") == 0)
		return order_jwk;
	if (strcmp(type, "X5C") == 0)
		return order_x5c;
	if (strcmp(type, "ACME") == 0)
		return order_acme;
	if (strcmp(type, "SSHPOP") == 0)
		return order_sshpop;
	if (strcmp(type, "OIDC") == 0)
		return order_oidc;
	if (strcmp(type, "AWS") == 0)
		return order_aws;
	if (strcmp(type, "GCP") == 0)
		return order_gcp;
	if (strcmp(type, "AZURE") == 0)
		return order_azure;
	if (strcmp(type, "SCEP") == 0)
		return order_scep;
	return order_k8ssa;
}

/* --- small helpers -----------------------------------------------------------------------------
 */

static int read_file(const char *path, char **out, size_t *len, struct error *err)
{
	uint8_t *data = NULL;
	size_t n = 0;

	*out = NULL;
	if (file_read(path, PROV_FILE_MAX, &data, &n, err) != 0)
		return -1;
	*out = xrealloc(data, n + 1);
	(*out)[n] = '\0';
	if (len != NULL)
		*len = n;
	return 0;
}

/* Sets obj[key] = true, or removes it (Go's omitempty false). */
static void set_flag_bool(json_t *obj, const char *key, bool v)
{
	if (v)
		json_object_set_new(obj, key, json_true());
	else
		json_object_del(obj, key);
}

/* Sets obj[key] to a string, or removes it when s is NULL or empty (omitempty). */
static void set_str(json_t *obj, const char *key, const char *s)
{
	if (s != NULL && s[0] != '\0')
		json_object_set_new(obj, key, json_string(s));
	else
		json_object_del(obj, key);
}

/* Sets obj[key] to an array of strings, or removes it when empty (omitempty). */
static void set_list(json_t *obj, const char *key, json_t *arr)
{
	if (arr != NULL && json_array_size(arr) > 0)
		json_object_set(obj, key, arr);
	else
		json_object_del(obj, key);
	json_decref(arr);
}

/* A copy of obj[key] when it is an array of strings, else an empty array. */
static json_t *string_list(const json_t *obj, const char *key)
{
	json_t *arr = json_array(), *v, *src = json_object_get(obj, key);
	size_t i;

	json_array_foreach(src, i, v) if (json_is_string(v)) json_array_append(arr, v);
	return arr;
}

/* step's removeElements: drops the first element equal to each of rems. */
static void list_remove(json_t *arr, const struct strv *rems)
{
	for (size_t r = 0; r < rems->n; r++) {
		for (size_t i = 0; i < json_array_size(arr); i++) {
			if (strcmp(json_string_value(json_array_get(arr, i)), rems->v[r]) == 0) {
				json_array_remove(arr, i);
				break;
			}
		}
	}
}

static void list_append(json_t *arr, const struct strv *vals)
{
	for (size_t i = 0; i < vals->n; i++)
		json_array_append_new(arr, json_string(vals->v[i]));
}

/* The list flag name: removals (when remove_flag is declared and set) then additions. */
static void edit_list(struct cli_ctx *ctx, json_t *obj, const char *key, const char *add_flag,
		      const char *remove_flag)
{
	json_t *arr = string_list(obj, key);

	if (remove_flag != NULL && flag_defined(ctx, remove_flag))
		list_remove(arr, flag_list(ctx, remove_flag));
	list_append(arr, flag_list(ctx, add_flag));
	set_list(obj, key, arr);
}

/* The base64 of the PEM of certificates, each PEM ending in a newline, joined with sep. */
static char *certs_b64(STACK_OF(X509) * certs, const char *sep, struct error *err)
{
	struct strv pems = {0};
	char *pem = NULL, *joined = NULL, *b64 = NULL;
	size_t total = 1, off = 0;

	for (int i = 0; i < sk_X509_num(certs); i++) {
		if (cert_to_pem(sk_X509_value(certs, i), &pem, err) != 0)
			goto out;
		strv_push(&pems, pem);
		free(pem);
		pem = NULL;
		total += strlen(pems.v[pems.n - 1]) + strlen(sep);
	}
	joined = xmalloc(total);
	joined[0] = '\0';
	for (size_t i = 0; i < pems.n; i++) {
		if (i > 0) {
			memcpy(joined + off, sep, strlen(sep));
			off += strlen(sep);
		}
		memcpy(joined + off, pems.v[i], strlen(pems.v[i]));
		off += strlen(pems.v[i]);
	}
	joined[off] = '\0';
	b64 = b64_encode(joined, off);
out:
	free(joined);
	strv_free(&pems);
	return b64;
}

static bool has_key_cert_sign(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_KUSAGE) != 0 &&
	       (X509_get_key_usage(x) & KU_KEY_CERT_SIGN) != 0;
}

static char *common_name(X509 *x)
{
	char *cn = cert_common_name(x);

	return cn != NULL ? cn : xstrdup("");
}

/* --- claims ------------------------------------------------------------------------------------
 */

static const struct {
	const char *flag, *claim;
} dur_flags[] = {
    {"x509-min-dur", "minTLSCertDuration"},
    {"x509-max-dur", "maxTLSCertDuration"},
    {"x509-default-dur", "defaultTLSCertDuration"},
    {"ssh-user-min-dur", "minUserSSHCertDuration"},
    {"ssh-user-max-dur", "maxUserSSHCertDuration"},
    {"ssh-user-default-dur", "defaultUserSSHCertDuration"},
    {"ssh-host-min-dur", "minHostSSHCertDuration"},
    {"ssh-host-max-dur", "maxHostSSHCertDuration"},
    {"ssh-host-default-dur", "defaultHostSSHCertDuration"},
};
#define N_DUR (sizeof(dur_flags) / sizeof(dur_flags[0]))

/* The duration flags parse as Go durations (step's flags are Go duration flags). */
static int check_duration_flags(struct cli_ctx *ctx, struct error *err)
{
	int64_t d;

	for (size_t i = 0; i < N_DUR; i++) {
		const char *v = flag_str(ctx, dur_flags[i].flag);

		if (flag_is_set(ctx, dur_flags[i].flag) &&
		    duration_parse(v != NULL ? v : "", &d, NULL) != 0)
			return err_set(err, ERR_INVALID,
				       "invalid value \"%s\" for flag -%s: parse error",
				       v != NULL ? v : "", dur_flags[i].flag);
	}
	if (flag_is_set(ctx, "instance-age")) {
		const char *v = flag_str(ctx, "instance-age");
		if (duration_parse(v != NULL ? v : "", &d, NULL) != 0)
			return err_set(err, ERR_INVALID,
				       "invalid value \"%s\" for flag -instance-age: parse error",
				       v != NULL ? v : "");
		if (d < 0)
			return err_set(err, ERR_INVALID,
				       "flag '--instance-age' must be greater than or equal to 0s");
	}
	return 0;
}

/* A claim's duration re-spelled as step-ca writes it (Go's Duration.String()); an unparsable
 * value is kept as written. New reference. */
static json_t *duration_value(const char *s)
{
	char buf[64];
	int64_t d;

	if (duration_parse(s, &d, NULL) != 0)
		return json_string(s);
	return json_string(duration_format(d, buf, sizeof(buf)));
}

static bool old_true(const json_t *old, const char *key)
{
	return json_is_true(json_object_get(old, key));
}

/* The claims object of prov from the flags over its old claims (NULL on add), materialised as
 * step's conversion writes it. */
static void apply_claims(struct cli_ctx *ctx, json_t *prov, bool add)
{
	const json_t *old = add ? NULL : json_object_get(prov, "claims");
	json_t *c = json_object();
	bool ssh;

	for (size_t i = 0; i < N_DUR; i++) {
		const json_t *ov = json_object_get(old, dur_flags[i].claim);
		const char *v = flag_str(ctx, dur_flags[i].flag);

		if (flag_is_set(ctx, dur_flags[i].flag) && v != NULL)
			json_object_set_new(c, dur_flags[i].claim, duration_value(v));
		else if (json_is_string(ov) && json_string_value(ov)[0] != '\0')
			json_object_set_new(c, dur_flags[i].claim,
					    duration_value(json_string_value(ov)));
	}
	if (add)
		ssh = !(flag_is_set(ctx, "ssh") && !flag_bool(ctx, "ssh"));
	else
		ssh =
		    flag_is_set(ctx, "ssh") ? flag_bool(ctx, "ssh") : old_true(old, "enableSSHCA");
	json_object_set_new(c, "enableSSHCA", json_boolean(ssh));
	static const char *const bools[] = {"disableRenewal", "allowRenewalAfterExpiry",
					    "disableSmallstepExtensions"};
	static const char *const bool_flags[] = {"disable-renewal", "allow-renewal-after-expiry",
						 "disable-smallstep-extensions"};
	for (size_t i = 0; i < 3; i++) {
		bool v = flag_is_set(ctx, bool_flags[i]) ? flag_bool(ctx, bool_flags[i])
							 : old_true(old, bools[i]);
		json_object_set_new(c, bools[i], json_boolean(v));
	}
	json_object_set_new(prov, "claims", c);
}

/* One triple of durations as step-ca's admin API validates it. */
static int check_triple(const json_t *claims, const char *kmin, const char *kmax, const char *kdef,
			struct error *err)
{
	const char *names[3] = {"min", "max", "default"};
	const char *keys[3] = {kmin, kmax, kdef};
	const char *s[3];
	int64_t d[3];

	for (int i = 0; i < 3; i++) {
		s[i] = json_string_value(json_object_get(claims, keys[i]));
		if (s[i] != NULL && s[i][0] == '\0')
			s[i] = NULL;
		if (s[i] == NULL)
			continue;
		if (duration_parse(s[i], &d[i], NULL) != 0)
			return err_set(err, ERR_INVALID, "%s duration '%s' is invalid", names[i],
				       s[i]);
		if (d[i] < 0)
			return err_set(err, ERR_INVALID, "%s duration '%s' cannot be less than 0",
				       names[i], s[i]);
	}
	if (s[0] != NULL && s[1] != NULL && d[0] > d[1])
		return err_set(err, ERR_INVALID,
			       "min duration '%s' cannot be greater than max duration '%s'", s[0],
			       s[1]);
	if (s[0] != NULL && s[2] != NULL && d[0] > d[2])
		return err_set(err, ERR_INVALID,
			       "min duration '%s' cannot be greater than default duration '%s'",
			       s[0], s[2]);
	if (s[2] != NULL && s[1] != NULL && d[2] > d[1])
		return err_set(err, ERR_INVALID,
			       "default duration '%s' cannot be greater than max duration '%s'",
			       s[2], s[1]);
	return 0;
}

int prov_check_durations(const json_t *prov, struct error *err)
{
	const json_t *c = json_object_get(prov, "claims");

	for (size_t i = 0; i < N_DUR; i += 3)
		if (check_triple(c, dur_flags[i].claim, dur_flags[i + 1].claim,
				 dur_flags[i + 2].claim, err) != 0)
			return -1;
	return 0;
}

/* A claim of the provisioner, else of the global claims, else def; *set says whether the
 * provisioner had it. */
static int64_t resolve_dur(const json_t *pc, const json_t *gc, const char *key, int64_t def,
			   bool *set)
{
	int64_t d;
	const char *s = json_string_value(json_object_get(pc, key));

	*set = false;
	if (s != NULL && duration_parse(s, &d, NULL) == 0) {
		*set = true;
		return d;
	}
	s = json_string_value(json_object_get(gc, key));
	if (s != NULL && duration_parse(s, &d, NULL) == 0)
		return d;
	return def;
}

static int order_error(const char *big_name, int64_t big, const char *small_name, int64_t small,
		       struct error *err)
{
	char b[64], s[64];

	return err_set(err, ERR_INVALID, "claims: %s cannot be less than %s: %s - %s, %s - %s",
		       big_name, small_name, big_name, duration_format(big, b, sizeof(b)),
		       small_name, duration_format(small, s, sizeof(s)));
}

int prov_check_claims(const json_t *prov, const json_t *global_claims, struct error *err)
{
	const json_t *pc = json_object_get(prov, "claims");
	bool min_set, max_set, def_set;
	int64_t mn = resolve_dur(pc, global_claims, "minTLSCertDuration", 5 * NS_PER_MIN, &min_set);
	int64_t mx =
	    resolve_dur(pc, global_claims, "maxTLSCertDuration", 24 * NS_PER_HOUR, &max_set);
	int64_t df =
	    resolve_dur(pc, global_claims, "defaultTLSCertDuration", 24 * NS_PER_HOUR, &def_set);

	/* a provisioner default outside the inherited bounds widens them (step-ca's rule) */
	if (def_set && !min_set && df < mn)
		mn = df;
	if (def_set && !max_set && df > mx)
		mx = df;
	if (mn <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: MinTLSCertDuration must be greater than 0");
	if (mx <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: MaxTLSCertDuration must be greater than 0");
	if (df <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: DefaultTLSCertDuration must be greater than 0");
	if (mx < mn)
		return order_error("MaxCertDuration", mx, "MinCertDuration", mn, err);
	if (df < mn)
		return order_error("DefaultCertDuration", df, "MinCertDuration", mn, err);
	if (mx < df)
		return order_error("MaxCertDuration", mx, "DefaultCertDuration", df, err);
	return 0;
}

/* --- templates ---------------------------------------------------------------------------------
 */

/* options.<scope>.template / templateData from --<prefix>-template[-data]; an empty file name
 * removes the value. */
static int apply_template(struct cli_ctx *ctx, json_t *options, const char *scope,
			  const char *tpl_flag, const char *data_flag, struct error *err)
{
	json_t *o = json_object_get(options, scope), *data;
	json_error_t jerr;
	char *text = NULL;
	int rc = -1;

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(options, scope, o);
	}
	if (flag_is_set(ctx, tpl_flag)) {
		json_object_del(o, "templateFile");
		if (flag_str(ctx, tpl_flag) == NULL) {
			json_object_del(o, "template");
		} else {
			if (read_file(flag_str(ctx, tpl_flag), &text, NULL, err) != 0)
				goto out;
			json_object_set_new(o, "template", json_string(text));
			free(text);
			text = NULL;
		}
	}
	if (flag_is_set(ctx, data_flag)) {
		if (flag_str(ctx, data_flag) == NULL) {
			json_object_del(o, "templateData");
		} else {
			if (read_file(flag_str(ctx, data_flag), &text, NULL, err) != 0)
				goto out;
			data = json_loads(text, JSON_DECODE_ANY, &jerr);
			if (data == NULL) {
				err_set(err, ERR_INVALID, "error parsing %s: %s",
					flag_str(ctx, data_flag), jerr.text);
				goto out;
			}
			json_object_set_new(o, "templateData", data);
		}
	}
	reorder(o, order_template);
	rc = 0;
out:
	free(text);
	return rc;
}

static int apply_templates(struct cli_ctx *ctx, json_t *prov, struct error *err)
{
	json_t *options = json_object_get(prov, "options");

	if (!json_is_object(options)) {
		options = json_object();
		json_object_set_new(prov, "options", options);
	}
	if (apply_template(ctx, options, "x509", "x509-template", "x509-template-data", err) != 0 ||
	    apply_template(ctx, options, "ssh", "ssh-template", "ssh-template-data", err) != 0)
		return -1;
	reorder(options, order_options);
	return 0;
}

/* --- JWK ---------------------------------------------------------------------------------------
 */

/* The password that encrypts a new private key: --password-file (trimmed) or the prompt, where
 * an empty answer generates one (printed, as step offers it for editing). */
static int new_key_password(struct cli_ctx *ctx, char **out, struct error *err)
{
	*out = NULL;
	if (flag_str(ctx, "password-file") != NULL) {
		if (password_read_file(flag_str(ctx, "password-file"), out, err) != 0)
			return -1;
		if ((*out)[0] != '\0')
			return 0;
		password_free(*out);
		*out = NULL;
	}
	if (!tty_available())
		return cli_err_required(ctx, err, "password-file");
	if (password_prompt(JWK_PASSWORD_PROMPT, out, err) != 0)
		return -1;
	if ((*out)[0] != '\0')
		return 0;
	password_free(*out);
	*out = NULL;
	if (password_generate(GENERATED_PASSWORD_LEN, out, err) != 0)
		return -1;
	ui_status("Password", "%s", *out);
	return 0;
}

/* The JWE of a private key (step's EncryptJWK: cty jwk+json); *out malloc'd. */
static int encrypt_private(EVP_PKEY *key, const char *kid, const char *pw, size_t pw_len,
			   char **out, struct error *err)
{
	json_t *priv = jwk_from_pkey(key, true, err);
	char *text = NULL, *pwz = NULL;
	int rc = -1;

	*out = NULL;
	if (priv == NULL)
		goto out;
	if (kid != NULL)
		json_object_set_new(priv, "kid", json_string(kid));
	text = json_dumps(priv, JSON_COMPACT);
	pwz = xmalloc(pw_len + 1);
	memcpy(pwz, pw, pw_len);
	pwz[pw_len] = '\0';
	if (text == NULL)
		goto out;
	rc = jwe_encrypt_password((const uint8_t *)text, strlen(text), pwz, JWE_P2C_DEFAULT,
				  "jwk+json", out, err);
out:
	if (text != NULL)
		password_free(text);
	if (pwz != NULL) {
		secure_wipe(pwz, pw_len);
		free(pwz);
	}
	json_decref(priv);
	return rc;
}

/* A JWK from a file: JSON (a JWK) or PEM/DER; *is_private says whether it had private parts.
 * *jwk (NULL for PEM input) is the parsed JSON. */
static int read_key_file(const char *path, bool want_private, EVP_PKEY **key, json_t **jwk,
			 struct error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;
	json_t *j = NULL;

	*key = NULL;
	*jwk = NULL;
	if (read_file(path, &text, &len, err) != 0)
		return -1;
	j = json_loads(text, 0, NULL);
	if (json_is_object(j)) {
		if (str_eq_nocase(json_string_value(json_object_get(j, "kty")), "oct")) {
			err_set(err, ERR_INVALID,
				"invalid JWK: a symmetric key cannot be used as a provisioner");
			goto out;
		}
		if (jwk_to_pkey(j, key, err) != 0) {
			err_wrap(err, "error reading %s", path);
			goto out;
		}
		*jwk = j;
		j = NULL;
		rc = 0;
		goto out;
	}
	if (want_private || key_parse_public((const uint8_t *)text, len, key, NULL) != 0) {
		if (key_parse_private((const uint8_t *)text, len, NULL, key, err) != 0) {
			err_wrap(err, "error reading %s", path);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(j);
	if (text != NULL) {
		secure_wipe(text, len);
		free(text);
	}
	return rc;
}

/* The public JWK of --public-key: kid kept when the file has one, else the thumbprint. */
static int public_jwk(const char *path, json_t **out, struct error *err)
{
	EVP_PKEY *key = NULL;
	json_t *in = NULL, *pub = NULL;
	const char *kid;
	int rc = -1;

	*out = NULL;
	if (read_key_file(path, false, &key, &in, err) != 0)
		goto out;
	pub = jwk_from_pkey(key, false, err);
	if (pub == NULL)
		goto out;
	kid = json_string_value(json_object_get(in, "kid"));
	if (kid != NULL && kid[0] != '\0')
		json_object_set_new(pub, "kid", json_string(kid));
	*out = pub;
	pub = NULL;
	rc = 0;
out:
	json_decref(pub);
	json_decref(in);
	EVP_PKEY_free(key);
	return rc;
}

/* A JWE as given: the compact form, or the JSON (flattened) form step writes, made compact.
 * NULL when text is not a JWE. malloc'd. */
static char *as_jwe(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	char *out = NULL;

	if (json_is_object(j)) {
		const char *p = json_string_value(json_object_get(j, "protected"));
		const char *k = json_string_value(json_object_get(j, "encrypted_key"));
		const char *iv = json_string_value(json_object_get(j, "iv"));
		const char *ct = json_string_value(json_object_get(j, "ciphertext"));
		const char *tag = json_string_value(json_object_get(j, "tag"));
		if (p != NULL && k != NULL && iv != NULL && ct != NULL && tag != NULL)
			out = xasprintf("%s.%s.%s.%s.%s", p, k, iv, ct, tag);
		json_decref(j);
		return out;
	}
	json_decref(j);
	/* compact: five base64url parts separated by dots, white space ignored */
	size_t dots = 0, n = 0;
	out = xmalloc(strlen(text) + 1);
	for (const char *c = text; *c != '\0'; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n')
			continue;
		if (*c == '.')
			dots++;
		else if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
			   (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			dots = 99;
		out[n++] = *c;
	}
	out[n] = '\0';
	if (dots != 4 || n < 8) {
		free(out);
		return NULL;
	}
	return out;
}

/* --private-key: a JWE is kept as it is; a plain private key is encrypted with the content of
 * --password-file (as read, step's behaviour) or the prompt's password. */
static int private_jwe(struct cli_ctx *ctx, const char *path, const char *kid, char **out,
		       struct error *err)
{
	EVP_PKEY *key = NULL;
	json_t *in = NULL;
	char *text = NULL, *pw = NULL;
	size_t len = 0, pw_len = 0;
	int rc = -1;

	*out = NULL;
	if (read_file(path, &text, &len, err) != 0)
		goto out;
	if ((*out = as_jwe(text)) != NULL) {
		rc = 0;
		goto out;
	}
	if (read_key_file(path, true, &key, &in, err) != 0)
		goto out;
	if (in != NULL && json_object_get(in, "d") == NULL) {
		err_set(err, ERR_INVALID, "invalid jwk: private-key is a public key");
		goto out;
	}
	if (flag_str(ctx, "password-file") != NULL) {
		uint8_t *raw = NULL;
		if (file_read(flag_str(ctx, "password-file"), PROV_FILE_MAX, &raw, &pw_len, err) !=
		    0)
			goto out;
		pw = xmalloc(pw_len + 1);
		memcpy(pw, raw, pw_len);
		pw[pw_len] = '\0';
		secure_wipe(raw, pw_len);
		free(raw);
	} else {
		if (new_key_password(ctx, &pw, err) != 0)
			goto out;
		pw_len = strlen(pw);
	}
	rc = encrypt_private(key, kid, pw, pw_len, out, err);
out:
	if (pw != NULL) {
		secure_wipe(pw, pw_len);
		free(pw);
	}
	if (text != NULL) {
		secure_wipe(text, len);
		free(text);
	}
	json_decref(in);
	EVP_PKEY_free(key);
	return rc;
}

/* JWK: key and encryptedKey from --create, or --public-key with an optional --private-key. */
static int apply_jwk(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	EVP_PKEY *key = NULL;
	json_t *pub = NULL;
	char *pw = NULL, *jwe = NULL;
	int rc = -1;

	if (flag_bool(ctx, "create")) {
		if (flag_is_set(ctx, "public-key")) {
			err_set(err, ERR_INVALID,
				"flag '--create' is incompatible with 'public-key'");
			goto out;
		}
		if (flag_is_set(ctx, "private-key")) {
			err_set(err, ERR_INVALID,
				"flag '--create' is incompatible with 'private-key'");
			goto out;
		}
		if (new_key_password(ctx, &pw, err) != 0 || key_generate(&spec, &key, err) != 0)
			goto out;
		if ((pub = jwk_from_pkey(key, false, err)) == NULL ||
		    encrypt_private(key, NULL, pw, strlen(pw), &jwe, err) != 0)
			goto out;
		json_object_set(prov, "key", pub);
		json_object_set_new(prov, "encryptedKey", json_string(jwe));
		rc = 0;
		goto out;
	}
	if (add && flag_str(ctx, "public-key") == NULL) {
		err_set(err, ERR_INVALID, "'--create false' requires the '--public-key' flag");
		goto out;
	}
	if (flag_str(ctx, "public-key") != NULL) {
		if (public_jwk(flag_str(ctx, "public-key"), &pub, err) != 0)
			goto out;
		json_object_set(prov, "key", pub);
	}
	if (flag_is_set(ctx, "private-key")) {
		const char *kid =
		    json_string_value(json_object_get(json_object_get(prov, "key"), "kid"));
		if (flag_str(ctx, "private-key") == NULL) {
			json_object_del(prov,
					"encryptedKey"); /* update: an empty name removes it */
		} else {
			if (private_jwe(ctx, flag_str(ctx, "private-key"), kid, &jwe, err) != 0)
				goto out;
			json_object_set_new(prov, "encryptedKey", json_string(jwe));
		}
	}
	rc = 0;
out:
	password_free(pw);
	free(jwe);
	json_decref(pub);
	EVP_PKEY_free(key);
	return rc;
}

/* --- X5C, ACME, OIDC, K8SSA --------------------------------------------------------------------
 */

static int apply_x5c(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const char *file = flag_str(ctx, "x5c-roots");
	STACK_OF(X509) *roots = NULL;
	char *b64 = NULL, *cn = NULL;
	int rc = -1;

	if (file == NULL) {
		if (add)
			return err_set(err, ERR_INVALID,
				       "'--type x5c' requires the '--x5c-roots' flag");
		return 0;
	}
	if (cert_load_chain_file(file, &roots, err) != 0) {
		err_wrap(err, "error loading X5C Root certificates from %s", file);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(roots); i++) {
		if (!has_key_cert_sign(sk_X509_value(roots, i))) {
			cn = common_name(sk_X509_value(roots, i));
			err_set(err, ERR_INVALID,
				"error: certificate with common name '%s' cannot be used as an X5C "
				"root certificate.\n\nX5C provisioner root certificates must have "
				"the 'Certificate Sign' key usage extension.",
				cn);
			goto out;
		}
	}
	if ((b64 = certs_b64(roots, "\n", err)) == NULL)
		goto out;
	json_object_set_new(prov, "roots", json_string(b64));
	rc = 0;
out:
	free(cn);
	free(b64);
	sk_X509_pop_free(roots, X509_free);
	return rc;
}

static const char *const acme_challenges[] = {"http-01", "dns-01", "tls-alpn-01",
					      "device-attest-01", NULL};
static const char *const acme_formats[] = {"apple", "step", "tpm", NULL};

static const char *in_set(const char *const *set, const char *v)
{
	for (size_t i = 0; set[i] != NULL; i++)
		if (str_eq_nocase(set[i], v))
			return set[i];
	return NULL;
}

/* --challenge/--remove-challenge and the attestation formats take step's values only. */
static int check_acme_values(struct cli_ctx *ctx, struct error *err)
{
	static const char *const flags[] = {"challenge", "remove-challenge", "attestation-format",
					    "remove-attestation-format"};

	for (size_t f = 0; f < 4; f++) {
		const struct strv *vals;
		bool ch = f < 2;

		if (!flag_defined(ctx, flags[f]))
			continue;
		vals = flag_list(ctx, flags[f]);
		for (size_t i = 0; i < vals->n; i++)
			if (in_set(ch ? acme_challenges : acme_formats, vals->v[i]) == NULL)
				return cli_err_invalid(
				    err, flags[f], vals->v[i],
				    ch ? "options are http-01, dns-01, tls-alpn-01 and "
					 "device-attest-01"
				       : "options are apple, step, and tpm");
	}
	return 0;
}

/* True when vals->v[i] also appears before index i. */
static bool seen_before(const struct strv *vals, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(vals->v[j], vals->v[i]) == 0)
			return true;
	return false;
}

/* A list of ACME values: old ones (known, canonical spelling) minus removals plus additions,
 * duplicates dropped (step's sliceutil). */
static void edit_acme_list(struct cli_ctx *ctx, json_t *prov, const char *key,
			   const char *const *set, const char *add_flag, const char *remove_flag)
{
	json_t *arr, *v;
	const struct strv *rem =
	    flag_defined(ctx, remove_flag) ? flag_list(ctx, remove_flag) : NULL;
	const struct strv *add = flag_list(ctx, add_flag);
	struct strv vals = {0};
	size_t i;

	if ((rem == NULL || rem->n == 0) && add->n == 0)
		return; /* untouched */
	arr = json_array();
	json_array_foreach(json_object_get(prov, key), i, v)
	{
		const char *c = json_is_string(v) ? in_set(set, json_string_value(v)) : NULL;
		bool removed = false;
		if (c == NULL)
			continue;
		for (size_t r = 0; rem != NULL && r < rem->n; r++)
			removed = removed || str_eq_nocase(rem->v[r], c);
		if (!removed)
			strv_push(&vals, c);
	}
	for (i = 0; i < add->n; i++)
		strv_push(&vals, in_set(set, add->v[i]));
	for (i = 0; i < vals.n; i++)
		if (!seen_before(&vals, i))
			json_array_append_new(arr, json_string(vals.v[i]));
	strv_free(&vals);
	set_list(prov, key, arr);
}

/* --attestation-roots: CA certificates (basic constraints CA and keyCertSign) of every file. */
static int attestation_roots(struct cli_ctx *ctx, json_t *prov, struct error *err)
{
	const struct strv *files = flag_list(ctx, "attestation-roots");
	STACK_OF(X509) *all = sk_X509_new_null(), *certs = NULL;
	char *b64 = NULL, *cn = NULL;
	int rc = -1;

	for (size_t f = 0; f < files->n; f++) {
		if (cert_load_chain_file(files->v[f], &certs, err) != 0) {
			err_wrap(err, "error reading certificates from %s", files->v[f]);
			goto out;
		}
		while (sk_X509_num(certs) > 0) {
			X509 *x = sk_X509_shift(certs);
			sk_X509_push(all, x);
			if (X509_check_ca(x) == 0 || !has_key_cert_sign(x)) {
				cn = common_name(x);
				err_set(err, ERR_INVALID,
					"certificate with common name \"%s\" is not a valid CA",
					cn);
				goto out;
			}
		}
		sk_X509_free(certs);
		certs = NULL;
	}
	if (sk_X509_num(all) == 0) {
		json_object_del(prov, "attestationRoots");
		rc = 0;
		goto out;
	}
	if ((b64 = certs_b64(all, "", err)) == NULL)
		goto out;
	json_object_set_new(prov, "attestationRoots", json_string(b64));
	rc = 0;
out:
	free(cn);
	free(b64);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(all, X509_free);
	return rc;
}

static int apply_acme(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	if (add || flag_is_set(ctx, "force-cn"))
		set_flag_bool(prov, "forceCN", flag_bool(ctx, "force-cn"));
	if (add || flag_is_set(ctx, "require-eab"))
		set_flag_bool(prov, "requireEAB", flag_bool(ctx, "require-eab"));
	edit_acme_list(ctx, prov, "challenges", acme_challenges, "challenge", "remove-challenge");
	edit_acme_list(ctx, prov, "attestationFormats", acme_formats, "attestation-format",
		       "remove-attestation-format");
	if (flag_is_set(ctx, "attestation-roots"))
		return attestation_roots(ctx, prov, err);
	return 0;
}

static int apply_oidc(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const char *type = flag_defined(ctx, "type") ? flag_str(ctx, "type") : "OIDC";
	const char *ep = flag_str(ctx, "configuration-endpoint");

	if (add && flag_str(ctx, "client-id") == NULL)
		return err_set(err, ERR_INVALID, "'--type %s' requires the '--client-id' flag",
			       type);
	if (add && ep == NULL)
		return err_set(err, ERR_INVALID,
			       "'--type %s' requires the '--configuration-endpoint' flag", type);
	if (flag_is_set(ctx, "configuration-endpoint") && ep != NULL) {
		if (!str_has_prefix(ep, "https://") && !str_has_prefix(ep, "http://"))
			return cli_err_invalid(err, "configuration-endpoint", ep, NULL);
	}
	if (add || flag_is_set(ctx, "client-id"))
		json_object_set_new(prov, "clientID",
				    json_string(flag_str(ctx, "client-id") != NULL
						    ? flag_str(ctx, "client-id")
						    : ""));
	if (add || flag_is_set(ctx, "client-secret"))
		json_object_set_new(prov, "clientSecret",
				    json_string(flag_str(ctx, "client-secret") != NULL
						    ? flag_str(ctx, "client-secret")
						    : ""));
	if (flag_is_set(ctx, "configuration-endpoint"))
		json_object_set_new(prov, "configurationEndpoint",
				    json_string(ep != NULL ? ep : ""));
	if (add || flag_is_set(ctx, "tenant-id"))
		set_str(prov, "tenantID", flag_str(ctx, "tenant-id"));
	if (add || flag_is_set(ctx, "listen-address"))
		set_str(prov, "listenAddress", flag_str(ctx, "listen-address"));
	edit_list(ctx, prov, "admins", "admin", "remove-admin");
	edit_list(ctx, prov, "domains", "domain", "remove-domain");
	edit_list(ctx, prov, "groups", "group", NULL);
	edit_list(ctx, prov, "scopes", "scope", "remove-scope");
	edit_list(ctx, prov, "authParams", "auth-param", NULL);
	/* clientID, clientSecret and configurationEndpoint are always written */
	if (json_object_get(prov, "clientSecret") == NULL)
		json_object_set_new(prov, "clientSecret", json_string(""));
	return 0;
}

static int apply_k8ssa(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const char *file = flag_str(ctx, "public-key");
	struct strv pems = {0};
	char *text = NULL, *pem = NULL, *joined = NULL, *b64;
	size_t len = 0;
	int rc = -1;

	if (file == NULL) {
		if (add)
			return err_set(err, ERR_INVALID,
				       "'--type k8sSA' requires the '--public-key' flag");
		return 0;
	}
	if (read_file(file, &text, &len, err) != 0) {
		err_wrap(err, "error reading pem keys");
		goto out;
	}
	for (char *p = strstr(text, "-----BEGIN "); p != NULL; p = strstr(p, "-----BEGIN ")) {
		char *end = strstr(p, "-----END ");
		EVP_PKEY *key = NULL;
		if (end == NULL || (end = strstr(end + 9, "-----")) == NULL)
			break;
		end += 5;
		if (key_parse_public((const uint8_t *)p, (size_t)(end - p), &key, NULL) != 0) {
			err_set(err, ERR_INVALID, "error parsing public key from %s", file);
			goto out;
		}
		rc = key_public_to_pem(key, &pem, err);
		EVP_PKEY_free(key);
		if (rc != 0)
			goto out;
		rc = -1;
		strv_push(&pems, pem);
		free(pem);
		pem = NULL;
		p = end;
	}
	if (pems.n == 0) {
		json_object_del(prov, "publicKeys");
		rc = 0;
		goto out;
	}
	joined = xstrdup("");
	for (size_t i = 0; i < pems.n; i++) {
		char *n = xasprintf("%s%s%s", joined, i > 0 ? "\n" : "", pems.v[i]);
		free(joined);
		joined = n;
	}
	b64 = b64_encode(joined, strlen(joined));
	json_object_set_new(prov, "publicKeys", json_string(b64));
	free(b64);
	rc = 0;
out:
	free(joined);
	free(text);
	strv_free(&pems);
	return rc;
}

/* --- cloud instance identities and SCEP ---------------------------------------------------------
 */

/* Go writes a nil []string without omitempty as null. */
static void set_list_or_null(json_t *obj, const char *key, json_t *arr)
{
	if (json_array_size(arr) > 0)
		json_object_set(obj, key, arr);
	else
		json_object_set_new(obj, key, json_null());
	json_decref(arr);
}

/* The list at key (null when empty): removals, then additions. */
static void edit_list_null(struct cli_ctx *ctx, json_t *obj, const char *key, const char *add_flag,
			   const char *remove_flag)
{
	json_t *arr = string_list(obj, key);

	if (remove_flag != NULL && flag_defined(ctx, remove_flag))
		list_remove(arr, flag_list(ctx, remove_flag));
	list_append(arr, flag_list(ctx, add_flag));
	set_list_or_null(obj, key, arr);
}

/* A bool member Go always writes (no omitempty): the flag when set, else the old value. */
static void set_plain_bool(struct cli_ctx *ctx, json_t *obj, const char *key, const char *flag)
{
	bool v =
	    flag_is_set(ctx, flag) ? flag_bool(ctx, flag) : json_is_true(json_object_get(obj, key));
	json_object_set_new(obj, key, json_boolean(v));
}

/* instanceAge: a Go Duration struct, always written ("0s" when unset). */
static void set_instance_age(struct cli_ctx *ctx, json_t *obj)
{
	const char *v = flag_str(ctx, "instance-age");
	const char *old = json_string_value(json_object_get(obj, "instanceAge"));

	if (flag_is_set(ctx, "instance-age") && v != NULL)
		json_object_set_new(obj, "instanceAge", duration_value(v));
	else
		json_object_set_new(obj, "instanceAge", duration_value(old != NULL ? old : "0s"));
}

static int apply_aws_azure(struct cli_ctx *ctx, json_t *prov, const char *type, bool add,
			   struct error *err)
{
	const char *label = strcmp(type, "AWS") == 0 ? "AWS" : "Azure";

	if (flag_is_set(ctx, "disable-ssh-ca-user"))
		return err_set(err, ERR_INVALID,
			       "flag disable-ssh-ca-user is not supported for %s IID provisioners",
			       label);
	if (flag_is_set(ctx, "disable-ssh-ca-host"))
		return err_set(err, ERR_INVALID,
			       "flag disable-ssh-ca-host is not supported for %s IID provisioners",
			       label);
	if (strcmp(type, "AWS") == 0) {
		edit_list_null(ctx, prov, "accounts", "aws-account", "remove-aws-account");
		set_plain_bool(ctx, prov, "disableCustomSANs", "disable-custom-sans");
		set_plain_bool(ctx, prov, "disableTrustOnFirstUse", "disable-trust-on-first-use");
		if (json_object_get(prov, "imdsVersions") == NULL)
			json_object_set_new(prov, "imdsVersions", json_null());
		set_instance_age(ctx, prov);
		return 0;
	}
	if (add && flag_str(ctx, "azure-tenant") == NULL)
		return err_set(err, ERR_INVALID, "'--type %s' requires the '--azure-tenant' flag",
			       flag_str(ctx, "type"));
	if (add || flag_is_set(ctx, "azure-tenant"))
		json_object_set_new(prov, "tenantID",
				    json_string(flag_str(ctx, "azure-tenant") != NULL
						    ? flag_str(ctx, "azure-tenant")
						    : ""));
	edit_list_null(ctx, prov, "resourceGroups", "azure-resource-group",
		       "remove-azure-resource-group");
	edit_list_null(ctx, prov, "subscriptionIDs", "azure-subscription-id",
		       "remove-azure-subscription-id");
	edit_list_null(ctx, prov, "objectIDs", "azure-object-id", "remove-azure-object-id");
	if (add || flag_is_set(ctx, "azure-audience"))
		set_str(prov, "audience", flag_str(ctx, "azure-audience"));
	set_plain_bool(ctx, prov, "disableCustomSANs", "disable-custom-sans");
	set_plain_bool(ctx, prov, "disableTrustOnFirstUse", "disable-trust-on-first-use");
	return 0;
}

static int apply_gcp(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const char *org;

	if (add && flag_str(ctx, "gcp-organization") != NULL &&
	    flag_list(ctx, "gcp-project")->n > 0)
		return cli_err_incompatible(err, "gcp-organization", "gcp-project");
	edit_list(ctx, prov, "serviceAccounts", "gcp-service-account",
		  "remove-gcp-service-account");
	edit_list(ctx, prov, "projectIDs", "gcp-project", "remove-gcp-project");
	if (add || flag_is_set(ctx, "gcp-organization"))
		set_str(prov, "organizationID", flag_str(ctx, "gcp-organization"));
	set_plain_bool(ctx, prov, "disableCustomSANs", "disable-custom-sans");
	set_plain_bool(ctx, prov, "disableTrustOnFirstUse", "disable-trust-on-first-use");
	if (flag_is_set(ctx, "disable-ssh-ca-user"))
		json_object_set_new(prov, "disableSSHCAUser",
				    json_boolean(flag_bool(ctx, "disable-ssh-ca-user")));
	if (flag_is_set(ctx, "disable-ssh-ca-host"))
		json_object_set_new(prov, "disableSSHCAHost",
				    json_boolean(flag_bool(ctx, "disable-ssh-ca-host")));
	set_instance_age(ctx, prov);
	org = json_string_value(json_object_get(prov, "organizationID"));
	if (org != NULL && org[0] != '\0' &&
	    json_array_size(json_object_get(prov, "projectIDs")) > 0)
		return cli_err_incompatible(err, "gcp-organization", "gcp-project");
	return 0;
}

/* An integer flag (Go's int flags). */
static int int_flag(struct cli_ctx *ctx, const char *flag, long long *out, struct error *err)
{
	const char *v = flag_str(ctx, flag);

	if (parse_int64(v != NULL ? v : "", out, NULL) != 0)
		return err_set(err, ERR_INVALID, "invalid value \"%s\" for flag -%s: parse error",
			       v != NULL ? v : "", flag);
	return 0;
}

static void set_int_omitempty(json_t *obj, const char *key, long long v)
{
	if (v != 0)
		json_object_set_new(obj, key, json_integer(v));
	else
		json_object_del(obj, key);
}

static int apply_scep(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const struct strv *ch = flag_list(ctx, "challenge");
	STACK_OF(X509) *certs = NULL;
	char *text = NULL, *pem = NULL, *b64 = NULL, *pw = NULL;
	const char *f;
	size_t len = 0;
	long long n;
	int rc = -1;

	if (ch->n > 1)
		return err_set(
		    err, ERR_INVALID,
		    "provisioner type 'SCEP' does not support multiple '--challenge' flags");
	if (add || flag_is_set(ctx, "force-cn"))
		set_flag_bool(prov, "forceCN", flag_bool(ctx, "force-cn"));
	if (add || flag_is_set(ctx, "challenge"))
		set_str(prov, "challenge", ch->n > 0 ? ch->v[0] : NULL);
	if (add || flag_is_set(ctx, "capabilities")) {
		json_t *arr = json_array();
		list_append(arr, flag_list(ctx, "capabilities"));
		set_list(prov, "capabilities", arr);
	}
	if (add || flag_is_set(ctx, "include-root"))
		set_flag_bool(prov, "includeRoot", flag_bool(ctx, "include-root"));
	if (add || flag_is_set(ctx, "exclude-intermediate"))
		set_flag_bool(prov, "excludeIntermediate", flag_bool(ctx, "exclude-intermediate"));
	if (flag_is_set(ctx, "min-public-key-length")) {
		if (int_flag(ctx, "min-public-key-length", &n, err) != 0)
			goto out;
		set_int_omitempty(prov, "minimumPublicKeyLength", n);
	}
	if (flag_is_set(ctx, "encryption-algorithm-identifier")) {
		if (int_flag(ctx, "encryption-algorithm-identifier", &n, err) != 0)
			goto out;
		set_int_omitempty(prov, "encryptionAlgorithmIdentifier", n);
	}
	if ((f = flag_str(ctx, "scep-decrypter-certificate-file")) != NULL) {
		if (cert_load_chain_file(f, &certs, err) != 0 || sk_X509_num(certs) == 0) {
			if (sk_X509_num(certs) == 0 && certs != NULL)
				err_set(err, ERR_INVALID, "no certificates found in \"%s\"", f);
			err_wrap(err, "failed parsing certificate from \"%s\"", f);
			goto out;
		}
		if (cert_to_pem(sk_X509_value(certs, 0), &pem, err) != 0)
			goto out;
		b64 = b64_encode(pem, strlen(pem));
		json_object_set_new(prov, "decrypterCertificate", json_string(b64));
		free(b64);
		b64 = NULL;
	}
	if (flag_is_set(ctx, "scep-decrypter-key-uri"))
		set_str(prov, "decrypterKey", flag_str(ctx, "scep-decrypter-key-uri"));
	if ((f = flag_str(ctx, "scep-decrypter-key-file")) != NULL) {
		const char *begin, *second;
		if (read_file(f, &text, &len, err) != 0) {
			err_wrap(err, "failed reading decrypter key from \"%s\"", f);
			goto out;
		}
		begin = strstr(text, "-----BEGIN ");
		second = begin != NULL ? strstr(begin + 11, "-----BEGIN ") : NULL;
		if (begin == NULL || second != NULL) {
			err_set(
			    err, ERR_INVALID,
			    "failed reading decrypter key from \"%s\": failed decoding \"%s\": %s",
			    f, f,
			    begin == NULL ? "not a valid PEM encoded block"
					  : "contains more than one PEM encoded block");
			goto out;
		}
		b64 = b64_encode(text, len);
		json_object_set_new(prov, "decrypterKeyPEM", json_string(b64));
	}
	if ((f = flag_str(ctx, "scep-decrypter-key-password-file")) != NULL) {
		if (password_read_file(f, &pw, err) != 0) {
			err_wrap(err, "failed reading decrypter key password from \"%s\"", f);
			goto out;
		}
		set_str(prov, "decrypterKeyPassword", pw);
	}
	rc = 0;
out:
	password_free(pw);
	if (text != NULL) {
		secure_wipe(text, len);
		free(text);
	}
	free(b64);
	free(pem);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* --- entry points ------------------------------------------------------------------------------
 */

/* The type-specific part for a known type; the types stride cannot write yet are refused. */
static int apply_type(struct cli_ctx *ctx, const char *type, json_t *prov, bool add,
		      struct error *err)
{
	if (strcmp(type, "JWK") == 0)
		return apply_jwk(ctx, prov, add, err);
	if (strcmp(type, "X5C") == 0)
		return apply_x5c(ctx, prov, add, err);
	if (strcmp(type, "ACME") == 0)
		return apply_acme(ctx, prov, add, err);
	if (strcmp(type, "SSHPOP") == 0)
		return 0;
	if (strcmp(type, "OIDC") == 0)
		return apply_oidc(ctx, prov, add, err);
	if (strcmp(type, "K8SSA") == 0)
		return apply_k8ssa(ctx, prov, add, err);
	if (strcmp(type, "AWS") == 0 || strcmp(type, "AZURE") == 0)
		return apply_aws_azure(ctx, prov, type, add, err);
	if (strcmp(type, "GCP") == 0)
		return apply_gcp(ctx, prov, add, err);
	if (strcmp(type, "SCEP") == 0)
		return apply_scep(ctx, prov, add, err);
	return err_set(err, ERR_NOT_IMPLEMENTED,
		       "provisioner type '%s' is not supported yet by stride", type);
}

/* Claims, templates, the type's fields, then step-ca's layout. */
static int apply_all(struct cli_ctx *ctx, const char *type, json_t *prov, bool add,
		     struct error *err)
{
	if (strcmp(type, "ACME") == 0 && check_acme_values(ctx, err) != 0)
		return -1;
	if (strcmp(type, "SSHPOP") != 0 && apply_templates(ctx, prov, err) != 0)
		return -1;
	apply_claims(ctx, prov, add);
	if (apply_type(ctx, type, prov, add, err) != 0)
		return -1;
	json_object_set_new(prov, "type", json_string(type));
	reorder(prov, type_order(type));
	return 0;
}

int prov_build(struct cli_ctx *ctx, const char *name, json_t **out, struct error *err)
{
	const char *given = flag_str(ctx, "type");
	const char *type;
	json_t *prov = NULL;
	int rc = -1;

	*out = NULL;
	if (check_duration_flags(ctx, err) != 0)
		goto out;
	if (given == NULL) {
		err_set(err, ERR_INVALID, "missing value for flag '--type'");
		goto out;
	}
	if ((type = prov_type_canonical(given)) == NULL) {
		cli_err_invalid(err, "type", given, "options are " TYPE_OPTIONS);
		goto out;
	}
	prov = json_pack("{s:s, s:s}", "type", type, "name", name);
	if (apply_all(ctx, type, prov, true, err) != 0)
		goto out;
	*out = prov;
	prov = NULL;
	rc = 0;
out:
	json_decref(prov);
	return rc;
}

int prov_apply_update(struct cli_ctx *ctx, json_t *prov, struct error *err)
{
	const char *type = prov_type_canonical(json_string_value(json_object_get(prov, "type")));

	if (check_duration_flags(ctx, err) != 0)
		return -1;
	if (type == NULL)
		return err_set(err, ERR_INVALID, "unsupported provisioner type %s",
			       json_string_value(json_object_get(prov, "type")) != NULL
				   ? json_string_value(json_object_get(prov, "type"))
				   : "");
	if (flag_is_set(ctx, "name") && flag_str(ctx, "name") != NULL)
		json_object_set_new(prov, "name", json_string(flag_str(ctx, "name")));
	return apply_all(ctx, type, prov, false, err);
}

char *prov_token_id(const json_t *prov)
{
	const char *type = prov_type_canonical(json_string_value(json_object_get(prov, "type")));
	const char *name = json_string_value(json_object_get(prov, "name"));
	char *low, *id;

	name = name != NULL ? name : "";
	if (type == NULL)
		return xstrdup(name);
	if (strcmp(type, "JWK") == 0) {
		const char *kid =
		    json_string_value(json_object_get(json_object_get(prov, "key"), "kid"));
		return xasprintf("%s:%s", name, kid != NULL ? kid : "");
	}
	if (strcmp(type, "OIDC") == 0 || strcmp(type, "AZURE") == 0) {
		const char *v = json_string_value(
		    json_object_get(prov, strcmp(type, "OIDC") == 0 ? "clientID" : "tenantID"));
		return xstrdup(v != NULL ? v : "");
	}
	if (strcmp(type, "K8SSA") == 0)
		return xstrdup("k8ssa/k8sSA-default");
	low = str_lower(xstrdup(type));
	id = xasprintf("%s/%s", low, name);
	free(low);
	return id;
}
