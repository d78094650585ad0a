#!/usr/bin/env bash
# Remote administration of a running CA (authority.enableAdmin): provisioners and admins
# changed through the admin API take effect at once, without a restart.
#
# On SQLite: `stride ca init --remote-management` stores the provisioner and the super admin in
# the new database; one stride-ca. On PostgreSQL (STRIDE_TEST_DB=postgresql): a CA made without
# remote management gets enableAdmin and a PostgreSQL database, so that the first start imports
# ca.json's provisioners (newest step-ca's behaviour); two stride-ca share the database, and
# what is changed at one is used at the other.
#
# The flow: a JWK provisioner added remotely at A issues at B; its claims updated at A apply at
# B; removed at A, its tokens are refused at B; an admin added, listed, promoted and removed;
# a non-super admin refused for admin changes but allowed to manage provisioners; expired,
# foreign, replayed and Bearer-prefixed admin tokens refused with step-ca's answers; without
# enableAdmin, /admin answers step-ca's 404 and `ca provisioner add` edits ca.json instead.
source "$(dirname "$0")/lib.sh"

ROOT="$STRIDEPATH/certs/root_ca.crt"
ADMIN=(--admin-subject step --admin-provisioner "$PROVISIONER"
	--admin-password-file "$WORK/prov-password")
URL_B=""
PID_B=""

stop_b() {
	local rc
	[[ -n $PID_B ]] || return 0
	kill -TERM "$PID_B" 2>/dev/null
	wait "$PID_B" 2>/dev/null
	rc=$?
	PID_B=""
	((rc == 0)) || fail "the second stride-ca exited with status $rc"
}
trap 'stop_b; cleanup' EXIT

# --- the CA --------------------------------------------------------------------------------------
if [[ $STRIDE_TEST_DB == postgresql ]]; then
	check "ca init" init_ca
	check "enableAdmin on" edit_ca_json '.authority.enableAdmin = true'
else
	check "ca init --remote-management" init_ca --remote-management
	expect_contains "init names the admin provisioner" "✔ Admin provisioner: $PROVISIONER (JWK)" \
		"$(cat "$WORK/init.err" "$WORK/init.out")"
	expect_contains "init names the super admin" "✔ Super admin subject: step" \
		"$(cat "$WORK/init.err" "$WORK/init.out")"
	expect_eq "ca.json has enableAdmin and no provisioners" "true 0" \
		"$(jq -r '"\(.authority.enableAdmin) \(.authority.provisioners // [] | length)"' \
			"$STRIDEPATH/config/ca.json")"
fi
check "stride-ca starts" start_ca
if [[ $STRIDE_TEST_DB == postgresql ]]; then
	expect_contains "the first start imports ca.json's provisioners" \
		"provisioners of ca.json were imported" "$(cat "$WORK/ca.log")"
	p=$(free_port)
	URL_B="https://127.0.0.1:$p"
	jq --tab --arg a "127.0.0.1:$p" '.address = $a' "$STRIDEPATH/config/ca.json" \
		>"$STRIDEPATH/config/ca-b.json"
	"$STRIDE_CA_BIN" --password-file "$WORK/password" "$STRIDEPATH/config/ca-b.json" \
		>>"$WORK/ca-b.log" 2>&1 &
	PID_B=$!
	for _ in $(seq 1 100); do
		curl -s --cacert "$ROOT" "$URL_B/health" >/dev/null 2>&1 && break
		sleep 0.1
	done
	expect_eq "a second instance on the same database" ok \
		"$(curl -s --cacert "$ROOT" "$URL_B/health" | jq -r .status)"
	expect_eq "the second instance imported nothing" "" \
		"$(grep 'were imported' "$WORK/ca-b.log")"
else
	URL_B=$CA_URL
fi

# /admin without credentials: 401, so that clients choose remote mode
expect_eq "GET /admin/admins without a token" \
	'{"type":"unauthorized","detail":"unauthorized","message":"missing authorization header token"}' \
	"$(curl_ca /admin/admins | jq -c .)"
expect_eq "its status" 401 "$(cat "$WORK/status")"

