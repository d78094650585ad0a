#!/usr/bin/env bash
# The CLI's conventions: --help everywhere, flag and argument errors, prompts on a
# terminal (provisioner choice, provisioner password), refusals of what is not built yet.
source "$(dirname "$0")/lib.sh"

for cmd in "" "ca" "ca init" "ca bootstrap" "ca health" "ca token" "ca certificate" "ca sign" \
	"ca root" "ca roots" "ca federation" "ca provisioner" "ca provisioner list" \
	"ca provisioner jwe-key" "version" "path"; do
	# shellcheck disable=SC2086
	out=$("$STRIDE_BIN" $cmd --help 2>&1)
	rc=$?
	if ((rc == 0)) && [[ $out == *NAME* && $out == *USAGE* ]]; then
		pass "stride $cmd --help"
	else
		fail "stride $cmd --help (exit $rc): $(echo "$out" | head -3)"
	fi
done

check_fails "unknown flag" "$STRIDE_BIN" ca health --bogus
expect_contains "unknown flag message" "flag provided but not defined: -bogus" "$(cat "$WORK/last.err")"
check_fails "too few arguments" "$STRIDE_BIN" ca certificate only-one
expect_contains "too few arguments message" \
	"not enough positional arguments were provided in 'stride ca certificate <subject> <crt-file> <key-file>'" \
	"$(cat "$WORK/last.err")"
check_fails "too many arguments" "$STRIDE_BIN" ca token a b
expect_contains "too many arguments message" "too many positional arguments were provided in 'stride ca token <subject>'" \
	"$(cat "$WORK/last.err")"
check_fails "admin commands need a CA" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca admin list
expect_eq "admin list: --ca-url message" "'stride ca admin list' requires the '--ca-url' flag" \
	"$(cat "$WORK/last.err")"
check_fails "--kms is refused, not ignored" "$STRIDE_BIN" ca token x --kms pkcs11:foo
expect_contains "--kms message" "not supported yet" "$(cat "$WORK/last.err")"
check_fails "--san with --revoke" "$STRIDE_BIN" ca token 123 --revoke --san a
expect_eq "--san/--revoke message" "flag '--san' is incompatible with '--revoke'" "$(cat "$WORK/last.err")"
check_fails "bad --ca-url scheme" "$STRIDE_BIN" ca health --ca-url http://x --root /dev/null
expect_contains "--ca-url message" "must have https scheme" "$(cat "$WORK/last.err")"
check_fails "health without a root" env STRIDEPATH="$WORK/empty" "$STRIDE_BIN" ca health --ca-url https://x
expect_eq "health root message" "'stride ca health' requires the '--root' flag" "$(cat "$WORK/last.err")"
check_fails "bad token window" "$STRIDE_BIN" ca token x --offline --not-before 1h
expect_contains "token window message" "requested validity delay is too long" "$(cat "$WORK/last.err")"

check "ca init" init_ca
# A second provisioner (same key, another name) makes the CLI ask which to use.
edit_ca_json '.authority.provisioners += [.authority.provisioners[0] | .name = "second@example.com"]'
check "stride-ca starts" start_ca
check_fails "several provisioners and no terminal" setsid "$STRIDE_BIN" ca token a.example.com \
	--provisioner-password-file "$WORK/prov-password"
check "--provisioner picks one" "$STRIDE_BIN" ca token a.example.com --provisioner second@example.com \
	--provisioner-password-file "$WORK/prov-password"
expect_eq "the token names that provisioner" "second@example.com" "$(jwt_payload "$(cat "$WORK/last.out")" | jq -r .iss)"
check "--kid picks one" "$STRIDE_BIN" ca token a.example.com --kid "$(provisioner_kid)" \
	--provisioner second@example.com --provisioner-password-file "$WORK/prov-password"
check_fails "unknown --provisioner" "$STRIDE_BIN" ca token a.example.com --provisioner nobody \
	--provisioner-password-file "$WORK/prov-password"
expect_eq "unknown provisioner message" "invalid value 'nobody' for flag '--provisioner'" "$(cat "$WORK/last.err")"

if command -v script >/dev/null; then
	# Choose the second provisioner, then type the provisioner password.
	printf '2\nprov-password\n' | script -qec "$STRIDE_BIN ca token b.example.com --output-file $WORK/b.tok" \
		/dev/null >"$WORK/tty.log" 2>&1
	expect_contains "the choice prompt" "What provisioner key do you want to use?" "$(cat "$WORK/tty.log")"
	expect_contains "the password prompt" "Please enter the password to decrypt the provisioner key" \
		"$(cat "$WORK/tty.log")"
	expect_eq "the chosen provisioner signed the token" "second@example.com" \
		"$(jwt_payload "$(cat "$WORK/b.tok" 2>/dev/null)" | jq -r .iss 2>/dev/null)"
	expect_eq "--output-file is 0600" 600 "$(stat -c %a "$WORK/b.tok" 2>/dev/null)"
	printf '1\nwrong\nwrong\nwrong\n' | script -qec "$STRIDE_BIN ca token c.example.com" /dev/null \
		>"$WORK/tty2.log" 2>&1
	expect_contains "three wrong passwords" "failed to decrypt JWE: invalid password" "$(cat "$WORK/tty2.log")"
else
	fail "script(1) is missing: install bsdutils"
fi
finish
