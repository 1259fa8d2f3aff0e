/* Shared between the ktest runner and its check/capture helpers. */
#ifndef TESTS_KTEST_INTERNAL_H
#define TESTS_KTEST_INTERNAL_H

#include "tests/ktest.h"

/* Writes harness output as it is (no diagnostic prefix). */
void ktest_out(const char *fmt, ...) __printf(1, 2);

/* Marks the case failed; an assertion also ends it. */
void ktest_record_failure(struct ktest *t, enum ktest_check kind);

/* The case being run, or NULL between cases. */
extern struct ktest *ktest_current;

/* The running case's deadline (TSC: start + its timeout), 0 outside its body. */
u64 ktest_case_deadline(void);

/*
 * Disarms (false) or re-arms (true, while a case's body runs) the calling
 * CPU's watchdog for the running case: the boot CPU pauses it while it waits, bounded, for the
 * parts other CPUs run (tests/ktest_smp.c), so their report comes first.
 */
void ktest_case_watchdog(bool on);

/* Arms/disarms the catcher that turns an unexpected fault into a failure. */
void ktest_arm_fault_catcher(void);

/* True if `ktest.filter` selects case `test` of suite `s` (test NULL: any case). */
bool ktest_filter_selects(const struct ktest_suite *s, const char *test);

/*
 * True if every item of `ktest.filter` selects at least one case; prints
 * "ktest: filter matched nothing: '<item>'" for each one that does not.
 */
bool ktest_filter_items_match(void);

/* Warns (WARN) about unknown `ktest.*` switches and bad values. */
void ktest_check_cmdline(void);

/* The word on each line of a warning or fault report a case declared. */
#define KTEST_EXPECTED_MARK "[expected]"

/* The running case's console prefix ("<indent># "), and none between cases. */
void ktest_case_prefix_set(const char *indent);
void ktest_case_prefix_clear(void);

/* Starts/stops watching warnings and fault reports (tests/ktest_report.c). */
void ktest_reports_watch(bool on);

/* Fails the case for undeclared, missing or extra warnings and fault reports. */
void ktest_reports_verdict(struct ktest *t);

/* True while a quiet console capture keeps output off the console. */
bool ktest_capture_is_quiet(void);

/* True while ktest_catch_fault() runs its function. */
bool ktest_catching_fault(void);

#endif
