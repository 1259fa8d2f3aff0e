/*
 * The slab allocator (see mm/slab.h for the layout of a slab): caches of
 * fixed-size objects on single frames, the kmalloc size classes on top,
 * and whole frame blocks for large kmalloc requests.
 */
#include "mm/slab_internal.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/lock_order.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/fault_inject.h"
#include "mm/pfa.h"

#define MAX_OBJS_PER_SLAB (PAGE_SIZE / KMEM_CACHE_MIN_SIZE)

static const unsigned kmalloc_sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024 };
#define NR_KMALLOC_CACHES ARRAY_SIZE(kmalloc_sizes)

static const char *const kmalloc_names[NR_KMALLOC_CACHES] = {
	"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96",
	"kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1k",
};

static struct kmem_cache kmalloc_caches[NR_KMALLOC_CACHES];
static struct kmem_cache kmem_cache_cache;      /* where kmem_cache_create() takes caches */

/*
 * kmalloc-large: blocks of frames, one "object" each, kept on `full`
 * (linked through the head page) so slab_check() can see them; nr_slabs
 * counts frames.
 */
static struct kmem_cache kmalloc_large = {
	.lock = SPINLOCK_INIT_ORDERED("kmalloc-large", LOCK_ORDER_SLAB), .name = "kmalloc-large",
};

/* The list of every cache, for slab_check(). */
static spinlock_t slab_caches_lock = SPINLOCK_INIT_ORDERED("slab_caches", LOCK_ORDER_SLAB_CACHES);
static struct kmem_cache *slab_caches;          /* covered by slab_caches_lock */

/* --- layout ---------------------------------------------------------- */

static unsigned bitmap_words(unsigned objs)
{
	return (objs + BITS_PER_WORD - 1) / BITS_PER_WORD;
}

static unsigned first_offset_for(unsigned objs, unsigned align)
{
	size_t header = sizeof(struct slab) + bitmap_words(objs) * sizeof(u64);

	return ALIGN_UP(header, align);
}

/* Fills in the layout of a cache; the largest object count that fits wins. */
static void cache_setup(struct kmem_cache *c, const char *name, unsigned size,
			unsigned align)
{
	unsigned objs;

	align = MAX(align, KMALLOC_MIN_ALIGN);
	c->lock = (spinlock_t)SPINLOCK_INIT_ORDERED(name, LOCK_ORDER_SLAB);
	c->name = name;
	c->object_size = size;
	c->align = align;
	c->size = ALIGN_UP(MAX(size, KMEM_CACHE_MIN_SIZE), align);
	objs = PAGE_SIZE / c->size;
	while (first_offset_for(objs, align) + objs * c->size > PAGE_SIZE)
		objs--;
	c->objs_per_slab = objs;
	c->first_offset = first_offset_for(objs, align);
	c->size_recip = (u32)(((1ull << 32) + c->size - 1) / c->size);
}

static void cache_list_add(struct kmem_cache *c)
{
	unsigned long irq = spin_lock_irqsave(&slab_caches_lock);

	c->next = slab_caches;
	slab_caches = c;
	spin_unlock_irqrestore(&slab_caches_lock, irq);
}

static void cache_list_del(struct kmem_cache *c)
{
	unsigned long irq = spin_lock_irqsave(&slab_caches_lock);
	struct kmem_cache **pp = &slab_caches;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	spin_unlock_irqrestore(&slab_caches_lock, irq);
}

/* The largest power of two dividing `size`, capped to a page. */
static unsigned natural_align(unsigned size)
{
	return MIN(size & -size, (unsigned)PAGE_SIZE);
}

void slab_init(void)
{
	cache_setup(&kmem_cache_cache, "kmem_cache", sizeof(struct kmem_cache), 0);
	cache_list_add(&kmem_cache_cache);
	for (unsigned i = 0; i < NR_KMALLOC_CACHES; i++) {
		cache_setup(&kmalloc_caches[i], kmalloc_names[i], kmalloc_sizes[i],
			    natural_align(kmalloc_sizes[i]));
		cache_list_add(&kmalloc_caches[i]);
	}
	cache_list_add(&kmalloc_large);
	/* Magazines for the kmalloc classes; none for the cache of caches (rarely used). */
	for (unsigned i = 0; i < NR_KMALLOC_CACHES; i++)
		slab_cpu_attach(&kmalloc_caches[i]);
	printk("slab: %u kmalloc classes 8..%u bytes, larger sizes as frame blocks up to %lu KiB\n",
	       (unsigned)NR_KMALLOC_CACHES, KMALLOC_MAX_CACHE_SIZE, KMALLOC_MAX_SIZE >> 10);
}

