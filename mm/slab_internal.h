/*
 * State shared by the slab allocator's files (slab.c: caches, slabs,
 * kmalloc; slab_cpu.c: the per-CPU object magazines). Not for other
 * layers: they use mm/slab.h.
 */
#ifndef MM_SLAB_INTERNAL_H
#define MM_SLAB_INTERNAL_H

#include "kernel/lib/string.h"
#include "kernel/smp.h"
#include "mm/pfa.h"
#include "mm/slab.h"

/* The header at the start of every slab frame. */
struct slab {
	void *freelist;                 /* first free object, NULL if none */
	u32 inuse;                      /* objects allocated */
	u32 unused;
	u64 used[];                     /* bit i set: object i is allocated */
};

#define BITS_PER_WORD   64

static inline struct slab *slab_of(const struct page *page)
{
	return page_address(page);
}

static inline void *slab_object(const struct kmem_cache *c, struct slab *s, unsigned i)
{
	return (char *)s + c->first_offset + (size_t)i * c->size;
}

/*
 * The in-use bitmap is changed under the cache lock, but a magazine's
 * double-free check reads its object's bit without it (that bit is stable
 * while the caller owns the object; its neighbours are not): both sides
 * access the word atomically, relaxed, which costs nothing on x86.
 */
static inline bool bit_test(const u64 *map, unsigned i)
{
	return __atomic_load_n(&map[i / BITS_PER_WORD], __ATOMIC_RELAXED) &
	       (1ull << (i % BITS_PER_WORD));
}

static inline void bit_flip(u64 *map, unsigned i)
{
	u64 *w = &map[i / BITS_PER_WORD];

	__atomic_store_n(w, *w ^ (1ull << (i % BITS_PER_WORD)), __ATOMIC_RELAXED);
}

/*
 * The index of the object `obj` points to in slab `s`, or -1 if it is not
 * the first byte of one of the slab's objects. Divides by the stride with
 * a multiplication by its reciprocal (a division is a slow instruction,
 * and a helper call under QEMU's TCG): see kmem_cache.size_recip.
 */
static inline long object_index(const struct kmem_cache *c, struct slab *s, const void *obj)
{
	unsigned long off = (unsigned long)obj - (unsigned long)s - c->first_offset;
	unsigned long i;

	if (off >= PAGE_SIZE)           /* before object 0 (wrapped round) or off the frame */
		return -1;
	i = (off * c->size_recip) >> 32;
	return i < c->objs_per_slab && i * c->size == off ? (long)i : -1;
}

/* Debug: free objects hold the link in word 0 and poison after it. */
static inline void poison_object(const struct kmem_cache *c, void *obj)
{
	if (KCONFIG_DEBUG && c->size > sizeof(void *))
		memset((char *)obj + sizeof(void *), SLAB_POISON_BYTE,
		       c->size - sizeof(void *));
}

static inline bool poison_intact(const struct kmem_cache *c, const void *obj)
{
	if (!KCONFIG_DEBUG || c->size <= sizeof(void *))
		return true;
	return mem_is_filled((const char *)obj + sizeof(void *), SLAB_POISON_BYTE,
			     c->size - sizeof(void *));
}

/*
 * A CPU's magazine of one cache (mm/slab_cpu.c, docs/percpu.md): objects
 * taken from their slabs (their bits set, counted in the cache's
 * nr_active), each holding SLAB_MAG_TAG ^ its address in word 0 and
 * poison after it. `lock` covers count and objs; the owning CPU takes it on
 * every alloc and free of the cache, and holds it while it takes the cache
 * lock to move a batch: order magazine -> cache -> pfa. Only slab_check()
 * and a flush of every CPU hold several, in CPU order, so the magazine
 * locks have no place in kernel/lock_order.h.
 */
#define SLAB_MAG_SIZE   16
#define SLAB_MAG_BATCH  8               /* objects moved per refill or flush */
#define SLAB_MAG_TAG    0x6d61676d61676d61ul

struct slab_cpu {
	spinlock_t lock;
	unsigned count;
	void *objs[SLAB_MAG_SIZE];
} __aligned(64);

/* The word 0 of an object in a magazine. */
static inline unsigned long slab_mag_tag(const void *obj)
{
	return SLAB_MAG_TAG ^ (unsigned long)obj;
}

extern bool slab_cpu_on;

/* Takes one object from its slabs (a new slab if none is partial); NULL if no frame. Cache lock held. */
void *slab_take_locked(struct kmem_cache *c);

/* True if an object can be taken without a new frame (a partial slab or the spare). */
static inline bool slab_has_free_locked(const struct kmem_cache *c)
{
	return c->partial.first || c->spare;
}

/* Returns `obj` to its slab `page`; why it is refused, or NULL. Cache lock held. */
const char *slab_free_locked(struct kmem_cache *c, struct page *page, void *obj);

/* The slab frame `ptr` lies in, or NULL if it is not slab memory. */
static inline struct page *slab_page_of(const void *ptr)
{
	struct page *page = virt_to_page(ptr);

	return page && page_has_state(page, PAGE_SLAB) ? page : NULL;
}

/* Gives `c` its magazines (one kzalloc): 0, or -ENOMEM and `c` has none. */
int slab_cpu_attach(struct kmem_cache *c);

/* Empties every magazine of `c` into its slabs and frees them (kmem_cache_destroy). */
void slab_cpu_detach(struct kmem_cache *c);

/* An object from this CPU's magazine of `c`, refilled if empty; *poisoned if it was written. */
void *slab_cpu_alloc(struct kmem_cache *c, bool *poisoned);

/* Puts `obj` of slab `page` in this CPU's magazine; why it is refused, or NULL. */
const char *slab_cpu_free(struct kmem_cache *c, struct page *page, void *obj);

/* Empties every CPU's magazine of `c` into the slabs. */
void slab_cpu_flush(struct kmem_cache *c);

/* What is wrong with the magazines of `c`, or NULL. Magazine locks and cache lock held. */
const char *slab_cpu_check_locked(struct kmem_cache *c);

/* Objects in the magazines of `c`. Magazine locks held. */
unsigned long slab_cpu_cached_locked(struct kmem_cache *c);

/* Takes / drops every magazine lock of `c`, in CPU order. */
void slab_cpu_lock_all(struct kmem_cache *c);
void slab_cpu_unlock_all(struct kmem_cache *c);

#endif
