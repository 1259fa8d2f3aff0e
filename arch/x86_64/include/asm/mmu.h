/*
 * asm/mmu.h for x86-64: the architecture's side of the MMU seam
 * (mm/arch_mmu.h is the portable side, and includes this file by the name
 * "asm/mmu.h"; the build puts arch/x86_64/include on the include path).
 *
 * 4-level paging (Intel SDM vol. 3A, chapter 4.5): a 48-bit virtual address
 * is cut into four 9-bit table indexes and a 12-bit page offset. Every
 * table holds 512 64-bit entries, at every level the same layout:
 *
 *   63  62..52  51.........12  11..9  8   7   6   5   4    3    2    1   0
 *   XD  ignored  frame address  AVL    G  PS/  D   A  PCD  PWT  U/S  R/W  P
 *                (bits 51:21 or 51:30 for huge leaves;  PAT
 *                 bit 12 is then their PAT bit)
 *
 * Level numbers in this kernel: 0 = page table (PTE, maps 4 KiB),
 * 1 = page directory (PDE, may map 2 MiB with PS), 2 = page-directory-
 * pointer table (PDPTE, may map 1 GiB with PS, needs CPUID pdpe1gb),
 * 3 = PML4 (always points to a table).
 *
 * Include mm/arch_mmu.h, not this file: it defines the portable PROT_* flags
 * these helpers translate.
 */
#ifndef ARCH_X86_64_ASM_MMU_H
#define ARCH_X86_64_ASM_MMU_H

#ifndef MM_ARCH_MMU_H
#error "include mm/arch_mmu.h instead of asm/mmu.h"
#endif

#include "asm/cpu.h"
#include "kernel/irqflags.h"
#include "kernel/types.h"

/* Entry bits, named as in the SDM (vol. 3A, tables 4-15 to 4-20). */
#define X86_PTE_P           (1ull << 0)     /* Present */
#define X86_PTE_RW          (1ull << 1)     /* Read/write: 0 = no writes */
#define X86_PTE_US          (1ull << 2)     /* User/supervisor: 1 = user access */
#define X86_PTE_PWT         (1ull << 3)     /* Page-level write-through */
#define X86_PTE_PCD         (1ull << 4)     /* Page-level cache disable */
#define X86_PTE_A           (1ull << 5)     /* Accessed */
#define X86_PTE_D           (1ull << 6)     /* Dirty (leaves) */
#define X86_PTE_PS          (1ull << 7)     /* Page size: a PDE/PDPTE that is a leaf */
#define X86_PTE_PAT         (1ull << 7)     /* PAT index bit 2, 4 KiB PTEs */
#define X86_PTE_G           (1ull << 8)     /* Global (leaves, with CR4.PGE) */
#define X86_PTE_PAT_LARGE   (1ull << 12)    /* PAT index bit 2, 2 MiB / 1 GiB leaves */
#define X86_PTE_XD          (1ull << 63)    /* Execute-disable (with EFER.NXE) */
#define X86_PTE_ADDR_MASK   0x000ffffffffff000ull   /* bits 51:12 */

/*
 * Cache modes are a 3-bit index into the PAT MSR: PAT:PCD:PWT. arch_mmu_init()
 * programs entry 1 as write-combining (Linux's layout); entries 0 (WB) and
 * 3 (UC) keep their power-on values.
 */
#define X86_PAT_MSR         0x277u
#define X86_PAT_WB          0x06ull
#define X86_PAT_WC          0x01ull
#define X86_PAT_WT          0x04ull
#define X86_PAT_UC_MINUS    0x07ull
#define X86_PAT_UC          0x00ull
#define X86_CACHE_WC        X86_PTE_PWT                 /* PAT index 1 */
#define X86_CACHE_UC        (X86_PTE_PCD | X86_PTE_PWT) /* PAT index 3 */

#define ARCH_PT_LEVELS      4
#define ARCH_PT_ENTRIES     512
#define ARCH_PT_INDEX_BITS  9
#define ARCH_VA_BITS        48
#define ARCH_PHYS_BITS      52      /* the most the entry format holds */

/* Bytes mapped by one entry at `level`: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
static inline unsigned arch_level_shift(int level)
{
	return 12 + ARCH_PT_INDEX_BITS * level;
}

/* An address is canonical if bits 63:47 are all equal (SDM 3.3.7.1). */
static inline bool arch_va_is_canonical(unsigned long va)
{
	return (unsigned long)((long)(va << (64 - ARCH_VA_BITS)) >> (64 - ARCH_VA_BITS)) == va;
}

