/*
 * The page-table walker (mm/pgtable): what the CPU sees through the
 * mappings it makes, not only what the walker reports.
 *
 * Most cases map into the kernel's live tree inside SCRATCH, the unused
 * 512 GiB hole between the direct map and vmalloc that nothing else
 * owns; the boundary cases also use the first and last pages of the
 * vmalloc range (skipped if something already lives there) and the last
 * page of the address space. Every case unmaps what it mapped and frees
 * its tables; the suite's exit hook cleans up after a failed assertion.
 */
#include "tests/ktest.h"
#include "tests/ktest_leak.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/probe.h"
#include "mm/fault_inject.h"
#include "mm/layout.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"

#define SZ_2M           (2ul << 20)
#define SZ_1G           (1ul << 30)
#define SZ_512G         (512ul << 30)
#define SCRATCH         (DIRECT_MAP_BASE + DIRECT_MAP_SIZE)     /* 512 GiB, unowned */

#define KPT             (&kernel_pgtable)

/* --- fixture: pages and ranges a case holds, released by its exit hook --- */

#define FX_MAX_PAGES    16
#define FX_MAX_RANGES   72

static struct fixture {
	struct page *pages[FX_MAX_PAGES];
	unsigned nr_pages;
	struct { unsigned long va, size; } ranges[FX_MAX_RANGES];
	unsigned nr_ranges;
	unsigned long tables_before;
} fx;

static int fx_init(struct ktest *t)
{
	memset(&fx, 0, sizeof(fx));
	fx.tables_before = pgtable_nr_tables(KPT);
	return 0;
}

static void fx_exit(struct ktest *t)
{
	for (unsigned i = 0; i < fx.nr_ranges; i++)
		pgtable_unmap(KPT, fx.ranges[i].va, fx.ranges[i].size, NULL, PGTABLE_FREE_TABLES);
	for (unsigned i = 0; i < fx.nr_pages; i++)
		free_page(fx.pages[i]);
	EXPECT_EQ(t, pgtable_nr_tables(KPT), fx.tables_before);
	EXPECT_EQ(t, pgtable_check(KPT), 0);
}

/* A page the fixture frees, each u64 word i holding tag ^ i. */
static struct page *fx_page(struct ktest *t, u64 tag)
{
	struct page *page = alloc_page(0);
	u64 *w;

	ASSERT_NOT_NULL(t, page);
	ASSERT_LT(t, fx.nr_pages, FX_MAX_PAGES);
	fx.pages[fx.nr_pages++] = page;
	w = page_address(page);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		w[i] = tag ^ i;
	return page;
}

/* Records [va, va + size) for the exit hook (call after a successful map). */
static void fx_mapped(struct ktest *t, unsigned long va, unsigned long size)
{
	ASSERT_LT(t, fx.nr_ranges, FX_MAX_RANGES);
	fx.ranges[fx.nr_ranges].va = va;
	fx.ranges[fx.nr_ranges].size = size;
	fx.nr_ranges++;
}

/* Unmaps a recorded range (freeing its tables) and forgets it. */
static int fx_unmap(unsigned long va, unsigned long size, struct page **out)
{
	for (unsigned i = 0; i < fx.nr_ranges; i++) {
		if (fx.ranges[i].va == va && fx.ranges[i].size == size) {
			fx.ranges[i] = fx.ranges[--fx.nr_ranges];
			break;
		}
	}
	return pgtable_unmap(KPT, va, size, out, PGTABLE_FREE_TABLES);
}

static int fx_map(struct ktest *t, unsigned long va, struct page **pages, unsigned long nr,
		  unsigned prot)
{
	int err = pgtable_map_pages(KPT, va, pages, nr, prot);

	if (!err)
		fx_mapped(t, va, nr * PAGE_SIZE);
	return err;
}

/* Skips the case unless nothing maps [va, va + nr pages). */
static void require_unmapped(struct ktest *t, unsigned long va, unsigned long nr)
{
	struct pgtable_entry e;

	for (unsigned long i = 0; i < nr; i++)
		if (pgtable_query(KPT, va + i * PAGE_SIZE, &e) == 0)
			ktest_skip(t, "0x%lx is in use", va + i * PAGE_SIZE);
}

static u64 read_via(unsigned long va, int *err)
{
	u64 v = 0;

	*err = probe_read_u64(va, &v);
	return v;
}

/* True if reading `va` faults now. */
static bool read_faults(unsigned long va)
{
	u64 v;

	return probe_read_u64(va, &v) == -EFAULT;
}

/* --- round trips at table boundaries ---------------------------------- */

struct boundary {
	const char *name;
	unsigned long va;
	unsigned long nr;               /* pages, at most 4 */
};

