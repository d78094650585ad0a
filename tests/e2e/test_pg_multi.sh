#!/usr/bin/env bash
# Three stride-ca on one PostgreSQL database are one CA. A mixed load of signs (each token sent
# to two instances at once), mTLS renewals and mTLS revocations racing a renewal, spread over
# the three; one instance is SIGKILLed mid-load and restarted, and PostgreSQL itself is
# restarted mid-load. Afterwards:
#   - every certificate a client received is in the database with the same serial and DER;
#   - no token was accepted twice, no serial repeats;
#   - no renewal was accepted that started after a revocation of its lineage was answered,
#     and every stored renewal of a revoked certificate is revoked;
#   - every answer was one of the expected statuses, every 503 step's JSON for it;
#   - all three instances serve again without a restart.
# Then, on a quiet CA: a token used at one instance is refused at the others ("token already
# used" in their logs); a revocation at one instance is in force at the others at once; with
# PostgreSQL down each instance answers 503 (logged as "database unavailable") and serves again
# once it is back, without a restart; an instance starts on the database made read-only:
# /health, /roots and /provisioners work, /sign answers 503.
STRIDE_TEST_DB=postgresql
source "$(dirname "$0")/lib.sh"

WORKERS=6          # clients running sign -> renew -> renew -> revoke racing a renew cycles
LOAD_SECONDS=30    # length of the load
KILL_AT=8          # SIGKILL instance 1 this many seconds into the load ...
KILL_DOWN=2        # ... and restart it this many seconds later
PG_RESTART_AT=18   # restart PostgreSQL this many seconds into the load
GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
# What a request that needs the database answers while it is down or read-only; the request log
# has the same reason.
UNAVAILABLE='{"status":503,"message":"database unavailable"}'
UNAVAILABLE_LOG='"status":"503",.*"error":"unavailable: database unavailable"'
REPLAY_LOG='token already used"' # the end of the error field of the request log (the audit
# lines carry the same message)
export LC_ALL=C

check "ca init" init_ca
ROOT="$STRIDEPATH/certs/root_ca.crt"
CN=multi.example.com
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"
HEADER=$(jq -nc --arg kid "$(provisioner_kid)" '{kid: $kid, typ: "JWT"}')
new_csr leaf "$CN"
NOW=$(date +%s)
mkdir -p "$WORK/r" "$WORK/t"
: >"$WORK/log"

# --- the instances -----------------------------------------------------------------------------
# Each has its own ca.json (another address), the same keys and the same database.
PIDS=()
URLS=()
for i in 0 1 2; do
	p=$(free_port)
	URLS[i]="https://127.0.0.1:$p"
	jq --tab --arg a "127.0.0.1:$p" '.address = $a' "$STRIDEPATH/config/ca.json" \
		>"$STRIDEPATH/config/ca-$i.json"
done

# start_instance I [CONFIG]: starts instance I and waits until its /health answers.
start_instance() {
	local i=$1 cfg=${2:-$STRIDEPATH/config/ca-$1.json}
	"$STRIDE_CA_BIN" --password-file "$WORK/password" "$cfg" >>"$WORK/ca-$i.log" 2>&1 &
	PIDS[i]=$!
	for _ in $(seq 1 150); do
		if timeout 5 curl -s --cacert "$ROOT" "${URLS[i]}/health" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "${PIDS[i]}" 2>/dev/null; then
			echo "instance $i exited early: $(tail -n 5 "$WORK/ca-$i.log")" >&2
			PIDS[i]=""
			return 1
		fi
		sleep 0.1
	done
	echo "instance $i did not become healthy" >&2
	return 1
}

# stop_instance I: SIGTERM; a non-zero exit status (crash, sanitizer report) fails the test.
stop_instance() {
	local i=$1 rc
	[[ -n ${PIDS[i]:-} ]] || return 0
	kill -TERM "${PIDS[i]}" 2>/dev/null
	wait "${PIDS[i]}" 2>/dev/null
	rc=$?
	PIDS[i]=""
	((rc == 0)) || fail "instance $i exited with status $rc: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$WORK/ca-$i.log")"
}

stop_all() {
	local i
	for i in "${!PIDS[@]}"; do
		stop_instance "$i"
	done
}
trap 'stop_all; cleanup' EXIT

for i in 0 1 2; do
	check "instance $i starts" start_instance "$i"
done
if ((FAILED > 0)); then # nothing below can pass
	finish
	exit
