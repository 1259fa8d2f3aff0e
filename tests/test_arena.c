/*
 * The demand-paged arena (mm/arena.c) on the kernel's own page tables.
 * What the CPU sees is checked: allocated pages read as zeros and alias
 * their frames, freed pages fault, a touch of a free page of an
 * ARENA_FAULT_IN arena is resolved and resumes, and every other fault
 * there is reported with a line naming the arena (caught with
 * ktest_catch_fault). Every failure point of creation, allocation and
 * fault-in leaves no trace. The BPF geometry, 4 GiB + 64 KiB, is used
 * whole: first and last page, a fault-in in the middle, the guard page.
 *
 * The exit hook compares the whole memory subsystem with a snapshot from
 * before the case (page tables left in the vmalloc range are allowed: they
 * are never freed there) and runs the checkers.
 */
#include "tests/ktest.h"
#include "tests/fault_points.h"
#include "tests/mm_state.h"
#include "tests/ktest_leak.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/probe.h"
#include "mm/arena.h"
#include "mm/fault_inject.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"

#define SZ_4G   (4ul << 30)
#define SZ_64K  (64ul << 10)

static struct ktest_leak ar_leak;
static unsigned long ar_warnings_declared;     /* warnings the case prints on purpose */

static int ar_init(struct ktest *t)
{
	ar_warnings_declared = 0;
	return ktest_leak_begin(&ar_leak);
}

static void ar_exit(struct ktest *t)
{
	fault_inject_clear_all();
	/* Any other warning is a failure: a real bug once hid among the intended ones. */
	EXPECT_EQ(t, warn_count() - ar_leak.base.warnings, ar_warnings_declared);
	ktest_leak_end(t, &ar_leak, KTEST_LEAK_IGNORE_WARNINGS);
}

static int probe(unsigned long addr)
{
	u64 v;

	return probe_read_u64(addr, &v);
}

static unsigned long page_at(const struct arena *a, unsigned long i)
{
	return a->start + i * PAGE_SIZE;
}

/* arena_alloc_pages() that must succeed; the address, or 0 after a failure. */
static unsigned long must_alloc(struct ktest *t, struct arena *a, unsigned long addr,
				unsigned long count)
{
	int err = 1;
	void *p = arena_alloc_pages(a, addr, count, &err);

	EXPECT_EQ(t, err, 0);
	EXPECT_NOT_NULL(t, p);
	return (unsigned long)p;
}

/* --- allocation -------------------------------------------------------------- */

/* Lowest fit over the free pages; a fixed address; a taken one is -EBUSY, quietly. */
static void alloc_takes_the_lowest_free_run(struct ktest *t)
{
	struct arena *a = arena_create(16 * PAGE_SIZE, 0);
	struct ktest_capture cap;
	char buf[128];
	int err;

	ASSERT_NOT_NULL(t, a);
	EXPECT_EQ(t, must_alloc(t, a, 0, 3), page_at(a, 0));
	EXPECT_EQ(t, must_alloc(t, a, 0, 2), page_at(a, 3));
	EXPECT_EQ(t, arena_free_pages(a, page_at(a, 1), 1), 0);
	EXPECT_EQ(t, must_alloc(t, a, 0, 2), page_at(a, 5));   /* the hole at 1 is too small */
	EXPECT_EQ(t, must_alloc(t, a, 0, 1), page_at(a, 1));
	EXPECT_EQ(t, must_alloc(t, a, page_at(a, 12), 4), page_at(a, 12));
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_NULL(t, arena_alloc_pages(a, page_at(a, 10), 3, &err));
	EXPECT_EQ(t, err, -EBUSY);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 0);              /* not misuse */
	EXPECT_EQ(t, must_alloc(t, a, 0, 5), page_at(a, 7));
	EXPECT_EQ(t, a->nr_allocated, 16);
	EXPECT_EQ(t, arena_check(a), 0);
	arena_destroy(a);
}

