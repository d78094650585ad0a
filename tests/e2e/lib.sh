# lib.sh - shared helpers for the end-to-end tests (sourced, not run).
#
# Each test gets a scratch directory, a fresh CA under $STRIDEPATH, and a
# stride-ca on a free loopback port. Assertions count passes and failures;
# `finish` prints "N passed, N failed" and sets the exit status.
#
# STRIDE_TEST_DB=postgresql runs a test on PostgreSQL: the first init_ca starts a throwaway
# cluster (tests/pg/cluster.sh, or PG_CLUSTER) that the exit trap stops, and every CA
# init_ca creates gets a fresh database of it as its "db". db_sql queries whichever store the
# CA has.

set -uo pipefail

: "${STRIDE_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${STRIDE_BIN:=$STRIDE_SRC/build/stride}"
: "${STRIDE_CA_BIN:=$STRIDE_SRC/build/stride-ca}"
: "${TESTTOOL:=$STRIDE_SRC/build/testtool}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stride-e2e.XXXXXX")
export STRIDEPATH="$WORK/stride"
export HOME="$WORK/home"
mkdir -p "$HOME"
PASSED=0
FAILED=0
CA_PID=""
PORT=""
CA_URL=""
PROVISIONER="admin@example.com"
: "${STRIDE_TEST_DB:=sqlite}"
: "${PG_CLUSTER:=$STRIDE_SRC/tests/pg/cluster.sh}"
PG_DIR=""
PG_URL=""
PG_DBS=0

cleanup() {
	local failed_before=$FAILED
	stop_ca
	pg_stop
	if ((FAILED == 0)) && [[ -z ${KEEP_WORK:-} ]]; then
		rm -rf "$WORK"
	else
		echo "work directory kept: $WORK" >&2
	fi
	# A server that failed at exit (after finish) still fails the test.
	((FAILED == failed_before)) || exit 1
}
trap cleanup EXIT

pass() {
	PASSED=$((PASSED + 1))
	echo "ok - $1"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL - $1" >&2
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local what=$1
	shift
	if "$@" >"$WORK/last.out" 2>"$WORK/last.err"; then
		pass "$what"
	else
		fail "$what (exit $?): $(head -c 600 "$WORK/last.err")"
	fi
}

# check_fails DESCRIPTION COMMAND...: passes when the command fails (non-zero, not a crash).
check_fails() {
	local what=$1 rc
	shift
	"$@" >"$WORK/last.out" 2>"$WORK/last.err"
	rc=$?
	if ((rc != 0 && rc < 128)); then
		pass "$what"
	else
		fail "$what (exit $rc): $(head -c 600 "$WORK/last.err")"
	fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [[ "$2" == "$3" ]]; then
		pass "$1"
	else
		fail "$1: expected [$2], got [$3]"
	fi
}

# expect_contains DESCRIPTION NEEDLE HAYSTACK
expect_contains() {
	if [[ "$3" == *"$2"* ]]; then
		pass "$1"
	else
		fail "$1: [$2] not found in [$(echo "$3" | head -c 600)]"
	fi
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	((FAILED == 0))
}

# shellcheck source=scripts/free-port.sh
. "$STRIDE_SRC/scripts/free-port.sh"

# init_ca [extra ca init flags...]: a CA in $STRIDEPATH listening on a free port.
# INIT_WRAPPER (e.g. "faketime -f -3d") runs init under another command.
init_ca() {
	PORT=$(free_port)
	CA_URL="https://localhost:$PORT"
	printf 'ca-password\n' >"$WORK/password"
	printf 'prov-password\n' >"$WORK/prov-password"
	${INIT_WRAPPER:-} "$STRIDE_BIN" ca init --name "Stride Test" --dns localhost --dns 127.0.0.1 \
		--address "127.0.0.1:$PORT" --provisioner "$PROVISIONER" \
		--password-file "$WORK/password" \
		--provisioner-password-file "$WORK/prov-password" "$@" \
		>"$WORK/init.out" 2>"$WORK/init.err" || return
	if [[ $STRIDE_TEST_DB == postgresql ]]; then
		pg_new_db || return
		jq --tab --arg url "$PG_URL" --arg db "$PG_DB" \
			'.db = {type: "postgresql", dataSource: $url, database: $db}' \
			"$STRIDEPATH/config/ca.json" >"$WORK/ca.json.new" &&
			mv "$WORK/ca.json.new" "$STRIDEPATH/config/ca.json"
	fi
}

