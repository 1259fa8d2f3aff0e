/*
 * vmalloc scaling benchmark (bench group `vmalloc_scaling`, after Linux's
 * test_vmalloc scenarios of tests/bench_test_vmalloc.c): the cost of one
 * get_vm_area + free_vm_area pair with N live areas, N = 10 ... 100000
 * (vmap_get_free_live_N, ns_per_op). The live areas are 1 page + guard
 * with a 2-page hole after each, so the free tree holds N ranges too, all
 * too small for the 2-page requests: the search has to skip every hole,
 * which the subtree maxima let it do in O(log N). The frees go to the lazy
 * tree and are purged every 32 MiB, which is part of the cost. 100000 live
 * areas need about 20 MiB of slab.
 */
#include "kernel/bench.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

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

static void bench_vmalloc_scaling(void)
{
	vm_unmap_aliases();             /* start from no lazy areas */
	bench_scaling();
}
KBENCH("vmalloc_scaling", bench_vmalloc_scaling);
