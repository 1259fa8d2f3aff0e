/*
 * The vmap area allocator: hands out page-aligned virtual ranges of a
 * space (the kernel's is [VMALLOC_START, VMALLOC_END)) and takes them
 * back. It knows nothing about page tables: callers map and unmap; it only
 * flushes the TLB when it purges lazily freed ranges.
 *
 * Every byte of a space is in exactly one place, each holding `struct
 * vmap_area`s (docs/vmalloc.md draws them, docs/percpu.md the per-CPU
 * part):
 *
 *   free   one red-black tree of ranges nobody has, by address, under the
 *          space's lock; neighbours are always merged. Each node caches
 *          the size of the largest free range in its subtree, so a search
 *          can skip subtrees where nothing is big enough.
 *   busy   allocated areas (the guard page, if any, is part of the area),
 *          in VMAP_BUSY_ZONES trees by address, each with its own lock; an
 *          area's zone is one of its home region's, by a hash of its start,
 *          so a free by address takes one zone lock and CPUs freeing
 *          different areas rarely meet.
 *   lazy   freed areas whose pages are unmapped but whose stale TLB entries
 *          may still exist, one list per CPU (the CPU that freed them),
 *          kept out of reuse until that CPU's purge flushes the span of
 *          all of them (one shootdown per batch).
 *   pool   flushed free ranges of 1..VMAP_POOL_PAGES pages, one list per
 *          size per CPU, filled by that CPU's purges (up to pool_max bytes;
 *          the rest go to the free tree) and, when a page-aligned request
 *          of up to VMAP_BATCH_PAGES finds its pool empty again, by a batch
 *          refill: the next lowest fits of that size, taken in one hold of
 *          the space's lock. A
 *          request of one of those sizes with no window is served from the
 *          calling CPU's pool first, without the space's lock: it gets a
 *          range this CPU freed or refilled earlier, not necessarily the
 *          lowest one (with a larger alignment, one that has it).
 *
 * Everything else is lowest-address first fit over the free tree, for any
 * size and power-of-two alignment, inside an optional window [vstart,
 * vend), with one exception: a pooled size with no window that the pools
 * miss on CPU k gets the lowest fit at or above the start of CPU k's home
 * region (VMAP_HOME_REGIONS), or, if none is there, the lowest fit
 * anywhere. CPU 0's region starts the space, so CPU 0 always gets the
 * exact lowest fit. When nothing fits, every CPU's lazy ranges are purged
 * and every pool is given back to the free tree, and the search is tried
 * once more; purge_vmap_area_lazy() does the same, so after it the free
 * tree alone is exact again (but for the home regions' rule).
 *
 * Locks, outermost first (kernel/lock_order.h): a CPU's lock (its lazy
 * list and pools), the space's lock (the free tree), a busy zone's lock.
 * No path holds two locks of one kind but vmap_lock_all().
 */
#ifndef MM_VMAP_AREA_H
#define MM_VMAP_AREA_H

#include "kernel/lib/rbtree.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

struct vm_struct;

/* Lazily freed bytes of one CPU that trigger its purge (Linux: 32 MiB per CPU group). */
#define VMAP_LAZY_MAX   (32ul << 20)
/* Busy trees (a power of two); an area's is one of its home region's, by a hash of its start. */
#define VMAP_BUSY_ZONES 16
/* Pages of one block of that hash: one full batch refill of two-page ranges. */
#define VMAP_BUSY_BLOCK_PAGES 32
/*
 * Home regions of a space: its range cut into this many parts (a power of
 * two; mm/vmap_internal.h). CPU k's pool misses look first at or above the
 * start of region k mod VMAP_HOME_REGIONS, and each region has its own
 * VMAP_BUSY_ZONES / VMAP_HOME_REGIONS busy zones, so that CPUs at work
 * keep their areas, and the zone locks and tree nodes over them, apart.
 */
#define VMAP_HOME_REGIONS 4
/* Sizes the per-CPU pools keep: 1 .. VMAP_POOL_PAGES pages, guard page included. */
#define VMAP_POOL_PAGES 128
/* Sizes a dry pool is also refilled for in batches (mm/vmap_cpu.c): 1 .. this many pages. */
#define VMAP_BATCH_PAGES 16
/*
 * Bytes of ranges one CPU's pools may hold in the kernel's space. Both
 * limits are lower on a machine too small for the area objects they may
 * hold (vmap_area_init()).
 */
#define VMAP_POOL_MAX   (32ul << 20)
/*
 * Ranges a batch refill takes for an empty pool of the kernel's space at
 * most (mm/vmap_cpu.c; fewer when the pool has less room).
 */
