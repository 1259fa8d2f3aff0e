/*
 * SMP spinlocks (docs/smp.md). The lock word is taken with an atomic
 * exchange; a waiter spins on plain reads with PAUSE (test-and-test-and-
 * set, so the cache line is not bounced while the holder runs) and
 * services TLB-shootdown requests while it spins (arch_spin_poll), so a
 * CPU spinning with interrupts off never blocks a flush the holder waits
 * for. The lock records its holder's CPU and where it was taken, which
 * catches, in every build: a recursive acquire on the same CPU, an unlock
 * of a free lock and an unlock by another CPU than the holder (the word
 * and the holder are read and written atomically wherever another CPU may
 * read them, so ThreadSanitizer sees no race in the lock itself). Debug
 * builds also check the lock order of kernel/lock_order.h at each acquire,
 * and stop a waiter that spins too long with interrupts off
 * (kernel/irq_off_wait.h).
 * spin_lock_irqsave disables interrupts first, as allocator locks need.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include "kernel/compiler.h"
#include "kernel/types.h"
#include "asm/cpu.h"
#include "kernel/irqflags.h"
#include "kernel/irq_off_wait.h"

typedef struct spinlock {
	volatile u32 locked;
	volatile u32 owner;             /* holder's CPU id + 1; 0 when free */
	const char *name;
	unsigned long holder_ip;        /* where it was taken; 0 when free */
	unsigned order;                 /* enum lock_order; 0: not checked */
	unsigned long contended;        /* acquisitions that had to spin (under the lock) */
	unsigned long spun_cycles;      /* TSC cycles those spins took, summed (under the lock) */
	unsigned long taken;            /* debug builds: acquisitions (one holding from the next) */
} spinlock_t;

#define SPINLOCK_INIT(n) { .locked = 0, .owner = 0, .name = (n), .holder_ip = 0 }
/* A lock with its place `o` (LOCK_ORDER_*) in the order of kernel/lock_order.h. */
#define SPINLOCK_INIT_ORDERED(n, o) \
	{ .locked = 0, .owner = 0, .name = (n), .holder_ip = 0, .order = (o) }

/* Called once per lock by the mm_for_each_lock() style walkers (contention figures). */
typedef void (*spin_lock_visit_fn)(spinlock_t *lock, void *arg);

/* Bit o set: this CPU holds a lock of order o (debug builds). */
extern u32 lock_order_held[];

/* Stops with both locks' orders named (or calls spin_lock_fail_hook). */
void spin_lock_out_of_order(spinlock_t *lock, u32 held, unsigned long ip);

/* Panics with the lock's name, `why`, `ip` and where the holder took it. */
void spin_lock_failed(spinlock_t *lock, const char *why, unsigned long ip);

/*
 * Debug builds: a waiter spun more than IRQ_OFF_WAIT_MAX_MS with interrupts
 * off; stops via spin_lock_failed(), naming the waiting and holding CPUs.
 */
void spin_lock_waited_too_long(spinlock_t *lock, unsigned long ip);

/*
 * Tests only: if set, spin_lock_failed() calls it first (and so does
 * irq_off_wait_failed(), with `lock` NULL); it must not
 * return (it longjmps back into the test), else the panic follows.
 */
extern void (*spin_lock_fail_hook)(spinlock_t *lock, const char *why);

static inline void spin_lock_at(spinlock_t *lock, unsigned long ip)
{
	u32 me = arch_cpu_id() + 1;

	if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == me)
		spin_lock_failed(lock, "recursive acquire", ip);
	if (KCONFIG_DEBUG && lock->order && lock_order_held[me - 1] >> lock->order)
		spin_lock_out_of_order(lock, lock_order_held[me - 1], ip);
	if (unlikely(__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))) {
		u64 spin_start = rdtsc();

		do {
			struct irq_off_wait wait = { 0 };

			while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED)) {
				cpu_relax();
				arch_spin_poll();
				if (irq_off_wait_too_long(&wait, __atomic_load_n(&lock->taken, __ATOMIC_RELAXED)))
					spin_lock_waited_too_long(lock, ip);
			}
		} while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE));
		lock->contended++;      /* held now: plain adds; the fast path pays nothing */
		lock->spun_cycles += rdtsc() - spin_start;
	}
	__atomic_store_n(&lock->owner, me, __ATOMIC_RELAXED);
	lock->holder_ip = ip;
	if (KCONFIG_DEBUG)      /* waiters read it: a new holding restarts their clock */
		__atomic_store_n(&lock->taken, lock->taken + 1, __ATOMIC_RELAXED);
	if (KCONFIG_DEBUG && lock->order)
		lock_order_held[me - 1] |= 1u << lock->order;
}

static inline void spin_lock(spinlock_t *lock)
{
	spin_lock_at(lock, (unsigned long)__builtin_return_address(0));
}

static inline void spin_unlock(spinlock_t *lock)
{
	unsigned long ip = (unsigned long)__builtin_return_address(0);

	if (!__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
		spin_lock_failed(lock, "unlock of a free lock", ip);
	if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) != arch_cpu_id() + 1)
		spin_lock_failed(lock, "unlock by a CPU that does not hold it", ip);
	if (KCONFIG_DEBUG && lock->order)
		lock_order_held[arch_cpu_id()] &= ~(1u << lock->order);
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	lock->holder_ip = 0;
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

/*
 * For taking a whole family of locks of one order in one fixed order
 * (vmap_lock_all()): the first with `nested` false, exactly spin_lock();
 * each further one with `nested` true, which skips the order check that a
 * second lock of an order already held would fail. Safe only when every
 * CPU that holds two locks of the family took them in that same order.
 * Release them with spin_unlock_nest() and the same `nested`, last first.
 * Interrupts are left as they are.
 */
static inline void spin_lock_nest(spinlock_t *lock, bool nested)
{
	u32 bit = lock->order ? 1u << lock->order : 0;

	if (KCONFIG_DEBUG && nested)
		lock_order_held[arch_cpu_id()] &= ~bit;
	spin_lock_at(lock, (unsigned long)__builtin_return_address(0));
}

static inline void spin_unlock_nest(spinlock_t *lock, bool nested)
{
	u32 bit = lock->order ? 1u << lock->order : 0;

	spin_unlock(lock);
	if (KCONFIG_DEBUG && nested)
		lock_order_held[arch_cpu_id()] |= bit;
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
	__atomic_store_n(&lock->owner, arch_cpu_id() + 1, __ATOMIC_RELAXED);
	lock->holder_ip = (unsigned long)__builtin_return_address(0);
	if (KCONFIG_DEBUG)      /* waiters read it: a new holding restarts their clock */
		__atomic_store_n(&lock->taken, lock->taken + 1, __ATOMIC_RELAXED);
	if (KCONFIG_DEBUG && lock->order)
		lock_order_held[arch_cpu_id()] |= 1u << lock->order;
	return true;
}

/* Takes the lock with interrupts off; returns the flags to restore. */
static inline unsigned long spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = irq_save();

	spin_lock_at(lock, (unsigned long)__builtin_return_address(0));
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
	return __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) != 0;
}

/*
 * True if this CPU holds the lock: a fault handler that needs it must not
 * take it again. Another CPU holding it is no reason to give up (wait).
 */
static inline bool spin_is_held_here(const spinlock_t *lock)
{
	return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == arch_cpu_id() + 1;
}

#endif
