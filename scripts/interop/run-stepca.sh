#!/usr/bin/env bash
# Starts the step-ca 0.19 built by build-stepca.sh on a free 127.0.0.1 port,
# waits for /health, prints the URL and root fingerprint, and stops it on exit.
#
# Usage: scripts/interop/run-stepca.sh [options] [-- command args...]
#   --tree DIR       use an existing step tree (made by stepca-init); it is
#                    copied to a scratch directory first, the original is not touched
#   --testdata       use tests/data/stepca/tree (placeholders @TREE@/@PORT@ rewritten)
#   --password-file F  password of the CA keys (default: DIR/password.txt, else "password")
#   --port N         listen port (default: a free port)
#   --bin DIR        where the binaries are (default /tmp/stride-interop/bin)
#   --server BIN     run BIN instead of BINDIR/step-ca with the same command line
#                    (e.g. stride-ca, whose CLI mirrors step-ca's)
#   --ssh            make the fresh tree with SSH host and user CA keys (step ca init --ssh)
# Without --tree/--testdata a fresh tree is made with stepca-init
# (password "password", provisioner admin@example.com, dns localhost,127.0.0.1).
# With a command, runs it with STEPCA_URL, STEPCA_FINGERPRINT, STEPCA_TREE,
# STEPCA_PASSWORD_FILE and STEPCA_ROOT set, then stops step-ca and exits with
# the command's status. Without a command, waits until interrupted.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
base="${STRIDE_INTEROP_DIR:-/tmp/stride-interop}"
bin="$base/bin"
tree_src="" testdata=0 port="" passfile="" server="" ssh_flag=""
while [ $# -gt 0 ]; do
	case "$1" in
	--tree) tree_src="$2"; shift 2 ;;
	--testdata) testdata=1; shift ;;
	--password-file) passfile="$2"; shift 2 ;;
	--port) port="$2"; shift 2 ;;
	--bin) bin="$2"; shift 2 ;;
	--server) server="$2"; shift 2 ;;
	--ssh) ssh_flag="--ssh"; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "run-stepca: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$server" ] || server="$bin/step-ca"
[ -x "$server" ] || { echo "run-stepca: $server missing; run scripts/interop/build-stepca.sh" >&2; exit 1; }

# shellcheck source=scripts/free-port.sh
. "$(dirname "${BASH_SOURCE[0]}")/../free-port.sh"
[ -n "$port" ] || port="$(free_port)"

work="$(mktemp -d "${TMPDIR:-/tmp}/stride-stepca.XXXXXX")"
tree="$work/tree"
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "${KEEP_WORK:-0}" = 1 ]; then
		echo "run-stepca: kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$testdata" = 1 ]; then
	tree_src="$repo/tests/data/stepca/tree"
fi
if [ -n "$tree_src" ]; then
	src_abs="$(cd "$tree_src" && pwd -P)"
	cp -r "$tree_src" "$tree"
	# Point the copy at itself: absolute paths of a real tree and the
	# placeholders of tests/data/stepca both become the scratch path.
	for f in "$tree/config/ca.json" "$tree/config/defaults.json"; do
		[ -f "$f" ] || continue
		sed -i -e "s|$src_abs/|$tree/|g" -e "s|@TREE@|$tree|g" -e "s|@PORT@|$port|g" "$f"
	done
	mkdir -p "$tree/db"
	if [ -z "$passfile" ]; then
		if [ -f "$tree/password.txt" ]; then passfile="$tree/password.txt"; else
			printf 'password\n' >"$work/password.txt"; passfile="$work/password.txt"; fi
	fi
else
	[ -n "$passfile" ] || { printf 'password\n' >"$work/password.txt"; passfile="$work/password.txt"; }
	"$bin/stepca-init" --dir "$tree" --password-file "$passfile" --name "Stride Interop" \
		--dns localhost,127.0.0.1 --address "127.0.0.1:$port" \
		--provisioner admin@example.com $ssh_flag >"$work/init.log" 2>&1 ||
		{ cat "$work/init.log" >&2; exit 1; }
fi

# Always listen on loopback at the chosen port, whatever the tree says.
sed -i -E "s|\"address\": *\"[^\"]*\"|\"address\": \"127.0.0.1:$port\"|" "$tree/config/ca.json"
sed -i -E "s|\"ca-url\": *\"[^\"]*\"|\"ca-url\": \"https://127.0.0.1:$port\"|" "$tree/config/defaults.json"

root="$tree/certs/root_ca.crt"
fp="$(openssl x509 -in "$root" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')"
url="https://127.0.0.1:$port"

STEPPATH="$tree" STRIDEPATH="$tree" HOME="$work" "$server" --password-file "$passfile" \
	"$tree/config/ca.json" >"$work/step-ca.log" 2>&1 &
pid=$!

ok=0
for _ in $(seq 1 100); do
	if ! kill -0 "$pid" 2>/dev/null; then break; fi
	if curl -fsS --max-time 2 --cacert "$root" "$url/health" 2>/dev/null | grep -q '"ok"'; then
		ok=1
		break
	fi
	sleep 0.2
done
if [ "$ok" != 1 ]; then
	echo "run-stepca: $server did not become healthy; log:" >&2
	cat "$work/step-ca.log" >&2
	exit 1
fi

echo "url $url"
echo "fingerprint $fp"
echo "tree $tree"
echo "log $work/step-ca.log"

export STEPCA_URL="$url" STEPCA_FINGERPRINT="$fp" STEPCA_TREE="$tree" \
	STEPCA_PASSWORD_FILE="$passfile" STEPCA_ROOT="$root" STEPCA_LOG="$work/step-ca.log"
if [ $# -gt 0 ]; then
	set +e
	"$@"
	rc=$?
	set -e
	exit "$rc"
fi
echo "$(basename "$server") running (pid $pid); Ctrl-C to stop"
wait "$pid"
