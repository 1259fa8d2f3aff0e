/*
 * The model engine's operations (see tests/mm_model.h): each reads its
 * arguments from the byte source, predicts from the model what the call
 * must do (the address, the errno, the warning lines), calls it, checks
 * the result and updates the model. The table at the end gives each a
 * weight out of 256: the share of operation bytes that pick it, so of a
 * stress run's operations.
 */
#include "tests/mm_model_internal.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/probe.h"
#include "mm/arena.h"
#include "mm/fault_inject.h"
#include "mm/layout.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

static void free_frames(struct page **pages, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		if (pages[i])
			free_page(pages[i]);
		pages[i] = NULL;
	}
}

/* Fills pages[0 .. n) with fresh frames; false (none kept) if out of memory. */
static bool alloc_frames(struct model *m, struct page **pages, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		pages[i] = alloc_page(PFA_ZERO);
		if (!pages[i]) {
			free_frames(pages, i);
			MCHECK(m, model_may_fail(m, n), "out of frames with %lu free",
			       pfa_free_pages());
			return false;
		}
	}
	return true;
}

static void tag_all(struct model *m, struct mobj *o)
{
	for (unsigned long i = 0; i < o->nr_pages; i++)
		if (model_page_mapped(o, i))
			model_tag_page(m, o, i);
}

/* --- vmalloc ---------------------------------------------------------------------- */

struct vmalloc_args {
	unsigned long pages, align, flags;
	bool zero;
};

/* Sizes 1..16 pages (5 %: 17..256, 1 %: 513..600), alignments up to 2 MiB, zeroed, no guard. */
static struct vmalloc_args vmalloc_args(struct model *m)
{
	struct vmalloc_args a = { .align = PAGE_SIZE };

	if (model_chance(m, 1))
		a.pages = model_between(m, 513, 600);   /* the page array is vmalloc'ed too */
	else
		a.pages = model_chance(m, 5) ? model_between(m, 17, 256) : model_between(m, 1, 16);
	if (model_chance(m, 30))
		a.align = PAGE_SIZE << model_between(m, 1, 9);
	a.zero = model_chance(m, 25);
	a.flags = model_chance(m, 10) ? VM_NO_GUARD : 0;
	return a;
}

static void op_vmalloc(struct model *m)
{
	struct mobj *o = model_slot(m);
	struct vmalloc_args a = vmalloc_args(m);
	bool guard = !a.flags;
	struct mm_snapshot before;
	void *p;

	model_trace(m, "vmalloc %lu pages, align 0x%lx%s%s", a.pages, a.align,
		    a.zero ? ", zeroed" : "", guard ? "" : ", no guard");
	model_watch(m, a.pages + 4, &before);
	model_call_begin(m);
	p = __vmalloc_node_range(a.pages * PAGE_SIZE, a.align, VMALLOC_START, VMALLOC_END,
				 a.zero ? PFA_ZERO : 0, PROT_KERNEL_RW, a.flags, (void *)THIS_IP);
	model_call_end(m);
	if (!p) {
		MCHECK(m, model_may_fail(m, a.pages + 4), "vmalloc of %lu pages failed with %lu "
		       "frames free", a.pages, pfa_free_pages());
		model_check_no_trace(m, &before, "vmalloc");
		return;
	}
	*o = (struct mobj){ .kind = MK_VMALLOC, .addr = (unsigned long)p, .nr_pages = a.pages,
			    .span = (a.pages + guard) * PAGE_SIZE, .align = a.align,
			    .flags = VM_ALLOC | a.flags, .tag = model_tag(m), .vm = find_vm_area(p),
			    .areas = a.pages > PAGE_SIZE / sizeof(void *) ? 2 : 1 };
	model_add(m, o);                /* from here on the final cleanup frees it */
	model_check_placement(m, o);
	model_check_area(m, o);
	MCHECK(m, o->vm->nr_pages == a.pages, "vmalloc %p: the vm_struct has %u pages, not %lu",
	       p, o->vm->nr_pages, a.pages);
	if (a.zero) {
		model_check_zero(m, o->addr);
		model_check_zero(m, o->addr + (a.pages - 1) * PAGE_SIZE);
	}
	tag_all(m, o);
}

static void free_vmalloc(struct model *m, struct mobj *o)
{
	model_trace(m, "vfree 0x%lx (%lu pages)", o->addr, o->nr_pages);
	model_verify(m, o);
	vfree((void *)o->addr);
	model_drop(m, o);
	if (model_shared(m))
		return;                 /* another CPU may own the range already */
	for (unsigned long i = 0; i < o->nr_pages; i++)
		MCHECK(m, !vmalloc_to_page((void *)(o->addr + i * PAGE_SIZE)),
		       "page %lu of the vfree'd 0x%lx is still mapped", i, o->addr);
	MCHECK(m, !find_vm_area((void *)o->addr), "0x%lx is still an area after vfree", o->addr);
	model_remember_freed(m, o->addr);
}

