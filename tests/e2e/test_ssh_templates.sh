#!/usr/bin/env bash
# SSH certificate templates (options.ssh, ssh.md §3) through a running stride-ca, checked with
# ssh-keygen -L: a user template from a templateFile (key id and principals from the token and
# templateData, a force-command critical option, a restricted extension set, `fail` on request
# templateData), a base64 host template setting principals and the serial, a template whose
# output is not JSON (500), one that omits the type (403), and a template that does not parse
# refusing the configuration. The answers are step-ca 0.19's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ssh_lib.sh"

BAD_REQUEST="The request could not be completed"
FORBIDDEN="The request was forbidden by the certificate authority"

check "ca init" init_ca
for t in host user; do
	openssl ecparam -name prime256v1 -genkey -noout -out "$STRIDEPATH/secrets/ssh_${t}_ca_key" 2>/dev/null
	ssh-keygen -y -f "$STRIDEPATH/secrets/ssh_${t}_ca_key" >"$WORK/ssh_${t}_ca_key.pub"
done
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"

# The user template, relative to the step path as step-ca resolves templateFile.
mkdir -p "$STRIDEPATH/templates/ssh"
cat >"$STRIDEPATH/templates/ssh/user.tpl" <<'EOF'
{{- with .Insecure.User }}{{ if .hold }}{{ fail "certificates for this team are on hold" }}{{ end }}{{ end -}}
{
	"type": {{ toJson .Type }},
	"keyId": {{ toJson (printf "%s@%s" .Token.sub .team) }},
	"principals": [{{ range .Principals }}{{ toJson . }}, {{ end }}{{ toJson .team }}],
	"extensions": {"permit-pty": "", "permit-agent-forwarding": ""},
	"criticalOptions": {"force-command": {{ toJson .command }}, "source-address": "127.0.0.1/32"}
}
EOF
HOST_TPL=$(printf '%s' '{"type": "host", "keyId": {{ toJson .KeyID }}, "principals": {{ toJson .hosts }}, "serial": 4242}' | base64 -w0)

# provisioners: the ca init one (default templates), and copies of it (same key, other names)
# with options.ssh
configure() {
	edit_ca_json --arg h "$STRIDEPATH/secrets/ssh_host_ca_key" \
		--arg u "$STRIDEPATH/secrets/ssh_user_ca_key" --arg host_tpl "$HOST_TPL" \
		--argjson broken "$1" '
	 .ssh = {hostKey: $h, userKey: $u}
	 | .authority.provisioners[0].claims.enableSSHCA = true
	 | .authority.provisioners[0] as $p
	 | .authority.provisioners = [$p,
		($p + {name: "team", options: {ssh: {templateFile: "templates/ssh/user.tpl",
			templateData: {team: "ops", command: "/usr/bin/id"}}}}),
		($p + {name: "hosts", options: {ssh: {template: $host_tpl,
			templateData: {hosts: ["web1.internal", "10.0.0.7"]}}}}),
		($p + {name: "notjson", options: {ssh: {template: "{\"type\": {{ toJson .Type }}, \"keyId\": }"}}}),
		($p + {name: "notype", options: {ssh: {template: "{\"keyId\": {{ toJson .KeyID }}}"}}})]
	   + (if $broken then [($p + {name: "broken", options: {ssh: {template: "{ {{ if }} }"}}})] else [] end)'
}

# A template that does not parse refuses the configuration, naming the provisioner.
configure true
check_fails "a template that does not parse refuses the configuration" start_ca
expect_contains "the refusal names the provisioner" \
	'failed to initialize JWK provisioner "broken": error parsing ssh template: template: template:1: missing value for if' \
	"$(cat "$WORK/ca.log")"
configure false
check "stride-ca starts with the templates" start_ca

# ssh_token ISS SUB STEP_JSON: a JWK token of provisioner ISS (all share the key).
ssh_token() {
	local now
	now=$(date +%s)
	forge_token "$WORK/prov.jwk" "$(jq -nc --arg aud "$CA_URL/1.0/ssh/sign" \
		--arg iss "$1" --arg sub "$2" --argjson step "$3" --argjson now "$now" \
		--arg jti "$(openssl rand -hex 32)" \
		'{aud: $aud, iss: $iss, sub: $sub, nbf: $now, iat: $now, exp: ($now + 300),
		  jti: $jti, step: $step}')"
}

# sign_ssh PUBFILE TOKEN [EXTRA_JSON]: POST /ssh/sign; prints "<status> <message>", the body in
# $WORK/body.
sign_ssh() {
	curl_ca -X POST --data-binary "$(jq -nc --arg k "$(awk '{print $2}' "$1")" --arg ott "$2" \
		"{publicKey: \$k, ott: \$ott} + ${3:-{\}}")" /ssh/sign >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body" 2>/dev/null)"
}

