/*
 * The kernel's own page tables (mm/kernel_map.c), checked with the
 * CPU: W^X image sections, NX direct map whose alias of the image's text
 * and rodata is read-only too, no lower half, the boot stack's guard page,
 * the direct map reaching every RAM frame, CR4, and ptdump.
 */
#include "tests/ktest.h"
#include "asm/cpu.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "kernel/probe.h"
#include "mm/layout.h"
#include "mm/memmap.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/ptdump.h"

#define KPT             (&kernel_pgtable)
#define SZ_2M           (2ul << 20)
#define SZ_1G           (1ul << 30)
#define SZ_4G           (4ull << 30)
#define LOWER_HALF_END  0x0000800000000000ul

extern char boot_stack_guard[];

static const u64 rodata_word = 0x0123456789abcdefull;
static u8 data_ret[64] __aligned(64) = { 0xc3 };       /* ret, in .data */

static __noinline void just_return(void)
{
	barrier();
}

static bool write_faults(void *addr)
{
	u8 same;

	/* Write back what is there, so a wrongly writable page is not harmed. */
	if (probe_read(&same, addr, 1))
		return true;
	return probe_write(addr, &same, 1) == -EFAULT;
}

/* The byte before a section's end symbol (without pointer arithmetic on it). */
static void *last_byte(char *end)
{
	return (void *)((unsigned long)end - 1);
}

/* The direct-map alias of a kernel-image address. */
static void *direct_alias(const void *image_va)
{
	return phys_to_virt(virt_to_phys(image_va));
}

/* True if physical [pa, pa + size) overlaps the image's text and rodata. */
static bool overlaps_text_rodata(phys_addr_t pa, unsigned long size)
{
	return pa < virt_to_phys(_erodata) && pa + size > virt_to_phys(_text);
}

static bool read_faults(unsigned long va)
{
	u64 v;

	return probe_read_u64(va, &v) == -EFAULT;
}

static void kernel_text_and_rodata_are_read_only(struct ktest *t)
{
	EXPECT_FALSE(t, read_faults((unsigned long)_text));
	EXPECT_TRUE(t, write_faults(_text));
	EXPECT_TRUE(t, write_faults((void *)kernel_text_and_rodata_are_read_only));
	EXPECT_TRUE(t, write_faults(last_byte(_etext)));
	EXPECT_TRUE(t, write_faults((void *)&rodata_word));
	EXPECT_TRUE(t, write_faults(last_byte(_erodata)));
	EXPECT_FALSE(t, write_faults(data_ret));
	EXPECT_EQ(t, rodata_word, 0x0123456789abcdefull);
}

/*
 * Text and rodata cannot be patched through their direct-map alias either
 * (issue 11: it was one writable 2 MiB leaf); data and bss stay writable
 * there, and only the 2 MiB around the image is split into 4 KiB leaves.
 */
static void direct_map_alias_of_text_and_rodata_is_read_only(struct ktest *t)
{
	static u8 bss_byte;
	struct pgtable_entry e;

	EXPECT_TRUE(t, write_faults(direct_alias(_text)));
	EXPECT_TRUE(t, write_faults(direct_alias((void *)just_return)));
	EXPECT_TRUE(t, write_faults(direct_alias(last_byte(_etext))));
	EXPECT_TRUE(t, write_faults(direct_alias(_rodata)));
	EXPECT_TRUE(t, write_faults(direct_alias(&rodata_word)));
	EXPECT_TRUE(t, write_faults(direct_alias(last_byte(_erodata))));
	EXPECT_FALSE(t, read_faults((unsigned long)direct_alias(&rodata_word)));
	EXPECT_FALSE(t, write_faults(direct_alias(data_ret)));
	EXPECT_FALSE(t, write_faults(direct_alias(&bss_byte)));
	EXPECT_FALSE(t, write_faults(direct_alias(_data)));
	ASSERT_EQ(t, pgtable_query(KPT, (unsigned long)direct_alias(_text), &e), 0);
	EXPECT_EQ(t, e.level, PT_LEVEL_PTE);
	EXPECT_EQ(t, e.prot, PROT_KERNEL_RO);
	ASSERT_EQ(t, pgtable_query(KPT, (unsigned long)direct_alias(last_byte(_erodata)), &e), 0);
	EXPECT_EQ(t, e.prot, PROT_KERNEL_RO);
	ASSERT_EQ(t, pgtable_query(KPT, (unsigned long)direct_alias(_erodata), &e), 0);
	EXPECT_EQ(t, e.prot, PROT_KERNEL_RW);
	EXPECT_EQ(t, rodata_word, 0x0123456789abcdefull);
}

