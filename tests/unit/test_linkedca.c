/* test_linkedca.c - a provisioner between its linkedca form and its ca.json form, both ways and
 * for every type (exact JSON, member order included), the admin API's create body, snake_case
 * and enum numbers, refused inputs with their messages, and the admin forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/str.h"
#include "config/linkedca.h"

/* ---------------------------------------------------------------- fixtures */

#define PEM_C1                                                                                     \
	"-----BEGIN CERTIFICATE-----\n"                                                            \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\n"                       \
	"MDEyMzQ1Njc4OTo7PD0+P0BBQkNERQ==\n"                                                       \
	"-----END CERTIFICATE-----\n"
#define PEM_C2                                                                                     \
	"-----BEGIN CERTIFICATE-----\n"                                                            \
	"ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo+QkZKT\n"                       \
	"lJU=\n"                                                                                   \
	"-----END CERTIFICATE-----\n"
#define PEM_PK                                                                                     \
	"-----BEGIN PUBLIC KEY-----\n"                                                             \
	"Hh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xN\n"                       \
	"Tk9QUVJTVFVWV1hZWg==\n"                                                                   \
	"-----END PUBLIC KEY-----\n"
#define PEM_N1                                                                                     \
	"-----BEGIN NEBULA CERTIFICATE-----\n"                                                     \
	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYn\n"                                   \
	"-----END NEBULA CERTIFICATE-----\n"
#define PEM_N2                                                                                     \
	"-----BEGIN NEBULA CERTIFICATE-----\n"                                                     \
	"AgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLA==\n"                           \
	"-----END NEBULA CERTIFICATE-----\n"
#define PEM_KP                                                                                     \
	"-----BEGIN EC PRIVATE KEY-----\n"                                                         \
	"BQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAx\n"                           \
	"-----END EC PRIVATE KEY-----\n"
#define KEY_JSON                                                                                   \
	"{\"use\":\"sig\",\"kty\":\"EC\",\"kid\":\"K1\",\"crv\":\"P-256\",\"alg\":\"ES256\","      \
	"\"x\":\"X\",\"y\":\"Y\"}"
#define KEY_Q "{'use':'sig','kty':'EC','kid':'K1','crv':'P-256','alg':'ES256','x':'X','y':'Y'}"
#define JWE   "eyJhbGciOiJQQkVTMi1IUzI1NitBMTI4S1ciLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d"

/* Placeholders "@NAME@" in the JSON below stand for the standard base64 of these texts. */
static const struct {
	const char *name, *text;
} b64s[] = {
    {"KEY", KEY_JSON},
    {"JWE", JWE},
    {"C1", PEM_C1},
    {"C2", PEM_C2},
    {"PK", PEM_PK},
    {"N1", PEM_N1},
    {"N2", PEM_N2},
    {"KP", PEM_KP},
    {"C1C2", PEM_C1 PEM_C2},
    {"C1NLC2", PEM_C1 "\n" PEM_C2},
    {"N1N2", PEM_N1 PEM_N2},
    {"PW", "pw"},
    {"TPL", "{{ toJson .Insecure.User }}"},
    {"TD", "{\"a\":1}"},
    {"SSHTPL", "{}"},
    {"BADJSON", "{nope"},
    {"ARRAY", "[1]"},
};

/* text with ' turned into " and every @NAME@ into its base64; malloc'd. */
static char *expand(const char *text)
{
	char *out = xstrdup(text);

	for (char *p = out; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	for (size_t i = 0; i < sizeof(b64s) / sizeof(b64s[0]); i++) {
		char *tag = xasprintf("@%s@", b64s[i].name), *b, *at;

		b = b64_encode(b64s[i].text, strlen(b64s[i].text));
		while ((at = strstr(out, tag)) != NULL) {
			char *n = xasprintf("%.*s%s%s", (int)(at - out), out, b, at + strlen(tag));
			free(out);
			out = n;
		}
		free(b);
		free(tag);
	}
	return out;
}

static json_t *load(const char *text)
{
	char *s = expand(text);
	json_error_t jerr;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &jerr);

	if (v == NULL)
		fail_msg("bad test JSON: %s: %s", jerr.text, s);
	free(s);
	return v;
}

/* got equals the JSON text want, members in the same order. */
static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = load(want_text);
	char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
	char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!json_equal((json_t *)got, want))
		fail_msg("JSON differs:\n got  %s\n want %s", g, w);
	assert_string_equal(g, w);
	free(g);
	free(w);
	json_decref(want);
}

static json_t *to_config_ok(const char *lc_text)
{
	json_t *lc = load(lc_text), *out = NULL;
	struct error err = {0};

	if (linkedca_to_config(lc, &out, &err) != 0)
		fail_msg("linkedca_to_config: %s", err.msg);
	json_decref(lc);
	return out;
}

