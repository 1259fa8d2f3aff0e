/*
 * vmalloc, vmap and get_vm_area (mm/vmalloc) on the kernel's own space and
 * page tables. What the CPU sees is checked, not only the bookkeeping:
 * memory is written through one mapping and read through the other, guard
 * pages and purged ranges are probed and must fault.
 *
 *   scenarios   the cases of Linux's lib/test_vmalloc.c, with fewer loops
 *   placement   lowest fit against the brute-force reference, windows
 *   mapping     guard pages, vmalloc_to_page aliases, vzalloc, vmap, sparse
 *   lazy purge  freed ranges not reused before the purge, PTEs gone after
 *   vmallocinfo every line matches a regular expression of Linux's format
 *   misuse      one warning line naming the function and the caller
 *   rollback    every allocation failing in turn leaves no trace
 *
 * Every case must leave everything as it found it: the exit hook purges,
 * then compares free frames (page tables the case created are allowed:
 * vmalloc page tables are never freed, as in Linux), slab totals and the
 * vmap trees with a snapshot taken before the case, and runs the checkers.
 */
#include "tests/ktest.h"
#include "tests/fault_points.h"
#include "tests/ktest_leak.h"
#include "tests/ktest_match.h"
#include "tests/ktest_rand.h"
#include "tests/mm_state.h"
#include "kernel/errno.h"
#include "kernel/irqflags.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/probe.h"
#include "mm/fault_inject.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"


/* --- baseline ----------------------------------------------------------- */

/* The leak check (tests/ktest_leak.h), and the bytes of the vmap space's free ranges. */
static struct ktest_leak vm_leak;
static unsigned long vm_free_bytes;

static unsigned long free_bytes(void)
{
	struct vmap_stats st;

	vmap_get_stats(&kernel_vmap_space, &st);
	return st.free_bytes;
}

static int vm_case_init(struct ktest *t)
{
	int err = ktest_leak_begin(&vm_leak);

	vm_free_bytes = free_bytes();
	return err;
}

static void vm_case_exit(struct ktest *t)
{
	while (fault_inject_in_scope())          /* a case that stopped inside one */
		fault_inject_end();
	ktest_leak_end(t, &vm_leak, KTEST_LEAK_IGNORE_WARNINGS);
	EXPECT_EQ(t, free_bytes(), vm_free_bytes);
}

static bool is_mapped(unsigned long va)
{
	struct pgtable_entry e;

	return pgtable_query(&kernel_pgtable, va, &e) == 0;
}

/* Reads one word through a probe: 0, or -EFAULT if the CPU faults. */
static int probe(const void *addr)
{
	u64 v;

	return probe_read_u64((unsigned long)addr, &v);
}

/* --- Linux's lib/test_vmalloc.c scenarios ---------------------------------- */

static void fix_size_alloc_test(struct ktest *t)
{
	for (int i = 0; i < 300; i++) {
		u8 *p = vmalloc(3 * PAGE_SIZE);

		ASSERT_NOT_NULL(t, p);
		p[0] = 1;
		p[3 * PAGE_SIZE - 1] = 2;
		vfree(p);
	}
}

/*
 * Interleaved 1-page areas (2 pages with the guard); every other one is
 * freed and purged, leaving 2-page holes. A 1-page allocation fits a hole
 * exactly, and lowest fit fills the holes in address order.
 */
static void full_fit_alloc_test(struct ktest *t)
{
	enum { JUNK = 256 };
	void **ptr = vmalloc(JUNK * sizeof(void *));
	void **junk = vmalloc(JUNK * sizeof(void *));

	ASSERT_TRUE(t, ptr && junk);
	for (int i = 0; i < JUNK; i++) {
		ptr[i] = vmalloc(PAGE_SIZE);
		junk[i] = vmalloc(PAGE_SIZE);
		ASSERT_TRUE(t, ptr[i] && junk[i]);
		EXPECT_PTR_EQ(t, junk[i], (char *)ptr[i] + 2 * PAGE_SIZE);
	}
	for (int i = 0; i < JUNK; i++)
		vfree(junk[i]);
	vm_unmap_aliases();
	for (int i = 0; i < JUNK; i++) {
		u8 *p = vmalloc(PAGE_SIZE);

		ASSERT_NOT_NULL(t, p);
		EXPECT_PTR_EQ(t, p, junk[i]);   /* the next hole, exactly */
		*p = 1;
		vfree(p);                       /* lazy: the hole stays out of use */
	}
	for (int i = 0; i < JUNK; i++)
		vfree(ptr[i]);
	vfree(ptr);
	vfree(junk);
}

static void long_busy_list_alloc_test(struct ktest *t)
{
	enum { BUSY = 3000 };
	void **ptr = vmalloc(BUSY * sizeof(void *));
	struct vmap_stats st;

	ASSERT_NOT_NULL(t, ptr);
	for (int i = 0; i < BUSY; i++)
		ASSERT_NOT_NULL(t, ptr[i] = vmalloc(PAGE_SIZE));
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_UGE(t, st.nr_busy, BUSY + 1);
	for (int i = 0; i < 100; i++) {
		u8 *p = vmalloc(100 * PAGE_SIZE);

		ASSERT_NOT_NULL(t, p);
		p[0] = 1;
		p[100 * PAGE_SIZE - 1] = 1;
		vfree(p);
	}
	for (int i = 0; i < BUSY; i++)
		vfree(ptr[i]);
	vfree(ptr);
}

static void random_size_alloc_test(struct ktest *t)
{
	struct ktest_rand rng;

	ktest_rand_init_seed(&rng, 0);
	for (int i = 0; i < 200; i++) {
		unsigned long n = ktest_rand_between(&rng, 1, 100);
		u8 *p = vmalloc(n * PAGE_SIZE);

		ASSERT_NOT_NULL(t, p);
		p[0] = 1;
		p[n * PAGE_SIZE - 1] = 1;
		vfree(p);
	}
}

