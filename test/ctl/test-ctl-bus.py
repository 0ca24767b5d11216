#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# virtualing list, status, monitor and set-memory against a private system-like bus with
# the real watcher, a fake cgroup tree and a fake systemd (python3-dbus), as root and as
# nobody, piped and on a terminal (a pty). TAP on stdout.
#
# usage: test-ctl-bus.py VIRTUALING WATCHER SOURCE-DIR   (as root)
#
# Everything lives in one temporary directory; every process started runs under
# `setpriv --pdeathsig KILL` and is stopped at the end; every wait is bounded.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import vtest  # noqa: E402
from vtest import M, NOBODY, U64_MAX, bus_path, wait_until  # noqa: E402

vtest.reexec_with_system_python(__file__)

import json  # noqa: E402
import pty  # noqa: E402
import re  # noqa: E402
import select  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ESC = '\x1b['
GREEN, RED, UNDERLINE, NORMAL = '\x1b[0;1;32m', '\x1b[0;1;31m', '\x1b[0;4m', '\x1b[0m'

T = vtest.Tap()


BUS_CONF = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- A private bus that behaves like the system bus: deny by default, systemd's own rules
     for what anyone may ask it (GetUnit, LoadUnit, properties), then virtualing's policy. -->
<busconfig>
  <type>system</type>
  <listen>unix:path=@SOCKET@</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
    <allow send_destination="org.freedesktop.systemd1" send_interface="org.freedesktop.DBus.Properties" send_member="Get"/>
    <allow send_destination="org.freedesktop.systemd1" send_interface="org.freedesktop.DBus.Properties" send_member="GetAll"/>
    <allow send_destination="org.freedesktop.systemd1" send_interface="org.freedesktop.systemd1.Manager" send_member="GetUnit"/>
    <allow send_destination="org.freedesktop.systemd1" send_interface="org.freedesktop.systemd1.Manager" send_member="LoadUnit"/>
  </policy>
  <policy user="root">
    <allow own="org.freedesktop.systemd1"/>
    <allow send_destination="org.freedesktop.systemd1"/>
  </policy>
  <include>@POLICY@</include>
</busconfig>
'''

# The fake systemd: GetUnit, LoadUnit, SetUnitProperties and the properties of unit objects,
# from units.json (re-read on each call, so the test changes states by rewriting it). Calls
# are logged to calls.jsonl.
FAKE_SYSTEMD = r'''
import sys, json, os, time
import dbus, dbus.bus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
address, slice_dir, units_path, log_path = sys.argv[1:5]
bus = dbus.bus.BusConnection(address)
PREFIX = "/org/freedesktop/systemd1/unit"
FILES = {"MemoryMax": "memory.max", "MemoryHigh": "memory.high"}
U64 = ("ActiveEnterTimestamp", "InactiveEnterTimestamp", "MemoryCurrent", "MemoryMax", "MemoryHigh",
       "CPUQuotaPerSecUSec", "TasksMax")
UNIT_PROPS = ("Id", "LoadState", "ActiveState", "SubState", "FragmentPath", "ActiveEnterTimestamp",
              "InactiveEnterTimestamp")
SERVICE_PROPS = ("MainPID", "MemoryCurrent", "MemoryMax", "MemoryHigh", "CPUQuotaPerSecUSec", "TasksMax")

def encode(name):
    out = []
    for i, c in enumerate(name):
        out.append(c if c.isascii() and (c.isalpha() or (i > 0 and c.isdigit())) else "_%02x" % ord(c))
    return PREFIX + "/" + "".join(out)

def log(**rec):
    with open(log_path, "a") as f:
        f.write(json.dumps(rec) + "\n")

def units():
    with open(units_path) as f:
        return json.load(f)

DEFAULTS = {"LoadState": "loaded", "ActiveState": "inactive", "SubState": "dead", "FragmentPath": "",
            "ActiveEnterTimestamp": 0, "InactiveEnterTimestamp": 0, "MainPID": 0, "MemoryCurrent": 2**64 - 1,
            "MemoryMax": 2**64 - 1, "MemoryHigh": 2**64 - 1, "CPUQuotaPerSecUSec": 2**64 - 1,
            "TasksMax": 2**64 - 1}

def props_of(unit):
    u = units().get(unit)
    d = dict(DEFAULTS, Id=unit)
    if u is None:
        d["LoadState"] = "not-found"
    else:
        d.update({k: v for k, v in u.items() if k != "loaded"})
    return d

def wrap(k, v):
    if k in U64:
        return dbus.UInt64(v)
    if k == "MainPID":
        return dbus.UInt32(v)
    return dbus.String(v)

paths = {}

class Manager(dbus.service.Object):
    @dbus.service.method("org.freedesktop.systemd1.Manager", in_signature="s", out_signature="o")
    def GetUnit(self, unit):
        log(call="GetUnit", unit=str(unit))
        u = units().get(str(unit))
        if not u or not u.get("loaded", True):
            raise dbus.exceptions.DBusException("Unit %s not loaded." % unit,
                                                name="org.freedesktop.systemd1.NoSuchUnit")
        p = encode(str(unit))
        paths[p] = str(unit)
        return dbus.ObjectPath(p)

    @dbus.service.method("org.freedesktop.systemd1.Manager", in_signature="s", out_signature="o")
    def LoadUnit(self, unit):
        log(call="LoadUnit", unit=str(unit))
        p = encode(str(unit))
        paths[p] = str(unit)
        return dbus.ObjectPath(p)

    @dbus.service.method("org.freedesktop.systemd1.Manager", in_signature="sba(sv)", out_signature="",
                         sender_keyword="sender")
    def SetUnitProperties(self, unit, runtime, props, sender=None):
        log(call="SetUnitProperties", unit=str(unit), runtime=bool(runtime),
            props=[[str(k), type(v).__name__, int(v) if isinstance(v, int) else str(v)] for k, v in props])
        d = os.path.join(slice_dir, str(unit))
        if "/" in unit or not os.path.isdir(d):
            raise dbus.exceptions.DBusException("Unit %s not loaded." % unit,
                                                name="org.freedesktop.systemd1.NoSuchUnit")
        for k, v in props:
            if str(k) not in FILES or not isinstance(v, dbus.UInt64):
                raise dbus.exceptions.DBusException("Cannot set property %s here." % k,
                                                    name="org.freedesktop.DBus.Error.InvalidArgs")
        for k, v in props:
            with open(os.path.join(d, FILES[str(k)]), "w") as f:
                f.write("max\n" if int(v) == 2**64 - 1 else "%d\n" % int(v))

class Units(dbus.service.FallbackObject):
    def _unit(self, rel):
        p = PREFIX + rel
        if p not in paths:
            raise dbus.exceptions.DBusException("Unknown object %s." % p,
                                                name="org.freedesktop.DBus.Error.UnknownObject")
        return paths[p]

    def _props(self, iface, unit):
        names = UNIT_PROPS if iface == "org.freedesktop.systemd1.Unit" else \
            SERVICE_PROPS if iface == "org.freedesktop.systemd1.Service" and unit.endswith(".service") else \
            SERVICE_PROPS[1:] if iface == "org.freedesktop.systemd1.Scope" and unit.endswith(".scope") else None
        if names is None:
            raise dbus.exceptions.DBusException("Unknown interface %s." % iface,
                                                name="org.freedesktop.DBus.Error.UnknownInterface")
        d = props_of(unit)
        return {k: wrap(k, d[k]) for k in names}

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v",
                         rel_path_keyword="rel")
    def Get(self, iface, prop, rel=None):
        unit = self._unit(rel)
        log(call="Get", unit=unit, iface=str(iface), prop=str(prop))
        props = self._props(str(iface), unit)
        if str(prop) not in props:
            raise dbus.exceptions.DBusException("Unknown property %s." % prop,
                                                name="org.freedesktop.DBus.Error.UnknownProperty")
        return props[str(prop)]

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="s", out_signature="a{sv}",
                         rel_path_keyword="rel")
    def GetAll(self, iface, rel=None):
        unit = self._unit(rel)
        log(call="GetAll", unit=unit, iface=str(iface))
        return self._props(str(iface), unit)

