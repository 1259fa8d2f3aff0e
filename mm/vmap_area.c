/*
 * The vmap area allocator (see mm/vmap_area.h): three address-ordered
 * trees of ranges, lowest-fit search over the free one, merging on free
 * and the lazy purge. docs/vmalloc.md draws the trees and the cases.
 */
#include "mm/vmap_area.h"
#include "kernel/errno.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/arch_mmu.h"
#include "mm/layout.h"
#include "mm/slab.h"

struct vmap_space kernel_vmap_space;

static struct kmem_cache *vmap_area_cachep;

static inline struct vmap_area *va_of(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vmap_area, rb_node) : NULL;
}

static inline unsigned long va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

/* --- the free tree's augmentation: largest free range in each subtree -- */

static inline unsigned long subtree_max(const struct rb_node *n)
{
	return n ? va_of(n)->subtree_max_size : 0;
}

static unsigned long compute_subtree_max(const struct vmap_area *va)
{
	unsigned long max = va_size(va);

	max = MAX(max, subtree_max(va->rb_node.left));
	return MAX(max, subtree_max(va->rb_node.right));
}

static bool free_augment(struct rb_node *n)
{
	struct vmap_area *va = va_of(n);
	unsigned long max = compute_subtree_max(va);

	if (va->subtree_max_size == max)
		return false;
	va->subtree_max_size = max;
	return true;
}

/* --- tree helpers ------------------------------------------------------- */

/*
 * Links `va` into `root` at its place by address. Overlap with a node on
 * the way down means the trees are corrupt.
 */
static void insert_by_addr(struct rb_root *root, struct vmap_area *va, rb_augment_fn aug)
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
			panic("vmap: range %lx-%lx overlaps %lx-%lx", va->va_start, va->va_end,
			      cur->va_start, cur->va_end);
	}
	rb_link_node(&va->rb_node, parent, link);
	rb_insert(&va->rb_node, root, aug);
}

/* The node of `root` whose range contains `addr`, or NULL. */
static struct vmap_area *lookup_by_addr(const struct rb_root *root, unsigned long addr)
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

static struct vmap_area *new_area(void)
{
	return kmem_cache_alloc(vmap_area_cachep);
}

static void free_area(struct vmap_area *va)
{
	kmem_cache_free(vmap_area_cachep, va);
}

/* --- giving ranges back: merge with neighbours ------------------------- */

/*
 * Puts [va->va_start, va->va_end) into `root` (the free tree, or the lazy
 * one), whose node count is *count. With prev and next the neighbours in
 * that tree on each side, four cases:
 *
 *   1. no neighbour touches it: va becomes a node of its own
 *        |prev|    |  va  |    |next|
 *   2. it touches prev only: prev grows to the right, va is freed
 *        |prev|  va  |         |next|   ->   |prev......|   |next|
 *   3. it touches next only: next grows to the left, va is freed
 *        |prev|      |  va  |next|      ->   |prev|   |.....next|
 *   4. it fills the hole between them: prev takes next's end, next and
 *      va are freed
 *        |prev|  va  |next|             ->   |prev.............|
 *
 * A node that grows keeps its place (nothing of that tree lies between),
 * only the cached maxima above it change (`aug`, the free tree's).
 */
static void insert_merged_locked(struct rb_root *root, unsigned long *count,
				 struct vmap_area *va, rb_augment_fn aug)
{
	struct vmap_area *prev = last_before(root, va->va_start);
	struct vmap_area *next = va_of(prev ? rb_next(&prev->rb_node) : rb_first(root));
	bool join_prev = prev && prev->va_end == va->va_start;
	bool join_next = next && next->va_start == va->va_end;

	if (join_prev && join_next) {
		unsigned long end = next->va_end;

		rb_erase(&next->rb_node, root, aug);
		(*count)--;
		free_area(next);
		prev->va_end = end;
		rb_propagate(&prev->rb_node, aug);
	} else if (join_prev) {
		prev->va_end = va->va_end;
		rb_propagate(&prev->rb_node, aug);
	} else if (join_next) {
		next->va_start = va->va_start;
		rb_propagate(&next->rb_node, aug);
	} else {
		va->vm = NULL;
		insert_by_addr(root, va, aug);
		(*count)++;
		return;
	}
	free_area(va);
}

