#!/usr/bin/env bash
# stride-ca under a Type=notify service manager: a datagram socket (an abstract name, as
# systemd's NOTIFY_SOCKET may be) stands in for systemd. READY=1 arrives once /health answers,
# with a STATUS= naming the address; SIGHUP sends RELOADING=1 and READY=1 again; SIGTERM sends
# STOPPING=1 and the server exits 0.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || {
	echo "python3 is missing (scripts/deps.sh installs it)" >&2
	exit 1
}

check "ca init" init_ca
NAME="@stride-e2e-notify-$$-$RANDOM"
OUT="$WORK/notify.log"
: >"$OUT"
# The listener prints each datagram as one line ('|' for its newlines) and ends after
# STOPPING=1 (or 60 s of silence).
timeout 90 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1][1:])
s.settimeout(60)
with open(sys.argv[2], "a") as f:
    print("BOUND", file=f, flush=True)
    while True:
        try:
            d = s.recv(4096)
        except socket.timeout:
            break
        print(d.decode().replace("\n", "|"), file=f, flush=True)
        if b"STOPPING=1" in d:
            break
' "$NAME" "$OUT" &
LISTENER=$!

# wait_line REGEX SECONDS: until the listener logged a matching line.
wait_line() {
	local deadline=$((SECONDS + $2))
	while ((SECONDS < deadline)); do
		grep -qE "$1" "$OUT" && return 0
		sleep 0.05
	done
	return 1
}
wait_line '^BOUND$' 20 || fail "the notify listener did not start"

NOTIFY_SOCKET=$NAME "$STRIDE_CA_BIN" --password-file "$WORK/password" \
	"$STRIDEPATH/config/ca.json" >>"$WORK/ca.log" 2>&1 &
CA_PID=$!
if wait_line '^READY=1' 20; then
	pass "READY=1 is sent"
	# The CA answers as soon as READY=1 is there: no retry.
	status=$(curl -s -o "$WORK/health" -w '%{http_code}' --cacert "$STRIDEPATH/certs/root_ca.crt" \
		"$CA_URL/health")
	expect_eq "/health answers right after READY=1" "200 {\"status\":\"ok\"}" \
		"$status $(tr -d '\n' <"$WORK/health")"
else
	fail "no READY=1: $(cat "$OUT") $(tail -n 5 "$WORK/ca.log")"
fi
expect_eq "READY=1 comes with the status" "READY=1|STATUS=Serving HTTPS on 127.0.0.1:$PORT" \
	"$(grep -m1 '^READY=1' "$OUT")"
expect_eq "one notification while serving" "1" "$(grep -vc '^BOUND$' "$OUT")"

# SIGHUP: RELOADING=1 (with the monotonic time systemd asks for), then READY=1 again.
kill -HUP "$CA_PID"
for _ in $(seq 1 200); do
	(($(grep -c '^READY=1' "$OUT") >= 2)) && break
	sleep 0.05
done
expect_eq "SIGHUP: RELOADING=1, then READY=1" \
	"RELOADING=1|MONOTONIC_USEC=N READY=1|STATUS=Serving HTTPS on 127.0.0.1:$PORT" \
	"$(grep -vE '^BOUND$' "$OUT" | tail -n 2 | sed -E 's/MONOTONIC_USEC=[0-9]+/MONOTONIC_USEC=N/' | tr '\n' ' ' | sed 's/ $//')"

kill -TERM "$CA_PID"
wait "$CA_PID"
expect_eq "stride-ca exits 0 on SIGTERM" "0" "$?"
CA_PID=""
wait_line '^STOPPING=1' 10
expect_eq "STOPPING=1 on SIGTERM" "STOPPING=1|STATUS=Shutting down" \
	"$(grep -m1 '^STOPPING=1' "$OUT")"
wait "$LISTENER" 2>/dev/null

# Without NOTIFY_SOCKET nothing is sent and nothing is said about it.
check "stride-ca starts without NOTIFY_SOCKET" start_ca
stop_ca
if grep -q "notify" "$WORK/ca.log"; then
	fail "a notification message without NOTIFY_SOCKET: $(grep notify "$WORK/ca.log")"
else
	pass "no notification message without NOTIFY_SOCKET"
fi
finish