static json_t *from_config_ok(const char *cfg_text, const char *id, int64_t created, bool meta)
{
	json_t *cfg = load(cfg_text), *out = NULL;
	struct error err = {0};

	if (linkedca_from_config(cfg, id, created, meta, &out, &err) != 0)
		fail_msg("linkedca_from_config: %s", err.msg);
	json_decref(cfg);
	return out;
}

/* ---------------------------------------------------------------- every type, both ways */

struct both_case {
	const char *cfg; /* the ca.json object (step-ca's layout) */
	const char *lc;	 /* its linkedca form */
};

static const struct both_case both_cases[] = {
    /* JWK: key, encryptedKey, every claim, an x509 template with data */
    {"{'type':'JWK','name':'jwk@example.com','key':" KEY_Q ",'encryptedKey':'" JWE "',"
     "'claims':{'minTLSCertDuration':'5m0s','maxTLSCertDuration':'24h0m0s',"
     "'defaultTLSCertDuration':'1h0m0s','minUserSSHCertDuration':'1m0s',"
     "'maxUserSSHCertDuration':'24h0m0s','defaultUserSSHCertDuration':'16h0m0s',"
     "'minHostSSHCertDuration':'5m0s','maxHostSSHCertDuration':'720h0m0s',"
     "'defaultHostSSHCertDuration':'720h0m0s','enableSSHCA':true,'disableRenewal':false,"
     "'allowRenewalAfterExpiry':true,'disableSmallstepExtensions':false},"
     "'options':{'x509':{'template':'{{ toJson .Insecure.User }}','templateData':{'a':1}},"
     "'ssh':{}}}",
     "{'type':'JWK','name':'jwk@example.com','details':{'JWK':{'publicKey':'@KEY@',"
     "'encryptedPrivateKey':'@JWE@'}},'claims':{'x509':{'enabled':true,'durations':"
     "{'default':'1h0m0s','min':'5m0s','max':'24h0m0s'}},'ssh':{'enabled':true,"
     "'userDurations':{'default':'16h0m0s','min':'1m0s','max':'24h0m0s'},'hostDurations':"
     "{'default':'720h0m0s','min':'5m0s','max':'720h0m0s'}},'allowRenewalAfterExpiry':true},"
     "'x509Template':{'template':'@TPL@','data':'@TD@'}}"},
    /* OIDC */
    {"{'type':'OIDC','name':'google','clientID':'cid','clientSecret':'sec',"
     "'configurationEndpoint':'https://accounts.example.com/.well-known/openid-configuration',"
     "'tenantID':'t1','admins':['a@example.com'],'domains':['example.com'],'groups':['g'],"
     "'listenAddress':':10000','claims':{'disableRenewal':false,"
     "'allowRenewalAfterExpiry':false,'disableSmallstepExtensions':true},"
     "'options':{'x509':{},'ssh':{}},'scopes':['openid','email'],'authParams':['prompt=login']}",
     "{'type':'OIDC','name':'google','details':{'OIDC':{'clientId':'cid','clientSecret':'sec',"
     "'configurationEndpoint':'https://accounts.example.com/.well-known/openid-configuration',"
     "'admins':['a@example.com'],'domains':['example.com'],'groups':['g'],"
     "'listenAddress':':10000','tenantId':'t1','scopes':['openid','email'],"
     "'authParams':['prompt=login']}},'claims':{'disableSmallstepExtensions':true}}"},
    /* GCP: optional bool set to false, no claims */
    {"{'type':'GCP','name':'gcp','serviceAccounts':['sa@p1.iam.gserviceaccount.com'],"
     "'projectIDs':['p1'],'organizationID':'123','disableCustomSANs':false,"
     "'disableTrustOnFirstUse':true,'disableSSHCAUser':false,'instanceAge':'1h0m0s',"
     "'options':{'x509':{},'ssh':{}}}",
     "{'type':'GCP','name':'gcp','details':{'GCP':{'serviceAccounts':"
     "['sa@p1.iam.gserviceaccount.com'],'projectIds':['p1'],'disableTrustOnFirstUse':true,"
     "'instanceAge':'1h0m0s','disableSshCaUser':false,'organizationId':'123'}}}"},
    /* AWS: imdsVersions null and instanceAge 0s as step-ca writes them */
    {"{'type':'AWS','name':'aws','accounts':['123456789012'],'disableCustomSANs':true,"
     "'disableTrustOnFirstUse':false,'imdsVersions':null,'instanceAge':'0s',"
     "'options':{'x509':{},'ssh':{}}}",
     "{'type':'AWS','name':'aws','details':{'AWS':{'accounts':['123456789012'],"
     "'disableCustomSans':true,'instanceAge':'0s'}}}"},
    /* AZURE: empty lists null */
    {"{'type':'AZURE','name':'azure','tenantID':'tid','resourceGroups':['rg'],"
     "'subscriptionIDs':null,'objectIDs':null,'audience':'https://management.azure.com/',"
     "'disableCustomSANs':false,'disableTrustOnFirstUse':false,'options':{'x509':{},'ssh':{}}}",
     "{'type':'AZURE','name':'azure','details':{'Azure':{'tenantId':'tid','resourceGroups':"
     "['rg'],'audience':'https://management.azure.com/'}}}"},
    /* ACME: every member; attestation roots joined without a separator */
    {"{'type':'ACME','name':'acme','forceCN':true,'termsOfService':'https://tos.example.com',"
     "'website':'https://www.example.com','caaIdentities':['ca.example.com'],'requireEAB':true,"
     "'challenges':['http-01','dns-01','tls-alpn-01','device-attest-01'],"
     "'attestationFormats':['apple','step','tpm'],'attestationRoots':'@C1C2@',"
     "'claims':{'defaultTLSCertDuration':'1h0m0s','disableRenewal':false,"
     "'allowRenewalAfterExpiry':false,'disableSmallstepExtensions':false},"
     "'options':{'x509':{},'ssh':{}}}",
     "{'type':'ACME','name':'acme','details':{'ACME':{'forceCn':true,'requireEab':true,"
     "'challenges':['HTTP_01','DNS_01','TLS_ALPN_01','DEVICE_ATTEST_01'],"
     "'attestationFormats':['APPLE','STEP','TPM'],'attestationRoots':['@C1@','@C2@'],"
     "'termsOfService':'https://tos.example.com','website':'https://www.example.com',"
     "'caaIdentities':['ca.example.com']}},'claims':{'x509':{'enabled':true,'durations':"
     "{'default':'1h0m0s'}}}}"},
    /* X5C: roots joined with a newline; an SSH template */
    {"{'type':'X5C','name':'x5c','roots':'@C1NLC2@','claims':{'enableSSHCA':true,"
     "'disableRenewal':true,'allowRenewalAfterExpiry':false,'disableSmallstepExtensions':false},"
     "'options':{'x509':{},'ssh':{'template':'{}'}}}",
     "{'type':'X5C','name':'x5c','details':{'X5C':{'roots':['@C1@','@C2@']}},"
     "'claims':{'ssh':{'enabled':true},'disableRenewal':true},"
     "'sshTemplate':{'template':'@SSHTPL@'}}"},
    /* K8SSA */
    {"{'type':'K8SSA','name':'k8s','publicKeys':'@PK@','options':{'x509':{},'ssh':{}}}",
     "{'type':'K8SSA','name':'k8s','details':{'K8sSA':{'publicKeys':['@PK@']}}}"},
    /* SSHPOP: no options */
    {"{'type':'SSHPOP','name':'sshpop','claims':{'enableSSHCA':true,'disableRenewal':false,"
     "'allowRenewalAfterExpiry':false,'disableSmallstepExtensions':false}}",
     "{'type':'SSHPOP','name':'sshpop','details':{'SSHPOP':{}},'claims':{'ssh':"
     "{'enabled':true}}}"},
    /* SCEP: the decrypter, options before claims */
    {"{'type':'SCEP','name':'scep','forceCN':true,'challenge':'secret','capabilities':"
     "['Renewal'],'includeRoot':true,'excludeIntermediate':true,'minimumPublicKeyLength':2048,"
     "'decrypterCertificate':'@C1@','decrypterKeyPEM':'@KP@','decrypterKey':'softkms:k',"
     "'decrypterKeyPassword':'pw','encryptionAlgorithmIdentifier':2,"
     "'options':{'x509':{},'ssh':{}},'claims':{'disableRenewal':false,"
     "'allowRenewalAfterExpiry':false,'disableSmallstepExtensions':false}}",
     "{'type':'SCEP','name':'scep','details':{'SCEP':{'forceCn':true,'challenge':'secret',"
     "'capabilities':['Renewal'],'minimumPublicKeyLength':2048,'includeRoot':true,"
     "'encryptionAlgorithmIdentifier':2,'decrypter':{'certificate':'@C1@','key':'@KP@',"
     "'keyUri':'softkms:k','keyPassword':'@PW@'},'excludeIntermediate':true}},'claims':{}}"},
    /* NEBULA */
    {"{'type':'NEBULA','name':'nebula','roots':'@N1N2@','options':{'x509':{},'ssh':{}}}",
     "{'type':'NEBULA','name':'nebula','details':{'Nebula':{'roots':['@N1@','@N2@']}}}"},
};