/* --- vmap ------------------------------------------------------------------------- */

static void op_vmap(struct model *m)
{
	struct mobj *o = model_slot(m);
	unsigned long n = model_between(m, 1, 8);
	unsigned long flags = model_chance(m, 20) ? VM_NO_GUARD : 0;
	bool ro = model_chance(m, 25);
	struct mm_snapshot before;
	void *p;

	model_trace(m, "vmap %lu pages, flags 0x%lx%s", n, flags, ro ? ", read-only" : "");
	*o = (struct mobj){ .kind = MK_VMAP, .nr_pages = n, .tag = model_tag(m),
			    .flags = VM_MAP | flags, .span = (n + (flags ? 0 : 1)) * PAGE_SIZE,
			    .align = PAGE_SIZE, .areas = 1, .read_only = ro };
	if (!alloc_frames(m, o->frames, n))
		return;
	model_watch(m, 4, &before);
	model_call_begin(m);
	p = vmap(o->frames, n, flags, ro ? PROT_KERNEL_RO : PROT_KERNEL_RW);
	model_call_end(m);
	if (!p) {
		MCHECK(m, model_may_fail(m, 4), "vmap of %lu pages failed", n);
		model_check_no_trace(m, &before, "vmap");
		free_frames(o->frames, n);
		return;
	}
	o->addr = (unsigned long)p;
	o->vm = find_vm_area(p);
	model_add(m, o);
	model_check_placement(m, o);
	model_check_area(m, o);
	for (unsigned long i = 0; i < n; i++)
		MCHECK(m, vmalloc_to_page((char *)p + i * PAGE_SIZE) == o->frames[i],
		       "vmap page %lu is not the frame given", i);
	tag_all(m, o);
	model_verify(m, o);
}

static void free_vmap(struct model *m, struct mobj *o)
{
	model_trace(m, "vunmap 0x%lx (%lu pages)", o->addr, o->nr_pages);
	model_verify(m, o);
	vunmap((void *)o->addr);
	model_drop(m, o);
	for (unsigned long i = 0; i < o->nr_pages; i++) {
		/* On several CPUs another one may own the range already. */
		MCHECK(m, model_shared(m) || !vmalloc_to_page((void *)(o->addr + i * PAGE_SIZE)),
		       "page %lu of the vunmap'ed 0x%lx is still mapped", i, o->addr);
		MCHECK(m, page_has_state(o->frames[i], PAGE_ALLOCATED),
		       "vunmap took frame %lu, which is the caller's", i);
		model_check_frame(m, o, i);     /* still the caller's, intact */
	}
	/* Freed at once: only a stale translation of the lazy range still reaches them. */
	free_frames(o->frames, o->nr_pages);
	MCHECK(m, model_shared(m) || !find_vm_area((void *)o->addr),
	       "0x%lx is still an area after vunmap", o->addr);
	model_remember_freed(m, o->addr);
}

/* --- get_vm_area: reserved and VM_SPARSE areas ------------------------------------- */

static void op_area(struct model *m)
{
	struct mobj *o = model_slot(m);
	unsigned long n = model_between(m, 1, MODEL_MAX_PAGES), flags = 0, span, align = PAGE_SIZE;
	u8 how = model_byte(m);
	unsigned long probe = model_below(m, n);        /* the page that must fault */
	struct vm_struct *vm;

	if (how % 4)                            /* 3 in 4: VM_SPARSE */
		flags |= VM_SPARSE;
	if (how / 4 % 10 == 0)                  /* 1 in 10: no guard page */
		flags |= VM_NO_GUARD;
	else if ((flags & VM_SPARSE) && how / 40 % 10 == 0)
		flags |= VM_SPARSE_PREBUILT;
	span = (n + !(flags & VM_NO_GUARD)) * PAGE_SIZE;
	if (flags & VM_SPARSE_PREBUILT) {
		span = ALIGN_UP(span, VM_SPARSE_TABLE_SPAN);
		align = VM_SPARSE_TABLE_SPAN;
	}
	model_trace(m, "get_vm_area %lu pages, flags 0x%lx", n, flags);
	model_call_begin(m);
	vm = get_vm_area(n * PAGE_SIZE, flags);
	model_call_end(m);
	if (!vm) {
		/* Only a prebuilt area needs frames (its tables); the others, slab objects. */
		MCHECK(m, (flags & VM_SPARSE_PREBUILT) ? model_may_fail(m, 16) : m->failing,
		       "get_vm_area(%lu pages, 0x%lx) failed", n, flags);
		return;
	}
	*o = (struct mobj){ .kind = (flags & VM_SPARSE) ? MK_SPARSE : MK_AREA,
			    .addr = (unsigned long)vm->addr, .span = span, .nr_pages = n,
			    .align = align, .tag = model_tag(m), .flags = flags, .vm = vm,
			    .areas = 1 };
	model_add(m, o);
	model_check_placement(m, o);
	model_check_area(m, o);
	model_check_gone(m, o->addr + probe * PAGE_SIZE);
}

