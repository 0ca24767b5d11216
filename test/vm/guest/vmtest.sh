#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The end-to-end scenarios, run inside the disposable VM by virtualing-vmtest.service
# on real systemd with cgroup v2, as root. TAP goes to the second serial port
# (/dev/ttyS1), which test/vm/run.sh reads on the host; the console (ttyS0) has the
# boot log. When done (or on any exit) it powers the VM off.
#
# The kernel command line chooses what runs: virtualing.vmtest=all (default: every
# scenario), virtualing.vmtest=NAME,NAME… (those scenarios) or virtualing.vmtest=demo (the apache jail, the OOM kill as D-Bus signals
# and a hook run, and elastic memory, told in plain words around the TAP lines of
# their checks).
#
# Besides the jails as services: the installed package (dpkg -V), "virtualing run" as a
# transient scope (limits, VIP, Ctrl-C, exit status, an OOM kill, a run right after),
# "virtualing list/status/monitor/set-memory", and the package's example jails (web,
# cache, batch) copied from /usr/share/doc/virtualing/examples with a drop-in.
#
# A subscriber listens to the watcher's signals for the whole run: "busctl monitor
# --json=short" on /org/virtualing1, its output read by signals.py. The hooks of the
# jails are /usr/local/sbin/vmtest-hook, which appends its environment to a file.
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
run=/run/vmtest
sigfile=$run/signals.json
hook=/usr/local/sbin/vmtest-hook
monpid=
# the journal's MESSAGE_IDs of the watcher's memory events and usage crossings (virtualing-watcher(8))
msgid_memory=ed40ed95db114bcea3d500e20aa8a6fd
msgid_usage=aff3d53d3f3d47acb1e565ca3f10faa3
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
                        "$(grep '^IO' /run/systemd/generator/$u.d/10-virtualing.conf)"
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
# sleeper NAME MEMORYMAX: a jail that sleeps, with that MemoryMax=
sleeper() {
        jail "$1" < <(printf '[Jail]\nRoot=/srv/jails/%s\nExec=/bin/sleep infinity\n\n[Resources]\nMemoryMax=%s\n' "$1" "$2")
}

# ---------------------------------------------------------------- signals and hooks
# jpath NAME: the object path of a jail (names of letters only need no escaping)
jpath() { echo "/org/virtualing1/jail/$1"; }
# sigs MEMBER [PATH]: the signals the subscriber received so far, "MEMBER ARG..." a line
sigs() { python3 "$here/signals.py" "$sigfile" "$@" 2>&1; }
psigs() { python3 "$here/signals.py" --pretty "$sigfile" "$@" 2>&1; }
# has_sig MEMBER PATH ERE: one of those signals matches the regular expression
has_sig() { sigs "$1" "$2" | grep -qE -- "$3"; }
wait_sig() { wait_for "$1" has_sig "$2" "$3" "$4"; }
# hook_runs FILE: how many runs of vmtest-hook wrote to FILE
hook_runs() { grep -c '^-- run$' "$1" 2>/dev/null || true; }
# hook_var FILE RUN VAR: the variable VAR in the environment of run RUN (from 1)
hook_var() {
        awk -v run="$2" -v var="$3" '/^-- run$/ { r++; next }
                r == run && index($0, var "=") == 1 { print substr($0, length(var) + 2) }' "$1" 2>/dev/null
}
# check_hook_env DESC FILE RUN VAR=VALUE...: a run of the hook had exactly these values
check_hook_env() {
        local d=$1 f=$2 r=$3 kv bad=()
        shift 3
        for kv in "$@"; do
                [ "$(hook_var "$f" "$r" "${kv%%=*}")" = "${kv#*=}" ] || bad+=("expected $kv")
        done
        if [ ${#bad[@]} = 0 ]; then
                ok "$d"
        else
                notok "$d" "${bad[@]}" "run $r of the hook in $f:" "$(cat "$f" 2>&1)"
        fi
}
# is_num VALUE: a decimal number
is_num() { [[ $1 =~ ^[0-9]+$ ]]; }

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
                        echo "---- journalctl -u virtualing-watcher -t virtualing-watcher"
                        journalctl -b --no-pager -o short-monotonic -u virtualing-watcher -t virtualing-watcher |
                                tail -n 60
                        echo "---- the last signals the subscriber received"
                        psigs | tail -n 30
                        cat "$run/monitor.err" 2>/dev/null
                } 2>&1 | comment
        fi
        out "1..$n"
        # the UART drains at once under emulation; give it a moment anyway
        sync
        sleep 1
        exec 3>&-
        [ -n "$monpid" ] && kill "$monpid" 2>/dev/null
        systemctl poweroff --no-block || poweroff -f
}
trap finish EXIT

