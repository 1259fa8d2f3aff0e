/*
 * The misuse matrix: every documented misuse of the memory API, one row
 * each, printed as one KTAP result per row. Each row must
 *
 *   - return its documented error (a negative errno; 0 for a NULL pointer
 *     or a void function),
 *   - print exactly the documented number of warning lines (one, or zero
 *     where the header documents a quiet NULL), naming the function, a
 *     word of the reason and the caller (the row's own function),
 *   - change nothing: an mm_snapshot equals the one before (frames, slab,
 *     page tables, vmap trees, mapped pages; warnings up by the lines
 *     printed), mm_check_all() passes, and live objects of every kind
 *     (vmalloc, vmap, reserved and sparse areas, an arena, a kmalloc
 *     object, a block of frames) still hold what they held.
 *
 * Row functions are noinline and end with barrier() so that the misuse is
 * not a tail call: the warning then names the row as the caller.
 */
#include "tests/ktest.h"
#include "tests/mm_state.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/probe.h"
#include "mm/arena.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

#define SPARSE_PAGES    8
#define VM_BYTE         0x3c            /* the vmalloc area's contents */
#define MAP_BYTE        0xa5            /* the vmapped frame's */
#define OBJ_BYTE        0x5a            /* the kmalloc object's */

/* Live objects of every kind, made before each row and checked after it. */
struct env {
	u8 *vm;                         /* vmalloc, 3 pages of VM_BYTE */
	u8 *vmapped;                    /* vmap of frames[0] (MAP_BYTE) */
	struct vm_struct *area;         /* get_vm_area, 2 pages, nothing mapped */
	struct vm_struct *sparse;       /* SPARSE_PAGES pages, page 0 = frames[1] */
	struct arena *arena;            /* 16 pages, page 0 allocated */
	struct page *frames[4];         /* [2] and [3]: spare pages for the rows */
	u8 *obj;                        /* kmalloc(64), OBJ_BYTE */
	struct page *block;             /* alloc_pages order 2 */
	struct kmem_cache *cache;       /* a private cache, one live object */
	void *cache_obj;
};

static unsigned long sparse_start(const struct env *e)
{
	return (unsigned long)e->sparse->addr;
}

/* --- vmalloc, vmap, get_vm_area ---------------------------------------------- */

static __noinline long vfree_twice(struct env *e)
{
	void *p = vmalloc(PAGE_SIZE);

	vfree(p);
	vfree(p);
	barrier();
	return p ? 0 : -ENOMEM;
}

static __noinline long vfree_inside_an_area(struct env *e)
{
	vfree(e->vm + PAGE_SIZE);
	barrier();
	return 0;
}

static __noinline long vfree_of_a_vmap_area(struct env *e)
{
	vfree(e->vmapped);
	barrier();
	return 0;
}

static __noinline long vfree_of_a_sparse_area(struct env *e)
{
	vfree(e->sparse->addr);
	barrier();
	return 0;
}

static __noinline long vfree_of_a_kmalloc_pointer(struct env *e)
{
	vfree(e->obj);
	barrier();
	return 0;
}

static __noinline long vfree_of_a_stack_address(struct env *e)
{
	vfree(e);
	barrier();
	return 0;
}

static __noinline long vunmap_of_a_vmalloc_area(struct env *e)
{
	vunmap(e->vm);
	barrier();
	return 0;
}

static __noinline long vunmap_of_a_reserved_area(struct env *e)
{
	vunmap(e->area->addr);
	barrier();
	return 0;
}

static __noinline long vunmap_twice(struct env *e)
{
	void *p = vmap(&e->frames[2], 1, 0, PROT_KERNEL_RW);

	vunmap(p);
	vunmap(p);
	barrier();
	return p ? 0 : -ENOMEM;
}

/* A freed vm_struct is gone: the second free passes what the caller still has, a copy. */
static __noinline long free_vm_area_twice(struct env *e)
{
	struct vm_struct *area = get_vm_area(PAGE_SIZE, 0), stale;

	if (!area)
		return -ENOMEM;
	stale = *area;
	free_vm_area(area);
	free_vm_area(&stale);
	barrier();
	return 0;
}

/*
 * A sparse area's range is free as soon as it is freed, so the next area
 * gets it. Freeing the first one again (through what its owner still
 * holds) must not free the second: that one keeps working.
 */
static __noinline long free_vm_area_stale_after_reuse(struct env *e)
{
	struct vm_struct *first = get_vm_area(PAGE_SIZE, VM_SPARSE), *next, stale;
	unsigned long va;
	long err = 0;

	if (!first)
		return -ENOMEM;
	stale = *first;
	free_vm_area(first);
	next = get_vm_area(PAGE_SIZE, VM_SPARSE);
	if (!next)
		return -ENOMEM;
	va = (unsigned long)next->addr;
	free_vm_area(&stale);
	barrier();
	if (va != (unsigned long)stale.addr || find_vm_area(next->addr) != next)
		err = -ENOENT;          /* not reused (the row proves nothing), or freed */
	else if (vm_area_map_pages(next, va, va + PAGE_SIZE, &e->frames[2]))
		err = -ENOMEM;
	else if (*(volatile u8 *)va != *(u8 *)page_address(e->frames[2]))
		err = -EFAULT;
	vm_area_unmap_pages(next, va, va + PAGE_SIZE);
	free_vm_area(next);
	return err;
}

