# SPDX-License-Identifier: LGPL-2.1-or-later
# What the python TAP tests (test/watcher/test-watcher.py, test/ctl/test-ctl-bus.py,
# test/ctl/test-ctl-run.py) share: the TAP writer, the re-exec under the system python,
# polling, a private dbus-daemon and a fake systemd started from python3-dbus scripts,
# process bookkeeping and clean-up, fake jail cgroups, and the frame of main().
#
# A test imports it with
#     sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
#     import vtest
# It needs the standard library only (python3-dbus is imported by the worlds that use a bus).

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

U64_MAX = 2**64 - 1
K, M = 1024, 1024 * 1024
NOBODY = 65534
COUNTERS = ('low', 'high', 'max', 'oom', 'oom_kill', 'oom_group_kill')
MEMORY_PRESSURE = ('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
                   'full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n')


def reexec_with_system_python(script):
    """python3-dbus and python3-gi are Debian packages: a python3 earlier in PATH (pyenv,
    a venv) may not see them, /usr/bin/python3 does. script: the test's __file__."""
    try:
        import dbus  # noqa: F401
        import gi  # noqa: F401
        return
    except ImportError:
        pass
    if (os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3')
            and os.access('/usr/bin/python3', os.X_OK) and not os.environ.get('VIRTUALING_TEST_REEXEC')):
        os.environ['VIRTUALING_TEST_REEXEC'] = '1'
        os.execv('/usr/bin/python3', ['/usr/bin/python3', os.path.abspath(script)] + sys.argv[1:])


def private_mount_namespace():
    """Moves this process (still single-threaded) into a mount namespace of its own, with
    private propagation, so that the test may mount over its own files; True if it did."""
    import ctypes
    CLONE_NEWNS = 0x00020000
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        return False
    return subprocess.run(['mount', '--make-rprivate', '/'], stderr=subprocess.DEVNULL).returncode == 0


class Abort(BaseException):
    """Ends the run from a signal handler; not swallowed by a section's `except Exception`."""


def skip_all(reason):
    print(f'1..0 # SKIP {reason}')
    sys.exit(0)


# ---------------------------------------------------------------------------------------
# TAP


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        cond = bool(cond)
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}")
        if not cond:
            self.failed += 1
            if diag is not None:
                self.diag(diag)
        sys.stdout.flush()
        return cond

    def skip(self, desc, reason):
        self.n += 1
        print(f'ok {self.n} - {desc} # SKIP {reason}')
        sys.stdout.flush()

    @staticmethod
    def diag(msg):
        for line in str(msg).rstrip('\n').splitlines() or ['']:
            print('# ' + line)
        sys.stdout.flush()


def wait_until(fn, timeout, interval=0.05):
    """Polls fn() until it returns something true or the time is up; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------------------------------
# main()


def skip_unless(root_reason, tools):
    """The SKIP line's reason if the test cannot run here (not root, a tool or python3-dbus /
    python3-gi missing), else None."""
    if os.geteuid() != 0:
        return f'needs root ({root_reason})'
    for tool in tools:
        if not shutil.which(tool):
            return f'{tool} is not installed'
    try:
        import dbus  # noqa: F401
        from gi.repository import GLib  # noqa: F401
    except ImportError as e:
        return f'python3-dbus and python3-gi are needed ({e})'
    return None


def arm_alarm(seconds):
    """SIGTERM, SIGINT, SIGHUP and, after `seconds`, SIGALRM end the run with Abort."""
    def on_signal(signum, frame):
        raise Abort(f'interrupted by signal {signum}' if signum != signal.SIGALRM
                    else f'the test took over {seconds} s')
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, on_signal)
    signal.alarm(seconds)


def run_sections(T, t_start, setup, setup_desc, sections, finish, before_each=None):
    """setup(), then each (title, fn) of sections, each under its own `--- title` line; an
    exception fails the section (or the setup, which ends the run); Abort ends the run.
    finish() runs in any case (failure logs, clean-up). Returns main()'s exit status."""
    try:
        try:
            setup()
        except Exception:  # noqa: BLE001
            T.ok(False, setup_desc, traceback.format_exc())
            raise SystemExit(1)
        for title, fn in sections:
            T.diag(f'--- {title} ({time.monotonic() - t_start:.1f}s)')
            if before_each is not None:
                before_each(title)
            try:
                fn()
            except Exception:  # noqa: BLE001
                T.ok(False, f'{title}: ran to the end', traceback.format_exc())
    except SystemExit:
        pass
    except Abort as e:
        T.ok(False, f'the run was cut short: {e}')
    finally:
        signal.alarm(0)
        finish()
    T.diag(f'took {time.monotonic() - t_start:.1f}s')
    print(f'1..{T.n}')
    return 1 if T.failed else 0


