# free-port.sh - sourced by the scripts and the e2e tests that start a server on loopback.
# shellcheck shell=bash

# A TCP port on 127.0.0.1 that nothing listens on right now, outside the kernel's ephemeral
# range: a port there can be the local end of another test's client connection at any moment,
# and then the server's bind fails with "Address already in use" although nothing listens.
free_port() {
	local lo=32768 hi=60999 base span p
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	if ((lo > 12000)); then
		base=10000 span=$((lo - 10000))
	else
		base=$((hi + 1)) span=$((65536 - hi - 1))
	fi
	for _ in $(seq 1 200); do
		p=$((base + RANDOM % span))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
