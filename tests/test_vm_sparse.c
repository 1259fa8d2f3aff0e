/*
 * VM_SPARSE areas (mm/vm_sparse.c): vm_area_map_pages / vm_area_unmap_pages,
 * free_vm_area on sparse areas, pre-built tables. What the CPU sees is
 * checked: pages are written through the area and read through the
 * direct map (and back), unmapped pages and guard pages are probed and
 * must fault, and every unmap is probed after the page was touched, so a
 * missing TLB flush would show.
 *
 *   checks      each refused call: its exact error code, one warning line
 *               naming the function, the area and the caller, no trace
 *   mapping     first, middle and last pages of a 4 GiB area; remapping;
 *               2 MiB and 1 GiB table boundaries; read/write, NX
 *   free        free_vm_area with pages still mapped
 *   rollback    every failure point of the maps that need new tables
 *   prebuilt    tables built at creation: map/unmap never allocate, even
 *               with every allocation failing; the tables go with the area
 *
 * Cases that count page tables work in 512 GiB slots high in the vmalloc
 * space (SLOT(n)), where nothing else is placed, and skip if a slot is in
 * use. The exit hook compares the whole memory subsystem with a snapshot
 * from before the case (page tables a case leaves in the vmalloc range
 * are allowed: they are never freed, as in Linux) and runs every checker.
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
#include "kernel/spinlock.h"
#include "mm/fault_inject.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define KPT     (&kernel_pgtable)
#define SZ_2M   (2ul << 20)
#define SZ_1G   (1ul << 30)
#define SZ_4G   (4ul << 30)
#define SZ_512G (512ul << 30)

/* A 512 GiB slot of the vmalloc space no allocation reaches in a test run. */
#define SLOT(n) (VMALLOC_START + (40ul + (n)) * SZ_512G)

/* --- fixture ---------------------------------------------------------------- */

static struct ktest_leak sp_leak;

static int sp_init(struct ktest *t)
{
	return ktest_leak_begin(&sp_leak);
}

static void sp_exit(struct ktest *t)
{
	fault_inject_clear_all();
	ktest_leak_end(t, &sp_leak, KTEST_LEAK_IGNORE_WARNINGS);
}

/* --- helpers ------------------------------------------------------------------ */

static int probe(unsigned long addr)
{
	u64 v;

	return probe_read_u64(addr, &v);
}

static int count_leaves(const struct pgtable_entry *e, void *ctx)
{
	if (e->leaf)
		*(unsigned long *)ctx += e->size / PAGE_SIZE;
	return 0;
}

/* 4 KiB pages mapped in [start, end). */
static unsigned long mapped_pages(unsigned long start, unsigned long end)
{
	unsigned long n = 0;

	pgtable_walk(KPT, start, end, count_leaves, &n);
	return n;
}

static int count_entries(const struct pgtable_entry *e, void *ctx)
{
	(*(unsigned long *)ctx)++;
	return 0;
}

/* Skips the case unless the 512 GiB slot holds no page table at all. */
static void need_empty_slot(struct ktest *t, unsigned long slot)
{
	unsigned long n = 0;

	pgtable_walk(KPT, slot, slot + SZ_512G, count_entries, &n);
	if (n)
		ktest_skip(t, "slot 0x%lx already has page tables", slot);
}

/* A sparse area of `size` bytes aligned to `align`, in [start, VMALLOC_END). */
static struct vm_struct *sparse_in(unsigned long size, unsigned long align, unsigned long start,
				   unsigned long flags)
{
	return __get_vm_area_node(size, align, VM_SPARSE | flags, start, VMALLOC_END,
				  (void *)THIS_IP);
}

/* A word of page i's contents for test `tag`. */
static u64 pattern(unsigned tag, unsigned long i)
{
	return 0x5a5a000000000000ull ^ ((u64)tag << 32) ^ i;
}

/* Fills each frame through the direct map with its pattern. */
static void fill_frames(struct page **frames, unsigned long n, unsigned tag)
{
	for (unsigned long i = 0; i < n; i++)
		for (unsigned w = 0; w < PAGE_SIZE / 8; w += 64)
			((u64 *)page_address(frames[i]))[w] = pattern(tag, i) + w;
}

static bool alloc_frames(struct page **frames, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (!(frames[i] = alloc_page(0)))
			return false;
	return true;
}

static void free_frames(struct page **frames, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		free_page(frames[i]);
}

/*
 * Page i of [va, va + n pages) shows frames[i]: its pattern reads through
 * the area, a word written through the area reads back through the direct
 * map, and the page table names the frame.
 */
static void expect_aliases(struct ktest *t, unsigned long va, struct page **frames,
			   unsigned long n, unsigned tag)
{
	for (unsigned long i = 0; i < n; i++) {
		volatile u64 *p = (u64 *)(va + i * PAGE_SIZE);
		u64 *d = page_address(frames[i]);

		if (p[0] != pattern(tag, i) || p[64] != pattern(tag, i) + 64) {
			KTEST_FAIL(t, "0x%lx: reads 0x%llx, frame %lu has 0x%llx", va + i * PAGE_SIZE,
				   (unsigned long long)p[0], i, (unsigned long long)pattern(tag, i));
			return;
		}
		p[511] = ~pattern(tag, i);
		EXPECT_EQ(t, d[511], ~pattern(tag, i));
		EXPECT_PTR_EQ(t, vmalloc_to_page((void *)(va + i * PAGE_SIZE)), frames[i]);
	}
}

/* Every page of [va, va + n pages) probes as unmapped. */
static void expect_unmapped(struct ktest *t, unsigned long va, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (probe(va + i * PAGE_SIZE) != -EFAULT) {
			KTEST_FAIL(t, "0x%lx is still readable", va + i * PAGE_SIZE);
			return;
		}
}

