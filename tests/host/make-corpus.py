#!/usr/bin/env python3
"""Write the fuzzer's seed corpus (tests/host/corpus/) from the readable programs below.

Each seed is a sequence of operations of the fuzz engine (tests/host/fuzz.h): one 4-byte
record per operation, (op, a, b, c), with the meanings listed at the top of
tests/host/fuzz_ops.c.  The seeds give libFuzzer a start in every part of the API; the
host tests replay them too.  Run: python3 tests/host/make-corpus.py
"""

import os

OPS = ["vmalloc", "vfree", "vmap", "vunmap", "get_area", "free_area", "sparse_map",
       "sparse_unmap", "arena_create", "arena_alloc", "arena_free", "pages", "kmalloc",
       "touch", "purge", "fail_next", "misuse"]

SEEDS = {
    # sizes, alignments (4K..512K, 2M), zeroed, no guard; touch; lazy free and purge
    "vmalloc_vfree": [
        ("vmalloc", 0, 0, 0), ("vmalloc", 15, 1, 3), ("vmalloc", 255, 0, 8),
        ("vmalloc", 2, 3, 7), ("touch", 1, 7, 0), ("vfree", 0, 0, 0),
        ("vmalloc", 3, 0, 0), ("touch", 0, 0, 0), ("vfree", 1, 0, 0), ("purge", 0, 0, 0),
        ("vmalloc", 7, 2, 1), ("vfree", 0, 0, 0), ("vfree", 0, 0, 0), ("vfree", 0, 0, 0),
    ],
    # more than 512 pages: the page array is vmalloc'ed itself ("vpages")
    "vmalloc_big": [
        ("vmalloc", 0, 1, 0x40), ("touch", 0, 200, 0), ("vmalloc", 200, 0, 0x41),
        ("vfree", 0, 0, 0), ("purge", 0, 0, 0), ("vfree", 0, 0, 0),
    ],
    # read/write and read-only vmaps of the engine's frames; a write to read-only faults
    "vmap_vunmap": [
        ("vmap", 0, 0, 0), ("vmap", 7, 2, 0), ("vmap", 3, 1, 0), ("touch", 1, 3, 0),
        ("touch", 0, 0, 0), ("vunmap", 1, 0, 0), ("vunmap", 0, 0, 0), ("purge", 0, 0, 0),
        ("vunmap", 0, 0, 0),
    ],
    # VM_SPARSE: map, overlap (-EBUSY), past the end (-ERANGE), unmap holes, free with pages
    "sparse": [
        ("get_area", 15, 1, 0), ("sparse_map", 0, 2, 3), ("sparse_map", 0, 4, 1),
        ("sparse_map", 0, 14, 0x85), ("sparse_unmap", 0, 0, 15),
        ("sparse_map", 0, 0, 15), ("get_area", 3, 3, 0), ("sparse_map", 1, 0, 0),
        ("free_area", 0, 1, 0), ("free_area", 0, 1, 0), ("get_area", 5, 0, 0),
        ("free_area", 0, 0, 0),
    ],
    # arenas: lowest fit, at an address (-EBUSY), -ENOSPC, fault-in, faults, free, destroy
    "arena": [
        ("arena_create", 7, 0, 0), ("arena_alloc", 0, 2, 0), ("arena_alloc", 0, 0, 5),
        ("arena_alloc", 0, 7, 0), ("touch", 0, 6, 0), ("arena_free", 0, 1, 1),
        ("arena_create", 15, 1, 0), ("touch", 1, 4, 0), ("touch", 1, 15, 0),
        ("arena_alloc", 1, 3, 9), ("arena_free", 1, 0, 0x80), ("arena_free", 0, 0, 7),
        ("arena_free", 0, 0, 0x80),
    ],
    # frame blocks of every order, kmalloc classes and large kmalloc
    "pages_kmalloc": [
        ("pages", 0, 0, 0), ("pages", 4, 1, 0), ("pages", 2, 0, 0), ("kmalloc", 0, 7, 0),
        ("kmalloc", 15, 255, 0), ("kmalloc", 255, 0, 0), ("pages", 1, 0, 1),
        ("kmalloc", 1, 0, 1), ("pages", 0, 0, 1), ("kmalloc", 0, 0, 1),
    ],
    # an allocation failing at the n-th frame, slab or page-table call leaves no trace
    "fail_injection": [
        ("fail_next", 0, 0, 0), ("vmalloc", 31, 0, 0), ("fail_next", 1, 0, 0),
        ("vmalloc", 3, 0, 0), ("fail_next", 2, 0, 0), ("vmalloc", 0, 0, 4),
        ("fail_next", 0, 3, 0), ("vmap", 4, 0, 0), ("get_area", 9, 1, 0),
        ("fail_next", 2, 0, 0), ("sparse_map", 0, 0, 3), ("arena_create", 3, 1, 0),
        ("fail_next", 0, 0, 0), ("touch", 1, 2, 0), ("fail_next", 0, 1, 0),
        ("arena_alloc", 1, 1, 0), ("fail_next", 1, 0, 0), ("kmalloc", 2, 0, 0),
    ],
    # every misuse prints one warning and changes nothing
    "misuse": [
        ("vmalloc", 3, 0, 0), ("vmap", 1, 0, 0), ("get_area", 3, 1, 0),
        ("misuse", 0, 0, 0), ("misuse", 1, 0, 0), ("misuse", 2, 0, 0), ("misuse", 3, 0, 0),
        ("misuse", 4, 0, 0), ("misuse", 5, 0, 0),
    ],
    # many small areas freed lazily, then reused after the purge
    "lazy_reuse": [("vmalloc", i % 5, 0, 0) for i in range(12)]
    + [("vfree", 0, 0, 0)] * 12 + [("vmalloc", 1, 0, 0), ("purge", 0, 0, 0),
                                   ("vmalloc", 2, 0, 0), ("vfree", 1, 0, 0)],
}


def encode(program):
    out = bytearray()
    for op, a, b, c in program:
        out += bytes([OPS.index(op), a, b, c])
    return bytes(out)


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(here, exist_ok=True)
    for name, program in sorted(SEEDS.items()):
        with open(os.path.join(here, name), "wb") as f:
            f.write(encode(program))
    print(f"wrote {len(SEEDS)} seeds to {here}")


if __name__ == "__main__":
    main()
