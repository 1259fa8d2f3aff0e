/*
 * Fault reports for the vmalloc range (mm/vmalloc_fault): a real page
 * fault is taken at each kind of place, caught with ktest_catch_fault(),
 * and the report must hold exactly one "vmalloc:" line that names what is
 * there: a live area (with its size, kind and caller), its guard page, an
 * unmapped page of a sparse area, a recently freed area (with the
 * function and caller that freed it), or nothing. The explainer must not
 * wait for the vmap lock the faulting code may hold, and must stay out of
 * faults elsewhere.
 */
#include "tests/ktest.h"
#include "tests/mm_state.h"
#include "tests/ktest_leak.h"
#include "tests/ktest_smp.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmalloc_fault.h"
#include "mm/vmap_area.h"


static struct ktest_leak fr_leak;
static struct ktest_fault fr_fault;     /* 2 KiB of report: not on the stack */

/* Until mm_init() registers it, the suite does (registering twice is a no-op). */
static int fr_suite_init(void)
{
	return vmalloc_fault_init();
}

static int fr_init(struct ktest *t)
{
	return ktest_leak_begin(&fr_leak);
}

static void fr_exit(struct ktest *t)
{
	ktest_leak_end(t, &fr_leak, KTEST_LEAK_COUNT_WARNINGS);
}

/* --- what faults ----------------------------------------------------------- */

static void read_at(void *addr)
{
	(void)*(volatile u64 *)addr;
}

static void write_at(void *addr)
{
	*(volatile u64 *)addr = 0x5eed;
}

static void exec_at(void *addr)
{
	((void (*)(void))addr)();
}

/* Occurrences of `needle` in `haystack`. */
static unsigned count_of(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	unsigned count = 0;

	for (; *haystack; haystack++)
		if (!strncmp(haystack, needle, n))
			count++;
	return count;
}

/*
 * Faults with fn(addr) and checks that the report has exactly one
 * "vmalloc:" line and that it starts with `want`.
 */
static void expect_report(struct ktest *t, void (*fn)(void *), unsigned long addr,
			  const char *want)
{
	ktest_expect_fault(t, 1);
	ASSERT_TRUE(t, ktest_catch_fault(t, fn, (void *)addr, &fr_fault));
	EXPECT_TRUE(t, fr_fault.info.page_fault);
	EXPECT_EQ(t, fr_fault.info.addr, addr);
	EXPECT_EQ(t, count_of(fr_fault.report, "vmalloc: "), 1);
	if (!ktest_contains(fr_fault.report, want))
		KTEST_FAIL(t, "the report lacks \"%s\"", want);
}

/* --- live areas -------------------------------------------------------------- */

static void write_to_read_only_vmap_names_the_area(struct ktest *t)
{
	struct page *frames[2] = { alloc_page(0), alloc_page(0) };
	char want[160];
	u8 *p;

	ASSERT_TRUE(t, frames[0] && frames[1]);
	p = vmap(frames, 2, 0, PROT_KERNEL_RO);
	ASSERT_NOT_NULL(t, p);
	snprintf(want, sizeof(want),
		 "vmalloc: 0x%lx is in area 0x%lx-0x%lx (12288 bytes, vmap, caller "
		 "write_to_read_only_vmap_names_the_area+0x", (unsigned long)p + PAGE_SIZE + 8,
		 (unsigned long)p, (unsigned long)p + 3 * PAGE_SIZE);
	expect_report(t, write_at, (unsigned long)p + PAGE_SIZE + 8, want);
	EXPECT_TRUE(t, fr_fault.info.present);         /* a protection fault */
	vunmap(p);
	free_page(frames[0]);
	free_page(frames[1]);
}

static void exec_of_vmalloc_memory_names_the_area(struct ktest *t)
{
	u8 *p = vmalloc(3 * PAGE_SIZE);
	char want[160];

	ASSERT_NOT_NULL(t, p);
	memset(p, 0xc3, 3 * PAGE_SIZE);                /* `ret`, if NX ever failed */
	snprintf(want, sizeof(want),
		 "vmalloc: 0x%lx is in area 0x%lx-0x%lx (16384 bytes, vmalloc, caller "
		 "exec_of_vmalloc_memory_names_the_area+0x", (unsigned long)p + 2 * PAGE_SIZE,
		 (unsigned long)p, (unsigned long)p + 4 * PAGE_SIZE);
	expect_report(t, exec_at, (unsigned long)p + 2 * PAGE_SIZE, want);
	EXPECT_TRUE(t, fr_fault.info.fetch);
	vfree(p);
}

