/*
 * Fault reports for the vmalloc range: when the kernel takes a page fault
 * at a vmalloc address, one more line of the oops says what is there
 * (kernel/fault.h calls it an explainer):
 *
 *   vmalloc: 0x<a> is in area 0x<s>-0x<e> (<size> bytes, <kind>, caller f+0x../0x..)
 *   vmalloc: 0x<a> is the guard page of area 0x<s>-0x<e> (caller ...)
 *   vmalloc: 0x<a> is an unmapped page of sparse area 0x<s>-0x<e> (caller ...)
 *   vmalloc: 0x<a> is in a freed area 0x<s>-0x<e>, freed by f+0x../0x.. (vfree)
 *   vmalloc: 0x<a> is in no area
 *   vmalloc: 0x<a>: cannot look it up (vmap lock busy)
 *
 * <kind> is vmalloc, vmap, ioremap, sparse or reserved (get_vm_area);
 * the range and size include the guard page, as in /proc/vmallocinfo.
 * "Freed" comes from a history of the last VMALLOC_FREE_HISTORY ranges
 * each CPU took out of use, with the function and the caller that freed
 * each (of two frees of one address on two CPUs, the later is reported).
 * See docs/reliability.md.
 */
#ifndef MM_VMALLOC_FAULT_H
#define MM_VMALLOC_FAULT_H

#include "kernel/types.h"

/* Freed ranges remembered per CPU for the "freed area" report (newest wins). */
#define VMALLOC_FREE_HISTORY    64

/*
 * Registers the explainer with fault_add_explainer(). Once, from
 * mm_init(), after vmalloc_init(). 0, or -ENOSPC if the table of
 * explainers is full (one warning).
 */
int vmalloc_fault_init(void);

/*
 * Records that [start, end) (an area's whole range, guard page included)
 * was taken out of use by public function `fn` (a string literal) called
 * from `caller`. Called by the free paths of mm/vmalloc.c. Lock-free and
 * allocation-free: callable with any lock held, interrupts on or off.
 */
void vmalloc_fault_note_free(const char *fn, unsigned long start, unsigned long end,
			     unsigned long caller);

#endif
