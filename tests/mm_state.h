/*
 * Snapshots of the whole memory subsystem, for leak checks: take one
 * before an operation, one after it is undone (or failed), and compare.
 * Test machinery over the allocators' counters; mm/ never calls it.
 */
#ifndef TESTS_MM_STATE_H
#define TESTS_MM_STATE_H

#include "kernel/types.h"
#include "mm/mm_check.h"

/* Counters that must come back after an operation is undone or failed. */
struct mm_snapshot {
	unsigned long free_frames;      /* pfa_free_pages(), the slab caches' spares included */
	unsigned long slab_objects;     /* objects in use, every cache */
	unsigned long slab_pages;       /* frames held by slab, kmalloc-large included,
					   spares not (a cache keeps one on purpose) */
	unsigned long pgtable_pages;    /* table pages of every tree */
	unsigned long vmap_busy;        /* areas in the kernel vmap space's trees */
	unsigned long vmap_free;
	unsigned long vmap_lazy;
	unsigned long vmap_pooled;      /* ranges in the per-CPU pools */
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
 * long-lived objects happen to sit (other CPUs' stacks, say), not a leak;
 * an empty slab kept would be, and slab_check() (mm_check_all()) finds it.
 * If not equal and `report` is not NULL, prints one line per differing
 * counter: "mm_snapshot: <report>: free_frames 1200 -> 1199 (-1)".
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

/* The kernel vmap space's per-CPU limits (mm/vmap_area.h). */
struct vmap_limits {
	unsigned long lazy_max, pool_max;
};

/*
 * Purges the kernel vmap space (so its pools fit any new pool_max), then
 * gives it the limits *set; the old ones go to *old if not NULL. For
 * stress runs that want per-CPU purges and pool hits to be frequent. Call
 * it while no other CPU uses the space.
 */
void mm_state_set_vmap_limits(const struct vmap_limits *set, struct vmap_limits *old);

#endif
