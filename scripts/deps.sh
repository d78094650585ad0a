#!/usr/bin/env bash
# Installs the Debian 12 packages stride needs to build, test and run, when
# they are missing. Safe to run repeatedly; called by `make run` and `make test`.
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
	libssl-dev libevent-dev libjansson-dev libsqlite3-dev
	libcurl4-openssl-dev libcmocka-dev libpq-dev
	openssl curl jq sqlite3 postgresql procps bc faketime bsdutils util-linux
	knot knot-dnsutils bind9-dnsutils
	certbot lego uacme haproxy python3 openssh-client openssh-server
	systemd groff-base man-db bsdextrautils
	golang-cfssl
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