static void test_to_config_every_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(both_cases) / sizeof(both_cases[0]); i++) {
		json_t *got = to_config_ok(both_cases[i].lc);
		assert_json(got, both_cases[i].cfg);
		json_decref(got);
	}
}

static void test_from_config_every_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(both_cases) / sizeof(both_cases[0]); i++) {
		json_t *got = from_config_ok(both_cases[i].cfg, NULL, 0, false);
		assert_json(got, both_cases[i].lc);
		json_decref(got);
	}
}

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(both_cases) / sizeof(both_cases[0]); i++) {
		json_t *cfg = load(both_cases[i].cfg), *lc = NULL, *back = NULL;
		struct error err = {0};

		assert_int_equal(linkedca_from_config(cfg, "id-1", 1, true, &lc, &err), 0);
		assert_int_equal(linkedca_to_config(lc, &back, &err), 0);
		assert_true(json_equal(back, cfg));
		json_decref(back);
		json_decref(lc);
		json_decref(cfg);
	}
}

/* ---------------------------------------------------------------- linkedca -> ca.json */

struct to_case {
	const char *lc, *cfg;
};

static const struct to_case to_cases[] = {
    /* admin.md §4.2's create body */
    {"{'type':'ACME','name':'acme2','details':{'ACME':{'forceCn':true,'requireEab':true,"
     "'challenges':['HTTP_01','DNS_01']}},'claims':{'x509':{'enabled':true,'durations':"
     "{'default':'1h'}},'ssh':{'enabled':false}}}",
     "{'type':'ACME','name':'acme2','forceCN':true,'requireEAB':true,'challenges':['http-01',"
     "'dns-01'],'claims':{'defaultTLSCertDuration':'1h0m0s','enableSSHCA':false,"
     "'disableRenewal':false,'allowRenewalAfterExpiry':false,"
     "'disableSmallstepExtensions':false},'options':{'x509':{},'ssh':{}}}"},
    /* snake_case members everywhere, metadata ignored, durations normalised */
    {"{'id':'x','authority_id':'a','type':'JWK','name':'j','details':{'JWK':{'public_key':"
     "'@KEY@','encrypted_private_key':'@JWE@'}},'claims':{'x509':{'durations':{'min':'5m',"
     "'max':'90m'}},'ssh':{'enabled':true,'user_durations':{'default':'1.5h'},"
     "'host_durations':{'max':'1h30m'}},'disable_renewal':true,"
     "'allow_renewal_after_expiry':true,'disable_smallstep_extensions':true},"
     "'x509_template':{'template':'@TPL@'},'ssh_template':{'data':'@TD@'},"
     "'created_at':'2026-01-01T00:00:00Z','deleted_at':null,'policy':{},'webhooks':[]}",
     "{'type':'JWK','name':'j','key':" KEY_Q ",'encryptedKey':'" JWE "','claims':"
     "{'minTLSCertDuration':'5m0s','maxTLSCertDuration':'1h30m0s',"
     "'defaultUserSSHCertDuration':'1h30m0s','maxHostSSHCertDuration':'1h30m0s',"
     "'enableSSHCA':true,'disableRenewal':true,'allowRenewalAfterExpiry':true,"
     "'disableSmallstepExtensions':true},'options':{'x509':{'template':"
     "'{{ toJson .Insecure.User }}'},'ssh':{'templateData':{'a':1}}}}"},
    /* enum numbers: type 6 (ACME), challenges 1 and 3 (0 and unknown numbers skipped) */
    {"{'type':6,'name':'a','details':{'ACME':{'challenges':[1,0,3,99],"
     "'attestation_formats':[2,'TPM','NONE']}}}",
     "{'type':'ACME','name':'a','challenges':['http-01','tls-alpn-01'],"
     "'attestationFormats':['step','tpm'],'options':{'x509':{},'ssh':{}}}"},
    /* type numbers: 8 is K8SSA, 11 NEBULA; no PEM lists: null roots for Nebula */
    {"{'type':8,'name':'k','details':{'K8sSA':{}}}",
     "{'type':'K8SSA','name':'k','options':{'x509':{},'ssh':{}}}"},
    {"{'type':11,'name':'n','details':{'Nebula':{'roots':[]}}}",
     "{'type':'NEBULA','name':'n','roots':null,'options':{'x509':{},'ssh':{}}}"},
    /* URL-safe and unpadded base64; X5C roots always "\n"-joined */
    {"{'type':'X5C','name':'x','details':{'X5C':{'roots':['@C1@','@C2@']}}}",
     "{'type':'X5C','name':'x','roots':'@C1NLC2@','options':{'x509':{},'ssh':{}}}"},
    {"{'type':'JWK','name':'j','details':{'JWK':{'publicKey':"
     "'eyJ1c2UiOiJzaWciLCJrdHkiOiJFQyIsImtpZCI6IksxIiwiY3J2IjoiUC0yNTYiLCJhbGciOiJFUzI1NiIs"
     "IngiOiJYIiwieSI6IlkifQ'}},'claims':null}",
     "{'type':'JWK','name':'j','key':" KEY_Q ",'options':{'x509':{},'ssh':{}}}"},
    {"{'type':'SCEP','name':'s','details':{'SCEP':{'minimumPublicKeyLength':'1024',"
     "'encryptionAlgorithmIdentifier':0}}}",
     "{'type':'SCEP','name':'s','minimumPublicKeyLength':1024,'options':{'x509':{},'ssh':{}}}"},
    /* empty claims: the three booleans only; SSHPOP takes no templates */
    {"{'type':'SSHPOP','name':'p','details':{'SSHPOP':{}},'claims':{},"
     "'x509Template':{'template':'@TPL@'}}",
     "{'type':'SSHPOP','name':'p','claims':{'disableRenewal':false,"
     "'allowRenewalAfterExpiry':false,'disableSmallstepExtensions':false}}"},
    /* null details members are absent */
    {"{'type':'AWS','name':'a','details':{'JWK':null,'AWS':{'accounts':null,"
     "'instanceAge':'90s'}}}",
     "{'type':'AWS','name':'a','accounts':null,'disableCustomSANs':false,"
     "'disableTrustOnFirstUse':false,'imdsVersions':null,'instanceAge':'1m30s',"
     "'options':{'x509':{},'ssh':{}}}"},
};

