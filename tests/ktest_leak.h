/*
 * The leak check the mm suites run around each case: the whole memory
 * subsystem (mm_snapshot: frames, slab, page tables, vmap trees, mapped
 * vmalloc pages, warnings) must be as the case found it, lazily freed
 * ranges purged, with the page tables vmalloc keeps for the next area
 * allowed (mm_snapshot_keep_vmalloc_tables), and every invariant must
 * hold (mm_check_all). A suite's init calls ktest_leak_begin(), its exit
 * ktest_leak_end(). The harness also runs the same comparison around every
 * case of every suite (without the invariant checkers), unless the case
 * calls ktest_no_leak_check().
 */
#ifndef TESTS_KTEST_LEAK_H
#define TESTS_KTEST_LEAK_H

#include "tests/ktest.h"
#include "tests/mm_state.h"

struct ktest_leak {
	struct mm_snapshot base;
};

enum ktest_leak_warnings {
	KTEST_LEAK_COUNT_WARNINGS,      /* a warning the case printed is a difference */
	KTEST_LEAK_IGNORE_WARNINGS,     /* the suite's cases provoke warnings and check them */
};

/* Purges lazily freed ranges and takes the snapshot; returns mm_check_all(). */
int ktest_leak_begin(struct ktest_leak *l);

/*
 * Purges again and fails `t` (EXPECT) on any difference from the
 * snapshot (each printed by mm_snapshot_equal) or a broken invariant.
 */
void ktest_leak_end(struct ktest *t, struct ktest_leak *l, enum ktest_leak_warnings warnings);

/*
 * For a case that frees, on purpose, empty page tables that earlier cases
 * left (vmalloc keeps its tables for the next area, and the harness's
 * check would count their loss against this case): takes the harness's
 * per-case snapshot again, so the case is judged from this point on.
 */
void ktest_leak_rebase_case(void);

#endif
