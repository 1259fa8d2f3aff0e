/* The exception fixup table: probes of mapped, unmapped and non-canonical memory. */
#include "tests/ktest.h"
#include "kernel/errno.h"
#include "kernel/probe.h"
#include "mm/layout.h"

static u64 probe_target = 0x1122334455667788ull;

static void read_of_mapped_memory_gives_its_bytes(struct ktest *t)
{
	u64 v = 0;

	EXPECT_EQ(t, probe_read_u64((unsigned long)&probe_target, &v), 0);
	EXPECT_EQ(t, v, 0x1122334455667788ull);
}

static void write_of_mapped_memory_lands(struct ktest *t)
{
	u64 old = probe_target;

	EXPECT_EQ(t, probe_write_u64((unsigned long)&probe_target, 0xfeedull), 0);
	EXPECT_EQ(t, READ_ONCE(probe_target), 0xfeedull);
	probe_target = old;
}

static void unmapped_address_gives_efault(struct ktest *t)
{
	u64 v = 0x5a5a;

	EXPECT_EQ(t, probe_read_u64(VMALLOC_START + 0x1000, &v), -EFAULT);
	EXPECT_EQ(t, probe_write_u64(VMALLOC_START + 0x1000, 1), -EFAULT);
	EXPECT_EQ(t, v, 0x5a5a);        /* nothing was stored */
}

static void non_canonical_address_gives_efault(struct ktest *t)
{
	u64 v;

	/* A #GP, not a #PF: the fixup table covers both. */
	EXPECT_EQ(t, probe_read_u64(0x0000800000000000ul, &v), -EFAULT);
	EXPECT_EQ(t, probe_read_u64(0xffff7ffffffff000ul, &v), -EFAULT);
}

static void zero_length_probe_touches_nothing(struct ktest *t)
{
	char buf[1];

	EXPECT_EQ(t, probe_read(buf, (const void *)VMALLOC_START, 0), 0);
}

static volatile int exec_target_calls;

static __noinline void exec_target(void)
{
	exec_target_calls++;
}

static void exec_of_kernel_text_runs(struct ktest *t)
{
	int before = exec_target_calls;

	EXPECT_EQ(t, probe_exec((const void *)exec_target), 0);
	EXPECT_EQ(t, exec_target_calls, before + 1);
}

static void exec_of_unmapped_address_gives_efault(struct ktest *t)
{
	EXPECT_EQ(t, probe_exec((const void *)(VMALLOC_START + 0x2000)), -EFAULT);
}

static const struct ktest_case probe_cases[] = {
	KTEST_CASE(read_of_mapped_memory_gives_its_bytes),
	KTEST_CASE(write_of_mapped_memory_lands),
	KTEST_CASE(unmapped_address_gives_efault),
	KTEST_CASE(non_canonical_address_gives_efault),
	KTEST_CASE(zero_length_probe_touches_nothing),
	KTEST_CASE(exec_of_kernel_text_runs),
	KTEST_CASE(exec_of_unmapped_address_gives_efault),
	{}
};
KTEST_SUITE(probe, probe_cases);