/* --- the checks, in order -------------------------------------------------------- */

enum area_kind { SPARSE, NOT_SPARSE, NO_GUARD, NO_AREA };
enum pages_kind { PAGES_OK, PAGES_NULL, PAGES_NULL_ENTRY, PAGES_NULL_AFTER_MAPPED };

#define AREA_PAGES      16
#define PREMAP          2               /* a page mapped before the call, at page 2 */

struct check_case {
	const char *desc;
	enum area_kind area;
	long start;                     /* page offset from the area's start, */
	long start_bytes;               /* plus bytes */
	long end;                       /* page offset from the area's start (BIG: pages of RAM + 1 from start) */
	long end_bytes;
	enum pages_kind pages;
	int err;                        /* vm_area_map_pages() returns it */
	const char *why;                /* in the warning line */
	bool unmap_too;                 /* vm_area_unmap_pages() refuses it as well */
};

#define BIG     0x7fffffffl
#define END     AREA_PAGES              /* the guard page starts here */

static const struct check_case checks[] = {
	{ "not_sparse", NOT_SPARSE, 0, 0, 1, 0, PAGES_OK, -EINVAL, "not a VM_SPARSE area", true },
	{ "no_guard", NO_GUARD, 0, 0, 1, 0, PAGES_OK, -EINVAL, "not a VM_SPARSE area", true },
	{ "no_area", NO_AREA, 0, 0, 1, 0, PAGES_OK, -EINVAL, "area NULL", true },
	{ "kind_before_size", NOT_SPARSE, 0, 0, BIG, 0, PAGES_OK, -EINVAL, "not a VM_SPARSE",
	  true },
	{ "more_pages_than_ram", SPARSE, 0, 0, BIG, 0, PAGES_OK, -E2BIG, "more than all of RAM",
	  true },
	{ "size_before_range", SPARSE, -1000, 0, BIG, 0, PAGES_OK, -E2BIG, "more than all",
	  true },
	{ "starts_below_area", SPARSE, -1, 0, 1, 0, PAGES_OK, -ERANGE, "is not inside", true },
	{ "ends_in_guard_page", SPARSE, 0, 0, END + 1, 0, PAGES_OK, -ERANGE, "is not inside",
	  true },
	{ "all_in_guard_page", SPARSE, END, 0, END + 1, 0, PAGES_OK, -ERANGE, "is not inside",
	  true },
	{ "range_before_alignment", SPARSE, -1, 8, 1, 0, PAGES_OK, -ERANGE, "is not inside",
	  true },
	{ "unaligned_start", SPARSE, 0, 8, 1, 0, PAGES_OK, -EINVAL, "not page-aligned", true },
	{ "unaligned_end", SPARSE, 0, 0, 1, 8, PAGES_OK, -EINVAL, "not page-aligned", true },
	{ "empty_range", SPARSE, 1, 0, 1, 0, PAGES_OK, -EINVAL, "is empty", true },
	{ "start_after_end", SPARSE, 3, 0, 1, 0, PAGES_OK, -EINVAL, "is empty", true },
	{ "no_page_array", SPARSE, 0, 0, 2, 0, PAGES_NULL, -EINVAL, "no page array", false },
	{ "null_page_entry", SPARSE, 0, 0, 2, 0, PAGES_NULL_ENTRY, -EINVAL, "pages[1] is NULL",
	  false },
	{ "page_already_mapped", SPARSE, 0, 0, PREMAP + 2, 0, PAGES_OK, -EBUSY,
	  "is already mapped", false },
	/* The walker meets the mapped page first; the check of the pages still comes first. */
	{ "bad_page_after_a_mapped_one", SPARSE, 0, 0, PREMAP + 2, 0, PAGES_NULL_AFTER_MAPPED,
	  -EINVAL, "pages[3] is NULL", false },
};

static void describe_check(const struct check_case *c, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", c->desc);
}

KTEST_ARRAY_PARAM(check_params, checks, describe_check);

/* The checks vm_area_unmap_pages() makes too (not those of the pages). */
static const void *unmap_check_params(const void *prev, char *desc)
{
	const struct check_case *c = prev ? (const struct check_case *)prev + 1 : checks;

	while (c < checks + ARRAY_SIZE(checks) && !c->unmap_too)
		c++;
	if (c == checks + ARRAY_SIZE(checks))
		return NULL;
	describe_check(c, desc);
	return c;
}

/* What a check case works on. */
struct check_env {
	struct vm_struct *area;
	struct page *frames[AREA_PAGES];
	struct page *premapped;
	unsigned long start, end;
};

static const unsigned long area_flags[] = {
	[SPARSE] = VM_SPARSE, [NOT_SPARSE] = VM_IOREMAP, [NO_GUARD] = VM_SPARSE | VM_NO_GUARD,
};

static void check_setup(struct ktest *t, const struct check_case *c, struct check_env *e)
{
	unsigned long base;

	memset(e, 0, sizeof(*e));
	if (c->area != NO_AREA) {
		e->area = get_vm_area(AREA_PAGES * PAGE_SIZE, area_flags[c->area]);
		ASSERT_NOT_NULL(t, e->area);
	}
	ASSERT_TRUE(t, alloc_frames(e->frames, AREA_PAGES));
	ASSERT_NOT_NULL(t, e->premapped = alloc_page(0));
	base = e->area ? (unsigned long)e->area->addr : VMALLOC_START;
	if (c->area == SPARSE)
		ASSERT_EQ(t, vm_area_map_pages(e->area, base + PREMAP * PAGE_SIZE,
					       base + (PREMAP + 1) * PAGE_SIZE, &e->premapped), 0);
	e->start = base + c->start * (long)PAGE_SIZE + c->start_bytes;
	e->end = c->end == BIG ? e->start + (pfa_total_pages() + 1) * PAGE_SIZE
			       : base + c->end * (long)PAGE_SIZE + c->end_bytes;
}

