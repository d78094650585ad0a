#!/usr/bin/env bash
# stride ca revoke (as step ca revoke): by serial with a provisioner token or --token, over
# mTLS with --cert/--key, reason codes, serial formats, --offline; then renew and rekey are refused.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
check "stride-ca starts" start_ca
cd "$WORK" || exit 1
PPW=(--provisioner-password-file "$WORK/prov-password")

revoke() { "$STRIDE_BIN" ca revoke "$@"; }
hex_serial() { openssl x509 -noout -serial -in "$1" | cut -d= -f2; }
dec_serial() { echo "ibase=16; $(hex_serial "$1")" | BC_LINE_LENGTH=0 bc; }
revoked() { db_sql "select reason_code || '|' || coalesce(reason, '') || '|' || $(db_int mtls) from revoked_x509_certs where serial = '$1'"; }
lines() { tr '\n' '|' <"$WORK/last.err" | sed 's/|$//'; }

# --- by serial, with a token made with the provisioner ------------------------------------------
check "a certificate" cert a
A=$(dec_serial a.crt)
check "revoke <decimal serial>" revoke "$A" "${PPW[@]}" --reason "key leaked" --reasonCode "key compromise"
KID=$(provisioner_kid)
expect_eq "messages: provisioner, CA, result" \
	"✔ Provisioner: $PROVISIONER (JWK) [kid: $KID]|✔ CA: $CA_URL|Certificate with Serial Number $A has been revoked." \
	"$(lines)"
expect_eq "nothing on stdout" "" "$(cat "$WORK/last.out")"
expect_eq "recorded: reason code 1, the reason, token flow" "1|key leaked|0" "$(revoked "$A")"
check_fails "revoking twice" revoke "$A" "${PPW[@]}"
expect_contains "the CA's message" "certificate with serial number '$A' is already revoked" "$(cat "$WORK/last.err")"
expect_contains "with the hint" "Re-run with STRIDEDEBUG=1 for more info." "$(cat "$WORK/last.err")"

# --- refused afterwards: renew (mTLS and token flow) and rekey -------------------------------------
check_fails "renew of the revoked certificate" "$STRIDE_BIN" ca renew a.crt a.key --force
expect_contains "renew refused" "The request lacked necessary authorization" "$(cat "$WORK/last.err")"
check_fails "renew --mtls=false of the revoked certificate" "$STRIDE_BIN" ca renew a.crt a.key --force --mtls=false
expect_contains "token renew refused" "The request lacked necessary authorization" "$(cat "$WORK/last.err")"
check_fails "rekey of the revoked certificate" "$STRIDE_BIN" ca rekey a.crt a.key --force
expect_contains "rekey refused" "The request lacked necessary authorization" "$(cat "$WORK/last.err")"

# --- a serial in hex, and a certificate renewed before its parent was revoked ------------------
check "b" cert b
check "b renewed" "$STRIDE_BIN" ca renew b.crt b.key --out b2.crt
B=$(dec_serial b.crt)
check "revoke 0x<hex serial>" revoke "0x$(hex_serial b.crt)" "${PPW[@]}" --reasonCode 4
expect_contains "reported in decimal" "Certificate with Serial Number $B has been revoked." "$(cat "$WORK/last.err")"
expect_eq "stored in decimal, code 4" "4||0" "$(revoked "$B")"
check_fails "the renewal of a revoked certificate cannot be renewed" "$STRIDE_BIN" ca renew b2.crt b.key --force

# --- --token --------------------------------------------------------------------------------------
check "c" cert c
C=$(dec_serial c.crt)
check "a revoke token" "$STRIDE_BIN" ca token "$C" --revoke "${PPW[@]}"
TOK=$(cat "$WORK/last.out")
check "d" cert d
check_fails "--token for another serial" revoke "$(dec_serial d.crt)" --token "$TOK"
expect_eq "subject mismatch message" "token subject '$C' and serial number '$(dec_serial d.crt)' do not match" \
	"$(cat "$WORK/last.err")"
check "revoke --token without --ca-url or --root: the token names the CA" \
	env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca revoke "$C" --token "$TOK" --reasonCode superseded
expect_eq "--token messages" "✔ CA: $CA_URL|Certificate with Serial Number $C has been revoked." "$(lines)"
expect_eq "superseded = 4" "4||0" "$(revoked "$C")"
check_fails "--token with --offline" revoke "$C" --token "$TOK" --offline

