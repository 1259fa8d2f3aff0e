/*
 * Suite smp_stress: the memory subsystem's random model (tests/mm_model.h)
 * on every CPU at once, over the allocators they share (docs/smp.md,
 * "Concurrent stress"). Each round:
 *
 *   1. every CPU runs `smp_stress.ops` seeded operations against its own
 *      model (vmalloc/vfree, vmap/vunmap, get_vm_area/free_vm_area, arenas,
 *      kmalloc, frames...); its sparse operations also map and unmap in its
 *      own slice of one area all CPUs share;
 *   2. all parked: mm_check_all(), the busy areas and warnings of the
 *      machine against the models' sum, then each CPU checks its model;
 *   3. every CPU maps random ranges of one zone of the shared area that
 *      all CPUs aim at: each map succeeds or is refused with -EBUSY (one
 *      warning), never taking or changing another CPU's pages; then each
 *      unmaps what it won;
 *   4. every CPU reads the same page of a fault-in arena at the same
 *      moment: one frame wins, every CPU sees it and the others' writes,
 *      and no frame is left behind.
 *
 * The seed is printed; ktest.seed=S replays each CPU's operations (not
 * their interleaving). Skipped on one CPU; `make stress` runs many rounds.
 */
#include "tests/ktest.h"
#include "tests/ktest_rand.h"
#include "tests/ktest_smp.h"
#include "tests/mm_model.h"
#include "tests/mm_state.h"
#include "kernel/bench.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/panic.h"
#include "kernel/probe.h"
#include "kernel/smp.h"
#include "mm/arena.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define ROUNDS_DEFAULT  5       /* `make test`; smp_stress.rounds= */
#define OPS_DEFAULT     300     /* per CPU and round, at most; smp_stress.ops= */
#define SLICE_PAGES     32      /* each CPU's slice of the shared area */
#define ZONE_PAGES      16      /* the part every CPU aims at */
#define ZONE_TRIES      6       /* maps per CPU and round */
#define ZONE_RUN        4       /* pages per map, at most */
#define RACE_PAGES      4       /* arena pages faulted in by all CPUs at once */
#define BARRIER_MS      2000
#define ROUND_MS        2000    /* a round's operations stop early past this (a slow host) */
#define CHUNK_OPS       20

struct cpu_state {
	struct model *model;
	struct mm_model_config cfg;
	struct mm_model_result res;
	u64 won;                                /* zone pages this CPU mapped */
	struct page *frames[ZONE_PAGES];        /* ... and their frames */
	unsigned busy;                          /* its maps refused with -EBUSY */
	char problem[128];                      /* what went wrong, reported by the boot CPU */
	struct page *seen[RACE_PAGES];          /* the frame each race page had */
	u64 first_read[RACE_PAGES], final[RACE_PAGES];
};

static struct {
	struct ktest *t;
	u64 seed;
	unsigned long ops;
	unsigned round, nr_cpus, slots;
	struct vm_struct *shared;               /* slots * SLICE_PAGES, then the zone */
	struct arena *arena;
	unsigned long base_busy, base_warnings, warnings;
	unsigned barrier_count, barrier_gen;
	struct cpu_state cpu[SMP_MAX_CPUS];
} S;

static struct cpu_state *me(void)
{
	return &S.cpu[smp_processor_id()];
}

static void log_line(const char *line)
{
	ktest_log(S.t, "model: CPU %u: %s", smp_processor_id(), line);
}

static void problem(struct cpu_state *st, const char *fmt, ...) __printf(2, 3);
static void problem(struct cpu_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->problem[0])
		return;                 /* the first one says it */
	va_start(ap, fmt);
	vsnprintf(st->problem, sizeof(st->problem), fmt, ap);
	va_end(ap);
}

/* Every CPU of the run waits here for the others; false after BARRIER_MS. */
static bool all_cpus_meet(void)
{
	unsigned gen = __atomic_load_n(&S.barrier_gen, __ATOMIC_ACQUIRE);
	u64 start = bench_now();

	if (__atomic_add_fetch(&S.barrier_count, 1, __ATOMIC_ACQ_REL) == S.nr_cpus) {
		__atomic_store_n(&S.barrier_count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&S.barrier_gen, gen + 1, __ATOMIC_RELEASE);
		return true;
	}
	while (__atomic_load_n(&S.barrier_gen, __ATOMIC_ACQUIRE) == gen) {
		cpu_relax();
		arch_spin_poll();       /* serves shootdowns: the deadlock rule (docs/smp.md) */
		if (bench_cycles_to_ns(bench_now() - start) > BARRIER_MS * 1000000ull)
			return false;
	}
	return true;
}

