/* ioremap_uc/iounmap: a VM_IOREMAP area with an uncached mapping. */
#include "mm/ioremap.h"
#include "kernel/compiler.h"
#include "mm/arch_mmu.h"
#include "mm/pgtable.h"
#include "mm/vmalloc.h"

__noinline
void *ioremap_uc(phys_addr_t phys, unsigned long size)
{
	phys_addr_t base = phys & PAGE_MASK;
	unsigned long off = phys - base;
	unsigned long len = ALIGN_UP(size + off, PAGE_SIZE);
	struct vm_struct *area;

	area = __get_vm_area_node(len, PAGE_SIZE, VM_IOREMAP, KERNEL_AREAS_START,
				  KERNEL_AREAS_END, __builtin_return_address(0));
	if (!area)
		return NULL;
	area->phys_addr = base;
	if (pgtable_map_phys(&kernel_pgtable, (unsigned long)area->addr, base, len,
			     PROT_KERNEL_RW | PROT_NOCACHE, 0)) {
		free_vm_area(area);
		return NULL;
	}
	return (char *)area->addr + off;
}

void iounmap(void *addr)
{
	free_vm_area(find_vm_area(addr));
}
