# shellcheck shell=bash
# shellcheck disable=SC2034 # ACME_DIR, ROOT, CLIENT_TIMEOUT, ... are for the sourcing test
# acme_lib.sh - what the ACME client tests (test_acme_*.sh) share; sourced after lib.sh.
#
# acme_start makes a CA with an ACME provisioner "acme", a DNS server for the zone "test."
# (tests/acme/knot.sh: every *.test name is 127.0.0.1, TXT records added by RFC 2136) and
# starts stride-ca with --resolver pointing at it and the http-01 / tls-alpn-01 checks on free
# ports the clients listen on. With STRIDE_TEST_DB=postgresql there are two stride-ca on one
# database behind HAProxy (TLS terminated with a certificate of the test CA, re-encrypted to the
# instances, balance roundrobin: consecutive requests go to alternate instances).
#
# ACME_CA_EDIT (a jq filter), when set, is applied to ca.json before the servers start.
#
# After acme_start: ACME_DIR (the directory URL), ROOT (the root to trust), DNS_DIR/DNS_PORT,
# HTTP_PORT (where http-01 answers are fetched), TLS_PORT (tls-alpn-01).
#
# STEPCA_BIN=/path/to/step-ca (0.19, scripts/interop/build-stepca.sh) runs the same script
# against step-ca instead, on the same tree with a badger database: step-ca 0.19 checks http-01
# and tls-alpn-01 on ports 80 and 443 (run as root), and the store checks are skipped. Not in
# `make test`: step-ca's known differences (a failed challenge stays pending) fail there.

ACME_PROV=acme
KNOT="$STRIDE_SRC/tests/acme/knot.sh"
DNS_DIR="$WORK/dns"
DNS_PORT=""
HTTP_PORT=""
TLS_PORT=""
ACME_DIR=""
ROOT="$STRIDEPATH/certs/root_ca.crt"
SERVER=()   # the server's command line without its ca.json
CA1_PID=""  # the second instance (PostgreSQL)
LB_PID=""   # HAProxy (PostgreSQL)
LB_PORT=""
BG_PIDS=() # other processes a test started (acme_bg)
# One client run at most: a client still polling after this is killed (exit status 124).
CLIENT_TIMEOUT=60

# acme_cleanup: the exit trap: stops what acme_start and acme_bg started, then lib.sh's
# cleanup. A failure found here (an instance exiting non-zero) fails the test.
acme_cleanup() {
	local before=$FAILED p
	for p in "${BG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
	if [[ -n $LB_PID ]]; then
		kill -TERM "$LB_PID" 2>/dev/null
		wait "$LB_PID" 2>/dev/null
		LB_PID=""
	fi
	stop_ca1
	[[ -e $DNS_DIR/pid ]] && "$KNOT" stop "$DNS_DIR"
	cleanup
	((FAILED == before)) || exit 1
}
trap acme_cleanup EXIT

# acme_bg COMMAND...: runs COMMAND in the background; the exit trap stops it by its PID
# (BG_PID).
acme_bg() {
	"$@" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# acme_bg_stop PID: stops one process acme_bg started.
acme_bg_stop() {
	local p keep=()
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in "${BG_PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
}

# stop_ca1: stops the second instance; like stop_ca, a non-zero exit status fails the test.
stop_ca1() {
	local rc
	[[ -n $CA1_PID ]] || return 0
	kill -TERM "$CA1_PID" 2>/dev/null
	wait "$CA1_PID" 2>/dev/null
	rc=$?
	CA1_PID=""
	((rc == 0)) || fail "stride-ca (second instance) exited with status $rc: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$WORK/ca-1.log")"
}

# wait_https URL PID LOG: waits until URL answers over TLS trusting ROOT, while PID lives.
wait_https() {
	for _ in $(seq 1 150); do
		if timeout 5 curl -s --cacert "$ROOT" "$1" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$2" 2>/dev/null; then
			echo "exited early: $(tail -n 5 "$3")" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$1 did not answer" >&2
	return 1
}

