#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every jail of examples/ passes "virtualing verify" (by name, by file, all at
# once) and the generator turns it into a unit drop-in. As root the ownership
# checks apply too, hooks included: the examples are copied into a root-owned
# directory first, so the checkout's own ownership does not matter. Prints TAP.
# Usage: test-examples.sh VIRTUALING [VIRTUALING-GENERATOR [EXAMPLES_DIR]]
set -u
ctl=${1:?usage: test-examples.sh VIRTUALING [VIRTUALING-GENERATOR [EXAMPLES_DIR]]}
gen=${2:-}
src=${3:-$(cd "$(dirname "$0")/../../examples" && pwd)}

work=$(mktemp -d /tmp/virtualing-examples.XXXXXX)
trap 'rm -rf "$work"' EXIT
umask 022

n=0
failed=0
check() { # check DESCRIPTION EXIT-STATUS-OF-THE-CONDITION
        n=$((n + 1))
        if [ "$2" -eq 0 ]; then
                echo "ok $n - $1"
        else
                echo "not ok $n - $1"
                sed 's/^/# /' "$work/out" "$work/err" 2>/dev/null
                failed=$((failed + 1))
        fi
}
run() { "$@" >"$work/out" 2>"$work/err"; echo $?; }

# the jail files only: *.conf directly in examples/ (web-root/ and the like
# hold the jails' own files, not jails)
mkdir "$work/examples"
names=()
for f in "$src"/*.conf; do
        [ -f "$f" ] || continue
        install -m 0644 "$f" "$work/examples/"
        names+=("$(basename "$f" .conf)")
done
export VIRTUALING_CONFIG_PATH=$work/examples

if [ "$(id -u)" = 0 ]; then
        echo "# as root: ownership and hook checks apply"
else
        echo "# not root: ownership and hook checks are skipped by virtualing"
fi

: >"$work/out"; : >"$work/err"
check "at least three example jails (${names[*]})" $([ ${#names[@]} -ge 3 ]; echo $?)

for name in "${names[@]}"; do
        f=$work/examples/$name.conf
        rc=$(run "$ctl" verify "$name")
        check "verify $name exits 0 and prints nothing" $([ "$rc" = 0 ] && [ ! -s "$work/err" ]; echo $?)
        rc=$(run "$ctl" verify "$f")
        check "verify $name.conf by file exits 0" $([ "$rc" = 0 ] && [ ! -s "$work/err" ]; echo $?)
        rc=$(run "$ctl" cat "$name")
        check "cat $name shows the file" $([ "$rc" = 0 ] && grep -q '^\[Jail\]' "$work/out"; echo $?)
        check "$name.conf explains itself in comments (at least 5 comment lines)" \
                $([ "$(grep -c '^#' "$f")" -ge 5 ]; echo $?)
        check "$name.conf uses documentation addresses only" \
                $(! grep -E '^Address=' "$f" | grep -vqE '^Address=(192\.0\.2\.|198\.51\.100\.|203\.0\.113\.|2001:db8:)'; echo $?)
        # every hook is an absolute path that exists on this machine
        bad=$(sed -nE 's/^On[A-Za-z]+=([^ ]*).*/\1/p' "$f" | while read -r hook; do
                [ -x "$hook" ] || echo "$hook"; done)
        echo "$bad" >"$work/err"; : >"$work/out"
        check "$name.conf: every hook exists and is executable" $([ -z "$bad" ]; echo $?)
done

rc=$(run "$ctl" verify)
check "verify of the whole examples directory exits 0" $([ "$rc" = 0 ] && [ ! -s "$work/err" ]; echo $?)

# The above is not vacuous: the same files with one mistake are refused.
mkdir "$work/broken"
cp "$work/examples/${names[0]}.conf" "$work/broken/"
printf '[Resources]\nCPUQuota=30000\n' >>"$work/broken/${names[0]}.conf"
rc=$(VIRTUALING_CONFIG_PATH=$work/broken run "$ctl" verify "${names[0]}")
check "a broken copy of ${names[0]}.conf is refused" $([ "$rc" != 0 ] && grep -q 'CPUQuota' "$work/err"; echo $?)
if [ "$(id -u)" = 0 ]; then
        chmod g+w "$work/broken/${names[0]}.conf"
        sed -i '$d' "$work/broken/${names[0]}.conf"; sed -i '$d' "$work/broken/${names[0]}.conf"
        rc=$(VIRTUALING_CONFIG_PATH=$work/broken run "$ctl" verify "${names[0]}")
        check "as root, a group-writable copy is refused" $([ "$rc" != 0 ]; echo $?)
fi

if [ -n "$gen" ]; then
        mkdir -p "$work/gen/normal" "$work/gen/early" "$work/gen/late"
        rc=$(run "$gen" "$work/gen/normal" "$work/gen/early" "$work/gen/late")
        check "the generator accepts every example without a warning" \
                $([ "$rc" = 0 ] && [ ! -s "$work/err" ]; echo $?)
        for name in "${names[@]}"; do
                d=$work/gen/normal/virtualing@$name.service.d/10-virtualing.conf
                cp "$d" "$work/out" 2>/dev/null; : >"$work/err"
                check "the generator wrote the drop-in of $name" $([ -s "$d" ]; echo $?)
        done
fi

echo "1..$n"
[ "$failed" = 0 ]
