/*
 * Kernel stacks in the vmalloc space (mm/vstack.h): what the CPU sees
 * through a stack (every byte writable, a fault just below it and just
 * above it), that freeing it unmaps at once and gives everything back,
 * bad sizes refused, and every failure point rolled back.
 */
#include "tests/ktest.h"
#include "tests/fault_points.h"
#include "kernel/errno.h"
#include "kernel/probe.h"
#include "mm/ioremap.h"
#include "mm/vmalloc.h"
#include "mm/vstack.h"

static void guards_fault_on_both_sides(struct ktest *t)
{
	struct vstack s;
	struct vm_struct *area;
	u64 v;

	ASSERT_EQ(t, vstack_alloc(&s, 2 * PAGE_SIZE), 0);
	EXPECT_EQ(t, s.top - s.bottom, 2 * PAGE_SIZE);
	EXPECT_GE(t, s.bottom, KERNEL_AREAS_START);
	EXPECT_LE(t, s.top, KERNEL_AREAS_END);
	area = find_vm_area((void *)s.bottom);
	ASSERT_TRUE(t, area == s.area);
	EXPECT_EQ(t, area->flags, VM_SPARSE);
	EXPECT_EQ(t, (unsigned long)area->addr, s.bottom - PAGE_SIZE);
	for (unsigned long a = s.bottom; a < s.top; a += 8) {
		ASSERT_EQ(t, probe_read_u64(a, &v), 0);
		ASSERT_EQ(t, v, 0);                     /* zeroed */
		ASSERT_EQ(t, probe_write_u64(a, a), 0);
	}
	EXPECT_EQ(t, *(u64 *)(s.top - 8), s.top - 8);
	EXPECT_EQ(t, probe_write_u64(s.bottom - 8, 1), -EFAULT);   /* run off the bottom */
	EXPECT_EQ(t, probe_read_u64(s.top, &v), -EFAULT);          /* the area's guard */
	vstack_free(&s);
}

static void free_unmaps_at_once_and_clears(struct ktest *t)
{
	struct vstack s;
	unsigned long bottom;
	u64 v;

	ASSERT_EQ(t, vstack_alloc(&s, VSTACK_MAX_PAGES * PAGE_SIZE), 0);
	bottom = s.bottom;
	ASSERT_EQ(t, probe_write_u64(bottom, 7), 0);
	vstack_free(&s);
	EXPECT_EQ(t, probe_read_u64(bottom, &v), -EFAULT);  /* no purge needed */
	EXPECT_EQ(t, s.bottom, 0);
	EXPECT_TRUE(t, s.area == NULL);
	vstack_free(&s);                                    /* a cleared one: ignored */
}

static void bad_sizes_are_refused(struct ktest *t)
{
	static const unsigned long sizes[] = {
		0, PAGE_SIZE + 1, PAGE_SIZE / 2, (VSTACK_MAX_PAGES + 1) * PAGE_SIZE,
	};
	struct vstack s;

	ktest_expect_warning(t, ARRAY_SIZE(sizes));
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
		EXPECT_EQ(t, vstack_alloc(&s, sizes[i]), -EINVAL);
}

static struct vstack swept;

static int sweep_alloc(void *ctx)
{
	return vstack_alloc(&swept, 3 * PAGE_SIZE);
}

static void sweep_free(void *ctx)
{
	vstack_free(&swept);
}

static void every_failure_point_leaves_nothing(struct ktest *t)
{
	struct fault_op op = { .name = "vstack_alloc_3_pages", .op = sweep_alloc,
			       .undo = sweep_free };
	struct fault_points pts;

	EXPECT_EQ(t, fault_inject_each_point(&op, NULL, &pts), 0);
	EXPECT_GE(t, pts.per_site[FAULT_PAGE_ALLOC], 3);    /* one per stack page at least */
	EXPECT_GE(t, pts.per_site[FAULT_SLAB], 1);          /* the area's structs */
}

static const struct ktest_case vstack_cases[] = {
	KTEST_CASE(guards_fault_on_both_sides),
	KTEST_CASE(free_unmaps_at_once_and_clears),
	KTEST_CASE(bad_sizes_are_refused),
	KTEST_CASE(every_failure_point_leaves_nothing),
	{}
};
KTEST_SUITE(vstack, vstack_cases);
