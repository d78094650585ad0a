/* claims.c - provisioner claims resolved over global claims and defaults. */
#include <string.h>

#include "authority/internal.h"
#include "base/duration.h"

#define DEFAULT_MIN_TLS	    (5 * NS_PER_MIN)
#define DEFAULT_MAX_TLS	    (24 * NS_PER_HOUR)
#define DEFAULT_DEFAULT_TLS (24 * NS_PER_HOUR)
/* step-ca's SSH defaults (provisioners-and-policy.md §3) */
#define DEFAULT_MIN_SSH		 (5 * NS_PER_MIN)
#define DEFAULT_MAX_USER_SSH	 (24 * NS_PER_HOUR)
#define DEFAULT_DEFAULT_USER_SSH (16 * NS_PER_HOUR)
#define DEFAULT_MAX_HOST_SSH	 (720 * NS_PER_HOUR)
#define DEFAULT_DEFAULT_HOST_SSH (720 * NS_PER_HOUR)

/* Reads an optional duration claim: *set is false when the claim is absent or null. */
static int claim_duration(const json_t *claims, const char *name, int64_t *out, bool *set,
			  struct error *err)
{
	const json_t *v = claims != NULL ? json_object_get(claims, name) : NULL;

	*set = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(err, ERR_INVALID, "claims: %s must be a duration string", name);
	if (duration_parse(json_string_value(v), out, err) != 0)
		return err_wrap(err, "claims: %s", name);
	*set = true;
	return 0;
}

static int claim_bool(const json_t *claims, const char *name, bool *out, bool *set,
		      struct error *err)
{
	const json_t *v = claims != NULL ? json_object_get(claims, name) : NULL;

	*set = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return err_set(err, ERR_INVALID, "claims: %s must be a boolean", name);
	*out = json_is_true(v);
	*set = true;
	return 0;
}

/* Resolves one duration: provisioner value, else global value, else the built-in default. */
static int resolve_duration(const json_t *prov, const json_t *global, const char *name,
			    int64_t builtin, int64_t *out, bool *prov_set, struct error *err)
{
	bool set;

	if (claim_duration(prov, name, out, prov_set, err) != 0)
		return -1;
	if (*prov_set)
		return 0;
	if (claim_duration(global, name, out, &set, err) != 0)
		return -1;
	if (!set)
		*out = builtin;
	return 0;
}

static int resolve_bool(const json_t *prov, const json_t *global, const char *name, bool *out,
			struct error *err)
{
	bool set;

	*out = false;
	if (claim_bool(prov, name, out, &set, err) != 0)
		return -1;
	if (set)
		return 0;
	return claim_bool(global, name, out, &set, err);
}

static int check_order(const char *big_name, int64_t big, const char *small_name, int64_t small,
		       struct error *err)
{
	char b[64], s[64];

	if (big >= small)
		return 0;
	return err_set(err, ERR_INVALID, "claims: %s cannot be less than %s: %s - %s, %s - %s",
		       big_name, small_name, big_name, duration_format(big, b, sizeof(b)),
		       small_name, duration_format(small, s, sizeof(s)));
}

/* One min/max/default triple: each resolved on its own, then a provisioner default outside the
 * inherited bounds widens them (step's rule, for the TLS and the SSH triples alike). */
static int resolve_triple(const json_t *prov, const json_t *global, const char *const names[3],
			  const int64_t builtin[3], int64_t out[3], struct error *err)
{
	bool min_set, max_set, def_set;

	if (resolve_duration(prov, global, names[0], builtin[0], &out[0], &min_set, err) != 0 ||
	    resolve_duration(prov, global, names[1], builtin[1], &out[1], &max_set, err) != 0 ||
	    resolve_duration(prov, global, names[2], builtin[2], &out[2], &def_set, err) != 0)
		return -1;
	if (def_set && !min_set && out[2] < out[0])
		out[0] = out[2];
	if (def_set && !max_set && out[2] > out[1])
		out[1] = out[2];
	return 0;
}

