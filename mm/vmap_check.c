/*
 * Statistics and the checker of a vmap space (mm/vmap_area.h), both with
 * every lock of the space held (vmap_lock_all()).
 */
#include "mm/vmap_internal.h"
#include "kernel/errno.h"
#include "kernel/printk.h"

static unsigned long tree_bytes(const struct rb_root *root)
{
	unsigned long sum = 0;

	for (struct rb_node *n = rb_first(root); n; n = rb_next(n))
		sum += va_size(va_of(n));
	return sum;
}

static void add_cpu_stats(const struct vmap_cpu *c, struct vmap_stats *st)
{
	st->nr_lazy += c->nr_lazy;
	st->lazy_bytes += c->lazy_bytes;
	st->nr_pooled += c->nr_pooled + c->nr_flushed;
	st->pooled_bytes += c->pooled_bytes + c->flushed_bytes;
	st->pool_hits += c->pool_hits;
	st->pool_aligned_hits += c->pool_aligned_hits;
	st->pool_splits += c->pool_splits;
	st->pool_refills += c->pool_refills;
	st->tree_allocs += __atomic_load_n(&c->tree_allocs, __ATOMIC_RELAXED);
	st->tree_aligned_allocs += __atomic_load_n(&c->tree_aligned_allocs, __ATOMIC_RELAXED);
}

void vmap_get_stats(struct vmap_space *s, struct vmap_stats *st)
{
	unsigned long irq = vmap_lock_all(s);

	*st = (struct vmap_stats){
		.nr_free = s->nr_free, .free_bytes = tree_bytes(&s->free),
		.largest_free = subtree_max(s->free.node),
		.nr_purges = __atomic_load_n(&s->nr_purges, __ATOMIC_RELAXED),
	};
	for (unsigned z = 0; z < VMAP_BUSY_ZONES; z++) {
		st->nr_busy += s->busy[z].nr;
		st->busy_bytes += tree_bytes(&s->busy[z].root);
	}
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		add_cpu_stats(&s->cpu[cpu], st);
	vmap_unlock_all(s, irq);
}

/* --- the checker ----------------------------------------------------------- */

/* Recomputes the maxima bottom-up; counts mismatches. Depth O(log n). */
static unsigned long check_maxima(const struct rb_node *n, unsigned long *bad)
{
	unsigned long word, l, r;

	if (!n)
		return 0;
	l = check_maxima(n->left, bad);
	r = check_maxima(n->right, bad);
	word = vmap_subtree_word(va_of(n), l, r);
	if (word != va_of(n)->subtree_max_size)
		(*bad)++;
	return word;
}

/* The trees walked together: free, the busy zones, then the lazy and pooled ranges. */
enum { TREE_FREE, TREE_BUSY0, TREE_LISTS = TREE_BUSY0 + VMAP_BUSY_ZONES, NR_TREES };

/* Does [va_start, va_end) meet a range of `root`? */
static bool meets(const struct rb_root *root, const struct vmap_area *va)
{
	const struct vmap_area *first = vmap_first_ending_after(root, va->va_start);

	return first && first->va_start < va->va_end;
}

/* Does a listed range meet a free or busy one? (Read only: it may be in one of them.) */
static bool meets_trees(struct vmap_space *s, const struct vmap_area *va)
{
	if (meets(&s->free, va))
		return true;
	for (int z = 0; z < VMAP_BUSY_ZONES; z++)
		if (meets(&s->busy[z].root, va))
			return true;
	return false;
}

/*
 * Adds a list's ranges to `root` (their rb_node is free while they are
 * listed); counts them and their bytes. NULL or why not.
 */
static const char *add_list(struct vmap_space *s, struct rb_root *root,
			    struct vmap_area *list, int cls,
			    unsigned long *n, unsigned long *bytes, unsigned long *where)
{
	for (struct vmap_area *va = list; va; va = va->next) {
		*where = va->va_start;
		if (va->va_end <= va->va_start || !IS_ALIGNED(va->va_start | va->va_end, PAGE_SIZE))
			return "empty, reversed or unaligned lazy or pooled range";
		if (cls >= 0 && va_size(va) != (unsigned long)(cls + 1) << PAGE_SHIFT)
			return "pooled range in the pool of another size";
		if (meets_trees(s, va))
			return "lazy or pooled range overlaps a free or busy one";
		if (vmap_try_insert_by_addr(root, va, NULL))
			return "lazy or pooled ranges overlap";
		(*n)++;
		*bytes += va_size(va);
	}
	return NULL;
}

