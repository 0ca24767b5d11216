#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The D-Bus signals a subscriber in the test VM received: vmtest.sh runs
# "busctl monitor --json=short" on the watcher's signals for the whole run, and this
# reads what it wrote, one JSON message a line.
#
#   signals.py FILE [MEMBER [PATH]]           one signal a line: MEMBER ARG...
#   signals.py --pretty FILE [MEMBER [PATH]]  the same with argument names:
#                                             MemoryEvent(event=oom_kill, count=1, ...)
import json
import sys

NAMES = {
    "MemoryEvent": ("event", "count", "memory_current", "memory_max"),
    "UsageThresholdCrossed": ("threshold", "direction", "memory_current"),
    "PressureEvent": ("kind",),
    "MemoryLimitChanged": ("old_max", "new_max", "reason"),
    "JailAdded": ("name", "jail"),
    "JailRemoved": ("name", "jail"),
}


def main(argv):
    pretty = len(argv) > 1 and argv[1] == "--pretty"
    if pretty:
        argv = argv[1:]
    if len(argv) < 2:
        print("usage: signals.py [--pretty] FILE [MEMBER [PATH]]", file=sys.stderr)
        return 2
    member = argv[2] if len(argv) > 2 and argv[2] else None
    path = argv[3] if len(argv) > 3 else None
    with open(argv[1], errors="replace") as f:
        for line in f:
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if not isinstance(m, dict) or m.get("type") != "signal":
                continue
            if member and m.get("member") != member:
                continue
            if path and m.get("path") != path:
                continue
            data = (m.get("payload") or {}).get("data") or []
            if pretty:
                names = NAMES.get(m.get("member"), ())
                args = ", ".join(
                    "%s=%s" % (names[i] if i < len(names) else "arg%d" % i, d) for i, d in enumerate(data))
                print("%s  %s(%s)" % (m.get("path"), m.get("member"), args))
            else:
                print(m.get("member"), *[json.dumps(d) if isinstance(d, (dict, list)) else d for d in data])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
