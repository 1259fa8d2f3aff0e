/* Boot information from Multiboot2, and the kernel command line. */
#include "tests/ktest.h"
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "mm/layout.h"

static void memory_map_is_present_and_sane(struct ktest *t)
{
	const struct boot_info *bi = bootinfo();
	u64 available = 0, above_1m = 0;

	ASSERT_GT(t, bi->mmap_count, 0);
	for (unsigned i = 0; i < bi->mmap_count; i++) {
		const struct boot_mem_range *r = &bi->mmap[i];

		EXPECT_GT(t, r->length, 0);
		EXPECT_UGE(t, r->base + r->length, r->base);    /* no wrap */
		if (r->type != BOOT_MEM_AVAILABLE)
			continue;
		available += r->length;
		if (r->base >= 0x100000)
			above_1m += r->length;
	}
	/* Every test configuration has at least 64 MiB of RAM. */
	EXPECT_UGE(t, above_1m, 60ull << 20);
	EXPECT_UGE(t, available, above_1m);
}

static void kernel_image_lies_in_available_memory(struct ktest *t)
{
	const struct boot_info *bi = bootinfo();
	phys_addr_t start = (phys_addr_t)(unsigned long)_kernel_phys_start;
	phys_addr_t end = (phys_addr_t)(unsigned long)_kernel_phys_end;
	bool covered = false;

	for (unsigned i = 0; i < bi->mmap_count; i++) {
		const struct boot_mem_range *r = &bi->mmap[i];

		if (r->type == BOOT_MEM_AVAILABLE && r->base <= start &&
		    r->base + r->length >= end)
			covered = true;
	}
	EXPECT_TRUE(t, covered);
}

static void command_line_is_seen(struct ktest *t)
{
	EXPECT_TRUE(t, ktest_contains(bootinfo()->cmdline, "ktest"));
	EXPECT_TRUE(t, cmdline_has("ktest"));
	EXPECT_STREQ(t, cmdline_raw(), bootinfo()->cmdline);
}

static void loader_and_elf_sections(struct ktest *t)
{
	const struct boot_info *bi = bootinfo();

	EXPECT_TRUE(t, ktest_contains(bi->loader_name, "GRUB"));
	EXPECT_GT(t, bi->elf_num, 3);
	EXPECT_EQ(t, bi->elf_entsize, 64);      /* sizeof(Elf64_Shdr) */
	EXPECT_GT(t, bi->info_end, bi->info_start);
}

static void acpi_rsdp_has_its_signature(struct ktest *t)
{
	const struct boot_info *bi = bootinfo();

	if (!bi->acpi_rsdp_version)
		ktest_skip(t, "the loader passed no ACPI RSDP");
	EXPECT_EQ(t, memcmp(phys_to_virt(bi->acpi_rsdp), "RSD PTR ", 8), 0);
}

static void efi_memory_map_on_uefi_boots(struct ktest *t)
{
	const struct boot_info *bi = bootinfo();

	if (!bi->efi_mmap)
		ktest_skip(t, "BIOS boot: no EFI memory map");
	EXPECT_GE(t, bi->efi_desc_size, 40);    /* sizeof(EFI_MEMORY_DESCRIPTOR) */
	EXPECT_EQ(t, bi->efi_mmap_size % bi->efi_desc_size, 0);
	EXPECT_GT(t, bi->efi_mmap_size / bi->efi_desc_size, 4);
}

static void command_line_parsing(struct ktest *t)
{
	char saved[256];
	u64 v = 0;

	snprintf(saved, sizeof(saved), "%s", cmdline_raw());
	cmdline_init("  a=1 flag b=0x20 size=4M  a=7 empty= ");
	EXPECT_STREQ(t, cmdline_get("a"), "7");         /* the last one wins */
	EXPECT_STREQ(t, cmdline_get("flag"), "");
	EXPECT_STREQ(t, cmdline_get("empty"), "");
	EXPECT_NULL(t, cmdline_get("fla"));
	EXPECT_NULL(t, cmdline_get("missing"));
	EXPECT_EQ(t, cmdline_get_u64("b", 0), 0x20);
	EXPECT_EQ(t, cmdline_get_u64("size", 0), 4ull << 20);
	EXPECT_EQ(t, cmdline_get_u64("flag", 99), 99);
	EXPECT_FALSE(t, parse_u64("12x", &v));
	EXPECT_TRUE(t, parse_u64("1G", &v));
	EXPECT_EQ(t, v, 1ull << 30);
	cmdline_init(saved);
	EXPECT_STREQ(t, cmdline_raw(), saved);
}

/* Runs cmdline_init(line) with the console captured; returns what it printed. */
static unsigned init_captured(const char *line, char *out, size_t size)
{
	struct ktest_capture cap;

	ktest_capture_start(&cap, out, size, true);
	cmdline_init(line);
	return ktest_capture_stop(&cap);
}

/* A line the kernel cannot keep whole is cut with one warning, never silently. */
static void command_line_too_long_is_cut_with_a_warning(struct ktest *t)
{
	static char saved[CMDLINE_MAX], line[CMDLINE_MAX + 200], out[512];
	size_t n = 0;

	snprintf(saved, sizeof(saved), "%s", cmdline_raw());
	while (n + 8 < sizeof(line) - 1)
		n += snprintf(line + n, sizeof(line) - n, "k%05zu ", n);
	EXPECT_EQ(t, init_captured(line, out, sizeof(out)), 2);   /* too long, too many words */
	EXPECT_TRUE(t, ktest_contains(out, "WARNING: kernel/cmdline.c:"));
	EXPECT_TRUE(t, ktest_contains(out, "cmdline: longer than 1023 bytes"));
	EXPECT_EQ(t, strlen(cmdline_raw()), CMDLINE_MAX - 1);
	/* 1023 bytes of 7-byte words: also more than 64 words, said once more. */
	line[CMDLINE_MAX - 1] = '\0';
	EXPECT_EQ(t, init_captured(line, out, sizeof(out)), 1);
	EXPECT_TRUE(t, ktest_contains(out, "cmdline: more than 64 words, ignored from 'k00448"));
	EXPECT_TRUE(t, cmdline_has("k00441"));
	EXPECT_FALSE(t, cmdline_has("k00448"));
	EXPECT_EQ(t, init_captured("a b c", out, sizeof(out)), 0);
	EXPECT_EQ(t, init_captured(saved, out, sizeof(out)), 0);
	EXPECT_STREQ(t, cmdline_raw(), saved);
}

static const struct ktest_case boot_cases[] = {
	KTEST_CASE(memory_map_is_present_and_sane),
	KTEST_CASE(kernel_image_lies_in_available_memory),
	KTEST_CASE(command_line_is_seen),
	KTEST_CASE(loader_and_elf_sections),
	KTEST_CASE(acpi_rsdp_has_its_signature),
	KTEST_CASE(efi_memory_map_on_uefi_boots),
	KTEST_CASE(command_line_parsing),
	KTEST_CASE(command_line_too_long_is_cut_with_a_warning),
	{}
};
KTEST_SUITE(boot, boot_cases);
