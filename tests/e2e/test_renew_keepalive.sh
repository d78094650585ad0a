#!/usr/bin/env bash
# A renewal over mTLS replaces the identity the TLS session of its connection carries: the
# server answers it with "Connection: close" and closes, so that a client that keeps its
# connection and only swaps the certificate it presents (step ca renew --daemon) renews its
# current certificate, not the one it connected with, and keeps renewing past that one's
# expiry. A renewal with a Bearer token or a failed one leaves the connection open.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
# Short certificates: the provisioner allows 5 s.
edit_ca_json '.authority.provisioners[0].claims = {"minTLSCertDuration": "5s"}'
check "stride-ca starts" start_ca
cd "$WORK" || exit 1
ROOT="$STRIDEPATH/certs/root_ca.crt"

seconds() { date -d "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }

# two PATH [curl args...]: two POSTs to PATH in one curl run (--next keeps the connection
# cache); per transfer "<status> <connections it opened> <Connection header>" on a line.
# The bodies go to b1 and b2.
two() {
	local path=$1
	shift
	timeout 20 curl -s --cacert "$ROOT" -X POST "$@" "$CA_URL$path" -o b1 -w "$W" \
		--next -s --cacert "$ROOT" -X POST "$@" "$CA_URL$path" -o b2 -w "$W"
}
W='%{http_code} %{num_connects} %header{connection}\n'

# --- one curl run, two renewals ---------------------------------------------------------------
check "a certificate" cert a --not-after 1h
expect_eq "mTLS: the first renewal closes, the second needs a new connection" \
	$'201 1 close\n201 1 close' "$(two /renew --cert a.crt --key a.key)"
[[ $(jq -r .crt b1) != "$(jq -r .crt b2)" ]] && pass "two different certificates" || fail "same certificate twice"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k2.key -out k2.csr -subj "/" 2>/dev/null
expect_eq "rekey: closes too" $'201 1 close\n201 1 close' \
	"$(two /rekey --cert a.crt --key a.key --data-binary "$(jq -n --rawfile csr k2.csr '{csr: $csr}')")"
expect_eq "a failed renewal keeps the connection" $'400 1 \n400 0 ' "$(two /rekey --cert a.crt --key a.key -d '{}')"
openssl req -new -sha256 -out kyma.csr -key a.key -subj "/CN=a.example.com" 2>/dev/null
expect_eq "Kyma renewal: closes too" $'201 1 close\n201 1 close' \
	"$(two /v1/applications/certificates/renewals --cert a.crt --key a.key -d "{\"csr\":\"$(base64 -w0 kyma.csr)\"}")"
expect_eq "a failed Kyma renewal keeps the connection" $'400 1 \n400 0 ' \
	"$(two /v1/applications/certificates/renewals --cert a.crt --key a.key -d '{"csr":"x"}')"
check "renew token" "$STRIDE_BIN" ca token a.example.com --renew --x5c-cert a.crt --x5c-key a.key
tok=$(cat "$WORK/last.out")
check "another renew token" "$STRIDE_BIN" ca token a.example.com --renew --x5c-cert a.crt --x5c-key a.key
tok2=$(cat "$WORK/last.out")
expect_eq "Bearer renewals keep the connection" $'201 1 \n201 0 ' "$(timeout 20 curl -s --cacert "$ROOT" \
	-X POST -H "Authorization: Bearer $tok" "$CA_URL/renew" -o b1 -w "$W" \
	--next -s --cacert "$ROOT" -X POST -H "Authorization: Bearer $tok2" "$CA_URL/renew" -o b2 -w "$W")"

# --- TLS sessions ------------------------------------------------------------------------------
# A resumed session would bring back the certificate of the handshake that made it: sessions
# with a client certificate are not resumed (TLS 1.3: no ticket is even issued; TLS 1.2: the
# ticket comes back and is refused); others are.
# session NAME [s_client args...]: "<first> <second>" (New or Reused) for a connection that
# saves its session (open for a second, so that TLS 1.3 tickets arrive) and one that offers it
# ("-" when the first one had no resumable session to save).
session() {
	local name=$1 a b=-
	shift
	a=$(sleep 1 | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
		-CAfile "$ROOT" -sess_out "$name.sess" "$@" 2>/dev/null | grep -m1 -oE '^(New|Reused),')
	if [[ -s $name.sess ]]; then
		b=$(sleep 1 | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
			-CAfile "$ROOT" -sess_in "$name.sess" "$@" 2>/dev/null | grep -m1 -oE '^(New|Reused),')
	fi
	echo "${a%,} ${b%,}"
}
expect_eq "TLS 1.3 with a client certificate: no ticket issued, so no resumption" "New -" "$(session c13 -tls1_3 -cert a.crt -key a.key)"
expect_eq "TLS 1.2 with a client certificate: not resumed" "New New" "$(session c12 -tls1_2 -cert a.crt -key a.key)"
expect_eq "TLS 1.3 without: resumed" "New Reused" "$(session n13 -tls1_3)"
expect_eq "TLS 1.2 without: resumed" "New Reused" "$(session n12 -tls1_2)"
# One TLS 1.3 ticket per handshake (OpenSSL's default is two), to a client that offers psk_dhe_ke
# (s_client always does).
tickets=$(sleep 1 | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
	-CAfile "$ROOT" -tls1_3 -msg 2>/dev/null | grep -c '<<< .*NewSessionTicket')
expect_eq "TLS 1.3: one session ticket" 1 "$tickets"

# --- a daemon that swaps its certificate on one keep-alive connection --------------------------
check "certificate d (15 s)" cert d --not-after 15s
first_na=$(seconds d.crt enddate)
timeout 40 "$TESTTOOL" renew-daemon "$CA_URL/renew" "$ROOT" d.crt d.key 3000 25 >daemon.out 2>daemon.err
rc=$?
expect_eq "daemon: every renewal 201" 0 "$rc"
n=$(wc -l <daemon.out)
((n >= 7)) && pass "daemon: $n renewals" || fail "daemon: only $n renewals: $(cat daemon.out)"
expect_eq "daemon: statuses" "" "$(awk '$2 != 201' daemon.out)"
expect_eq "daemon: every renewal on a new connection" "" "$(awk '$3 != 1' daemon.out)"
expect_eq "daemon: each serial differs from the one before" "" \
	"$(awk 'NR > 1 && $4 == prev {print} {prev = $4}' daemon.out)"
last=$(tail -n 1 daemon.out | cut -d' ' -f1)
((last > first_na)) && pass "daemon: the last renewal ($last) is after the first certificate's notAfter ($first_na)" ||
	fail "daemon: last renewal $last, first notAfter $first_na: $(cat daemon.out)"
expect_eq "daemon: d.crt is the last certificate" "$(tail -n 1 daemon.out | cut -d' ' -f4)" \
	"$(echo "ibase=16; $(openssl x509 -noout -serial -in d.crt | cut -d= -f2)" | BC_LINE_LENGTH=0 bc)"

finish
