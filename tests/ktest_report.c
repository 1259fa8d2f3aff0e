/*
 * Warnings and fault reports per case: the harness watches every one the
 * kernel prints (kernel/panic.h's report watcher), counts it against what
 * the case declared with ktest_expect_warning()/ktest_expect_fault(), and
 * prints the declared ones with "[expected]" after the case's "# " on each
 * of their lines. A case that printed one it did not declare, or fewer
 * than it declared, fails naming the first undeclared one.
 */
#include "tests/ktest_internal.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

/* The console prefixes of the running case's diagnostics, plain and marked. */
static char plain_prefix[24], marked_prefix[40];

/*
 * The prefix of each report being printed, innermost last: a warning
 * printed inside a fault report is judged on its own, and the report's
 * remaining lines get the report's prefix back. A report cut short by a
 * fault leaves its entry behind until the next case starts.
 */
#define NEST_MAX 4
static const char *nest[NEST_MAX];
static unsigned depth;

void ktest_case_prefix_set(const char *indent)
{
	depth = 0;
	snprintf(plain_prefix, sizeof(plain_prefix), "%s# ", indent);
	snprintf(marked_prefix, sizeof(marked_prefix), "%s# " KTEST_EXPECTED_MARK " ", indent);
	console_set_line_prefix(plain_prefix);
}

void ktest_case_prefix_clear(void)
{
	console_set_line_prefix(NULL);
}

static bool open_ended(unsigned n)
{
	return n == KTEST_SOME || n == KTEST_ANY;
}

/* Adds n to a declared count; KTEST_SOME or KTEST_ANY stays so. */
static void declare(unsigned *declared, unsigned n)
{
	if (open_ended(n))
		*declared = n;
	else if (!open_ended(*declared))
		*declared += n;
}

void ktest_expect_warning(struct ktest *t, unsigned n)
{
	declare(&t->reports.warnings_expected, n);
}

void ktest_expect_fault(struct ktest *t, unsigned n)
{
	declare(&t->reports.faults_expected, n);
}

static bool within(unsigned seen, unsigned declared)
{
	return open_ended(declared) || seen <= declared;
}

/* Counts one report for the running case; returns the prefix for its lines. */
static const char *judge_report(enum report_kind kind, const char *where)
{
	struct ktest *t = ktest_current;
	struct ktest_reports *r;
	bool declared;

	if (!t)
		return NULL;
	if (ktest_capture_is_quiet())
		return plain_prefix;
	r = &t->reports;
	if (kind == REPORT_FAULT && !ktest_catching_fault())
		return plain_prefix;    /* not caught: the case fails on it anyway */
	if (kind == REPORT_WARNING)
		declared = within(++r->warnings, r->warnings_expected);
	else
		declared = within(++r->faults, r->faults_expected);
	if (declared)
		return marked_prefix;
	if (!r->undeclared[0])
		snprintf(r->undeclared, sizeof(r->undeclared), "%s (%s)",
			 kind == REPORT_WARNING ? "WARNING" : "fault report", where);
	return plain_prefix;
}

static void watch_begin(enum report_kind kind, const char *where)
{
	const char *prefix = judge_report(kind, where);

	if (depth < NEST_MAX)
		nest[depth] = prefix;
	depth++;
	if (prefix)
		console_set_line_prefix(prefix);
}

static void watch_end(enum report_kind kind)
{
	const char *outer = NULL;

	if (depth)
		depth--;
	if (depth && depth <= NEST_MAX)
		outer = nest[depth - 1];
	if (ktest_current)
		console_set_line_prefix(outer ? outer : plain_prefix);
}

static const struct report_watcher watcher = {
	.begin = watch_begin,
	.end = watch_end,
};

void ktest_reports_watch(bool on)
{
	report_set_watcher(on ? &watcher : NULL);
}

static void check_count(struct ktest *t, const char *what, unsigned seen, unsigned declared)
{
	if (declared == KTEST_SOME && seen == 0)
		KTEST_FAIL(t, "declared one or more %s, printed none", what);
	else if (!open_ended(declared) && seen < declared)
		KTEST_FAIL(t, "declared %u %s, printed %u", declared, what, seen);
}

void ktest_reports_verdict(struct ktest *t)
{
	const struct ktest_reports *r = &t->reports;

	if (r->undeclared[0])
		KTEST_FAIL(t, "printed a %s that it did not declare "
			   "(ktest_expect_warning/ktest_expect_fault)", r->undeclared);
	if (t->status != KTEST_PASS)
		return;         /* ended early: what it did not get to print is no news */
	check_count(t, "warnings", r->warnings, r->warnings_expected);
	check_count(t, "fault reports", r->faults, r->faults_expected);
}

void ktest_no_leak_check(struct ktest *t, const char *reason)
{
	t->no_leak_check = true;
	t->no_leak_reason = reason;
}
