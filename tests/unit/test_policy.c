/* test_policy.c - the certificate issuance policy engine (provisioners-and-policy.md §5): a
 * table of policies, names and the exact verdicts and messages step-ca gives them (allowed,
 * denied, deny wins, wildcard depth, IP ranges, e-mail domains and mailboxes, URI hosts, CN
 * checks, SSH user and host certificates, invalid constraints, both spellings), the normalised
 * admin API form, punycode, and concurrent checks on one compiled policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/str.h"
#include "policy/policy.h"
#include "policy/policy_int.h"

/* What a row does with its policy. */
enum op {
	X509,  /* policy_check_x509; names "dns=a|ip=b|email=c|uri=d|cn=e" */
	IDENT, /* policy_check_identifier; names "dns=a" or "ip=b" */
	HOST,  /* policy_check_ssh(host); names: principals separated by '|' */
	USER,  /* policy_check_ssh(user) */
	NEW,   /* policy_new only; want "none" (no engine) or "some" */
	NORM,  /* policy_normalize; want the compact JSON */
};

struct row {
	const char *policy;
	enum op op;
	const char *names;
	enum err_kind kind; /* ERR_NONE: accepted */
	const char *want;   /* the exact message, or what NEW / NORM give */
};

#define P_DNS                                                                                      \
	"{\"x509\":{\"allow\":{\"dns\":[\"*.internal.example.com\",\"example.com\"]},"             \
	"\"deny\":{\"dns\":[\"bad.internal.example.com\"]}}}"
#define P_DNS_WILD                                                                                 \
	"{\"x509\":{\"allow\":{\"dns\":[\"*.internal.example.com\",\"example.com\"]},"             \
	"\"allowWildcardNames\":true}}"
#define P_DENY_ONLY "{\"x509\":{\"deny\":{\"dns\":[\"bad.example.com\"]}}}"
#define P_IP                                                                                       \
	"{\"x509\":{\"allow\":{\"ip\":[\"10.0.0.0/8\",\"192.168.1.7\",\"2001:db8::/32\","          \
	"\"2001:db8:ffff::1\"]},\"deny\":{\"ip\":[\"10.1.0.0/16\"]}}}"
#define P_IP_MAPPED "{\"x509\":{\"allow\":{\"ip\":[\"::ffff:10.0.0.0/104\"]}}}"
#define P_EMAIL_DOM                                                                                \
	"{\"x509\":{\"allow\":{\"email\":[\"@example.com\"]},\"deny\":{\"email\":[\"bob@example."  \
	"com\"]}}}"
#define P_EMAIL_BARE "{\"x509\":{\"allow\":{\"email\":[\"example.com\"]}}}"
#define P_EMAIL_BOX  "{\"x509\":{\"allow\":{\"email\":[\"alice@Example.com\"]}}}"
#define P_URI	     "{\"x509\":{\"allow\":{\"uri\":[\"*.example.com\",\"Example.org\"]}}}"
#define P_CN                                                                                       \
	"{\"x509\":{\"allow\":{\"cn\":[\"My Service\"],\"dns\":[\"*.example.com\"],"               \
	"\"email\":[\"@example.com\"]}}}"
#define P_CN_DENY                                                                                  \
	"{\"x509\":{\"allow\":{\"dns\":[\"*.example.com\"]},\"deny\":{\"cn\":[\"foo.example."      \
	"com\"]}}}"
#define P_CN_IP "{\"x509\":{\"allow\":{\"ip\":[\"10.0.0.0/8\"]}}}"
#define P_IDN                                                                                      \
	"{\"x509\":{\"allow\":{\"dns\":[\"*.m\xc3\xbcnchen.de\",\"B\xc3\x9c\x43HER.example\"]}}}"
#define P_USER                                                                                     \
	"{\"ssh\":{\"user\":{\"allow\":{\"email\":[\"@example.com\"],\"principal\":[\"alice\","    \
	"\"bob\"]},\"deny\":{\"principal\":[\"root\"]}}}}"
#define P_HOST                                                                                     \
	"{\"ssh\":{\"host\":{\"allow\":{\"dns\":[\"*.internal.example.com\"],\"ip\":[\"10.0.0.0/"  \
	"8\"]}}}}"
#define P_HOST_PRINC "{\"ssh\":{\"host\":{\"allow\":{\"principal\":[\"h1\"]}}}}"
#define P_USER_ANY                                                                                 \
	"{\"ssh\":{\"user\":{\"allow\":{\"principal\":[\"*\"]},\"deny\":{\"principal\":[\"root\"]" \
	"}}}}"
#define P_LINKED                                                                                   \
	"{\"x509\":{\"allow\":{\"commonNames\":[\"svc\"],\"ips\":[\"10.0.0.0/8\"],"                \
	"\"emails\":[\"@example.com\"],\"uris\":[\"*.example.com\"]},"                             \
	"\"deny\":{\"common_names\":[\"bad\"],\"dns\":[\"x.example.com\"]},"                       \
	"\"allow_wildcard_names\":true},"                                                          \
	"\"ssh\":{\"user\":{\"allow\":{\"emails\":[\"@example.com\"],\"principals\":[\"alice\"]}}" \
	"}}"