static void test_to_config_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(to_cases) / sizeof(to_cases[0]); i++) {
		json_t *got = to_config_ok(to_cases[i].lc);
		assert_json(got, to_cases[i].cfg);
		json_decref(got);
	}
}

struct bad_case {
	const char *in, *msg;
};

static const struct bad_case to_bad[] = {
    {"[]", "provisioner must be a JSON object"},
    {"{'name':'a','details':{'ACME':{}}}", "provisioner type cannot be empty"},
    {"{'type':'FOO','name':'a','details':{'ACME':{}}}",
     "invalid value for provisioner type: \"FOO\""},
    {"{'type':'acme','name':'a','details':{'ACME':{}}}",
     "invalid value for provisioner type: \"acme\""},
    {"{'type':12,'name':'a','details':{'ACME':{}}}", "invalid value for provisioner type: 12"},
    {"{'type':true,'name':'a','details':{'ACME':{}}}",
     "provisioner type must be a string or a number"},
    {"{'type':'NOOP','name':'a','details':{'ACME':{}}}", "provisioner type NOOP is not supported"},
    {"{'type':'ACME','details':{'ACME':{}}}", "provisioner name cannot be empty"},
    {"{'type':'ACME','name':'','details':{'ACME':{}}}", "provisioner name cannot be empty"},
    {"{'type':'ACME','name':7,'details':{'ACME':{}}}", "name must be a string"},
    {"{'type':'ACME','name':'a'}", "provisioner does not have any details"},
    {"{'type':'ACME','name':'a','details':{}}", "provisioner does not have any details"},
    {"{'type':'ACME','name':'a','details':{'ACME':null}}", "provisioner does not have any details"},
    {"{'type':'ACME','name':'a','details':[]}", "details must be an object"},
    {"{'type':'ACME','name':'a','details':{'JWK':{},'ACME':{}}}",
     "details must have exactly one key: got \"JWK\" and \"ACME\""},
    {"{'type':'ACME','name':'a','details':{'FOO':{}}}", "unknown details key \"FOO\""},
    {"{'type':'JWK','name':'a','details':{'ACME':{}}}",
     "details key \"ACME\" does not match provisioner type JWK"},
    {"{'type':'K8SSA','name':'a','details':{'K8SSA':{}}}", "unknown details key \"K8SSA\""},
    {"{'type':'ACME','name':'a','details':{'ACME':true}}", "details.ACME must be an object"},
    {"{'type':'JWK','name':'a','details':{'JWK':{}}}", "details.JWK.publicKey is required"},
    {"{'type':'JWK','name':'a','details':{'JWK':{'publicKey':''}}}",
     "details.JWK.publicKey is required"},
    {"{'type':'JWK','name':'a','details':{'JWK':{'publicKey':'ab$d'}}}",
     "details.JWK.publicKey is not valid base64: illegal base64 data at input byte 2"},
    {"{'type':'JWK','name':'a','details':{'JWK':{'publicKey':1}}}",
     "details.JWK.publicKey must be a base64 string"},
    {"{'type':'JWK','name':'a','details':{'JWK':{'publicKey':'@BADJSON@'}}}",
     "details.JWK.publicKey is not valid JSON: string or '}' expected near 'nope'"},
    {"{'type':'JWK','name':'a','details':{'JWK':{'publicKey':'@ARRAY@'}}}",
     "details.JWK.publicKey is not a JSON web key"},
    {"{'type':'JWK','name':'a','details':{'JWK':{'publicKey':'@KEY@','public_key':'@KEY@'}}}",
     "details.JWK.publicKey is given twice (publicKey and public_key)"},
    {"{'type':'JWK','name':'a','details':{'JWK':{'publicKey':'@KEY@',"
     "'encryptedPrivateKey':'/w=='}}}",
     "details.JWK.encryptedPrivateKey is not valid UTF-8 text"},
    {"{'type':'ACME','name':'a','details':{'ACME':{'forceCn':'yes'}}}",
     "details.ACME.forceCn must be a boolean"},
    {"{'type':'ACME','name':'a','details':{'ACME':{'challenges':['HTTP-01']}}}",
     "invalid value for details.ACME.challenges: \"HTTP-01\""},
    {"{'type':'ACME','name':'a','details':{'ACME':{'challenges':'HTTP_01'}}}",
     "details.ACME.challenges must be an array"},
    {"{'type':'ACME','name':'a','details':{'ACME':{'caaIdentities':[1]}}}",
     "details.ACME.caaIdentities must be an array of strings"},
    {"{'type':'X5C','name':'a','details':{'X5C':{'roots':['@C1@','*']}}}",
     "details.X5C.roots[1] is not valid base64: illegal base64 data at input byte 0"},
    {"{'type':'SCEP','name':'a','details':{'SCEP':{'minimumPublicKeyLength':'x'}}}",
     "details.SCEP.minimumPublicKeyLength must be an integer"},
    {"{'type':'SCEP','name':'a','details':{'SCEP':{'minimumPublicKeyLength':4294967296}}}",
     "details.SCEP.minimumPublicKeyLength is out of range"},
    {"{'type':'SCEP','name':'a','details':{'SCEP':{'decrypter':{'keyUri':5}}}}",
     "details.SCEP.decrypter.keyUri must be a string"},
    {"{'type':'AWS','name':'a','details':{'AWS':{'instanceAge':'x'}}}",
     "error parsing instance age 'x' (details.AWS.instanceAge): time: invalid duration \"x\""},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'claims':[]}", "claims must be an object"},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'claims':{'x509':{'durations':"
     "{'min':'abc'}}}}",
     "error parsing minimum duration 'abc' (claims.x509.durations.min): time: invalid "
     "duration \"abc\""},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'claims':{'ssh':{'userDurations':"
     "{'default':'5'}}}}",
     "error parsing default duration '5' (claims.ssh.userDurations.default): time: missing "
     "unit in duration \"5\""},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'claims':{'ssh':{'hostDurations':"
     "{'max':'1y'}}}}",
     "error parsing maximum duration '1y' (claims.ssh.hostDurations.max): time: unknown unit "
     "\"y\" in duration \"1y\""},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'claims':{'x509':{'durations':"
     "{'max':60}}}}",
     "claims.x509.durations.max must be a string"},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'claims':{'disableRenewal':'no'}}",
     "claims.disableRenewal must be a boolean"},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'x509Template':{'template':'@TPL@',"
     "'data':'@BADJSON@'}}",
     "x509Template.data is not valid JSON: string or '}' expected near 'nope'"},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'sshTemplate':{'template':'%%'}}",
     "sshTemplate.template is not valid base64: illegal base64 data at input byte 0"},
    {"{'type':'ACME','name':'a','details':{'ACME':{}},'x509Template':'t'}",
     "x509Template must be an object"},
};

