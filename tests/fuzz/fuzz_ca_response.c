/* fuzz_ca_response.c - what a (malicious) CA answers the CLI, as the client reads it.
 *
 * The input is a response body. It goes through ca_client_decode_error (error answers) and,
 * parsed as ca_client_do parses success answers, through cli_response_chain (the
 * SignResponse of sign/renew/rekey) and cert_parse_chain on its result as renew does; the
 * crts of /roots and /federation, the ca of /root/{sha}, the provisioner objects of
 * /provisioners (their JWKs) and the status of /health as ca_client.c reads them.
 * (Those last readers are static inside ca_client.c's network functions; this target
 * repeats their few lines of JSON access - see the fuzzing report.)
 * Invariants: an error answer always fails with the status's kind and a message; a chain
 * from cli_response_chain holds a certificate block; re-encoded bundles parse again.
 */
#include <jansson.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ca_backend.h"
#include "client/ca_client.h"
#include "crypto/cert.h"
#include "jose/jwk.h"

#define FUZZ_MAX_RESPONSE (256 * 1024) /* CA_CLIENT_MAX_RESPONSE is 4 MiB; PEM is not slower */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "ca response invariant broken: %s\n", what);
	abort();
}

/* get_bundle / append_pem_certs: every crts entry parsed and re-encoded. */
static void read_bundle(const json_t *crts)
{
	size_t i;
	json_t *v;

	json_array_foreach(crts, i, v)
	{
		STACK_OF(X509) *chain = NULL, *back = NULL;
		const char *s = json_string_value(v);
		char *pem = NULL;

		if (s == NULL || cert_parse_chain((const uint8_t *)s, strlen(s), &chain, NULL) != 0)
			continue;
		if (cert_chain_to_pem(chain, &pem, NULL) != 0 ||
		    cert_parse_chain((const uint8_t *)pem, strlen(pem), &back, NULL) != 0 ||
		    sk_X509_num(back) != sk_X509_num(chain))
			fail("re-encoded bundle");
		free(pem);
		sk_X509_pop_free(back, X509_free);
		sk_X509_pop_free(chain, X509_free);
	}
}

/* ca_client_root: the first certificate of "ca" and its fingerprint. */
static void read_root(const char *ca)
{
	STACK_OF(X509) *chain = NULL;
	char fp[65], *pem = NULL;

	if (ca == NULL || cert_parse_chain((const uint8_t *)ca, strlen(ca), &chain, NULL) != 0)
		return;
	if (cert_fingerprint(sk_X509_value(chain, 0), fp, NULL) != 0 ||
	    cert_to_pem(sk_X509_value(chain, 0), &pem, NULL) != 0)
		fail("root certificate");
	free(pem);
	sk_X509_pop_free(chain, X509_free);
}

/* The provisioner list as token_flow.c reads it: type, name, key.kid, the JWK. */
static void read_provisioners(const json_t *list)
{
	size_t i;
	json_t *p;

	json_array_foreach(list, i, p)
	{
		const json_t *key = json_object_get(p, "key");
		EVP_PKEY *pkey = NULL;

		(void)json_string_value(json_object_get(p, "type"));
		(void)json_string_value(json_object_get(p, "name"));
		(void)json_string_value(json_object_get(key, "kid"));
		(void)json_string_value(json_object_get(p, "encryptedKey"));
		if (json_is_object(key) && jwk_to_pkey(key, &pkey, NULL) == 0)
			EVP_PKEY_free(pkey);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = {0};
	json_t *resp;
	char *chain_pem = NULL;

	if (size > FUZZ_MAX_RESPONSE)
		return 0;
	if (ca_client_decode_error(401, (const char *)data, size, &err) != -1 ||
	    err.kind != ERR_UNAUTHORIZED || err.msg[0] == '\0' ||
	    (err.status != 0 && err.status != 401))
		fail("error answer");

	resp = json_loadb((const char *)data, size, 0, NULL);
	if (resp == NULL)
		return 0;
	if (cli_response_chain(resp, &chain_pem, &err) == 0) {
		STACK_OF(X509) *chain = NULL;
		if (chain_pem == NULL || strstr(chain_pem, "BEGIN CERTIFICATE") == NULL)
			fail("chain without a certificate");
		if (cert_parse_chain((const uint8_t *)chain_pem, strlen(chain_pem), &chain, NULL) ==
		    0)
			sk_X509_pop_free(chain, X509_free);
		free(chain_pem);
	}
	read_bundle(json_object_get(resp, "crts"));
	read_root(json_string_value(json_object_get(resp, "ca")));
	read_provisioners(json_object_get(resp, "provisioners"));
	(void)json_string_value(json_object_get(resp, "nextCursor"));
	(void)json_string_value(json_object_get(resp, "status"));
	(void)json_string_value(json_object_get(resp, "key"));
	json_decref(resp);
	return 0;
}