static const struct boundary boundaries[] = {
	{ "cross_2m", SCRATCH + SZ_2M - 2 * PAGE_SIZE, 4 },
	{ "cross_1g", SCRATCH + SZ_1G - 2 * PAGE_SIZE, 4 },
	{ "cross_512g_into_vmalloc", VMALLOC_START - 2 * PAGE_SIZE, 4 },
	{ "vmalloc_bottom", VMALLOC_START, 2 },
	{ "vmalloc_top", VMALLOC_END - 2 * PAGE_SIZE, 2 },
	{ "cross_512g_out_of_vmalloc", VMALLOC_END - 2 * PAGE_SIZE, 4 },
	{ "top_of_address_space", 0ul - 2 * PAGE_SIZE, 2 },
};

static void describe_boundary(const struct boundary *b, char *desc)
{
	memcpy(desc, b->name, strlen(b->name) + 1);
}
KTEST_ARRAY_PARAM(boundary_gen, boundaries, describe_boundary);

/* Every page of the mapping is the right frame, readable and writable. */
static void check_mapped(struct ktest *t, unsigned long va, struct page **pages,
			 unsigned long nr, u64 tag)
{
	for (unsigned long i = 0; i < nr; i++) {
		unsigned long a = va + i * PAGE_SIZE;
		struct pgtable_entry e;
		int err;

		ASSERT_EQ(t, pgtable_query(KPT, a + 123, &e), 0);
		EXPECT_EQ(t, e.level, PT_LEVEL_PTE);
		EXPECT_EQ(t, e.va, a);
		EXPECT_EQ(t, pgtable_entry_phys(&e, a + 123), page_to_phys(pages[i]) + 123);
		EXPECT_EQ(t, e.prot, PROT_KERNEL_RW);
		EXPECT_EQ(t, read_via(a + 8, &err), (tag + i) ^ 1);
		EXPECT_EQ(t, err, 0);
		EXPECT_EQ(t, probe_write_u64(a + 16, 0x5157ull + i), 0);
		EXPECT_EQ(t, ((u64 *)page_address(pages[i]))[2], 0x5157ull + i);
	}
}

static void map_query_unmap_round_trip(struct ktest *t)
{
	const struct boundary *b = t->param;
	struct page *pages[4], *back[4];
	unsigned long size = b->nr * PAGE_SIZE;

	require_unmapped(t, b->va, b->nr);
	/*
	 * Earlier users of the vmalloc range (vmalloc keeps its page tables)
	 * may have left empty tables here, which the unmap below would free:
	 * trim them first so the count after the unmap is exact, and judge
	 * the case's leaks from after the trim.
	 */
	ASSERT_EQ(t, pgtable_unmap(KPT, b->va, size, NULL, PGTABLE_FREE_TABLES), 0);
	ktest_leak_rebase_case();
	fx.tables_before = pgtable_nr_tables(KPT);
	for (unsigned long i = 0; i < b->nr; i++)
		pages[i] = fx_page(t, 0xab00 + i);
	ASSERT_EQ(t, fx_map(t, b->va, pages, b->nr, PROT_KERNEL_RW), 0);
	EXPECT_GT(t, pgtable_nr_tables(KPT), fx.tables_before);
	check_mapped(t, b->va, pages, b->nr, 0xab00);

	EXPECT_EQ(t, fx_unmap(b->va, size, back), 0);
	for (unsigned long i = 0; i < b->nr; i++) {
		struct pgtable_entry e;

		EXPECT_PTR_EQ(t, back[i], pages[i]);
		EXPECT_EQ(t, pgtable_query(KPT, b->va + i * PAGE_SIZE, &e), -ENOENT);
		EXPECT_TRUE(t, read_faults(b->va + i * PAGE_SIZE));
	}
	EXPECT_EQ(t, pgtable_nr_tables(KPT), fx.tables_before);
}

/* --- what the CPU sees ------------------------------------------------ */

