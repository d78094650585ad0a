#!/usr/bin/env bash
# The stride CLI against a real step-ca 0.19 (built by scripts/interop/build-stepca.sh).
# Not part of CI: it needs Go and Debian's step-ca sources. Usage:
#   scripts/interop/build-stepca.sh && tests/interop/stride-cli-vs-stepca.sh [build-dir]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
export STRIDE_BIN="$build/stride"

exec "$repo/scripts/interop/run-stepca.sh" -- bash -c '
set -u
w=$(mktemp -d); export STRIDEPATH=$w/client; pass=0; fail=0
step() { local what=$1; shift; if "$@" >"$w/out" 2>"$w/err"; then echo "ok $what"; pass=$((pass+1)); else echo "FAIL $what: $(cat "$w/err")"; fail=$((fail+1)); fi; }
S=$STRIDE_BIN
step bootstrap $S ca bootstrap --ca-url "$STEPCA_URL" --fingerprint "$STEPCA_FINGERPRINT"
step health $S ca health
step roots $S ca roots "$w/roots.pem"
step federation $S ca federation "$w/fed.pem"
step root $S ca root "$w/root.pem" --fingerprint "$STEPCA_FINGERPRINT"
step "provisioner list" $S ca provisioner list
step token $S ca token a.example.com --provisioner-password-file "$STEPCA_PASSWORD_FILE"
tok=$(cat "$w/out")
step "certificate --token" $S ca certificate a.example.com "$w/a.crt" "$w/a.key" --token "$tok"
step "certificate" $S ca certificate b.example.com "$w/b.crt" "$w/b.key" --san b.example.com --san 10.1.1.1 --provisioner-password-file "$STEPCA_PASSWORD_FILE"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$w/c.key" -out "$w/c.csr" -subj /CN=c.example.com -addext subjectAltName=DNS:c.example.com 2>/dev/null
step sign $S ca sign "$w/c.csr" "$w/c.crt" --provisioner-password-file "$STEPCA_PASSWORD_FILE"
step "verify chain" openssl verify -CAfile "$STRIDEPATH/certs/root_ca.crt" -untrusted "$w/b.crt" "$w/b.crt"
step "replayed token refused" bash -c "! $S ca certificate a.example.com $w/a2.crt $w/a2.key --token $tok"
step "renew (mTLS)" $S ca renew -f "$w/b.crt" "$w/b.key"
step "renew (token flow)" $S ca renew -f --mtls=false "$w/b.crt" "$w/b.key"
step "rekey" $S ca rekey -f "$w/b.crt" "$w/b.key"
step "revoke (mTLS)" $S ca revoke --cert "$w/b.crt" --key "$w/b.key"
step "renew of the revoked certificate refused" bash -c "! $S ca renew -f $w/b.crt $w/b.key"
step "revoke (token)" $S ca revoke "$(openssl x509 -noout -serial -in "$w/c.crt" | cut -d= -f2 | sed "s/^/0x/")" --provisioner-password-file "$STEPCA_PASSWORD_FILE"
echo "$pass passed, $fail failed"; rm -rf "$w"; [ $fail -eq 0 ]
'
