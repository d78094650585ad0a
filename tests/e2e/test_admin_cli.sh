#!/usr/bin/env bash
# Remote administration from the CLI against a running stride-ca with enableAdmin on SQLite:
# `ca init --remote-management`, the admin login (provisioner flow and --admin-cert/--admin-key),
# `ca admin list | add | update | remove`, `ca policy authority ...` and `ca acme eab` over the
# admin API, with step's outputs (admin.md §2, §6; acme.md §13).
source "$(dirname "$0")/lib.sh"

T=30 # seconds any one command may take
st() { timeout $T "$STRIDE_BIN" "$@"; }
# A command without a controlling terminal: a prompt fails instead of waiting.
st_notty() { setsid -w timeout $T "$STRIDE_BIN" "$@"; }

# --- the command tree ---------------------------------------------------------------------------
for cmd in "ca admin" "ca admin list" "ca admin add" "ca admin update" "ca admin remove" \
	"ca policy" "ca policy authority" "ca policy authority view" "ca policy authority remove" \
	"ca policy authority x509 allow dns" "ca policy authority x509 deny cn" \
	"ca policy authority x509 wildcards allow" "ca policy authority ssh host allow principal" \
	"ca policy authority ssh user deny email" "ca policy provisioner x509 allow uri" \
	"ca policy acme x509 deny ip" "ca policy acme view"; do
	# shellcheck disable=SC2086
	out=$(st $cmd --help 2>&1)
	rc=$?
	if ((rc == 0)) && [[ $out == *NAME* && $out == *USAGE* && $out != *"not implemented"* ]]; then
		pass "stride $cmd --help"
	else
		fail "stride $cmd --help (exit $rc): $(echo "$out" | head -3)"
	fi
done
check_fails "acme level has no ssh" st ca policy acme ssh --help
expect_eq "ssh host has no ip" \
	"'ip' is not a command of 'stride ca policy authority ssh host allow'; see 'stride ca policy authority ssh host allow --help'" \
	"$(st ca policy authority ssh host allow ip 10.0.0.1 2>&1)"

# --- ca init flag rules -------------------------------------------------------------------------
printf 'pw\n' >"$WORK/pw"
INIT=(ca init --name A --dns localhost --address :1 --provisioner p --password-file "$WORK/pw")
check_fails "--remote-management with --no-db" env STRIDEPATH="$WORK/x1" timeout $T "$STRIDE_BIN" "${INIT[@]}" \
	--remote-management --no-db
expect_eq "--remote-management/--no-db message" \
	"flag '--remote-management' is incompatible with '--no-db'" "$(cat "$WORK/last.err")"
check_fails "--admin-subject without --remote-management" env STRIDEPATH="$WORK/x2" timeout $T "$STRIDE_BIN" "${INIT[@]}" \
	--admin-subject boss
expect_eq "--admin-subject message" \
	"flag '--admin-subject' is only supported when '--remote-management' is enabled" \
	"$(cat "$WORK/last.err")"

if [[ -e $STRIDE_SRC/src/cli/admin_bootstrap_pending.c ]]; then
	# This build has no administration state (authority_admin_bootstrap is a placeholder):
	# the parts below need it and the admin API of stride-ca.
	echo "skip - init --remote-management, ca admin, ca policy and ca acme eab against stride-ca: this build has no remote administration state"
	finish
	exit
fi

# --- ca init --remote-management ------------------------------------------------------------------
check "ca init --remote-management --acme" init_ca --remote-management --acme
CFG="$STRIDEPATH/config/ca.json"
expect_contains "init names the admin provisioner and the super admin" \
	"✔ Certificate Authority configuration: $CFG
✔ Admin provisioner: $PROVISIONER (JWK)
✔ Super admin subject: step
" "$(cat "$WORK/init.err")"
expect_eq "ca.json: enableAdmin and no provisioners" '{"enableAdmin":true}' "$(jq -c .authority "$CFG")"
expect_contains "ca.json is tab-indented" $'\t"authority": {\n\t\t"enableAdmin": true\n\t}' "$(cat "$CFG")"
check "init --admin-subject" env STRIDEPATH="$WORK/boss" timeout $T "$STRIDE_BIN" "${INIT[@]}" --remote-management \
	--admin-subject boss@example.com
expect_contains "init --admin-subject names it" "✔ Admin provisioner: p (JWK)
✔ Super admin subject: boss@example.com" "$(cat "$WORK/last.err")"

check "stride-ca starts with enableAdmin" start_ca
KID=$(st ca provisioner list | jq -r '.[] | select(.type == "JWK") | .key.kid')
expect_eq "the provisioners are served from the database" "JWK ACME" \
	"$(st ca provisioner list | jq -r '[.[].type] | join(" ")')"

