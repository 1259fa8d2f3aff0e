/*
 * Linux's lib/test_vmalloc.c, run the way that module runs (bench group
 * `vmalloc`; docs/bench.md "vmalloc: Linux's test_vmalloc"). The same
 * scenarios with the same per-loop work, the same module parameters on
 * the kernel command line (`run_test_mask=` or `test_vmalloc.run_test_mask=`,
 * Linux's defaults when absent), the same order (shuffled unless
 * sequential_test_order), no warm-up, no purge between scenarios, and the
 * same report: per worker, one line per selected scenario
 *
 *   Summary: fix_size_alloc_test passed: 1 failed: 0 repeat: 1 loops: 1000000 avg: 123 usec
 *
 * (avg: the time of all repeats in whole microseconds, divided by the
 * repeat count) and "All test took worker0=<cycles> cycles". Workers
 * 1..nr_threads-1 run on the other CPUs through cross-calls, all released
 * together. Scenarios this kernel cannot run (no per-CPU allocator, no RCU)
 * get one "not run" line instead of a Summary line.
 *
 * Without nr_threads and with several CPUs it runs the scaling comparison
 * instead (tv_scaling()), where this kernel departs from Linux's one run per
 * boot: an untimed warm-up, then pairs of runs (1 worker, 2 workers) in the
 * same boot, each scenario's ratio the median over the pairs
 * (docs/bench.md "Scaling: 1 worker, then 2").
 */
#include "kernel/bench.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/sort.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "mm/arch_mmu.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define LINUX_INT_MAX           0x7fffffff
#define TV_THREAD_ALIGN         (16u * 1024)    /* x86-64 THREAD_SIZE without KASAN */
#define TV_FULL_FIT_PAGES       ((32u << 20) / PAGE_SIZE)
#define TV_BUSY_LIST            15000
#define TV_WORKER_TIMEOUT_MS    (24u * 3600 * 1000)

/* The module's parameters (Linux 6.1 / 6.12 names and defaults). */
static struct {
	int nr_threads;                 /* 0: clamped to 1, as Linux does */
	bool sequential_test_order;
	int test_repeat_count;          /* 1 */
	int test_loop_count;            /* 1000000 */
	int nr_pages;                   /* 0: fix_size and vm_map_ram use 1 page */
	bool use_huge;                  /* not supported here */
	int run_test_mask;              /* INT_MAX */
} tv;

struct tv_case_data {
	int passed, failed;
	u64 usec;                       /* Linux's avg: whole usec / repeats */
	u64 ns;                         /* all repeats, for the ns-per-loop figure */
};

struct tv_worker {
	unsigned id;
	u64 rng;
	u64 start, stop;                /* TSC, around all the scenarios */
	int rc;                         /* the cross-call's result */
	struct tv_case_data data[16];
};

static volatile int tv_go;

/*
 * Whether the runs print `# bench:` figures. Scaling mode repeats its runs
 * in pairs and gives figures for the last pair only, so that each figure
 * name appears once in the log; every run prints its Linux lines.
 */
static bool tv_figures = true;

static u32 tv_rand(struct tv_worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (u32)(w->rng >> 16);
}

/* Uniform in [0, n): Linux 6.1's prandom_u32_max() (multiply and shift). */
static u32 tv_rand_below(struct tv_worker *w, u32 n)
{
	return (u32)(((u64)tv_rand(w) * n) >> 32);
}

static unsigned long tv_fix_pages(void)
{
	return tv.nr_pages > 0 ? (unsigned long)tv.nr_pages : 1;
}

/* --- the scenarios (0 passed, -1 failed), as lib/test_vmalloc.c defines them --- */

static int fix_size_alloc_test(struct tv_worker *w)
{
	(void)w;
	for (int i = 0; i < tv.test_loop_count; i++) {
		u8 *p = vmalloc(tv_fix_pages() * PAGE_SIZE);

		if (!p)
			return -1;
		*p = 0;
		vfree(p);
	}
	return 0;
}

