/*
 * Fault injection (mm/fault_inject): each mode fails exactly the calls it
 * says, only inside its scope (or everywhere when global), the counters
 * are right, the command-line syntax parses; then every failure point of
 * the operations that exist is taken with fault_inject_each_point(), and
 * the helper itself is shown to catch a leak and an ignored failure.
 *
 * The page-table cases map into SCRATCH, the unused 512 GiB slot between
 * the direct map and vmalloc (as tests/test_pgtable.c does), and are
 * skipped if something lives there. The exit hook turns injection off and
 * checks that the case left the memory subsystem as it found it.
 */
#include "tests/ktest.h"
#include "tests/fault_points.h"
#include "tests/mm_state.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "mm/fault_inject.h"
#include "mm/layout.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"

#define KPT             (&kernel_pgtable)
#define SZ_2M           (2ul << 20)
#define SZ_1G           (1ul << 30)
#define SZ_512G         (512ul << 30)
#define SCRATCH         (DIRECT_MAP_BASE + DIRECT_MAP_SIZE)     /* 512 GiB, unowned */
#define NR_CALLS        10

/* --- fixture ------------------------------------------------------------ */

static struct mm_snapshot fi_base;
static void point_teardown(void);

static int fi_init(struct ktest *t)
{
	fault_inject_clear_all();
	mm_snapshot_take(&fi_base);
	return 0;
}

static void fi_exit(struct ktest *t)
{
	struct mm_snapshot now;

	fault_inject_clear_all();
	point_teardown();                       /* after a failed assertion */
	mm_snapshot_take(&now);
	now.warnings = fi_base.warnings;        /* cases that provoke warnings check them */
	EXPECT_TRUE(t, mm_snapshot_equal(&fi_base, &now, t->name));
}

static void set_mode(struct ktest *t, enum fault_site site, enum fault_mode mode,
		     unsigned long n, u64 seed)
{
	struct fault_attr a = { .mode = mode, .n = n, .seed = seed };

	ASSERT_EQ(t, fault_inject_set(site, &a), 0);
}

/*
 * Makes NR_CALLS one-frame allocations inside a scope; failed[i] tells
 * whether call i + 1 failed. Returns how many failed.
 */
static unsigned alloc_calls(bool failed[NR_CALLS])
{
	struct page *got[NR_CALLS];
	unsigned n = 0;

	fault_inject_begin();
	for (unsigned i = 0; i < NR_CALLS; i++)
		got[i] = alloc_page(0);
	fault_inject_end();
	for (unsigned i = 0; i < NR_CALLS; i++) {
		failed[i] = !got[i];
		n += failed[i];
		free_page(got[i]);
	}
	return n;
}

static void expect_stats(struct ktest *t, enum fault_site site, unsigned long calls,
			 unsigned long injected)
{
	struct fault_stats st;

	fault_inject_get_stats(site, &st);
	EXPECT_EQ(t, st.calls, calls);
	EXPECT_EQ(t, st.injected, injected);
}

/* --- modes ---------------------------------------------------------------- */

static void nth_fails_that_call_once(struct ktest *t)
{
	struct pfa_stats before, after;
	bool failed[NR_CALLS];

	pfa_get_stats(&before);
	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_NTH, 3, 0);
	EXPECT_EQ(t, alloc_calls(failed), 1);
	for (unsigned i = 0; i < NR_CALLS; i++)
		EXPECT_EQ(t, failed[i], i == 2);
	expect_stats(t, FAULT_PAGE_ALLOC, NR_CALLS, 1);
	/* Counted like a real exhaustion. */
	pfa_get_stats(&after);
	EXPECT_EQ(t, after.alloc_failures, before.alloc_failures + 1);
}

static void nth_counts_from_when_it_is_set(struct ktest *t)
{
	bool failed[NR_CALLS];

	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_NTH, 1, 0);
	EXPECT_EQ(t, alloc_calls(failed), 1);
	EXPECT_TRUE(t, failed[0]);
	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_NTH, NR_CALLS, 0);
	EXPECT_EQ(t, alloc_calls(failed), 1);
	EXPECT_TRUE(t, failed[NR_CALLS - 1]);
	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_NTH, NR_CALLS + 1, 0);
	EXPECT_EQ(t, alloc_calls(failed), 0);
	expect_stats(t, FAULT_PAGE_ALLOC, NR_CALLS, 0);
}

