#!/usr/bin/env python3
"""Inputs of the memory subsystem's random model (tests/mm_model.h, docs/reliability.md).

  make-corpus.py                      write the seed corpus (tests/host/corpus/) from the
                                      readable programs below
  make-corpus.py --from-log LOG OUT   the bytes a run printed with stress.dump=1 (or
                                      model.verbose) as an input file: a stress failure
                                      becomes a fuzz input / regression
  make-corpus.py --c-table OUT FILE.. the inputs as a C table (mm_model_inputs[]) for the
                                      suite model_replay, in the kernel and on the host

Input format: one byte picks the operation through the weight table of tests/mm_ops.c
(OPS below, same order and weights), then the operation reads its arguments one byte at
a time. The encoder keeps a small model of the live objects, because an operation that
picks an object reads a byte only if there is a candidate.
"""

import os
import re
import sys

# (name, weight) in the order of mm_model_ops[] (tests/mm_ops.c).
OPS = [("free", 74), ("vmalloc", 40), ("vmap", 20), ("get_vm_area", 14),
       ("arena_create", 10), ("kmalloc", 26), ("alloc_pages", 8), ("sparse_map", 18),
       ("sparse_unmap", 10), ("arena_alloc", 12), ("arena_free", 5), ("touch", 8),
       ("verify", 5), ("misuse", 2), ("purge", 3), ("fail_next", 1)]
assert sum(w for _, w in OPS) == 256


def op_byte(name):
    start = 0
    for n, w in OPS:
        if n == name:
            return start
        start += w
    raise KeyError(name)


YES, NO = 0, 255        # model_chance(): true for a low byte