static int full_fit_alloc_test(struct tv_worker *w)
{
	unsigned cpus = smp_num_online();
	unsigned len = (32 - __builtin_clz(cpus ? cpus : 1)) * TV_FULL_FIT_PAGES;
	void **ptr = vmalloc(sizeof(void *) * len), **junk;
	int rv = -1;

	(void)w;
	if (!ptr)
		return -1;
	junk = vmalloc(sizeof(void *) * len);
	if (!junk) {
		vfree(ptr);
		return -1;
	}
	for (unsigned i = 0; i < len; i++) {
		ptr[i] = vmalloc(PAGE_SIZE);
		junk[i] = vmalloc(PAGE_SIZE);
	}
	for (unsigned i = 0; i < len; i++)
		vfree(junk[i]);
	for (int i = 0; i < tv.test_loop_count; i++) {
		u8 *p = vmalloc(PAGE_SIZE);

		if (!p)
			goto out;
		*p = 1;
		vfree(p);
	}
	rv = 0;
out:
	for (unsigned i = 0; i < len; i++)
		vfree(ptr[i]);
	vfree(ptr);
	vfree(junk);
	return rv;
}

static int long_busy_list_alloc_test(struct tv_worker *w)
{
	void **ptr = vmalloc(sizeof(void *) * TV_BUSY_LIST);
	int rv = -1;

	(void)w;
	if (!ptr)
		return -1;
	for (int i = 0; i < TV_BUSY_LIST; i++)
		ptr[i] = vmalloc(PAGE_SIZE);
	for (int i = 0; i < tv.test_loop_count; i++) {
		u8 *p1 = vmalloc(100 * PAGE_SIZE), *p2;

		if (!p1)
			goto out;
		p2 = vmalloc(PAGE_SIZE);
		if (!p2) {
			vfree(p1);
			goto out;
		}
		*p1 = 0;
		*p2 = 1;
		vfree(p1);
		vfree(p2);
	}
	rv = 0;
out:
	for (int i = 0; i < TV_BUSY_LIST; i++)
		vfree(ptr[i]);
	vfree(ptr);
	return rv;
}

static int random_size_alloc_test(struct tv_worker *w)
{
	for (int i = 0; i < tv.test_loop_count; i++) {
		unsigned long n = tv_rand_below(w, 100) + 1;
		u8 *p = vmalloc(n * PAGE_SIZE);

		if (!p)
			return -1;
		*p = 1;
		vfree(p);
	}
	return 0;
}

static int fix_align_alloc_test(struct tv_worker *w)
{
	(void)w;
	for (int i = 0; i < tv.test_loop_count; i++) {
		void *p = __vmalloc_node(5 * PAGE_SIZE, TV_THREAD_ALIGN << 1, PFA_ZERO,
					 (void *)THIS_IP);

		if (!p)
			return -1;
		vfree(p);
	}
	return 0;
}

/* One random byte gives both: align 2^(r % 23), size (r % 10 + 1) pages. */
static int random_size_align_alloc_test(struct tv_worker *w)
{
	for (int i = 0; i < tv.test_loop_count; i++) {
		u8 r = (u8)tv_rand(w);
		unsigned long align = 1ul << (r % 23), size = (r % 10 + 1) * PAGE_SIZE;
		void *p = __vmalloc_node(size, align, PFA_ZERO, (void *)THIS_IP);

		if (!p)
			return -1;
		vfree(p);
	}
	return 0;
}

/* Fails by design: raises the alignment until nothing fits. */
static int align_shift_alloc_test(struct tv_worker *w)
{
	(void)w;
	for (int i = 0; i < 64; i++) {
		void *p = __vmalloc_node(PAGE_SIZE, 1ul << i, PFA_ZERO, (void *)THIS_IP);

		if (!p)
			return -1;
		vfree(p);
	}
	return 0;
}

/* Linux maps with vm_map_ram()/vm_unmap_ram(); here vmap()/vunmap() (docs/bench.md). */
static int vm_map_ram_test(struct tv_worker *w)
{
	unsigned long n = tv_fix_pages(), got = 0;
	struct page **pages = kzalloc(n * sizeof(*pages));

	(void)w;
	if (!pages)
		return -1;
	while (got < n && (pages[got] = alloc_page(0)))
		got++;
	for (int i = 0; got == n && i < tv.test_loop_count; i++) {
		u8 *p = vmap(pages, n, VM_MAP, PROT_KERNEL_RW);

		*p = 'a';       /* Linux does not check either: a NULL faults */
		vunmap(p);
	}
	for (unsigned long i = 0; i < got; i++)
		free_page(pages[i]);
	kfree(pages);
	return got != n;
}

