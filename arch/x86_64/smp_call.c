/*
 * Cross-calls: a CPU posts {fn, arg} in the target's per-CPU slot and
 * sends it IPI_VECTOR_CALL; the target, halted in its idle loop, wakes,
 * flushes its TLB if a shootdown left it a note meanwhile (tlb_smp.c),
 * runs fn with interrupts on and marks the call done. A fault in fn lands
 * back in the idle loop (the call ends with -EFAULT), and so may its CPU's
 * watchdog (smp_end_current_call), which a call may arm and which is
 * disarmed when the call ends. A call that does not finish in time takes
 * its CPU offline, so nothing waits on it again: an NMI asks it where it
 * is and parks it. Waiting with interrupts off for longer than
 * IRQ_OFF_WAIT_MAX_MS stops a debug build (kernel/irq_off_wait.h).
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp_internal.h"
#include "arch/x86_64/timer.h"
#include "kernel/errno.h"
#include "kernel/irq_off_wait.h"
#include "kernel/irqflags.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"

enum { CALL_IDLE, CALL_POSTED, CALL_RUNNING, CALL_DONE };

static void call_ipi(struct trap_frame *f)
{
	(void)f;                /* waking the idle loop is all it takes */
}

static void flush_ipi(struct trap_frame *f)
{
	(void)f;
	smp_serve_flush_requests();
}

void smp_ipi_init(void)
{
	apic_set_handler(IPI_VECTOR_CALL, call_ipi);
	apic_set_handler(IPI_VECTOR_FLUSH, flush_ipi);
}

static void run_call(struct percpu *p, struct smp_call *c)
{
	struct kjmp_buf abort;
	int err;

	c->state = CALL_RUNNING;
	p->call_abort = &abort;
	err = ksetjmp(&abort);          /* 0 now; -result when the call is ended */
	if (err == 0) {
		irq_enable();
		c->fn(c->arg);
	}
	irq_disable();
	c->result = -err;
	timer_set_watchdog(0, NULL);    /* a watchdog the call armed ends with it */
	p->call_abort = NULL;
	__atomic_store_n(&c->state, CALL_DONE, __ATOMIC_RELEASE);
}

__noreturn void smp_idle_loop(void)
{
	struct percpu *p = this_cpu();

	for (;;) {
		irq_disable();
		if (__atomic_load_n(&p->call.state, __ATOMIC_ACQUIRE) == CALL_POSTED) {
			smp_tlb_leave_idle();
			run_call(p, &p->call);
			continue;
		}
		smp_tlb_enter_idle();
		/* STI's one-instruction shadow: no wake-up is lost before HLT. */
		__asm__ __volatile__("sti; hlt" : : : "memory");
	}
}

void smp_end_current_call(int err)
{
	struct percpu *p = this_cpu();

	if (p->cpu != 0 && p->call_abort)
		klongjmp(p->call_abort, -err);
}

void smp_abort_current_call(void)
{
	smp_end_current_call(-EFAULT);
}

void smp_fault_in_call(const struct fault_info *info)
{
	(void)info;
	smp_abort_current_call();
}

int smp_call_start(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct smp_call *c;
	int state;

	if (cpu == smp_processor_id() || !smp_cpu_online(cpu))
		return -ENODEV;
	c = &per_cpu(cpu)->call;
	state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
	if (state == CALL_POSTED || state == CALL_RUNNING)
		return -EBUSY;
	c->fn = fn;
	c->arg = arg;
	c->result = 0;
	__atomic_store_n(&c->state, CALL_POSTED, __ATOMIC_RELEASE);
	apic_send_ipi(per_cpu(cpu)->apic_id, IPI_VECTOR_CALL);
	return 0;
}

/* Debug builds: this CPU waited too long with interrupts off for `cpu`'s call. */
static void call_waited_too_long(unsigned cpu, struct smp_call *c)
{
	static char why[160];

	smp_backtrace_cpu(cpu, false);
	snprintf(why, sizeof(why), "smp: cross-call wait: CPU %u waited more than %u ms with "
		 "interrupts off for CPU %u (running %pS)", smp_processor_id(),
		 IRQ_OFF_WAIT_MAX_MS, cpu, (void *)c->fn);
	irq_off_wait_failed(why);
}

int smp_call_wait(unsigned cpu, unsigned timeout_ms)
{
	struct smp_call *c;
	u64 end = rdtsc() + tsc_hz() / 1000 * timeout_ms;
	struct irq_off_wait wait = { 0 };

	if (cpu >= SMP_MAX_CPUS || cpu == smp_processor_id())
		return -ENODEV;
	c = &per_cpu(cpu)->call;
	if (c->state == CALL_IDLE)
		return -ENODEV;
	while (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != CALL_DONE) {
		if (rdtsc() > end) {
			printk("smp: CPU %u did not finish %pS within %u ms: taken offline\n",
			       cpu, (void *)c->fn, timeout_ms);
			smp_mark_offline(cpu);
			smp_backtrace_cpu(cpu, true);
			return -ETIMEDOUT;
		}
		cpu_relax();
		arch_spin_poll();
		if (irq_off_wait_too_long(&wait, 0))
			call_waited_too_long(cpu, c);
	}
	c->state = CALL_IDLE;
	return c->result;
}

int smp_call_on_cpu(unsigned cpu, void (*fn)(void *), void *arg, unsigned timeout_ms)
{
	int err = smp_call_start(cpu, fn, arg);

	return err ? err : smp_call_wait(cpu, timeout_ms);
}
