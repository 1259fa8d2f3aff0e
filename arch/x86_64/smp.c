/*
 * The online state of the CPUs and an AP's first steps in C (the bring-up
 * itself, which needs memory for stacks and mappings, is kernel/smp_boot.c,
 * above mm/; docs/smp.md).
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp_internal.h"
#include "arch/x86_64/timer.h"
#include "asm/cpu.h"
#include "mm/arch_mmu.h"
#include "kernel/compiler.h"

static unsigned nr_online = 1;

unsigned smp_num_online(void)
{
	return __atomic_load_n(&nr_online, __ATOMIC_ACQUIRE);
}

bool smp_cpu_online(unsigned cpu)
{
	return cpu < SMP_MAX_CPUS && __atomic_load_n(&per_cpu(cpu)->online, __ATOMIC_ACQUIRE);
}

void smp_mark_offline(unsigned cpu)
{
	if (__atomic_exchange_n(&per_cpu(cpu)->online, false, __ATOMIC_ACQ_REL))
		__atomic_fetch_sub(&nr_online, 1, __ATOMIC_ACQ_REL);
}

void smp_delay_us(u64 us)
{
	u64 end = rdtsc() + tsc_hz() / 1000000 * us;

	while (rdtsc() < end)
		cpu_relax();
}

/* The C entry of an AP, from ap_entry64 on its own stack and the kernel's tables. */
__noreturn void smp_ap_main(unsigned cpu);
__noreturn void smp_ap_main(unsigned cpu)
{
	struct percpu *p = per_cpu(cpu);

	percpu_install(cpu);
	gdt_init_cpu(&p->gdt, p->df_stack_bottom, p->df_stack_top);
	idt_load();
	x86_mmu_init_cpu();
	apic_init_ap();
	timer_start_local_apic();
	__atomic_fetch_add(&nr_online, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
	smp_idle_loop();
}
