#!/usr/bin/env python3
"""Drives the kernel's serial shell through a scripted session and checks every answer.

    shell-session.py --log LOG --result RESULT.json [--timeout S] -- sh scripts/qemu.sh ...

QEMU runs with its serial port on stdio (scripts/qemu.sh's test mode), so this script
types into QEMU's stdin (a pipe) and reads the console from its stdout. Each step sends
one line (or raw bytes: Ctrl-C, Backspace, an arrow key), waits for the next `mm> `
prompt and checks what the kernel printed in between (the echo of the line excluded):
regular expressions that must match a line, ones that must not, and for bad input the
exact number of lines (one). Values printed by one step (the address of the sparse area)
feed the next ones. The session ends with `poweroff`, which must end QEMU with the
isa-debug-exit status 33. The whole log must pass the CI grep: no BUG:/WARNING:/Oops:
line without the word `expected`.

RESULT.json has the shape scripts/ktest.py total reads: one passed or failed count per
step, and the problems.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module  # noqa: E402

ktest = import_module("ktest")

PROMPT = b"mm> "
EXIT_POWEROFF = 33
REPORT_RE = re.compile(r"BUG:|WARNING:|Oops:")
HEX = r"0x[0-9a-f]{16}"


class Step:
    """One line typed at the prompt and what its answer must show."""

    def __init__(self, send, match=(), absent=(), lines=None, capture=None, timeout=60):
        self.send, self.match, self.absent = send, list(match), list(absent)
        self.lines, self.capture, self.timeout = lines, capture, timeout


def session():
    """The scripted session; {A} is the sparse area's start, {P} a page in it, {G} its
    guard, {R} an arena's start (derive())."""
    one = dict(lines=1)
    return [
        Step("help", [r"^  sparse map AREA OFF N +map N fresh pages", r"^  read ADDR \[N\] "]),
        Step("sparse create 64K",
             [rf"^sparse: area (?P<A>{HEX})-(?P<END>{HEX}) \(16 pages, nothing mapped"],
             capture=True, **one),
        Step("vmallocinfo", [r"^{A}-0x[0-9a-f]{16}   69632 sparse_create\+0x[0-9a-f]+/0x[0-9a-f]+ sparse$"]),
        Step("sparse map {A} 0x2000 2", [r"^sparse map: {P}-0x[0-9a-f]{16} mapped to 2 fresh"], **one),
        Step("write {P} 0x1234abcd", [r"^{P}: 0x000000001234abcd written$"], **one),
        Step("read {P} 2", [r"^{P}: 0x000000001234abcd 0x0000000000000000$"], **one),
        Step("translate {P}", [r"^  PML4\[402\] at phys 0x[0-9a-f]+: 0x[0-9a-f]{16}  P RW( A)?: points to a PDPT$",
                               r"^  PT  \[  2\] .*  P RW A D G XD: kernel read/write, no execute, global, cache WB$",
                               r"^area: {A}-", r"^-> phys 0x[0-9a-f]+: pfn 0x[0-9a-f]+ \+ offset 0x0 \(a 4 KiB leaf\)$",
                               r"^  state allocated, order 0"]),
        Step("check", [r"^check: ok "], **one),
        Step("sparse unmap {A} 0x2000 2", [r"\(TLB flushed\), 2 frames freed$"], **one),
        Step("read {P}", [r"^read: page fault at {P}, caught by the probe",
                          r"^#PF: supervisor read access in kernel mode$",
                          r"^#PF: error_code\(0x0000\) - not-present page$",
                          r"^vmalloc: {P} is an unmapped page of sparse area {A}-0x[0-9a-f]{16} \(caller sparse_create\+"]),
        Step("write {P} 5", [r"^#PF: supervisor write access in kernel mode$", r"unmapped page of sparse area {A}-"]),
        Step("read {G}", [r"^vmalloc: {G} is the guard page of area {A}-"]),
        Step("meminfo", [r"^MemTotal: +\d+ kB$", r"^VmallocUsed: +\d+ kB$"]),
        Step("buddyinfo", [r"^Node 0, zone   Normal( +\d+){11}$"], **one),
        Step("pagetypeinfo", [r"^free +\d+ +\d+$", r"^pagetable +[1-9]\d* +\d+$"]),
        Step("slabinfo", [r"^slabinfo - version: 2.1$", r"^kmalloc-64 "]),
        Step("page 0x100", [r"^struct page of pfn 0x100 ", r"^  state "]),
        # Bad input: one line each, and the kernel carries on.
        Step("frobnicate", [r"^frobnicate: unknown command \(try 'help'\)$"], **one),
        Step("sparse map {A} zz 1", [r"^sparse map: bad number 'zz' for OFF$"], **one),
        Step("sparse map {A} 0x1000 99", [r"^sparse map: OFF must be page-aligned"], **one),
        Step("sparse map 0xffffc80000000000 0 1", [r"is not in a sparse area this shell created"], **one),
        Step("vfree 0x1234", [r"^vfree: 0x1234 is not the start of a vmalloc area this shell created"], **one),
        Step("write 0xffffffff80000000 1", [r"^write: 0xffffffff80000000 is not in memory this shell created"], **one),
        Step("read 0x8000000000000000", [r"^read: general protection fault at 0x8000000000000000 \(not a canonical address\)"], **one),
        Step("translate 0x8000000000000000", [r"^translate: 0x8000000000000000 is not canonical"], **one),
        Step("page 0x99999999", [r"^page: pfn 0x99999999 has no struct page"], **one),
        Step("sparse", [r"^sparse: missing subcommand"], **one),
        Step("vmalloc 0", [r"^vmalloc: SIZE must be"], **one),
        Step("read", [r"^usage: read ADDR \[N\]$"], **one),
        Step("fail page_alloc sometimes", [r"^fail: bad setting 'sometimes'"], **one),
        # Line editing: Backspace, Ctrl-C, Ctrl-U, the history.
        Step("meminfx\x7fo", [r"^MemTotal: +\d+ kB$"]),
        Step("vfree 0x1\x03", lines=0),
        Step("garbage\x15buddyinfo", [r"^Node 0, zone   Normal"], **one),
        Step("\x1b[A", [r"^Node 0, zone   Normal"], **one),
        # Running things.
        Step("fail page_alloc nth,1", [r"^fault_inject: page_alloc: nth,1 global$"], **one),
        Step("vmalloc 8K", [r"^vmalloc: out of memory for 8192 bytes$"], **one),
        Step("test printk", [r"^ok 1 printk$", r"^test: PASSED$"], timeout=120),
        Step("stress 300 3", [r"stress: 300 ops in .* \(seed 3,", r"^stress: PASSED$"], timeout=180),
        Step("sparse free {A}", [r"^sparse free: area {A} freed"], **one),
        Step("vmallocinfo", absent=[r"^{A}-"]),
        Step("sparse create 0", [r"^sparse create: SIZE must be 1 byte to the vmalloc space's size$"], **one),
        Step("arena create 16K", [rf"^arena: (?P<R>{HEX})-{HEX} \(4 pages\)$"], capture=True, **one),
        Step("arena alloc {R} 1", [r"^arena alloc: {R}-0x[0-9a-f]{16} \(1 page\)$"], **one),
        Step("read {R}", [r"^{R}: 0x0000000000000000$"], **one),
        Step("read {R1}", [r"^arena: fault at {R1} in arena {R}-.*: page not allocated"]),
        Step("arena destroy {R}", [r"^arena destroy: {R} destroyed$"], **one),
        Step("check", [r"^check: ok "], **one),
        Step("serial", [r"through IRQ 4 \([1-9]\d* interrupts\)"], **one),
    ]


