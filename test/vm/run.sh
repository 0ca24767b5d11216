#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end on real systemd: builds the Debian package of virtualing, installs it
# with dpkg into a disposable Debian 12 or 13 VM (image from test/vm/image.sh,
# cached), boots it under qemu and prints the TAP of the scenarios that ran inside
# (test/vm/guest/vmtest.sh). About 5 minutes warm per release; a changed package
# list or image.sh rebuilds that release's image once (a few minutes).
#
#   test/vm/run.sh            every scenario, TAP on stdout (meson protocol 'tap')
#   test/vm/run.sh --release trixie   the same in Debian 13 (default: bookworm); the
#                             package is then built in a Debian 13 tree
#                             (test/vm/buildroot.sh), chrooted
#   test/vm/run.sh --demo     the apache jail, an OOM kill as D-Bus signals and a hook
#                             run, and elastic memory, told readably
#   test/vm/run.sh --only NAME[,NAME…]   only these scenarios (scenario_NAME of
#                             vmtest.sh), after the setup, for working on one
#   test/vm/run.sh --legacy   boot with the legacy cgroup v1 hierarchy
#                             (systemd.unified_cgroup_hierarchy=0) and run the
#                             legacy scenario (with --only: those scenarios); Debian 12
#                             only: systemd 257 no longer boots on v1
#   test/vm/run.sh --keep     keep the work directory (disk image, logs) for a look
#   test/vm/run.sh --debug SCRIPT   run SCRIPT in the VM before the scenarios, its
#                             output as TAP comments (to look around in the VM)
#
# As root on Debian 12; installs what it needs with apt-get when missing.
# Environment:
#   VIRTUALING_VM_CACHE        image cache (default /var/cache/virtualing-vm)
#   VIRTUALING_VM_KVM=1        use KVM instead of software emulation (TCG, the default:
#                              nested KVM hangs on some machines)
#   VIRTUALING_VM_TIMEOUT      seconds the VM may run (default 1200)
#   VIRTUALING_VM_RUN_TIMEOUT  seconds for everything, image build included (default 2500)
#   VIRTUALING_VM_SOURCE       source tree to build (default: this script's checkout)
#   VIRTUALING_VM_INSTALL      how virtualing gets into the image: deb (default: the
#                              Debian package, built with dpkg-buildpackage -b in a
#                              temporary copy of the tree and installed with
#                              "dpkg --root" into the image tree before its first boot),
#                              or meson (a raw "meson install --destdir", quicker to
#                              debug the C code with: no debian/ involved)
#
# Progress goes to stderr; stdout has only TAP (or, with --demo, the demo's text).
# Exits non-zero when a check failed or the VM did not bring a TAP plan out.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${VIRTUALING_VM_SOURCE:-$(cd "$here/../.." && pwd)}
mode=all
keep=0
legacy=0
debug=
release=${VIRTUALING_VM_RELEASE:-bookworm}
while [ $# -gt 0 ]; do
        arg=$1
        shift
        case $arg in
        --demo) mode=demo ;;
        --only)
                mode=${1:-}
                shift
                case $mode in
                [a-z]*) ;;
                *) echo "run.sh: --only needs scenario names, such as --only properties,run" >&2; exit 2 ;;
                esac ;;
        --release)
                release=${1:-}
                shift ;;
        --keep) keep=1 ;;
        --legacy) legacy=1 ;;
        --debug)
                debug=$(realpath -e "${1:-}") || { echo "run.sh: --debug needs a script" >&2; exit 2; }
                shift ;;
        -h | --help)
                sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
                exit 0 ;;
        *) echo "run.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
        esac
done

case $release in
bookworm | trixie) ;;
*) echo "run.sh: --release must be bookworm or trixie, not '$release'" >&2; exit 2 ;;
esac
if [ $legacy = 1 ]; then
        [ "$release" = bookworm ] || { echo "run.sh: --legacy needs --release bookworm (systemd 257 needs cgroup v2)" >&2; exit 2; }
        [ "$mode" = all ] && mode=legacy
        [ "$mode" = demo ] && { echo "run.sh: --legacy and --demo do not go together" >&2; exit 2; }
