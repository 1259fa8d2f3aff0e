/*
 * ioremap: device registers mapped into the vmalloc space, in a
 * VM_IOREMAP area (get_vm_area + pgtable_map_phys), uncached.
 *
 * The kernel's long-lived areas (these and the CPUs' stacks, mm/vstack.h)
 * are taken lowest fit from the last GiB but one of the vmalloc space,
 * away from both ends, which tests use for edge cases (the first area at
 * VMALLOC_START, areas touching VMALLOC_END).
 */
#ifndef MM_IOREMAP_H
#define MM_IOREMAP_H

#include "kernel/types.h"
#include "mm/layout.h"

#define KERNEL_AREAS_START      (VMALLOC_END - (2ul << 30))
#define KERNEL_AREAS_END        (VMALLOC_END - (1ul << 30))

/*
 * Maps `size` bytes of physical address `phys` (any alignment) read/write,
 * uncached, non-executable. Returns the virtual address of `phys`, or NULL
 * (no space, no memory for page tables).
 */
void *ioremap_uc(phys_addr_t phys, unsigned long size);

/* Unmaps what ioremap_uc() returned (flushed with the next lazy purge). */
void iounmap(void *addr);

#endif
