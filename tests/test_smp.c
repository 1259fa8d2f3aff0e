/*
 * Several CPUs (docs/smp.md): every CPU answers on its own stack and
 * per-CPU area, and the TLB shootdown is proven by what another CPU sees.
 * QEMU's TCG keeps a TLB per virtual CPU and INVLPG is local, so a missing
 * shootdown shows: CPU 1 reads through a mapping (its TLB now holds it),
 * CPU 0 unmaps or write-protects it; CPU 1's next access must fault. A boot
 * with `smp_skip_shootdown` (debug builds) must fail these cases: make
 * test runs it as a demo and expects the failures (scripts/check-demo.py).
 * Every case is skipped on one CPU. The spinlock suite checks that misuse
 * of a lock is caught (recursion on any build, unlock by another CPU).
 */
#include "tests/ktest.h"
#include "tests/ktest_smp.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/percpu.h"
#include "kernel/errno.h"
#include "kernel/irq_off_wait.h"
#include "kernel/irqflags.h"
#include "kernel/lock_order.h"
#include "kernel/probe.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "mm/arch_mmu.h"
#include "mm/fault_inject.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define MAGIC 0x5a5a1234c0ffee00ull
#define OTHER_CPU 1

static int smp_case_init(struct ktest *t)
{
	if (smp_num_online() < 2)
		ktest_skip(t, "one CPU online (boot with --smp 2 or more)");
	return 0;
}

/* --- every CPU answers ------------------------------------------------------ */

static volatile unsigned long seen[SMP_MAX_CPUS];

static void record_cpu(struct ktest *t, void *arg)
{
	unsigned cpu = smp_processor_id();
	struct percpu *p = this_cpu();
	unsigned long sp = (unsigned long)&cpu;

	(void)arg;
	EXPECT_EQ(t, (unsigned long)p, (unsigned long)per_cpu(cpu));
	if (cpu != 0)   /* on its own vmalloc stack */
		EXPECT_TRUE(t, sp < p->stack_top && sp >= p->stack_top - 4 * PAGE_SIZE);
	__atomic_fetch_add(&seen[cpu], 1, __ATOMIC_RELAXED);
}

static void every_cpu_runs_on_its_own_stack_and_area(struct ktest *t)
{
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		seen[c] = 0;
	EXPECT_EQ(t, ktest_on_each_cpu(t, record_cpu, NULL), 0);
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		EXPECT_EQ(t, seen[c], smp_cpu_online(c) ? 1 : 0);
	ktest_log(t, "%u CPUs online", smp_num_online());
}

static void ap_stacks_have_a_guard_page_below(struct ktest *t)
{
	struct pgtable_entry e;

	for (unsigned c = 1; c < SMP_MAX_CPUS; c++) {
		unsigned long top = per_cpu(c)->stack_top;

		if (!smp_cpu_online(c))
			continue;
		EXPECT_EQ(t, pgtable_query(&kernel_pgtable, top - PAGE_SIZE, &e), 0);
		EXPECT_EQ(t, pgtable_query(&kernel_pgtable, top - 5 * PAGE_SIZE, &e), -ENOENT);
	}
}

/* --- what the other CPU sees ------------------------------------------------- */

struct access {
	unsigned long addr;
	bool write;
	u64 val;
	int rc;
};

static void access_on_this_cpu(struct ktest *t, void *arg)
{
	struct access *a = arg;

	(void)t;
	a->rc = a->write ? probe_write_u64(a->addr, a->val) : probe_read_u64(a->addr, &a->val);
}

/* The result of a read (or write of `val`) at `addr` on the other CPU. */
static int other_cpu_access(struct ktest *t, const void *addr, bool write, u64 *val)
{
	struct access a = { .addr = (unsigned long)addr, .write = write, .val = *val, .rc = 1 };

	ktest_run_on_cpu(t, OTHER_CPU, access_on_this_cpu, &a);
	*val = a.val;
	return a.rc;
}

/* The other CPU reads MAGIC through `p`, so its TLB holds the translation. */
static void warm_other_tlb(struct ktest *t, const void *p)
{
	u64 v = 0;

	ASSERT_EQ(t, other_cpu_access(t, p, false, &v), 0);
	ASSERT_EQ(t, v, MAGIC);
}

static void expect_other_read_faults(struct ktest *t, const void *p)
{
	u64 v = 0;

	EXPECT_NE(t, other_cpu_access(t, p, false, &v), 0);
}

/* Each shootdown reaches each other online CPU by an IPI or, if it is idle, a note. */
static unsigned long ipis_and_notes(void)
{
	return smp_shootdown_ipi_count() + smp_shootdown_deferred_count();
}

/* Waits (up to a second each) until every other online CPU is back in its idle loop. */
static bool others_idle(void)
{
	for (unsigned c = 1; c < SMP_MAX_CPUS; c++)
		if (smp_cpu_online(c) && !smp_wait_cpu_idle(c, true, 1000))
			return false;
	return true;
}

static void vunmap_then_purge_faults_on_the_other_cpu(struct ktest *t)
{
	struct page *page = alloc_page(0);
	u64 *p;

	ASSERT_NOT_NULL(t, page);
	p = vmap(&page, 1, VM_MAP, PROT_KERNEL_RW);
	ASSERT_NOT_NULL(t, p);
	*p = MAGIC;
	warm_other_tlb(t, p);
	vunmap(p);
	vm_unmap_aliases();
	expect_other_read_faults(t, p);
	free_page(page);
}

