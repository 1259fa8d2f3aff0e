/*
 * Random stress against a reference model (tests/stress_model.h): a seeded
 * run of random operations on every allocator of the memory subsystem,
 *
 *   vmalloc / vfree        random sizes (1..16 pages, sometimes 513..600:
 *                          a vmalloc'ed page array) and alignments (4 KiB
 *                          to 2 MiB), zeroed or not
 *   vmap / vunmap          1..8 of the test's own frames, with or without guard
 *   VM_SPARSE              get_vm_area (sometimes prebuilt), vm_area_map_pages
 *                          and vm_area_unmap_pages of random ranges (an
 *                          overlap must be -EBUSY with one warning),
 *                          free_vm_area (sometimes with pages still mapped:
 *                          one warning)
 *   arenas                 create, alloc (lowest fit or at an address: the
 *                          model predicts the address, -EBUSY and -ENOSPC),
 *                          free, fault-in by touching, destroy
 *   kmalloc / kfree        1 byte to 16 KiB
 *
 * each result checked against the model: addresses aligned, inside the
 * right space and overlapping nothing live; the vm_struct as asked; every
 * page mapped to the frame the model says, holding its tag written through
 * one alias and read through the other (vmalloc address and direct map);
 * unmapped pages probe as faulting right after the unmap (a missing TLB
 * flush shows); zeroed memory reads as zero. Every `stress.check`
 * operations (default 500) every live object is verified, mm_check_all()
 * runs, and the vmap busy count and warning count must equal the model's.
 * At the end everything is freed and an mm_snapshot must equal the one
 * taken at the start.
 *
 * Command line: `stress.ops=N` (default STRESS_DEFAULT_OPS, the short run
 * of `make test`), `stress.check=K`, `ktest.seed=S`. The operations depend
 * only on the seed and the model, so a mismatch report
 *
 *   stress: mismatch at op 51234 (seed 12345): <what>; replay with
 *   ktest.seed=12345 stress.ops=51235
 *
 * replays to the same operation (add ktest.filter=stress to skip the
 * other suites). The last operations before it are printed too.
 */
#include "tests/ktest.h"
#include "tests/stress_model.h"
#include "kernel/bench.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/probe.h"
#include "mm/arena.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define STRESS_DEFAULT_OPS      100000
#define STRESS_DEFAULT_CHECK    500
#define TRACE_LEN               8
#define RECENT_LEN              8

/* One operation as the trace remembers it: its name and up to three numbers. */
struct trace {
	unsigned long op;
	const char *what;               /* a format for a, b and c (all unsigned long) */
	unsigned long a, b, c;
};

struct stress_run {
	struct stress_model m;
	u64 seed;
	unsigned long op;               /* index of the operation running */
	char why[256];                  /* the mismatch */
	struct trace trace[TRACE_LEN];
	unsigned long recent[RECENT_LEN];       /* starts of the last vfree'd / vunmap'ed areas */
	unsigned nr_recent;
	unsigned long base_areas, base_warnings;
	unsigned long counts[16];       /* operations done, by ops[] index */
	char capbuf[512];
};

static struct stress_run run;           /* 40 KiB of model: not on the stack */

/* --- reporting ------------------------------------------------------------ */

static int __printf(2, 3) mismatch(struct stress_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define CHECK(r, cond, ...) do {                                        \
	if (unlikely(!(cond)))                                          \
		return mismatch(r, __VA_ARGS__);                        \
} while (0)

#define TRY(expr) do {                                                  \
	int __e = (expr);                                               \
	if (__e)                                                        \
		return __e;                                             \
} while (0)

static void note(struct stress_run *r, const char *what, unsigned long a, unsigned long b,
		 unsigned long c)
{
	r->trace[r->op % TRACE_LEN] = (struct trace){ r->op, what, a, b, c };
}

/* --- pages: tags through two aliases, unmapped pages -------------------------- */

/* Writes tag at +0 through `va` and ~tag at +8 through the direct map. */
static int tag_page(struct stress_run *r, unsigned long va, u64 tag)
{
	struct page *page = vmalloc_to_page((void *)va);

	CHECK(r, page, "0x%lx should be mapped, it is not", va);
	CHECK(r, probe_write_u64(va, tag) == 0, "write to 0x%lx faulted", va);
	((u64 *)page_address(page))[1] = ~tag;
	return 0;
}

/* The page at `va` is `want` (if not NULL) and holds what tag_page(tag) wrote. */
static int check_page(struct stress_run *r, unsigned long va, u64 tag, struct page *want)
{
	struct page *page = vmalloc_to_page((void *)va);
	u64 direct, alias = 0;

	CHECK(r, page, "0x%lx should be mapped, it is not", va);
	CHECK(r, !want || page == want, "0x%lx maps pfn 0x%lx, the model says pfn 0x%lx", va,
	      page_to_pfn(page), page_to_pfn(want));
	direct = ((u64 *)page_address(page))[0];
	CHECK(r, direct == tag, "0x%lx holds 0x%llx through the direct map, the model says 0x%llx",
	      va, (unsigned long long)direct, (unsigned long long)tag);
	CHECK(r, probe_read_u64(va + 8, &alias) == 0, "read of 0x%lx faulted", va + 8);
	CHECK(r, alias == ~tag, "0x%lx holds 0x%llx, the model says 0x%llx (written through "
	      "the direct map)", va + 8, (unsigned long long)alias, (unsigned long long)~tag);
	return 0;
}