static void check_teardown(struct check_env *e)
{
	if (e->area && (e->area->flags & VM_SPARSE) && !(e->area->flags & VM_NO_GUARD))
		vm_area_unmap_pages(e->area, (unsigned long)e->area->addr,
				    (unsigned long)e->area->addr + AREA_PAGES * PAGE_SIZE);
	free_vm_area(e->area);
	free_frames(e->frames, AREA_PAGES);
	free_page(e->premapped);
}

/* Not inlined and not a tail call, so the warning names it as the caller. */
static __noinline int call_map(struct vm_struct *area, unsigned long start, unsigned long end,
			       struct page **pages)
{
	int err = vm_area_map_pages(area, start, end, pages);

	barrier();
	return err;
}

static __noinline void call_unmap(struct vm_struct *area, unsigned long start,
				  unsigned long end)
{
	vm_area_unmap_pages(area, start, end);
	barrier();
}

/* "area 0x<start>-0x<end>" as the warnings name an area, or "area NULL". */
static const char *area_name(const struct vm_struct *area, char *buf, size_t size)
{
	if (area)
		snprintf(buf, size, "area 0x%lx-0x%lx", (unsigned long)area->addr,
			 (unsigned long)area->addr + area->size);
	else
		snprintf(buf, size, "area NULL");
	return buf;
}

/* The captured text is one warning line naming fn, the area, why and the caller. */
static void expect_warning(struct ktest *t, const char *buf, unsigned lines, const char *fn,
			   const char *area, const char *why, const char *caller)
{
	char want[64];

	EXPECT_EQ(t, lines, 1);
	EXPECT_TRUE(t, ktest_contains(buf, "WARNING"));
	EXPECT_TRUE(t, ktest_contains(buf, fn));
	EXPECT_TRUE(t, ktest_contains(buf, why));
	EXPECT_TRUE(t, ktest_contains(buf, area));
	snprintf(want, sizeof(want), "(caller %s+0x", caller);
	EXPECT_TRUE(t, ktest_contains(buf, want));
	if (t->status == KTEST_FAIL)
		ktest_log(t, "printed: %s", buf);
}

/*
 * Each refused map: the exact error, one warning line, and nothing left
 * behind (no PTE, table, frame or slab object: the snapshot is equal but
 * for the one warning); the page mapped before is still there.
 */
static void map_check_refuses_with_its_code(struct ktest *t)
{
	const struct check_case *c = t->param;
	struct page *pages[AREA_PAGES];
	struct mm_snapshot before, after;
	struct ktest_capture cap;
	struct check_env e;
	char buf[384], name[64];
	int err;

	check_setup(t, c, &e);
	memcpy(pages, e.frames, sizeof(pages));
	if (c->pages == PAGES_NULL_ENTRY)
		pages[1] = NULL;
	if (c->pages == PAGES_NULL_AFTER_MAPPED)
		pages[PREMAP + 1] = NULL;
	mm_snapshot_take(&before);
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	err = call_map(e.area, e.start, e.end, c->pages == PAGES_NULL ? NULL : pages);
	expect_warning(t, buf, ktest_capture_stop(&cap), "vm_area_map_pages",
		       area_name(e.area, name, sizeof(name)), c->why, "call_map");
	EXPECT_EQ(t, err, c->err);
	mm_snapshot_take(&after);
	before.warnings++;
	EXPECT_TRUE(t, mm_snapshot_equal(&before, &after, c->desc));
	if (c->area == SPARSE) {
		unsigned long base = (unsigned long)e.area->addr;

		EXPECT_EQ(t, mapped_pages(base, base + AREA_PAGES * PAGE_SIZE), 1);
		EXPECT_PTR_EQ(t, vmalloc_to_page((void *)(base + PREMAP * PAGE_SIZE)), e.premapped);
	}
	check_teardown(&e);
}

/* The same ranges given to vm_area_unmap_pages(): ignored, with one warning. */
static void unmap_check_ignores_with_one_warning(struct ktest *t)
{
	const struct check_case *c = t->param;
	struct mm_snapshot before, after;
	struct ktest_capture cap;
	struct check_env e;
	char buf[384], name[64];

	check_setup(t, c, &e);
	if (c->area == SPARSE)          /* a range that would cover the mapped page */
		e.start = MIN(e.start, (unsigned long)e.area->addr + PREMAP * PAGE_SIZE);
	mm_snapshot_take(&before);
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	call_unmap(e.area, e.start, e.end);
	expect_warning(t, buf, ktest_capture_stop(&cap), "vm_area_unmap_pages",
		       area_name(e.area, name, sizeof(name)), c->why, "call_unmap");
	mm_snapshot_take(&after);
	before.warnings++;
	EXPECT_TRUE(t, mm_snapshot_equal(&before, &after, c->desc));
	if (c->area == SPARSE)
		EXPECT_EQ(t, probe((unsigned long)e.area->addr + PREMAP * PAGE_SIZE), 0);
	check_teardown(&e);
}

/* --- what the CPU sees --------------------------------------------------------- */

/*
 * A 4 GiB area with its first, middle and last pages mapped: each reads
 * and writes through the area as its frame in the direct map; nothing
 * else of the area is mapped (the page table has exactly three leaves;
 * the neighbours of each page, one page in every 2 MiB and the guard page
 * probe as unmapped). Unmapped after being touched, they fault; mapped
 * again with other frames, they show the new contents.
 */