#define ALLOW(type, value) "{\"x509\":{\"allow\":{\"" type "\":[\"" value "\"]}}}"
#define DENY(type, value)  "{\"x509\":{\"deny\":{\"" type "\":[\"" value "\"]}}}"
#define CPD		   "cannot parse permitted domain constraint "
#define CPU		   "cannot parse permitted URI domain constraint "
#define CPE		   "cannot parse permitted email constraint "

static const struct row rows[] = {
    /* DNS: allowed, denied, deny wins, wildcard depth, apex, case, literal wildcards */
    {P_DNS, X509, "dns=a.internal.example.com", ERR_NONE, NULL},
    {P_DNS, X509, "dns=example.com", ERR_NONE, NULL},
    {P_DNS, X509, "dns=A.Internal.EXAMPLE.com", ERR_NONE, NULL},
    {P_DNS, X509, "dns=bad.internal.example.com", ERR_FORBIDDEN,
     "dns name \"bad.internal.example.com\" not allowed"},
    {P_DNS, X509, "dns=internal.example.com", ERR_FORBIDDEN,
     "dns name \"internal.example.com\" not allowed"},
    {P_DNS, X509, "dns=a.b.internal.example.com", ERR_FORBIDDEN,
     "dns name \"a.b.internal.example.com\" not allowed"},
    {P_DNS, X509, "dns=www.example.com", ERR_FORBIDDEN, "dns name \"www.example.com\" not allowed"},
    {P_DNS, X509, "dns=x.example.org", ERR_FORBIDDEN, "dns name \"x.example.org\" not allowed"},
    {P_DNS, X509, "dns=a.internal.example.com|dns=x.example.org", ERR_FORBIDDEN,
     "dns name \"x.example.org\" not allowed"},
    {P_DNS, X509, "dns=*.internal.example.com", ERR_FORBIDDEN,
     "dns name \"*.internal.example.com\" not allowed"},
    {P_DNS_WILD, X509, "dns=*.internal.example.com", ERR_NONE, NULL},
    {P_DNS_WILD, X509, "dns=*.example.com", ERR_FORBIDDEN,
     "dns name \"*.example.com\" not allowed"},
    {P_DNS_WILD, X509, "dns=*.*.internal.example.com", ERR_INVALID,
     "cannot parse dns domain \"*.*.internal.example.com\""},
    {P_DNS, X509, "dns=", ERR_FORBIDDEN, "dns name \"\" not allowed"},
    {P_DNS, X509, "dns=_acme.internal.example.com", ERR_INVALID,
     "cannot parse dns domain \"_acme.internal.example.com\""},
    {P_DNS, X509, "dns=a.internal.example.com.", ERR_INVALID,
     "cannot parse dns domain \"a.internal.example.com.\""},
    {P_DNS, X509, "dns=a\tb.internal.example.com", ERR_INVALID,
     "cannot parse dns domain \"a\\tb.internal.example.com\""},
    /* a type without constraints while other types have allow constraints */
    {P_DNS, X509, "ip=10.0.0.1", ERR_FORBIDDEN, "ip name \"10.0.0.1\" not allowed"},
    {P_DNS, X509, "email=a@example.com", ERR_FORBIDDEN, "email name \"a@example.com\" not allowed"},
    {P_DNS, X509, "uri=spiffe://example.com/x", ERR_FORBIDDEN,
     "uri name \"spiffe://example.com/x\" not allowed"},
    /* deny constraints only: everything else passes */
    {P_DENY_ONLY, X509, "dns=good.example.com|ip=10.0.0.1|email=a@b.c|uri=https://x/", ERR_NONE,
     NULL},
    {P_DENY_ONLY, X509, "dns=BAD.example.com", ERR_FORBIDDEN,
     "dns name \"BAD.example.com\" not allowed"},
    {P_DENY_ONLY, X509, "dns=*.example.com", ERR_NONE, NULL},
    /* internationalised names: constraints and names compared in their ASCII form */
    {P_IDN, X509, "dns=www.m\xc3\xbcnchen.de", ERR_NONE, NULL},
    {P_IDN, X509, "dns=www.xn--mnchen-3ya.de", ERR_NONE, NULL},
    {P_IDN, X509, "dns=WWW.M\xc3\x9cNCHEN.DE", ERR_NONE, NULL},
    {P_IDN, X509, "dns=xn--bcher-kva.example", ERR_NONE, NULL},
    {P_IDN, X509, "dns=www.munchen.de", ERR_FORBIDDEN, "dns name \"www.munchen.de\" not allowed"},
    {P_IDN, X509, "dns=b\xc3\xbc\x63her.example.com", ERR_FORBIDDEN,
     "dns name \"b\xc3\xbc\x63her.example.com\" not allowed"},
    {ALLOW("dns", "*.例.jp"), X509, "dns=JP納豆.例.jp", ERR_NONE, NULL},
    {ALLOW("dns", "*.例.jp"), X509, "dns=JP納豆.xn--fsq.jp", ERR_NONE, NULL},
    {ALLOW("dns", "*.例.jp"), X509, "dns=a.b.例.jp", ERR_FORBIDDEN,
     "dns name \"a.b.例.jp\" not allowed"},
    /* IP ranges (v4, v6, single addresses, IPv4-mapped) and deny inside allow */
    {P_IP, X509, "ip=10.255.0.1", ERR_NONE, NULL},
    {P_IP, X509, "ip=10.1.2.3", ERR_FORBIDDEN, "ip name \"10.1.2.3\" not allowed"},
    {P_IP, X509, "ip=11.0.0.1", ERR_FORBIDDEN, "ip name \"11.0.0.1\" not allowed"},
    {P_IP, X509, "ip=192.168.1.7", ERR_NONE, NULL},
    {P_IP, X509, "ip=192.168.1.8", ERR_FORBIDDEN, "ip name \"192.168.1.8\" not allowed"},
    {P_IP, X509, "ip=::ffff:10.2.3.4", ERR_NONE, NULL},
    {P_IP, X509, "ip=::ffff:11.0.0.1", ERR_FORBIDDEN, "ip name \"11.0.0.1\" not allowed"},
    {P_IP, X509, "ip=2001:db8:1::1", ERR_NONE, NULL},
    {P_IP, X509, "ip=2001:DB9:0:0:0:0:0:1", ERR_FORBIDDEN, "ip name \"2001:db9::1\" not allowed"},
    {P_IP, X509, "ip=2001:db8:ffff::1", ERR_NONE, NULL},
    {P_IP, X509, "ip=::a0a:1", ERR_FORBIDDEN, "ip name \"::a0a:1\" not allowed"},
    {P_IP, X509, "ip=fe80:0:0:1:0:0:0:1", ERR_FORBIDDEN, "ip name \"fe80:0:0:1::1\" not allowed"},
    {P_IP, X509, "ip=10.0.0.256", ERR_INVALID, "cannot parse ip address \"10.0.0.256\""},
    {P_IP_MAPPED, X509, "ip=10.9.9.9", ERR_NONE, NULL},
    {P_IP_MAPPED, X509, "ip=11.0.0.1", ERR_FORBIDDEN, "ip name \"11.0.0.1\" not allowed"},
    /* e-mail: domains (no subdomains), mailboxes (local part case-sensitive) */
    {P_EMAIL_DOM, X509, "email=alice@example.com", ERR_NONE, NULL},
    {P_EMAIL_DOM, X509, "email=alice@EXAMPLE.com", ERR_NONE, NULL},
    {P_EMAIL_DOM, X509, "email=alice@sub.example.com", ERR_FORBIDDEN,
     "email name \"alice@sub.example.com\" not allowed"},
    {P_EMAIL_DOM, X509, "email=bob@example.com", ERR_FORBIDDEN,
     "email name \"bob@example.com\" not allowed"},
    {P_EMAIL_DOM, X509, "email=Bob@example.com", ERR_NONE, NULL},
    {P_EMAIL_DOM, X509, "email=not-an-email", ERR_INVALID,
     "cannot parse email rfc822Name \"not-an-email\""},
    {P_EMAIL_BARE, X509, "email=x@example.com", ERR_NONE, NULL},
    {P_EMAIL_BARE, X509, "email=x@example.org", ERR_FORBIDDEN,
     "email name \"x@example.org\" not allowed"},
    {P_EMAIL_BOX, X509, "email=alice@EXAMPLE.COM", ERR_NONE, NULL},
    {P_EMAIL_BOX, X509, "email=Alice@example.com", ERR_FORBIDDEN,
     "email name \"Alice@example.com\" not allowed"},
    {ALLOW("email", "@例.jp"), X509, "email=bücher@例.jp", ERR_INVALID,
     "cannot parse email rfc822Name \"bücher@例.jp\""},
    /* URI hosts: port removed, wildcard depth, IP hosts and missing hosts refused */
    {P_URI, X509, "uri=spiffe://a.example.com/workload", ERR_NONE, NULL},
    {P_URI, X509, "uri=https://a.example.com:8443/p?q=1", ERR_NONE, NULL},
    {P_URI, X509, "uri=https://user@EXAMPLE.org/", ERR_NONE, NULL},
    {P_URI, X509, "uri=https://example.com/", ERR_FORBIDDEN,
     "uri name \"https://example.com/\" not allowed"},
    {P_URI, X509, "uri=https://a.b.example.com/", ERR_FORBIDDEN,
     "uri name \"https://a.b.example.com/\" not allowed"},
    {P_URI, X509, "uri=https://10.0.0.1/", ERR_INVALID,
     "error matching uri name \"https://10.0.0.1/\" to constraint"},
    {P_URI, X509, "uri=https://[::1]:8443/", ERR_INVALID,
     "error matching uri name \"https://[::1]:8443/\" to constraint"},
    {P_URI, X509, "uri=urn:uuid:6e8bc430", ERR_INVALID,
     "error matching uri name \"urn:uuid:6e8bc430\" to constraint"},
    {P_URI, X509, "uri=https://www.example.com::8080/", ERR_INVALID,
     "error matching uri name \"https://www.example.com::8080/\" to constraint"},
    /* CN: cn constraints first, else checked as the SAN it looks like, reported as cn */
    {P_CN, X509, "cn=my service", ERR_NONE, NULL},
    {P_CN, X509, "cn=a.example.com", ERR_NONE, NULL},
    {P_CN, X509, "cn=a@example.com", ERR_NONE, NULL},
    {P_CN, X509, "cn=other", ERR_FORBIDDEN, "cn name \"other\" not allowed"},
    {P_CN, X509, "cn=a@example.org", ERR_FORBIDDEN, "cn name \"a@example.org\" not allowed"},
    {P_CN, X509, "cn=10.0.0.1", ERR_FORBIDDEN, "cn name \"10.0.0.1\" not allowed"},
    {P_CN, X509, "cn=_x.example.com", ERR_INVALID, "cannot parse cn domain \"_x.example.com\""},
    {P_CN, X509, "dns=a.example.com|cn=", ERR_NONE, NULL},
    {P_CN_DENY, X509, "cn=foo.example.com", ERR_NONE, NULL},
    /* cn lists with deny entries only accept every other CN (step-ca checks nothing more) */
    {P_CN_DENY, X509, "cn=foo.example.org", ERR_NONE, NULL},
    {P_CN_IP, X509, "cn=10.1.1.1", ERR_NONE, NULL},
    {P_CN_IP, X509, "cn=::ffff:11.1.1.1", ERR_FORBIDDEN, "cn name \"11.1.1.1\" not allowed"},
    {P_DNS, X509, "cn=a.internal.example.com|dns=a.internal.example.com", ERR_NONE, NULL},
    {P_DNS, X509, "cn=bad.internal.example.com", ERR_FORBIDDEN,
     "cn name \"bad.internal.example.com\" not allowed"},
    /* ACME identifiers: classified by their value */
    {P_DNS, IDENT, "dns=a.internal.example.com", ERR_NONE, NULL},
    {P_DNS, IDENT, "dns=bad.internal.example.com", ERR_FORBIDDEN,
     "dns name \"bad.internal.example.com\" not allowed"},
    {P_DNS, IDENT, "ip=10.0.0.1", ERR_FORBIDDEN, "ip name \"10.0.0.1\" not allowed"},
    {P_IP, IDENT, "ip=10.0.0.1", ERR_NONE, NULL},
    {P_IP, IDENT, "dns=10.1.0.1", ERR_FORBIDDEN, "ip name \"10.1.0.1\" not allowed"},
    {P_USER, IDENT, "dns=anything.example.org", ERR_NONE, NULL},
    /* SSH user certificates */
    {P_USER, USER, "alice|bob|alice@example.com", ERR_NONE, NULL},
    {P_USER, USER, "Alice", ERR_NONE, NULL},
    {P_USER, USER, "root", ERR_FORBIDDEN, "principal name \"root\" not allowed"},
    {P_USER, USER, "alice|carol", ERR_FORBIDDEN, "principal name \"carol\" not allowed"},
    {P_USER, USER, "carol|alice@example.org", ERR_FORBIDDEN,
     "email name \"alice@example.org\" not allowed"},
    {P_USER, USER, "alice|10.0.0.1|10.0.0.2", ERR_INVALID,
     "IP principals [10.0.0.1 10.0.0.2] not expected in SSH user certificate"},
    {P_USER, USER, "10.0.0.1|https://x.example.com", ERR_INVALID,
     "URL principals [https://x.example.com] not expected in SSH user certificate"},
    {P_USER, HOST, "h.example.com", ERR_INVALID,
     "authority not allowed to sign SSH host certificates when SSH user certificate policy is "
     "active"},
    {P_USER_ANY, USER, "anyone|x.y", ERR_NONE, NULL},
    {P_USER_ANY, USER, "ROOT", ERR_FORBIDDEN, "principal name \"ROOT\" not allowed"},
    /* SSH host certificates */
    {P_HOST, HOST, "a.internal.example.com|10.1.2.3", ERR_NONE, NULL},
    {P_HOST, HOST, "b.example.com", ERR_FORBIDDEN, "dns name \"b.example.com\" not allowed"},
    {P_HOST, HOST, "10.1.2.3|192.168.0.1", ERR_FORBIDDEN, "ip name \"192.168.0.1\" not allowed"},
    {P_HOST, HOST, "h@example.com", ERR_FORBIDDEN, "email name \"h@example.com\" not allowed"},
    {P_HOST, HOST, "a.internal.example.com|ssh://a.internal.example.com", ERR_INVALID,
     "URL principals [ssh://a.internal.example.com] not expected in SSH host certificate"},
    {P_HOST, USER, "alice", ERR_INVALID,
     "authority not allowed to sign SSH user certificates when SSH host certificate policy is "
     "active"},
    {P_HOST_PRINC, HOST, "h1", ERR_FORBIDDEN, "dns name \"h1\" not allowed"},
    {P_DNS, HOST, "anything", ERR_NONE, NULL},
    /* the admin API's spelling, snake_case included */
    {P_LINKED, X509, "cn=SVC|ip=10.9.8.7|email=a@example.com|uri=https://w.example.com/", ERR_NONE,
     NULL},
    /* a CN the cn deny list names is still checked as a DNS name, which passes here */
    {P_LINKED, X509, "cn=bad", ERR_NONE, NULL},
    {P_LINKED, X509, "cn=x.example.com", ERR_FORBIDDEN, "cn name \"x.example.com\" not allowed"},
    {P_LINKED, X509, "dns=x.example.com", ERR_FORBIDDEN, "dns name \"x.example.com\" not allowed"},
    {P_LINKED, USER, "alice", ERR_NONE, NULL},
    {P_LINKED, HOST, "h", ERR_INVALID,
     "authority not allowed to sign SSH host certificates when SSH user certificate policy is "
     "active"},
    /* compiling: engines present or not */
    {NULL, NEW, NULL, ERR_NONE, "none"},
    {"null", NEW, NULL, ERR_NONE, "none"},
    {"{}", NEW, NULL, ERR_NONE, "none"},
    {"{\"x509\":{\"allowWildcardNames\":true,\"allow\":{\"dns\":[]},\"deny\":{}}}", NEW, NULL,
     ERR_NONE, "none"},
    {"{\"ssh\":{\"user\":{\"deny\":{\"principal\":[\"root\"]}}}}", NEW, NULL, ERR_NONE, "some"},
    {"[]", NEW, NULL, ERR_INVALID, "policy must be an object"},
    {"{\"x509\":{\"allow\":{\"dns\":\"a.com\"}}}", NEW, NULL, ERR_INVALID,
     "policy x509.allow.dns must be a list of strings"},
    {"{\"x509\":{\"allow\":{\"ips\":[1]}}}", NEW, NULL, ERR_INVALID,
     "policy x509.allow.ips must be a list of strings"},
    {"{\"x509\":{\"allow\":[]}}", NEW, NULL, ERR_INVALID, "policy x509.allow must be an object"},
    {"{\"x509\":{\"allowWildcardNames\":\"yes\"}}", NEW, NULL, ERR_INVALID,
     "policy x509.allowWildcardNames must be a boolean"},
    /* invalid constraints, every kind */
    {ALLOW("dns", "*.*.EXAMPLE.com"), NEW, NULL, ERR_INVALID,
     CPD "\"*.*.EXAMPLE.com\": domain constraint \"*.*.EXAMPLE.com\" can only have wildcard as "
	 "starting character"},
    {ALLOW("dns", ""), NEW, NULL, ERR_INVALID,
     CPD "\"\": constraint \"\" can not be empty or white space string"},
    {ALLOW("dns", " \\t"), NEW, NULL, ERR_INVALID,
     CPD "\" \\t\": constraint \" \\t\" can not be empty or white space string"},
    {ALLOW("dns", "a..example.com"), NEW, NULL, ERR_INVALID,
     CPD "\"a..example.com\": domain constraint \"a..example.com\" cannot have empty labels"},
    {ALLOW("dns", ".example.com"), NEW, NULL, ERR_INVALID,
     CPD "\".example.com\": domain constraint \".example.com\" with wildcard should start with *"},
    {ALLOW("dns", "*example.com"), NEW, NULL, ERR_INVALID,
     CPD "\"*example.com\": wildcard character in domain constraint \"*example.com\" can only be "
	 "used to match (full) labels"},
    {DENY("dns", "exa_mple.com"), NEW, NULL, ERR_INVALID,
     "cannot parse excluded domain constraint \"exa_mple.com\": domain constraint \"exa_mple.com\" "
     "can not be converted to ASCII: idna: disallowed rune U+005F"},
    {ALLOW("dns", "-bad.example.com"), NEW, NULL, ERR_INVALID,
     CPD "\"-bad.example.com\": domain constraint \"-bad.example.com\" can not be converted to "
	 "ASCII: idna: invalid label \"-bad\""},
    {ALLOW("dns", "*"), NEW, NULL, ERR_INVALID,
     CPD "\"*\": domain constraint \"*\" can not be converted to ASCII: idna: disallowed rune "
	 "U+002A"},
    {ALLOW("dns", "example.com."), NEW, NULL, ERR_INVALID,
     CPD "\"example.com.\": cannot parse domain constraint \"example.com.\""},
    {ALLOW("ip", "10.0.0.0/33"), NEW, NULL, ERR_INVALID,
     "cannot parse permitted constraint \"10.0.0.0/33\" as IP nor CIDR"},
    {DENY("ip", "bogus"), NEW, NULL, ERR_INVALID,
     "cannot parse excluded constraint \"bogus\" as IP nor CIDR"},
    {ALLOW("ip", " 10.0.0.1"), NEW, NULL, ERR_INVALID,
     "cannot parse permitted constraint \" 10.0.0.1\" as IP nor CIDR"},
    {ALLOW("ip", "10.0.0.01"), NEW, NULL, ERR_INVALID,
     "cannot parse permitted constraint \"10.0.0.01\" as IP nor CIDR"},
    {ALLOW("email", "*@example.com"), NEW, NULL, ERR_INVALID,
     CPE "\"*@example.com\": email constraint \"*@example.com\" cannot contain asterisk wildcard"},
    {ALLOW("email", "a@b@example.com"), NEW, NULL, ERR_INVALID,
     CPE "\"a@b@example.com\": email constraint \"a@b@example.com\" contains too many @ "
	 "characters"},
    {ALLOW("email", "@.example.com"), NEW, NULL, ERR_INVALID,
     CPE "\"@.example.com\": email constraint \"@.example.com\" cannot start with period"},
    {ALLOW("email", ""), NEW, NULL, ERR_INVALID,
     CPE "\"\": email constraint \"\" can not be empty or white space string"},
    {ALLOW("email", "a..b@example.com"), NEW, NULL, ERR_INVALID,
     CPE "\"a..b@example.com\": cannot parse email constraint \"a..b@example.com\" as RFC 2821 "
	 "mailbox"},
    {ALLOW("email", "a@ex_ample.com"), NEW, NULL, ERR_INVALID,
     CPE "\"a@ex_ample.com\": email constraint \"a@ex_ample.com\" domain part \"ex_ample.com\" "
	 "cannot be converted to ASCII: idna: disallowed rune U+005F"},
    {ALLOW("email", "ex ample.com"), NEW, NULL, ERR_INVALID,
     CPE "\"ex ample.com\": email constraint \"ex ample.com\" cannot be converted to ASCII: idna: "
	 "disallowed rune U+0020"},
    {ALLOW("uri", "https://example.com"), NEW, NULL, ERR_INVALID,
     CPU "\"https://example.com\": URI domain constraint \"https://example.com\" contains scheme "
	 "(not supported yet)"},
    {ALLOW("uri", "example.com:443"), NEW, NULL, ERR_INVALID,
     CPU "\"example.com:443\": URI domain constraint \"example.com:443\" cannot contain port"},
    {ALLOW("uri", "10.0.0.1"), NEW, NULL, ERR_INVALID,
     CPU "\"10.0.0.1\": URI domain constraint \"10.0.0.1\" cannot be an IP"},
    {ALLOW("uri", "[::1]"), NEW, NULL, ERR_INVALID,
     CPU "\"[::1]\": URI domain constraint \"[::1]\" contains invalid square brackets"},
    {ALLOW("uri", ".example.com"), NEW, NULL, ERR_INVALID,
     CPU "\".example.com\": URI domain constraint \".example.com\" with wildcard should start "
	 "with *"},
    {ALLOW("uri", "a..b"), NEW, NULL, ERR_INVALID,
     CPU "\"a..b\": URI domain constraint \"a..b\" cannot have empty labels"},
    {ALLOW("uri", "a.*.b"), NEW, NULL, ERR_INVALID,
     CPU "\"a.*.b\": URI domain constraint \"a.*.b\" can only have wildcard as starting character"},
    {ALLOW("uri", ""), NEW, NULL, ERR_INVALID,
     CPU "\"\": URI domain constraint \"\" cannot be empty or white space string"},
    {ALLOW("cn", "*"), NEW, NULL, ERR_INVALID,
     "cannot parse permitted common name constraint \"*\": wildcard constraint \"*\" is not "
     "supported"},
    {DENY("cn", " "), NEW, NULL, ERR_INVALID,
     "cannot parse excluded common name constraint \" \": constraint \" \" can not be empty or "
     "white space string"},
    {ALLOW("commonNames", "*"), NEW, NULL, ERR_INVALID,
     "cannot parse permitted common name constraint \"*\": wildcard constraint \"*\" is not "
     "supported"},
    {"{\"ssh\":{\"host\":{\"deny\":{\"dns\":[\"*.*.x\"]}}}}", NEW, NULL, ERR_INVALID,
     "cannot parse excluded domain constraint \"*.*.x\": domain constraint \"*.*.x\" can only have "
     "wildcard as starting character"},
    {"{\"ssh\":{\"user\":{\"allow\":{\"emails\":[\"@@x\"]}}}}", NEW, NULL, ERR_INVALID,
     CPE "\"@@x\": email constraint \"@@x\" contains too many @ characters"},
    /* normalisation into the admin API's form */
    {NULL, NORM, NULL, ERR_NONE, "{}"},
    {"{\"x509\":{\"allow\":{\"cn\":[\"svc\"],\"dns\":[\"a.com\",\"a.com\",\"b.com\"],"
     "\"ip\":[\"10.0.0.0/8\"]},\"deny\":{\"email\":[\"@x.com\"]},\"allowWildcardNames\":false}}",
     NORM, NULL, ERR_NONE,
     "{\"x509\":{\"allow\":{\"dns\":[\"a.com\",\"b.com\"],\"ips\":[\"10.0.0.0/8\"],"
     "\"commonNames\":[\"svc\"]},\"deny\":{\"emails\":[\"@x.com\"]}}}"},
    {"{\"x509\":{\"allow\":{\"dns\":[]},\"deny\":{}},\"ssh\":{\"user\":{},\"host\":null}}", NORM,
     NULL, ERR_NONE, "{}"},
    {"{\"x509\":{\"allow_wildcard_names\":true,\"allow\":{\"common_names\":[\"a\",\"a\"]}}}", NORM,
     NULL, ERR_NONE,
     "{\"x509\":{\"allow\":{\"commonNames\":[\"a\"]},\"allowWildcardNames\":true}}"},
    {"{\"ssh\":{\"user\":{\"deny\":{\"principal\":[\"root\"]},\"allow\":{\"principals\":"
     "[\"alice\"],\"emails\":[\"@example.com\"]}},\"host\":{\"allow\":{\"principals\":[\"h1\","
     "\"h1\"],\"ips\":[\"10.0.0.0/8\"],\"dns\":[\"*.internal\"]}}},\"x509\":{\"deny\":{\"dns\":"
     "[\"Example.COM\",\"example.com\",\"Example.COM\"]}}}",
     NORM, NULL, ERR_NONE,
     "{\"x509\":{\"deny\":{\"dns\":[\"Example.COM\",\"example.com\"]}},\"ssh\":{\"host\":"
     "{\"allow\":{\"dns\":[\"*.internal\"],\"ips\":[\"10.0.0.0/8\"],\"principals\":[\"h1\"]}},"
     "\"user\":{\"allow\":{\"emails\":[\"@example.com\"],\"principals\":[\"alice\"]},\"deny\":"
     "{\"principals\":[\"root\"]}}}}"},
    {"{\"x509\":{\"allow\":{\"dns\":[\"*.*.a\"]}}}", NORM, NULL, ERR_INVALID,
     CPD "\"*.*.a\": domain constraint \"*.*.a\" can only have wildcard as starting character"},
    {"{\"ssh\":{\"host\":{\"allow\":{\"emails\":[\"@a.com\"]}}}}", NORM, NULL, ERR_INVALID,
     "policy ssh.host.allow does not support emails"},
    {"{\"ssh\":{\"user\":{\"deny\":{\"ip\":[\"10.0.0.1\"]}}}}", NORM, NULL, ERR_INVALID,
     "policy ssh.user.deny does not support ips"},
    {"{\"x509\":{\"allow\":{\"dns\":[1]}}}", NORM, NULL, ERR_INVALID,
     "policy x509.allow.dns must be a list of strings"},
    {"\"x\"", NORM, NULL, ERR_INVALID, "policy must be an object"},
};