fi

# --- requests ----------------------------------------------------------------------------------
# new_token ID: a POST /sign body with a fresh token (jti ID) in t/ID.json. No iat: a token made
# before an instance restarts would otherwise be refused as issued before its start.
SIGN_HEAD=$(jq -c -n --rawfile csr "$WORK/leaf.csr" '{csr: $csr}')
SIGN_HEAD=${SIGN_HEAD%\}}
new_token() {
	local claims tok
	claims="{\"aud\":\"${URLS[0]}/1.0/sign\",\"iss\":\"$PROVISIONER\",\"sub\":\"$CN\",\"sans\":[\"$CN\"],"
	claims+="\"nbf\":$NOW,\"exp\":$((NOW + 900)),\"jti\":\"$1\"}"
	tok=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		"$TESTTOOL" sign-jwt "$WORK/prov.jwk" "$HEADER" "$claims") || return 1
	printf '%s,"ott":"%s","notBefore":"","notAfter":""}' "$SIGN_HEAD" "$tok" >"$WORK/t/$1.json"
}

# req KIND ID INSTANCE WHAT CURL-ARGS... PATH: one request to an instance on a new connection.
# The answer goes to r/ID.json, a 201's leaf to r/ID.crt, and a line to log:
#   KIND ID INSTANCE START_US END_US STATUS WHAT NEW_SERIAL
# (WHAT: the token's jti for a sign, the presented certificate's hex serial otherwise;
# NEW_SERIAL: the hex serial of the certificate received, or -). STATUS 000: no answer.
# Sets CODE and NEW.
req() {
	local kind=$1 id=$2 inst=$3 what=$4 t0 t1
	shift 4
	local path=${*: -1}
	t0=$EPOCHREALTIME
	CODE=$(timeout 20 curl -s --max-time 15 -o "$WORK/r/$id.json" -w '%{http_code}' \
		--cacert "$ROOT" "${@:1:$#-1}" "${URLS[inst]}$path")
	t1=$EPOCHREALTIME
	[[ -n $CODE ]] || CODE=000
	NEW=-
	if [[ $CODE == 201 ]]; then
		jq -r .crt "$WORK/r/$id.json" >"$WORK/r/$id.crt"
		NEW=$(openssl x509 -noout -serial -in "$WORK/r/$id.crt" | cut -d= -f2)
		[[ -n $NEW ]] || NEW=bad
	fi
	echo "$kind $id $inst ${t0/./} ${t1/./} $CODE $what $NEW" >>"$WORK/log"
}

# sign ID INSTANCE: POST /sign with t/ID.json.
sign() { req sign "$1.$2" "$2" "$1" -X POST --data-binary @"$WORK/t/$1.json" /sign; }
# renew ID INSTANCE CRT SERIAL: POST /renew over mTLS with CRT.
renew() { req renew "$1" "$2" "$4" --cert "$3" --key "$WORK/leaf.key" -X POST /renew; }
# revoke ID INSTANCE CRT SERIAL: POST /revoke over mTLS, passive, reason unspecified.
revoke() {
	req revoke "$1" "$2" "$4" --cert "$3" --key "$WORK/leaf.key" -X POST \
		--data-binary "{\"serial\":\"0x$4\",\"reasonCode\":0,\"passive\":true}" /revoke
}

# worker W: until the file stop exists, cycles of: one token sent to two instances at once, two
# renewals of the certificate received, a revocation of the last one racing its renewal at
# another instance, then a renewal of each of them at a third instance (refused if the
# revocation was answered).
worker() {
	local w=$1 c=0 i crt serial id race_crt race_serial
	while [[ ! -e $WORK/stop ]]; do
		c=$((c + 1))
		i=$(((w + c) % 3))
		id="w$w-$c"
		new_token "$id" || return 1
		sign "$id" "$i" &
		sign "$id" $(((i + 1) % 3)) &
		wait
		crt=""
		for f in "$WORK/r/$id.$i.crt" "$WORK/r/$id.$(((i + 1) % 3)).crt"; do
			[[ -e $f ]] && crt=$f
		done
		[[ -n $crt ]] || continue
		serial=$(openssl x509 -noout -serial -in "$crt" | cut -d= -f2)
		for k in 1 2; do
			renew "$id.r$k" $(((i + k) % 3)) "$crt" "$serial"
			if [[ $CODE == 201 ]]; then
				crt="$WORK/r/$id.r$k.crt"
				serial=$NEW
			fi
		done
		renew "$id.race" $(((i + 1) % 3)) "$crt" "$serial" &
		revoke "$id.rev" "$i" "$crt" "$serial"
		wait
		race_crt="$WORK/r/$id.race.crt"
		renew "$id.after" $(((i + 2) % 3)) "$crt" "$serial"
		if [[ -e $race_crt ]]; then
			race_serial=$(openssl x509 -noout -serial -in "$race_crt" | cut -d= -f2)
			renew "$id.after-race" $(((i + 2) % 3)) "$race_crt" "$race_serial"
		fi
	done
}