/* --- reporting on the boot CPU ------------------------------------------------------ */

/* Each CPU's recorded problem becomes a failure of the case; true if there was none. */
static bool report_problems(struct ktest *t, const char *phase)
{
	bool clean = true;

	for (unsigned c = 0; c < SMP_MAX_CPUS; c++) {
		if (!S.cpu[c].problem[0])
			continue;
		KTEST_FAIL(t, "round %u, %s: CPU %u: %s", S.round, phase, c, S.cpu[c].problem);
		S.cpu[c].problem[0] = '\0';
		clean = false;
	}
	return clean;
}

/* --- 1 and 2: the models, and the quiescent point -------------------------------- */

/*
 * Up to S.ops operations, fewer if the round runs past ROUND_MS, far from
 * the harness's limit for a CPU's part (KTEST_SMP_TIMEOUT_MS). Each CPU's
 * sequence of operations is its seed's whatever the rounds' lengths.
 */
static void run_model(struct ktest *t, void *arg)
{
	struct cpu_state *st = me();
	u64 start = bench_now();
	unsigned long done = 0, n;
	int err = 0;

	(void)arg;
	while (!err && done < S.ops &&
	       bench_cycles_to_ns(bench_now() - start) < ROUND_MS * 1000000ull) {
		n = MIN((unsigned long)CHUNK_OPS, S.ops - done);
		err = mm_model_shared_steps(st->model, n, &st->res);
		done += n;
	}
	EXPECT_EQ(t, err, 0);
}

static unsigned long held_areas[SMP_MAX_CPUS];

static void check_model(struct ktest *t, void *arg)
{
	(void)arg;
	EXPECT_EQ(t, mm_model_shared_check(me()->model, &held_areas[smp_processor_id()]), 0);
}

/* All CPUs parked: the whole machine against the sum of the models. */
static void quiescent_check(struct ktest *t)
{
	unsigned long busy = S.base_busy;
	struct vmap_stats st;

	EXPECT_EQ(t, mm_check_all(), 0);
	ktest_on_each_cpu(t, check_model, NULL);
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		busy += held_areas[c];
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_EQ(t, st.nr_busy, busy);
	EXPECT_EQ(t, warn_count(), S.base_warnings + S.warnings);
}

/* --- 3: maps at overlapping ranges of one zone -------------------------------------- */

static unsigned long zone_va(unsigned long page)
{
	return (unsigned long)S.shared->addr + (S.slots * SLICE_PAGES + page) * PAGE_SIZE;
}

static u64 claim_word(unsigned cpu, unsigned long page)
{
	return 0x5a5a000000000000ull | (u64)S.round << 32 | cpu << 16 | page;
}

/* A map the model of the zone (won pages) says may succeed: every page's word reads back. */
static void claimed(struct cpu_state *st, unsigned long first, unsigned long n,
		    struct page **pages)
{
	unsigned cpu = smp_processor_id();
	u64 v = 0;

	for (unsigned long i = 0; i < n; i++) {
		st->frames[first + i] = pages[i];
		if (probe_read_u64(zone_va(first + i), &v) || v != claim_word(cpu, first + i))
			problem(st, "zone page %lu reads 0x%llx after its map, not 0x%llx",
				first + i, (unsigned long long)v,
				(unsigned long long)claim_word(cpu, first + i));
	}
	st->won |= ((1ull << n) - 1) << first;
}

/* Refused: none of the pages is this CPU's frame, and the frames are given back. */
static void refused(struct cpu_state *st, unsigned long first, unsigned long n,
		    struct page **pages)
{
	for (unsigned long i = 0; i < n; i++) {
		if (vmalloc_to_page((void *)zone_va(first + i)) == pages[i])
			problem(st, "a refused map left zone page %lu mapped", first + i);
		free_page(pages[i]);
	}
	st->busy++;
}

