/*
 * The fuzz engine's operations (see tests/host/fuzz.h for the input
 * format). Each takes its arguments a, b, c from the record, predicts
 * what the call must do from the model, calls it, and updates the model.
 *
 *   op             a                 b                       c
 *   vmalloc        pages - 1         bit 0 zeroed,           bits 0-2 align 4K<<n,
 *                                    bit 1 no guard          bit 3 2 MiB, bit 6 +512 pages
 *   vfree          which             -                       -
 *   vmap           pages - 1 (0-7)   bit 0 no guard,         -
 *                                    bit 1 read-only
 *   vunmap         which             -                       -
 *   get_vm_area    pages - 1 (0-63)  bit 0 VM_SPARSE,        -
 *                                    bit 1 VM_NO_GUARD
 *   free_vm_area   which             bit 0 a VM_SPARSE one   -
 *   sparse map     which             first page              pages - 1 (0-15);
 *                                                            bit 7: a range past the end
 *   sparse unmap   which             first page              pages - 1 (0-15)
 *   arena create   pages - 1 (0-63)  bit 0 ARENA_FAULT_IN    -
 *   arena alloc    which             pages - 1 (0-7)         bit 0 at page c >> 1
 *   arena free     which             first page              pages - 1 (0-15); bit 7 destroy
 *   pages          order (0-4)       bit 0 zeroed            bit 0 free one instead
 *   kmalloc        size: a * 64 + b + 1 (a: which, to kfree)  bit 0 kfree one instead
 *   touch          which             page                    -
 *   purge          -                 -                       -
 *   fail next      site (0-2)        n-th call (1-16)        -
 *   misuse         kind (0-5)        which                   -
 *
 * "which" picks one live object of the kind, modulo their number.
 */
#include "tests/host/fuzz_internal.h"
#include "host/machine.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/arena.h"
#include "mm/fault_inject.h"
#include "mm/init.h"
#include "mm/layout.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"
#include "tests/ktest.h"

#define MARGIN_FRAMES   256     /* below this many free frames, running out is expected */

struct args {
	u8 a, b, c;
};

static u64 next_tag(struct fuzz *f)
{
	return 0x5eed000000000000ull | ((u64)f->op << 8) | (u64)f->p[0];
}

/* True if an allocation of `frames` may fail without a bug: injected, or memory is short. */
static bool may_fail(const struct fuzz *f, unsigned long frames)
{
	return f->failing || pfa_free_pages() < frames + MARGIN_FRAMES;
}

/* Writes page i's tag through the address the object is used by, reads it back through the direct map. */
static void tag_page(struct fuzz *f, struct fobj *o, unsigned long i)
{
	unsigned long va = o->addr + i * PAGE_SIZE;
	struct page *page = o->kind == FK_PAGES ? o->page + i : vmalloc_to_page((void *)va);

	FUZZ_CHECK(f, page, "no page behind 0x%lx", va);
	if (o->read_only)
		*(u64 *)page_address(page) = fuzz_word(o, i);
	else
		*(volatile u64 *)va = fuzz_word(o, i);
	FUZZ_CHECK(f, *(u64 *)page_address(page) == fuzz_word(o, i) &&
		   *(volatile u64 *)va == fuzz_word(o, i),
		   "0x%lx and its frame in the direct map disagree", va);
}

/* Tags the first, a middle and the last page (all, for small objects). */
static void tag_pages(struct fuzz *f, struct fobj *o)
{
	for (unsigned long i = 0; i < o->nr_pages; i++)
		if (o->nr_pages <= 4 || i == 0 || i == o->nr_pages / 2 || i == o->nr_pages - 1)
			tag_page(f, o, i);
}

/*
 * The scope of a FOP_FAIL_NEXT: only the call under test, not the
 * engine's own allocations (frames it hands to vmap, for instance).
 */
static void call_begin(struct fuzz *f)
{
	if (f->failing)
		fault_inject_begin();
}

static void call_end(struct fuzz *f)
{
	if (f->failing)
		fault_inject_end();
}

static bool zeroed(const void *p, size_t len)
{
	return mem_is_filled(p, 0, len);
}