Manager(bus, "/org/freedesktop/systemd1")
Units(bus, PREFIX)
r = bus.request_name("org.freedesktop.systemd1", dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
if r != dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER:
    sys.exit("could not own org.freedesktop.systemd1")
print("READY", flush=True)
GLib.MainLoop().run()
'''


# A bus open to everyone, with a fake watcher that records the flags of the calls it gets
# (Gio shows ALLOW_INTERACTIVE_AUTHORIZATION; python3-dbus does not): set-memory's side of
# polkit, without polkit.
OPEN_BUS_CONF = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=@SOCKET@</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
'''

# GetJail("web") and SetMemoryMax on /org/virtualing1/jail/web; mode.txt (re-read on each
# call) says how SetMemoryMax answers: "ok", "denied" (AccessDenied) or "interactive"
# (InteractiveAuthorizationRequired). Each call is logged with its interactive flag and
# whether a (fake) polkit agent was running then.
FAKE_WATCHER = r'''
import sys, json, os
from gi.repository import Gio, GLib
address, mode_path, log_path, agent_dir = sys.argv[1:5]
conn = Gio.DBusConnection.new_for_address_sync(
    address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None, None)
node = Gio.DBusNodeInfo.new_for_xml("""<node>
  <interface name="org.virtualing1.Manager">
    <method name="GetJail"><arg type="s" direction="in"/><arg type="o" direction="out"/></method>
  </interface>
  <interface name="org.virtualing1.Jail">
    <method name="SetMemoryMax"><arg type="t" direction="in"/></method>
  </interface>
</node>""")

def agents():
    running = []
    for f in sorted(os.listdir(agent_dir)):
        if f.startswith("started-") and f[len("started-"):].isdigit():
            pid = int(f[len("started-"):])
            if os.path.exists("/proc/%d" % pid) and not os.path.exists(os.path.join(agent_dir, "ended-%d" % pid)):
                running.append(pid)
    return running

def on_call(conn, sender, path, iface, method, params, inv):
    flags = inv.get_message().get_flags()
    with open(log_path, "a") as f:
        f.write(json.dumps({"call": method, "args": list(params.unpack()), "agents": agents(),
                            "interactive": bool(flags & Gio.DBusMessageFlags.ALLOW_INTERACTIVE_AUTHORIZATION)}) + "\n")
    if method == "GetJail":
        inv.return_value(GLib.Variant("(o)", ("/org/virtualing1/jail/web",)))
        return
    with open(mode_path) as f:
        mode = f.read().strip()
    if mode == "denied":
        inv.return_dbus_error("org.freedesktop.DBus.Error.AccessDenied", "Not authorized by polkit (fake).")
    elif mode == "interactive":
        inv.return_dbus_error("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                              "Interactive authentication required.")
    else:
        inv.return_value(None)

conn.register_object("/org/virtualing1", node.interfaces[0], on_call, None, None)
conn.register_object("/org/virtualing1/jail/web", node.interfaces[1], on_call, None, None)
r = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
                   GLib.Variant("(su)", ("org.virtualing1", 4)), None, Gio.DBusCallFlags.NONE, -1, None)
if r.unpack()[0] != 1:
    sys.exit("could not own org.virtualing1")
print("READY", flush=True)
GLib.MainLoop().run()
'''

# pkttyagent as the test sees it: records its arguments and whether the descriptor it was
# told of is open, says it is ready on it, and waits for SIGTERM (recorded too).
FAKE_AGENT = '''#!/usr/bin/python3
import json, os, signal, sys
d = "@DIR@"
pid = os.getpid()
def on_term(sig, frame):
    open(os.path.join(d, "ended-%d" % pid), "w").close()
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
fd = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else -1
rec = {"args": sys.argv[1:], "fd_open": fd >= 3 and os.path.exists("/proc/self/fd/%d" % fd),
       "uid": os.getuid(), "stdin_tty": os.isatty(0),
       "open_fds": sorted(int(x) for x in os.listdir("/proc/self/fd") if os.path.exists("/proc/self/fd/" + x))}
with open(os.path.join(d, "started-%d.json" % pid), "w") as f:
    json.dump(rec, f)
open(os.path.join(d, "started-%d" % pid), "w").close()
if fd >= 3:
    os.write(fd, b"x")
    os.close(fd)
while True:
    signal.pause()
'''


class PolkitWorld(vtest.World):
    """A second private bus, open to all, with the fake watcher; the agent's directory."""

    def __init__(self, parent):
        tmp = tempfile.mkdtemp(prefix='virtualing-ctl-polkit.')
        super().__init__(tmp, tmp + '/calls.jsonl')
        os.chmod(tmp, 0o755)
        os.makedirs(self.busdir, mode=0o755)
        self.agent_dir = tmp + '/agent'
        os.makedirs(self.agent_dir)
        os.chmod(self.agent_dir, 0o777)  # the agent of nobody writes here
        self.agent = tmp + '/pkttyagent'
        self.write(self.agent, FAKE_AGENT.replace('@DIR@', self.agent_dir), 0o755)
        self.mode_file = tmp + '/mode.txt'
        self.set_mode('ok')
        open(self.calls_file, 'w').close()
        self.parent = parent

    def set_mode(self, mode):
        self.write(self.mode_file, mode + '\n')

    def start(self):
        self.start_dbus(OPEN_BUS_CONF)
        p = self.spawn(self.priv() + [sys.executable, '-c', FAKE_WATCHER, self.address, self.mode_file,
                                      self.calls_file, self.agent_dir],
                       stdout=subprocess.PIPE, stderr=open(self.tmp + '/watcher.err', 'w'))
        r, _, _ = select.select([p.stdout], [], [], 10)
        if not r or p.stdout.readline().strip() != b'READY':
            raise RuntimeError('the fake watcher did not start: ' + open(self.tmp + '/watcher.err').read())

    def env(self, **over):
        e = dict(DBUS_SYSTEM_BUS_ADDRESS=self.address, VIRTUALING_PKTTYAGENT=self.agent)
        e.update(over)
        return e

    def agents(self):
        """The agents started so far: their records, with 'ended' set when they got SIGTERM."""
        out = []
        for f in sorted(os.listdir(self.agent_dir)):
            if f.startswith('started-') and f.endswith('.json'):
                pid = int(f[len('started-'):-len('.json')])
                with open(os.path.join(self.agent_dir, f)) as fh:
                    rec = json.load(fh)
                rec.update(pid=pid, ended=os.path.exists(os.path.join(self.agent_dir, f'ended-{pid}')),
                           alive=os.path.exists(f'/proc/{pid}'))
                out.append(rec)
        return out

    def clear(self):
        open(self.calls_file, 'w').close()
        for f in os.listdir(self.agent_dir):
            os.unlink(os.path.join(self.agent_dir, f))

    def set_memory_call(self):
        calls = [c for c in self.calls() if c['call'] == 'SetMemoryMax']
        return calls[-1] if calls else {}


class World(vtest.World):
    def __init__(self, ctl, watcher, srcdir):
        import dbus
        import dbus.bus
        self.dbus = dbus
        self.ctl, self.watcher_bin, self.srcdir = ctl, watcher, srcdir
        tmp = tempfile.mkdtemp(prefix='virtualing-ctl-test.')
        super().__init__(tmp, tmp + '/calls.jsonl')
        self.watcher = None
        os.chmod(self.tmp, 0o755)  # nobody reaches the bus socket and the jail files inside
        self.root = self.tmp + '/cgroup'
        self.slice = self.root + '/virtualing.slice'
        self.staging = self.root + '/staging'
        self.run = self.tmp + '/run'
        self.etc = self.tmp + '/etc'
        self.lib = self.tmp + '/lib'
        for d in (self.root, self.slice, self.staging, self.run, self.etc, self.lib, self.busdir):
            os.makedirs(d, mode=0o755, exist_ok=True)
        self.units_file = self.tmp + '/units.json'
        open(self.calls_file, 'w').close()
        self.write_units({})
        self.bus = None

    def env(self, **over):
        e = dict(os.environ)
        for k in ('NO_COLOR', 'SYSTEMD_PAGER', 'PAGER', 'LESS', 'VIRTUALING_PKTTYAGENT'):
            e.pop(k, None)
        # on the pty no pager unless a test asks for one ('cat' is none)
        e.update(DBUS_SYSTEM_BUS_ADDRESS=self.address, VIRTUALING_CONFIG_PATH=f'{self.etc}:{self.lib}',
                 LC_ALL='C.UTF-8', TZ='UTC', TERM='xterm-256color', VIRTUALING_PAGER='cat')
        e.update(over)
        return {k: v for k, v in e.items() if v is not None}

    def write_units(self, units):
        with open(self.units_file + '.tmp', 'w') as f:
            json.dump(units, f)
        os.chmod(self.units_file + '.tmp', 0o644)
        os.rename(self.units_file + '.tmp', self.units_file)

    def start_bus(self):
        policy = os.path.join(self.srcdir, 'units', 'org.virtualing1.conf')
        line = self.start_dbus(BUS_CONF.replace('@POLICY@', policy))
        self.bus = self.dbus.bus.BusConnection(line)

    def start_systemd(self):
        self.start_fake_systemd(FAKE_SYSTEMD, self.slice, self.units_file, self.calls_file)

    def start_watcher(self):
        env = self.env(VIRTUALING_CGROUP_ROOT=self.root, VIRTUALING_RUNTIME_DIR=self.run, VIRTUALING_TEXTFILE_DIR="",
                       NOTIFY_SOCKET=None, WATCHDOG_USEC=None)
        if not self.spawn_watcher(self.watcher_bin, env, open(self.tmp + '/watcher.log', 'a')):
            raise RuntimeError('the watcher did not start:\n' + self.watcher_log())

    def stop_watcher(self):
        self.watcher.send_signal(signal.SIGTERM)
        try:
            self.watcher.wait(5)
        except subprocess.TimeoutExpired:
            self.watcher.kill()
            self.watcher.wait(2)
        wait_until(lambda: not self.name_has_owner('org.virtualing1'), 5)

    def watcher_log(self):
        try:
            with open(self.tmp + '/watcher.log', errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def jail_prop(self, name, prop):
        return self.bus.call_blocking('org.virtualing1', bus_path(name), 'org.freedesktop.DBus.Properties', 'Get',
                                      'ss', ('org.virtualing1.Jail', prop), timeout=10)

    def vctl(self, *args, user=None, timeout=15, **env):
        """Runs virtualing with stdout and stderr piped: (status, stdout, stderr)."""
        p = subprocess.run(self.priv(user) + [self.ctl] + list(args), env=self.env(**env), capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr

    def vctl_pty(self, *args, timeout=15, cols=120, user=None, **env):
        """Runs virtualing on a terminal (a pty: stdin, stdout and stderr) as a person would:
        (status, output as seen). Killed after timeout (for monitor)."""
        import fcntl
        import struct
        import termios
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 40, cols, 0, 0))
        p = subprocess.Popen(self.priv(user) + [self.ctl] + list(args), env=self.env(**env), stdin=slave,
                             stdout=slave, stderr=slave, start_new_session=True)
        self.procs.append(p)
        os.close(slave)
        out = b''
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the other side is closed
                    break
                if not data:
                    break
                out += data
            elif p.poll() is not None:
                break
        os.close(master)
        try:
            rc = p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait(2)
        return rc, out.decode('utf-8', 'replace').replace('\r\n', '\n')

    def cleanup(self):
        self.stop_procs()
        self.remove_tmp()


def FakeJail(world, name, current, limit_max, limit_high='max', unit=None):
    """A jail's cgroup directory, built aside and moved into the slice as a cgroup appears."""
    return vtest.FakeJail(world, unit or f'virtualing@{name}.service', current=current, limit_max=limit_max,
                          limit_high=limit_high, always_truncate=True)


class Monitor:
    """virtualing monitor [args] writing to a file, as in `virtualing monitor > log`."""

    def __init__(self, world, name, *args):
        self.w = world
        self.out = f'{world.tmp}/monitor-{name}.out'
        self.err = f'{world.tmp}/monitor-{name}.err'
        self.proc = world.spawn(world.priv() + [world.ctl, 'monitor'] + list(args), env=world.env(),
                                stdout=open(self.out, 'w'), stderr=open(self.err, 'w'), stdin=subprocess.DEVNULL)

    def lines(self):
        with open(self.out) as f:
            return f.read().splitlines()

    def wait_for(self, pattern, timeout=5, start=0):
        def find():
            return [line for line in self.lines()[start:] if re.search(pattern, line)]
        return wait_until(find, timeout)


ANSI = re.compile(r'\x1b\[[0-9;]*m')


def strip_ansi(s):
    return ANSI.sub('', s)


class Test:
    def __init__(self, w):
        self.w = w
        self.pk = None

    def setup(self):
        w = self.w
        w.start_bus()
        w.start_systemd()
        # web: running, with an address, a drop-in and a usage threshold; db: stopped;
        # bad: invalid; gone: masked
        w.write(f'{w.lib}/web.conf', '[Jail]\nRoot=/srv/web\nExec=/usr/sbin/httpd -X\n'
                '[Resources]\nMemoryMax=64M\n[Network]\nAddress=192.0.2.10/24\nAddress=2001:db8::10\nDevice=eth0\n'
                '[Events]\nUsageThreshold=60M\n')
        w.write(f'{w.etc}/web.conf.d/50-local.conf', '[Resources]\nTasksMax=100\n')
        w.write(f'{w.etc}/db.conf', '[Jail]\nRoot=/srv/db\nExec=/usr/bin/redis-server\n[Resources]\nMemoryMax=256M\n'
                'TasksMax=50\n[Network]\nAddress=192.0.2.20/32\nDevice=eth0\n')
        w.write(f'{w.etc}/bad.conf', '[Jail]\nRoot=/srv/bad\nExec=/bin/true\n[Resources]\nCPUQuota=30000\n')
        os.symlink('/dev/null', f'{w.etc}/gone.conf')
        os.symlink('/dev/null', f'{w.lib}/gone.conf')
        self.t_active = int(time.time() * 1e6) - 3600 * 10**6
        w.write_units({
            'virtualing@web.service': {'ActiveState': 'active', 'SubState': 'running', 'MainPID': 4242,
                                       'ActiveEnterTimestamp': self.t_active, 'FragmentPath': '/run/x',
                                       'MemoryMax': 64 * M, 'TasksMax': 100, 'CPUQuotaPerSecUSec': 500000,
                                       'MemoryCurrent': 40 * M},
            'virtualing@db.service': {'loaded': False, 'ActiveState': 'inactive', 'SubState': 'dead',
                                      'MemoryMax': 256 * M, 'TasksMax': 50},
        })
        self.web = FakeJail(w, 'web', current=52 * M, limit_max=64 * M)
        w.start_watcher()
        ok = wait_until(lambda: '/org/virtualing1/jail/web' in str(w.bus.call_blocking(
            'org.virtualing1', '/org/virtualing1', 'org.virtualing1.Manager', 'ListJails', '', (), timeout=10)), 10)
        if not ok:
            raise RuntimeError('the watcher did not see the jail web:\n' + w.watcher_log())
        # some history: 3 high and 1 max, seen by the watcher before the commands run
        self.web.bump(high=3, max=1)
        ok = wait_until(lambda: sum(int(v) for v in w.jail_prop('web', 'Events').values()) == 4, 5)
        if not ok:
            raise RuntimeError('the watcher did not count the events:\n' + w.watcher_log())

    # -- list --

    def list_plain(self):
        w = self.w
        rc, out, err = w.vctl('list')
        lines = out.splitlines()
        T.ok(rc == 0 and err == '', 'list exits 0, nothing on stderr', out + err)
        T.ok(ESC not in out, 'list piped: no escape sequences', repr(out))
        T.ok(lines and lines[0].split() == ['JAIL', 'STATE', 'SUB', 'MEMORY', 'MAX', 'VIP', 'EVENTS'],
             'list: a header JAIL STATE SUB MEMORY MAX VIP EVENTS', out)
        rows = {ln.split()[0]: ln.split() for ln in lines[1:] if ln.strip() and not ln.endswith('listed.')}
        T.ok(sorted(rows) == ['bad', 'db', 'web'], 'list: every jail, the masked one left out', out)
        T.ok(rows.get('web') == ['web', 'active', 'running', '52.0M', '64.0M', '192.0.2.10/24,2001:db8::10/128', '4'],
             'list: web active running, 52.0M of 64.0M, both addresses, 4 events', rows.get('web'))
        T.ok(rows.get('db') == ['db', 'inactive', 'dead', '-', '-', '192.0.2.20/32', '-'],
             'list: db inactive (not loaded in systemd), memory and events unknown', rows.get('db'))
        T.ok(rows.get('bad', [None, None])[1] == 'invalid', 'list: bad is "invalid"', rows.get('bad'))
        T.ok(lines and lines[-1] == '3 jails listed.' and lines[-2] == '', 'list: a footer "3 jails listed."', out)
        # the columns line up: each header starts where its column starts in every row
        header = lines[0]
        starts = [header.index(h) for h in ('STATE', 'SUB', 'VIP')]
        aligned = all(ln[s - 1] == ' ' and ln[s] != ' ' for ln in lines[1:4] for s in starts)
        ends = [header.index(h) + len(h) for h in ('MEMORY', 'MAX', 'EVENTS')]
        aligned = aligned and all(ln[e - 1] != ' ' and (e == len(ln) or ln[e] == ' ') for ln in lines[1:4]
                                  for e in ends)
        T.ok(aligned, 'list: left-aligned text columns, right-aligned numbers under their headers', out)
        calls = [c for c in w.calls() if c['call'] in ('GetUnit', 'LoadUnit')]
        T.ok(not any(c['call'] == 'LoadUnit' for c in calls) and
             {c['unit'] for c in calls} == {'virtualing@web.service', 'virtualing@db.service'},
             'list asks systemd with GetUnit, for the valid jails, and loads nothing', calls)
        rc, out2, _ = w.vctl('list', '--no-legend')
        T.ok(rc == 0 and len(out2.splitlines()) == 3 and 'JAIL' not in out2 and 'listed' not in out2,
             'list --no-legend: the rows only', out2)

    def list_json(self):
        w = self.w
        rc, out, err = w.vctl('list', '--json')
        try:
            data = json.loads(out)
        except ValueError as e:
            T.ok(False, 'list --json prints JSON', f'{e}\n{out}{err}')
            return
        T.ok(rc == 0 and isinstance(data, list) and [d['name'] for d in data] == ['bad', 'db', 'web'],
             'list --json: an array of the three jails, by name', out)
        keys = {'name', 'unit', 'file', 'state', 'sub_state', 'memory_current', 'memory_max', 'addresses', 'events'}
        T.ok(all(set(d) == keys for d in data), 'list --json: the same keys in every object', out)
        by = {d['name']: d for d in data}
        web = by.get('web', {})
        T.ok(web.get('state') == 'active' and web.get('sub_state') == 'running' and
             web.get('memory_current') == 52 * M and web.get('memory_max') == 64 * M and web.get('events') == 4 and
             web.get('addresses') == ['192.0.2.10/24', '2001:db8::10/128'] and
             web.get('unit') == 'virtualing@web.service' and web.get('file') == f'{w.lib}/web.conf',
             'list --json: web\'s values, numbers as numbers', web)
        db = by.get('db', {})
        T.ok(db.get('state') == 'inactive' and db.get('memory_current') is None and db.get('memory_max') is None and
             db.get('events') is None, 'list --json: db inactive, null for what is unknown', db)
        T.ok(by.get('bad', {}).get('state') == 'invalid', 'list --json: bad is "invalid"', by.get('bad'))

    def list_terminal(self):
        w = self.w
        rc, out = w.vctl_pty('list')
        T.diag('list on a terminal:\n' + out)
        lines = out.splitlines()
        plain = [strip_ansi(ln) for ln in lines]
        T.ok(rc == 0 and plain and plain[0].split() == ['JAIL', 'STATE', 'SUB', 'MEMORY', 'MAX', 'VIP', 'EVENTS'],
             'list on a terminal: the header', out)
        T.ok(lines and lines[0].startswith(UNDERLINE) and lines[0].endswith(NORMAL),
             'list on a terminal: the header is underlined', repr(lines[:1]))
        web = next((ln for ln in lines if strip_ansi(ln).startswith('web ')), '')
        bad = next((ln for ln in lines if strip_ansi(ln).startswith('bad ')), '')
        db = next((ln for ln in lines if strip_ansi(ln).startswith('db ')), '')
        T.ok(f'{GREEN}active{NORMAL}' in web and f'{GREEN}running{NORMAL}' in web,
             'list on a terminal: an active jail in green', repr(web))
        T.ok(f'{RED}invalid{NORMAL}' in bad, 'list on a terminal: an invalid jail in red', repr(bad))
        T.ok(GREEN not in db and RED not in db and ' inactive ' in strip_ansi(db),
             'list on a terminal: an inactive jail neither green nor red', repr(db))
        _, piped, _ = w.vctl('list')
        T.ok(plain == piped.splitlines(), 'list on a terminal: the same text as piped, colours aside',
             '\n'.join(plain) + '\n---\n' + piped)
        rc, out = w.vctl_pty('list', NO_COLOR='1')
        T.ok(rc == 0 and ESC not in out and 'web' in out, 'list on a terminal with $NO_COLOR: no colour', repr(out))

    def list_as_nobody(self):
        rc, out, err = self.w.vctl('list', '--json', user=NOBODY)
        try:
            web = {d['name']: d for d in json.loads(out)}['web']
        except (ValueError, KeyError):
            web = {}
        T.ok(rc == 0 and web.get('state') == 'active' and web.get('memory_current') == 52 * M,
             'list --json as nobody: systemd and the watcher answer (anyone may read)', out + err)

    # -- status --

    def status_running(self):
        w = self.w
        rc, out, err = w.vctl('status', 'web')
        T.diag('status web, piped:\n' + out)
        T.ok(rc == 0 and err == '' and ESC not in out, 'status web exits 0, plain when piped', out + err)
        want = [
            r'^● web - ',
            rf'^ +Loaded: {re.escape(w.lib)}/web\.conf$',
            rf'^ +Drop-In: {re.escape(w.etc)}/web\.conf\.d/50-local\.conf$',
            r'^ +Unit: virtualing@web\.service$',
            r'^ +Active: active \(running\) since \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$',
            r'^ +Main PID: 4242$',
            r'^ +Memory: 52\.0M \(max: 64\.0M\) \[watcher\]$',
            r'^ +CPU quota: 50\.0%$',
            r'^ +Tasks max: 100$',
            r'^ +Events: 4 \(high=3 max=1\)$',
            r'^ +Backend: cgroup v2$',
            r'^ +Address: 192\.0\.2\.10/24 on eth0$',
            r'^ +2001:db8::10/128 on eth0$',
        ]
        lines = out.splitlines()
        for pat in want:
            T.ok(any(re.search(pat, ln) for ln in lines), f'status web shows /{pat}/', out)
        # the labels line up on the colon, as systemctl status does
        colons = {ln.index(':') for ln in lines[1:] if re.match(r'^ +[A-Z][A-Za-z -]+: ', ln)}
        T.ok(len(colons) == 1, 'status web: the labels end in one column', out)

        rc, out, err = w.vctl('status', 'web', '--json')
        try:
            d = json.loads(out)
        except ValueError as e:
            T.ok(False, 'status web --json prints JSON', f'{e}\n{out}{err}')
            return
        events = {str(k): int(v) for k, v in w.jail_prop('web', 'Events').items()}
        T.ok(rc == 0 and d['active_state'] == 'active' and d['sub_state'] == 'running' and d['main_pid'] == 4242 and
             d['active_enter_timestamp'] == self.t_active and d['limits_source'] == 'watcher' and
             d['memory_current'] == 52 * M and d['memory_max'] == 64 * M and d['memory_high'] == U64_MAX and
             d['tasks_max'] == 100 and d['cpu_quota_per_sec_usec'] == 500000,
             'status web --json: state, MainPID, since, limits and usage from the watcher', d)
        T.ok(d['events'] == events and d['events']['high'] == 3, 'status web --json: events are the watcher\'s Events',
             (d['events'], events))
        T.ok(d.get('backend') == 'cgroup-v2', 'status web --json: backend "cgroup-v2" (the watcher\'s CgroupBackend)',
             d.get('backend'))
        T.ok(d['file'] == f'{w.lib}/web.conf' and d['dropins'] == [f'{w.etc}/web.conf.d/50-local.conf'] and
             d['valid'] is True and d['addresses'] == ['192.0.2.10/24', '2001:db8::10/128'] and d['device'] == 'eth0',
             'status web --json: files, addresses and device from the jail file', d)

    def status_stopped(self):
        w = self.w
        n = len(w.calls())
        rc, out, err = w.vctl('status', 'db')
        T.diag('status db, piped:\n' + out)
        lines = out.splitlines()
        T.ok(rc == 0 and any(re.match(r'^ +Active: inactive \(dead\)$', ln) for ln in lines),
             'status db: inactive (dead)', out + err)
        T.ok(any(re.match(r'^ +Memory: - \(max: 256\.0M\) \[systemd\]$', ln) for ln in lines) and
             any(re.match(r'^ +Tasks max: 50$', ln) for ln in lines) and not any('Main PID' in ln for ln in lines),
             'status db: the limits from systemd\'s unit properties, no Main PID', out)
        T.ok(any(re.match(r'^ +Events: - ', ln) for ln in lines), 'status db: no events (not watched)', out)
        calls = [c['call'] for c in w.calls()[n:] if c['call'] in ('GetUnit', 'LoadUnit')]
        T.ok(calls == ['GetUnit', 'LoadUnit'], 'status db: GetUnit, then LoadUnit for the unit not loaded', calls)
        rc, out, err = w.vctl('status', '--json', 'db')
        try:
            d = json.loads(out)
        except ValueError:
            d = {}
        T.ok(rc == 0 and d.get('active_state') == 'inactive' and d.get('limits_source') == 'systemd' and
             d.get('memory_max') == 256 * M and d.get('memory_current') is None and d.get('events') is None and
             d.get('main_pid') is None,
             'status --json db: inactive, limits from systemd, null for the unknown', out + err)

    def status_errors(self):
        w = self.w
        rc, out, err = w.vctl('status', 'nosuch')
        T.ok(rc == 4 and out == '' and 'No jail nosuch found' in err, 'status of an unknown jail exits 4', (rc, err))
        rc, out, err = w.vctl('status', 'gone')
        T.ok(rc == 4 and 'masked' in err, 'status of a masked jail exits 4', (rc, err))
        rc, out, err = w.vctl('status', '-bad-')
        T.ok(rc == 2, 'status of an invalid name exits 2', (rc, err))
        rc, out, err = w.vctl('status')
        T.ok(rc == 2 and 'expected exactly one jail name' in err, 'status without a name exits 2', (rc, err))
        rc, out, err = w.vctl('status', 'bad')
        T.ok(rc == 0 and re.search(r'Loaded: .*/bad\.conf \(invalid\)', out) and
             'CPUQuota=30000' in out, 'status of an invalid jail shows why', out + err)

    def status_terminal(self):
        w = self.w
        rc, out = w.vctl_pty('status', 'web')
        T.diag('status web on a terminal:\n' + out)
        lines = out.splitlines()
        T.ok(rc == 0 and lines and lines[0].startswith(f'{GREEN}●{NORMAL} web'),
             'status on a terminal: a green dot for an active jail', repr(lines[:1]))
        T.ok(any(re.search(rf'Active: {re.escape(GREEN)}active \(running\){re.escape(NORMAL)} since', ln)
                 for ln in lines), 'status on a terminal: the state in green', out)
        _, piped, _ = w.vctl('status', 'web')
        T.ok([strip_ansi(ln) for ln in lines] == piped.splitlines(),
             'status on a terminal: the same text as piped, colours aside', out + '---\n' + piped)
        rc, out = w.vctl_pty('status', 'bad')
        T.ok(out.startswith(f'{RED}●{NORMAL} bad') and f'{RED}invalid{NORMAL}' in out,
             'status on a terminal: an invalid jail in red', repr(out[:200]))

    # -- monitor and set-memory --

    def monitor_and_set_memory(self):
        w, web = self.w, self.web
        text = Monitor(w, 'text')
        js = Monitor(w, 'json', 'web', '--json')
        other = Monitor(w, 'db', 'db')
        # the monitors subscribe when they start: bump until both print (bounded)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (text.wait_for(r' web high ', 0.3) and js.wait_for('high', 0.01)):
            web.bump(high=1)
        T.ok(text.wait_for(r' web high ', 0.1) and js.wait_for('high', 0.1),
             'monitor and monitor web --json are subscribed (a high event reaches both)',
             open(text.err).read() + open(js.err).read())
        t0, j0 = len(text.lines()), len(js.lines())

        web.set_current(50 * M)
        web.bump(oom_kill=1)
        got = text.wait_for(r'^\d\d:\d\d:\d\d web oom_kill \+1 current=50\.0M max=64\.0M$', 5, t0)
        T.ok(got, 'monitor: "HH:MM:SS web oom_kill +1 current=50.0M max=64.0M" for a MemoryEvent',
             text.lines()[t0:])

        web.set_current(61 * M)
        web.bump(max=1)
        got = text.wait_for(r'^\d\d:\d\d:\d\d web usage up threshold=60\.0M current=61\.0M$', 5, t0)
        T.ok(got, 'monitor: "HH:MM:SS web usage up threshold=60.0M current=61.0M" for UsageThresholdCrossed',
             text.lines()[t0:])

        # set-memory as nobody: refused, nothing changes
        n_calls = len([c for c in w.calls() if c['call'] == 'SetUnitProperties'])
        rc, out, err = w.vctl('set-memory', 'web', '128M', user=NOBODY)
        # refused by the bus policy, the watcher or polkit: access denied, or (no terminal to ask
        # on) interactive authentication required
        T.ok(rc == 1 and out == '' and re.match(r'^(Access denied: .|Interactive authentication required\.$)', err) and
             'org.virtualing1.manage' in err and 'The limit of jail web was not changed.' in err,
             'set-memory as nobody: exit 1, refused, names the polkit action, says nothing changed', (rc, out, err))
        T.ok(web.read('memory.max') == str(64 * M) and
             len([c for c in w.calls() if c['call'] == 'SetUnitProperties']) == n_calls,
             'set-memory as nobody: memory.max unchanged, systemd not asked')

        # set-memory as root: through the watcher and systemd
        rc, out, err = w.vctl('set-memory', 'web', '128M')
        T.ok(rc == 0 and out == '' and err == 'MemoryMax of jail web set to 128.0M.\n',
             'set-memory web 128M as root exits 0, says "MemoryMax of jail web set to 128.0M." on stderr', (rc, out, err))
        sets = [c for c in w.calls() if c['call'] == 'SetUnitProperties']
        T.ok(sets and sets[-1]['unit'] == 'virtualing@web.service' and sets[-1]['runtime'] is True and
             sets[-1]['props'] == [['MemoryMax', 'UInt64', 128 * M]],
             'systemd got SetUnitProperties("virtualing@web.service", true, [("MemoryMax", <t 134217728>)])', sets[-1:])
        T.ok(web.read('memory.max') == str(128 * M), 'memory.max is 134217728 (written by the fake systemd)')
        got = text.wait_for(r'^\d\d:\d\d:\d\d web limit set max=64\.0M->128\.0M$', 5, t0)
        T.ok(got, 'monitor: "HH:MM:SS web limit set max=64.0M->128.0M" for MemoryLimitChanged', text.lines()[t0:])
        rc, out, _ = w.vctl('list', '--json')
        web_row = next((d for d in json.loads(out or '[]') if d['name'] == 'web'), {})
        T.ok(web_row.get('memory_max') == 128 * M, 'list shows the new limit', web_row)

        rc, out, err = w.vctl('set-memory', 'web', 'infinity', '-q')
        T.ok(rc == 0 and web.read('memory.max') == 'max', 'set-memory web infinity removes the limit', (rc, err))
        T.ok(out == '' and err == '', 'set-memory -q: nothing printed', (out, err))
        rc, _, err = w.vctl('--quiet', 'set-memory', 'web', '64M')
        T.ok(rc == 0 and web.read('memory.max') == str(64 * M) and err == '',
             'set-memory web 64M, --quiet before the command: nothing printed', (rc, err))

        # --json lines of the jail's monitor
        wait_until(lambda: len([ln for ln in js.lines()[j0:] if 'MemoryLimitChanged' in ln]) >= 3, 5)
        objs = []
        for ln in js.lines()[j0:]:
            try:
                objs.append(json.loads(ln))
            except ValueError:
                objs.append({'unparsable': ln})
        T.ok(objs and all('unparsable' not in o and o.get('jail') == 'web' and isinstance(o.get('timestamp'), int)
                          for o in objs), 'monitor web --json: one JSON object per line, each for web', objs)
        ev = [o for o in objs if o.get('signal') == 'MemoryEvent' and o.get('event') == 'oom_kill']
        T.ok(ev and ev[0]['count'] == 1 and ev[0]['memory_current'] == 50 * M and ev[0]['memory_max'] == 64 * M,
             'monitor --json: MemoryEvent oom_kill with count, memory_current, memory_max as numbers', ev)
        us = [o for o in objs if o.get('signal') == 'UsageThresholdCrossed']
        T.ok(us and us[0]['direction'] == 'up' and us[0]['threshold'] == 60 * M and us[0]['memory_current'] == 61 * M,
             'monitor --json: UsageThresholdCrossed with threshold, direction, memory_current', us)
        lc = [(o['old_max'], o['new_max'], o['reason']) for o in objs if o.get('signal') == 'MemoryLimitChanged']
        T.ok(lc == [(64 * M, 128 * M, 'set'), (128 * M, U64_MAX, 'set'), (U64_MAX, 64 * M, 'set')],
             'monitor --json: MemoryLimitChanged old_max, new_max, reason for each set-memory', lc)

        # a jail's removal and return
        t1 = len(text.lines())
        shutil.rmtree(web.dir)
        T.ok(text.wait_for(r'^\d\d:\d\d:\d\d web stopped$', 5, t1), 'monitor: "web stopped" when the jail goes',
             text.lines()[t1:])
        self.web = web = FakeJail(w, 'web', current=52 * M, limit_max=64 * M)
        T.ok(text.wait_for(r'^\d\d:\d\d:\d\d web started$', 5, t1), 'monitor: "web started" when it is back',
             text.lines()[t1:])

        T.ok(other.lines() == [], 'monitor db printed nothing of web\'s events', other.lines())
        for m, sig in ((text, signal.SIGINT), (js, signal.SIGTERM), (other, signal.SIGINT)):
            m.proc.send_signal(sig)
            try:
                rc = m.proc.wait(5)
            except subprocess.TimeoutExpired:
                rc = None
            T.ok(rc == 0, f'monitor ends with status 0 on {signal.Signals(sig).name}', (rc, open(m.err).read()))

    def adhoc(self):
        """A jail of `virtualing run FILE`: a scope the watcher watches, with no file in the search path."""
        w = self.w
        units = json.load(open(w.units_file))
        units['virtualing-adhoc.scope'] = {'ActiveState': 'active', 'SubState': 'running', 'TasksMax': 7}
        w.write_units(units)
        j = FakeJail(w, 'adhoc', current=3 * M, limit_max=32 * M, unit='virtualing-adhoc.scope')
        try:
            ok = wait_until(lambda: 'adhoc' in w.vctl('list', '--no-legend')[1], 5)
            rc, out, err = w.vctl('list', '--json')
            row = next((d for d in json.loads(out or '[]') if d['name'] == 'adhoc'), {})
            T.ok(ok and row.get('unit') == 'virtualing-adhoc.scope' and row.get('file') is None and
                 row.get('state') == 'active' and row.get('memory_max') == 32 * M and row.get('events') == 0,
                 'list: an ad hoc jail (a scope the watcher watches, no file) is listed with its scope', row)
            rc, out, err = w.vctl('status', 'adhoc')
            T.ok(rc == 0 and 'Loaded: no jail file' in out and 'Unit: virtualing-adhoc.scope' in out and
                 'Active: active (running)' in out and 'Tasks max: 7' in out and 'Main PID' not in out and
                 'Memory: 3.0M (max: 32.0M) [watcher]' in out,
                 'status of an ad hoc jail: its scope, state and memory', out + err)
        finally:
            shutil.rmtree(j.dir)
            wait_until(lambda: 'adhoc' not in w.vctl('list', '--no-legend')[1], 5)
        rc, out, err = w.vctl('status', 'adhoc')
        T.ok(rc == 4, 'status of the ad hoc jail once gone exits 4', (rc, out, err))

    def set_memory_errors(self):
        w = self.w
        for args, want_rc, want_err, desc in (
                (('web', 'lots'), 2, "'lots' is not a valid size", 'a bad size exits 2'),
                (('web', '0'), 2, "'0' is not a valid size", 'a size of 0 exits 2'),
                (('web',), 2, 'expected a jail name and a size', 'a missing size exits 2'),
                (('nosuch', '1G'), 4, 'No jail nosuch found', 'an unknown jail exits 4'),
                (('db', '1G'), 1, 'Jail db is not running', 'a stopped jail: exit 1, "not running"')):
            rc, out, err = w.vctl('set-memory', *args)
            T.ok(rc == want_rc and want_err in err, f'set-memory {" ".join(args)}: {desc}', (rc, out, err))

    def help_and_usage(self):
        w = self.w
        for verb in ('list', 'status', 'cat', 'verify', 'monitor', 'set-memory'):
            rc, out, err = w.vctl(verb, '--help')
            T.ok(rc == 0 and out.startswith(f'Usage: virtualing {verb}'), f'{verb} --help prints its usage', out + err)
        rc, out, _ = w.vctl('--help')
        T.ok(rc == 0 and all(v in out for v in ('list', 'status', 'monitor', 'set-memory')),
             'virtualing --help names every command', out)
        rc, _, err = w.vctl('list', '--bogus')
        T.ok(rc == 2 and '--bogus' in err, 'an unknown option exits 2', err)
        rc, _, err = w.vctl('status', 'web', '--no-ask-password')
        T.ok(rc == 2 and "status: unknown option '--no-ask-password'" in err, 'an option of another command exits 2',
             err)
        rc, _, err = w.vctl('--quiet', 'status', 'web')
        T.ok(rc == 2 and "status: unknown option '--quiet'" in err,
             'an option of another command before it exits 2 too', err)
        for verb, opts in (('list', ['[--json[=MODE]]', '[--no-legend]', '[--no-pager]']),
                           ('status', ['NAME', '[--json[=MODE]]', '[--no-legend]', '[--no-pager]']),
                           ('set-memory', ['NAME', 'SIZE', '[--no-pager]', '[-q]', '[--no-ask-password]'])):
            rc, out, _ = w.vctl(verb, '-h')
            T.ok(rc == 0 and out.splitlines()[0].split()[3:] == opts,
                 f'{verb} -h: the usage names its options: {" ".join(opts)}', out)

    # -- --json=MODE, --no-legend, the pager, --quiet: systemd's conventions --

    def json_modes(self):
        w = self.w
        for args in (('list',), ('status', 'web'), ('properties', 'web')):
            name = ' '.join(args)
            rc, short, err = w.vctl(*args, '--json=short')
            try:
                doc = json.loads(short)
            except ValueError:
                doc = None
            T.ok(rc == 0 and doc is not None and short.endswith('\n') and short.count('\n') == 1,
                 f'{name} --json=short: exactly one line, of JSON', short + err)
            rc, pretty, err = w.vctl(*args, '--json=pretty')
            try:
                same = json.loads(pretty) == doc
            except ValueError:
                same = False
            T.ok(rc == 0 and same and pretty.count('\n') > 3 and re.search(r'\n\t+"', pretty) and '" : ' in pretty,
                 f'{name} --json=pretty: several indented lines, the same document', short + pretty + err)
            rc, plain, _ = w.vctl(*args, '--json')
            T.ok(rc == 0 and plain == short, f'{name} --json on a pipe: short', plain)
            rc, out = w.vctl_pty(*args, '--json')
            try:
                same = json.loads(out) == doc
            except ValueError:
                same = False
            T.ok(rc == 0 and same and out.count('\n') > 3, f'{name} --json on a terminal: pretty', out)
            rc, off, _ = w.vctl(*args, '--json=off')
            _, text, _ = w.vctl(*args)
            T.ok(rc == 0 and off == text and off[:1] not in ('{', '['), f'{name} --json=off: the text output', off)
            rc, out, err = w.vctl(*args, '--json=bogus')
            T.ok(rc == 2 and out == '' and
                 f"{args[0]}: invalid --json= mode 'bogus'; expected short, pretty or off." in err,
                 f'{name} --json=bogus: exit 2, names the option and the modes', (rc, out, err))
        rc, out, err = w.vctl('--json=short', 'list')
        T.ok(rc == 0 and out == w.vctl('list', '--json=short')[1], '--json=short before the command', out + err)
        rc, out, err = w.vctl('monitor', 'web', '--json=bogus')
        T.ok(rc == 2 and "monitor: invalid --json= mode 'bogus'" in err, 'monitor --json=bogus: exit 2', (rc, err))
        rc, out, err = w.vctl('--json=', 'list')
        T.ok(rc == 2 and "Invalid --json= mode ''" in err, '--json= (empty) before the command: exit 2', (rc, err))

    def monitor_json_modes(self):
        w, web = self.w, self.web
        short = Monitor(w, 'short', 'web', '--json=short')
        pretty = Monitor(w, 'pretty', '--json=pretty', 'web')
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (short.wait_for('"high"', 0.3) and
                                                   pretty.wait_for('"event" : "high"', 0.01)):
            web.bump(high=1)
        web.bump(oom=1)
        got = short.wait_for('"oom"', 5) and pretty.wait_for('"event" : "oom"', 5)

        def stream(path):
            objs, text = [], open(path).read()
            dec, i = json.JSONDecoder(), 0
            while i < len(text):
                if text[i].isspace():
                    i += 1
                    continue
                o, i = dec.raw_decode(text, i)
                objs.append(o)
            return objs, text
        try:
            s_objs = [json.loads(ln) for ln in short.lines()]
            p_objs, p_text = stream(pretty.out)
        except ValueError as e:
            T.ok(False, 'monitor --json=short and --json=pretty print JSON', e)
            return
        T.ok(got and s_objs and all(o.get('jail') == 'web' for o in s_objs),
             'monitor --json=short: one JSON object a line', short.lines())
        T.ok(p_objs and p_text.count('\n') >= 5 * len(p_objs) and p_text.startswith('{\n\t"time" : '),
             'monitor --json=pretty: each event an indented object over several lines', p_text[-600:])

        def last_oom(objs):
            o = [dict(x) for x in objs if x.get('event') == 'oom']
            for x in o:
                x.pop('time', None)
                x.pop('timestamp', None)
            return o[-1:]
        T.ok(last_oom(s_objs) and last_oom(s_objs) == last_oom(p_objs),
             'monitor: the same event in both modes (time aside)', (last_oom(s_objs), last_oom(p_objs)))
        for m in (short, pretty):
            m.proc.send_signal(signal.SIGINT)
            try:
                rc = m.proc.wait(5)
            except subprocess.TimeoutExpired:
                rc = None
            T.ok(rc == 0, 'monitor --json=MODE ends with status 0 on SIGINT', rc)

    def legend(self):
        w = self.w
        rc, out, _ = w.vctl('list', '--no-legend')
        _, full, _ = w.vctl('list')
        T.ok(rc == 0 and [ln.split() for ln in out.splitlines()] == [ln.split() for ln in full.splitlines()[1:4]] and
             full.splitlines()[4:] == ['', '3 jails listed.'],
             'list --no-legend: the rows of list, no header, no empty line, no footer', out + '---\n' + full)
        rc, out = w.vctl_pty('monitor', timeout=1.5)
        T.ok('Monitoring every jail; press Ctrl-C to stop.' in out, 'monitor on a terminal: its legend line', out)
        rc, out = w.vctl_pty('monitor', '--no-legend', timeout=1.5)
        T.ok('Monitoring' not in out and 'unknown option' not in out, 'monitor --no-legend: without it', out)
        # the others have no legend: taken, and the output is the same
        for args in (('status', 'web'), ('cat', 'web'), ('verify', 'web'), ('properties', 'web')):
            with_legend, without = w.vctl(*args), w.vctl(*args, '--no-legend')
            T.ok(without[0] == with_legend[0] and without[1] == with_legend[1] and 'unknown option' not in without[2],
                 f'{args[0]} --no-legend: taken, the same output', (with_legend, without))

    def pager(self):
        w = self.w
        mark = 'sed s/^/P:/'
        w.write(w.tmp + '/pager-env', '#!/bin/sh\necho "LESS=${LESS-unset}"\ncat >/dev/null\n', 0o755)
        # the printing commands, each with its own output (stdout) or problems (stderr, the terminal too)
        cases = (('list',), ('status', 'web'), ('cat', 'web'), ('properties', 'web'), ('verify', 'bad'),
                 ('list', '--json=pretty'))
        for args in cases:
            name = ' '.join(args)
            rc, out = w.vctl_pty(*args, VIRTUALING_PAGER=mark)
            lines = out.splitlines()
            T.ok(lines and all(ln.startswith('P:') for ln in lines),
                 f'{name} on a terminal: every line through $VIRTUALING_PAGER ({mark})', out)
            rc2, out2 = w.vctl_pty(*args, '--no-pager', VIRTUALING_PAGER=mark)
            T.ok(rc2 == rc and out2 and 'P:' not in out2 and [ln[2:] for ln in lines] == out2.splitlines(),
                 f'{name} --no-pager on a terminal: the same lines, straight to it', out2)
            rc3, out3, err3 = w.vctl(*args, VIRTUALING_PAGER=mark)
            T.ok(rc3 == rc and 'P:' not in out3 + err3, f'{name} on a pipe: no pager', out3 + err3)
        rc, out = w.vctl_pty('list', VIRTUALING_PAGER=mark)
        T.ok(out.startswith('P:' + UNDERLINE + 'JAIL') and f'{GREEN}active{NORMAL}' in out,
             'list through the pager: still coloured (decided for the terminal)', repr(out[:200]))
        rc, out = w.vctl_pty('list', VIRTUALING_PAGER=None, SYSTEMD_PAGER='sed s/^/S:/', PAGER='sed s/^/Q:/')
        T.ok(out.startswith('S:'), 'without $VIRTUALING_PAGER: $SYSTEMD_PAGER', out[:100])
        rc, out = w.vctl_pty('list', VIRTUALING_PAGER=None, PAGER='sed s/^/Q:/')
        T.ok(out.startswith('Q:'), 'without either: $PAGER', out[:100])
        for value in ('', 'cat', ' '):
            rc, out = w.vctl_pty('list', VIRTUALING_PAGER=value, PAGER='sed s/^/Q:/')
            T.ok(rc == 0 and out.startswith(UNDERLINE + 'JAIL'), f'$VIRTUALING_PAGER={value!r}: no pager', out[:100])
        rc, out = w.vctl_pty('list', VIRTUALING_PAGER=w.tmp + '/pager-env')
        T.ok(out.strip() == 'LESS=FRXMK', 'the pager gets LESS=FRXMK when $LESS is not set', out)
        rc, out = w.vctl_pty('list', VIRTUALING_PAGER=w.tmp + '/pager-env', LESS='-S')
        T.ok(out.strip() == 'LESS=-S', 'a $LESS of the user is kept', out)
        # no pager to be found: printed straight to the terminal
        os.makedirs(w.tmp + '/bin', exist_ok=True)
        if not os.path.exists(w.tmp + '/bin/setpriv'):
            os.symlink(shutil.which('setpriv'), w.tmp + '/bin/setpriv')
        rc, out = w.vctl_pty('list', VIRTUALING_PAGER='/nonexistent/pager -x', PATH=w.tmp + '/bin')
        T.ok(rc == 0 and out.startswith(UNDERLINE + 'JAIL') and out.rstrip().endswith('3 jails listed.'),
             'no pager can be started (neither $VIRTUALING_PAGER nor less nor more): printed directly', out)
        # monitor and set-memory never page (one follows events, the other may ask for a password)
        rc, out = w.vctl_pty('monitor', timeout=1.5, VIRTUALING_PAGER=mark)
        T.ok('Monitoring every jail' in out and 'P:' not in out, 'monitor on a terminal: no pager', out)
        rc, out = w.vctl_pty('monitor', '--no-pager', timeout=1.5, VIRTUALING_PAGER=mark)
        T.ok('Monitoring every jail' in out and 'unknown option' not in out, 'monitor --no-pager is taken', out)
        rc, out = w.vctl_pty('set-memory', 'web', '64M', VIRTUALING_PAGER=mark)
        T.ok(rc == 0 and out == 'MemoryMax of jail web set to 64.0M.\n', 'set-memory on a terminal: no pager', out)
        rc, out, err = w.vctl('set-memory', '--no-pager', 'web', '64M')
        T.ok(rc == 0 and err.startswith('MemoryMax of jail web'), 'set-memory --no-pager is taken', (rc, err))

    def quiet(self):
        w = self.w
        rc, out, err = w.vctl('verify', '-q', 'bad')
        T.ok(rc == 1 and out == '' and err == '', 'verify -q of an invalid jail: exit 1, nothing printed', (out, err))
        rc, out, err = w.vctl('verify', 'bad')
        T.ok(rc == 1 and 'CPUQuota=30000' in err, 'verify without -q: the problem', err)
        rc, out, err = w.vctl('verify', '--quiet')
        T.ok(rc == 1 and out == '' and err == '', 'verify --quiet of every jail: exit 1 (bad), nothing printed', err)
        rc, out, err = w.vctl('-q', 'verify', 'web', 'db')
        T.ok(rc == 0 and out == '' and err == '', '-q verify of valid jails: exit 0', err)
        rc, out, err = w.vctl('verify', '-q', 'nosuch')
        T.ok(rc == 4 and 'No jail nosuch found' in err, 'verify -q of an unknown jail: exit 4, still says so', err)
        rc, out, err = w.vctl('list', '-q')
        T.ok(rc == 2 and "list: unknown option '-q'" in err, 'list takes no -q: exit 2', err)

    # -- set-memory and polkit: the client's side --

    def polkit_client(self):
        w = self.w
        pk = self.pk = PolkitWorld(w)
        pk.start()

        def call(*args, pty=False, user=None, mode='ok', **env):
            pk.clear()
            pk.set_mode(mode)
            if pty:
                rc, out = w.vctl_pty(*args, user=user, **pk.env(**env))
                err = out
            else:
                rc, out, err = w.vctl(*args, user=user, **pk.env(**env))
            return rc, out, err, pk.set_memory_call(), pk.agents()

        rc, out, err, c, agents = call('set-memory', 'web', '128M')
        T.ok(rc == 0 and c.get('args') == [128 * M] and c.get('interactive') is False and agents == [],
             'set-memory on a pipe: SetMemoryMax without ALLOW_INTERACTIVE_AUTHORIZATION, no agent', (rc, err, c))
        gj = [x for x in pk.calls() if x['call'] == 'GetJail']
        T.ok(gj and not any(x['interactive'] for x in gj), 'GetJail is never interactive', gj)
        rc, out, err, c, agents = call('set-memory', 'web', '128M', pty=True)
        T.ok(rc == 0 and c.get('interactive') is True, 'set-memory on a terminal: ALLOW_INTERACTIVE_AUTHORIZATION set',
             (rc, err, c))
        T.ok(agents == [], 'as root on a terminal: no polkit agent (root needs none)', agents)
        for args, desc in ((('set-memory', 'web', '128M', '--no-ask-password'), 'set-memory … --no-ask-password'),
                           (('--no-ask-password', 'set-memory', 'web', '128M'), '--no-ask-password set-memory …')):
            rc, out, err, c, agents = call(*args, pty=True)
            T.ok(rc == 0 and c.get('interactive') is False and agents == [],
                 f'{desc} on a terminal: not interactive, no agent', (rc, err, c, agents))

        # as nobody on a terminal: the agent runs while the call is made, and is gone after
        rc, out, err, c, agents = call('set-memory', 'web', '1G', pty=True, user=NOBODY)
        a = agents[0] if agents else {}
        T.ok(rc == 0 and c.get('interactive') is True and len(agents) == 1,
             'set-memory as nobody on a terminal: interactive, one agent started', (rc, err, c, agents))
        T.ok(a.get('args', [''])[0] == '--notify-fd' and a.get('args', [])[2:] == ['--fallback'] and
             a.get('fd_open') is True and a.get('uid') == NOBODY and a.get('stdin_tty') is True,
             'the agent: pkttyagent --notify-fd N --fallback, N open in it, on the terminal, as the user', a)
        T.ok(a and set(a.get('open_fds', [])) == {0, 1, 2, int(a['args'][1])},
             'the agent inherits stdio and the notify descriptor only', a.get('open_fds'))
        T.ok(a and c.get('agents') == [a['pid']], 'the agent was running when SetMemoryMax came', c)
        T.ok(a.get('ended') is True and a.get('alive') is False, 'then it was ended (SIGTERM) and reaped', a)
        rc, out, err, c, agents = call('set-memory', 'web', '1G', user=NOBODY)
        T.ok(rc == 0 and c.get('interactive') is False and agents == [],
             'set-memory as nobody on a pipe: not interactive, no agent', (rc, err, c, agents))
        rc, out, err, c, agents = call('set-memory', 'web', '1G', '--no-ask-password', pty=True, user=NOBODY)
        T.ok(rc == 0 and c.get('interactive') is False and agents == [],
             'set-memory --no-ask-password as nobody on a terminal: not interactive, no agent', (rc, err, c, agents))
        rc, out, err, c, agents = call('set-memory', 'web', '1G', pty=True, user=NOBODY,
                                       VIRTUALING_PKTTYAGENT=pk.tmp + '/no-such-agent')
        T.ok(rc == 0 and c.get('interactive') is True and agents == [],
             'no pkttyagent installed: still interactive (another agent may answer)', (rc, err, c))

        # the refusals
        rc, out, err, c, _ = call('set-memory', 'web', '1G', mode='denied', user=NOBODY)
        lines = err.splitlines()
        T.ok(rc == 1 and out == '' and lines[:1] == ['Access denied: Not authorized by polkit (fake).'],
             'AccessDenied: exit 1, "Access denied: " and the watcher\'s message', (rc, out, err))
        T.ok(len(lines) == 2 and 'org.virtualing1.manage' in lines[1] and 'virtualing(1)' in lines[1] and
             lines[1].endswith('The limit of jail web was not changed.'),
             'AccessDenied: a hint naming the polkit action and virtualing(1), and that nothing changed', err)
        rc, out, err, c, _ = call('set-memory', 'web', '1G', mode='interactive', user=NOBODY)
        lines = err.splitlines()
        T.ok(rc == 1 and out == '' and lines[:1] == ['Interactive authentication required.'] and len(lines) == 2 and
             '--no-ask-password' in lines[1] and 'terminal' in lines[1] and
             lines[1].endswith('The limit of jail web was not changed.'),
             'InteractiveAuthorizationRequired: exit 1, says so, how to authenticate, nothing changed', (rc, err))
        rc, out, err, c, _ = call('set-memory', 'web', '1G', '-q', mode='denied', user=NOBODY)
        T.ok(rc == 1 and err.startswith('Access denied: '), 'set-memory -q: a refusal is still reported', err)
        rc, out, err, c, _ = call('set-memory', 'web', '1G', pty=True, mode='interactive')
        T.ok(rc == 1 and 'Interactive authentication required.' in err and c.get('interactive') is True,
             'on a terminal too: the refusal reported, exit 1', (rc, err))

    def completion(self):
        w = self.w
        script = os.path.join(w.srcdir, 'src', 'ctl', 'virtualing.bash-completion')

        def complete(line):
            words = line.split(' ')
            prog = (f'source {script!r}\nCOMP_WORDS=({" ".join(repr(x) for x in words)})\n'
                    f'COMP_CWORD={len(words) - 1}\n_virtualing\nprintf "%s\\n" "${{COMPREPLY[@]}}"\n')
            p = subprocess.run(['bash', '--norc', '--noprofile', '-c', prog], env=w.env(), capture_output=True,
                               text=True, timeout=10)
            return sorted(x for x in p.stdout.splitlines() if x)

        got = complete('virtualing ')
        T.ok(got == sorted(['list', 'status', 'cat', 'verify', 'properties', 'monitor', 'set-memory', 'run']),
             'completion: the commands', got)
        got = complete('virtualing --')
        T.ok(got == sorted(['--help', '--version', '--no-ask-password', '--no-pager', '--json', '--json=',
                            '--no-legend', '--quiet']), 'completion: the options before a command', got)
        got = complete('virtualing status ')
        T.ok(got == ['bad', 'db', 'web'], 'completion: jail names for status, the masked one left out', got)
        got = complete('virtualing set-memory w')
        T.ok(got == ['web'], 'completion: a jail name for set-memory', got)
        got = complete('virtualing --no-pager status --json = pretty w')
        T.ok(got == ['web'], 'completion: options (--json = MODE split at "=") do not count as arguments', got)
        want = {'list': ['--help', '--json', '--json=', '--no-legend', '--no-pager'],
                'status': ['--help', '--json', '--json=', '--no-legend', '--no-pager'],
                'cat': ['--help', '--no-legend', '--no-pager'],
                'verify': ['--help', '--no-legend', '--no-pager', '--quiet'],
                'properties': ['--help', '--json', '--json=', '--no-legend', '--no-pager'],
                'monitor': ['--help', '--json', '--json=', '--no-legend', '--no-pager'],
                'set-memory': ['--help', '--no-ask-password', '--no-pager', '--quiet'],
                'run': ['--help', '--no-pager', '--quiet']}
        for verb, opts in want.items():
            got = complete(f'virtualing {verb} --')
            T.ok(got == opts, f'completion: the options of {verb}', got)
        got = complete('virtualing set-memory web 1G --no')
        T.ok(got == ['--no-ask-password', '--no-pager'], 'completion: options after set-memory\'s arguments', got)
        got = complete('virtualing list --json=')
        T.ok(got == ['--json=off', '--json=pretty', '--json=short'], 'completion: the modes of --json= (one word)', got)
        got = complete('virtualing list --json = p')
        T.ok(got == ['pretty'], 'completion: the modes of --json= ("=" a word of its own)', got)
        got = complete('virtualing list --json =')
        T.ok(got == ['off', 'pretty', 'short'], 'completion: every mode right after "--json="', got)

    def without_watcher(self):
        w = self.w
        w.stop_watcher()
        rc, out, err = w.vctl('list')
        rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[1:4]}
        T.ok(rc == 0 and rows.get('web') == ['web', 'active', 'running', '-', '-', '192.0.2.10/24,2001:db8::10/128',
                                             '-'] and 'watcher (org.virtualing1) is not running' in out,
             'list without the watcher: memory and events "-", and a note', out + err)
        rc, out, err = w.vctl('status', 'web', '--json')
        try:
            d = json.loads(out)
        except ValueError:
            d = {}
        T.ok(rc == 0 and d.get('limits_source') == 'systemd' and d.get('memory_max') == 64 * M and
             d.get('memory_current') == 40 * M and d.get('events') is None,
             'status without the watcher: usage and limits from systemd\'s unit properties', out + err)
        rc, out, err = w.vctl('set-memory', 'web', '1G')
        T.ok(rc == 1 and 'watcher (org.virtualing1) is not running' in err,
             'set-memory without the watcher: exit 1, says so', (rc, err))
        # a monitor started before the watcher prints its events once it runs
        mon = Monitor(w, 'early')
        time.sleep(0.3)  # the monitor's AddMatch is done long before (nothing to wait on without the watcher)
        w.start_watcher()
        T.ok(mon.wait_for(r'^\d\d:\d\d:\d\d web started$', 5),
             'monitor started before the watcher: "web started" when the watcher finds the running jail',
             (mon.lines(), open(mon.err).read()))
        self.web.bump(oom=2)
        T.ok(mon.wait_for(r' web oom \+2 current=52\.0M max=64\.0M$', 5),
             'monitor started before the watcher: then its events', mon.lines())
        mon.proc.send_signal(signal.SIGINT)
        try:
            rc = mon.proc.wait(5)
        except subprocess.TimeoutExpired:
            rc = None
        T.ok(rc == 0, 'monitor ends with status 0 on SIGINT', rc)


