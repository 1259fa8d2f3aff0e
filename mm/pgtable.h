/*
 * The page-table walker: map, unmap, query, protect and walk a tree of
 * hardware page tables, over the arch seam in mm/arch_mmu.h. See
 * docs/pgtable.md for the picture.
 *
 * Conventions of every function here:
 * - Addresses are kernel virtual addresses, sizes are bytes; both must be
 *   page-aligned, the range [va, va + size) canonical, in one half of the
 *   address space and not empty. It may end at the very top (va + size
 *   wraps to 0).
 * - 0 or a negative errno. Misuse (-EINVAL, -EBUSY) prints one warning
 *   line naming the function and its caller; -ENOMEM and -ENOENT do not.
 * - TLB: map needs no flush (the MMU does not cache non-present entries).
 *   unmap and protect flush the range before they return; their _noflush
 *   variants leave that to the caller (pgtable_flush_range()), who must do
 *   it before the range is mapped again or its old pages are reused.
 * - A failed call leaves the tree as it found it: no leaf, no table, the
 *   counters back where they were.
 * - Huge leaves (2 MiB, 1 GiB) are only created by pgtable_map_phys() with
 *   PGTABLE_HUGE. An unmap or protect that covers part of one is refused
 *   with -EINVAL, never split: splitting needs memory an unmap must not
 *   fail on, and the only huge leaves are the direct map's.
 * - Every tree has a spinlock. A map or unmap whose tables all exist (and
 *   which makes no huge leaf, frees no table) takes no lock: it writes the
 *   leaves of its own range with interrupts off, each map leaf by
 *   compare-and-exchange, so two overlapping maps racing on two CPUs cannot
 *   both succeed. Everything else (adding a table, freeing one, huge
 *   leaves, protect, query, walk) takes the lock. A call that frees tables
 *   first waits until no lock-free call is inside the tree (docs/pgtable.md,
 *   "Who takes the lock").
 */
#ifndef MM_PGTABLE_H
#define MM_PGTABLE_H

#include "kernel/spinlock.h"
#include "kernel/types.h"
#include "mm/arch_mmu.h"
#include "mm/page.h"

/* Names of the levels, bottom up (Linux's; x86 calls them PT, PD, PDPT, PML4). */
enum pt_level {
	PT_LEVEL_PTE = 0,       /* maps 4 KiB */
	PT_LEVEL_PMD = 1,       /* maps 2 MiB or points to a PTE table */
	PT_LEVEL_PUD = 2,       /* maps 1 GiB or points to a PMD table */
	PT_LEVEL_PGD = 3,       /* the root: points to PUD tables */
};

/* One tree of page tables: the kernel's, or a private one (tests). */
struct pgtable {
	spinlock_t lock;                /* covers the upper entries, nr_tables, the leaves
					   of calls that take it (see the top) */
	pte_t *root;                    /* the top table, through the direct map */
	phys_addr_t root_phys;
	unsigned long nr_tables;        /* table pages in the tree, the root included */
	bool live;                      /* the CPU uses it: changes need TLB flushes */
	/*
	 * The bottom-level table the last map or unmap reached, and the first
	 * address of the span it covers: a later call inside that span starts
	 * there instead of descending from the root. NULL once any table is
	 * unlinked. Under `lock`; the walker's own (mm/pgtable_internal.h).
	 */
	pte_t *last_ptes;
	unsigned long last_ptes_va;
	/* A call that frees tables is under way: lock-free calls take the lock. */
	unsigned long trimming;
	unsigned long trims;            /* calls that freed tables, ever */
};

/* The kernel's tree (built by kernel_map_init(), live from then on). */
extern struct pgtable kernel_pgtable;

/* A present entry, as pgtable_query() and pgtable_walk() report it. */
struct pgtable_entry {
	unsigned long va;       /* first address the entry covers */
	unsigned long size;     /* bytes it covers: 4 KiB, 2 MiB, 1 GiB, 512 GiB */
	enum pt_level level;
	bool leaf;              /* maps memory; else points to a table */
	phys_addr_t phys;       /* leaf: the memory at va; table: the table */
	unsigned prot;          /* leaf: PROT_* flags; table: 0 */
};

/* The physical address `va` translates to, for `e` the leaf containing it. */
static inline phys_addr_t pgtable_entry_phys(const struct pgtable_entry *e,
					     unsigned long va)
{
	return e->phys + (va - e->va);
}

/* Flags of the map and unmap calls. */
#define PGTABLE_HUGE            (1u << 0)       /* map_phys: 2 MiB / 1 GiB leaves allowed */
#define PGTABLE_FREE_TABLES     (1u << 1)       /* unmap: free tables left empty */

/* --- trees --- */

/*
 * Makes `pt` an empty private tree (not live: no TLB flushes, the CPU
 * never sees it). 0, or -ENOMEM if no page is free for the root.
 */
int pgtable_init(struct pgtable *pt);

/*
 * Frees every table of `pt`, the root included; the memory its leaves map
 * is not touched. `pt` must not be live.
 */
void pgtable_destroy(struct pgtable *pt);

/*
 * Makes the CPU use `pt` (arch_write_root) and marks it live. For
 * kernel_map_init(): the tree must map the running kernel.
 */
void pgtable_load(struct pgtable *pt);

/* Table pages in `pt`, the root included. */
unsigned long pgtable_nr_tables(const struct pgtable *pt);

/* Table pages in every tree (each is also PAGE_PAGETABLE in its struct page). */
unsigned long pgtable_total_tables(void);

