/*
 * The slab allocator (mm/slab). Objects are written through and read
 * back, so overlapping objects or a broken free list show up as clobbered
 * patterns, not only as wrong counters. Misuse cases check that exactly
 * one warning line is printed, that it names the function and the caller
 * (the test case), and that the cache is still consistent afterwards.
 *
 * Every case must leave the slab allocator and the frame allocator as it
 * found them: the exit hook compares the free-frame count and the slab
 * totals with a snapshot taken before the case, and runs slab_check().
 */
#include "tests/ktest.h"
#include "tests/ktest_leak.h"
#include "tests/ktest_rand.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "mm/fault_inject.h"
#include "mm/pfa.h"
#include "mm/slab.h"

/* --- baseline: the whole memory subsystem before each case ------------------- */

static struct ktest_leak slab_leak;

/* The slab layer itself is tested with the per-CPU magazines off (suite slab_cpu tests them). */
static bool magazines_were_on;

static int slab_case_init(struct ktest *t)
{
	magazines_were_on = slab_cpu_set_enabled(false);
	return ktest_leak_begin(&slab_leak);
}

static void slab_case_exit(struct ktest *t)
{
	while (fault_inject_in_scope())          /* a case that stopped inside one */
		fault_inject_end();
	fault_inject_clear(FAULT_SLAB);
	ktest_leak_end(t, &slab_leak, KTEST_LEAK_IGNORE_WARNINGS);
	slab_cpu_set_enabled(magazines_were_on);
}

/* A pattern that differs per object and per word, to catch overlaps. */
static u64 pattern(unsigned long idx, unsigned word)
{
	return (idx << 20) ^ (word * 0x9e3779b97f4a7c15ull) ^ 0xa5a5a5a5ull;
}

static void fill(void *obj, unsigned long idx, size_t size)
{
	u64 *w = obj;

	for (unsigned i = 0; i < size / 8; i++)
		w[i] = pattern(idx, i);
}

static bool intact(const void *obj, unsigned long idx, size_t size)
{
	const u64 *w = obj;

	for (unsigned i = 0; i < size / 8; i++)
		if (w[i] != pattern(idx, i))
			return false;
	return true;
}

/* --- allocation --------------------------------------------------------- */

static const size_t kmalloc_test_sizes[] = {
	1, 8, 9, 16, 24, 32, 48, 64, 80, 96, 100, 128, 160, 192, 200, 256, 300, 512,
	700, 1024, 1025, 2048, 4096, 4097, 20000, 65536, 1 << 20,
};

static void kmalloc_sizes_are_usable_and_aligned(struct ktest *t)
{
	void *p[ARRAY_SIZE(kmalloc_test_sizes)];

	for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
		size_t size = kmalloc_test_sizes[i];
		struct page *page;

		p[i] = kmalloc(size);
		ASSERT_NOT_NULL(t, p[i]);
		EXPECT_UGE(t, ksize(p[i]), size);
		EXPECT_TRUE(t, IS_ALIGNED((unsigned long)p[i], KMALLOC_MIN_ALIGN));
		if (IS_POWER_OF_2(size))
			EXPECT_TRUE(t, IS_ALIGNED((unsigned long)p[i], MIN(size, PAGE_SIZE)));
		page = virt_to_page(p[i]);
		EXPECT_TRUE(t, page && page_has_state(page, PAGE_SLAB));
		fill(p[i], i, size);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
		EXPECT_TRUE(t, intact(p[i], i, kmalloc_test_sizes[i]));
		kfree(p[i]);
	}
	EXPECT_NULL(t, kmalloc(0));
	EXPECT_NULL(t, kmalloc(KMALLOC_MAX_SIZE + 1));
}

#define MANY 6000