class Console:
    """QEMU's serial console on its stdin and stdout pipes."""

    def __init__(self, cmd, log):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     start_new_session=True)
        self.buf = bytearray()
        self.log = log
        self.lock = threading.Lock()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while True:
            data = self.proc.stdout.read1(4096)
            if not data:
                return
            with self.lock:
                self.buf.extend(data)
            self.log.write(data)
            self.log.flush()

    def prompts(self):
        with self.lock:
            return self.buf.count(PROMPT)

    def wait_prompts(self, n, timeout):
        """True once n prompts have been printed; false on timeout or QEMU's exit."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.prompts() >= n:
                return True
            if self.proc.poll() is not None:
                time.sleep(0.2)
                return self.prompts() >= n
            time.sleep(0.05)
        return False

    def text_after(self, n):
        """What was printed after the n-th prompt, up to the next one."""
        with self.lock:
            parts = bytes(self.buf).split(PROMPT)
        return parts[n].decode("utf-8", "replace") if len(parts) > n else ""

    def send(self, data):
        self.proc.stdin.write(data.encode("latin-1"))
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()


def answer_lines(text):
    """The lines a command printed: its echoed line dropped, control bytes cleaned."""
    lines = [ktest.clean(line) for line in text.replace("\r", "").split("\n")]
    return [line for line in lines[1:] if line]


def fill(text, values):
    """`text` with {A}, {P}, {G}, {END}, {R}, {R1} replaced; KeyError if one has no value yet."""
    for name in re.findall(r"\{([A-Z]+[0-9]?)\}", text):
        if name not in values:
            raise KeyError(name)
        text = text.replace("{" + name + "}", values[name])
    return text


def check_step(step, lines, values):
    """Problems with one answer (empty if it is right); fills `values` from captures."""
    problems = []
    for pattern in step.match:
        regex = re.compile(fill(pattern, values))
        found = next((regex.search(line) for line in lines if regex.search(line)), None)
        if not found:
            problems.append(f"no line matches /{regex.pattern}/")
        elif step.capture:
            values.update(found.groupdict())
    for pattern in step.absent:
        regex = re.compile(fill(pattern, values))
        if any(regex.search(line) for line in lines):
            problems.append(f"a line matches /{regex.pattern}/, which must be gone")
    if step.lines is not None and len(lines) != step.lines:
        problems.append(f"{len(lines)} lines, expected {step.lines}")
    return problems


def derive(values):
    """{P}: the third page of the area; {G}: its guard page; {R1}: the arena's second page."""
    if "A" in values:
        values["P"] = f"0x{int(values['A'], 16) + 0x2000:016x}"
        values["G"] = values["END"]
    if "R" in values:
        values["R1"] = f"0x{int(values['R'], 16) + 0x1000:016x}"