static void data_is_not_executable(struct ktest *t)
{
	static u8 bss_ret[64] __aligned(64);
	struct page *page = alloc_page(0);

	ASSERT_NOT_NULL(t, page);
	bss_ret[0] = 0xc3;
	*(u8 *)page_address(page) = 0xc3;
	EXPECT_EQ(t, probe_exec(data_ret), -EFAULT);
	EXPECT_EQ(t, probe_exec(bss_ret), -EFAULT);
	EXPECT_EQ(t, probe_exec(page_address(page)), -EFAULT);
	/* Text runs at its own address, but not through its direct-map alias. */
	EXPECT_EQ(t, probe_exec((void *)just_return), 0);
	EXPECT_EQ(t, probe_exec(phys_to_virt(virt_to_phys((void *)just_return))), -EFAULT);
	free_page(page);
}

static void null_and_the_old_identity_map_fault(struct ktest *t)
{
	EXPECT_TRUE(t, read_faults(0));
	EXPECT_TRUE(t, read_faults(8));
	EXPECT_TRUE(t, read_faults(PAGE_SIZE));
	/* Where the boot identity map had the kernel. */
	EXPECT_TRUE(t, read_faults((unsigned long)_kernel_phys_start));
	EXPECT_TRUE(t, read_faults(virt_to_phys(_text)));
}

static int count_entry(const struct pgtable_entry *e, void *arg)
{
	(*(unsigned long *)arg)++;
	return 0;
}

static void lower_half_is_empty(struct ktest *t)
{
	unsigned long entries = 0;

	EXPECT_EQ(t, pgtable_walk(KPT, 0, LOWER_HALF_END, count_entry, &entries), 0);
	EXPECT_EQ(t, entries, 0);
}

static void boot_stack_guard_faults(struct ktest *t)
{
	struct pgtable_entry e;

	EXPECT_TRUE(t, read_faults((unsigned long)boot_stack_guard));
	EXPECT_TRUE(t, read_faults((unsigned long)boot_stack_guard + PAGE_SIZE - 8));
	EXPECT_TRUE(t, write_faults(boot_stack_guard));
	EXPECT_EQ(t, pgtable_query(KPT, (unsigned long)boot_stack_guard, &e), -ENOENT);
	EXPECT_FALSE(t, read_faults((unsigned long)boot_stack_guard + PAGE_SIZE));
	EXPECT_FALSE(t, read_faults((unsigned long)boot_stack_guard - 8));
}

/* Every page of [start, end) is a 4 KiB leaf with `prot`, to its load address. */
static void expect_image_pages(struct ktest *t, char *start, char *end, unsigned prot)
{
	unsigned long bad = 0;

	for (unsigned long va = (unsigned long)start; va < (unsigned long)end; va += PAGE_SIZE) {
		struct pgtable_entry e;

		if (va == (unsigned long)boot_stack_guard)
			continue;
		if (pgtable_query(KPT, va, &e) || e.level != PT_LEVEL_PTE || e.prot != prot ||
		    e.phys != va - KERNEL_VMA) {
			if (!bad++)
				KTEST_FAIL(t, "0x%lx: not a 4 KiB leaf with prot 0x%x", va, prot);
		}
	}
	EXPECT_EQ(t, bad, 0);
}

