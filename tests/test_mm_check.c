/*
 * The invariant checkers (mm/mm_check): they pass on a healthy system and
 * fail, with a line that names the problem, on each kind of damage done on
 * purpose: a stray leaf in the vmalloc range, a leaf in a guard page, a
 * vmalloc page that is missing or maps the wrong frame, and broken
 * counters of the frame allocator, slab, vmap space and page table. Each
 * case repairs what it broke and checks that the checkers pass again.
 * Snapshots see each kind of leak; the mm_check=always hook runs only when
 * enabled and names the operation and its caller.
 */
#include "tests/ktest.h"
#include "tests/mm_state.h"
#include "tests/ktest_leak.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "mm/layout.h"
#include "mm/mm_check.h"
#include "mm/op_hook.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define KPT             (&kernel_pgtable)
#define CAP_SIZE        1024

static struct ktest_leak chk_leak;
static char cap_buf[CAP_SIZE];
static bool chk_always;                 /* mm_check=always as the boot set it */

static int chk_init(struct ktest *t)
{
	chk_always = mm_check_set_always(false);
	mm_check_set_always(chk_always);
	return ktest_leak_begin(&chk_leak);
}

static void chk_exit(struct ktest *t)
{
	mm_check_set_always(chk_always);
	ktest_leak_end(t, &chk_leak, KTEST_LEAK_IGNORE_WARNINGS);
}

static int is_leaf(const struct pgtable_entry *e, void *ctx)
{
	return e->leaf;
}

/*
 * vmalloc keeps the tables of freed areas; the cases' areas all lie in the
 * first GiB of the range. Hands those tables back once no leaf is left
 * there, so later suites find the vmalloc range's tables as boot left them
 * (tests/test_pgtable.c counts tables around maps at VMALLOC_START).
 */
static void chk_suite_exit(void)
{
	vm_unmap_aliases();
	if (pgtable_walk(KPT, VMALLOC_START, VMALLOC_START + (1ul << 30), is_leaf, NULL) == 0)
		pgtable_unmap(KPT, VMALLOC_START, 1ul << 30, NULL, PGTABLE_FREE_TABLES);
}

/* Runs mm_check_all() quietly; its output in cap_buf, the line count in *lines. */
static int check_captured(int (*check)(void), unsigned *lines)
{
	struct ktest_capture cap;
	int err;

	ktest_capture_start(&cap, cap_buf, sizeof(cap_buf), true);
	err = check();
	*lines = ktest_capture_stop(&cap);
	return err;
}

/* Skips the case unless nothing is mapped or allocated at [va, va + size). */
static void require_free_vmalloc(struct ktest *t, unsigned long va, unsigned long size)
{
	struct pgtable_entry e;

	for (unsigned long off = 0; off < size; off += PAGE_SIZE)
		if (find_vm_area((void *)(va + off)) || pgtable_query(KPT, va + off, &e) == 0)
			ktest_skip(t, "0x%lx is in use", va + off);
}

/* --- healthy -------------------------------------------------------------- */

static void all_checks_pass_with_live_areas(struct ktest *t)
{
	struct page *frames[3] = { alloc_page(0), alloc_page(0), alloc_page(0) };
	void *v = vmalloc(5 * PAGE_SIZE), *m;

	ASSERT_TRUE(t, v && frames[0] && frames[1] && frames[2]);
	m = vmap(frames, 3, 0, PROT_KERNEL_RW);
	EXPECT_NOT_NULL(t, m);
	EXPECT_EQ(t, mm_check_all(), 0);
	vunmap(m);
	vfree(v);
	EXPECT_EQ(t, mm_check_all(), 0);        /* lazily freed ranges are unmapped */
	for (unsigned i = 0; i < 3; i++)
		free_page(frames[i]);
}

/* --- leaves of the vmalloc range ------------------------------------------ */

