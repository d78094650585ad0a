#!/usr/bin/env bash
# knot.sh - a throwaway authoritative DNS server (Debian's knotd) for the ACME tests.
#
#   knot.sh start DIR              knotd on 127.0.0.1 and a free port, zone "test." with
#                                  "* A 127.0.0.1", dynamic updates (RFC 2136) from 127.0.0.1
#                                  with or without the TSIG key "acme-key" (hmac-sha256, its
#                                  base64 secret in DIR/tsig.secret); writes DIR/port, DIR/pid
#   knot.sh stop DIR               stops it (by the PID in DIR/pid) and waits for it to exit
#   knot.sh port DIR               prints the port
#   knot.sh txt-add DIR NAME VALUE adds a TXT record (NAME absolute or relative to "test.")
#   knot.sh txt-del DIR NAME       deletes every TXT record of NAME
set -euo pipefail

# shellcheck source=scripts/free-port.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/free-port.sh"

usage() {
	echo "usage: knot.sh start|stop|port DIR | txt-add DIR NAME VALUE | txt-del DIR NAME" >&2
	exit 2
}

# fqdn NAME: NAME with its trailing dot.
fqdn() {
	case $1 in
	*.) echo "$1" ;;
	*) echo "$1." ;;
	esac
}

# update DIR LINE: one RFC 2136 update of zone test. (unsigned: the ACL lets 127.0.0.1 in).
update() {
	printf 'server 127.0.0.1 %s\nzone test.\n%s\nsend\n' "$(cat "$1/port")" "$2" |
		timeout 20 knsupdate -t 5
}

start() {
	local dir=$1 port secret
	mkdir -p "$dir/db"
	dir=$(cd "$dir" && pwd)
	secret=$(head -c 32 /dev/urandom | base64)
	printf '%s\n' "$secret" >"$dir/tsig.secret"
	cat >"$dir/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 60
@	SOA	ns1.test. hostmaster.test. 1 3600 600 86400 60
@	NS	ns1.test.
ns1	A	127.0.0.1
@	A	127.0.0.1
*	A	127.0.0.1
ZONE
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		cat >"$dir/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$port
    rundir: $dir
log:
  - target: stderr
    any: info
database:
    storage: $dir/db
key:
  - id: acme-key
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: update-plain
    address: 127.0.0.1
    action: update
  - id: update-tsig
    address: 127.0.0.1
    key: acme-key
    action: update
zone:
  - domain: test
    storage: $dir
    file: test.zone
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
    acl: [update-plain, update-tsig]
CONF
		knotd -c "$dir/knot.conf" >>"$dir/knot.log" 2>&1 </dev/null &
		echo $! >"$dir/pid"
		echo "$port" >"$dir/port"
		for _ in $(seq 1 100); do
			if [[ $(timeout 5 kdig @127.0.0.1 -p "$port" +short +timeout=1 +retry=0 ns1.test A 2>/dev/null) == 127.0.0.1 ]]; then
				return 0
			fi
			kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
			sleep 0.1
		done
		stop "$dir" # the port was taken meanwhile, or knotd is slow: another port
	done
	echo "knot.sh: knotd did not start: $(tail -n 5 "$dir/knot.log")" >&2
	return 1
}

stop() {
	local pid
	[[ -e $1/pid ]] || return 0
	pid=$(cat "$1/pid")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$1/pid"
}

[[ $# -ge 2 ]] || usage
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
port) cat "$2/port" ;;
txt-add)
	[[ $# -eq 4 ]] || usage
	update "$2" "update add $(fqdn "$3") 60 TXT \"$4\""
	;;
txt-del)
	[[ $# -eq 3 ]] || usage
	update "$2" "update delete $(fqdn "$3") TXT"
	;;
*) usage ;;
esac
