#!/usr/bin/env python3
"""Keeps the sample outputs in the docs generated from a real boot.

A sample in a Markdown file is a fenced block right after a marker line

  <!-- sample: NAME -->

and NAME says which lines of the `mmdemo picture` boot it shows (SAMPLES
below): the serial log of that boot and the GDB session of
scripts/gdb/check.py (`make picture` runs both, then this script).

Run:  gen-docs.py --log SERIAL --gdb GDB_OUT FILE.md...     rewrite the samples
      gen-docs.py --check --log SERIAL --gdb GDB_OUT [--result JSON] FILE.md...
--check changes nothing: it fails when a sample's lines no longer have the
shape of the fresh output (numbers and addresses aside: a printer's format
changed, or a line appeared or went), and says which samples merely hold
other numbers (regenerate them with `make picture`).
"""
import argparse
import json
import re
import sys

MARK = re.compile(r"^<!-- sample: ([a-z0-9-]+) -->$")


def serial_lines(text):
    return [l.rstrip("\r") for l in text.splitlines()]


def after(lines, first, stop):
    """The lines after the line `first` up to (not including) one matching `stop`."""
    out, inside = [], False
    for line in lines:
        if inside and stop(line):
            break
        if inside:
            out.append(line)
        inside = inside or line == first
    return out


def gdb_section(gdb, name):
    return after(gdb, "@@" + name, lambda l: l.startswith("@@"))


def first_translate(serial):
    return next(l.split()[2] for l in serial if l.startswith("mmdemo: translate "))


def sparse_translate(serial):
    """The translation of the sparse area's page 5 (the third mapped demo address)."""
    return [l.split()[2] for l in serial if l.startswith("mmdemo: translate ")][5]


SAMPLES = {
    "demo-calls": lambda s, g: [l for l in s if l.startswith("mmdemo: ") and
                                ("=" in l or "sparse area" in l)],
    "boot-buddyinfo": lambda s, g: [next(l for l in s if l.startswith("Node 0, zone"))],
    "vmallocinfo": lambda s, g: ["vmallocinfo:"] + after(
        s, "vmallocinfo:", lambda l: l.startswith("mmdemo:")),
    "buddyinfo": lambda s, g: after(s, "mmdemo: buddyinfo", lambda l: l.startswith("mmdemo:")),
    "translate": lambda s, g: [l for l in s if l.startswith("mmdemo: translate ")],
    "page": lambda s, g: [l for l in s if l.startswith("mmdemo: page ")],
    "ptdump-vmalloc": lambda s, g: ["---[ vmalloc ]---"] + after(
        s, "---[ vmalloc ]---", lambda l: l.startswith("---[")),
    "picture-areas": lambda s, g: [l for l in s if l.startswith(("picture: area",
                                                                  "picture: mapped"))],
    "gdb-vmallocinfo": lambda s, g: ["(gdb) mm-vmallocinfo"] + gdb_section(g, "vmallocinfo"),
    "gdb-translate": lambda s, g: ["(gdb) mm-translate " + first_translate(s)] + gdb_section(
        g, "translate 0x%x" % int(first_translate(s), 16)),
    "gdb-translate-sparse": lambda s, g: ["(gdb) mm-translate " + sparse_translate(s)] +
    gdb_section(g, "translate 0x%x" % int(sparse_translate(s), 16)),
}


def blocks(md):
    """(name, index of the first line inside the fence, index of the closing fence)."""
    out = []
    for i, line in enumerate(md):
        m = MARK.match(line)
        if m and i + 1 < len(md) and md[i + 1].startswith("```"):
            end = next(j for j in range(i + 2, len(md)) if md[j].startswith("```"))
            out.append((m.group(1), i + 2, end))
    return out


def shape(line):
    """A line with its numbers, addresses and symbol offsets made generic."""
    line = re.sub(r"[0-9a-f]{4,}|0x[0-9a-f]+|\b\d+\b", "N", line)
    return re.sub(r"\s+", " ", line.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", required=True)
    ap.add_argument("--gdb", required=True)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--result")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    with open(args.log, errors="replace") as f:
        serial = serial_lines(f.read())
    with open(args.gdb, errors="replace") as f:
        gdb = serial_lines(f.read())
    problems, stale, passed = [], [], 0
    for path in args.files:
        with open(path) as f:
            md = f.read().split("\n")
        for name, first, end in reversed(blocks(md)):
            if name not in SAMPLES:
                problems.append("%s: unknown sample %s" % (path, name))
                continue
            try:
                fresh = SAMPLES[name](serial, gdb)
            except (StopIteration, IndexError):
                fresh = []
            if not fresh:
                problems.append("%s: sample %s: the boot printed nothing for it" % (path, name))
                continue
            if not args.check:
                md[first:end] = fresh
                continue
            if [shape(l) for l in md[first:end]] != [shape(l) for l in fresh]:
                problems.append("%s: sample %s has a different format than the kernel's "
                                "output now" % (path, name))
            else:
                passed += 1
                if md[first:end] != fresh:
                    stale.append(name)
        if not args.check:
            with open(path, "w") as f:
                f.write("\n".join(md))
    for p in problems:
        print("gen-docs: " + p)
    if args.check:
        print("gen-docs: %d samples in the kernel's current format, %d problems%s" % (
            passed, len(problems), "; other numbers (make picture regenerates): " +
            ", ".join(stale) if stale else ""))
    if args.result:
        with open(args.result, "w") as f:
            json.dump({"name": "docs-samples", "passed": passed, "failed": len(problems),
                       "skipped": 0, "ok": not problems, "problems": problems}, f)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
