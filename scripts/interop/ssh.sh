#!/usr/bin/env bash
# stride's SSH commands against the real step-ca 0.19 SSH CA, with a real sshd (ssh.md §10):
#  1. step-ca 0.19 starts on the tree of `stride ca init --ssh --no-db` and serves its SSH CA
#     keys and templates;
#  2. on a tree of step's own init --ssh (stepca-init --ssh): `stride ssh certificate` for a
#     user and a host, an sshd of this script's own (free loopback port, configuration and PID
#     file in a scratch directory, stopped by PID) trusting the user CA, a login with the user
#     certificate through the known_hosts `stride ssh config` writes, a principal outside the
#     certificate refused, SSHPOP renew/rekey/revoke, `ssh inspect` = `ssh-keygen -L`, and
#     step-ca's answers to bad requests.
# Not part of CI (needs scripts/interop/build-stepca.sh and root for sshd).
#
# Usage: scripts/interop/ssh.sh [--bin DIR] [--stride-build DIR]
# Exit status 0 only when every step is ok.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${STRIDE_INTEROP_DIR:-/tmp/stride-interop}/bin"
sbuild="$repo/build"
inner=0
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bin="$2"; shift 2 ;;
	--stride-build) sbuild="$2"; shift 2 ;;
	--inner) inner=1; shift ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "ssh.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

# lib.sh gives the assertions, a scratch WORK (HOME and STRIDEPATH in it) and free_port.
STRIDE_SRC="$repo" STRIDE_BIN="$sbuild/stride" STRIDE_CA_BIN="$sbuild/stride-ca" \
	TESTTOOL="$sbuild/testtool"
export STRIDE_SRC STRIDE_BIN STRIDE_CA_BIN TESTTOOL
. "$repo/tests/e2e/lib.sh"
. "$repo/tests/e2e/ssh_lib.sh"
trap 'stop_sshd; cleanup' EXIT
ssh_tools_present || { echo "ssh.sh: needs root, sshd, ssh and ssh-keygen" >&2; exit 1; }

# --- 1. step-ca on stride's tree --------------------------------------------------------------
stride_tree() {
	local port
	port=$(free_port)
	printf 'password\n' >"$WORK/password.txt"
	STRIDEPATH="$WORK/stride-tree" "$STRIDE_BIN" ca init --ssh --no-db --name "Stride SSH" \
		--dns localhost --dns 127.0.0.1 --address "127.0.0.1:$port" --provisioner admin@example.com \
		--password-file "$WORK/password.txt" >"$WORK/stride-init.log" 2>&1 || return 1
	"$here/run-stepca.sh" --bin "$bin" --tree "$WORK/stride-tree" \
		--password-file "$WORK/password.txt" -- bash -c '
		grep -q "SSH User CA Key: $(cat "$STEPCA_TREE/certs/ssh_user_ca_key.pub")" "$STEPCA_LOG" &&
		curl -fsS --cacert "$STEPCA_ROOT" "$STEPCA_URL/ssh/roots" | jq -e ".userKey[0] == \"$(cut -d" " -f2 "$STEPCA_TREE/certs/ssh_user_ca_key.pub")\"" >/dev/null &&
		curl -fsS --cacert "$STEPCA_ROOT" -X POST -d "{\"type\":\"user\",\"data\":{\"StepPath\":\"/p\",\"User\":\"u\"}}" "$STEPCA_URL/ssh/config" |
			jq -e "[.userTemplates[].name] == [\"config.tpl\",\"step_includes.tpl\",\"step_config.tpl\",\"known_hosts.tpl\"]" >/dev/null
	' >"$WORK/stride-tree.log" 2>&1
}
if [[ $inner == 0 ]]; then
	if stride_tree; then pass "step-ca 0.19 serves the SSH CA of stride's ca init --ssh tree"; else
		fail "step-ca on stride's tree: $(tail -n 20 "$WORK/stride-init.log" "$WORK/stride-tree.log")"; fi
	"$here/run-stepca.sh" --bin "$bin" --ssh -- "$0" --inner --bin "$bin" --stride-build "$sbuild"
	rc=$?
	finish >/dev/null
	exit $((rc != 0 || FAILED != 0))
fi

# --- 2. inside run-stepca.sh: step's SSH CA at $STEPCA_URL ------------------------------------
S="$WORK/ssh"
mkdir -p "$S"
chmod 700 "$S"
PPW=(--provisioner-password-file "$STEPCA_PASSWORD_FILE")
check "bootstrap" timeout 20 "$STRIDE_BIN" ca bootstrap --ca-url "$STEPCA_URL" \
	--fingerprint "$STEPCA_FINGERPRINT"
"$STRIDE_BIN" ssh config --roots >"$S/ca.pub" 2>"$WORK/last.err"
expect_eq "ssh config --roots = step's user CA key" "$(cat "$STEPCA_TREE/certs/ssh_user_ca_key.pub")" \
	"$(cat "$S/ca.pub")"

check "host certificate" timeout 30 "$STRIDE_BIN" ssh certificate --host localhost "$S/host" \
	--principal localhost --principal 127.0.0.1 --no-password --insecure "${PPW[@]}" -f
expect_eq "host cert principals" "localhost 127.0.0.1" "$(cert_list "$S/host-cert.pub" Principals)"
check "user certificate (root)" timeout 30 "$STRIDE_BIN" ssh certificate root@example.com \
	"$S/root" --principal root --no-password --insecure "${PPW[@]}" -f