static void four_gib_area_first_middle_last(struct ktest *t)
{
	struct vm_struct *a = get_vm_area(SZ_4G, VM_SPARSE);
	struct page *frames[6];
	unsigned long base, at[3];

	ASSERT_NOT_NULL(t, a);
	ASSERT_TRUE(t, alloc_frames(frames, 6));
	base = (unsigned long)a->addr;
	EXPECT_EQ(t, get_vm_area_size(a), SZ_4G);
	at[0] = base;
	at[1] = base + SZ_4G / 2;
	at[2] = base + SZ_4G - PAGE_SIZE;
	for (int k = 0; k < 6; k++)
		fill_frames(&frames[k], 1, 10 + k);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(t, vm_area_map_pages(a, at[i], at[i] + PAGE_SIZE, &frames[i]), 0);
		expect_aliases(t, at[i], &frames[i], 1, 10 + i);
	}
	EXPECT_EQ(t, mapped_pages(base, base + a->size), 3);
	EXPECT_EQ(t, probe(at[0] + PAGE_SIZE), -EFAULT);
	EXPECT_EQ(t, probe(at[1] - PAGE_SIZE), -EFAULT);
	EXPECT_EQ(t, probe(at[1] + PAGE_SIZE), -EFAULT);
	EXPECT_EQ(t, probe(at[2] - PAGE_SIZE), -EFAULT);
	EXPECT_EQ(t, probe(base + SZ_4G), -EFAULT);            /* the guard page */
	for (unsigned long va = base + PAGE_SIZE; va < base + SZ_4G; va += SZ_2M + PAGE_SIZE)
		if (va != at[1] && va != at[2] && probe(va) != -EFAULT)
			KTEST_FAIL(t, "0x%lx is readable", va);
	for (int i = 0; i < 3; i++) {
		vm_area_unmap_pages(a, at[i], at[i] + PAGE_SIZE);
		EXPECT_EQ(t, probe(at[i]), -EFAULT);
		ASSERT_EQ(t, vm_area_map_pages(a, at[i], at[i] + PAGE_SIZE, &frames[3 + i]), 0);
		expect_aliases(t, at[i], &frames[3 + i], 1, 13 + i);
	}
	for (int i = 0; i < 3; i++)
		vm_area_unmap_pages(a, at[i], at[i] + PAGE_SIZE);
	EXPECT_EQ(t, mapped_pages(base, base + a->size), 0);
	free_vm_area(a);
	free_frames(frames, 6);
}

static const unsigned long remap_sizes[] = { 1, 16, 512 };

static void describe_pages(const unsigned long *n, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%lu_pages", *n);
}

KTEST_ARRAY_PARAM(remap_params, remap_sizes, describe_pages);

/*
 * Map n pages and read each (the translations are now cached), unmap and
 * probe each (a missing flush would let the stale translation read), map
 * other frames at the same addresses and read their contents.
 */
static void unmap_flushes_and_remap_shows_new_frames(struct ktest *t)
{
	unsigned long n = *(const unsigned long *)t->param, va;
	struct vm_struct *a = get_vm_area(n * PAGE_SIZE, VM_SPARSE);
	struct page **frames = vmalloc(2 * n * sizeof(*frames));

	ASSERT_TRUE(t, a && frames);
	ASSERT_TRUE(t, alloc_frames(frames, 2 * n));
	va = (unsigned long)a->addr;
	fill_frames(frames, n, 2);
	fill_frames(frames + n, n, 3);
	ASSERT_EQ(t, vm_area_map_pages(a, va, va + n * PAGE_SIZE, frames), 0);
	expect_aliases(t, va, frames, n, 2);
	vm_area_unmap_pages(a, va, va + n * PAGE_SIZE);
	expect_unmapped(t, va, n);
	ASSERT_EQ(t, vm_area_map_pages(a, va, va + n * PAGE_SIZE, frames + n), 0);
	expect_aliases(t, va, frames + n, n, 3);
	vm_area_unmap_pages(a, va, va + n * PAGE_SIZE);
	expect_unmapped(t, va, n);
	vm_area_unmap_pages(a, va, va + n * PAGE_SIZE);        /* all holes now: fine, silent */
	free_vm_area(a);
	free_frames(frames, 2 * n);
	vfree(frames);
}

/* Ranges that cross a 2 MiB table, and a 1 GiB table, boundary. */
static void maps_across_table_boundaries(struct ktest *t)
{
	struct vm_struct *a = __get_vm_area_node(3 * SZ_1G, SZ_1G, VM_SPARSE, VMALLOC_START,
						 VMALLOC_END, (void *)THIS_IP);
	static const struct { unsigned long at, n; } ranges[] = {
		{ SZ_2M - 8 * PAGE_SIZE, 16 },                 /* two PTE tables */
		{ SZ_1G - 300 * PAGE_SIZE, 600 },              /* two PMD tables, three PTE tables */
		{ 2 * SZ_1G - PAGE_SIZE, 2 },
	};
	struct page **frames = vmalloc(600 * sizeof(*frames));
	unsigned long base;

	ASSERT_TRUE(t, a && frames);
	ASSERT_TRUE(t, alloc_frames(frames, 600));
	base = (unsigned long)a->addr;
	EXPECT_TRUE(t, IS_ALIGNED(base, SZ_1G));
	for (unsigned r = 0; r < ARRAY_SIZE(ranges); r++) {
		unsigned long va = base + ranges[r].at, n = ranges[r].n;

		fill_frames(frames, n, 4 + r);
		ASSERT_EQ(t, vm_area_map_pages(a, va, va + n * PAGE_SIZE, frames), 0);
		EXPECT_EQ(t, mapped_pages(base, base + a->size), n);
		expect_aliases(t, va, frames, n, 4 + r);
		EXPECT_EQ(t, probe(va - PAGE_SIZE), -EFAULT);
		EXPECT_EQ(t, probe(va + n * PAGE_SIZE), -EFAULT);
		vm_area_unmap_pages(a, va, va + n * PAGE_SIZE);
		expect_unmapped(t, va, n);
	}
	free_vm_area(a);
	free_frames(frames, 600);
	vfree(frames);
}

