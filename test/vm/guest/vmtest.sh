#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The end-to-end scenarios, run inside the disposable VM by virtualing-vmtest.service
# on real systemd with cgroup v2, as root. TAP goes to the second serial port
# (/dev/ttyS1), which test/vm/run.sh reads on the host; the console (ttyS0) has the
# boot log. When done (or on any exit) it powers the VM off.
#
# The kernel command line chooses what runs: virtualing.vmtest=all (default: every
# scenario) or virtualing.vmtest=demo (the apache jail and the OOM kill, told in
# plain words around the TAP lines of their checks).
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH SYSTEMD_PAGER='' SYSTEMD_COLORS=0 LC_ALL=C.UTF-8

here=$(dirname "$(readlink -f "$0")")
tty=/dev/ttyS1
stty -F "$tty" raw -echo 2>/dev/null
exec 3>"$tty"

mode=all
read -r -a cmdline </proc/cmdline
for w in "${cmdline[@]}"; do
        case $w in virtualing.vmtest=*) mode=${w#*=} ;; esac
done

slice=/sys/fs/cgroup/virtualing.slice
vip=192.0.2.30
n=0
failed=0
units=()

# ---------------------------------------------------------------- TAP
out() { printf '%s\n' "$@" >&3; }
comment() { sed 's/^/# /' >&3; }
# say TEXT...: plain lines in the demo, TAP comments otherwise
say() {
        if [ "$mode" = demo ]; then printf '%s\n' "$@" >&3; else printf '%s\n' "$@" | comment; fi
}
# show CMD...: the command and what it prints, for the reader of the demo
show() {
        say "\$ $*"
        local o
        o=$("$@" 2>&1)
        [ -n "$o" ] && say "$(printf '%s\n' "$o" | sed 's/^/  /')"
        return 0
}
ok() { n=$((n + 1)); out "ok $n - $1"; }
notok() {
        n=$((n + 1))
        failed=$((failed + 1))
        out "not ok $n - $1"
        shift
        [ $# -gt 0 ] && printf '%s\n' "$@" | comment
        return 0
}
# check DESC CMD...: the command succeeds
check() {
        local d=$1 o
        shift
        if o=$("$@" 2>&1); then ok "$d"; else notok "$d" "failed: $*" "$o"; fi
}
# check_eq DESC EXPECTED ACTUAL
check_eq() {
        if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "expected: $2" "got:      $3"; fi
}
# check_grep DESC PATTERN TEXT: a fixed string in a text
check_grep() {
        if printf '%s\n' "$3" | grep -qF -- "$2"; then
                ok "$1"
        else
                notok "$1" "expected to find: $2" "in:" "$(printf '%s\n' "$3" | tail -n 20)"
        fi
}

# ---------------------------------------------------------------- helpers
# check_io DESC JAIL EXPECTED_LINE: the io.max line of the VM's disk
check_io() {
        local u=virtualing@$2.service line
        line=$(cgfile $u io.max | grep "^$majmin ")
        if [ "$line" = "$3" ]; then
                ok "$1"
        else
                notok "$1" "expected: $3" "got:      $line" \
                        "$(systemctl show -p IOReadBandwidthMax -p IOWriteBandwidthMax $u)" \
                        "$(grep '^IO' /run/systemd/generator/$u.d/50-virtualing.conf)"
        fi
}
sc() { timeout 120 systemctl "$@"; }
prop() { systemctl show -p "$2" --value "$1"; }
cgfile() { cat "$slice/$1/$2" 2>&1; }
# wait_for SECONDS CMD...: poll until the command succeeds
wait_for() {
        local end=$((SECONDS + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                [ $SECONDS -ge $end ] && return 1
                sleep 0.2
        done
}
state_is() { [ "$(prop "$1" ActiveState)" = "$2" ]; }
not_active() { case $(prop "$1" ActiveState) in active | activating | deactivating) return 1 ;; esac; }
mounts_of() { grep -F -c -- "$1" /proc/self/mountinfo; }
has_vip() { ip -o addr show dev dummy0 | grep -qF "inet $vip/"; }
http_get() { curl -fsS --max-time 5 "http://$vip/"; }
# jail NAME: the jail file from stdin
jail() {
        install -m 0644 /dev/stdin "/etc/virtualing/$1.conf"
        units+=("virtualing@$1.service")
}
reload() { check "systemctl daemon-reload succeeds${1:+ ($1)}" sc daemon-reload; }

finish() {
        local u
        if [ $failed -gt 0 ]; then
                {
                        echo "---- failed units"
                        systemctl list-units --failed --no-legend --plain --no-pager
                        for u in "${units[@]}"; do
                                echo "---- systemctl status $u"
                                systemctl status --no-pager --full "$u"
                                echo "---- journalctl -u $u"
                                journalctl -b --no-pager -o short-monotonic -u "$u" | tail -n 40
                        done
                        echo "---- generator, helper and OOM messages"
                        journalctl -b --no-pager -o short-monotonic |
                                grep -E 'virtualing-(generator|helper)|oom-kill:|Killed process' | tail -n 40
                } 2>&1 | comment
        fi
        out "1..$n"
        # the UART drains at once under emulation; give it a moment anyway
        sync
        sleep 1
        exec 3>&-
        systemctl poweroff --no-block || poweroff -f
}
trap finish EXIT

# ---------------------------------------------------------------- the machine
setup() {
        majmin=$(cat /sys/block/vda/dev)
        say "== virtualing end to end: $(systemctl --version | head -n 1), kernel $(uname -r)," \
                "cgroup $(stat -f -c %T /sys/fs/cgroup), disk /dev/vda is $majmin"
        check_eq "systemd is PID 1" systemd "$(cat /proc/1/comm)"
        check_eq "the unified cgroup hierarchy (v2) is mounted" cgroup2fs "$(stat -f -c %T /sys/fs/cgroup)"
        check "the dummy interface dummy0 for the VIPs is up" \
                sh -c 'ip link add dummy0 type dummy && ip link set dummy0 up'
        mkdir -p /etc/virtualing /srv/jails /srv/www /etc/virtualing-vmtest/lighttpd
        token="served from a Bind= by the apache jail, $(cat /proc/sys/kernel/random/uuid)"
        printf '<h1>hello from virtualing</h1>\n<p>%s</p>\n' "$token" >/srv/www/index.html
        install -m 0644 "$here/lighttpd-jail.conf" /etc/virtualing-vmtest/lighttpd/jail.conf
}

# ---------------------------------------------------------------- WantedBy= at boot
scenario_atboot() {
        say "" "== a jail with [Install] WantedBy=multi-user.target, started by the boot"
        units+=(virtualing@atboot.service)
        check "the generator linked it into multi-user.target.wants" \
                test -L /run/systemd/generator/multi-user.target.wants/virtualing@atboot.service
        check_eq "virtualing@atboot is active after boot, never started by hand" \
                active "$(prop virtualing@atboot ActiveState)"
        local pid
        pid=$(prop virtualing@atboot MainPID)
        check_eq "its main process is the jail's command (sleep)" sleep "$(cat "/proc/$pid/comm" 2>&1)"
        check_eq "its pids.max is TasksMax=8" 8 "$(cgfile virtualing@atboot.service pids.max)"
}

# ---------------------------------------------------------------- the article's apache
apache_conf() {
        jail apache <<EOF
# The article's apache example: a real web server from Debian (lighttpd) in a
# chroot jail, with the original's limits and a VIP.
[Jail]
Root=/srv/jails/apache
Exec=/usr/sbin/lighttpd -D -f /etc/lighttpd/jail.conf
Bind=/srv/www:/var/www/html
BindReadOnly=/etc/virtualing-vmtest/lighttpd:/etc/lighttpd

[Resources]
CPUQuota=30%
MemoryMax=512M
MemoryHigh=400M
TasksMax=64
# the VM's disk by its path here, by MAJ:MIN in the drop-in below
IOReadBandwidthMax=/dev/vda 10M
IOWriteBandwidthMax=/dev/vda 10M

[Network]
Address=$vip/24
Device=dummy0
EOF
}

# apache_running MEMORY_MAX IO_MAX_LINE MEMORY_MAX_SETTING IO_SETTINGS: the checks on a
# running apache jail
apache_running() {
        local u=virtualing@apache.service pid body f
        check_eq "virtualing@apache is active" active "$(prop $u ActiveState)"

        # the VIP and the answer first: once it answers, the helper has become lighttpd
        check "the VIP $vip/24 is on dummy0" has_vip
        say "\$ ip -brief -4 addr show dev dummy0" "  $(ip -brief -4 addr show dev dummy0)"
        wait_for 30 http_get
        body=$(http_get 2>&1)
        check_grep "the server answers on http://$vip/ with the file from the Bind=" "$token" "$body"
        say "\$ curl -i http://$vip/   (from inside the VM)"
        say "$(curl -si --max-time 5 "http://$vip/" 2>&1 | tr -d '\r' | sed 's/^/  /')"
        check_grep "the answer comes from the jail's lighttpd" "Server: lighttpd (virtualing jail apache)" \
                "$(curl -sI --max-time 5 "http://$vip/" 2>&1 | tr -d '\r')"

        local -A from=([cpu.max]="CPUQuota=30%" [memory.max]="MemoryMax=$3" [memory.high]="MemoryHigh=400M"
                [pids.max]="TasksMax=64" [io.max]="$4")
        say "" "cgroup $slice/$u:"
        for f in cpu.max memory.max memory.high pids.max io.max; do
                say "$(printf '  %-12s %-55s <- %s' "$f" "$(cgfile $u $f | tr '\n' ' ')" "${from[$f]}")"
        done
        check_eq "cpu.max is CPUQuota=30%" "30000 100000" "$(cgfile $u cpu.max)"
        check_eq "memory.max is MemoryMax" "$1" "$(cgfile $u memory.max)"
        check_eq "memory.high is MemoryHigh=400M" 419430400 "$(cgfile $u memory.high)"
        check_eq "pids.max is TasksMax=64" 64 "$(cgfile $u pids.max)"
        check_io "io.max limits the VM's disk $majmin" apache "$2"

        pid=$(prop $u MainPID)
        check_eq "the main PID is the web server itself" lighttpd "$(cat "/proc/$pid/comm" 2>&1)"
        check_eq "the main PID is in virtualing.slice" "0::/virtualing.slice/$u" "$(cat "/proc/$pid/cgroup" 2>&1)"
        check_grep "systemctl status shows lighttpd as main PID in virtualing.slice" "Main PID: $pid (lighttpd)" \
                "$(systemctl status --no-pager $u 2>&1)"
        [ "$mode" = demo ] && show systemctl status --no-pager --lines=3 $u
        check "the jailed server sees the Bind= and the BindReadOnly= config" \
                test -s "/proc/$pid/root/var/www/html/index.html" -a -s "/proc/$pid/root/etc/lighttpd/jail.conf"
        check_eq "the jail's binds are not visible on the host" 0 "$(mounts_of /srv/jails/apache)"
}

apache_stop() {
        local u=virtualing@apache.service
        say "" "\$ systemctl stop virtualing@apache"
        check "systemctl stop virtualing@apache succeeds" sc stop $u
        check_eq "the jail ended cleanly" "inactive success" "$(prop $u ActiveState) $(prop $u Result)"
        check "the VIP is gone from dummy0" sh -c "! ip -o addr show dev dummy0 | grep -qF 'inet $vip/'"
        check "the address record under /run/virtualing is gone" test ! -e /run/virtualing/addresses/apache
        check_eq "no mount of the jail is left on the host" "$mounts_before" "$(mounts_of /srv/jails/apache)"
        check "the jail's cgroup is gone" test ! -e "$slice/$u"
        say "  dummy0 now: $(ip -4 -o addr show dev dummy0 | grep -c inet) IPv4 address(es);" \
                "  mounts mentioning /srv/jails/apache in /proc/self/mountinfo: $(mounts_of /srv/jails/apache)"
}

scenario_apache() {
        say "" "== the article's apache example: lighttpd in a jail, with limits and a VIP"
        mounts_before=$(mounts_of /srv/jails/apache)
        apache_conf
        say "--- /etc/virtualing/apache.conf" "$(grep -v '^#' /etc/virtualing/apache.conf)"
        reload
        check_grep "the generator wrote the drop-in" "50-virtualing.conf" "$(systemctl cat virtualing@apache 2>&1)"
        say "" "\$ systemctl start virtualing@apache"
        check "systemctl start virtualing@apache succeeds" sc start virtualing@apache
        apache_running 536870912 "$majmin rbps=10485760 wbps=10485760 riops=max wiops=max" 512M \
                "IOReadBandwidthMax=/dev/vda 10M, IOWriteBandwidthMax=/dev/vda 10M"
        apache_stop
}

# ---------------------------------------------------------------- drop-in
scenario_dropin() {
        say "" "== a drop-in in /etc/virtualing/apache.conf.d changes the limits"
        mkdir -p /etc/virtualing/apache.conf.d
        install -m 0644 /dev/stdin /etc/virtualing/apache.conf.d/50-limits.conf <<EOF
[Resources]
MemoryMax=256M
# the disk by MAJ:MIN, as in the original; an empty assignment clears the list
IOReadBandwidthMax=
IOReadBandwidthMax=$majmin 5M
IOWriteBandwidthMax=
IOWriteBandwidthMax=$majmin 6M
EOF
        reload "with the drop-in"
        check_grep "systemctl cat shows the new MemoryMax" "MemoryMax=268435456" "$(systemctl cat virtualing@apache 2>&1)"
        check "systemctl restart virtualing@apache succeeds" sc restart virtualing@apache
        apache_running 268435456 "$majmin rbps=5242880 wbps=6291456 riops=max wiops=max" 256M \
                "IOReadBandwidthMax=$majmin 5M, IOWriteBandwidthMax=$majmin 6M"
        apache_stop
}

# ---------------------------------------------------------------- a broken jail among good ones
scenario_broken() {
        say "" "== a broken jail file next to good ones"
        jail broken <<'EOF'
[Jail]
Root=/srv/jails/broken
Exec=/bin/sleep infinity

[Resources]
CPUQuota=30
EOF
        jail good <<'EOF'
[Jail]
Root=/srv/jails/good
Exec=/bin/sleep infinity

[Resources]
TasksMax=16
EOF
        local since
        since=$(date '+%Y-%m-%d %H:%M:%S')
        reload "with a broken jail file"
        check_grep "the good jails still get their drop-in (apache)" \
                "/run/systemd/generator/virtualing@apache.service.d/50-virtualing.conf" "$(systemctl cat virtualing@apache 2>&1)"
        check_grep "the good jails still get their drop-in (good)" \
                "/run/systemd/generator/virtualing@good.service.d/50-virtualing.conf" "$(systemctl cat virtualing@good 2>&1)"
        check "the broken jail gets none" test ! -e /run/systemd/generator/virtualing@broken.service.d/50-virtualing.conf
        check_grep "the generator's warning (kmsg) names file:line and key" \
                "virtualing-generator[" \
                "$(journalctl -b --no-pager -o short --since "$since" 2>&1 | grep -F "/etc/virtualing/broken.conf:6: [Resources] CPUQuota=30:")"

        local rc
        sc start virtualing@broken
        rc=$?
        wait_for 30 state_is virtualing@broken failed
        check_eq "systemctl start virtualing@broken: the unit fails" failed "$(prop virtualing@broken ActiveState)"
        say "  (systemctl start returned $rc; the unit is Type=exec, so the start job is done once the helper runs)"
        check_eq "the helper exits with status 3 (invalid jail)" 3 "$(prop virtualing@broken ExecMainStatus)"
        check_grep "the unit's journal has the helper's message with file:line" \
                "virtualing-helper: /etc/virtualing/broken.conf:6: [Resources] CPUQuota=30: expected a percentage" \
                "$(journalctl -b --no-pager -o cat -u virtualing@broken 2>&1)"

        check "a good jail starts next to it" sc start virtualing@good
        check_eq "its pids.max is TasksMax=16" 16 "$(cgfile virtualing@good.service pids.max)"
        check "and stops" sc stop virtualing@good
        rm -f /etc/virtualing/broken.conf
        sc reset-failed virtualing@broken 2>/dev/null
}

# ---------------------------------------------------------------- one disk, two spellings
# The same disk named by its path for reads and by MAJ:MIN for writes, in one jail:
# both limits must reach io.max.
scenario_io_mixed() {
        say "" "== one jail, the same disk as /dev/vda (reads) and as $majmin (writes)"
        jail iomixed <<EOF
[Jail]
Root=/srv/jails/iomixed
Exec=/bin/sleep infinity

[Resources]
IOReadBandwidthMax=/dev/vda 7M
IOWriteBandwidthMax=$majmin 8M
EOF
        reload
        check "systemctl start virtualing@iomixed succeeds" sc start virtualing@iomixed
        check_io "io.max has both limits of the disk named two ways" iomixed \
                "$majmin rbps=7340032 wbps=8388608 riops=max wiops=max"
        check "and stops" sc stop virtualing@iomixed
}

# ---------------------------------------------------------------- CPU quota bites
scenario_cpu() {
        say "" "== CPUQuota=30% throttles a busy loop"
        jail spin <<'EOF'
[Jail]
Root=/srv/jails/spin
Exec=/bin/sh -c "while :; do :; done"

[Resources]
CPUQuota=30%
EOF
        reload
        check "systemctl start virtualing@spin succeeds" sc start virtualing@spin
        sleep 3
        local stat throttled
        stat=$(cgfile virtualing@spin.service cpu.stat)
        throttled=$(printf '%s\n' "$stat" | awk '$1 == "nr_throttled" { print $2 }')
        if [ "${throttled:-0}" -gt 0 ] 2>/dev/null; then
                ok "the busy loop is throttled (nr_throttled $throttled)"
        else
                notok "the busy loop is throttled" "$stat"
        fi
        check "and stops" sc stop virtualing@spin
}

# ---------------------------------------------------------------- the OOM kill
scenario_oom() {
        say "" "== a memory hog with MemoryMax=32M (no swap) is OOM-killed"
        jail hog <<'EOF'
# python3 waits 4 s, then allocates 1 MiB at a time until the kernel kills it
[Jail]
Root=/srv/jails/hog
Exec=/usr/bin/python3 -c "import time; time.sleep(4); b = []; [b.append(b'x' * (1 << 20)) for _ in iter(int, 1)]"

[Resources]
MemoryMax=32M
MemorySwapMax=0
EOF
        say "--- /etc/virtualing/hog.conf" "$(grep -v '^#' /etc/virtualing/hog.conf)"
        reload
        local before after u=virtualing@hog.service
        before=$(awk '$1 == "oom_kill" { print $2 }' "$slice/memory.events")
        say "" "\$ systemctl start virtualing@hog"
        check "systemctl start virtualing@hog succeeds" sc start $u
        check_eq "memory.max is MemoryMax=32M" 33554432 "$(cgfile $u memory.max)"
        check_eq "memory.swap.max is MemorySwapMax=0" 0 "$(cgfile $u memory.swap.max)"
        wait_for 120 not_active $u
        check_eq "the unit failed with Result=oom-kill" "failed oom-kill" "$(prop $u ActiveState) $(prop $u Result)"
        after=$(awk '$1 == "oom_kill" { print $2 }' "$slice/memory.events")
        if [ "${after:-0}" -ge $((${before:-0} + 1)) ] 2>/dev/null; then
                ok "memory.events oom_kill rose ($before -> $after, virtualing.slice, hierarchical)"
        else
                notok "memory.events oom_kill rose" "before: $before after: $after" "$(cat "$slice/memory.events")"
        fi
        local kmsg
        kmsg=$(journalctl -b -k --no-pager -o cat | grep -E "oom-kill:.*virtualing@hog|Memory cgroup out of memory" | tail -n 2)
        check_grep "the kernel's OOM killer acted in the jail's cgroup" "oom_memcg=/virtualing.slice/$u" "$kmsg"
        check_grep "systemd says so in the unit's journal" "killed by the OOM killer" \
                "$(journalctl -b --no-pager -o cat -u $u 2>&1)"
        say "\$ systemctl show -p ActiveState -p Result virtualing@hog" \
                "  ActiveState=$(prop $u ActiveState)" "  Result=$(prop $u Result)"
        say "kernel:" "$(printf '%s\n' "$kmsg" | sed 's/^/  /')"
        local watcher
        watcher=$(journalctl -b --no-pager -o cat -t virtualing-watcher 2>/dev/null | grep -F "Jail hog" | tail -n 6)
        [ -n "$watcher" ] && say "virtualing-watcher (journal):" "$(printf '%s\n' "$watcher" | sed 's/^/  /')"
        sc reset-failed $u 2>/dev/null
}

# ---------------------------------------------------------------- run
setup
# run.sh --debug SCRIPT: a script of the developer's, run first, its output as comments
if [ -x "$here/debug.sh" ]; then
        "$here/debug.sh" 2>&1 | comment
fi
case $mode in
demo)
        scenario_apache
        scenario_oom
        ;;
*)
        scenario_atboot
        scenario_apache
        scenario_broken
        scenario_dropin
        scenario_io_mixed
        scenario_cpu
        scenario_oom
        ;;
esac
if [ "$mode" = demo ]; then
        say "" "== $((n - failed)) of $n checks passed"
fi
exit 0
