# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are for the sourcing script
# throwaway-ca.sh - sourced by scripts that need a CA of their own on 127.0.0.1 (bench.sh,
# tls-check.sh): a temporary directory, a fresh `stride ca init`, stride-ca started there and
# waited for, everything stopped and deleted at exit.
#
#   throwaway_ca_init BUILD NAME PROVISIONER KEEP_VAR [INIT_FLAG...]
#       creates WORK (deleted at exit unless the variable named KEEP_VAR is non-empty then:
#       the script may set it late, e.g. to keep logs after a failure), STRIDEPATH and HOME,
#       the password files WORK/password and WORK/prov-password, picks PORT and runs
#       `stride ca init` (with the extra INIT_FLAGs, e.g. --acme); sets CA_JSON and ROOT.
#   throwaway_ca_start URL CMD...
#       runs CMD (stride-ca and its arguments) in the background with its log in
#       WORK/ca.log, sets CA_PID and waits until URL/health answers.
#   throwaway_ca_stop
#       SIGTERM to stride-ca; returns its exit status.

# shellcheck source=scripts/free-port.sh
. "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

throwaway_ca_cleanup() {
	if [[ -n ${CA_PID:-} ]]; then
		kill -TERM "$CA_PID" 2>/dev/null || true
		wait "$CA_PID" 2>/dev/null || true
	fi
	if [[ -n ${!THROWAWAY_KEEP_VAR:-} ]]; then
		echo "kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}

throwaway_ca_init() {
	local build=$1 name=$2 prov=$3
	THROWAWAY_KEEP_VAR=$4
	shift 4
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/stride-throwaway.XXXXXX")
	export STRIDEPATH="$WORK/stride"
	export HOME="$WORK/home"
	mkdir -p "$HOME"
	CA_PID=""
	trap throwaway_ca_cleanup EXIT
	PORT=$(free_port)
	printf '%s-ca-password\n' "$prov" >"$WORK/password"
	printf '%s-prov-password\n' "$prov" >"$WORK/prov-password"
	chmod 600 "$WORK/password" "$WORK/prov-password"
	echo "== creating a throwaway CA in $WORK"
	"$build/stride" ca init --name "$name" --dns 127.0.0.1 --dns localhost \
		--address "127.0.0.1:$PORT" --provisioner "$prov" \
		--password-file "$WORK/password" --provisioner-password-file "$WORK/prov-password" \
		"$@" >"$WORK/init.out" 2>&1 || {
		cat "$WORK/init.out" >&2
		exit 1
	}
	CA_JSON="$STRIDEPATH/config/ca.json"
	ROOT="$STRIDEPATH/certs/root_ca.crt"
}

throwaway_ca_start() {
	local url=$1 healthy=""
	shift
	"$@" >>"$WORK/ca.log" 2>&1 &
	CA_PID=$!
	for _ in $(seq 1 200); do
		if curl -sf --cacert "$ROOT" "$url/health" >/dev/null 2>&1; then
			healthy=1
			break
		fi
		kill -0 "$CA_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [[ -z $healthy ]]; then
		echo "stride-ca did not become healthy:" >&2
		tail -n 20 "$WORK/ca.log" >&2
		exit 1
	fi
}

throwaway_ca_stop() {
	local rc=0
	kill -TERM "$CA_PID"
	wait "$CA_PID" || rc=$?
	CA_PID=""
	return $rc
}
