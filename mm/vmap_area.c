/*
 * The vmap area allocator's free tree and entry points (mm/vmap_area.h):
 * lowest-fit search over the free tree, merging on free, allocation that
 * asks this CPU's pool first. The busy zones are in mm/vmap_busy.c, the
 * per-CPU lazy lists and pools in mm/vmap_cpu.c, the checker in
 * mm/vmap_check.c. docs/vmalloc.md draws the trees and the cases.
 */
#include "mm/vmap_internal.h"
#include "kernel/errno.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "mm/layout.h"
#include "mm/pfa.h"
#include "mm/slab.h"

struct vmap_space kernel_vmap_space;

static struct kmem_cache *vmap_area_cachep;

/* --- the free tree's augmentation: largest free range and alignment in each subtree -- */

static unsigned long compute_subtree_max(const struct vmap_area *va)
{
	const struct rb_node *l = va->rb_node.left, *r = va->rb_node.right;

	return vmap_subtree_word(va, l ? va_of(l)->subtree_max_size : 0,
				 r ? va_of(r)->subtree_max_size : 0);
}

bool vmap_free_augment(struct rb_node *n)
{
	struct vmap_area *va = va_of(n);
	unsigned long max = compute_subtree_max(va);

	if (va->subtree_max_size == max)
		return false;
	va->subtree_max_size = max;
	return true;
}

/* --- tree helpers ------------------------------------------------------- */

struct vmap_area *vmap_try_insert_by_addr(struct rb_root *root, struct vmap_area *va,
					  rb_augment_fn aug)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		struct vmap_area *cur = va_of(*link);

		parent = *link;
		if (va->va_end <= cur->va_start)
			link = &parent->left;
		else if (va->va_start >= cur->va_end)
			link = &parent->right;
		else
			return cur;
	}
	rb_link_node(&va->rb_node, parent, link);
	rb_insert(&va->rb_node, root, aug);
	return NULL;
}

void vmap_insert_by_addr(struct rb_root *root, struct vmap_area *va, rb_augment_fn aug)
{
	struct vmap_area *cur = vmap_try_insert_by_addr(root, va, aug);

	if (cur)
		panic("vmap: range %lx-%lx overlaps %lx-%lx", va->va_start, va->va_end,
		      cur->va_start, cur->va_end);
}

struct vmap_area *vmap_lookup_by_addr(const struct rb_root *root, unsigned long addr)
{
	struct rb_node *n = root->node;

	while (n) {
		struct vmap_area *va = va_of(n);

		if (addr < va->va_start)
			n = n->left;
		else if (addr >= va->va_end)
			n = n->right;
		else
			return va;
	}
	return NULL;
}

struct vmap_area *vmap_first_ending_after(const struct rb_root *root, unsigned long addr)
{
	struct rb_node *n = root->node;
	struct vmap_area *found = NULL;

