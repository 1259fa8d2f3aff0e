/*
 * The page-table walker, part 2: mapping. One descent per table, not per
 * page: each level loops over the entries its part of the range covers
 * (next = level_end(addr, end)), and the bottom level writes a run of
 * leaves in a tight loop.
 *
 * A call first runs without the tree's lock (mm/pgtable.h): it walks
 * down, and if every table it needs is there it writes its leaves, each
 * by compare-and-exchange. If it meets anything else (a missing table, a
 * leaf already there, a page it refuses) it clears the leaves it wrote and
 * does the whole call again under the lock, which allocates the tables,
 * or finds the same refusal and reports it.
 *
 * A call that fails half way under the lock (no memory for a table, a page
 * already mapped) undoes itself: it clears the leaves it wrote, which are
 * exactly those below the address where it stopped, then frees the tables
 * it allocated, which carry its stamp and are empty again by then.
 */
#include "mm/pgtable_internal.h"
#include "kernel/errno.h"
#include "mm/pfa.h"

struct map_ctx {
	struct pgtable *pt;
	unsigned long start;            /* of the call */
	struct page *const *pages;      /* the source: one page per 4 KiB, or */
	unsigned long pfn;              /* the first frame of a contiguous range */
	bool huge;                      /* huge leaves allowed */
	pte_t bits[ARCH_PT_LEVELS];     /* leaf bits of each level */
	bool populate;                  /* build the tables only, no leaves */
	bool checked;                   /* frames checked too; refusals are the caller's */
	bool lockless;                  /* no lock held: add no table, touch no cache */
	unsigned long stamp;            /* carried by the tables this call allocates;
					   taken at its first table (0: none yet) */
	unsigned long stop;             /* where it failed: leaves below are the call's */
};

static int map_stop(struct map_ctx *c, unsigned long addr, int err)
{
	c->stop = addr;
	return err;
}

/* The frame to map at `addr` (contiguous source). */
static inline unsigned long source_pfn(const struct map_ctx *c, unsigned long addr)
{
	return c->pfn + ((addr - c->start) >> PAGE_SHIFT);
}

/*
 * The bottom level, from a page array: a run of leaves in one table. With
 * `checked` (a constant where it is inlined) each frame is checked too.
 */
static __always_inline int map_ptes_pages(struct map_ctx *c, pte_t *table, unsigned long addr,
					  unsigned long end, bool checked)
{
	struct page *const *page = &c->pages[(addr - c->start) >> PAGE_SHIFT];
	pte_t *e = &table[pt_index(addr, PT_LEVEL_PTE)];
	pte_t bits = c->bits[PT_LEVEL_PTE];

	for (; addr != end; addr += PAGE_SIZE, e++, page++) {
		if (arch_pte_present(read_entry(e)))
			return map_stop(c, addr, -EBUSY);
		if (!*page || (checked && pfa_page_unmappable(*page)))
			return map_stop(c, addr, -EINVAL);
		if (!install_leaf(e, arch_pte_leaf(page_to_pfn(*page), bits)))
			return map_stop(c, addr, -EBUSY);
	}
	return 0;
}

/* The bottom level, from a contiguous physical range. */
static int map_ptes_phys(struct map_ctx *c, pte_t *table, unsigned long addr,
			 unsigned long end)
{
	unsigned long pfn = source_pfn(c, addr);
	pte_t *e = &table[pt_index(addr, PT_LEVEL_PTE)];
	pte_t bits = c->bits[PT_LEVEL_PTE];

	for (; addr != end; addr += PAGE_SIZE, e++, pfn++)
		if (!install_leaf(e, arch_pte_leaf(pfn, bits)))
			return map_stop(c, addr, -EBUSY);
	return 0;
}

/* True if [addr, next) can be one huge leaf at `level` in place of `e`. */
static bool can_map_huge(const struct map_ctx *c, pte_t e, int level, unsigned long addr,
			 unsigned long next)
{
	return c->huge && !arch_pte_present(e) && covers_entry(addr, next, level) &&
	       arch_level_has_huge(level) &&
	       IS_ALIGNED(source_pfn(c, addr), level_size(level) >> PAGE_SHIFT);
}

static int map_level(struct map_ctx *c, pte_t *table, int level, unsigned long addr,
		     unsigned long end);