static void fix_align_alloc_test(struct ktest *t)
{
	for (int i = 0; i < 200; i++) {
		u8 *p = __vmalloc_node(5 * PAGE_SIZE, 32 * 1024, PFA_ZERO, (void *)THIS_IP);

		ASSERT_NOT_NULL(t, p);
		EXPECT_TRUE(t, IS_ALIGNED((unsigned long)p, 32 * 1024));
		p[0] = 0;
		vfree(p);
	}
}

static void random_size_align_alloc_test(struct ktest *t)
{
	struct ktest_rand rng;

	ktest_rand_init_seed(&rng, 0);
	for (int i = 0; i < 64; i++) {
		u64 r = ktest_rand(&rng);
		unsigned long align = 1ul << (r % 23);          /* up to 4 MiB */
		unsigned long size = ((r >> 8) % 10 + 1) * PAGE_SIZE;
		u8 *p = __vmalloc_node(size, align, PFA_ZERO, (void *)THIS_IP);

		ASSERT_NOT_NULL(t, p);
		EXPECT_TRUE(t, IS_ALIGNED((unsigned long)p, MAX(align, PAGE_SIZE)));
		EXPECT_EQ(t, p[size - 1], 0);
		vfree(p);
	}
}

/*
 * The smallest power-of-two alignment (as a shift) at which `size` bytes
 * aligned upwards from VMALLOC_START no longer fit below VMALLOC_END (the
 * aligned start is past it, or wraps to 0): 46 for the x86-64 layout.
 */
static int first_alignment_past_the_space(unsigned long size)
{
	for (int i = PAGE_SHIFT; i < 64; i++) {
		unsigned long start = ALIGN_UP(VMALLOC_START, 1ul << i);

		if (start < VMALLOC_START || start > VMALLOC_END - size)
			return i;
	}
	return 64;
}

/*
 * Alignments 2^0 .. 2^63: each succeeds exactly when the brute-force
 * reference finds a place, the first failure is where the vmalloc space
 * ends (first_alignment_past_the_space()), and failing prints nothing.
 */
static void align_shift_alloc_test(struct ktest *t)
{
	unsigned lines = 0;
	int first_fail = -1;
	char buf[256];

	for (int i = 0; i < 64; i++) {
		unsigned long align = 1ul << i, want;
		struct ktest_capture cap;
		u8 *p;

		vm_unmap_aliases();     /* or the last free hides the place it left */
		want = vmap_lowest_fit_brute(&kernel_vmap_space, 2 * PAGE_SIZE, MAX(align, PAGE_SIZE),
					     VMALLOC_START, VMALLOC_END);
		ktest_capture_start(&cap, buf, sizeof(buf), true);
		p = __vmalloc_node(PAGE_SIZE, align, PFA_ZERO, (void *)THIS_IP);
		lines += ktest_capture_stop(&cap);
		if ((unsigned long)p != want)
			KTEST_FAIL(t, "alignment 2^%d: got %p, the reference says 0x%lx", i, p, want);
		if (!p && first_fail < 0)
			first_fail = i;
		if (p && first_fail >= 0)
			KTEST_FAIL(t, "alignment 2^%d fit after 2^%d did not", i, first_fail);
		if (p) {
			*p = 1;
			vfree(p);
		}
	}
	EXPECT_EQ(t, lines, 0);                         /* no fit is not misuse */
	EXPECT_EQ(t, first_fail, first_alignment_past_the_space(2 * PAGE_SIZE));
	EXPECT_EQ(t, vmalloc_check(), 0);
}

/* --- placement -------------------------------------------------------------- */

/*
 * Random get_vm_area/free_vm_area on the kernel space: each placement is
 * the lowest fit the linear scan predicts just before it.
 */
static void kernel_space_lowest_fit_equals_brute_force(struct ktest *t)
{
	enum { LIVE = 400, OPS = 2500 };
	struct vm_struct **live = kmalloc(LIVE * sizeof(*live));
	struct vmap_limits no_pools = { kernel_vmap_space.lazy_max, 0 }, old;
	struct ktest_rand rng;
	unsigned long n = 0, checked = 0;

	ktest_rand_init_seed(&rng, 0);
	ASSERT_NOT_NULL(t, live);
	/* The free tree alone: a pool (a batch refill's) may serve another range. */
	mm_state_set_vmap_limits(&no_pools, &old);
	ktest_log(t, "seed %llu", (unsigned long long)ktest_seed());
	for (int op = 0; op < OPS; op++) {
		u64 r = ktest_rand(&rng);
		unsigned long size = (r % 32 + 1) * PAGE_SIZE, align = PAGE_SIZE << (r >> 8) % 11;
		unsigned long want;

		if ((r >> 20) % 3 == 0 || n == LIVE) {
			if (n) {
				unsigned long i = (r >> 24) % n;

				free_vm_area(live[i]);
				live[i] = live[--n];
			}
			continue;
		}
		want = vmap_lowest_fit_brute(&kernel_vmap_space, size + PAGE_SIZE, align,
					     VMALLOC_START, VMALLOC_END);
		live[n] = __get_vm_area_node(size, align, VM_SPARSE, VMALLOC_START,
					     VMALLOC_END, (void *)THIS_IP);
		EXPECT_NOT_NULL(t, live[n]);
		if (!live[n])
			break;
		EXPECT_PTR_EQ(t, live[n]->addr, want);
		n++;
		checked++;
	}
	ktest_log(t, "%lu placements checked", checked);
	while (n)
		free_vm_area(live[--n]);
	kfree(live);
	mm_state_set_vmap_limits(&old, NULL);
}

