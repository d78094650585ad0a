/* keypolicy.c - the one rule for the public keys stride accepts.
 *
 * step-ca certifies only what Go parses and verifies: crypto/x509 knows the NIST curves P-224
 * to P-521 by name only (explicit parameters, secp256k1, brainpool and binary curves fail to
 * parse), and its crypto/rsa refuses an even exponent or one outside 2..2^31-1. stride is stricter
 * where step-ca is merely lenient: no P-224, RSA from 2048 bits (step-ca's CSR validator), at most
 * 16384 bits (OPENSSL_RSA_MAX_MODULUS_BITS, the largest modulus OpenSSL verifies with, and the top
 * of the range Go's FIPS module approves).
 *
 * Explicit curve parameters are refused even when they describe P-256 exactly: OpenSSL 3 maps
 * such a key to the named curve's NID, so the check is on the encoding, not on the group
 * (CVE-2020-0601, "CurveBall", abused certificates whose explicit parameters differed from the
 * named curve's in the generator only).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* the EC_KEY of a legacy key (csr_fast.c builds those) */

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <string.h>

#include "crypto/internal.h"
#include "crypto/key.h"

#define ALLOWED	  "(allowed: P-256, P-384, P-521, Ed25519, RSA >= 2048 bits)"
#define RSA_E_MIN 3UL
#define RSA_E_MAX 0x7fffffffUL /* 2^31-1, Go's crypto/rsa bound */

/* Whether the EC key's parameters are encoded as a named curve (an OID), not explicitly. */
static bool ec_named_curve(const EVP_PKEY *key)
{
	char enc[32] = "";
	size_t n = 0;
	bool named;

	if (EVP_PKEY_get0_provider(key) == NULL) {
		/* A legacy key: its EC_KEY's group carries the flag (the provider parameter is
		 * not translated for legacy keys). */
		const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(key);
		const EC_GROUP *group = ec != NULL ? EC_KEY_get0_group(ec) : NULL;
		return group != NULL && EC_GROUP_get_asn1_flag(group) == OPENSSL_EC_NAMED_CURVE;
	}
	named = EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc),
					       &n) == 1 &&
		strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) == 0;
	ERR_clear_error();
	return named;
}

static int check_ec(const EVP_PKEY *key, const char *what, struct error *err)
{
	char curve[64] = "";
	size_t n = 0;

	if (!ec_named_curve(key))
		return err_public(err, ERR_INVALID,
				  "%s key: explicit elliptic curve parameters are not supported, "
				  "only named curves " ALLOWED,
				  what);
	switch (crypto_ec_curve_nid(key)) {
	case NID_X9_62_prime256v1:
	case NID_secp384r1:
	case NID_secp521r1:
		return 0;
	default:
		break;
	}
	if (EVP_PKEY_get_group_name(key, curve, sizeof(curve), &n) != 1)
		snprintf(curve, sizeof(curve), "(unnamed)");
	ERR_clear_error();
	return err_public(err, ERR_INVALID, "%s key: unsupported elliptic curve %s " ALLOWED, what,
			  curve);
}

/* The exponent refusal, with the value when it is short enough to print. */
static int bad_exponent(const BIGNUM *e, const char *what, struct error *err)
{
	char *dec = BN_num_bits(e) <= 64 ? BN_bn2dec(e) : NULL;
	int rc;

	if (dec != NULL)
		rc = err_public(err, ERR_INVALID,
				"%s RSA key: unsupported public exponent %s (it must be odd, at "
				"least 3 and at most 2^31-1)",
				what, dec);
	else
		rc = err_public(err, ERR_INVALID,
				"%s RSA key: unsupported public exponent of %d bits (it must be "
				"odd, at least 3 and at most 2^31-1)",
				what, BN_num_bits(e));
	OPENSSL_free(dec);
	return rc;
}

static int check_rsa(const EVP_PKEY *key, const char *what, struct error *err)
{
	BIGNUM *n = NULL, *e = NULL;
	int bits, rc = -1;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
		ERR_clear_error();
		err_public(err, ERR_INVALID, "%s RSA key: invalid key", what);
		goto out;
	}
	bits = BN_num_bits(n);
	if (bits < KEY_RSA_BITS_MIN)
		/* step-ca's message */
		err_public(err, ERR_INVALID, "%s RSA key must be at least %d bits (%d bytes)", what,
			   KEY_RSA_BITS_MIN, KEY_RSA_BITS_MIN / 8);
	else if (bits > KEY_RSA_BITS_MAX)
		err_public(err, ERR_INVALID, "%s RSA key must be at most %d bits", what,
			   KEY_RSA_BITS_MAX);
	else if (!BN_is_odd(n))
		err_public(err, ERR_INVALID, "%s RSA key: invalid modulus (even)", what);
	else if (!BN_is_odd(e) || BN_num_bits(e) > 31 || BN_get_word(e) < RSA_E_MIN ||
		 BN_get_word(e) > RSA_E_MAX)
		bad_exponent(e, what, err);
	else
		rc = 0;
out:
	BN_free(n);
	BN_free(e);
	return rc;
}

int key_check_allowed(const EVP_PKEY *key, const char *what, struct error *err)
{
	if (key == NULL)
		return err_public(err, ERR_INVALID, "%s key is missing", what);
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		return check_ec(key, what, err);
	case EVP_PKEY_ED25519:
		return 0;
	case EVP_PKEY_RSA:
		return check_rsa(key, what, err);
	default:
		return err_public(
		    err, ERR_INVALID, "%s key: unsupported key type %s " ALLOWED, what,
		    EVP_PKEY_get0_type_name(key) != NULL ? EVP_PKEY_get0_type_name(key)
							 : "(unknown)");
	}
}
