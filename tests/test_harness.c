/*
 * Tests of the ktest harness itself, and the manual "demo" suites that
 * fail, fault, hang and crash on purpose so `make test` can prove the
 * harness and the host runner catch and name each of them.
 */
#include "tests/ktest_internal.h"
#include "tests/ktest_smp.h"
#include "asm/cpu.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "mm/layout.h"
#include "mm/pfa.h"

/* An address nothing maps at any point: the first page of vmalloc space. */
#define UNMAPPED_ADDR VMALLOC_START

/* Runs `body` against a private struct ktest, output captured and muted. */
struct inner_run {
	struct ktest t;
	char out[1024];
	bool reached_end;
};

static void inner_begin(struct inner_run *r, struct ktest_capture *cap)
{
	memset(r, 0, sizeof(*r));
	r->t.suite = "inner";
	r->t.name = "inner_case";
	r->t.indent = "    ";
	ktest_capture_start(cap, r->out, sizeof(r->out), true);
}

static void expect_records_and_continues(struct ktest *t)
{
	struct inner_run r;
	struct ktest_capture cap;

	inner_begin(&r, &cap);
	EXPECT_EQ(&r.t, 1 + 1, 3);
	r.reached_end = true;
	ktest_capture_stop(&cap);

	EXPECT_EQ(t, r.t.status, KTEST_FAIL);
	EXPECT_TRUE(t, r.reached_end);
	EXPECT_TRUE(t, ktest_contains(r.out, "# inner_case: EXPECTATION FAILED at tests/test_harness.c:"));
	EXPECT_TRUE(t, ktest_contains(r.out, "Expected 1 + 1 == 3, but"));
	EXPECT_TRUE(t, ktest_contains(r.out, "1 + 1 == 2 (0x2)"));
	EXPECT_TRUE(t, ktest_contains(r.out, "3 == 3 (0x3)"));
}

static void assert_ends_the_case(struct ktest *t)
{
	struct inner_run r;
	struct ktest_capture cap;

	inner_begin(&r, &cap);
	if (ksetjmp(&r.t.abort) == 0) {
		ASSERT_NOT_NULL(&r.t, NULL);
		r.reached_end = true;
	}
	ktest_capture_stop(&cap);

	EXPECT_EQ(t, r.t.status, KTEST_FAIL);
	EXPECT_FALSE(t, r.reached_end);
	EXPECT_TRUE(t, ktest_contains(r.out, "ASSERTION FAILED"));
}

static void skip_ends_the_case_with_its_reason(struct ktest *t)
{
	struct inner_run r;
	struct ktest_capture cap;

	inner_begin(&r, &cap);
	if (ksetjmp(&r.t.abort) == 0) {
		ktest_skip(&r.t, "no %s here", "widget");
		r.reached_end = true;
	}
	ktest_capture_stop(&cap);

	EXPECT_EQ(t, r.t.status, KTEST_SKIP);
	EXPECT_FALSE(t, r.reached_end);
	EXPECT_STREQ(t, r.t.skip_reason, "no widget here");
}

static void passing_checks_print_nothing(struct ktest *t)
{
	struct inner_run r;
	struct ktest_capture cap;

	inner_begin(&r, &cap);
	EXPECT_EQ(&r.t, 2, 2);
	EXPECT_STREQ(&r.t, "abc", "abc");
	ASSERT_TRUE(&r.t, true);
	ktest_capture_stop(&cap);

	EXPECT_EQ(t, r.t.status, KTEST_PASS);
	EXPECT_EQ(t, cap.len, 0);
}

static const unsigned long alignments[] = { 4096, 8192, 2ul << 20 };
static unsigned params_seen;

static void describe_alignment(const unsigned long *a, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "align_%lu", *a);
}
KTEST_ARRAY_PARAM(alignment_params, alignments, describe_alignment)