ADMIN=(--admin-subject step --admin-provisioner "$PROVISIONER" --admin-password-file "$WORK/prov-password")
LOGIN="No admin credentials found. You must login to execute admin commands.
✔ Provisioner: $PROVISIONER (JWK) [kid: $KID]"

# --- ca admin ---------------------------------------------------------------------------------------
check "admin list (login through the provisioner)" st ca admin list "${ADMIN[@]}"
expect_eq "admin list: the super admin of init" \
	$'SUBJECT\tPROVISIONER\t\tTYPE\nstep\tadmin@example.com (JWK)\tSUPER_ADMIN' \
	"$(cat "$WORK/last.out")"
expect_eq "admin list: login messages" "$LOGIN" "$(cat "$WORK/last.err")"

check "admin add" st ca admin add bob@example.com "$PROVISIONER" "${ADMIN[@]}"
expect_eq "admin add: one row" \
	$'SUBJECT\t\tPROVISIONER\t\tTYPE\nbob@example.com\tadmin@example.com (JWK)\tADMIN' \
	"$(cat "$WORK/last.out")"
check_fails "admin add twice" st ca admin add bob@example.com "$PROVISIONER" "${ADMIN[@]}"
expect_contains "admin add twice: message" \
	"admin with subject bob@example.com and provisioner admin@example.com already exists" \
	"$(cat "$WORK/last.err")"
check_fails "admin add: unknown provisioner" st ca admin add x@example.com nope "${ADMIN[@]}"
expect_contains "admin add: unknown provisioner message" "provisioner nope not found" "$(cat "$WORK/last.err")"

sorted() { head -n 1 "$1"; tail -n +2 "$1" | sort; }
check "admin list (two admins)" st ca admin list "${ADMIN[@]}"
expect_eq "admin list: both, columns at tab stops" \
	$'SUBJECT\t\tPROVISIONER\t\tTYPE\nbob@example.com\tadmin@example.com (JWK)\tADMIN\nstep\t\tadmin@example.com (JWK)\tSUPER_ADMIN' \
	"$(sorted "$WORK/last.out")"
check "admin list --super" st ca admin list --super "${ADMIN[@]}"
expect_eq "admin list --super" $'SUBJECT\tPROVISIONER\t\tTYPE\nstep\tadmin@example.com (JWK)\tSUPER_ADMIN' \
	"$(cat "$WORK/last.out")"
check "admin list --super=false" st ca admin list --super=false "${ADMIN[@]}"
expect_eq "admin list --super=false" \
	$'SUBJECT\t\tPROVISIONER\t\tTYPE\nbob@example.com\tadmin@example.com (JWK)\tADMIN' \
	"$(cat "$WORK/last.out")"
check "admin list --provisioner nope" st ca admin list --provisioner nope "${ADMIN[@]}"
expect_eq "admin list --provisioner nope: header only" $'SUBJECT\tPROVISIONER\tTYPE' "$(cat "$WORK/last.out")"

check_fails "admin update without --super" st ca admin update bob@example.com "${ADMIN[@]}"
expect_eq "admin update: --super required" "'stride ca admin update' requires the '--super' flag" \
	"$(cat "$WORK/last.err")"
check "admin update --super" st ca admin update bob@example.com --super "${ADMIN[@]}"
expect_eq "admin update: the row" \
	$'SUBJECT\t\tPROVISIONER\t\tTYPE\nbob@example.com\tadmin@example.com (JWK)\tSUPER_ADMIN' \
	"$(cat "$WORK/last.out")"
expect_eq "admin update: the chosen admin" "$LOGIN
✔ Admin: subject: bob@example.com, provisioner: admin@example.com(JWK), type: ADMIN" \
	"$(cat "$WORK/last.err")"
check "admin update --super=false" st ca admin update bob@example.com --super=false "${ADMIN[@]}"
expect_eq "admin update --super=false: the row" \
	$'SUBJECT\t\tPROVISIONER\t\tTYPE\nbob@example.com\tadmin@example.com (JWK)\tADMIN' \
	"$(cat "$WORK/last.out")"
check_fails "admin update: no such subject" st ca admin update nobody@example.com --super "${ADMIN[@]}"
expect_eq "admin update: no such subject message" "$LOGIN
no admins with subject nobody@example.com" "$(cat "$WORK/last.err")"
check_fails "admin remove --provisioner nope" st ca admin remove bob@example.com --provisioner nope "${ADMIN[@]}"
expect_eq "admin remove --provisioner nope message" "$LOGIN
invalid value 'nope' for flag '--provisioner'" "$(cat "$WORK/last.err")"

# --- admin credentials from files -----------------------------------------------------------------
cd "$WORK" || exit 1
check "a certificate for bob" cert bob
mv bob.example.com.crt bob.crt 2>/dev/null
check "bob's certificate (subject bob@example.com)" st ca certificate bob@example.com bob.crt bob.key \
	--provisioner "$PROVISIONER" --provisioner-password-file "$WORK/prov-password" -f