# --- over mTLS with --cert/--key ----------------------------------------------------------------
D=$(dec_serial d.crt)
check_fails "--cert without --key" revoke --cert d.crt
expect_eq "--cert needs --key" "flag '--cert' requires the '--key' flag" "$(cat "$WORK/last.err")"
check_fails "--key without --cert" revoke --key d.key
expect_eq "--key needs --cert" "flag '--key' requires the '--cert' flag" "$(cat "$WORK/last.err")"
check_fails "--cert with --token" revoke --cert d.crt --key d.key --token "$TOK"
expect_eq "--cert/--token" "flag '--cert' is incompatible with '--token'" "$(cat "$WORK/last.err")"
check_fails "--cert with another serial" revoke 12345 --cert d.crt --key d.key
expect_contains "serial mismatch" "do not match" "$(cat "$WORK/last.err")"
check_fails "--cert with a key of another certificate" revoke --cert d.crt --key c.key
check "revoke over mTLS" revoke --cert d.crt --key d.key --reasonCode CessationOfOperation --reason retired
expect_eq "mTLS messages" "✔ CA: $CA_URL|Certificate with Serial Number $D has been revoked." "$(lines)"
expect_eq "recorded as mTLS, code 5" "5|retired|1" "$(revoked "$D")"
check_fails "renew after the mTLS revocation" "$STRIDE_BIN" ca renew d.crt d.key --force
check_fails "rekey after the mTLS revocation" "$STRIDE_BIN" ca rekey d.crt d.key --force
check_fails "revoke over mTLS with a revoked certificate" revoke --cert d.crt --key d.key

# --- reason codes and serial numbers --------------------------------------------------------------
check "e" cert e
E=$(dec_serial e.crt)
for bad in 11 -1; do
	check_fails "--reasonCode $bad" revoke "$E" --reasonCode "$bad" "${PPW[@]}"
	expect_eq "--reasonCode $bad message" "reasonCode out of bounds. Got $bad, but want value between 0 and 10" \
		"$(cat "$WORK/last.err")"
done
check_fails "--reasonCode nonsense" revoke "$E" --reasonCode "Bad Reason" "${PPW[@]}"
expect_eq "unrecognized message" "unrecognized revocation reason code 'Bad Reason'" "$(cat "$WORK/last.err")"
for bad in zz 0x 12a 1__2 0xg -; do
	check_fails "serial '$bad'" revoke "$bad" "${PPW[@]}"
	expect_eq "serial '$bad' message" \
		"'$bad' is not a valid serial number - use a base 10 representation or add a prefix indicating the base" \
		"$(cat "$WORK/last.err")"
done
check "revoke with an octal serial and a name in odd case with spaces" \
	revoke "0o$(echo "obase=8; $E" | BC_LINE_LENGTH=0 bc)" --reasonCode "remove From crl" "${PPW[@]}"
expect_eq "octal serial, RemoveFromCRL = 8" "8||0" "$(revoked "$E")"
check "f" cert f
F=$(dec_serial f.crt)
check "revoke with a serial with underscores, reasonCode 10" \
	revoke "$(echo "$F" | sed 's/\(...\)/\1_/; s/_$//')" --reasonCode 10 "${PPW[@]}"
expect_eq "underscores, AACompromise = 10" "10||0" "$(revoked "$F")"

# --- the serial prompt --------------------------------------------------------------------------
check "g" cert g
G=$(dec_serial g.crt)
check_fails "no serial and no terminal" setsid "$STRIDE_BIN" ca revoke "${PPW[@]}" </dev/null
if command -v script >/dev/null; then
	printf '%s\n' "$G" | script -qec "$STRIDE_BIN ca revoke --provisioner-password-file $WORK/prov-password" \
		/dev/null >tty.log 2>&1
	expect_contains "the serial prompt" \
		"What is the Serial Number of the certificate you would like to revoke? (\`step certificate inspect foo.cert\`)" \
		"$(cat tty.log)"
	expect_contains "revoked after the prompt" "Certificate with Serial Number $G has been revoked." "$(cat tty.log)"
else
	fail "script(1) is missing: install bsdutils"
fi

