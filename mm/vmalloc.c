/*
 * get_vm_area, vmap and vmalloc on top of the vmap area allocator
 * (mm/vmap_area.c) and the page-table walker (mm/pgtable.h). See
 * mm/vmalloc.h for the contracts and docs/vmalloc.md for the pictures.
 *
 * Life of a vmalloc area:
 *
 *   get_area             range (alloc_vmap_area), the vm_struct in the
 *                        room of its vmap area (struct vm_room)
 *   page array           in the room too up to VM_INLINE_PAGES, else kmalloc
 *   alloc frames         in bulk, PAGE_VMALLOC, page->private = area
 *   pgtable_map_pages    into the kernel's tables
 *   ...
 *   vfree                unlink from its busy zone (the checks and the
 *                        unlink happen under the zone's lock: a double
 *                        free cannot slip between them), unmap without a
 *                        flush, free the frames, range -> this CPU's lazy list
 *   purge                one flush for the CPU's lazy ranges, then they go to
 *                        its pools or the free tree
 */
#include "mm/vmalloc.h"
#include "kernel/errno.h"
#include "kernel/irqflags.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/op_hook.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vm_sparse.h"
#include "mm/vmalloc_fault.h"
#include "mm/vmap_area.h"

#define VM_ULONG_MAX    (~0ul)

/*
 * What each vmap area object carries for its owner (vmap_area_room()): a
 * vmalloc area keeps its vm_struct there, and its page array if it has at
 * most VM_INLINE_PAGES pages, so vmalloc() makes one slab allocation, not
 * three. The other kinds of area keep a kzalloc'ed vm_struct: their
 * owners may hold it after the range is gone (remove_vm_area() hands it
 * back to be kfree'd).
 */
#define VM_INLINE_PAGES 2

struct vm_room {
	struct vm_struct vm;
	struct page *pages[VM_INLINE_PAGES];
};

/* True if `vm` lives in the room of its vmap area (a vmalloc area's). */
static inline bool vm_in_room(const struct vm_struct *vm)
{
	return vm->flags & VM_ALLOC;
}

/* The inline page array of a vm_struct that lives in a room. */
static inline struct page **room_pages(struct vm_struct *vm)
{
	return container_of(vm, struct vm_room, vm)->pages;
}

/* The public function a request came through, for its warning line. */
struct vm_call {
	const char *fn;
	unsigned long caller;
};

#define VM_CALL(name, ip) ((struct vm_call){ .fn = (name), .caller = (ip) })

/* The one warning line of a refused call (warn_call()). */
#define vm_warn(c, ...) warn_call((c)->fn, (c)->caller, __VA_ARGS__)

static inline unsigned long guard_size(unsigned long flags)
{
	return (flags & VM_NO_GUARD) ? 0 : PAGE_SIZE;
}

/*
 * Why an area may not have these (known) flags, or NULL. Every legal
 * combination has a free function that leaves nothing behind:
 *
 *   0, VM_IOREMAP                      free_vm_area
 *   VM_MAP, VM_MAP | VM_IOREMAP        vunmap (or free_vm_area)
 *   VM_ALLOC                           vfree
 *   VM_SPARSE [| VM_SPARSE_PREBUILT]   free_vm_area (pages, tables released)
 *
 * each with or without VM_NO_GUARD (a VM_SPARSE one is then refused by
 * vm_area_map_pages, as in Linux). Any other mix of kinds is refused: no
 * free function undoes both.
 */
static const char *flags_refused(unsigned long flags)
{
	if ((flags & VM_SPARSE_PREBUILT) && !(flags & VM_SPARSE))
		return "VM_SPARSE_PREBUILT without VM_SPARSE";
	if ((flags & VM_SPARSE) && (flags & (VM_ALLOC | VM_MAP | VM_IOREMAP)))
		return "VM_SPARSE with VM_ALLOC, VM_MAP or VM_IOREMAP";
	if ((flags & VM_ALLOC) && (flags & (VM_MAP | VM_IOREMAP)))
		return "VM_ALLOC with VM_MAP or VM_IOREMAP";
	return NULL;
}