static void one_frame_at_two_addresses(struct ktest *t)
{
	struct page *page = fx_page(t, 0);
	unsigned long a = SCRATCH + 5 * SZ_2M, b = SCRATCH + 7 * SZ_1G + 3 * PAGE_SIZE;
	u64 v;

	ASSERT_EQ(t, fx_map(t, a, &page, 1, PROT_KERNEL_RW), 0);
	ASSERT_EQ(t, fx_map(t, b, &page, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, probe_write_u64(a + 64, 0xa11a5ull), 0);
	EXPECT_EQ(t, probe_read_u64(b + 64, &v), 0);
	EXPECT_EQ(t, v, 0xa11a5ull);
	EXPECT_EQ(t, ((u64 *)page_address(page))[8], 0xa11a5ull);
	EXPECT_EQ(t, probe_write_u64(b + 72, 0xb0b0ull), 0);
	EXPECT_EQ(t, probe_read_u64(a + 72, &v), 0);
	EXPECT_EQ(t, v, 0xb0b0ull);
	EXPECT_EQ(t, fx_unmap(a, PAGE_SIZE, NULL), 0);
	/* Unmapping one alias leaves the other working. */
	EXPECT_TRUE(t, read_faults(a));
	EXPECT_EQ(t, probe_read_u64(b + 64, &v), 0);
	EXPECT_EQ(t, fx_unmap(b, PAGE_SIZE, NULL), 0);
}

static void read_after_unmap_faults(struct ktest *t)
{
	struct page *page = fx_page(t, 0x77);
	unsigned long va = SCRATCH + 3 * SZ_1G;
	int err;

	ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RW), 0);
	/* Touch it so the translation sits in the TLB. */
	EXPECT_EQ(t, read_via(va, &err), 0x77ull);
	EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);
	EXPECT_TRUE(t, read_faults(va));
}

/* The _noflush variant leaves the flush to the caller; after it, the read faults. */
static void unmap_noflush_then_explicit_flush(struct ktest *t)
{
	struct page *page = fx_page(t, 0x99);
	unsigned long va = SCRATCH + 3 * SZ_1G + SZ_2M;
	int err;

	ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, read_via(va, &err), 0x99ull);
	EXPECT_EQ(t, pgtable_unmap_noflush(KPT, va, PAGE_SIZE, NULL), 0);
	/* The CPU may or may not still hold the translation; report which. */
	ktest_log(t, "before the flush the stale translation %s",
		  read_faults(va) ? "was already gone" : "still worked");
	pgtable_flush_range(KPT, va, va + PAGE_SIZE);
	EXPECT_TRUE(t, read_faults(va));
	EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);      /* frees the table */
}

static void remap_shows_the_new_frame(struct ktest *t)
{
	struct page *first = fx_page(t, 0x1111), *second = fx_page(t, 0x2222);
	unsigned long va = SCRATCH + 9 * SZ_2M;
	int err;

	ASSERT_EQ(t, fx_map(t, va, &first, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, read_via(va, &err), 0x1111ull);
	EXPECT_EQ(t, pgtable_unmap(KPT, va, PAGE_SIZE, NULL, 0), 0);
	EXPECT_EQ(t, pgtable_map_pages(KPT, va, &second, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, read_via(va, &err), 0x2222ull);
	EXPECT_EQ(t, err, 0);
	EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);
}

static void read_only_mapping_refuses_writes(struct ktest *t)
{
	struct page *page = fx_page(t, 0x40);
	unsigned long va = SCRATCH + 11 * SZ_2M;
	int err;

	ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RO), 0);
	EXPECT_EQ(t, read_via(va, &err), 0x40ull);
	EXPECT_EQ(t, probe_write_u64(va, 1), -EFAULT);
	EXPECT_EQ(t, ((u64 *)page_address(page))[0], 0x40ull);

	EXPECT_EQ(t, pgtable_protect(KPT, va, PAGE_SIZE, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, probe_write_u64(va, 2), 0);
	EXPECT_EQ(t, ((u64 *)page_address(page))[0], 2ull);
	/* The writable translation is cached now: protect must flush it. */
	EXPECT_EQ(t, pgtable_protect(KPT, va, PAGE_SIZE, PROT_KERNEL_RO), 0);
	EXPECT_EQ(t, probe_write_u64(va, 3), -EFAULT);
	EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);
}

static void no_exec_mapping_refuses_fetch(struct ktest *t)
{
	struct page *page = fx_page(t, 0);
	unsigned long va = SCRATCH + 13 * SZ_2M;

	*(u8 *)page_address(page) = 0xc3;               /* ret */
	ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, probe_exec((void *)va), -EFAULT);
	EXPECT_EQ(t, pgtable_protect(KPT, va, PAGE_SIZE, PROT_KERNEL_RX), 0);
	EXPECT_EQ(t, probe_exec((void *)va), 0);
	EXPECT_EQ(t, pgtable_protect(KPT, va, PAGE_SIZE, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, probe_exec((void *)va), -EFAULT);
	EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);
}

