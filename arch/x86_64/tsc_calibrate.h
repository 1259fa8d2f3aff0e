/*
 * A long TSC calibration for the benchmarks (docs/bench.md, "The clock"):
 * several windows against a steady reference, the middle ones kept, their
 * spread reported so that a run on a busy host can refuse to print
 * figures. Boot keeps the quick 20 ms PIT estimate (timer.h).
 */
#ifndef ARCH_X86_64_TSC_CALIBRATE_H
#define ARCH_X86_64_TSC_CALIBRATE_H

#include "kernel/types.h"

#define TSC_CAL_MAX_WINDOWS 32

struct tsc_calibration {
	u64 hz;                 /* the median window's TSC rate */
	u64 lo_hz, hi_hz;       /* the slowest and fastest window kept */
	u32 spread_ppm;         /* (hi_hz - lo_hz) / hz, in millionths */
	unsigned windows;       /* windows measured */
	unsigned kept;          /* the middle ones kept (half, rounded up) */
	unsigned window_ms;     /* the length of each */
	const char *reference;  /* "ACPI PM timer" or "PIT channel 2" */
	u16 port;               /* the PM timer's I/O port, 0 for the PIT */
};

/*
 * Measures the TSC rate over `windows` (1..TSC_CAL_MAX_WINDOWS) windows of
 * `window_ms` each, against the ACPI PM timer when the FADT names one
 * (a free-running 3.579545 MHz counter, each end read between two timer
 * reads, the tightest of several tries), else (or when that timer does
 * not count) against PIT channel-2 one-shots (windows cut to 50 ms).
 * `pit` true uses the PIT even when there is a PM timer (a comparison).
 * Sorts the windows and keeps the middle half: `hz` is their median,
 * `spread_ppm` their range. Busy-waits about windows * window_ms;
 * interrupts may stay on.
 */
void tsc_calibrate_long(struct tsc_calibration *c, unsigned windows, unsigned window_ms,
			bool pit);

#endif
