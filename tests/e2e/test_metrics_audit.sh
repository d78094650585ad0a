#!/usr/bin/env bash
# The Prometheus listener (metricsAddress) and the audit file: exact counters after a known
# sequence of requests, histogram consistency, and one audit line per operation, field by field.
# With STRIDE_TEST_DB=postgresql the commit metrics are PostgreSQL's committer's.
source "$(dirname "$0")/lib.sh"

check "ca init" init_ca
MPORT=$(free_port)
openssl ecparam -name prime256v1 -genkey -noout -out "$STRIDEPATH/secrets/ssh_user_ca_key" 2>/dev/null
edit_ca_json --arg m ":$MPORT" --arg a "$WORK/audit.log" --arg u "$STRIDEPATH/secrets/ssh_user_ca_key" \
	'.metricsAddress = $m | .audit = {path: $a} | .ssh = {userKey: $u}
	 | .authority.provisioners[0].claims.enableSSHCA = true'
check "stride-ca starts" start_ca
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"
cd "$WORK" || exit 1
ROOT="$STRIDEPATH/certs/root_ca.crt"

expect_contains "the metrics listener is logged on loopback" \
	"\"msg\":\"serving metrics\",\"address\":\"127.0.0.1:$MPORT\"" "$(cat ca.log)"

# claims CN: a valid /sign token payload for CN with one extra SAN.
claims() {
	local now
	now=$(date +%s)
	jq -nc --arg aud "$CA_URL/1.0/sign" --arg iss "$PROVISIONER" --argjson now "$now" \
		--arg jti "$(openssl rand -hex 32)" --arg cn "$1" \
		'{aud: $aud, iss: $iss, sub: $cn, sans: [$cn, "10.0.0.7"],
		  nbf: $now, iat: $now, exp: ($now + 300), jti: $jti}'
}
# post_sign N CN TOKEN: POST /sign with leafN.csr; the answer in signN.json, status echoed.
post_sign() {
	sign_body "$WORK/leaf$1.csr" "$3" >"req$1.json"
	curl_ca -X POST --data-binary @"req$1.json" /sign >"sign$1.json"
	cat "$WORK/status"
}
serial_of() { openssl x509 -noout -serial -in "$1" | cut -d= -f2 | python3 -c 'print(int(input(), 16))'; }

N=3
for i in $(seq 1 $N); do
	new_csr "leaf$i" "m$i.example.com" -addext "subjectAltName=DNS:m$i.example.com,IP:10.0.0.7"
	tok=$(forge_token "$WORK/prov.jwk" "$(claims "m$i.example.com")")
	[[ $i == 1 ]] && TOK1=$tok
	expect_eq "sign $i" 201 "$(post_sign "$i" "m$i.example.com" "$tok")"
	jq -r .crt "sign$i.json" >"leaf$i.crt"
done
expect_eq "the first token again: 401" 401 "$(post_sign 1 m1.example.com "$TOK1")"
curl_ca --cert leaf2.crt --key leaf2.key -X POST /renew >renew.json
expect_eq "renew over mTLS" 201 "$(cat status)"
jq -r .crt renew.json >renewed.crt
S3=$(serial_of leaf3.crt)
curl_ca --cert leaf3.crt --key leaf3.key -X POST -d "{\"serial\":\"$S3\",\"reasonCode\":4,\"passive\":true}" /revoke >/dev/null
expect_eq "revoke over mTLS" 200 "$(cat status)"
ssh-keygen -q -t ed25519 -N '' -C alice -f u
now=$(date +%s)
tok=$(forge_token "$WORK/prov.jwk" "$(jq -nc --arg aud "$CA_URL/1.0/ssh/sign" --arg iss "$PROVISIONER" \
	--argjson now "$now" --arg jti "$(openssl rand -hex 32)" \
	'{aud: $aud, iss: $iss, sub: "alice@example.com", nbf: $now, iat: $now, exp: ($now + 300),
	  jti: $jti, step: {ssh: {certType: "user", keyID: "alice@example.com", principals: ["alice", "root"]}}}')")
curl_ca -X POST --data-binary "$(jq -nc --arg k "$(awk '{print $2}' u.pub)" --arg ott "$tok" \
	'{publicKey: $k, ott: $ott, certType: "user"}')" /ssh/sign >ssh.json
