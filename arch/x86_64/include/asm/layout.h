/*
 * asm/layout.h for x86-64: where the kernel's regions sit in the virtual
 * address space (4-level paging, 48-bit; the same places as Linux x86-64).
 * mm/layout.h includes "asm/layout.h" and builds the address conversions
 * on it; the host build's own asm/layout.h (arch/host/include/asm,
 * docs/host.md) places the direct map where a user process can have one.
 */
#ifndef ARCH_X86_64_ASM_LAYOUT_H
#define ARCH_X86_64_ASM_LAYOUT_H

#define DIRECT_MAP_BASE 0xffff888000000000ul
#define DIRECT_MAP_SIZE (64ul << 40)
#define VMALLOC_START   0xffffc90000000000ul
#define VMALLOC_END     0xffffe90000000000ul    /* exclusive */
#define KERNEL_VMA      0xffffffff80000000ul
#define KERNEL_IMAGE_END 0xffffffffa0000000ul   /* exclusive */

#endif
