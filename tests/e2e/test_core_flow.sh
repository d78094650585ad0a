#!/usr/bin/env bash
# init -> serve -> bootstrap -> token -> certificate -> openssl verify, and the
# read-only endpoints with curl, field by field.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
expect_contains "init prints the root fingerprint" "Root fingerprint" "$(cat "$WORK/init.err" "$WORK/init.out")"
for f in certs/root_ca.crt certs/intermediate_ca.crt secrets/root_ca_key secrets/intermediate_ca_key; do
	expect_eq "$f is 0600" "600" "$(stat -c %a "$STRIDEPATH/$f")"
done
expect_contains "CA keys are encrypted" "ENCRYPTED" "$(cat "$STRIDEPATH/secrets/intermediate_ca_key")"
expect_eq "ca.json provisioner JWE header" \
	'{"alg":"PBES2-HS256+A128KW","cty":"jwk+json","enc":"A256GCM","p2c":600000}' \
	"$(jq -r '.authority.provisioners[0].encryptedKey' "$STRIDEPATH/config/ca.json" | cut -d. -f1 |
		tr '_-' '/+' | base64 -d 2>/dev/null | jq -c 'del(.p2s)')"
expect_eq "defaults.json ca-url" "https://localhost:$PORT" "$(jq -r '."ca-url"' "$STRIDEPATH/config/defaults.json")"

check "stride-ca starts" start_ca
FP=$(root_fingerprint)
expect_eq "defaults.json fingerprint" "$FP" "$(jq -r .fingerprint "$STRIDEPATH/config/defaults.json")"

# --- endpoints with curl -----------------------------------------------------
expect_eq "GET /health" '{"status":"ok"}' "$(curl_ca /health)"
expect_eq "GET /health status" 200 "$(cat "$WORK/status")"
expect_eq "GET /1.0/health" '{"status":"ok"}' "$(curl_ca /1.0/health)"
expect_eq "GET /version has a version" "string" "$(curl_ca /version | jq -r '.version|type')"
roots=$(curl_ca /roots)
expect_eq "GET /roots status 201" 201 "$(cat "$WORK/status")"
expect_eq "GET /roots is the root" "$(openssl x509 -in "$STRIDEPATH/certs/root_ca.crt")" \
	"$(echo "$roots" | jq -r '.crts[0]' | openssl x509)"
expect_eq "GET /roots keys" '["crts"]' "$(echo "$roots" | jq -c keys_unsorted)"
expect_eq "GET /roots.pem" "$(cat "$STRIDEPATH/certs/root_ca.crt")" "$(curl_ca /roots.pem)"
expect_eq "GET /federation status 201" 201 "$(curl_ca /federation >/dev/null; cat "$WORK/status")"
expect_eq "GET /root/{fp}" "$(openssl x509 -in "$STRIDEPATH/certs/root_ca.crt")" \
	"$(curl_ca "/root/$FP" | jq -r .ca | openssl x509)"
expect_eq "GET /root/{FP upper}" 200 "$(curl_ca "/root/${FP^^}" >/dev/null; cat "$WORK/status")"
curl_ca "/root/$(printf '0%.0s' {1..64})" >/dev/null
expect_eq "GET /root/unknown is 404" 404 "$(cat "$WORK/status")"
expect_eq "GET /intermediates" "$(openssl x509 -in "$STRIDEPATH/certs/intermediate_ca.crt")" \
	"$(curl_ca /intermediates | jq -r '.crts[0]' | openssl x509)"
provs=$(curl_ca /provisioners)
expect_eq "GET /provisioners shape" '["provisioners","nextCursor"]' "$(echo "$provs" | jq -c keys_unsorted)"
expect_eq "GET /provisioners equals ca.json" \
	"$(jq -c .authority.provisioners "$STRIDEPATH/config/ca.json")" "$(echo "$provs" | jq -c .provisioners)"
expect_eq "GET /provisioners?limit=x is 400" 400 "$(curl_ca '/provisioners?limit=x' >/dev/null; cat "$WORK/status")"
expect_eq "limit error message" "The request could not be completed: limit 'x' is not an integer." \
	"$(jq -r .message "$WORK/body")"
KID=$(provisioner_kid)
expect_eq "GET /provisioners/{kid}/encrypted-key" \
	"$(jq -r .authority.provisioners[0].encryptedKey "$STRIDEPATH/config/ca.json")" \
	"$(curl_ca "/provisioners/$KID/encrypted-key" | jq -r .key)"
expect_eq "unknown kid is 404" 404 "$(curl_ca /provisioners/nope/encrypted-key >/dev/null; cat "$WORK/status")"
expect_eq "unknown path is 404 text" "404 page not found" "$(curl_ca /nope)"
expect_eq "wrong method is 405" 405 "$(curl_ca -X POST /health >/dev/null; cat "$WORK/status")"

# --- the CLI as a client -------------------------------------------------------
CLIENT="$WORK/client"
check "bootstrap" env STRIDEPATH="$CLIENT" "$STRIDE_BIN" ca bootstrap --ca-url "$CA_URL" --fingerprint "$FP"
expect_eq "bootstrap wrote the root" "$FP" \
	"$(openssl x509 -in "$CLIENT/certs/root_ca.crt" -outform DER | sha256sum | cut -d' ' -f1)"
expect_eq "bootstrap defaults.json" "$CA_URL $FP $CLIENT/certs/root_ca.crt" \
	"$(jq -r '"\(."ca-url") \(.fingerprint) \(.root)"' "$CLIENT/config/defaults.json")"
check_fails "bootstrap with a wrong fingerprint" env STRIDEPATH="$WORK/client2" "$STRIDE_BIN" ca bootstrap \
	--ca-url "$CA_URL" --fingerprint "$(printf 'a%.0s' {1..64})"