/*
 * As Linux: an ioremap area starts at a multiple of its size rounded up to
 * a power of two (guard page not counted), from a page up to the largest
 * leaf mapping (1 GiB on x86-64), so a large device window can be mapped
 * with huge leaves.
 */
static unsigned long ioremap_align(unsigned long size)
{
	unsigned long align = PAGE_SIZE;

	while (align < size && align < IOREMAP_MAX_ALIGN)
		align <<= 1;
	return align;
}

/*
 * Checks a request and returns the area's full size (whole pages plus the
 * guard), or 0 after one warning. Raises *align to at least a page. A
 * VM_SPARSE_PREBUILT area is rounded and aligned to whole page tables.
 */
static unsigned long check_request(const struct vm_call *c, unsigned long size,
				   unsigned long *align, unsigned long flags,
				   unsigned long start, unsigned long end)
{
	unsigned long guard = guard_size(flags);
	unsigned long span = (flags & VM_SPARSE_PREBUILT) ? VM_SPARSE_TABLE_SPAN : PAGE_SIZE;

	if (!size) {
		vm_warn(c, "zero size");
		return 0;
	}
	if (size > VM_ULONG_MAX - span - guard + 1) {
		vm_warn(c, "size 0x%lx overflows with page rounding and the guard page", size);
		return 0;
	}
	if (!IS_POWER_OF_2(*align)) {
		vm_warn(c, "alignment 0x%lx is not a power of two", *align);
		return 0;
	}
	if (flags & ~VM_FLAGS_ALL) {
		vm_warn(c, "unknown flags 0x%lx", flags & ~VM_FLAGS_ALL);
		return 0;
	}
	if (flags_refused(flags)) {
		vm_warn(c, "flags 0x%lx: %s", flags, flags_refused(flags));
		return 0;
	}
	if (!IS_ALIGNED(start | end, PAGE_SIZE) || start >= end || start < VMALLOC_START ||
	    end > VMALLOC_END) {
		vm_warn(c, "window 0x%lx-0x%lx is not a page-aligned part of the vmalloc space",
			start, end);
		return 0;
	}
	*align = MAX(*align, span);
	if (flags & VM_IOREMAP)
		*align = MAX(*align, ioremap_align(size));
	return ALIGN_UP(ALIGN_UP(size, PAGE_SIZE) + guard, span);
}

static void discard_area(struct vm_struct *vm);

/* What get_area() fills in a new area before it is visible (set_up_area()). */
struct area_setup {
	struct vm_struct *vm;           /* a kmalloc'ed one, or NULL: the area's room */
	unsigned long size, flags;
	unsigned long caller;
};

static void set_up_area(struct vmap_area *va, void *arg)
{
	struct area_setup *a = arg;
	struct vm_struct *vm = a->vm ? a->vm : &((struct vm_room *)vmap_area_room(va))->vm;

	*vm = (struct vm_struct){ .addr = (void *)va->va_start, .size = a->size,
				  .flags = a->flags, .caller = (const void *)a->caller };
	va->vm = vm;
	a->vm = vm;
}

/* Reserves a range and its vm_struct; NULL if out of space or memory. */
static struct vm_struct *get_area(const struct vm_call *c, unsigned long size,
				  unsigned long align, unsigned long flags,
				  unsigned long start, unsigned long end)
{
	unsigned long full = check_request(c, size, &align, flags, start, end);
	struct area_setup a = { .size = full, .flags = flags, .caller = c->caller };

	if (!full)
		return NULL;
	a.vm = (flags & VM_ALLOC) ? NULL : kmalloc(sizeof(*a.vm));
	if (!a.vm && !(flags & VM_ALLOC))
		return NULL;
	if (!alloc_vmap_area_setup(&kernel_vmap_space, full, align, start, end, set_up_area,
				   &a)) {
		kfree(a.vm);
		return NULL;
	}
	if ((flags & VM_SPARSE_PREBUILT) && vm_sparse_build_tables(a.vm)) {
		discard_area(a.vm);     /* the build undid itself: nothing is mapped */
		return NULL;
	}
	return a.vm;
}

