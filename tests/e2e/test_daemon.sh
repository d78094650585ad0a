#!/usr/bin/env bash
# The renewal daemon on certificates that live 40 s (100 s with the
# 1 minute backdate): renew --daemon renewing again and again while a reader checks the pair
# on disk, SIGHUP, --pid/--exec, a CA that goes away, files that stop matching or are replaced,
# SIGTERM/SIGINT; rekey --daemon making a new key each time; --renew-period with the token
# flow; --offline with --expires-in.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
# Short certificates: the provisioner allows 10 s.
edit_ca_json '.authority.provisioners[0].claims = {"minTLSCertDuration": "10s"}'
check "stride-ca starts" start_ca
cd "$WORK" || exit 1
ROOT="$STRIDEPATH/certs/root_ca.crt"
DATE_RE='[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'
PIDS=()

serial_of() { openssl x509 -noout -serial -in "$1" | cut -d= -f2; }
pubkey() { openssl x509 -noout -pubkey -in "$1"; }
keypub() { openssl pkey -in "$1" -pubout 2>/dev/null; }
count() { grep -cE "$1" "$2" 2>/dev/null; }
# wait_for N REGEX FILE SECONDS: until FILE has N lines matching REGEX.
wait_for() {
	local deadline=$((SECONDS + $4))
	while ((SECONDS < deadline)); do
		(($(count "$2" "$3") >= $1)) && return 0
		sleep 0.2
	done
	return 1
}
# ours PID: true while PID is still a child of this shell, so that a PID recycled by the
# system after our process ended is never signalled.
ours() { [[ $(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ') == "$$" ]]; }
# stop PID SIGNAL: sends the signal and returns the exit status (124 if it did not exit in 5 s).
stop() {
	ours "$1" && kill "-$2" "$1" 2>/dev/null
	for _ in $(seq 1 50); do
		if ! ours "$1"; then
			wait "$1"
			return $?
		fi
		sleep 0.1
	done
	ours "$1" && kill -KILL "$1" 2>/dev/null
	return 124
}
cleanup_daemons() {
	for p in "${PIDS[@]}"; do
		ours "$p" && kill -KILL "$p" 2>/dev/null
	done
}
trap 'cleanup_daemons; cleanup' EXIT

check "certificate d (40 s)" cert d --not-after 40s
check "certificate r (40 s)" cert r --not-after 40s
# The CA checks a renew token's chain at the leaf's notAfter - 1 minute (step's rule, so that
# expired certificates verify): with a CA made seconds ago that must be more than 1 minute away.
check "certificate p (2 m)" cert p --not-after 2m
check "certificate o (40 s)" cert o --not-after 40s
check "certificate q (40 s)" cert q --not-after 40s
check "certificate h (2 m)" cert h --not-after 2m
V=$(($(date -d "$(openssl x509 -in d.crt -noout -enddate | cut -d= -f2)" +%s) -
	$(date -d "$(openssl x509 -in d.crt -noout -startdate | cut -d= -f2)" +%s)))
expect_eq "validity 100 s (40 s + the 1 minute backdate)" 100 "$V"
D_KEY=$(keypub d.key)
D_FIRST=$(serial_of d.crt)

# --- helpers: a process that counts signals and checks the pair it is told about ---------------
# signal_counter PAIR_CRT PAIR_KEY SIGNAL LOG: on each signal, logs "match <key hash>" or
# "mismatch", like a service that reloads its certificate.
signal_counter() {
	bash -c '
		crt=$1 key=$2 sig=$3 log=$4
		on_sig() {
			a=$(openssl x509 -noout -pubkey -in "$crt" 2>/dev/null)
			b=$(openssl pkey -pubout -in "$key" 2>/dev/null)
			if [[ -n $a && $a == "$b" ]]; then
				echo "match $(echo "$b" | sha256sum | cut -c1-16)" >>"$log"
			else
				echo "mismatch" >>"$log"
			fi
		}
		trap on_sig "$sig"
		trap "exit 0" TERM
		while :; do sleep 0.05; done' counter "$@" &
}

# A reader that keeps checking d.crt against d.key while the daemon replaces it.
reader() {
	local n=0 bad=0 c pk
	while [[ ! -e stop-reader ]]; do
		c=$(cat d.crt)
		pk=$(openssl x509 -noout -pubkey 2>/dev/null <<<"$c")
		if [[ $pk != "$D_KEY" || $(grep -c 'END CERTIFICATE' <<<"$c") != 2 ]]; then
			bad=$((bad + 1))
			echo "$c" >"bad-read-$bad.crt"
		fi
		n=$((n + 1))
	done
	echo "$n $bad" >reader.result
}

signal_counter d.crt d.key HUP "$WORK/d-signals.log"
D_HELPER=$!
signal_counter r.crt r.key USR1 "$WORK/r-signals.log"
R_HELPER=$!
PIDS+=("$D_HELPER" "$R_HELPER")
echo "$R_HELPER" >r-helper.pid
sleep 0.3

# --- start four daemons at once --------------------------------------------------------------------
reader &
READER=$!
# renew, default schedule, --pid (SIGHUP), --exec; no terminal: --daemon implies --force.
setsid "$STRIDE_BIN" ca renew --daemon d.crt d.key --pid "$D_HELPER" \
	--exec 'openssl x509 -noout -serial -in d.crt | cut -d= -f2 >>d-exec.log' \
	>d.out 2>d.err </dev/null &
D_DAEMON=$!
# rekey with a new OKP key each time, --pid-file with --signal 10 (SIGUSR1), --exec.
setsid "$STRIDE_BIN" ca rekey --daemon r.crt r.key --kty OKP --pid-file r-helper.pid --signal 10 \
	--exec 'openssl pkey -in r.key -pubout | sha256sum | cut -c1-16 >>r-exec.log' \
	>r.out 2>r.err </dev/null &
R_DAEMON=$!
# renew every 3 s with the token flow, into --out (later renewals start from that file).
cp p.crt p0.crt
setsid "$STRIDE_BIN" ca renew --daemon --renew-period 3s --mtls=false p.crt p.key --out p-out.crt \
	--exec 'openssl x509 -noout -serial -in p-out.crt | cut -d= -f2 >>p-exec.log' \
	>p.out 2>p.err </dev/null &
P_DAEMON=$!
# offline, renewing when 35 s are left.
setsid "$STRIDE_BIN" ca renew --daemon --offline --password-file "$WORK/password" --expires-in 35s \
	o.crt o.key >o.out 2>o.err </dev/null &
O_DAEMON=$!
# rekey every 2 s into other files.
cp q.crt q0.crt
cp q.key q0.key
setsid "$STRIDE_BIN" ca rekey --daemon --rekey-period 2s q.crt q.key --out-cert q-out.crt \
	--out-key q-out.key --exec 'openssl x509 -noout -serial -in q-out.crt | cut -d= -f2 >>q-exec.log' \
	>q.out 2>q.err </dev/null &
Q_DAEMON=$!
# a certificate whose first renewal is a minute away: renewed only when told with SIGHUP.
setsid "$STRIDE_BIN" ca renew --daemon h.crt h.key >h.out 2>h.err </dev/null &
H_DAEMON=$!
PIDS+=("$D_DAEMON" "$R_DAEMON" "$P_DAEMON" "$O_DAEMON" "$Q_DAEMON" "$H_DAEMON")

RENEWED_RE="^INFO: $DATE_RE d\.example\.com certificate renewed, next in [0-9]+s$"
check "renew --daemon renews three times" wait_for 3 "$RENEWED_RE" d.out 45
check "rekey --daemon rekeys three times" wait_for 3 "certificate rekeyed, next in" r.out 30
check "--renew-period 3s renews three times" wait_for 3 "certificate renewed, next in" p.out 20
check "--offline --expires-in renews" wait_for 1 "certificate renewed, next in" o.out 20
check "--rekey-period 2s rekeys three times" wait_for 3 "certificate rekeyed, next in" q.out 20

# --- the default schedule and the log format ----------------------------------------------------
expect_eq "first log line" 1 "$(head -1 d.out | grep -cE "^INFO: $DATE_RE first renewal in [0-9]+s$")"
first=$(head -1 d.out | sed -E 's/.* in ([0-9]+)s$/\1/')
((first >= 0 && first <= 7)) && pass "first renewal at 2/3 of the validity minus jitter (${first}s)" ||
	fail "first renewal in ${first}s, expected 2-7s"
nexts=$(grep -E "$RENEWED_RE" d.out | sed -E 's/.* in ([0-9]+)s$/\1/' | tr '\n' ' ')
bad_next=0
for n in $nexts; do ((n >= 1 && n <= 7)) || bad_next=1; done
expect_eq "every 'next in' is 1-7 s for a 100 s certificate ($nexts)" 0 "$bad_next"
expect_eq "no errors" "" "$(cat d.err)"

# --- the helper, --exec, the files -------------------------------------------------------------
n_renewed=$(count "$RENEWED_RE" d.out)
sleep 0.5
(($(count '^match' d-signals.log) >= 3)) && pass "the helper got SIGHUP after each renewal" ||
	fail "helper: $(cat d-signals.log 2>/dev/null)"
expect_eq "the helper always saw a matching pair" 0 "$(count mismatch d-signals.log)"
(($(wc -l <d-exec.log) >= 3)) && pass "--exec ran after each renewal" || fail "--exec: $(cat d-exec.log)"
# one copy read twice: the daemon goes on renewing, so the log may grow between two reads
cp d-exec.log d-exec.snap
expect_eq "--exec saw a new serial each time" "$(wc -l <d-exec.snap)" "$(sort -u d-exec.snap | wc -l)"
(($(count "^INFO: $DATE_RE 'openssl x509 .*' exited with status 0$" d.out) >= 3)) &&
	pass "--exec exit status logged" || fail "exec status lines: $(grep exited d.out)"
# The daemon keeps running: a renewal may be between its rename and its --exec, so allow
# the exec a moment to catch up with the file.
seen=0
for _ in $(seq 1 30); do
	grep -qx "$(serial_of d.crt)" d-exec.log && { seen=1; break; }
	sleep 0.1
done
expect_eq "the certificate on disk is one --exec saw" 1 "$seen"
# Each renewal must present the certificate it just wrote (not a connection or session of the
# one before): the CA records what each renewal came from.
dec() { echo "ibase=16; $1" | BC_LINE_LENGTH=0 bc; }
lineage() { # FIRST_SERIAL SERIALS_FILE: 1 when each serial was renewed from the one before
	local prev=$1 ok=1 s
	while read -r s; do
		[[ $(db_sql "select parent_serial from x509_certs where serial = '$(dec "$s")'") == "$(dec "$prev")" ]] ||
			ok=0
		prev=$s
	done <"$2"
	echo "$ok"
}
expect_eq "every renewal was made with the certificate before it" 1 "$(lineage "$D_FIRST" d-exec.log)"
expect_eq "the key file is never rewritten" "$D_KEY" "$(keypub d.key)"
expect_eq "the certificate stays 0600" 600 "$(stat -c %a d.crt)"
check "the chain on disk verifies" openssl verify -CAfile "$ROOT" -untrusted d.crt d.crt

# --- SIGHUP renews now ---------------------------------------------------------------------------
kill -HUP "$D_DAEMON"
check "SIGHUP: renewed" wait_for $((n_renewed + 1)) "$RENEWED_RE" d.out 5
check "the 2 minute daemon started" wait_for 1 "first renewal in" h.out 5
first=$(head -1 h.out | sed -E 's/.* in ([0-9]+)s$/\1/')
((first >= 45)) && pass "its first renewal is ${first}s away" || fail "first renewal in ${first}s"
for i in 1 2; do
	kill -HUP "$H_DAEMON"
	check "SIGHUP $i renews at once" wait_for "$i" "h\.example\.com certificate renewed, next in" h.out 5
done
stop "$H_DAEMON" TERM
expect_eq "h daemon: SIGTERM exits 0" 0 "$?"

touch stop-reader
wait "$READER"
read -r reads bad_reads <reader.result
((reads > 20)) && pass "the reader checked the files $reads times" || fail "only $reads reads"
expect_eq "the reader never saw a partial or mismatched certificate" 0 "$bad_reads"

# --- rekey --daemon: a new key each time, always written as a pair ----------------------------------
stop "$R_DAEMON" INT
expect_eq "rekey daemon: SIGINT exits 0" 0 "$?"
expect_eq "rekey log line" 1 "$(head -1 r.out | grep -cE "^INFO: $DATE_RE first rekey in [0-9]+s$")"
sleep 0.3
keys=$(grep -c '^match' r-signals.log)
((keys >= 3)) && pass "the rekey helper got SIGUSR1 ($keys times)" || fail "rekey helper: $(cat r-signals.log)"
expect_eq "each signal: a matching pair" 0 "$(count mismatch r-signals.log)"
# --exec runs in step with each rekey. The helper reads the files when its trap runs, which
# under load can be after the next rekey (two signals then read one key, or run one trap), so
# the keys are counted in the --exec log and the helper's must be among them.
expect_eq "each rekey: a different key" "$(wc -l <r-exec.log)" "$(sort -u r-exec.log | wc -l)"
expect_eq "the helper saw only keys --exec saw" "" \
	"$(cut -d' ' -f2 r-signals.log | sort -u | comm -23 - <(sort -u r-exec.log))"
expect_eq "the key is Ed25519" "ED25519" "$(openssl pkey -in r.key -noout -text 2>/dev/null | head -1 | grep -o ED25519)"
expect_eq "the new key is 0600" 600 "$(stat -c %a r.key)"
expect_contains "SIGINT logged" "SIGINT received, exiting" "$(cat r.out)"

# --- --rekey-period, --out-cert, --out-key -------------------------------------------------------
stop "$Q_DAEMON" TERM
expect_eq "q daemon: SIGTERM exits 0" 0 "$?"
expect_eq "every next is the rekey period" "$(count 'certificate rekeyed' q.out)" "$(count 'certificate rekeyed, next in 2s$' q.out)"
expect_eq "<crt-file> untouched" "$(cat q0.crt)" "$(cat q.crt)"
expect_eq "<key-file> untouched" "$(cat q0.key)" "$(cat q.key)"
check "--out-cert and --out-key match" bash -c '[[ $(openssl x509 -noout -pubkey -in q-out.crt) == $(openssl pkey -pubout -in q-out.key) ]]'
expect_eq "each rekey from the pair written before" 1 "$(lineage "$(serial_of q0.crt)" q-exec.log)"

# --- --renew-period with the token flow, --out --------------------------------------------------
stop "$P_DAEMON" TERM
expect_eq "period daemon: SIGTERM exits 0" 0 "$?"
expect_eq "first renewal in the period" 1 "$(head -1 p.out | grep -cE 'first renewal in 3s$')"
expect_eq "every next is the period" "$(count 'certificate renewed' p.out)" "$(count 'certificate renewed, next in 3s$' p.out)"
renew_tokens=0
while read -r t; do
	[[ $(jwt_payload "$t" | jq -r '"\(.sub) \(.aud)"') == "p.example.com $CA_URL/renew" ]] && renew_tokens=$((renew_tokens + 1))
done < <(db_sql 'select token from used_ott')
expect_eq "--mtls=false: one renew token per renewal" "$(count 'certificate renewed' p.out)" "$renew_tokens"
expect_eq "--out: <crt-file> untouched" "$(cat p0.crt)" "$(cat p.crt)"
expect_eq "--out: each renewal from the file written before" 1 "$(lineage "$(serial_of p0.crt)" p-exec.log)"

# --- --offline with --expires-in -------------------------------------------------------------------
stop "$O_DAEMON" TERM
expect_eq "offline daemon: SIGTERM exits 0" 0 "$?"
first=$(head -1 o.out | sed -E 's/.* in ([0-9]+)s$/\1/')
((first <= 5)) && pass "--expires-in 35s: first renewal within 5 s (${first}s)" || fail "first renewal in ${first}s"
expect_eq "offline: renewed certificate is in the store" 1 \
	"$(db_sql "select count(*) from x509_certs where serial = '$(echo "ibase=16; $(serial_of o.crt)" | BC_LINE_LENGTH=0 bc)'")"

# --- the CA goes away: errors, backoff, recovery -----------------------------------------------------
stop_ca
n_renewed=$(count "$RENEWED_RE" d.out)
kill -HUP "$D_DAEMON"
ERROR_RE="^ERROR: $DATE_RE error renewing certificate: client POST $CA_URL/renew failed: .*; retrying in [0-9]+s$"
check "three failed attempts are logged" wait_for 3 "$ERROR_RE" d.err 20
delays=$(grep -E "$ERROR_RE" d.err | head -3 | sed -E 's/.* in ([0-9]+)s$/\1/' | tr '\n' ' ')
read -r d1 d2 d3 <<<"$delays"
((d1 >= 1 && d1 <= 2 && d2 >= 2 && d2 <= 4 && d3 >= 4 && d3 <= 8)) &&
	pass "jittered backoff grows: $delays" || fail "backoff delays: $delays"
expect_eq "one line per attempt (no renewal meanwhile)" "$n_renewed" "$(count "$RENEWED_RE" d.out)"
check "the certificate on disk still verifies" openssl verify -CAfile "$ROOT" -untrusted d.crt d.crt
check "stride-ca starts again" start_ca
check "the daemon recovers" wait_for $((n_renewed + 1)) "$RENEWED_RE" d.out 20

# --- the files on disk stop matching: nothing is written until they match again ----------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out foreign.key 2>/dev/null
cp d.key d.key.orig
mv foreign.key d.key
kill -HUP "$D_DAEMON"
check "a mismatch is reported" wait_for 1 \
	"^ERROR: $DATE_RE error renewing certificate: certificate d\.crt and key d\.key do not match; nothing was written; retrying in [0-9]+s$" d.err 5
# A renewal already under way when the key was swapped may still land; once the mismatch is
# reported, nothing may be written until the pair matches again.
serial=$(serial_of d.crt)
sleep 2
expect_eq "nothing written while they do not match" "$serial" "$(serial_of d.crt)"
n_renewed=$(count "$RENEWED_RE" d.out)
mv d.key.orig d.key
check "renewing again once they match" wait_for $((n_renewed + 1)) "$RENEWED_RE" d.out 15
[[ $(serial_of d.crt) != "$serial" ]] && pass "renewed after the fix" || fail "not renewed"

# --- someone replaces both files: the daemon carries on with the new pair ------------------------------
check "a new pair for d.example.com" "$STRIDE_BIN" ca certificate d.example.com d-new.crt d-new.key \
	--not-after 40s --provisioner-password-file "$WORK/prov-password" --kty OKP
sleep 0.5
n_renewed=$(count "$RENEWED_RE" d.out)
mv d-new.key d.key
mv d-new.crt d.crt
NEW_KEY=$(keypub d.key)
kill -HUP "$D_DAEMON"
check "renewed from the replaced files" wait_for $((n_renewed + 1)) "$RENEWED_RE" d.out 10
expect_eq "the renewal is for the new key" "$NEW_KEY" "$(pubkey d.crt)"

# --- SIGTERM ---------------------------------------------------------------------------------------
stop "$D_DAEMON" TERM
expect_eq "renew daemon: SIGTERM exits 0" 0 "$?"
expect_eq "SIGTERM logged" 1 "$(count "^INFO: $DATE_RE SIGTERM received, exiting$" d.out)"
stop "$D_HELPER" TERM
stop "$R_HELPER" TERM
finish
