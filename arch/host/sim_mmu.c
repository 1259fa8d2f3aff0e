/*
 * The simulated MMU: what the CPU would do with an access to a kernel
 * virtual address, for host code that cannot dereference one (vmalloc
 * and image addresses live in the upper half). It is written from the
 * SDM (vol. 3A 4.5, 4.10), not from mm/ or the helpers of asm/mmu.h (the
 * x86-64 one): it only borrows the bit names, so it checks the encoding
 * mm/ produces instead of agreeing with it by construction.
 *
 * The walk starts at CR3, reads each level's entry from simulated RAM,
 * stops at a non-present entry (fault) or a leaf (PS at levels 1-2, any
 * entry at level 0), and sets the accessed bit of every entry it used
 * and the dirty bit of the leaf on a write, as hardware does. Rights are
 * the AND of R/W and the OR of XD over the levels.
 *
 * The TLB caches one entry per leaf (4 KiB, 2 MiB or 1 GiB), and keeps
 * it until an INVLPG of an address inside it, a CR3 write (non-global
 * entries) or a CR4.PGE toggle (all): never because the tables changed.
 * So after an unmap without a flush the old translation still works, as
 * on real hardware, and sim_tlb_for_each_stale_locked() lists such entries. A
 * fault drops the entry of the faulting address (SDM 4.10.4.1). The TLB
 * is direct-mapped with TLB_SLOTS slots: a collision evicts, like a real
 * TLB's capacity miss. Paging-structure caches are not modelled.
 *
 * The TLB is also what the host process itself sees at those addresses:
 * arch/host/pagefault.c maps a page of RAM where code dereferences a
 * kernel address only through a TLB entry (sim_tlb_map_for_host), and
 * whenever an entry goes (flush, fault, eviction) its pages are unmapped
 * again. So a plain pointer into vmalloc space behaves as on the CPU,
 * stale translations included.
 */
#define _GNU_SOURCE
#include "arch/host/internal.h"
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "mm/arch_mmu.h"
#include "mm/layout.h"

#include <pthread.h>

#define TLB_SLOTS       8192    /* a power of two */
#define LEVELS          4

struct tlb_slot {
	struct sim_tlb_entry e;
	int level;                      /* 0: 4 KiB, 1: 2 MiB, 2: 1 GiB */
	bool valid;
	bool dirty;                     /* a write went through it: the leaf's D bit is set */
	bool mapped;                    /* the host has pages of it mapped (pagefault.c) */
};

/*
 * One MMU for every host thread acting as a CPU (host_cpu_enter()): its
 * entry points take this lock, recursive as they call each other and the
 * page-fault handler holds it around its own use of them.
 */
static pthread_mutex_t sim_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void sim_lock(void)
{
	pthread_mutex_lock(&sim_mutex);
}

void sim_unlock(void)
{
	pthread_mutex_unlock(&sim_mutex);
}

/* Not in the state section: booting a machine flushes it instead. */
static struct {
	struct tlb_slot slot[TLB_SLOTS];
} tlb;

static unsigned long leaf_size(int level)
{
	return 1ul << (12 + 9 * level);
}

bool sim_is_kernel_addr(unsigned long va)
{
	return (long)va < 0 || (va >= DIRECT_MAP_BASE && va < HOST_KERNEL_WINDOW_END);
}

/* --- the TLB ------------------------------------------------------------------- */

static struct tlb_slot *slot_for(unsigned long base, int level)
{
	u64 h = (base >> 12) * 0x9e3779b97f4a7c15ull + (u64)level;

	return &tlb.slot[(h >> 40) & (TLB_SLOTS - 1)];
}

static bool slot_live(const struct tlb_slot *s)
{
	return s->valid;
}

/* Drops an entry, and the host's mappings made through it. */
static void slot_drop(struct tlb_slot *s)
{
	if (s->mapped)
		host_unmap_range(s->e.va, leaf_size(s->level));
	s->valid = false;
	s->mapped = false;
}

static struct tlb_slot *tlb_lookup(unsigned long va)
{
	for (int level = 0; level < LEVELS - 1; level++) {
		unsigned long base = va & ~(leaf_size(level) - 1);
		struct tlb_slot *s = slot_for(base, level);

		if (slot_live(s) && s->level == level && s->e.va == base)
			return s;
	}
	return NULL;
}

static void sim_tlb_flush_page_locked(unsigned long va)
{
	struct tlb_slot *s;

	while ((s = tlb_lookup(va)))
		slot_drop(s);
}

static void sim_tlb_flush_all_locked(bool keep_global)
{
	for (unsigned i = 0; i < TLB_SLOTS; i++) {
		struct tlb_slot *s = &tlb.slot[i];

		if (s->valid && !(keep_global && s->e.global))
			slot_drop(s);
	}
}