# ---------------------------------------------------------------- the machine
setup() {
        majmin=$(cat /sys/block/vda/dev)
        say "== virtualing end to end: $(systemctl --version | head -n 1), kernel $(uname -r)," \
                "cgroup $(stat -f -c %T /sys/fs/cgroup), disk /dev/vda is $majmin"
        check_eq "systemd is PID 1" systemd "$(cat /proc/1/comm)"
        if [ "$mode" = legacy ] || grep -qw systemd.unified_cgroup_hierarchy=0 /proc/cmdline; then
                check_eq "the legacy hierarchy is mounted (tmpfs, the memory controller on cgroup v1)" "tmpfs cgroupfs" \
                        "$(stat -f -c %T /sys/fs/cgroup) $(stat -f -c %T /sys/fs/cgroup/memory)"
        else
                check_eq "the unified cgroup hierarchy (v2) is mounted" cgroup2fs "$(stat -f -c %T /sys/fs/cgroup)"
        fi
        check "the dummy interface dummy0 for the VIPs is up" \
                sh -c 'ip link add dummy0 type dummy && ip link set dummy0 up'
        mkdir -p /etc/virtualing /srv/jails /srv/www /etc/virtualing-vmtest/lighttpd
        token="served from a Bind= by the apache jail, $(cat /proc/sys/kernel/random/uuid)"
        printf '<h1>hello from virtualing</h1>\n<p>%s</p>\n' "$token" >/srv/www/index.html
        install -m 0644 "$here/lighttpd-jail.conf" /etc/virtualing-vmtest/lighttpd/jail.conf

        # the hook of the test jails: root's, 0755, as the watcher demands
        mkdir -p "$run"
        install -o root -g root -m 0755 /dev/stdin "$hook" <<'EOF'
#!/bin/sh
# vmtest-hook FILE: a hook of the test jails. Appends its environment to FILE and
# says what happened on its standard output (the journal, as virtualing-hook-JAIL).
{ echo "-- run"; env | sort; } >>"$1"
echo "hook ran: $VIRTUALING_EVENT in jail $VIRTUALING_JAIL ($VIRTUALING_UNIT), count $VIRTUALING_COUNT," \
        "memory.current $VIRTUALING_MEMORY_CURRENT of memory.max $VIRTUALING_MEMORY_MAX" \
        "${VIRTUALING_DIRECTION:+(usage went $VIRTUALING_DIRECTION past $VIRTUALING_THRESHOLD)}"
EOF
        # the subscriber: every signal under /org/virtualing1, one JSON line each
        : >"$sigfile"
        stdbuf -oL busctl monitor --json=short --match "type='signal',path_namespace='/org/virtualing1'" \
                >>"$sigfile" 2>"$run/monitor.err" &
        monpid=$!
        # a signal of our own under the watched path proves that it listens
        wait_for 20 sh -c 'busctl emit /org/virtualing1/vmtest org.virtualing1.VmTest Ping &&
                grep -q Ping "$0"' "$sigfile"
        check_grep "a subscriber (busctl monitor --json=short) receives signals under /org/virtualing1" \
                "Ping" "$(sigs Ping /org/virtualing1/vmtest)"
        say "(a subscriber listens to virtualing-watcher's signals from now on:" \
                " busctl monitor --json=short --match \"type='signal',path_namespace='/org/virtualing1'\")"
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
        check_grep "the generator wrote the drop-in" "10-virtualing.conf" "$(systemctl cat virtualing@apache 2>&1)"
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
                "/run/systemd/generator/virtualing@apache.service.d/10-virtualing.conf" "$(systemctl cat virtualing@apache 2>&1)"
        check_grep "the good jails still get their drop-in (good)" \
                "/run/systemd/generator/virtualing@good.service.d/10-virtualing.conf" "$(systemctl cat virtualing@good 2>&1)"
        check "the broken jail gets none" test ! -e /run/systemd/generator/virtualing@broken.service.d/10-virtualing.conf
        check_grep "the generator's warning is in the journal (kmsg, warning) with file:line and key" \
                "/etc/virtualing/broken.conf:6: [Resources] CPUQuota=30: expected a percentage" \
                "$(journalctl -b -k -t virtualing-generator -p warning --no-pager -o cat --since "$since" 2>&1)"

        local rc o
        o=$(sc start virtualing@broken 2>&1)
        rc=$?
        if [ $rc != 0 ]; then
                ok "systemctl start virtualing@broken fails (status $rc: the helper never said READY=1)"
        else
                notok "systemctl start virtualing@broken fails" "it returned 0 (Type=notify: the start job must fail)" "$o"
        fi
        check_eq "the unit is failed" failed "$(prop virtualing@broken ActiveState)"
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

# ---------------------------------------------------------------- the PID namespace under systemd
# pidns_check UNIT COMM USER: the main PID is the command, PID 2 of a namespace of its own,
# systemd's child, with the jail's init beside it
pidns_check() {
        local u=$1 pid ns
        pid=$(prop "$u" MainPID)
        check_eq "$u: MainPID is the command ($2, as $3)" "$2 $3" \
                "$(ps -o comm= -o user= -p "$pid" 2>&1 | xargs)"
        check_eq "$u: it is PID 2 of its own PID namespace, and systemd's child" "2 1" \
                "$(awk '/^NSpid:/ { print $NF }' /proc/$pid/status 2>&1) $(awk '/^PPid:/ { print $2 }' /proc/$pid/status 2>&1)"
        ns=$(readlink /proc/$pid/ns/pid)
        check "$u: its namespace is not the host's" test "$ns" != "$(readlink /proc/1/ns/pid)"
        check_eq "$u: the cgroup holds the command and the jail's init, nothing else" "$2 virtualing-init" \
                "$(for p in $(cat "$slice/$u/cgroup.procs"); do cat /proc/$p/comm; done 2>&1 | sort | paste -sd ' ')"
        check_grep "$u: systemctl status shows it as Main PID" "Main PID: $pid ($2)" \
                "$(systemctl status --no-pager "$u" 2>&1)"
        check_eq "$u: from inside, only the init and the command are there" "1 2" \
                "$(ls /proc/$pid/root/proc 2>/dev/null | grep -E '^[0-9]+$' | sort -n | paste -sd ' ')"
}

scenario_pidns() {
        say "" "== the PID namespace of a jail under systemd: main PID, stop, exit status, no warnings"
        local since t0 ms
        since=$(date '+%Y-%m-%d %H:%M:%S')
        jail pidroot <<'EOF'
[Jail]
Root=/srv/jails/pidroot
Exec=/bin/sleep infinity
EOF
        jail piduser <<'EOF'
[Jail]
Root=/srv/jails/piduser
Exec=/bin/sleep infinity
User=nobody
EOF
        jail pidexit <<'EOF'
[Jail]
Root=/srv/jails/pidexit
Exec=/bin/sh -c "sleep 1; exit 3"
EOF
        reload
        check "systemctl start of a root and a User= jail succeeds" sc start virtualing@pidroot virtualing@piduser
        pidns_check virtualing@pidroot.service sleep root
        pidns_check virtualing@piduser.service sleep nobody
        t0=$(date +%s%N)
        check "systemctl stop of sleep infinity (root) succeeds" sc stop virtualing@pidroot
        ms=$((($(date +%s%N) - t0) / 1000000))
        if [ $ms -lt 1000 ]; then ok "it took under a second (${ms} ms)"; else notok "it took under a second" "${ms} ms"; fi
        check_eq "it ended cleanly (SIGTERM is a clean end for a daemon)" "inactive success" \
                "$(prop virtualing@pidroot ActiveState) $(prop virtualing@pidroot Result)"
        t0=$(date +%s%N)
        check "systemctl stop of sleep infinity (User=nobody) succeeds" sc stop virtualing@piduser
        ms=$((($(date +%s%N) - t0) / 1000000))
        if [ $ms -lt 1000 ]; then ok "it took under a second (${ms} ms)"; else notok "it took under a second" "${ms} ms"; fi
        check "nothing of either is left" sh -c "! test -e $slice/virtualing@pidroot.service && ! test -e $slice/virtualing@piduser.service"
        sc start virtualing@pidexit >/dev/null 2>&1
        wait_for 30 not_active virtualing@pidexit
        check_eq "a command that exits 3: systemd sees its own status (failed, exit-code, 3)" "failed exit-code 3" \
                "$(prop virtualing@pidexit ActiveState) $(prop virtualing@pidexit Result) $(prop virtualing@pidexit ExecMainStatus)"
        check_grep "systemctl status shows the command's exit" "status=3" "$(systemctl status --no-pager virtualing@pidexit 2>&1)"
        sc reset-failed virtualing@pidexit >/dev/null 2>&1
        check_eq "systemd never warned of a main process that is not its child" "" \
                "$(journalctl -b --no-pager -o cat --since "$since" -u virtualing@pidroot -u virtualing@piduser -u virtualing@pidexit 2>&1 | grep -i 'not our child')"
        rm -f /etc/virtualing/pidroot.conf /etc/virtualing/piduser.conf /etc/virtualing/pidexit.conf
}

# ---------------------------------------------------------------- the watcher itself
owner() { busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.virtualing1 2>&1; }

scenario_watcher() {
        say "" "== virtualing-watcher: started with the jails, and by D-Bus activation"
        local u=virtualing-watcher.service o
        check "the bus policy and the activation file are where the system bus reads them" \
                test -s /usr/share/dbus-1/system.d/org.virtualing1.conf -a \
                -s /usr/share/dbus-1/system-services/org.virtualing1.service
        check_eq "virtualing-watcher is active after boot (virtualing@atboot wants it)" active "$(prop $u ActiveState)"
        check_eq "it owns org.virtualing1 on the system bus" "b true" "$(owner)"
        check "systemctl stop virtualing-watcher succeeds" sc stop $u
        check_eq "then nobody owns org.virtualing1" "b false" "$(owner)"
        o=$(runuser -u nobody -- busctl call org.virtualing1 /org/virtualing1 org.virtualing1.Manager ListJails 2>&1)
        check_grep "ListJails as nobody starts it by D-Bus activation, and it finds the running jail atboot" \
                '"atboot" "/org/virtualing1/jail/atboot"' "$o"
        check_eq "virtualing-watcher is active again (activated by the bus)" active "$(prop $u ActiveState)"

        check "systemctl stop virtualing-watcher succeeds" sc stop $u
        sleeper limits 64M
        reload
        check "systemctl start virtualing@limits succeeds" sc start virtualing@limits
        check_eq "starting a jail started the watcher (Wants= and After= of virtualing@.service)" \
                active "$(prop $u ActiveState)"
        wait_sig 30 JailAdded /org/virtualing1 '^JailAdded limits /org/virtualing1/jail/limits$'
        check_grep "the subscriber received JailAdded for it" "JailAdded limits /org/virtualing1/jail/limits" \
                "$(sigs JailAdded /org/virtualing1)"
}

# ---------------------------------------------------------------- D-Bus access
scenario_dbus() {
        say "" "== the D-Bus API: anyone reads, only root sets limits"
        local u=virtualing@limits.service p o rc
        p=$(jpath limits)
        o=$(runuser -u nobody -- busctl introspect org.virtualing1 "$p" 2>&1)
        if printf '%s\n' "$o" | grep -qE '^\.MemoryMax +property +t +67108864 '; then
                ok "busctl introspect of the jail's object works as nobody (MemoryMax 67108864)"
        else
                notok "busctl introspect of the jail's object works as nobody" "$o"
        fi
        o=$(runuser -u nobody -- busctl get-property org.virtualing1 "$p" org.virtualing1.Jail Name Unit MemoryMax 2>&1)
        check_eq "busctl get-property Name Unit MemoryMax works as nobody" \
                "$(printf '%s\n' 's "limits"' 's "virtualing@limits.service"' 't 67108864')" "$o"

        o=$(runuser -u nobody -- busctl call org.virtualing1 "$p" org.virtualing1.Jail SetMemoryMax t 134217728 2>&1)
        rc=$?
        if [ $rc != 0 ]; then
                ok "busctl call SetMemoryMax as nobody fails ($o)"
        else
                notok "busctl call SetMemoryMax as nobody fails" "it succeeded" "$o"
        fi
        o=$(runuser -u nobody -- dbus-send --system --print-reply --dest=org.virtualing1 "$p" \
                org.virtualing1.Jail.SetMemoryMax uint64:134217728 2>&1)
        check_grep "the error is org.freedesktop.DBus.Error.AccessDenied (dbus-send as nobody)" \
                "Error org.freedesktop.DBus.Error.AccessDenied" "$o"
        check_eq "memory.max is unchanged" 67108864 "$(cgfile $u memory.max)"

        check "busctl call SetMemoryMax t 134217728 as root succeeds" \
                busctl call org.virtualing1 "$p" org.virtualing1.Jail SetMemoryMax t 134217728
        check_eq "memory.max is 134217728" 134217728 "$(cgfile $u memory.max)"
        check_eq "systemd's MemoryMax says so too (SetUnitProperties)" 134217728 "$(prop $u MemoryMax)"
        wait_sig 10 MemoryLimitChanged "$p" '^MemoryLimitChanged 67108864 134217728 set$'
        check_eq "the subscriber received MemoryLimitChanged(67108864, 134217728, set)" \
                "MemoryLimitChanged 67108864 134217728 set" "$(sigs MemoryLimitChanged "$p")"
        check_eq "busctl get-property MemoryMax as nobody shows it" "t 134217728" \
                "$(runuser -u nobody -- busctl get-property org.virtualing1 "$p" org.virtualing1.Jail MemoryMax 2>&1)"

        local m=/run/virtualing/metrics.prom
        wait_for 10 grep -qxF 'virtualing_jail_memory_max_bytes{jail="limits"} 134217728' $m
        o=$(cat $m 2>&1)
        check_grep "$m has the new limit" 'virtualing_jail_memory_max_bytes{jail="limits"} 134217728' "$o"
        check_grep "$m has the jail's counters" 'virtualing_jail_events_total{jail="limits",event="oom_kill"} 0' "$o"
        say "\$ grep limits $m" "$(grep -F 'jail="limits"' $m | sed 's/^/  /')"

        check "and stops" sc stop $u
        wait_sig 10 JailRemoved /org/virtualing1 '^JailRemoved limits '
        check_grep "the subscriber received JailRemoved for it" "JailRemoved limits /org/virtualing1/jail/limits" \
                "$(sigs JailRemoved /org/virtualing1)"
        sc revert $u >/dev/null 2>&1
}

# ---------------------------------------------------------------- polkit: operators delegated by a rules file
scenario_polkit() {
        say "" "== polkit: a group granted org.virtualing1.manage by a rules file sets a limit; others may not"
        local u=virtualing@ops.service p o rc rules=/etc/polkit-1/rules.d/50-virtualing-operators.rules
        p=$(jpath ops)
        check "the action file is where polkit reads it" test -s /usr/share/polkit-1/actions/org.virtualing1.policy
        if command -v pkaction >/dev/null; then
                check_grep "polkit knows the action (pkaction): admin authentication in an active session" \
                        "implicit active:   auth_admin_keep" "$(pkaction --verbose --action-id org.virtualing1.manage 2>&1)"
        fi
        getent group virtualing-operators >/dev/null || groupadd virtualing-operators
        id operator1 >/dev/null 2>&1 || useradd -M -N -s /bin/sh -G virtualing-operators operator1
        id outsider >/dev/null 2>&1 || useradd -M -N -s /bin/sh outsider
        install -m 0644 /usr/share/doc/virtualing/examples/50-virtualing-operators.rules "$rules"
        say "--- $rules (the example of the package)" "$(cat $rules)"
        sleeper ops 64M
        reload
        check "systemctl start virtualing@ops succeeds" sc start $u
        wait_sig 30 JailAdded /org/virtualing1 '^JailAdded ops '
        sleep 1 # polkitd reads a new rules file when it sees it

        o=$(runuser -u operator1 -- virtualing set-memory ops 96M 2>&1)
        check_eq "an operator (group virtualing-operators) sets MemoryMax=96M: exit 0, and says so" \
                "0 MemoryMax of jail ops set to 96.0M." "$? $o"
        check_eq "the cgroup follows: memory.max 100663296" 100663296 "$(cgfile $u memory.max)"
        check_eq "systemd's MemoryMax says so too" 100663296 "$(prop $u MemoryMax)"
        o=$(runuser -u operator1 -- busctl call org.virtualing1 "$p" org.virtualing1.Jail SetMemoryHigh t 94371840 2>&1)
        check_eq "and SetMemoryHigh (90M) through busctl: memory.high 94371840" "0 94371840" "$? $(cgfile $u memory.high)"
        reload "the limits set at run time outlive it"
        check_eq "memory.max and memory.high as set, after daemon-reload" "100663296 94371840" \
                "$(cgfile $u memory.max) $(cgfile $u memory.high)"

        o=$(runuser -u outsider -- virtualing set-memory ops 128M 2>&1)
        rc=$?
        if [ $rc != 0 ] && printf '%s\n' "$o" | grep -q 'org.virtualing1.manage'; then
                ok "a user outside the group is refused: exit $rc, the message names the action"
        else
                notok "a user outside the group is refused, naming the action" "exit $rc" "$o"
        fi
        say "\$ runuser -u outsider -- virtualing set-memory ops 128M" "$(printf '%s\n' "$o" | sed 's/^/  /')"
        o=$(runuser -u outsider -- busctl call org.virtualing1 "$p" org.virtualing1.Jail SetMemoryMax t 134217728 2>&1)
        check "busctl call SetMemoryMax as the outsider fails too" test $? != 0
        check_eq "nothing changed: memory.max 100663296, memory.high 94371840" "100663296 94371840" \
                "$(cgfile $u memory.max) $(cgfile $u memory.high)"
        check_grep "polkitd was asked (its journal, or it is running)" "active" "$(prop polkit.service ActiveState)"

        # no polkit at all: only root, and the refusal says why
        sc mask --runtime polkit.service >/dev/null 2>&1
        sc stop polkit.service
        o=$(runuser -u operator1 -- virtualing set-memory ops 128M 2>&1)
        rc=$?
        if [ $rc != 0 ] && printf '%s\n' "$o" | grep -q 'polkit.*not running'; then
                ok "polkit masked and stopped: the operator is refused, told polkit is not running (exit $rc)"
        else
                notok "polkit masked and stopped: the operator is refused, told polkit is not running" "exit $rc" "$o"
        fi
        check_eq "memory.max unchanged" 100663296 "$(cgfile $u memory.max)"
        check "root still may: virtualing set-memory ops 80M" virtualing set-memory ops 80M
        check_eq "memory.max 83886080" 83886080 "$(cgfile $u memory.max)"
        sc unmask --runtime polkit.service >/dev/null 2>&1
        rm -f "$rules"
        sc stop $u
}

# ---------------------------------------------------------------- node_exporter serves the metrics
# prom_value METRIC-LINE-PREFIX: the value of the first sample of node_exporter's /metrics that starts so
# (as an integer when it is one: node_exporter writes 83886080 as 8.388608e+07)
prom_value() {
        curl -fsS --max-time 10 http://127.0.0.1:9100/metrics | grep -v '^#' | grep -F -- "$1" | head -n 1 |
                awk '{ v = $NF; if (v ~ /e\+/ || v == int(v)) printf "%.0f\n", v; else print v }'
}
prom_has() { [ "$(prom_value "$1")" = "$2" ]; }

scenario_metrics() {
        say "" "== Debian's prometheus-node-exporter, as installed, serves the jails' metrics"
        local t=/var/lib/prometheus/node-exporter u=virtualing@promhog.service o
        check_eq "prometheus-node-exporter is running, unchanged" active "$(prop prometheus-node-exporter.service ActiveState)"
        check "its textfile directory $t is there" test -d $t
        sleeper promsteady 80M
        jail promhog <<'EOF'
# allocates at once until the kernel kills it; its hook fails
[Jail]
Root=/srv/jails/promhog
Exec=/usr/bin/python3 -c "b = []; [b.append(b'x' * (1 << 20)) for _ in iter(int, 1)]"

[Resources]
MemoryMax=32M
MemorySwapMax=0

[Events]
OnOOMKill=/bin/false
EOF
        reload
        check "systemctl start virtualing@promsteady succeeds" sc start virtualing@promsteady
        check "systemctl start virtualing@promhog succeeds" sc start $u
        wait_for 180 not_active $u
        check_eq "promhog was OOM-killed" "failed oom-kill" "$(prop $u ActiveState) $(prop $u Result)"
        wait_for 30 test -s $t/virtualing.prom
        check "the watcher wrote $t/virtualing.prom" test -s $t/virtualing.prom
        wait_for 30 prom_has 'virtualing_jail_events_total{event="oom_kill",jail="promhog"}' 1
        check_eq "node_exporter's /metrics: the OOM-killed jail's oom_kill count" 1 \
                "$(prom_value 'virtualing_jail_events_total{event="oom_kill",jail="promhog"}')"
        check_eq "node_exporter's /metrics: the running jail's MemoryMax" 83886080 \
                "$(prom_value 'virtualing_jail_memory_max_bytes{jail="promsteady"}')"
        wait_for 30 prom_has 'virtualing_jail_hook_failures_total{jail="promhog"}' 1
        check_eq "hook runs and failures of the OOM-killed jail (its hook ran after it ended)" "1 1" \
                "$(prom_value 'virtualing_jail_hook_runs_total{jail="promhog"}') $(prom_value 'virtualing_jail_hook_failures_total{jail="promhog"}')"
        o=$(prom_value 'virtualing_jail_memory_pressure_ratio{jail="promsteady",kind="some",window="10s"}')
        check "the running jail's PSI averages are there (some, 10s: $o)" test -n "$o"
        check_eq "node_exporter read the file without error" 0 "$(prom_value 'node_textfile_scrape_error')"
        virtualing set-memory promsteady 96M >/dev/null 2>&1
        wait_for 30 prom_has 'virtualing_jail_memory_max_bytes{jail="promsteady"}' 100663296
        check_eq "a new limit reaches /metrics" 100663296 \
                "$(prom_value 'virtualing_jail_memory_max_bytes{jail="promsteady"}')"
        say "\$ curl -s http://127.0.0.1:9100/metrics | grep 'jail=\"prom'" \
                "$(curl -fsS --max-time 10 http://127.0.0.1:9100/metrics | grep -F 'jail="prom' | grep -v ratio | sed 's/^/  /')"
        sc stop virtualing@promsteady
        sc reset-failed $u >/dev/null 2>&1
}

# ---------------------------------------------------------------- the watcher's own sandbox
scenario_hardening() {
        say "" "== virtualing-watcher.service is sandboxed; hooks still run"
        local u=virtualing-watcher.service o level
        o=$(systemd-analyze security --no-pager $u 2>&1)
        level=$(printf '%s\n' "$o" | sed -n 's/.*Overall exposure level for virtualing-watcher.service: \([0-9.]*\).*/\1/p')
        # the same unit without its sandbox, for comparison (offline: only the file is read)
        local before
        grep -vE '^(Protect|Private|Restrict|LockPersonality|NoNewPrivileges|SystemCall|CapabilityBoundingSet|[[:space:]]+CAP_)' \
                /usr/lib/systemd/system/$u >$run/unsandboxed.service
        before=$(systemd-analyze security --offline=true $run/unsandboxed.service 2>&1 |
                sed -n 's/.*Overall exposure level for unsandboxed.service: \([0-9.]*\).*/\1/p')
        say "systemd-analyze security $u: exposure $level (the unit without its sandbox: ${before:-?})"
        if [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 5.0) }'; then
                ok "systemd-analyze security: exposure $level (at most 5.0)"
        else
                notok "systemd-analyze security: exposure at most 5.0" "level: ${level:-none}" "$(printf '%s\n' "$o" | tail -n 5)"
        fi
        check_eq "ProtectSystem=full, PrivateDevices, NoNewPrivileges" "full yes yes" \
                "$(prop $u ProtectSystem) $(prop $u PrivateDevices) $(prop $u NoNewPrivileges)"
        local env=$run/sandbox.env probe=/usr/local/sbin/vmtest-sandbox-probe
        rm -f "$env"
        install -o root -g root -m 0755 /dev/stdin $probe <<'EOF'
#!/bin/sh
# what a hook may do under the watcher's sandbox, one line each
PATH=/usr/sbin:/usr/bin:/sbin:/bin
out=$1
{
        touch /var/tmp/vmtest-hook-probe && echo "var writable"
        touch /usr/vmtest-hook-probe 2>/dev/null || echo "usr read-only"
        [ -e /dev/vda ] || echo "no block devices"
        logger -t vmtest-hook-probe "hello from a hook" && echo "logger works"
        busctl --no-pager get-property org.virtualing1 /org/virtualing1 org.virtualing1.Manager CgroupBackend >/dev/null && echo "bus works"
} >"$out.tmp" 2>&1
mv "$out.tmp" "$out"
EOF
        # a usage threshold under any use: the hook runs at once
        jail probe <<EOF
[Jail]
Root=/srv/jails/probe
Exec=/bin/sleep infinity

[Resources]
MemoryMax=64M

[Events]
UsageThreshold=1K
OnUsage=$probe $env
EOF
        reload
        check "systemctl start virtualing@probe succeeds" sc start virtualing@probe
        wait_for 30 test -s "$env"
        o=$(cat "$env" 2>&1)
        check_eq "a hook under the sandbox: writes /var, not /usr; no block devices; logger and the bus work" \
                "$(printf '%s\n' 'var writable' 'usr read-only' 'no block devices' 'logger works' 'bus works')" "$o"
        check_grep "its syslog line reached the journal" "hello from a hook" \
                "$(journalctl -b --no-pager -o cat -t vmtest-hook-probe 2>&1)"
        sc stop virtualing@probe
        rm -f /var/tmp/vmtest-hook-probe
}