static void window_is_respected(struct ktest *t)
{
	unsigned long start = VMALLOC_START + (6ul << 40), end = start + 16 * PAGE_SIZE;
	struct ktest_capture cap;
	u8 *a, *b;
	char buf[128];

	a = __vmalloc_node_range(7 * PAGE_SIZE, PAGE_SIZE, start, end, 0, PROT_KERNEL_RW, 0, (void *)THIS_IP);
	b = __vmalloc_node_range(7 * PAGE_SIZE, PAGE_SIZE, start, end, 0, PROT_KERNEL_RW, 0, (void *)THIS_IP);
	ASSERT_TRUE(t, a && b);
	EXPECT_PTR_EQ(t, a, start);
	EXPECT_PTR_EQ(t, b, start + 8 * PAGE_SIZE);
	/* Full: no space is not misuse, so no warning. */
	ktest_capture_start(&cap, buf, sizeof(buf), false);
	EXPECT_NULL(t, __vmalloc_node_range(PAGE_SIZE, PAGE_SIZE, start, end, 0, PROT_KERNEL_RW, 0,
					    (void *)THIS_IP));
	EXPECT_EQ(t, ktest_capture_stop(&cap), 0);
	vfree(a);
	vfree(b);
}

/* --- what the CPU sees ----------------------------------------------------- */

static void guard_page_faults_and_inside_reads_work(struct ktest *t)
{
	u8 *p = vmalloc(3 * PAGE_SIZE);
	struct vm_struct *vm;

	ASSERT_NOT_NULL(t, p);
	vm = find_vm_area(p);
	ASSERT_NOT_NULL(t, vm);
	EXPECT_EQ(t, vm->size, 4 * PAGE_SIZE);                 /* the guard is counted */
	EXPECT_EQ(t, get_vm_area_size(vm), 3 * PAGE_SIZE);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(t, probe(p + i * PAGE_SIZE + 8), 0);
	EXPECT_EQ(t, probe(p + 3 * PAGE_SIZE - 8), 0);
	EXPECT_EQ(t, probe(p + 3 * PAGE_SIZE), -EFAULT);       /* just past: the guard */
	EXPECT_EQ(t, probe(p + 4 * PAGE_SIZE - 8), -EFAULT);
	EXPECT_PTR_EQ(t, find_vm_area(p + 3 * PAGE_SIZE), vm);
	vfree(p);
}

static void no_guard_area_is_followed_directly(struct ktest *t)
{
	unsigned long start = VMALLOC_START + (6ul << 40) + (1ul << 30);
	u8 *a = __vmalloc_node_range(2 * PAGE_SIZE, PAGE_SIZE, start, start + 64 * PAGE_SIZE, 0, PROT_KERNEL_RW,
				     VM_NO_GUARD, (void *)THIS_IP);
	u8 *b = __vmalloc_node_range(PAGE_SIZE, PAGE_SIZE, start, start + 64 * PAGE_SIZE, 0, PROT_KERNEL_RW, 0,
				     (void *)THIS_IP);

	ASSERT_TRUE(t, a && b);
	EXPECT_EQ(t, find_vm_area(a)->size, 2 * PAGE_SIZE);
	EXPECT_PTR_EQ(t, b, a + 2 * PAGE_SIZE);
	EXPECT_EQ(t, probe(a + 2 * PAGE_SIZE), 0);             /* no hole: b is there */
	vfree(a);
	vfree(b);
}

static void pages_alias_the_direct_map(struct ktest *t)
{
	enum { N = 16 };
	u64 *p = vmalloc(N * PAGE_SIZE);
	struct vm_struct *vm = find_vm_area(p);

	ASSERT_TRUE(t, p && vm);
	EXPECT_EQ(t, vm->nr_pages, N);
	for (int i = 0; i < N; i++) {
		u64 *v = p + i * (PAGE_SIZE / 8);
		struct page *pg = vmalloc_to_page((char *)v + 123);
		u64 *d;

		ASSERT_NOT_NULL(t, pg);
		EXPECT_PTR_EQ(t, pg, vm->pages[i]);
		EXPECT_TRUE(t, page_has_state(pg, PAGE_VMALLOC));
		EXPECT_EQ(t, pg->private, (unsigned long)vm);
		EXPECT_EQ(t, vmalloc_to_pfn(v), page_to_pfn(pg));
		d = page_address(pg);
		WRITE_ONCE(v[7], 0x1111000000000000ull + i);    /* vmalloc -> direct */
		EXPECT_EQ(t, READ_ONCE(d[7]), 0x1111000000000000ull + i);
		WRITE_ONCE(d[9], 0x2222000000000000ull + i);    /* direct -> vmalloc */
		EXPECT_EQ(t, READ_ONCE(v[9]), 0x2222000000000000ull + i);
	}
	EXPECT_NULL(t, vmalloc_to_page((char *)p + N * PAGE_SIZE));    /* the guard */
	EXPECT_EQ(t, vmalloc_to_pfn((char *)p + N * PAGE_SIZE), 0);
	vfree(p);
}

static void vzalloc_memory_is_zero(struct ktest *t)
{
	enum { N = 24 };
	u8 *p = vmalloc(N * PAGE_SIZE);

	ASSERT_NOT_NULL(t, p);
	memset(p, 0xa5, N * PAGE_SIZE);                        /* dirty frames ... */
	vfree(p);
	vm_unmap_aliases();
	p = vzalloc(N * PAGE_SIZE);                            /* ... that come back */
	ASSERT_NOT_NULL(t, p);
	EXPECT_TRUE(t, mem_is_filled(p, 0, N * PAGE_SIZE));
	vfree(p);
}

