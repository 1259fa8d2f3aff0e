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

struct vm_struct;

struct vstack {
	unsigned long bottom, top;      /* the mapped stack: [bottom, top) */
	struct vm_struct *area;         /* the VM_SPARSE area holding it */
};

/* The largest stack vstack_alloc() makes, in pages. */
#define VSTACK_MAX_PAGES 8

/*
 * Allocates a stack of `size` bytes (1 to VSTACK_MAX_PAGES pages, a
 * multiple of the page size) in the window of long-lived kernel areas
 * (mm/ioremap.h), zeroed. 0; -EINVAL (one warning naming the caller) for
 * a bad size; -ENOMEM with nothing left behind.
 */
int vstack_alloc(struct vstack *s, unsigned long size);

/*
 * Gives back a stack from vstack_alloc(): unmaps it (the TLB is flushed
 * before the call returns), frees its pages and its area, and clears *s.
 * A cleared vstack is ignored. The stack must not be in use on any CPU.
 */
void vstack_free(struct vstack *s);

#endif