ssh-keygen -q -t ed25519 -N '' -C alice -f "$WORK/u"
ssh-keygen -q -t ecdsa -N '' -C web1 -f "$WORK/h"

# The user template.
expect_eq "user template: 201" "201 " "$(sign_ssh "$WORK/u.pub" \
	"$(ssh_token team alice '{"ssh":{"certType":"user","principals":["alice","deploy"]}}')" \
	'{"certType":"user","templateData":{"hold":false}}')"
echo "ssh-ed25519-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/u-cert.pub"
expect_eq "user template: key id from the token and templateData" '"alice@ops"' \
	"$(cert_field "$WORK/u-cert.pub" "Key ID")"
expect_eq "user template: principals" "alice deploy ops" "$(cert_list "$WORK/u-cert.pub" Principals)"
info=$(TZ=UTC ssh-keygen -L -f "$WORK/u-cert.pub")
expect_contains "user template: critical options" "$(printf 'Critical Options: \n                force-command /usr/bin/id\n                source-address 127.0.0.1/32')" "$info"
expect_contains "user template: restricted extensions" "$(printf 'Extensions: \n                permit-agent-forwarding\n                permit-pty\n')" "$info"
from=$(echo "$info" | sed -n 's/.*Valid: from \(.*\) to \(.*\)/\1/p')
to=$(echo "$info" | sed -n 's/.*Valid: from \(.*\) to \(.*\)/\2/p')
expect_eq "user template: the default validity (16h plus the backdate)" "$((16 * 3600 + 60))" \
	"$(($(date -ud "$to" +%s) - $(date -ud "$from" +%s)))"
expect_eq "user template: fail from the request's templateData" \
	"400 $BAD_REQUEST: certificates for this team are on hold." \
	"$(sign_ssh "$WORK/u.pub" "$(ssh_token team alice '{"ssh":{"certType":"user"}}')" \
		'{"templateData":{"hold":true}}')"
expect_eq "user template: request validity still applies" "201 " "$(sign_ssh "$WORK/u.pub" \
	"$(ssh_token team alice '{"ssh":{"certType":"user"}}')" '{"validBefore":"1h"}')"
echo "ssh-ed25519-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/u2-cert.pub"
expect_eq "user template: the token's subject as principal" "alice ops" \
	"$(cert_list "$WORK/u2-cert.pub" Principals)"

# The base64 host template.
expect_eq "host template: 201" "201 " "$(sign_ssh "$WORK/h.pub" \
	"$(ssh_token hosts web1 '{"ssh":{"certType":"host","keyID":"web1","principals":["web1"]}}')")"
echo "ecdsa-sha2-nistp256-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/h-cert.pub"
info=$(TZ=UTC ssh-keygen -L -f "$WORK/h-cert.pub")
expect_contains "host template: a host certificate" "host certificate" "$info"
expect_eq "host template: principals from templateData" "web1.internal 10.0.0.7" \
	"$(cert_list "$WORK/h-cert.pub" Principals)"
expect_eq "host template: the serial it sets" "4242" "$(cert_field "$WORK/h-cert.pub" Serial)"
expect_contains "host template: no extensions" "Extensions: (none)" "$info"

# Templates whose output step-ca's decoder refuses, or that leave the type out.
expect_eq "output that is not JSON" "500 error applying certificate template" \
	"$(sign_ssh "$WORK/u.pub" "$(ssh_token notjson alice '{"ssh":{"certType":"user"}}')")"
expect_eq "output without a type" "403 $FORBIDDEN: error creating ssh certificate." \
	"$(sign_ssh "$WORK/u.pub" "$(ssh_token notype alice '{"ssh":{"certType":"user"}}')")"

# The provisioner without options.ssh keeps step-ca's default certificate.
expect_eq "default template: 201" "201 " "$(sign_ssh "$WORK/u.pub" \
	"$(ssh_token "$PROVISIONER" alice '{"ssh":{"certType":"user"}}')")"
echo "ssh-ed25519-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/u3-cert.pub"
expect_eq "default template: key id" '"alice"' "$(cert_field "$WORK/u3-cert.pub" "Key ID")"
expect_eq "default template: extensions" \
	"permit-X11-forwarding permit-agent-forwarding permit-port-forwarding permit-pty permit-user-rc" \
	"$(cert_list "$WORK/u3-cert.pub" Extensions)"
expect_eq "default template: no critical options" "(none)" \
	"$(cert_field "$WORK/u3-cert.pub" "Critical Options")"

stop_ca
finish