/* --- vmalloc, vmap, areas ----------------------------------------------------- */

static void op_vmalloc(struct fuzz *f, struct args x)
{
	unsigned long pages = 1ul + x.a + ((x.c & 0x40) ? 512 : 0);
	unsigned long align = (x.c & 8) ? (2ul << 20) : PAGE_SIZE << (x.c & 7);
	bool zero = x.b & 1, guard = !(x.b & 2);
	struct fobj *o = fuzz_slot(f);
	struct mm_snapshot before;
	void *p;

	fuzz_trace(f, "vmalloc %lu pages, align 0x%lx%s%s", pages, align, zero ? ", zeroed" : "",
		   guard ? "" : ", no guard");
	if (!o)
		return;
	mm_snapshot_take(&before);
	call_begin(f);
	p = __vmalloc_node_range(pages * PAGE_SIZE, align, VMALLOC_START, VMALLOC_END,
				 zero ? PFA_ZERO : 0, PROT_KERNEL_RW, guard ? 0 : VM_NO_GUARD,
				 (void *)RET_IP);
	call_end(f);
	if (!p) {
		FUZZ_CHECK(f, may_fail(f, pages + 4), "vmalloc of %lu pages failed with %lu frames free",
			   pages, pfa_free_pages());
		fuzz_check_no_trace(f, &before, "vmalloc");
		return;
	}
	*o = (struct fobj){ .kind = FK_VMALLOC, .live = true, .addr = (unsigned long)p,
			    .nr_pages = pages, .span = (pages + guard) * PAGE_SIZE, .align = align,
			    .areas = pages * sizeof(void *) > PAGE_SIZE ? 2 : 1, .tag = next_tag(f),
			    .vm = find_vm_area(p) };
	FUZZ_CHECK(f, o->vm && o->vm->nr_pages == pages && (o->vm->flags & VM_ALLOC),
		   "vmalloc %p: its vm_struct does not describe it", p);
	if (zero)
		FUZZ_CHECK(f, zeroed(p, 64) && zeroed((char *)p + pages * PAGE_SIZE - 64, 64),
			   "vzalloc'ed memory at %p is not zero", p);
	tag_pages(f, o);
}

static void op_vfree(struct fuzz *f, struct args x)
{
	struct fobj *o = fuzz_pick(f, FK_VMALLOC, x.a);

	fuzz_trace(f, "vfree %p", o ? (void *)o->addr : NULL);
	if (!o)
		return;
	vfree((void *)o->addr);
	o->live = false;
}

static void op_vmap(struct fuzz *f, struct args x)
{
	unsigned count = 1 + x.a % 8;
	bool guard = !(x.b & 1), ro = x.b & 2;
	struct fobj *o = fuzz_slot(f);
	struct mm_snapshot before;
	unsigned got = 0;
	void *p;

	fuzz_trace(f, "vmap %u pages%s%s", count, guard ? "" : ", no guard", ro ? ", read-only" : "");
	if (!o)
		return;
	while (got < count && (o->frames[got] = alloc_page(PFA_ZERO)))
		got++;
	if (got < count) {
		FUZZ_CHECK(f, may_fail(f, count), "no frame for vmap with %lu free", pfa_free_pages());
		while (got)
			free_page(o->frames[--got]);
		return;
	}
	mm_snapshot_take(&before);
	call_begin(f);
	p = vmap(o->frames, count, guard ? 0 : VM_NO_GUARD, ro ? PROT_KERNEL_RO : PROT_KERNEL_RW);
	call_end(f);
	if (!p) {
		FUZZ_CHECK(f, may_fail(f, 4), "vmap of %u pages failed", count);
		fuzz_check_no_trace(f, &before, "vmap");
		while (got)
			free_page(o->frames[--got]);
		return;
	}
	o->kind = FK_VMAP;
	o->live = true;
	o->addr = (unsigned long)p;
	o->nr_pages = count;
	o->span = (count + guard) * PAGE_SIZE;
	o->align = PAGE_SIZE;
	o->areas = 1;
	o->tag = next_tag(f);
	o->read_only = ro;
	o->vm = find_vm_area(p);
	for (unsigned i = 0; i < count; i++)
		FUZZ_CHECK(f, vmalloc_to_page((char *)p + i * PAGE_SIZE) == o->frames[i],
			   "vmap page %u is not the frame given", i);
	tag_pages(f, o);
}