static void vfree_then_purge_faults_on_the_other_cpu(struct ktest *t)
{
	u64 *p = vmalloc(PAGE_SIZE);

	ASSERT_NOT_NULL(t, p);
	*p = MAGIC;
	warm_other_tlb(t, p);
	vfree(p);
	vm_unmap_aliases();
	expect_other_read_faults(t, p);
}

/* Maps `page` at the start of sparse `area`, writes it and puts it in CPU 1's TLB. */
static unsigned long map_and_warm_other_tlb(struct ktest *t, struct vm_struct *area,
					    struct page *page)
{
	unsigned long va;

	ASSERT_NOT_NULL(t, area);
	ASSERT_NOT_NULL(t, page);
	va = (unsigned long)area->addr;
	ASSERT_EQ(t, vm_area_map_pages(area, va, va + PAGE_SIZE, &page), 0);
	*(u64 *)va = MAGIC;
	warm_other_tlb(t, (void *)va);
	return va;
}

static void vm_area_unmap_pages_faults_on_the_other_cpu(struct ktest *t)
{
	struct vm_struct *area = get_vm_area(2 * PAGE_SIZE, VM_SPARSE);
	struct page *page = alloc_page(0);
	unsigned long va = map_and_warm_other_tlb(t, area, page);

	vm_area_unmap_pages(area, va, va + PAGE_SIZE);
	expect_other_read_faults(t, (void *)va);
	free_vm_area(area);
	free_page(page);
}

static void free_vm_area_of_a_sparse_area_faults_on_the_other_cpu(struct ktest *t)
{
	struct vm_struct *area = get_vm_area(2 * PAGE_SIZE, VM_SPARSE);
	struct page *page = alloc_page(0);
	unsigned long va = map_and_warm_other_tlb(t, area, page);
	struct ktest_capture cap;
	char buf[256];

	/* Freed with a page still mapped: one warning (asked for), flushed at once. */
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	free_vm_area(area);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	expect_other_read_faults(t, (void *)va);
	free_page(page);
}

static void protect_read_only_stops_writes_on_the_other_cpu(struct ktest *t)
{
	u64 *p = vmalloc(PAGE_SIZE);
	u64 v = MAGIC;

	ASSERT_NOT_NULL(t, p);
	ASSERT_EQ(t, other_cpu_access(t, p, true, &v), 0);     /* writable, in its TLB */
	EXPECT_EQ(t, *p, MAGIC);
	ASSERT_EQ(t, pgtable_protect(&kernel_pgtable, (unsigned long)p, PAGE_SIZE,
				     PROT_KERNEL_RO), 0);
	v = ~MAGIC;
	EXPECT_NE(t, other_cpu_access(t, p, true, &v), 0);
	EXPECT_EQ(t, *p, MAGIC);
	EXPECT_EQ(t, other_cpu_access(t, p, false, &v), 0);     /* still readable */
	EXPECT_EQ(t, pgtable_protect(&kernel_pgtable, (unsigned long)p, PAGE_SIZE,
				     PROT_KERNEL_RW), 0);
	vfree(p);
}

/* --- the per-CPU vmap pools ------------------------------------------------------ */

/* vfree(p) with this CPU's lazy limit at 0: its purge runs at once and pools the range. */
static void vfree_into_this_cpus_pool(void *p)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long saved = s->lazy_max;

	s->lazy_max = 0;
	vfree(p);
	s->lazy_max = saved;
}

/*
 * A range goes to its CPU's pool only after the purge's shootdown: both
 * CPUs cache p's translation, p is freed and purged into CPU 0's pool
 * (its old frame is then held and marked), the pool hands the same range
 * out again with a new frame, and a write through it on CPU 1 and a read
 * on CPU 0 must both reach the new frame, the old one left as marked.
 */
static void a_pooled_range_was_flushed_on_every_cpu(struct ktest *t)
{
	struct page *old, *now;
	u64 *p, *q, v = 0;

	vm_unmap_aliases();
	ASSERT_NOT_NULL(t, p = vmalloc(PAGE_SIZE));
	*p = MAGIC;
	if (other_cpu_access(t, p, false, &v) || v != MAGIC) {
		KTEST_FAIL(t, "CPU %u read 0x%llx at a new mapping (a stale TLB entry?)", OTHER_CPU,
			   (unsigned long long)v);
		vfree(p);
		vm_unmap_aliases();
		return;
	}
	v = MAGIC + 1;
	vfree_into_this_cpus_pool(p);
	old = alloc_page(0);                    /* most likely p's frame: keep it out of q */
	ASSERT_NOT_NULL(t, old);
	*(u64 *)page_address(old) = MAGIC;
	q = vmalloc(PAGE_SIZE);
	EXPECT_PTR_EQ(t, q, p);
	if (q) {
		now = vmalloc_to_page(q);
		EXPECT_EQ(t, other_cpu_access(t, q, true, &v), 0);
		EXPECT_EQ(t, *(u64 *)page_address(now), MAGIC + 1);
		EXPECT_EQ(t, *q, MAGIC + 1);
		EXPECT_EQ(t, *(u64 *)page_address(old), MAGIC);
		vfree(q);
	}
	free_page(old);
	vm_unmap_aliases();
}

struct pool_probe {
	void *addr;
	bool free_at_once;                      /* vfree it and purge into this CPU's pool */
};