# ---------------------------------------------------------------- the OOM kill, as signals and a hook run
# first_line PATTERN: the number of the first line of stdin matching the ERE, or 0
first_line() { grep -nE -m1 -- "$1" | cut -d: -f1 | grep . || echo 0; }

scenario_oom() {
        say "" "== a memory event turned into a D-Bus signal and a hook run:" \
                "   a memory hog with MemoryHigh=47M, MemoryMax=48M (no swap) is OOM-killed"
        local env=$run/hog.env
        rm -f "$env"
        jail hog <<EOF
# python3 waits 2 s, then allocates 1 MiB at a time until the kernel kills it
[Jail]
Root=/srv/jails/hog
Exec=/usr/bin/python3 -c "import time; time.sleep(2); b = []; [b.append(b'x' * (1 << 20)) for _ in iter(int, 1)]"

[Resources]
MemoryHigh=47M
MemoryMax=48M
MemorySwapMax=0

[Events]
# a root-owned 0755 script: appends its environment to the file
OnOOMKill=$hook $env
# throttled at MemoryHigh, the hog stalls on memory: PSI says so
PressureThreshold=some 100ms 1s
OnPressure=$hook $run/hog-psi.env
EOF
        rm -f "$run/hog-psi.env"
        say "--- /etc/virtualing/hog.conf" "$(grep -v '^#' /etc/virtualing/hog.conf)"
        reload
        local before after u=virtualing@hog.service p max=50331648 ev line e count cur mx s
        p=$(jpath hog)
        before=$(awk '$1 == "oom_kill" { print $2 }' "$slice/memory.events")
        say "" "\$ systemctl start virtualing@hog"
        check "systemctl start virtualing@hog succeeds" sc start $u
        check_eq "memory.max is MemoryMax=48M" $max "$(cgfile $u memory.max)"
        check_eq "memory.high is MemoryHigh=47M" 49283072 "$(cgfile $u memory.high)"
        check_eq "memory.swap.max is MemorySwapMax=0" 0 "$(cgfile $u memory.swap.max)"
        wait_for 180 not_active $u
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

        # the signals: the watcher reports a jail's last events before JailRemoved
        wait_sig 30 JailRemoved /org/virtualing1 '^JailRemoved hog '
        check "PSI: a PressureEvent(some) arrived while the hog was throttled at MemoryHigh" \
                has_sig PressureEvent "$p" '^PressureEvent some$'
        local psi_runs
        psi_runs=$(hook_runs "$run/hog-psi.env")
        check_eq "PSI: the OnPressure hook ran (VIRTUALING_EVENT=pressure)" "pressure" \
                "$([ "${psi_runs:-0}" -ge 1 ] && hook_var "$run/hog-psi.env" 1 VIRTUALING_EVENT)"
        s=$(sigs MemoryEvent "$p")
        for ev in high max oom oom_kill; do
                line=$(printf '%s\n' "$s" | grep -m1 "^MemoryEvent $ev ")
                read -r _ e count cur mx <<<"$line"
                if [ -n "$line" ] && is_num "$count" && [ "$count" -ge 1 ] && is_num "$cur" && [ "$mx" = $max ]; then
                        ok "the subscriber received MemoryEvent $ev (count $count, memory_current $cur, memory_max $mx)"
                else
                        notok "the subscriber received MemoryEvent $ev with count >= 1 and memory_max $max" \
                                "first $ev signal: ${line:-none}" "every MemoryEvent of hog:" "$s"
                fi
        done
        local hi kill gone all
        all=$(psigs)
        gone=$(printf '%s\n' "$all" | first_line '  JailRemoved\(name=hog,')
        kill=$(printf '%s\n' "$all" | grep -nF "$p  MemoryEvent(" | tail -n 1 | cut -d: -f1)
        if [ "$gone" -gt 0 ] && [ "${kill:-0}" -gt 0 ] && [ "$kill" -lt "$gone" ]; then
                ok "its last MemoryEvent (signal $kill) came before JailRemoved (signal $gone)"
        else
                notok "its last MemoryEvent came before JailRemoved" "last MemoryEvent: signal $kill, JailRemoved: signal $gone" \
                        "$(printf '%s\n' "$all" | tail -n 8)"
        fi
        hi=$(printf '%s\n' "$s" | first_line '^MemoryEvent high ')
        kill=$(printf '%s\n' "$s" | first_line '^MemoryEvent oom_kill ')
        if [ "$hi" -gt 0 ] && [ "$kill" -gt 0 ] && [ "$hi" -lt "$kill" ]; then
                ok "a high event (signal $hi) came before the oom_kill (signal $kill)"
        else
                notok "a high event came before the oom_kill" "high: signal $hi, oom_kill: signal $kill" "$s"
        fi
        say "" "The subscriber received $(printf '%s\n' "$s" | grep -c .) MemoryEvent signals from $p:" \
                "$(printf '%s\n' "$s" | awk '{ n[$2]++; c[$2] += $3 }
                        END { printf "  %-9s %8s %14s\n", "event", "signals", "sum of counts"
                              split("high max oom oom_kill oom_group_kill", e, " ")
                              for (i = 1; i <= 5; i++) if (n[e[i]]) printf "  %-9s %8d %14d\n", e[i], n[e[i]], c[e[i]] }')" \
                "the first of each, in the order they came:" \
                "$(psigs MemoryEvent "$p" | awk '{ e = $2; sub(/,.*/, "", e) } !seen[e]++' | sed 's/^/  /')"

        # the hook
        wait_for 30 test -s "$env"
        if [ "$(hook_runs "$env")" -ge 1 ]; then
                ok "the OnOOMKill hook ran ($(hook_runs "$env") time(s))"
        else
                notok "the OnOOMKill hook ran" "no run in $env" "$(journalctl -b --no-pager -o cat -u virtualing-watcher | tail -n 10)"
        fi
        check_hook_env "its environment names the jail, its unit and cgroup, the event and memory.max" "$env" 1 \
                VIRTUALING_JAIL=hog VIRTUALING_UNIT=$u VIRTUALING_CGROUP=/virtualing.slice/$u \
                VIRTUALING_EVENT=oom_kill VIRTUALING_MEMORY_MAX=$max
        count=$(hook_var "$env" 1 VIRTUALING_COUNT)
        cur=$(hook_var "$env" 1 VIRTUALING_MEMORY_CURRENT)
        if is_num "$count" && [ "$count" -ge 1 ] && is_num "$cur"; then
                ok "and VIRTUALING_COUNT=$count, VIRTUALING_MEMORY_CURRENT=$cur"
        else
                notok "VIRTUALING_COUNT >= 1 and VIRTUALING_MEMORY_CURRENT a number" "$(cat "$env")"
        fi
        line=$(awk '/^-- run$/ { r++; next } r == 1' "$env" | grep -vE '^(PATH|PWD|VIRTUALING_[A-Z_]+)=')
        check_eq "and nothing else but PATH (a clean environment)" "" "$line"
        wait_for 10 sh -c "journalctl -b --no-pager -o cat -t virtualing-hook-hog | grep -q 'hook ran: oom_kill'"
        local hookout
        hookout=$(journalctl -b --no-pager -o cat -t virtualing-hook-hog 2>&1)
        check_grep "the hook's output is in the journal (virtualing-hook-hog)" "hook ran: oom_kill in jail hog" "$hookout"
        say "" "The OnOOMKill hook ran; its output, from journalctl -t virtualing-hook-hog:" \
                "$(printf '%s\n' "$hookout" | sed 's/^/  /')" \
                "and the environment it wrote to $env:" \
                "$(awk '/^-- run$/ { r++; next } r == 1' "$env" | grep '^VIRTUALING_' | sed 's/^/  /')"

        # the journal entries
        local j
        j=$(journalctl -b --no-pager -o verbose MESSAGE_ID=$msgid_memory VIRTUALING_JAIL=hog VIRTUALING_EVENT=oom_kill 2>&1 |
                sed 's/^ *//')
        for f in MESSAGE_ID=$msgid_memory VIRTUALING_UNIT=$u VIRTUALING_MEMORY_MAX=$max PRIORITY=4; do
                check_grep "the watcher's journal entry for the oom_kill has $f" "$f" "$j"
        done
        say "" "\$ journalctl -o verbose VIRTUALING_JAIL=hog VIRTUALING_EVENT=oom_kill   (some fields)" \
                "$(printf '%s\n' "$j" | grep -E '^(MESSAGE|MESSAGE_ID|PRIORITY|VIRTUALING_[A-Z_]+)=' | sed 's/^/  /')"
        sc reset-failed $u 2>/dev/null
}

# ---------------------------------------------------------------- a usage threshold
scenario_usage() {
        say "" "== UsageThreshold=32M: crossed up, then down when the process frees its memory"
        local env=$run/usage.env u=virtualing@usage.service p s t=33554432 line dir cur
        rm -f "$env"
        p=$(jpath usage)
        jail usage <<EOF
# python3 holds 40 MiB for 4 s, frees it, and sleeps on
[Jail]
Root=/srv/jails/usage
Exec=/usr/bin/python3 -c "import time; time.sleep(2); b = b'x' * (40 << 20); time.sleep(4); del b; time.sleep(8)"

[Resources]
MemoryMax=128M

[Events]
UsageThreshold=32M
OnUsage=$hook $env
EOF
        reload
        check "systemctl start virtualing@usage succeeds" sc start $u
        wait_sig 60 UsageThresholdCrossed "$p" "^UsageThresholdCrossed $t down "
        local m=/run/virtualing/metrics.prom
        wait_for 10 grep -qxF 'virtualing_jail_events_total{jail="usage",event="usage_down"} 1' $m
        check_eq "$m counts the crossings while the jail runs" \
                "$(printf '%s\n' 'virtualing_jail_events_total{jail="usage",event="usage_up"} 1' \
                        'virtualing_jail_events_total{jail="usage",event="usage_down"} 1')" \
                "$(grep -F 'jail="usage"' $m 2>&1 | grep -E 'event="usage_(up|down)"')"
        wait_for 60 not_active $u
        check_eq "the jail ended on its own" "inactive success" "$(prop $u ActiveState) $(prop $u Result)"
        s=$(sigs UsageThresholdCrossed "$p")
        check_eq "two UsageThresholdCrossed signals: up, then down" "up down" "$(printf '%s\n' "$s" | awk '{ print $3 }' | paste -sd ' ')"
        read -r _ line dir cur <<<"$(printf '%s\n' "$s" | sed -n 1p)"
        if [ "$line" = $t ] && is_num "$cur" && [ "$cur" -ge $t ]; then
                ok "up: threshold $line, memory_current $cur >= it"
        else
                notok "up: threshold $t, memory_current >= it" "$s"
        fi
        read -r _ line dir cur <<<"$(printf '%s\n' "$s" | sed -n 2p)"
        if [ "$line" = $t ] && is_num "$cur" && [ "$cur" -lt $t ]; then
                ok "down: threshold $line, memory_current $cur < it"
        else
                notok "down: threshold $t, memory_current < it" "$s"
        fi
        say "The subscriber received:" "$(psigs UsageThresholdCrossed "$p" | sed 's/^/  /')"
        wait_for 10 sh -c "[ \$(grep -c '^-- run\$' $env) -ge 2 ]"
        check_eq "the OnUsage hook ran twice" 2 "$(hook_runs "$env")"
        check_hook_env "first with VIRTUALING_DIRECTION=up" "$env" 1 VIRTUALING_JAIL=usage VIRTUALING_EVENT=usage \
                VIRTUALING_DIRECTION=up VIRTUALING_THRESHOLD=$t VIRTUALING_COUNT=1
        check_hook_env "then with VIRTUALING_DIRECTION=down" "$env" 2 VIRTUALING_JAIL=usage VIRTUALING_EVENT=usage \
                VIRTUALING_DIRECTION=down VIRTUALING_THRESHOLD=$t VIRTUALING_COUNT=1
        local j
        j=$(journalctl -b --no-pager -o verbose VIRTUALING_JAIL=usage VIRTUALING_EVENT=usage VIRTUALING_DIRECTION=down \
                2>&1 | sed 's/^ *//')
        check_grep "the journal entry of the crossing down has MESSAGE_ID=$msgid_usage" "MESSAGE_ID=$msgid_usage" "$j"
        check_grep "and VIRTUALING_THRESHOLD=$t" "VIRTUALING_THRESHOLD=$t" "$j"
}