static void free_frames(struct fobj *o, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		free_page(o->frames[i]);
		o->frames[i] = NULL;
	}
}

static void op_vunmap(struct fuzz *f, struct args x)
{
	struct fobj *o = fuzz_pick(f, FK_VMAP, x.a);

	fuzz_trace(f, "vunmap %p", o ? (void *)o->addr : NULL);
	if (!o)
		return;
	vunmap((void *)o->addr);
	for (unsigned long i = 0; i < o->nr_pages; i++)
		FUZZ_CHECK(f, page_has_state(o->frames[i], PAGE_ALLOCATED),
			   "vunmap took frame %lu, which is the caller's", i);
	/* Freed at once: only a stale translation of the lazy range still reaches them. */
	free_frames(o, o->nr_pages);
	o->live = false;
}

static void op_get_area(struct fuzz *f, struct args x)
{
	unsigned long pages = 1 + x.a % 64, flags = 0;
	bool guard = !(x.b & 2);
	struct fobj *o = fuzz_slot(f);
	struct vm_struct *vm;

	if (x.b & 1)
		flags |= VM_SPARSE;
	if (!guard)
		flags |= VM_NO_GUARD;
	fuzz_trace(f, "get_vm_area %lu pages, flags 0x%lx", pages, flags);
	if (!o)
		return;
	call_begin(f);
	vm = get_vm_area(pages * PAGE_SIZE, flags);
	call_end(f);
	if (!vm) {
		FUZZ_CHECK(f, f->failing, "get_vm_area of %lu pages failed", pages);
		return;
	}
	*o = (struct fobj){ .kind = (flags & VM_SPARSE) ? FK_SPARSE : FK_AREA, .live = true,
			    .addr = (unsigned long)vm->addr, .nr_pages = pages,
			    .span = (pages + guard) * PAGE_SIZE, .align = PAGE_SIZE, .areas = 1, .vm = vm };
	FUZZ_CHECK(f, vm->size == o->span && vm->flags == flags,
		   "get_vm_area: size 0x%lx flags 0x%lx, asked 0x%lx 0x%lx", vm->size, vm->flags,
		   o->span, flags);
}

static void op_free_area(struct fuzz *f, struct args x)
{
	struct fobj *o = fuzz_pick(f, (x.b & 1) ? FK_SPARSE : FK_AREA, x.a);

	fuzz_trace(f, "free_vm_area %p%s", o ? (void *)o->addr : NULL,
		   o && o->mapped ? " (pages still mapped)" : "");
	if (!o)
		return;
	f->expect_warnings = o->mapped ? 1 : 0;
	free_vm_area(o->vm);
	free_frames(o, FUZZ_MAX_PAGES);         /* sparse: unmapped and flushed by now */
	o->live = false;
}

/* --- VM_SPARSE ------------------------------------------------------------------ */