static void image_sections_are_w_xor_x(struct ktest *t)
{
	struct pgtable_entry e;

	expect_image_pages(t, _text, _etext, PROT_KERNEL_RX);
	expect_image_pages(t, _rodata, _erodata, PROT_KERNEL_RO);
	expect_image_pages(t, _data, _edata, PROT_KERNEL_RW);
	expect_image_pages(t, _bss, _ebss, PROT_KERNEL_RW);
	/* The .boot sections below the text are not mapped. */
	EXPECT_EQ(t, pgtable_query(KPT, KERNEL_VMA + (unsigned long)_kernel_phys_start, &e),
		  -ENOENT);
	EXPECT_EQ(t, pgtable_query(KPT, (unsigned long)_ebss, &e), -ENOENT);
}

struct wx_scan {
	unsigned long leaves, wx, direct_wrong_prot;
};

/* Direct-map leaves are RW + NX, but the alias of text and rodata: R + NX. */
static unsigned direct_map_prot(const struct pgtable_entry *e)
{
	phys_addr_t pa = e->va - DIRECT_MAP_BASE;

	return overlaps_text_rodata(pa, e->size) ? PROT_KERNEL_RO : PROT_KERNEL_RW;
}

static int scan_leaf(const struct pgtable_entry *e, void *arg)
{
	struct wx_scan *s = arg;

	if (!e->leaf)
		return 0;
	s->leaves++;
	if ((e->prot & PROT_WRITE) && (e->prot & PROT_EXEC))
		s->wx++;
	if (is_direct_map_addr(e->va) && e->prot != direct_map_prot(e))
		s->direct_wrong_prot++;
	return 0;
}

static void no_leaf_is_writable_and_executable(struct ktest *t)
{
	struct wx_scan s = { 0 };

	EXPECT_EQ(t, pgtable_walk(KPT, 0xffff800000000000ul, 0, scan_leaf, &s), 0);
	EXPECT_GT(t, s.leaves, 0);
	EXPECT_EQ(t, s.wx, 0);
	EXPECT_EQ(t, s.direct_wrong_prot, 0);
}

/* The direct map translates `pa` to itself, and the CPU can read and write it. */
static void expect_direct(struct ktest *t, phys_addr_t pa)
{
	unsigned long va = (unsigned long)phys_to_virt(pa);
	struct pgtable_entry e;
	u8 byte;

	ASSERT_EQ(t, pgtable_query(KPT, va, &e), 0);
	EXPECT_EQ(t, pgtable_entry_phys(&e, va), pa);
	EXPECT_EQ(t, probe_read(&byte, (void *)va, 1), 0);
	EXPECT_EQ(t, probe_write((void *)va, &byte, 1), 0);
}

static void direct_map_covers_all_ram(struct ktest *t)
{
	const struct mem_ranges *ram = memmap_ram();
	struct pgtable_entry e;

	for (unsigned i = 0; i < ram->count; i++) {
		const struct mem_range *r = &ram->range[i];

		expect_direct(t, r->start);
		expect_direct(t, r->end - 1);
		/* Only RAM is mapped: the page after a range is not. */
		if (i + 1 == ram->count || ram->range[i + 1].start != r->end)
			EXPECT_EQ(t, pgtable_query(KPT, (unsigned long)phys_to_virt(r->end), &e),
				  -ENOENT);
	}
	ktest_log(t, "last RAM frame 0x%llx reached through 0x%lx",
		  (unsigned long long)(memmap_ram_end() - PAGE_SIZE),
		  (unsigned long)phys_to_virt(memmap_ram_end() - PAGE_SIZE));
}