/* The kinds of area a free function takes. */
struct take_rule {
	unsigned long need;             /* one of these flags must be set (0: any) */
	unsigned long refuse;           /* none of these may be set */
	const char *use_instead;        /* named in the warning when refused */
};

/*
 * Finds the live area starting at `addr` and, if it is of a kind `rule`
 * accepts and (when `expect` is not NULL) described by the vm_struct
 * `expect`, takes it out of its busy zone, in one hold of the zone's lock.
 * Returns it (va->vm still set), or NULL after one warning.
 */
static struct vmap_area *take_area(const struct vm_call *c, const void *addr,
				   const struct vm_struct *expect, const struct take_rule *rule)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long a = (unsigned long)addr, start = 0, end = 0, flags = 0;
	const char *why = NULL, *hint = NULL;
	struct vmap_busy_hold hold;
	struct vmap_area *va;

	va = vmap_find_busy(s, a, &hold);
	if (va && va->vm) {
		start = va->va_start;
		end = va->va_end;
		flags = va->vm->flags;
	}
	if (!va || !va->vm) {
		why = "no live area there (double free?)";
	} else if (start != a) {
		why = "not the start of area";
	} else if ((rule->need && !(flags & rule->need)) || (flags & rule->refuse)) {
		why = "wrong kind of area";
		hint = rule->use_instead;
	} else if (expect && va->vm != expect) {
		/* A freed vm_struct whose range went to a new area: not that area's to free. */
		why = "stale vm_struct (freed already?), not the one of area";
	} else {
		unlink_vmap_area_locked(s, va);
		vmalloc_fault_note_free(c->fn, start, end, c->caller);
	}
	if (va)
		vmap_busy_unlock(&hold);
	if (!why)
		return va;
	if (!start)
		vm_warn(c, "0x%lx: %s", a, why);
	else
		vm_warn(c, "0x%lx: %s 0x%lx-0x%lx flags 0x%lx%s%s", a, why, start, end, flags,
			hint ? ", use " : "", hint ? hint : "");
	return NULL;
}

/*
 * Unmaps a taken area's range: normally without a flush; with `now`
 * (undoing a failed call, which must leave no trace, not even a lazy
 * range) flushed at once.
 */
static void unmap_taken(struct vmap_area *va, bool now)
{
	unsigned long addr = (unsigned long)va->vm->addr, size = get_vm_area_size(va->vm);

	if (now)
		WARN_ON(pgtable_unmap(&kernel_pgtable, addr, size, NULL, 0));
	else
		WARN_ON(pgtable_unmap_noflush(&kernel_pgtable, addr, size, NULL));
}

/*
 * Gives an unmapped range back: to this CPU's lazy list, or with `now` (flushed
 * by unmap_taken()) free at once. A vm_struct in the area's room goes with it.
 */
static void give_back_range(struct vmap_area *va, bool now)
{
	if (now)
		free_vmap_area(&kernel_vmap_space, va);
	else
		free_vmap_area_noflush(&kernel_vmap_space, va);
}

/* Unmaps a taken area's range and gives it back (see the two above). */
static void release_area(struct vmap_area *va, bool now)
{
	unmap_taken(va, now);
	give_back_range(va, now);
}

/*
 * Releases a taken area's range. A sparse area goes through
 * vm_sparse_release() (flushed at once, prebuilt tables freed), with one
 * warning if pages were still mapped; any other lazily (release_area()).
 */
static void release_taken(const struct vm_call *c, struct vmap_area *va)
{
	struct vm_struct *vm = va->vm;
	unsigned long left;

	if (!(vm->flags & VM_SPARSE)) {
		release_area(va, false);
		return;
	}
	left = vm_sparse_release(va);
	if (left)
		vm_warn(c, "sparse area 0x%lx-0x%lx still had %lu pages mapped: unmapped, "
			"not freed (they are the caller's)", (unsigned long)vm->addr,
			(unsigned long)vm->addr + vm->size, left);
}

/* Gives back an area that never had anything mapped: no flush needed. */
static void discard_area(struct vm_struct *vm)
{
	struct vmap_space *s = &kernel_vmap_space;
	struct vmap_busy_hold hold;
	struct vmap_area *va = vmap_find_busy(s, (unsigned long)vm->addr, &hold);
	bool own = !vm_in_room(vm);

	unlink_vmap_area_locked(s, va);
	vmap_busy_unlock(&hold);
	free_vmap_area(s, va);
	if (own)
		kfree(vm);
}

