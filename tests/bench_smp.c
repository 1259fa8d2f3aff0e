/*
 * The cost of a TLB shootdown (docs/smp.md): arch_flush_tlb_kernel_range()
 * of 1 page, 64 pages (the last INVLPG size) and 65 pages (a full flush),
 * with every other online CPU idle in its halt loop, so each flush pays
 * the IPIs, the wake-ups and the acknowledgements. Run with
 * `make bench BENCH_SMP=2` (or 4); on one CPU it reports nothing.
 */
#include "kernel/bench.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/lib/format.h"
#include "mm/arch_mmu.h"
#include "mm/layout.h"

#define RUNS    15
#define FLUSHES 200

static u64 time_flushes(unsigned long pages)
{
	unsigned long va = VMALLOC_START;
	u64 start = bench_now();

	for (unsigned i = 0; i < FLUSHES; i++)
		arch_flush_tlb_kernel_range(va, va + pages * PAGE_SIZE);
	return bench_cycles_to_ns(bench_now() - start) / FLUSHES;
}

static void bench_shootdown(void)
{
	static const unsigned long sizes[] = { 1, ARCH_TLB_FLUSH_MAX_PAGES,
					       ARCH_TLB_FLUSH_MAX_PAGES + 1 };
	unsigned cpus = smp_num_online();
	char name[64];
	u64 ns[RUNS];

	if (cpus < 2) {
		printk("bench: smp: one CPU online, no shootdown to measure (BENCH_SMP=2)\n");
		return;
	}
	for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++) {
		unsigned long ipis = smp_shootdown_ipi_count();

		for (unsigned r = 0; r < RUNS; r++)
			ns[r] = time_flushes(sizes[s]);
		snprintf(name, sizeof(name), "smp_shootdown_%lu_pages_%u_cpus", sizes[s], cpus);
		bench_report(name, "ns_per_flush", bench_median(ns, RUNS), FLUSHES, "ns");
		printk("bench: smp: %s: %lu IPIs\n", name, smp_shootdown_ipi_count() - ipis);
	}
}
KBENCH("smp", bench_shootdown);
