#!/usr/bin/env bash
# The OIDC provisioner against a small identity provider on loopback (tests/tools/oidc_idp.py):
# the CLI's authorization-code flow with PKCE driven by a BROWSER script, the X.509 certificates
# of users and admins, SSH user certificates, step-ca's refusals, key rotation.
source "$(dirname "$0")/lib.sh"

GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
IDP_PID=""
stop_idp() {
	if [[ -n $IDP_PID ]]; then
		kill "$IDP_PID" 2>/dev/null
		wait "$IDP_PID" 2>/dev/null
		IDP_PID=""
	fi
}
trap 'stop_idp; cleanup' EXIT

python3 "$STRIDE_SRC/tests/tools/oidc_idp.py" --dir "$WORK" --testtool "$TESTTOOL" \
	--client-id stride-client --client-secret s3cret --email Alice@Example.com --sub alice-sub \
	--groups staff,ops --port-file "$WORK/idp.port" 2>"$WORK/idp.err" &
IDP_PID=$!
for _ in $(seq 1 100); do [[ -s $WORK/idp.port ]] && break; sleep 0.05; done
IDP="http://127.0.0.1:$(cat "$WORK/idp.port")"
idp() { curl -s --max-time 10 -X POST "$IDP/control/$1" -d "${2:-}"; }

check "ca init" init_ca --ssh
edit_ca_json --arg idp "$IDP" '.authority.provisioners += [{type: "OIDC", name: "idp",
	clientID: "stride-client", clientSecret: "s3cret", configurationEndpoint: $idp,
	claims: {enableSSHCA: true},
	domains: ["EXAMPLE.com"], groups: ["staff"], admins: ["root@admin.example"],
	listenAddress: "127.0.0.1:0"}, {type: "OIDC", name: "down", clientID: "down-client",
	configurationEndpoint: "http://127.0.0.1:1"}]'
check "stride-ca starts (identity providers are not asked yet, one is down)" start_ca
cd "$WORK" || exit 1

# sign_with TOKEN CN [openssl req args]: POST /sign with a fresh CSR; "status message" in $WORK/res
sign_with() {
	local tok=$1 cn=$2
	shift 2
	new_csr req "$cn" "$@"
	sign_body "$WORK/req.csr" "$tok" >"$WORK/req.json"
	curl_ca -X POST --data-binary @"$WORK/req.json" /sign >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body")" >"$WORK/res"
	jq -r '.crt // empty' "$WORK/body" >"$WORK/issued.crt"
}
new_csr refused x.example.com
refused() { # DESCRIPTION LOG_DETAIL TOKEN (one CSR for all: the token is refused first)
	sign_body "$WORK/refused.csr" "$3" >"$WORK/req.json"
	curl_ca -X POST --data-binary @"$WORK/req.json" /sign >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body")" >"$WORK/res"
	expect_eq "$1: 401" "401 $GENERIC_401" "$(cat "$WORK/res")"
	expect_contains "$1: logged" "$2" "$(tail -n 5 "$WORK/ca.log")"
}

tok=$(idp mint '{}')
sign_with "$tok" whatever.example.com -addext "subjectAltName=DNS:evil.example.com"
expect_eq "user token: 200" "201 " "$(cat "$WORK/res")"
expect_eq "user: CN = sub (the CSR's ignored)" "subject=CN = alice-sub" \
	"$(openssl x509 -in issued.crt -noout -subject)"
expect_eq "user: SANs = e-mail + iss#sub" "email:Alice@Example.com, URI:$IDP#alice-sub" \
	"$(openssl x509 -in issued.crt -noout -ext subjectAltName | tail -n 1 | sed 's/^ *//')"
sign_with "$tok" whatever.example.com
expect_eq "the same ID token again (nonce used)" "401 $GENERIC_401" "$(cat "$WORK/res")"
expect_eq "replay key is the nonce" 1 "$(db_sql "SELECT count(*) FROM used_ott WHERE key = '$(jwt_payload "$tok" | jq -r .nonce)'")"

refused "wrong audience (azp names the client)" "invalid audience claim (aud)" "$(idp mint '{"claims":{"aud":"other"}}')"
refused "wrong audience (no azp)" "provisioner not found or invalid audience (other)" "$(idp mint '{"claims":{"aud":"other","azp":null}}')"
refused "expired" "token is expired (exp)" "$(idp mint '{"claims":{"exp":'$(($(date +%s) - 120))'}}')"
refused "unverified e-mail" 'email \"Alice@Example.com\" is not verified' "$(idp mint '{"claims":{"email_verified":false}}')"
refused "foreign domain" 'email \"bob@other.org\" is not allowed' "$(idp mint '{"claims":{"email":"bob@other.org"}}')"
refused "missing group" "oidc token payload validation failed: invalid group" "$(idp mint '{"claims":{"groups":["dev"]}}')"
refused "other azp" "provisioner not found or invalid audience (stride-client)" "$(idp mint '{"claims":{"azp":"x"}}')"
refused "other issuer" "invalid issuer claim (iss)" "$(idp mint '{"claims":{"iss":"https://evil.example"}}')"

