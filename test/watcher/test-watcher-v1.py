#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# virtualing-watcher's cgroup v1 backend against a fake legacy memory hierarchy: the root
# has cgroup.event_control, each jail the v1 files (memory.usage_in_bytes,
# memory.limit_in_bytes, memory.failcnt, memory.oom_control, memory.pressure_level) and a
# FIFO as its cgroup.event_control. The test reads each registration the watcher writes
# there ("EVENTFD FD [ARG]"), takes a copy of that eventfd out of the watcher with
# pidfd_getfd(2), and signals it as the kernel would. Private dbus-daemon, fake systemd,
# real subscriber. TAP on stdout.
#
# usage: test-watcher-v1.py WATCHER-BINARY SOURCE-DIR   (as root)

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import vtest  # noqa: E402
from vtest import M  # noqa: E402

vtest.reexec_with_system_python(__file__)

import ctypes  # noqa: E402
import signal  # noqa: E402
import stat  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

spec = importlib.util.spec_from_file_location('test_watcher', os.path.join(HERE, 'test-watcher.py'))
tw = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tw)

T = tw.T
UNLIMITED = 9223372036854771712  # what v1 shows for "no limit" (4 KiB pages)
MANAGER_PATH, MANAGER_IFACE = tw.MANAGER_PATH, tw.MANAGER_IFACE

# systemd on the legacy hierarchy: MemoryMax= is memory.limit_in_bytes, MemoryHigh= has no
# cgroup file (systemd keeps it and writes nothing)
FAKE_SYSTEMD_V1 = tw.FAKE_SYSTEMD.replace(
    'FILES = {"MemoryMax": "memory.max", "MemoryHigh": "memory.high"}',
    'FILES = {"MemoryMax": "memory.limit_in_bytes", "MemoryHigh": "memory.high-ignored-on-v1"}').replace(
    '"max\\n" if int(v) == 2**64 - 1', '"%d\\n" % ' + str(UNLIMITED) + ' if int(v) == 2**64 - 1')
assert 'memory.limit_in_bytes' in FAKE_SYSTEMD_V1 and str(UNLIMITED) in FAKE_SYSTEMD_V1

_libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_getfd = 438


def pidfd_getfd(pid, fd):
    pfd = os.pidfd_open(pid)
    try:
        r = _libc.syscall(SYS_pidfd_getfd, pfd, fd, 0)
        if r < 0:
            raise OSError(ctypes.get_errno(), f'pidfd_getfd({pid}, {fd})')
        return r
    finally:
        os.close(pfd)


def oom_control(disable=0, under=0, kill=0):
    return f'oom_kill_disable {disable}\nunder_oom {under}\noom_kill {kill}\n'