expect_eq "an SSH user certificate" 201 "$(cat status)"
echo "ssh-ed25519-cert-v01@openssh.com $(jq -r .crt ssh.json)" >u-cert.pub
SSH_SERIAL=$(ssh-keygen -L -f u-cert.pub | awk '/Serial:/{print $2}')
curl_ca /no/such/route >/dev/null
expect_eq "an unknown route" 404 "$(cat status)"

# --- the metrics listener ------------------------------------------------------------------
M="http://127.0.0.1:$MPORT"
expect_eq "GET /metrics" "200 text/plain; version=0.0.4; charset=utf-8" \
	"$(timeout 10 curl -s -o metrics.txt -w '%{http_code} %{content_type}' "$M/metrics")"
expect_eq "another path: 404" "404 404 page not found" \
	"$(timeout 10 curl -s -w '%{http_code} ' -o m404.txt "$M/other" && cat m404.txt)"

# value 'NAME{LABELS}' (or NAME alone): the sample's value, "absent" when none.
value() {
	python3 - "$1" metrics.txt <<'PY'
import sys
want = sys.argv[1]
for line in open(sys.argv[2]):
    if line.startswith('#') or not line.strip():
        continue
    key, _, v = line.rstrip('\n').rpartition(' ')
    if key == want:
        print(v)
        break
else:
    print('absent')
PY
}
P="provisioner=\"$PROVISIONER\""
expect_eq "sign 201" "$N" "$(value 'stride_http_requests_total{route="sign",status="201"}')"
expect_eq "sign 401 (the replay)" 1 "$(value 'stride_http_requests_total{route="sign",status="401"}')"
expect_eq "renew 201" 1 "$(value 'stride_http_requests_total{route="renew",status="201"}')"
expect_eq "revoke 200" 1 "$(value 'stride_http_requests_total{route="revoke",status="200"}')"
expect_eq "ssh 201" 1 "$(value 'stride_http_requests_total{route="ssh",status="201"}')"
expect_eq "no route 404" 1 "$(value 'stride_http_requests_total{route="none",status="404"}')"
expect_eq "issued by sign" "$N" \
	"$(value "stride_certificates_issued_total{kind=\"x509\",operation=\"sign\",$P}")"
expect_eq "issued by renew" 1 \
	"$(value "stride_certificates_issued_total{kind=\"x509\",operation=\"renew\",$P}")"
expect_eq "no rekey" absent \
	"$(value "stride_certificates_issued_total{kind=\"x509\",operation=\"rekey\",$P}")"
expect_eq "SSH certificates issued" 1 \
	"$(value "stride_certificates_issued_total{kind=\"ssh\",operation=\"sign\",$P}")"
expect_eq "revoked x509" 1 "$(value 'stride_certificates_revoked_total{kind="x509"}')"
expect_eq "revoked ssh" 0 "$(value 'stride_certificates_revoked_total{kind="ssh"}')"
expect_eq "token replays" 1 "$(value stride_token_replays_total)"
# The replayed /sign is a transaction too: its commit is the replay check.
expect_eq "commits: the group sizes add up to the transactions (3 signs, the replay, renew, revoke, ssh)" 7 \
	"$(value "stride_store_commit_group_size_sum{store=\"$STRIDE_TEST_DB\"}")"
expect_eq "ACME orders" 0 "$(value 'stride_acme_orders_total{state="pending"}')"
expect_eq "no audit failure" 0 "$(value stride_audit_write_failures_total)"

# Every family has HELP and TYPE; every histogram is cumulative, ends with +Inf = _count, and
# the request histogram of a route counts as many requests as its counters.
check_exposition() {
	python3 - metrics.txt <<'PY'
import re, sys
fams, types, samples = set(), {}, []
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if line.startswith('# HELP '):
        fams.add(line.split(' ')[2])
    elif line.startswith('# TYPE '):
        _, _, name, t = line.split(' ')
        types[name] = t
    else:
        m = re.fullmatch(r'([a-z_]+)(\{(.*)\})? (\S+)', line)
        if not m:
            sys.exit('bad line: ' + line)
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ''))
        samples.append((m.group(1), labels, float(m.group(4))))
if fams != set(types):
    sys.exit('HELP/TYPE mismatch')
def series(name):
    return [(l, v) for n, l, v in samples if n == name]