#define VMAP_POOL_BATCH 16
/*
 * Pooled ranges a request aligned to more than a page looks at for one
 * that has its alignment, at most (newest first: it gets the last pooled
 * one that has it among them).
 */
#define VMAP_POOL_SCAN  128

struct vmap_area {
	unsigned long va_start;         /* first byte */
	unsigned long va_end;           /* one past the last byte */
	struct rb_node rb_node;         /* in the free tree or a busy zone */
	unsigned long subtree_max_size; /* free tree: largest range in the subtree, and the
					   largest alignment shift (mm/vmap_internal.h) */
	struct vm_struct *vm;           /* busy: the area's owner, or NULL */
	struct vmap_area *next;         /* in a CPU's lazy list or pool */
};

/* One busy tree. */
struct vmap_busy_zone {
	spinlock_t lock;                /* covers root, nr and the areas in it */
	struct rb_root root;
	unsigned long nr;
	char name[16];
} __aligned(64);        /* two CPUs in two zones share no line */

/* One CPU's part of a space: its lazy list and its pools. */
struct vmap_cpu {
	spinlock_t lock;                /* the owner's; others take it to purge or check */
	struct vmap_area *lazy;         /* newest first */
	unsigned long nr_lazy, lazy_bytes;
	struct vmap_area *pool[VMAP_POOL_PAGES];        /* pool[i]: ranges of i + 1 pages */
	unsigned long pool_nonempty[VMAP_POOL_PAGES / 64]; /* bit i: pool[i] has a range */
	unsigned long pool_splits;      /* of pool_hits: a larger pooled range cut */
	unsigned long nr_pooled, pooled_bytes;
	unsigned long pool_hits;        /* allocations served from the pools */
	unsigned long pool_refills;     /* batch refills done */
	u16 pool_used[VMAP_POOL_PAGES]; /* ranges pool[i] served since the last purge (saturating) */
	u8 pool_missed[VMAP_BATCH_PAGES]; /* batchable requests pool[i] missed since then */
	char name[16];
	unsigned long pool_aligned_hits; /* pool_hits aligned to more than a page */
	/*
	 * Ranges of this CPU's lazy list that another CPU's purge took along
	 * and flushed: this CPU sorts them into its pools (or the free tree)
	 * at its next allocation or purge. Counted as pooled in vmap_stats.
	 */
	struct vmap_area *flushed;
	unsigned long nr_flushed, flushed_bytes;
	/* Allocations one search of the free tree served (not batch refills), aligned ones; atomic. */
	unsigned long tree_allocs, tree_aligned_allocs;
} __aligned(64);        /* CPUs' structs side by side in one array: no line shared */

struct vmap_space {
	spinlock_t lock;                /* covers free, nr_free */
	struct rb_root free;            /* free ranges, augmented by subtree_max_size */
	unsigned long nr_free;
	unsigned long nr_purges;        /* purges done (each is one TLB flush); atomic */
	/*
	 * A range freed in one epoch is not handed out again before the next:
	 * each purge and each free straight into the free tree starts one
	 * (atomic). The free history orders frees of one address by it.
	 */
	unsigned long reuse_epoch;
	struct vmap_busy_zone busy[VMAP_BUSY_ZONES];
	struct vmap_cpu *cpu;           /* SMP_MAX_CPUS of them */
	unsigned long lazy_max;         /* a CPU purges once its lazy bytes are above this */
	unsigned long pool_max;         /* bytes one CPU's pools may hold; 0: no pools */
	unsigned pool_batch;            /* ranges a batch refill takes at most; 0, 1: none */

	/* Set at init, read-only after. */
	unsigned long start, end;       /* the managed range [start, end), end > start */
	unsigned region_shift;          /* home region r starts at start + (r << region_shift) */
	bool flush_tlb;                 /* ranges are mapped in the live tables */
	const char *name;
};

/*
 * Where CPU `cpu`'s home region of `s` starts: region cpu mod
 * VMAP_HOME_REGIONS of 2^region_shift bytes (CPU 0's: s->start). A pool
 * miss on that CPU gets the lowest fit at or above it, if there is one.
 */
static inline unsigned long vmap_home_start(const struct vmap_space *s, unsigned cpu)
{
	return s->start + ((unsigned long)(cpu % VMAP_HOME_REGIONS) << s->region_shift);
}

/* The kernel's space: [VMALLOC_START, VMALLOC_END), flushed on purge, pooled. */
extern struct vmap_space kernel_vmap_space;

