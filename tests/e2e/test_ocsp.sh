#!/usr/bin/env bash
# The OCSP responder (ca.json "ocsp", RFC 6960) with `openssl ocsp`: good, then revoked after
# `stride ca revoke`, verified against the root through the delegated signing certificate; the
# nonce; an unknown serial and a foreign issuer; GET and POST; malformed requests; the AIA
# OCSP URL in issued certificates; the stapled answer of stride-ca's own certificate (curl
# --cert-status); the ocsp object kept by a ca.json writer.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
OCSP_URL="https://127.0.0.1:$PORT/ocsp"
HTTP_PORT=$(free_port)
edit_ca_json --arg url "$OCSP_URL" --arg ia "127.0.0.1:$HTTP_PORT" \
	'.ocsp = {enabled: true, url: $url, validity: "1h"} | .insecureAddress = $ia'
check "stride-ca starts" start_ca
cd "$WORK" || exit 1
ROOT="$STRIDEPATH/certs/root_ca.crt"
INTER="$STRIDEPATH/certs/intermediate_ca.crt"
PPW=(--provisioner-password-file "$WORK/prov-password")
dec_serial() { echo "ibase=16; $(openssl x509 -noout -serial -in "$1" | cut -d= -f2)" | BC_LINE_LENGTH=0 bc; }

# ocsp CERT [openssl ocsp flags...]: asks the CA about CERT (POST), verifying the answer
# against the root; the output (stdout and stderr) in $WORK/ocsp.out.
ocsp() {
	local crt=$1
	shift
	SSL_CERT_FILE=$ROOT timeout 20 openssl ocsp "$@" -issuer "$INTER" -cert "$crt" -url "${ASK_URL:-$OCSP_URL}" \
		-CAfile "$ROOT" -resp_text >"$WORK/ocsp.out" 2>&1
}
ocsp_status() { grep -m1 -E "^$1: " "$WORK/ocsp.out" | sed "s|^$1: ||"; }

# --- the AIA extension -------------------------------------------------------------------------
check "a certificate" cert a
check "b" cert b
expect_contains "AIA OCSP URL in the leaf" "OCSP - URI:$OCSP_URL" \
	"$(openssl x509 -noout -ext authorityInfoAccess -in a.crt)"

# --- good, with a nonce, verified through the delegated signer ------------------------------------
check "openssl ocsp: good" ocsp a.crt
expect_eq "a.crt: good" "good" "$(ocsp_status a.crt)"
OUT=$(cat "$WORK/ocsp.out")
expect_contains "signature verified against the root" "Response verify OK" "$OUT"
expect_contains "nonce echoed (openssl checks it)" "OCSP Nonce:" "$OUT"
expect_contains "signed by the delegated responder" "Subject: CN=Stride Test Intermediate CA OCSP Responder" "$OUT"
expect_contains "responder: EKU OCSP Signing" "OCSP Signing" "$OUT"
expect_contains "responder: ocsp-nocheck" "OCSP No Check" "$OUT"
expect_contains "nextUpdate one hour after thisUpdate" "Next Update:" "$OUT"
THIS=$(grep -m1 "This Update:" "$WORK/ocsp.out" | sed 's/.*This Update: //')
NEXT=$(grep -m1 "Next Update:" "$WORK/ocsp.out" | sed 's/.*Next Update: //')
expect_eq "validity 1h" 3600 $(($(date -d "$NEXT" +%s) - $(date -d "$THIS" +%s)))

# --- GET (RFC 6960 A.1), without a nonce, and SHA-256 CertIDs --------------------------------------
check "openssl ocsp -no_nonce -sha256" ocsp a.crt -no_nonce -sha256
expect_eq "a.crt: good" "good" "$(ocsp_status a.crt)"
expect_contains "SHA-256 CertID echoed" "Hash Algorithm: sha256" "$(cat "$WORK/ocsp.out")"
expect_eq "no nonce asked, none sent" 0 "$(grep -c 'OCSP Nonce' "$WORK/ocsp.out")"
REQ=$(SSL_CERT_FILE=$ROOT timeout 20 openssl ocsp -issuer "$INTER" -cert a.crt -no_nonce -reqout /dev/stdout 2>/dev/null | base64 -w0)
ENC=$(printf '%s' "$REQ" | jq -sRr @uri)
check "GET <path>/<base64>" curl -sf --cacert "$ROOT" -o get.der "$OCSP_URL/$ENC"
check "GET answer parses" openssl ocsp -respin get.der -resp_text -noverify
expect_contains "GET: good" "Cert Status: good" "$(cat "$WORK/last.out")"