/* Frames come zeroed even after they held data, and alias their direct-map page. */
static void pages_are_zeroed_and_alias_their_frames(struct ktest *t)
{
	struct arena *a = arena_create(64 * PAGE_SIZE, 0);
	struct page *dirty[32];
	unsigned long p;

	ASSERT_NOT_NULL(t, a);
	for (int i = 0; i < 32; i++) {
		ASSERT_NOT_NULL(t, dirty[i] = alloc_page(0));
		memset(page_address(dirty[i]), 0x5d, PAGE_SIZE);
	}
	for (int i = 0; i < 32; i++)
		free_page(dirty[i]);
	p = must_alloc(t, a, 0, 32);
	ASSERT_NE(t, p, 0);
	for (int i = 0; i < 32; i++) {
		u64 *va = (u64 *)(p + i * PAGE_SIZE);
		struct page *frame = vmalloc_to_page(va);

		EXPECT_TRUE(t, mem_is_filled(va, 0, PAGE_SIZE));
		ASSERT_NOT_NULL(t, frame);
		va[7] = 0x1234500 + i;
		EXPECT_EQ(t, ((u64 *)page_address(frame))[7], 0x1234500 + i);
	}
	EXPECT_EQ(t, probe_exec((void *)p), -EFAULT);
	EXPECT_EQ(t, arena_check(a), 0);
	arena_destroy(a);
}

/* Freed pages fault (touched first: the flush is checked) and their frames are back. */
static void free_unmaps_and_gives_the_frames_back(struct ktest *t)
{
	struct arena *a = arena_create(32 * PAGE_SIZE, 0);
	unsigned long p, before;

	ASSERT_NOT_NULL(t, a);
	p = must_alloc(t, a, 0, 20);
	for (int i = 0; i < 20; i++)
		*(volatile u64 *)(p + i * PAGE_SIZE) = i;
	before = pfa_free_pages();
	EXPECT_EQ(t, arena_free_pages(a, p + 5 * PAGE_SIZE, 10), 0);
	EXPECT_EQ(t, pfa_free_pages(), before + 10);
	for (int i = 0; i < 20; i++)
		EXPECT_EQ(t, probe(p + i * PAGE_SIZE), i >= 5 && i < 15 ? -EFAULT : 0);
	EXPECT_EQ(t, arena_free_pages(a, p, 32), 0);            /* holes are fine */
	EXPECT_EQ(t, pfa_free_pages(), before + 20);
	EXPECT_EQ(t, a->nr_allocated, 0);
	EXPECT_EQ(t, arena_check(a), 0);
	arena_destroy(a);
}

/* All pages taken: -ENOSPC, quietly; a freed page is found again. */
static void exhaustion_and_reuse(struct ktest *t)
{
	struct arena *a = arena_create(8 * PAGE_SIZE, 0);
	struct ktest_capture cap;
	char buf[128];
	int err;

	ASSERT_NOT_NULL(t, a);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(t, must_alloc(t, a, 0, 1), page_at(a, i));
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_NULL(t, arena_alloc_pages(a, 0, 1, &err));
	EXPECT_EQ(t, err, -ENOSPC);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 0);
	EXPECT_EQ(t, arena_free_pages(a, page_at(a, 2), 2), 0);
	EXPECT_NULL(t, arena_alloc_pages(a, 0, 3, &err));
	EXPECT_EQ(t, err, -ENOSPC);
	EXPECT_EQ(t, must_alloc(t, a, 0, 2), page_at(a, 2));
	EXPECT_EQ(t, a->nr_allocated, 8);
	arena_destroy(a);
}

/* --- faults ------------------------------------------------------------------------ */

static void write_word(void *addr)
{
	*(volatile u64 *)addr = 0x600d;
}

static void read_word(void *addr)
{
	(void)*(volatile u64 *)addr;
}

static void call_code(void *addr)
{
	((void (*)(void))addr)();
}