# --- a provisioner added at A issues at B ---------------------------------------------------------
printf 'team-password\n' >"$WORK/team-password"
check "ca provisioner add team (remote)" timeout 60 "$STRIDE_BIN" ca provisioner add team \
	--type JWK --create --password-file "$WORK/team-password" --ca-url "$CA_URL" "${ADMIN[@]}"
expect_eq "remote add prints nothing" "" "$(cat "$WORK/last.out")"
expect_eq "ca.json is not touched" "" \
	"$(jq -r '.authority.provisioners // [] | map(select(.name == "team")) | .[].name' \
		"$STRIDEPATH/config/ca.json")"
# B lists it within a second or so (it reads the state version every second)
listed=""
for _ in $(seq 1 30); do
	listed=$(curl -s --cacert "$ROOT" "$URL_B/provisioners" |
		jq -r '.provisioners[] | select(.name == "team") | .type')
	[[ -n $listed ]] && break
	sleep 0.2
done
expect_eq "B lists team" "JWK" "$listed"
check "a certificate from team at B" timeout 60 "$STRIDE_BIN" ca certificate svc.example.com \
	"$WORK/svc.crt" "$WORK/svc.key" --provisioner team \
	--provisioner-password-file "$WORK/team-password" --ca-url "$URL_B" -f
expect_contains "issued by team" "team" \
	"$(openssl x509 -in "$WORK/svc.crt" -noout -text 2>/dev/null | grep -A1 '1.3.6.1.4.1.37476.9000.64.1')"

# lifetime of a certificate in seconds
lifetime() {
	local nb na
	nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
	echo $((na - nb))
}

# --- its claims updated at A apply at B -----------------------------------------------------------
check "ca provisioner update team --x509-default-dur 2h" timeout 60 "$STRIDE_BIN" ca provisioner \
	update team --x509-default-dur 2h --ca-url "$CA_URL" "${ADMIN[@]}"
# B follows within a second (it reads the state version every second)
got=""
for _ in $(seq 1 30); do
	timeout 60 "$STRIDE_BIN" ca certificate svc2.example.com "$WORK/svc2.crt" "$WORK/svc2.key" \
		--provisioner team --provisioner-password-file "$WORK/team-password" \
		--ca-url "$URL_B" -f >/dev/null 2>&1 || break
	got=$(lifetime "$WORK/svc2.crt")
	[[ $got == 7260 ]] && break
	sleep 0.2
done
expect_eq "B issues for 2h (+1m backdate)" 7260 "$got"

# --- removed at A: its tokens are refused at B ----------------------------------------------------
check "a token of team" timeout 60 "$STRIDE_BIN" ca token gone.example.com --provisioner team \
	--provisioner-password-file "$WORK/team-password" --ca-url "$CA_URL"
TOKEN=$(cat "$WORK/last.out")
new_csr gone gone.example.com
check "ca provisioner remove team" timeout 60 "$STRIDE_BIN" ca provisioner remove team \
	--ca-url "$CA_URL" "${ADMIN[@]}"
status=""
for _ in $(seq 1 30); do
	status=$(curl -s -o "$WORK/body" -w '%{http_code}' --cacert "$ROOT" \
		--data-binary "$(sign_body "$WORK/gone.csr" "$TOKEN")" "$URL_B/1.0/sign")
	[[ $status == 401 ]] && break
	sleep 0.2
done
expect_eq "B refuses team's token" 401 "$status"
expect_eq "removing it again" "provisioner team not found" \
	"$(timeout 60 "$STRIDE_BIN" ca provisioner remove team --ca-url "$CA_URL" "${ADMIN[@]}" 2>&1 |
		grep -o 'provisioner team not found' | head -1)"

# --- admins ----------------------------------------------------------------------------------------
norm() { tr -s '\t ' ' ' | sed 's/ *$//'; }
check "ca admin add alice" timeout 60 "$STRIDE_BIN" ca admin add alice@example.com "$PROVISIONER" \
	--ca-url "$URL_B" "${ADMIN[@]}"
expect_eq "its table" "SUBJECT PROVISIONER TYPE
alice@example.com $PROVISIONER (JWK) ADMIN" "$(norm <"$WORK/last.out")"
check "ca admin list" timeout 60 "$STRIDE_BIN" ca admin list --ca-url "$CA_URL" "${ADMIN[@]}"
expect_eq "both admins" "SUBJECT PROVISIONER TYPE
alice@example.com $PROVISIONER (JWK) ADMIN
step $PROVISIONER (JWK) SUPER_ADMIN" "$( (head -1 "$WORK/last.out"; tail -n +2 "$WORK/last.out" | sort) | norm)"