static void every_fails_each_nth_call(struct ktest *t)
{
	bool failed[NR_CALLS];

	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_EVERY, 3, 0);
	EXPECT_EQ(t, alloc_calls(failed), 3);
	for (unsigned i = 0; i < NR_CALLS; i++)
		EXPECT_EQ(t, failed[i], (i + 1) % 3 == 0);
	expect_stats(t, FAULT_PAGE_ALLOC, NR_CALLS, 3);
	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_EVERY, 1, 0);
	EXPECT_EQ(t, alloc_calls(failed), NR_CALLS);
	expect_stats(t, FAULT_PAGE_ALLOC, NR_CALLS, NR_CALLS);
}

#define PROB_CALLS      200

/* PROB_CALLS hook calls inside a scope; the pattern of failures into `bits`. */
static unsigned prob_pattern(struct ktest *t, unsigned long percent, u64 seed,
			     u64 bits[PROB_CALLS / 64 + 1])
{
	unsigned n = 0;

	memset(bits, 0, (PROB_CALLS / 64 + 1) * sizeof(u64));
	set_mode(t, FAULT_SLAB, FAULT_MODE_PROB, percent, seed);
	fault_inject_begin();
	for (unsigned i = 0; i < PROB_CALLS; i++) {
		if (fault_inject_should_fail(FAULT_SLAB)) {
			bits[i / 64] |= 1ull << (i % 64);
			n++;
		}
	}
	fault_inject_end();
	expect_stats(t, FAULT_SLAB, PROB_CALLS, n);
	return n;
}

static void prob_is_reproducible_from_its_seed(struct ktest *t)
{
	u64 a[PROB_CALLS / 64 + 1], b[PROB_CALLS / 64 + 1], c[PROB_CALLS / 64 + 1];
	unsigned na = prob_pattern(t, 30, 42, a);

	ktest_log(t, "prob,30,seed=42: %u of %u calls failed", na, PROB_CALLS);
	EXPECT_EQ(t, prob_pattern(t, 30, 42, b), na);
	EXPECT_EQ(t, memcmp(a, b, sizeof(a)), 0);
	/* 30% of 200: 60 expected, sd 6.5; 30..90 is more than 4 sd either way. */
	EXPECT_GE(t, na, 30);
	EXPECT_LE(t, na, 90);
	prob_pattern(t, 30, 43, c);
	EXPECT_NE(t, memcmp(a, c, sizeof(a)), 0);
	EXPECT_EQ(t, prob_pattern(t, 0, 42, c), 0);
	EXPECT_EQ(t, prob_pattern(t, 100, 42, c), PROB_CALLS);
}

/* The real allocator under prob: the pages that fail are the ones the hook says. */
static void prob_fails_real_allocations(struct ktest *t)
{
	bool failed[NR_CALLS];
	unsigned n;

	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_PROB, 50, 7);
	n = alloc_calls(failed);
	expect_stats(t, FAULT_PAGE_ALLOC, NR_CALLS, n);
	ktest_log(t, "prob,50,seed=7: %u of %u allocations failed", n, NR_CALLS);
	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_PROB, 50, 7);
	EXPECT_EQ(t, alloc_calls(failed), n);
}

/* --- scope, sites and settings --------------------------------------------- */

static void scope_is_respected(struct ktest *t)
{
	struct page *p;

	set_mode(t, FAULT_PAGE_ALLOC, FAULT_MODE_EVERY, 1, 0);
	EXPECT_FALSE(t, fault_inject_armed & FAULT_SITE_BIT(FAULT_PAGE_ALLOC));
	p = alloc_page(0);                      /* outside: not failed, not counted */
	EXPECT_NOT_NULL(t, p);
	free_page(p);
	expect_stats(t, FAULT_PAGE_ALLOC, 0, 0);
	fault_inject_begin();
	fault_inject_begin();
	fault_inject_end();                     /* still inside the outer scope */
	EXPECT_TRUE(t, fault_inject_in_scope());
	EXPECT_NULL(t, alloc_page(0));
	fault_inject_end();
	EXPECT_FALSE(t, fault_inject_in_scope());
	p = alloc_page(0);
	EXPECT_NOT_NULL(t, p);
	free_page(p);
	expect_stats(t, FAULT_PAGE_ALLOC, 1, 1);
}

