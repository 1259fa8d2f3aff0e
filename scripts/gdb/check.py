#!/usr/bin/env python3
"""Checks scripts/gdb/mm.py against the kernel's own printers (make test).

Boots the kernel with `mmdemo picture` through scripts/gdb/debug.sh (the
launcher `make debug` uses) with GDB in batch mode. When the serial log
says "mmdemo: done", the whole process group of debug.sh gets SIGINT, as
a terminal's Ctrl-C would: GDB must stop the guest and QEMU must live on.
GDB then runs every mm-* command, and each output is compared with what
the kernel printed for the same state (kernel/mm_demo.c):

  mm-vmallocinfo      the `vmallocinfo:` block
  mm-buddyinfo        the buddyinfo and totals lines after "mmdemo: buddyinfo"
  mm-translate VA     the "mmdemo: translate VA -> ..." line, for each VA
  mm-page PFN / ADDR  the "mmdemo: page pfn ..." lines (ADDR: the vmalloc one)
  mm-ptdump [S E]     the `ptdump: kernel page tables` block (and a slice of it)

Run: check.py --kernel ELF --build DIR --log SERIAL_COPY [--result JSON]
The serial log is copied to SERIAL_COPY for scripts/mm-picture.py and
scripts/gen-docs.py, which check their part on the same boot.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

BOOT_TIMEOUT = 120      # seconds until "mmdemo: done" (TCG on a loaded machine)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernel_blocks(log):
    """The kernel's own lines, by what they show."""
    lines = [l.rstrip("\r") for l in log.splitlines()]
    out = {"vmallocinfo": [], "buddyinfo": [], "translate": {}, "page": [], "ptdump": []}
    mode = None
    for line in lines:
        if line.startswith("mmdemo: translate "):
            va = int(line.split()[2], 16)
            out["translate"][va] = line[len("mmdemo: "):]
        elif line.startswith("mmdemo: page "):
            out["page"].append(line[len("mmdemo: "):])
        if line == "vmallocinfo:":
            mode = "vmallocinfo"
        elif line == "mmdemo: buddyinfo":
            mode = "buddyinfo"
        elif line == "ptdump: kernel page tables":
            mode = "ptdump"
        elif line.startswith(("mmdemo:", "picture:", "kernel:")):
            mode = None
        elif mode:
            out[mode].append(line)
    return out


def gdb_script(k, go):
    """The commands GDB runs once stopped, with the kernel's addresses in
    them: first it waits (30 s at most) for the file `go`, which the check
    creates once it has seen that QEMU outlived the SIGINT."""
    cmds = ["shell i=0; while [ ! -e %s ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done" % go]

    def section(name, *commands):
        cmds.append("echo @@%s\\n" % name)
        cmds.extend(commands)
    section("vmallocinfo", "mm-vmallocinfo")
    section("buddyinfo", "mm-buddyinfo")
    for va in k["translate"]:
        section("translate 0x%x" % va, "mm-translate 0x%x" % va)
    for line in k["page"]:
        section("page " + line.split()[2], "mm-page " + line.split()[2])
    vmalloc3 = next(iter(k["translate"]))
    section("page-addr", "mm-page 0x%x" % vmalloc3)
    section("ptdump", "mm-ptdump")
    section("ptdump-slice", "mm-ptdump 0x%x 0x%x" % (vmalloc3, vmalloc3 + 0x10000))
    section("end")
    return "\n".join(cmds) + "\n"


def gdb_sections(text):
    out, name = {}, None
    for line in text.splitlines():
        if line.startswith("@@"):
            name = line[2:]
            out[name] = []
        elif name:
            out[name].append(line)
    return out