fi
host_release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
install_mode=${VIRTUALING_VM_INSTALL:-deb}
case $install_mode in
deb | meson) ;;
*) echo "run.sh: VIRTUALING_VM_INSTALL must be deb or meson, not $install_mode" >&2; exit 2 ;;
esac
vm_timeout=${VIRTUALING_VM_TIMEOUT:-1200}
deadline=$((SECONDS + ${VIRTUALING_VM_RUN_TIMEOUT:-2500}))
remaining() { local r=$((deadline - SECONDS)); [ $r -gt 1 ] && echo $r || echo 1; }

log() { echo "vm: $*" >&2; }
# bail MESSAGE: a failure before the VM could report anything
bail() {
        if [ "$mode" = demo ]; then echo "demo failed: $*"; else echo "Bail out! $*"; fi
        exit 1
}

if [ "$(id -u)" != 0 ]; then
        if [ "$mode" = demo ]; then echo "run.sh: needs root (debootstrap, qemu, mkfs)" >&2; exit 1; fi
        echo "1..0 # SKIP needs root (debootstrap, mkfs.ext4 -d with ownership)"
        exit 0
fi

# ---------------------------------------------------------------- dependencies
# what builds the project (as in test/run-all) and what makes and boots the VM
deps=(meson ninja-build gcc pkg-config libsystemd-dev libinih-dev libcap-dev libmnl-dev
      systemd qemu-system-x86 debootstrap e2fsprogs util-linux binutils coreutils tar)
# what builds the package (its Build-Depends beyond the above: debhelper, scdoc)
[ "$install_mode" = deb ] && deps+=(debhelper dpkg-dev build-essential fakeroot scdoc)
missing=()
for p in "${deps[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 ||
                bail "could not install ${missing[*]}"
fi