# ---------------------------------------------------------------------------------------
# The world: a temporary directory, the processes started, a private bus, a fake systemd


class World:
    """tmp: the test's directory; busdir (tmp/bus) holds the bus socket and its config;
    calls_file: where the fake systemd logs the calls it gets (JSON lines)."""

    def __init__(self, tmp, calls_file):
        self.tmp = tmp
        self.busdir = tmp + '/bus'
        self.calls_file = calls_file
        self.procs = []
        self.address = None

    @staticmethod
    def priv(user=None):
        cmd = ['setpriv', '--pdeathsig', 'KILL']
        if user is not None:
            cmd += [f'--reuid={user}', f'--regid={user}', '--clear-groups']
        return cmd

    def spawn(self, cmd, **kw):
        p = subprocess.Popen(cmd, **kw)
        self.procs.append(p)
        return p

    def write(self, path, text, mode=0o644):
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)

    def calls(self):
        with open(self.calls_file) as f:
            return [json.loads(line) for line in f if line.strip()]

    def start_dbus(self, conf):
        """A dbus-daemon from conf (a bus config with @SOCKET@ for its socket); sets and
        returns self.address."""
        socket = self.busdir + '/system_bus_socket'
        with open(self.busdir + '/bus.conf', 'w') as f:
            f.write(conf.replace('@SOCKET@', socket))
        p = self.spawn(self.priv() + ['dbus-daemon', '--config-file=' + self.busdir + '/bus.conf', '--nofork',
                                      '--print-address'], stdout=subprocess.PIPE,
                       stderr=open(self.tmp + '/dbus-daemon.err', 'w'))
        r, _, _ = select.select([p.stdout], [], [], 10)
        line = p.stdout.readline().decode().strip() if r else ''
        if not line:
            raise RuntimeError('dbus-daemon did not start: ' + open(self.tmp + '/dbus-daemon.err').read())
        self.address = line
        return line

    def start_fake_systemd(self, script, *args):
        """python3 -c script ADDRESS ARGS…, which prints READY once it owns org.freedesktop.systemd1."""
        p = self.spawn(self.priv() + [sys.executable, '-c', script, self.address] + list(args),
                       stdout=subprocess.PIPE, stderr=open(self.tmp + '/systemd.err', 'w'))
        r, _, _ = select.select([p.stdout], [], [], 10)
        if not r or p.stdout.readline().strip() != b'READY':
            raise RuntimeError('the fake systemd did not start: ' + open(self.tmp + '/systemd.err').read())

    def name_has_owner(self, name):
        return bool(self.bus.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                                           'NameHasOwner', 's', (name,)))

    def spawn_watcher(self, watcher_bin, env, log, interval=0.05):
        """Starts the watcher (self.watcher) with its output to log; True once it owns
        org.virtualing1, False if it exited or 10 s went by."""
        self.watcher = self.spawn(self.priv() + [watcher_bin], env=env, stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=log)
        ok = wait_until(lambda: self.watcher.poll() is not None or self.name_has_owner('org.virtualing1'), 10,
                        interval)
        return self.watcher.poll() is None and bool(ok)

    def stop_procs(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(2)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(2)

    def remove_tmp(self):
        if os.environ.get('VIRTUALING_TEST_KEEP'):
            Tap.diag(f'kept {self.tmp}')
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Fake jail cgroups


def bus_path(name):
    """sd_bus_path_encode("/org/virtualing1/jail", name)."""
    if not name:
        return '/org/virtualing1/jail/_'
    out = []
    for i, c in enumerate(name):
        if c.isascii() and (c.isalpha() or (i > 0 and c.isdigit())):
            out.append(c)
        else:
            out.append('_%02x' % ord(c))
    return '/org/virtualing1/jail/' + ''.join(out)


def name_from_unit(unit):
    if unit.startswith('virtualing@') and unit.endswith('.service'):
        return unit[len('virtualing@'):-len('.service')]
    if unit.startswith('virtualing-') and unit.endswith('.scope'):
        return unit[len('virtualing-'):-len('.scope')]
    return None


class FakeJail:
    """A jail cgroup directory, built in a staging directory (world.staging) and moved into
    the slice (world.slice), as a cgroup appears with its files. always_truncate: rewriting
    memory.events also truncates it when it does not shrink (an extra IN_MODIFY)."""

    def __init__(self, world, unit, current=0, limit_max='max', limit_high='max', place=True,
                 always_truncate=False, **counters):
        self.w = world
        self.unit = unit
        self.name = name_from_unit(unit)
        self.path = bus_path(self.name) if self.name else None
        self.always_truncate = always_truncate
        self.c = {k: 0 for k in COUNTERS}
        self.c.update(counters)
        self.stage = tempfile.mkdtemp(dir=world.staging)
        os.chmod(self.stage, 0o755)
        self._write(self.stage, 'memory.events', self.content())
        self._write(self.stage, 'memory.current', f'{current}\n')
        self._write(self.stage, 'memory.max', self._limit(limit_max))
        self._write(self.stage, 'memory.high', self._limit(limit_high))
        self._write(self.stage, 'memory.pressure', MEMORY_PRESSURE)
        self.inode = None
        if place:
            self.place()

    @staticmethod
    def _limit(v):
        return 'max\n' if v == 'max' or v == U64_MAX else f'{int(v)}\n'

    @staticmethod
    def _write(d, name, text):
        with open(os.path.join(d, name), 'w') as f:
            f.write(text)

    @property
    def dir(self):
        return os.path.join(self.w.slice, self.unit)

    @property
    def events_file(self):
        return os.path.join(self.dir, 'memory.events')

    def place(self):
        os.rename(self.stage, self.dir)  # appears with its files, as a cgroup does
        self.inode = os.stat(self.dir).st_ino

    def content(self, **over):
        c = dict(self.c, **over)
        return ''.join(f'{k} {c[k]}\n' for k in COUNTERS)

    def write_events(self, text=None, path=None):
        """Rewrites memory.events in place (the watched inode stays the same)."""
        data = (text if text is not None else self.content()).encode('latin-1')
        fd = os.open(path or self.events_file, os.O_WRONLY)
        try:
            os.pwrite(fd, data, 0)
            if self.always_truncate or os.fstat(fd).st_size > len(data):
                os.ftruncate(fd, len(data))
        finally:
            os.close(fd)

    def bump(self, **kw):
        for k, v in kw.items():
            self.c[k] += v
        self.write_events()

    def set_current(self, v):
        self._write(self.dir, 'memory.current', f'{v}\n')

    def set_max(self, v):
        self._write(self.dir, 'memory.max', self._limit(v))

    def set_high(self, v):
        self._write(self.dir, 'memory.high', self._limit(v))

    def read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read().strip()

    def remove(self):
        shutil.rmtree(self.dir)