# ---------------------------------------------------------------- elastic memory
scenario_elastic() {
        say "" "== elastic memory: a job that needs about 200M, in a jail of MemoryMax=64M that may grow" \
                "   by MemoryGrowStep=32M up to MemoryGrowLimit=256M, and in one that may not"
        # 4 MiB every 50 ms (every page written) up to 200 MiB, kept 3 s, then exit 0
        local prog="import time; b = []; [(b.append(b'x' * (4 << 20)), time.sleep(0.05)) for _ in range(50)]; time.sleep(3)"
        jail elastic <<EOF
[Jail]
Root=/srv/jails/elastic
Exec=/usr/bin/python3 -c "$prog"

[Resources]
MemoryMax=64M
MemorySwapMax=0
MemoryGrowStep=32M
MemoryGrowLimit=256M
EOF
        jail rigid <<EOF
[Jail]
Root=/srv/jails/rigid
Exec=/usr/bin/python3 -c "$prog"

[Resources]
MemoryMax=64M
MemorySwapMax=0
EOF
        say "--- /etc/virtualing/elastic.conf" "$(cat /etc/virtualing/elastic.conf)"
        reload
        local u=virtualing@elastic.service p s t0 grown= last bad
        p=$(jpath elastic)
        check_eq "the generator gave it MemoryHigh at 90% of MemoryMax" 60397974 "$(prop $u MemoryHigh)"
        say "" "\$ systemctl start virtualing@elastic"
        t0=$SECONDS
        check "systemctl start virtualing@elastic succeeds" sc start $u
        grew() { grown=$(cgfile $u memory.max) && is_num "$grown" && [ "$grown" -gt 67108864 ]; }
        if wait_for 120 grew; then
                ok "its memory.max grew while it ran (67108864 -> $grown)"
        else
                notok "its memory.max grew while it ran" "memory.max: $(cgfile $u memory.max)"
        fi
        wait_for 240 not_active $u
        check_eq "it finished without being killed (Result=success, exit status 0)" "inactive success 0" \
                "$(prop $u ActiveState) $(prop $u Result) $(prop $u ExecMainStatus)"
        s=$(sigs MemoryLimitChanged "$p")
        bad=$(printf '%s\n' "$s" | awk 'NF != 4 || $4 != "grow" || $3 != $2 + 33554432 || $3 > 268435456')
        if [ -n "$s" ] && [ -z "$bad" ] && [ "$(printf '%s\n' "$s" | sed -n '1{s/^[^ ]* //;s/ .*//;p}')" = 67108864 ]; then
                ok "MemoryLimitChanged signals, reason grow, 32M steps from 67108864: $(printf '%s\n' "$s" | grep -c .)"
        else
                notok "MemoryLimitChanged signals, reason grow, by 32M from 67108864 up to at most 256M" "$s"
        fi
        check_grep "the watcher logged the growth" "Jail elastic: MemoryMax 67108864 -> 100663296 (grow)" \
                "$(journalctl -b --no-pager -o cat -u virtualing-watcher 2>&1)"
        check_eq "and no OOM kill" "" "$(sigs MemoryEvent "$p" | grep -E '^MemoryEvent oom_(group_)?kill ')"
        say "The subscriber received, in the $((SECONDS - t0)) s the job took:" \
                "$(psigs MemoryLimitChanged "$p" | sed 's/^/  /')" \
                "\$ systemctl show -p Result -p ExecMainStatus virtualing@elastic" \
                "  Result=$(prop $u Result)" "  ExecMainStatus=$(prop $u ExecMainStatus)"

        u=virtualing@rigid.service
        say "" "The same job in virtualing@rigid, MemoryMax=64M without the Grow keys:"
        check "systemctl start virtualing@rigid succeeds" sc start $u
        wait_for 120 not_active $u
        check_eq "it is OOM-killed (Result=oom-kill)" "failed oom-kill" "$(prop $u ActiveState) $(prop $u Result)"
        check_eq "its limit never changed" "" "$(sigs MemoryLimitChanged "$(jpath rigid)")"
        say "  Result=$(prop $u Result)"
        sc reset-failed $u 2>/dev/null
        sc revert virtualing@elastic >/dev/null 2>&1
}

# ---------------------------------------------------------------- the package
scenario_package() {
        local how
        how=$(cat "$here/install-mode" 2>/dev/null)
        say "" "== virtualing as installed (${how:-unknown}: test/vm/run.sh VIRTUALING_VM_INSTALL)"
        check "virtualing --version runs" virtualing --version
        if [ "$how" != deb ]; then
                n=$((n + 1))
                out "ok $n # SKIP the package checks: installed with meson, not from the .deb"
                return 0
        fi
        check_eq "dpkg says the package is installed" "install ok installed" \
                "$(dpkg-query -W -f='${Status}' virtualing 2>&1)"
        check_eq "dpkg -V virtualing: every file is as packaged" "" "$(dpkg -V virtualing 2>&1)"
        local f unitdir
        # where systemd.pc put them when the package was built: /lib (Debian 12) or /usr/lib (13)
        unitdir=$(dpkg -L virtualing | grep -m1 '/systemd/system/virtualing@.service$' | sed 's|/virtualing@.service$||')
        case $unitdir in
        /lib/systemd/system | /usr/lib/systemd/system) ok "the units are in a directory systemd reads ($unitdir)" ;;
        *) notok "the units are in a directory systemd reads" "$unitdir" ;;
        esac
        for f in "${unitdir%/system}/system-generators/virtualing-generator" "$unitdir/virtualing@.service" \
                /usr/libexec/virtualing/virtualing-helper /usr/libexec/virtualing/virtualing-watcher \
                /usr/share/dbus-1/system.d/org.virtualing1.conf; do
                check_eq "$f is the package's" "virtualing: $f" "$(dpkg -S "$f" 2>&1)"
        done
}

# ---------------------------------------------------------------- virtualing run
# in_scope PID: the process is in the cgroup of virtualing-runner.scope
in_scope() { [ "$(cat "/proc/$1/cgroup" 2>/dev/null)" = "0::/virtualing.slice/virtualing-$2.scope" ]; }
scope_gone() { [ ! -e "$slice/virtualing-$1.scope" ] && not_active "virtualing-$1.scope"; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
# reap PID SECONDS: wait for a background process, its exit status in $reaped (KILL after SECONDS)
reap() {
        if ! wait_for "$2" pid_gone "$1"; then
                kill -KILL "$1" 2>/dev/null
        fi
        wait "$1"
        reaped=$?
}
# json_of PYTHON-EXPRESSION: evaluate it on the JSON document of stdin, as "d"
json_of() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>&1; }

scenario_run() {
        say "" "== virtualing run: a jail in the foreground, as a transient scope in virtualing.slice"
        local rvip=198.51.100.7 out=$run/runner hog=$run/runhog scope=virtualing-runner.scope
        local rpid mjson mtext mj mt o rc cmdpid procs reaped f tag
        mkdir -p "$out" "$hog"
        jail runner <<EOF
# virtualing run's test jail: /out/job.sh (written by the test) is the command
[Jail]
Root=/srv/jails/runner
Exec=/bin/sh /out/job.sh
Bind=$out:/out

[Resources]
CPUQuota=20%
MemoryMax=96M
TasksMax=12

[Network]
Address=$rvip/24
Device=dummy0
EOF
        jail runhog <<EOF
[Jail]
Root=/srv/jails/runhog
Exec=/bin/sh /out/job.sh
Bind=$hog:/out

[Resources]
MemoryMax=48M
MemorySwapMax=0
EOF
        units+=(virtualing-runner.scope virtualing-runhog.scope)
        reload
        # the monitors, for the whole scenario; env --default-signal: a background job
        # of a script starts with SIGINT ignored, and an ignored signal is never delivered
        mjson=$run/monitor.jsonl
        mtext=$run/monitor-runner.txt
        env --default-signal=INT virtualing monitor --json >"$mjson" 2>"$mjson.err" &
        mj=$!
        env --default-signal=INT virtualing monitor runner >"$mtext" 2>"$mtext.err" &
        mt=$!
        sleep 1

        printf '%s\n' 'echo started >/out/marker' 'exec /bin/sleep 600' >"$out/job.sh"
        rm -f "$out/marker"
        say "\$ virtualing run runner &    (Exec=/bin/sh /out/job.sh: writes a marker, then sleeps)"
        env --default-signal=INT virtualing run runner </dev/null >"$run/runner.out" 2>&1 &
        rpid=$!
        if wait_for 60 test -s "$out/marker"; then
                ok "virtualing run runner started the command (it wrote its marker)"
        else
                notok "virtualing run runner started the command" "$(cat "$run/runner.out")"
        fi
        check_eq "$scope is active, in virtualing.slice" \
                "active virtualing.slice /virtualing.slice/$scope" \
                "$(prop $scope ActiveState) $(prop $scope Slice) $(prop $scope ControlGroup)"
        check_eq "its description says it is a run" "virtualing jail runner (run)" "$(prop $scope Description)"
        check_eq "cpu.max is CPUQuota=20%" "20000 100000" "$(cgfile $scope cpu.max)"
        check_eq "memory.max is MemoryMax=96M" 100663296 "$(cgfile $scope memory.max)"
        check_eq "pids.max is TasksMax=12" 12 "$(cgfile $scope pids.max)"
        procs=$(cat "$slice/$scope/cgroup.procs" 2>&1)
        cmdpid=$(for p in $procs; do [ "$(cat /proc/$p/comm 2>/dev/null)" = sleep ] && echo "$p"; done | head -n 1)
        check_eq "the scope holds the jail's init and the command (sleep), nothing else" "sleep virtualing-init" \
                "$(for p in $procs; do cat /proc/$p/comm; done 2>&1 | sort | paste -sd ' ')"
        check_eq "the command is PID 2 of its own PID namespace, a child of the waiting virtualing run" "2 $rpid" \
                "$(awk '/^NSpid:/ { print $NF }' /proc/$cmdpid/status 2>&1) $(awk '/^PPid:/ { print $2 }' /proc/$cmdpid/status 2>&1)"
        if ! in_scope "$rpid" runner && in_scope "$cmdpid" runner && kill -0 "$rpid" 2>/dev/null; then
                ok "the waiting virtualing run is outside the scope ($(cat /proc/$rpid/cgroup))"
        else
                notok "the waiting virtualing run is outside the scope" "virtualing run $rpid: $(cat /proc/$rpid/cgroup 2>&1)" \
                        "the command $cmdpid: $(cat /proc/$cmdpid/cgroup 2>&1)"
        fi
        check "the VIP $rvip/24 is on dummy0" sh -c "ip -o addr show dev dummy0 | grep -qF 'inet $rvip/24'"
        wait_sig 30 JailAdded /org/virtualing1 '^JailAdded runner '
        check_grep "the watcher found the scope: JailAdded runner" "JailAdded runner /org/virtualing1/jail/runner" \
                "$(sigs JailAdded /org/virtualing1)"
        check_eq "its jail object names the scope as its unit" "s \"$scope\"" \
                "$(busctl get-property org.virtualing1 "$(jpath runner)" org.virtualing1.Jail Unit 2>&1)"

        # list and status while it runs
        say "" "\$ virtualing list" "$(virtualing list 2>&1 | sed 's/^/  /')"
        o=$(virtualing list 2>&1)
        check_eq "virtualing list (piped) shows runner active running with its VIP" "active running 198.51.100.7/24" \
                "$(printf '%s\n' "$o" | awk '$1 == "runner" { print $2, $3, $6 }')"
        check_eq "and atboot active running" "active running" "$(printf '%s\n' "$o" | awk '$1 == "atboot" { print $2, $3 }')"
        check_eq "its header, and no escape sequence when piped" "JAIL STATE SUB MEMORY MAX VIP EVENTS 0" \
                "$(printf '%s\n' "$o" | head -n 1 | xargs) $(printf '%s\n' "$o" | grep -c $'\e')"
        check_eq "the footer counts the rows" "$(virtualing list --no-legend 2>&1 | grep -c .) jails listed." \
                "$(printf '%s\n' "$o" | tail -n 1)"
        o=$(virtualing list --json 2>&1)
        check_eq "list --json: runner is active in its scope, memory in use, MemoryMax, its VIP" \
                "virtualing-runner.scope active True 100663296 ['198.51.100.7/24'] True" \
                "$(printf '%s' "$o" | json_of '" ".join(str(x) for x in [(r["unit"], r["state"], type(r["memory_current"]) is int and r["memory_current"] > 0,
                        r["memory_max"], r["addresses"], type(r["events"]) is int) for r in d if r["name"] == "runner"][0])')"
        check_eq "list --json: atboot is active with memory_max 64M" "virtualing@atboot.service active 67108864" \
                "$(printf '%s' "$o" | json_of '" ".join(str(x) for x in [(r["unit"], r["state"], r["memory_max"]) for r in d if r["name"] == "atboot"][0])')"
        o=$(virtualing status runner --json 2>&1)
        # (a scope has no main PID in systemd: main_pid is not looked at here)
        check_eq "status runner --json: active, the limits, its address, the watcher's Events counts" \
                "runner virtualing-runner.scope active watcher 100663296 12 200000 ['198.51.100.7/24'] dummy0 True" \
                "$(printf '%s' "$o" | json_of '" ".join(str(x) for x in (d["name"], d["unit"], d["active_state"], d["limits_source"],
                        d["memory_max"], d["tasks_max"], d["cpu_quota_per_sec_usec"], d["addresses"], d["device"],
                        type(d["events"]) is dict and "oom_kill" in d["events"] and all(type(v) is int for v in d["events"].values())))')"
        check_eq "status atboot --json: the service's main PID, active, valid" \
                "$(prop virtualing@atboot MainPID) active True" \
                "$(virtualing status atboot --json 2>&1 | json_of '" ".join(str(x) for x in (d["main_pid"], d["active_state"], d["valid"]))')"
        say "\$ virtualing status runner" "$(virtualing status runner 2>&1 | sed 's/^/  /')"
        check_grep "virtualing status runner: Active: active (running)" "Active: active (running)" "$(virtualing status runner 2>&1)"

        # set-memory
        o=$(runuser -u nobody -- virtualing set-memory runner 128M 2>&1)
        rc=$?
        # refused by the bus policy, the watcher or polkit (no terminal: nothing interactive)
        if [ "$rc" = 1 ] && printf '%s\n' "$o" | grep -qE '^(Access denied: |Interactive authentication required)' &&
                printf '%s\n' "$o" | grep -qF 'The limit of jail runner was not changed.'; then
                ok "virtualing set-memory as nobody fails (1, refused, nothing changed)"
        else
                notok "virtualing set-memory as nobody fails (1, refused, nothing changed)" "status $rc" "$o"
        fi
        check_eq "memory.max is unchanged" 100663296 "$(cgfile $scope memory.max)"
        check "virtualing set-memory runner 128M as root succeeds" virtualing set-memory runner 128M
        check_eq "memory.max of the scope is 128M" 134217728 "$(cgfile $scope memory.max)"
        wait_for 10 grep -q 'runner limit set' "$mtext"
        check_grep "virtualing monitor runner printed the change" "runner limit set max=96.0M->128.0M" "$(cat "$mtext")"

        # Ctrl-C
        say "" "\$ kill -INT <virtualing run>   (what Ctrl-C on its terminal does)"
        kill -INT "$rpid"
        reap "$rpid" 30
        check_eq "SIGINT stops the command: virtualing run exits with 130" 130 "$reaped"
        check "the VIP is gone from dummy0" sh -c "! ip -o addr show dev dummy0 | grep -qF 'inet $rvip/'"
        wait_for 10 scope_gone runner
        check "the scope is gone (no cgroup, not active)" scope_gone runner
        wait_sig 30 JailRemoved /org/virtualing1 '^JailRemoved runner '
        check_grep "the watcher said JailRemoved runner" "JailRemoved runner" "$(sigs JailRemoved /org/virtualing1)"

        # the exit status
        printf '%s\n' 'echo exiting >/out/marker' 'exit 7' >"$out/job.sh"
        rm -f "$out/marker"
        timeout 120 virtualing run runner </dev/null >"$run/runner.out" 2>&1
        rc=$?
        check_eq "a command that exits with 7: virtualing run exits with 7" "7 exiting" "$rc $(cat "$out/marker" 2>&1)"
        check "the VIP is gone again" sh -c "! ip -o addr show dev dummy0 | grep -qF 'inet $rvip/'"

        # a command that leaves a process behind: the scope is stopped before the VIP goes
        printf '%s\n' 'sleep 1234 &' 'exit 0' >"$out/job.sh"
        timeout 120 virtualing run runner </dev/null >"$run/runner.out" 2>&1
        rc=$?
        check_eq "a command that leaves a background process: run exits 0" 0 "$rc"
        check "its leftover process was stopped with the scope" sh -c "! pgrep -f 'slee[p] 1234' >/dev/null"
        check "and the scope is gone" sh -c "! systemctl is-active --quiet $scope"

        # an OOM kill, then a run right after
        say "" "\$ virtualing run runhog    (MemoryMax=48M; python3 allocates until it is killed)"
        printf '%s\n' "exec /usr/bin/python3 -c \"import time; time.sleep(2); b = []; [b.append(b'x' * (1 << 20)) for _ in iter(int, 1)]\"" \
                >"$hog/job.sh"
        timeout 300 virtualing run runhog </dev/null >"$run/runhog.out" 2>&1
        rc=$?
        check_eq "the OOM-killed command: virtualing run exits with 137 (128+SIGKILL), itself unharmed" 137 "$rc"
        wait_sig 30 MemoryEvent "$(jpath runhog)" '^MemoryEvent oom_kill '
        o=$(sigs MemoryEvent "$(jpath runhog)" | grep -m1 '^MemoryEvent oom_kill ')
        check_eq "the watcher signalled MemoryEvent oom_kill on $(jpath runhog), memory_max 48M" "oom_kill 50331648" \
                "$(printf '%s\n' "$o" | awk '$3 >= 1 { print $2, $5 }')"
        wait_for 10 grep -q '"oom_kill"' "$mjson"
        check_eq "virtualing monitor --json printed it (jail runhog, MemoryEvent, event oom_kill)" "True" \
                "$(python3 -c 'import json, sys