refused "identity provider down" "failed to connect to http://127.0.0.1:1/.well-known/openid-configuration" \
	"$(idp mint '{"claims":{"aud":"down-client","azp":"down-client"}}')"

# An admin (by e-mail, domain case-insensitive; any domain) gets the CSR's subject and names.
tok=$(idp mint '{"claims":{"email":"Root@ADMIN.example"}}')
refused "admin e-mail: the local part is case-sensitive" 'email \"Root@ADMIN.example\" is not allowed' "$tok"
tok=$(idp mint '{"claims":{"email":"root@ADMIN.example"}}')
sign_with "$tok" admin.example.com -addext "subjectAltName=DNS:a.example.com,IP:10.0.0.1"
expect_eq "admin token: 201" "201 " "$(cat "$WORK/res")"
expect_eq "admin: CSR subject" "subject=CN = admin.example.com" "$(openssl x509 -in issued.crt -noout -subject)"
expect_eq "admin: CSR SANs" "DNS:a.example.com, IP Address:10.0.0.1" \
	"$(openssl x509 -in issued.crt -noout -ext subjectAltName | tail -n 1 | sed 's/^ *//')"

# SSH user certificates: key ID = the e-mail, principals from it (step-ca's identity function).
ssh-keygen -q -t ed25519 -N '' -C alice -f "$WORK/u"
ssh_sign() { # TOKEN EXTRA_JSON
	curl_ca -X POST --data-binary "$(jq -nc --arg k "$(awk '{print $2}' "$WORK/u.pub")" \
		--arg ott "$1" "{publicKey: \$k, ott: \$ott} + $2")" /ssh/sign >/dev/null
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' "$WORK/body")"
}
expect_eq "ssh user certificate: 201" "201 " "$(ssh_sign "$(idp mint '{}')" '{"certType":"user","principals":["alice"]}')"
echo "ssh-ed25519-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/u-cert.pub"
info=$(ssh-keygen -L -f "$WORK/u-cert.pub")
expect_contains "ssh: key id" 'Key ID: "Alice@Example.com"' "$info"
expect_contains "ssh: principals" "$(printf 'Principals: \n                alice\n                Alice\n                Alice@Example.com')" "$info"
expect_eq "ssh: no host certificates" "403 The request was forbidden by the certificate authority: ssh certificate type does not match - got host, want user." \
	"$(ssh_sign "$(idp mint '{}')" '{"certType":"host","principals":["h.example.com"]}')"
# An admin's SSH request is signed as asked (step-ca's admin template): a host certificate.
expect_eq "ssh admin host certificate: 201" "201 " \
	"$(ssh_sign "$(idp mint '{"claims":{"email":"root@admin.example"}}')" \
		'{"certType":"host","keyID":"h1","principals":["h.example.com"]}')"
echo "ssh-ed25519-cert-v01@openssh.com $(jq -r .crt "$WORK/body")" >"$WORK/h-cert.pub"
info=$(ssh-keygen -L -f "$WORK/h-cert.pub")
expect_contains "ssh admin: host certificate" "host certificate" "$info"
expect_contains "ssh admin: key id as asked" 'Key ID: "h1"' "$info"
expect_contains "ssh admin: principals as asked" "$(printf 'Principals: \n                h.example.com\n')" "$info"
expect_eq "ssh admin: certType required (step-ca's message)" "400 The request could not be completed: ssh certificate certType cannot be empty." \
	"$(ssh_sign "$(idp mint '{"claims":{"email":"root@admin.example"}}')" '{"keyID":"h1","principals":["h"]}')"