/* Counters and sizes of a space, read together with every lock of it held. */
struct vmap_stats {
	unsigned long nr_free, nr_busy, nr_lazy, nr_pooled;
	unsigned long free_bytes, busy_bytes, lazy_bytes, pooled_bytes;
	unsigned long largest_free;
	unsigned long nr_purges;
	unsigned long pool_hits, pool_aligned_hits;     /* aligned: to more than a page */
	unsigned long pool_splits;      /* pool hits that cut a larger pooled range */
	unsigned long pool_refills;
	unsigned long tree_allocs, tree_aligned_allocs;
};

/*
 * Creates the cache of vmap areas and the kernel's space, with batch
 * refills of up to VMAP_POOL_BATCH ranges and per-CPU limits of
 * VMAP_LAZY_MAX and VMAP_POOL_MAX bytes, or less where the area
 * objects a full list may hold (one per two-page range) would pass 1/128
 * of RAM. Once, from vmalloc_init(), after slab_init(). Every area object carries `room` bytes (8-byte aligned,
 * right after it: vmap_area_room()) that belong to the owner of a busy
 * area, so that its record needs no allocation of its own; they are left
 * as the last owner left them. Panics if the space cannot be set up
 * (nothing can work without it).
 */
void vmap_area_init(unsigned long room);

/* The owner's room of area `va` (see vmap_area_init()). */
static inline void *vmap_area_room(struct vmap_area *va)
{
	return va + 1;
}

/*
 * Makes `s` a space managing [start, end) (page-aligned, start < end, end
 * not 0), all free, with a per-CPU purge threshold of VMAP_LAZY_MAX and
 * no pools (set s->pool_max to have them, s->pool_batch for batch refills). With `flush_tlb` a purge
 * flushes the TLB (arch_flush_tlb_kernel_range) over the purged span; a
 * private space of a test, whose ranges are never mapped, passes false.
 * 0, -EINVAL or -ENOMEM (nothing left allocated).
 */
int vmap_space_init(struct vmap_space *s, const char *name, unsigned long start,
		    unsigned long end, bool flush_tlb);

/*
 * Frees every area of a private space (busy, lazy and pooled ones
 * included: they are not mapped). The space must not be used afterwards.
 */
void vmap_space_destroy(struct vmap_space *s);

/*
 * Allocates `size` bytes whose start is a multiple of `align` inside
 * [vstart, vend) (clipped to the space). size (the guard page included)
 * and align are page multiples, align a power of two, both checked by the
 * caller. A pooled size with the whole space as window comes from this
 * CPU's pool when one of its first VMAP_POOL_SCAN ranges has the alignment;
 * a page-aligned one of up to VMAP_BATCH_PAGES whose pool missed before
 * since this CPU's last purge refills the pool in a batch (2, 4, ... up to
 * s->pool_batch ranges: the next lowest fits of its size, the lowest
 * returned). Either misses on CPU k look in k's home region first (see the
 * top of this file). Anything else is the lowest fit in the free tree. If
 * nothing fits, every lazy range is purged and every pool drained, and the
 * search is tried once more. Returns the area, in its busy zone with vm =
 * NULL, or NULL (no space, or no memory for an area: a batch refill's
 * objects are allocated before anything is taken, and a failure takes
 * nothing).
 */
struct vmap_area *alloc_vmap_area(struct vmap_space *s, unsigned long size,
				  unsigned long align, unsigned long vstart,
				  unsigned long vend);

/* Fills in a new area before anyone else can see it (see alloc_vmap_area_setup()). */
typedef void (*vmap_setup_fn)(struct vmap_area *va, void *arg);

/*
 * alloc_vmap_area() that calls setup(va, arg) once the range is chosen and
 * before the area enters its busy zone, so the owner can set va->vm (and
 * what it points to) without taking the zone's lock afterwards.
 */
struct vmap_area *alloc_vmap_area_setup(struct vmap_space *s, unsigned long size,
					unsigned long align, unsigned long vstart,
					unsigned long vend, vmap_setup_fn setup, void *arg);

/* A busy zone locked by vmap_find_busy(), with the interrupt state to restore. */
struct vmap_busy_hold {
	struct vmap_busy_zone *zone;
	unsigned long irq;
};

/*
 * Finds the busy area containing `addr` and returns it with its zone
 * locked (interrupts off) in *h: the area stays there and valid until
 * vmap_busy_unlock(h). NULL, with nothing held, if there is none. The
 * zone of an area's start is searched first (one lock for a free by
 * start address); an inner address may need every zone. O(log n) per zone.
 */
struct vmap_area *vmap_find_busy(struct vmap_space *s, unsigned long addr,
				 struct vmap_busy_hold *h);

