/*
 * Where is a CPU that does not answer? A CPU stuck with interrupts off
 * takes no interrupt, not even its own timer's, but a non-maskable
 * interrupt still reaches it: the asking CPU posts a request and sends an
 * NMI; the stuck CPU's NMI handler saves its RIP and call chain (without
 * printing: it may hold the console lock) and, if asked to, parks itself
 * for good with NMIs blocked, so a lost CPU stops running code. The
 * asking CPU prints the backtrace.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp_internal.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

#define NMI_ANSWER_MS   500
#define NMI_TRACE_MAX   16

enum { NMI_NONE, NMI_ASKED, NMI_ANSWERED };

struct nmi_request {
	volatile int state;
	bool park;                      /* halt for good once answered */
	unsigned n;                     /* ips[0] = RIP, then return addresses */
	unsigned long ips[NMI_TRACE_MAX];
};

static struct nmi_request requests[SMP_MAX_CPUS];

bool smp_nmi_answer(const struct trap_frame *f)
{
	struct nmi_request *r = &requests[arch_cpu_id()];

	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != NMI_ASKED)
		return false;
	r->ips[0] = f->rip;
	r->n = 1 + backtrace_save(f->rbp, r->ips + 1, NMI_TRACE_MAX - 1);
	__atomic_store_n(&r->state, NMI_ANSWERED, __ATOMIC_RELEASE);
	while (r->park)                 /* no IRET: NMIs stay blocked, nothing wakes it */
		__asm__ __volatile__("cli; hlt" : : : "memory");
	return true;
}

static bool wait_for_answer(struct nmi_request *r)
{
	u64 end = rdtsc() + tsc_hz() / 1000 * NMI_ANSWER_MS;

	while (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != NMI_ANSWERED) {
		if (rdtsc() > end)
			return false;
		cpu_relax();
		arch_spin_poll();
	}
	return true;
}

int smp_backtrace_cpu(unsigned cpu, bool park)
{
	struct nmi_request *r;

	/* A CPU that never arrived has no self pointer (and maybe no APIC id). */
	if (!apic_enabled() || cpu >= SMP_MAX_CPUS || cpu == smp_processor_id() ||
	    !per_cpu(cpu)->self)
		return -ENODEV;
	r = &requests[cpu];
	r->park = park;
	__atomic_store_n(&r->state, NMI_ASKED, __ATOMIC_RELEASE);
	apic_send_nmi(per_cpu(cpu)->apic_id);
	if (!wait_for_answer(r)) {      /* left asked: a late NMI is still answered */
		printk("smp: CPU %u did not answer an NMI within %u ms either\n", cpu, NMI_ANSWER_MS);
		return -ETIMEDOUT;
	}
	printk("smp: CPU %u was at %pS (NMI backtrace)%s\n", cpu, (void *)r->ips[0],
	       park ? "; it is parked (halted for good)" : "");
	backtrace_print(r->ips + 1, r->n - 1);
	__atomic_store_n(&r->state, NMI_NONE, __ATOMIC_RELEASE);
	return 0;
}
