/*
 * The physical memory map: firmware map -> RAM -> usable (see memmap.h).
 *
 * Everything here runs once, single-threaded, before the page-frame
 * allocator exists, and the lists are only read after memmap_freeze();
 * so there is no lock. The lists are small sorted arrays; every operation
 * is a linear pass, which is plenty for a few dozen ranges.
 */
#include "mm/memmap.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/layout.h"
#include "mm/page.h"

#define FIRST_MIB       0x100000ull
#define PHYS_LIMIT      ((phys_addr_t)MAX_PHYS_PFN << PAGE_SHIFT)

/* EFI memory descriptor (UEFI specification 2.10, section 7.2, GetMemoryMap). */
struct efi_memory_desc {
	u32 type;
	u32 pad;
	u64 phys_start;
	u64 virt_start;
	u64 num_pages;
	u64 attribute;
};

#define EFI_MEMORY_RUNTIME (1ull << 63)

enum efi_memory_type {
	EFI_RESERVED, EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BOOT_SERVICES_CODE,
	EFI_BOOT_SERVICES_DATA, EFI_RUNTIME_SERVICES_CODE, EFI_RUNTIME_SERVICES_DATA,
	EFI_CONVENTIONAL, EFI_UNUSABLE, EFI_ACPI_RECLAIM, EFI_ACPI_NVS, EFI_MMIO,
	EFI_MMIO_PORT_SPACE, EFI_PAL_CODE, EFI_PERSISTENT,
};

static struct mem_ranges firmware, ram, usable, reserved;
static bool from_efi, frozen;

const struct mem_ranges *memmap_firmware(void) { return &firmware; }
const struct mem_ranges *memmap_ram(void) { return &ram; }
const struct mem_ranges *memmap_usable(void) { return &usable; }
const struct mem_ranges *memmap_reserved(void) { return &reserved; }
bool memmap_from_efi(void) { return from_efi; }
bool memmap_frozen(void) { return frozen; }

const char *memmap_type_name(u32 type)
{
	switch (type) {
	case MEMMAP_USABLE: return "usable";
	case MEMMAP_RESERVED: return "reserved";
	case MEMMAP_ACPI: return "ACPI data";
	case MEMMAP_NVS: return "ACPI NVS";
	case MEMMAP_UNUSABLE: return "unusable";
	case MEMMAP_PERSISTENT: return "persistent (type 7)";
	}
	return "unknown";
}

/* --- sorted range lists ------------------------------------------------ */

static u64 ranges_bytes(const struct mem_ranges *rs)
{
	u64 sum = 0;

	for (unsigned i = 0; i < rs->count; i++)
		sum += rs->range[i].end - rs->range[i].start;
	return sum;
}

static void ranges_delete_at(struct mem_ranges *rs, unsigned i)
{
	memmove(&rs->range[i], &rs->range[i + 1], (rs->count - i - 1) * sizeof(rs->range[0]));
	rs->count--;
}

static int ranges_insert_at(struct mem_ranges *rs, unsigned i, struct mem_range r)
{
	if (rs->count == MEMMAP_MAX_RANGES)
		return -ENOSPC;
	memmove(&rs->range[i + 1], &rs->range[i], (rs->count - i) * sizeof(rs->range[0]));
	rs->range[i] = r;
	rs->count++;
	return 0;
}

/* Two neighbours become one if they touch or overlap and say the same thing. */
static bool ranges_mergeable(const struct mem_range *a, const struct mem_range *b)
{
	return a->end >= b->start && a->type == b->type && a->name == b->name;
}

/* Inserts `r` in start order, merging it with neighbours it touches. */
static int ranges_add(struct mem_ranges *rs, struct mem_range r)
{
	unsigned i = 0;

	while (i < rs->count && rs->range[i].start <= r.start)
		i++;
	if (ranges_insert_at(rs, i, r))
		return -ENOSPC;
	while (i > 0 && ranges_mergeable(&rs->range[i - 1], &rs->range[i])) {
		rs->range[i - 1].end = MAX(rs->range[i - 1].end, rs->range[i].end);
		ranges_delete_at(rs, i--);
	}
	while (i + 1 < rs->count && ranges_mergeable(&rs->range[i], &rs->range[i + 1])) {
		rs->range[i].end = MAX(rs->range[i].end, rs->range[i + 1].end);
		ranges_delete_at(rs, i + 1);
	}
	return 0;
}

