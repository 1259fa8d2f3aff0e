/*
 * Spinlocks. One CPU runs today, but every allocator's state sits behind
 * one of these so SMP needs no audit later: the lock disables interrupts
 * (irqsave) and, in debug builds, records its holder so a recursive
 * acquire or an unlock by a non-holder is caught.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include "kernel/types.h"
#include "asm/cpu.h"
#include "kernel/irqflags.h"

typedef struct spinlock {
	volatile u32 locked;
	const char *name;
	unsigned long holder_ip;        /* where it was taken; 0 when free */
} spinlock_t;

#define SPINLOCK_INIT(n) { .locked = 0, .name = (n), .holder_ip = 0 }

void spin_lock_failed(spinlock_t *lock, const char *why, unsigned long ip);

static inline void spin_lock(spinlock_t *lock)
{
	unsigned long ip = (unsigned long)__builtin_return_address(0);

	if (lock->locked && lock->holder_ip)
		spin_lock_failed(lock, "recursive or contended acquire", ip);
	while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	lock->holder_ip = ip;
}

static inline void spin_unlock(spinlock_t *lock)
{
	if (!lock->locked)
		spin_lock_failed(lock, "unlock of a free lock",
				 (unsigned long)__builtin_return_address(0));
	lock->holder_ip = 0;
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

/*
 * Takes the lock only if it is free; true if taken. For code that must not
 * wait, such as a fault handler explaining an address while the faulting
 * code may hold the lock. Interrupts are left as they are.
 */
static inline bool spin_trylock(spinlock_t *lock)
{
	if (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		return false;
	lock->holder_ip = (unsigned long)__builtin_return_address(0);
	return true;
}

/* Takes the lock with interrupts off; returns the flags to restore. */
static inline unsigned long spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = irq_save();

	spin_lock(lock);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock(lock);
	irq_restore(flags);
}

/* True if someone holds the lock (for assertions in _locked helpers). */
static inline bool spin_is_locked(const spinlock_t *lock)
{
	return lock->locked != 0;
}

#endif