/* Splits s at sep into sv (empty fields kept). */
static void split(const char *s, char sep, struct strv *sv)
{
	const char *p = s;

	for (;;) {
		const char *e = strchr(p, sep);
		char *f = e != NULL ? strndup(p, (size_t)(e - p)) : strdup(p);

		strv_push(sv, f);
		free(f);
		if (e == NULL)
			break;
		p = e + 1;
	}
}

/* Runs one row; 0 with err filled (ERR_NONE on success); out gets NEW/NORM results. */
static int run_row(const struct row *r, const struct policy *p, struct error *err, char **out)
{
	struct strv f = {0}, dns = {0}, ips = {0}, emails = {0}, uris = {0};
	struct policy_x509_names names = {0};
	const char *cn = NULL;
	int rc = 0;

	err_clear(err);
	*out = NULL;
	if (r->op == HOST || r->op == USER) {
		split(r->names, '|', &f);
		rc = policy_check_ssh(p, r->op == HOST, &f, err);
	} else if (r->op == IDENT) {
		const char *eq = strchr(r->names, '=');

		*out = strndup(r->names, (size_t)(eq - r->names));
		rc = policy_check_identifier(p, *out, eq + 1, err);
		free(*out);
		*out = NULL;
	} else if (r->op == X509) {
		split(r->names, '|', &f);
		for (size_t i = 0; i < f.n; i++) {
			const char *v = strchr(f.v[i], '=') + 1;

			if (str_has_prefix(f.v[i], "dns="))
				strv_push(&dns, v);
			else if (str_has_prefix(f.v[i], "ip="))
				strv_push(&ips, v);
			else if (str_has_prefix(f.v[i], "email="))
				strv_push(&emails, v);
			else if (str_has_prefix(f.v[i], "uri="))
				strv_push(&uris, v);
			else
				cn = v;
		}
		names.cn = cn;
		names.dns = &dns, names.ips = &ips, names.emails = &emails, names.uris = &uris;
		rc = policy_check_x509(p, &names, err);
	}
	strv_free(&f), strv_free(&dns), strv_free(&ips), strv_free(&emails), strv_free(&uris);
	return rc;
}

