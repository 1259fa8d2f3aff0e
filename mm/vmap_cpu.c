/*
 * The per-CPU part of a vmap space (mm/vmap_area.h, docs/percpu.md): each
 * CPU's lazy list and its pools, under that CPU's lock, which only the
 * owner takes but for a purge (another CPU's, by trylock, or one of
 * everything) or a check.
 *
 *   vfree ... free_vmap_area_noflush()  --push-->  lazy list (unflushed)
 *                                                    | above lazy_max:
 *                                                    | one flush of its span
 *                                                    | (and of the other
 *                                                    | CPUs' lists it can
 *                                                    | lock at once)
 *                                                    v
 *   alloc_vmap_area() <--pop-- pool[size - 1] <-- while under pool_max,
 *                                  ^              else the free tree (sorted,
 *                                  |              touching ranges joined)
 *                        batch refill (empty again: the next lowest fits
 *                        of the size, one hold of the free tree's lock)
 *
 * A range goes to a pool only after the flush (or straight from the free
 * tree, where nothing is stale), so a pooled range has no stale TLB entry
 * on any CPU and may be handed out at once.
 */
#include "mm/vmap_internal.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/lock_order.h"
#include "mm/arch_mmu.h"
#include "mm/slab.h"

int vmap_cpus_init(struct vmap_space *s)
{
	s->cpu = kmalloc(sizeof(*s->cpu) * SMP_MAX_CPUS);
	if (!s->cpu)
		return -ENOMEM;
	memset(s->cpu, 0, sizeof(*s->cpu) * SMP_MAX_CPUS);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		struct vmap_cpu *c = &s->cpu[cpu];

		snprintf(c->name, sizeof(c->name), "vmap_cpu%u", cpu);
		c->lock = (spinlock_t)SPINLOCK_INIT_ORDERED(c->name, LOCK_ORDER_VMAP_CPU);
	}
	return 0;
}

static void push(struct vmap_area **list, struct vmap_area *va)
{
	va->next = *list;
	*list = va;
}

/* True if CPU c's pools have room for `va` under s->pool_max (c->lock held). */
static bool pool_has_room(const struct vmap_space *s, const struct vmap_cpu *c,
			  const struct vmap_area *va)
{
	return c->pooled_bytes + va_size(va) <= s->pool_max;
}

/* Puts `va` in CPU c's pool `cls`, with its counts (c->lock held). */
static void pool_push_locked(struct vmap_cpu *c, int cls, struct vmap_area *va)
{
	push(&c->pool[cls], va);
	c->nr_pooled++;
	c->pooled_bytes += va_size(va);
	c->pool_nonempty[cls / 64] |= 1ul << (cls % 64);
}

/* Takes the range at *link out of CPU c's pool `cls`, with its counts (c->lock held). */
static struct vmap_area *pool_unlink_locked(struct vmap_cpu *c, int cls, struct vmap_area **link)
{
	struct vmap_area *va = *link;

	*link = va->next;
	c->nr_pooled--;
	c->pooled_bytes -= va_size(va);
	if (!c->pool[cls])
		c->pool_nonempty[cls / 64] &= ~(1ul << (cls % 64));
	return va;
}

/* Counts a range pool `cls` served (c->lock held). */
static void note_used(struct vmap_cpu *c, int cls)
{
	if (c->pool_used[cls] < 0xffff)
		c->pool_used[cls]++;
}

/* The smallest pool above `cls` with a range in it, or -1 (c->lock held). */
static int larger_pool(const struct vmap_cpu *c, int cls)
{
	for (unsigned w = (unsigned)(cls + 1) / 64; w < ARRAY_SIZE(c->pool_nonempty); w++) {
		unsigned long bits = c->pool_nonempty[w];

		if (w == (unsigned)(cls + 1) / 64)
			bits &= ~0ul << ((cls + 1) % 64);
		if (bits)
			return (int)(w * 64 + (unsigned)__builtin_ctzl(bits));
	}
	return -1;
}

/*
 * The link to the first of VMAP_POOL_SCAN ranges of CPU c's pool `cls`
 * that starts at a multiple of `align` (counted as an aligned hit), or
 * NULL if none of them does (c->lock held).
 */
static struct vmap_area **aligned_link(struct vmap_cpu *c, int cls, unsigned long align)
{
	struct vmap_area **link = &c->pool[cls];

	for (unsigned n = 0; *link && n < VMAP_POOL_SCAN; n++, link = &(*link)->next)
		if (IS_ALIGNED((*link)->va_start, align)) {
			c->pool_aligned_hits++;
			return link;
		}
	return NULL;
}

