#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile input and a hostile output directory, for `virtualing verify` and the generator:
# FIFOs where jail files should be (nothing may block), values that would become another
# unit line, control characters in values and file names (escaped in every message),
# names systemd refuses, and an output directory that is read-only, full, out of inodes or
# has a file where a directory must go (exit 1, a message naming the path, no half-written
# drop-in, the other jails still tried). TAP on stdout. Run as root (mounts, in a mount
# namespace of its own).
set -u
ctl=${1:?usage: test-hostile.sh VIRTUALING GENERATOR}
generator=${2:?}

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
        echo "1..0 # SKIP needs root and mount namespaces"
        exit 0
fi

work=$(mktemp -d /tmp/virtualing-hostile.XXXXXX)
trap 'rm -rf "$work"' EXIT
umask 022
export VIRTUALING_PHYSICAL_MEMORY=8589934592
unset SYSTEMD_SCOPE

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - $1"
        shift
        printf '%s\n' "$@" | sed 's/^/# /'
}
# check DESC CONDITION-STATUS [DETAILS…]
check() {
        local d=$1 c=$2
        shift 2
        if [ "$c" -eq 0 ]; then ok "$d"; else notok "$d" "$@"; fi
}
has_control() { LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$1"; }

# ---------------------------------------------------------------- FIFOs
etc=$work/fifo/etc
mkdir -p "$etc/good.conf.d" "$work/fifo/out"
printf '[Jail]\nRoot=/srv/good\nExec=/bin/true\n' >"$etc/good.conf"
printf '[Jail]\nRoot=/srv/other\nExec=/bin/true\n' >"$etc/other.conf"
mkfifo "$etc/fifo.conf" "$etc/good.conf.d/10-fifo.conf"
VIRTUALING_CONFIG_PATH=$etc timeout 10 "$ctl" verify >"$work/out" 2>"$work/err"
rc=$?
check "verify with a FIFO as a jail file and as a drop-in returns (no open() blocks), exit 1" \
        $([ $rc = 1 ]; echo $?) "exit $rc" "$(cat "$work/err")"
check "both FIFOs named: 'not a regular file'" \
        $(grep -qxF "$etc/fifo.conf: not a regular file" "$work/err" &&
          grep -qxF "$etc/good.conf.d/10-fifo.conf: not a regular file" "$work/err"; echo $?) "$(cat "$work/err")"
VIRTUALING_CONFIG_PATH=$etc timeout 10 "$generator" "$work/fifo/out" >"$work/out" 2>"$work/err"
rc=$?
check "the generator returns too, exit 0 (invalid jails are warnings)" $([ $rc = 0 ]; echo $?) "exit $rc" "$(cat "$work/err")"
check "the generator skips the jails of the FIFOs and writes the other" \
        $([ "$(ls "$work/fifo/out")" = "virtualing@other.service.d" ]; echo $?) "$(ls -R "$work/fifo/out")"

# ---------------------------------------------------------------- values that would be another line
etc=$work/values/etc
mkdir -p "$etc" "$work/values/out"
j() { printf '[Jail]\nRoot=/srv/%s\nExec=/bin/true\n' "$1"; }
{ j cr; printf '[Resources]\nIOWriteBandwidthMax="/dev/x\rExecStartPre=/bin/touch /tmp/p" 1M\n'; } >"$etc/cr.conf"
# a backslash and an n are two characters of a path, not a newline: written back quoted
{ j lf; printf '[Resources]\nIOWriteBandwidthMax="/dev/x\\\\nExecStartPre=/bin/touch" 1M\n'; } >"$etc/lf.conf"
{ j utf; printf '[Resources]\nIOReadBandwidthMax=/dev/disk/by-label/\377\376 1M\n'; } >"$etc/utf.conf"
{ j esc; printf 'Environment=A=\033[2J\n'; } >"$etc/esc.conf"
# a unit name of 250 characters: its .wants directory would have a name of 256
{ j long; printf '[Install]\nWantedBy=%s.target\n' "$(printf 'w%.0s' $(seq 1 243))"; } >"$etc/long.conf"
{ j ok249; printf '[Install]\nWantedBy=%s.target\n' "$(printf 'w%.0s' $(seq 1 242))"; } >"$etc/ok249.conf"
{ j pct; printf '[Resources]\nIOReadBandwidthMax=/dev/disk/by-label/50%% 1M\n'; } >"$etc/pct.conf"
for name in cr utf esc long; do
        VIRTUALING_CONFIG_PATH=$etc "$ctl" verify "$name" >"$work/out" 2>"$work/err"
        rc=$?
        check "verify $name: refused (exit 1) with FILE:LINE" \
                $([ $rc = 1 ] && grep -q "^$etc/$name.conf:[0-9]*: " "$work/err"; echo $?) "exit $rc" "$(cat -v "$work/err")"
        check "verify $name: the message holds no control character" \
                $(! has_control "$work/err"; echo $?) "$(cat -v "$work/err")"
done
check "the carriage return is named as 0x0d" \
        $(VIRTUALING_CONFIG_PATH=$etc "$ctl" verify cr 2>&1 | grep -qF 'control character 0x0d'; echo $?)
check "the ESC of ESC [2J is named as 0x1b" \
        $(VIRTUALING_CONFIG_PATH=$etc "$ctl" verify esc 2>&1 | grep -qF 'control character 0x1b'; echo $?)
check "a WantedBy= unit name of 250 characters is refused (UNIT.wants would be 256)" \
        $(VIRTUALING_CONFIG_PATH=$etc "$ctl" verify long 2>&1 | grep -q "long.conf:5: \[Install\] WantedBy=.*at most 249 characters"; echo $?)
check "one of 249 characters is accepted" $(VIRTUALING_CONFIG_PATH=$etc "$ctl" verify ok249 >/dev/null 2>&1; echo $?)
check "'%' in a device path is refused (systemd would read a specifier)" \
        $(VIRTUALING_CONFIG_PATH=$etc "$ctl" verify pct 2>&1 | grep -q "pct.conf:5: .*contains '%'"; echo $?)
VIRTUALING_CONFIG_PATH=$etc "$generator" "$work/values/out" >"$work/out" 2>"$work/err"
rc=$?
check "the generator: exit 0, a warning per refused jail" \
        $([ $rc = 0 ] && [ "$(grep -c 'ignoring jail' "$work/err")" = 5 ]; echo $?) "exit $rc" "$(cat -v "$work/err")"
check "its warnings hold no control character" $(! has_control "$work/err"; echo $?) "$(cat -v "$work/err")"
check "nothing it wrote has an ExecStartPre= line from a value" \
        $(! grep -rq "^ExecStartPre=/bin/touch" "$work/values/out"; echo $?)
check "the path with a backslash and an n is one quoted word on one line" \
        $(grep -qxF 'IOWriteBandwidthMax="/dev/x\\nExecStartPre=/bin/touch" 1048576' \
                "$work/values/out/virtualing@lf.service.d/10-virtualing.conf"; echo $?) \
        "$(cat "$work/values/out/virtualing@lf.service.d/10-virtualing.conf" 2>&1)"
check "only the valid jails got a drop-in, and a .wants link (a directory name of 255 characters)" \
        $([ "$(cd "$work/values/out" && find . -mindepth 1 | LC_ALL=C sort | tr '\n' ' ')" = \
            "./virtualing@lf.service.d ./virtualing@lf.service.d/10-virtualing.conf ./virtualing@ok249.service.d ./virtualing@ok249.service.d/10-virtualing.conf ./$(printf 'w%.0s' $(seq 1 242)).target.wants ./$(printf 'w%.0s' $(seq 1 242)).target.wants/virtualing@ok249.service " ]; echo $?) \
        "$(cd "$work/values/out" && find . -mindepth 1 | sort)"

# file names with control characters: a jail name they cannot be; escaped when named
etc=$work/names/etc
mkdir -p "$etc"
j x >"$etc/$(printf 'bad\033[2Jname').conf"
j y >"$etc/$(printf 'cr\rname').conf"
VIRTUALING_CONFIG_PATH=$etc "$ctl" verify >"$work/out" 2>"$work/err"
rc=$?
check "verify: file names with ESC and CR are reported (exit 1), escaped" \
        $([ $rc = 1 ] && grep -qF 'bad\x1b[2Jname.conf' "$work/err" && grep -qF 'cr\x0dname.conf' "$work/err" &&
          ! has_control "$work/err"; echo $?) "exit $rc" "$(cat -v "$work/err")"
mkdir -p "$work/names/out"
VIRTUALING_CONFIG_PATH=$etc "$generator" "$work/names/out" >"$work/out" 2>"$work/err"
check "the generator names them escaped too, and writes nothing for them" \
        $(grep -qF 'bad\x1b[2Jname' "$work/err" && ! has_control "$work/err" &&
          [ -z "$(ls "$work/names/out")" ]; echo $?) "$(cat -v "$work/err")"
VIRTUALING_CONFIG_PATH=$etc "$ctl" cat "$(printf 'bad\033[2Jname')" >"$work/out" 2>"$work/err"
check "cat of such a name: refused as not a jail name, escaped" \
        $(! has_control "$work/err" && ! has_control "$work/out"; echo $?) "$(cat -v "$work/err")"

# ---------------------------------------------------------------- a hostile output directory
etc=$work/outdir/etc
mkdir -p "$etc"
{ j small; printf '[Install]\nWantedBy=multi-user.target\n'; } >"$etc/small.conf"
{ j big; printf '[Resources]\n'; for i in $(seq 1 600); do printf 'IOReadBandwidthMax=/dev/disk/by-id/disk-%04d 1M\n' "$i"; done; } \
        >"$etc/big.conf"
mkdir -p "$work/outdir/ref"
VIRTUALING_CONFIG_PATH=$etc "$generator" "$work/outdir/ref" 2>"$work/err"
check "reference run: both jails written" \
        $([ -s "$work/outdir/ref/virtualing@big.service.d/10-virtualing.conf" ] &&
          [ -L "$work/outdir/ref/multi-user.target.wants/virtualing@small.service" ]; echo $?) "$(cat "$work/err")"

# every file in DIR is one the reference run wrote, whole; no temporary file is left
whole_or_absent() { # whole_or_absent DIR [PLANTED]: PLANTED (and "fill") were put there by the test
        local f rel
        while IFS= read -r f; do
                rel=${f#"$1"/}
                [ "$rel" = fill ] || [ "$rel" = "${2:-}" ] && continue
                if [ -f "$f" ] && [ ! -L "$f" ]; then
                        cmp -s "$f" "$work/outdir/ref/$rel" || { echo "differs: $rel"; return 1; }
                elif [ -L "$f" ]; then
                        [ "$(readlink "$f")" = "$(readlink "$work/outdir/ref/$rel")" ] || { echo "link: $rel"; return 1; }
                elif [ -d "$f" ]; then
                        [ -d "$work/outdir/ref/$rel" ] || { echo "dir: $rel"; return 1; }
                        # a directory left behind must hold what it is for
                        [ -n "$(ls -A "$f")" ] || { echo "empty dir: $rel"; return 1; }
                else
                        echo "unexpected: $rel"
                        return 1
                fi
        done < <(find "$1" -mindepth 1)
}

# the scenario runs in a mount namespace: SETUP is a shell snippet that prepares $out
outdir_case() { # outdir_case DESC SETUP EXPECTED-MESSAGE [PLANTED]
        local out=$work/outdir/case
        rm -rf "$out"
        mkdir -p "$out"
        unshare -m --propagation private bash -c '
                set -u
                out=$1 etc=$2 generator=$3 setup=$4
                eval "$setup" || exit 99
                VIRTUALING_CONFIG_PATH=$etc "$generator" "$out" >'"$work"'/out 2>'"$work"'/err
                echo $? >'"$work"'/rc
                ls -A "$out" >/dev/null
                # copy what is visible, for the checks outside the namespace
                cp -a "$out" '"$work"'/outdir/seen 2>/dev/null || mkdir -p '"$work"'/outdir/seen
        ' _ "$out" "$etc" "$generator" "$2"
        local rc
        rc=$(cat "$work/rc" 2>/dev/null)
        check "$1: exit 1" $([ "$rc" = 1 ]; echo $?) "exit ${rc:-none}" "$(cat -v "$work/err")"
        check "$1: the message names the path and says why" $(grep -qF "$3" "$work/err"; echo $?) \
                "expected: $3" "$(cat -v "$work/err")"
        local w
        w=$(whole_or_absent "$work/outdir/seen" "${4:-}")
        check "$1: no half-written drop-in, no stray directory or link" $([ -z "$w" ]; echo $?) "$w" \
                "$(cd "$work/outdir/seen" && find . -mindepth 1 -not -name fill | sort)"
        rm -rf "$work/outdir/seen" "$work/rc"
}

outdir_case "a read-only output directory" 'mount --bind "$out" "$out" && mount -o remount,bind,ro "$out"' \
        "Read-only file system, ignoring jail"
outdir_case "a full output directory" \
        'mount -t tmpfs -o size=64k tmpfs "$out" && { dd if=/dev/zero of="$out/fill" bs=4k 2>/dev/null; rm -f "$out/fill"; dd if=/dev/zero of="$out/fill" bs=4k count=13 2>/dev/null; }' \
        "No space left on device, ignoring jail big"
outdir_case "an output directory out of inodes" 'mount -t tmpfs -o nr_inodes=3 tmpfs "$out"' \
        "No space left on device, ignoring jail"
outdir_case "a file where multi-user.target.wants must be a directory" ': >"$out/multi-user.target.wants"' \
        "multi-user.target.wants/virtualing@small.service: Not a directory, ignoring jail small" multi-user.target.wants

echo "1..$n"
[ $failed -eq 0 ]