/* A read and a write of free pages are resolved: zeroed pages appear, allocated. */
static void fault_in_maps_a_zeroed_page_and_resumes(struct ktest *t)
{
	struct arena *a = arena_create(64 * PAGE_SIZE, ARENA_FAULT_IN);
	static struct ktest_fault f;
	volatile u64 *w;

	ASSERT_NOT_NULL(t, a);
	w = (u64 *)(page_at(a, 5) + 24);
	EXPECT_EQ(t, probe((unsigned long)w), -EFAULT);        /* probes are not faulted in */
	EXPECT_FALSE(t, ktest_catch_fault(t, write_word, (void *)w, &f));
	EXPECT_EQ(t, *w, 0x600d);
	EXPECT_TRUE(t, mem_is_filled((void *)page_at(a, 5), 0, 24));
	EXPECT_FALSE(t, ktest_catch_fault(t, read_word, (void *)page_at(a, 9), &f));
	EXPECT_TRUE(t, mem_is_filled((void *)page_at(a, 9), 0, PAGE_SIZE));
	EXPECT_EQ(t, a->nr_faults, 2);
	EXPECT_EQ(t, a->nr_allocated, 2);
	EXPECT_EQ(t, arena_check(a), 0);
	/* A faulted-in page is an allocated page like any other. */
	EXPECT_EQ(t, must_alloc(t, a, 0, 5), page_at(a, 0));
	EXPECT_EQ(t, must_alloc(t, a, 0, 1), page_at(a, 6));
	EXPECT_EQ(t, must_alloc(t, a, 0, 3), page_at(a, 10));
	EXPECT_EQ(t, arena_free_pages(a, page_at(a, 5), 1), 0);
	EXPECT_EQ(t, probe(page_at(a, 5)), -EFAULT);
	EXPECT_FALSE(t, ktest_catch_fault(t, read_word, (void *)page_at(a, 5), &f));
	EXPECT_EQ(t, *w, 0);                                    /* a fresh page */
	EXPECT_EQ(t, a->nr_faults, 3);
	arena_destroy(a);
}

/* The report of a fault in `a` names it, its creator and `why`. */
static void expect_report(struct ktest *t, const struct ktest_fault *f, const struct arena *a,
			  unsigned long addr, const char *why)
{
	char want[96];

	EXPECT_TRUE(t, f->info.page_fault);
	EXPECT_EQ(t, f->info.addr, addr);
	snprintf(want, sizeof(want), "arena: fault at 0x%lx in arena 0x%lx-0x%lx", addr, a->start,
		 a->start + a->nr_pages * PAGE_SIZE);
	EXPECT_TRUE(t, ktest_contains(f->report, want));
	EXPECT_TRUE(t, ktest_contains(f->report, "created by "));
	EXPECT_TRUE(t, ktest_contains(f->report, why));
	if (t->status == KTEST_FAIL)
		ktest_log(t, "report: %s", f->report);
}

/* Without ARENA_FAULT_IN, on the guard page, or a fetch: reported, naming the arena. */
static void other_faults_are_reported_naming_the_arena(struct ktest *t)
{
	struct arena *plain = arena_create(8 * PAGE_SIZE, 0);
	struct arena *lazy = arena_create(8 * PAGE_SIZE, ARENA_FAULT_IN);
	static struct ktest_fault f;
	unsigned long addr;

	ASSERT_TRUE(t, plain && lazy);
	ktest_expect_fault(t, 3);
	addr = page_at(plain, 3) + 8;
	ASSERT_TRUE(t, ktest_catch_fault(t, read_word, (void *)addr, &f));
	expect_report(t, &f, plain, addr, "no ARENA_FAULT_IN");
	EXPECT_TRUE(t, ktest_contains(f.report, "other_faults_are_reported_naming_the_arena"));
	addr = page_at(lazy, 8);                                /* the guard page */
	ASSERT_TRUE(t, ktest_catch_fault(t, write_word, (void *)addr, &f));
	expect_report(t, &f, lazy, addr, "guard page");
	EXPECT_EQ(t, lazy->nr_allocated, 0);
	addr = page_at(lazy, 1);                                /* fetches are not faulted in */
	ASSERT_TRUE(t, ktest_catch_fault(t, call_code, (void *)addr, &f));
	expect_report(t, &f, lazy, addr, "instruction fetch");
	EXPECT_TRUE(t, f.info.fetch);
	EXPECT_EQ(t, lazy->nr_allocated, 0);
	arena_destroy(plain);
	arena_destroy(lazy);
}