/* --- the walk ------------------------------------------------------------------ */

struct walk {
	phys_addr_t pa;                 /* of the byte at va */
	int level;                      /* of the leaf */
	bool writable, exec, global;
};

static unsigned index_at(unsigned long va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

static bool is_canonical(unsigned long va)
{
	return (unsigned long)((long)(va << 16) >> 16) == va;
}

/* A PS bit where this CPU has no leaf of that size is a reserved-bit fault. */
static bool leaf_allowed(int level)
{
	u32 a, b, c, d;

	if (level == 1)
		return true;
	if (level != 2)
		return false;
	host_cpu_cpuid(0x80000001u, 0, &a, &b, &c, &d);
	return d & (1u << 26);
}

/* The walk of the CPU; `set_ad`: also set the accessed/dirty bits. */
static int walk(unsigned long va, bool write, bool set_ad, struct walk *w)
{
	phys_addr_t table = host_cpu_root();

	if (!is_canonical(va))
		return -EFAULT;
	w->writable = true;
	w->exec = true;
	for (int level = LEVELS - 1; level >= 0; level--) {
		u64 *entry = host_phys_ptr(table + 8 * index_at(va, level), 8);
		u64 e;
		bool leaf;

		if (!entry)
			return -EFAULT;         /* a table outside RAM: the walk reads junk */
		e = __atomic_load_n(entry, __ATOMIC_RELAXED);
		if (!(e & X86_PTE_P))
			return -EFAULT;
		leaf = level == 0 || (e & X86_PTE_PS);
		if (leaf && level > 0 && !leaf_allowed(level))
			return -EFAULT;
		w->writable &= !!(e & X86_PTE_RW);
		w->exec &= !(e & X86_PTE_XD);
		if (set_ad)
			__atomic_or_fetch(entry, X86_PTE_A | (leaf && write ? X86_PTE_D : 0),
					  __ATOMIC_RELAXED);
		if (leaf) {
			u64 frame = e & X86_PTE_ADDR_MASK & ~(leaf_size(level) - 1);

			w->pa = frame + (va & (leaf_size(level) - 1));
			w->level = level;
			w->global = (e & X86_PTE_G) && host_cpu_pge();
			return 0;
		}
		table = e & X86_PTE_ADDR_MASK;
	}
	return -EFAULT;
}

static int sim_leaf_entry_locked(unsigned long va, u64 *entry)
{
	phys_addr_t table = host_cpu_root();

	for (int level = LEVELS - 1; level >= 0; level--) {
		u64 *e = host_phys_ptr(table + 8 * index_at(va, level), 8);

		if (!e || !(*e & X86_PTE_P))
			return -EFAULT;
		if (level == 0 || (*e & X86_PTE_PS)) {
			*entry = *e;
			return 0;
		}
		table = *e & X86_PTE_ADDR_MASK;
	}
	return -EFAULT;
}

static int sim_walk_locked(unsigned long va, phys_addr_t *pa, bool *writable, bool *exec)
{
	struct walk w;
	int err = walk(va, false, false, &w);

	if (err)
		return err;
	*pa = w.pa;
	*writable = w.writable;
	*exec = w.exec;
	return 0;
}

static bool allowed(const struct sim_tlb_entry *e, enum sim_access access)
{
	return access == SIM_READ || (access == SIM_WRITE && e->writable) ||
	       (access == SIM_FETCH && e->exec);
}

/*
 * The TLB entry for an access to `va` (filled on a miss), or NULL for a
 * fault. The first write through an entry walks again to set the dirty
 * bit, as the CPU does, and faults if the leaf is gone meanwhile.
 */
static struct tlb_slot *translate(unsigned long va, enum sim_access access)
{
	struct tlb_slot *s = tlb_lookup(va);
	struct walk w;

	if (s && access == SIM_WRITE && s->e.writable && !s->dirty) {
		if (walk(va, true, true, &w)) {
			slot_drop(s);
			return NULL;
		}
		s->dirty = true;
	}
	if (!s) {
		if (walk(va, access == SIM_WRITE, true, &w))
			return NULL;
		s = slot_for(va & ~(leaf_size(w.level) - 1), w.level);
		if (s->valid)
			slot_drop(s);           /* evicted */
		*s = (struct tlb_slot){
			.e = { .va = va & ~(leaf_size(w.level) - 1),
			       .pa = w.pa & ~(leaf_size(w.level) - 1),
			       .writable = w.writable, .exec = w.exec, .global = w.global },
			.level = w.level, .valid = true, .dirty = access == SIM_WRITE,
		};
	}
	if (!allowed(&s->e, access)) {
		slot_drop(s);                   /* a fault drops the translation */
		return NULL;
	}
	return s;
}

static int sim_translate_locked(unsigned long va, enum sim_access access, phys_addr_t *pa)
{
	struct tlb_slot *s = translate(va, access);

	if (!s)
		return -EFAULT;
	*pa = s->e.pa + (va - s->e.va);
	return 0;
}

static int sim_tlb_map_for_host_locked(unsigned long va, enum sim_access access, struct sim_tlb_entry *e)
{
	struct tlb_slot *s = translate(va, access);

	if (!s)
		return -EFAULT;
	s->mapped = true;
	*e = s->e;
	return 0;
}

/* --- copies ------------------------------------------------------------------ */

/*
 * Moves up to the end of the page at `va` between `buf` and simulated
 * memory. A frame outside RAM behaves like an unassigned bus address:
 * reads give all ones, writes vanish.
 */
static int copy_page_part(unsigned long va, void *buf, size_t len, enum sim_access access)
{
	phys_addr_t pa;
	void *p;

	if (sim_translate_locked(va, access, &pa))
		return -EFAULT;
	p = host_phys_ptr(pa, len);
	if (access == SIM_WRITE) {
		if (p)
			memcpy(p, buf, len);
	} else {
		if (p)
			memcpy(buf, p, len);
		else
			memset(buf, 0xff, len);
	}
	return 0;
}

static int copy(unsigned long va, void *buf, size_t len, enum sim_access access)
{
	while (len) {
		size_t part = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));

		if (copy_page_part(va, buf, part, access))
			return -EFAULT;
		va += part;
		buf = (char *)buf + part;
		len -= part;
	}
	return 0;
}

