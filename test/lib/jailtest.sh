# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the shell tests of the helper: TAP output, and the private mount namespace with
# a tmpfs ($work) that each of them runs in, so that even a broken helper cannot reach the
# machine's real mount table. A failed check shows $work/out and $work/err.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
        n=$((n + 1))
        echo "not ok $n - $1"
        failed=$((failed + 1))
        { sed 's/^/# out: /' "$work/out"; sed 's/^/# err: /' "$work/err"; } 2>/dev/null | head -40
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
tap_done() {
        echo "1..$n"
        [ $failed -eq 0 ]
}

# in_private_mount_ns SCRIPT [WRAPPER...] -- ARGS...: as root, re-runs SCRIPT with ARGS in a
# new private mount namespace (through WRAPPER, if any); returns once inside it. Skips the
# whole test without root or namespaces.
in_private_mount_ns() {
        local script=$1 wrapper=()
        shift
        while [ $# -gt 0 ] && [ "$1" != "--" ]; do wrapper+=("$1"); shift; done
        shift
        if [ "$(id -u)" != 0 ]; then
                echo "1..0 # SKIP needs root (mount namespaces, bind mounts)"
                exit 0
        fi
        [ -n "${VIRTUALING_TEST_IN_NS:-}" ] && return 0
        if ! unshare -m --propagation private true 2>/dev/null; then
                echo "1..0 # SKIP cannot create a mount namespace here"
                exit 0
        fi
        VIRTUALING_TEST_IN_NS=1 exec unshare -m --propagation private "${wrapper[@]}" "$BASH" "$script" "$@"
}

# work_tmpfs NAME: $work, a fresh tmpfs, unmounted on exit after the test's own cleanup
work_tmpfs() {
        umask 022
        work=$(mktemp -d "/tmp/virtualing-$1.XXXXXX")
        mount -t tmpfs -o mode=0755 tmpfs "$work" || { echo "Bail out! tmpfs on $work"; exit 1; }
        export VIRTUALING_CONFIG_PATH=$work/etc
        mkdir -p "$work/etc"
}