static void try_claim(struct cpu_state *st, struct ktest_rand *r)
{
	unsigned long first = ktest_rand_below(r, ZONE_PAGES), n;
	struct page *pages[ZONE_RUN];
	int err;

	n = ktest_rand_between(r, 1, MIN((unsigned long)ZONE_RUN, ZONE_PAGES - first));
	if (st->won & (((1ull << n) - 1) << first))
		return;                 /* its own pages: nothing to learn */
	for (unsigned long i = 0; i < n; i++) {
		pages[i] = alloc_page(PFA_ZERO);
		if (!pages[i]) {
			problem(st, "out of frames");
			while (i--)
				free_page(pages[i]);
			return;
		}
		*(u64 *)page_address(pages[i]) = claim_word(smp_processor_id(), first + i);
	}
	err = vm_area_map_pages(S.shared, zone_va(first), zone_va(first + n), pages);
	if (!err)
		claimed(st, first, n, pages);
	else if (err == -EBUSY)
		refused(st, first, n, pages);
	else
		problem(st, "vm_area_map_pages(zone pages %lu + %lu) = %d", first, n, err);
}

static void claim_zone(struct ktest *t, void *arg)
{
	struct cpu_state *st = me();
	struct ktest_rand r;

	(void)t, (void)arg;
	ktest_rand_init(&r, S.seed ^ (u64)S.round << 40 ^ (u64)smp_processor_id() << 48);
	if (!all_cpus_meet())
		problem(st, "the other CPUs did not come");
	for (unsigned k = 0; k < ZONE_TRIES; k++)
		try_claim(st, &r);
}

/* Unmaps what it won, one page at a time; each read must fault, each frame is intact. */
static void release_zone(struct ktest *t, void *arg)
{
	struct cpu_state *st = me();
	u64 v;

	(void)t, (void)arg;
	for (unsigned long p = 0; p < ZONE_PAGES; p++) {
		if (!(st->won & (1ull << p)))
			continue;
		vm_area_unmap_pages(S.shared, zone_va(p), zone_va(p + 1));
		if (probe_read_u64(zone_va(p), &v) != -EFAULT)
			problem(st, "zone page %lu still reads after its unmap", p);
		if (*(u64 *)page_address(st->frames[p]) != claim_word(smp_processor_id(), p))
			problem(st, "the frame of zone page %lu changed", p);
		free_page(st->frames[p]);
	}
	st->won = 0;
}

/* All parked: won ranges are disjoint, each maps its winner's frame, the rest is unmapped. */
static void check_zone(struct ktest *t)
{
	u64 all = 0;

	for (unsigned c = 0; c < SMP_MAX_CPUS; c++) {
		struct cpu_state *st = &S.cpu[c];

		if (all & st->won)
			KTEST_FAIL(t, "CPU %u won zone pages 0x%llx another CPU won too", c,
				   (unsigned long long)(all & st->won));
		all |= st->won;
		for (unsigned long p = 0; p < ZONE_PAGES; p++)
			if ((st->won & (1ull << p)) &&
			    vmalloc_to_page((void *)zone_va(p)) != st->frames[p])
				KTEST_FAIL(t, "zone page %lu, won by CPU %u, maps another frame",
					   p, c);
	}
	for (unsigned long p = 0; p < ZONE_PAGES; p++)
		if (!(all & (1ull << p)))
			EXPECT_TRUE(t, !vmalloc_to_page((void *)zone_va(p)));
}

/*
 * The refusals warn (one line each, naming vm_area_map_pages): kept off
 * the console by one capture over the phase and counted exactly; the
 * text is printed if anything failed.
 */
static void overlapping_maps(struct ktest *t)
{
	static char text[4096];
	struct ktest_capture cap;
	unsigned long warned = warn_count();
	unsigned busy = 0, lines;
	bool clean;

	ktest_capture_start(&cap, text, sizeof(text), true);
	clean = ktest_on_each_cpu(t, claim_zone, NULL) == 0;
	lines = ktest_capture_stop(&cap);
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		busy += S.cpu[c].busy, S.cpu[c].busy = 0;
	S.warnings += busy;
	clean &= report_problems(t, "maps at overlapping ranges");
	if (lines != busy || warn_count() - warned != busy ||
	    (busy && !ktest_contains(text, "vm_area_map_pages")))
		clean = false, KTEST_FAIL(t, "%u maps refused, %u lines and %lu warnings printed",
					  busy, lines, warn_count() - warned);
	if (!clean)
		ktest_log(t, "captured: %s", text);
	check_zone(t);
	ktest_on_each_cpu(t, release_zone, NULL);
	report_problems(t, "unmaps of the zone");
	check_zone(t);
}

