/* ssh_token.c - SSH claims, default principals and SSHPOP tokens as step's CLI makes them. */
#include "client/ssh_token.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/b64.h"
#include "jose/jwk.h"
#include "jose/jws.h"

char *ssh_sanitize_user_principal(const char *subject)
{
	const char *at = strrchr(subject, '@');
	size_t n = at != NULL ? (size_t)(at - subject) : strlen(subject), j = 0;
	char *out = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)subject[i];
		if (c >= 0x80 && c < 0xC0)
			continue; /* a UTF-8 continuation: its rune became one '_' already */
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == '.')
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			c = '_';
		out[j++] = (char)c;
	}
	out[j] = '\0';
	return out;
}

void ssh_default_principals(const char *subject, bool host, struct strv *out)
{
	const char *at = strrchr(subject, '@');
	char *name;

	if (host) {
		strv_push(out, subject);
		return;
	}
	name = ssh_sanitize_user_principal(subject);
	strv_push(out, name);
	if (at != NULL) {
		size_t n = (size_t)(at - subject);
		if (strlen(name) != n || strncasecmp(subject, name, n) != 0) {
			char *local = xmalloc(n + 1);
			memcpy(local, subject, n);
			local[n] = '\0';
			strv_push(out, local);
			free(local);
		}
	}
	if (strcmp(subject, name) != 0)
		strv_push(out, subject);
	free(name);
}

json_t *ssh_step_claim(bool host, const char *key_id, const struct strv *principals,
		       const char *valid_after, const char *valid_before)
{
	json_t *p = json_null();

	if (principals != NULL && principals->n > 0) {
		p = json_array();
		for (size_t i = 0; i < principals->n; i++)
			json_array_append_new(p, json_string(principals->v[i]));
	}
	return json_pack("{s:{s:s, s:s, s:o, s:s, s:s}}", "ssh", "certType", host ? "host" : "user",
			 "keyID", key_id, "principals", p, "validAfter",
			 valid_after != NULL ? valid_after : "", "validBefore",
			 valid_before != NULL ? valid_before : "");
}

int token_build_sshpop(EVP_PKEY *key, const struct sshpop_params *p, char **out, struct error *err)
{
	unsigned char raw[32];
	char thumb[44], *jti = NULL, *b64 = NULL;
	json_t *header = NULL, *claims = NULL;
	int rc = -1;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return err_openssl(err, ERR_CRYPTO, "error generating token id");
	if (jwk_thumbprint(key, thumb, err) != 0)
		return -1;
	jti = hex_encode(raw, sizeof(raw));
	b64 = b64_encode(p->cert, p->cert_len);
	header = json_pack("{s:s, s:s, s:s}", "kid", thumb, "typ", "JWT", "sshpop", b64);
	claims = json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:s}", "aud", p->audience, "exp",
			   (json_int_t)p->not_after_sec, "iat", (json_int_t)p->not_before_sec,
			   "iss", p->issuer, "jti", jti, "nbf", (json_int_t)p->not_before_sec,
			   "sub", p->subject);
	if (header == NULL || claims == NULL) {
		err_set(err, ERR_INVALID, "error building the sshpop token");
		goto out;
	}
	if (p->root_sha != NULL)
		json_object_set_new(claims, "sha", json_string(p->root_sha));
	rc = jws_sign(header, claims, key, out, err);
out:
	json_decref(header);
	json_decref(claims);
	free(jti);
	free(b64);
	return rc;
}