check "step's certificate" st ca certificate step step.crt step.key \
	--provisioner "$PROVISIONER" --provisioner-password-file "$WORK/prov-password" -f
check "admin list with --admin-cert/--admin-key" st ca admin list --admin-cert step.crt --admin-key step.key
expect_eq "no login with credentials" "" "$(cat "$WORK/last.err")"
expect_eq "admin list with credentials: same table" \
	$'SUBJECT\t\tPROVISIONER\t\tTYPE\nbob@example.com\tadmin@example.com (JWK)\tADMIN\nstep\t\tadmin@example.com (JWK)\tSUPER_ADMIN' \
	"$(sorted "$WORK/last.out")"
check_fails "--admin-cert needs --admin-key" st ca admin list --admin-cert step.crt
expect_eq "--admin-cert message" "flag '--admin-cert' requires the '--admin-key' flag" "$(cat "$WORK/last.err")"
check_fails "--admin-key needs --admin-cert" st ca admin list --admin-key step.key
expect_eq "--admin-key message" "flag '--admin-key' requires the '--admin-cert' flag" "$(cat "$WORK/last.err")"
check_fails "a plain admin may not add admins" st ca admin add eve@example.com "$PROVISIONER" \
	--admin-cert bob.crt --admin-key bob.key
expect_eq "plain admin: message" "must have super admin access to make this request" "$(cat "$WORK/last.err")"
check "a plain admin may list" st ca admin list --admin-cert bob.crt --admin-key bob.key
check "admin remove" st ca admin remove bob@example.com --admin-cert step.crt --admin-key step.key
expect_eq "admin remove prints nothing" "" "$(cat "$WORK/last.out")"
expect_eq "admin remove: the chosen admin" \
	"✔ Admin: subject: bob@example.com, provisioner: admin@example.com(JWK), type: ADMIN" \
	"$(cat "$WORK/last.err")"
check "admin list after remove" st ca admin list --admin-cert step.crt --admin-key step.key
expect_eq "admin list after remove" $'SUBJECT\tPROVISIONER\t\tTYPE\nstep\tadmin@example.com (JWK)\tSUPER_ADMIN' \
	"$(cat "$WORK/last.out")"
check_fails "a removed admin is refused" st ca admin list --admin-cert bob.crt --admin-key bob.key
expect_contains "removed admin: message" "unable to load admin with subject(s)" "$(cat "$WORK/last.err")"

# --- ca policy authority --------------------------------------------------------------------------
CRED=(--admin-cert step.crt --admin-key step.key)
# The CLI sends step's initialised policy (every object present) and prints the answer;
# stride-ca stores and returns policies normalised (empty lists and objects left out).
pretty() { jq --indent 3 . <<<"$1"; }
check "policy view (none)" st ca policy authority view "${CRED[@]}"
expect_eq "policy view (none): message" "certificate issuance policy does not exist" "$(cat "$WORK/last.out")"
check "policy allow dns step" st ca policy authority x509 allow dns step "${CRED[@]}"
expect_eq "policy allow dns: the policy" \
	"$(pretty '{"x509":{"allow":{"dns":["step"]}}}')" \
	"$(cat "$WORK/last.out")"
check "policy allow dns *.internal.example.com (twice: de-duplicated)" st ca policy authority x509 \
	allow dns '*.internal.example.com' '*.internal.example.com' "${CRED[@]}"
check "policy deny dns bad.internal.example.com" st ca policy authority x509 deny dns \
	bad.internal.example.com "${CRED[@]}"
X1='"x509":{"allow":{"dns":["step","*.internal.example.com"]},"deny":{"dns":["bad.internal.example.com"]}'
P1="{$X1}}"
expect_eq "policy deny dns: the policy" "$(pretty "$P1")" "$(cat "$WORK/last.out")"
check "policy view" st ca policy authority view "${CRED[@]}"
expect_eq "policy view: 3-space JSON" "$(pretty "$P1")" "$(cat "$WORK/last.out")"
check_fails "policy that locks the admin out" st ca policy authority x509 allow dns step --remove "${CRED[@]}"
expect_contains "lock-out message" \
	"the provided policy would lock out [step] from the CA. Please create an x509 policy to include [step] as an allowed DNS name" \
	"$(cat "$WORK/last.err")"
check "policy wildcards allow" st ca policy authority x509 wildcards allow "${CRED[@]}"
expect_eq "wildcards allow: allowWildcardNames after deny" \
	"$(pretty "{$X1,\"allowWildcardNames\":true}}")" \
	"$(cat "$WORK/last.out")"
