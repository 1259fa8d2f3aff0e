/*
 * ptdump: page tables as merged ranges, in the format of Linux's
 * /sys/kernel/debug/page_tables/kernel:
 *
 *   ---[ Direct map ]---
 *   0xffff888000000000-0xffff888000001000           4K     RW                 GLB NX pte
 *   0xffff888040000000-0xffff888080000000           1G     RW                 GLB NX pud
 *
 * Consecutive leaves merge into one line while they have the same
 * protection and level. Columns: range, size, RW/ro, cache mode (UC/WC,
 * blank for write-back), GLB (global), x/NX, level (pte, pmd, pud).
 */
#ifndef MM_PTDUMP_H
#define MM_PTDUMP_H

#include "mm/pgtable.h"

/* Receives each line of a dump, NUL-terminated, without its newline. */
typedef void (*ptdump_line_fn)(const char *line, void *arg);

/*
 * Dumps `pt` region by region of the kernel's layout (low half, direct
 * map, vmalloc, kernel image and the unused holes between them), a header
 * line per region, each line given to `out`.
 */
void ptdump(struct pgtable *pt, ptdump_line_fn out, void *arg);

/*
 * Dumps the leaves of [start, end) only (page-aligned, canonical, one
 * half; end 0 = the top), without region headers. Nothing for a range the
 * walker refuses.
 */
void ptdump_range(struct pgtable *pt, unsigned long start, unsigned long end,
		  ptdump_line_fn out, void *arg);

/* Prints the kernel's tables on the console (kernel command line `ptdump`). */
void ptdump_kernel(void);

#endif