/*
 * The ranges a batch refill of pool `cls` (< VMAP_BATCH_PAGES; for a
 * request batchable_alignment() allows, whose alignment they then all
 * have) may take for CPU c at its `missed`-th miss since c's last purge:
 * none at the first, then 2, 4, 8 ... up to s->pool_batch, so a size
 * asked for now and then takes little out of the free tree; never more
 * than the room left in c's pools, plus one for the request itself
 * (c->lock held).
 * Larger sizes are pooled by purges only: their batches cost more than
 * they saved (docs/vmalloc.md §2).
 */
static unsigned batch_for(const struct vmap_space *s, const struct vmap_cpu *c, int cls,
			  unsigned missed)
{
	unsigned long size = (unsigned long)(cls + 1) << PAGE_SHIFT;
	unsigned long fit = (s->pool_max - c->pooled_bytes) / size + 1;
	unsigned long k = missed < 8 ? 1ul << (missed - 1) : s->pool_batch;

	k = MIN(k, MIN(fit, (unsigned long)s->pool_batch));
	return (unsigned)k;
}

static void settle_flushed_locked(struct vmap_space *s, struct vmap_cpu *c);

/*
 * True if a batch refill may serve a request of `size` and `align`: page-
 * aligned, or aligned so that each range and the hole the alignment leaves
 * after it take at most twice the range (a batch of ranges aligned far
 * beyond their size would spread over new page tables: random_size_align's
 * 4 MiB alignments cost 2.5 times as much per request batched).
 */
static bool batchable_alignment(unsigned long size, unsigned long align)
{
	return align == PAGE_SIZE || ALIGN_UP(size, align) <= 2 * size;
}

struct vmap_area *vmap_pool_take(struct vmap_space *s, unsigned long size, unsigned long align,
				 unsigned *batch, bool *split)
{
	int cls = vmap_pool_class(s, size);
	unsigned long irq;
	struct vmap_area *va, **link;
	struct vmap_cpu *c;

	*batch = 0;
	*split = false;
	if (cls < 0)
		return NULL;
	irq = irq_save();
	c = &s->cpu[arch_cpu_id()];
	spin_lock(&c->lock);
	if (unlikely(c->flushed))
		settle_flushed_locked(s, c);
	link = align == PAGE_SIZE ? &c->pool[cls] : aligned_link(c, cls, align);
	va = link && *link ? pool_unlink_locked(c, cls, link) : NULL;
	if (va) {
		c->pool_hits++;
		note_used(c, cls);
	} else if (align == PAGE_SIZE && larger_pool(c, cls) >= 0) {
		*split = true;
	} else if (cls < VMAP_BATCH_PAGES && batchable_alignment(size, align)) {
		if (c->pool_missed[cls] < 255)
			c->pool_missed[cls]++;
		*batch = batch_for(s, c, cls, c->pool_missed[cls]);
	}
	spin_unlock(&c->lock);
	irq_restore(irq);
	return va;
}

bool vmap_pool_split(struct vmap_space *s, unsigned long size, struct vmap_area *va)
{
	int cls = vmap_pool_class(s, size), big;
	unsigned long irq = irq_save();
	struct vmap_cpu *c = &s->cpu[arch_cpu_id()];
	struct vmap_area *from;

	spin_lock(&c->lock);
	big = cls < 0 ? -1 : larger_pool(c, cls);
	if (big >= 0) {
		from = pool_unlink_locked(c, big, &c->pool[big]);
		va->va_start = from->va_start;
		va->va_end = from->va_start + size;
		from->va_start = va->va_end;
		pool_push_locked(c, big - cls - 1, from);
		c->pool_hits++;
		c->pool_splits++;
		note_used(c, cls);
		note_used(c, big);
	}
	spin_unlock(&c->lock);
	irq_restore(irq);
	return big >= 0;
}

/* Moves every range of list *from onto list *to. */
static void move_all(struct vmap_area **to, struct vmap_area **from)
{
	while (*from) {
		struct vmap_area *va = *from;

		*from = va->next;
		push(to, va);
	}
}

/* Merges two lists sorted by address into one. */
static struct vmap_area *merge_by_addr(struct vmap_area *a, struct vmap_area *b)
{
	struct vmap_area *head = NULL, **tail = &head;

	while (a && b) {
		struct vmap_area **lower = a->va_start < b->va_start ? &a : &b;

		*tail = *lower;
		tail = &(*lower)->next;
		*lower = (*lower)->next;
	}
	*tail = a ? a : b;
	return head;
}

