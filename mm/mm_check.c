/*
 * mm_check_all() and its two checks of the vmalloc range (see
 * mm/mm_check.h), and the mm_check=always hook.
 *
 * The vmalloc-range checks look at what the CPU would see, the kernel
 * page table, and hold it against the vmap space: each leaf must belong
 * to a busy area and lie before its guard page; each VM_ALLOC area's
 * pages must be the frames its page array names, in order.
 */
#include "mm/mm_check.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/layout.h"
#include "mm/op_hook.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define MM_CHECK_MAX_LINES      8       /* problem lines per check, then a count */

/* A check's problem count; prints the first few lines, the rest are counted. */
struct problems {
	unsigned long count;
};

static void __printf(2, 3) problem(struct problems *p, const char *fmt, ...)
{
	char line[192];
	va_list ap;

	if (++p->count > MM_CHECK_MAX_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printk("mm_check: %s\n", line);
}

static int problems_result(const struct problems *p, const char *what)
{
	if (p->count > MM_CHECK_MAX_LINES)
		printk("mm_check: %s: %lu more problems not shown\n", what,
		       p->count - MM_CHECK_MAX_LINES);
	return p->count ? -EINVAL : 0;
}

/* --- leaves of the vmalloc range --------------------------------------------- */

struct pte_scan {
	struct vmap_space *space;       /* check each leaf against it (lock held), or NULL */
	unsigned long mapped;           /* 4 KiB pages seen */
	unsigned long tables;           /* table entries seen: table pages below the root */
	struct problems p;
};

/* What is wrong with a leaf over [start, end) given the busy area at start, or NULL. */
static const char *leaf_problem(const struct vmap_area *va, unsigned long start,
				unsigned long end)
{
	const struct vm_struct *vm = va ? va->vm : NULL;

	if (!va)
		return "outside any live vmalloc area";
	if (end > va->va_end)
		return "runs past the end of its area";
	if (vm && !(vm->flags & VM_NO_GUARD) && end > va->va_end - PAGE_SIZE)
		return "in the guard page of its area";
	return NULL;
}

static int scan_leaf(const struct pgtable_entry *e, void *arg)
{
	struct pte_scan *c = arg;
	unsigned long start = MAX(e->va, VMALLOC_START);
	unsigned long end = MIN(e->va + (e->size - 1), VMALLOC_END - 1) + 1;
	const struct vmap_area *va;
	const char *why;

	if (!e->leaf) {
		c->tables++;
		return 0;
	}
	c->mapped += (end - start) >> PAGE_SHIFT;
	if (!c->space)
		return 0;
	va = find_vmap_area_locked(c->space, start);
	why = leaf_problem(va, start, end);
	if (why && va)
		problem(&c->p, "vmalloc leaf 0x%lx-0x%lx (phys 0x%llx) %s 0x%lx-0x%lx (caller %pS)",
			start, end, (unsigned long long)pgtable_entry_phys(e, start), why,
			va->va_start, va->va_end, va->vm ? va->vm->caller : NULL);
	else if (why)
		problem(&c->p, "vmalloc leaf 0x%lx-0x%lx (phys 0x%llx) %s", start, end,
			(unsigned long long)pgtable_entry_phys(e, start), why);
	return 0;
}

int mm_check_vmalloc_ptes(void)
{
	struct pte_scan c = { .space = &kernel_vmap_space };
	unsigned long irq = vmap_lock_all(c.space);

	pgtable_walk(&kernel_pgtable, VMALLOC_START, VMALLOC_END, scan_leaf, &c);
	vmap_unlock_all(c.space, irq);
	return problems_result(&c.p, "vmalloc leaves");
}

void mm_check_vmalloc_counts(unsigned long *mapped, unsigned long *tables)
{
	struct pte_scan c = { .space = NULL };

	pgtable_walk(&kernel_pgtable, VMALLOC_START, VMALLOC_END, scan_leaf, &c);
	*mapped = c.mapped;
	*tables = c.tables;
}

/* --- pages of VM_ALLOC areas ----------------------------------------------------- */

/* Checks page i of VM_ALLOC area `vm` against the page table. */
static void check_area_page(struct problems *p, const struct vm_struct *vm, unsigned i)
{
	unsigned long va = (unsigned long)vm->addr + (unsigned long)i * PAGE_SIZE;
	unsigned long want = page_to_pfn(vm->pages[i]);
	struct pgtable_entry e;

	if (pgtable_query(&kernel_pgtable, va, &e)) {
		problem(p, "vmalloc area 0x%lx (caller %pS): page %u at 0x%lx is not mapped",
			(unsigned long)vm->addr, vm->caller, i, va);
		return;
	}
	if (e.level != PT_LEVEL_PTE || pgtable_entry_phys(&e, va) >> PAGE_SHIFT != want)
		problem(p, "vmalloc area 0x%lx (caller %pS): page %u at 0x%lx maps pfn 0x%llx "
			"(level %d), pages[] says pfn 0x%lx", (unsigned long)vm->addr, vm->caller,
			i, va, (unsigned long long)(pgtable_entry_phys(&e, va) >> PAGE_SHIFT),
			(int)e.level, want);
}

int mm_check_vmalloc_pages(void)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long irq = vmap_lock_all(s);
	struct vmap_busy_iter it;
	struct problems p = { 0 };

	for (struct vmap_area *va = vmap_busy_first(&it, s, s->start); va;
	     va = vmap_busy_next(&it)) {
		const struct vm_struct *vm = va->vm;

		/* pages is set only once the area is fully mapped. */
		if (!vm || !(vm->flags & VM_ALLOC) || !vm_area_pages(vm))
			continue;
		for (unsigned i = 0; i < vm->nr_pages; i++)
			check_area_page(&p, vm, i);
	}
	vmap_unlock_all(s, irq);
	return problems_result(&p, "vmalloc pages");
}