static void end_without_begin_warns(struct ktest *t)
{
	struct ktest_capture cap;
	char buf[256];

	ktest_capture_start(&cap, buf, sizeof(buf), true);
	fault_inject_end();
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "fault_inject_end: no scope is open"));
	EXPECT_TRUE(t, ktest_contains(buf, __func__));
	EXPECT_FALSE(t, fault_inject_in_scope());
}

/* True if [va, va + size) of the kernel tree has no entry at all. */
static bool range_is_empty(unsigned long va, unsigned long size);

/* The table site fails tables only: frames still come, a map needing a table does not. */
static void pgtable_site_fails_only_tables(struct ktest *t)
{
	struct page *frame;

	if (!range_is_empty(SCRATCH, SZ_1G))
		ktest_skip(t, "0x%lx is in use", SCRATCH);
	set_mode(t, FAULT_PGTABLE, FAULT_MODE_EVERY, 1, 0);
	fault_inject_begin();
	frame = alloc_page(0);
	EXPECT_NOT_NULL(t, frame);
	EXPECT_EQ(t, pgtable_map_pages(KPT, SCRATCH, &frame, 1, PROT_KERNEL_RW), -ENOMEM);
	fault_inject_end();
	free_page(frame);
	expect_stats(t, FAULT_PGTABLE, 1, 1);
	expect_stats(t, FAULT_PAGE_ALLOC, 0, 0);
	EXPECT_TRUE(t, range_is_empty(SCRATCH, SZ_1G));
}

/* A global setting (the command line's) acts outside any scope. */
static void global_setting_acts_everywhere(struct ktest *t)
{
	struct fault_attr a = { .mode = FAULT_MODE_EVERY, .n = 1, .global = true };
	struct page *frame;
	int err;

	if (!range_is_empty(SCRATCH, SZ_1G))
		ktest_skip(t, "0x%lx is in use", SCRATCH);
	frame = alloc_page(0);
	ASSERT_NOT_NULL(t, frame);
	ASSERT_EQ(t, fault_inject_set(FAULT_PGTABLE, &a), 0);
	EXPECT_TRUE(t, fault_inject_armed & FAULT_SITE_BIT(FAULT_PGTABLE));
	err = pgtable_map_pages(KPT, SCRATCH, &frame, 1, PROT_KERNEL_RW);
	fault_inject_clear(FAULT_PGTABLE);
	EXPECT_FALSE(t, fault_inject_armed);
	free_page(frame);
	EXPECT_EQ(t, err, -ENOMEM);
	expect_stats(t, FAULT_PGTABLE, 1, 1);
}

static void bad_settings_are_refused(struct ktest *t)
{
	struct fault_attr nth0 = { .mode = FAULT_MODE_NTH, .n = 0 };
	struct fault_attr prob = { .mode = FAULT_MODE_PROB, .n = 101 };
	struct fault_attr got, ok = { .mode = FAULT_MODE_EVERY, .n = 2 };
	unsigned long warns = warn_count();

	ktest_expect_warning(t, 3);
	ASSERT_EQ(t, fault_inject_set(FAULT_SLAB, &ok), 0);
	EXPECT_EQ(t, fault_inject_set(FAULT_SLAB, &nth0), -EINVAL);
	EXPECT_EQ(t, fault_inject_set(FAULT_SLAB, &prob), -EINVAL);
	EXPECT_EQ(t, fault_inject_set(FAULT_NR_SITES, &ok), -EINVAL);
	EXPECT_EQ(t, warn_count(), warns + 3);
	fault_inject_get(FAULT_SLAB, &got);     /* the old setting stays */
	EXPECT_EQ(t, got.mode, FAULT_MODE_EVERY);
	EXPECT_EQ(t, got.n, 2);
	EXPECT_STREQ(t, fault_site_name(FAULT_PGTABLE), "pgtable");
}