static void vmap_maps_caller_pages_and_leaves_them(struct ktest *t)
{
	enum { N = 6 };
	struct page *pages[N];
	u64 *v, *ro;

	for (int i = 0; i < N; i++) {
		pages[i] = alloc_page(PFA_ZERO);
		ASSERT_NOT_NULL(t, pages[i]);
	}
	v = vmap(pages, N, 0, PROT_KERNEL_RW);
	ASSERT_NOT_NULL(t, v);
	EXPECT_EQ(t, find_vm_area(v)->flags, VM_MAP);
	EXPECT_EQ(t, find_vm_area(v)->nr_pages, 0);     /* the pages are not the area's */
	for (int i = 0; i < N; i++) {
		v[i * (PAGE_SIZE / 8)] = 0xabc0 + i;
		EXPECT_EQ(t, *(u64 *)page_address(pages[i]), 0xabc0 + i);
		EXPECT_PTR_EQ(t, vmalloc_to_page(v + i * (PAGE_SIZE / 8)), pages[i]);
	}
	ro = vmap(pages, 1, 0, PROT_KERNEL_RO);
	ASSERT_NOT_NULL(t, ro);
	EXPECT_EQ(t, probe(ro), 0);
	EXPECT_EQ(t, probe_write_u64((unsigned long)ro, 1), -EFAULT);
	vunmap(ro);
	vunmap(v);
	for (int i = 0; i < N; i++) {                   /* still ours, still intact */
		EXPECT_TRUE(t, page_has_state(pages[i], PAGE_ALLOCATED));
		EXPECT_EQ(t, *(u64 *)page_address(pages[i]), 0xabc0 + i);
		free_page(pages[i]);
	}
}

static void sparse_area_reserves_and_maps_nothing(struct ktest *t)
{
	struct vm_struct *a = get_vm_area(64 * PAGE_SIZE, VM_SPARSE);
	unsigned long va;

	ASSERT_NOT_NULL(t, a);
	va = (unsigned long)a->addr;
	EXPECT_EQ(t, a->size, 65 * PAGE_SIZE);
	EXPECT_EQ(t, a->flags, VM_SPARSE);
	EXPECT_EQ(t, a->nr_pages, 0);
	EXPECT_NULL(t, a->pages);
	EXPECT_TRUE(t, is_vmalloc_addr(a->addr));
	EXPECT_PTR_EQ(t, find_vm_area((void *)(va + 40 * PAGE_SIZE + 1)), a);
	for (int i = 0; i < 65; i++)
		EXPECT_FALSE(t, is_mapped(va + i * PAGE_SIZE));
	EXPECT_EQ(t, probe((void *)va), -EFAULT);
	free_vm_area(a);
	EXPECT_NULL(t, find_vm_area((void *)va));
}

static void remove_vm_area_hands_back_the_struct(struct ktest *t)
{
	struct vm_struct *a = get_vm_area_caller(3 * PAGE_SIZE, VM_IOREMAP, (void *)THIS_IP);

	ASSERT_NOT_NULL(t, a);
	EXPECT_PTR_EQ(t, find_vm_area(a->addr), a);
	EXPECT_PTR_EQ(t, remove_vm_area(a->addr), a);
	EXPECT_NULL(t, find_vm_area(a->addr));
	kfree(a);
}

/* The page array of a big area is vmalloc'ed itself; vfree takes both. */
static void big_area_has_vmalloced_page_array(struct ktest *t)
{
	enum { N = 1500 };
	u8 *p = vmalloc(N * PAGE_SIZE);
	struct vm_struct *vm = find_vm_area(p), *inner;

	void *inner_addr;

	ASSERT_TRUE(t, p && vm);
	EXPECT_TRUE(t, is_vmalloc_addr(vm->pages));
	inner = find_vm_area(vm->pages);
	ASSERT_NOT_NULL(t, inner);
	inner_addr = inner->addr;
	EXPECT_PTR_EQ(t, inner_addr, vm->pages);
	EXPECT_EQ(t, inner->flags, VM_ALLOC);
	EXPECT_EQ(t, get_vm_area_size(inner), 3 * PAGE_SIZE);  /* 1500 pointers */
	p[N * PAGE_SIZE - 1] = 7;
	EXPECT_EQ(t, ((u8 *)page_address(vmalloc_to_page(p + N * PAGE_SIZE - 1)))[PAGE_SIZE - 1], 7);
	vfree(p);
	EXPECT_NULL(t, find_vm_area(p));
	EXPECT_NULL(t, find_vm_area(inner_addr));
}

static void more_than_ram_fails_quietly(struct ktest *t)
{
	unsigned long ram = pfa_total_pages() * PAGE_SIZE;
	struct ktest_capture cap;
	char buf[128];

	ktest_capture_start(&cap, buf, sizeof(buf), false);
	EXPECT_NULL(t, vmalloc(ram + PAGE_SIZE));
	EXPECT_NULL(t, vmalloc(1ul << 44));
	EXPECT_EQ(t, ktest_capture_stop(&cap), 0);
}

/* --- lazy purge -------------------------------------------------------------- */