/*
 * Cuts [start, end) out of every range. A cut in the middle splits a range
 * in two; if the list is full the smaller piece is dropped too (losing
 * memory is safe, handing out reserved memory is not).
 */
static void ranges_remove(struct mem_ranges *rs, phys_addr_t start, phys_addr_t end)
{
	for (unsigned i = 0; i < rs->count; i++) {
		struct mem_range *r = &rs->range[i];

		if (r->end <= start || r->start >= end)
			continue;
		if (r->start >= start && r->end <= end) {
			ranges_delete_at(rs, i--);
		} else if (r->start < start && r->end > end) {
			struct mem_range tail = *r;

			tail.start = end;
			r->end = start;
			if (ranges_insert_at(rs, i + 1, tail) &&
			    WARN(1, "memmap: range list full, dropping [mem 0x%llx-0x%llx]",
				 (unsigned long long)end, (unsigned long long)tail.end - 1))
				return;
			i++;
		} else if (r->start < start) {
			r->end = start;
		} else {
			r->start = end;
		}
	}
}

/* Shrinks every range to whole pages and drops the ones left empty. */
static void ranges_align_inward(struct mem_ranges *rs)
{
	for (unsigned i = 0; i < rs->count; i++) {
		struct mem_range *r = &rs->range[i];

		r->start = ALIGN_UP(r->start, PAGE_SIZE);
		r->end = ALIGN_DOWN(r->end, PAGE_SIZE);
		if (r->end <= r->start)
			ranges_delete_at(rs, i--);
	}
}

/* --- reading the firmware map ------------------------------------------ */

static void firmware_add(u64 base, u64 length, u32 type)
{
	if (!length || base + length < base)
		return;
	if (ranges_add(&firmware, (struct mem_range){ base, base + length, type, NULL }))
		WARN(1, "memmap: firmware map has more than %d ranges, ignoring [mem 0x%llx-0x%llx]",
		     MEMMAP_MAX_RANGES, (unsigned long long)base,
		     (unsigned long long)(base + length - 1));
}

/* Usable once the kernel runs: conventional, loader and boot-services memory. */
static u32 efi_to_e820(const struct efi_memory_desc *d)
{
	if (d->attribute & EFI_MEMORY_RUNTIME)
		return MEMMAP_RESERVED;
	switch (d->type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL:
		return MEMMAP_USABLE;
	case EFI_UNUSABLE: return MEMMAP_UNUSABLE;
	case EFI_ACPI_RECLAIM: return MEMMAP_ACPI;
	case EFI_ACPI_NVS: return MEMMAP_NVS;
	case EFI_PERSISTENT: return MEMMAP_PERSISTENT;
	}
	return MEMMAP_RESERVED;
}

static void firmware_read_efi(const struct boot_info *bi)
{
	const u8 *p = bi->efi_mmap;

	for (u32 off = 0; off + sizeof(struct efi_memory_desc) <= bi->efi_mmap_size;
	     off += bi->efi_desc_size) {
		const struct efi_memory_desc *d = (const void *)(p + off);

		firmware_add(d->phys_start, d->num_pages << PAGE_SHIFT, efi_to_e820(d));
	}
}

static void firmware_read(void)
{
	const struct boot_info *bi = bootinfo();

	from_efi = bi->efi_mmap && bi->efi_desc_size >= sizeof(struct efi_memory_desc);
	if (from_efi) {
		firmware_read_efi(bi);
		return;
	}
	for (unsigned i = 0; i < bi->mmap_count; i++)
		firmware_add(bi->mmap[i].base, bi->mmap[i].length, bi->mmap[i].type);
}

/* RAM: the union of usable entries minus every other entry, whole pages. */
static void ram_build(void)
{
	for (unsigned i = 0; i < firmware.count; i++) {
		struct mem_range r = firmware.range[i];

		if (r.type == MEMMAP_USABLE && ranges_add(&ram, r))
			WARN(1, "memmap: too many RAM ranges, ignoring [mem 0x%llx-0x%llx]",
			     (unsigned long long)r.start, (unsigned long long)r.end - 1);
	}
	for (unsigned i = 0; i < firmware.count; i++) {
		const struct mem_range *r = &firmware.range[i];

		if (r->type != MEMMAP_USABLE)
			ranges_remove(&ram, ALIGN_DOWN(r->start, PAGE_SIZE),
				      ALIGN_UP(r->end, PAGE_SIZE));
	}
	ranges_remove(&ram, PHYS_LIMIT, ~0ull);
	ranges_align_inward(&ram);
}

