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
 * Locking: one spinlock covers the settings, the counters and the scopes;
 * it is a leaf (nothing else is taken under it), so the hooks may be
 * called with any allocator's lock held. Scopes are per CPU: a test that
 * opens one makes only its own CPU's allocations fail, never another
 * CPU's running at the same time (a global setting acts on every CPU).
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
 * The sites tests/fault_points.c fails by default: the frame and the
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
 * Opens a scope on the calling CPU: settings that are not global act on
 * this CPU until the matching fault_inject_end(). Scopes nest.
 */
void fault_inject_begin(void);

/* Closes this CPU's innermost scope; one warning if none is open. */
void fault_inject_end(void);

/* True inside a scope of the calling CPU. */
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

#endif
