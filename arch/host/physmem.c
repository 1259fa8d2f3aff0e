/*
 * The host machine's RAM, its firmware map and the snapshot of its state
 * (see host/machine.h).
 *
 * RAM is one memfd: file offset = physical address. Each usable range of
 * the map is mapped at DIRECT_MAP_BASE + its start, so phys_to_virt()
 * of mm/layout.h gives a working host pointer for every RAM frame, and an
 * address in a hole of the map faults, as in the kernel (nothing else of
 * the process lives near DIRECT_MAP_BASE; mappings are made with
 * MAP_FIXED_NOREPLACE, so a clash would stop the run). The same file is
 * what arch/host/pagefault.c maps at vmalloc addresses. The boot
 * information mm/memmap.c reads is built here, BIOS style, as GRUB hands
 * it over on QEMU.
 */
#define _GNU_SOURCE             /* memfd_create, MAP_FIXED_NOREPLACE */
#include "arch/host/internal.h"
#include "kernel/cmdline.h"
#include "kernel/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "mm/layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define KIB(x) ((u64)(x) << 10)
#define MIB(x) ((u64)(x) << 20)
#define GIB(x) ((u64)(x) << 30)

/* QEMU's e820 maps (SeaBIOS), as the kernel's boot logs print them. */
#define LOW_RAM_AND_BIOS                                                        \
	{ 0, 0x9fc00, BOOT_MEM_AVAILABLE },                                      \
	{ 0x9fc00, 0x400, BOOT_MEM_RESERVED },                                   \
	{ 0xf0000, 0x10000, BOOT_MEM_RESERVED }
#define HIGH_FIRMWARE                                                           \
	{ 0xfffc0000, KIB(256), BOOT_MEM_RESERVED },                             \
	{ 0xfd00000000, GIB(12), BOOT_MEM_RESERVED }

static const struct boot_mem_range map_512m[] = {
	LOW_RAM_AND_BIOS,
	{ MIB(1), MIB(511) - KIB(128), BOOT_MEM_AVAILABLE },
	{ MIB(512) - KIB(128), KIB(128), BOOT_MEM_RESERVED },
	HIGH_FIRMWARE,
};

static const struct boot_mem_range map_128m[] = {
	LOW_RAM_AND_BIOS,
	{ MIB(1), MIB(127) - KIB(128), BOOT_MEM_AVAILABLE },
	{ MIB(128) - KIB(128), KIB(128), BOOT_MEM_RESERVED },
	HIGH_FIRMWARE,
};

static const struct boot_mem_range map_6g[] = {
	LOW_RAM_AND_BIOS,
	{ MIB(1), GIB(3) - MIB(1) - KIB(128), BOOT_MEM_AVAILABLE },
	{ GIB(3) - KIB(128), KIB(128), BOOT_MEM_RESERVED },
	{ GIB(4), GIB(3), BOOT_MEM_AVAILABLE },
	HIGH_FIRMWARE,
};

static const struct boot_mem_range map_small[] = {
	LOW_RAM_AND_BIOS,
	{ MIB(1), MIB(31), BOOT_MEM_AVAILABLE },
	{ 0xfffc0000, KIB(256), BOOT_MEM_RESERVED },
};

#define MACHINE(n, m, gb) { .name = (n), .map = (m), .map_count = ARRAY_SIZE(m), .pdpe1gb = (gb) }
static const struct host_machine machines[] = {
	MACHINE("bios-512m", map_512m, true),
	MACHINE("bios-128m", map_128m, false),
	MACHINE("bios-6g", map_6g, true),
	MACHINE("small", map_small, true),
};

/* Boot information in the places GRUB uses on QEMU (see the boot logs). */
#define MB2_INFO_START  0x1fa000
#define MODULE_START    0x300000        /* after the pretend image (arch/host/host.ld) */
#define MODULE_SIZE     0x2000

#define RAM_RANGES_MAX  16

static struct {
	const struct host_machine *m;
	int fd;                         /* the RAM file, or -1 */
	phys_addr_t top;                /* its size: the end of the highest RAM range */
	struct { phys_addr_t start, end; } ram[RAM_RANGES_MAX];
	unsigned nr_ram;
	struct boot_info boot;
	char cmdline[1024];
} hw = { .fd = -1 };

const struct host_machine *host_machine_find(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(machines); i++)
		if (!strcmp(machines[i].name, name))
			return &machines[i];
	return NULL;
}

phys_addr_t host_ram_top(void)
{
	return hw.top;
}

const struct boot_info *bootinfo(void)
{
	return &hw.boot;
}

static __noreturn void die(const char *what)
{
	fprintf(stderr, "host machine: %s: %s\n", what, strerror(errno));
	abort();
}

void *host_phys_ptr(phys_addr_t pa, size_t len)
{
	for (unsigned i = 0; i < hw.nr_ram; i++)
		if (pa >= hw.ram[i].start && pa + len <= hw.ram[i].end && pa + len >= pa)
			return (void *)(DIRECT_MAP_BASE + pa);
	return NULL;
}

/* --- RAM ----------------------------------------------------------------------- */