expect_contains "unknown fingerprint message" "The requested resource could not be found" "$(cat "$WORK/last.err")"

export STRIDEPATH="$CLIENT"
check "ca health" "$STRIDE_BIN" ca health
expect_eq "ca health prints ok" "ok" "$(cat "$WORK/last.out")"
check "ca roots" "$STRIDE_BIN" ca roots
expect_contains "ca roots prints PEM" "BEGIN CERTIFICATE" "$(cat "$WORK/last.out")"
check "ca root to a file" "$STRIDE_BIN" ca root "$WORK/root-dl.crt" --fingerprint "$FP"
expect_eq "ca root file" "$(cat "$CLIENT/certs/root_ca.crt")" "$(cat "$WORK/root-dl.crt")"
check "ca provisioner list" "$STRIDE_BIN" ca provisioner list
expect_eq "provisioner list names" "$PROVISIONER" "$(jq -r '.[0].name' "$WORK/last.out")"

check "ca token" "$STRIDE_BIN" ca token foo.example.com --provisioner-password-file "$WORK/prov-password"
TOKEN=$(cat "$WORK/last.out")
payload=$(jwt_payload "$TOKEN")
expect_eq "token aud" "$CA_URL/1.0/sign" "$(echo "$payload" | jq -r .aud)"
expect_eq "token sans" '["foo.example.com"]' "$(echo "$payload" | jq -c .sans)"
expect_eq "token sha" "$FP" "$(echo "$payload" | jq -r .sha)"
expect_eq "token iss" "$PROVISIONER" "$(echo "$payload" | jq -r .iss)"
expect_eq "token lifetime" 300 "$(echo "$payload" | jq '.exp - .nbf')"
expect_eq "token jti" 64 "$(echo "$payload" | jq -r '.jti|length')"

check "ca certificate with --token" "$STRIDE_BIN" ca certificate foo.example.com "$WORK/foo.crt" "$WORK/foo.key" --token "$TOKEN"
expect_eq "key file 0600" 600 "$(stat -c %a "$WORK/foo.key")"
expect_eq "crt file has leaf + intermediate" 2 "$(grep -c 'BEGIN CERTIFICATE' "$WORK/foo.crt")"
check "openssl verify of the chain" openssl verify -CAfile "$STRIDEPATH/certs/root_ca.crt" \
	-untrusted "$WORK/foo.crt" "$WORK/foo.crt"
text=$(openssl x509 -in "$WORK/foo.crt" -noout -text)
expect_contains "leaf SAN" "DNS:foo.example.com" "$text"
expect_contains "leaf subject" "CN = foo.example.com" "$text"
expect_contains "leaf EKU" "TLS Web Server Authentication, TLS Web Client Authentication" "$text"
expect_contains "leaf key usage critical" "X509v3 Key Usage: critical" "$text"
expect_contains "provisioner extension" "1.3.6.1.4.1.37476.9000.64.1" "$text"
expect_contains "SKI" "Subject Key Identifier" "$text"
nb=$(date -d "$(openssl x509 -in "$WORK/foo.crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$WORK/foo.crt" -noout -enddate | cut -d= -f2)" +%s)
expect_eq "validity is 24h plus the 1m backdate" 86460 "$((na - nb))"
check "key matches certificate" bash -c "[[ \$(openssl x509 -in '$WORK/foo.crt' -noout -pubkey) == \$(openssl pkey -in '$WORK/foo.key' -pubout) ]]"

check_fails "the same token twice is refused" "$STRIDE_BIN" ca certificate foo.example.com "$WORK/foo2.crt" "$WORK/foo2.key" --token "$TOKEN"
expect_contains "replay message" "lacked necessary authorization" "$(cat "$WORK/last.err")"

check "ca certificate generating the token, RSA key" "$STRIDE_BIN" ca certificate bar.example.com \
	"$WORK/bar.crt" "$WORK/bar.key" --san bar.example.com --san 10.0.0.7 --kty RSA --size 2048 \
	--provisioner-password-file "$WORK/prov-password"
text=$(openssl x509 -in "$WORK/bar.crt" -noout -text)
expect_contains "RSA leaf SANs" "DNS:bar.example.com, IP Address:10.0.0.7" "$text"
expect_contains "RSA key usage" "Digital Signature, Key Encipherment" "$text"

check "ca certificate with --not-after 1h" "$STRIDE_BIN" ca certificate short.example.com \
	"$WORK/short.crt" "$WORK/short.key" --not-after 1h --kty OKP \
	--provisioner-password-file "$WORK/prov-password"
nb=$(date -d "$(openssl x509 -in "$WORK/short.crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$WORK/short.crt" -noout -enddate | cut -d= -f2)" +%s)
expect_eq "--not-after 1h gives 1h1m" 3660 "$((na - nb))"

new_csr csr1 csr.example.com -addext "subjectAltName=DNS:csr.example.com,DNS:www.csr.example.com"
check "ca sign" "$STRIDE_BIN" ca sign "$WORK/csr1.csr" "$WORK/csr1.crt" --provisioner-password-file "$WORK/prov-password"
expect_contains "ca sign SANs" "DNS:csr.example.com, DNS:www.csr.example.com" \
	"$(openssl x509 -in "$WORK/csr1.crt" -noout -ext subjectAltName)"

check_fails "ca certificate refuses to overwrite without a terminal" "$STRIDE_BIN" ca certificate \
	foo.example.com "$WORK/foo.crt" "$WORK/foo.key" --provisioner-password-file "$WORK/prov-password"
check "ca certificate -f overwrites" "$STRIDE_BIN" ca certificate foo.example.com "$WORK/foo.crt" \
	"$WORK/foo.key" -f --provisioner-password-file "$WORK/prov-password"

finish