/* --- reserving areas ----------------------------------------------------- */

__noinline
struct vm_struct *__get_vm_area_node(unsigned long size, unsigned long align,
				     unsigned long flags, unsigned long start,
				     unsigned long end, const void *caller)
{
	struct vm_call c = VM_CALL("__get_vm_area_node", (unsigned long)caller);
	struct vm_struct *vm = get_area(&c, size, align, flags, start, end);

	mm_op_done(c.fn, c.caller);
	return vm;
}

__noinline
struct vm_struct *get_vm_area_caller(unsigned long size, unsigned long flags,
				     const void *caller)
{
	struct vm_call c = VM_CALL("get_vm_area_caller", (unsigned long)caller);
	struct vm_struct *vm = get_area(&c, size, PAGE_SIZE, flags, VMALLOC_START,
					VMALLOC_END);

	mm_op_done(c.fn, c.caller);
	return vm;
}

__noinline
struct vm_struct *get_vm_area(unsigned long size, unsigned long flags)
{
	struct vm_call c = VM_CALL("get_vm_area", RET_IP);
	struct vm_struct *vm = get_area(&c, size, PAGE_SIZE, flags, VMALLOC_START,
					VMALLOC_END);

	mm_op_done(c.fn, c.caller);
	return vm;
}

struct vm_struct *find_vm_area(const void *addr)
{
	struct vmap_busy_hold hold;
	struct vmap_area *va = vmap_find_busy(&kernel_vmap_space, (unsigned long)addr, &hold);
	struct vm_struct *vm = va ? va->vm : NULL;

	if (va)
		vmap_busy_unlock(&hold);
	return vm;
}

__noinline
struct vm_struct *remove_vm_area(const void *addr)
{
	static const struct take_rule rule = { .refuse = VM_ALLOC, .use_instead = "vfree" };
	struct vm_call c = VM_CALL("remove_vm_area", RET_IP);
	struct vmap_area *va = take_area(&c, addr, NULL, &rule);
	struct vm_struct *vm;

	if (!va)
		return NULL;
	vm = va->vm;
	release_taken(&c, va);
	mm_op_done(c.fn, c.caller);
	return vm;
}

__noinline
void free_vm_area(struct vm_struct *area)
{
	static const struct take_rule rule = { .refuse = VM_ALLOC, .use_instead = "vfree" };
	struct vm_call c = VM_CALL("free_vm_area", RET_IP);
	struct vmap_area *va;

	if (!area)
		return;
	va = take_area(&c, area->addr, area, &rule);
	if (!va)
		return;
	release_taken(&c, va);
	kfree(area);
	mm_op_done(c.fn, c.caller);
}

/* --- vmap ---------------------------------------------------------------- */

/* Checks vmap()'s arguments; true if they are fine (else one warning). */
static bool vmap_args_ok(const struct vm_call *c, struct page **pages, unsigned int count,
			 unsigned long flags, unsigned prot)
{
	if (!pages || !count) {
		vm_warn(c, "no pages (pages %p, count %u)", pages, count);
		return false;
	}
	if (flags & ~(VM_MAP | VM_NO_GUARD | VM_IOREMAP)) {
		vm_warn(c, "flags 0x%lx not allowed (only VM_MAP, VM_NO_GUARD, VM_IOREMAP)", flags);
		return false;
	}
	if (!prot_is_valid(prot)) {
		vm_warn(c, "bad protection 0x%x", prot);
		return false;
	}
	for (unsigned int i = 0; i < count; i++) {
		const char *why = pages[i] ? pfa_page_unmappable(pages[i]) : NULL;

		if (!pages[i] || why) {
			vm_warn(c, "pages[%u] %s", i, why ? why : "is NULL");
			return false;
		}
	}
	return true;
}

