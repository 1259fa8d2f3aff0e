/*
 * vmalloc benchmarks (`bench bench.filter=vmalloc`).
 *
 * 1. The scenarios of Linux's lib/test_vmalloc.c, each run `repeat` times
 *    with `loops` iterations and reported the way that module reports
 *    them: one line per scenario,
 *
 *      Summary: fix_size_alloc_test passed: 1 failed: 0 repeat: 3 loops: 2000 avg: 12345 usec
 *
 *    (avg: the mean time of one whole run of `loops` iterations), plus
 *    bench lines vmalloc_<scenario> in usec (one run) and ns_per_op (one
 *    iteration). align_shift_alloc_test fails by design, as in Linux: it
 *    raises the alignment until nothing can fit.
 *
 * 2. Scaling: the cost of one get_vm_area + free_vm_area pair with N live
 *    areas, N = 10 ... 100000 (vmap_get_free_live_N, ns_per_op). The live
 *    areas are 1 page + guard with a 2-page hole after each, so the free
 *    tree holds N ranges too, all too small for the 2-page requests: the
 *    search has to skip every hole, which the subtree maxima let it do in
 *    O(log N). The frees go to the lazy tree and are purged every 32 MiB,
 *    which is part of the cost.
 *
 * Memory: the long busy list holds 15000 pages (60 MiB) and full_fit
 * 16384 (64 MiB); 100000 live areas need about 20 MiB of slab. The
 * default 1 GiB of `make bench` is plenty.
 */
#include "kernel/bench.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define REPEAT          3

static unsigned test_loop_count;
static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* --- Linux's scenarios (0: passed, -1: failed) ------------------------------ */

static int fix_size_alloc_test(void)
{
	for (unsigned i = 0; i < test_loop_count; i++) {
		u8 *p = vmalloc(3 * PAGE_SIZE);

		if (!p)
			return -1;
		*p = 1;
		vfree(p);
	}
	return 0;
}

static int full_fit_alloc_test(void)
{
	unsigned junk_length = (32u << 20) / PAGE_SIZE;
	void **ptr = vmalloc(sizeof(void *) * junk_length);
	void **junk = vmalloc(sizeof(void *) * junk_length);
	int rv = -1;

	if (!ptr || !junk)
		goto out;
	for (unsigned i = 0; i < junk_length; i++) {
		ptr[i] = vmalloc(PAGE_SIZE);
		junk[i] = vmalloc(PAGE_SIZE);
	}
	for (unsigned i = 0; i < junk_length; i++)
		vfree(junk[i]);
	for (unsigned i = 0; i < test_loop_count; i++) {
		u8 *p = vmalloc(PAGE_SIZE);

		if (!p)
			goto out_free;
		*p = 1;
		vfree(p);
	}
	rv = 0;
out_free:
	for (unsigned i = 0; i < junk_length; i++)
		vfree(ptr[i]);
out:
	vfree(ptr);
	vfree(junk);
	return rv;
}

static int long_busy_list_alloc_test(void)
{
	enum { BUSY = 15000 };
	void **ptr = vmalloc(sizeof(void *) * BUSY);
	int rv = -1;

	if (!ptr)
		return -1;
	for (unsigned i = 0; i < BUSY; i++)
		if (!(ptr[i] = vmalloc(PAGE_SIZE)))
			goto out;
	for (unsigned i = 0; i < test_loop_count; i++) {
		u8 *p = vmalloc(100 * PAGE_SIZE);

		if (!p)
			goto out;
		*p = 1;
		vfree(p);
	}
	rv = 0;
out:
	for (unsigned i = 0; i < BUSY; i++)
		vfree(ptr[i]);
	vfree(ptr);
	return rv;
}

static int random_size_alloc_test(void)
{
	for (unsigned i = 0; i < test_loop_count; i++) {
		unsigned long n = rnd() % 100 + 1;
		u8 *p = vmalloc(n * PAGE_SIZE);

		if (!p)
			return -1;
		*p = 1;
		vfree(p);
	}
	return 0;
}

static int fix_align_alloc_test(void)
{
	for (unsigned i = 0; i < test_loop_count; i++) {
		u8 *p = __vmalloc_node(5 * PAGE_SIZE, 32 * 1024, PFA_ZERO, (void *)THIS_IP);

		if (!p)
			return -1;
		*p = 0;
		vfree(p);
	}
	return 0;
}

static int random_size_align_alloc_test(void)
{
	for (unsigned i = 0; i < test_loop_count; i++) {
		u64 r = rnd();
		unsigned long align = 1ul << (r % 23);
		u8 *p = __vmalloc_node(((r >> 8) % 10 + 1) * PAGE_SIZE, align, PFA_ZERO,
				       (void *)THIS_IP);

		if (!p)
			return -1;
		vfree(p);
	}
	return 0;
}

/* Fails by design once the alignment is larger than the space allows. */
static int align_shift_alloc_test(void)
{
	for (int i = 0; i < 64; i++) {
		void *p = __vmalloc_node(PAGE_SIZE, 1ul << i, PFA_ZERO, (void *)THIS_IP);

		if (!p)
			return -1;
		vfree(p);
	}
	return 0;
}

struct vm_scenario {
	const char *name;
	int (*fn)(void);
	unsigned loops;
};