/* --- reservations ------------------------------------------------------- */

__noinline
int memmap_reserve(phys_addr_t start, phys_addr_t end, const char *name)
{
	phys_addr_t s = ALIGN_DOWN(start, PAGE_SIZE);
	phys_addr_t e = ALIGN_UP(end, PAGE_SIZE);

	if (WARN_CALL(frozen, "memmap_reserve", RET_IP,
		      "[mem 0x%llx-0x%llx] after the page allocator took over",
		      (unsigned long long)start, (unsigned long long)end - 1))
		return -EBUSY;
	if (WARN_CALL(end <= start || e < end, "memmap_reserve", RET_IP,
		      "bad range 0x%llx-0x%llx", (unsigned long long)start,
		      (unsigned long long)end))
		return -EINVAL;
	if (WARN_CALL(ranges_add(&reserved, (struct mem_range){ s, e, MEMMAP_RESERVED, name }),
		      "memmap_reserve", RET_IP, "more than %d reservations",
		      MEMMAP_MAX_RANGES))
		return -ENOSPC;
	ranges_remove(&usable, s, e);
	return 0;
}

static void reserve_boot_ranges(void)
{
	const struct boot_info *bi = bootinfo();

	usable = ram;
	memmap_reserve(0, FIRST_MIB, "first MiB");
	memmap_reserve((phys_addr_t)_kernel_phys_start, (phys_addr_t)_kernel_phys_end,
		       "kernel image");
	memmap_reserve(bi->info_start, bi->info_end, "multiboot2 info");
	for (unsigned i = 0; i < bi->module_count; i++)
		if (bi->modules[i].end > bi->modules[i].start)
			memmap_reserve(bi->modules[i].start, bi->modules[i].end, "boot module");
}

/* --- totals and printing ------------------------------------------------ */

u64 memmap_ram_bytes(void) { return ranges_bytes(&ram); }
u64 memmap_usable_bytes(void) { return ranges_bytes(&usable); }

phys_addr_t memmap_ram_end(void)
{
	return ram.count ? ram.range[ram.count - 1].end : 0;
}

static void print_range(const char *prefix, const struct mem_range *r, const char *what)
{
	printk("%s [mem 0x%016llx-0x%016llx] %s\n", prefix, (unsigned long long)r->start,
	       (unsigned long long)r->end - 1, what);
}

static void print_firmware_map(void)
{
	printk("%s-provided physical RAM map:\n", from_efi ? "EFI" : "BIOS");
	for (unsigned i = 0; i < firmware.count; i++)
		print_range("BIOS-e820:", &firmware.range[i],
			    memmap_type_name(firmware.range[i].type));
}

static void print_final_map(void)
{
	for (unsigned i = 0; i < reserved.count; i++)
		print_range("memmap: reserve", &reserved.range[i], reserved.range[i].name);
	printk("usable physical RAM map:\n");
	for (unsigned i = 0; i < usable.count; i++)
		print_range("usable:", &usable.range[i], "usable");
	printk("memmap: %llu KiB RAM in %u ranges, %llu KiB usable in %u ranges, "
	       "%llu KiB reserved\n",
	       (unsigned long long)(memmap_ram_bytes() >> 10), ram.count,
	       (unsigned long long)(memmap_usable_bytes() >> 10), usable.count,
	       (unsigned long long)((memmap_ram_bytes() - memmap_usable_bytes()) >> 10));
}

void memmap_print(void)
{
	print_firmware_map();
	print_final_map();
}

/* The usable map is final: the buddy allocator owns it from now on. */
void memmap_freeze(void)
{
	frozen = true;
	print_final_map();
}

void memmap_init(void)
{
	firmware_read();
	ram_build();
	print_firmware_map();
	reserve_boot_ranges();
	if (!usable.count)
		panic("memmap: no usable RAM left after the reservations");
}
