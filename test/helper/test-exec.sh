#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# virtualing-helper exec: what the jailed process sees, what it cannot do, the attacks a
# jail owner could try, bad input, and that the mount table outside is never touched.
# Runs itself inside a private mount namespace, so even a broken helper cannot reach the
# machine's real mount table; "host" below means that namespace.
set -u
helper=${1:?usage: test-exec.sh HELPER}
helper=$(realpath "$helper")

. "$(dirname "$0")/../lib/jailtest.sh"
in_private_mount_ns "$0" -- "$helper"
work_tmpfs exec
trap 'umount -R "$work" 2>/dev/null; rmdir "$work"' EXIT
mkdir -p "$work/host/data" "$work/host/ro/rw" "$work/host/rw" "$work/victim"
echo hello >"$work/host/ro/file"

# jail NAME ROOT [extra lines]: writes $work/etc/NAME.conf
jail() {
        local name=$1 root=$2
        shift 2
        { echo "[Jail]"; echo "Root=$root"; printf '%s\n' "$@"; } >"$work/etc/$name.conf"
}
# run NAME: the helper in the background of nothing: output to $work/out, $work/err
run() {
        cat /proc/self/mountinfo >"$work/mi.before"
        "$helper" exec "$1" >"$work/out" 2>"$work/err" </dev/null
        rc=$?
        cat /proc/self/mountinfo >"$work/mi.after"
        return 0
}
host_unchanged() { diff -q "$work/mi.before" "$work/mi.after" >/dev/null; }

# ---------------------------------------------------------------- the view from inside
mkdir -p "$work/r1"
cat >"$work/r1/check.sh" <<'EOS'
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"
echo "cwd=$(pwd)"
while read -r _ _ _ root mp opts _; do echo "mount $mp $root $opts"; done </proc/self/mountinfo
for d in null zero full random urandom tty; do echo "dev $d $(stat -c '%F %t:%T %a' /dev/$d)"; done
echo "devpts $(stat -f -c %T /dev/pts) shm $(stat -f -c %T /dev/shm) $(stat -c %a /dev/shm)"
echo "tmp $(stat -c %a /tmp) $(stat -c %a /var/tmp) $(stat -c %a /run/lock) $(readlink /var/lock)"
grep -E '^(CapBnd|CapEff|CapInh|CapAmb|NoNewPrivs):' /proc/self/status | tr -d '\t'
touch /data/w 2>/dev/null && echo "data writable" || echo "data readonly"
touch /srv/ro/w 2>/dev/null && echo "ro writable" || echo "ro readonly"
touch /srv/ro/rw/w 2>/dev/null && echo "rw-in-ro writable" || echo "rw-in-ro readonly"
touch /usr/bin/w 2>/dev/null && echo "usr writable" || echo "usr readonly"
cat /srv/ro/file
ls /proc/1/root/ >/dev/null 2>&1 && echo "host root reachable" || echo "host root unreachable"
[ -e /oldroot-marker ] && echo "marker visible" || echo "marker invisible"
test -s /etc/passwd && test -s /etc/group && echo "passwd copied"
EOS
touch "$work/oldroot-marker"
jail view "$work/r1" "Exec=/bin/sh /check.sh" "Bind=$work/host/data:/data" \
        "BindReadOnly=$work/host/ro:/srv/ro" "Bind=$work/host/ro/rw:/srv/ro/rw"
run view
check "exec of a skeleton jail succeeds" '[ $rc = 0 ]'
check "the host mount table is unchanged" host_unchanged
check "runs as root by default" 'grep -q "^uid=0 gid=0" "$work/out"'
check "working directory defaults to /" 'grep -qx "cwd=/" "$work/out"'
check "the jail root is /" 'grep -q "^mount / /r1 " "$work/out"'
check "system directories are read-only binds" \
        'grep -E "^mount /usr/bin /usr/bin ro," "$work/out" >/dev/null && grep -qx "usr readonly" "$work/out"'