/* The user and host SSH durations (step-ca validates only the TLS ones). */
static int resolve_ssh(const json_t *prov, const json_t *global, struct claims *out,
		       struct error *err)
{
	static const char *const user[3] = {"minUserSSHCertDuration", "maxUserSSHCertDuration",
					    "defaultUserSSHCertDuration"};
	static const char *const host[3] = {"minHostSSHCertDuration", "maxHostSSHCertDuration",
					    "defaultHostSSHCertDuration"};
	static const int64_t user_def[3] = {DEFAULT_MIN_SSH, DEFAULT_MAX_USER_SSH,
					    DEFAULT_DEFAULT_USER_SSH};
	static const int64_t host_def[3] = {DEFAULT_MIN_SSH, DEFAULT_MAX_HOST_SSH,
					    DEFAULT_DEFAULT_HOST_SSH};
	int64_t u[3], h[3];

	if (resolve_triple(prov, global, user, user_def, u, err) != 0 ||
	    resolve_triple(prov, global, host, host_def, h, err) != 0)
		return -1;
	out->min_user_ssh_ns = u[0];
	out->max_user_ssh_ns = u[1];
	out->default_user_ssh_ns = u[2];
	out->min_host_ssh_ns = h[0];
	out->max_host_ssh_ns = h[1];
	out->default_host_ssh_ns = h[2];
	return 0;
}

int claims_resolve(const json_t *prov_claims, const json_t *global_claims, struct claims *out,
		   struct error *err)
{
	bool min_set, max_set, def_set;

	memset(out, 0, sizeof(*out));
	if (prov_claims != NULL && !json_is_object(prov_claims) && !json_is_null(prov_claims))
		return err_set(err, ERR_INVALID, "claims must be an object");
	if (resolve_duration(prov_claims, global_claims, "minTLSCertDuration", DEFAULT_MIN_TLS,
			     &out->min_tls_ns, &min_set, err) != 0 ||
	    resolve_duration(prov_claims, global_claims, "maxTLSCertDuration", DEFAULT_MAX_TLS,
			     &out->max_tls_ns, &max_set, err) != 0 ||
	    resolve_duration(prov_claims, global_claims, "defaultTLSCertDuration",
			     DEFAULT_DEFAULT_TLS, &out->default_tls_ns, &def_set, err) != 0)
		return -1;
	/* A provisioner default outside the inherited bounds widens them (step's rule). */
	if (def_set && !min_set && out->default_tls_ns < out->min_tls_ns)
		out->min_tls_ns = out->default_tls_ns;
	if (def_set && !max_set && out->default_tls_ns > out->max_tls_ns)
		out->max_tls_ns = out->default_tls_ns;

	if (out->min_tls_ns <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: MinTLSCertDuration must be greater than 0");
	if (out->max_tls_ns <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: MaxTLSCertDuration must be greater than 0");
	if (out->default_tls_ns <= 0)
		return err_set(err, ERR_INVALID,
			       "claims: DefaultTLSCertDuration must be greater than 0");
	if (check_order("MaxCertDuration", out->max_tls_ns, "MinCertDuration", out->min_tls_ns,
			err) != 0 ||
	    check_order("DefaultCertDuration", out->default_tls_ns, "MinCertDuration",
			out->min_tls_ns, err) != 0 ||
	    check_order("MaxCertDuration", out->max_tls_ns, "DefaultCertDuration",
			out->default_tls_ns, err) != 0)
		return -1;

	if (resolve_bool(prov_claims, global_claims, "disableRenewal", &out->disable_renewal,
			 err) != 0 ||
	    resolve_bool(prov_claims, global_claims, "allowRenewalAfterExpiry",
			 &out->allow_renewal_after_expiry, err) != 0 ||
	    resolve_bool(prov_claims, global_claims, "enableSSHCA", &out->enable_ssh_ca, err) !=
		0 ||
	    resolve_ssh(prov_claims, global_claims, out, err) != 0)
		return -1;
	return 0;
}
