/*
 * Page-table walker benchmarks (`bench bench.filter=pgtable`), each the
 * median of RUNS runs after a warm-up run:
 *
 *   pgtable_map_unmap_<N>      ns per page to map N pages (pgtable_map_pages)
 *                              and unmap them (pgtable_unmap, with its TLB
 *                              flush), N = 1, 16, 512, 262144; the tables
 *                              stay between runs, as they do for vmalloc
 *   pgtable_map_unmap_512_free_tables   the same, tables freed and re-allocated
 *   pgtable_leaf_write_floor   ns per page to write the same leaf entries into
 *                              the already-present tables of 262144 pages and
 *                              clear them again: the floor the walker is
 *                              measured against
 *   pgtable_flush_invlpg_<N>   ns for N INVLPGs (one range flush)
 *   pgtable_flush_full         ns for one full flush (CR4.PGE toggle)
 *   pgtable_flush_*_refill     the same followed by touching 64 pages the
 *                              flush evicted (full) or kept (INVLPG): what a
 *                              full flush really costs
 *
 * Mappings go to the unused 512 GiB hole below vmalloc; the 262144-page
 * case maps one GiB of it (with 512 distinct frames, cycled).
 */
#include "kernel/bench.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"
#include "mm/layout.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"

#define RUNS            7
#define BENCH_VA        (DIRECT_MAP_BASE + DIRECT_MAP_SIZE + (1ul << 30))
#define MAX_PAGES       262144ul
#define ARRAY_ORDER     9               /* 2 MiB: MAX_PAGES page pointers */
#define POOL            512             /* distinct frames mapped */
#define REFILL_PAGES    64

static struct page **pages;
static struct page *pool[POOL];

static bool setup(void)
{
	struct page *array = alloc_pages(ARRAY_ORDER, 0);

	if (!array)
		return false;
	pages = page_address(array);
	for (unsigned i = 0; i < POOL; i++)
		if (!(pool[i] = alloc_page(0)))
			return false;
	for (unsigned long i = 0; i < MAX_PAGES; i++)
		pages[i] = pool[i % POOL];
	return true;
}

static void teardown(void)
{
	for (unsigned i = 0; i < POOL; i++)
		free_page(pool[i]);
	if (pages)
		free_pages(virt_to_page(pages), ARRAY_ORDER);
	pages = NULL;
}

/* ns per page of one map + unmap of `n` pages; 0 on failure. */
static u64 map_unmap(unsigned long n, unsigned unmap_flags)
{
	u64 start = bench_now();

	if (pgtable_map_pages(&kernel_pgtable, BENCH_VA, pages, n, PROT_KERNEL_RW))
		return 0;
	pgtable_unmap(&kernel_pgtable, BENCH_VA, n * PAGE_SIZE, NULL, unmap_flags);
	return bench_cycles_to_ns(bench_now() - start) / n;
}

static void bench_map_unmap(const char *name, unsigned long n, unsigned unmap_flags)
{
	u64 ns[RUNS];

	map_unmap(n, unmap_flags);
	for (unsigned r = 0; r < RUNS; r++)
		if (!(ns[r] = map_unmap(n, unmap_flags))) {
			printk("bench: %s failed\n", name);
			return;
		}
	bench_report(name, "ns_per_page", bench_median(ns, RUNS), n, "ns");
}

/* --- the floor: leaf writes into present tables, no walk ------------------ */

struct pte_tables {
	pte_t *table[MAX_PAGES / ARCH_PT_ENTRIES];
	unsigned n;
};

static struct pte_tables floor_tables;

static int find_pte_table(const struct pgtable_entry *e, void *arg)
{
	struct pte_tables *t = arg;

	if (!e->leaf && e->level == PT_LEVEL_PMD && t->n < ARRAY_SIZE(t->table))
		t->table[t->n++] = phys_to_virt(e->phys);
	return 0;
}

/* ns per page to write and clear the leaves of MAX_PAGES pages. */
static u64 leaf_write_floor(void)
{
	pte_t bits = arch_pte_leaf_bits(PROT_KERNEL_RW, PT_LEVEL_PTE);
	struct page **page = pages;
	u64 start = bench_now();

	for (unsigned t = 0; t < floor_tables.n; t++) {
		volatile pte_t *e = floor_tables.table[t];

		for (unsigned i = 0; i < ARCH_PT_ENTRIES; i++)
			e[i] = arch_pte_leaf(page_to_pfn(*page++), bits);
		for (unsigned i = 0; i < ARCH_PT_ENTRIES; i++)
			e[i] = 0;
	}
	return bench_cycles_to_ns(bench_now() - start) / MAX_PAGES;
}

