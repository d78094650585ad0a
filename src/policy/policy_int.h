/* policy_int.h - internals shared by the policy engine's files: the compiled form, the name
 * syntax helpers (text, IDNA, IP, mailbox, URI) and the evaluation of one engine.
 * Nothing here allocates unless it says so.
 */
#ifndef STRIDE_POLICY_POLICY_INT_H
#define STRIDE_POLICY_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Name types, in the order step-ca validates an engine's lists. */
enum pol_type { PT_CN, PT_DNS, PT_IP, PT_EMAIL, PT_URI, PT_PRINCIPAL, PT_COUNT };

/* An IP range as Go's net.IPNet.Contains sees it: a 4-byte (IPv4, also for IPv4-mapped
 * networks) or 16-byte network number and mask. */
struct pol_ipnet {
	unsigned char ip[16];
	unsigned char mask[16];
	unsigned char len; /* 4 or 16 */
};

/* An e-mail constraint: a mailbox (local set) or a domain (local NULL). */
struct pol_email {
	char *local;
	char *domain;
	bool broken; /* the normalised mailbox does not parse again: matching it is an error */
};

/* One list of constraints of one type (only the member for that type is used). */
struct pol_list {
	char **v; /* CN, DNS, URI: normalised; principal: as given */
	struct pol_ipnet *ip;
	struct pol_email *em;
	size_t n;
};

/* One engine (x509, ssh host or ssh user). */
struct pol_engine {
	bool on;
	bool verify_cn;	      /* x509: the subject CN is checked too */
	bool allow_wildcards; /* x509 allowWildcardNames */
	struct pol_list allow[PT_COUNT], deny[PT_COUNT];
	size_t total_allow, total;
};

struct policy {
	struct pol_engine x509, host, user;
};

/* Why a name was refused (step-ca's NamePolicyError reasons). */
enum pol_reason { PR_OK, PR_NOT_ALLOWED, PR_PARSE_DOMAIN, PR_PARSE_EMAIL, PR_MATCH };

extern const char *const pol_type_name[PT_COUNT];

/* ---- text (policy_text.c) */
/* Decodes one UTF-8 sequence strictly at s (n bytes left): the code point, or -1 (an invalid
 * byte, length 1). *len gets the bytes consumed. */
int32_t pol_utf8_next(const unsigned char *s, size_t n, size_t *len);
/* Appends the UTF-8 form of cp to out (cap bytes, pos updated); false when it does not fit. */
bool pol_utf8_put(uint32_t cp, char *out, size_t cap, size_t *pos);
/* Writes Go's %q of s (quotes included) into out, truncating safely. */
void pol_quote(const char *s, char *out, size_t cap);
/* The simple lower-case of a code point (ASCII, Latin, Greek, Cyrillic, Armenian). */
uint32_t pol_lower_cp(uint32_t cp);
/* Go's strings.ToLower(strings.TrimSpace(s)) for the scripts pol_lower_cp knows; malloc'd. */
char *pol_trim_lower(const char *s);
/* step-ca's domain label check: printable ASCII labels, none empty, one leading dot ignored,
 * "" valid. */
bool pol_labels_ok(const char *s, size_t len);
/* ASCII case-insensitive equality of n bytes. */
bool pol_eq_fold(const char *a, const char *b, size_t n);

/* An RFC 2821 mailbox: local part (unquoted) into local (cap bytes) and *domain pointing
 * into in. */
bool pol_parse_mailbox(const char *in, char *local, size_t cap, const char **domain);

/* Parses an IP address like Go's net.ParseIP; out gets 4 bytes (IPv4 and IPv4-mapped) or 16. */
bool pol_ip_parse(const char *s, unsigned char out[16], unsigned char *len);
/* Formats like Go's net.IP.String(). */
void pol_ip_format(const unsigned char *ip, unsigned char len, char *out, size_t cap);
/* Parses a constraint: CIDR (Go's net.ParseCIDR) or a single IP (/32, /128). */
bool pol_ipnet_parse(const char *s, struct pol_ipnet *out);
/* Go's IPNet.Contains; ip as from pol_ip_parse. */
bool pol_ipnet_contains(const struct pol_ipnet *n, const unsigned char *ip, unsigned char len);

/* Go's net.SplitHostPort: 0 and the host span on success, -1 on error. */
int pol_split_host_port(const char *hp, size_t len, size_t *host_off, size_t *host_len);

/* What Go's url.Parse makes of s: -1 unparsable, 0 no scheme, 1 with a scheme; with a scheme,
 * the (unescaped) authority host into host (cap bytes; "" when none; NULL: not wanted). */
int pol_uri_parse(const char *s, char *host, size_t cap);

/* The SAN class of a string as step-ca's SplitSANs decides it. */
enum pol_type pol_classify(const char *s, unsigned char ip[16], unsigned char *iplen);

/* ---- IDNA (policy_idna.c) */
/* golang.org/x/net/idna's Lookup.ToASCII (UTS #46 mapping for the common scripts, STD3 rules,
 * hyphen checks, RFC 3492 punycode). 0 on success; -1 with Go's error text in emsg. */
int pol_idna_to_ascii(const char *in, char *out, size_t cap, char *emsg, size_t ecap);
/* RFC 3492 encoding of n code points (without "xn--"); -1 when out is too small. */
int pol_punycode_encode(const uint32_t *cp, size_t n, char *out, size_t cap, size_t *outlen);
/* RFC 3492 decoding; -1 on invalid input or when out (cap code points) is too small. */
int pol_punycode_decode(const char *in, size_t len, uint32_t *out, size_t cap, size_t *outn);

/* ---- evaluation (policy_match.c) */
/* step-ca's domain match: 1 match, 0 none, -1 error. */
int pol_match_domain(const char *domain, const char *constraint, bool allow_wildcards);
/* validateNames for one name of type t (not CN); ip/iplen for PT_IP. */
enum pol_reason pol_check_name(const struct pol_engine *e, enum pol_type t, const char *name,
			       const unsigned char *ip, unsigned char iplen);
/* validateCommonName (the error names type cn). */
enum pol_reason pol_check_cn(const struct pol_engine *e, const char *cn);

#endif
