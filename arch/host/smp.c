/*
 * The host build runs on one simulated CPU (docs/host.md): the SMP calls
 * that mm/, arch/x86_64/traps.c and the harness make answer as a
 * one-CPU kernel does; there are no cross-calls or IPIs. Only while a
 * host test runs threads as CPUs (host_smp_set_online()) do
 * smp_num_online() and smp_cpu_online() count them.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp_internal.h"
#include "kernel/errno.h"
#include "kernel/smp.h"
#include "host/machine.h"

struct percpu percpu_areas[SMP_MAX_CPUS];      /* read by tests that skip on one CPU */

static unsigned nr_online = 1;

void host_smp_set_online(unsigned n) { __atomic_store_n(&nr_online, n, __ATOMIC_RELAXED); }
unsigned smp_num_online(void) { return __atomic_load_n(&nr_online, __ATOMIC_RELAXED); }
bool smp_cpu_online(unsigned cpu) { return cpu < smp_num_online(); }
int smp_call_start(unsigned cpu, void (*fn)(void *), void *arg)
{
	(void)cpu, (void)fn, (void)arg;
	return -ENODEV;
}
int smp_call_wait(unsigned cpu, unsigned timeout_ms)
{
	(void)cpu, (void)timeout_ms;
	return -ENODEV;
}
void smp_abort_current_call(void) { }
void smp_end_current_call(int err) { (void)err; }
int smp_backtrace_cpu(unsigned cpu, bool park)
{
	(void)cpu, (void)park;
	return -ENODEV;
}
bool smp_nmi_answer(const struct trap_frame *frame)
{
	(void)frame;
	return false;
}
void smp_flush_tlb_others(unsigned long start, unsigned long pages)
{
	(void)start, (void)pages;
}
unsigned long smp_shootdown_count(void) { return 0; }
unsigned long smp_shootdown_ipi_count(void) { return 0; }
unsigned long smp_shootdown_deferred_count(void) { return 0; }
bool smp_wait_cpu_idle(unsigned cpu, bool idle, unsigned ms) { (void)cpu, (void)ms; return !idle; }
bool smp_shootdown_skipped(void) { return false; }
void smp_fault_in_call(const struct fault_info *info) { (void)info; }
void apic_dispatch(struct trap_frame *frame) { (void)frame; }
