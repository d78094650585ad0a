#!/usr/bin/env bash
# knot.sh - a throwaway authoritative DNS server (Debian's knot) for the ACME tests.
#
#   knot.sh start DIR           start knotd on 127.0.0.1 at a free port (UDP and TCP) serving
#                               the zone `test.`: SOA, NS ns1.test., ns1 A 127.0.0.1,
#                               @ A 127.0.0.1, * A 127.0.0.1, * AAAA ::1; dynamic updates
#                               (RFC 2136) allowed from 127.0.0.1 without a key and with the
#                               TSIG key `acme-key` (hmac-sha256, secret in DIR/tsig.secret,
#                               base64). Writes DIR/port and DIR/pid, waits until the server
#                               answers, prints nothing. DIR is created when missing.
#   knot.sh stop DIR            stop the server by its PID (no-op when it is not running)
#   knot.sh port DIR            print the server's port
#   knot.sh txt-add DIR NAME VALUE   add a TXT record VALUE at NAME (TTL 60, TSIG-signed)
#   knot.sh txt-del DIR NAME         delete every TXT record at NAME
#
# NAME is a name under test. with or without the trailing dot. ns1.test exists, so names
# below it (and _acme-challenge.ns1.test) do not exist: NXDOMAIN; every other name under test.
# matches the wildcard. Needs knotd and kdig (Debian's knot, knot-dnsutils) and nsupdate
# (bind9-dnsutils).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/free-port.sh
source "$here/../../scripts/free-port.sh"

die() {
	echo "knot.sh: $*" >&2
	exit 1
}

knotd_bin() {
	if command -v knotd >/dev/null 2>&1; then
		command -v knotd
	elif [[ -x /usr/sbin/knotd ]]; then
		echo /usr/sbin/knotd
	else
		die "knotd not found (install Debian's knot package)"
	fi
}

running() {
	local dir=$1 pid
	[[ -f $dir/pid ]] || return 1
	pid=$(<"$dir/pid")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

answers() {
	local port=$1
	kdig @127.0.0.1 -p "$port" +time=1 +retry=0 +short test. SOA 2>/dev/null | grep -q .
}

start() {
	local dir=$1 port secret pid i
	command -v kdig >/dev/null 2>&1 || die "kdig not found (install Debian's knot-dnsutils)"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if running "$dir"; then
		die "a server already runs in $dir"
	fi
	secret=$(head -c 32 /dev/urandom | base64)
	umask 077
	printf '%s\n' "$secret" >"$dir/tsig.secret"
	cat >"$dir/test.zone" <<'EOF'
$ORIGIN test.
$TTL 60
@	SOA	ns1.test. hostmaster.test. 1 3600 600 86400 60
@	NS	ns1.test.
ns1	A	127.0.0.1
@	A	127.0.0.1
*	A	127.0.0.1
*	AAAA	::1
EOF
	for i in 1 2 3 4 5; do
		port=$(free_port) || die "no free port"
		cat >"$dir/knot.conf" <<EOF
server:
    rundir: "$dir"
    listen: 127.0.0.1@$port

log:
  - target: stderr
    any: info

database:
    storage: "$dir"

key:
  - id: acme-key
    algorithm: hmac-sha256
    secret: $secret

acl:
  - id: update-address
    address: 127.0.0.1
    action: update
  - id: update-key
    address: 127.0.0.1
    key: acme-key
    action: update

template:
  - id: default
    storage: "$dir"
    zonefile-sync: -1
    journal-content: changes

zone:
  - domain: test.
    file: test.zone
    acl: [update-address, update-key]
EOF
		"$(knotd_bin)" -c "$dir/knot.conf" </dev/null >>"$dir/knotd.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/pid"
		echo "$port" >"$dir/port"
		for _ in $(seq 1 100); do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if answers "$port"; then
				return 0
			fi
			sleep 0.1
		done
		# Not answering: the port was taken meanwhile, or knotd failed; try another port.
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rm -f "$dir/pid" "$dir/port"
	done
	tail -n 20 "$dir/knotd.log" >&2 || true
	die "knotd did not start (log: $dir/knotd.log)"
}

stop() {
	local dir=$1 pid
	running "$dir" || return 0
	pid=$(<"$dir/pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/pid"
}

fqdn() {
	local name=$1
	[[ $name == *. ]] || name=$name.
	echo "$name"
}

update() {
	local dir=$1 cmds=$2 port secret
	command -v nsupdate >/dev/null 2>&1 || die "nsupdate not found (install Debian's bind9-dnsutils)"
	[[ -f $dir/port ]] || die "no server in $dir"
	port=$(<"$dir/port")
	secret=$(<"$dir/tsig.secret")
	printf 'server 127.0.0.1 %s\nzone test.\n%ssend\n' "$port" "$cmds" |
		nsupdate -t 5 -y "hmac-sha256:acme-key:$secret" ||
		die "nsupdate failed"
}

cmd=${1:-}
dir=${2:-}
[[ -n $cmd && -n $dir ]] || die "usage: knot.sh start|stop|port|txt-add|txt-del DIR [NAME [VALUE]]"
case $cmd in
start) start "$dir" ;;
stop) stop "$dir" ;;
port)
	[[ -f $dir/port ]] || die "no server in $dir"
	cat "$dir/port"
	;;
txt-add)
	(($# == 4)) || die "usage: knot.sh txt-add DIR NAME VALUE"
	value=${4//\\/\\\\}
	value=${value//\"/\\\"}
	update "$dir" "update add $(fqdn "$3") 60 IN TXT \"$value\"
"
	;;
txt-del)
	(($# == 3)) || die "usage: knot.sh txt-del DIR NAME"
	update "$dir" "update delete $(fqdn "$3") TXT
"
	;;
*) die "unknown command $cmd" ;;
esac
