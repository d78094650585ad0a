#!/usr/bin/env bash
# lego (Debian's, unchanged) against stride-ca's ACME directory: http-01 and tls-alpn-01 with
# lego's own listeners on 127.0.0.1 and free ports, dns-01 through RFC 2136 (`--dns rfc2136`,
# TSIG key acme-key) against the test's DNS server with a wildcard, renew, and revoke. Every
# certificate is checked with openssl and in the store.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/acme_lib.sh
source "$(dirname "$0")/acme_lib.sh"

if ! command -v lego >/dev/null; then
	echo "lego not installed (scripts/deps.sh installs it)" >&2
	exit 1
fi

acme_start
if ((FAILED > 0)); then # nothing below can pass
	finish
	exit
fi

LG="$WORK/lego"
CERTS="$LG/certificates"

# lego_run ARGS...: lego trusting only the test root, bounded by CLIENT_TIMEOUT.
lego_run() {
	LEGO_CA_CERTIFICATES="$ROOT" timeout "$CLIENT_TIMEOUT" lego --path "$LG" -s "$ACME_DIR" -a \
		-m acme@example.com "$@"
}
HTTP=(--http --http.port "127.0.0.1:$HTTP_PORT")

# --- http-01 -----------------------------------------------------------------------------------
check "lego http-01 (127.0.0.1:$HTTP_PORT): l1.test, www.l1.test" lego_run --key-type ec384 \
	-d l1.test -d www.l1.test "${HTTP[@]}" run
check_cert "http-01" "$CERTS/l1.test.crt" "$CERTS/l1.test.key" "DNS:l1.test DNS:www.l1.test" \
	"EC P-384"

# --- tls-alpn-01 -------------------------------------------------------------------------------
check "lego tls-alpn-01 (127.0.0.1:$TLS_PORT): l2.test" lego_run --key-type rsa2048 -d l2.test \
	--tls --tls.port "127.0.0.1:$TLS_PORT" run
check_cert "tls-alpn-01" "$CERTS/l2.test.crt" "$CERTS/l2.test.key" "DNS:l2.test" "RSA 2048"

# --- dns-01 through RFC 2136 with TSIG, a wildcard ----------------------------------------------
# lego finds the zone with an SOA query to --dns.resolvers and, with --dns.disable-cp, does not
# wait for the record on the zone's (unreachable) authoritative servers.
# lego_dns ARGS...: lego_run with the rfc2136 provider's settings.
lego_dns() {
	(
		export RFC2136_NAMESERVER="127.0.0.1:$DNS_PORT" RFC2136_TSIG_KEY=acme-key \
			RFC2136_TSIG_SECRET="${TSIG_SECRET:-$(cat "$DNS_DIR/tsig.secret")}" \
			RFC2136_TSIG_ALGORITHM=hmac-sha256. RFC2136_PROPAGATION_TIMEOUT=10 \
			RFC2136_POLLING_INTERVAL=1
		lego_run "$@"
	)
}
# lego signs its updates: with a wrong secret the DNS server refuses them (BADSIG).
TSIG_SECRET=$(head -c 32 /dev/zero | base64) check_fails \
	"lego dns-01 with a wrong TSIG secret fails" lego_dns -d l4.test --dns rfc2136 \
	--dns.resolvers "127.0.0.1:$DNS_PORT" --dns.disable-cp run
expect_contains "... the update was refused" "DNS update failed: dns: bad authentication" \
	"$(cat "$WORK/last.err")"
# Only the wildcard: lego 4.9's rfc2136 provider deletes every TXT record of the name before
# adding its own, so *.l3.test and l3.test in one order cannot both be answered.
check "lego dns-01 (rfc2136, TSIG): *.l3.test" lego_dns --key-type ec256 -d '*.l3.test' \
	--dns rfc2136 --dns.resolvers "127.0.0.1:$DNS_PORT" --dns.disable-cp run
check_cert "dns-01 wildcard" "$CERTS/_.l3.test.crt" "$CERTS/_.l3.test.key" \
	"DNS:*.l3.test" "EC P-256"
expect_eq "the TXT records are gone" "" "$(txt_of _acme-challenge.l3.test)"

# --- renew -------------------------------------------------------------------------------------
cp "$CERTS/l1.test.crt" "$WORK/l1-1.crt"
check "lego renew l1.test (http-01)" lego_run --key-type ec384 -d l1.test "${HTTP[@]}" renew \
	--days 30 --no-random-sleep
expect_eq "l1.test renewed: a new serial" "different" \
	"$([[ $(serial_dec "$CERTS/l1.test.crt") != "$(serial_dec "$WORK/l1-1.crt")" ]] && echo different || echo same)"
check_cert "http-01 renewed" "$CERTS/l1.test.crt" "$CERTS/l1.test.key" \
	"DNS:l1.test DNS:www.l1.test" "EC P-384"

# --- revoke ------------------------------------------------------------------------------------
check "lego revoke l2.test, reason 5 (cessationOfOperation)" lego_run -d l2.test revoke \
	--reason 5 --keep
check_revoked "tls-alpn-01" "$CERTS/l2.test.crt" 5
check_not_revoked "the renewed http-01 certificate" "$CERTS/l1.test.crt"
check_fails "lego revoke of a revoked certificate fails" lego_run -d l2.test revoke --keep
expect_contains "... with alreadyRevoked" "urn:ietf:params:acme:error:alreadyRevoked" \
	"$(cat "$WORK/last.out" "$WORK/last.err")"

acme_check_balanced
finish