static void *vmap_call(const struct vm_call *c, struct page **pages, unsigned int count,
		       unsigned long flags, unsigned prot)
{
	struct vm_struct *area;

	if (!vmap_args_ok(c, pages, count, flags, prot))
		return NULL;
	if (count > pfa_total_pages())
		return NULL;            /* more than all of RAM: cannot be real pages */
	area = get_area(c, (unsigned long)count << PAGE_SHIFT, PAGE_SIZE, flags | VM_MAP,
			VMALLOC_START, VMALLOC_END);
	if (!area)
		return NULL;
	if (pgtable_map_pages(&kernel_pgtable, (unsigned long)area->addr, pages, count, prot)) {
		discard_area(area);
		return NULL;
	}
	return area->addr;
}

__noinline
void *vmap(struct page **pages, unsigned int count, unsigned long flags, unsigned prot)
{
	struct vm_call c = VM_CALL("vmap", RET_IP);
	void *addr = vmap_call(&c, pages, count, flags, prot);

	mm_op_done(c.fn, c.caller);
	return addr;
}

__noinline
void vunmap(const void *addr)
{
	static const struct take_rule rule = {
		.need = VM_MAP, .refuse = VM_ALLOC, .use_instead = "vfree or free_vm_area",
	};
	struct vm_call c = VM_CALL("vunmap", RET_IP);
	struct vmap_area *va;
	struct vm_struct *vm;

	if (!addr)
		return;
	va = take_area(&c, addr, NULL, &rule);
	if (!va)
		return;
	vm = va->vm;
	release_area(va, false);
	kfree(vm);
	mm_op_done(c.fn, c.caller);
}

/* --- vmalloc -------------------------------------------------------------- */

static void *vmalloc_call(const struct vm_call *c, unsigned long size, unsigned long align,
			  unsigned long start, unsigned long end, unsigned alloc_flags,
			  unsigned prot, unsigned long vm_flags);
static void vfree_call(const struct vm_call *c, const void *addr, bool now);

/*
 * The array of page pointers of `area`: in its room up to VM_INLINE_PAGES,
 * else kmalloc while it fits in a page, else vmalloc (Linux does the
 * same; the area then shows " vpages").
 */
static struct page **alloc_page_array(const struct vm_call *c, struct vm_struct *area,
				      unsigned long nr)
{
	unsigned long bytes = nr * sizeof(struct page *);

	if (nr <= VM_INLINE_PAGES)
		return room_pages(area);
	if (bytes <= PAGE_SIZE)
		return kmalloc(bytes);
	return vmalloc_call(c, bytes, PAGE_SIZE, VMALLOC_START, VMALLOC_END, 0,
			    PROT_KERNEL_RW, 0);
}

static void free_page_array(const struct vm_call *c, struct vm_struct *area,
			    struct page **pages, bool now)
{
	if (pages == room_pages(area))
		return;
	if (is_vmalloc_addr(pages))
		vfree_call(c, pages, now);
	else
		kfree(pages);
}

/* Frees the first `nr` frames of pages[]. */
static void free_frames(struct page **pages, unsigned long nr)
{
	free_pages_bulk(pages, nr);
}

/* Fills pages[] with `nr` fresh frames owned by `area`; false if memory ran out. */
static bool alloc_frames(struct vm_struct *area, struct page **pages, unsigned long nr,
			 unsigned alloc_flags)
{
	return !alloc_pages_bulk(pages, nr, alloc_flags, PAGE_VMALLOC, (unsigned long)area);
}

static bool vmalloc_args_ok(const struct vm_call *c, unsigned alloc_flags, unsigned prot,
			    unsigned long vm_flags)
{
	if (alloc_flags & ~PFA_ZERO) {
		vm_warn(c, "unknown allocation flags 0x%x", alloc_flags);
		return false;
	}
	if (vm_flags & ~VM_NO_GUARD) {
		vm_warn(c, "flags 0x%lx not allowed (only VM_NO_GUARD)", vm_flags);
		return false;
	}
	if (!prot_is_valid(prot)) {
		vm_warn(c, "bad protection 0x%x", prot);
		return false;
	}
	return true;
}