/* --- 4: one arena page faulted in by every CPU at once ------------------------------- */

static void race_fault_in(struct ktest *t, void *arg)
{
	struct cpu_state *st = me();
	unsigned cpu = smp_processor_id();

	(void)t, (void)arg;
	for (unsigned p = 0; p < RACE_PAGES; p++) {
		volatile u64 *w = (volatile u64 *)(S.arena->start + p * PAGE_SIZE);

		if (!all_cpus_meet()) {
			problem(st, "the other CPUs did not come to page %u", p);
			return;
		}
		st->first_read[p] = w[0];               /* the fault-in */
		__atomic_fetch_or((u64 *)&w[1], 1ull << cpu, __ATOMIC_SEQ_CST);
		st->seen[p] = vmalloc_to_page((void *)w);
	}
	if (!all_cpus_meet())
		problem(st, "the other CPUs did not finish");
	for (unsigned p = 0; p < RACE_PAGES; p++)
		st->final[p] = ((volatile u64 *)(S.arena->start + p * PAGE_SIZE))[1];
}

/* Every CPU saw the same frame, zero first, and every CPU's bit at the end. */
static void check_race(struct ktest *t)
{
	struct page *winner[RACE_PAGES];
	u64 cpus = 0;

	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		cpus |= smp_cpu_online(c) ? 1ull << c : 0;
	for (unsigned p = 0; p < RACE_PAGES; p++) {
		winner[p] = vmalloc_to_page((void *)(S.arena->start + p * PAGE_SIZE));
		EXPECT_TRUE(t, winner[p] != NULL);
	}
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++) {
		const struct cpu_state *st = &S.cpu[c];

		for (unsigned p = 0; p < RACE_PAGES && (cpus & (1ull << c)); p++)
			if (st->seen[p] != winner[p] || st->first_read[p] || st->final[p] != cpus)
				KTEST_FAIL(t, "arena page %u on CPU %u: pfn 0x%lx (winner 0x%lx), "
					   "read 0x%llx first, 0x%llx at the end (CPUs 0x%llx)", p,
					   c, st->seen[p] ? page_to_pfn(st->seen[p]) : 0,
					   winner[p] ? page_to_pfn(winner[p]) : 0,
					   (unsigned long long)st->first_read[p],
					   (unsigned long long)st->final[p], (unsigned long long)cpus);
	}
}

/* Frames the fault-ins took: exactly one per page, beside new page tables and slab pages. */
static long frames_taken(const struct mm_snapshot *a, const struct mm_snapshot *b)
{
	return (long)(a->free_frames - b->free_frames) - (long)(b->pgtable_pages - a->pgtable_pages) -
	       (long)(b->slab_pages - a->slab_pages);
}

static void arena_race(struct ktest *t)
{
	struct mm_snapshot start, created, faulted, end;

	vm_unmap_aliases();             /* the models' lazily freed areas: not the race's */
	mm_snapshot_take(&start);
	S.arena = arena_create(RACE_PAGES * PAGE_SIZE, ARENA_FAULT_IN);
	ASSERT_TRUE(t, S.arena != NULL);
	mm_snapshot_take(&created);
	ktest_on_each_cpu(t, race_fault_in, NULL);
	report_problems(t, "arena fault-in race");
	mm_snapshot_take(&faulted);
	check_race(t);
	EXPECT_EQ(t, S.arena->nr_allocated, (unsigned long)RACE_PAGES);
	EXPECT_EQ(t, frames_taken(&created, &faulted), (long)RACE_PAGES);
	EXPECT_EQ(t, arena_check(S.arena), 0);
	arena_destroy(S.arena);
	S.arena = NULL;
	vm_unmap_aliases();
	mm_snapshot_take(&end);
	mm_snapshot_keep_vmalloc_tables(&start, &end);
	EXPECT_TRUE(t, mm_snapshot_equal(&start, &end, "smp_stress: arena race"));
}

/* --- the case ------------------------------------------------------------------------ */

static void end_model(struct ktest *t, void *arg)
{
	(void)arg;
	EXPECT_EQ(t, mm_model_shared_end(me()->model), 0);
}

static void cleanup(void)
{
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++) {
		vfree(S.cpu[c].model);
		S.cpu[c].model = NULL;
	}
	free_vm_area(S.shared);
	S.shared = NULL;
}