static void insert_free_locked(struct vmap_space *s, struct vmap_area *va)
{
	insert_merged_locked(&s->free, &s->nr_free, va, free_augment);
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

/* Could the left subtree of `n` hold the answer? The right one? */
static bool worth_left(const struct rb_node *n, const struct fit_req *r)
{
	return subtree_max(n->left) >= r->size && va_of(n)->va_start > r->vstart;
}

static bool worth_right(const struct rb_node *n, const struct fit_req *r)
{
	return subtree_max(n->right) >= r->size && va_of(n)->va_end < r->vend;
}

/*
 * An in-order walk of the free tree that skips every subtree whose
 * largest range is smaller than `size` or that lies outside the window,
 * and stops at the first range the request fits in. Any range of at least
 * size + align - 1 bytes inside the window fits, so the walk stops at the
 * first of those; before it, it may visit ranges that are big enough but
 * fail on alignment (see docs/vmalloc.md). Returns the range and the
 * address in *addr, or NULL.
 */
static struct vmap_area *lowest_fit_locked(struct vmap_space *s, const struct fit_req *r,
					   unsigned long *addr)
{
	struct rb_node *n = s->free.node;

	if (!n || subtree_max(n) < r->size)
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
		rb_erase(&va->rb_node, &s->free, free_augment);
		s->nr_free--;
		free_area(va);
	} else if (addr == va->va_start) {
		va->va_start = end;
		rb_propagate(&va->rb_node, free_augment);
	} else if (end == va->va_end) {
		va->va_end = addr;
		rb_propagate(&va->rb_node, free_augment);
	} else {
		rest = new_area();
		if (!rest)
			return -ENOMEM;
		rest->va_start = end;
		rest->va_end = va->va_end;
		va->va_end = addr;
		rb_propagate(&va->rb_node, free_augment);
		insert_by_addr(&s->free, rest, free_augment);
		s->nr_free++;
	}
	return 0;
}

/* Finds and carves the range; 0, -ENOSPC or -ENOMEM. */
static int take_range_locked(struct vmap_space *s, const struct fit_req *r,
			     unsigned long *addr)
{
	struct vmap_area *va = lowest_fit_locked(s, r, addr);

	return va ? carve_locked(s, va, *addr, r->size) : -ENOSPC;
}

/* --- the lazy tree and the purge -------------------------------------- */

static void purge_locked(struct vmap_space *s)
{
	struct rb_node *n = rb_first(&s->lazy);

	if (!n)
		return;
	if (s->flush_tlb)
		arch_flush_tlb_kernel_range(va_of(n)->va_start, va_of(rb_last(&s->lazy))->va_end);
	while ((n = rb_first(&s->lazy))) {
		rb_erase(n, &s->lazy, NULL);
		insert_free_locked(s, va_of(n));
	}
	s->nr_lazy = 0;
	s->lazy_bytes = 0;
	s->nr_purges++;
}

void purge_vmap_area_lazy(struct vmap_space *s)
{
	unsigned long irq = spin_lock_irqsave(&s->lock);

	purge_locked(s);
	spin_unlock_irqrestore(&s->lock, irq);
}

void free_vmap_area_noflush(struct vmap_space *s, struct vmap_area *va)
{
	unsigned long irq = spin_lock_irqsave(&s->lock);

	va->vm = NULL;
	s->lazy_bytes += va_size(va);
	insert_merged_locked(&s->lazy, &s->nr_lazy, va, NULL);     /* va may be gone */
	if (s->lazy_bytes > s->lazy_max)
		purge_locked(s);
	spin_unlock_irqrestore(&s->lock, irq);
}

