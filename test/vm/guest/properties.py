#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# For each jail named: what "virtualing properties NAME --json" says systemd will report
# for virtualing@NAME.service, against what systemd does report (busctl --json=short
# get-property). One line per jail: "ok NAME (N properties)" or "mismatch NAME: …".
# Exits 1 if any jail differs.
#
# usage: properties.py NAME…
import json
import subprocess
import sys


def run_json(*argv):
    return json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)


def main():
    bad = 0
    for name in sys.argv[1:]:
        want = run_json('virtualing', 'properties', name, '--json')
        unit = run_json('busctl', '--json=short', 'call', 'org.freedesktop.systemd1', '/org/freedesktop/systemd1',
                        'org.freedesktop.systemd1.Manager', 'LoadUnit', 's', f'virtualing@{name}.service')
        path = unit['data'][0]
        diffs = []
        for prop, w in want.items():
            got = run_json('busctl', '--json=short', 'get-property', 'org.freedesktop.systemd1', path,
                           w['interface'], prop)
            if w['type'] == 'a(st)':  # the order of the devices means nothing
                same = sorted(got['data']) == sorted(w['data'])
            else:
                same = got['data'] == w['data']
            if got['type'] != w['type'] or not same:
                diffs.append(f'{prop}: virtualing says {w["type"]} {json.dumps(w["data"])}, '
                             f'systemd reports {got["type"]} {json.dumps(got["data"])}')
        if diffs:
            bad += 1
            print(f'mismatch {name}: ' + '; '.join(diffs))
        else:
            print(f'ok {name} ({len(want)} properties)')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