/* Thousands of objects of one cache, freed in random order. */
static void many_objects_do_not_overlap(struct ktest *t)
{
	struct kmem_cache *c = kmem_cache_create("test_many", 72, 0);
	void **objs = kmalloc(MANY * sizeof(void *));
	struct kmem_cache_stats st;
	struct ktest_rand rng;
	unsigned long n;

	ktest_rand_init_seed(&rng, 0);
	ASSERT_NOT_NULL(t, c);
	ASSERT_NOT_NULL(t, objs);
	for (n = 0; n < MANY; n++) {
		objs[n] = kmem_cache_alloc(c);
		if (!objs[n])
			break;
		fill(objs[n], n, 72);
	}
	EXPECT_EQ(t, n, MANY);
	kmem_cache_get_stats(c, &st);
	EXPECT_EQ(t, st.active_objs, n);
	EXPECT_EQ(t, st.nr_slabs, (n + c->objs_per_slab - 1) / c->objs_per_slab);
	EXPECT_EQ(t, slab_check(), 0);
	for (unsigned long i = 0; i < n; i++)
		if (!intact(objs[i], i, 72))
			KTEST_FAIL(t, "object %lu at %p was overwritten", i, objs[i]);
	for (unsigned long i = n; i > 0; i--) {         /* free in a random order */
		unsigned long j = ktest_rand_below(&rng, i);
		void *tmp = objs[j];

		objs[j] = objs[i - 1];
		objs[i - 1] = tmp;
	}
	for (unsigned long i = 0; i < n; i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_get_stats(c, &st);
	EXPECT_EQ(t, st.active_objs, 0);
	EXPECT_EQ(t, st.nr_pages, 1);   /* the spare: the other empty slabs went back */
	kfree(objs);
	kmem_cache_destroy(c);
}

/* Each object still holds its own pattern after all were written. */
static void objects_keep_their_contents(struct ktest *t)
{
	enum { N = 700 };
	void *objs[N];
	unsigned long bad = 0;

	for (unsigned i = 0; i < N; i++) {
		objs[i] = kmalloc(40 + (i % 5) * 40);
		ASSERT_NOT_NULL(t, objs[i]);
		fill(objs[i], i, 40 + (i % 5) * 40);
	}
	for (unsigned i = 0; i < N; i++)
		bad += !intact(objs[i], i, 40 + (i % 5) * 40);
	EXPECT_EQ(t, bad, 0);
	for (unsigned i = 0; i < N; i += 2)
		kfree(objs[i]);
	for (unsigned i = 1; i < N; i += 2)
		bad += !intact(objs[i], i, 40 + (i % 5) * 40);
	EXPECT_EQ(t, bad, 0);
	for (unsigned i = 1; i < N; i += 2)
		kfree(objs[i]);
}

struct cache_shape {
	size_t size, align;
};

static const struct cache_shape shapes[] = {
	{ 8, 0 }, { 24, 0 }, { 100, 64 }, { 200, 256 }, { 1024, 1024 }, { 513, 8 },
};

static void describe_shape(const struct cache_shape *s, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "size_%zu_align_%zu", s->size, s->align);
}

KTEST_ARRAY_PARAM(shape_params, shapes, describe_shape);

static void cache_objects_are_aligned_and_distinct(struct ktest *t)
{
	const struct cache_shape *s = t->param;
	struct kmem_cache *c = kmem_cache_create("test_shape", s->size, s->align);
	unsigned n;
	void **objs;

	ASSERT_NOT_NULL(t, c);
	n = 3 * c->objs_per_slab + 1;                   /* four slabs */
	objs = kmalloc(n * sizeof(void *));
	ASSERT_NOT_NULL(t, objs);
	EXPECT_GE(t, c->objs_per_slab, 1);
	for (unsigned i = 0; i < n; i++) {
		objs[i] = kmem_cache_alloc(c);
		ASSERT_NOT_NULL(t, objs[i]);
		EXPECT_TRUE(t, IS_ALIGNED((unsigned long)objs[i], MAX(s->align, 8)));
		fill(objs[i], i, s->size & ~7ul);
	}
	for (unsigned i = 0; i < n; i++) {
		EXPECT_TRUE(t, intact(objs[i], i, s->size & ~7ul));
		kmem_cache_free(c, objs[i]);
	}
	kfree(objs);
	kmem_cache_destroy(c);
}

