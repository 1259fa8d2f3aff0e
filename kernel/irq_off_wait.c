/* The debug check of long waits with interrupts off (kernel/irq_off_wait.h). */
#include "kernel/irq_off_wait.h"
#include "arch/x86_64/timer.h"
#include "kernel/irqflags.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"

/*
 * Longer than this between two clock reads: the waiting CPU was not running.
 * (Under QEMU's TCG a spin with PAUSE can take tens of microseconds, so
 * IRQ_OFF_WAIT_CHECK_EVERY spins may take several milliseconds.)
 */
#define IRQ_OFF_WAIT_GAP_MS 50

bool irq_off_wait_expired(struct irq_off_wait *w, unsigned long holding)
{
	u64 now = rdtsc(), ms = tsc_hz() / 1000;

	if (read_flags() & X86_EFLAGS_IF) {
		w->since = 0;           /* interrupts on: the watchdog's business */
		return false;
	}
	if (!w->since || holding != w->holding || now - w->last > ms * IRQ_OFF_WAIT_GAP_MS)
		w->since = now;
	w->holding = holding;
	w->last = now;
	return now - w->since > ms * IRQ_OFF_WAIT_MAX_MS;
}

void irq_off_wait_failed(const char *why)
{
	if (spin_lock_fail_hook)
		spin_lock_fail_hook(NULL, why);
	panic("%s", why);
}

void spin_lock_waited_too_long(spinlock_t *lock, unsigned long ip)
{
	static char why[96];

	snprintf(why, sizeof(why), "CPU %u waited more than %u ms with interrupts off for CPU %d",
		 arch_cpu_id(), IRQ_OFF_WAIT_MAX_MS, (int)lock->owner - 1);
	spin_lock_failed(lock, why, ip);
}