static __noinline long free_vm_area_of_a_vmalloc_area(struct env *e)
{
	free_vm_area(find_vm_area(e->vm));
	barrier();
	return 0;
}

/* Its vm_struct lives in the vmap area (mm/vmalloc.c): not the caller's to kfree. */
static __noinline long remove_vm_area_of_a_vmalloc_area(struct env *e)
{
	struct vm_struct *vm = remove_vm_area(e->vm);

	barrier();
	return vm ? 1 : 0;
}

static __noinline long remove_vm_area_inside(struct env *e)
{
	struct vm_struct *vm = remove_vm_area((u8 *)e->area->addr + PAGE_SIZE);

	barrier();
	return vm ? 1 : 0;
}

static __noinline long remove_vm_area_twice(struct env *e)
{
	struct vm_struct *area = get_vm_area(PAGE_SIZE, 0), *again;
	void *addr;

	if (!area)
		return -ENOMEM;
	addr = area->addr;
	kfree(remove_vm_area(addr));
	again = remove_vm_area(addr);
	barrier();
	return again ? 1 : 0;
}

/* Only vfree() frees VM_ALLOC, and it does not release sparse tables: refused at creation. */
static __noinline long get_vm_area_sparse_with_vm_alloc(struct env *e)
{
	struct vm_struct *area = get_vm_area(PAGE_SIZE, VM_SPARSE | VM_SPARSE_PREBUILT | VM_ALLOC);

	barrier();
	if (area)
		vfree(area->addr);
	return area ? 1 : 0;
}

static __noinline long vmalloc_of_zero(struct env *e)
{
	void *p = vmalloc(0);

	vfree(p);
	return p ? 1 : 0;
}

static __noinline long vzalloc_of_zero(struct env *e)
{
	void *p = vzalloc(0);

	vfree(p);
	return p ? 1 : 0;
}

static __noinline long get_vm_area_of_zero(struct env *e)
{
	struct vm_struct *area = get_vm_area(0, VM_SPARSE);

	free_vm_area(area);
	return area ? 1 : 0;
}

static __noinline long vmalloc_overflowing_size(struct env *e)
{
	void *p = vmalloc(~0ul - 100);

	vfree(p);
	return p ? 1 : 0;
}

/* Rounds up to a page without wrapping; only the guard page wraps. */
static __noinline long get_vm_area_overflowing_with_guard(struct env *e)
{
	struct vm_struct *area = get_vm_area(~0ul - 2 * PAGE_SIZE + 2, 0);

	free_vm_area(area);
	return area ? 1 : 0;
}

static __noinline long vmalloc_align_not_power_of_two(struct env *e)
{
	void *p = __vmalloc_node(PAGE_SIZE, 3 * PAGE_SIZE, 0, (void *)THIS_IP);

	vfree(p);
	return p ? 1 : 0;
}

static __noinline long vmalloc_align_zero(struct env *e)
{
	void *p = __vmalloc_node(PAGE_SIZE, 0, 0, (void *)THIS_IP);

	vfree(p);
	return p ? 1 : 0;
}

static __noinline long get_vm_area_node_align_0x3000(struct env *e)
{
	struct vm_struct *area = __get_vm_area_node(PAGE_SIZE, 0x3000, 0, VMALLOC_START, VMALLOC_END,
						    (void *)THIS_IP);

	free_vm_area(area);
	return area ? 1 : 0;
}

static __noinline long get_vm_area_window_outside(struct env *e)
{
	struct vm_struct *area = __get_vm_area_node(PAGE_SIZE, PAGE_SIZE, 0, VMALLOC_END, VMALLOC_END + 16 * PAGE_SIZE,
						    (void *)THIS_IP);

	free_vm_area(area);
	return area ? 1 : 0;
}

static __noinline long get_vm_area_unknown_flags(struct env *e)
{
	struct vm_struct *area = get_vm_area(PAGE_SIZE, 0x80000);

	free_vm_area(area);
	return area ? 1 : 0;
}

static __noinline long vmalloc_bad_protection(struct env *e)
{
	void *p = __vmalloc_node_range(PAGE_SIZE, PAGE_SIZE, VMALLOC_START, VMALLOC_END, 0, PROT_WRITE, 0,
				       (void *)THIS_IP);

	vfree(p);
	return p ? 1 : 0;
}

static __noinline long vmap_bad_protection(struct env *e)
{
	void *p = vmap(&e->frames[2], 1, 0, PROT_WRITE);

	vunmap(p);
	return p ? 1 : 0;
}

static __noinline long vmap_of_zero_pages(struct env *e)
{
	void *p = vmap(&e->frames[2], 0, 0, PROT_KERNEL_RW);

	vunmap(p);
	return p ? 1 : 0;
}