/* A frame the test owns still holds page `i`'s tag (read through the direct map). */
static int check_frame(struct stress_run *r, struct page *page, u64 tag)
{
	const u64 *w = page_address(page);

	CHECK(r, w[0] == tag && w[1] == ~tag, "pfn 0x%lx holds 0x%llx/0x%llx, the model says "
	      "0x%llx/0x%llx", page_to_pfn(page), (unsigned long long)w[0],
	      (unsigned long long)w[1], (unsigned long long)tag, (unsigned long long)~tag);
	return 0;
}

/* Nothing is mapped at `va`, and the CPU agrees (the TLB was flushed). */
static int check_gone(struct stress_run *r, unsigned long va)
{
	u64 v;

	CHECK(r, !vmalloc_to_page((void *)va), "0x%lx should be unmapped, it maps pfn 0x%lx", va,
	      vmalloc_to_pfn((void *)va));
	CHECK(r, probe_read_u64(va, &v) == -EFAULT, "0x%lx is unmapped but still reads "
	      "(0x%llx): stale TLB entry", va, (unsigned long long)v);
	return 0;
}

/* The first words of the page at `va` read as zero. */
static int check_zero(struct stress_run *r, unsigned long va)
{
	u64 w[4] = { 1, 1, 1, 1 };

	CHECK(r, probe_read(w, (void *)va, sizeof(w)) == 0, "read of 0x%lx faulted", va);
	CHECK(r, !(w[0] | w[1] | w[2] | w[3]), "0x%lx should be zeroed, it holds 0x%llx...", va,
	      (unsigned long long)(w[0] | w[1] | w[2] | w[3]));
	return 0;
}

/* vmalloc and vmap objects have every page mapped (they may have more than 64). */
static bool page_mapped(const struct stress_obj *o, unsigned long i)
{
	return o->kind == SK_VMALLOC || o->kind == SK_VMAP || (o->mapped & stress_mask(i, 1));
}

/* --- whole objects ---------------------------------------------------------------- */

static int verify_kmalloc(struct stress_run *r, const struct stress_obj *o)
{
	const u8 *p = (const u8 *)o->addr;

	CHECK(r, ksize(p) >= o->span, "kmalloc(%lu) = %p has ksize %zu", o->span, p, ksize(p));
	for (unsigned long i = 0; i < o->span; i++)
		CHECK(r, p[i] == (u8)o->tag, "kmalloc(%lu) = %p: byte %lu is 0x%x, the model "
		      "says 0x%x", o->span, p, i, p[i], (u8)o->tag);
	return 0;
}

/* Every page of `o` is mapped (to the model's frame) with its tag, or is not mapped. */
static int verify_obj(struct stress_run *r, const struct stress_obj *o)
{
	if (o->kind == SK_KMALLOC)
		return verify_kmalloc(r, o);
	for (unsigned long i = 0; i < o->nr_pages; i++) {
		unsigned long va = o->addr + i * PAGE_SIZE;

		if (o->kind == SK_VMALLOC)      /* its frames: mm_check_vmalloc_pages() */
			TRY(check_page(r, va, o->tag + i, NULL));
		else if (page_mapped(o, i))
			TRY(check_page(r, va, o->tag + i, o->pages[i]));
		else
			CHECK(r, !vmalloc_to_page((void *)va), "0x%lx (page %lu) should be unmapped",
			      va, i);
	}
	return 0;
}

/* A new object is where it may be: aligned, in its space, overlapping nothing live. */
static int check_placement(struct stress_run *r, const struct stress_obj *o, unsigned long align)
{
	const struct stress_obj *other = stress_overlap(&r->m, o);

	CHECK(r, IS_ALIGNED(o->addr, align), "0x%lx is not aligned to 0x%lx", o->addr, align);
	if (o->kind != SK_KMALLOC)
		CHECK(r, is_vmalloc_addr((void *)o->addr) &&
		      o->addr + o->span <= VMALLOC_END, "0x%lx-0x%lx is not in the vmalloc space",
		      o->addr, o->addr + o->span);
	CHECK(r, !other, "0x%lx-0x%lx overlaps the live 0x%lx-0x%lx", o->addr,
	      o->addr + o->span, other ? other->addr : 0, other ? other->addr + other->span : 0);
	return 0;
}

/* The area at o->addr is as asked: its start, size with guard, flags. */
static int check_area(struct stress_run *r, const struct stress_obj *o, unsigned long flags)
{
	struct vm_struct *vm = find_vm_area((void *)o->addr);

	CHECK(r, vm, "no area at 0x%lx", o->addr);
	CHECK(r, (unsigned long)vm->addr == o->addr && vm->size == o->span &&
	      vm->flags == flags, "area at 0x%lx: addr %p size 0x%lx flags 0x%lx, the model "
	      "says size 0x%lx flags 0x%lx", o->addr, vm->addr, vm->size, vm->flags, o->span, flags);
	return 0;
}