static void test_to_config_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(to_bad) / sizeof(to_bad[0]); i++) {
		json_t *in = load(to_bad[i].in), *out = (json_t *)1;
		struct error err = {0};

		assert_int_equal(linkedca_to_config(in, &out, &err), -1);
		assert_null(out);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, to_bad[i].msg);
		json_decref(in);
	}
}

/* ---------------------------------------------------------------- ca.json -> linkedca */

static void test_from_config_meta(void **state)
{
	json_t *got;

	(void)state;
	/* GET's form: id, authorityId, createdAt, deletedAt around the provisioner */
	got =
	    from_config_ok("{'type':'ACME','name':'acme'}", "11c97429-c9f1-4175-9feb-7e9c24d95a3a",
			   INT64_C(1796313825) * NS_PER_SEC, true);
	assert_json(got, "{'id':'11c97429-c9f1-4175-9feb-7e9c24d95a3a',"
			 "'authorityId':'00000000-0000-0000-0000-000000000000','type':'ACME',"
			 "'name':'acme','details':{'ACME':{}},'createdAt':'2026-12-03T16:03:45Z',"
			 "'deletedAt':'0001-01-01T00:00:00Z'}");
	json_decref(got);
	/* POST's answer: the id only; fractions of a second in 3, 6 or 9 digits */
	got = from_config_ok("{'type':'SSHPOP','name':'p'}", "i", 0, false);
	assert_json(got, "{'id':'i','type':'SSHPOP','name':'p','details':{'SSHPOP':{}}}");
	json_decref(got);
	got = from_config_ok("{'type':'SSHPOP','name':'p'}", NULL,
			     INT64_C(1796313825) * NS_PER_SEC + 120000000, false);
	assert_json(got, "{'type':'SSHPOP','name':'p','details':{'SSHPOP':{}},"
			 "'createdAt':'2026-12-03T16:03:45.120Z'}");
	json_decref(got);
	got = from_config_ok("{'type':'SSHPOP','name':'p'}", NULL,
			     INT64_C(1796313825) * NS_PER_SEC + 1500, false);
	assert_json(got, "{'type':'SSHPOP','name':'p','details':{'SSHPOP':{}},"
			 "'createdAt':'2026-12-03T16:03:45.000001500Z'}");
	json_decref(got);
}