check "a fresh /proc is mounted" 'grep -qE "^mount /proc / .*nosuid,nodev,noexec" "$work/out"'
check "/dev is a private tmpfs" 'grep -qE "^mount /dev / " "$work/out"'
check "/dev/null is 1:3" 'grep -qx "dev null character special file 1:3 666" "$work/out"'
check "/dev/zero is 1:5" 'grep -qx "dev zero character special file 1:5 666" "$work/out"'
check "/dev/full is 1:7" 'grep -qx "dev full character special file 1:7 666" "$work/out"'
check "/dev/random is 1:8 (not urandom's number)" 'grep -qx "dev random character special file 1:8 666" "$work/out"'
check "/dev/urandom is 1:9" 'grep -qx "dev urandom character special file 1:9 666" "$work/out"'
check "/dev/tty is 5:0" 'grep -qx "dev tty character special file 5:0 666" "$work/out"'
check "/dev/pts is devpts, /dev/shm tmpfs 1777" 'grep -qx "devpts devpts shm tmpfs 1777" "$work/out"'
check "tmp dirs 1777 and var/lock link" 'grep -qx "tmp 1777 1777 1777 ../run/lock" "$work/out"'
check "capability bounding set is the original's six" 'grep -qx "CapBnd:00000000000004e3" "$work/out"'
check "no inheritable or ambient capabilities" \
        'grep -qx "CapInh:0000000000000000" "$work/out" && grep -qx "CapAmb:0000000000000000" "$work/out"'
check "no_new_privs is set" 'grep -qx "NoNewPrivs:1" "$work/out"'
check "Bind= is writable" 'grep -qx "data writable" "$work/out" && [ -e "$work/host/data/w" ]'
check "BindReadOnly= is read-only" 'grep -qx "ro readonly" "$work/out" && grep -qx hello "$work/out"'
check "a writable bind inside a read-only one" 'grep -qx "rw-in-ro writable" "$work/out"'
check "the old root is not reachable" \
        'grep -qx "host root unreachable" "$work/out" && grep -qx "marker invisible" "$work/out"'
check "passwd and group copied when absent" 'grep -qx "passwd copied" "$work/out"'
check "the host's merged-/usr symlinks are recreated" \
        '[ ! -L /bin ] || [ "$(readlink "$work/r1/bin")" = "$(readlink /bin)" ]'

echo "# my resolv" >"$work/r1/etc/hosts.keep"
echo "127.0.0.1 jailhost" >"$work/r1/etc/hosts"
run view
check "a file the jail has is not overwritten" 'grep -qx "127.0.0.1 jailhost" "$work/r1/etc/hosts"'

# ---------------------------------------------------------------- the FHS skeleton
# the host's journal sockets, as journald has them (in the test's own /run)
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "Bail out! tmpfs on /run"; exit 1; }
mkdir -p /run/systemd/journal
for s in socket stdout dev-log; do
        python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' \
                "/run/systemd/journal/$s"
done
mkdir -p "$work/r4"
cat >"$work/r4/look.sh" <<'EOS'
echo "run $(stat -f -c %T /run) $(stat -c '%U %a' /run) lock $(stat -c %a /run/lock)"
echo "varrun $(readlink /var/run) varlock $(readlink /var/lock)"
for f in nsswitch.conf services protocols ld.so.cache localtime hostname machine-id; do
        [ -e /etc/$f ] || continue
        if cmp -s /etc/$f /host-etc/$f; then echo "etc $f same"; else echo "etc $f differs"; fi
        touch /etc/$f 2>/dev/null && echo "etc $f writable" || echo "etc $f readonly"
done
for s in socket stdout dev-log; do [ -S /run/systemd/journal/$s ] && echo "journal $s"; done
echo "devlog $(readlink /dev/log)"
EOS
jail fhs "$work/r4" "Exec=/bin/sh /look.sh" "BindReadOnly=/etc:/host-etc"
run fhs
check "the skeleton's /run is a tmpfs of the jail's own, root's, 755, with lock/ 1777" \
        '[ $rc = 0 ] && grep -qx "run tmpfs root 755 lock 1777" "$work/out"'
check "/var/run and /var/lock lead to /run and /run/lock" 'grep -qx "varrun ../run varlock ../run/lock" "$work/out"'
check "the host's small /etc files are in the jail, the host's own, read-only" \
        '! grep -q "differs\|writable" "$work/out" && grep -q "etc nsswitch.conf same" "$work/out" && grep -q "etc ld.so.cache readonly" "$work/out"'
if [ -L /etc/localtime ]; then
        check "/etc/localtime: the host's link resolved into its zone file" \
                '[ -f "$work/r4/etc/localtime" ] && grep -q "etc localtime same" "$work/out"'
