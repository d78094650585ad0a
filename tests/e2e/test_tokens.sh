#!/usr/bin/env bash
# Every JWK token check of POST /sign, with the status and message a step
# client sees from step-ca's POST /sign.
source "$(dirname "$0")/lib.sh"

GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."

check "ca init" init_ca
# Lower the minimum so short certificates can be requested, cap the maximum at 48h.
edit_ca_json '.authority.provisioners[0].claims = {"minTLSCertDuration":"1m","maxTLSCertDuration":"48h"}'
check "stride-ca starts" start_ca
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"
KID=$(provisioner_kid)
new_csr leaf foo.example.com

# claims [jq assignments]: a valid payload for foo.example.com, then the edits.
claims() {
	local now
	now=$(date +%s)
	jq -nc --arg aud "$CA_URL/1.0/sign" --arg iss "$PROVISIONER" --argjson now "$now" \
		--arg jti "$(openssl rand -hex 32)" \
		"{aud: \$aud, iss: \$iss, sub: \"foo.example.com\", sans: [\"foo.example.com\"],
		  nbf: \$now, iat: \$now, exp: (\$now + 300), jti: \$jti} ${1:+| $1}"
}

# post_sign TOKEN [CSR]: prints "<status> <message>".
post_sign() {
	sign_body "${2:-$WORK/leaf.csr}" "$1" >"$WORK/req.json"
	curl_ca -X POST --data-binary @"$WORK/req.json" /sign >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body" 2>/dev/null)"
}

# expect_sign DESCRIPTION "STATUS[ MESSAGE]" TOKEN [CSR]
expect_sign() {
	local got
	got=$(post_sign "$3" "${4:-}")
	got=${got% }
	expect_eq "$1" "$2" "$got"
}

expect_sign "a valid forged token" "201" "$(forge_token "$WORK/prov.jwk" "$(claims)")"
expect_eq "SignResponse fields in order" '["crt","ca","certChain","tlsOptions"]' \
	"$(jq -c keys_unsorted "$WORK/body")"
expect_eq "SignResponse tlsOptions" \
	'{"cipherSuites":["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256","TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],"minVersion":1.2,"maxVersion":1.3,"renegotiation":false}' \
	"$(jq -c .tlsOptions "$WORK/body")"
expect_eq "SignResponse crt is certChain[0]" "true" "$(jq '.crt == .certChain[0] and .ca == .certChain[1]' "$WORK/body")"
expect_eq "/1.0/sign works too" 201 "$(sign_body "$WORK/leaf.csr" "$(forge_token "$WORK/prov.jwk" "$(claims)")" |
	curl -s -o /dev/null -w '%{http_code}' --cacert "$STRIDEPATH/certs/root_ca.crt" -X POST --data-binary @- "$CA_URL/1.0/sign")"

tok=$(forge_token "$WORK/prov.jwk" "$(claims)")
expect_sign "first use of a token" "201" "$tok"
expect_sign "replayed token" "401 $GENERIC_401" "$tok"

