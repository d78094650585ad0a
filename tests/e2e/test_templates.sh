#!/usr/bin/env bash
# X.509 certificate templates (options.x509) through a running stride-ca: a table of JWK
# provisioners with templates and the certificates they must give, read back with openssl;
# `fail`, `required`, a template whose output is not JSON, and a template that does not compile
# (the CA refuses to start, naming the provisioner). Data: --set/--set-file (.Insecure.User),
# options.x509.templateData, templateFile relative to the step path.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
mkdir -p "$STRIDEPATH/templates/x509"

# provisioner NAME TEMPLATE [TEMPLATE_DATA]: a copy of the JWK provisioner (same key) with
# options.x509.template.
add_prov() {
	local data=${3:-null}
	edit_ca_json --arg name "$1" --arg tpl "$2" --argjson data "$data" \
		'.authority.provisioners += [.authority.provisioners[0] | .name = $name |
		 .options = {x509: ({template: $tpl} + (if $data == null then {} else {templateData: $data} end))}]'
}

add_prov leaf '{
  "subject": {"commonName": {{ toJson .Subject.CommonName }}, "organization": "Stride Org"},
  "sans": {{ toJson .SANs }},
  "keyUsage": ["digitalSignature"],
  "extKeyUsage": ["serverAuth"]
}'
add_prov subca '{
  "subject": {"country": "NZ", "organization": "Team", "organizationalUnit": ["Platform", "Ops"],
              "commonName": {{ toJson .Subject.CommonName }}},
  "keyUsage": ["certSign", "crlSign"],
  "basicConstraints": {"isCA": true, "maxPathLen": 0}
}'
add_prov client '{
  "subject": {"commonName": {{ toJson .Subject.CommonName }},
              "organizationalUnit": {{ toJson .Insecure.User.role }}},
  "sans": {{ toJson .SANs }},
  "keyUsage": ["digitalSignature"],
  "extKeyUsage": ["clientAuth"]
}'
add_prov ext '{
  "subject": {{ toJson .Subject }},
  "sans": {{ toJson .SANs }},
  "extensions": [{"id": "1.2.3.4", "critical": false, "value": "DAVoZWxsbw=="},
                 {"id": "1.2.3.5", "critical": true, "value": {{ "\u0005\u0000" | b64enc | toJson }}}],
  "keyUsage": ["digitalSignature"]
}'
add_prov failing '{{ if not .Insecure.User.role }}{{ fail "a role is required" }}{{ end }}{"subject": {{ toJson .Subject }}}'
add_prov required '{"subject": {"commonName": {{ required "a team is required" .Insecure.User.team | toJson }}}}'
add_prov notjson '{"subject": {{ .Subject.CommonName }}, "sans": {{ toJson .SANs }}}'
# base64 of a template, and templateData
add_prov b64 "$(printf '%s' '{"subject": {"commonName": {{ toJson .Subject.CommonName }}, "organization": {{ toJson .org }}}, "sans": {{ toJson .SANs }}}' | base64 -w0)" '{"org": "From Data"}'
cat >"$STRIDEPATH/templates/x509/file.tpl" <<'EOF'
{
  "subject": {"commonName": {{ toJson .Subject.CommonName }}, "locality": {{ toJson .Insecure.User.city }}},
  "sans": {{ toJson .SANs }},
  "extKeyUsage": ["emailProtection"]
}
EOF
edit_ca_json '.authority.provisioners += [.authority.provisioners[0] | .name = "file" |
	.options = {x509: {templateFile: "templates/x509/file.tpl"}}]'
check "stride-ca starts with the templates" start_ca