static void cache_modes_round_trip(struct ktest *t)
{
	static const unsigned modes[] = { 0, PROT_NOCACHE, PROT_WRITECOMBINE };
	struct page *page = fx_page(t, 0x5a);
	unsigned long va = SCRATCH + 15 * SZ_2M;

	for (unsigned i = 0; i < ARRAY_SIZE(modes); i++) {
		struct pgtable_entry e;
		int err;

		ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RW | modes[i]), 0);
		EXPECT_EQ(t, pgtable_query(KPT, va, &e), 0);
		EXPECT_EQ(t, e.prot, PROT_KERNEL_RW | modes[i]);
		EXPECT_EQ(t, read_via(va, &err), 0x5aull);
		EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);
	}
}

/* --- huge leaves ------------------------------------------------------- */

static void huge_leaves_in_query_and_walk(struct ktest *t)
{
	unsigned long va = SCRATCH + 4 * SZ_1G, size = SZ_1G + 2 * SZ_2M;
	int top = arch_level_has_huge(PT_LEVEL_PUD) ? PT_LEVEL_PUD : PT_LEVEL_PMD;
	phys_addr_t probe_pa = virt_to_phys(&fx);      /* RAM below 1 GiB */
	struct pgtable_entry e;
	u64 v, want;

	ASSERT_EQ(t, pgtable_map_phys(KPT, va, 0, size, PROT_KERNEL_RO, PGTABLE_HUGE), 0);
	fx_mapped(t, va, size);
	ASSERT_EQ(t, pgtable_query(KPT, va + probe_pa, &e), 0);
	EXPECT_EQ(t, e.level, top);
	EXPECT_EQ(t, e.va, top == PT_LEVEL_PUD ? va : va + ALIGN_DOWN(probe_pa, SZ_2M));
	EXPECT_EQ(t, pgtable_entry_phys(&e, va + probe_pa), probe_pa);
	ASSERT_EQ(t, pgtable_query(KPT, va + SZ_1G + SZ_2M + 5, &e), 0);
	EXPECT_EQ(t, e.level, PT_LEVEL_PMD);
	EXPECT_EQ(t, e.phys, SZ_1G + SZ_2M);
	EXPECT_EQ(t, e.prot, PROT_KERNEL_RO);
	/* What the CPU reads through the huge leaf is the direct map's byte. */
	want = *(u64 *)phys_to_virt(probe_pa);
	EXPECT_EQ(t, probe_read_u64(va + probe_pa, &v), 0);
	EXPECT_EQ(t, v, want);
	EXPECT_EQ(t, probe_write_u64(va + probe_pa, 1), -EFAULT);
	EXPECT_EQ(t, fx_unmap(va, size, NULL), 0);
	EXPECT_TRUE(t, read_faults(va + probe_pa));
}

/* What a walk reported: the first leaves, the last one, the tables. */
struct leaf_log {
	unsigned n;
	unsigned long va[4];
	int level[4];
	unsigned long last_va;
	unsigned tables;
	bool ordered;
};

static int log_leaf(const struct pgtable_entry *e, void *arg)
{
	struct leaf_log *log = arg;

	if (!e->leaf) {
		log->tables++;
		return 0;
	}
	if (log->n && e->va <= log->last_va)
		log->ordered = false;
	if (log->n < ARRAY_SIZE(log->va)) {
		log->va[log->n] = e->va;
		log->level[log->n] = e->level;
	}
	log->last_va = e->va;
	log->n++;
	return 0;
}