# --- revoked after stride ca revoke ------------------------------------------------------------
A=$(dec_serial a.crt)
check "stride ca revoke" "$STRIDE_BIN" ca revoke "$A" "${PPW[@]}" --reasonCode keyCompromise
check "openssl ocsp: after the revocation" ocsp a.crt
expect_eq "a.crt: revoked at once" "revoked" "$(ocsp_status a.crt)"
expect_contains "with its reason" "Reason: keyCompromise" "$(cat "$WORK/ocsp.out")"
expect_contains "and its time" "Revocation Time:" "$(cat "$WORK/ocsp.out")"
check "GET after the revocation (the cached good answer is not used)" \
	curl -sf --cacert "$ROOT" -o get2.der "$OCSP_URL/$ENC"
check "GET answer parses" openssl ocsp -respin get2.der -resp_text -noverify
expect_contains "GET: revoked" "Cert Status: revoked" "$(cat "$WORK/last.out")"

# --- over plain HTTP (insecureAddress): OCSP is served there, the rest is not -------------------
ASK_URL="http://127.0.0.1:$HTTP_PORT/ocsp" ocsp a.crt
expect_eq "plain HTTP: revoked" "revoked" "$(ocsp_status a.crt)"
expect_contains "plain HTTP: verified" "Response verify OK" "$(cat "$WORK/ocsp.out")"
expect_eq "plain HTTP: /sign is not served" 404 \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "http://127.0.0.1:$HTTP_PORT/sign")"

# --- unknown: a serial the CA never issued, and another CA's certificate ---------------------------------
check "openssl ocsp: a serial this CA never issued" timeout 20 openssl ocsp -issuer "$INTER" \
	-serial 12345 -url "$OCSP_URL" -CAfile "$ROOT" -resp_text
expect_contains "serial 12345: unknown" "Cert Status: unknown" "$(cat "$WORK/last.out")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
	-out other.crt -subj "/CN=Stride Test Intermediate CA" -days 1 2>/dev/null
check "openssl ocsp: b.crt's serial under another issuer (same name, other key)" timeout 20 \
	openssl ocsp -issuer other.crt -serial "$(dec_serial b.crt)" \
	-url "$OCSP_URL" -noverify -resp_text
expect_contains "another issuer's key hash: unknown" "Cert Status: unknown" "$(cat "$WORK/last.out")"

# --- several certificates in one request -------------------------------------------------------------
check "openssl ocsp: two certificates at once" ocsp a.crt -issuer "$INTER" -cert b.crt
expect_eq "a.crt revoked" "revoked" "$(ocsp_status a.crt)"
expect_eq "b.crt good" "good" "$(ocsp_status b.crt)"

# --- PostgreSQL: another instance on the same database sees a revocation at once ------------------
if [[ $STRIDE_TEST_DB == postgresql ]]; then
	P2=$(free_port)
	jq --tab --arg a "127.0.0.1:$P2" '.address = $a | del(.insecureAddress)' "$STRIDEPATH/config/ca.json" >"$WORK/ca-2.json"
	"$STRIDE_CA_BIN" --password-file "$WORK/password" "$WORK/ca-2.json" >>"$WORK/ca-2.log" 2>&1 &
	PID2=$!
	for _ in $(seq 1 100); do
		curl -s --cacert "$ROOT" "https://127.0.0.1:$P2/health" >/dev/null 2>&1 && break
		sleep 0.1
	done
	ocsp2() { ASK_URL="https://127.0.0.1:$P2/ocsp" ocsp "$@"; }
	check "c" cert c
	check "instance 2: c good (and cached)" ocsp2 c.crt -no_nonce
	expect_eq "instance 2: c.crt good" "good" "$(ocsp_status c.crt)"
	check "revoke c at instance 1" "$STRIDE_BIN" ca revoke "$(dec_serial c.crt)" "${PPW[@]}" --reasonCode superseded
	check "instance 2: c after the revocation" ocsp2 c.crt -no_nonce
	expect_eq "instance 2: c.crt revoked at once" "revoked" "$(ocsp_status c.crt)"
	expect_contains "reason superseded" "Reason: superseded" "$(cat "$WORK/ocsp.out")"
	kill -TERM "$PID2"
	wait "$PID2"
	expect_eq "instance 2 stops cleanly" 0 "$?"