/* --- objects and slabs ----------------------------------------------- */


/* Set bits in a word (no libgcc: -mno-sse kernels may lack POPCNT). */
static unsigned bit_count(u64 w)
{
	unsigned n = 0;

	for (; w; w &= w - 1)
		n++;
	return n;
}


/* Takes a frame and threads every object on the new slab's free list. */
static struct page *slab_new_locked(struct kmem_cache *c)
{
	struct page *page = alloc_page(0);
	struct slab *s;

	if (!page)
		return NULL;
	page_set_state(page, PAGE_SLAB);
	page->private = (unsigned long)c;
	s = slab_of(page);
	s->inuse = 0;
	memset(s->used, 0, bitmap_words(c->objs_per_slab) * sizeof(u64));
	s->freelist = NULL;
	for (unsigned i = c->objs_per_slab; i-- > 0;) {
		void *obj = slab_object(c, s, i);

		poison_object(c, obj);
		*(void **)obj = s->freelist;
		s->freelist = obj;
	}
	page_list_add(&c->partial, page);
	c->nr_slabs++;
	return page;
}

/*
 * A slab that has just emptied. One per cache is kept as the spare (still
 * threaded and poisoned, its frame still the cache's): a cache whose user
 * allocates and frees one object in turn, as every vmalloc call does with
 * its vm_struct, would otherwise build a slab and give it back each time.
 * Any other goes back to the frame allocator.
 */
static __always_inline void slab_empty_locked(struct kmem_cache *c, struct page *page)
{
	page_list_del(&c->partial, page);
	if (!c->spare) {
		c->spare = page;
		return;
	}
	c->nr_slabs--;
	page->private = 0;
	free_page(page);
}

/* A slab with a free object when `partial` has none: the spare, else a new one. */
static __always_inline struct page *slab_refill_locked(struct kmem_cache *c)
{
	struct page *page = c->spare;

	if (!page)
		return slab_new_locked(c);
	c->spare = NULL;
	page_list_add(&c->partial, page);
	return page;
}

/*
 * The slab steps of every allocation and free are inlined where they run
 * (here, and once each behind slab_take_locked() and slab_free_locked()
 * for the magazines): under QEMU's TCG a call and its return cost about
 * 10 ns, some 20 plain instructions.
 */
static __always_inline void *take_object_locked(struct kmem_cache *c)
{
	struct page *page = c->partial.first ? c->partial.first : slab_refill_locked(c);
	struct slab *s;
	void *obj;

	if (!page)
		return NULL;
	s = slab_of(page);
	obj = s->freelist;
	s->freelist = *(void **)obj;
	bit_flip(s->used, object_index(c, s, obj));
	if (++s->inuse == c->objs_per_slab) {
		page_list_del(&c->partial, page);
		page_list_add(&c->full, page);
	}
	c->nr_active++;
	c->nr_allocs++;
	return obj;
}

void *slab_take_locked(struct kmem_cache *c)
{
	return take_object_locked(c);
}

/* This CPU's magazine when the cache has them, else the slabs under the cache lock. */
static __always_inline void *slab_alloc(struct kmem_cache *c, unsigned long caller)
{
	unsigned long irq;
	void *obj;
	bool poisoned = false;

	if (WARN_CALL(!c || !c->size, "kmem_cache_alloc", caller, "cache %p is not set up", c))
		return NULL;
	if (fault_inject_should_fail(FAULT_SLAB))
		return NULL;
	if (c->cpu && READ_ONCE(slab_cpu_on)) {
		obj = slab_cpu_alloc(c, &poisoned);
	} else {
		irq = spin_lock_irqsave(&c->lock);
		obj = take_object_locked(c);
		poisoned = obj && !poison_intact(c, obj);
		spin_unlock_irqrestore(&c->lock, irq);
	}
	WARN_CALL(poisoned, "kmem_cache_alloc", caller,
		  "%s object %p was written after it was freed", c->name, obj);
	return obj;
}

static __always_inline const char *put_object_locked(struct kmem_cache *c, struct page *page,
						     void *obj)
{
	struct slab *s = slab_of(page);
	long i = object_index(c, s, obj);

	if (i < 0)
		return "is not the start of an object";
	if (!bit_test(s->used, i))
		return "double free";
	bit_flip(s->used, i);
	poison_object(c, obj);
	*(void **)obj = s->freelist;
	s->freelist = obj;
	if (s->inuse-- == c->objs_per_slab) {
		page_list_del(&c->full, page);
		page_list_add(&c->partial, page);
	}
	c->nr_active--;
	if (s->inuse == 0)
		slab_empty_locked(c, page);
	return NULL;
}

