/*
 * The per-CPU object magazines of the slab caches (mm/slab_cpu.c,
 * docs/percpu.md), suite `slab_cpu`: a freed object comes back first from
 * the freeing CPU's magazine, a full magazine flushes a batch back to the
 * slabs, a second free of an object in a magazine is refused, slab_check()
 * catches a magazine object written after free, an object freed on another
 * CPU than the one that took it goes through the freeing CPU's magazine
 * back to its own slab, fault injection fails a refill cleanly, and every
 * CPU allocating and freeing at once leaves the cache exact. The cases
 * that need two CPUs skip with a reason on one.
 *
 * Each case uses a cache of its own, destroyed at the end (which must
 * succeed silently: the magazines are flushed first).
 */
#include "tests/ktest.h"
#include "tests/ktest_leak.h"
#include "tests/ktest_smp.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "mm/fault_inject.h"
#include "mm/slab.h"

#define MAG_SIZE        16      /* SLAB_MAG_SIZE of mm/slab_internal.h */
#define MAG_BATCH       8       /* SLAB_MAG_BATCH */
#define OTHER_CPU       1

static struct ktest_leak mag_leak;
static struct kmem_cache *cache;

static int mag_case_init(struct ktest *t)
{
	(void)t;
	slab_cpu_set_enabled(true);
	if (ktest_leak_begin(&mag_leak))
		return -ENOMEM;
	cache = kmem_cache_create_percpu("mag_test", 48, 0);
	return cache ? 0 : -ENOMEM;
}

static void mag_case_exit(struct ktest *t)
{
	unsigned long warned = warn_count();

	while (fault_inject_in_scope())
		fault_inject_end();
	fault_inject_clear(FAULT_SLAB);
	fault_inject_clear(FAULT_PAGE_ALLOC);
	kmem_cache_destroy(cache);
	EXPECT_EQ(t, warn_count(), warned);     /* objects in magazines do not block it */
	cache = NULL;
	ktest_leak_end(t, &mag_leak, KTEST_LEAK_IGNORE_WARNINGS);
}

static void need_two_cpus(struct ktest *t)
{
	if (smp_num_online() < 2)
		ktest_skip(t, "one CPU online: magazines on several CPUs need --smp 2 or more");
}

/* The first allocation refills a batch; a freed object is the next one handed out. */
static void freed_object_comes_back_from_this_cpus_magazine(struct ktest *t)
{
	unsigned cpu = smp_processor_id();
	struct kmem_cache_stats st;
	void *obj = kmem_cache_alloc(cache), *again;

	ASSERT_NOT_NULL(t, obj);
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, cpu), MAG_BATCH - 1);
	kmem_cache_get_stats(cache, &st);
	EXPECT_EQ(t, st.active_objs, 1);        /* the magazine's objects are not in use */
	kmem_cache_free(cache, obj);
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, cpu), MAG_BATCH);
	kmem_cache_get_stats(cache, &st);
	EXPECT_EQ(t, st.active_objs, 0);
	again = kmem_cache_alloc(cache);
	EXPECT_PTR_EQ(t, again, obj);
	kmem_cache_free(cache, again);
	EXPECT_EQ(t, slab_check(), 0);
}

/* Freeing more than a magazine holds flushes batches: never more than its size. */
static void full_magazine_flushes_a_batch(struct ktest *t)
{
	void *objs[3 * MAG_SIZE];
	unsigned cpu = smp_processor_id();

	for (unsigned i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = kmem_cache_alloc(cache);
		ASSERT_NOT_NULL(t, objs[i]);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(objs); i++) {
		kmem_cache_free(cache, objs[i]);
		EXPECT_LT(t, kmem_cache_magazine_count(cache, cpu), MAG_SIZE);
	}
	EXPECT_GE(t, kmem_cache_magazine_count(cache, cpu), MAG_BATCH);
	EXPECT_EQ(t, slab_check(), 0);
}

/* An object sitting in a magazine freed again: one warning, nothing changes. */
static void double_free_into_the_magazine_is_detected(struct ktest *t)
{
	void *obj = kmem_cache_alloc(cache);
	struct ktest_capture cap;
	unsigned long warned = warn_count();
	unsigned count;
	char buf[512];

	ASSERT_NOT_NULL(t, obj);
	kmem_cache_free(cache, obj);
	count = kmem_cache_magazine_count(cache, smp_processor_id());
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	kmem_cache_free(cache, obj);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_EQ(t, warn_count() - warned, 1);
	EXPECT_TRUE(t, ktest_contains(buf, "double free"));
	EXPECT_TRUE(t, ktest_contains(buf, "double_free_into_the_magazine_is_detected"));
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, smp_processor_id()), count);
	EXPECT_EQ(t, slab_check(), 0);
}

/* slab_check() reads the magazines: an object written after free is reported. */
static void checker_catches_a_written_magazine_object(struct ktest *t)
{
	unsigned long *obj = kmem_cache_alloc(cache), saved;
	struct ktest_capture cap;
	char buf[512];
	int err;

	ASSERT_NOT_NULL(t, obj);
	kmem_cache_free(cache, obj);
	saved = obj[0];
	obj[0] = 0x1234;                /* a write after free into the magazine's object */
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	err = slab_check();
	ktest_capture_stop(&cap);
	obj[0] = saved;
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_TRUE(t, ktest_contains(buf, "mag_test: a magazine object was written after free"));
	EXPECT_EQ(t, slab_check(), 0);
}