static void guard_page_is_named(struct ktest *t)
{
	u8 *p = vmalloc(2 * PAGE_SIZE);
	char want[160];

	ASSERT_NOT_NULL(t, p);
	snprintf(want, sizeof(want),
		 "vmalloc: 0x%lx is the guard page of area 0x%lx-0x%lx (caller "
		 "guard_page_is_named+0x", (unsigned long)p + 2 * PAGE_SIZE + 0x10,
		 (unsigned long)p, (unsigned long)p + 3 * PAGE_SIZE);
	expect_report(t, read_at, (unsigned long)p + 2 * PAGE_SIZE + 0x10, want);
	vfree(p);
}

static void unmapped_page_of_sparse_area_is_named(struct ktest *t)
{
	struct vm_struct *area = get_vm_area(4 * PAGE_SIZE, VM_SPARSE);
	struct page *frame = alloc_page(PFA_ZERO);
	unsigned long a;
	char want[160];

	ASSERT_TRUE(t, area && frame);
	a = (unsigned long)area->addr;
	ASSERT_EQ(t, vm_area_map_pages(area, a + PAGE_SIZE, a + 2 * PAGE_SIZE, &frame), 0);
	snprintf(want, sizeof(want),
		 "vmalloc: 0x%lx is an unmapped page of sparse area 0x%lx-0x%lx (caller "
		 "unmapped_page_of_sparse_area_is_named+0x", a + 2 * PAGE_SIZE, a, a + 5 * PAGE_SIZE);
	expect_report(t, write_at, a + 2 * PAGE_SIZE, want);

	/* The mapped page is "in area": fetching from it breaks NX, not presence. */
	snprintf(want, sizeof(want),
		 "vmalloc: 0x%lx is in area 0x%lx-0x%lx (20480 bytes, sparse, caller "
		 "unmapped_page_of_sparse_area_is_named+0x", a + PAGE_SIZE, a, a + 5 * PAGE_SIZE);
	expect_report(t, exec_at, a + PAGE_SIZE, want);

	vm_area_unmap_pages(area, a, a + 4 * PAGE_SIZE);
	free_vm_area(area);
	free_page(frame);
}

/* A reservation with nothing mapped: a missing page, not a sparse one. */
static void reserved_area_is_named(struct ktest *t)
{
	struct vm_struct *area = get_vm_area(PAGE_SIZE, 0);
	unsigned long a;
	char want[160];

	ASSERT_NOT_NULL(t, area);
	a = (unsigned long)area->addr;
	snprintf(want, sizeof(want),
		 "vmalloc: 0x%lx is in area 0x%lx-0x%lx (8192 bytes, reserved, caller "
		 "reserved_area_is_named+0x", a, a, a + 2 * PAGE_SIZE);
	expect_report(t, read_at, a, want);
	free_vm_area(area);
}

/* --- freed areas --------------------------------------------------------------- */

struct freed_kind {
	const char *desc;
	const char *fn;                 /* named in the report */
	const char *freer;              /* the function that calls it */
	unsigned long (*make)(void);    /* returns the area's start */
	void (*free)(unsigned long start);
};

static unsigned long make_vmalloc(void)
{
	return (unsigned long)vmalloc(3 * PAGE_SIZE);
}

static __noinline void freer_vfree(unsigned long start)
{
	vfree((void *)start);
	barrier();                      /* not a tail call: the caller is this function */
}

static struct page *freed_frame;        /* the vmap and sparse kinds' page */

static unsigned long make_vmap(void)
{
	return (unsigned long)vmap(&freed_frame, 1, 0, PROT_KERNEL_RW);
}

static __noinline void freer_vunmap(unsigned long start)
{
	vunmap((void *)start);
	barrier();
}

static unsigned long make_sparse(void)
{
	struct vm_struct *area = get_vm_area(3 * PAGE_SIZE, VM_SPARSE);

	if (!area)
		return 0;
	if (vm_area_map_pages(area, (unsigned long)area->addr, (unsigned long)area->addr + PAGE_SIZE,
			      &freed_frame)) {
		free_vm_area(area);
		return 0;
	}
	return (unsigned long)area->addr;
}

static __noinline void freer_free_vm_area(unsigned long start)
{
	struct vm_struct *area = find_vm_area((void *)start);

	vm_area_unmap_pages(area, start, start + PAGE_SIZE);
	free_vm_area(area);
	barrier();
}

