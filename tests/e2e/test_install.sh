#!/usr/bin/env bash
# `make install` (PREFIX, DESTDIR) and what it installs: the binaries run, every manual page
# renders without a warning and lists the flags of its command's --help, the bash completion
# completes commands, subcommands and flags, the systemd units pass `systemd-analyze verify`,
# the sysusers.d file makes the "stride" user; `make uninstall` removes it all.
source "$(dirname "$0")/lib.sh"

for c in make groff man systemd-analyze systemd-sysusers; do
	command -v "$c" >/dev/null || {
		echo "$c is missing (scripts/deps.sh installs it)" >&2
		exit 1
	}
done
BUILD_DIR=$(cd "$(dirname "$STRIDE_BIN")" && pwd)
# make_install DESTDIR PREFIX: the Makefile's install on this build (built already: a no-op
# build step).
make_install() {
	timeout 120 make -s -C "$STRIDE_SRC" install BUILD="$BUILD_DIR" JOBS=2 DESTDIR="$1" \
		PREFIX="$2" >"$WORK/install.log" 2>&1
}

# --- DESTDIR with the default prefix: the layout
DEST="$WORK/dest"
check "make install DESTDIR=... (PREFIX /usr/local)" make_install "$DEST" /usr/local
P="$DEST/usr/local"
expect_eq "the files outside the manual" "$(printf '%s\n' \
	bin/stride bin/stride-ca lib/systemd/system/stride-ca.service \
	lib/systemd/system/stride-renew@.service lib/systemd/system/stride-renew@.timer \
	lib/sysusers.d/stride.conf share/bash-completion/completions/stride)" \
	"$(cd "$P" && find . -type f -not -path './share/man/*' | sed 's|^\./||' | sort)"
expect_eq "nothing outside the prefix" "usr" "$(ls "$DEST")"
for page in man1/stride.1 man1/stride-ca-certificate.1 man1/stride-ca-renew.1 \
	man1/stride-certificate-needs-renewal.1 man1/stride-ssh-certificate.1 \
	man1/stride-ca-provisioner-add.1 man1/stride-version.1 man8/stride-ca.8; do
	[[ -f $P/share/man/$page ]] && pass "installed $page" || fail "no $page"
done
expect_eq "no page for a group" "" "$(ls "$P/share/man/man1" | grep -xE 'stride-(ca|ssh|ca-provisioner)\.1')"
expect_eq "the installed stride runs" "stride/" "$("$P/bin/stride" version | head -c 7)"
expect_eq "the installed stride-ca runs" "stride-ca 0.1.0" "$("$P/bin/stride-ca" --version)"
expect_contains "the unit runs the installed stride-ca" \
	"ExecStart=/usr/local/bin/stride-ca --password-file=%d/password" \
	"$(cat "$P/lib/systemd/system/stride-ca.service")"
expect_contains "the renewal unit's condition" \
	"ExecCondition=/usr/local/bin/stride certificate needs-renewal \${CERT_LOCATION}" \
	"$(cat "$P/lib/systemd/system/stride-renew@.service")"

# --- the manual pages: no groff warning (all at once), and each lists its command's flags
w=$(cd "$P/share/man" && LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z man1/*.1 man8/*.8 2>&1)
expect_eq "every page renders without a warning" "" "$w"
npages=$(ls "$P"/share/man/man1 | wc -l)
((npages > 40)) && pass "$npages pages in man1" || fail "only $npages pages in man1"
# unroff FILE: the page's source without roff's escapes.
unroff() { sed -e 's/\\-/-/g; s/\\f[BIR]//g' "$1"; }
missing=""
nohelp=""
nchecked=0
# One pass over the sources: "page<TAB>command words" (from the SYNOPSIS line after ".ad l")
# and "page<TAB>--flag" for every flag a page names.
awk 'FNR == 1 { page = FILENAME; sub(/.*\//, "", page); sub(/\.1$/, "", page) }
	prev == ".ad l" { l = $0; gsub(/\\-/, "-", l); gsub(/\\f[BIR]/, "", l); sub(/^stride /, "", l)
		sub(/ [<[].*/, "", l); print page "\tcmd\t" l }
	{ prev = $0; l = $0; gsub(/\\-/, "-", l); gsub(/\\f[BIR]/, "", l)
		while (match(l, /--[a-z0-9-]+/)) { print page "\tflag\t" substr(l, RSTART, RLENGTH)
			l = substr(l, RSTART + RLENGTH) } }' "$P"/share/man/man1/stride-*.1 >"$WORK/pages.tsv"
declare -A have=()
while IFS=$'\t' read -r page kind words; do
	[[ $kind == flag ]] && have["$page $words"]=1
done <"$WORK/pages.tsv"
while IFS=$'\t' read -r page kind words; do
	[[ $kind == cmd ]] || continue
	# The ~80 policy rule pages come from the same few flag tables: their view pages stand
	# for them (one --help costs a process start, slow under the sanitizers).
	[[ $page == stride-ca-policy-* && $page != *-view ]] && continue
	read -r -a cmd <<<"$words"
	if ! help=$("$STRIDE_BIN" "${cmd[@]}" --help 2>&1) || [[ $help != *"stride ${cmd[*]} -- "* ]]; then
		nohelp+="$page (${cmd[*]}) "
		continue
	fi
	while IFS= read -r line; do
		[[ $line =~ ^\ {6}(--[a-z0-9-]+) ]] || continue
		nchecked=$((nchecked + 1))
		[[ -n ${have["$page ${BASH_REMATCH[1]}"]:-} ]] || missing+="$page: ${BASH_REMATCH[1]} "
	done <<<"$help"
