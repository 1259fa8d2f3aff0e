/*
 * What the files of the vmap area allocator share (mm/vmap_area.h is the
 * interface): vmap_area.c the free tree and the entry points,
 * vmap_busy.c the busy zones, vmap_cpu.c the per-CPU lazy lists and
 * pools, vmap_check.c the statistics and the checker.
 */
#ifndef MM_VMAP_INTERNAL_H
#define MM_VMAP_INTERNAL_H

#include "mm/vmap_area.h"
#include "kernel/lib/rbtree.h"
#include "mm/layout.h"

static inline struct vmap_area *va_of(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vmap_area, rb_node) : NULL;
}

static inline unsigned long va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

/*
 * The free tree's augmentation, one word per node (subtree_max_size): the
 * largest free range in the node's subtree, a multiple of PAGE_SIZE, and
 * in its low bits (VMAP_SHIFT_MASK) the largest alignment shift at which
 * some range of the subtree can start a page (vmap_align_shift_of()). An
 * aligned search skips a subtree whose ranges are big enough but cannot
 * start a page at its alignment, which keeps the lowest fit exact.
 */
#define VMAP_SHIFT_MASK 63ul

/* The largest free range in the subtree of n. */
static inline unsigned long subtree_max(const struct rb_node *n)
{
	return n ? va_of(n)->subtree_max_size & ~(PAGE_SIZE - 1) : 0;
}

/* The largest alignment shift at which a range of the subtree of n can start a page. */
static inline unsigned subtree_align_shift(const struct rb_node *n)
{
	return n ? (unsigned)(va_of(n)->subtree_max_size & VMAP_SHIFT_MASK) : 0;
}

/*
 * The largest k such that free range `va` holds a multiple of 2^k with a
 * whole page after it: of [lo, hi] = [start, end - PAGE_SIZE], either lo
 * itself or, d being the highest bit where lo and hi differ, hi with the
 * bits below d cleared (a multiple of 2^d).
 */
static inline unsigned vmap_align_shift_of(const struct vmap_area *va)
{
	unsigned long lo = va->va_start, hi = va->va_end - PAGE_SIZE;
	unsigned shift = lo ? (unsigned)__builtin_ctzl(lo) : 63;

	if (lo != hi)
		shift = MAX(shift, 63u - (unsigned)__builtin_clzl(lo ^ hi));
	return shift;
}

/* The augmentation word of `va` from its children's words `l` and `r` (0: none). */
static inline unsigned long vmap_subtree_word(const struct vmap_area *va, unsigned long l,
					      unsigned long r)
{
	unsigned long size = MAX(va_size(va), MAX(l, r) & ~(PAGE_SIZE - 1));
	unsigned long shift = MAX(vmap_align_shift_of(va), MAX(l & VMAP_SHIFT_MASK,
							    r & VMAP_SHIFT_MASK));

	return size | shift;
}

/*
 * Links `va` into `root` by address; the node it overlaps instead, with
 * nothing changed, or NULL once linked.
 */
struct vmap_area *vmap_try_insert_by_addr(struct rb_root *root, struct vmap_area *va,
					  rb_augment_fn aug);

/* vmap_try_insert_by_addr() that panics on overlap (the trees are corrupt). */
void vmap_insert_by_addr(struct rb_root *root, struct vmap_area *va, rb_augment_fn aug);

/* The node of `root` whose range contains `addr`, or NULL. */
struct vmap_area *vmap_lookup_by_addr(const struct rb_root *root, unsigned long addr);

/* The first node of `root` ending after `addr`, or NULL. */
struct vmap_area *vmap_first_ending_after(const struct rb_root *root, unsigned long addr);

/* An area object from the cache, or NULL; back to the cache; a list of them back. */
struct vmap_area *vmap_new_area(void);
void vmap_free_area(struct vmap_area *va);
void vmap_free_areas(struct vmap_area *list);

/*
 * Gives `va` to the free tree, merged with its neighbours (s->lock held);
 * the objects the merge leaves unused (va, a neighbour) go onto *unused.
 */
void vmap_insert_free_locked(struct vmap_space *s, struct vmap_area *va,
			     struct vmap_area **unused);

/* The free tree's augment callback (for rb_erase and rb_propagate on it). */
bool vmap_free_augment(struct rb_node *n);