/* Cuts the first run off *list: rising ranges, or falling ones turned round. */
static struct vmap_area *cut_run(struct vmap_area **list)
{
	struct vmap_area *head = *list, *tail = head;

	if (head->next && head->next->va_start < head->va_start) {
		*list = head->next;
		head->next = NULL;
		while (*list && (*list)->va_start < head->va_start) {
			struct vmap_area *va = *list;

			*list = va->next;
			push(&head, va);
		}
		return head;
	}
	while (tail->next && tail->next->va_start > tail->va_start)
		tail = tail->next;
	*list = tail->next;
	tail->next = NULL;
	return head;
}

/*
 * `list` sorted by address: a natural merge sort (runs merged as a binary
 * counter), O(n log r) for r runs. A lazy list is mostly a few runs: one
 * CPU's successive lowest fits rise, and the list is newest first.
 */
static struct vmap_area *sort_by_addr(struct vmap_area *list)
{
	struct vmap_area *bin[64] = { 0 }, *run;
	unsigned i;

	while (list) {
		run = cut_run(&list);
		for (i = 0; bin[i]; i++) {
			run = merge_by_addr(bin[i], run);
			bin[i] = NULL;
		}
		bin[i] = run;
	}
	run = NULL;
	for (i = 0; i < 64; i++)
		if (bin[i])
			run = merge_by_addr(bin[i], run);
	return run;
}

/*
 * Joins each run of touching ranges of sorted `list` into its first range
 * and frees the objects of the others: what the free tree would merge,
 * done before its lock is taken.
 */
static void join_touching(struct vmap_area *list)
{
	struct vmap_area *va = list;

	while (va && va->next) {
		struct vmap_area *next = va->next;

		if (next->va_start == va->va_end) {
			va->va_end = next->va_end;
			va->next = next->next;
			vmap_free_area(next);
		} else {
			va = next;
		}
	}
}

/* Ranges a purge gives the free tree per hold of its lock. */
#define TREE_BATCH 32

/*
 * Gives a list of flushed ranges to the free tree: sorted by address and
 * touching ones joined first, outside the tree's lock (the freed areas of
 * one CPU often lie end to end: lazy ranges are not reused before the
 * purge, so its lowest fits follow each other), then TREE_BATCH per hold
 * of the lock, so that a purge of thousands does not keep the other CPUs
 * out of the tree all that time; the objects the merges leave unused are
 * freed after each hold. The caller holds its CPU's lock throughout: no
 * whole-space reader can look between two holds and miss the ranges
 * still on the list. Between holds it serves the shootdowns sent to this
 * CPU: a purge runs with interrupts off, and another CPU's purge would
 * otherwise wait for its flush until this one is done.
 */
static void give_to_tree(struct vmap_space *s, struct vmap_area *list)
{
	if (!list)
		return;
	list = sort_by_addr(list);
	join_touching(list);
	while (list) {
		struct vmap_area *unused = NULL;

		spin_lock(&s->lock);
		for (unsigned n = 0; list && n < TREE_BATCH; n++) {
			struct vmap_area *va = list;

			list = va->next;
			vmap_insert_free_locked(s, va, &unused);
		}
		spin_unlock(&s->lock);
		vmap_free_areas(unused);
		arch_spin_poll();
	}
}

void vmap_pool_fill(struct vmap_space *s, struct vmap_area *list)
{
	unsigned long irq = irq_save();
	struct vmap_cpu *c = &s->cpu[arch_cpu_id()];
	int cls = list ? vmap_pool_class(s, va_size(list)) : -1;

	spin_lock(&c->lock);
	while (list && cls >= 0 && pool_has_room(s, c, list)) {
		struct vmap_area *va = list;

		list = va->next;
		pool_push_locked(c, cls, va);
	}
	if (cls >= 0) {
		note_used(c, cls);
		c->pool_refills++;
	}
	give_to_tree(s, list);  /* no room: an interrupt's purge pooled since the room was counted */
	spin_unlock(&c->lock);
	irq_restore(irq);
}

/*
 * Moves all but the newest `keep` ranges of CPU c's pool i onto list *to,
 * with their counts (c->lock held).
 */
static void pool_trim_locked(struct vmap_cpu *c, unsigned i, unsigned long keep,
			     struct vmap_area **to)
{
	struct vmap_area **link = &c->pool[i];

	for (; *link && keep; keep--)
		link = &(*link)->next;
	while (*link)
		push(to, pool_unlink_locked(c, (int)i, link));
}