static void direct_map_reaches_above_4g(struct ktest *t)
{
	const struct mem_ranges *ram = memmap_ram();
	unsigned long checked = 0;

	if (memmap_ram_end() <= SZ_4G)
		ktest_skip(t, "no RAM above 4 GiB (boot with --mem 6G)");
	for (unsigned i = 0; i < ram->count; i++) {
		const struct mem_range *r = &ram->range[i];

		/* One frame in every 64 MiB above 4 GiB, and the last. */
		for (phys_addr_t pa = MAX(r->start, SZ_4G); pa < r->end; pa += 64ul << 20, checked++)
			expect_direct(t, pa);
	}
	expect_direct(t, memmap_ram_end() - 8);
	EXPECT_GT(t, checked, 0);
}

/*
 * The leaf level the direct map must use for the 2 MiB chunk at `pa` of
 * RAM range `r`: 4 KiB where the read-only alias of text and rodata is,
 * else 1 GiB where the whole GiB is RAM (and the CPU has them), else 2 MiB.
 */
static enum pt_level direct_map_level(const struct mem_range *r, phys_addr_t pa)
{
	phys_addr_t gb = ALIGN_DOWN(pa, SZ_1G);

	if (overlaps_text_rodata(pa, SZ_2M))
		return PT_LEVEL_PTE;
	if (arch_level_has_huge(PT_LEVEL_PUD) && gb >= r->start && gb + SZ_1G <= r->end &&
	    !overlaps_text_rodata(gb, SZ_1G))
		return PT_LEVEL_PUD;
	return PT_LEVEL_PMD;
}

/* Every 2 MiB chunk fully inside RAM is mapped with the largest leaf allowed. */
static void direct_map_uses_the_largest_leaves(struct ktest *t)
{
	const struct mem_ranges *ram = memmap_ram();
	bool gb = arch_level_has_huge(PT_LEVEL_PUD);
	unsigned long chunks = 0, wrong = 0;

	for (unsigned i = 0; i < ram->count; i++) {
		const struct mem_range *r = &ram->range[i];

		for (phys_addr_t pa = ALIGN_UP(r->start, SZ_2M); pa + SZ_2M <= r->end; pa += SZ_2M) {
			struct pgtable_entry e;

			chunks++;
			if (pgtable_query(KPT, (unsigned long)phys_to_virt(pa), &e) ||
			    e.level != direct_map_level(r, pa))
				wrong++;
		}
	}
	EXPECT_GT(t, chunks, 0);
	EXPECT_EQ(t, wrong, 0);
	ktest_log(t, "%lu 2 MiB chunks of RAM checked; 1 GiB pages %s", chunks,
		  gb ? "used where a whole GiB is RAM" : "not available");
}

static void kernel_tables_are_marked_and_counted(struct ktest *t)
{
	EXPECT_EQ(t, pgtable_check(KPT), 0);
	EXPECT_TRUE(t, KPT->live);
	EXPECT_EQ(t, arch_read_root(), KPT->root_phys);
	EXPECT_GE(t, pgtable_total_tables(), pgtable_nr_tables(KPT));
	EXPECT_TRUE(t, page_has_state(phys_to_page(KPT->root_phys), PAGE_PAGETABLE));
	EXPECT_TRUE(t, read_cr4() & X86_CR4_PGE);
}

/*
 * CR4 holds exactly what the kernel chose, whatever the firmware left
 * (OVMF leaves OSFXSR and friends on): PAE, PGE, and SMEP/SMAP iff CPUID
 * leaf 7 offers them. Read from CPUID here, not from the kernel's flags.
 */
/* CPUID leaf 7 subleaf 0 EBX (structured extended features), 0 if absent. */
static u32 cpuid_leaf7_ebx(void)
{
	u32 max, b, c, d, leaf7_ebx = 0;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= X86_CPUID_STRUCT_EXT)
		cpuid(X86_CPUID_STRUCT_EXT, 0, &max, &leaf7_ebx, &c, &d);
	return leaf7_ebx;
}

