/*
 * The cost of a TLB shootdown (docs/smp.md): arch_flush_tlb_kernel_range()
 * of 1 page, 64 pages (the last INVLPG size) and 65 pages (a full flush),
 * twice: with every other online CPU idle in its halt loop (each flush
 * leaves them a note, no IPI), then with each of them busy in a spinning
 * cross-call (each flush pays the IPIs, the interrupted CPUs' flushes and
 * the acknowledgements). Run with `make bench BENCH_SMP=2` (or 4); on one
 * CPU it reports nothing.
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

static volatile bool busy_stop;

/* The other CPUs' cross-call: spins with interrupts on, so each flush interrupts it. */
static void spin_until_stopped(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&busy_stop, __ATOMIC_ACQUIRE))
		cpu_relax();
}

/*
 * Posts spin_until_stopped() to every other online CPU and waits (up to a
 * second each) until it has left its idle loop; false if one did not.
 */
static bool make_others_busy(void)
{
	bool all = true;

	busy_stop = false;
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		if (c != smp_processor_id() && smp_cpu_online(c))
			all &= smp_call_start(c, spin_until_stopped, NULL) == 0 &&
			       smp_wait_cpu_idle(c, false, 1000);
	return all;
}

static void let_others_go(void)
{
	__atomic_store_n(&busy_stop, true, __ATOMIC_RELEASE);
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		if (c != smp_processor_id() && smp_cpu_online(c))
			smp_call_wait(c, 1000);
}

/* One line per flush size, the others `how` ("idle" or "busy"). */
static void time_each_size(unsigned cpus, const char *how)
{
	static const unsigned long sizes[] = { 1, ARCH_TLB_FLUSH_MAX_PAGES,
					       ARCH_TLB_FLUSH_MAX_PAGES + 1 };
	char name[64];
	u64 ns[RUNS];

	for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++) {
		unsigned long ipis = smp_shootdown_ipi_count();
		unsigned long notes = smp_shootdown_deferred_count();

		for (unsigned r = 0; r < RUNS; r++)
			ns[r] = time_flushes(sizes[s]);
		snprintf(name, sizeof(name), "smp_shootdown_%lu_pages_%u_cpus_%s", sizes[s], cpus,
			 how);
		bench_report(name, "ns_per_flush", bench_median(ns, RUNS), FLUSHES, "ns");
		printk("bench: smp: %s: %lu IPIs, %lu notes to idle CPUs\n", name,
		       smp_shootdown_ipi_count() - ipis, smp_shootdown_deferred_count() - notes);
	}
}

static void bench_shootdown(void)
{
	unsigned cpus = smp_num_online();

	if (cpus < 2) {
		printk("bench: smp: one CPU online, no shootdown to measure (BENCH_SMP=2)\n");
		return;
	}
	time_each_size(cpus, "idle");
	if (make_others_busy())
		time_each_size(cpus, "busy");
	else
		printk("bench: smp: a CPU would not take the spinning call: no busy figures\n");
	let_others_go();
}
KBENCH("smp", bench_shootdown);
