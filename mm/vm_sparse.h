/*
 * The seam between mm/vmalloc.c and mm/vm_sparse.c: what get_vm_area()
 * and free_vm_area() call for VM_SPARSE areas. Not for use outside the
 * vmalloc layer; the public VM_SPARSE API is in mm/vmalloc.h.
 */
#ifndef MM_VM_SPARSE_H
#define MM_VM_SPARSE_H

#include "mm/vmalloc.h"

struct vmap_area;

/*
 * Builds every page table of a new VM_SPARSE_PREBUILT area's range, so
 * that vm_area_map_pages() never allocates there. The area was just
 * reserved, whole tables (VM_SPARSE_TABLE_SPAN), and nothing is mapped in
 * it. 0, or -ENOMEM with every table it built freed again.
 */
int vm_sparse_build_tables(struct vm_struct *area);

/*
 * Releases a VM_SPARSE area taken out of its busy zone: unmaps what is
 * still mapped (the pages stay their owner's) and flushes the TLB, frees
 * the page tables of a VM_SPARSE_PREBUILT area, and gives the range back
 * at once (every unmap of a sparse area is flushed, so nothing stale can
 * remain: no lazy purge is needed). `va` is freed; its vm_struct is not.
 * Returns the number of pages that were still mapped.
 */
unsigned long vm_sparse_release(struct vmap_area *va);

#endif