# acme_start: the CA, the DNS server and stride-ca (one, or two behind HAProxy on
# PostgreSQL), as the header says. Each step is a check.
acme_start() {
	local what=stride-ca
	check "ca init" init_ca
	# `stride ca init --acme` will add this provisioner; step's init adds the same one.
	check "add the ACME provisioner to ca.json" \
		edit_ca_json ".authority.provisioners += [{\"type\": \"ACME\", \"name\": \"$ACME_PROV\"}]"
	if [[ -n ${ACME_CA_EDIT:-} ]]; then # a test's own change to ca.json (a jq filter)
		check "ca.json: $ACME_CA_EDIT" edit_ca_json "$ACME_CA_EDIT"
	fi
	check "the DNS server starts" timeout 30 "$KNOT" start "$DNS_DIR"
	DNS_PORT=$(cat "$DNS_DIR/port" 2>/dev/null)
	if [[ -n ${STEPCA_BIN:-} ]]; then
		# step-ca 0.19 (see the header): ports 80 and 443, a badger database on SQLite.
		what=step-ca
		HTTP_PORT=80
		TLS_PORT=443
		SERVER=("$STEPCA_BIN" --password-file "$WORK/password" --resolver "127.0.0.1:$DNS_PORT")
		if [[ $STRIDE_TEST_DB != postgresql ]]; then
			check "a badger database for step-ca" \
				edit_ca_json ".db = {type: \"badgerv2\", dataSource: \"$WORK/stepca-db\"}"
		fi
	else
		HTTP_PORT=$(free_port)
		TLS_PORT=$(free_port)
		SERVER=("$STRIDE_CA_BIN" --password-file "$WORK/password" --resolver "127.0.0.1:$DNS_PORT"
			--acme-http-port "$HTTP_PORT" --acme-tls-port "$TLS_PORT" --insecure)
	fi
	"${SERVER[@]}" "$STRIDEPATH/config/ca.json" >>"$WORK/ca.log" 2>&1 &
	CA_PID=$!
	check "$what starts with ${SERVER[*]:3}" wait_https "$CA_URL/health" "$CA_PID" "$WORK/ca.log"
	if ! kill -0 "$CA_PID" 2>/dev/null; then # reported: not again at exit
		wait "$CA_PID" 2>/dev/null
		CA_PID=""
		return
	fi
	if [[ $STRIDE_TEST_DB == postgresql ]]; then
		acme_start_pair
	else
		ACME_DIR="$CA_URL/acme/$ACME_PROV/directory"
	fi
	expect_eq "the ACME directory answers" 200 \
		"$(timeout 20 curl -s -o "$WORK/directory.json" -w '%{http_code}' --cacert "$ROOT" "$ACME_DIR")"
	expect_eq "its newOrder URL is under the URL the clients use" "${ACME_DIR%/directory}/new-order" \
		"$(jq -r .newOrder "$WORK/directory.json" 2>/dev/null)"
}

# store_checked: whether the store can be read (not step-ca's: badger, or its own tables).
store_checked() {
	[[ -z ${STEPCA_BIN:-} ]]
}

# acme_start_pair: a second server (SERVER) on the same database (its own address) and HAProxy
# in front of both; ACME_DIR on HAProxy.
acme_start_pair() {
	local port1 lb="$WORK/lb"
	if ! command -v haproxy >/dev/null; then
		fail "haproxy not installed (scripts/deps.sh installs it)"
		return
	fi
	port1=$(free_port)
	jq --tab --arg a "127.0.0.1:$port1" '.address = $a' "$STRIDEPATH/config/ca.json" \
		>"$STRIDEPATH/config/ca-1.json"
	"${SERVER[@]}" "$STRIDEPATH/config/ca-1.json" >>"$WORK/ca-1.log" 2>&1 &
	CA1_PID=$!
	check "a second instance on the same database starts" \
		wait_https "https://127.0.0.1:$port1/health" "$CA1_PID" "$WORK/ca-1.log"
	if ! kill -0 "$CA1_PID" 2>/dev/null; then
		wait "$CA1_PID" 2>/dev/null
		CA1_PID=""
		return
	fi
	# HAProxy's certificate: localhost, from the test CA (first instance), key appended.
	mkdir -p "$lb"
	check "a certificate for HAProxy" timeout 30 "$STRIDE_BIN" ca certificate localhost \
		"$lb/lb.crt" "$lb/lb.key" --provisioner "$PROVISIONER" \
		--provisioner-password-file "$WORK/prov-password" -f
	cat "$lb/lb.crt" "$lb/lb.key" >"$lb/lb.pem"
	LB_PORT=$(free_port)
	cat >"$lb/haproxy.cfg" <<EOF
global
	maxconn 256
defaults
	mode http
	timeout connect 5s
	timeout client 60s
	timeout server 60s
frontend acme
	bind 127.0.0.1:$LB_PORT ssl crt $lb/lb.pem
	default_backend stride
backend stride
	balance roundrobin
	server s0 127.0.0.1:$PORT ssl verify none
	server s1 127.0.0.1:$port1 ssl verify none
EOF
	haproxy -db -f "$lb/haproxy.cfg" >>"$WORK/haproxy.log" 2>&1 &
	LB_PID=$!
	check "HAProxy starts" wait_https "https://localhost:$LB_PORT/health" "$LB_PID" "$WORK/haproxy.log"
	ACME_DIR="https://localhost:$LB_PORT/acme/$ACME_PROV/directory"
}

# acme_check_balanced: on PostgreSQL, both instances served ACME requests (the clients' requests
# alternated between them); nothing on SQLite.
acme_check_balanced() {
	local n0 n1
	[[ $STRIDE_TEST_DB == postgresql ]] || return 0
	n0=$(grep -c "/acme/$ACME_PROV/" "$WORK/ca.log")
	n1=$(grep -c "/acme/$ACME_PROV/" "$WORK/ca-1.log")
	if ((n0 > 0 && n1 > 0)); then
		pass "both instances served ACME requests ($n0 and $n1)"
	else
		fail "ACME requests by instance: $n0 and $n1"
	fi
}

