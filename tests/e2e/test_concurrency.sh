#!/usr/bin/env bash
# 200 concurrent signs (60 under the sanitizers): all succeed, every serial is unique, every
# certificate is in the store.
source "$(dirname "$0")/lib.sh"

if [[ ${STRIDE_SANITIZED:-0} == 1 ]]; then N=60; else N=200; fi
check "ca init" init_ca
check "stride-ca starts" start_ca
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"
new_csr leaf foo.example.com
mkdir -p "$WORK/req" "$WORK/resp"
for i in $(seq 1 $N); do
	now=$(date +%s) # per token: preparing them all may take long on a loaded machine
	tok=$(forge_token "$WORK/prov.jwk" "$(jq -nc --arg aud "$CA_URL/1.0/sign" --arg iss "$PROVISIONER" \
		--argjson now "$now" --arg jti "$(openssl rand -hex 32)" \
		'{aud: $aud, iss: $iss, sub: "foo.example.com", nbf: $now, iat: $now, exp: ($now + 300), jti: $jti}')")
	sign_body "$WORK/leaf.csr" "$tok" >"$WORK/req/$i.json"
done
pass "prepared $N requests"

seq 1 $N | xargs -P 32 -I{} curl -s -o "$WORK/resp/{}.json" -w '%{http_code}\n' \
	--cacert "$STRIDEPATH/certs/root_ca.crt" -X POST --data-binary @"$WORK/req/{}.json" \
	"$CA_URL/sign" >"$WORK/codes"
expect_eq "all $N answered 201" "$N" "$(grep -c '^201$' "$WORK/codes")"
for i in $(seq 1 $N); do
	jq -r .crt "$WORK/resp/$i.json" | openssl x509 -noout -serial
done | sort >"$WORK/serials"
expect_eq "$N serials" "$N" "$(wc -l <"$WORK/serials")"
expect_eq "all serials unique" "$N" "$(sort -u "$WORK/serials" | wc -l)"
expect_eq "healthy afterwards" '{"status":"ok"}' "$(curl_ca /health)"
stop_ca
expect_eq "every certificate is in the store" "$N" "$(db_sql 'select count(*) from x509_certs')"
expect_eq "every token is recorded" "$N" "$(db_sql 'select count(*) from used_ott')"
finish