static const struct vm_scenario scenarios[] = {
	{ "fix_size_alloc_test", fix_size_alloc_test, 2000 },
	{ "full_fit_alloc_test", full_fit_alloc_test, 2000 },
	{ "long_busy_list_alloc_test", long_busy_list_alloc_test, 500 },
	{ "random_size_alloc_test", random_size_alloc_test, 1000 },
	{ "fix_align_alloc_test", fix_align_alloc_test, 2000 },
	{ "random_size_align_alloc_test", random_size_align_alloc_test, 2000 },
	{ "align_shift_alloc_test", align_shift_alloc_test, 1 },
};

static void run_scenario(const struct vm_scenario *s)
{
	unsigned passed = 0, failed = 0;
	u64 total_ns = 0, avg_us;
	char name[64];

	test_loop_count = s->loops;
	s->fn();                                        /* warm-up */
	vm_unmap_aliases();
	for (int r = 0; r < REPEAT; r++) {
		u64 start = bench_now();
		int rv = s->fn();

		total_ns += bench_cycles_to_ns(bench_now() - start);
		if (rv)
			failed++;
		else
			passed++;
		vm_unmap_aliases();
	}
	avg_us = total_ns / REPEAT / 1000;
	printk("Summary: %s passed: %u failed: %u repeat: %d loops: %u avg: %llu usec\n",
	       s->name, passed, failed, REPEAT, s->loops, (unsigned long long)avg_us);
	snprintf(name, sizeof(name), "vmalloc_%s", s->name);
	bench_report(name, "usec", avg_us, s->loops, "usec");
	bench_report(name, "ns_per_op", total_ns / REPEAT / s->loops, s->loops, "ns");
}

/* --- scaling with the number of live areas ------------------------------------ */

#define PAIRS           2000
#define RUNS            5

/*
 * Makes `n` live 1-page areas with a 2-page free hole after each: 2n
 * areas, then every other one freed and purged (freeing as we go would
 * let the purges hand the holes back to the next allocations). `live`
 * has room for 2n; the live ones end up in its first n entries.
 */
static bool make_live_areas(struct vm_struct **live, unsigned long n)
{
	for (unsigned long i = 0; i < 2 * n; i++)
		if (!(live[i] = get_vm_area(PAGE_SIZE, VM_SPARSE)))
			return false;
	for (unsigned long i = 0; i < n; i++)
		free_vm_area(live[2 * i + 1]);
	for (unsigned long i = 0; i < n; i++)
		live[i] = live[2 * i];
	for (unsigned long i = n; i < 2 * n; i++)
		live[i] = NULL;
	vm_unmap_aliases();
	return true;
}

/* ns per get_vm_area(2 pages) + free_vm_area pair, one run of PAIRS. */
static u64 run_pairs(void)
{
	u64 start = bench_now();

	for (unsigned i = 0; i < PAIRS; i++) {
		struct vm_struct *a = get_vm_area(2 * PAGE_SIZE, VM_SPARSE);

		if (!a)
			return 0;
		free_vm_area(a);
	}
	return bench_cycles_to_ns(bench_now() - start) / PAIRS;
}

static u64 bench_live(unsigned long n, struct vm_struct **live)
{
	struct vmap_stats st;
	char name[48];
	u64 ns[RUNS], median = 0;

	if (!make_live_areas(live, n)) {
		printk("bench: vmap_get_free_live_%lu skipped: out of memory\n", n);
		goto out;
	}
	vmap_get_stats(&kernel_vmap_space, &st);
	run_pairs();                                    /* warm-up */
	for (int r = 0; r < RUNS; r++)
		ns[r] = run_pairs();
	median = bench_median(ns, RUNS);
	snprintf(name, sizeof(name), "vmap_get_free_live_%lu", n);
	bench_report(name, "ns_per_op", median, PAIRS, "ns");
	printk("bench: %s: %lu busy and %lu free ranges in the trees\n", name, st.nr_busy,
	       st.nr_free);
out:
	for (unsigned long i = 0; i < 2 * n; i++) {
		free_vm_area(live[i]);          /* NULL is ignored */
		live[i] = NULL;
	}
	vm_unmap_aliases();
	return median;
}

static void bench_scaling(void)
{
	static const unsigned long sizes[] = { 10, 100, 1000, 10000, 100000 };
	struct vm_struct **live = vzalloc(2 * 100000 * sizeof(*live));
	u64 at100 = 0, at100k = 0;

	if (!live) {
		printk("bench: vmap scaling skipped: out of memory\n");
		return;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		u64 ns = bench_live(sizes[i], live);

		if (sizes[i] == 100)
			at100 = ns;
		if (sizes[i] == 100000)
			at100k = ns;
	}
	if (at100 && at100k)
		bench_report("vmap_get_free_live_100000_vs_100", "ratio", at100k * 100 / at100,
			     0, "percent");
	vfree(live);
}

static void bench_vmalloc(void)
{
	if (KCONFIG_DEBUG)
		printk("bench: vmalloc: KCONFIG_DEBUG=1, poisoning is on: figures are not representative\n");
	for (unsigned i = 0; i < ARRAY_SIZE(scenarios); i++)
		run_scenario(&scenarios[i]);
	bench_scaling();
}
KBENCH("vmalloc", bench_vmalloc);
