#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. formatting check (clang-format),
#   2. release build: unit + end-to-end tests,
#   3. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer,
#   4. every fuzz target for a few seconds.
# Ends with one line "N passed, N failed" over all ctest runs.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
total_pass=0
total_fail=0
status=0

run_ctest() { # BUILD_DIR [CTEST_ARGS...]
	local dir=$1 out
	shift
	out=$(cd "$dir" && ctest --output-on-failure -j "$jobs" "$@" 2>&1)
	local rc=$?
	echo "$out"
	local line
	line=$(echo "$out" | grep -E '[0-9]+% tests passed' | tail -n 1)
	local failed total
	failed=$(echo "$line" | sed -E 's/.*, ([0-9]+) tests failed out of ([0-9]+).*/\1/')
	total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
	if [[ $line =~ ^[0-9]+%\ tests\ passed ]]; then
		total_pass=$((total_pass + total - failed))
		total_fail=$((total_fail + failed))
	else
		total_fail=$((total_fail + 1))
	fi
	((rc == 0)) || status=1
}

if command -v clang-format >/dev/null; then
	if ! git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror 2>/tmp/stride-format.log; then
		echo "clang-format: files need formatting (run 'make format'):" >&2
		grep -o '^[^:]*' /tmp/stride-format.log | sort -u >&2
		status=1
	fi
fi

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
	cmake --build build -j "$jobs" || exit 1
run_ctest build

echo "== AddressSanitizer + UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTRIDE_SANITIZE=ON >/dev/null &&
	cmake --build build-asan -j "$jobs" || exit 1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The lifecycle suite on PostgreSQL (label e2e-pg) runs in the release build only, to keep
# `make test` within its budget: the PostgreSQL back end still runs under the sanitizers in
# unit/test_store_postgres (the shared store suite) and e2e/test_pg_multi (three instances).
# certbot (a minute of Python per run) is left to the release build: the ACME server's paths
# run under the sanitizers through lego, uacme and unit/test_acme_server. test_install checks
# where `make install` puts files and that the pages render; its C code (the page generator)
# runs in every build. test_k8ssa and test_templates drive CLI paths the other scripts run
# under the sanitizers; their own C code (service-account tokens, the template engine, the
# certificate description) runs there in unit/test_k8ssa, unit/test_template and
# unit/test_x509tpl, and in the fuzz targets. test_admin_remote and test_policy (two minutes
# together under the sanitizers) run in both release suites, SQLite and PostgreSQL: the admin
# API and the policy engine run under the sanitizers in unit/test_admin_server,
# test_admin_state, test_policy and test_authority_policy. test_admin_cli and test_revoke run
# in the release build only too (two and a half minutes under the sanitizers): revocation runs
# under the sanitizers in unit/test_authority_* and e2e/test_revoke_race (renewal and
# revocation racing over mTLS), e2e/test_crl and e2e/test_ocsp.
run_ctest build-asan -LE e2e-pg \
	-E 'e2e/(test_acme_certbot|test_install|test_k8ssa|test_templates|test_admin_remote|test_policy|test_admin_cli|test_revoke)$'

if [[ -x scripts/fuzz.sh ]]; then
	echo "== fuzz smoke run"
	# A fixed budget (every seed replayed, then new inputs) split over the targets, two at
	# a time, from the repository's seeds only: bounded however many targets there are.
	if FUZZ_BUDGET=${FUZZ_SMOKE_BUDGET:-90} FUZZ_JOBS=2 FUZZ_FRESH=1 scripts/fuzz.sh build-fuzz; then
		total_pass=$((total_pass + 1))
	else
		total_fail=$((total_fail + 1))
		status=1
	fi
fi

echo "$total_pass passed, $total_fail failed"
exit $status
