/*
 * The physical memory map: which physical ranges are RAM the kernel may
 * use. Built once at boot from the firmware's map (the Multiboot2 BIOS map,
 * or the EFI map on UEFI boots) in three steps:
 *
 *   firmware  the map as the firmware gave it, sorted, in e820 types
 *   ram       usable RAM: usable entries minus every other entry that
 *             overlaps them (reserved wins), page-aligned inward
 *   usable    ram minus the reservations: the first MiB, the kernel image,
 *             the Multiboot2 info, boot modules and the early allocator's
 *             pages (bootmem_alloc)
 *
 * The page-frame allocator (mm/pfa) is seeded with `usable`; after that the
 * map is frozen and only read. All ranges are [start, end), end exclusive.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include "kernel/types.h"

#define MEMMAP_MAX_RANGES 128

/* e820 types (the BIOS values; EFI types are converted to these). */
enum memmap_type {
	MEMMAP_USABLE = 1,
	MEMMAP_RESERVED = 2,
	MEMMAP_ACPI = 3,
	MEMMAP_NVS = 4,
	MEMMAP_UNUSABLE = 5,
	MEMMAP_PERSISTENT = 7,
};

struct mem_range {
	phys_addr_t start;
	phys_addr_t end;        /* exclusive */
	u32 type;               /* enum memmap_type (firmware list) */
	const char *name;       /* what a reservation is for (reserved list) */
};

/*
 * A list of ranges sorted by start. The ram and usable lists never overlap
 * and never touch (touching ranges are merged); firmware entries of
 * different types may overlap, as the firmware gave them.
 */
struct mem_ranges {
	unsigned count;
	struct mem_range range[MEMMAP_MAX_RANGES];
};

/*
 * Builds the map from bootinfo(), prints the firmware map (e820 lines) and
 * reserves the boot ranges. Panics if no usable RAM is left: nothing could
 * run. The final map is printed by memmap_freeze().
 */
void memmap_init(void);

/* Prints the whole map: e820 lines, reservations, usable ranges, totals. */
void memmap_print(void);

/* The lists described above (valid after memmap_init()). */
const struct mem_ranges *memmap_firmware(void);
const struct mem_ranges *memmap_ram(void);
const struct mem_ranges *memmap_usable(void);
const struct mem_ranges *memmap_reserved(void);

/* Byte totals of the ram and usable lists. */
u64 memmap_ram_bytes(void);
u64 memmap_usable_bytes(void);

/* One past the last byte of RAM (0 if none). */
phys_addr_t memmap_ram_end(void);

/* True if the firmware map came from the EFI memory map. */
bool memmap_from_efi(void);

/* The e820 name of a type ("usable", "ACPI NVS", ...), or "unknown". */
const char *memmap_type_name(u32 type);

/*
 * Removes [start, end) (widened to whole pages) from the usable list and
 * records it as a reservation called `name`. Returns 0; -EINVAL for an
 * empty or wrapping range; -EBUSY once the page-frame allocator owns the
 * usable memory (after memmap_freeze()); -ENOSPC if the lists are full.
 */
int memmap_reserve(phys_addr_t start, phys_addr_t end, const char *name);

/*
 * The early boot allocator (memblock style), for what must exist before the
 * buddy allocator: `size` bytes (rounded up to pages) aligned to `align`
 * (a power of two, at least PAGE_SIZE), taken from the lowest usable memory
 * below 4 GiB, so the boot direct map covers it. The pages are reserved
 * (named "bootmem") and never reach the buddy. Returns the direct-map
 * address of the memory, not zeroed, or NULL if nothing fits or the buddy
 * allocator is already up (use alloc_pages() then).
 */
void *bootmem_alloc(size_t size, size_t align);

/*
 * Marks the map final and prints the reservations, the usable ranges and
 * the totals: called by pfa_init() once the buddy is seeded with them.
 */
void memmap_freeze(void);

/* True once memmap_freeze() has run. */
bool memmap_frozen(void);

#endif