/* Read/write, never executable, and the protection the page table holds. */
static void mapping_is_read_write_not_executable(struct ktest *t)
{
	struct vm_struct *a = get_vm_area(4 * PAGE_SIZE, VM_SPARSE);
	struct page *frame = alloc_page(PFA_ZERO);
	struct pgtable_entry e;
	unsigned long va;

	ASSERT_TRUE(t, a && frame);
	va = (unsigned long)a->addr + PAGE_SIZE;
	ASSERT_EQ(t, vm_area_map_pages(a, va, va + PAGE_SIZE, &frame), 0);
	EXPECT_EQ(t, probe_write_u64(va, 0xc3c3c3c3c3c3c3c3ull), 0);    /* ret, if it ran */
	EXPECT_EQ(t, *(u64 *)page_address(frame), 0xc3c3c3c3c3c3c3c3ull);
	EXPECT_EQ(t, probe_exec((void *)va), -EFAULT);
	ASSERT_EQ(t, pgtable_query(KPT, va, &e), 0);
	EXPECT_EQ(t, e.level, PT_LEVEL_PTE);
	EXPECT_EQ(t, e.prot, PROT_KERNEL_RW);
	vm_area_unmap_pages(a, va, va + PAGE_SIZE);
	free_vm_area(a);
	free_page(frame);
}

/* A kernel-image page to map: reserved RAM, which its owner (the kernel) may map. */
static const u64 image_words[PAGE_SIZE / sizeof(u64)] __aligned(PAGE_SIZE) = { 0x1a4e5 };

/*
 * Every kind of frame an owner may map is accepted (pfa_page_unmappable()):
 * reserved RAM (a kernel-image page), a tail frame of an allocated block, a
 * vmalloc area's frame, a slab page. Each reads through the area as it
 * reads through its own address.
 */
static void maps_every_frame_an_owner_may_map(struct ktest *t)
{
	struct vm_struct *a = get_vm_area(4 * PAGE_SIZE, VM_SPARSE);
	struct page *block = alloc_pages(1, 0);
	u64 *vm = vmalloc(PAGE_SIZE), *obj = kmalloc(64);
	struct page *pages[4];
	unsigned long va;

	ASSERT_TRUE(t, a && block && vm && obj);
	/* The host build has no kernel image in its RAM: a vmalloc frame stands in. */
	pages[0] = virt_to_page(image_words) ? virt_to_page(image_words) : vmalloc_to_page(vm);
	if (!virt_to_page(image_words))
		ktest_log(t, "no kernel-image frame here: that kind is not mapped");
	pages[1] = block + 1;
	pages[2] = vmalloc_to_page(vm);
	pages[3] = virt_to_page(obj);
	*(u64 *)page_address(pages[1]) = 0x7a11;
	vm[0] = 0x0f0f;
	va = (unsigned long)a->addr;
	ASSERT_EQ(t, vm_area_map_pages(a, va, va + 4 * PAGE_SIZE, pages), 0);
	EXPECT_EQ(t, *(volatile u64 *)va, virt_to_page(image_words) ? 0x1a4e5 : 0x0f0f);
	EXPECT_EQ(t, *(volatile u64 *)(va + PAGE_SIZE), 0x7a11);
	EXPECT_EQ(t, *(volatile u64 *)(va + 2 * PAGE_SIZE), 0x0f0f);
	EXPECT_EQ(t, *(volatile u64 *)(va + 3 * PAGE_SIZE + ((unsigned long)obj & (PAGE_SIZE - 1))),
		  *(volatile u64 *)obj);
	vm_area_unmap_pages(a, va, va + 4 * PAGE_SIZE);
	free_vm_area(a);
	kfree(obj);
	vfree(vm);
	free_pages(block, 1);
}

/* --- free_vm_area ----------------------------------------------------------------- */

static __noinline void call_free(struct vm_struct *area)
{
	free_vm_area(area);
	barrier();
}

/*
 * Pages left mapped: free_vm_area unmaps them and says how many in one
 * line; the translations are gone at once (no purge needed), the range is
 * free (not lazy), and the pages are untouched and still the caller's.
 */
static void free_with_pages_still_mapped_warns_once(struct ktest *t)
{
	static const unsigned long at[] = { 0, 10, 63 };
	struct vm_struct *a = get_vm_area(64 * PAGE_SIZE, VM_SPARSE);
	struct page *frames[3];
	struct vmap_stats before, after;
	struct ktest_capture cap;
	unsigned long base, end;
	char buf[384], name[64];

	ASSERT_NOT_NULL(t, a);
	ASSERT_TRUE(t, alloc_frames(frames, 3));
	base = (unsigned long)a->addr;
	end = base + a->size;
	fill_frames(frames, 3, 6);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(t, vm_area_map_pages(a, base + at[i] * PAGE_SIZE, base + (at[i] + 1) * PAGE_SIZE,
					       &frames[i]), 0);
		EXPECT_EQ(t, probe(base + at[i] * PAGE_SIZE), 0);      /* cached */
	}
	vmap_get_stats(&kernel_vmap_space, &before);
	snprintf(name, sizeof(name), "sparse area 0x%lx-0x%lx", base, end);
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	call_free(a);
	expect_warning(t, buf, ktest_capture_stop(&cap), "free_vm_area", name, "3 pages mapped",
		       "call_free");
	EXPECT_EQ(t, mapped_pages(base, end), 0);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(t, probe(base + at[i] * PAGE_SIZE), -EFAULT);
	vmap_get_stats(&kernel_vmap_space, &after);
	EXPECT_EQ(t, after.nr_busy, before.nr_busy - 1);
	EXPECT_EQ(t, after.lazy_bytes, before.lazy_bytes);
	EXPECT_NULL(t, find_vm_area((void *)base));
	for (int i = 0; i < 3; i++) {
		EXPECT_TRUE(t, page_has_state(frames[i], PAGE_ALLOCATED));
		EXPECT_EQ(t, ((u64 *)page_address(frames[i]))[0], pattern(6, i));
	}
	free_frames(frames, 3);
}

