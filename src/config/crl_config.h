/* crl_config.h - ca.json's "crl" object (step-ca's CRLConfig, newest versions), plus stride's
 * "distributionPoint" member.
 *
 * {"enabled": true, "generateOnRevoke": true, "cacheDuration": "24h", "renewPeriod": "16h",
 *  "idpURL": "http://ca.example.com/crl", "distributionPoint": true}
 */
#ifndef STRIDE_CONFIG_CRL_CONFIG_H
#define STRIDE_CONFIG_CRL_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

#define CRL_DEFAULT_CACHE_DURATION (24 * INT64_C(3600000000000)) /* step-ca: 24h */

struct crl_config {
	bool enabled;		   /* enabled */
	bool generate_on_revoke;   /* generateOnRevoke */
	int64_t cache_duration_ns; /* cacheDuration; 24h when enabled and absent */
	int64_t renew_period_ns;   /* renewPeriod; 0 when absent */
	char *idp_url;		   /* idpURL, or NULL */
	/* Beyond step-ca (which puts no CRL Distribution Points in the certificates it issues):
	 * when the CRL is enabled, issued X.509 leaves carry one with the CRL's URL (idpURL, else
	 * https://<dnsNames[0]>/1.0/crl), the full name of the CRL's Issuing Distribution Point. */
	bool distribution_point;
};

/* Reads doc's "crl" (absent or null: disabled) into out and checks it as step-ca does
 * ("crl.cacheDuration must be greater than or equal to crl.renewPeriod", ...). Messages are
 * "error parsing <path>: ...". out is zeroed first; free with crl_config_clear. */
int crl_config_parse(const char *path, const json_t *doc, struct crl_config *out,
		     struct error *err);
/* Frees what c owns and zeroes it. */
void crl_config_clear(struct crl_config *c);
/* How often the CRL is regenerated: renewPeriod when > 0, else 2/3 of cacheDuration (step-ca's
 * TickerDuration); 0 when disabled. */
int64_t crl_config_renew_interval(const struct crl_config *c);
/* The CRL's URL: idpURL, else "https://<dns_name>/1.0/crl" (an IPv6 address in brackets);
 * malloc'd. */
char *crl_config_url(const struct crl_config *c, const char *dns_name);

#endif