static void zalloc_gives_zeroes(struct ktest *t)
{
	struct kmem_cache *c = kmem_cache_create("test_zero", 136, 0);
	void *p, *q;

	ASSERT_NOT_NULL(t, c);
	p = kmem_cache_alloc(c);
	q = kmem_cache_alloc(c);        /* keeps the slab alive */
	ASSERT_NOT_NULL(t, p);
	memset(p, 0xff, 136);
	kmem_cache_free(c, p);
	p = kmem_cache_zalloc(c);       /* the same object comes back first */
	ASSERT_NOT_NULL(t, p);
	EXPECT_TRUE(t, mem_is_filled(p, 0, 136));
	kmem_cache_free(c, p);
	kmem_cache_free(c, q);
	kmem_cache_destroy(c);

	p = kmalloc(300);
	ASSERT_NOT_NULL(t, p);
	memset(p, 0xee, 300);
	kfree(p);
	p = kzalloc(300);
	ASSERT_NOT_NULL(t, p);
	EXPECT_TRUE(t, mem_is_filled(p, 0, 300));
	kfree(p);
}

/* --- memory goes back ------------------------------------------------- */

/*
 * An emptied slab goes back to the frame allocator, but for one per cache,
 * kept as the spare: the next refill takes it without a new frame, and
 * kmem_cache_destroy() gives it back.
 */