static bool has_guard(const struct mobj *o)
{
	return !(o->flags & VM_NO_GUARD);
}

/* The error vm_area_map_pages() must give for pages [first, first + n) of `o`, or 0. */
static int sparse_map_error(const struct mobj *o, unsigned long first, unsigned long n)
{
	if (!has_guard(o))
		return -EINVAL;
	if (first + n > o->nr_pages)
		return -ERANGE;
	if (o->mapped & model_mask(first, n))
		return -EBUSY;
	return 0;
}

/* Pages [first, first + n) of `o` are now `pages`: checked, recorded, tagged. */
static void sparse_mapped(struct model *m, struct mobj *o, unsigned long first, unsigned long n,
			  struct page **pages)
{
	for (unsigned long i = 0; i < n; i++) {
		o->frames[first + i] = pages[i];
		MCHECK(m, vmalloc_to_page((void *)(o->addr + (first + i) * PAGE_SIZE)) == pages[i],
		       "sparse page %lu is not the frame given", first + i);
	}
	o->mapped |= model_mask(first, n);
	for (unsigned long i = first; i < first + n; i++)
		model_tag_page(m, o, i);
}

static void op_sparse_map(struct model *m)
{
	struct mobj *o = model_pick(m, MK_SPARSE, NULL);
	unsigned long first, n, start;
	struct mm_snapshot before;
	struct page *pages[16];
	int err, want = 0;

	if (!o)
		return;
	first = model_below(m, o->nr_pages);
	n = model_between(m, 1, 16);
	/* 1 in 20: a range past the end (a prebuilt area has room there: not for it) */
	if (!model_chance(m, 5) || (o->flags & VM_SPARSE_PREBUILT))
		n = MIN(n, o->nr_pages - first);
	start = o->addr + first * PAGE_SIZE;
	model_trace(m, "vm_area_map_pages 0x%lx, pages %lu + %lu", o->addr, first, n);
	want = sparse_map_error(o, first, n);
	if (model_skip_warning(m, want ? 1 : 0))
		return;
	if (!alloc_frames(m, pages, n))
		return;
	model_expect_warnings(m, want ? 1 : 0, "vm_area_map_pages");
	model_watch(m, 8, &before);
	model_call_begin(m);
	err = vm_area_map_pages(o->vm, start, start + n * PAGE_SIZE, pages);
	model_call_end(m);
	if (!want && err == -ENOMEM && model_may_fail(m, 8))
		want = -ENOMEM;
	MCHECK(m, err == want, "vm_area_map_pages(pages %lu..%lu) = %d, the model says %d",
	       first, first + n, err, want);
	if (err == -ENOMEM)     /* before our pages go back: `before` counts them as taken */
		model_check_no_trace(m, &before, "vm_area_map_pages");
	if (err) {
		free_frames(pages, n);
		model_verify(m, o);             /* nothing changed */
	} else {
		sparse_mapped(m, o, first, n, pages);
	}
}

/*
 * Forgets pages [first, first + n) of `o`: each must be unmapped (flushed)
 * and intact (unmapped: not checked for an area given back on several
 * CPUs, where another one may map the range at once).
 */
static void sparse_forget(struct model *m, struct mobj *o, unsigned long first, unsigned long n)
{
	for (unsigned long i = first; i < first + n; i++) {
		if (!model_page_mapped(o, i))
			continue;
		if (o->live || !model_shared(m))
			model_check_gone(m, o->addr + i * PAGE_SIZE);
		model_check_frame(m, o, i);
		free_frames(&o->frames[i], 1);
	}
	o->mapped &= ~model_mask(first, n);
}