static const struct freed_kind freed_kinds[] = {
	{ "vfree", "vfree", "freer_vfree", make_vmalloc, freer_vfree },
	{ "vunmap", "vunmap", "freer_vunmap", make_vmap, freer_vunmap },
	{ "free_vm_area_sparse", "free_vm_area", "freer_free_vm_area", make_sparse,
	  freer_free_vm_area },
};

static void describe_freed(const struct freed_kind *k, char *desc)
{
	snprintf(desc, KTEST_DESC_MAX, "%s", k->desc);
}

KTEST_ARRAY_PARAM(freed_params, freed_kinds, describe_freed);

static void freed_area_names_who_freed_it(struct ktest *t)
{
	const struct freed_kind *k = t->param;
	struct vm_struct *area;
	unsigned long a, end;
	char want[192];

	freed_frame = alloc_page(0);
	ASSERT_NOT_NULL(t, freed_frame);
	a = k->make();
	ASSERT_NE(t, a, 0);
	area = find_vm_area((void *)a);
	ASSERT_NOT_NULL(t, area);
	end = a + area->size;
	k->free(a);
	vm_unmap_aliases();             /* no stale translation: the access must fault */
	ASSERT_NULL(t, find_vm_area((void *)a));
	snprintf(want, sizeof(want), "vmalloc: 0x%lx is in a freed area 0x%lx-0x%lx, freed by %s+0x",
		 a + 8, a, end, k->freer);
	expect_report(t, read_at, a + 8, want);
	snprintf(want, sizeof(want), " (%s)\n", k->fn);
	EXPECT_TRUE(t, ktest_contains(fr_fault.report, want));
	free_page(freed_frame);
}

/* A freed range handed out again is reported as the new area, not as freed. */
static void reused_range_names_the_new_area(struct ktest *t)
{
	void *old = vmalloc(PAGE_SIZE);
	struct vm_struct *area;
	char want[160];

	ASSERT_NOT_NULL(t, old);
	vfree(old);
	vm_unmap_aliases();
	area = get_vm_area(PAGE_SIZE, 0);
	ASSERT_NOT_NULL(t, area);
	if (area->addr != old) {
		free_vm_area(area);
		ktest_skip(t, "the range was not handed out again");
	}
	snprintf(want, sizeof(want), "vmalloc: 0x%lx is in area 0x%lx-0x%lx (8192 bytes, reserved",
		 (unsigned long)old, (unsigned long)old, (unsigned long)old + 2 * PAGE_SIZE);
	expect_report(t, read_at, (unsigned long)old, want);
	EXPECT_FALSE(t, ktest_contains(fr_fault.report, "freed"));
	free_vm_area(area);
}

/* The history holds the last VMALLOC_FREE_HISTORY frees; older ones are "no area". */
static void history_forgets_the_oldest(struct ktest *t)
{
	enum { N = VMALLOC_FREE_HISTORY };
	void *first = vmalloc(PAGE_SIZE), **more = kzalloc(N * sizeof(void *));
	char want[96];

	ASSERT_TRUE(t, first && more);
	for (unsigned i = 0; i < N; i++)
		ASSERT_NOT_NULL(t, more[i] = vmalloc(PAGE_SIZE));
	vfree(first);
	for (unsigned i = 0; i < N; i++)
		vfree(more[i]);
	vm_unmap_aliases();
	snprintf(want, sizeof(want), "vmalloc: 0x%lx is in no area", (unsigned long)first);
	expect_report(t, read_at, (unsigned long)first, want);
	snprintf(want, sizeof(want), "vmalloc: 0x%lx is in a freed area 0x%lx-", (unsigned long)more[0],
		 (unsigned long)more[0]);
	expect_report(t, read_at, (unsigned long)more[0], want);
	kfree(more);
}

struct refree {
	void *want, *got;
};

/* On another CPU: a one-page vmalloc, freed again at once (this function is the caller named). */
static void vmalloc_and_vfree_on_other_cpu(struct ktest *t, void *arg)
{
	struct refree *r = arg;

	(void)t;
	r->got = vmalloc(PAGE_SIZE);
	vfree(r->got);
	barrier();                      /* not a tail call: the caller is this function */
}

/*
 * Of two frees of one range on two CPUs, the later is named: each CPU has
 * its own history, and the reuse epoch orders frees across them. The range
 * is the lowest fit of CPU 1's home region, which CPU 1's vmalloc gets.
 */
