/*
 * The mm fuzz engine (docs/host.md): an input is a sequence of 4-byte
 * records, each one operation of the memory subsystem's public API,
 *
 *   byte 0: operation (enum fuzz_op, modulo FUZZ_NR_OPS)
 *   bytes 1-3: its arguments a, b, c (what each means: fuzz_ops.c)
 *
 * run on a freshly booted small host machine, so every input starts from
 * the same state. Each result is checked against a reference model (what
 * is live, where, which pages are mapped, what they hold, how many
 * warnings the operation must print), and after each operation the
 * invariant checkers run (mm_check_all), every stale TLB entry must lie
 * in a lazily freed range, and a failed operation must have left no
 * trace. At the end everything is freed and the subsystem must be back
 * where boot left it.
 *
 * The same engine runs under libFuzzer (tests/host/fuzz_libfuzzer.c) and
 * in the host tests, which replay the seed corpus and every regression
 * (tests/host/test_fuzz_replay.c).
 */
#ifndef TESTS_HOST_FUZZ_H
#define TESTS_HOST_FUZZ_H

#include "kernel/types.h"

enum fuzz_op {
	FOP_VMALLOC, FOP_VFREE, FOP_VMAP, FOP_VUNMAP, FOP_GET_AREA, FOP_FREE_AREA,
	FOP_SPARSE_MAP, FOP_SPARSE_UNMAP, FOP_ARENA_CREATE, FOP_ARENA_ALLOC,
	FOP_ARENA_FREE, FOP_PAGES, FOP_KMALLOC, FOP_TOUCH, FOP_PURGE, FOP_FAIL_NEXT,
	FOP_MISUSE, FUZZ_NR_OPS
};

#define FUZZ_RECORD     4       /* bytes per operation */
#define FUZZ_MAX_OPS    512     /* the rest of a longer input is ignored */

/* Where an input's failure goes. */
enum fuzz_mode {
	FUZZ_ABORT,     /* print what broke and abort(): libFuzzer keeps the input */
	FUZZ_RETURN,    /* print it and return -1: the replay suite reports it */
};

/*
 * Boots the fuzz machine ("small", 31 MiB) and runs `data` on it. 0 if
 * every check held, -1 (FUZZ_RETURN) after printing the failure and the
 * operations that led to it. Console output of a run that passes is
 * discarded; with `verbose` each operation is printed as it runs.
 */
int fuzz_run(const u8 *data, size_t size, enum fuzz_mode mode, bool verbose);

#endif