/* Widens [*lo, *hi) to take in every range of `list`. */
static void widen_to(const struct vmap_area *list, unsigned long *lo, unsigned long *hi)
{
	for (const struct vmap_area *va = list; va; va = va->next) {
		*lo = MIN(*lo, va->va_start);
		*hi = MAX(*hi, va->va_end);
	}
}

/* A purge's one TLB flush, over [lo, hi) (nothing if lo > hi: no range). */
static void flush_span(struct vmap_space *s, unsigned long lo, unsigned long hi)
{
	if (lo > hi)
		return;
	if (s->flush_tlb)
		arch_flush_tlb_kernel_range(lo, hi);
	__atomic_fetch_add(&s->nr_purges, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->reuse_epoch, 1, __ATOMIC_RELAXED);
}

/*
 * After the flush that covered `list` (CPU c's lazy ranges; c->lock held):
 * each pool keeps at most its newest max(VMAP_POOL_BATCH, 2 x the ranges
 * it served since c's last purge), none if it served none, and the rest
 * go back to the free tree (ranges a CPU no longer asks for would stay out
 * of it, cutting its free space into holes that aligned searches must
 * walk past); then each purged range goes to its pool while the pools
 * have room, the rest to the free tree.
 */
static void settle_purged_locked(struct vmap_space *s, struct vmap_cpu *c, struct vmap_area *list)
{
	struct vmap_area *rest = NULL;

	for (unsigned i = 0; i < VMAP_POOL_PAGES; i++)
		pool_trim_locked(c, i, c->pool_used[i] ? MAX(VMAP_POOL_BATCH, 2ul * c->pool_used[i]) : 0,
				 &rest);
	memset(c->pool_used, 0, sizeof(c->pool_used));
	memset(c->pool_missed, 0, sizeof(c->pool_missed));
	while (list) {
		struct vmap_area *va = list;
		int cls = vmap_pool_class(s, va_size(va));

		list = va->next;
		if (cls >= 0 && pool_has_room(s, c, va))
			pool_push_locked(c, cls, va);
		else
			push(&rest, va);
	}
	give_to_tree(s, rest);
}

/* CPU c's lazy list, in its order, taken off c with its counts (c->lock held). */
static struct vmap_area *unhook_lazy_locked(struct vmap_cpu *c)
{
	struct vmap_area *list = c->lazy;

	c->lazy = NULL;
	c->nr_lazy = c->lazy_bytes = 0;
	return list;
}

/* Moves CPU c's flushed list onto list *to, with its counts (c->lock held). */
static void unhook_flushed_locked(struct vmap_cpu *c, struct vmap_area **to)
{
	move_all(to, &c->flushed);
	c->nr_flushed = c->flushed_bytes = 0;
}

/*
 * Pools the ranges other CPUs' purges took from CPU c's lazy list, flushed
 * and handed back (c->lock held): as c's own purge would have.
 */
static void settle_flushed_locked(struct vmap_space *s, struct vmap_cpu *c)
{
	struct vmap_area *list = NULL;

	unhook_flushed_locked(c, &list);
	settle_purged_locked(s, c, list);
}

/* Another CPU's lazy list, taken along by a purge. */
struct taken_list {
	struct vmap_cpu *from;
	struct vmap_area *head, *tail;
	unsigned long nr, bytes;
};

/*
 * Unhooks the lazy list of every other CPU that has one and whose lock is
 * free right now, widening [*lo, *hi) to it; returns them in taken[]. Each
 * lock is held only for the unhooking (a trylock: CPU c's lock is held,
 * and the lists are a bonus, so a busy one is left for its owner). The
 * ranges stay out of every list until hand_back(): c's lock, held
 * throughout the purge, keeps whole-space readers (every lock) out.
 */
static unsigned take_other_lists(struct vmap_space *s, const struct vmap_cpu *c,
				 struct taken_list *taken, unsigned long *lo, unsigned long *hi)
{
	unsigned n = 0;

	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		struct vmap_cpu *o = &s->cpu[cpu];
		struct taken_list *t = &taken[n];

		if (o == c || !spin_trylock(&o->lock))
			continue;
		*t = (struct taken_list){ .from = o, .nr = o->nr_lazy, .bytes = o->lazy_bytes };
		t->head = unhook_lazy_locked(o);
		spin_unlock_nest(&o->lock, true);
		if (!t->head)
			continue;
		for (t->tail = t->head; t->tail->next; t->tail = t->tail->next)
			;
		widen_to(t->head, lo, hi);
		n++;
	}
	return n;
}

