/*
 * Per-CPU object magazines of the slab caches (mm/slab_internal.h,
 * docs/percpu.md). Each cache with magazines has one per CPU: up to
 * SLAB_MAG_SIZE objects already taken from their slabs. A CPU allocates
 * from and frees to its own magazine under the magazine's lock, which no
 * other CPU takes but to flush or check it; the cache lock is taken once
 * per batch: a refill of SLAB_MAG_BATCH objects when the magazine is empty,
 * a flush of SLAB_MAG_BATCH back into their own slabs when it is full.
 * An object freed on another CPU than the one that allocated it goes into
 * the freeing CPU's magazine and back to its own slab at that magazine's
 * next flush.
 *
 * An object in a magazine keeps its slab bit set (the slab sees it in
 * use; the cache counts it in nr_active), holds slab_mag_tag(obj) in word 0
 * and, in debug builds, poison after it: a second free of it is seen from
 * the tag, a write after free from the poison when it is handed out again.
 */
#include "mm/slab_internal.h"
#include "kernel/errno.h"
#include "kernel/irqflags.h"

bool slab_cpu_on = true;

int slab_cpu_attach(struct kmem_cache *c)
{
	struct slab_cpu *cpu = kzalloc(SMP_MAX_CPUS * sizeof(*cpu));

	if (!cpu)
		return -ENOMEM;
	for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
		cpu[i].lock = (spinlock_t)SPINLOCK_INIT("slab_cpu");
	c->cpu = cpu;
	return 0;
}

void slab_cpu_detach(struct kmem_cache *c)
{
	struct slab_cpu *cpu = c->cpu;

	if (!cpu)
		return;
	slab_cpu_flush(c);
	c->cpu = NULL;
	kfree(cpu);
}

/*
 * Fills an empty magazine with up to a batch from the slabs. Only the first
 * object may need a new slab (a frame): the rest come from slabs the cache
 * already holds. So a refused frame fails the call that needed it, never a
 * later one, and an injected failure is never absorbed by a partial batch.
 * Magazine lock held.
 */
static void mag_refill(struct kmem_cache *c, struct slab_cpu *m)
{
	spin_lock(&c->lock);
	while (m->count < SLAB_MAG_BATCH) {
		void *obj = m->count && !slab_has_free_locked(c) ? NULL : slab_take_locked(c);

		if (!obj)
			break;
		*(unsigned long *)obj = slab_mag_tag(obj);
		m->objs[m->count++] = obj;
	}
	spin_unlock(&c->lock);
}

/* Returns the `n` most recent objects of a magazine to their slabs. Magazine lock held. */
static void mag_flush(struct kmem_cache *c, struct slab_cpu *m, unsigned n)
{
	spin_lock(&c->lock);
	while (n-- && m->count) {
		void *obj = m->objs[--m->count];

		slab_free_locked(c, slab_page_of(obj), obj);
	}
	spin_unlock(&c->lock);
}

void *slab_cpu_alloc(struct kmem_cache *c, bool *poisoned)
{
	unsigned long irq = irq_save();
	struct slab_cpu *m = &c->cpu[arch_cpu_id()];
	void *obj = NULL;

	spin_lock(&m->lock);
	if (!m->count)
		mag_refill(c, m);
	if (m->count) {
		obj = m->objs[--m->count];
		*poisoned = !poison_intact(c, obj);
		*(unsigned long *)obj = 0;      /* no tag on a live object */
	}
	spin_unlock_irqrestore(&m->lock, irq);
	return obj;
}

/* Why `obj` cannot be freed into a magazine, or NULL. */
static const char *mag_free_refused(struct kmem_cache *c, struct page *page, void *obj)
{
	struct slab *s = slab_of(page);
	long i = object_index(c, s, obj);

	if (i < 0)
		return "is not the start of an object";
	if (*(unsigned long *)obj == slab_mag_tag(obj) || !bit_test(s->used, i))
		return "double free";
	return NULL;
}

