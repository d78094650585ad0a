#!/usr/bin/env bash
# The key policy (key_check_allowed): EC P-256/384/521 as named curves, Ed25519, RSA of 2048 to
# 16384 bits with an odd exponent 3 <= e <= 2^31-1, on every way a key reaches the CA (/sign,
# /rekey, Kyma, x5c and x5cInsecure token chains) and the CLI; and the order of the checks of
# /sign: a bad token is answered before the CSR's signature is checked.
source "$(dirname "$0")/lib.sh"

GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
BAD400="The request could not be completed:"
ALLOWED="(allowed: P-256, P-384, P-521, Ed25519, RSA >= 2048 bits)"
EXPONENT="(it must be odd, at least 3 and at most 2^31-1)"

check "ca init" init_ca
cd "$WORK" || exit 1

# An X5C provisioner trusting a root of our own, to build token chains with any key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout x5c-root.key \
	-out x5c-root.crt -subj /CN=X5C-Root -days 1 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign 2>/dev/null
edit_ca_json ".authority.provisioners += [{\"type\": \"X5C\", \"name\": \"x5c\", \"roots\": \"$(base64 -w0 x5c-root.crt)\"}]"
check "stride-ca starts" start_ca
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"

claims() { # AUD [ISS] [SUB]
	local now
	now=$(date +%s)
	jq -nc --arg aud "$1" --arg iss "${2:-$PROVISIONER}" --arg sub "${3:-foo.example.com}" \
		--argjson now "$now" --arg jti "$(openssl rand -hex 32)" \
		'{aud: $aud, iss: $iss, sub: $sub, sans: [$sub], nbf: $now, iat: $now, exp: ($now + 300), jti: $jti}'
}
token() { forge_token "$WORK/prov.jwk" "$(claims "$CA_URL/1.0/sign")"; }

# post_sign CSR TOKEN [NOT_BEFORE]: prints "<status> <message>" of POST /sign.
post_sign() {
	sign_body "$1" "$2" | jq --arg nb "${3:-}" '.notBefore = $nb' >req.json
	curl_ca -X POST --data-binary @req.json /sign >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body" 2>/dev/null)" | sed 's/ $//'
}

# corrupt CSR OUT: the CSR with one bit of its signature flipped.
corrupt() {
	local size byte
	openssl req -in "$1" -outform DER -out "$2.der"
	size=$(stat -c %s "$2.der")
	byte=$(($(od -An -tu1 -j $((size - 3)) -N1 "$2.der") ^ 1))
	printf "\\$(printf %03o "$byte")" | dd of="$2.der" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
	{ echo "-----BEGIN CERTIFICATE REQUEST-----"; base64 -w64 "$2.der"; echo "-----END CERTIFICATE REQUEST-----"; } >"$2"
}

# --- /sign: what is refused, with a valid token ---------------------------------------------
for curve in secp112r1 sect113r1 secp160r1 prime192v1 secp256k1 brainpoolP256r1; do
	if ! openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:$curve -nodes -keyout $curve.key \
		-out $curve.csr -subj /CN=foo.example.com 2>/dev/null; then
		echo "note: this OpenSSL cannot make $curve keys, skipped"
		continue
	fi
	expect_eq "/sign $curve" "400 $BAD400 certificate request key: unsupported elliptic curve $curve $ALLOWED." \
		"$(post_sign $curve.csr "$(token)")"
done
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit -nodes \
	-keyout explicit.key -out explicit.csr -subj /CN=foo.example.com 2>/dev/null
expect_eq "/sign P-256 with explicit parameters" \
	"400 $BAD400 certificate request key: explicit elliptic curve parameters are not supported, only named curves $ALLOWED." \
	"$(post_sign explicit.csr "$(token)")"
openssl req -new -newkey rsa:1024 -nodes -keyout rsa1024.key -out rsa1024.csr -subj /CN=foo.example.com 2>/dev/null
expect_eq "/sign RSA 1024 (step-ca's 403)" \
	"403 The request was forbidden by the certificate authority: certificate request RSA key must be at least 2048 bits (256 bytes)." \
	"$(post_sign rsa1024.csr "$(token)")"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:4294967297 \
	-out e2p32.key 2>/dev/null
openssl req -new -key e2p32.key -out e2p32.csr -subj /CN=foo.example.com
expect_eq "/sign RSA e = 2^32+1" \
	"400 $BAD400 certificate request RSA key: unsupported public exponent 4294967297 $EXPONENT." \
	"$(post_sign e2p32.csr "$(token)")"
