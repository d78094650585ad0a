#!/usr/bin/env bash
# `stride ca provisioner add/update/remove` against a CA without the admin API (local mode):
# ca.json is rewritten (only authority.provisioners changes, tab indented, mode kept) with
# the objects step's newest CLI writes; stride-ca starts on the result and issues from the
# added JWK provisioner; errors carry step's messages.
source "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2016 # the backquotes are part of the message
SUCCESS='Success! Your `step-ca` config has been updated. To pick up the new configuration SIGHUP (kill -1 <pid>) or restart the step-ca process.'
FALSE_CLAIMS='"disableRenewal":false,"allowRenewalAfterExpiry":false,"disableSmallstepExtensions":false'
OPTIONS='"options":{"x509":{},"ssh":{}}'

check "ca init" init_ca
cd "$WORK" || exit 1
CFG="$STRIDEPATH/config/ca.json"
chmod 0640 "$CFG"
jq -S 'del(.authority.provisioners)' "$CFG" >rest.before
jq -c '.authority.provisioners[0]' "$CFG" >first.before
printf 'cicd-password\n' >cicd-pass

prov() { # name: the compact JSON of the provisioner called name
	jq -c --arg n "$1" '.authority.provisioners[] | select(.name == $n)' "$CFG"
}
without_key() { # name: prov without key and encryptedKey
	jq -c --arg n "$1" '.authority.provisioners[] | select(.name == $n) | del(.key, .encryptedKey)' "$CFG"
}

# --- add (the CA is not running: the probe's connection is refused) ---------------------
check "add JWK --create" "$STRIDE_BIN" ca provisioner add cicd --create --password-file cicd-pass \
	--x509-default-dur 90m
expect_eq "local mode output" "✔ CA Configuration: $CFG

$SUCCESS" "$(cat "$WORK/last.err")"
expect_eq "nothing on stdout" "" "$(cat "$WORK/last.out")"
expect_eq "JWK object as step writes it" \
	"{\"type\":\"JWK\",\"name\":\"cicd\",\"claims\":{\"defaultTLSCertDuration\":\"1h30m0s\",\"enableSSHCA\":true,$FALSE_CLAIMS},$OPTIONS}" \
	"$(without_key cicd)"
expect_eq "JWK key and encryptedKey in step's order" '["type","name","key","encryptedKey","claims","options"]' \
	"$(prov cicd | jq -c keys_unsorted)"
expect_eq "public key P-256 with a kid" "EC P-256 ES256 sig 43" \
	"$(prov cicd | jq -r '.key | "\(.kty) \(.crv) \(.alg) \(.use) \(.kid | length)"')"
prov cicd | jq -r .encryptedKey | "$TESTTOOL" jwe-decrypt cicd-pass >cicd.jwk
expect_eq "encryptedKey opens with the password and holds the private key" \
	"$(prov cicd | jq -r '.key.x') true" "$(jq -r '"\(.x) \(has("d"))"' cicd.jwk)"

ROOT_B64=$(base64 -w0 "$STRIDEPATH/certs/root_ca.crt")
check "add X5C" "$STRIDE_BIN" ca provisioner add x5c --type x5c --x5c-roots "$STRIDEPATH/certs/root_ca.crt"
expect_eq "X5C object" \
	"{\"type\":\"X5C\",\"name\":\"x5c\",\"roots\":\"$ROOT_B64\",\"claims\":{\"enableSSHCA\":true,$FALSE_CLAIMS},$OPTIONS}" \
	"$(prov x5c)"
check "add ACME" "$STRIDE_BIN" ca provisioner add acme --type ACME --challenge http-01 --challenge DNS-01 \
	--challenge http-01 --force-cn --require-eab --ssh=false --x509-max-dur 72h
expect_eq "ACME object" \
	"{\"type\":\"ACME\",\"name\":\"acme\",\"forceCN\":true,\"requireEAB\":true,\"challenges\":[\"http-01\",\"dns-01\"],\"claims\":{\"maxTLSCertDuration\":\"72h0m0s\",\"enableSSHCA\":false,$FALSE_CLAIMS},$OPTIONS}" \
	"$(prov acme)"
check "add SSHPOP" "$STRIDE_BIN" ca provisioner add sshpop --type SSHPOP --disable-renewal
expect_eq "SSHPOP object" \
	'{"type":"SSHPOP","name":"sshpop","claims":{"enableSSHCA":true,"disableRenewal":true,"allowRenewalAfterExpiry":false,"disableSmallstepExtensions":false}}' \
	"$(prov sshpop)"

