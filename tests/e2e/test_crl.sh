#!/usr/bin/env bash
# The CRL (ca.json "crl", http-api.md §3.11): GET /crl and /1.0/crl in DER and PEM, signed by the
# intermediate with a critical issuing distribution point; `openssl verify -crl_check` says
# good, then revoked after `stride ca revoke` (generateOnRevoke, before the answer); the CRL
# number grows and survives a restart; the plain-HTTP insecureAddress serves /crl and 404s the
# rest; a disabled CRL is 404; without "db" the CA refuses to start.
source "$(dirname "$0")/lib.sh"

NOT_FOUND='{"status":404,"message":"The certificate authority received an unexpected HTTP status code - '"'"'404'"'"'. Please see the certificate authority logs for more info."}'
ROOT="$STRIDEPATH/certs/root_ca.crt"
INTER="$STRIDEPATH/certs/intermediate_ca.crt"
PPW=(--provisioner-password-file "$WORK/prov-password")
export LC_ALL=C

check "ca init" init_ca
cd "$WORK" || exit 1
cat "$INTER" "$ROOT" >chain.pem
dec_serial() { echo "ibase=16; $(openssl x509 -noout -serial -in "$1" | cut -d= -f2)" | BC_LINE_LENGTH=0 bc; }
crl_number() { echo $((16#$(openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2 | sed "s/^0x//"))); }

# --- disabled: 404 with step-ca's message -----------------------------------------------------------
check "stride-ca starts (no crl)" start_ca
expect_eq "GET /crl while disabled" "$NOT_FOUND" "$(curl_ca /crl)"
expect_eq "status 404" "404" "$(cat "$WORK/status")"
check "a certificate without a CRL" cert z
expect_eq "no CRL distribution point while disabled" "" \
	"$(openssl x509 -in z.crt -noout -text | grep -c 'CRL Distribution' | grep -v '^0$')"
stop_ca

# --- enabled ---------------------------------------------------------------------------------------
HTTP_PORT=$(free_port)
edit_ca_json --arg ia "127.0.0.1:$HTTP_PORT" \
	'.insecureAddress = $ia | .crl = {enabled: true, generateOnRevoke: true, cacheDuration: "2h", idpURL: ("http://" + $ia + "/crl"), distributionPoint: true}'
check "stride-ca starts (crl enabled)" start_ca
curl -s -D headers -o crl0.der --cacert "$ROOT" "$CA_URL/crl" >/dev/null
expect_eq "DER content type" "application/pkix-crl" "$(grep -i '^content-type:' headers | cut -d' ' -f2 | tr -d '\r')"
expect_eq "DER file name" 'attachment; filename="crl.crl"' "$(grep -i '^content-disposition:' headers | cut -d' ' -f2- | tr -d '\r')"
NEXT=$(openssl crl -inform DER -in crl0.der -noout -nextupdate | cut -d= -f2)
expect_eq "Expires is nextUpdate (RFC 1123, UTC)" "$(date -u -d "$NEXT" '+%a, %d %b %Y %H:%M:%S UTC')" \
	"$(grep -i '^expires:' headers | cut -d' ' -f2- | tr -d '\r')"
check "the CRL verifies with the intermediate" openssl crl -inform DER -in crl0.der -CAfile chain.pem -verify -noout
openssl crl -inform DER -in crl0.der -noout -text >crl0.txt
expect_contains "version 2" "Version 2 (0x1)" "$(cat crl0.txt)"
expect_contains "issuer is the intermediate" "Issuer: $(openssl x509 -in "$INTER" -noout -subject -nameopt oneline | sed 's/^subject= *//')" "$(cat crl0.txt)"
expect_contains "AKI = the intermediate's SKI" "$(openssl x509 -in "$INTER" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ')" "$(tr -d ' ' <crl0.txt)"
expect_contains "critical IDP with the idpURL" "X509v3 Issuing Distribution Point: critical
                Full Name:
                  URI:http://127.0.0.1:$HTTP_PORT/crl" "$(cat crl0.txt)"
expect_contains "no revoked certificates yet" "No Revoked Certificates." "$(cat crl0.txt)"
expect_eq "validity: cacheDuration (2h)" "7200" \
	"$(($(date -d "$NEXT" +%s) - $(date -d "$(openssl crl -inform DER -in crl0.der -noout -lastupdate | cut -d= -f2)" +%s)))"
N0=$(crl_number crl0.der)

check "a certificate" cert a
check "another certificate" cert b
expect_contains "the leaf carries the CRL distribution point" "X509v3 CRL Distribution Points:" \
	"$(openssl x509 -in a.crt -noout -text)"
expect_contains "... with the CRL's URL" "URI:http://127.0.0.1:$HTTP_PORT/crl" "$(openssl x509 -in a.crt -noout -ext crlDistributionPoints)"
curl -s -o crl1.der --cacert "$ROOT" "$CA_URL/1.0/crl"
openssl crl -inform DER -in crl1.der -out crl1.pem
check "verify -crl_check: good" openssl verify -crl_check -CAfile chain.pem -CRLfile crl1.pem a.crt

check "stride ca revoke a (keyCompromise)" "$STRIDE_BIN" ca revoke "$(dec_serial a.crt)" "${PPW[@]}" --reasonCode 1
curl -s -o crl2.der --cacert "$ROOT" "$CA_URL/crl"
N2=$(crl_number crl2.der)
openssl crl -inform DER -in crl2.der -out crl2.pem
check_fails "verify -crl_check after the revocation" openssl verify -crl_check -CAfile chain.pem -CRLfile crl2.pem a.crt
expect_contains "revoked" "certificate revoked" "$(cat "$WORK/last.out" "$WORK/last.err")"
check "b is still good" openssl verify -crl_check -CAfile chain.pem -CRLfile crl2.pem b.crt
openssl crl -inform DER -in crl2.der -noout -text >crl2.txt
expect_contains "the serial is listed" "Serial Number: $(openssl x509 -in a.crt -noout -serial | cut -d= -f2)" "$(cat crl2.txt)"
expect_contains "with its reason" "Key Compromise" "$(cat crl2.txt)"
((N2 > N0)) && pass "the CRL number grew ($N0 -> $N2)" || fail "the CRL number did not grow ($N0 -> $N2)"

# --- PEM ---------------------------------------------------------------------------------------
curl -s -D pemheaders -o crl.pem --cacert "$ROOT" "$CA_URL/crl?pem"
expect_eq "PEM content type" "application/x-pem-file" "$(grep -i '^content-type:' pemheaders | cut -d' ' -f2 | tr -d '\r')"
expect_eq "PEM file name" 'attachment; filename="crl.pem"' "$(grep -i '^content-disposition:' pemheaders | cut -d' ' -f2- | tr -d '\r')"
expect_eq "PEM is the DER" "$(openssl crl -in crl2.pem -outform DER | sha256sum)" "$(openssl crl -in crl.pem -outform DER | sha256sum)"
expect_eq "PEM block" "-----BEGIN X509 CRL-----" "$(head -n 1 crl.pem)"

# --- the plain-HTTP listener -----------------------------------------------------------------------
HTTP="http://127.0.0.1:$HTTP_PORT"
expect_eq "plain HTTP /crl: 200" "200" "$(curl -s -o plain.der -w '%{http_code}' "$HTTP/crl")"
expect_eq "plain HTTP serves the same CRL" "$(sha256sum <crl2.der)" "$(sha256sum <plain.der)"
expect_eq "plain HTTP /1.0/crl?pem" "-----BEGIN X509 CRL-----" "$(curl -s "$HTTP/1.0/crl?pem" | head -n 1)"
expect_eq "plain HTTP HEAD /crl" "200" "$(curl -s -I -o /dev/null -w '%{http_code}' "$HTTP/crl")"
expect_eq "plain HTTP /sign: 404" "404|404 page not found" \
	"$(curl -s -o plain.out -w '%{http_code}' -X POST -d '{}' "$HTTP/sign")|$(cat plain.out)"
expect_eq "plain HTTP /roots: 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' "$HTTP/roots")"
expect_eq "no TLS on the plain listener" "000" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ROOT" "https://127.0.0.1:$HTTP_PORT/crl")"

# --- SIGHUP: cacheDuration and distributionPoint apply at once; enabled needs a restart -------------
edit_ca_json '.crl.cacheDuration = "3h" | .crl.distributionPoint = false'
check "SIGHUP (crl.cacheDuration 3h, distributionPoint off)" reload_ca
curl -s -o crl4.der --cacert "$ROOT" "$CA_URL/crl"
expect_eq "after SIGHUP: validity is the new cacheDuration (3h)" "10800" \
	"$(($(date -d "$(openssl crl -inform DER -in crl4.der -noout -nextupdate | cut -d= -f2)" +%s) - $(date -d "$(openssl crl -inform DER -in crl4.der -noout -lastupdate | cut -d= -f2)" +%s)))"
N4=$(crl_number crl4.der)
((N4 > N2)) && pass "generated at once, with a higher number ($N2 -> $N4)" || fail "the CRL number went from $N2 to $N4 across the SIGHUP"
check "a certificate after SIGHUP" cert d
expect_eq "distributionPoint off: no CRL distribution point in new leaves" "0" \
	"$(openssl x509 -in d.crt -noout -text | grep -c 'CRL Distribution')"
edit_ca_json '.crl.enabled = false'
check "SIGHUP (crl.enabled false)" reload_ca
expect_contains "the log names crl.enabled as needing a restart" \
	'"msg":"reload: changes that need a restart were not applied","file":"'"$STRIDEPATH/config/ca.json"'","fields":"crl.enabled"' \
	"$(grep 'need a restart' "$WORK/ca.log" | tail -n 1)"
expect_eq "the CRL is still served" "200" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ROOT" "$CA_URL/crl")"
edit_ca_json '.crl.enabled = true | .crl.cacheDuration = "2h" | .crl.distributionPoint = true'
check "SIGHUP (back)" reload_ca

# --- the number survives a restart -------------------------------------------------------------------
stop_ca
check "stride-ca restarts" start_ca
curl -s -o crl3.der --cacert "$ROOT" "$CA_URL/crl"
N3=$(crl_number crl3.der)
((N3 > N2)) && pass "the CRL number grew across the restart ($N2 -> $N3)" || fail "the CRL number went from $N2 to $N3 across the restart"
expect_contains "the revocation is still listed" "Serial Number: $(openssl x509 -in a.crt -noout -serial | cut -d= -f2)" \
	"$(openssl crl -inform DER -in crl3.der -noout -text)"

# --- PostgreSQL: a revocation at one instance is in the CRL another serves ---------------------------
if [[ $STRIDE_TEST_DB == postgresql ]]; then
	P2=$(free_port)
	jq --tab --arg a "127.0.0.1:$P2" '.address = $a | del(.insecureAddress)' \
		"$STRIDEPATH/config/ca.json" >"$STRIDEPATH/config/ca-2.json"
	"$STRIDE_CA_BIN" --password-file "$WORK/password" "$STRIDEPATH/config/ca-2.json" >>"$WORK/ca-2.log" 2>&1 &
	PID2=$!
	for _ in $(seq 1 100); do
		curl -s --cacert "$ROOT" "https://127.0.0.1:$P2/health" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -s -o b0.der --cacert "$ROOT" "https://127.0.0.1:$P2/crl"
	NB0=$(crl_number b0.der)
	check "stride ca revoke b at the first instance" "$STRIDE_BIN" ca revoke "$(dec_serial b.crt)" "${PPW[@]}"
	# the second instance reads the stored CRL every second: wait for it (bounded)
	for _ in $(seq 1 50); do
		curl -s -o b1.der --cacert "$ROOT" "https://127.0.0.1:$P2/crl"
		openssl crl -inform DER -in b1.der -noout -text | grep -q "Serial Number: $(openssl x509 -in b.crt -noout -serial | cut -d= -f2)" && break
		sleep 0.2
	done
	expect_contains "the second instance's CRL lists b" "Serial Number: $(openssl x509 -in b.crt -noout -serial | cut -d= -f2)" \
		"$(openssl crl -inform DER -in b1.der -noout -text)"
	NB1=$(crl_number b1.der)
	((NB1 > NB0)) && pass "with a higher number ($NB0 -> $NB1)" || fail "the number went from $NB0 to $NB1"
	openssl crl -inform DER -in b1.der -out b1.pem
	check_fails "verify -crl_check of b with the second instance's CRL" openssl verify -crl_check -CAfile chain.pem -CRLfile b1.pem b.crt
	kill -TERM "$PID2"
	wait "$PID2"
	expect_eq "the second instance exits cleanly" "0" "$?"
fi
stop_ca

# --- ca.json writers keep the crl object ----------------------------------------------------------
CRL_BEFORE=$(jq -c .crl "$STRIDEPATH/config/ca.json")
check "provisioner add" "$STRIDE_BIN" ca provisioner add x5c --type x5c --x5c-roots "$ROOT"
check "provisioner update" "$STRIDE_BIN" ca provisioner update x5c --x509-default-dur 2h
check "provisioner remove" "$STRIDE_BIN" ca provisioner remove x5c
expect_eq "the crl object is kept" "$CRL_BEFORE" "$(jq -c .crl "$STRIDEPATH/config/ca.json")"

# --- without "db": refused, as step-ca ---------------------------------------------------------------
edit_ca_json 'del(.db)'
check_fails "stride-ca without a database" timeout 20 "$STRIDE_CA_BIN" --password-file "$WORK/password" "$STRIDEPATH/config/ca.json"
expect_contains "step-ca's reason" "CRL Generation requested, but database does not support CRL generation" "$(cat "$WORK/last.err" "$WORK/last.out")"
finish
