#!/usr/bin/env bash
# stride-ca's start, logs and stop: start-up errors, the pid file, one JSON log line per
# request, its own TLS certificate, graceful shutdown with a request in flight.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
CFG="$STRIDEPATH/config/ca.json"

check_fails "missing configuration file" "$STRIDE_CA_BIN" "$WORK/nope.json"
expect_contains "missing configuration message" "can't find or open the configuration file" "$(cat "$WORK/last.err")"
printf 'wrong\n' >"$WORK/wrong"
check_fails "wrong key password" "$STRIDE_CA_BIN" --password-file "$WORK/wrong" "$CFG"
expect_contains "wrong password message" "password" "$(cat "$WORK/last.err")"
printf '{"root": ' >"$WORK/broken.json"
check_fails "malformed ca.json" "$STRIDE_CA_BIN" --password-file "$WORK/password" "$WORK/broken.json"
expect_contains "malformed ca.json names the file" "$WORK/broken.json" "$(cat "$WORK/last.err")"

# Start with a pid file.
"$STRIDE_CA_BIN" --password-file "$WORK/password" --pidfile "$WORK/ca.pid" "$CFG" >"$WORK/ca.log" 2>&1 &
CA_PID=$!
for _ in $(seq 1 100); do
	curl -s --cacert "$STRIDEPATH/certs/root_ca.crt" "$CA_URL/health" >/dev/null 2>&1 && break
	sleep 0.1
done
expect_eq "pid file" "$CA_PID" "$(cat "$WORK/ca.pid" 2>/dev/null)"
check_fails "a second server on the same port fails" "$STRIDE_CA_BIN" --password-file "$WORK/password" "$CFG"

# The server's own certificate: issued by the intermediate, SANs = dnsNames, 24h.
echo | openssl s_client -connect "127.0.0.1:$PORT" -servername localhost 2>/dev/null |
	openssl x509 >"$WORK/server.crt" 2>/dev/null
text=$(openssl x509 -in "$WORK/server.crt" -noout -text 2>/dev/null)
expect_contains "server certificate SANs" "DNS:localhost, IP Address:127.0.0.1" "$text"
expect_contains "server certificate CN" "Subject: CN = Step Online CA" "$text"
check "server certificate chains to the root" openssl verify -CAfile "$STRIDEPATH/certs/root_ca.crt" \
	-untrusted "$STRIDEPATH/certs/intermediate_ca.crt" "$WORK/server.crt"
nb=$(date -d "$(openssl x509 -in "$WORK/server.crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$WORK/server.crt" -noout -enddate | cut -d= -f2)" +%s)
expect_eq "server certificate lifetime" 86460 "$((na - nb))"
check_fails "TLS 1.1 is refused" bash -c "echo | openssl s_client -tls1_1 -connect 127.0.0.1:$PORT 2>&1 | grep -q 'BEGIN CERTIFICATE'"

# One JSON log line per request.
curl_ca -H 'User-Agent: e2e-agent' /health >/dev/null
sleep 0.2
line=$(grep '"e2e-agent"' "$WORK/ca.log" | tail -n 1)
expect_eq "request log line is JSON with method, path, status" "GET /health 200" \
	"$(echo "$line" | jq -r '"\(.method) \(.path) \(.status)"' 2>/dev/null)"

# A request in flight when SIGTERM arrives is still answered.
{
	printf 'POST /sign HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{"csr":'
	sleep 1.5
	printf '"","ott":""}\n'
	sleep 2
} | openssl s_client -quiet -connect "127.0.0.1:$PORT" >"$WORK/inflight.out" 2>/dev/null &
client=$!
sleep 0.7
kill -TERM "$CA_PID"
wait "$client"
wait "$CA_PID"
rc=$?
CA_PID=""
expect_contains "the in-flight request got its answer" "HTTP/1.1 400" "$(cat "$WORK/inflight.out")"
expect_eq "exit status 0 after SIGTERM" 0 "$rc"
[[ ! -e $WORK/ca.pid ]] && pass "pid file removed" || fail "pid file left behind"

check "restart" start_ca
kill -INT "$CA_PID"
wait "$CA_PID"
expect_eq "exit status 0 after SIGINT" 0 "$?"
CA_PID=""
finish
