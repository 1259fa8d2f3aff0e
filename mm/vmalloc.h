/*
 * Virtually contiguous kernel memory, with Linux's names and meanings:
 * reserve a range of the vmalloc space (get_vm_area), map caller-owned
 * pages into one (vmap), or get memory backed by fresh frames (vmalloc).
 * See docs/vmalloc.md for the pictures, the misuse table and
 * /proc/vmallocinfo.
 *
 * Conventions of every function here:
 * - Sizes are bytes and are rounded up to whole pages. Every area is
 *   followed by one unmapped guard page, counted in vm_struct.size (as in
 *   Linux), unless VM_NO_GUARD. Alignments are powers of two; below a
 *   page they mean a page.
 * - Each area records the address its public entry point was called
 *   from (vm_struct.caller), shown by /proc/vmallocinfo.
 * - Allocators return NULL when memory or space is out, printing nothing.
 *   Misuse (zero or overflowing size, a bad alignment, window or flag, a
 *   free of an address that is not the start of a live area of the right
 *   kind, a double free) prints one warning line naming the function, the
 *   address or area and the caller, and changes nothing.
 * - A call that fails half way leaves no trace: frames, page tables, the
 *   virtual range and slab objects are all given back.
 * - TLB: mapping needs no flush. Freeing unmaps at once without a flush
 *   and keeps the range out of reuse until a batched purge flushes it
 *   (after 32 MiB of such ranges, when an allocation finds no space, or on
 *   vm_unmap_aliases()). Freed frames go back to the frame allocator at
 *   once: only the freed address can still reach them, through a stale
 *   TLB entry, and using it is a use-after-free anyway (as in Linux).
 *
 * Locking: the vmap space's locks (mm/vmap_area.h: per-CPU, free tree,
 * busy zones) cover the areas and the vm_structs linked to them; page
 * tables have their own lock. No function here may be called with any of
 * them held.
 */
#ifndef MM_VMALLOC_H
#define MM_VMALLOC_H

#include "kernel/types.h"
#include "mm/arch_mmu.h"
#include "mm/layout.h"
#include "mm/page.h"

/* vm_struct.flags (Linux's values). */
#define VM_IOREMAP      0x00000001ul    /* a device's physical range (phys_addr) */
#define VM_ALLOC        0x00000002ul    /* vmalloc(): frames owned by the area */
#define VM_MAP          0x00000004ul    /* vmap(): caller-owned pages */
#define VM_NO_GUARD     0x00000040ul    /* no guard page after the area */
#define VM_SPARSE       0x00001000ul    /* pages mapped on demand by vm_area_map_pages() */
#define VM_SPARSE_PREBUILT 0x00100000ul /* ours: VM_SPARSE with all its page tables built */
#define VM_FLAGS_ALL    (VM_IOREMAP | VM_ALLOC | VM_MAP | VM_NO_GUARD | VM_SPARSE | \
			 VM_SPARSE_PREBUILT)

/*
 * The span of one bottom-level page table (2 MiB on x86-64). A
 * VM_SPARSE_PREBUILT area is aligned to it and its size (guard page
 * included) rounded up to it, so it owns whole tables and shares none.
 */
#define VM_SPARSE_TABLE_SPAN    (PAGE_SIZE * ARCH_PT_ENTRIES)

/*
 * The largest alignment a VM_IOREMAP area gets (Linux's IOREMAP_MAX_ORDER):
 * the span of one entry two levels above the bottom tables, the largest
 * leaf the walker maps (1 GiB on x86-64).
 */
#define IOREMAP_MAX_ALIGN       (VM_SPARSE_TABLE_SPAN * ARCH_PT_ENTRIES)

/* One area of the vmalloc space (Linux's struct vm_struct). */
struct vm_struct {
	void *addr;                     /* first byte */
	unsigned long size;             /* bytes, the guard page included */
	unsigned long flags;            /* VM_* */
	struct page **pages;            /* VM_ALLOC, once mapped: the frames, in address
					   order (others read it with vm_area_pages()) */
	unsigned int nr_pages;          /* entries of pages[], valid once pages is set */
	phys_addr_t phys_addr;          /* VM_IOREMAP: what it maps, else 0 */
	const void *caller;             /* return address of the public entry */
	unsigned long *sparse_kept;     /* VM_SPARSE_PREBUILT: bit i set if table span i
					   had its tables before (not the area's to free);
					   NULL if it built them all */
};

/*
 * The page array of a vmalloc area as another CPU may read it: NULL until
 * the area is fully mapped, then the array with nr_pages valid. vmalloc
 * publishes it with a release store; this is the matching acquire load.
 */
static inline struct page **vm_area_pages(const struct vm_struct *vm)
{
	return __atomic_load_n(&vm->pages, __ATOMIC_ACQUIRE);
}