static void param_case_gets_each_value(struct ktest *t)
{
	const unsigned long *a = t->param;

	ASSERT_NOT_NULL(t, a);
	EXPECT_TRUE(t, IS_POWER_OF_2(*a));
	EXPECT_EQ(t, *a, alignments[params_seen]);
	params_seen++;
}

static void params_ran_once_each_in_order(struct ktest *t)
{
	EXPECT_EQ(t, params_seen, ARRAY_SIZE(alignments));
}

static void glob_matching(struct ktest *t)
{
	EXPECT_TRUE(t, ktest_glob_match("pfa", "pfa"));
	EXPECT_TRUE(t, ktest_glob_match("pf*", "pfa"));
	EXPECT_TRUE(t, ktest_glob_match("*", ""));
	EXPECT_TRUE(t, ktest_glob_match("v?ap*", "vmap_guard"));
	EXPECT_TRUE(t, ktest_glob_match("*_guard", "vmap_guard"));
	EXPECT_FALSE(t, ktest_glob_match("pfa", "pfa2"));
	EXPECT_FALSE(t, ktest_glob_match("pfa*x", "pfa_y"));
	EXPECT_FALSE(t, ktest_glob_match("?", ""));
}

static void read_unmapped(void *arg)
{
	(void)arg;
	(void)*(volatile u64 *)UNMAPPED_ADDR;
}

static void fault_is_caught_and_reported(struct ktest *t)
{
	static struct ktest_fault f;

	ktest_expect_fault(t, 1);
	ASSERT_TRUE(t, ktest_catch_fault(t, read_unmapped, NULL, &f));
	EXPECT_EQ(t, f.info.vector, 14);
	EXPECT_TRUE(t, f.info.page_fault);
	EXPECT_FALSE(t, f.info.present);
	EXPECT_FALSE(t, f.info.write);
	EXPECT_EQ(t, f.info.addr, UNMAPPED_ADDR);
	EXPECT_TRUE(t, ktest_contains(f.report,
		"BUG: unable to handle page fault for address: 0xffffc90000000000"));
	EXPECT_TRUE(t, ktest_contains(f.report, "#PF: supervisor read access in kernel mode"));
	EXPECT_TRUE(t, ktest_contains(f.report, "not-present page"));
	EXPECT_TRUE(t, ktest_contains(f.report, "RIP: 0008:read_unmapped+0x"));
	EXPECT_TRUE(t, ktest_contains(f.report, "Call Trace:"));
	EXPECT_TRUE(t, ktest_contains(f.report, "fault_is_caught_and_reported+0x"));
}

static void write_marker(void *arg)
{
	*(u64 *)arg = 0x600d;
}

static void no_fault_returns_false(struct ktest *t)
{
	static struct ktest_fault f;
	u64 target = 0;

	EXPECT_FALSE(t, ktest_catch_fault(t, write_marker, &target, &f));
	EXPECT_EQ(t, target, 0x600d);
	EXPECT_EQ(t, f.report_len, 0);
}

/* Runs fn() under command line `line`, output captured; gives the line back. */
static unsigned under_cmdline(const char *line, bool (*fn)(void), bool *ret,
			      char *out, size_t size)
{
	static char saved[CMDLINE_MAX];
	struct ktest_capture cap;

	snprintf(saved, sizeof(saved), "%s", cmdline_raw());
	ktest_capture_start(&cap, out, size, true);
	cmdline_init(line);
	*ret = fn();
	cmdline_init(saved);
	return ktest_capture_stop(&cap);
}

static bool check_cmdline(void)
{
	ktest_check_cmdline();
	return true;
}

