/*
 * The page-frame allocator (mm/pfa). Two suites:
 *
 *   pfa         allocation, alignment, coalescing, exhaustion, counters,
 *               a randomised cross-check against a reference model
 *   pfa_misuse  double free, wrong order, reserved and tail frames, bad
 *               arguments, write after free: one warning each, nothing
 *               corrupted
 *
 * Every case must leave the allocator as it found it: the suites' exit hook
 * compares the free count and the buddyinfo line with a snapshot taken
 * before the case, and runs pfa_check(). These suites test the buddy
 * itself, so the per-CPU lists are drained and off during each case (the
 * `pfa_pcp` suite, tests/test_pfa_pcp.c, tests them).
 *
 * Cases that write to every frame (or free frames above 4 GiB, which debug
 * builds poison) need the direct map of all RAM; they check for it first
 * and fail with a clear message instead of faulting inside the allocator.
 */
#include "tests/ktest.h"
#include "tests/ktest_rand.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/probe.h"
#include "mm/memmap.h"
#include "mm/pfa.h"

#define SIGNATURE 0x5046415f54455354ull        /* "PFA_TEST" */

/* --- helpers ------------------------------------------------------------ */

/* Blocks a test holds, linked through their own struct pages (owner's links). */
struct held {
	struct page_list list;
	unsigned long blocks, frames;
};

static void hold(struct held *h, struct page *page, unsigned order)
{
	page->private = order;          /* the owner's word: remember the order */
	page_list_add(&h->list, page);
	h->blocks++;
	h->frames += 1ul << order;
}

static void release_all(struct held *h)
{
	struct page *page;

	while ((page = page_list_pop(&h->list)))
		free_pages(page, page->private);
	h->blocks = h->frames = 0;
}

/* A bitmap of pfns, itself allocated from the allocator (zeroed). */
struct pfn_bitmap {
	u64 *bits;
	struct page *page;
	unsigned order;
};

static int bitmap_alloc(struct pfn_bitmap *b, unsigned long nbits)
{
	b->order = 0;
	while ((PAGE_SIZE << b->order) * 8 < nbits)
		b->order++;
	if (b->order > MAX_ORDER)
		return -E2BIG;
	b->page = alloc_pages(b->order, PFA_ZERO);
	if (!b->page)
		return -ENOMEM;
	b->bits = page_address(b->page);
	return 0;
}

static void bitmap_free(struct pfn_bitmap *b)
{
	free_pages(b->page, b->order);
}

/* Sets bit `n`; true if it was already set. */
static bool bitmap_test_and_set(struct pfn_bitmap *b, unsigned long n)
{
	u64 mask = 1ull << (n % 64);
	bool was = b->bits[n / 64] & mask;

	b->bits[n / 64] |= mask;
	return was;
}

/*
 * Fails the case (cleanly, before any allocation) unless the CPU can reach
 * the last RAM frame through the direct map: before kernel_map_init() maps
 * all RAM, only the first 4 GiB are mapped.
 */
static void require_direct_map_of_all_ram(struct ktest *t)
{
	phys_addr_t last = memmap_ram_end() - PAGE_SIZE;
	u64 v;

	if (probe_read_u64((unsigned long)phys_to_virt(last), &v))
		ktest_fail_msg(t, KTEST_ASSERT, __FILE__, __LINE__,
			       "the direct map does not reach RAM at 0x%llx yet "
			       "(needs kernel_map_init)",
			       (unsigned long long)last);
}

/* Takes every free block of order below `order`, so the next split is predictable. */
static void drain_below(struct held *h, unsigned order)
{
	struct pfa_stats s;

	pfa_get_stats(&s);
	for (unsigned o = 0; o < order; o++)
		for (unsigned long n = s.free_blocks[o]; n; n--) {
			struct page *page = alloc_pages(o, 0);

			if (page)
				hold(h, page, o);
		}
}

/* --- per-case snapshot: the allocator is left as it was found ------------ */

static struct {
	unsigned long free_pages;
	char buddyinfo[160];
	bool pcp_was_on;
} before;

static int snapshot(struct ktest *t)
{
	before.pcp_was_on = pfa_pcp_set_enabled(false);
	before.free_pages = pfa_free_pages();
	pfa_buddyinfo(before.buddyinfo, sizeof(before.buddyinfo));
	return 0;
}