/* A private tree: walk order, levels, then destroy gives every table back. */
static void private_tree_walk_and_destroy(struct ktest *t)
{
	struct pgtable pt;
	struct page *page = fx_page(t, 0);
	struct leaf_log log = { .ordered = true };
	unsigned long total = pgtable_total_tables(), lo = 0x0000100000000000ul;

	ASSERT_EQ(t, pgtable_init(&pt), 0);
	EXPECT_EQ(t, pgtable_map_phys(&pt, lo + SZ_1G, 0, SZ_1G + SZ_2M, PROT_KERNEL_RW,
				      PGTABLE_HUGE), 0);
	EXPECT_EQ(t, pgtable_map_pages(&pt, lo + 7 * PAGE_SIZE, &page, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, pgtable_map_pages(&pt, 0xffffff0000000000ul, &page, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, pgtable_walk(&pt, 0, 0x0000800000000000ul, log_leaf, &log), 0);
	EXPECT_EQ(t, pgtable_walk(&pt, 0xffff800000000000ul, 0, log_leaf, &log), 0);
	EXPECT_TRUE(t, log.ordered);
	EXPECT_EQ(t, log.va[0], lo + 7 * PAGE_SIZE);
	EXPECT_EQ(t, log.level[0], PT_LEVEL_PTE);
	EXPECT_EQ(t, log.va[1], lo + SZ_1G);
	EXPECT_EQ(t, log.last_va, 0xffffff0000000000ul);
	EXPECT_EQ(t, log.tables + 1, pgtable_nr_tables(&pt));
	EXPECT_EQ(t, pgtable_check(&pt), 0);
	EXPECT_GT(t, pgtable_total_tables(), total);
	pgtable_destroy(&pt);
	EXPECT_EQ(t, pgtable_total_tables(), total);
}

/* --- page-table pages come back ---------------------------------------- */

static void tables_come_back_after_scattered_maps(struct ktest *t)
{
	struct page *page = fx_page(t, 0);
	unsigned long free_before = pfa_free_pages(), grown;

	/* 64 single pages spread over the 512 GiB: a PMD and a PTE table each. */
	for (unsigned long i = 0; i < 64; i++) {
		unsigned long va = SCRATCH + i * 8 * SZ_1G + (i % 7) * SZ_2M + i * PAGE_SIZE;

		ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RW), 0);
	}
	grown = pgtable_nr_tables(KPT) - fx.tables_before;
	EXPECT_GE(t, grown, 128);
	EXPECT_EQ(t, pfa_free_pages(), free_before - grown);
	EXPECT_EQ(t, pgtable_check(KPT), 0);
	/* One unmap of the whole window: holes are fine, empty tables go. */
	EXPECT_EQ(t, pgtable_unmap(KPT, SCRATCH, SZ_512G, NULL, PGTABLE_FREE_TABLES), 0);
	fx.nr_ranges = 0;
	EXPECT_EQ(t, pgtable_nr_tables(KPT), fx.tables_before);
	EXPECT_EQ(t, pfa_free_pages(), free_before);
	EXPECT_EQ(t, page_state(page), PAGE_ALLOCATED);
}

/* Without PGTABLE_FREE_TABLES the tables stay, and a later unmap frees them. */
static void tables_stay_unless_asked(struct ktest *t)
{
	struct page *page = fx_page(t, 0);
	unsigned long va = SCRATCH + 21 * SZ_1G, grown;

	ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RW), 0);
	grown = pgtable_nr_tables(KPT) - fx.tables_before;
	EXPECT_EQ(t, pgtable_unmap(KPT, va, PAGE_SIZE, NULL, 0), 0);
	EXPECT_EQ(t, pgtable_nr_tables(KPT) - fx.tables_before, grown);
	EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);
	EXPECT_EQ(t, pgtable_nr_tables(KPT), fx.tables_before);
}

/*
 * pgtable_populate() builds the tables of a range and writes no leaf: the
 * range still faults, a second populate adds nothing, and a map there then
 * succeeds with every table allocation failing. Its failure half way
 * leaves no table behind.
 */