/* --- the command-line syntax ------------------------------------------------- */

struct parse_case {
	const char *desc;
	const char *text;
	int err;
	enum fault_mode mode;
	unsigned long n;
	u64 seed;
};

static const struct parse_case parse_cases[] = {
	{ "nth_3", "nth,3", 0, FAULT_MODE_NTH, 3, FAULT_DEFAULT_SEED },
	{ "every_4", "every,4", 0, FAULT_MODE_EVERY, 4, FAULT_DEFAULT_SEED },
	{ "prob_10_seed_42", "prob,10,seed=42", 0, FAULT_MODE_PROB, 10, 42 },
	{ "prob_10_default_seed", "prob,10", 0, FAULT_MODE_PROB, 10, FAULT_DEFAULT_SEED },
	{ "prob_hex_seed", "prob,100,seed=0x2a", 0, FAULT_MODE_PROB, 100, 42 },
	{ "hex_count", "every,0x10", 0, FAULT_MODE_EVERY, 16, FAULT_DEFAULT_SEED },
	{ "off", "off", 0, FAULT_MODE_OFF, 0, FAULT_DEFAULT_SEED },
	{ "nth_0", "nth,0", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "every_0", "every,0", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "prob_101", "prob,101", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "no_count", "nth", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "empty_count", "nth,", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "unknown_mode", "sometimes,3", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "size_suffix", "nth,3K", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "trailing_junk", "nth,3x", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "seed_on_nth", "nth,3,seed=1", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "empty_seed", "prob,10,seed=", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "seed_misspelt", "prob,10,sead=1", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "four_words", "prob,10,seed=1,x", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "off_with_count", "off,1", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "empty", "", -EINVAL, FAULT_MODE_OFF, 0, 0 },
	{ "null", NULL, -EINVAL, FAULT_MODE_OFF, 0, 0 },
};

static void describe_parse(const struct parse_case *c, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", c->desc);
}

KTEST_ARRAY_PARAM(parse_params, parse_cases, describe_parse);

static void parse_follows_the_syntax(struct ktest *t)
{
	const struct parse_case *c = t->param;
	struct fault_attr a = { .mode = FAULT_MODE_EVERY, .n = 77, .seed = 77 };

	EXPECT_EQ(t, fault_inject_parse(c->text, &a), c->err);
	if (c->err) {
		EXPECT_EQ(t, a.n, 77);          /* untouched on error */
		return;
	}
	EXPECT_EQ(t, a.mode, c->mode);
	EXPECT_EQ(t, a.n, c->n);
	EXPECT_EQ(t, a.seed, c->seed);
	EXPECT_FALSE(t, a.global);
}

static void setup_applies_a_command_line_value(struct ktest *t)
{
	struct ktest_capture cap;
	struct fault_attr a;
	char buf[256];

	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_EQ(t, fault_inject_setup(FAULT_SLAB, "prob,10,seed=42"), 0);
	fault_inject_clear(FAULT_SLAB);
	EXPECT_EQ(t, fault_inject_setup(FAULT_PGTABLE, "nth,3"), 0);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 2);
	EXPECT_TRUE(t, ktest_contains(buf, "fault_inject: slab: prob,10,seed=42 global"));
	EXPECT_TRUE(t, ktest_contains(buf, "fault_inject: pgtable: nth,3 global"));
	fault_inject_get(FAULT_PGTABLE, &a);
	EXPECT_EQ(t, a.mode, FAULT_MODE_NTH);
	EXPECT_EQ(t, a.n, 3);
	EXPECT_TRUE(t, a.global);
	fault_inject_clear(FAULT_PGTABLE);

	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_EQ(t, fault_inject_setup(FAULT_PAGE_ALLOC, "nth,three"), -EINVAL);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "fail_page_alloc=nth,three"));
	fault_inject_get(FAULT_PAGE_ALLOC, &a);
	EXPECT_EQ(t, a.mode, FAULT_MODE_OFF);
}

/* --- operations for fault_inject_each_point() ------------------------------ */

