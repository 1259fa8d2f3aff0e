/*
 * The per-CPU frame lists of the page-frame allocator (mm/pfa_pcp.c,
 * docs/pfa.md "Per-CPU lists"), suite `pfa_pcp`: a frame freed goes to the
 * freeing CPU's list and comes back first, the list stays at or below its
 * high mark, frames freed on another CPU than the one that took them move
 * lists and stay counted, drains give everything back, running out drains
 * every CPU's list before failing, fault injection fails a refill cleanly,
 * pfa_check() catches a corrupted list, and the bulk calls (alloc_pages_bulk,
 * free_pages_bulk) act as that many single calls. The cases that need two CPUs
 * skip with a reason on one.
 *
 * Each case starts with every list drained, so the counts it expects are
 * its own; the free count (lists included) must come back to where it was.
 */
#include "tests/ktest.h"
#include "tests/ktest_smp.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "mm/fault_inject.h"
#include "mm/pfa.h"

#define PCP_TEST_BATCH  32      /* PCP_BATCH of mm/pfa_internal.h */
#define PCP_TEST_HIGH   128     /* PCP_HIGH */
#define OTHER_CPU       1

static unsigned long free_before;

static int pcp_case_init(struct ktest *t)
{
	(void)t;
	pfa_pcp_set_enabled(true);
	pfa_drain_all();
	free_before = pfa_free_pages();
	return 0;
}

static void pcp_case_exit(struct ktest *t)
{
	EXPECT_EQ(t, pfa_free_pages(), free_before);
	EXPECT_EQ(t, pfa_check(), 0);
}

static void need_two_cpus(struct ktest *t)
{
	if (smp_num_online() < 2)
		ktest_skip(t, "one CPU online: per-CPU lists on several CPUs need --smp 2 or more");
}

/* Frames a case holds, linked through their own struct pages. */
struct held {
	struct page_list list;
	unsigned long frames;
};

static void hold(struct held *h, struct page *page, unsigned order)
{
	page->private = order;
	page_list_add(&h->list, page);
	h->frames += 1ul << order;
}

static void release_all(struct held *h)
{
	struct page *page;

	while ((page = page_list_pop(&h->list)))
		free_pages(page, page->private);
	h->frames = 0;
}

/* Takes n single frames into h; false if one was refused. */
static bool take_frames(struct held *h, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		struct page *page = alloc_page(0);

		if (!page)
			return false;
		hold(h, page, 0);
	}
	return true;
}

/* --- one CPU --------------------------------------------------------------- */

/* The first order-0 allocation refills a batch; a freed frame is the next one handed out. */
static void freed_frame_comes_back_from_this_cpus_list(struct ktest *t)
{
	unsigned cpu = smp_processor_id();
	struct page *page = alloc_page(0), *again;

	ASSERT_NOT_NULL(t, page);
	EXPECT_EQ(t, pfa_pcp_count(cpu), PCP_TEST_BATCH - 1);
	EXPECT_TRUE(t, page_has_state(page, PAGE_ALLOCATED));
	free_page(page);
	EXPECT_EQ(t, page_state(page), PAGE_PCP);
	EXPECT_EQ(t, pfa_pcp_count(cpu), PCP_TEST_BATCH);
	EXPECT_STREQ(t, pfa_page_unmappable(page), "is free in the frame allocator");
	EXPECT_EQ(t, pfa_check(), 0);
	again = alloc_page(0);
	EXPECT_PTR_EQ(t, again, page);
	free_page(again);
	EXPECT_EQ(t, pfa_drain_cpu(cpu), PCP_TEST_BATCH);
	EXPECT_EQ(t, pfa_pcp_count(cpu), 0);
	EXPECT_NE(t, page_state(page), PAGE_PCP);      /* merged back into a buddy block */
}

/* Freeing far more than the high mark drains batches: the list never holds more. */
static void list_stays_at_or_below_its_high_mark(struct ktest *t)
{
	struct held h = { 0 };
	unsigned cpu = smp_processor_id();
	struct pfa_stats s;

	ASSERT_TRUE(t, take_frames(&h, 3 * PCP_TEST_HIGH));
	release_all(&h);
	EXPECT_LE(t, pfa_pcp_count(cpu), PCP_TEST_HIGH);
	EXPECT_GT(t, pfa_pcp_count(cpu), PCP_TEST_HIGH - PCP_TEST_BATCH);
	pfa_get_stats(&s);
	EXPECT_EQ(t, s.pcp_pages, pfa_pcp_count(cpu));
	EXPECT_EQ(t, s.free_pages, free_before);
	EXPECT_EQ(t, pfa_check(), 0);
}