static void vmalloc_on_this_cpu(struct ktest *t, void *arg)
{
	struct pool_probe *pp = arg;

	(void)t;
	pp->addr = vmalloc(PAGE_SIZE);
	if (pp->addr && pp->free_at_once)
		vfree_into_this_cpus_pool(pp->addr);
}

/* A range in CPU 1's pool is CPU 1's: CPU 0 does not get it, CPU 1 does. */
static void a_pool_serves_only_its_own_cpu(struct ktest *t)
{
	struct pool_probe first = { .free_at_once = true }, again = { 0 };
	void *here;

	vm_unmap_aliases();
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, vmalloc_on_this_cpu, &first), 0);
	ASSERT_NOT_NULL(t, first.addr);
	here = vmalloc(PAGE_SIZE);
	EXPECT_TRUE(t, here && here != first.addr);
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, vmalloc_on_this_cpu, &again), 0);
	EXPECT_PTR_EQ(t, again.addr, first.addr);
	vfree(here);
	vfree(again.addr);
	vm_unmap_aliases();
}

/* What a pool miss on this CPU should get, and what vmalloc gave. */
struct home_probe {
	unsigned long want;
	void *got;
};

/* 3 pages (4 with the guard page): a pooled size the pools, just purged, miss. */
static void vmalloc_from_home_region(struct ktest *t, void *arg)
{
	struct home_probe *h = arg;
	unsigned long home = vmap_home_start(&kernel_vmap_space, smp_processor_id());

	(void)t;
	h->want = vmap_lowest_fit(&kernel_vmap_space, 4 * PAGE_SIZE, PAGE_SIZE, home, VMALLOC_END);
	h->got = vmalloc(3 * PAGE_SIZE);
}

/*
 * A pool miss on CPU 1 gets the lowest fit at or above the start of CPU
 * 1's home region; the same request on CPU 0 gets the lowest fit of the
 * whole space, as every request there does.
 */
static void a_pool_miss_gets_the_lowest_fit_of_its_home_region(struct ktest *t)
{
	struct home_probe there = { 0 }, here = { 0 };

	vm_unmap_aliases();
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, vmalloc_from_home_region, &there), 0);
	vmalloc_from_home_region(t, &here);
	EXPECT_GE(t, there.want, vmap_home_start(&kernel_vmap_space, OTHER_CPU));
	EXPECT_PTR_EQ(t, there.got, (void *)there.want);
	EXPECT_EQ(t, vmap_home_start(&kernel_vmap_space, 0), VMALLOC_START);
	EXPECT_PTR_EQ(t, here.got, (void *)here.want);
	vfree(there.got);
	vfree(here.got);
	vm_unmap_aliases();
}

#define HOME_SPACE_BASE 0xffff900000000000ul    /* never mapped: a private space's range */
#define HOME_SPACE_PAGES 32                     /* home regions of 8 pages */

/* Takes 4-page ranges on this CPU until none is left, recording where each began. */
static void fill_space_here(struct ktest *t, void *arg)
{
	struct vmap_space *s = arg;
	struct vmap_area *va;
	unsigned n = 0;

	while ((va = alloc_vmap_area(s, 4 * PAGE_SIZE, PAGE_SIZE, s->start, s->end)) &&
	       n < HOME_SPACE_PAGES / 4) {
		EXPECT_EQ(t, va->va_start, s->start + ((8 + 4ul * n) % HOME_SPACE_PAGES) * PAGE_SIZE);
		n++;
	}
	EXPECT_NULL(t, va);
	EXPECT_EQ(t, n, HOME_SPACE_PAGES / 4);
}

/*
 * On CPU 1 a pool miss takes the lowest fits at or above its home region
 * (pages 8, 12 ... 28 of a 32-page space), then, with nothing left there,
 * the lowest fit anywhere (pages 0, 4): the home region is where CPU 1
 * looks first, not a limit.
 */
static void a_full_home_region_falls_back_to_the_lowest_fit_anywhere(struct ktest *t)
{
	struct vmap_space s;

	ASSERT_EQ(t, vmap_space_init(&s, "home", HOME_SPACE_BASE,
				     HOME_SPACE_BASE + HOME_SPACE_PAGES * PAGE_SIZE, false), 0);
	s.pool_max = 16 * PAGE_SIZE;
	EXPECT_EQ(t, vmap_home_start(&s, OTHER_CPU), HOME_SPACE_BASE + 8 * PAGE_SIZE);
	EXPECT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, fill_space_here, &s), 0);
	EXPECT_EQ(t, vmap_check(&s), 0);
	vmap_space_destroy(&s);
}

static void vmalloc_and_vfree_here(struct ktest *t, void *arg)
{
	void *p = vmalloc(PAGE_SIZE);

	(void)arg;
	EXPECT_NOT_NULL(t, p);
	vfree(p);
}

/* Lazy ranges on two CPUs' lists: a purge of everything flushes them with one shootdown. */
static void a_purge_of_every_cpus_list_is_one_shootdown(struct ktest *t)
{
	unsigned long before, ipis;
	struct vmap_stats st;

	vm_unmap_aliases();
	vmalloc_and_vfree_here(t, NULL);
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, vmalloc_and_vfree_here, NULL), 0);
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_EQ(t, st.nr_lazy, 2);
	before = smp_shootdown_count();
	ipis = ipis_and_notes();
	vm_unmap_aliases();
	EXPECT_EQ(t, smp_shootdown_count() - before, 1);
	EXPECT_EQ(t, ipis_and_notes() - ipis, smp_num_online() - 1);
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_EQ(t, st.nr_lazy + st.nr_pooled, 0);
}

