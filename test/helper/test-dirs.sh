#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory= and
# ConfigurationDirectory=: made on the host, owned as systemd would, bound into the jail,
# the runtime ones removed by "clean"; and what a jail user who controls a directory on the
# way can and cannot make root do. The host's /run, /var/lib, /var/cache and /var/log are
# tmpfs and its /etc an overlay, in the test's own mount namespace.
set -u
helper=$(realpath "${1:?usage: test-dirs.sh HELPER PROBE}")
probe=$(realpath "$2")

. "$(dirname "$0")/../lib/jailtest.sh"
in_private_mount_ns "$0" -- "$@"
work_tmpfs dirs
cleanup() {
        [ -n "${lpid:-}" ] && kill "$lpid" 2>/dev/null
        for d in /etc /var/log /var/cache /var/lib /run; do umount "$d" 2>/dev/null; done
        umount -R "$work" 2>/dev/null
        rmdir "$work"
}
trap cleanup EXIT
mkdir -p "$work/jr" "$work/upper" "$work/ovwork"
for d in /run /var/lib /var/cache /var/log; do
        mount -t tmpfs -o mode=0755 tmpfs "$d" || { echo "Bail out! tmpfs on $d"; exit 1; }
done
mount -t overlay -o "lowerdir=/etc,upperdir=$work/upper,workdir=$work/ovwork" overlay /etc ||
        { echo "Bail out! overlay on /etc"; exit 1; }
export VIRTUALING_RUNTIME_DIR=$work/rt
nobody=$(id -u nobody)

# jail NAME [lines]: a jail file for $work/jr, probe bound at /probe
jail() {
        local name=$1
        shift
        { echo "[Jail]"; echo "Root=$work/jr"; echo "BindReadOnly=$probe:/probe"; printf '%s\n' "$@"; } >"$work/etc/$name.conf"
}
run() { "$helper" exec "$1" >"$work/out" 2>"$work/err" </dev/null; rc=$?; }
owner() { stat -c '%U %a' "$1" 2>&1; }

# ---------------------------------------------------------------- made, owned, bound
cat >"$work/jr/look.sh" <<'EOF'
for d in /run/web /run/a/b /var/lib/web /var/cache/web /var/log/web /etc/web; do
        echo "$d $(stat -c '%U %a' $d) $(touch $d/w 2>/dev/null && echo rw || echo ro)"
done
EOF
jail look "Exec=/bin/sh /look.sh" "User=nobody" "RuntimeDirectory=web a/b" "StateDirectory=web" \
        "CacheDirectory=web" "LogsDirectory=web" "ConfigurationDirectory=web"
run look
check "a jail with every kind of directory starts" '[ $rc = 0 ]'
check "inside: the runtime ones, the user's, writable" \
        'grep -qx "/run/web nobody 755 rw" "$work/out" && grep -qx "/run/a/b nobody 755 rw" "$work/out"'
check "inside: state, cache and logs, the user's, writable" \
        'grep -qx "/var/lib/web nobody 755 rw" "$work/out" && grep -qx "/var/cache/web nobody 755 rw" "$work/out" && grep -qx "/var/log/web nobody 755 rw" "$work/out"'
check "inside: the configuration one, root's and read-only" 'grep -qx "/etc/web root 755 ro" "$work/out"'
check "on the host: at the standard places, with what the jail wrote" \
        '[ -e /run/web/w ] && [ -e /var/lib/web/w ] && [ -e /var/cache/web/w ] && [ -e /var/log/web/w ] && [ ! -e /etc/web/w ]'
check "on the host: the directories on the way to a nested one are root's" \
        '[ "$(owner /run/a)" = "root 755" ] && [ "$(owner /run/a/b)" = "nobody 755" ]'
check "the runtime directories are recorded" '[ "$(cat "$work/rt/directories/look")" = "$(printf "web\na/b")" ]'
"$helper" clean look >"$work/out" 2>"$work/err"
check "clean removes the runtime ones and their contents, and the record" \
        '[ $? = 0 ] && [ ! -e /run/web ] && [ ! -e /run/a/b ] && [ -d /run/a ] && [ ! -e "$work/rt/directories/look" ]'
check "...and leaves state, cache, logs and configuration" \
        '[ -e /var/lib/web/w ] && [ -e /var/cache/web/w ] && [ -e /var/log/web/w ] && [ -d /etc/web ]'
"$helper" clean look >"$work/out" 2>"$work/err"
check "clean without a record does nothing, successfully" '[ $? = 0 ] && [ ! -s "$work/err" ]'