/* A frame already on a per-CPU list freed again: one warning, nothing changes. */
static void double_free_onto_the_list_is_detected(struct ktest *t)
{
	struct page *page = alloc_page(0);
	struct ktest_capture cap;
	unsigned long warned = warn_count(), count, free_now;
	char buf[512];

	ASSERT_NOT_NULL(t, page);
	free_page(page);
	count = pfa_pcp_count(smp_processor_id());
	free_now = pfa_free_pages();
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	free_page(page);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_EQ(t, warn_count() - warned, 1);
	EXPECT_TRUE(t, ktest_contains(buf, "double free"));
	EXPECT_TRUE(t, ktest_contains(buf, "double_free_onto_the_list_is_detected"));
	EXPECT_EQ(t, pfa_pcp_count(smp_processor_id()), count);
	EXPECT_EQ(t, pfa_free_pages(), free_now);
}

/* Runs pfa_check() quietly: its result, its output in buf. */
static int check_quietly(char *buf, size_t size)
{
	struct ktest_capture cap;
	int err;

	ktest_capture_start(&cap, buf, size, true);
	err = pfa_check();
	ktest_capture_stop(&cap);
	return err;
}

/* pfa_check() reads the lists: a wrong state, a wrong order and a loop are each reported. */
static void checker_catches_a_corrupted_list(struct ktest *t)
{
	struct page *page = alloc_page(0), *next;
	char buf[512];

	ASSERT_NOT_NULL(t, page);
	free_page(page);                /* the front of this CPU's list */
	ASSERT_EQ(t, page_state(page), PAGE_PCP);
	page->state = PAGE_ALLOCATED;
	EXPECT_EQ(t, check_quietly(buf, sizeof(buf)), -EINVAL);
	EXPECT_TRUE(t, ktest_contains(buf, "per-CPU list is allocated"));
	page->state = PAGE_PCP;
	page->order = 3;
	EXPECT_EQ(t, check_quietly(buf, sizeof(buf)), -EINVAL);
	EXPECT_TRUE(t, ktest_contains(buf, "order 3"));
	page->order = 0;
	next = page->next;
	page->next = page;              /* a loop: the bounded walk must end */
	EXPECT_EQ(t, check_quietly(buf, sizeof(buf)), -EINVAL);
	EXPECT_TRUE(t, ktest_contains(buf, "per-CPU list: broken back link"));
	page->next = next;
	EXPECT_EQ(t, pfa_check(), 0);
}

/* An injected failure on a call that needs a refill: NULL, nothing moved, one failure counted. */
static void fault_injection_fails_a_refill(struct ktest *t)
{
	struct fault_attr a = { .mode = FAULT_MODE_NTH, .n = 1 };
	unsigned cpu = smp_processor_id();
	struct pfa_stats before, after;
	struct page *page;

	pfa_get_stats(&before);
	ASSERT_EQ(t, fault_inject_set(FAULT_PAGE_ALLOC, &a), 0);
	fault_inject_begin();
	page = alloc_page(0);
	fault_inject_end();
	fault_inject_clear(FAULT_PAGE_ALLOC);
	pfa_get_stats(&after);
	EXPECT_NULL(t, page);
	EXPECT_EQ(t, pfa_pcp_count(cpu), 0);
	EXPECT_EQ(t, after.alloc_failures, before.alloc_failures + 1);
	EXPECT_EQ(t, after.free_pages, before.free_pages);
	page = alloc_page(0);           /* the next refill works */
	EXPECT_NOT_NULL(t, page);
	EXPECT_EQ(t, pfa_pcp_count(cpu), PCP_TEST_BATCH - 1);
	free_page(page);
}

/* --- bulk calls ------------------------------------------------------------ */

/* More than one hold of the list lock (256 frames) and more than the high mark. */
#define BULK_FRAMES     300

static struct page *bulk[BULK_FRAMES];

/*
 * A bulk allocation with the lists on or off: distinct frames, each in the
 * owner state and with the private word asked for, zeroed with PFA_ZERO,
 * writable; the bulk free gives every one back.
 */
