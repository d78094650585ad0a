#!/usr/bin/env bash
# stride ca rekey (as step ca rekey): every key type, --private-key, the output flags, step's
# messages, expired certificates, --offline.
source "$(dirname "$0")/lib.sh"

init_ca_in_past
check "stride-ca starts" start_ca
cd "$WORK" || exit 1
ROOT="$STRIDEPATH/certs/root_ca.crt"

rekey() { "$STRIDE_BIN" ca rekey "$@"; }
serial_of() { openssl x509 -noout -serial -in "$1" | cut -d= -f2; }
seconds() { date -d "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }
pubkey() { openssl x509 -noout -pubkey -in "$1"; }
keypub() { openssl pkey -in "$1" -pubout 2>/dev/null; }
verifies() { openssl verify -CAfile "$ROOT" -untrusted "$1" "$1" >/dev/null 2>&1; }
matches() { [[ -n $(keypub "$2") && $(pubkey "$1") == $(keypub "$2") ]]; }
keytext() { openssl x509 -noout -text -in "$1" | sed -n '/Subject Public Key Info/,/X509v3 extensions/p' | tr -s ' \n' ' '; }

# --- the default: a new EC P-256 key ---------------------------------------------------------
check "a certificate" cert a --san a.example.com --san 10.1.2.3 --not-after 2h
cp a.crt a0.crt
cp a.key a0.key
check "rekey" rekey a.crt a.key --force
expect_eq "status lines" "✔ Certificate: a.crt|✔ Private Key: a.key" "$(tr '\n' '|' <"$WORK/last.err" | sed 's/|$//')"
[[ $(keypub a.key) != $(keypub a0.key) ]] && pass "a new key" || fail "the key did not change"
check "the new certificate matches the new key" matches a.crt a.key
expect_contains "default key type EC P-256" "prime256v1" "$(keytext a.crt)"
[[ $(serial_of a.crt) != $(serial_of a0.crt) ]] && pass "new serial" || fail "same serial"
expect_eq "same subject and SANs" "$(openssl x509 -noout -subject -ext subjectAltName -in a0.crt)" \
	"$(openssl x509 -noout -subject -ext subjectAltName -in a.crt)"
[[ $(openssl x509 -noout -ext subjectKeyIdentifier -in a0.crt) != $(openssl x509 -noout -ext subjectKeyIdentifier -in a.crt) ]] &&
	pass "new SKI" || fail "same SKI"
expect_eq "same validity length" 7260 "$(($(seconds a.crt enddate) - $(seconds a.crt startdate)))"
check "the chain verifies" verifies a.crt
expect_eq "cert 0600" 600 "$(stat -c %a a.crt)"
expect_eq "key 0600" 600 "$(stat -c %a a.key)"
expect_eq "the key is written unencrypted, as step writes EC keys" "-----BEGIN EC PRIVATE KEY-----" "$(head -1 a.key)"

# --- every key type ----------------------------------------------------------------------------
for spec in "EC P-384 secp384r1" "EC P-521 secp521r1" "OKP Ed25519 ED25519" "RSA 3072 3072" "RSA 2048 2048"; do
	read -r kty arg want <<<"$spec"
	if [[ $kty == RSA ]]; then flags=(--kty RSA --size "$arg"); else flags=(--kty "$kty" --curve "$arg"); fi
	check "rekey ${flags[*]}" rekey a.crt a.key --force "${flags[@]}"
	check "${flags[*]}: certificate and key match" matches a.crt a.key
	expect_contains "${flags[*]}: key type" "$want" "$(keytext a.crt)"
	check "${flags[*]}: verifies" verifies a.crt
done
check "rekey --kty OKP (default curve Ed25519)" rekey a.crt a.key --force --kty OKP
expect_contains "OKP default" "ED25519" "$(keytext a.crt)"
check "rekey --kty RSA (default size 2048)" rekey a.crt a.key --force --kty RSA
expect_contains "RSA default" "2048 bit" "$(openssl x509 -noout -text -in a.crt)"
check "rekey --crv P-384 (alias)" rekey a.crt a.key --force --kty EC --crv P-384
expect_contains "--crv" "secp384r1" "$(keytext a.crt)"
check_fails "--kty DSA" rekey a.crt a.key --force --kty DSA
expect_contains "bad kty message" "DSA" "$(cat "$WORK/last.err")"
check_fails "--size 1024" rekey a.crt a.key --force --kty RSA --size 1024
check_fails "--curve P-999" rekey a.crt a.key --force --curve P-999

# --- --private-key ------------------------------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out given.key 2>/dev/null
cp a.key a1.key
check "rekey --private-key" rekey a.crt a.key --force --private-key given.key
expect_eq "only the certificate is written" "✔ Certificate: a.crt" "$(cat "$WORK/last.err")"
check "the certificate is for the given key" matches a.crt given.key
expect_eq "<key-file> untouched" "$(cat a1.key)" "$(cat a.key)"
check "rekey again, from the new pair" rekey a.crt given.key --force --private-key given.key
openssl genpkey -algorithm ED25519 -out given2.key 2>/dev/null
check "rekey --private-key --out-key" rekey a.crt given.key --force --private-key given2.key --out-key out-given.key
expect_eq "--out-key written" "✔ Certificate: a.crt|✔ Private Key: out-given.key" "$(tr '\n' '|' <"$WORK/last.err" | sed 's/|$//')"
check "--out-key has the given key" matches a.crt out-given.key
expect_eq "--out-key 0600" 600 "$(stat -c %a out-given.key)"
printf 'key-secret\n' >keypw
openssl pkcs8 -topk8 -v2 aes-256-cbc -in given.key -out given-enc.key -passout file:keypw 2>/dev/null
check "--private-key encrypted, with --password-file" rekey a.crt out-given.key --force \
	--private-key given-enc.key --password-file keypw
check "the certificate is for the decrypted key" matches a.crt given.key
check_fails "--private-key with --kty" rekey a.crt given.key --force --private-key given2.key --kty RSA
expect_eq "--private-key/--kty message" "flag '--private-key' is incompatible with '--kty'" "$(cat "$WORK/last.err")"
check_fails "--private-key missing" rekey a.crt given.key --force --private-key nope.key

# --- --out-cert / --out-key; --force -----------------------------------------------------------
check "a fresh pair" rekey a.crt given.key --force --out-key a.key
cp a.crt a2.crt
cp a.key a2.key
check "rekey --out-cert --out-key" rekey a.crt a.key --out-cert new.crt --out-key new.key
expect_eq "--out-* status lines" "✔ Certificate: new.crt|✔ Private Key: new.key" "$(tr '\n' '|' <"$WORK/last.err" | sed 's/|$//')"
check "new pair matches" matches new.crt new.key
expect_eq "inputs untouched (cert)" "$(cat a2.crt)" "$(cat a.crt)"
expect_eq "inputs untouched (key)" "$(cat a2.key)" "$(cat a.key)"
check_fails "existing outputs without --force, no terminal" setsid "$STRIDE_BIN" ca rekey a.crt a.key </dev/null
expect_contains "the --force hint" "use --force" "$(cat "$WORK/last.err")"
expect_eq "nothing written (cert)" "$(cat a2.crt)" "$(cat a.crt)"
expect_eq "nothing written (key)" "$(cat a2.key)" "$(cat a.key)"
if command -v script >/dev/null; then
	printf 'y\nn\n' | script -qec "$STRIDE_BIN ca rekey a.crt a.key" /dev/null >tty.log 2>&1
	expect_contains "asks for the certificate" "Would you like to overwrite a.crt [y/n]:" "$(cat tty.log)"
	expect_contains "asks for the key" "Would you like to overwrite a.key [y/n]:" "$(cat tty.log)"
	expect_contains "no for the key" "unexpected error on a.key: file exists" "$(cat tty.log)"
	expect_eq "nothing written after a no" "$(cat a2.crt)" "$(cat a.crt)"
else
	fail "script(1) is missing: install bsdutils"
fi

# --- --expires-in and the flag checks --------------------------------------------------------
check "too early: exit 0" rekey a.crt a.key --force --expires-in 1h
[[ $(cat "$WORK/last.err") =~ ^certificate\ not\ rekeyed:\ expires\ in\ (1h5[0-9]m[0-9]+s|2h0m0s)$ ]] &&
	pass "the skip message ($(cat "$WORK/last.err"))" || fail "skip message: $(cat "$WORK/last.err")"
expect_eq "too early: nothing written" "$(cat a2.key)" "$(cat a.key)"
check "due: rekeyed" rekey a.crt a.key --force --expires-in 2h
[[ $(keypub a.key) != $(keypub a2.key) ]] && pass "due: new key" || fail "due: same key"
check_fails "--rekey-period without --daemon" rekey a.crt a.key --rekey-period 1h
expect_eq "requires --daemon" "flag '--rekey-period' requires the '--daemon' flag" "$(cat "$WORK/last.err")"
check_fails "--expires-in with --rekey-period" rekey a.crt a.key --daemon --expires-in 1h --rekey-period 1h
expect_eq "incompatible" "flag '--expires-in' is incompatible with '--rekey-period'" "$(cat "$WORK/last.err")"
check_fails "--rekey-period longer than the validity" rekey a.crt a.key --daemon --rekey-period 3h
expect_eq "rekey-period validity message" \
	"flag '--rekey-period' must be within (lower than) the certificate validity period; rekey-period=3h0m0s, cert-validity-period=2h1m0s" \
	"$(cat "$WORK/last.err")"
check_fails "--kms" rekey a.crt a.key --kms 'pkcs11:module-path=/x.so'
expect_contains "--kms refused" "flag '--kms' is not supported yet" "$(cat "$WORK/last.err")"
check_fails "a KMS --private-key" rekey a.crt a.key --private-key 'yubikey:slot-id=9a' --force
expect_contains "KMS names refused" "KMS keys ('yubikey:slot-id=9a') are not supported yet" "$(cat "$WORK/last.err")"
check_fails "--pid 0" rekey a.crt a.key --pid 0
expect_eq "--pid 0 message" "invalid value '0' for flag '--pid'" "$(cat "$WORK/last.err")"
check_fails "--signal -1" rekey a.crt a.key --signal -1
expect_eq "--signal message" "invalid value '-1' for flag '--signal'" "$(cat "$WORK/last.err")"
check_fails "no --ca-url" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca rekey a.crt a.key
expect_eq "--ca-url required" "'stride ca rekey' requires the '--ca-url' flag" "$(cat "$WORK/last.err")"

# --- --password-file (the current key encrypted), --ca-url/--root, --context ---------------------
openssl pkcs8 -topk8 -v2 aes-256-cbc -in a.key -out a-enc.key -passout file:keypw 2>/dev/null
check "rekey an encrypted key with --password-file" rekey a.crt a-enc.key --password-file keypw --force
expect_eq "the new key replaces it, unencrypted" "-----BEGIN EC PRIVATE KEY-----" "$(head -1 a-enc.key)"
check "the new pair matches" matches a.crt a-enc.key
check "--ca-url and --root without defaults" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca rekey a.crt a-enc.key \
	--ca-url "$CA_URL" --root "$ROOT" --force
check "bootstrap a context" env STRIDEPATH="$WORK/ctx" "$STRIDE_BIN" ca bootstrap --ca-url "$CA_URL" \
	--fingerprint "$(root_fingerprint)" --context rekey-ctx
check "rekey with --context" env STRIDEPATH="$WORK/ctx" "$STRIDE_BIN" ca rekey a.crt a-enc.key --context rekey-ctx --force
check "and the pair still matches" matches a.crt a-enc.key

# --- --pid, --pid-file, --signal, --exec -------------------------------------------------------
bash -c 'trap "echo HUP >>sig.log" HUP; trap "echo USR2 >>sig.log" USR2; trap "exit 0" TERM;
	while :; do sleep 0.05; done' &
HELPER=$!
sleep 0.3
echo "$HELPER" >helper.pid
check "rekey --pid --exec" rekey a.crt a-enc.key --force --pid "$HELPER" \
	--exec '[ "$(openssl x509 -noout -pubkey -in a.crt)" = "$(openssl pkey -pubout -in a-enc.key)" ] && echo match >exec.out'
sleep 0.3
expect_eq "--pid: SIGHUP" "HUP" "$(cat sig.log)"
expect_eq "--exec sees the new, matching pair" "match" "$(cat exec.out 2>/dev/null)"
check "rekey --pid-file --signal 12" rekey a.crt a-enc.key --force --pid-file helper.pid --signal 12
sleep 0.3
expect_eq "--signal 12: SIGUSR2" "HUP USR2" "$(tr '\n' ' ' <sig.log | sed 's/ $//')"
check_fails "--exec failing" rekey a.crt a-enc.key --force --exec 'false'
expect_contains "exit status 1" "exit status 1" "$(cat "$WORK/last.err")"
kill -TERM "$HELPER"
wait "$HELPER" 2>/dev/null

# --- expired ----------------------------------------------------------------------------------
if command -v faketime >/dev/null; then
	check "an expired certificate" $FAKETIME -f '-2d' "$STRIDE_BIN" ca certificate old.example.com \
		old.crt old.key --offline --password-file "$WORK/password" \
		--provisioner-password-file "$WORK/prov-password" --force
	check_fails "rekey of an expired certificate" rekey old.crt old.key --force
	expect_eq "expired message" "cannot rekey an expired certificate" "$(cat "$WORK/last.err")"
else
	fail "faketime is missing: install faketime"
fi

# --- --offline --------------------------------------------------------------------------------
cp a.crt a3.crt
cp a-enc.key a3.key
check "offline rekey" rekey a.crt a-enc.key --offline --password-file "$WORK/password" --force --kty RSA
[[ $(keypub a-enc.key) != $(keypub a3.key) ]] && pass "offline: new key" || fail "offline: same key"
check "offline: pair matches" matches a.crt a-enc.key
check "offline: verifies" verifies a.crt
expect_contains "offline: RSA" "rsaEncryption" "$(keytext a.crt)"
check "offline rekey with --ca-config and --private-key" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca rekey \
	a.crt a-enc.key --offline --ca-config "$STRIDEPATH/config/ca.json" --password-file "$WORK/password" \
	--private-key given.key --force
check "offline: the given key" matches a.crt given.key
finish