struct tv_case {
	const char *name;
	int (*fn)(struct tv_worker *w);
	const char *not_run;            /* why this kernel cannot run it, or NULL */
};

/* In Linux's order: bit i of run_test_mask selects tv_cases[i]. */
static const struct tv_case tv_cases[] = {
	{ "fix_size_alloc_test", fix_size_alloc_test, NULL },
	{ "full_fit_alloc_test", full_fit_alloc_test, NULL },
	{ "long_busy_list_alloc_test", long_busy_list_alloc_test, NULL },
	{ "random_size_alloc_test", random_size_alloc_test, NULL },
	{ "fix_align_alloc_test", fix_align_alloc_test, NULL },
	{ "random_size_align_alloc_test", random_size_align_alloc_test, NULL },
	{ "align_shift_alloc_test", align_shift_alloc_test, NULL },
	{ "pcpu_alloc_test", NULL,
	  "no dynamic per-CPU allocator (__alloc_percpu/free_percpu) in this kernel" },
	{ "kvfree_rcu_1_arg_vmalloc_test", NULL, "no RCU (kvfree_rcu) in this kernel" },
	{ "kvfree_rcu_2_arg_vmalloc_test", NULL, "no RCU (kvfree_rcu) in this kernel" },
	{ "vm_map_ram_test", vm_map_ram_test, NULL },
};
#define TV_NR_CASES ARRAY_SIZE(tv_cases)

static bool tv_selected(unsigned i)
{
	return (tv.run_test_mask >> i) & 1;
}

/* --- the driver, as the module's test_func() / do_concurrent_test() ---------- */

/* Linux's shuffle_array(): j below i, so no scenario keeps its place. */
static void tv_shuffle(struct tv_worker *w, int *order, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)tv_rand_below(w, (u32)i), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
}

static void tv_run_case(struct tv_worker *w, unsigned idx)
{
	struct tv_case_data *d = &w->data[idx];
	u64 start = bench_now(), ns;

	for (int r = 0; r < tv.test_repeat_count; r++) {
		if (!tv_cases[idx].fn(w))
			d->passed++;
		else
			d->failed++;
	}
	ns = bench_cycles_to_ns(bench_now() - start);
	d->ns = ns;
	d->usec = ns / 1000 / (u32)tv.test_repeat_count;
}

static void tv_worker_fn(void *arg)
{
	struct tv_worker *w = arg;
	int order[TV_NR_CASES];

	for (unsigned i = 0; i < TV_NR_CASES; i++)
		order[i] = (int)i;
	if (!tv.sequential_test_order)
		tv_shuffle(w, order, TV_NR_CASES);
	while (!__atomic_load_n(&tv_go, __ATOMIC_ACQUIRE))
		cpu_relax();
	w->start = bench_now();
	for (unsigned i = 0; i < TV_NR_CASES; i++) {
		unsigned idx = (unsigned)order[i];

		if (tv_selected(idx) && tv_cases[idx].fn)
			tv_run_case(w, idx);
	}
	w->stop = bench_now();
}

/* `name=` or `test_vmalloc.name=` (a built-in module's spelling), else `def`. */
static const char *tv_param(const char *name)
{
	char key[64];
	const char *v;

	snprintf(key, sizeof(key), "test_vmalloc.%s", name);
	v = cmdline_get(key);
	return v ? v : cmdline_get(name);
}

static int tv_param_int(const char *name, int def)
{
	const char *v = tv_param(name);
	u64 x;

	if (!v)
		return def;
	if (*v == '-')
		return parse_u64(v + 1, &x) && x <= LINUX_INT_MAX ? -(int)x : def;
	return parse_u64(v, &x) && x <= 0xffffffffull ? (int)(u32)x : def;
}

/* Linux's bool parameters: bare, 1/y/Y true; 0/n/N false. */
static bool tv_param_bool(const char *name, bool def)
{
	const char *v = tv_param(name);

	if (!v)
		return def;
	if (!*v || *v == '1' || *v == 'y' || *v == 'Y')
		return true;
	if (*v == '0' || *v == 'n' || *v == 'N')
		return false;
	return def;
}

