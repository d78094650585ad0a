#!/usr/bin/env bash
# `stride ca init`: non-interactive, interactive on a terminal, errors without one, and
# its variants (--pki, --no-db, --root/--key, key types, contexts).
source "$(dirname "$0")/lib.sh"

printf 'ca-password\n' >"$WORK/password"

init() { # STRIDEPATH [flags...]
	local dir=$1
	shift
	env STRIDEPATH="$dir" "$STRIDE_BIN" ca init "$@"
}

check_fails "no terminal and no --name" env STRIDEPATH="$WORK/a" setsid "$STRIDE_BIN" ca init \
	--dns localhost --address :9443 --provisioner p --password-file "$WORK/password"
expect_eq "the missing flag is named" "'stride ca init' requires the '--name' flag" "$(cat "$WORK/last.err")"
check_fails "no terminal and no password" env STRIDEPATH="$WORK/a" setsid "$STRIDE_BIN" ca init \
	--name A --dns localhost --address :9443 --provisioner p
expect_eq "the missing password flag is named" "'stride ca init' requires the '--password-file' flag" \
	"$(cat "$WORK/last.err")"
check_fails "bad address" init "$WORK/a" --name A --dns localhost --address nope \
	--provisioner p --password-file "$WORK/password"
expect_contains "bad address message" "invalid value 'nope' for flag '--address'" "$(cat "$WORK/last.err")"
check_fails "--root without --key" init "$WORK/a" --name A --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password" --root x
expect_eq "--root message" "flag '--root' requires the '--key' flag" "$(cat "$WORK/last.err")"
check_fails "--pki with --no-db" init "$WORK/a" --pki --no-db --name A --dns localhost \
	--address :1 --provisioner p --password-file "$WORK/password"
check_fails "unsupported --helm is refused, not ignored" init "$WORK/a" --helm --name A \
	--dns localhost --address :1 --provisioner p --password-file "$WORK/password"
expect_eq "--helm message" "flag '--helm' is not supported yet" "$(cat "$WORK/last.err")"
[[ ! -e $WORK/a/config/ca.json ]] && pass "failed runs wrote no configuration" || fail "failed runs wrote ca.json"

# Interactive: answers typed on a pseudo-terminal (script(1) allocates one).
if command -v script >/dev/null; then
	answers=$'Interactive PKI\nca.example.com, 10.0.0.1\n127.0.0.1:9443\nme@example.com\nsecret\n'
	printf '%s' "$answers" | env STRIDEPATH="$WORK/tty" script -qec "$STRIDE_BIN ca init" /dev/null \
		>"$WORK/tty.log" 2>&1
	expect_eq "interactive init wrote the DNS names" '["ca.example.com","10.0.0.1"]' \
		"$(jq -c .dnsNames "$WORK/tty/config/ca.json" 2>/dev/null)"
	expect_eq "interactive init: provisioner" "me@example.com" \
		"$(jq -r '.authority.provisioners[0].name' "$WORK/tty/config/ca.json" 2>/dev/null)"
	expect_contains "interactive init asked for the name" "What would you like to name your new PKI?" \
		"$(cat "$WORK/tty.log")"
	printf 'secret\n' >"$WORK/secret"
	check "the typed password encrypts the CA key" openssl ec -in "$WORK/tty/secrets/intermediate_ca_key" \
		-passin file:"$WORK/secret" -noout
	printf 'n\n' | env STRIDEPATH="$WORK/tty" script -qec "$STRIDE_BIN ca init --name X \
		--dns x --address :1 --provisioner p --password-file $WORK/password" /dev/null >"$WORK/tty2.log" 2>&1
	expect_contains "overwrite prompt" "Would you like to overwrite $WORK/tty/config/ca.json [y/n]:" \
		"$(cat "$WORK/tty2.log")"
	expect_eq "answering no keeps the old configuration" "Interactive PKI Root CA" \
		"$(openssl x509 -in "$WORK/tty/certs/root_ca.crt" -noout -subject -nameopt multiline |
			sed -n 's/ *commonName *= //p')"
else
	fail "script(1) is missing: install bsdutils"
fi

check_fails "existing configuration without a terminal or --force" init "$WORK/tty" --name X \
	--dns x --address :1 --provisioner p --password-file "$WORK/password"
check "--force overwrites" init "$WORK/tty" --name Forced --dns x --address :1 --provisioner p \
	--password-file "$WORK/password" --force

check "--pki writes only keys and certificates" init "$WORK/pki" --pki --name P --dns localhost \
	--address :1 --provisioner p --password-file "$WORK/password"
[[ -f $WORK/pki/certs/root_ca.crt && ! -e $WORK/pki/config/ca.json ]] && pass "--pki layout" || fail "--pki layout"

check "--no-db" init "$WORK/nodb" --no-db --name N --dns localhost --address :1 --provisioner p \
	--password-file "$WORK/password"
expect_eq "--no-db has no db section" "null" "$(jq -c .db "$WORK/nodb/config/ca.json")"

check "RSA CA keys" init "$WORK/rsa" --kty RSA --size 3072 --name R --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password"
expect_contains "RSA root" "Public-Key: (3072 bit)" "$(openssl x509 -in "$WORK/rsa/certs/root_ca.crt" -noout -text)"
check "P-384 CA keys" init "$WORK/p384" --kty EC --curve P-384 --name E --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password"
expect_contains "P-384 root" "NIST CURVE: P-384" "$(openssl x509 -in "$WORK/p384/certs/root_ca.crt" -noout -text)"

