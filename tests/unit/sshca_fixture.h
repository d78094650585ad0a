/* sshca_fixture.h - the SSH engine over the authority fixture (authority_fixture.h): SSH CA keys
 * in a scratch directory (the host key encrypted with SHX_HOST_PASSWORD, the user key with the
 * intermediate's password SHX_CA_PASSWORD), the provisioners ssh@test (JWK, enableSSHCA) and
 * sshpop (SSHPOP), requests run to their answer, and SSH tokens.
 */
#ifndef STRIDE_TESTS_SSHCA_FIXTURE_H
#define STRIDE_TESTS_SSHCA_FIXTURE_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "authority_fixture.h"
#include "ssh/ssh.h"
#include "sshca/sshca.h"

#define SHX_JWK		  "ssh@test"
#define SHX_HOST_PASSWORD "host-password"
#define SHX_CA_PASSWORD	  "ca-password"

struct shx {
	struct afx *f;
	struct sshca *s;
	char dir[64];
	EVP_PKEY *host_ca, *user_ca; /* the CA keys */
	struct ssh_pubkey host_pub, user_pub;
};

/* A CA with an SSH engine: ssh_patch (may be NULL) merged into the "ssh" object ({} for none:
 * "-" gives no "ssh" object), authority_patch into "authority", extra provisioners after
 * ssh@test and sshpop. Aborts the test on failure. */
struct shx *shx_new(const char *ssh_patch, const char *authority_patch, const char *extra);
/* The same; db false: ca.json says the CA has no database (step-ca keeps no records then). */
struct shx *shx_new_db(const char *ssh_patch, const char *authority_patch, const char *extra,
		       bool db);
void shx_free(struct shx *x);

/* An answer: status, content type, body (NUL-terminated). */
struct shx_resp {
	int status;
	char *content_type;
	char *body;
	size_t len;
};
void shx_resp_free(struct shx_resp *r);
/* Runs one request to its answer. */
void shx_call(struct shx *x, const char *method, const char *path, const char *body,
	      struct shx_resp *out);
/* The same from an mTLS client presenting peer (may be NULL). */
void shx_call_peer(struct shx *x, const char *method, const char *path, const char *body,
		   X509 *peer, struct shx_resp *out);
/* The same, the body JSON-decoded (an object), and the status checked. New reference. */
json_t *shx_json(struct shx *x, const char *method, const char *path, const char *body,
		 int want_status);

/* An SSH sign token of prov for sub with the step claim step_json ("null": none) and audience
 * path aud_path (NULL: /1.0/ssh/sign). malloc'd. */
char *shx_token(struct shx *x, const char *prov, const char *sub, const char *step_json,
		const char *aud_path);
/* An SSHPOP token for cert (its key signs: key), subject sub, audience path aud_path. */
char *shx_pop_token(const struct ssh_cert *cert, EVP_PKEY *key, const char *sub,
		    const char *aud_path);
/* Standard base64 of the wire form of key's public half (malloc'd). */
char *shx_pub_b64(EVP_PKEY *key);
/* Parses the base64 certificate of member name of doc into *c; asserts success. */
void shx_cert(const json_t *doc, const char *name, struct ssh_cert *c);
/* A P-256 key. */
EVP_PKEY *shx_p256(void);

/* The time now in Unix seconds. */
int64_t shx_now(void);
/* The body of POST /ssh/sign for key (base64) and token, with extra members (JSON, may be
 * NULL). malloc'd. */
char *shx_sign_body(const char *key, const char *ott, const char *extra);
/* POST /ssh/sign with a fresh token of prov for sub with the step claim step. */
void shx_sign(struct shx *x, const char *prov, const char *sub, const char *step, const char *key,
	      const char *extra, struct shx_resp *r);
/* A host certificate (web1.example.com, localhost) for key from ssh@test; *c filled. */
void shx_host_cert(struct shx *x, EVP_PKEY *key, struct ssh_cert *c);
/* Checks what every certificate of ours has: signed by ca, a nonce of 32 characters, a serial. */
void shx_check_signed(const struct ssh_cert *c, const struct ssh_pubkey *ca);
/* POST path with {"ott":token} (token freed) and more members (may be NULL). */
void shx_post_ott(struct shx *x, const char *path, char *token, const char *more,
		  struct shx_resp *r);
/* Checks an answer's status and (body not NULL) its exact body; afx_fail naming row. */
void shx_expect(const char *row, const struct shx_resp *r, int status, const char *body);
/* A certificate of key signed by the CA key ca outside the engine (serial 4242, key id
 * "forged", principal forged.example.com, the validity given). */
void shx_forge(EVP_PKEY *ca, EVP_PKEY *key, enum ssh_cert_type type, uint64_t after,
	       uint64_t before, struct ssh_cert *c);

#endif
