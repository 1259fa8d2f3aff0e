/*
 * The ktest runner: filters the registered suites, runs each case under a
 * fault catcher and a watchdog, and prints KTAP v1:
 *
 *   KTAP version 1
 *   1..<suites>
 *       KTAP version 1
 *       # Subtest: <suite>
 *       1..<cases>
 *       ok 1 <case>                     plain case
 *           KTAP version 1              parameterised case
 *           # Subtest: <case>
 *           1..<params>
 *           ok 1 <param>
 *       # <case>: pass:P fail:F skip:S total:T
 *       ok 2 <case>
 *   # <suite>: pass:P fail:F skip:S total:T
 *   ok 1 <suite>
 *   # Totals: pass:P fail:F skip:S total:T
 */
#include "tests/ktest_internal.h"
#include "asm/cpu.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"

#define IND1 "    "
#define IND2 "        "

struct ktest_counts {
	unsigned pass, fail, skip;
};

extern const struct ktest_suite *const __ktest_suites_start[];
extern const struct ktest_suite *const __ktest_suites_end[];

struct ktest *ktest_current;
static u64 case_deadline;               /* TSC; 0 outside a case's body */
static u64 seed;
static bool seed_ready;

void ktest_out(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write_raw(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* The command line is read each time: the shell runs suites with a seed of its own. */
u64 ktest_seed(void)
{
	if (!seed_ready) {
		seed = rdtsc() % 1000000007u;
		seed_ready = true;
	}
	return cmdline_get_u64("ktest.seed", seed);
}

void ktest_record_failure(struct ktest *t, enum ktest_check kind)
{
	t->status = KTEST_FAIL;
	if (kind == KTEST_ASSERT) {
		smp_abort_current_call();       /* on another CPU: ends its part only */
		klongjmp(&t->abort, 1);
	}
}

bool ktest_glob_match(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			for (const char *rest = s; ; rest++) {
				if (ktest_glob_match(p + 1, rest))
					return true;
				if (!*rest)
					return false;
			}
		}
		if (!*s || (*p != '?' && *p != *s))
			return false;
	}
	return *s == '\0';
}

static unsigned selected_cases(const struct ktest_suite *s)
{
	unsigned n = 0;

	for (const struct ktest_case *c = s->cases; c->name; c++)
		n += ktest_filter_selects(s, c->name);
	return n;
}

static void case_fault_landing(const struct fault_info *info)
{
	struct ktest *t = ktest_current;

	ktest_out("%s# %s: unexpected %s at %pS, case aborted\n", t->indent, t->name,
		  trap_name(info->vector), (void *)info->ip);
	t->status = KTEST_FAIL;
	klongjmp(&t->abort, 2);
}

void ktest_arm_fault_catcher(void)
{
	fault_set_catcher(ktest_current ? case_fault_landing : NULL);
}

static void case_timed_out(const struct trap_frame *frame)
{
	struct ktest *t = ktest_current;

	ktest_out("%s# %s: timed out, case aborted by the watchdog\n", t->indent, t->name);
	if (frame)
		dump_backtrace_at(frame->rip, frame->rbp);
	t->status = KTEST_FAIL;
	klongjmp(&t->abort, 3);
}

u64 ktest_case_deadline(void)
{
	return case_deadline;
}

void ktest_case_watchdog(bool on)
{
	if (on && case_deadline)
		timer_set_watchdog(case_deadline, case_timed_out);
	else
		timer_set_watchdog(0, NULL);
}

extern const struct ktest_case_hook *const __ktest_hooks_start[];
extern const struct ktest_case_hook *const __ktest_hooks_end[];

/* One hook, under the case's abort point: a fault in it fails the case. */
static __noinline void run_hook(struct ktest *t, void (*fn)(struct ktest *))
{
	if (fn && ksetjmp(&t->abort) == 0)
		fn(t);
}

/* The registered checks around every case (tests/ktest.h), before or after it. */
static void run_case_hooks(struct ktest *t, bool after)
{
	for (const struct ktest_case_hook *const *h = __ktest_hooks_start; h < __ktest_hooks_end; h++)
		run_hook(t, after ? (*h)->after : (*h)->before);
}

