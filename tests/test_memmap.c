/*
 * The physical memory map (mm/memmap) and the early boot allocator: the
 * lists are sorted, aligned and disjoint, RAM matches an independent
 * reference computed from the firmware map, the boot reservations are out
 * of the usable memory and out of the buddy allocator.
 */
#include "tests/ktest.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "mm/memmap.h"
#include "mm/pfa.h"

#define FOUR_GIB (4ull << 30)

static bool overlaps(phys_addr_t a, phys_addr_t a_end, phys_addr_t b, phys_addr_t b_end)
{
	return a < b_end && b < a_end;
}

static bool usable_intersects(phys_addr_t start, phys_addr_t end)
{
	const struct mem_ranges *u = memmap_usable();

	for (unsigned i = 0; i < u->count; i++)
		if (overlaps(u->range[i].start, u->range[i].end, start, end))
			return true;
	return false;
}

/* Sorted, page-aligned, non-empty, and neither overlapping nor touching. */
static void check_clean_list(struct ktest *t, const struct mem_ranges *rs)
{
	for (unsigned i = 0; i < rs->count; i++) {
		const struct mem_range *r = &rs->range[i];

		EXPECT_EQ(t, r->start % PAGE_SIZE, 0);
		EXPECT_EQ(t, r->end % PAGE_SIZE, 0);
		EXPECT_ULT(t, r->start, r->end);
		if (i)
			EXPECT_ULT(t, rs->range[i - 1].end, r->start);
	}
}

static void ram_and_usable_lists_are_clean(struct ktest *t)
{
	ASSERT_GT(t, memmap_ram()->count, 0);
	ASSERT_GT(t, memmap_usable()->count, 0);
	check_clean_list(t, memmap_ram());
	check_clean_list(t, memmap_usable());
}

static void firmware_map_is_sorted_and_faithful(struct ktest *t)
{
	const struct mem_ranges *fw = memmap_firmware();
	const struct boot_info *bi = bootinfo();

	ASSERT_GT(t, fw->count, 0);
	for (unsigned i = 0; i < fw->count; i++) {
		EXPECT_ULT(t, fw->range[i].start, fw->range[i].end);
		if (i)
			EXPECT_ULE(t, fw->range[i - 1].start, fw->range[i].start);
	}
	if (memmap_from_efi())
		return;         /* the EFI conversion is checked by the RAM reference */
	for (unsigned i = 0; i < bi->mmap_count; i++) {
		const struct boot_mem_range *b = &bi->mmap[i];
		bool covered = !b->length;

		for (unsigned j = 0; j < fw->count && !covered; j++)
			covered = fw->range[j].type == b->type && fw->range[j].start <= b->base &&
				  fw->range[j].end >= b->base + b->length;
		if (!covered)
			KTEST_FAIL(t, "BIOS entry 0x%llx+0x%llx type %u is not in the map",
				   (unsigned long long)b->base, (unsigned long long)b->length, b->type);
	}
}

/* --- an independent model of "RAM" -------------------------------------- */

/*
 * The reference cuts the address space at every firmware boundary; an
 * elementary interval is RAM if a usable entry covers it and no other entry
 * touches it. A page is RAM if it lies wholly inside a run of RAM intervals.
 */
struct bounds {
	phys_addr_t at[2 * MEMMAP_MAX_RANGES];
	unsigned n;
};

static void bounds_collect(struct bounds *b, const struct mem_ranges *fw)
{
	b->n = 0;
	for (unsigned i = 0; i < fw->count; i++) {
		b->at[b->n++] = fw->range[i].start;
		b->at[b->n++] = fw->range[i].end;
	}
	for (unsigned i = 1; i < b->n; i++)
		for (unsigned j = i; j > 0 && b->at[j - 1] > b->at[j]; j--) {
			phys_addr_t x = b->at[j];

			b->at[j] = b->at[j - 1];
			b->at[j - 1] = x;
		}
}

static bool interval_is_ram(const struct mem_ranges *fw, phys_addr_t s, phys_addr_t e)
{
	bool usable = false;

	for (unsigned i = 0; i < fw->count; i++) {
		const struct mem_range *r = &fw->range[i];

		if (r->type == MEMMAP_USABLE && r->start <= s && r->end >= e)
			usable = true;
		if (r->type != MEMMAP_USABLE && overlaps(r->start, r->end, s, e))
			return false;
	}
	return usable;
}

/* Compares one reference run with the next RAM range; returns the next index. */
static unsigned match_run(struct ktest *t, phys_addr_t s, phys_addr_t e, unsigned k)
{
	const struct mem_ranges *ram = memmap_ram();

	s = ALIGN_UP(s, PAGE_SIZE);
	e = ALIGN_DOWN(e, PAGE_SIZE);
	if (s >= e)
		return k;
	if (k >= ram->count || ram->range[k].start != s || ram->range[k].end != e)
		KTEST_FAIL(t, "reference RAM [0x%llx-0x%llx) is not memmap RAM range %u",
			   (unsigned long long)s, (unsigned long long)e, k);
	return k + 1;
}

