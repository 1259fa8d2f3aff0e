/*
 * Invariant checks over the whole memory subsystem, and snapshots for
 * leak checks. For tests, for fault_inject_each_point(), and for the
 * debug command-line flag `mm_check=always`, which runs mm_check_all()
 * after every public vmalloc-layer operation.
 *
 * Lock order: the checks of the vmalloc range hold the vmap space's lock
 * while they read the kernel page table (its lock inside). Nothing else
 * takes the two together.
 */
#ifndef MM_MM_CHECK_H
#define MM_MM_CHECK_H

#include "kernel/compiler.h"
#include "kernel/types.h"

/*
 * Runs every checker and returns 0, or -EINVAL after each broken one has
 * printed one line per problem:
 *   pfa_check()          free lists, frame states, counters
 *   slab_check()         every cache's slabs, lists and counters
 *   vmalloc_check()      the vmap trees (order, overlap, maxima, cover)
 *                        and each busy area's vm_struct
 *   pgtable_check()      the kernel tree: table frames, table count
 *   mm_check_vmalloc_ptes(), mm_check_vmalloc_pages() (below)
 * O(frames + mapped pages): for tests and debugging, not for fast paths.
 */
int mm_check_all(void);

/*
 * No leaf of the kernel page table in [VMALLOC_START, VMALLOC_END) lies
 * outside a live (busy) vmap area or in an area's guard page. One
 * "mm_check:" line per bad leaf (at most 8, then a count); 0 or -EINVAL.
 */
int mm_check_vmalloc_ptes(void);

/*
 * Every page of every VM_ALLOC area is mapped by a 4 KiB leaf at
 * addr + i * PAGE_SIZE to exactly the frame pages[i] names. One
 * "mm_check:" line per bad page (at most 8, then a count); 0 or -EINVAL.
 */
int mm_check_vmalloc_pages(void);

/* --- snapshots --------------------------------------------------------------- */

/* Counters that must come back after an operation is undone or failed. */
struct mm_snapshot {
	unsigned long free_frames;      /* pfa_free_pages() */
	unsigned long slab_objects;     /* objects in use, every cache */
	unsigned long slab_pages;       /* frames held by slab, kmalloc-large included */
	unsigned long pgtable_pages;    /* table pages of every tree */
	unsigned long vmap_busy;        /* areas in the kernel vmap space's trees */
	unsigned long vmap_free;
	unsigned long vmap_lazy;
	unsigned long vmalloc_mapped;   /* 4 KiB pages mapped in the vmalloc range */
	unsigned long vmalloc_tables;   /* table pages below the root over that range */
	unsigned long warnings;         /* warn_count() */
};

/* Fills *snap with the counters now. */
void mm_snapshot_take(struct mm_snapshot *snap);

/*
 * True if every counter of `a` equals `b`'s, except that the same live
 * slab objects spread over a different number of slab pages (free frames
 * moving the other way by as many) is no difference: that is where the
 * long-lived objects happen to sit (other CPUs' stacks, say), not a leak.
 * If not equal and `report` is not
 * NULL, prints one line per differing counter:
 * "mm_snapshot: <report>: free_frames 1200 -> 1199 (-1)".
 */
bool mm_snapshot_equal(const struct mm_snapshot *a, const struct mm_snapshot *b,
		       const char *report);

/*
 * vmalloc keeps the page tables of a freed area for the next one, so the
 * first use of a part of the vmalloc range leaves tables behind. Moves
 * `base` up by the vmalloc-range tables `now` has beyond it (page-table
 * pages up, free frames down by as many), so that mm_snapshot_equal()
 * then checks that nothing but those tables was kept. Tables anywhere
 * else are never accepted this way.
 */
void mm_snapshot_keep_vmalloc_tables(struct mm_snapshot *base, const struct mm_snapshot *now);

/* --- mm_check=always ---------------------------------------------------------- */

/* True while `mm_check=always` is in force (written by the calls below). */
extern bool mm_check_always;

/* The hook's slow path: runs mm_check_all(); use mm_check_after_op(). */
void mm_check_after_op_slow(const char *op, unsigned long caller);

/*
 * The hook for public entry points: after the operation `op` (a function
 * name) has finished and dropped its locks, runs mm_check_all() if
 * mm_check=always, and reports a failure with one warning naming the
 * operation and its caller. A macro so that RET_IP is the entry point's
 * caller. One load and one branch while the flag is off. Must not be
 * called with any mm lock held, nor from inside another operation.
 */
#define mm_check_after_op(op) do {                                      \
	if (unlikely(READ_ONCE(mm_check_always)))                       \
		mm_check_after_op_slow((op), RET_IP);                   \
} while (0)

/* How many times the hook has run mm_check_all() since boot. */
unsigned long mm_check_runs(void);

/*
 * Parses the value of `mm_check=`: "always" (true) or "off" (false).
 * 0, or -EINVAL without a message.
 */
int mm_check_parse(const char *value, bool *always);

/* Turns mm_check=always on or off; returns the previous state (tests). */
bool mm_check_set_always(bool on);

/*
 * Reads `mm_check=` from the command line (a bad value: one warning,
 * ignored). With "always", also checks the state boot left. Called once at
 * the end of mm_init().
 */
void mm_check_init(void);

#endif
