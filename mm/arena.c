/*
 * The demand-paged arena (mm/arena.h): a VM_SPARSE area, a bitmap of its
 * allocated pages, and two fault hooks.
 *
 *   arena_alloc_pages   lowest free run in the bitmap -> zeroed frames ->
 *                       vm_area_map_pages() -> bits set        (arena lock)
 *   fault on a page     resolver: the arena holding the address, with
 *                       ARENA_FAULT_IN -> the same, for one page
 *   arena_free_pages    frames found through the page table ->
 *                       vm_area_unmap_pages() (flushed) -> bits cleared ->
 *                       frames freed
 *
 * The bitmap is the free-range allocator: a search skips whole words of
 * allocated pages, so it is O(pages / 64) at worst (16384 words for the
 * 4 GiB arena), and it never allocates. Each frame the arena maps carries
 * the arena in page->private, so a page mapped there by anyone else is
 * noticed (arena_check(), and a warning instead of a wrong free).
 */
#include "mm/arena.h"
#include "kernel/errno.h"
#include "kernel/fault.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"

#define BITS_PER_LONG   (8 * sizeof(unsigned long))
#define STACK_PAGES     16      /* pages an allocation maps without a kmalloc'ed array */

/* The list of live arenas, for the fault hooks and arena_destroy(). */
static struct {
	spinlock_t lock;                /* covers `first` and every arena's `next` */
	struct arena *first;
	bool hooks;                     /* resolver and explainer registered */
} arenas = { .lock = SPINLOCK_INIT_ORDERED("arenas", LOCK_ORDER_ARENAS) };

/* --- the bitmap ----------------------------------------------------------- */

/* The first index in [i, n) whose bit is `set`, or n. */
static unsigned long find_next(const unsigned long *bm, unsigned long n, unsigned long i,
			       bool set)
{
	while (i < n) {
		unsigned long w = set ? bm[i / BITS_PER_LONG] : ~bm[i / BITS_PER_LONG];
		unsigned long base = ALIGN_DOWN(i, BITS_PER_LONG);

		w &= ~0ul << (i % BITS_PER_LONG);
		if (w)
			return MIN(base + __builtin_ctzl(w), n);
		i = base + BITS_PER_LONG;
	}
	return n;
}

/* The first page of the lowest run of `count` free pages, or nr_pages. */
static unsigned long find_free_run(const struct arena *a, unsigned long count)
{
	unsigned long i = 0, used;

	for (;;) {
		i = find_next(a->bitmap, a->nr_pages, i, false);
		if (a->nr_pages - i < count)
			return a->nr_pages;
		used = find_next(a->bitmap, i + count, i, true);
		if (used == i + count)
			return i;
		i = used;
	}
}