static void op_sparse_unmap(struct model *m)
{
	struct mobj *o = model_pick(m, MK_SPARSE, NULL);
	unsigned long first, n;

	if (!o)
		return;
	first = model_below(m, o->nr_pages);
	n = model_between(m, 1, o->nr_pages - first);
	model_trace(m, "vm_area_unmap_pages 0x%lx, pages %lu + %lu", o->addr, first, n);
	if (model_skip_warning(m, has_guard(o) ? 0 : 1))
		return;
	model_verify(m, o);             /* touches every mapped page: TLB entries exist */
	model_expect_warnings(m, has_guard(o) ? 0 : 1, "vm_area_unmap_pages");
	vm_area_unmap_pages(o->vm, o->addr + first * PAGE_SIZE, o->addr + (first + n) * PAGE_SIZE);
	sparse_forget(m, o, first, n);
}

/* A lent range: its pages are unmapped, the area stays the lender's. */
static void give_back(struct model *m, struct mobj *o)
{
	model_trace(m, "give back the lent 0x%lx (mapped 0x%llx)", o->addr,
		    (unsigned long long)o->mapped);
	model_verify(m, o);
	if (o->mapped)
		vm_area_unmap_pages(o->vm, o->addr, o->addr + o->nr_pages * PAGE_SIZE);
	sparse_forget(m, o, 0, o->nr_pages);
	model_drop(m, o);
}

/* Sometimes with pages still mapped: documented as one warning, the pages stay the caller's. */
static void free_area(struct model *m, struct mobj *o)
{
	bool leave = o->mapped && model_chance(m, 20) && !model_shared(m);

	if (o->lent) {
		give_back(m, o);
		return;
	}
	model_trace(m, leave ? "free_vm_area 0x%lx with pages 0x%llx mapped" :
		    "vm_area_unmap_pages + free_vm_area 0x%lx (mapped 0x%llx)", o->addr,
		    (unsigned long long)o->mapped);
	model_verify(m, o);
	if (o->mapped && !leave)
		vm_area_unmap_pages(o->vm, o->addr, o->addr + o->nr_pages * PAGE_SIZE);
	model_expect_warnings(m, leave ? 1 : 0, "free_vm_area");
	free_vm_area(o->vm);
	model_drop(m, o);
	MCHECK(m, model_shared(m) || !find_vm_area((void *)o->addr),
	       "0x%lx is still an area after free_vm_area", o->addr);
	sparse_forget(m, o, 0, o->nr_pages);
}

/* --- arenas ----------------------------------------------------------------------- */

static void op_arena_create(struct model *m)
{
	struct mobj *o = model_slot(m);
	unsigned long n = model_between(m, 1, MODEL_MAX_PAGES);
	unsigned flags = model_chance(m, 50) ? ARENA_FAULT_IN : 0;
	unsigned long probe;
	struct arena *a;

	if (model_chance(m, 10))
		flags |= ARENA_PREBUILT;
	probe = model_below(m, n);
	model_trace(m, "arena_create %lu pages, flags 0x%x", n, flags);
	model_call_begin(m);
	a = arena_create(n * PAGE_SIZE, flags);
	model_call_end(m);
	if (!a) {
		MCHECK(m, model_may_fail(m, (flags & ARENA_PREBUILT) ? 16 : 8),
		       "arena_create(%lu pages, 0x%x) failed", n, flags);
		return;
	}
	*o = (struct mobj){ .kind = MK_ARENA, .addr = a->start, .span = a->area->size,
			    .nr_pages = n, .align = PAGE_SIZE, .tag = model_tag(m), .flags = flags,
			    .arena = a, .vm = a->area, .areas = 1 };
	model_add(m, o);
	MCHECK(m, a->nr_pages == n && a->start == (unsigned long)a->area->addr,
	       "arena of %lu pages: nr_pages %lu, start 0x%lx, area %p", n, a->nr_pages,
	       a->start, a->area->addr);
	model_check_placement(m, o);
	model_check_arena_count(m, o);
	model_check_gone(m, o->addr + probe * PAGE_SIZE);
}

/* Fresh arena pages read as zero; then they get their words. */
static void arena_fill(struct model *m, struct mobj *o, unsigned long first, unsigned long n)
{
	o->mapped |= model_mask(first, n);
	for (unsigned long i = first; i < first + n; i++) {
		model_check_zero(m, o->addr + i * PAGE_SIZE);
		model_tag_page(m, o, i);
	}
	model_check_arena_count(m, o);
}