/* Remembers a freed range's start for the purge operation. */
static void remember_freed(struct stress_run *r, unsigned long addr)
{
	r->recent[r->nr_recent++ % RECENT_LEN] = addr;
}

/* --- expected warnings ------------------------------------------------------------------ */

static struct ktest_capture cap;

static void quiet_start(struct stress_run *r)
{
	ktest_capture_start(&cap, r->capbuf, sizeof(r->capbuf), true);
}

/* Exactly `lines` warning lines were printed since quiet_start(), naming `fn`. */
static int quiet_stop(struct stress_run *r, unsigned lines, const char *fn)
{
	unsigned got = ktest_capture_stop(&cap);

	CHECK(r, got == lines, "%u lines printed, the model says %u: %s", got, lines, r->capbuf);
	CHECK(r, !lines || ktest_contains(r->capbuf, fn), "the warning does not name %s: %s",
	      fn, r->capbuf);
	r->m.warnings += lines;
	return 0;
}

/* --- vmalloc ------------------------------------------------------------------------------ */

static int op_vmalloc(struct stress_run *r)
{
	struct stress_obj *o = stress_slot(&r->m);
	unsigned long pages, align = PAGE_SIZE;
	bool zero;
	u8 *p;

	pages = stress_chance(&r->m, 1) ? stress_rand_between(&r->m, 513, 600)
					 : stress_rand_between(&r->m, 1, 16);
	if (stress_chance(&r->m, 30))
		align = PAGE_SIZE << stress_rand_between(&r->m, 1, 9);
	zero = stress_chance(&r->m, 25);
	note(r, zero ? "__vmalloc_node %lu pages, align 0x%lx, PFA_ZERO" :
	     "__vmalloc_node %lu pages, align 0x%lx", pages, align, 0);
	p = __vmalloc_node(pages * PAGE_SIZE, align, zero ? PFA_ZERO : 0, (void *)THIS_IP);
	CHECK(r, p, "__vmalloc_node(%lu pages, align 0x%lx) failed", pages, align);
	*o = (struct stress_obj){ .kind = SK_VMALLOC, .addr = (unsigned long)p,
				  .span = (pages + 1) * PAGE_SIZE, .nr_pages = pages,
				  .tag = stress_rand(&r->m), .mapped = stress_mask(0, pages),
				  .areas = pages > PAGE_SIZE / sizeof(void *) ? 2 : 1 };
	stress_add(&r->m, o);           /* from here on the final cleanup frees it */
	TRY(check_placement(r, o, align));
	TRY(check_area(r, o, VM_ALLOC));
	for (unsigned long i = 0; i < pages; i++) {
		if (zero && (i == 0 || i == pages - 1))
			TRY(check_zero(r, o->addr + i * PAGE_SIZE));
		TRY(tag_page(r, o->addr + i * PAGE_SIZE, o->tag + i));
	}
	return 0;
}

static int free_vmalloc(struct stress_run *r, struct stress_obj *o)
{
	note(r, "vfree 0x%lx (%lu pages)", o->addr, o->nr_pages, 0);
	TRY(verify_obj(r, o));
	vfree((void *)o->addr);
	stress_drop(&r->m, o);
	for (unsigned long i = 0; i < o->nr_pages; i++)
		CHECK(r, !vmalloc_to_page((void *)(o->addr + i * PAGE_SIZE)),
		      "page %lu of the vfree'd 0x%lx is still mapped", i, o->addr);
	CHECK(r, !find_vm_area((void *)o->addr), "0x%lx is still an area after vfree", o->addr);
	remember_freed(r, o->addr);
	return 0;
}

/* A misuse in passing: vfree of the second page of an area; nothing may change. */
static bool has_two_pages(const struct stress_obj *o)
{
	return o->nr_pages >= 2;
}

static int op_vfree_inside(struct stress_run *r)
{
	struct stress_obj *o = stress_pick(&r->m, SK_VMALLOC, has_two_pages);

	if (!o)
		return 0;
	note(r, "vfree 0x%lx + 1 page (misuse)", o->addr, 0, 0);
	quiet_start(r);
	vfree((void *)(o->addr + PAGE_SIZE));
	TRY(quiet_stop(r, 1, "vfree"));
	return verify_obj(r, o);
}

/* --- vmap ------------------------------------------------------------------------------------ */

static void free_frames(struct page **pages, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		free_page(pages[i]);
		pages[i] = NULL;
	}
}

/* Fills pages[first .. first + n) with fresh frames; false (none kept) if out. */
static bool alloc_frames(struct page **pages, unsigned long first, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		pages[first + i] = alloc_page(0);
		if (!pages[first + i]) {
			free_frames(pages + first, i);
			return false;
		}
	}
	return true;
}

