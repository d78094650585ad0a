#!/usr/bin/env bash
# shellcheck disable=SC2034 # TLS_CHECK_KEEP is read through its name by throwaway-ca.sh
# tls-check.sh BUILD_DIR - what `make tls-check` runs: testssl.sh against a local stride-ca.
#
# Installs testssl.sh (Debian package testssl.sh) if it is missing, builds what is missing,
# creates a throwaway CA in a temporary directory, starts stride-ca on a free loopback port and
# scans it offline (no DNS, no OCSP/CRL/CT look-ups). Fails (exit 1) when
#   - a protocol other than TLS 1.2 / TLS 1.3 is offered, or one of those two is not;
#   - a cipher suite other than ECDHE + AES-GCM / ChaCha20-Poly1305 (or a TLS 1.3 AEAD suite)
#     is offered, or a weak cipher category (NULL, anonymous, export, LOW, 3DES/IDEA, CBC);
#   - TLS compression or client-initiated renegotiation is possible, or RFC 5746 secure
#     renegotiation is missing (insecure renegotiation);
#   - the server does not choose the cipher order;
#   - testssl reports any MEDIUM, HIGH, CRITICAL or FATAL finding or a scan problem (WARN),
#     except those listed in IGNORED below.
#
# Environment:
#   TLS_CHECK_FULL=1   run every testssl check (adds each cipher one by one, client simulations
#                      and HTTP headers; about twice as long)
#   TLS_CHECK_KEEP=1   keep the temporary directory (server log, testssl log and JSON)
#   TESTSSL            the testssl binary (default: testssl, then testssl.sh, from PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build}
case $build in /*) ;; *) build=$src/$build ;; esac
started=$(date +%s)

# Findings that may be MEDIUM or worse but say nothing about the TLS configuration; the reason
# is printed with each one that shows up.
declare -A IGNORED=(
	[cert_expirationStatus]="the server certificate lives 24 h by design (renewed in memory at 2/3 of its life, like step-ca's)"
	[cert_notAfter]="same as cert_expirationStatus: a 24 h server certificate"
	[cert_revocation]="a 24 h server certificate from a private CA carries no CRL or OCSP URI (step-ca's neither)"
	[cert_validityPeriod]="the server certificate's lifetime is chosen by the CA"
	[OCSP_stapling]="no OCSP responder for a private CA; nothing is looked up offline"
	[certificate_transparency]="private CA: no CT logs"
	[DNS_CAArecord]="no DNS look-ups (--nodns none)"
	[HSTS]="an API for machine clients on its own port, not a web site"
	[engine_problem]="the local openssl has no GOST engine (affects the scanner, not the server)"
)

# ---- testssl.sh ------------------------------------------------------------------------------
find_testssl() {
	if [[ -n ${TESTSSL:-} ]]; then
		command -v "$TESTSSL"
	else
		command -v testssl || command -v testssl.sh
	fi
}
if ! testssl_bin=$(find_testssl); then
	echo "== installing testssl.sh (apt-get)"
	sudo=()
	if [[ $(id -u) != 0 ]]; then
		sudo=(sudo)
	fi
	# hexdump comes from bsdextrautils (a dependency of the package).
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		testssl.sh bsdextrautils >/dev/null || {
		"${sudo[@]}" apt-get update >/dev/null &&
			"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
				--no-install-recommends testssl.sh bsdextrautils >/dev/null
	}
	testssl_bin=$(find_testssl) || {
		echo "tls-check: testssl.sh is not installed and could not be installed" >&2
		exit 1
	}
fi
for tool in hexdump jq curl; do
	if ! command -v "$tool" >/dev/null; then
		echo "tls-check: $tool is missing (hexdump: apt-get install bsdextrautils)" >&2
		exit 1
	fi
done
testssl_version=$("$testssl_bin" --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' |
	grep -m1 -oE 'testssl(\.sh)? +[0-9][^ ]*' | tr -s ' ' || true)

# ---- build and a throwaway CA ----------------------------------------------------------------
if [[ ! -f $build/CMakeCache.txt ]]; then
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target stride stride-ca >/dev/null

# shellcheck source=scripts/throwaway-ca.sh
. "$src/scripts/throwaway-ca.sh"
throwaway_ca_init "$build" "Stride TLS Check" "tls-check@example.com" TLS_CHECK_KEEP
target="127.0.0.1:$PORT"
root=$ROOT

echo "== starting stride-ca on $target"
throwaway_ca_start "https://$target" "$build/stride-ca" --password-file "$WORK/password" \
	"$CA_JSON"

# ---- the scan --------------------------------------------------------------------------------
# -p protocols, -s cipher categories, -f forward secrecy (and groups), -P server preferences
# (every cipher offered, per protocol), -S server defaults (certificate, extensions, tickets),
# -U vulnerabilities (renegotiation, CRIME, ...). TLS_CHECK_FULL adds -e (each of ~370 ciphers
# one by one), client simulations and HTTP headers. Offline: the target is an IP address,
# --nodns none, and --phone-out (CRL/OCSP downloads) is not given; the private root is added as
# a trust anchor so the chain of trust is really checked.
if [[ -n ${TLS_CHECK_FULL:-} ]]; then
	checks=()
	scope="every check"
else
	checks=(-p -s -f -P -S -U)
	scope="${checks[*]}"
fi
echo "== ${testssl_version:-testssl}: $scope against $target (this takes a few minutes)"
scan_start=$(date +%s)
scan_rc=0
"$testssl_bin" --quiet --color 0 --nodns none --warnings off --add-ca "$root" \
	--connect-timeout 10 --openssl-timeout 10 \
	--jsonfile "$WORK/testssl.json" --logfile "$WORK/testssl.log" \
	"${checks[@]}" "$target" >/dev/null 2>&1 || scan_rc=$?
scan_seconds=$(($(date +%s) - scan_start))
if ((scan_rc >= 240)) || [[ ! -s $WORK/testssl.json ]] ||
	! jq -e 'type == "array" and length > 0' "$WORK/testssl.json" >/dev/null 2>&1; then
	echo "tls-check: testssl failed (status $scan_rc); its output:" >&2
	tail -n 30 "$WORK/testssl.log" >&2 2>/dev/null || true
	TLS_CHECK_KEEP=1 # read by throwaway_ca_cleanup at exit
	exit 1
fi

# ---- evaluation ------------------------------------------------------------------------------
problems=()
ignored=()
json="$WORK/testssl.json"

# finding ID: testssl's finding for an id ("" when absent).
finding() {
	jq -r --arg id "$1" '[.[] | select(.id == $id) | .finding] | first // ""' "$json"
}

# expect ID PATTERN WHAT: the finding of ID matches the extended regular expression PATTERN.
expect() {
	local got
	got=$(finding "$1")
	if ! [[ $got =~ $2 ]]; then
		problems+=("$3: $1 = '${got:-missing}'")
	fi
}

for p in SSLv2 SSLv3 TLS1 TLS1_1; do
	expect "$p" '^not offered' "protocol offered"
done
expect TLS1_2 '^offered' "TLS 1.2 not offered"
expect TLS1_3 '^offered' "TLS 1.3 not offered"
for c in NULL aNULL EXPORT LOW 3DES_IDEA AVERAGE; do
	expect "cipherlist_$c" '^not offered' "weak cipher category offered"
done
expect PFS '^offered' "forward secrecy"
expect cipher_order '^server' "server cipher order"
expect CRIME_TLS '^not vulnerable' "TLS compression"
expect secure_renego '^supported' "RFC 5746 secure renegotiation missing"
expect secure_client_renego '^not vulnerable' "client-initiated renegotiation"

# Every cipher testssl saw offered: the per-protocol lists of -P (cipherorder_*), the forward
# secret ones of -f (PFS_ciphers) and, with -e / -E, one finding per cipher (its IANA name is the
# last column). Allowed: ECDHE with AES-GCM or ChaCha20-Poly1305 and the TLS 1.3 AEAD suites,
# under their OpenSSL or IANA names.
allowed='^(ECDHE-(ECDSA|RSA)-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)'
allowed+='|TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)'
allowed+='|TLS_AES_128_GCM_SHA256|TLS_AES_256_GCM_SHA384|TLS_CHACHA20_POLY1305_SHA256)$'
offered=$(
	{
		jq -r '.[] | select(.id | test("^(cipherorder_.*|PFS_ciphers)$")) | .finding' "$json" |
			tr ' ' '\n'
		jq -r '.[] | select(.id | test("^cipher[-_](tls|ssl)?[0-9_]*x[0-9a-f]+$")) | .finding' \
			"$json" | awk '{print $NF}'
	} | grep -v '^$' | sort -u
)
if [[ -z $(finding cipherorder_TLSv1_2) || -z $(finding cipherorder_TLSv1_3) ]]; then
	problems+=("testssl -P gave no TLS 1.2 / TLS 1.3 cipher list")
fi
for c in $offered; do
	[[ $c =~ $allowed ]] || problems+=("cipher offered: $c")
done

# Severities: MEDIUM and worse fail unless ignored; WARN is a scan problem.
while IFS=$'\t' read -r sev id text; do
	if [[ -n ${IGNORED[$id]:-} ]]; then
		ignored+=("$sev $id ($text): ${IGNORED[$id]}")
	else
		problems+=("$sev $id: $text")
	fi
done < <(jq -r '.[] | select(.severity | test("^(MEDIUM|HIGH|CRITICAL|FATAL|WARN)$")) |
	[.severity, .id, .finding] | @tsv' "$json")
# A certificate that is really expired is never ignored.
if [[ $(finding cert_expirationStatus) == *expired* ]]; then
	problems+=("the server certificate has expired")
fi

# ---- summary ---------------------------------------------------------------------------------
srv_rc=0
throwaway_ca_stop || srv_rc=$?
if ((srv_rc != 0)); then
	problems+=("stride-ca exited with status $srv_rc after the scan")
fi

protocols=$(for p in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_2 TLS1_3; do
	if [[ $(finding "$p") == offered* ]]; then printf '%s ' "$p"; fi
done)
echo
echo "tls-check summary ($target, testssl $scope)"
echo "  protocols offered:  ${protocols:-none}"
echo "  TLS 1.2 ciphers:    $(finding cipherorder_TLSv1_2)"
echo "  TLS 1.3 ciphers:    $(finding cipherorder_TLSv1_3)"
echo "  groups:             $(finding PFS_ECDHE_curves)"
echo "  server order:       $(finding cipher_order)"
echo "  compression:        $(finding CRIME_TLS)"
echo "  renegotiation:      RFC 5746 $(finding secure_renego); client-initiated $(finding secure_client_renego)"
echo "  vulnerabilities:    $(jq -r '[.[] | select(.id | test("^(heartbleed|CCS|ticketbleed|ROBOT|BREACH|POODLE_SSL|fallback_SCSV|SWEET32|FREAK|DROWN|LOGJAM|BEAST|LUCKY13|RC4)$")) | select(.severity != "OK" and .severity != "INFO")] | length' "$json") flagged"
echo "  chain of trust:     $(finding cert_chain_of_trust)"
for i in "${ignored[@]}"; do
	echo "  ignored:            $i"
done
echo "  scan time:          ${scan_seconds}s (total $(($(date +%s) - started))s)"
if ((${#problems[@]} > 0)); then
	for p in "${problems[@]}"; do
		echo "  FAIL: $p" >&2
	done
	echo "tls-check: ${#problems[@]} problem(s); testssl log and JSON kept in $WORK" >&2
	TLS_CHECK_KEEP=1 # read by throwaway_ca_cleanup at exit
	exit 1
fi
echo "tls-check: ok"