# issue PROV NAME [flags...]: NAME.crt for NAME.example.com from provisioner PROV.
issue() {
	local prov=$1 name=$2
	shift 2
	timeout 30 "$STRIDE_BIN" ca certificate "$name.example.com" "$WORK/$name.crt" "$WORK/$name.key" \
		--provisioner "$prov" --provisioner-password-file "$WORK/prov-password" -f "$@"
}
text() { openssl x509 -in "$WORK/$1.crt" -noout -text; }
subject() { openssl x509 -in "$WORK/$1.crt" -noout -subject -nameopt compat | sed 's/^subject=//'; }
ext() { openssl x509 -in "$WORK/$1.crt" -noout -ext "$2" 2>/dev/null | tail -n +2 | sed 's/^ *//'; }

check "leaf template" issue leaf leaf
expect_eq "leaf: subject" "/O=Stride Org/CN=leaf.example.com" "$(subject leaf)"
expect_eq "leaf: extKeyUsage" "TLS Web Server Authentication" "$(ext leaf extendedKeyUsage)"
expect_eq "leaf: keyUsage" "Digital Signature" "$(ext leaf keyUsage)"
expect_eq "leaf: SANs" "DNS:leaf.example.com" "$(ext leaf subjectAltName)"
expect_contains "leaf: the provisioner extension is kept" "1.3.6.1.4.1.37476.9000.64.1" "$(text leaf)"

check "sub-CA template" issue subca team
# several values of one attribute: one RDN, its values in DER order (Go's too)
expect_eq "sub-CA: full subject in Go's order" "/C=NZ/O=Team/OU=Ops+OU=Platform/CN=team.example.com" "$(subject team)"
expect_eq "sub-CA: basicConstraints" "CA:TRUE, pathlen:0" "$(ext team basicConstraints)"
expect_eq "sub-CA: keyUsage" "Certificate Sign, CRL Sign" "$(ext team keyUsage)"
expect_contains "sub-CA: basicConstraints critical" "X509v3 Basic Constraints: critical" "$(text team)"
check "sub-CA: verifies as a CA under the root" openssl verify -CAfile "$STRIDEPATH/certs/root_ca.crt" \
	-untrusted "$STRIDEPATH/certs/intermediate_ca.crt" -purpose crlsign "$WORK/team.crt"

check "client template with --set role=admin" issue client alice --set role=admin
expect_eq "client: OU from .Insecure.User.role" "/OU=admin/CN=alice.example.com" "$(subject alice)"
expect_eq "client: extKeyUsage" "TLS Web Client Authentication" "$(ext alice extendedKeyUsage)"
echo '{"role": "ops"}' >"$WORK/data.json"
check "client template with --set-file" issue client bob --set-file "$WORK/data.json"
expect_eq "client: OU from --set-file" "/OU=ops/CN=bob.example.com" "$(subject bob)"

check "custom extensions" issue ext carol
expect_contains "ext: 1.2.3.4 with its value" "1.2.3.4: 
                ..hello" "$(text carol)"
expect_contains "ext: 1.2.3.5 critical" "1.2.3.5: critical" "$(text carol)"

check "base64 template with templateData" issue b64 dave
expect_eq "b64: organization from templateData" "/O=From Data/CN=dave.example.com" "$(subject dave)"
check "templateFile relative to the step path" issue file erin --set city=Wellington
expect_eq "file: locality from --set" "/L=Wellington/CN=erin.example.com" "$(subject erin)"
expect_eq "file: extKeyUsage" "E-mail Protection" "$(ext erin extendedKeyUsage)"

# sign SUBJECT PROV [templateData JSON]: POST /sign; the body in $WORK/body, status in $WORK/status.
sign() {
	local tok
	tok=$(timeout 30 "$STRIDE_BIN" ca token "$1" --provisioner "$2" \
		--provisioner-password-file "$WORK/prov-password" --ca-url "$CA_URL" \
		--root "$STRIDEPATH/certs/root_ca.crt") || return 1
	new_csr s "$1"
	sign_body "$WORK/s.csr" "$tok" | jq -c --argjson td "${3:-null}" \
		'if $td == null then . else .templateData = $td end' >"$WORK/sign.json"
	curl_ca -X POST --data-binary @"$WORK/sign.json" /1.0/sign >/dev/null
}