static void bulk_round_trip(struct ktest *t, bool lists)
{
	unsigned long free_now;
	bool was = pfa_pcp_set_enabled(lists);

	free_now = pfa_free_pages();
	ASSERT_EQ(t, alloc_pages_bulk(bulk, BULK_FRAMES, PFA_ZERO, PAGE_VMALLOC, 0x5a5a), 0);
	EXPECT_EQ(t, pfa_free_pages(), free_now - BULK_FRAMES);
	for (unsigned i = 0; i < BULK_FRAMES; i++) {
		u64 *p = page_address(bulk[i]);

		EXPECT_EQ(t, page_state(bulk[i]), PAGE_VMALLOC);
		EXPECT_EQ(t, bulk[i]->private, 0x5a5a);
		EXPECT_EQ(t, bulk[i]->order, 0);
		EXPECT_TRUE(t, p[0] == 0 && p[PAGE_SIZE / 8 - 1] == 0);
		p[0] = i;
	}
	for (unsigned i = 0; i < BULK_FRAMES; i++)     /* no frame was handed out twice */
		EXPECT_EQ(t, *(u64 *)page_address(bulk[i]), i);
	EXPECT_EQ(t, pfa_check(), 0);
	free_pages_bulk(bulk, BULK_FRAMES);
	EXPECT_EQ(t, pfa_free_pages(), free_now);
	EXPECT_LE(t, pfa_pcp_count(smp_processor_id()), PCP_TEST_HIGH);
	for (unsigned i = 0; i < BULK_FRAMES; i++)
		EXPECT_NE(t, page_state(bulk[i]), PAGE_VMALLOC);
	pfa_pcp_set_enabled(was);
}

static void bulk_alloc_and_free_round_trip(struct ktest *t)
{
	bulk_round_trip(t, true);
	bulk_round_trip(t, false);
}

/*
 * One fault-injection point per frame, in order: the 270th frame (in the
 * second hold of the lock) fails the call, which takes nothing and counts
 * one failure.
 */
static void bulk_alloc_fails_whole_at_an_injected_frame(struct ktest *t)
{
	struct fault_attr a = { .mode = FAULT_MODE_NTH, .n = 270 };
	struct pfa_stats before, after;
	struct fault_stats fs;
	int err;

	pfa_get_stats(&before);
	ASSERT_EQ(t, fault_inject_set(FAULT_PAGE_ALLOC, &a), 0);
	fault_inject_begin();
	err = alloc_pages_bulk(bulk, BULK_FRAMES, 0, PAGE_ALLOCATED, 0);
	fault_inject_end();
	fault_inject_get_stats(FAULT_PAGE_ALLOC, &fs);
	fault_inject_clear(FAULT_PAGE_ALLOC);
	pfa_get_stats(&after);
	EXPECT_EQ(t, err, -ENOMEM);
	EXPECT_EQ(t, fs.calls, 270);
	EXPECT_EQ(t, fs.injected, 1);
	EXPECT_EQ(t, after.alloc_failures, before.alloc_failures + 1);
	EXPECT_EQ(t, after.free_pages, before.free_pages);
	EXPECT_EQ(t, pfa_check(), 0);
}

/* A bulk free skips NULL, refuses a double free with one warning and frees the rest. */
static void bulk_free_refuses_a_double_free_and_frees_the_rest(struct ktest *t)
{
	unsigned long free_now = pfa_free_pages();
	struct page *pages[4];

	ASSERT_EQ(t, alloc_pages_bulk(pages, 2, 0, PAGE_ALLOCATED, 0), 0);
	pages[3] = pages[1];
	pages[1] = pages[0];            /* the second free of pages[0] */
	pages[2] = NULL;
	EXPECT_ONE_WARNING_FROM(t, free_pages_bulk(pages, 4), "double free",
			   "bulk_free_refuses_a_double_free_and_frees_the_rest");
	EXPECT_EQ(t, pfa_free_pages(), free_now);
	EXPECT_EQ(t, pfa_check(), 0);
}

/* An unknown flag or a state no owner has: one warning, -EINVAL, nothing taken. */
static void bulk_alloc_refuses_bad_arguments(struct ktest *t)
{
	unsigned long free_now = pfa_free_pages();
	int err = 0;

	EXPECT_ONE_WARNING_FROM(t, err = alloc_pages_bulk(bulk, 4, 0x80, PAGE_ALLOCATED, 0),
			   "unknown flags 0x80", "bulk_alloc_refuses_bad_arguments");
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_ONE_WARNING_FROM(t, err = alloc_pages_bulk(bulk, 4, 0, PAGE_FREE, 0),
			   "free is not an owner state", "bulk_alloc_refuses_bad_arguments");
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_EQ(t, alloc_pages_bulk(bulk, 0, 0, PAGE_ALLOCATED, 0), 0);
	EXPECT_EQ(t, pfa_free_pages(), free_now);
}

/* --- several CPUs ---------------------------------------------------------- */

static void take_and_keep_one_frame(struct ktest *t, void *arg)
{
	struct page **page = arg;

	*page = alloc_page(0);
	ASSERT_NOT_NULL(t, *page);
}

static void free_one_frame(struct ktest *t, void *arg)
{
	(void)t;
	free_page(arg);
}