/* True if `addr` lies in the vmalloc space. */
static inline bool is_vmalloc_addr(const void *addr)
{
	unsigned long a = (unsigned long)addr;

	return a >= VMALLOC_START && a < VMALLOC_END;
}

/* The usable bytes of an area: its size without the guard page. */
static inline unsigned long get_vm_area_size(const struct vm_struct *area)
{
	return (area->flags & VM_NO_GUARD) ? area->size : area->size - PAGE_SIZE;
}

/* Sets up the kernel vmap space and its cache of areas. Once, from mm_init(), after slab_init(). */
void vmalloc_init(void);

/* --- reserving areas ------------------------------------------------------ */

/*
 * Reserves the lowest free range of `size` bytes (rounded up to pages,
 * plus the guard page unless VM_NO_GUARD) whose start is a multiple of
 * `align` and that lies inside [start, end) (page-aligned, inside the
 * vmalloc space). Nothing is mapped. `flags`: VM_* bits, one kind of
 * area (none, VM_IOREMAP, VM_MAP, VM_MAP | VM_IOREMAP, VM_ALLOC, VM_SPARSE,
 * VM_SPARSE | VM_SPARSE_PREBUILT), with or without VM_NO_GUARD; any other
 * mix gets one warning and NULL. A VM_IOREMAP area is aligned to its
 * size rounded up to a power of two, at most IOREMAP_MAX_ALIGN (as in
 * Linux). The area records `caller`. Returns the area, or NULL.
 */
struct vm_struct *__get_vm_area_node(unsigned long size, unsigned long align,
				     unsigned long flags, unsigned long start,
				     unsigned long end, const void *caller);

/* Anywhere in the vmalloc space, page-aligned, recording `caller`. */
struct vm_struct *get_vm_area_caller(unsigned long size, unsigned long flags,
				     const void *caller);

/*
 * Anywhere in the vmalloc space, page-aligned. get_vm_area(size, VM_SPARSE)
 * reserves a range for vm_area_map_pages(); with VM_SPARSE | VM_SPARSE_PREBUILT
 * every page table of the range is built too (see vm_area_map_pages()).
 */
struct vm_struct *get_vm_area(unsigned long size, unsigned long flags);

/*
 * The live area containing `addr` (any byte of it, guard page included),
 * or NULL. The area may go away as soon as its owner frees it.
 */
struct vm_struct *find_vm_area(const void *addr);

/*
 * Takes the area starting at `addr` out of use: unmaps its whole range
 * without a flush (pages mapped into it are not freed: they are the
 * owner's) and lazily frees the range. Returns the vm_struct, which the
 * caller frees with kfree(), or NULL (one warning) if no area starts at
 * `addr` or it is a vmalloc area (vfree() it: its vm_struct lives in its
 * vmap area, unlike Linux's). A VM_SPARSE area is released as
 * free_vm_area() says.
 */
struct vm_struct *remove_vm_area(const void *addr);

/*
 * remove_vm_area(area->addr) and kfree(area): for areas from get_vm_area()
 * (vmalloc areas go with vfree(), vmap areas with vunmap(): warning).
 * NULL is ignored. A VM_SPARSE area: every page still mapped is unmapped
 * (one warning line with their number: the caller probably leaked them;
 * they stay the caller's), the TLB is flushed at once and the range is
 * free on return; a VM_SPARSE_PREBUILT area's page tables are freed.
 * The area at area->addr must be described by `area` itself: a stale
 * vm_struct (freed already, its range now another area's) gets one
 * warning and frees nothing.
 */
void free_vm_area(struct vm_struct *area);

/* --- mapping pages --------------------------------------------------------- */

/*
 * Maps `count` caller-owned pages at consecutive addresses of a new area
 * with protection `prot` (PROT_*). `flags`: VM_MAP is implied; VM_NO_GUARD
 * and VM_IOREMAP may be added. The pages stay the caller's: vunmap() does
 * not free them; each must be one its owner may map (pfa_page_unmappable():
 * not free, not a page table, RAM). Returns the address, or NULL.
 */
void *vmap(struct page **pages, unsigned int count, unsigned long flags, unsigned prot);

/*
 * Unmaps and frees an area made by vmap(); `addr` must be its start. NULL
 * is ignored; a vmalloc area or anything else: one warning.
 */
void vunmap(const void *addr);

/* --- VM_SPARSE areas (mm/vm_sparse.c, docs/vm_sparse.md) -------------------- */