static void op_sparse_map(struct fuzz *f, struct args x)
{
	struct fobj *o = fuzz_pick(f, FK_SPARSE, x.a);
	unsigned long first, count, start, end;
	struct mm_snapshot before;
	struct page *pages[16];
	unsigned long got = 0;
	int err, want = 0;

	if (!o)
		return;
	first = x.b % o->nr_pages;
	count = 1 + (x.c & 15);
	if (!(x.c & 0x80))
		count = MIN(count, o->nr_pages - first);
	start = o->addr + first * PAGE_SIZE;
	end = start + count * PAGE_SIZE;
	fuzz_trace(f, "vm_area_map_pages %p pages %lu..%lu", (void *)o->addr, first,
		   first + count - 1);
	if (o->span == o->nr_pages * PAGE_SIZE)
		want = -EINVAL;                 /* no guard page */
	else if (first + count > o->nr_pages)
		want = -ERANGE;
	else if (o->mapped & fuzz_mask(first, count))
		want = -EBUSY;
	while (got < count && (pages[got] = alloc_page(0)))
		got++;
	if (got < count) {
		FUZZ_CHECK(f, may_fail(f, count), "no frames for a sparse map");
		while (got)
			free_page(pages[--got]);
		return;
	}
	f->expect_warnings = want ? 1 : 0;
	mm_snapshot_take(&before);
	call_begin(f);
	err = vm_area_map_pages(o->vm, start, end, pages);
	call_end(f);
	if (!want && err == -ENOMEM && may_fail(f, 8))
		want = -ENOMEM;
	FUZZ_CHECK(f, err == want, "vm_area_map_pages gave %d, the model says %d", err, want);
	if (err) {
		if (err == -ENOMEM)
			fuzz_check_no_trace(f, &before, "vm_area_map_pages");
		while (got)
			free_page(pages[--got]);
		return;
	}
	for (unsigned long i = 0; i < count; i++) {
		o->frames[first + i] = pages[i];
		o->mapped |= 1ull << (first + i);
		FUZZ_CHECK(f, vmalloc_to_page((void *)(start + i * PAGE_SIZE)) == pages[i],
			   "sparse page %lu is not the frame given", first + i);
	}
}

static void op_sparse_unmap(struct fuzz *f, struct args x)
{
	struct fobj *o = fuzz_pick(f, FK_SPARSE, x.a);
	unsigned long first, count;

	if (!o)
		return;
	first = x.b % o->nr_pages;
	count = MIN(1ul + (x.c & 15), o->nr_pages - first);
	fuzz_trace(f, "vm_area_unmap_pages %p pages %lu..%lu", (void *)o->addr, first,
		   first + count - 1);
	f->expect_warnings = o->span == o->nr_pages * PAGE_SIZE ? 1 : 0;     /* no guard: refused */
	vm_area_unmap_pages(o->vm, o->addr + first * PAGE_SIZE, o->addr + (first + count) * PAGE_SIZE);
	if (f->expect_warnings)
		return;
	for (unsigned long i = first; i < first + count; i++) {
		FUZZ_CHECK(f, !vmalloc_to_page((void *)(o->addr + i * PAGE_SIZE)),
			   "sparse page %lu still mapped after the unmap", i);
		if (o->frames[i])
			free_page(o->frames[i]);        /* flushed: nobody can reach it */
		o->frames[i] = NULL;
	}
	o->mapped &= ~fuzz_mask(first, count);
}

/* --- arenas -------------------------------------------------------------------- */

static void op_arena_create(struct fuzz *f, struct args x)
{
	unsigned long pages = 1 + x.a % 64;
	unsigned flags = (x.b & 1) ? ARENA_FAULT_IN : 0;
	struct fobj *o = fuzz_slot(f);
	struct arena *a;

	fuzz_trace(f, "arena_create %lu pages%s", pages, flags ? ", fault-in" : "");
	if (!o)
		return;
	call_begin(f);
	a = arena_create(pages * PAGE_SIZE, flags);
	call_end(f);
	if (!a) {
		FUZZ_CHECK(f, may_fail(f, 8), "arena_create of %lu pages failed", pages);
		return;
	}
	*o = (struct fobj){ .kind = FK_ARENA, .live = true, .addr = a->start, .nr_pages = pages,
			    .span = a->area->size, .align = PAGE_SIZE, .areas = 1, .tag = next_tag(f),
			    .fault_in = flags & ARENA_FAULT_IN, .vm = a->area, .arena = a };
}

/* The lowest run of `count` free pages of the model's arena, or -1. */
static long lowest_free_run(const struct fobj *o, unsigned long count)
{
	for (unsigned long i = 0; i + count <= o->nr_pages; i++)
		if (!(o->mapped & fuzz_mask(i, count)))
			return (long)i;
	return -1;
}

