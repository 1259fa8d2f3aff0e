/*
 * struct page: the metadata of one 4 KiB physical frame, and the helpers
 * that convert between frame numbers (pfns), physical addresses, direct-map
 * addresses and struct pages.
 *
 * Frames are described section by section (sparse memory): physical memory
 * is cut into 128 MiB sections, and a small table holds one pointer per
 * section to that section's array of 32768 struct pages, or NULL if the
 * section holds no RAM. A hole of a whole section (the PCI hole below
 * 4 GiB, the gap above the top of RAM) costs 8 bytes; a frame inside a
 * present section costs sizeof(struct page), RAM or not.
 *
 *   pfn:  | section number (pfn >> 15) | index in the section (15 bits) |
 *                        |                             |
 *         mem_section[] -+-> struct page[32768] -------+-> the frame's page
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include "kernel/compiler.h"
#include "kernel/types.h"
#include "mm/layout.h"

#define SECTION_SHIFT           27      /* 128 MiB sections */
#define PFN_SECTION_SHIFT       (SECTION_SHIFT - PAGE_SHIFT)
#define PAGES_PER_SECTION       (1ul << PFN_SECTION_SHIFT)
#define SECTION_PFN_MASK        (PAGES_PER_SECTION - 1)

/* Frame numbers are kept in 32 bits: RAM above 16 TiB is not managed. */
#define MAX_PHYS_PFN            (1ul << 32)

/*
 * What a frame is used for. Only the head (first frame) of a block says
 * whether the block is free or allocated and by whom; the other frames of a
 * block, free or allocated, are PAGE_TAIL.
 */
enum page_state {
	PAGE_RESERVED = 0,      /* never given to the buddy (firmware, kernel, holes) */
	PAGE_FREE,              /* head of a free block, on a free list */
	PAGE_TAIL,              /* inside a block, not its first frame */
	PAGE_PCP,               /* a free frame on a CPU's per-CPU list (order 0) */
	PAGE_ALLOCATED,         /* head of an allocated block, no owner state set */
	PAGE_PAGETABLE,         /* allocated, used as a page table */
	PAGE_SLAB,              /* allocated, owned by the slab allocator */
	PAGE_VMALLOC,           /* allocated, mapped into the vmalloc area */
	PAGE_STATE_COUNT
};

/* Bits of page->flags. */
#define PG_POISONED     (1u << 0)       /* debug: frame filled with PFA_POISON_BYTE */
#define PG_VISITED      (1u << 1)       /* pfa_check(): seen on a free list */

/*
 * One frame's metadata: 32 bytes per 4 KiB frame (0.78% of RAM; Linux
 * spends 64). Layout:
 *
 *   0   next     \ free: links of the free list of `order`
 *   8   prev     / allocated: the owner's to use (e.g. its own page list)
 *   16  private    allocated: the owner's word (slab cache, vm area), 0 at first
 *   24  pfn        this frame's number (page_to_pfn is one load)
 *   28  state      enum page_state
 *   29  order      head of a block: log2 of its size in frames
 *   30  flags      PG_* bits
 */
struct page {
	struct page *next;
	struct page *prev;
	unsigned long private;
	u32 pfn;
	u8 state;
	u8 order;
	u16 flags;
};

_Static_assert(sizeof(struct page) <= 32, "struct page must stay within 32 bytes per frame");

/*
 * The sparse-section table, written once by pfa_init() and read-only after.
 * mem_section[i] describes pfns [i << 15, (i + 1) << 15), or is NULL.
 */
extern struct page **mem_section;
extern unsigned long nr_mem_sections;

/*
 * The struct page of frame `pfn`, or NULL if the pfn is beyond the top of
 * RAM or its whole 128 MiB section holds no RAM. A frame in a smaller hole
 * inside a present section has a struct page in state PAGE_RESERVED.
 */
static inline struct page *pfn_to_page(unsigned long pfn)
{
	unsigned long sec = pfn >> PFN_SECTION_SHIFT;

	if (unlikely(sec >= nr_mem_sections || !mem_section[sec]))
		return NULL;
	return mem_section[sec] + (pfn & SECTION_PFN_MASK);
}

/* The frame number of `page` (which must be a struct page from pfn_to_page). */
static inline unsigned long page_to_pfn(const struct page *page)
{
	return page->pfn;
}

static inline phys_addr_t page_to_phys(const struct page *page)
{
	return (phys_addr_t)page->pfn << PAGE_SHIFT;
}

/* The struct page of the frame holding physical address `pa`, or NULL. */
static inline struct page *phys_to_page(phys_addr_t pa)
{
	return pfn_to_page(pa >> PAGE_SHIFT);
}

/*
 * The frame's address in the direct map. Every RAM frame has one, but the
 * CPU can only use it where the direct map has been built (the boot tables
 * cover the first 4 GiB; kernel_map_init() maps all RAM).
 */
static inline void *page_address(const struct page *page)
{
	return phys_to_virt(page_to_phys(page));
}

/*
 * The struct page of the frame behind kernel address `addr` (a direct-map
 * or kernel-image address; any byte of the frame), or NULL for any other
 * address or a frame without a struct page. Not for vmalloc addresses.
 */
static inline struct page *virt_to_page(const void *addr)
{
	unsigned long a = (unsigned long)addr;

	bool image = a >= KERNEL_VMA && a < KERNEL_IMAGE_END;

	if (!is_direct_map_addr(a) && !image)
		return NULL;
	return phys_to_page(virt_to_phys(addr));
}

static inline enum page_state page_state(const struct page *page)
{
	return (enum page_state)page->state;
}

/* True for the head of an allocated block, whatever its owner state. */
static inline bool page_is_allocated(const struct page *page)
{
	return page->state >= PAGE_ALLOCATED && page->state < PAGE_STATE_COUNT;
}

/* The state's name, e.g. "pagetable" (for messages and dumps). */
const char *page_state_name(enum page_state state);

/*
 * A list of pages linked through page->next/prev, NULL-terminated both
 * ways. The free lists use it; an owner may use it for the pages it has
 * allocated (the links are unused while a page is allocated).
 */
struct page_list {
	struct page *first;
	struct page *last;
};

static inline bool page_list_empty(const struct page_list *list)
{
	return list->first == NULL;
}

static inline void page_list_add(struct page_list *list, struct page *page)
{
	page->prev = NULL;
	page->next = list->first;
	if (list->first)
		list->first->prev = page;
	else
		list->last = page;
	list->first = page;
}

static inline void page_list_add_tail(struct page_list *list, struct page *page)
{
	page->next = NULL;
	page->prev = list->last;
	if (list->last)
		list->last->next = page;
	else
		list->first = page;
	list->last = page;
}

/* Unlinks `page`, which must be on `list`. */
static inline void page_list_del(struct page_list *list, struct page *page)
{
	if (page->prev)
		page->prev->next = page->next;
	else
		list->first = page->next;
	if (page->next)
		page->next->prev = page->prev;
	else
		list->last = page->prev;
	page->next = page->prev = NULL;
}

/* Unlinks and returns the first page, or NULL if the list is empty. */
static inline struct page *page_list_pop(struct page_list *list)
{
	struct page *page = list->first;

	if (page)
		page_list_del(list, page);
	return page;
}

#endif