static void bad_switches_warn(struct ktest *t)
{
	static char out[1024];
	bool ret;

	EXPECT_EQ(t, under_cmdline("ktest ktest.seed=abc ktest.exit=2 ktest.filtr=pfa "
				   "ktest.filter= ktest.list=yes ktestx=1", check_cmdline,
				   &ret, out, sizeof(out)), 5);
	EXPECT_TRUE(t, ktest_contains(out, "ktest.seed='abc' is not a number"));
	EXPECT_TRUE(t, ktest_contains(out, "ktest.exit='2' is neither 0 nor 1"));
	EXPECT_TRUE(t, ktest_contains(out, "unknown switch 'ktest.filtr=pfa'"));
	EXPECT_TRUE(t, ktest_contains(out, "ktest.filter is empty"));
	EXPECT_TRUE(t, ktest_contains(out, "ktest.list takes no value"));
	EXPECT_FALSE(t, ktest_contains(out, "ktestx"));
	EXPECT_EQ(t, under_cmdline("ktest ktest.seed=0x10 ktest.exit=0 ktest.filter=pfa* "
				   "ktest.list", check_cmdline, &ret, out, sizeof(out)), 0);
}

static void filter_item_that_matches_nothing_is_named(struct ktest *t)
{
	static char out[512];
	bool ok;

	EXPECT_EQ(t, under_cmdline("ktest.filter=ktest.glob_*,nosuch*,ktest.nosuch,ktest_demo",
				   ktest_filter_items_match, &ok, out, sizeof(out)), 2);
	EXPECT_FALSE(t, ok);
	EXPECT_TRUE(t, ktest_contains(out, "ktest: filter matched nothing: 'nosuch*'"));
	EXPECT_TRUE(t, ktest_contains(out, "ktest: filter matched nothing: 'ktest.nosuch'"));
	EXPECT_EQ(t, under_cmdline("ktest.filter=ktest.glob_*,,ktest_demo_hang", ktest_filter_items_match,
				   &ok, out, sizeof(out)), 0);
	EXPECT_TRUE(t, ok);
	EXPECT_EQ(t, under_cmdline("ktest", ktest_filter_items_match, &ok, out, sizeof(out)), 0);
	EXPECT_TRUE(t, ok);
}

static const struct ktest_case harness_cases[] = {
	KTEST_CASE(expect_records_and_continues),
	KTEST_CASE(assert_ends_the_case),
	KTEST_CASE(skip_ends_the_case_with_its_reason),
	KTEST_CASE(passing_checks_print_nothing),
	KTEST_PARAM_CASE(param_case_gets_each_value, alignment_params),
	KTEST_CASE(params_ran_once_each_in_order),
	KTEST_CASE(glob_matching),
	KTEST_CASE(fault_is_caught_and_reported),
	KTEST_CASE(no_fault_returns_false),
	KTEST_CASE(bad_switches_warn),
	KTEST_CASE(filter_item_that_matches_nothing_is_named),
	{}
};
KTEST_SUITE(ktest, harness_cases);

/* --- manual demo suites: each case misbehaves on purpose --- */

static void fails_on_purpose(struct ktest *t)
{
	EXPECT_EQ(t, 1 + 1, 3);
}

static void asserts_on_purpose(struct ktest *t)
{
	ASSERT_TRUE(t, false);
	KTEST_FAIL(t, "an assertion did not end the case");
}

static void faults_on_purpose(struct ktest *t)
{
	read_unmapped(NULL);
}

static void hangs_on_purpose(struct ktest *t)
{
	for (;;)
		cpu_halt();     /* interrupts on: the watchdog ends it */
}

static void warns_without_declaring(struct ktest *t)
{
	WARN(true, "a warning this case did not declare");
}

static struct page *kept_on_purpose;

static void leaks_on_purpose(struct ktest *t)
{
	if (!kept_on_purpose)
		kept_on_purpose = alloc_page(0);
}

static void declares_a_fault_it_never_takes(struct ktest *t)
{
	ktest_expect_fault(t, 1);
}

static spinlock_t held_on_purpose = SPINLOCK_INIT_ORDERED("demo", LOCK_ORDER_SLAB);

static void asserts_holding_a_lock(struct ktest *t)
{
	spin_lock(&held_on_purpose);
	ASSERT_TRUE(t, false);          /* ends the case with the lock taken */
	spin_unlock(&held_on_purpose);
}

