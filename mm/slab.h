/*
 * The slab allocator: small objects (vm areas, tree nodes, arrays of page
 * pointers) carved out of single frames from the frame allocator.
 *
 * A cache hands out objects of one size. Its memory is a set of slabs, one
 * 4 KiB frame each (state PAGE_SLAB, page->private = the cache), laid out
 * as a small header and then the objects:
 *
 *   +--------+---------------+------+------+------+-----+------+------+
 *   |freelist| inuse | bitmap | pad  | obj0 | obj1 | ... |objN-1| tail |
 *   +--------+---------------+------+------+------+-----+------+------+
 *   ^ page_address(page)               ^ first_offset, stride `size`
 *
 * Free objects are chained through their first word (`freelist`); the
 * bitmap has one bit per object, set while it is allocated, so a double
 * free or a pointer into the middle of an object is caught exactly. A slab
 * is on its cache's `partial` list while it has a free object and on
 * `full` otherwise; a slab whose last object is freed goes back to the
 * frame allocator, but for one per cache, kept as its `spare` for the next
 * refill, so an idle cache holds at most one frame (given back by
 * kmem_cache_destroy()).
 *
 * kmalloc() serves sizes up to KMALLOC_MAX_CACHE_SIZE from caches of
 * fixed size classes and larger sizes (up to 4 MiB) with whole blocks of
 * frames from alloc_pages() (PAGE_SLAB too, page->private = the pseudo
 * cache "kmalloc-large").
 *
 * Every allocation (kmem_cache_alloc, kmalloc, large or not) is a
 * FAULT_SLAB fault-injection point (mm/fault_inject.h).
 *
 * Misuse (double free, a pointer that is not an object of the cache, a
 * cache destroyed with live objects) prints one warning line naming the
 * function, the pointer and the caller, and is ignored. Allocators return
 * NULL when memory is out and print nothing.
 *
 * Locking: each cache has a spinlock covering its lists, counters and the
 * headers and free objects of its slabs. Lock order: cache -> frame
 * allocator (a cache takes and returns frames with its lock held).
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include "kernel/spinlock.h"
#include "kernel/types.h"
#include "mm/page.h"

#define KMEM_CACHE_MIN_SIZE     8               /* room for the free-list link */
#define KMEM_CACHE_MAX_SIZE     1024            /* at least 3 objects per slab */
#define KMALLOC_MAX_CACHE_SIZE  KMEM_CACHE_MAX_SIZE
#define KMALLOC_MAX_SIZE        (PAGE_SIZE << 10)       /* 4 MiB: the largest frame block */
#define KMALLOC_MIN_ALIGN       8

/* Debug builds fill free objects with this byte and check it on allocation. */
#define SLAB_POISON_BYTE        0x6b

struct kmem_cache {
	spinlock_t lock;                /* covers the fields below and the cache's slabs */
	struct page_list partial;       /* slabs with at least one free object */
	struct page_list full;          /* slabs with none */
	struct page *spare;             /* one empty slab kept for the next refill, or NULL */
	unsigned long nr_active;        /* objects out of their slabs: in use or in a magazine */
	unsigned long nr_slabs;         /* slabs (frames) held; "pages" for kmalloc-large */
	unsigned long nr_allocs;        /* successful allocations since creation */
	unsigned long nr_misuses;       /* refused frees (atomic adds) */
	struct slab_cpu *cpu;           /* SMP_MAX_CPUS magazines, or NULL (mm/slab_cpu.c) */

	/* Set at creation, read-only after. */
	const char *name;
	unsigned object_size;           /* as asked */
	unsigned size;                  /* stride: object_size rounded up to `align` */
	unsigned align;
	unsigned objs_per_slab;
	unsigned first_offset;          /* where object 0 starts in a slab */
	/*
	 * ceil(2^32 / size): for an offset o below PAGE_SIZE, (o * size_recip)
	 * >> 32 is o / size exactly (the rounding error, under o / 2^32 <
	 * 2^-20, is smaller than the gap 1/size left below the next integer).
	 */
	u32 size_recip;
	struct kmem_cache *next;        /* in the list of all caches (slab_caches_lock) */
};

/* Counters of one cache (or of all caches), read together under the lock. */
struct kmem_cache_stats {
	unsigned long active_objs;      /* objects in use */
	unsigned long num_objs;         /* objects the slabs have room for */
	unsigned long nr_slabs;         /* slabs held */
	unsigned long nr_pages;         /* frames held (large kmalloc: every frame) */
	unsigned long nr_spare;         /* of those, kept as empty spares */
};