static int op_vmap(struct stress_run *r)
{
	struct stress_obj *o = stress_slot(&r->m);
	unsigned long n = stress_rand_between(&r->m, 1, 8);
	unsigned long flags = stress_chance(&r->m, 20) ? VM_NO_GUARD : 0;
	void *p;

	note(r, "vmap %lu pages, flags 0x%lx", n, flags, 0);
	*o = (struct stress_obj){ .kind = SK_VMAP, .nr_pages = n, .tag = stress_rand(&r->m),
				  .mapped = stress_mask(0, n), .flags = VM_MAP | flags,
				  .span = (n + (flags ? 0 : 1)) * PAGE_SIZE, .areas = 1 };
	CHECK(r, alloc_frames(o->pages, 0, n), "out of frames for vmap");
	p = vmap(o->pages, n, flags, PROT_KERNEL_RW);
	if (!p)
		free_frames(o->pages, n);
	CHECK(r, p, "vmap(%lu pages, flags 0x%lx) failed", n, flags);
	o->addr = (unsigned long)p;
	stress_add(&r->m, o);           /* from here on the final cleanup frees it */
	TRY(check_placement(r, o, PAGE_SIZE));
	TRY(check_area(r, o, VM_MAP | flags));
	for (unsigned long i = 0; i < n; i++)
		TRY(tag_page(r, o->addr + i * PAGE_SIZE, o->tag + i));
	return verify_obj(r, o);
}

static int free_vmap(struct stress_run *r, struct stress_obj *o)
{
	note(r, "vunmap 0x%lx (%lu pages)", o->addr, o->nr_pages, 0);
	TRY(verify_obj(r, o));
	vunmap((void *)o->addr);
	stress_drop(&r->m, o);
	for (unsigned long i = 0; i < o->nr_pages; i++) {
		CHECK(r, !vmalloc_to_page((void *)(o->addr + i * PAGE_SIZE)),
		      "page %lu of the vunmap'ed 0x%lx is still mapped", i, o->addr);
		TRY(check_frame(r, o->pages[i], o->tag + i));  /* still the test's */
	}
	free_frames(o->pages, o->nr_pages);
	remember_freed(r, o->addr);
	return 0;
}

/* --- VM_SPARSE ---------------------------------------------------------------------------------- */

static int op_sparse_create(struct stress_run *r)
{
	struct stress_obj *o = stress_slot(&r->m);
	unsigned long n = stress_rand_between(&r->m, 1, STRESS_MAX_PAGES);
	unsigned long flags = VM_SPARSE | (stress_chance(&r->m, 10) ? VM_SPARSE_PREBUILT : 0);
	unsigned long span = (flags & VM_SPARSE_PREBUILT) ?
			     ALIGN_UP((n + 1) * PAGE_SIZE, VM_SPARSE_TABLE_SPAN) : (n + 1) * PAGE_SIZE;
	struct vm_struct *vm;

	note(r, "get_vm_area %lu pages, flags 0x%lx", n, flags, 0);
	vm = get_vm_area(n * PAGE_SIZE, flags);
	CHECK(r, vm, "get_vm_area(%lu pages, 0x%lx) failed", n, flags);
	*o = (struct stress_obj){ .kind = SK_SPARSE, .addr = (unsigned long)vm->addr,
				  .span = span, .nr_pages = n, .tag = stress_rand(&r->m),
				  .flags = flags, .vm = vm, .areas = 1 };
	stress_add(&r->m, o);
	TRY(check_placement(r, o, (flags & VM_SPARSE_PREBUILT) ? VM_SPARSE_TABLE_SPAN : PAGE_SIZE));
	TRY(check_area(r, o, flags));
	return check_gone(r, o->addr + stress_rand_between(&r->m, 0, n - 1) * PAGE_SIZE);
}

static int op_sparse_map(struct stress_run *r)
{
	struct stress_obj *o = stress_pick(&r->m, SK_SPARSE, NULL);
	unsigned long first, n, start;
	struct page *pages[8];
	bool busy;
	int err;

	if (!o)
		return 0;
	first = stress_rand_between(&r->m, 0, o->nr_pages - 1);
	n = stress_rand_between(&r->m, 1, MIN(8, o->nr_pages - first));
	busy = o->mapped & stress_mask(first, n);
	start = o->addr + first * PAGE_SIZE;
	note(r, "vm_area_map_pages 0x%lx, pages %lu + %lu", o->addr, first, n);
	CHECK(r, alloc_frames(pages, 0, n), "out of frames for vm_area_map_pages");
	if (busy)
		quiet_start(r);
	err = vm_area_map_pages(o->vm, start, start + n * PAGE_SIZE, pages);
	if (busy)
		TRY(quiet_stop(r, 1, "vm_area_map_pages"));
	if (err)
		free_frames(pages, n);
	CHECK(r, err == (busy ? -EBUSY : 0), "vm_area_map_pages(pages %lu..%lu) = %d, the "
	      "model says %d", first, first + n, err, busy ? -EBUSY : 0);
	if (busy)
		return verify_obj(r, o);        /* nothing changed */
	for (unsigned long i = 0; i < n; i++)
		o->pages[first + i] = pages[i];
	o->mapped |= stress_mask(first, n);
	for (unsigned long i = first; i < first + n; i++)
		TRY(tag_page(r, o->addr + i * PAGE_SIZE, o->tag + i));
	return 0;
}

