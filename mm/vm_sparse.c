/*
 * VM_SPARSE areas: reserve a large virtual range once, then map and unmap
 * caller-owned pages inside it on demand (Linux 6.9's mechanism for BPF
 * arenas). See mm/vmalloc.h for the contracts, docs/vm_sparse.md for the
 * picture and the differences from Linux.
 *
 *   get_vm_area(size, VM_SPARSE)        range + guard page, nothing mapped
 *   vm_area_map_pages(area, s, e, pp)   checks, then pgtable_map_pages_checked()
 *   vm_area_unmap_pages(area, s, e)     checks, then pgtable_unmap(): flushed
 *   free_vm_area(area)                  vm_sparse_release(): what is left is
 *                                       unmapped and flushed, the range free
 *
 * Nothing here keeps per-page state: the page table is the only record of
 * what is mapped, so an area costs its vm_struct and its page tables.
 *
 * Locking: none of its own. The area must stay alive during a call (its
 * owner frees it). The -EBUSY check is the walker's: each leaf goes in by
 * compare-and-exchange (or under the page table's lock when a table must
 * be added), so two maps of overlapping ranges on two CPUs cannot both
 * pass it; so is the check of each frame, made in the same pass.
 */
#include "mm/vm_sparse.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "mm/op_hook.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmap_area.h"

#define KPT             (&kernel_pgtable)
#define SPAN            VM_SPARSE_TABLE_SPAN
#define LONG_BITS       (8 * sizeof(unsigned long))

/* One call of the API: what its checks and its warning line need. */
struct sparse_call {
	const char *fn;
	unsigned long caller;
	struct vm_struct *area;
	unsigned long start, end;
};

#define SPARSE_CALL(name, a, s, e) \
	((struct sparse_call){ .fn = (name), .caller = RET_IP, .area = (a), .start = (s), .end = (e) })

/* "0x<start>-0x<end>" of the area (guard included), or "NULL", in buf. */
static const char *area_name(const struct vm_struct *area, char buf[static 40])
{
	if (!area)
		return "NULL";
	snprintf(buf, 40, "0x%lx-0x%lx", (unsigned long)area->addr,
		 (unsigned long)area->addr + area->size);
	return buf;
}