sign fail1.example.com failing
expect_eq "fail: 400" "400" "$(cat "$WORK/status")"
expect_eq "fail: its message (step-ca 0.19's form)" \
	"The request could not be completed: a role is required." "$(jq -r .message "$WORK/body")"
sign fail2.example.com failing '{"role": "x"}'
expect_eq "fail not reached: 201" "201" "$(cat "$WORK/status")"
check_fails "fail through the CLI" issue failing frank
expect_contains "fail: the CLI prints the message" "a role is required" "$(cat "$WORK/last.err")"

sign req1.example.com required
expect_eq "required: 500 (an execution error, as step-ca)" "500" "$(cat "$WORK/status")"
sign req2.example.com required '{"team": "blue"}'
expect_eq "required satisfied: 201" "201" "$(cat "$WORK/status")"
openssl x509 -noout -subject -nameopt compat <<<"$(jq -r .crt "$WORK/body")" >"$WORK/req2.subject"
expect_eq "required: CN from templateData" "subject=/CN=blue" "$(cat "$WORK/req2.subject")"

sign bad.example.com notjson
expect_eq "output not JSON: 500" "500" "$(cat "$WORK/status")"
expect_eq "output not JSON: step-ca's message" "error applying certificate template" \
	"$(jq -r .message "$WORK/body")"

# ca token --set/--set-file: the token's "user" claim (.Token.user), values that are JSON as JSON
echo '{"team": "blue"}' >"$WORK/user.json"
check "ca token --set --set-file" timeout 30 "$STRIDE_BIN" ca token tok.example.com --provisioner leaf \
	--provisioner-password-file "$WORK/prov-password" --set role=admin --set n=5 \
	--set-file "$WORK/user.json"
expect_eq "ca token: the user claim" '{"n":5,"role":"admin","team":"blue"}' \
	"$(jwt_payload "$(cat "$WORK/last.out")" | jq -cS .user)"
check_fails "ca token --set without =" timeout 30 "$STRIDE_BIN" ca token tok.example.com \
	--provisioner leaf --provisioner-password-file "$WORK/prov-password" --set role
expect_contains "... step's message" "invalid value 'role' for flag '--set'" "$(cat "$WORK/last.err")"
check_fails "ca certificate --offline --set" timeout 30 "$STRIDE_BIN" ca certificate x.example.com \
	"$WORK/x.crt" "$WORK/x.key" --offline --set role=admin
expect_contains "... step's message" "flag '--offline' is incompatible with '--set'" \
	"$(cat "$WORK/last.err")"

# the default template is unchanged for the first provisioner
check "default template" issue "$PROVISIONER" plain
expect_eq "default: subject" "/CN=plain.example.com" "$(subject plain)"
expect_eq "default: extKeyUsage" "TLS Web Server Authentication, TLS Web Client Authentication" \
	"$(ext plain extendedKeyUsage)"
stop_ca

# a template that does not compile refuses the configuration, naming the provisioner
edit_ca_json '.authority.provisioners += [.authority.provisioners[0] | .name = "broken" |
	.options = {x509: {template: "{\"subject\": {{ if }}}"}}]'
"$STRIDE_CA_BIN" --password-file "$WORK/password" "$STRIDEPATH/config/ca.json" >"$WORK/bad.log" 2>&1 &
BAD_PID=$!
for _ in $(seq 1 50); do
	kill -0 "$BAD_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$BAD_PID" 2>/dev/null; then
	kill -TERM "$BAD_PID"
	fail "stride-ca started with an invalid template"
else
	pass "stride-ca refuses an invalid template"
fi
wait "$BAD_PID" 2>/dev/null
expect_contains "the message names the provisioner" 'failed to initialize JWK provisioner "broken"' \
	"$(cat "$WORK/bad.log")"
expect_contains "... and says what is wrong" "invalid x509 template" "$(cat "$WORK/bad.log")"

finish
