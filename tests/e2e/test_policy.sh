#!/usr/bin/env bash
# Certificate issuance policies set through the admin API (`stride ca policy`) on a running CA
# with remote administration, enforced on /sign, renew and ACME orders (lego), without a restart.
# On PostgreSQL: two stride-ca on one database, the ACME client behind HAProxy, the policy set at
# one instance applied by both.
#
# Authority policy: allow *.internal.example.com and *.internal.test (and "step", the super
# admin's subject, which the CA refuses to lock out), deny bad.internal.example.com and
# bad.internal.test. Then a provisioner policy on the ACME provisioner.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/acme_lib.sh
source "$(dirname "$0")/acme_lib.sh"

if ! command -v lego >/dev/null; then
	echo "lego not installed (scripts/deps.sh installs it)" >&2
	exit 1
fi

# ca.json's provisioners (the JWK one and "acme") are imported into the database on the first
# start.
ACME_CA_EDIT='.authority.enableAdmin = true'
acme_start
if ((FAILED > 0)); then # nothing below can pass
	finish
	exit
fi

ADMIN=(--admin-subject step --admin-provisioner "$PROVISIONER"
	--admin-password-file "$WORK/prov-password" --ca-url "$CA_URL")
REFUSED="The request was forbidden by the certificate authority"
LG="$WORK/lego"
lego_run() {
	LEGO_CA_CERTIFICATES="$ROOT" timeout "$CLIENT_TIMEOUT" lego --path "$LG" -s "$ACME_DIR" -a \
		-m acme@example.com --http --http.port "127.0.0.1:$HTTP_PORT" "$@" run
}
# certificate NAME: NAME.crt / NAME.key for the DNS name NAME from the JWK provisioner.
certificate() {
	timeout 60 "$STRIDE_BIN" ca certificate "$1" "$WORK/$1.crt" "$WORK/$1.key" \
		--provisioner "$PROVISIONER" --provisioner-password-file "$WORK/prov-password" -f
}
# settle: on PostgreSQL the other instance follows a change within a second.
settle() {
	[[ $STRIDE_TEST_DB == postgresql ]] && sleep 1.5
	return 0
}

# before any policy
check "pre.example.com (no policy yet)" certificate pre.example.com
check "ok1.internal.example.com (no policy yet)" certificate ok1.internal.example.com

# --- the authority policy ------------------------------------------------------------------------
check_fails "a policy that would lock out the super admin is refused" timeout 60 "$STRIDE_BIN" \
	ca policy authority x509 allow dns '*.internal.example.com' "${ADMIN[@]}"
expect_contains "... with step-ca's message" \
	"the provided policy would lock out [step] from the CA. Please create an x509 policy to include [step] as an allowed DNS name" \
	"$(cat "$WORK/last.err")"
check "allow dns *.internal.example.com *.internal.test step" timeout 60 "$STRIDE_BIN" ca policy \
	authority x509 allow dns '*.internal.example.com' '*.internal.test' step "${ADMIN[@]}"
check "deny dns bad.internal.example.com bad.internal.test" timeout 60 "$STRIDE_BIN" ca policy \
	authority x509 deny dns bad.internal.example.com bad.internal.test "${ADMIN[@]}"
expect_eq "the policy printed" \
	'{"x509":{"allow":{"dns":["*.internal.example.com","*.internal.test","step"]},"deny":{"dns":["bad.internal.example.com","bad.internal.test"]}}}' \
	"$(jq -c . "$WORK/last.out")"
check "ca policy authority view" timeout 60 "$STRIDE_BIN" ca policy authority view "${ADMIN[@]}"
expect_eq "view shows it" \
	'{"x509":{"allow":{"dns":["*.internal.example.com","*.internal.test","step"]},"deny":{"dns":["bad.internal.example.com","bad.internal.test"]}}}' \
	"$(jq -c . "$WORK/last.out")"
settle

# /sign
check "sign ok.internal.example.com (allowed)" certificate ok.internal.example.com
check_fails "sign bad.internal.example.com (denied)" certificate bad.internal.example.com
expect_contains "... step-ca's 403" "$REFUSED: dns name \"bad.internal.example.com\" not allowed" \
	"$(cat "$WORK/last.err")"
check_fails "sign other.example.com (not allowed)" certificate other.example.com
expect_contains "... step-ca's 403" "$REFUSED: dns name \"other.example.com\" not allowed" \
	"$(cat "$WORK/last.err")"
check_fails "sign a wildcard *.internal.example.com (wildcards not allowed)" \
	certificate '*.internal.example.com'

# renew (mTLS) and rekey
check "renew ok1.internal.example.com (allowed)" timeout 60 "$STRIDE_BIN" ca renew \
	"$WORK/ok1.internal.example.com.crt" "$WORK/ok1.internal.example.com.key" -f
check_fails "renew pre.example.com (outside the policy now)" timeout 60 "$STRIDE_BIN" ca renew \
	"$WORK/pre.example.com.crt" "$WORK/pre.example.com.key" -f
expect_contains "... step-ca's 403" "$REFUSED: dns name \"pre.example.com\" not allowed" \
	"$(cat "$WORK/last.err")"
check_fails "rekey pre.example.com (outside the policy now)" timeout 60 "$STRIDE_BIN" ca rekey \
	"$WORK/pre.example.com.crt" "$WORK/pre.example.com.key" -f

# ACME
check "lego ok.internal.test (allowed)" lego_run -d ok.internal.test
check_cert "ACME inside the policy" "$LG/certificates/ok.internal.test.crt" \
	"$LG/certificates/ok.internal.test.key" "DNS:ok.internal.test" "EC P-256"
check_fails "lego bad.internal.test (denied)" lego_run -d bad.internal.test
expect_contains "... rejectedIdentifier" "urn:ietf:params:acme:error:rejectedIdentifier" \
	"$(cat "$WORK/last.err")"
check_fails "lego x.other.test (not allowed)" lego_run -d x.other.test
expect_contains "... rejectedIdentifier" "urn:ietf:params:acme:error:rejectedIdentifier" \
	"$(cat "$WORK/last.err")"

check "ca policy authority remove" timeout 60 "$STRIDE_BIN" ca policy authority remove "${ADMIN[@]}"
expect_contains "policy deleted" "policy deleted" "$(cat "$WORK/last.out" "$WORK/last.err")"
settle
check "sign other.example.com (no policy any more)" certificate other.example.com

# --- a provisioner policy on the ACME provisioner -------------------------------------------------
check "deny dns *.other.test for provisioner acme" timeout 60 "$STRIDE_BIN" ca policy provisioner \
	x509 deny dns '*.other.test' --provisioner "$ACME_PROV" "${ADMIN[@]}"
settle
check_fails "lego y.other.test (denied for acme)" lego_run -d y.other.test
expect_contains "... rejectedIdentifier" "urn:ietf:params:acme:error:rejectedIdentifier" \
	"$(cat "$WORK/last.err")"
check "lego z.more.test (allowed)" lego_run -d z.more.test
check "the JWK provisioner is not bound by it: y.other.test" certificate y.other.test

acme_check_balanced
finish