const char *slab_free_locked(struct kmem_cache *c, struct page *page, void *obj)
{
	return put_object_locked(c, page, obj);
}

#define slab_warn(fn, obj, cache, why, caller) \
	warn_call(fn, caller, "%p (%s): %s, ignored", obj, cache, why)

static void large_free(struct page *page, const void *ptr, unsigned long caller);

/* Frees `obj` of cache `want` (NULL: whichever kmalloc cache owns it). */
static __always_inline void slab_free(const char *fn, struct kmem_cache *want, const void *obj,
				      unsigned long caller)
{
	struct page *page = slab_page_of(obj);
	struct kmem_cache *c = page ? (struct kmem_cache *)page->private : NULL;
	const char *why;
	unsigned long irq;

	if (!page) {
		slab_warn(fn, obj, want ? want->name : "kmalloc", "not slab memory", caller);
		return;
	}
	if (want && c != want) {
		slab_warn(fn, obj, want->name, "object of another cache", caller);
		return;
	}
	if (c == &kmalloc_large) {
		large_free(page, obj, caller);
		return;
	}
	if (c->cpu && READ_ONCE(slab_cpu_on)) {
		why = slab_cpu_free(c, page, (void *)obj);
	} else {
		irq = spin_lock_irqsave(&c->lock);
		why = put_object_locked(c, page, (void *)obj);
		spin_unlock_irqrestore(&c->lock, irq);
	}
	if (why)
		__atomic_fetch_add(&c->nr_misuses, 1, __ATOMIC_RELAXED);
	if (why)
		slab_warn(fn, obj, c->name, why, caller);
}

__noinline
void *kmem_cache_alloc(struct kmem_cache *cache)
{
	return slab_alloc(cache, RET_IP);
}

__noinline
void *kmem_cache_zalloc(struct kmem_cache *cache)
{
	void *obj = slab_alloc(cache, RET_IP);

	if (obj)
		memset(obj, 0, cache->object_size);
	return obj;
}

__noinline
void kmem_cache_free(struct kmem_cache *cache, void *obj)
{
	if (obj)
		slab_free("kmem_cache_free", cache, obj, RET_IP);
}

/* --- caches ------------------------------------------------------------ */

/* kmem_cache_create() with or without magazines. */
static struct kmem_cache *cache_create(const char *name, size_t size, size_t align,
				       bool magazines, unsigned long caller)
{
	struct kmem_cache *c;

	if (WARN_CALL(!name || !size || size > KMEM_CACHE_MAX_SIZE ||
		      (align && (!IS_POWER_OF_2(align) || align > KMEM_CACHE_MAX_SIZE)),
		      "kmem_cache_create", caller, "%s: bad size %zu or align %zu",
		      name ? name : "(null)", size, align))
		return NULL;
	c = slab_alloc(&kmem_cache_cache, caller);
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	cache_setup(c, name, size, align);
	if (magazines && slab_cpu_attach(c)) {
		slab_free("kmem_cache_create", &kmem_cache_cache, c, caller);
		return NULL;
	}
	cache_list_add(c);
	return c;
}

__noinline
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align)
{
	return cache_create(name, size, align, false, RET_IP);
}

__noinline
struct kmem_cache *kmem_cache_create_percpu(const char *name, size_t size, size_t align)
{
	return cache_create(name, size, align, true, RET_IP);
}

__noinline
void kmem_cache_destroy(struct kmem_cache *cache)
{
	unsigned long active;
	struct page *page;

	if (!cache)
		return;
	page = slab_page_of(cache);
	if (WARN_CALL(!page || page->private != (unsigned long)&kmem_cache_cache,
		      "kmem_cache_destroy", RET_IP,
		      "%p is not a cache from kmem_cache_create, ignored", cache))
		return;
	slab_cpu_flush(cache);
	active = READ_ONCE(cache->nr_active);
	if (WARN_CALL(active, "kmem_cache_destroy", RET_IP,
		      "%s still has %lu objects in use, not destroyed", cache->name, active))
		return;
	cache_list_del(cache);
	slab_cpu_detach(cache);
	if (cache->spare) {
		cache->spare->private = 0;
		free_page(cache->spare);
	}
	slab_free("kmem_cache_destroy", &kmem_cache_cache, cache, RET_IP);
}

