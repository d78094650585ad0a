#!/usr/bin/env bash
# The SSH CA's HTTP API with curl and OpenSSH's ssh-keygen: user and host certificates from
# /ssh/sign, /ssh/roots, /ssh/config, check-host and hosts, the renewal of a host certificate
# by SSHPOP, and a revocation that the KRL of GET /ssh/krl carries (ssh-keygen -Q), also after
# a restart (the store keeps it). The answers are step-ca 0.19's.
source "$(dirname "$0")/lib.sh"

FORBIDDEN="The request was forbidden by the certificate authority"

check "ca init" init_ca
SSHD="$WORK/sshd"
mkdir -p "$SSHD"
# The CA keys: P-256, the host key encrypted with the CA password as step writes them.
for t in host user; do
	openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/ssh_${t}_ca_plain" 2>/dev/null
	ssh-keygen -y -f "$WORK/ssh_${t}_ca_plain" >"$WORK/ssh_${t}_ca_key.pub"
done
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$WORK/ssh_host_ca_plain" -passout file:"$WORK/password" \
	-out "$STRIDEPATH/secrets/ssh_host_ca_key" 2>/dev/null
cp "$WORK/ssh_user_ca_plain" "$STRIDEPATH/secrets/ssh_user_ca_key"
edit_ca_json --arg h "$STRIDEPATH/secrets/ssh_host_ca_key" \
	--arg u "$STRIDEPATH/secrets/ssh_user_ca_key" \
	'.ssh = {hostKey: $h, userKey: $u} | .authority.provisioners[0].claims.enableSSHCA = true
	 | .authority.provisioners += [{type: "SSHPOP", name: "sshpop"}]'
check "stride-ca starts with the SSH CA" start_ca
expect_contains "start-up line of the host CA key" \
	"SSH Host CA Key is $(cat "$WORK/ssh_host_ca_key.pub")" "$(cat "$WORK/ca.log")"
expect_contains "start-up line of the user CA key" \
	"SSH User CA Key: $(cat "$WORK/ssh_user_ca_key.pub")" "$(cat "$WORK/ca.log")"
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"

# ssh_token SUB STEP_JSON [AUDIENCE_PATH]: a JWK token of the first provisioner.
ssh_token() {
	local now
	now=$(date +%s)
	forge_token "$WORK/prov.jwk" "$(jq -nc --arg aud "$CA_URL${3:-/1.0/ssh/sign}" \
		--arg iss "$PROVISIONER" --arg sub "$1" --argjson step "$2" --argjson now "$now" \
		--arg jti "$(openssl rand -hex 32)" \
		'{aud: $aud, iss: $iss, sub: $sub, nbf: $now, iat: $now, exp: ($now + 300),
		  jti: $jti} + (if $step == null then {} else {step: $step} end)')"
}

# post PATH JSON: prints "<status> <message or body>".
post() {
	curl_ca -X POST --data-binary "$2" "$1" >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body" 2>/dev/null)"
}

# sign_ssh PUBFILE TOKEN [EXTRA_JSON]: POST /ssh/sign; the body in $WORK/body.
sign_ssh() {
	post /ssh/sign "$(jq -nc --arg k "$(awk '{print $2}' "$1")" --arg ott "$2" \
		"{publicKey: \$k, ott: \$ott} + ${3:-{\}}")"
}

# A user certificate for an Ed25519 key.
ssh-keygen -q -t ed25519 -N '' -C alice -f "$WORK/u"
out=$(sign_ssh "$WORK/u.pub" "$(ssh_token alice@example.com \
	'{"ssh":{"certType":"user","keyID":"alice@example.com","principals":["alice","root"]}}')" \
	'{"certType":"user","principals":["alice"]}')
expect_eq "/ssh/sign user certificate" "201 " "$out"
echo "ssh-ed25519-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/u-cert.pub"
info=$(TZ=UTC ssh-keygen -L -f "$WORK/u-cert.pub")
expect_contains "ssh-keygen -L: type" "Type: ssh-ed25519-cert-v01@openssh.com user certificate" "$info"
expect_contains "ssh-keygen -L: CA" \
	"Signing CA: ECDSA $(ssh-keygen -l -f "$WORK/ssh_user_ca_key.pub" | awk '{print $2}') (using ecdsa-sha2-nistp256)" "$info"
