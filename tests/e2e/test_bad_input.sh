#!/usr/bin/env bash
# Malformed requests get a 4xx with step's error body, and the server keeps serving.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
check "stride-ca starts" start_ca
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"
new_csr leaf foo.example.com
now=$(date +%s)
token() {
	forge_token "$WORK/prov.jwk" "$(jq -nc --arg aud "$CA_URL/1.0/sign" --arg iss "$PROVISIONER" \
		--argjson now "$now" --arg jti "$(openssl rand -hex 32)" \
		'{aud: $aud, iss: $iss, sub: "foo.example.com", nbf: $now, iat: $now, exp: ($now + 300), jti: $jti}')"
}

# post DESCRIPTION EXPECTED_STATUS EXPECTED_MESSAGE (curl data args...)
post() {
	local what=$1 status=$2 message=$3
	shift 3
	curl_ca -X POST "$@" /sign >/dev/null
	expect_eq "$what: status" "$status" "$(cat "$WORK/status")"
	if [[ -n $message ]]; then
		expect_eq "$what: message" "$message" "$(jq -r .message "$WORK/body" 2>/dev/null)"
		expect_eq "$what: status field" "$status" "$(jq -r .status "$WORK/body" 2>/dev/null)"
	fi
	expect_eq "$what: still healthy" '{"status":"ok"}' "$(curl_ca /health)"
}

DECODE="The request could not be completed: error decoding json."
post "empty body" 400 "$DECODE" --data-binary ''
post "not JSON" 400 "$DECODE" --data-binary '{"csr":'
post "JSON array" 400 "$DECODE" --data-binary '[1,2,3]'
post "csr is a number" 400 "$DECODE" --data-binary '{"csr":42,"ott":"x"}'
post "csr is not PEM" 400 "$DECODE" --data-binary '{"csr":"hello","ott":"x"}'
post "csr PEM with garbage" 400 "$DECODE" \
	--data-binary '{"csr":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n","ott":"x"}'
post "notAfter is a number" 400 "$DECODE" \
	--data-binary "$(jq -n --rawfile csr "$WORK/leaf.csr" '{csr: $csr, ott: "x", notAfter: 5}')"

# A CSR whose signature does not verify: flip a bit near the end of the DER.
openssl req -in "$WORK/leaf.csr" -outform DER -out "$WORK/leaf.der"
size=$(stat -c %s "$WORK/leaf.der")
byte=$(($(od -An -tu1 -j $((size - 3)) -N1 "$WORK/leaf.der") ^ 1))
printf "\\$(printf %03o "$byte")" | dd of="$WORK/leaf.der" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
{ echo "-----BEGIN CERTIFICATE REQUEST-----"; base64 -w64 "$WORK/leaf.der"; echo "-----END CERTIFICATE REQUEST-----"; } >"$WORK/bad.csr"
post "CSR with a bad signature" 400 "The request could not be completed: invalid csr." \
	--data-binary "$(sign_body "$WORK/bad.csr" "$(token)")"

head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$WORK/big"
post "5 MiB body" 413 "" --data-binary @"$WORK/big"
curl_ca -X POST -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' b)" --data-binary '{}' /sign >/dev/null
status=$(cat "$WORK/status")
if [[ $status == 4* ]]; then pass "huge header is a 4xx ($status)"; else fail "huge header: $status"; fi
expect_eq "huge header: still healthy" '{"status":"ok"}' "$(curl_ca /health)"

# Garbage on the TLS port and a client that hangs up mid-handshake.
printf 'GET / HTTP/1.1\r\n\r\n' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$PORT" 2>/dev/null
head -c 4096 /dev/urandom | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$PORT" 2>/dev/null
expect_eq "healthy after garbage on the socket" '{"status":"ok"}' "$(curl_ca /health)"

# A client certificate from another CA is refused in the handshake.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/self.key" \
	-out "$WORK/self.crt" -subj /CN=self -days 1 2>/dev/null
check_fails "foreign client certificate is refused" curl -sf --cacert "$STRIDEPATH/certs/root_ca.crt" \
	--cert "$WORK/self.crt" --key "$WORK/self.key" "$CA_URL/health"
expect_eq "healthy after a refused handshake" '{"status":"ok"}' "$(curl_ca /health)"

expect_eq "a valid request still works" 201 \
	"$(sign_body "$WORK/leaf.csr" "$(token)" | curl -s -o /dev/null -w '%{http_code}' \
		--cacert "$STRIDEPATH/certs/root_ca.crt" -X POST --data-binary @- "$CA_URL/sign")"
finish
