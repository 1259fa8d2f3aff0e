/*
 * ktest: the in-kernel test harness. Suites register themselves with
 * KTEST_SUITE() next to their cases; kmain runs them after boot and prints
 * KTAP v1 on the console (docs/testing.md, "The log"), which scripts/ktest.py
 * turns into a verdict.
 *
 *   static void alloc_is_aligned(struct ktest *t)
 *   {
 *           struct page *p = alloc_page(0);
 *           ASSERT_NOT_NULL(t, p);
 *           EXPECT_EQ(t, page_to_phys(p) % PAGE_SIZE, 0);
 *           free_page(p);
 *   }
 *   static const struct ktest_case pfa_cases[] = {
 *           KTEST_CASE(alloc_is_aligned),
 *           {}
 *   };
 *   KTEST_SUITE(pfa, pfa_cases);
 *
 * EXPECT_* records a failure and goes on; ASSERT_* ends the case. A case
 * that faults is reported and marked failed, and the run goes on; one that
 * runs past its timeout is stopped by the timer watchdog.
 *
 * Every case is also checked for what it leaves behind (the hooks below:
 * tests/ktest_leak.c compares the memory subsystem's counters before and
 * after) and for the warnings and fault reports it prints: each one must
 * be declared with ktest_expect_warning()/ktest_expect_fault(), and the
 * lines of a declared one carry the word "[expected]" (docs/testing.md).
 */
#ifndef TESTS_KTEST_H
#define TESTS_KTEST_H

#include "kernel/compiler.h"
#include "kernel/fault.h"
#include "kernel/lib/string.h"
#include "kernel/setjmp.h"
#include "kernel/types.h"

#define KTEST_DESC_MAX 64
#define KTEST_REPORT_MAX 2048
#define KTEST_DEFAULT_TIMEOUT_S 30

enum ktest_status { KTEST_PASS, KTEST_FAIL, KTEST_SKIP };

/* Warnings and fault reports printed while a case runs, and those it declared. */
struct ktest_reports {
	unsigned warnings, faults;                      /* printed */
	unsigned warnings_expected, faults_expected;    /* declared, or KTEST_SOME/ANY */
	char undeclared[96];    /* the first one not declared: "WARNING at file:line" */
};

struct ktest {
	const char *suite;
	const char *name;               /* the case */
	const void *param;              /* current parameter, or NULL */
	void *priv;                     /* for the suite's init/exit */
	enum ktest_status status;
	const char *indent;             /* of this case's result line */
	char skip_reason[96];
	struct kjmp_buf abort;          /* where ASSERT_*, faults and timeouts land */
	struct ktest_reports reports;
	bool no_leak_check;             /* ktest_no_leak_check() */
	const char *no_leak_reason;
};

/*
 * A parameter generator: given the previous parameter (NULL first), returns
 * the next one or NULL at the end, and writes its description (snake_case,
 * no spaces, no '#') into `desc`. It is called twice per run (to count,
 * then to run), so it must be deterministic.
 */
typedef const void *(*ktest_param_gen_fn)(const void *prev, char *desc);

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
	ktest_param_gen_fn params;      /* NULL: a plain case */
	unsigned timeout_s;             /* 0: KTEST_DEFAULT_TIMEOUT_S */
};

#define KTEST_CASE(fn)                  { .name = #fn, .run = fn }
#define KTEST_CASE_TIMEOUT(fn, secs)    { .name = #fn, .run = fn, .timeout_s = (secs) }
#define KTEST_PARAM_CASE(fn, gen)       { .name = #fn, .run = fn, .params = gen }

/*
 * Builds a generator over a static array `arr` whose elements are described
 * by `describe(const elem *, char *desc)`.
 */
