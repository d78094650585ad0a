#!/usr/bin/env bash
# stride's `ca provisioner add/update/remove` in local mode on a tree made by the real
# step-ca 0.19 code (stepca-init), then: step-ca 0.19 starts on the rewritten ca.json, serves
# the provisioners, and issues a certificate from the JWK provisioner stride added; stride-ca
# starts on the same file. Not part of CI (needs scripts/interop/build-stepca.sh).
#
# Usage: scripts/interop/provisioner-local.sh [--bin DIR] [--stride-build DIR]
#   --bin DIR           step-ca and stepca-init (default /tmp/stride-interop/bin)
#   --stride-build DIR  stride and stride-ca (default build/ of this repository)
# Exit status 0 only when every step is ok.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${STRIDE_INTEROP_DIR:-/tmp/stride-interop}/bin"
sbuild="$repo/build"
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bin="$2"; shift 2 ;;
	--stride-build) sbuild="$2"; shift 2 ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "provisioner-local: unknown option $1" >&2; exit 2 ;;
	esac
done
for b in "$bin/step-ca" "$bin/stepca-init" "$sbuild/stride" "$sbuild/stride-ca"; do
	[ -x "$b" ] || { echo "provisioner-local: $b missing (scripts/interop/build-stepca.sh, cmake --build)" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/stride-prov-interop.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
printf 'password\n' >"$work/password.txt"
printf 'cicd-password\n' >"$work/cicd.txt"
"$bin/stepca-init" --dir "$tree" --password-file "$work/password.txt" --name "Stride Interop" \
	--dns localhost,127.0.0.1 --address "127.0.0.1:9000" --provisioner admin@example.com \
	>"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; exit 1; }

# shellcheck source=scripts/interop/steps.sh
. "$here/steps.sh"

# Local mode: nothing listens at the CA URL (port 1), so ca.json is edited.
S() {
	STRIDEPATH="$tree" HOME="$work" "$sbuild/stride" ca provisioner "$@" \
		--ca-url https://127.0.0.1:1 --root "$tree/certs/root_ca.crt" \
		--ca-config "$tree/config/ca.json"
}
step "add JWK --create" S add cicd --create --password-file "$work/cicd.txt" --x509-default-dur 2h
step "add X5C" S add x5c --type X5C --x5c-roots "$tree/certs/root_ca.crt"
step "add ACME" S add acme --type ACME --challenge http-01 --challenge dns-01 --force-cn
step "add SSHPOP" S add sshpop --type SSHPOP
step "update claims and name" S update acme --name acme-web --x509-max-dur 48h --remove-challenge dns-01
step "remove" S remove sshpop
step "ca.json lists them" sh -c "[ \"\$(jq -c '[.authority.provisioners[].name]' '$tree/config/ca.json')\" = \
	'[\"admin@example.com\",\"cicd\",\"x5c\",\"acme-web\"]' ]"

# step-ca 0.19 on the result: it serves the provisioners and issues from the new JWK one.
# shellcheck disable=SC2016 # expanded by the inner sh
check_stepca='set -e
names=$(curl -fsS --cacert "$STEPCA_ROOT" "$STEPCA_URL/provisioners" | jq -c "[.provisioners[].name]")
[ "$names" = "[\"admin@example.com\",\"cicd\",\"x5c\",\"acme-web\"]" ] ||
	{ echo "provisioners: $names"; exit 1; }
d=$(mktemp -d)
STRIDEPATH="$d" HOME="$d" "$0" ca certificate svc.example.com "$d/svc.crt" "$d/svc.key" \
	--ca-url "$STEPCA_URL" --root "$STEPCA_ROOT" --provisioner cicd \
	--provisioner-password-file "$1"
openssl x509 -in "$d/svc.crt" -noout -subject | grep -q svc.example.com
rm -rf "$d"'
step "step-ca 0.19 starts, serves them and issues from cicd" \
	"$here/run-stepca.sh" --tree "$tree" --password-file "$work/password.txt" --bin "$bin" -- \
	sh -c "$check_stepca" "$sbuild/stride" "$work/cicd.txt"
# stride-ca keeps no badger database: the same ca.json with its db switched to SQLite.
cp -r "$tree" "$work/tree-sqlite"
jq --arg d "$work/tree-sqlite/db" '.db = {"type": "sqlite", "dataSource": $d}' \
	"$tree/config/ca.json" >"$work/tree-sqlite/config/ca.json"
step "stride-ca starts on the same provisioners" \
	"$here/run-stepca.sh" --tree "$work/tree-sqlite" --password-file "$work/password.txt" --bin "$bin" \
	--server "$sbuild/stride-ca" -- sh -c "$check_stepca" "$sbuild/stride" "$work/cicd.txt"

if [ "$fails" -ne 0 ]; then
	echo "provisioner-local: $fails step(s) failed"
	exit 1
fi
echo "provisioner-local: ok"
