#!/usr/bin/env bash
# ca.json "limits": body and header sizes; deadlines for slow clients (a request trickled byte by
# byte, a TLS connection that sends nothing, an idle keep-alive connection, a TCP connection that
# never handshakes); the connection cap; invalid limits refused at start-up.
# Timing bounds are generous: the server checks its deadlines every 250 ms, CI machines are slow.
source "$(dirname "$0")/lib.sh"

# Milliseconds since the epoch.
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# within DESCRIPTION MIN_MS MAX_MS ACTUAL_MS
within() {
	if [[ $4 =~ ^[0-9]+$ ]] && (($4 >= $2 && $4 <= $3)); then
		pass "$1 ($4 ms)"
	else
		fail "$1: $4 ms, expected $2..$3 ms"
	fi
}

# pause SECONDS: sleeps in short steps, so that a killed writer stops writing at once.
pause() {
	for ((i = 0; i < $1 * 4; i++)); do sleep 0.25; done
}

# tls_session NAME WRITER [SECONDS]: openssl s_client reading WRITER's output until the server
# closes the connection, for SECONDS (20) at most; its output goes to $WORK/NAME.out, the time it
# was connected to $WORK/NAME.ms, its exit status to $WORK/NAME.rc (124: still open at the end).
tls_session() {
	local name=$1 fifo="$WORK/$1.fifo" writer t0
	mkfifo "$fifo"
	$2 >"$fifo" 2>/dev/null &
	writer=$!
	t0=$(now_ms)
	timeout "${3:-20}" openssl s_client -quiet -connect "127.0.0.1:$PORT" -servername localhost \
		<"$fifo" >"$WORK/$name.out" 2>"$WORK/$name.err"
	echo $? >"$WORK/$name.rc"
	echo $(($(now_ms) - t0)) >"$WORK/$name.ms"
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
}