static void tv_read_params(void)
{
	tv.nr_threads = tv_param_int("nr_threads", 0);
	tv.sequential_test_order = tv_param_bool("sequential_test_order", false);
	tv.test_repeat_count = tv_param_int("test_repeat_count", 1);
	tv.test_loop_count = tv_param_int("test_loop_count", 1000000);
	tv.nr_pages = tv_param_int("nr_pages", 0);
	tv.use_huge = tv_param_bool("use_huge", false);
	tv.run_test_mask = tv_param_int("run_test_mask", LINUX_INT_MAX);
	/* Linux's init_test_configurtion(): clamp, then at least 1 of each. */
	if (tv.nr_threads < 1)
		tv.nr_threads = 1;
	if (tv.nr_threads > 0xffff)
		tv.nr_threads = 0xffff;
	if (tv.test_repeat_count <= 0)
		tv.test_repeat_count = 1;
	if (tv.test_loop_count <= 0)
		tv.test_loop_count = 1;
}

/* The lines about what this kernel does differently; the workers it can run. */
static unsigned tv_explain(void)
{
	unsigned cpus = smp_num_online(), n = (unsigned)tv.nr_threads;

	printk("test_vmalloc: nr_threads=%d sequential_test_order=%d test_repeat_count=%d "
	       "test_loop_count=%d nr_pages=%d use_huge=%d run_test_mask=%d\n", tv.nr_threads,
	       tv.sequential_test_order, tv.test_repeat_count, tv.test_loop_count, tv.nr_pages,
	       tv.use_huge, tv.run_test_mask);
	if (tv.use_huge)
		printk("test_vmalloc: use_huge=1 not supported (no huge vmalloc mappings): "
		       "fix_size_alloc_test maps 4 KiB pages\n");
	for (unsigned i = 0; i < TV_NR_CASES; i++)
		if (tv_selected(i) && tv_cases[i].not_run)
			printk("test_vmalloc: %s (id %u) not run: %s\n", tv_cases[i].name, 1u << i,
			       tv_cases[i].not_run);
	if (n > cpus || n > SMP_MAX_CPUS) {
		n = cpus < SMP_MAX_CPUS ? cpus : SMP_MAX_CPUS;
		printk("test_vmalloc: nr_threads=%d but %u CPU%s online and no scheduler to share "
		       "them: running %u worker%s, one per CPU\n", tv.nr_threads, cpus,
		       cpus == 1 ? "" : "s", n, n == 1 ? "" : "s");
	}
	return n;
}

/* Posts workers 1..n-1 to the next online CPUs; their CPU numbers in cpu[]. */
static unsigned tv_start_others(struct tv_worker *w, unsigned n, unsigned *cpu)
{
	unsigned started = 1, self = smp_processor_id();

	for (unsigned c = 0; c < SMP_MAX_CPUS && started < n; c++) {
		if (c == self || !smp_cpu_online(c))
			continue;
		if (smp_call_start(c, tv_worker_fn, &w[started])) {
			printk("test_vmalloc: failed to start worker %u on CPU %u\n", started, c);
			continue;
		}
		cpu[started++] = c;
	}
	return started;
}

/* The figure name of worker k of an n-worker run (n <= 2: the names Linux's lines map to). */
static void tv_figure_name(char *buf, size_t size, unsigned n, unsigned k, unsigned idx)
{
	if (n == 1)
		snprintf(buf, size, "vmalloc_%s", tv_cases[idx].name);
	else if (n == 2)
		snprintf(buf, size, "vmalloc_%s_worker%u", tv_cases[idx].name, k);
	else
		snprintf(buf, size, "tv%u_%s_w%u", n, tv_cases[idx].name, k);
}