class V1Jail:
    """A jail cgroup of the legacy memory hierarchy, made in the staging directory and
    moved into the slice. Its cgroup.event_control is a FIFO this object reads: every
    registration is kept as (arg, eventfd copy, watcher pid)."""

    def __init__(self, world, unit, usage=0, limit=None, failcnt=0, place=True):
        self.w = world
        self.unit = unit
        self.name = vtest.name_from_unit(unit)
        self.path = vtest.bus_path(self.name)
        self.stage = tempfile.mkdtemp(dir=world.staging)
        os.chmod(self.stage, 0o755)
        self.regs = []
        self.lock = threading.Lock()
        self.disable = 0  # oom_kill_disable, as the "kernel" keeps it
        self.under = 0
        self.kill = 0
        self.writes = []  # what the watcher wrote to memory.oom_control
        self._write('memory.usage_in_bytes', f'{usage}\n', self.stage)
        self._write('memory.limit_in_bytes', f'{limit if limit is not None else UNLIMITED}\n', self.stage)
        self._write('memory.failcnt', f'{failcnt}\n', self.stage)
        self._write('memory.oom_control', oom_control(), self.stage)
        self._write('memory.pressure_level', '', self.stage)
        os.mkfifo(os.path.join(self.stage, 'cgroup.event_control'), 0o200)
        # read and write: never EOF, and the watcher's non-blocking open for writing succeeds
        self.fifo = os.open(os.path.join(self.stage, 'cgroup.event_control'), os.O_RDWR | os.O_CLOEXEC)
        self.alive = True
        threading.Thread(target=self._read_registrations, daemon=True).start()
        if place:
            self.place()

    def _write(self, name, text, d=None):
        tmp = os.path.join(d or self.dir, '.' + name + '.tmp')
        with open(tmp, 'w') as f:
            f.write(text)
        os.rename(tmp, os.path.join(d or self.dir, name))

    @property
    def dir(self):
        return os.path.join(self.w.slice, self.unit)

    def place(self):
        os.rename(self.stage, self.dir)
        self.inode = os.stat(self.dir).st_ino

    def _read_registrations(self):
        buf = b''
        while self.alive:
            try:
                data = os.read(self.fifo, 4096)
            except OSError:
                return
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                parts = line.decode().split(' ')
                pid = self.w.watcher.pid
                try:
                    efd = pidfd_getfd(pid, int(parts[0]))
                except (OSError, ValueError) as e:
                    efd = None
                    T.diag(f'{self.name}: cannot take eventfd of "{line.decode()}": {e}')
                with self.lock:
                    self.regs.append((parts[2] if len(parts) > 2 else None, efd, pid, line.decode()))

    def registrations(self, arg=False):
        """Registrations, oldest first; arg=False: all, None: the OOM ones, str: that one."""
        with self.lock:
            return [r for r in self.regs if arg is False or r[0] == arg]

    def wait_registration(self, arg, timeout=5, after=0):
        got = vtest.wait_until(lambda: [r for r in self.registrations(arg)[after:]], timeout, 0.01)
        return got[-1] if got else None

    def signal(self, arg=None, n=1):
        """Signals the newest eventfd registered with ARG (None: memory.oom_control), as the
        kernel does."""
        reg = self.wait_registration(arg)
        if not reg or reg[1] is None:
            raise RuntimeError(f'{self.name}: no registration {arg!r}: {self.registrations()}')
        os.eventfd_write(reg[1], n)

    def set(self, usage=None, limit=None, failcnt=None):
        if usage is not None:
            self._write('memory.usage_in_bytes', f'{usage}\n')
        if limit is not None:
            self._write('memory.limit_in_bytes', f'{limit}\n')
        if failcnt is not None:
            self._write('memory.failcnt', f'{failcnt}\n')

    def set_oom(self, under=None, kill=None):
        if under is not None:
            self.under = under
        if kill is not None:
            self.kill = kill
        self._write('memory.oom_control', oom_control(self.disable, self.under, self.kill))

    def emulate_oom_control(self):
        """The kernel's side of a write to memory.oom_control: "0" or "1" sets
        oom_kill_disable. Called by the test's inotify loop."""
        try:
            with open(os.path.join(self.dir, 'memory.oom_control')) as f:
                text = f.read()
        except OSError:
            return
        if text.strip() in ('0', '1'):
            self.writes.append(int(text.strip()))
            self.disable = int(text.strip())
            self._write('memory.oom_control', oom_control(self.disable, self.under, self.kill))

    def remove(self):
        import shutil
        shutil.rmtree(self.dir)

    def close(self):
        self.alive = False
        with self.lock:
            for r in self.regs:
                if r[1] is not None:
                    try:
                        os.close(r[1])
                    except OSError:
                        pass


class OomControlKernel(threading.Thread):
    """Watches each jail's directory for the watcher's writes to memory.oom_control
    (IN_CLOSE_WRITE; the test itself replaces files by rename)."""

    def __init__(self):
        super().__init__(daemon=True)
        import select  # noqa: F401
        self.fd = _libc.inotify_init1(os.O_CLOEXEC)
        self.by_wd = {}

    def add(self, jail):
        # the staging directory: the watch goes with it into the slice
        wd = _libc.inotify_add_watch(self.fd, jail.stage.encode(), 0x8)
        if wd >= 0:
            self.by_wd[wd] = jail

    def run(self):
        import struct
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            i = 0
            while i + 16 <= len(data):
                wd, mask, cookie, ln = struct.unpack_from('iIII', data, i)
                name = data[i + 16:i + 16 + ln].rstrip(b'\0')
                i += 16 + ln
                j = self.by_wd.get(wd)
                if j and name == b'memory.oom_control':
                    j.emulate_oom_control()


