/*
 * x86-64 MMU primitives behind mm/arch_mmu.h: paging feature detection,
 * the PAT layout, the root table, and the TLB flushes of kernel mappings.
 */
#include "mm/arch_mmu.h"
#include "asm/cpu.h"
#include "kernel/smp.h"
#include "mm/layout.h"

#define CPUID_EXT_FEATURES  0x80000001u
#define CPUID_EXT_PDPE1GB   (1u << 26)      /* EDX: 1 GiB pages */

static bool has_1g_pages;

/*
 * The whole of CR4, written rather than ORed into what the firmware left:
 * PAE (long mode), PGE (global kernel pages), and SMEP/SMAP where CPUID
 * leaf 7 has them, so the kernel can neither run nor touch a user page
 * (it maps none; a stray pointer into one faults instead of obeying it).
 */
static u64 chosen_cr4(void)
{
	u32 max, b, c, d, leaf7_ebx = 0;
	u64 cr4 = X86_CR4_PAE | X86_CR4_PGE;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= X86_CPUID_STRUCT_EXT)
		cpuid(X86_CPUID_STRUCT_EXT, 0, &max, &leaf7_ebx, &c, &d);
	if (leaf7_ebx & X86_CPUID7_EBX_SMEP)
		cr4 |= X86_CR4_SMEP;
	if (leaf7_ebx & X86_CPUID7_EBX_SMAP)
		cr4 |= X86_CR4_SMAP;
	return cr4;
}

/*
 * arch_mmu_init() on x86-64: 1 GiB pages from CPUID 0x80000001, the PAT
 * (entry 1 = write-combining), and all of CR4 (chosen_cr4()).
 */
void arch_mmu_init(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000u, 0, &a, &b, &c, &d);
	if (a >= CPUID_EXT_FEATURES) {
		cpuid(CPUID_EXT_FEATURES, 0, &a, &b, &c, &d);
		has_1g_pages = d & CPUID_EXT_PDPE1GB;
	}
	x86_mmu_init_cpu();
}

void x86_mmu_init_cpu(void)
{
	/*
	 * PAT entries 0-3: WB, WC, UC-, UC. Only entry 1 changes from its
	 * power-on value (WT); nothing is mapped WT or WC yet, so no cache
	 * flush is needed first. Every CPU must have the same PAT.
	 */
	u64 pat = rdmsr(X86_PAT_MSR) & ~0xffffffffull;

	pat |= X86_PAT_WB | X86_PAT_WC << 8 | X86_PAT_UC_MINUS << 16 | X86_PAT_UC << 24;
	wrmsr(X86_PAT_MSR, pat);
	write_cr4(chosen_cr4());
}

bool arch_level_has_huge(int level)
{
	return level == 1 || (level == 2 && has_1g_pages);
}

void x86_local_flush_kernel_pages(unsigned long start, unsigned long pages)
{
	if (pages > ARCH_TLB_FLUSH_MAX_PAGES) {
		arch_local_flush_tlb_all();
		return;
	}
	for (unsigned long i = 0; i < pages; i++)
		arch_local_flush_tlb_page(start + (i << PAGE_SHIFT));
}

/*
 * The choke point of every kernel TLB invalidation: `pages` pages from
 * `start`, on this CPU and then, by IPI, on every other online CPU.
 */
static void flush_kernel_pages(unsigned long start, unsigned long pages)
{
	x86_local_flush_kernel_pages(start, pages);
	smp_flush_tlb_others(start, pages);
}

void arch_flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	/* Unsigned wrap-around makes end == 0 (top of memory) work. */
	flush_kernel_pages(start, (end - start) >> PAGE_SHIFT);
}

void arch_flush_tlb_kernel_page(unsigned long va)
{
	flush_kernel_pages(va, 1);
}

void arch_flush_tlb_kernel_all(void)
{
	flush_kernel_pages(0, ~0ul);
}

phys_addr_t arch_read_root(void)
{
	return read_cr3() & X86_PTE_ADDR_MASK;
}

void arch_write_root(phys_addr_t root)
{
	write_cr3(root);
}