static void op_arena_alloc(struct model *m)
{
	struct mobj *o = model_pick(m, MK_ARENA, NULL);
	unsigned long first = 0, n, addr = 0;
	long want;
	void *p;
	int err = 0;

	if (!o)
		return;
	n = model_between(m, 1, 8);
	if (model_chance(m, 50)) {              /* lowest fit */
		want = n > o->nr_pages ? -EINVAL : model_lowest_free_run(o, n);
		if (want == -1)
			want = -ENOSPC;
	} else {                                /* at an address */
		first = model_below(m, o->nr_pages);
		addr = o->addr + first * PAGE_SIZE;
		want = first + n > o->nr_pages ? -EINVAL :
		       (o->mapped & model_mask(first, n)) ? -EBUSY : (long)first;
	}
	model_trace(m, addr ? "arena_alloc_pages 0x%lx, pages %lu + %lu" :
		    "arena_alloc_pages 0x%lx, lowest fit (%lu) of %lu pages", o->addr, first, n);
	if (model_skip_warning(m, want == -EINVAL ? 1 : 0))
		return;
	model_expect_warnings(m, want == -EINVAL ? 1 : 0, "arena_alloc_pages");
	model_call_begin(m);
	p = arena_alloc_pages(o->arena, addr, n, &err);
	model_call_end(m);
	if (want >= 0 && err == -ENOMEM && model_may_fail(m, n + 4))
		want = -ENOMEM;
	MCHECK(m, want < 0 ? (!p && err == want) : (p == (void *)(o->addr + want * PAGE_SIZE) &&
	       !err), "arena_alloc_pages(0x%lx, %lu pages) = %p, err %d; the model says %s %ld",
	       addr, n, p, err, want < 0 ? "error" : "page", want);
	if (want < 0) {
		model_check_arena_count(m, o);
		return;
	}
	arena_fill(m, o, (unsigned long)want, n);
}

static void op_arena_free(struct model *m)
{
	struct mobj *o = model_pick(m, MK_ARENA, NULL);
	unsigned long first, n;
	int err;

	if (!o)
		return;
	first = model_below(m, o->nr_pages);
	n = model_between(m, 1, o->nr_pages - first);
	model_trace(m, "arena_free_pages 0x%lx, pages %lu + %lu", o->addr, first, n);
	model_verify(m, o);
	err = arena_free_pages(o->arena, o->addr + first * PAGE_SIZE, n);
	MCHECK(m, err == 0, "arena_free_pages(page %lu, %lu pages) = %d", first, n, err);
	for (unsigned long i = first; i < first + n; i++)
		if (model_page_mapped(o, i))
			model_check_gone(m, o->addr + i * PAGE_SIZE);
	o->mapped &= ~model_mask(first, n);
	model_check_arena_count(m, o);
}

static void free_arena(struct model *m, struct mobj *o)
{
	model_trace(m, "arena_destroy 0x%lx (allocated 0x%llx)", o->addr,
		    (unsigned long long)o->mapped);
	model_verify(m, o);
	model_check_arena_count(m, o);
	MCHECK(m, arena_check(o->arena) == 0, "arena_check(0x%lx) failed", o->addr);
	arena_destroy(o->arena);
	model_drop(m, o);
	if (model_shared(m))
		return;                 /* another CPU may own the range already */
	MCHECK(m, !find_vm_area((void *)o->addr), "0x%lx is still an area after arena_destroy",
	       o->addr);
	for (unsigned long i = 0; i < o->nr_pages; i++)
		if (model_page_mapped(o, i))
			model_check_gone(m, o->addr + i * PAGE_SIZE);
}

/* --- frame blocks and kmalloc ------------------------------------------------------- */

static void op_pages(struct model *m)
{
	struct mobj *o = model_slot(m);
	unsigned order = model_below(m, 5);
	bool zero = model_chance(m, 50);
	struct page *page;

	model_trace(m, "alloc_pages order %u%s", order, zero ? ", zeroed" : "");
	model_call_begin(m);
	page = alloc_pages(order, zero ? PFA_ZERO : 0);
	model_call_end(m);
	if (!page) {
		MCHECK(m, model_may_fail(m, 1ul << order), "alloc_pages order %u failed", order);
		return;
	}
	*o = (struct mobj){ .kind = MK_PAGES, .page = page, .order = order,
			    .addr = (unsigned long)page_address(page), .nr_pages = 1ul << order,
			    .span = PAGE_SIZE << order, .align = PAGE_SIZE << order,
			    .tag = model_tag(m) };
	model_add(m, o);
	model_check_placement(m, o);
	MCHECK(m, page_has_state(page, PAGE_ALLOCATED), "block at pfn 0x%lx is not allocated",
	       page_to_pfn(page));
	if (zero)
		MCHECK(m, mem_is_filled((void *)o->addr, 0, o->span), "PFA_ZERO block not zero");
	tag_all(m, o);
}

/* kmalloc's alignment: power-of-two sizes up to 1 KiB to their size, 4 KiB above, else 8. */
static unsigned long kmalloc_align(unsigned long size)
{
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return PAGE_SIZE;
	return IS_POWER_OF_2(size) ? MAX(size, (unsigned long)KMALLOC_MIN_ALIGN) : KMALLOC_MIN_ALIGN;
}

