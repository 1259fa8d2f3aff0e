/*
 * The early boot allocator: carves whole pages off the low end of the
 * usable map before the buddy allocator exists (for the struct page
 * arrays), and records them as reservations so the buddy never sees them.
 * Like the rest of the memory map it runs single-threaded at boot.
 */
#include "kernel/compiler.h"
#include "kernel/panic.h"
#include "mm/layout.h"
#include "mm/memmap.h"

/* The boot page tables map the first 4 GiB at DIRECT_MAP_BASE. */
#define BOOTMEM_LIMIT (4ull << 30)

__noinline
void *bootmem_alloc(size_t size, size_t align)
{
	const struct mem_ranges *u = memmap_usable();

	if (WARN_CALL(memmap_frozen(), "bootmem_alloc", RET_IP,
		      "called after the page allocator is up"))
		return NULL;
	if (WARN_CALL(!size || !IS_POWER_OF_2(align) || align < PAGE_SIZE, "bootmem_alloc",
		      RET_IP, "bad size %zu or alignment %zu", size, align))
		return NULL;
	size = ALIGN_UP(size, PAGE_SIZE);
	for (unsigned i = 0; i < u->count; i++) {
		phys_addr_t start = ALIGN_UP(u->range[i].start, align);
		phys_addr_t end = start + size;

		if (start < u->range[i].start || end > u->range[i].end || end > BOOTMEM_LIMIT)
			continue;
		if (memmap_reserve(start, end, "bootmem"))
			return NULL;
		return phys_to_virt(start);
	}
	return NULL;
}
