/*
 * The walker's lock-free calls on two CPUs (mm/pgtable.h, docs/pgtable.md
 * "Who takes the lock"). A map or unmap whose tables exist takes no lock,
 * so two things must hold that the lock used to give:
 *   - a call that frees tables (a trim) never unlinks a table while a
 *     lock-free map is writing into it: the unmap that follows must find
 *     the map's leaf in the tree;
 *   - two maps of one page racing on two CPUs never both succeed.
 * Both cases run the two CPUs on pages of one bottom table of a private
 * tree: the protocol is the same for every tree, and a private tree needs
 * no shootdown per unmap, so tens of thousands of rounds take about a
 * second (on the kernel's tree each round would wake every CPU twice).
 * The CPU-visible side of lock-free maps is every mapping test of the
 * kernel's tree. Skipped on one CPU.
 */
#include "tests/ktest.h"
#include "tests/ktest_smp.h"
#include "arch/x86_64/timer.h"
#include "kernel/smp.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"

#define VA              0x0000100000000000ul   /* a 2 MiB span of the private tree */
#define TRIM_ROUNDS     20000   /* about 1 s on 2 CPUs; without the trim's wait, */
#define TRIM_MAX_MS     2000    /* maps are lost in them */
#define RACE_ROUNDS     5000
#define FAR_PAGE        511     /* the trimmer's page: same table, the other end */

struct two_cpus {
	struct pgtable tree;
	struct page *page[2];           /* CPU n maps page[n] */
	unsigned long met;              /* lock-step meeting point (race case) */
	bool done;                      /* the mapper finished (trim case) */
	unsigned long rounds;           /* the mapper's, until TRIM_ROUNDS or TRIM_MAX_MS */
	unsigned long lost;             /* maps whose leaf was not in the tree after */
	unsigned long errors;           /* calls that failed where none may */
	unsigned long both;             /* rounds in which both racing maps succeeded */
	unsigned long won[2];           /* rounds each CPU's map succeeded */
};

static int two_cpus_init(struct ktest *t)
{
	if (smp_num_online() < 2)
		ktest_skip(t, "one CPU online (boot with --smp 2 or more)");
	return 0;
}

static bool setup(struct ktest *t, struct two_cpus *x)
{
	*x = (struct two_cpus){ 0 };
	x->page[0] = alloc_page(0);
	x->page[1] = alloc_page(0);
	if (!x->page[0] || !x->page[1] || pgtable_init(&x->tree)) {
		ktest_fail_msg(t, KTEST_ASSERT, __FILE__, __LINE__, "no tree or pages");
		return false;
	}
	return true;
}

static void teardown(struct two_cpus *x)
{
	if (x->tree.root)
		pgtable_destroy(&x->tree);
	if (x->page[0])
		free_page(x->page[0]);
	if (x->page[1])
		free_page(x->page[1]);
}

/* True if `va` maps `page` in the tree now. */
static bool maps(struct pgtable *pt, unsigned long va, struct page *page)
{
	struct pgtable_entry e;

	return !pgtable_query(pt, va, &e) && e.phys == page_to_phys(page);
}

/* --- a trim against a lock-free map --------------------------------------- */

/*
 * CPU 1: map its page, then unmap it, which hands back the page it found
 * mapped (both lock-free while the table is there). Bounded in time too,
 * for slow hosts.
 */
static void map_and_unmap(struct two_cpus *x)
{
	u64 until = rdtsc() + tsc_hz() / 1000 * TRIM_MAX_MS;

	for (; x->rounds < TRIM_ROUNDS && rdtsc() < until; x->rounds++) {
		struct page *found = NULL;

		if (pgtable_map_pages(&x->tree, VA, &x->page[1], 1, PROT_KERNEL_RW)) {
			x->errors++;
			break;
		}
		if (pgtable_unmap(&x->tree, VA, PAGE_SIZE, &found, 0))
			x->errors++;
		x->lost += found != x->page[1];
	}
	__atomic_store_n(&x->done, true, __ATOMIC_RELEASE);
}