static void vfree_here(struct ktest *t, void *p)
{
	(void)t;
	vfree(p);
}

/*
 * A CPU's purge takes the other CPU's lazy list along: CPU 1 frees p (onto
 * its list), then CPU 0 frees q and purges at once. The one shootdown
 * covers both lists, so nothing stays lazy; each range went to the pool of
 * the CPU that freed it, so each CPU's next vmalloc gets its own back.
 */
static void a_purge_takes_the_other_cpus_lazy_list_along(struct ktest *t)
{
	struct pool_probe again = { 0 };
	unsigned long before;
	struct vmap_stats st;
	void *p, *q, *here;

	vm_unmap_aliases();
	ASSERT_NOT_NULL(t, p = vmalloc(PAGE_SIZE));
	ASSERT_NOT_NULL(t, q = vmalloc(PAGE_SIZE));
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, vfree_here, p), 0);
	before = smp_shootdown_count();
	vfree_into_this_cpus_pool(q);
	EXPECT_EQ(t, smp_shootdown_count() - before, 1);
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_EQ(t, st.nr_lazy, 0);
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, vmalloc_on_this_cpu, &again), 0);
	EXPECT_PTR_EQ(t, again.addr, p);
	here = vmalloc(PAGE_SIZE);
	EXPECT_PTR_EQ(t, here, q);
	vfree(again.addr);
	vfree(here);
	vm_unmap_aliases();
}

/*
 * A CPU that only frees while the other purges: CPU 1 frees one 8 KiB range
 * a round, CPU 0 frees a 16 KiB one past the 12 KiB lazy limit, purges and
 * hands CPU 1's list back flushed. CPU 1 never allocates, so only its frees
 * can settle what came back: its flushed list must stay within the limit
 * plus the one list handed back since (24 KiB); left for its next
 * allocation, it grew by 8 KiB a round. Nothing is lost on the way.
 */
static void lists_handed_back_to_a_cpu_that_only_frees_stay_within_lazy_max(struct ktest *t)
{
	struct vmap_space *s = &kernel_vmap_space;
	const struct vmap_cpu *other = &s->cpu[OTHER_CPU];
	unsigned long saved = s->lazy_max;
	void *p[6], *q[6];

	vm_unmap_aliases();
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = vmalloc(PAGE_SIZE);
		q[i] = vmalloc(3 * PAGE_SIZE);
		ASSERT_TRUE(t, p[i] && q[i]);
	}
	s->lazy_max = 12 * 1024;
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
		unsigned long lazy, flushed_bytes;

		if (ktest_run_on_cpu(t, OTHER_CPU, vfree_here, p[i])) {
			KTEST_FAIL(t, "CPU %u did not run its vfree", OTHER_CPU);
			vfree(p[i]);                            /* not leaked */
		}
		vfree(q[i]);
		lazy = READ_ONCE(other->nr_lazy);
		flushed_bytes = READ_ONCE(other->flushed_bytes);
		EXPECT_EQ(t, lazy, 0);                          /* taken along */
		EXPECT_LE(t, flushed_bytes, 2 * s->lazy_max);
	}
	s->lazy_max = saved;
	EXPECT_EQ(t, vmap_check(s), 0);
	vm_unmap_aliases();
}

/* --- the protocol --------------------------------------------------------------- */

/*
 * CPU 1 holds p's translation and is idle when CPU 0 frees p and purges:
 * the shootdown sends no IPI to an idle CPU, it leaves each a note, and
 * nothing waits for them. CPU 1 flushes its whole TLB when it wakes for
 * its next call, before the call runs: its read of p faults.
 */
static void an_idle_cpu_gets_a_note_and_flushes_when_it_wakes(struct ktest *t)
{
	unsigned long before, ipis, notes;
	u64 *p = vmalloc(PAGE_SIZE);

	ASSERT_NOT_NULL(t, p);
	*p = MAGIC;
	vm_unmap_aliases();
	warm_other_tlb(t, p);
	ASSERT_TRUE(t, others_idle());
	before = smp_shootdown_count();
	ipis = smp_shootdown_ipi_count();
	notes = smp_shootdown_deferred_count();
	vfree(p);
	vm_unmap_aliases();
	EXPECT_EQ(t, smp_shootdown_count() - before, 1);
	EXPECT_EQ(t, smp_shootdown_ipi_count() - ipis, 0);
	EXPECT_EQ(t, smp_shootdown_deferred_count() - notes, smp_num_online() - 1);
	expect_other_read_faults(t, p);
}

struct busy_readers {
	u64 *p;
	volatile unsigned warmed;       /* other CPUs holding p's translation */
	volatile bool freed;            /* CPU 0 has freed p and purged */
	unsigned long shootdowns, ipis, notes;  /* CPU 0's purge sent these */
	int rc[SMP_MAX_CPUS];           /* each other CPU's read of p after the purge */
};

/* CPU 0 frees p and purges once every other CPU holds p's translation. */
static void free_when_all_warmed(struct busy_readers *b)
{
	unsigned long before, ipis, notes;

	while (__atomic_load_n(&b->warmed, __ATOMIC_ACQUIRE) < smp_num_online() - 1)
		cpu_relax();
	before = smp_shootdown_count();
	ipis = smp_shootdown_ipi_count();
	notes = smp_shootdown_deferred_count();
	vfree(b->p);
	vm_unmap_aliases();
	b->shootdowns = smp_shootdown_count() - before;
	b->ipis = smp_shootdown_ipi_count() - ipis;
	b->notes = smp_shootdown_deferred_count() - notes;
	__atomic_store_n(&b->freed, true, __ATOMIC_RELEASE);
}