	/* Ranges of a tree do not overlap: ordered by start, they are ordered by end too. */
	while (n) {
		struct vmap_area *va = va_of(n);

		if (va->va_end > addr) {
			found = va;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return found;
}

/* The last node of `root` that starts before `addr`, or NULL. */
static struct vmap_area *last_before(const struct rb_root *root, unsigned long addr)
{
	struct rb_node *n = root->node;
	struct vmap_area *best = NULL;

	while (n) {
		struct vmap_area *va = va_of(n);

		if (va->va_start < addr) {
			best = va;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

struct vmap_area *vmap_new_area(void)
{
	return kmem_cache_alloc(vmap_area_cachep);
}

void vmap_free_area(struct vmap_area *va)
{
	kmem_cache_free(vmap_area_cachep, va);
}

void vmap_free_areas(struct vmap_area *list)
{
	while (list) {
		struct vmap_area *va = list;

		list = va->next;
		vmap_free_area(va);
	}
}

/* --- giving ranges back: merge with neighbours ------------------------- */

/*
 * Puts [va->va_start, va->va_end) into the free tree. With prev and next
 * its free neighbours on each side, four cases:
 *
 *   1. no neighbour touches it: va becomes a node of its own
 *        |prev|    |  va  |    |next|
 *   2. it touches prev only: prev grows to the right, va is unused
 *        |prev|  va  |         |next|   ->   |prev......|   |next|
 *   3. it touches next only: next grows to the left, va is unused
 *        |prev|      |  va  |next|      ->   |prev|   |.....next|
 *   4. it fills the hole between them: prev takes next's end, next and
 *      va are unused
 *        |prev|  va  |next|             ->   |prev.............|
 *
 * A node that grows keeps its place (nothing free lies between), only the
 * cached maxima above it change. Unused objects go onto *unused, for the
 * caller to free once it has dropped s->lock (a cache free may take the
 * cache's lock: not in the free tree's hold).
 */
void vmap_insert_free_locked(struct vmap_space *s, struct vmap_area *va,
			     struct vmap_area **unused)
{
	struct vmap_area *prev = last_before(&s->free, va->va_start);
	struct vmap_area *next = va_of(prev ? rb_next(&prev->rb_node) : rb_first(&s->free));
	bool join_prev = prev && prev->va_end == va->va_start;
	bool join_next = next && next->va_start == va->va_end;

	if (join_prev && join_next) {
		unsigned long end = next->va_end;

		rb_erase(&next->rb_node, &s->free, vmap_free_augment);
		s->nr_free--;
		next->next = *unused;
		*unused = next;
		prev->va_end = end;
		rb_propagate(&prev->rb_node, vmap_free_augment);
	} else if (join_prev) {
		prev->va_end = va->va_end;
		rb_propagate(&prev->rb_node, vmap_free_augment);
	} else if (join_next) {
		next->va_start = va->va_start;
		rb_propagate(&next->rb_node, vmap_free_augment);
	} else {
		va->vm = NULL;
		vmap_insert_by_addr(&s->free, va, vmap_free_augment);
		s->nr_free++;
		return;
	}
	va->next = *unused;
	*unused = va;
}

/* --- the lowest-fit search --------------------------------------------- */

struct fit_req {
	unsigned long size, align, vstart, vend;
};

/*
 * The lowest address in free range `va`, inside the window, aligned and
 * with `size` bytes free after it; 0 if there is none.
 */
static unsigned long fit_in(const struct vmap_area *va, const struct fit_req *r)
{
	unsigned long lo = MAX(va->va_start, r->vstart);
	unsigned long hi = MIN(va->va_end, r->vend);
	unsigned long addr = ALIGN_UP(lo, r->align);

	if (addr < lo || addr >= hi || hi - addr < r->size)
		return 0;       /* wrapped past the top, or too small */
	return addr;
}

/* Could subtree `n` hold a fit for `r`, by the size and the alignment of its ranges? */
static bool may_fit(const struct rb_node *n, const struct fit_req *r)
{
	return subtree_max(n) >= r->size &&
	       subtree_align_shift(n) >= (unsigned)__builtin_ctzl(r->align);
}

/* Could the left subtree of `n` hold the answer? The right one? */
static bool worth_left(const struct rb_node *n, const struct fit_req *r)
{
	return may_fit(n->left, r) && va_of(n)->va_start > r->vstart;
}

static bool worth_right(const struct rb_node *n, const struct fit_req *r)
{
	return may_fit(n->right, r) && va_of(n)->va_end < r->vend;
}

/*
 * An in-order walk of the free tree that skips every subtree whose
 * largest range is smaller than `size`, none of whose ranges can start a
 * page at `align`, or that lies outside the window, and stops at the first
 * range the request fits in. Any range of at least size + align - 1 bytes
 * inside the window fits, so the walk stops at the first of those; before
 * it, it may visit ranges that are big enough and can start a page at the
 * alignment but not hold the size there (see docs/vmalloc.md). Returns the
 * range and the address in *addr, or NULL.
 */
static struct vmap_area *lowest_fit_locked(struct vmap_space *s, const struct fit_req *r,
					   unsigned long *addr)
{
	struct rb_node *n = s->free.node;

	if (!n || !may_fit(n, r))
		return NULL;
	for (;;) {
		while (worth_left(n, r))                /* down to the lowest candidate */
			n = n->left;
		for (;;) {
			*addr = fit_in(va_of(n), r);
			if (*addr)
				return va_of(n);
			if (worth_right(n, r)) {
				n = n->right;
				break;
			}
			/* Up past every node whose right side is done. */
			while (n->parent && n == n->parent->right)
				n = n->parent;
			n = n->parent;
			if (!n)
				return NULL;
		}
	}
}

/*
 * Cuts [addr, addr + size) out of free range `va`:
 *
 *   whole:  |<------ va ------>|          the node goes
 *   left:   |<-- new -->|  va  |          va starts later
 *   right:  |  va  |<-- new -->|          va ends earlier
 *   middle: |  va  |<-new->| rest |       va keeps the left part, a new
 *                                         node takes the right part
 *
 * 0, or -ENOMEM (only in the middle case, with nothing changed).
 */
static int carve_locked(struct vmap_space *s, struct vmap_area *va, unsigned long addr,
			unsigned long size)
{
	unsigned long end = addr + size;
	struct vmap_area *rest;

	if (addr == va->va_start && end == va->va_end) {
		rb_erase(&va->rb_node, &s->free, vmap_free_augment);
		s->nr_free--;
		vmap_free_area(va);
	} else if (addr == va->va_start) {
		va->va_start = end;
		rb_propagate(&va->rb_node, vmap_free_augment);
	} else if (end == va->va_end) {
		va->va_end = addr;
		rb_propagate(&va->rb_node, vmap_free_augment);
	} else {
		rest = vmap_new_area();
		if (!rest)
			return -ENOMEM;
		rest->va_start = end;
		rest->va_end = va->va_end;
		va->va_end = addr;
		rb_propagate(&va->rb_node, vmap_free_augment);
		vmap_insert_by_addr(&s->free, rest, vmap_free_augment);
		s->nr_free++;
	}
	return 0;
}

/* Finds and carves the range under the space's lock; 0, -ENOSPC or -ENOMEM. */
static int take_range(struct vmap_space *s, const struct fit_req *r, unsigned long *addr)
{
	unsigned long irq = spin_lock_irqsave(&s->lock);
	struct vmap_area *va = lowest_fit_locked(s, r, addr);
	int err = va ? carve_locked(s, va, *addr, r->size) : -ENOSPC;

	spin_unlock_irqrestore(&s->lock, irq);
	return err;
}

void free_vmap_area(struct vmap_space *s, struct vmap_area *va)
{
	struct vmap_area *unused = NULL;
	unsigned long irq = spin_lock_irqsave(&s->lock);

	vmap_insert_free_locked(s, va, &unused);
	__atomic_fetch_add(&s->reuse_epoch, 1, __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&s->lock, irq);
	vmap_free_areas(unused);
}

/* --- allocation ----------------------------------------------------------- */

/* A request the pools may serve: a pooled size, the whole space. */
static bool poolable(const struct vmap_space *s, const struct fit_req *r)
{
	return r->vstart == s->start && r->vend == s->end && vmap_pool_class(s, r->size) >= 0;
}

/* `k` new area objects on a list, or NULL with none kept. */
static struct vmap_area *new_areas(unsigned k)
{
	struct vmap_area *list = NULL;

	for (unsigned i = 0; i < k; i++) {
		struct vmap_area *va = vmap_new_area();

		if (!va) {
			vmap_free_areas(list);
			return NULL;
		}
		va->next = list;
		list = va;
	}
	return list;
}

/*
 * Cuts up to k ranges of r->size (the whole space) out of the free tree,
 * each the lowest fit of r once the ones before it are cut: what k
 * requests in a row would get. A free range with room for several
 * page-aligned ones gives them with one search (aligned ones leave holes
 * between them: one search each). Their bounds go into the objects of
 * `list` in address order; returns how many (s->lock held).
 */
static unsigned take_ranges_locked(struct vmap_space *s, const struct fit_req *r,
				   struct vmap_area *list, unsigned k)
{
	unsigned got = 0;

	while (got < k) {
		unsigned long addr, n = 1;
		struct vmap_area *free = lowest_fit_locked(s, r, &addr);

		if (!free)
			break;
		if (r->align == PAGE_SIZE)
			n = MIN((unsigned long)(k - got), (free->va_end - addr) / r->size);
		if (carve_locked(s, free, addr, n * r->size))
			break;
		for (got += n; n--; list = list->next, addr += r->size) {
			list->va_start = addr;
			list->va_end = addr + r->size;
		}
	}
	return got;
}

/* The list turned round. */
static struct vmap_area *reversed(struct vmap_area *list)
{
	struct vmap_area *out = NULL;

	while (list) {
		struct vmap_area *va = list;

		list = va->next;
		va->next = out;
		out = va;
	}
	return out;
}

/*
 * A batch refill of this CPU's pool for request `r`: k successive lowest
 * fits of its size and alignment (take_ranges_locked()), in one hold of
 * the free tree's lock. The lowest goes to the caller (*out), the
 * others to the pool, which hands them out in address order: the same
 * ranges, in the same order, as k requests to the free tree would have
 * given this CPU. 0; -ENOMEM (an object could not be had: nothing
 * taken); -ENOSPC (nothing fits: nothing taken).
 */
static int alloc_batch(struct vmap_space *s, const struct fit_req *r, unsigned k,
		       struct vmap_area **out)
{
	struct vmap_area *list = new_areas(k), *last;
	unsigned long irq;
	unsigned got;

	if (!list)
		return -ENOMEM;
	irq = spin_lock_irqsave(&s->lock);
	got = take_ranges_locked(s, r, list, k);
	spin_unlock_irqrestore(&s->lock, irq);
	if (!got) {
		vmap_free_areas(list);
		return -ENOSPC;
	}
	last = list;                    /* the got-th object; those after it were not used */
	for (unsigned i = 1; i < got; i++)
		last = last->next;
	vmap_free_areas(last->next);
	last->next = NULL;
	vmap_pool_fill(s, reversed(list->next));        /* highest first: the lowest ends on top */
	list->next = NULL;
	*out = list;
	return 0;
}

/* A range cut off a larger one of this CPU's pools (vmap_pool_split()), or NULL. */
static struct vmap_area *alloc_by_split(struct vmap_space *s, const struct fit_req *r)
{
	struct vmap_area *va = vmap_new_area();

	if (va && !vmap_pool_split(s, r->size, va)) {
		vmap_free_area(va);     /* an interrupt's allocation took it meanwhile */
		va = NULL;
	}
	return va;
}

/* Counts an allocation the free tree served on this CPU (no lock: atomic adds). */
static void count_tree_alloc(struct vmap_space *s, unsigned long align)
{
	struct vmap_cpu *c = &s->cpu[arch_cpu_id()];

	__atomic_fetch_add(&c->tree_allocs, 1, __ATOMIC_RELAXED);
	if (align > PAGE_SIZE)
		__atomic_fetch_add(&c->tree_aligned_allocs, 1, __ATOMIC_RELAXED);
}

/*
 * The lowest fit in the free tree: at or above `home` first if there is
 * one, then anywhere, purging everything once if nothing fits.
 */
static struct vmap_area *alloc_from_tree(struct vmap_space *s, const struct fit_req *r,
					 const struct fit_req *home)
{
	struct vmap_area *va = vmap_new_area();
	unsigned long addr = 0;
	int err = -ENOSPC;

	if (!va)
		return NULL;
	if (home)
		err = take_range(s, home, &addr);
	if (err == -ENOSPC)
		err = take_range(s, r, &addr);
	if (err == -ENOSPC) {
		purge_vmap_area_lazy(s);
		err = take_range(s, r, &addr);
	}
	if (err) {
		vmap_free_area(va);
		return NULL;
	}
	count_tree_alloc(s, r->align);
	va->va_start = addr;
	va->va_end = addr + r->size;
	return va;
}

/*
 * What the pools could not serve: a batch refill or the free tree, for a
 * pooled request (`pooled`) at or above this CPU's home region first.
 */
static struct vmap_area *alloc_on_miss(struct vmap_space *s, const struct fit_req *r,
				       bool pooled, unsigned batch)
{
	struct fit_req home = { r->size, r->align, vmap_home_start(s, arch_cpu_id()), r->vend };
	const struct fit_req *miss = pooled && home.vstart > r->vstart && home.vstart < r->vend ?
				     &home : NULL;
	struct vmap_area *va = NULL;

	if (batch > 1 && alloc_batch(s, miss ? miss : r, batch, &va) == -ENOMEM)
		return NULL;
	return va ? va : alloc_from_tree(s, r, miss);
}

struct vmap_area *alloc_vmap_area_setup(struct vmap_space *s, unsigned long size,
					unsigned long align, unsigned long vstart,
					unsigned long vend, vmap_setup_fn setup, void *arg)
{
	struct fit_req r = { size, align, MAX(vstart, s->start), MIN(vend, s->end) };
	bool pooled = poolable(s, &r);
	unsigned batch = 0;
	bool split = false;
	struct vmap_area *va = pooled ? vmap_pool_take(s, size, align, &batch, &split) : NULL;

	if (!va && split)
		va = alloc_by_split(s, &r);
	if (!va)
		va = alloc_on_miss(s, &r, pooled, batch);
	if (!va)
		return NULL;
	va->vm = NULL;
	if (setup)
		setup(va, arg);
	vmap_busy_insert(s, va);
	return va;
}

struct vmap_area *alloc_vmap_area(struct vmap_space *s, unsigned long size,
				  unsigned long align, unsigned long vstart,
				  unsigned long vend)
{
	return alloc_vmap_area_setup(s, size, align, vstart, vend, NULL, NULL);
}

unsigned long vmap_lowest_fit(struct vmap_space *s, unsigned long size,
			      unsigned long align, unsigned long vstart, unsigned long vend)
{
	struct fit_req r = { size, align, MAX(vstart, s->start), MIN(vend, s->end) };
	unsigned long irq = spin_lock_irqsave(&s->lock), addr = 0;

	if (!lowest_fit_locked(s, &r, &addr))
		addr = 0;
	spin_unlock_irqrestore(&s->lock, irq);
	return addr;
}

unsigned long vmap_lowest_fit_brute(struct vmap_space *s, unsigned long size,
				    unsigned long align, unsigned long vstart,
				    unsigned long vend)
{
	struct fit_req r = { size, align, MAX(vstart, s->start), MIN(vend, s->end) };
	unsigned long irq = spin_lock_irqsave(&s->lock), addr = 0;

	for (struct rb_node *n = rb_first(&s->free); n && !addr; n = rb_next(n))
		addr = fit_in(va_of(n), &r);
	spin_unlock_irqrestore(&s->lock, irq);
	return addr;
}

/* --- spaces -------------------------------------------------------------- */

/*
 * log2 of a home region's size for a space of `size` bytes: the smallest
 * power of two, at least a page, of which VMAP_HOME_REGIONS cover the
 * space (the last regions may end past it, or lie wholly past it).
 */
static unsigned region_shift_for(unsigned long size)
{
	unsigned long part = (size - 1) / VMAP_HOME_REGIONS;        /* < 2^shift */

	return part >= PAGE_SIZE ? 64u - (unsigned)__builtin_clzl(part) : PAGE_SHIFT;
}

__noinline
int vmap_space_init(struct vmap_space *s, const char *name, unsigned long start,
		    unsigned long end, bool flush_tlb)
{
	struct vmap_area *va, *unused = NULL;

	if (WARN_CALL(!IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE) ||
		      start >= end || !end, "vmap_space_init", RET_IP, "bad range %lx-%lx",
		      start, end))
		return -EINVAL;
	*s = (struct vmap_space){
		.lock = SPINLOCK_INIT_ORDERED("vmap", LOCK_ORDER_VMAP), .lazy_max = VMAP_LAZY_MAX,
		.start = start, .end = end, .flush_tlb = flush_tlb, .name = name,
		.region_shift = region_shift_for(end - start),
	};
	vmap_busy_init(s);
	if (vmap_cpus_init(s))
		return -ENOMEM;
	va = vmap_new_area();
	if (!va) {
		vmap_cpus_destroy(s);
		return -ENOMEM;
	}
	va->va_start = start;
	va->va_end = end;
	vmap_insert_free_locked(s, va, &unused);        /* an empty tree: va is its node */
	return 0;
}

void vmap_space_destroy(struct vmap_space *s)
{
	unsigned long irq = spin_lock_irqsave(&s->lock);
	struct rb_node *n;

	while ((n = rb_first(&s->free))) {
		rb_erase(n, &s->free, vmap_free_augment);
		vmap_free_area(va_of(n));
	}
	s->nr_free = 0;
	spin_unlock_irqrestore(&s->lock, irq);
	vmap_busy_destroy(s);
	vmap_cpus_destroy(s);
}

/*
 * A per-CPU limit of the kernel's space: `max`, or less on a machine so
 * small that the area objects a full lazy list or pool would hold (one per
 * two-page range at worst) would pass 1/128 of its memory.
 */
static unsigned long limit_for_ram(unsigned long max, unsigned long object_size)
{
	unsigned long objects = (pfa_total_pages() << PAGE_SHIFT) / 128 / object_size;

	return MIN(max, objects * 2 * PAGE_SIZE);
}

void vmap_area_init(unsigned long room)
{
	unsigned long object_size = sizeof(struct vmap_area) + ALIGN_UP(room, 8);

	vmap_area_cachep = kmem_cache_create_percpu("vmap_area", object_size, 0);
	if (!vmap_area_cachep ||
	    vmap_space_init(&kernel_vmap_space, "vmalloc", VMALLOC_START, VMALLOC_END, true))
		panic("vmap_area_init: no memory for the vmap space");
	kernel_vmap_space.lazy_max = limit_for_ram(VMAP_LAZY_MAX, object_size);
	kernel_vmap_space.pool_max = limit_for_ram(VMAP_POOL_MAX, object_size);
	kernel_vmap_space.pool_batch = VMAP_POOL_BATCH;
}
