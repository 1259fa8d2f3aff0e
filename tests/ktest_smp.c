/*
 * ktest_run_on_cpu / ktest_on_each_cpu over the kernel's cross-calls. Each
 * part runs under its CPU's watchdog, armed with the case's deadline: a
 * part still running then is stopped there (its CPU prints where it was
 * and goes back to its idle loop). The boot CPU waits for each part until
 * the deadline plus KTEST_SMP_GRACE_MS, its own watchdog paused meanwhile;
 * a part that has not ended by then means a CPU stuck with interrupts off:
 * the kernel's cross-call wait takes it offline, prints its NMI backtrace
 * and parks it. A part the boot CPU could not wait for (the case was
 * aborted first) is collected by the case hook below.
 */
#include "tests/ktest_smp.h"
#include "tests/ktest_internal.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/smp.h"

struct remote_part {
	struct ktest *t;
	void (*fn)(struct ktest *t, void *arg);
	void *arg;
	u64 deadline;                   /* TSC */
	bool posted;                    /* posted and not collected yet */
};

static struct remote_part parts[SMP_MAX_CPUS];

/* On the part's CPU, from its tick, once the deadline passed. */
static void part_timed_out(const struct trap_frame *frame)
{
	unsigned cpu = smp_processor_id();
	struct remote_part *part = &parts[cpu];

	printk("CPU %u: %s.%s: still running at the deadline: stopped by its watchdog\n",
	       cpu, part->t->suite, part->t->name);
	dump_backtrace_at(frame->rip, frame->rbp);
	smp_end_current_call(-ETIMEDOUT);
}

static void run_part(void *p)
{
	struct remote_part *part = p;

	timer_set_watchdog(part->deadline, part_timed_out);
	part->fn(part->t, part->arg);
}

static int start_part(struct ktest *t, unsigned cpu, u64 deadline,
		      void (*fn)(struct ktest *, void *), void *arg)
{
	int err;

	parts[cpu] = (struct remote_part){ .t = t, .fn = fn, .arg = arg, .deadline = deadline };
	err = smp_call_start(cpu, run_part, &parts[cpu]);
	parts[cpu].posted = !err;
	return err;
}

/* Milliseconds from now until the part's deadline plus the grace (at least 1). */
static unsigned part_wait_ms(const struct remote_part *part)
{
	u64 now = rdtsc(), ms = tsc_hz() / 1000;
	u64 until = part->deadline + ms * KTEST_SMP_GRACE_MS;

	return until > now + ms ? (unsigned)((until - now) / ms) : 1;
}

static const char *ending(int err, unsigned cpu)
{
	if (err == -EFAULT)
		return "faulted or asserted (see above)";
	if (err == -ETIMEDOUT && smp_cpu_online(cpu))
		return "still running at the deadline: stopped by its watchdog (backtrace above)";
	if (err == -ETIMEDOUT)
		return "did not stop at the deadline (interrupts off?): taken offline "
		       "(NMI backtrace above)";
	return "cannot run there";
}

/*
 * Waits for CPU `cpu`'s part (if `err` is 0: it was posted) and records how
 * it ended. The case's watchdog comes back only once that is recorded: a
 * part stopped at the case's deadline returns after it, so the watchdog
 * would fire at its next tick, and could cut the line that says why.
 */
static int finish_part(struct ktest *t, unsigned cpu, int err)
{
	bool waited = !err;

	if (waited) {
		ktest_case_watchdog(false);
		err = smp_call_wait(cpu, part_wait_ms(&parts[cpu]));
		parts[cpu].posted = false;
	}
	if (err)
		ktest_fail_msg(t, KTEST_EXPECT, __FILE__, __LINE__, "CPU %u: %s (%d)", cpu,
			       ending(err, cpu), err);
	if (waited)
		ktest_case_watchdog(true);
	return err;
}

/* The deadline of a part: the case's, or `ms` from now if sooner (ms 0: none). */
static u64 part_deadline(unsigned ms)
{
	u64 d = ktest_case_deadline(), now = rdtsc();
	u64 soon = now + tsc_hz() / 1000 * (ms ? ms : KTEST_SMP_TIMEOUT_MS);

	return d && (!ms || d < soon) ? d : soon;
}

int ktest_run_on_cpu_for(struct ktest *t, unsigned cpu, unsigned ms,
			 void (*fn)(struct ktest *t, void *arg), void *arg)
{
	if (cpu >= SMP_MAX_CPUS)
		return finish_part(t, cpu, -ENODEV);
	return finish_part(t, cpu, start_part(t, cpu, part_deadline(ms), fn, arg));
}

int ktest_run_on_cpu(struct ktest *t, unsigned cpu, void (*fn)(struct ktest *t, void *arg),
		     void *arg)
{
	return ktest_run_on_cpu_for(t, cpu, 0, fn, arg);
}

unsigned ktest_on_each_cpu(struct ktest *t, void (*fn)(struct ktest *t, void *arg), void *arg)
{
	int err[SMP_MAX_CPUS] = { 0 };
	unsigned me = smp_processor_id(), failed = 0;
	bool online[SMP_MAX_CPUS];
	u64 deadline = part_deadline(0);

	for (unsigned c = 0; c < SMP_MAX_CPUS; c++) {
		online[c] = c != me && smp_cpu_online(c);
		if (online[c])
			err[c] = start_part(t, c, deadline, fn, arg);
	}
	fn(t, arg);
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		if (online[c] && finish_part(t, c, err[c]))
			failed++;
	return failed;
}

/* After a case the boot CPU left early (its own timeout, an assertion): its parts. */
static void collect_parts(struct ktest *t)
{
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		if (parts[c].posted)
			finish_part(t, c, 0);
}

static const struct ktest_case_hook parts_hook = {
	.name = "smp-parts",
	.after = collect_parts,
};
KTEST_CASE_HOOK_REGISTER(parts_hook);