static __noinline long vmap_with_a_null_page(struct env *e)
{
	struct page *pages[2] = { e->frames[2], NULL };
	void *p = vmap(pages, 2, 0, PROT_KERNEL_RW);

	vunmap(p);
	return p ? 1 : 0;
}

/* Frames no owner may map (pfa_page_unmappable()): one of each kind. */
enum bad_frame { HOLE_FRAME, FREE_FRAME, TABLE_FRAME, NOT_A_PAGE };

static struct page *bad_frame(struct env *e, enum bad_frame kind)
{
	struct page *p;

	switch (kind) {
	case HOLE_FRAME:        /* the VGA hole at 0xa0000: a struct page, no RAM */
		return pfn_to_page(0xa0);
	case FREE_FRAME:
		p = alloc_page(0);
		free_page(p);
		return p;
	case TABLE_FRAME:
		return phys_to_page(kernel_pgtable.root_phys);
	case NOT_A_PAGE:
		return (struct page *)e->obj;
	}
	return NULL;
}

#define VMAP_BAD_FRAME(name, kind)                                              \
static __noinline long name(struct env *e)                                      \
{                                                                               \
	struct page *pages[2] = { e->frames[2], bad_frame(e, kind) };           \
	void *p = vmap(pages, 2, 0, PROT_KERNEL_RW);                            \
									        \
	barrier();                                                              \
	vunmap(p);                                                              \
	return p ? 1 : 0;                                                       \
}
VMAP_BAD_FRAME(vmap_of_a_hole_frame, HOLE_FRAME)
VMAP_BAD_FRAME(vmap_of_a_free_frame, FREE_FRAME)
VMAP_BAD_FRAME(vmap_of_a_page_table, TABLE_FRAME)
VMAP_BAD_FRAME(vmap_of_a_non_page, NOT_A_PAGE)

static __noinline long vmap_with_vm_alloc(struct env *e)
{
	void *p = vmap(&e->frames[2], 1, VM_ALLOC, PROT_KERNEL_RW);

	vunmap(p);
	return p ? 1 : 0;
}

static __noinline long vmalloc_to_page_outside(struct env *e)
{
	struct page *page = vmalloc_to_page(e->obj);

	barrier();
	return page ? 1 : 0;
}

static __noinline long vmalloc_to_page_of_a_stack_address(struct env *e)
{
	struct page *page = vmalloc_to_page(e);

	barrier();
	return page ? 1 : 0;
}

static __noinline long vread_without_buffer(struct env *e)
{
	long n = vread(NULL, e->vm, 16);

	barrier();
	return n;
}

static __noinline long vread_outside(struct env *e)
{
	char buf[16];
	long n = vread(buf, e->obj, sizeof(buf));

	barrier();
	return n;
}

/* --- VM_SPARSE ------------------------------------------------------------------ */