"$TESTTOOL" rsa-csr 2048 huge foo.example.com >huge2048.csr
expect_eq "/sign RSA 2048 with a 2047-bit exponent" \
	"400 $BAD400 certificate request RSA key: unsupported public exponent of 2047 bits $EXPONENT." \
	"$(post_sign huge2048.csr "$(token)")"
"$TESTTOOL" rsa-csr 2048 65536 foo.example.com >even.csr
expect_eq "/sign RSA with an even exponent" \
	"400 $BAD400 certificate request RSA key: unsupported public exponent 65536 $EXPONENT." \
	"$(post_sign even.csr "$(token)")"
"$TESTTOOL" rsa-csr 2048 1 foo.example.com >e1.csr
expect_eq "/sign RSA e = 1" "400 $BAD400 certificate request RSA key: unsupported public exponent 1 $EXPONENT." \
	"$(post_sign e1.csr "$(token)")"
"$TESTTOOL" rsa-csr 2048 2147483649 foo.example.com >e2p31.csr
expect_eq "/sign RSA e = 2^31+1" \
	"400 $BAD400 certificate request RSA key: unsupported public exponent 2147483649 $EXPONENT." \
	"$(post_sign e2p31.csr "$(token)")"
"$TESTTOOL" rsa-csr 17000 65537 foo.example.com >rsa17000.csr
expect_eq "/sign RSA 17000 bits" "400 $BAD400 certificate request RSA key must be at most 16384 bits." \
	"$(post_sign rsa17000.csr "$(token)")"

# --- /sign: what is accepted -----------------------------------------------------------------
for curve in P-256 P-384 P-521; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:$curve -nodes -keyout ok.key -out ok.csr \
		-subj /CN=foo.example.com 2>/dev/null
	expect_eq "/sign $curve" 201 "$(post_sign ok.csr "$(token)")"
done
openssl req -new -newkey ed25519 -nodes -keyout ok.key -out ok.csr -subj /CN=foo.example.com 2>/dev/null
expect_eq "/sign Ed25519" 201 "$(post_sign ok.csr "$(token)")"
openssl req -new -newkey rsa:2048 -nodes -keyout ok.key -out ok.csr -subj /CN=foo.example.com 2>/dev/null
expect_eq "/sign RSA 2048" 201 "$(post_sign ok.csr "$(token)")"
"$TESTTOOL" rsa-csr 2048 3 foo.example.com >e3.csr
expect_eq "/sign RSA e = 3" 201 "$(post_sign e3.csr "$(token)")"
"$TESTTOOL" rsa-csr 2048 2147483647 foo.example.com >e2p31m1.csr
expect_eq "/sign RSA e = 2^31-1" 201 "$(post_sign e2p31m1.csr "$(token)")"

# --- /sign: the token before the CSR's signature -------------------------------------------
new_csr leaf foo.example.com
corrupt "$WORK/leaf.csr" badsig.csr
expect_eq "garbage token, CSR with a bad signature: the token's 401" "401 $GENERIC_401" \
	"$(post_sign badsig.csr "not.a.token")"
