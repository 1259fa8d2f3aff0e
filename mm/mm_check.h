/*
 * Invariant checks over the whole memory subsystem: the top of mm/, which
 * calls every allocator's own checker and nothing calls from below. For
 * tests, and for the debug command-line flag `mm_check=always`, which runs
 * mm_check_all() after every public vmalloc-layer operation through the
 * hook of mm/op_hook.h.
 *
 * Lock order: the checks of the vmalloc range hold every lock of the vmap
 * space (vmap_lock_all()) while they read the kernel page table (its lock
 * inside).
 */
#ifndef MM_MM_CHECK_H
#define MM_MM_CHECK_H

#include "kernel/compiler.h"
#include "kernel/spinlock.h"
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

/*
 * The 4 KiB pages mapped (a huge leaf counts its pages) and the table
 * pages below the root over the vmalloc range, read from the kernel tree.
 */
void mm_check_vmalloc_counts(unsigned long *mapped, unsigned long *tables);

/*
 * Calls fn(lock, arg) for each lock of the memory subsystem that the
 * vmalloc paths take: the frame allocator's (zone and per-CPU lists), every
 * slab cache's, the kernel page table's and the kernel vmap space's. For
 * the contention figures of `make bench` (lock->contended); read or reset
 * them only while the CPUs are quiet.
 */
void mm_for_each_lock(spin_lock_visit_fn fn, void *arg);

/* --- mm_check=always ---------------------------------------------------------- */

/* How many times the hook has run mm_check_all() since boot. */
unsigned long mm_check_runs(void);

/*
 * Parses the value of `mm_check=`: "always" (true) or "off" (false).
 * 0, or -EINVAL without a message.
 */
int mm_check_parse(const char *value, bool *always);

/* Turns mm_check=always on or off (sets mm_op_hook); returns the previous state. */
bool mm_check_set_always(bool on);

/*
 * Reads `mm_check=` from the command line (a bad value: one warning,
 * ignored). With "always", also checks the state boot left. Called once at
 * the end of mm_init().
 */
void mm_check_init(void);

#endif