/* The one warning line of a refused call (warn_call()), naming the area. */
#define sparse_warn(c, fmt, ...)                                                \
	warn_call((c)->fn, (c)->caller, "area %s: " fmt,                        \
		  area_name((c)->area, (char[40]){ 0 }), ##__VA_ARGS__)

/*
 * Checks 1 to 4 of mm/vmalloc.h, in that order: the kind of area, the
 * page count against RAM, the range against the area, then the range
 * itself. A range with start >= end counts 0 pages for the second check.
 */
static __always_inline int check_range(const struct sparse_call *c)
{
	const struct vm_struct *a = c->area;
	unsigned long first, last, nr;

	if (!a || !(a->flags & VM_SPARSE) || (a->flags & VM_NO_GUARD)) {
		sparse_warn(c, "not a VM_SPARSE area with a guard page (flags 0x%lx)",
			    a ? a->flags : 0);
		return -EINVAL;
	}
	nr = c->end > c->start ? (c->end - c->start) >> PAGE_SHIFT : 0;
	if (nr > pfa_total_pages()) {
		sparse_warn(c, "%lu pages is more than all of RAM (%lu pages)", nr,
			    pfa_total_pages());
		return -E2BIG;
	}
	first = (unsigned long)a->addr;
	last = first + get_vm_area_size(a);
	if (c->start < first || c->start > last || c->end < first || c->end > last) {
		sparse_warn(c, "range 0x%lx-0x%lx is not inside 0x%lx-0x%lx (guard page excluded)",
			    c->start, c->end, first, last);
		return -ERANGE;
	}
	if (!IS_ALIGNED(c->start | c->end, PAGE_SIZE) || c->start >= c->end) {
		sparse_warn(c, "range 0x%lx-0x%lx is empty or not page-aligned", c->start, c->end);
		return -EINVAL;
	}
	return 0;
}

/* Refuses pages[i] (NULL, or a frame pfa_page_unmappable() refuses): check 4. */
static int refuse_page(const struct sparse_call *c, struct page **pages, unsigned long i)
{
	const char *why = pages[i] ? pfa_page_unmappable(pages[i]) : NULL;

	sparse_warn(c, "pages[%lu] %s", i, why ? why : "is NULL");
	return -EINVAL;
}

/* Check 4 over the whole array: -EINVAL (one warning) at the first bad page. */
static int check_pages(const struct sparse_call *c, struct page **pages)
{
	unsigned long nr = (c->end - c->start) >> PAGE_SHIFT;

	for (unsigned long i = 0; i < nr; i++)
		if (!pages[i] || pfa_page_unmappable(pages[i]))
			return refuse_page(c, pages, i);
	return 0;
}

/*
 * Checks 4 and 5 and the map in one pass: the walker checks each frame as
 * it writes its entry and stops, quietly and undoing what it wrote, at
 * the first page that is bad or already mapped. A bad page there is the
 * first bad one; a mapped one (or no memory) is only this call's answer
 * if no page after it is bad, since check 4 comes before check 5.
 */
static int map_checked(const struct sparse_call *c, struct page **pages)
{
	unsigned long stop;
	int err = pgtable_map_pages_checked(KPT, c->start, pages,
					    (c->end - c->start) >> PAGE_SHIFT, PROT_KERNEL_RW, &stop);

	if (!err)
		return 0;
	if (err == -EINVAL)
		return stop ? refuse_page(c, pages, (stop - c->start) >> PAGE_SHIFT) : err;
	if (check_pages(c, pages))
		return -EINVAL;
	if (err == -EBUSY)
		sparse_warn(c, "0x%lx is already mapped", stop);
	return err;
}

__noinline
int vm_area_map_pages(struct vm_struct *area, unsigned long start, unsigned long end,
		      struct page **pages)
{
	struct sparse_call c = SPARSE_CALL("vm_area_map_pages", area, start, end);
	int err = check_range(&c);

	if (!err && !pages) {
		sparse_warn(&c, "no page array (NULL)");
		err = -EINVAL;
	}
	if (!err)
		err = map_checked(&c, pages);
	mm_op_done(c.fn, c.caller);
	return err;
}

__noinline
void vm_area_unmap_pages(struct vm_struct *area, unsigned long start, unsigned long end)
{
	struct sparse_call c = SPARSE_CALL("vm_area_unmap_pages", area, start, end);

	/* pgtable_unmap() flushes only if it cleared something: holes are free. */
	if (!check_range(&c))
		WARN_ON(pgtable_unmap(KPT, start, end - start, NULL, 0));
	mm_op_done(c.fn, c.caller);
}

/* --- pre-built tables ------------------------------------------------------ */

/*
 * A prebuilt area owns whole table spans (VM_SPARSE_TABLE_SPAN, aligned),
 * so no other area can need a bottom-level table inside it. Building asks
 * the walker to populate each span that has no table yet (tables only, no
 * leaf, so nothing to flush). A span that already had its table (vmalloc
 * keeps the tables of freed areas) is only recorded in area->sparse_kept:
 * the area must leave it as it found it. Freeing (or a failed build)
 * frees, run by run, the spans the area built, and with them every table
 * above that is left empty.
 */

static int is_bottom_table(const struct pgtable_entry *e, void *ctx)
{
	return !e->leaf && e->level == PT_LEVEL_PMD;
}

static bool span_has_table(unsigned long va)
{
	return pgtable_walk(KPT, va, va + SPAN, is_bottom_table, NULL) == 1;
}

static bool span_is_kept(const struct vm_struct *area, unsigned long i)
{
	return area->sparse_kept && (area->sparse_kept[i / LONG_BITS] >> (i % LONG_BITS)) & 1;
}

/* Records span i as found with its table; allocates the bitmap at the first. */
static int mark_kept(struct vm_struct *area, unsigned long i)
{
	unsigned long bytes = ALIGN_UP(area->size / SPAN, LONG_BITS) / 8;

	if (!area->sparse_kept)
		area->sparse_kept = bytes <= PAGE_SIZE ? kzalloc(bytes) : vzalloc(bytes);
	if (!area->sparse_kept)
		return -ENOMEM;
	area->sparse_kept[i / LONG_BITS] |= 1ul << (i % LONG_BITS);
	return 0;
}

static void free_kept(struct vm_struct *area)
{
	if (is_vmalloc_addr(area->sparse_kept))
		vfree(area->sparse_kept);
	else
		kfree(area->sparse_kept);
	area->sparse_kept = NULL;
}

/* Frees the tables of spans [0, n) the area built, one unmap per run (each flushed). */
static void free_built_tables(struct vm_struct *area, unsigned long n)
{
	unsigned long start = (unsigned long)area->addr, i = 0, run;

	while (i < n) {
		for (; i < n && span_is_kept(area, i); i++)
			;
		for (run = i; i < n && !span_is_kept(area, i); i++)
			;
		if (i > run)
			WARN_ON(pgtable_unmap(KPT, start + run * SPAN, (i - run) * SPAN, NULL,
					      PGTABLE_FREE_TABLES));
	}
}

int vm_sparse_build_tables(struct vm_struct *area)
{
	unsigned long start = (unsigned long)area->addr, nr = area->size / SPAN, i;
	int err = 0;

	for (i = 0; i < nr && !err; i++) {
		unsigned long va = start + i * SPAN;

		err = span_has_table(va) ? mark_kept(area, i) : pgtable_populate(KPT, va, SPAN);
	}
	if (err) {
		free_built_tables(area, i - 1);         /* span i - 1 failed: nothing of it */
		free_kept(area);
	}
	return err;
}

/* --- release ---------------------------------------------------------------- */

static int count_leaf(const struct pgtable_entry *e, void *ctx)
{
	if (e->leaf)
		*(unsigned long *)ctx += e->size >> PAGE_SHIFT;
	return 0;
}

unsigned long vm_sparse_release(struct vmap_area *va)
{
	struct vm_struct *vm = va->vm;
	unsigned long start = va->va_start, end = start + get_vm_area_size(vm), mapped = 0;

	pgtable_walk(KPT, start, end, count_leaf, &mapped);
	if (mapped)
		WARN_ON(pgtable_unmap(KPT, start, end - start, NULL, 0));
	if (vm->flags & VM_SPARSE_PREBUILT) {
		free_built_tables(vm, vm->size / SPAN);
		free_kept(vm);
	}
	free_vmap_area(&kernel_vmap_space, va);
	return mapped;
}
