#!/usr/bin/env bash
# The K8sSA provisioner (tokens.md §6.5): Kubernetes service-account tokens the test signs
# itself with RSA, ECDSA and Ed25519 keys. `ca provisioner add/update --type K8SSA` in local
# mode writes step-ca's object; the certificate copies the CSR's subject and SANs; a token is
# reusable; a wrong key, an expired or not-yet-valid token and an empty subject are refused
# with step-ca's 401; an SSH certificate is the request's certType, keyID and principals (400
# for each missing one); revoking with a service-account token is step-ca's 500; the CLI reads
# the token from --k8ssa-token-path and offers only K8sSA provisioners then. Then `ca provisioner
# add/update` of K8SSA and OIDC with the template flags through the admin API of a CA with
# remote management (the linkedca form on the wire, step-ca's conversion served back).
source "$(dirname "$0")/lib.sh"

GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
GENERIC_500="The certificate authority encountered an Internal Server Error. Please see the certificate authority logs for more info."
T=20
st() { timeout $T "$STRIDE_BIN" "$@"; }

check "ca init --ssh" init_ca --ssh
cd "$WORK" || exit 1
CFG="$STRIDEPATH/config/ca.json"

# --- the cluster's signing keys ------------------------------------------------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
openssl genpkey -algorithm ED25519 -out ed.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null
for k in rsa ec ed; do openssl pkey -in $k.key -pubout -out $k.pub 2>/dev/null; done
cat rsa.pub ec.pub >two.pem
# step keeps the keys of the file, each as a PKIX "PUBLIC KEY" PEM, joined with a newline
{ cat rsa.pub; echo; cat ec.pub; } >two.expected
{ cat rsa.pub; echo; cat ec.pub; echo; cat ed.pub; } >three.expected
# the file may hold other text and certificates' keys too: only the PEM blocks count
{ echo "cluster keys"; cat rsa.pub ec.pub ed.pub; } >three.pem

# --- provisioner add/update --type K8SSA (local mode: the CA is not running) ----------------
FALSE_CLAIMS='"disableRenewal":false,"allowRenewalAfterExpiry":false,"disableSmallstepExtensions":false'
check "add K8SSA" st ca provisioner add k8s --type k8ssa --public-key two.pem --ssh
prov() { jq -c --arg n "$1" '.authority.provisioners[] | select(.name == $n)' "$CFG"; }
expect_eq "K8SSA object as step writes it" \
	"{\"type\":\"K8SSA\",\"name\":\"k8s\",\"publicKeys\":\"$(base64 -w0 two.expected)\",\"claims\":{\"enableSSHCA\":true,$FALSE_CLAIMS},\"options\":{\"x509\":{},\"ssh\":{}}}" \
	"$(prov k8s)"
printf '{"team": "build"}' >data.json
printf '{"subject": {{ toJson .Subject }}}' >x509.tpl
check "update K8SSA: keys and templates" st ca provisioner update k8s --public-key three.pem \
	--x509-template x509.tpl --x509-template-data data.json
expect_eq "updated keys" "$(base64 -w0 three.expected)" "$(prov k8s | jq -r .publicKeys)"
expect_eq "updated options" '{"x509":{"template":"{\"subject\": {{ toJson .Subject }}}","templateData":{"team":"build"}},"ssh":{}}' \
	"$(prov k8s | jq -c .options)"
check "update K8SSA: template removed" st ca provisioner update k8s --x509-template "" --x509-template-data ""
expect_eq "options without the template" '{"x509":{},"ssh":{}}' "$(prov k8s | jq -c .options)"
check_fails "add K8SSA without keys" st ca provisioner add k2 --type K8SSA
expect_eq "its message" "'--type k8sSA' requires the '--public-key' flag" "$(tail -n1 "$WORK/last.err")"
check_fails "a private key in --public-key" st ca provisioner update k8s --public-key ec.key
expect_eq "its message (step's)" "Unexpected public key type *ecdsa.PrivateKey in ec.key" "$(tail -n1 "$WORK/last.err")"
printf -- '-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n' >pkcs1.pem
check_fails "a block step's PEM parser does not know" st ca provisioner update k8s --public-key pkcs1.pem
expect_eq "its message (step's)" \
	"error parsing public key from pkcs1.pem: error decoding PEM: contains an unexpected header 'RSA PUBLIC KEY'" \
	"$(tail -n1 "$WORK/last.err")"