/* Every other CPU: reads p, then spins (interrupts on) until p is gone and reads again. */
static void read_spin_read(struct ktest *t, void *arg)
{
	struct busy_readers *b = arg;
	unsigned me = smp_processor_id();
	u64 v = 0;

	if (me == 0) {
		free_when_all_warmed(b);
		return;
	}
	EXPECT_EQ(t, probe_read_u64((unsigned long)b->p, &v), 0);
	EXPECT_EQ(t, v, MAGIC);
	__atomic_fetch_add(&b->warmed, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&b->freed, __ATOMIC_ACQUIRE))
		cpu_relax();
	b->rc[me] = probe_read_u64((unsigned long)b->p, &v);
}

/*
 * The other CPUs are running (each spins in a call, holding p's
 * translation) when CPU 0 frees p and purges: each gets an IPI and no
 * note, and each one's next read of p faults before its call ends.
 */
static void a_running_cpu_gets_an_ipi_and_flushes_at_once(struct ktest *t)
{
	static struct busy_readers b;
	unsigned n = smp_num_online();

	b = (struct busy_readers){ .p = vmalloc(PAGE_SIZE) };
	ASSERT_NOT_NULL(t, b.p);
	*b.p = MAGIC;
	vm_unmap_aliases();
	ASSERT_EQ(t, ktest_on_each_cpu(t, read_spin_read, &b), 0);
	EXPECT_EQ(t, b.shootdowns, 1);
	EXPECT_EQ(t, b.ipis, n - 1);
	EXPECT_EQ(t, b.notes, 0);
	for (unsigned c = 1; c < SMP_MAX_CPUS; c++)
		if (smp_cpu_online(c) && !b.rc[c])
			KTEST_FAIL(t, "CPU %u still read through p after the purge", c);
}

static void lazy_purge_is_one_shootdown_per_batch(struct ktest *t)
{
	void *p[16];
	unsigned long before, ipis;

	vm_unmap_aliases();
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
		ASSERT_NOT_NULL(t, p[i] = vmalloc(PAGE_SIZE));
	before = smp_shootdown_count();
	ipis = ipis_and_notes();
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
		vfree(p[i]);
	EXPECT_EQ(t, smp_shootdown_count() - before, 0);
	vm_unmap_aliases();
	EXPECT_EQ(t, smp_shootdown_count() - before, 1);
	EXPECT_EQ(t, ipis_and_notes() - ipis, smp_num_online() - 1);
	ktest_log(t, "16 vfree + purge: %lu shootdown, %lu IPIs or notes to idle CPUs",
		  smp_shootdown_count() - before, ipis_and_notes() - ipis);
}

#define FLUSHES_PER_CPU 200

static volatile unsigned flush_arrived;

/* Every CPU flushes at once with interrupts off: only serving while waiting lets them all finish. */
static void flush_with_interrupts_off(struct ktest *t, void *arg)
{
	unsigned long va = (unsigned long)arg;
	unsigned long flags = irq_save();

	(void)t;
	__atomic_fetch_add(&flush_arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&flush_arrived, __ATOMIC_ACQUIRE) < smp_num_online())
		cpu_relax();
	for (unsigned i = 0; i < FLUSHES_PER_CPU; i++)
		arch_flush_tlb_kernel_page(va);
	irq_restore(flags);
}

static void cpus_flushing_at_the_same_time_do_not_deadlock(struct ktest *t)
{
	unsigned long before = smp_shootdown_count(), ipis = ipis_and_notes();
	unsigned n = smp_num_online();
	u64 *p = vmalloc(PAGE_SIZE);

	ASSERT_NOT_NULL(t, p);
	flush_arrived = 0;
	EXPECT_EQ(t, ktest_on_each_cpu(t, flush_with_interrupts_off, p), 0);
	EXPECT_EQ(t, smp_num_online(), n);      /* nobody timed out */
	EXPECT_EQ(t, smp_shootdown_count() - before, (unsigned long)n * FLUSHES_PER_CPU);
	EXPECT_EQ(t, ipis_and_notes() - ipis, (unsigned long)n * FLUSHES_PER_CPU * (n - 1));
	ktest_log(t, "%u CPUs x %u flushes: %lu shootdowns, %lu IPIs or notes to idle CPUs", n,
		  FLUSHES_PER_CPU, smp_shootdown_count() - before, ipis_and_notes() - ipis);
	vfree(p);
}

static void fault_on_the_other_cpu_names_it(struct ktest *t, void *arg)
{
	volatile u64 *guard = (volatile u64 *)(this_cpu()->stack_top - 5 * PAGE_SIZE);

	(void)arg;
	*guard = 0;     /* the guard page below this CPU's stack: unmapped */
}

static void a_fault_on_another_cpu_is_reported_with_its_number(struct ktest *t)
{
	struct ktest_capture cap;
	struct ktest scratch = *t;
	static char buf[KTEST_REPORT_MAX];

	/* The part's failure goes to a scratch copy: this case checks the report. */
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_EQ(t, ktest_run_on_cpu(&scratch, OTHER_CPU, fault_on_the_other_cpu_names_it,
				      NULL), -EFAULT);
	ktest_capture_stop(&cap);
	EXPECT_TRUE(t, ktest_contains(buf, "CPU: 1"));
	EXPECT_TRUE(t, ktest_contains(buf, "RIP: 0008:fault_on_the_other_cpu_names_it+"));
	EXPECT_TRUE(t, ktest_contains(buf, "Call Trace:"));
	EXPECT_TRUE(t, ktest_contains(buf, "CPU 1: faulted"));
	EXPECT_TRUE(t, smp_cpu_online(OTHER_CPU));
}