/* --- rollback at every failure point ------------------------------------------------ */

#define MAX_SWEEP_PAGES 600

struct sweep_case {
	const char *desc;
	unsigned slot;                  /* SLOT(slot): an empty 512 GiB slot */
	unsigned long at, n;            /* map n pages at area + at */
	bool premap;                    /* a page mapped 2 MiB below first: PMD there */
	unsigned long tables;           /* tables the map needs: failure points per site */
};

static const struct sweep_case sweeps[] = {
	{ "one_page_in_an_empty_slot", 0, 0, 1, false, 3 },
	{ "one_page_next_to_a_mapped_table", 1, 4 * SZ_2M, 1, true, 1 },
	{ "512_pages_across_2m", 2, SZ_2M - 256 * PAGE_SIZE, 512, false, 4 },
	{ "600_pages_across_1g", 3, SZ_1G - 300 * PAGE_SIZE, 600, false, 5 },
};

static void describe_sweep(const struct sweep_case *c, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", c->desc);
}

KTEST_ARRAY_PARAM(sweep_params, sweeps, describe_sweep);

static struct sweep_ctx {
	struct vm_struct *area;
	unsigned long start, end;
	struct page *pages[MAX_SWEEP_PAGES];
} sw;

static int sweep_map(void *ctx)
{
	return vm_area_map_pages(sw.area, sw.start, sw.end, sw.pages);
}

/*
 * Unmaps, then frees the tables the map built (vmalloc-range tables are
 * otherwise kept; the slot is the test's own), so that the sweep of the
 * next site finds them missing again.
 */
static void sweep_unmap(void *ctx)
{
	vm_area_unmap_pages(sw.area, sw.start, sw.end);
	pgtable_unmap(KPT, sw.start, sw.end - sw.start, NULL, PGTABLE_FREE_TABLES);
}

static int sweep_nothing_mapped(void *ctx)
{
	return mapped_pages(sw.start, sw.end) ? -EBUSY : 0;
}

/*
 * vm_area_map_pages() calls that need new page tables, with each table
 * allocation failing in turn (frame allocator, then the page-table site):
 * every failed call returns -ENOMEM and leaves no leaf, no table, no
 * frame behind (fault_inject_each_point compares the whole subsystem).
 */
static void failed_map_leaves_nothing(struct ktest *t)
{
	const struct sweep_case *c = t->param;
	struct fault_op op = {
		.name = c->desc, .op = sweep_map, .undo = sweep_unmap,
		.check = sweep_nothing_mapped,
		.sites = FAULT_SITE_BIT(FAULT_PAGE_ALLOC) | FAULT_SITE_BIT(FAULT_SLAB) |
			 FAULT_SITE_BIT(FAULT_PGTABLE),
	};
	unsigned long slot = SLOT(c->slot);
	struct fault_points pts;
	struct page *frame;

	need_empty_slot(t, slot);
	memset(&sw, 0, sizeof(sw));
	sw.area = sparse_in(2 * SZ_1G, SZ_1G, slot, 0);
	frame = alloc_page(0);
	ASSERT_TRUE(t, sw.area && frame);
	ASSERT_EQ(t, (unsigned long)sw.area->addr, slot);
	for (unsigned long i = 0; i < c->n; i++)
		sw.pages[i] = frame;
	sw.start = slot + c->at;
	sw.end = sw.start + c->n * PAGE_SIZE;
	if (c->premap)
		ASSERT_EQ(t, vm_area_map_pages(sw.area, sw.start - SZ_2M, sw.start - SZ_2M + PAGE_SIZE,
					       &frame), 0);
	EXPECT_EQ(t, fault_inject_each_point(&op, NULL, &pts), 0);
	EXPECT_EQ(t, pts.per_site[FAULT_PAGE_ALLOC], c->tables);
	EXPECT_EQ(t, pts.per_site[FAULT_PGTABLE], c->tables);
	EXPECT_EQ(t, pts.per_site[FAULT_SLAB], 0);
	if (c->premap)
		vm_area_unmap_pages(sw.area, sw.start - SZ_2M, sw.start - SZ_2M + PAGE_SIZE);
	free_vm_area(sw.area);
	free_page(frame);
}

/* --- pre-built tables ----------------------------------------------------------------- */

static struct vm_struct *created;
static unsigned long create_at;

static int create_prebuilt(void *ctx)
{
	created = sparse_in(8 * SZ_2M - PAGE_SIZE, SZ_2M, create_at, VM_SPARSE_PREBUILT);
	return created ? 0 : -ENOMEM;
}

static void free_prebuilt(void *ctx)
{
	free_vm_area(created);
}

/*
 * Where the prebuilt area goes: an empty slot (it builds 8 PTE tables, a
 * PMD and a PUD table), or over tables a freed sparse area left in its 3rd
 * and 6th span (vmalloc-range tables are kept), which it must leave there.
 */
struct prebuilt_case {
	const char *desc;
	unsigned slot;
	bool over_kept;
	unsigned long tables;           /* pgtable-site failure points */
};

static const struct prebuilt_case prebuilt_cases[] = {
	{ "empty_slot", 4, false, 10 },
	{ "over_kept_tables", 7, true, 6 },
};

static void describe_prebuilt(const struct prebuilt_case *c, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", c->desc);
}

KTEST_ARRAY_PARAM(prebuilt_params, prebuilt_cases, describe_prebuilt);

