#!/usr/bin/env bash
# `stride ca init --acme`, the ACME provisioner in `ca provisioner list`, and
# `stride ca acme eab add | list | remove --offline` on the CA's database, with step's output.
source "$(dirname "$0")/lib.sh"

T=30 # seconds any one command may take

for cmd in "ca acme" "ca acme eab" "ca acme eab add" "ca acme eab list" "ca acme eab remove"; do
	# shellcheck disable=SC2086
	out=$(timeout $T "$STRIDE_BIN" $cmd --help 2>&1)
	rc=$?
	if ((rc == 0)) && [[ $out == *NAME* && $out == *USAGE* && $out != *"not implemented"* ]]; then
		pass "stride $cmd --help"
	else
		fail "stride $cmd --help (exit $rc): $(echo "$out" | head -3)"
	fi
done

# --- ca init --acme ------------------------------------------------------------------------
check "ca init --acme" init_ca --acme
CFG="$STRIDEPATH/config/ca.json"
expect_eq "the ACME provisioner follows the JWK one" \
	'[{"type":"JWK","name":"admin@example.com"},{"type":"ACME","name":"acme"}]' \
	"$(jq -c '[.authority.provisioners[] | {type, name}]' "$CFG")"
expect_eq "the ACME provisioner has only type and name" '{"type":"ACME","name":"acme"}' \
	"$(jq -c '.authority.provisioners[1]' "$CFG")"
expect_contains "ca.json lays it out as step writes it" \
	$'\t\t\t{\n\t\t\t\t"type": "ACME",\n\t\t\t\t"name": "acme"\n\t\t\t}\n\t\t]' "$(cat "$CFG")"

check_fails "--acme with --no-db" env STRIDEPATH="$WORK/nodb" timeout $T "$STRIDE_BIN" ca init \
	--acme --no-db --name A --dns localhost --address :1 --provisioner p \
	--password-file "$WORK/password"
expect_eq "--acme/--no-db message" "flag '--acme' is incompatible with '--no-db'" "$(cat "$WORK/last.err")"
check "--acme with a first provisioner named acme" env STRIDEPATH="$WORK/named" timeout $T \
	"$STRIDE_BIN" ca init --acme --name A --dns localhost --address :1 --provisioner acme \
	--password-file "$WORK/password"
expect_eq "the ACME provisioner is then acme-1" '["acme","acme-1"]' \
	"$(jq -c '[.authority.provisioners[].name]' "$WORK/named/config/ca.json")"
check "ca init without --acme" env STRIDEPATH="$WORK/plain" timeout $T "$STRIDE_BIN" ca init \
	--name A --dns localhost --address :1 --provisioner p --password-file "$WORK/password"
expect_eq "no ACME provisioner without --acme" '["JWK"]' \
	"$(jq -c '[.authority.provisioners[].type]' "$WORK/plain/config/ca.json")"

# --- the server lists it --------------------------------------------------------------------
check "stride-ca starts with the ACME provisioner" start_ca
check "ca provisioner list" timeout $T "$STRIDE_BIN" ca provisioner list
expect_eq "provisioner list shows the ACME provisioner" '{"type":"ACME","name":"acme"}' \
	"$(jq -c '.[1]' "$WORK/last.out")"
expect_contains "provisioner list prints it indented by 3 spaces" \
	$'   {\n      "type": "ACME",\n      "name": "acme"\n   }\n]' "$(cat "$WORK/last.out")"

# --- eab add ----------------------------------------------------------------------------------
eab() { timeout $T "$STRIDE_BIN" ca acme eab "$@"; }
key_record() { # ID: the JSON value of that key's record (a BLOB in SQLite, bytea in PostgreSQL)
	local text="CAST(value AS TEXT)"
	[[ $(jq -r .db.type "$CFG") == postgres* ]] && text="convert_from(value, 'UTF8')"
	db_sql "select $text from records where collection = 'acme_eab_keys' and id = '$1'"
}
row_add() { printf '%-36s%-28s%-48s%s' "$@"; }
row_list() { printf '%-36s%-28s%-16s%-30s%-30s%-40s%s' "$@"; }
HEAD_ADD=$(row_add "Key ID" "Provisioner" "Key (base64, raw url encoded)" "Reference")
HEAD_LIST=$(row_list "Key ID" "Provisioner" "Key (masked)" "Created At" "Bound At" "Account" "Reference")