static void freed_range_is_not_reused_before_the_purge(struct ktest *t)
{
	u64 *p = vmalloc(4 * PAGE_SIZE), *q;
	unsigned long a = (unsigned long)p;
	struct vmap_stats st;

	ASSERT_NOT_NULL(t, p);
	for (int i = 0; i < 4; i++)                     /* in the TLB now */
		WRITE_ONCE(p[i * (PAGE_SIZE / 8)], i);
	vfree(p);
	/* The PTEs are gone at once; the range waits in this CPU's lazy list. */
	for (int i = 0; i < 4; i++)
		EXPECT_FALSE(t, is_mapped(a + i * PAGE_SIZE));
	EXPECT_NULL(t, find_vm_area(p));
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_EQ(t, st.nr_lazy, 1);
	q = vmalloc(4 * PAGE_SIZE);
	ASSERT_NOT_NULL(t, q);
	EXPECT_TRUE(t, (unsigned long)q >= a + 5 * PAGE_SIZE || (unsigned long)q + 5 * PAGE_SIZE <= a);
	vfree(q);
	vm_unmap_aliases();
	/* Flushed: the CPU faults on every page of the old range. */
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(t, probe((void *)(a + i * PAGE_SIZE)), -EFAULT);
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_EQ(t, st.nr_lazy, 0);
	p = vmalloc(4 * PAGE_SIZE);                            /* the lowest fit again */
	EXPECT_PTR_EQ(t, p, a);
	vfree(p);
}

/* 32 MiB of lazily freed ranges trigger a purge by themselves. */
static void lazy_threshold_purges_by_itself(struct ktest *t)
{
	struct vmap_stats before, st;
	struct vm_struct *a;

	vmap_get_stats(&kernel_vmap_space, &before);
	for (unsigned long freed = 0; freed <= VMAP_LAZY_MAX; freed += 4ul << 20) {
		a = get_vm_area(4ul << 20, VM_NO_GUARD);
		ASSERT_NOT_NULL(t, a);
		free_vm_area(a);
	}
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_EQ(t, st.nr_purges, before.nr_purges + 1);
	EXPECT_EQ(t, st.nr_lazy, 0);
}

/* With mm_check=always, every public entry point runs the checks once. */
static void public_entries_run_the_mm_check_hook(struct ktest *t)
{
	struct page *frame = alloc_page(0);
	unsigned long runs, warns = warn_count();
	bool was = mm_check_set_always(true);
	struct vm_struct *a;
	void *p, *m;

	runs = mm_check_runs();
	p = vzalloc(2 * PAGE_SIZE);
	vfree(p);
	a = get_vm_area(PAGE_SIZE, VM_SPARSE);
	free_vm_area(a);
	m = vmap(&frame, 1, 0, PROT_KERNEL_RW);
	vunmap(m);
	EXPECT_EQ(t, mm_check_runs(), runs + 6);
	mm_check_set_always(was);
	EXPECT_TRUE(t, p && a && m);
	EXPECT_EQ(t, warn_count(), warns);
	free_page(frame);
}

/* --- /proc/vmallocinfo ------------------------------------------------------ */

#define RE_ADDRS        "0x[0-9a-f]{16}-0x[0-9a-f]{16} +[0-9]+"
static const char vmallocinfo_area_re[] =
	RE_ADDRS "( [A-Za-z0-9_.]+\\+0x[0-9a-f]+/0x[0-9a-f]+)?( pages=[0-9]+)?"
	"( phys=0x[0-9a-f]{16})?( ioremap)?( sparse)?( vmalloc)?( vmap)?( user)?"
	"( dma-coherent)?( vpages)?";
static const char vmallocinfo_unpurged_re[] = RE_ADDRS " unpurged vm_area";

/* True if the size field is printed %7ld: one space, then >= 7 columns. */
static bool size_field_ok(const char *line)
{
	const char *p = line + 37;
	int width = 0;

	if (*p++ != ' ')
		return false;
	while (p[width] == ' ')
		width++;
	while (p[width] >= '0' && p[width] <= '9')
		width++;
	return width >= 7;
}

static void regex_matcher_works(struct ktest *t)
{
	static const char good[] =
		"0xffffc90000000000-0xffffc90000005000   20480 foo_bar+0x1c/0x90 pages=4 vmalloc";
	static const char unpurged[] =
		"0xffffc90000007000-0xffffc90000009000    8192 unpurged vm_area";

	EXPECT_TRUE(t, ktest_regex_match(vmallocinfo_area_re, good));
	EXPECT_TRUE(t, ktest_regex_match(vmallocinfo_unpurged_re, unpurged));
	EXPECT_TRUE(t, ktest_regex_match(vmallocinfo_area_re,
				"0xffffc90000000000-0xffffc90000005000   20480 ioremap"));
	/* Markers out of order, a short address, a missing size: no match. */
	EXPECT_FALSE(t, ktest_regex_match(vmallocinfo_area_re,
				 "0xffffc90000000000-0xffffc90000005000   20480 vmalloc ioremap"));
	EXPECT_FALSE(t, ktest_regex_match(vmallocinfo_area_re,
				 "0xffffc9000000000-0xffffc90000005000   20480 vmalloc"));
	EXPECT_FALSE(t, ktest_regex_match(vmallocinfo_area_re, "0xffffc90000000000-0xffffc90000005000"));
	EXPECT_FALSE(t, ktest_regex_match(vmallocinfo_unpurged_re, good));
	EXPECT_TRUE(t, size_field_ok(good));
	EXPECT_FALSE(t, size_field_ok("0xffffc90000000000-0xffffc90000005000 20480 vmalloc"));
}

/* An area the test made, and the line vmallocinfo must print for it. */
struct expect_line {
	unsigned long start, size;
	unsigned pages;
	phys_addr_t phys;
	const char *markers;
	bool found;
};

/* Splits `text` into lines in place; checks each against the regexes. */
static unsigned split_lines(struct ktest *t, char *text, char **lines, unsigned max)
{
	unsigned n = 0;

	for (char *p = text; *p && n < max;) {
		char *nl = strchr(p, '\n');

		ASSERT_NOT_NULL(t, nl);
		*nl = '\0';
		lines[n++] = p;
		if (!ktest_regex_match(vmallocinfo_area_re, p) && !ktest_regex_match(vmallocinfo_unpurged_re, p))
			KTEST_FAIL(t, "line does not match Linux's format: '%s'", p);
		if (!size_field_ok(p))
			KTEST_FAIL(t, "size field not %%7ld: '%s'", p);
		p = nl + 1;
	}
	return n;
}