static void cr4_holds_exactly_the_expected_bits(struct ktest *t)
{
	u32 leaf7_ebx = cpuid_leaf7_ebx();
	u64 want = X86_CR4_PAE | X86_CR4_PGE;
	u64 cr4 = read_cr4();

	if (leaf7_ebx & X86_CPUID7_EBX_SMEP)
		want |= X86_CR4_SMEP;
	if (leaf7_ebx & X86_CPUID7_EBX_SMAP)
		want |= X86_CR4_SMAP;
	ktest_log(t, "CR4 0x%llx, expected 0x%llx (CPUID: SMEP %s, SMAP %s)",
		  (unsigned long long)cr4, (unsigned long long)want,
		  leaf7_ebx & X86_CPUID7_EBX_SMEP ? "yes" : "no",
		  leaf7_ebx & X86_CPUID7_EBX_SMAP ? "yes" : "no");
	EXPECT_EQ(t, cr4, want);
}

/*
 * What SMEP and SMAP do, seen by the CPU: a page made user-accessible
 * (U/S set in all four levels, by hand: the walker never sets it) refuses
 * the kernel's fetch (SMEP) and read (SMAP) wherever CPUID offers them;
 * with U/S cleared in the leaf alone the same probes pass, so the faults
 * come from U/S. The page lives
 * in the unowned 512 GiB after the direct map (test_pgtable's scratch).
 */
#define USER_PAGE_VA    (DIRECT_MAP_BASE + DIRECT_MAP_SIZE + 3 * SZ_1G)

struct user_walk {
	pte_t *entry[ARCH_PT_LEVELS];
};

/* Records where the entry of each level for USER_PAGE_VA is. */
static int find_entries(const struct pgtable_entry *e, void *arg)
{
	struct user_walk *w = arg;

	if (!e->leaf)
		w->entry[e->level - 1] = (pte_t *)phys_to_virt(e->phys) +
			((USER_PAGE_VA >> arch_level_shift(e->level - 1)) & (ARCH_PT_ENTRIES - 1));
	return 0;
}

static void set_user_bit(struct user_walk *w, int from_level, bool on)
{
	for (int level = from_level; level < ARCH_PT_LEVELS; level++)
		*w->entry[level] = on ? *w->entry[level] | X86_PTE_US : *w->entry[level] & ~X86_PTE_US;
	arch_local_flush_tlb_page(USER_PAGE_VA);
}

static void user_pages_are_refused_by_smep_and_smap(struct ktest *t)
{
	u32 leaf7_ebx = cpuid_leaf7_ebx();
	struct user_walk w = { 0 };
	struct page *page;
	u64 word;

	if (!(leaf7_ebx & (X86_CPUID7_EBX_SMEP | X86_CPUID7_EBX_SMAP)))
		ktest_skip(t, "the CPU has neither SMEP nor SMAP");
	page = alloc_page(PFA_ZERO);
	ASSERT_NOT_NULL(t, page);
	*(u8 *)page_address(page) = 0xc3;       /* ret */
	ASSERT_EQ(t, pgtable_map_pages(KPT, USER_PAGE_VA, &page, 1, PROT_KERNEL_RX), 0);
	w.entry[ARCH_PT_LEVELS - 1] = (pte_t *)phys_to_virt(KPT->root_phys) +
		((USER_PAGE_VA >> arch_level_shift(ARCH_PT_LEVELS - 1)) & (ARCH_PT_ENTRIES - 1));
	pgtable_walk(KPT, USER_PAGE_VA, USER_PAGE_VA + PAGE_SIZE, find_entries, &w);
	if (w.entry[PT_LEVEL_PTE] && w.entry[PT_LEVEL_PMD] && w.entry[PT_LEVEL_PUD]) {
		set_user_bit(&w, PT_LEVEL_PTE, true);
		if (leaf7_ebx & X86_CPUID7_EBX_SMAP)
			EXPECT_EQ(t, probe_read_u64(USER_PAGE_VA, &word), -EFAULT);
		if (leaf7_ebx & X86_CPUID7_EBX_SMEP)
			EXPECT_EQ(t, probe_exec((void *)USER_PAGE_VA), -EFAULT);
		set_user_bit(&w, PT_LEVEL_PTE, false);
		set_user_bit(&w, PT_LEVEL_PMD, true);   /* upper levels only: a kernel page */
		EXPECT_EQ(t, probe_read_u64(USER_PAGE_VA, &word), 0);
		EXPECT_EQ(t, probe_exec((void *)USER_PAGE_VA), 0);
		set_user_bit(&w, PT_LEVEL_PTE, false);
	} else {
		KTEST_FAIL(t, "no table entries found for 0x%lx", USER_PAGE_VA);
	}
	EXPECT_EQ(t, pgtable_unmap(KPT, USER_PAGE_VA, PAGE_SIZE, NULL, PGTABLE_FREE_TABLES), 0);
	EXPECT_EQ(t, pgtable_check(KPT), 0);
	free_page(page);
}