static void populate_builds_tables_without_leaves(struct ktest *t)
{
	struct fault_attr every = { .mode = FAULT_MODE_EVERY, .n = 1 };
	struct fault_attr second = { .mode = FAULT_MODE_NTH, .n = 2 };
	struct page *pages[2] = { fx_page(t, 5), fx_page(t, 6) };
	unsigned long va = SCRATCH + 50 * SZ_1G + 3 * SZ_2M, grown;
	struct pgtable_entry e;

	EXPECT_EQ(t, fault_inject_set(FAULT_PGTABLE, &second), 0);
	fault_inject_begin();
	EXPECT_EQ(t, pgtable_populate(KPT, va, 2 * SZ_2M), -ENOMEM);
	fault_inject_end();
	fault_inject_clear(FAULT_PGTABLE);
	EXPECT_EQ(t, pgtable_nr_tables(KPT), fx.tables_before);

	ASSERT_EQ(t, pgtable_populate(KPT, va, 2 * SZ_2M), 0);
	fx_mapped(t, va, 2 * SZ_2M);
	grown = pgtable_nr_tables(KPT) - fx.tables_before;
	EXPECT_GE(t, grown, 3);         /* two bottom tables and the one above them */
	EXPECT_EQ(t, pgtable_query(KPT, va, &e), -ENOENT);
	EXPECT_TRUE(t, read_faults(va + SZ_2M));
	EXPECT_EQ(t, pgtable_populate(KPT, va, 2 * SZ_2M), 0);
	EXPECT_EQ(t, pgtable_nr_tables(KPT) - fx.tables_before, grown);

	EXPECT_EQ(t, fault_inject_set(FAULT_PGTABLE, &every), 0);
	fault_inject_begin();
	EXPECT_EQ(t, pgtable_map_pages(KPT, va, &pages[0], 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, pgtable_map_pages(KPT, va + 2 * SZ_2M - PAGE_SIZE, &pages[1], 1,
				       PROT_KERNEL_RW), 0);
	fault_inject_end();
	fault_inject_clear(FAULT_PGTABLE);
	check_mapped(t, va, &pages[0], 1, 5);
	check_mapped(t, va + 2 * SZ_2M - PAGE_SIZE, &pages[1], 1, 6);
	EXPECT_EQ(t, pgtable_nr_tables(KPT) - fx.tables_before, grown);
	EXPECT_EQ(t, fx_unmap(va, 2 * SZ_2M, NULL), 0);
}

/* --- rollback ---------------------------------------------------------- */

/*
 * Takes every free frame: big blocks first, the last ones as single pages
 * on `singles`, so a budget of N frames can be handed back exactly.
 */
static void exhaust(struct page_list *blocks, struct page_list *singles)
{
	for (int order = MAX_ORDER; order > 0; order--) {
		struct page *p;

		while (pfa_free_pages() > 4096 && (p = alloc_pages(order, 0))) {
			p->private = order;
			page_list_add(blocks, p);
		}
	}
	for (struct page *p; (p = alloc_page(0));)
		page_list_add(singles, p);
}

static void release(struct page_list *blocks, struct page_list *singles)
{
	struct page *p;

	while ((p = page_list_pop(singles)))
		free_page(p);
	while ((p = page_list_pop(blocks)))
		free_pages(p, p->private);
}

/* Maps `nr` pages crossing two 2 MiB and one 1 GiB boundary with `budget` frames free. */
static int map_with_budget(struct ktest *t, struct page_list *singles, unsigned budget,
			   unsigned long va, struct page **pages, unsigned long nr)
{
	struct page *p;
	int err;

	for (unsigned i = 0; i < budget; i++)
		free_page(page_list_pop(singles));
	EXPECT_EQ(t, pfa_free_pages(), budget);
	err = pgtable_map_pages(KPT, va, pages, nr, PROT_KERNEL_RW);
	while ((p = alloc_page(0)))
		page_list_add(singles, p);
	return err;
}

static void no_memory_half_way_leaves_nothing(struct ktest *t)
{
	struct page *array_block = alloc_pages(2, 0), *page = fx_page(t, 0);
	struct page **pages = array_block ? page_address(array_block) : NULL;
	struct page_list blocks = { 0 }, singles = { 0 };
	unsigned long nr = 3 * 512, va = SCRATCH + 30 * SZ_1G - 2 * SZ_2M + 5 * PAGE_SIZE;
	unsigned long warns = warn_count();
	unsigned budget;
	int err = -ENOMEM;

	ASSERT_NOT_NULL(t, pages);
	for (unsigned long i = 0; i < nr; i++)
		pages[i] = page;
	exhaust(&blocks, &singles);
	for (budget = 0; budget < 16 && err == -ENOMEM; budget++) {
		err = map_with_budget(t, &singles, budget, va, pages, nr);
		if (err == -ENOMEM) {
			EXPECT_EQ(t, pgtable_nr_tables(KPT), fx.tables_before);
			EXPECT_EQ(t, pfa_free_pages(), 0);
			EXPECT_TRUE(t, read_faults(va));
			EXPECT_TRUE(t, read_faults(va + (nr - 1) * PAGE_SIZE));
		}
	}
	release(&blocks, &singles);
	EXPECT_EQ(t, err, 0);
	/* A PUD, 2 PMD and 4 PTE tables: every smaller budget failed before. */
	ktest_log(t, "map needed %lu tables; budgets 0..%u failed cleanly",
		  pgtable_nr_tables(KPT) - fx.tables_before, budget - 2);
	EXPECT_EQ(t, budget - 1, pgtable_nr_tables(KPT) - fx.tables_before);
	EXPECT_GE(t, budget - 1, 5);
	EXPECT_EQ(t, warn_count(), warns);
	if (!err)
		EXPECT_EQ(t, pgtable_unmap(KPT, va, nr * PAGE_SIZE, NULL, PGTABLE_FREE_TABLES), 0);
	free_pages(array_block, 2);
}

/* -EBUSY on the last page: the pages before it are unmapped again. */
static void busy_half_way_leaves_nothing(struct ktest *t)
{
	struct page *pages[3] = { fx_page(t, 1), fx_page(t, 2), fx_page(t, 3) };
	unsigned long va = SCRATCH + 40 * SZ_1G + SZ_2M - 2 * PAGE_SIZE;
	unsigned long tables;
	struct pgtable_entry e;

	ASSERT_EQ(t, fx_map(t, va + 2 * PAGE_SIZE, &pages[2], 1, PROT_KERNEL_RW), 0);
	tables = pgtable_nr_tables(KPT);
	ktest_expect_warning(t, 1);     /* "already mapped", naming this case */
	EXPECT_EQ(t, pgtable_map_pages(KPT, va, pages, 3, PROT_KERNEL_RW), -EBUSY);
	EXPECT_EQ(t, pgtable_nr_tables(KPT), tables);
	EXPECT_EQ(t, pgtable_query(KPT, va, &e), -ENOENT);
	EXPECT_EQ(t, pgtable_query(KPT, va + PAGE_SIZE, &e), -ENOENT);
	EXPECT_TRUE(t, read_faults(va));
	/* The page that was there before is untouched. */
	ASSERT_EQ(t, pgtable_query(KPT, va + 2 * PAGE_SIZE, &e), 0);
	EXPECT_EQ(t, e.phys, page_to_phys(pages[2]));
	EXPECT_EQ(t, fx_unmap(va + 2 * PAGE_SIZE, PAGE_SIZE, NULL), 0);
}

/* --- misuse: refused, one warning line naming the caller ------------- */

#define EXPECT_REFUSED(t, call, err, what) do {                                 \
	struct ktest_capture __cap;                                             \
	char __buf[512];                                                        \
	unsigned long __w = warn_count(), __tables = pgtable_nr_tables(KPT);    \
	ktest_capture_start(&__cap, __buf, sizeof(__buf), true);                \
	EXPECT_EQ(t, call, err);                                                \
	EXPECT_EQ(t, ktest_capture_stop(&__cap), 1);                            \
	EXPECT_EQ(t, warn_count() - __w, 1);                                    \
	EXPECT_TRUE(t, ktest_contains(__buf, what));                            \
	EXPECT_TRUE(t, ktest_contains(__buf, "caller misuse_"));                \
	EXPECT_EQ(t, pgtable_nr_tables(KPT), __tables);                         \
} while (0)

