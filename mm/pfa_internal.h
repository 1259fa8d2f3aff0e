/*
 * State shared by the page-frame allocator's files (pfa.c: alloc/free,
 * pfa_init.c: start-up, pfa_debug.c: poisoning and pfa_check). Not for
 * other layers: they use mm/pfa.h.
 */
#ifndef MM_PFA_INTERNAL_H
#define MM_PFA_INTERNAL_H

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