static void later_free_on_another_cpu_is_named(struct ktest *t)
{
	unsigned long home = vmap_home_start(&kernel_vmap_space, 1);
	struct refree r = { 0 };
	char want[192];
	unsigned long a;

	if (smp_num_online() < 2)
		ktest_skip(t, "one CPU online (boot with --smp 2 or more)");
	vm_unmap_aliases();
	r.want = __vmalloc_node_range(PAGE_SIZE, PAGE_SIZE, home, VMALLOC_END, 0, PROT_KERNEL_RW,
				      0, __builtin_return_address(0));
	ASSERT_NOT_NULL(t, r.want);
	vfree(r.want);
	vm_unmap_aliases();             /* back in the free tree: CPU 1's lowest fit again */
	ASSERT_EQ(t, ktest_run_on_cpu(t, 1, vmalloc_and_vfree_on_other_cpu, &r), 0);
	vm_unmap_aliases();
	if (r.got != r.want)
		ktest_skip(t, "CPU 1 was not handed the range again");
	a = (unsigned long)r.want;
	snprintf(want, sizeof(want), "vmalloc: 0x%lx is in a freed area 0x%lx-0x%lx, freed by "
		 "vmalloc_and_vfree_on_other_cpu+0x", a, a, a + 2 * PAGE_SIZE);
	expect_report(t, read_at, a, want);
}

/* --- nothing there, and when it cannot look ------------------------------------- */

static void address_in_no_area_says_so(struct ktest *t)
{
	unsigned long a = VMALLOC_START + (31ul << 40) + 0x123008;
	char want[96];

	if (find_vm_area((void *)a))
		ktest_skip(t, "0x%lx is in use", a);
	snprintf(want, sizeof(want), "vmalloc: 0x%lx is in no area\n", a);
	expect_report(t, write_at, a, want);
}

static void busy_vmap_lock_is_not_waited_for(struct ktest *t)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long a = VMALLOC_START + (31ul << 40) + 0x5000;
	struct vmap_busy_hold hold;
	char want[96];
	bool faulted;

	ktest_expect_fault(t, 1);
	vmap_busy_lock_start(s, a, &hold);     /* as if the faulting code held its zone */
	faulted = ktest_catch_fault(t, read_at, (void *)a, &fr_fault);
	vmap_busy_unlock(&hold);
	ASSERT_TRUE(t, faulted);
	snprintf(want, sizeof(want), "vmalloc: 0x%lx: cannot look it up (vmap lock busy)", a);
	EXPECT_TRUE(t, ktest_contains(fr_fault.report, want));
	EXPECT_EQ(t, count_of(fr_fault.report, "vmalloc: "), 1);
}

static void fault_outside_the_range_has_no_vmalloc_line(struct ktest *t)
{
	ktest_expect_fault(t, 2);
	ASSERT_TRUE(t, ktest_catch_fault(t, read_at, (void *)(VMALLOC_START - PAGE_SIZE), &fr_fault));
	EXPECT_EQ(t, count_of(fr_fault.report, "vmalloc: "), 0);
	ASSERT_TRUE(t, ktest_catch_fault(t, read_at, (void *)VMALLOC_END, &fr_fault));
	EXPECT_EQ(t, count_of(fr_fault.report, "vmalloc: "), 0);
}

static const struct ktest_case fault_report_cases[] = {
	KTEST_CASE(write_to_read_only_vmap_names_the_area),
	KTEST_CASE(exec_of_vmalloc_memory_names_the_area),
	KTEST_CASE(guard_page_is_named),
	KTEST_CASE(unmapped_page_of_sparse_area_is_named),
	KTEST_CASE(reserved_area_is_named),
	KTEST_PARAM_CASE(freed_area_names_who_freed_it, freed_params),
	KTEST_CASE(reused_range_names_the_new_area),
	KTEST_CASE(history_forgets_the_oldest),
	KTEST_CASE(later_free_on_another_cpu_is_named),
	KTEST_CASE(address_in_no_area_says_so),
	KTEST_CASE(busy_vmap_lock_is_not_waited_for),
	KTEST_CASE(fault_outside_the_range_has_no_vmalloc_line),
	{}
};

static const struct ktest_suite fault_report_suite = {
	.name = "fault_report",
	.cases = fault_report_cases,
	.suite_init = fr_suite_init,
	.init = fr_init,
	.exit = fr_exit,
};
KTEST_SUITE_REGISTER(fault_report_suite);