expect_contains "ssh-keygen -L: key id" 'Key ID: "alice@example.com"' "$info"
expect_contains "ssh-keygen -L: the token's principals" \
	"$(printf 'Principals: \n                alice\n                root')" "$info"
expect_contains "ssh-keygen -L: step-ca's extensions" "$(printf 'Extensions: \n                permit-X11-forwarding\n                permit-agent-forwarding\n                permit-port-forwarding\n                permit-pty\n                permit-user-rc')" "$info"
from=$(echo "$info" | sed -n 's/.*Valid: from \(.*\) to \(.*\)/\1/p')
to=$(echo "$info" | sed -n 's/.*Valid: from \(.*\) to \(.*\)/\2/p')
expect_eq "ssh-keygen -L: 16h plus the backdate" "$((16 * 3600 + 60))" \
	"$(($(date -ud "$to" +%s) - $(date -ud "$from" +%s)))"
USER_SERIAL=$(echo "$info" | awk '/Serial:/{print $2}')

expect_eq "principals the token does not grant" \
	"403 $FORBIDDEN: ssh certificate principals does not match - got [root], want [alice]." \
	"$(sign_ssh "$WORK/u.pub" "$(ssh_token alice '{"ssh":{"principals":["alice"]}}')" \
		'{"principals":["root"]}')"
expect_eq "unknown certificate type" \
	"400 The request could not be completed: invalid certType 'foo'." \
	"$(sign_ssh "$WORK/u.pub" "$(ssh_token alice '{"ssh":{}}')" '{"certType":"foo"}')"

# A host certificate for an ECDSA key kept as PEM (it signs the SSHPOP token below).
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/h" 2>/dev/null
chmod 600 "$WORK/h"
ssh-keygen -y -f "$WORK/h" >"$WORK/h.pub"
out=$(sign_ssh "$WORK/h.pub" "$(ssh_token web1.example.com \
	'{"ssh":{"certType":"host","keyID":"web1.example.com","principals":["web1.example.com","localhost"]}}')")
expect_eq "/ssh/sign host certificate" "201 " "$out"
echo "ecdsa-sha2-nistp256-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/h-cert.pub"
info=$(TZ=UTC ssh-keygen -L -f "$WORK/h-cert.pub")
expect_contains "ssh-keygen -L: host certificate" \
	"Type: ecdsa-sha2-nistp256-cert-v01@openssh.com host certificate" "$info"
expect_contains "ssh-keygen -L: no extensions" "Extensions: (none)" "$info"
HOST_SERIAL=$(echo "$info" | awk '/Serial:/{print $2}')

expect_eq "/ssh/roots" \
	"$(jq -nc --arg u "$(awk '{print $2}' "$WORK/ssh_user_ca_key.pub")" \
		--arg h "$(awk '{print $2}' "$WORK/ssh_host_ca_key.pub")" '{userKey: [$u], hostKey: [$h]}')" \
	"$(curl_ca /ssh/roots | jq -c .)"
expect_eq "/ssh/check-host" '{"exists":true}' \
	"$(curl_ca -X POST --data '{"type":"host","principal":"web1.example.com"}' /ssh/check-host | jq -c .)"
expect_eq "/ssh/hosts" '["localhost","web1.example.com"]' \
	"$(curl_ca /ssh/hosts | jq -c '[.hosts[].hostname]')"
expect_eq "/ssh/config user: known_hosts" \
	"@cert-authority * $(cat "$WORK/ssh_host_ca_key.pub")" \
	"$(curl_ca -X POST --data '{"type":"user","data":{"StepPath":"/p"}}' /ssh/config |
		jq -r '.userTemplates[3].content' | base64 -d)"

# SSHPOP renewal of the host certificate: the token signed by the host key.
now=$(date +%s)
pop=$("$TESTTOOL" sign-jwt "$WORK/h" "$(jq -nc --arg c "$(awk '{print $2}' "$WORK/h-cert.pub")" \
	'{sshpop: $c, typ: "JWT"}')" "$(jq -nc --arg aud "$CA_URL/1.0/ssh/renew#sshpop/sshpop" \
	--arg sub "$HOST_SERIAL" --argjson now "$now" --arg jti "$(openssl rand -hex 32)" \
	'{aud: $aud, iss: "sshpop", sub: $sub, nbf: $now, iat: $now, exp: ($now + 300), jti: $jti}')")