static void op_arena_alloc(struct fuzz *f, struct args x)
{
	struct fobj *o = fuzz_pick(f, FK_ARENA, x.a);
	unsigned long count = 1 + x.b % 8, at = 0, first;
	int err = 0, want = 0;
	void *p;

	if (!o)
		return;
	if (x.c & 1) {
		first = (x.c >> 1) % o->nr_pages;
		at = o->addr + first * PAGE_SIZE;
		if (first + count > o->nr_pages)
			want = -EINVAL;
		else if (o->mapped & fuzz_mask(first, count))
			want = -EBUSY;
	} else {
		long run = lowest_free_run(o, count);

		first = run < 0 ? 0 : (unsigned long)run;
		if (count > o->nr_pages)
			want = -EINVAL;
		else if (run < 0)
			want = -ENOSPC;
	}
	fuzz_trace(f, "arena_alloc_pages %p: %lu pages at %s0x%lx", (void *)o->addr, count,
		   at ? "" : "lowest, model says ", o->addr + first * PAGE_SIZE);
	f->expect_warnings = want == -EINVAL ? 1 : 0;
	call_begin(f);
	p = arena_alloc_pages(o->arena, at, count, &err);
	call_end(f);
	if (!want && err == -ENOMEM && may_fail(f, count + 4))
		return;
	FUZZ_CHECK(f, err == want, "arena_alloc_pages gave %d, the model says %d", err, want);
	if (err) {
		FUZZ_CHECK(f, !p, "arena_alloc_pages failed with %d but returned %p", err, p);
		return;
	}
	FUZZ_CHECK(f, (unsigned long)p == o->addr + first * PAGE_SIZE,
		   "arena_alloc_pages gave %p, the model says 0x%lx", p, o->addr + first * PAGE_SIZE);
	FUZZ_CHECK(f, zeroed(p, count * PAGE_SIZE), "arena pages at %p are not zeroed", p);
	o->mapped |= fuzz_mask(first, count);
	for (unsigned long i = first; i < first + count; i++)
		tag_page(f, o, i);
}

static void op_arena_free(struct fuzz *f, struct args x)
{
	struct fobj *o = fuzz_pick(f, FK_ARENA, x.a);
	unsigned long first, count;

	if (!o)
		return;
	if (x.c & 0x80) {
		fuzz_trace(f, "arena_destroy %p", (void *)o->addr);
		arena_destroy(o->arena);
		o->live = false;
		return;
	}
	first = x.b % o->nr_pages;
	count = MIN(1ul + (x.c & 15), o->nr_pages - first);
	fuzz_trace(f, "arena_free_pages %p pages %lu..%lu", (void *)o->addr, first,
		   first + count - 1);
	FUZZ_CHECK(f, arena_free_pages(o->arena, o->addr + first * PAGE_SIZE, count) == 0,
		   "arena_free_pages of a range inside the arena failed");
	o->mapped &= ~fuzz_mask(first, count);
	FUZZ_CHECK(f, o->arena->nr_allocated == (unsigned long)__builtin_popcountll(o->mapped),
		   "the arena has %lu pages, the model %d", o->arena->nr_allocated,
		   __builtin_popcountll(o->mapped));
}

/* --- frames and kmalloc ---------------------------------------------------------- */

static void op_pages(struct fuzz *f, struct args x)
{
	struct fobj *o;

	if (x.c & 1) {
		o = fuzz_pick(f, FK_PAGES, x.a);
		fuzz_trace(f, "free_pages %p order %u", o ? (void *)o->addr : NULL, o ? o->order : 0);
		if (o) {
			free_pages(o->page, o->order);
			o->live = false;
		}
		return;
	}
	o = fuzz_slot(f);
	fuzz_trace(f, "alloc_pages order %u%s", x.a % 5, (x.b & 1) ? ", zeroed" : "");
	if (!o)
		return;
	o->order = x.a % 5;
	call_begin(f);
	o->page = alloc_pages(o->order, (x.b & 1) ? PFA_ZERO : 0);
	call_end(f);
	if (!o->page) {
		FUZZ_CHECK(f, may_fail(f, 1ul << o->order), "alloc_pages order %u failed", o->order);
		return;
	}
	FUZZ_CHECK(f, IS_ALIGNED(page_to_pfn(o->page), 1ul << o->order),
		   "a block of order %u at pfn 0x%lx", o->order, page_to_pfn(o->page));
	if (x.b & 1)
		FUZZ_CHECK(f, zeroed(page_address(o->page), PAGE_SIZE << o->order), "PFA_ZERO block not zero");
	o->kind = FK_PAGES;
	o->live = true;
	o->addr = (unsigned long)page_address(o->page);
	o->nr_pages = 1ul << o->order;
	o->tag = next_tag(f);
	tag_pages(f, o);
}

