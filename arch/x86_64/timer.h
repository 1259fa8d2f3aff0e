/* The periodic tick (8254 PIT channel 0) and TSC helpers. */
#ifndef ARCH_X86_64_TIMER_H
#define ARCH_X86_64_TIMER_H

#include "kernel/types.h"

#define TIMER_HZ 100

/* Starts the tick at TIMER_HZ on IRQ 0. Interrupts must be enabled to see it. */
void timer_init(void);

/* Ticks since timer_init(). */
u64 timer_ticks(void);

/*
 * Calls `fn` from the tick interrupt once timer_ticks() reaches `deadline`
 * (interrupts are off inside `fn`; it may longjmp). 0 disarms.
 */
typedef void (*timer_watchdog_fn)(void);
void timer_set_watchdog(u64 deadline, timer_watchdog_fn fn);

/* TSC ticks per second, measured against the PIT once at boot (20 ms). */
u64 tsc_hz(void);

/*
 * TSC ticks across a PIT channel-2 one-shot of `ms` (1..54) milliseconds.
 * Busy-waits; the benchmarks' longer calibration uses it when there is no
 * ACPI PM timer (arch/x86_64/tsc_calibrate.h).
 */
u64 tsc_cycles_over_pit_ms(unsigned ms);

#endif
