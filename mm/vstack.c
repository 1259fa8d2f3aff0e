/* Kernel stacks with a guard page below them (see vstack.h). */
#include "mm/vstack.h"
#include "mm/ioremap.h"
#include "kernel/errno.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"

#define VSTACK_MAX_PAGES 8

int vstack_alloc(struct vstack *s, unsigned long size)
{
	struct page *pages[VSTACK_MAX_PAGES] = { 0 };
	unsigned long n = size / PAGE_SIZE;
	struct vm_struct *area;

	if (n == 0 || n > VSTACK_MAX_PAGES)
		return -EINVAL;
	area = __get_vm_area_node(PAGE_SIZE + size, PAGE_SIZE, VM_SPARSE, KERNEL_AREAS_START,
				  KERNEL_AREAS_END, __builtin_return_address(0));
	if (!area)
		return -ENOMEM;
	for (unsigned long i = 0; i < n; i++)
		if (!(pages[i] = alloc_page(PFA_ZERO)))
			goto fail;
	s->bottom = (unsigned long)area->addr + PAGE_SIZE;
	s->top = s->bottom + size;
	if (vm_area_map_pages(area, s->bottom, s->top, pages) == 0)
		return 0;
fail:
	for (unsigned long i = 0; i < n; i++)
		free_page(pages[i]);
	free_vm_area(area);
	return -ENOMEM;
}