/* A fault-in that finds no memory is reported as such, and leaves nothing. */
static void fault_in_out_of_memory_is_reported(struct ktest *t)
{
	struct fault_attr first = { .mode = FAULT_MODE_NTH, .n = 1 };
	struct arena *a = arena_create(8 * PAGE_SIZE, ARENA_FAULT_IN);
	static struct ktest_fault f;
	bool faulted;

	ASSERT_NOT_NULL(t, a);
	ASSERT_EQ(t, fault_inject_set(FAULT_PAGE_ALLOC, &first), 0);
	ktest_expect_fault(t, 1);
	fault_inject_begin();
	faulted = ktest_catch_fault(t, read_word, (void *)page_at(a, 2), &f);
	fault_inject_end();
	fault_inject_clear(FAULT_PAGE_ALLOC);
	ASSERT_TRUE(t, faulted);
	expect_report(t, &f, a, page_at(a, 2), "fault-in failed (-12: out of memory)");
	EXPECT_EQ(t, a->nr_allocated, 0);
	EXPECT_EQ(t, arena_check(a), 0);
	EXPECT_FALSE(t, ktest_catch_fault(t, read_word, (void *)page_at(a, 2), &f));
	arena_destroy(a);
}

/* --- lifetime ------------------------------------------------------------------------- */

/* Destroy with pages allocated and faulted in: everything is given back, silently. */
static void destroy_frees_everything(struct ktest *t)
{
	struct arena *a = arena_create(256 * PAGE_SIZE, ARENA_FAULT_IN);
	static struct ktest_fault f;
	unsigned long warns = warn_count();

	ASSERT_NOT_NULL(t, a);
	must_alloc(t, a, 0, 100);
	must_alloc(t, a, page_at(a, 200), 20);
	EXPECT_FALSE(t, ktest_catch_fault(t, write_word, (void *)page_at(a, 150), &f));
	EXPECT_EQ(t, a->nr_allocated, 121);
	arena_destroy(a);
	EXPECT_EQ(t, warn_count(), warns);
	/* The exit hook checks that every frame, object and range came back. */
}

/*
 * BPF's geometry: 4 GiB + 64 KiB. First and last page allocated, a page
 * in the middle faulted in, the guard page right after the last one.
 */
static void bpf_geometry_4g_64k(struct ktest *t)
{
	unsigned long size = SZ_4G + SZ_64K, last;
	struct arena *a = arena_create(size, ARENA_FAULT_IN);
	static struct ktest_fault f;

	ASSERT_NOT_NULL(t, a);
	EXPECT_EQ(t, a->nr_pages, size / PAGE_SIZE);
	EXPECT_EQ(t, a->area->size, size + PAGE_SIZE);
	EXPECT_EQ(t, a->area->flags, VM_SPARSE);
	last = a->start + size - PAGE_SIZE;
	EXPECT_EQ(t, must_alloc(t, a, 0, 1), a->start);
	EXPECT_EQ(t, must_alloc(t, a, last, 1), last);
	*(volatile u64 *)last = 0xfeed;
	EXPECT_FALSE(t, ktest_catch_fault(t, write_word, (void *)(a->start + SZ_4G / 2), &f));
	EXPECT_EQ(t, *(volatile u64 *)(a->start + SZ_4G / 2), 0x600d);
	ktest_expect_fault(t, 1);
	ASSERT_TRUE(t, ktest_catch_fault(t, read_word, (void *)(a->start + size), &f));
	expect_report(t, &f, a, a->start + size, "guard page");
	EXPECT_EQ(t, a->nr_allocated, 3);
	EXPECT_EQ(t, a->nr_faults, 1);
	EXPECT_EQ(t, must_alloc(t, a, 0, 16), a->start + PAGE_SIZE);  /* lowest fit after page 0 */
	EXPECT_EQ(t, arena_check(a), 0);
	arena_destroy(a);
}

/* --- misuse ------------------------------------------------------------------------------ */

static __noinline int call_alloc(struct arena *a, unsigned long addr, unsigned long count)
{
	int err = 0;

	arena_alloc_pages(a, addr, count, &err);
	barrier();
	return err;
}

static __noinline int call_free(struct arena *a, unsigned long addr, unsigned long count)
{
	int err = arena_free_pages(a, addr, count);

	barrier();
	return err;
}