static void check_expected_line(struct ktest *t, const char *line, struct expect_line *e,
				const char *caller)
{
	char want[192];
	int n;

	n = snprintf(want, sizeof(want), "0x%016lx-0x%016lx %7lu %s", e->start,
		     e->start + e->size, e->size, caller);
	if (strncmp(line, want, n)) {
		KTEST_FAIL(t, "got '%s', want it to start with '%s'", line, want);
		return;
	}
	/* After the caller's +0xoff/0xlen: pages=, phys=, markers, exactly. */
	line = strchr(line + n, ' ');
	n = 0;
	if (e->pages)
		n += snprintf(want + n, sizeof(want) - n, " pages=%u", e->pages);
	if (e->phys)
		n += snprintf(want + n, sizeof(want) - n, " phys=0x%016llx",
			      (unsigned long long)e->phys);
	snprintf(want + n, sizeof(want) - n, "%s", e->markers);
	EXPECT_STREQ(t, line ? line : "", want);
	e->found = true;
}

/* One area of each kind, and a freed one, for the vmallocinfo test. */
struct info_areas {
	struct page *frames[2];
	void *vm3, *vz, *big, *vmp;
	struct vm_struct *io, *sp;
	unsigned long gone_at;          /* a vfree'd, unpurged 2-page area */
};

static bool make_info_areas(struct info_areas *a)
{
	void *gone;

	a->frames[0] = alloc_page(0);
	a->frames[1] = alloc_page(0);
	a->vm3 = vmalloc(3 * PAGE_SIZE);
	a->vz = vzalloc(PAGE_SIZE);
	a->big = vmalloc(600 * PAGE_SIZE);                     /* its page array is vmalloc'ed */
	a->vmp = vmap(a->frames, 2, 0, PROT_KERNEL_RW);
	a->io = get_vm_area(5 * PAGE_SIZE, VM_IOREMAP);
	a->sp = get_vm_area(16 * PAGE_SIZE, VM_SPARSE);
	gone = vmalloc(2 * PAGE_SIZE);
	a->gone_at = (unsigned long)gone;
	vfree(gone);
	if (a->io)
		a->io->phys_addr = 0xfed00000;          /* as ioremap would set it */
	return a->frames[0] && a->frames[1] && a->vm3 && a->vz && a->big && a->vmp &&
	       a->io && a->sp && gone;
}

static void free_info_areas(struct info_areas *a)
{
	vfree(a->vm3);
	vfree(a->vz);
	vfree(a->big);
	vunmap(a->vmp);
	free_vm_area(a->io);
	free_vm_area(a->sp);
	free_page(a->frames[0]);
	free_page(a->frames[1]);
}

/* The start address at the head of a line ("0x" and 16 hex digits). */
static unsigned long line_start(const char *line)
{
	unsigned long v = 0;

	for (int d = 2; d < 18; d++)
		v = v * 16 + (line[d] <= '9' ? line[d] - '0' : line[d] - 'a' + 10);
	return v;
}

/*
 * Busy lines come first, sorted; then the unpurged ones, sorted. Each
 * expected area has its line; the freed area has its unpurged line.
 */
static void check_info_lines(struct ktest *t, char **lines, unsigned n,
			     struct expect_line *want, unsigned nwant, unsigned long gone_at)
{
	unsigned long prev = 0;
	unsigned unpurged = 0;
	bool in_unpurged = false;

	for (unsigned i = 0; i < n; i++) {
		unsigned long start = line_start(lines[i]);

		if (ktest_contains(lines[i], "unpurged") != in_unpurged) {
			EXPECT_FALSE(t, in_unpurged);   /* no busy line after them */
			in_unpurged = true;
			prev = 0;
		}
		EXPECT_ULT(t, prev, start);             /* sorted by address */
		prev = start;
		if (in_unpurged && start == gone_at) {
			unpurged++;
			EXPECT_TRUE(t, ktest_contains(lines[i], "   12288 unpurged vm_area"));
		}
		for (unsigned w = 0; w < nwant && !in_unpurged; w++)
			if (want[w].start == start)
				check_expected_line(t, lines[i], &want[w],
						    "vmallocinfo_lines_match_linux_format+0x");
	}
	for (unsigned w = 0; w < nwant; w++)
		if (!want[w].found)
			KTEST_FAIL(t, "no line for the area at 0x%lx", want[w].start);
	EXPECT_EQ(t, unpurged, 1);
}

static void vmallocinfo_lines_match_linux_format(struct ktest *t)
{
	enum { MAXLINES = 512 };
	char **lines = kmalloc(MAXLINES * sizeof(char *));
	struct info_areas a;
	char *buf;
	int len;

	ASSERT_NOT_NULL(t, lines);
	ASSERT_TRUE(t, make_info_areas(&a));
	struct expect_line want[] = {
		{ (unsigned long)a.vm3, 4 * PAGE_SIZE, 3, 0, " vmalloc", false },
		{ (unsigned long)a.vz, 2 * PAGE_SIZE, 1, 0, " vmalloc", false },
		{ (unsigned long)a.big, 601 * PAGE_SIZE, 600, 0, " vmalloc vpages", false },
		{ (unsigned long)a.vmp, 3 * PAGE_SIZE, 0, 0, " vmap", false },
		{ (unsigned long)a.io->addr, 6 * PAGE_SIZE, 0, 0xfed00000, " ioremap", false },
		{ (unsigned long)a.sp->addr, 17 * PAGE_SIZE, 0, 0, " sparse", false },
	};

	len = vmallocinfo_show(NULL, 0);
	buf = kmalloc(len + 1);
	ASSERT_NOT_NULL(t, buf);
	EXPECT_EQ(t, vmallocinfo_show(buf, len + 1), len);
	check_info_lines(t, lines, split_lines(t, buf, lines, MAXLINES), want,
			 ARRAY_SIZE(want), a.gone_at);
	if (t->status == KTEST_FAIL)
		vmallocinfo_print();
	kfree(buf);
	kfree(lines);
	free_info_areas(&a);
}