static void tv_report(const struct tv_worker *w, unsigned n)
{
	char name[80];

	for (unsigned k = 0; k < n; k++) {
		if (w[k].rc)
			printk("test_vmalloc: worker %u did not complete (%d): its figures are "
			       "partial\n", k, w[k].rc);
		for (unsigned i = 0; i < TV_NR_CASES; i++) {
			const struct tv_case_data *d = &w[k].data[i];

			if (!tv_selected(i) || !tv_cases[i].fn)
				continue;
			printk("Summary: %s passed: %d failed: %d repeat: %d loops: %d avg: %llu usec\n",
			       tv_cases[i].name, d->passed, d->failed, tv.test_repeat_count,
			       tv.test_loop_count, (unsigned long long)d->usec);
		}
		printk("All test took worker%u=%llu cycles\n", k,
		       (unsigned long long)(w[k].stop - w[k].start));
	}
	for (unsigned k = 0; k < n && tv_figures; k++)
		for (unsigned i = 0; i < TV_NR_CASES; i++) {
			const struct tv_case_data *d = &w[k].data[i];
			u64 loops = (u64)tv.test_loop_count * (u64)tv.test_repeat_count;

			if (!tv_selected(i) || !tv_cases[i].fn)
				continue;
			tv_figure_name(name, sizeof(name), n, k, i);
			bench_report(name, "usec", d->usec, (u64)tv.test_loop_count, "usec");
			/* align_shift's 64 tries do not follow the loop count */
			if (tv_cases[i].fn != align_shift_alloc_test)
				bench_report(name, "ns_per_loop", d->ns / loops, loops, "ns");
		}
}

/* --- lock contention: acquisitions that had to spin, per mm lock --------------- */

static void tv_lock_reset(spinlock_t *lock, void *arg)
{
	(void)arg;
	lock->contended = 0;
	lock->spun_cycles = 0;
}

/* Locks summed by family: a name's trailing number (the CPU, the zone) dropped. */
#define TV_LOCK_FAMILIES 48

static struct tv_lock_family {
	char name[24];
	unsigned long contended, spun_cycles;
	unsigned locks;
} tv_families[TV_LOCK_FAMILIES];

static void tv_lock_add(spinlock_t *lock, void *arg)
{
	size_t len = strlen(lock->name);
	unsigned i;

	(void)arg;
	while (len > 1 && lock->name[len - 1] >= '0' && lock->name[len - 1] <= '9')
		len--;
	len = MIN(len, sizeof(tv_families[0].name) - 1);
	for (i = 0; i < TV_LOCK_FAMILIES && tv_families[i].locks; i++)
		if (strlen(tv_families[i].name) == len && !memcmp(tv_families[i].name, lock->name, len))
			break;
	if (i == TV_LOCK_FAMILIES)
		return;
	if (!tv_families[i].locks)
		memcpy(tv_families[i].name, lock->name, len);
	tv_families[i].locks++;
	tv_families[i].contended += lock->contended;
	tv_families[i].spun_cycles += lock->spun_cycles;
}

/* One line per lock family that had to spin ("vmap_busy (16 locks)"). */
static void tv_lock_print(unsigned n)
{
	char name[64], label[40];

	memset(tv_families, 0, sizeof(tv_families));
	mm_for_each_lock(tv_lock_add, NULL);
	for (unsigned i = 0; i < TV_LOCK_FAMILIES && tv_families[i].locks; i++) {
		const struct tv_lock_family *f = &tv_families[i];
		u64 us = bench_cycles_to_ns(f->spun_cycles) / 1000;

		if (!f->contended)
			continue;
		if (f->locks > 1)
			snprintf(label, sizeof(label), "%s (%u locks)", f->name, f->locks);
		else
			snprintf(label, sizeof(label), "%s", f->name);
		printk("test_vmalloc: %u worker%s: lock %-24s contended %lu times, spun %llu usec\n", n,
		       n == 1 ? "" : "s", label, f->contended, (unsigned long long)us);
		if (!tv_figures)
			continue;
		snprintf(name, sizeof(name), "tv%u_lock_%s", n, f->name);
		bench_report(name, "contended", f->contended, 0, NULL);
		bench_report(name, "spun_usec", us, 0, "usec");
	}
}

/*
 * Puts the allocators back as a boot leaves them: every lazy and pooled
 * range in the free tree (one range again), every slab magazine and per-CPU
 * frame list emptied. Each run starts from this, so the 2-worker run
 * does not inherit CPU 0's warm caches and the tree the 1-worker run cut
 * up, as Linux's figures come from one boot per nr_threads.
 */
static void tv_settle(void)
{
	vm_unmap_aliases();
	slab_flush_all_caches();
	pfa_drain_all();
}