# --- the load ----------------------------------------------------------------------------------
T0=$SECONDS
wpids=()
for ((w = 1; w <= WORKERS; w++)); do
	worker "$w" &
	wpids+=($!)
done
sleep "$KILL_AT"
kill -KILL "${PIDS[1]}"
wait "${PIDS[1]}" 2>/dev/null
PIDS[1]=""
pass "instance 1 SIGKILLed after $((SECONDS - T0)) s of load"
sleep "$KILL_DOWN"
check "instance 1 restarts during the load" start_instance 1
sleep $((PG_RESTART_AT - (SECONDS - T0) > 0 ? PG_RESTART_AT - (SECONDS - T0) : 0))
check "PostgreSQL restarts during the load ($((SECONDS - T0)) s in)" \
	timeout 60 "$PG_CLUSTER" restart "$PG_DIR/cluster"
sleep $((LOAD_SECONDS - (SECONDS - T0) > 0 ? LOAD_SECONDS - (SECONDS - T0) : 0))
touch "$WORK/stop"
wait "${wpids[@]}"
echo "# load: $(wc -l <"$WORK/log") requests in $((SECONDS - T0)) s; by kind and status:"
awk '{ print $1, $6 }' "$WORK/log" | sort | uniq -c | sed 's/^/#   /'

# --- what the clients saw ----------------------------------------------------------------------
expect_eq "every sign answered 201, 401 (the token's twin won), 503 or nothing (instance down)" "" \
	"$(awk '$1 == "sign" && $6 !~ /^(201|401|503|000)$/' "$WORK/log" | head -n 3)"
expect_eq "every renewal answered 201, 401, 503 or nothing" "" \
	"$(awk '$1 == "renew" && $6 !~ /^(201|401|503|000)$/' "$WORK/log" | head -n 3)"
expect_eq "every revocation answered 200, 503 or nothing" "" \
	"$(awk '$1 == "revoke" && $6 !~ /^(200|503|000)$/' "$WORK/log" | head -n 3)"
bad503=""
while read -r id; do
	[[ $(cat "$WORK/r/$id.json") == "$UNAVAILABLE" ]] || bad503="$id: $(head -c 200 "$WORK/r/$id.json")"
done < <(awk '$6 == 503 { print $2 }' "$WORK/log")
expect_eq "every 503 is $UNAVAILABLE" "" "$bad503"
n201=$(awk '$6 == 201' "$WORK/log" | wc -l)
((n201 >= 20)) && pass "$n201 certificates issued during the load" ||
	fail "only $n201 certificates issued during the load"
expect_eq "some renewals and revocations were answered" "yes" \
	"$(awk '$1 == "renew" && $6 == 201 { r = 1 } $1 == "revoke" && $6 == 200 { v = 1 } END { print (r && v) ? "yes" : "no" }' "$WORK/log")"
expect_eq "no token was accepted twice" "" \
	"$(awk '$1 == "sign" && $6 == 201 { print $7 }' "$WORK/log" | sort | uniq -d | head -n 3)"
expect_eq "no serial was received twice" "" \
	"$(awk '$6 == 201 { print $8 }' "$WORK/log" | sort | uniq -d | head -n 3)"
# A renewal accepted (201) that started after a revocation of the presented certificate or of
# one it was renewed from had been answered 200.
expect_eq "no renewal of a revoked lineage accepted after the revocation's answer" "" "$(awk '
	$1 == "renew" && $6 == 201 { parent[$8] = $7; renewed[NR] = $7 " " $4 " " $2 }
	$1 == "revoke" && $6 == 200 && (!($7 in revoked) || $5 < revoked[$7]) { revoked[$7] = $5 }
	END {
		for (n in renewed) {
			split(renewed[n], f, " ")
			for (s = f[1]; s != ""; s = parent[s])
				if (s in revoked && revoked[s] < f[2]) { print f[3] " renewed " f[1] " after the revocation of " s; break }
		}
	}' "$WORK/log" | head -n 3)"