/* Bad arguments: -EINVAL and one warning line naming the function, the arena and the caller. */
static void bad_arguments_warn_once(struct ktest *t)
{
	struct arena *a = arena_create(8 * PAGE_SIZE, 0);

	ASSERT_NOT_NULL(t, a);
	const struct {
		bool alloc, null;
		unsigned long addr, count;
		const char *why;
	} bad[] = {
		{ true, true, 0, 1, "arena NULL" },
		{ true, false, 0, 0, "none, or more than" },
		{ true, false, 0, 9, "none, or more than" },
		{ true, false, 0x1000, 1, "not a page-aligned part" },
		{ true, false, page_at(a, 0) + 8, 1, "not a page-aligned part" },
		{ true, false, page_at(a, 6), 3, "not a page-aligned part" },
		{ true, false, page_at(a, 8), 1, "not a page-aligned part" },
		{ false, true, page_at(a, 0), 1, "arena NULL" },
		{ false, false, 0, 1, "no address" },
		{ false, false, page_at(a, 0), 0, "none, or more than" },
		{ false, false, page_at(a, 7), 2, "not a page-aligned part" },
	};

	must_alloc(t, a, 0, 8);
	ar_warnings_declared = ARRAY_SIZE(bad);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned long warns = warn_count();
		struct arena *arg = bad[i].null ? NULL : a;
		struct ktest_capture cap;
		char text[256];
		int err;

		ktest_capture_start(&cap, text, sizeof(text), true);
		err = bad[i].alloc ? call_alloc(arg, bad[i].addr, bad[i].count)
				   : call_free(arg, bad[i].addr, bad[i].count);
		EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
		EXPECT_EQ(t, err, -EINVAL);
		EXPECT_EQ(t, warn_count(), warns + 1);
		EXPECT_TRUE(t, ktest_contains(text, bad[i].alloc ? "arena_alloc_pages: arena "
								 : "arena_free_pages: arena "));
		EXPECT_TRUE(t, ktest_contains(text, bad[i].why));
		EXPECT_TRUE(t, ktest_contains(text, bad[i].alloc ? "(caller call_alloc"
								 : "(caller call_free"));
		if (t->status == KTEST_FAIL) {
			ktest_log(t, "case %u printed: %s", i, text);
			break;
		}
	}
	EXPECT_EQ(t, a->nr_allocated, 8);
	EXPECT_EQ(t, arena_check(a), 0);
	arena_destroy(a);
}

/* Unknown flags and zero sizes are refused; destroying twice is caught. */
static void create_and_destroy_misuse(struct ktest *t)
{
	struct arena *a = arena_create(PAGE_SIZE, 0);
	struct ktest_capture cap;
	char text[512];

	ASSERT_NOT_NULL(t, a);
	arena_destroy(a);
	ar_warnings_declared = 3;
	ktest_capture_start(&cap, text, sizeof(text), true);
	EXPECT_NULL(t, arena_create(0, 0));
	EXPECT_NULL(t, arena_create(PAGE_SIZE, 0x80));
	arena_destroy(a);                       /* the freed pointer: refused, not touched */
	EXPECT_EQ(t, ktest_capture_stop(&cap), 3);
	EXPECT_TRUE(t, ktest_contains(text, "arena_create: size 0x0"));
	EXPECT_TRUE(t, ktest_contains(text, "flags 0x80 not allowed"));
	EXPECT_TRUE(t, ktest_contains(text, "is not a live arena"));
	arena_destroy(NULL);
}

/* --- every failure point -------------------------------------------------------------------- */

struct point_ctx {
	struct ktest *t;
	struct arena *arena;            /* for alloc and fault-in */
	unsigned long size, count;      /* create: bytes; alloc: pages */
	unsigned flags;
	void *got;
	struct arena *created;
	struct ktest_fault fault;
};

static int op_create(void *ctx)
{
	struct point_ctx *c = ctx;

	c->created = arena_create(c->size, c->flags);
	return c->created ? 0 : -ENOMEM;
}

static void undo_create(void *ctx)
{
	arena_destroy(((struct point_ctx *)ctx)->created);
}

static int op_alloc(void *ctx)
{
	struct point_ctx *c = ctx;
	int err;

	c->got = arena_alloc_pages(c->arena, 0, c->count, &err);
	return err;
}

static void undo_alloc(void *ctx)
{
	struct point_ctx *c = ctx;

	arena_free_pages(c->arena, (unsigned long)c->got, c->count);
}

