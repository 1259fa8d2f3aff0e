/*
 * Exact cost (`make host-bench`): the benchmark scenarios of `make bench`
 * run on the host machine under Valgrind's callgrind, which counts the
 * instructions each executes. Unlike the kernel's nanoseconds under TCG
 * these figures do not move with machine noise, so a change that makes a
 * path slower shows up in review.
 *
 * The program runs with instrumentation off (--instr-atstart=no); each
 * scenario sets itself up and warms up, then zeroes the counters, runs
 * `n` operations with instrumentation on and dumps the counters with its
 * name (CALLGRIND_DUMP_STATS_AT). arch/host/callgrind-report.py reads the
 * dumps and prints instructions per operation in `# bench:` lines
 * (docs/bench.md) and a table. Outside callgrind the client
 * requests do nothing and the scenarios simply run.
 *
 * The build is the benchmark one: -O2, KCONFIG_DEBUG=0 (no poisoning, no
 * debug checks), as `make bench` boots. An operation is one call (pair)
 * of the scenario, or for the sparse ones one page: sparse_map_unmap_N
 * maps and unmaps N pages per call, sparse_map_pages_N counts the maps
 * (vm_area_map_pages) alone.
 */
#include "tests/host/host_tests.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#define CALLGRIND_DUMP_STATS_AT(s)
#define CALLGRIND_TOGGLE_COLLECT
#endif


/* Counts `n` operations of `fn` under callgrind as scenario `name`. */
static void measure(const char *name, unsigned long n, void (*fn)(unsigned long n))
{
	char tag[96];

	fn(n / 10 + 1);                         /* warm-up */
	snprintf(tag, sizeof(tag), "bench name=%s n=%lu", name, n);
	CALLGRIND_ZERO_STATS;
	CALLGRIND_START_INSTRUMENTATION;
	fn(n);
	CALLGRIND_STOP_INSTRUMENTATION;
	CALLGRIND_DUMP_STATS_AT(tag);
	printk("bench: %s: %lu operations\n", name, n);
}

/* --- vmalloc ------------------------------------------------------------------- */

/* One vmalloc + vfree of `pages`; the lazy purges (every 32 MiB) included. */
static void vmalloc_vfree(unsigned long n, unsigned long pages)
{
	for (unsigned long i = 0; i < n; i++) {
		u8 *p = vmalloc(pages * PAGE_SIZE);

		if (!p)
			panic("bench: vmalloc of %lu pages failed", pages);
		vfree(p);
	}
}

static void vmalloc_vfree_1(unsigned long n)
{
	vmalloc_vfree(n, 1);
}

static void vmalloc_vfree_100(unsigned long n)
{
	vmalloc_vfree(n, 100);
}

/*
 * test_vmalloc's random_size: vmalloc + vfree of 1..100 pages, uniform,
 * from a fixed xorshift (the same sizes on every run).
 */
static void vmalloc_vfree_random(unsigned long n)
{
	static u64 x = 0x9e3779b97f4a7c15ull;

	for (unsigned long i = 0; i < n; i++) {
		u8 *p;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p = vmalloc((x % 100 + 1) * PAGE_SIZE);
		if (!p)
			panic("bench: vmalloc of %llu pages failed", (unsigned long long)(x % 100 + 1));
		vfree(p);
	}
}

/*
 * The setup of test_vmalloc's full_fit_alloc_test (tests/bench_test_vmalloc.c)
 * with `n` pairs: n pairs of 1-page vmallocs, every second one freed, then
 * the rest; one operation is one pair (2 vmalloc + 2 vfree), touching a
 * new area, frame and entry each time rather than the same ones again.
 */
#define FIT_PAIRS 8192

static void *fit_ptr[FIT_PAIRS], *fit_junk[FIT_PAIRS];

static void vmalloc_full_fit_setup(unsigned long n)
{
	for (unsigned long done = 0; done < n; done += FIT_PAIRS) {
		unsigned long len = MIN(n - done, (unsigned long)FIT_PAIRS);

		for (unsigned long i = 0; i < len; i++) {
			fit_ptr[i] = vmalloc(PAGE_SIZE);
			fit_junk[i] = vmalloc(PAGE_SIZE);
			if (!fit_ptr[i] || !fit_junk[i])
				panic("bench: vmalloc of pair %lu failed", i);
		}
		for (unsigned long i = 0; i < len; i++)
			vfree(fit_junk[i]);
		for (unsigned long i = 0; i < len; i++)
			vfree(fit_ptr[i]);
	}
}