# Without --offline the keys go through the admin API, which this CA (no enableAdmin) lacks:
# the admin login works (a certificate from the JWK provisioner), the admin call then gets the
# router's 404.
ADMIN=(--admin-subject step --admin-provisioner "$PROVISIONER" --admin-password-file "$WORK/prov-password")
check_fails "eab add without --offline" eab add acme "${ADMIN[@]}"
expect_eq "eab add: no admin API" \
	"No admin credentials found. You must login to execute admin commands.
✔ Provisioner: admin@example.com (JWK) [kid: $(jq -r '.authority.provisioners[0].key.kid' "$CFG")]
error creating ACME EAB key: the CA does not serve the admin API: remote administration is not enabled (POST /admin/acme/eab/acme answered 404)" \
	"$(cat "$WORK/last.err")"
check_fails "eab list without --offline" eab list acme "${ADMIN[@]}"
expect_contains "eab list: no admin API" "error retrieving ACME EAB keys: the CA does not serve the admin API: remote administration is not enabled (GET /admin/acme/eab/acme answered 404)" \
	"$(cat "$WORK/last.err")"
# (setsid: no controlling terminal, so no prompt even when run from one)
check_fails "eab list without --offline nor a subject" setsid -w timeout $T "$STRIDE_BIN" ca acme eab list acme
expect_contains "eab list: the admin login needs a subject" \
	"error creating admin client: 'stride ca acme eab list' requires the '--admin-subject' flag" \
	"$(cat "$WORK/last.err")"

check "eab add (no reference, the server running)" eab add acme --offline
expect_eq "eab add: header line" "$HEAD_ADD" "$(sed -n 1p "$WORK/last.out")"
ID1=$(sed -n 2p "$WORK/last.out" | cut -c1-32)
KEY1=$(sed -n 2p "$WORK/last.out" | cut -c65-107)
[[ $ID1 =~ ^[A-Za-z0-9]{32}$ ]] && pass "key ID: 32 alphanumerics" || fail "key ID [$ID1]"
[[ $KEY1 =~ ^[A-Za-z0-9_-]{43}$ ]] && pass "HMAC key: 43 base64url characters" || fail "HMAC key [$KEY1]"
expect_eq "eab add: the row" "$(row_add "$ID1" acme "$KEY1" "")" "$(sed -n 2p "$WORK/last.out")"
expect_eq "eab add: two lines" 2 "$(wc -l <"$WORK/last.out")"
expect_eq "the HMAC key decodes to 32 bytes" 32 \
	"$(printf '%s==' "$KEY1" | tr '_-' '/+' | base64 -d 2>/dev/null | wc -c)"

check "eab add with a reference" eab add acme team-a --offline
ID2=$(sed -n 2p "$WORK/last.out" | cut -c1-32)
KEY2=$(sed -n 2p "$WORK/last.out" | cut -c65-107)
expect_eq "eab add: the row with its reference" "$(row_add "$ID2" acme "$KEY2" team-a)" \
	"$(sed -n 2p "$WORK/last.out")"
expect_eq "the key is in the store" "$KEY2" \
	"$(key_record "$ID2" | jq -r .hmacKey)"

check_fails "a duplicate reference" eab add acme team-a --offline
expect_eq "duplicate reference message" \
	"error creating ACME EAB key: an ACME EAB key for provisioner 'acme' with reference 'team-a' already exists" \
	"$(cat "$WORK/last.err")"
check_fails "eab add on a JWK provisioner" eab add admin@example.com --offline
expect_eq "not-ACME message" \
	"error creating ACME EAB key: provisioner 'admin@example.com' is not an ACME provisioner (type JWK)" \
	"$(cat "$WORK/last.err")"
