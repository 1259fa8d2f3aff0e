/*
 * `mmdemo` on the kernel command line: a few areas of every kind are made
 * and left in place (the walk-through of docs/walkthrough.md), then the
 * kernel prints its own view of them: vmallocinfo, buddyinfo, one
 * translation and one struct page per demo address, the page tables
 * (ptdump), and with `picture` also the dump `make picture` draws
 * (kernel/mm_picture.h). It ends with the line "mmdemo: done". The GDB
 * commands of scripts/gdb/mm.py are checked against these lines.
 */
#ifndef KERNEL_MM_DEMO_H
#define KERNEL_MM_DEMO_H

/* Makes the demo areas and prints the state. Once, from kmain, after mm_init(). */
void mm_demo_run(void);

#endif
