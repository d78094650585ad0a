#!/usr/bin/env bash
# --offline runs the same authority in-process: same rules, no server.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
CFG="$STRIDEPATH/config/ca.json"
check "offline token" "$STRIDE_BIN" ca token off.example.com --offline \
	--provisioner-password-file "$WORK/prov-password"
payload=$(jwt_payload "$(cat "$WORK/last.out")")
expect_eq "offline token audience uses dnsNames[0] without /1.0" "https://localhost/sign" \
	"$(echo "$payload" | jq -r .aud)"

check "offline certificate" "$STRIDE_BIN" ca certificate off.example.com "$WORK/off.crt" "$WORK/off.key" \
	--offline --password-file "$WORK/password" --provisioner-password-file "$WORK/prov-password"
check "offline certificate verifies" openssl verify -CAfile "$STRIDEPATH/certs/root_ca.crt" \
	-untrusted "$WORK/off.crt" "$WORK/off.crt"
expect_eq "offline certificate is in the store" 1 \
	"$(db_sql "select count(*) from x509_certs" )"

new_csr csr sign.example.com
check "offline sign" "$STRIDE_BIN" ca sign "$WORK/csr.csr" "$WORK/csr.crt" --offline \
	--password-file "$WORK/password" --provisioner-password-file "$WORK/prov-password"
expect_contains "offline sign SAN" "DNS:sign.example.com" "$(openssl x509 -in "$WORK/csr.crt" -noout -ext subjectAltName)"

check_fails "offline with --token is refused" "$STRIDE_BIN" ca certificate x.example.com "$WORK/x.crt" \
	"$WORK/x.key" --offline --token abc
expect_contains "offline/token message" "incompatible" "$(cat "$WORK/last.err")"
check_fails "offline with a wrong CA password" "$STRIDE_BIN" ca certificate y.example.com "$WORK/y.crt" \
	"$WORK/y.key" --offline --password-file "$WORK/prov-password" --provisioner-password-file "$WORK/prov-password"

# Offline mode while the server runs on the same store.
check "stride-ca starts" start_ca
check "offline certificate while the server runs" "$STRIDE_BIN" ca certificate both.example.com \
	"$WORK/both.crt" "$WORK/both.key" --offline --password-file "$WORK/password" \
	--provisioner-password-file "$WORK/prov-password"
check "online certificate" "$STRIDE_BIN" ca certificate online.example.com "$WORK/on.crt" "$WORK/on.key" \
	--provisioner-password-file "$WORK/prov-password"
expect_eq "store has all four certificates" 4 "$(db_sql "select count(*) from x509_certs")"
finish