# A whole POST /sign (84 bytes), one byte every 0.5 s: 42 s if nobody stops it.
trickle() {
	local req=$'POST /sign HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"csr":"","ott":""}\n'
	for ((i = 0; i < ${#req}; i++)); do
		printf '%s' "${req:i:1}"
		sleep 0.5
	done
	pause 10
}

# One request, then the connection stays open with nothing to send.
keepalive() {
	printf 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n'
	pause 15
}

silent() {
	pause 15
}

# raw_tcp NAME: a TCP connection that never starts TLS; "<read status> <ms>" to $WORK/NAME.res
# (status 1: the server closed it; above 128: still open after 15 s).
raw_tcp() {
	local fd t0 rc
	t0=$(now_ms)
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	read -r -t 15 -u "$fd" _
	rc=$?
	echo "$rc $(($(now_ms) - t0))" >"$WORK/$1.res"
	exec {fd}>&-
}

rss_kb() {
	awk '/^VmRSS/ {print $2}' "/proc/$CA_PID/status"
}

# flood: a client that pipelines requests (60 MB of them) but never reads the answers: s_client's
# output goes to a FIFO nobody reads. After 2.5 s, $WORK/flood.sent holds how much it could send
# in kB (what the server read plus the kernel's socket buffers), or "all" when the writer is done,
# and $WORK/flood.rss the server's memory growth in kB (meaningless under ASan, whose quarantine
# keeps the memory of the requests served). $WORK/flood.ms: the time until the server logs the
# write timeout.
flood() {
	local t0 rss0 rss1 sent sc w hold
	mkfifo "$WORK/flood.in" "$WORK/flood.out"
	exec {hold}<>"$WORK/flood.out"
	rss0=$(rss_kb)
	t0=$(now_ms)
	yes $'GET /roots.pem HTTP/1.1\r\nHost: localhost\r\n\r' | head -c 60000000 >"$WORK/flood.in" &
	w=$!
	openssl s_client -quiet -connect "127.0.0.1:$PORT" -servername localhost \
		<"$WORK/flood.in" >"$WORK/flood.out" 2>/dev/null &
	sc=$!
	sleep 2.5
	sent=$(awk '/^wchar/ {print int($2 / 1024)}' "/proc/$w/io" 2>/dev/null)
	kill -0 "$w" 2>/dev/null || sent=all
	echo "${sent:-unknown}" >"$WORK/flood.sent"
	rss1=$(rss_kb)
	echo "$((${rss1:-0} - ${rss0:-0}))" >"$WORK/flood.rss"
	for ((i = 0; i < 60; i++)); do
		grep -q '"phase":"write"' "$WORK/ca.log" && break
		sleep 0.25
	done
	echo $(($(now_ms) - t0)) >"$WORK/flood.ms"
	kill "$sc" "$w" 2>/dev/null
	wait "$sc" "$w" 2>/dev/null
	exec {hold}>&-
}

healthy() {
	expect_eq "$1: still healthy" '{"status":"ok"}' "$(curl_ca --max-time 10 /health)"
}

check "ca init" init_ca
cp "$STRIDEPATH/config/ca.json" "$WORK/ca.json.orig"
edit_ca_json '.limits = {maxBodyBytes: 4096, maxHeaderBytes: 8192, readTimeout: "2s",
	writeTimeout: "3s", idleTimeout: "3s", handshakeTimeout: "2s"}'
check "stride-ca starts with small limits" start_ca

# --- sizes ---------------------------------------------------------------------------------
head -c 5000 /dev/zero | tr '\0' a >"$WORK/body5000"
head -c 4000 /dev/zero | tr '\0' a >"$WORK/body4000"
curl_ca --max-time 10 -X POST --data-binary @"$WORK/body5000" /sign >/dev/null
expect_eq "body over maxBodyBytes: 413" 413 "$(cat "$WORK/status")"
expect_eq "body over maxBodyBytes: step's error body" 413 "$(jq -r .status "$WORK/body")"
healthy "body over maxBodyBytes"
curl_ca --max-time 10 -X POST --data-binary @"$WORK/body4000" /sign >/dev/null
expect_eq "body under maxBodyBytes reaches the handler (400: not JSON)" 400 "$(cat "$WORK/status")"

curl_ca --max-time 10 -H "X-Big: $(head -c 10000 /dev/zero | tr '\0' b)" /health >/dev/null
status=$(cat "$WORK/status")
if [[ $status == 4* ]]; then pass "headers over maxHeaderBytes: 4xx ($status)"; else fail "headers over maxHeaderBytes: status $status"; fi
healthy "headers over maxHeaderBytes"
curl_ca --max-time 10 -H "X-Big: $(head -c 6000 /dev/zero | tr '\0' b)" /health >/dev/null
expect_eq "headers under maxHeaderBytes: 200" 200 "$(cat "$WORK/status")"

# --- deadlines, all at once -----------------------------------------------------------------
tls_session trickle trickle &
p1=$!
tls_session silent silent &
p2=$!
tls_session idle keepalive &
p3=$!
raw_tcp raw &
p4=$!
wait $p1 $p2 $p3 $p4

# readTimeout 2s counts from the end of the handshake (the trickle starts right away).
within "trickling client cut at readTimeout" 1900 5000 "$(cat "$WORK/trickle.ms")"
expect_contains "trickling client is told 408" "HTTP/1.1 408 Request Timeout" "$(cat "$WORK/trickle.out")"
if grep -q 'HTTP/1.1 400' "$WORK/trickle.out"; then
	fail "the trickled request was answered: it was not cut"
else
	pass "the trickled request never completed"
fi
within "TLS connection sending nothing closed at readTimeout" 1900 5000 "$(cat "$WORK/silent.ms")"
expect_eq "TLS connection sending nothing gets no answer" "" "$(cat "$WORK/silent.out")"
# idleTimeout 3s after the response; a close at readTimeout (2s) would be too early.
within "idle keep-alive connection closed at idleTimeout" 2900 6500 "$(cat "$WORK/idle.ms")"
expect_contains "idle keep-alive connection got its answer first" "HTTP/1.1 200 OK" "$(cat "$WORK/idle.out")"
read -r raw_rc raw_ms <"$WORK/raw.res"
expect_eq "TCP connection without a handshake is closed by the server" 1 "$raw_rc"
within "TCP connection without a handshake closed at handshakeTimeout" 1900 5000 "$raw_ms"
grep -q '"msg":"connection timed out".*"phase":"read"' "$WORK/ca.log" &&
	pass "the read timeout is logged" || fail "no log line for the read timeout"
healthy "after the slow clients"

# writeTimeout 3s counts from the end of the request whose answer does not get through; while
# it waits, the server buffers at most one request of what the client keeps sending.
flood
within "client that does not read its answers cut at writeTimeout" 3000 10000 "$(cat "$WORK/flood.ms")"
sent=$(cat "$WORK/flood.sent")
if [[ $sent == unknown ]] || { [[ $sent =~ ^[0-9]+$ ]] && ((sent < 30000)); }; then
	pass "the server stops reading what a client pipelines ($sent kB sent, server +$(cat "$WORK/flood.rss") kB)"
else
	fail "the server read what a client pipelined without reading the answers ($sent kB of 58594)"
fi
healthy "after the client that does not read"
check "stride-ca stops cleanly" stop_ca

# --- maxConnections -------------------------------------------------------------------------
edit_ca_json '.limits = {maxConnections: 3, readTimeout: "20s", handshakeTimeout: "20s"}'
check "stride-ca starts with maxConnections 3" start_ca
exec {c1}<>"/dev/tcp/127.0.0.1/$PORT" {c2}<>"/dev/tcp/127.0.0.1/$PORT" {c3}<>"/dev/tcp/127.0.0.1/$PORT"
sleep 0.5
curl -s --max-time 2 --cacert "$STRIDEPATH/certs/root_ca.crt" "$CA_URL/health" >"$WORK/capped.out"
expect_eq "a 4th connection waits while 3 are open (curl timeout)" 28 "$?"
exec {c1}>&- {c2}>&- {c3}>&-
expect_eq "served again once they close" '{"status":"ok"}' "$(curl_ca --max-time 10 /health)"
for i in 1 2 3 4 5; do
	curl_ca --max-time 10 /health >/dev/null
	[[ $(cat "$WORK/status") == 200 ]] || break
done
expect_eq "sequential connections are not counted twice" 200 "$(cat "$WORK/status")"
check "stride-ca stops cleanly" stop_ca

# --- a body over maxBodyBytes is refused at once ---------------------------------------------
# With a long readTimeout: the 413 must not wait for the body (nor for the deadline). It carries
# step's error body, and the server closes the connection after it; a client that is still
# sending its body reads it all the same (the server drops what comes after, it does not reset).
edit_ca_json '.limits = {maxBodyBytes: 4096, readTimeout: "30s"}'
check "stride-ca starts with maxBodyBytes 4096, readTimeout 30s" start_ca
TOO_LARGE='{"status":413,"message":"The certificate authority received an unexpected HTTP status code - '"'"'413'"'"'. Please see the certificate authority logs for more info."}'
head -c 5000000 /dev/zero | tr '\0' a >"$WORK/body5M"
# A Content-Length one over the limit, and no body.
headers_only() {
	printf 'POST /sign HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4097\r\n\r\n'
	pause 10
}
# A Content-Length of 5 MB and the whole body, without reading the answer first.
whole_body() {
	printf 'POST /sign HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\n\r\n'
	cat "$WORK/body5M"
	pause 10
}
# closed NAME DESCRIPTION: the server ended the TLS session NAME (s_client was not stopped by
# its timeout).
closed() {
	local rc
	rc=$(cat "$WORK/$1.rc")
	[[ $rc != 124 ]] && pass "$2: the server closed the connection (s_client exit $rc)" ||
		fail "$2: the connection was still open when s_client timed out"
}
tls_session early headers_only 5
closed early "Content-Length over maxBodyBytes, no body"
expect_eq "Content-Length over maxBodyBytes, no body: 413" "HTTP/1.1 413 Request Entity Too Large" \
	"$(head -n 1 "$WORK/early.out" | tr -d '\r')"
expect_contains "Content-Length over maxBodyBytes, no body: Connection: close" $'Connection: close\r' "$(cat "$WORK/early.out")"
expect_eq "Content-Length over maxBodyBytes, no body: step's error body" "$TOO_LARGE" "$(tail -n 1 "$WORK/early.out")"
tls_session whole whole_body 5
closed whole "the whole 5 MB body sent"
expect_eq "the whole 5 MB body sent: 413" "HTTP/1.1 413 Request Entity Too Large" \
	"$(head -n 1 "$WORK/whole.out" | tr -d '\r')"
expect_eq "the whole 5 MB body sent: step's error body" "$TOO_LARGE" "$(tail -n 1 "$WORK/whole.out")"
for how in "" "-H Transfer-Encoding:chunked" "-H Expect:100-continue"; do
	# shellcheck disable=SC2086
	curl_ca --max-time 5 -X POST $how --data-binary @"$WORK/body5M" /sign >/dev/null
	expect_eq "curl, 5 MB body ${how:-with Content-Length}: 413" 413 "$(cat "$WORK/status")"
	expect_eq "curl, 5 MB body ${how:-with Content-Length}: step's error body" "$TOO_LARGE" "$(cat "$WORK/body")"
done
curl_ca --max-time 5 -X POST -H Transfer-Encoding:chunked --data-binary @"$WORK/body4000" /sign >/dev/null
expect_eq "chunked body under maxBodyBytes reaches the handler (400: not JSON)" 400 "$(cat "$WORK/status")"
grep -q '"msg":"request body too large"' "$WORK/ca.log" && pass "the early 413 is logged" || fail "no log line for the early 413"
healthy "after the oversized bodies"
check "stride-ca stops cleanly" stop_ca

# --- invalid limits: stride-ca refuses to start and names the field --------------------------
# (A stride-ca that starts anyway is killed: status 137 fails check_fails.)
bad_limit() {
	local field=$1 value=$2
	jq --tab --argjson v "$value" ".limits = {\"$field\": \$v}" "$WORK/ca.json.orig" >"$WORK/bad.json"
	check_fails "limits.$field = $value is refused" timeout -s KILL 10 "$STRIDE_CA_BIN" \
		--password-file "$WORK/password" "$WORK/bad.json"
	expect_contains "limits.$field = $value: the message names the field" \
		"$WORK/bad.json: limits.$field" "$(cat "$WORK/last.err")"
}
bad_limit readTimeout '"-1s"'
bad_limit writeTimeout '15'
bad_limit idleTimeout '"2h"'
bad_limit handshakeTimeout '"0s"'
bad_limit readTimeout '"fast"'
bad_limit maxBodyBytes '100'
bad_limit maxBodyBytes '"1MiB"'
bad_limit maxHeaderBytes '2147483648'
bad_limit maxConnections '0'
bad_limit maxConections '10'
jq --tab '.limits = "small"' "$WORK/ca.json.orig" >"$WORK/bad.json"
check_fails "limits that is not an object is refused" timeout -s KILL 10 "$STRIDE_CA_BIN" \
	--password-file "$WORK/password" "$WORK/bad.json"
expect_contains "limits that is not an object: message" "limits must be an object" "$(cat "$WORK/last.err")"
finish