static __noinline long map_pages_on_a_vmalloc_area(struct env *e)
{
	struct vm_struct *vm = find_vm_area(e->vm);
	int err = vm_area_map_pages(vm, (unsigned long)e->vm, (unsigned long)e->vm + PAGE_SIZE,
				    &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_on_a_reserved_area(struct env *e)
{
	unsigned long a = (unsigned long)e->area->addr;
	int err = vm_area_map_pages(e->area, a, a + PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_on_no_area(struct env *e)
{
	int err = vm_area_map_pages(NULL, sparse_start(e), sparse_start(e) + PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_on_a_no_guard_area(struct env *e)
{
	struct vm_struct *area = get_vm_area(2 * PAGE_SIZE, VM_SPARSE | VM_NO_GUARD);
	int err;

	if (!area)
		return -ENOMEM;
	err = vm_area_map_pages(area, (unsigned long)area->addr, (unsigned long)area->addr + PAGE_SIZE,
				&e->frames[2]);
	free_vm_area(area);
	return err;
}

static __noinline long map_pages_more_than_ram(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a, a + (pfa_total_pages() + 1) * PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_into_the_guard(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a + (SPARSE_PAGES - 1) * PAGE_SIZE,
				    a + (SPARSE_PAGES + 1) * PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_below_the_area(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a - PAGE_SIZE, a + PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_unaligned_start(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a + PAGE_SIZE + 8, a + 2 * PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_unaligned_end(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a + PAGE_SIZE, a + 2 * PAGE_SIZE + 8, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_reversed(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a + 3 * PAGE_SIZE, a + PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_empty(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a + PAGE_SIZE, a + PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long map_pages_null_array(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a + PAGE_SIZE, a + 2 * PAGE_SIZE, NULL);

	barrier();
	return err;
}

static __noinline long map_pages_null_entry(struct env *e)
{
	struct page *pages[2] = { e->frames[2], NULL };
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a + PAGE_SIZE, a + 3 * PAGE_SIZE, pages);

	barrier();
	return err;
}

#define MAP_BAD_FRAME(name, kind)                                               \
static __noinline long name(struct env *e)                                      \
{                                                                               \
	struct page *pages[2] = { e->frames[2], bad_frame(e, kind) };           \
	unsigned long a = sparse_start(e);                                      \
	int err = vm_area_map_pages(e->sparse, a + PAGE_SIZE, a + 3 * PAGE_SIZE, pages);      \
									        \
	barrier();                                                              \
	return err;                                                             \
}
MAP_BAD_FRAME(map_pages_hole_frame, HOLE_FRAME)
MAP_BAD_FRAME(map_pages_free_frame, FREE_FRAME)
MAP_BAD_FRAME(map_pages_page_table, TABLE_FRAME)
MAP_BAD_FRAME(map_pages_non_page, NOT_A_PAGE)

/* Page 0 is mapped: [0, 2) overlaps it, and page 1 must stay unmapped. */
static __noinline long map_pages_overlapping(struct env *e)
{
	unsigned long a = sparse_start(e);
	int err = vm_area_map_pages(e->sparse, a, a + 2 * PAGE_SIZE, &e->frames[2]);

	barrier();
	return err;
}

static __noinline long unmap_pages_on_a_vmalloc_area(struct env *e)
{
	vm_area_unmap_pages(find_vm_area(e->vm), (unsigned long)e->vm, (unsigned long)e->vm + PAGE_SIZE);
	barrier();
	return 0;
}

static __noinline long unmap_pages_into_the_guard(struct env *e)
{
	unsigned long a = sparse_start(e);

	vm_area_unmap_pages(e->sparse, a, a + (SPARSE_PAGES + 1) * PAGE_SIZE);
	barrier();
	return 0;
}

static __noinline long unmap_pages_unaligned(struct env *e)
{
	unsigned long a = sparse_start(e);

	vm_area_unmap_pages(e->sparse, a + 8, a + PAGE_SIZE);
	barrier();
	return 0;
}

static __noinline long unmap_pages_reversed(struct env *e)
{
	unsigned long a = sparse_start(e);

	vm_area_unmap_pages(e->sparse, a + PAGE_SIZE, a);
	barrier();
	return 0;
}

/* Documented: the pages left are unmapped (not freed) with one warning. */
static __noinline long free_vm_area_with_pages_mapped(struct env *e)
{
	struct vm_struct *area = get_vm_area(2 * PAGE_SIZE, VM_SPARSE);
	unsigned long a;
	int err;

	if (!area)
		return -ENOMEM;
	a = (unsigned long)area->addr;
	err = vm_area_map_pages(area, a, a + 2 * PAGE_SIZE, &e->frames[2]);
	free_vm_area(area);
	barrier();
	return err;
}

/* --- arenas ----------------------------------------------------------------------- */

static __noinline long arena_create_of_zero(struct env *e)
{
	struct arena *a = arena_create(0, 0);

	arena_destroy(a);
	return a ? 1 : 0;
}

static __noinline long arena_create_unknown_flags(struct env *e)
{
	struct arena *a = arena_create(PAGE_SIZE, 0x80);

	arena_destroy(a);
	return a ? 1 : 0;
}

static __noinline long arena_destroy_twice(struct env *e)
{
	struct arena *a = arena_create(4 * PAGE_SIZE, 0);

	if (!a)
		return -ENOMEM;
	arena_destroy(a);
	arena_destroy(a);       /* only compared with the live arenas, never read */
	barrier();
	return 0;
}

static __noinline long arena_alloc_without_arena(struct env *e)
{
	int err = 0;

	arena_alloc_pages(NULL, 0, 1, &err);
	barrier();
	return err;
}

static __noinline long arena_alloc_of_zero_pages(struct env *e)
{
	int err = 0;

	arena_alloc_pages(e->arena, 0, 0, &err);
	barrier();
	return err;
}

static __noinline long arena_alloc_unaligned(struct env *e)
{
	int err = 0;

	arena_alloc_pages(e->arena, e->arena->start + PAGE_SIZE + 8, 1, &err);
	barrier();
	return err;
}

static __noinline long arena_alloc_past_the_end(struct env *e)
{
	int err = 0;

	arena_alloc_pages(e->arena, e->arena->start + (e->arena->nr_pages - 1) * PAGE_SIZE, 2, &err);
	barrier();
	return err;
}

/* Documented quiet: -EBUSY is a state, not a bad argument. */
static __noinline long arena_alloc_allocated_page(struct env *e)
{
	int err = 0;

	arena_alloc_pages(e->arena, e->arena->start, 1, &err);
	barrier();
	return err;
}

static __noinline long arena_free_of_zero_pages(struct env *e)
{
	int err = arena_free_pages(e->arena, e->arena->start, 0);

	barrier();
	return err;
}

static __noinline long arena_free_outside(struct env *e)
{
	int err = arena_free_pages(e->arena, (unsigned long)e->vm, 1);

	barrier();
	return err;
}

/* --- slab --------------------------------------------------------------------------- */

/*
 * Frees one of two objects sharing a slab twice (a last object would free
 * the slab). Any two: objects from a CPU's magazine may come from any slab.
 */
static __noinline long kfree_twice(struct env *e)
{
	void *objs[16];
	unsigned i, k, j = 0;

	for (i = 0; i < ARRAY_SIZE(objs); i++)
		objs[i] = kmalloc(512);
	for (i = 0; i < ARRAY_SIZE(objs) && !j; i++)
		for (k = i + 1; k < ARRAY_SIZE(objs) && !j; k++)
			if (objs[i] && objs[k] && virt_to_page(objs[i]) == virt_to_page(objs[k]))
				j = k;
	if (j) {
		kfree(objs[j]);
		kfree(objs[j]);
		objs[j] = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		kfree(objs[i]);
	return j ? 0 : -ENOENT;
}

static __noinline long kfree_inside_an_object(struct env *e)
{
	kfree(e->obj + 8);
	barrier();
	return 0;
}

static __noinline long kfree_of_a_frame(struct env *e)
{
	kfree(page_address(e->frames[2]));
	barrier();
	return 0;
}

static __noinline long kfree_of_a_vmalloc_pointer(struct env *e)
{
	kfree(e->vm);
	barrier();
	return 0;
}

static __noinline long kfree_of_a_stack_address(struct env *e)
{
	u64 local = 0;

	kfree(&local);
	barrier();
	return (long)local;
}

static __noinline long kmem_cache_free_to_another_cache(struct env *e)
{
	kmem_cache_free(e->cache, e->obj);
	barrier();
	return 0;
}

static __noinline long kmem_cache_create_too_big(struct env *e)
{
	struct kmem_cache *c = kmem_cache_create("misuse-big", 2 * PAGE_SIZE, 0);

	kmem_cache_destroy(c);
	return c ? 1 : 0;
}

static __noinline long kmem_cache_destroy_in_use(struct env *e)
{
	kmem_cache_destroy(e->cache);
	barrier();
	return 0;
}

static __noinline long kmalloc_of_zero(struct env *e)
{
	void *p = kmalloc(0);

	kfree(p);
	return p ? 1 : 0;
}

static __noinline long kmalloc_above_max(struct env *e)
{
	void *p = kmalloc(KMALLOC_MAX_SIZE + 1);

	kfree(p);
	return p ? 1 : 0;
}

/* --- frames ---------------------------------------------------------------------------- */

static __noinline long free_pages_twice(struct env *e)
{
	struct page *p = alloc_page(0);

	free_page(p);
	free_page(p);
	barrier();
	return p ? 0 : -ENOMEM;
}

static __noinline long free_pages_wrong_order(struct env *e)
{
	free_pages(e->block, 1);
	barrier();
	return 0;
}

static __noinline long free_pages_of_a_tail_frame(struct env *e)
{
	free_pages(e->block + 1, 0);
	barrier();
	return 0;
}

static __noinline long free_pages_of_a_reserved_frame(struct env *e)
{
	free_pages(pfn_to_page(0), 0);
	barrier();
	return 0;
}

static __noinline long free_pages_of_a_non_page(struct env *e)
{
	free_pages((struct page *)e->obj, 0);
	barrier();
	return 0;
}

static __noinline long free_pages_order_above_max(struct env *e)
{
	free_pages(e->block, MAX_ORDER + 1);
	barrier();
	return 0;
}

static __noinline long alloc_pages_order_above_max(struct env *e)
{
	struct page *p = alloc_pages(MAX_ORDER + 1, 0);

	barrier();
	return p ? 1 : 0;
}

static __noinline long alloc_pages_unknown_flags(struct env *e)
{
	struct page *p = alloc_pages(0, 0x100);

	free_page(p);
	return p ? 1 : 0;
}

static __noinline long page_set_state_of_a_free_frame(struct env *e)
{
	struct page *p = alloc_page(0);
	int err;

	if (!p)
		return -ENOMEM;
	free_page(p);
	err = page_set_state(p, PAGE_SLAB);
	barrier();
	return err;
}

static __noinline long page_set_state_to_free(struct env *e)
{
	int err = page_set_state(e->block, PAGE_FREE);

	barrier();
	return err;
}

/* --- the table ----------------------------------------------------------------------------- */

struct misuse {
	const char *name;               /* the row's function: named as the caller */
	long (*run)(struct env *e);
	long expect;                    /* -errno; 0 for NULL or void */
	const char *fn;                 /* the function the warning names */
	const char *why;                /* a word of the reason */
	unsigned warns;                 /* warning lines: 1, or 0 where documented quiet */
};

#define ROW(f, expect, api, why)        { #f, f, expect, api, why, 1 }
#define QUIET(f, expect, api)           { #f, f, expect, api, NULL, 0 }

static const struct misuse misuses[] = {
	ROW(vfree_twice, 0, "vfree", "no live area"),
	ROW(vfree_inside_an_area, 0, "vfree", "not the start"),
	ROW(vfree_of_a_vmap_area, 0, "vfree", "use vunmap"),
	ROW(vfree_of_a_sparse_area, 0, "vfree", "wrong kind"),
	ROW(vfree_of_a_kmalloc_pointer, 0, "vfree", "no live area"),
	ROW(vfree_of_a_stack_address, 0, "vfree", "no live area"),
	ROW(vunmap_of_a_vmalloc_area, 0, "vunmap", "use vfree"),
	ROW(vunmap_of_a_reserved_area, 0, "vunmap", "wrong kind"),
	ROW(vunmap_twice, 0, "vunmap", "no live area"),
	ROW(free_vm_area_twice, 0, "free_vm_area", "no live area"),
	ROW(free_vm_area_of_a_vmalloc_area, 0, "free_vm_area", "use vfree"),
	ROW(free_vm_area_stale_after_reuse, 0, "free_vm_area", "stale vm_struct"),
	ROW(remove_vm_area_of_a_vmalloc_area, 0, "remove_vm_area", "wrong kind of area"),
	ROW(remove_vm_area_inside, 0, "remove_vm_area", "not the start"),
	ROW(remove_vm_area_twice, 0, "remove_vm_area", "no live area"),
	ROW(vmalloc_of_zero, 0, "vmalloc", "zero size"),
	ROW(vzalloc_of_zero, 0, "vzalloc", "zero size"),
	ROW(get_vm_area_of_zero, 0, "get_vm_area", "zero size"),
	ROW(get_vm_area_sparse_with_vm_alloc, 0, "get_vm_area", "VM_SPARSE with VM_ALLOC"),
	ROW(vmalloc_overflowing_size, 0, "vmalloc", "overflows"),
	ROW(get_vm_area_overflowing_with_guard, 0, "get_vm_area", "overflows with page rounding and the guard page"),
	ROW(vmalloc_align_not_power_of_two, 0, "__vmalloc_node", "power of two"),
	ROW(vmalloc_align_zero, 0, "__vmalloc_node", "power of two"),
	ROW(get_vm_area_node_align_0x3000, 0, "__get_vm_area_node", "power of two"),
	ROW(get_vm_area_window_outside, 0, "__get_vm_area_node", "window"),
	ROW(get_vm_area_unknown_flags, 0, "get_vm_area", "unknown flags"),
	ROW(vmalloc_bad_protection, 0, "__vmalloc_node_range", "protection"),
	ROW(vmap_bad_protection, 0, "vmap", "protection"),
	ROW(vmap_of_zero_pages, 0, "vmap", "no pages"),
	ROW(vmap_with_a_null_page, 0, "vmap", "is NULL"),
	ROW(vmap_of_a_hole_frame, 0, "vmap", "pages[1] has no RAM"),
	ROW(vmap_of_a_free_frame, 0, "vmap", "pages[1] is free in the frame allocator"),
	ROW(vmap_of_a_page_table, 0, "vmap", "pages[1] is a page-table page"),
	ROW(vmap_of_a_non_page, 0, "vmap", "pages[1] is not a struct page"),
	ROW(vmap_with_vm_alloc, 0, "vmap", "not allowed"),
	ROW(vmalloc_to_page_outside, 0, "vmalloc_to_page", "not a vmalloc address"),
	ROW(vmalloc_to_page_of_a_stack_address, 0, "vmalloc_to_page", "not a vmalloc address"),
	ROW(vread_without_buffer, -EINVAL, "vread", "no buffer"),
	ROW(vread_outside, -EINVAL, "vread", "not a vmalloc address"),

	ROW(map_pages_on_a_vmalloc_area, -EINVAL, "vm_area_map_pages", "not a VM_SPARSE"),
	ROW(map_pages_on_a_reserved_area, -EINVAL, "vm_area_map_pages", "not a VM_SPARSE"),
	ROW(map_pages_on_no_area, -EINVAL, "vm_area_map_pages", "area NULL"),
	ROW(map_pages_on_a_no_guard_area, -EINVAL, "vm_area_map_pages", "guard page"),
	ROW(map_pages_more_than_ram, -E2BIG, "vm_area_map_pages", "more than all of RAM"),
	ROW(map_pages_into_the_guard, -ERANGE, "vm_area_map_pages", "not inside"),
	ROW(map_pages_below_the_area, -ERANGE, "vm_area_map_pages", "not inside"),
	ROW(map_pages_unaligned_start, -EINVAL, "vm_area_map_pages", "not page-aligned"),
	ROW(map_pages_unaligned_end, -EINVAL, "vm_area_map_pages", "not page-aligned"),
	ROW(map_pages_reversed, -EINVAL, "vm_area_map_pages", "empty"),
	ROW(map_pages_empty, -EINVAL, "vm_area_map_pages", "empty"),
	ROW(map_pages_null_array, -EINVAL, "vm_area_map_pages", "NULL"),
	ROW(map_pages_null_entry, -EINVAL, "vm_area_map_pages", "pages[1] is NULL"),
	ROW(map_pages_hole_frame, -EINVAL, "vm_area_map_pages", "pages[1] has no RAM"),
	ROW(map_pages_free_frame, -EINVAL, "vm_area_map_pages", "pages[1] is free in the frame"),
	ROW(map_pages_page_table, -EINVAL, "vm_area_map_pages", "pages[1] is a page-table page"),
	ROW(map_pages_non_page, -EINVAL, "vm_area_map_pages", "pages[1] is not a struct page"),
	ROW(map_pages_overlapping, -EBUSY, "vm_area_map_pages", "already mapped"),
	ROW(unmap_pages_on_a_vmalloc_area, 0, "vm_area_unmap_pages", "not a VM_SPARSE"),
	ROW(unmap_pages_into_the_guard, 0, "vm_area_unmap_pages", "not inside"),
	ROW(unmap_pages_unaligned, 0, "vm_area_unmap_pages", "not page-aligned"),
	ROW(unmap_pages_reversed, 0, "vm_area_unmap_pages", "empty"),
	ROW(free_vm_area_with_pages_mapped, 0, "free_vm_area", "still had 2 pages mapped"),

	ROW(arena_create_of_zero, 0, "arena_create", "not allowed"),
	ROW(arena_create_unknown_flags, 0, "arena_create", "not allowed"),
	ROW(arena_destroy_twice, 0, "arena_destroy", "not a live arena"),
	ROW(arena_alloc_without_arena, -EINVAL, "arena_alloc_pages", "no arena"),
	ROW(arena_alloc_of_zero_pages, -EINVAL, "arena_alloc_pages", "none"),
	ROW(arena_alloc_unaligned, -EINVAL, "arena_alloc_pages", "not a page-aligned part"),
	ROW(arena_alloc_past_the_end, -EINVAL, "arena_alloc_pages", "not a page-aligned part"),
	QUIET(arena_alloc_allocated_page, -EBUSY, "arena_alloc_pages"),
	ROW(arena_free_of_zero_pages, -EINVAL, "arena_free_pages", "none"),
	ROW(arena_free_outside, -EINVAL, "arena_free_pages", "not a page-aligned part"),

	ROW(kfree_twice, 0, "kfree", "double free"),
	ROW(kfree_inside_an_object, 0, "kfree", "not the start"),
	ROW(kfree_of_a_frame, 0, "kfree", "not slab memory"),
	ROW(kfree_of_a_vmalloc_pointer, 0, "kfree", "not slab memory"),
	ROW(kfree_of_a_stack_address, 0, "kfree", "not slab memory"),
	ROW(kmem_cache_free_to_another_cache, 0, "kmem_cache_free", "another cache"),
	ROW(kmem_cache_create_too_big, 0, "kmem_cache_create", "bad size"),
	ROW(kmem_cache_destroy_in_use, 0, "kmem_cache_destroy", "in use"),
	QUIET(kmalloc_of_zero, 0, "kmalloc"),
	QUIET(kmalloc_above_max, 0, "kmalloc"),

	ROW(free_pages_twice, 0, "free_pages", "double free"),
	ROW(free_pages_wrong_order, 0, "free_pages", "allocated with order 2"),
	ROW(free_pages_of_a_tail_frame, 0, "free_pages", "not the first frame"),
	ROW(free_pages_of_a_reserved_frame, 0, "free_pages", "reserved frame"),
	ROW(free_pages_of_a_non_page, 0, "free_pages", "not a struct page"),
	ROW(free_pages_order_above_max, 0, "free_pages", "above MAX_ORDER"),
	ROW(alloc_pages_order_above_max, 0, "alloc_pages", "above MAX_ORDER"),
	ROW(alloc_pages_unknown_flags, 0, "alloc_pages", "unknown flags"),
	ROW(page_set_state_of_a_free_frame, -EINVAL, "page_set_state", "not an allocated block"),
	ROW(page_set_state_to_free, -EINVAL, "page_set_state", "cannot be set"),
};

static const char *expect_tag(long expect)
{
	switch (expect) {
	case 0: return "none";
	case -EINVAL: return "einval";
	case -ERANGE: return "erange";
	case -EBUSY: return "ebusy";
	case -E2BIG: return "e2big";
	default: return "other";
	}
}

/* "<row>_<errno>", e.g. map_pages_overlapping_ebusy; "none": NULL or void. */
static void describe_misuse(const struct misuse *m, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s_%s", m->name, expect_tag(m->expect));
}

KTEST_ARRAY_PARAM(misuse_params, misuses, describe_misuse);

/* --- the environment ------------------------------------------------------------------------ */

static bool env_make(struct env *e)
{
	unsigned long a;

	memset(e, 0, sizeof(*e));
	for (unsigned i = 0; i < ARRAY_SIZE(e->frames); i++)
		if (!(e->frames[i] = alloc_page(PFA_ZERO)))
			return false;
	memset(page_address(e->frames[0]), MAP_BYTE, PAGE_SIZE);
	e->vm = vmalloc(3 * PAGE_SIZE);
	e->vmapped = vmap(&e->frames[0], 1, 0, PROT_KERNEL_RW);
	e->area = get_vm_area(2 * PAGE_SIZE, 0);
	e->sparse = get_vm_area(SPARSE_PAGES * PAGE_SIZE, VM_SPARSE);
	e->arena = arena_create(16 * PAGE_SIZE, 0);
	e->obj = kmalloc(64);
	e->block = alloc_pages(2, 0);
	e->cache = kmem_cache_create("misuse", 48, 0);
	e->cache_obj = e->cache ? kmem_cache_alloc(e->cache) : NULL;
	if (!e->vm || !e->vmapped || !e->area || !e->sparse || !e->arena || !e->obj ||
	    !e->block || !e->cache_obj)
		return false;
	memset(e->vm, VM_BYTE, 3 * PAGE_SIZE);
	memset(e->obj, OBJ_BYTE, 64);
	a = sparse_start(e);
	return vm_area_map_pages(e->sparse, a, a + PAGE_SIZE, &e->frames[1]) == 0 &&
	       arena_alloc_pages(e->arena, e->arena->start, 1, NULL) != NULL;
}

/* Frees whatever env_make() made (each call copes with NULL). */
static void env_free(struct env *e)
{
	if (e->sparse)
		vm_area_unmap_pages(e->sparse, sparse_start(e), sparse_start(e) + SPARSE_PAGES * PAGE_SIZE);
	free_vm_area(e->sparse);
	free_vm_area(e->area);
	vunmap(e->vmapped);
	vfree(e->vm);
	arena_destroy(e->arena);
	kfree(e->obj);
	if (e->cache)
		kmem_cache_free(e->cache, e->cache_obj);
	kmem_cache_destroy(e->cache);
	free_pages(e->block, 2);
	for (unsigned i = 0; i < ARRAY_SIZE(e->frames); i++)
		free_page(e->frames[i]);
}

/* True if all `len` bytes at `p` read (without faulting) as `byte`. */
static bool reads_as(const void *p, u8 byte, size_t len)
{
	u8 buf[64];

	for (size_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = MIN(sizeof(buf), len - off);

		if (probe_read(buf, (const u8 *)p + off, n))
			return false;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != byte)
				return false;
	}
	return true;
}

/* Every live object of the environment is as env_make() left it. */
static void env_expect_intact(struct ktest *t, const struct env *e)
{
	unsigned long a = sparse_start(e);

	EXPECT_TRUE(t, reads_as(e->vm, VM_BYTE, 3 * PAGE_SIZE));
	EXPECT_TRUE(t, reads_as(e->vmapped, MAP_BYTE, PAGE_SIZE));
	EXPECT_PTR_EQ(t, vmalloc_to_page(e->vmapped), e->frames[0]);
	EXPECT_PTR_EQ(t, find_vm_area(e->area->addr), e->area);
	EXPECT_PTR_EQ(t, find_vm_area(e->sparse->addr), e->sparse);
	EXPECT_PTR_EQ(t, vmalloc_to_page((void *)a), e->frames[1]);
	for (unsigned i = 1; i < SPARSE_PAGES; i++)
		EXPECT_NULL(t, vmalloc_to_page((void *)(a + i * PAGE_SIZE)));
	EXPECT_EQ(t, e->arena->nr_allocated, 1);
	EXPECT_EQ(t, arena_check(e->arena), 0);
	EXPECT_TRUE(t, reads_as(e->obj, OBJ_BYTE, 64));
	EXPECT_EQ(t, ksize(e->obj), 64);
	EXPECT_TRUE(t, page_has_state(e->block, PAGE_ALLOCATED));
	EXPECT_EQ(t, e->block->order, 2);
	for (unsigned i = 2; i < ARRAY_SIZE(e->frames); i++)
		EXPECT_TRUE(t, page_has_state(e->frames[i], PAGE_ALLOCATED));
}

/* --- the case ------------------------------------------------------------------------------- */

/* The warning printed must name the API, the reason and the row as the caller. */
static void expect_warning(struct ktest *t, const struct misuse *m, const char *buf)
{
	char caller[80];

	snprintf(caller, sizeof(caller), "%s+0x", m->name);
	if (!ktest_contains(buf, "WARNING: ") || !ktest_contains(buf, m->fn) ||
	    !ktest_contains(buf, m->why) || !ktest_contains(buf, caller))
		KTEST_FAIL(t, "the warning should name %s, \"%s\" and %s", m->fn, m->why, caller);
}

static void misuse_gives_its_error_and_one_warning(struct ktest *t)
{
	const struct misuse *m = t->param;
	struct mm_snapshot before, after;
	struct ktest_capture cap;
	static char buf[512];
	unsigned lines;
	struct env e;
	long ret;

	if (!env_make(&e)) {
		env_free(&e);
		ASSERT_TRUE(t, false);
	}
	vm_unmap_aliases();
	mm_snapshot_take(&before);

	ktest_capture_start(&cap, buf, sizeof(buf), true);
	ret = m->run(&e);
	lines = ktest_capture_stop(&cap);

	EXPECT_EQ(t, ret, m->expect);
	EXPECT_EQ(t, lines, m->warns);
	if (m->warns)
		expect_warning(t, m, buf);
	if (t->status == KTEST_FAIL)
		ktest_log(t, "printed: %s", buf);

	vm_unmap_aliases();
	mm_snapshot_take(&after);
	mm_snapshot_keep_vmalloc_tables(&before, &after);
	before.warnings += m->warns;
	EXPECT_TRUE(t, mm_snapshot_equal(&before, &after, m->name));
	EXPECT_EQ(t, mm_check_all(), 0);
	env_expect_intact(t, &e);
	env_free(&e);
}

static const struct ktest_case misuse_cases[] = {
	KTEST_PARAM_CASE(misuse_gives_its_error_and_one_warning, misuse_params),
	{}
};
KTEST_SUITE(misuse, misuse_cases);
