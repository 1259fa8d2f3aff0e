/*
 * Benchmarks run by `make bench` (kernel command line `bench`). A scenario
 * registers itself with KBENCH(fn) next to what it measures and reports
 * each figure with bench_report(), which prints the machine-readable line
 *
 *   # bench: name=<scenario> metric=<metric> value=<number> [n=<iterations>] [unit=<unit>]
 *
 * (docs/bench.md) and keeps it for the table printed at the end.
 * Time comes from the TSC, calibrated again before the benchmarks over
 * about a second (arch/x86_64/tsc_calibrate.h); the runner refuses to run
 * them when that calibration is not consistent. Report the median of
 * several runs where one run is short.
 */
#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

#include "kernel/compiler.h"
#include "kernel/types.h"

struct kbench {
	const char *name;       /* the scenario group, e.g. "pfa" */
	void (*run)(void);
};

#define KBENCH(group, fn)                                                       \
	static const struct kbench __kbench_##fn = { .name = group, .run = fn }; \
	static const struct kbench *const __kbench_ptr_##fn                     \
		__section(".kbench") __used = &__kbench_##fn

/* Records and prints one figure. `n` 0 and `unit` NULL are left out. */
void bench_report(const char *name, const char *metric, u64 value, u64 n,
		  const char *unit);

/* Reads the cycle counter (serialised). */
u64 bench_now(void);

/* Converts a cycle-counter interval to nanoseconds. */
u64 bench_cycles_to_ns(u64 cycles);

/* The median of `n` values (sorts `v` in place). */
u64 bench_median(u64 *v, unsigned n);

/*
 * Calibrates the clock (bench.clock_windows=9, bench.clock_window_ms=100,
 * bench.clock_max_spread_ppm=2000; bench.clock_pit: against the PIT even
 * with a PM timer), prints it, then runs every registered
 * benchmark allowed by `bench.filter`, prints the table and "bench: done".
 * With the spread over the limit it prints "bench: clock refused: ..."
 * and runs nothing (no "bench: done").
 */
void bench_run_all(void);

#endif