# serial_dec CERT: the certificate's serial in decimal, as the store keeps it.
serial_dec() {
	local hex
	hex=$(openssl x509 -noout -serial -in "$1" | cut -d= -f2)
	echo "ibase=16; $hex" | BC_LINE_LENGTH=0 bc
}

# split_chain CHAIN DIR: DIR/0.pem (the first certificate), DIR/1.pem, ...; prints the count.
split_chain() {
	rm -rf "$2"
	mkdir -p "$2"
	awk -v d="$2" '/-----BEGIN CERTIFICATE-----/ { f = d "/" n++ ".pem" } f { print > f }
		/-----END CERTIFICATE-----/ { close(f); f = "" } END { print n + 0 }' "$1"
}

# key_type CERT: "EC P-256", "EC P-384", "RSA 2048", ... of the certificate's key.
key_type() {
	openssl x509 -noout -text -in "$1" | awk '
		/Public Key Algorithm: id-ecPublicKey/ { t = "EC" }
		/Public Key Algorithm: rsaEncryption/ { t = "RSA" }
		/NIST CURVE:/ { c = $3 }
		/Public-Key: \(/ { gsub(/[(]/, "", $2); b = $2 }
		END { print t " " (t == "EC" ? c : b) }'
}

# sans CERT: the certificate's subjectAltName entries, sorted, one line, space separated.
sans() {
	openssl x509 -noout -ext subjectAltName -in "$1" | sed 1d | tr ',' '\n' |
		sed 's/^ *//; /^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}

# check_cert WHAT CHAIN KEY "SANS" KEYTYPE: CHAIN (what the client saved: the leaf, then the
# intermediate) is the leaf and the CA's intermediate, verifies against the root, has exactly
# SANS (sorted, space separated, "DNS:a.test DNS:b.test"), a KEYTYPE key (key_type) that is the
# one in KEY, is valid now for 24 h + the 1 min backdate (step-ca's default order lifetime), is
# for serverAuth, and is in the store as issued by the ACME provisioner.
check_cert() {
	local what=$1 chain=$2 key=$3 want_sans=$4 want_key=$5 d="$WORK/chain" n nb na now
	n=$(split_chain "$chain" "$d")
	expect_eq "$what: the chain is the leaf and the intermediate" "2 $(openssl x509 -in "$STRIDEPATH/certs/intermediate_ca.crt" -outform DER | sha256sum)" \
		"$n $(openssl x509 -in "$d/1.pem" -outform DER 2>/dev/null | sha256sum)"
	expect_eq "$what: verifies against the root" "$d/0.pem: OK" \
		"$(openssl verify -purpose sslserver -CAfile "$ROOT" -untrusted "$d/1.pem" "$d/0.pem" 2>&1)"
	expect_eq "$what: SANs" "$want_sans" "$(sans "$d/0.pem")"
	expect_eq "$what: key type" "$want_key" "$(key_type "$d/0.pem")"
	expect_eq "$what: the key is the client's" "$(openssl pkey -pubout -in "$key" 2>&1)" \
		"$(openssl x509 -noout -pubkey -in "$d/0.pem")"
	nb=$(date -d "$(openssl x509 -noout -startdate -in "$d/0.pem" | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -noout -enddate -in "$d/0.pem" | cut -d= -f2)" +%s)
	now=$(date +%s)
	expect_eq "$what: valid now, for 24 h + 1 min" "yes 86460" \
		"$( ((nb <= now && now < na)) && echo yes || echo no) $((na - nb))"
	store_checked || return 0
	expect_eq "$what: in the store, issued by the ACME provisioner" "$ACME_PROV|ACME" \
		"$(db_sql "SELECT prov_name, prov_type FROM x509_certs WHERE serial = '$(serial_dec "$d/0.pem")'")"
}

# check_revoked WHAT CERT REASON: the store has CERT revoked with reason code REASON.
check_revoked() {
	store_checked || return 0
	expect_eq "$1: revoked in the store, reason code $3" "$3" \
		"$(db_sql "SELECT reason_code FROM revoked_x509_certs WHERE serial = '$(serial_dec "$2")'")"
}

# check_not_revoked WHAT CERT
check_not_revoked() {
	store_checked || return 0
	expect_eq "$1: not revoked" 0 \
		"$(db_sql "SELECT count(*) FROM revoked_x509_certs WHERE serial = '$(serial_dec "$2")'")"
}

# txt_of NAME: the TXT values of NAME the test's DNS server answers, sorted, one per line.
txt_of() {
	timeout 10 kdig @127.0.0.1 -p "$DNS_PORT" +short +timeout=2 "$1" TXT | tr -d '"' | sort
}
