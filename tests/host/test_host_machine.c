/*
 * host_machine: the simulated machine itself (arch/host, docs/host.md).
 * The kernel's suites trust it to behave like the CPU; these cases check
 * that it does: the host's asm/ headers are in use, the direct map is the
 * RAM, the MMU reads the tables mm/ built and sets accessed/dirty bits, the TLB
 * keeps a translation until it is flushed (so a missing flush fails on
 * the host too), global entries survive a CR3 reload, faults reach the
 * kernel's report, and every machine boots.
 *
 * Scratch mappings go where test_pgtable puts its own: the unowned range
 * after the direct map.
 */
#include "tests/host/host_tests.h"
#include "asm/cpu.h"
#include "kernel/errno.h"
#include "kernel/probe.h"
#include "mm/arch_mmu.h"
#include "mm/init.h"
#include "mm/layout.h"
#include "mm/memmap.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/vmalloc.h"
#include "tests/ktest.h"

/* Compile-time half of the first case: built with arch/host/include/asm. */
_Static_assert(DIRECT_MAP_BASE == 0x200000000000ul || DIRECT_MAP_BASE == 0x1000000000ul,
	       "the host build needs the host's asm/layout.h");

#define KPT             (&kernel_pgtable)
#define SCRATCH         (DIRECT_MAP_BASE + DIRECT_MAP_SIZE + (8ul << 30))

static struct page *scratch_page;

static int scratch_init(struct ktest *t)
{
	scratch_page = alloc_page(PFA_ZERO);
	return scratch_page ? 0 : -ENOMEM;
}

static void scratch_exit(struct ktest *t)
{
	pgtable_unmap(KPT, SCRATCH, 16 * PAGE_SIZE, NULL, PGTABLE_FREE_TABLES);
	free_page(scratch_page);
	EXPECT_EQ(t, sim_tlb_for_each_stale(NULL, NULL), 0);
}

static void read_word(void *addr)
{
	(void)*(volatile u64 *)addr;
}

/* A read that must fault: its report is declared. */
static bool read_faults(struct ktest *t, unsigned long va)
{
	static struct ktest_fault fault;

	ktest_expect_fault(t, 1);
	return ktest_catch_fault(t, read_word, (void *)va, &fault);
}

static void asm_headers_are_the_hosts(struct ktest *t)
{
	u32 a, b, c, d;

	EXPECT_EQ(t, read_cr3(), kernel_pgtable.root_phys);    /* kernel_map_init() loaded it */
	EXPECT_TRUE(t, read_cr4() & X86_CR4_PGE);              /* arch_mmu_init() set it */
	EXPECT_EQ(t, rdmsr(X86_PAT_MSR) & 0xffffffffull, 0x00070106ull);      /* WC at entry 1 */
	cpuid(0x80000001u, 0, &a, &b, &c, &d);
	EXPECT_EQ(t, !!(d & (1u << 26)), arch_level_has_huge(PT_LEVEL_PUD));
	EXPECT_EQ(t, DIRECT_MAP_BASE, 0x200000000000ul);
}

static void direct_map_is_the_ram(struct ktest *t)
{
	struct page *page = alloc_page(0);
	struct pgtable_entry e;
	u64 *p, v = 0;

	ASSERT_NOT_NULL(t, page);
	p = page_address(page);
	EXPECT_EQ(t, (unsigned long)p, DIRECT_MAP_BASE + page_to_phys(page));
	p[3] = 0x1234;
	/* The simulated CPU reaches the same byte through the kernel's direct map. */
	EXPECT_EQ(t, sim_read(&v, (unsigned long)&p[3], 8), 0);
	EXPECT_EQ(t, v, 0x1234ull);
	EXPECT_EQ(t, pgtable_query(KPT, (unsigned long)p, &e), 0);
	EXPECT_EQ(t, pgtable_entry_phys(&e, (unsigned long)p), page_to_phys(page));
	/* A hole of the memory map is not mapped: it faults, as in the kernel. */
	EXPECT_TRUE(t, read_faults(t, DIRECT_MAP_BASE + 0xa0000));
	free_page(page);
}

