/*
 * Fault injection: make allocations fail on purpose, so that every error
 * path of the memory subsystem can be taken by a test. See
 * docs/fault_inject.md.
 *
 * Three sites, each with its own setting and counters:
 *
 *   FAULT_PAGE_ALLOC   alloc_pages() (mm/pfa.c): returns NULL as if memory
 *                      were out, and counts it in pfa's alloc_failures
 *   FAULT_SLAB         kmem_cache_alloc() and kmalloc() (mm/slab.c)
 *   FAULT_PGTABLE      page-table pages (mm/pgtable.c pt_table_alloc), so a
 *                      test can fail only tables. A table is also an
 *                      alloc_pages() call: FAULT_PAGE_ALLOC fails it too.
 *
 * Modes (struct fault_attr): fail the n-th call from now (once), fail
 * every n-th call, or fail each call with probability n percent drawn from
 * a seeded generator (the seed is printed, so a run can be replayed).
 *
 * Scope: a setting only acts between fault_inject_begin() and
 * fault_inject_end(), around the call under test, so the test harness's
 * own allocations never fail. A `global` setting (the command line's
 * fail_page_alloc=, fail_slab=, fail_pgtable=) acts everywhere.
 *
 * Cost when off: the hook is fault_inject_should_fail(), one load of a
 * global and one predictable branch. The slow path runs only for a site
 * that is armed (set, and in scope or global).
 *
 * Locking: one spinlock covers the settings, the counters and the scope;
 * it is a leaf (nothing else is taken under it), so the hooks may be
 * called with any allocator's lock held. The scope is global, not per
 * CPU: with SMP it must become per-CPU (or per-thread) state.
 */
#ifndef MM_FAULT_INJECT_H
#define MM_FAULT_INJECT_H

#include "kernel/compiler.h"
#include "kernel/types.h"

enum fault_site {
	FAULT_PAGE_ALLOC,
	FAULT_SLAB,
	FAULT_PGTABLE,
	FAULT_NR_SITES
};

#define FAULT_SITE_BIT(site)    (1u << (site))

/*
 * The sites fault_inject_each_point() fails by default: the frame and the
 * object allocators. FAULT_PGTABLE is left out because each of its calls
 * is also a FAULT_PAGE_ALLOC call: the same failure point would count twice.
 */
#define FAULT_SITES_ALL         (FAULT_SITE_BIT(FAULT_PAGE_ALLOC) | FAULT_SITE_BIT(FAULT_SLAB))

enum fault_mode {
	FAULT_MODE_OFF,
	FAULT_MODE_NTH,         /* the n-th call from now fails, once (n >= 1) */
	FAULT_MODE_EVERY,       /* calls n, 2n, 3n ... fail (n >= 1; 1: every call) */
	FAULT_MODE_PROB,        /* each call fails with probability n % (0..100) */
};

struct fault_attr {
	enum fault_mode mode;
	unsigned long n;        /* see enum fault_mode */
	u64 seed;               /* FAULT_MODE_PROB: the generator's seed */
	bool global;            /* also outside fault_inject_begin()/end() */
};

/* What a site saw since it was last set: calls while armed, and failures made. */
struct fault_stats {
	unsigned long calls;
	unsigned long injected;
};

/* Bit FAULT_SITE_BIT(site) set: that site is armed now. Written under the lock. */
extern unsigned int fault_inject_armed;

/* The hook's slow path (counts the call, decides); call fault_inject_should_fail(). */
bool fault_inject_should_fail_slow(enum fault_site site);

/*
 * The hook: true if this allocation at `site` must fail now. The caller
 * then fails exactly as if memory were out. One load and one branch while
 * the site is not armed.
 */
static inline bool fault_inject_should_fail(enum fault_site site)
{
	if (likely(!(READ_ONCE(fault_inject_armed) & FAULT_SITE_BIT(site))))
		return false;
	return fault_inject_should_fail_slow(site);
}

/* --- settings ------------------------------------------------------------ */

/*
 * Sets `site` to `attr` (a copy is kept) and zeroes its counters: the n of
 * FAULT_MODE_NTH counts from this call on, and the generator restarts from
 * the seed. A FAULT_MODE_PROB setting prints one line with its seed.
 * 0, or -EINVAL (one warning) for an unknown site or a bad attr.
 */