/* Runs every selected scenario on n workers (n >= 1 CPUs online); w[0..n) keep the figures. */
static unsigned tv_run(struct tv_worker *w, unsigned n)
{
	unsigned cpu[SMP_MAX_CPUS] = { 0 };
	struct vmap_stats before, after;

	tv_settle();
	for (unsigned k = 0; k < n; k++)
		w[k] = (struct tv_worker){ .id = k, .rng = 0x9e3779b97f4a7c15ull * (k + 1) };
	mm_for_each_lock(tv_lock_reset, NULL);
	vmap_get_stats(&kernel_vmap_space, &before);
	tv_go = 0;
	n = tv_start_others(w, n, cpu);
	__atomic_store_n(&tv_go, 1, __ATOMIC_RELEASE);
	tv_worker_fn(&w[0]);
	for (unsigned k = 1; k < n; k++)
		w[k].rc = smp_call_wait(cpu[k], TV_WORKER_TIMEOUT_MS);
	tv_report(w, n);
	vmap_get_stats(&kernel_vmap_space, &after);
	printk("test_vmalloc: %u worker%s: vmap areas from the per-CPU pools %lu (aligned %lu, "
	       "cut from a larger range %lu), from the free tree %lu (aligned %lu), batch refills "
	       "%lu, purges %lu\n", n, n == 1 ? "" : "s", after.pool_hits - before.pool_hits,
	       after.pool_aligned_hits - before.pool_aligned_hits,
	       after.pool_splits - before.pool_splits,
	       after.tree_allocs - before.tree_allocs,
	       after.tree_aligned_allocs - before.tree_aligned_allocs,
	       after.pool_refills - before.pool_refills, after.nr_purges - before.nr_purges);
	printk("test_vmalloc: %u worker%s: mm locks that had to spin (others: never):\n", n,
	       n == 1 ? "" : "s");
	tv_lock_print(n);
	return n;
}

/* "1.93" for a ratio in hundredths. */
static const char *tv_hundredths(char *buf, size_t size, u64 x100)
{
	snprintf(buf, size, "%llu.%02llu", (unsigned long long)(x100 / 100),
		 (unsigned long long)(x100 % 100));
	return buf;
}

/* Scenarios the ratio table compares: align_shift's 64 tries fail by design. */
static bool tv_compared(unsigned i)
{
	return tv_selected(i) && tv_cases[i].fn && tv_cases[i].fn != align_shift_alloc_test;
}

/*
 * One pair's scaling table: throughput with two workers over throughput
 * with one, 2 x t1 / mean(t2 of each worker), per scenario (1.00: no gain,
 * 2.00: each worker as fast as one alone); the ratios, in hundredths, go
 * into x100[].
 */
static void tv_ratio_table(const struct tv_worker *one, const struct tv_worker *two, u64 *x100)
{
	char r[16];

	printk("test_vmalloc: throughput ratio 2 workers / 1 worker = 2 x t1 / mean(t2)\n");
	printk("test_vmalloc: %-30s %12s %12s %12s %6s\n", "scenario", "1w usec", "2w w0 usec",
	       "2w w1 usec", "ratio");
	for (unsigned i = 0; i < TV_NR_CASES; i++) {
		u64 t1 = one->data[i].usec, a = two[0].data[i].usec, b = two[1].data[i].usec;

		x100[i] = a + b ? t1 * 400 / (a + b) : 0;
		if (!tv_compared(i))
			continue;
		printk("test_vmalloc: %-30s %12llu %12llu %12llu %6s\n", tv_cases[i].name,
		       (unsigned long long)t1, (unsigned long long)a, (unsigned long long)b,
		       tv_hundredths(r, sizeof(r), x100[i]));
	}
}

