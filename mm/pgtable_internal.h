/*
 * Shared by the walker's files (mm/pgtable*.c): index arithmetic, table
 * allocation, argument checks. Not for use outside the walker.
 */
#ifndef MM_PGTABLE_INTERNAL_H
#define MM_PGTABLE_INTERNAL_H

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "mm/pgtable.h"

#define PT_ROOT_LEVEL   (ARCH_PT_LEVELS - 1)

/* Bytes covered by one entry at `level`. */
static inline unsigned long level_size(int level)
{
	return 1ul << arch_level_shift(level);
}

/* The index of `va`'s entry in a table at `level`. */
static inline unsigned pt_index(unsigned long va, int level)
{
	return (va >> arch_level_shift(level)) & (ARCH_PT_ENTRIES - 1);
}

/*
 * Where the entry covering `addr` at `level` ends, or `end` if that comes
 * first. end 0 stands for the top of the address space: comparing
 * boundary - 1 with end - 1 handles both wrap-arounds.
 */
static inline unsigned long level_end(unsigned long addr, unsigned long end, int level)
{
	unsigned long boundary = (addr | (level_size(level) - 1)) + 1;

	return boundary - 1 < end - 1 ? boundary : end;
}

/* True if [addr, next) is the whole span of an entry at `level`. */
static inline bool covers_entry(unsigned long addr, unsigned long next, int level)
{
	return next - addr == level_size(level);
}

/* The table an upper-level entry points to, through the direct map. */
static inline pte_t *entry_table(pte_t e, int level)
{
	return phys_to_virt((phys_addr_t)arch_pte_pfn(e, level) << PAGE_SHIFT);
}

/*
 * Entries are read by the MMU at any time, and by lock-free calls on other
 * CPUs: store them in one piece, a new table's zeroes before the entry
 * that links it (release), and read them in one piece after (acquire).
 * Both are plain moves on x86.
 */
static inline void set_entry(pte_t *e, pte_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELEASE);
}

static inline pte_t read_entry(const pte_t *e)
{
	return __atomic_load_n(e, __ATOMIC_ACQUIRE);
}

/*
 * Writes leaf `v` into `e` if the entry is still empty; false if another
 * call got there first. Lock-free maps race only through this.
 */
static inline bool install_leaf(pte_t *e, pte_t v)
{
	pte_t empty = 0;

	return __atomic_compare_exchange_n(e, &empty, v, false, __ATOMIC_RELEASE,
					   __ATOMIC_RELAXED);
}

/*
 * Lock-free calls (see mm/pgtable.h) and the calls that free tables.
 *
 *   lock-free call on CPU c               table-freeing call (lock held)
 *   inside[c] = 1                         pt->trimming = 1
 *   full fence                            full fence
 *   pt->trimming? -> inside[c] = 0,       wait until every inside[] is 0
 *                    take the lock        unlink, flush, free
 *   walk, write own leaves                pt->trimming = 0
 *   inside[c] = 0
 *
 * Each side stores, fences, then reads the other's word, so at least one
 * sees the other: either the call takes the lock, or the trim waits until
 * the call is out. No lock-free call ever holds a table that is freed,
 * or writes into one that is unlinked. Interrupts are off on both sides.
 */
struct pt_walker {
	unsigned long inside;
	unsigned long trims_seen;       /* pt->trims when the current call entered */
	/*
	 * The bottom-level table this CPU's last lock-free call reached in
	 * `pt`, and the first address of its span: valid while pt->trims is
	 * still `trims` (only a trim unlinks tables, and it counts itself).
	 */
	const struct pgtable *pt;
	unsigned long trims;
	unsigned long ptes_va;
	pte_t *ptes;
} __aligned(64);

extern struct pt_walker pt_walkers[SMP_MAX_CPUS];

/*
 * Enters a lock-free call on `pt`; false if a trim runs (take the lock).
 * A trim raises `trimming`, then counts itself in `trims`: a call that
 * reads the new count also sees `trimming` raised, so a count read here
 * with no trim running stays current until this call is out.
 */
