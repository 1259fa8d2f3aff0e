/*
 * Page-frame allocator start-up: the sparse section table, one struct page
 * array per 128 MiB section that holds RAM (from the early boot allocator,
 * so below 4 GiB where the boot direct map reaches), and the first fill of
 * the free lists from the usable memory map.
 */
#include "mm/pfa_internal.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/memmap.h"

struct page **mem_section;
unsigned long nr_mem_sections;

#define SECTION_MAP_BYTES (PAGES_PER_SECTION * sizeof(struct page))

/* Every frame of a new section starts reserved; the usable ones are freed later. */
static void section_init(unsigned long sec, struct page *map)
{
	unsigned long base = sec << PFN_SECTION_SHIFT;

	for (unsigned long i = 0; i < PAGES_PER_SECTION; i++)
		map[i] = (struct page){ .pfn = (u32)(base + i), .state = PAGE_RESERVED };
	mem_section[sec] = map;
	pfa.present_pages += PAGES_PER_SECTION;
	pfa.metadata_bytes += SECTION_MAP_BYTES;
}

/* Gives every section that holds RAM (reserved RAM included) its array. */
static void sections_populate(const struct mem_ranges *ram)
{
	for (unsigned i = 0; i < ram->count; i++) {
		unsigned long first = (ram->range[i].start >> PAGE_SHIFT) >> PFN_SECTION_SHIFT;
		unsigned long last = ((ram->range[i].end >> PAGE_SHIFT) - 1) >> PFN_SECTION_SHIFT;

		for (unsigned long sec = first; sec <= last; sec++) {
			struct page *map;

			if (mem_section[sec])
				continue;
			map = bootmem_alloc(SECTION_MAP_BYTES, PAGE_SIZE);
			if (!map)
				panic("pfa: no memory below 4 GiB for the struct pages of section %lu",
				      sec);
			section_init(sec, map);
		}
	}
}

static void sections_alloc(void)
{
	unsigned long max_pfn = memmap_ram_end() >> PAGE_SHIFT;
	size_t table_bytes;

	nr_mem_sections = (max_pfn + PAGES_PER_SECTION - 1) >> PFN_SECTION_SHIFT;
	table_bytes = nr_mem_sections * sizeof(mem_section[0]);
	mem_section = bootmem_alloc(table_bytes, PAGE_SIZE);
	if (!mem_section)
		panic("pfa: no memory for the section table (%zu bytes)", table_bytes);
	memset(mem_section, 0, table_bytes);
	pfa.metadata_bytes += ALIGN_UP(table_bytes, PAGE_SIZE);
	sections_populate(memmap_ram());
}

/*
 * Frees [pfn, end) into the lists as the largest naturally aligned blocks
 * that fit, lowest first and each at the tail of its list, so allocations
 * are served from low memory first (the boot direct map covers it).
 */
static void seed_range(unsigned long pfn, unsigned long end)
{
	while (pfn < end) {
		unsigned order = MAX_ORDER;
		struct page *head = pfn_to_page(pfn);

		while (order && (!IS_ALIGNED(pfn, 1ul << order) || pfn + (1ul << order) > end))
			order--;
		for (unsigned long i = 1; i < (1ul << order); i++)
			head[i].state = PAGE_TAIL;
		head->state = PAGE_FREE;
		head->order = order;
		page_list_add_tail(&pfa.area[order].list, head);
		pfa.area[order].nr_free++;
		pfa.free_pages += 1ul << order;
		pfn += 1ul << order;
	}
}

static void print_metadata(void)
{
	unsigned long sections = pfa.present_pages / PAGES_PER_SECTION;

	printk("pfa: struct page is %zu bytes per 4 KiB frame; %lu of %lu sections of "
	       "%lu MiB present, metadata %lu KiB\n",
	       sizeof(struct page), sections, nr_mem_sections, (1ul << SECTION_SHIFT) >> 20,
	       pfa.metadata_bytes >> 10);
}

void pfa_init(void)
{
	const struct mem_ranges *usable = memmap_usable();

	sections_alloc();
	pcp_init();
	/* Nobody can call alloc_pages() yet: the lists are filled without the lock. */
	for (unsigned i = 0; i < usable->count; i++)
		seed_range(usable->range[i].start >> PAGE_SHIFT,
			   usable->range[i].end >> PAGE_SHIFT);
	pfa.total_pages = pfa.free_pages;
	pfa.reserved_pages = memmap_ram_bytes() / PAGE_SIZE - pfa.total_pages;
	memmap_freeze();
	print_metadata();
	pfa_print();
}
