#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark jail start: virtualing-helper against bubblewrap building the same tree.

Performance target (bench/README.md): starting a jail (helper, skeleton + 2
binds, exec /bin/true) is no slower than bubblewrap doing the same tree,
measured side by side in one run.

The script makes one jail root (root-owned, 0755, under /dev/shm by default)
and two bind sources, one writable and one read-only, then writes a jail file
for it:

    [Jail]
    Root=ROOT
    Exec=/bin/true
    Bind=RW:/data
    BindReadOnly=RO:/srv/ro

Skeleton=yes is the default.  The bwrap command line builds the same tree that
jail-mount.c builds.  It binds the jail root as / and makes a read-only bind of
each skeleton directory the host has.  It recreates the host symlinks (such as
/bin -> usr/bin), makes the directories the skeleton makes, and mounts /proc,
/dev (bwrap's --dev: tmpfs, the six nodes, devpts), a 01777 tmpfs on /dev/shm
and the two binds.  It also passes --cap-drop ALL --cap-add for the helper's six
default capabilities, and --unshare-pid --unshare-ipc: bwrap run by root and not
installed setuid then makes mount, PID and IPC namespaces (no user namespace), as
the helper does by default (PrivatePIDs=yes, PrivateIPC=yes); both run the command
as PID 2 below an init of their own.

Each tool first runs once with a script that prints its mount table, its
capabilities and whether /data is writable and /srv/ro read-only.  The script
prints both lists of mount points and their differences.  It fails if either run
fails, or if a mount point of the jail's tree is missing.  It also fails if /data
is not writable, /srv/ro is not read-only, or the effective capabilities are not
the six.  Then it runs the two alternately, R times each, and prints the median,
minimum and maximum wall-clock times and the ratio helper/bwrap.

Two differences remain, and the script prints them.  The helper makes the kernel
tunables of its /proc read-only (a mount each); bwrap's --dev bind-mounts the
host's device nodes, the helper makes them with mknod.
bubblewrap (0.8.0 at least) refuses --symlink onto an existing symlink.  The helper's
check run has already made those links in the jail root on disk (both tools
share the root), so --symlink is given only for links that are still missing.

Exit status: 0 whether or not the target is met (this is a benchmark, not a
test); 1 if a run failed or built a wrong tree; 2 for bad usage, when not run as
root, or when bwrap is missing.
"""

import argparse
import os
import shutil
import stat
import statistics
import subprocess
import sys

from benchlib import (REPO, BenchError, default_tmpdir, describe_failure, fs_type, print_times, run_in_tmpdir,
                      run_timed, spawn_cost)

DEFAULT_HELPER = os.path.join(REPO, "build", "src", "helper", "virtualing-helper")
TARGET = 1.0

# src/helper/jail-mount.c: skeleton_ro[], in its order
SKELETON_RO = (
    "bin", "etc/alternatives", "etc/pki/tls/certs", "etc/pki/ca-trust", "etc/ssl/certs",
    "lib", "lib64", "sbin", "usr/bin", "usr/include", "usr/lib", "usr/lib64", "usr/libexec",
    "usr/sbin", "usr/share", "usr/src",
)
# jail_skeleton(): the directories it makes (mode); /run is a tmpfs of its own with lock/;
# then the links
SKELETON_DIRS = (("etc", None), ("usr", None), ("var/log", None), ("tmp", "01777"), ("var/tmp", "01777"))
SKELETON_LINKS = (("var/lock", "../run/lock"), ("var/run", "../run"))
# jail-mount.c: etc_binds[], the host's small /etc files bound read-only
ETC_BINDS = ("nsswitch.conf", "host.conf", "gai.conf", "services", "protocols", "ld.so.cache", "localtime",
             "hostname", "machine-id", "mime.types", "login.defs", "shells", "ssl/openssl.cnf")
# BindLogSockets=yes: the journal's sockets, where the host has them, and /dev/log
LOG_SOCKETS = ("/run/systemd/journal/socket", "/run/systemd/journal/stdout", "/run/systemd/journal/dev-log")
# src/shared/jail.c: jail_default_capabilities()
CAPS = ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE")
CAP_MASK = (1 << 0) | (1 << 1) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 10)

CHECK_SCRIPT = """\
cat /proc/self/mountinfo
echo '--- status'
grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status
echo '--- access'
if (: >/data/.probe) 2>/dev/null; then echo 'data rw'; else echo 'data ro'; fi
if (: >/srv/ro/.probe) 2>/dev/null; then echo 'srv/ro rw'; else echo 'srv/ro ro'; fi
"""


def host_skeleton():
    """What the helper will do for each skeleton entry on this host: ('bind', rel) or ('link', rel, target)."""
    out = []
    for rel in SKELETON_RO:
        host = "/" + rel
        if os.path.islink(host):
            out.append(("link", rel, os.readlink(host)))
        elif os.path.isdir(host):
            out.append(("bind", rel))
    return out


def etc_files(root):
    """The /etc files the helper binds: regular files of the host (through a link, as
    localtime), in a directory the jail has, that the jail has no non-empty file for."""
    out = []
    for name in ETC_BINDS:
        host = "/etc/" + name
        if not os.path.isfile(host):
            continue
        mine = os.path.join(root, "etc", name)
        if os.path.lexists(mine) and not (os.path.isfile(mine) and not os.path.islink(mine)
                                          and os.path.getsize(mine) == 0):
            continue
        if "/" in name and not os.path.isdir(os.path.join(root, "etc", os.path.dirname(name))):
            continue
        out.append(name)
    return out


def bwrap_version(bwrap):
    try:
        p = subprocess.run([bwrap, "--version"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
        return p.stdout.decode(errors="replace").strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


# ---------------------------------------------------------------- setup

def write_file(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def jail_text(root, exec_line, rw, ro):
    return ("# written by bench/helper.py\n"
            "[Jail]\n"
            f"Root={root}\n"
            f"Exec={exec_line}\n"
            f"Bind={rw}:/data\n"
            f"BindReadOnly={ro}:/srv/ro\n")


def bwrap_argv(bwrap, root, rw, ro, skeleton, command):
    """The same tree as jail-mount.c, in the same order. Links already in the root on disk are left
    out: bubblewrap (0.8.0 at least) fails on --symlink onto an existing symlink."""
    # the helper's defaults: a PID namespace (bwrap's PID 1 is its own init, as ours) and an IPC one
    argv = [bwrap, "--unshare-pid", "--unshare-ipc", "--bind", root, "/"]
    skipped = 0

    def link(rel, target):
        nonlocal skipped
        if os.path.lexists(os.path.join(root, rel)):
            skipped += 1
        else:
            argv.extend(["--symlink", target, "/" + rel])

    for entry in skeleton:
        if entry[0] == "link":
            link(entry[1], entry[2])
        else:
            argv.extend(["--ro-bind", "/" + entry[1], "/" + entry[1]])
    for rel, mode in SKELETON_DIRS:
        if mode:
            argv.extend(["--perms", mode])
        argv.extend(["--dir", "/" + rel])
    argv.extend(["--tmpfs", "/run", "--perms", "01777", "--dir", "/run/lock"])
    for rel, target in SKELETON_LINKS:
        link(rel, target)
    for name in etc_files(root):
        argv.extend(["--ro-bind", "/etc/" + name, "/etc/" + name])
    argv.extend(["--proc", "/proc", "--dev", "/dev", "--perms", "01777", "--tmpfs", "/dev/shm"])
    for sock in LOG_SOCKETS:
        if stat.S_ISSOCK(os.stat(sock).st_mode if os.path.exists(sock) else 0):
            argv.extend(["--bind", sock, sock])
    argv.extend(["--symlink", "/run/systemd/journal/dev-log", "/dev/log"])
    argv.extend(["--bind", rw, "/data", "--ro-bind", ro, "/srv/ro"])
    argv.extend(["--cap-drop", "ALL"])
    for c in CAPS:
        argv.extend(["--cap-add", c])
    argv.append("--")
    argv.extend(command)
    return argv, skipped


# ---------------------------------------------------------------- running

def unescape(s):
    """mountinfo octal escapes (\\040 for a space and the like)."""
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 4 <= len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def parse_check(what, text):
    """Output of CHECK_SCRIPT: (mounts [(mount point, fstype, options)], status {key: value}, access set)."""
    sections = {"mounts": [], "status": [], "access": []}
    cur = "mounts"
    for line in text.splitlines():
        if line == "--- status":
            cur = "status"
        elif line == "--- access":
            cur = "access"
        elif line.strip():
            sections[cur].append(line)
    mounts = []
    for line in sections["mounts"]:
        left, sep, right = line.partition(" - ")
        f = left.split()
        if not sep or len(f) < 6:
            raise BenchError(f"{what}: unexpected mountinfo line: {line}")
        mounts.append((unescape(f[4]), right.split()[0], f[5]))
    status = {}
    for line in sections["status"]:
        k, _, v = line.partition(":")
        status[k.strip()] = v.strip()
    return mounts, status, set(sections["access"])


def check_tree(what, mounts, status, access, expected):
    problems = []
    points = [m[0] for m in mounts]
    missing = [p for p in expected if p not in points]
    if missing:
        problems.append("mount points missing: " + " ".join(missing))
    for p, _, opts in mounts:
        if p.startswith("/usr/") or p in ("/etc/alternatives", "/etc/ssl/certs"):
            if "ro" not in opts.split(","):
                problems.append(f"{p} is not read-only")
    if "data rw" not in access:
        problems.append("/data is not writable")
    if "srv/ro ro" not in access:
        problems.append("/srv/ro is not read-only")
    try:
        eff = int(status.get("CapEff", "x"), 16)
    except ValueError:
        eff = None
    if eff != CAP_MASK:
        problems.append(f"effective capabilities {status.get('CapEff')}, expected {CAP_MASK:016x}")
    if status.get("NoNewPrivs") != "1":
        problems.append("no_new_privs is not set")
    if problems:
        raise BenchError(f"{what} built a wrong jail: " + "; ".join(problems))


def fmt_caps(status):
    def h(k):
        v = status.get(k, "?")
        try:
            return f"{int(v, 16):x}"
        except ValueError:
            return v
    return f"eff {h('CapEff')} bnd {h('CapBnd')} amb {h('CapAmb')}"


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Time virtualing-helper exec (skeleton + 2 binds, exec /bin/true) against bwrap "
                    "building the same tree (target: ratio helper/bwrap <= 1.0). Needs root. Exit 0 "
                    "whether or not the target is met; 1 if a run failed or built a wrong tree; 2 for "
                    "bad usage, without root, or without bwrap.")
    ap.add_argument("helper", nargs="?", default=DEFAULT_HELPER,
                    help="virtualing-helper binary (default: %(default)s)")
    ap.add_argument("--bwrap", metavar="PATH", default=None,
                    help="bubblewrap binary (default: bwrap from $PATH)")
    ap.add_argument("--runs", "-r", type=int, default=30, metavar="R",
                    help="timed runs of each (default: %(default)s)")
    ap.add_argument("--tmpdir", default=default_tmpdir(), metavar="DIR",
                    help="where the jail root and bind sources go (default: %(default)s); every directory "
                         "above it must be root's and not writable by group or others, or sticky")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory and print its path")
    a = ap.parse_args(argv)
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    if not os.path.isdir(a.tmpdir):
        ap.error(f"--tmpdir {a.tmpdir}: not a directory")
    if not os.access(a.helper, os.X_OK):
        ap.error(f"{a.helper}: not an executable file (build with: meson setup build && ninja -C build)")
    if a.bwrap is None:
        a.bwrap = shutil.which("bwrap")
        if a.bwrap is None:
            ap.exit(2, "helper.py: bwrap (bubblewrap) not found in $PATH; install it with "
                       "`apt-get install bubblewrap`, or give --bwrap PATH\n")
    elif not os.access(a.bwrap, os.X_OK):
        ap.exit(2, f"helper.py: {a.bwrap}: not an executable file; install bubblewrap with "
                   "`apt-get install bubblewrap`\n")
    if os.geteuid() != 0:
        ap.exit(2, "helper.py: needs root (the helper and bwrap make mount namespaces and bind mounts)\n")
    return a


def bench(a, tmp):
    os.chmod(tmp, 0o755)
    root = os.path.join(tmp, "root")
    rw = os.path.join(tmp, "rw")
    ro = os.path.join(tmp, "ro")
    conf = os.path.join(tmp, "conf")
    for d in (root, rw, ro, conf):
        os.mkdir(d)
        os.chmod(d, 0o755)
    write_file(os.path.join(ro, "check.sh"), CHECK_SCRIPT)
    check_cmd = ["/bin/sh", "/srv/ro/check.sh"]
    write_file(os.path.join(conf, "bench.conf"), jail_text(root, "/bin/true", rw, ro))
    write_file(os.path.join(conf, "check.conf"), jail_text(root, " ".join(check_cmd), rw, ro))

    skeleton = host_skeleton()
    expected = (["/"] + ["/" + e[1] for e in skeleton if e[0] == "bind"]
                + ["/run", "/proc", "/dev", "/dev/pts", "/dev/shm", "/data", "/srv/ro"]
                + ["/etc/" + n for n in ETC_BINDS if os.path.isfile("/etc/" + n) and "/" not in n])
    henv = dict(os.environ)
    henv["VIRTUALING_CONFIG_PATH"] = conf
    benv = dict(os.environ)

    # Check both once; the helper first, so the root on disk has its links and directories.
    _, p = run_timed([a.helper, "exec", "check"], henv)
    if p.returncode != 0 or p.stderr:
        raise BenchError(describe_failure("virtualing-helper exec check", p))
    hm, hs, ha = parse_check("virtualing-helper", p.stdout.decode(errors="replace"))
    check_tree("virtualing-helper", hm, hs, ha, expected)

    argv_check, _ = bwrap_argv(a.bwrap, root, rw, ro, skeleton, check_cmd)
    _, p = run_timed(argv_check, benv)
    if p.returncode != 0:
        raise BenchError(describe_failure("bwrap (check run)", p) + "\ncommand: " + " ".join(argv_check))
    bm, bs, ba = parse_check("bwrap", p.stdout.decode(errors="replace"))
    check_tree("bwrap", bm, bs, ba, expected)

    h_argv = [a.helper, "exec", "bench"]
    b_argv, skipped_links = bwrap_argv(a.bwrap, root, rw, ro, skeleton, ["/bin/true"])

    spawn = spawn_cost(a.runs, benv)

    # Timed runs, alternating; which one goes first flips every round.
    th, tb = [], []
    for k in range(a.runs):
        for which in (("h", "b") if k % 2 == 0 else ("b", "h")):
            if which == "h":
                ns, p = run_timed(h_argv, henv)
                if p.returncode != 0 or p.stderr:
                    raise BenchError(describe_failure(f"virtualing-helper (run {k + 1})", p))
                th.append(ns)
            else:
                ns, p = run_timed(b_argv, benv)
                if p.returncode != 0:
                    raise BenchError(describe_failure(f"bwrap (run {k + 1})", p))
                tb.append(ns)

    mh, mb = statistics.median(th), statistics.median(tb)
    ratio = mh / mb
    hp = [m[0] for m in hm]
    bp = [m[0] for m in bm]
    only_h = [x for x in hp if x not in bp]
    only_b = [x for x in bp if x not in hp]
    n_bind = sum(1 for e in skeleton if e[0] == "bind")
    n_link = len(skeleton) - n_bind
    hproc = next((m for m in hm if m[0] == "/proc"), None)

    print(f"virtualing-helper: {a.helper}")
    print(f"bwrap:             {a.bwrap} ({bwrap_version(a.bwrap)}), run by root with --unshare-pid "
          "--unshare-ipc: mount, PID and IPC namespaces, no user namespace")
    print(f"jail root on {fs_type(tmp)} ({root})")
    print(f"tree: {n_bind} read-only skeleton binds, {n_link} host symlinks, /run, {len(etc_files(root))} "
          f"/etc files, /proc, /dev, /dev/pts, /dev/shm, 2 binds; {a.runs} runs each, alternating")
    if skipped_links:
        print(f"note: {skipped_links} symlinks were already in the jail root on disk, so bwrap gets no "
              "--symlink for them")
    print(f"mount points in the jail: helper {len(hp)}, bwrap {len(bp)}")
    print("  only in helper: " + (" ".join(only_h) if only_h else "(none)"))
    print("  only in bwrap:  " + (" ".join(only_b) if only_b else "(none)"))
    if hproc:
        print("  /proc: both mount a fresh proc of the jail's own PID namespace")
    print(f"capabilities: helper {fmt_caps(hs)}; bwrap {fmt_caps(bs)}; "
          f"NoNewPrivs helper {hs.get('NoNewPrivs')} bwrap {bs.get('NoNewPrivs')}")
    print_times((("virtualing-helper", th), ("bwrap", tb), ("/bin/true (spawn cost)", spawn)))
    print(f"ratio of minima: {min(th) / min(tb):.3f}")
    print(f"ratio: {ratio:.3f} (target <= {TARGET:.1f}) " + ("met" if ratio <= TARGET else "NOT met"))


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    return run_in_tmpdir("helper", a, bench, umask=0o022)


if __name__ == "__main__":
    sys.exit(main())