int fault_inject_set(enum fault_site site, const struct fault_attr *attr);

/* The current setting of `site` (FAULT_MODE_OFF for an unknown site). */
void fault_inject_get(enum fault_site site, struct fault_attr *attr);

/* Turns `site` off (its counters are kept). */
void fault_inject_clear(enum fault_site site);

/* Turns every site off, zeroes every counter and closes every open scope. */
void fault_inject_clear_all(void);

/* Counters of `site` since it was last set (zeroes for an unknown site). */
void fault_inject_get_stats(enum fault_site site, struct fault_stats *stats);

/* "page_alloc", "slab", "pgtable" (or "?"). */
const char *fault_site_name(enum fault_site site);

/* --- scope --------------------------------------------------------------- */

/*
 * Opens a scope: settings that are not global act until the matching
 * fault_inject_end(). Scopes nest.
 */
void fault_inject_begin(void);

/* Closes the innermost scope; one warning if none is open. */
void fault_inject_end(void);

/* True inside a scope. */
bool fault_inject_in_scope(void);

/* --- the command line ---------------------------------------------------- */

/*
 * Parses a setting: "off", "nth,N", "every,N", "prob,P" or
 * "prob,P,seed=S" (numbers decimal or 0x hex; P a percentage 0..100; the
 * default seed is FAULT_DEFAULT_SEED). Fills *attr (global false).
 * 0, or -EINVAL without a message.
 */
int fault_inject_parse(const char *value, struct fault_attr *attr);

#define FAULT_DEFAULT_SEED      1

/*
 * Applies a command-line value to `site` as a global setting and prints
 * what it set, e.g. "fault_inject: page_alloc: nth,3 global". A value that
 * does not parse: one warning, nothing set, -EINVAL.
 */
int fault_inject_setup(enum fault_site site, const char *value);

/*
 * Reads fail_page_alloc=, fail_slab= and fail_pgtable= from the command
 * line. Called once at the end of mm_init(): boot's own allocations are
 * never failed (a failure there is a panic by design).
 */
void fault_inject_init(void);

/* --- every failure point of an operation --------------------------------- */

/*
 * An operation to take through every failure point. `op` returns 0 or a
 * negative errno; after a success `undo` must give back everything the op
 * took. `check` (optional) is called after each failed run and returns 0
 * if the op left no trace that the generic checks cannot see (e.g. a leaf
 * in a private page table). `sites`: FAULT_SITE_BIT()s to fail in turn,
 * 0 for FAULT_SITES_ALL. `tolerant`: the op may absorb a failed allocation
 * (a fallback path) and still succeed; otherwise that is reported as an
 * ignored failure.
 */
struct fault_op {
	const char *name;
	int (*op)(void *ctx);
	void (*undo)(void *ctx);
	int (*check)(void *ctx);
	unsigned sites;
	bool tolerant;
};

/* What fault_inject_each_point() found. */
struct fault_points {
	unsigned long per_site[FAULT_NR_SITES]; /* failure points at each site */
	unsigned long total;                    /* their sum */
	unsigned long absorbed;                 /* tolerant ops: failures that still succeeded */
};

/* More failure points than this at one site: reported as a runaway op. */
#define FAULT_POINTS_MAX        4096

/*
 * Runs op->op with the 1st, 2nd, 3rd ... call at each site of op->sites
 * failing (one failure per run, inside a scope), until a run makes fewer
 * calls than that and succeeds. After each run (and each undo) the
 * memory subsystem must equal the baseline taken before the first:
 * mm_snapshot_equal() (free frames, slab objects and pages, page-table
 * pages, vmap trees, vmalloc-range PTEs, no new warning) and
 * mm_check_all(); a failed run must have returned a negative errno.
 * Lazily freed vmap ranges are purged before the baseline and after each
 * undo; page tables a successful run leaves in the vmalloc range (vmalloc
 * keeps them for the next area) move the baseline up
 * (mm_snapshot_keep_vmalloc_tables()). Prints "fault points: <name>: <total> (<site> <n>, ...)" and fills
 * *points (may be NULL). The sites' settings are restored afterwards.
 * 0, or -EINVAL after printing what went wrong (it stops at the first
 * problem).
 */
int fault_inject_each_point(const struct fault_op *op, void *ctx,
			    struct fault_points *points);

#endif