print(any(o.get("jail") == "runhog" and o.get("signal") == "MemoryEvent" and o.get("event") == "oom_kill"
          and o.get("count", 0) >= 1 and o.get("memory_max") == 50331648
          for o in map(json.loads, filter(str.strip, open(sys.argv[1])))))' "$mjson" 2>&1)"
        say "virtualing monitor --json:" "$(grep -F '"runhog"' "$mjson" | sed 's/^/  /')"
        printf '%s\n' 'echo again >/out/marker' 'exit 0' >"$hog/job.sh"
        rm -f "$hog/marker"
        timeout 120 virtualing run runhog </dev/null >"$run/runhog.out" 2>&1
        rc=$?
        check_eq "a run of the same jail right after the OOM kill works (exit 0)" "0 again" \
                "$rc $(cat "$hog/marker" 2>&1)$([ $rc = 0 ] || cat "$run/runhog.out")"

        o=$(virtualing status runhog --json 2>&1)
        check_eq "status runhog --json of the stopped jail: inactive, the limits from systemd" \
                "inactive systemd 50331648 None" \
                "$(printf '%s' "$o" | json_of '" ".join(str(x) for x in (d["active_state"], d["limits_source"], d["memory_max"], d["memory_current"]))')"

        # the monitors end on SIGINT with 0
        kill -INT "$mj" "$mt"
        reap "$mj" 10
        rc=$reaped
        reap "$mt" 10
        check_eq "both monitors exit with 0 on SIGINT" "0 0" "$rc $reaped"
        say "virtualing monitor runner:" "$(sed 's/^/  /' "$mtext")"
        o=$(cat "$mtext")
        check "virtualing monitor runner printed HH:MM:SS runner started ... stopped, and nothing of runhog" \
                sh -c 'grep -qE "^[0-9]{2}:[0-9]{2}:[0-9]{2} runner started$" "$1" &&
                        grep -qE "^[0-9]{2}:[0-9]{2}:[0-9]{2} runner stopped$" "$1" && ! grep -q runhog "$1"' sh "$mtext"
        # syslog from a jail that virtualing run started reaches the journal under its own name
        tag="vmtest-run-$RANDOM"
        printf '%s\n' "logger -t $tag 'syslog from virtualing run'" >"$out/job.sh"
        virtualing run runner </dev/null >"$run/runner.out" 2>&1
        wait_for 10 sh -c "journalctl -b --no-pager -t $tag | grep -q 'syslog from virtualing run'"
        check_grep "syslog inside a jail of virtualing run reaches the journal under the program's name ($tag)" \
                "syslog from virtualing run" "$(journalctl -b --no-pager -t "$tag" 2>&1)"
        for f in runner runhog; do rm -f "/etc/virtualing/$f.conf"; done
}

# ---------------------------------------------------------------- the examples of the package
memcached_version() {
        python3 -c 'import socket
s = socket.create_connection(("127.0.0.1", 11211), timeout=5)
s.sendall(b"version\r\n")
print(s.recv(100).decode().strip())' 2>&1
}

memcached_up() { memcached_version | grep -q '^VERSION '; }

scenario_examples() {
        local ex=/usr/share/doc/virtualing/examples name u pid o wvip=192.0.2.80 wtoken fifo
        say "" "== the example jails of the package: web (lighttpd), cache (memcached), batch (sort, elastic memory)," \
                "   copied from $ex as their comments say, with a drop-in for the VM"
        for name in web cache batch; do
                check "the package has $ex/$name.conf" test -s "$ex/$name.conf"
                install -m 0644 "$ex/$name.conf" "/etc/virtualing/$name.conf"
                units+=("virtualing@$name.service")
        done
        # web: its root from web-root/, its site and logs
        mkdir -p /srv/jails/web /srv/www/example /var/log/virtualing-web
        cp -r "$ex/web-root/." /srv/jails/web/
        chown www-data: /var/log/virtualing-web
        wtoken="the web example in the VM, $(cat /proc/sys/kernel/random/uuid)"
        printf '<p>%s</p>\n' "$wtoken" >/srv/www/example/index.html
        mkdir -p /etc/virtualing/web.conf.d
        install -m 0644 /dev/stdin /etc/virtualing/web.conf.d/50-vm.conf <<'EOF'
# the VM has no eth0: the jails' addresses go on its dummy interface
[Network]
Device=dummy0
EOF
        # batch: its directories, and the input as a FIFO, so that the job waits for
        # it while its cgroup is looked at
        mkdir -p /srv/batch/in /srv/batch/out /srv/batch/tmp
        chown nobody:nogroup /srv/batch/out /srv/batch/tmp
        fifo=/srv/batch/in/records.txt
        rm -f "$fifo" /srv/batch/out/sorted.txt
        mkfifo -m 0644 "$fifo"
        check "virtualing verify accepts them (with the drop-in)" virtualing verify web cache batch
        reload
        check_grep "virtualing cat web shows the drop-in" "# /etc/virtualing/web.conf.d/50-vm.conf" "$(virtualing cat web 2>&1)"

        u=virtualing@web.service
        check "systemctl start virtualing@web succeeds" sc start $u
        check "its VIP $wvip/24 is on dummy0" sh -c "ip -o addr show dev dummy0 | grep -qF 'inet $wvip/24'"
        wait_for 30 curl -fsS --max-time 5 "http://$wvip/"
        check_grep "lighttpd answers on http://$wvip/ with the site" "$wtoken" "$(curl -fsS --max-time 5 "http://$wvip/" 2>&1)"
        pid=$(prop $u MainPID)
        check_eq "its main process is lighttpd, as www-data" "lighttpd www-data" \
                "$(ps -o comm= -o user= -p "$pid" 2>&1 | xargs)"
        check_grep "the access log is on the host (/var/log/virtualing-web)" "GET / " "$(cat /var/log/virtualing-web/access.log 2>&1)"
        check_eq "cpu.max, memory.high, memory.max, pids.max as in web.conf" "30000 100000|419430400|536870912|64" \
                "$(cgfile $u cpu.max)|$(cgfile $u memory.high)|$(cgfile $u memory.max)|$(cgfile $u pids.max)"
        check_io "io.max: the disk that holds /srv (the VM's), IOReadBandwidthMax=/srv 10M and the rest" web \
                "$majmin rbps=10485760 wbps=5242880 riops=1000 wiops=max"

        u=virtualing@cache.service
        check_eq "the user memcache exists (Debian's memcached package)" memcache "$(id -un memcache 2>&1)"
        check "systemctl start virtualing@cache succeeds" sc start $u
        wait_for 30 memcached_up
        check_grep "memcached answers on 127.0.0.1:11211" "VERSION " "$(memcached_version)"
        pid=$(prop $u MainPID)
        check_eq "its main process is memcached, as memcache" "memcached memcache" \
                "$(ps -o comm= -o user= -p "$pid" 2>&1 | xargs)"
        check_eq "with no capability at all (CapabilityBoundingSet=)" 0000000000000000 \
                "$(awk '$1 == "CapBnd:" { print $2 }' /proc/$pid/status 2>&1)"
        check_eq "cpu.max, memory.max, pids.max as in cache.conf" "100000 100000|402653184|32" \
                "$(cgfile $u cpu.max)|$(cgfile $u memory.max)|$(cgfile $u pids.max)"
        syslog_from_jail cache
        syslog_from_jail web

        u=virtualing@batch.service
        check "systemctl start virtualing@batch succeeds" sc start $u
        wait_for 30 sh -c "grep -qx sort /proc/$(prop $u MainPID)/comm"
        check_eq "sort runs in it, as nobody, waiting for its input" "sort nobody" \
                "$(ps -o comm= -o user= -p "$(prop $u MainPID)" 2>&1 | xargs)"
        check_eq "its elastic start: memory.max 512M, memory.high about 90% of it (the generator's), no swap" \
                "536870912 90% 0" "$(cgfile $u memory.max) $(cgfile $u memory.high | awk '{ printf "%d%%", $1 * 100 / 536870912 + 0.5 }') $(cgfile $u memory.swap.max)"
        check_eq "cpu.max and pids.max as in batch.conf" "200000 100000|16" "$(cgfile $u cpu.max)|$(cgfile $u pids.max)"
        check_eq "the watcher watches it with the same limit" "t 536870912" \
                "$(busctl get-property org.virtualing1 "$(jpath batch)" org.virtualing1.Jail MemoryMax 2>&1)"
        # 200000 records in the FIFO
        timeout 120 python3 -c 'import random, sys
r = random.Random(6)
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        f.write("%08x record %d\n" % (r.getrandbits(32), i))' "$fifo"
        wait_for 180 not_active $u
        check_eq "the job ran to completion (Result=success, exit status 0)" "inactive success 0" \
                "$(prop $u ActiveState) $(prop $u Result) $(prop $u ExecMainStatus)"
        check_eq "its output is the input, sorted" "200000 sorted" \
                "$(wc -l </srv/batch/out/sorted.txt 2>&1) $(LC_ALL=C sort -c /srv/batch/out/sorted.txt 2>&1 && echo sorted)"

        check "systemctl stop virtualing@web virtualing@cache succeeds" sc stop virtualing@web virtualing@cache
        check_eq "both ended cleanly" "inactive success inactive success" \
                "$(prop virtualing@web ActiveState) $(prop virtualing@web Result) $(prop virtualing@cache ActiveState) $(prop virtualing@cache Result)"
        check "the web VIP is gone" sh -c "! ip -o addr show dev dummy0 | grep -qF 'inet $wvip/'"
        check_eq "no mount of either jail is left on the host" "0 0" "$(mounts_of /srv/jails/web) $(mounts_of /srv/jails/cache)"
        rm -f /etc/virtualing/cache.conf
}