check_fails "a second K8SSA" st ca provisioner add k3 --type K8SSA --public-key ec.pub
expect_eq "only one K8sSA (step-ca's message)" \
	"error storing provisioner: provisioner with token ID k8ssa/k8sSA-default already exists" \
	"$(tail -n1 "$WORK/last.err")"

# --- provisioner add/update --type OIDC with every flag (local mode) -----------------------
check "add OIDC" st ca provisioner add idp --type OIDC --client-id cid --client-secret sec \
	--configuration-endpoint https://idp.example.com/.well-known/openid-configuration \
	--listen-address 127.0.0.1:10000 --admin root@example.com --domain example.com \
	--domain example.org --group ops --tenant-id tid --scope email --auth-param prompt=login \
	--ssh-template x509.tpl --ssh-template-data data.json
# step sets scopes and authParams only on update
expect_eq "OIDC object as step writes it" \
	"{\"type\":\"OIDC\",\"name\":\"idp\",\"clientID\":\"cid\",\"clientSecret\":\"sec\",\"configurationEndpoint\":\"https://idp.example.com/.well-known/openid-configuration\",\"tenantID\":\"tid\",\"admins\":[\"root@example.com\"],\"domains\":[\"example.com\",\"example.org\"],\"groups\":[\"ops\"],\"listenAddress\":\"127.0.0.1:10000\",\"claims\":{\"enableSSHCA\":true,$FALSE_CLAIMS},\"options\":{\"x509\":{},\"ssh\":{\"template\":\"{\\\"subject\\\": {{ toJson .Subject }}}\",\"templateData\":{\"team\":\"build\"}}}}" \
	"$(prov idp)"
check "update OIDC" st ca provisioner update idp --client-id cid2 --remove-domain example.com \
	--domain example.net --remove-admin root@example.com --admin boss@example.com --group dev \
	--scope email --scope groups --auth-param access_type=offline --listen-address :10001
expect_eq "OIDC object updated" \
	"{\"type\":\"OIDC\",\"name\":\"idp\",\"clientID\":\"cid2\",\"clientSecret\":\"sec\",\"configurationEndpoint\":\"https://idp.example.com/.well-known/openid-configuration\",\"tenantID\":\"tid\",\"admins\":[\"boss@example.com\"],\"domains\":[\"example.org\",\"example.net\"],\"groups\":[\"ops\",\"dev\"],\"listenAddress\":\":10001\",\"claims\":{\"enableSSHCA\":true,$FALSE_CLAIMS},\"options\":{\"x509\":{},\"ssh\":{\"template\":\"{\\\"subject\\\": {{ toJson .Subject }}}\",\"templateData\":{\"team\":\"build\"}}},\"scopes\":[\"email\",\"groups\"],\"authParams\":[\"access_type=offline\"]}" \
	"$(prov idp)"
check_fails "OIDC endpoint not a URL" st ca provisioner update idp --configuration-endpoint idp.example.com
expect_eq "its message" "invalid value 'idp.example.com' for flag '--configuration-endpoint'" \
	"$(tail -n1 "$WORK/last.err")"
check "remove OIDC" st ca provisioner remove idp

check "stride-ca starts" start_ca