static void op_kmalloc(struct fuzz *f, struct args x)
{
	size_t size = (size_t)x.a * 64 + x.b + 1;
	struct fobj *o;

	if (x.c & 1) {
		o = fuzz_pick(f, FK_KMALLOC, x.a);
		fuzz_trace(f, "kfree %p", o ? (void *)o->addr : NULL);
		if (o) {
			kfree((void *)o->addr);
			o->live = false;
		}
		return;
	}
	o = fuzz_slot(f);
	fuzz_trace(f, "kmalloc %zu bytes", size);
	if (!o)
		return;
	call_begin(f);
	o->addr = (unsigned long)kmalloc(size);
	call_end(f);
	if (!o->addr) {
		FUZZ_CHECK(f, may_fail(f, 2), "kmalloc(%zu) failed", size);
		return;
	}
	FUZZ_CHECK(f, ksize((void *)o->addr) >= size, "ksize %zu < %zu", ksize((void *)o->addr), size);
	o->kind = FK_KMALLOC;
	o->live = true;
	o->size = size;
	o->tag = next_tag(f);
	memset((void *)o->addr, (u8)o->tag, size);
}

/* --- touching memory --------------------------------------------------------------- */

static void read_word(void *addr)
{
	(void)*(volatile u64 *)addr;
}

static void write_word(void *addr)
{
	*(volatile u64 *)addr = 0;
}

/*
 * A plain access to a page nothing maps must fault; in a fault-in arena
 * it allocates the page instead (unless memory runs out: then it faults).
 */
static void touch_unmapped(struct fuzz *f, struct fobj *o, unsigned long i)
{
	static struct ktest_fault fault;
	unsigned long va = o->addr + i * PAGE_SIZE;
	bool faulted;

	call_begin(f);
	faulted = ktest_catch_fault(NULL, read_word, (void *)va, &fault);
	call_end(f);

	if (!o->fault_in || faulted) {
		FUZZ_CHECK(f, faulted && fault.info.addr == va && !fault.info.write,
			   "reading unmapped 0x%lx did not fault", va);
		FUZZ_CHECK(f, !o->fault_in || may_fail(f, 4),
			   "fault-in of 0x%lx failed with %lu frames free", va, pfa_free_pages());
		FUZZ_CHECK(f, !vmalloc_to_page((void *)va), "a failed fault-in left 0x%lx mapped", va);
		return;
	}
	FUZZ_CHECK(f, vmalloc_to_page((void *)va), "fault-in left 0x%lx unmapped", va);
	FUZZ_CHECK(f, zeroed((void *)va, PAGE_SIZE), "a faulted-in page is not zero");
	o->mapped |= 1ull << i;
	tag_page(f, o, i);
}

static void op_touch(struct fuzz *f, struct args x)
{
	static struct ktest_fault fault;
	struct fobj *o = fuzz_pick(f, FK_NR, x.a);
	unsigned long i;

	if (!o || o->kind == FK_KMALLOC)
		return;
	i = x.b % o->nr_pages;
	fuzz_trace(f, "touch page %lu of %p", i, (void *)o->addr);
	if (o->kind == FK_ARENA && !(o->mapped & (1ull << i))) {
		touch_unmapped(f, o, i);
		return;
	}
	FUZZ_CHECK(f, *(volatile u64 *)(o->addr + i * PAGE_SIZE) == fuzz_word(o, i) ||
		   (o->nr_pages > 4 && i && i != o->nr_pages / 2 && i != o->nr_pages - 1),
		   "page %lu of 0x%lx does not hold its tag", i, o->addr);
	if (o->read_only) {
		FUZZ_CHECK(f, ktest_catch_fault(NULL, write_word, (void *)(o->addr + i * PAGE_SIZE), &fault) &&
			   fault.info.write && fault.info.present,
			   "a write to read-only vmap 0x%lx did not fault", o->addr + i * PAGE_SIZE);
		return;
	}
	tag_page(f, o, i);
}

