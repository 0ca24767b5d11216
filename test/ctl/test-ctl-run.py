#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# virtualing run NAME|FILE against a private system-like bus with a fake systemd
# (python3-dbus: Subscribe, StartTransientUnit, JobRemoved), in a network namespace with a
# veth for the jail's addresses (documentation addresses only). The jail itself is built
# for real by the helper's code. TAP on stdout.
#
# usage: test-ctl-run.py VIRTUALING GENERATOR SOURCE-DIR   (as root)
#
# The test re-executes itself inside `unshare -m --propagation private`, so no mount (the
# work tmpfs, the jails' trees, ip netns' bind mounts) can reach the host. Every process
# started runs under `setpriv --pdeathsig KILL` or is killed at the end; every wait is
# bounded.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import vtest  # noqa: E402
from vtest import NOBODY, U64_MAX, wait_until  # noqa: E402

vtest.reexec_with_system_python(__file__)

import re  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

VIP4, VIP6 = '192.0.2.30/24', '2001:db8::30/64'

T = vtest.Tap()


BUS_CONF = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
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
  </policy>
  <policy user="root">
    <allow own="org.freedesktop.systemd1"/>
    <allow send_destination="org.freedesktop.systemd1"/>
  </policy>
</busconfig>
'''

# The fake systemd: Subscribe and StartTransientUnit, logged to calls.jsonl with every
# property's D-Bus type. mode.txt (re-read on each call) says what StartTransientUnit does:
# "done" (a job whose JobRemoved says "done"), "failed" (the same with "failed"), "error"
# (an error reply), "hang" (a job that never ends). Before the job's own JobRemoved, one of an unrelated job is emitted.
FAKE_SYSTEMD = r'''
import sys, json
import dbus, dbus.bus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
address, mode_path, log_path = sys.argv[1:4]
bus = dbus.bus.BusConnection(address)

def log(**rec):
    with open(log_path, "a") as f:
        f.write(json.dumps(rec) + "\n")

BASIC = ((dbus.Boolean, "b"), (dbus.Byte, "y"), (dbus.Int16, "n"), (dbus.UInt16, "q"), (dbus.Int32, "i"),
         (dbus.UInt32, "u"), (dbus.Int64, "x"), (dbus.UInt64, "t"), (dbus.Double, "d"),
         (dbus.ObjectPath, "o"), (dbus.Signature, "g"), (dbus.String, "s"))

def sig(v):
    for cls, s in BASIC:
        if isinstance(v, cls):
            return s
    if isinstance(v, dbus.Dictionary):
        return "a{" + v.signature + "}"
    if isinstance(v, dbus.Array):
        return "a" + v.signature
    if isinstance(v, dbus.Struct):
        return "(" + "".join(sig(x) for x in v) + ")"
    return "?" + type(v).__name__

def plain(v):
    if isinstance(v, (dbus.Array, dbus.Struct, list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dbus.Dictionary):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (dbus.Boolean,)):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    return str(v)

class Manager(dbus.service.Object):
    job_id = 100

    @dbus.service.method("org.freedesktop.systemd1.Manager", in_signature="", out_signature="",
                         sender_keyword="sender")
    def Subscribe(self, sender=None):
        log(call="Subscribe", sender=str(sender))

    @dbus.service.method("org.freedesktop.systemd1.Manager", in_signature="ssa(sv)a(sa(sv))", out_signature="o",
                         sender_keyword="sender")
    def StartTransientUnit(self, name, mode, props, aux, sender=None):
        with open(mode_path) as f:
            how = f.read().strip()
        log(call="StartTransientUnit", sender=str(sender), name=str(name), mode=str(mode),
            props=[[str(k), sig(v), plain(v)] for k, v in props], aux=plain(aux), how=how)
        if how == "error":
            raise dbus.exceptions.DBusException("Unit %s already exists." % name,
                                                name="org.freedesktop.systemd1.UnitExists")
        Manager.job_id += 1
        jid = Manager.job_id
        job = dbus.ObjectPath("/org/freedesktop/systemd1/job/%d" % jid)

        def finish():
            # a job of someone else first: only the one returned counts
            self.JobRemoved(dbus.UInt32(jid + 1000), dbus.ObjectPath("/org/freedesktop/systemd1/job/%d" % (jid + 1000)),
                            "other.service", "failed" if how == "done" else "done")
            self.JobRemoved(dbus.UInt32(jid), job, name, how)
            return False
        if how != "hang":
            GLib.timeout_add(30, finish)
        return job

    @dbus.service.signal("org.freedesktop.systemd1.Manager", signature="uoss")
    def JobRemoved(self, jid, job, unit, result):
        pass

