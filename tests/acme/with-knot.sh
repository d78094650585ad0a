#!/usr/bin/env bash
# with-knot.sh CMD [ARG...] - runs CMD against a throwaway DNS server (knot.sh) started for it
# and stopped afterwards. CMD finds in its environment:
#   STRIDE_DNS_ADDR   127.0.0.1:PORT, the server (zone test., see knot.sh)
#   STRIDE_KNOT_DIR   the server's directory
#   STRIDE_KNOT       this directory's knot.sh (for `txt-add DIR NAME VALUE`, `txt-del DIR NAME`)
# Exits with CMD's status, or 77 (a skipped test for ctest) when knotd, kdig or nsupdate is
# not installed (Debian's knot, knot-dnsutils, bind9-dnsutils).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for prog in knotd kdig nsupdate; do
	if ! command -v "$prog" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$prog ]]; then
		echo "with-knot.sh: $prog is not installed (scripts/deps.sh installs it): skipped" >&2
		exit 77
	fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/stride-knot.XXXXXX")
cleanup() {
	"$here/knot.sh" stop "$dir" || true
	rm -rf "$dir"
}
trap cleanup EXIT

if ! "$here/knot.sh" start "$dir"; then
	echo "with-knot.sh: the DNS server did not start" >&2
	exit 1
fi
port=$(<"$dir/port")
export STRIDE_DNS_ADDR=127.0.0.1:$port STRIDE_KNOT_DIR=$dir STRIDE_KNOT=$here/knot.sh
"$@"