static void op_kmalloc(struct model *m)
{
	struct mobj *o = model_slot(m);
	unsigned long size = model_chance(m, 80) ? model_between(m, 1, 1024)
						 : model_between(m, 1025, 16384);
	void *p;

	if (model_chance(m, 20))
		size = 1ul << model_between(m, 3, 10);
	model_trace(m, "kmalloc %lu bytes", size);
	model_call_begin(m);
	p = kmalloc(size);
	model_call_end(m);
	if (!p) {
		MCHECK(m, model_may_fail(m, 2), "kmalloc(%lu) failed", size);
		return;
	}
	*o = (struct mobj){ .kind = MK_KMALLOC, .addr = (unsigned long)p, .span = size,
			    .align = kmalloc_align(size), .tag = model_tag(m) };
	model_add(m, o);
	model_check_placement(m, o);
	MCHECK(m, page_has_state(virt_to_page(p), PAGE_SLAB),
	       "kmalloc(%lu) = %p is not in a slab frame", size, p);
	memset(p, (u8)o->tag, size);
	model_verify(m, o);
}

/* --- any object --------------------------------------------------------------------- */

void model_free_obj(struct model *m, struct mobj *o)
{
	switch (o->kind) {
	case MK_VMALLOC:
		free_vmalloc(m, o);
		break;
	case MK_VMAP:
		free_vmap(m, o);
		break;
	case MK_AREA:
	case MK_SPARSE:
		free_area(m, o);
		break;
	case MK_ARENA:
		free_arena(m, o);
		break;
	case MK_PAGES:
		model_trace(m, "free_pages 0x%lx order %u", o->addr, o->order);
		model_verify(m, o);
		free_pages(o->page, o->order);
		model_drop(m, o);
		break;
	default:
		model_trace(m, "kfree 0x%lx (%lu bytes)", o->addr, o->span);
		model_verify(m, o);
		kfree((void *)o->addr);
		model_drop(m, o);
	}
}

void model_release_obj(struct mobj *o)
{
	switch (o->kind) {
	case MK_VMALLOC:
		vfree((void *)o->addr);
		break;
	case MK_VMAP:
		vunmap((void *)o->addr);
		free_frames(o->frames, o->nr_pages);
		break;
	case MK_AREA:
	case MK_SPARSE:
		if (o->mapped)
			vm_area_unmap_pages(o->vm, o->addr, o->addr + o->nr_pages * PAGE_SIZE);
		if (!o->lent)
			free_vm_area(o->vm);
		free_frames(o->frames, MODEL_MAX_PAGES);
		break;
	case MK_ARENA:
		arena_destroy(o->arena);
		break;
	case MK_PAGES:
		free_pages(o->page, o->order);
		break;
	default:
		kfree((void *)o->addr);
	}
	o->live = false;
}

static bool not_lent(const struct mobj *o)
{
	return !o->lent;
}

/* A lent range is given back only at the end (model_free_obj()). */
static void op_free(struct model *m)
{
	struct mobj *o = model_pick(m, MK_NR, not_lent);

	if (o)
		model_free_obj(m, o);
}

static void read_word(void *addr)
{
	(void)*(volatile u64 *)addr;
}

static void write_word(void *addr)
{
	*(volatile u64 *)addr = 0;
}

/*
 * A plain load from a page nothing maps must fault; in a fault-in arena
 * it allocates the page instead (unless memory runs out: then it faults).
 */
/*
 * A load from a page nothing maps must fault; in a fault-in arena it
 * allocates the page instead (unless memory runs out: then it faults).
 * A fault that must happen is taken for real when the engine runs an
 * input (its report names the address and the access); a generated run
 * probes instead, which keeps a long run's log free of reports.
 */