# --- quiet checks on the three instances -------------------------------------------------------
# Each serves again (instance 1 was restarted, none after PostgreSQL's restart).
for i in 0 1 2; do
	new_token "quiet-$i"
	sign "quiet-$i" "$i"
	expect_eq "instance $i signs after the load" 201 "$CODE"
done

# A token used at one instance is refused at the others.
new_token replay
sign replay 0
expect_eq "a token at instance 0" 201 "$CODE"
for i in 1 2; do
	logged=$(grep '"msg":"request"' "$WORK/ca-$i.log" | grep -c "$REPLAY_LOG")
	sign replay "$i"
	expect_eq "the same token at instance $i" "401 $GENERIC_401" \
		"$CODE $(jq -r .message "$WORK/r/replay.$i.json" 2>/dev/null)"
	expect_eq "instance $i logs it as 'token already used'" $((logged + 1)) \
		"$(grep '"msg":"request"' "$WORK/ca-$i.log" | grep -c "$REPLAY_LOG")"
done

# A revocation at one instance is in force at the others at once.
cp "$WORK/r/quiet-0.0.crt" "$WORK/q.crt"
qs=$(openssl x509 -noout -serial -in "$WORK/q.crt" | cut -d= -f2)
renew q.r1 1 "$WORK/q.crt" "$qs"
expect_eq "a renewal at instance 1" 201 "$CODE"
revoke q.rev 2 "$WORK/q.crt" "$qs"
expect_eq "its parent revoked at instance 2" 200 "$CODE"
for i in 0 1; do
	renew "q.after.$i" "$i" "$WORK/q.crt" "$qs"
	expect_eq "renewal of the revoked certificate right after at instance $i" "401 $GENERIC_401" \
		"$CODE $(jq -r .message "$WORK/r/q.after.$i.json" 2>/dev/null)"
	renew "q.after-r1.$i" "$i" "$WORK/r/q.r1.crt" "$(openssl x509 -noout -serial -in "$WORK/r/q.r1.crt" | cut -d= -f2)"
	expect_eq "renewal of its earlier renewal at instance $i" "401 $GENERIC_401" \
		"$CODE $(jq -r .message "$WORK/r/q.after-r1.$i.json" 2>/dev/null)"
done

# With PostgreSQL down every instance answers 503, and serves again once it is back.
check "PostgreSQL stops" timeout 60 "$PG_CLUSTER" stop "$PG_DIR/cluster"
for i in 0 1 2; do
	new_token "down-$i"
	logged=$(grep -c "$UNAVAILABLE_LOG" "$WORK/ca-$i.log")
	sign "down-$i" "$i"
	expect_eq "instance $i with PostgreSQL down: /sign" "503 $UNAVAILABLE" \
		"$CODE $(cat "$WORK/r/down-$i.$i.json")"
	expect_eq "instance $i logs it as 'database unavailable'" $((logged + 1)) \
		"$(grep -c "$UNAVAILABLE_LOG" "$WORK/ca-$i.log")"
	expect_eq "instance $i with PostgreSQL down: /health" '{"status":"ok"}' \
		"$(timeout 20 curl -s --max-time 15 --cacert "$ROOT" "${URLS[i]}/health")"
done
url=$(timeout 60 "$PG_CLUSTER" start "$PG_DIR/cluster" 2>"$WORK/pg-start.err" | tail -n 1)
expect_eq "PostgreSQL starts again on the same address" "$PG_URL" "$url"
for i in 0 1 2; do
	for a in $(seq 1 50); do # reconnection with backoff: the first attempts may still see 503
		new_token "up-$i-$a"
		sign "up-$i-$a" "$i"
		[[ $CODE == 503 ]] || break
		sleep 0.2
	done
	expect_eq "instance $i signs again without a restart" 201 "$CODE"
done

