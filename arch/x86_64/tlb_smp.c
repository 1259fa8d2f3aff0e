/*
 * TLB shootdown (docs/smp.md). arch_flush_tlb_kernel_range() flushes the
 * calling CPU, then smp_flush_tlb_others() asks every other online CPU to
 * do the same and waits for all of them:
 *
 *   sender S                               each target T
 *   req[S] = {start, pages}
 *   req[S].waiting = {T...}
 *   T.flush_pending |= 1 << S, IPI ----->  IPI_VECTOR_FLUSH (or a poll):
 *                                            bits = xchg(flush_pending, 0)
 *                                            for each S in bits: flush req[S]
 *   wait until req[S].waiting == 0 <-----      req[S].waiting &= ~(1 << T)
 *     (serving its own flush_pending
 *      meanwhile: the deadlock rule)
 *
 * A target halted in its idle loop gets no IPI: the sender leaves it a
 * note (tlb_state IDLE -> IDLE_OWES_FLUSH) and does not wait for it; the
 * target flushes its whole TLB when it leaves the idle loop, before it
 * runs anything that could use a stale translation. Both sides change the
 * state with one atomic operation, so a target that leaves idle at the
 * same moment either finds the note or is already RUNNING and gets the IPI:
 *
 *   RUNNING --(idle loop, nothing posted)--> IDLE --(a shootdown)--> IDLE_OWES_FLUSH
 *      ^                                       |                         |
 *      +------(leaving idle: no flush) --------+                         |
 *      +------(leaving idle: flush everything) --------------------------+
 *
 * An idle CPU so costs a shootdown nothing, and nothing waits for a halted
 * CPU to wake (docs/smp.md, "Idle CPUs get a note").
 *
 * The rule: a CPU that waits for acknowledgements, or spins on a lock,
 * serves the requests sent to it while it waits, so two CPUs flushing at
 * once (or one flushing while the other spins with interrupts off on a
 * lock the first holds) both make progress. A target that does not answer
 * within SHOOTDOWN_TIMEOUT_MS is taken offline with one line and its NMI
 * backtrace, never a hang; a debug build stops already after
 * IRQ_OFF_WAIT_MAX_MS (the sender waits with interrupts off), naming it.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp_internal.h"
#include "arch/x86_64/timer.h"
#include "kernel/cmdline.h"
#include "kernel/irq_off_wait.h"
#include "kernel/irqflags.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"
#include "mm/arch_mmu.h"

#define SHOOTDOWN_TIMEOUT_MS 2000

struct flush_request {
	unsigned long start, pages;     /* pages > ARCH_TLB_FLUSH_MAX_PAGES: everything */
	volatile unsigned long waiting; /* CPUs that have not acknowledged yet */
};

enum tlb_cpu_state { TLB_CPU_RUNNING, TLB_CPU_IDLE, TLB_CPU_IDLE_OWES_FLUSH };

static struct flush_request requests[SMP_MAX_CPUS];
static unsigned long nr_shootdowns, nr_ipis, nr_deferred;
static int skip_shootdown = -1;         /* debug demo: -1 = not read yet */

void smp_serve_flush_requests(void)
{
	struct percpu *me = this_cpu();
	unsigned long bits = __atomic_exchange_n(&me->flush_pending, 0, __ATOMIC_ACQ_REL);

	while (bits) {
		unsigned s = __builtin_ctzl(bits);
		struct flush_request *r = &requests[s];

		bits &= bits - 1;
		x86_local_flush_kernel_pages(r->start, r->pages);
		me->flushes_served++;
		__atomic_and_fetch(&r->waiting, ~(1ul << me->cpu), __ATOMIC_RELEASE);
	}
}

void arch_spin_poll(void)
{
	if (this_cpu()->flush_pending)
		smp_serve_flush_requests();
}

