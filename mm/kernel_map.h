/*
 * The kernel's own address space: the direct map of all RAM and the
 * kernel image, W^X (mm/kernel_map.c, docs/pgtable.md).
 */
#ifndef MM_KERNEL_MAP_H
#define MM_KERNEL_MAP_H

/*
 * Prepares the CPU (arch_mmu_init()), builds the kernel's own tables in
 * kernel_pgtable and switches the CPU to them: every RAM range at
 * DIRECT_MAP_BASE + pa (read/write, NX; the frames of the image's text
 * and rodata read-only), the image at KERNEL_VMA W^X by section with the
 * boot stack's guard page left out, nothing in the lower half. Once, from
 * mm_init() after pfa_init(); panics only if the tables cannot be built.
 */
void kernel_map_init(void);

#endif
