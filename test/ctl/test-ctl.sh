#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# virtualing verify / cat as an administrator uses them: exit statuses and messages.
set -u
ctl=${1:?usage: test-ctl.sh VIRTUALING}

work=$(mktemp -d /tmp/virtualing-ctl.XXXXXX)
trap 'rm -rf "$work"' EXIT
umask 022
export VIRTUALING_CONFIG_PATH="$work/etc:$work/lib"
mkdir -p "$work/etc" "$work/lib/web.conf.d" "$work/etc/web.conf.d" "$work/files/solo.conf.d"

n=0
failed=0
check() { # check NAME CONDITION-EXIT-STATUS
        n=$((n + 1))
        if [ "$2" -eq 0 ]; then
                echo "ok $n - $1"
        else
                echo "not ok $n - $1"
                sed 's/^/# /' "$work/out" "$work/err" 2>/dev/null
                failed=$((failed + 1))
        fi
}
run() { "$ctl" "$@" >"$work/out" 2>"$work/err"; echo $?; }

printf '[Jail]\nRoot=/srv/web\nExec=/bin/true\n[Resources]\nMemoryMax=1G\n' >"$work/lib/web.conf"
printf '[Resources]\nTasksMax=10\n' >"$work/lib/web.conf.d/10-tasks.conf"
printf '[Resources]\nMemoryMax=2G\n' >"$work/etc/web.conf.d/20-mem.conf"
printf '[Jail]\nRoot=/srv/db\nExec=/bin/true\n' >"$work/etc/db.conf"

rc=$(run verify)
check "verify of valid jails exits 0" $([ "$rc" = 0 ] && [ ! -s "$work/out" ] && [ ! -s "$work/err" ]; echo $?)
rc=$(run verify web)
check "verify NAME exits 0 and prints nothing" $([ "$rc" = 0 ] && [ ! -s "$work/err" ]; echo $?)

printf '[Jail]\nRoot=/srv/bad\nExec=/bin/true\n[Resources]\nCPUQuota=30000\n' >"$work/etc/bad.conf"
rc=$(run verify)
check "verify with a bad jail exits 1" $([ "$rc" = 1 ]; echo $?)
check "message names file:line, section, key and value" \
        $(grep -qxF "$work/etc/bad.conf:5: [Resources] CPUQuota=30000: expected a percentage above 0, such as 30% or 150%" "$work/err"; echo $?)
rc=$(run verify web bad db)
check "verify of several names fails if one is bad" $([ "$rc" = 1 ] && [ "$(wc -l <"$work/err")" = 1 ]; echo $?)

printf '[Resources]\nMemoryMax=huge\n' >"$work/etc/web.conf.d/30-bad.conf"
rc=$(run verify web)
check "a bad drop-in is reported at its own path" \
        $([ "$rc" = 1 ] && grep -q "web.conf.d/30-bad.conf:2: \[Resources\] MemoryMax=huge" "$work/err"; echo $?)
rm "$work/etc/web.conf.d/30-bad.conf"

rc=$(run verify nosuch)
check "verify of an unknown jail exits 4" $([ "$rc" = 4 ] && grep -q "No jail nosuch found" "$work/err"; echo $?)
ln -s /dev/null "$work/etc/gone.conf"
rc=$(run verify gone)
check "verify of a masked jail exits 4" $([ "$rc" = 4 ] && grep -q "masked" "$work/err"; echo $?)
rc=$(run verify 'bad/../name')
check "verify of a missing FILE fails with its path" $([ "$rc" != 0 ] && grep -q "bad/../name" "$work/err"; echo $?)

printf '[Jail]\nRoot=/srv/solo\nExec=/bin/true\n' >"$work/files/solo.conf"
printf '[Jail]\nExec=relative\n' >"$work/files/solo.conf.d/x.conf"
rc=$(run verify "$work/files/solo.conf")
check "verify FILE applies drop-ins beside it" \
        $([ "$rc" = 1 ] && grep -q "solo.conf.d/x.conf:2: \[Jail\] Exec=relative: the command must be an absolute path" "$work/err"; echo $?)
rm "$work/files/solo.conf.d/x.conf"
rc=$(run verify "$work/files/solo.conf")
check "verify FILE of a good file exits 0" $([ "$rc" = 0 ]; echo $?)

rc=$(run cat web)
cat >"$work/want" <<EOT
# $work/lib/web.conf
[Jail]
Root=/srv/web
Exec=/bin/true
[Resources]
MemoryMax=1G

# $work/lib/web.conf.d/10-tasks.conf
[Resources]
TasksMax=10

# $work/etc/web.conf.d/20-mem.conf
[Resources]
MemoryMax=2G
EOT
check "cat shows the main file then drop-ins in order, with paths" \
        $([ "$rc" = 0 ] && diff -u "$work/want" "$work/out" >"$work/err"; echo $?)
