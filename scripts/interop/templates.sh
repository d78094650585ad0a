#!/usr/bin/env bash
# X.509 templates under step-ca 0.19 and stride-ca: one tree made by the real step-ca code
# (stepca-init) gets JWK provisioners whose options.x509 templates are the examples of step's
# template documentation (a leaf with an organizational unit from --set, an intermediate CA, a
# code-signing certificate, a custom extension, templateData, fail); each server in turn issues
# one certificate per template with `stride ca certificate`, and the certificates' fields
# (subject, SANs, key usages, basic constraints, custom extensions; not the serial, validity or
# keys) must be the same. `fail` must give the same status and message. Not part of CI (needs
# scripts/interop/build-stepca.sh).
#
# Usage: scripts/interop/templates.sh [--bin DIR] [--stride-build DIR]
# Exit status 0 only when every comparison is equal.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${STRIDE_INTEROP_DIR:-/tmp/stride-interop}/bin"
sbuild="$repo/build"
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bin="$2"; shift 2 ;;
	--stride-build) sbuild="$2"; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "templates: unknown option $1" >&2; exit 2 ;;
	esac
done
for b in "$bin/step-ca" "$bin/stepca-init" "$sbuild/stride" "$sbuild/stride-ca"; do
	[ -x "$b" ] || { echo "templates: $b missing (scripts/interop/build-stepca.sh, cmake --build)" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/stride-tpl-interop.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
printf 'password\n' >"$work/password.txt"
"$bin/stepca-init" --dir "$tree" --password-file "$work/password.txt" --name "Stride Interop" \
	--dns localhost,127.0.0.1 --address "127.0.0.1:9000" --provisioner admin@example.com \
	>"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; exit 1; }

# The examples (name, template, templateData).
declare -A TPL DATA
TPL[ou]='{
	"subject": {"commonName": {{ toJson .Subject.CommonName }},
	            "organizationalUnit": {{ toJson .Insecure.User.organizationalUnit }}},
	"sans": {{ toJson .SANs }},
{{- if typeIs "*rsa.PublicKey" .Insecure.CR.PublicKey }}
	"keyUsage": ["keyEncipherment", "digitalSignature"],
{{- else }}
	"keyUsage": ["digitalSignature"],
{{- end }}
	"extKeyUsage": ["serverAuth", "clientAuth"]
}'
TPL[intermediate]='{
	"subject": {{ toJson .Subject }},
	"keyUsage": ["certSign", "crlSign"],
	"basicConstraints": {"isCA": true, "maxPathLen": 0}
}'
TPL[codesign]='{
	"subject": {{ toJson .Subject }},
	"sans": {{ toJson .SANs }},
	"keyUsage": ["digitalSignature"],
	"extKeyUsage": ["codeSigning"]
}'
TPL[extension]='{
	"subject": {{ toJson .Subject }},
	"sans": {{ toJson .SANs }},
	"extensions": [{"id": "1.2.3.4", "critical": false, "value": "DAVoZWxsbw=="}],
	"keyUsage": ["digitalSignature"],
	"extKeyUsage": ["serverAuth"]
}'
TPL[data]='{
	"subject": {"commonName": {{ toJson .Subject.CommonName }}, "organization": {{ toJson .organization }},
	            "country": {{ toJson .country }}},
	"sans": {{ toJson .SANs }},
	"keyUsage": ["digitalSignature"],
	"extKeyUsage": ["clientAuth"]
}'
DATA[data]='{"organization": "Smallstep Labs", "country": "US"}'
TPL[fail]='{{ if not .Insecure.User.role }}{{ fail "the role is required" }}{{ end }}{"subject": {{ toJson .Subject }}}'

ca_json="$tree/config/ca.json"
for name in "${!TPL[@]}"; do
	jq --tab --arg name "$name" --arg tpl "${TPL[$name]}" --argjson data "${DATA[$name]:-null}" \
		'.authority.provisioners += [.authority.provisioners[0] | .name = $name |
		 .options = {x509: ({template: $tpl} + (if $data == null then {} else {templateData: $data} end))}]' \
		"$ca_json" >"$ca_json.new" && mv "$ca_json.new" "$ca_json"
done

# fields FILE: what must be equal (no serial, validity, keys or key identifiers).
fields() {
	openssl x509 -in "$1" -noout -subject -nameopt RFC2253 -ext \
		subjectAltName,keyUsage,extendedKeyUsage,basicConstraints 2>/dev/null
	openssl x509 -in "$1" -noout -text | sed -n '/1\.2\.3\.4:/,+1p'
}

# issue_all OUTDIR: run inside run-stepca.sh (STEPCA_URL, STEPCA_ROOT set).
# shellcheck disable=SC2317 # run by run-stepca.sh through bash -c
issue_all() {
	local out=$1 name
	mkdir -p "$out"
	for name in ou intermediate codesign extension data fail; do
		STRIDEPATH="$tpl_work/client" timeout 60 "$sbuild/stride" ca certificate "$name.example.com" \
			"$out/$name.crt" "$out/$name.key" --provisioner "$name" \
			--provisioner-password-file \
			"$tpl_work/password.txt" --ca-url "$STEPCA_URL" --root "$STEPCA_ROOT" -f \
			--set organizationalUnit=Engineering >"$out/$name.out" 2>"$out/$name.err" || true
	done
}
export -f issue_all
# run-stepca.sh has a "work" of its own
tpl_work=$work
export tpl_work tree sbuild

rc=0
"$here/run-stepca.sh" --bin "$bin" --tree "$tree" --password-file "$work/password.txt" -- \
	bash -c 'issue_all "$0"' "$work/step" >/dev/null
# stride-ca keeps no badger database: the same ca.json with its db switched to SQLite.
cp -r "$tree" "$work/tree-sqlite"
jq --arg d "$work/tree-sqlite/db" '.db = {"type": "sqlite", "dataSource": $d}' \
	"$tree/config/ca.json" >"$work/tree-sqlite/config/ca.json"
"$here/run-stepca.sh" --bin "$bin" --tree "$work/tree-sqlite" --password-file "$work/password.txt" \
	--server "$sbuild/stride-ca" -- bash -c 'issue_all "$0"' "$work/stride" >/dev/null
for name in ou intermediate codesign extension data; do
	if [ ! -s "$work/step/$name.crt" ] || [ ! -s "$work/stride/$name.crt" ]; then
		echo "FAIL $name: step-ca: $(head -c 300 "$work/step/$name.err"); stride-ca: $(head -c 300 "$work/stride/$name.err")"
		rc=1
		continue
	fi
	if diff <(fields "$work/step/$name.crt") <(fields "$work/stride/$name.crt") >"$work/$name.diff"; then
		echo "ok   $name"
	else
		echo "FAIL $name:"
		cat "$work/$name.diff"
		rc=1
	fi
done
if diff <(grep -o 'the role is required.*' "$work/step/fail.err") \
	<(grep -o 'the role is required.*' "$work/stride/fail.err") >/dev/null &&
	grep -q 'the role is required' "$work/stride/fail.err"; then
	echo "ok   fail"
else
	echo "FAIL fail: step-ca: $(cat "$work/step/fail.err"); stride-ca: $(cat "$work/stride/fail.err")"
	rc=1
fi
exit "$rc"
