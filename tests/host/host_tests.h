/* Shared by the host runner's files (tests/host/): nothing in the kernel build includes it. */
#ifndef TESTS_HOST_HOST_TESTS_H
#define TESTS_HOST_HOST_TESTS_H

#include "host/machine.h"

/*
 * Records the machine and command line main() booted, so that a suite
 * that boots another machine (host_machine) can boot this one again when
 * it is done.
 */
void host_tests_booted(const struct host_machine *m, const char *cmdline);

/* Boots the machine main() booted again, quietly: the state right after mm_init(). */
void host_tests_reboot(void);

/*
 * Turns the kernel cases that cannot run on the host into skips that say
 * why (tests/host/kernel_only.c). Before ktest_run_all().
 */
void host_mark_kernel_only(void);

/* Runs the callgrind scenarios (tests/host/bench_host.c); `bench` on the command line. */
void host_bench_run_all(void);

#endif
