#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark the jail loader on the largest files it accepts.

A jail file may be up to 1 MiB. For each kind of long list the loader keeps, this
writes one valid file just under that size, made of that list only (520,000 words of
SupplementaryGroups=, 170,000 of Environment=, 45,000 usage thresholds, 80,000
WantedBy= units, 30,000 Bind= lines, 20,000 IO limits), and times
`virtualing verify FILE` and the generator over it, R runs each. Parsing is linear
in the size of the file: every line should take about the same time, and a 1 MiB file
well under a second.

Exit status: 0 whether or not the figures please (a benchmark, not a test); 1 if a
program failed on a valid file; 2 for bad usage.
"""

import argparse
import os
import sys

from benchlib import REPO, BenchError, default_tmpdir, describe_failure, print_times, run_in_tmpdir, run_timed

DEFAULT_CTL = os.path.join(REPO, "build", "src", "ctl", "virtualing")
DEFAULT_GENERATOR = os.path.join(REPO, "build", "src", "generator", "virtualing-generator")
LIMIT = 1024 * 1024


def fill(head, line_of, limit=LIMIT - 64):
    """head, then line_of(i) for i = 0, 1, … while the file stays under limit bytes."""
    parts, size, i = [head], len(head), 0
    while True:
        line = line_of(i)
        if size + len(line) > limit:
            break
        parts.append(line)
        size += len(line)
        i += 1
    return "".join(parts), i


def words_line(key, word_of, per_line=400):
    def line_of(i):
        return key + "=" + " ".join(word_of(i * per_line + k) for k in range(per_line)) + "\n"
    return line_of


JAIL = "[Jail]\nRoot=/srv/big\nExec=/bin/true\n"

KINDS = (
    ("SupplementaryGroups=", JAIL, words_line("SupplementaryGroups", lambda n: "g%d" % (n % 1000))),
    ("Environment=", JAIL, words_line("Environment", lambda n: "V%d=x" % n, 200)),
    ("UsageThreshold=", JAIL + "[Events]\n", lambda i: "UsageThreshold=%dK\n" % (i + 1)),
    ("WantedBy=", JAIL + "[Install]\n", words_line("WantedBy", lambda n: "t%d.target" % n, 100)),
    ("Bind=", JAIL, lambda i: "Bind=/srv/data/%d:/data/%d\n" % (i, i)),
    ("IO…Max=", JAIL + "[Resources]\n", lambda i: "IOReadBandwidthMax=/dev/disk/by-id/d-%d 10M\n" % i),
)


def bench(a, tmp):
    env = dict(os.environ, VIRTUALING_PHYSICAL_MEMORY="8589934592")
    env.pop("SYSTEMD_SCOPE", None)
    rows = []
    print(f"virtualing:           {a.ctl}")
    print(f"virtualing-generator: {a.generator}")
    print(f"{a.runs} runs each; files under {tmp}")
    for label, head, line_of in KINDS:
        text, n = fill(head, line_of)
        d = os.path.join(tmp, "etc-" + str(len(rows)))
        os.makedirs(d)
        path = os.path.join(d, "big.conf")
        with open(path, "w") as f:
            f.write(text)
        out = os.path.join(tmp, "out")
        verify, generate = [], []
        for _ in range(a.runs):
            t, p = run_timed([a.ctl, "verify", path], env)
            if p.returncode != 0 or p.stderr:
                raise BenchError(describe_failure(f"virtualing verify ({label})", p))
            verify.append(t)
            os.makedirs(out, exist_ok=True)
            t, p = run_timed([a.generator, out], dict(env, VIRTUALING_CONFIG_PATH=d))
            if p.returncode != 0 or p.stderr or not os.path.exists(
                    os.path.join(out, "virtualing@big.service.d", "10-virtualing.conf")):
                raise BenchError(describe_failure(f"the generator ({label})", p))
            generate.append(t)
            for root, dirs, files in os.walk(out, topdown=False):
                for x in files + dirs:
                    p2 = os.path.join(root, x)
                    (os.rmdir if os.path.isdir(p2) and not os.path.islink(p2) else os.unlink)(p2)
        print()
        print(f"{label} {len(text)} bytes, {n} lines")
        print_times([("verify", verify), ("generator", generate)])
        rows.append(label)


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Time the loader on 1 MiB jail files.")
    ap.add_argument("--ctl", default=DEFAULT_CTL, help="the virtualing command (default: %(default)s)")
    ap.add_argument("--generator", default=DEFAULT_GENERATOR, help="the generator (default: %(default)s)")
    ap.add_argument("--runs", "-r", type=int, default=5, metavar="R", help="runs of each (default: %(default)s)")
    ap.add_argument("--tmpdir", default=default_tmpdir(), metavar="DIR",
                    help="where the files go (default: %(default)s)")
    ap.add_argument("--keep", action="store_true", help="keep the files and print their directory")
    a = ap.parse_args(argv)
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    return run_in_tmpdir("loader", a, bench)


if __name__ == "__main__":
    sys.exit(main())