rc=$(run cat nosuch)
check "cat of an unknown jail exits 4" $([ "$rc" = 4 ]; echo $?)
rc=$(run cat)
check "cat without a name is a usage error (2)" $([ "$rc" = 2 ]; echo $?)

# properties: what systemd will report for the unit, text and JSON
mkdir -p "$work/etc/50%"
printf '[Jail]\nRoot=/srv/io\nExec=/bin/true\n[Resources]\nCPUQuota=21474836.47%%\nMemoryMax=1G\nTasksMax=infinity\n%s\n' \
        'IOReadBandwidthMax="/dev/disk/by-label/my \"disk\"" 1M' 'IOReadBandwidthMax=8:0 2M' \
        'IOWriteIOPSMax=/dev/zero 5K' 'IOWriteIOPSMax=/dev/null 1' 'IOWriteIOPSMax=/dev/zero 6K' \
        'IOWriteIOPSMax=/dev/null infinity' 'IOReadIOPSMax=/dev/zero 7' >"$work/etc/50%/io.conf"
rc=$(run properties "$work/etc/50%/io.conf")
cat >"$work/want" <<EOT
Description=virtualing jail io
SourcePath=$work/etc/50%/io.conf
CPUQuotaPerSecUSec=214748364700
MemoryMax=1073741824
TasksMax=18446744073709551615
IOReadBandwidthMax=/dev/disk/by-label/my "disk" 1048576
IOReadBandwidthMax=/dev/block/8:0 2097152
IOReadIOPSMax=/dev/zero 7
IOWriteIOPSMax=/dev/zero 6144
EOT
check "properties FILE: PROPERTY=VALUE lines; IO one per device, its last limit, none for infinity" \
        $([ "$rc" = 0 ] && diff -u "$work/want" "$work/out" >"$work/err"; echo $?)
rc=$(run properties "$work/etc/50%/io.conf" --json)
check "properties --json: busctl's type and data for each property, with its interface" \
        $([ "$rc" = 0 ] && python3 - "$work/out" "$work" >"$work/err" 2>&1 <<'EOT'; echo $?)
import json, sys
got = json.load(open(sys.argv[1]))
s, u = 'org.freedesktop.systemd1.Service', 'org.freedesktop.systemd1.Unit'
want = {
    'Description': {'interface': u, 'type': 's', 'data': 'virtualing jail io'},
    'SourcePath': {'interface': u, 'type': 's', 'data': sys.argv[2] + '/etc/50%/io.conf'},
    'CPUQuotaPerSecUSec': {'interface': s, 'type': 't', 'data': 214748364700},
    'MemoryMax': {'interface': s, 'type': 't', 'data': 1073741824},
    'TasksMax': {'interface': s, 'type': 't', 'data': 18446744073709551615},
    'IOReadBandwidthMax': {'interface': s, 'type': 'a(st)',
                           'data': [['/dev/disk/by-label/my "disk"', 1048576], ['/dev/block/8:0', 2097152]]},
    'IOReadIOPSMax': {'interface': s, 'type': 'a(st)', 'data': [['/dev/zero', 7]]},
    'IOWriteIOPSMax': {'interface': s, 'type': 'a(st)', 'data': [['/dev/zero', 6144]]},
}
if got != want:
    print('got ', got)
    print('want', want)
    sys.exit(1)
EOT
rc=$(run properties db --json)
check "properties of a jail without resources: Description and SourcePath only" \
        $([ "$rc" = 0 ] && [ "$(cat "$work/out")" = "{\"Description\":{\"interface\":\"org.freedesktop.systemd1.Unit\",\"type\":\"s\",\"data\":\"virtualing jail db\"},\"SourcePath\":{\"interface\":\"org.freedesktop.systemd1.Unit\",\"type\":\"s\",\"data\":\"$work/etc/db.conf\"}}" ]; echo $?)
rc=$(run properties bad)
check "properties of an invalid jail: exit 1 and its problems" \
        $([ "$rc" = 1 ] && grep -q "bad.conf:5: \[Resources\] CPUQuota=30000" "$work/err" && [ ! -s "$work/out" ]; echo $?)
rc=$(run properties nosuch)
check "properties of an unknown jail exits 4" $([ "$rc" = 4 ]; echo $?)
rc=$(run properties)
check "properties without a name is a usage error (2)" $([ "$rc" = 2 ]; echo $?)

rc=$(run --help)
check "--help exits 0 and lists the commands" \
        $([ "$rc" = 0 ] && grep -q verify "$work/out" && grep -q cat "$work/out"; echo $?)
rc=$(run verify --help)
check "verify --help" $([ "$rc" = 0 ] && grep -q "verify \[NAME|FILE" "$work/out"; echo $?)
rc=$(run frobnicate)
check "an unknown command exits 2" $([ "$rc" = 2 ] && grep -q "Unknown command" "$work/err"; echo $?)
rc=$(run)
check "no command exits 2" $([ "$rc" = 2 ]; echo $?)

echo "1..$n"
[ $failed -eq 0 ]
