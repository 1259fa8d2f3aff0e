/*
 * Leak checks (tests/ktest_leak.h). Two users of one comparison:
 *
 * - the harness runs it around every case (a ktest case hook): the memory
 *   subsystem's counters (mm_snapshot: free frames, slab objects and pages,
 *   page tables, vmap areas, pages mapped in the vmalloc range) must be the
 *   same after the case and its suite's exit as before its suite's init.
 *   Warnings are judged by the harness itself (tests/ktest_report.c);
 * - the mm suites' fixture, ktest_leak_begin()/ktest_leak_end(), around
 *   each of their cases, which also runs every invariant checker.
 *
 * Lazily freed vmap areas are purged on both sides, and the page tables
 * vmalloc keeps for the next area are accepted.
 */
#include "tests/ktest_leak.h"
#include "kernel/lib/format.h"
#include "mm/vmalloc.h"

static void take(struct ktest_leak *l)
{
	vm_unmap_aliases();
	mm_snapshot_take(&l->base);
}

/* True if nothing differs from l's snapshot; prints each difference as `what`. */
static bool unchanged(const struct ktest_leak *l, const char *what, bool count_warnings)
{
	struct mm_snapshot base = l->base, now;

	vm_unmap_aliases();
	mm_snapshot_take(&now);
	mm_snapshot_keep_vmalloc_tables(&base, &now);
	if (!count_warnings)
		base.warnings = now.warnings;
	return mm_snapshot_equal(&base, &now, what);
}

int ktest_leak_begin(struct ktest_leak *l)
{
	take(l);
	return mm_check_all();
}

void ktest_leak_end(struct ktest *t, struct ktest_leak *l, enum ktest_leak_warnings warnings)
{
	EXPECT_TRUE(t, unchanged(l, t->name, warnings == KTEST_LEAK_COUNT_WARNINGS));
	EXPECT_EQ(t, mm_check_all(), 0);
}

/* --- the harness's check around every case ------------------------------- */

static struct ktest_leak before_case;

static void leak_before(struct ktest *t)
{
	take(&before_case);
}

void ktest_leak_rebase_case(void)
{
	take(&before_case);
}

static void leak_after(struct ktest *t)
{
	char what[128];

	if (t->no_leak_check)
		return;
	snprintf(what, sizeof(what), "leak check of %s.%s", t->suite, t->name);
	if (!unchanged(&before_case, what, false))
		KTEST_FAIL(t, "the case left memory behind (mm_snapshot lines above)");
}

static const struct ktest_case_hook leak_hook = {
	.name = "leak",
	.before = leak_before,
	.after = leak_after,
};
KTEST_CASE_HOOK_REGISTER(leak_hook);