static void compare_with_snapshot(struct ktest *t)
{
	char now[160];

	pfa_buddyinfo(now, sizeof(now));
	EXPECT_EQ(t, pfa_free_pages(), before.free_pages);
	EXPECT_STREQ(t, now, before.buddyinfo);
	EXPECT_EQ(t, pfa_check(), 0);
	pfa_pcp_set_enabled(before.pcp_was_on);
}

/* --- pfa ---------------------------------------------------------------- */

/* With nothing free, every order fails: NULL, no message, a counted failure. */
static void expect_exhausted(struct ktest *t)
{
	struct pfa_stats s0, s1;
	struct ktest_capture cap;
	char buf[256];

	pfa_get_stats(&s0);
	ktest_capture_start(&cap, buf, sizeof(buf), false);
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		EXPECT_NULL(t, alloc_pages(o, PFA_ZERO));
	EXPECT_EQ(t, ktest_capture_stop(&cap), 0);
	pfa_get_stats(&s1);
	EXPECT_EQ(t, s1.alloc_failures - s0.alloc_failures, NR_ORDERS);
	EXPECT_EQ(t, s1.free_pages, 0);
}

/*
 * Every free frame, one by one: each comes once (a bitmap of pfns), is
 * aligned, and keeps what is written through the direct map. Then memory
 * is exhausted, and after freeing everything the exit hook finds the free
 * count and buddyinfo as they were.
 */
static void alloc_every_frame_then_free_all(struct ktest *t)
{
	struct held h = { 0 };
	struct pfn_bitmap seen = { 0 };
	unsigned long expect, dups = 0, bad_meta = 0, bad_data = 0, high = 0;
	struct page *page;

	require_direct_map_of_all_ram(t);
	ASSERT_EQ(t, bitmap_alloc(&seen, memmap_ram_end() >> PAGE_SHIFT), 0);
	expect = pfa_free_pages();
	while ((page = alloc_page(0))) {
		unsigned long pfn = page_to_pfn(page);

		dups += bitmap_test_and_set(&seen, pfn);
		bad_meta += pfn_to_page(pfn) != page || !page_has_state(page, PAGE_ALLOCATED) ||
			    page_to_phys(page) % PAGE_SIZE != 0;
		*(volatile u64 *)page_address(page) = SIGNATURE ^ pfn;
		high += page_to_phys(page) >= (4ull << 30);
		hold(&h, page, 0);
	}
	for (page = h.list.first; page; page = page->next)
		bad_data += *(volatile u64 *)page_address(page) != (SIGNATURE ^ page_to_pfn(page));
	EXPECT_EQ(t, h.frames, expect);
	EXPECT_EQ(t, pfa_free_pages(), 0);
	expect_exhausted(t);
	EXPECT_EQ(t, dups, 0);
	EXPECT_EQ(t, bad_meta, 0);
	EXPECT_EQ(t, bad_data, 0);
	EXPECT_EQ(t, high > 0, memmap_ram_end() > (4ull << 30));
	release_all(&h);
	bitmap_free(&seen);
	ktest_log(t, "%lu frames allocated, each once, and written (%lu above 4 GiB)",
		  expect, high);
}

static const unsigned split_orders[] = { 1, 3, 6, MAX_ORDER };

static void describe_order(const unsigned *o, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "order_%u", *o);
}

KTEST_ARRAY_PARAM(split_order_gen, split_orders, describe_order);

/*
 * With no free block below `order`, 2^order single-frame allocations split
 * one block, lowest frame first; freeing them in a shuffled order must
 * merge the block back: the buddyinfo line is as before the split.
 */
