#!/usr/bin/env python3
"""Checks that mm/ is layered: no file calls or includes a layer above it.

Each unit is a name under mm/: foo.c, foo.h and the foo_*.c files that
share foo's header are one unit, and the vmalloc family (the API of
mm/vmalloc.h, written in vmalloc.c, vm_sparse.c, vread.c, vmallocinfo.c and
vmalloc_fault.c) is one unit too: its files call each other freely. Edges come from two sources:
the #include "mm/..." lines of every mm file, and the symbols each mm object
file needs (nm -u) matched to the object that defines them (nm --defined-only).
The units must form no cycle, and each edge must go from a higher layer to a
lower or equal one in LAYERS below (the order docs/ describes).

    check-layers.py BUILD_DIR [--result RESULT.json]   (objects in BUILD_DIR/mm/*.o)

Prints the edges that break the order and any cycle; exit 1 if there are any.
"""
import glob
import json
import os
import re
import subprocess
import sys

# Bottom to top. A unit may use units of its own layer or below.
LAYERS = [
    ["layout", "arch_mmu", "page"],
    ["fault_inject", "op_hook"],
    ["memmap", "bootmem"],
    ["pfa"],
    ["slab"],
    ["pgtable", "ptdump"],
    ["vmap_area"],
    ["vmalloc"],
    ["arena", "ioremap", "vstack"],
    ["kernel_map"],
    ["mm_check"],
    ["init"],
]
RANK = {u: i for i, layer in enumerate(LAYERS) for u in layer}
# Files whose names do not start with their unit's.
FAMILY = {"vm_sparse": "vmalloc", "vread": "vmalloc", "vmallocinfo": "vmalloc",
          "vmap_busy": "vmap_area", "vmap_cpu": "vmap_area", "vmap_check": "vmap_area",
          "vmap_internal": "vmap_area"}


def unit_of(path):
    """The unit of mm/<name>.[ch]: the longest layer name that prefixes it."""
    name = os.path.splitext(os.path.basename(path))[0]
    if name in FAMILY:
        return FAMILY[name]
    best = None
    for u in RANK:
        if name == u or name.startswith(u + "_"):
            if best is None or len(u) > len(best):
                best = u
    return best or name


def include_edges():
    edges = set()
    for path in glob.glob("mm/*.[ch]"):
        src = unit_of(path)
        for line in open(path, encoding="utf-8"):
            if re.match(r'\s*#\s*include\s+"tests/', line):
                edges.add((src, "tests", "include " + path))
            m = re.match(r'\s*#\s*include\s+"mm/([^"]+)"', line)
            if m:
                dst = unit_of(m.group(1))
                if dst != src:
                    edges.add((src, dst, "include " + path))
    return edges


def nm(args, obj):
    out = subprocess.run(["nm"] + args + [obj], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def symbol_edges(build):
    defined, needed = {}, {}
    for obj in glob.glob(os.path.join(build, "mm", "*.o")):
        unit = unit_of(obj)
        for line in nm(["--defined-only"], obj):
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBRC" and parts[1].isupper():
                defined[parts[2]] = unit
        needed[obj] = [line.split()[-1] for line in nm(["-u"], obj)]
    edges = set()
    for obj, syms in needed.items():
        src = unit_of(obj)
        for s in syms:
            dst = defined.get(s)
            if dst and dst != src:
                edges.add((src, dst, "calls %s (%s)" % (s, os.path.basename(obj))))
    return edges


def find_cycle(edges):
    graph = {}
    for a, b, _ in edges:
        graph.setdefault(a, set()).add(b)
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if not state.get(n):
            c = visit(n)
            if c:
                return c
    return None


def main():
    args = sys.argv[1:]
    result = None
    if "--result" in args:
        i = args.index("--result")
        result = args[i + 1]
        del args[i:i + 2]
    build = args[0] if args else "build"
    edges = include_edges() | symbol_edges(build)
    bad = 0
    for a, b, why in sorted(edges):
        if b == "tests":
            print("check-layers: %s includes test machinery: %s" % (a, why))
            bad += 1
        elif a not in RANK or b not in RANK:
            print("check-layers: mm/%s or mm/%s is in no layer (add it to LAYERS)" % (a, b))
            bad += 1
        elif RANK[b] > RANK[a]:
            print("check-layers: %s calls up into %s: %s" % (a, b, why))
            bad += 1
    cycle = find_cycle({e for e in edges if e[1] != "tests"})
    if cycle:
        print("check-layers: cycle: " + " -> ".join(cycle))
        bad += 1
    units = sorted({u for e in edges for u in e[:2]})
    print("check-layers: %d units, %d edges, %s" % (len(units), len(edges),
          "ok" if not bad else "%d problems" % bad))
    if result:
        with open(result, "w", encoding="utf-8") as f:
            json.dump({"name": "layers", "passed": 0 if bad else 1, "failed": 1 if bad else 0,
                       "skipped": 0, "ok": not bad}, f)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