/* --- each CPU's watchdog -------------------------------------------------------- */

#define PART_DEADLINE_MS 300

static void spin_with_interrupts_on(struct ktest *t, void *arg)
{
	(void)t, (void)arg;
	for (;;)
		cpu_relax();
}

static void say_where_i_run(struct ktest *t, void *arg)
{
	(void)t;
	*(unsigned *)arg = smp_processor_id();
}

/*
 * CPU 1 spins forever with interrupts on: its own watchdog (its local
 * APIC timer) stops the part at its deadline, the failure names the CPU
 * and the report says where it was; CPU 1 stays online and runs the next
 * part.
 */
static void a_hang_on_another_cpu_is_stopped_by_its_watchdog(struct ktest *t)
{
	struct ktest scratch = *t;
	struct ktest_capture cap;
	static char buf[KTEST_REPORT_MAX];
	unsigned where = ~0u;

	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_EQ(t, ktest_run_on_cpu_for(&scratch, OTHER_CPU, PART_DEADLINE_MS,
					  spin_with_interrupts_on, NULL), -ETIMEDOUT);
	ktest_capture_stop(&cap);
	EXPECT_TRUE(t, ktest_contains(buf, "CPU 1: smp.a_hang_on_another_cpu_is_stopped_by_its_"
				      "watchdog: still running at the deadline: stopped by its "
				      "watchdog"));
	EXPECT_TRUE(t, ktest_contains(buf, "RIP: spin_with_interrupts_on+"));
	EXPECT_TRUE(t, ktest_contains(buf, "Call Trace:"));
	EXPECT_TRUE(t, ktest_contains(buf, "CPU 1: still running at the deadline: stopped by "
				      "its watchdog"));
	EXPECT_TRUE(t, smp_cpu_online(OTHER_CPU));
	EXPECT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, say_where_i_run, &where), 0);
	EXPECT_EQ(t, where, OTHER_CPU);
}

/* --- fault injection is per CPU ------------------------------------------------ */

static void alloc_succeeds_here(struct ktest *t, void *arg)
{
	struct page *page = alloc_page(0);

	EXPECT_NOT_NULL(t, page);
	EXPECT_FALSE(t, fault_inject_in_scope());
	free_page(page);
}

/*
 * A scope opened on CPU 0 fails CPU 0's allocations only: CPU 1, allocating
 * at the same time, is not the test's subject and must not fail.
 */
static void fault_injection_scope_is_per_cpu(struct ktest *t)
{
	struct fault_attr every = { .mode = FAULT_MODE_EVERY, .n = 1 };
	struct fault_stats st;

	ASSERT_EQ(t, fault_inject_set(FAULT_PAGE_ALLOC, &every), 0);
	fault_inject_begin();
	EXPECT_NULL(t, alloc_page(0));
	EXPECT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, alloc_succeeds_here, NULL), 0);
	EXPECT_NULL(t, alloc_page(0));
	fault_inject_end();
	fault_inject_get_stats(FAULT_PAGE_ALLOC, &st);
	EXPECT_EQ(t, st.injected, 2);
	fault_inject_clear(FAULT_PAGE_ALLOC);
}

static const struct ktest_case smp_cases[] = {
	KTEST_CASE(every_cpu_runs_on_its_own_stack_and_area),
	KTEST_CASE(ap_stacks_have_a_guard_page_below),
	KTEST_CASE(vunmap_then_purge_faults_on_the_other_cpu),
	KTEST_CASE(vfree_then_purge_faults_on_the_other_cpu),
	KTEST_CASE(vm_area_unmap_pages_faults_on_the_other_cpu),
	KTEST_CASE(free_vm_area_of_a_sparse_area_faults_on_the_other_cpu),
	KTEST_CASE(protect_read_only_stops_writes_on_the_other_cpu),
	KTEST_CASE(lazy_purge_is_one_shootdown_per_batch),
	KTEST_CASE(an_idle_cpu_gets_a_note_and_flushes_when_it_wakes),
	KTEST_CASE(a_running_cpu_gets_an_ipi_and_flushes_at_once),
	KTEST_CASE(a_pooled_range_was_flushed_on_every_cpu),
	KTEST_CASE(a_pool_serves_only_its_own_cpu),
	KTEST_CASE(a_pool_miss_gets_the_lowest_fit_of_its_home_region),
	KTEST_CASE(a_full_home_region_falls_back_to_the_lowest_fit_anywhere),
	KTEST_CASE(a_purge_of_every_cpus_list_is_one_shootdown),
	KTEST_CASE(a_purge_takes_the_other_cpus_lazy_list_along),
	KTEST_CASE(lists_handed_back_to_a_cpu_that_only_frees_stay_within_lazy_max),
	KTEST_CASE(cpus_flushing_at_the_same_time_do_not_deadlock),
	KTEST_CASE(a_fault_on_another_cpu_is_reported_with_its_number),
	KTEST_CASE(a_hang_on_another_cpu_is_stopped_by_its_watchdog),
	KTEST_CASE(fault_injection_scope_is_per_cpu),
	{}
};

