/*
 * The buddy allocator's fast paths: alloc_pages() and free_pages(), owner
 * states, counters and the buddyinfo line. Start-up is in pfa_init.c, the
 * debug checks in pfa_debug.c.
 *
 * Every block on a free list is described by its head page: state
 * PAGE_FREE, `order` set; its other frames are PAGE_TAIL. The buddy of the
 * block of order k at pfn p is the block at p ^ 2^k: allocating splits a
 * larger block in halves until the order fits, freeing merges with the
 * buddy while it is a free block of the same order. Both are O(MAX_ORDER).
 */
#include "mm/pfa_internal.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/fault_inject.h"
#include "mm/memmap.h"

struct buddy pfa = { .lock = SPINLOCK_INIT_ORDERED("pfa", LOCK_ORDER_PFA) };

const char *page_state_name(enum page_state state)
{
	static const char *const names[PAGE_STATE_COUNT] = {
		[PAGE_RESERVED] = "reserved", [PAGE_FREE] = "free", [PAGE_TAIL] = "tail",
		[PAGE_PCP] = "pcp",
		[PAGE_ALLOCATED] = "allocated", [PAGE_PAGETABLE] = "pagetable",
		[PAGE_SLAB] = "slab", [PAGE_VMALLOC] = "vmalloc",
	};

	return (unsigned)state < PAGE_STATE_COUNT ? names[state] : "invalid";
}

/* --- allocation --------------------------------------------------------- */

/* Takes the smallest free block of at least `order`, splitting it down. */
struct page *buddy_take_block_locked(unsigned order)
{
	unsigned o = order;
	struct page *page;

	while (o <= MAX_ORDER && page_list_empty(&pfa.area[o].list))
		o++;
	if (o > MAX_ORDER)
		return NULL;
	page = page_list_pop(&pfa.area[o].list);
	pfa.area[o].nr_free--;
	/* Keep the lower half, give the upper half back: it is its buddy. */
	while (o > order) {
		struct page *upper = page + (1ul << --o);

		upper->state = PAGE_FREE;
		upper->order = o;
		page_list_add(&pfa.area[o].list, upper);
		pfa.area[o].nr_free++;
	}
	page->state = PAGE_ALLOCATED;
	page->order = order;
	page->private = 0;
	pfa.free_pages -= 1ul << order;
	return page;
}

/*
 * Fills a block with `word` through the direct map. Plain 8-byte stores,
 * volatile so the compiler keeps them: under QEMU's TCG they run about
 * four times faster than the byte-wise `rep stosb` of memset().
 */
void pfa_fill_block(struct page *page, unsigned order, u64 word)
{
	volatile u64 *p = page_address(page);
	size_t words = (PAGE_SIZE << order) / sizeof(u64);

	for (size_t i = 0; i < words; i += 4) {
		p[i] = word;
		p[i + 1] = word;
		p[i + 2] = word;
		p[i + 3] = word;
	}
}

/* A block from the buddy lists under the zone lock, or NULL. */
static struct page *buddy_alloc(unsigned order)
{
	unsigned long irq = spin_lock_irqsave(&pfa.lock);
	struct page *page = buddy_take_block_locked(order);

	spin_unlock_irqrestore(&pfa.lock, irq);
	return page;
}

/*
 * This CPU's list (order 0) or the buddy. When both come up empty, every
 * CPU's list goes back to the buddy and the buddy is asked once more:
 * frames cached on another CPU are free memory, and running out must mean
 * that none is left anywhere.
 */
static struct page *take_block(unsigned order)
{
	struct page *page = order == 0 && READ_ONCE(pfa_pcp_on) ? pcp_alloc() : buddy_alloc(order);

	if (!page && pfa_drain_all())
		page = buddy_alloc(order);
	return page;
}

/* Counts a failed allocation call. */
static void count_failure(void)
{
	__atomic_fetch_add(&pfa.alloc_failures, 1, __ATOMIC_RELAXED);
}

/* What a block gets on its way out: the debug poison check, zeroing. */
static void hand_out(struct page *page, unsigned order, unsigned flags, unsigned long caller)
{
	pfa_check_poison(page, order, caller);
	if (flags & PFA_ZERO)
		pfa_fill_block(page, order, 0);
}

/* One fault-injection point per call, then take_block(). */
static struct page *alloc_pages_ip(unsigned order, unsigned flags, unsigned long caller)
{
	struct page *page = NULL;