fi
check "the journal's sockets are bound (BindLogSockets= defaults to yes)" \
        'grep -qx "journal socket" "$work/out" && grep -qx "journal stdout" "$work/out" && grep -qx "journal dev-log" "$work/out"'
check "/dev/log leads to the journal's dev-log" 'grep -qx "devlog /run/systemd/journal/dev-log" "$work/out"'
check "nothing of /run stays in the tree on disk (it was a tmpfs)" '[ -z "$(ls -A "$work/r4/run")" ]'
echo "# the jail's own" >"$work/r4/etc/services"
rm -f "$work/r4/etc/hostname"; ln -s /nowhere "$work/r4/etc/hostname"
run fhs
check "a file the jail has is its own: not bound over (a regular file, or a link)" \
        '[ $rc = 0 ] && grep -qx "etc services differs" "$work/out" && [ "$(readlink "$work/r4/etc/hostname")" = /nowhere ]'
jail fhs-nolog "$work/r4" "Exec=/bin/sh /look.sh" "BindReadOnly=/etc:/host-etc" "BindLogSockets=no"
run fhs-nolog
check "BindLogSockets=no: no journal socket, no /dev/log" \
        '[ $rc = 0 ] && ! grep -q "^journal " "$work/out" && grep -qx "devlog " "$work/out"'
mkdir -p "$work/host/run"; echo "from the host's dir" >"$work/host/run/own.conf"
jail fhs-ownrun "$work/r4" "Exec=/bin/ls -A /run" "Bind=$work/host/run:/run"
run fhs-ownrun
check "a Bind= onto /run provides it instead of the tmpfs" '[ $rc = 0 ] && [ "$(cat "$work/out")" = own.conf ]'
umount /run

# ---------------------------------------------------------------- identity and environment
mkdir -p "$work/r2/home"
jail ident "$work/r2" "Exec=/usr/bin/env" "User=nobody" "Group=nogroup" "SupplementaryGroups=adm"
run ident
check "User= switches to the user" '[ $rc = 0 ] && grep -qx "USER=nobody" "$work/out"'
check "the environment is clean: PATH HOME USER LANG only" \
        '[ "$(cut -d= -f1 "$work/out" | sort | tr "\n" " ")" = "HOME LANG PATH USER " ]'
jail ident2 "$work/r2" "Exec=/bin/sh -c 'id -u; id -g; id -G; grep -E \"^(CapEff|CapBnd)\" /proc/self/status | tr -d \"\\t\"'" \
        "User=nobody" "Group=nogroup" "SupplementaryGroups=adm"
run ident2
nobody=$(id -u nobody); nogroup=$(getent group nogroup | cut -d: -f3); adm=$(getent group adm | cut -d: -f3)
check "uid, gid and supplementary groups" \
        '[ "$(sed -n 1p "$work/out")" = "$nobody" ] && [ "$(sed -n 2p "$work/out")" = "$nogroup" ] && sed -n 3p "$work/out" | grep -qw "$adm"'
check "a non-root user has no effective capabilities" 'grep -qx "CapEff:0000000000000000" "$work/out"'

jail env "$work/r2" "Exec=/usr/bin/env" "Environment=FOO=bar \"GREETING=hello world\"" "Environment=LANG=de_DE.UTF-8"
run env
check "Environment= adds and overrides" \
        'grep -qx "FOO=bar" "$work/out" && grep -qx "GREETING=hello world" "$work/out" && grep -qx "LANG=de_DE.UTF-8" "$work/out" && [ "$(grep -c ^LANG= "$work/out")" = 1 ]'

jail caps "$work/r2" "Exec=/bin/sh -c 'grep -E \"^(CapBnd|NoNewPrivs)\" /proc/self/status | tr -d \"\\t\"'" \
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" "NoNewPrivileges=no"
run caps
check "CapabilityBoundingSet= is applied" 'grep -qx "CapBnd:0000000000000400" "$work/out"'
check "NoNewPrivileges=no leaves it unset" 'grep -qx "NoNewPrivs:0" "$work/out"'

mkdir -p "$work/r2/srv/www"
jail wd "$work/r2" "Exec=/bin/pwd" "WorkingDirectory=/srv/www"
run wd
check "WorkingDirectory= inside the jail" '[ $rc = 0 ] && grep -qx /srv/www "$work/out"'