/* The median of v[0..n), n >= 1 (sorts v); of an even count, the mean of the middle two. */
static u64 tv_median(u64 *v, unsigned n)
{
	sort_u64(v, n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define TV_MAX_PAIRS 32

/* Each scenario's median ratio over the pairs (every pair's after it), and its figure. */
static void tv_median_table(u64 (*x100)[TV_NR_CASES], unsigned pairs)
{
	char r[16], name[64], list[TV_MAX_PAIRS * 6 + 1];
	u64 v[TV_MAX_PAIRS];

	printk("test_vmalloc: median ratio over %u pair%s of runs, then each pair's\n", pairs,
	       pairs == 1 ? "" : "s");
	for (unsigned i = 0; i < TV_NR_CASES; i++) {
		size_t len = 0;

		if (!tv_compared(i))
			continue;
		for (unsigned p = 0; p < pairs; p++) {
			v[p] = x100[p][i];
			len += (size_t)snprintf(list + len, sizeof(list) - len, " %s",
						tv_hundredths(r, sizeof(r), v[p]));
		}
		v[0] = tv_median(v, pairs);
		printk("test_vmalloc: median %-30s %6s  [%s ]\n", tv_cases[i].name,
		       tv_hundredths(r, sizeof(r), v[0]), list);
		snprintf(name, sizeof(name), "vmalloc_ratio_%s", tv_cases[i].name);
		bench_report(name, "ratio_x100", v[0], pairs, NULL);
	}
}

/*
 * One untimed run of the selected scenarios on this CPU, before the pairs:
 * the first run in a boot also pays for first use (QEMU translating the
 * code it runs, the host's first touch of each guest frame, the first page
 * tables of the range), and without it only the 1-worker run of the first
 * pair would.
 */
static void tv_warm_up(struct tv_worker *w)
{
	u64 start = bench_now();

	tv_settle();
	*w = (struct tv_worker){ .rng = 0x9e3779b97f4a7c15ull };
	__atomic_store_n(&tv_go, 1, __ATOMIC_RELEASE);
	tv_worker_fn(w);
	printk("test_vmalloc: warm-up run on 1 worker, not reported: %llu usec\n",
	       (unsigned long long)(bench_cycles_to_ns(bench_now() - start) / 1000));
}

/*
 * Scaling mode: the warm-up (unless scaling_warmup=0), then scaling_pairs
 * (default 3) pairs of runs, 1 worker then 2, each with Linux's lines and
 * its table; the last pair gives the per-run figures, the medians the
 * ratio figures. Then one worker per CPU if more than 2 (reported, not
 * compared: the host has 2 cores).
 */
static void tv_scaling(struct tv_worker *w, struct tv_worker *one, unsigned cpus)
{
	static u64 x100[TV_MAX_PAIRS][TV_NR_CASES];
	int asked = tv_param_int("scaling_pairs", 3);
	unsigned pairs = (unsigned)(asked < 1 ? 1 : asked > TV_MAX_PAIRS ? TV_MAX_PAIRS : asked);
	bool warm_up = tv_param_bool("scaling_warmup", true);
	unsigned done = 0;

	printk("test_vmalloc: scaling runs: %s%u pair%s of nr_threads=1, then 2%s\n",
	       warm_up ? "a warm-up, then " : "", pairs, pairs == 1 ? "" : "s",
	       cpus > 2 ? "; then one worker per CPU" : "");
	if (warm_up)
		tv_warm_up(one);
	for (unsigned p = 0; p < pairs; p++) {
		tv_figures = p + 1 == pairs;
		tv_run(one, 1);
		if (tv_run(w, 2) != 2)
			break;
		tv_ratio_table(one, w, x100[done++]);
	}
	tv_figures = true;
	if (done)
		tv_median_table(x100, done);
	if (cpus > 2)
		tv_run(w, cpus);
}

/*
 * Without nr_threads on the command line and with several CPUs: the
 * scaling runs (tv_scaling()). Otherwise as Linux runs.
 */
static void bench_test_vmalloc(void)
{
	bool scaling = !tv_param("nr_threads") && smp_num_online() > 1;
	unsigned n, cpus = smp_num_online() < SMP_MAX_CPUS ? smp_num_online() : SMP_MAX_CPUS;
	struct tv_worker *w;

	tv_read_params();
	n = tv_explain();
	if (KCONFIG_DEBUG)
		printk("test_vmalloc: KCONFIG_DEBUG=1, poisoning is on: figures are not representative\n");
	w = kzalloc((1 + cpus) * sizeof(*w));
	if (!w) {
		printk("test_vmalloc: out of memory for %u workers\n", cpus);
		return;
	}
	if (scaling)
		tv_scaling(w, &w[cpus], cpus);
	else
		tv_run(w, n);
	kfree(w);
}
KBENCH("vmalloc", bench_test_vmalloc);
