#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the Debian package with "dpkg-buildpackage -us -uc -b" in a temporary
# copy of the tree (dpkg-buildpackage writes into the parent directory, so never
# in the checkout), checks that it holds every file virtualing installs, runs
# lintian on the .deb and the source package (any E: fails), installs, removes
# and purges it with "dpkg --root" in an empty temporary root (as root only),
# and tries the programs of the package unpacked with dpkg-deb -x. Nothing is
# installed on this machine. Prints TAP.
# About 20 s on 2 CPUs: the build with its tests ~15 s, lintian ~5 s.
# Usage: test-package.sh [SOURCE_DIR]    VIRTUALING_KEEP=1 keeps the work directory.
set -u
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
start=$SECONDS

for tool in dpkg-buildpackage dh dpkg-deb; do
        if ! command -v "$tool" >/dev/null; then
                echo "1..0 # SKIP $tool not installed (apt-get install dpkg-dev debhelper)"
                exit 0
        fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/virtualing-package.XXXXXX")
if [ "${VIRTUALING_KEEP:-}" = 1 ]; then
        echo "# work directory kept: $work"
else
        trap 'rm -rf "$work"' EXIT
fi

n=0
failed=0
check() { # check DESCRIPTION EXIT-STATUS-OF-THE-CONDITION [FILE-TO-SHOW-ON-FAILURE]
        n=$((n + 1))
        if [ "$2" -eq 0 ]; then
                echo "ok $n - $1"
        else
                echo "not ok $n - $1"
                [ -n "${3:-}" ] && [ -s "$3" ] && tail -n 40 "$3" | sed 's/^/# /'
                failed=$((failed + 1))
        fi
}
finish() {
        echo "# $((SECONDS - start)) s in all"
        echo "1..$n"
        [ "$failed" = 0 ]
        exit
}

# ---------------------------------------------------------------- build
# The tree as git sees it (tracked and new files, not ignored build directories),
# or everything but build directories outside git.
tree=$work/virtualing
mkdir "$tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$src" && git ls-files -z --cached --others --exclude-standard |
                xargs -0 sh -c 'for f; do { [ -e "$f" ] || [ -L "$f" ]; } && printf "%s\0" "$f"; done' sh |
                tar --null -T - -cf -) | tar -xf - -C "$tree"
else
        tar -C "$src" --exclude='./build*' --exclude=./obj-\* -cf - . | tar -xf - -C "$tree"
fi
check "copied the source tree to $tree" $([ -x "$tree/debian/rules" ]; echo $?)

parent_before=$(ls -a "$src/.." | grep '^virtualing[_-]' || true)
# the source package too (3.0 (native)), from the clean copy, for lintian
(cd "$work" && dpkg-source -b virtualing) >"$work/source.log" 2>&1
check "dpkg-source -b builds the source package" $? "$work/source.log"
dsc=$(ls "$work"/virtualing_*.dsc 2>/dev/null | head -n 1)
t0=$SECONDS
(cd "$tree" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1
rc=$?
echo "# dpkg-buildpackage: $((SECONDS - t0)) s"
# on failure: the failed subtests and errors first, then the end of the log
{ grep -E '^not ok|^[0-9]+/[0-9]+ .*(FAIL|ERROR|TIMEOUT)|error:' "$work/build.log" | head -n 30
  echo "..."; tail -n 8 "$work/build.log"; } >"$work/build.err"
check "dpkg-buildpackage -us -uc -b succeeds" "$rc" "$work/build.err"
deb=$(ls "$work"/virtualing_*_*.deb 2>/dev/null | head -n 1)
changes=$(ls "$work"/virtualing_*.changes 2>/dev/null | head -n 1)
check "it made virtualing_VERSION_ARCH.deb and a .changes" $([ -f "$deb" ] && [ -f "$changes" ]; echo $?)
check "the checkout and its parent directory are untouched" \
        $([ "$(ls -a "$src/.." | grep '^virtualing[_-]' || true)" = "$parent_before" ] &&
          [ ! -e "$src/debian/virtualing" ] && [ ! -e "$src/debian/files" ]; echo $?)
[ -f "$deb" ] || finish

# ---------------------------------------------------------------- contents
dpkg-deb -c "$deb" | awk '{ sub(/^\./, "", $6); print $6 }' >"$work/contents"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
gendir=$(pkg-config --variable=systemdsystemgeneratordir systemd 2>/dev/null || echo /lib/systemd/system-generators)
expected=(
        "$gendir/virtualing-generator"
        /usr/libexec/virtualing/virtualing-helper
        /usr/libexec/virtualing/virtualing-watcher
        /usr/bin/virtualing
        "$unitdir/virtualing@.service"
        "$unitdir/virtualing.slice"
        "$unitdir/virtualing-watcher.service"
        /usr/share/dbus-1/system.d/org.virtualing1.conf
        /usr/share/dbus-1/system-services/org.virtualing1.service
        /usr/share/dbus-1/interfaces/org.virtualing1.Manager.xml
        /usr/share/dbus-1/interfaces/org.virtualing1.Jail.xml
        /usr/share/man/man1/virtualing.1.gz
        /usr/share/man/man5/virtualing.conf.5.gz
        /usr/share/man/man5/org.virtualing1.5.gz
        /usr/share/man/man8/virtualing-generator.8.gz
        /usr/share/man/man8/virtualing-helper.8.gz
        /usr/share/man/man8/virtualing-watcher.8.gz
        /usr/share/doc/virtualing/copyright
        /usr/share/doc/virtualing/changelog.gz
        /etc/virtualing/
)
# the example jails uncompressed, so that "cp …/examples/NAME.conf /etc/virtualing/" works
for f in "$src"/examples/*.conf; do
        [ -f "$f" ] && expected+=("/usr/share/doc/virtualing/examples/${f##*/}")
