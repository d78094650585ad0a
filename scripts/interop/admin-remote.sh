#!/usr/bin/env bash
# stride's remote administration against a real step-ca 0.19 with `enableAdmin`: `ca admin
# list/add/update/remove` and `ca provisioner add/update/remove` over step-ca's admin API, a
# certificate from the provisioner stride added, its claims applied after an update, its tokens
# refused after removal. Logs in through step-ca's own `Admin JWK` provisioner (made on the first
# start, its key encrypted with the CA password) as the super admin `step`.
# With --stride-ca the same steps run against stride-ca on the same tree (its db switched to
# SQLite), which must answer as step-ca does, except that it serves EAB keys.
# Not part of CI (needs scripts/interop/build-stepca.sh).
#
# Usage: scripts/interop/admin-remote.sh [--bin DIR] [--stride-build DIR] [--stride-ca]
#   --bin DIR           step-ca and stepca-init (default /tmp/stride-interop/bin)
#   --stride-build DIR  stride and stride-ca (default build/ of this repository)
#   --stride-ca         run against stride-ca instead of step-ca
# Exit status 0 only when every step is ok.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${STRIDE_INTEROP_DIR:-/tmp/stride-interop}/bin"
sbuild="$repo/build"
server=step-ca
if [ "${1:-}" != --inner ]; then
	while [ $# -gt 0 ]; do
		case "$1" in
		--bin) bin="$2"; shift 2 ;;
		--stride-build) sbuild="$2"; shift 2 ;;
		--stride-ca) server=stride-ca; shift ;;
		-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
		*) echo "admin-remote: unknown option $1" >&2; exit 2 ;;
		esac
	done
	for b in "$bin/step-ca" "$bin/stepca-init" "$sbuild/stride"; do
		[ -x "$b" ] || { echo "admin-remote: $b missing (scripts/interop/build-stepca.sh, cmake --build)" >&2; exit 1; }
	done
	work="$(mktemp -d "${TMPDIR:-/tmp}/stride-admin-interop.XXXXXX")"
	trap 'rm -rf "$work"' EXIT
	printf 'password\n' >"$work/password.txt"
	"$bin/stepca-init" --dir "$work/tree" --password-file "$work/password.txt" --name "Stride Interop" \
		--dns localhost,127.0.0.1 --address "127.0.0.1:9000" --provisioner admin@example.com \
		>"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; exit 1; }
	# No provisioners in ca.json: step-ca 0.19 ignores them with enableAdmin and newest step-ca
	# (and stride-ca) import them; without any, both make the provisioner "Admin JWK".
	filter='.authority.enableAdmin = true | .authority.provisioners = []'
	args=(--bin "$bin")
	if [ "$server" = stride-ca ]; then
		mkdir -p "$work/tree/db-sqlite"
		filter="$filter | .db = {\"type\": \"sqlite\", \"dataSource\": \"$work/tree/db-sqlite\"}"
		args+=(--server "$sbuild/stride-ca")
	fi
	jq "$filter" "$work/tree/config/ca.json" >"$work/ca.json"
	mv "$work/ca.json" "$work/tree/config/ca.json"
	# run-stepca.sh starts the server, sets STEPCA_*, runs this script again for the steps.
	exec "$here/run-stepca.sh" --tree "$work/tree" --password-file "$work/password.txt" "${args[@]}" \
		-- "$0" --inner "$sbuild" "$work" "$server"
fi

sbuild="$2"
work="$3"
server="$4"
# shellcheck source=scripts/interop/steps.sh
. "$here/steps.sh"
S() {
	STRIDEPATH="$work/home" HOME="$work" timeout 60 "$sbuild/stride" "$@" \
		--ca-url "$STEPCA_URL" --root "$STEPCA_ROOT"
}
ADMIN=(--admin-subject step --admin-provisioner "Admin JWK" --admin-password-file "$STEPCA_PASSWORD_FILE")
names() { curl -fsS --cacert "$STEPCA_ROOT" "$STEPCA_URL/provisioners" | jq -c '[.provisioners[].name]'; }
printf 'cicd-password\n' >"$work/cicd.txt"

same "$server serves only its Admin JWK" '["Admin JWK"]' "$(names)"
step "ca admin list" S ca admin list "${ADMIN[@]}"
same "admin list: step's super admin" $'SUBJECT\tPROVISIONER\tTYPE\nstep\tAdmin JWK (JWK)\tSUPER_ADMIN' \
	"$(grep -v -e '^No admin credentials' -e '^✔ Provisioner' "$work/out")"

step "ca provisioner add cicd (remote)" S ca provisioner add cicd --create \
	--password-file "$work/cicd.txt" --x509-default-dur 1h "${ADMIN[@]}"