/* --- everything -------------------------------------------------------------------- */

int mm_check_all(void)
{
	bool ok = true;

	ok &= pfa_check() == 0;
	ok &= slab_check() == 0;
	ok &= vmalloc_check() == 0;
	ok &= pgtable_check(&kernel_pgtable) == 0;
	ok &= mm_check_vmalloc_ptes() == 0;
	ok &= mm_check_vmalloc_pages() == 0;
	return ok ? 0 : -EINVAL;
}

/* --- mm_check=always ------------------------------------------------------------- */

static unsigned long nr_runs;
static bool running;            /* a check is in progress: do not re-enter */

/* The after-operation hook (mm/op_hook.h) while mm_check=always is on. */
static void check_after_op(const char *op, unsigned long caller)
{
	int err;

	if (running)
		return;
	running = true;
	nr_runs++;
	err = mm_check_all();
	running = false;
	WARN_CALL(err, "mm_check", caller, "inconsistent after %s", op);
}

unsigned long mm_check_runs(void)
{
	return READ_ONCE(nr_runs);
}

int mm_check_parse(const char *value, bool *always)
{
	if (value && !strcmp(value, "always"))
		*always = true;
	else if (value && !strcmp(value, "off"))
		*always = false;
	else
		return -EINVAL;
	return 0;
}

bool mm_check_set_always(bool on)
{
	bool was = READ_ONCE(mm_op_hook) == check_after_op;

	WRITE_ONCE(mm_op_hook, on ? check_after_op : NULL);
	return was;
}

void mm_check_init(void)
{
	const char *value = cmdline_get("mm_check");
	bool always;

	if (!value)
		return;
	if (WARN(mm_check_parse(value, &always), "mm_check=%s: not always or off; ignored",
		 value))
		return;
	mm_check_set_always(always);
	if (always)
		printk("mm_check: always: checking the memory subsystem after every operation\n");
	if (always && mm_check_all())
		WARN(1, "mm_check: inconsistent at the end of mm_init");
}

/* --- the locks, for the contention figures ----------------------------------- */

void mm_for_each_lock(spin_lock_visit_fn fn, void *arg)
{
	pfa_for_each_lock(fn, arg);
	slab_for_each_lock(fn, arg);
	fn(&kernel_pgtable.lock, arg);
	fn(&kernel_vmap_space.lock, arg);
	for (unsigned z = 0; z < VMAP_BUSY_ZONES; z++)
		fn(&kernel_vmap_space.busy[z].lock, arg);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		fn(&kernel_vmap_space.cpu[cpu].lock, arg);
}