/* --- ptdump ------------------------------------------------------------ */

static struct {
	char text[8192];
	size_t len;
} dump;

static void collect_line(const char *line, void *arg)
{
	int n = snprintf(dump.text + dump.len, sizeof(dump.text) - dump.len, "%s\n", line);

	if (n > 0 && dump.len + n < sizeof(dump.text))
		dump.len += n;
	printk("%s\n", line);
}

static void ptdump_shows_the_layout(struct ktest *t)
{
	char want[96];

	dump.len = 0;
	dump.text[0] = '\0';
	ptdump(KPT, collect_line, NULL);
	EXPECT_TRUE(t, ktest_contains(dump.text, "---[ Low half (empty) ]---\n---[ Unused ]---\n"));
	EXPECT_TRUE(t, ktest_contains(dump.text, "---[ Direct map ]---\n0xffff888000000000-"));
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx", (unsigned long)_text,
		 (unsigned long)_etext);
	EXPECT_TRUE(t, ktest_contains(dump.text, want));
	EXPECT_TRUE(t, ktest_contains(dump.text, "     ro                 GLB x  pte"));
	EXPECT_TRUE(t, ktest_contains(dump.text, "     ro                 GLB NX pte"));
	EXPECT_TRUE(t, ktest_contains(dump.text, "     RW                 GLB NX pte"));
	EXPECT_TRUE(t, ktest_contains(dump.text, "     RW                 GLB NX pmd"));
	if (arch_level_has_huge(PT_LEVEL_PUD) && memmap_ram_end() > 2 * SZ_1G)
		EXPECT_TRUE(t, ktest_contains(dump.text, "G     RW                 GLB NX pud"));
}

static const struct ktest_case paging_cases[] = {
	KTEST_CASE(kernel_text_and_rodata_are_read_only),
	KTEST_CASE(direct_map_alias_of_text_and_rodata_is_read_only),
	KTEST_CASE(data_is_not_executable),
	KTEST_CASE(null_and_the_old_identity_map_fault),
	KTEST_CASE(lower_half_is_empty),
	KTEST_CASE(boot_stack_guard_faults),
	KTEST_CASE(image_sections_are_w_xor_x),
	KTEST_CASE(no_leaf_is_writable_and_executable),
	KTEST_CASE(direct_map_covers_all_ram),
	KTEST_CASE(direct_map_reaches_above_4g),
	KTEST_CASE(direct_map_uses_the_largest_leaves),
	KTEST_CASE(kernel_tables_are_marked_and_counted),
	KTEST_CASE(cr4_holds_exactly_the_expected_bits),
	KTEST_CASE(user_pages_are_refused_by_smep_and_smap),
	KTEST_CASE(ptdump_shows_the_layout),
	{}
};
KTEST_SUITE(paging, paging_cases);