ALICE=(--admin-subject alice@example.com --admin-provisioner "$PROVISIONER"
	--admin-password-file "$WORK/prov-password")
check_fails "alice (ADMIN) cannot add an admin" timeout 60 "$STRIDE_BIN" ca admin add \
	bob@example.com "$PROVISIONER" --ca-url "$CA_URL" "${ALICE[@]}"
expect_contains "with step-ca's message" "must have super admin access to make this request" \
	"$(cat "$WORK/last.err")"
check "alice can add a provisioner" timeout 60 "$STRIDE_BIN" ca provisioner add alices \
	--type JWK --create --password-file "$WORK/team-password" --ca-url "$CA_URL" "${ALICE[@]}"
check "and remove it" timeout 60 "$STRIDE_BIN" ca provisioner remove alices --ca-url "$CA_URL" \
	"${ALICE[@]}"
check "ca admin update alice --super" timeout 60 "$STRIDE_BIN" ca admin update alice@example.com \
	--super --ca-url "$CA_URL" "${ADMIN[@]}"
expect_contains "alice is a super admin" "SUPER_ADMIN" "$(norm <"$WORK/last.out")"
check "ca admin remove alice" timeout 60 "$STRIDE_BIN" ca admin remove alice@example.com \
	--ca-url "$URL_B" "${ADMIN[@]}"
check "ca admin list" timeout 60 "$STRIDE_BIN" ca admin list --ca-url "$CA_URL" "${ADMIN[@]}"
expect_eq "step alone" "SUBJECT PROVISIONER TYPE
step $PROVISIONER (JWK) SUPER_ADMIN" "$(norm <"$WORK/last.out")"

# --- admin tokens the API refuses ------------------------------------------------------------------
check "an admin certificate for step" timeout 60 "$STRIDE_BIN" ca certificate step \
	"$WORK/step.crt" "$WORK/step.key" --provisioner "$PROVISIONER" \
	--provisioner-password-file "$WORK/prov-password" -f
# admin_token CERT KEY AUD_PATH [EXP_OFFSET]: an admin token as step's client makes one.
admin_token() {
	local x5c now header payload
	x5c=$(openssl x509 -in "$1" -outform DER | base64 -w0)
	now=$(date +%s)
	header=$(jq -nc --arg x "$x5c" '{typ: "JWT", x5c: [$x]}')
	payload=$(jq -nc --arg aud "https://localhost${3}" --argjson now "$now" \
		--argjson exp "$((now + ${4:-300}))" --arg jti "$(openssl rand -hex 32)" \
		'{iss: "step-admin-client/1.0", sub: "step", aud: $aud, iat: $now, nbf: $now,
		  exp: $exp, jti: $jti}')
	"$TESTTOOL" sign-jwt "$2" "$header" "$payload"
}
# admin_get TOKEN PATH [CURL_ARGS]: "<status> <message>" of GET PATH with that Authorization.
admin_get() {
	local status
	status=$(curl -s -o "$WORK/body" -w '%{http_code}' --cacert "$ROOT" \
		-H "Authorization: $1" "${@:3}" "$CA_URL$2")
	echo "$status $(jq -r '.message // empty' "$WORK/body" 2>/dev/null)"
}
GOOD=$(admin_token "$WORK/step.crt" "$WORK/step.key" /admin/admins)
expect_eq "a good admin token" "200 " "$(admin_get "$GOOD" /admin/admins)"
expect_contains "the same token again" "401 " "$(admin_get "$GOOD" /admin/admins)"
expect_contains "... is a replay" "reuse token" "$(admin_get "$GOOD" /admin/admins)"
expect_contains "Bearer-prefixed" "401 " \
	"$(admin_get "Bearer $(admin_token "$WORK/step.crt" "$WORK/step.key" /admin/admins)" /admin/admins)"
expect_contains "expired (exp 2 minutes ago)" "401 " \
	"$(admin_get "$(admin_token "$WORK/step.crt" "$WORK/step.key" /admin/admins -120)" /admin/admins)"