	if (WARN_CALL(order > MAX_ORDER, "alloc_pages", caller,
		      "order %u above MAX_ORDER %u", order, MAX_ORDER))
		return NULL;
	if (WARN_CALL(flags & ~PFA_FLAGS_ALL, "alloc_pages", caller, "unknown flags 0x%x",
		      flags & ~PFA_FLAGS_ALL))
		return NULL;
	if (!fault_inject_should_fail(FAULT_PAGE_ALLOC))
		page = take_block(order);
	if (!page) {
		count_failure();
		return NULL;
	}
	hand_out(page, order, flags, caller);
	return page;
}

__noinline
struct page *alloc_pages(unsigned order, unsigned flags)
{
	return alloc_pages_ip(order, flags, RET_IP);
}

__noinline
struct page *alloc_page(unsigned flags)
{
	return alloc_pages_ip(0, flags, RET_IP);
}

/* Frames per hold of the per-CPU list lock in the bulk calls (interrupts off meanwhile). */
#define BULK_CHUNK      256

/*
 * The fault-injection points of up to `want` frames, one per frame as
 * alloc_page() has: how many frames may be taken before the first
 * injected failure (*injected set then).
 */
static unsigned long frames_allowed(unsigned long want, bool *injected)
{
	for (unsigned long i = 0; i < want; i++) {
		if (fault_inject_should_fail(FAULT_PAGE_ALLOC)) {
			*injected = true;
			return i;
		}
	}
	return want;
}

/* Takes `want` frames into pages[] as alloc_pages_bulk() does; how many it got. */
static unsigned long bulk_take(struct page **pages, unsigned long want, unsigned flags,
			       enum page_state state, unsigned long private, unsigned long caller)
{
	unsigned long got = READ_ONCE(pfa_pcp_on) ? pcp_alloc_bulk(pages, want, state, private) : 0;

	for (; got < want; got++) {             /* the lists are dry: the slow way */
		struct page *page = take_block(0);

		if (!page)
			break;
		__atomic_store_n(&page->state, (u8)state, __ATOMIC_RELAXED);
		page->private = private;
		pages[got] = page;
	}
	if (KCONFIG_DEBUG || (flags & PFA_ZERO))
		for (unsigned long i = 0; i < got; i++)
			hand_out(pages[i], 0, flags, caller);
	return got;
}

__noinline
int alloc_pages_bulk(struct page **pages, unsigned long nr, unsigned flags,
		     enum page_state state, unsigned long private)
{
	unsigned long caller = RET_IP, done = 0;

	if (WARN_CALL(flags & ~PFA_FLAGS_ALL, "alloc_pages_bulk", caller, "unknown flags 0x%x",
		      flags & ~PFA_FLAGS_ALL) ||
	    WARN_CALL(state < PAGE_ALLOCATED || state >= PAGE_STATE_COUNT, "alloc_pages_bulk",
		      caller, "%s is not an owner state", page_state_name(state)))
		return -EINVAL;
	while (done < nr) {
		bool injected = false;
		unsigned long want = frames_allowed(MIN(nr - done, BULK_CHUNK), &injected);
		unsigned long got = bulk_take(pages + done, want, flags, state, private, caller);

		done += got;
		if (got < want || injected) {
			count_failure();
			free_pages_bulk(pages, done);
			return -ENOMEM;
		}
	}
	return 0;
}

/* --- freeing ------------------------------------------------------------ */

/* Puts the block of 2^order frames at `page` on a free list, merging it with its buddies. */
void buddy_put_block_locked(struct page *page, unsigned order)
{
	unsigned long pfn = page->pfn;

	while (order < MAX_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1ul << order);
		/* Same section: a 2^(order+1) block never crosses one. */
		struct page *other = page + ((long)buddy_pfn - (long)pfn);

		/* Racy by design: its owner may set an allocated buddy's state without our lock. */
		if (__atomic_load_n(&other->state, __ATOMIC_RELAXED) != PAGE_FREE ||
		    other->order != order)
			break;
		page_list_del(&pfa.area[order].list, other);
		pfa.area[order].nr_free--;
		if (buddy_pfn < pfn) {
			page->state = PAGE_TAIL;
			page = other;
			pfn = buddy_pfn;
		} else {
			other->state = PAGE_TAIL;
		}
		order++;
	}
	page->state = PAGE_FREE;
	page->order = order;
	page->private = 0;
	page_list_add(&pfa.area[order].list, page);
	pfa.area[order].nr_free++;
}

