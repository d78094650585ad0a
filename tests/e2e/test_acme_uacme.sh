#!/usr/bin/env bash
# uacme (Debian's, unchanged) against stride-ca's ACME directory: http-01 (a hook writing the
# key authorization into a webroot served on 127.0.0.1 and a free port) and dns-01 (the same
# hook adding TXT records to the test's DNS server) with a wildcard, then revocation by the
# account key and by the certificate's key. uacme has no option to trust a root: it reads only
# /etc/ssl/certs/ca-certificates.crt, so each run is in a private mount namespace with the test
# root bound over that file; the machine's trust store is never modified.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/acme_lib.sh
source "$(dirname "$0")/acme_lib.sh"

for c in uacme unshare python3; do
	if ! command -v "$c" >/dev/null; then
		echo "$c not installed (scripts/deps.sh installs it)" >&2
		exit 1
	fi
done
SYSTEM_STORE=/etc/ssl/certs/ca-certificates.crt
STORE_SUM=$(sha256sum "$SYSTEM_STORE" 2>/dev/null)

acme_start
if ((FAILED > 0)); then # nothing below can pass
	finish
	exit
fi

UA="$WORK/uacme"
WEBROOT="$WORK/www"
mkdir -p "$UA" "$WEBROOT/.well-known/acme-challenge"
export KNOT DNS_DIR WEBROOT
export UACME_HOOK_LOG="$WORK/hook.log"
# The hook: METHOD (begin, done, failed) TYPE IDENT TOKEN AUTH. It takes the challenge type of
# UACME_MODE and declines the others (exit 1); for dns-01 AUTH is already the TXT value.
cat >"$WORK/hook.sh" <<'EOF'
#!/bin/sh
method=$1 type=$2 ident=$3 token=$4 auth=$5
echo "$method $type $ident" >>"$UACME_HOOK_LOG"
case $UACME_MODE:$type in
http:http-01)
	if [ "$method" = begin ]; then
		printf '%s' "$auth" >"$WEBROOT/.well-known/acme-challenge/$token"
	else
		rm -f "$WEBROOT/.well-known/acme-challenge/$token"
	fi
	;;
dns:dns-01)
	if [ "$method" = begin ]; then
		exec "$KNOT" txt-add "$DNS_DIR" "_acme-challenge.$ident" "$auth"
	else
		exec "$KNOT" txt-del "$DNS_DIR" "_acme-challenge.$ident"
	fi
	;;
*) exit 1 ;;
esac
EOF
chmod +x "$WORK/hook.sh"

# uacme_run ARGS...: uacme in a private mount namespace where the system trust store is the test
# root (unshare -m as root, -rm as another user), bounded by CLIENT_TIMEOUT. -o: no OCSP.
uacme_run() {
	local ns=(unshare -m)
	((EUID == 0)) || ns=(unshare -rm)
	# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
	timeout "$CLIENT_TIMEOUT" "${ns[@]}" \
		sh -c 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec "$@"' \
		"$ROOT" uacme -v -o -c "$UA" -a "$ACME_DIR" -h "$WORK/hook.sh" "$@"
}

# uacme_mode MODE ARGS...: uacme_run with the hook taking MODE's challenges (http or dns).
uacme_mode() {
	(
		export UACME_MODE=$1
		shift
		uacme_run "$@"
	)
}

check_fails "the machine's trust store does not trust the test root" \
	timeout 20 curl -s "${ACME_DIR}"
check "uacme new (an account)" uacme_run -y new acme@example.com

# --- http-01 -----------------------------------------------------------------------------------
acme_bg python3 -m http.server --bind 127.0.0.1 --directory "$WEBROOT" "$HTTP_PORT" \
	>"$WORK/http.log" 2>&1
WEB_PID=$BG_PID
echo probe >"$WEBROOT/probe"
for _ in $(seq 1 100); do
	[[ $(curl -s "http://127.0.0.1:$HTTP_PORT/probe") == probe ]] && break
	sleep 0.1
done
: >"$UACME_HOOK_LOG"
check "uacme http-01: u1.test, www.u1.test (EC P-384)" uacme_mode http -t EC -b 384 \
	issue u1.test www.u1.test
check_cert "http-01" "$UA/u1.test/cert.pem" "$UA/private/u1.test/key.pem" \
	"DNS:u1.test DNS:www.u1.test" "EC P-384"
expect_eq "the hook answered two http-01 challenges" \
	"begin http-01 u1.test|begin http-01 www.u1.test|done http-01 u1.test|done http-01 www.u1.test" \
	"$(grep ' http-01 ' "$UACME_HOOK_LOG" | sort | tr '\n' '|' | sed 's/|$//')"
expect_eq "the webroot is empty again" "" "$(ls "$WEBROOT/.well-known/acme-challenge")"
acme_bg_stop "$WEB_PID"

# --- dns-01, a wildcard ------------------------------------------------------------------------
: >"$UACME_HOOK_LOG"
check "uacme dns-01: u2.test, *.u2.test (RSA 2048)" uacme_mode dns -t RSA -b 2048 \
	issue u2.test '*.u2.test'
check_cert "dns-01" "$UA/u2.test/cert.pem" "$UA/private/u2.test/key.pem" \
	"DNS:*.u2.test DNS:u2.test" "RSA 2048"
expect_eq "the hook answered two dns-01 challenges for u2.test" "2 2" \
	"$(grep -c '^begin dns-01 u2.test$' "$UACME_HOOK_LOG") $(grep -c '^done dns-01 u2.test$' "$UACME_HOOK_LOG")"
expect_eq "the TXT records are gone" "" "$(txt_of _acme-challenge.u2.test)"

# --- revocation --------------------------------------------------------------------------------
cp "$UA/u1.test/cert.pem" "$WORK/u1.pem"
cp "$UA/u2.test/cert.pem" "$WORK/u2.pem"
check "uacme revoke u1.test (account key), reason 4" uacme_run -r 4 revoke "$UA/u1.test/cert.pem"
check_revoked "u1.test" "$WORK/u1.pem" 4
check_not_revoked "u2.test" "$WORK/u2.pem"
check "uacme revoke u2.test (the certificate's key), reason 0" uacme_run revoke \
	"$UA/u2.test/cert.pem" "$UA/private/u2.test/key.pem"
check_revoked "u2.test" "$WORK/u2.pem" 0

expect_eq "the machine's trust store is unchanged" "$STORE_SUM" "$(sha256sum "$SYSTEM_STORE" 2>/dev/null)"
acme_check_balanced
finish
