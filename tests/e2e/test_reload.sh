#!/usr/bin/env bash
# SIGHUP reloads ca.json without a restart and without dropping connections: a provisioner
# added (its token is accepted) or removed (its token gets step-ca's 401), the authority's
# default TLS certificate duration, tls.minVersion (new handshakes only), a file with bad JSON
# (refused, logged, nothing changes) and a changed address (logged as needing a restart).
source "$(dirname "$0")/lib.sh"

GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
CFG="$STRIDEPATH/config/ca.json"

last_reload_line() {
	grep -E '"msg":"(configuration reloaded|reload refused|reload: )' "$WORK/ca.log" | tail -n "${1:-1}"
}
# lifetime CERT: notAfter - notBefore in seconds.
lifetime() {
	echo $(($(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s) -
		$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)))
}
# handshake VERSION_FLAG: "ok" when a TLS handshake with that version succeeds (s_client's
# exit status also reflects how the connection ended, so its summary line is what counts).
handshake() {
	timeout 10 openssl s_client -connect "127.0.0.1:$PORT" "$1" \
		-CAfile "$STRIDEPATH/certs/root_ca.crt" </dev/null >"$WORK/hs$1.out" 2>&1
	if grep -q '^New, TLSv1' "$WORK/hs$1.out"; then
		echo ok
	else
		echo refused
	fi
}
# keepalive_get N: sends a GET /health on the held connection and waits for the Nth answer.
keepalive_get() {
	# (in a subshell: a connection that is gone fails this check, not the script by SIGPIPE)
	(printf 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n' >&3) 2>/dev/null || return 1
	for _ in $(seq 1 100); do
		(($(grep -c '^HTTP/1.1 200' "$WORK/ka.out") >= $1)) && return 0
		sleep 0.05
	done
	return 1
}

check "ca init" init_ca
# the held connection must outlive the idle timeout between its requests (slow builds)
edit_ca_json '.limits = {idleTimeout: "5m"}'
check "start" start_ca
cd "$WORK" || exit 1

# --- a keep-alive connection (TLS 1.2) held across every reload below ---------------------
mkfifo ka.in
timeout 120 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -quiet \
	-CAfile "$STRIDEPATH/certs/root_ca.crt" <ka.in >ka.out 2>ka.err &
KA_PID=$!
exec 3>ka.in
check "keep-alive connection: first request" keepalive_get 1

# --- a provisioner added to ca.json --------------------------------------------------------
printf 'reloaded-password\n' >reloaded-pass
check "add a provisioner to ca.json" "$STRIDE_BIN" ca provisioner add reloaded --create \
	--password-file reloaded-pass
check_fails "before the reload its token is refused" "$STRIDE_BIN" ca certificate \
	before.example.com before.crt before.key --provisioner reloaded \
	--provisioner-password-file reloaded-pass
check "SIGHUP" reload_ca
expect_contains "reload logged with what was applied" \
	"\"msg\":\"configuration reloaded\",\"file\":\"$CFG\",\"applied\":\"authority.provisioners\"" \
	"$(last_reload_line)"
check "after the reload its token is accepted" "$STRIDE_BIN" ca certificate \
	added.example.com added.crt added.key --provisioner reloaded \
	--provisioner-password-file reloaded-pass
expect_eq "issued by the new provisioner" "added.example.com" \
	"$(openssl x509 -in added.crt -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')"
check "keep-alive connection: still served after the reload" keepalive_get 2

# --- the provisioner removed ---------------------------------------------------------------
check "a token of the provisioner" "$STRIDE_BIN" ca token removed.example.com --provisioner reloaded \
	--provisioner-password-file reloaded-pass
TOKEN=$(cat "$WORK/last.out")
check "remove it from ca.json" "$STRIDE_BIN" ca provisioner remove reloaded
check "SIGHUP" reload_ca
new_csr removed removed.example.com
curl_ca -X POST -H 'Content-Type: application/json' --data "$(sign_body removed.csr "$TOKEN")" \
	/1.0/sign >/dev/null
expect_eq "its token now gets step-ca's 401" "401 $GENERIC_401" \
	"$(cat status) $(jq -r .message body)"

# --- the authority's claims ----------------------------------------------------------------
check "a certificate before" cert before
expect_eq "default duration 24h (+1m backdate)" 86460 "$(lifetime before.crt)"
edit_ca_json '.authority.claims = {defaultTLSCertDuration: "2h"}'
check "SIGHUP" reload_ca
expect_contains "claims applied" '"applied":"authority.claims"' "$(last_reload_line)"
check "a certificate after" cert after
expect_eq "default duration now 2h (+1m backdate)" 7260 "$(lifetime after.crt)"

# --- tls.minVersion ------------------------------------------------------------------------
expect_eq "TLS 1.2 handshake before" ok "$(handshake -tls1_2)"
edit_ca_json '.tls.minVersion = 1.3'
check "SIGHUP" reload_ca
expect_contains "tls applied" '"applied":"tls"' "$(last_reload_line)"
expect_eq "TLS 1.2 handshake now refused" refused "$(handshake -tls1_2)"
expect_contains "refused for its version" "alert protocol version" "$(cat hs-tls1_2.out)"
expect_eq "TLS 1.3 handshake works" ok "$(handshake -tls1_3)"
check "keep-alive TLS 1.2 connection kept its context" keepalive_get 3

# --- invalid JSON --------------------------------------------------------------------------
cp "$CFG" ca.json.good
printf '{"root": "x",\n' >"$CFG"
check "SIGHUP" reload_ca
expect_contains "refusal logged with the file and the reason" \
	"\"level\":\"error\",\"msg\":\"reload refused: the running configuration is kept\",\"file\":\"$CFG\",\"error\":\"error parsing $CFG" \
	"$(last_reload_line)"
check "the CA still serves with its provisioners" cert still
expect_eq "and its claims" 7260 "$(lifetime still.crt)"
expect_eq "and its TLS settings" refused "$(handshake -tls1_2)"
cp ca.json.good "$CFG"

# --- a member that needs a restart ---------------------------------------------------------
edit_ca_json '.address = "127.0.0.1:1" | .authority.backdate = "2m"'
check "SIGHUP" reload_ca
expect_contains "named as needing a restart" \
	"\"msg\":\"reload: changes that need a restart were not applied\",\"file\":\"$CFG\",\"fields\":\"address, authority.backdate\"" \
	"$(last_reload_line 2)"
expect_contains "the rest reloaded" '"applied":"nothing changed"' "$(last_reload_line)"
check "still serving on the old address" cert last
check "keep-alive connection: still served at the end" keepalive_get 4

exec 3>&-
kill "$KA_PID" 2>/dev/null # -quiet ignores the end of its input
wait "$KA_PID" 2>/dev/null
stop_ca
finish
