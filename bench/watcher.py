#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark virtualing-watcher: event latency, memory and idle wake-ups.

Performance targets (bench/README.md):
- event latency, from a change of memory.events to the D-Bus signal received by
  a subscriber: p99 under 1 ms with 1,000 jails watched;
- zero wake-ups per second when no jail has a usage threshold;
- under 10 MiB RSS with 10,000 jails watched.

Everything runs in a temporary directory under /dev/shm (a tmpfs, like the
cgroup file system): a private dbus-daemon configured like the system bus
(test/watcher/bus.conf.in with units/org.virtualing1.conf), and fake cgroup
trees <root>/virtualing.slice/virtualing@NAME.service/memory.{events,current,
max,high}.  The watcher runs with VIRTUALING_CGROUP_ROOT=<root>, its own
VIRTUALING_RUNTIME_DIR, an empty VIRTUALING_CONFIG_PATH (no jail files, so
events are reported without hooks or thresholds) and NOTIFY_SOCKET pointing at
the script, so READY=1 tells when its start-up scan of the slice is over.

Latency: one bump at a time.  The script picks a jail at random, takes
time.monotonic_ns() and rewrites that jail's memory.events with high+1 (one
pwrite(2), the file only grows); the watcher sees IN_MODIFY, reads the files and
emits org.virtualing1.Jail.MemoryEvent; the script's message filter (python3-dbus
on a GLib main loop, in the same process) takes the time again when the signal
arrives and checks its path, event name, count and values.  The next bump
follows after --gap-ms.  The figures include the script's own costs (the write,
libdbus, the GLib loop and the Python filter); the baseline "bus round trip"
is a signal the script sends to itself through the same bus, the same way.
/proc/PID/schedstat of the watcher, dbus-daemon and the script, read around each
sample, gives each one's time on a CPU and time waiting for one; the figures less
those waits, and the CPU time of every other process meanwhile ("other load"),
tell a busy machine's tail from the watcher's.

Memory: VmRSS and VmHWM of the watcher with 0, 1,000 and 10,000 jails, once its
start-up scan is over and its metrics file written, then again after one
ListJails call; start-up time with N jails against 0 jails gives the time of
discovery.  Jails appearing while the watcher runs (renamed into the slice one
by one) are timed too.

