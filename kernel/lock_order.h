/*
 * The order in which the memory subsystem's locks may be taken, outermost
 * first. A CPU holding a lock may take only locks later in this list; the
 * debug build checks it at every acquire (kernel/spinlock.h) and stops with
 * the two locks' names, so an inversion that could deadlock two CPUs shows
 * on one CPU, the first time the wrong order is taken, not only when two
 * CPUs happen to race. Locks without an order (0) are not checked.
 *
 *   vmap_cpu -> vmap -> vmap_busy -> arenas -> arena -> pgtable -> slab_caches
 *            -> slab -> pfa -> fault_inject
 *
 * e.g. a CPU's purge gives ranges to the free tree (vmap_cpu -> vmap), the
 * vmap space's checks read the page table (vmap -> pgtable), a
 * fault taken with a busy zone's lock held goes to the arena resolver
 * (vmap_busy -> arenas), an arena fault-in maps pages (arena -> pgtable), a page table
 * takes a frame (pgtable -> pfa), a slab takes a frame (slab -> pfa), and
 * every allocator may ask the fault-injection hook (-> fault_inject). A
 * trylock never waits, so it is recorded but not checked.
 */
#ifndef KERNEL_LOCK_ORDER_H
#define KERNEL_LOCK_ORDER_H

enum lock_order {
	LOCK_ORDER_NONE = 0,
	LOCK_ORDER_VMAP_CPU,            /* a CPU's lazy list and pools of a vmap space */
	LOCK_ORDER_VMAP,                /* a vmap space's free tree (mm/vmap_area.c) */
	LOCK_ORDER_VMAP_BUSY,           /* a vmap space's busy zone (mm/vmap_busy.c) */
	LOCK_ORDER_ARENAS,              /* the list of arenas (mm/arena.c) */
	LOCK_ORDER_ARENA,               /* one arena */
	LOCK_ORDER_PGTABLE,             /* a page-table tree (mm/pgtable.c) */
	LOCK_ORDER_SLAB_CACHES,         /* the list of caches (mm/slab.c) */
	LOCK_ORDER_SLAB,                /* one cache */
	LOCK_ORDER_PFA,                 /* the frame allocator (mm/pfa.c) */
	LOCK_ORDER_FAULT_INJECT,        /* mm/fault_inject.c */
	LOCK_ORDER_COUNT
};

/* The name of an order, for messages ("vmap"). */
const char *lock_order_name(unsigned order);

#endif