expect_contains "for another path (aud)" "401 " \
	"$(admin_get "$(admin_token "$WORK/step.crt" "$WORK/step.key" /admin/provisioners)" /admin/admins)"
# a certificate of another CA, with the same subject
OTHER=(env STRIDEPATH="$WORK/other")
{ "${OTHER[@]}" "$STRIDE_BIN" ca init --name Other --dns localhost --address 127.0.0.1:1 \
	--provisioner "$PROVISIONER" --password-file "$WORK/password" \
	--provisioner-password-file "$WORK/prov-password" >/dev/null 2>&1 &&
	"${OTHER[@]}" "$STRIDE_BIN" ca certificate step "$WORK/foreign.crt" "$WORK/foreign.key" \
		--offline --provisioner "$PROVISIONER" --provisioner-password-file "$WORK/prov-password" \
		--password-file "$WORK/password" -f >/dev/null 2>&1; } || fail "a foreign CA's certificate"
expect_contains "a foreign CA's certificate" "401 " \
	"$(admin_get "$(admin_token "$WORK/foreign.crt" "$WORK/foreign.key" /admin/admins)" /admin/admins)"
expect_contains "... says why" "x5c" \
	"$(admin_get "$(admin_token "$WORK/foreign.crt" "$WORK/foreign.key" /admin/admins)" /admin/admins)"

# --- no remote administration: step-ca's 404, and ca.json is edited -------------------------------
stop_b
stop_ca
check "enableAdmin off" edit_ca_json '.authority.enableAdmin = false'
check "stride-ca starts" start_ca
curl_ca /admin/admins >"$WORK/404.txt"
expect_eq "/admin/admins answers 404 page not found" "404 404 page not found" \
	"$(cat "$WORK/status") $(cat "$WORK/404.txt")"
check "ca provisioner add local (edits ca.json)" timeout 60 "$STRIDE_BIN" ca provisioner add \
	local-team --type JWK --create --password-file "$WORK/team-password" --ca-url "$CA_URL"
expect_contains "says it edited ca.json" "✔ CA Configuration: $STRIDEPATH/config/ca.json" \
	"$(cat "$WORK/last.err" "$WORK/last.out")"
expect_eq "ca.json has it" "JWK" \
	"$(jq -r '.authority.provisioners[] | select(.name == "local-team") | .type' \
		"$STRIDEPATH/config/ca.json")"

# --- no JWK provisioner to hold the first super admin: step-ca's "Admin JWK" -----------------------
if [[ $STRIDE_TEST_DB != postgresql ]]; then
	stop_ca
	mkdir -p "$WORK/db-adminjwk"
	check "ca.json: enableAdmin, an ACME provisioner only, an empty database" edit_ca_json \
		--arg d "$WORK/db-adminjwk" '.authority.enableAdmin = true | .db.dataSource = $d |
			.authority.provisioners = [{"type": "ACME", "name": "acme"}]'
	check "stride-ca starts" start_ca
	expect_contains "it says it made Admin JWK" 'created the provisioner \"Admin JWK\"' \
		"$(cat "$WORK/ca.log")"
	expect_eq "/provisioners: acme and Admin JWK" '["ACME acme","JWK Admin JWK"]' \
		"$(curl_ca /provisioners | jq -c '[.provisioners[] | "\(.type) \(.name)"] | sort')"
	expect_eq "Admin JWK makes five-minute certificates" '{"defaultTLSCertDuration":"5m"}' \
		"$(curl_ca /provisioners | jq -c '.provisioners[] | select(.name == "Admin JWK") | .claims')"
	JWK_ADMIN=(--admin-subject step --admin-provisioner "Admin JWK" --admin-password-file "$WORK/password")
	check "ca admin list, logged in through Admin JWK with the CA password" \
		timeout 60 "$STRIDE_BIN" ca admin list "${JWK_ADMIN[@]}" --ca-url "$CA_URL"
	expect_eq "step is its super admin" $'SUBJECT\tPROVISIONER\tTYPE\nstep\tAdmin JWK (JWK)\tSUPER_ADMIN' \
		"$(cat "$WORK/last.out")"
fi

stop_ca
finish
