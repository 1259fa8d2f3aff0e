/* The lock order (kernel/lock_order.h) and its debug check's state. */
#include "kernel/lock_order.h"
#include "kernel/lib/format.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"

u32 lock_order_held[SMP_MAX_CPUS];

static const char *const names[LOCK_ORDER_COUNT] = {
	[LOCK_ORDER_NONE] = "none", [LOCK_ORDER_ARENAS] = "arenas",
	[LOCK_ORDER_ARENA] = "arena", [LOCK_ORDER_VMAP] = "vmap",
	[LOCK_ORDER_VMAP_CPU] = "vmap_cpu", [LOCK_ORDER_VMAP_BUSY] = "vmap_busy",
	[LOCK_ORDER_PGTABLE] = "pgtable", [LOCK_ORDER_SLAB_CACHES] = "slab_caches",
	[LOCK_ORDER_SLAB] = "slab", [LOCK_ORDER_PFA] = "pfa",
	[LOCK_ORDER_FAULT_INJECT] = "fault_inject",
};

const char *lock_order_name(unsigned order)
{
	return order < LOCK_ORDER_COUNT ? names[order] : "?";
}

void spin_lock_out_of_order(spinlock_t *lock, u32 held, unsigned long ip)
{
	static char why[96];
	unsigned last = 31 - __builtin_clz(held);

	snprintf(why, sizeof(why), "taken out of order: a %s lock while holding a %s lock",
		 lock_order_name(lock->order), lock_order_name(last));
	spin_lock_failed(lock, why, ip);
}
