#!/usr/bin/env bash
# stride-ca starts from a tree written by step's own `ca init` (step-ca 0.19 code, see
# tests/data/stepca/README.md), and stride's CLI gets certificates from it.
source "$(dirname "$0")/lib.sh"

TREE="$WORK/tree"
cp -r "$STRIDE_SRC/tests/data/stepca/tree" "$TREE"
PORT=$(free_port)
CA_URL="https://localhost:$PORT"
sed -i "s|@TREE@|$TREE|g; s|@PORT@|$PORT|g" "$TREE"/config/*.json
cp "$TREE/password.txt" "$WORK/password"
cp "$TREE/password.txt" "$WORK/prov-password"
export STRIDEPATH="$TREE"
FP=$(cat "$TREE/root_fingerprint.txt")

check_fails "step's badgerv2 database is refused" "$STRIDE_CA_BIN" --password-file "$WORK/password" \
	"$TREE/config/ca.json"
expect_contains "the error says what to write instead" \
	"unsupported database type 'badgerv2': supported types are sqlite and postgresql; in ca.json use \"db\": {\"type\": \"sqlite\", \"dataSource\": \"$TREE/db\"} (an existing directory holds the database file stride.db; the data of step's database is not carried over)" \
	"$(cat "$WORK/last.err")"

# Exactly what the message says: step's db directory (made by step-ca's first start) now holds
# stride.db.
mkdir -p "$TREE/db"
edit_ca_json ".db = {\"type\": \"sqlite\", \"dataSource\": \"$TREE/db\"}"
check "stride-ca starts from step's tree" start_ca
check "its database is db/stride.db" test -s "$TREE/db/stride.db"
expect_eq "the root it serves is step's root" "$FP" \
	"$(curl_ca "/root/$FP" | jq -r .ca | openssl x509 -outform DER | sha256sum | cut -d' ' -f1)"

CLIENT="$WORK/client"
check "bootstrap" env STRIDEPATH="$CLIENT" "$STRIDE_BIN" ca bootstrap --ca-url "$CA_URL" --fingerprint "$FP"
check "certificate with step's provisioner key" env STRIDEPATH="$CLIENT" "$STRIDE_BIN" ca certificate \
	step.example.com "$WORK/step.crt" "$WORK/step.key" --provisioner-password-file "$WORK/prov-password"
check "the chain verifies against step's root" openssl verify -CAfile "$TREE/certs/root_ca.crt" \
	-untrusted "$WORK/step.crt" "$WORK/step.crt"
stop_ca

check "offline certificate from step's tree" "$STRIDE_BIN" ca certificate offline.example.com \
	"$WORK/off.crt" "$WORK/off.key" --offline --password-file "$WORK/password" \
	--provisioner-password-file "$WORK/prov-password"
check "offline chain verifies" openssl verify -CAfile "$TREE/certs/root_ca.crt" \
	-untrusted "$WORK/off.crt" "$WORK/off.crt"
finish