static void misuse_bad_ranges(struct ktest *t)
{
	struct page *page = fx_page(t, 0);
	struct page *pages[2] = { page, NULL };

	EXPECT_REFUSED(t, pgtable_map_pages(KPT, SCRATCH + 8, &page, 1, PROT_KERNEL_RW),
		       -EINVAL, "pgtable_map_pages: range");
	EXPECT_REFUSED(t, pgtable_map_pages(KPT, 0x0000800000000000ul, &page, 1, PROT_KERNEL_RW),
		       -EINVAL, "not canonical");
	EXPECT_REFUSED(t, pgtable_map_pages(KPT, 0x00007ffffffff000ul, pages, 2, PROT_KERNEL_RW),
		       -EINVAL, "not canonical");
	EXPECT_REFUSED(t, pgtable_map_pages(KPT, SCRATCH, &page, 0, PROT_KERNEL_RW),
		       -EINVAL, "pgtable_map_pages");
	EXPECT_REFUSED(t, pgtable_map_pages(KPT, SCRATCH, pages, 2, PROT_KERNEL_RW),
		       -EINVAL, "has no page");
	EXPECT_REFUSED(t, pgtable_map_pages(KPT, SCRATCH, &page, 1, PROT_WRITE),
		       -EINVAL, "invalid protection");
	EXPECT_REFUSED(t, pgtable_map_phys(KPT, SCRATCH, 0x1234, PAGE_SIZE, PROT_KERNEL_RW, 0),
		       -EINVAL, "pgtable_map_phys: physical range");
	EXPECT_REFUSED(t, pgtable_unmap(KPT, SCRATCH, 100, NULL, 0), -EINVAL,
		       "pgtable_unmap: range");
	EXPECT_REFUSED(t, pgtable_protect(KPT, 0xffff000000000000ul, PAGE_SIZE, PROT_KERNEL_RO),
		       -EINVAL, "pgtable_protect: range");
	EXPECT_EQ(t, pgtable_check(KPT), 0);
}

static void misuse_map_over_a_mapped_page(struct ktest *t)
{
	struct page *page = fx_page(t, 0);
	unsigned long va = SCRATCH + 50 * SZ_1G;

	ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RW), 0);
	EXPECT_REFUSED(t, pgtable_map_pages(KPT, va, &page, 1, PROT_KERNEL_RO), -EBUSY,
		       "is already mapped");
	EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);
}