# --- update -------------------------------------------------------------------------------
check "update claims" "$STRIDE_BIN" ca provisioner update cicd --x509-default-dur 2h --x509-max-dur 4h \
	--allow-renewal-after-expiry
expect_eq "updated claims" \
	"{\"type\":\"JWK\",\"name\":\"cicd\",\"claims\":{\"maxTLSCertDuration\":\"4h0m0s\",\"defaultTLSCertDuration\":\"2h0m0s\",\"enableSSHCA\":true,\"disableRenewal\":false,\"allowRenewalAfterExpiry\":true,\"disableSmallstepExtensions\":false},$OPTIONS}" \
	"$(without_key cicd)"
check "update name and challenges" "$STRIDE_BIN" ca provisioner update acme --name acme-web \
	--remove-challenge dns-01 --challenge tls-alpn-01 --force-cn=false
expect_eq "renamed, edited in place" \
	"{\"type\":\"ACME\",\"name\":\"acme-web\",\"requireEAB\":true,\"challenges\":[\"http-01\",\"tls-alpn-01\"],\"claims\":{\"maxTLSCertDuration\":\"72h0m0s\",\"enableSSHCA\":false,$FALSE_CLAIMS},$OPTIONS}" \
	"$(jq -c '.authority.provisioners[3]' "$CFG")"
expect_eq "order of the provisioners" '["admin@example.com","cicd","x5c","acme-web","sshpop"]' \
	"$(jq -c '[.authority.provisioners[].name]' "$CFG")"

# --- errors -------------------------------------------------------------------------------
err_is() { # description expected-message command...
	local what=$1 want=$2
	shift 2
	check_fails "$what" "$@"
	expect_eq "$what: message" "$want" "$(tail -n 1 "$WORK/last.err")"
}
cp "$CFG" cfg.before-errors
err_is "duplicate name" "error storing provisioner: provisioner with name x5c already exists" \
	"$STRIDE_BIN" ca provisioner add x5c --type SSHPOP
err_is "unknown name on update" "error loading provisioner: provisioner nope not found" \
	"$STRIDE_BIN" ca provisioner update nope --x509-max-dur 1h
err_is "unknown name on remove" "error loading provisioner: provisioner nope not found" \
	"$STRIDE_BIN" ca provisioner remove nope
err_is "rename onto another provisioner" \
	"error updating provisioner: error updating provisioner 'x5c' in authority cache: provisioner with name x5c already exists" \
	"$STRIDE_BIN" ca provisioner update acme-web --name x5c
err_is "invalid type" \
	"invalid value 'jwt' for flag '--type'; options are JWK, ACME, OIDC, SSHPOP, K8SSA, NEBULA, SCEP, AWS, GCP, AZURE" \
	"$STRIDE_BIN" ca provisioner add p --type jwt
err_is "JWK without a key" "'--create false' requires the '--public-key' flag" \
	"$STRIDE_BIN" ca provisioner add p
err_is "--create without a password and no terminal" "'stride ca provisioner add' requires the '--password-file' flag" \
	setsid "$STRIDE_BIN" ca provisioner add p --create
err_is "X5C without roots" "'--type x5c' requires the '--x5c-roots' flag" \
	"$STRIDE_BIN" ca provisioner add p --type X5C
err_is "bad challenge" \
	"invalid value 'http' for flag '--challenge'; options are http-01, dns-01, tls-alpn-01 and device-attest-01" \
	"$STRIDE_BIN" ca provisioner add p --type acme --challenge http
err_is "not a duration" 'invalid value "2 hours" for flag -x509-max-dur: parse error' \
	"$STRIDE_BIN" ca provisioner add p --type sshpop --x509-max-dur "2 hours"
err_is "default below min" \
	'error storing provisioner: error validating configuration for provisioner "p": claims: DefaultCertDuration cannot be less than MinCertDuration: DefaultCertDuration - 10m0s, MinCertDuration - 1h0m0s' \
	"$STRIDE_BIN" ca provisioner add p --type sshpop --x509-min-dur 1h --x509-default-dur 10m
err_is "ssh user min above max" \
	"error storing provisioner: error validating configuration for provisioner \"p\": min duration '2h0m0s' cannot be greater than max duration '1h0m0s'" \
	"$STRIDE_BIN" ca provisioner add p --type sshpop --ssh-user-min-dur 2h --ssh-user-max-dur 1h
