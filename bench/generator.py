#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark virtualing-generator against systemd-fstab-generator.

Performance target (bench/README.md): the generator handles 1,000 jails in
no more time than systemd-fstab-generator takes for 1,000 fstab lines,
measured in the same run.

The script writes N varied, valid jail files (some with drop-in directories,
[Network] sections using documentation addresses only, WantedBy=, IO limits by
MAJ:MIN and by path, [Events] hooks, elastic memory) and an fstab with N lines
(tmpfs and bind mounts under /srv/bench/NNNN; nothing needs a real device and
nothing is mounted).  It checks once that each generator produces the expected
output, then runs the two generators alternately, R times each, every run into
fresh empty output directories created outside the timed part, and prints the
median and minimum wall-clock times and the ratio virtualing/fstab.  Inputs and
outputs go under /dev/shm by default (systemd writes generator output to /run,
a tmpfs); --tmpdir moves them.  systemd-fstab-generator gets SYSTEMD_FSTAB=
the benchmark's fstab and an empty SYSTEMD_PROC_CMDLINE, so the host's fstab
and kernel command line play no part.

Exit status: 0 whether or not the target is met (this is a benchmark, not a
test); 1 if a generator failed, warned, or produced wrong output; 2 for bad
usage.
"""

import argparse
import os
import random
import shutil
import statistics
import sys

from benchlib import (REPO, BenchError, default_tmpdir, describe_failure, fs_type, print_times, run_in_tmpdir,
                      run_timed, spawn_cost)

DEFAULT_VIRTUALING = os.path.join(REPO, "build", "src", "generator", "virtualing-generator")
FSTAB_CANDIDATES = (
    "/lib/systemd/system-generators/systemd-fstab-generator",
    "/usr/lib/systemd/system-generators/systemd-fstab-generator",
)
TARGET = 1.0


def default_fstab_generator():
    for p in FSTAB_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return FSTAB_CANDIDATES[0]


# ---------------------------------------------------------------- inputs

PROGRAMS = (
    ("web", "/usr/sbin/nginx -g 'daemon off;'", "www-data"),
    ("api", "/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1", "1000"),
    ("db", "/usr/sbin/mariadbd --user=mysql --skip-networking", "mysql"),
    ("cache", "/usr/bin/redis-server /etc/redis/redis.conf --daemonize no", "redis"),
    ("mail", "/usr/sbin/postfix start-fg", "postfix"),
    ("ci", "/bin/sh -c \"exec /usr/local/bin/runner --config /etc/runner.toml\"", "ci-runner"),
    ("dns", "/usr/sbin/unbound -d -p", "unbound"),
)

IO_DEVICES_MAJMIN = ("202:0", "8:0", "8:16", "259:0", "253:1")
IO_DEVICES_PATH = ("/dev/vda", "/dev/sda", "/dev/nvme0n1", "/var/lib/jails", "/srv")
HOOKS = ("/usr/bin/logger",)


def network_section(i, rng):
    """[Network] with documentation addresses only (RFC 5737 / RFC 3849)."""
    lines = ["", "[Network]"]
    kind = i % 3
    host = (i % 253) + 1
    if kind == 0:
        lines.append(f"Address=192.0.2.{host}/24")
    elif kind == 1:
        lines.append(f"Address=198.51.100.{host}")
    else:
        lines.append(f"Address=2001:db8:{i // 65536:x}:{i % 65536:x}::{host:x}/64")
    if i % 5 == 0:  # dual stack
        lines.append(f"Address=2001:db8:ffff:{i % 65536:x}::1")
    lines.append("Device=" + rng.choice(("eth0", "ens3", "enp1s0", "br0")))
    if i % 4 == 0:
        lines.append("AnnounceARP=no")
    return lines


def jail_text(i, name, rng):
    prog, cmd, user = PROGRAMS[i % len(PROGRAMS)]
    out = [
        f"# {name}: {prog} jail, written by bench/generator.py",
        "[Jail]",
        f"Root=/srv/jails/{name}",
        f"Exec={cmd}",
        f"Bind=/var/log/jails/{name}:/var/log/{prog}",
        "BindReadOnly=/etc/ssl/certs",
    ]
    if i % 3 == 0:
        out.append(f"Bind=-/srv/data/{name}:/data:norbind")
    if i % 4 == 1:
        out.append(f"BindReadOnly=/usr/share/{prog}:/usr/share/{prog}:rbind")
    if i % 2 == 0:
        out.append(f"User={user}")
        out.append(f"Group={user}")
    if i % 7 == 3:
        out.append("SupplementaryGroups=adm ssl-cert")
        out.append("Skeleton=no")
    out.append(f"    WorkingDirectory=/var/lib/{prog}")  # indentation is not a continuation
    out.append(f'Environment=APP_NAME={name} "APP_MODE=production run"')
    if i % 5 == 2:
        out.append("CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID")
        out.append("NoNewPrivileges=yes")

    out += ["", "[Resources]"]
    out.append(f"CPUQuota={rng.choice(('30%', '50%', '12.5%', '150%', '200%'))}")
    mem = rng.choice(("256M", "512M", "1G", "2G"))
    out.append(f"MemoryMax={mem}")
    if i % 3 == 1:
        out.append("MemoryHigh=" + {"256M": "200M", "512M": "400M", "1G": "900M", "2G": "1800M"}[mem])
    if i % 6 == 0:
        out.append("MemorySwapMax=0")
    out.append(f"TasksMax={rng.choice(('64', '512', '4096', 'infinity'))}")
    out.append(f"IOReadBandwidthMax={IO_DEVICES_MAJMIN[i % len(IO_DEVICES_MAJMIN)]} 10M")
    if i % 2 == 1:
        out.append(f"IOWriteBandwidthMax={IO_DEVICES_PATH[i % len(IO_DEVICES_PATH)]} 5M")
    if i % 5 == 3:
        out.append(f"IOReadIOPSMax={IO_DEVICES_MAJMIN[(i + 1) % len(IO_DEVICES_MAJMIN)]} 1000")
        out.append(f"IOWriteIOPSMax={IO_DEVICES_PATH[(i + 2) % len(IO_DEVICES_PATH)]} 500")
    if i % 8 == 5:  # elastic memory
        out.append("MemoryGrowStep=64M")
        out.append("MemoryGrowLimit=4G")
        out.append("MemoryGrowIntervalSec=2s")
        out.append("MemoryShrinkAfterSec=5min")

    if i % 3 != 2:
        out += network_section(i, rng)

    if i % 4 == 2:
        hook = HOOKS[0]
        out += [
            "",
            "[Events]",
            f"OnOOM={hook} -t virtualing 'oom in {name}'",
            f"OnMemoryMax={hook} -t virtualing max",
            "UsageThreshold=200M",
            "UsageThreshold=90%",
            f"OnUsage={hook} -t virtualing usage",
            "PressureThreshold=some 100ms 1s",
            f"OnPressure={hook} -t virtualing pressure",
            "HookTimeoutSec=10s",
        ]

    if i % 10 != 9:
        out += ["", "[Install]"]
        out.append("WantedBy=multi-user.target" + (" jails.target" if i % 6 == 1 else ""))
    return "\n".join(out) + "\n"


def dropins(i, name):
    """Drop-ins for about one jail in four: NAME.conf.d/*.conf."""
    d = {}
    if i % 4 == 0:
        d["10-memory.conf"] = "[Resources]\nMemoryMax=768M\n"
    if i % 8 == 0:
        d["20-io.conf"] = (
            "[Resources]\n"
            "IOReadBandwidthMax=\n"  # empty assignment clears the list so far
            f"IOReadBandwidthMax={IO_DEVICES_MAJMIN[i % len(IO_DEVICES_MAJMIN)]} 20M\n"
        )
    if i % 12 == 4:
        d["50-env.conf"] = f"; local override\n[Jail]\nEnvironment=DEBUG=1\nBind=/run/{name}:/run/app\n"
    return d


def jail_name(i):
    prog = PROGRAMS[i % len(PROGRAMS)][0]
    sep = ("-", "_", ".")[i % 3]
    return f"{prog}{sep}{i:05d}"


def write_jails(confdir, n, seed):
    rng = random.Random(seed)
    expect = {}
    for i in range(n):
        name = jail_name(i)
        path = os.path.join(confdir, name + ".conf")
        with open(path, "w") as f:
            f.write(jail_text(i, name, rng))
        os.chmod(path, 0o644)
        d = dropins(i, name)
        if d:
            dd = os.path.join(confdir, name + ".conf.d")
            os.mkdir(dd, 0o755)
            for fn, text in d.items():
                p = os.path.join(dd, fn)
                with open(p, "w") as f:
                    f.write(text)
                os.chmod(p, 0o644)
        expect[name] = {
            "network": i % 3 != 2,
            "wanted_by": ([] if i % 10 == 9 else ["multi-user.target"] + (["jails.target"] if i % 6 == 1 else [])),
            "memory_max_dropin": i % 4 == 0,
        }
    return expect


def write_fstab(path, n):
    where = []
    with open(path, "w") as f:
        f.write("# fstab written by bench/generator.py: nothing here needs a device\n")
        for i in range(n):
            w = f"/srv/bench/{i:04d}"
            if i % 2 == 0:
                f.write(f"tmpfs\t{w}\ttmpfs\tsize={16 + i % 64}M,mode=0755,nosuid,nodev\t0\t0\n")
            else:
                opts = "bind" + (",nofail" if i % 4 == 1 else "") + (",ro" if i % 3 == 0 else "")
                f.write(f"/srv/bench/src/{i:04d}\t{w}\tnone\t{opts}\t0\t0\n")
            where.append(w)
    return where


# ---------------------------------------------------------------- running

def fstab_env(fstab):
    env = dict(os.environ)
    env.pop("SYSTEMD_SCOPE", None)
    env.update({
        "SYSTEMD_FSTAB": fstab,          # read this file instead of /etc/fstab
        "SYSTEMD_PROC_CMDLINE": "",      # do not look at the host's root=, fstab= ...
        "SYSTEMD_EFI_OPTIONS": "",       # nor at the SystemdOptions EFI variable
        "SYSTEMD_IN_INITRD": "0",        # the normal (not initrd) code path
        "SYSTEMD_LOG_TARGET": "console",
    })
    return env


def virtualing_env(confdir):
    env = dict(os.environ)
    env.pop("SYSTEMD_SCOPE", None)
    env["VIRTUALING_CONFIG_PATH"] = confdir
    return env


def fresh_dirs(parent, tag, k, three):
    base = os.path.join(parent, f"{tag}-{k}")
    os.mkdir(base)
    dirs = [os.path.join(base, x) for x in (("normal", "early", "late") if three else ("normal",))]
    for d in dirs:
        os.mkdir(d)
    return base, dirs


def check_virtualing(out, expect, confdir, full):
    """The output tree is what N valid jails should give; full=True also reads every drop-in."""
    got = sorted(e for e in os.listdir(out) if e.startswith("virtualing@"))
    want = sorted(f"virtualing@{n}.service.d" for n in expect)
    if got != want:
        missing = sorted(set(want) - set(got))[:5]
        extra = sorted(set(got) - set(want))[:5]
        raise BenchError(f"virtualing-generator produced {len(got)} drop-in dirs, expected {len(want)}"
                         f" (missing e.g. {missing}, unexpected e.g. {extra})")
    n_wants = {}
    for name, e in expect.items():
        conf = os.path.join(out, f"virtualing@{name}.service.d", "10-virtualing.conf")
        if not os.path.isfile(conf):
            raise BenchError(f"missing {conf}")
        for t in e["wanted_by"]:
            n_wants[t] = n_wants.get(t, 0) + 1
        if not full:
            continue
        with open(conf) as f:
            text = f.read()
        problems = []
        if f"SourcePath={confdir}/{name}.conf\n" not in text:
            problems.append("no SourcePath= of the jail file")
        if "[Service]\n" not in text or "CPUQuota=" not in text or "MemoryMax=" not in text:
            problems.append("resource properties missing")
        if ("ExecStartPre=+" in text) != e["network"] or ("ExecStopPost=+" in text) != e["network"]:
            problems.append("address up/down lines wrong for its [Network] section")
        if e["memory_max_dropin"] and "MemoryMax=805306368\n" not in text:
            problems.append("drop-in MemoryMax=768M not applied")
        if "IOReadBandwidthMax=/dev/block/" not in text:
            problems.append("IOReadBandwidthMax= by MAJ:MIN missing")
        if problems:
            raise BenchError(f"{conf}: " + "; ".join(problems) + "\n--- content ---\n" + text)
    for t, k in n_wants.items():
        d = os.path.join(out, f"{t}.wants")
        have = len(os.listdir(d)) if os.path.isdir(d) else 0
        if have != k:
            raise BenchError(f"{d}: {have} links, expected {k}")


def check_fstab(out, where, full):
    units = [e for e in os.listdir(out) if e.endswith(".mount")]
    if len(units) != len(where):
        raise BenchError(f"systemd-fstab-generator produced {len(units)} .mount units, expected {len(where)}")
    if full:
        want = sorted("srv-bench-" + w.rsplit("/", 1)[1] + ".mount" for w in where)
        if sorted(units) != want:
            raise BenchError("systemd-fstab-generator produced unexpected unit names, e.g. "
                             + ", ".join(sorted(set(units) - set(want))[:5]))
        with open(os.path.join(out, want[0])) as f:
            if f"Where={where[0]}\n" not in f.read():
                raise BenchError(f"{want[0]}: no Where={where[0]}")


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Time virtualing-generator on N jails against systemd-fstab-generator on an "
                    "N-line fstab (target: ratio virtualing/fstab <= 1.0). Exit 0 whether or not "
                    "the target is met; 1 if a generator failed or produced wrong output.")
    ap.add_argument("generator", nargs="?", default=DEFAULT_VIRTUALING,
                    help="virtualing-generator binary (default: %(default)s)")
    ap.add_argument("fstab_generator", nargs="?", default=default_fstab_generator(),
                    help="systemd-fstab-generator binary (default: %(default)s)")
    ap.add_argument("--fstab-generator", dest="fstab_generator_opt", metavar="PATH",
                    help="same as the second positional argument")
    ap.add_argument("--jails", "-n", type=int, default=1000, metavar="N",
                    help="number of jails and of fstab lines (default: %(default)s)")
    ap.add_argument("--runs", "-r", type=int, default=15, metavar="R",
                    help="timed runs of each generator (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="seed for the varied jail contents (default: %(default)s)")
    ap.add_argument("--tmpdir", default=default_tmpdir(), metavar="DIR",
                    help="where the temporary inputs and output directories go (default: %(default)s; "
                         "systemd's generator output is on /run, a tmpfs)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory and print its path")
    a = ap.parse_args(argv)
    if a.fstab_generator_opt:
        a.fstab_generator = a.fstab_generator_opt
    if not os.path.isdir(a.tmpdir):
        ap.error(f"--tmpdir {a.tmpdir}: not a directory")
    if a.jails < 1 or a.runs < 1:
        ap.error("--jails and --runs must be at least 1")
    for p in (a.generator, a.fstab_generator):
        if not os.access(p, os.X_OK):
            ap.error(f"{p}: not an executable file (build with: meson setup build && ninja -C build)")
    return a


def bench(a, tmp):
    confdir = os.path.join(tmp, "virtualing")
    os.mkdir(confdir, 0o755)
    os.chmod(tmp, 0o755)
    expect = write_jails(confdir, a.jails, a.seed)
    fstab = os.path.join(tmp, "fstab")
    where = write_fstab(fstab, a.jails)
    runs = os.path.join(tmp, "runs")
    os.mkdir(runs)

    venv = virtualing_env(confdir)
    fenv = fstab_env(fstab)

    def v_argv(dirs):
        return [a.generator] + dirs

    def f_argv(dirs):
        return [a.fstab_generator] + dirs

    # Check both once, output read in full.
    base, dirs = fresh_dirs(runs, "check-v", 0, False)
    _, p = run_timed(v_argv(dirs), venv)
    if p.returncode != 0:
        raise BenchError(describe_failure("virtualing-generator", p))
    if p.stderr or p.stdout:
        raise BenchError("virtualing-generator printed something on valid jails:\n"
                         + (p.stdout + p.stderr).decode(errors="replace")[:4000])
    check_virtualing(dirs[0], expect, confdir, full=True)
    shutil.rmtree(base)

    base, dirs = fresh_dirs(runs, "check-f", 0, True)
    _, p = run_timed(f_argv(dirs), fenv)
    if p.returncode != 0:
        raise BenchError(describe_failure("systemd-fstab-generator", p))
    check_fstab(dirs[0], where, full=True)
    fstab_noise = p.stderr.decode(errors="replace").strip()
    shutil.rmtree(base)

    spawn = spawn_cost(a.runs, dict(os.environ))

    # Timed runs, alternating; which one goes first flips every round.
    tv, tf = [], []
    for k in range(a.runs):
        vbase, vdirs = fresh_dirs(runs, "v", k, True)
        fbase, fdirs = fresh_dirs(runs, "f", k, True)
        order = ("v", "f") if k % 2 == 0 else ("f", "v")
        for which in order:
            if which == "v":
                ns, p = run_timed(v_argv(vdirs), venv)
                if p.returncode != 0 or p.stderr:
                    raise BenchError(describe_failure(f"virtualing-generator (run {k + 1})", p))
                check_virtualing(vdirs[0], expect, confdir, full=False)
                tv.append(ns)
            else:
                ns, p = run_timed(f_argv(fdirs), fenv)
                if p.returncode != 0:
                    raise BenchError(describe_failure(f"systemd-fstab-generator (run {k + 1})", p))
                check_fstab(fdirs[0], where, full=False)
                tf.append(ns)
        shutil.rmtree(vbase)
        shutil.rmtree(fbase)

    mv, mf = statistics.median(tv), statistics.median(tf)
    ratio = mv / mf
    n_net = sum(1 for e in expect.values() if e["network"])
    n_drop = sum(1 for n in os.listdir(confdir) if n.endswith(".conf.d"))
    n_wanted = sum(1 for e in expect.values() if e["wanted_by"])
    print(f"virtualing-generator:    {a.generator}")
    print(f"systemd-fstab-generator: {a.fstab_generator}")
    print(f"temporary directory on {fs_type(tmp)} ({tmp})")
    print(f"inputs: {a.jails} jails ({n_net} with [Network], {n_drop} with drop-in dirs, "
          f"{n_wanted} with WantedBy=); fstab with {a.jails} lines; {a.runs} runs each, alternating")
    if fstab_noise:
        print(f"note: systemd-fstab-generator said: {fstab_noise.splitlines()[0]}")
    print_times((("virtualing-generator", tv), ("systemd-fstab-generator", tf), ("/bin/true (spawn cost)", spawn)))
    print(f"ratio of minima: {min(tv) / min(tf):.3f}")
    print(f"ratio: {ratio:.3f} (target <= {TARGET:.2f}) "
          + ("met" if ratio <= TARGET else "NOT met"))


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    return run_in_tmpdir("generator", a, bench)


if __name__ == "__main__":
    sys.exit(main())