# The CLI: authorization-code flow with PKCE on the loopback listenAddress, the "browser" a
# script that follows the authorization URL (the identity provider auto-approves).
printf '#!/bin/sh\necho "$1" >>"%s/browser.log"\nexec curl -s -L --max-time 10 -o /dev/null "$1"\n' "$WORK" >browser.sh
chmod +x browser.sh
export BROWSER="$WORK/browser.sh"
check "ca token (OIDC flow)" timeout 20 "$STRIDE_BIN" ca token ignored --provisioner idp
tok=$(cat "$WORK/last.out")
expect_contains "provisioner label" "Provisioner: idp (OIDC) [client: stride-client]" "$(cat "$WORK/last.err")"
expect_contains "browser message" "Your default web browser has been opened to visit:" "$(cat "$WORK/last.err")"
url=$(tail -n 1 browser.log)
expect_contains "URL printed" "$url" "$(cat "$WORK/last.err")"
expect_eq "authorization URL parameters (sorted, PKCE S256)" \
	"client_id code_challenge code_challenge_method nonce redirect_uri response_type scope state" \
	"$(echo "${url#*\?}" | tr '&' '\n' | cut -d= -f1 | tr '\n' ' ' | sed 's/ $//')"
expect_contains "S256, scope, redirect" "code_challenge_method=S256&nonce=" "$url"
expect_contains "default scope" "scope=openid%20email&" "$url"
expect_contains "loopback redirect" "redirect_uri=http%3A%2F%2F127.0.0.1%3A" "$url"
expect_eq "the ID token carries the request's nonce" "$(echo "${url#*nonce=}" | cut -d'&' -f1)" \
	"$(jwt_payload "$tok" | jq -r .nonce)"
expect_eq "nonce: 64 hex digits" 1 "$(jwt_payload "$tok" | jq -r .nonce | grep -cE '^[0-9a-f]{64}$')"
check "ca certificate --token <id token> (any subject)" timeout 20 "$STRIDE_BIN" ca certificate anything \
	t.crt t.key --token "$tok" --ca-url "$CA_URL" --root "$STRIDEPATH/certs/root_ca.crt"
expect_eq "--token: CN = sub" "subject=CN = alice-sub" "$(openssl x509 -in t.crt -noout -subject)"

check "ca certificate (OIDC flow, --kid = client id)" timeout 20 "$STRIDE_BIN" ca certificate \
	Alice@Example.com a.crt a.key --kid stride-client
expect_eq "flow: CN = sub" "subject=CN = alice-sub" "$(openssl x509 -in a.crt -noout -subject)"
expect_eq "flow: SANs" "email:Alice@Example.com, URI:$IDP#alice-sub" \
	"$(openssl x509 -in a.crt -noout -ext subjectAltName | tail -n 1 | sed 's/^ *//')"
check_fails "--kid naming no provisioner" timeout 20 "$STRIDE_BIN" ca certificate x x.crt x.key --kid nope
expect_eq "--kid message" "invalid value 'nope' for flag '--kid'" "$(tail -n 1 "$WORK/last.err")"

# A browser that cannot be started: the URL is printed for the user, who opens it.
BROWSER="$WORK/no-such-browser" timeout 20 "$STRIDE_BIN" ca token x --provisioner idp >manual.out 2>manual.err &
cli=$!
for _ in $(seq 1 100); do grep -q '^http' manual.err && break; sleep 0.05; done
curl -s -L --max-time 10 -o /dev/null "$(grep '^http' manual.err)"
wait "$cli"
expect_eq "no browser: exit 0" 0 "$?"
expect_eq "no browser: message" "Cannot open a web browser on your platform.|Open a local web browser and visit:" \
	"$(grep -E '^(Cannot|Open)' manual.err | tr '\n' '|' | sed 's/|$//')"
expect_eq "no browser: an ID token" stride-client "$(jwt_payload "$(cat manual.out)" | jq -r .aud)"

# A callback whose state is not the request's ends the flow (step's message).
printf '#!/bin/sh\nloc=$(curl -s -o /dev/null -w "%%{redirect_url}" "$1")\nexec curl -s -o /dev/null "$(echo "$loc" | sed "s/state=[^&]*/state=forged/")"\n' >forge.sh
chmod +x forge.sh
BROWSER="$WORK/forge.sh" check_fails "forged state" timeout 20 "$STRIDE_BIN" ca token x --provisioner idp
expect_eq "forged state: message" "error generating OIDC token: Failed to authenticate: missing or invalid state" \
	"$(tail -n 1 "$WORK/last.err")"

# Key rotation: the new key's kid is unknown to the CA, which fetches the key set again.
idp rotate >/dev/null
check "flow after key rotation (ES256)" timeout 20 "$STRIDE_BIN" ca certificate Alice@Example.com r.crt r.key \
	--provisioner idp -f
expect_eq "the new key signs ES256" ES256 "$(idp mint '{}' | cut -d. -f1 | tr '_-' '/+' |
	{ read -r h; while ((${#h} % 4)); do h+="="; done; echo "$h"; } | base64 -d | jq -r .alg)"
fetches=$(curl -s "$IDP/control/log" | grep -c 'GET /jwks')
expect_eq "JWKS fetched twice (first token, rotation)" 2 "$fetches"
refused "rotated-out key" "oidc.AuthorizeToken; cannot validate oidc token" "$(idp mint '{"key":"previous"}')"
refused "unknown kid" "oidc.AuthorizeToken; cannot validate oidc token" "$(idp mint '{"kid":"no-such-kid"}')"
# (the refetches for unknown kids are at most one per 10 s: none or one more here)
n=$(curl -s "$IDP/control/log" | grep -c 'GET /jwks')
expect_eq "unknown kids: refetch rate-limited" "at most 1" \
	"$( ((n - fetches <= 1)) && echo "at most 1" || echo "$((n - fetches))")"

finish
