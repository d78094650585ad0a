#!/usr/bin/env bash
# A renewal racing its parent's revocation: 120 certificates (60 under the sanitizers), each
# renewed over mTLS and revoked over mTLS at the same moment. Whichever commits first, no
# renewal may stay valid: either the renewal is refused, or the certificate it produced is
# revoked with its parent.
source "$(dirname "$0")/lib.sh"

# Under the sanitizers (ten times slower) 60 trials keep the race in play within the budget.
if [[ ${STRIDE_SANITIZED:-0} == 1 ]]; then N=${RACE_TRIALS:-60}; else N=${RACE_TRIALS:-120}; fi
check "ca init" init_ca
check "stride-ca starts" start_ca
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"
new_csr leaf race.example.com
ROOT="$STRIDEPATH/certs/root_ca.crt"
mkdir -p "$WORK/req" "$WORK/a" "$WORK/res" "$WORK/renewed"
now=$(date +%s)
for i in $(seq 1 "$N"); do
	tok=$(forge_token "$WORK/prov.jwk" "$(jq -nc --arg aud "$CA_URL/1.0/sign" --arg iss "$PROVISIONER" \
		--argjson now "$now" --arg jti "race-$i" \
		'{aud: $aud, iss: $iss, sub: "race.example.com", nbf: $now, iat: $now, exp: ($now + 600), jti: $jti}')")
	sign_body "$WORK/leaf.csr" "$tok" >"$WORK/req/$i.json"
done
seq 1 "$N" | xargs -P 8 -I{} timeout 20 curl -s -o "$WORK/a/{}.json" -w '%{http_code}\n' \
	--cacert "$ROOT" -X POST --data-binary @"$WORK/req/{}.json" "$CA_URL/sign" >"$WORK/codes"
expect_eq "$N certificates issued" "$N" "$(grep -c '^201$' "$WORK/codes")"

# race I: renew and revoke certificate I at once; leaves "<renew status> <revoke status>" in
# res/I and the renewed certificate's decimal serial (if any) in renewed/I.
race() {
	local i=$1 a="$WORK/a/$1" serial rs vs
	jq -r .crt "$a.json" >"$a.crt"
	serial=$(openssl x509 -noout -serial -in "$a.crt" | cut -d= -f2)
	timeout 20 curl -s -o "$a.renew.json" -w '%{http_code}' --cacert "$ROOT" --cert "$a.crt" \
		--key "$WORK/leaf.key" -X POST "$CA_URL/renew" >"$a.rs" &
	timeout 20 curl -s -o /dev/null -w '%{http_code}' --cacert "$ROOT" --cert "$a.crt" \
		--key "$WORK/leaf.key" -X POST --data-binary "{\"serial\":\"0x$serial\",\"reasonCode\":0,\"passive\":true}" \
		"$CA_URL/revoke" >"$a.vs" &
	wait
	rs=$(cat "$a.rs")
	vs=$(cat "$a.vs")
	if [[ $rs == 201 ]]; then
		jq -r .crt "$a.renew.json" | openssl x509 -noout -serial | cut -d= -f2 |
			(echo "ibase=16; $(cat)" | BC_LINE_LENGTH=0 bc) >"$WORK/renewed/$i"
	fi
	echo "$rs $vs" >"$WORK/res/$i"
}
export -f race
export WORK ROOT CA_URL
seq 1 "$N" | xargs -P 4 -I{} bash -c 'race {}'
cat "$WORK"/res/* | sort | uniq -c >"$WORK/outcomes"
echo "# outcomes (count, renew status, revoke status):" && sed 's/^/# /' "$WORK/outcomes"
expect_eq "every revocation answered 200" "$N" "$(cat "$WORK"/res/* | awk '$2 == 200' | wc -l)"
expect_eq "every renewal answered 201 or 401" "$N" "$(cat "$WORK"/res/* | awk '$1 == 201 || $1 == 401' | wc -l)"
renewed=$(cat "$WORK"/renewed/* 2>/dev/null | wc -l)
echo "# $renewed renewals committed before their parent's revocation, $((N - renewed)) were refused"
stop_ca
# The renewed serials (each a new certificate) that are not revoked, in one query.
escapes=0
if ((renewed > 0)); then
	list=$(cat "$WORK"/renewed/* | sed "s/.*/'&'/" | paste -sd,)
	escapes=$((renewed - $(db_sql "select count(*) from revoked_x509_certs where serial in ($list)")))
fi
expect_eq "no renewal of a revoked certificate stays valid (escapes)" 0 "$escapes"
expect_eq "every revoked certificate's renewal is in the store and revoked" \
	"$renewed" "$(db_sql "select count(*) from x509_certs c join revoked_x509_certs r on r.serial = c.serial where c.parent_serial is not null")"
finish