static const struct ktest_suite smp_suite = {
	.name = "smp",
	.cases = smp_cases,
	.init = smp_case_init,
};
KTEST_SUITE_REGISTER(smp_suite);

/* --- spinlocks ------------------------------------------------------------------ */

static struct kjmp_buf lock_landing;
static const char *lock_failure;

static void catch_lock_failure(spinlock_t *lock, const char *why)
{
	(void)lock;
	lock_failure = why;
	klongjmp(&lock_landing, 1);
}

/* Runs fn(lock) with lock misuse caught; the reason, or NULL if none. */
static const char *lock_misuse(void (*fn)(spinlock_t *), spinlock_t *lock)
{
	lock_failure = NULL;
	spin_lock_fail_hook = catch_lock_failure;
	if (ksetjmp(&lock_landing) == 0)
		fn(lock);
	spin_lock_fail_hook = NULL;
	return lock_failure;
}

static void lock_it(spinlock_t *lock)
{
	spin_lock(lock);
}

static void unlock_it(spinlock_t *lock)
{
	spin_unlock(lock);
}

static void recursive_acquire_is_caught(struct ktest *t)
{
	spinlock_t lock = SPINLOCK_INIT("test");

	EXPECT_NULL(t, lock_misuse(lock_it, &lock));
	EXPECT_STREQ(t, lock_misuse(lock_it, &lock), "recursive acquire");
	EXPECT_NULL(t, lock_misuse(unlock_it, &lock));
	EXPECT_FALSE(t, spin_is_locked(&lock));
}

static void unlock_of_a_free_lock_is_caught(struct ktest *t)
{
	spinlock_t lock = SPINLOCK_INIT("test");

	EXPECT_STREQ(t, lock_misuse(unlock_it, &lock), "unlock of a free lock");
}

static void lock_on_this_cpu(struct ktest *t, void *arg)
{
	(void)t;
	spin_lock(arg);
}

static void unlock_on_this_cpu(struct ktest *t, void *arg)
{
	(void)t;
	spin_unlock(arg);
}

static void unlock_by_another_cpu_is_caught(struct ktest *t)
{
	static spinlock_t lock = SPINLOCK_INIT("test");

	if (smp_num_online() < 2)
		ktest_skip(t, "one CPU online (boot with --smp 2 or more)");
	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, lock_on_this_cpu, &lock), 0);
	EXPECT_STREQ(t, lock_misuse(unlock_it, &lock), "unlock by a CPU that does not hold it");
	EXPECT_TRUE(t, spin_is_locked(&lock));
	EXPECT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, unlock_on_this_cpu, &lock), 0);
	EXPECT_FALSE(t, spin_is_locked(&lock));
}

/*
 * The lock order (kernel/lock_order.h), debug builds: a pfa-order lock then
 * a vmap-order one is refused on the second acquire, naming both orders,
 * and nothing is left held; the right order passes.
 */
static void out_of_order_acquire_is_caught(struct ktest *t)
{
	spinlock_t outer = SPINLOCK_INIT_ORDERED("test-vmap", LOCK_ORDER_VMAP);
	spinlock_t inner = SPINLOCK_INIT_ORDERED("test-pfa", LOCK_ORDER_PFA);

	if (!KCONFIG_DEBUG)
		ktest_skip(t, "the lock order is checked in debug builds");
	EXPECT_NULL(t, lock_misuse(lock_it, &outer));
	EXPECT_NULL(t, lock_misuse(lock_it, &inner));          /* vmap -> pfa: the order */
	EXPECT_NULL(t, lock_misuse(unlock_it, &inner));
	EXPECT_NULL(t, lock_misuse(unlock_it, &outer));
	EXPECT_NULL(t, lock_misuse(lock_it, &inner));
	EXPECT_STREQ(t, lock_misuse(lock_it, &outer),
		     "taken out of order: a vmap lock while holding a pfa lock");
	EXPECT_FALSE(t, spin_is_locked(&outer));
	EXPECT_NULL(t, lock_misuse(unlock_it, &inner));
	EXPECT_EQ(t, lock_order_held[smp_processor_id()], 0);
}

/* --- the long-wait rule (kernel/irq_off_wait.h) ----------------------------------- */

static u64 ms_since(u64 tsc)
{
	return (rdtsc() - tsc) / (tsc_hz() / 1000);
}

static void busy_for_ms(unsigned ms)
{
	u64 start = rdtsc();

	while (ms_since(start) < ms)
		cpu_relax();
}

static int long_wait_case_init(struct ktest *t)
{
	if (!KCONFIG_DEBUG)
		ktest_skip(t, "the long-wait check is in debug builds");
	return smp_case_init(t);
}

/*
 * CPU 1 holds a lock; CPU 0 spins on it with interrupts off: after
 * IRQ_OFF_WAIT_MAX_MS the spin stops with one line naming both CPUs, the
 * lock stays CPU 1's.
 */
static void a_long_spin_with_interrupts_off_is_caught(struct ktest *t)
{
	static spinlock_t lock = SPINLOCK_INIT("test");
	unsigned long flags;
	const char *why;
	u64 start;

	ASSERT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, lock_on_this_cpu, &lock), 0);
	flags = irq_save();
	start = rdtsc();
	why = lock_misuse(lock_it, &lock);
	irq_restore(flags);
	EXPECT_STREQ(t, why, "CPU 0 waited more than 250 ms with interrupts off for CPU 1");
	EXPECT_GE(t, ms_since(start), IRQ_OFF_WAIT_MAX_MS);
	EXPECT_EQ(t, lock.owner, OTHER_CPU + 1);
	EXPECT_EQ(t, ktest_run_on_cpu(t, OTHER_CPU, unlock_on_this_cpu, &lock), 0);
	EXPECT_FALSE(t, spin_is_locked(&lock));
}