static void walk_agrees_with_the_tables(struct ktest *t)
{
	static const unsigned prots[] = { PROT_KERNEL_RW, PROT_KERNEL_RO, PROT_KERNEL_RX };
	phys_addr_t pa;
	bool w, x;

	for (unsigned i = 0; i < ARRAY_SIZE(prots); i++) {
		unsigned long va = SCRATCH + i * PAGE_SIZE;

		ASSERT_EQ(t, pgtable_map_pages(KPT, va, &scratch_page, 1, prots[i]), 0);
		ASSERT_EQ(t, sim_walk(va + 8, &pa, &w, &x), 0);
		EXPECT_EQ(t, pa, page_to_phys(scratch_page) + 8);
		EXPECT_EQ(t, w, !!(prots[i] & PROT_WRITE));
		EXPECT_EQ(t, x, !!(prots[i] & PROT_EXEC));
	}
	EXPECT_EQ(t, sim_walk(SCRATCH + 3 * PAGE_SIZE, &pa, &w, &x), -EFAULT);
}

static void cpu_sets_accessed_and_dirty(struct ktest *t)
{
	volatile u64 *p = (volatile u64 *)SCRATCH;
	u64 e;

	ASSERT_EQ(t, pgtable_map_pages(KPT, SCRATCH, &scratch_page, 1, PROT_KERNEL_RW), 0);
	ASSERT_EQ(t, sim_leaf_entry(SCRATCH, &e), 0);
	EXPECT_FALSE(t, e & (X86_PTE_A | X86_PTE_D));
	(void)*p;
	ASSERT_EQ(t, sim_leaf_entry(SCRATCH, &e), 0);
	EXPECT_TRUE(t, e & X86_PTE_A);
	EXPECT_FALSE(t, e & X86_PTE_D);
	*p = 7;
	ASSERT_EQ(t, sim_leaf_entry(SCRATCH, &e), 0);
	EXPECT_TRUE(t, e & X86_PTE_D);
	EXPECT_EQ(t, *(u64 *)page_address(scratch_page), 7ull);
}

/* The point of the model: without the flush the old translation still works. */
static void stale_translation_lives_until_flushed(struct ktest *t)
{
	volatile u64 *p = (volatile u64 *)(SCRATCH + PAGE_SIZE);
	u64 v = 0;

	*(u64 *)page_address(scratch_page) = 0xfeed;
	ASSERT_EQ(t, pgtable_map_pages(KPT, SCRATCH + PAGE_SIZE, &scratch_page, 1, PROT_KERNEL_RW), 0);
	EXPECT_EQ(t, *p, 0xfeedull);                           /* cached now */
	ASSERT_EQ(t, pgtable_unmap_noflush(KPT, SCRATCH + PAGE_SIZE, PAGE_SIZE, NULL), 0);
	EXPECT_EQ(t, *p, 0xfeedull);                           /* stale, still works */
	EXPECT_EQ(t, probe_read_u64(SCRATCH + PAGE_SIZE, &v), 0);
	EXPECT_EQ(t, sim_tlb_for_each_stale(NULL, NULL), 1);
	pgtable_flush_range(KPT, SCRATCH + PAGE_SIZE, SCRATCH + 2 * PAGE_SIZE);
	EXPECT_EQ(t, sim_tlb_for_each_stale(NULL, NULL), 0);
	EXPECT_TRUE(t, read_faults(t, SCRATCH + PAGE_SIZE));
	EXPECT_EQ(t, probe_read_u64(SCRATCH + PAGE_SIZE, &v), -EFAULT);
}

/*
 * vfree() leaves its translations (the frames are already free: using
 * them is a use-after-free that reads the allocator's poison); the purge
 * drops them all with one flush of the lazy span.
 */
static void vfree_leaves_the_flush_to_the_purge(struct ktest *t)
{
	struct host_cpu_stats before, after;
	unsigned long pages = 4;
	u8 *p;

	vm_unmap_aliases();
	p = vmalloc(pages * PAGE_SIZE);
	ASSERT_NOT_NULL(t, p);
	for (unsigned long i = 0; i < pages; i++)
		p[i * PAGE_SIZE] = 1;
	host_cpu_get_stats(&before);
	vfree(p);
	host_cpu_get_stats(&after);
	EXPECT_EQ(t, after.invlpg, before.invlpg);
	EXPECT_EQ(t, after.pge_toggles, before.pge_toggles);
	EXPECT_EQ(t, sim_tlb_for_each_stale(NULL, NULL), pages);
	if (KCONFIG_DEBUG)
		EXPECT_EQ(t, *(volatile u64 *)p, 0x6b6b6b6b6b6b6b6bull);      /* the poison */
	vm_unmap_aliases();
	host_cpu_get_stats(&after);
	/* One flush of the span (the area and its guard page): page by page, or a full one. */
	EXPECT_TRUE(t, (after.invlpg - before.invlpg == pages + 1 &&
			after.pge_toggles == before.pge_toggles) ||
		       (after.invlpg == before.invlpg && after.pge_toggles == before.pge_toggles + 2));
	EXPECT_EQ(t, sim_tlb_for_each_stale(NULL, NULL), 0);
	EXPECT_TRUE(t, read_faults(t, (unsigned long)p));
}

