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

/* Arms/disarms the catcher that turns an unexpected fault into a failure. */
void ktest_arm_fault_catcher(void);

#endif
