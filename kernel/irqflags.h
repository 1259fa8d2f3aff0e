/*
 * Saving and restoring the interrupt flag, built on the three primitives
 * each architecture's cpu.h provides (read_flags, irq_disable, irq_enable),
 * so the kernel and the host build (arch/host) share one definition.
 */
#ifndef KERNEL_IRQFLAGS_H
#define KERNEL_IRQFLAGS_H

#include "asm/cpu.h"

/* Disables interrupts and returns the previous flags for irq_restore(). */
static inline unsigned long irq_save(void)
{
	unsigned long f = read_flags();

	irq_disable();
	return f;
}

/* Re-enables interrupts if they were on when `flags` was saved. */
static inline void irq_restore(unsigned long flags)
{
	if (flags & X86_EFLAGS_IF)
		irq_enable();
}

#endif
