/*
 * kernel_map_init: the kernel's own page tables, built with the walker
 * from frames of the page-frame allocator, replacing the boot tables of
 * boot/entry.asm:
 *
 *   DIRECT_MAP_BASE + pa   every RAM range of memmap_ram(), read/write,
 *                          non-executable, global; in the largest leaves
 *                          that fit inside each range (1 GiB when the CPU
 *                          has them, 2 MiB, 4 KiB at unaligned edges), so
 *                          no hole between ranges (MMIO, firmware) is mapped;
 *                          the alias of the image's text and rodata is
 *                          read-only (4 KiB leaves around it)
 *   KERNEL_VMA + pa        the image in 4 KiB pages, W^X by section: text
 *                          RX, rodata R, data and bss RW (all but text NX),
 *                          minus the boot stack's guard page; the .boot
 *                          sections below _text are not mapped
 *
 * Nothing else: the identity map of the boot tables is gone after the
 * switch, so the lower half is empty and a NULL dereference faults.
 *
 * The allocator serves its lowest frames first, which the boot tables'
 * 4 GiB direct map reaches, so the new tables can be written before the
 * switch even on machines with more RAM. What the CPU needs before any of
 * this (control registers, cache modes, which leaf sizes exist) is the
 * architecture's arch_mmu_init(); everything here is portable.
 */
#include "mm/kernel_map.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/arch_mmu.h"
#include "mm/layout.h"
#include "mm/memmap.h"
#include "mm/pgtable.h"

/* Maps kernel addresses [start, end) of the image to their load address. */
static void map_image_part(const char *what, char *start, char *end, unsigned prot)
{
	unsigned long va = (unsigned long)start;
	int err;

	if (end <= start)
		return;
	err = pgtable_map_phys(&kernel_pgtable, va, va - KERNEL_VMA,
			       (unsigned long)(end - start), prot, 0);
	if (err)
		panic("paging: cannot map the kernel's %s: %d", what, err);
}

static void map_kernel_image(void)
{
	map_image_part("text", _text, _etext, PROT_KERNEL_RX);
	map_image_part("rodata", _rodata, _erodata, PROT_KERNEL_RO);
	map_image_part("data", _data, _edata, PROT_KERNEL_RW);
	/* Running off the bottom of the boot stack must fault, not hit .bss. */
	map_image_part("bss", _bss, boot_stack_guard, PROT_KERNEL_RW);
	map_image_part("bss", boot_stack_guard + PAGE_SIZE, _ebss, PROT_KERNEL_RW);
}

/* Maps physical [start, end) at DIRECT_MAP_BASE + start, if not empty. */
static void map_direct_part(phys_addr_t start, phys_addr_t end, unsigned prot)
{
	int err;

	if (end <= start)
		return;
	err = pgtable_map_phys(&kernel_pgtable, DIRECT_MAP_BASE + start, start, end - start,
			       prot, PGTABLE_HUGE);
	if (err)
		panic("paging: cannot map RAM 0x%llx-0x%llx: %d",
		      (unsigned long long)start, (unsigned long long)end, err);
}

/*
 * Every RAM range, read/write, but the frames of the image's text and
 * rodata (contiguous, page-aligned by linker.ld): read-only there too, so
 * they cannot be patched through their alias. Only the leaves around them
 * are 4 KiB; the rest of each range keeps its largest leaves.
 */
static void map_direct_map(void)
{
	const struct mem_ranges *ram = memmap_ram();
	phys_addr_t ro_start = virt_to_phys(_text), ro_end = virt_to_phys(_erodata);

	for (unsigned i = 0; i < ram->count; i++) {
		phys_addr_t start = ram->range[i].start, end = ram->range[i].end;
		phys_addr_t ro_lo = MIN(MAX(ro_start, start), end);
		phys_addr_t ro_hi = MIN(MAX(ro_end, start), end);

		map_direct_part(start, ro_lo, PROT_KERNEL_RW);
		map_direct_part(ro_lo, ro_hi, PROT_KERNEL_RO);
		map_direct_part(ro_hi, end, PROT_KERNEL_RW);
	}
}

/* Leaves of each size in the direct map, for the boot line. */
static int count_leaf(const struct pgtable_entry *e, void *arg)
{
	unsigned long *leaves = arg;

	if (e->leaf)
		leaves[e->level]++;
	return 0;
}

static void print_summary(void)
{
	unsigned long leaves[ARCH_PT_LEVELS] = { 0 };

	pgtable_walk(&kernel_pgtable, DIRECT_MAP_BASE, DIRECT_MAP_BASE + DIRECT_MAP_SIZE,
		     count_leaf, leaves);
	printk("paging: direct map of %llu MiB RAM: %lu x 1G, %lu x 2M, %lu x 4K leaves "
	       "(1 GiB pages: %s)\n", (unsigned long long)(memmap_ram_bytes() >> 20),
	       leaves[PT_LEVEL_PUD], leaves[PT_LEVEL_PMD], leaves[PT_LEVEL_PTE],
	       arch_level_has_huge(PT_LEVEL_PUD) ? "yes" : "no");
	printk("paging: kernel image W^X: text RX %p-%p, rodata R %p-%p, data+bss RW %p-%p\n",
	       _text, _etext, _rodata, _erodata, _data, _ebss);
	printk("paging: %lu page-table pages, root at 0x%llx; identity map removed\n",
	       pgtable_nr_tables(&kernel_pgtable),
	       (unsigned long long)kernel_pgtable.root_phys);
}

void kernel_map_init(void)
{
	arch_mmu_init();
	if (pgtable_init(&kernel_pgtable))
		panic("paging: no memory for the kernel's root page table");
	map_direct_map();
	map_kernel_image();
	pgtable_load(&kernel_pgtable);
	print_summary();
}