#define MAX_MAP_PAGES   512

/* What the operations work on; set up by each case's parameters. */
static struct point_ctx {
	const struct point_case *pc;
	struct page *frame;             /* mapped at every page of a map_pages op */
	struct page *map_array[MAX_MAP_PAGES];
	struct page *block;             /* map_phys source: 4 MiB, 4 MiB-aligned */
	struct page *page;              /* alloc_pages result */
	void *obj;
	struct kmem_cache *cache;
	struct pgtable pt;
	bool premapped;                 /* a page at pc->va - SZ_2M, mapped by the setup */
} cx;

struct point_case {
	const char *desc;               /* the parameter's name */
	const char *name;               /* for the "fault points:" line */
	struct fault_op op;
	unsigned long va;               /* map ops */
	unsigned long nr;               /* map_pages: pages; map_phys: bytes */
	unsigned flags;                 /* map_phys: PGTABLE_HUGE; alloc: order */
	bool premap;                    /* setup maps a page in the 2 MiB before va */
	unsigned long expect;           /* failure points, 0: at least one */
	bool slab;                      /* needs the slab hook */
};

/* True if no page of [va, va + size) is mapped. */
static bool range_has_no_leaf(unsigned long va, unsigned long size)
{
	struct pgtable_entry e;

	for (unsigned long off = 0; off < size; off += PAGE_SIZE)
		if (pgtable_query(KPT, va + off, &e) == 0)
			return false;
	return true;
}

static int any_entry(const struct pgtable_entry *e, void *ctx)
{
	return 1;
}

static bool range_is_empty(unsigned long va, unsigned long size)
{
	return pgtable_walk(KPT, va, va + size, any_entry, NULL) == 0;
}

static int map_pages_op(void *ctx)
{
	const struct point_case *pc = cx.pc;

	return pgtable_map_pages(KPT, pc->va, cx.map_array, pc->nr, PROT_KERNEL_RW);
}

static void map_pages_undo(void *ctx)
{
	pgtable_unmap(KPT, cx.pc->va, cx.pc->nr * PAGE_SIZE, NULL, PGTABLE_FREE_TABLES);
}

static int map_pages_check(void *ctx)
{
	return range_has_no_leaf(cx.pc->va, cx.pc->nr * PAGE_SIZE) ? 0 : -EBUSY;
}

static int map_phys_op(void *ctx)
{
	const struct point_case *pc = cx.pc;

	return pgtable_map_phys(KPT, pc->va, page_to_phys(cx.block), pc->nr, PROT_KERNEL_RW,
				pc->flags);
}

static void map_phys_undo(void *ctx)
{
	pgtable_unmap(KPT, cx.pc->va, cx.pc->nr, NULL, PGTABLE_FREE_TABLES);
}

static int map_phys_check(void *ctx)
{
	return range_has_no_leaf(cx.pc->va, cx.pc->nr) ? 0 : -EBUSY;
}

static int pgtable_init_op(void *ctx)
{
	return pgtable_init(&cx.pt);
}

static void pgtable_init_undo(void *ctx)
{
	pgtable_destroy(&cx.pt);
}

static int alloc_zero_op(void *ctx)
{
	cx.page = alloc_pages(cx.pc->flags, PFA_ZERO);
	if (!cx.page)
		return -ENOMEM;
	/* Zeroed through the direct map: the success run checks the contents too. */
	return mem_is_filled(page_address(cx.page), 0, PAGE_SIZE << cx.pc->flags) ? 0 : -EINVAL;
}

static void alloc_zero_undo(void *ctx)
{
	free_pages(cx.page, cx.pc->flags);
}

static int kmalloc_op(void *ctx)
{
	cx.obj = kmalloc(cx.pc->nr);
	return cx.obj ? 0 : -ENOMEM;
}

static void kfree_undo(void *ctx)
{
	kfree(cx.obj);
}

static int cache_alloc_op(void *ctx)
{
	cx.obj = kmem_cache_alloc(cx.cache);
	return cx.obj ? 0 : -ENOMEM;
}

static void cache_free_undo(void *ctx)
{
	kmem_cache_free(cx.cache, cx.obj);
}