/*
 * The head of the block that contains tail frame `page`: blocks are
 * naturally aligned, so it is the first non-tail frame found by aligning
 * the pfn down to 2, 4, ... 2^MAX_ORDER. NULL if there is none.
 */
static struct page *block_head(struct page *page)
{
	for (unsigned o = 1; o <= MAX_ORDER; o++) {
		struct page *head = page - (page->pfn & ((1ul << o) - 1));

		if (head->state == PAGE_TAIL)
			continue;
		if (head->state == PAGE_RESERVED ||
		    page->pfn >= head->pfn + (1ul << head->order))
			return NULL;
		return head;
	}
	return NULL;
}

/* True if frame `pfn` lies in a range the firmware map calls RAM. */
static bool pfn_is_ram(unsigned long pfn)
{
	const struct mem_ranges *ram = memmap_ram();
	phys_addr_t pa = (phys_addr_t)pfn << PAGE_SHIFT;

	for (unsigned i = 0; i < ram->count; i++)
		if (pa >= ram->range[i].start && pa < ram->range[i].end)
			return true;
	return false;
}

const char *pfa_page_unmappable_slow(const struct page *page)
{
	const struct page *head;

	if (!page_is_valid(page))
		return "is not a struct page";
	switch (page->state) {
	case PAGE_RESERVED:
		return pfn_is_ram(page->pfn) ? NULL : "has no RAM behind its frame";
	case PAGE_FREE:
	case PAGE_PCP:
		return "is free in the frame allocator";
	case PAGE_PAGETABLE:
		return "is a page-table page";
	case PAGE_TAIL:
		head = block_head((struct page *)page);
		if (!head || head->state == PAGE_FREE)
			return "is free in the frame allocator";
		return head->state == PAGE_PAGETABLE ? "is a page-table page" : NULL;
	}
	return NULL;
}

static void warn_tail_free(struct page *page, unsigned order, unsigned long caller)
{
	struct page *head = block_head(page);

	if (head && head->state == PAGE_FREE)
		warn_call("free_pages", caller,
			  "double free of pfn 0x%x (inside free block pfn 0x%x order %u)",
			  page->pfn, head->pfn, head->order);
	else if (head)
		warn_call("free_pages", caller,
			  "pfn 0x%x is not the first frame of its block (pfn 0x%x order %u)",
			  page->pfn, head->pfn, head->order);
	else
		warn_call("free_pages", caller, "pfn 0x%x (order %u) is inside no block",
			  page->pfn, order);
}

/* The warning for a misuse, or false. */
static bool free_misuse_warn(struct page *page, unsigned order, unsigned long caller)
{
	if (!page_is_valid(page))
		return WARN_CALL(1, "free_pages", caller, "%p is not a struct page", page);
	if (order > MAX_ORDER)
		return WARN_CALL(1, "free_pages", caller,
				 "pfn 0x%x with order %u above MAX_ORDER", page->pfn, order);
	switch (page->state) {
	case PAGE_FREE:
	case PAGE_PCP:
		return WARN_CALL(1, "free_pages", caller, "double free of pfn 0x%x (order %u)",
				 page->pfn, order);
	case PAGE_RESERVED:
		return WARN_CALL(1, "free_pages", caller, "pfn 0x%x is a reserved frame",
				 page->pfn);
	case PAGE_TAIL:
		warn_tail_free(page, order, caller);
		return true;
	}
	return WARN_CALL(page->order != order, "free_pages", caller,
			 "pfn 0x%x freed with order %u but allocated with order %u",
			 page->pfn, order, page->order);
}

bool free_is_misuse(struct page *page, unsigned order, unsigned long caller)
{
	if (!free_misuse_warn(page, order, caller))
		return false;
	__atomic_fetch_add(&pfa.misuses, 1, __ATOMIC_RELAXED);
	return true;
}

static void free_pages_ip(struct page *page, unsigned order, unsigned long caller)
{
	unsigned long irq;

	if (!page)
		return;
	if (order == 0 && READ_ONCE(pfa_pcp_on)) {
		pcp_free(page, caller);
		return;
	}
	irq = spin_lock_irqsave(&pfa.lock);
	if (!free_is_misuse(page, order, caller)) {
		pfa_poison_block(page, order);
		buddy_put_block_locked(page, order);
		pfa.free_pages += 1ul << order;
	}
	spin_unlock_irqrestore(&pfa.lock, irq);
}

