/* prov_flags.c - the flag tables of `ca provisioner add` and `ca provisioner update`: step's
 * flags with their help. See prov_edit.h. */
#include "cli/prov_edit.h"

#include <stddef.h>

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