/* The bottom level of a call that writes leaves, from either source. */
static __always_inline int map_ptes(struct map_ctx *c, pte_t *table, unsigned long addr,
				    unsigned long end)
{
	if (!c->pages)
		return map_ptes_phys(c, table, addr, end);
	return c->checked ? map_ptes_pages(c, table, addr, end, true)
			  : map_ptes_pages(c, table, addr, end, false);
}

/* Maps [addr, next) below the upper-level entry `e`, allocating its table. */
static int map_below(struct map_ctx *c, pte_t *e, int level, unsigned long addr,
		     unsigned long next)
{
	pte_t entry = read_entry(e);

	if (!arch_pte_present(entry)) {
		struct page *table;

		if (c->lockless)
			return map_stop(c, addr, -EAGAIN);
		if (!c->stamp)
			c->stamp = pt_new_stamp();
		table = pt_table_alloc(c->pt, c->stamp);

		if (!table)
			return map_stop(c, addr, -ENOMEM);
		/* Zeroed by the allocator: complete (empty) before it is linked. */
		entry = arch_pte_table(page_to_pfn(table));
		set_entry(e, entry);
	} else if (arch_pte_is_leaf(entry, level)) {
		return map_stop(c, addr, -EBUSY);
	}
	return map_level(c, entry_table(entry, level), level - 1, addr, next);
}

static int map_level(struct map_ctx *c, pte_t *table, int level, unsigned long addr,
		     unsigned long end)
{
	pte_t *e = &table[pt_index(addr, level)];
	unsigned long next;
	int err = 0;

	if (level == PT_LEVEL_PTE) {
		if (c->lockless)
			pt_walker_cache_ptes(c->pt, table, addr);
		else
			pt_cache_ptes(c->pt, table, addr);
		return c->populate ? 0 : map_ptes(c, table, addr, end);
	}
	for (; addr != end && !err; addr = next, e++) {
		next = level_end(addr, end, level);
		if (can_map_huge(c, read_entry(e), level, addr, next))
			set_entry(e, arch_pte_leaf(source_pfn(c, addr), c->bits[level]));
		else
			err = map_below(c, e, level, addr, next);
	}
	return err;
}

/* Undoes a failed call over [start, end): see the top of the file. */
static void map_undo(struct map_ctx *c, unsigned long end)
{
	struct unmap_ctx leaves = { .start = c->start, .clear_leaves = true };
	struct unmap_ctx tables = { .start = c->start, .free_tables = true,
				    .only_stamp = c->stamp };

	if (c->stop != c->start && !c->populate)
		pt_unmap_walk(c->pt, &leaves, c->start, c->stop);
	if (c->stamp) {                 /* it allocated tables (only_stamp 0 means any) */
		pt_trim_begin(c->pt);
		pt_unmap_walk(c->pt, &tables, c->start, end);
	}
	pt_flush_and_free(c->pt, c->start, end, &tables.freed);
	if (c->stamp)
		pt_trim_end(c->pt);
}

/*
 * The call without the lock (the top of the file). 0 when done; otherwise
 * nothing of it is left and the caller does it under the lock.
 */
static __always_inline int map_lockless(struct map_ctx *c, unsigned long end)
{
	struct unmap_ctx own = { .start = c->start, .clear_leaves = true, .lockless = true };
	pte_t *ptes;
	int err;

	if (c->populate || c->huge || !pt_lockless_enter(c->pt))
		return -EAGAIN;
	c->lockless = true;
	ptes = pt_walker_cached_ptes(c->pt, c->start, end);
	if (ptes)       /* all in this CPU's last bottom table */
		err = map_ptes(c, ptes, c->start, end);
	else
		err = map_level(c, c->pt->root, PT_ROOT_LEVEL, c->start, end);
	if (err && c->stop != c->start)
		pt_unmap_walk(c->pt, &own, c->start, c->stop);
	pt_lockless_exit();
	c->lockless = false;
	return err;
}

static const char *map_error(int err)
{
	return err == -EBUSY ? "is already mapped" : "has no page (NULL)";
}

