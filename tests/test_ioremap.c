/*
 * ioremap_uc()/iounmap() (mm/ioremap.h): a physical range, at any offset
 * in its page, mapped uncached in a VM_IOREMAP area of the window for
 * long-lived kernel areas, and gone again after iounmap() and a purge.
 * A RAM frame stands in for device registers: what the CPU reads through
 * the mapping must be what the frame holds.
 */
#include "tests/ktest.h"
#include "kernel/errno.h"
#include "kernel/probe.h"
#include "mm/ioremap.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/vmalloc.h"

static void maps_uncached_at_the_right_offset(struct ktest *t)
{
	struct page *frame = alloc_page(PFA_ZERO);
	phys_addr_t phys;
	struct vm_struct *area;
	struct pgtable_entry e;
	u64 *regs, v;

	ASSERT_NOT_NULL(t, frame);
	phys = page_to_phys(frame) + 0x40;
	((u64 *)page_address(frame))[8] = 0xfee1900d;
	regs = ioremap_uc(phys, 16);
	ASSERT_NOT_NULL(t, regs);
	EXPECT_EQ(t, (unsigned long)regs & (PAGE_SIZE - 1), 0x40);
	EXPECT_EQ(t, regs[0], 0xfee1900d);
	regs[1] = 0x5eed;
	EXPECT_EQ(t, ((u64 *)page_address(frame))[9], 0x5eed);
	area = find_vm_area(regs);
	ASSERT_NOT_NULL(t, area);
	EXPECT_EQ(t, area->flags, VM_IOREMAP);
	EXPECT_EQ(t, area->phys_addr, page_to_phys(frame));
	EXPECT_GE(t, (unsigned long)area->addr, KERNEL_AREAS_START);
	EXPECT_LT(t, (unsigned long)area->addr, KERNEL_AREAS_END);
	ASSERT_EQ(t, pgtable_query(&kernel_pgtable, (unsigned long)regs, &e), 0);
	EXPECT_TRUE(t, e.prot & PROT_NOCACHE);
	iounmap(regs);
	vm_unmap_aliases();
	EXPECT_EQ(t, probe_read_u64((unsigned long)regs, &v), -EFAULT);
	EXPECT_EQ(t, ((u64 *)page_address(frame))[8], 0xfee1900d);   /* the frame is untouched */
	free_page(frame);
}

static const struct ktest_case ioremap_cases[] = {
	KTEST_CASE(maps_uncached_at_the_right_offset),
	{}
};
KTEST_SUITE(ioremap, ioremap_cases);
