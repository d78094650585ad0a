#!/usr/bin/env bash
# Regenerates tests/data/stepca/ with the upstream (Debian step-ca 0.19 /
# go.step.sm/crypto 0.24) code built by build-stepca.sh. Not run by CI.
#
# Usage: scripts/interop/make-testdata.sh [--bin DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${STRIDE_INTEROP_DIR:-/tmp/stride-interop}/bin"
[ "${1:-}" = --bin ] && bin="$2"
dest="$repo/tests/data/stepca"
for b in stepca-init stepca-keys; do
	[ -x "$bin/$b" ] || { echo "make-testdata: $bin/$b missing; run build-stepca.sh" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/stride-testdata.XXXXXX")"
trap 'rm -rf "$work"' EXIT
printf 'password\n' >"$work/password.txt"
"$bin/stepca-init" --dir "$work/tree" --password-file "$work/password.txt" \
	--name "Stride Interop" --dns localhost,127.0.0.1 --address "127.0.0.1:@PORT@" \
	--provisioner admin@example.com >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; exit 1; }

rm -rf "$dest/tree" "$dest/keys"
mkdir -p "$dest/tree" "$dest/keys"
for d in certs secrets config templates; do
	[ -d "$work/tree/$d" ] && cp -r "$work/tree/$d" "$dest/tree/"
done
cp "$work/password.txt" "$dest/tree/password.txt"
# Absolute paths of the scratch tree become the @TREE@ placeholder.
find "$dest/tree" -type f \( -name '*.json' -o -name '*.tpl' \) -exec sed -i "s|$work/tree|@TREE@|g" {} +
if grep -rq "$work" "$dest/tree"; then
	echo "make-testdata: scratch path left in $dest/tree" >&2
	exit 1
fi
find "$dest/tree" -type d -empty -delete
"$bin/stepca-keys" --out "$dest/keys" --password-file "$work/password.txt"
openssl x509 -in "$dest/tree/certs/root_ca.crt" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g' | tr 'A-F' 'a-f' >"$dest/tree/root_fingerprint.txt"
echo "wrote $dest"
find "$dest" -type f | sort