fi

# --- malformed requests: an OCSP status with HTTP 200, never a 5xx --------------------------------
code=$(curl -s --cacert "$ROOT" -o bad.der -w '%{http_code}' -H 'Content-Type: application/ocsp-request' \
	--data-binary 'not DER' "$OCSP_URL")
expect_eq "garbage POST: HTTP 200" 200 "$code"
expect_contains "malformedRequest" "Responder Error: malformedrequest (1)" \
	"$(openssl ocsp -respin bad.der -resp_text -noverify 2>&1)"
code=$(curl -s --cacert "$ROOT" -o bad2.der -w '%{http_code}' "$OCSP_URL/%%%%")
expect_eq "bad GET escape: HTTP 200" 200 "$code"
expect_eq "bad GET: malformedRequest (30 03 0a 01 01)" "3003 0a01 01" "$(xxd -p bad2.der | sed 's/\(....\)\(....\)\(..\)/\1 \2 \3/')"
code=$(curl -s --cacert "$ROOT" -o /dev/null -w '%{http_code}' -X PUT "$OCSP_URL")
expect_eq "PUT: 405" 405 "$code"

# --- OCSP stapling of stride-ca's own TLS certificate ---------------------------------------------
check "curl --cert-status: the stapled answer verifies" timeout 20 curl -sf --cert-status \
	--cacert "$ROOT" "https://127.0.0.1:$PORT/health"
expect_eq "and the request goes through" '{"status":"ok"}' "$(cat "$WORK/last.out")"
STAPLE=$(echo | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -status -CAfile "$ROOT" 2>/dev/null)
expect_contains "s_client -status: a stapled answer" "OCSP Response Status: successful (0x0)" "$STAPLE"
expect_contains "for the server's certificate: good" "Cert Status: good" "$STAPLE"

# --- SIGHUP: validity and url apply at once; enabled needs a restart ------------------------------
check "openssl ocsp -no_nonce: b (cached)" ocsp b.crt -no_nonce
OCSP_URL2="https://127.0.0.1:$PORT/ocsp2"
edit_ca_json --arg url "$OCSP_URL2" '.ocsp.validity = "2h" | .ocsp.url = $url'
check "SIGHUP (ocsp.validity 2h, ocsp.url)" reload_ca
check "openssl ocsp -no_nonce: b after SIGHUP" ocsp b.crt -no_nonce
THIS=$(grep -m1 "This Update:" "$WORK/ocsp.out" | sed 's/.*This Update: //')
NEXT=$(grep -m1 "Next Update:" "$WORK/ocsp.out" | sed 's/.*Next Update: //')
expect_eq "after SIGHUP: validity 2h (the cached answer is dropped)" 7200 $(($(date -d "$NEXT" +%s) - $(date -d "$THIS" +%s)))
check "a certificate after SIGHUP" cert e
expect_contains "new leaves: the new AIA OCSP URL" "OCSP - URI:$OCSP_URL2" \
	"$(openssl x509 -noout -ext authorityInfoAccess -in e.crt)"
edit_ca_json '.ocsp.enabled = false'
check "SIGHUP (ocsp.enabled false)" reload_ca
expect_contains "the log names ocsp.enabled as needing a restart" \
	'"msg":"reload: changes that need a restart were not applied","file":"'"$STRIDEPATH/config/ca.json"'","fields":"ocsp.enabled"' \
	"$(grep 'need a restart' "$WORK/ca.log" | tail -n 1)"
check "OCSP is still served" ocsp b.crt -no_nonce
expect_eq "b.crt: good" "good" "$(ocsp_status b.crt)"
edit_ca_json --arg url "$OCSP_URL" '.ocsp.enabled = true | .ocsp.url = $url'
check "SIGHUP (back)" reload_ca

# --- a ca.json writer keeps the ocsp object -----------------------------------------------------
check "provisioner add" "$STRIDE_BIN" ca provisioner add extra --type ACME
expect_eq "ocsp kept" "true $OCSP_URL" "$(jq -r '"\(.ocsp.enabled) \(.ocsp.url)"' "$STRIDEPATH/config/ca.json")"

finish