static int cache_create_op(void *ctx)
{
	cx.obj = kmem_cache_create("fault_inject_test2", 200, 0);
	return cx.obj ? 0 : -ENOMEM;
}

static void cache_destroy_undo(void *ctx)
{
	kmem_cache_destroy(cx.obj);
}

#define OP(fn, undo_fn, check_fn, site_bits) \
	{ .name = NULL, .op = (fn), .undo = (undo_fn), .check = (check_fn), .sites = (site_bits) }
#define MAP_PAGES(bits)   OP(map_pages_op, map_pages_undo, map_pages_check, bits)
#define MAP_PHYS          OP(map_phys_op, map_phys_undo, map_phys_check, \
			     FAULT_SITE_BIT(FAULT_PGTABLE))
#define PT      FAULT_SITE_BIT(FAULT_PGTABLE)
#define PA      FAULT_SITE_BIT(FAULT_PAGE_ALLOC)
#define ALL     FAULT_SITES_ALL

/*
 * The expected counts of the map cases are the tables each map needs in
 * the empty slot: a PUD, then one PMD per GiB and one PTE table per 2 MiB
 * it touches (none under a 2 MiB leaf). 0: at least one point.
 */
static const struct point_case point_cases[] = {
	{ "map_pages_1_page", "pgtable_map_pages 1 page in an empty 512G slot",
	  MAP_PAGES(PT), SCRATCH, 1, 0, false, 3, false },
	{ "map_pages_1_page_near_a_mapped_one", "pgtable_map_pages 1 page, PMD present",
	  MAP_PAGES(PT), SCRATCH + SZ_2M, 1, 0, true, 1, false },
	{ "map_pages_512_across_2m", "pgtable_map_pages 512 pages across a 2M boundary",
	  MAP_PAGES(PT), SCRATCH + SZ_2M - 256 * PAGE_SIZE, 512, 0, false, 4, false },
	{ "map_pages_512_across_1g", "pgtable_map_pages 512 pages across a 1G boundary",
	  MAP_PAGES(PT), SCRATCH + SZ_1G - 256 * PAGE_SIZE, 512, 0, false, 5, false },
	{ "map_pages_512_across_1g_page_alloc",
	  "pgtable_map_pages 512 pages across a 1G boundary, page_alloc site",
	  MAP_PAGES(PA), SCRATCH + SZ_1G - 256 * PAGE_SIZE, 512, 0, false, 5, false },
	{ "map_pages_512_across_512g", "pgtable_map_pages 512 pages across a 512G boundary",
	  MAP_PAGES(PT), SCRATCH - 256 * PAGE_SIZE, 512, 0, false, 6, false },
	{ "map_phys_2m_8k_huge", "pgtable_map_phys 2M+8K with PGTABLE_HUGE",
	  MAP_PHYS, SCRATCH + SZ_1G, SZ_2M + 2 * PAGE_SIZE, PGTABLE_HUGE, false, 3, false },
	{ "map_phys_2m_8k_small", "pgtable_map_phys 2M+8K in 4K pages",
	  MAP_PHYS, SCRATCH + SZ_1G, SZ_2M + 2 * PAGE_SIZE, 0, false, 4, false },
	{ "pgtable_init", "pgtable_init of a private tree",
	  OP(pgtable_init_op, pgtable_init_undo, NULL, ALL), 0, 0, 0, false, 1, false },
	{ "alloc_pages_order_0_zero", "alloc_pages order 0 PFA_ZERO",
	  OP(alloc_zero_op, alloc_zero_undo, NULL, ALL), 0, 0, 0, false, 1, false },
	{ "alloc_pages_order_3_zero", "alloc_pages order 3 PFA_ZERO",
	  OP(alloc_zero_op, alloc_zero_undo, NULL, ALL), 0, 0, 3, false, 1, false },
	{ "kmalloc_64", "kmalloc 64",
	  OP(kmalloc_op, kfree_undo, NULL, ALL), 0, 64, 0, false, 0, true },
	{ "kmalloc_8192", "kmalloc 8192 (frame block)",
	  OP(kmalloc_op, kfree_undo, NULL, ALL), 0, 8192, 0, false, 2, true },
	{ "kmem_cache_alloc_empty_cache", "kmem_cache_alloc from an empty cache",
	  OP(cache_alloc_op, cache_free_undo, NULL, ALL), 0, 0, 0, false, 2, true },
	{ "kmem_cache_create", "kmem_cache_create",
	  OP(cache_create_op, cache_destroy_undo, NULL, ALL), 0, 0, 0, false, 0, true },
};

