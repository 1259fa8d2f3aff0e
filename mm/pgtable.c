/*
 * The page-table walker, part 1: trees and their table pages, argument
 * checks, lookup, query, walk, the invariant checker and the flushes.
 * Mapping is in pgtable_map.c, unmapping and protection in pgtable_unmap.c.
 */
#include "mm/pgtable_internal.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/fault_inject.h"
#include "mm/pfa.h"

struct pgtable kernel_pgtable = { .lock = SPINLOCK_INIT_ORDERED("kernel_pgtable", LOCK_ORDER_PGTABLE) };

struct pt_walker pt_walkers[SMP_MAX_CPUS];

/* Across all trees; each tree's own count is under its lock. */
static unsigned long total_tables;
static unsigned long last_stamp;

/* --- table pages --- */

unsigned long pt_new_stamp(void)
{
	return __atomic_add_fetch(&last_stamp, 1, __ATOMIC_RELAXED);
}

struct page *pt_table_alloc(struct pgtable *pt, unsigned long stamp)
{
	struct page *page = fault_inject_should_fail(FAULT_PGTABLE) ? NULL : alloc_page(PFA_ZERO);

	if (!page)
		return NULL;
	page_set_state(page, PAGE_PAGETABLE);
	page->private = stamp;
	pt->nr_tables++;
	__atomic_add_fetch(&total_tables, 1, __ATOMIC_RELAXED);
	return page;
}

void pt_table_unlink(struct pgtable *pt, pte_t *e, int level, struct page_list *list)
{
	struct page *page = pfn_to_page(arch_pte_pfn(*e, level));

	set_entry(e, 0);
	pt->last_ptes = NULL;           /* it may have been that one, or above it */
	pt->nr_tables--;
	__atomic_sub_fetch(&total_tables, 1, __ATOMIC_RELAXED);
	page_list_add(list, page);
}

void pt_tables_free(struct page_list *list)
{
	struct page *page;

	while ((page = page_list_pop(list)))
		free_page(page);
}

bool pt_table_is_empty(const pte_t *table)
{
	for (unsigned i = 0; i < ARCH_PT_ENTRIES; i++)
		if (arch_pte_present(table[i]))
			return false;
	return true;
}

/* --- lock-free calls and trims (pgtable_internal.h) --- */

void pt_trim_begin(struct pgtable *pt)
{
	unsigned me = arch_cpu_id();

	__atomic_store_n(&pt->trimming, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&pt->trims, pt->trims + 1, __ATOMIC_RELEASE);  /* after `trimming` */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		while (cpu != me && __atomic_load_n(&pt_walkers[cpu].inside, __ATOMIC_ACQUIRE)) {
			cpu_relax();
			arch_spin_poll();       /* a waiter serves shootdowns (kernel/spinlock.h) */
		}
}

void pt_trim_end(struct pgtable *pt)
{
	__atomic_store_n(&pt->trimming, 0, __ATOMIC_RELEASE);
}

/* --- trees --- */

int pgtable_init(struct pgtable *pt)
{
	static unsigned long trees;
	struct page *root;

	*pt = (struct pgtable){ .lock = SPINLOCK_INIT_ORDERED(pt == &kernel_pgtable ?
							      "kernel_pgtable" : "pgtable",
							      LOCK_ORDER_PGTABLE) };
	/*
	 * A tree made where a destroyed one was must not match a CPU's cached
	 * table of the old one (pt_walker_cached_ptes()): its trims count
	 * starts where no earlier tree's is.
	 */
	pt->trims = __atomic_add_fetch(&trees, 1, __ATOMIC_RELAXED) << 32;
	root = pt_table_alloc(pt, 0);
	if (!root)
		return -ENOMEM;
	pt->root = page_address(root);
	pt->root_phys = page_to_phys(root);
	return 0;
}

/* Frees the tables below `table` (at `level`), not `table` itself. */
static void destroy_level(struct pgtable *pt, pte_t *table, int level)
{
	struct page_list list = { 0 };

	for (unsigned i = 0; i < ARCH_PT_ENTRIES; i++) {
		pte_t e = table[i];

		if (!arch_pte_present(e) || arch_pte_is_leaf(e, level))
			continue;
		destroy_level(pt, entry_table(e, level), level - 1);
		pt_table_unlink(pt, &table[i], level, &list);
	}
	pt_tables_free(&list);
}

__noinline
void pgtable_destroy(struct pgtable *pt)
{
	struct page *root = phys_to_page(pt->root_phys);

	if (WARN_CALL(pt->live, "pgtable_destroy", RET_IP, "tree is live"))
		return;
	destroy_level(pt, pt->root, PT_ROOT_LEVEL);
	pt->nr_tables--;
	__atomic_sub_fetch(&total_tables, 1, __ATOMIC_RELAXED);
	free_page(root);
	pt->root = NULL;
}

void pgtable_load(struct pgtable *pt)
{
	arch_write_root(pt->root_phys);
	pt->live = true;
}

unsigned long pgtable_nr_tables(const struct pgtable *pt)
{
	return READ_ONCE(pt->nr_tables);
}

unsigned long pgtable_total_tables(void)
{
	return __atomic_load_n(&total_tables, __ATOMIC_RELAXED);
}

/* --- argument checks --- */

/* --- lookup and query --- */

pte_t *pt_lookup_leaf(struct pgtable *pt, unsigned long va, int *level)
{
	pte_t *table = pt->root;

	for (int l = PT_ROOT_LEVEL; l >= 0; l--) {
		pte_t *e = &table[pt_index(va, l)];
		pte_t entry = read_entry(e);

		if (!arch_pte_present(entry))
			return NULL;
		if (arch_pte_is_leaf(entry, l)) {
			*level = l;
			return e;
		}
		table = entry_table(entry, l);
	}
	return NULL;
}

