/*
 * The page-table walker, part 3: unmapping and changing protection, with
 * the same per-level range loops as mapping.
 *
 * Order of an unmap with table freeing: clear the leaves, unlink the
 * tables left empty, flush the TLB (which also drops the MMU's cached
 * upper-level entries), and only then free the unlinked tables: until the
 * flush, the MMU may still walk them. Such an unmap is a trim
 * (pt_trim_begin(): no lock-free call is inside the tree meanwhile).
 *
 * An unmap that frees no table runs without the lock (mm/pgtable.h) unless
 * a huge leaf is cut by its ends, which it finds before it clears anything:
 * at its first entry, or by looking up its end first when it reaches past
 * one bottom table. Then it runs under the lock, which refuses it.
 */
#include "mm/pgtable_internal.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"

/* The bottom level: clears a run of leaves in one table. */
static __always_inline void unmap_ptes(struct unmap_ctx *c, pte_t *table,
				       unsigned long addr, unsigned long end)
{
	pte_t *e = &table[pt_index(addr, PT_LEVEL_PTE)];
	struct page **pages = c->pages;         /* loaded once: the stores below are volatile */
	bool cleared = false;

	for (; addr != end; addr += PAGE_SIZE, e++) {
		pte_t old = read_entry(e);

		if (!arch_pte_present(old))
			continue;
		set_entry(e, 0);
		cleared = true;
		if (pages)
			pages[(addr - c->start) >> PAGE_SHIFT] =
				pfn_to_page(arch_pte_pfn(old, PT_LEVEL_PTE));
	}
	c->cleared |= cleared;
}

/* Clears a huge leaf the range covers whole (pt_check_huge_ends made sure). */
static void unmap_huge(struct unmap_ctx *c, pte_t *e, int level, unsigned long addr)
{
	unsigned long pfn = arch_pte_pfn(*e, level);
	unsigned long n = level_size(level) >> PAGE_SHIFT;

	set_entry(e, 0);
	c->cleared = true;
	if (!c->pages)
		return;
	for (unsigned long i = 0; i < n; i++)
		c->pages[((addr - c->start) >> PAGE_SHIFT) + i] = pfn_to_page(pfn + i);
}

/* True if the table behind `entry`, just unmapped over [addr, next), may go. */
static bool table_can_go(const struct unmap_ctx *c, pte_t entry, int level,
			 unsigned long addr, unsigned long next)
{
	struct page *page = pfn_to_page(arch_pte_pfn(entry, level));

	if (c->only_stamp && page->private != c->only_stamp)
		return false;
	/* Cleared over its whole span: empty without looking. */
	if (c->clear_leaves && !c->only_stamp && covers_entry(addr, next, level))
		return true;
	return pt_table_is_empty(entry_table(entry, level));
}

static void unmap_level(struct pgtable *pt, struct unmap_ctx *c, pte_t *table, int level,
			unsigned long addr, unsigned long end)
{
	pte_t *e = &table[pt_index(addr, level)];
	unsigned long next;

	if (level == PT_LEVEL_PTE) {
		if (c->lockless)
			pt_walker_cache_ptes(pt, table, addr);
		else
			pt_cache_ptes(pt, table, addr);
		if (c->clear_leaves)
			unmap_ptes(c, table, addr, end);
		return;
	}
	for (; addr != end; addr = next, e++) {
		pte_t entry = read_entry(e);

		next = level_end(addr, end, level);
		if (!arch_pte_present(entry))
			continue;
		if (arch_pte_is_leaf(entry, level)) {
			if (c->clear_leaves)
				unmap_huge(c, e, level, addr);
			continue;
		}
		unmap_level(pt, c, entry_table(entry, level), level - 1, addr, next);
		if (c->free_tables && table_can_go(c, entry, level, addr, next))
			pt_table_unlink(pt, e, level, &c->freed);
	}
}

void pt_unmap_walk(struct pgtable *pt, struct unmap_ctx *c, unsigned long va,
		   unsigned long end)
{
	unmap_level(pt, c, pt->root, PT_ROOT_LEVEL, va, end);
}

/*
 * True if the lock-free unmap of [va, end) may run: it cuts no huge leaf.
 * Inside one bottom table's span, the leaf holding `va` must not be huge
 * (any huge leaf there would be the call's first entry, and cut or whole,
 * it is the lock's case); past that span, only the entries holding `va`
 * and `end` can be cut, and both are looked up now. Inside a lock-free call.
 */
static __always_inline bool lockless_unmap_ok(struct pgtable *pt, unsigned long va,
					      unsigned long end)
{
	int level;

	if (!((va ^ (end - 1)) >> arch_level_shift(PT_LEVEL_PMD)))
		return !pt_lookup_leaf(pt, va, &level) || level == PT_LEVEL_PTE;
	return !pt_inside_huge_leaf(pt, va, &level) && !pt_inside_huge_leaf(pt, end, &level);
}

/* Empties the caller's array of pages before the walk fills in what it finds. */
static inline void clear_pages_out(struct unmap_ctx *c, unsigned long end)
{
	if (c->pages)
		memset(c->pages, 0, ((end - c->start) >> PAGE_SHIFT) * sizeof(*c->pages));
}

