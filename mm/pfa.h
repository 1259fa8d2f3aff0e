/*
 * The page-frame allocator: a binary buddy allocator over the usable
 * physical memory (mm/memmap), with one struct page per frame (mm/page.h).
 *
 * Blocks are 2^order frames, order 0 (4 KiB) to MAX_ORDER (4 MiB), and
 * naturally aligned: a block of order k starts at a pfn that is a multiple
 * of 2^k. Freed blocks merge with their free buddy, up to MAX_ORDER.
 * All functions may be called with interrupts on or off; one spinlock
 * guards the free lists and counters. See docs/pfa.md.
 */
#ifndef MM_PFA_H
#define MM_PFA_H

#include "kernel/spinlock.h"
#include "kernel/types.h"
#include "mm/page.h"

#define MAX_ORDER       10      /* largest block: 2^10 frames = 4 MiB */
#define NR_ORDERS       (MAX_ORDER + 1)

/* Allocation flags. */
#define PFA_ZERO        (1u << 0)       /* fill the block with zeroes */
#define PFA_FLAGS_ALL   (PFA_ZERO)

/* Debug builds fill free frames with this byte and check it on allocation. */
#define PFA_POISON_BYTE 0x6b

/*
 * Brings the allocator up from memmap_usable(): allocates the section
 * table and struct page arrays with bootmem_alloc(), marks every frame
 * reserved, frees the usable ranges into the buddy lists and freezes the
 * memory map. Prints the metadata cost, buddyinfo and totals. Once, at boot.
 */
void pfa_init(void);

/*
 * Allocates a block of 2^order contiguous frames, aligned to its size.
 * Returns the struct page of its first frame (state PAGE_ALLOCATED), or
 * NULL if no free block is large enough (never panics, prints nothing).
 * With PFA_ZERO the whole block reads as zeroes. An order above MAX_ORDER
 * or an unknown flag: one warning naming the caller, and NULL.
 */
struct page *alloc_pages(unsigned order, unsigned flags);

/* alloc_pages(0, flags): one frame. */
struct page *alloc_page(unsigned flags);

/*
 * Returns the block headed by `page`, of 2^order frames, to the allocator
 * (the page may carry an owner state: pagetable, slab, vmalloc). Accepts
 * NULL and does nothing. A misuse (double free, a reserved frame, the wrong
 * order, a frame that is not the first of its block, a pointer that is not
 * a struct page) prints one warning naming the caller and the pfn and is
 * ignored: the allocator is left as it was.
 */
void free_pages(struct page *page, unsigned order);

/* free_pages(page, 0). */
void free_page(struct page *page);

/*
 * Allocates `nr` order-0 frames into pages[0..nr), each already in owner
 * state `state` (PAGE_ALLOCATED, PAGE_VMALLOC, ...) with page->private =
 * `private`, as `nr` calls of alloc_page(flags) + page_set_state() would
 * (one fault-injection point per frame, in order), but taking this CPU's
 * list lock once per 256 frames. All or nothing: 0, or -ENOMEM with every
 * frame it took freed again (pages[] then holds stale pointers). An
 * unknown flag or a state that is not an owner state: one warning, -EINVAL.
 */
int alloc_pages_bulk(struct page **pages, unsigned long nr, unsigned flags,
		     enum page_state state, unsigned long private);

/*
 * free_page() of each of pages[0..nr) (NULL entries skipped, a misuse
 * refused with its warning as free_page() does), taking this CPU's list
 * lock once per 256 frames.
 */
void free_pages_bulk(struct page *const *pages, unsigned long nr);

/*
 * Sets the owner state of an allocated block's first page (PAGE_ALLOCATED,
 * PAGE_PAGETABLE, PAGE_SLAB or PAGE_VMALLOC), e.g.
 * page_set_state(page, PAGE_PAGETABLE). Returns 0, or -EINVAL with one
 * warning if `page` is not the head of an allocated block or `state` is
 * not an owner state. Only the owner of the block may call it.
 */
int page_set_state(struct page *page, enum page_state state);

/* True if `page` is the head of an allocated block in state `state`. */
static inline bool page_has_state(const struct page *page, enum page_state state)
{
	return page && page->state == state;
}

