#!/usr/bin/env bash
# Self-test of the interop harness against the real step-ca 0.19: builds the
# binaries (unless SKIP_BUILD=1), then runs stepca-client against step-ca
# started (1) from a fresh stepca-init tree and (2) from tests/data/stepca/tree.
# Not part of CI. Exit status 0 only if every step of both runs is ok.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${STRIDE_INTEROP_DIR:-/tmp/stride-interop}/bin"
[ "${SKIP_BUILD:-0}" = 1 ] || "$here/build-stepca.sh"

# shellcheck disable=SC2016 # expanded by the inner sh
client='"$0" --ca-url "$STEPCA_URL" --fingerprint "$STEPCA_FINGERPRINT" \
	--provisioner admin@example.com --password-file "$STEPCA_PASSWORD_FILE"'
echo "== step-ca 0.19 from a fresh stepca-init tree"
"$here/run-stepca.sh" -- sh -c "$client" "$bin/stepca-client"
echo "== step-ca 0.19 from tests/data/stepca/tree"
want="$(cat "$repo/tests/data/stepca/tree/root_fingerprint.txt")"
# shellcheck disable=SC2016
"$here/run-stepca.sh" --testdata -- sh -c '[ "$STEPCA_FINGERPRINT" = "$1" ] ||
	{ echo "FAIL fingerprint $STEPCA_FINGERPRINT != $1"; exit 1; }; '"$client" "$bin/stepca-client" "$want"
echo "selftest: ok"