__noinline
void free_pages(struct page *page, unsigned order)
{
	free_pages_ip(page, order, RET_IP);
}

__noinline
void free_page(struct page *page)
{
	free_pages_ip(page, 0, RET_IP);
}

__noinline
void free_pages_bulk(struct page *const *pages, unsigned long nr)
{
	unsigned long caller = RET_IP;

	for (unsigned long done = 0; done < nr; done += BULK_CHUNK) {
		unsigned long n = MIN(nr - done, BULK_CHUNK);

		if (READ_ONCE(pfa_pcp_on)) {
			pcp_free_bulk(pages + done, n, caller);
			continue;
		}
		for (unsigned long i = 0; i < n; i++)
			free_pages_ip(pages[done + i], 0, caller);
	}
}

/* --- owner states ------------------------------------------------------- */

__noinline
int page_set_state(struct page *page, enum page_state state)
{
	if (WARN_CALL(!page || !page_is_allocated(page), "page_set_state", RET_IP,
		      "pfn 0x%x is %s, not an allocated block", page ? page->pfn : 0,
		      page ? page_state_name(page->state) : "NULL"))
		return -EINVAL;
	if (WARN_CALL(state < PAGE_ALLOCATED || state >= PAGE_STATE_COUNT, "page_set_state",
		      RET_IP, "pfn 0x%x cannot be set to %s", page->pfn,
		      page_state_name(state)))
		return -EINVAL;
	__atomic_store_n(&page->state, state, __ATOMIC_RELAXED);     /* buddy_put_block_locked() reads it */
	return 0;
}

/* --- counters ----------------------------------------------------------- */

void pfa_get_stats(struct pfa_stats *s)
{
	unsigned long irq = irq_save();

	pcp_lock_all();
	spin_lock(&pfa.lock);
	s->pcp_pages = pcp_total_locked();
	s->total_pages = pfa.total_pages;
	s->free_pages = pfa.free_pages + s->pcp_pages;
	s->reserved_pages = pfa.reserved_pages;
	s->present_pages = pfa.present_pages;
	for (unsigned o = 0; o < NR_ORDERS; o++)
		s->free_blocks[o] = pfa.area[o].nr_free;
	s->alloc_failures = pfa.alloc_failures;
	s->misuses = pfa.misuses;
	s->poison_errors = pfa.poison_errors;
	s->metadata_bytes = pfa.metadata_bytes;
	spin_unlock(&pfa.lock);
	pcp_unlock_all();
	irq_restore(irq);
}

void pfa_for_each_lock(spin_lock_visit_fn fn, void *arg)
{
	fn(&pfa.lock, arg);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		fn(&pfa_pcp[cpu].lock, arg);
}

unsigned long pfa_free_pages(void)
{
	unsigned long n = READ_ONCE(pfa.free_pages);

	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		n += READ_ONCE(pfa_pcp[cpu].count);
	return n;
}

unsigned long pfa_total_pages(void)
{
	return READ_ONCE(pfa.total_pages);
}

int pfa_buddyinfo(char *buf, size_t size)
{
	struct pfa_stats s;
	int len;

	pfa_get_stats(&s);
	/* Linux: "Node %d, zone %8s " then "%6lu " per order. */
	len = snprintf(buf, size, "Node 0, zone %8s ", "Normal");
	for (unsigned o = 0; o < NR_ORDERS; o++) {
		size_t at = MIN((size_t)len, size);

		len += snprintf(buf + at, size - at, "%6lu ", s.free_blocks[o]);
	}
	return len;
}

void pfa_print(void)
{
	char line[160];
	struct pfa_stats s;

	pfa_buddyinfo(line, sizeof(line));
	pfa_get_stats(&s);
	printk("%s\n", line);
	printk("pfa: %lu KiB free of %lu KiB managed, %lu KiB reserved, "
	       "%lu frames described\n",
	       s.free_pages * (PAGE_SIZE >> 10), s.total_pages * (PAGE_SIZE >> 10),
	       s.reserved_pages * (PAGE_SIZE >> 10), s.present_pages);
}
