/*
 * `mmdemo`: one area of each kind, left in place, then the kernel's own
 * printers over them (see kernel/mm_demo.h). The calls are the ones
 * docs/walkthrough.md follows: vmalloc(3 pages) and vm_area_map_pages().
 */
#include "kernel/mm_demo.h"
#include "kernel/cmdline.h"
#include "kernel/compiler.h"
#include "kernel/mm_picture.h"
#include "kernel/printk.h"
#include "mm/ioremap.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/ptdump.h"
#include "mm/vmalloc.h"

#define DEMO_SPARSE_PAGES       8
#define DEMO_IOREMAP_PHYS       0xb8000ul       /* VGA text memory: there on every PC */

/* The addresses and frames the printers are asked about. */
struct demo {
	void *vmalloc3, *vmapped, *io;
	struct vm_struct *sparse;
	struct page *vmap_pages[2], *sparse_pages[3];
};

static __noinline void demo_vmap(struct demo *d)
{
	for (unsigned i = 0; i < ARRAY_SIZE(d->vmap_pages); i++)
		d->vmap_pages[i] = alloc_page(PFA_ZERO);
	d->vmapped = vmap(d->vmap_pages, ARRAY_SIZE(d->vmap_pages), 0, PROT_KERNEL_RW);
	printk("mmdemo: vmap(2 pages) = 0x%lx\n", (unsigned long)d->vmapped);
}

/* Pages 0-1 and 5 of an 8-page sparse area: two calls, a hole between. */
static __noinline void demo_sparse(struct demo *d)
{
	unsigned long a;

	d->sparse = get_vm_area(DEMO_SPARSE_PAGES * PAGE_SIZE, VM_SPARSE);
	if (!d->sparse)
		return;
	a = (unsigned long)d->sparse->addr;
	for (unsigned i = 0; i < ARRAY_SIZE(d->sparse_pages); i++)
		d->sparse_pages[i] = alloc_page(PFA_ZERO);
	vm_area_map_pages(d->sparse, a, a + 2 * PAGE_SIZE, d->sparse_pages);
	vm_area_map_pages(d->sparse, a + 5 * PAGE_SIZE, a + 6 * PAGE_SIZE, &d->sparse_pages[2]);
	printk("mmdemo: sparse area 0x%lx (%d pages): vm_area_map_pages mapped pages 0-1 and 5\n",
	       a, DEMO_SPARSE_PAGES);
}

static __noinline void demo_allocate(struct demo *d)
{
	void *gone;

	d->vmalloc3 = vmalloc(3 * PAGE_SIZE);
	printk("mmdemo: vmalloc(3 pages) = 0x%lx\n", (unsigned long)d->vmalloc3);
	demo_vmap(d);
	demo_sparse(d);
	d->io = ioremap_uc(DEMO_IOREMAP_PHYS, PAGE_SIZE);
	printk("mmdemo: ioremap_uc(0x%lx) = 0x%lx\n", DEMO_IOREMAP_PHYS, (unsigned long)d->io);
	gone = vmalloc(PAGE_SIZE);
	vfree(gone);
	printk("mmdemo: vmalloc(1 page) = 0x%lx, vfree'd: unpurged until the next purge\n",
	       (unsigned long)gone);
}

/* "RW NX GLB": the protection words scripts/gdb/mm.py prints too. */
static void print_translation(unsigned long va)
{
	static const char *const levels[] = { "pte", "pmd", "pud", "pgd" };
	struct pgtable_entry e;

	if (pgtable_query(&kernel_pgtable, va, &e)) {
		printk("mmdemo: translate 0x%016lx -> not mapped\n", va);
		return;
	}
	printk("mmdemo: translate 0x%016lx -> phys 0x%llx %s %s%s%s %s\n", va,
	       (unsigned long long)pgtable_entry_phys(&e, va), levels[e.level],
	       e.prot & PROT_WRITE ? "RW" : "ro",
	       e.prot & PROT_NOCACHE ? " UC" : e.prot & PROT_WRITECOMBINE ? " WC" : "",
	       e.prot & PROT_GLOBAL ? " GLB" : "", e.prot & PROT_EXEC ? "x" : "NX");
}

static void print_page(const struct page *p)
{
	if (!p)
		return;
	printk("mmdemo: page pfn 0x%x phys 0x%llx state %s order %u flags 0x%x private 0x%lx\n",
	       p->pfn, (unsigned long long)page_to_phys(p), page_state_name(page_state(p)),
	       p->order, p->flags, p->private);
}

static void demo_print(const struct demo *d)
{
	unsigned long sparse = d->sparse ? (unsigned long)d->sparse->addr : 0;
	const unsigned long vas[] = {
		(unsigned long)d->vmalloc3, (unsigned long)d->vmalloc3 + 3 * PAGE_SIZE,
		(unsigned long)d->vmapped + PAGE_SIZE + 0x10, sparse, sparse + 3 * PAGE_SIZE,
		sparse + 5 * PAGE_SIZE, (unsigned long)d->io,
		(unsigned long)page_address(d->vmap_pages[0]), (unsigned long)mm_demo_run,
	};

	vmallocinfo_print();
	printk("mmdemo: buddyinfo\n");
	pfa_print();
	for (unsigned i = 0; i < ARRAY_SIZE(vas); i++)
		print_translation(vas[i]);
	print_page(vmalloc_to_page(d->vmalloc3));
	print_page(d->vmap_pages[0]);
	print_page(d->sparse_pages[2]);
	ptdump_kernel();
}

void mm_demo_run(void)
{
	struct demo d = { 0 };

	demo_allocate(&d);
	demo_print(&d);
	if (cmdline_has("picture"))
		mm_picture_print();
	printk("mmdemo: done\n");
}
