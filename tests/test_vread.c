/*
 * vread() (mm/vread.c): a kcore-style read of the vmalloc space that never
 * faults. Areas are laid out in a window of their own (a 512 GiB slot high
 * in the vmalloc space) so the test knows every byte: vmalloc and vmap
 * areas read as their bytes; guard pages, gaps, lazily freed ranges and
 * the whole of sparse and ioremap areas read as zeros, even where a page
 * is mapped there. Reads start and end in the middle of pages.
 */
#include "tests/ktest.h"
#include "tests/mm_state.h"
#include "tests/ktest_leak.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/vmalloc.h"

#define SZ_512G (512ul << 30)
#define WINDOW  (VMALLOC_START + 48 * SZ_512G)  /* a slot no allocation reaches */

static struct ktest_leak vr_leak;

static int vr_init(struct ktest *t)
{
	return ktest_leak_begin(&vr_leak);
}

static void vr_exit(struct ktest *t)
{
	ktest_leak_end(t, &vr_leak, KTEST_LEAK_IGNORE_WARNINGS);
}

static u8 byte_of(unsigned long off, unsigned tag)
{
	return (u8)(off * 7 + tag * 31 + 3) | 1;        /* never 0 */
}

static void fill(void *p, unsigned long len, unsigned tag)
{
	for (unsigned long i = 0; i < len; i++)
		((u8 *)p)[i] = byte_of(i, tag);
}

/* What one window offset must read as. */
struct span {
	unsigned long start, end;       /* offsets in the window */
	int tag;                        /* byte_of(offset - start, tag), or -1: zeros */
};

/* Checks buf (which holds the window from offset `from`) against the spans. */
static void expect_bytes(struct ktest *t, const u8 *buf, unsigned long from, unsigned long len,
			 const struct span *spans, unsigned n)
{
	for (unsigned long i = 0; i < len; i++) {
		unsigned long off = from + i;
		u8 want = 0;

		for (unsigned s = 0; s < n; s++)
			if (off >= spans[s].start && off < spans[s].end && spans[s].tag >= 0)
				want = byte_of(off - spans[s].start, spans[s].tag);
		if (buf[i] != want) {
			KTEST_FAIL(t, "window offset 0x%lx reads 0x%02x, want 0x%02x", off, buf[i],
				   want);
			return;
		}
	}
}

/*
 * The window:
 *
 *   0      3      4       8        9        13     14     15
 *   |vmalloc|guard|  gap   |sparse  | mapped |sparse |vmalloc|guard|
 *    bytes   0      0       0         0 (!)    0      bytes   0
 *
 * read from the middle of page 0 to the middle of page 15.
 */
static void reads_bytes_gaps_and_sparse_zeros(struct ktest *t)
{
	static const struct span spans[] = {
		{ 0, 3 * PAGE_SIZE, 1 }, { 13 * PAGE_SIZE, 14 * PAGE_SIZE, 2 },
	};
	void *v = __vmalloc_node_range(3 * PAGE_SIZE, PAGE_SIZE, WINDOW, WINDOW + SZ_512G, 0, PROT_KERNEL_RW,
				       0, (void *)THIS_IP);
	struct vm_struct *s = __get_vm_area_node(4 * PAGE_SIZE, PAGE_SIZE, VM_SPARSE, WINDOW + 8 * PAGE_SIZE,
						 WINDOW + SZ_512G, (void *)THIS_IP);
	void *m = __vmalloc_node_range(PAGE_SIZE, PAGE_SIZE, WINDOW + 13 * PAGE_SIZE, WINDOW + SZ_512G, 0,
				       PROT_KERNEL_RW, 0, (void *)THIS_IP);
	unsigned long from = 100, len = 15 * PAGE_SIZE - 200;
	struct page *frame = alloc_page(0);
	u8 *buf = vmalloc(16 * PAGE_SIZE);

	ASSERT_TRUE(t, v && s && m && frame && buf);
	ASSERT_EQ(t, (unsigned long)v, WINDOW);
	ASSERT_EQ(t, (unsigned long)s->addr, WINDOW + 8 * PAGE_SIZE);
	ASSERT_EQ(t, (unsigned long)m, WINDOW + 13 * PAGE_SIZE);
	fill(v, 3 * PAGE_SIZE, 1);
	fill(m, PAGE_SIZE, 2);
	memset(page_address(frame), 0xab, PAGE_SIZE);
	ASSERT_EQ(t, vm_area_map_pages(s, WINDOW + 9 * PAGE_SIZE, WINDOW + 10 * PAGE_SIZE, &frame), 0);
	EXPECT_EQ(t, *(volatile u8 *)(WINDOW + 9 * PAGE_SIZE), 0xab);  /* mapped, yet reads 0 */
	memset(buf, 0xee, 16 * PAGE_SIZE);
	EXPECT_EQ(t, vread(buf, (void *)(WINDOW + from), len), (long)len);
	expect_bytes(t, buf, from, len, spans, ARRAY_SIZE(spans));
	EXPECT_EQ(t, buf[len], 0xee);                           /* not one byte more */
	/* One byte, and a read inside the gap only. */
	EXPECT_EQ(t, vread(buf, (void *)(WINDOW + 2 * PAGE_SIZE + 5), 1), 1);
	EXPECT_EQ(t, buf[0], byte_of(2 * PAGE_SIZE + 5, 1));
	EXPECT_EQ(t, vread(buf, (void *)(WINDOW + 5 * PAGE_SIZE), PAGE_SIZE), (long)PAGE_SIZE);
	EXPECT_TRUE(t, mem_is_filled(buf, 0, PAGE_SIZE));
	vm_area_unmap_pages(s, WINDOW + 9 * PAGE_SIZE, WINDOW + 10 * PAGE_SIZE);
	free_vm_area(s);
	vfree(v);
	vfree(m);
	vfree(buf);
	free_page(frame);
}