done
if [ -f "$src/src/ctl/virtualing.bash-completion" ]; then
        expected+=(/usr/share/bash-completion/completions/virtualing)
else
        echo "# src/ctl/virtualing.bash-completion does not exist yet: no completion expected"
fi
for f in "${expected[@]}"; do
        grep -qxF "$f" "$work/contents"
        check "the package holds $f" $?
done
mode_of() { dpkg-deb -c "$deb" | awk -v f=".$1" '$6 == f { print $1 }'; }
for f in "$gendir/virtualing-generator" /usr/libexec/virtualing/virtualing-helper \
         /usr/libexec/virtualing/virtualing-watcher /usr/bin/virtualing; do
        check "$f is -rwxr-xr-x root/root" \
                $([ "$(mode_of "$f")" = -rwxr-xr-x ] &&
                  dpkg-deb -c "$deb" | awk -v f=".$f" '$6 == f { print $2 }' | grep -qx root/root; echo $?)
done

# ---------------------------------------------------------------- maintainer scripts
dpkg-deb -e "$deb" "$work/control"
for s in preinst postinst prerm postrm; do
        [ -f "$work/control/$s" ] || continue
        sh -n "$work/control/$s" 2>"$work/sh.err"
        check "$s is valid sh" $? "$work/sh.err"
