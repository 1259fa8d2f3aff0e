/*
 * Kernel stacks in the vmalloc space (Linux's vmap stacks): each stack is
 * its own VM_SPARSE area whose first page is left unmapped, so running off
 * the bottom of the stack faults on that guard page instead of writing
 * over whatever lies below; the area's own guard page sits above the top.
 *
 *   area start                                         area end
 *   | guard (unmapped) | stack pages ... (mapped RW) | guard |
 *                      ^ bottom                       ^ top (initial RSP)
 */
#ifndef MM_VSTACK_H
#define MM_VSTACK_H

#include "kernel/types.h"

struct vstack {
	unsigned long bottom, top;      /* the mapped stack: [bottom, top) */
};

/*
 * Allocates a stack of `size` bytes (a multiple of the page size) in the
 * window of long-lived kernel areas (mm/ioremap.h). 0, or -ENOMEM
 * with nothing left behind. Stacks of CPUs are never freed.
 */
int vstack_alloc(struct vstack *s, unsigned long size);

#endif