/* The body of both map calls, once the arguments are checked. */
static __always_inline int map_range(struct map_ctx *c, const struct pt_call *call,
				     unsigned long size, unsigned prot)
{
	unsigned long end = c->start + size, flags;
	pte_t *ptes;
	int err;

	c->bits[PT_LEVEL_PTE] = arch_pte_leaf_bits(prot, PT_LEVEL_PTE);
	for (int level = 1; c->huge && level < ARCH_PT_LEVELS; level++)
		c->bits[level] = arch_pte_leaf_bits(prot, level);      /* huge leaves only */
	flags = irq_save();
	err = map_lockless(c, end);
	if (err) {
		spin_lock(&c->pt->lock);
		ptes = pt_cached_ptes(c->pt, c->start, end);
		if (!ptes)
			err = map_level(c, c->pt->root, PT_ROOT_LEVEL, c->start, end);
		else    /* all in the last bottom table: straight to its leaves */
			err = c->populate ? 0 : map_ptes(c, ptes, c->start, end);
		if (err)
			map_undo(c, end);
		spin_unlock(&c->pt->lock);
	}
	irq_restore(flags);
	if (err && err != -ENOMEM && !c->checked)
		pt_warn(call, "0x%lx %s", c->stop, map_error(err));
	return err;
}

/* The arguments and body of both page-array maps; `c` says how loud -EBUSY is. */
static __always_inline int map_pages_call(struct map_ctx *c, const struct pt_call *call,
					  unsigned long nr, unsigned prot)
{
	int err = 0;

	if (!c->pages || !nr || nr > (~0ul >> PAGE_SHIFT)) {
		pt_warn(call, "%lu pages at %p: no pages or too many", nr, (void *)c->pages);
		err = -EINVAL;
	}
	if (!err)
		err = pt_check_range(call, c->start, nr << PAGE_SHIFT);
	if (!err)
		err = pt_check_prot(call, prot);
	return err ? err : map_range(c, call, nr << PAGE_SHIFT, prot);
}

__noinline
int pgtable_map_pages(struct pgtable *pt, unsigned long va, struct page *const *pages,
		      unsigned long nr, unsigned prot)
{
	struct pt_call call = PT_CALL("pgtable_map_pages");
	struct map_ctx c = { .pt = pt, .start = va, .pages = pages };

	return map_pages_call(&c, &call, nr, prot);
}

__noinline
int pgtable_map_pages_checked(struct pgtable *pt, unsigned long va, struct page *const *pages,
			      unsigned long nr, unsigned prot, unsigned long *stop)
{
	struct pt_call call = PT_CALL("pgtable_map_pages");
	struct map_ctx c = { .pt = pt, .start = va, .pages = pages, .checked = true };
	int err = map_pages_call(&c, &call, nr, prot);

	*stop = err == -EBUSY || err == -EINVAL ? c.stop : 0;
	return err;
}

__noinline
int pgtable_map_phys(struct pgtable *pt, unsigned long va, phys_addr_t pa,
		     unsigned long size, unsigned prot, unsigned flags)
{
	struct pt_call call = PT_CALL("pgtable_map_phys");
	struct map_ctx c = { .pt = pt, .start = va, .pfn = pa >> PAGE_SHIFT,
			     .huge = flags & PGTABLE_HUGE };
	int err = pt_check_range(&call, va, size);

	if (!err && (!IS_ALIGNED(pa, PAGE_SIZE) || pa + size - 1 < pa ||
		     (pa + size - 1) >> ARCH_PHYS_BITS)) {
		pt_warn(&call, "physical range 0x%llx + 0x%lx is unaligned or too high",
			(unsigned long long)pa, size);
		err = -EINVAL;
	}
	if (!err && (flags & ~PGTABLE_HUGE)) {
		pt_warn(&call, "unknown flags 0x%x", flags);
		err = -EINVAL;
	}
	if (!err)
		err = pt_check_prot(&call, prot);
	return err ? err : map_range(&c, &call, size, prot);
}

__noinline
int pgtable_populate(struct pgtable *pt, unsigned long va, unsigned long size)
{
	struct pt_call call = PT_CALL("pgtable_populate");
	struct map_ctx c = { .pt = pt, .start = va, .populate = true };
	int err = pt_check_range(&call, va, size);

	return err ? err : map_range(&c, &call, size, PROT_KERNEL_RW);
}
