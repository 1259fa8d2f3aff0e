/*
 * The benchmarks' TSC calibration. Under QEMU's TCG both the TSC and the
 * ACPI PM timer follow the host's clocks, but the guest can be descheduled
 * at any instruction: a single short window (boot's 20 ms PIT one-shot)
 * then reads several per cent fast or slow. Long windows dilute the
 * error, bracketed reads bound it, and keeping the middle windows drops
 * the ones a host hiccup spoiled.
 */
#include "arch/x86_64/tsc_calibrate.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/timer.h"
#include "asm/cpu.h"
#include "kernel/lib/sort.h"

#define PM_TIMER_HZ     3579545u
#define PM_SAMPLE_TRIES 8
#define PIT_MAX_MS      50

struct pm_timer {
	u16 port;
	u32 mask;               /* 24 or 32 bits */
};

/*
 * One simultaneous (timer, TSC) reading: the TSC read between two timer
 * reads, the tightest pair of PM_SAMPLE_TRIES kept, the timer taken at
 * the pair's midpoint.
 */
static void pm_sample(const struct pm_timer *pm, u32 *ticks, u64 *tsc)
{
	u32 best = ~0u;

	for (unsigned i = 0; i < PM_SAMPLE_TRIES; i++) {
		u32 a = inl(pm->port) & pm->mask;
		u64 t = rdtsc();
		u32 b = inl(pm->port) & pm->mask;
		u32 gap = (b - a) & pm->mask;

		if (gap < best) {
			best = gap;
			*ticks = (a + gap / 2) & pm->mask;
			*tsc = t;
		}
	}
}

/*
 * TSC ticks per second over one window of at least `ms` PM-timer time; 0
 * if the timer did not get there in four times as long by the boot
 * estimate (a FADT naming a timer that does not count).
 */
static u64 pm_window_hz(const struct pm_timer *pm, unsigned ms)
{
	u32 want = (u32)((u64)PM_TIMER_HZ * ms / 1000), t0, t1;
	u64 c0, c1, give_up = rdtsc() + tsc_hz() / 1000 * ms * 4;

	pm_sample(pm, &t0, &c0);
	while (((inl(pm->port) - t0) & pm->mask) < want) {
		if (rdtsc() > give_up)
			return 0;
		cpu_relax();
	}
	pm_sample(pm, &t1, &c1);
	u32 elapsed = (t1 - t0) & pm->mask;

	return elapsed ? (c1 - c0) * PM_TIMER_HZ / elapsed : 0;
}

/* Keeps the middle half of the sorted windows `hz[0..n)` in `c`. */
static void keep_middle(struct tsc_calibration *c, u64 *hz, unsigned n)
{
	unsigned kept = (n + 1) / 2, first = (n - kept) / 2;

	sort_u64(hz, n);
	c->kept = kept;
	c->lo_hz = hz[first];
	c->hi_hz = hz[first + kept - 1];
	c->hz = hz[n / 2];
	c->spread_ppm = c->hz ? (u32)((c->hi_hz - c->lo_hz) * 1000000ull / c->hz) : ~0u;
}

void tsc_calibrate_long(struct tsc_calibration *c, unsigned windows, unsigned window_ms,
			bool pit)
{
	const struct acpi_info *acpi = acpi_info();
	struct pm_timer pm = { pit ? 0 : acpi->pm_timer_port,
			       acpi->pm_timer_32bit ? 0xffffffffu : 0xffffffu };
	u64 hz[TSC_CAL_MAX_WINDOWS];

	if (windows < 1)
		windows = 1;
	if (windows > TSC_CAL_MAX_WINDOWS)
		windows = TSC_CAL_MAX_WINDOWS;
	if (!window_ms)
		window_ms = 1;
	if (pm.port && window_ms > 4000)
		window_ms = 4000;       /* a 24-bit timer wraps after 4.69 s */
	if (pm.port && !pm_window_hz(&pm, 1))
		pm.port = 0;            /* it does not count: the PIT then */
	if (!pm.port && window_ms > PIT_MAX_MS)
		window_ms = PIT_MAX_MS;
	*c = (struct tsc_calibration){
		.windows = windows, .window_ms = window_ms, .port = pm.port,
		.reference = pm.port ? "ACPI PM timer" : "PIT channel 2",
	};
	for (unsigned i = 0; i < windows; i++)
		hz[i] = pm.port ? pm_window_hz(&pm, window_ms)
				: tsc_cycles_over_pit_ms(window_ms) * 1000 / window_ms;
	keep_middle(c, hz, windows);
}