# --- keyCompromise blocks the key, not just the serial -------------------------------------------
# k renewed to k2 (same key), k2 revoked for key compromise: k, and every other certificate with
# that key, is revoked too; nothing is issued, renewed or rekeyed for the key again.
GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
BLOCKED_403="The request was forbidden by the certificate authority: the public key was revoked for key compromise and cannot be certified again."
post() { # PATH [curl args...]: "<status> <message>"
	local path=$1
	shift
	curl -s -o out.json -w '%{http_code}' --cacert "$STRIDEPATH/certs/root_ca.crt" -X POST "$@" \
		"$CA_URL$path" >status
	echo "$(cat status) $(jq -r '.message // empty' out.json 2>/dev/null)"
}
check "k" cert k
check "k renewed to k2 (same key)" bash -c "curl -sf --cacert '$STRIDEPATH/certs/root_ca.crt' --cert k.crt --key k.key -X POST '$CA_URL/renew' | jq -r .crt > k2.crt"
openssl req -new -key k.key -subj /CN=k-other.example.com -out k.csr 2>/dev/null
check "k-other: the same key in another certificate" "$STRIDE_BIN" ca sign k.csr k-other.crt "${PPW[@]}" -f
check "l: another key" cert l
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout l2.key -out l2.csr -subj / 2>/dev/null
check "revoke k2 over mTLS for key compromise" revoke --cert k2.crt --key k.key --reasonCode keyCompromise
expect_eq "k2 recorded: reason code 1, mTLS" "1||1" "$(revoked "$(dec_serial k2.crt)")"
expect_eq "k (the parent, same key) is revoked: reason code 1" "1||1" "$(revoked "$(dec_serial k.crt)")"
expect_eq "k-other (same key, other lineage) is revoked" "1||1" "$(revoked "$(dec_serial k-other.crt)")"
expect_eq "the key is blocked (its SubjectPublicKeyInfo's SHA-256)" \
	"$(openssl pkey -in k.key -pubout -outform DER | sha256sum | cut -d' ' -f1)|1" \
	"$(db_sql "select key_id || '|' || reason_code from blocked_keys where serial = '$(dec_serial k2.crt)'")"
expect_eq "k no longer renews" "401 $GENERIC_401" "$(post /renew --cert k.crt --key k.key)"
expect_eq "k cannot rekey to another key" "401 $GENERIC_401" \
	"$(post /rekey --cert k.crt --key k.key --data-binary "$(jq -n --rawfile csr l2.csr '{csr: $csr}')")"
expect_eq "l cannot rekey to the blocked key" "403 $BLOCKED_403" \
	"$(post /rekey --cert l.crt --key l.key --data-binary "$(jq -n --rawfile csr k.csr '{csr: $csr}')")"
check_fails "stride ca sign with a CSR of the blocked key" "$STRIDE_BIN" ca sign k.csr k-new.crt "${PPW[@]}" -f
expect_contains "its message" "the public key was revoked for key compromise and cannot be certified again" \
	"$(cat "$WORK/last.err")"
expect_eq "l, with another key, still renews" "201 " "$(post /renew --cert l.crt --key l.key)"

# --- --offline (while the server runs on the same store) -----------------------------------------
check "h" cert h
H=$(dec_serial h.crt)
check "offline revoke by serial" revoke "$H" --offline --password-file "$WORK/password" "${PPW[@]}" \
	--reasonCode 9
expect_eq "offline messages" \
	"✔ Provisioner: $PROVISIONER (JWK) [kid: $KID]|✔ CA: https://localhost|Certificate with Serial Number $H has been revoked." \
	"$(lines)"
expect_eq "offline: recorded" "9||0" "$(revoked "$H")"
check_fails "the server refuses to renew it" "$STRIDE_BIN" ca renew h.crt h.key --force
check "i" cert i
I=$(dec_serial i.crt)
check "offline revoke over --cert/--key with --ca-config" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca revoke \
	--cert i.crt --key i.key --offline --ca-config "$STRIDEPATH/config/ca.json" --password-file "$WORK/password"
expect_eq "offline mTLS recorded" "0||1" "$(revoked "$I")"
check_fails "offline renew of it" "$STRIDE_BIN" ca renew i.crt i.key --force --offline --password-file "$WORK/password"
check_fails "offline with a wrong CA password" revoke "$(dec_serial c.crt)" --offline --password-file "$WORK/prov-password" "${PPW[@]}"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.crt \
	-subj /CN=self -days 1 2>/dev/null
check_fails "offline mTLS with a certificate the CA did not issue" revoke --cert self.crt --key self.key \
	--offline --password-file "$WORK/password"
finish
