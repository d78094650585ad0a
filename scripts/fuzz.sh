#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang and runs each on a copy of its
# seed corpus (tests/fuzz/corpus/<name>): first every seed (so a saved reproducer fails the
# run), then new inputs until the time is up. `make fuzz` runs each for a minute; `make test`
# for a few seconds.
#
#   scripts/fuzz.sh [BUILD_DIR]            default build-fuzz
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_BUDGET    total seconds for all targets; when set (and FUZZ_SECONDS is not), each
#                  target gets FUZZ_BUDGET / number of targets, at least 1
#   FUZZ_TARGETS   names to run, space-separated (default: all), e.g. "fuzz_b64 fuzz_jwk"
#   FUZZ_JOBS      targets run at the same time (default 1)
#   FUZZ_FRESH=1   start from the seeds only, dropping BUILD_DIR/corpus/<name> (what earlier
#                  runs found); keeps a short smoke run short however long `make fuzz` ran
#   FUZZ_MERGE=1   afterwards, add the inputs that found new coverage to tests/fuzz/corpus
#
# Per target, tests/fuzz/<name>.options may hold extra libFuzzer flags (one per line, '#'
# comments), e.g. -max_len=4096; they come after the defaults below and override them.
# tests/fuzz/<name>.dict, if present, is passed as -dict. Crash, leak and timeout
# reproducers go to BUILD_DIR/artifacts/<name>-*; the log of a run to BUILD_DIR/<name>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
jobs=${FUZZ_JOBS:-1}

all=()
for src in tests/fuzz/fuzz_*.c; do
	all+=("$(basename "$src" .c)")
done
if [[ -n ${FUZZ_TARGETS:-} ]]; then
	read -r -a targets <<<"$FUZZ_TARGETS"
	for t in "${targets[@]}"; do
		[[ -f tests/fuzz/$t.c ]] || {
			echo "fuzz: no target $t (tests/fuzz/$t.c)" >&2
			exit 2
		}
	done
else
	targets=("${all[@]}")
fi
if [[ -n ${FUZZ_SECONDS:-} ]]; then
	seconds=$FUZZ_SECONDS
elif [[ -n ${FUZZ_BUDGET:-} ]]; then
	seconds=$((FUZZ_BUDGET / ${#targets[@]}))
	((seconds >= 1)) || seconds=1
else
	seconds=60
fi

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DSTRIDE_SANITIZE=ON -DSTRIDE_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run_one NAME: fuzzes one target, writes BUILD_DIR/NAME.result ("ok ..." or "FAILED").
run_one() {
	local t=$1 seeds=tests/fuzz/corpus/$1 work=$build/corpus/$1 flags line words stats
	[[ ${FUZZ_FRESH:-} == 1 ]] && rm -rf "$work"
	mkdir -p "$work" "$build/artifacts"
	if [[ -d $seeds ]]; then
		cp -n "$seeds"/* "$work"/ 2>/dev/null || true
	fi
	flags=(-max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$build/artifacts/$t-")
	if [[ -f tests/fuzz/$t.options ]]; then
		while read -r line; do
			read -r -a words <<<"${line%%#*}"
			flags+=("${words[@]}")
		done <"tests/fuzz/$t.options"
	fi
	[[ -f tests/fuzz/$t.dict ]] && flags+=(-dict="tests/fuzz/$t.dict")
	if "$build/$t" "${flags[@]}" "$work" >"$build/$t.log" 2>&1; then
		# "#N DONE cov: C ft: F corp: N/Bb ... exec/s: E rss: R" and the final stats
		stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$build/$t.log" | tail -n 1 |
			sed -E 's/^#([0-9]+).*cov: ([0-9]+).*corp: ([0-9]+)\/([0-9]+[a-zA-Z]*).*exec\/s: ([0-9]+).*/\1 runs, \5 exec\/s, cov \2, corpus \3 inputs \/ \4/')
		echo "ok (${seconds}s, ${stats:-no stats})" >"$build/$t.result"
		if [[ ${FUZZ_MERGE:-} == 1 && -d $seeds ]]; then
			"$build/$t" -merge=1 -max_len=65536 "$seeds" "$work" >>"$build/$t.log" 2>&1 || true
		fi
	else
		echo "FAILED" >"$build/$t.result"
	fi
}

running=0
for t in "${targets[@]}"; do
	rm -f "$build/$t.result"
	if ((jobs > 1)); then
		run_one "$t" &
		running=$((running + 1))
		if ((running >= jobs)); then
			wait -n || true
			running=$((running - 1))
		fi
	else
		run_one "$t"
	fi
done
wait

status=0
for t in "${targets[@]}"; do
	result=$(cat "$build/$t.result" 2>/dev/null || echo FAILED)
	if [[ $result == ok* ]]; then
		echo "fuzz $t: $result"
	else
		echo "fuzz $t: FAILED, see $build/$t.log (reproducer in $build/artifacts/)" >&2
		grep -E 'ERROR|SUMMARY|invariant|Test unit written' "$build/$t.log" | head -n 10 >&2 || true
		tail -n 30 "$build/$t.log" >&2
		status=1
	fi
done
exit $status
