/*
 * The busy zones of a vmap space (mm/vmap_area.h): VMAP_BUSY_ZONES
 * address-ordered trees of allocated areas, each under its own lock, in
 * groups of VMAP_REGION_ZONES per home region. An area lives in a zone of
 * its region, by a hash of its start address, so a free by start address
 * takes one zone lock, and two CPUs working in their own regions never
 * meet in one zone (vmap_zone_of()).
 *
 *   zone = busy[region(start) * VMAP_REGION_ZONES + hash(block of start) % VMAP_REGION_ZONES]
 *
 * A lookup of an inner address cannot know the start, so it tries the
 * zone of the address itself first and then the others, one lock at a
 * time. Whole-space readers take every lock (vmap_lock_all()) and merge
 * the zones in address order.
 */
#include "mm/vmap_internal.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"

void vmap_busy_init(struct vmap_space *s)
{
	for (unsigned z = 0; z < VMAP_BUSY_ZONES; z++) {
		struct vmap_busy_zone *zone = &s->busy[z];

		snprintf(zone->name, sizeof(zone->name), "vmap_busy%u", z);
		zone->lock = (spinlock_t)SPINLOCK_INIT_ORDERED(zone->name, LOCK_ORDER_VMAP_BUSY);
		zone->root = RB_ROOT;
		zone->nr = 0;
	}
}

void vmap_busy_insert(struct vmap_space *s, struct vmap_area *va)
{
	struct vmap_busy_zone *zone = vmap_zone_of(s, va->va_start);
	unsigned long irq = spin_lock_irqsave(&zone->lock);

	vmap_insert_by_addr(&zone->root, va, NULL);
	zone->nr++;
	spin_unlock_irqrestore(&zone->lock, irq);
}

/* Zone number i of the search for `addr`: its own zone first, then the others. */
static struct vmap_busy_zone *search_zone(struct vmap_space *s, unsigned long addr, unsigned i)
{
	struct vmap_busy_zone *home = vmap_zone_of(s, addr);

	return &s->busy[((unsigned)(home - s->busy) + i) % VMAP_BUSY_ZONES];
}

struct vmap_area *vmap_find_busy(struct vmap_space *s, unsigned long addr,
				 struct vmap_busy_hold *h)
{
	for (unsigned i = 0; i < VMAP_BUSY_ZONES; i++) {
		struct vmap_busy_zone *zone = search_zone(s, addr, i);
		unsigned long irq = spin_lock_irqsave(&zone->lock);
		struct vmap_area *va = vmap_lookup_by_addr(&zone->root, addr);

		if (va) {
			*h = (struct vmap_busy_hold){ .zone = zone, .irq = irq };
			return va;
		}
		spin_unlock_irqrestore(&zone->lock, irq);
	}
	return NULL;
}

int vmap_find_busy_trylock(struct vmap_space *s, unsigned long addr,
			   struct vmap_busy_hold *h, struct vmap_area **out)
{
	bool skipped = false;

	for (unsigned i = 0; i < VMAP_BUSY_ZONES; i++) {
		struct vmap_busy_zone *zone = search_zone(s, addr, i);
		unsigned long irq = irq_save();
		struct vmap_area *va;

		if (!spin_trylock(&zone->lock)) {
			irq_restore(irq);
			skipped = true;
			continue;
		}
		va = vmap_lookup_by_addr(&zone->root, addr);
		if (va) {
			*h = (struct vmap_busy_hold){ .zone = zone, .irq = irq };
			*out = va;
			return 0;
		}
		spin_unlock_irqrestore(&zone->lock, irq);
	}
	return skipped ? -EBUSY : -ENOENT;
}

void vmap_busy_unlock(struct vmap_busy_hold *h)
{
	spin_unlock_irqrestore(&h->zone->lock, h->irq);
}

void unlink_vmap_area_locked(struct vmap_space *s, struct vmap_area *va)
{
	struct vmap_busy_zone *zone = vmap_zone_of(s, va->va_start);

	WARN_ONCE(!spin_is_held_here(&zone->lock), "unlink_vmap_area_locked: %s lock not held",
		  zone->name);
	rb_erase(&va->rb_node, &zone->root, NULL);
	zone->nr--;
}

void vmap_busy_lock_start(struct vmap_space *s, unsigned long start, struct vmap_busy_hold *h)
{
	h->zone = vmap_zone_of(s, start);
	h->irq = spin_lock_irqsave(&h->zone->lock);
}

/* --- every lock ------------------------------------------------------------ */

unsigned long vmap_lock_all(struct vmap_space *s)
{
	unsigned long irq = irq_save();

	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		spin_lock_nest(&s->cpu[cpu].lock, cpu > 0);
	spin_lock(&s->lock);
	for (unsigned z = 0; z < VMAP_BUSY_ZONES; z++)
		spin_lock_nest(&s->busy[z].lock, z > 0);
	return irq;
}

void vmap_unlock_all(struct vmap_space *s, unsigned long irq)
{
	for (unsigned z = VMAP_BUSY_ZONES; z-- > 0;)
		spin_unlock_nest(&s->busy[z].lock, z > 0);
	spin_unlock(&s->lock);
	for (unsigned cpu = SMP_MAX_CPUS; cpu-- > 0;)
		spin_unlock_nest(&s->cpu[cpu].lock, cpu > 0);
	irq_restore(irq);
}

/* --- whole-space readers (every lock held) --------------------------------- */

struct vmap_area *find_vmap_area_locked(struct vmap_space *s, unsigned long addr)
{
	WARN_ONCE(!spin_is_held_here(&s->lock), "find_vmap_area_locked: %s locks not held",
		  s->name);
	for (unsigned i = 0; i < VMAP_BUSY_ZONES; i++) {
		struct vmap_area *va = vmap_lookup_by_addr(&search_zone(s, addr, i)->root, addr);

		if (va)
			return va;
	}
	return NULL;
}

struct vmap_area *vmap_busy_next(struct vmap_busy_iter *it)
{
	int least = -1;
	struct rb_node *n;

	for (int z = 0; z < VMAP_BUSY_ZONES; z++)
		if (it->next[z] && (least < 0 ||
				    va_of(it->next[z])->va_start < va_of(it->next[least])->va_start))
			least = z;
	if (least < 0)
		return NULL;
	n = it->next[least];
	it->next[least] = rb_next(n);
	return va_of(n);
}

struct vmap_area *vmap_busy_first(struct vmap_busy_iter *it, struct vmap_space *s,
				  unsigned long addr)
{
	for (int z = 0; z < VMAP_BUSY_ZONES; z++) {
		struct vmap_area *va = vmap_first_ending_after(&s->busy[z].root, addr);

		it->next[z] = va ? &va->rb_node : NULL;
	}
	return vmap_busy_next(it);
}

void vmap_busy_destroy(struct vmap_space *s)
{
	for (unsigned z = 0; z < VMAP_BUSY_ZONES; z++) {
		struct vmap_busy_zone *zone = &s->busy[z];
		struct rb_node *n;

		while ((n = rb_first(&zone->root))) {
			rb_erase(n, &zone->root, NULL);
			vmap_free_area(va_of(n));
		}
		zone->nr = 0;
	}
}
