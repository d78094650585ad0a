#!/usr/bin/env bash
# bench.sh BUILD_DIR - what `make bench` runs (see bench/README.md).
#
# Builds what is missing, creates a throwaway CA in a temporary directory,
# measures how soon stride-ca is healthy after it starts, starts it on a free
# loopback port, runs build/stride-bench against it and stops it. The table
# goes to the terminal and, with the raw numbers, to bench/results/.
#
# Environment:
#   BENCH_REQUESTS   requests of sign c=8, sign c=32 and renew c=8 (default 10000); sign c=1
#                    and sign new-conn c=8 get a third of it
#   BENCH_SECONDS    stop a scenario after this many seconds even if requests are left
#                    (default 20; 0 = no limit), so a slow server still finishes in ~2 min
#   BENCH_SCENARIOS  the whole scenario list instead, e.g. "sign:8:20000 renew:8:20000"
#   BENCH_SOAK       add a sign c=8 scenario of this many requests at the end (RSS over a
#                    long run, e.g. 100000)
#   BENCH_FLOOR_ITERATIONS  iterations of the crypto floor (default 3000)
#   BENCH_STARTUP_RUNS      start-up measurements (default 5)
#   BENCH_RESULTS    results directory (default bench/results)
#   BENCH_PERF=1     afterwards, profile stride-ca with `perf record` during one more sign
#                    c=8 run; the flat profile goes to bench/results/<date>-perf.txt
#   BENCH_PERF=callers  the same with call graphs (DWARF): the profile also lists the time
#                    spent inside (children of) each of stride-ca's own functions
#   BENCH_KEEP=1     keep the temporary CA directory (and the server log)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build}
case $build in /*) ;; *) build=$src/$build ;; esac

requests=${BENCH_REQUESTS:-10000}
small=$((requests / 3 > 0 ? requests / 3 : 1))
seconds=${BENCH_SECONDS:-20}
limit=""
if [[ $seconds != 0 ]]; then
	limit=":$seconds"
fi
scenarios=${BENCH_SCENARIOS:-"sign:1:$small$limit sign:8:$requests$limit sign:32:$requests$limit renew:8:$requests$limit sign-newconn:8:$small$limit"}
if [[ -n ${BENCH_SOAK:-} ]]; then
	scenarios="$scenarios sign:8:$BENCH_SOAK"
fi
results=${BENCH_RESULTS:-$src/bench/results}

# Build what is missing (make bench has built already; this is for a direct call).
if [[ ! -f $build/CMakeCache.txt ]]; then
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target stride stride-ca stride-bench testtool >/dev/null

# shellcheck source=scripts/throwaway-ca.sh
. "$src/scripts/throwaway-ca.sh"
prov="bench@example.com"
throwaway_ca_init "$build" "Stride Bench" "$prov" BENCH_KEEP
url="https://127.0.0.1:$PORT"
ca_json=$CA_JSON
root=$ROOT
(
	umask 077
	jq -r '.authority.provisioners[0].encryptedKey' "$ca_json" |
		"$build/testtool" jwe-decrypt "$WORK/prov-password" >"$WORK/provisioner.jwk"
)
kid=$(jq -r '.authority.provisioners[0].key.kid' "$ca_json")
server=("$build/stride-ca" --password-file "$WORK/password" "$ca_json")

echo "== start-up: exec to the first healthy /health (${BENCH_STARTUP_RUNS:-5} runs)"
"$build/stride-bench" startup --url "$url" --root "$root" --runs "${BENCH_STARTUP_RUNS:-5}" \
	--interval-ms 2 --log "$WORK/ca.log" --out "$WORK/startup.json" -- "${server[@]}"

echo "== starting stride-ca on $url"
throwaway_ca_start "$url" "${server[@]}"

note="commit $(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown); CA on $(df --output=fstype,source "$WORK" | tail -n 1 | tr -s " ")"
base=(--url "$url" --root "$root" --jwk "$WORK/provisioner.jwk" --provisioner "$prov"
	--kid "$kid" --server-pid "$CA_PID")
args=("${base[@]}" --results-dir "$results" --startup-json "$WORK/startup.json" --note "$note"
	--floor-iterations "${BENCH_FLOOR_ITERATIONS:-3000}")
for s in $scenarios; do
	args+=(--scenario "$s")
done

echo "== stride-bench"
rc=0
"$build/stride-bench" "${args[@]}" || rc=$?

if [[ -n ${BENCH_PERF:-} ]]; then
	if command -v perf >/dev/null; then
		profile="$results/$(date -u +%Y-%m-%dT%H%M%SZ)-perf.txt"
		echo "== perf: profiling stride-ca during sign c=8 ($requests requests)"
		graph=()
		if [[ $BENCH_PERF == callers ]]; then
			graph=(--call-graph "dwarf,16384")
		fi
		perf record -F 999 "${graph[@]}" -p "$CA_PID" -o "$WORK/perf.data" >"$WORK/perf.log" 2>&1 &
		perf_pid=$!
		sleep 0.5
		"$build/stride-bench" "${base[@]}" --results-dir "$WORK/perf-results" \
			--floor-iterations 0 --warmup 0 --scenario "sign:8:$requests$limit" >/dev/null || true
		kill -INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" || true
		mkdir -p "$results"
		{
			echo "# stride-ca during sign c=8: samples by library, then by symbol"
			perf report -i "$WORK/perf.data" --no-children --sort dso --stdio 2>/dev/null |
				grep -v '^#' | grep -v '^$' | head -15
			echo
			perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio \
				2>/dev/null | grep -v '^#' | grep -v '^$' | head -50
			if [[ $BENCH_PERF == callers ]]; then
				echo
				echo "# time inside each of stride-ca's functions (children included)"
				perf report -i "$WORK/perf.data" --children --dsos stride-ca --sort sym \
					--stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -80
			fi
		} >"$profile" || true
		echo "flat profile: $profile"
	else
		echo "BENCH_PERF: perf is not installed (apt-get install linux-perf)" >&2
	fi
fi

echo "== stopping stride-ca"
srv_rc=0
throwaway_ca_stop || srv_rc=$?
if ((srv_rc != 0)); then
	echo "stride-ca exited with status $srv_rc" >&2
	tail -n 20 "$WORK/ca.log" >&2
	((rc == 0)) && rc=1
fi
shred -u "$WORK/provisioner.jwk" 2>/dev/null || rm -f "$WORK/provisioner.jwk"
case $rc in
0) echo "bench: done; results in $results" ;;
3) echo "bench: done, but some requests failed (see the errors above); results in $results" >&2 ;;
*) echo "bench: failed (status $rc)" >&2 ;;
esac
exit "$rc"