# ---------------------------------------------------------------- stock daemons from their recipes
# daemon_install NAME [DROP-IN LINES...]: the package's example, as its comments say, and a
# drop-in for the VM (the addresses go on dummy0); no directory is made for the jail
daemon_install() {
        local ex=/usr/share/doc/virtualing/examples name=$1
        shift
        check "the package has $ex/$name.conf" test -s "$ex/$name.conf"
        install -m 0644 "$ex/$name.conf" "/etc/virtualing/$name.conf"
        mkdir -p "/etc/virtualing/$name.conf.d"
        printf '%s\n' "# the VM: the jails' addresses go on its dummy interface" "[Network]" "Device=dummy0" "$@" |
                install -m 0644 /dev/stdin "/etc/virtualing/$name.conf.d/50-vm.conf"
        units+=("virtualing@$name.service")
}

# daemon_running NAME COMM USER: started, the daemon is the main process in its PID namespace
daemon_running() {
        local u=virtualing@$1.service pid
        check "systemctl start virtualing@$1 succeeds (the jail root and its parents made by the helper)" sc start "$u"
        check "its root was created: /var/lib/virtualing/$1, root's, 0755" \
                test "$(stat -c '%U %a' /var/lib/virtualing/$1 2>&1)" = "root 755"
        pid=$(prop "$u" MainPID)
        check_eq "$1: the main process is $2, as $3" "$2 $3" "$(ps -o comm= -o user= -p "$pid" 2>&1 | xargs)"
        check_eq "$1: it is PID 2 of the jail's PID namespace" 2 "$(awk '/^NSpid:/ { print $NF }' /proc/$pid/status 2>&1)"
}

# journal_has NAME IDENT TEXT: a line of the unit under IDENT (its own name, not the helper's) with TEXT
journal_has() {
        local lines
        lines=$(journalctl -b --no-pager -o 'with-unit' _SYSTEMD_UNIT="virtualing@$1.service" SYSLOG_IDENTIFIER="$2" 2>&1)
        if printf '%s\n' "$lines" | grep -qF -- "$3"; then
                ok "$1: the journal has its lines under its own name ($2[PID]): \"$3\""
        else
                notok "$1: the journal has its lines under its own name ($2[PID]): \"$3\"" "$lines" \
                        "$(journalctl -b --no-pager -u "virtualing@$1.service" | tail -n 15)"
        fi
}

# syslog_from_jail NAME: logger(1) run in the jail's mount namespace reaches the journal through /dev/log
syslog_from_jail() {
        local pid tag="vmtest-$1-$RANDOM"
        pid=$(prop "virtualing@$1.service" MainPID)
        check_eq "$1: /dev/log in the jail leads to the journal's socket" "/run/systemd/journal/dev-log" \
                "$(readlink /proc/$pid/root/dev/log 2>&1)"
        nsenter -t "$pid" -m -- /usr/bin/logger -t "$tag" "syslog from inside the $1 jail" 2>&1
        wait_for 10 sh -c "journalctl -b --no-pager -t '$tag' | grep -q 'syslog from inside'"
        check_grep "$1: syslog(3) inside the jail reaches the host's journal" "syslog from inside the $1 jail" \
                "$(journalctl -b --no-pager -t "$tag" 2>&1)"
}

# daemon_stopped NAME VIP|- [RUNTIME_DIR]: stopped, nothing of the jail left on the host
daemon_stopped() {
        local u=virtualing@$1.service
        check "systemctl stop virtualing@$1 succeeds" sc stop "$u"
        check_eq "$1 ended cleanly" "inactive success" "$(prop "$u" ActiveState) $(prop "$u" Result)"
        check_eq "$1: no mount of the jail is left on the host" 0 "$(mounts_of "/var/lib/virtualing/$1")"
        if [ "$2" != - ]; then
                check "$1: its VIP $2 is gone" sh -c "! ip -o addr show dev dummy0 | grep -qF 'inet $2/'"
        fi
        if [ -n "${3:-}" ]; then
                check "$1: its runtime directory $3 is gone" test ! -e "$3"
        fi
        check "$1: its cgroup is gone" test ! -e "$slice/$u"
}

scenario_nginx() {
        local vip=192.0.2.81
        say "" "== nginx from its package, with its packaged configuration, from examples/nginx.conf"
        daemon_install nginx
        reload
        daemon_running nginx nginx root
        wait_for 30 curl -fsS --max-time 5 "http://$vip/"
        check_grep "nginx serves Debian's default page on http://$vip/" "Welcome to nginx" \
                "$(curl -fsS --max-time 5 "http://$vip/" 2>&1)"
        check_eq "its workers run as www-data" "www-data" \
                "$(ps -o user= --ppid "$(prop virtualing@nginx MainPID)" 2>&1 | sort -u | xargs)"
        check_grep "the access log is the host's /var/log/nginx" "GET / " "$(cat /var/log/nginx/access.log 2>&1)"
        syslog_from_jail nginx
        daemon_stopped nginx $vip

        say "" "== a capability missing: nginx without CAP_NET_BIND_SERVICE cannot bind port 80, and the journal and" \
                "   virtualing status say which capability it lacked"
        printf '%s\n' "[Jail]" "CapabilityBoundingSet=" "CapabilityBoundingSet=CAP_CHOWN CAP_DAC_OVERRIDE CAP_SETGID CAP_SETUID" |
                install -m 0644 /dev/stdin /etc/virtualing/nginx.conf.d/60-fewer-caps.conf
        reload "with fewer capabilities"
        sc start virtualing@nginx >/dev/null 2>&1
        wait_for 30 state_is virtualing@nginx failed
        check_eq "nginx failed (its own exit status)" "failed exit-code" \
                "$(prop virtualing@nginx ActiveState) $(prop virtualing@nginx Result)"
        wait_for 10 sh -c "journalctl -b --no-pager -u virtualing@nginx -t virtualing-helper | grep -q CAP_NET_BIND_SERVICE"
        check_grep "the journal names the capability it lacked, after nginx's own line" \
                "CAP_NET_BIND_SERVICE is not in the jail's CapabilityBoundingSet=" \
                "$(journalctl -b --no-pager -o cat -u virtualing@nginx -t virtualing-helper 2>&1)"
        o=$(virtualing status nginx 2>&1)
        say "\$ virtualing status nginx" "$(printf '%s\n' "$o" | sed 's/^/  /')"
        check_grep "virtualing status shows what was refused" "Refused: nginx: [emerg] bind() to" "$o"
        check_grep "and which capability to add" "Hint: CAP_NET_BIND_SERVICE is not in the jail's CapabilityBoundingSet=" "$o"
        check_grep "and the jail's set" "Caps: CAP_CHOWN CAP_DAC_OVERRIDE CAP_SETGID CAP_SETUID" "$o"
        sc reset-failed virtualing@nginx >/dev/null 2>&1
        rm -f /etc/virtualing/nginx.conf.d/60-fewer-caps.conf
}

scenario_redis() {
        local vip=192.0.2.82 key
        say "" "== redis from its package, as user redis, from examples/redis.conf"
        daemon_install redis
        reload
        daemon_running redis redis-server redis
        wait_for 30 sh -c "redis-cli -h $vip PING | grep -q PONG"
        check_eq "redis-cli PING over the VIP $vip" PONG "$(redis-cli -h $vip PING 2>&1)"
        key="vmtest-$(cat /proc/sys/kernel/random/uuid)"
        check_eq "SET and GET over the VIP" "OK $key" \
                "$(redis-cli -h $vip SET vmtest "$key" 2>&1) $(redis-cli -h $vip GET vmtest 2>&1)"
        check_eq "SAVE" OK "$(redis-cli -h $vip SAVE 2>&1)"
        check_eq "the dump is the host's /var/lib/redis/dump.rdb, redis's (StateDirectory=)" "redis" \
                "$(stat -c %U /var/lib/redis/dump.rdb 2>&1)"
        check "it holds the key" grep -qa "$key" /var/lib/redis/dump.rdb
        check_eq "its runtime directory is the host's /run/redis, redis's, with the pid file" "redis yes" \
                "$(stat -c %U /run/redis 2>&1) $(test -s /run/redis/redis-server.pid && echo yes)"
        check_grep "Type=notify inside: redis told systemd its status (--supervised systemd)" "Ready to accept connections" \
                "$(prop virtualing@redis StatusText)"
        journal_has redis redis "Ready to accept connections"
        daemon_stopped redis $vip /run/redis
}

scenario_postgresql() {
        local v rows
        v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
        say "" "== PostgreSQL $v from its package (the cluster it made), as user postgres, from examples/postgresql.conf"
        if [ "$v" = 15 ]; then
                daemon_install postgresql
        else
                daemon_install postgresql "[Jail]" \
                        "Exec=/usr/lib/postgresql/$v/bin/postgres -D /var/lib/postgresql/$v/main -c config_file=/etc/postgresql/$v/main/postgresql.conf"
        fi
        reload
        daemon_running postgresql postgres postgres
        wait_for 60 test -S /run/postgresql/.s.PGSQL.5432
        check "its socket is in the host's /run/postgresql (RuntimeDirectory=, through the jail's /var/run)" \
                test -S /run/postgresql/.s.PGSQL.5432
        rows=$(runuser -u postgres -- psql -X -Atc "create table vmtest(t text); insert into vmtest values ('from the host'); select t from vmtest; drop table vmtest" 2>&1)
        check_eq "psql on the host talks to the jailed PostgreSQL through /run/postgresql" "from the host" \
                "$(printf '%s\n' "$rows" | grep -v '^[A-Z]' | head -n 1)"
        check_eq "ready means ready: systemd waited for it (Type=notify inside, READY=1 from the postmaster)" active \
                "$(prop virtualing@postgresql ActiveState)"
        journal_has postgresql postgres "database system is ready to accept connections"
        daemon_stopped postgresql - /run/postgresql
        journal_has postgresql postgres "database system is shut down"
}

scenario_ssh() {
        local vip=192.0.2.83 keys out
        say "" "== OpenSSH from its package on a VIP, from examples/ssh.conf; a user logs in with a key"
        # an ordinary user of the host, with a key
        id jailuser >/dev/null 2>&1 || useradd -m -s /bin/sh jailuser
        rm -f "$run/id_jail" "$run/id_jail.pub"
        ssh-keygen -q -t ed25519 -N '' -f "$run/id_jail"
        install -d -o jailuser -g jailuser -m 0700 /home/jailuser/.ssh
        install -o jailuser -g jailuser -m 0600 "$run/id_jail.pub" /home/jailuser/.ssh/authorized_keys
        daemon_install ssh
        reload
        daemon_running ssh sshd root
        wait_for 30 sh -c "ssh-keyscan -T 5 $vip 2>/dev/null | grep -q ssh-ed25519"
        keys=$(ssh-keyscan -T 5 -t ed25519 $vip 2>/dev/null | awk '$2 == "ssh-ed25519" { print $3 }')
        check_eq "ssh-keyscan $vip gets the host's ed25519 key (ConfigurationDirectory=ssh)" \
                "$(awk '{ print $2 }' /etc/ssh/ssh_host_ed25519_key.pub)" "$keys"
        out=$(timeout 60 ssh -i "$run/id_jail" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
                jailuser@$vip 'echo "user=$(id -un) init=$(cat /proc/1/comm) pids=$(ls /proc | grep -c "^[0-9]")"' 2>&1)
        check_grep "a key login as jailuser runs its command inside the jail (its PID 1 is the jail's init)" \
                "user=jailuser init=virtualing-init" "$out"
        # OpenSSH 10 (Debian 13) logs sessions from its sshd-session program
        journal_has ssh "$([ -x /usr/lib/openssh/sshd-session ] && echo sshd-session || echo sshd)" \
                "Accepted publickey for jailuser"
        daemon_stopped ssh $vip /run/sshd
}

