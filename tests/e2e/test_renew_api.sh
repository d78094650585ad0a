#!/usr/bin/env bash
# POST /renew, /rekey and /revoke at the HTTP level (step-ca's answers and renew tokens),
# driven with curl and openssl; the CLI commands have their own tests.
source "$(dirname "$0")/lib.sh"

GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
init_ca_in_past
check "stride-ca starts" start_ca
cd "$WORK" || exit 1
ROOT="$STRIDEPATH/certs/root_ca.crt"

post() { # PATH [curl args...]: prints "<status> <message or body>"
	local path=$1
	shift
	curl -s -o out.json -w '%{http_code}' --cacert "$ROOT" -X POST "$@" "$CA_URL$path" >status
	echo "$(cat status) $(jq -r '.message // empty' out.json 2>/dev/null)"
}
serial_of() { openssl x509 -noout -serial -in "$1" | cut -d= -f2; }
dec_serial() { echo "ibase=16; $(serial_of "$1")" | BC_LINE_LENGTH=0 bc; }
seconds() { date -d "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }

# --- renew over mTLS -----------------------------------------------------------------
check "a certificate" cert a --san a.example.com --san 10.9.8.7 --not-after 2h
before=$(date +%s)
expect_eq "renew over mTLS" "201 " "$(post /renew --cert a.crt --key a.key)"
after=$(date +%s)
jq -r .crt out.json >a2.crt
expect_eq "same subject" "$(openssl x509 -noout -subject -in a.crt)" "$(openssl x509 -noout -subject -in a2.crt)"
expect_eq "same SANs" "$(openssl x509 -noout -ext subjectAltName -in a.crt)" "$(openssl x509 -noout -ext subjectAltName -in a2.crt)"
expect_eq "same key" "$(openssl x509 -noout -pubkey -in a.crt)" "$(openssl x509 -noout -pubkey -in a2.crt)"
expect_eq "same extensions" "$(openssl x509 -noout -ext keyUsage,extendedKeyUsage,subjectKeyIdentifier,1.3.6.1.4.1.37476.9000.64.1 -in a.crt 2>&1)" \
	"$(openssl x509 -noout -ext keyUsage,extendedKeyUsage,subjectKeyIdentifier,1.3.6.1.4.1.37476.9000.64.1 -in a2.crt 2>&1)"
[[ $(serial_of a.crt) != $(serial_of a2.crt) ]] && pass "new serial" || fail "same serial"
expect_eq "same validity length (2h1m)" 7260 "$(($(seconds a2.crt enddate) - $(seconds a2.crt startdate)))"
# The server's clock read lies between before and after (whole seconds, same clock).
nb=$(seconds a2.crt startdate)
((nb >= before - 60 && nb <= after - 60)) && pass "notBefore = now - 1m" ||
	fail "notBefore $nb not within [$((before - 60)), $((after - 60))]"
check "renewed certificate verifies" openssl verify -CAfile "$ROOT" -untrusted "$STRIDEPATH/certs/intermediate_ca.crt" a2.crt
expect_eq "/1.0/renew and /re-sign work too" "201 201 " \
	"$(post /1.0/renew --cert a.crt --key a.key | cut -c1-3) $(post /re-sign --cert a.crt --key a.key)"
expect_eq "renew without a certificate" "400 The request could not be completed: missing client certificate." "$(post /renew)"

# --- renew with a token (x5cInsecure) ---------------------------------------------------
check "renew token" "$STRIDE_BIN" ca token a.example.com --renew --x5c-cert a.crt --x5c-key a.key
tok=$(cat "$WORK/last.out")
expect_eq "renew with a Bearer token" "201 " "$(post /renew -H "Authorization: Bearer $tok")"
expect_eq "the renew token is single-use" "401 $GENERIC_401" "$(post /renew -H "Authorization: Bearer $tok")"
check "a second certificate" cert b
check "renew token signed by another key" "$STRIDE_BIN" ca token a.example.com --renew --x5c-cert a.crt --x5c-key a.key
payload=$(cut -d. -f1-2 "$WORK/last.out")
bad="$payload.$(cut -d. -f3 "$WORK/last.out" | rev)"
expect_eq "a renew token with a bad signature" "401 error validating renew token" "$(post /renew -H "Authorization: Bearer $bad")"
expect_eq "garbage bearer" "401 error validating renew token" "$(post /renew -H "Authorization: Bearer x.y.z")"

# --- rekey ---------------------------------------------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout k2.key -out k2.csr -subj "/" 2>/dev/null
expect_eq "rekey over mTLS" "201 " "$(post /rekey --cert a.crt --key a.key --data-binary "$(jq -n --rawfile csr k2.csr '{csr: $csr}')")"
jq -r .crt out.json >a3.crt
expect_eq "rekey: the CSR's key" "$(openssl pkey -in k2.key -pubout)" "$(openssl x509 -noout -pubkey -in a3.crt)"
expect_eq "rekey: same subject and SANs" "$(openssl x509 -noout -subject -ext subjectAltName -in a.crt)" \
	"$(openssl x509 -noout -subject -ext subjectAltName -in a3.crt)"
[[ $(openssl x509 -noout -ext subjectKeyIdentifier -in a.crt) != $(openssl x509 -noout -ext subjectKeyIdentifier -in a3.crt) ]] &&
	pass "rekey: new SKI" || fail "rekey kept the SKI"
expect_eq "rekey without a certificate" "400 The request could not be completed: missing client certificate." \
	"$(post /rekey --data-binary "$(jq -n --rawfile csr k2.csr '{csr: $csr}')")"
expect_eq "rekey without a CSR" "400 The request could not be completed: missing csr." "$(post /rekey --cert a.crt --key a.key -d '{}')"
expect_eq "rekey with a bad body" "400 The request could not be completed: error decoding json." "$(post /rekey --cert a.crt --key a.key -d '{')"

# --- revoke ----------------------------------------------------------------------------
check "c certificate" cert c
check "c renewed over mTLS" bash -c "curl -sf --cacert '$ROOT' --cert c.crt --key c.key -X POST '$CA_URL/renew' | jq -r .crt > c2.crt"
C=$(dec_serial c.crt)
check "revoke token" "$STRIDE_BIN" ca token "$C" --revoke --provisioner-password-file "$WORK/prov-password"
rtok=$(cat "$WORK/last.out")
body() { jq -nc --arg s "$1" --arg o "$2" --argjson p "${3:-true}" --argjson r "${4:-1}" \
	'{serial: $s, ott: $o, reasonCode: $r, reason: "key compromise", passive: $p}'; }
expect_eq "revoke: passive must be true" "501 The requested method is not implemented by the certificate authority. Please see the certificate authority logs for more info." \
	"$(post /revoke -d "$(body "$C" "$rtok" false)")"
expect_eq "revoke: reasonCode out of bounds" "400 The request could not be completed: reasonCode out of bounds." \
	"$(post /revoke -d "$(body "$C" "$rtok" true 11)")"
expect_eq "revoke: bad serial" "400 The request could not be completed: 'zz' is not a valid serial number - use a base 10 representation or a base 16 representation with '0x' prefix." \
	"$(post /revoke -d "$(body zz "$rtok")")"
expect_eq "revoke: missing serial" "400 The request could not be completed: missing serial." "$(post /revoke -d '{"passive":true}')"
expect_eq "revoke: neither token nor certificate" "400 The request could not be completed: missing ott or client certificate." \
	"$(post /revoke -d "$(body "$C" "")")"
expect_eq "revoke: mTLS certificate of another serial" \
	"403 The request was forbidden by the certificate authority: request serial number \"$C\" and certificate serial number \"$(dec_serial b.crt)\" do not match." \
	"$(post /revoke --cert b.crt --key b.key -d "$(body "$C" "")")"
expect_eq "revoke by token (hex serial)" "200 " "$(post /revoke -d "$(body "0x$(serial_of c.crt)" "$rtok")")"
expect_eq "revoke body" '{"status":"ok"}' "$(jq -c . out.json)"
check "another revoke token" "$STRIDE_BIN" ca token "$C" --revoke --provisioner-password-file "$WORK/prov-password"
expect_eq "revoking twice" "400 The request could not be completed: certificate with serial number '$C' is already revoked." \
	"$(post /revoke -d "$(body "$C" "$(cat "$WORK/last.out")")")"
expect_eq "renew of a revoked certificate" "401 $GENERIC_401" "$(post /renew --cert c.crt --key c.key)"
expect_eq "rekey of a revoked certificate" "401 $GENERIC_401" \
	"$(post /rekey --cert c.crt --key c.key --data-binary "$(jq -n --rawfile csr k2.csr '{csr: $csr}')")"
expect_eq "renew of a certificate renewed from a revoked one" "401 $GENERIC_401" "$(post /renew --cert c2.crt --key c.key)"
B=$(dec_serial b.crt)
expect_eq "revoke over mTLS" "200 " "$(post /revoke --cert b.crt --key b.key -d "$(body "$B" "")")"
expect_eq "b is refused afterwards" "401 $GENERIC_401" "$(post /renew --cert b.crt --key b.key)"
stop_ca
expect_eq "revocations in the store (c, its renewal, b)" 3 "$(db_sql 'select count(*) from revoked_x509_certs')"
expect_eq "the mTLS revocation is marked" 1 "$(db_sql "select $(db_int mtls) from revoked_x509_certs where serial = '$B'")"

# --- expiry and provisioner claims --------------------------------------------------------
if command -v faketime >/dev/null; then
	# A certificate issued "two days ago" for 24h has expired.
	check "an expired certificate (issued offline in the past)" $FAKETIME -f '-2d' "$STRIDE_BIN" ca certificate \
		old.example.com old.crt old.key --offline --password-file "$WORK/password" \
		--provisioner-password-file "$WORK/prov-password"
	check "start again" start_ca
	check_fails "mTLS with an expired certificate fails in the handshake" curl -sf --cacert "$ROOT" \
		--cert old.crt --key old.key -X POST "$CA_URL/renew"
	check "renew token for the expired certificate" "$STRIDE_BIN" ca token old.example.com --renew \
		--x5c-cert old.crt --x5c-key old.key
	expect_contains "expired: refused over the token flow" "401 The request lacked necessary authorization to be completed: certificate expired on" \
		"$(post /renew -H "Authorization: Bearer $(cat "$WORK/last.out")")"
	stop_ca
	edit_ca_json '.authority.provisioners[0].claims = {"allowRenewalAfterExpiry": true}'
	check "start with allowRenewalAfterExpiry" start_ca
	check "another renew token" "$STRIDE_BIN" ca token old.example.com --renew --x5c-cert old.crt --x5c-key old.key
	expect_eq "expired: accepted with allowRenewalAfterExpiry" "201 " \
		"$(post /renew -H "Authorization: Bearer $(cat "$WORK/last.out")")"
	jq -r .crt out.json >old2.crt
	((($(seconds old2.crt enddate)) > $(date +%s) + 86000)) && pass "the renewal is valid for another 24h" || fail "renewal validity"
	stop_ca
else
	fail "faketime is missing: install faketime"
fi
edit_ca_json '.authority.provisioners[0].claims = {"disableRenewal": true}'
check "start with disableRenewal" start_ca
check "d certificate" cert d
expect_eq "disableRenewal refuses renew" "401 $GENERIC_401" "$(post /renew --cert d.crt --key d.key)"
finish