def run_session(console, steps, say):
    """Types each step; returns (passed, problems)."""
    passed, problems, values = 0, [], {}
    if not console.wait_prompts(1, 120):
        return 0, ["no 'mm> ' prompt within 120 s of boot"]
    for i, step in enumerate(steps, start=1):
        try:
            line = fill(step.send, values)
        except KeyError as err:
            problems.append(f"step {i} '{step.send}': needs {err} from an earlier step")
            continue
        ending = "" if line.endswith("\x03") else "\n"
        console.send(line + ending)
        if not console.wait_prompts(i + 1, step.timeout):
            problems.append(f"step {i} '{line!r}': no prompt within {step.timeout} s")
            break
        lines = answer_lines(console.text_after(i))
        found = check_step(step, lines, values)
        derive(values)
        if found:
            problems += [f"step {i} {line!r}: {p}" for p in found]
            say(f"FAILED {line!r}: " + "; ".join(found))
            for out in lines[:8]:
                say(f"    | {out}")
        else:
            passed += 1
    return passed, problems


def finish(console, problems, timeout):
    """poweroff must end QEMU with status 33; returns the status."""
    console.send("poweroff\n")
    try:
        status = console.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        status = None
        problems.append(f"poweroff: QEMU still running after {timeout} s")
    if status is not None and status != EXIT_POWEROFF:
        problems.append(f"poweroff: QEMU exited with status {status}, expected {EXIT_POWEROFF}")
    return status


def log_problems(path):
    """Report lines anywhere in the log that are not marked expected (the CI grep)."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [f"report line in the log: '{ktest.clean(line)}'"
            for line in text.split("\n")
            if REPORT_RE.search(line) and ktest.EXPECTED_WORD not in line][:5]


def main(argv=None):
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--log", required=True)
    cli.add_argument("--result", required=True)
    cli.add_argument("--name", default="shell")
    cli.add_argument("--timeout", type=float, default=60, help="for poweroff")
    cli.add_argument("cmd", nargs=argparse.REMAINDER)
    args = cli.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    say = ktest.Progress(args.name).say
    steps = session()
    os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
    with open(args.log, "wb") as log:
        console = Console(cmd, log)
        try:
            passed, problems = run_session(console, steps, say)
            finish(console, problems, args.timeout)
        finally:
            console.stop()
    problems += log_problems(args.log)
    failed = len(steps) - passed + (1 if problems and passed == len(steps) else 0)
    result = {"name": args.name, "passed": passed, "failed": failed, "skipped": 0,
              "ok": not problems, "problems": problems}
    for p in problems:
        say(p)
    say(f"{passed} of {len(steps)} steps answered as expected"
        + ("" if problems else ", poweroff ended QEMU with status 33"))
    ktest.write_json(args.result, result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