/* Clears the model's pages [first, first + n): each must be unmapped (flushed) and intact. */
static int sparse_forget(struct stress_run *r, struct stress_obj *o, unsigned long first,
			 unsigned long n)
{
	for (unsigned long i = first; i < first + n; i++) {
		if (!page_mapped(o, i))
			continue;
		TRY(check_gone(r, o->addr + i * PAGE_SIZE));
		TRY(check_frame(r, o->pages[i], o->tag + i));
		free_frames(&o->pages[i], 1);
	}
	o->mapped &= ~stress_mask(first, n);
	return 0;
}

static int op_sparse_unmap(struct stress_run *r)
{
	struct stress_obj *o = stress_pick(&r->m, SK_SPARSE, NULL);
	unsigned long first, n;

	if (!o)
		return 0;
	first = stress_rand_between(&r->m, 0, o->nr_pages - 1);
	n = stress_rand_between(&r->m, 1, o->nr_pages - first);
	note(r, "vm_area_unmap_pages 0x%lx, pages %lu + %lu", o->addr, first, n);
	TRY(verify_obj(r, o));          /* touches every mapped page: TLB entries exist */
	vm_area_unmap_pages(o->vm, o->addr + first * PAGE_SIZE, o->addr + (first + n) * PAGE_SIZE);
	return sparse_forget(r, o, first, n);
}

/* Sometimes with pages still mapped: documented as one warning, pages left alone. */
static int free_sparse(struct stress_run *r, struct stress_obj *o)
{
	bool leave = stress_chance(&r->m, 20) && o->mapped;

	note(r, leave ? "free_vm_area 0x%lx with pages 0x%lx mapped" :
	     "vm_area_unmap_pages + free_vm_area 0x%lx (mapped 0x%lx)", o->addr, o->mapped, 0);
	TRY(verify_obj(r, o));
	if (!leave)
		vm_area_unmap_pages(o->vm, o->addr, o->addr + o->nr_pages * PAGE_SIZE);
	quiet_start(r);
	free_vm_area(o->vm);
	stress_drop(&r->m, o);
	TRY(quiet_stop(r, leave ? 1 : 0, "free_vm_area"));
	CHECK(r, !find_vm_area((void *)o->addr), "0x%lx is still an area after free_vm_area",
	      o->addr);
	return sparse_forget(r, o, 0, o->nr_pages);
}

/* --- arenas --------------------------------------------------------------------------------------- */

static int check_arena_count(struct stress_run *r, const struct stress_obj *o)
{
	CHECK(r, o->arena->nr_allocated == stress_popcount(o->mapped),
	      "arena 0x%lx has %lu pages allocated, the model says %u", o->addr,
	      o->arena->nr_allocated, stress_popcount(o->mapped));
	return 0;
}

static int op_arena_create(struct stress_run *r)
{
	struct stress_obj *o = stress_slot(&r->m);
	unsigned long n = stress_rand_between(&r->m, 1, STRESS_MAX_PAGES);
	unsigned flags = (stress_chance(&r->m, 50) ? ARENA_FAULT_IN : 0) |
			 (stress_chance(&r->m, 10) ? ARENA_PREBUILT : 0);
	struct arena *a;

	note(r, "arena_create %lu pages, flags 0x%lx", n, flags, 0);
	a = arena_create(n * PAGE_SIZE, flags);
	CHECK(r, a, "arena_create(%lu pages, 0x%x) failed", n, flags);
	*o = (struct stress_obj){ .kind = SK_ARENA, .addr = a->start, .span = a->area->size,
				  .nr_pages = n, .tag = stress_rand(&r->m), .flags = flags,
				  .arena = a, .areas = 1 };
	stress_add(&r->m, o);
	CHECK(r, a->nr_pages == n && a->start == (unsigned long)a->area->addr,
	      "arena of %lu pages: nr_pages %lu, start 0x%lx, area %p", n, a->nr_pages,
	      a->start, a->area->addr);
	TRY(check_placement(r, o, PAGE_SIZE));
	TRY(check_arena_count(r, o));
	return check_gone(r, o->addr + stress_rand_between(&r->m, 0, n - 1) * PAGE_SIZE);
}

/* Fresh arena pages read as zero; then they get their tags. */
static int arena_fill(struct stress_run *r, struct stress_obj *o, unsigned long first,
		      unsigned long n)
{
	o->mapped |= stress_mask(first, n);
	for (unsigned long i = first; i < first + n; i++) {
		TRY(check_zero(r, o->addr + i * PAGE_SIZE));
		TRY(tag_page(r, o->addr + i * PAGE_SIZE, o->tag + i));
	}
	return check_arena_count(r, o);
}