/* A vmap area reads as its pages; the same pages in an ioremap area read as zeros. */
static void vmap_bytes_and_ioremap_zeros(struct ktest *t)
{
	struct page *pages[2] = { alloc_page(0), alloc_page(0) };
	u8 *buf = vmalloc(2 * PAGE_SIZE);
	void *plain, *io;

	ASSERT_TRUE(t, pages[0] && pages[1] && buf);
	fill(page_address(pages[0]), PAGE_SIZE, 3);
	fill(page_address(pages[1]), PAGE_SIZE, 4);
	plain = vmap(pages, 2, 0, PROT_KERNEL_RW);
	io = vmap(pages, 2, VM_IOREMAP, PROT_KERNEL_RW);
	ASSERT_TRUE(t, plain && io);
	EXPECT_EQ(t, vread(buf, plain, 2 * PAGE_SIZE), (long)(2 * PAGE_SIZE));
	EXPECT_EQ(t, memcmp(buf, page_address(pages[0]), PAGE_SIZE), 0);
	EXPECT_EQ(t, memcmp(buf + PAGE_SIZE, page_address(pages[1]), PAGE_SIZE), 0);
	EXPECT_EQ(t, vread(buf, io, 2 * PAGE_SIZE), (long)(2 * PAGE_SIZE));
	EXPECT_TRUE(t, mem_is_filled(buf, 0, 2 * PAGE_SIZE));
	vunmap(plain);
	vunmap(io);
	vfree(buf);
	free_page(pages[0]);
	free_page(pages[1]);
}

/* A freed area, not yet purged (its stale translations may be cached), reads as zeros. */
static void freed_area_reads_zeros(struct ktest *t)
{
	u8 *p = vmalloc(2 * PAGE_SIZE), buf[64];

	ASSERT_NOT_NULL(t, p);
	memset(p, 0x77, 2 * PAGE_SIZE);
	EXPECT_EQ(t, vread(buf, p + PAGE_SIZE, sizeof(buf)), (long)sizeof(buf));
	EXPECT_TRUE(t, mem_is_filled(buf, 0x77, sizeof(buf)));
	vfree(p);
	EXPECT_EQ(t, vread(buf, p + PAGE_SIZE, sizeof(buf)), (long)sizeof(buf));
	EXPECT_TRUE(t, mem_is_filled(buf, 0, sizeof(buf)));
}

/* The last pages of the space: a longer read is clipped at VMALLOC_END. */
static void read_is_clipped_at_the_end_of_the_space(struct ktest *t)
{
	u8 *buf = vmalloc(4 * PAGE_SIZE);

	ASSERT_NOT_NULL(t, buf);
	memset(buf, 0xee, 4 * PAGE_SIZE);
	EXPECT_EQ(t, vread(buf, (void *)(VMALLOC_END - 2 * PAGE_SIZE), 4 * PAGE_SIZE), (long)(2 * PAGE_SIZE));
	EXPECT_TRUE(t, mem_is_filled(buf, 0, 2 * PAGE_SIZE));
	EXPECT_TRUE(t, mem_is_filled(buf + 2 * PAGE_SIZE, 0xee, 2 * PAGE_SIZE));
	EXPECT_EQ(t, vread(buf, (void *)VMALLOC_START, 0), 0);
	EXPECT_EQ(t, vread(NULL, (void *)VMALLOC_START, 0), 0);
	vfree(buf);
}

static __noinline long call_vread(void *buf, const void *addr, unsigned long len)
{
	long ret = vread(buf, addr, len);

	barrier();
	return ret;
}

/* No buffer, or an address outside the vmalloc space: -EINVAL and one warning line. */
static void bad_arguments_warn_once(struct ktest *t)
{
	static const struct { bool buf; unsigned long addr; const char *why; } bad[] = {
		{ false, VMALLOC_START, "no buffer" },
		{ true, DIRECT_MAP_BASE, "not a vmalloc address" },
		{ true, VMALLOC_END, "not a vmalloc address" },
		{ true, VMALLOC_START - 1, "not a vmalloc address" },
	};
	u8 buf[16];

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned long warns = warn_count();
		struct ktest_capture cap;
		char text[256];

		ktest_capture_start(&cap, text, sizeof(text), true);
		EXPECT_EQ(t, call_vread(bad[i].buf ? buf : NULL, (void *)bad[i].addr, 16), -EINVAL);
		EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
		EXPECT_EQ(t, warn_count(), warns + 1);
		EXPECT_TRUE(t, ktest_contains(text, "vread: "));
		EXPECT_TRUE(t, ktest_contains(text, bad[i].why));
		EXPECT_TRUE(t, ktest_contains(text, "(caller call_vread"));
	}
}

static const struct ktest_case vread_cases[] = {
	KTEST_CASE(reads_bytes_gaps_and_sparse_zeros),
	KTEST_CASE(vmap_bytes_and_ioremap_zeros),
	KTEST_CASE(freed_area_reads_zeros),
	KTEST_CASE(read_is_clipped_at_the_end_of_the_space),
	KTEST_CASE(bad_arguments_warn_once),
	{}
};

static const struct ktest_suite vread_suite = {
	.name = "vread",
	.cases = vread_cases,
	.init = vr_init,
	.exit = vr_exit,
};
KTEST_SUITE_REGISTER(vread_suite);
