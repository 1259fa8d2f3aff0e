/* The mm suites' leak check around each case: see tests/ktest_leak.h. */
#include "tests/ktest_leak.h"
#include "mm/vmalloc.h"

int ktest_leak_begin(struct ktest_leak *l)
{
	vm_unmap_aliases();
	mm_snapshot_take(&l->base);
	return mm_check_all();
}

void ktest_leak_end(struct ktest *t, struct ktest_leak *l, enum ktest_leak_warnings warnings)
{
	struct mm_snapshot base = l->base, now;

	vm_unmap_aliases();
	mm_snapshot_take(&now);
	mm_snapshot_keep_vmalloc_tables(&base, &now);
	if (warnings == KTEST_LEAK_IGNORE_WARNINGS)
		base.warnings = now.warnings;
	EXPECT_TRUE(t, mm_snapshot_equal(&base, &now, t->name));
	EXPECT_EQ(t, mm_check_all(), 0);
}