static int op_arena_alloc(struct stress_run *r)
{
	struct stress_obj *o = stress_pick(&r->m, SK_ARENA, NULL);
	unsigned long first = 0, n, addr = 0;
	long want;
	void *p;
	int err;

	if (!o)
		return 0;
	if (stress_chance(&r->m, 50)) {         /* lowest fit */
		n = stress_rand_between(&r->m, 1, MIN(8, o->nr_pages));
		want = stress_lowest_free_run(o, n);
	} else {                                /* at an address */
		first = stress_rand_between(&r->m, 0, o->nr_pages - 1);
		n = stress_rand_between(&r->m, 1, MIN(8, o->nr_pages - first));
		addr = o->addr + first * PAGE_SIZE;
		want = (o->mapped & stress_mask(first, n)) ? -EBUSY : (long)first;
	}
	if (!addr && want < 0)
		want = -ENOSPC;
	note(r, addr ? "arena_alloc_pages 0x%lx, pages %lu + %lu" :
	     "arena_alloc_pages 0x%lx, lowest fit (%lu) of %lu pages", o->addr, first, n);
	p = arena_alloc_pages(o->arena, addr, n, &err);
	CHECK(r, want < 0 ? (!p && err == want) : (p == (void *)(o->addr + want * PAGE_SIZE) && !err),
	      "arena_alloc_pages(0x%lx, %lu pages) = %p, err %d; the model says %s %ld",
	      addr, n, p, err, want < 0 ? "error" : "page", want);
	if (want < 0)
		return check_arena_count(r, o);
	return arena_fill(r, o, want, n);
}

static bool has_free_page_and_faults_in(const struct stress_obj *o)
{
	return (o->flags & ARENA_FAULT_IN) && o->mapped != stress_mask(0, o->nr_pages);
}

/* A plain load from a free page of an ARENA_FAULT_IN arena allocates it. */
static int op_arena_touch(struct stress_run *r)
{
	struct stress_obj *o = stress_pick(&r->m, SK_ARENA, has_free_page_and_faults_in);
	unsigned long i, skip;
	u64 v;

	if (!o)
		return 0;
	skip = stress_rand_between(&r->m, 0, o->nr_pages - 1 - stress_popcount(o->mapped));
	for (i = 0; page_mapped(o, i) || skip--; i++)
		;
	note(r, "arena 0x%lx: touch page %lu (fault-in)", o->addr, i, 0);
	v = *(volatile u64 *)(o->addr + i * PAGE_SIZE + 16);
	CHECK(r, v == 0, "faulted-in arena page 0x%lx reads 0x%llx", o->addr + i * PAGE_SIZE,
	      (unsigned long long)v);
	return arena_fill(r, o, i, 1);
}

static int op_arena_free(struct stress_run *r)
{
	struct stress_obj *o = stress_pick(&r->m, SK_ARENA, NULL);
	unsigned long first, n;
	int err;

	if (!o)
		return 0;
	first = stress_rand_between(&r->m, 0, o->nr_pages - 1);
	n = stress_rand_between(&r->m, 1, o->nr_pages - first);
	note(r, "arena_free_pages 0x%lx, pages %lu + %lu", o->addr, first, n);
	TRY(verify_obj(r, o));
	err = arena_free_pages(o->arena, o->addr + first * PAGE_SIZE, n);
	CHECK(r, err == 0, "arena_free_pages(page %lu, %lu pages) = %d", first, n, err);
	for (unsigned long i = first; i < first + n; i++)
		if (page_mapped(o, i))
			TRY(check_gone(r, o->addr + i * PAGE_SIZE));
	o->mapped &= ~stress_mask(first, n);
	return check_arena_count(r, o);
}

static int free_arena(struct stress_run *r, struct stress_obj *o)
{
	note(r, "arena_destroy 0x%lx (allocated 0x%lx)", o->addr, o->mapped, 0);
	TRY(verify_obj(r, o));
	TRY(check_arena_count(r, o));
	TRY(arena_check(o->arena) ? mismatch(r, "arena_check(0x%lx) failed", o->addr) : 0);
	arena_destroy(o->arena);
	stress_drop(&r->m, o);
	CHECK(r, !find_vm_area((void *)o->addr), "0x%lx is still an area after arena_destroy",
	      o->addr);
	for (unsigned long i = 0; i < o->nr_pages; i++)
		if (page_mapped(o, i))
			TRY(check_gone(r, o->addr + i * PAGE_SIZE));
	return 0;
}

/* --- kmalloc -------------------------------------------------------------------------------------- */

/* kmalloc's alignment: power-of-two sizes up to 1 KiB to their size, 4 KiB above, else 8. */
static unsigned long kmalloc_align(unsigned long size)
{
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return PAGE_SIZE;
	return IS_POWER_OF_2(size) ? MAX(size, (unsigned long)KMALLOC_MIN_ALIGN) : KMALLOC_MIN_ALIGN;
}

static int op_kmalloc(struct stress_run *r)
{
	struct stress_obj *o = stress_slot(&r->m);
	unsigned long size = stress_chance(&r->m, 80) ? stress_rand_between(&r->m, 1, 1024)
						      : stress_rand_between(&r->m, 1025, 16384);
	void *p;

	if (stress_chance(&r->m, 20))
		size = 1ul << stress_rand_between(&r->m, 3, 10);
	note(r, "kmalloc %lu bytes", size, 0, 0);
	p = kmalloc(size);
	CHECK(r, p, "kmalloc(%lu) failed", size);
	*o = (struct stress_obj){ .kind = SK_KMALLOC, .addr = (unsigned long)p, .span = size,
				  .tag = stress_rand(&r->m) };
	stress_add(&r->m, o);
	TRY(check_placement(r, o, kmalloc_align(size)));
	CHECK(r, page_has_state(virt_to_page(p), PAGE_SLAB),
	      "kmalloc(%lu) = %p is not in a slab frame", size, p);
	memset(p, (u8)o->tag, size);
	return verify_kmalloc(r, o);
}