/* Sets up the zones / the per-CPU parts of a new space; -ENOMEM (nothing kept). */
void vmap_busy_init(struct vmap_space *s);
int vmap_cpus_init(struct vmap_space *s);

/* Puts a new area in its busy zone (takes the zone's lock). */
void vmap_busy_insert(struct vmap_space *s, struct vmap_area *va);

/*
 * A range of `size` bytes starting at a multiple of `align` from this
 * CPU's pool (one of its first VMAP_POOL_SCAN ranges), or NULL if the size
 * is not pooled or no such range is there. On a page-aligned miss, *split
 * is true if a pool of a larger size has a range (vmap_pool_split());
 * else, for a size whose pool already missed since this CPU's last purge,
 * *batch is the number of ranges a batch refill should take
 * (vmap_pool_fill()), else 0. Takes the CPU's lock.
 */
struct vmap_area *vmap_pool_take(struct vmap_space *s, unsigned long size, unsigned long align,
				 unsigned *batch, bool *split);

/*
 * Cuts the first `size` bytes (a pooled size) off a range of the smallest
 * larger size this CPU's pools hold, into the free object `va`; the rest
 * stays pooled, in the pool of its own size. True, or false (va untouched)
 * if no larger pool has a range now. Takes the CPU's lock.
 */
bool vmap_pool_split(struct vmap_space *s, unsigned long size, struct vmap_area *va);

/*
 * Puts `list`, free ranges of one pooled size taken from the free tree by
 * a batch refill, into this CPU's pool of that size (counted as a refill);
 * what would take the pools past pool_max goes back to the free tree.
 * Takes the CPU's lock (and the space's for a leftover).
 */
void vmap_pool_fill(struct vmap_space *s, struct vmap_area *list);

/* The pool index of a range of `size` bytes, or -1 if it is not pooled. */
static inline int vmap_pool_class(const struct vmap_space *s, unsigned long size)
{
	unsigned long pages = size >> PAGE_SHIFT;

	return s->pool_max && pages && pages <= VMAP_POOL_PAGES ? (int)pages - 1 : -1;
}

/* Frees every lazy and pooled area of a private space (destroy). */
void vmap_cpus_destroy(struct vmap_space *s);

/* Frees every busy area of a private space (destroy). */
void vmap_busy_destroy(struct vmap_space *s);

/* Busy zones of one home region. */
#define VMAP_REGION_ZONES (VMAP_BUSY_ZONES / VMAP_HOME_REGIONS)
_Static_assert(VMAP_REGION_ZONES >= 2 && !(VMAP_REGION_ZONES & (VMAP_REGION_ZONES - 1)) &&
	       !(VMAP_HOME_REGIONS & (VMAP_HOME_REGIONS - 1)),
	       "home regions and their zones: powers of two, at least two zones each");

/*
 * The home region of `addr`: the space's range in VMAP_HOME_REGIONS parts
 * of 2^region_shift bytes from its start, which cover it (a shift, not a
 * division: this is on every allocation and free). An address outside the
 * space (a lookup of a bad pointer) still gets a region, any one.
 */
static inline unsigned vmap_region_of(const struct vmap_space *s, unsigned long addr)
{
	return (unsigned)((addr - s->start) >> s->region_shift) & (VMAP_HOME_REGIONS - 1);
}

/*
 * The zone an area starting at `start` lives in: one of its home region's
 * VMAP_REGION_ZONES, by a hash of the block of VMAP_BUSY_BLOCK_PAGES pages
 * it starts in. A CPU's areas come from its home region and in runs (a
 * batch refill's lowest fits lie end to end), so its next areas mostly
 * share a zone, and two CPUs at work keep to zones of their own, each
 * zone's lock and tree nodes staying in that CPU's cache. Hashed page by
 * page, every area of both went to every zone in turn; hashed over the
 * whole space, two CPUs' areas met in one zone at one block in 16.
 */
static inline struct vmap_busy_zone *vmap_zone_of(struct vmap_space *s, unsigned long start)
{
	unsigned long h = (start / (VMAP_BUSY_BLOCK_PAGES << PAGE_SHIFT)) * 0x9e3779b97f4a7c15ul;

	return &s->busy[vmap_region_of(s, start) * VMAP_REGION_ZONES +
			(h >> (64 - __builtin_ctz(VMAP_REGION_ZONES)))];
}

#endif