/* A refill that needs a new slab fails when its frame is refused: NULL, nothing cached. */
static void fault_injection_fails_a_refill(struct ktest *t)
{
	struct fault_attr a = { .mode = FAULT_MODE_NTH, .n = 1 };
	unsigned cpu = smp_processor_id();
	void *obj;

	ASSERT_EQ(t, fault_inject_set(FAULT_PAGE_ALLOC, &a), 0);
	fault_inject_begin();
	obj = kmem_cache_alloc(cache);  /* an empty cache: the refill needs a frame */
	fault_inject_end();
	fault_inject_clear(FAULT_PAGE_ALLOC);
	EXPECT_NULL(t, obj);
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, cpu), 0);
	EXPECT_EQ(t, slab_check(), 0);
	ASSERT_EQ(t, fault_inject_set(FAULT_SLAB, &a), 0);
	fault_inject_begin();
	obj = kmem_cache_alloc(cache);
	fault_inject_end();
	EXPECT_NULL(t, obj);
	obj = kmem_cache_alloc(cache);  /* and the next refill works */
	EXPECT_NOT_NULL(t, obj);
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, cpu), MAG_BATCH - 1);
	kmem_cache_free(cache, obj);
}

static void alloc_on_this_cpu(struct ktest *t, void *arg)
{
	void **obj = arg;

	*obj = kmem_cache_alloc(cache);
	ASSERT_NOT_NULL(t, *obj);
}

static void free_on_this_cpu(struct ktest *t, void *arg)
{
	(void)t;
	kmem_cache_free(cache, arg);
}

/* Taken on CPU 1, freed on CPU 0: into CPU 0's magazine; a flush puts it back in its slab. */
static void remote_free_goes_through_the_freeing_cpus_magazine(struct ktest *t)
{
	unsigned me = smp_processor_id();
	struct kmem_cache_stats st;
	void *obj = NULL;

	need_two_cpus(t);
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, alloc_on_this_cpu, &obj), 0);
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, OTHER_CPU), MAG_BATCH - 1);
	kmem_cache_free(cache, obj);
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, me), 1);
	EXPECT_EQ(t, slab_check(), 0);
	slab_flush_all_caches();
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, me), 0);
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, OTHER_CPU), 0);
	kmem_cache_get_stats(cache, &st);
	EXPECT_EQ(t, st.active_objs, 0);
	EXPECT_EQ(t, st.nr_slabs - st.nr_spare, 0);     /* every object back in its slab */
	EXPECT_EQ(t, slab_check(), 0);
	/* and the other way: taken here, freed there */
	obj = kmem_cache_alloc(cache);
	ASSERT_NOT_NULL(t, obj);
	EXPECT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, free_on_this_cpu, obj), 0);
	EXPECT_EQ(t, kmem_cache_magazine_count(cache, OTHER_CPU), 1);
	EXPECT_EQ(t, slab_check(), 0);
}

#define STRESS_ROUNDS   40
#define STRESS_OBJS     50              /* above a magazine: refills and flushes */

static void *shared[SMP_MAX_CPUS][STRESS_OBJS];

/* Each CPU takes objects, marks them, and frees those the previous CPU left: many remote frees. */
static void stress_one_cpu(struct ktest *t, void *arg)
{
	unsigned me = smp_processor_id(), cpus = smp_num_online();
	unsigned prev = (me + cpus - 1) % cpus;

	(void)arg;
	for (unsigned r = 0; r < STRESS_ROUNDS; r++) {
		for (unsigned i = 0; i < STRESS_OBJS; i++) {
			unsigned long *o = kmem_cache_alloc(cache);

			ASSERT_NOT_NULL(t, o);
			o[1] = me;
			/* the slot's last object, if the next CPU has not taken it: freed here */
			o = __atomic_exchange_n(&shared[me][i], o, __ATOMIC_ACQ_REL);
			if (o) {
				EXPECT_EQ(t, o[1], me);
				kmem_cache_free(cache, o);
			}
		}
		for (unsigned i = 0; i < STRESS_OBJS; i++) {
			unsigned long *o = __atomic_exchange_n(&shared[prev][i], NULL, __ATOMIC_ACQ_REL);

			if (!o)
				continue;
			EXPECT_EQ(t, o[1], prev);
			kmem_cache_free(cache, o);
		}
	}
}

/* Exactness under concurrency: afterwards every object is accounted for and the cache checks. */
static void concurrent_allocs_and_remote_frees_stay_exact(struct ktest *t)
{
	struct kmem_cache_stats st;
	unsigned long left = 0;

	need_two_cpus(t);
	memset(shared, 0, sizeof(shared));
	EXPECT_EQ(t, ktest_on_each_cpu(t, stress_one_cpu, NULL), 0);
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		for (unsigned i = 0; i < STRESS_OBJS; i++)
			if (shared[c][i]) {
				kmem_cache_free(cache, shared[c][i]);
				left++;
			}
	ktest_log(t, "%lu objects were left for the boot CPU to free", left);
	kmem_cache_get_stats(cache, &st);
	EXPECT_EQ(t, st.active_objs, 0);
	EXPECT_EQ(t, slab_check(), 0);
}

static const struct ktest_case slab_cpu_cases[] = {
	KTEST_CASE(freed_object_comes_back_from_this_cpus_magazine),
	KTEST_CASE(full_magazine_flushes_a_batch),
	KTEST_CASE(double_free_into_the_magazine_is_detected),
	KTEST_CASE(checker_catches_a_written_magazine_object),
	KTEST_CASE(fault_injection_fails_a_refill),
	KTEST_CASE(remote_free_goes_through_the_freeing_cpus_magazine),
	KTEST_CASE(concurrent_allocs_and_remote_frees_stay_exact),
	{}
};

static const struct ktest_suite slab_cpu_suite = {
	.name = "slab_cpu",
	.cases = slab_cpu_cases,
	.init = mag_case_init,
	.exit = mag_case_exit,
};
KTEST_SUITE_REGISTER(slab_cpu_suite);