/*
 * The same without waiting, for a fault handler: -EBUSY if a zone it had
 * to search was locked, -ENOENT if no area contains `addr`, else 0 with
 * the area in *out and its zone held.
 */
int vmap_find_busy_trylock(struct vmap_space *s, unsigned long addr,
			   struct vmap_busy_hold *h, struct vmap_area **out);

/* Unlocks what vmap_find_busy() (or _trylock) locked. */
void vmap_busy_unlock(struct vmap_busy_hold *h);

/* Takes `va` out of its busy zone (which the caller holds). */
void unlink_vmap_area_locked(struct vmap_space *s, struct vmap_area *va);

/*
 * Locks the zone of the busy area starting at `start` (in *h): whatever
 * its owner changes in the area under it is seen whole by whole-space
 * readers. Unlock with vmap_busy_unlock().
 */
void vmap_busy_lock_start(struct vmap_space *s, unsigned long start, struct vmap_busy_hold *h);

/*
 * Takes every lock of the space in its one order (the CPUs', the space's,
 * the zones'), for whole-space readers: checks, statistics, listings.
 * Returns the interrupt state for vmap_unlock_all().
 */
unsigned long vmap_lock_all(struct vmap_space *s);
void vmap_unlock_all(struct vmap_space *s, unsigned long irq);

/*
 * With every lock held (vmap_lock_all()): the busy area containing
 * `addr`, or NULL.
 */
struct vmap_area *find_vmap_area_locked(struct vmap_space *s, unsigned long addr);

/* A walk of the busy areas in address order: a merge of the zones' trees. */
struct vmap_busy_iter {
	struct rb_node *next[VMAP_BUSY_ZONES];  /* each zone's next area, or NULL */
};

/*
 * With every lock held: the first busy area that ends after `addr` (the
 * one containing it, or the next), then each following one in address
 * order; NULL at the end. O(VMAP_BUSY_ZONES) a step.
 */
struct vmap_area *vmap_busy_first(struct vmap_busy_iter *it, struct vmap_space *s,
				  unsigned long addr);
struct vmap_area *vmap_busy_next(struct vmap_busy_iter *it);

/*
 * Gives back an area taken out of its busy zone whose range was never
 * mapped, or was unmapped and flushed: it goes straight to the free tree,
 * merged with its free neighbours.
 */
void free_vmap_area(struct vmap_space *s, struct vmap_area *va);

/*
 * Gives back an area taken out of its busy zone whose pages were unmapped
 * without a TLB flush (the *_noflush unmaps). It goes on this CPU's lazy
 * list; once that list holds more than s->lazy_max bytes, this CPU purges
 * it, with the lists of the other CPUs whose lock is free at that moment:
 * one TLB flush over the span of them all (if s->flush_tlb), then each
 * range goes to the pool for its size of the CPU that freed it while that
 * CPU's pools hold less than s->pool_max bytes; the rest, sorted by address
 * and touching ranges joined, goes to the free tree (one hold of the
 * space's lock per 32 ranges left). The other CPUs' ranges go back to
 * them flushed; a CPU sorts those into its pools at its next allocation
 * or purge, or at a free that finds more than s->lazy_max bytes of them.
 */
void free_vmap_area_noflush(struct vmap_space *s, struct vmap_area *va);

/*
 * Purges every CPU's lazy list (one flush over the span of them all) and
 * gives every pool back to the free tree, so that the free tree alone
 * holds every free byte. Nothing to flush if no list has a range.
 */
void purge_vmap_area_lazy(struct vmap_space *s);

/*
 * Where the free tree's lowest fit would put a range now (without pools,
 * purge or retry), found by the O(log n) search / by a linear scan of the
 * free ranges in address order: the start address, or 0 if nothing fits.
 * For tests, which compare the two.
 */
unsigned long vmap_lowest_fit(struct vmap_space *s, unsigned long size,
			      unsigned long align, unsigned long vstart, unsigned long vend);
unsigned long vmap_lowest_fit_brute(struct vmap_space *s, unsigned long size,
				    unsigned long align, unsigned long vstart,
				    unsigned long vend);

void vmap_get_stats(struct vmap_space *s, struct vmap_stats *st);

/*
 * Checks the space with every lock held: the red-black properties of the
 * free tree and every busy zone, each area in its right zone, every cached
 * subtree maximum, the lazy lists and pools (sizes, counts, bytes), free
 * neighbours merged, and that free + busy + lazy + pooled ranges cover
 * [start, end) exactly, without overlap. Returns 0, or -EINVAL after
 * printing one line about the first problem. O(n log n).
 */
int vmap_check(struct vmap_space *s);

#endif