const char *slab_cpu_free(struct kmem_cache *c, struct page *page, void *obj)
{
	unsigned long irq = irq_save();
	struct slab_cpu *m = &c->cpu[arch_cpu_id()];
	const char *why;

	spin_lock(&m->lock);
	why = mag_free_refused(c, page, obj);
	if (!why) {
		poison_object(c, obj);
		*(unsigned long *)obj = slab_mag_tag(obj);
		m->objs[m->count++] = obj;
		if (m->count == SLAB_MAG_SIZE)
			mag_flush(c, m, SLAB_MAG_BATCH);
	}
	spin_unlock_irqrestore(&m->lock, irq);
	return why;
}

void slab_cpu_flush(struct kmem_cache *c)
{
	if (!c->cpu)
		return;
	for (unsigned i = 0; i < SMP_MAX_CPUS; i++) {
		struct slab_cpu *m = &c->cpu[i];
		unsigned long irq;

		if (!READ_ONCE(m->count))
			continue;
		irq = spin_lock_irqsave(&m->lock);
		mag_flush(c, m, SLAB_MAG_SIZE);
		spin_unlock_irqrestore(&m->lock, irq);
	}
}

void slab_cpu_lock_all(struct kmem_cache *c)
{
	for (unsigned i = 0; c->cpu && i < SMP_MAX_CPUS; i++)
		spin_lock(&c->cpu[i].lock);
}

void slab_cpu_unlock_all(struct kmem_cache *c)
{
	for (unsigned i = SMP_MAX_CPUS; c->cpu && i-- > 0;)
		spin_unlock(&c->cpu[i].lock);
}

/* What is wrong with one magazine object, or NULL. */
static const char *check_mag_object(struct kmem_cache *c, void *obj)
{
	struct page *page = slab_page_of(obj);
	long i;

	if (!page || page->private != (unsigned long)c)
		return "a magazine holds memory that is not a slab of this cache";
	i = object_index(c, slab_of(page), obj);
	if (i < 0 || !bit_test(slab_of(page)->used, i))
		return "a magazine holds a pointer that is not an object taken from its slab";
	if (*(unsigned long *)obj != slab_mag_tag(obj) || !poison_intact(c, obj))
		return "a magazine object was written after free";
	return NULL;
}

/* True if `obj` is in a magazine before CPU `cpu`'s entry `k`. */
static bool mag_seen_before(struct kmem_cache *c, unsigned cpu, unsigned k, void *obj)
{
	for (unsigned i = 0; i <= cpu; i++)
		for (unsigned j = 0; j < (i == cpu ? k : c->cpu[i].count); j++)
			if (c->cpu[i].objs[j] == obj)
				return true;
	return false;
}

const char *slab_cpu_check_locked(struct kmem_cache *c)
{
	for (unsigned i = 0; c->cpu && i < SMP_MAX_CPUS; i++) {
		struct slab_cpu *m = &c->cpu[i];

		if (m->count > SLAB_MAG_SIZE)
			return "a magazine count is above its size";
		for (unsigned k = 0; k < m->count; k++) {
			const char *why = check_mag_object(c, m->objs[k]);

			if (why)
				return why;
			if (mag_seen_before(c, i, k, m->objs[k]))
				return "an object is in the magazines twice";
		}
	}
	return NULL;
}

unsigned long slab_cpu_cached_locked(struct kmem_cache *c)
{
	unsigned long n = 0;

	for (unsigned i = 0; c->cpu && i < SMP_MAX_CPUS; i++)
		n += c->cpu[i].count;
	return n;
}

bool slab_cpu_set_enabled(bool on)
{
	bool was = READ_ONCE(slab_cpu_on);

	WRITE_ONCE(slab_cpu_on, on);
	if (!on)
		slab_flush_all_caches();
	return was;
}

unsigned kmem_cache_magazine_count(struct kmem_cache *c, unsigned cpu)
{
	return c && c->cpu && cpu < SMP_MAX_CPUS ? READ_ONCE(c->cpu[cpu].count) : 0;
}
