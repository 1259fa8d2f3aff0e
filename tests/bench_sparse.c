/*
 * VM_SPARSE and arena benchmarks (`make bench BENCH_FILTER=sparse`), each
 * the median of RUNS runs after a warm-up run, CALLS calls per run:
 *
 *   sparse_map_unmap_<N>            ns per page of one vm_area_map_pages +
 *                                   vm_area_unmap_pages of N pages (1, 16,
 *                                   512), each call at a 2 MiB table span
 *                                   never used before: the map allocates
 *                                   its bottom-level table (and a PMD table
 *                                   every 512 spans), as the first use of
 *                                   any part of a sparse area does
 *   sparse_map_unmap_<N>_prebuilt   the same in a VM_SPARSE_PREBUILT area:
 *                                   every table is there, nothing allocates
 *   sparse_prebuilt_table_bytes_per_gib   page-table bytes a prebuilt area
 *                                   costs per GiB of its range
 *   sparse_prebuild_1g              usec to create and free a prebuilt
 *                                   1 GiB area (build and free its tables)
 *   arena_fault_in                  ns per page for a kernel load from a
 *                                   free page of an ARENA_FAULT_IN arena:
 *                                   the page fault, the resolver, a zeroed
 *                                   frame, the map, the load retried
 *   arena_alloc_pages_1             ns per page of arena_alloc_pages(1) of
 *                                   the same pages, no fault: what the
 *                                   fault itself adds is the difference
 *
 * The floor to compare with is pgtable_leaf_write_floor (bench_pgtable.c):
 * writing and clearing the leaves alone. The areas live in 512 GiB slots
 * high in the vmalloc space, so every table they need is new.
 */
#include "kernel/bench.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"
#include "mm/arena.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/vmalloc.h"

#define RUNS            7
#define CALLS           64
#define MAX_PAGES       512
#define SPAN            VM_SPARSE_TABLE_SPAN
#define SZ_1G           (1ul << 30)
#define SZ_512G         (512ul << 30)
#define SLOT(n)         (VMALLOC_START + (40ul + (n)) * SZ_512G)
#define ARENA_PAGES     256

static struct page *pages[MAX_PAGES];

static bool setup(void)
{
	for (unsigned i = 0; i < MAX_PAGES; i++)
		if (!(pages[i] = alloc_page(0)))
			return false;
	return true;
}

static void teardown(void)
{
	for (unsigned i = 0; i < MAX_PAGES; i++)
		free_page(pages[i]);
}

static struct vm_struct *area_in(unsigned slot, unsigned long size, unsigned long flags)
{
	return __get_vm_area_node(size, SPAN, VM_SPARSE | flags, SLOT(slot), SLOT(slot) + SZ_512G,
				  (void *)THIS_IP);
}

/* ns per page of CALLS map + unmap calls of n pages, call i at span first + i; 0 on failure. */
static u64 map_unmap_run(struct vm_struct *a, unsigned long first, unsigned long n)
{
	unsigned long base = (unsigned long)a->addr;
	u64 start = bench_now();

	for (unsigned long i = first; i < first + CALLS; i++) {
		unsigned long va = base + i * SPAN;

		if (vm_area_map_pages(a, va, va + n * PAGE_SIZE, pages))
			return 0;
		vm_area_unmap_pages(a, va, va + n * PAGE_SIZE);
	}
	return bench_cycles_to_ns(bench_now() - start) / (CALLS * n);
}

/*
 * Without pre-built tables each run uses CALLS fresh spans; with them the
 * same CALLS spans every run.
 */
static void bench_map_unmap(struct vm_struct *a, unsigned long n, bool prebuilt)
{
	char name[48];
	u64 ns[RUNS];

	snprintf(name, sizeof(name), "sparse_map_unmap_%lu%s", n, prebuilt ? "_prebuilt" : "");
	map_unmap_run(a, 0, n);
	for (unsigned r = 0; r < RUNS; r++) {
		ns[r] = map_unmap_run(a, prebuilt ? 0 : (r + 1) * CALLS, n);
		if (!ns[r]) {
			printk("bench: %s failed\n", name);
			return;
		}
	}
	bench_report(name, "ns_per_page", bench_median(ns, RUNS), n, "ns");
}

static void bench_maps(void)
{
	static const unsigned long sizes[] = { 1, 16, 512 };

	for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++) {
		struct vm_struct *fresh = area_in(s, (RUNS + 1) * CALLS * SPAN, 0);
		struct vm_struct *built = area_in(8, CALLS * SPAN, VM_SPARSE_PREBUILT);

		if (!fresh || !built) {
			printk("bench: sparse: no area for %lu pages\n", sizes[s]);
		} else {
			bench_map_unmap(fresh, sizes[s], false);
			bench_map_unmap(built, sizes[s], true);
		}
		free_vm_area(fresh);
		free_vm_area(built);
	}
}

/* The table cost of a prebuilt 1 GiB area, and the time to build and free its tables. */
static void bench_prebuild(void)
{
	unsigned long before = pgtable_total_tables(), tables = 0;
	u64 us[RUNS];

	for (unsigned r = 0; r < RUNS; r++) {
		u64 start = bench_now();
		struct vm_struct *a = area_in(9, SZ_1G - PAGE_SIZE, VM_SPARSE_PREBUILT);

		if (!a) {
			printk("bench: sparse: prebuilt 1 GiB area failed\n");
			return;
		}
		tables = pgtable_total_tables() - before;
		free_vm_area(a);
		us[r] = bench_cycles_to_ns(bench_now() - start) / 1000;
	}
	bench_report("sparse_prebuilt_table_bytes_per_gib", "bytes", tables * PAGE_SIZE, 0, NULL);
	bench_report("sparse_prebuild_1g", "usec", bench_median(us, RUNS), RUNS, "us");
}

/* ns per page to fault in (or allocate) every page of the arena; 0 on failure. */
static u64 arena_run(struct arena *a, bool touch)
{
	u64 start = bench_now(), ns;

	for (unsigned long i = 0; i < ARENA_PAGES; i++) {
		if (touch)
			(void)*(volatile u64 *)(a->start + i * PAGE_SIZE);
		else if (!arena_alloc_pages(a, a->start + i * PAGE_SIZE, 1, NULL))
			return 0;
	}
	ns = bench_cycles_to_ns(bench_now() - start) / ARENA_PAGES;
	if (a->nr_allocated != ARENA_PAGES)
		ns = 0;
	arena_free_pages(a, a->start, ARENA_PAGES);
	return ns;
}

static void bench_arena_one(struct arena *a, const char *name, bool touch)
{
	u64 ns[RUNS];

	arena_run(a, touch);
	for (unsigned r = 0; r < RUNS; r++) {
		ns[r] = arena_run(a, touch);
		if (!ns[r]) {
			printk("bench: %s failed\n", name);
			return;
		}
	}
	bench_report(name, "ns_per_page", bench_median(ns, RUNS), ARENA_PAGES, "ns");
}

static void bench_arena(void)
{
	struct arena *a = arena_create(ARENA_PAGES * PAGE_SIZE, ARENA_FAULT_IN);

	if (!a) {
		printk("bench: sparse: no arena\n");
		return;
	}
	bench_arena_one(a, "arena_fault_in", true);
	bench_arena_one(a, "arena_alloc_pages_1", false);
	arena_destroy(a);
}

static void bench_sparse(void)
{
	if (!setup()) {
		printk("bench: sparse skipped: out of memory\n");
		teardown();
		return;
	}
	bench_maps();
	bench_prebuild();
	bench_arena();
	teardown();
}
KBENCH("sparse", bench_sparse);
