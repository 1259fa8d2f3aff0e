/*
 * `translate VA`: the page-table walk of one address, every level's entry
 * with its bits decoded (the x86 names come from arch/x86_64/pte_decode.c),
 * then the frame and its struct page; `page PFN`: one struct page.
 */
#include "kernel/shell/shell_internal.h"
#include "arch/x86_64/pte_decode.h"
#include "kernel/printk.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

/* The owner's word, in words where the state says what it is. */
static void print_private(const struct page *p)
{
	if (p->state == PAGE_SLAB && p->private)
		printk("  private 0x%lx: the slab cache '%s'\n", p->private,
		       ((const struct kmem_cache *)p->private)->name);
	else if (p->state == PAGE_PAGETABLE)
		printk("  private 0x%lx: the table's stamp\n", p->private);
	else
		printk("  private 0x%lx\n", p->private);
}

/* The struct page of `pfn`, field by field; false if the frame has none. */
static bool print_page(unsigned long pfn)
{
	const struct page *p = pfn_to_page(pfn);

	if (!p) {
		printk("page: pfn 0x%lx has no struct page (no RAM in its 128 MiB section, "
		       "or above the top of RAM)\n", pfn);
		return false;
	}
	printk("struct page of pfn 0x%lx (phys 0x%llx) at %p:\n", pfn,
	       (unsigned long long)pfn << PAGE_SHIFT, (const void *)p);
	printk("  state %s, order %u (%lu frame%s), flags 0x%x%s%s\n", page_state_name(p->state),
	       p->order, 1ul << p->order, p->order ? "s" : "", p->flags,
	       (p->flags & PG_POISONED) ? " poisoned" : "", (p->flags & PG_VISITED) ? " visited" : "");
	print_private(p);
	printk("  next %p prev %p\n", (const void *)p->next, (const void *)p->prev);
	return true;
}

static int cmd_page(int argc, char **argv)
{
	u64 pfn;

	if (!shell_number("page", "PFN", argv[1], &pfn))
		return -1;
	return print_page((unsigned long)pfn) ? 0 : -1;
}

static void print_step(const struct pgtable_step *s)
{
	char bits[160];

	x86_pte_describe(s->entry, (int)s->level, bits, sizeof(bits));
	printk("  %-4s[%3u] at phys 0x%09llx: 0x%016llx  %s\n", x86_table_name((int)s->level),
	       s->index, (unsigned long long)s->table + s->index * sizeof(pte_t),
	       (unsigned long long)s->entry, bits);
}

/* The vmalloc area around `va`, if any, in vmallocinfo's words. */
static void print_area(unsigned long va)
{
	struct vm_struct *v = is_vmalloc_addr((void *)va) ? find_vm_area((void *)va) : NULL;

	if (v)
		printk("area: 0x%016lx-0x%016lx %lu bytes, flags 0x%lx, created by %pS\n",
		       (unsigned long)v->addr, (unsigned long)v->addr + v->size, v->size,
		       v->flags, v->caller);
}

static int cmd_translate(int argc, char **argv)
{
	struct pgtable_step steps[ARCH_PT_LEVELS];
	unsigned long va;
	int n;

	if (!shell_addr("translate", argv[1], &va))
		return -1;
	n = pgtable_trace(&kernel_pgtable, va, steps);
	if (n < 0) {
		printk("translate: 0x%lx is not canonical (bits 63:47 differ)\n", va);
		return -1;
	}
	printk("translate 0x%016lx (CR3 0x%llx):\n", va, (unsigned long long)kernel_pgtable.root_phys);
	for (int i = 0; i < n; i++)
		print_step(&steps[i]);
	print_area(va);
	if (!arch_pte_present(steps[n - 1].entry)) {
		printk("translate: 0x%lx is not mapped\n", va);
		return -1;
	}
	int level = (int)steps[n - 1].level;
	unsigned long size = 1ul << arch_level_shift(level);
	unsigned long pfn = arch_pte_pfn(steps[n - 1].entry, level) + ((va & (size - 1)) >> PAGE_SHIFT);

	printk("-> phys 0x%llx: pfn 0x%lx + offset 0x%lx (a %lu KiB leaf)\n",
	       ((unsigned long long)pfn << PAGE_SHIFT) + (va & (PAGE_SIZE - 1)), pfn,
	       va & (PAGE_SIZE - 1), size >> 10);
	print_page(pfn);
	return 0;
}

const struct shell_cmd shell_page_cmds[] = {
	{ "translate", "VA", "walk the page tables for VA, entry bits decoded, then its page",
	  1, 1, cmd_translate, NULL },
	{ "page", "PFN", "the struct page of a frame", 1, 1, cmd_page, NULL },
	{}
};
