#!/usr/bin/env bash
# test_ssh.sh - the SSH CA end to end with real OpenSSH: `stride ca init --ssh`,
# user and host certificates from `stride ssh certificate`, an sshd of the test's own that
# trusts the user CA and presents a host certificate, a client that trusts the host CA through
# the known_hosts `stride ssh config` writes, a principal outside the certificate refused,
# revocation enforced by sshd through the CA's KRL, SSHPOP renew/rekey/revoke, and step-ca's
# errors for bad requests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ssh_lib.sh"

if ! ssh_tools_present; then
	echo "SKIP: needs root, /usr/sbin/sshd, ssh and ssh-keygen"
	exit 0
fi
trap 'stop_sshd; cleanup' EXIT

S="$WORK/ssh"
mkdir -p "$S"
chmod 700 "$S"
PPW=(--provisioner-password-file "$WORK/prov-password")

# --- ca init --ssh ---------------------------------------------------------------------------
check "ca init --ssh" init_ca --ssh
expect_contains "init says the SSH keys were made" \
	"Generating user and host SSH certificate signing keys... done!" "$(cat "$WORK/init.err")"
expect_contains "init lists the SSH user public key" \
	"SSH user public key: $STRIDEPATH/certs/ssh_user_ca_key.pub" "$(cat "$WORK/init.err")"
expect_contains "init lists the templates folder" \
	"Templates folder: $STRIDEPATH/templates" "$(cat "$WORK/init.err")"
for k in host user; do
	expect_eq "ssh_${k}_ca_key is an encrypted PEM" "1" \
		"$(grep -c -E 'ENCRYPTED' "$STRIDEPATH/secrets/ssh_${k}_ca_key")"
	expect_eq "ssh_${k}_ca_key.pub is one ECDSA P-256 line" "ecdsa-sha2-nistp256 1" \
		"$(awk '{print $1, NF - 1}' "$STRIDEPATH/certs/ssh_${k}_ca_key.pub")"
	expect_eq "ssh_${k}_ca_key.pub is the key's public half" \
		"$(ssh-keygen -y -P ca-password -f "$STRIDEPATH/secrets/ssh_${k}_ca_key" | awk '{print $2}')" \
		"$(awk '{print $2}' "$STRIDEPATH/certs/ssh_${k}_ca_key.pub")"
done
expect_eq "ca.json ssh object" \
	"$STRIDEPATH/secrets/ssh_host_ca_key $STRIDEPATH/secrets/ssh_user_ca_key" \
	"$(jq -r '.ssh | "\(.hostKey) \(.userKey)"' "$STRIDEPATH/config/ca.json")"
expect_eq "ca.json provisioners: JWK with enableSSHCA, SSHPOP sshpop" \
	"JWK:admin@example.com:true SSHPOP:sshpop:true" \
	"$(jq -r '[.authority.provisioners[] | "\(.type):\(.name):\(.claims.enableSSHCA)"] | join(" ")' \
		"$STRIDEPATH/config/ca.json")"
expect_eq "ca.json templates" \
	"config.tpl step_includes.tpl step_config.tpl known_hosts.tpl|sshd_config.tpl ca.tpl" \
	"$(jq -r '.templates.ssh | "\([.user[].name] | join(" "))|\([.host[].name] | join(" "))"' \
		"$STRIDEPATH/config/ca.json")"
expect_eq "template files" "6" "$(ls "$STRIDEPATH/templates/ssh" | wc -l)"

# With --remote-management the SSHPOP provisioner goes to the database like the JWK one.
RM="$WORK/rm"
check "ca init --ssh --remote-management" env STRIDEPATH="$RM" "$STRIDE_BIN" ca init --ssh \
	--remote-management --name "Stride RM" --dns localhost --address 127.0.0.1:1 \
	--provisioner "$PROVISIONER" --password-file "$WORK/password"
expect_eq "stored provisioners" \
	'{"type":"JWK","name":"admin@example.com","claims":{"enableSSHCA":true}} {"type":"SSHPOP","name":"sshpop","claims":{"enableSSHCA":true}}' \
	"$(sqlite3 "$RM/db/stride.db" "SELECT value FROM records WHERE collection = 'admin_provisioners'" |
		jq -s -c 'map(.provisioner | {type, name, claims}) | sort_by(.type) | .[]' | paste -sd' ')"