struct from_case {
	const char *cfg, *lc;
};

static const struct from_case from_cases[] = {
    /* type in any case; step's ca.json spellings */
    {"{'type':'jwk','name':'j','key':" KEY_Q "}",
     "{'type':'JWK','name':'j','details':{'JWK':{'publicKey':'@KEY@'}}}"},
    {"{'type':'K8sSA','name':'k'}", "{'type':'K8SSA','name':'k','details':{'K8sSA':{}}}"},
    {"{'type':'Azure','name':'z','tenantID':'t'}",
     "{'type':'AZURE','name':'z','details':{'Azure':{'tenantId':'t'}}}"},
    {"{'type':'Nebula','name':'n'}", "{'type':'NEBULA','name':'n','details':{'Nebula':{}}}"},
    /* durations as Go writes them; SSH durations dropped without enableSSHCA; the zero
     * booleans omitted */
    {"{'type':'X5C','name':'x','roots':'@C1@','claims':{'maxTLSCertDuration':'24h',"
     "'minUserSSHCertDuration':'1m','enableSSHCA':false,'disableRenewal':false}}",
     "{'type':'X5C','name':'x','details':{'X5C':{'roots':['@C1@']}},'claims':{'x509':"
     "{'enabled':true,'durations':{'max':'24h0m0s'}}}}"},
    /* unknown challenges skipped, the name in any case; templateFile not read; data alone
     * is no template */
    {"{'type':'ACME','name':'a','challenges':['HTTP-01','wire-oidc-01'],'options':{'x509':"
     "{'templateFile':'t.tpl'},'ssh':{'templateData':{'a':1}}}}",
     "{'type':'ACME','name':'a','details':{'ACME':{'challenges':['HTTP_01']}}}"},
    /* AWS and GCP: instanceAge always given */
    {"{'type':'AWS','name':'a','instanceAge':'90s'}",
     "{'type':'AWS','name':'a','details':{'AWS':{'instanceAge':'1m30s'}}}"},
    {"{'type':'GCP','name':'g'}",
     "{'type':'GCP','name':'g','details':{'GCP':{'instanceAge':'0s'}}}"},
    {"{'type':'SCEP','name':'s'}",
     "{'type':'SCEP','name':'s','details':{'SCEP':{'decrypter':{}}}}"},
};