static void empty_slabs_return_to_frame_allocator_but_one_spare(struct ktest *t)
{
	struct kmem_cache *c = kmem_cache_create("test_empty", 256, 0);
	unsigned long before = pfa_free_pages(), n;
	struct kmem_cache_stats st;
	void **objs;

	ASSERT_NOT_NULL(t, c);
	before = pfa_free_pages();
	n = 4 * c->objs_per_slab;
	objs = kmalloc(n * sizeof(void *));
	ASSERT_NOT_NULL(t, objs);
	before = pfa_free_pages();
	for (unsigned long i = 0; i < n; i++)
		ASSERT_NOT_NULL(t, objs[i] = kmem_cache_alloc(c));
	kmem_cache_get_stats(c, &st);
	EXPECT_EQ(t, st.nr_slabs, 4);
	EXPECT_EQ(t, pfa_free_pages(), before - 4);
	/* The first slab to empty (the first objs_per_slab objects) is kept as the spare. */
	for (unsigned long i = 0; i < c->objs_per_slab; i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_get_stats(c, &st);
	EXPECT_EQ(t, st.nr_slabs, 4);
	EXPECT_EQ(t, pfa_free_pages(), before - 4);
	EXPECT_EQ(t, slab_check(), 0);
	/* The others go back as they empty. */
	for (unsigned long i = c->objs_per_slab; i < n; i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_get_stats(c, &st);
	EXPECT_EQ(t, st.nr_slabs, 1);
	EXPECT_EQ(t, pfa_free_pages(), before - 1);
	/* The next allocation takes the spare: no new frame. */
	ASSERT_NOT_NULL(t, objs[0] = kmem_cache_alloc(c));
	EXPECT_EQ(t, pfa_free_pages(), before - 1);
	kmem_cache_free(c, objs[0]);
	EXPECT_EQ(t, slab_check(), 0);
	kfree(objs);
	kmem_cache_destroy(c);
	EXPECT_EQ(t, pfa_free_pages(), before);          /* destroy gave the spare back */
}

static void large_kmalloc_uses_frame_blocks(struct ktest *t)
{
	unsigned long before = pfa_free_pages();
	void *p = kmalloc(60000);                       /* order 4: 16 frames */
	struct page *page;

	ASSERT_NOT_NULL(t, p);
	page = virt_to_page(p);
	EXPECT_TRUE(t, page_has_state(page, PAGE_SLAB));
	EXPECT_EQ(t, page->order, 4);
	EXPECT_EQ(t, ksize(p), 65536);
	EXPECT_EQ(t, pfa_free_pages(), before - 16);
	memset(p, 0x5a, 60000);
	kfree(p);
	EXPECT_EQ(t, pfa_free_pages(), before);
}

/* --- misuse: one warning line, naming the caller, and nothing changes --- */

/* Starts a quiet capture of what the next call prints. */
#define CAPTURE(cap, buf) ktest_capture_start(&(cap), (buf), sizeof(buf), true)

static void double_free_warns_once_and_is_ignored(struct ktest *t)
{
	struct kmem_cache *c = kmem_cache_create("test_dfree", 64, 0);
	struct ktest_capture cap;
	unsigned long warns;
	char buf[512];
	void *p, *keep, *a, *b;

	ASSERT_NOT_NULL(t, c);
	keep = kmem_cache_alloc(c);
	p = kmem_cache_alloc(c);
	ASSERT_NOT_NULL(t, p);
	kmem_cache_free(c, p);
	warns = warn_count();
	CAPTURE(cap, buf);
	kmem_cache_free(c, p);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_EQ(t, warn_count(), warns + 1);
	EXPECT_TRUE(t, ktest_contains(buf, "kmem_cache_free"));
	EXPECT_TRUE(t, ktest_contains(buf, "double free"));
	EXPECT_TRUE(t, ktest_contains(buf, "double_free_warns_once_and_is_ignored+"));
	EXPECT_EQ(t, slab_check(), 0);
	/* The object is on the free list once: two allocations differ. */
	a = kmem_cache_alloc(c);
	b = kmem_cache_alloc(c);
	EXPECT_NE(t, (unsigned long)a, (unsigned long)b);
	kmem_cache_free(c, a);
	kmem_cache_free(c, b);

	p = kmalloc(48);
	ASSERT_NOT_NULL(t, p);
	kfree(p);
	CAPTURE(cap, buf);
	kfree(p);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "kfree"));
	EXPECT_TRUE(t, ktest_contains(buf, "double_free_warns_once_and_is_ignored+"));
	kmem_cache_free(c, keep);
	kmem_cache_destroy(c);
}

/*
 * The slab finds an object's index by multiplying with the reciprocal of
 * its stride: with an odd stride (200 bytes, with and without magazines),
 * every byte of an object but its first is refused as "not the start of
 * an object", and the object is then freed normally.
 */
static void every_interior_pointer_is_refused(struct ktest *t)
{
	for (int mag = 0; mag < 2; mag++) {
		struct kmem_cache *c = mag ? kmem_cache_create_percpu("test_stride_m", 200, 8)
					   : kmem_cache_create("test_stride", 200, 8);
		char *o[3], buf[256];
		struct ktest_capture cap;
		unsigned refused = 0;

		ASSERT_NOT_NULL(t, c);
		for (int i = 0; i < 3; i++)
			ASSERT_NOT_NULL(t, o[i] = kmem_cache_alloc(c));
		for (unsigned off = 1; off < 200; off++) {
			CAPTURE(cap, buf);
			kmem_cache_free(c, o[1] + off);
			refused += ktest_capture_stop(&cap) == 1 &&
				   ktest_contains(buf, "not the start of an object");
		}
		EXPECT_EQ(t, refused, 199);
		EXPECT_EQ(t, slab_check(), 0);
		for (int i = 0; i < 3; i++)
			kmem_cache_free(c, o[i]);
		kmem_cache_destroy(c);
	}
}

static u64 not_slab_memory[4];