class Test:
    def __init__(self, world):
        self.w = world
        self.sub = None
        self.kernel = OomControlKernel()
        self.jails = {}

    def jail(self, unit, **kw):
        j = V1Jail(self.w, unit, place=False, **{k: v for k, v in kw.items()})
        self.jails[j.name] = j
        m = self.sub.mark() if self.sub else 0
        self.kernel.add(j)
        j.place()
        if self.sub:
            self.sub.wait(5, m, member='JailAdded', args=[j.name])
        return j

    def events(self, j, start, event=None):
        return [(r['args'][0], r['args'][1]) for r in self.sub.memory_events(j.path, start, event)]

    def settle(self, j, timeout=0.5):
        """Waits until the watcher has answered a poke of J's sentinel: an OOM notification
        of the sentinel jail, whose event comes after everything before it."""
        m = self.sub.mark()
        self.sentinel.signal(None)
        return self.sub.wait(timeout + 3, m, member='MemoryEvent', path=self.sentinel.path) is not None

    def setup(self):
        w = self.w
        w.start_bus()
        w.start_fake_systemd(FAKE_SYSTEMD_V1, w.slice, w.calls_file)
        self.sub = tw.Subscriber(w)
        env_hook = w.write_hook('env.sh', tw.HOOK_ENV)
        base = '[Jail]\nRoot=/srv/{n}\nExec=/bin/true\n'
        w.write_conf('hooky', base.format(n='hooky') + '[Resources]\nMemoryMax=64M\n'
                     f'[Events]\nOnOOM={env_hook} {w.out}/oom\nOnOOMKill={env_hook} {w.out}/oomkill\n'
                     f'OnMemoryMax={env_hook} {w.out}/max\n')
        w.write_conf('usage', base.format(n='usage') +
                     f'[Events]\nUsageThreshold=10M\nUsageThreshold=20M\nOnUsage={env_hook} {w.out}/usage\n')
        limit_hook = w.write_hook('limit.sh', '#!/bin/sh\nulimit -Sn >"$1.tmp" && mv "$1.tmp" "$1"\n')
        w.write_conf('psi', base.format(n='psi') +
                     f'[Events]\nPressureThreshold=some 150ms 2s\nOnPressure={env_hook} {w.out}/psi\n'
                     f'OnPressure={limit_hook} {w.out}/nofile\n')
        w.write_conf('psifull', base.format(n='psifull') + '[Events]\nPressureThreshold=full 150ms 2s\n')
        w.write_conf('elastic', base.format(n='elastic') +
                     '[Resources]\nMemoryMax=64M\nMemoryGrowStep=32M\nMemoryGrowLimit=128M\n'
                     'MemoryGrowIntervalSec=100ms\n')
        w.write(w.root + '/cgroup.event_control', '')  # the root of a v1 hierarchy
        self.kernel.start()
        w.start_watcher()
        self.sentinel = self.jail('virtualing@sentinel.service')

    # -- 1 --

    def backend(self):
        w = self.w
        T.ok('cgroup v1' in w.log(), 'the watcher says the memory controller is on cgroup v1', w.log()[-1500:])
        T.ok(str(w.prop(MANAGER_PATH, 'CgroupBackend', MANAGER_IFACE)) == 'cgroup-v1',
             'Manager.CgroupBackend is "cgroup-v1"')
        s = self.sentinel
        oom = s.wait_registration(None)
        T.ok(oom is not None and oom[1] is not None,
             'a jail gets an eventfd registered for memory.oom_control through its cgroup.event_control',
             s.registrations())
        if oom:
            fds = os.listdir(f'/proc/{w.watcher.pid}/fd')
            T.ok(oom[3].split(' ')[0] in fds and len(oom[3].split(' ')) == 2,
                 'the registration is "EVENTFD FD" and the eventfd stays open in the watcher', oom[3])
        T.ok([r[0] for r in s.registrations()] == [None],
             'no limit: no usage registration (nothing to be near)', s.registrations())
        T.ok(str(w.prop(s.path, 'MemoryMax')) == str(vtest.U64_MAX),
             f'MemoryMax is infinity (2^64-1) where memory.limit_in_bytes is {UNLIMITED}', w.prop(s.path, 'MemoryMax'))
        T.ok(int(w.prop(s.path, 'MemoryHigh')) == vtest.U64_MAX, 'MemoryHigh is infinity: v1 has none')
        T.ok(w.call_error(s.path, tw.JAIL_IFACE, 'SetMemoryHigh', 't', (100 * M,)) ==
             'org.freedesktop.DBus.Error.NotSupported', 'SetMemoryHigh is refused: NotSupported')

    # -- 2 --

    def oom(self):
        w, sub = self.w, self.sub
        j = self.jail('virtualing@hooky.service', usage=5 * M, limit=64 * M)
        m = sub.mark()
        j.set(usage=63 * M)
        j.set_oom(under=1)
        j.signal(None)
        r = sub.wait(3, m, member='MemoryEvent', path=j.path)
        T.ok(r and r['args'] == ['oom', 1, 63 * M, 64 * M],
             'an OOM notification: MemoryEvent("oom", 1, usage_in_bytes, limit_in_bytes)', r)
        j.set_oom(under=0, kill=1)
        j.signal(None)
        got = vtest.wait_until(lambda: len(sub.memory_events(j.path, m)) >= 3, 3)
        T.ok(got and self.events(j, m)[1:] == [('oom', 1), ('oom_kill', 1)],
             'an OOM that kills: MemoryEvent("oom", 1) and ("oom_kill", 1)', self.events(j, m))
        runs = vtest.wait_until(lambda: len(self.hook_runs('oom')) >= 2 and self.hook_runs('oomkill'), 5)
        if runs:
            env = self.hook_runs('oomkill')[0][1]
            want = {'VIRTUALING_JAIL': 'hooky', 'VIRTUALING_UNIT': 'virtualing@hooky.service',
                    'VIRTUALING_CGROUP': '/virtualing.slice/virtualing@hooky.service', 'VIRTUALING_EVENT': 'oom_kill',
                    'VIRTUALING_COUNT': '1', 'VIRTUALING_MEMORY_CURRENT': str(63 * M),
                    'VIRTUALING_MEMORY_MAX': str(64 * M)}
            T.ok(all(env.get(k) == v for k, v in want.items()), 'OnOOMKill runs with the same environment as on v2',
                 {k: env.get(k) for k in want})
        else:
            T.ok(False, 'OnOOM ran twice and OnOOMKill once', os.listdir(w.out))

        # kills seen before their notification: counted as OOMs once, not again later
        m = sub.mark()
        j.set_oom(kill=3)
        self.settle(j)
        j.signal(None)  # the watcher reads the kills and this; one of the two kills has it
        vtest.wait_until(lambda: len(sub.memory_events(j.path, m)) >= 2, 3)
        self.settle(j)
        j.signal(None)  # the other kill's notification, late
        self.settle(j)
        time.sleep(0.2)
        ev = w.events_prop(j.path)
        T.ok(ev['oom_kill'] == 3 and ev['oom'] == 4,
             'two kills, then their two late notifications: Events oom 4, oom_kill 3 (nothing counted twice)', ev)

        # max: memory.failcnt, polled only while the usage is near the limit (and read again
        # up to 1.25 s after an OOM notification: let those pass)
        time.sleep(1.5)
        m = sub.mark()
        j.set(usage=10 * M, failcnt=5)
        j.signal(str(63 * M))  # the threshold just below the limit: 64M - 64M/64
        r = sub.wait(3, m, member='MemoryEvent', path=j.path, args=['max'])
        T.ok(r and r['args'][:2] == ['max', 5], 'memory.failcnt 0 -> 5: MemoryEvent("max", 5)', r)
        # that event may have come from the poll: let the watcher read the notification too
        self.drained(j, str(63 * M))
        self.settle(j)
        m = sub.mark()
        j.set(failcnt=7)
        time.sleep(1.6)
        T.ok(not sub.memory_events(j.path, m, 'max'),
             'usage far below the limit: a rise of memory.failcnt waits for the next notification (no polling)',
             self.events(j, m))
        j.set(usage=64 * M - 100 * 1024)
        j.signal(str(63 * M))
        r = sub.wait(3, m, member='MemoryEvent', path=j.path, args=['max'])
        T.ok(r and r['args'][:2] == ['max', 2], 'the usage crosses the threshold just below the limit: "max" +2', r)
        m = sub.mark()
        j.set(failcnt=10)
        r = sub.wait(2.5, m, member='MemoryEvent', path=j.path, args=['max'])
        T.ok(r and r['args'][:2] == ['max', 3],
             'near the limit, memory.failcnt is polled: +3 reported without a notification', r)
        j.set(usage=M)
        j.signal(str(63 * M))
        self.settle(j)
        runs = self.hook_runs('max')
        T.ok(runs and runs[0][1].get('VIRTUALING_EVENT') == 'max', 'OnMemoryMax ran', runs)

    def hook_runs(self, prefix):
        return tw.Test.hook_runs(self, prefix)

    def drained(self, j, arg, timeout=3):
        """Waits until the watcher has read the eventfd of J's newest registration ARG
        (its fdinfo in the watcher says eventfd-count 0)."""
        reg = j.wait_registration(arg)
        fd = reg[3].split(' ')[0]

        def zero():
            with open(f'/proc/{self.w.watcher.pid}/fdinfo/{fd}') as f:
                return any(ln.split()[:2] == ['eventfd-count:', '0'] for ln in f)
        return vtest.wait_until(zero, timeout)

    # -- 3 --

    def usage(self):
        sub = self.sub
        j = self.jail('virtualing@usage.service', usage=5 * M)
        regs = [r[0] for r in j.registrations()]
        T.ok(str(10 * M) in regs and str(20 * M) in regs,
             'UsageThreshold=10M and 20M: both registered on memory.usage_in_bytes', j.registrations())
        m = sub.mark()
        j.set(usage=15 * M)
        j.signal(str(10 * M))
        r = sub.wait(3, m, member='UsageThresholdCrossed', path=j.path)
        T.ok(r and r['args'] == [10 * M, 'up', 15 * M], 'UsageThresholdCrossed(10M, "up", 15M)', r)
        m = sub.mark()
        j.set(usage=25 * M)
        j.signal(str(20 * M))
        r = sub.wait(3, m, member='UsageThresholdCrossed', path=j.path)
        T.ok(r and r['args'] == [20 * M, 'up', 25 * M], 'UsageThresholdCrossed(20M, "up", 25M)', r)
        m = sub.mark()
        j.set(usage=2 * M)
        j.signal(str(20 * M))
        vtest.wait_until(lambda: len(sub.select(m, member='UsageThresholdCrossed', path=j.path)) >= 2, 3)
        got = sub.select(m, member='UsageThresholdCrossed', path=j.path)
        T.ok(got and sorted(r['args'][0] for r in got) == [10 * M, 20 * M] and
             all(r['args'][1] == 'down' for r in got), 'down again past both: two crossings "down"',
             sub.select(m, member='UsageThresholdCrossed'))
        vtest.wait_until(lambda: len(self.hook_runs('usage')) >= 3, 5)
        runs = self.hook_runs('usage')
        T.ok(runs and runs[0][1].get('VIRTUALING_THRESHOLD') == str(10 * M) and
             runs[0][1].get('VIRTUALING_DIRECTION') == 'up', 'OnUsage runs with VIRTUALING_THRESHOLD/DIRECTION',
             self.hook_runs('usage'))

        # reload: new thresholds, registered on a new eventfd
        n = len(j.registrations())
        self.w.write_conf('usage', '[Jail]\nRoot=/srv/usage\nExec=/bin/true\n[Events]\nUsageThreshold=30M\n')
        self.w.watcher.send_signal(signal.SIGHUP)
        reg = j.wait_registration(str(30 * M), 5)
        old = {r[3].split(' ')[0] for r in j.registrations()[:n] if r[0] and r[0] != 'None'}
        T.ok(reg is not None and not [r for r in j.registrations()[n:] if r[0] == str(10 * M)],
             'after a reload: UsageThreshold=30M registered, 10M no more', j.registrations())
        fds = os.listdir(f'/proc/{self.w.watcher.pid}/fd')
        T.ok(reg is not None and reg[3].split(' ')[0] in fds, 'the new eventfd is open', (reg, old))

    # -- 4 --

    def pressure(self):
        sub = self.sub
        j = self.jail('virtualing@psi.service')
        reg = j.wait_registration('medium')
        T.ok(reg is not None, 'PressureThreshold=some: registered on memory.pressure_level at "medium"',
             j.registrations())
        m = sub.mark()
        j.signal('medium')
        r = sub.wait(3, m, member='PressureEvent', path=j.path)
        T.ok(r and r['args'] == ['some'], 'a level notification: PressureEvent("some")', r)
        runs = vtest.wait_until(lambda: self.hook_runs('psi'), 5)
        T.ok(runs and runs[0][1].get('VIRTUALING_EVENT') == 'pressure', 'OnPressure ran', runs)
        # an eventfd or two per jail: the watcher raises its soft limit of open files; hooks
        # get the usual one back
        soft = hard = None
        with open(f'/proc/{self.w.watcher.pid}/limits') as f:
            for line in f:
                if line.startswith('Max open files'):
                    soft, hard = line.split()[3:5]
        nofile = vtest.wait_until(lambda: os.path.exists(self.w.out + '/nofile') and
                                  open(self.w.out + '/nofile').read().strip(), 5)
        T.ok(soft == hard and nofile == str(min(int(hard), 1024)),
             f'the watcher\'s soft limit of open files is its hard one ({soft}); its hooks get {nofile} (FD_SETSIZE)',
             (soft, hard, nofile))
        k = self.jail('virtualing@psifull.service')
        T.ok(k.wait_registration('critical') is not None, 'PressureThreshold=full: at "critical"',
             k.registrations())

    # -- 5 --

    def elastic(self):
        w, sub = self.w, self.sub
        j = self.jail('virtualing@elastic.service', usage=10 * M, limit=64 * M)
        ok = vtest.wait_until(lambda: j.disable == 1, 3)
        T.ok(ok and j.writes[:1] == [1], 'an elastic jail: oom_kill_disable set (it pauses at its limit)', j.writes)
        m = sub.mark()
        j.set(usage=64 * M)
        j.set_oom(under=1)
        j.signal(None)
        r = sub.wait(5, m, member='MemoryLimitChanged', path=j.path)
        T.ok(r and r['args'] == [64 * M, 96 * M, 'grow'], 'paused under OOM: grown, MemoryLimitChanged(64M, 96M)', r)
        calls = [c for c in w.calls() if c['unit'] == 'virtualing@elastic.service']
        T.ok(calls and ['MemoryMax', 'UInt64', 96 * M] in calls[-1]['props'],
             'through systemd: SetUnitProperties MemoryMax=96M', calls[-1:])
        T.ok(j.wait_registration(str(96 * M - 96 * M // 64), 3) is not None,
             'the threshold near the limit is registered again for 96M', j.registrations())
        j.set_oom(under=0)
        j.set(usage=96 * M)
        j.set_oom(under=1)
        m = sub.mark()
        j.signal(None)
        r = sub.wait(5, m, member='MemoryLimitChanged', path=j.path)
        T.ok(r and r['args'] == [96 * M, 128 * M, 'grow'], 'again: 96M -> 128M, its MemoryGrowLimit', r)
        ok = vtest.wait_until(lambda: j.disable == 0, 3)
        T.ok(ok and j.writes[-1:] == [0],
             'at MemoryGrowLimit: oom_kill_disable cleared, the kernel\'s OOM killer acts again', j.writes)
        T.ok(vtest.wait_until(lambda: 'OOM killer acts on it again' in w.log() or 'cannot grow' in w.log(), 3),
             'and the journal says so', w.log()[-1500:])

        # the watcher stopping does not leave a jail paused without anyone to grow it
        j2 = self.jail('virtualing@elastic2.service', usage=10 * M, limit=64 * M)
        w.write_conf('elastic2', open(f'{w.conf}/elastic.conf').read().replace('/srv/elastic', '/srv/elastic2'))
        w.watcher.send_signal(signal.SIGHUP)
        ok = vtest.wait_until(lambda: j2.disable == 1, 3)
        T.ok(ok, 'a jail made elastic by a reload pauses at its limit', j2.writes)
        w.watcher.send_signal(signal.SIGTERM)
        w.watcher.wait(5)
        time.sleep(0.2)
        T.ok(j2.disable == 0 and j2.writes[-1:] == [0], 'the watcher stopping (SIGTERM) gives the OOM killer back',
             j2.writes)
        w.start_watcher()
        ok = vtest.wait_until(lambda: j2.disable == 1, 5)
        T.ok(ok, 'the watcher started again: paused again', j2.writes)

    # -- 6 --

    def restart(self):
        w, sub = self.w, self.sub
        j = self.jails['hooky']
        before = w.events_prop(j.path)
        w.watcher.send_signal(signal.SIGKILL)
        w.watcher.wait(5)
        j.set_oom(kill=j.kill + 2)
        j.set(failcnt=int(open(os.path.join(j.dir, 'memory.failcnt')).read()) + 4)
        m = sub.mark()
        w.start_watcher()
        got = vtest.wait_until(lambda: len(sub.memory_events(j.path, m)) >= 3, 5)
        T.ok(got and sorted(self.events(j, m)) == [('max', 4), ('oom', 2), ('oom_kill', 2)],
             'killed, 2 kills and 4 failures meanwhile: the new watcher reports oom_kill +2, oom +2, max +4',
             self.events(j, m))
        after = w.events_prop(j.path)
        T.ok(after['oom'] == before['oom'] + 2 and after['oom_kill'] == before['oom_kill'] + 2 and
             after['max'] == before['max'] + 4, 'Events: the counts go on from where they were', (before, after))
        n = len(j.registrations())
        m = sub.mark()
        w.watcher.send_signal(signal.SIGTERM)
        w.watcher.wait(5)
        w.start_watcher()
        self.settle(j)
        T.ok(not sub.memory_events(j.path, m) and len(j.registrations()) > n,
             'restarted with nothing new: nothing reported again; its eventfds registered anew',
             (self.events(j, m), j.registrations()[n:]))

    # -- 7 --

    def metrics_and_removal(self):
        w, sub = self.w, self.sub
        j = self.jails['hooky']
        text = vtest.wait_until(lambda: open(w.run + '/metrics.prom').read()
                                if os.path.exists(w.run + '/metrics.prom') else None, 3)
        T.ok(text and f'virtualing_jail_memory_max_bytes{{jail="hooky"}} {64 * M}' in text and
             'virtualing_jail_memory_high_bytes{jail="hooky"}' not in text and
             'virtualing_jail_events_total{jail="hooky",event="oom_kill"}' in text,
             'metrics.prom: the v1 limit, no MemoryHigh, the counters', text)
        m = sub.mark()
        j.set_oom(kill=j.kill + 1)
        os.eventfd_write(j.wait_registration(None)[1], 1)
        j.remove()
        r = sub.wait(5, m, member='JailRemoved', args=['hooky'])
        got = self.events(j, m)
        T.ok(r and ('oom', 1) in got, 'an OOM notified as the cgroup goes: counted before JailRemoved', (got, r))


def main():
    if len(sys.argv) != 3:
        print('usage: test-watcher-v1.py WATCHER-BINARY SOURCE-DIR', file=sys.stderr)
        return 2
    watcher_bin, srcdir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    reason = vtest.skip_unless('pidfd_getfd(2) of the watcher\'s eventfds', ('dbus-daemon', 'setpriv'))
    if reason:
        vtest.skip_all(reason)
    if not hasattr(os, 'pidfd_open') or not hasattr(os, 'eventfd_write'):
        vtest.skip_all('python3 has no os.pidfd_open/os.eventfd_write (3.10 or later needed)')
    try:
        os.close(pidfd_getfd(os.getpid(), 0))
    except OSError as e:
        vtest.skip_all(f'pidfd_getfd(2) is not available here: {e}')

    os.umask(0o022)
    vtest.arm_alarm(150)
    t_start = time.monotonic()
    world = tw.World(watcher_bin, srcdir)
    test = Test(world)

    def check_watcher(title):
        if not world.watcher_alive():
            T.ok(False, f'{title}: the watcher is running', f'status {world.watcher.poll()}\n' + world.log()[-3000:])
            world.start_watcher()

    def finish():
        if T.failed:
            T.diag('watcher logs (tail):')
            T.diag(world.all_logs()[-4000:])
        for j in test.jails.values():
            j.close()
        world.cleanup()

    sections = [('1. the v1 backend', test.backend), ('2. OOM, OOM kill, failcnt', test.oom),
                ('3. usage thresholds', test.usage), ('4. pressure levels', test.pressure),
                ('5. elastic memory: pause, grow, give the OOM killer back', test.elastic),
                ('6. restart', test.restart), ('7. metrics, removal', test.metrics_and_removal)]
    return vtest.run_sections(T, t_start, test.setup, 'setup: a v1 tree, private bus, fake systemd, watcher',
                              sections, finish, before_each=check_watcher)


if __name__ == '__main__':
    sys.exit(main())
