/* The benchmark runner: registered scenarios, figure lines, final table. */
#include "kernel/bench.h"
#include "asm/cpu.h"
#include "arch/x86_64/timer.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "tests/ktest.h"

#define BENCH_MAX_FIGURES 256

struct figure {
	char name[48];
	char metric[24];
	u64 value;
	u64 n;
};

extern const struct kbench *const __kbench_start[];
extern const struct kbench *const __kbench_end[];

static struct figure figures[BENCH_MAX_FIGURES];
static unsigned nr_figures;

u64 bench_now(void)
{
	return rdtsc();
}

u64 bench_cycles_to_ns(u64 cycles)
{
	u64 hz = tsc_hz();

	if (!hz)
		return 0;
	/* Split to avoid overflow: cycles * 1e9 overflows after ~18 s at 1 GHz. */
	return cycles / hz * 1000000000ull + cycles % hz * 1000000000ull / hz;
}

u64 bench_median(u64 *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		u64 x = v[i];
		unsigned j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return n ? v[n / 2] : 0;
}

void bench_report(const char *name, const char *metric, u64 value, u64 n,
		  const char *unit)
{
	char line[192];
	int len = snprintf(line, sizeof(line), "# bench: name=%s metric=%s value=%llu",
			   name, metric, (unsigned long long)value);

	if (n)
		len += snprintf(line + len, sizeof(line) - len, " n=%llu",
				(unsigned long long)n);
	if (unit)
		len += snprintf(line + len, sizeof(line) - len, " unit=%s", unit);
	printk("%s\n", line);
	if (nr_figures < BENCH_MAX_FIGURES) {
		struct figure *f = &figures[nr_figures++];

		snprintf(f->name, sizeof(f->name), "%s", name);
		snprintf(f->metric, sizeof(f->metric), "%s", metric);
		f->value = value;
		f->n = n;
	}
}

static void print_table(void)
{
	printk("\n%-44s %-20s %14s %10s\n", "scenario", "metric", "value", "n");
	for (unsigned i = 0; i < nr_figures; i++) {
		const struct figure *f = &figures[i];

		printk("%-44s %-20s %14llu %10llu\n", f->name, f->metric,
		       (unsigned long long)f->value, (unsigned long long)f->n);
	}
}

void bench_run_all(void)
{
	const char *filter = cmdline_get("bench.filter");

	bench_report("tsc", "hz", tsc_hz(), 0, NULL);
	for (const struct kbench *const *b = __kbench_start; b < __kbench_end; b++) {
		if (filter && *filter && !ktest_glob_match(filter, (*b)->name))
			continue;
		printk("bench: running %s\n", (*b)->name);
		(*b)->run();
	}
	print_table();
	printk("bench: done, %u figures\n", nr_figures);
}
