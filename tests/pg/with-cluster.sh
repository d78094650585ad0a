#!/usr/bin/env bash
# with-cluster.sh CMD [ARG...] - runs CMD against a throwaway PostgreSQL cluster (cluster.sh)
# started for it and stopped afterwards. CMD finds in its environment:
#   STRIDE_PG_URL      postgresql://postgres@127.0.0.1:PORT/?sslmode=disable
#   STRIDE_PG_DIR      the cluster's directory
#   STRIDE_PG_CLUSTER  this directory's cluster.sh (for `restart`, `stop` and `start` DIR)
# Exits with CMD's status, or 77 (a skipped test for ctest) when PostgreSQL is not installed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${PG_BIN:-} ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
	! command -v initdb >/dev/null 2>&1; then
	echo "with-cluster.sh: PostgreSQL is not installed (Debian's postgresql package): skipped" >&2
	exit 77
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/stride-pg.XXXXXX")
cleanup() {
	"$here/cluster.sh" stop "$dir" || true
	rm -rf "$dir"
}
trap cleanup EXIT

if ! url=$("$here/cluster.sh" start "$dir"); then
	echo "with-cluster.sh: the cluster did not start" >&2
	exit 1
fi
export STRIDE_PG_URL=$url STRIDE_PG_DIR=$dir STRIDE_PG_CLUSTER=$here/cluster.sh
"$@"