/*
 * After the flush: puts a taken list on its CPU's flushed list, for that
 * CPU to pool (its pools are where its next allocations look), or, if its
 * lock is busy right now, into the free tree.
 */
static void hand_back(struct vmap_space *s, struct taken_list *t)
{
	struct vmap_cpu *o = t->from;

	if (!spin_trylock(&o->lock)) {
		give_to_tree(s, t->head);
		return;
	}
	t->tail->next = o->flushed;
	o->flushed = t->head;
	o->nr_flushed += t->nr;
	o->flushed_bytes += t->bytes;
	spin_unlock_nest(&o->lock, true);
}

/*
 * Purges CPU c's lazy list (c->lock held), and with it the lists of the
 * other CPUs take_other_lists() could take: one flush covers them all, as
 * Linux's one purge list does, so two CPUs freeing at the same rate purge
 * half as often as they would each on its own. c's ranges go to its pools
 * or the free tree; the others' go back to their CPUs, flushed.
 */
static void purge_cpu_locked(struct vmap_space *s, struct vmap_cpu *c)
{
	struct taken_list taken[SMP_MAX_CPUS];
	unsigned long lo = ~0ul, hi = 0;
	struct vmap_area *list;
	unsigned n;

	if (!c->lazy)
		return;
	widen_to(c->lazy, &lo, &hi);
	n = take_other_lists(s, c, taken, &lo, &hi);
	flush_span(s, lo, hi);
	list = unhook_lazy_locked(c);
	unhook_flushed_locked(c, &list);
	settle_purged_locked(s, c, list);
	while (n--)
		hand_back(s, &taken[n]);
}

void free_vmap_area_noflush(struct vmap_space *s, struct vmap_area *va)
{
	unsigned long irq = irq_save();
	struct vmap_cpu *c = &s->cpu[arch_cpu_id()];

	spin_lock(&c->lock);
	va->vm = NULL;
	push(&c->lazy, va);
	c->nr_lazy++;
	c->lazy_bytes += va_size(va);
	/*
	 * A CPU that only frees while another purges has its list taken
	 * along and handed back again and again, and never purges itself:
	 * what came back is settled here once it passes lazy_max, paid by
	 * the frees that made it, not kept for its next allocation.
	 */
	if (c->lazy_bytes > s->lazy_max)
		purge_cpu_locked(s, c);
	else if (unlikely(c->flushed_bytes > s->lazy_max))
		settle_flushed_locked(s, c);
	spin_unlock(&c->lock);
	irq_restore(irq);
}

/*
 * Takes CPU c's lazy ranges and its flushed ones (pooled or handed back)
 * onto two lists (c->lock held).
 */
static void empty_cpu_locked(struct vmap_cpu *c, struct vmap_area **lazy,
			     struct vmap_area **pooled)
{
	struct vmap_area *list = unhook_lazy_locked(c);

	move_all(lazy, &list);
	unhook_flushed_locked(c, pooled);
	for (unsigned i = 0; i < VMAP_POOL_PAGES; i++)
		pool_trim_locked(c, i, 0, pooled);
	memset(c->pool_missed, 0, sizeof(c->pool_missed));
}

/*
 * Every CPU's lock is held (in CPU order, as vmap_lock_all() takes them)
 * while the lists are emptied, the one flush runs and the ranges reach the
 * free tree, so no range is ever outside the space's structures.
 */
void purge_vmap_area_lazy(struct vmap_space *s)
{
	struct vmap_area *lazy = NULL, *pooled = NULL;
	unsigned long irq = irq_save(), lo = ~0ul, hi = 0;

	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		spin_lock_nest(&s->cpu[cpu].lock, cpu > 0);
		empty_cpu_locked(&s->cpu[cpu], &lazy, &pooled);
	}
	widen_to(lazy, &lo, &hi);
	flush_span(s, lo, hi);
	give_to_tree(s, lazy);
	give_to_tree(s, pooled);
	for (unsigned cpu = SMP_MAX_CPUS; cpu-- > 0;)
		spin_unlock_nest(&s->cpu[cpu].lock, cpu > 0);
	irq_restore(irq);
}

void vmap_cpus_destroy(struct vmap_space *s)
{
	if (!s->cpu)
		return;
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		struct vmap_cpu *c = &s->cpu[cpu];

		vmap_free_areas(c->lazy);
		vmap_free_areas(c->flushed);
		for (unsigned i = 0; i < VMAP_POOL_PAGES; i++)
			vmap_free_areas(c->pool[i]);
	}
	kfree(s->cpu);
	s->cpu = NULL;
}
