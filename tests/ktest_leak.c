/*
 * The leak check around every case (a ktest case hook): the memory
 * subsystem's counters (mm_snapshot: free frames, slab objects and pages,
 * page tables, vmap areas, pages mapped in the vmalloc range) must be the
 * same after the case and its suite's exit as before its suite's init.
 * Lazily freed vmap areas are purged on both sides, and the page tables
 * vmalloc keeps for the next area are accepted (mm/mm_check.h). Warnings
 * are judged by the harness itself (tests/ktest_report.c).
 */
#include "tests/ktest.h"
#include "kernel/lib/format.h"
#include "mm/mm_check.h"
#include "mm/vmalloc.h"

static struct mm_snapshot before_case;

static void leak_before(struct ktest *t)
{
	vm_unmap_aliases();
	mm_snapshot_take(&before_case);
}

static void leak_after(struct ktest *t)
{
	struct mm_snapshot now;
	char what[128];

	if (t->no_leak_check)
		return;
	vm_unmap_aliases();
	mm_snapshot_take(&now);
	mm_snapshot_keep_vmalloc_tables(&before_case, &now);
	now.warnings = before_case.warnings;
	snprintf(what, sizeof(what), "leak check of %s.%s", t->suite, t->name);
	if (!mm_snapshot_equal(&before_case, &now, what))
		KTEST_FAIL(t, "the case left memory behind (mm_snapshot lines above)");
}

static const struct ktest_case_hook leak_hook = {
	.name = "leak",
	.before = leak_before,
	.after = leak_after,
};
KTEST_CASE_HOOK_REGISTER(leak_hook);