/*
 * Maps the caller's pages[0 .. (end - start) / PAGE_SIZE) at [start, end)
 * of a VM_SPARSE area (end exclusive, both page-aligned, inside the area
 * without its guard page) as kernel read/write, non-executable 4 KiB
 * pages. The pages stay the caller's: nothing here ever frees them. No
 * TLB flush is needed. Checks, in this order, each with one warning line
 * naming the area and the caller:
 *   -EINVAL  area NULL, not VM_SPARSE, or VM_NO_GUARD
 *   -E2BIG   more pages than all of RAM
 *   -ERANGE  [start, end) not inside the area without its guard page
 *   -EINVAL  start or end not page-aligned, start >= end, pages NULL or
 *            an entry in it NULL or refused by pfa_page_unmappable() (a
 *            free frame, a page table, no RAM behind it, not a struct page)
 *   -EBUSY   a page of the range is already mapped
 * -ENOMEM (no warning) if a page table could not be allocated. A failed
 * call leaves nothing mapped and frees the tables it allocated. On a
 * VM_SPARSE_PREBUILT area it never allocates, so it cannot fail with
 * -ENOMEM and may be called with interrupts off.
 */
int vm_area_map_pages(struct vm_struct *area, unsigned long start, unsigned long end,
		      struct page **pages);

/*
 * Unmaps whatever is mapped at [start, end) of a VM_SPARSE area (holes
 * are fine) and flushes the TLB before it returns. Never frees the pages
 * and never allocates. A range vm_area_map_pages() would refuse (the same
 * checks but the page ones) is ignored after one warning line.
 */
void vm_area_unmap_pages(struct vm_struct *area, unsigned long start, unsigned long end);

/*
 * A kcore-style read of kernel virtual memory that never faults: copies
 * `len` bytes from vmalloc address `addr` into `buf` (clipped at the end
 * of the vmalloc space). Bytes of vmalloc and vmap areas are read through
 * the direct map; unmapped pages, guard pages, gaps between areas, lazily
 * freed ranges, and the whole of VM_SPARSE and VM_IOREMAP areas read as
 * zeros (as Linux's /proc/kcore does). Returns the bytes written to buf,
 * or -EINVAL (one warning) if buf is NULL or addr is not a vmalloc address.
 */
long vread(void *buf, const void *addr, unsigned long len);

/* --- allocating memory ---------------------------------------------------- */

/*
 * The general form: `size` bytes backed by fresh frames, mapped with `prot`
 * at an address that is a multiple of `align` inside [start, end).
 * `alloc_flags`: 0 or PFA_ZERO (zeroed memory); `vm_flags`: VM_NO_GUARD or
 * 0 (VM_ALLOC is implied). The array of page pointers comes from kmalloc
 * if it fits in a page, else from vmalloc itself (" vpages" in
 * vmallocinfo). Returns the address, or NULL.
 */
void *__vmalloc_node_range(unsigned long size, unsigned long align, unsigned long start,
			   unsigned long end, unsigned alloc_flags, unsigned prot,
			   unsigned long vm_flags, const void *caller);

/* Anywhere in the vmalloc space, read/write, aligned to `align`. */
void *__vmalloc_node(unsigned long size, unsigned long align, unsigned alloc_flags,
		     const void *caller);

/* `size` bytes of read/write, non-executable memory, page-aligned; NULL if out. */
void *vmalloc(unsigned long size);

/* vmalloc() with the memory zeroed. */
void *vzalloc(unsigned long size);

/*
 * Frees memory from vmalloc() and friends; `addr` must be the start of
 * the area. NULL is ignored; anything else (a vmap or get_vm_area area,
 * an address inside an area, a double free): one warning.
 */
void vfree(const void *addr);

/* --- lookups --------------------------------------------------------------- */

/*
 * The page mapped at vmalloc address `addr` (any byte), or NULL if none is
 * mapped there. An address outside the vmalloc space: one warning, NULL.
 */
struct page *vmalloc_to_page(const void *addr);

/* page_to_pfn(vmalloc_to_page(addr)), or 0 if nothing is mapped there. */
unsigned long vmalloc_to_pfn(const void *addr);

/*
 * Purges every lazily freed range now (one TLB flush over their span), so
 * no stale translation of a freed area is left and the ranges are free.
 */
void vm_unmap_aliases(void);

/*
 * Checks the vmap space (vmap_check()) and that each busy area's vm_struct
 * describes it (address, size, pages of VM_ALLOC areas in state
 * PAGE_VMALLOC). 0, or -EINVAL after printing what is wrong.
 */
int vmalloc_check(void);

/* --- /proc/vmallocinfo ------------------------------------------------------ */

/*
 * Formats /proc/vmallocinfo into `buf` (NUL-terminated, truncated to
 * `size`), one line per area in address order, Linux's format:
 *
 *   0x<start>-0x<end> <size %7ld>[ <caller %pS>][ pages=<n>][ phys=<addr>]
 *       [ ioremap][ sparse][ vmalloc][ vmap][ vpages]
 *
 * then one "0x<start>-0x<end> <size> unpurged vm_area" line per lazily
 * freed range. Returns the length of the whole text (like snprintf).
 */
int vmallocinfo_show(char *buf, size_t size);

/* Prints the same lines on the console (the `vmallocinfo` boot option). */
void vmallocinfo_print(void);

#endif