static int free_kmalloc(struct stress_run *r, struct stress_obj *o)
{
	note(r, "kfree 0x%lx (%lu bytes)", o->addr, o->span, 0);
	TRY(verify_kmalloc(r, o));
	kfree((void *)o->addr);
	stress_drop(&r->m, o);
	return 0;
}

/* --- any object ------------------------------------------------------------------------------------ */

static int free_obj(struct stress_run *r, struct stress_obj *o)
{
	switch (o->kind) {
	case SK_VMALLOC: return free_vmalloc(r, o);
	case SK_VMAP: return free_vmap(r, o);
	case SK_SPARSE: return free_sparse(r, o);
	case SK_ARENA: return free_arena(r, o);
	default: return free_kmalloc(r, o);
	}
}

static int op_free(struct stress_run *r)
{
	struct stress_obj *o = stress_pick(&r->m, SK_NR, NULL);

	if (!o)
		return 0;
	return free_obj(r, o);
}

static int op_verify(struct stress_run *r)
{
	struct stress_obj *o = stress_pick(&r->m, SK_NR, NULL);

	if (!o)
		return 0;
	note(r, "verify 0x%lx (%lu pages)", o->addr, o->nr_pages, 0);
	TRY(verify_obj(r, o));
	if (o->kind == SK_VMALLOC || o->kind == SK_SPARSE || o->kind == SK_ARENA)
		return check_gone(r, o->addr + o->nr_pages * PAGE_SIZE);       /* the guard page */
	return 0;
}

/* After a purge, the recently freed ranges no area took again must fault. */
static int op_purge(struct stress_run *r)
{
	note(r, "vm_unmap_aliases", 0, 0, 0);
	vm_unmap_aliases();
	for (unsigned i = 0; i < MIN(r->nr_recent, RECENT_LEN); i++)
		if (!find_vm_area((void *)r->recent[i]))
			TRY(check_gone(r, r->recent[i]));
	return 0;
}

/* --- the run ------------------------------------------------------------------------------------------ */

struct stress_op {
	const char *name;
	int (*run)(struct stress_run *r);
	unsigned weight;                /* out of 100 */
	bool creates;                   /* needs a free slot */
};

#define OP_FREE 0

static const struct stress_op ops[] = {
	[OP_FREE] = { "free", op_free, 30, false },
	{ "vmalloc", op_vmalloc, 17, true },
	{ "vmap", op_vmap, 8, true },
	{ "sparse_create", op_sparse_create, 5, true },
	{ "arena_create", op_arena_create, 4, true },
	{ "kmalloc", op_kmalloc, 12, true },
	{ "sparse_map", op_sparse_map, 7, false },
	{ "sparse_unmap", op_sparse_unmap, 4, false },
	{ "arena_alloc", op_arena_alloc, 5, false },
	{ "arena_touch", op_arena_touch, 2, false },
	{ "arena_free", op_arena_free, 2, false },
	{ "verify", op_verify, 2, false },
	{ "vfree_inside", op_vfree_inside, 1, false },
	{ "purge", op_purge, 1, false },
};

_Static_assert(ARRAY_SIZE(ops) <= ARRAY_SIZE(run.counts), "counts[] too small");

/* Picks an operation; one that needs a slot when the model is full frees instead. */
static unsigned pick_op(struct stress_run *r)
{
	unsigned roll = stress_rand(&r->m) % 100, i;

	for (i = 0; i < ARRAY_SIZE(ops) - 1 && roll >= ops[i].weight; i++)
		roll -= ops[i].weight;
	if (ops[i].creates && r->m.nr_live_all >= STRESS_MAX_OBJS - 1)
		return OP_FREE;
	return i;
}

/* The checkpoint: every object, every checker, the area and warning counts. */
static int checkpoint(struct stress_run *r)
{
	struct vmap_stats st;

	for (unsigned i = 0; i < STRESS_MAX_OBJS; i++) {
		struct stress_obj *o = &r->m.objs[i];

		if (o->live)
			TRY(verify_obj(r, o));
		if (o->live && o->kind == SK_ARENA)
			TRY(check_arena_count(r, o));
	}
	CHECK(r, mm_check_all() == 0, "mm_check_all() failed (see above)");
	vmap_get_stats(&kernel_vmap_space, &st);
	CHECK(r, st.nr_busy == r->base_areas + r->m.areas, "%lu busy vmap areas, the model "
	      "says %lu", st.nr_busy, r->base_areas + r->m.areas);
	CHECK(r, warn_count() == r->base_warnings + r->m.warnings, "%lu warnings printed, the "
	      "model says %lu", warn_count() - r->base_warnings, r->m.warnings);
	return 0;
}

