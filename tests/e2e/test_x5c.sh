#!/usr/bin/env bash
# The X5C provisioner: tokens signed by a certificate that chains to the provisioner's roots.
source "$(dirname "$0")/lib.sh"

GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
check "ca init" init_ca
edit_ca_json ".authority.provisioners += [{\"type\": \"X5C\", \"name\": \"x5c\", \"roots\": \"$(base64 -w0 "$STRIDEPATH/certs/root_ca.crt")\"}]"
check "stride-ca starts" start_ca
cd "$WORK" || exit 1

check "a certificate to sign tokens with (JWK)" "$STRIDE_BIN" ca certificate signer.example.com signer.crt \
	signer.key --provisioner "$PROVISIONER" --provisioner-password-file "$WORK/prov-password" --not-after 2h
check "X5C token" "$STRIDE_BIN" ca token x.example.com --x5c-cert signer.crt --x5c-key signer.key
tok=$(cat "$WORK/last.out")
expect_eq "the audience names the provisioner" "$CA_URL/1.0/sign#x5c/x5c" "$(jwt_payload "$tok" | jq -r .aud)"
expect_eq "the x5c header holds the chain" 2 "$(echo "$tok" | cut -d. -f1 | tr '_-' '/+' |
	{ read -r h; while ((${#h} % 4)); do h+="="; done; echo "$h"; } | base64 -d | jq '.x5c | length')"
check "certificate with the X5C token" "$STRIDE_BIN" ca certificate x.example.com x.crt x.key --token "$tok"
check "X5C provisioner in the extension" bash -c "openssl x509 -in x.crt -outform DER | grep -aq x5c"
expect_eq "validity capped at the signing certificate's" \
	"$(openssl x509 -in signer.crt -noout -enddate)" "$(openssl x509 -in x.crt -noout -enddate)"
check "certificate making its own X5C token" "$STRIDE_BIN" ca certificate y.example.com y.crt y.key \
	--x5c-cert signer.crt --x5c-key signer.key
check_fails "notAfter beyond the signing certificate" "$STRIDE_BIN" ca certificate z.example.com z.crt z.key \
	--x5c-cert signer.crt --x5c-key signer.key --not-after 3h
expect_contains "window message" "is after the x5c certificate's notAfter" "$(cat "$WORK/last.err")"

# The CSR's CN must be the token subject itself (X5C rule).
check "X5C token with SANs" "$STRIDE_BIN" ca token w.example.com --san w.example.com --san alt.example.com \
	--x5c-cert signer.crt --x5c-key signer.key
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout alt.key -out alt.csr \
	-subj /CN=alt.example.com 2>/dev/null
sign_body alt.csr "$(cat "$WORK/last.out")" >req.json
curl_ca -X POST --data-binary @req.json /sign >/dev/null
expect_eq "CN other than the subject" "403 The request was forbidden by the certificate authority: certificate request does not contain the valid common name - got alt.example.com, want w.example.com." \
	"$(cat "$WORK/status") $(jq -r .message "$WORK/body")"

# A certificate from another CA cannot sign X5C tokens.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.crt \
	-subj /CN=self -days 1 -addext keyUsage=digitalSignature -addext extendedKeyUsage=clientAuth 2>/dev/null
check "token with a foreign certificate" "$STRIDE_BIN" ca token f.example.com --x5c-cert self.crt --x5c-key self.key
new_csr f f.example.com
sign_body "$WORK/f.csr" "$(cat "$WORK/last.out")" >req.json
curl_ca -X POST --data-binary @req.json /sign >/dev/null
expect_eq "foreign x5c chain refused" "401 $GENERIC_401" "$(cat "$WORK/status") $(jq -r .message "$WORK/body")"
check_fails "--x5c-cert without --x5c-key" "$STRIDE_BIN" ca token q.example.com --x5c-cert signer.crt
finish
