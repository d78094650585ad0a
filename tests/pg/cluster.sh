#!/usr/bin/env bash
# cluster.sh - a throwaway PostgreSQL cluster for the tests.
#
#   cluster.sh start DIR    initdb in DIR (trust authentication, fsync on), start the server on
#                           127.0.0.1 at a free port with its Unix socket in DIR, and print
#                           its URL: postgresql://postgres@127.0.0.1:PORT/?sslmode=disable
#   cluster.sh stop DIR     fast shutdown of the server, by the PID it wrote (no-op if down)
#   cluster.sh restart DIR  stop, then start again on the same port with the same data
#   cluster.sh url DIR      print the URL again
#   cluster.sh pid DIR      print the server's PID (fails when it is not running)
#
# DIR is created when missing. initdb refuses to run as root: run as root, the script hands
# DIR to the `postgres` user and runs the server as that user (runuser), so DIR's parent
# directories must be traversable by it (anything under /tmp is). Run as another user, the
# server runs as that user. The PostgreSQL programs are taken from PG_BIN, else from the
# newest /usr/lib/postgresql/*/bin, else from PATH.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/free-port.sh
source "$here/../../scripts/free-port.sh"

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

pg_bin() {
	local d
	if [[ -n ${PG_BIN:-} ]]; then
		echo "$PG_BIN"
		return
	fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [[ -n $d && -x $d/initdb ]]; then
		echo "$d"
	elif command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
	else
		die "initdb not found (install Debian's postgresql package, or set PG_BIN)"
	fi
}

# as_owner CMD...: runs CMD as the user that owns the cluster.
as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

url_of() {
	echo "postgresql://postgres@127.0.0.1:$(cat "$1/port")/?sslmode=disable"
}

# The postmaster's PID, or nothing when it is not running.
pid_of() {
	local pid
	[[ -f $1/data/postmaster.pid ]] || return 0
	pid=$(head -n 1 "$1/data/postmaster.pid")
	if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
		echo "$pid"
	fi
}

init_cluster() {
	local dir=$1 bin=$2
	mkdir -p "$dir"
	if [[ $(id -u) -eq 0 ]]; then
		id postgres >/dev/null 2>&1 || die "running as root needs the postgres user"
		chown postgres: "$dir"
	fi
	chmod 0700 "$dir"
	as_owner test -w "$dir" || die "$dir is not writable by the cluster's user (check its parents)"
	as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
		--no-sync >"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
	as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# cluster.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 100
shared_buffers = 32MB
logging_collector = off
log_min_messages = warning
EOF
}

# Starts the server of dir on its recorded port; returns 1 when it does not come up.
start_server() {
	local dir=$1 bin=$2
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $(cat "$dir/port")" start >/dev/null 2>&1
}

cmd_start() {
	local dir=$1 bin tries
	bin=$(pg_bin)
	[[ -z $(pid_of "$dir") ]] || die "a server is already running in $dir"
	[[ -d $dir/data ]] || init_cluster "$dir" "$bin"
	dir=$(cd "$dir" && pwd)
	for tries in 1 2 3 4 5; do
		if [[ ! -f $dir/port || $tries -gt 1 ]]; then
			free_port >"$dir/port.new" || die "no free port"
			cat "$dir/port.new" >"$dir/port"
			rm -f "$dir/port.new"
		fi
		if start_server "$dir" "$bin"; then
			url_of "$dir" | tee "$dir/url"
			return 0
		fi
	done
	die "the server did not start: $(tail -n 5 "$dir/server.log" 2>/dev/null)"
}

cmd_stop() {
	local dir=$1 pid i
	pid=$(pid_of "$dir")
	[[ -n $pid ]] || return 0
	kill -INT "$pid" # fast shutdown: roll back open transactions, checkpoint, exit
	for i in $(seq 1 600); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	die "the server (PID $pid) did not stop within 60 s"
}

cmd_restart() {
	local dir=$1 bin
	[[ -f $dir/port ]] || die "no cluster in $dir"
	bin=$(pg_bin)
	cmd_stop "$dir"
	start_server "$dir" "$bin" || die "the server did not restart: $(tail -n 5 "$dir/server.log")"
}

(($# == 2)) || die "usage: cluster.sh start|stop|restart|url|pid DIR"
case $1 in
start) cmd_start "$2" ;;
stop) cmd_stop "$2" ;;
restart) cmd_restart "$2" ;;
url) url_of "$2" ;;
pid)
	pid=$(pid_of "$2")
	[[ -n $pid ]] || die "no server running in $2"
	echo "$pid"
	;;
*) die "unknown command '$1'" ;;
esac
