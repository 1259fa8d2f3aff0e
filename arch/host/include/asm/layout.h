/*
 * asm/layout.h of the host build (docs/host.md; the kernel's is
 * arch/x86_64/include/asm/layout.h). A user process cannot map anything
 * in the upper half, so the host places the two regions that mm/
 * dereferences in the lower half, keeping their sizes:
 *
 *   0x0000200000000000 - 0x000020ffffffffff    1 TiB  direct map = the simulated RAM
 *   0x0000210000000000 - 0x0000217fffffffff  512 GiB  unowned (tests map here)
 *   0x0000300000000000 - 0x00004fffffffffff   32 TiB  vmalloc / vmap / VM_SPARSE
 *   0x0000500000000000 - 0x0000507fffffffff  512 GiB  unowned (tests cross into it)
 *   0xffffffff80000000 - 0xffffffff9fffffff  512 MiB  kernel image (not mapped on the host)
 *
 * The direct map is RAM itself: one shared-memory file mapped there, file
 * offset = physical address (arch/host/physmem.c). Everything else in
 * the window [DIRECT_MAP_BASE, HOST_KERNEL_WINDOW_END) is mapped on
 * demand, the way a CPU fills its TLB: an access faults, the simulated
 * MMU walks the page tables mm/ built, and the page of RAM they name is
 * mapped at that address until the simulated TLB drops the translation
 * (INVLPG, CR3, CR4.PGE). See arch/host/pagefault.c.
 */
#ifndef ARCH_HOST_ASM_LAYOUT_H
#define ARCH_HOST_ASM_LAYOUT_H

#ifndef HOST_TSAN_LAYOUT
#define DIRECT_MAP_BASE 0x0000200000000000ul
#define DIRECT_MAP_SIZE (1ul << 40)
#define VMALLOC_START   0x0000300000000000ul
#define VMALLOC_END     0x0000500000000000ul    /* exclusive */
/* The end of the lower-half window the host machine owns (from DIRECT_MAP_BASE). */
#define HOST_KERNEL_WINDOW_END  (VMALLOC_END + (512ul << 30))
#else
/*
 * The ThreadSanitizer build (host.mk, flavour tsan): TSan gives shadow
 * memory to a few ranges only (its "application memory"), the lowest
 * being 4 KiB - 512 GiB, and the ones above are its own shadow and
 * metadata. So the two regions move there, smaller: a 64 GiB direct map
 * (every machine's RAM fits) and 256 GiB of vmalloc space.
 */
#define DIRECT_MAP_BASE 0x0000001000000000ul
#define DIRECT_MAP_SIZE (1ul << 36)
#define VMALLOC_START   0x0000003000000000ul
#define VMALLOC_END     0x0000007000000000ul    /* exclusive */
#define HOST_KERNEL_WINDOW_END  (VMALLOC_END + (16ul << 30))
#endif
#define KERNEL_VMA      0xffffffff80000000ul
#define KERNEL_IMAGE_END 0xffffffffa0000000ul   /* exclusive */

#endif