static void ram_matches_reference_model(struct ktest *t)
{
	static struct bounds b;
	const struct mem_ranges *fw = memmap_firmware();
	phys_addr_t run = 0;
	bool in_run = false;
	unsigned k = 0;

	bounds_collect(&b, fw);
	for (unsigned i = 0; i + 1 < b.n; i++) {
		phys_addr_t s = b.at[i], e = b.at[i + 1];
		bool ram = s < e && interval_is_ram(fw, s, e);

		if (s == e)
			continue;
		if (ram && !in_run)
			run = s;
		if (!ram && in_run)
			k = match_run(t, run, s, k);
		in_run = ram;
	}
	if (in_run)
		k = match_run(t, run, b.at[b.n - 1], k);
	EXPECT_EQ(t, k, memmap_ram()->count);
}

/* --- reservations ---------------------------------------------------------- */

static bool reservation_named(const char *name, phys_addr_t start, phys_addr_t end)
{
	const struct mem_ranges *rs = memmap_reserved();

	for (unsigned i = 0; i < rs->count; i++)
		if (rs->range[i].name && !strcmp(rs->range[i].name, name) &&
		    rs->range[i].start <= start && rs->range[i].end >= end)
			return true;
	return false;
}

/* Every RAM frame of [start, end) must be reserved in the page allocator. */
static void expect_frames_reserved(struct ktest *t, phys_addr_t start, phys_addr_t end)
{
	for (phys_addr_t pa = ALIGN_DOWN(start, PAGE_SIZE); pa < end; pa += PAGE_SIZE) {
		struct page *page = phys_to_page(pa);

		if (page && page_state(page) != PAGE_RESERVED) {
			KTEST_FAIL(t, "frame 0x%llx is %s, not reserved", (unsigned long long)pa,
				   page_state_name(page_state(page)));
			return;
		}
	}
}

static void expect_excluded(struct ktest *t, const char *name, phys_addr_t s, phys_addr_t e)
{
	EXPECT_FALSE(t, usable_intersects(s, e));
	EXPECT_TRUE(t, reservation_named(name, s, e));
	expect_frames_reserved(t, s, e);
}

static void boot_ranges_are_excluded(struct ktest *t)
{
	const struct boot_info *bi = bootinfo();

	expect_excluded(t, "first MiB", 0, 0x100000);
	expect_excluded(t, "kernel image", (phys_addr_t)_kernel_phys_start,
			(phys_addr_t)_kernel_phys_end);
	expect_excluded(t, "multiboot2 info", bi->info_start, bi->info_end);
	for (unsigned i = 0; i < bi->module_count; i++)
		expect_excluded(t, "boot module", bi->modules[i].start, bi->modules[i].end);
}

/* Bytes of RAM covered by the union of the (start-sorted) reservations. */
static u64 reserved_ram_bytes(void)
{
	const struct mem_ranges *rs = memmap_reserved(), *ram = memmap_ram();
	phys_addr_t covered_to = 0;
	u64 sum = 0;

	for (unsigned i = 0; i < rs->count; i++) {
		phys_addr_t s = MAX(rs->range[i].start, covered_to), e = rs->range[i].end;

		for (unsigned j = 0; j < ram->count && s < e; j++) {
			phys_addr_t a = MAX(s, ram->range[j].start), b = MIN(e, ram->range[j].end);

			if (a < b)
				sum += b - a;
		}
		covered_to = MAX(covered_to, e);
	}
	return sum;
}

static void totals_add_up(struct ktest *t)
{
	const struct mem_ranges *u = memmap_usable(), *ram = memmap_ram();

	for (unsigned i = 0; i < u->count; i++) {
		bool inside = false;

		for (unsigned j = 0; j < ram->count; j++)
			inside |= ram->range[j].start <= u->range[i].start &&
				  ram->range[j].end >= u->range[i].end;
		EXPECT_TRUE(t, inside);
	}
	EXPECT_EQ(t, memmap_ram_bytes() - memmap_usable_bytes(), reserved_ram_bytes());
	EXPECT_EQ(t, memmap_usable_bytes() / PAGE_SIZE, pfa_total_pages());
	EXPECT_EQ(t, memmap_ram_end(), ram->range[ram->count - 1].end);
}

static void bootmem_pages_are_kept_from_the_buddy(struct ktest *t)
{
	const struct mem_ranges *rs = memmap_reserved();
	phys_addr_t table = virt_to_phys(mem_section);
	unsigned found = 0;

	for (unsigned i = 0; i < rs->count; i++) {
		const struct mem_range *r = &rs->range[i];

		if (!r->name || strcmp(r->name, "bootmem"))
			continue;
		found++;
		EXPECT_ULE(t, r->end, FOUR_GIB);
		EXPECT_FALSE(t, usable_intersects(r->start, r->end));
		expect_frames_reserved(t, r->start, r->end);
	}
	EXPECT_GT(t, found, 0);
	EXPECT_TRUE(t, reservation_named("bootmem", table, table + PAGE_SIZE));
	for (unsigned long sec = 0; sec < nr_mem_sections; sec++) {
		phys_addr_t map = mem_section[sec] ? virt_to_phys(mem_section[sec]) : 0;

		if (map && !reservation_named("bootmem", map,
					       map + PAGES_PER_SECTION * sizeof(struct page)))
			KTEST_FAIL(t, "struct page array of section %lu is outside bootmem", sec);
	}
}