void free_vmap_area(struct vmap_space *s, struct vmap_area *va)
{
	unsigned long irq = spin_lock_irqsave(&s->lock);

	insert_free_locked(s, va);
	spin_unlock_irqrestore(&s->lock, irq);
}

/* --- allocation and lookup ---------------------------------------------- */

struct vmap_area *alloc_vmap_area(struct vmap_space *s, unsigned long size,
				  unsigned long align, unsigned long vstart,
				  unsigned long vend)
{
	struct fit_req r = { size, align, MAX(vstart, s->start), MIN(vend, s->end) };
	struct vmap_area *va = new_area();
	unsigned long irq, addr = 0;
	int err;

	if (!va)
		return NULL;
	irq = spin_lock_irqsave(&s->lock);
	err = take_range_locked(s, &r, &addr);
	if (err == -ENOSPC && s->nr_lazy) {
		purge_locked(s);
		err = take_range_locked(s, &r, &addr);
	}
	if (!err) {
		va->va_start = addr;
		va->va_end = addr + size;
		va->vm = NULL;
		insert_by_addr(&s->busy, va, NULL);
		s->nr_busy++;
	}
	spin_unlock_irqrestore(&s->lock, irq);
	if (err) {
		free_area(va);
		return NULL;
	}
	return va;
}

struct vmap_area *find_vmap_area_locked(struct vmap_space *s, unsigned long addr)
{
	WARN_ONCE(!spin_is_locked(&s->lock), "find_vmap_area_locked: %s lock not held", s->name);
	return lookup_by_addr(&s->busy, addr);
}

void unlink_vmap_area_locked(struct vmap_space *s, struct vmap_area *va)
{
	WARN_ONCE(!spin_is_locked(&s->lock), "unlink_vmap_area_locked: %s lock not held", s->name);
	rb_erase(&va->rb_node, &s->busy, NULL);
	s->nr_busy--;
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

int vmap_space_init(struct vmap_space *s, const char *name, unsigned long start,
		    unsigned long end, bool flush_tlb)
{
	struct vmap_area *va;

	if (WARN_CALL(!IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE) ||
		      start >= end || !end, "vmap_space_init", RET_IP, "bad range %lx-%lx",
		      start, end))
		return -EINVAL;
	*s = (struct vmap_space){
		.lock = SPINLOCK_INIT_ORDERED("vmap", LOCK_ORDER_VMAP), .lazy_max = VMAP_LAZY_MAX,
		.start = start, .end = end, .flush_tlb = flush_tlb, .name = name,
	};
	va = new_area();
	if (!va)
		return -ENOMEM;
	va->va_start = start;
	va->va_end = end;
	insert_free_locked(s, va);
	return 0;
}

static void destroy_tree(struct rb_root *root, rb_augment_fn aug)
{
	struct rb_node *n;

	while ((n = rb_first(root))) {
		rb_erase(n, root, aug);
		free_area(va_of(n));
	}
}

void vmap_space_destroy(struct vmap_space *s)
{
	unsigned long irq = spin_lock_irqsave(&s->lock);

	destroy_tree(&s->busy, NULL);
	destroy_tree(&s->lazy, NULL);
	destroy_tree(&s->free, free_augment);
	s->nr_busy = s->nr_lazy = s->nr_free = s->lazy_bytes = 0;
	spin_unlock_irqrestore(&s->lock, irq);
}

void vmap_area_init(unsigned long room)
{
	vmap_area_cachep = kmem_cache_create("vmap_area",
					     sizeof(struct vmap_area) + ALIGN_UP(room, 8), 0);
	if (!vmap_area_cachep ||
	    vmap_space_init(&kernel_vmap_space, "vmalloc", VMALLOC_START, VMALLOC_END, true))
		panic("vmap_area_init: no memory for the first vmap area");
}

static unsigned long tree_bytes(const struct rb_root *root)
{
	unsigned long sum = 0;

	for (struct rb_node *n = rb_first(root); n; n = rb_next(n))
		sum += va_size(va_of(n));
	return sum;
}

