/*
 * Running test code on other CPUs (docs/smp.md). The boot CPU runs the
 * case and prints all the KTAP; other CPUs run functions the case hands
 * them through cross-calls. On another CPU:
 *   - EXPECT_* records a failure in the case (its message names the line);
 *   - ASSERT_* ends that CPU's part of the case, not the case itself;
 *   - a fault is reported (the report names the CPU) and ends that CPU's
 *     part;
 *   - a part still running at the case's deadline is stopped by that CPU's
 *     watchdog (its local APIC timer), which prints where it was; the CPU
 *     goes on serving;
 *   - a part that did not stop even then (a CPU stuck with interrupts off)
 *     takes its CPU offline after KTEST_SMP_GRACE_MS more: an NMI asks it
 *     for its backtrace and parks it; the rest of the run goes on without it.
 * Each ending is turned into one failure line of the case naming the CPU.
 */
#ifndef TESTS_KTEST_SMP_H
#define TESTS_KTEST_SMP_H

#include "tests/ktest.h"

#define KTEST_SMP_TIMEOUT_MS 30000  /* a part's deadline outside any case */
#define KTEST_SMP_GRACE_MS   1000   /* past the deadline: the CPU is stuck */

/*
 * Runs fn(t, arg) on CPU `cpu` (not the caller) and waits for it. 0, or a
 * negative errno after recording the case's failure (-EFAULT: it faulted
 * or asserted there; -ETIMEDOUT: stopped at the deadline, or the CPU was
 * lost; -ENODEV: the CPU is not online).
 */
int ktest_run_on_cpu(struct ktest *t, unsigned cpu, void (*fn)(struct ktest *t, void *arg),
		     void *arg);

/*
 * ktest_run_on_cpu() with the part's deadline `ms` milliseconds from now
 * (or the case's, if that comes first): for a case that checks the
 * watchdog without running out of its own time.
 */
int ktest_run_on_cpu_for(struct ktest *t, unsigned cpu, unsigned ms,
			 void (*fn)(struct ktest *t, void *arg), void *arg);

/*
 * Runs fn(t, arg) on every online CPU at the same time, the caller
 * included, and waits for all (each other CPU as ktest_run_on_cpu() says).
 * Returns the number of CPUs whose part failed to complete.
 */
unsigned ktest_on_each_cpu(struct ktest *t, void (*fn)(struct ktest *t, void *arg), void *arg);

#endif