/*
 * Creates the kmalloc caches and the cache of caches. Once, from mm_init(),
 * after the frame allocator is up.
 */
void slab_init(void);

/*
 * Creates a cache of `size`-byte objects aligned to `align` bytes (0 or a
 * power of two up to KMEM_CACHE_MAX_SIZE; objects are at least 8-byte
 * aligned). `name` must stay valid while the cache exists. Returns NULL if
 * memory is out, or after one warning if size or align is out of range.
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align);

/*
 * kmem_cache_create() with per-CPU magazines (below), for a cache whose
 * objects are allocated and freed in turn from several CPUs. Not for a
 * cache freed in long bursts (vmap areas at a lazy purge): a burst longer
 * than a magazine pays the magazine and the slab both (docs/percpu.md).
 * Its magazines take one more kmalloc (3 KiB); NULL if that fails.
 */
struct kmem_cache *kmem_cache_create_percpu(const char *name, size_t size, size_t align);

/*
 * Destroys an empty cache. A cache with objects still in use is not
 * destroyed: one warning with the count and the caller. NULL is ignored.
 */
void kmem_cache_destroy(struct kmem_cache *cache);

/* One object of `cache`, uninitialised (zeroed), or NULL if no frame is free. */
void *kmem_cache_alloc(struct kmem_cache *cache);
void *kmem_cache_zalloc(struct kmem_cache *cache);

/*
 * Returns `obj` to `cache`. NULL is ignored. A pointer that is not an
 * allocated object of this cache (double free, another cache's object,
 * not the start of an object, not slab memory) gets one warning line
 * naming the caller and is otherwise ignored.
 */
void kmem_cache_free(struct kmem_cache *cache, void *obj);

/*
 * `size` bytes (at least 8-byte aligned; sizes that are a power of two up
 * to 1 KiB are aligned to their size, larger ones to 4 KiB), or NULL if
 * memory is out or size is 0 or above KMALLOC_MAX_SIZE (no warning).
 */
void *kmalloc(size_t size);

/* kmalloc() with the memory zeroed. */
void *kzalloc(size_t size);

/*
 * Frees memory from kmalloc()/kzalloc(). NULL is ignored; anything else
 * that is not a live kmalloc allocation: one warning with the caller.
 */
void kfree(const void *ptr);

/* The usable size of a kmalloc() allocation (its size class), 0 if not one. */
size_t ksize(const void *ptr);

void kmem_cache_get_stats(struct kmem_cache *cache, struct kmem_cache_stats *stats);

/* The sums over every cache, kmalloc-large included. */
void slab_get_stats(struct kmem_cache_stats *stats);

/*
 * Calls fn(cache, its counters, arg) for every cache, kmalloc-large
 * included, newest first, under the lock of the list of caches: `fn` must
 * not create or destroy caches.
 */
typedef void (*slab_cache_fn)(const struct kmem_cache *cache,
			      const struct kmem_cache_stats *stats, void *arg);
void slab_for_each_cache(slab_cache_fn fn, void *arg);

/*
 * Prints /proc/slabinfo (version 2.1, Linux's columns; the tunables are
 * zeros, there are none) on the console, one line per cache.
 */
void slabinfo_print(void);

/*
 * Per-CPU magazines (mm/slab_cpu.c, docs/percpu.md): the kmalloc classes
 * and caches made by kmem_cache_create_percpu() keep, per CPU, up to 16
 * objects taken from their slabs, so
 * that kmem_cache_alloc/free and kmalloc/kfree take the cache lock once
 * per batch of 8. Objects in magazines are not in use (active_objs leaves
 * them out) but keep their slabs.
 */

/* Returns every magazine's objects to their slabs. */
void slab_flush_all_caches(void);

/*
 * Turns the magazines on or off (off flushes them: every call then goes to
 * the slabs, for tests of the slab layer itself). Returns the previous
 * setting. Call it while no other CPU allocates.
 */
bool slab_cpu_set_enabled(bool on);

/* Objects in CPU `cpu`'s magazine of `cache` now (0 without magazines). */
unsigned kmem_cache_magazine_count(struct kmem_cache *cache, unsigned cpu);

/* Calls fn(lock, arg) for the cache list's lock, every cache's and its magazines' (contention figures). */
void slab_for_each_lock(spin_lock_visit_fn fn, void *arg);

/*
 * Checks every cache: each slab on the right list, PAGE_SLAB with
 * private = its cache, free list inside the slab and in step with the
 * bitmap and the in-use count, counters equal to the sums over the slabs.
 * Returns 0, or -EINVAL after printing one line per broken cache.
 */
int slab_check(void);

#endif