static void touch_unmapped(struct model *m, struct mobj *o, unsigned long i)
{
	static struct ktest_fault fault;
	unsigned long va = o->addr + i * PAGE_SIZE;
	bool fault_in = o->kind == MK_ARENA && (o->flags & ARENA_FAULT_IN), faulted;

	if (!fault_in && !m->cfg->data) {
		model_check_gone(m, va);
		return;
	}
	if (fault_in && model_shared(m)) {     /* the fault catcher is one per machine */
		read_word((void *)va);          /* resolved, or a fault report that ends the run */
		MCHECK(m, vmalloc_to_page((void *)va), "fault-in left 0x%lx unmapped", va);
		arena_fill(m, o, i, 1);
		return;
	}
	/*
	 * A random run's fault-in may fail only where the model allows it,
	 * which it judges from the report itself: kept off the console, it
	 * is no undeclared fault of the case. A replay prints every report.
	 */
	model_quiet_pause(m);
	model_call_begin(m);
	if (m->cfg->data)
		faulted = ktest_catch_fault(NULL, read_word, (void *)va, &fault);
	else
		faulted = ktest_catch_fault_quiet(read_word, (void *)va, &fault);
	model_call_end(m);
	model_quiet_resume(m);
	if (!fault_in || faulted) {
		MCHECK(m, faulted && fault.info.addr == va && !fault.info.write,
		       "reading unmapped 0x%lx did not fault", va);
		MCHECK(m, !fault_in || model_may_fail(m, 4),
		       "fault-in of 0x%lx failed with %lu frames free", va, pfa_free_pages());
		MCHECK(m, !fault_in || ktest_contains(fault.report, "fault-in failed"),
		       "the report of a failed fault-in at 0x%lx does not say so", va);
		MCHECK(m, !vmalloc_to_page((void *)va), "a failed fault-in left 0x%lx mapped", va);
		return;
	}
	MCHECK(m, vmalloc_to_page((void *)va), "fault-in left 0x%lx unmapped", va);
	arena_fill(m, o, i, 1);
}

static bool touchable(const struct mobj *o)
{
	return o->kind != MK_KMALLOC && o->kind != MK_AREA;
}

/* A plain access: reads the page's word, writes it again; a read-only page must fault. */
static void op_touch(struct model *m)
{
	static struct ktest_fault fault;
	struct mobj *o = model_pick(m, MK_NR, touchable);
	unsigned long i, va;
	bool faulted;
	u64 v;

	if (!o)
		return;
	i = model_below(m, o->nr_pages);
	va = o->addr + i * PAGE_SIZE;
	model_trace(m, "touch page %lu of 0x%lx", i, o->addr);
	if (!model_page_mapped(o, i)) {
		touch_unmapped(m, o, i);
		return;
	}
	v = *(volatile u64 *)va;
	MCHECK(m, v == o->tag + i, "page %lu of 0x%lx reads 0x%llx, the model says 0x%llx", i,
	       o->addr, (unsigned long long)v, (unsigned long long)(o->tag + i));
	if (o->read_only && !m->cfg->data) {    /* see touch_unmapped() */
		MCHECK(m, probe_write_u64(va, v) == -EFAULT,
		       "a write to read-only vmap 0x%lx did not fault", va);
		return;
	}
	if (o->read_only) {
		model_quiet_pause(m);
		faulted = ktest_catch_fault(NULL, write_word, (void *)va, &fault);
		model_quiet_resume(m);
		MCHECK(m, faulted && fault.info.write && fault.info.present,
		       "a write to read-only vmap 0x%lx did not fault", va);
		return;
	}
	model_tag_page(m, o, i);
}

static void op_verify(struct model *m)
{
	struct mobj *o = model_pick(m, MK_NR, NULL);

	if (!o)
		return;
	model_trace(m, "verify 0x%lx (%lu pages)", o->addr, o->nr_pages);
	model_verify(m, o);
	if (o->vm && o->kind != MK_VMAP && has_guard(o) && !o->lent)
		model_check_gone(m, o->addr + o->nr_pages * PAGE_SIZE);        /* the guard page */
}

/* After a purge, the recently freed ranges no area took again must fault. */
static void op_purge(struct model *m)
{
	model_trace(m, "vm_unmap_aliases");
	vm_unmap_aliases();
	MCHECK(m, mm_model_stale_count() == 0, "a stale TLB entry survived vm_unmap_aliases()");
	if (model_shared(m))
		return;                 /* another CPU may own a freed range already */
	for (unsigned i = 0; i < MIN(m->nr_recent, MODEL_RECENT); i++)
		if (!find_vm_area((void *)m->recent[i]))
			model_check_gone(m, m->recent[i]);
}

/* --- failure injection and misuse ----------------------------------------------------- */

static void op_fail_next(struct model *m)
{
	struct fault_attr attr = { .mode = FAULT_MODE_NTH };
	enum fault_site site = (enum fault_site)model_below(m, FAULT_NR_SITES);

	attr.n = model_between(m, 1, 16);
	if (model_shared(m)) {
		/* The settings are the machine's: fault_inject_clear_all() would close other CPUs' scopes. */
		model_trace(m, "(skipped on several CPUs: fault-injection settings are global)");
		return;
	}
	model_trace(m, "fail the next operation's %s call %lu", fault_site_name(site), attr.n);
	fault_inject_clear_all();
	MCHECK(m, fault_inject_set(site, &attr) == 0, "fault_inject_set refused");
	m->fail_next = true;
}

