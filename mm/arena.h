/*
 * A demand-paged arena on top of a VM_SPARSE area, in the spirit of BPF
 * arenas: one contiguous kernel virtual range reserved up front, whose
 * pages get memory only when they are allocated, or, with ARENA_FAULT_IN,
 * when the kernel first touches them. See docs/vm_sparse.md.
 *
 *   arena->start                                  start + nr_pages * 4K
 *   |  page 0  |  page 1  |  ....  | page n-1 |  guard (faults)  |
 *     allocated  free                allocated
 *     (frame)    (nothing mapped: faults, or is faulted in)
 *
 * Pages are handed out by a free-range allocator over the arena's pages
 * (a bitmap, lowest fit), backed by zeroed frames that the arena owns and
 * frees. A page is allocated exactly while it is mapped.
 *
 * Faults: the first arena_create() registers a fault resolver and a fault
 * explainer (kernel/fault.h). With ARENA_FAULT_IN, a kernel read or write
 * of a page that is not allocated maps a zeroed frame there (the page is
 * then allocated like any other) and the access resumes. Without it, on
 * the guard page, for an instruction fetch, or if memory is out, the
 * fault is reported with one line naming the arena and why. Probes
 * (kernel/probe.h) see an unallocated page as unmapped: the exception
 * fixup table runs before resolvers.
 *
 * Locking: each arena's lock covers its bitmap and counters, and is held
 * while pages are allocated, mapped, unmapped and freed; it nests outside
 * the vmap, page-table, frame and slab locks. A global lock covers the
 * list of arenas the fault hooks search. A page fault on an arena page
 * must not be taken with an mm lock held (fault-in allocates).
 */
#ifndef MM_ARENA_H
#define MM_ARENA_H

#include "kernel/spinlock.h"
#include "kernel/types.h"
#include "mm/vmalloc.h"

/* arena_create() flags. */
#define ARENA_FAULT_IN  (1u << 0)       /* a kernel access to a free page allocates it */
#define ARENA_PREBUILT  (1u << 1)       /* page tables built at creation (VM_SPARSE_PREBUILT) */
#define ARENA_FLAGS_ALL (ARENA_FAULT_IN | ARENA_PREBUILT)

struct arena {
	spinlock_t lock;                /* covers the fields up to `area` */
	unsigned long *bitmap;          /* bit i set: page i is allocated and mapped */
	unsigned long nr_allocated;     /* bits set */
	unsigned long nr_faults;        /* pages allocated by fault-in */
	unsigned long failed_addr;      /* the last fault-in that failed (for the report) */
	int failed_err;                 /* and its error */

	/* Set by arena_create(), read-only after. */
	struct vm_struct *area;         /* the VM_SPARSE reservation */
	unsigned long start;            /* first byte of page 0 */
	unsigned long nr_pages;         /* size / PAGE_SIZE, rounded up */
	unsigned flags;                 /* ARENA_* */
	const void *caller;             /* who created it (reports, vmallocinfo) */
	struct arena *next;             /* in the list of arenas */
};

/*
 * Creates an arena of `size` bytes (rounded up to pages; 4 GiB + 64 KiB
 * is BPF's geometry) with ARENA_* `flags`: reserves a VM_SPARSE area of
 * that size (plus its guard page) and a bitmap of one bit per page, and
 * maps nothing. Returns the arena, or NULL: quietly if memory or virtual
 * space is out; after one warning for a zero size, a size larger than the
 * whole vmalloc space, or unknown flags.
 */
struct arena *arena_create(unsigned long size, unsigned flags);

/*
 * Frees every page still allocated (fault-in ones included), the area and
 * the arena. NULL is ignored; a pointer that is not a live arena: one
 * warning, nothing done.
 */
void arena_destroy(struct arena *arena);

/*
 * Allocates `count` pages: at `addr` (page-aligned, inside the arena), or,
 * with `addr` 0, at the lowest free run of `count` pages. They get fresh
 * zeroed frames, mapped read/write, non-executable. Returns the address
 * of the first page, or NULL with the reason in *err (0 on success; `err`
 * may be NULL):
 *   -EINVAL  no arena, count 0 or above the arena's pages, addr not a
 *            page-aligned part of the arena with room for count pages
 *            (one warning line naming the arena and the caller)
 *   -EBUSY   a page of [addr, addr + count pages) is already allocated
 *   -ENOSPC  no free run of count pages (addr 0)
 *   -ENOMEM  out of frames or page tables
 * A failed call leaves nothing allocated, mapped or reserved.
 */
void *arena_alloc_pages(struct arena *arena, unsigned long addr, unsigned long count,
			int *err);

/*
 * Frees the pages allocated in [addr, addr + count pages): unmaps them
 * (the TLB is flushed before it returns) and gives their frames back.
 * Free pages in the range are fine. 0, or -EINVAL with one warning if
 * `arena` is NULL, count is 0 or the range is not a page-aligned part of
 * the arena.
 */
int arena_free_pages(struct arena *arena, unsigned long addr, unsigned long count);

/*
 * Checks an arena against the page table: every allocated page is mapped
 * to a frame the arena owns, nothing else in its area is mapped, and the
 * counters add up. 0, or -EINVAL after one line per problem (a few).
 */
int arena_check(struct arena *arena);

#endif
