/*
 * A hook the vmalloc family calls after each public operation, once it
 * has finished and dropped its locks. NULL (the default) costs one load
 * and one branch. `mm_check=always` (mm/mm_check.c) sets it to run every
 * invariant checker; the allocators know nothing of what it runs, so the
 * checker above them is never called from below but through this pointer.
 */
#ifndef MM_OP_HOOK_H
#define MM_OP_HOOK_H

#include "kernel/compiler.h"

/* `op`: the public function's name; `caller`: its return address. */
typedef void (*mm_op_hook_fn)(const char *op, unsigned long caller);

/* The hook now, or NULL. Set with WRITE_ONCE by its owner. */
extern mm_op_hook_fn mm_op_hook;

/* Runs the hook, if one is set, for operation `op` called from `caller`. */
static inline void mm_op_done(const char *op, unsigned long caller)
{
	mm_op_hook_fn hook = READ_ONCE(mm_op_hook);

	if (unlikely(hook))
		hook(op, caller);
}

#endif