class Encoder:
    """Writes operations and mirrors the engine's slots, so that picks read the right bytes."""

    def __init__(self):
        self.out = bytearray()
        self.slots = [None] * 64

    def byte(self, v):
        self.out.append(v & 0xff)

    def below(self, v, n):
        assert 0 <= v < n
        if n > 256:
            self.byte(v >> 8)
        self.byte(v)

    def pick(self, which, kind=None, ok=None):
        live = [i for i, o in enumerate(self.slots)
                if o and (kind is None or o["kind"] in kind) and (ok is None or ok(o))]
        if not live:
            return None
        self.below(which % len(live), len(live))
        return live[which % len(live)]

    def new(self, **obj):
        i = self.slots.index(None)
        self.slots[i] = obj

    def op(self, name):
        self.byte(op_byte(name))

    # --- the operations: arguments in the order the engine reads them ---

    def vmalloc(self, pages, align_shift=0, zero=False, guard=True):
        self.op("vmalloc")
        if pages > 512:
            self.byte(YES); self.below(pages - 513, 88)
        else:
            self.byte(NO)
            if pages > 16:
                self.byte(YES); self.below(pages - 17, 240)
            else:
                self.byte(NO); self.below(pages - 1, 16)
        if align_shift:
            self.byte(YES); self.below(align_shift - 1, 9)
        else:
            self.byte(NO)
        self.byte(YES if zero else NO)
        self.byte(NO if guard else YES)
        self.new(kind="vmalloc", pages=pages, guard=guard)

    def vmap(self, pages, guard=True, ro=False):
        self.op("vmap")
        self.below(pages - 1, 8)
        self.byte(NO if guard else YES)
        self.byte(YES if ro else NO)
        self.new(kind="vmap", pages=pages, guard=guard)

    def get_vm_area(self, pages, sparse=True, guard=True, prebuilt=False, probe=0):
        self.op("get_vm_area")
        self.below(pages - 1, 64)
        how = (1 if sparse else 0) + (0 if not guard else 4) + (0 if prebuilt else 40)
        self.byte(how)
        self.below(probe, pages)
        self.new(kind="sparse" if sparse else "area", pages=pages, guard=guard, mapped=set())

    def arena_create(self, pages, fault_in=False, prebuilt=False, probe=0):
        self.op("arena_create")
        self.below(pages - 1, 64)
        self.byte(YES if fault_in else NO)
        self.byte(YES if prebuilt else NO)
        self.below(probe, pages)
        self.new(kind="arena", pages=pages, mapped=set())

    def kmalloc(self, size):
        self.op("kmalloc")
        if size <= 1024:
            self.byte(YES); self.below(size - 1, 1024)
        else:
            self.byte(NO); self.below(size - 1025, 16384 - 1024)
        self.byte(NO)
        self.new(kind="kmalloc", pages=0)

    def alloc_pages(self, order, zero=False):
        self.op("alloc_pages")
        self.below(order, 5)
        self.byte(YES if zero else NO)
        self.new(kind="pages", pages=1 << order)

    def free(self, which, leave_mapped=False):
        self.op("free")
        i = self.pick(which)
        if i is not None:
            o = self.slots[i]
            if o["kind"] == "sparse" and o["mapped"]:
                self.byte(YES if leave_mapped else NO)
            self.slots[i] = None

    def sparse_map(self, which, first, count, past_end=False):
        self.op("sparse_map")
        i = self.pick(which, {"sparse"})
        o = self.slots[i]
        self.below(first, o["pages"])
        self.below(count - 1, 16)
        self.byte(YES if past_end else NO)
        if not past_end:
            count = min(count, o["pages"] - first)
        pages = set(range(first, first + count))
        if o["guard"] and first + count <= o["pages"] and not (pages & o["mapped"]):
            o["mapped"] |= pages

    def sparse_unmap(self, which, first, count):
        self.op("sparse_unmap")
        o = self.slots[self.pick(which, {"sparse"})]
        self.below(first, o["pages"])
        self.below(count - 1, o["pages"] - first)
        o["mapped"] -= set(range(first, first + count))

    def arena_alloc(self, which, count, at=None):
        self.op("arena_alloc")
        o = self.slots[self.pick(which, {"arena"})]
        self.below(count - 1, 8)
        if at is None:
            self.byte(YES)
            for first in range(o["pages"] - count + 1):
                if not set(range(first, first + count)) & o["mapped"]:
                    o["mapped"] |= set(range(first, first + count))
                    break
        else:
            self.byte(NO)
            self.below(at, o["pages"])
            pages = set(range(at, at + count))
            if at + count <= o["pages"] and not pages & o["mapped"]:
                o["mapped"] |= pages

    def arena_free(self, which, first, count):
        self.op("arena_free")
        o = self.slots[self.pick(which, {"arena"})]
        self.below(first, o["pages"])
        self.below(count - 1, o["pages"] - first)
        o["mapped"] -= set(range(first, first + count))

    def touch(self, which, page):
        self.op("touch")
        i = self.pick(which, {"vmalloc", "vmap", "sparse", "arena", "pages"})
        if i is not None:
            self.below(page % self.slots[i]["pages"], self.slots[i]["pages"])

    def verify(self, which):
        self.op("verify")
        self.pick(which)

    def purge(self):
        self.op("purge")

    def fail_next(self, site, n):
        self.op("fail_next")
        self.below(site, 3)
        self.below(n - 1, 16)

    def misuse(self, kind, which=0):
        self.op("misuse")
        self.below(kind, 6)
        picks = {1: ({"vmalloc"}, lambda o: o["pages"] >= 2), 2: ({"vmalloc"}, None),
                 3: ({"vmap"}, None), 4: ({"sparse"}, lambda o: o["guard"])}
        if kind in picks:
            self.pick(which, *picks[kind])