/*
 * Debug builds: a case that ended (an ASSERT, a fault) while this CPU held
 * ordered locks fails naming them, and their record is cleared, so that
 * the next lock this CPU takes is not judged against a holding that ended
 * with the case. The locks themselves stay taken: whoever takes one next
 * is stopped as a recursive acquire, naming it.
 */
static void check_no_lock_held(struct ktest *t)
{
	unsigned cpu = arch_cpu_id();
	char names[96];
	int n = 0;

	if (!KCONFIG_DEBUG || !lock_order_held[cpu])
		return;
	for (unsigned o = 1; o < LOCK_ORDER_COUNT; o++)
		if (lock_order_held[cpu] & (1u << o))
			n += snprintf(names + n, sizeof(names) - (size_t)MIN(n, (int)sizeof(names)),
				      "%s%s", n ? ", " : "", lock_order_name(o));
	lock_order_held[cpu] = 0;
	KTEST_FAIL(t, "the case ended holding locks of order %s (left taken)", names);
}

/*
 * Runs one case (or one parameter of it) to completion, fault or timeout,
 * between the registered hooks, then judges the warnings and fault
 * reports it printed.
 */
static void run_one(struct ktest *t, const struct ktest_suite *s, const struct ktest_case *c)
{
	unsigned timeout = c->timeout_s ? c->timeout_s : KTEST_DEFAULT_TIMEOUT_S;

	ktest_current = t;
	ktest_case_prefix_set(t->indent);
	ktest_arm_fault_catcher();
	irq_enable();
	run_case_hooks(t, false);
	case_deadline = rdtsc() + (u64)timeout * tsc_hz();
	ktest_case_watchdog(true);
	if (ksetjmp(&t->abort) == 0) {
		if (s->init && s->init(t))
			ktest_fail_msg(t, KTEST_ASSERT, __FILE__, __LINE__, "suite init failed");
		c->run(t);
	}
	check_no_lock_held(t);
	case_deadline = 0;
	timer_set_watchdog(0, NULL);
	irq_enable();
	if (s->exit && ksetjmp(&t->abort) == 0)
		s->exit(t);
	timer_set_watchdog(0, NULL);
	irq_enable();
	run_case_hooks(t, true);
	ktest_reports_verdict(t);
	ktest_current = NULL;
	ktest_arm_fault_catcher();
	ktest_case_prefix_clear();
}

static void print_result(const char *indent, unsigned n, const char *name,
			 enum ktest_status st, const char *reason)
{
	if (st == KTEST_SKIP)
		ktest_out("%sok %u %s # SKIP %s\n", indent, n, name, reason);
	else
		ktest_out("%s%s %u %s\n", indent, st == KTEST_FAIL ? "not ok" : "ok", n, name);
}

static void count(struct ktest_counts *c, enum ktest_status st)
{
	if (st == KTEST_PASS)
		c->pass++;
	else if (st == KTEST_FAIL)
		c->fail++;
	else
		c->skip++;
}

static void print_counts(const char *indent, const char *name, const struct ktest_counts *c)
{
	ktest_out("%s# %s: pass:%u fail:%u skip:%u total:%u\n", indent, name,
		  c->pass, c->fail, c->skip, c->pass + c->fail + c->skip);
}

/*
 * "# ktest: start <suite>.<case>[.<param>]", and " (timeout N s)" for a case
 * that declares its own timeout: the host runner allows it that long silent.
 */
static void print_start(const char *indent, const struct ktest_suite *s,
			const struct ktest_case *c, const char *param)
{
	char timeout[32] = "";

	if (c->timeout_s)
		snprintf(timeout, sizeof(timeout), " (timeout %u s)", c->timeout_s);
	ktest_out("%s# ktest: start %s.%s%s%s%s\n", indent, s->name, c->name,
		  param ? "." : "", param ? param : "", timeout);
}

static enum ktest_status run_plain(const struct ktest_suite *s, const struct ktest_case *c,
				   struct ktest_counts *leaves, char *reason, size_t rsize)
{
	struct ktest t = { .suite = s->name, .name = c->name, .indent = IND1 };

	print_start(IND1, s, c, NULL);
	run_one(&t, s, c);
	count(leaves, t.status);
	snprintf(reason, rsize, "%s", t.skip_reason);
	return t.status;
}

