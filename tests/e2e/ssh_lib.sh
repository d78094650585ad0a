# ssh_lib.sh - an sshd of the test's own and ssh logins (sourced after lib.sh).
#
# sshd runs as root on a free loopback port with a configuration in the scratch directory,
# its PidFile there too, and is stopped by that PID: never port 22, never /etc/ssh
# (ssh.md §10).

SSHD_PID=""
SSHD_PORT=""
SSHD_DIR=""

# ssh_tools_present: sshd, ssh and ssh-keygen are installed and we are root.
ssh_tools_present() {
	[[ -x /usr/sbin/sshd ]] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null &&
		[[ $(id -u) == 0 ]]
}

# start_sshd DIR [CONFIG_FILE...]: sshd with the base settings below, then the given files'
# lines appended (the configuration `stride ssh config --host` wrote), in DIR/sshd_run_config.
# Logs to DIR/sshd.log.
start_sshd() {
	local dir=$1 f
	shift
	SSHD_DIR=$dir
	SSHD_PORT=$(free_port)
	{
		echo "Port $SSHD_PORT"
		echo "ListenAddress 127.0.0.1"
		echo "PidFile $dir/sshd.pid"
		echo "AuthorizedKeysFile none"
		echo "PasswordAuthentication no"
		echo "KbdInteractiveAuthentication no"
		echo "PermitRootLogin prohibit-password"
		echo "UsePAM no"
		echo "StrictModes no"
		echo "LogLevel VERBOSE"
		for f in "$@"; do cat "$f"; done
	} >"$dir/sshd_run_config"
	mkdir -p /run/sshd
	/usr/sbin/sshd -t -f "$dir/sshd_run_config" 2>"$dir/sshd-t.err" || {
		echo "sshd -t: $(cat "$dir/sshd-t.err")" >&2
		return 1
	}
	rm -f "$dir/sshd.pid"
	/usr/sbin/sshd -f "$dir/sshd_run_config" -E "$dir/sshd.log" || return 1
	for _ in $(seq 1 100); do
		if [[ -s $dir/sshd.pid ]]; then
			SSHD_PID=$(cat "$dir/sshd.pid")
			return 0
		fi
		sleep 0.05
	done
	echo "sshd did not start: $(tail -n 5 "$dir/sshd.log")" >&2
	return 1
}

# stop_sshd: SIGTERM to the PID sshd wrote.
stop_sshd() {
	if [[ -n $SSHD_PID ]]; then
		kill -TERM "$SSHD_PID" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$SSHD_PID" 2>/dev/null || break
			sleep 0.05
		done
		SSHD_PID=""
	fi
}

# ssh_login KEY CERT USER KNOWN_HOSTS [HOST] COMMAND...: one non-interactive login with the
# key and certificate only, trusting hosts through KNOWN_HOSTS only.
ssh_login() {
	local key=$1 cert=$2 user=$3 kh=$4 host=$5
	shift 5
	timeout 20 ssh -F none -p "$SSHD_PORT" -i "$key" -o CertificateFile="$cert" \
		-o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile="$kh" \
		-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes \
		-o ConnectTimeout=10 "$user@$host" "$@"
}

# expect_refused DESCRIPTION COMMAND...: passes when ssh (the command) fails with status 255
# and "Permission denied".
expect_refused() {
	local what=$1 rc
	shift
	"$@" >"$WORK/last.out" 2>"$WORK/last.err"
	rc=$?
	if ((rc == 255)) && grep -q "Permission denied" "$WORK/last.err"; then
		pass "$what"
	else
		fail "$what (exit $rc): $(head -c 600 "$WORK/last.err")"
	fi
}

# cert_field FILE FIELD: a field of `ssh-keygen -L` ("Key ID", "Serial", ...) in UTC.
cert_field() {
	TZ=UTC ssh-keygen -L -f "$1" | sed -n "s/^ *$2: //p"
}

# cert_list FILE FIELD: the indented lines under a field (Principals, Extensions, ...), one
# line with spaces between.
cert_list() {
	TZ=UTC ssh-keygen -L -f "$1" | awk -v f="$2:" '
		$1 " " $2 == f || $1 == f { on = 1; if ($NF != f && $0 !~ /: *$/) { print $NF; on = 0 }; next }
		on && /^                / { gsub(/^ +/, ""); print; next }
		on { on = 0 }' | paste -sd' '
}