static inline bool pt_lockless_enter(struct pgtable *pt)
{
	struct pt_walker *w = &pt_walkers[arch_cpu_id()];

	__atomic_store_n(&w->inside, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w->trims_seen = __atomic_load_n(&pt->trims, __ATOMIC_ACQUIRE);
	if (likely(!__atomic_load_n(&pt->trimming, __ATOMIC_ACQUIRE)))
		return true;
	__atomic_store_n(&w->inside, 0, __ATOMIC_RELEASE);
	return false;
}

/* Inside a lock-free call: pt_cached_ptes() for this CPU's own cache. */
static inline pte_t *pt_walker_cached_ptes(const struct pgtable *pt, unsigned long va,
					   unsigned long end)
{
	const struct pt_walker *w = &pt_walkers[arch_cpu_id()];
	unsigned long base = va & ~(level_size(PT_LEVEL_PMD) - 1);

	if (w->pt != pt || w->ptes_va != base || end - 1 - base >= level_size(PT_LEVEL_PMD) ||
	    w->trims != w->trims_seen)
		return NULL;
	return w->ptes;
}

/* Inside a lock-free call: remembers `table`, the bottom-level table holding `va`. */
static inline void pt_walker_cache_ptes(const struct pgtable *pt, pte_t *table,
					unsigned long va)
{
	struct pt_walker *w = &pt_walkers[arch_cpu_id()];

	w->pt = pt;
	w->trims = w->trims_seen;
	w->ptes_va = va & ~(level_size(PT_LEVEL_PMD) - 1);
	w->ptes = table;
}

/* Leaves the lock-free call entered on this CPU. */
static inline void pt_lockless_exit(void)
{
	__atomic_store_n(&pt_walkers[arch_cpu_id()].inside, 0, __ATOMIC_RELEASE);
}

/* Lock held: waits until no lock-free call is inside; later ones take the lock. */
void pt_trim_begin(struct pgtable *pt);

/* Lock held: lock-free calls may start again. */
void pt_trim_end(struct pgtable *pt);

/*
 * The bottom-level table whose span holds all of [va, end), if the last
 * map or unmap reached it (pgtable.last_ptes), else NULL. The entry above
 * it points to a table, so no huge leaf can cover any of the range. Lock
 * held. end 0 (the top) never matches.
 */
static inline pte_t *pt_cached_ptes(const struct pgtable *pt, unsigned long va,
				    unsigned long end)
{
	unsigned long base = va & ~(level_size(PT_LEVEL_PMD) - 1);

	if (!pt->last_ptes || base != pt->last_ptes_va || end - 1 - base >= level_size(PT_LEVEL_PMD))
		return NULL;
	return pt->last_ptes;
}

/* Remembers `table`, the bottom-level table holding `va` (lock held). */
static inline void pt_cache_ptes(struct pgtable *pt, pte_t *table, unsigned long va)
{
	pt->last_ptes = table;
	pt->last_ptes_va = va & ~(level_size(PT_LEVEL_PMD) - 1);
}

/* Why a call stopped, for its warning line and its rollback. */
struct pt_call {
	const char *fn;                 /* the public function */
	unsigned long caller;           /* its return address */
};

#define PT_CALL(name) ((struct pt_call){ .fn = (name), .caller = RET_IP })

/* The one warning line of a refused call (warn_call()). */
#define pt_warn(call, ...) warn_call((call)->fn, (call)->caller, __VA_ARGS__)

/*
 * Checks a [va, va + size) argument: page-aligned, not empty, no wrap past
 * the top, canonical and in one half. 0, or -EINVAL after one warning.
 * Inline: every map and unmap runs it.
 */
static inline int pt_check_range(const struct pt_call *call, unsigned long va,
				 unsigned long size)
{
	unsigned long last = va + size - 1;

	if (!size || !IS_ALIGNED(va | size, PAGE_SIZE)) {
		pt_warn(call, "range 0x%lx + 0x%lx is empty or not page-aligned", va, size);
		return -EINVAL;
	}
	if (last < va || !arch_va_is_canonical(va) || !arch_va_is_canonical(last) ||
	    (va ^ last) >> 63) {
		pt_warn(call, "range 0x%lx + 0x%lx is not canonical", va, size);
		return -EINVAL;
	}
	return 0;
}

/* Checks PROT_* flags; 0, or -EINVAL after one warning. */
static inline int pt_check_prot(const struct pt_call *call, unsigned prot)
{
	if (prot_is_valid(prot))
		return 0;
	pt_warn(call, "invalid protection 0x%x", prot);
	return -EINVAL;
}

/*
 * Allocates a zeroed table page, marks it PAGE_PAGETABLE, stamps it with
 * `stamp` (page->private) and counts it in `pt`. NULL if memory is out.
 */
struct page *pt_table_alloc(struct pgtable *pt, unsigned long stamp);

/*
 * Unlinks the table behind `*e` (at `level`) from the tree and puts it on
 * `list`; pt_flush_and_free() frees such a list after the TLB flush.
 */
void pt_table_unlink(struct pgtable *pt, pte_t *e, int level, struct page_list *list);

/* A stamp no table carries yet (never 0). */
unsigned long pt_new_stamp(void);

/* True if no entry of `table` is present. */
bool pt_table_is_empty(const pte_t *table);

/*
 * -EINVAL (with the warning) if [va, end) starts or ends inside a huge
 * leaf; those cannot be unmapped or protected in part.
 */
int pt_check_huge_ends(struct pgtable *pt, const struct pt_call *call,
		       unsigned long va, unsigned long end);

/* What an unmap does, and what it found. */
struct unmap_ctx {
	unsigned long start;            /* of the call: pages[] index base */
	struct page **pages;            /* hand back what was mapped, or NULL */
	bool clear_leaves;              /* clear the leaves (else only free tables) */
	bool free_tables;               /* unlink tables left empty ... */
	unsigned long only_stamp;       /* ... only those with this stamp (0: any) */
	bool lockless;                  /* no lock held: leave the shared cache alone */
	bool cleared;                   /* a present leaf was cleared */
	struct page_list freed;         /* unlinked tables, to free after the flush */
};

/*
 * Unmaps [va, end) of `pt` as `c` says. Lock held (ends checked), or a
 * lock-free call's own range that holds no huge leaf cut by its ends.
 */
void pt_unmap_walk(struct pgtable *pt, struct unmap_ctx *c, unsigned long va,
		   unsigned long end);

/*
 * The entry mapping `va` if it is a leaf (its level in *level), else NULL.
 * Lock held, or inside a lock-free call.
 */
pte_t *pt_lookup_leaf(struct pgtable *pt, unsigned long va, int *level);

/*
 * True if a huge leaf holds `addr` but does not start there (its level in
 * *level). Lock held, or inside a lock-free call.
 */
bool pt_inside_huge_leaf(struct pgtable *pt, unsigned long addr, int *level);

/* Frees the tables on `list` (unlinked, and flushed since). */
void pt_tables_free(struct page_list *list);

/*
 * Flushes [start, end) if `pt` is live, then frees the tables on `freed`.
 * Inline: a sparse unmap runs it on every call.
 */
static inline void pt_flush_and_free(struct pgtable *pt, unsigned long start,
				     unsigned long end, struct page_list *freed)
{
	if (pt->live)
		arch_flush_tlb_kernel_range(start, end);
	if (!page_list_empty(freed))
		pt_tables_free(freed);
}

#endif