/* --- get_vm_area with N live areas ---------------------------------------------- */

#define MAX_LIVE 100000

static struct vm_struct *live[MAX_LIVE], *holes[MAX_LIVE];

/*
 * N live 1-page areas (+ guard), each followed by a 2-page hole that a
 * 2-page request does not fit: the search must skip N holes (as in
 * tests/bench_vmalloc.c's vmap_get_free_live_N).
 */
static void make_live(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		live[i] = get_vm_area(PAGE_SIZE, 0);
		holes[i] = get_vm_area(PAGE_SIZE, 0);
		if (!live[i] || !holes[i])
			panic("bench: no room for %lu live areas", n);
	}
	for (unsigned long i = 0; i < n; i++)
		free_vm_area(holes[i]);
	vm_unmap_aliases();
}

static void drop_live(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		free_vm_area(live[i]);
	vm_unmap_aliases();
}

static void get_free(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		struct vm_struct *a = get_vm_area(2 * PAGE_SIZE, 0);

		if (!a)
			panic("bench: get_vm_area failed");
		free_vm_area(a);
	}
}

static void get_free_live(unsigned long live_areas, const char *name)
{
	make_live(live_areas);
	measure(name, 20000, get_free);
	drop_live(live_areas);
}

/* --- VM_SPARSE ------------------------------------------------------------------ */

static struct vm_struct *sparse;
static struct page *frames[512];
static unsigned long sparse_pages;

/*
 * `n` pages mapped and unmapped, sparse_pages at a time, at the start of
 * one area; with `map_only`, the unmaps are left out of the count
 * (CALLGRIND_TOGGLE_COLLECT around them).
 */
static void sparse_run(unsigned long n, bool map_only)
{
	unsigned long va = (unsigned long)sparse->addr, end = va + sparse_pages * PAGE_SIZE;

	for (unsigned long done = 0; done < n; done += sparse_pages) {
		if (vm_area_map_pages(sparse, va, end, frames))
			panic("bench: vm_area_map_pages failed");
		if (map_only)
			CALLGRIND_TOGGLE_COLLECT;
		vm_area_unmap_pages(sparse, va, end);
		if (map_only)
			CALLGRIND_TOGGLE_COLLECT;
	}
}

static void sparse_map_unmap(unsigned long n)
{
	sparse_run(n, false);
}

static void sparse_map(unsigned long n)
{
	sparse_run(n, true);
}

static void sparse_scenarios(unsigned long pages)
{
	char name[48];

	sparse_pages = pages;
	snprintf(name, sizeof(name), "sparse_map_unmap_%lu", pages);
	measure(name, 512 * 64, sparse_map_unmap);
	snprintf(name, sizeof(name), "sparse_map_pages_%lu", pages);
	measure(name, 512 * 64, sparse_map);
}

static void sparse_all(void)
{
	for (unsigned i = 0; i < 512; i++)
		if (!(frames[i] = alloc_page(0)))
			panic("bench: no frames");
	sparse = get_vm_area(512 * PAGE_SIZE, VM_SPARSE);
	if (!sparse)
		panic("bench: no sparse area");
	sparse_scenarios(1);
	sparse_scenarios(16);
	sparse_scenarios(512);
	free_vm_area(sparse);
	for (unsigned i = 0; i < 512; i++)
		free_page(frames[i]);
}

/* --- frames ------------------------------------------------------------------- */

static void pfa_alloc_free_order0(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		free_page(alloc_page(0));
}

static void pfa_alloc_free_order9(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		free_pages(alloc_pages(9, 0), 9);
}

void host_bench_run_all(void)
{
	printk("bench: instructions per operation under callgrind (KCONFIG_DEBUG=%d)\n",
	       KCONFIG_DEBUG);
	measure("pfa_alloc_free_order0", 100000, pfa_alloc_free_order0);
	measure("pfa_alloc_free_order9", 20000, pfa_alloc_free_order9);
	measure("vmalloc_vfree_1", 20000, vmalloc_vfree_1);
	measure("vmalloc_vfree_100", 2000, vmalloc_vfree_100);
	measure("vmalloc_vfree_random", 5000, vmalloc_vfree_random);
	get_free_live(100, "vmap_get_free_live_100");
	get_free_live(100000, "vmap_get_free_live_100000");
	sparse_all();
	measure("vmalloc_full_fit_setup", FIT_PAIRS, vmalloc_full_fit_setup);
	printk("bench: done\n");
}