static void split_block_merges_back(struct ktest *t)
{
	unsigned order = *(const unsigned *)t->param;
	unsigned long n = 1ul << order, base;
	static struct page *pages[1ul << MAX_ORDER];
	struct held drained = { 0 };
	char info_before[160], info_after[160];
	struct ktest_rand rng;

	ktest_rand_init_seed(&rng, 0);
	drain_below(&drained, order);
	pfa_buddyinfo(info_before, sizeof(info_before));
	for (unsigned long i = 0; i < n; i++)
		pages[i] = alloc_page(0);
	ASSERT_NOT_NULL(t, pages[0]);
	base = page_to_pfn(pages[0]);
	EXPECT_EQ(t, base % n, 0);
	for (unsigned long i = 0; i < n; i++)
		EXPECT_EQ(t, page_to_pfn(pages[i]), base + i);
	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j = ktest_rand_below(&rng, i + 1);
		struct page *tmp = pages[i];

		pages[i] = pages[j];
		pages[j] = tmp;
	}
	for (unsigned long i = 0; i < n; i++)
		free_page(pages[i]);
	pfa_buddyinfo(info_after, sizeof(info_after));
	EXPECT_STREQ(t, info_after, info_before);
	EXPECT_TRUE(t, page_has_state(pfn_to_page(base), PAGE_FREE));
	EXPECT_GE(t, pfn_to_page(base)->order, order);
	release_all(&drained);
}

