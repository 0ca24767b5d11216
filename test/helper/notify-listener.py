#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stand-in for systemd around one Type=notify service, for test-boundary.sh.

    notify-listener.py OUT.json [--stop-after SECONDS] -- COMMAND...

Listens on a notification socket ($NOTIFY_SOCKET of COMMAND), with SO_PASSCRED as systemd
has it, and is a child subreaper, as systemd (PID 1) reaps what its services leave. It
records every message with its sender, answers BARRIER=1 by closing the fd it carries,
follows MAINPID= (noting the new main process's parent at that moment: systemd warns
when it is not itself), and reaps every process that comes to it with its status. With
--stop-after it sends SIGTERM to the main process and to its other children, as
"systemctl stop" does, and times how long until the main process is gone. It ends when
the main process and every child are gone, or after 30 s, and writes what it saw as JSON.
"""
import array
import ctypes
import json
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time

PR_SET_CHILD_SUBREAPER = 36


def main():
    args = sys.argv[1:]
    out = args.pop(0)
    stop_after = None
    if args and args[0] == '--stop-after':
        stop_after = float(args[1])
        args = args[2:]
    if args and args[0] == '--':
        args = args[1:]

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    tmp = tempfile.mkdtemp(prefix='notify-')
    path = os.path.join(tmp, 'notify')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)

    env = dict(os.environ, NOTIFY_SOCKET=path)
    started = os.spawnvpe(os.P_NOWAIT, args[0], args, env)
    seen = {'started': started, 'messages': [], 'exits': {}, 'mainpid': started, 'mainpid_ppid': None,
            'main_status': None, 'stop_seconds': None}
    main = started
    stop_at = None
    stopped_at = None
    deadline = time.monotonic() + 30
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGCHLD, lambda *a: None)

    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock, r], [], [], 0.05)
        if sock in ready:
            fds = array.array('i')
            msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(64 * 4) + socket.CMSG_SPACE(12))
            pid = None
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
                elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack('iII', data[:12])[0]
            text = msg.decode(errors='replace')
            seen['messages'].append({'pid': pid, 'text': text, 'fds': len(fds)})
            for line in text.splitlines():
                if line.startswith('MAINPID='):
                    main = int(line[8:])
                    seen['mainpid'] = main
                    try:
                        with open(f'/proc/{main}/stat') as f:
                            seen['mainpid_ppid'] = int(f.read().rsplit(')', 1)[1].split()[1])
                    except OSError:
                        pass
                if line == 'READY=1' and stop_after is not None and stop_at is None:
                    stop_at = time.monotonic() + stop_after
            for fd in fds:
                os.close(fd)
        if r in ready:
            try:
                os.read(r, 512)
            except BlockingIOError:
                pass
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = -1
            if pid <= 0:
                break
            how = (f'exited {os.WEXITSTATUS(status)}' if os.WIFEXITED(status)
                   else f'killed {os.WTERMSIG(status)}')
            seen['exits'][str(pid)] = how
            if pid == main:
                seen['main_status'] = how
                if stopped_at is not None:
                    seen['stop_seconds'] = round(time.monotonic() - stopped_at, 3)
        if stop_at is not None and stopped_at is None and time.monotonic() >= stop_at:
            stopped_at = time.monotonic()
            # systemctl stop: SIGTERM to the main process and to every other one left
            for p in [main] + children(os.getpid()):
                try:
                    os.kill(p, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        if seen['main_status'] is not None and not children(os.getpid()) and str(started) in seen['exits']:
            break
    with open(out, 'w') as f:
        json.dump(seen, f)
    os.unlink(path)
    os.rmdir(tmp)


def children(pid):
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


if __name__ == '__main__':
    main()