static void test_policy_table(void **state)
{
	size_t failures = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		json_t *doc = NULL, *norm = NULL;
		struct policy *p = NULL;
		struct error err;
		char *out = NULL, *got = NULL;
		int rc;

		err_clear(&err);
		if (r->policy != NULL) {
			doc = json_loads(r->policy, JSON_DECODE_ANY, NULL);
			assert_non_null(doc);
		}
		if (r->op == NORM) {
			rc = policy_normalize(doc, &norm, &err);
			if (rc == 0)
				got = json_dumps(norm, JSON_COMPACT | JSON_PRESERVE_ORDER);
		} else {
			rc = policy_new(doc, &p, &err);
			if (rc == 0 && r->op == NEW)
				got = strdup(p != NULL ? "some" : "none");
			else if (rc == 0)
				rc = run_row(r, p, &err, &out);
		}
		if (rc != (r->kind == ERR_NONE ? 0 : -1) || err.kind != r->kind ||
		    (r->kind != ERR_NONE && strcmp(err.msg, r->want) != 0) ||
		    (r->kind == ERR_NONE && r->want != NULL &&
		     (got == NULL || strcmp(got, r->want) != 0))) {
			fprintf(stderr,
				"row %zu (%s | %s): rc %d kind %s msg [%s] got [%s]; want kind %s "
				"[%s]\n",
				i, r->policy != NULL ? r->policy : "NULL",
				r->names != NULL ? r->names : "", rc, err_kind_name(err.kind),
				err.msg, got != NULL ? got : "", err_kind_name(r->kind),
				r->want != NULL ? r->want : "");
			failures++;
		}
		if (r->kind == ERR_FORBIDDEN ||
		    (r->kind == ERR_INVALID && r->op != HOST && r->op != USER))
			assert_true(err.expose);
		free(out);
		free(got);
		json_decref(norm);
		json_decref(doc);
		policy_free(p);
	}
	fprintf(stderr, "%zu rows\n", sizeof(rows) / sizeof(rows[0]));
	assert_int_equal(failures, 0);
}