# Skeleton=no: only what the jail has and what is bound
mkdir -p "$work/r3"
[ -L /lib64 ] && ln -s usr/lib64 "$work/r3/lib64"
[ -L /lib ] && ln -s usr/lib "$work/r3/lib"
[ -d /lib64 ] && [ ! -L /lib64 ] && mkdir -p "$work/r3/lib64"
jail bare "$work/r3" "Exec=/usr/bin/ls -A /" "Skeleton=no" "BindReadOnly=/usr"
[ -d /lib64 ] && [ ! -L /lib64 ] && echo "BindReadOnly=/lib64" >>"$work/etc/bare.conf"
[ -d /lib ] && [ ! -L /lib ] && echo "BindReadOnly=/lib" >>"$work/etc/bare.conf"
run bare
check "Skeleton=no builds no system tree" '[ $rc = 0 ] && ! grep -qx proc "$work/out" && ! grep -qx tmp "$work/out" && grep -qx usr "$work/out"'

# rbind / norbind and read-only submounts
mkdir -p "$work/host/tree/sub"
mount -t tmpfs tmpfs "$work/host/tree/sub" && echo sub >"$work/host/tree/sub/f"
jail rb "$work/r2" "Exec=/bin/sh -c 'cat /t1/sub/f; cat /t2/sub/f 2>/dev/null || echo none; touch /t3/sub/x 2>/dev/null && echo sub-writable || echo sub-readonly'" \
        "Bind=$work/host/tree:/t1:rbind" "Bind=$work/host/tree:/t2:norbind" "BindReadOnly=$work/host/tree:/t3"
run rb
check "rbind carries submounts, norbind does not" '[ $rc = 0 ] && [ "$(sed -n 1,2p "$work/out" | tr "\n" " ")" = "sub none " ]'
check "read-only applies to submounts of an rbind" 'grep -qx sub-readonly "$work/out"'
umount "$work/host/tree/sub"

# ---------------------------------------------------------------- attacks
attack() { # NAME STATUS DESCRIPTION: the jail must fail with STATUS, say "symlink", touch nothing
        run "$1"
        if [ "$rc" = "$2" ] && grep -q "a symlink inside the jail, refusing to follow it" "$work/err" &&
                host_unchanged && [ -z "$(ls -A "$work/victim")" ]; then
                ok "$3 (exit $rc: $(cat "$work/err"))"
        else
                notok "$3 (exit $rc, want $2)"
        fi
}
for what in proc dev; do
        mkdir -p "$work/a-$what"
        ln -s "$work/victim" "$work/a-$what/$what"
        jail "a-$what" "$work/a-$what" "Exec=/bin/true"
        attack "a-$what" 13 "a symlinked /$what is refused"
done
mkdir -p "$work/a-tmp"; ln -s /etc "$work/a-tmp/tmp"
jail a-tmp "$work/a-tmp" "Exec=/bin/true"
attack a-tmp 12 "a symlinked /tmp (to /etc) is refused"
mkdir -p "$work/a-usr/usr"; ln -s "$work/victim" "$work/a-usr/usr/lib"
jail a-usr "$work/a-usr" "Exec=/bin/true"
attack a-usr 12 "a symlinked /usr/lib is refused"
mkdir -p "$work/a-bind"; ln -s "$work/victim" "$work/a-bind/data"
jail a-bind "$work/a-bind" "Exec=/bin/true" "Skeleton=no" "Bind=$work/host/data:/data"
attack a-bind 14 "a symlinked bind target is refused"
mkdir -p "$work/a-mid"; ln -s "$work/victim" "$work/a-mid/srv"
jail a-mid "$work/a-mid" "Exec=/bin/true" "Skeleton=no" "Bind=$work/host/data:/srv/data"
attack a-mid 14 "a symlink in the middle of a bind target is refused"
mkdir -p "$work/a-dots"; ln -s ../../../.. "$work/a-dots/up"
jail a-dots "$work/a-dots" "Exec=/bin/true" "Skeleton=no" "Bind=$work/host/data:/up/victim"
attack a-dots 14 "a '..' symlink trick in a bind target is refused"
mkdir -p "$work/a-file"; ln -s "$work/victim/file" "$work/a-file/f"
jail a-file "$work/a-file" "Exec=/bin/true" "Skeleton=no" "Bind=$work/host/ro/file:/f"
attack a-file 14 "a symlinked file bind target is refused"

