/* The per-CPU areas and the GS base that points at them. */
#include "arch/x86_64/percpu.h"
#include "asm/cpu.h"

#define MSR_GS_BASE 0xc0000101u

struct percpu percpu_areas[SMP_MAX_CPUS];

void percpu_install(unsigned cpu)
{
	struct percpu *p = &percpu_areas[cpu];

	p->self = p;
	p->cpu = cpu;
	wrmsr(MSR_GS_BASE, (u64)p);
}