/* Leaves the tables of spans 2 and 5 from `slot`, as a freed sparse area would. */
static void leave_kept_tables(struct ktest *t, unsigned long slot)
{
	struct vm_struct *a = sparse_in(16 * SZ_2M, SZ_2M, slot, 0);
	struct page *frame = alloc_page(0);

	ASSERT_TRUE(t, a && frame);
	for (int span = 2; span <= 5; span += 3) {
		unsigned long va = slot + span * SZ_2M + 7 * PAGE_SIZE;

		ASSERT_EQ(t, vm_area_map_pages(a, va, va + PAGE_SIZE, &frame), 0);
		vm_area_unmap_pages(a, va, va + PAGE_SIZE);
	}
	free_vm_area(a);
	free_page(frame);
}

/*
 * Creating a prebuilt area with each allocation failing in turn leaves
 * nothing, and freeing it gives back exactly the tables it built: the
 * snapshot after each run, failed or undone, is the one before; tables
 * that were there before stay.
 */
static void prebuilt_creation_rolls_back(struct ktest *t)
{
	const struct prebuilt_case *c = t->param;
	struct fault_op op = {
		.name = c->desc, .op = create_prebuilt, .undo = free_prebuilt,
		.sites = FAULT_SITE_BIT(FAULT_PAGE_ALLOC) | FAULT_SITE_BIT(FAULT_SLAB) |
			 FAULT_SITE_BIT(FAULT_PGTABLE),
	};
	struct fault_points pts;
	unsigned long tables;

	create_at = SLOT(c->slot);
	need_empty_slot(t, create_at);
	if (c->over_kept)
		leave_kept_tables(t, create_at);
	tables = pgtable_total_tables();
	EXPECT_EQ(t, fault_inject_each_point(&op, NULL, &pts), 0);
	EXPECT_EQ(t, pts.per_site[FAULT_PGTABLE], c->tables);
	EXPECT_GE(t, pts.per_site[FAULT_PAGE_ALLOC], c->tables);
	EXPECT_GE(t, pts.per_site[FAULT_SLAB], 1 + c->over_kept);   /* + the kept bitmap */
	EXPECT_EQ(t, pgtable_total_tables(), tables);
	if (c->over_kept)                       /* the slot's tables are the test's: free them */
		pgtable_unmap(KPT, create_at, SZ_512G, NULL, PGTABLE_FREE_TABLES);
}

/* Counts the bottom-level tables and the ones above in a walk. */
struct table_count {
	unsigned long pte_tables, upper_tables;
};

static int count_tables(const struct pgtable_entry *e, void *ctx)
{
	struct table_count *c = ctx;

	if (!e->leaf && e->level == PT_LEVEL_PMD)
		c->pte_tables++;
	else if (!e->leaf)
		c->upper_tables++;
	return 0;
}

/* Shape: whole 2 MiB tables, all of them built, " sparse" in vmallocinfo. */
static void prebuilt_area_owns_whole_tables(struct ktest *t)
{
	unsigned long slot = SLOT(5), tables = pgtable_total_tables(), base;
	struct table_count c = { 0, 0 };
	struct vm_struct *a;
	struct ktest_capture cap;
	char buf[256];

	need_empty_slot(t, slot);
	a = sparse_in(5 * PAGE_SIZE, PAGE_SIZE, slot + 3 * PAGE_SIZE, VM_SPARSE_PREBUILT);
	ASSERT_NOT_NULL(t, a);
	base = (unsigned long)a->addr;
	EXPECT_EQ(t, base, slot + SZ_2M);               /* aligned up to a table */
	EXPECT_EQ(t, a->size, SZ_2M);                   /* 5 pages + guard, rounded up */
	EXPECT_EQ(t, a->flags, VM_SPARSE | VM_SPARSE_PREBUILT);
	EXPECT_EQ(t, get_vm_area_size(a), SZ_2M - PAGE_SIZE);
	pgtable_walk(KPT, slot, slot + SZ_512G, count_tables, &c);
	EXPECT_EQ(t, c.pte_tables, 1);
	EXPECT_EQ(t, c.upper_tables, 2);                /* the entries to the PUD and PMD tables */
	EXPECT_EQ(t, pgtable_total_tables(), tables + 3);
	EXPECT_EQ(t, mapped_pages(slot, slot + SZ_512G), 0);
	free_vm_area(a);
	EXPECT_EQ(t, pgtable_total_tables(), tables);
	/* VM_SPARSE_PREBUILT alone is misuse. */
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_NULL(t, get_vm_area(PAGE_SIZE, VM_SPARSE_PREBUILT));
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "VM_SPARSE_PREBUILT without VM_SPARSE"));
}

/*
 * The point of pre-built tables: with every allocation failing at every
 * site, and interrupts off, maps anywhere in a prebuilt area (first,
 * middle, last page, across a 2 MiB and a 1 GiB boundary) still succeed
 * and unmaps work; no site is even called. Freeing the area frees its
 * tables. Reports the cost: table bytes per GiB of range.
 */