sig=${tok##*.}
mid=$((${#sig} / 2))
flipped=${sig:0:mid}$([[ ${sig:mid:1} == A ]] && echo B || echo A)${sig:mid+1}
expect_sign "bad signature" "401 $GENERIC_401" "${tok%.*}.$flipped"

# ES256 signatures are malleable: (r, s) and (r, n - s) both verify. A token without a jti must
# not be usable twice by flipping its signature.
flip_es256() { # TOKEN: the token with s replaced by n - s (P-256)
	local sig=${1##*.} hex r s n=FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
	while ((${#sig} % 4)); do sig+="="; done
	hex=$(printf '%s' "$sig" | basenc --base64url -d | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
	r=${hex:0:64}
	s=$(echo "obase=16; ibase=16; $n - ${hex:64:64}" | BC_LINE_LENGTH=0 bc)
	while ((${#s} < 64)); do s="0$s"; done
	printf '%s.' "${1%.*}"
	printf '%b' "$(echo "$r$s" | sed 's/../\\x&/g')" | basenc --base64url | tr -d '=\n'
}
tok=$(forge_token "$WORK/prov.jwk" "$(claims 'del(.jti)')")
expect_sign "a token without jti" "201" "$tok"
expect_sign "the same token with its ECDSA signature flipped (s -> n - s)" "401 $GENERIC_401" "$(flip_es256 "$tok")"
tok=$(forge_token "$WORK/prov.jwk" "$(claims)")
expect_sign "flipped, then the original: one use only" "201" "$(flip_es256 "$tok")"
expect_sign "the original after its flipped twin" "401 $GENERIC_401" "$tok"
for jti in 123 '{"a":1}' '["x"]' true; do
	expect_sign "a jti that is not a string ($jti)" "401 $GENERIC_401" \
		"$(forge_token "$WORK/prov.jwk" "$(claims ".jti = $jti")")"
done
# RFC 7515 §4.1.11: critical extensions stride does not understand (it understands none).
for crit in '"crit":["exp"],"exp":1' '"crit":["b64"],"b64":false' '"crit":["urn:example:x"]'; do
	expect_sign "a token with {$crit}" "401 $GENERIC_401" \
		"$(forge_token "$WORK/prov.jwk" "$(claims)" "{\"kid\":\"$KID\",\"typ\":\"JWT\",$crit}")"
done

# A second CA gives us a different provisioner key to sign with.
OTHER="$WORK/other"
STRIDEPATH="$OTHER" "$STRIDE_BIN" ca init --name Other --dns localhost --address 127.0.0.1:1 \
	--provisioner "$PROVISIONER" --password-file "$WORK/password" \
	--provisioner-password-file "$WORK/prov-password" >/dev/null 2>&1
jq -r '.authority.provisioners[0].encryptedKey' "$OTHER/config/ca.json" |
	"$TESTTOOL" jwe-decrypt "$WORK/prov-password" >"$WORK/other.jwk"
expect_sign "signed by another key with our kid" "401 $GENERIC_401" \
	"$(forge_token "$WORK/other.jwk" "$(claims)")"
expect_sign "unknown kid" "401 $GENERIC_401" \
	"$(forge_token "$WORK/prov.jwk" "$(claims)" '{"kid":"unknown","typ":"JWT"}')"
expect_sign "wrong issuer" "401 $GENERIC_401" "$(forge_token "$WORK/prov.jwk" "$(claims '.iss = "mallory"')")"
expect_sign "wrong audience host" "401 $GENERIC_401" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.aud = "https://evil.example.com/1.0/sign"')")"
expect_sign "revoke audience on /sign" "401 $GENERIC_401" \
	"$(forge_token "$WORK/prov.jwk" "$(claims ".aud = \"$CA_URL/1.0/revoke\"")")"
expect_sign "audience port is ignored" "201" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.aud = "https://localhost:1/sign"')")"
expect_sign "audience array, IP dns name" "201" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.aud = ["https://x.invalid/sign", "https://127.0.0.1/1.0/sign"]')")"
expect_sign "legacy audience" "201" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.aud = "step-certificate-authority"')")"
expect_sign "expired token" "401 $GENERIC_401" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.exp = .nbf - 120')")"
expect_sign "expired within the 1m leeway" "201" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.exp = .nbf - 30')")"
expect_sign "not valid yet" "401 $GENERIC_401" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.nbf = .nbf + 300 | .exp = .exp + 300')")"
expect_sign "nbf within the leeway" "201" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.nbf = .nbf + 30')")"
expect_sign "issued in the future" "401 $GENERIC_401" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.iat = .iat + 300')")"
expect_sign "issued before the CA started" "401 $GENERIC_401" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.iat = .iat - 3600 | .nbf = .nbf - 60')")"
expect_sign "no exp" "401 $GENERIC_401" "$(forge_token "$WORK/prov.jwk" "$(claims 'del(.exp)')")"
expect_sign "empty subject" "401 $GENERIC_401" "$(forge_token "$WORK/prov.jwk" "$(claims '.sub = ""')")"
expect_sign "not a token" "401 $GENERIC_401" "not.a.token"
expect_sign "alg none" "401 $GENERIC_401" \
	"$(printf '%s.%s.' "$(echo -n '{"alg":"none","kid":"'"$KID"'"}' | base64 -w0 | tr '+/' '-_' | tr -d =)" \
		"$(claims | base64 -w0 | tr '+/' '-_' | tr -d =)")"

# CSR validators: detailed 403s.
new_csr other bar.example.com
expect_sign "CSR common name not in the token" \
	"403 The request was forbidden by the certificate authority: certificate request does not contain the valid common name - got bar.example.com, want [foo.example.com foo.example.com]." \
	"$(forge_token "$WORK/prov.jwk" "$(claims)")" "$WORK/other.csr"
new_csr sans foo.example.com -addext "subjectAltName=DNS:foo.example.com,DNS:evil.example.com"
expect_sign "CSR with an extra DNS name" \
	"403 The request was forbidden by the certificate authority: certificate request does not contain the valid DNS names - got [foo.example.com evil.example.com], want [foo.example.com]." \
	"$(forge_token "$WORK/prov.jwk" "$(claims)")" "$WORK/sans.csr"
new_csr ip foo.example.com -addext "subjectAltName=IP:10.1.2.3"
expect_sign "CSR with an IP the token lacks" \
	"403 The request was forbidden by the certificate authority: certificate request does not contain the valid IP addresses - got [10.1.2.3], want []." \
	"$(forge_token "$WORK/prov.jwk" "$(claims)")" "$WORK/ip.csr"
expect_sign "SANs of each type must match 1:1 (same set, other order)" "201" \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.sans = ["evil.example.com", "foo.example.com"]')")" "$WORK/sans.csr"
openssl req -new -newkey rsa:1024 -nodes -keyout "$WORK/rsa1024.key" -out "$WORK/rsa1024.csr" \
	-subj /CN=foo.example.com 2>/dev/null
expect_sign "RSA 1024 CSR" \
	"403 The request was forbidden by the certificate authority: certificate request RSA key must be at least 2048 bits (256 bytes)." \
	"$(forge_token "$WORK/prov.jwk" "$(claims)")" "$WORK/rsa1024.csr"
expect_sign "cnf fingerprint mismatch" \
	"403 The request was forbidden by the certificate authority: certificate request fingerprint does not match \"AAAA\"." \
	"$(forge_token "$WORK/prov.jwk" "$(claims '.cnf = {"x5rt#S256": "AAAA"}')")"
cnf=$(openssl req -in "$WORK/leaf.csr" -outform DER | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | tr -d =)
expect_sign "cnf fingerprint match" "201" \
	"$(forge_token "$WORK/prov.jwk" "$(claims ".cnf = {\"x5rt#S256\": \"$cnf\"}")")"

# Validity against the provisioner claims (min 1m, max 48h).
sign_validity() {
	jq -n --rawfile csr "$WORK/leaf.csr" --arg ott "$(forge_token "$WORK/prov.jwk" "$(claims)")" \
		--arg nb "$1" --arg na "$2" '{csr: $csr, ott: $ott, notBefore: $nb, notAfter: $na}' >"$WORK/req.json"
	curl_ca -X POST --data-binary @"$WORK/req.json" /sign >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body")"
}
expect_eq "notAfter 48h is over the maximum" \
	"403 The request was forbidden by the certificate authority: requested duration of 48h1m1s is more than the authorized maximum certificate duration of 48h1m0s." \
	"$(sign_validity "" "48h1s")"
expect_eq "notAfter 30s is under the minimum" \
	"403 The request was forbidden by the certificate authority: requested duration of 30s is less than the authorized minimum certificate duration of 1m0s." \
	"$(sign_validity "-0s" "30s")"
expect_eq "notAfter 47h is fine" "201 " "$(sign_validity "" "47h")"
expect_contains "notAfter in the past" "400 The request could not be completed: notAfter cannot be in the past" \
	"$(sign_validity "2020-01-01T00:00:00Z" "2020-01-02T00:00:00Z")"
expect_eq "notBefore that is not a time" "400 The request could not be completed: error decoding json." \
	"$(sign_validity "yesterday" "")"

# Missing pieces of the body.
body() {
	curl_ca -X POST --data-binary "$1" /sign >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body")"
}
expect_eq "missing csr" "400 The request could not be completed: missing csr." "$(body '{"ott":"x"}')"
expect_eq "null csr" "400 The request could not be completed: missing csr." "$(body '{"csr":null,"ott":"x"}')"
expect_eq "missing ott" "400 The request could not be completed: missing ott." \
	"$(body "$(jq -n --rawfile csr "$WORK/leaf.csr" '{csr: $csr}')")"

stop_ca
# A provisioner that cannot be initialised stops the CA from starting (as 0.19 does).
edit_ca_json '.authority.provisioners[0].claims = {"minTLSCertDuration":"2h","maxTLSCertDuration":"1h"}'
check_fails "stride-ca refuses a provisioner with bad claims" "$STRIDE_CA_BIN" \
	--password-file "$WORK/password" "$STRIDEPATH/config/ca.json"
expect_contains "bad claims message" "MaxCertDuration cannot be less than MinCertDuration" "$(cat "$WORK/last.err")"

finish