expect_eq "ca.json: ssh, no provisioners" "true 0" \
	"$(jq -r '"\(.ssh != null) \(.authority.provisioners // [] | length)"' "$RM/config/ca.json")"

# Short host certificates for the expired-SSHPOP case below.
edit_ca_json '.authority.provisioners[0].claims.minHostSSHCertDuration = "1s"'
check "stride-ca starts with the SSH CA" start_ca
expect_contains "start-up names the SSH user CA key" \
	"SSH User CA Key: $(cat "$STRIDEPATH/certs/ssh_user_ca_key.pub")" "$(cat "$WORK/ca.log")"

# --- roots -----------------------------------------------------------------------------------
expect_eq "ssh config --roots = the user CA key" "$(cat "$STRIDEPATH/certs/ssh_user_ca_key.pub")" \
	"$(timeout 20 "$STRIDE_BIN" ssh config --roots 2>&1)"
expect_eq "ssh config --roots --host = the host CA key" \
	"$(cat "$STRIDEPATH/certs/ssh_host_ca_key.pub")" \
	"$(timeout 20 "$STRIDE_BIN" ssh config --roots --host 2>&1)"

# --- host and user certificates --------------------------------------------------------------
check "host certificate" timeout 30 "$STRIDE_BIN" ssh certificate --host localhost "$S/host" \
	--principal localhost --principal 127.0.0.1 --no-password --insecure "${PPW[@]}" -f
expect_eq "host files" "host host-cert.pub host.pub" "$(cd "$S" && ls host* | paste -sd' ')"
expect_eq "host cert type" "ecdsa-sha2-nistp256-cert-v01@openssh.com host certificate" \
	"$(cert_field "$S/host-cert.pub" Type)"
expect_eq "host cert key id" '"localhost"' "$(cert_field "$S/host-cert.pub" "Key ID")"
expect_eq "host cert principals" "localhost 127.0.0.1" "$(cert_list "$S/host-cert.pub" Principals)"
expect_eq "host cert: no extensions" "(none)" "$(cert_list "$S/host-cert.pub" Extensions)"
expect_eq "host cert signed by the host CA" \
	"ECDSA $(ssh-keygen -l -f "$STRIDEPATH/certs/ssh_host_ca_key.pub" | awk '{print $2}') (using ecdsa-sha2-nistp256)" \
	"$(cert_field "$S/host-cert.pub" "Signing CA")"
expect_eq "host private key is OpenSSH's unencrypted format" "-----BEGIN OPENSSH PRIVATE KEY-----" \
	"$(head -n1 "$S/host")"

check "user certificate for root" timeout 30 "$STRIDE_BIN" ssh certificate root@example.com \
	"$S/root" --principal root --no-password --insecure "${PPW[@]}" -f
expect_eq "user cert principals" "root" "$(cert_list "$S/root-cert.pub" Principals)"
expect_eq "user cert extensions" \
	"permit-X11-forwarding permit-agent-forwarding permit-port-forwarding permit-pty permit-user-rc" \
	"$(cert_list "$S/root-cert.pub" Extensions)"
expect_eq "user cert critical options" "(none)" "$(cert_list "$S/root-cert.pub" "Critical Options")"
expect_eq "user cert key id" '"root@example.com"' "$(cert_field "$S/root-cert.pub" "Key ID")"
expect_eq "user cert comment" "root@example.com" "$(awk '{print $3}' "$S/root-cert.pub")"
{
	read -r from to
} < <(cert_field "$S/root-cert.pub" Valid | sed 's/^from \(.*\) to \(.*\)$/\1 \2/')
expect_eq "user cert validity: 16h plus the 1m backdate" "57660" \
	$(($(date -u -d "$to" +%s) - $(date -u -d "$from" +%s)))
expect_eq "ssh inspect prints what ssh-keygen -L prints" \
	"$(TZ=UTC ssh-keygen -L -f "$S/root-cert.pub")" \
	"$(TZ=UTC "$STRIDE_BIN" ssh inspect "$S/root-cert.pub" | sed '/^        Signature:/,$d')"

printf 'key-password\n' >"$WORK/key-password"
check "user certificate with default principals, encrypted key" timeout 30 \
	"$STRIDE_BIN" ssh certificate Alice.Smith@example.com "$S/alice" \
	--password-file "$WORK/key-password" "${PPW[@]}" -f
expect_eq "default principals" "alicesmith Alice.Smith Alice.Smith@example.com" \
	"$(cert_list "$S/alice-cert.pub" Principals)"
expect_eq "ssh reads the encrypted key" "$(awk '{print $1, $2}' "$S/alice.pub")" \
	"$(ssh-keygen -y -P key-password -f "$S/alice")"

check "user certificate with --add-user" timeout 30 "$STRIDE_BIN" ssh certificate \
	bob@example.com "$S/bob" --add-user --no-password --insecure "${PPW[@]}" -f
expect_eq "add-user files" "bob bob-cert.pub bob-provisioner bob-provisioner-cert.pub bob-provisioner.pub bob.pub" \
	"$(cd "$S" && ls bob* | paste -sd' ')"
expect_eq "add-user certificate" '"bob-provisioner" provisioner' \
	"$(cert_field "$S/bob-provisioner-cert.pub" "Key ID") $(cert_list "$S/bob-provisioner-cert.pub" Principals)"
expect_eq "add-user force-command" "force-command sudo useradd -m bob; nc -q0 localhost 22" \
	"$(cert_list "$S/bob-provisioner-cert.pub" "Critical Options")"
expect_eq "add-user comment" "bob-provisioner" "$(awk '{print $3}' "$S/bob-provisioner-cert.pub")"

# --- sshd with the host configuration from stride ssh config --host ---------------------------
check "ssh config --host" timeout 20 "$STRIDE_BIN" ssh config --host --set SSHDir="$S" \
	--set Certificate=host-cert.pub --set Key=host
expect_contains "sshd config trusts the user CA" "TrustedUserCAKeys $S/ca.pub" "$(cat "$S/sshd_config" 2>&1)"
expect_contains "sshd config has the KRL" "RevokedKeys $S/" "$(cat "$S/sshd_config" 2>&1)"
expect_eq "ca.pub is the user CA key" "$(cat "$STRIDEPATH/certs/ssh_user_ca_key.pub")" \
	"$(grep -v '^#' "$S/ca.pub")"
cp "$S/sshd_config" "$S/stride_sshd_config"
check "sshd starts" start_sshd "$S" "$S/stride_sshd_config"

# --- the client: known_hosts from stride ssh config -------------------------------------------
check "ssh config (user)" timeout 20 "$STRIDE_BIN" ssh config --set User=root
KH="$STRIDEPATH/ssh/known_hosts"
expect_eq "known_hosts trusts the host CA" \
	"@cert-authority * $(cat "$STRIDEPATH/certs/ssh_host_ca_key.pub")" "$(cat "$KH" 2>&1)"
expect_contains "~/.ssh/config includes stride's" "Include \"$STRIDEPATH/ssh/includes\"" \
	"$(cat "$HOME/.ssh/config" 2>&1)"
expect_eq "login with the user certificate" "stride-ok" \
	"$(ssh_login "$S/root" "$S/root-cert.pub" root "$KH" localhost echo stride-ok 2>"$WORK/ssh.err")"
expect_contains "sshd accepted the certificate" "ID root@example.com (serial $(cert_field "$S/root-cert.pub" Serial))" \
	"$(cat "$S/sshd.log")"
expect_refused "a principal outside the certificate is refused" \
	ssh_login "$S/root" "$S/root-cert.pub" nobody "$KH" localhost true
expect_refused "alice's certificate does not log in as root" \
	ssh_login "$S/alice" "$S/alice-cert.pub" root "$KH" localhost true
expect_contains "sshd: not a listed principal" "not a listed principal" "$(cat "$S/sshd.log")"

# --- revocation enforced by sshd through the KRL ----------------------------------------------
SERIAL=$(cert_field "$S/root-cert.pub" Serial)
expect_eq "ssh revoke" "SSH Certificate with Serial Number $SERIAL has been revoked." \
	"$(timeout 30 "$STRIDE_BIN" ssh revoke "$SERIAL" "${PPW[@]}" 2>&1 | tail -n1)"
check "ssh config --host refreshes the KRL" timeout 20 "$STRIDE_BIN" ssh config --host \
	--set SSHDir="$S" --set Certificate=host-cert.pub --set Key=host
expect_refused "the revoked certificate is refused by sshd" \
	ssh_login "$S/root" "$S/root-cert.pub" root "$KH" localhost true
expect_contains "sshd: revoked" "revoked" "$(cat "$S/sshd.log")"

# --- SSHPOP: renew, rekey, revoke of a host certificate ---------------------------------------
OLD_SERIAL=$(cert_field "$S/host-cert.pub" Serial)
check "ssh renew (SSHPOP)" timeout 30 "$STRIDE_BIN" ssh renew "$S/host-cert.pub" "$S/host" -f
NEW_SERIAL=$(cert_field "$S/host-cert.pub" Serial)
if [[ $NEW_SERIAL != "$OLD_SERIAL" && -n $NEW_SERIAL ]]; then pass "renewed serial is new"; else
	fail "renewed serial $NEW_SERIAL (was $OLD_SERIAL)"; fi
expect_eq "renewed: same key id and principals" '"localhost" localhost 127.0.0.1' \
	"$(cert_field "$S/host-cert.pub" "Key ID") $(cert_list "$S/host-cert.pub" Principals)"
expect_eq "renewed: same key" "$(ssh-keygen -l -f "$S/host.pub" | awk '{print $2}')" \
	"$(cert_field "$S/host-cert.pub" "Public key" | awk '{print $2}')"
stop_sshd
check "sshd restarts with the renewed host certificate" start_sshd "$S" "$S/stride_sshd_config"
check "a new user certificate for root" timeout 30 "$STRIDE_BIN" ssh certificate root@example.com \
	"$S/root2" --principal root --no-password --insecure "${PPW[@]}" -f
expect_eq "login with it: the client trusts the renewed host certificate" "stride-ok" \
	"$(ssh_login "$S/root2" "$S/root2-cert.pub" root "$KH" localhost echo stride-ok 2>"$WORK/ssh.err")"

check "ssh rekey (SSHPOP)" timeout 30 "$STRIDE_BIN" ssh rekey "$S/host-cert.pub" "$S/host" \
	--out "$S/host2" --no-password --insecure -f
expect_eq "rekeyed: the new key" "$(ssh-keygen -l -f "$S/host2.pub" | awk '{print $2}')" \
	"$(cert_field "$S/host2-cert.pub" "Public key" | awk '{print $2}')"

H2_SERIAL=$(cert_field "$S/host2-cert.pub" Serial)
expect_eq "ssh revoke --sshpop-cert" "SSH Certificate with Serial Number $H2_SERIAL has been revoked." \
	"$(timeout 30 "$STRIDE_BIN" ssh revoke --sshpop-cert "$S/host2-cert.pub" --sshpop-key "$S/host2" 2>&1 | tail -n1)"
check_fails "a revoked certificate cannot renew" \
	timeout 30 "$STRIDE_BIN" ssh renew "$S/host2-cert.pub" "$S/host2" -f

# --- SSHPOP token claims ---------------------------------------------------------------------
TOKEN=$(timeout 20 "$STRIDE_BIN" ca token "$NEW_SERIAL" --ssh --renew \
	--sshpop-cert "$S/host-cert.pub" --sshpop-key "$S/host" 2>/dev/null)
expect_eq "SSHPOP token claims" "sshpop|$NEW_SERIAL|$CA_URL/1.0/ssh/renew#sshpop/sshpop" \
	"$(jwt_payload "$TOKEN" | jq -r '"\(.iss)|\(.sub)|\(.aud)"')"

# --- bad requests, with step-ca's answers -----------------------------------------------------
TOKEN=$(timeout 20 "$STRIDE_BIN" ca token alice@example.com --ssh --principal alice "${PPW[@]}" 2>/dev/null)
expect_eq "SSH token claims" 'user|alice@example.com|["alice"]|null' \
	"$(jwt_payload "$TOKEN" | jq -c -r '"\(.step.ssh.certType)|\(.step.ssh.keyID)|\(.step.ssh.principals)|\(.sans)"')"
check_fails "principals the token does not grant" timeout 30 "$STRIDE_BIN" ssh certificate \
	alice@example.com "$S/bad" --token "$TOKEN" --principal root --no-password --insecure -f
expect_contains "step-ca's principals message" \
	"ssh certificate principals does not match - got [root], want [alice]" "$(cat "$WORK/last.err")"
ssh-keygen -q -t ed25519 -N '' -f "$S/raw"
TOKEN=$(timeout 20 "$STRIDE_BIN" ca token raw --ssh "${PPW[@]}" 2>/dev/null)
BODY=$(jq -n --arg k "$(awk '{print $2}' "$S/raw.pub")" --arg ott "$TOKEN" \
	'{publicKey: $k, ott: $ott, certType: "admin"}')
curl_ca -X POST -H 'Content-Type: application/json' -d "$BODY" /ssh/sign >/dev/null
expect_eq "unknown cert type: 400" "400 The request could not be completed: invalid certType 'admin'." \
	"$(cat "$WORK/status") $(jq -r .message "$WORK/body")"

check "a host certificate valid for 2s" timeout 30 "$STRIDE_BIN" ssh certificate --host \
	short.example "$S/short" --not-after 2s --no-password --insecure "${PPW[@]}" -f
sleep 3
check_fails "an expired SSHPOP certificate cannot renew" \
	timeout 30 "$STRIDE_BIN" ssh renew "$S/short-cert.pub" "$S/short" -f
expect_contains "step-ca's 401" "The request lacked necessary authorization to be completed" \
	"$(cat "$WORK/last.err")"

# --- check-host and hosts ---------------------------------------------------------------------
check "check-host localhost" timeout 20 "$STRIDE_BIN" ssh check-host localhost
"$STRIDE_BIN" ssh check-host nowhere.example >"$WORK/ch.out" 2>&1
expect_eq "check-host of an unknown host: exit 1, silent" "1 " "$? $(cat "$WORK/ch.out")"
expect_contains "ssh hosts lists localhost" "localhost" "$(timeout 20 "$STRIDE_BIN" ssh hosts 2>&1)"

stop_sshd
finish