static void bench_floor(void)
{
	unsigned long end = BENCH_VA + MAX_PAGES * PAGE_SIZE;
	u64 ns[RUNS];

	/* Leave the tables of the 262144-page range in place, empty. */
	if (pgtable_map_pages(&kernel_pgtable, BENCH_VA, pages, MAX_PAGES, PROT_KERNEL_RW))
		return;
	floor_tables.n = 0;
	pgtable_walk(&kernel_pgtable, BENCH_VA, end, find_pte_table, &floor_tables);
	pgtable_unmap(&kernel_pgtable, BENCH_VA, MAX_PAGES * PAGE_SIZE, NULL, 0);
	leaf_write_floor();
	for (unsigned r = 0; r < RUNS; r++)
		ns[r] = leaf_write_floor();
	bench_report("pgtable_leaf_write_floor", "ns_per_page", bench_median(ns, RUNS),
		     MAX_PAGES, "ns");
}

/* --- INVLPG versus a full flush ---------------------------------------- */

/* Touches REFILL_PAGES pages of the direct map (a working set to refill). */
static void touch_working_set(void)
{
	for (unsigned i = 0; i < REFILL_PAGES; i++)
		(void)READ_ONCE(*(volatile u64 *)page_address(pool[i * (POOL / REFILL_PAGES)]));
}

/* ns for one flush of `n` pages (0: a full flush), optionally plus the refill. */
static u64 one_flush(unsigned n, bool refill)
{
	u64 start;

	touch_working_set();
	start = bench_now();
	if (n)
		for (unsigned i = 0; i < n; i++)
			arch_local_flush_tlb_page(BENCH_VA + i * PAGE_SIZE);
	else
		arch_local_flush_tlb_all();
	if (refill)
		touch_working_set();
	return bench_cycles_to_ns(bench_now() - start);
}

static u64 bench_flush(const char *name, unsigned n, bool refill)
{
	u64 ns[RUNS * 3], median;

	one_flush(n, refill);
	for (unsigned r = 0; r < ARRAY_SIZE(ns); r++)
		ns[r] = one_flush(n, refill);
	median = bench_median(ns, ARRAY_SIZE(ns));
	bench_report(name, "ns_per_op", median, n, "ns");
	return median;
}

/*
 * The crossover: how many INVLPGs cost as much as one full flush plus
 * refilling the working set; ranges longer than that should flush all.
 */
static void bench_flushes(void)
{
	static const unsigned counts[] = { 1, 8, 32, 64, 128, 256, 512 };
	u64 invlpg_512 = 0, full_refill;
	char name[48];

	for (unsigned i = 0; i < ARRAY_SIZE(counts); i++) {
		snprintf(name, sizeof(name), "pgtable_flush_invlpg_%u", counts[i]);
		invlpg_512 = bench_flush(name, counts[i], false);
		snprintf(name, sizeof(name), "pgtable_flush_invlpg_%u_refill", counts[i]);
		bench_flush(name, counts[i], true);
	}
	bench_flush("pgtable_flush_full", 0, false);
	full_refill = bench_flush("pgtable_flush_full_refill", 0, true);
	if (invlpg_512)
		bench_report("pgtable_flush_crossover_pages", "ratio",
			     full_refill * 512 / invlpg_512, 0, NULL);
	printk("bench: pgtable: ranges above %u pages get a full flush\n",
	       ARCH_TLB_FLUSH_MAX_PAGES);
}

static void bench_pgtable(void)
{
	unsigned long tables = pgtable_nr_tables(&kernel_pgtable);

	if (!setup()) {
		printk("bench: pgtable skipped: out of memory\n");
		teardown();
		return;
	}
	bench_map_unmap("pgtable_map_unmap_1", 1, 0);
	bench_map_unmap("pgtable_map_unmap_16", 16, 0);
	bench_map_unmap("pgtable_map_unmap_512", 512, 0);
	bench_map_unmap("pgtable_map_unmap_262144", MAX_PAGES, 0);
	bench_map_unmap("pgtable_map_unmap_512_free_tables", 512, PGTABLE_FREE_TABLES);
	bench_floor();
	bench_flushes();
	pgtable_unmap(&kernel_pgtable, BENCH_VA, MAX_PAGES * PAGE_SIZE, NULL,
		      PGTABLE_FREE_TABLES);
	teardown();
	if (pgtable_nr_tables(&kernel_pgtable) != tables)
		printk("bench: pgtable: %lu page tables left behind\n",
		       pgtable_nr_tables(&kernel_pgtable) - tables);
}
KBENCH("pgtable", bench_pgtable);
