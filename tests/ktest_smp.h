/*
 * Running test code on other CPUs (docs/smp.md). The boot CPU runs the
 * case and prints all the KTAP; other CPUs run functions the case hands
 * them through cross-calls. On another CPU:
 *   - EXPECT_* records a failure in the case (its message names the line);
 *   - ASSERT_* ends that CPU's part of the case, not the case itself;
 *   - a fault is reported (the report names the CPU) and ends that CPU's
 *     part; a part that does not finish in time takes its CPU offline.
 * Each ending is turned into one failure line of the case naming the CPU.
 */
#ifndef TESTS_KTEST_SMP_H
#define TESTS_KTEST_SMP_H

#include "tests/ktest.h"

#define KTEST_SMP_TIMEOUT_MS 5000

/*
 * Runs fn(t, arg) on CPU `cpu` (not the caller) and waits for it. 0, or a
 * negative errno after recording the case's failure (-EFAULT: it faulted
 * or asserted there; -ETIMEDOUT; -ENODEV: the CPU is not online).
 */
int ktest_run_on_cpu(struct ktest *t, unsigned cpu, void (*fn)(struct ktest *t, void *arg),
		     void *arg);

/*
 * Runs fn(t, arg) on every online CPU at the same time, the caller
 * included, and waits for all (each other CPU as ktest_run_on_cpu() says).
 * Returns the number of CPUs whose part failed to complete.
 */
unsigned ktest_on_each_cpu(struct ktest *t, void (*fn)(struct ktest *t, void *arg), void *arg);

#endif