/* Checks CPU c's lists and counters, adding its ranges to `root`. */
static const char *check_cpu(struct vmap_space *s, struct vmap_cpu *c, struct rb_root *root,
			     unsigned long *where)
{
	unsigned long n = 0, bytes = 0, pn = 0, pbytes = 0, fn = 0, fbytes = 0;
	const char *why = add_list(s, root, c->lazy, -1, &n, &bytes, where);

	if (!why)
		why = add_list(s, root, c->flushed, -1, &fn, &fbytes, where);
	for (int i = 0; !why && i < VMAP_POOL_PAGES; i++) {
		why = add_list(s, root, c->pool[i], i, &pn, &pbytes, where);
		if (!why && !c->pool[i] != !(c->pool_nonempty[i / 64] & (1ul << (i % 64))))
			why = "a pool's bit in pool_nonempty is wrong";
	}
	if (why)
		return why;
	if (n != c->nr_lazy || bytes != c->lazy_bytes)
		return "lazy count or bytes wrong";
	if (fn != c->nr_flushed || fbytes != c->flushed_bytes)
		return "handed-back count or bytes wrong";
	if (pn != c->nr_pooled || pbytes != c->pooled_bytes || pbytes > s->pool_max)
		return "pooled count or bytes wrong, or above pool_max";
	return NULL;
}

/* Which tree cursor is at the lowest address; -1 if all ended. */
static int lowest_cursor(struct rb_node *const cur[NR_TREES])
{
	int best = -1;

	for (int i = 0; i < NR_TREES; i++)
		if (cur[i] && (best < 0 || va_of(cur[i])->va_start < va_of(cur[best])->va_start))
			best = i;
	return best;
}

/* Is busy area `va` in the zone of its start? */
static bool in_its_zone(struct vmap_space *s, int t, const struct vmap_area *va)
{
	return vmap_zone_of(s, va->va_start) == &s->busy[t - TREE_BUSY0];
}

/*
 * Walks every tree together in address order: each range must start
 * where the last one ended and be non-empty, a free range must not follow
 * a free range (they would have been merged), a busy area must be in its
 * zone.
 */
static const char *check_cover_locked(struct vmap_space *s, struct rb_root *lists,
				      unsigned long *where)
{
	struct rb_node *cur[NR_TREES] = { [TREE_FREE] = rb_first(&s->free),
					  [TREE_LISTS] = rb_first(lists) };
	unsigned long pos = s->start;
	int t, last = -1;

	for (int z = 0; z < VMAP_BUSY_ZONES; z++)
		cur[TREE_BUSY0 + z] = rb_first(&s->busy[z].root);
	while ((t = lowest_cursor(cur)) >= 0) {
		struct vmap_area *va = va_of(cur[t]);

		*where = va->va_start;
		if (va->va_start != pos)
			return va->va_start < pos ? "ranges overlap" : "hole not in any tree";
		if (va->va_end <= va->va_start || !IS_ALIGNED(va->va_start | va->va_end, PAGE_SIZE))
			return "empty, reversed or unaligned range";
		if (t == last && t == TREE_FREE)
			return "two free neighbours not merged";
		if (t >= TREE_BUSY0 && t < TREE_LISTS && !in_its_zone(s, t, va))
			return "busy area in the wrong zone";
		pos = va->va_end;
		last = t;
		cur[t] = rb_next(cur[t]);
	}
	*where = pos;
	return pos == s->end ? NULL : "ranges do not reach the end of the space";
}

static const char *check_locked(struct vmap_space *s, unsigned long *where)
{
	struct rb_root lists = RB_ROOT;
	unsigned long bad = 0;
	const char *why;

	*where = 0;
	if (rb_check(&s->free, "vmap free") != (long)s->nr_free)
		return "free tree: red-black property broken or node count wrong";
	for (int z = 0; z < VMAP_BUSY_ZONES; z++)
		if (rb_check(&s->busy[z].root, s->busy[z].name) != (long)s->busy[z].nr)
			return "busy zone: red-black property broken or node count wrong";
	check_maxima(s->free.node, &bad);
	if (bad)
		return "cached subtree maximum wrong";
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		why = check_cpu(s, &s->cpu[cpu], &lists, where);
		if (why)
			return why;
	}
	return check_cover_locked(s, &lists, where);
}

int vmap_check(struct vmap_space *s)
{
	unsigned long irq = vmap_lock_all(s), where;
	const char *why = check_locked(s, &where);

	vmap_unlock_all(s, irq);
	if (why)
		printk("vmap_check: %s: %s (at 0x%lx)\n", s->name, why, where);
	return why ? -EINVAL : 0;
}