static bool page_is_allocated_in(const struct arena *a, unsigned long i)
{
	return (a->bitmap[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1;
}

/* Bits set in the first `n`. */
static unsigned long count_bits(const unsigned long *bm, unsigned long n)
{
	unsigned long count = 0;

	for (unsigned long w = 0; w < ALIGN_UP(n, BITS_PER_LONG) / BITS_PER_LONG; w++)
		for (unsigned long x = bm[w]; x; x &= x - 1)    /* no libgcc popcount here */
			count++;
	return count;
}

/* Sets or clears bits [i, i + n); returns how many changed. */
static unsigned long assign_bits(unsigned long *bm, unsigned long i, unsigned long n, bool set)
{
	unsigned long changed = 0;

	for (; n; n--, i++) {
		unsigned long *w = &bm[i / BITS_PER_LONG], bit = 1ul << (i % BITS_PER_LONG);

		changed += !!(*w & bit) != set;
		*w = set ? *w | bit : *w & ~bit;
	}
	return changed;
}

/* Zeroed memory for the bitmap or a page array: kmalloc up to a page, else vmalloc. */
static void *kv_zalloc(unsigned long bytes)
{
	return bytes <= PAGE_SIZE ? kzalloc(bytes) : vzalloc(bytes);
}

static void kv_free(const void *p)
{
	if (is_vmalloc_addr(p))
		vfree(p);
	else
		kfree(p);
}

/* --- warnings --------------------------------------------------------------- */

/* The one line of a refused call: "fn: arena 0x..-0x..: <what> (caller f+0x../0x..)". */
static const char *arena_name(const struct arena *a, char buf[static 40])
{
	if (!a)
		return "NULL";
	snprintf(buf, 40, "0x%lx-0x%lx", a->start, a->start + a->nr_pages * PAGE_SIZE);
	return buf;
}

#define arena_warn(fn, a, caller, fmt, ...) \
	warn_call(fn, caller, "arena %s: " fmt, arena_name(a, (char[40]){ 0 }), ##__VA_ARGS__)

/*
 * Checks that [addr, addr + count pages) is a page-aligned part of the
 * arena (addr 0: any `count` pages may fit). 0, or -EINVAL after the warning.
 */
static int check_pages_arg(const char *fn, const struct arena *a, unsigned long addr,
			   unsigned long count, unsigned long caller)
{
	unsigned long first = (addr - a->start) >> PAGE_SHIFT;

	if (!count || count > a->nr_pages) {
		arena_warn(fn, a, caller, "%lu pages: none, or more than the arena's %lu",
			   count, a->nr_pages);
		return -EINVAL;
	}
	if (addr && (!IS_ALIGNED(addr, PAGE_SIZE) || addr < a->start ||
		     first >= a->nr_pages || a->nr_pages - first < count)) {
		arena_warn(fn, a, caller, "0x%lx + %lu pages is not a page-aligned part of it",
			   addr, count);
		return -EINVAL;
	}
	return 0;
}

/* --- populating and emptying pages ------------------------------------------ */

static void free_frames(struct page **pages, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		pages[i]->private = 0;
		free_page(pages[i]);
	}
}

/* Fills pages[0..n) with zeroed frames owned by `a`; -ENOMEM with none kept. */
static int alloc_frames(struct arena *a, struct page **pages, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		pages[i] = alloc_page(PFA_ZERO);
		if (!pages[i]) {
			free_frames(pages, i);
			return -ENOMEM;
		}
		pages[i]->private = (unsigned long)a;
	}
	return 0;
}

/*
 * Allocates and maps pages [first, first + count), which are free, and
 * marks them allocated. Arena lock held. 0 or -ENOMEM, nothing left over.
 */
static int populate_locked(struct arena *a, unsigned long first, unsigned long count)
{
	unsigned long start = a->start + first * PAGE_SIZE;
	struct page *stack[STACK_PAGES], **pages = stack;
	int err = -ENOMEM;

	if (count > STACK_PAGES) {
		pages = kv_zalloc(count * sizeof(*pages));
		if (!pages)
			return -ENOMEM;
	}
	if (alloc_frames(a, pages, count))
		goto out;
	err = vm_area_map_pages(a->area, start, start + count * PAGE_SIZE, pages);
	if (err) {
		free_frames(pages, count);
		goto out;
	}
	assign_bits(a->bitmap, first, count, true);
	a->nr_allocated += count;
out:
	if (pages != stack)
		kv_free(pages);
	return err;
}

struct collect {
	const struct arena *arena;
	struct page_list frames;        /* the arena's frames found, to free */
	unsigned long foreign;          /* leaves whose frame is not the arena's */
};

static int collect_frame(const struct pgtable_entry *e, void *ctx)
{
	struct collect *c = ctx;
	struct page *page = e->leaf ? phys_to_page(e->phys) : NULL;

	if (!e->leaf)
		return 0;
	if (page && e->size == PAGE_SIZE && page->private == (unsigned long)c->arena)
		page_list_add(&c->frames, page);
	else
		c->foreign++;
	return 0;
}

/*
 * vm_area_unmap_pages() over [start, end) in pieces it accepts: it refuses
 * a range of more pages than all of RAM (Linux's -E2BIG check), which an
 * arena larger than RAM is, and a refused unmap would leave the frames
 * mapped while we free them.
 */
static void unmap_range(struct arena *a, unsigned long start, unsigned long end)
{
	unsigned long piece = pfa_total_pages() << PAGE_SHIFT;

	for (unsigned long s = start; s < end; s += MIN(piece, end - s))
		vm_area_unmap_pages(a->area, s, s + MIN(piece, end - s));
}

/*
 * Unmaps pages [first, first + count) (flushed) and marks them free; their
 * frames go on `frames` for the caller to free once the lock is dropped.
 * Arena lock held.
 */
static void unpopulate_locked(struct arena *a, unsigned long first, unsigned long count,
			      struct page_list *frames)
{
	unsigned long start = a->start + first * PAGE_SIZE, end = start + count * PAGE_SIZE;
	struct collect c = { .arena = a };

	pgtable_walk(&kernel_pgtable, start, end, collect_frame, &c);
	unmap_range(a, start, end);
	a->nr_allocated -= assign_bits(a->bitmap, first, count, false);
	WARN(c.foreign, "arena 0x%lx: %lu pages mapped at 0x%lx-0x%lx were not the arena's; "
	     "unmapped, not freed", a->start, c.foreign, start, end);
	*frames = c.frames;
}

static void free_frame_list(struct page_list *frames)
{
	struct page *page;

	while ((page = page_list_pop(frames))) {
		page->private = 0;
		free_page(page);
	}
}

/* --- the API ------------------------------------------------------------------ */

static bool arena_resolve(const struct fault_info *info);
static void arena_explain(const struct fault_info *info);

/* Registers the fault hooks once; false if the registries are full. */
static bool register_hooks(void)
{
	if (READ_ONCE(arenas.hooks))
		return true;
	if (fault_add_resolver(arena_resolve) || fault_add_explainer(arena_explain))
		return false;
	WRITE_ONCE(arenas.hooks, true);
	return true;
}

static struct arena *create(unsigned long size, unsigned flags, unsigned long caller)
{
	unsigned long vm_flags = VM_SPARSE | ((flags & ARENA_PREBUILT) ? VM_SPARSE_PREBUILT : 0);
	struct arena *a = kzalloc(sizeof(*a));

	if (!a)
		return NULL;
	a->lock = (spinlock_t)SPINLOCK_INIT_ORDERED("arena", LOCK_ORDER_ARENA);
	a->nr_pages = ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT;
	a->flags = flags;
	a->caller = (const void *)caller;
	a->bitmap = kv_zalloc(ALIGN_UP(a->nr_pages, BITS_PER_LONG) / 8);
	if (!a->bitmap)
		goto out_arena;
	a->area = get_vm_area_caller(size, vm_flags, a->caller);
	if (!a->area)
		goto out_bitmap;
	a->start = (unsigned long)a->area->addr;
	return a;

out_bitmap:
	kv_free(a->bitmap);
out_arena:
	kfree(a);
	return NULL;
}

__noinline
struct arena *arena_create(unsigned long size, unsigned flags)
{
	unsigned long caller = RET_IP, irq;
	struct arena *a;

	if (WARN_CALL(!size || size > VMALLOC_END - VMALLOC_START || (flags & ~ARENA_FLAGS_ALL),
		      "arena_create", caller, "size 0x%lx or flags 0x%x not allowed", size, flags))
		return NULL;
	if (WARN_CALL(!register_hooks(), "arena_create", caller, "no room for the fault hooks"))
		return NULL;
	a = create(size, flags, caller);
	if (!a)
		return NULL;
	irq = spin_lock_irqsave(&arenas.lock);
	a->next = arenas.first;
	arenas.first = a;
	spin_unlock_irqrestore(&arenas.lock, irq);
	return a;
}

/* Takes `a` off the list; false if it is not there (not a live arena). */
static bool unlink_arena(struct arena *a)
{
	unsigned long irq = spin_lock_irqsave(&arenas.lock);
	struct arena **link = &arenas.first;
	bool found;

	while (*link && *link != a)
		link = &(*link)->next;
	found = *link != NULL;
	if (found)
		*link = a->next;
	spin_unlock_irqrestore(&arenas.lock, irq);
	return found;
}

__noinline
void arena_destroy(struct arena *arena)
{
	struct page_list frames;
	unsigned long irq;

	if (!arena)
		return;
	if (!unlink_arena(arena)) {
		warn_call("arena_destroy", RET_IP, "%p is not a live arena (double destroy?)",
			  arena);
		return;
	}
	irq = spin_lock_irqsave(&arena->lock);
	unpopulate_locked(arena, 0, arena->nr_pages, &frames);
	spin_unlock_irqrestore(&arena->lock, irq);
	free_frame_list(&frames);
	free_vm_area(arena->area);
	kv_free(arena->bitmap);
	kfree(arena);
}

__noinline
void *arena_alloc_pages(struct arena *arena, unsigned long addr, unsigned long count, int *err)
{
	unsigned long caller = RET_IP, first = 0, irq;
	int ret;

	if (!arena) {
		arena_warn("arena_alloc_pages", NULL, caller, "no arena");
		ret = -EINVAL;
		goto out;
	}
	ret = check_pages_arg("arena_alloc_pages", arena, addr, count, caller);
	if (ret)
		goto out;
	irq = spin_lock_irqsave(&arena->lock);
	first = addr ? (addr - arena->start) >> PAGE_SHIFT : find_free_run(arena, count);
	if (first == arena->nr_pages)
		ret = -ENOSPC;
	else if (addr && find_next(arena->bitmap, first + count, first, true) != first + count)
		ret = -EBUSY;
	else
		ret = populate_locked(arena, first, count);
	spin_unlock_irqrestore(&arena->lock, irq);
out:
	if (err)
		*err = ret;
	return ret ? NULL : (void *)(arena->start + first * PAGE_SIZE);
}

__noinline
int arena_free_pages(struct arena *arena, unsigned long addr, unsigned long count)
{
	unsigned long caller = RET_IP, irq;
	struct page_list frames;
	int err;

	if (!arena || !addr) {
		arena_warn("arena_free_pages", arena, caller, "no arena or no address");
		return -EINVAL;
	}
	err = check_pages_arg("arena_free_pages", arena, addr, count, caller);
	if (err)
		return err;
	irq = spin_lock_irqsave(&arena->lock);
	unpopulate_locked(arena, (addr - arena->start) >> PAGE_SHIFT, count, &frames);
	spin_unlock_irqrestore(&arena->lock, irq);
	free_frame_list(&frames);
	return 0;
}

/* --- fault-in and reports ----------------------------------------------------- */

/* The live arena whose area (guard page included) holds `addr`, or NULL. List lock held. */
static struct arena *find_arena_locked(unsigned long addr)
{
	for (struct arena *a = arenas.first; a; a = a->next)
		if (addr - a->start < a->area->size)
			return a;
	return NULL;
}

/* Allocates the free page holding `addr` for a fault. 0 or -ENOMEM. */
static int fault_in(struct arena *a, unsigned long addr)
{
	unsigned long page = (addr - a->start) >> PAGE_SHIFT, irq;
	int err = 0;

	if (spin_is_held_here(&a->lock))
		return -EBUSY;          /* the fault came from under the lock: a bug, report it */
	irq = spin_lock_irqsave(&a->lock);
	if (!page_is_allocated_in(a, page)) {
		err = populate_locked(a, page, 1);
		if (err) {
			a->failed_addr = addr;
			a->failed_err = err;
		} else {
			a->nr_faults++;
		}
	}
	spin_unlock_irqrestore(&a->lock, irq);
	return err;
}

/* The fault resolver: faults in a page of an ARENA_FAULT_IN arena. */
static bool arena_resolve(const struct fault_info *info)
{
	unsigned long addr = info->addr, irq;
	bool resolved = false;
	struct arena *a;

	if (!info->page_fault || info->present || info->fetch || info->user ||
	    !is_vmalloc_addr((void *)addr) || spin_is_held_here(&arenas.lock))
		return false;
	irq = spin_lock_irqsave(&arenas.lock);
	a = find_arena_locked(addr);
	if (a && (a->flags & ARENA_FAULT_IN) && addr - a->start < a->nr_pages * PAGE_SIZE)
		resolved = fault_in(a, addr) == 0;
	spin_unlock_irqrestore(&arenas.lock, irq);
	return resolved;
}

/* Why a fault at `addr` inside arena `a` was not resolved. */
static const char *fault_reason(const struct arena *a, const struct fault_info *info,
				char *buf, size_t size)
{
	unsigned long addr = info->addr, page = (addr - a->start) >> PAGE_SHIFT;

	if (page >= a->nr_pages)
		return "past its last page (guard page)";
	if (info->fetch)
		return "instruction fetch (arena pages are never executable)";
	if (spin_is_held_here(&a->lock))
		return "taken with the arena's lock held";
	if (page_is_allocated_in(a, page))
		return "the page is allocated; the access is not allowed";
	if (!(a->flags & ARENA_FAULT_IN))
		return "page not allocated and the arena has no ARENA_FAULT_IN";
	if (ALIGN_DOWN(a->failed_addr, PAGE_SIZE) == ALIGN_DOWN(addr, PAGE_SIZE)) {
		snprintf(buf, size, "fault-in failed (%d%s)", a->failed_err,
			 a->failed_err == -ENOMEM ? ": out of memory" : "");
		return buf;
	}
	return "page not allocated";
}

/* The fault explainer: one line for a fault inside an arena's area. */
static void arena_explain(const struct fault_info *info)
{
	unsigned long irq;
	struct arena *a;
	char buf[48];

	if (!info->page_fault || !is_vmalloc_addr((void *)info->addr) ||
	    spin_is_held_here(&arenas.lock))
		return;
	irq = spin_lock_irqsave(&arenas.lock);
	a = find_arena_locked(info->addr);
	if (a)
		printk("arena: fault at 0x%lx in arena 0x%lx-0x%lx (%lu pages, created by %pS): "
		       "%s\n", info->addr, a->start, a->start + a->nr_pages * PAGE_SIZE,
		       a->nr_pages, a->caller, fault_reason(a, info, buf, sizeof(buf)));
	spin_unlock_irqrestore(&arenas.lock, irq);
}

/* --- checking -------------------------------------------------------------------- */

struct check_ctx {
	const struct arena *arena;
	unsigned long mapped;
	unsigned long problems;
};

static int check_leaf(const struct pgtable_entry *e, void *ctx)
{
	struct check_ctx *c = ctx;
	const struct arena *a = c->arena;
	unsigned long page = (e->va - a->start) >> PAGE_SHIFT;
	struct page *frame = phys_to_page(e->phys);
	const char *why = NULL;

	if (!e->leaf)
		return 0;
	c->mapped++;
	if (e->size != PAGE_SIZE || page >= a->nr_pages)
		why = "not a page of the arena";
	else if (!page_is_allocated_in(a, page))
		why = "mapped but not allocated";
	else if (!frame || !page_is_allocated(frame) || frame->private != (unsigned long)a)
		why = "not a frame the arena owns";
	if (why && c->problems++ < 8)
		printk("arena_check: arena 0x%lx: leaf 0x%lx: %s\n", a->start, e->va, why);
	return 0;
}

int arena_check(struct arena *arena)
{
	struct check_ctx c = { .arena = arena };
	unsigned long irq, bits;

	irq = spin_lock_irqsave(&arena->lock);
	pgtable_walk(&kernel_pgtable, arena->start, arena->start + arena->area->size,
		     check_leaf, &c);
	bits = count_bits(arena->bitmap, arena->nr_pages);
	if (c.mapped != bits || bits != arena->nr_allocated) {
		printk("arena_check: arena 0x%lx: %lu pages mapped, %lu allocated, %lu counted\n",
		       arena->start, c.mapped, bits, arena->nr_allocated);
		c.problems++;
	}
	spin_unlock_irqrestore(&arena->lock, irq);
	return c.problems ? -EINVAL : 0;
}