static void op_purge(struct fuzz *f, struct args x)
{
	fuzz_trace(f, "vm_unmap_aliases");
	vm_unmap_aliases();
	FUZZ_CHECK(f, sim_tlb_for_each_stale(NULL, NULL) == 0,
		   "a stale TLB entry survived vm_unmap_aliases()");
}

/* --- failure injection and misuse ---------------------------------------------------- */

static void op_fail_next(struct fuzz *f, struct args x)
{
	struct fault_attr attr = { .mode = FAULT_MODE_NTH, .n = 1 + x.b % 16 };
	enum fault_site site = (enum fault_site)(x.a % FAULT_NR_SITES);

	fuzz_trace(f, "fail the next operation's %s call %lu", fault_site_name(site), attr.n);
	fault_inject_clear_all();
	FUZZ_CHECK(f, fault_inject_set(site, &attr) == 0, "fault_inject_set refused");
	f->fail_next = true;
}

/*
 * Each misuse must print exactly one warning and change nothing: the
 * snapshot before and after must be equal.
 */
static void op_misuse(struct fuzz *f, struct args x)
{
	struct fobj *v = fuzz_pick(f, FK_VMALLOC, x.b), *m = fuzz_pick(f, FK_VMAP, x.b);
	struct fobj *s = fuzz_pick(f, FK_SPARSE, x.b);
	struct mm_snapshot before, after;

	mm_snapshot_take(&before);
	f->expect_warnings = 1;
	switch (x.a % 6) {
	case 0:
		fuzz_trace(f, "misuse: vfree of an address in no area");
		vfree((void *)(VMALLOC_END - 3 * PAGE_SIZE));
		break;
	case 1:
		fuzz_trace(f, "misuse: vfree inside an area");
		if (!v || v->nr_pages < 2)
			goto none;
		vfree((void *)(v->addr + PAGE_SIZE));
		break;
	case 2:
		fuzz_trace(f, "misuse: vunmap of a vmalloc area");
		if (!v)
			goto none;
		vunmap((void *)v->addr);
		break;
	case 3:
		fuzz_trace(f, "misuse: vfree of a vmap area");
		if (!m)
			goto none;
		vfree((void *)m->addr);
		break;
	case 4:
		fuzz_trace(f, "misuse: unaligned vm_area_map_pages");
		if (!s || s->span == s->nr_pages * PAGE_SIZE)
			goto none;
		FUZZ_CHECK(f, vm_area_map_pages(s->vm, s->addr + 8, s->addr + PAGE_SIZE, &s->frames[0]) ==
			   -EINVAL, "an unaligned sparse map was not -EINVAL");
		break;
	default: {
		struct page *last = virt_to_page((void *)(DIRECT_MAP_BASE + host_ram_top() - PAGE_SIZE));

		fuzz_trace(f, "misuse: free_page of a free frame");
		if (!last || page_is_allocated(last) || page_state(last) == PAGE_RESERVED)
			goto none;
		free_page(last);
		break;
	}
	}
	mm_snapshot_take(&after);
	after.warnings = before.warnings;
	FUZZ_CHECK(f, mm_snapshot_equal(&before, &after, "fuzz misuse"),
		   "a refused call changed the memory subsystem");
	return;
none:
	f->expect_warnings = 0;
}

/* --- the run ------------------------------------------------------------------------ */

typedef void (*op_fn)(struct fuzz *f, struct args x);

static const op_fn ops[FUZZ_NR_OPS] = {
	[FOP_VMALLOC] = op_vmalloc, [FOP_VFREE] = op_vfree, [FOP_VMAP] = op_vmap,
	[FOP_VUNMAP] = op_vunmap, [FOP_GET_AREA] = op_get_area, [FOP_FREE_AREA] = op_free_area,
	[FOP_SPARSE_MAP] = op_sparse_map, [FOP_SPARSE_UNMAP] = op_sparse_unmap,
	[FOP_ARENA_CREATE] = op_arena_create, [FOP_ARENA_ALLOC] = op_arena_alloc,
	[FOP_ARENA_FREE] = op_arena_free, [FOP_PAGES] = op_pages, [FOP_KMALLOC] = op_kmalloc,
	[FOP_TOUCH] = op_touch, [FOP_PURGE] = op_purge, [FOP_FAIL_NEXT] = op_fail_next,
	[FOP_MISUSE] = op_misuse,
};

