/* The benchmark runner: registered scenarios, figure lines, final table. */
#include "kernel/bench.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/tsc_calibrate.h"
#include "asm/cpu.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/sort.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "mm/pfa.h"
#include "tests/ktest.h"

#define BENCH_MAX_FIGURES 512
#define CLOCK_WINDOWS     9
#define CLOCK_WINDOW_MS   100
#define CLOCK_MAX_SPREAD  2000          /* ppm */
#define CLOCK_ATTEMPTS    3

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
static u64 bench_hz;                    /* the long calibration's TSC rate */

u64 bench_now(void)
{
	return rdtsc();
}

u64 bench_cycles_to_ns(u64 cycles)
{
	u64 hz = bench_hz ? bench_hz : tsc_hz();

	if (!hz)
		return 0;
	/* Split to avoid overflow: cycles * 1e9 overflows after ~18 s at 1 GHz. */
	return cycles / hz * 1000000000ull + cycles % hz * 1000000000ull / hz;
}

u64 bench_median(u64 *v, unsigned n)
{
	sort_u64(v, n);
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

/* "1234.567" for `hz` in `buf` (MHz, three decimals). */
static const char *mhz(char *buf, size_t size, u64 hz)
{
	snprintf(buf, size, "%llu.%03llu", (unsigned long long)(hz / 1000000),
		 (unsigned long long)(hz / 1000 % 1000));
	return buf;
}

static void print_clock(const struct tsc_calibration *c, u64 limit)
{
	char hz[24], lo[24], hi[24], boot[24], port[24] = "";

	if (c->port)
		snprintf(port, sizeof(port), " (port 0x%x)", c->port);
	printk("bench: clock: TSC %s MHz against the %s%s, %u windows of %u ms, middle %u "
	       "%s - %s MHz: spread %u ppm (limit %llu); boot estimate %s MHz\n",
	       mhz(hz, sizeof(hz), c->hz), c->reference ? c->reference : "?", port,
	       c->windows, c->window_ms, c->kept, mhz(lo, sizeof(lo), c->lo_hz),
	       mhz(hi, sizeof(hi), c->hi_hz), c->spread_ppm, (unsigned long long)limit,
	       mhz(boot, sizeof(boot), tsc_hz()));
}

/*
 * The long calibration, up to CLOCK_ATTEMPTS times until its spread is
 * within the limit (the tightest attempt is kept), and the header line.
 * False if even the tightest was too wide: no figures then.
 */
static bool calibrate_clock(void)
{
	unsigned windows = cmdline_get_u64("bench.clock_windows", CLOCK_WINDOWS);
	unsigned window_ms = cmdline_get_u64("bench.clock_window_ms", CLOCK_WINDOW_MS);
	u64 limit = cmdline_get_u64("bench.clock_max_spread_ppm", CLOCK_MAX_SPREAD);
	bool pit = cmdline_has("bench.clock_pit");
	struct tsc_calibration c, best = { .spread_ppm = ~0u };

	for (unsigned i = 0; i < CLOCK_ATTEMPTS && best.spread_ppm > limit; i++) {
		tsc_calibrate_long(&c, windows, window_ms, pit);
		if (c.spread_ppm < best.spread_ppm)
			best = c;
	}
	print_clock(&best, limit);
	if (best.spread_ppm > limit) {
		printk("bench: clock refused: the TSC calibration spread %u ppm is over %llu ppm "
		       "(a busy host?); no figures printed\n", best.spread_ppm,
		       (unsigned long long)limit);
		return false;
	}
	bench_hz = best.hz;
	bench_report("tsc", "hz", best.hz, 0, NULL);
	bench_report("tsc", "spread_ppm", best.spread_ppm, best.kept, "ppm");
	return true;
}

/*
 * Writes every free frame once, before the first scenario. Under QEMU's
 * TCG a frame that boot code ran in (GRUB's modules, the firmware) keeps
 * that code's translations after the kernel takes the frame over, and
 * every later write to it takes the emulator's self-modifying-code check
 * until one write covers the translated bytes. The allocators hand a few
 * hot frames out again and again, so whether those are such frames would
 * move a figure (fix_size: 13%). Zeroing them all drops every translation
 * (docs/bench.md, "Frames GRUB ran code in").
 */
static void write_free_frames_once(void)
{
	struct page_list held[MAX_ORDER + 1] = { 0 };
	unsigned long frames = 0;
	u64 start = bench_now();
	struct page *p;

	for (int order = MAX_ORDER; order >= 0; order--)
		while ((p = alloc_pages(order, PFA_ZERO))) {
			page_list_add(&held[order], p);
			frames += 1ul << order;
		}
	for (int order = MAX_ORDER; order >= 0; order--)
		while ((p = page_list_pop(&held[order])))
			free_pages(p, order);
	printk("bench: every free frame written once: %lu MiB in %llu ms\n", frames >> 8,
	       (unsigned long long)(bench_cycles_to_ns(bench_now() - start) / 1000000));
}

void bench_run_all(void)
{
	const char *filter = cmdline_get("bench.filter");

	if (!calibrate_clock())
		return;
	if (!cmdline_has("bench.no_frame_warmup"))
		write_free_frames_once();
	for (const struct kbench *const *b = __kbench_start; b < __kbench_end; b++) {
		if (filter && *filter && !ktest_glob_match(filter, (*b)->name))
			continue;
		printk("bench: running %s\n", (*b)->name);
		(*b)->run();
	}
	print_table();
	printk("bench: done, %u figures\n", nr_figures);
}
