/*
 * State shared by the page-frame allocator's files (pfa.c: alloc/free,
 * pfa_init.c: start-up, pfa_debug.c: poisoning and pfa_check). Not for
 * other layers: they use mm/pfa.h.
 */
#ifndef MM_PFA_INTERNAL_H
#define MM_PFA_INTERNAL_H

#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "mm/pfa.h"

struct free_area {
	struct page_list list;          /* heads of free blocks of this order */
	unsigned long nr_free;          /* blocks on the list */
};

/*
 * The buddy allocator. `lock` covers every field below, and the state,
 * order and links of every frame the buddy manages while it is free (the
 * owner of an allocated block may use its links and private word).
 */
struct buddy {
	spinlock_t lock;
	struct free_area area[NR_ORDERS];
	unsigned long free_pages;
	unsigned long total_pages;
	unsigned long reserved_pages;
	unsigned long present_pages;
	unsigned long alloc_failures;
	unsigned long misuses;
	unsigned long poison_errors;    /* atomic adds: found outside the lock */
	unsigned long metadata_bytes;
};

extern struct buddy pfa;

/*
 * A CPU's list of free order-0 frames (mm/pfa_pcp.c, docs/pfa.md "Per-CPU
 * lists"). Its frames are in state PAGE_PCP and count as free, but are on
 * no buddy list. `lock` covers `list` and `count`; the owning CPU takes it
 * on every order-0 alloc and free (never contended but by a drain or a
 * check), and holds it while it takes the zone lock to move a batch:
 * lock order pcp -> pfa. Only pfa_check() and pfa_get_stats() hold several
 * at once, always in CPU order. The locks have no place in
 * kernel/lock_order.h for that reason (the order check would refuse the
 * second one).
 */
struct pfa_pcp {
	spinlock_t lock;
	struct page_list list;          /* hot end first: a free goes to the front */
	unsigned long count;
	unsigned long refills, drains;  /* batches moved, for the tests and docs */
} __aligned(64);

#define PCP_BATCH_ORDER 5
#define PCP_BATCH       (1ul << PCP_BATCH_ORDER)        /* frames per refill or drain */
#define PCP_HIGH        (4 * PCP_BATCH)                 /* a list above this drains a batch */

extern struct pfa_pcp pfa_pcp[SMP_MAX_CPUS];
extern bool pfa_pcp_on;                 /* order-0 calls use the lists */

/* The buddy's own steps (pfa.c), zone lock held. */
struct page *buddy_take_block_locked(unsigned order);
void buddy_put_block_locked(struct page *page, unsigned order);

/* A pointer into a struct page array, and the page its pfn says it is. */
static inline bool page_is_valid(const struct page *page)
{
	unsigned long a = (unsigned long)page;

	return is_direct_map_addr(a) && IS_ALIGNED(a, sizeof(struct page)) &&
	       pfn_to_page(page->pfn) == page;
}

/* True (after one warning, counted) if freeing `page` at `order` would be a misuse. */
bool free_is_misuse(struct page *page, unsigned order, unsigned long caller);

/* An order-0 frame from this CPU's list, refilled from the buddy if empty; NULL if none. */
struct page *pcp_alloc(void);

/*
 * Up to `nr` order-0 frames from this CPU's list (refilled from the buddy
 * as it empties) into pages[], each set to owner state `state` with
 * page->private = `private`, under one hold of the list lock. Returns how
 * many: fewer than `nr` only when the list and the buddy are both empty.
 */
unsigned long pcp_alloc_bulk(struct page **pages, unsigned long nr, enum page_state state,
			     unsigned long private);

/* Puts a frame on this CPU's list; a misuse is refused with one warning naming `caller`. */
void pcp_free(struct page *page, unsigned long caller);

/* pcp_free() of each non-NULL pages[i], under one hold of the list lock. */
void pcp_free_bulk(struct page *const *pages, unsigned long nr, unsigned long caller);

/* Takes every CPU's list lock, in CPU order (interrupts off). */
void pcp_lock_all(void);
void pcp_unlock_all(void);

/* Frames on every list; every list lock held. */
unsigned long pcp_total_locked(void);

/* Names the per-CPU locks; from pfa_init(). */
void pcp_init(void);

/* Fills every byte of the block with the bytes of `word` (zeroing, poisoning). */
void pfa_fill_block(struct page *page, unsigned order, u64 word);

/* Debug mode (KCONFIG_DEBUG): poison on free, check on allocation. */
#if KCONFIG_DEBUG
/* Fills every frame of the block with PFA_POISON_BYTE and marks it PG_POISONED. */
void pfa_poison_block(struct page *page, unsigned order);
/* Checks the poison of the block's PG_POISONED frames; warns once naming `caller`. */
void pfa_check_poison(struct page *page, unsigned order, unsigned long caller);
#else
static inline void pfa_poison_block(struct page *page, unsigned order) { }
static inline void pfa_check_poison(struct page *page, unsigned order, unsigned long caller) { }
#endif

#endif
