/* Multiboot2 tag parser. */
#include "kernel/bootinfo.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/layout.h"

#define MB2_BOOT_MAGIC          0x36d76289u
#define MB2_TAG_END             0
#define MB2_TAG_CMDLINE         1
#define MB2_TAG_LOADER_NAME     2
#define MB2_TAG_MODULE          3
#define MB2_TAG_MMAP            6
#define MB2_TAG_ELF_SECTIONS    9
#define MB2_TAG_ACPI_OLD        14
#define MB2_TAG_ACPI_NEW        15
#define MB2_TAG_EFI_MMAP        17

struct mb2_tag {
	u32 type;
	u32 size;
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	u32 entry_size;
	u32 entry_version;
	/* entries follow */
};

struct mb2_mmap_entry {
	u64 base;
	u64 length;
	u32 type;
	u32 reserved;
};

struct mb2_tag_module {
	struct mb2_tag tag;
	u32 mod_start, mod_end;
	char name[];
};

struct mb2_tag_elf {
	struct mb2_tag tag;
	u32 num, entsize, shndx;
	/* section headers follow */
};

struct mb2_tag_efi_mmap {
	struct mb2_tag tag;
	u32 desc_size;
	u32 desc_version;
	/* descriptors follow */
};

static struct boot_info info;

const struct boot_info *bootinfo(void)
{
	return &info;
}

static void parse_mmap(const struct mb2_tag *tag)
{
	const struct mb2_tag_mmap *m = (const void *)tag;
	const u8 *p = (const u8 *)(m + 1);
	const u8 *end = (const u8 *)tag + tag->size;

	if (m->entry_size < sizeof(struct mb2_mmap_entry))
		panic("bootinfo: memory map entries of %u bytes are too small", m->entry_size);
	for (; p + m->entry_size <= end; p += m->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;

		if (info.mmap_count == BOOT_MMAP_MAX) {
			WARN(1, "bootinfo: memory map truncated at %u entries", BOOT_MMAP_MAX);
			return;
		}
		info.mmap[info.mmap_count++] = (struct boot_mem_range){
			.base = e->base, .length = e->length, .type = e->type,
		};
	}
}

static void parse_module(const struct mb2_tag *tag)
{
	const struct mb2_tag_module *m = (const void *)tag;

	if (info.module_count == BOOT_MODULES_MAX)
		return;
	info.modules[info.module_count++] = (struct boot_module){
		.start = m->mod_start, .end = m->mod_end, .name = m->name,
	};
}

static void parse_tag(const struct mb2_tag *tag)
{
	switch (tag->type) {
	case MB2_TAG_CMDLINE:
		info.cmdline = (const char *)(tag + 1);
		break;
	case MB2_TAG_LOADER_NAME:
		info.loader_name = (const char *)(tag + 1);
		break;
	case MB2_TAG_MODULE:
		parse_module(tag);
		break;
	case MB2_TAG_MMAP:
		parse_mmap(tag);
		break;
	case MB2_TAG_ELF_SECTIONS: {
		const struct mb2_tag_elf *e = (const void *)tag;

		info.elf_num = e->num;
		info.elf_entsize = e->entsize;
		info.elf_shndx = e->shndx;
		info.elf_sections = e + 1;
		break;
	}
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		if (tag->type == MB2_TAG_ACPI_NEW || !info.acpi_rsdp_version) {
			info.acpi_rsdp = virt_to_phys(tag + 1);
			info.acpi_rsdp_version = tag->type == MB2_TAG_ACPI_NEW ? 2 : 1;
		}
		break;
	case MB2_TAG_EFI_MMAP: {
		const struct mb2_tag_efi_mmap *e = (const void *)tag;

		info.efi_desc_size = e->desc_size;
		info.efi_desc_version = e->desc_version;
		info.efi_mmap = e + 1;
		info.efi_mmap_size = tag->size - sizeof(*e);
		break;
	}
	}
}

void bootinfo_parse(u32 magic, phys_addr_t info_phys)
{
	if (magic != MB2_BOOT_MAGIC)
		panic("bootinfo: bad Multiboot2 magic 0x%x (not booted by a Multiboot2 loader?)",
		      magic);
	const u8 *base = phys_to_virt(info_phys);
	u32 total = *(const u32 *)base;

	info.cmdline = "";
	info.loader_name = "";
	info.info_start = info_phys;
	info.info_end = info_phys + total;
	/* Tags start after the 8-byte header and are each 8-byte aligned. */
	for (u32 off = 8; off + sizeof(struct mb2_tag) <= total; ) {
		const struct mb2_tag *tag = (const void *)(base + off);

		if (tag->type == MB2_TAG_END)
			break;
		info.tag_count++;
		parse_tag(tag);
		off += ALIGN_UP(tag->size, 8u);
	}
	if (!info.mmap_count && !info.efi_mmap)
		panic("bootinfo: the boot loader passed no memory map; cannot manage memory");
}

void bootinfo_print(void)
{
	printk("boot: loader \"%s\", command line \"%s\"\n", info.loader_name, info.cmdline);
	printk("boot: %u tags, memory map %u entries, EFI map %s (%u bytes), "
	       "ELF sections %u, ACPI RSDP v%u at 0x%llx\n",
	       info.tag_count, info.mmap_count, info.efi_mmap ? "present" : "absent",
	       info.efi_mmap_size, info.elf_num, info.acpi_rsdp_version,
	       (unsigned long long)info.acpi_rsdp);
}