static void print_mismatch(struct ktest *t, struct stress_run *r)
{
	ktest_log(t, "stress: mismatch at op %lu (seed %llu): %s; replay with ktest.seed=%llu "
		  "stress.ops=%lu", r->op, (unsigned long long)r->seed, r->why,
		  (unsigned long long)r->seed, r->op + 1);
	for (unsigned long k = r->op >= TRACE_LEN - 1 ? r->op - (TRACE_LEN - 1) : 0; k <= r->op; k++) {
		const struct trace *tr = &r->trace[k % TRACE_LEN];

		char what[128];

		if (!tr->what || tr->op != k)
			continue;               /* an operation that found nothing to do */
		snprintf(what, sizeof(what), tr->what, tr->a, tr->b, tr->c);
		ktest_log(t, "stress:   op %lu: %s", k, what);
	}
	KTEST_FAIL(t, "stress: mismatch at op %lu (seed %llu)", r->op, (unsigned long long)r->seed);
}

/* After a mismatch: frees `o` without checking anything, so later suites start clean. */
static void release_obj(struct stress_obj *o)
{
	switch (o->kind) {
	case SK_VMALLOC:
		vfree((void *)o->addr);
		break;
	case SK_VMAP:
		vunmap((void *)o->addr);
		free_frames(o->pages, o->nr_pages);
		break;
	case SK_SPARSE:
		vm_area_unmap_pages(o->vm, o->addr, o->addr + o->nr_pages * PAGE_SIZE);
		free_vm_area(o->vm);
		for (unsigned long i = 0; i < o->nr_pages; i++)
			free_page(o->pages[i]);
		break;
	case SK_ARENA:
		arena_destroy(o->arena);
		break;
	default:
		kfree((void *)o->addr);
	}
	o->live = false;
}

/*
 * Frees every live object, checking each (0, or the first mismatch); after
 * a mismatch (`careful` false) without checks.
 */
static int free_all(struct stress_run *r, bool careful)
{
	int err = 0;

	for (unsigned i = 0; i < STRESS_MAX_OBJS; i++) {
		struct stress_obj *o = &r->m.objs[i];

		if (o->live && careful && !err)
			err = free_obj(r, o);
		if (o->live)
			release_obj(o);
	}
	return err;
}

static void print_summary(struct ktest *t, struct stress_run *r, unsigned long nr, u64 ns)
{
	char line[256];
	int n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(ops); i++)
		n += snprintf(line + n, sizeof(line) - n, " %s:%lu", ops[i].name, r->counts[i]);
	ktest_log(t, "stress: %lu ops in %llu.%03llu s (seed %llu, check every %lu)", nr,
		  (unsigned long long)(ns / 1000000000), (unsigned long long)(ns / 1000000 % 1000),
		  (unsigned long long)r->seed, (unsigned long)cmdline_get_u64("stress.check",
		  STRESS_DEFAULT_CHECK));
	ktest_log(t, "stress:%s", line);
}

/* Runs operations 0 .. nr - 1 with a checkpoint every `every`; 0 or the first mismatch. */
static int run_ops(struct stress_run *r, unsigned long nr, unsigned long every)
{
	for (r->op = 0; r->op < nr; r->op++) {
		unsigned i = pick_op(r);
		int err = ops[i].run(r);

		r->counts[i]++;
		if (!err && (r->op + 1) % every == 0)
			err = checkpoint(r);
		if (err)
			return err;
	}
	return 0;
}

static void random_ops_match_the_model(struct ktest *t)
{
	unsigned long nr = cmdline_get_u64("stress.ops", STRESS_DEFAULT_OPS);
	unsigned long every = MAX(cmdline_get_u64("stress.check", STRESS_DEFAULT_CHECK), 1ul);
	struct stress_run *r = &run;
	struct mm_snapshot before, after;
	struct vmap_stats st;
	u64 t0;
	int err;

	memset(r, 0, sizeof(*r));
	r->seed = ktest_seed();
	stress_model_init(&r->m, r->seed);
	vm_unmap_aliases();
	mm_snapshot_take(&before);
	vmap_get_stats(&kernel_vmap_space, &st);
	r->base_areas = st.nr_busy;
	r->base_warnings = warn_count();
	t0 = bench_now();
	err = run_ops(r, nr, every);
	print_summary(t, r, err ? r->op + 1 : nr, bench_cycles_to_ns(bench_now() - t0));
	if (err) {
		print_mismatch(t, r);
		free_all(r, false);
		return;                 /* the snapshot cannot match after a mismatch */
	}
	if (free_all(r, true)) {
		ktest_log(t, "stress: mismatch while freeing everything (seed %llu): %s",
			  (unsigned long long)r->seed, r->why);
		KTEST_FAIL(t, "stress: mismatch in the final frees");
		free_all(r, false);
		return;
	}
	vm_unmap_aliases();
	mm_snapshot_take(&after);
	mm_snapshot_keep_vmalloc_tables(&before, &after);
	before.warnings += r->m.warnings;
	EXPECT_TRUE(t, mm_snapshot_equal(&before, &after, "stress"));
	EXPECT_EQ(t, mm_check_all(), 0);
}

static const struct ktest_case stress_cases[] = {
	/* Hours: `make stress` runs 10 million operations in this one case. */
	KTEST_CASE_TIMEOUT(random_ops_match_the_model, 4 * 3600),
	{}
};
KTEST_SUITE(stress, stress_cases);
