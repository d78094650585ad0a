/* prov_cloud.c - the flags of `ca provisioner add/update` for the cloud instance identity
 * provisioners (AWS, GCP, Azure) and SCEP, applied to their ca.json objects as step-ca writes
 * those fields (null lists, instanceAge always, the SCEP decrypter). See prov_edit.h. */
#include "cli/prov_edit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/password.h"
#include "base/str.h"
#include "cli/prov_edit_int.h"
#include "crypto/cert.h"

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
	json_t *arr = pe_string_list(obj, key);

	if (remove_flag != NULL && flag_defined(ctx, remove_flag))
		pe_list_remove(arr, flag_list(ctx, remove_flag));
	pe_list_append(arr, flag_list(ctx, add_flag));
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
		json_object_set_new(obj, "instanceAge", pe_duration_value(v));
	else
		json_object_set_new(obj, "instanceAge",
				    pe_duration_value(old != NULL ? old : "0s"));
}

int pe_apply_aws_azure(struct cli_ctx *ctx, json_t *prov, const char *type, bool add,
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
		pe_set_str(prov, "audience", flag_str(ctx, "azure-audience"));
	set_plain_bool(ctx, prov, "disableCustomSANs", "disable-custom-sans");
	set_plain_bool(ctx, prov, "disableTrustOnFirstUse", "disable-trust-on-first-use");
	return 0;
}

int pe_apply_gcp(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
{
	const char *org;

	if (add && flag_str(ctx, "gcp-organization") != NULL &&
	    flag_list(ctx, "gcp-project")->n > 0)
		return cli_err_incompatible(err, "gcp-organization", "gcp-project");
	pe_edit_list(ctx, prov, "serviceAccounts", "gcp-service-account",
		     "remove-gcp-service-account");
	pe_edit_list(ctx, prov, "projectIDs", "gcp-project", "remove-gcp-project");
	if (add || flag_is_set(ctx, "gcp-organization"))
		pe_set_str(prov, "organizationID", flag_str(ctx, "gcp-organization"));
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

int pe_apply_scep(struct cli_ctx *ctx, json_t *prov, bool add, struct error *err)
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
		pe_set_flag_bool(prov, "forceCN", flag_bool(ctx, "force-cn"));
	if (add || flag_is_set(ctx, "challenge"))
		pe_set_str(prov, "challenge", ch->n > 0 ? ch->v[0] : NULL);
	if (add || flag_is_set(ctx, "capabilities")) {
		json_t *arr = json_array();
		pe_list_append(arr, flag_list(ctx, "capabilities"));
		pe_set_list(prov, "capabilities", arr);
	}
	if (add || flag_is_set(ctx, "include-root"))
		pe_set_flag_bool(prov, "includeRoot", flag_bool(ctx, "include-root"));
	if (add || flag_is_set(ctx, "exclude-intermediate"))
		pe_set_flag_bool(prov, "excludeIntermediate",
				 flag_bool(ctx, "exclude-intermediate"));
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
		pe_set_str(prov, "decrypterKey", flag_str(ctx, "scep-decrypter-key-uri"));
	if ((f = flag_str(ctx, "scep-decrypter-key-file")) != NULL) {
		const char *begin, *second;
		if (pe_read_file(f, &text, &len, err) != 0) {
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
		pe_set_str(prov, "decrypterKeyPassword", pw);
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