# pg_start: the throwaway PostgreSQL cluster of this run (once): PG_DIR, PG_URL (the server's
# URL, no database). The cluster lives outside WORK (mode 0700) so the postgres user reaches
# it.
pg_start() {
	[[ -n $PG_URL ]] && return 0
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/stride-e2e-pg.XXXXXX") || return 1
	chmod 755 "$PG_DIR"
	if ! PG_URL=$(timeout 60 "$PG_CLUSTER" start "$PG_DIR/cluster" 2>"$WORK/pg-start.err"); then
		echo "cannot start PostgreSQL: $(tail -n 5 "$WORK/pg-start.err")" >&2
		PG_URL=""
		return 1
	fi
	PG_URL=$(echo "$PG_URL" | tail -n 1)
}

# pg_stop: stops the cluster (cluster.sh stop, by the PID it wrote; if that fails, SIGQUIT to
# that PID: immediate shutdown) and deletes it.
pg_stop() {
	local pid
	[[ -n $PG_DIR ]] || return 0
	pid=$("$PG_CLUSTER" pid "$PG_DIR/cluster" 2>/dev/null)
	if ! timeout 70 "$PG_CLUSTER" stop "$PG_DIR/cluster" >/dev/null 2>&1 &&
		[[ $pid =~ ^[0-9]+$ ]]; then
		kill -QUIT "$pid" 2>/dev/null
	fi
	if ((FAILED == 0)) && [[ -z ${KEEP_WORK:-} ]]; then
		rm -rf "$PG_DIR"
	else
		echo "PostgreSQL cluster kept: $PG_DIR" >&2
	fi
	PG_DIR=""
	PG_URL=""
}

# pg_psql DATABASE [psql args...]: psql on a database of the cluster, unaligned, no headers,
# stopping at the first error.
pg_psql() {
	local db=$1
	shift
	PGDATABASE=$db PGCONNECT_TIMEOUT=10 timeout 60 psql "$PG_URL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# pg_new_db: a new, empty database on the cluster (started on first use); its name in PG_DB.
pg_new_db() {
	pg_start || return 1
	PG_DBS=$((PG_DBS + 1))
	PG_DB="stride_e2e_$PG_DBS"
	pg_psql postgres -c "CREATE DATABASE $PG_DB" >/dev/null
}

# db_sql SQL: runs SQL on the store of the CA in $STRIDEPATH (sqlite3 on its file, psql on
# PostgreSQL) and prints the rows, columns separated by '|'.
db_sql() {
	local type source database
	{
		read -r type
		read -r source
		read -r database
	} < <(jq -r '.db.type, .db.dataSource, (.db.database // "")' "$STRIDEPATH/config/ca.json")
	case $type in
	postgresql | postgres)
		PGDATABASE=$database PGCONNECT_TIMEOUT=10 timeout 60 \
			psql "$source" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
		;;
	*) sqlite3 "$source" "$1" ;;
	esac
}

# db_int EXPR: EXPR as SQL that reads as an integer in db_sql's output (a PostgreSQL boolean
# prints as t/f, SQLite's as 1/0).
db_int() {
	case $(jq -r '.db.type' "$STRIDEPATH/config/ca.json") in
	postgresql | postgres) echo "($1)::int" ;;
	*) echo "$1" ;;
	esac
}

# faketime works by LD_PRELOAD, which AddressSanitizer must be told to accept.
FAKETIME="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime"

# init_ca_in_past: init_ca "three days ago", so that certificates issued in the past (with
# $FAKETIME) chain to the CA.
init_ca_in_past() {
	if command -v faketime >/dev/null; then
		INIT_WRAPPER="$FAKETIME -f -3d" init_ca && pass "ca init (three days ago)" || fail "ca init"
	else
		check "ca init" init_ca
	fi
}

# cert NAME [extra flags]: NAME.crt / NAME.key for NAME.example.com in the current directory,
# from the first provisioner.
cert() {
	local name=$1
	shift
	"$STRIDE_BIN" ca certificate "$name.example.com" "$name.crt" "$name.key" \
		--provisioner-password-file "$WORK/prov-password" -f "$@" >/dev/null 2>&1
}