jail rootjail "Exec=/bin/true" "RuntimeDirectory=rootjail" "StateDirectory=rootjail"
run rootjail
check "without User=, the directories are root's" '[ $rc = 0 ] && [ "$(owner /run/rootjail) $(owner /var/lib/rootjail)" = "root 755 root 755" ]'
chown nobody /var/lib/rootjail
jail own "Exec=/bin/true" "User=nobody" "Group=nogroup" "StateDirectory=rootjail"
run own
check "an existing directory is given to User= and Group=" '[ $rc = 0 ] && [ "$(stat -c "%U %G" /var/lib/rootjail)" = "nobody nogroup" ]'
"$helper" clean rootjail >/dev/null 2>&1

# a socket of the jail, reached from the host
jail sock "Exec=/probe listen /run/sock/s" "User=nobody" "RuntimeDirectory=sock"
"$helper" exec sock >"$work/out" 2>"$work/err" </dev/null &
lpid=$!
for _ in $(seq 50); do [ -S /run/sock/s ] && break; sleep 0.1; done
answer=$(python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(s.recv(64).decode().strip())' /run/sock/s 2>&1)
wait $lpid
lpid=
check "a socket the jail makes in its runtime directory is reached from the host ($answer)" \
        '[ "$answer" = hello ] && grep -q "listen: reached" "$work/out"'
"$helper" clean sock >/dev/null 2>&1
check "and is gone with it after clean" '[ ! -e /run/sock ]'

# ---------------------------------------------------------------- what a jail user cannot make root do
mkdir -p /etc/victim && echo keep >/etc/victim/file
mkdir -p /var/lib/theirs && chown nobody /var/lib/theirs
ln -s /etc/victim /var/lib/theirs/data
jail a1 "Exec=/bin/true" "User=nobody" "StateDirectory=theirs/data"
run a1
check "a link planted below a user's directory: refused (23), naming the user's directory" \
        '[ $rc = 23 ] && grep -q "not root.s or writable by others on the way: /var/lib/theirs" "$work/err"'
check "...and the link's target keeps its owner" '[ "$(stat -c %U /etc/victim /etc/victim/file | sort -u)" = root ]'
rm /var/lib/theirs/data
jail a2 "Exec=/bin/true" "User=nobody" "StateDirectory=theirs/new"
run a2
check "nothing is created below a user's directory either" '[ $rc = 23 ] && [ ! -e /var/lib/theirs/new ]'
ln -s /etc/victim /var/lib/link
jail a3 "Exec=/bin/true" "User=nobody" "StateDirectory=link"
run a3
check "the directory itself a symlink: refused, its target untouched" \
        '[ $rc = 23 ] && grep -q "refusing a symlink: /var/lib/link" "$work/err" && [ "$(stat -c %U /etc/victim)" = root ]'
mkdir -p /var/lib/mine && ln -s /etc/victim /var/lib/mine/escape && ln -s /etc/victim/file /var/lib/mine/file
jail a4 "Exec=/bin/true" "User=nobody" "StateDirectory=mine"
run a4
check "only the directory itself changes owner: links inside are not followed" \
        '[ $rc = 0 ] && [ "$(stat -c %U /var/lib/mine)" = nobody ] && [ "$(stat -c %U /etc/victim /etc/victim/file | sort -u)" = root ]'
chmod 0777 /var/cache
jail a5 "Exec=/bin/true" "User=nobody" "CacheDirectory=x"
run a5
check "a root of the directories writable by others: refused" \
        '[ $rc = 23 ] && grep -q "writable by others: /var/cache" "$work/err" && [ ! -e /var/cache/x ]'
chmod 0755 /var/cache
# clean never follows a link nor crosses a mount
mkdir -p /run/c1 "$work/keep" && echo keep >"$work/keep/file" && ln -s "$work/keep" /run/c1/link
mkdir -p /run/c1/mnt && mount -t tmpfs tmpfs /run/c1/mnt && echo inmount >/run/c1/mnt/file
mkdir -p "$work/rt/directories" && echo c1 >"$work/rt/directories/c1"
"$helper" clean c1 >"$work/out" 2>"$work/err"
rc=$?
check "clean removes a link, not what it points to" '[ -e "$work/keep/file" ] && [ ! -L /run/c1/link ]'
check "clean leaves a mount point and what is in it, and says so (23)" \
        '[ $rc = 23 ] && [ -e /run/c1/mnt/file ] && grep -q "removing /run/c1" "$work/err" && [ -e "$work/rt/directories/c1" ]'
umount /run/c1/mnt
"$helper" clean c1 >"$work/out" 2>"$work/err"
check "once the mount is gone, a second clean finishes the job" '[ $? = 0 ] && [ ! -e /run/c1 ] && [ ! -e "$work/rt/directories/c1" ]'
printf '../etc\n' >"$work/rt/directories/bad"
"$helper" clean bad >"$work/out" 2>"$work/err"
check "a record naming something outside /run is refused as malformed" \
        '[ $? = 22 ] && grep -q "malformed record" "$work/err" && [ -d /etc/victim ]'
"$helper" clean ../x >"$work/out" 2>"$work/err"
check "clean of an invalid jail name: exit 3" '[ $? = 3 ]'

tap_done