printf 'key-password\n' >"$WORK/key-password"
check "user certificate (default principals, encrypted key)" timeout 30 "$STRIDE_BIN" ssh \
	certificate Alice.Smith@example.com "$S/alice" --password-file "$WORK/key-password" \
	"${PPW[@]}" -f
expect_eq "default principals" "alicesmith Alice.Smith Alice.Smith@example.com" \
	"$(cert_list "$S/alice-cert.pub" Principals)"
expect_eq "ssh reads the encrypted key" "$(awk '{print $1, $2}' "$S/alice.pub")" \
	"$(ssh-keygen -y -P key-password -f "$S/alice")"
expect_eq "ssh inspect = ssh-keygen -L" "$(TZ=UTC ssh-keygen -L -f "$S/root-cert.pub")" \
	"$(TZ=UTC "$STRIDE_BIN" ssh inspect "$S/root-cert.pub" | sed '/^        Signature:/,$d')"
{
	read -r from to
} < <(cert_field "$S/root-cert.pub" Valid | sed 's/^from \(.*\) to \(.*\)$/\1 \2/')
expect_eq "user validity 16h1m" "57660" $(($(date -u -d "$to" +%s) - $(date -u -d "$from" +%s)))

# sshd as ssh.md §10 sets it up (step-ca's host template writes /etc/ssh, which this script
# never touches).
printf 'HostKey %s\nHostCertificate %s\nTrustedUserCAKeys %s\n' "$S/host" "$S/host-cert.pub" \
	"$S/ca.pub" >"$S/ca_sshd_config"
check "sshd starts" start_sshd "$S" "$S/ca_sshd_config"
check "ssh config (user)" timeout 20 "$STRIDE_BIN" ssh config --set User=root
KH="$STRIDEPATH/ssh/known_hosts"
expect_eq "known_hosts trusts step's host CA" \
	"@cert-authority * $(cat "$STEPCA_TREE/certs/ssh_host_ca_key.pub")" "$(cat "$KH")"
expect_eq "login with the user certificate" "stride-ok" \
	"$(ssh_login "$S/root" "$S/root-cert.pub" root "$KH" localhost echo stride-ok 2>"$WORK/ssh.err")"
expect_refused "a principal outside the certificate is refused" \
	ssh_login "$S/alice" "$S/alice-cert.pub" root "$KH" localhost true
expect_contains "sshd: not a listed principal" "not a listed principal" "$(cat "$S/sshd.log")"

OLD=$(cert_field "$S/host-cert.pub" Serial)
check "ssh renew (SSHPOP)" timeout 30 "$STRIDE_BIN" ssh renew "$S/host-cert.pub" "$S/host" -f
if [[ $(cert_field "$S/host-cert.pub" Serial) != "$OLD" ]]; then pass "renewed: new serial"; else
	fail "renewed: same serial"; fi
stop_sshd
check "sshd restarts with the renewed host certificate" start_sshd "$S" "$S/ca_sshd_config"
expect_eq "login after renewal" "stride-ok" \
	"$(ssh_login "$S/root" "$S/root-cert.pub" root "$KH" localhost echo stride-ok 2>"$WORK/ssh.err")"
check "ssh rekey (SSHPOP)" timeout 30 "$STRIDE_BIN" ssh rekey "$S/host-cert.pub" "$S/host" \
	--out "$S/host2" --no-password --insecure -f
H2=$(cert_field "$S/host2-cert.pub" Serial)
expect_eq "ssh revoke --sshpop-cert" "SSH Certificate with Serial Number $H2 has been revoked." \
	"$(timeout 30 "$STRIDE_BIN" ssh revoke --sshpop-cert "$S/host2-cert.pub" --sshpop-key "$S/host2" 2>&1 | tail -n1)"
U=$(cert_field "$S/alice-cert.pub" Serial)
expect_eq "ssh revoke (JWK token)" "SSH Certificate with Serial Number $U has been revoked." \
	"$(timeout 30 "$STRIDE_BIN" ssh revoke "$U" "${PPW[@]}" 2>&1 | tail -n1)"

TOKEN=$(timeout 20 "$STRIDE_BIN" ca token alice@example.com --ssh --principal alice "${PPW[@]}" 2>/dev/null)
check_fails "principals the token does not grant" timeout 30 "$STRIDE_BIN" ssh certificate \
	alice@example.com "$S/bad" --token "$TOKEN" --principal root --no-password --insecure -f
expect_contains "step-ca's principals message" "The request was forbidden by the certificate \
authority: ssh certificate principals does not match - got [root], want [alice]." "$(cat "$WORK/last.err")"
check_fails "a user certificate cannot renew" timeout 30 "$STRIDE_BIN" ssh renew \
	"$S/root-cert.pub" "$S/root" -f
expect_contains "step-ca's message" "sshpop certificate must be a host ssh certificate" \
	"$(cat "$WORK/last.err")"
check "check-host localhost" timeout 20 "$STRIDE_BIN" ssh check-host localhost
timeout 20 "$STRIDE_BIN" ssh check-host nowhere.example >"$WORK/ch.out" 2>&1
expect_eq "check-host of an unknown host: exit 1, silent" "1 " "$? $(cat "$WORK/ch.out")"
stop_sshd
finish