bool pt_inside_huge_leaf(struct pgtable *pt, unsigned long addr, int *level)
{
	return pt_lookup_leaf(pt, addr, level) && *level > 0 &&
	       !IS_ALIGNED(addr, level_size(*level));
}

int pt_check_huge_ends(struct pgtable *pt, const struct pt_call *call,
		       unsigned long va, unsigned long end)
{
	int level;

	/*
	 * Only the two ends can cut a leaf: every leaf in between is whole. A
	 * leaf holding `end` but not starting there also holds end - 1; an
	 * `end` of 0 or 2^47 is aligned to every leaf size, so looking it up
	 * (it is not canonical) never reports a cut.
	 */
	if (pt_inside_huge_leaf(pt, va, &level) || pt_inside_huge_leaf(pt, end, &level)) {
		pt_warn(call, "range 0x%lx-0x%lx covers part of a %lu KiB leaf", va, end,
			level_size(level) >> 10);
		return -EINVAL;
	}
	return 0;
}

static void describe(struct pgtable_entry *out, pte_t e, int level, unsigned long va)
{
	bool leaf = arch_pte_is_leaf(e, level);

	*out = (struct pgtable_entry){
		.va = va & ~(level_size(level) - 1),
		.size = level_size(level),
		.level = (enum pt_level)level,
		.leaf = leaf,
		.phys = (phys_addr_t)arch_pte_pfn(e, level) << PAGE_SHIFT,
		.prot = leaf ? arch_pte_prot(e, level) : 0,
	};
}

int pgtable_query(struct pgtable *pt, unsigned long va, struct pgtable_entry *out)
{
	unsigned long flags;
	pte_t *e;
	int level, err = -ENOENT;

	if (!arch_va_is_canonical(va))
		return -EINVAL;
	flags = spin_lock_irqsave(&pt->lock);
	e = pt_lookup_leaf(pt, va, &level);
	if (e) {
		describe(out, read_entry(e), level, va);
		err = 0;
	}
	spin_unlock_irqrestore(&pt->lock, flags);
	return err;
}

/* --- walk --- */

struct walk_ctx {
	pgtable_walk_fn fn;
	void *arg;
};

static int walk_level(struct walk_ctx *w, pte_t *table, int level, unsigned long addr,
		      unsigned long end)
{
	pte_t *e = &table[pt_index(addr, level)];
	unsigned long next;

	for (; addr != end; addr = next, e++) {
		pte_t entry = READ_ONCE(*e);
		struct pgtable_entry info;
		int ret;

		next = level_end(addr, end, level);
		if (!arch_pte_present(entry))
			continue;
		describe(&info, entry, level, addr);
		ret = w->fn(&info, w->arg);
		if (!ret && !info.leaf)
			ret = walk_level(w, entry_table(entry, level), level - 1, addr, next);
		if (ret)
			return ret;
	}
	return 0;
}

__noinline
int pgtable_walk(struct pgtable *pt, unsigned long start, unsigned long end,
		 pgtable_walk_fn fn, void *arg)
{
	struct pt_call call = PT_CALL("pgtable_walk");
	struct walk_ctx w = { .fn = fn, .arg = arg };
	unsigned long flags;
	int ret = pt_check_range(&call, start, end - start);

	if (ret)
		return ret;
	flags = spin_lock_irqsave(&pt->lock);
	ret = walk_level(&w, pt->root, PT_ROOT_LEVEL, start, end);
	spin_unlock_irqrestore(&pt->lock, flags);
	return ret;
}

/* --- invariant checker --- */

struct check_ctx {
	unsigned long tables;
	unsigned long problems;
};

static int check_entry(const struct pgtable_entry *e, void *arg)
{
	struct check_ctx *c = arg;
	struct page *page = phys_to_page(e->phys);

	if (e->leaf) {
		if (e->level > 0 && !arch_level_has_huge(e->level)) {
			printk("pgtable_check: 0x%lx: leaf at level %d\n", e->va, e->level);
			c->problems++;
		}
		return 0;
	}
	c->tables++;
	if (!page || !page_has_state(page, PAGE_PAGETABLE)) {
		printk("pgtable_check: 0x%lx: table at 0x%llx is not a pagetable frame\n",
		       e->va, (unsigned long long)e->phys);
		c->problems++;
	}
	return 0;
}

/* The two canonical halves of the address space. */
#define LOWER_HALF_END   (1ul << (ARCH_VA_BITS - 1))
#define UPPER_HALF_START (~0ul << (ARCH_VA_BITS - 1))

unsigned long pgtable_check(struct pgtable *pt)
{
	struct check_ctx c = { .tables = 1 };
	struct page *root = phys_to_page(pt->root_phys);

	pgtable_walk(pt, 0, LOWER_HALF_END, check_entry, &c);
	pgtable_walk(pt, UPPER_HALF_START, 0, check_entry, &c);
	if (!root || !page_has_state(root, PAGE_PAGETABLE)) {
		printk("pgtable_check: root 0x%llx is not a pagetable frame\n",
		       (unsigned long long)pt->root_phys);
		c.problems++;
	}
	if (c.tables != pgtable_nr_tables(pt)) {
		printk("pgtable_check: %lu tables found, %lu counted\n", c.tables,
		       pgtable_nr_tables(pt));
		c.problems++;
	}
	return c.problems;
}

/* --- flushes --- */

void pgtable_flush_range(struct pgtable *pt, unsigned long start, unsigned long end)
{
	if (pt->live)
		arch_flush_tlb_kernel_range(start, end);
}