check "policy wildcards deny" st ca policy authority x509 wildcards deny "${CRED[@]}"
expect_eq "wildcards deny: dropped again" "$(pretty "$P1")" "$(cat "$WORK/last.out")"
check "policy ssh user allow principal" st ca policy authority ssh user allow principal alice "${CRED[@]}"
expect_eq "ssh user principal: the policy" \
	"$(pretty "{$X1},\"ssh\":{\"user\":{\"allow\":{\"principals\":[\"alice\"]}}}}")" \
	"$(cat "$WORK/last.out")"
check_fails "ssh host email always fails" st ca policy authority ssh host allow email a@example.com "${CRED[@]}"
expect_eq "ssh host email: message" "SSH host policy does not support emails" "$(cat "$WORK/last.err")"
check "policy remove" st ca policy authority remove "${CRED[@]}"
expect_eq "policy remove: message" "policy deleted" "$(cat "$WORK/last.out")"
check_fails "policy remove again" st ca policy authority remove "${CRED[@]}"
expect_eq "policy remove again: message" "certificate issuance policy does not exist" "$(cat "$WORK/last.err")"
check "policy view after remove" st ca policy authority view "${CRED[@]}"
expect_eq "policy view after remove" "certificate issuance policy does not exist" "$(cat "$WORK/last.out")"
check_fails "provisioner level needs --provisioner" st ca policy provisioner view "${CRED[@]}"
expect_eq "provisioner level: message" "'stride ca policy provisioner view' requires the '--provisioner' flag" \
	"$(cat "$WORK/last.err")"
check_fails "acme level needs an EAB key" st ca policy acme view --provisioner acme "${CRED[@]}"
expect_eq "acme level: message" "one of flag --eab-key-reference or --eab-key-id is required" \
	"$(cat "$WORK/last.err")"

# --- ca acme eab over the admin API ---------------------------------------------------------------
row_add() { printf '%-36s%-28s%-48s%s' "$@"; }
row_list() { printf '%-36s%-28s%-16s%-30s%-30s%-40s%s' "$@"; }
check_fails "eab add: the provisioner does not require EAB" st ca acme eab add acme "${CRED[@]}"
expect_eq "eab add: EAB not enabled message" \
	"error creating ACME EAB key: ACME EAB not enabled for provisioner 'acme'" "$(cat "$WORK/last.err")"
if st ca provisioner update acme --require-eab "${CRED[@]}" >/dev/null 2>"$WORK/upd.err"; then
	check "eab add (remote)" st ca acme eab add acme ref1 "${CRED[@]}"
	expect_eq "eab add: header" "$(row_add "Key ID" "Provisioner" "Key (base64, raw url encoded)" "Reference")" \
		"$(sed -n 1p "$WORK/last.out")"
	ID1=$(sed -n 2p "$WORK/last.out" | cut -c1-36 | sed 's/ *$//')
	KEY1=$(sed -n 2p "$WORK/last.out" | cut -c65-112 | sed 's/ *$//')
	[[ $KEY1 =~ ^[A-Za-z0-9_-]{43}$ ]] && pass "eab add: unpadded base64url HMAC key" || fail "HMAC key [$KEY1]"
	expect_eq "eab add: the row" "$(row_add "$ID1" acme "$KEY1" ref1)" "$(sed -n 2p "$WORK/last.out")"
	check "eab list (remote)" st ca acme eab list acme --no-pager "${CRED[@]}"
	expect_eq "eab list: two lines" 2 "$(wc -l <"$WORK/last.out")"
	expect_eq "eab list: the row" "$(row_list "$ID1" acme '*****' "$(sed -n 2p "$WORK/last.out" | cut -c81-110)" "" "" ref1)" \
		"$(sed -n 2p "$WORK/last.out")"
	[[ $(sed -n 2p "$WORK/last.out" | cut -c81-110) =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\ \+00:00\ +$ ]] &&
		pass "eab list: created at" || fail "eab list created at [$(sed -n 2p "$WORK/last.out")]"
	check "eab list by reference" st ca acme eab list acme ref1 --no-pager "${CRED[@]}"
	expect_eq "eab list by reference: the key" "$ID1" "$(sed -n 2p "$WORK/last.out" | cut -c1-36 | sed 's/ *$//')"
	check "eab remove (remote)" st ca acme eab remove acme "$ID1" "${CRED[@]}"
	expect_eq "eab remove: message" "Key was deleted successfully!" "$(cat "$WORK/last.out")"
	check "eab list after remove" st ca acme eab list acme --no-pager "${CRED[@]}"
	expect_eq "eab list after remove: message" "No ACME EAB keys stored for provisioner acme" "$(cat "$WORK/last.out")"
else
	fail "ca provisioner update acme --require-eab: $(head -c 300 "$WORK/upd.err")"
fi

check "stride-ca stops cleanly" stop_ca
finish
