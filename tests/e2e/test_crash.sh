#!/usr/bin/env bash
# Crash safety: stride-ca is killed with SIGKILL in the middle of a load of signs, mTLS renewals
# and mTLS revocations, three times, and restarted on the same directory. After each crash:
#   - every certificate a client received (201) is in the store, with the same serial and DER;
#   - a renewal's row names the certificate it renewed; every revocation answered 200 is stored;
#   - every token whose sign was answered is recorded as used and refused again with step's 401;
#   - a token whose request was in flight is either recorded (refused) or reusable (201, and that
#     certificate is fine and stored) -- the store decides which, and the server must agree;
#   - the database passes PRAGMA integrity_check, the server starts, signs and renews, and
#     stops cleanly at the end (no sanitizer report).
# Certificates of earlier cycles are checked again after every later crash.
#
# The tokens carry no iat claim: a token issued before a restart would otherwise be refused
# because it predates the CA's start ("token issued before the bootstrap"), which would hide
# whether a replay is refused because the store remembered the token.
source "$(dirname "$0")/lib.sh"

CLIENTS=8             # parallel clients: half sign only, half sign, renew and revoke
TOKENS_SIGN=36        # tokens of each client that only signs
TOKENS_MIXED=12       # tokens of each client that also renews and revokes
SIGN_RATE=10/s        # requests a second of each client that only signs
KILL_AFTER=(45 6 90)  # kill once this many responses of the cycle have arrived
GENERIC_401="The request lacked necessary authorization to be completed. Please see the certificate authority logs for more info."
REPLAY_LOG='token already used"' # the end of the error field of the request log (the audit
# lines carry the same message)
T0=$SECONDS

check "ca init" init_ca
check "stride-ca starts" start_ca
check "decrypt the provisioner key" provisioner_jwk "$WORK/prov.jwk"
ROOT="$STRIDEPATH/certs/root_ca.crt"
INTER="$STRIDEPATH/certs/intermediate_ca.crt"
DB=$(jq -r .db.dataSource "$STRIDEPATH/config/ca.json")
[[ -d $DB ]] && DB="$DB/stride.db"
HEADER=$(jq -nc --arg kid "$(provisioner_kid)" '{kid: $kid, typ: "JWT"}')
NOW=$(date +%s)

# sql QUERY...: runs SQL on the store, read-only (the server may be dead or running: WAL).
sql() { sqlite3 -bail "file:$DB?mode=ro" "$@"; }

# --- preparation (not timed) ---------------------------------------------------------------
# gen_tokens DIR CN PREFIX FIRST LAST: DIR/NNN.json, POST /sign bodies with one-time tokens
# (jti PREFIX-NNN) for CN and the CSR DIR/../csr.
gen_tokens() {
	local dir=$1 cn=$2 prefix=$3 head claims tok i n
	head=$(jq -c -n --rawfile csr "$dir/../csr" '{csr: $csr}')
	head=${head%\}}
	for ((i = $4; i <= $5; i++)); do
		printf -v n '%03d' "$i"
		claims="{\"aud\":\"$CA_URL/1.0/sign\",\"iss\":\"$PROVISIONER\",\"sub\":\"$cn\",\"sans\":[\"$cn\"],"
		claims+="\"nbf\":$NOW,\"exp\":$((NOW + 900)),\"jti\":\"$prefix-$n\"}"
		# (An ASan testtool is slow enough; its leak check would only add to that.)
		tok=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
			"$TESTTOOL" sign-jwt "$WORK/prov.jwk" "$HEADER" "$claims") || return 1
		printf '%s,"ott":"%s","notBefore":"","notAfter":""}' "$head" "$tok" >"$dir/$n.json"
	done
}

mkdir -p "$WORK/ctl/tok"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ctl/key" \
	-out "$WORK/ctl/csr" -subj /CN=ctl.example.com 2>/dev/null
