#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang and runs each
# for FUZZ_SECONDS seconds on a copy of its seed corpus (tests/fuzz/corpus/<name>).
# `make fuzz` runs them for a minute each; `make test` for a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DSTRIDE_SANITIZE=ON -DSTRIDE_FUZZ=ON >/dev/null
targets=()
for src in tests/fuzz/fuzz_*.c; do
	targets+=("$(basename "$src" .c)")
done
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null

status=0
for t in "${targets[@]}"; do
	seeds=tests/fuzz/corpus/$t
	work=$build/corpus/$t
	mkdir -p "$work"
	[[ -d $seeds ]] && cp -n "$seeds"/* "$work"/ 2>/dev/null || true
	if "$build/$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 "$work" >"$build/$t.log" 2>&1; then
		echo "fuzz $t: ok ($(grep -c . <(ls "$work")) inputs, ${seconds}s)"
	else
		echo "fuzz $t: FAILED, see $build/$t.log" >&2
		tail -n 30 "$build/$t.log" >&2
		status=1
	fi
done
exit $status
