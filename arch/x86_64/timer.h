/*
 * The periodic tick (8254 PIT channel 0 on one CPU; each CPU's local APIC
 * timer once the APIC is on), each CPU's watchdog, and TSC helpers.
 */
#ifndef ARCH_X86_64_TIMER_H
#define ARCH_X86_64_TIMER_H

#include "kernel/types.h"

struct trap_frame;

#define TIMER_HZ 100

/* Starts the tick at TIMER_HZ on IRQ 0. Interrupts must be enabled to see it. */
void timer_init(void);

/*
 * Moves the calling CPU's tick to its local APIC timer (TIMER_HZ, periodic).
 * The first call, by the boot CPU once the APIC is on, measures the APIC
 * timer against the TSC (one boot line) and masks the PIT; each AP then
 * calls it on arrival.
 */
void timer_start_local_apic(void);

/* The boot CPU's ticks since timer_init(). */
u64 timer_ticks(void);

/*
 * Arms the calling CPU's watchdog (each CPU has its own): `fn(frame)` is
 * called once from this CPU's tick interrupt when rdtsc() >= `deadline`,
 * with interrupts off and `frame` the interrupted code's registers (NULL
 * on the host); it may longjmp. A deadline of 0 or fn NULL disarms.
 */
typedef void (*timer_watchdog_fn)(const struct trap_frame *frame);
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