static void test_from_config_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		json_t *got = from_config_ok(from_cases[i].cfg, NULL, 0, false);
		assert_json(got, from_cases[i].lc);
		json_decref(got);
	}
}

static void test_from_config_pem_junk(void **state)
{
	char *b = b64_encode("junk\n" PEM_C1 "more junk\n" PEM_C2, strlen(PEM_C1 PEM_C2) + 15);
	char *cfg = xasprintf("{'type':'X5C','name':'x','roots':'%s'}", b);
	json_t *got;

	(void)state;
	got = from_config_ok(cfg, NULL, 0, false);
	assert_json(got, "{'type':'X5C','name':'x','details':{'X5C':{'roots':['@C1@','@C2@']}}}");
	json_decref(got);
	free(cfg);
	free(b);
}

static const struct bad_case from_bad[] = {
    {"[]", "provisioner must be a JSON object"},
    {"{'name':'a'}", "provisioner type cannot be empty"},
    {"{'type':'FOO','name':'a'}", "provisioner type FOO not supported"},
    {"{'type':'ACME'}", "provisioner name cannot be empty"},
    {"{'type':'JWK','name':'a'}", "provisioner key cannot be empty"},
    {"{'type':'JWK','name':'a','key':'k'}", "key must be an object"},
    {"{'type':'X5C','name':'a','roots':'!!'}",
     "roots is not valid base64: illegal base64 data at input byte 0"},
    {"{'type':'ACME','name':'a','forceCN':1}", "forceCN must be a boolean"},
    {"{'type':'ACME','name':'a','challenges':'http-01'}", "challenges must be an array of strings"},
    {"{'type':'OIDC','name':'a','clientID':1}", "clientID must be a string"},
    {"{'type':'AWS','name':'a','instanceAge':60}", "instanceAge must be a duration string"},
    {"{'type':'AWS','name':'a','instanceAge':'1d'}",
     "error parsing instanceAge '1d': time: unknown unit \"d\" in duration \"1d\""},
    {"{'type':'SCEP','name':'a','minimumPublicKeyLength':'2048'}",
     "minimumPublicKeyLength must be an integer"},
    {"{'type':'ACME','name':'a','claims':{'maxTLSCertDuration':'1x'}}",
     "error parsing claims.maxTLSCertDuration '1x': time: unknown unit \"x\" in duration \"1x\""},
    {"{'type':'ACME','name':'a','claims':{'minTLSCertDuration':5}}",
     "claims.minTLSCertDuration must be a duration string"},
    {"{'type':'ACME','name':'a','claims':{'enableSSHCA':'true'}}",
     "claims.enableSSHCA must be a boolean"},
    {"{'type':'ACME','name':'a','claims':[]}", "claims must be an object"},
    {"{'type':'ACME','name':'a','options':[]}", "options must be an object"},
    {"{'type':'ACME','name':'a','options':{'x509':{'template':1}}}",
     "options.x509.template must be a string"},
};

