#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The jail as a security boundary: what a jailed process can and cannot reach of the host
# (the list of virtualing-helper(8), line by line), the attacks an independent review found
# (each also run with the protection off, to show that it is real and that the test would
# fail without the fix), trust through the tree, the PID namespace's init and the handover
# of the main PID to systemd. Runs itself inside a private mount namespace; "host" below
# means that namespace.
set -u
helper=$(realpath "${1:?usage: test-boundary.sh HELPER PROBE PRELOAD RPATH_TRUE NOTIFY_LISTENER}")
probe=$(realpath "$2")
preload=$(realpath "$3")
rpath_true=$(realpath "$4")
listener=$(realpath "$5")

. "$(dirname "$0")/../lib/jailtest.sh"
# a session keyring of the test's own, shared by everything it starts, as a login has one
in_private_mount_ns "$0" "$probe" in-session -- "$@"
work_tmpfs boundary
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
        wait 2>/dev/null
        umount -R "$work" 2>/dev/null
        rmdir "$work"
}
trap cleanup EXIT
mkdir -p "$work/victim" "$work/jr" "$work/share"
chmod 0777 "$work/share"
nobody=$(id -u nobody)
nogroup=$(getent group nogroup | cut -d: -f3)
tag=$$-$RANDOM

# ---------------------------------------------------------------- the host
echo "host-secret-$tag" >"$work/secret"
chmod 0600 "$work/secret"
echo "readable-by-nobody-$tag" >"$work/pub"
# a process of an ordinary user, with a secret in its environment
setpriv --reuid="$nobody" --regid="$nogroup" --clear-groups env "SECRET=env-secret-$tag" sleep 600 &
user_pid=$!
pids+=($user_pid)
sleep 600 &
root_pid=$!
pids+=($root_pid)
# an abstract socket of the host
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind("\0" + sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept(); c.close()' "virtualing-test-$tag" &
pids+=($!)
"$probe" addkey user "virtualing-user-$tag" "user-key-$tag" >/dev/null
"$probe" addkey session "virtualing-session-$tag" "session-key-$tag" >/dev/null
"$probe" key session "virtualing-session-$tag" >"$work/out"
check "the host: the test's session keyring holds a key (what the jail must not see)" \
        'grep -qF "key: reached session-key-$tag" "$work/out"'
shm_key=$((0x56690000 + RANDOM))
"$probe" shmcreate "$shm_key" >"$work/shm.out"
sleep 0.2

# jail [OPTIONS] -- PROBE ARGS: runs the probe in the jail $work/jr; options are jail file
# lines (User=nobody, PrivatePIDs=no, ...). Output in $work/out, $work/err, status in $rc.
jail() {
        local lines=()
        while [ "$1" != "--" ]; do lines+=("$1"); shift; done
        shift
        {
                echo "[Jail]"
                echo "Root=$work/jr"
                echo "Exec=/probe $*"
                echo "BindReadOnly=$probe:/probe"
                echo "Bind=$work/share:/share"
                printf '%s\n' "${lines[@]}"
        } >"$work/etc/p.conf"
        "$helper" exec p >"$work/out" 2>"$work/err" </dev/null
        rc=$?
}
out() { cat "$work/out"; }
says() { grep -qF -- "$1" "$work/out"; }

# ---------------------------------------------------------------- finding 1: a root jail reaches the host's files
jail PrivatePIDs=no -- procroot "$nobody:$nogroup" "$user_pid" "$work/secret"
check "finding 1, protection off (PrivatePIDs=no): root, as a host user's uid with CAP_DAC_OVERRIDE kept, reads the host's root-only file through /proc/PID/root" \
        'says "procroot: reached host-secret-$tag"'
jail PrivatePIDs=no -- procroot-create "$nobody:$nogroup" "$user_pid" "$work/victim"
check "finding 1, protection off: and creates a file in a root-owned host directory" \
        'says "procroot-create: reached" && [ -n "$(ls -A "$work/victim")" ]'
rm -f "$work/victim"/*
jail -- procroot "$nobody:$nogroup" "$user_pid" "$work/secret"
check "finding 1: with its own PID namespace the host process is not there (ENOENT)" \
        'says "procroot: refused ENOENT"'
jail -- procroot-create "$nobody:$nogroup" "$user_pid" "$work/victim"
check "finding 1: no file created in the root-owned host directory" \
        'says "procroot-create: refused" && [ -z "$(ls -A "$work/victim")" ]'
jail -- procroot 0:0 "$root_pid" "$work/secret"
check "variant: a root process of the host is not there either" 'says "procroot: refused ENOENT"'
# a host process started after the jail: its pid is handed in through a file
rm -f "$work/share/pid"
jail -- procroot "$nobody:$nogroup" /share/pid "$work/secret" &
jpid=$!
sleep 0.3
setpriv --reuid="$nobody" --regid="$nogroup" --clear-groups sleep 600 &
late_pid=$!
pids+=($late_pid)
echo "$late_pid" >"$work/share/pid"
wait $jpid
check "variant: a host process started after the jail is not there either" 'says "procroot: refused ENOENT"'
jail -- where /proc/1/root
check "variant: /proc/1/root, the init's, is out of reach (it is not dumpable)" 'says "where: refused EACCES"'
jail -- where /proc/2/root/..
check "variant: /proc/2/root/.. (its own) leads to the jail's root" 'says "where: jail-root"'
jail -- where /proc/self/root/../../..
check "variant: /proc/self/root/../.. leads to the jail's root" 'says "where: jail-root"'
jail -- handle
check "variant: open_by_handle_at is refused (no CAP_DAC_READ_SEARCH)" 'says "handle: refused EPERM"'
jail -- setns /proc/self/ns/mnt
check "variant: setns into a namespace is refused (no CAP_SYS_ADMIN)" 'says "setns: refused EPERM"'

# ---------------------------------------------------------------- finding 3: a User= jail reaches its user's host processes
yama=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
jail User=nobody PrivatePIDs=no -- ptrace "$user_pid"
if [ "$yama" = 0 ]; then
        check "finding 3, protection off: a User=nobody jail attaches ptrace to a host process of nobody" \
                'says "ptrace: reached"'
else
        skip "finding 3, protection off: kernel.yama.ptrace_scope=$yama already forbids attaching to a non-child"
fi
jail User=nobody PrivatePIDs=no -- environ "$user_pid"
check "finding 3, protection off: and reads its environment" 'says "SECRET=env-secret-$tag"'
jail User=nobody PrivatePIDs=no -- procroot "$nobody:$nogroup" "$user_pid" "$work/pub"
check "finding 3, protection off: and reads host files through its /proc/PID/root" \
        'says "procroot: reached readable-by-nobody-$tag"'
jail User=nobody -- ptrace "$user_pid"
check "finding 3: ptrace of the host process is refused (ESRCH: not in the jail's PID namespace)" \
        'says "ptrace: refused ESRCH"'
jail User=nobody -- environ "$user_pid"
check "finding 3: its environment is out of reach" 'says "environ: refused ENOENT"'
jail User=nobody -- procroot "$nobody:$nogroup" "$user_pid" "$work/pub"
check "finding 3: and its /proc/PID/root" 'says "procroot: refused ENOENT"'

# ---------------------------------------------------------------- what a jail can and cannot do (virtualing-helper(8))
for who in root nobody; do
        u=(); [ $who = nobody ] && u=(User=nobody)
        jail "${u[@]}" -- pids
        check "$who jail, processes: it sees its init and itself only (1 2)" '[ "$(out)" = "pids: 1 2" ]'
        jail "${u[@]}" -- kill "$user_pid" 0
        check "$who jail, signals: a host process cannot be signalled (ESRCH)" 'says "kill: refused ESRCH"'
        jail "${u[@]}" -- kill 1 9
        check "$who jail, signals: its init cannot be killed (no signal reaches it)" \
                'says "kill: refused EPERM" || says "kill: init survived"'
        jail "${u[@]}" -- ptrace 1
        check "$who jail, ptrace: not even its own init" 'says "ptrace: refused EPERM"'
        jail "${u[@]}" -- write /proc/sys/kernel/core_pattern
        check "$who jail, /proc: the kernel's tunables cannot be written" \
                'says "write: refused EROFS" || says "write: refused EACCES"'
        if [ -e /proc/sysrq-trigger ]; then
                jail "${u[@]}" -- write /proc/sysrq-trigger
                check "$who jail, /proc: no sysrq" 'says "write: refused EROFS" || says "write: refused EACCES"'
        else
                skip "$who jail, /proc: no sysrq (this kernel has no /proc/sysrq-trigger)"
        fi
        jail "${u[@]}" -- read /sys/kernel/uevent_seqnum
        check "$who jail, /sys: not there" 'says "read: refused ENOENT"'
        jail "${u[@]}" -- mount sysfs /tmp
        check "$who jail, /sys: and it cannot mount it (EPERM)" 'says "mount: refused EPERM"'
        jail "${u[@]}" -- abstract "virtualing-test-$tag"
        check "$who jail, abstract unix sockets: it reaches the host's (the network namespace is shared)" \
                'says "abstract: reached"'
        jail "${u[@]}" -- key session "virtualing-session-$tag"
        check "$who jail, keyrings: a session keyring of its own, not its starter's" \
                'says "key: refused ENOKEY"'
        jail "${u[@]}" -- raw inet
        check "$who jail, raw sockets: refused (no CAP_NET_RAW)" 'says "raw: refused EPERM"'
        jail "${u[@]}" -- raw packet
        check "$who jail, packet sockets: refused (no CAP_NET_RAW)" 'says "raw: refused EPERM"'
        # ICMP echo sockets: allowed by the host's net.ipv4.ping_group_range, for the jail's group
        read -r lo hi </proc/sys/net/ipv4/ping_group_range
        g=0; [ $who = nobody ] && g=$nogroup
        jail "${u[@]}" -- raw ping
        if [ "$g" -ge "$lo" ] && [ "$g" -le "$hi" ]; then
                check "$who jail, ping sockets: allowed, as the host's ping_group_range ($lo $hi) says" 'says "raw: reached"'
        else
                check "$who jail, ping sockets: refused, as the host's ping_group_range ($lo $hi) says" 'says "raw: refused"'
        fi
        jail "${u[@]}" -- shm "$shm_key"
        check "$who jail, System V IPC: the host's segments are not there (own IPC namespace)" \
                'says "shm: refused ENOENT"'
done
jail -- key user "virtualing-user-$tag"
check "root jail, keyrings: root's user keyring is root's everywhere: reachable" \
        'says "key: reached user-key-$tag"'
jail User=nobody -- key user "virtualing-user-$tag"
check "nobody jail, keyrings: root's user keyring is not" 'says "key: refused ENOKEY" || says "key: refused EACCES"'
jail CapabilityBoundingSet=CAP_NET_RAW -- raw inet
check "root jail with CAP_NET_RAW added: raw sockets work (as documented)" 'says "raw: reached"'
jail PrivateIPC=no -- shm "$shm_key"
check "root jail with PrivateIPC=no: the host's System V segments are reachable (as documented)" \
        'says "shm: reached"'
jail PrivatePIDs=no -- kill "$root_pid" 0
check "root jail with PrivatePIDs=no: host processes can be signalled (as documented)" 'says "kill: reached"'

# ---------------------------------------------------------------- finding 2: trust through the whole tree
# tree NAME: a root-owned tree with /bin/true of its own and a preload library
tree() {
        local t=$work/$1
        rm -rf "$t"
        mkdir -p "$t/etc" "$t/opt/vendor/lib" "$t/app"
        cp "$preload" "$t/preload.so"
        echo /preload.so >"$t/etc/ld.so.preload"
        printf '[Jail]\nRoot=%s\nExec=/bin/true\n' "$t" >"$work/etc/$1.conf"
        echo "$t"
}
run() { "$helper" exec "$1" >"$work/out" 2>"$work/err" </dev/null; rc=$?; }
refused_for() { # JAIL PATH WHY: exit 16, one line naming the path
        [ $rc = 16 ] && grep -qF "refusing to run as root in $work/$1: $2 is $3" "$work/err" &&
                [ "$(wc -l <"$work/err")" = 1 ] && [ ! -e "$work/$1/preload-ran" ]
}
t=$(tree t-ok)
run t-ok
check "finding 2, control: a root-owned tree runs root, and its ld.so.preload is loaded (euid 0)" \
        '[ $rc = 0 ] && grep -qx "euid=0" "$t/preload-ran"'
t=$(tree t-etc); chown nobody "$t/etc"
run t-etc
check "finding 2: /etc owned by a user: root is refused, naming /etc" 'refused_for t-etc /etc "not owned by root"'
t=$(tree t-preload); chown nobody "$t/etc/ld.so.preload"
run t-preload
check "finding 2: ld.so.preload owned by a user: refused" 'refused_for t-preload /etc/ld.so.preload "not owned by root"'
t=$(tree t-lib); chown nobody "$t/preload.so"
run t-lib
check "a library named in ld.so.preload owned by a user: refused" 'refused_for t-lib /preload.so "not owned by root"'
t=$(tree t-cache); echo "not a cache" >"$t/etc/ld.so.cache"; chmod 0666 "$t/etc/ld.so.cache"
run t-cache
check "ld.so.cache writable by others: refused" 'refused_for t-cache /etc/ld.so.cache "writable by group or others"'
t=$(tree t-conf); mkdir -p "$t/etc/ld.so.conf.d"; echo /opt >"$t/etc/ld.so.conf.d/x.conf"; chown nobody "$t/etc/ld.so.conf.d/x.conf"
run t-conf
check "a file of ld.so.conf.d owned by a user: refused" 'refused_for t-conf /etc/ld.so.conf.d/x.conf "not owned by root"'
t=$(tree t-bin); mkdir -p "$t/opt/app"; cp /bin/true "$t/opt/app/true"; chown nobody "$t/opt"
printf 'Exec=/opt/app/true\n' >>"$work/etc/t-bin.conf"
run t-bin
check "a directory on the way to Exec= owned by a user: refused, naming it" 'refused_for t-bin /opt "not owned by root"'
t=$(tree t-exe); cp /bin/true "$t/app/true"; chmod 0775 "$t/app/true"
printf 'Exec=/app/true\n' >>"$work/etc/t-exe.conf"
run t-exe
check "the Exec= binary writable by its group: refused" 'refused_for t-exe /app/true "writable by group or others"'
t=$(tree t-link); mkdir -p "$t/home/u"; cp /bin/true "$t/home/u/true"; chown -R nobody "$t/home/u"
ln -s /home/u/true "$t/app/run"; printf 'Exec=/app/run\n' >>"$work/etc/t-link.conf"
run t-link
check "Exec= through a root-owned symlink to a user's file: the target is checked" \
        'refused_for t-link /home/u "not owned by root"'
t=$(tree t-script); cp /bin/sh "$t/app/interp"; chown nobody "$t/app/interp"
printf '#!/app/interp\ntrue\n' >"$t/app/run.sh"; chmod 0755 "$t/app/run.sh"
printf 'Exec=/app/run.sh\n' >>"$work/etc/t-script.conf"
run t-script
check "a script whose #! interpreter is a user's: refused, naming the interpreter" \
        'refused_for t-script /app/interp "not owned by root"'
t=$(tree t-rpath); cp "$rpath_true" "$t/app/true"; chmod 0777 "$t/opt/vendor/lib"
printf 'Exec=/app/true\n' >>"$work/etc/t-rpath.conf"
run t-rpath
check "a RUNPATH directory of the program writable by others: refused" \
        'refused_for t-rpath /opt/vendor/lib "writable by group or others"'
chmod 0755 "$t/opt/vendor/lib"; touch "$t/opt/vendor/lib/libx.so"; chown nobody "$t/opt/vendor/lib/libx.so"
run t-rpath
check "a file in a RUNPATH directory owned by a user: refused" \
        'refused_for t-rpath /opt/vendor/lib/libx.so "not owned by root"'
t=$(tree t-env); mkdir -p "$t/usr/local/lib"; chmod 0777 "$t/usr/local/lib"
printf 'Environment=LD_LIBRARY_PATH=/usr/local/lib\n' >>"$work/etc/t-env.conf"
run t-env
check "LD_LIBRARY_PATH= of Environment= writable by others: refused" \
        'refused_for t-env /usr/local/lib "writable by group or others"'
t=$(tree t-own-lib); mkdir -p "$t/usr/lib/x"; rm -f "$t/etc/ld.so.preload"
for d in /lib /lib64 /usr/lib /usr/lib64; do [ -L $d ] && ln -sfn "$(readlink $d)" "$t$d"; done
printf 'Skeleton=no\nBindReadOnly=/usr/bin\nBindReadOnly=/usr/lib:/usr/lib/host\n' >>"$work/etc/t-own-lib.conf"
rm -rf "$t/usr/lib"; mkdir -p "$t/usr/lib"; touch "$t/usr/lib/libc.so.6"; chown nobody "$t/usr/lib/libc.so.6"
run t-own-lib
check "Skeleton=no, the jail's own /usr/lib holds a user's libc: refused" \
        'refused_for t-own-lib /usr/lib/libc.so.6 "not owned by root"'
t=$(tree t-user); chown nobody "$t/etc" "$t/etc/ld.so.preload" "$t/preload.so"
printf 'User=nobody\n' >>"$work/etc/t-user.conf"
run t-user
check "the same untrusted tree with User=: runs (the preload is the user's own business)" \
        '[ $rc = 0 ] && grep -qx "euid=$nobody" "$t/preload-ran" 2>/dev/null || [ $rc = 0 ]'
# mount options of the jail's own root, seen from inside
opts_script='awk '"'"'$5 == "/" { print $6 }'"'"' /proc/self/mountinfo'
printf '%s\n' "$opts_script" >"$t/app/opts.sh"
printf '[Jail]\nRoot=%s\nExec=/bin/sh /app/opts.sh\nUser=nobody\nNoNewPrivileges=no\n' "$t" >"$work/etc/t-nosuid.conf"
run t-nosuid
check "with NoNewPrivileges=no in such a tree, its root is mounted nosuid (no set-user-ID program loads a user's preload as root)" \
        '[ $rc = 0 ] && grep -q "nosuid" "$work/out"'
t=$(tree t-trusted-nnp)
printf '%s\n' "$opts_script" >"$t/app/opts.sh"
printf '[Jail]\nRoot=%s\nExec=/bin/sh /app/opts.sh\nUser=nobody\nNoNewPrivileges=no\n' "$t" >"$work/etc/t-trusted-nnp.conf"
run t-trusted-nnp
check "...while a fully root-owned tree keeps set-user-ID programs working" \
        '[ $rc = 0 ] && [ -s "$work/out" ] && ! grep -q "nosuid" "$work/out"'

# ---------------------------------------------------------------- the init, the command, and stopping
printf '[Jail]\nRoot=%s\nExec=/bin/sh -c "(sleep 0.2 &); sleep 1; for s in /proc/[0-9]*/stat; do cut -d\\" \\" -f3 \\"\\$s\\"; done | sort | uniq -c"\n' \
        "$work/jr" >"$work/etc/zombie.conf"
run zombie
check "orphans of the jail are reaped by its init: no zombie (state Z) left" \
        '[ $rc = 0 ] && [ -s "$work/out" ] && ! grep -q " Z$" "$work/out"'
printf '[Jail]\nRoot=%s\nExec=/bin/sleep infinity\n' "$work/jr" >"$work/etc/sleeper.conf"
"$helper" exec sleeper >"$work/out" 2>"$work/err" </dev/null &
hpid=$!
for _ in $(seq 50); do
        cmd=$(cat "/proc/$hpid/task/$hpid/children" 2>/dev/null | tr ' ' '\n' | while read -r c; do
                [ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ] && echo "$c"; done)
        [ -n "$cmd" ] && break
        sleep 0.1
done
nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$cmd/status" 2>/dev/null)
check "sleep infinity runs as PID 2 of its namespace, a child of the waiting helper" '[ -n "$cmd" ] && [ "$nspid" = 2 ]'
start=$(date +%s%N)
kill -TERM "$cmd" 2>/dev/null
wait $hpid
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "SIGTERM to the command (what systemctl stop sends) ends sleep infinity at once (${ms} ms), the helper dies of it too" \
        '[ $ms -lt 1000 ] && [ $rc = 143 ]'
check "nothing of the jail is left running" '! kill -0 "$cmd" 2>/dev/null'

# under "systemd": NOTIFY_SOCKET, a subreaper, SO_PASSCRED (notify-listener.py)
python3 "$listener" "$work/notify.json" --stop-after 0.5 -- "$helper" exec sleeper >"$work/out" 2>"$work/err"
j() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/notify.json" "$1" 2>&1; }
check "Type=notify: the helper sends MAINPID= of the command, READY=1, then a BARRIER=1 with an fd" \
        '[ "$(j "[m[\"text\"].split(\"\\n\")[:2] for m in d[\"messages\"]][0][1]")" = READY=1 ] &&
         [ "$(j "d[\"messages\"][0][\"pid\"] == d[\"started\"] and d[\"mainpid\"] != d[\"started\"]")" = True ] &&
         [ "$(j "[m[\"text\"] for m in d[\"messages\"]][1:] == [\"BARRIER=1\"] and d[\"messages\"][1][\"fds\"] == 1")" = True ]'
check "when systemd reads MAINPID=, the command's parent is already systemd (no 'not our child' warning)" \
        '[ "$(j "d[\"mainpid_ppid\"] == __import__(\"os\").getpid() or d[\"mainpid_ppid\"]")" != None ] &&
         [ "$(j "d[\"mainpid_ppid\"]")" != "$(j "d[\"started\"]")" ] && [ -n "$(j "d[\"mainpid_ppid\"]")" ]'
check "the helper exits 0 after the handover" '[ "$(j "d[\"exits\"][str(d[\"started\"])]")" = "exited 0" ]'
check "systemd reaps the command itself: stopped with SIGTERM, it reports 'killed 15' as its main status" \
        '[ "$(j "d[\"main_status\"]")" = "killed 15" ]'
check "systemctl stop of sleep infinity in a PID namespace takes under a second ($(j "d[\"stop_seconds\"]") s)" \
        '[ "$(j "d[\"stop_seconds\"] is not None and d[\"stop_seconds\"] < 1")" = True ]'
printf '[Jail]\nRoot=%s\nExec=/bin/sh -c "echo $NOTIFY_SOCKET >/share/notify; exec systemd-notify --status=inside-the-jail"\nBind=%s:/share\n' \
        "$work/jr" "$work/share" >"$work/etc/notifier.conf"
python3 "$listener" "$work/notify.json" -- "$helper" exec notifier >"$work/out" 2>"$work/err"
check "Type=notify daemons inside: \$NOTIFY_SOCKET names systemd's socket, bound at /run/host/notify" \
        '[ "$(cat "$work/share/notify")" = /run/host/notify ]'
check "...and what the command sends reaches systemd, from the command (the main process)" \
        '[ "$(j "[m[\"pid\"] == d[\"mainpid\"] for m in d[\"messages\"] if m[\"text\"] == \"STATUS=inside-the-jail\"]")" = "[True]" ]'
printf '[Jail]\nRoot=%s\nExec=/bin/sh -c "exit 7"\n' "$work/jr" >"$work/etc/seven.conf"
python3 "$listener" "$work/notify.json" -- "$helper" exec seven >"$work/out" 2>"$work/err"
check "the command's own exit status reaches systemd (exited 7)" '[ "$(j "d[\"main_status\"]")" = "exited 7" ]'
printf '[Jail]\nRoot=%s\nExec=/no/such/program\n' "$work/jr" >"$work/etc/missing.conf"
python3 "$listener" "$work/notify.json" -- "$helper" exec missing >"$work/out" 2>"$work/err"
check "a command that cannot start: no READY=1, the helper itself fails with exit 19 and says why" \
        '[ "$(j "d[\"exits\"][str(d[\"started\"])]")" = "exited 19" ] && [ "$(j "len(d[\"messages\"])")" = 0 ] &&
         grep -q "executing /no/such/program: No such file or directory" "$work/err"'

tap_done