same "$server serves cicd at once" '["Admin JWK","cicd"]' "$(names)"
same "cicd's claims as stride sent them" '"1h0m0s"' \
	"$(curl -fsS --cacert "$STEPCA_ROOT" "$STEPCA_URL/provisioners" |
		jq -c '.provisioners[] | select(.name == "cicd") | .claims.defaultTLSCertDuration')"

cert() { # name: a certificate for name from cicd into $work/name.crt
	S ca certificate "$1" "$work/$1.crt" "$work/$1.key" --provisioner cicd \
		--provisioner-password-file "$work/cicd.txt" --force
}
lifetime() { # certificate: its validity in seconds
	local nb na
	nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
	echo $((na - nb))
}
step "certificate from cicd" cert svc.example.com
# step-ca backdates notBefore by one minute.
same "cicd's default duration applies" 3660 "$(lifetime "$work/svc.example.com.crt")"

step "ca provisioner update cicd --x509-default-dur 2h" S ca provisioner update cicd \
	--x509-default-dur 2h "${ADMIN[@]}"
step "certificate after the update" cert svc2.example.com
same "the updated duration applies" 7260 "$(lifetime "$work/svc2.example.com.crt")"

step "ca admin add alice" S ca admin add alice@example.com cicd "${ADMIN[@]}"
step "ca admin list (two)" S ca admin list "${ADMIN[@]}"
# step-ca lists admins in its database's key order (random IDs): rows compared sorted.
same "admin list: alice and step, columns at tab stops" \
	$'SUBJECT\t\t\tPROVISIONER\tTYPE\nalice@example.com\tcicd (JWK)\tADMIN\nstep\t\t\tAdmin JWK (JWK)\tSUPER_ADMIN' \
	"$(grep -v -e '^No admin credentials' -e '^✔ Provisioner' "$work/out" | { IFS= read -r h; echo "$h"; sort; })"
ALICE=(--admin-subject alice@example.com --admin-provisioner cicd --admin-password-file "$work/cicd.txt")
# An ADMIN manages provisioners; only a SUPER_ADMIN changes admins.
step "alice, an admin, adds a provisioner" S ca provisioner add team --type ACME "${ALICE[@]}"
step "alice removes it" S ca provisioner remove team "${ALICE[@]}"
fails_with "alice cannot add an admin" "must have super admin access to make this request" \
	S ca admin add carol@example.com cicd "${ALICE[@]}"
step "ca admin remove alice" S ca admin remove alice@example.com "${ADMIN[@]}"
same "admin list: step only" "step" "$(S ca admin list "${ADMIN[@]}" 2>/dev/null | awk 'NR > 1 { print $1 }')"
step "ca admin add bob --super" S ca admin add bob@example.com cicd --super "${ADMIN[@]}"
BOB=(--admin-subject bob@example.com --admin-provisioner cicd --admin-password-file "$work/cicd.txt")
step "bob, a super admin, lists the admins" S ca admin list "${BOB[@]}"
step "ca admin update bob --super=false" S ca admin update bob@example.com --super=false "${ADMIN[@]}"
same "bob is an admin" "ADMIN" "$(S ca admin list "${ADMIN[@]}" 2>/dev/null |
	awk -F'\t+' '$1 == "bob@example.com" { print $3 }')"
step "ca admin remove bob" S ca admin remove bob@example.com "${ADMIN[@]}"

step "ca provisioner remove cicd" S ca provisioner remove cicd "${ADMIN[@]}"
same "$server no longer serves cicd" '["Admin JWK"]' "$(names)"
fails_with "cicd's tokens are refused" "provisioner" cert svc3.example.com

step "ca provisioner add acme --type ACME (remote)" S ca provisioner add acme --type ACME --require-eab \
	"${ADMIN[@]}"
same "$server serves acme" '["Admin JWK","acme"]' "$(names)"
if [ "$server" = step-ca ]; then
	# OSS step-ca 0.19 has no EAB keys: 501.
	fails_with "ca acme eab list: 501 from step-ca" "only available in Certificate Manager" \
		S ca acme eab list acme "${ADMIN[@]}"
else
	step "ca acme eab add" S ca acme eab add acme ref-1 "${ADMIN[@]}"
	step "ca acme eab list" S ca acme eab list acme "${ADMIN[@]}"
	same "the key is listed, with its reference last" 1 "$(grep -c ' ref-1 *$' "$work/out")"
fi

if [ "$fails" -ne 0 ]; then
	echo "admin-remote ($server): $fails step(s) failed"
	exit 1
fi
echo "admin-remote ($server): ok"