static int sim_read_locked(void *dst, unsigned long va, size_t len)
{
	return copy(va, dst, len, SIM_READ);
}

static int sim_write_locked(unsigned long va, const void *src, size_t len)
{
	return copy(va, (void *)src, len, SIM_WRITE);
}

/* --- stale entries --------------------------------------------------------------- */

static bool is_stale(const struct sim_tlb_entry *e)
{
	phys_addr_t pa;
	bool writable, exec;

	if (sim_walk_locked(e->va, &pa, &writable, &exec))
		return true;
	return pa != e->pa || (e->writable && !writable) || (e->exec && !exec);
}

static unsigned long sim_tlb_for_each_stale_locked(sim_tlb_fn fn, void *ctx)
{
	unsigned long n = 0;

	for (unsigned i = 0; i < TLB_SLOTS; i++) {
		const struct tlb_slot *s = &tlb.slot[i];

		if (!slot_live(s) || !is_stale(&s->e))
			continue;
		n++;
		if (fn)
			fn(&s->e, ctx);
	}
	return n;
}

/* --- the public entry points, one at a time (sim_lock) ---------------------------- */

void sim_tlb_flush_page(unsigned long va)
{
	sim_lock();
	sim_tlb_flush_page_locked(va);
	sim_unlock();
}

void sim_tlb_flush_all(bool keep_global)
{
	sim_lock();
	sim_tlb_flush_all_locked(keep_global);
	sim_unlock();
}

int sim_leaf_entry(unsigned long va, u64 *entry)
{
	int ret;

	sim_lock();
	ret = sim_leaf_entry_locked(va, entry);
	sim_unlock();
	return ret;
}

int sim_walk(unsigned long va, phys_addr_t *pa, bool *writable, bool *exec)
{
	int ret;

	sim_lock();
	ret = sim_walk_locked(va, pa, writable, exec);
	sim_unlock();
	return ret;
}

int sim_translate(unsigned long va, enum sim_access access, phys_addr_t *pa)
{
	int ret;

	sim_lock();
	ret = sim_translate_locked(va, access, pa);
	sim_unlock();
	return ret;
}

int sim_tlb_map_for_host(unsigned long va, enum sim_access access, struct sim_tlb_entry *e)
{
	int ret;

	sim_lock();
	ret = sim_tlb_map_for_host_locked(va, access, e);
	sim_unlock();
	return ret;
}

int sim_read(void *dst, unsigned long va, size_t len)
{
	int ret;

	sim_lock();
	ret = sim_read_locked(dst, va, len);
	sim_unlock();
	return ret;
}

int sim_write(unsigned long va, const void *src, size_t len)
{
	int ret;

	sim_lock();
	ret = sim_write_locked(va, src, len);
	sim_unlock();
	return ret;
}

unsigned long sim_tlb_for_each_stale(sim_tlb_fn fn, void *ctx)
{
	unsigned long ret;

	sim_lock();
	ret = sim_tlb_for_each_stale_locked(fn, ctx);
	sim_unlock();
	return ret;
}