tok=$(token)
sig=${tok##*.}
forged=${tok%.*}.$([[ ${sig:0:1} == A ]] && echo B || echo A)${sig:1}
expect_eq "forged token, CSR with a bad signature: the token's 401" "401 $GENERIC_401" \
	"$(post_sign badsig.csr "$forged")"
tok=$(token) # the forged one burnt the jti of the first (step-ca's replay check comes first)
expect_eq "valid token, CSR with a bad signature: invalid csr" "400 $BAD400 invalid csr." \
	"$(post_sign badsig.csr "$tok")"
expect_eq "that token was used by the failed request" "401 $GENERIC_401" "$(post_sign "$WORK/leaf.csr" "$tok")"
# A 3072-bit modulus with a 3071-bit exponent: verifying it costs as much as an RSA signature.
# A request without a valid token never gets to that; with one, the key policy refuses it.
"$TESTTOOL" rsa-csr 3072 huge foo.example.com >huge3072.csr
expect_eq "3071-bit exponent, garbage token: 401" "401 $GENERIC_401" "$(post_sign huge3072.csr "not.a.token")"
corrupt huge3072.csr huge3072-bad.csr
expect_eq "3071-bit exponent, bad signature, garbage token: 401" "401 $GENERIC_401" \
	"$(post_sign huge3072-bad.csr "not.a.token")"
expect_eq "3071-bit exponent, valid token: the key policy" \
	"400 $BAD400 certificate request RSA key: unsupported public exponent of 3071 bits $EXPONENT." \
	"$(post_sign huge3072.csr "$(token)")"

# --- /rekey and Kyma (mTLS) --------------------------------------------------------------------
check "a client certificate" cert a
rekey_post() { # CSR: prints "<status> <message>"
	jq -n --rawfile csr "$1" '{csr: $csr}' >req.json
	curl_ca --cert a.crt --key a.key -X POST --data-binary @req.json /rekey >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body" 2>/dev/null)" | sed 's/ $//'
}
expect_eq "/rekey secp256k1" "400 $BAD400 certificate request key: unsupported elliptic curve secp256k1 $ALLOWED." \
	"$(rekey_post secp256k1.csr)"
expect_eq "/rekey RSA 1024" "400 $BAD400 certificate request RSA key must be at least 2048 bits (256 bytes)." \
	"$(rekey_post rsa1024.csr)"
expect_eq "/rekey bad signature" "400 $BAD400 invalid csr." "$(rekey_post badsig.csr)"
expect_eq "/rekey P-256" 201 "$(rekey_post "$WORK/leaf.csr")"
kyma_post() { # CSR: prints "<status> <body>"
	curl_ca --cert a.crt --key a.key -X POST -d "{\"csr\":\"$(base64 -w0 "$1")\"}" \
		/v1/applications/certificates/renewals >/dev/null
	echo "$(cat "$WORK/status") $(jq -c . "$WORK/body" 2>/dev/null)"
}
openssl req -new -key secp256k1.key -out kyma-k1.csr -subj /CN=a.example.com
expect_eq "Kyma secp256k1" "400 {\"code\":400,\"error\":\"certificate request key: unsupported elliptic curve secp256k1 $ALLOWED\"}" \
	"$(kyma_post kyma-k1.csr)"
openssl req -new -key a.key -out kyma-ok.csr -subj /CN=a.example.com
corrupt kyma-ok.csr kyma-bad.csr
expect_eq "Kyma bad signature" '400 {"code":400,"error":"CSR signature invalid"}' "$(kyma_post kyma-bad.csr)"
expect_eq "Kyma P-256" 201 "$(kyma_post kyma-ok.csr | cut -d' ' -f1)"

# --- token chains: x5c (X5C provisioner) and x5cInsecure (renew tokens) ------------------------
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# rs256_token KEY HEADER_MEMBER PAYLOAD CERT...: a token signed with KEY whose HEADER_MEMBER
# holds the certificates.
rs256_token() {
	local key=$1 member=$2 payload=$3 header input c
	shift 3
	local certs=()
	for c in "$@"; do certs+=("$(openssl x509 -in "$c" -outform DER | base64 -w0)"); done
	header=$(jq -nc --arg m "$member" '{alg: "RS256", typ: "JWT"} + {($m): $ARGS.positional}' --args "${certs[@]}")
	input="$(printf %s "$header" | b64url).$(printf %s "$payload" | b64url)"
	echo "$input.$(printf %s "$input" | openssl dgst -sha256 -sign "$key" -binary | b64url)"
}
# issue CSR CA_CRT CA_KEY OUT ca|leaf|ours [openssl x509 args...]: a certificate valid for a day;
# "ours" is a leaf with the provisioner extension of the first provisioner (renewable by token).
issue() {
	local csr=$1 ca=$2 cakey=$3 out=$4 kind=$5
	shift 5
	if [[ $kind == ca ]]; then
		printf '[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >ext.cnf
	else
		printf '[ext]\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >ext.cnf
	fi
	if [[ $kind == ours ]]; then
		printf '1.3.6.1.4.1.37476.9000.64.1=ASN1:SEQUENCE:prov\n[prov]\ntype=INTEGER:1\n' >>ext.cnf
		printf 'name=OCTETSTRING:%s\ncred=OCTETSTRING:%s\n' "$PROVISIONER" "$(provisioner_kid)" >>ext.cnf
	fi
	openssl x509 -req -in "$csr" -CA "$ca" -CAkey "$cakey" -set_serial "0x$(openssl rand -hex 8)" \
		-days 1 -extfile ext.cnf -extensions ext -out "$out" "$@" 2>/dev/null
}
X5C_AUD="$CA_URL/1.0/sign#x5c/x5c"
# (notBefore 1m: the certificate must start no earlier than the token's certificate)
openssl req -new -newkey rsa:2048 -nodes -keyout x-ok.key -out x-ok.csr -subj /CN=x-ok 2>/dev/null
issue x-ok.csr x5c-root.crt x5c-root.key x-ok.crt leaf
expect_eq "x5c token, RSA 2048 leaf" 201 \
	"$(post_sign "$WORK/leaf.csr" "$(rs256_token x-ok.key x5c "$(claims "$X5C_AUD" x5c)" x-ok.crt)" 1m)"
openssl req -new -key e2p32.key -out x-e.csr -subj /CN=x-e
issue x-e.csr x5c-root.crt x5c-root.key x-e.crt leaf
expect_eq "x5c token, leaf with e = 2^32+1" \
	"400 $BAD400 x5c leaf certificate RSA key: unsupported public exponent 4294967297 $EXPONENT." \
	"$(post_sign "$WORK/leaf.csr" "$(rs256_token e2p32.key x5c "$(claims "$X5C_AUD" x5c)" x-e.crt)" 1m)"
openssl req -new -key secp256k1.key -out k1-int.csr -subj /CN=K1-Intermediate
issue k1-int.csr x5c-root.crt x5c-root.key k1-int.crt ca
issue x-ok.csr k1-int.crt secp256k1.key x-under-k1.crt leaf
expect_eq "x5c token, secp256k1 intermediate" \
	"400 $BAD400 x5c certificate 2 key: unsupported elliptic curve secp256k1 $ALLOWED." \
	"$(post_sign "$WORK/leaf.csr" "$(rs256_token x-ok.key x5c "$(claims "$X5C_AUD" x5c)" x-under-k1.crt k1-int.crt)" 1m)"
# Renew tokens for certificates of this CA (signed here with its intermediate key).
renew_post() { # KEY CERT: prints "<status> <message>" of POST /renew with a renew token
	local tok
	tok=$(rs256_token "$1" x5cInsecure "$(claims "$CA_URL/1.0/renew" step-ca-client/1.0 r.example.com)" \
		"$2" "$STRIDEPATH/certs/intermediate_ca.crt")
	curl_ca -X POST -H "Authorization: Bearer $tok" /renew >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body" 2>/dev/null)" | sed 's/ $//'
}
for k in x-ok e2p32; do
	openssl req -new -key $k.key -out r-$k.csr -subj /CN=r.example.com
	issue r-$k.csr "$STRIDEPATH/certs/intermediate_ca.crt" "$STRIDEPATH/secrets/intermediate_ca_key" \
		r-$k.crt ours -passin file:"$WORK/password"
done
expect_eq "renew token, RSA 2048 certificate" 201 "$(renew_post x-ok.key r-x-ok.crt)"
expect_eq "renew token, certificate with e = 2^32+1" \
	"400 $BAD400 x5cInsecure leaf certificate RSA key: unsupported public exponent 4294967297 $EXPONENT." \
	"$(renew_post e2p32.key r-e2p32.crt)"

# --- the CLI -----------------------------------------------------------------------------------
check_fails "ca certificate --kty RSA --size 1024" "$STRIDE_BIN" ca certificate c.example.com c.crt c.key \
	--provisioner-password-file "$WORK/prov-password" --kty RSA --size 1024
expect_eq "--size 1024 message" "invalid value '1024' for flag '--size'; RSA keys require a minimum key size of 2048 bits" \
	"$(cat "$WORK/last.err")"
# (each on a certificate of its own: a rekey that succeeds changes the certificate's key)
cert k1
check_fails "rekey --private-key secp256k1" "$STRIDE_BIN" ca rekey k1.crt k1.key --force --private-key secp256k1.key
expect_eq "--private-key secp256k1 message" \
	"error reading secp256k1.key: private key: unsupported elliptic curve secp256k1 $ALLOWED" "$(cat "$WORK/last.err")"
cert r1024
check_fails "rekey --private-key RSA 1024" "$STRIDE_BIN" ca rekey r1024.crt r1024.key --force --private-key rsa1024.key
expect_eq "--private-key RSA 1024 message" \
	"error reading rsa1024.key: private RSA key must be at least 2048 bits (256 bytes)" "$(cat "$WORK/last.err")"
cert expl
check_fails "rekey --private-key P-256 with explicit parameters" "$STRIDE_BIN" ca rekey expl.crt expl.key --force \
	--private-key explicit.key
expect_eq "--private-key explicit message" \
	"error reading explicit.key: private key: explicit elliptic curve parameters are not supported, only named curves $ALLOWED" \
	"$(cat "$WORK/last.err")"
check "rekey --private-key RSA 2048 still works" "$STRIDE_BIN" ca rekey a.crt a.key --force --private-key ok.key
expect_eq "healthy" '{"status":"ok"}' "$(curl_ca /health)"
finish