/* The unmap under the lock: checks the ends, frees tables as `c` says. */
static int unmap_locked(struct pgtable *pt, const struct pt_call *call,
			struct unmap_ctx *c, unsigned long end, bool flush)
{
	unsigned long va = c->start;
	/* Inside the last bottom table: no huge leaf to cut, no table to free. */
	pte_t *ptes = c->free_tables ? NULL : pt_cached_ptes(pt, va, end);
	int err = ptes ? 0 : pt_check_huge_ends(pt, call, va, end);

	if (err)
		return err;
	if (c->free_tables)
		pt_trim_begin(pt);
	clear_pages_out(c, end);
	if (ptes)
		unmap_ptes(c, ptes, va, end);
	else
		pt_unmap_walk(pt, c, va, end);
	if (flush && (c->cleared || !page_list_empty(&c->freed)))
		pt_flush_and_free(pt, va, end, &c->freed);
	if (c->free_tables)
		pt_trim_end(pt);
	return 0;
}

/* The unmap without the lock; false (nothing done) if it must take it. */
static __always_inline bool unmap_lockless(struct pgtable *pt, struct unmap_ctx *c,
					   unsigned long end)
{
	pte_t *ptes;
	bool ok;

	if (c->free_tables || !pt_lockless_enter(pt))
		return false;
	/* In this CPU's last bottom table: no huge leaf to cut. */
	ptes = pt_walker_cached_ptes(pt, c->start, end);
	ok = ptes || lockless_unmap_ok(pt, c->start, end);
	if (ok) {
		clear_pages_out(c, end);
		c->lockless = true;
		if (ptes)
			unmap_ptes(c, ptes, c->start, end);
		else
			pt_unmap_walk(pt, c, c->start, end);
	}
	pt_lockless_exit();
	return ok;
}

/* The body of both unmap calls: checks, then unmaps, with the lock if it must. */
static __always_inline int unmap_range(struct pgtable *pt, const struct pt_call *call,
				       struct unmap_ctx *c, unsigned long size, bool flush)
{
	unsigned long end = c->start + size, flags;
	int err = pt_check_range(call, c->start, size);

	if (err)
		return err;
	flags = irq_save();
	if (unmap_lockless(pt, c, end)) {
		if (flush && c->cleared)        /* outside the call: a trim may wait for it */
			pgtable_flush_range(pt, c->start, end);
	} else {
		spin_lock(&pt->lock);
		err = unmap_locked(pt, call, c, end, flush);
		spin_unlock(&pt->lock);
	}
	irq_restore(flags);
	return err;
}

__noinline
int pgtable_unmap(struct pgtable *pt, unsigned long va, unsigned long size,
		  struct page **pages, unsigned flags)
{
	struct pt_call call = PT_CALL("pgtable_unmap");
	struct unmap_ctx c = { .start = va, .pages = pages, .clear_leaves = true,
			       .free_tables = flags & PGTABLE_FREE_TABLES };

	if (flags & ~PGTABLE_FREE_TABLES) {
		pt_warn(&call, "unknown flags 0x%x", flags);
		return -EINVAL;
	}
	return unmap_range(pt, &call, &c, size, true);
}

__noinline
int pgtable_unmap_noflush(struct pgtable *pt, unsigned long va, unsigned long size,
			  struct page **pages)
{
	struct pt_call call = PT_CALL("pgtable_unmap_noflush");
	struct unmap_ctx c = { .start = va, .pages = pages, .clear_leaves = true };

	return unmap_range(pt, &call, &c, size, false);
}

/* --- protection --- */

/* Sets `prot` on every leaf of [addr, end); true if one was present. */
static bool protect_level(pte_t *table, int level, unsigned long addr, unsigned long end,
			  unsigned prot)
{
	pte_t *e = &table[pt_index(addr, level)];
	unsigned long next;
	bool changed = false;

	for (; addr != end; addr = next, e++) {
		pte_t entry = read_entry(e);

		next = level_end(addr, end, level);
		if (!arch_pte_present(entry))
			continue;
		if (arch_pte_is_leaf(entry, level)) {
			set_entry(e, arch_pte_set_prot(entry, level, prot));
			changed = true;
		} else {
			changed |= protect_level(entry_table(entry, level), level - 1, addr,
						 next, prot);
		}
	}
	return changed;
}

__noinline
int pgtable_protect(struct pgtable *pt, unsigned long va, unsigned long size, unsigned prot)
{
	struct pt_call call = PT_CALL("pgtable_protect");
	unsigned long end = va + size, flags;
	int err = pt_check_range(&call, va, size);

	if (!err)
		err = pt_check_prot(&call, prot);
	if (err)
		return err;
	flags = spin_lock_irqsave(&pt->lock);
	err = pt_check_huge_ends(pt, &call, va, end);
	if (!err && protect_level(pt->root, PT_ROOT_LEVEL, va, end, prot))
		pgtable_flush_range(pt, va, end);
	spin_unlock_irqrestore(&pt->lock, flags);
	return err;
}
