/*
 * Per-CPU data (docs/smp.md): one struct percpu per CPU, reached through
 * the GS base register, which each CPU points at its own area. Its first
 * field points to itself, so `this_cpu()` is one `mov %gs:0` and needs no
 * table lookup; `smp_processor_id()` reads the id the same way.
 */
#ifndef ARCH_X86_64_PERCPU_H
#define ARCH_X86_64_PERCPU_H

#include "arch/x86_64/gdt.h"
#include "kernel/setjmp.h"
#include "kernel/types.h"

struct trap_frame;

/* A function call posted to a CPU (arch/x86_64/smp_call.c). */
struct smp_call {
	void (*fn)(void *arg);
	void *arg;
	volatile int state;             /* 0 idle, posted, running, done */
	int result;                     /* 0, or -EFAULT if fn faulted */
};

#include "kernel/smp.h"   /* SMP_MAX_CPUS */

struct percpu {
	struct percpu *self;            /* offset 0: read by this_cpu() */
	unsigned cpu;                   /* offset 8: 0 = the boot CPU */
	u32 apic_id;
	bool online;
	struct cpu_gdt gdt;             /* this CPU's GDT and TSS */
	unsigned long stack_top;        /* kernel stack (guard page below) */
	unsigned long df_stack_bottom, df_stack_top;    /* #DF IST stack (guard below) */
	volatile unsigned long flush_pending;   /* bit s: CPU s asks for a flush */
	unsigned long flushes_served;   /* shootdown requests this CPU carried out */
	volatile int tlb_state;         /* enum tlb_cpu_state (arch/x86_64/tlb_smp.c) */
	struct smp_call call;           /* the cross-call posted to this CPU */
	struct kjmp_buf *call_abort;    /* where a fault in a cross-call lands */
	u64 watchdog_deadline;          /* TSC (arch/x86_64/timer.c) */
	void (*watchdog_fn)(const struct trap_frame *frame);    /* NULL: disarmed */
};

_Static_assert(__builtin_offsetof(struct percpu, cpu) == 8,
	       "arch_cpu_id() reads %gs:8");

extern struct percpu percpu_areas[SMP_MAX_CPUS];

/* This CPU's area. */
static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* The area of CPU `cpu` (< SMP_MAX_CPUS). */
static inline struct percpu *per_cpu(unsigned cpu)
{
	return &percpu_areas[cpu];
}

/*
 * Points GS base at CPU `cpu`'s area and fills in its self pointer and id.
 * The boot CPU calls it first thing in kmain, each AP on arrival.
 */
void percpu_install(unsigned cpu);

#endif