# ---------------------------------------------------------------- properties as systemd reads them
# Every accepted jail file must mean to systemd what it means to virtualing: for a corpus
# of jails with awkward values (device paths with spaces, quotes, backslashes and
# non-ASCII letters; a device given twice; infinity; the largest CPUQuota=; sizes at
# their limits; elastic memory), the
# package's examples, and a jail read from a directory with "%" in its name, what
# "virtualing properties" promises equals what systemd reports on D-Bus.
prop_jail() { # prop_jail NAME: the jail file from stdin, after a [Jail] section
        { printf '[Jail]\nRoot=/srv/jails/%s\nExec=/bin/sleep infinity\n' "$1"; cat; } | jail "$1"
        prop_names+=("$1")
}
scenario_properties() {
        local ex=/usr/share/doc/virtualing/examples f name o pdir="$run/props/50%"
        prop_names=()
        say "" "== what systemd reads from the generated drop-ins equals the jail model"
        prop_jail pquote <<'EOF'
[Resources]
IOReadBandwidthMax="/dev/disk/by-label/my disk" 1M
IOWriteBandwidthMax='/dev/disk/by-label/say "hi"' 2M
IOReadIOPSMax="/dev/disk/by-label/back\\slash" 3K
IOWriteIOPSMax="/dev/disk/by-label/it's" 4
IOWriteBandwidthMax=/dev/disk/by-label/dísk€ 5M
IOReadBandwidthMax=/dev/vda infinity
IOReadIOPSMax=/dev/vda 100
IOWriteIOPSMax=/dev/vda 5
IOReadIOPSMax=/dev/vda 200
IOWriteBandwidthMax=/dev/vdb 7M
IOWriteBandwidthMax=/dev/vdb infinity
EOF
        prop_jail pmax <<'EOF'
[Resources]
CPUQuota=21474836.47%
MemoryMax=18446744073709551614
MemorySwapMax=0
TasksMax=infinity
IOReadBandwidthMax=4095:1048575 18446744073709551614
EOF
        prop_jail pmin <<'EOF'
[Resources]
CPUQuota=0.01%
MemoryMax=1
MemoryHigh=1
TasksMax=1
IOWriteIOPSMax=1:3 1
EOF
        prop_jail pelastic <<'EOF'
[Resources]
MemoryMax=10%
CPUQuota=150.5%
MemoryGrowStep=1M
MemoryGrowLimit=20%
EOF
        for f in "$ex"/*.conf; do
                name=ex$(basename "$f" .conf)
                install -m 0644 "$f" "/etc/virtualing/$name.conf"
                units+=("virtualing@$name.service")
                prop_names+=("$name")
        done
        check "virtualing verify accepts the corpus" virtualing verify "${prop_names[@]}"
        reload "with the corpus"
        o=$(python3 "$here/properties.py" "${prop_names[@]}" 2>&1)
        check_eq "for ${#prop_names[@]} jails, systemd reports what virtualing properties says" \
                "$(printf 'ok %s\n' "${prop_names[@]}")" "$(printf '%s\n' "$o" | sed 's/ (.*//')"
        say "$o"
        for name in "${prop_names[@]}"; do rm -f "/etc/virtualing/$name.conf"; done

        # "%" is a specifier to systemd: the generator doubles it in SourcePath=. The
        # generator run by hand on a directory named "50%", its drop-in put in
        # /run/systemd/system.
        mkdir -p "$pdir" "$run/props/out"
        printf '[Jail]\nRoot=/srv/jails/ppercent\nExec=/bin/true\n[Resources]\nMemoryMax=64M\n' >"$pdir/ppercent.conf"
        rm -rf /run/systemd/system/virtualing@ppercent.service.d
        VIRTUALING_CONFIG_PATH="$pdir" /usr/lib/systemd/system-generators/virtualing-generator \
                "$run/props/out" "$run/props/out" "$run/props/out"
        check_grep "the generator writes SourcePath= with %% for %" "SourcePath=$run/props/50%%/ppercent.conf" \
                "$(cat "$run/props/out/virtualing@ppercent.service.d/10-virtualing.conf" 2>&1)"
        cp -r "$run/props/out/virtualing@ppercent.service.d" /run/systemd/system/
        reload "with the drop-in from the directory 50%"
        check_eq "systemd reports SourcePath and the rest as virtualing properties says" "ok ppercent (3 properties)" \
                "$(VIRTUALING_CONFIG_PATH="$pdir" python3 "$here/properties.py" ppercent 2>&1)"
        rm -rf /run/systemd/system/virtualing@ppercent.service.d "$run/props"

        # every jail the generator's golden tests accept, read with its search path of four
        # directories, its drop-ins put in /run/systemd/system, one test case at a time
        local case path out d jn gen n_ok=0 n_cases=0 mismatches=()
        for case in "$here"/golden/*.input; do
                out=$run/golden-out
                rm -rf "$out"
                mkdir -p "$out"
                path="$case/etc:$case/run:$case/usr-local-lib:$case/usr-lib"
                VIRTUALING_CONFIG_PATH=$path VIRTUALING_PHYSICAL_MEMORY=8589934592 \
                        /usr/lib/systemd/system-generators/virtualing-generator "$out" "$out" "$out" 2>/dev/null
                gen=()
                for d in "$out"/virtualing@*.service.d; do
                        [ -d "$d" ] || continue
                        jn=${d##*/virtualing@}
                        gen+=("${jn%.service.d}")
                        cp -r "$d" /run/systemd/system/
                done
                [ ${#gen[@]} -gt 0 ] || continue
                n_cases=$((n_cases + 1))
                sc daemon-reload
                o=$(VIRTUALING_CONFIG_PATH=$path VIRTUALING_PHYSICAL_MEMORY=8589934592 \
                        python3 "$here/properties.py" "${gen[@]}" 2>&1)
                n_ok=$((n_ok + $(printf '%s\n' "$o" | grep -c '^ok ')))
                while IFS= read -r line; do
                        mismatches+=("${case##*/}: $line")
                done < <(printf '%s\n' "$o" | grep -v '^ok ')
                for jn in "${gen[@]}"; do rm -rf "/run/systemd/system/virtualing@$jn.service.d"; done
        done
        check "the golden inputs give at least 20 jails to compare ($n_ok, from $n_cases cases)" test "$n_ok" -ge 20
        check_eq "the golden inputs: systemd reports what virtualing properties says for every one" \
                "" "$(printf '%s\n' "${mismatches[@]}" | sed '/^$/d')"
        rm -rf "$run/golden-out"
        reload
}

# ---------------------------------------------------------------- the legacy hierarchy
# run.sh --legacy: booted with systemd.unified_cgroup_hierarchy=0, the watcher's cgroup v1
# backend (eventfds through cgroup.event_control)
v1file() { cat "/sys/fs/cgroup/memory/virtualing.slice/$1/$2" 2>&1; }
v1kills() { awk '$1 == "oom_kill" { print $2 }' "/sys/fs/cgroup/memory/virtualing.slice/$1/memory.oom_control"; }
v1killed() { [ "$(v1kills "$1")" -ge 1 ] 2>/dev/null; }
v1paused() { grep -qx 'oom_kill_disable 1' "/sys/fs/cgroup/memory/virtualing.slice/$1/memory.oom_control"; }
# ---------------------------------------------------------------- the command's conventions
# --json=short|pretty, --no-pager, --no-legend and the pager, on the real systemd and watcher
scenario_cli() {
        say "" "== virtualing as systemctl: --json=short|pretty, the pager, --no-pager, --no-legend"
        local u=virtualing@clijail.service o p lines rc
        jail clijail <<'EOJ'
[Jail]
Root=/srv/jails/clijail
Exec=/bin/sleep infinity

[Resources]
MemoryMax=64M
EOJ
        reload
        check "systemctl start $u succeeds" sc start $u
        wait_for 30 sh -c 'virtualing list --json=short | grep -q "\"name\":\"clijail\",[^}]*\"state\":\"active\",[^}]*\"memory_max\":67108864"'

        o=$(virtualing list --json=short 2>&1)
        check_eq "list --json=short is one line" 1 "$(printf '%s\n' "$o" | wc -l)"
        check_eq "list --json=short is JSON: clijail active, memory_max 64M" "active 67108864" \
                "$(printf '%s' "$o" | json_of '" ".join(str(x) for x in [(r["state"], r["memory_max"]) for r in d if r["name"] == "clijail"][0])')"
        p=$(virtualing list --json=pretty 2>&1)
        lines=$(printf '%s\n' "$p" | wc -l)
        if [ "$lines" -gt 10 ]; then
                ok "list --json=pretty is several lines ($lines)"
        else
                notok "list --json=pretty is several lines" "$p"
        fi
        # memory use moves between two calls: the rest is the same
        check_eq "list --json=pretty is the same data as --json=short" True \
                "$(python3 -c 'import json, sys
drop = lambda l: [{k: v for k, v in r.items() if k != "memory_current"} for r in l]
print(drop(json.loads(sys.argv[1])) == drop(json.loads(sys.argv[2])))' "$o" "$p" 2>&1)"
        check_eq "list --json (piped) is short" 1 "$(virtualing list --json 2>&1 | wc -l)"
        virtualing list --json=bogus >/dev/null 2>&1
        check_eq "list --json=bogus exits 2" 2 $?

        o=$(virtualing status clijail --no-pager 2>&1)
        rc=$?
        check_eq "status clijail --no-pager exits 0" 0 $rc
        check_grep "status clijail --no-pager: Active: active (running)" "Active: active (running)" "$o"
        # on a terminal (script(1) gives it one): through the pager, or not with --no-pager
        o=$(TERM=xterm VIRTUALING_PAGER='sed s/^/P:/' script -qec 'virtualing status clijail' /dev/null 2>&1 | tr -d '\r')
        check_grep "status clijail on a terminal goes through \$VIRTUALING_PAGER" "P:     Active: " "$o"
        o=$(TERM=xterm VIRTUALING_PAGER='sed s/^/P:/' script -qec 'virtualing status clijail --no-pager' /dev/null 2>&1 |
                tr -d '\r')
        # (coloured on the terminal: "Active: ESC[…mactive")
        if printf '%s\n' "$o" | grep -q '^ *Active: .*active (running)' && ! printf '%s\n' "$o" | grep -q '^P:'; then
                ok "status clijail --no-pager on a terminal: no pager"
        else
                notok "status clijail --no-pager on a terminal: no pager" "$o"
        fi

        o=$(virtualing list 2>&1)
        p=$(virtualing list --no-legend 2>&1)
        check_eq "list has its header" "JAIL STATE SUB MEMORY MAX VIP EVENTS" "$(printf '%s\n' "$o" | head -n 1 | xargs)"
        if ! printf '%s\n' "$p" | grep -qE '^JAIL |listed\.$' && printf '%s\n' "$p" | grep -q '^clijail  *active '; then
                ok "list --no-legend: the rows, no header, no footer"
        else
                notok "list --no-legend: the rows, no header, no footer" "$p"
        fi
        check_eq "list --no-legend has a line per jail of list --json" \
                "$(virtualing list --json=short 2>&1 | json_of 'len(d)')" "$(printf '%s\n' "$p" | grep -c .)"

        check "systemctl stop $u succeeds" sc stop $u
        rm -f /etc/virtualing/clijail.conf
        reload
}

# ---------------------------------------------------------------- the Ansible role
# contrib/ansible/roles/virtualing as a fleet runs it, on this machine (-i localhost, -c
# local): a jail deployed, nothing changed the second time, a refused file that changes
# nothing, a changed limit that restarts the jail, a jail of the host's stopped and
# disabled against its own WantedBy=, and one removed. Four runs of a minute or two each
# under emulation.
# ansible_run VARIABLES: the role with these variables (YAML), output in $run/ansible.out
ansible_run() {
        local t0=$SECONDS rc
        printf '%s\n' "$1" >"$run/ansible-vars.yml"
        HOME=/root ANSIBLE_ROLES_PATH="$here/ansible/roles" ANSIBLE_NOCOLOR=1 ANSIBLE_PIPELINING=1 \
                ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP="$run/ansible-tmp" \
                timeout 900 ansible-playbook -i localhost, -c local -e ansible_python_interpreter=/usr/bin/python3 \
                -e "@$run/ansible-vars.yml" "$run/ansible-play.yml" >"$run/ansible.out" 2>&1
        rc=$?
        say "(ansible-playbook: exit status $rc after $((SECONDS - t0)) s; $(ansible_recap))"
        return $rc
}
ansible_recap() { sed -n 's/^localhost *: *//p' "$run/ansible.out" | tr -s ' '; }
# ansible_task NAME: what ansible-playbook printed for the role's task NAME
ansible_task() {
        awk -v t="TASK [virtualing : $1]" 'index($0, t) == 1 { on = 1; next } /^(TASK|PLAY|RUNNING HANDLER) / { on = 0 } on' \
                "$run/ansible.out"
}
# check_play DESC EXPECTED(0|fail) STATUS: how the last run ended; its output when not as expected
check_play() {
        if { [ "$2" = 0 ] && [ "$3" = 0 ]; } || { [ "$2" = fail ] && [ "$3" != 0 ]; }; then
                ok "$1"
        else
                notok "$1" "exit status $3" "$(tail -n 40 "$run/ansible.out")"
        fi
}
ansa_conf() { printf '[Jail]\nRoot=/srv/jails/ansa\nExec=/bin/sleep infinity\n\n[Resources]\nMemoryMax=%s\nTasksMax=8\n' "$1"; }
ansb_conf() { printf '[Jail]\nRoot=/srv/jails/ansb\nExec=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n'; }
# ansible_vars INSTALL ANSA-MEMORYMAX [MORE]: the variables of a run: the jail ansa, then
# with MORE ansb stopped and disabled and ansc removed
ansible_vars() {
        printf 'virtualing_install_package: %s\nvirtualing_jails:\n  - name: ansa\n    config: |\n' "$1"
        ansa_conf "$2" | sed 's/^/      /'
        [ -n "${3:-}" ] || return 0
        printf '  - name: ansb\n    state: stopped\n    enabled: false\n    config: |\n'
        ansb_conf | sed 's/^/      /'
        printf '  - name: ansc\n    state: absent\n'
}
scenario_ansible() {
        local pid pid2 t1 u=virtualing@ansa.service ub=virtualing@ansb.service uc=virtualing@ansc.service
        local wants=/run/systemd/generator/multi-user.target.wants
        say "" "== the Ansible role (contrib/ansible): jails rolled out with $(ansible-playbook --version | head -n 1)"
        units+=("$u")
        printf -- '- name: virtualing jails\n  hosts: all\n  gather_facts: false\n  roles:\n    - virtualing\n' \
                >"$run/ansible-play.yml"
        # jails of the host's, running: ansb enabled by its own file, ansc with a drop-in of
        # the administrator's
        ansb_conf | jail ansb
        printf '[Jail]\nRoot=/srv/jails/ansc\nExec=/bin/sleep infinity\n' | jail ansc
        mkdir -p /etc/virtualing/ansc.conf.d
        printf '[Resources]\nTasksMax=16\n' >/etc/virtualing/ansc.conf.d/50-admin.conf
        reload "with the jails ansb and ansc"
        check "virtualing@ansb and virtualing@ansc start" sc start "$ub" "$uc"

        say "" "--- 1: ansa, started and enabled (the defaults); the package is installed already"
        ansible_run "$(ansible_vars true 64M)"
        check_play "the role deploys a jail (ansible-playbook exits 0)" 0 $?
        check "/etc/virtualing/ansa.conf is the config's text, byte for byte" cmp <(ansa_conf 64M) /etc/virtualing/ansa.conf
        check_eq "it is root's, mode 0644" "root root 644" "$(stat -c '%U %G %a' /etc/virtualing/ansa.conf 2>&1)"
        check_eq "virtualing@ansa is active" active "$(prop $u ActiveState)"
        check "enabled: the generator linked it into multi-user.target.wants" test -L "$wants/$u"
        check_grep "systemd has multi-user.target want it" multi-user.target "$(prop $u WantedBy)"
        check_eq "memory.max is MemoryMax=64M" 67108864 "$(cgfile $u memory.max)"
        check_grep "the apt task changes nothing (no network here)" "ok: [localhost]" "$(ansible_task 'Install virtualing')"
        check_eq "a jail started for the first time is not restarted as well" \
                "changed: [localhost] => (item=ansa)|" \
                "$(ansible_task 'Start the jails that do not run' | grep -F '(item=ansa)')|$(ansible_task 'Restart the running jails whose file changed' | grep -F 'changed:')"
        pid=$(prop $u MainPID)
        t1=$(prop $u ExecMainStartTimestampMonotonic)

        say "" "--- 2: the same variables again"
        ansible_run "$(ansible_vars true 64M)"
        check_play "the second run succeeds" 0 $?
        check_grep "it changes nothing (PLAY RECAP changed=0)" "changed=0 " "$(ansible_recap)"
        check_eq "the jail was not restarted" "$pid" "$(prop $u MainPID)"

        say "" "--- 3: a MemoryMax= that virtualing verify refuses; ansb to stop, ansc to remove"
        ansible_run "$(ansible_vars false lots more)"
        check_play "the play fails" fail $?
        check_grep "it says why, at the jail file's own path and line" \
                "/etc/virtualing/ansa.conf:6: [Resources] MemoryMax=lots" "$(cat "$run/ansible.out")"
        check "the old /etc/virtualing/ansa.conf is left" cmp <(ansa_conf 64M) /etc/virtualing/ansa.conf
        check_eq "the jail runs on, not restarted" "active $pid" "$(prop $u ActiveState) $(prop $u MainPID)"
        check_eq "no other jail was touched (ansb and ansc active, ansc's file there)" "active active yes" \
                "$(prop $ub ActiveState) $(prop $uc ActiveState) $([ -e /etc/virtualing/ansc.conf ] && echo yes)"
        check_eq "the staging directory is gone" "" "$(ls -d /run/virtualing-ansible.* 2>/dev/null)"

        say "" "--- 4: MemoryMax=96M; ansb stopped and disabled; ansc absent"
        ansible_run "$(ansible_vars false 96M more)"
        check_play "the play succeeds" 0 $?
        check_eq "the new limit reached the running jail's cgroup (memory.max)" 100663296 "$(cgfile $u memory.max)"
        pid2=$(prop $u MainPID)
        if [ "$(prop $u ActiveState)" = active ] && [ "$pid2" != "$pid" ] &&
                [ "$(prop $u ExecMainStartTimestampMonotonic)" != "$t1" ]; then
                ok "the jail was restarted (MainPID $pid -> $pid2)"
        else
                notok "the jail was restarted" "MainPID $pid -> $pid2, $(prop $u ActiveState)" \
                        "$(ansible_task 'Restart the running jails whose file changed')"
        fi
        check_eq "ansb is stopped, its file as it was" "inactive same" \
                "$(prop $ub ActiveState) $(cmp -s <(ansb_conf) /etc/virtualing/ansb.conf && echo same)"
        check_eq "ansb is disabled although its file says WantedBy=multi-user.target: no link, no WantedBy" "no " \
                "$([ -L "$wants/$ub" ] && echo yes || echo no) $(prop $ub WantedBy)"
        say "(systemctl is-enabled: $(systemctl is-enabled $u 2>&1) for ansa, $(systemctl is-enabled $ub 2>&1) for ansb)"
        check_eq "ansc is stopped and its file gone" "inactive no" \
                "$(prop $uc ActiveState) $([ -e /etc/virtualing/ansc.conf ] && echo yes || echo no)"
        check_eq "the administrator's drop-in of ansc is left" "50-admin.conf" "$(ls /etc/virtualing/ansc.conf.d 2>&1)"

        sc stop "$u" "$ub" >/dev/null 2>&1
        rm -rf /etc/virtualing/ansa.conf /etc/virtualing/ansa.conf.d /etc/virtualing/ansb.conf \
                /etc/virtualing/ansb.conf.d /etc/virtualing/ansc.conf.d
        sc daemon-reload
}

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
scenario_legacy() {
        local u p s line e count cur mx ev grown=
        say "" "== cgroup v1: OOM, OOM kill, usage thresholds and elastic memory through eventfds"

        # an OOM-killed jail
        rm -f "$run/l-oom.env" "$run/l-kill.env"
        jail lhog <<EOF
[Jail]
Root=/srv/jails/lhog
Exec=/usr/bin/python3 -c "import time; time.sleep(3); b = []; [b.append(b'x' * (1 << 20)) for _ in iter(int, 1)]"

[Resources]
MemoryMax=48M

[Events]
OnOOM=$hook $run/l-oom.env
OnOOMKill=$hook $run/l-kill.env
EOF
        reload
        u=virtualing@lhog.service
        p=$(jpath lhog)
        check "systemctl start virtualing@lhog succeeds" sc start $u
        check_eq "memory.limit_in_bytes is MemoryMax=48M" 50331648 "$(v1file $u memory.limit_in_bytes)"
        check_eq "the watcher's backend is cgroup v1 (Manager.CgroupBackend)" 's "cgroup-v1"' \
                "$(busctl get-property org.virtualing1 /org/virtualing1 org.virtualing1.Manager CgroupBackend 2>&1)"
        check_grep "virtualing status says so" "Backend: cgroup v1" "$(virtualing status lhog 2>&1)"
        wait_for 120 not_active $u
        check_eq "the kernel killed it: systemd says Result=signal on v1" "failed signal" \
                "$(prop $u ActiveState) $(prop $u Result)"
        wait_sig 30 JailRemoved /org/virtualing1 '^JailRemoved lhog '
        s=$(sigs MemoryEvent "$p")
        for ev in oom oom_kill; do
                line=$(printf '%s\n' "$s" | grep -m1 "^MemoryEvent $ev ")
                read -r _ e count cur mx <<<"$line"
                if [ -n "$line" ] && is_num "$count" && [ "$count" -ge 1 ] && is_num "$cur" && [ "$mx" = 50331648 ]; then
                        ok "the subscriber received MemoryEvent $ev (count $count, memory_current $cur, memory_max $mx)"
                else
                        notok "the subscriber received MemoryEvent $ev with count >= 1 and memory_max 50331648" \
                                "first $ev signal: ${line:-none}" "every MemoryEvent of lhog:" "$s" \
                                "$(journalctl -b --no-pager -o cat -u virtualing-watcher | tail -n 20)"
                fi
        done
        say "The subscriber received:" "$(psigs MemoryEvent "$p" | sed 's/^/  /')"
        wait_for 10 test -s "$run/l-kill.env"
        check_hook_env "OnOOM ran with the environment of v2" "$run/l-oom.env" 1 VIRTUALING_JAIL=lhog \
                VIRTUALING_UNIT=$u VIRTUALING_CGROUP=/virtualing.slice/$u VIRTUALING_EVENT=oom \
                VIRTUALING_MEMORY_MAX=50331648
        check_hook_env "OnOOMKill too" "$run/l-kill.env" 1 VIRTUALING_JAIL=lhog VIRTUALING_EVENT=oom_kill \
                VIRTUALING_MEMORY_MAX=50331648
        sc reset-failed $u 2>/dev/null

        # usage thresholds, up and down: the same scenario as on v2, nothing in it depends on
        # the hierarchy
        scenario_usage

        # a user reads properties while a jail runs
        jail lsleep <<EOF
[Jail]
Root=/srv/jails/lsleep
Exec=/bin/sleep infinity
[Resources]
MemoryMax=100M
EOF
        reload
        u=virtualing@lsleep.service
        p=$(jpath lsleep)
        check "systemctl start virtualing@lsleep succeeds" sc start $u
        wait_sig 30 JailAdded /org/virtualing1 '^JailAdded lsleep '
        check_eq "nobody reads MemoryMax over D-Bus: memory.limit_in_bytes" "t 104857600" \
                "$(as_nobody busctl get-property org.virtualing1 "$p" org.virtualing1.Jail MemoryMax 2>&1)"
        check_eq "and MemoryHigh: none on v1" "t 18446744073709551615" \
                "$(as_nobody busctl get-property org.virtualing1 "$p" org.virtualing1.Jail MemoryHigh 2>&1)"
        check_grep "virtualing list shows it (as nobody)" "lsleep" "$(as_nobody virtualing list 2>&1)"
        wait_for 5 grep -qF 'virtualing_jail_memory_max_bytes{jail="lsleep"} 104857600' /run/virtualing/metrics.prom
        check_grep "metrics.prom has its limit" 'virtualing_jail_memory_max_bytes{jail="lsleep"} 104857600' \
                "$(cat /run/virtualing/metrics.prom 2>&1)"
        sc stop $u

        # elastic memory: grows instead of being killed, paused at its limit meanwhile
        jail lelastic <<EOF
[Jail]
Root=/srv/jails/lelastic
Exec=/usr/bin/python3 -c "import time; time.sleep(2); b = []; [(b.append(b'x' * (4 << 20)), time.sleep(0.05)) for _ in range(50)]; time.sleep(3)"

[Resources]
MemoryMax=64M
MemoryGrowStep=32M
MemoryGrowLimit=256M
EOF
        reload
        u=virtualing@lelastic.service
        p=$(jpath lelastic)
        check "systemctl start virtualing@lelastic succeeds" sc start $u
        wait_for 10 v1paused $u
        check_grep "while it may grow, the kernel pauses it at its limit (oom_kill_disable 1)" "oom_kill_disable 1" \
                "$(v1file $u memory.oom_control)"
        grew() { grown=$(v1file $u memory.limit_in_bytes) && is_num "$grown" && [ "$grown" -gt 67108864 ]; }
        if wait_for 120 grew; then
                ok "memory.limit_in_bytes grew while it ran (67108864 -> $grown)"
        else
                notok "memory.limit_in_bytes grew while it ran" "$(v1file $u memory.limit_in_bytes)"
        fi
        wait_for 240 not_active $u
        check_eq "it finished without being killed (Result=success)" "inactive success 0" \
                "$(prop $u ActiveState) $(prop $u Result) $(prop $u ExecMainStatus)"
        s=$(sigs MemoryLimitChanged "$p")
        if [ -n "$s" ] && [ -z "$(printf '%s\n' "$s" | awk '$4 != "grow" || $3 != $2 + 33554432')" ]; then
                ok "MemoryLimitChanged, reason grow, 32M steps: $(printf '%s\n' "$s" | grep -c .)"
        else
                notok "MemoryLimitChanged, reason grow, 32M steps" "$s"
        fi
        check_eq "and no OOM kill" "" "$(sigs MemoryEvent "$p" | grep -E '^MemoryEvent oom_kill ')"
        say "$(psigs MemoryLimitChanged "$p" | sed 's/^/  /')"
        sc revert virtualing@lelastic >/dev/null 2>&1

        # the watcher stopped while a jail's process is OOM-killed: reported when it is back
        jail lsurv <<EOF
[Jail]
Root=/srv/jails/lsurv
Exec=/bin/sh -c "sleep 8; /usr/bin/python3 -c \"b = []; [b.append(b'x' * (1 << 20)) for _ in iter(int, 1)]\"; exec sleep infinity"
[Resources]
MemoryMax=48M
EOF
        reload
        u=virtualing@lsurv.service
        p=$(jpath lsurv)
        check "systemctl start virtualing@lsurv succeeds" sc start $u
        wait_sig 30 JailAdded /org/virtualing1 '^JailAdded lsurv '
        check "systemctl stop virtualing-watcher succeeds" sc stop virtualing-watcher
        wait_for 60 v1killed $u
        check_eq "its python was OOM-killed while the watcher was stopped; the jail runs on" "1 active" \
                "$(v1kills $u) $(prop $u ActiveState)"
        check "systemctl start virtualing-watcher succeeds" sc start virtualing-watcher
        wait_sig 20 MemoryEvent "$p" '^MemoryEvent oom_kill '
        check_eq "the watcher back reports it: MemoryEvent oom 1 and oom_kill 1" "oom 1|oom_kill 1" \
                "$(sigs MemoryEvent "$p" | awk '$2 ~ /^oom/ { print $2, $3 }' | paste -sd '|')"
        sc restart virtualing-watcher
        wait_for 20 busctl get-property org.virtualing1 "$p" org.virtualing1.Jail Events
        sleep 2
        check_eq "restarted again: nothing reported twice" "oom 1|oom_kill 1" \
                "$(sigs MemoryEvent "$p" | awk '$2 ~ /^oom/ { print $2, $3 }' | paste -sd '|')"
        check_eq "Events counts each once" "1 1" "$(busctl get-property --json=short org.virtualing1 "$p" \
                org.virtualing1.Jail Events | python3 -c 'import json, sys; d = json.load(sys.stdin)["data"]
print(d["oom"], d["oom_kill"])' 2>&1)"
        sc stop $u
}

# ---------------------------------------------------------------- run
setup
# run.sh --debug SCRIPT: a script of the developer's, run first, its output as comments
if [ -x "$here/debug.sh" ]; then
        "$here/debug.sh" 2>&1 | comment
fi
case $mode in
legacy)
        scenario_legacy
        ;;
demo)
        scenario_apache
        scenario_oom
        scenario_elastic
        ;;
all)
        scenario_package
        scenario_atboot
        scenario_watcher
        scenario_dbus
        scenario_apache
        scenario_broken
        scenario_dropin
        scenario_io_mixed
        scenario_cpu
        scenario_pidns
        scenario_oom
        scenario_usage
        scenario_elastic
        scenario_polkit
        scenario_metrics
        scenario_hardening
        scenario_run
        scenario_examples
        scenario_properties
        scenario_nginx
        scenario_redis
        scenario_postgresql
        scenario_ssh
        scenario_cli
        scenario_ansible
        ;;
*)
        # run.sh --only NAME[,NAME…]
        IFS=, read -r -a only <<<"$mode"
        for s in "${only[@]}"; do
                if declare -F "scenario_$s" >/dev/null; then
                        "scenario_$s"
                else
                        notok "scenario $s exists" "vmtest.sh has no scenario_$s"
                fi
        done
        ;;
esac
if [ "$mode" = demo ]; then
        say "" "== $((n - failed)) of $n checks passed"
fi
exit 0