gen_pids=()
gen_tokens "$WORK/ctl/tok" ctl.example.com ctl 1 6 &
gen_pids+=($!)
for ((c = 1; c <= CLIENTS; c++)); do
	d="$WORK/cl/$c"
	mkdir -p "$d/tok" "$d/res"
	: >"$d/log"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/key" \
		-out "$d/csr" -subj "/CN=c$c.example.com" 2>/dev/null
	gen_tokens "$d/tok" "c$c.example.com" "c$c" 1 $((c <= CLIENTS / 2 ? TOKENS_MIXED : TOKENS_SIGN)) &
	gen_pids+=($!)
	if ((${#gen_pids[@]} >= $(nproc))); then
		wait "${gen_pids[0]}"
		gen_pids=("${gen_pids[@]:1}")
	fi
done
wait "${gen_pids[@]}"
NTOK=$((CLIENTS * (TOKENS_MIXED + TOKENS_SIGN) / 2))
expect_eq "prepared $NTOK sign tokens and 6 control tokens in $((SECONDS - T0))s" "$((NTOK + 6))" \
	"$(find "$WORK/cl" "$WORK/ctl" -path '*/tok/*.json' | wc -l)"

# --- load ----------------------------------------------------------------------------------
# req DIR NAME KIND CURL-ARGS...: one request; the body goes to DIR/res/NAME.KIND.json,
# "HTTP-CODE CURL-EXIT" to DIR/res/NAME.KIND and a line to DIR/log. Returns curl's status.
req() {
	local d=$1 n=$2 k=$3 rc
	shift 3
	curl -s --max-time 60 -o "$d/res/$n.$k.json" -w '%{http_code}' --cacert "$ROOT" "$@" \
		>"$d/res/$n.$k.code"
	rc=$?
	echo "$(<"$d/res/$n.$k.code") $rc" >"$d/res/$n.$k"
	echo "$n $k $(<"$d/res/$n.$k") $SECONDS" >>"$d/log"
	CODE=$(<"$d/res/$n.$k.code")
	return $rc
}

# mixed_client C: for each of its tokens not tried yet, a sign, an mTLS renewal of the new
# certificate and, for the odd ones, an mTLS revocation of the renewal; a new curl (new TLS
# connection) for each request. Stops at the first transport error.
mixed_client() {
	local d="$WORK/cl/$1" f n s
	for f in "$d"/tok/*.json; do
		n=${f##*/}
		n=${n%.json}
		[[ -e $d/res/$n.sign ]] && continue
		req "$d" "$n" sign -X POST --data-binary @"$f" "$CA_URL/sign" || return 0
		[[ $CODE == 201 ]] || continue
		jq -r .crt "$d/res/$n.sign.json" >"$d/res/$n.sign.pem"
		req "$d" "$n" renew --cert "$d/res/$n.sign.pem" --key "$d/key" -X POST "$CA_URL/renew" ||
			return 0
		[[ $CODE == 201 ]] || continue
		jq -r .crt "$d/res/$n.renew.json" >"$d/res/$n.renew.pem"
		((10#$n % 2 == 1)) || continue
		s=$(openssl x509 -noout -serial -in "$d/res/$n.renew.pem")
		s=0x${s#serial=}
		echo "$s" >"$d/res/$n.revoke.serial"
		req "$d" "$n" revoke --cert "$d/res/$n.renew.pem" --key "$d/key" -X POST \
			--data-binary "{\"serial\":\"$s\",\"reasonCode\":5,\"reason\":\"crash test\",\"passive\":true}" \
			"$CA_URL/revoke" || return 0
	done
}

# sign_client C: one curl signing with each of its tokens not tried yet, back to back on one
# kept-alive connection at up to SIGN_RATE requests a second, so that the server is busy
# committing when it is killed. Stops at the first transport error (--fail-early). The status
# of each request is written (unbuffered, to stderr) to the log as it arrives.
sign_client() {
	local d="$WORK/cl/$1" f n
	: >"$d/cfg"
	for f in "$d"/tok/*.json; do
		n=${f##*/}
		n=${n%.json}
		[[ -e $d/res/$n.sign ]] && continue
		[[ -s $d/cfg ]] && echo next >>"$d/cfg"
		printf 'url = "%s/sign"\nrequest = "POST"\ndata-binary = "@%s"\noutput = "%s"\ncacert = "%s"\nmax-time = 60\nwrite-out = "%%{stderr}%s sign %%{http_code} %%{exitcode}\\n"\n' \
			"$CA_URL" "$f" "$d/res/$n.sign.json" "$ROOT" "$n" >>"$d/cfg"
	done
	[[ -s $d/cfg ]] || return 0
	curl -s --fail-early --rate "$SIGN_RATE" -K "$d/cfg" 2>>"$d/log"
	while read -r n _ code rc; do
		[[ -e $d/res/$n.sign ]] || echo "$code $rc" >"$d/res/$n.sign"
	done <"$d/log"
}

responses() { cat "$WORK"/cl/*/log | wc -l; }

# --- checks --------------------------------------------------------------------------------
# What the clients saw, cumulative over the cycles, as SQL for a scratch database:
#   resp(name, kind, serial, der, parent): every certificate received; kind sign, renew,
#     resign (an in-flight token used again after the restart) or control; parent: the
#     resp name of the certificate a renewal renewed
#   tok(jti, state): 'ok' (its sign was answered 201), 'open' (no answer: in flight at the
#     kill), 'used' (was open, the store had recorded it)
#   rev(serial): every revocation answered 200
: >"$WORK/client.sql"

# dec_serials: hex serials (one a line, colons or 0x allowed) to decimal.
dec_serials() {
	{
		echo "ibase=16"
		sed 's/^0x//' | tr -d ':' | tr a-f A-F
	} | BC_LINE_LENGTH=0 bc
}

# add_certs KIND JSON...: appends resp rows for the certificates (.crt) of these responses.
# A few processes for all of them: jq, openssl for the serials, awk to decode the DER.
add_certs() {
	local kind=$1 i=0 name parent
	local -a serials ders
	shift
	(($# > 0)) || return 0
	jq -r .crt "$@" >"$WORK/batch.pem"
	# stride's serials are 128-bit random, printed in hex.
	openssl storeutl -noout -text -certs "$WORK/batch.pem" |
		awk '/^ *Serial Number:$/ { getline; gsub(/ /, ""); print }' | dec_serials >"$WORK/batch.dec"
	mapfile -t serials <"$WORK/batch.dec"
	mapfile -t ders < <(jq -r '.crt | gsub("-----[A-Z ]+-----|\\s"; "")' "$@" | awk '
		BEGIN {
			b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			for (i = 0; i < 64; i++) v[substr(b, i + 1, 1)] = i
			hx = "0123456789abcdef"
		}
		{   # base64 to hex
			out = ""; acc = 0; bits = 0
			for (i = 1; i <= length($0); i++) {
				c = substr($0, i, 1)
				if (c == "=") break
				acc = acc * 64 + v[c]; bits += 6
				if (bits >= 8) {
					bits -= 8; byte = int(acc / 2 ^ bits); acc -= byte * 2 ^ bits
					out = out substr(hx, int(byte / 16) + 1, 1) substr(hx, byte % 16 + 1, 1)
				}
			}
			print out
		}')
	if ((${#serials[@]} != $# || ${#ders[@]} != $#)); then
		fail "read $# received $kind certificates (got ${#serials[@]} serials, ${#ders[@]} DER)"
		return 1
	fi
	for name in "$@"; do
		name=${name#"$WORK/"}
		parent=NULL
		[[ $kind == renew ]] && parent="'${name%.renew.json}.sign.json'"
		echo "INSERT INTO resp VALUES ('$name', '$kind', '${serials[i]}', x'${ders[i]}', $parent);"
		i=$((i + 1))
	done >>"$WORK/client.sql"
}

# scratch SQL: runs SQL on the client tables (in memory) with the store attached read-only as s.
scratch() {
	{
		echo "CREATE TABLE resp (name TEXT, kind TEXT, serial TEXT, der BLOB, parent TEXT);"
		echo "CREATE TABLE tok (jti TEXT PRIMARY KEY, state TEXT);"
		echo "CREATE TABLE rev (serial TEXT);"
		cat "$WORK/client.sql"
		echo "ATTACH 'file:$DB?mode=ro' AS s;"
		echo "$1"
	} | sqlite3 -bail :memory:
}

# expect_none DESCRIPTION SQL: the query on the scratch database returns no rows.
expect_none() {
	local out
	if out=$(scratch "$2" 2>&1) && [[ -z $out ]]; then
		pass "$1"
	else
		fail "$1: $(echo "$out" | head -n 5 | tr '\n' ' ')"
	fi
}

MISSING_CERTS="SELECT name FROM resp r WHERE NOT EXISTS (SELECT 1 FROM s.x509_certs c
	WHERE c.serial = r.serial AND c.der = r.der);"

# after_crash CYCLE: collects what the clients received in the last load, then checks the store
# as the dead server left it.
after_crash() {
	local cyc=$1 c n k code rc f sign_ok=0 renew_ok=0 revoke_ok=0 open_sign=0 open_other=0 bad=0
	local -a signs=() renews=()
	for ((c = 1; c <= CLIENTS; c++)); do
		while read -r n k code rc _; do
			f="$WORK/cl/$c/res/$n.$k"
			if ((rc != 0)); then
				if [[ $k == sign ]]; then
					open_sign=$((open_sign + 1))
					echo "INSERT INTO tok VALUES ('c$c-$n', 'open');"
				else
					open_other=$((open_other + 1))
				fi
				continue
			fi
			case "$k:$code" in
			sign:201)
				sign_ok=$((sign_ok + 1))
				signs+=("$f.json")
				echo "INSERT INTO tok VALUES ('c$c-$n', 'ok');"
				;;
			renew:201)
				renew_ok=$((renew_ok + 1))
				renews+=("$f.json")
				;;
			revoke:200)
				revoke_ok=$((revoke_ok + 1))
				echo "INSERT INTO rev VALUES ('$(dec_serials <"$f.serial")');"
				;;
			*)
				bad=$((bad + 1))
				fail "cycle $cyc: client $c $k $n answered $code: $(head -c 300 "$f.json")"
				;;
			esac
		done < <(tail -n +"$((LOG_BASE[c] + 1))" "$WORK/cl/$c/log") >>"$WORK/client.sql"
		LOG_BASE[c]=$(wc -l <"$WORK/cl/$c/log")
	done
	echo "# cycle $cyc: before the kill the clients received $sign_ok signs (201), $renew_ok" \
		"renewals (201) and $revoke_ok revocations (200); in flight at the kill:" \
		"$open_sign signs, $open_other renewals or revocations"
	TOTAL_OK=$((TOTAL_OK + sign_ok + renew_ok))
	((bad == 0)) && pass "cycle $cyc: every request answered before the kill succeeded"
	if ((sign_ok > 0)); then
		pass "cycle $cyc: certificates were issued before the kill"
	else
		fail "cycle $cyc: no certificate was issued before the kill"
	fi
	add_certs sign "${signs[@]}"
	add_certs renew "${renews[@]}"

	expect_eq "cycle $cyc: the crashed database passes integrity_check" ok \
		"$(sql 'PRAGMA integrity_check' 2>&1)"
	expect_none "cycle $cyc: every certificate received so far is in the store (same serial, same DER)" \
		"$MISSING_CERTS"
	expect_none "cycle $cyc: every renewal's row names the certificate it renewed" \
		"SELECT r.name FROM resp r JOIN resp p ON p.name = r.parent
		   JOIN s.x509_certs c ON c.serial = r.serial WHERE c.parent_serial IS NOT p.serial;"
	expect_none "cycle $cyc: every token answered so far is recorded as used" \
		"SELECT jti FROM tok WHERE state != 'open' AND jti NOT IN (SELECT key FROM s.used_ott);"
	expect_none "cycle $cyc: every revocation answered so far is in the store" \
		"SELECT serial FROM rev WHERE serial NOT IN (SELECT serial FROM s.revoked_x509_certs);"
	# What the store says about the tokens in flight decides what the server must answer.
	if ! scratch "SELECT jti, jti IN (SELECT key FROM s.used_ott) FROM tok WHERE state = 'open';" \
		>"$WORK/open.$cyc" 2>&1; then
		fail "cycle $cyc: query the tokens in flight: $(head -c 300 "$WORK/open.$cyc")"
		: >"$WORK/open.$cyc"
	fi
	echo "# cycle $cyc: of the tokens in flight, $(grep -c '|1$' "$WORK/open.$cyc") are recorded" \
		"as used, $(grep -c '|0$' "$WORK/open.$cyc") are not"
}

# replay_all CYCLE: after the restart, POSTs again every sign body whose token is used (must be
# refused as a replay) and every sign body of the last cycle's tokens in flight (refused when
# the store recorded the token, else signed). One curl process.
replay_all() {
	local cyc=$1 jti state c n f want replays=0 resigns=0 logged
	local -a pems=() jsons=()
	: >"$WORK/replay.cfg"
	: >"$WORK/replay.want"
	while IFS='|' read -r jti state; do
		c=${jti%%-*}
		c=${c#c}
		n=${jti#*-}
		f="$WORK/cl/$c/res/$n.replay$cyc"
		if [[ $state == 0 ]]; then
			want=201
			resigns=$((resigns + 1))
			echo "UPDATE tok SET state = 'ok' WHERE jti = '$jti';" >>"$WORK/client.sql"
		else
			want=401
			replays=$((replays + 1))
			[[ $state == 1 ]] && echo "UPDATE tok SET state = 'used' WHERE jti = '$jti';" >>"$WORK/client.sql"
		fi
		[[ -s $WORK/replay.cfg ]] && echo next >>"$WORK/replay.cfg"
		printf 'url = "%s/sign"\nrequest = "POST"\ndata-binary = "@%s"\noutput = "%s"\nwrite-out = "%%{http_code} %s\\n"\ncacert = "%s"\n' \
			"$CA_URL" "$WORK/cl/$c/tok/$n.json" "$f.json" "$f" "$ROOT" >>"$WORK/replay.cfg"
		echo "$want $f" >>"$WORK/replay.want"
	done < <(scratch "SELECT jti, state FROM tok WHERE state != 'open';" && cat "$WORK/open.$cyc")
	logged=$(grep '"msg":"request"' "$WORK/ca.log" | grep -c "$REPLAY_LOG")
	curl -s -K "$WORK/replay.cfg" >"$WORK/replay.got"
	if diff <(sort -k2 "$WORK/replay.want") <(sort -k2 "$WORK/replay.got") >"$WORK/replay.diff"; then
		pass "cycle $cyc: all $replays used tokens are refused, the $resigns not recorded are signed"
	else
		fail "cycle $cyc: the server answered replays unlike the store says (want/got): $(grep '^[<>]' "$WORK/replay.diff" | head -n 8 | tr '\n' ' ')"
	fi
	expect_eq "cycle $cyc: the refusals carry step's 401 message" "$replays $GENERIC_401" \
		"$(awk '$1 == 401 {print $2 ".json"}' "$WORK/replay.want" | xargs -r jq -r .message |
			sort | uniq -c | sed 's/^ *//')"
	expect_eq "cycle $cyc: the server logs them as 'token already used'" \
		"$replays" "$(($(grep '"msg":"request"' "$WORK/ca.log" | grep -c "$REPLAY_LOG") - logged))"
	# Certificates for in-flight tokens the store had not recorded: valid and stored.
	while read -r want f; do
		[[ $want == 201 ]] && jq -r .crt "$f.json" >"$f.pem" 2>/dev/null && pems+=("$f.pem") &&
			jsons+=("$f.json")
	done <"$WORK/replay.want"
	if ((${#pems[@]} > 0)); then
		check "cycle $cyc: the certificates for reused tokens verify" \
			openssl verify -CAfile "$ROOT" -untrusted "$INTER" "${pems[@]}"
		add_certs resign "${jsons[@]}"
		expect_none "cycle $cyc: and they are in the store" "$MISSING_CERTS"
	fi
}

# after_restart CYCLE: the restarted server signs, remembers tokens, certificates and
# revocations.
after_restart() {
	local cyc=$1 f last c
	expect_eq "cycle $cyc: no crash or sanitizer report in the server log" "" \
		"$(grep -m3 -E 'AddressSanitizer|LeakSanitizer|runtime error|SUMMARY:|Segmentation|"level":"error"' "$WORK/ca.log")"
	f="$WORK/ctl/tok/00$cyc"
	expect_eq "cycle $cyc: a fresh sign after the restart" 201 \
		"$(curl -s -o "$f.sign.json" -w '%{http_code}' --cacert "$ROOT" -X POST \
			--data-binary @"$f.json" "$CA_URL/sign")"
	jq -r .crt "$f.sign.json" >"$f.pem"
	check "cycle $cyc: it verifies" openssl verify -CAfile "$ROOT" -untrusted "$INTER" "$f.pem"
	add_certs control "$f.sign.json"
	replay_all "$cyc"
	# A renewal received before the kill that was never revoked renews again over mTLS.
	last=$(scratch "SELECT name FROM resp WHERE kind = 'renew'
	                AND CAST(substr(name, instr(name, '/res/') + 5, 3) AS INTEGER) % 2 = 0
	                ORDER BY rowid DESC LIMIT 1;")
	if [[ -n $last ]]; then
		c=${last#cl/}
		c=${c%%/*}
		expect_eq "cycle $cyc: a certificate received before the kill renews" 201 \
			"$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ROOT" --cert "$WORK/${last%.json}.pem" \
				--key "$WORK/cl/$c/key" -X POST "$CA_URL/renew")"
	fi
	# One revoked before the kill does not.
	last=$(grep -lx '200 0' "$WORK"/cl/*/res/*.revoke 2>/dev/null | tail -n 1)
	if [[ -n $last ]]; then
		c=${last#"$WORK/cl/"}
		c=${c%%/*}
		expect_eq "cycle $cyc: a certificate revoked before the kill is refused" 401 \
			"$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ROOT" \
				--cert "${last%.revoke}.renew.pem" --key "$WORK/cl/$c/key" -X POST "$CA_URL/renew")"
	fi
}

# --- the cycles: load, SIGKILL, check the store, restart, check the server ----------------
declare -a LOG_BASE
for ((c = 1; c <= CLIENTS; c++)); do LOG_BASE[c]=0; done
TOTAL_OK=0
for cyc in 1 2 3; do
	t=$SECONDS
	base=$(responses)
	target=$((base + KILL_AFTER[cyc - 1]))
	pids=()
	for ((c = 1; c <= CLIENTS; c++)); do
		if ((c <= CLIENTS / 2)); then
			mixed_client "$c" &
		else
			sign_client "$c" &
		fi
		pids+=($!)
	done
	while (($(responses) < target)); do
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		((alive)) || break
		sleep 0.02
	done
	{ # (bash reports the killed job on stderr wherever it reaps it)
		kill -KILL "$CA_PID"
		at_kill=$(($(responses) - base))
		wait "$CA_PID"
		rc=$?
	} 2>/dev/null
	CA_PID=""
	expect_eq "cycle $cyc: stride-ca killed with SIGKILL after $at_kill responses" 137 "$rc"
	wait "${pids[@]}"
	echo "# cycle $cyc: the load ran $((SECONDS - t))s, $(($(responses) - base)) responses in all"
	t=$SECONDS
	after_crash "$cyc"
	check "cycle $cyc: stride-ca restarts on the crashed directory" start_ca
	[[ -n $CA_PID ]] || break
	after_restart "$cyc"
	echo "# cycle $cyc: the checks took $((SECONDS - t))s"
done

# --- the end -------------------------------------------------------------------------------
stop_ca
expect_eq "the database passes integrity_check after a clean stop" ok "$(sql 'PRAGMA integrity_check' 2>&1)"
expect_none "every certificate received in the test is in the store" "$MISSING_CERTS"
echo "# $TOTAL_OK certificates received during the loads; in the store: $(sql 'SELECT count(*) FROM x509_certs')" \
	"certificates, $(sql 'SELECT count(*) FROM used_ott') used tokens," \
	"$(sql 'SELECT count(*) FROM revoked_x509_certs') revocations; $((SECONDS - T0))s in all"
finish