check "an existing root (--root/--key)" init "$WORK/reuse" --root "$WORK/p384/certs/root_ca.crt" \
	--key "$WORK/p384/secrets/root_ca_key" --key-password-file "$WORK/password" --name Reuse \
	--dns localhost --address :1 --provisioner p --password-file "$WORK/password"
check "the new intermediate chains to the reused root" openssl verify \
	-CAfile "$WORK/p384/certs/root_ca.crt" "$WORK/reuse/certs/intermediate_ca.crt"
[[ ! -e $WORK/reuse/secrets/root_ca_key ]] && pass "the reused root key is not copied" || fail "root key copied"

check "init in a new context" init "$WORK/ctx" --context prod --name Ctx --dns ca.prod --address :1 \
	--provisioner p --password-file "$WORK/password"
expect_eq "context registered" '{"prod":{"profile":"prod","authority":"prod"}}' "$(jq -c . "$WORK/ctx/contexts.json")"
expect_eq "context is current" "prod" "$(jq -r .context "$WORK/ctx/current-context.json")"
expect_eq "stride path follows the context" "$WORK/ctx/authorities/prod" "$(STRIDEPATH="$WORK/ctx" "$STRIDE_BIN" path)"
[[ -f $WORK/ctx/authorities/prod/config/ca.json ]] && pass "tree under authorities/prod" || fail "no tree under authorities/prod"
check "init on port 443" init "$WORK/p443" --name P --dns ca.example.com --dns ::1 --address :443 \
	--provisioner p --password-file "$WORK/password"
expect_eq "ca-url from the first DNS name, port 443 omitted" "https://ca.example.com" \
	"$(jq -r '."ca-url"' "$WORK/p443/config/defaults.json")"
expect_eq "ca-url keeps other ports" "https://ca.prod:1" \
	"$(jq -r '."ca-url"' "$WORK/ctx/authorities/prod/config/defaults.json")"
# The "db" object: --db-type/--db-source/--db-name write it as given, in step's key order.
expect_eq "default db: SQLite under db/" "{\"type\":\"sqlite\",\"dataSource\":\"$WORK/p443/db/stride.db\"}" \
	"$(jq -c .db "$WORK/p443/config/ca.json")"
PGURL='postgresql://stride:s3cret@127.0.0.1:5432/?sslmode=disable'
check "init --db-type postgresql" init "$WORK/pg" --name PG --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password" --db-type postgresql --db-source "$PGURL" \
	--db-name stride
expect_eq "postgresql db object" "{\"type\":\"postgresql\",\"dataSource\":\"$PGURL\",\"database\":\"stride\"}" \
	"$(jq -c .db "$WORK/pg/config/ca.json")"
expect_eq "a ca.json with a PostgreSQL URL is private" 600 "$(stat -c %a "$WORK/pg/config/ca.json")"
check "init --db-type postgres (no --db-name)" init "$WORK/pg2" --name PG --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password" --db-type postgres --db-source postgres://db.example/
expect_eq "postgres is written as given, no database key" '{"type":"postgres","dataSource":"postgres://db.example/"}' \
	"$(jq -c .db "$WORK/pg2/config/ca.json")"
check "init --db-type sqlite --db-source" init "$WORK/lite" --name L --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password" --db-type sqlite --db-source "$WORK/lite.db"
expect_eq "sqlite db object" "{\"type\":\"sqlite\",\"dataSource\":\"$WORK/lite.db\"}" \
	"$(jq -c .db "$WORK/lite/config/ca.json")"
check "offline certificate into the --db-source file" env STRIDEPATH="$WORK/lite" timeout 60 "$STRIDE_BIN" \
	ca certificate lite.example.com "$WORK/lite.crt" "$WORK/lite.key" --offline \
	--password-file "$WORK/password" --provisioner-password-file "$WORK/password"
expect_eq "the certificate is in the --db-source file" 1 \
	"$(sqlite3 "$WORK/lite.db" "select count(*) from x509_certs" 2>&1)"
check_fails "unknown --db-type" init "$WORK/bad" --name B --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password" --db-type mysql --db-source x
expect_eq "--db-type names the supported types" \
	"invalid value 'mysql' for flag '--db-type'; supported types are sqlite and postgresql (or postgres)" \
	"$(cat "$WORK/last.err")"
check_fails "postgresql without --db-source" init "$WORK/bad" --name B --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password" --db-type postgresql --db-name stride
expect_eq "--db-source is required for postgresql" \
	"flag '--db-type=postgresql' requires the '--db-source' flag (a URL such as postgresql://user:password@host:5432/?sslmode=disable)" \
	"$(cat "$WORK/last.err")"
check_fails "--db-name with sqlite" init "$WORK/bad" --name B --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password" --db-name stride
expect_eq "--db-name is for PostgreSQL only" \
	"flag '--db-name' is only for PostgreSQL: use it with '--db-type=postgresql'" "$(cat "$WORK/last.err")"
check_fails "--no-db with --db-type" init "$WORK/bad" --name B --dns localhost --address :1 \
	--provisioner p --password-file "$WORK/password" --no-db --db-type sqlite
expect_eq "--no-db and --db-type" "flag '--no-db' is incompatible with '--db-type'" "$(cat "$WORK/last.err")"
[[ ! -e $WORK/bad/config/ca.json ]] && pass "refused db flags wrote no configuration" || fail "refused db flags wrote ca.json"
finish