done <"$WORK/pages.tsv"
((npages == $(grep -c '	cmd	' "$WORK/pages.tsv") + 1)) && pass "every page has a command" ||
	fail "pages without a SYNOPSIS: $(cut -f1,2 "$WORK/pages.tsv" | sort -u | grep -c cmd)"
expect_eq "every page names a command with a usage page" "" "$nohelp"
expect_eq "every page has the flags of its --help" "" "$missing"
((nchecked > 150)) && pass "$nchecked flags checked" || fail "only $nchecked flags checked"
text=$(MANWIDTH=200 man -l "$P/share/man/man8/stride-ca.8" 2>&1 | col -b)
for flag in $("$STRIDE_CA_BIN" --help | sed -nE 's/^  (--[a-z0-9-]+).*/\1/p'); do
	[[ $text == *"$flag"* ]] || missing+="stride-ca.8: $flag "
done
expect_eq "man -l stride-ca.8 has the flags of stride-ca --help" "" "$missing"
expect_contains "stride-ca(8) NAME" "stride-ca - the stride online certificate authority" "$text"
text=$(MANWIDTH=200 man -l "$P/share/man/man1/stride-certificate-needs-renewal.1" 2>&1 | col -b)
expect_contains "man -l needs-renewal: the synopsis" \
	"stride certificate needs-renewal <crt-file|https://host[:port]> [--expires-in=percent|duration] [--bundle] [--roots=root-bundle] [--servername=name] [--verbose]" \
	"$text"
expect_contains "stride(1) lists needs-renewal" "stride certificate needs-renewal" \
	"$(unroff "$P/share/man/man1/stride.1")"

# --- bash completion, driven through COMP_WORDS as bash does
complete_words() { # WORDS...: what <TAB> after them offers (the last word is the one typed)
	bash --norc --noprofile -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
		_stride
		echo "${COMPREPLY[*]}"' _ "$P/share/bash-completion/completions/stride" "$@"
}
expect_eq "complete -p" "complete -o bashdefault -o default -F _stride stride" \
	"$(bash --norc --noprofile -c 'source "$1"; complete -p stride' _ \
		"$P/share/bash-completion/completions/stride")"
expect_eq "stride <TAB>" "ca ssh certificate version path help" "$(complete_words stride "")"
expect_eq "stride ca ce<TAB>" "certificate" "$(complete_words stride ca ce)"
expect_eq "stride ca re<TAB>" "renew rekey revoke" "$(complete_words stride ca re)"
expect_eq "stride ca provisioner <TAB>" "list jwe-key add update remove webhook" \
	"$(complete_words stride ca provisioner "")"
expect_eq "stride certificate needs-renewal --<TAB>" "--expires-in --bundle --roots --servername --verbose --help" \
	"$(complete_words stride certificate needs-renewal --)"
expect_eq "stride ca renew --ex<TAB>" "--expires-in --exec" "$(complete_words stride ca renew --ex)"
expect_eq "flags after a positional" "--force" "$(complete_words stride ca renew a.crt --fo)"
expect_eq "a flag's value: files (the default)" "" "$(complete_words stride ca renew --out "")"
expect_eq "a positional: files (the default)" "" "$(complete_words stride ca renew "")"

# --- the systemd units: verified as installed, but naming the binaries where they are in DESTDIR
# (verify checks that ExecStart= and ExecCondition= are executables) and with the pages in
# MANPATH (it checks Documentation=man:...).
U="$WORK/units"
mkdir -p "$U"
for unit in stride-ca.service stride-renew@.service stride-renew@.timer; do
	sed "s|/usr/local/bin/|$P/bin/|g" "$P/lib/systemd/system/$unit" >"$U/$unit"
done
if MANPATH="$P/share/man" timeout 60 systemd-analyze verify "$U/stride-ca.service" \
	"$U/stride-renew@.service" "$U/stride-renew@.timer" >"$WORK/verify.out" 2>&1; then
	expect_eq "systemd-analyze verify: no message" "" "$(cat "$WORK/verify.out")"
else
	fail "systemd-analyze verify: $(cat "$WORK/verify.out")"
fi
expect_eq "the stride-ca unit" "notify stride /bin/kill -HUP \$MAINPID" \
	"$(sed -nE 's/^Type=(.*)/\1/p; s/^User=(.*)/\1/p; s/^ExecReload=(.*)/\1/p' "$U/stride-ca.service" | tr '\n' ' ' | sed 's/ $//')"
mkdir -p "$WORK/sysroot/etc"
check "systemd-sysusers accepts stride.conf" \
	systemd-sysusers --root="$WORK/sysroot" "$P/lib/sysusers.d/stride.conf"
expect_eq "it makes the stride user" "stride:/var/lib/stride" \
	"$(cut -d: -f1,6 "$WORK/sysroot/etc/passwd" 2>/dev/null)"

# --- uninstall
check "make uninstall" timeout 120 make -s -C "$STRIDE_SRC" uninstall BUILD="$BUILD_DIR" \
	JOBS=2 DESTDIR="$DEST" PREFIX=/usr/local
expect_eq "nothing left" "" "$(find "$DEST" -type f)"
finish
