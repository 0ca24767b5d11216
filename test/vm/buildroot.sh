#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A Debian root tree to build the package for a release other than this machine's:
#
#   buildroot.sh RELEASE     prints the path of a cached tarball of the tree
#
# debootstrap --variant=minbase of RELEASE with what debian/control's Build-Depends
# need (named below: debootstrap resolves no virtual package), cached under
# $VIRTUALING_VM_CACHE (default /var/cache/virtualing-vm) by release and a hash of
# this script and debian/control. run.sh unpacks it, copies the source in and runs
# dpkg-buildpackage there, chrooted, in a private mount namespace. Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
cache=${VIRTUALING_VM_CACHE:-/var/cache/virtualing-vm}
suite=${1:?usage: buildroot.sh RELEASE}
pkgs=build-essential,fakeroot,dpkg-dev,debhelper,meson,ninja-build,pkg-config,libsystemd-dev,libinih-dev,scdoc,systemd

say() { echo "buildroot: $*" >&2; }
die() { say "$*"; exit 1; }

. "$here/mirror.sh"

key=$(cat "$here/buildroot.sh" "$here/mirror.sh" "$src/debian/control" | sha256sum | cut -c1-16)
out=$cache/buildroot-$suite-$key.tar
if [ -s "$out" ]; then
        echo "$out"
        exit 0
fi
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock -w 1800 9 || die "another build holds $cache/.lock"
if [ -s "$out" ]; then
        echo "$out"
        exit 0
fi
tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf --one-file-system "$tmp"' EXIT
trap 'exit 130' INT TERM
mirror=$(find_mirror)
say "debootstrap $suite (minbase: $pkgs) from ${mirror:-the default mirror of debootstrap}, log in $tmp/build.log"
start=$SECONDS
debootstrap_minbase "$suite" "$tmp/root" "$pkgs" "$mirror" "$tmp/build.log" || die "debootstrap failed"
rm -rf "$tmp"/root/var/cache/apt/archives/*.deb "$tmp"/root/var/lib/apt/lists/*
say "debootstrap done in $((SECONDS - start)) s"
tar -C "$tmp/root" --numeric-owner -cf "$out.tmp" .
mv "$out.tmp" "$out"
for f in "$cache"/buildroot-"$suite"-*.tar; do
        [ "$f" = "$out" ] || rm -f "$f"
done
echo "$out"
