#!/usr/bin/env bash
# stride-ca's TLS policy, checked with openssl s_client: TLS 1.2 and 1.3 only, ECDHE + AEAD
# suites in the server's order, X25519 / P-256 / P-384, no renegotiation, no compression; the
# ca.json tls section honoured; weak settings in it refused at start-up.
source "$(dirname "$0")/lib.sh"

# s_client ARGS...: one handshake (and nothing sent); the whole output.
s_client() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost "$@" 2>&1
}

# handshake_ok DESCRIPTION EXPECTED_CIPHER ARGS...: the handshake succeeds with this suite.
handshake_ok() {
	local what=$1 cipher=$2 out
	shift 2
	out=$(s_client "$@")
	expect_contains "$what" ", Cipher is $cipher" "$out"
}

# handshake_refused DESCRIPTION ALERT ARGS...: the server answers with this alert (so the
# refusal is the server's, not the client's).
handshake_refused() {
	local what=$1 alert=$2 out
	shift 2
	out=$(s_client "$@")
	if [[ $out == *"alert $alert"* && $out == *"Cipher is (NONE)"* ]]; then
		pass "$what"
	else
		fail "$what: no '$alert' alert: $(grep -m3 -E 'alert|Cipher is|error' <<<"$out")"
	fi
}

# refuses_to_start DESCRIPTION MESSAGE: stride-ca exits non-zero (not a crash, not a timeout,
# no sanitizer report) with MESSAGE on stderr.
refuses_to_start() {
	local rc
	timeout 10 "$STRIDE_CA_BIN" --password-file "$WORK/password" "$CFG" >"$WORK/refused.out" 2>&1
	rc=$?
	if ((rc != 0 && rc != 124 && rc < 128)) && ! grep -q Sanitizer "$WORK/refused.out"; then
		pass "$1: exit status $rc"
	else
		fail "$1: exit status $rc: $(head -c 600 "$WORK/refused.out")"
	fi
	expect_contains "$1: message" "$2" "$(cat "$WORK/refused.out")"
}

# Clients may refuse old versions themselves (OpenSSL 3: TLS < 1.2 needs security level 0).
OLD=(-cipher 'DEFAULT:@SECLEVEL=0')

check "ca init" init_ca
CFG="$STRIDEPATH/config/ca.json"
cp "$CFG" "$WORK/ca.json.orig"

# ---- the default tls section written by ca init ----
check "start with the default tls section" start_ca
handshake_refused "TLS 1.0 refused" "protocol version" -tls1 "${OLD[@]}"
handshake_refused "TLS 1.1 refused" "protocol version" -tls1_1 "${OLD[@]}"
out=$(s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)
expect_contains "TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256" \
	"New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" "$out"
expect_contains "TLS 1.2: no compression" "Compression: NONE" "$out"
expect_contains "TLS 1.2: X25519 preferred" "Server Temp Key: X25519" "$out"
handshake_ok "TLS 1.2: the server's order wins" ECDHE-ECDSA-CHACHA20-POLY1305 \
	-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305
handshake_refused "TLS 1.2 CBC suite refused" "handshake failure" \
	-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
handshake_refused "TLS 1.2 CBC-SHA384 suite refused" "handshake failure" \
	-tls1_2 -cipher ECDHE-ECDSA-AES256-SHA384
handshake_refused "TLS 1.2 RSA key exchange refused" "handshake failure" \
	-tls1_2 -cipher AES128-GCM-SHA256
handshake_refused "TLS 1.2 AES-CCM suite refused" "handshake failure" \
	-tls1_2 -cipher ECDHE-ECDSA-AES128-CCM
handshake_refused "TLS 1.2 P-521 only refused" "handshake failure" -tls1_2 -groups P-521
out=$(s_client -tls1_3)
expect_contains "TLS 1.3" "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" "$out"
expect_contains "TLS 1.3: no compression" "Compression: NONE" "$out"
handshake_ok "TLS 1.3 with ChaCha20-Poly1305" TLS_CHACHA20_POLY1305_SHA256 \
	-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
handshake_refused "TLS 1.3 AES-CCM suite refused" "handshake failure" \
	-tls1_3 -ciphersuites TLS_AES_128_CCM_SHA256
out=$(s_client -tls1_3 -groups P-384)
expect_contains "TLS 1.3 with P-384" "Server Temp Key: ECDH, secp384r1" "$out"
handshake_ok "TLS 1.3 with P-256" TLS_AES_256_GCM_SHA384 -tls1_3 -groups P-256
handshake_refused "TLS 1.3 X448 refused" "handshake failure" -tls1_3 -groups X448
handshake_refused "TLS 1.3 ffdhe2048 refused" "handshake failure" -tls1_3 -groups ffdhe2048

# Renegotiation: the request sent after "R" is not answered; without "R" it is.
reneg() {
	{
		printf '%s' "$1"
		sleep 0.5
		printf 'GET /health HTTP/1.0\r\n\r\n'
		sleep 0.5
	} | timeout 10 openssl s_client -tls1_2 -connect "127.0.0.1:$PORT" -servername localhost 2>&1
}
out=$(reneg "")
expect_contains "TLS 1.2 without renegotiation answers" '{"status":"ok"}' "$out"
out=$(reneg $'R\n')
if [[ $out == *RENEGOTIATING* && $out == *"no renegotiation"* && $out != *'"status":"ok"'* ]]; then
	pass "client-initiated renegotiation refused"
else
	fail "client-initiated renegotiation refused: $(grep -m4 -E 'RENEG|renegotiation|status|error' <<<"$out")"
fi
stop_ca

# ---- an explicit tls section is honoured ----
edit_ca_json '.tls = {"cipherSuites": ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"], "minVersion": 1.3, "maxVersion": 1.3}'
check "start with minVersion 1.3" start_ca
handshake_refused "minVersion 1.3: TLS 1.2 refused" "protocol version" -tls1_2
handshake_ok "minVersion 1.3: TLS 1.3 accepted" TLS_AES_256_GCM_SHA384 -tls1_3
stop_ca

edit_ca_json '.tls = {"cipherSuites": ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"], "minVersion": 1.2, "maxVersion": 1.2}'
check "start with maxVersion 1.2 and one suite" start_ca
handshake_refused "maxVersion 1.2: TLS 1.3 refused" "protocol version" -tls1_3
handshake_ok "cipherSuites: the configured suite" ECDHE-ECDSA-AES256-GCM-SHA384 -tls1_2
handshake_refused "cipherSuites: a suite not listed is refused" "handshake failure" \
	-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305
stop_ca

# ---- weak settings: stride-ca refuses to start and says why ----
edit_ca_json '.tls.cipherSuites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"]'
refuses_to_start "a CBC suite in ca.json" \
	"tls cipher suite 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA' is not allowed"
edit_ca_json '.tls.cipherSuites = ["TLS_RSA_WITH_AES_128_GCM_SHA256"]'
refuses_to_start "an RSA key exchange suite in ca.json" \
	"tls cipher suite 'TLS_RSA_WITH_AES_128_GCM_SHA256' is not allowed"
cp "$WORK/ca.json.orig" "$CFG"
edit_ca_json '.tls.minVersion = 1.1'
refuses_to_start "minVersion 1.1 in ca.json" \
	"tls minVersion 1.1 is not allowed: stride-ca requires TLS 1.2 or later"
cp "$WORK/ca.json.orig" "$CFG"
edit_ca_json '.tls.minVersion = 1.0 | .tls.maxVersion = 1.1'
refuses_to_start "minVersion 1.0 in ca.json" "tls minVersion 1.0 is not allowed"

finish