static __always_inline void *vmalloc_body(const struct vm_call *c, unsigned long size,
					  unsigned long align, unsigned long start,
					  unsigned long end, unsigned alloc_flags, unsigned prot,
					  unsigned long vm_flags)
{
	struct vm_struct *area;
	struct page **pages;
	unsigned long nr;

	if (!vmalloc_args_ok(c, alloc_flags, prot, vm_flags))
		return NULL;
	area = get_area(c, size, align, VM_ALLOC | vm_flags, start, end);
	if (!area)
		return NULL;
	nr = get_vm_area_size(area) >> PAGE_SHIFT;
	if (nr > pfa_total_pages() || nr > (unsigned int)~0u)
		goto out_area;          /* more than all of RAM */
	pages = alloc_page_array(c, area, nr);
	if (!pages)
		goto out_area;
	if (!alloc_frames(area, pages, nr, alloc_flags))
		goto out_array;
	if (pgtable_map_pages(&kernel_pgtable, (unsigned long)area->addr, pages, nr, prot))
		goto out_frames;
	area->nr_pages = nr;
	__atomic_store_n(&area->pages, pages, __ATOMIC_RELEASE);       /* vm_area_pages() */
	return area->addr;

out_frames:
	free_frames(pages, nr);
out_array:
	free_page_array(c, area, pages, true);
out_area:
	discard_area(area);
	return NULL;
}

/*
 * A vmalloc or vfree of at most this many pages runs with interrupts off
 * from start to end. Each of the 5 to 7 locks it takes (area, slab, frame
 * list, page table) then saves and restores a flag that is off already,
 * where each would otherwise re-enable interrupts on release: an STI,
 * which under QEMU's TCG ends the translation block (about 25 ns, 8% of a
 * one-page vmalloc + vfree there). What such a call does with interrupts
 * off is bounded by its size, as each of those locks' holds is.
 */
#define VM_IRQ_OFF_PAGES 128

static void *vmalloc_call(const struct vm_call *c, unsigned long size, unsigned long align,
			  unsigned long start, unsigned long end, unsigned alloc_flags,
			  unsigned prot, unsigned long vm_flags)
{
	bool quick = size <= VM_IRQ_OFF_PAGES * PAGE_SIZE;
	unsigned long irq = quick ? irq_save() : 0;
	void *p = vmalloc_body(c, size, align, start, end, alloc_flags, prot, vm_flags);

	if (quick)
		irq_restore(irq);
	return p;
}

__noinline
void *__vmalloc_node_range(unsigned long size, unsigned long align, unsigned long start,
			   unsigned long end, unsigned alloc_flags, unsigned prot,
			   unsigned long vm_flags, const void *caller)
{
	struct vm_call c = VM_CALL("__vmalloc_node_range", (unsigned long)caller);
	void *p = vmalloc_call(&c, size, align, start, end, alloc_flags, prot, vm_flags);

	mm_op_done(c.fn, c.caller);
	return p;
}

__noinline
void *__vmalloc_node(unsigned long size, unsigned long align, unsigned alloc_flags,
		     const void *caller)
{
	struct vm_call c = VM_CALL("__vmalloc_node", (unsigned long)caller);
	void *p = vmalloc_call(&c, size, align, VMALLOC_START, VMALLOC_END, alloc_flags,
			       PROT_KERNEL_RW, 0);

	mm_op_done(c.fn, c.caller);
	return p;
}

__noinline
void *vmalloc(unsigned long size)
{
	struct vm_call c = VM_CALL("vmalloc", RET_IP);
	void *p = vmalloc_call(&c, size, PAGE_SIZE, VMALLOC_START, VMALLOC_END, 0,
			       PROT_KERNEL_RW, 0);

	mm_op_done(c.fn, c.caller);
	return p;
}

__noinline
void *vzalloc(unsigned long size)
{
	struct vm_call c = VM_CALL("vzalloc", RET_IP);
	void *p = vmalloc_call(&c, size, PAGE_SIZE, VMALLOC_START, VMALLOC_END, PFA_ZERO,
			       PROT_KERNEL_RW, 0);

	mm_op_done(c.fn, c.caller);
	return p;
}

