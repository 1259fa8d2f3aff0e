/* Between the files of arch/x86_64's SMP support (smp.c, smp_call.c, tlb_smp.c). */
#ifndef ARCH_X86_64_SMP_INTERNAL_H
#define ARCH_X86_64_SMP_INTERNAL_H

#include "kernel/compiler.h"
#include "kernel/fault.h"
#include "kernel/smp.h"
#include "kernel/types.h"

/* Registers the IPI handlers; by smp_init() before the first AP starts. */
void smp_ipi_init(void);

/* An AP's life after start-up: runs posted calls, halts in between. */
__noreturn void smp_idle_loop(void);

/* Takes `cpu` out of the online set (it stops receiving calls and flushes). */
void smp_mark_offline(unsigned cpu);

/* Busy-waits `us` microseconds (TSC). */
void smp_delay_us(u64 us);

/*
 * Called by trap_dispatch() for a fault nobody resolved, after its report:
 * if the faulting CPU is an AP running a cross-call, ends the call with
 * -EFAULT (never returns); else returns.
 */
void smp_fault_in_call(const struct fault_info *info);

/*
 * Called by trap_dispatch() for an NMI: true if it was another CPU's
 * smp_backtrace_cpu() request, now answered (a parked CPU never returns).
 */
struct trap_frame;
bool smp_nmi_answer(const struct trap_frame *frame);

/* Runs on the target of a shootdown IPI and from every wait: the requests sent to this CPU. */
void smp_serve_flush_requests(void);

/*
 * The idle loop's side of deferred shootdowns (tlb_smp.c). Interrupts off.
 * smp_tlb_enter_idle() before halting: from then on, shootdowns leave this
 * CPU a note instead of an IPI, so until smp_tlb_leave_idle() it may run
 * nothing but the idle loop and interrupt handlers, which touch no vmap
 * address that can be unmapped (only its stacks and the xAPIC mapping,
 * mapped for the kernel's life). smp_tlb_leave_idle() before anything
 * else runs: flushes the whole TLB if a note was left.
 */
void smp_tlb_enter_idle(void);
void smp_tlb_leave_idle(void);

#endif
