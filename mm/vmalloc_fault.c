/*
 * The vmalloc explainer of kernel page faults (mm/vmalloc_fault.h) and
 * the history of freed ranges behind its "freed area" line.
 *
 * It runs inside the fault handler (interrupts off), possibly on behalf
 * of code that holds a lock of the vmap space or is in the middle of a
 * free. So it never waits: the busy zones' locks are only tried, and the
 * history is a ring written and read without a lock.
 *
 * The history: one ring per CPU, so that CPUs freeing at once write no
 * line in common. Each free claims the next slot of its CPU's ring with an
 * atomic increment (an interrupt's free may come in between), then the
 * slot itself by moving its sequence number from even to odd with a
 * compare-and-exchange (if a writer a whole ring behind still holds it,
 * this free goes unrecorded), fills it with atomic stores and bumps the
 * number to even again. A reader copies a slot and keeps the copy only if
 * the sequence number was even and did not move meanwhile, so a torn
 * entry is skipped, never reported.
 *
 *   CPU 0: next = 70   slots: [6] [7] ... [63] [0] ... [5]
 *                                  newest (69 % 64 = 5) ^ is searched first
 *   CPU 1: next = 12   ...
 *
 * Each slot also keeps the space's reuse epoch at the free: a range is
 * not handed out again in the epoch it was freed in, so of two frees of
 * one address (on two CPUs) the later has the higher epoch.
 */
#include "mm/vmalloc_fault.h"
#include "kernel/errno.h"
#include "kernel/fault.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

struct freed_range {
	unsigned long seq;              /* odd while the slot is being written */
	unsigned long start, end;       /* the whole range, guard page included */
	unsigned long caller;           /* who called fn */
	const char *fn;                 /* the public function that freed it */
	unsigned long epoch;            /* kernel_vmap_space.reuse_epoch at the free */
};

/* One CPU's ring. */
struct free_history {
	struct freed_range slot[VMALLOC_FREE_HISTORY];
	unsigned long next;             /* frees this CPU recorded since boot; atomic */
} __aligned(64);

static struct free_history history[SMP_MAX_CPUS];

