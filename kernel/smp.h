/*
 * Several CPUs (docs/smp.md): which CPUs are online, and running a
 * function on another CPU (a cross-call). The boot CPU is CPU 0; the
 * application processors (APs) are numbered from 1 in the order they came
 * up. Implemented by arch/x86_64/smp.c.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include "asm/cpu.h"
#include "kernel/types.h"

#define SMP_MAX_CPUS 16

/* The calling CPU's number. */
static inline unsigned smp_processor_id(void)
{
	return arch_cpu_id();
}

/*
 * Brings the other CPUs up (ACPI MADT, local APIC, INIT-SIPI-SIPI), as
 * many as `smp=N` allows (N counts the boot CPU; `nosmp` = 1). Prints one
 * line per CPU that came up and one per CPU that did not answer within
 * its timeout. Once, from kmain after mm_init(). With one CPU nothing of
 * the APIC is touched.
 */
void smp_init(void);

/* CPUs online now (1 until smp_init() started others). */
unsigned smp_num_online(void);

/* True if CPU `cpu` is online (came up and answers). */
bool smp_cpu_online(unsigned cpu);

/*
 * Posts `fn(arg)` to online CPU `cpu` (not the caller) and wakes it; the
 * CPU runs it from its idle loop with interrupts on. One call per CPU at a
 * time. 0; -ENODEV if `cpu` is not online or is the caller; -EBUSY if a
 * call is still posted or running there.
 */
int smp_call_start(unsigned cpu, void (*fn)(void *), void *arg);

/*
 * Waits up to `timeout_ms` for the call posted to `cpu`. 0 if fn returned;
 * -EFAULT if it faulted there (the fault report, naming the CPU, was
 * printed); -ETIMEDOUT if it did not finish: the CPU is then taken offline
 * (it no longer receives calls or shootdowns), so a hung CPU never hangs
 * the others. -ENODEV if nothing was posted to `cpu`.
 */
int smp_call_wait(unsigned cpu, unsigned timeout_ms);

/*
 * Asks every other online CPU that is running to flush [start, start +
 * pages pages) from its TLB (everything if pages > ARCH_TLB_FLUSH_MAX_PAGES)
 * and waits for all of them; a CPU halted in its idle loop gets a note
 * instead and flushes everything before it runs anything else
 * (arch/x86_64/tlb_smp.c, docs/smp.md). Called by the kernel's one flush
 * function after its local flush; nothing else calls it.
 */
void smp_flush_tlb_others(unsigned long start, unsigned long pages);

/*
 * Shootdowns sent (one per flush while other CPUs are online), their IPIs,
 * and the targets that were idle and got a note to flush on waking instead
 * of an IPI: per shootdown, IPIs + notes = the other online CPUs.
 */
unsigned long smp_shootdown_count(void);
unsigned long smp_shootdown_ipi_count(void);
unsigned long smp_shootdown_deferred_count(void);

/*
 * Waits up to `timeout_ms` until `cpu` is halted in its idle loop, where
 * shootdowns leave it a note (idle), or has left it (!idle); false if it
 * never was.
 */
bool smp_wait_cpu_idle(unsigned cpu, bool idle, unsigned timeout_ms);

/* True if `smp_skip_shootdown` (debug builds only) turned shootdowns off. */
bool smp_shootdown_skipped(void);

/*
 * On a CPU running a cross-call: ends the call at once with -EFAULT (never
 * returns). Anywhere else (the boot CPU, no call running): returns.
 */
void smp_abort_current_call(void);

/*
 * On a CPU running a cross-call: ends the call at once, which then
 * returns `err` (< 0) to smp_call_wait() (never returns). Anywhere else
 * returns. smp_abort_current_call() is smp_end_current_call(-EFAULT).
 */
void smp_end_current_call(int err);

/*
 * Asks CPU `cpu` where it is with an NMI, which reaches it even with
 * interrupts off, and prints the answer: "smp: CPU n was at <symbol>
 * (NMI backtrace)" and its call trace. With `park` the CPU then halts for
 * good (for a CPU already taken offline: it runs no more code). 0;
 * -ETIMEDOUT if it did not answer within 500 ms; -ENODEV if `cpu` is the
 * caller, never came up, or there is no local APIC (one CPU).
 */
int smp_backtrace_cpu(unsigned cpu, bool park);

/* smp_call_start() then smp_call_wait(). */
int smp_call_on_cpu(unsigned cpu, void (*fn)(void *), void *arg, unsigned timeout_ms);

#endif