static void test_from_config_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(from_bad) / sizeof(from_bad[0]); i++) {
		json_t *in = load(from_bad[i].in), *out = (json_t *)1;
		struct error err = {0};

		assert_int_equal(linkedca_from_config(in, "id", 1, true, &out, &err), -1);
		assert_null(out);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, from_bad[i].msg);
		json_decref(in);
	}
}

/* ---------------------------------------------------------------- admins */

static void test_admin_forms(void **state)
{
	json_t *v;

	(void)state;
	assert_string_equal(linkedca_admin_type_name(0), "UNKNOWN");
	assert_string_equal(linkedca_admin_type_name(LINKEDCA_ADMIN), "ADMIN");
	assert_string_equal(linkedca_admin_type_name(LINKEDCA_SUPER_ADMIN), "SUPER_ADMIN");
	assert_string_equal(linkedca_admin_type_name(7), "UNKNOWN");

	v = linkedca_admin_p("f28d411f-330e-4842-8246-d259bb0441eb", "bob@example.com",
			     "11c97429-c9f1-4175-9feb-7e9c24d95a3a", LINKEDCA_ADMIN, 0);
	assert_json(v, "{'id':'f28d411f-330e-4842-8246-d259bb0441eb',"
		       "'authorityId':'00000000-0000-0000-0000-000000000000',"
		       "'subject':'bob@example.com',"
		       "'provisionerId':'11c97429-c9f1-4175-9feb-7e9c24d95a3a','type':'ADMIN'}");
	json_decref(v);
	v = linkedca_admin_p("a", "step", "p", LINKEDCA_SUPER_ADMIN,
			     INT64_C(1796313825) * NS_PER_SEC);
	assert_json(v, "{'id':'a','authorityId':'00000000-0000-0000-0000-000000000000',"
		       "'subject':'step','provisionerId':'p','type':'SUPER_ADMIN',"
		       "'createdAt':'2026-12-03T16:03:45Z'}");
	json_decref(v);

	v = linkedca_admin_j("7a8c", "step", "11c9", LINKEDCA_SUPER_ADMIN,
			     INT64_C(1796313825) * NS_PER_SEC);
	assert_json(v, "{'id':'7a8c','authority_id':'00000000-0000-0000-0000-000000000000',"
		       "'subject':'step','provisioner_id':'11c9','type':2,"
		       "'created_at':{'seconds':1796313825},"
		       "'deleted_at':{'seconds':-62135596800}}");
	json_decref(v);
	v = linkedca_admin_j("b", "bob", "p", LINKEDCA_ADMIN, INT64_C(1796313825) * NS_PER_SEC + 5);
	assert_json(v, "{'id':'b','authority_id':'00000000-0000-0000-0000-000000000000',"
		       "'subject':'bob','provisioner_id':'p','type':1,"
		       "'created_at':{'seconds':1796313825,'nanos':5},"
		       "'deleted_at':{'seconds':-62135596800}}");
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_to_config_every_type),
	    cmocka_unit_test(test_from_config_every_type),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_to_config_cases),
	    cmocka_unit_test(test_to_config_refused),
	    cmocka_unit_test(test_from_config_meta),
	    cmocka_unit_test(test_from_config_cases),
	    cmocka_unit_test(test_from_config_pem_junk),
	    cmocka_unit_test(test_from_config_refused),
	    cmocka_unit_test(test_admin_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