/* The normalised form compiles to the same verdicts and normalises to itself. */
static void test_policy_normalize_idempotent(void **state)
{
	json_t *doc = json_loads(P_LINKED, 0, NULL), *n1 = NULL, *n2 = NULL;
	struct policy *p = NULL;
	struct strv dns = {0};
	struct policy_x509_names names = {.dns = &dns};
	struct error err;
	(void)state;

	assert_int_equal(policy_normalize(doc, &n1, &err), 0);
	assert_int_equal(policy_normalize(n1, &n2, &err), 0);
	assert_true(json_equal(n1, n2));
	assert_int_equal(policy_new(n1, &p, &err), 0);
	assert_true(policy_has_x509(p));
	assert_true(policy_has_ssh(p));
	strv_push(&dns, "x.example.com");
	assert_int_equal(policy_check_x509(p, &names, &err), -1);
	assert_string_equal(err.msg, "dns name \"x.example.com\" not allowed");
	assert_string_equal(POLICY_FORBIDDEN_PREFIX,
			    "The request was forbidden by the certificate authority: ");
	policy_free(p);
	policy_free(NULL);
	assert_false(policy_has_x509(NULL));
	assert_false(policy_has_ssh(NULL));
	strv_free(&dns);
	json_decref(n1);
	json_decref(n2);
	json_decref(doc);
}