/* A frame taken on CPU 1 and freed on CPU 0 joins CPU 0's list; both counts add up. */
static void remote_free_moves_the_frame_to_the_freeing_cpu(struct ktest *t)
{
	unsigned me = smp_processor_id();
	struct page *page = NULL;

	need_two_cpus(t);
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, take_and_keep_one_frame, &page), 0);
	EXPECT_EQ(t, pfa_pcp_count(OTHER_CPU), PCP_TEST_BATCH - 1);
	EXPECT_EQ(t, pfa_pcp_count(me), 0);
	free_page(page);
	EXPECT_EQ(t, pfa_pcp_count(me), 1);
	EXPECT_EQ(t, pfa_check(), 0);
	/* and back: taken here (the same frame, hot), freed there */
	page = alloc_page(0);
	ASSERT_NOT_NULL(t, page);
	EXPECT_EQ(t, pfa_pcp_count(me), 0);
	EXPECT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, free_one_frame, page), 0);
	EXPECT_EQ(t, pfa_pcp_count(OTHER_CPU), PCP_TEST_BATCH);
	EXPECT_EQ(t, pfa_check(), 0);
}

/* Running out drains every CPU's list first: the frames cached on CPU 1 are handed out too. */
static void running_out_drains_other_cpus_lists(struct ktest *t)
{
	struct held h = { 0 };
	struct page *page = NULL;
	unsigned long free_now;

	need_two_cpus(t);
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, take_and_keep_one_frame, &page), 0);
	EXPECT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, free_one_frame, page), 0);
	ASSERT_EQ(t, pfa_pcp_count(OTHER_CPU), PCP_TEST_BATCH);
	free_now = pfa_free_pages();
	for (unsigned o = MAX_ORDER + 1; o-- > 0;)
		while ((page = alloc_pages(o, 0)))
			hold(&h, page, o);
	EXPECT_EQ(t, h.frames, free_now);
	EXPECT_EQ(t, pfa_pcp_count(OTHER_CPU), 0);
	EXPECT_EQ(t, pfa_free_pages(), 0);
	release_all(&h);
	pfa_drain_all();
}

#define STRESS_ROUNDS   300
#define STRESS_FRAMES   (PCP_TEST_HIGH + 40)    /* above the mark: drains and refills */

/* Every CPU takes and frees runs of frames, writing its mark into each, while CPU 0 also drains. */
static void stress_one_cpu(struct ktest *t, void *arg)
{
	u64 mark = 0x5043505f00000000ull | smp_processor_id();
	struct held h = { 0 };

	(void)arg;
	for (unsigned r = 0; r < STRESS_ROUNDS / 10; r++) {
		ASSERT_TRUE(t, take_frames(&h, STRESS_FRAMES - r % 64));
		for (struct page *p = h.list.first; p; p = p->next)
			*(volatile u64 *)page_address(p) = mark;
		for (struct page *p = h.list.first; p; p = p->next)
			EXPECT_EQ(t, *(volatile u64 *)page_address(p), mark);
		release_all(&h);
		if (smp_processor_id() == 0)
			for (unsigned cpu = 1; cpu < SMP_MAX_CPUS; cpu++)
				pfa_drain_cpu(cpu);
	}
}

/* Exactness under concurrency: afterwards every frame is back and the lists check. */
static void concurrent_takes_frees_and_drains_stay_exact(struct ktest *t)
{
	need_two_cpus(t);
	EXPECT_EQ(t, ktest_on_each_cpu(t, stress_one_cpu, NULL), 0);
	EXPECT_EQ(t, pfa_check(), 0);
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		EXPECT_LE(t, pfa_pcp_count(cpu), PCP_TEST_HIGH);
}

static const struct ktest_case pfa_pcp_cases[] = {
	KTEST_CASE(freed_frame_comes_back_from_this_cpus_list),
	KTEST_CASE(list_stays_at_or_below_its_high_mark),
	KTEST_CASE(double_free_onto_the_list_is_detected),
	KTEST_CASE(checker_catches_a_corrupted_list),
	KTEST_CASE(fault_injection_fails_a_refill),
	KTEST_CASE(bulk_alloc_and_free_round_trip),
	KTEST_CASE(bulk_alloc_fails_whole_at_an_injected_frame),
	KTEST_CASE(bulk_free_refuses_a_double_free_and_frees_the_rest),
	KTEST_CASE(bulk_alloc_refuses_bad_arguments),
	KTEST_CASE(remote_free_moves_the_frame_to_the_freeing_cpu),
	KTEST_CASE_TIMEOUT(running_out_drains_other_cpus_lists, 120),
	KTEST_CASE(concurrent_takes_frees_and_drains_stay_exact),
	{}
};

static const struct ktest_suite pfa_pcp_suite = {
	.name = "pfa_pcp",
	.cases = pfa_pcp_cases,
	.init = pcp_case_init,
	.exit = pcp_case_exit,
};
KTEST_SUITE_REGISTER(pfa_pcp_suite);