/*
 * Whether `page` may be mapped into a kernel mapping by its owner (vmap(),
 * vm_area_map_pages()): NULL if it may, else why not, for a warning line.
 * Refused: a pointer that is not a struct page, a frame with no RAM behind
 * it (a hole of the firmware map), a frame free in the allocator (or inside
 * a free block), a page-table page. Allocated frames of any owner and
 * reserved RAM (the kernel image, the first MiB) may be mapped. Reads the
 * frame's state without the lock: the caller owns the page, so it is stable.
 */
const char *pfa_page_unmappable_slow(const struct page *page);

static inline const char *pfa_page_unmappable(const struct page *page)
{
	unsigned long a = (unsigned long)page;

	/* The common case, a frame some owner allocated, in a few loads. */
	if (likely(is_direct_map_addr(a) && page->state >= PAGE_ALLOCATED &&
		   page->state < PAGE_STATE_COUNT && page->state != PAGE_PAGETABLE &&
		   pfn_to_page(page->pfn) == page))
		return NULL;
	return pfa_page_unmappable_slow(page);
}

/* All counters, read together under the lock. Units are frames. */
struct pfa_stats {
	unsigned long total_pages;      /* frames managed by the buddy */
	unsigned long free_pages;       /* of those, free now (per-CPU lists included) */
	unsigned long pcp_pages;        /* of those, on the per-CPU lists */
	unsigned long reserved_pages;   /* RAM frames kept out of the buddy */
	unsigned long present_pages;    /* frames with a struct page (whole sections) */
	unsigned long free_blocks[NR_ORDERS];   /* free blocks of each order */
	unsigned long alloc_failures;   /* alloc_pages() calls that returned NULL */
	unsigned long misuses;          /* free_pages() calls refused */
	unsigned long poison_errors;    /* debug: writes after free found */
	unsigned long metadata_bytes;   /* struct page arrays + section table */
};

void pfa_get_stats(struct pfa_stats *stats);

/*
 * Per-CPU lists (docs/pfa.md "Per-CPU lists"): each CPU keeps up to
 * PCP_HIGH (128) free order-0 frames of its own, so that order-0
 * alloc_pages()/free_pages() take the zone lock once per batch of 32
 * rather than once per frame. Their frames are in state PAGE_PCP, count as
 * free (pfa_free_pages(), free_pages in the stats) and are on no buddy
 * list (buddyinfo does not show them).
 */

/* Gives CPU `cpu`'s list back to the buddy (any CPU may call it). Returns the frames moved. */
unsigned long pfa_drain_cpu(unsigned cpu);

/* pfa_drain_cpu() for every CPU; the frames moved. */
unsigned long pfa_drain_all(void);

/*
 * Turns the per-CPU lists on or off (off drains them: every order-0 call
 * then goes to the buddy, for tests of the buddy itself). Returns the
 * previous setting. Call it while no other CPU allocates.
 */
bool pfa_pcp_set_enabled(bool on);

/* Frames on CPU `cpu`'s list now (0 for a CPU number out of range). */
unsigned long pfa_pcp_count(unsigned cpu);

/* Free frames now / frames managed by the buddy. */
unsigned long pfa_free_pages(void);
unsigned long pfa_total_pages(void);

/*
 * Formats /proc/buddyinfo ("Node 0, zone   Normal" then the free-block
 * count of each order, as Linux prints it) into `buf`, NUL-terminated.
 * Returns the length the line has (like snprintf).
 */
int pfa_buddyinfo(char *buf, size_t size);

/* Prints the buddyinfo line and the totals on the console. */
void pfa_print(void);

/* Calls fn(lock, arg) for the zone lock (contention figures). */
void pfa_for_each_lock(spin_lock_visit_fn fn, void *arg);

/*
 * Counts every frame with a struct page by what it is used for:
 * counts[state] gets the frames of each block (a block's tails count with
 * its head's state), counts[PAGE_TAIL] stays 0. Under the lock: one
 * consistent picture. O(present frames).
 */
void pfa_count_states(unsigned long counts[PAGE_STATE_COUNT]);

/*
 * Checks the allocator: every free list (links, state, order, alignment,
 * no duplicates, no two free buddies left unmerged), every frame's state
 * and the counters. Returns 0, or -EINVAL after printing one line per
 * problem (at most a few). O(present frames): for tests, not fast paths.
 */
int pfa_check(void);

#endif