def seeds():
    s = {}
    e = Encoder()       # sizes, alignments (8K..2M), zeroed, no guard; touch; lazy free, purge
    e.vmalloc(1); e.vmalloc(16, 1, zero=True); e.vmalloc(256, 9); e.vmalloc(3, 7, True, False)
    e.touch(1, 7); e.free(0); e.vmalloc(4); e.touch(0, 0); e.free(1); e.purge()
    e.vmalloc(8, 2, guard=False); e.free(0); e.free(0); e.free(0); e.free(0)
    s["vmalloc_vfree"] = e
    e = Encoder()       # more than 512 pages: the page array is vmalloc'ed itself
    e.vmalloc(513, zero=True); e.touch(0, 200); e.vmalloc(600, 1); e.verify(1)
    e.free(0); e.purge(); e.free(0)
    s["vmalloc_big"] = e
    e = Encoder()       # read/write and read-only vmaps; a write to read-only faults
    e.vmap(1); e.vmap(8, ro=True); e.vmap(4, guard=False); e.touch(1, 3); e.touch(0, 0)
    e.verify(2); e.free(1); e.free(0); e.purge(); e.free(0)
    s["vmap_vunmap"] = e
    e = Encoder()       # VM_SPARSE: map, overlap (-EBUSY), past the end (-ERANGE), holes
    e.get_vm_area(16, probe=5); e.sparse_map(0, 2, 4); e.sparse_map(0, 4, 2)
    e.sparse_map(0, 14, 6, past_end=True); e.sparse_unmap(0, 0, 16); e.sparse_map(0, 0, 16)
    e.get_vm_area(4, guard=False); e.sparse_map(1, 0, 1); e.sparse_unmap(1, 0, 1)
    e.touch(0, 3); e.get_vm_area(8, sparse=False); e.sparse_map(0, 1, 3)
    e.free(0, leave_mapped=True); e.get_vm_area(6); e.sparse_map(2, 0, 6)
    e.free(0); e.free(0); e.free(0)
    s["sparse"] = e
    e = Encoder()       # arenas: lowest fit, at a page (-EBUSY, -EINVAL), -ENOSPC, fault-in
    e.arena_create(8); e.arena_alloc(0, 3); e.arena_alloc(0, 1, at=2); e.arena_alloc(0, 8)
    e.touch(0, 6); e.arena_free(0, 1, 1); e.arena_create(16, fault_in=True)
    e.touch(1, 4); e.touch(1, 15); e.arena_alloc(1, 4, at=14); e.arena_alloc(1, 4, at=4)
    e.verify(1); e.free(1); e.arena_free(0, 0, 8); e.free(0)
    s["arena"] = e
    e = Encoder()       # frame blocks of every order, kmalloc classes and large kmalloc
    e.alloc_pages(0); e.alloc_pages(4, True); e.alloc_pages(2); e.kmalloc(8); e.kmalloc(1000)
    e.kmalloc(16384); e.kmalloc(4097); e.touch(1, 9); e.free(1); e.free(3); e.free(0)
    e.free(0); e.free(0); e.free(0)
    s["pages_kmalloc"] = e
    e = Encoder()       # an allocation failing at the n-th frame, slab or table call
    e.fail_next(0, 1); e.vmalloc(32); e.fail_next(1, 1); e.vmalloc(4); e.fail_next(2, 1)
    e.vmalloc(1, 4); e.fail_next(0, 4); e.vmap(5); e.fail_next(2, 1); e.kmalloc(3000)
    e.fail_next(0, 1); e.alloc_pages(1); e.fail_next(1, 2); e.kmalloc(64)
    s["fail_injection"] = e
    e = Encoder()       # every misuse prints one warning and changes nothing
    e.vmalloc(4); e.vmap(2); e.get_vm_area(4)
    for k in range(6):
        e.misuse(k)
    s["misuse"] = e
    e = Encoder()       # many small areas freed lazily, then reused after the purge
    for i in range(12):
        e.vmalloc(i % 5 + 1)
    for _ in range(12):
        e.free(0)
    e.vmalloc(2); e.purge(); e.vmalloc(3); e.free(1)
    s["lazy_reuse"] = e
    return s


def write_corpus():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(here, exist_ok=True)
    for name, enc in sorted(seeds().items()):
        with open(os.path.join(here, name), "wb") as f:
            f.write(bytes(enc.out))
    print(f"wrote {len(seeds())} seeds to {here}")


def from_log(log, out):
    """The `model: bytes N: xx xx ..` lines of a run, in order, as one input."""
    data = bytearray()
    for line in open(log, errors="replace"):
        m = re.search(r"model: bytes \d+: ([0-9a-f ]+)$", line.rstrip())
        if m:
            data += bytes(int(x, 16) for x in m.group(1).split())
    with open(out, "wb") as f:
        f.write(data)
    print(f"{out}: {len(data)} bytes")


def c_name(path):
    kind = "regression" if os.path.basename(os.path.dirname(path)) == "regressions" else "corpus"
    return re.sub(r"[^A-Za-z0-9]", "_", f"{kind}_{os.path.basename(path)}")


def c_table(out, paths):
    paths = sorted((p for p in paths if os.path.basename(p) != "README"), key=c_name)
    lines = ["/* Generated by tests/host/make-corpus.py --c-table: the saved model inputs. */",
             '#include "tests/mm_model.h"', ""]
    for i, p in enumerate(paths):
        data = open(p, "rb").read()
        body = ",".join(str(b) for b in data) or "0"
        lines.append(f"static const u8 input{i}[] = {{ {body} }};")
    lines.append("const struct mm_model_input mm_model_inputs[] = {")
    for i, p in enumerate(paths):
        lines.append(f'\t{{ "{c_name(p)}", input{i}, {os.path.getsize(p)} }},')
    lines += ["\t{ 0 }", "};", f"const unsigned mm_model_nr_inputs = {len(paths)};", ""]
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        f.write("\n".join(lines))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--from-log" and len(sys.argv) == 4:
        from_log(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "--c-table":
        c_table(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 1:
        write_corpus()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
