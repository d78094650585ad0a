#!/usr/bin/env bash
# Kyma-style renewal with nothing but openssl and curl (the Kyma Application
# Connector's "Renew a client certificate" tutorial).
#
# The tutorial's commands are used as written except for two things that break on
# today's tools, not on the server: OpenSSL 3 prints "subject=CN = x" (so the awk of
# step 1 would yield "="; -nameopt compat gives the old "/CN=x" form), and GNU base64
# wraps at 76 columns (so the unquoted $(... | base64) would split the JSON; -w0 keeps
# one line). --cacert with our root replaces -k.
source "$(dirname "$0")/lib.sh"

KYMA=/v1/applications/certificates/renewals
check "ca init" init_ca
check "stride-ca starts" start_ca
cd "$WORK" || exit 1
check "the first client certificate" "$STRIDE_BIN" ca certificate app.example.com client.crt client.key \
	--provisioner-password-file "$WORK/prov-password"
CLIENT_CERT_FILE_NAME=client
KEY_FILE_NAME=client

# 1. the subject of the current certificate
SUBJECT=$(openssl x509 -noout -subject -nameopt compat -in $CLIENT_CERT_FILE_NAME.crt | sed 's/^subject=//')
expect_eq "subject" "/CN=app.example.com" "$SUBJECT"
# 2. a CSR with that subject, signed with the existing key
openssl req -new -sha256 -out renewal.csr -key $KEY_FILE_NAME.key -subj "$SUBJECT" 2>/dev/null
# 3. the renewal request over mTLS
curl -s -o renewed.json -w '%{http_code}' -X POST "$CA_URL$KYMA" \
	-d '{"csr":"'$(cat renewal.csr | base64 -w0)'"}' --cacert "$STRIDEPATH/certs/root_ca.crt" \
	--cert $CLIENT_CERT_FILE_NAME.crt --key $KEY_FILE_NAME.key >status
expect_eq "renewal answered 201" 201 "$(cat status)"
expect_eq "Kyma's response fields" '["crt","clientCrt","caCrt"]' "$(jq -c keys_unsorted renewed.json)"
jq -r .clientCrt renewed.json | base64 -d >renewed.crt
jq -r .caCrt renewed.json | base64 -d >ca.crt
jq -r .crt renewed.json | base64 -d >chain.crt
expect_eq "crt is clientCrt followed by caCrt" "$(cat renewed.crt ca.crt)" "$(cat chain.crt)"
expect_eq "caCrt is the intermediate" "$(openssl x509 -in "$STRIDEPATH/certs/intermediate_ca.crt")" "$(openssl x509 -in ca.crt)"
expect_eq "same subject" "$SUBJECT" "$(openssl x509 -noout -subject -nameopt compat -in renewed.crt | sed 's/^subject=//')"
check "renewed certificate verifies" openssl verify -CAfile "$STRIDEPATH/certs/root_ca.crt" -untrusted ca.crt renewed.crt
[[ $(openssl x509 -noout -serial -in renewed.crt) != $(openssl x509 -noout -serial -in client.crt) ]] &&
	pass "new serial" || fail "same serial"

# The same with a new key: the certificate takes the CSR's key.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout new.key -sha256 \
	-out new.csr -subj "$SUBJECT" 2>/dev/null
curl -s -o rekeyed.json -w '%{http_code}' -X POST "$CA_URL$KYMA" \
	-d "{\"csr\":\"$(base64 new.csr | sed 's/$/\\n/' | tr -d '\n')\"}" \
	--cacert "$STRIDEPATH/certs/root_ca.crt" --cert client.crt --key client.key >status
expect_eq "wrapped base64 and a new key: 201" 201 "$(cat status)"
expect_eq "the new certificate has the CSR's key" "$(openssl pkey -in new.key -pubout)" \
	"$(jq -r .clientCrt rekeyed.json | base64 -d | openssl x509 -noout -pubkey)"

kyma() { # BODY [curl args...]: prints "<status> <body>"
	local body=$1
	shift
	curl -s -o out.json -w '%{http_code}' -X POST "$CA_URL$KYMA" -d "$body" \
		--cacert "$STRIDEPATH/certs/root_ca.crt" "$@" >status
	echo "$(cat status) $(jq -c . out.json 2>/dev/null)"
}
openssl req -new -sha256 -out other.csr -key client.key -subj "/CN=intruder.example.com" 2>/dev/null
expect_eq "another subject is refused" '400 {"code":400,"error":"CSR: Invalid CName provided."}' \
	"$(kyma '{"csr":"'$(base64 -w0 other.csr)'"}' --cert client.crt --key client.key)"
openssl req -new -sha256 -out org.csr -key client.key -subj "/CN=app.example.com/O=Evil" 2>/dev/null
expect_eq "an extra organization is refused" '400 {"code":400,"error":"CSR: Invalid organization provided."}' \
	"$(kyma '{"csr":"'$(base64 -w0 org.csr)'"}' --cert client.crt --key client.key)"
expect_eq "bad base64" '400 {"code":400,"error":"There was an error while parsing the base64 content. An incorrect value was provided."}' \
	"$(kyma '{"csr":"%%%"}' --cert client.crt --key client.key)"
expect_eq "base64 of something else" '400 {"code":400,"error":"Error while parsing CSR: not a certificate request"}' \
	"$(kyma '{"csr":"aGVsbG8="}' --cert client.crt --key client.key)"
expect_contains "not JSON" '400 {"code":400,"error":"Error while unmarshalling the request body' \
	"$(kyma 'nope' --cert client.crt --key client.key)"
expect_contains "without a client certificate" '401 {"code":401' "$(kyma '{"csr":"'$(base64 -w0 renewal.csr)'"}')"
expect_eq "healthy" '{"status":"ok"}' "$(curl_ca /health)"

# A revoked certificate cannot renew (Kyma's 403).
serial=0x$(openssl x509 -noout -serial -in client.crt | cut -d= -f2)
expect_eq "revoke the first certificate over mTLS" '{"status":"ok"}' \
	"$(curl_ca -X POST --cert client.crt --key client.key \
		-d "{\"serial\":\"$serial\",\"reasonCode\":1,\"reason\":\"test\",\"passive\":true}" /revoke)"
expect_eq "revoked certificate refused" '403 {"code":403,"error":"Certificate has been revoked"}' \
	"$(kyma '{"csr":"'$(base64 -w0 renewal.csr)'"}' --cert client.crt --key client.key)"
finish
