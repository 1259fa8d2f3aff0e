#!/usr/bin/env python3
"""Turn the callgrind dumps of `make host-bench` into instructions per operation.

Usage: callgrind-report.py DUMP...

Each scenario of tests/host/bench_host.c ends with CALLGRIND_DUMP_STATS_AT("bench name=<n>
n=<ops>"), so its dump holds the instructions (Ir) of exactly its `ops` operations.  The
figure reported is the memory subsystem's own: the instructions spent in the simulated CPU
(files under arch/host/, including the host's asm/cpu.h inlined into mm/: irq_save, INVLPG and
CR4 writes recorded, the TLB model, and the pthread mutex that guards that model while host
threads act as CPUs: glibc's nptl, which mm/ never calls) stand for single instructions of
the real CPU and are left out; the table shows them separately.  Prints one

    # bench: name=<scenario> metric=instructions_per_op value=<n> n=<ops>

line per scenario (docs/bench.md), then the table.  Fails if no dump names a
scenario.
"""

import re
import sys

TRIGGER = re.compile(r"desc: Trigger: Client Request: bench name=(\S+) n=(\d+)")
NAMED = re.compile(r"(fl|fi|fe)=\((\d+)\)(?: (.*))?")
CALLEE_FILE = re.compile(r"cf[il]=\((\d+)\) (.*)")     # a file first named as a callee's
SIMULATED = ("/arch/host/", "/nptl/")


def read_dump(path):
    """Return (name, ops, total Ir, Ir in the simulated CPU) of a scenario's dump, or None."""
    name = ops = None
    files = {}
    current = fl_file = ""
    total = simulated = 0
    skip_next = False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = TRIGGER.match(line)
            if m:
                name, ops = m[1], int(m[2])
                continue
            m = NAMED.match(line)
            if m:
                if m[3] is not None:
                    files[m[2]] = m[3]
                current = files.get(m[2], "")
                if m[1] == "fl":
                    fl_file = current
                continue
            m = CALLEE_FILE.match(line)
            if m:
                files[m[1]] = m[2]
                continue
            if line.startswith("fn="):
                current = fl_file       # a new function: back to its own file (fi/fe were inline)
                continue
            if line.startswith("calls="):
                skip_next = True        # the next line is the call's inclusive cost
                continue
            if not line or not (line[0].isdigit() or line[0] in "+-*"):
                continue
            if skip_next:
                skip_next = False
                continue
            fields = line.split()
            cost = int(fields[1]) if len(fields) > 1 else 0
            total += cost
            if any(part in current for part in SIMULATED):
                simulated += cost
    if name is None:
        return None
    return name, ops, total, simulated


def dump_number(path):
    tail = path.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def main(paths):
    rows = [r for r in (read_dump(p) for p in sorted(paths, key=dump_number)) if r]
    if not rows:
        print("callgrind-report: no scenario dumps found", file=sys.stderr)
        return 1
    for name, ops, total, simulated in rows:
        value = round((total - simulated) / ops)
        print(f"# bench: name={name} metric=instructions_per_op value={value} n={ops}")
    print()
    print(f"{'scenario':<28} {'instructions/op':>16} {'+ simulated CPU':>16} {'ops':>8}")
    for name, ops, total, simulated in rows:
        print(f"{name:<28} {(total - simulated) / ops:>16.1f} {simulated / ops:>16.1f} {ops:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
