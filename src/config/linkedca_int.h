/* linkedca_int.h - helpers shared by the linkedca conversion files (linkedca_*.c); not a
 * public interface.
 *
 * "lc" is the linkedca (protobuf-JSON) side, "cfg" the ca.json side. Member names on the lc
 * side are given in camelCase; the getters also accept their snake_case spelling (protobuf-JSON
 * parsers take both) and refuse an object that has both. `path` names the enclosing object in
 * messages ("details.JWK", "claims.x509"; "" at the top level).
 */
#ifndef STRIDE_CONFIG_LINKEDCA_INT_H
#define STRIDE_CONFIG_LINKEDCA_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The provisioner types: what each field is on both sides. */
enum lc_kind {
	K_JWK,	   /* bytes (JWK JSON) <-> the key object */
	K_STR,	   /* string <-> string */
	K_STRS,	   /* repeated string <-> string list */
	K_BOOL,	   /* bool <-> bool */
	K_OPTBOOL, /* optional bool <-> bool written only when set */
	K_INT,	   /* int32 <-> number */
	K_DUR,	   /* duration string <-> Go duration, "0s" when unset */
	K_PEMS,	   /* repeated bytes, one PEM each <-> base64 of the joined PEMs */
	K_B64,	   /* bytes <-> base64 */
	K_BSTR,	   /* bytes <-> string */
	K_CHAL,	   /* ACME challenge enum list <-> "http-01", ... */
	K_ATT,	   /* ACME attestation format enum list <-> "apple", ... */
	K_NULL,	   /* nothing <-> a ca.json member step-ca writes as null (AWS imdsVersions) */
};

struct lc_field {
	const char *lc;	 /* linkedca member (camelCase), NULL for K_NULL */
	const char *cfg; /* ca.json member */
	enum lc_kind kind;
	bool always;	 /* ca.json writes the zero value ("", false, null) too */
	const char *sub; /* linkedca sub-message holding the member (SCEP "decrypter") */
	bool join_nl;	 /* K_PEMS: "\n" between every two PEMs (else only where one lacks it) */
};

struct lc_ptype {
	const char *name;    /* linkedca enum name, the ca.json type step-ca writes */
	const char *details; /* ProvisionerDetails member */
	const struct lc_field *fields;
	const char *const *order; /* ca.json member order (the struct's field order) */
	bool options;		  /* has templates / options (all but SSHPOP) */
};

extern const struct lc_ptype lc_ptypes[]; /* indexed by linkedca.Provisioner.Type; 0 NOOP */
extern const int lc_nptypes;
/* ACME challenge and attestation format enum names and their ca.json strings, indexed by the
 * enum number (NULL-terminated; index 0 has no ca.json string). */
extern const char *const lc_chal_lc[], *const lc_chal_cfg[];
extern const char *const lc_att_lc[], *const lc_att_cfg[];

/* The longest member path a message names. */
#define LC_PATH_MAX 128

/* Writes "<path>.<name>" (or "<name>" when path is empty) into out. */
const char *lc_path(char out[LC_PATH_MAX], const char *path, const char *name);

/* obj's member name (camelCase) or its snake_case spelling; *out NULL when absent or null.
 * Both spellings present: ERR_INVALID. obj NULL: *out NULL. */
int lc_get(const json_t *obj, const char *path, const char *name, const json_t **out,
	   struct error *err);
/* An object member: *out NULL when absent or null; anything else than an object: ERR_INVALID. */
int lc_object(const json_t *obj, const char *path, const char *name, const json_t **out,
	      struct error *err);
/* A string member (*out NULL when absent or null). */
int lc_string(const json_t *obj, const char *path, const char *name, const char **out,
	      struct error *err);
/* A bool member (false when absent or null). */
int lc_bool(const json_t *obj, const char *path, const char *name, bool *out, bool *present,
	    struct error *err);
/* An int32 member: a JSON integer or a string holding one (0 when absent or null). */
int lc_int32(const json_t *obj, const char *path, const char *name, int64_t *out,
	     struct error *err);
/* A repeated string member: *out a new array (NULL when absent, null or empty). */
int lc_strings(const json_t *obj, const char *path, const char *name, json_t **out,
	       struct error *err);
/* A bytes member (standard or URL-safe base64, padded or not, as protobuf-JSON takes them):
 * *out malloc'd and NUL-terminated, NULL with *n 0 when absent, null or empty. */
int lc_bytes(const json_t *obj, const char *path, const char *name, uint8_t **out, size_t *n,
	     struct error *err);
/* Decodes one protobuf-JSON bytes value s; `what` names it in the message. */
int lc_b64_decode(const char *s, size_t len, const char *what, uint8_t **out, size_t *n,
		  struct error *err);

/* The PEM blocks of data (junk between blocks skipped), each re-encoded as PEM and then as
 * standard base64: a new array, empty when there is none. */
json_t *lc_pem_split_b64(const uint8_t *data, size_t n);

/* A Go duration string re-written as Go's Duration.String() gives it ("1h" -> "1h0m0s") into
 * out; a parse error is ERR_INVALID "<prefix>: time: invalid duration ...". */
int lc_duration_norm(const char *s, const char *prefix, char *out, size_t outlen,
		     struct error *err);

/* An RFC 3339 timestamp as protobuf-JSON writes one (UTC, fraction of 0, 3, 6 or 9 digits). */
char *lc_timestamp(int64_t t_ns, char *out, size_t n);

/* The ca.json claims of a linkedca Claims object c (admin.md §4.2); *out NULL when c is. */
int lc_claims_to_config(const json_t *c, json_t **out, struct error *err);
/* The linkedca Claims of ca.json claims c; *out NULL when c is NULL or null. */
int lc_claims_from_config(const json_t *c, json_t **out, struct error *err);
/* ca.json options {"x509":{...},"ssh":{...}} of the linkedca x509Template/sshTemplate of lc. */
int lc_options_to_config(const json_t *lc, json_t **out, struct error *err);
/* Adds "x509Template"/"sshTemplate" to lc from ca.json options (inline templates only). */
int lc_options_from_config(const json_t *options, json_t *lc, struct error *err);

#endif
