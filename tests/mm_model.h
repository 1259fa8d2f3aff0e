/*
 * The random model of the memory subsystem's API (docs/reliability.md):
 * one engine for the kernel's stress suite, the fuzzer and the replay of
 * saved inputs. It runs operations of the public API (vmalloc, vmap,
 * get_vm_area, VM_SPARSE maps, arenas, frame blocks, kmalloc, touching
 * memory, purges, failure injection, misuses) and checks each result
 * against a reference model of what is live, where, which frame backs
 * each page and what the page holds.
 *
 * Everything the engine decides comes from a byte source and the model,
 * never from an address the kernel returned: the bytes of a fuzz input,
 * or a generator seeded with ktest.seed. So the same bytes run the same
 * operations in the kernel and on the host, and a seed replays a stress
 * run anywhere.
 *
 * Byte format: one byte picks the operation (through a 256-entry weight
 * table: tests/mm_ops.c, mm_model_ops[]), then the operation reads its
 * arguments, one byte at a time, as many as it needs. The input ends at
 * its last complete operation; a byte read past the end is 0.
 */
#ifndef TESTS_MM_MODEL_H
#define TESTS_MM_MODEL_H

#include "kernel/types.h"

enum mm_model_mode {
	MM_MODEL_RETURN,        /* a broken check: print it, clean up, return -1 */
	MM_MODEL_ABORT,         /* print it and abort() (libFuzzer keeps the input) */
};

struct mm_model_config {
	const u8 *data;                 /* the input's bytes, or NULL: ... */
	size_t size;
	u64 seed;                       /* ... a generator with this seed */
	unsigned long max_ops;          /* stop after this many operations (0: no limit) */
	unsigned long check_every;      /* the full checkpoint every N operations (>= 1) */
	bool verbose;                   /* print each operation and the bytes it read */
	enum mm_model_mode mode;
	void (*log)(const char *line);  /* where lines go (NULL: printk "model: ...") */
	bool shared;                    /* other CPUs run models at the same time (below) */
};

struct mm_model_result {
	unsigned long ops;              /* operations run */
	unsigned long counts[32];       /* per entry of the operation table */
};

/*
 * Runs the model over the input (or the seeded generator) from the
 * current state of the memory subsystem, then frees everything and
 * checks that the subsystem is back where it started. 0 if every check
 * held; -1 after a broken check (MM_MODEL_RETURN), with the check, the
 * last operations and how to replay it printed, and everything the run
 * held released.
 */
int mm_model_run(const struct mm_model_config *cfg, struct mm_model_result *res);

/*
 * Several models at once, one per CPU, over the shared allocators
 * (tests/test_smp_stress.c). With cfg->shared a model leaves to the
 * caller's quiescent points everything another CPU can change at the
 * same time: the global counters and checkers (mm_check_all(), busy
 * areas, warnings, the leak snapshot of a failed call) and the checks of
 * an address after it was given back (another CPU may take it at once).
 * It also skips the calls that would print a warning (refused ranges,
 * misuses): console capture is one per machine, and the one-CPU stress
 * covers them; and injects no failures (the settings are the machine's). Everything else is checked as in mm_model_run(). The
 * storage is the caller's (mm_model_size() bytes); after a broken check
 * (printed, everything released) every call returns -1.
 */
struct model;
struct vm_struct;
size_t mm_model_size(void);

/* Starts an empty model in `m` for `cfg` (cfg->shared set; cfg->data NULL). */
void mm_model_shared_init(struct model *m, const struct mm_model_config *cfg);

/*
 * Lends pages [addr, addr + pages * PAGE_SIZE) (pages <= 64) of the
 * VM_SPARSE area `vm` to the model: its sparse operations map and unmap
 * there as in an area of its own, which it never frees. 0, or -ENOSPC if
 * the model is full.
 */
int mm_model_shared_lend(struct model *m, struct vm_struct *vm, unsigned long addr,
			 unsigned long pages);

/* Runs `n` more operations, adding to res->counts and res->ops. 0 or -1. */
int mm_model_shared_steps(struct model *m, unsigned long n, struct mm_model_result *res);

/*
 * At a quiescent point (no other CPU running): checks every object the
 * model holds, as the one-CPU checkpoint does, and gives the busy vmap
 * areas it holds (*areas), for the caller's check of the global count.
 * 0 or -1.
 */
int mm_model_shared_check(struct model *m, unsigned long *areas);

/* Frees everything the model holds (each checked) and gives back the lent ranges' pages. 0 or -1. */
int mm_model_shared_end(struct model *m);

/* The operation table's names, for a summary line (index as in counts[]). */
unsigned mm_model_nr_ops(void);
const char *mm_model_op_name(unsigned i);

/*
 * The saved inputs (tests/host/corpus/ and tests/host/regressions/),
 * built into the kernel and the host tests by tests/host/make-corpus.py
 * --c-table: the suite model_replay runs each.
 */
struct mm_model_input {
	const char *name;               /* corpus_<file> or regression_<file> */
	const u8 *data;
	size_t size;
};
extern const struct mm_model_input mm_model_inputs[];
extern const unsigned mm_model_nr_inputs;

/*
 * Hooks the host build overrides (tests/host/model_host.c); the kernel's
 * defaults are weak:
 * - the stale-TLB rule: 0, or the address of a translation the CPU still
 *   caches outside every lazily freed range (a flush is missing);
 * - the number of stale translations (0 after vm_unmap_aliases()).
 */
unsigned long mm_model_stale_outside_lazy(void);
unsigned long mm_model_stale_count(void);

#endif