static bool has_two_pages(const struct mobj *o)
{
	return o->nr_pages >= 2;
}

static bool maps_pages(const struct mobj *o)
{
	return has_guard(o);
}

/* Each misuse: false if the model holds nothing to misuse. */
static bool misuse_vfree_of_no_area(struct model *m)
{
	model_trace(m, "misuse: vfree of an address in no area");
	model_expect_warnings(m, 1, "vfree");
	vfree((void *)(VMALLOC_END - 3 * PAGE_SIZE));
	return true;
}

static bool misuse_vfree_inside(struct model *m)
{
	struct mobj *o = model_pick(m, MK_VMALLOC, has_two_pages);

	if (!o)
		return false;
	model_trace(m, "misuse: vfree 0x%lx + 1 page", o->addr);
	model_expect_warnings(m, 1, "vfree");
	vfree((void *)(o->addr + PAGE_SIZE));
	model_verify(m, o);
	return true;
}

static bool misuse_vunmap_of_vmalloc(struct model *m)
{
	struct mobj *o = model_pick(m, MK_VMALLOC, NULL);

	if (!o)
		return false;
	model_trace(m, "misuse: vunmap of the vmalloc area 0x%lx", o->addr);
	model_expect_warnings(m, 1, "vunmap");
	vunmap((void *)o->addr);
	model_verify(m, o);
	return true;
}

static bool misuse_vfree_of_vmap(struct model *m)
{
	struct mobj *o = model_pick(m, MK_VMAP, NULL);

	if (!o)
		return false;
	model_trace(m, "misuse: vfree of the vmap area 0x%lx", o->addr);
	model_expect_warnings(m, 1, "vfree");
	vfree((void *)o->addr);
	model_verify(m, o);
	return true;
}

static bool misuse_unaligned_map(struct model *m)
{
	struct mobj *o = model_pick(m, MK_SPARSE, maps_pages);

	if (!o)
		return false;
	model_trace(m, "misuse: unaligned vm_area_map_pages on 0x%lx", o->addr);
	model_expect_warnings(m, 1, "vm_area_map_pages");
	MCHECK(m, vm_area_map_pages(o->vm, o->addr + 8, o->addr + PAGE_SIZE, &o->frames[0]) ==
	       -EINVAL, "an unaligned sparse map was not -EINVAL");
	return true;
}

static bool misuse_free_page_twice(struct model *m)
{
	struct page *p = alloc_page(0);

	model_trace(m, "misuse: free_page of a free frame");
	if (!p)
		return false;
	free_page(p);
	model_expect_warnings(m, 1, "free_pages");
	free_page(p);
	return true;
}

static bool (*const misuses[])(struct model *m) = {
	misuse_vfree_of_no_area, misuse_vfree_inside, misuse_vunmap_of_vmalloc,
	misuse_vfree_of_vmap, misuse_unaligned_map, misuse_free_page_twice,
};

/* Each misuse prints exactly one warning naming the function and changes nothing. */
static void op_misuse(struct model *m)
{
	struct mm_snapshot before, after;

	if (model_skip_warning(m, 1))
		return;
	mm_snapshot_take(&before);
	if (!misuses[model_below(m, ARRAY_SIZE(misuses))](m))
		return;
	mm_snapshot_take(&after);
	after.warnings = before.warnings;
	MCHECK(m, mm_snapshot_equal(&before, &after, "model misuse"),
	       "a refused call changed the memory subsystem");
}

/* --- the table ------------------------------------------------------------------------ */

/* Entry 0 frees (what a creating operation does when the model is full); the last arms a failure. */
const struct model_op mm_model_ops[] = {
	{ "free", op_free, 74, false },
	{ "vmalloc", op_vmalloc, 40, true },
	{ "vmap", op_vmap, 20, true },
	{ "get_vm_area", op_area, 14, true },
	{ "arena_create", op_arena_create, 10, true },
	{ "kmalloc", op_kmalloc, 26, true },
	{ "alloc_pages", op_pages, 8, true },
	{ "sparse_map", op_sparse_map, 18, false },
	{ "sparse_unmap", op_sparse_unmap, 10, false },
	{ "arena_alloc", op_arena_alloc, 12, false },
	{ "arena_free", op_arena_free, 5, false },
	{ "touch", op_touch, 8, false },
	{ "verify", op_verify, 5, false },
	{ "misuse", op_misuse, 2, false },
	{ "purge", op_purge, 3, false },
	{ "fail_next", op_fail_next, 1, false },
};
const unsigned mm_model_nr_op = ARRAY_SIZE(mm_model_ops);

_Static_assert(ARRAY_SIZE(mm_model_ops) <= 32, "mm_model_result.counts too small");
