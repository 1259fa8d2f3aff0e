/*
 * Every failure point of an operation: a test driver over mm/fault_inject.
 * It fails the 1st, 2nd, 3rd ... allocation of an operation in turn and
 * checks after each run that the whole memory subsystem is as before
 * (tests/mm_state.h). Test machinery: mm/ never calls it.
 */
#ifndef TESTS_FAULT_POINTS_H
#define TESTS_FAULT_POINTS_H

#include "mm/fault_inject.h"

/*
 * An operation to take through every failure point. `op` returns 0 or a
 * negative errno; after a success `undo` must give back everything the op
 * took. `check` (optional) is called after each failed run and returns 0
 * if the op left no trace that the generic checks cannot see (e.g. a leaf
 * in a private page table). `sites`: FAULT_SITE_BIT()s to fail in turn,
 * 0 for FAULT_SITES_ALL. `tolerant`: the op may absorb a failed allocation
 * (a fallback path) and still succeed; otherwise that is reported as an
 * ignored failure.
 */
struct fault_op {
	const char *name;
	int (*op)(void *ctx);
	void (*undo)(void *ctx);
	int (*check)(void *ctx);
	unsigned sites;
	bool tolerant;
};

/* What fault_inject_each_point() found. */
struct fault_points {
	unsigned long per_site[FAULT_NR_SITES]; /* failure points at each site */
	unsigned long total;                    /* their sum */
	unsigned long absorbed;                 /* tolerant ops: failures that still succeeded */
};

/* More failure points than this at one site: reported as a runaway op. */
#define FAULT_POINTS_MAX        4096

/*
 * Runs op->op with the 1st, 2nd, 3rd ... call at each site of op->sites
 * failing (one failure per run, inside a scope), until a run makes fewer
 * calls than that and succeeds. After each run (and each undo) the
 * memory subsystem must equal the baseline taken before the first:
 * mm_snapshot_equal() (free frames, slab objects and pages, page-table
 * pages, vmap trees, vmalloc-range PTEs, no new warning) and
 * mm_check_all(); a failed run must have returned a negative errno.
 * Lazily freed vmap ranges are purged, and the per-CPU vmap pools
 * drained, before the baseline and after each run (after the undo of a
 * successful one), so that every run starts from the baseline's vmap state,
 * the pool misses that decide a batch refill included; page tables a successful run leaves in the vmalloc range (vmalloc
 * keeps them for the next area) move the baseline up
 * (mm_snapshot_keep_vmalloc_tables()). Prints "fault points: <name>: <total> (<site> <n>, ...)" and fills
 * *points (may be NULL). The sites' settings are restored afterwards.
 * 0, or -EINVAL after printing what went wrong (it stops at the first
 * problem).
 */
int fault_inject_each_point(const struct fault_op *op, void *ctx,
			    struct fault_points *points);

#endif