static void stray_leaf_outside_any_area_is_reported(struct ktest *t)
{
	unsigned long va = VMALLOC_END - 2 * PAGE_SIZE;
	struct page *frame;
	unsigned lines;
	char want[64];

	require_free_vmalloc(t, va, PAGE_SIZE);
	frame = alloc_page(0);
	ASSERT_NOT_NULL(t, frame);
	ASSERT_EQ(t, pgtable_map_pages(KPT, va, &frame, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, check_captured(mm_check_all, &lines), -EINVAL);
	EXPECT_EQ(t, lines, 1);
	snprintf(want, sizeof(want), "vmalloc leaf 0x%lx-0x%lx (phys 0x%llx)", va,
		 va + PAGE_SIZE, (unsigned long long)page_to_phys(frame));
	EXPECT_TRUE(t, ktest_contains(cap_buf, want));
	EXPECT_TRUE(t, ktest_contains(cap_buf, "outside any live vmalloc area"));
	EXPECT_EQ(t, pgtable_unmap(KPT, va, PAGE_SIZE, NULL, PGTABLE_FREE_TABLES), 0);
	free_page(frame);
	EXPECT_EQ(t, mm_check_all(), 0);
}

static void leaf_in_guard_page_is_reported(struct ktest *t)
{
	struct vm_struct *area = get_vm_area(2 * PAGE_SIZE, 0);
	struct page *frame = alloc_page(0);
	unsigned long guard;
	unsigned lines;

	ASSERT_TRUE(t, area && frame);
	guard = (unsigned long)area->addr + 2 * PAGE_SIZE;
	/* Inside the area: fine. In its guard page: not. */
	ASSERT_EQ(t, pgtable_map_pages(KPT, guard - PAGE_SIZE, &frame, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, mm_check_vmalloc_ptes(), 0);
	ASSERT_EQ(t, pgtable_map_pages(KPT, guard, &frame, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, check_captured(mm_check_vmalloc_ptes, &lines), -EINVAL);
	EXPECT_EQ(t, lines, 1);
	EXPECT_TRUE(t, ktest_contains(cap_buf, "in the guard page of its area"));
	EXPECT_TRUE(t, ktest_contains(cap_buf, __func__));     /* the area's caller */
	EXPECT_EQ(t, pgtable_unmap(KPT, guard, PAGE_SIZE, NULL, 0), 0);
	EXPECT_EQ(t, mm_check_vmalloc_ptes(), 0);
	free_vm_area(area);                     /* unmaps the page inside the area */
	free_page(frame);
}

/* --- pages of VM_ALLOC areas --------------------------------------------- */

static void vmalloc_page_missing_or_wrong_is_reported(struct ktest *t)
{
	void *v = vmalloc(2 * PAGE_SIZE);
	unsigned long va1 = (unsigned long)v + PAGE_SIZE;
	struct page *orig = NULL, *other = alloc_page(0);
	unsigned lines;
	char want[96];

	ASSERT_TRUE(t, v && other);
	ASSERT_EQ(t, pgtable_unmap(KPT, va1, PAGE_SIZE, &orig, 0), 0);
	ASSERT_NOT_NULL(t, orig);
	EXPECT_EQ(t, check_captured(mm_check_vmalloc_pages, &lines), -EINVAL);
	EXPECT_EQ(t, lines, 1);
	snprintf(want, sizeof(want), "page 1 at 0x%lx is not mapped", va1);
	EXPECT_TRUE(t, ktest_contains(cap_buf, want));

	ASSERT_EQ(t, pgtable_map_pages(KPT, va1, &other, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, check_captured(mm_check_all, &lines), -EINVAL);
	EXPECT_EQ(t, lines, 1);
	snprintf(want, sizeof(want), "maps pfn 0x%lx (level 0), pages[] says pfn 0x%lx",
		 page_to_pfn(other), page_to_pfn(orig));
	EXPECT_TRUE(t, ktest_contains(cap_buf, want));

	EXPECT_EQ(t, pgtable_unmap(KPT, va1, PAGE_SIZE, NULL, 0), 0);
	EXPECT_EQ(t, pgtable_map_pages(KPT, va1, &orig, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, mm_check_all(), 0);
	vfree(v);
	free_page(other);
}

/* --- each layer's checker is wired in ------------------------------------- */

static void pfa_damage_is_reported(struct ktest *t)
{
	struct page *page = alloc_page(0);
	unsigned lines;
	int err;

	ASSERT_NOT_NULL(t, page);
	page->state = PAGE_FREE;                /* a free head that no list holds */
	err = check_captured(mm_check_all, &lines);
	page->state = PAGE_ALLOCATED;
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_GE(t, lines, 1);
	EXPECT_TRUE(t, ktest_contains(cap_buf, "pfa_check:"));
	free_page(page);
}

static void slab_damage_is_reported(struct ktest *t)
{
	struct kmem_cache *cache = kmem_cache_create("mm_check_test", 64, 0);
	void *obj = cache ? kmem_cache_alloc(cache) : NULL;
	unsigned lines;
	int err;

	ASSERT_NOT_NULL(t, obj);
	cache->nr_active++;                     /* counters no longer match the slabs */
	err = check_captured(mm_check_all, &lines);
	cache->nr_active--;
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_EQ(t, lines, 1);
	EXPECT_TRUE(t, ktest_contains(cap_buf, "slab_check: mm_check_test"));
	kmem_cache_free(cache, obj);
	kmem_cache_destroy(cache);
}

static void vmap_damage_is_reported(struct ktest *t)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long irq;
	unsigned lines;
	int err;

	irq = vmap_lock_all(s);
	s->busy[0].nr++;                        /* the zone's tree holds one fewer */
	vmap_unlock_all(s, irq);
	err = check_captured(mm_check_all, &lines);
	irq = vmap_lock_all(s);
	s->busy[0].nr--;
	vmap_unlock_all(s, irq);
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_GE(t, lines, 1);
	EXPECT_TRUE(t, ktest_contains(cap_buf, "vmap_check:"));
}

static void pgtable_damage_is_reported(struct ktest *t)
{
	unsigned long irq;
	unsigned lines;
	int err;

	irq = spin_lock_irqsave(&KPT->lock);
	KPT->nr_tables++;                       /* one table counted that is not there */
	spin_unlock_irqrestore(&KPT->lock, irq);
	err = check_captured(mm_check_all, &lines);
	irq = spin_lock_irqsave(&KPT->lock);
	KPT->nr_tables--;
	spin_unlock_irqrestore(&KPT->lock, irq);
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_EQ(t, lines, 1);
	EXPECT_TRUE(t, ktest_contains(cap_buf, "pgtable_check:"));
}

/* More bad leaves than the line limit: 8 lines and a count, not a flood. */
static void many_problems_are_summarised(struct ktest *t)
{
	unsigned long va = VMALLOC_END - 16 * PAGE_SIZE;
	struct page *frames[12];
	unsigned lines;

	require_free_vmalloc(t, va, 12 * PAGE_SIZE);
	frames[0] = alloc_page(0);
	ASSERT_NOT_NULL(t, frames[0]);
	for (unsigned i = 1; i < 12; i++)
		frames[i] = frames[0];
	ASSERT_EQ(t, pgtable_map_pages(KPT, va, frames, 12, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, check_captured(mm_check_vmalloc_ptes, &lines), -EINVAL);
	EXPECT_EQ(t, lines, 9);
	EXPECT_TRUE(t, ktest_contains(cap_buf, "vmalloc leaves: 4 more problems not shown"));
	EXPECT_EQ(t, pgtable_unmap(KPT, va, 12 * PAGE_SIZE, NULL, PGTABLE_FREE_TABLES), 0);
	free_page(frames[0]);
}

/* --- snapshots --------------------------------------------------------------- */

static void snapshot_sees_each_kind_of_leak(struct ktest *t)
{
	struct mm_snapshot a, b;
	struct page *page;
	void *obj, *v;

	mm_snapshot_take(&a);
	page = alloc_page(0);
	obj = kmalloc(64);
	v = vmalloc(3 * PAGE_SIZE);
	ASSERT_TRUE(t, page && obj && v);
	mm_snapshot_take(&b);
	EXPECT_FALSE(t, mm_snapshot_equal(&a, &b, NULL));
	EXPECT_ULE(t, b.free_frames, a.free_frames - 4);        /* 1 + 3 frames (+ slabs) */
	/* kmalloc, and vmalloc's vmap_area and page array (its vm_struct is in the area). */
	EXPECT_UGE(t, b.slab_objects, a.slab_objects + 3);
	EXPECT_EQ(t, b.vmap_busy, a.vmap_busy + 1);
	EXPECT_EQ(t, b.vmalloc_mapped, a.vmalloc_mapped + 3);
	free_page(page);
	kfree(obj);
	vfree(v);
	vm_unmap_aliases();
	mm_snapshot_take(&b);
	mm_snapshot_keep_vmalloc_tables(&a, &b);        /* the first vmalloc of a run */
	EXPECT_TRUE(t, mm_snapshot_equal(&a, &b, "after freeing"));
}

static void snapshot_report_names_each_counter(struct ktest *t)
{
	struct mm_snapshot a, b;
	struct ktest_capture cap;
	char want[96];

	mm_snapshot_take(&a);
	b = a;
	b.free_frames -= 1;
	b.warnings += 2;
	ktest_capture_start(&cap, cap_buf, sizeof(cap_buf), true);
	EXPECT_FALSE(t, mm_snapshot_equal(&a, &b, "leak"));
	EXPECT_EQ(t, ktest_capture_stop(&cap), 2);
	snprintf(want, sizeof(want), "mm_snapshot: leak: free_frames %lu -> %lu (-1)",
		 a.free_frames, a.free_frames - 1);
	EXPECT_TRUE(t, ktest_contains(cap_buf, want));
	snprintf(want, sizeof(want), "mm_snapshot: leak: warnings %lu -> %lu (+2)",
		 a.warnings, a.warnings + 2);
	EXPECT_TRUE(t, ktest_contains(cap_buf, want));
	EXPECT_TRUE(t, mm_snapshot_equal(&a, &a, "same"));
}

/* --- mm_check=always ---------------------------------------------------------- */

/* Stands for a public entry point: the hook names it and its caller. */
static __noinline void fake_public_op(void)
{
	mm_op_done("fake_public_op", RET_IP);
}

static void after_op_hook_runs_only_when_enabled(struct ktest *t)
{
	unsigned long va = VMALLOC_END - 2 * PAGE_SIZE, runs = mm_check_runs();
	struct ktest_capture cap;
	struct page *frame;

	mm_check_set_always(false);
	fake_public_op();
	EXPECT_EQ(t, mm_check_runs(), runs);    /* off: nothing runs */
	mm_check_set_always(true);
	fake_public_op();
	EXPECT_EQ(t, mm_check_runs(), runs + 1);
	require_free_vmalloc(t, va, PAGE_SIZE);
	frame = alloc_page(0);
	ASSERT_NOT_NULL(t, frame);
	ASSERT_EQ(t, pgtable_map_pages(KPT, va, &frame, 1, PROT_KERNEL_RW), 0);
	ktest_capture_start(&cap, cap_buf, sizeof(cap_buf), true);
	fake_public_op();
	ktest_capture_stop(&cap);
	mm_check_set_always(chk_always);
	EXPECT_EQ(t, pgtable_unmap(KPT, va, PAGE_SIZE, NULL, PGTABLE_FREE_TABLES), 0);
	free_page(frame);
	EXPECT_TRUE(t, ktest_contains(cap_buf, "outside any live vmalloc area"));
	EXPECT_TRUE(t, ktest_contains(cap_buf, "mm_check: inconsistent after fake_public_op "
				       "(caller after_op_hook_runs_only_when_enabled+"));
}

static void parse_accepts_always_and_off(struct ktest *t)
{
	bool on = false;

	EXPECT_EQ(t, mm_check_parse("always", &on), 0);
	EXPECT_TRUE(t, on);
	EXPECT_EQ(t, mm_check_parse("off", &on), 0);
	EXPECT_FALSE(t, on);
	on = true;
	EXPECT_EQ(t, mm_check_parse("", &on), -EINVAL);
	EXPECT_EQ(t, mm_check_parse("yes", &on), -EINVAL);
	EXPECT_EQ(t, mm_check_parse("always2", &on), -EINVAL);
	EXPECT_EQ(t, mm_check_parse(NULL, &on), -EINVAL);
	EXPECT_TRUE(t, on);                     /* untouched on error */
}

static const struct ktest_case mm_check_cases[] = {
	KTEST_CASE(all_checks_pass_with_live_areas),
	KTEST_CASE(stray_leaf_outside_any_area_is_reported),
	KTEST_CASE(leaf_in_guard_page_is_reported),
	KTEST_CASE(vmalloc_page_missing_or_wrong_is_reported),
	KTEST_CASE(pfa_damage_is_reported),
	KTEST_CASE(slab_damage_is_reported),
	KTEST_CASE(vmap_damage_is_reported),
	KTEST_CASE(pgtable_damage_is_reported),
	KTEST_CASE(many_problems_are_summarised),
	KTEST_CASE(snapshot_sees_each_kind_of_leak),
	KTEST_CASE(snapshot_report_names_each_counter),
	KTEST_CASE(after_op_hook_runs_only_when_enabled),
	KTEST_CASE(parse_accepts_always_and_off),
	{}
};

static const struct ktest_suite mm_check_suite = {
	.name = "mm_check",
	.cases = mm_check_cases,
	.suite_exit = chk_suite_exit,
	.init = chk_init,
	.exit = chk_exit,
};
KTEST_SUITE_REGISTER(mm_check_suite);