# --- the database ------------------------------------------------------------------------------
stop_all
# Every certificate received: "hex-serial base64-DER" (stride's serials are random, 128 bits).
awk '$6 == 201 { print $2 }' "$WORK/log" | sed "s|^|$WORK/r/|; s|\$|.crt|" >"$WORK/received"
xargs cat <"$WORK/received" >"$WORK/received.pem"
openssl storeutl -noout -text -certs "$WORK/received.pem" |
	awk '/^ *Serial Number:$/ { getline; gsub(/[ :]/, ""); print toupper($0) }' >"$WORK/received.hex"
{
	echo "ibase=16"
	cat "$WORK/received.hex"
} | BC_LINE_LENGTH=0 bc >"$WORK/received.dec"
xargs awk '/-----BEGIN/ { b = ""; next } /-----END/ { print b; next } { b = b $0 }' \
	<"$WORK/received" >"$WORK/received.b64"
expect_eq "read every received certificate" "$(wc -l <"$WORK/received") $(wc -l <"$WORK/received") $(wc -l <"$WORK/received")" \
	"$(wc -l <"$WORK/received.hex") $(wc -l <"$WORK/received.dec") $(wc -l <"$WORK/received.b64")"
paste -d '\t' "$WORK/received.dec" "$WORK/received.b64" >"$WORK/received.tsv"
# One psql session: the received certificates in a temporary table, then the checks.
pg_psql "$PG_DB" >"$WORK/db-checks" 2>&1 <<EOF
CREATE TEMP TABLE recv (serial text, b64 text);
\\copy recv FROM '$WORK/received.tsv'
SELECT 'received ' || count(*) FROM recv;
SELECT 'missing ' || count(*) FROM recv r
  WHERE NOT EXISTS (SELECT 1 FROM x509_certs c WHERE c.serial = r.serial AND c.der = decode(r.b64, 'base64'));
SELECT 'stored ' || count(*) || ' distinct ' || count(DISTINCT serial) FROM x509_certs;
SELECT 'renewals of revoked not revoked ' || count(*) FROM x509_certs c
  WHERE c.parent_serial IN (SELECT serial FROM revoked_x509_certs)
    AND c.serial NOT IN (SELECT serial FROM revoked_x509_certs);
EOF
echo "# database: $(tr '\n' ';' <"$WORK/db-checks")"
nrecv=$(wc -l <"$WORK/received")
expect_contains "psql read the received certificates" "received $nrecv" "$(cat "$WORK/db-checks")"
expect_contains "every certificate received is stored with the same serial and DER" "missing 0" \
	"$(cat "$WORK/db-checks")"
stored=$(sed -n 's/^stored \([0-9]*\) distinct.*/\1/p' "$WORK/db-checks")
expect_contains "no serial repeats in the store" "stored $stored distinct $stored" "$(cat "$WORK/db-checks")"
expect_contains "every stored renewal of a revoked certificate is revoked" \
	"renewals of revoked not revoked 0" "$(cat "$WORK/db-checks")"

# --- a read-only database ----------------------------------------------------------------------
# The schema is current, so an instance starts on it without DDL: reads work, writes are 503.
check "the database becomes read-only" pg_psql postgres \
	-c "ALTER DATABASE $PG_DB SET default_transaction_read_only = on"
check "an instance starts on the read-only database" start_instance 0
curl_ro() { # PATH: "<status> <body>" from instance 0
	local b
	b=$(timeout 20 curl -s --max-time 15 -o "$WORK/ro.json" -w '%{http_code}' --cacert "$ROOT" \
		"${URLS[0]}$1")
	echo "$b $(cat "$WORK/ro.json")"
}
expect_eq "read-only: /health" "200 {\"status\":\"ok\"}" "$(curl_ro /health)"
ro=$(curl_ro /roots)
expect_eq "read-only: /roots (201 as step answers it)" "201 $(openssl x509 -in "$ROOT" -outform DER | base64 -w0)" \
	"${ro%% *} $(echo "${ro#* }" | jq -r '.crts[0]' | sed '/-----/d' | tr -d '\n')"
ro=$(curl_ro /provisioners)
expect_eq "read-only: /provisioners" "200 $PROVISIONER" \
	"${ro%% *} $(echo "${ro#* }" | jq -r '.provisioners[0].name')"
new_token ro
logged=$(grep -c "$UNAVAILABLE_LOG" "$WORK/ca-0.log")
sign ro 0
expect_eq "read-only: /sign" "503 $UNAVAILABLE" "$CODE $(cat "$WORK/r/ro.0.json")"
expect_eq "read-only: logged as 'database unavailable'" $((logged + 1)) \
	"$(grep -c "$UNAVAILABLE_LOG" "$WORK/ca-0.log")"
stop_instance 0
finish