/* vfree(); `now`: flush and free the range at once (see release_area()). */
static void vfree_call(const struct vm_call *c, const void *addr, bool now)
{
	static const struct take_rule rule = {
		.need = VM_ALLOC, .use_instead = "vunmap or free_vm_area",
	};
	unsigned long irq = irq_save();        /* see VM_IRQ_OFF_PAGES */
	struct vmap_area *va = take_area(c, addr, NULL, &rule);
	struct vm_struct *vm;
	bool quick = va && va->vm->nr_pages <= VM_IRQ_OFF_PAGES;

	if (!quick)
		irq_restore(irq);
	if (!va)
		return;
	vm = va->vm;
	unmap_taken(va, now);
	if (vm->pages) {
		free_frames(vm->pages, vm->nr_pages);
		free_page_array(c, vm, vm->pages, now);
	}
	give_back_range(va, now);       /* the vm_struct (in the room) goes with it */
	if (quick)
		irq_restore(irq);
}

__noinline
void vfree(const void *addr)
{
	struct vm_call c = VM_CALL("vfree", RET_IP);

	if (!addr)
		return;
	vfree_call(&c, addr, false);
	mm_op_done(c.fn, c.caller);
}

/* --- lookups --------------------------------------------------------------- */

__noinline
struct page *vmalloc_to_page(const void *addr)
{
	struct vm_call c = VM_CALL("vmalloc_to_page", RET_IP);
	struct pgtable_entry e;

	if (!is_vmalloc_addr(addr)) {
		vm_warn(&c, "%p is not a vmalloc address", addr);
		return NULL;
	}
	if (pgtable_query(&kernel_pgtable, (unsigned long)addr, &e))
		return NULL;
	return phys_to_page(pgtable_entry_phys(&e, (unsigned long)addr));
}

unsigned long vmalloc_to_pfn(const void *addr)
{
	struct page *page = vmalloc_to_page(addr);

	return page ? page_to_pfn(page) : 0;
}

void vm_unmap_aliases(void)
{
	purge_vmap_area_lazy(&kernel_vmap_space);
}

/* --- start-up and checking -------------------------------------------------- */

void vmalloc_init(void)
{
	vmap_area_init(sizeof(struct vm_room));
	printk("vmalloc: 0x%lx-0x%lx (%lu GiB), per CPU: lazy purge above %lu KiB, pools up to "
	       "%lu KiB\n", VMALLOC_START, VMALLOC_END, (VMALLOC_END - VMALLOC_START) >> 30,
	       kernel_vmap_space.lazy_max >> 10, kernel_vmap_space.pool_max >> 10);
}

/* What is wrong with busy area `va`, or NULL. */
static const char *check_area(const struct vmap_area *va)
{
	const struct vm_struct *vm = va->vm;

	if (!vm)
		return "busy area without a vm_struct";
	if ((unsigned long)vm->addr != va->va_start || vm->size != va->va_end - va->va_start)
		return "vm_struct address or size differs from the range";
	if (vm->flags & ~VM_FLAGS_ALL)
		return "unknown flags";
	if (!(vm->flags & VM_ALLOC) || !vm_area_pages(vm))
		return NULL;
	if (vm->nr_pages != get_vm_area_size(vm) >> PAGE_SHIFT)
		return "vmalloc area with the wrong number of pages";
	for (unsigned i = 0; i < vm->nr_pages; i++)
		if (!page_has_state(vm->pages[i], PAGE_VMALLOC) ||
		    vm->pages[i]->private != (unsigned long)vm)
			return "a page is not PAGE_VMALLOC owned by the area";
	return NULL;
}

int vmalloc_check(void)
{
	struct vmap_space *s = &kernel_vmap_space;
	const char *why = NULL;
	unsigned long irq, where = 0;
	struct vmap_busy_iter it;

	if (vmap_check(s))
		return -EINVAL;
	irq = vmap_lock_all(s);
	for (struct vmap_area *va = vmap_busy_first(&it, s, s->start); va && !why;
	     va = vmap_busy_next(&it)) {
		why = check_area(va);
		where = va->va_start;
	}
	vmap_unlock_all(s, irq);
	if (why)
		printk("vmalloc_check: area 0x%lx: %s\n", where, why);
	return why ? -EINVAL : 0;
}