/* A real access: the resolver allocates; if it cannot, the fault is caught. */
static int op_fault_in(void *ctx)
{
	struct point_ctx *c = ctx;
	unsigned long addr = c->arena->start + c->count * PAGE_SIZE;

	if (!ktest_catch_fault(c->t, read_word, (void *)addr, &c->fault))
		return 0;
	return ktest_contains(c->fault.report, "fault-in failed (-12") ? -ENOMEM : -EFAULT;
}

static void undo_fault_in(void *ctx)
{
	struct point_ctx *c = ctx;

	arena_free_pages(c->arena, c->arena->start + c->count * PAGE_SIZE, 1);
}

struct point_case {
	const char *desc;
	struct fault_op op;
	unsigned long size, count;
	unsigned flags;
	unsigned long min_points;
};

#define ALL3    (FAULT_SITE_BIT(FAULT_PAGE_ALLOC) | FAULT_SITE_BIT(FAULT_SLAB) | \
		 FAULT_SITE_BIT(FAULT_PGTABLE))
#define OP(n, fn, un) { .name = (n), .op = (fn), .undo = (un), .sites = ALL3 }

static const struct point_case points[] = {
	{ "create_16_pages", OP("arena_create 16 pages", op_create, undo_create),
	  16 * PAGE_SIZE, 0, 0, 3 },
	/* 32 PTE tables, a PMD table: each a failure point at two sites. */
	{ "create_64m_prebuilt", OP("arena_create 64 MiB prebuilt", op_create, undo_create),
	  64 << 20, 0, ARENA_PREBUILT | ARENA_FAULT_IN, 2 * 33 },
	{ "alloc_5_pages", OP("arena_alloc_pages 5", op_alloc, undo_alloc), 8 << 20, 5, 0, 5 },
	{ "alloc_40_pages", OP("arena_alloc_pages 40 (page array kmalloc'ed)", op_alloc,
			       undo_alloc), 8 << 20, 40, 0, 41 },
	{ "fault_in", OP("arena fault-in", op_fault_in, undo_fault_in), 8 << 20, 1000, 0, 1 },
};

static void describe_point(const struct point_case *c, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", c->desc);
}

KTEST_ARRAY_PARAM(point_params, points, describe_point);

/*
 * Each allocation of the operation fails in turn (frames, slab objects,
 * page tables): every failed run returns an error and leaves nothing
 * (fault_inject_each_point compares the whole subsystem each time).
 */
static void every_failure_point_leaves_no_trace(struct ktest *t)
{
	const struct point_case *pc = t->param;
	static struct point_ctx c;
	struct fault_points pts;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.size = pc->size;
	c.count = pc->count;
	c.flags = pc->flags;
	if (pc->op.op != op_create)
		ASSERT_NOT_NULL(t, c.arena = arena_create(pc->size, ARENA_FAULT_IN));
	if (pc->op.op == op_fault_in)
		ktest_expect_fault(t, KTEST_SOME);     /* one report per failure point */
	EXPECT_EQ(t, fault_inject_each_point(&pc->op, &c, &pts), 0);
	EXPECT_GE(t, pts.total, pc->min_points);
	EXPECT_EQ(t, pts.absorbed, 0);
	arena_destroy(c.arena);
}

static const struct ktest_case arena_cases[] = {
	KTEST_CASE(alloc_takes_the_lowest_free_run),
	KTEST_CASE(pages_are_zeroed_and_alias_their_frames),
	KTEST_CASE(free_unmaps_and_gives_the_frames_back),
	KTEST_CASE(exhaustion_and_reuse),
	KTEST_CASE(fault_in_maps_a_zeroed_page_and_resumes),
	KTEST_CASE(other_faults_are_reported_naming_the_arena),
	KTEST_CASE(fault_in_out_of_memory_is_reported),
	KTEST_CASE(destroy_frees_everything),
	KTEST_CASE(bpf_geometry_4g_64k),
	KTEST_CASE(bad_arguments_warn_once),
	KTEST_CASE(create_and_destroy_misuse),
	KTEST_PARAM_CASE(every_failure_point_leaves_no_trace, point_params),
	{}
};

static const struct ktest_suite arena_suite = {
	.name = "arena",
	.cases = arena_cases,
	.init = ar_init,
	.exit = ar_exit,
};
KTEST_SUITE_REGISTER(arena_suite);