static void prebuilt_map_and_unmap_never_allocate(struct ktest *t)
{
	static const struct { unsigned long at, n; } maps[] = {
		{ 0, 1 }, { SZ_2M - 8 * PAGE_SIZE, 16 }, { SZ_1G / 2 - 32 * PAGE_SIZE, 64 },
		{ SZ_1G / 2 + 3 * SZ_2M, 1 }, { SZ_1G + SZ_2M - 2 * PAGE_SIZE, 1 },
	};
	struct fault_attr every = { .mode = FAULT_MODE_EVERY, .n = 1 };
	unsigned long slot = SLOT(6), tables = pgtable_total_tables(), base, built, irq;
	struct page *frames[64];
	struct fault_stats st;
	struct vm_struct *a;
	int err[ARRAY_SIZE(maps)];

	need_empty_slot(t, slot);
	/* 1 GiB + guard, rounded to 1 GiB + 2 MiB, from slot + 512 MiB: crosses slot + 1 GiB. */
	a = sparse_in(SZ_1G, SZ_2M, slot + SZ_1G / 2, VM_SPARSE_PREBUILT);
	ASSERT_NOT_NULL(t, a);
	base = (unsigned long)a->addr;
	ASSERT_EQ(t, base, slot + SZ_1G / 2);
	EXPECT_EQ(t, a->size, SZ_1G + SZ_2M);
	built = pgtable_total_tables() - tables;
	EXPECT_EQ(t, built, 513 + 2 + 1);               /* PTE tables, 2 PMD tables, PUD */
	ktest_log(t, "prebuilt 0x%lx bytes: %lu table pages, %lu bytes per GiB of range",
		  a->size, built, built * PAGE_SIZE * (SZ_1G / PAGE_SIZE) / (a->size / PAGE_SIZE));
	ASSERT_TRUE(t, alloc_frames(frames, 64));
	fill_frames(frames, 64, 7);
	for (int s = 0; s < FAULT_NR_SITES; s++)
		ASSERT_EQ(t, fault_inject_set(s, &every), 0);
	fault_inject_begin();
	irq = irq_save();
	for (unsigned i = 0; i < ARRAY_SIZE(maps); i++)
		err[i] = vm_area_map_pages(a, base + maps[i].at,
					   base + maps[i].at + maps[i].n * PAGE_SIZE, frames);
	irq_restore(irq);
	for (unsigned i = 0; i < ARRAY_SIZE(maps); i++) {
		EXPECT_EQ(t, err[i], 0);
		if (!err[i])
			expect_aliases(t, base + maps[i].at, frames, maps[i].n, 7);
	}
	EXPECT_EQ(t, pgtable_total_tables() - tables, built);
	irq = irq_save();
	for (unsigned i = 0; i < ARRAY_SIZE(maps); i++)
		vm_area_unmap_pages(a, base + maps[i].at, base + maps[i].at + maps[i].n * PAGE_SIZE);
	irq_restore(irq);
	fault_inject_end();
	for (int s = 0; s < FAULT_NR_SITES; s++) {
		fault_inject_get_stats(s, &st);
		EXPECT_EQ(t, st.calls, 0);
		fault_inject_clear(s);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(maps); i++)
		expect_unmapped(t, base + maps[i].at, maps[i].n);
	free_vm_area(a);
	EXPECT_EQ(t, pgtable_total_tables(), tables);
	free_frames(frames, 64);
}

/* --- vmallocinfo ------------------------------------------------------------------------ */

/* A sparse area's vmallocinfo line: its size, this function, " sparse", no pages=. */
static void vmallocinfo_marks_sparse_without_pages(struct ktest *t)
{
	struct vm_struct *a = get_vm_area_caller(32 * PAGE_SIZE, VM_SPARSE, (void *)THIS_IP);
	struct page *frames[5];
	unsigned long base;
	char want[64], *text = vmalloc(256 * 1024), *line, *nl = NULL;

	ASSERT_TRUE(t, a && text);
	ASSERT_TRUE(t, alloc_frames(frames, 5));
	base = (unsigned long)a->addr;
	ASSERT_EQ(t, vm_area_map_pages(a, base + 4 * PAGE_SIZE, base + 9 * PAGE_SIZE, frames), 0);
	ASSERT_LT(t, vmallocinfo_show(text, 256 * 1024), 256 * 1024);
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx ", base, base + 33 * PAGE_SIZE);
	for (line = text; line && strncmp(line, want, strlen(want)); line = nl ? nl + 1 : NULL)
		nl = strchr(line, '\n');
	ASSERT_NOT_NULL(t, line);
	nl = strchr(line, '\n');
	ASSERT_NOT_NULL(t, nl);
	*nl = '\0';
	ktest_log(t, "%s", line);
	snprintf(want, sizeof(want), " %7ld vmallocinfo_marks_sparse_without_pages+0x",
		 33 * (long)PAGE_SIZE);
	EXPECT_TRUE(t, ktest_contains(line, want));
	EXPECT_TRUE(t, nl - line > 7 && !strcmp(nl - 7, " sparse"));
	EXPECT_FALSE(t, ktest_contains(line, "pages="));
	vm_area_unmap_pages(a, base + 4 * PAGE_SIZE, base + 9 * PAGE_SIZE);
	free_vm_area(a);
	free_frames(frames, 5);
	vfree(text);
}

static const struct ktest_case vm_sparse_cases[] = {
	KTEST_PARAM_CASE(map_check_refuses_with_its_code, check_params),
	KTEST_PARAM_CASE(unmap_check_ignores_with_one_warning, unmap_check_params),
	KTEST_CASE(four_gib_area_first_middle_last),
	KTEST_PARAM_CASE(unmap_flushes_and_remap_shows_new_frames, remap_params),
	KTEST_CASE(maps_across_table_boundaries),
	KTEST_CASE(mapping_is_read_write_not_executable),
	KTEST_CASE(maps_every_frame_an_owner_may_map),
	KTEST_CASE(free_with_pages_still_mapped_warns_once),
	KTEST_PARAM_CASE(failed_map_leaves_nothing, sweep_params),
	KTEST_PARAM_CASE(prebuilt_creation_rolls_back, prebuilt_params),
	KTEST_CASE(prebuilt_area_owns_whole_tables),
	KTEST_CASE(prebuilt_map_and_unmap_never_allocate),
	KTEST_CASE(vmallocinfo_marks_sparse_without_pages),
	{}
};

static const struct ktest_suite vm_sparse_suite = {
	.name = "vm_sparse",
	.cases = vm_sparse_cases,
	.init = sp_init,
	.exit = sp_exit,
};
KTEST_SUITE_REGISTER(vm_sparse_suite);
