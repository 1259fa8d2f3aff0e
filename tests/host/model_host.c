/*
 * The model engine's hooks on the host (tests/mm_model.h): the simulated
 * TLB can list its entries, so the stale-TLB rule is checked directly
 * (the kernel relies on its probes).
 */
#include "tests/mm_model.h"
#include "host/machine.h"
#include "kernel/spinlock.h"
#include "mm/vmap_area.h"

#define MAX_LAZY 1024

struct lazy_ranges {
	unsigned n;
	bool overflow;
	unsigned long start[MAX_LAZY], end[MAX_LAZY];
	unsigned long bad;              /* a stale entry outside every lazy range, or 0 */
};

static void collect_lazy(struct lazy_ranges *l)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long irq = vmap_lock_all(s);

	l->n = 0;
	l->overflow = false;
	l->bad = 0;
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS && !l->overflow; cpu++) {
		for (struct vmap_area *va = s->cpu[cpu].lazy; va; va = va->next) {
			if (l->n == MAX_LAZY) {
				l->overflow = true;
				break;
			}
			l->start[l->n] = va->va_start;
			l->end[l->n++] = va->va_end;
		}
	}
	vmap_unlock_all(s, irq);
}

static void stale_entry(const struct sim_tlb_entry *e, void *arg)
{
	struct lazy_ranges *l = arg;

	for (unsigned i = 0; i < l->n; i++)
		if (e->va >= l->start[i] && e->va < l->end[i])
			return;
	if (!l->bad)
		l->bad = e->va;
}

/*
 * A translation the page tables no longer give may only survive inside a
 * range freed lazily (not reusable until the purge that flushes it).
 */
unsigned long mm_model_stale_outside_lazy(void)
{
	static struct lazy_ranges lazy;

	collect_lazy(&lazy);
	if (lazy.overflow)
		return 0;
	sim_tlb_for_each_stale(stale_entry, &lazy);
	return lazy.bad;
}

unsigned long mm_model_stale_count(void)
{
	return sim_tlb_for_each_stale(NULL, NULL);
}