void vmap_get_stats(struct vmap_space *s, struct vmap_stats *st)
{
	unsigned long irq = spin_lock_irqsave(&s->lock);

	st->nr_free = s->nr_free;
	st->nr_busy = s->nr_busy;
	st->nr_lazy = s->nr_lazy;
	st->free_bytes = tree_bytes(&s->free);
	st->busy_bytes = tree_bytes(&s->busy);
	st->lazy_bytes = s->lazy_bytes;
	st->largest_free = subtree_max(s->free.node);
	st->nr_purges = s->nr_purges;
	spin_unlock_irqrestore(&s->lock, irq);
}

/* --- the checker ----------------------------------------------------------- */

/* Recomputes the maxima bottom-up; counts mismatches. Depth O(log n). */
static unsigned long check_maxima(const struct rb_node *n, unsigned long *bad)
{
	unsigned long max, l, r;

	if (!n)
		return 0;
	l = check_maxima(n->left, bad);
	r = check_maxima(n->right, bad);
	max = MAX(va_size(va_of(n)), MAX(l, r));
	if (max != va_of(n)->subtree_max_size)
		(*bad)++;
	return max;
}

enum { TREE_FREE, TREE_BUSY, TREE_LAZY, NR_TREES };

/* Which of the three tree cursors is at the lowest address; -1 if all ended. */
static int lowest_cursor(struct rb_node *const cur[NR_TREES])
{
	int best = -1;

	for (int i = 0; i < NR_TREES; i++)
		if (cur[i] && (best < 0 || va_of(cur[i])->va_start < va_of(cur[best])->va_start))
			best = i;
	return best;
}

/*
 * Walks the three trees together in address order: each range must start
 * where the last one ended, be non-empty, and a free (lazy) range must not
 * follow a free (lazy) range (they would have been merged).
 */
static const char *check_cover_locked(struct vmap_space *s, unsigned long *where)
{
	struct rb_node *cur[NR_TREES] = {
		[TREE_FREE] = rb_first(&s->free),
		[TREE_BUSY] = rb_first(&s->busy),
		[TREE_LAZY] = rb_first(&s->lazy),
	};
	unsigned long pos = s->start, lazy = 0;
	int t, last = -1;

	while ((t = lowest_cursor(cur)) >= 0) {
		struct vmap_area *va = va_of(cur[t]);

		*where = va->va_start;
		if (va->va_start != pos)
			return va->va_start < pos ? "ranges overlap" : "hole not in any tree";
		if (va->va_end <= va->va_start || !IS_ALIGNED(va->va_start | va->va_end, PAGE_SIZE))
			return "empty, reversed or unaligned range";
		if (t == last && t != TREE_BUSY)
			return "two free or two lazy neighbours not merged";
		if (t == TREE_LAZY)
			lazy += va_size(va);
		pos = va->va_end;
		last = t;
		cur[t] = rb_next(cur[t]);
	}
	*where = pos;
	if (pos != s->end)
		return "ranges do not reach the end of the space";
	return lazy == s->lazy_bytes ? NULL : "lazy byte count wrong";
}

static const char *check_locked(struct vmap_space *s, unsigned long *where)
{
	unsigned long bad = 0;

	*where = 0;
	if (rb_check(&s->free, "vmap free") != (long)s->nr_free ||
	    rb_check(&s->busy, "vmap busy") != (long)s->nr_busy ||
	    rb_check(&s->lazy, "vmap lazy") != (long)s->nr_lazy)
		return "red-black property broken or node count wrong";
	check_maxima(s->free.node, &bad);
	if (bad)
		return "cached subtree maximum wrong";
	return check_cover_locked(s, where);
}

int vmap_check(struct vmap_space *s)
{
	unsigned long irq = spin_lock_irqsave(&s->lock), where;
	const char *why = check_locked(s, &where);

	spin_unlock_irqrestore(&s->lock, irq);
	if (why)
		printk("vmap_check: %s: %s (at 0x%lx)\n", s->name, why, where);
	return why ? -EINVAL : 0;
}
