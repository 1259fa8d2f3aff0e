/* ktest_run_on_cpu / ktest_on_each_cpu over the kernel's cross-calls. */
#include "tests/ktest_smp.h"
#include "kernel/errno.h"
#include "kernel/smp.h"

struct remote_part {
	struct ktest *t;
	void (*fn)(struct ktest *t, void *arg);
	void *arg;
};

static struct remote_part parts[SMP_MAX_CPUS];

static void run_part(void *p)
{
	struct remote_part *part = p;

	part->fn(part->t, part->arg);
}

static int start_part(struct ktest *t, unsigned cpu, void (*fn)(struct ktest *, void *),
		      void *arg)
{
	parts[cpu] = (struct remote_part){ .t = t, .fn = fn, .arg = arg };
	return smp_call_start(cpu, run_part, &parts[cpu]);
}

static int finish_part(struct ktest *t, unsigned cpu, int err)
{
	if (!err)
		err = smp_call_wait(cpu, KTEST_SMP_TIMEOUT_MS);
	if (err == -EFAULT)
		ktest_fail_msg(t, KTEST_EXPECT, __FILE__, __LINE__,
			       "CPU %u: faulted or asserted (see above)", cpu);
	else if (err == -ETIMEDOUT)
		ktest_fail_msg(t, KTEST_EXPECT, __FILE__, __LINE__,
			       "CPU %u: did not finish within %u ms", cpu, KTEST_SMP_TIMEOUT_MS);
	else if (err)
		ktest_fail_msg(t, KTEST_EXPECT, __FILE__, __LINE__,
			       "CPU %u: cannot run there (%d)", cpu, err);
	return err;
}

int ktest_run_on_cpu(struct ktest *t, unsigned cpu, void (*fn)(struct ktest *t, void *arg),
		     void *arg)
{
	if (cpu >= SMP_MAX_CPUS)
		return finish_part(t, cpu, -ENODEV);
	return finish_part(t, cpu, start_part(t, cpu, fn, arg));
}

unsigned ktest_on_each_cpu(struct ktest *t, void (*fn)(struct ktest *t, void *arg), void *arg)
{
	int err[SMP_MAX_CPUS] = { 0 };
	unsigned me = smp_processor_id(), failed = 0;
	bool online[SMP_MAX_CPUS];

	for (unsigned c = 0; c < SMP_MAX_CPUS; c++) {
		online[c] = c != me && smp_cpu_online(c);
		if (online[c])
			err[c] = start_part(t, c, fn, arg);
	}
	fn(t, arg);
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		if (online[c] && finish_part(t, c, err[c]))
			failed++;
	return failed;
}