static void misuse_part_of_a_huge_leaf(struct ktest *t)
{
	struct page *page = fx_page(t, 0);
	unsigned long va = SCRATCH + 60 * SZ_1G;
	struct pgtable_entry e;

	ASSERT_EQ(t, pgtable_map_phys(KPT, va, 0, SZ_2M, PROT_KERNEL_RW, PGTABLE_HUGE), 0);
	fx_mapped(t, va, SZ_2M);
	EXPECT_REFUSED(t, pgtable_unmap(KPT, va + PAGE_SIZE, PAGE_SIZE, NULL, 0), -EINVAL,
		       "covers part of a 2048 KiB leaf");
	EXPECT_REFUSED(t, pgtable_unmap(KPT, va - PAGE_SIZE, 2 * PAGE_SIZE, NULL, 0), -EINVAL,
		       "pgtable_unmap");
	EXPECT_REFUSED(t, pgtable_protect(KPT, va, PAGE_SIZE, PROT_KERNEL_RO), -EINVAL,
		       "pgtable_protect");
	EXPECT_REFUSED(t, pgtable_map_pages(KPT, va + PAGE_SIZE, &page, 1, PROT_KERNEL_RW),
		       -EBUSY, "is already mapped");
	EXPECT_REFUSED(t, pgtable_populate(KPT, va + PAGE_SIZE, PAGE_SIZE), -EBUSY,
		       "pgtable_populate");
	/* Refused calls changed nothing: the leaf is still whole and writable. */
	ASSERT_EQ(t, pgtable_query(KPT, va + PAGE_SIZE, &e), 0);
	EXPECT_EQ(t, e.level, PT_LEVEL_PMD);
	EXPECT_EQ(t, e.prot, PROT_KERNEL_RW);
	EXPECT_EQ(t, fx_unmap(va, SZ_2M, NULL), 0);
}

/*
 * A map or unmap inside the span of the bottom table the last call reached
 * starts there (pgtable.last_ptes). Once that table is freed no call may
 * use it: a map builds a new one the CPU reads through, and a 2 MiB leaf
 * put over the span is still refused in part.
 */
static void misuse_after_freeing_the_cached_bottom_table(struct ktest *t)
{
	struct page *page = fx_page(t, 0x5a);
	unsigned long va = SCRATCH + 61 * SZ_1G;
	int err;

	ASSERT_EQ(t, fx_map(t, va, &page, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, fx_unmap(va, PAGE_SIZE, NULL), 0);         /* frees the bottom table */
	EXPECT_EQ(t, pgtable_nr_tables(KPT), fx.tables_before);
	ASSERT_EQ(t, fx_map(t, va + PAGE_SIZE, &page, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, read_via(va + PAGE_SIZE, &err), 0x5a);
	EXPECT_EQ(t, err, 0);
	EXPECT_EQ(t, pgtable_check(KPT), 0);
	EXPECT_EQ(t, fx_unmap(va + PAGE_SIZE, PAGE_SIZE, NULL), 0);
	ASSERT_EQ(t, pgtable_map_phys(KPT, va, 0, SZ_2M, PROT_KERNEL_RW, PGTABLE_HUGE), 0);
	fx_mapped(t, va, SZ_2M);
	EXPECT_REFUSED(t, pgtable_unmap(KPT, va + PAGE_SIZE, PAGE_SIZE, NULL, 0), -EINVAL,
		       "covers part of a 2048 KiB leaf");
	EXPECT_EQ(t, fx_unmap(va, SZ_2M, NULL), 0);
}

static const struct ktest_case pgtable_cases[] = {
	KTEST_PARAM_CASE(map_query_unmap_round_trip, boundary_gen),
	KTEST_CASE(one_frame_at_two_addresses),
	KTEST_CASE(read_after_unmap_faults),
	KTEST_CASE(unmap_noflush_then_explicit_flush),
	KTEST_CASE(remap_shows_the_new_frame),
	KTEST_CASE(read_only_mapping_refuses_writes),
	KTEST_CASE(no_exec_mapping_refuses_fetch),
	KTEST_CASE(cache_modes_round_trip),
	KTEST_CASE(huge_leaves_in_query_and_walk),
	KTEST_CASE(private_tree_walk_and_destroy),
	KTEST_CASE(tables_come_back_after_scattered_maps),
	KTEST_CASE(tables_stay_unless_asked),
	KTEST_CASE(populate_builds_tables_without_leaves),
	KTEST_CASE_TIMEOUT(no_memory_half_way_leaves_nothing, 120),
	KTEST_CASE(busy_half_way_leaves_nothing),
	KTEST_CASE(misuse_bad_ranges),
	KTEST_CASE(misuse_map_over_a_mapped_page),
	KTEST_CASE(misuse_part_of_a_huge_leaf),
	KTEST_CASE(misuse_after_freeing_the_cached_bottom_table),
	{}
};

static const struct ktest_suite pgtable_suite = {
	.name = "pgtable",
	.cases = pgtable_cases,
	.init = fx_init,
	.exit = fx_exit,
};
KTEST_SUITE_REGISTER(pgtable_suite);