static const unsigned all_orders[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

KTEST_ARRAY_PARAM(all_order_gen, all_orders, describe_order);

/* Blocks of every order: naturally aligned, distinct, writable end to end. */
static void blocks_are_naturally_aligned(struct ktest *t)
{
	unsigned order = *(const unsigned *)t->param;
	size_t bytes = PAGE_SIZE << order;
	struct held h = { 0 };

	for (int i = 0; i < 4; i++) {
		struct page *page = alloc_pages(order, 0);
		u8 *va;

		ASSERT_NOT_NULL(t, page);
		hold(&h, page, order);
		va = page_address(page);
		EXPECT_EQ(t, page_to_phys(page) % bytes, 0);
		EXPECT_EQ(t, page->order, order);
		EXPECT_TRUE(t, order == 0 || page_state(page + 1) == PAGE_TAIL);
		EXPECT_TRUE(t, page_state(page + (1ul << order) - 1) ==
			       (order ? PAGE_TAIL : PAGE_ALLOCATED));
		EXPECT_EQ(t, probe_write_u64((unsigned long)va, SIGNATURE), 0);
		EXPECT_EQ(t, probe_write_u64((unsigned long)va + bytes - 8, SIGNATURE), 0);
		EXPECT_TRUE(t, virt_to_page(va + bytes - 1) == page + (1ul << order) - 1);
	}
	for (struct page *a = h.list.first; a; a = a->next)
		for (struct page *b = a->next; b; b = b->next)
			EXPECT_NE(t, page_to_pfn(a), page_to_pfn(b));
	release_all(&h);
}

static void zero_flag_gives_zeroed_block(struct ktest *t)
{
	struct page *page = alloc_pages(2, 0);
	size_t bytes = PAGE_SIZE << 2;
	bool zero = true;
	u8 *va;

	ASSERT_NOT_NULL(t, page);
	memset(page_address(page), 0xa5, bytes);
	free_pages(page, 2);
	page = alloc_pages(2, PFA_ZERO);        /* most likely the same, dirty block */
	ASSERT_NOT_NULL(t, page);
	va = page_address(page);
	for (size_t i = 0; i < bytes; i++)
		zero &= va[i] == 0;
	EXPECT_TRUE(t, zero);
	free_pages(page, 2);
}

static void pfn_page_and_address_helpers_agree(struct ktest *t)
{
	struct page *page = alloc_page(0);
	unsigned long pfn;
	u8 *va;

	ASSERT_NOT_NULL(t, page);
	pfn = page_to_pfn(page);
	va = page_address(page);
	EXPECT_PTR_EQ(t, pfn_to_page(pfn), page);
	EXPECT_EQ(t, page_to_phys(page), (phys_addr_t)pfn << PAGE_SHIFT);
	EXPECT_PTR_EQ(t, phys_to_page(page_to_phys(page) + 123), page);
	EXPECT_PTR_EQ(t, va, phys_to_virt(page_to_phys(page)));
	EXPECT_PTR_EQ(t, virt_to_page(va), page);
	EXPECT_PTR_EQ(t, virt_to_page(va + PAGE_SIZE - 1), page);
	EXPECT_PTR_EQ(t, virt_to_page((void *)VMALLOC_START), NULL);
	EXPECT_PTR_EQ(t, pfn_to_page(nr_mem_sections << PFN_SECTION_SHIFT), NULL);
	EXPECT_PTR_EQ(t, pfn_to_page(~0ul), NULL);
	/* A frame past the end of RAM inside the last section: reserved, not free. */
	page = pfn_to_page(memmap_ram_end() >> PAGE_SHIFT);
	EXPECT_TRUE(t, !page || page_state(page) == PAGE_RESERVED);
	page = pfn_to_page(pfn);
	/* The kernel image: reserved frames, reachable from their image address. */
	EXPECT_EQ(t, page_state(virt_to_page(_text)), PAGE_RESERVED);
	EXPECT_EQ(t, page_to_phys(virt_to_page(_text)), virt_to_phys(_text) & PAGE_MASK);
	free_page(page);
}

/* Whole-section holes (the PCI hole under 4 GiB with -m 6G) cost no struct page. */
static void holes_have_no_struct_pages(struct ktest *t)
{
	unsigned long holes = 0;

	for (unsigned long sec = 0; sec < nr_mem_sections; sec++) {
		if (mem_section[sec])
			continue;
		holes++;
		EXPECT_PTR_EQ(t, pfn_to_page(sec << PFN_SECTION_SHIFT), NULL);
	}
	if (!holes)
		ktest_skip(t, "no section-sized hole below the top of RAM (boot with --mem 6G)");
	ktest_log(t, "%lu of %lu sections are holes", holes, nr_mem_sections);
}

/* The struct page arrays sit below 4 GiB, in frames the buddy never hands out. */
static void struct_page_arrays_are_low_and_reserved(struct ktest *t)
{
	for (unsigned long sec = 0; sec < nr_mem_sections; sec++) {
		struct page *map = mem_section[sec];
		unsigned long bytes = PAGES_PER_SECTION * sizeof(struct page);

		if (!map)
			continue;
		EXPECT_ULT(t, virt_to_phys(map) + bytes, 4ull << 30);
		for (unsigned long off = 0; off < bytes; off += PAGE_SIZE)
			if (page_state(virt_to_page((u8 *)map + off)) != PAGE_RESERVED) {
				KTEST_FAIL(t, "section %lu array frame at +0x%lx is not reserved",
					   sec, off);
				break;
			}
	}
	EXPECT_EQ(t, page_state(virt_to_page(mem_section)), PAGE_RESERVED);
}

static void counters_agree_with_buddyinfo(struct ktest *t)
{
	struct pfa_stats s;
	unsigned long sum = 0;
	char line[160], expect[16];
	const char *p;

	pfa_get_stats(&s);
	pfa_buddyinfo(line, sizeof(line));
	for (unsigned o = 0; o < NR_ORDERS; o++)
		sum += s.free_blocks[o] << o;
	EXPECT_EQ(t, sum, s.free_pages);
	EXPECT_EQ(t, s.free_pages, pfa_free_pages());
	EXPECT_EQ(t, s.total_pages, pfa_total_pages());
	EXPECT_EQ(t, s.total_pages * PAGE_SIZE, memmap_usable_bytes());
	EXPECT_EQ(t, (s.total_pages + s.reserved_pages) * PAGE_SIZE, memmap_ram_bytes());
	EXPECT_EQ(t, s.metadata_bytes / s.present_pages, sizeof(struct page));
	/* "Node 0, zone   Normal " then "%6lu " per order, as Linux prints it. */
	ASSERT_EQ(t, strncmp(line, "Node 0, zone   Normal ", 22), 0);
	p = line + 22;
	for (unsigned o = 0; o < NR_ORDERS; o++) {
		snprintf(expect, sizeof(expect), "%6lu ", s.free_blocks[o]);
		EXPECT_EQ(t, strncmp(p, expect, strlen(expect)), 0);
		p += strlen(expect);
	}
	EXPECT_EQ(t, *p, '\0');
}

/* pfa_check() is not a rubber stamp: a free head on no list is found. */
static void pfa_check_finds_a_corrupted_frame(struct ktest *t)
{
	struct page *page = alloc_page(0);
	struct ktest_capture cap;
	char buf[512];

	ASSERT_NOT_NULL(t, page);
	page->state = PAGE_FREE;        /* a free head that no list holds */
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	int err = pfa_check();
	unsigned lines = ktest_capture_stop(&cap);
	page->state = PAGE_ALLOCATED;
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_GE(t, lines, 1);
	EXPECT_TRUE(t, ktest_contains(buf, "on no list"));
	EXPECT_EQ(t, pfa_check(), 0);
	free_page(page);
}

/*
 * A random mix of allocations and frees of every order, checked step by
 * step against a model: the free count is the start minus what is held,
 * held blocks never overlap, and each keeps the tag written into it.
 */
#define MODEL_SLOTS 128
#define MODEL_STEPS 3000

struct model {
	struct page *page[MODEL_SLOTS];
	unsigned order[MODEL_SLOTS];
	unsigned long held;
};

static bool model_overlaps(const struct model *m, struct page *p, unsigned order)
{
	unsigned long a = page_to_pfn(p), a_end = a + (1ul << order);

	for (unsigned i = 0; i < MODEL_SLOTS; i++) {
		unsigned long b = m->page[i] ? page_to_pfn(m->page[i]) : 0;

		if (m->page[i] && a < b + (1ul << m->order[i]) && b < a_end)
			return true;
	}
	return false;
}

static void model_step(struct ktest *t, struct model *m, struct ktest_rand *rng)
{
	unsigned slot = ktest_rand_below(rng, MODEL_SLOTS);
	unsigned order = ktest_rand_chance(rng, 25) ? ktest_rand_below(rng, NR_ORDERS)
						    : ktest_rand_below(rng, 3);

	if (m->page[slot]) {
		struct page *p = m->page[slot];

		EXPECT_EQ(t, *(u64 *)page_address(p), SIGNATURE ^ page_to_pfn(p));
		free_pages(p, m->order[slot]);
		m->held -= 1ul << m->order[slot];
		m->page[slot] = NULL;
		return;
	}
	struct page *p = alloc_pages(order, 0);
	if (!p)
		return;
	EXPECT_EQ(t, page_to_pfn(p) % (1ul << order), 0);
	EXPECT_FALSE(t, model_overlaps(m, p, order));
	*(u64 *)page_address(p) = SIGNATURE ^ page_to_pfn(p);
	m->page[slot] = p;
	m->order[slot] = order;
	m->held += 1ul << order;
}

static void random_ops_match_reference_model(struct ktest *t)
{
	static struct model m;
	unsigned long start = pfa_free_pages();
	struct ktest_rand rng;

	ktest_rand_init_seed(&rng, 0);
	memset(&m, 0, sizeof(m));
	for (unsigned step = 0; step < MODEL_STEPS; step++) {
		model_step(t, &m, &rng);
		if (pfa_free_pages() != start - m.held) {
			KTEST_FAIL(t, "step %u: %lu free, model says %lu", step,
				   pfa_free_pages(), start - m.held);
			break;
		}
		if (step % 500 == 0)
			EXPECT_EQ(t, pfa_check(), 0);
	}
	for (unsigned i = 0; i < MODEL_SLOTS; i++)
		if (m.page[i])
			free_pages(m.page[i], m.order[i]);
}

/* Counters and pfns only: RAM above 4 GiB is in the buddy's free blocks. */
static void memory_above_4g_is_managed(struct ktest *t)
{
	unsigned long first = (4ull << 30) >> PAGE_SHIFT, last = memmap_ram_end() >> PAGE_SHIFT;
	unsigned long free_high = 0, ram_high = 0;
	const struct mem_ranges *usable = memmap_usable();

	if (last <= first)
		ktest_skip(t, "no RAM above 4 GiB (boot with --mem 6G)");
	for (unsigned i = 0; i < usable->count; i++)
		if (usable->range[i].start >= (4ull << 30))
			ram_high += (usable->range[i].end - usable->range[i].start) >> PAGE_SHIFT;
	for (unsigned long pfn = first; pfn < last; ) {
		struct page *page = pfn_to_page(pfn);

		if (page && page_state(page) == PAGE_FREE) {
			free_high += 1ul << page->order;
			pfn += 1ul << page->order;
		} else {
			pfn++;
		}
	}
	EXPECT_GT(t, ram_high, 0);
	/* Other layers may hold a few high frames; nearly all must be free. */
	EXPECT_GE(t, free_high + 1024, ram_high);
	EXPECT_LE(t, free_high, ram_high);
	ktest_log(t, "%lu of %lu frames above 4 GiB free", free_high, ram_high);
}

static const struct ktest_case pfa_cases[] = {
	KTEST_CASE(counters_agree_with_buddyinfo),
	KTEST_CASE(pfn_page_and_address_helpers_agree),
	KTEST_CASE(struct_page_arrays_are_low_and_reserved),
	KTEST_CASE(holes_have_no_struct_pages),
	KTEST_PARAM_CASE(blocks_are_naturally_aligned, all_order_gen),
	KTEST_PARAM_CASE(split_block_merges_back, split_order_gen),
	KTEST_CASE(zero_flag_gives_zeroed_block),
	KTEST_CASE(pfa_check_finds_a_corrupted_frame),
	KTEST_CASE(random_ops_match_reference_model),
	KTEST_CASE(memory_above_4g_is_managed),
	KTEST_CASE_TIMEOUT(alloc_every_frame_then_free_all, 120),
	{}
};

static const struct ktest_suite pfa_suite = {
	.name = "pfa",
	.cases = pfa_cases,
	.init = snapshot,
	.exit = compare_with_snapshot,
};
KTEST_SUITE_REGISTER(pfa_suite);

/* --- pfa_misuse ----------------------------------------------------------- */

static void pfn_text(char *buf, size_t size, const struct page *page)
{
	snprintf(buf, size, "pfn 0x%lx", page_to_pfn(page));
}

static void double_free_is_detected(struct ktest *t)
{
	struct page *page = alloc_page(0), *other = alloc_page(0);
	char pfn[32];

	ASSERT_NOT_NULL(t, page);
	ASSERT_NOT_NULL(t, other);
	pfn_text(pfn, sizeof(pfn), page);
	free_page(page);
	unsigned long free_now = pfa_free_pages();
	EXPECT_ONE_WARNING_FROM(t, free_page(page), "double free", "double_free_is_detected");
	EXPECT_ONE_WARNING_FROM(t, free_page(page), pfn, "double_free_is_detected");
	EXPECT_EQ(t, pfa_free_pages(), free_now);
	EXPECT_EQ(t, pfa_check(), 0);
	free_page(other);
}

static void wrong_order_is_detected(struct ktest *t)
{
	struct page *page = alloc_pages(2, 0);
	unsigned long free_now = pfa_free_pages();

	ASSERT_NOT_NULL(t, page);
	EXPECT_ONE_WARNING_FROM(t, free_pages(page, 1), "freed with order 1 but allocated with order 2",
			   "wrong_order_is_detected");
	EXPECT_ONE_WARNING_FROM(t, free_pages(page, 3), "freed with order 3", "wrong_order_is_detected");
	EXPECT_ONE_WARNING_FROM(t, free_pages(page, MAX_ORDER + 1), "above MAX_ORDER",
			   "wrong_order_is_detected");
	EXPECT_EQ(t, pfa_free_pages(), free_now);
	EXPECT_TRUE(t, page_has_state(page, PAGE_ALLOCATED));
	EXPECT_EQ(t, pfa_check(), 0);
	free_pages(page, 2);
}

static void reserved_frame_free_is_detected(struct ktest *t)
{
	struct page *kernel = virt_to_page(_text), *zero = pfn_to_page(0);
	struct page *meta = virt_to_page(mem_section[0]);
	unsigned long free_now = pfa_free_pages();

	ASSERT_NOT_NULL(t, kernel);
	ASSERT_NOT_NULL(t, zero);
	EXPECT_ONE_WARNING_FROM(t, free_page(kernel), "reserved frame", "reserved_frame_free_is_detected");
	EXPECT_ONE_WARNING_FROM(t, free_page(zero), "pfn 0x0 is a reserved frame",
			   "reserved_frame_free_is_detected");
	EXPECT_ONE_WARNING_FROM(t, free_page(meta), "reserved frame", "reserved_frame_free_is_detected");
	EXPECT_EQ(t, page_state(kernel), PAGE_RESERVED);
	EXPECT_EQ(t, pfa_free_pages(), free_now);
	EXPECT_EQ(t, pfa_check(), 0);
}

static void tail_frame_free_is_detected(struct ktest *t)
{
	struct page *page = alloc_pages(3, 0);
	char head[48];

	ASSERT_NOT_NULL(t, page);
	snprintf(head, sizeof(head), "(pfn 0x%lx order 3)", page_to_pfn(page));
	EXPECT_ONE_WARNING_FROM(t, free_page(page + 5), "not the first frame of its block",
			   "tail_frame_free_is_detected");
	EXPECT_ONE_WARNING_FROM(t, free_pages(page + 4, 2), head, "tail_frame_free_is_detected");
	EXPECT_EQ(t, pfa_check(), 0);
	free_pages(page, 3);
}

static u64 not_a_page[4];

static void bad_arguments_are_refused(struct ktest *t)
{
	struct page *page = NULL;

	EXPECT_ONE_WARNING_FROM(t, free_page((struct page *)not_a_page), "is not a struct page",
			   "bad_arguments_are_refused");
	EXPECT_ONE_WARNING_FROM(t, page = alloc_pages(MAX_ORDER + 1, 0), "order 11 above MAX_ORDER",
			   "bad_arguments_are_refused");
	EXPECT_NULL(t, page);
	EXPECT_ONE_WARNING_FROM(t, page = alloc_pages(0, 0x80), "unknown flags 0x80",
			   "bad_arguments_are_refused");
	EXPECT_NULL(t, page);
	free_page(NULL);                /* allowed, does nothing */
	EXPECT_EQ(t, pfa_check(), 0);
}

static void owner_states_are_kept_and_checked(struct ktest *t)
{
	struct page *page = alloc_page(0);
	int err = 0;

	ASSERT_NOT_NULL(t, page);
	EXPECT_EQ(t, page_set_state(page, PAGE_PAGETABLE), 0);
	EXPECT_TRUE(t, page_has_state(page, PAGE_PAGETABLE));
	EXPECT_TRUE(t, page_is_allocated(page));
	EXPECT_ONE_WARNING_FROM(t, err = page_set_state(page, PAGE_FREE), "cannot be set to free",
			   "owner_states_are_kept_and_checked");
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_TRUE(t, page_has_state(page, PAGE_PAGETABLE));
	free_page(page);                /* an owner state does not block the free */
	EXPECT_TRUE(t, page_state(page) == PAGE_FREE || page_state(page) == PAGE_TAIL);
	EXPECT_ONE_WARNING_FROM(t, err = page_set_state(page, PAGE_SLAB), "not an allocated block",
			   "owner_states_are_kept_and_checked");
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_EQ(t, pfa_check(), 0);
}

/*
 * Frees a frame whose buddy is held (so it stays an order-0 block at the
 * front of its list), writes into it, and allocates it again.
 */
static void write_after_free_is_detected(struct ktest *t)
{
	struct held h = { 0 };
	struct page *victim = NULL, *again;
	char pfn[64];

	if (!KCONFIG_DEBUG)
		ktest_skip(t, "poisoning is off (KCONFIG_DEBUG=0)");
	/* Two frames in a row from a split are buddies: keep the second's buddy. */
	for (int i = 0; i < 4096 && !victim; i++) {
		struct page *p = alloc_page(0);

		ASSERT_NOT_NULL(t, p);
		hold(&h, p, 0);
		if (p->next == pfn_to_page(page_to_pfn(p) ^ 1))
			victim = p;
	}
	ASSERT_NOT_NULL(t, victim);
	page_list_del(&h.list, victim);
	h.blocks--, h.frames--;
	free_page(victim);
	snprintf(pfn, sizeof(pfn), "pfn 0x%lx was written after free", page_to_pfn(victim));
	((volatile u8 *)page_address(victim))[100] = 0x42;
	EXPECT_ONE_WARNING_FROM(t, again = alloc_page(0), pfn, "write_after_free_is_detected");
	EXPECT_PTR_EQ(t, again, victim);
	if (again)
		hold(&h, again, 0);
	release_all(&h);
}

static const struct ktest_case misuse_cases[] = {
	KTEST_CASE(double_free_is_detected),
	KTEST_CASE(wrong_order_is_detected),
	KTEST_CASE(reserved_frame_free_is_detected),
	KTEST_CASE(tail_frame_free_is_detected),
	KTEST_CASE(bad_arguments_are_refused),
	KTEST_CASE(owner_states_are_kept_and_checked),
	KTEST_CASE(write_after_free_is_detected),
	{}
};

static const struct ktest_suite misuse_suite = {
	.name = "pfa_misuse",
	.cases = misuse_cases,
	.init = snapshot,
	.exit = compare_with_snapshot,
};
KTEST_SUITE_REGISTER(misuse_suite);
