/*
 * The debug check of long waits with interrupts off (docs/smp.md, "The
 * long-wait rule"). A CPU that busy-waits with interrupts off for another
 * CPU (a spinlock's spin, a cross-call's or a shootdown's wait) takes no
 * interrupt meanwhile, not even its watchdog's: a wait that lasts is a
 * bug (a holder that never lets go, a CPU that never answers). In debug
 * builds each such loop calls irq_off_wait_too_long() every spin; the
 * clock is read only every IRQ_OFF_WAIT_CHECK_EVERY spins, and a wait
 * longer than IRQ_OFF_WAIT_MAX_MS with interrupts off stops the kernel
 * with one line naming the wait, the waiting CPU and the CPU waited for.
 */
#ifndef KERNEL_IRQ_OFF_WAIT_H
#define KERNEL_IRQ_OFF_WAIT_H

#include "kernel/types.h"

/*
 * On unless a build says otherwise: the host build turns it off, because
 * its threads acting as CPUs are preempted by the host's scheduler
 * whatever their simulated interrupt flag says, so a long wait there
 * tells nothing about the code (docs/host.md).
 */
#ifndef KCONFIG_IRQ_OFF_WAIT
#define KCONFIG_IRQ_OFF_WAIT KCONFIG_DEBUG
#endif

#define IRQ_OFF_WAIT_MAX_MS      250
#define IRQ_OFF_WAIT_CHECK_EVERY 256    /* spins between two clock reads */

struct irq_off_wait {
	unsigned spins;
	u64 since, last;                /* TSC: start of the wait, last clock read */
	unsigned long holding;          /* which holding of the resource is waited for */
};

/*
 * The out-of-line part: true once the caller has waited more than
 * IRQ_OFF_WAIT_MAX_MS with interrupts off for one `holding`. Waiting with
 * interrupts on restarts the count, and so do a new holding (the resource
 * changed hands: an unfair lock may starve a waiter, but no holder kept
 * it that long) and a gap between two reads longer than spins can take
 * (the waiting CPU itself was not running: a busy host), so only time
 * spent spinning behind one holder counts.
 */
bool irq_off_wait_expired(struct irq_off_wait *w, unsigned long holding);

/*
 * Debug builds: call once per spin of a wait (`w` zeroed before the loop);
 * `holding` tells one holding of the resource from the next (a lock's
 * acquisition count; 0 for a wait with no such notion).
 */
static inline bool irq_off_wait_too_long(struct irq_off_wait *w, unsigned long holding)
{
	if (!KCONFIG_IRQ_OFF_WAIT || ++w->spins % IRQ_OFF_WAIT_CHECK_EVERY)
		return false;
	return irq_off_wait_expired(w, holding);
}

/*
 * Stops a wait that irq_off_wait_too_long() judged too long, `why` being
 * the one line that names it: spin_lock_fail_hook(NULL, why) if a test
 * set it (it does not return), else panic.
 */
void irq_off_wait_failed(const char *why);

#endif