for fam, t in types.items():
    if t != 'histogram':
        continue
    groups = {}
    for l, v in series(fam + '_bucket'):
        key = tuple(sorted((k, x) for k, x in l.items() if k != 'le'))
        groups.setdefault(key, []).append((l['le'], v))
    for key, buckets in groups.items():
        vals = [v for _, v in buckets]
        if buckets[-1][0] != '+Inf' or vals != sorted(vals):
            sys.exit(f'{fam} {key}: not cumulative or no +Inf')
        count = [v for l, v in series(fam + '_count') if tuple(sorted(l.items())) == key]
        if count != [vals[-1]]:
            sys.exit(f'{fam} {key}: _count {count} != +Inf {vals[-1]}')
req = {}
for l, v in series('stride_http_requests_total'):
    req[l['route']] = req.get(l['route'], 0) + v
for l, v in series('stride_http_request_duration_seconds_count'):
    if req.get(l['route']) != v:
        sys.exit(f"route {l['route']}: histogram {v} != requests {req.get(l['route'])}")
if set(req) != {l['route'] for l, _ in series('stride_http_request_duration_seconds_count')}:
    sys.exit('routes differ between counter and histogram')
for r in ('sign', 'renew', 'revoke', 'ssh', 'none'):
    if r not in req:
        sys.exit('no histogram for ' + r)
print('ok')
PY
}
expect_eq "the exposition is consistent" ok "$(check_exposition 2>&1)"

# --- the audit file ------------------------------------------------------------------------
expect_eq "audit file mode" 600 "$(stat -c %a audit.log)"
expect_eq "one audit line per operation" 7 "$(wc -l <audit.log)"
# line N JQ: the jq expression on the Nth line (compact).
line() { sed -n "${1}p" audit.log | jq -c "$2"; }
ok_fields='[.operation, .result, .status, .serial, .subject, .sans, .provisioner]'
for i in $(seq 1 $N); do
	expect_eq "audit: sign $i" \
		"[\"x509.sign\",\"ok\",201,\"$(serial_of "leaf$i.crt")\",\"m$i.example.com\",[\"m$i.example.com\",\"10.0.0.7\"],\"$PROVISIONER\"]" \
		"$(line "$i" "$ok_fields")"
done
expect_eq "audit: the replay" \
	'["x509.sign","error",401,"unauthorized: token already used",null,null]' \
	"$(line 4 '[.operation, .result, .status, .message, .serial, .provisioner]')"
expect_eq "audit: renew" \
	"[\"x509.renew\",\"ok\",201,\"$(serial_of renewed.crt)\",\"m2.example.com\",[\"m2.example.com\",\"10.0.0.7\"],\"$PROVISIONER\"]" \
	"$(line 5 "$ok_fields")"
expect_eq "audit: revoke" "[\"x509.revoke\",\"ok\",200,\"$S3\"]" \
	"$(line 6 '[.operation, .result, .status, .serial]')"
expect_eq "audit: ssh sign" \
	"[\"ssh.sign\",\"ok\",201,\"$SSH_SERIAL\",\"alice@example.com\",[\"alice\",\"root\"],\"$PROVISIONER\"]" \
	"$(line 7 "$ok_fields")"
expect_eq "audit: every line has a time, the client and a request id" "true" \
	"$(jq -s 'all(.[]; (.time | test("^20[0-9-]+T[0-9:.]+Z$")) and (.client | startswith("127.0.0.1:")) and (.request_id | length > 0))' audit.log)"
expect_eq "audit: the request log's ids" \
	"$(jq -s -c '[.[].request_id]' audit.log)" \
	"$(grep '"msg":"request"' ca.log | jq -s -c '[.[] | select(.path == "/sign" or .path == "/renew" or .path == "/revoke" or .path == "/ssh/sign") | .request_id]')"

# --- logrotate: SIGHUP opens the audit file again at its path ---------------------------------
mv audit.log audit.log.1
check "SIGHUP" reload_ca
curl_ca --cert leaf3.crt --key leaf3.key -X POST -d "{\"serial\":\"$S3\",\"reasonCode\":4,\"passive\":true}" /revoke >/dev/null
expect_eq "after SIGHUP the next record goes to a new audit.log" '["x509.revoke","error"]' \
	"$(jq -c '[.operation, .result]' audit.log 2>&1)"
expect_eq "the moved file keeps its 7 lines" 7 "$(wc -l <audit.log.1)"

finish