static void describe_point(const struct point_case *c, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", c->desc);
}

KTEST_ARRAY_PARAM(point_params, point_cases, describe_point);

/* True if kmem_cache_alloc()/kmalloc() call the slab hook (mm/slab.c wired). */
static bool slab_site_is_hooked(void)
{
	struct fault_attr never = { .mode = FAULT_MODE_NTH, .n = ~0ul };
	struct fault_stats st;

	fault_inject_set(FAULT_SLAB, &never);
	fault_inject_begin();
	kfree(kmalloc(8));
	fault_inject_end();
	fault_inject_get_stats(FAULT_SLAB, &st);
	fault_inject_clear(FAULT_SLAB);
	return st.calls > 0;
}

/* Frees what point_setup() and a failed case left. */
static void point_teardown(void)
{
	const struct point_case *pc = cx.pc;

	if (cx.premapped)
		pgtable_unmap(KPT, pc->va - SZ_2M, PAGE_SIZE, NULL, PGTABLE_FREE_TABLES);
	free_page(cx.frame);
	free_pages(cx.block, MAX_ORDER);
	kmem_cache_destroy(cx.cache);
	memset(&cx, 0, sizeof(cx));
}

static void point_setup(struct ktest *t, const struct point_case *pc)
{
	memset(&cx, 0, sizeof(cx));
	cx.pc = pc;
	if (pc->slab && !slab_site_is_hooked())
		ktest_skip(t, "slab site not hooked: mm/slab.c does not call "
			   "fault_inject_should_fail(FAULT_SLAB) yet");
	if (pc->op.op == map_pages_op || pc->op.op == map_phys_op) {
		if (!range_is_empty(pc->va & ~(SZ_1G - 1), 2 * SZ_1G))
			ktest_skip(t, "0x%lx is in use", pc->va);
		cx.frame = alloc_page(0);
		cx.block = alloc_pages(MAX_ORDER, 0);
		ASSERT_TRUE(t, cx.frame && cx.block);
		for (unsigned i = 0; i < MAX_MAP_PAGES; i++)
			cx.map_array[i] = cx.frame;
	}
	if (pc->premap) {
		ASSERT_EQ(t, pgtable_map_pages(KPT, pc->va - SZ_2M, &cx.frame, 1,
					       PROT_KERNEL_RW), 0);
		cx.premapped = true;
	}
	if (pc->op.op == cache_alloc_op) {
		cx.cache = kmem_cache_create("fault_inject_test", 64, 0);
		ASSERT_NOT_NULL(t, cx.cache);
	}
}

static void every_failure_point_leaves_no_trace(struct ktest *t)
{
	const struct point_case *pc = t->param;
	struct fault_op op = pc->op;
	struct fault_points pts;
	int err;

	point_setup(t, pc);
	op.name = pc->name;
	err = fault_inject_each_point(&op, NULL, &pts);
	point_teardown();
	EXPECT_EQ(t, err, 0);
	if (pc->expect)
		EXPECT_EQ(t, pts.total, pc->expect);
	else
		EXPECT_GE(t, pts.total, 1);
	EXPECT_EQ(t, pts.absorbed, 0);
}

/* --- the helper is not a rubber stamp ------------------------------------------ */

static struct page *leak[2];

/* Takes two frames; when the second fails it forgets to free the first. */
static int leaky_op(void *ctx)
{
	leak[0] = alloc_page(0);
	if (!leak[0])
		return -ENOMEM;
	leak[1] = alloc_page(0);
	return leak[1] ? 0 : -ENOMEM;
}

static void leaky_undo(void *ctx)
{
	free_page(leak[0]);
	free_page(leak[1]);
	leak[0] = leak[1] = NULL;
}