expect_eq "/ssh/renew by SSHPOP" "201 " "$(post /ssh/renew "$(jq -nc --arg t "$pop" '{ott: $t}')")"
echo "ecdsa-sha2-nistp256-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/h2-cert.pub"
info=$(TZ=UTC ssh-keygen -L -f "$WORK/h2-cert.pub")
expect_contains "renewed: same key id" 'Key ID: "web1.example.com"' "$info"
expect_eq "renewed: a new serial" "different" \
	"$([[ $(echo "$info" | awk '/Serial:/{print $2}') != "$HOST_SERIAL" ]] && echo different)"
expect_eq "renewed: same public key" "$(ssh-keygen -l -f "$WORK/h.pub" | awk '{print $2}')" \
	"$(echo "$info" | awk '/Public key:/{print $4}')"
expect_eq "the SSHPOP token is single use" \
	"401 The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info." \
	"$(post /ssh/renew "$(jq -nc --arg t "$pop" '{ott: $t}')")"

# Revocation, and the KRL sshd reads.
curl_ca /ssh/krl >/dev/null
cp "$WORK/body" "$WORK/krl0"
expect_eq "/ssh/krl" 200 "$(cat "$WORK/status")"
check "before the revocation the KRL passes the certificate" \
	ssh-keygen -Q -f "$WORK/krl0" "$WORK/u-cert.pub"
expect_eq "/ssh/revoke" '200 ' "$(post /ssh/revoke "$(jq -nc --arg s "$USER_SERIAL" \
	--arg t "$(ssh_token "$USER_SERIAL" null /1.0/ssh/revoke)" \
	'{serial: $s, ott: $t, passive: true, reasonCode: 1, reason: "lost"}')")"
expect_eq "/ssh/revoke twice" \
	"400 The request could not be completed: certificate with serial number '$USER_SERIAL' is already revoked." \
	"$(post /ssh/revoke "$(jq -nc --arg s "$USER_SERIAL" \
		--arg t "$(ssh_token "$USER_SERIAL" null /1.0/ssh/revoke)" '{serial: $s, ott: $t, passive: true}')")"
curl -s --cacert "$STRIDEPATH/certs/root_ca.crt" -o "$WORK/krl1" "$CA_URL/ssh/krl"
check_fails "the KRL revokes the certificate (ssh-keygen -Q)" \
	ssh-keygen -Q -f "$WORK/krl1" "$WORK/u-cert.pub"
expect_contains "ssh-keygen -Q says so" "REVOKED" "$(cat "$WORK/last.out")"
check "the KRL leaves the host certificate" ssh-keygen -Q -f "$WORK/krl1" "$WORK/h2-cert.pub"

# The host configuration installs the KRL.
curl_ca -X POST --data "$(jq -nc --arg d "$SSHD" \
	'{type: "host", data: {Certificate: "h-cert.pub", Key: "h", SSHDir: $d}}')" /ssh/config >/dev/null
expect_eq "/ssh/config host: sshd_config" \
	"$(printf 'Match all\n\tTrustedUserCAKeys %s/ca.pub\n\tHostCertificate %s/h-cert.pub\n\tHostKey %s/h\n\tRevokedKeys %s/stride_revoked_keys' "$SSHD" "$SSHD" "$SSHD" "$SSHD")" \
	"$(jq -r '.hostTemplates[0].content' "$WORK/body" | base64 -d)"
expect_eq "/ssh/config host: the KRL file" "file $SSHD/stride_revoked_keys" \
	"$(jq -r '.hostTemplates[2] | .type + " " + .path' "$WORK/body")"
jq -r '.hostTemplates[2].content' "$WORK/body" | base64 -d >"$WORK/krl2"
check_fails "the installed KRL revokes the certificate" \
	ssh-keygen -Q -f "$WORK/krl2" "$WORK/u-cert.pub"

# The revocation is in the store: still in the KRL after a restart.
stop_ca
check "stride-ca restarts" start_ca
curl -s --cacert "$STRIDEPATH/certs/root_ca.crt" -o "$WORK/krl3" "$CA_URL/ssh/krl"
check_fails "after a restart the KRL still revokes it" \
	ssh-keygen -Q -f "$WORK/krl3" "$WORK/u-cert.pub"
expect_eq "after a restart the host is still known" '{"exists":true}' \
	"$(curl_ca -X POST --data '{"type":"host","principal":"LOCALHOST"}' /ssh/check-host | jq -c .)"

finish