# --- service-account tokens --------------------------------------------------------------
now=$(date +%s)
SA_CLAIMS='"kubernetes.io/serviceaccount/namespace":"default","kubernetes.io/serviceaccount/secret.name":"build-token-x7k2p","kubernetes.io/serviceaccount/service-account.name":"build","kubernetes.io/serviceaccount/service-account.uid":"0d5f2a1e-5b8e-4d49-9c1a-6a3b8d2f9e10"'
# sa_token KEY EXTRA_CLAIMS: a token as the legacy token controller writes it (no exp)
sa_token() {
	"$TESTTOOL" sign-jwt "$1" '{"kid":""}' \
		"{\"iss\":\"kubernetes/serviceaccount\",$SA_CLAIMS,\"sub\":\"system:serviceaccount:default:build\"${2:+,$2}}"
}
TOK_RSA=$(sa_token rsa.key)
TOK_EC=$(sa_token ec.key)
TOK_ED=$(sa_token ed.key)
expect_eq "algorithms" "RS256 ES256 EdDSA" "$(for t in "$TOK_RSA" "$TOK_EC" "$TOK_ED"; do
	echo "$t" | cut -d. -f1 | tr '_-' '/+' | { read -r h; while ((${#h} % 4)); do h+="="; done; echo "$h"; } |
		base64 -d | jq -r .alg; done | xargs)"

# sign CSR TOKEN: POST /sign; "<status> <message>" or "<status>" on success
sign() {
	sign_body "$1" "$2" >req.json
	curl_ca -X POST --data-binary @req.json /1.0/sign >resp.json
	if [[ $(cat "$WORK/status") == 201 ]]; then
		jq -r .crt resp.json >"${3:-out.crt}"
		echo 201
	else
		echo "$(cat "$WORK/status") $(jq -r .message resp.json)"
	fi
}
new_csr app app.default.svc -addext \
	"subjectAltName=DNS:app.default.svc,DNS:app,IP:10.0.0.7,email:ops@example.com,URI:spiffe://cluster.local/ns/default/sa/build"
expect_eq "RSA-signed token" 201 "$(sign "$WORK/app.csr" "$TOK_RSA" app.crt)"
expect_eq "subject from the CSR" "subject=CN = app.default.svc" "$(openssl x509 -in app.crt -noout -subject)"
expect_eq "SANs from the CSR (in Go's order: DNS, email, IP, URI)" \
	"DNS:app.default.svc, DNS:app, email:ops@example.com, IP Address:10.0.0.7, URI:spiffe://cluster.local/ns/default/sa/build" \
	"$(openssl x509 -in app.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')"
expect_eq "the provisioner extension names k8s" 1 "$(openssl x509 -in app.crt -outform DER | grep -ac k8s)"
expect_eq "the same token again (reusable)" 201 "$(sign "$WORK/app.csr" "$TOK_RSA")"
expect_eq "and a third time" 201 "$(sign "$WORK/app.csr" "$TOK_RSA")"
expect_eq "ECDSA-signed token" 201 "$(sign "$WORK/app.csr" "$TOK_EC")"
expect_eq "Ed25519-signed token" 201 "$(sign "$WORK/app.csr" "$TOK_ED")"
new_csr bare other.name
expect_eq "any CN (no check against the token)" 201 "$(sign "$WORK/bare.csr" "$TOK_EC" bare.crt)"
expect_eq "no SAN extension when the CSR has none" "" \
	"$(openssl x509 -in bare.crt -noout -ext subjectAltName 2>/dev/null)"

expect_eq "a key not in publicKeys" "401 $GENERIC_401" "$(sign "$WORK/app.csr" "$(sa_token other.key)")"
expect_contains "logged as step-ca does" "error validating k8sSA token and extracting claims" "$(cat "$WORK/ca.log")"
expect_eq "expired (exp a minute and a half ago)" "401 $GENERIC_401" \
	"$(sign "$WORK/app.csr" "$(sa_token ec.key "\"exp\":$((now - 90))")")"
expect_contains "logged" "invalid k8sSA token claims: go-jose/go-jose/jwt: validation failed, token is expired (exp)" \
	"$(cat "$WORK/ca.log")"
expect_eq "exp within the one-minute leeway" 201 \
	"$(sign "$WORK/app.csr" "$(sa_token ec.key "\"exp\":$((now - 20)),\"iat\":$now")")"
expect_eq "iat before the CA started (step-ca's stopgap applies to every token)" "401 $GENERIC_401" \
	"$(sign "$WORK/app.csr" "$(sa_token ec.key "\"iat\":$((now - 3600))")")"
expect_eq "iat in the future" "401 $GENERIC_401" \
	"$(sign "$WORK/app.csr" "$(sa_token ec.key "\"iat\":$((now + 300))")")"
expect_eq "nbf in the future" "401 $GENERIC_401" \
	"$(sign "$WORK/app.csr" "$(sa_token ec.key "\"nbf\":$((now + 300))")")"
empty_sub=$("$TESTTOOL" sign-jwt ec.key '{}' "{\"iss\":\"kubernetes/serviceaccount\",$SA_CLAIMS,\"sub\":\"\"}")
expect_eq "empty sub" "401 $GENERIC_401" "$(sign "$WORK/app.csr" "$empty_sub")"
expect_contains "logged" "k8sSA token subject cannot be empty" "$(cat "$WORK/ca.log")"
other_iss=$("$TESTTOOL" sign-jwt ec.key '{}' "{\"iss\":\"https://kubernetes.default.svc\",$SA_CLAIMS,\"sub\":\"system:serviceaccount:default:build\",\"aud\":[\"https://kubernetes.default.svc\"]}")
expect_eq "another issuer (a projected token) is not K8sSA's" "401 $GENERIC_401" "$(sign "$WORK/app.csr" "$other_iss")"

# --- revoke: step-ca cannot record a service-account token's id -----------------------------
serial=$(openssl x509 -in app.crt -noout -serial | cut -d= -f2)
serial=$(echo "ibase=16; $serial" | BC_LINE_LENGTH=0 bc)
revoke_with() {
	jq -nc --arg s "$serial" --arg t "$1" '{serial: $s, ott: $t, passive: true}' >rev.json
	curl_ca -X POST --data-binary @rev.json /1.0/revoke >resp.json
	echo "$(cat "$WORK/status") $(jq -r .message resp.json)"
}
expect_eq "revoke: sub is not the serial" \
	"403 The request was forbidden by the certificate authority: request serial number \"$serial\" and token subject \"system:serviceaccount:default:build\" do not match." \
	"$(revoke_with "$TOK_RSA")"
expect_eq "revoke: sub is the serial" "500 $GENERIC_500" \
	"$(revoke_with "$("$TESTTOOL" sign-jwt rsa.key '{}' "{\"iss\":\"kubernetes/serviceaccount\",\"sub\":\"$serial\"}")")"

# --- SSH ----------------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f id_sa
PUB=$(awk '{print $2}' id_sa.pub)
ssh_sign() { # JSON members beyond publicKey and ott
	jq -nc --arg k "$PUB" --arg t "$TOK_RSA" "{publicKey: \$k, ott: \$t} + $1" >req.json
	curl_ca -X POST --data-binary @req.json /1.0/ssh/sign >resp.json
	echo "$(cat "$WORK/status") $(jq -r '.message // empty' resp.json)"
}
expect_eq "no certType" "400 The request could not be completed: ssh certificate certType cannot be empty." \
	"$(ssh_sign '{keyID: "build", principals: ["build"]}')"
expect_eq "no keyID" "400 The request could not be completed: ssh certificate keyID cannot be empty." \
	"$(ssh_sign '{certType: "user", principals: ["build"]}')"
expect_eq "no principals" "400 The request could not be completed: ssh certificate principals cannot be empty." \
	"$(ssh_sign '{certType: "user", keyID: "build"}')"
expect_eq "user certificate as requested" "201 " \
	"$(ssh_sign '{certType: "user", keyID: "build@cluster", principals: ["build", "deploy"]}')"
jq -r .crt resp.json | { printf 'ssh-ed25519-cert-v01@openssh.com '; cat; } >id_sa-cert.pub
L=$(ssh-keygen -L -f id_sa-cert.pub)
expect_contains "user certificate" "Type: ssh-ed25519-cert-v01@openssh.com user certificate" "$L"
expect_contains "key ID from the request" 'Key ID: "build@cluster"' "$L"
expect_eq "principals from the request" "build deploy" \
	"$(echo "$L" | sed -n '/Principals:/,/Critical Options:/p' | sed '1d;$d' | xargs)"
expect_eq "step's default user extensions" \
	"permit-X11-forwarding permit-agent-forwarding permit-port-forwarding permit-pty permit-user-rc" \
	"$(echo "$L" | sed -n '/Extensions:/,$p' | sed '1d' | xargs)"
expect_eq "host certificate as requested" "201 " \
	"$(ssh_sign '{certType: "host", keyID: "node-1", principals: ["node-1.cluster.local"]}')"
jq -r .crt resp.json | { printf 'ssh-ed25519-cert-v01@openssh.com '; cat; } >host-cert.pub
L=$(ssh-keygen -L -f host-cert.pub)
expect_contains "host certificate" "host certificate" "$L"
expect_eq "no extensions for a host" "" "$(echo "$L" | sed -n '/Extensions:/,$p' | sed '1d' | xargs)"

# --- the CLI ------------------------------------------------------------------------------
printf '%s\n' "$TOK_EC" >sa-token # as kubelet mounts it, but with a newline an editor added
check "ca token --k8ssa-token-path" st ca token anything --k8ssa-token-path sa-token
expect_eq "the token is the file's" "$TOK_EC" "$(cat "$WORK/last.out")"
expect_eq "only the K8sSA provisioner is offered" "✔ Provisioner: k8s (K8sSA)" "$(cat "$WORK/last.err")"
check "ca certificate --k8ssa-token-path" st ca certificate web.example.com web.crt web.key \
	--k8ssa-token-path sa-token --san web.example.com --san 10.1.2.3 --san ops@example.com
expect_eq "CN is the argument" "subject=CN = web.example.com" "$(openssl x509 -in web.crt -noout -subject)"
expect_eq "SANs are --san's" "DNS:web.example.com, email:ops@example.com, IP Address:10.1.2.3" \
	"$(openssl x509 -in web.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')"
check "ca certificate without --san" st ca certificate job-42 job.crt job.key --k8ssa-token-path sa-token
expect_eq "no SANs (step's CSR has the subject as CN only)" "subject=CN = job-42|" \
	"$(openssl x509 -in job.crt -noout -subject)|$(openssl x509 -in job.crt -noout -ext subjectAltName 2>/dev/null)"
check "ca certificate --token (a service-account token) with --san" st ca certificate api api.crt api.key \
	--token "$TOK_ED" --san api.example.com
expect_eq "its SANs" "DNS:api.example.com" \
	"$(openssl x509 -in api.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')"
check "ca renew of a K8sSA certificate" st ca renew web.crt web.key -f
expect_eq "renewed with the same names" "subject=CN = web.example.com|DNS:web.example.com, email:ops@example.com, IP Address:10.1.2.3" \
	"$(openssl x509 -in web.crt -noout -subject)|$(openssl x509 -in web.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')"
check "ca certificate --offline --k8ssa-token-path" st ca certificate off.example.com off.crt off.key \
	--offline --k8ssa-token-path sa-token --san off.example.com --password-file "$WORK/password"
expect_eq "offline: the CSR's names" "subject=CN = off.example.com|DNS:off.example.com" \
	"$(openssl x509 -in off.crt -noout -subject)|$(openssl x509 -in off.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')"
new_csr signreq signed.example.com -addext "subjectAltName=DNS:signed.example.com,DNS:alt.example.com"
check "ca sign --k8ssa-token-path" st ca sign "$WORK/signreq.csr" signed.crt --k8ssa-token-path sa-token
expect_eq "ca sign: the CSR's names" "DNS:signed.example.com, DNS:alt.example.com" \
	"$(openssl x509 -in signed.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')"
check "ssh certificate --k8ssa-token-path" st ssh certificate build@example.com sshcli \
	--k8ssa-token-path sa-token --no-password --insecure --principal build
L=$(ssh-keygen -L -f sshcli-cert.pub)
expect_eq "ssh certificate: keyID and principal from the command line" 'Key ID: "build@example.com" build' \
	"$(echo "$L" | grep -o 'Key ID: .*') $(echo "$L" | sed -n '/Principals:/,/Critical Options:/p' | sed '1d;$d' | xargs)"
if [[ ! -e /var/run/secrets/kubernetes.io/serviceaccount/token ]]; then
	check_fails "the default path when the K8sSA provisioner is chosen" st ca token x --provisioner k8s
	expect_eq "step's message" \
		"error reading kubernetes service account token: open /var/run/secrets/kubernetes.io/serviceaccount/token: No such file or directory" \
		"$(tail -n1 "$WORK/last.err")"
fi
check_fails "a missing token file" st ca token x --k8ssa-token-path nope
expect_eq "its message" "error reading kubernetes service account token: open nope: No such file or directory" \
	"$(tail -n1 "$WORK/last.err")"
check_fails "--k8ssa-token-path with --provisioner of another type" st ca token x --k8ssa-token-path sa-token \
	--provisioner "$PROVISIONER"
expect_eq "its message" "invalid value '$PROVISIONER' for flag '--provisioner'" "$(tail -n1 "$WORK/last.err")"

stop_ca

# --- provisioner add/update through the admin API (remote mode) ---------------------------
export STRIDEPATH="$WORK/remote"
check "ca init --remote-management" init_ca --remote-management
check "stride-ca starts (remote management)" start_ca
ADMIN=(--admin-subject step --admin-provisioner "$PROVISIONER" --admin-password-file "$WORK/prov-password")
check "add K8SSA (remote)" st ca provisioner add k8s --type K8SSA --public-key two.pem --ssh "${ADMIN[@]}"
served() { curl_ca /provisioners | jq -c --arg n "$1" '.provisioners[] | select(.name == $n)'; }
expect_eq "served as step-ca converts it" \
	"K8SSA $(base64 -w0 two.expected) {\"enableSSHCA\":true,$FALSE_CLAIMS}" \
	"$(served k8s | jq -r '"\(.type) \(.publicKeys) \(.claims | tojson)"')"
# the admin API's own (linkedca) form: one base64 PEM per key, as step sends them
check "an admin certificate" st ca certificate step step.crt step.key --provisioner "$PROVISIONER" \
	--provisioner-password-file "$WORK/prov-password"
now=$(date +%s)
ADM_TOKEN=$("$TESTTOOL" sign-jwt step.key "$(jq -nc --arg x "$(openssl x509 -in step.crt -outform DER | base64 -w0)" '{typ: "JWT", x5c: [$x]}')" \
	"$(jq -nc --arg aud "https://localhost/admin/provisioners/k8s" --argjson now "$now" \
		'{iss: "step-admin-client/1.0", sub: "step", aud: $aud, iat: $now, nbf: $now, exp: ($now + 300), jti: "k8s-get-1"}')")
curl_ca -H "Authorization: $ADM_TOKEN" /admin/provisioners/k8s >linkedca.json
expect_eq "GET /admin/provisioners/k8s" "200 K8SSA [\"$(base64 -w0 rsa.pub)\",\"$(base64 -w0 ec.pub)\"]" \
	"$(cat "$WORK/status") $(jq -rc '"\(.type) \(.details.K8sSA.publicKeys | tojson)"' linkedca.json)"
check "ca certificate through the remote K8sSA provisioner" st ca certificate svc.example.com svc.crt svc.key \
	--k8ssa-token-path sa-token --san svc.example.com
expect_eq "its SANs" "DNS:svc.example.com" \
	"$(openssl x509 -in svc.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')"
check "update K8SSA (remote): keys and templates" st ca provisioner update k8s --public-key three.pem \
	--x509-template x509.tpl --x509-template-data data.json --ssh-template x509.tpl "${ADMIN[@]}"
expect_eq "served after the update" \
	"$(base64 -w0 three.expected) {\"x509\":{\"template\":\"{\\\"subject\\\": {{ toJson .Subject }}}\",\"templateData\":{\"team\":\"build\"}},\"ssh\":{\"template\":\"{\\\"subject\\\": {{ toJson .Subject }}}\"}}" \
	"$(served k8s | jq -rc '"\(.publicKeys) \(.options | tojson)"')"
check "add OIDC (remote)" st ca provisioner add idp --type OIDC --client-id cid --client-secret sec \
	--configuration-endpoint https://idp.example.com/.well-known/openid-configuration \
	--listen-address 127.0.0.1:10000 --admin root@example.com --domain example.com --group ops \
	--tenant-id tid --scope email "${ADMIN[@]}"
expect_eq "served OIDC" \
	'{"type":"OIDC","name":"idp","clientID":"cid","clientSecret":"sec","configurationEndpoint":"https://idp.example.com/.well-known/openid-configuration","tenantID":"tid","admins":["root@example.com"],"domains":["example.com"],"groups":["ops"],"listenAddress":"127.0.0.1:10000"}' \
	"$(served idp | jq -c 'del(.claims, .options)')"
check "update OIDC (remote)" st ca provisioner update idp --remove-domain example.com --domain example.org \
	--scope email --auth-param prompt=login --client-secret "" "${ADMIN[@]}"
expect_eq "served OIDC updated" \
	'{"type":"OIDC","name":"idp","clientID":"cid","clientSecret":"","configurationEndpoint":"https://idp.example.com/.well-known/openid-configuration","tenantID":"tid","admins":["root@example.com"],"domains":["example.org"],"groups":["ops"],"listenAddress":"127.0.0.1:10000","scopes":["email"],"authParams":["prompt=login"]}' \
	"$(served idp | jq -c 'del(.claims, .options)')"
stop_ca
finish
