#!/usr/bin/env bash
# Builds a real step-ca 0.19 (from Debian's Go source packages) and stride's
# small Go interop helpers into a scratch directory outside the repository.
# Not part of CI: the project's CI must not need Go.
#
# Usage: scripts/interop/build-stepca.sh [OUTDIR]     (default /tmp/stride-interop)
#   env: STRIDE_INTEROP_DIR=OUTDIR, SKIP_APT=1 to skip the apt-get step.
# Produces OUTDIR/bin/{step-ca,stepca-init,stepca-client,stepca-keys}.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-${STRIDE_INTEROP_DIR:-/tmp/stride-interop}}"
pkgs=(golang-go golang-github-smallstep-certificates-dev)

if [ "${SKIP_APT:-0}" != 1 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${pkgs[@]}"; then
		$sudo apt-get update
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${pkgs[@]}"
	fi
fi

command -v go >/dev/null || { echo "build-stepca: go not found" >&2; exit 1; }
src=/usr/share/gocode/src/github.com/smallstep/certificates
[ -d "$src/ca" ] || { echo "build-stepca: $src missing" >&2; exit 1; }

mkdir -p "$out/bin" "$out/gopath/src/stride-interop"
# Copy (not link) our mains into the scratch GOPATH: GOPATH mode, no modules.
rm -rf "$out/gopath/src/stride-interop"
mkdir -p "$out/gopath/src/stride-interop"
cp -r "$here/go/." "$out/gopath/src/stride-interop/"

export GO111MODULE=off GOPROXY=off
export GOPATH="$out/gopath:/usr/share/gocode"
export GOCACHE="${GOCACHE:-$out/gocache}"
# github.com/DataDog/zstd (via badger) calls a deprecated zstd function.
export CGO_CFLAGS="-O2 -g -Wno-deprecated-declarations"
unset GOFLAGS

# Debian ships no cmd/step-ca; if a later package does, build that instead.
if [ -f "$src/cmd/step-ca/main.go" ]; then
	server_pkg=github.com/smallstep/certificates/cmd/step-ca
else
	server_pkg=stride-interop/step-ca
fi

build() { # name importpath [go build args]
	local n="$1" p="$2"
	shift 2
	echo "building $n ($p)"
	go build "$@" -o "$out/bin/$n" "$p"
}
# Upstream version without the Debian revision, e.g. 0.19.0.
ver="$(dpkg-query -W -f='${Version}' golang-github-smallstep-certificates-dev 2>/dev/null || true)"
ver="${ver%%-*}"
build step-ca "$server_pkg" -ldflags "-X main.version=${ver:-0.19.0}"
for d in "$here"/go/stepca-*/; do
	n="$(basename "$d")"
	build "$n" "stride-interop/$n"
done

echo "debian packages:"
go version
dpkg-query -W -f='  ${Package} ${Version}\n' golang-go "golang-$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')-go" golang-src golang-github-smallstep-certificates-dev \
	golang-step-crypto-dev golang-step-cli-utils-dev golang-github-smallstep-nosql-dev \
	golang-gopkg-square-go-jose.v2-dev 2>/dev/null || true
echo "binaries in $out/bin:"
ls -1 "$out/bin"
