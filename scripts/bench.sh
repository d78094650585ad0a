#!/usr/bin/env bash
# bench.sh BUILD_DIR - what `make bench` runs (see bench/README.md).
#
# Builds what is missing, creates a throwaway CA in a temporary directory,
# measures how soon stride-ca is healthy after it starts, starts it on a free
# loopback port, runs build/stride-bench against it and stops it. The table
# goes to the terminal and, with the raw numbers, to bench/results/.
#
# Environment:
#   BENCH_REQUESTS   requests of sign c=8, sign c=32, renew c=8 and ocsp c=8 (default 10000);
#                    sign c=1, sign new-conn c=8 and ocsp-nonce c=8 get a third of it. ocsp
#                    POSTs one OCSP request without a nonce (the responder's cached answer
#                    after the status read); ocsp-nonce the same with a nonce (signed each time)
#   BENCH_SECONDS    stop a scenario after this many seconds even if requests are left
#                    (default 20; 0 = no limit), so a slow server still finishes in ~2 min
#   BENCH_SCENARIOS  the whole scenario list instead, e.g. "sign:8:20000 renew:8:20000"
#   BENCH_SOAK       add a sign c=8 scenario of this many requests at the end (RSS over a
#                    long run, e.g. 100000)
#   BENCH_ACME_ORDERS   orders of the ACME scenario (acme c=8: whole orders with http-01
#                    answered by stride-bench; default BENCH_REQUESTS)
#   BENCH_ACME_SECONDS  its time cap (default 50, ~60 s with the preparation; 0 = none)
#   BENCH_ACME=0     skip the ACME scenario
#   BENCH_ACME_SOAK  add an ACME c=8 scenario of this many orders without a time cap at the
#                    end (the server's RSS after 1,000 and 10,000 orders, e.g. 10000)
#   BENCH_FLOOR_ITERATIONS  iterations of the crypto floor (default 3000)
#   BENCH_STARTUP_RUNS      start-up measurements (default 5)
#   BENCH_RESULTS    results directory (default bench/results)
#   BENCH_PERF=1     afterwards, profile stride-ca with `perf record` during one more sign
#                    c=8 run; the flat profile goes to bench/results/<date>-perf.txt
#   BENCH_PERF=callers  the same with call graphs (DWARF): the profile also lists the time
#                    spent inside (children of) each of stride-ca's own functions
#   BENCH_KEEP=1     keep the temporary CA directory (and the server log)
#   BENCH_PG=0       skip the PostgreSQL scenarios. Otherwise, after the SQLite ones, the same
#                    CA is moved onto a database of a throwaway PostgreSQL cluster
#                    (tests/pg/cluster.sh) and sign c=8 and ocsp c=8 (the status read on the
#                    authority's threads) run against one stride-ca, then
#                    against two on that database (the connections spread over both); the
#                    table adds the CPU of the postgres processes per issuance
#   BENCH_PG_REQUESTS  requests of each PostgreSQL scenario (default BENCH_REQUESTS)
#   BENCH_CFSSL=0    skip the peer. Otherwise, after the SQLite scenarios (stride-ca stopped),
#                    `cfssl serve` (Debian's golang-cfssl) runs on a free loopback port over
#                    HTTPS with a throwaway P-256 CA and an HMAC auth key, and the sign and
#                    sign-newconn scenarios that ran against stride-ca run against its authsign
#                    API; the report ends with the ratios stride / cfssl per scenario
#   BENCH_CFSSL_LOGLEVEL  cfssl's -loglevel (default 1, cfssl's own: a few lines per request)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build}
case $build in /*) ;; *) build=$src/$build ;; esac

requests=${BENCH_REQUESTS:-10000}
small=$((requests / 3 > 0 ? requests / 3 : 1))
seconds=${BENCH_SECONDS:-20}
limit=""
if [[ $seconds != 0 ]]; then
	limit=":$seconds"
fi
scenarios=${BENCH_SCENARIOS:-"sign:1:$small$limit sign:8:$requests$limit sign:32:$requests$limit renew:8:$requests$limit sign-newconn:8:$small$limit ocsp:8:$requests$limit ocsp-nonce:8:$small$limit"}
# cfssl's mirror of the sign and sign-newconn scenarios asked for (not of the soak)
cfssl_scenarios=""
for s in $scenarios; do
	case $s in
	sign:* | sign-newconn:*) cfssl_scenarios="$cfssl_scenarios cfssl-$s" ;;
	newconn:*) cfssl_scenarios="$cfssl_scenarios cfssl-sign-$s" ;;
	esac
done
cfssl_on=${BENCH_CFSSL:-1}
if [[ $cfssl_on != 0 ]] && ! command -v cfssl >/dev/null; then
	echo "bench: cfssl is not installed (apt-get install golang-cfssl, or scripts/deps.sh);" \
		"BENCH_CFSSL=0 runs the benchmark without it" >&2
	exit 1
fi
acme_seconds=${BENCH_ACME_SECONDS:-50}
acme_limit=""
if [[ $acme_seconds != 0 ]]; then
	acme_limit=":$acme_seconds"
fi
if [[ -z ${BENCH_SCENARIOS:-} && ${BENCH_ACME:-1} != 0 ]]; then
	scenarios="$scenarios acme:8:${BENCH_ACME_ORDERS:-$requests}$acme_limit"
fi
if [[ -n ${BENCH_SOAK:-} ]]; then
	scenarios="$scenarios sign:8:$BENCH_SOAK"
fi
if [[ -n ${BENCH_ACME_SOAK:-} ]]; then
	scenarios="$scenarios acme:8:$BENCH_ACME_SOAK"
fi
results=${BENCH_RESULTS:-$src/bench/results}

# Build what is missing (make bench has built already; this is for a direct call).
if [[ ! -f $build/CMakeCache.txt ]]; then
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target stride stride-ca stride-bench testtool >/dev/null

# shellcheck source=scripts/throwaway-ca.sh
. "$src/scripts/throwaway-ca.sh"
prov="bench@example.com"
throwaway_ca_init "$build" "Stride Bench" "$prov" BENCH_KEEP --acme
url="https://127.0.0.1:$PORT"
# where stride-ca checks http-01: stride-bench answers there for the ACME scenario
acme_port=$(free_port)
while [[ $acme_port == "$PORT" ]]; do
	acme_port=$(free_port)
done
ca_json=$CA_JSON
root=$ROOT
# the OCSP responder at /ocsp, for the ocsp scenarios
jq --tab '.ocsp = {enabled: true}' "$ca_json" >"$ca_json.new" && mv "$ca_json.new" "$ca_json"
(
	umask 077
	jq -r '.authority.provisioners[0].encryptedKey' "$ca_json" |
		"$build/testtool" jwe-decrypt "$WORK/prov-password" >"$WORK/provisioner.jwk"
)
kid=$(jq -r '.authority.provisioners[0].key.kid' "$ca_json")
acme_prov=$(jq -r '[.authority.provisioners[] | select(.type == "ACME")][0].name' "$ca_json")
server=("$build/stride-ca" --password-file "$WORK/password" --acme-http-port "$acme_port"
	--insecure "$ca_json")

echo "== start-up: exec to the first healthy /health (${BENCH_STARTUP_RUNS:-5} runs)"
"$build/stride-bench" startup --url "$url" --root "$root" --runs "${BENCH_STARTUP_RUNS:-5}" \
	--interval-ms 2 --log "$WORK/ca.log" --out "$WORK/startup.json" -- "${server[@]}"

echo "== starting stride-ca on $url"
throwaway_ca_start "$url" "${server[@]}"

note="commit $(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown); CA on $(df --output=fstype,source "$WORK" | tail -n 1 | tr -s " ")"
base=(--url "$url" --root "$root" --jwk "$WORK/provisioner.jwk" --provisioner "$prov"
	--kid "$kid" --server-pid "$CA_PID" --acme-provisioner "$acme_prov"
	--acme-http-port "$acme_port")
args=("${base[@]}" --results-dir "$results" --startup-json "$WORK/startup.json" --note "$note"
	--floor-iterations "${BENCH_FLOOR_ITERATIONS:-3000}" --json-copy "$WORK/stride.json")
for s in $scenarios; do
	args+=(--scenario "$s")
done

echo "== stride-bench"
rc=0
"$build/stride-bench" "${args[@]}" || rc=$?

if [[ -n ${BENCH_PERF:-} ]]; then
	if command -v perf >/dev/null; then
		profile="$results/$(date -u +%Y-%m-%dT%H%M%SZ)-perf.txt"
		echo "== perf: profiling stride-ca during sign c=8 ($requests requests)"
		graph=()
		if [[ $BENCH_PERF == callers ]]; then
			graph=(--call-graph "dwarf,16384")
		fi
		perf record -F 999 "${graph[@]}" -p "$CA_PID" -o "$WORK/perf.data" >"$WORK/perf.log" 2>&1 &
		perf_pid=$!
		sleep 0.5
		"$build/stride-bench" "${base[@]}" --results-dir "$WORK/perf-results" \
			--floor-iterations 0 --warmup 0 --scenario "sign:8:$requests$limit" >/dev/null || true
		kill -INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" || true
		mkdir -p "$results"
		{
			echo "# stride-ca during sign c=8: samples by library, then by symbol"
			perf report -i "$WORK/perf.data" --no-children --sort dso --stdio 2>/dev/null |
				grep -v '^#' | grep -v '^$' | head -15
			echo
			perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio \
				2>/dev/null | grep -v '^#' | grep -v '^$' | head -50
			if [[ $BENCH_PERF == callers ]]; then
				echo
				echo "# time inside each of stride-ca's functions (children included)"
				perf report -i "$WORK/perf.data" --children --dsos stride-ca --sort sym \
					--stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -80
			fi
		} >"$profile" || true
		echo "flat profile: $profile"
	else
		echo "BENCH_PERF: perf is not installed (apt-get install linux-perf)" >&2
	fi
fi

echo "== stopping stride-ca"
srv_rc=0
throwaway_ca_stop || srv_rc=$?
if ((srv_rc != 0)); then
	echo "stride-ca exited with status $srv_rc" >&2
	tail -n 20 "$WORK/ca.log" >&2
	((rc == 0)) && rc=1
fi

# --- the peer: cfssl serve, after stride-ca has stopped --------------------------------------
cfssl_pid=""
cfssl_cleanup() {
	if [[ -n $cfssl_pid ]]; then
		kill -TERM "$cfssl_pid" 2>/dev/null || true
		wait "$cfssl_pid" 2>/dev/null || true
	fi
	throwaway_ca_cleanup
}
if [[ $cfssl_on != 0 && -n $cfssl_scenarios && -f $WORK/stride.json ]] && ((rc != 1)); then
	trap cfssl_cleanup EXIT
	cf="$WORK/cfssl"
	mkdir -p "$cf"
	echo "== cfssl: a throwaway P-256 CA"
	(
		set -e
		cd "$cf"
		umask 077
		ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
		openssl req -x509 "${ec[@]}" -keyout root.key -out root.pem -days 2 \
			-subj "/O=Stride Bench/CN=Stride Bench cfssl Root CA" \
			-addext "basicConstraints=critical,CA:true,pathlen:1" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		# the intermediate cfssl signs with, as stride-ca's throwaway CA has one
		openssl req "${ec[@]}" -keyout ca.key -out ca.csr \
			-subj "/O=Stride Bench/CN=Stride Bench cfssl Intermediate CA" 2>/dev/null
		printf '%s\n' "basicConstraints=critical,CA:true,pathlen:0" \
			"keyUsage=critical,keyCertSign,cRLSign" "subjectKeyIdentifier=hash" \
			"authorityKeyIdentifier=keyid" >ca.ext
		openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -CAcreateserial -days 2 \
			-extfile ca.ext -out ca.pem 2>/dev/null
		# cfssl's own TLS certificate, a P-256 leaf of that intermediate like stride-ca's
		openssl req "${ec[@]}" -keyout tls.key -out tls.csr -subj "/CN=127.0.0.1" 2>/dev/null
		printf '%s\n' "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
			"extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1" >tls.ext
		openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-extfile tls.ext -out tls.crt 2>/dev/null
		cat tls.crt ca.pem >tls.pem
		openssl rand -hex 32 >auth.key
		# A leaf like stride-ca's default: 24 h, digitalSignature, serverAuth + clientAuth.
		# No db config: cfssl stores nothing.
		jq -n --arg key "$(cat auth.key)" '{
			signing: {
				default: {expiry: "24h", usages: ["digital signature", "server auth",
					"client auth"], auth_key: "bench"},
				profiles: {bench: {expiry: "24h", usages: ["digital signature",
					"server auth", "client auth"], auth_key: "bench"}}
			},
			auth_keys: {bench: {type: "standard", key: $key}}
		}' >config.json
	)
	cfssl_port=$(free_port)
	cfssl_url="https://127.0.0.1:$cfssl_port"
	echo "== starting cfssl serve on $cfssl_url ($(cfssl version | head -n 1))"
	cfssl serve -address 127.0.0.1 -port "$cfssl_port" -ca "$cf/ca.pem" -ca-key "$cf/ca.key" \
		-config "$cf/config.json" -tls-cert "$cf/tls.pem" -tls-key "$cf/tls.key" \
		-loglevel "${BENCH_CFSSL_LOGLEVEL:-1}" >>"$WORK/cfssl.log" 2>&1 &
	cfssl_pid=$!
	healthy=""
	for _ in $(seq 1 200); do
		if curl -sf --cacert "$cf/root.pem" -d '{}' "$cfssl_url/api/v1/cfssl/info" \
			>/dev/null 2>&1; then
			healthy=1
			break
		fi
		kill -0 "$cfssl_pid" 2>/dev/null || break
		sleep 0.05
	done
	if [[ -z $healthy ]]; then
		echo "cfssl serve did not answer:" >&2
		tail -n 20 "$WORK/cfssl.log" >&2
		exit 1
	fi
	cfssl_args=(--url "$cfssl_url" --root "$cf/root.pem" --server-pid "$cfssl_pid"
		--cfssl-key "$cf/auth.key" --cfssl-ca "$cf/ca.pem" --cfssl-profile bench
		--compare "$WORK/stride.json" --results-dir "$results"
		--note "$note; cfssl serve $(cfssl version | head -n 1 | sed 's/^Version: //'), -loglevel ${BENCH_CFSSL_LOGLEVEL:-1}"
		--floor-iterations "${BENCH_FLOOR_ITERATIONS:-3000}")
	for s in $cfssl_scenarios; do
		cfssl_args+=(--scenario "$s")
	done
	echo "== stride-bench: cfssl serve (authsign)"
	"$build/stride-bench" "${cfssl_args[@]}" || rc=$?
	echo "== stopping cfssl"
	srv_rc=0
	kill -TERM "$cfssl_pid"
	wait "$cfssl_pid" || srv_rc=$?
	cfssl_pid=""
	# a Go program ends on SIGTERM by the signal itself: 128 + 15
	if ((srv_rc != 0 && srv_rc != 143)); then
		echo "cfssl exited with status $srv_rc" >&2
		tail -n 20 "$WORK/cfssl.log" >&2
		((rc == 0)) && rc=1
	fi
	trap throwaway_ca_cleanup EXIT
fi

# --- PostgreSQL: one and two stride-ca on one database -------------------------------------
pg_instances=()
pg_dir=""
pg_cleanup() {
	local p
	for p in "${pg_instances[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [[ -n $pg_dir ]]; then
		"$src/tests/pg/cluster.sh" stop "$pg_dir/cluster" >/dev/null 2>&1 || true
		rm -rf "$pg_dir"
	fi
	throwaway_ca_cleanup
}
# pg_start_instance N: stride-ca on ca-pg-N.json in the background (its PID appended to
# pg_instances), waited for until /health answers.
pg_start_instance() {
	local n=$1 pid
	"$build/stride-ca" --password-file "$WORK/password" "$STRIDEPATH/config/ca-pg-$n.json" \
		>>"$WORK/ca-pg-$n.log" 2>&1 &
	pid=$!
	pg_instances+=("$pid")
	for _ in $(seq 1 200); do
		curl -sf --cacert "$root" "${pg_urls[n]}/health" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "stride-ca on PostgreSQL did not become healthy:" >&2
	tail -n 20 "$WORK/ca-pg-$n.log" >&2
	return 1
}
if [[ ${BENCH_PG:-1} != 0 ]] && ((rc != 1)); then
	trap pg_cleanup EXIT
	pg_requests=${BENCH_PG_REQUESTS:-$requests}
	pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/stride-bench-pg.XXXXXX")
	chmod 755 "$pg_dir" # the server runs as postgres when this runs as root
	echo "== PostgreSQL: a throwaway cluster"
	if ! pg_url=$("$src/tests/pg/cluster.sh" start "$pg_dir/cluster"); then
		echo "bench: cannot start PostgreSQL (BENCH_PG=0 skips it)" >&2
		exit 1
	fi
	pg_url=$(echo "$pg_url" | tail -n 1)
	PGDATABASE=postgres psql "$pg_url" -X -q -c "CREATE DATABASE stride_bench" >/dev/null
	pg_urls=()
	for n in 0 1; do
		p=$([[ $n == 0 ]] && echo "$PORT" || free_port)
		pg_urls[n]="https://127.0.0.1:$p"
		jq --tab --arg a "127.0.0.1:$p" --arg url "$pg_url" \
			'.address = $a | .db = {type: "postgresql", dataSource: $url, database: "stride_bench"}' \
			"$ca_json" >"$STRIDEPATH/config/ca-pg-$n.json"
	done
	postmaster=$("$src/tests/pg/cluster.sh" pid "$pg_dir/cluster")
	pg_start_instance 0
	pg_base=(--root "$root" --jwk "$WORK/provisioner.jwk" --provisioner "$prov" --kid "$kid"
		--results-dir "$results" --note "$note; PostgreSQL 'fsync = on' in $pg_dir"
		--floor-iterations "${BENCH_FLOOR_ITERATIONS:-3000}" --db-pid "$postmaster"
		--scenario "sign:8:$pg_requests$limit" --scenario "ocsp:8:$pg_requests$limit")
	echo "== stride-bench: PostgreSQL, one stride-ca"
	"$build/stride-bench" "${pg_base[@]}" --url "${pg_urls[0]}" --server-pid "${pg_instances[0]}" \
		--label pg || rc=$?
	pg_start_instance 1
	echo "== stride-bench: PostgreSQL, two stride-ca on one database"
	"$build/stride-bench" "${pg_base[@]}" --url "${pg_urls[0]}" --url "${pg_urls[1]}" \
		--server-pid "${pg_instances[0]}" --server-pid "${pg_instances[1]}" \
		--label "pg 2x" || rc=$?
	for n in 0 1; do
		srv_rc=0
		kill -TERM "${pg_instances[n]}"
		wait "${pg_instances[n]}" || srv_rc=$?
		if ((srv_rc != 0)); then
			echo "stride-ca on PostgreSQL exited with status $srv_rc" >&2
			tail -n 20 "$WORK/ca-pg-$n.log" >&2
			((rc == 0)) && rc=1
		fi
	done
	pg_instances=()
fi

shred -u "$WORK/provisioner.jwk" 2>/dev/null || rm -f "$WORK/provisioner.jwk"
case $rc in
0) echo "bench: done; results in $results" ;;
3) echo "bench: done, but some requests failed (see the errors above); results in $results" >&2 ;;
*) echo "bench: failed (status $rc)" >&2 ;;
esac
exit "$rc"