#define EXPECT_ONE_WARNING(t, op, what) do {                                    \
	struct ktest_capture __cap;                                             \
	char __buf[512];                                                        \
	ktest_capture_start(&__cap, __buf, sizeof(__buf), true);                \
	op;                                                                     \
	EXPECT_EQ(t, ktest_capture_stop(&__cap), 1);                            \
	EXPECT_TRUE(t, ktest_contains(__buf, what));                            \
	EXPECT_TRUE(t, ktest_contains(__buf, "early_allocation_is_closed"));    \
} while (0)

static void early_allocation_is_closed_after_boot(struct ktest *t)
{
	unsigned long free_before = pfa_free_pages();
	void *p = (void *)1;
	int err = 0;

	EXPECT_TRUE(t, memmap_frozen());
	EXPECT_ONE_WARNING(t, p = bootmem_alloc(PAGE_SIZE, PAGE_SIZE), "bootmem_alloc");
	EXPECT_NULL(t, p);
	EXPECT_ONE_WARNING(t, err = memmap_reserve(0x200000, 0x201000, "test"), "memmap_reserve");
	EXPECT_EQ(t, err, -EBUSY);
	EXPECT_FALSE(t, reservation_named("test", 0x200000, 0x201000));
	EXPECT_EQ(t, pfa_free_pages(), free_before);
}

static void e820_lines_have_linux_format(struct ktest *t)
{
	static char buf[8192];
	const struct mem_range *r = &memmap_firmware()->range[0];
	struct ktest_capture cap;
	char want[96];
	unsigned lines, e820 = 0;

	ktest_capture_start(&cap, buf, sizeof(buf), true);
	memmap_print();
	lines = ktest_capture_stop(&cap);
	for (const char *p = buf; (p = strchr(p, '\n')); p++)
		e820 += !strncmp(p + 1, "BIOS-e820: [mem 0x", 18);
	e820 += !strncmp(buf, "BIOS-e820: [mem 0x", 18);
	EXPECT_EQ(t, e820, memmap_firmware()->count);
	EXPECT_GT(t, lines, e820 + memmap_usable()->count);
	snprintf(want, sizeof(want), "BIOS-e820: [mem 0x%016llx-0x%016llx] %s\n",
		 (unsigned long long)r->start, (unsigned long long)r->end - 1,
		 memmap_type_name(r->type));
	EXPECT_TRUE(t, ktest_contains(buf, want));
	EXPECT_TRUE(t, ktest_contains(buf, "KiB usable"));
}

static void memory_above_4g_is_found(struct ktest *t)
{
	const struct mem_ranges *fw = memmap_firmware(), *ram = memmap_ram();
	u64 fw_high = 0, ram_high = 0;

	for (unsigned i = 0; i < fw->count; i++)
		if (fw->range[i].type == MEMMAP_USABLE && fw->range[i].end > FOUR_GIB)
			fw_high += fw->range[i].end - MAX(fw->range[i].start, FOUR_GIB);
	if (!fw_high)
		ktest_skip(t, "the firmware reports no RAM above 4 GiB (boot with --mem 6G)");
	for (unsigned i = 0; i < ram->count; i++)
		if (ram->range[i].end > FOUR_GIB)
			ram_high += ram->range[i].end - MAX(ram->range[i].start, FOUR_GIB);
	EXPECT_GT(t, ram_high, 0);
	EXPECT_ULE(t, ram_high, fw_high);
	EXPECT_UGE(t, ram_high + (1ull << 20), fw_high);       /* only alignment lost */
	EXPECT_NOT_NULL(t, phys_to_page(memmap_ram_end() - 1));
	ktest_log(t, "%llu MiB of RAM above 4 GiB", (unsigned long long)(ram_high >> 20));
}

static const struct ktest_case memmap_cases[] = {
	KTEST_CASE(firmware_map_is_sorted_and_faithful),
	KTEST_CASE(ram_and_usable_lists_are_clean),
	KTEST_CASE(ram_matches_reference_model),
	KTEST_CASE(boot_ranges_are_excluded),
	KTEST_CASE(totals_add_up),
	KTEST_CASE(bootmem_pages_are_kept_from_the_buddy),
	KTEST_CASE(early_allocation_is_closed_after_boot),
	KTEST_CASE(e820_lines_have_linux_format),
	KTEST_CASE(memory_above_4g_is_found),
	{}
};

KTEST_SUITE(memmap, memmap_cases);