void kmem_cache_get_stats(struct kmem_cache *c, struct kmem_cache_stats *st)
{
	unsigned long irq = irq_save();

	slab_cpu_lock_all(c);
	spin_lock(&c->lock);
	st->active_objs = c->nr_active - slab_cpu_cached_locked(c);
	st->nr_spare = c->spare ? 1 : 0;
	if (c == &kmalloc_large) {
		st->num_objs = c->nr_active;
		st->nr_pages = c->nr_slabs;
		st->nr_slabs = c->nr_active;
	} else {
		st->num_objs = c->nr_slabs * c->objs_per_slab;
		st->nr_pages = c->nr_slabs;
		st->nr_slabs = c->nr_slabs;
	}
	spin_unlock(&c->lock);
	slab_cpu_unlock_all(c);
	irq_restore(irq);
}

void slab_get_stats(struct kmem_cache_stats *sum)
{
	unsigned long irq = spin_lock_irqsave(&slab_caches_lock);

	memset(sum, 0, sizeof(*sum));
	for (struct kmem_cache *c = slab_caches; c; c = c->next) {
		struct kmem_cache_stats st;

		kmem_cache_get_stats(c, &st);
		sum->active_objs += st.active_objs;
		sum->num_objs += st.num_objs;
		sum->nr_slabs += st.nr_slabs;
		sum->nr_pages += st.nr_pages;
		sum->nr_spare += st.nr_spare;
	}
	spin_unlock_irqrestore(&slab_caches_lock, irq);
}

void slab_for_each_lock(spin_lock_visit_fn fn, void *arg)
{
	unsigned long irq;

	fn(&slab_caches_lock, arg);
	irq = spin_lock_irqsave(&slab_caches_lock);
	for (struct kmem_cache *c = slab_caches; c; c = c->next) {
		fn(&c->lock, arg);
		for (unsigned i = 0; c->cpu && i < SMP_MAX_CPUS; i++)
			fn(&c->cpu[i].lock, arg);
	}
	spin_unlock_irqrestore(&slab_caches_lock, irq);
}

void slab_flush_all_caches(void)
{
	unsigned long irq = spin_lock_irqsave(&slab_caches_lock);

	for (struct kmem_cache *c = slab_caches; c; c = c->next)
		slab_cpu_flush(c);
	spin_unlock_irqrestore(&slab_caches_lock, irq);
}

/* --- kmalloc ------------------------------------------------------------ */

static struct kmem_cache *kmalloc_cache_for(size_t size)
{
	for (unsigned i = 0; i < NR_KMALLOC_CACHES; i++)
		if (size <= kmalloc_sizes[i])
			return &kmalloc_caches[i];
	return NULL;
}

static unsigned order_for(size_t size)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

static void *large_alloc(size_t size, unsigned long caller)
{
	struct kmem_cache *c = &kmalloc_large;
	unsigned order = order_for(size);
	unsigned long irq;
	struct page *page;

	if (fault_inject_should_fail(FAULT_SLAB))
		return NULL;
	irq = spin_lock_irqsave(&c->lock);
	page = alloc_pages(order, 0);

	if (page) {
		page_set_state(page, PAGE_SLAB);
		page->private = (unsigned long)c;
		page_list_add(&c->full, page);
		c->nr_active++;
		c->nr_allocs++;
		c->nr_slabs += 1ul << order;
	}
	spin_unlock_irqrestore(&c->lock, irq);
	return page ? page_address(page) : NULL;
}

static void large_free(struct page *page, const void *ptr, unsigned long caller)
{
	struct kmem_cache *c = &kmalloc_large;
	unsigned long irq;

	if (ptr != page_address(page)) {
		slab_warn("kfree", ptr, c->name, "is not the start of the block", caller);
		return;
	}
	irq = spin_lock_irqsave(&c->lock);
	page_list_del(&c->full, page);
	c->nr_active--;
	c->nr_slabs -= 1ul << page->order;
	page->private = 0;
	free_pages(page, page->order);
	spin_unlock_irqrestore(&c->lock, irq);
}

static void *kmalloc_caller(size_t size, unsigned long caller)
{
	struct kmem_cache *c;

	if (!size || size > KMALLOC_MAX_SIZE)
		return NULL;
	c = kmalloc_cache_for(size);
	return c ? slab_alloc(c, caller) : large_alloc(size, caller);
}

__noinline
void *kmalloc(size_t size)
{
	return kmalloc_caller(size, RET_IP);
}

__noinline
void *kzalloc(size_t size)
{
	void *p = kmalloc_caller(size, RET_IP);

	if (p)
		memset(p, 0, size);
	return p;
}

__noinline
void kfree(const void *ptr)
{
	if (ptr)
		slab_free("kfree", NULL, ptr, RET_IP);
}

