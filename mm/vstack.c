/* Kernel stacks with a guard page below them (see vstack.h). */
#include "mm/vstack.h"
#include "mm/ioremap.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"

static void free_pages_of(struct page **pages, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (pages[i])
			free_page(pages[i]);
}

__noinline
int vstack_alloc(struct vstack *s, unsigned long size)
{
	struct page *pages[VSTACK_MAX_PAGES] = { 0 };
	unsigned long n = size / PAGE_SIZE;
	struct vm_struct *area;

	if (WARN_CALL(n == 0 || n > VSTACK_MAX_PAGES || size % PAGE_SIZE, "vstack_alloc",
		      RET_IP, "size %#lx is not 1 to %u pages", size, VSTACK_MAX_PAGES))
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
	s->area = area;
	if (vm_area_map_pages(area, s->bottom, s->top, pages) == 0)
		return 0;
fail:
	free_pages_of(pages, n);
	free_vm_area(area);
	*s = (struct vstack){ 0 };
	return -ENOMEM;
}

void vstack_free(struct vstack *s)
{
	struct page *pages[VSTACK_MAX_PAGES] = { 0 };
	unsigned long n = (s->top - s->bottom) / PAGE_SIZE;

	if (!s->area)
		return;
	for (unsigned long i = 0; i < n; i++)
		pages[i] = vmalloc_to_page((void *)(s->bottom + i * PAGE_SIZE));
	vm_area_unmap_pages(s->area, s->bottom, s->top);
	free_pages_of(pages, n);
	free_vm_area(s->area);
	*s = (struct vstack){ 0 };
}
