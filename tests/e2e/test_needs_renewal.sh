#!/usr/bin/env bash
# `stride certificate needs-renewal`, the ExecCondition= of stride-renew@.service, with step's
# exit statuses: 0 due, 1 not due, 2 no such file, 255 any other error. Certificates of 30
# days made by openssl now, 29 days ago (one day left) and 31 days ago (expired); then the
# chain a server presents (https://), stride-ca's own.
source "$(dirname "$0")/lib.sh"

command -v faketime >/dev/null || {
	echo "faketime is missing (scripts/deps.sh installs it)" >&2
	exit 1
}
cd "$WORK" || exit 1

# selfsigned NAME [faketime offset]: NAME.crt valid 30 days from now (or from the offset).
selfsigned() {
	local wrap=()
	[[ -n ${2:-} ]] && wrap=($FAKETIME -f "$2")
	"${wrap[@]}" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -out "$1.crt" -subj "/CN=$1" -days 30 2>/dev/null
}
selfsigned fresh
selfsigned nearly -29d
selfsigned expired -31d
checkend() { openssl x509 -in "$1" -noout -checkend "$2" >/dev/null && echo valid || echo expires; }
expect_eq "the nearly expired one has a day left" "valid expires" \
	"$(checkend nearly.crt 43200) $(checkend nearly.crt 172800)"
expect_eq "the expired one has expired" "expires" "$(checkend expired.crt 0)"
cat fresh.crt nearly.crt >bundle.crt
printf 'not a certificate\n' >garbage.crt

# status [args...]: the exit status of needs-renewal, with its stdout/stderr in out/err.
status() {
	timeout 20 "$STRIDE_BIN" certificate needs-renewal "$@" >"$WORK/out" 2>"$WORK/err"
	echo $?
}

expect_eq "fresh: not due (1)" "1" "$(status fresh.crt)"
expect_eq "fresh: says so on stderr" "certificate does not need renewal" "$(cat "$WORK/err")"
expect_eq "nearly expired: due (0)" "0" "$(status nearly.crt)"
expect_eq "nearly expired: nothing printed" "" "$(cat "$WORK/out" "$WORK/err")"
expect_eq "expired: due (0)" "0" "$(status expired.crt)"
expect_eq "--verbose prints the affirmation" "0 certificate needs renewal" \
	"$(status expired.crt --verbose) $(cat "$WORK/out")"
expect_eq "-v is --verbose" "0 certificate needs renewal" "$(status nearly.crt -v) $(cat "$WORK/out")"

# --expires-in as a duration (one day left on nearly.crt) and as a percentage.
expect_eq "nearly: --expires-in 48h is due" "0" "$(status nearly.crt --expires-in 48h)"
expect_eq "nearly: --expires-in 12h is not" "1" "$(status nearly.crt --expires-in 12h)"
expect_eq "fresh: --expires-in 720h1m is due" "0" "$(status fresh.crt --expires-in 720h1m)"
expect_eq "fresh: --expires-in 0% is due" "0" "$(status fresh.crt --expires-in 0%)"
expect_eq "nearly: --expires-in 100% is not" "1" "$(status nearly.crt --expires-in 100%)"
expect_eq "expired: --expires-in 100% is due" "0" "$(status expired.crt --expires-in 100%)"
expect_eq "STRIDE_EXPIRES_IN is read" "0" "$(STRIDE_EXPIRES_IN=48h status nearly.crt)"

# Only the leaf, unless --bundle.
expect_eq "bundle: the leaf alone is not due" "1" "$(status bundle.crt)"
expect_eq "bundle: --bundle finds the second" "0" "$(status bundle.crt --bundle)"

# Errors.
expect_eq "no such file: 2" "2" "$(status missing.crt)"
expect_eq "no such file: the message" "stat missing.crt: No such file or directory" \
	"$(cat "$WORK/err")"
expect_eq "not a certificate: 255" "255" "$(status garbage.crt)"
expect_eq "bad --expires-in: 255" "255" "$(status fresh.crt --expires-in soon)"
expect_eq "bad --expires-in: the message" "invalid value 'soon' for flag '--expires-in'" \
	"$(cat "$WORK/err")"
expect_eq "--expires-in 101%: 255" "255" "$(status fresh.crt --expires-in 101%)"
expect_eq "--expires-in 101%: the message" \
	"invalid value '101%' for flag '--expires-in'; value must be in range 0-100%" \
	"$(cat "$WORK/err")"
expect_eq "no argument: 255" "255" "$(status)"
expect_eq "two arguments: 255" "255" "$(status fresh.crt nearly.crt)"

# A server's certificate: stride-ca's TLS certificate (fresh, at most a year).
check "ca init" init_ca
check "stride-ca starts" start_ca
ROOT="$STRIDEPATH/certs/root_ca.crt"
URL="https://127.0.0.1:$PORT"
expect_eq "server: not due (1)" "1" "$(status "$URL" --roots "$ROOT")"
expect_eq "server: --expires-in 8760h is due (0)" "0" \
	"$(status "$URL/health" --roots "$ROOT" --expires-in 8760h)"
expect_eq "server: --roots as a directory, --servername" "1" \
	"$(status "$URL" --roots "$STRIDEPATH/certs" --servername localhost --bundle)"
expect_eq "server: --roots as a list" "0 certificate needs renewal" \
	"$(status "https://localhost:$PORT" --roots "$WORK/fresh.crt,$ROOT" --expires-in 8760h -v) $(cat "$WORK/out")"
expect_eq "server: an untrusted certificate is an error (255)" "255" "$(status "$URL")"
expect_contains "server: says why" "error connecting to $URL:" "$(cat "$WORK/err")"
expect_eq "server: the wrong --servername is an error (255)" "255" \
	"$(status "$URL" --roots "$ROOT" --servername other.example)"
expect_eq "server: http:// is an error (255)" "255" "$(status "http://127.0.0.1:$PORT")"
expect_eq "server: http:// says so" "unsupported protocol in 'http://127.0.0.1:$PORT': use https://" \
	"$(cat "$WORK/err")"
finish
