/*
 * The vm_struct flags. Every combination, through get_vm_area(): the
 * legal ones (mm/vmalloc.c, flags_refused()) give an area that its free
 * function takes back whole, with no warning; every other one is refused
 * at creation with one warning line, leaving nothing behind. A snapshot of
 * the whole memory subsystem (after a purge) must equal the one before,
 * so a prebuilt table, a range or a vm_struct left behind fails the case.
 * And what VM_IOREMAP implies: alignment to the area's size.
 */
#include "tests/ktest.h"
#include "tests/mm_state.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"

#define FLAG_BITS       6       /* VM_FLAGS_ALL has six bits */

/* The i-th combination of the six bits of VM_FLAGS_ALL. */
static unsigned long combination(unsigned i)
{
	static const unsigned long bit[FLAG_BITS] = {
		VM_IOREMAP, VM_ALLOC, VM_MAP, VM_NO_GUARD, VM_SPARSE, VM_SPARSE_PREBUILT,
	};
	unsigned long flags = 0;

	for (unsigned b = 0; b < FLAG_BITS; b++)
		if (i & (1u << b))
			flags |= bit[b];
	return flags;
}

/* The kinds the documented table allows (written out again, independently). */
static bool is_legal(unsigned long flags)
{
	unsigned long kind = flags & ~VM_NO_GUARD;

	return kind == 0 || kind == VM_IOREMAP || kind == VM_MAP ||
	       kind == (VM_MAP | VM_IOREMAP) || kind == VM_ALLOC || kind == VM_SPARSE ||
	       kind == (VM_SPARSE | VM_SPARSE_PREBUILT);
}

/* The free function of a legal area; a page of each sparse one is mapped first. */
static void free_legal(struct vm_struct *area, struct page *frame)
{
	unsigned long va = (unsigned long)area->addr;

	if (area->flags & VM_ALLOC) {
		vfree(area->addr);
	} else if (area->flags & VM_MAP) {
		vunmap(area->addr);
	} else {
		if ((area->flags & VM_SPARSE) && !(area->flags & VM_NO_GUARD) &&
		    !vm_area_map_pages(area, va, va + PAGE_SIZE, &frame))
			vm_area_unmap_pages(area, va, va + PAGE_SIZE);
		free_vm_area(area);
	}
}

static void each_combination_is_freed_whole_or_refused(struct ktest *t)
{
	struct page *frame = alloc_page(PFA_ZERO);
	unsigned legal = 0;

	ASSERT_NOT_NULL(t, frame);
	for (unsigned i = 0; i < (1u << FLAG_BITS); i++) {
		unsigned long flags = combination(i);
		struct mm_snapshot before, after;
		struct ktest_capture cap;
		struct vm_struct *area;
		char text[256];
		unsigned lines;

		vm_unmap_aliases();
		mm_snapshot_take(&before);
		ktest_capture_start(&cap, text, sizeof(text), !is_legal(flags));
		area = get_vm_area(PAGE_SIZE, flags);
		if (area)
			free_legal(area, frame);
		lines = ktest_capture_stop(&cap);
		vm_unmap_aliases();
		mm_snapshot_take(&after);
		if (is_legal(flags)) {
			legal++;
			EXPECT_NOT_NULL(t, area);
			EXPECT_EQ(t, lines, 0);
		} else {
			EXPECT_NULL(t, area);
			EXPECT_EQ(t, lines, 1);
			EXPECT_TRUE(t, ktest_contains(text, "get_vm_area: flags"));
			before.warnings++;
		}
		mm_snapshot_keep_vmalloc_tables(&before, &after);
		EXPECT_TRUE(t, mm_snapshot_equal(&before, &after, "flags"));
		if (t->status == KTEST_FAIL) {
			ktest_log(t, "flags 0x%lx printed: %s", flags, text);
			break;
		}
	}
	EXPECT_EQ(t, legal, 14);        /* 7 kinds, each with and without VM_NO_GUARD */
	EXPECT_EQ(t, mm_check_all(), 0);
	free_page(frame);
}

/*
 * VM_IOREMAP areas start at a multiple of their size rounded up to a power
 * of two, capped at 1 GiB (Linux's rule), even right after a one-page area
 * has taken the lowest free range.
 */
static void ioremap_areas_are_aligned_to_their_size(struct ktest *t)
{
	static const struct { unsigned long size, align; } c[] = {
		{ PAGE_SIZE, PAGE_SIZE }, { 3 * PAGE_SIZE, 4 * PAGE_SIZE },
		{ (1ul << 20) + 1, 2ul << 20 }, { 2ul << 20, 2ul << 20 },
		{ 3ul << 30, 1ul << 30 },
	};
	struct vm_struct *big;

	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		struct vm_struct *filler = get_vm_area(PAGE_SIZE, 0);
		struct vm_struct *io = get_vm_area(c[i].size, VM_IOREMAP);

		ASSERT_TRUE(t, filler && io);
		if ((unsigned long)io->addr % c[i].align)
			KTEST_FAIL(t, "%lu bytes at %p: not a multiple of 0x%lx", c[i].size,
				   io->addr, c[i].align);
		EXPECT_EQ(t, io->size, ALIGN_UP(c[i].size, PAGE_SIZE) + PAGE_SIZE);
		free_vm_area(io);
		free_vm_area(filler);
	}
	/* A caller's larger alignment is kept (Linux would replace it by the size's). */
	big = __get_vm_area_node(PAGE_SIZE, 4ul << 20, VM_IOREMAP, VMALLOC_START, VMALLOC_END,
				 NULL);
	ASSERT_NOT_NULL(t, big);
	EXPECT_EQ(t, (unsigned long)big->addr % (4ul << 20), 0);
	free_vm_area(big);
	vm_unmap_aliases();
}

static const struct ktest_case vm_flags_cases[] = {
	KTEST_CASE(each_combination_is_freed_whole_or_refused),
	KTEST_CASE(ioremap_areas_are_aligned_to_their_size),
	{}
};
KTEST_SUITE(vm_flags, vm_flags_cases);