static void global_translations_survive_a_cr3_reload(struct ktest *t)
{
	volatile u64 *p = (volatile u64 *)(SCRATCH + 2 * PAGE_SIZE);

	ASSERT_EQ(t, pgtable_map_pages(KPT, SCRATCH + 2 * PAGE_SIZE, &scratch_page, 1, PROT_KERNEL_RW), 0);
	(void)*p;
	ASSERT_EQ(t, pgtable_unmap_noflush(KPT, SCRATCH + 2 * PAGE_SIZE, PAGE_SIZE, NULL), 0);
	write_cr3(read_cr3());                  /* drops non-global entries only */
	EXPECT_EQ(t, sim_tlb_for_each_stale(NULL, NULL), 1);
	arch_local_flush_tlb_all();             /* CR4.PGE toggle: drops everything */
	EXPECT_EQ(t, sim_tlb_for_each_stale(NULL, NULL), 0);
	EXPECT_TRUE(t, read_faults(t, SCRATCH + 2 * PAGE_SIZE));
}

static void unresolved_fault_gets_the_kernels_report(struct ktest *t)
{
	static struct ktest_fault fault;

	ktest_expect_fault(t, 1);
	ASSERT_TRUE(t, ktest_catch_fault(t, read_word, (void *)(SCRATCH + 5 * PAGE_SIZE + 16), &fault));
	EXPECT_TRUE(t, fault.info.page_fault);
	EXPECT_EQ(t, fault.info.addr, SCRATCH + 5 * PAGE_SIZE + 16);
	EXPECT_FALSE(t, fault.info.present);
	EXPECT_TRUE(t, ktest_contains(fault.report, "BUG: unable to handle page fault for address"));
	EXPECT_TRUE(t, ktest_contains(fault.report, "read_word"));
}

/* Every machine boots, passes the checkers, and has the RAM its map says. */
static void every_machine_boots(struct ktest *t)
{
	static const char *const names[] = { "small", "bios-128m", "bios-6g" };
	struct ktest_capture cap;
	static char log[256];

	ktest_no_leak_check(t, "boots other machines: every counter starts over");
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		const struct host_machine *m = host_machine_find(names[i]);
		bool above_4g = false;
		int check;

		ASSERT_NOT_NULL(t, m);
		ktest_capture_start(&cap, log, sizeof(log), true);
		host_machine_init(m, "ktest");
		mm_init();
		check = mm_check_all();
		ktest_capture_stop(&cap);
		ktest_log(t, "%s: %llu MiB RAM, %lu frames free", names[i],
			  (unsigned long long)(memmap_ram_bytes() >> 20), pfa_free_pages());
		EXPECT_EQ(t, check, 0);
		EXPECT_EQ(t, memmap_ram_end(), host_ram_top());
		for (unsigned r = 0; r < memmap_ram()->count; r++)
			above_4g |= memmap_ram()->range[r].end > (4ull << 30);
		EXPECT_EQ(t, above_4g, !strcmp(names[i], "bios-6g"));
	}
	host_tests_reboot();
	/* The rebooted machine has every frame free: the suite's exit frees a new one. */
	scratch_page = alloc_page(PFA_ZERO);
	ASSERT_NOT_NULL(t, scratch_page);
}

static const struct ktest_case host_machine_cases[] = {
	KTEST_CASE(asm_headers_are_the_hosts),
	KTEST_CASE(direct_map_is_the_ram),
	KTEST_CASE(walk_agrees_with_the_tables),
	KTEST_CASE(cpu_sets_accessed_and_dirty),
	KTEST_CASE(stale_translation_lives_until_flushed),
	KTEST_CASE(vfree_leaves_the_flush_to_the_purge),
	KTEST_CASE(global_translations_survive_a_cr3_reload),
	KTEST_CASE(unresolved_fault_gets_the_kernels_report),
	KTEST_CASE(every_machine_boots),
	{}
};

static const struct ktest_suite host_machine_suite = {
	.name = "host_machine",
	.cases = host_machine_cases,
	.init = scratch_init,
	.exit = scratch_exit,
};
KTEST_SUITE_REGISTER(host_machine_suite);
