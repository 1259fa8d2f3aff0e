/*
 * The vmap area allocator: hands out page-aligned virtual ranges of a
 * space (the kernel's is [VMALLOC_START, VMALLOC_END)) and takes them
 * back. It knows nothing about page tables: callers map and unmap; it only
 * flushes the TLB when it purges lazily freed ranges.
 *
 * Every byte of a space is in exactly one of three red-black trees of
 * `struct vmap_area`, all keyed by address:
 *
 *   free   ranges nobody has; neighbours are always merged. Each node also
 *          caches the size of the largest free range in its subtree, so a
 *          search can skip subtrees where nothing is big enough.
 *   busy   allocated areas (the guard page, if any, is part of the area).
 *   lazy   freed areas whose pages are unmapped but whose stale TLB entries
 *          may still exist: kept out of reuse until one purge flushes the
 *          span of all of them and moves them to `free`. Touching lazy
 *          ranges are merged as they come, like free ones.
 *
 * Finding space is lowest-address first fit, for any size and power-of-
 * two alignment, inside an optional window [vstart, vend): see
 * docs/vmalloc.md for the search and its cost.
 */
#ifndef MM_VMAP_AREA_H
#define MM_VMAP_AREA_H

#include "kernel/lib/rbtree.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

struct vm_struct;

/* Lazily freed bytes that trigger a purge (Linux: 32 MiB per CPU group). */
#define VMAP_LAZY_MAX   (32ul << 20)

struct vmap_area {
	unsigned long va_start;         /* first byte */
	unsigned long va_end;           /* one past the last byte */
	struct rb_node rb_node;         /* in exactly one tree of its space */
	unsigned long subtree_max_size; /* free tree: largest range in the subtree */
	struct vm_struct *vm;           /* busy tree: the area's owner, or NULL */
};

struct vmap_space {
	spinlock_t lock;                /* covers all fields below and every area in the trees */
	struct rb_root free;            /* free ranges, augmented by subtree_max_size */
	struct rb_root busy;            /* allocated areas */
	struct rb_root lazy;            /* freed, unmapped, not yet flushed */
	unsigned long nr_free, nr_busy, nr_lazy;
	unsigned long lazy_bytes;       /* sum of the sizes in `lazy` */
	unsigned long lazy_max;         /* purge once lazy_bytes is above this */
	unsigned long nr_purges;        /* purges done (each is one TLB flush) */

	/* Set at init, read-only after. */
	unsigned long start, end;       /* the managed range [start, end), end > start */
	bool flush_tlb;                 /* ranges are mapped in the live tables */
	const char *name;
};

/* The kernel's space: [VMALLOC_START, VMALLOC_END), flushed on purge. */
extern struct vmap_space kernel_vmap_space;

/* Counters and sizes of a space, read together under its lock. */
struct vmap_stats {
	unsigned long nr_free, nr_busy, nr_lazy;
	unsigned long free_bytes, busy_bytes, lazy_bytes;
	unsigned long largest_free;
	unsigned long nr_purges;
};

/*
 * Creates the cache of vmap areas and the kernel's space. Once, from
 * vmalloc_init(), after slab_init(). Every area object carries `room`
 * bytes (8-byte aligned, right after it: vmap_area_room()) that belong to
 * the owner of a busy area, so that its record needs no allocation of its
 * own; they are left as the last owner left them. Panics if the first
 * area cannot be allocated (nothing can work without it).
 */
void vmap_area_init(unsigned long room);

/* The owner's room of area `va` (see vmap_area_init()). */
static inline void *vmap_area_room(struct vmap_area *va)
{
	return va + 1;
}

/*
 * Makes `s` a space managing [start, end) (page-aligned, start < end, end
 * not 0), all free, with a purge threshold of VMAP_LAZY_MAX. With
 * `flush_tlb` a purge flushes the TLB (arch_flush_tlb_kernel_range) over
 * the purged span; a private space of a test, whose ranges are never
 * mapped, passes false. 0, -EINVAL or -ENOMEM.
 */
int vmap_space_init(struct vmap_space *s, const char *name, unsigned long start,
		    unsigned long end, bool flush_tlb);

/*
 * Frees every area of a private space (busy and lazy ones included: they
 * are not mapped). The space must not be used afterwards.
 */
void vmap_space_destroy(struct vmap_space *s);

/*
 * Allocates the lowest range of `size` bytes whose start is a multiple of
 * `align` and that lies inside [vstart, vend) (clipped to the space). size
 * (the guard page included) and align are page multiples, align a power
 * of two, both checked by the caller. If nothing fits, lazily freed ranges
 * are purged and the search is tried once more. Returns the area, in the
 * busy tree with vm = NULL, or NULL (no space, or no memory for an area).
 */
struct vmap_area *alloc_vmap_area(struct vmap_space *s, unsigned long size,
				  unsigned long align, unsigned long vstart,
				  unsigned long vend);

/*
 * The busy area containing `addr`, or NULL. Caller holds s->lock; the area
 * stays valid while it does. O(log n).
 */
struct vmap_area *find_vmap_area_locked(struct vmap_space *s, unsigned long addr);

/* Takes `va` out of the busy tree (caller holds s->lock). */
void unlink_vmap_area_locked(struct vmap_space *s, struct vmap_area *va);

/*
 * Gives back an area taken out of the busy tree whose range was never
 * mapped, or was unmapped and flushed: it goes straight to the free tree,
 * merged with its free neighbours.
 */
void free_vmap_area(struct vmap_space *s, struct vmap_area *va);

/*
 * Gives back an area taken out of the busy tree whose pages were unmapped
 * without a TLB flush (the *_noflush unmaps). It stays out of reuse in
 * the lazy tree (merged with the lazy ranges it touches) until a purge; if the lazy total passes s->lazy_max, the
 * purge happens now.
 */
void free_vmap_area_noflush(struct vmap_space *s, struct vmap_area *va);

/*
 * Purges the lazy tree: one TLB flush over the span from the lowest lazy
 * address to the highest (if s->flush_tlb), then every lazy range goes to
 * the free tree. Nothing to do if the tree is empty.
 */
void purge_vmap_area_lazy(struct vmap_space *s);

/*
 * Where alloc_vmap_area() would put a range now (without the purge and
 * retry), found by the O(log n) search / by a linear scan of the free
 * ranges in address order: the start address, or 0 if nothing fits.
 * For tests, which compare the two.
 */
unsigned long vmap_lowest_fit(struct vmap_space *s, unsigned long size,
			      unsigned long align, unsigned long vstart, unsigned long vend);
unsigned long vmap_lowest_fit_brute(struct vmap_space *s, unsigned long size,
				    unsigned long align, unsigned long vstart,
				    unsigned long vend);

void vmap_get_stats(struct vmap_space *s, struct vmap_stats *st);

/*
 * Checks the space: the red-black properties of the three trees, their
 * order, no overlap, free neighbours merged, every cached subtree maximum,
 * the counters, and that free + busy + lazy cover [start, end) exactly.
 * Returns 0, or -EINVAL after printing one line about the first problem.
 * O(n).
 */
int vmap_check(struct vmap_space *s);

#endif