def run_session(args):
    """Boots, interrupts, runs GDB; returns (GDB output, serial log, problems).

    GDB's batch file is `continue` then `source` of a second file, which is
    written from the serial log before the SIGINT ends the `continue`."""
    problems = []
    serial = os.path.join(args.build, "debug-serial.log")
    pidfile = os.path.join(args.build, "debug-qemu.pid")
    go = os.path.join(args.build, "gdb-check.go")
    for f in (serial, pidfile, go):
        if os.path.exists(f):
            os.remove(f)
    batch = os.path.join(args.build, "gdb-check.gdb")
    commands = os.path.join(args.build, "gdb-check-commands.gdb")
    with open(batch, "w") as f:
        f.write("continue\nsource %s\n" % os.path.abspath(commands))
    gdb_out = os.path.join(args.build, "gdb-check.out")
    cmd = ["sh", "scripts/gdb/debug.sh", "--kernel", args.kernel, "--build", args.build,
           "--port", str(free_port()), "--batch", batch, "--", "--mem", "128M",
           "--cmdline", "mmdemo picture"]
    with open(gdb_out, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + BOOT_TIMEOUT
        while "mmdemo: done" not in read(serial) and time.time() < deadline \
                and proc.poll() is None:
            time.sleep(0.2)
        if "mmdemo: done" not in read(serial):
            problems.append("the kernel did not print 'mmdemo: done'")
        with open(commands, "w") as f:
            f.write(gdb_script(kernel_blocks(read(serial)), go))
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)      # the terminal's Ctrl-C
        deadline = time.time() + 30
        while "SIGINT" not in read(gdb_out) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        qemu_alive = pid_alive(read(pidfile).strip())
        open(go, "w").close()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        pid = read(pidfile).strip()
        if pid and pid_alive(pid):
            problems.append("QEMU was still running after GDB exited")
            os.kill(int(pid), signal.SIGKILL)
    if not qemu_alive:
        problems.append("Ctrl-C (SIGINT to the process group) ended QEMU")
    return read(gdb_out), read(serial), problems


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def pid_alive(pid):
    try:
        os.kill(int(pid), 0)
        return True
    except (ValueError, ProcessLookupError):
        return False


def compare(name, want, got, problems):
    if want == got and want:
        return True
    detail = "nothing from the kernel" if not want else "GDB printed nothing" if not got else \
        next(("kernel %r, GDB %r" % (w, g) for w, g in zip(want + [""] * len(got),
                                                          got + [""] * len(want)) if w != g))
    problems.append("%s: %s" % (name, detail))
    return False


def slice_of(ptdump, start, end):
    """The lines of the kernel's dump inside [start, end), under their region's header."""
    out, header = [], None
    for line in ptdump:
        if line.startswith("---["):
            header = line
            continue
        a, b = (int(x, 16) for x in line.split()[0].split("-"))
        if start <= a and b <= end:
            if header:
                out.append(header)
                header = None
            out.append(line)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--result")
    args = ap.parse_args()

    problems, passed = [], 0
    gdb_text, log, boot_problems = run_session(args)
    problems += boot_problems
    shutil.copyfile(os.path.join(args.build, "debug-serial.log"), args.log)
    k, g = kernel_blocks(log), gdb_sections(gdb_text)
    if "Program received signal SIGINT" not in gdb_text:
        problems.append("GDB did not report the guest stopped by SIGINT")
    else:
        passed += 1
    checks = [("mm-vmallocinfo", k["vmallocinfo"], g.get("vmallocinfo")),
              ("mm-buddyinfo", k["buddyinfo"], g.get("buddyinfo")),
              ("mm-ptdump", k["ptdump"], g.get("ptdump"))]
    for va, line in k["translate"].items():
        got = [l for l in g.get("translate 0x%x" % va, []) if l.startswith("translate ")]
        checks.append(("mm-translate 0x%x" % va, [line], got))
    for line in k["page"]:
        pfn = line.split()[2]
        checks.append(("mm-page " + pfn, [line], g.get("page " + pfn, [])[:1]))
    if k["page"]:
        checks.append(("mm-page ADDR", k["page"][:1], g.get("page-addr", [])[:1]))
    first = next(iter(k["translate"]), 0)
    checks.append(("mm-ptdump START END", slice_of(k["ptdump"], first, first + 0x10000),
                   g.get("ptdump-slice")))
    for name, want, got in checks:
        passed += compare(name, want, got or [], problems)
    if "end" not in g:
        problems.append("GDB stopped before the last command (see %s/gdb-check.out)" % args.build)
    failed = len(problems)
    for p in problems:
        print("gdb-check: " + p)
    print("gdb-check: %d checks passed, %d problems" % (passed, failed))
    if args.result:
        with open(args.result, "w") as f:
            json.dump({"name": "gdb", "passed": passed, "failed": failed, "skipped": 0,
                       "ok": not failed, "problems": problems}, f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