static void foreign_pointers_warn_once_and_are_ignored(struct ktest *t)
{
	struct kmem_cache *c1 = kmem_cache_create("test_foreign1", 64, 0);
	struct kmem_cache *c2 = kmem_cache_create("test_foreign2", 64, 0);
	struct page *frame = alloc_page(0);
	struct ktest_capture cap;
	char buf[512];
	void *o1, *o2, *big;

	ASSERT_NOT_NULL(t, c1);
	ASSERT_NOT_NULL(t, c2);
	ASSERT_NOT_NULL(t, frame);
	o1 = kmem_cache_alloc(c1);
	o2 = kmem_cache_alloc(c2);
	big = kmalloc(3 * PAGE_SIZE);
	ASSERT_NOT_NULL(t, big);

	CAPTURE(cap, buf);
	kfree(not_slab_memory);                         /* kernel image */
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "not slab memory"));
	EXPECT_TRUE(t, ktest_contains(buf, "foreign_pointers_warn_once_and_are_ignored+"));

	CAPTURE(cap, buf);
	kfree(page_address(frame));                     /* a frame, not a slab */
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "not slab memory"));

	CAPTURE(cap, buf);
	kmem_cache_free(c1, (char *)o1 + 8);            /* inside an object */
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "not the start of an object"));

	CAPTURE(cap, buf);
	kmem_cache_free(c1, o2);                        /* another cache's */
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "another cache"));
	EXPECT_TRUE(t, ktest_contains(buf, "test_foreign1"));

	CAPTURE(cap, buf);
	kfree((char *)big + PAGE_SIZE);                 /* inside a large block */
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "kfree"));

	EXPECT_EQ(t, slab_check(), 0);
	kfree(big);
	kmem_cache_free(c1, o1);
	kmem_cache_free(c2, o2);
	free_page(frame);
	kmem_cache_destroy(c1);
	kmem_cache_destroy(c2);
}

static void destroy_with_live_objects_is_refused(struct ktest *t)
{
	struct kmem_cache *c = kmem_cache_create("test_destroy", 32, 0);
	struct ktest_capture cap;
	char buf[512];
	void *p;

	ASSERT_NOT_NULL(t, c);
	p = kmem_cache_alloc(c);
	ASSERT_NOT_NULL(t, p);
	CAPTURE(cap, buf);
	kmem_cache_destroy(c);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "still has 1 objects"));
	/* The cache still works. */
	kmem_cache_free(c, p);
	EXPECT_EQ(t, slab_check(), 0);
	kmem_cache_destroy(c);
}

static void bad_cache_arguments_are_refused(struct ktest *t)
{
	struct ktest_capture cap;
	char buf[512];

	CAPTURE(cap, buf);
	EXPECT_NULL(t, kmem_cache_create("test_bad", 0, 0));
	EXPECT_NULL(t, kmem_cache_create("test_bad", KMEM_CACHE_MAX_SIZE + 1, 0));
	EXPECT_NULL(t, kmem_cache_create("test_bad", 64, 24));
	EXPECT_EQ(t, ktest_capture_stop(&cap), 3);
}

static void write_after_free_is_reported(struct ktest *t)
{
	struct kmem_cache *c;
	struct ktest_capture cap;
	char buf[512];
	void *keep, *p;

	if (!KCONFIG_DEBUG)     /* before the cache exists: a skip ends the case here */
		ktest_skip(t, "poisoning is off in this build");
	c = kmem_cache_create("test_poison", 128, 0);
	ASSERT_NOT_NULL(t, c);
	keep = kmem_cache_alloc(c);
	p = kmem_cache_alloc(c);
	ASSERT_NOT_NULL(t, p);
	kmem_cache_free(c, p);
	((u8 *)p)[100] = 0x42;                          /* the use after free */
	CAPTURE(cap, buf);
	EXPECT_EQ(t, slab_check(), -EINVAL);            /* the checker sees it too */
	EXPECT_PTR_EQ(t, kmem_cache_alloc(c), p);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 2);
	EXPECT_TRUE(t, ktest_contains(buf, "written after it was freed"));
	kmem_cache_free(c, p);
	kmem_cache_free(c, keep);
	kmem_cache_destroy(c);
}