void vmalloc_fault_note_free(const char *fn, unsigned long start, unsigned long end,
			     unsigned long caller)
{
	struct free_history *h = &history[arch_cpu_id()];
	unsigned long n = __atomic_fetch_add(&h->next, 1, __ATOMIC_RELAXED);
	struct freed_range *r = &h->slot[n % VMALLOC_FREE_HISTORY];
	unsigned long seq = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);

	/*
	 * Claim the slot: even -> odd. A writer VMALLOC_FREE_HISTORY frees
	 * behind may still hold it (an interrupted free on this CPU): then
	 * this free goes unrecorded rather than mixing two ranges in one slot.
	 */
	if ((seq & 1) || !__atomic_compare_exchange_n(&r->seq, &seq, seq | 1, false,
						     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&r->start, start, __ATOMIC_RELAXED);
	__atomic_store_n(&r->end, end, __ATOMIC_RELAXED);
	__atomic_store_n(&r->caller, caller, __ATOMIC_RELAXED);
	__atomic_store_n(&r->fn, fn, __ATOMIC_RELAXED);
	__atomic_store_n(&r->epoch, __atomic_load_n(&kernel_vmap_space.reuse_epoch,
						    __ATOMIC_RELAXED), __ATOMIC_RELAXED);
	__atomic_store_n(&r->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Copies slot `i` of ring `h` into *out; false if it is being written (or was meanwhile). */
static bool read_slot(const struct free_history *h, unsigned long i, struct freed_range *out)
{
	const struct freed_range *r = &h->slot[i % VMALLOC_FREE_HISTORY];
	unsigned long seq = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);

	if (seq & 1)
		return false;
	out->start = __atomic_load_n(&r->start, __ATOMIC_RELAXED);
	out->end = __atomic_load_n(&r->end, __ATOMIC_RELAXED);
	out->caller = __atomic_load_n(&r->caller, __ATOMIC_RELAXED);
	out->fn = __atomic_load_n(&r->fn, __ATOMIC_RELAXED);
	out->epoch = __atomic_load_n(&r->epoch, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&r->seq, __ATOMIC_RELAXED) == seq && seq != 0;
}

/* The most recent free of a range containing `addr` in ring `h`; false if none. */
static bool find_freed_in(const struct free_history *h, unsigned long addr,
			  struct freed_range *out)
{
	unsigned long n = __atomic_load_n(&h->next, __ATOMIC_ACQUIRE);
	unsigned long oldest = n > VMALLOC_FREE_HISTORY ? n - VMALLOC_FREE_HISTORY : 0;

	for (unsigned long i = n; i-- > oldest;)
		if (read_slot(h, i, out) && addr >= out->start && addr < out->end)
			return true;
	return false;
}

/* The most recent recorded free of a range containing `addr`, of all CPUs; false if none. */
static bool find_freed(unsigned long addr, struct freed_range *out)
{
	struct freed_range r;
	bool found = false;

	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		if (find_freed_in(&history[cpu], addr, &r) && (!found || r.epoch > out->epoch)) {
			*out = r;
			found = true;
		}
	return found;
}

/* What the explainer needs of a live area, copied under its zone's lock. */
struct area_view {
	unsigned long start, end;       /* whole range, guard included */
	unsigned long usable_end;       /* where the guard page starts (end if none) */
	unsigned long flags;
	const void *caller;
	bool has_vm;                    /* false while the area is being set up */
};

/* -EBUSY if a busy zone's lock is held, -ENOENT if no live area contains `addr`, else 0. */
static int find_live(unsigned long addr, struct area_view *v)
{
	struct vmap_busy_hold hold;
	struct vmap_area *va;
	int err = vmap_find_busy_trylock(&kernel_vmap_space, addr, &hold, &va);

	if (err)
		return err;
	*v = (struct area_view){ .start = va->va_start, .end = va->va_end,
				 .usable_end = va->va_end, .has_vm = va->vm != NULL };
	if (va->vm) {
		v->flags = va->vm->flags;
		v->caller = va->vm->caller;
		v->usable_end = v->start + get_vm_area_size(va->vm);
	}
	vmap_busy_unlock(&hold);
	return 0;
}

/* The kind of area, as vmallocinfo would tag it. */
static const char *area_kind(unsigned long flags)
{
	if (flags & VM_ALLOC)
		return "vmalloc";
	if (flags & VM_SPARSE)
		return "sparse";
	if (flags & VM_IOREMAP)
		return "ioremap";
	if (flags & VM_MAP)
		return "vmap";
	return "reserved";
}

static void describe_live(unsigned long addr, bool present, const struct area_view *v,
			  char *buf, size_t size)
{
	int n = snprintf(buf, size, "vmalloc: 0x%lx ", addr);
	size_t off = MIN((size_t)n, size);

	buf += off;
	size -= off;
	if (!v->has_vm)
		snprintf(buf, size, "is in area 0x%lx-0x%lx, still being set up", v->start, v->end);
	else if (addr >= v->usable_end)
		snprintf(buf, size, "is the guard page of area 0x%lx-0x%lx (caller %pS)",
			 v->start, v->end, v->caller);
	else if ((v->flags & VM_SPARSE) && !present)
		snprintf(buf, size, "is an unmapped page of sparse area 0x%lx-0x%lx (caller %pS)",
			 v->start, v->end, v->caller);
	else
		snprintf(buf, size, "is in area 0x%lx-0x%lx (%lu bytes, %s, caller %pS)",
			 v->start, v->end, v->end - v->start, area_kind(v->flags), v->caller);
}

/*
 * Writes the report line for vmalloc address `addr` into `buf` (no
 * newline; truncated to `size`). `present`: the fault was a protection
 * violation, not a missing page (it tells an unmapped page of a sparse
 * area from a mapped one without reading the page table). Never blocks:
 * if a busy zone it must search is locked, says so.
 */
static void vmalloc_fault_describe(unsigned long addr, bool present, char *buf, size_t size)
{
	struct freed_range r;
	struct area_view v;
	int err = find_live(addr, &v);

	if (err == -EBUSY)
		snprintf(buf, size, "vmalloc: 0x%lx: cannot look it up (vmap lock busy)", addr);
	else if (!err)
		describe_live(addr, present, &v, buf, size);
	else if (find_freed(addr, &r))
		snprintf(buf, size, "vmalloc: 0x%lx is in a freed area 0x%lx-0x%lx, freed by %pS (%s)",
			 addr, r.start, r.end, (void *)r.caller, r.fn);
	else
		snprintf(buf, size, "vmalloc: 0x%lx is in no area", addr);
}

/* The explainer: one line for a page fault at a vmalloc address. */
static void vmalloc_fault_explain(const struct fault_info *info)
{
	char line[192];

	if (!info->page_fault || !is_vmalloc_addr((const void *)info->addr))
		return;
	vmalloc_fault_describe(info->addr, info->present, line, sizeof(line));
	printk("%s\n", line);
}

int vmalloc_fault_init(void)
{
	int err = fault_add_explainer(vmalloc_fault_explain);

	WARN(err, "vmalloc_fault_init: no room for the explainer (%d)", err);
	return err;
}
