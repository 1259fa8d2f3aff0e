/*
 * Boot information, parsed once from the Multiboot2 tags GRUB hands over
 * (Multiboot2 specification, section 3.6) into one structure that the rest
 * of the kernel reads. Pointers point into the Multiboot2 info through the
 * direct map; its physical range is recorded so mm/ keeps it reserved.
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include "kernel/types.h"

#define BOOT_MMAP_MAX 128
#define BOOT_MODULES_MAX 8

/* Multiboot2 memory types (the BIOS e820 types). */
enum boot_mem_type {
	BOOT_MEM_AVAILABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI_RECLAIMABLE = 3,
	BOOT_MEM_NVS = 4,
	BOOT_MEM_BADRAM = 5,
};

struct boot_mem_range {
	u64 base;
	u64 length;
	u32 type;               /* enum boot_mem_type */
};

struct boot_module {
	phys_addr_t start, end;         /* end exclusive */
	const char *name;
};

struct boot_info {
	const char *cmdline;            /* "" if none */
	const char *loader_name;        /* "" if none */

	struct boot_mem_range mmap[BOOT_MMAP_MAX];      /* BIOS-style map */
	unsigned mmap_count;

	const void *efi_mmap;           /* EFI_MEMORY_DESCRIPTORs, or NULL */
	u32 efi_mmap_size;              /* bytes */
	u32 efi_desc_size;
	u32 efi_desc_version;

	const void *elf_sections;       /* ELF section headers, or NULL */
	u32 elf_num, elf_entsize, elf_shndx;

	phys_addr_t acpi_rsdp;          /* physical address of the RSDP copy, or 0 */
	unsigned acpi_rsdp_version;     /* 1 or 2, 0 if absent */

	struct boot_module modules[BOOT_MODULES_MAX];
	unsigned module_count;

	phys_addr_t info_start, info_end;       /* the Multiboot2 info itself */
	unsigned tag_count;
};

/*
 * Parses the Multiboot2 info at physical `info_phys` (after checking
 * `magic`). Panics with a clear message if the magic is wrong or there is
 * no memory map at all; everything else is optional.
 */
void bootinfo_parse(u32 magic, phys_addr_t info_phys);

/* The parsed information (valid after bootinfo_parse()). */
const struct boot_info *bootinfo(void);

/* Prints one line per item found (loader, command line, map sizes, RSDP). */
void bootinfo_print(void);

#endif
