# shellcheck shell=bash
# The checks of the interop scripts: each prints "ok   <what>" or "FAIL <what>" with the
# evidence and counts the failures in $fails. The caller sets $work (a scratch directory).
: "${work:?steps.sh needs work, a scratch directory}"
fails=0
step() { # description command...: runs the command, prints ok/FAIL
	local what=$1
	shift
	if "$@" >"$work/out" 2>&1; then echo "ok   $what"; else
		echo "FAIL $what"; sed 's/^/     /' "$work/out"; fails=$((fails + 1)); fi
}
fails_with() { # description message command...: the command fails and says message
	local what=$1 msg=$2
	shift 2
	if "$@" >"$work/out" 2>&1; then
		echo "FAIL $what: succeeded"; fails=$((fails + 1))
	elif grep -qF -- "$msg" "$work/out"; then echo "ok   $what"; else
		echo "FAIL $what: expected '$msg'"; sed 's/^/     /' "$work/out"; fails=$((fails + 1)); fi
}
same() { # description expected actual
	if [ "$2" = "$3" ]; then echo "ok   $1"; else
		printf 'FAIL %s\n     expected: %q\n     actual:   %q\n' "$1" "$2" "$3"; fails=$((fails + 1)); fi
}