static void each_point_catches_a_leak(struct ktest *t)
{
	struct fault_op op = { .name = "leaky", .op = leaky_op, .undo = leaky_undo };
	struct ktest_capture cap;
	char buf[512];
	int err;

	ktest_capture_start(&cap, buf, sizeof(buf), true);
	err = fault_inject_each_point(&op, NULL, NULL);
	ktest_capture_stop(&cap);
	free_page(leak[0]);                     /* what the second run leaked */
	leak[0] = NULL;
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_TRUE(t, ktest_contains(buf, "leaky: page_alloc call 2 failing: free_frames"));
	EXPECT_FALSE(t, ktest_contains(buf, "fault points: leaky: 2"));
}

/* Ignores a failed allocation and reports success. */
static int careless_op(void *ctx)
{
	leak[0] = alloc_page(0);
	leak[1] = NULL;
	return 0;
}

static void each_point_catches_an_ignored_failure(struct ktest *t)
{
	struct fault_op op = { .name = "careless", .op = careless_op, .undo = leaky_undo };
	struct ktest_capture cap;
	char buf[512];
	int err;

	ktest_capture_start(&cap, buf, sizeof(buf), true);
	err = fault_inject_each_point(&op, NULL, NULL);
	ktest_capture_stop(&cap);
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_TRUE(t, ktest_contains(buf, "careless: page_alloc call 1 failing: returned 0"));
}

/* Falls back to two single frames when a pair is not available. */
static int fallback_op(void *ctx)
{
	struct page *pair = alloc_pages(1, 0);

	if (pair) {
		leak[0] = pair;
		leak[1] = NULL;
		return 0;
	}
	return leaky_op(ctx) ? (leaky_undo(ctx), -ENOMEM) : 0;
}

static void fallback_undo(void *ctx)
{
	if (leak[0] && !leak[1])
		free_pages(leak[0], 1);
	else
		leaky_undo(ctx);
	leak[0] = leak[1] = NULL;
}

static void each_point_counts_absorbed_failures(struct ktest *t)
{
	struct fault_op op = { .name = "fallback", .op = fallback_op, .undo = fallback_undo,
			       .sites = PA, .tolerant = true };
	struct fault_points pts;

	/*
	 * Call 1 (the pair) fails and is absorbed; when it succeeds there is
	 * no call 2. The singles' own failures lie behind the absorbed one:
	 * one failure per run cannot reach them (docs/fault_inject.md).
	 */
	EXPECT_EQ(t, fault_inject_each_point(&op, NULL, &pts), 0);
	EXPECT_EQ(t, pts.total, 1);
	EXPECT_EQ(t, pts.absorbed, 1);
	EXPECT_EQ(t, pts.per_site[FAULT_PAGE_ALLOC], 1);
}

static const struct ktest_case fault_inject_cases[] = {
	KTEST_CASE(nth_fails_that_call_once),
	KTEST_CASE(nth_counts_from_when_it_is_set),
	KTEST_CASE(every_fails_each_nth_call),
	KTEST_CASE(prob_is_reproducible_from_its_seed),
	KTEST_CASE(prob_fails_real_allocations),
	KTEST_CASE(scope_is_respected),
	KTEST_CASE(end_without_begin_warns),
	KTEST_CASE(pgtable_site_fails_only_tables),
	KTEST_CASE(global_setting_acts_everywhere),
	KTEST_CASE(bad_settings_are_refused),
	KTEST_PARAM_CASE(parse_follows_the_syntax, parse_params),
	KTEST_CASE(setup_applies_a_command_line_value),
	KTEST_PARAM_CASE(every_failure_point_leaves_no_trace, point_params),
	KTEST_CASE(each_point_catches_a_leak),
	KTEST_CASE(each_point_catches_an_ignored_failure),
	KTEST_CASE(each_point_counts_absorbed_failures),
	{}
};

static const struct ktest_suite fault_inject_suite = {
	.name = "fault_inject",
	.cases = fault_inject_cases,
	.init = fi_init,
	.exit = fi_exit,
};
KTEST_SUITE_REGISTER(fault_inject_suite);