/* One operation with everything around it: injection scope, then the checks. */
static void run_op(struct fuzz *f, const u8 *rec)
{
	struct args x = { rec[1], rec[2], rec[3] };

	f->warnings = warn_count();
	f->expect_warnings = 0;
	f->failing = f->fail_next && rec[0] % FUZZ_NR_OPS != FOP_FAIL_NEXT;
	ops[rec[0] % FUZZ_NR_OPS](f, x);
	if (f->failing) {
		fault_inject_clear_all();
		f->fail_next = false;
	}
	fuzz_check_all(f);
}

void fuzz_free_everything(struct fuzz *f)
{
	for (unsigned i = 0; i < FUZZ_MAX_OBJS; i++) {
		struct fobj *o = &f->objs[i];

		if (!o->live)
			continue;
		switch (o->kind) {
		case FK_VMALLOC: vfree((void *)o->addr); break;
		case FK_VMAP: vunmap((void *)o->addr); free_frames(o, o->nr_pages); break;
		case FK_AREA: free_vm_area(o->vm); break;
		case FK_SPARSE:
			if (o->mapped)
				vm_area_unmap_pages(o->vm, o->addr, o->addr + o->nr_pages * PAGE_SIZE);
			free_vm_area(o->vm);
			free_frames(o, FUZZ_MAX_PAGES);
			break;
		case FK_ARENA: arena_destroy(o->arena); break;
		case FK_PAGES: free_pages(o->page, o->order); break;
		case FK_KMALLOC: kfree((void *)o->addr); break;
		case FK_NR: break;
		}
		o->live = false;
	}
}

/* Everything freed and purged: the subsystem as boot left it, and no stale translation. */
static void check_the_end(struct fuzz *f)
{
	struct mm_snapshot now, base = f->boot;

	f->op++;
	fuzz_trace(f, "free everything, vm_unmap_aliases");
	f->warnings = warn_count();
	f->expect_warnings = 0;
	fuzz_free_everything(f);
	vm_unmap_aliases();
	fuzz_check_all(f);
	FUZZ_CHECK(f, sim_tlb_for_each_stale(NULL, NULL) == 0, "stale TLB entries at the end");
	mm_snapshot_take(&now);
	mm_snapshot_keep_vmalloc_tables(&base, &now);
	base.warnings = now.warnings;
	FUZZ_CHECK(f, mm_snapshot_equal(&base, &now, "fuzz end"),
		   "freeing everything did not bring the memory subsystem back");
}

static void boot(void)
{
	static const struct host_machine *small;

	if (!small)
		small = host_machine_find("small");
	host_machine_init(small, "fuzz");
	mm_init();
}

int fuzz_run(const u8 *data, size_t size, enum fuzz_mode mode, bool verbose)
{
	static struct fuzz fz;
	struct fuzz *f = &fz;
	volatile int ret = 0;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->verbose = verbose;
	f->p = data;
	f->end = data + MIN(size, (size_t)FUZZ_MAX_OPS * FUZZ_RECORD) / FUZZ_RECORD * FUZZ_RECORD;
	host_console_mute(!verbose);   /* a failure unmutes it to say what broke */
	boot();
	mm_snapshot_take(&f->boot);
	{
		struct vmap_stats st;

		vmap_get_stats(&kernel_vmap_space, &st);
		f->busy_at_boot = st.nr_busy;
	}
	if (ksetjmp(&f->bail) == 0) {
		for (; f->p < f->end; f->p += FUZZ_RECORD, f->op++)
			run_op(f, f->p);
		check_the_end(f);
	} else {
		ret = -1;
	}
	fault_inject_clear_all();
	host_console_mute(false);
	return ret;
}
