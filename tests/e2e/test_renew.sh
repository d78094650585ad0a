#!/usr/bin/env bash
# stride ca renew (as step ca renew): mTLS and the token flow, every flag, step's
# messages and exit statuses, expired certificates, --offline.
source "$(dirname "$0")/lib.sh"

init_ca_in_past
check "stride-ca starts" start_ca
cd "$WORK" || exit 1
ROOT="$STRIDEPATH/certs/root_ca.crt"

renew() { "$STRIDE_BIN" ca renew "$@"; }
serial_of() { openssl x509 -noout -serial -in "$1" | cut -d= -f2; }
seconds() { date -d "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }
pubkey() { openssl x509 -noout -pubkey -in "$1"; }
used_tokens() { db_sql 'select count(*) from used_ott'; }
verifies() { openssl verify -CAfile "$ROOT" -untrusted "$1" "$1" >/dev/null 2>&1; }

# --- mTLS (the default) ------------------------------------------------------------------
check "a certificate" cert a --not-after 2h
cp a.crt a0.crt
tokens=$(used_tokens)
check "renew over mTLS" renew a.crt a.key --force
expect_eq "success message on stderr" "Your certificate has been saved in a.crt." "$(cat "$WORK/last.err")"
expect_eq "nothing on stdout" "" "$(cat "$WORK/last.out")"
[[ $(serial_of a.crt) != $(serial_of a0.crt) ]] && pass "new serial" || fail "same serial"
expect_eq "same key" "$(pubkey a0.crt)" "$(pubkey a.crt)"
expect_eq "same subject and SANs" "$(openssl x509 -noout -subject -ext subjectAltName -in a0.crt)" \
	"$(openssl x509 -noout -subject -ext subjectAltName -in a.crt)"
expect_eq "same validity length" 7260 "$(($(seconds a.crt enddate) - $(seconds a.crt startdate)))"
expect_eq "chain: leaf + intermediate" 2 "$(grep -c 'BEGIN CERTIFICATE' a.crt)"
check "the renewed chain verifies" verifies a.crt
expect_eq "the certificate file is 0600" 600 "$(stat -c %a a.crt)"
expect_eq "mTLS uses no token" "$tokens" "$(used_tokens)"
check "--mtls=true is the same" renew a.crt a.key --force --mtls=true
expect_eq "still no token" "$tokens" "$(used_tokens)"

# --- the token flow -----------------------------------------------------------------------
cp a.crt a1.crt
check "renew with --mtls=false" renew --mtls=false --force a.crt a.key
expect_eq "token flow message" "Your certificate has been saved in a.crt." "$(cat "$WORK/last.err")"
[[ $(serial_of a.crt) != $(serial_of a1.crt) ]] && pass "token flow: new serial" || fail "token flow: same serial"
expect_eq "token flow: same key" "$(pubkey a0.crt)" "$(pubkey a.crt)"
expect_eq "the CA recorded one renew token" "$((tokens + 1))" "$(used_tokens)"
tok=$(db_sql 'select token from used_ott order by created_at desc limit 1')
expect_eq "renew token claims" "step-ca-client/1.0 a.example.com $CA_URL/renew" \
	"$(jwt_payload "$tok" | jq -r '"\(.iss) \(.sub) \(.aud)"')"
expect_eq "renew token header" '["x5cInsecure"]' \
	"$(jwt_payload "x.$(echo "$tok" | cut -d. -f1)" | jq -c 'keys - ["alg","kid","typ"]')"
expect_eq "renew token lifetime" 300 "$(jwt_payload "$tok" | jq '.exp - .nbf')"

# --- --out / --output-file ----------------------------------------------------------------
cp a.crt a2.crt
check "renew --out" renew a.crt a.key --out out1.crt
expect_eq "--out message" "Your certificate has been saved in out1.crt." "$(cat "$WORK/last.err")"
expect_eq "--out leaves the input alone" "$(cat a2.crt)" "$(cat a.crt)"
expect_eq "--out file is 0600" 600 "$(stat -c %a out1.crt)"
check "--out chain verifies" verifies out1.crt
check "renew --output-file" renew a.crt a.key --output-file out2.crt
expect_eq "--output-file message" "Your certificate has been saved in out2.crt." "$(cat "$WORK/last.err")"
[[ $(serial_of out1.crt) != $(serial_of out2.crt) ]] && pass "two renewals, two serials" || fail "same serial twice"

# --- --force and the overwrite prompt ---------------------------------------------------------
check_fails "an existing output without --force and no terminal" setsid "$STRIDE_BIN" ca renew a.crt a.key </dev/null
expect_contains "no-terminal message" "use --force to overwrite it" "$(cat "$WORK/last.err")"
expect_eq "nothing written" "$(cat a2.crt)" "$(cat a.crt)"
if command -v script >/dev/null; then
	printf 'n\n' | script -qec "$STRIDE_BIN ca renew a.crt a.key" /dev/null >tty.log 2>&1
	expect_contains "the prompt" "Would you like to overwrite a.crt [y/n]:" "$(cat tty.log)"
	expect_contains "answering no" "unexpected error on a.crt: file exists" "$(cat tty.log)"
	expect_eq "no: nothing written" "$(cat a2.crt)" "$(cat a.crt)"
	printf 'maybe\ny\n' | script -qec "$STRIDE_BIN ca renew a.crt a.key" /dev/null >tty.log 2>&1
	expect_contains "yes after a wrong answer" "Your certificate has been saved in a.crt." "$(cat tty.log)"
	[[ $(serial_of a.crt) != $(serial_of a2.crt) ]] && pass "yes: renewed" || fail "yes: not renewed"
else
	fail "script(1) is missing: install bsdutils"
fi

# --- --expires-in ------------------------------------------------------------------------
cp a.crt a3.crt
check "too early: exit 0" renew a.crt a.key --force --expires-in 1h
[[ $(cat "$WORK/last.err") =~ ^certificate\ not\ renewed:\ expires\ in\ (1h59m[0-9]+s|2h0m0s)$ ]] &&
	pass "the skip message ($(cat "$WORK/last.err"))" || fail "skip message: $(cat "$WORK/last.err")"
expect_eq "too early: not renewed" "$(cat a3.crt)" "$(cat a.crt)"
check "due: renewed" renew a.crt a.key --force --expires-in 2h
expect_eq "due: message" "Your certificate has been saved in a.crt." "$(cat "$WORK/last.err")"
[[ $(serial_of a.crt) != $(serial_of a3.crt) ]] && pass "due: new serial" || fail "due: same serial"

# --- flag validation (step's order) ---------------------------------------------------------
check_fails "one argument" renew a.crt
expect_eq "not enough arguments" "not enough positional arguments were provided in 'stride ca renew <crt-file> <key-file>'" \
	"$(cat "$WORK/last.err")"
check_fails "three arguments" renew a.crt a.key x
expect_eq "too many arguments" "too many positional arguments were provided in 'stride ca renew <crt-file> <key-file>'" \
	"$(cat "$WORK/last.err")"
check_fails "--kms" renew a.crt a.key --kms 'pkcs11:module-path=/x.so;token=t'
expect_contains "--kms is refused, not ignored" "flag '--kms' is not supported yet" "$(cat "$WORK/last.err")"
check_fails "a KMS key name" renew a.crt 'pkcs11:id=4001' --force
expect_contains "KMS key names are refused" "KMS keys ('pkcs11:id=4001') are not supported yet" "$(cat "$WORK/last.err")"
check_fails "no --ca-url anywhere" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca renew a.crt a.key
expect_eq "--ca-url required" "'stride ca renew' requires the '--ca-url' flag" "$(cat "$WORK/last.err")"
check_fails "no --root anywhere" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca renew a.crt a.key --ca-url "$CA_URL"
expect_eq "--root required" "'stride ca renew' requires the '--root' flag" "$(cat "$WORK/last.err")"
check_fails "bad --expires-in" renew a.crt a.key --expires-in 3x
expect_eq "bad duration message" "invalid value '3x' for flag '--expires-in'" "$(cat "$WORK/last.err")"
check_fails "bad --renew-period" renew a.crt a.key --daemon --renew-period soon
expect_eq "bad period message" "invalid value 'soon' for flag '--renew-period'" "$(cat "$WORK/last.err")"
check_fails "--expires-in with --renew-period" renew a.crt a.key --daemon --expires-in 1h --renew-period 1h
expect_eq "incompatible message" "flag '--expires-in' is incompatible with '--renew-period'" "$(cat "$WORK/last.err")"
check_fails "--renew-period without --daemon" renew a.crt a.key --renew-period 1h
expect_eq "requires --daemon" "flag '--renew-period' requires the '--daemon' flag" "$(cat "$WORK/last.err")"
echo 123 >pid.txt
check_fails "--pid with --pid-file" renew a.crt a.key --pid 123 --pid-file pid.txt
expect_eq "exclusive message" "flag '--pid' and flag '--pid-file' are mutually exclusive" "$(cat "$WORK/last.err")"
check_fails "--pid 0" renew a.crt a.key --pid 0
expect_eq "--pid 0 message" "invalid value '0' for flag '--pid'" "$(cat "$WORK/last.err")"
check_fails "--pid-file missing" renew a.crt a.key --pid-file nope.pid
expect_contains "missing pid file" "nope.pid" "$(cat "$WORK/last.err")"
echo " abc " >bad.pid
check_fails "--pid-file with text" renew a.crt a.key --pid-file bad.pid
expect_eq "pid conversion message" "error converting abc to integer process id" "$(cat "$WORK/last.err")"
echo -5 >neg.pid
check_fails "--pid-file with -5" renew a.crt a.key --pid-file neg.pid
expect_eq "negative pid message" "invalid value '-5' for flag '--pid-file'" "$(cat "$WORK/last.err")"
check_fails "--signal 0" renew a.crt a.key --signal 0
expect_eq "--signal 0 message" "invalid value '0' for flag '--signal'" "$(cat "$WORK/last.err")"
check_fails "--expires-in longer than the validity" renew a.crt a.key --expires-in 3h
expect_eq "expires-in validity message" \
	"flag '--expires-in' must be within (lower than) the certificate validity period; expires-in=3h0m0s, cert-validity-period=2h1m0s" \
	"$(cat "$WORK/last.err")"
check_fails "--renew-period equal to the validity" renew a.crt a.key --daemon --renew-period 2h1m
expect_eq "renew-period validity message" \
	"flag '--renew-period' must be within (lower than) the certificate validity period; renew-period=2h1m0s, cert-validity-period=2h1m0s" \
	"$(cat "$WORK/last.err")"
check_fails "a key of another certificate" renew a.crt out1.crt --force
check "another certificate" cert other
check_fails "certificate and key do not match" renew a.crt other.key --force
expect_eq "mismatch message" "certificate a.crt and key other.key do not match" "$(cat "$WORK/last.err")"

# --- --password-file (an encrypted key) ----------------------------------------------------
printf 'key-secret\n' >keypw
openssl pkcs8 -topk8 -v2 aes-256-cbc -in a.key -out a-enc.key -passout file:keypw 2>/dev/null
check "renew with an encrypted key and --password-file" renew a.crt a-enc.key --password-file keypw --force
check_fails "an encrypted key, no password, no terminal" setsid "$STRIDE_BIN" ca renew a.crt a-enc.key --force </dev/null
expect_contains "encrypted key: asks for the password" "there is no terminal to ask for its password: use --password-file" "$(cat "$WORK/last.err")"
check_fails "the wrong password" renew a.crt a-enc.key --password-file "$WORK/password" --force

# --- --ca-url, --root, --context -------------------------------------------------------------
check "--ca-url and --root without defaults" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca renew a.crt a.key \
	--ca-url "$CA_URL" --root "$ROOT" --force
check "STRIDE_CA_URL and STRIDE_ROOT" env STRIDEPATH="$WORK/empty" STRIDE_CA_URL="$CA_URL" STRIDE_ROOT="$ROOT" \
	"$STRIDE_BIN" ca renew a.crt a.key --force
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-root.key \
	-out other-root.crt -subj /CN=other -days 1 2>/dev/null
check_fails "--root that does not sign the CA" renew a.crt a.key --root other-root.crt --force
expect_contains "transport error message" "error renewing certificate: client POST $CA_URL/renew failed:" "$(cat "$WORK/last.err")"
FP=$(root_fingerprint)
check "bootstrap a context" env STRIDEPATH="$WORK/ctx" "$STRIDE_BIN" ca bootstrap --ca-url "$CA_URL" \
	--fingerprint "$FP" --context test-ctx
check "renew with --context" env STRIDEPATH="$WORK/ctx" "$STRIDE_BIN" ca renew a.crt a.key --context test-ctx --force
check_fails "renew with an unknown --context" env STRIDEPATH="$WORK/ctx" "$STRIDE_BIN" ca renew a.crt a.key \
	--context nope --force

# --- post-renew actions: --pid, --pid-file, --signal, --exec -------------------------------
# A helper that records the signals it gets.
bash -c 'trap "echo HUP >>sig.log" HUP; trap "echo USR1 >>sig.log" USR1; trap "exit 0" TERM;
	while :; do sleep 0.05; done' &
HELPER=$!
sleep 0.3
check "--pid sends SIGHUP" renew a.crt a.key --force --pid "$HELPER"
sleep 0.3
expect_eq "the helper got SIGHUP" "HUP" "$(cat sig.log)"
echo "$HELPER" >helper.pid
check "--pid-file with --signal 10 (SIGUSR1)" renew a.crt a.key --force --pid-file helper.pid --signal 10
sleep 0.3
expect_eq "the helper got SIGUSR1" "HUP USR1" "$(tr '\n' ' ' <sig.log | sed 's/ $//')"
check "--exec runs through /bin/sh -c" renew a.crt a.key --force --pid "$HELPER" \
	--exec 'openssl x509 -noout -serial -in a.crt | cut -d= -f2 > exec.out && echo "$((6*7))" >> exec.out'
sleep 0.3
expect_eq "--exec saw the new certificate (shell syntax works)" "$(serial_of a.crt) 42" "$(tr '\n' ' ' <exec.out | sed 's/ $//')"
expect_eq "signal before exec" "HUP USR1 HUP" "$(tr '\n' ' ' <sig.log | sed 's/ $//')"
expect_contains "--exec exit status logged" "exited with status 0" "$(cat "$WORK/last.err")"
cp a.crt a4.crt
check_fails "--exec failing: exit 1" renew a.crt a.key --force --exec 'exit 3'
expect_contains "--exec failure message" "exit status 3" "$(cat "$WORK/last.err")"
[[ $(serial_of a.crt) != $(serial_of a4.crt) ]] && pass "the file is written before --exec" || fail "not written"
kill -TERM "$HELPER"
wait "$HELPER" 2>/dev/null
# pid_max itself is never a process id (a recently used one might already belong to another).
NOPID=$(cat /proc/sys/kernel/pid_max)
check_fails "--pid of a process that does not exist" renew a.crt a.key --force --pid "$NOPID" --exec 'touch exec2.out'
expect_eq "kill failure message (after the file is saved)" \
	"Your certificate has been saved in a.crt.|kill $NOPID with signal 1 failed: No such process" \
	"$(tr '\n' '|' <"$WORK/last.err" | sed 's/|$//')"
[[ ! -e exec2.out ]] && pass "no --exec after a failed signal" || fail "--exec ran after a failed signal"

# --- expired certificates -----------------------------------------------------------------
if command -v faketime >/dev/null; then
	# Issued "two days ago" for 24h: expired a day ago.
	check "an expired certificate" $FAKETIME -f '-2d' "$STRIDE_BIN" ca certificate old.example.com \
		old.crt old.key --offline --password-file "$WORK/password" \
		--provisioner-password-file "$WORK/prov-password" --force
	cp old.crt old0.crt
	tokens=$(used_tokens)
	check_fails "renew of an expired certificate is refused" renew old.crt old.key --force
	expect_contains "expired: the CA's message" "certificate expired on" "$(cat "$WORK/last.err")"
	expect_contains "CA errors get the hint" "Re-run with STRIDEDEBUG=1 for more info." "$(cat "$WORK/last.err")"
	expect_eq "expired: switched to the token flow by itself" "$((tokens + 1))" "$(used_tokens)"
	expect_eq "expired: nothing written" "$(cat old0.crt)" "$(cat old.crt)"
	stop_ca
	edit_ca_json '.authority.provisioners[0].claims = {"allowRenewalAfterExpiry": true}'
	check "start with allowRenewalAfterExpiry" start_ca
	check "renew of an expired certificate with allowRenewalAfterExpiry" renew old.crt old.key --force
	(($(seconds old.crt enddate) > $(date +%s) + 86000)) && pass "valid for another 24h" || fail "renewal validity"
	expect_eq "expired renewal: same key" "$(pubkey old0.crt)" "$(pubkey old.crt)"
	check "the renewed certificate verifies" verifies old.crt
	check "it renews over mTLS again" renew old.crt old.key --force
	check "another expired certificate" $FAKETIME -f '-2d' "$STRIDE_BIN" ca certificate old2.example.com \
		old2.crt old2.key --offline --password-file "$WORK/password" \
		--provisioner-password-file "$WORK/prov-password" --force
	check "offline renew of an expired certificate (token flow in-process)" renew old2.crt old2.key \
		--offline --password-file "$WORK/password" --force
	(($(seconds old2.crt enddate) > $(date +%s) + 86000)) && pass "offline: valid for another 24h" ||
		fail "offline renewal validity"
else
	fail "faketime is missing: install faketime"
fi

# --- --offline (--ca-config), also while the server runs on the same store ---------------------
cp a.crt a5.crt
check "offline renew" renew a.crt a.key --offline --password-file "$WORK/password" --force
expect_eq "offline message" "Your certificate has been saved in a.crt." "$(cat "$WORK/last.err")"
[[ $(serial_of a.crt) != $(serial_of a5.crt) ]] && pass "offline: new serial" || fail "offline: same serial"
check "offline chain verifies" verifies a.crt
expect_eq "offline renewal is in the store" 1 \
	"$(db_sql "select count(*) from x509_certs where serial = '$(echo "ibase=16; $(serial_of a.crt)" | BC_LINE_LENGTH=0 bc)'")"
check "offline renew with the token flow and --ca-config" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca renew \
	a.crt a.key --offline --ca-config "$STRIDEPATH/config/ca.json" --password-file "$WORK/password" \
	--mtls=false --force
check_fails "offline with a wrong CA password" renew a.crt a.key --offline --password-file keypw --force
check_fails "offline without ca.json" renew a.crt a.key --offline --ca-config nope.json --force
check "offline renew with --out" renew a.crt a.key --offline --password-file "$WORK/password" --out off.crt
check "offline --out verifies" verifies off.crt
finish