size_t ksize(const void *ptr)
{
	struct page *page = ptr ? slab_page_of(ptr) : NULL;
	struct kmem_cache *c = page ? (struct kmem_cache *)page->private : NULL;

	if (!c)
		return 0;
	return c == &kmalloc_large ? PAGE_SIZE << page->order : c->size;
}

/* --- checking and printing ------------------------------------------- */

/* The lists a slab can be on, as check_slab() judges it. */
enum slab_place { ON_PARTIAL, ON_FULL, AS_SPARE };

/* What is wrong with slab `page` of `c` in `place`, or NULL. */
static const char *check_slab(const struct kmem_cache *c, struct page *page,
			      enum slab_place place)
{
	u64 seen[MAX_OBJS_PER_SLAB / BITS_PER_WORD];
	struct slab *s = slab_of(page);
	unsigned words = bitmap_words(c->objs_per_slab), used = 0, nfree = 0;

	if (!page_has_state(page, PAGE_SLAB) || page->private != (unsigned long)c)
		return "frame is not a slab of this cache";
	for (unsigned w = 0; w < words; w++)
		used += bit_count(s->used[w]);
	if (used != s->inuse || s->inuse > c->objs_per_slab)
		return "in-use count wrong";
	if ((place == AS_SPARE) != !s->inuse)
		return "an empty slab kept besides the spare, or a spare in use";
	if (place != AS_SPARE && (place == ON_FULL) != (s->inuse == c->objs_per_slab))
		return "slab on the wrong list";
	memset(seen, 0, sizeof(seen));
	for (void *obj = s->freelist; obj; obj = *(void **)obj) {
		long i = object_index(c, s, obj);

		if (i < 0 || bit_test(s->used, i) || bit_test(seen, i))
			return "free list points outside, at a used object, or loops";
		bit_flip(seen, i);
		if (!poison_intact(c, obj))
			return "free object written after free";
		nfree++;
	}
	return nfree + s->inuse == c->objs_per_slab ? NULL : "free list length wrong";
}

/*
 * Checks the slabs on one list of `c`, adding up objects in use and
 * frames. Returns what is wrong (and the slab in *bad), or NULL.
 */
static const char *check_list(const struct kmem_cache *c, const struct page_list *list,
			      bool full, unsigned long *active, unsigned long *frames,
			      struct page **bad)
{
	for (struct page *page = list->first; page; page = page->next) {
		const char *why = NULL;

		if (c == &kmalloc_large) {
			if (!page_has_state(page, PAGE_SLAB) || page->private != (unsigned long)c)
				why = "block is not a kmalloc-large block";
			*frames += 1ul << page->order;
			*active += 1;
		} else {
			why = check_slab(c, page, full ? ON_FULL : ON_PARTIAL);
			*frames += 1;
			*active += slab_of(page)->inuse;
		}
		if (why) {
			*bad = page;
			return why;
		}
	}
	return NULL;
}

/* Checks one cache under its lock; prints and returns false if broken. */
static bool check_cache(struct kmem_cache *c)
{
	unsigned long irq = irq_save();
	unsigned long active = 0, frames = 0;
	struct page *bad = NULL;
	const char *why;

	slab_cpu_lock_all(c);
	spin_lock(&c->lock);
	why = slab_cpu_check_locked(c);
	if (!why)
		why = check_list(c, &c->partial, false, &active, &frames, &bad);
	if (!why)
		why = check_list(c, &c->full, true, &active, &frames, &bad);
	if (!why && c->spare) {
		why = check_slab(c, c->spare, AS_SPARE);
		bad = why ? c->spare : NULL;
		frames++;
	}
	if (!why && (active != c->nr_active || frames != c->nr_slabs))
		why = "counters do not match the slabs";
	spin_unlock(&c->lock);
	slab_cpu_unlock_all(c);
	irq_restore(irq);
	if (why)
		printk("slab_check: %s: %s (slab %p)\n", c->name, why,
		       bad ? slab_of(bad) : NULL);
	return !why;
}

int slab_check(void)
{
	unsigned long irq = spin_lock_irqsave(&slab_caches_lock);
	bool ok = true;

	for (struct kmem_cache *c = slab_caches; c; c = c->next)
		ok &= check_cache(c);
	spin_unlock_irqrestore(&slab_caches_lock, irq);
	return ok ? 0 : -EINVAL;
}

void slab_for_each_cache(slab_cache_fn fn, void *arg)
{
	unsigned long irq = spin_lock_irqsave(&slab_caches_lock);

	for (struct kmem_cache *c = slab_caches; c; c = c->next) {
		struct kmem_cache_stats st;

		kmem_cache_get_stats(c, &st);
		fn(c, &st, arg);
	}
	spin_unlock_irqrestore(&slab_caches_lock, irq);
}