# edit_ca_json JQ_FILTER: rewrites ca.json with jq (tab indented like init writes it).
edit_ca_json() {
	local f="$STRIDEPATH/config/ca.json"
	jq --tab "$@" "$f" >"$f.new" && mv "$f.new" "$f"
}

# start_ca: starts stride-ca in the background and waits until /health answers.
start_ca() {
	"$STRIDE_CA_BIN" --password-file "$WORK/password" "$STRIDEPATH/config/ca.json" \
		>>"$WORK/ca.log" 2>&1 &
	CA_PID=$!
	for _ in $(seq 1 100); do
		if curl -s --cacert "$STRIDEPATH/certs/root_ca.crt" "$CA_URL/health" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$CA_PID" 2>/dev/null; then
			echo "stride-ca exited early:" >&2
			tail -n 20 "$WORK/ca.log" >&2
			CA_PID=""
			return 1
		fi
		sleep 0.1
	done
	echo "stride-ca did not become healthy" >&2
	return 1
}

# reload_ca: SIGHUP, then waits (bounded) for the reload's outcome line in the log (a new
# "configuration reloaded" or "reload refused").
reload_ca() {
	local before after
	before=$(grep -c -E '"msg":"(configuration reloaded|reload refused)' "$WORK/ca.log")
	kill -HUP "$CA_PID"
	for _ in $(seq 1 100); do
		after=$(grep -c -E '"msg":"(configuration reloaded|reload refused)' "$WORK/ca.log")
		((after > before)) && return 0
		sleep 0.05
	done
	return 1
}

# stop_ca: SIGTERM, then the exit status must be 0: a crash, a sanitizer report or a leak
# at exit (ASan builds) fails the test.
stop_ca() {
	local rc
	if [[ -n $CA_PID ]]; then
		kill -TERM "$CA_PID" 2>/dev/null
		wait "$CA_PID" 2>/dev/null
		rc=$?
		CA_PID=""
		if ((rc != 0)); then
			fail "stride-ca exited with status $rc: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$WORK/ca.log")"
		fi
	fi
}

root_fingerprint() {
	openssl x509 -in "$STRIDEPATH/certs/root_ca.crt" -outform DER | sha256sum | cut -d' ' -f1
}

# curl_ca [curl args...] PATH: HTTPS to the CA trusting its root; prints the body and
# leaves the status code in $WORK/status.
curl_ca() {
	local path=${*: -1}
	local args=("${@:1:$#-1}")
	curl -s -o "$WORK/body" -w '%{http_code}' --cacert "$STRIDEPATH/certs/root_ca.crt" \
		"${args[@]}" "$CA_URL$path" >"$WORK/status"
	cat "$WORK/body"
}

# provisioner_jwk FILE: the decrypted private JWK of the first provisioner.
provisioner_jwk() {
	jq -r '.authority.provisioners[0].encryptedKey' "$STRIDEPATH/config/ca.json" |
		"$TESTTOOL" jwe-decrypt "$WORK/prov-password" >"$1"
}

provisioner_kid() {
	jq -r '.authority.provisioners[0].key.kid' "$STRIDEPATH/config/ca.json"
}

# forge_token JWK_FILE PAYLOAD_JSON [HEADER_JSON]: a token with exactly these claims.
forge_token() {
	local header=${3:-}
	if [[ -z $header ]]; then
		header=$(jq -nc --arg kid "$(provisioner_kid)" '{kid: $kid, typ: "JWT"}')
	fi
	"$TESTTOOL" sign-jwt "$1" "$header" "$2"
}

# new_csr NAME CN [openssl req args...]: a P-256 key NAME.key and a CSR NAME.csr.
new_csr() {
	local name=$1 cn=$2
	shift 2
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$WORK/$name.key" -out "$WORK/$name.csr" -subj "/CN=$cn" "$@" 2>/dev/null
}

# sign_body CSR_FILE TOKEN: the JSON body of POST /sign.
sign_body() {
	jq -n --rawfile csr "$1" --arg ott "$2" '{csr: $csr, ott: $ott, notBefore: "", notAfter: ""}'
}

# jwt_payload TOKEN: the decoded claims of a JWT.
jwt_payload() {
	local s
	s=$(echo "$1" | cut -d. -f2)
	s=${s//-/+}
	s=${s//_//}
	while ((${#s} % 4)); do s+="="; done
	echo "$s" | base64 -d
}