/* RFC 3492 §7.1 samples and Go's %q. */
static void test_policy_punycode_quote(void **state)
{
	static const struct {
		const char *utf8, *puny;
	} samples[] = {
	    {"b\xc3\xbc\x63her", "bcher-kva"},
	    {"m\xc3\xbcnchen", "mnchen-3ya"},
	    {"\xe4\xbb\x96\xe4\xbb\xac\xe4\xb8\xba\xe4\xbb\x80\xe4\xb9\x88\xe4\xb8\x8d\xe8\xaf\xb4"
	     "\xe4\xb8\xad\xe6\x96\x87",
	     "ihqwcrb4cv8a8dqg056pqjye"},
	    {"3\xe5\xb9\xb4"
	     "B\xe7\xb5\x84\xe9\x87\x91\xe5\x85\xab\xe5\x85\x88\xe7\x94\x9f",
	     "3B-ww4c5e180e575a65lsy2b"},
	};
	char q[64];
	(void)state;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		uint32_t cp[64], back[64];
		size_t n = 0, len, olen, bn;
		char out[128];
		const unsigned char *s = (const unsigned char *)samples[i].utf8;

		for (size_t k = 0; s[k] != '\0'; k += len)
			cp[n++] = (uint32_t)pol_utf8_next(s + k, strlen((const char *)s + k), &len);
		assert_int_equal(pol_punycode_encode(cp, n, out, sizeof(out), &olen), 0);
		assert_string_equal(out, samples[i].puny);
		assert_int_equal(pol_punycode_decode(out, olen, back, 64, &bn), 0);
		assert_int_equal(bn, n);
		assert_memory_equal(back, cp, n * sizeof(cp[0]));
	}
	pol_quote("a\"b\\c\n\x01\xff\xc2\x80\xc3\xa9", q, sizeof(q));
	assert_string_equal(q, "\"a\\\"b\\\\c\\n\\x01\\xff\\u0080\xc3\xa9\"");
}