void smp_tlb_enter_idle(void)
{
	int running = TLB_CPU_RUNNING;

	/* A note left since the CPU last went idle stays until it leaves. */
	__atomic_compare_exchange_n(&this_cpu()->tlb_state, &running, TLB_CPU_IDLE, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void smp_tlb_leave_idle(void)
{
	if (__atomic_exchange_n(&this_cpu()->tlb_state, TLB_CPU_RUNNING, __ATOMIC_SEQ_CST) ==
	    TLB_CPU_IDLE_OWES_FLUSH)
		arch_local_flush_tlb_all();
}

/* True if `cpu` is halted in its idle loop (tlb_state IDLE or IDLE_OWES_FLUSH). */
static bool cpu_is_idle(unsigned cpu)
{
	return cpu < SMP_MAX_CPUS &&
	       __atomic_load_n(&per_cpu(cpu)->tlb_state, __ATOMIC_ACQUIRE) != TLB_CPU_RUNNING;
}

bool smp_wait_cpu_idle(unsigned cpu, bool idle, unsigned timeout_ms)
{
	u64 end = rdtsc() + tsc_hz() / 1000 * timeout_ms;

	while (cpu_is_idle(cpu) != idle) {
		if (rdtsc() > end)
			return false;
		cpu_relax();
	}
	return true;
}

/* True if target `t` is idle: it now owes a full flush and needs no IPI. */
static bool leave_note_if_idle(unsigned t)
{
	int state = TLB_CPU_IDLE;

	return __atomic_compare_exchange_n(&per_cpu(t)->tlb_state, &state,
					   TLB_CPU_IDLE_OWES_FLUSH, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST) ||
	       state == TLB_CPU_IDLE_OWES_FLUSH;
}

/* `smp_skip_shootdown`: a debug build's demo of a missing shootdown. */
static bool skipping(void)
{
	if (skip_shootdown < 0)
		skip_shootdown = KCONFIG_DEBUG && cmdline_has("smp_skip_shootdown");
	return skip_shootdown;
}

/* Debug builds: this CPU waited too long with interrupts off for an acknowledgement. */
static void acks_waited_too_long(unsigned long late)
{
	static char why[128];
	unsigned t = __builtin_ctzl(late);

	smp_backtrace_cpu(t, false);
	snprintf(why, sizeof(why), "smp: TLB shootdown: CPU %u waited more than %u ms with "
		 "interrupts off for CPU %u to acknowledge", smp_processor_id(),
		 IRQ_OFF_WAIT_MAX_MS, t);
	irq_off_wait_failed(why);
}

static void wait_for_acks(struct flush_request *r)
{
	u64 end = rdtsc() + tsc_hz() / 1000 * SHOOTDOWN_TIMEOUT_MS;
	struct irq_off_wait wait = { 0 };
	unsigned long late;

	while ((late = __atomic_load_n(&r->waiting, __ATOMIC_ACQUIRE))) {
		smp_serve_flush_requests();
		cpu_relax();
		if (irq_off_wait_too_long(&wait, 0))
			acks_waited_too_long(late);
		if (rdtsc() < end)
			continue;
		late = r->waiting;
		for (unsigned t = 0; t < SMP_MAX_CPUS; t++) {
			if (!(late & (1ul << t)))
				continue;
			printk("smp: CPU %u did not acknowledge a TLB shootdown within %u ms: "
			       "taken offline\n", t, SHOOTDOWN_TIMEOUT_MS);
			smp_mark_offline(t);
			smp_backtrace_cpu(t, true);
		}
		__atomic_and_fetch(&r->waiting, ~late, __ATOMIC_RELEASE);
	}
}

void smp_flush_tlb_others(unsigned long start, unsigned long pages)
{
	unsigned me, n = 0, noted = 0;
	struct flush_request *r;
	unsigned long flags, targets = 0;

	if (smp_num_online() <= 1 || skipping())
		return;
	flags = irq_save();
	me = smp_processor_id();
	r = &requests[me];
	for (unsigned t = 0; t < SMP_MAX_CPUS; t++) {
		if (t == me || !smp_cpu_online(t))
			continue;
		if (leave_note_if_idle(t))
			noted++;
		else
			targets |= 1ul << t;
	}
	r->start = start;
	r->pages = pages;
	__atomic_store_n(&r->waiting, targets, __ATOMIC_RELEASE);
	for (unsigned t = 0; t < SMP_MAX_CPUS; t++) {
		if (!(targets & (1ul << t)))
			continue;
		__atomic_or_fetch(&per_cpu(t)->flush_pending, 1ul << me, __ATOMIC_ACQ_REL);
		apic_send_ipi(per_cpu(t)->apic_id, IPI_VECTOR_FLUSH);
		n++;
	}
	__atomic_fetch_add(&nr_ipis, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&nr_deferred, noted, __ATOMIC_RELAXED);
	__atomic_fetch_add(&nr_shootdowns, 1, __ATOMIC_RELAXED);
	wait_for_acks(r);
	irq_restore(flags);
}

unsigned long smp_shootdown_count(void)
{
	return __atomic_load_n(&nr_shootdowns, __ATOMIC_RELAXED);
}

unsigned long smp_shootdown_ipi_count(void)
{
	return __atomic_load_n(&nr_ipis, __ATOMIC_RELAXED);
}

unsigned long smp_shootdown_deferred_count(void)
{
	return __atomic_load_n(&nr_deferred, __ATOMIC_RELAXED);
}

bool smp_shootdown_skipped(void)
{
	return skipping();
}