static inline bool arch_pte_present(pte_t e)
{
	return e & X86_PTE_P;
}

/* True if `e` (present) maps memory rather than pointing to a table. */
static inline bool arch_pte_is_leaf(pte_t e, int level)
{
	return level == 0 || (e & X86_PTE_PS);
}

/* The frame address bits of an entry at `level` (drops a huge leaf's PAT bit). */
static inline u64 x86_addr_mask(int level)
{
	return X86_PTE_ADDR_MASK & ~((1ull << arch_level_shift(level)) - 1);
}

/* The first frame an entry maps (leaf) or the frame of the table it points to. */
static inline unsigned long arch_pte_pfn(pte_t e, int level)
{
	u64 mask = arch_pte_is_leaf(e, level) ? x86_addr_mask(level) : X86_PTE_ADDR_MASK;

	return (e & mask) >> 12;
}

/* The portable leaf bits (everything but the frame) for `prot` at `level`. */
static inline pte_t arch_pte_leaf_bits(unsigned prot, int level)
{
	pte_t e = X86_PTE_P;

	if (prot & PROT_WRITE)
		e |= X86_PTE_RW;
	if (!(prot & PROT_EXEC))
		e |= X86_PTE_XD;
	if (prot & PROT_GLOBAL)
		e |= X86_PTE_G;
	if (prot & PROT_NOCACHE)
		e |= X86_CACHE_UC;
	else if (prot & PROT_WRITECOMBINE)
		e |= X86_CACHE_WC;
	if (level > 0)
		e |= X86_PTE_PS;
	return e;
}

/* A leaf: `bits` from arch_pte_leaf_bits() plus frame `pfn`. */
static inline pte_t arch_pte_leaf(unsigned long pfn, pte_t bits)
{
	return ((pte_t)pfn << 12) | bits;
}

/*
 * An entry pointing to the table in frame `pfn`. Table entries allow
 * everything (writable, executable); the leaves decide.
 */
static inline pte_t arch_pte_table(unsigned long pfn)
{
	return ((pte_t)pfn << 12) | X86_PTE_P | X86_PTE_RW;
}

/* The PROT_* flags of a present leaf at `level`. */
static inline unsigned arch_pte_prot(pte_t e, int level)
{
	unsigned prot = PROT_READ;
	u64 pat_bit = level ? X86_PTE_PAT_LARGE : X86_PTE_PAT;
	u64 cache = e & (X86_PTE_PCD | X86_PTE_PWT | pat_bit);

	if (e & X86_PTE_RW)
		prot |= PROT_WRITE;
	if (!(e & X86_PTE_XD))
		prot |= PROT_EXEC;
	if (e & X86_PTE_G)
		prot |= PROT_GLOBAL;
	if (cache == X86_CACHE_UC)
		prot |= PROT_NOCACHE;
	else if (cache == X86_CACHE_WC)
		prot |= PROT_WRITECOMBINE;
	return prot;
}

/*
 * `e` with its permission and cache bits replaced by those of `prot`; the
 * frame and the accessed/dirty bits stay.
 */
static inline pte_t arch_pte_set_prot(pte_t e, int level, unsigned prot)
{
	u64 keep = x86_addr_mask(level) | X86_PTE_A | X86_PTE_D;

	return (e & keep) | arch_pte_leaf_bits(prot, level);
}

/* Invalidates this CPU's translation of `va` (and every paging-structure cache entry). */
static inline void arch_local_flush_tlb_page(unsigned long va)
{
	invlpg(va);
}

/*
 * Invalidates this CPU's whole TLB, global entries included: clearing
 * CR4.PGE flushes everything (SDM 4.10.4.1); before PGE is on, a CR3
 * reload does the same.
 */
static inline void arch_local_flush_tlb_all(void)
{
	unsigned long flags = irq_save();
	u64 cr4 = read_cr4();

	if (cr4 & X86_CR4_PGE) {
		write_cr4(cr4 & ~X86_CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
	irq_restore(flags);
}

/*
 * Ranges of more than this many pages are flushed with one full flush
 * instead of one INVLPG per page (tests/bench_pgtable.c measures the
 * crossover; docs/pgtable.md has the figures).
 */
#define ARCH_TLB_FLUSH_MAX_PAGES 64

/* The PAT and CR4 part of arch_mmu_init(), for each AP as it starts. */
void x86_mmu_init_cpu(void);

/*
 * This CPU's flush of `pages` pages from `start` (everything if more than
 * ARCH_TLB_FLUSH_MAX_PAGES); the shootdown's target side.
 */
void x86_local_flush_kernel_pages(unsigned long start, unsigned long pages);

#endif
