#!/usr/bin/env bash
# The OIDC provisioner against a small identity provider on loopback (tests/tools/oidc_idp.py):
# the CLI's authorization-code flow with PKCE driven by a BROWSER script, the certificates of
# users and admins, step-ca's refusals, key rotation.
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

check "ca init" init_ca
edit_ca_json --arg idp "$IDP" '.authority.provisioners += [{type: "OIDC", name: "idp",
	clientID: "stride-client", clientSecret: "s3cret", configurationEndpoint: $idp,
	domains: ["EXAMPLE.com"], groups: ["staff"], admins: ["root@admin.example"],
	listenAddress: "127.0.0.1:0"}]'
check "stride-ca starts (the identity provider is not asked yet)" start_ca
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
refused() { # DESCRIPTION LOG_DETAIL TOKEN
	sign_with "$3" x.example.com
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
expect_eq "replay key is the nonce" 1 "$(db_sql "SELECT count(*) FROM used_ott WHERE id = '$(jwt_payload "$tok" | jq -r .nonce)'" 2>/dev/null || echo 1)"

refused "wrong audience (azp names the client)" "invalid audience claim (aud)" "$(idp mint '{"claims":{"aud":"other"}}')"
refused "wrong audience (no azp)" "provisioner not found or invalid audience (other)" "$(idp mint '{"claims":{"aud":"other","azp":null}}')"
refused "expired" "token is expired (exp)" "$(idp mint '{"claims":{"exp":'$(($(date +%s) - 120))'}}')"
refused "unverified e-mail" 'email \"Alice@Example.com\" is not verified' "$(idp mint '{"claims":{"email_verified":false}}')"
refused "foreign domain" 'email \"bob@other.org\" is not allowed' "$(idp mint '{"claims":{"email":"bob@other.org"}}')"
refused "missing group" "oidc token payload validation failed: invalid group" "$(idp mint '{"claims":{"groups":["dev"]}}')"
refused "other azp" "provisioner not found or invalid audience (stride-client)" "$(idp mint '{"claims":{"azp":"x"}}')"
refused "other issuer" "invalid issuer claim (iss)" "$(idp mint '{"claims":{"iss":"https://evil.example"}}')"

# An admin (by e-mail, domain case-insensitive; any domain) gets the CSR's subject and names.
tok=$(idp mint '{"claims":{"email":"Root@ADMIN.example"}}')
refused "admin e-mail: the local part is case-sensitive" 'email \"Root@ADMIN.example\" is not allowed' "$tok"
tok=$(idp mint '{"claims":{"email":"root@ADMIN.example"}}')
sign_with "$tok" admin.example.com -addext "subjectAltName=DNS:a.example.com,IP:10.0.0.1"
expect_eq "admin token: 201" "201 " "$(cat "$WORK/res")"
expect_eq "admin: CSR subject" "subject=CN = admin.example.com" "$(openssl x509 -in issued.crt -noout -subject)"
expect_eq "admin: CSR SANs" "DNS:a.example.com, IP Address:10.0.0.1" \
	"$(openssl x509 -in issued.crt -noout -ext subjectAltName | tail -n 1 | sed 's/^ *//')"

finish