check_fails "eab add on an unknown provisioner" eab add nope --offline
expect_eq "unknown provisioner message" "error creating ACME EAB key: provisioner nope not found" \
	"$(cat "$WORK/last.err")"

# --- eab list ---------------------------------------------------------------------------------
created() { # ID: its createdAt as the list prints it
	date -u -d "$(key_record "$1" | jq -r .createdAt)" '+%Y-%m-%d %H:%M:%S +00:00'
}
C1=$(created "$ID1")
C2=$(created "$ID2")
if [[ $ID1 < $ID2 ]]; then
	ROWS=$(row_list "$ID1" acme "*****" "$C1" "" "" "")$'\n'$(row_list "$ID2" acme "*****" "$C2" "" "" team-a)
else
	ROWS=$(row_list "$ID2" acme "*****" "$C2" "" "" team-a)$'\n'$(row_list "$ID1" acme "*****" "$C1" "" "" "")
fi
check "eab list" eab list acme --offline --no-pager
expect_eq "eab list: header and rows in ID order" "$HEAD_LIST"$'\n'"$ROWS" "$(cat "$WORK/last.out")"
check "eab list, pages of one" eab list acme --offline --no-pager --limit 1
expect_eq "eab list --limit 1 pages through every key" "$HEAD_LIST"$'\n'"$ROWS" "$(cat "$WORK/last.out")"
check "eab list piped (no pager off a terminal)" env PAGER=false timeout $T "$STRIDE_BIN" ca acme eab list acme --offline
expect_eq "no pager when stdout is not a terminal" "$HEAD_LIST"$'\n'"$ROWS" "$(cat "$WORK/last.out")"
check "eab list by reference" eab list acme team-a --offline --no-pager
expect_eq "eab list team-a" "$HEAD_LIST"$'\n'"$(row_list "$ID2" acme "*****" "$C2" "" "" team-a)" \
	"$(cat "$WORK/last.out")"
check "eab list by an unknown reference" eab list acme nobody --offline --no-pager
expect_eq "no key with that reference" "No ACME EAB keys stored for provisioner acme" "$(cat "$WORK/last.out")"
check_fails "eab list --limit x" eab list acme --offline --limit x
expect_eq "--limit message" "invalid value 'x' for flag '--limit'; it must be a number" "$(cat "$WORK/last.err")"

# --- eab remove -------------------------------------------------------------------------------
check "eab remove" eab remove acme "$ID2" --offline
expect_eq "eab remove output" "Key was deleted successfully!" "$(cat "$WORK/last.out")"
expect_eq "the key and its reference are gone from the store" 0 \
	"$(db_sql "select count(*) from records where collection in ('acme_eab_keys', 'acme_eab_refs') and owner = 'acme' and (id = '$ID2' or collection = 'acme_eab_refs')")"
check_fails "eab remove twice" eab remove acme "$ID2" --offline
expect_eq "remove unknown key message" \
	"error removing ACME EAB key: ACME EAB key '$ID2' not found for provisioner 'acme'" "$(cat "$WORK/last.err")"
check "the reference is free again" eab add acme team-a --offline
ID3=$(sed -n 2p "$WORK/last.out" | cut -c1-32)
check "eab remove the others" eab remove acme "$ID1" --offline
check "eab remove the new one" eab remove acme "$ID3" --offline
check "eab list, nothing left" eab list acme --offline --no-pager
expect_eq "eab list: none" "No ACME EAB keys stored for provisioner acme" "$(cat "$WORK/last.out")"
stop_ca

# --- a CA without a database ---------------------------------------------------------------------
edit_ca_json 'del(.db)'
check_fails "eab add without a database" eab add acme --offline
expect_eq "no-database message" \
	"error creating ACME EAB key: $CFG has no \"db\": ACME and its EAB keys need a database" \
	"$(cat "$WORK/last.err")"
finish
