#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The base root tree of the end-to-end test VM: Debian 12 (bookworm, the default) or
# Debian 13 (trixie), the release given as the only argument, from debootstrap
# --variant=minbase, the packages of test/vm/packages and test/vm/packages.RELEASE, a
# Debian kernel with a small initramfs (only what mounts a virtio disk), no getty, no
# network, and the services of the daemons that the jails run masked.
#
# The tree is cached as an uncompressed tarball under $VIRTUALING_VM_CACHE (default
# /var/cache/virtualing-vm), named by the release and a hash of the package lists and of
# this script, so a warm run does no debootstrap at all. Prints the tarball's path on
# stdout; progress and errors go to stderr. Needs root, debootstrap, and the Debian
# archive.
#
# The mirror is the first Debian one of this machine's own apt configuration
# (sources.list and sources.list.d), or debootstrap's default when there is none:
# no host name is written here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${VIRTUALING_VM_CACHE:-/var/cache/virtualing-vm}
suite=${1:-bookworm}
case $suite in
bookworm | trixie) ;;
*) echo "image: unknown release $suite (bookworm or trixie)" >&2; exit 2 ;;
esac

. "$here/mirror.sh"
say() { echo "image: $*" >&2; }
die() { say "$*"; exit 1; }

lists=("$here/packages")
[ -f "$here/packages.$suite" ] && lists+=("$here/packages.$suite")
key=$(cat "${lists[@]}" "$here/image.sh" "$here/mirror.sh" | sha256sum | cut -c1-16)
out=$cache/base-$suite-$key.tar

if [ -s "$out" ]; then
        echo "$out"
        exit 0
fi

[ "$(id -u)" = 0 ] || die "building the VM image needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
command -v unshare >/dev/null || die "unshare is not installed (util-linux)"

mkdir -p "$cache"
# One builder at a time; a second run waits and then finds the tarball.
exec 9>"$cache/.lock"
flock -w 1800 9 || die "another image build holds $cache/.lock"
if [ -s "$out" ]; then
        echo "$out"
        exit 0
fi
# what a builder killed before its cleanup left behind: none runs now, we hold the lock
rm -rf --one-file-system "$cache"/build.*

tmp=$(mktemp -d "$cache/build.XXXXXX")
cleanup() {
        # every mount of the build was made in a private mount namespace, so none
        # can be left here; --one-file-system guards against the impossible anyway
        rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
root=$tmp/root
log=$tmp/build.log

pkgs=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "${lists[@]}" | paste -sd, -)
mirror=$(find_mirror)
say "debootstrap $suite (minbase: $pkgs) from ${mirror:-the default mirror of debootstrap}, log in $log"
start=$SECONDS
debootstrap_minbase "$suite" "$root" "$pkgs" "$mirror" "$log" || die "debootstrap failed"
say "debootstrap done in $((SECONDS - start)) s"

# The kernel, with an initramfs that holds only what mounts /dev/vda: written before
# the packages come so that update-initramfs runs once, on this configuration (dpkg
# keeps a configuration file that is already there with --force-confold).
mkdir -p "$root/etc/initramfs-tools/conf.d"
cat >"$root/etc/initramfs-tools/modules" <<'EOF'
# virtualing test VM: the root file system is ext4 on a virtio disk
virtio_pci
virtio_blk
ext4
EOF
cat >"$root/etc/initramfs-tools/initramfs.conf" <<'EOF'
# virtualing test VM: a small initramfs, quick to load under emulation
MODULES=list
BUSYBOX=n
COMPRESS=gzip
EOF
echo RESUME=none >"$root/etc/initramfs-tools/conf.d/resume"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

start=$SECONDS
say "installing the kernel and initramfs-tools"
if ! timeout 1200 unshare -m --propagation private /bin/bash -euc '
        root=$1
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --bind /dev "$root/dev"
        export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
        chroot "$root" apt-get -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
                -y --no-install-recommends install linux-image-amd64 initramfs-tools
        chroot "$root" apt-get clean
' kernel "$root" >>"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "installing the kernel failed"
fi
rm -f "$root/usr/sbin/policy-rc.d"
kernel=$(ls "$root"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
initrd=$(ls "$root"/boot/initrd.img-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] && [ -n "$initrd" ] || die "no kernel or initrd in $root/boot"
say "kernel $(basename "$kernel"), initrd $(du -h "$initrd" | cut -f1) in $((SECONDS - start)) s"

# The system: no first-boot questions, no getty (a login prompt on a serial port
# hangs up other writers of it), nothing periodic, the root file system as given.
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
echo >>"$root/etc/machine-id"
echo virtualing-vm >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tvirtualing-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 0' >"$root/etc/fstab"
# the daemons' own services too: the jails run those daemons, from the same packages
for unit in getty.target getty@tty1.service serial-getty@ttyS0.service serial-getty@ttyS1.service \
        console-getty.service systemd-firstboot.service apt-daily.timer apt-daily-upgrade.timer \
        e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer lighttpd.service memcached.service \
        nginx.service redis-server.service postgresql.service postgresql@.service ssh.service ssh.socket \
        sshd.service systemd-networkd-wait-online.service; do
        ln -sfn /dev/null "$root/etc/systemd/system/$unit"
done
# no network in the VM: the jails' addresses sit on a dummy interface the test makes
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
        "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log \
        "$root"/debootstrap

say "writing $out"
tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -cf "$out.tmp" .
mv "$out.tmp" "$out"
# older trees of this release, of other package lists or scripts, are no use any more
for f in "$cache"/base-"$suite"-*.tar "$cache"/base-????????????????.tar; do
        [ -e "$f" ] || continue
        [ "$f" = "$out" ] || rm -f "$f"
done
say "image $(du -h "$out" | cut -f1)"
echo "$out"