struct worker {
	const struct policy *p;
	int bad;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct strv ok = {0}, no = {0};
	struct policy_x509_names a = {.cn = "a.internal.example.com", .dns = &ok};
	struct policy_x509_names b = {.dns = &no};
	struct error err;

	strv_push(&ok, "a.internal.example.com");
	strv_push(&no, "bad.internal.example.com");
	for (int i = 0; i < 2000; i++) {
		if (policy_check_x509(w->p, &a, &err) != 0)
			w->bad++;
		if (policy_check_x509(w->p, &b, &err) != -1 ||
		    strcmp(err.msg, "dns name \"bad.internal.example.com\" not allowed") != 0)
			w->bad++;
	}
	strv_free(&ok);
	strv_free(&no);
	return NULL;
}

/* One compiled policy checked from several threads at once. */
static void test_policy_threads(void **state)
{
	json_t *doc = json_loads(P_DNS, 0, NULL);
	struct policy *p = NULL;
	struct worker w[4];
	pthread_t t[4];
	struct error err;
	(void)state;

	assert_int_equal(policy_new(doc, &p, &err), 0);
	for (int i = 0; i < 4; i++) {
		w[i].p = p, w[i].bad = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	policy_free(p);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_table),
	    cmocka_unit_test(test_policy_normalize_idempotent),
	    cmocka_unit_test(test_policy_punycode_quote),
	    cmocka_unit_test(test_policy_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