# untrusted directories above the root
mkdir -p "$work/open/jail"; chmod 0777 "$work/open"
jail a-open "$work/open/jail" "Exec=/bin/true"
run a-open
check "a group/other-writable directory above the root is refused" \
        '[ $rc = 10 ] && grep -q "writable by group or others: $work/open$" "$work/err" && host_unchanged'
mkdir -p "$work/theirs/jail"; chown nobody "$work/theirs"
jail a-theirs "$work/theirs/jail" "Exec=/bin/true"
run a-theirs
check "a directory above the root owned by another user is refused" \
        '[ $rc = 10 ] && grep -q "not owned by root: $work/theirs$" "$work/err" && host_unchanged'
mkdir -p "$work/owned"; chown nobody "$work/owned"
jail owned "$work/owned" "Exec=/bin/sh -c 'id -u; stat -c %U /tmp /etc/passwd'" "User=nobody"
run owned
check "a root owned by another user, under trusted directories, with User=, is fine" '[ $rc = 0 ]'
check "what the helper creates in a tree owned by another user belongs to that user" \
        '[ "$(tr "\n" " " <"$work/out")" = "$nobody nobody nobody " ]'
jail owned-root "$work/owned" "Exec=/bin/true"
run owned-root
check "root is refused in a tree owned by another user (it would be that user's root)" \
        '[ $rc = 16 ] && grep -q "refusing to run as root in $work/owned: it is not owned by root" "$work/err" && host_unchanged'
mkdir -p "$work/sym/real/jail" "$work/open2/jails"; chmod 0777 "$work/open2"
ln -s "$work/sym/real" "$work/open2/link"
jail a-trusted-link "$work/open2/link/jail" "Exec=/bin/true"
run a-trusted-link
check "a symlink above the root in a directory others may write is refused" \
        '[ $rc = 10 ] && grep -q "writable by group or others: $work/open2$" "$work/err"'
mkdir -p "$work/home/alice"; chown nobody "$work/home/alice"; ln -s "$work/sym/real" "$work/home/alice/jails"
jail a-userlink "$work/home/alice/jails/jail" "Exec=/bin/true"
run a-userlink
check "a symlink above the root in a directory owned by another user is refused" \
        '[ $rc = 10 ] && grep -q "not owned by root: $work/home/alice$" "$work/err"'
ln -s real "$work/sym/rel"
jail rootlink-ok "$work/sym/rel/jail" "Exec=/bin/true"
run rootlink-ok
check "a root-owned symlink in trusted directories above the root is followed" '[ $rc = 0 ]'
ln -s "$work/victim" "$work/rootlink"
jail a-rootlink "$work/rootlink" "Exec=/bin/true"
run a-rootlink
check "a jail root that is a symlink is refused" '[ $rc = 10 ] && host_unchanged && [ -z "$(ls -A "$work/victim")" ]'

# ---------------------------------------------------------------- what root in a jail cannot change
jail tunables "$work/r2" "Exec=/bin/sh -c 'for f in /proc/sys/kernel/core_pattern /proc/sysrq-trigger; do [ -e \$f ] || continue; test -w \$f && echo \$f writable || echo \$f readonly; done; awk \"{print \\\$7}\" /proc/self/stat'"
run tunables
check "kernel tunables in /proc are read-only for a root jail" \
        '[ $rc = 0 ] && grep -qx "/proc/sys/kernel/core_pattern readonly" "$work/out" && ! grep -q " writable" "$work/out"'
if command -v script >/dev/null; then
        cat /proc/self/mountinfo >"$work/mi.before"
        # script hangs up the child when its stdin ends: keep it open while the jail runs
        sleep 3 | script -qec "$helper exec tunables" /dev/null >"$work/out" 2>"$work/err"
        rc=$?
        check "run from a terminal, the jail has no controlling terminal (no TIOCSTI into it)" \
                '[ "$(tail -n 1 "$work/out" | tr -d "\r")" = 0 ]'
fi
jail listen "$work/r2" "Exec=/usr/bin/env"
LISTEN_FDS=2 LISTEN_PID=1 "$helper" exec listen >"$work/out" 2>"$work/err" </dev/null
check "LISTEN_FDS meant for another process is not passed on" '! grep -q "^LISTEN_" "$work/out"'

