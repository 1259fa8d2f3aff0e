/*
 * vread(): a kcore-style read of the vmalloc space that never faults
 * (mm/vmalloc.h has the contract). It never touches the vmalloc address
 * it reads: for each page of a readable area it asks the page table which
 * frame is there and copies from that frame's direct-map alias with a
 * probe, so a page unmapped meanwhile or a frame outside the direct map
 * reads as zeros instead of faulting.
 *
 *   [ vmalloc area | guard |   gap   | sparse area ......... | guard ]
 *     bytes          zeros   zeros     zeros (even mapped)    zeros
 *
 * Locking: holds every lock of the vmap space (vmap_lock_all()) for the
 * whole read, so no area it reads can be freed under it, and takes the
 * page table's lock inside them for each lookup (the order mm/mm_check.c
 * uses too).
 */
#include "mm/vmalloc.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/probe.h"
#include "mm/pgtable.h"
#include "mm/vmap_area.h"

/* True if the bytes of the area may be read (Linux's kcore reads zeros for the rest). */
static bool area_is_readable(const struct vmap_area *va)
{
	return va->vm && !(va->vm->flags & (VM_SPARSE | VM_IOREMAP));
}

/* Copies [from, to) into buf (which holds [base, ...)); pages without a frame stay zero. */
static void copy_range(char *buf, unsigned long base, unsigned long from, unsigned long to)
{
	while (from < to) {
		unsigned long next = MIN(ALIGN_DOWN(from, PAGE_SIZE) + PAGE_SIZE, to);
		char *dst = buf + (from - base);
		struct pgtable_entry e;

		if (pgtable_query(&kernel_pgtable, from, &e) == 0 &&
		    probe_read(dst, phys_to_virt(pgtable_entry_phys(&e, from)), next - from))
			memset(dst, 0, next - from);
		from = next;
	}
}

__noinline
long vread(void *buf, const void *addr, unsigned long len)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long start = (unsigned long)addr, end, irq;
	const char *why = NULL;
	struct vmap_busy_iter it;
	struct vmap_area *va;

	if (!is_vmalloc_addr(addr))
		why = "not a vmalloc address";
	else if (!buf && len)
		why = "no buffer";
	if (WARN_CALL(why, "vread", RET_IP, "%p: %s", addr, why))
		return -EINVAL;
	len = MIN(len, VMALLOC_END - start);
	if (!len)
		return 0;
	end = start + len;
	memset(buf, 0, len);
	irq = vmap_lock_all(s);
	for (va = vmap_busy_first(&it, s, start); va && va->va_start < end;
	     va = vmap_busy_next(&it)) {
		if (area_is_readable(va))
			copy_range(buf, start, MAX(va->va_start, start), MIN(va->va_end, end));
	}
	vmap_unlock_all(s, irq);
	return (long)len;
}