def main():
    if len(sys.argv) != 4:
        print('usage: test-ctl-bus.py VIRTUALING WATCHER SOURCE-DIR', file=sys.stderr)
        return 2
    ctl, watcher, srcdir = (os.path.abspath(a) for a in sys.argv[1:])
    reason = vtest.skip_unless('a fake systemd owning its name, a non-root client via setpriv',
                               ('dbus-daemon', 'setpriv'))
    if reason:
        print(f'1..0 # SKIP {reason}')
        return 0
    for b in (ctl, watcher):
        if not os.access(b, os.X_OK):
            print(f'Bail out! {b} is not executable')
            return 1
    os.umask(0o022)
    vtest.arm_alarm(100)

    t_start = time.monotonic()
    world = World(ctl, watcher, srcdir)
    test = Test(world)

    def finish():
        if T.failed:
            T.diag('watcher log (tail):\n' + world.watcher_log()[-3000:])
        if test.pk is not None:
            test.pk.stop_procs()
            test.pk.remove_tmp()
        world.cleanup()

    sections = [('list', test.list_plain), ('list --json', test.list_json),
                ('list on a terminal', test.list_terminal), ('list as nobody', test.list_as_nobody),
                ('status of a running jail', test.status_running),
                ('status of a stopped jail', test.status_stopped), ('status errors', test.status_errors),
                ('status on a terminal', test.status_terminal),
                ('monitor and set-memory', test.monitor_and_set_memory),
                ('an ad hoc jail', test.adhoc), ('set-memory errors', test.set_memory_errors),
                ('--help', test.help_and_usage), ('--json=MODE', test.json_modes),
                ('monitor --json=MODE', test.monitor_json_modes), ('--no-legend', test.legend),
                ('the pager', test.pager), ('--quiet', test.quiet),
                ('set-memory and polkit (the client)', test.polkit_client), ('bash completion', test.completion),
                ('without the watcher', test.without_watcher)]
    return vtest.run_sections(T, t_start, test.setup, 'setup: private bus, fake systemd, watcher, jails', sections,
                              finish)


if __name__ == '__main__':
    sys.exit(main())
