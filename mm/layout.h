/*
 * The kernel's virtual address layout (4-level paging, 48-bit; the same
 * places as Linux x86-64) and the one set of address conversions.
 *
 *   0x0000000000000000 - 0x00007fffffffffff  128 TiB  unmapped after boot
 *   0xffff888000000000 - 0xffffc87fffffffff   64 TiB  direct map of all RAM
 *   0xffffc90000000000 - 0xffffe8ffffffffff   32 TiB  vmalloc/vmap/VM_SPARSE
 *   0xffffffff80000000 - 0xffffffff9fffffff  512 MiB  kernel image
 */
#ifndef MM_LAYOUT_H
#define MM_LAYOUT_H

#include "kernel/types.h"

/* DIRECT_MAP_BASE/SIZE, VMALLOC_START/END, KERNEL_VMA, KERNEL_IMAGE_END:
 * arch/<arch>/include/asm/layout.h */
#include "asm/layout.h"

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1ul << PAGE_SHIFT)
#define PAGE_MASK       (~(PAGE_SIZE - 1))

/* Physical address -> its alias in the direct map. */
static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(pa + DIRECT_MAP_BASE);
}

/*
 * Kernel virtual address (direct map or kernel image) -> physical address.
 * Not for vmalloc addresses: those go through the page tables.
 */
static inline phys_addr_t virt_to_phys(const void *va)
{
	unsigned long a = (unsigned long)va;

	if (a >= KERNEL_VMA)
		return a - KERNEL_VMA;
	return a - DIRECT_MAP_BASE;
}

static inline bool is_direct_map_addr(unsigned long a)
{
	return a >= DIRECT_MAP_BASE && a < DIRECT_MAP_BASE + DIRECT_MAP_SIZE;
}

/* Section boundaries from linker.ld (kernel virtual addresses). */
extern char _text[], _etext[], _rodata[], _erodata[], _data[], _edata[];
extern char _bss[], _ebss[];
extern char _kernel_phys_start[], _kernel_phys_end[];
/* The page below the boot stack (boot/entry.asm), left unmapped. */
extern char boot_stack_guard[];

#endif