static void checker_catches_a_broken_free_list(struct ktest *t)
{
	struct kmem_cache *c = kmem_cache_create("test_check", 64, 0);
	struct ktest_capture cap;
	char buf[512];
	void *keep, *p, *saved;

	ASSERT_NOT_NULL(t, c);
	keep = kmem_cache_alloc(c);
	p = kmem_cache_alloc(c);
	ASSERT_NOT_NULL(t, p);
	kmem_cache_free(c, p);
	saved = *(void **)p;
	*(void **)p = keep;                             /* points at a live object */
	CAPTURE(cap, buf);
	EXPECT_EQ(t, slab_check(), -EINVAL);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "test_check"));
	*(void **)p = saved;
	EXPECT_EQ(t, slab_check(), 0);
	kmem_cache_free(c, keep);
	kmem_cache_destroy(c);
}

/* Every allocation is a FAULT_SLAB injection point, kmalloc-large too. */
static void injected_failure_gives_null_once(struct ktest *t)
{
	struct fault_attr second = { .mode = FAULT_MODE_NTH, .n = 2 };
	struct kmem_cache *c = kmem_cache_create("test_inject", 48, 0);
	struct fault_stats st;
	void *p, *q, *big;

	ASSERT_NOT_NULL(t, c);
	ASSERT_EQ(t, fault_inject_set(FAULT_SLAB, &second), 0);
	fault_inject_begin();
	p = kmem_cache_alloc(c);
	q = kmem_cache_alloc(c);                        /* the 2nd call fails */
	big = kmalloc(5 * PAGE_SIZE);
	fault_inject_end();
	fault_inject_get_stats(FAULT_SLAB, &st);
	fault_inject_clear(FAULT_SLAB);
	EXPECT_NOT_NULL(t, p);
	EXPECT_NULL(t, q);
	EXPECT_NOT_NULL(t, big);
	EXPECT_EQ(t, st.calls, 3);
	EXPECT_EQ(t, st.injected, 1);
	kfree(big);

	ASSERT_EQ(t, fault_inject_set(FAULT_SLAB, &(struct fault_attr){
		.mode = FAULT_MODE_NTH, .n = 1 }), 0);
	fault_inject_begin();
	big = kmalloc(5 * PAGE_SIZE);
	fault_inject_end();
	fault_inject_clear(FAULT_SLAB);
	EXPECT_NULL(t, big);
	kmem_cache_free(c, p);
	kmem_cache_destroy(c);
}

static const struct ktest_case slab_cases[] = {
	KTEST_CASE(kmalloc_sizes_are_usable_and_aligned),
	KTEST_CASE(many_objects_do_not_overlap),
	KTEST_CASE(objects_keep_their_contents),
	KTEST_PARAM_CASE(cache_objects_are_aligned_and_distinct, shape_params),
	KTEST_CASE(zalloc_gives_zeroes),
	KTEST_CASE(empty_slabs_return_to_frame_allocator_but_one_spare),
	KTEST_CASE(large_kmalloc_uses_frame_blocks),
	KTEST_CASE(double_free_warns_once_and_is_ignored),
	KTEST_CASE(foreign_pointers_warn_once_and_are_ignored),
	KTEST_CASE(every_interior_pointer_is_refused),
	KTEST_CASE(destroy_with_live_objects_is_refused),
	KTEST_CASE(bad_cache_arguments_are_refused),
	KTEST_CASE(write_after_free_is_reported),
	KTEST_CASE(checker_catches_a_broken_free_list),
	KTEST_CASE(injected_failure_gives_null_once),
	{}
};

static const struct ktest_suite slab_suite = {
	.name = "slab",
	.cases = slab_cases,
	.init = slab_case_init,
	.exit = slab_case_exit,
};
KTEST_SUITE_REGISTER(slab_suite);