/* --- rollback: each allocation fails in turn ----------------------------------- */

/*
 * Every failure point of each operation, frames and slab objects in turn
 * (fault_inject_each_point): each failed run must return NULL and leave
 * the whole memory subsystem as it was (free frames, slab objects, tables,
 * vmap trees, PTEs of the vmalloc range, no warning), checked by
 * mm_check_all(). The operation runs once before, so that the page tables
 * it needs exist (they stay, which a snapshot would count as a change);
 * failing table allocations is the next case's job.
 */
struct rollback_ctx {
	void *addr;
	struct vm_struct *area;
	struct page *frames[4];
	unsigned long pages, align, flags;
};

static int op_vmalloc(void *arg)
{
	struct rollback_ctx *c = arg;

	c->addr = __vmalloc_node_range(c->pages * PAGE_SIZE, c->align, VMALLOC_START, VMALLOC_END,
				       PFA_ZERO, PROT_KERNEL_RW, c->flags, (void *)THIS_IP);
	return c->addr ? 0 : -ENOMEM;
}

static void undo_vmalloc(void *arg)
{
	vfree(((struct rollback_ctx *)arg)->addr);
}

static int op_vmap(void *arg)
{
	struct rollback_ctx *c = arg;

	c->addr = vmap(c->frames, ARRAY_SIZE(c->frames), 0, PROT_KERNEL_RW);
	return c->addr ? 0 : -ENOMEM;
}

static void undo_vmap(void *arg)
{
	vunmap(((struct rollback_ctx *)arg)->addr);
}

static int op_get_vm_area(void *arg)
{
	struct rollback_ctx *c = arg;

	c->area = get_vm_area(c->pages * PAGE_SIZE, c->flags);
	return c->area ? 0 : -ENOMEM;
}

static void undo_get_vm_area(void *arg)
{
	free_vm_area(((struct rollback_ctx *)arg)->area);
}

struct rollback_case {
	struct fault_op op;
	unsigned long pages, align, flags;
	unsigned long min_points;       /* at least this many failure points */
};

static const struct rollback_case rollbacks[] = {
#define ROLLBACK(name_, op_, undo_) { .name = name_, .op = op_, .undo = undo_ }
	/* Frames, then the area and (above VM_INLINE_PAGES pages) the page array. */
	{ ROLLBACK("vmalloc_1_page_inline_array", op_vmalloc, undo_vmalloc), 1, PAGE_SIZE, 0,
	  1 + 1 },
	{ ROLLBACK("vmalloc_3_pages", op_vmalloc, undo_vmalloc), 3, PAGE_SIZE, 0, 3 + 2 },
	{ ROLLBACK("vmalloc_no_guard_64k_aligned", op_vmalloc, undo_vmalloc), 5, 1 << 16,
	  VM_NO_GUARD, 5 + 2 },
	/* 520 page pointers need more than a page: the array is vmalloc'ed too (2 pages). */
	{ ROLLBACK("vzalloc_520_pages_nested_array", op_vmalloc, undo_vmalloc), 520, PAGE_SIZE, 0,
	  520 + 2 + 2 },
	{ ROLLBACK("vmap_4_pages", op_vmap, undo_vmap), 4, PAGE_SIZE, 0, 2 },
	{ ROLLBACK("get_vm_area_sparse", op_get_vm_area, undo_get_vm_area), 256, PAGE_SIZE,
	  VM_SPARSE, 2 },
};

static void describe_rollback(const struct rollback_case *r, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", r->op.name);
}

KTEST_ARRAY_PARAM(rollback_params, rollbacks, describe_rollback);

static void every_failure_point_rolls_back(struct ktest *t)
{
	const struct rollback_case *r = t->param;
	struct rollback_ctx c = { .pages = r->pages, .align = r->align, .flags = r->flags };
	struct fault_points pts;

	for (unsigned i = 0; i < ARRAY_SIZE(c.frames); i++)
		ASSERT_NOT_NULL(t, c.frames[i] = alloc_page(0));
	ASSERT_EQ(t, r->op.op(&c), 0);                  /* builds the page tables */
	r->op.undo(&c);
	EXPECT_EQ(t, fault_inject_each_point(&r->op, &c, &pts), 0);
	EXPECT_GE(t, pts.total, r->min_points);
	for (unsigned i = 0; i < ARRAY_SIZE(c.frames); i++)
		free_page(c.frames[i]);
}

/* Frames a case holds to leave the frame allocator exactly `left` free. */
struct hog {
	struct page_list blocks;        /* page->private = order */
	struct page_list singles;
};

static void hog_down_to(struct hog *h, unsigned long left)
{
	for (int order = MAX_ORDER; order >= 0; order--) {
		while (pfa_free_pages() >= left + (1ul << order)) {
			struct page *p = alloc_pages(order, 0);

			if (!p)
				break;
			p->private = order;
			page_list_add(order ? &h->blocks : &h->singles, p);
		}
	}
}