Manager(bus, "/org/freedesktop/systemd1")
r = bus.request_name("org.freedesktop.systemd1", dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
if r != dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER:
    sys.exit("could not own org.freedesktop.systemd1")
print("READY", flush=True)
GLib.MainLoop().run()
'''

# The jailed command: where it runs, then what /out/mode asks.
JOB_SH = r'''#!/bin/sh
echo $$ >/out/pid
if [ -e /marker-in-jail ]; then echo in-jail >/out/where; else echo outside >/out/where; fi
while read -r _ _ _ root mp _; do [ "$mp" = / ] && echo "$root" >/out/rootline; done </proc/self/mountinfo
wait_for() { i=0; while [ ! -e "$1" ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done; }
case $(cat /out/mode) in
exit3) touch /out/started; wait_for /out/go; exit 3 ;;
exit0) touch /out/started; exit 0 ;;
trap) trap 'echo INT >/out/got; exit 42' INT; touch /out/started; wait_for /out/never; exit 0 ;;
notrap) touch /out/started; wait_for /out/never; exit 0 ;;
esac
exit 99
'''

JAIL_RESOURCES = '''[Resources]
CPUQuota=12.5%
MemoryMax=512M
MemoryGrowStep=64M
MemoryGrowLimit=1G
MemorySwapMax=0
TasksMax=64
IOReadBandwidthMax=202:0 10M
IOWriteBandwidthMax=202:0 5M
IOReadIOPSMax=202:0 1000
IOWriteIOPSMax=202:0 infinity
IOWriteIOPSMax=/dev/null 7
'''

RESOURCE_KEY = re.compile(r'^(CPU|Memory|Tasks|IO|Startup|Allowed|Device|IP|Delegate|ManagedOOM|Slice)')


def expected_properties(conf_text):
    """The generator's [Service] resource lines as StartTransientUnit's (name, type, value),
    read as systemd reads them."""
    props, io = [], {}
    section = None
    for line in conf_text.splitlines():
        line = line.strip()
        if line.startswith('['):
            section = line
            continue
        if section != '[Service]' or '=' not in line:
            continue
        key, value = line.split('=', 1)
        if not RESOURCE_KEY.match(key):
            continue
        if key == 'CPUQuota':
            m = re.fullmatch(r'(\d+)(?:\.(\d\d))?%', value)
            permyriad = int(m.group(1)) * 100 + int(m.group(2) or 0)
            props.append(['CPUQuotaPerSecUSec', 't', permyriad * 100])
        elif key in ('MemoryMax', 'MemoryHigh', 'MemorySwapMax', 'TasksMax', 'MemoryLow', 'MemoryMin'):
            props.append([key, 't', U64_MAX if value == 'infinity' else int(value)])
        elif key.startswith('IO') and key.endswith('Max'):
            dev, v = shlex.split(value)
            if key not in io:
                io[key] = [key, 'a(st)', {}]
                props.append(io[key])
            io[key][2].pop(dev, None)  # systemd keeps the last limit of a device, in its place
            io[key][2][dev] = U64_MAX if v == 'infinity' else int(v)
        else:
            props.append([key, '?unknown to this test', value])
    # as systemd has them: a limit of infinity is no limit, a property without one is not sent
    for key, entry in list(io.items()):
        entry[2] = [[d, v] for d, v in entry[2].items() if v != U64_MAX]
        if not entry[2]:
            props.remove(entry)
    return props


class World(vtest.World):
    def __init__(self, ctl, generator):
        import dbus
        import dbus.bus
        self.dbus = dbus
        self.ctl, self.generator = ctl, generator
        self.ns = None
        self.work = tempfile.mkdtemp(prefix='virtualing-run-test.')  # self.tmp too
        super().__init__(self.work, self.work + '/calls.jsonl')
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', self.work], check=True)
        self.etc = self.work + '/etc'
        self.adhoc = self.work + '/adhoc'
        self.root = self.work + '/root'
        self.out = self.work + '/out'
        self.runtime = self.work + '/run'
        for d in (self.etc, self.etc + '/web.conf.d', self.adhoc + '/batch1.conf.d', self.root, self.out,
                  self.runtime, self.busdir):
            os.makedirs(d, mode=0o755, exist_ok=True)
        self.mode_file = self.work + '/mode.txt'
        open(self.calls_file, 'w').close()
        self.set_mode('done')

    def set_mode(self, how):
        self.write(self.mode_file, how + '\n')

    def env(self, **over):
        e = dict(os.environ)
        e.update(DBUS_SYSTEM_BUS_ADDRESS=self.address, VIRTUALING_CONFIG_PATH=self.etc,
                 VIRTUALING_RUNTIME_DIR=self.runtime, LC_ALL='C.UTF-8')
        e.update(over)
        return {k: v for k, v in e.items() if v is not None}

    def start_bus(self):
        self.start_dbus(BUS_CONF)

    def start_systemd(self):
        self.start_fake_systemd(FAKE_SYSTEMD, self.mode_file, self.calls_file)

    def start_netns(self):
        self.ns = f'vl-run-{os.getpid()}'
        subprocess.run(['ip', 'netns', 'add', self.ns], check=True)
        for cmd in (['link', 'add', 'vr0', 'type', 'veth', 'peer', 'name', 'vr1'],
                    ['link', 'set', 'vr0', 'addrgenmode', 'none'], ['link', 'set', 'vr1', 'addrgenmode', 'none'],
                    ['link', 'set', 'vr0', 'up'], ['link', 'set', 'vr1', 'up']):
            subprocess.run(['ip', '-n', self.ns] + cmd, check=True)

    def addresses(self):
        """The addresses on vr0: ["192.0.2.30/24", …]."""
        p = subprocess.run(['ip', '-n', self.ns, '-o', 'addr', 'show', 'dev', 'vr0'], capture_output=True,
                           text=True, timeout=10)
        return sorted(line.split()[3] for line in p.stdout.splitlines())

    def generated(self, config_path, name):
        outdir = tempfile.mkdtemp(dir=self.work)
        p = subprocess.run([self.generator, outdir], env=dict(os.environ, VIRTUALING_CONFIG_PATH=config_path),
                           capture_output=True, text=True, timeout=10)
        if p.returncode != 0:
            raise RuntimeError('the generator failed: ' + p.stderr)
        with open(f'{outdir}/virtualing@{name}.service.d/10-virtualing.conf') as f:
            return f.read()

    def start_run(self, *args, user=None, job='exit0'):
        """virtualing run ARGS inside the network namespace (as root), in the background;
        job: what the jailed command does (JOB_SH)."""
        self.clear_out()
        self.write(self.out + '/mode', job + '\n')
        err = open(self.work + '/run.err', 'w')
        netns = ['ip', 'netns', 'exec', self.ns] if user is None else []  # setns() needs root
        p = self.spawn(self.priv(user) + netns + [self.ctl, 'run'] + list(args),
                       env=self.env(), stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        p.calls_before = len(self.calls())
        return p

    def finish_run(self, p, timeout=20):
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
            rc = None
        with open(self.work + '/run.err') as f:
            return rc, f.read()

    def run(self, *args, user=None, job='exit0', timeout=20):
        return self.finish_run(self.start_run(*args, user=user, job=job), timeout)

    def new_calls(self, p, kind=None):
        return [c for c in self.calls()[p.calls_before:] if kind is None or c['call'] == kind]

    def clear_out(self):
        for f in os.listdir(self.out):
            os.unlink(os.path.join(self.out, f))

    def out_file(self, name):
        try:
            with open(os.path.join(self.out, name)) as f:
                return f.read().strip()
        except OSError:
            return None

    def cleanup(self):
        self.stop_procs()
        if self.ns:
            subprocess.run(['ip', 'netns', 'del', self.ns], stderr=subprocess.DEVNULL)
        subprocess.run(['umount', '-R', self.work], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.work, ignore_errors=True)


class AddressWatch:
    """`ip monitor address` in the namespace: did an address come and go?"""

    def __init__(self, w):
        self.file = tempfile.mktemp(dir=w.work)
        self.p = w.spawn(w.priv() + ['ip', '-n', w.ns, 'monitor', 'address'], stdout=open(self.file, 'w'),
                         stderr=subprocess.STDOUT)
        time.sleep(0.3)  # it subscribes at once; nothing to wait on

    def stop(self):
        time.sleep(0.2)
        self.p.terminate()
        self.p.wait(5)
        with open(self.file) as f:
            return f.read()


class Test:
    def __init__(self, w):
        self.w = w

    def setup(self):
        w = self.w
        w.write(w.root + '/job.sh', JOB_SH, 0o755)
        w.write(w.root + '/marker-in-jail', 'jail\n')
        jail = (f'[Jail]\nRoot={w.root}\nExec=/bin/sh /job.sh\nBind={w.out}:/out\n\n' + JAIL_RESOURCES +
                f'\n[Network]\nDevice=vr0\nAddress={VIP4}\nAddress={VIP6}\n')
        w.write(w.etc + '/web.conf', jail)
        w.write(w.etc + '/web.conf.d/10-tasks.conf', '[Resources]\nTasksMax=100\n')
        # an ad hoc file outside the search path, with a drop-in beside it, without addresses
        w.write(w.adhoc + '/batch1.conf', jail.split('[Network]')[0])
        w.write(w.adhoc + '/batch1.conf.d/10-mem.conf', '[Resources]\nMemoryMax=256M\nMemoryHigh=200M\n')
        # the command cannot be executed
        w.write(w.etc + '/broken.conf', f'[Jail]\nRoot={w.root}\nExec=/no/such/command\n\n'
                f'[Network]\nDevice=vr0\nAddress={VIP4}\n')
        w.write(w.work + '/bad/bad.conf', '[Jail]\nRoot=/srv/x\nExec=/bin/true\n\n[Resources]\nCPUQuota=0%\n')
        w.start_bus()
        w.start_systemd()
        w.start_netns()

    def check_props(self, call, unit, config_path, name, desc):
        expected = expected_properties(self.w.generated(config_path, name))
        props = call.get('props', [])
        T.ok(call.get('name') == unit and call.get('mode') == 'fail' and call.get('aux') == [],
             f'{desc}: StartTransientUnit("{unit}", "fail", …, [])', call)
        scope_keys = ('Slice', 'Description', 'PIDs', 'CollectMode')
        head = {p[0]: p[1:] for p in props if p[0] in scope_keys}
        T.ok(head.get('Slice') == ['s', 'virtualing.slice'] and
             head.get('Description') == ['s', f'virtualing jail {name} (run)'] and
             head.get('CollectMode') == ['s', 'inactive-or-failed'] and
             head.get('PIDs', [''])[0] == 'au' and len(head['PIDs'][1]) == 1,
             f'{desc}: Slice=virtualing.slice, Description, CollectMode=inactive-or-failed, PIDs one pid (au)',
             props)
        rest = [p for p in props if p[0] not in scope_keys]
        T.ok(rest == expected and len(expected) >= 5,
             f'{desc}: exactly the generator\'s properties, with their D-Bus types', {'got': rest, 'want': expected})
        T.ok(len(props) == len(rest) + len(scope_keys), f'{desc}: nothing else (no AddRef, no second Slice)', props)
        return head.get('PIDs', [None, [None]])[1][0]

    def main_run(self):
        w = self.w
        w.set_mode('done')
        p = w.start_run('web', job='exit3')
        started = wait_until(lambda: w.out_file('started') is not None or p.poll() is not None, 15)
        T.ok(started and p.poll() is None, 'run web: the jailed command starts', w.finish_run(p, 1)
             if p.poll() is not None else None)
        calls = w.new_calls(p)
        kinds = [c['call'] for c in calls]
        T.ok(kinds == ['Subscribe', 'StartTransientUnit'], 'Subscribe, then one StartTransientUnit', kinds)
        start = [c for c in calls if c['call'] == 'StartTransientUnit']
        pid = self.check_props(start[0] if start else {}, 'virtualing-web.scope', w.etc, 'web', 'run web')
        # the scope gets the helper's process, a child of ours; the jail's command is PID 2 of its own
        # PID namespace, handed over to virtualing run (it waits for it) while the helper leaves
        cmd_pid = w.out_file('pid')
        children = []
        try:
            with open(f'/proc/{p.pid}/task/{p.pid}/children') as f:
                children = [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
        nspids = []
        for c in children:
            try:
                with open(f'/proc/{c}/status') as f:
                    nspids.append(re.search(r'^NSpid:\s*(.*)$', f.read(), re.M).group(1).split())
            except (OSError, AttributeError):
                pass
        T.ok(pid is not None and pid != p.pid and not os.path.exists(f'/proc/{pid}'),
             'PIDs is the helper that builds the jail (not the waiting virtualing run); it has left',
             {'PIDs': pid, 'run': p.pid})
        T.ok(cmd_pid == '2' and [n[1:] for n in nspids] == [['2']],
             'the command is PID 2 of its own PID namespace and the only child of virtualing run',
             {'command $$': cmd_pid, 'children NSpid': nspids})
        T.ok(w.out_file('where') == 'in-jail' and w.out_file('rootline') == '/root',
             'the command runs in the jail (its root is the jail\'s tree)', (w.out_file('where'),
                                                                             w.out_file('rootline')))
        T.ok(w.addresses() == sorted([VIP4, VIP6]), 'the addresses are up while it runs', w.addresses())
        T.ok(os.listdir(w.runtime), 'the address record is under $VIRTUALING_RUNTIME_DIR', os.listdir(w.runtime))
        open(w.out + '/go', 'w').close()
        rc, err = w.finish_run(p)
        T.ok(rc == 3, 'run returns the command\'s exit status (3)', (rc, err))
        T.ok(w.addresses() == [], 'the addresses are removed when the command has ended', w.addresses())
        T.ok(err == 'Running jail web as unit virtualing-web.scope.\n',
             'on stderr only "Running jail web as unit virtualing-web.scope.", as systemd-run says it', err)

    def file_run(self):
        w = self.w
        w.set_mode('done')
        p = w.start_run(w.adhoc + '/batch1.conf', '-q')
        rc, err = w.finish_run(p)
        T.ok(rc == 0 and w.out_file('where') == 'in-jail', 'run FILE: runs the jail, exit status 0', (rc, err))
        T.ok(err == '', 'run -q FILE: nothing on stderr (no "Running jail …")', err)
        start = w.new_calls(p, 'StartTransientUnit')
        self.check_props(start[0] if start else {}, 'virtualing-batch1.scope', w.adhoc, 'batch1',
                         'run FILE (drop-in beside it)')

    def command_fails(self):
        w = self.w
        w.set_mode('done')
        watch = AddressWatch(w)
        rc, err = w.run('broken')
        events = watch.stop()
        T.ok(rc == 19 and '/no/such/command' in err,
             'a command that cannot be executed: the helper\'s status 19 and its message', (rc, err))
        T.ok(VIP4.split('/')[0] in events and 'Deleted' in events and w.addresses() == [],
             'its address was added, then removed', (events, w.addresses()))

    def systemd_fails(self):
        w = self.w
        for how, word in (('error', 'UnitExists'), ('failed', "result 'failed'")):
            w.set_mode(how)
            watch = AddressWatch(w)
            p = w.start_run('web')
            rc, err = w.finish_run(p)
            events = watch.stop()
            start = w.new_calls(p, 'StartTransientUnit')
            pid = start[0]['props'][2][2][0] if start and start[0]['props'][2][0] == 'PIDs' else None
            T.ok(rc == 1 and 'virtualing-web.scope' in err and word in err,
                 f'systemd {how}: exit 1, the message names systemd\'s error', (rc, err))
            T.ok(w.out_file('started') is None and pid is not None and not os.path.exists(f'/proc/{pid}'),
                 f'systemd {how}: the waiting child is gone, the command never ran', (pid, w.out_file('started')))
            T.ok('192.0.2.30' not in events and w.addresses() == [], f'systemd {how}: no address was ever added',
                 events)
        w.set_mode('done')

    def interrupted_setup(self):
        w = self.w
        w.set_mode('hang')
        watch = AddressWatch(w)
        p = w.start_run('web')
        asked = wait_until(lambda: w.new_calls(p, 'StartTransientUnit'), 10)
        time.sleep(0.2)
        os.kill(p.pid, signal.SIGINT)
        rc, err = w.finish_run(p)
        events = watch.stop()
        pid = asked[0]['props'][2][2][0] if asked else None
        T.ok(rc == 130 and 'Interrupted' in err and 'virtualing-web.scope' in err,
             'Ctrl-C while systemd starts the scope: exit 130, says so', (rc, err))
        T.ok(w.out_file('started') is None and pid is not None and not os.path.exists(f'/proc/{pid}') and
             '192.0.2.30' not in events and w.addresses() == [],
             'then the waiting child is gone, the command never ran, no address was added', (pid, events))
        w.set_mode('done')

    def address_busy(self):
        w = self.w
        w.set_mode('done')
        subprocess.run(['ip', '-n', w.ns, 'addr', 'add', VIP4, 'dev', 'vr0'], check=True)
        try:
            rc, err = w.run('web')
            T.ok(rc == 1 and '192.0.2.30' in err, 'an address already present: exit 1, the message names it',
                 (rc, err))
            T.ok(w.out_file('started') is None and w.addresses() == [VIP4],
                 'then the command never ran, and the address that was there stays (and only it)', w.addresses())
        finally:
            subprocess.run(['ip', '-n', w.ns, 'addr', 'del', VIP4, 'dev', 'vr0'])

    def signals(self):
        w = self.w
        w.set_mode('done')
        for mode, sig, want, desc in (('trap', signal.SIGINT, 42, 'a command that traps SIGINT and exits 42'),
                                      ('notrap', signal.SIGINT, 130, 'a command that does not trap SIGINT: 130'),
                                      ('notrap', signal.SIGTERM, 143, 'SIGTERM is forwarded too: 143')):
            p = w.start_run('web', job=mode)
            started = wait_until(lambda: w.out_file('started') is not None or p.poll() is not None, 15)
            up = w.addresses()
            if started and p.poll() is None:
                os.kill(p.pid, sig)
            rc, err = w.finish_run(p)
            T.ok(started and rc == want and (mode != 'trap' or w.out_file('got') == 'INT'),
                 f'{signal.Signals(sig).name} to virtualing run reaches the command: {desc}', (rc, err))
            T.ok(up == sorted([VIP4, VIP6]) and w.addresses() == [],
                 f'{signal.Signals(sig).name} ({mode}): addresses up while it ran, removed after', (up, w.addresses()))

    def refusals(self):
        w = self.w
        n = len(w.calls())
        rc, err = w.run('web', user=NOBODY)
        T.ok(rc == 1 and 'only root' in err and len(w.calls()) == n, 'run as nobody is refused, exit 1', (rc, err))
        bad = w.work + '/bad/bad.conf'
        rc, err = w.run(bad)
        T.ok(rc == 1 and re.search(rf'^{re.escape(bad)}:6: .*CPUQuota', err, re.M) and len(w.calls()) == n,
             'an invalid jail file: file:line messages, exit 1, systemd not asked', (rc, err))
        rc, err = w.run('nosuchjail')
        T.ok(rc == 4 and 'No jail nosuchjail' in err, 'no such jail: exit 4', (rc, err))
        p = subprocess.run([w.ctl, 'run'], capture_output=True, text=True, timeout=10)
        T.ok(p.returncode == 2, 'run without an argument: exit 2', p.stderr)
        # --no-pager is taken (run never pages: the terminal is the command's); --json is not
        rc, err = w.run('--no-pager', 'nosuchjail')
        T.ok(rc == 4 and 'No jail nosuchjail' in err, 'run --no-pager NAME: the option is taken', (rc, err))
        rc, err = w.run('nosuchjail', '--json')
        T.ok(rc == 2 and "unknown option '--json'" in err, 'run NAME --json: an unknown option, exit 2', (rc, err))


def main():
    if len(sys.argv) != 4:
        print('usage: test-ctl-run.py VIRTUALING GENERATOR SOURCE-DIR', file=sys.stderr)
        return 2
    ctl, generator, _ = (os.path.abspath(a) for a in sys.argv[1:])
    reason = vtest.skip_unless('mounts, network namespaces, a fake systemd owning its name',
                               ('dbus-daemon', 'setpriv', 'ip', 'unshare', 'mount'))
    if reason:
        print(f'1..0 # SKIP {reason}')
        return 0
    if not os.environ.get('VIRTUALING_TEST_IN_NS'):
        if subprocess.run(['unshare', '-m', '--propagation', 'private', 'true'], stderr=subprocess.DEVNULL).returncode:
            print('1..0 # SKIP cannot create a mount namespace here')
            return 0
        os.environ['VIRTUALING_TEST_IN_NS'] = '1'
        sys.stdout.flush()
        os.execvp('unshare', ['unshare', '-m', '--propagation', 'private', sys.executable,
                              os.path.abspath(__file__)] + sys.argv[1:])
    for b in (ctl, generator):
        if not os.access(b, os.X_OK):
            print(f'Bail out! {b} is not executable')
            return 1
    if subprocess.run(['ip', 'netns', 'add', f'vl-run-probe-{os.getpid()}'], stderr=subprocess.DEVNULL).returncode:
        print('1..0 # SKIP ip netns unavailable')
        return 0
    subprocess.run(['ip', 'netns', 'del', f'vl-run-probe-{os.getpid()}'])
    os.umask(0o022)
    vtest.arm_alarm(150)

    t_start = time.monotonic()
    world = World(ctl, generator)
    test = Test(world)

    def finish():
        if T.failed:
            for f in ('systemd.err', 'dbus-daemon.err'):
                try:
                    T.diag(f'{f}:\n' + open(os.path.join(world.work, f)).read()[-2000:])
                except OSError:
                    pass
        world.cleanup()

    sections = [('run NAME', test.main_run), ('run FILE', test.file_run),
                ('a command that fails', test.command_fails), ('systemd fails', test.systemd_fails),
                ('Ctrl-C before the start', test.interrupted_setup),
                ('an address in use', test.address_busy), ('signals', test.signals),
                ('refusals', test.refusals)]
    return vtest.run_sections(T, t_start, test.setup,
                              'setup: tmpfs, jails, private bus, fake systemd, network namespace', sections, finish)


if __name__ == '__main__':
    sys.exit(main())