static void runs_after_failures(struct ktest *t)
{
	EXPECT_EQ(t, 2 + 2, 4);
}

static const struct ktest_case demo_cases[] = {
	KTEST_CASE(fails_on_purpose),
	KTEST_CASE(asserts_on_purpose),
	KTEST_CASE(faults_on_purpose),
	KTEST_CASE_TIMEOUT(hangs_on_purpose, 2),
	KTEST_CASE(warns_without_declaring),
	KTEST_CASE(leaks_on_purpose),
	KTEST_CASE(declares_a_fault_it_never_takes),
	KTEST_CASE(asserts_holding_a_lock),
	KTEST_CASE(runs_after_failures),
	{}
};
static const struct ktest_suite demo_suite = {
	.name = "ktest_demo", .cases = demo_cases, .manual = true,
};
KTEST_SUITE_REGISTER(demo_suite);

static void hangs_with_interrupts_off(struct ktest *t)
{
	irq_disable();
	for (;;)
		cpu_halt();     /* only the host runner's timeout ends this */
}

static const struct ktest_case demo_hang_cases[] = {
	KTEST_CASE(hangs_with_interrupts_off),
	{}
};
static const struct ktest_suite demo_hang_suite = {
	.name = "ktest_demo_hang", .cases = demo_hang_cases, .manual = true,
};
KTEST_SUITE_REGISTER(demo_hang_suite);

static void triple_faults(struct ktest *t)
{
	struct { u16 limit; u64 base; } __packed empty = { 0, 0 };

	irq_disable();
	__asm__ __volatile__("lidt %0; int3" : : "m"(empty));
}

static const struct ktest_case demo_crash_cases[] = {
	KTEST_CASE(triple_faults),
	{}
};
static const struct ktest_suite demo_crash_suite = {
	.name = "ktest_demo_crash", .cases = demo_crash_cases, .manual = true,
};
KTEST_SUITE_REGISTER(demo_crash_suite);

/* Another CPU hangs: its watchdog, or the boot CPU's NMI, must catch it. */
static void need_cpu_1(struct ktest *t)
{
	if (!smp_cpu_online(1))
		ktest_skip(t, "CPU 1 is not online (boot with --smp 2)");
}

static void spins_with_interrupts_on(struct ktest *t, void *arg)
{
	for (;;)
		cpu_relax();    /* its LAPIC timer ticks: its watchdog ends it */
}

static void spins_with_interrupts_off(struct ktest *t, void *arg)
{
	irq_disable();
	for (;;)
		cpu_relax();    /* only an NMI reaches it */
}

static void ap_hangs_with_interrupts_on(struct ktest *t)
{
	need_cpu_1(t);
	ktest_run_on_cpu(t, 1, spins_with_interrupts_on, NULL);
}

static void ap_hangs_with_interrupts_off(struct ktest *t)
{
	need_cpu_1(t);
	ktest_run_on_cpu(t, 1, spins_with_interrupts_off, NULL);
}

static void do_nothing(struct ktest *t, void *arg)
{
}

/* CPU 1 is lost (offline, parked): the run goes on with the others. */
static void the_run_goes_on_without_the_lost_cpu(struct ktest *t)
{
	EXPECT_FALSE(t, smp_cpu_online(1));
	EXPECT_EQ(t, ktest_on_each_cpu(t, do_nothing, NULL), 0);
}

static const struct ktest_case demo_smp_cases[] = {
	KTEST_CASE_TIMEOUT(ap_hangs_with_interrupts_on, 2),
	KTEST_CASE_TIMEOUT(ap_hangs_with_interrupts_off, 2),
	KTEST_CASE(the_run_goes_on_without_the_lost_cpu),
	{}
};
static const struct ktest_suite demo_smp_suite = {
	.name = "ktest_demo_smp", .cases = demo_smp_cases, .manual = true,
};
KTEST_SUITE_REGISTER(demo_smp_suite);