Wake-ups: the watcher's context switches (/proc/PID/task/*/status) and
scheduled time slices (/proc/PID/task/*/schedstat) over --idle-seconds with
1,000 jails and nothing happening.

Exit status: 0 whether or not the targets are met (this is a benchmark, not a
test); 1 if something failed (the watcher or the bus did not start, an event
was lost or wrong, the watcher logged an error or did not exit cleanly); 2 for
bad usage or missing dependencies (apt-get install dbus python3-dbus python3-gi);
130 if interrupted.
"""

import argparse
import ctypes
import glob
import math
import os
import random
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import REPO, BenchError, default_tmpdir, fs_type

DEFAULT_WATCHER = os.path.join(REPO, "build", "src", "watcher", "virtualing-watcher")
BUS_CONF_IN = os.path.join(REPO, "test", "watcher", "bus.conf.in")
POLICY = os.path.join(REPO, "units", "org.virtualing1.conf")
SYSTEM_PYTHON = "/usr/bin/python3"
INSTALL_HINT = "apt-get install dbus python3-dbus python3-gi"
REEXEC_ENV = "VIRTUALING_BENCH_WATCHER_REEXEC"

BUS_NAME = "org.virtualing1"
JAIL_IFACE = "org.virtualing1.Jail"
PROBE_PATH = "/org/virtualing1/bench/probe"
PROBE_IFACE = "org.virtualing1.BenchProbe"

TARGET_P99_MS = 1.0
TARGET_RSS_MIB = 10.0
TARGET_WAKEUPS = 0.0

MEMORY_CURRENT = 104857600   # 100 MiB
MEMORY_MAX = 536870912       # 512 MiB
MIB = 1024 * 1024


class Interrupted(BaseException):
    pass


# ---------------------------------------------------------------- helpers

def import_deps():
    """(dbus, GLib) or raise ImportError."""
    import dbus
    import dbus.lowlevel  # noqa: F401
    import dbus.mainloop.glib
    from gi.repository import GLib
    return dbus, GLib


def percentile(sorted_values, q):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[k]


def memory_events(high):
    return f"low 0\nhigh {high}\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n".encode()


def jail_name(i):
    return f"bench-{i:05d}"


def unit_name(name):
    return f"virtualing@{name}.service"


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def make_jail_dir(path):
    """A fake jail cgroup: the files exist before anyone can see the directory's name."""
    os.mkdir(path, 0o755)
    write_file(os.path.join(path, "memory.events"), memory_events(0))
    write_file(os.path.join(path, "memory.current"), f"{MEMORY_CURRENT}\n".encode())
    write_file(os.path.join(path, "memory.max"), f"{MEMORY_MAX}\n".encode())
    write_file(os.path.join(path, "memory.high"), b"max\n")


V1_UNLIMITED = 9223372036854771712


def make_jail_dir_v1(path):
    """A fake jail cgroup of the legacy memory hierarchy; its cgroup.event_control is a FIFO
    (the registrations are read from it), opened here before the watcher can see it."""
    os.mkdir(path, 0o755)
    write_file(os.path.join(path, "memory.usage_in_bytes"), f"{MEMORY_CURRENT}\n".encode())
    write_file(os.path.join(path, "memory.limit_in_bytes"), f"{MEMORY_MAX}\n".encode())
    write_file(os.path.join(path, "memory.failcnt"), b"0\n")
    write_file(os.path.join(path, "memory.oom_control"), b"oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
    os.mkfifo(os.path.join(path, "cgroup.event_control"), 0o200)
    return os.open(os.path.join(path, "cgroup.event_control"), os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)


def make_tree_v1(root, n):
    """The root of a v1 hierarchy (it has cgroup.event_control) with n jails: [(dir, fifo fd)]."""
    os.mkdir(root, 0o755)
    write_file(os.path.join(root, "cgroup.event_control"), b"")
    slice_dir = os.path.join(root, "virtualing.slice")
    os.mkdir(slice_dir, 0o755)
    return [(d, make_jail_dir_v1(d)) for d in
            (os.path.join(slice_dir, unit_name(jail_name(i))) for i in range(n))]


def oom_eventfd(pid, fifo):
    """The eventfd the watcher registered for memory.oom_control (the line without an
    argument), taken out of the watcher with pidfd_getfd(2)."""
    data = b""
    while True:
        try:
            chunk = os.read(fifo, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    for line in data.decode().splitlines():
        parts = line.split()
        if len(parts) == 2:
            pfd = os.pidfd_open(pid)
            try:
                fd = _libc.syscall(438, pfd, int(parts[0]), 0)  # pidfd_getfd
            finally:
                os.close(pfd)
            if fd < 0:
                raise BenchError(f"pidfd_getfd({pid}, {parts[0]}) failed: {os.strerror(ctypes.get_errno())}")
            return fd
    raise BenchError(f"the watcher registered no eventfd for memory.oom_control: {data!r}")


def make_tree(root, n):
    """root/virtualing.slice with n jails; returns the jails' directories, in order."""
    os.mkdir(root, 0o755)
    slice_dir = os.path.join(root, "virtualing.slice")
    os.mkdir(slice_dir, 0o755)
    dirs = []
    for i in range(n):
        d = os.path.join(slice_dir, unit_name(jail_name(i)))
        make_jail_dir(d)
        dirs.append(d)
    return dirs


_libc = None


def _child_setup():
    """Children die with the script, even if it is killed with SIGKILL."""
    try:
        if _libc is not None:
            _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def kib(status, key):
    v = status.get(key, "")
    return int(v.split()[0]) if v else 0


def wakeup_counters(pid):
    """(context switches, scheduled time slices) summed over the process's threads."""
    ctxt = slices = 0
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(os.path.join(task, "status")) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        ctxt += int(line.split()[1])
            with open(os.path.join(task, "schedstat")) as f:
                slices += int(f.read().split()[2])
        except (OSError, IndexError, ValueError):
            pass
    return ctxt, slices


def read_sched(fds):
    """label -> (ns on a CPU, ns runnable but waiting for one), from /proc/PID/schedstat."""
    out = {}
    for k, fd in fds.items():
        f = os.pread(fd, 128, 0).split()
        out[k] = (int(f[0]), int(f[1]))
    return out


def open_sched(pids):
    return {k: os.open(f"/proc/{pid}/schedstat", os.O_RDONLY | os.O_CLOEXEC) for k, pid in pids.items()}


def close_sched(fds):
    for fd in fds.values():
        os.close(fd)


def busy_jiffies():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v[:8]) - idle, sum(v[:8])


def proc_jiffies(pid):
    """utime + stime of a process, in jiffies."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


# ---------------------------------------------------------------- processes

class Processes:
    """Every child the script starts, stopped at the end whatever happens."""

    def __init__(self):
        self.procs = []

    def start(self, argv, **kw):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, preexec_fn=_child_setup, close_fds=True, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10.0):
        """SIGTERM, then SIGKILL after timeout; returns the exit status (None if it had to be killed)."""
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
                rc = None
            else:
                rc = p.returncode
        else:
            rc = p.returncode
        if p in self.procs:
            self.procs.remove(p)
        return rc

    def stop_all(self):
        for p in reversed(list(self.procs)):
            try:
                self.stop(p, timeout=3.0)
            except Exception:
                try:
                    p.kill()
                except Exception:
                    pass


def start_bus(procs, tmp):
    with open(BUS_CONF_IN) as f:
        text = f.read()
    sock = os.path.join(tmp, "bus.socket")
    conf = os.path.join(tmp, "bus.conf")
    with open(conf, "w") as f:
        f.write(text.replace("@SOCKET@", sock).replace("@POLICY@", POLICY))
    log = open(os.path.join(tmp, "dbus-daemon.log"), "wb")
    p = procs.start(["dbus-daemon", "--config-file", conf, "--nofork", "--print-address"],
                    stdout=subprocess.PIPE, stderr=log)
    log.close()
    deadline = time.monotonic() + 10
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or p.poll() is not None:
            raise BenchError("dbus-daemon did not print its address within 10 s:\n" + tail(tmp, "dbus-daemon.log"))
        r, _, _ = select.select([p.stdout], [], [], left)
        if r:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                continue
            buf += chunk
    return p, buf.split(b"\n", 1)[0].decode().strip()


def tail(tmp, name, n=20):
    try:
        with open(os.path.join(tmp, name), errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


class Watcher:
    """One virtualing-watcher on one fake cgroup root, started and waited for."""

    def __init__(self, a, procs, tmp, address, tag, root):
        self.a, self.procs, self.tmp, self.tag, self.root = a, procs, tmp, tag, root
        self.runtime = os.path.join(tmp, f"run-{tag}")
        self.config = os.path.join(tmp, "config-empty")
        self.log_name = f"watcher-{tag}.log"
        os.makedirs(self.config, exist_ok=True)
        os.mkdir(self.runtime)
        self.state_dir = os.path.join(self.runtime, "watcher")
        notify_path = os.path.join(tmp, f"notify-{tag}")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.notify.bind(notify_path)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DBUS_", "NOTIFY_", "WATCHDOG_", "LISTEN_", "VIRTUALING_", "SYSTEMD_"))}
        env.update({
            "VIRTUALING_CGROUP_ROOT": root,
            "VIRTUALING_RUNTIME_DIR": self.runtime,
            "VIRTUALING_TEXTFILE_DIR": "",
            "VIRTUALING_METRICS_INTERVAL": a.metrics_interval,
            "VIRTUALING_CONFIG_PATH": self.config,
            "DBUS_SYSTEM_BUS_ADDRESS": address,
            "NOTIFY_SOCKET": notify_path,
        })
        log = open(os.path.join(tmp, self.log_name), "wb")
        self.t_start = time.monotonic_ns()
        self.p = procs.start([a.watcher], env=env, stdout=log, stderr=log)
        log.close()
        self.pid = self.p.pid
        self.t_ready = None

    def wait_ready(self, timeout):
        """Wait for READY=1, sent once the start-up scan of the slice is over; returns seconds since exec."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if self.p.poll() is not None:
                raise BenchError(f"virtualing-watcher ({self.tag}) exited with status {self.p.returncode} "
                                 f"before it was ready:\n" + tail(self.tmp, self.log_name))
            if left <= 0:
                raise BenchError(f"virtualing-watcher ({self.tag}) not ready within {timeout:.0f} s:\n"
                                 + tail(self.tmp, self.log_name))
            r, _, _ = select.select([self.notify], [], [], min(left, 0.2))
            if r:
                msg = self.notify.recv(4096)
                if b"READY=1" in msg.split(b"\n"):
                    self.t_ready = time.monotonic_ns()
                    return (self.t_ready - self.t_start) / 1e9

    def state_files(self):
        try:
            return sum(1 for e in os.listdir(self.state_dir) if e.isdigit())
        except OSError:
            return 0

    def wait_state_files(self, n, timeout):
        deadline = time.monotonic() + timeout
        while True:
            have = self.state_files()
            if have == n:
                return time.monotonic_ns()
            if self.p.poll() is not None:
                raise BenchError(f"virtualing-watcher ({self.tag}) exited with status {self.p.returncode}:\n"
                                 + tail(self.tmp, self.log_name))
            if time.monotonic() > deadline:
                raise BenchError(f"virtualing-watcher ({self.tag}): {have} state files after {timeout:.0f} s, "
                                 f"expected {n}")
            time.sleep(0.01)

    def check_log(self):
        """Error lines (<3>) are failures; warnings (<4>) are returned for a note."""
        errors, warnings = [], []
        with open(os.path.join(self.tmp, self.log_name), errors="replace") as f:
            for line in f:
                if line.startswith("<3>") or line.startswith(("<0>", "<1>", "<2>")):
                    errors.append(line.rstrip())
                elif line.startswith("<4>"):
                    warnings.append(line.rstrip())
        if errors:
            raise BenchError(f"virtualing-watcher ({self.tag}) logged {len(errors)} error(s), e.g.:\n"
                             + "\n".join(errors[:5]))
        return warnings

    def stop(self):
        rc = self.procs.stop(self.p)
        self.notify.close()
        if rc != 0:
            raise BenchError(f"virtualing-watcher ({self.tag}) did not exit cleanly on SIGTERM "
                             f"(status {rc}):\n" + tail(self.tmp, self.log_name))
        return self.check_log()


# ---------------------------------------------------------------- D-Bus client

class Client:
    """The subscriber: python3-dbus on a GLib main loop, one private connection to the bench bus."""

    def __init__(self, dbus, GLib, address):
        self.dbus, self.GLib = dbus, GLib
        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        self.bus = dbus.bus.BusConnection(address)
        self.sampler = None
        self.bus.add_message_filter(self._filter)
        self.bus.add_match_string(f"type='signal',sender='{BUS_NAME}',interface='{JAIL_IFACE}',member='MemoryEvent'")
        self.bus.add_match_string(f"type='signal',interface='{PROBE_IFACE}',member='Probe',path='{PROBE_PATH}'")
        self.unique_name = self.bus.get_unique_name()

    def _filter(self, conn, msg):
        t = time.monotonic_ns()
        s = self.sampler
        if s is not None and msg.get_type() == 4:  # DBUS_MESSAGE_TYPE_SIGNAL
            s.on_signal(t, msg)
        return self.dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED

    def call(self, member, iface, path, sig="", args=(), timeout=60):
        return self.bus.call_blocking(BUS_NAME, path, iface, member, sig, args, timeout=timeout)

    def list_jails(self):
        return [(str(n), str(p)) for n, p in self.call("ListJails", "org.virtualing1.Manager", "/org/virtualing1")]

    def name_owner(self):
        return str(self.bus.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                          "GetNameOwner", "s", (BUS_NAME,)))

    def run(self, sampler):
        """Drive one sampler to its end on the GLib loop; bounded by the sampler's per-sample timeout."""
        GLib = self.GLib
        loop = GLib.MainLoop()
        self.sampler = sampler
        sampler.loop = loop
        sampler.GLib = GLib
        global _running
        GLib.idle_add(sampler.fire)
        check = GLib.timeout_add(100, sampler.check)
        _running = sampler
        try:
            loop.run()
        finally:
            _running = None
            GLib.source_remove(check)
            self.sampler = None
        if sampler.error:
            raise BenchError(sampler.error)
        if sampler.interrupted:
            raise Interrupted()
        return sampler.samples


class Sampler:
    """One outstanding stimulus at a time; the reply's arrival time minus the time just before the stimulus."""

    def __init__(self, n, warmup, gap_ms, timeout_s, sched_fds):
        self.n, self.warmup, self.gap_ms, self.timeout_ns = n, warmup, gap_ms, int(timeout_s * 1e9)
        self.sched_fds = sched_fds  # label -> fd of /proc/PID/schedstat, read around every sample
        self.sched_before = None
        self.sched = []             # per sample: label -> (ns on a CPU, ns waiting on a run queue)
        self.samples = []
        self.done = 0
        self.t0 = None
        self.error = None
        self.interrupted = False
        self.loop = self.GLib = None

    # subclasses: stimulus() -> returns nothing, sets self.expect; matches(msg) -> None or error text
    def fire(self):
        self.sched_before = read_sched(self.sched_fds)
        self.stimulus()
        return False

    def on_signal(self, t, msg):
        if self.t0 is None:
            return
        verdict = self.matches(msg)
        if verdict is None:
            return  # not ours
        if verdict:
            self.error = verdict
            self.loop.quit()
            return
        if self.done >= self.warmup:
            self.samples.append(t - self.t0)
            after = read_sched(self.sched_fds)
            self.sched.append({k: (after[k][0] - v[0], after[k][1] - v[1]) for k, v in self.sched_before.items()})
        self.done += 1
        self.t0 = None
        if self.done >= self.n + self.warmup:
            self.loop.quit()
        elif self.gap_ms > 0:
            self.GLib.timeout_add(self.gap_ms, self.fire)
        else:
            self.GLib.idle_add(self.fire)

    def check(self):
        if self.t0 is not None and time.monotonic_ns() - self.t0 > self.timeout_ns:
            self.error = (f"no signal within {self.timeout_ns / 1e9:.1f} s for sample {self.done + 1} "
                          f"({self.describe()})")
            self.loop.quit()
        return True


class ProbeSampler(Sampler):
    """Baseline: a signal the script sends to itself through the same bus."""

    def __init__(self, dbus, bus, *args):
        super().__init__(*args)
        self.dbus, self.bus, self.seq = dbus, bus, 0

    def stimulus(self):
        self.seq += 1
        m = self.dbus.lowlevel.SignalMessage(PROBE_PATH, PROBE_IFACE, "Probe")
        m.append(self.dbus.UInt64(self.seq), signature="t")
        self.t0 = time.monotonic_ns()
        self.bus.send_message(m)

    def matches(self, msg):
        if msg.get_interface() != PROBE_IFACE or msg.get_member() != "Probe":
            return None
        args = msg.get_args_list()
        return "" if args and int(args[0]) == self.seq else f"probe signal {args!r}, expected seq {self.seq}"

    def describe(self):
        return f"probe {self.seq}"


class WatcherSampler(Sampler):
    """memory.events of a random jail gets high+1; the watcher's MemoryEvent for it ends the sample."""

    def __init__(self, jails, rng, *args):
        super().__init__(*args)
        self.jails, self.rng = jails, rng  # jails: list of dicts with path, dir, fd, high
        self.cur = None

    def stimulus(self):
        j = self.rng.choice(self.jails)
        if j["fd"] is None:
            j["fd"] = os.open(os.path.join(j["dir"], "memory.events"), os.O_WRONLY | os.O_CLOEXEC)
        j["high"] += 1
        data = memory_events(j["high"])
        self.cur = j
        self.t0 = time.monotonic_ns()
        os.pwrite(j["fd"], data, 0)  # the counter only grows, so the file only grows: no truncation

    def matches(self, msg):
        if msg.get_interface() != JAIL_IFACE or msg.get_member() != "MemoryEvent":
            return None
        j = self.cur
        path = msg.get_path()
        args = [a for a in msg.get_args_list()]
        want = ["high", 1, MEMORY_CURRENT, MEMORY_MAX]
        if path != j["path"]:
            return f"MemoryEvent on {path}, expected {j['path']} (sample {self.done + 1})"
        got = [str(args[0])] + [int(x) for x in args[1:]] if len(args) == 4 else args
        if got != want:
            return f"MemoryEvent{tuple(got)} on {path}, expected {tuple(want)}"
        return ""

    def describe(self):
        return f"jail {self.cur['name'] if self.cur else '?'}"


    def close(self):
        for j in self.jails:
            if j["fd"] is not None:
                os.close(j["fd"])
                j["fd"] = None

class V1Sampler(WatcherSampler):
    """cgroup v1: the OOM eventfd of a random jail is signalled, as the kernel does at an OOM;
    the watcher's MemoryEvent("oom", 1, …) ends the sample."""

    def stimulus(self):
        j = self.rng.choice(self.jails)
        self.cur = j
        self.t0 = time.monotonic_ns()
        os.eventfd_write(j["efd"], 1)

    def matches(self, msg):
        if msg.get_interface() != JAIL_IFACE or msg.get_member() != "MemoryEvent":
            return None
        path, args = msg.get_path(), msg.get_args_list()
        got = [str(args[0])] + [int(x) for x in args[1:]] if len(args) == 4 else args
        if path != self.cur["path"] or got != ["oom", 1, MEMORY_CURRENT, MEMORY_MAX]:
            return f"MemoryEvent{tuple(got)} on {path}, expected ('oom', 1, …) on {self.cur['path']}"
        return ""

    def close(self):
        for j in self.jails:
            os.close(j["efd"])
            os.close(j["fifo"])



# ---------------------------------------------------------------- phases

def summary(ns_values, sched=None, load=None):
    s = sorted(ns_values)
    out = {
        "n": len(s),
        "p50": percentile(s, 0.50) / 1e6,
        "p90": percentile(s, 0.90) / 1e6,
        "p99": percentile(s, 0.99) / 1e6,
        "max": s[-1] / 1e6 if s else float("nan"),
        "min": s[0] / 1e6 if s else float("nan"),
        "mean": statistics.fmean(s) / 1e6 if s else float("nan"),
        "load": load,
    }
    if sched:
        # the latency less the time the processes on the path spent runnable but waiting for a CPU
        adj = sorted(max(0, lat - sum(w for _, w in d.values())) for lat, d in zip(ns_values, sched))
        out["adj_p50"] = percentile(adj, 0.50) / 1e6
        out["adj_p99"] = percentile(adj, 0.99) / 1e6
        out["adj_max"] = adj[-1] / 1e6
        out["cpu"] = {}
        for k in sched[0]:
            on = sorted(d[k][0] for d in sched)
            wait = sorted(d[k][1] for d in sched)
            out["cpu"][k] = {"on_p50": percentile(on, 0.5) / 1e3, "on_max": on[-1] / 1e3,
                             "wait_p99": percentile(wait, 0.99) / 1e3, "wait_max": wait[-1] / 1e3,
                             "waited": sum(1 for w in wait if w > 0) / len(wait)}
    return out


def run_sampler(client, sampler, pids):
    """Run a sampler, reading the schedstat of the processes on the path around each sample."""
    fds = open_sched(pids)
    sampler.sched_fds = fds
    b0, t0 = busy_jiffies()
    j0 = sum(proc_jiffies(p) for p in pids.values())
    try:
        samples = client.run(sampler)
    finally:
        close_sched(fds)
    b1, t1 = busy_jiffies()
    j1 = sum(proc_jiffies(p) for p in pids.values())
    ncpu = os.cpu_count() or 1
    other = max(0, (b1 - b0) - (j1 - j0)) / max(1, t1 - t0) * ncpu
    return summary(samples, sampler.sched, other)


def start_watcher(a, procs, tmp, address, client, tag, root, n):
    """Start a watcher on root (n jails) and wait until it has them all: READY=1, n state files, the bus name."""
    w = Watcher(a, procs, tmp, address, tag, root)
    startup = w.wait_ready(a.timeout + n / 200)
    w.wait_state_files(n, a.timeout)
    return w, startup


def check_list(client, w, n):
    jails = client.list_jails()
    if len(jails) != n:
        raise BenchError(f"ListJails returned {len(jails)} jails, expected {n} ({w.tag})")
    return dict(jails)


def measure_latency(a, client, procs, tmp, address, n, rng, results, notes, v1=False):
    """One latency run with n jails, on a v2 tree (memory.events rewritten) or, with v1, on a
    v1 tree (the OOM eventfd signalled). Returns the idle figures when n is --idle-jails (v2)."""
    tag = f"{'v1' if v1 else 'lat'}-{n}"
    root = os.path.join(tmp, f"cg-{tag}")
    made = make_tree_v1(root, n) if v1 else [(d, None) for d in make_tree(root, n)]
    w, startup = start_watcher(a, procs, tmp, address, client, tag, root, n)
    paths = check_list(client, w, n)
    jails = [{"name": jail_name(i), "dir": d, "path": paths[jail_name(i)], "fd": None, "high": 0, "fifo": fifo,
              "efd": oom_eventfd(w.pid, fifo) if v1 else None}
             for i, (d, fifo) in enumerate(made)]
    s = (V1Sampler if v1 else WatcherSampler)(jails, rng, a.samples, a.warmup, a.gap_ms, a.sample_timeout, {})
    try:
        results["latency_v1" if v1 else "latency"][n] = run_sampler(
            client, s, {"watcher": w.pid, "dbus-daemon": client.bus_pid, "script": os.getpid()})
    finally:
        s.close()
    idle = None
    if not v1 and n == a.idle_jails:
        idle = measure_idle(a, w)
    if not v1 and n == 1000:
        st = proc_status(w.pid)
        results["rss_after_events"] = (kib(st, "VmRSS"), kib(st, "VmHWM"))
    notes.extend(w.stop())
    shutil.rmtree(root, ignore_errors=True)
    return idle


def measure_idle(a, w):
    # let the metrics file (written 0.5 s after the last change) and anything else settle
    time.sleep(a.settle)
    c0, s0 = wakeup_counters(w.pid)
    t0 = time.monotonic()
    time.sleep(a.idle_seconds)
    c1, s1 = wakeup_counters(w.pid)
    dt = time.monotonic() - t0
    if w.p.poll() is not None:
        raise BenchError(f"virtualing-watcher exited while idle (status {w.p.returncode})")
    return {"seconds": dt, "ctxt": c1 - c0, "slices": s1 - s0, "jails": a.idle_jails}


def measure_memory(a, client, procs, tmp, address, n, results, notes):
    root = os.path.join(tmp, f"cg-mem-{n}")
    make_tree(root, n)
    w, startup = start_watcher(a, procs, tmp, address, client, f"mem-{n}", root, n)
    time.sleep(a.settle)  # the metrics file is written 0.5 s after the scan
    st = proc_status(w.pid)
    before = (kib(st, "VmRSS"), kib(st, "VmHWM"), kib(st, "RssAnon"), kib(st, "RssFile"))
    check_list(client, w, n)
    time.sleep(0.2)
    st = proc_status(w.pid)
    after = (kib(st, "VmRSS"), kib(st, "VmHWM"), kib(st, "RssAnon"), kib(st, "RssFile"))
    results["memory"][n] = {"startup": startup, "before": before, "after": after, "pid": w.pid}
    notes.extend(w.stop())
    shutil.rmtree(root, ignore_errors=True)


def measure_hot_discovery(a, client, procs, tmp, address, n, results, notes):
    """Jails appearing one by one while the watcher runs (inotify IN_MOVED_TO on the slice)."""
    root = os.path.join(tmp, f"cg-hot-{n}")
    make_tree(root, 0)
    stage = os.path.join(tmp, f"stage-{n}")
    os.mkdir(stage)
    for i in range(n):
        make_jail_dir(os.path.join(stage, unit_name(jail_name(i))))
    w, _ = start_watcher(a, procs, tmp, address, client, f"hot-{n}", root, 0)
    slice_dir = os.path.join(root, "virtualing.slice")
    t0 = time.monotonic_ns()
    for i in range(n):
        u = unit_name(jail_name(i))
        os.rename(os.path.join(stage, u), os.path.join(slice_dir, u))
    t_moved = time.monotonic_ns()
    t_done = w.wait_state_files(n, a.timeout + n / 200)
    check_list(client, w, n)
    time.sleep(a.settle)
    st = proc_status(w.pid)
    results["hot"] = {"n": n, "moved": (t_moved - t0) / 1e9, "done": (t_done - t0) / 1e9,
                      "rss": kib(st, "VmRSS"), "hwm": kib(st, "VmHWM")}
    notes.extend(w.stop())
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(stage, ignore_errors=True)


# ---------------------------------------------------------------- report

def fmt(v, width=9, prec=3):
    return f"{v:{width}.{prec}f}"


def met(ok):
    return "met" if ok else "NOT met"


def report(a, results, notes, env_info):
    print(f"virtualing-watcher: {a.watcher}")
    for line in env_info:
        print(line)
    print()
    print(f"Event latency: memory.events rewritten (high+1) -> MemoryEvent received; {a.samples} samples after "
          f"{a.warmup} warm-up,")
    print(f"one at a time, {a.gap_ms} ms between a signal and the next write, jail chosen at random.")
    print("It includes the script's own costs: the pwrite(2), libdbus, the GLib loop and the Python filter;")
    print("the bus round trip (python -> dbus-daemon -> python) shows that share. The 'watcher v1' rows are")
    print("the cgroup v1 backend on a fake v1 tree: the jail's OOM eventfd signalled -> MemoryEvent(\"oom\").")
    print("'other load' is the CPU time used by every other process on the machine meanwhile, in CPUs.")
    print(f"{'':34}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'min ms':>9}{'mean ms':>9}"
          f"{'other load':>12}")
    rows = []
    if results.get("probe"):
        rows.append(("bus round trip (script to itself)", results["probe"]))
    for n, s in sorted(results["latency"].items()):
        rows.append((f"watcher, {n} jail{'s' if n != 1 else ''}", s))
    for n, s in sorted(results["latency_v1"].items()):
        rows.append((f"watcher v1 (OOM), {n} jail{'s' if n != 1 else ''}", s))
    for label, s in rows:
        print(f"{label:34}{fmt(s['p50'])}{fmt(s['p90'])}{fmt(s['p99'])}{fmt(s['max'])}{fmt(s['min'])}"
              f"{fmt(s['mean'])}{s['load']:7.2f} CPUs")
    print("The same less the time the processes on the path were runnable but waiting for a CPU")
    print("(/proc/PID/schedstat read around each sample): an estimate for an otherwise idle machine, on the")
    print("low side, since some of those waits (the watcher's, after it sent the signal) are off the path:")
    print(f"{'':34}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, s in rows:
        print(f"{label:34}{fmt(s['adj_p50'])}{fmt(s['adj_p99'])}{fmt(s['adj_max'])}")
    print("Per sample, each process on the path: median and largest time on a CPU, share of samples in which")
    print("it waited for a CPU, and the 99th percentile of that wait:")
    for label, s in rows:
        parts = [f"{k} {c['on_p50']:.0f}/{c['on_max']:.0f} us, waited {c['waited'] * 100:.0f}% "
                 f"p99 {c['wait_p99']:.0f} us" for k, c in s["cpu"].items()]
        print(f"  {label}: " + "; ".join(parts))
    if results.get("probe") and results["latency"]:
        base = results["probe"]["p50"]
        print("watcher's share (p50 minus bus round trip p50): "
              + ", ".join(f"{n} jails {s['p50'] - base:.3f} ms" for n, s in sorted(results["latency"].items())))
    print()

    if results["memory"]:
        print("Watcher memory after its start-up scan and metrics file, then after one ListJails call:")
        print(f"{'jails':>7}{'start s':>9}{'VmRSS MiB':>11}{'VmHWM MiB':>11}{'RssAnon':>9}{'RssFile':>9}"
              f"{'  after ListJails: VmRSS':>25}{'VmHWM':>8}")
        for n, m in sorted(results["memory"].items()):
            b, af = m["before"], m["after"]
            print(f"{n:7d}{m['startup']:9.3f}{b[0] / 1024:11.2f}{b[1] / 1024:11.2f}{b[2] / 1024:9.2f}"
                  f"{b[3] / 1024:9.2f}{af[0] / 1024:25.2f}{af[1] / 1024:8.2f}")
        mem = results["memory"]
        if 0 in mem:
            for n in sorted(mem):
                if n == 0:
                    continue
                per = (mem[n]["after"][0] - mem[0]["after"][0]) * 1024 / n
                disc = mem[n]["startup"] - mem[0]["startup"]
                print(f"  {n} jails: {per:.0f} bytes of RSS per jail; discovery {disc:.3f} s "
                      f"({disc / n * 1e6:.1f} us per jail; start-up with N jails minus with 0)")
        if results.get("rss_after_events"):
            r, h = results["rss_after_events"]
            print(f"  1000 jails after the latency run: VmRSS {r / 1024:.2f} MiB, VmHWM {h / 1024:.2f} MiB")
        if results.get("hot"):
            h = results["hot"]
            print(f"  {h['n']} jails renamed into the slice while it runs: all watched {h['done']:.3f} s after the "
                  f"first rename (renames took {h['moved']:.3f} s); VmRSS {h['rss'] / 1024:.2f} MiB, "
                  f"VmHWM {h['hwm'] / 1024:.2f} MiB")
        print("  (its log goes to a file here; under systemd it goes to the journal, and the unit's")
        print("   WatchdogSec= adds a keep-alive wake-up that this run does not ask for)")
        print()

    idle = results.get("idle")
    if idle:
        print(f"Idle, {idle['jails']} jails, no thresholds, {idle['seconds']:.1f} s: {idle['ctxt']} context switches "
              f"({idle['ctxt'] / idle['seconds']:.2f}/s), {idle['slices']} time slices on a CPU "
              f"({idle['slices'] / idle['seconds']:.2f}/s)")
        print()

    for line in sorted(set(notes))[:5]:
        print(f"note: watcher warned: {line}")

    lat = results["latency"].get(1000)
    if lat:
        print(f"latency p99 (1000 jails): {lat['p99']:.3f} ms (target < {TARGET_P99_MS:g} ms) "
              f"{met(lat['p99'] < TARGET_P99_MS)} (other load {lat['load']:.2f} of {os.cpu_count()} CPUs; "
              f"less run-queue waits {lat['adj_p99']:.3f} ms)")
    if idle:
        rate = max(idle["ctxt"], idle["slices"]) / idle["seconds"]
        print(f"idle wake-ups ({idle['jails']} jails): {rate:.2f}/s (target {TARGET_WAKEUPS:g}/s) "
              f"{met(rate <= TARGET_WAKEUPS)}")
    m = results["memory"].get(10000)
    if m:
        rss = max(m["before"][0], m["after"][0]) / 1024
        print(f"RSS (10000 jails): {rss:.2f} MiB (target < {TARGET_RSS_MIB:g} MiB) {met(rss < TARGET_RSS_MIB)}")


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Measure virtualing-watcher against the targets of bench/README.md on a private bus and fake cgroup "
                    "trees: event latency (target p99 < 1 ms with 1,000 jails), idle wake-ups (target 0/s) and "
                    "RSS (target < 10 MiB with 10,000 jails). Exit 0 whether or not the targets are met; 1 if "
                    "something failed; 2 if python3-dbus, python3-gi or dbus-daemon is missing.")
    ap.add_argument("watcher", nargs="?", default=DEFAULT_WATCHER,
                    help="virtualing-watcher binary (default: %(default)s)")
    ap.add_argument("--samples", "-n", type=int, default=1000, metavar="N",
                    help="latency samples per configuration (default: %(default)s)")
    ap.add_argument("--warmup", type=int, default=50, metavar="N",
                    help="samples taken first and not counted (default: %(default)s)")
    ap.add_argument("--latency-jails", default="1,100,1000", metavar="LIST",
                    help="numbers of jails watched for the latency runs (default: %(default)s)")
    ap.add_argument("--v1-latency-jails", default="1,1000", metavar="LIST",
                    help="numbers of jails for the latency runs of the cgroup v1 backend; empty: none "
                         "(default: %(default)s)")
    ap.add_argument("--memory-jails", default="0,1000,10000", metavar="LIST",
                    help="numbers of jails for the memory runs (default: %(default)s)")
    ap.add_argument("--hot-jails", type=int, default=10000, metavar="N",
                    help="jails renamed into the slice while the watcher runs; 0 skips it (default: %(default)s)")
    ap.add_argument("--gap-ms", type=int, default=1, metavar="MS",
                    help="pause between a signal and the next write, 0 for none (default: %(default)s)")
    ap.add_argument("--idle-seconds", type=float, default=5.0, metavar="S",
                    help="idle wake-up count window (default: %(default)s)")
    ap.add_argument("--idle-jails", type=int, default=1000, metavar="N",
                    help="the latency run after which the idle window is taken (default: %(default)s)")
    ap.add_argument("--metrics-interval", default="15s", metavar="SPAN",
                    help="VIRTUALING_METRICS_INTERVAL of the watcher: how often the metrics are written "
                         "again while jails are watched, 0 for never (default: %(default)s, the watcher's own)")
    ap.add_argument("--settle", type=float, default=1.5, metavar="S",
                    help="wait after a start-up scan or the last event, so the metrics file is written "
                         "(default: %(default)s)")
    ap.add_argument("--sample-timeout", type=float, default=5.0, metavar="S",
                    help="a sample whose signal does not come within S seconds is a failure (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=60.0, metavar="S",
                    help="bound on each wait for start-up or discovery (default: %(default)s)")
    ap.add_argument("--nice", type=int, default=None, metavar="N",
                    help="run the script, dbus-daemon and the watcher at this niceness (e.g. -20, as root), "
                         "to see what a busy machine's other load costs; default: leave it")
    ap.add_argument("--seed", type=int, default=1, help="seed for the choice of jails (default: %(default)s)")
    ap.add_argument("--tmpdir", default=default_tmpdir(), metavar="DIR",
                    help="where the fake cgroup trees, the bus socket and the logs go (default: %(default)s)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory and print its path")
    a = ap.parse_args(argv)

    def numbers(opt, s):
        try:
            v = [int(x) for x in s.split(",") if x.strip()]
        except ValueError:
            ap.error(f"{opt}: a comma-separated list of numbers")
        if any(x < 0 for x in v):
            ap.error(f"{opt}: numbers must not be negative")
        return v

    a.latency_jails = [n for n in numbers("--latency-jails", a.latency_jails)]
    if any(n < 1 for n in a.latency_jails):
        ap.error("--latency-jails: at least 1 jail each")
    a.memory_jails = numbers("--memory-jails", a.memory_jails)
    a.v1_latency_jails = numbers("--v1-latency-jails", a.v1_latency_jails)
    if any(n < 1 for n in a.v1_latency_jails):
        ap.error("--v1-latency-jails: at least 1 jail each")
    if a.samples < 1 or a.warmup < 0 or a.gap_ms < 0 or a.idle_seconds <= 0 or a.hot_jails < 0:
        ap.error("--samples must be at least 1; --warmup, --gap-ms, --hot-jails not negative; --idle-seconds > 0")
    if not os.path.isdir(a.tmpdir):
        ap.error(f"--tmpdir {a.tmpdir}: not a directory")
    if not os.access(a.watcher, os.X_OK):
        ap.error(f"{a.watcher}: not an executable file (build with: meson setup build && ninja -C build)")
    a.watcher = os.path.abspath(a.watcher)
    for p in (BUS_CONF_IN, POLICY):
        if not os.path.isfile(p):
            ap.error(f"{p}: missing")
    return a


def deps_or_exit(argv):
    try:
        return import_deps()
    except ImportError as e:
        err = e
    # python3-dbus and python3-gi are installed for Debian's python; another python3 first in PATH lacks them
    if (os.environ.get(REEXEC_ENV) != "1" and os.access(SYSTEM_PYTHON, os.X_OK)
            and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)):
        env = dict(os.environ)
        env[REEXEC_ENV] = "1"
        sys.stdout.flush()
        os.execve(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + list(argv), env)
    print(f"watcher.py: {err}: needs python3-dbus and python3-gi ({INSTALL_HINT})", file=sys.stderr)
    sys.exit(2)


_running = None  # the sampler whose GLib loop runs: exceptions raised in its callbacks would be swallowed


def on_signal(signum, frame):
    s = _running
    if s is not None and s.loop is not None:
        s.interrupted = True
        s.loop.quit()
        return
    raise Interrupted()


def main(argv=None):
    global _libc
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    dbus, GLib = deps_or_exit(argv)
    if not shutil.which("dbus-daemon"):
        print(f"watcher.py: dbus-daemon not found ({INSTALL_HINT})", file=sys.stderr)
        return 2
    try:
        _libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        _libc = None

    if a.nice is not None:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, a.nice)  # the children inherit it
        except OSError as e:
            print(f"watcher.py: --nice {a.nice}: {e.strerror}", file=sys.stderr)
            return 2

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    tmp = tempfile.mkdtemp(prefix="virtualing-bench-watcher-", dir=a.tmpdir)
    procs = Processes()
    rng = random.Random(a.seed)
    results = {"latency": {}, "latency_v1": {}, "memory": {}}
    notes = []
    status = 0
    try:
        bus_p, address = start_bus(procs, tmp)
        client = Client(dbus, GLib, address)
        ver = subprocess.run(["dbus-daemon", "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True).stdout.splitlines()
        env_info = [
            f"bus: private dbus-daemon ({ver[0] if ver else '?'}), system-bus policy; "
            f"temporary directory on {fs_type(tmp)} ({tmp})",
            f"subscriber: python3-dbus {dbus.__version__} on a GLib main loop, python {sys.version.split()[0]} "
            f"({sys.executable}); {os.cpu_count()} CPUs; niceness {os.getpriority(os.PRIO_PROCESS, 0)}"
            + (" (--nice)" if a.nice is not None else ""),
            "journal: " + ("/run/systemd/journal/socket present (the watcher's journal entries are sent)"
                           if os.path.exists("/run/systemd/journal/socket")
                           else "no /run/systemd/journal/socket (the watcher's journal entries go nowhere)"),
        ]

        client.bus_pid = bus_p.pid
        probe = ProbeSampler(dbus, client.bus, a.samples, a.warmup, a.gap_ms, a.sample_timeout, {})
        results["probe"] = run_sampler(client, probe, {"dbus-daemon": bus_p.pid, "script": os.getpid()})

        for n in a.latency_jails:
            idle = measure_latency(a, client, procs, tmp, address, n, rng, results, notes)
            if idle:
                results["idle"] = idle
        for n in a.v1_latency_jails:
            measure_latency(a, client, procs, tmp, address, n, rng, results, notes, v1=True)
        for n in a.memory_jails:
            measure_memory(a, client, procs, tmp, address, n, results, notes)
        if a.hot_jails:
            measure_hot_discovery(a, client, procs, tmp, address, a.hot_jails, results, notes)
        if bus_p.poll() is not None:
            raise BenchError(f"dbus-daemon exited with status {bus_p.returncode}:\n" + tail(tmp, "dbus-daemon.log"))
        report(a, results, notes, env_info)
    except BenchError as e:
        sys.stdout.flush()
        print(f"watcher.py: {e}", file=sys.stderr)
        status = 1
    except (Interrupted, KeyboardInterrupt):
        sys.stdout.flush()
        print("watcher.py: interrupted", file=sys.stderr)
        status = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.stop_all()
        sys.stdout.flush()
        if a.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