#define KTEST_ARRAY_PARAM(name, arr, describe)                                  \
	static const void *name(const void *prev, char *desc)                  \
	{                                                                       \
		__typeof__(&(arr)[0]) __p = prev ? (__typeof__(&(arr)[0]))prev + 1 \
						 : &(arr)[0];                   \
		if (__p >= &(arr)[ARRAY_SIZE(arr)])                             \
			return NULL;                                            \
		describe(__p, desc);                                            \
		return __p;                                                     \
	}

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases; /* ends with an entry whose name is NULL */
	int (*suite_init)(void);        /* optional; nonzero fails every case */
	void (*suite_exit)(void);
	int (*init)(struct ktest *t);   /* optional, before each case; nonzero fails it */
	void (*exit)(struct ktest *t);  /* optional, after each case (even a failed one) */
	bool manual;                    /* runs only when ktest.filter names it exactly */
};

#define KTEST_SUITE_REGISTER(var)                                               \
	static const struct ktest_suite *const __ktest_ptr_##var                \
		__section(".ktest_suites") __used = &(var)

/* Defines and registers a suite with only a name and cases. */
#define KTEST_SUITE(sname, case_array)                                          \
	static const struct ktest_suite __ktest_suite_##sname = {              \
		.name = #sname, .cases = (case_array),                          \
	};                                                                      \
	KTEST_SUITE_REGISTER(__ktest_suite_##sname)

/*
 * A check around every case: before() runs ahead of the suite's init,
 * after() once its exit has run (also after a failed case) and fails the
 * case (KTEST_FAIL) when something is wrong. tests/ktest_leak.c registers
 * the memory subsystem's leak check; the runner does not depend on mm/.
 */
struct ktest_case_hook {
	const char *name;
	void (*before)(struct ktest *t);
	void (*after)(struct ktest *t);
};

#define KTEST_CASE_HOOK_REGISTER(var)                                           \
	static const struct ktest_case_hook *const __ktest_hook_ptr_##var      \
		__section(".ktest_hooks") __used = &(var)

/* --- running (called by kmain) --- */

/*
 * Runs every registered suite allowed by `ktest.filter` and prints KTAP.
 * Returns true if nothing failed. With `ktest.list` only prints the names.
 */
bool ktest_run_all(void);

/* The seed for randomised tests: `ktest.seed=N`, or one drawn at boot. */
u64 ktest_seed(void);

/* True if `name` matches the shell-style glob `pattern` (* and ?). */
bool ktest_glob_match(const char *pattern, const char *name);

/* --- checks --- */

enum ktest_check { KTEST_EXPECT, KTEST_ASSERT };

void ktest_fail_int(struct ktest *t, enum ktest_check kind, const char *file, int line,
		    const char *op, const char *lexpr, long long lv,
		    const char *rexpr, long long rv);
void ktest_fail_str(struct ktest *t, enum ktest_check kind, const char *file, int line,
		    const char *lexpr, const char *lv, const char *rexpr, const char *rv);
void ktest_fail_bool(struct ktest *t, enum ktest_check kind, const char *file, int line,
		     const char *expr, bool want);
void ktest_fail_msg(struct ktest *t, enum ktest_check kind, const char *file, int line,
		    const char *fmt, ...) __printf(5, 6);

/* Ends the case as skipped with `reason`. */
__noreturn void ktest_skip(struct ktest *t, const char *fmt, ...) __printf(2, 3);

/* Prints a "# ..." diagnostic line inside the current case. */
void ktest_log(struct ktest *t, const char *fmt, ...) __printf(2, 3);

#define __KTEST_CMP(t, kind, a, op, b) do {                                     \
	long long __a = (long long)(a), __b = (long long)(b);                   \
	if (!(__a op __b))                                                      \
		ktest_fail_int(t, kind, __FILE__, __LINE__, #op, #a, __a, #b, __b); \
} while (0)
#define __KTEST_UCMP(t, kind, a, op, b) do {                                    \
	unsigned long long __a = (unsigned long long)(a), __b = (unsigned long long)(b); \
	if (!(__a op __b))                                                      \
		ktest_fail_int(t, kind, __FILE__, __LINE__, #op, #a, (long long)__a, \
			       #b, (long long)__b);                             \
} while (0)
#define __KTEST_BOOL(t, kind, c, want) do {                                     \
	if ((bool)(c) != (bool)(want))                                                    \
		ktest_fail_bool(t, kind, __FILE__, __LINE__, #c, want);         \
} while (0)
#define __KTEST_STREQ(t, kind, a, b) do {                                       \
	const char *__a = (a), *__b = (b);                                      \
	if (!__a || !__b || strcmp(__a, __b))                                   \
		ktest_fail_str(t, kind, __FILE__, __LINE__, #a, __a, #b, __b);  \
} while (0)

#define EXPECT_EQ(t, a, b)      __KTEST_CMP(t, KTEST_EXPECT, a, ==, b)
#define EXPECT_NE(t, a, b)      __KTEST_CMP(t, KTEST_EXPECT, a, !=, b)
#define EXPECT_LT(t, a, b)      __KTEST_CMP(t, KTEST_EXPECT, a, <, b)
#define EXPECT_LE(t, a, b)      __KTEST_CMP(t, KTEST_EXPECT, a, <=, b)
#define EXPECT_GT(t, a, b)      __KTEST_CMP(t, KTEST_EXPECT, a, >, b)
#define EXPECT_GE(t, a, b)      __KTEST_CMP(t, KTEST_EXPECT, a, >=, b)
#define EXPECT_ULT(t, a, b)     __KTEST_UCMP(t, KTEST_EXPECT, a, <, b)
#define EXPECT_ULE(t, a, b)     __KTEST_UCMP(t, KTEST_EXPECT, a, <=, b)
#define EXPECT_UGE(t, a, b)     __KTEST_UCMP(t, KTEST_EXPECT, a, >=, b)
#define EXPECT_TRUE(t, c)       __KTEST_BOOL(t, KTEST_EXPECT, c, true)
#define EXPECT_FALSE(t, c)      __KTEST_BOOL(t, KTEST_EXPECT, c, false)
#define EXPECT_NULL(t, p)       __KTEST_CMP(t, KTEST_EXPECT, (unsigned long)(p), ==, 0)
#define EXPECT_NOT_NULL(t, p)   __KTEST_CMP(t, KTEST_EXPECT, (unsigned long)(p), !=, 0)
#define EXPECT_PTR_EQ(t, a, b)  __KTEST_CMP(t, KTEST_EXPECT, (unsigned long)(a), ==, (unsigned long)(b))
#define EXPECT_STREQ(t, a, b)   __KTEST_STREQ(t, KTEST_EXPECT, a, b)

#define ASSERT_EQ(t, a, b)      __KTEST_CMP(t, KTEST_ASSERT, a, ==, b)
#define ASSERT_NE(t, a, b)      __KTEST_CMP(t, KTEST_ASSERT, a, !=, b)
#define ASSERT_LT(t, a, b)      __KTEST_CMP(t, KTEST_ASSERT, a, <, b)
#define ASSERT_LE(t, a, b)      __KTEST_CMP(t, KTEST_ASSERT, a, <=, b)
#define ASSERT_GT(t, a, b)      __KTEST_CMP(t, KTEST_ASSERT, a, >, b)
#define ASSERT_GE(t, a, b)      __KTEST_CMP(t, KTEST_ASSERT, a, >=, b)
#define ASSERT_TRUE(t, c)       __KTEST_BOOL(t, KTEST_ASSERT, c, true)
#define ASSERT_FALSE(t, c)      __KTEST_BOOL(t, KTEST_ASSERT, c, false)
#define ASSERT_NULL(t, p)       __KTEST_CMP(t, KTEST_ASSERT, (unsigned long)(p), ==, 0)
#define ASSERT_NOT_NULL(t, p)   __KTEST_CMP(t, KTEST_ASSERT, (unsigned long)(p), !=, 0)
#define ASSERT_STREQ(t, a, b)   __KTEST_STREQ(t, KTEST_ASSERT, a, b)

#define KTEST_FAIL(t, ...)      ktest_fail_msg(t, KTEST_EXPECT, __FILE__, __LINE__, __VA_ARGS__)

/* --- warnings and faults a case prints on purpose --- */

#define KTEST_SOME (~0u)               /* one or more, however many */
#define KTEST_ANY  (~0u - 1)          /* zero or more: replays of recorded inputs */

/*
 * Declares that this case prints `n` more warnings (WARN/WARN_ON lines) or
 * fault reports (a fault caught by ktest_catch_fault()); call it before the
 * code that warns or faults. At the end of the case the numbers printed
 * must equal the numbers declared (KTEST_SOME: at least one; KTEST_ANY:
 * any number, for replaying inputs whose misuse is not known up front); a warning or
 * report beyond them, or one that was declared but not printed, fails the
 * case. Declared ones are printed with "[expected]" on each line, so
 * `grep -E 'BUG:|WARNING:|Oops:' log | grep -v expected` finds only the
 * others. Warnings kept off the console by a quiet capture are not counted.
 */
void ktest_expect_warning(struct ktest *t, unsigned n);
void ktest_expect_fault(struct ktest *t, unsigned n);

/*
 * Turns the leak check off for this case, with the reason (for a case
 * whose purpose is to keep something, e.g. a boot-time reservation).
 */
void ktest_no_leak_check(struct ktest *t, const char *reason);

/* --- faults and console capture --- */

struct ktest_fault {
	struct fault_info info;
	char report[KTEST_REPORT_MAX];  /* what the kernel printed about it */
	size_t report_len;
};

/*
 * Runs fn(arg). Returns true if it faulted, with the fault and the text of
 * its report in *fault; false if it returned normally. For tests of guard
 * pages, NX and fault reports.
 */
bool ktest_catch_fault(struct ktest *t, void (*fn)(void *arg), void *arg,
		       struct ktest_fault *fault);

/*
 * ktest_catch_fault() with the report kept off the console, and so not
 * counted against the case: for a caller that judges fault->report itself,
 * such as the random model when a fault-in it allowed to fail did fail.
 */
bool ktest_catch_fault_quiet(void (*fn)(void *arg), void *arg, struct ktest_fault *fault);

/*
 * Console capture: between ktest_capture_start() and ktest_capture_stop()
 * everything printed is also copied into `buf` (NUL-terminated, truncated
 * to `size`); with `quiet` it is kept off the console. Stop returns the
 * number of lines printed while capturing.
 */
struct ktest_capture {
	char *buf;
	size_t size, len;
	unsigned lines;
	bool quiet;
};
void ktest_capture_start(struct ktest_capture *cap, char *buf, size_t size, bool quiet);
unsigned ktest_capture_stop(struct ktest_capture *cap);

/* True if `needle` occurs in `haystack`. */
bool ktest_contains(const char *haystack, const char *needle);

/*
 * Runs `op` with the console captured: it must print exactly one line and
 * count one warning (warn_count(), kernel/panic.h), and the line must
 * contain `what` and `caller` (the calling case's name, which the warning
 * names).
 */
#define EXPECT_ONE_WARNING_FROM(t, op, what, caller) do {                       \
	struct ktest_capture __cap;                                             \
	char __buf[512];                                                        \
	unsigned long __w = warn_count();                                       \
	ktest_capture_start(&__cap, __buf, sizeof(__buf), true);                \
	op;                                                                     \
	EXPECT_EQ(t, ktest_capture_stop(&__cap), 1);                            \
	EXPECT_EQ(t, warn_count() - __w, 1);                                    \
	EXPECT_TRUE(t, ktest_contains(__buf, what));                            \
	EXPECT_TRUE(t, ktest_contains(__buf, caller));                          \
} while (0)

#endif
