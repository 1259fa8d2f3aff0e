#!/usr/bin/env python3
"""Keeps the sample outputs in the docs generated from a real boot.

A sample in a Markdown file is a fenced block right after a marker line

  <!-- sample: NAME -->

and NAME says which lines of which log it shows (SAMPLES below): the serial
log of the `mmdemo picture` boot and the GDB session of scripts/gdb/check.py
(`make picture` runs both, then this script), and, for the samples named
test-* and shell-*, the logs `make test` writes: its BIOS boot (--test-log)
and its scripted shell session (--shell-log). A sample whose log was not
given is left as it is.

Run:  gen-docs.py --log SERIAL --gdb GDB_OUT [--test-log L] [--shell-log L] FILE.md...
      gen-docs.py --check ... [--result JSON] FILE.md...
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


def test_excerpt(t):
    """Make test's BIOS boot: its first lines, the memory summary, the start of the KTAP
    and its end, with "..." where lines are left out."""
    start = next(i for i, l in enumerate(t) if l.startswith("mmkernel:"))
    head = t[start:next(i for i, l in enumerate(t) if l.startswith("BIOS-provided")) + 1]
    pick = [next(l for l in t if l.startswith("pfa: ") and " free of " in l),
            next(l for l in t if l.startswith("paging: direct map"))]
    ktap = next(i for i, l in enumerate(t) if l == "KTAP version 1")
    middle = [next(l for l in t if l.startswith("vmalloc: "))] + \
        [l for l in t[:ktap] if l.startswith(("smp: ", "ktest: seed="))]
    first_ok = next(i for i in range(ktap, len(t)) if t[i].startswith("    ok 1 "))
    end = next(i for i in range(len(t) - 1, 0, -1) if t[i].startswith("# Totals:"))
    return (head + ["..."] + pick + ["..."] + middle + t[ktap:first_ok + 1] + ["    ..."] +
            t[end - 2:end + 1])


# Commands of make test's shell session (regular expressions), in the session's order:
# what the README shows, the walk docs/shell.md shows, and its bad input.
SHELL_README = [r"sparse create 64K", r"vmallocinfo", r"sparse map \S+ 0x2000 2",
                r"write \S+ 0x1234abcd", r"translate 0x\S+", r"sparse unmap \S+ 0x2000 2",
                r"read 0x[0-9a-f]+", r"frobnicate", r"check"]
SHELL_WALK = [r"sparse create 64K", r"sparse map \S+ 0x2000 2", r"write \S+ 0x1234abcd",
              r"translate 0x\S+", r"sparse unmap \S+ 0x2000 2", r"read 0x[0-9a-f]+"]
SHELL_BAD = [r"frobnicate", r"sparse map \S+ zz 1", r"write 0xffffffff8\S+ 1",
             r"read 0x8000000000000000"]


def shell_excerpt(lines, commands, cut=None):
    """Each command at its first use after the previous one, with its answer; `cut`
    keeps that many lines of a translate's answer, then "..."."""
    prompts = [i for i, l in enumerate(lines) if l.startswith("mm> ")] + [len(lines)]
    out, at = [], 0
    for cmd in commands:
        i = next(k for k, p in enumerate(prompts[:-1])
                 if p >= at and re.fullmatch(cmd, lines[p][4:].strip()))
        answer = lines[prompts[i] + 1:prompts[i + 1]]
        if cut and cmd.startswith("translate") and len(answer) > cut:
            answer = answer[:cut] + ["..."]
        out += [lines[prompts[i]].rstrip()] + answer
        at = prompts[i] + 1
    return out


# Samples of the mmdemo boot: f(serial lines, GDB session lines).
MMDEMO_SAMPLES = {
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

# Every sample as f(logs), logs holding "serial" and "gdb" and, when given, "test" and
# "shell": a sample whose log is missing raises KeyError and is left as it is.
SAMPLES = {name: (lambda logs, f=f: f(logs["serial"], logs["gdb"]))
           for name, f in MMDEMO_SAMPLES.items()}
SAMPLES.update({
    "test-boot-ktap": lambda logs: test_excerpt(logs["test"]),
    "shell-session": lambda logs: shell_excerpt(logs["shell"], SHELL_README, 5),
    "shell-walk": lambda logs: shell_excerpt(logs["shell"], SHELL_WALK),
    "shell-bad-input": lambda logs: shell_excerpt(logs["shell"], SHELL_BAD),
})


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
    ap.add_argument("--test-log", help="make test's BIOS boot (build/logs/bios.log)")
    ap.add_argument("--shell-log", help="make test's shell session (build/logs/shell.log)")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--result")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    logs = {}
    for key, path in (("serial", args.log), ("gdb", args.gdb), ("test", args.test_log),
                      ("shell", args.shell_log)):
        if path:
            with open(path, errors="replace") as f:
                logs[key] = serial_lines(f.read())
    problems, stale, passed = [], [], 0
    for path in args.files:
        with open(path) as f:
            md = f.read().split("\n")
        for name, first, end in reversed(blocks(md)):
            if name not in SAMPLES:
                problems.append("%s: unknown sample %s" % (path, name))
                continue
            try:
                fresh = SAMPLES[name](logs)
            except KeyError:
                continue                # its log was not given: left as it is
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
