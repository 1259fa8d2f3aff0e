/*
 * The MMU seam: everything mm/ knows about the hardware page tables. The
 * generic walker (mm/pgtable.c) speaks in these terms only; the
 * architecture header included at the end supplies the bit layout as
 * static inline functions, so encoding an entry costs no call.
 *
 * What an architecture provides:
 *
 *   pte_t                          one table entry, at any level
 *   ARCH_PT_LEVELS, ARCH_PT_ENTRIES, ARCH_VA_BITS, ARCH_PHYS_BITS
 *   arch_level_shift(level)        log2 of the bytes one entry maps
 *   arch_va_is_canonical(va)
 *   arch_pte_present(e)            arch_pte_is_leaf(e, level)
 *   arch_pte_pfn(e, level)         arch_pte_prot(e, level)
 *   arch_pte_leaf_bits(prot, level)  arch_pte_leaf(pfn, bits)
 *   arch_pte_table(pfn)            arch_pte_set_prot(e, level, prot)
 *   arch_local_flush_tlb_page(va)  arch_local_flush_tlb_all()
 *
 * and the out-of-line functions declared below. Level 0 maps the smallest
 * page; level ARCH_PT_LEVELS - 1 is the root.
 */
#ifndef MM_ARCH_MMU_H
#define MM_ARCH_MMU_H

#include "kernel/types.h"

/*
 * Portable protection flags of a mapping. Every present mapping is
 * readable, so PROT_READ is required; there are no write-only or
 * execute-only pages. At most one cache mode.
 */
#define PROT_READ           (1u << 0)
#define PROT_WRITE          (1u << 1)
#define PROT_EXEC           (1u << 2)
#define PROT_GLOBAL         (1u << 3)   /* same in every address space: kernel */
#define PROT_NOCACHE        (1u << 4)   /* uncached (device registers) */
#define PROT_WRITECOMBINE   (1u << 5)   /* write-combining (frame buffers) */
#define PROT_ALL_FLAGS      (PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GLOBAL | \
			     PROT_NOCACHE | PROT_WRITECOMBINE)

/* The usual kernel protections. */
#define PROT_KERNEL_RW      (PROT_READ | PROT_WRITE | PROT_GLOBAL)
#define PROT_KERNEL_RO      (PROT_READ | PROT_GLOBAL)
#define PROT_KERNEL_RX      (PROT_READ | PROT_EXEC | PROT_GLOBAL)

/* True if `prot` is a combination the MMU can express (see above). */
static inline bool prot_is_valid(unsigned prot)
{
	return (prot & PROT_READ) && !(prot & ~PROT_ALL_FLAGS) &&
	       (prot & (PROT_NOCACHE | PROT_WRITECOMBINE)) !=
	       (PROT_NOCACHE | PROT_WRITECOMBINE);
}

typedef u64 pte_t;

/* The architecture's entry encoding: arch/<arch>/include/asm/mmu.h. */
#include "asm/mmu.h"

/* True if an entry at `level` (> 0) may be a leaf on this CPU. */
bool arch_level_has_huge(int level);

/*
 * The one function every invalidation of kernel mappings goes through:
 * drops the translations of [start, end) (bytes, page-aligned, end
 * exclusive; end 0 = the top of the address space) and every cached
 * upper-level entry, so freed page tables can be reused. Small ranges
 * page by page, large ones with a full flush that also drops global
 * entries. On this CPU, then on every other online CPU by IPI, waiting for
 * all of them (the TLB shootdown, docs/smp.md).
 */
void arch_flush_tlb_kernel_range(unsigned long start, unsigned long end);

/* arch_flush_tlb_kernel_range() of one page. */
void arch_flush_tlb_kernel_page(unsigned long va);

/* Flushes every translation, global ones included (through the function above). */
void arch_flush_tlb_kernel_all(void);

/*
 * Prepares the CPU for the kernel's page tables: detects which leaf sizes
 * exist (arch_level_has_huge() is valid after it), sets the paging
 * controls and cache modes the PROT_* flags rely on. Once, from
 * kernel_map_init() before the first table is built.
 */
void arch_mmu_init(void);

/* The physical address of the root table the CPU uses now. */
phys_addr_t arch_read_root(void);

/* Makes the CPU use the root table at `root` (flushes non-global entries). */
void arch_write_root(phys_addr_t root);

#endif
