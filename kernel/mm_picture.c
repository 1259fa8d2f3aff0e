/*
 * The dump `make picture` draws (format in kernel/mm_picture.h): the
 * layout, the vmap areas, the mapped runs of the vmalloc space and the
 * physical frames, each from the structure that owns it.
 */
#include "kernel/mm_picture.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "mm/pgtable.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

static void print_regions(void)
{
	static const struct { unsigned long start, end; const char *name; } regions[] = {
		{ 0, 0x0000800000000000ul, "Low half (empty)" },
		{ DIRECT_MAP_BASE, DIRECT_MAP_BASE + DIRECT_MAP_SIZE, "Direct map" },
		{ VMALLOC_START, VMALLOC_END, "vmalloc" },
		{ KERNEL_VMA, KERNEL_IMAGE_END, "Kernel image" },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(regions); i++)
		printk("picture: region 0x%lx 0x%lx %s\n", regions[i].start, regions[i].end,
		       regions[i].name);
}

static const char *area_kind(const struct vm_struct *v)
{
	if (!v)
		return "vm_map_ram";
	if (v->flags & VM_IOREMAP)
		return "ioremap";
	if (v->flags & VM_SPARSE)
		return "sparse";
	if (v->flags & VM_ALLOC)
		return "vmalloc";
	if (v->flags & VM_MAP)
		return "vmap";
	return "vm_area";
}

static void print_area(const struct vmap_area *va, bool lazy)
{
	const struct vm_struct *v = lazy ? NULL : va->vm;
	bool guard = v && !(v->flags & VM_NO_GUARD);

	char caller[96] = "-";

	if (v && v->caller)
		ksym_format(caller, sizeof(caller), (unsigned long)v->caller);
	printk("picture: area 0x%lx 0x%lx %s %d %u %s\n", va->va_start, va->va_end,
	       lazy ? "unpurged" : area_kind(v), guard, v ? v->nr_pages : 0, caller);
}

/* Busy areas, then each CPU's lazily freed ones, with every lock of the space held. */
static void print_areas(void)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long irq = vmap_lock_all(s);
	struct vmap_busy_iter it;

	for (struct vmap_area *va = vmap_busy_first(&it, s, s->start); va;
	     va = vmap_busy_next(&it))
		print_area(va, false);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		for (struct vmap_area *va = s->cpu[cpu].lazy; va; va = va->next)
			print_area(va, true);
	vmap_unlock_all(s, irq);
}

struct run {
	unsigned long start, end;       /* start == end: none yet */
};

static void flush_mapped(struct run *r)
{
	if (r->start != r->end)
		printk("picture: mapped 0x%lx 0x%lx\n", r->start, r->end);
	r->start = r->end = 0;
}

static int add_leaf(const struct pgtable_entry *e, void *ctx)
{
	struct run *r = ctx;

	if (!e->leaf)
		return 0;
	if (e->va != r->end) {
		flush_mapped(r);
		r->start = e->va;
	}
	r->end = e->va + e->size;
	return 0;
}

static void print_mapped(void)
{
	struct run r = { 0, 0 };

	pgtable_walk(&kernel_pgtable, VMALLOC_START, VMALLOC_END, add_leaf, &r);
	flush_mapped(&r);
}

/* Frames of a block headed by `page`: 2^order for buddy blocks, else one. */
static unsigned long block_frames(const struct page *page)
{
	if (page->state == PAGE_FREE || page_is_allocated(page))
		return 1ul << page->order;
	return 1;
}

struct frame_run {
	unsigned long pfn, count;
	unsigned state, order;
};

static void flush_frames(struct frame_run *r)
{
	if (r->count)
		printk("picture: frames 0x%lx %lu %s %u\n", r->pfn, r->count,
		       page_state_name((enum page_state)r->state), r->order);
	r->count = 0;
}

/* Runs of blocks with the same state and order, section holes left out. */
static void print_frames(void)
{
	unsigned long end = nr_mem_sections << PFN_SECTION_SHIFT, pfn = 0;
	struct frame_run r = { 0 };

	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);
		unsigned long n;

		if (!page) {
			flush_frames(&r);
			pfn = (pfn | SECTION_PFN_MASK) + 1;
			continue;
		}
		n = block_frames(page);
		if (!r.count || r.pfn + r.count != pfn || r.state != page->state ||
		    r.order != page->order) {
			flush_frames(&r);
			r = (struct frame_run){ pfn, 0, page->state, page->order };
		}
		r.count += n;
		pfn += n;
	}
	flush_frames(&r);
}

void mm_picture_print(void)
{
	printk("picture: begin\n");
	print_regions();
	print_areas();
	print_mapped();
	print_frames();
	printk("picture: end\n");
}