/* CPU 0: map the far page, then unmap it freeing the table if it is empty. */
static void map_and_trim(struct two_cpus *x)
{
	unsigned long far = VA + FAR_PAGE * PAGE_SIZE;

	while (!__atomic_load_n(&x->done, __ATOMIC_ACQUIRE)) {
		if (pgtable_map_pages(&x->tree, far, &x->page[0], 1, PROT_KERNEL_RW) ||
		    pgtable_unmap(&x->tree, far, PAGE_SIZE, NULL, PGTABLE_FREE_TABLES))
			x->errors++;
	}
}

static void trim_part(struct ktest *t, void *arg)
{
	(void)t;
	if (smp_processor_id() == 0)
		map_and_trim(arg);
	else if (smp_processor_id() == 1)
		map_and_unmap(arg);
}

static void a_trim_never_unlinks_a_table_under_a_lock_free_map(struct ktest *t)
{
	struct two_cpus x;

	if (setup(t, &x)) {
		EXPECT_EQ(t, ktest_on_each_cpu(t, trim_part, &x), 0);
		EXPECT_EQ(t, x.lost, 0);
		EXPECT_EQ(t, x.errors, 0);
		EXPECT_EQ(t, pgtable_check(&x.tree), 0);
		ktest_log(t, "%lu rounds", x.rounds);
	}
	teardown(&x);
}

/* --- two maps of one page -------------------------------------------------- */

/* Both CPUs wait here until both arrived for the `n`th time. */
static void meet(struct two_cpus *x, unsigned long n)
{
	__atomic_add_fetch(&x->met, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&x->met, __ATOMIC_ACQUIRE) < 2 * n)
		cpu_relax();
}

/* Each round: both map their page at one address at once; CPU 0 then judges and cleans up. */
static void race_part(struct ktest *t, void *arg)
{
	struct two_cpus *x = arg;
	unsigned me = smp_processor_id();
	static bool ok[2];
	unsigned long stop;

	(void)t;
	if (me > 1)
		return;
	for (unsigned long r = 0; r < RACE_ROUNDS; r++) {
		meet(x, 2 * r + 1);
		for (unsigned long d = (r * 7 + me * 5) % 24; d; d--)    /* vary who is first */
			cpu_relax();
		ok[me] = !pgtable_map_pages_checked(&x->tree, VA, &x->page[me], 1,
						    PROT_KERNEL_RW, &stop);
		meet(x, 2 * r + 2);
		if (me != 0)
			continue;
		x->both += ok[0] && ok[1];
		x->won[0] += ok[0];
		x->won[1] += ok[1];
		if (ok[0] != ok[1] && !maps(&x->tree, VA, x->page[ok[0] ? 0 : 1]))
			x->lost++;
		if ((ok[0] || ok[1]) && pgtable_unmap(&x->tree, VA, PAGE_SIZE, NULL, 0))
			x->errors++;
	}
}

static void two_maps_of_one_page_never_both_succeed(struct ktest *t)
{
	struct two_cpus x;

	if (setup(t, &x)) {
		/* The table exists first, so both maps take the lock-free path. */
		ASSERT_EQ(t, pgtable_populate(&x.tree, VA, PAGE_SIZE), 0);
		EXPECT_EQ(t, ktest_on_each_cpu(t, race_part, &x), 0);
		EXPECT_EQ(t, x.both, 0);
		EXPECT_EQ(t, x.won[0] + x.won[1], RACE_ROUNDS);        /* and one always does */
		EXPECT_EQ(t, x.lost, 0);                                /* with its page */
		EXPECT_EQ(t, x.errors, 0);
		ktest_log(t, "%d rounds: CPU 0 won %lu, CPU 1 won %lu", RACE_ROUNDS, x.won[0],
			  x.won[1]);
	}
	teardown(&x);
}

static const struct ktest_case pgtable_lockless_cases[] = {
	KTEST_CASE(a_trim_never_unlinks_a_table_under_a_lock_free_map),
	KTEST_CASE(two_maps_of_one_page_never_both_succeed),
	{}
};

static const struct ktest_suite pgtable_lockless_suite = {
	.name = "pgtable_lockless",
	.cases = pgtable_lockless_cases,
	.init = two_cpus_init,
};
KTEST_SUITE_REGISTER(pgtable_lockless_suite);