/* Counts the entries a walk reports. */
static int count_entry(const struct pgtable_entry *e, void *ctx)
{
	(*(unsigned long *)ctx)++;
	return 0;
}

static void hog_release(struct hog *h)
{
	struct page *p;

	while ((p = page_list_pop(&h->blocks)))
		free_pages(p, p->private);
	while ((p = page_list_pop(&h->singles)))
		free_page(p);
}

/*
 * Frames and page tables: with k frames left, k = 0, 1, ..., a vmalloc of
 * 8 pages into a part of the space without tables (it needs 3 of them)
 * fails until k is enough. Each failure gives every frame back.
 */
static void failed_frame_allocation_rolls_back(struct ktest *t)
{
	unsigned long start = VMALLOC_START + (5ul << 40) + (3ul << 30);
	struct hog h = { { NULL, NULL }, { NULL, NULL } };
	unsigned long slot = ALIGN_DOWN(start, 512ul << 30), k, entries = 0;
	unsigned long tables = pgtable_total_tables();
	void *p = NULL;

	pgtable_walk(&kernel_pgtable, slot, slot + (512ul << 30), count_entry, &entries);
	if (entries)
		ktest_skip(t, "the window's 512 GiB already have page tables");
	hog_down_to(&h, 64);
	for (k = 0; k < 64; k++) {
		struct page *p1 = alloc_page(0);

		ASSERT_NOT_NULL(t, p1);
		page_list_add(&h.singles, p1);
	}
	EXPECT_EQ(t, pfa_free_pages(), 0);
	for (k = 0; k < 64; k++) {
		p = __vmalloc_node_range(8 * PAGE_SIZE, PAGE_SIZE, start, start + (1ul << 30), 0,
					 PROT_KERNEL_RW, 0, (void *)THIS_IP);
		if (p)
			break;
		EXPECT_EQ(t, pfa_free_pages(), k);      /* all given back */
		EXPECT_EQ(t, pgtable_total_tables(), tables);
		free_page(page_list_pop(&h.singles));   /* one more frame */
	}
	hog_release(&h);
	ktest_log(t, "vmalloc of 8 pages succeeded with %lu frames free", k);
	ASSERT_NOT_NULL(t, p);
	EXPECT_GE(t, k, 8 + 3);
	EXPECT_EQ(t, pgtable_total_tables(), tables + 3);
	EXPECT_EQ(t, vmalloc_check(), 0);
	vfree(p);
}

static bool irqs_on(void)
{
	return read_flags() & X86_EFLAGS_IF;
}

/*
 * Small calls run with interrupts off from start to end (VM_IRQ_OFF_PAGES
 * in mm/vmalloc.c), large ones do not: each must leave the flag as it found
 * it, on and off, on success and on a refused call.
 */
static void calls_leave_the_interrupt_flag_as_found(struct ktest *t)
{
	unsigned long sizes[] = { PAGE_SIZE, 128 * PAGE_SIZE, 129 * PAGE_SIZE };
	unsigned long saved = irq_save();
	static u8 not_vmalloc[8];

	ktest_expect_warning(t, 4);
	for (int on = 0; on < 2; on++) {
		if (on)
			irq_enable();
		for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
			u8 *p = vmalloc(sizes[i]);

			EXPECT_NOT_NULL(t, p);
			EXPECT_EQ(t, irqs_on(), on);
			vfree(p);
			EXPECT_EQ(t, irqs_on(), on);
		}
		EXPECT_NULL(t, vmalloc(0));                     /* refused: one warning */
		EXPECT_EQ(t, irqs_on(), on);
		vfree(not_vmalloc);                             /* refused: one warning */
		EXPECT_EQ(t, irqs_on(), on);
		irq_disable();
	}
	irq_restore(saved);
}

static const struct ktest_case vmalloc_cases[] = {
	KTEST_CASE(fix_size_alloc_test),
	KTEST_CASE(full_fit_alloc_test),
	KTEST_CASE(long_busy_list_alloc_test),
	KTEST_CASE(random_size_alloc_test),
	KTEST_CASE(fix_align_alloc_test),
	KTEST_CASE(random_size_align_alloc_test),
	KTEST_CASE(align_shift_alloc_test),
	KTEST_CASE(kernel_space_lowest_fit_equals_brute_force),
	KTEST_CASE(window_is_respected),
	KTEST_CASE(guard_page_faults_and_inside_reads_work),
	KTEST_CASE(no_guard_area_is_followed_directly),
	KTEST_CASE(pages_alias_the_direct_map),
	KTEST_CASE(vzalloc_memory_is_zero),
	KTEST_CASE(vmap_maps_caller_pages_and_leaves_them),
	KTEST_CASE(sparse_area_reserves_and_maps_nothing),
	KTEST_CASE(remove_vm_area_hands_back_the_struct),
	KTEST_CASE(big_area_has_vmalloced_page_array),
	KTEST_CASE(more_than_ram_fails_quietly),
	KTEST_CASE(freed_range_is_not_reused_before_the_purge),
	KTEST_CASE(lazy_threshold_purges_by_itself),
	KTEST_CASE(public_entries_run_the_mm_check_hook),
	KTEST_CASE(regex_matcher_works),
	KTEST_CASE(vmallocinfo_lines_match_linux_format),
	KTEST_PARAM_CASE(every_failure_point_rolls_back, rollback_params),
	KTEST_CASE(failed_frame_allocation_rolls_back),
	KTEST_CASE(calls_leave_the_interrupt_flag_as_found),
	{}
};

static const struct ktest_suite vmalloc_suite = {
	.name = "vmalloc",
	.cases = vmalloc_cases,
	.init = vm_case_init,
	.exit = vm_case_exit,
};
KTEST_SUITE_REGISTER(vmalloc_suite);