static spinlock_t held_lock = SPINLOCK_INIT("test-held");

static void hold_then_unlock(void *ms)
{
	spin_lock(&held_lock);
	busy_for_ms((unsigned)(unsigned long)ms);
	spin_unlock(&held_lock);
}

/* Waits the rule allows: 3 x the bound with interrupts on, a tenth of it with them off. */
static void waits_within_the_rule_are_not_stopped(struct ktest *t)
{
	const unsigned long ms[2] = { 3 * IRQ_OFF_WAIT_MAX_MS, IRQ_OFF_WAIT_MAX_MS / 10 };

	for (unsigned i = 0; i < 2; i++) {
		unsigned long flags = i ? irq_save() : read_flags();

		ASSERT_EQ(t, smp_call_start(OTHER_CPU, hold_then_unlock, (void *)ms[i]), 0);
		while (!spin_is_locked(&held_lock))
			cpu_relax();
		EXPECT_NULL(t, lock_misuse(lock_it, &held_lock));
		EXPECT_NULL(t, lock_misuse(unlock_it, &held_lock));
		irq_restore(flags);
		EXPECT_EQ(t, smp_call_wait(OTHER_CPU, 5000), 0);
	}
}

static volatile bool let_go;

static void busy_until_let_go(void *arg)
{
	(void)arg;
	while (!let_go)
		cpu_relax();
}

static void wait_for_the_other_cpu(spinlock_t *unused)
{
	(void)unused;
	smp_call_wait(OTHER_CPU, 5000);
}

/*
 * CPU 0 waits for a cross-call with interrupts off: stopped after the
 * bound, naming both CPUs and the call, with CPU 1's NMI backtrace.
 */
static void a_long_cross_call_wait_with_interrupts_off_is_caught(struct ktest *t)
{
	static char buf[KTEST_REPORT_MAX];
	struct ktest_capture cap;
	unsigned long flags;
	const char *why;

	let_go = false;
	ASSERT_EQ(t, smp_call_start(OTHER_CPU, busy_until_let_go, NULL), 0);
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	flags = irq_save();
	why = lock_misuse(wait_for_the_other_cpu, NULL);
	irq_restore(flags);
	ktest_capture_stop(&cap);
	let_go = true;
	EXPECT_TRUE(t, why && ktest_contains(why, "smp: cross-call wait: CPU 0 waited more than "
					     "250 ms with interrupts off for CPU 1 (running "
					     "busy_until_let_go+"));
	EXPECT_TRUE(t, ktest_contains(buf, "smp: CPU 1 was at "));
	EXPECT_TRUE(t, ktest_contains(buf, "(NMI backtrace)"));
	EXPECT_TRUE(t, ktest_contains(buf, "busy_until_let_go+"));
	EXPECT_EQ(t, smp_call_wait(OTHER_CPU, 5000), 0);       /* with interrupts on: fine */
	EXPECT_TRUE(t, smp_cpu_online(OTHER_CPU));
}

static const struct ktest_case long_wait_cases[] = {
	KTEST_CASE(a_long_spin_with_interrupts_off_is_caught),
	KTEST_CASE(waits_within_the_rule_are_not_stopped),
	KTEST_CASE(a_long_cross_call_wait_with_interrupts_off_is_caught),
	{}
};

static const struct ktest_suite long_wait_suite = {
	.name = "irq_off_wait",
	.cases = long_wait_cases,
	.init = long_wait_case_init,
};
KTEST_SUITE_REGISTER(long_wait_suite);

static volatile unsigned long shared_counter;
static spinlock_t counter_lock = SPINLOCK_INIT("counter");

#define INCREMENTS_PER_CPU 5000

/* Plain read-modify-write under the lock: any lost update means no mutual exclusion. */
static void count_under_the_lock(struct ktest *t, void *arg)
{
	(void)t, (void)arg;
	for (unsigned i = 0; i < INCREMENTS_PER_CPU; i++) {
		unsigned long flags = spin_lock_irqsave(&counter_lock);
		unsigned long v = shared_counter;

		for (unsigned j = 0; j < 16; j++)       /* widen the window a race needs */
			cpu_relax();
		shared_counter = v + 1;
		spin_unlock_irqrestore(&counter_lock, flags);
	}
}

static void every_cpu_incrementing_under_the_lock_loses_nothing(struct ktest *t)
{
	shared_counter = 0;
	EXPECT_EQ(t, ktest_on_each_cpu(t, count_under_the_lock, NULL), 0);
	EXPECT_EQ(t, shared_counter, (unsigned long)smp_num_online() * INCREMENTS_PER_CPU);
}

static const struct ktest_case spinlock_cases[] = {
	KTEST_CASE(recursive_acquire_is_caught),
	KTEST_CASE(unlock_of_a_free_lock_is_caught),
	KTEST_CASE(unlock_by_another_cpu_is_caught),
	KTEST_CASE(out_of_order_acquire_is_caught),
	KTEST_CASE(every_cpu_incrementing_under_the_lock_loses_nothing),
	{}
};
KTEST_SUITE(spinlock, spinlock_cases);