# ---------------------------------------------------------------- work directory
work=$(mktemp -d /var/tmp/virtualing-vm.XXXXXX) || bail "mktemp failed"
child=
# run_child CMD...: a long step (build, image, the VM) in the background, waited for,
# so that a signal runs the trap at once and the trap can end the step
run_child() {
        "$@" &
        child=$!
        wait "$child"
        local rc=$?
        child=
        return $rc
}
cleanup() {
        if [ -n "$child" ]; then
                # each long step runs under timeout(1), which passes the signal on to
                # everything it started (its process group)
                kill -TERM "$child" 2>/dev/null
                wait "$child" 2>/dev/null
        fi
        if [ $keep = 1 ]; then
                log "kept $work"
        else
                rm -rf --one-file-system "$work"
        fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

# ---------------------------------------------------------------- build and install
# $stage: the files virtualing installs, as a tree (the package's contents unpacked,
# or meson's --destdir), for the checks below; the image gets them from $deb with
# dpkg, or from $stage itself in the meson fallback.
t0=$SECONDS
stage=$work/stage
deb=
if [ "$install_mode" = deb ]; then
        # As test/package/test-package.sh: dpkg-buildpackage writes into the parent
        # directory of the tree, so it builds a copy (the files git knows, tracked or
        # new, not ignored build directories), never the checkout. nocheck: the unit
        # tests are test/run-all's and test-package.sh's business, not this one's.
        pkgsrc=$work/pkg/virtualing
        mkdir -p "$pkgsrc"
        if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
                (cd "$src" && git ls-files -z --cached --others --exclude-standard |
                        xargs -0 sh -c 'for f; do { [ -e "$f" ] || [ -L "$f" ]; } && printf "%s\0" "$f"; done' sh |
                        tar --null -T - -cf -) | tar -xf - -C "$pkgsrc"
        else
                tar -C "$src" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$pkgsrc"
        fi
        [ -x "$pkgsrc/debian/rules" ] || bail "copying $src to $pkgsrc failed (no debian/rules)"
        if [ "$release" = "$host_release" ]; then
                log "building the Debian package (dpkg-buildpackage -us -uc -b) in $pkgsrc"
                if ! run_child timeout "$(remaining)" sh -c 'cd "$1" && DEB_BUILD_OPTIONS="nocheck parallel=$2" \
                                exec dpkg-buildpackage -us -uc -b' sh "$pkgsrc" "$(nproc)" >"$work/build.log" 2>&1; then
                        tail -n 40 "$work/build.log" | sed 's/^/# /'
                        bail "dpkg-buildpackage failed (log above)"
                fi
        else
                # built where it will run: a $release tree, chrooted, in a mount namespace of its own
                run_child timeout "$(remaining)" "$here/buildroot.sh" "$release" >"$work/buildroot.path" ||
                        bail "building the $release build tree failed"
                broot=$work/buildroot
                mkdir -p "$broot"
                tar -C "$broot" --numeric-owner -xf "$(cat "$work/buildroot.path")" || bail "unpacking the build tree failed"
                mkdir -p "$broot/build"
                mv "$work/pkg/virtualing" "$broot/build/virtualing"
                log "building the Debian package for $release (dpkg-buildpackage -us -uc -b, chrooted)"
                if ! run_child timeout "$(remaining)" unshare -m --propagation private sh -c '
                                mount -t proc proc "$1/proc" && mount -t tmpfs tmpfs "$1/tmp" &&
                                exec chroot "$1" sh -c "cd /build/virtualing && DEB_BUILD_OPTIONS=\"nocheck parallel=$2\" exec dpkg-buildpackage -us -uc -b"
                        ' sh "$broot" "$(nproc)" >"$work/build.log" 2>&1; then
                        tail -n 40 "$work/build.log" | sed 's/^/# /'
                        bail "dpkg-buildpackage in the $release tree failed (log above)"
                fi
                mv "$broot"/build/virtualing_*.deb "$work/pkg/" || bail "the $release build made no package"
                rm -rf --one-file-system "$broot"
        fi
        deb=$(ls "$work"/pkg/virtualing_*_*.deb 2>/dev/null | head -n 1)
        [ -s "$deb" ] || bail "dpkg-buildpackage made no virtualing_VERSION_ARCH.deb"
        dpkg-deb -x "$deb" "$stage" || bail "dpkg-deb -x $deb failed"
        log "built $(basename "$deb") for $release in $((SECONDS - t0)) s"
else
        log "building $src (prefix /usr) in $work/build"
        if ! { run_child timeout "$(remaining)" meson setup "$work/build" "$src" --prefix=/usr -Dman=disabled \
                        --buildtype=debugoptimized &&
                run_child timeout "$(remaining)" meson compile -C "$work/build" &&
                run_child timeout "$(remaining)" meson install -C "$work/build" --destdir "$stage" --no-rebuild; } \
                >"$work/build.log" 2>&1; then
                tail -n 40 "$work/build.log" | sed 's/^/# /'
                bail "building or installing the project failed"
        fi
        # what the package adds: the example jails where its documentation puts them
        install -d "$stage/usr/share/doc/virtualing"
        cp -r "$src/examples" "$stage/usr/share/doc/virtualing/examples" || bail "copying examples/ failed"
fi
for f in usr/libexec/virtualing/virtualing-helper usr/libexec/virtualing/virtualing-watcher; do
        [ -x "$stage/$f" ] || bail "$install_mode did not produce /$f"
done
# where the VM's dbus-daemon reads the policy and the activation files (--prefix=/usr)
for f in usr/share/dbus-1/system.d/org.virtualing1.conf usr/share/dbus-1/system-services/org.virtualing1.service; do
        [ -s "$stage/$f" ] || bail "$install_mode did not produce /$f, where the system bus looks"
done
gen=$(find "$stage" -path '*/systemd/system-generators/virtualing-generator' | head -n 1)
tpl=$(find "$stage" -path '*/systemd/system/virtualing@.service' | head -n 1)
[ -n "$gen" ] && [ -n "$tpl" ] || bail "$install_mode did not produce the generator and the units"
case ${gen#"$stage"} in
/lib/systemd/system-generators/* | /usr/lib/systemd/system-generators/*) ;;
*) bail "the generator is installed in ${gen#"$stage"}, where systemd does not look" ;;
esac
case ${tpl#"$stage"} in
/lib/systemd/system/* | /usr/lib/systemd/system/*) ;;
*) bail "the units are installed in ${tpl#"$stage"}, where systemd does not look" ;;
esac
log "built and installed ($install_mode) in $((SECONDS - t0)) s"

# ---------------------------------------------------------------- the image
t0=$SECONDS
run_child timeout "$(remaining)" "$here/image.sh" "$release" >"$work/image.path" || bail "building the VM image failed"
base=$(cat "$work/image.path")
[ -s "$base" ] || bail "image.sh did not name a tarball"
log "base image $base ($((SECONDS - t0)) s)"

t0=$SECONDS
root=$work/root
mkdir -p "$root"
tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xf "$base" || bail "unpacking $base failed"
if [ "$install_mode" = deb ]; then
        # The package, installed by dpkg into the image tree before its first boot, as
        # on a machine where it was installed and then rebooted: the generator runs
        # at boot (the WantedBy= jail comes up by itself), dpkg checks Depends against
        # the image's own package database, and the maintainer scripts run chrooted
        # in the image (the postinst's daemon-reload is skipped: no systemd runs
        # there). Installing it in the VM, after boot, would miss all of the boot.
        dpkg --root="$root" --log=/dev/null -i "$deb" >"$work/dpkg.log" 2>&1 ||
                { sed 's/^/# /' "$work/dpkg.log"; bail "dpkg --root -i $(basename "$deb") into the image failed"; }
        dpkg --root="$root" -s virtualing 2>/dev/null | grep -qx 'Status: install ok installed' ||
                bail "dpkg does not say virtualing is installed in the image"
        install -d "$root/usr/local/lib/virtualing-vmtest"
        cp "$deb" "$root/usr/local/lib/virtualing-vmtest/" || bail "copying the package into the image failed"
else
        # --keep-directory-symlink: the image's /lib is a symlink to usr/lib (merged /usr)
        tar -C "$stage" --owner=0 --group=0 -cf - . |
                tar -C "$root" --keep-directory-symlink -xf - || bail "copying the installed project into the image failed"
fi

# Every library the installed programs need must be in the image: the image's
# package list says which, and this says which one is missing.
while read -r elf; do
        while read -r lib; do
                if [ ! -e "$root/usr/lib/x86_64-linux-gnu/$lib" ] && [ ! -e "$root/usr/lib/$lib" ] &&
                        [ ! -e "$root/usr/lib64/$lib" ]; then
                        pkg=$(dpkg -S "*/$lib" 2>/dev/null | head -n 1 | cut -d: -f1)
                        bail "${elf#"$stage"} needs $lib, not in the VM image: add ${pkg:-its package} to test/vm/packages"
                fi
        done < <(objdump -p "$elf" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }')
done < <(find "$stage" -type f -perm -u+x)

# the scenarios, their unit, and a jail that must come up at boot
install -d "$root/usr/local/lib/virtualing-vmtest" "$root/etc/virtualing" "$root/srv/jails"
install -m 0755 "$here/guest/vmtest.sh" "$root/usr/local/lib/virtualing-vmtest/vmtest.sh"
install -m 0755 "$here/guest/signals.py" "$root/usr/local/lib/virtualing-vmtest/signals.py"
install -m 0755 "$here/guest/properties.py" "$root/usr/local/lib/virtualing-vmtest/properties.py"
# the Ansible role and its example playbook, for scenario_ansible
rm -rf "$root/usr/local/lib/virtualing-vmtest/ansible"
cp -r "$src/contrib/ansible" "$root/usr/local/lib/virtualing-vmtest/ansible" || bail "copying contrib/ansible failed"
# the generator's golden inputs, for scenario_properties: what systemd reads of each
rm -rf "$root/usr/local/lib/virtualing-vmtest/golden"
install -d "$root/usr/local/lib/virtualing-vmtest/golden"
cp -a "$src"/test/generator/*.input "$root/usr/local/lib/virtualing-vmtest/golden/"
chmod -R go-w "$root/usr/local/lib/virtualing-vmtest/golden"
install -m 0644 "$here/guest/lighttpd-jail.conf" "$root/usr/local/lib/virtualing-vmtest/lighttpd-jail.conf"
install -m 0644 "$here/guest/virtualing-vmtest.service" "$root/etc/systemd/system/virtualing-vmtest.service"
install -d "$root/etc/systemd/system/multi-user.target.wants"
ln -sfn ../virtualing-vmtest.service "$root/etc/systemd/system/multi-user.target.wants/virtualing-vmtest.service"
install -m 0644 "$here/guest/atboot.conf" "$root/etc/virtualing/atboot.conf"
echo "$install_mode" >"$root/usr/local/lib/virtualing-vmtest/install-mode"
[ -n "$debug" ] && install -m 0755 "$debug" "$root/usr/local/lib/virtualing-vmtest/debug.sh"
chown -R 0:0 "$root/usr/local/lib/virtualing-vmtest" "$root/etc/virtualing" \
        "$root/etc/systemd/system/virtualing-vmtest.service"

kernel=$(ls "$root"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
initrd=$(ls "$root"/boot/initrd.img-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] && [ -n "$initrd" ] || bail "no kernel or initrd in the image's /boot"
cp "$kernel" "$work/vmlinuz" && cp "$initrd" "$work/initrd.img" || bail "copying the kernel failed"

disk=$work/disk.img
truncate -s 4G "$disk" || bail "cannot create $disk"
mkfs.ext4 -q -F -L virtualing-vm -E root_owner=0:0 -d "$root" "$disk" >"$work/mkfs.log" 2>&1 ||
        { sed 's/^/# /' "$work/mkfs.log"; bail "mkfs.ext4 -d failed"; }
rm -rf --one-file-system "$root"
log "disk image ready in $((SECONDS - t0)) s"

# ---------------------------------------------------------------- boot
accel=tcg
[ "${VIRTUALING_VM_KVM:-0}" = 1 ] && accel=kvm
hierarchy=1
[ $legacy = 1 ] && hierarchy=0
console=$work/console.log
results=$work/results.tap
# the guest needs no KVM of its own: under emulation, loading kvm_amd has crashed its kernel
cmdline="root=/dev/vda rw console=ttyS0,115200 systemd.unified_cgroup_hierarchy=$hierarchy panic=1 quiet loglevel=4"
cmdline="$cmdline systemd.show_status=1 fsck.mode=skip module_blacklist=kvm,kvm_amd,kvm_intel virtualing.vmtest=$mode"
boot() {
        t=$(remaining)
        [ "$t" -gt "$vm_timeout" ] && t=$vm_timeout
        : >"$console"
        : >"$results"
        log "booting the VM ($accel, $([ $hierarchy = 1 ] && echo unified || echo legacy) cgroup hierarchy, up to $t s; console log $console)"
        t0=$SECONDS
        run_child timeout -k 10 "$t" qemu-system-x86_64 \
                -nodefaults -no-user-config \
                -machine pc -accel "$accel" -cpu max -m 2048 -smp 2 \
                -kernel "$work/vmlinuz" -initrd "$work/initrd.img" \
                -append "$cmdline" \
                -drive "file=$disk,format=raw,if=virtio,cache=unsafe" \
                -device virtio-rng-pci \
                -nic none -display none -vga none -no-reboot \
                -serial "file:$console" -serial "file:$results" \
                </dev/null >"$work/qemu.log" 2>&1
        qemu_rc=$?
        vm_time=$((SECONDS - t0))
        log "the VM ran $vm_time s (qemu exit status $qemu_rc)"
}
# a pristine copy of the disk, for one more boot if the guest's kernel panics before the
# scenarios ran (an emulation fault, not a test result)
cp --sparse=always "$disk" "$work/disk.pristine" || bail "cannot copy $disk"
boot
if ! grep -qE '^1\.\.[0-9]+' "$results" && grep -q 'Kernel panic' "$console" && [ "$(remaining)" -gt 300 ]; then
        log "the guest's kernel panicked: booting once more from the pristine disk"
        tr -d '\r' <"$console" | grep -m1 -B2 -A8 'Kernel panic\|BUG:\|Oops' | sed 's/^/vm:   /' >&2
        mv -f "$work/disk.pristine" "$disk" || bail "cannot restore $disk"
        boot
fi
rm -f "$work/disk.pristine"

# ---------------------------------------------------------------- results
tap=$(tr -d '\r' <"$results")
printf '%s\n' "$tap"
status=0
plan=$(printf '%s\n' "$tap" | grep -E '^1\.\.[0-9]+$' | tail -n 1)
count=$(printf '%s\n' "$tap" | grep -cE '^(not )?ok [0-9]+')
bad=$(printf '%s\n' "$tap" | grep -cE '^not ok [0-9]+')
if [ -z "$plan" ]; then
        status=1
        why="the VM brought no TAP plan out"
        [ "$qemu_rc" = 124 ] && why="$why: it was killed after $t s"
elif [ "${plan#1..}" != "$count" ]; then
        status=1
        why="the plan says ${plan#1..} tests, the VM ran $count"
elif [ "$bad" -gt 0 ]; then
        status=1
        why="$bad of $count checks failed"
fi
if [ $status != 0 ]; then
        {
                echo "---- qemu"
                cat "$work/qemu.log"
                echo "---- the last 60 lines of the serial console"
                tr -d '\r' <"$console" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 60
        } | sed 's/^/# /'
        if [ "$mode" = demo ]; then
                echo "demo failed: $why"
        elif [ -z "$plan" ]; then
                echo "Bail out! $why"
        else
                echo "# $why"
        fi
elif [ "$mode" = demo ]; then
        echo "(the VM booted and ran this in $vm_time s; the whole run took $SECONDS s)"
fi
exit $status