static enum ktest_status run_params(const struct ktest_suite *s, const struct ktest_case *c,
				    struct ktest_counts *leaves)
{
	struct ktest_counts mine = { 0 };
	char desc[KTEST_DESC_MAX];
	unsigned n = 0, i = 0;

	for (const void *p = c->params(NULL, desc); p; p = c->params(p, desc))
		n++;
	ktest_out(IND2 "KTAP version 1\n" IND2 "# Subtest: %s\n" IND2 "1..%u\n", c->name, n);
	for (const void *p = c->params(NULL, desc); p && i < n; p = c->params(p, desc)) {
		struct ktest t = { .suite = s->name, .name = c->name, .param = p,
				   .indent = IND2 };
		char this_desc[KTEST_DESC_MAX];

		snprintf(this_desc, sizeof(this_desc), "%s", desc);
		print_start(IND2, s, c, this_desc);
		run_one(&t, s, c);
		count(&mine, t.status);
		print_result(IND2, ++i, this_desc, t.status, t.skip_reason);
	}
	print_counts(IND1, c->name, &mine);
	leaves->pass += mine.pass;
	leaves->fail += mine.fail;
	leaves->skip += mine.skip;
	if (mine.fail)
		return KTEST_FAIL;
	return (mine.skip && !mine.pass) ? KTEST_SKIP : KTEST_PASS;
}

/*
 * Runs a suite. Its count line counts its own case results (a parameterised
 * case once); `leaves` gets every leaf result, for the Totals line.
 */
static bool run_suite(const struct ktest_suite *s, unsigned index, struct ktest_counts *leaves)
{
	struct ktest_counts mine = { 0 };
	unsigned i = 0;
	int init_err = s->suite_init ? s->suite_init() : 0;

	ktest_out(IND1 "KTAP version 1\n" IND1 "# Subtest: %s\n" IND1 "1..%u\n",
		  s->name, selected_cases(s));
	for (const struct ktest_case *c = s->cases; c->name; c++) {
		char reason[96] = "";
		enum ktest_status st;

		if (!ktest_filter_selects(s, c->name))
			continue;
		if (init_err) {
			ktest_out(IND1 "# %s: suite init failed (%d)\n", c->name, init_err);
			st = KTEST_FAIL;
			count(leaves, st);
		} else if (c->params) {
			st = run_params(s, c, leaves);
			snprintf(reason, sizeof(reason), "all parameters skipped");
		} else {
			st = run_plain(s, c, leaves, reason, sizeof(reason));
		}
		count(&mine, st);
		print_result(IND1, ++i, c->name, st, reason);
	}
	if (s->suite_exit && !init_err)
		s->suite_exit();
	print_counts("", s->name, &mine);
	print_result("", index, s->name, mine.fail ? KTEST_FAIL : KTEST_PASS, NULL);
	return mine.fail == 0;
}

static void list_tests(void)
{
	for (const struct ktest_suite *const *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		for (const struct ktest_case *c = (*s)->cases; c->name; c++)
			if (ktest_filter_selects(*s, c->name))
				ktest_out("ktest: %s.%s\n", (*s)->name, c->name);
}

/* Runs the selected suites; returns false if a case failed. */
static bool run_selected(unsigned nsuites)
{
	struct ktest_counts all = { 0 };
	unsigned index = 0;
	bool ok = true;

	ktest_out("ktest: seed=%llu (replay with ktest.seed=%llu)\n",
		  (unsigned long long)ktest_seed(), (unsigned long long)ktest_seed());
	ktest_out("KTAP version 1\n1..%u\n", nsuites);
	ktest_reports_watch(true);
	for (const struct ktest_suite *const *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		if (selected_cases(*s))
			ok &= run_suite(*s, ++index, &all);
	ktest_reports_watch(false);
	print_counts("", "Totals", &all);
	return ok;
}

bool ktest_run_all(void)
{
	unsigned nsuites = 0;
	bool filter_ok;

	ktest_check_cmdline();
	filter_ok = ktest_filter_items_match();
	if (cmdline_has("ktest.list")) {
		list_tests();
		return filter_ok;
	}
	for (const struct ktest_suite *const *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		nsuites += selected_cases(*s) > 0;
	if (!nsuites) {
		ktest_out("ktest: filter matched nothing: no case to run, failed\n");
		return false;
	}
	return run_selected(nsuites) && filter_ok;
}