/* One model per online CPU, each lent its slice of the shared area; false if out of memory. */
static bool start_models(void)
{
	for (unsigned c = 0; c < S.slots; c++) {
		struct cpu_state *st = &S.cpu[c];

		if (!smp_cpu_online(c))
			continue;
		st->cfg = (struct mm_model_config){ .seed = S.seed ^ (c * 0x9e3779b97f4a7c15ull),
			.check_every = 100, .mode = MM_MODEL_RETURN, .log = log_line,
			.shared = true };
		st->model = vmalloc(mm_model_size());
		if (!st->model)
			return false;
		mm_model_shared_init(st->model, &st->cfg);
		if (mm_model_shared_lend(st->model, S.shared, (unsigned long)S.shared->addr +
					 c * SLICE_PAGES * PAGE_SIZE, SLICE_PAGES))
			return false;
	}
	return true;
}

static void summary(struct ktest *t, u64 ns, const struct vmap_stats *v0)
{
	unsigned long ops = 0;
	struct vmap_stats v;

	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		ops += S.cpu[c].res.ops;
	vmap_get_stats(&kernel_vmap_space, &v);
	ktest_log(t, "smp_stress: %u CPUs, %u rounds, %lu operations in %llu.%03llu s (seed %llu); "
		  "vmap: %lu per-CPU purges, %lu areas from the pools", S.nr_cpus, S.round, ops,
		  (unsigned long long)(ns / 1000000000), (unsigned long long)(ns / 1000000 % 1000),
		  (unsigned long long)S.seed, v.nr_purges - v0->nr_purges,
		  v.pool_hits - v0->pool_hits);
	EXPECT_GT(t, v.pool_hits, v0->pool_hits);       /* the pools were in the race */
}

/*
 * Small lazy and pool limits while the CPUs race, so that every CPU purges
 * its lazy list into its pools many times a round and allocations come
 * from them (at 32 MiB a CPU would rarely purge at all); restored after.
 */
static const struct vmap_limits stress_limits = { 64 * PAGE_SIZE, 32 * PAGE_SIZE };

static void every_cpu_against_its_model(struct ktest *t)
{
	unsigned rounds = cmdline_get_u64("smp_stress.rounds", ROUNDS_DEFAULT);
	struct vmap_limits old_limits;
	u64 t0 = bench_now();
	struct vmap_stats st;

	if (smp_num_online() < 2)
		ktest_skip(t, "needs two CPUs or more (make run SMP=4)");
	memset(&S, 0, sizeof(S));
	S.t = t;
	S.seed = ktest_seed();
	S.ops = cmdline_get_u64("smp_stress.ops", OPS_DEFAULT);
	S.nr_cpus = smp_num_online();
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		S.slots = smp_cpu_online(c) ? c + 1 : S.slots;
	ktest_log(t, "smp_stress: seed %llu, %u CPUs, %u rounds of %lu operations per CPU "
		  "(replay: ktest.filter=smp_stress ktest.seed=%llu)", (unsigned long long)S.seed,
		  S.nr_cpus, rounds, S.ops, (unsigned long long)S.seed);
	S.shared = get_vm_area((S.slots * SLICE_PAGES + ZONE_PAGES) * PAGE_SIZE, VM_SPARSE);
	ASSERT_TRUE(t, S.shared != NULL);
	if (!start_models()) {
		cleanup();
		KTEST_FAIL(t, "no memory for the models");
		return;
	}
	mm_state_set_vmap_limits(&stress_limits, &old_limits);
	vmap_get_stats(&kernel_vmap_space, &st);
	S.base_busy = st.nr_busy;
	S.base_warnings = warn_count();
	for (S.round = 0; S.round < rounds && t->status != KTEST_FAIL; S.round++) {
		ktest_on_each_cpu(t, run_model, NULL);
		quiescent_check(t);
		overlapping_maps(t);
		arena_race(t);
	}
	ktest_on_each_cpu(t, end_model, NULL);
	EXPECT_EQ(t, mm_check_all(), 0);
	summary(t, bench_cycles_to_ns(bench_now() - t0), &st);
	mm_state_set_vmap_limits(&old_limits, NULL);
	cleanup();
}

static const struct ktest_case smp_stress_cases[] = {
	/* `make stress` runs hundreds of rounds here. */
	KTEST_CASE_TIMEOUT(every_cpu_against_its_model, 3600),
	{}
};
KTEST_SUITE(smp_stress, smp_stress_cases);
