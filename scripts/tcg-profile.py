#!/usr/bin/env python3
"""Profile of a TCG run by kernel function (scripts/tcg-profile.sh runs it).

    tcg-profile.py PERF_DATA TB_LOG KERNEL_ELF

TB_LOG is QEMU's `-d in_asm,out_asm` log. Each translated block appears in
it twice: `IN:` lists its guest instructions in order, `OUT:` its host code,
where a `-- guest addr` line starts the host instructions of the next guest
instruction. Pairing the k-th marker with the k-th guest instruction gives,
for every host address of translated code, the guest instruction it runs.
Samples there are counted by the kernel function containing that guest
instruction; samples elsewhere in QEMU by the host symbol perf names (a
helper, the softmmu, QEMU's own loop), and an unnamed static function of
QEMU's by its address and the exported symbol before it (the guest's atomic
operations run in ones after cpu_stq_le_data, with the host's locked
instruction inside). Prints the share of each, largest first.
"""
import bisect
import collections
import re
import subprocess
import sys

GUEST_MARK = re.compile(r"^\s+-- guest addr ")
INSN = re.compile(r"^0x([0-9a-f]+):")


def host_to_guest(tb_log):
    """Sorted host addresses of translated code and the guest address of each."""
    pairs, guest, mode, k = [], [], None, -1
    with open(tb_log, errors="replace") as f:
        for line in f:
            if line.startswith("IN:"):
                guest, mode = [], "in"
            elif line.startswith("OUT:"):
                mode, k = "out", -1
            elif mode == "in":
                m = INSN.match(line)
                if m:
                    guest.append(int(m.group(1), 16))
            elif mode == "out":
                if GUEST_MARK.match(line):
                    k += 1
                    continue
                m = INSN.match(line)
                if m and 0 <= k < len(guest):
                    pairs.append((int(m.group(1), 16), guest[k]))
    pairs.sort()
    return [h for h, _ in pairs], [g for _, g in pairs]


def kernel_functions(elf):
    """Sorted (address, name) of the kernel's text symbols."""
    out = subprocess.run(["nm", "-n", elf], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tTwW":
            syms.append((int(p[0], 16), p[2]))
    return syms


def translated_samples(perf_data):
    """The address of every sample in QEMU's translated code."""
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "comm,ip,dso"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*(\S.*?)\s+([0-9a-f]+)\s+\((.*)\)\s*$", line)
        if m and m.group(1).startswith("qemu") and ("perf-" in m.group(3) or "JIT" in m.group(3)):
            yield int(m.group(2), 16)


def dso_paths(perf_data):
    """The full path of each file perf sampled in, by its base name."""
    out = subprocess.run(["perf", "buildid-list", "-i", perf_data], capture_output=True,
                         text=True).stdout
    return {p[1].rsplit("/", 1)[-1]: p[1] for p in (l.split() for l in out.splitlines())
            if len(p) == 2 and p[1].startswith("/")}


def nearest_export(dso, addr, cache={}):
    """The exported symbol at or below file address `addr` of file `dso` ("" if none)."""
    if dso not in cache:
        out = subprocess.run(["nm", "-D", "--defined-only", dso], capture_output=True,
                             text=True).stdout
        cache[dso] = sorted((int(p[0], 16), p[2]) for p in (l.split() for l in out.splitlines())
                            if len(p) == 3)
    syms = cache[dso]
    i = bisect.bisect_right(syms, (addr, "~")) - 1
    return "%s+0x%x" % (syms[i][1].split("@")[0], addr - syms[i][0]) if i >= 0 else ""


def host_samples(perf_data):
    """(count, name) of QEMU's samples outside translated code, by host symbol."""
    out = subprocess.run(["perf", "report", "-i", perf_data, "--stdio", "--comm",
                          "qemu-system-x86", "--sort", "dso,sym", "-F", "sample,dso,sym"],
                         capture_output=True, text=True).stdout
    paths = dso_paths(perf_data)
    for line in out.splitlines():
        m = re.match(r"\s*(\d+)\s+(\S+)\s+\[.\]\s+(.*\S)", line)
        if not m or "perf-" in m.group(2) or "JIT" in m.group(2):
            continue
        dso, sym = m.group(2), m.group(3)
        if re.fullmatch(r"0x[0-9a-f]+", sym) and dso in paths:     # an unnamed static function
            sym = "0x%x (after %s)" % (int(sym, 16),
                                       nearest_export(paths[dso], int(sym, 16)) or "?")
        yield int(m.group(1)), "%s %s" % (dso.rsplit("/", 1)[-1], sym.split("@")[0])


def main():
    perf_data, tb_log, elf = sys.argv[1:4]
    hosts, guests = host_to_guest(tb_log)
    syms = kernel_functions(elf)
    sym_addrs = [a for a, _ in syms]
    counts = collections.Counter()
    for ip in translated_samples(perf_data):
        i = bisect.bisect_right(hosts, ip) - 1
        if i < 0:
            counts["(translated code not in the log)"] += 1
            continue
        j = bisect.bisect_right(sym_addrs, guests[i]) - 1
        counts["kernel " + (syms[j][1] if j >= 0 else hex(guests[i]))] += 1
    kernel = sum(counts.values())
    for n, name in host_samples(perf_data):
        counts["host " + name] += n
    total = sum(counts.values())
    if not total:
        sys.exit("tcg-profile.py: no samples")
    print("%d samples: %.1f%% in translated kernel code, %.1f%% in QEMU and the host"
          % (total, 100.0 * kernel / total, 100.0 * (total - kernel) / total))
    for name, n in counts.most_common(40):
        print("%6d %5.1f%%  %s" % (n, 100.0 * n / total, name))


if __name__ == "__main__":
    main()