done
cat "$work"/control/*inst "$work"/control/*rm >"$work/scripts" 2>/dev/null
# enabled only where it was enabled before (the "debian-installed" guard of
# --no-enable), never started: no "start", no "restart"-or-"start" action
check "the watcher is neither enabled nor started at install" \
        $(grep -q "deb-systemd-helper debian-installed 'virtualing-watcher.service'" "$work/control/postinst" &&
          ! grep -Eq 'deb-systemd-invoke (start|restart) |_dh_action' "$work/control/postinst"; echo $?) \
        "$work/control/postinst"
check "on upgrade a running watcher is try-restarted, after a daemon-reload" \
        $(grep -q "deb-systemd-invoke try-restart 'virtualing-watcher.service'" "$work/control/postinst" &&
          grep -q 'systemctl --system daemon-reload' "$work/control/postinst"; echo $?) "$work/control/postinst"
check "nothing is stopped before an upgrade" \
        $(! grep -q 'deb-systemd-invoke stop' "$work/control/preinst" 2>/dev/null; echo $?) "$work/control/preinst"
check "removal stops the jails (virtualing.slice) and the watcher" \
        $(grep -q 'deb-systemd-invoke stop virtualing.slice virtualing-watcher.service' "$work/control/prerm"; echo $?) \
        "$work/control/prerm"
check "no maintainer script touches virtualing@.service" $(! grep -v '^[[:space:]]*#' "$work/scripts" | grep -q 'virtualing@'; echo $?)

# ---------------------------------------------------------------- dpkg --root
# Install, remove and purge in an empty temporary root, maintainer scripts
# included. They run on this machine (--force-script-chrootless) with
# DPKG_ROOT set: deb-systemd-helper works inside the root, the scripts skip
# systemctl under DPKG_ROOT, and the one debhelper snippet that does not (a
# daemon-reload on removal) meets a stub systemctl that only logs.
if [ "$(id -u)" != 0 ]; then
        n=$((n + 1))
        echo "ok $n # SKIP dpkg --root install, remove and purge: not root"
else
        droot=$work/dpkg-root
        stub=$work/stub
        mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates" "$droot/var/lib/dpkg/triggers" "$stub"
        : >"$droot/var/lib/dpkg/status"; : >"$droot/var/lib/dpkg/available"
        for c in systemctl deb-systemd-invoke; do
                printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$c" "$work/calls" >"$stub/$c"
                chmod +x "$stub/$c"
        done
        : >"$work/calls"
        dpkg_root() { PATH=$stub:$PATH dpkg --root="$droot" --force-script-chrootless --log=/dev/null "$@"; }
        dpkg_root --force-depends -i "$deb" >"$work/dpkg.log" 2>&1
        check "dpkg --root installs it in a temporary root (dependencies aside)" \
                $(dpkg --root="$droot" -s virtualing 2>/dev/null | grep -qx 'Status: install ok installed'; echo $?) "$work/dpkg.log"
        check "the install put the generator in place in that root" $([ -x "$droot$gendir/virtualing-generator" ]; echo $?)
        check "the install enabled nothing and started nothing" \
                $(! find "$droot/etc/systemd" -name '*virtualing*' 2>/dev/null | grep -q . &&
                  ! grep -Eq ' (start|restart|enable) ' "$work/calls"; echo $?) "$work/calls"
        dpkg_root -r virtualing >"$work/dpkg.log" 2>&1
        check "dpkg --root removes it" $? "$work/dpkg.log"
        dpkg_root -P virtualing >"$work/dpkg.log" 2>&1
        check "dpkg --root purges it" $? "$work/dpkg.log"
        (cd "$droot" && find . ! -type d ! -path './var/lib/dpkg/*') >"$work/left"
        check "nothing is left behind after the purge" $([ ! -s "$work/left" ]; echo $?) "$work/left"
fi

# ---------------------------------------------------------------- lintian
if command -v lintian >/dev/null; then
        t0=$SECONDS
        # every tag shown (info, pedantic, experimental); only errors fail
        lintian --display-info --pedantic --display-experimental --tag-display-limit 0 \
                "$changes" ${dsc:+"$dsc"} >"$work/lintian.log" 2>&1
        echo "# lintian: $((SECONDS - t0)) s"
        grep -v '^running with root privileges' "$work/lintian.log" | sed 's/^/# lintian: /'
        check "lintian ran (exit status 0 or 2: tags found)" \
                $(lintian --version >/dev/null && ! grep -q '^internal error' "$work/lintian.log"; echo $?)
        check "lintian reports no error (E:)" $(! grep -q '^E:' "$work/lintian.log"; echo $?)
else
        check "lintian is installed (apt-get install lintian)" 1
fi

# ---------------------------------------------------------------- unpacked
root=$work/root
dpkg-deb -x "$deb" "$root"
check "dpkg-deb -x unpacks it into a temporary root" $?
"$root/usr/bin/virtualing" --version >"$work/out" 2>&1
check "the packaged virtualing runs (--version)" $? "$work/out"
for u in virtualing@.service virtualing-watcher.service; do
        p=$(sed -nE 's/^ExecStart=([^ ]+).*/\1/p' "$root$unitdir/$u")
        check "$u: ExecStart= $p is in the package" $([ -n "$p" ] && [ -x "$root$p" ]; echo $?)
done
svc=$(sed -n 's/^SystemdService=//p' "$root/usr/share/dbus-1/system-services/org.virtualing1.service")
check "the D-Bus activation file names a unit of the package ($svc)" \
        $([ -n "$svc" ] && [ -f "$root$unitdir/$svc" ]; echo $?)

# the packaged generator on the packaged examples: every one becomes a drop-in
# whose helper path is the packaged helper
gen=$work/gen
mkdir -p "$gen/normal" "$gen/early" "$gen/late"
VIRTUALING_CONFIG_PATH=$root/usr/share/doc/virtualing/examples \
        "$root$gendir/virtualing-generator" "$gen/normal" "$gen/early" "$gen/late" >"$work/out" 2>&1
check "the packaged generator accepts the packaged examples without a warning" \
        $([ $? = 0 ] && [ ! -s "$work/out" ]; echo $?) "$work/out"
for f in "$root"/usr/share/doc/virtualing/examples/*.conf; do
        name=$(basename "$f" .conf)
        VIRTUALING_CONFIG_PATH=${f%/*} "$root/usr/bin/virtualing" verify "$name" >"$work/out" 2>&1
        check "the packaged virtualing verifies the packaged example $name" $? "$work/out"
        check "generated virtualing@$name.service.d/10-virtualing.conf" \
                $([ -s "$gen/normal/virtualing@$name.service.d/10-virtualing.conf" ]; echo $?)
done
helpers=$(grep -rhoE '^Exec(StartPre|StopPost)=\+[^ ]+' "$gen/normal" | sed 's/^[^+]*+//' | sort -u)
check "the generated address up/down use the packaged helper (${helpers:-none})" \
        $([ "$helpers" = /usr/libexec/virtualing/virtualing-helper ] && [ -x "$root$helpers" ]; echo $?)
if command -v man >/dev/null; then
        for page in "$root"/usr/share/man/man*/*.gz; do
                MANWIDTH=80 man -l "$page" >/dev/null 2>"$work/man.err"
                check "man page ${page##*/} renders without a warning" \
                        $([ ! -s "$work/man.err" ]; echo $?) "$work/man.err"
        done
fi

finish