/* --- map --- */

/*
 * Maps `nr` pages from `va`: page i at va + i * PAGE_SIZE, with `prot`,
 * using 4 KiB leaves; allocates tables as needed. The pages stay the
 * caller's. 0; -EINVAL for bad arguments or a NULL page; -EBUSY if some
 * page of the range is already mapped; -ENOMEM if a table could not be
 * allocated. On error nothing of the call is left.
 */
int pgtable_map_pages(struct pgtable *pt, unsigned long va, struct page *const *pages,
		      unsigned long nr, unsigned prot);

/*
 * pgtable_map_pages() for a caller that words its own refusals, checking
 * each frame in the same pass as its entry: a NULL page, one that
 * pfa_page_unmappable() refuses (-EINVAL) and one whose address is
 * already mapped (-EBUSY) all stop the call at that page, in address
 * order, with nothing printed and nothing of the call left; *stop is
 * then that page's address, else 0. Bad arguments still warn.
 */
int pgtable_map_pages_checked(struct pgtable *pt, unsigned long va, struct page *const *pages,
			      unsigned long nr, unsigned prot, unsigned long *stop);

/*
 * Maps [va, va + size) to the physical range from `pa` (page-aligned) with
 * `prot`. With PGTABLE_HUGE, a 2 MiB or 1 GiB leaf is used wherever va and
 * pa are both aligned to it, the range covers it, the CPU has it and no
 * table is there yet (an empty table left by an unmap is filled with
 * smaller leaves instead). Errors as pgtable_map_pages().
 */
int pgtable_map_phys(struct pgtable *pt, unsigned long va, phys_addr_t pa,
		     unsigned long size, unsigned prot, unsigned flags);

/*
 * Builds every table that mapping [va, va + size) with 4 KiB leaves needs,
 * writing no leaf (tables already there are kept), so that a later
 * pgtable_map_pages() there never allocates. 0; -EINVAL for a bad range;
 * -EBUSY if a huge leaf covers part of it; -ENOMEM if a table could not be
 * allocated. On error the tables this call built are freed again.
 */
int pgtable_populate(struct pgtable *pt, unsigned long va, unsigned long size);

/* --- unmap --- */

/*
 * Unmaps [va, va + size): clears every leaf there (holes are fine), then
 * flushes the range. If `pages` is not NULL, pages[i] is set to the page
 * that was mapped at va + i * PAGE_SIZE, or NULL (hole, or no struct page).
 * With PGTABLE_FREE_TABLES, tables left empty are freed after the flush.
 * 0, or -EINVAL (bad range; part of a huge leaf) with nothing changed.
 */
int pgtable_unmap(struct pgtable *pt, unsigned long va, unsigned long size,
		  struct page **pages, unsigned flags);

/*
 * pgtable_unmap() without the flush and without freeing tables (a table
 * may only be freed once no TLB can still walk it). The caller flushes.
 */
int pgtable_unmap_noflush(struct pgtable *pt, unsigned long va, unsigned long size,
			  struct page **pages);

/* --- query, protect, walk --- */

/*
 * Looks up the leaf mapping `va` (any byte address). 0 with *out filled;
 * -ENOENT if nothing maps it; -EINVAL (no warning) if not canonical.
 */
int pgtable_query(struct pgtable *pt, unsigned long va, struct pgtable_entry *out);

/*
 * Sets the protection of every leaf in [va, va + size) to `prot` (holes
 * are skipped), then flushes the range. 0; -EINVAL for bad arguments or a
 * range that covers part of a huge leaf, with nothing changed.
 */
int pgtable_protect(struct pgtable *pt, unsigned long va, unsigned long size, unsigned prot);

/*
 * Called for each present entry that covers part of the walked range, in
 * address order, a table before the entries inside it. Nonzero stops the
 * walk, which returns it. Runs with the tree's lock held: it must not
 * change the tree.
 */
typedef int (*pgtable_walk_fn)(const struct pgtable_entry *e, void *ctx);

/*
 * Walks [start, end) (page-aligned, canonical, one half; end 0 = the top
 * of the address space). 0, the callback's nonzero value, or -EINVAL.
 */
int pgtable_walk(struct pgtable *pt, unsigned long start, unsigned long end,
		 pgtable_walk_fn fn, void *ctx);

/* One entry a translation read (pgtable_trace()). */
struct pgtable_step {
	enum pt_level level;
	phys_addr_t table;      /* the table it sits in */
	unsigned index;         /* its index there */
	pte_t entry;            /* its raw value, decoded by the architecture */
};

/*
 * The entries translating `va` reads, from the root down: fills steps[]
 * (ARCH_PT_LEVELS of them at most) and stops after a leaf or an entry that
 * is not present. Returns the number of steps, or -EINVAL (no warning) if
 * `va` is not canonical.
 */
int pgtable_trace(struct pgtable *pt, unsigned long va, struct pgtable_step *steps);

/*
 * Checks the tree's invariants: every table frame is PAGE_PAGETABLE and
 * used once, nr_tables matches, no leaf where the CPU cannot have one.
 * Prints one line per problem; returns the number of problems.
 */
unsigned long pgtable_check(struct pgtable *pt);

/* --- explicit flush (a no-op for a tree that is not live) --- */

/* Flushes the translations of [start, end) (end 0 = top of memory). */
void pgtable_flush_range(struct pgtable *pt, unsigned long start, unsigned long end);

#endif
