# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the benchmarks (generator.py, helper.py, watcher.py) share: the temporary
directory's place and file system, timing a process, the figures' format, and the
frame of main() for the two that time one tool against another."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class BenchError(Exception):
    pass


def default_tmpdir():
    """systemd runs generators with their output on /run, and the cgroup file system lives
    in memory: measure on a tmpfs too."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        return "/dev/shm"
    return tempfile.gettempdir()


def fs_type(path):
    """File system type of the mount holding path, from /proc/self/mounts ('?' if unknown)."""
    best, kind = "", "?"
    real = os.path.realpath(path)
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mnt = parts[1].replace("\\040", " ")
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                    best, kind = mnt, parts[2]
    except OSError:
        pass
    return kind


def run_timed(argv, env):
    """(wall-clock ns, CompletedProcess with stdout and stderr captured)."""
    t0 = time.perf_counter_ns()
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    t1 = time.perf_counter_ns()
    return t1 - t0, p


def describe_failure(what, p):
    return (f"{what} exited with status {p.returncode}\n"
            f"stdout: {p.stdout.decode(errors='replace')[:2000]}\n"
            f"stderr: {p.stderr.decode(errors='replace')[:2000]}")


def spawn_cost(runs, env):
    """Process start-up cost, for reading the figures (not part of the ratio): R runs of /bin/true."""
    return [run_timed(["/bin/true"], env)[0] for _ in range(runs)]


def fmt_ms(ns):
    return f"{ns / 1e6:9.3f}"


def print_times(rows):
    """The table of median, minimum and maximum: rows of (label, [ns, …])."""
    print(f"{'':24}{'median ms':>9}  {'min ms':>9}  {'max ms':>9}")
    for label, t in rows:
        print(f"{label:24}{fmt_ms(statistics.median(t))}  {fmt_ms(min(t))}  {fmt_ms(max(t))}")


def run_in_tmpdir(prog, a, bench, umask=None):
    """main() of a benchmark: bench(a, tmp) in a fresh directory under a.tmpdir, removed
    after (kept with a.keep); a BenchError is printed as "prog: …" and gives status 1."""
    old_umask = os.umask(umask) if umask is not None else None
    tmp = tempfile.mkdtemp(prefix=f"virtualing-bench-{prog}-", dir=a.tmpdir)
    try:
        bench(a, tmp)
    except BenchError as e:
        print(f"{prog}.py: {e}", file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
        if old_umask is not None:
            os.umask(old_umask)
        if a.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0
