/*
 * Exception reports: each kind of fault is caught, decoded and reported
 * with its name, error code and a symbolized RIP; a kernel stack overflow
 * reaches the double-fault handler on its own stack instead of resetting.
 */
#include "tests/ktest.h"
#include "kernel/probe.h"
#include "kernel/lib/format.h"
#include "mm/layout.h"

extern char boot_stack_guard[];

static volatile int never;      /* keeps the compiler from folding the faults away */

static void divide_by_zero(void *arg)
{
	volatile int zero = never;

	*(volatile int *)arg = 10 / zero;
}

static void invalid_opcode(void *arg)
{
	__asm__ __volatile__("ud2");
}

static void breakpoint(void *arg)
{
	__asm__ __volatile__("int3");
}

static void non_canonical_read(void *arg)
{
	*(volatile u64 *)arg = *(volatile u64 *)0x0000800000000000ul;
}

static void unmapped_write(void *arg)
{
	*(volatile u64 *)(VMALLOC_START + 0x3000) = 1;
}

static void unmapped_fetch(void *arg)
{
	((void (*)(void))(VMALLOC_START + 0x4000))();
}

struct trap_case {
	const char *desc;
	void (*fn)(void *arg);
	unsigned vector;
	const char *report[3];  /* lines the report must contain */
};

static const struct trap_case trap_cases[] = {
	{ "divide_error", divide_by_zero, 0,
	  { "Oops: divide error", "RIP: 0008:divide_by_zero+0x" } },
	{ "invalid_opcode", invalid_opcode, 6,
	  { "Oops: invalid opcode", "RIP: 0008:invalid_opcode+0x" } },
	{ "breakpoint", breakpoint, 3, { "Oops: breakpoint" } },
	{ "general_protection", non_canonical_read, 13,
	  { "Oops: general protection fault", "RIP: 0008:non_canonical_read+0x" } },
	{ "page_fault_write", unmapped_write, 14,
	  { "#PF: supervisor write access in kernel mode",
	    "#PF: error_code(0x0002) - not-present page",
	    "CR2: ffffc90000003000" } },
	{ "page_fault_fetch", unmapped_fetch, 14,
	  { "#PF: supervisor instruction fetch in kernel mode",
	    "address: 0xffffc90000004000" } },
};

static void describe_trap(const struct trap_case *c, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", c->desc);
}
KTEST_ARRAY_PARAM(trap_params, trap_cases, describe_trap)

static void exception_is_caught_and_reported(struct ktest *t)
{
	const struct trap_case *c = t->param;
	static struct ktest_fault f;
	u64 sink;

	ktest_expect_fault(t, 1);
	ASSERT_TRUE(t, ktest_catch_fault(t, c->fn, &sink, &f));
	EXPECT_EQ(t, f.info.vector, c->vector);
	for (unsigned i = 0; i < ARRAY_SIZE(c->report) && c->report[i]; i++)
		if (!ktest_contains(f.report, c->report[i]))
			KTEST_FAIL(t, "report lacks \"%s\"", c->report[i]);
	EXPECT_TRUE(t, ktest_contains(f.report, "Call Trace:"));
}

static __noinline unsigned long recurse(unsigned long depth)
{
	volatile char frame[256];

	frame[0] = (char)depth;
	if (never)
		return depth;
	return recurse(depth + 1) + frame[0];
}

static void overflow_the_stack(void *arg)
{
	*(volatile unsigned long *)arg = recurse(0);
}

static void stack_overflow_reaches_the_double_fault_handler(struct ktest *t)
{
	static struct ktest_fault f;
	unsigned long sink;
	u64 probe;

	if (probe_read(&probe, boot_stack_guard, sizeof(probe)) == 0)
		ktest_skip(t, "the boot stack guard page is mapped");
	ktest_expect_fault(t, 1);
	ASSERT_TRUE(t, ktest_catch_fault(t, overflow_the_stack, &sink, &f));
	EXPECT_EQ(t, f.info.vector, 8);
	EXPECT_TRUE(t, ktest_contains(f.report, "double fault: kernel stack overflow?"));
	EXPECT_TRUE(t, ktest_contains(f.report, "Oops: double fault"));
}

static const struct ktest_case trap_test_cases[] = {
	KTEST_PARAM_CASE(exception_is_caught_and_reported, trap_params),
	KTEST_CASE(stack_overflow_reaches_the_double_fault_handler),
	{}
};
KTEST_SUITE(traps, trap_test_cases);