/* Page-aligned usable ranges of the map, below DIRECT_MAP_SIZE. */
static void ram_ranges(const struct host_machine *m)
{
	hw.nr_ram = 0;
	hw.top = 0;
	for (unsigned i = 0; i < m->map_count; i++) {
		const struct boot_mem_range *r = &m->map[i];
		phys_addr_t s = ALIGN_UP(r->base, PAGE_SIZE);
		phys_addr_t e = ALIGN_DOWN(r->base + r->length, PAGE_SIZE);

		if (r->type != BOOT_MEM_AVAILABLE || e <= s || e > DIRECT_MAP_SIZE)
			continue;
		if (hw.nr_ram == RAM_RANGES_MAX)
			die("too many RAM ranges");
		hw.ram[hw.nr_ram].start = s;
		hw.ram[hw.nr_ram].end = e;
		hw.nr_ram++;
		hw.top = MAX(hw.top, e);
	}
}

/* Maps (or, with `map` false, unmaps) every RAM range of the file. */
static void ram_map(bool map)
{
	for (unsigned i = 0; i < hw.nr_ram; i++) {
		void *at = (void *)(DIRECT_MAP_BASE + hw.ram[i].start);
		size_t len = hw.ram[i].end - hw.ram[i].start;

		if (!map) {
			munmap(at, len);
			continue;
		}
		if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE,
			 hw.fd, (off_t)hw.ram[i].start) != at)
			die("cannot map RAM at its direct-map address");
	}
}

int host_ram_fd(void)
{
	return hw.fd;
}

/*
 * Zeroes what the last boot of the same machine wrote: the pages of the
 * file that are resident (mincore) are the ones that were touched. Much
 * cheaper than a new file, whose every first touch is a page fault, and
 * the same for mm/: RAM reads as zero at power-on.
 */
static void ram_zero_touched(void)
{
	for (unsigned i = 0; i < hw.nr_ram; i++) {
		char *at = (char *)(DIRECT_MAP_BASE + hw.ram[i].start);
		unsigned long pages = (hw.ram[i].end - hw.ram[i].start) / PAGE_SIZE;
		unsigned char *resident = malloc(pages);

		if (!resident || mincore(at, pages * PAGE_SIZE, resident)) {
			memset(at, 0, pages * PAGE_SIZE);
		} else {
			for (unsigned long p = 0; p < pages; p++)
				if (resident[p] & 1)
					memset(at + p * PAGE_SIZE, 0, PAGE_SIZE);
		}
		free(resident);
	}
}

static void ram_power_on(const struct host_machine *m)
{
	if (hw.fd >= 0 && hw.m == m) {
		ram_zero_touched();
		return;
	}
	if (hw.fd >= 0) {
		ram_map(false);
		close(hw.fd);
	}
	ram_ranges(m);
	hw.fd = memfd_create("host-ram", MFD_CLOEXEC);
	if (hw.fd < 0 || ftruncate(hw.fd, (off_t)hw.top))
		die("cannot create the RAM file");
	ram_map(true);
}

/* --- boot information --------------------------------------------------------- */

static void boot_info_fill(const struct host_machine *m, const char *cmdline)
{
	struct boot_info *bi = &hw.boot;

	memset(bi, 0, sizeof(*bi));
	snprintf(hw.cmdline, sizeof(hw.cmdline), "%s", cmdline ? cmdline : "");
	bi->cmdline = hw.cmdline;
	bi->loader_name = "host (arch/host)";
	for (unsigned i = 0; i < m->map_count && i < BOOT_MMAP_MAX; i++)
		bi->mmap[bi->mmap_count++] = m->map[i];
	bi->info_start = MB2_INFO_START;
	bi->info_end = MB2_INFO_START + PAGE_SIZE;
	bi->modules[0] = (struct boot_module){ MODULE_START, MODULE_START + MODULE_SIZE, "initrd" };
	bi->module_count = 1;
	bi->tag_count = 5;
}

/* --- the state section --------------------------------------------------------- */

/* Laid out by arch/host/host.ld: the data and bss of mm/ and the machine. */
extern char __host_state_start[], __host_state_end[];

/* The section as it was at program start: what booting again puts back. */
static u64 *pristine;

static size_t state_words(void)
{
	return (size_t)(__host_state_end - __host_state_start) / sizeof(u64);
}

/*
 * Word by word and not instrumented: AddressSanitizer's redzones between
 * the globals are part of the section, and a memcpy() would trip on them.
 */
__attribute__((no_sanitize_address)) static void state_copy(volatile u64 *dst,
							     const volatile u64 *src)
{
	for (size_t i = 0, n = state_words(); i < n; i++)
		dst[i] = src[i];
}

/* --- power on ---------------------------------------------------------------------- */

void host_machine_init(const struct host_machine *m, const char *cmdline)
{
	if (!pristine) {
		pristine = malloc(state_words() * sizeof(u64) + 1);
		if (!pristine)
			die("no memory for a copy of the state section");
		state_copy(pristine, (u64 *)__host_state_start);
	} else {
		state_copy((u64 *)__host_state_start, pristine);
	}
	sim_tlb_flush_all(false);      /* unmaps what the last machine mapped on demand */
	ram_power_on(m);
	hw.m = m;
	boot_info_fill(m, cmdline);
	host_cpu_reset(m->pdpe1gb);
	host_pagefault_init();
	cmdline_init(hw.cmdline);
}