err_is "max below min on update" \
	"error updating provisioner: error initializing provisioner cicd: claims: MaxCertDuration cannot be less than MinCertDuration: MaxCertDuration - 1m0s, MinCertDuration - 5m0s" \
	"$STRIDE_BIN" ca provisioner update cicd --x509-max-dur 1m
err_is "a type stride cannot write yet" "provisioner type 'NEBULA' is not supported yet by stride" \
	"$STRIDE_BIN" ca provisioner add p --type nebula
expect_eq "failed commands leave ca.json alone" "" "$(cmp cfg.before-errors "$CFG" 2>&1)"

# --- types stride-ca lists but does not serve yet ------------------------------------------
check "add OIDC" "$STRIDE_BIN" ca provisioner add google --type OIDC --client-id cid --client-secret sec \
	--configuration-endpoint https://accounts.google.com/.well-known/openid-configuration --domain example.com
expect_eq "OIDC object" \
	"{\"type\":\"OIDC\",\"name\":\"google\",\"clientID\":\"cid\",\"clientSecret\":\"sec\",\"configurationEndpoint\":\"https://accounts.google.com/.well-known/openid-configuration\",\"domains\":[\"example.com\"],\"claims\":{\"enableSSHCA\":true,$FALSE_CLAIMS},$OPTIONS}" \
	"$(prov google)"
check "add AWS" "$STRIDE_BIN" ca provisioner add amazon --type aws --aws-account 123456789 --disable-custom-sans
expect_eq "AWS object" \
	"{\"type\":\"AWS\",\"name\":\"amazon\",\"accounts\":[\"123456789\"],\"disableCustomSANs\":true,\"disableTrustOnFirstUse\":false,\"imdsVersions\":null,\"instanceAge\":\"0s\",\"claims\":{\"enableSSHCA\":true,$FALSE_CLAIMS},$OPTIONS}" \
	"$(prov amazon)"
check "update AWS" "$STRIDE_BIN" ca provisioner update amazon --remove-aws-account 123456789 --aws-account 42 \
	--instance-age 30m
expect_eq "AWS object updated" '["42"] "30m0s"' "$(prov amazon | jq -rc '"\(.accounts) \"\(.instanceAge)\""')"
check "remove AWS" "$STRIDE_BIN" ca provisioner remove amazon

# --- the rest of ca.json -------------------------------------------------------------------
expect_eq "everything but the provisioners unchanged" "" "$(jq -S 'del(.authority.provisioners)' "$CFG" | diff - rest.before)"
expect_eq "the first provisioner unchanged" "$(cat first.before)" "$(jq -c '.authority.provisioners[0]' "$CFG")"
expect_eq "tab indentation" $'\t"root": ' "$(sed -n 2p "$CFG" | cut -c1-9)"
expect_eq "file mode kept" 640 "$(stat -c %a "$CFG")"

# --- stride-ca on the result ---------------------------------------------------------------
check "stride-ca starts on the rewritten ca.json" start_ca
check "provisioner list" "$STRIDE_BIN" ca provisioner list
expect_eq "the CA serves the provisioners" '["admin@example.com","cicd","x5c","acme-web","sshpop","google"]' \
	"$(jq -c '[.[].name]' "$WORK/last.out")"
check "certificate from the added JWK provisioner" "$STRIDE_BIN" ca certificate svc.example.com svc.crt svc.key \
	--provisioner cicd --provisioner-password-file cicd-pass
expect_contains "issued through cicd" "cicd" "$(openssl x509 -in svc.crt -outform DER | strings)"
nb=$(date -d "$(openssl x509 -in svc.crt -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in svc.crt -noout -enddate | cut -d= -f2)" +%s)
expect_eq "validity from the updated default (2h plus the 1m backdate)" 7260 $((na - nb))

# A running CA without the admin API answers /admin/admins with 404: still local mode.
check "remove while the CA runs" "$STRIDE_BIN" ca provisioner remove sshpop
expect_eq "remove output" "✔ CA Configuration: $CFG

$SUCCESS" "$(cat "$WORK/last.err")"
expect_eq "removed" '["admin@example.com","cicd","x5c","acme-web","google"]' "$(jq -c '[.authority.provisioners[].name]' "$CFG")"
stop_ca
check "stride-ca starts after the removal" start_ca
stop_ca

finish
