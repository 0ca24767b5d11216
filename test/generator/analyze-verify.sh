#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# systemd-analyze verify over every unit the generator makes from the golden inputs,
# together with the template and slice as installed: it must print nothing.
# systemd-analyze insists that ExecStart= binaries exist: the installed helper path is
# pointed at STAND_IN, the helper of this build.
set -u
generator=$(realpath "${1:?usage: analyze-verify.sh GENERATOR TEMPLATE SLICE HELPER_PATH STAND_IN [TESTDIR]}")
template=$(realpath "${2:?}")
slice=$(realpath "${3:?}")
helper=${4:?}
stand_in=$(realpath "${5:?}")
testdir=${6:-$(dirname "$0")}

if ! command -v systemd-analyze >/dev/null; then
        echo "1..0 # SKIP systemd-analyze is not installed"
        exit 0
fi

work=$(mktemp -d /tmp/virtualing-verify.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/units"
sed "s|$helper|$stand_in|g" "$template" >"$work/units/virtualing@.service"
cp "$slice" "$work/units/"

n=0
failed=0
for case_in in "$testdir"/test-*.input; do
        rm -rf "$work/in" "$work/out"
        cp -a "$case_in" "$work/in"
        chmod -R go-w "$work/in"
        mkdir "$work/out"
        VIRTUALING_PHYSICAL_MEMORY=8589934592 env -u SYSTEMD_SCOPE \
                VIRTUALING_CONFIG_PATH="$work/in/etc:$work/in/run:$work/in/usr-local-lib:$work/in/usr-lib" \
                "$generator" "$work/out" 2>/dev/null
        for d in "$work"/out/virtualing@*.service.d; do
                [ -d "$d" ] || continue
                unit=$(basename "$d" .d)
                rm -rf "$work/units/$unit.d"
                mkdir "$work/units/$unit.d"
                sed "s|$helper|$stand_in|g" "$d/10-virtualing.conf" >"$work/units/$unit.d/10-virtualing.conf"
                n=$((n + 1))
                out=$(cd "$work" && SYSTEMD_UNIT_PATH="$work/units:" SYSTEMD_LOG_LEVEL=info \
                        systemd-analyze verify --man=no "$unit" 2>&1)
                rc=$?
                if [ $rc -eq 0 ] && [ -z "$out" ]; then
                        echo "ok $n - $(basename "$case_in" .input): $unit verifies cleanly"
                else
                        echo "not ok $n - $(basename "$case_in" .input): $unit (exit $rc)"
                        echo "$out" | sed 's/^/# /'
                        failed=$((failed + 1))
                fi
                rm -rf "$work/units/$unit.d"
        done
done
echo "1..$n"
[ $failed -eq 0 ]