# ---------------------------------------------------------------- bad input
run nosuchjail
check "an unknown jail: exit 3, named" '[ $rc = 3 ] && grep -q "nosuchjail" "$work/err"'
check "on a terminal or file, messages carry no priority prefix" '! grep -q "^<" "$work/err"'
: >"$work/err"
JOURNAL_STREAM=$(stat -c %d:%i "$work/err") "$helper" exec nosuchjail 2>>"$work/err" >/dev/null </dev/null
check "to the journal (JOURNAL_STREAM names stderr) a failure is an error: <3> prefix" \
        'grep -q "^<3>virtualing-helper: no jail file for nosuchjail" "$work/err"'
printf '[Jail]\nRoot=%s\n' "$work/r2" >"$work/etc/noexec.conf"
run noexec
check "missing Exec=: exit 3 with file and key" '[ $rc = 3 ] && grep -q "noexec.conf: \[Jail\] Exec= is not set" "$work/err"'
printf '[Jail]\nRoot=relative\nExec=/bin/true\n' >"$work/etc/rel.conf"
run rel
check "a relative Root=: exit 3 naming file:line" '[ $rc = 3 ] && grep -q "rel.conf:2: \[Jail\] Root=relative" "$work/err"'
jail noparent "$work/missing/parent/root" "Exec=/bin/true"
run noparent
check "missing parents of Root= are created, root's, 0755 (as mkdir -p)" \
        '[ $rc = 0 ] && [ "$(stat -c "%U %a" "$work/missing" "$work/missing/parent" "$work/missing/parent/root" | sort -u)" = "root 755" ] && host_unchanged'
mkdir -p "$work/userdir"; chown nobody "$work/userdir"
jail userparent "$work/userdir/a/root" "Exec=/bin/true"
run userparent
check "...but not in a directory owned by another user: exit 10 naming it, nothing created" \
        '[ $rc = 10 ] && grep -q "not owned by root: $work/userdir" "$work/err" && [ -z "$(ls -A "$work/userdir")" ]'
mkdir -p "$work/opendir"; chmod 0777 "$work/opendir"
jail openparent "$work/opendir/a/root" "Exec=/bin/true"
run openparent
check "...nor in one writable by others" \
        '[ $rc = 10 ] && grep -q "writable by group or others: $work/opendir" "$work/err" && [ -z "$(ls -A "$work/opendir")" ]'
jail nouser "$work/r2" "Exec=/bin/true" "User=no-such-user-virtualing"
run nouser
check "an unknown user: exit 16 naming it" '[ $rc = 16 ] && grep -q "unknown user no-such-user-virtualing" "$work/err"'
jail nogroup "$work/r2" "Exec=/bin/true" "Group=no-such-group-virtualing"
run nogroup
check "an unknown group: exit 16 naming it" '[ $rc = 16 ] && grep -q "unknown group no-such-group-virtualing" "$work/err"'
jail nosrc "$work/r2" "Exec=/bin/true" "Bind=$work/nowhere:/x"
run nosrc
check "a missing bind source: exit 14 naming it" '[ $rc = 14 ] && grep -q "$work/nowhere" "$work/err" && host_unchanged'
jail optsrc "$work/r2" "Exec=/bin/true" "Bind=-$work/nowhere:/x"
run optsrc
check "a missing optional (-) bind source is skipped" '[ $rc = 0 ]'
jail nocmd "$work/r2" "Exec=/no/such/command"
run nocmd
check "a command missing inside the jail: exit 19 naming it" \
        '[ $rc = 19 ] && grep -q "executing /no/such/command: No such file or directory" "$work/err" && host_unchanged'
jail nowd "$work/r2" "Exec=/bin/true" "WorkingDirectory=/does/not/exist"
run nowd
check "a missing working directory: exit 18" '[ $rc = 18 ] && grep -q "/does/not/exist" "$work/err"'
chmod 0666 "$work/etc/nowd.conf"
run nowd
check "a jail file writable by others is refused as root" '[ $rc = 3 ] && grep -q "writable by group or others" "$work/err"'

# every failure above is one line
check "every failure message is one line" '[ "$(wc -l <"$work/err")" = 1 ]'

tap_done
