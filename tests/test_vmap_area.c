/*
 * The vmap area allocator (mm/vmap_area) and the red-black tree under it
 * (kernel/lib/rbtree), on private spaces whose ranges are never mapped:
 * lowest-fit placement against a brute-force reference, merging, windows,
 * alignment, the lazy lists and their purge, the per-CPU pools, and the
 * checker itself.
 *
 * Every case must leave the frame allocator and the slab allocator as it
 * found them (exit hook), and every private space passes vmap_check()
 * before it is destroyed.
 */
#include "tests/ktest.h"
#include "tests/ktest_leak.h"
#include "tests/ktest_rand.h"
#include "kernel/errno.h"
#include "kernel/lib/rbtree.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "asm/cpu.h"
#include "mm/fault_inject.h"
#include "mm/layout.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmap_area.h"
#include "mm/vmap_internal.h"

/* Private spaces live in an unused part of the higher half (never mapped). */
#define TEST_BASE       0xffff900000000000ul

static struct ktest_leak va_leak;

static int va_case_init(struct ktest *t)
{
	return ktest_leak_begin(&va_leak);
}

static void va_case_exit(struct ktest *t)
{
	while (fault_inject_in_scope())          /* a case that stopped inside one */
		fault_inject_end();
	fault_inject_clear(FAULT_SLAB);
	ktest_leak_end(t, &va_leak, KTEST_LEAK_IGNORE_WARNINGS);
}

/* Sets up a private space of `pages` pages at TEST_BASE (fails the case if not). */
static void space_init(struct ktest *t, struct vmap_space *s, unsigned long pages)
{
	ASSERT_EQ(t, vmap_space_init(s, "test", TEST_BASE, TEST_BASE + pages * PAGE_SIZE, false), 0);
}

static void space_done(struct ktest *t, struct vmap_space *s)
{
	EXPECT_EQ(t, vmap_check(s), 0);
	vmap_space_destroy(s);
}

/* Takes `va` out of its busy zone, as vfree does, and frees it now or lazily. */
static void give_back(struct vmap_space *s, struct vmap_area *va, bool lazy)
{
	struct vmap_busy_hold hold;

	if (vmap_find_busy(s, va->va_start, &hold) != va)
		panic("give_back: area 0x%lx is not busy", va->va_start);
	unlink_vmap_area_locked(s, va);
	vmap_busy_unlock(&hold);
	if (lazy)
		free_vmap_area_noflush(s, va);
	else
		free_vmap_area(s, va);
}

/* Gives back `n` areas now (NULL entries skipped). */
static void give_all_back(struct vmap_space *s, struct vmap_area *const *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i])
			give_back(s, v[i], false);
}

/* give_all_back() of the areas listed. */
#define GIVE_BACK_ALL(s, ...)                                                           \
	give_all_back(s, (struct vmap_area *[]){ __VA_ARGS__ },                         \
		      (int)ARRAY_SIZE(((struct vmap_area *[]){ __VA_ARGS__ })))

static struct vmap_area *take(struct vmap_space *s, unsigned long pages, unsigned long align)
{
	return alloc_vmap_area(s, pages * PAGE_SIZE, align, s->start, s->end);
}

/*
 * Every area lives in a zone of its own home region: two CPUs working in
 * their regions never take one zone lock. Checked at every 4-page start of
 * a 256-page space (regions of 64 pages).
 */
static void each_home_region_has_zones_of_its_own(struct ktest *t)
{
	struct vmap_space s;

	space_init(t, &s, 256);
	EXPECT_EQ(t, vmap_home_start(&s, 1), s.start + 64 * PAGE_SIZE);
	EXPECT_EQ(t, vmap_home_start(&s, VMAP_HOME_REGIONS + 1), s.start + 64 * PAGE_SIZE);
	for (unsigned long page = 0; page < 256; page += VMAP_BUSY_BLOCK_PAGES / 8) {
		unsigned z = (unsigned)(vmap_zone_of(&s, s.start + page * PAGE_SIZE) - s.busy);

		EXPECT_EQ(t, z / VMAP_REGION_ZONES, page / 64);
	}
	/* A bad pointer's lookup (below the space, far above it) stays among the zones. */
	EXPECT_LT(t, (unsigned long)(vmap_zone_of(&s, s.start - PAGE_SIZE) - s.busy),
		  VMAP_BUSY_ZONES);
	EXPECT_LT(t, (unsigned long)(vmap_zone_of(&s, s.end + (1ul << 40)) - s.busy),
		  VMAP_BUSY_ZONES);
	space_done(t, &s);
}

/* --- the red-black tree ------------------------------------------------ */

struct rb_item {
	struct rb_node rb;
	unsigned long key, value, max;          /* max: largest value in the subtree */
	bool in;
};

static bool item_augment(struct rb_node *n)
{
	struct rb_item *it = rb_entry(n, struct rb_item, rb);
	unsigned long max = it->value;

	if (n->left)
		max = MAX(max, rb_entry(n->left, struct rb_item, rb)->max);
	if (n->right)
		max = MAX(max, rb_entry(n->right, struct rb_item, rb)->max);
	if (max == it->max)
		return false;
	it->max = max;
	return true;
}

static unsigned long bad_maxima(const struct rb_node *n, unsigned long *max)
{
	unsigned long l = 0, r = 0, bad;
	const struct rb_item *it;

	*max = 0;
	if (!n)
		return 0;
	it = rb_entry(n, struct rb_item, rb);
	bad = bad_maxima(n->left, &l) + bad_maxima(n->right, &r);
	*max = MAX(it->value, MAX(l, r));
	return bad + (*max != it->max);
}

static void item_insert(struct rb_root *root, struct rb_item *it)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < rb_entry(parent, struct rb_item, rb)->key ?
		       &parent->left : &parent->right;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert(&it->rb, root, item_augment);
	it->in = true;
}

/* Checks shape, order (both directions), count and every cached maximum. */
static void check_items(struct ktest *t, struct rb_root *root, long count)
{
	unsigned long prev = 0, max;
	long n = 0;

	EXPECT_EQ(t, rb_check(root, "test"), count);
	for (struct rb_node *p = rb_first(root); p; p = rb_next(p), n++) {
		unsigned long key = rb_entry(p, struct rb_item, rb)->key;

		EXPECT_TRUE(t, n == 0 || key > prev);
		prev = key;
	}
	EXPECT_EQ(t, n, count);
	n = 0;
	for (struct rb_node *p = rb_last(root); p; p = rb_prev(p))
		n++;
	EXPECT_EQ(t, n, count);
	EXPECT_EQ(t, bad_maxima(root->node, &max), 0);
}

static void rbtree_random_operations_keep_invariants(struct ktest *t)
{
	enum { N = 1000, OPS = 12000 };
	struct rb_item *items = kzalloc(N * sizeof(*items));
	struct rb_root root = RB_ROOT;
	struct ktest_rand rng;
	long count = 0;

	ktest_rand_init_seed(&rng, 0);
	ASSERT_NOT_NULL(t, items);
	ktest_log(t, "seed %llu", (unsigned long long)ktest_seed());
	for (unsigned op = 0; op < OPS; op++) {
		struct rb_item *it = &items[ktest_rand_below(&rng, N)];

		if (!it->in) {
			it->key = it - items;
			it->value = ktest_rand_below(&rng, 100000);
			item_insert(&root, it);
			count++;
		} else if (ktest_rand_below(&rng, 3)) {
			rb_erase(&it->rb, &root, item_augment);
			it->in = false;
			count--;
		} else {
			it->value = ktest_rand_below(&rng, 100000);   /* change in place */
			rb_propagate(&it->rb, item_augment);
		}
		if (op % 1000 == 0)
			check_items(t, &root, count);
	}
	check_items(t, &root, count);
	kfree(items);
}

static void rbtree_sequential_keys_stay_balanced(struct ktest *t)
{
	enum { N = 4095 };
	struct rb_item *items = kzalloc(N * sizeof(*items));
	struct rb_root root = RB_ROOT;
	int height = 0;

	ASSERT_NOT_NULL(t, items);
	for (unsigned i = 0; i < N; i++) {
		items[i].key = i;
		item_insert(&root, &items[i]);
	}
	check_items(t, &root, N);
	/* Height of the deepest leaf: at most 2 log2(n + 1) = 24. */
	for (unsigned i = 0; i < N; i++) {
		int h = 0;

		for (struct rb_node *n = &items[i].rb; n; n = n->parent)
			h++;
		height = MAX(height, h);
	}
	EXPECT_LE(t, height, 24);
	for (unsigned i = 0; i < N; i += 2)
		rb_erase(&items[i].rb, &root, item_augment);
	check_items(t, &root, N / 2);
	kfree(items);
}

/* --- placement ---------------------------------------------------------- */

static void allocation_is_lowest_first_fit(struct ktest *t)
{
	struct vmap_space s;
	struct vmap_area *a, *b, *c, *d, *e;

	space_init(t, &s, 1024);
	a = take(&s, 4, PAGE_SIZE);
	b = take(&s, 8, PAGE_SIZE);
	c = take(&s, 4, PAGE_SIZE);
	ASSERT_TRUE(t, a && b && c);
	EXPECT_EQ(t, a->va_start, TEST_BASE);
	EXPECT_EQ(t, b->va_start, TEST_BASE + 4 * PAGE_SIZE);
	EXPECT_EQ(t, c->va_start, TEST_BASE + 12 * PAGE_SIZE);
	give_back(&s, b, false);                /* a hole of 8 pages at 4 */
	d = take(&s, 9, PAGE_SIZE);                    /* too big for the hole */
	ASSERT_NOT_NULL(t, d);
	EXPECT_EQ(t, d->va_start, TEST_BASE + 16 * PAGE_SIZE);
	e = take(&s, 3, PAGE_SIZE);                    /* the hole's start */
	ASSERT_NOT_NULL(t, e);
	EXPECT_EQ(t, e->va_start, TEST_BASE + 4 * PAGE_SIZE);
	b = take(&s, 4, 4 * PAGE_SIZE);                /* aligned: 8 in the hole's rest */
	ASSERT_NOT_NULL(t, b);
	EXPECT_EQ(t, b->va_start, TEST_BASE + 8 * PAGE_SIZE);
	EXPECT_EQ(t, vmap_check(&s), 0);
	space_done(t, &s);
}

/*
 * The four merge cases of a free, checked through the free-range count:
 *
 *   |A|B|C|D|E|free...       free B: no free neighbour      -> 2 free ranges
 *                            free C: joins B (left)          -> 2
 *                            free A: joins B+C (right)       -> 2
 *                            free E: joins the tail (right)  -> 2
 *                            free D: fills the hole (both)   -> 1
 */
static void frees_merge_with_free_neighbours(struct ktest *t)
{
	struct vmap_area *v[5];
	struct vmap_stats st;
	struct vmap_space s;
	static const struct { int idx; unsigned long nr_free; } steps[] = {
		{ 1, 2 }, { 2, 2 }, { 0, 2 }, { 4, 2 }, { 3, 1 },
	};

	space_init(t, &s, 64);
	for (int i = 0; i < 5; i++)
		ASSERT_NOT_NULL(t, v[i] = take(&s, 2, PAGE_SIZE));
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_free, 1);
	for (unsigned i = 0; i < ARRAY_SIZE(steps); i++) {
		give_back(&s, v[steps[i].idx], false);
		vmap_get_stats(&s, &st);
		EXPECT_EQ(t, st.nr_free, steps[i].nr_free);
		EXPECT_EQ(t, vmap_check(&s), 0);
	}
	EXPECT_EQ(t, st.largest_free, 64 * PAGE_SIZE);
	space_done(t, &s);
}

static void alignment_and_window_are_respected(struct ktest *t)
{
	struct vmap_space s;
	struct vmap_area *pad, *va;

	space_init(t, &s, 8192);                        /* 32 MiB */
	pad = take(&s, 1, PAGE_SIZE);                          /* misaligns the rest */
	ASSERT_NOT_NULL(t, pad);
	for (unsigned long align = PAGE_SIZE; align <= (4ul << 20); align <<= 1) {
		va = alloc_vmap_area(&s, 3 * PAGE_SIZE, align, s.start, s.end);
		ASSERT_NOT_NULL(t, va);
		EXPECT_TRUE(t, IS_ALIGNED(va->va_start, align));
		EXPECT_EQ(t, va->va_start, ALIGN_UP(TEST_BASE + PAGE_SIZE, align));
		give_back(&s, va, false);
	}
	/* A window: the lowest fit inside it, nothing outside it. */
	va = alloc_vmap_area(&s, 2 * PAGE_SIZE, PAGE_SIZE, TEST_BASE + 100 * PAGE_SIZE, TEST_BASE + 103 * PAGE_SIZE);
	ASSERT_NOT_NULL(t, va);
	EXPECT_EQ(t, va->va_start, TEST_BASE + 100 * PAGE_SIZE);
	EXPECT_NULL(t, alloc_vmap_area(&s, 2 * PAGE_SIZE, PAGE_SIZE, TEST_BASE + 100 * PAGE_SIZE,
				       TEST_BASE + 103 * PAGE_SIZE));
	give_back(&s, va, false);
	/* Alignment larger than the window allows: no fit, no crash. */
	EXPECT_NULL(t, alloc_vmap_area(&s, PAGE_SIZE, 64ul << 20, s.start, s.end));
	EXPECT_NULL(t, alloc_vmap_area(&s, PAGE_SIZE, 1ul << 63, s.start, s.end));
	give_back(&s, pad, false);
	space_done(t, &s);
}

static void lookup_finds_the_containing_area(struct ktest *t)
{
	struct vmap_busy_iter it;
	struct vmap_space s;
	struct vmap_area *a, *b;
	unsigned long irq;

	space_init(t, &s, 64);
	a = take(&s, 3, PAGE_SIZE);
	b = take(&s, 2, PAGE_SIZE);
	ASSERT_TRUE(t, a && b);
	irq = vmap_lock_all(&s);
	EXPECT_PTR_EQ(t, find_vmap_area_locked(&s, a->va_start), a);
	EXPECT_PTR_EQ(t, find_vmap_area_locked(&s, a->va_start + PAGE_SIZE + 5), a);
	EXPECT_PTR_EQ(t, find_vmap_area_locked(&s, a->va_end - 1), a);
	EXPECT_PTR_EQ(t, find_vmap_area_locked(&s, a->va_end), b);
	EXPECT_NULL(t, find_vmap_area_locked(&s, b->va_end));
	EXPECT_NULL(t, find_vmap_area_locked(&s, TEST_BASE - 1));
	EXPECT_PTR_EQ(t, vmap_busy_first(&it, &s, TEST_BASE), a);
	EXPECT_PTR_EQ(t, vmap_busy_next(&it), b);
	EXPECT_NULL(t, vmap_busy_next(&it));
	EXPECT_PTR_EQ(t, vmap_busy_first(&it, &s, a->va_start + PAGE_SIZE), a);
	EXPECT_PTR_EQ(t, vmap_busy_first(&it, &s, a->va_end), b);
	vmap_unlock_all(&s, irq);
	give_back(&s, a, false);
	give_back(&s, b, false);
	space_done(t, &s);
}

/*
 * The O(log n) search against a linear scan, on a long random sequence
 * of allocations (sizes, alignments up to 4 MiB and beyond, windows) and
 * frees (now or lazy). Every placement must be the same address.
 */
static void lowest_fit_equals_brute_force(struct ktest *t)
{
	enum { LIVE = 1500, OPS = 12000 };
	struct vmap_area **live = kmalloc(LIVE * sizeof(*live));
	unsigned long n = 0, mismatches = 0, placed = 0;
	struct ktest_rand rng;
	struct vmap_space s;

	ktest_rand_init_seed(&rng, 0);
	ASSERT_NOT_NULL(t, live);
	ktest_log(t, "seed %llu", (unsigned long long)ktest_seed());
	space_init(t, &s, 1ul << 22);                   /* 16 GiB */
	for (unsigned op = 0; op < OPS; op++) {
		u64 r = ktest_rand(&rng);
		unsigned long size = (r % 64 + 1) * PAGE_SIZE, align = PAGE_SIZE << (r >> 8) % 11;
		unsigned long vs = s.start, ve = s.end, fast, slow;

		if (r % 7 == 0)
			size = (r % 2048 + 1) * PAGE_SIZE;
		if ((r >> 56) % 16 == 0)                /* up to past the space's size */
			align = PAGE_SIZE << (20 + (r >> 44) % 15);
		if ((r >> 16) % 5 == 0) {
			vs = s.start + ((r >> 20) % (1ul << 22)) * PAGE_SIZE;
			ve = vs + ((r >> 40) % (1ul << 20) + 1) * PAGE_SIZE;
		}
		if ((r >> 24) % 3 == 0 || n == LIVE) {
			if (n) {
				unsigned long i = (r >> 30) % n;

				give_back(&s, live[i], (r >> 50) & 1);
				live[i] = live[--n];
			}
			continue;
		}
		fast = vmap_lowest_fit(&s, size, align, vs, ve);
		slow = vmap_lowest_fit_brute(&s, size, align, vs, ve);
		if (fast != slow && mismatches++ < 3)
			KTEST_FAIL(t, "op %u: size %lx align %lx window %lx-%lx: fast %lx, brute %lx",
				   op, size, align, vs, ve, fast, slow);
		if (slow && (live[n] = alloc_vmap_area(&s, size, align, vs, ve))) {
			EXPECT_EQ(t, live[n]->va_start, slow);
			n++;
			placed++;
		}
		if (op % 2000 == 0)
			EXPECT_EQ(t, vmap_check(&s), 0);
	}
	EXPECT_EQ(t, mismatches, 0);
	EXPECT_GT(t, placed, OPS / 3);
	ktest_log(t, "%lu placements checked, %lu areas live at the end", placed, n);
	space_done(t, &s);
	kfree(live);
}

/* --- the lazy lists ------------------------------------------------------ */

static void lazy_ranges_are_not_reused_before_the_purge(struct ktest *t)
{
	struct vmap_space s;
	struct vmap_area *a, *b, *c;
	struct vmap_stats st;
	unsigned long a_start;

	space_init(t, &s, 256);
	a = take(&s, 4, PAGE_SIZE);
	b = take(&s, 4, PAGE_SIZE);
	ASSERT_TRUE(t, a && b);
	a_start = a->va_start;
	give_back(&s, a, true);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_lazy, 1);
	EXPECT_EQ(t, st.lazy_bytes, 4 * PAGE_SIZE);
	c = take(&s, 4, PAGE_SIZE);                    /* not into the lazy hole */
	ASSERT_NOT_NULL(t, c);
	EXPECT_EQ(t, c->va_start, b->va_end);
	EXPECT_EQ(t, vmap_check(&s), 0);
	give_back(&s, c, false);
	purge_vmap_area_lazy(&s);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_lazy, 0);
	EXPECT_EQ(t, st.nr_purges, 1);
	c = take(&s, 4, PAGE_SIZE);                    /* now the lowest fit again */
	ASSERT_NOT_NULL(t, c);
	EXPECT_EQ(t, c->va_start, a_start);
	give_back(&s, c, false);
	give_back(&s, b, false);
	space_done(t, &s);
}

static void full_space_purges_and_retries(struct ktest *t)
{
	struct vmap_space s;
	struct vmap_area *v[4], *again;
	struct vmap_stats st;

	space_init(t, &s, 16);
	for (int i = 0; i < 4; i++)
		ASSERT_NOT_NULL(t, v[i] = take(&s, 4, PAGE_SIZE));
	EXPECT_NULL(t, take(&s, 1, PAGE_SIZE));        /* full, nothing lazy: fails */
	give_back(&s, v[2], true);
	again = take(&s, 2, PAGE_SIZE);                /* fits only after a purge */
	ASSERT_NOT_NULL(t, again);
	EXPECT_EQ(t, again->va_start, TEST_BASE + 8 * PAGE_SIZE);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_purges, 1);
	EXPECT_EQ(t, st.nr_lazy, 0);
	give_back(&s, again, false);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			give_back(&s, v[i], false);
	space_done(t, &s);
}

static void lazy_threshold_triggers_a_purge(struct ktest *t)
{
	struct vmap_area *v[8];
	struct vmap_stats st;
	struct vmap_space s;

	space_init(t, &s, 256);
	s.lazy_max = 10 * PAGE_SIZE;
	for (int i = 0; i < 8; i++)
		ASSERT_NOT_NULL(t, v[i] = take(&s, 4, PAGE_SIZE));
	give_back(&s, v[0], true);
	give_back(&s, v[1], true);              /* 8 pages: under the threshold */
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_lazy, 2);            /* lazy ranges are not merged */
	EXPECT_EQ(t, vmap_check(&s), 0);
	EXPECT_EQ(t, st.nr_purges, 0);
	give_back(&s, v[5], true);              /* 12 pages: purge */
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_lazy, 0);
	EXPECT_EQ(t, st.lazy_bytes, 0);
	EXPECT_EQ(t, st.nr_purges, 1);
	EXPECT_EQ(t, st.nr_free, 3);            /* [0,8) [20,24) [32,256) */
	for (int i = 2; i < 8; i++)
		if (i != 5)
			give_back(&s, v[i], false);
	space_done(t, &s);
}

/* --- the per-CPU pools ---------------------------------------------------- */

/* Frees `n` areas of `pages` pages lazily; the last one passes lazy_max and purges. */
static void free_lazily(struct vmap_space *s, struct vmap_area **v, int n)
{
	for (int i = 0; i < n; i++)
		give_back(s, v[i], true);
}

/*
 * What a pool may return instead of the lowest fit: a range of exactly
 * the requested size that this CPU freed and purged, only for the whole
 * space, the last pooled that has the request's alignment (pages 2, 4
 * and 6 here: aligned to 2, 4 and 2 pages); everything else is still the
 * lowest fit.
 */
static void pool_serves_purged_ranges_of_its_size(struct ktest *t)
{
	struct vmap_area *v[3], *pad, *a, *b, *c, *d, *e, *f;
	unsigned long starts[3], want;
	struct vmap_stats st;
	struct vmap_space s;

	space_init(t, &s, 256);
	s.pool_max = 16 * PAGE_SIZE;
	s.lazy_max = 5 * PAGE_SIZE;
	ASSERT_NOT_NULL(t, pad = take(&s, 2, PAGE_SIZE));      /* pages 0-1: TEST_BASE has every alignment */
	for (int i = 0; i < 3; i++) {
		ASSERT_NOT_NULL(t, v[i] = take(&s, 2, PAGE_SIZE));
		starts[i] = v[i]->va_start;
	}
	ASSERT_NOT_NULL(t, a = take(&s, 1, PAGE_SIZE));        /* keeps them apart from the rest */
	free_lazily(&s, v, 3);                                  /* 6 pages > 5: one purge */
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_purges, 1);
	EXPECT_EQ(t, st.nr_lazy, 0);
	EXPECT_EQ(t, st.nr_pooled, 3);
	EXPECT_EQ(t, st.pooled_bytes, 6 * PAGE_SIZE);
	EXPECT_EQ(t, vmap_check(&s), 0);
	/* The lowest fit of the free tree is above them; the pool serves one of them. */
	EXPECT_EQ(t, vmap_lowest_fit(&s, 2 * PAGE_SIZE, PAGE_SIZE, s.start, s.end), a->va_end);
	ASSERT_NOT_NULL(t, b = take(&s, 2, PAGE_SIZE));
	EXPECT_EQ(t, b->va_start, starts[0]);          /* the last pooled */
	/* Another size, a window: the free tree's lowest fit. */
	ASSERT_NOT_NULL(t, c = take(&s, 3, PAGE_SIZE));
	EXPECT_EQ(t, c->va_start, a->va_end);
	ASSERT_NOT_NULL(t, d = alloc_vmap_area(&s, 2 * PAGE_SIZE, PAGE_SIZE, s.start + PAGE_SIZE,
					       s.end));
	EXPECT_EQ(t, d->va_start, c->va_end);
	/* An alignment: the last pooled range that has it (page 4, then 6)... */
	ASSERT_NOT_NULL(t, e = alloc_vmap_area(&s, 2 * PAGE_SIZE, 2 * PAGE_SIZE, s.start, s.end));
	EXPECT_EQ(t, e->va_start, starts[1]);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_pooled, 1);
	EXPECT_EQ(t, st.pool_hits, 2);
	/* ... and one the pooled range (page 6) lacks: the free tree's lowest fit. */
	want = vmap_lowest_fit(&s, 2 * PAGE_SIZE, 8 * PAGE_SIZE, s.start, s.end);
	ASSERT_NOT_NULL(t, f = alloc_vmap_area(&s, 2 * PAGE_SIZE, 8 * PAGE_SIZE, s.start, s.end));
	EXPECT_EQ(t, f->va_start, want);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_pooled, 1);
	/* The purge gives the pools back: the free tree alone is exact again. */
	purge_vmap_area_lazy(&s);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_pooled, 0);
	EXPECT_EQ(t, vmap_lowest_fit(&s, 2 * PAGE_SIZE, PAGE_SIZE, s.start, s.end), starts[2]);
	GIVE_BACK_ALL(&s, pad, a, b, c, d, e, f);
	space_done(t, &s);
}

/*
 * A private space of `pages` pages, pools of up to `pool_pages`, a purge
 * above `lazy_pages`; v[0 .. n) 2-page areas taken from its start.
 */
static void two_page_areas(struct ktest *t, struct vmap_space *s, unsigned long pages,
			   unsigned long pool_pages, unsigned long lazy_pages,
			   struct vmap_area **v, int n)
{
	space_init(t, s, pages);
	s->pool_max = pool_pages * PAGE_SIZE;
	s->lazy_max = lazy_pages * PAGE_SIZE;
	for (int i = 0; i < n; i++)
		ASSERT_NOT_NULL(t, v[i] = take(s, 2, PAGE_SIZE));
}

/*
 * An aligned request finds a pooled range that has its alignment under
 * others pooled after it (up to VMAP_POOL_SCAN of them), and takes the
 * last pooled of those, as a page-aligned request takes the last pooled
 * of all. Pages 2 .. 14 here, freed so that page 8 (8-page aligned) is
 * pooled first, under the others.
 */
static void an_aligned_request_finds_any_pooled_range_that_has_it(struct ktest *t)
{
	static const int order[] = { 1, 2, 3, 5, 6, 7, 4 };    /* v[4] is page 8 */
	struct vmap_area *v[8], *a, *x, *y, *z, *w, *one;
	struct vmap_stats st;
	struct vmap_space s;
	unsigned long want;

	two_page_areas(t, &s, 256, 64, 13, v, 8);
	ASSERT_NOT_NULL(t, a = take(&s, 1, PAGE_SIZE));        /* page 16: keeps them apart */
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
		give_back(&s, v[order[i]], true);               /* 14 pages > 13: one purge */
	vmap_get_stats(&s, &st);
	ASSERT_EQ(t, st.nr_pooled, 7);
	EXPECT_EQ(t, vmap_check(&s), 0);
	ASSERT_NOT_NULL(t, x = take(&s, 2, 8 * PAGE_SIZE));    /* only page 8 has it */
	EXPECT_EQ(t, x->va_start, TEST_BASE + 8 * PAGE_SIZE);
	ASSERT_NOT_NULL(t, y = take(&s, 2, 4 * PAGE_SIZE));    /* pages 4 and 12: 4 is the last pooled */
	EXPECT_EQ(t, y->va_start, TEST_BASE + 4 * PAGE_SIZE);
	ASSERT_NOT_NULL(t, z = take(&s, 2, PAGE_SIZE));        /* the last pooled of all */
	EXPECT_EQ(t, z->va_start, TEST_BASE + 2 * PAGE_SIZE);
	want = vmap_lowest_fit(&s, 2 * PAGE_SIZE, 16 * PAGE_SIZE, s.start, s.end);
	EXPECT_EQ(t, want, TEST_BASE + 32 * PAGE_SIZE);
	ASSERT_NOT_NULL(t, w = take(&s, 2, 16 * PAGE_SIZE));   /* none has it: the free tree */
	EXPECT_EQ(t, w->va_start, want);
	ASSERT_NOT_NULL(t, one = take(&s, 1, PAGE_SIZE));      /* smaller: cut off the last pooled */
	EXPECT_EQ(t, one->va_start, TEST_BASE + 6 * PAGE_SIZE);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.pool_hits, 4);
	EXPECT_EQ(t, st.pool_splits, 1);
	EXPECT_EQ(t, st.pool_aligned_hits, 2);
	EXPECT_EQ(t, st.tree_allocs, 10);                       /* v[], a, w */
	EXPECT_EQ(t, st.tree_aligned_allocs, 1);
	EXPECT_EQ(t, st.nr_pooled, 4);
	EXPECT_EQ(t, vmap_check(&s), 0);
	GIVE_BACK_ALL(&s, v[0], a, x, y, z, w, one);
	space_done(t, &s);
}

/*
 * A page-aligned request whose pool is empty cuts its range off the last
 * pooled range of the smallest larger pooled size, and the rest stays
 * pooled, in the pool of its own size: pages 1-5 and 7-9 pooled here, a
 * 2-page request gets 7-8 and page 9 is pooled on its own. An aligned
 * request is not served by a cut: the free tree's lowest fit.
 */
static void a_smaller_request_cuts_the_smallest_larger_pooled_range(struct ktest *t)
{
	struct vmap_area *pad, *five, *gap, *three, *end, *x, *y, *z;
	struct vmap_stats st;
	struct vmap_space s;
	unsigned long want;

	space_init(t, &s, 256);
	s.pool_max = 64 * PAGE_SIZE;
	s.lazy_max = 7 * PAGE_SIZE;
	ASSERT_NOT_NULL(t, pad = take(&s, 1, PAGE_SIZE));      /* page 0 */
	ASSERT_NOT_NULL(t, five = take(&s, 5, PAGE_SIZE));     /* pages 1-5 */
	ASSERT_NOT_NULL(t, gap = take(&s, 1, PAGE_SIZE));      /* page 6 */
	ASSERT_NOT_NULL(t, three = take(&s, 3, PAGE_SIZE));    /* pages 7-9 */
	ASSERT_NOT_NULL(t, end = take(&s, 1, PAGE_SIZE));      /* page 10 */
	give_back(&s, five, true);
	give_back(&s, three, true);                             /* 8 pages > 7: one purge */
	vmap_get_stats(&s, &st);
	ASSERT_EQ(t, st.nr_pooled, 2);
	ASSERT_NOT_NULL(t, x = take(&s, 2, PAGE_SIZE));
	EXPECT_EQ(t, x->va_start, TEST_BASE + 7 * PAGE_SIZE);
	EXPECT_EQ(t, x->va_end, TEST_BASE + 9 * PAGE_SIZE);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.pool_splits, 1);
	EXPECT_EQ(t, st.nr_pooled, 2);                          /* pages 1-5, page 9 */
	EXPECT_EQ(t, st.pooled_bytes, 6 * PAGE_SIZE);
	EXPECT_EQ(t, vmap_check(&s), 0);
	ASSERT_NOT_NULL(t, y = take(&s, 1, PAGE_SIZE));        /* its own size's pool now */
	EXPECT_EQ(t, y->va_start, TEST_BASE + 9 * PAGE_SIZE);
	want = vmap_lowest_fit(&s, 2 * PAGE_SIZE, 2 * PAGE_SIZE, s.start, s.end);
	ASSERT_NOT_NULL(t, z = take(&s, 2, 2 * PAGE_SIZE));
	EXPECT_EQ(t, z->va_start, want);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.pool_hits, 2);
	EXPECT_EQ(t, st.pool_splits, 1);
	EXPECT_EQ(t, st.tree_aligned_allocs, 1);
	EXPECT_EQ(t, vmap_check(&s), 0);
	GIVE_BACK_ALL(&s, pad, gap, end, x, y, z);
	space_done(t, &s);
}

/*
 * The free tree's alignment summary (mm/vmap_internal.h): the largest
 * alignment at which a free range can start a page. A subtree whose best
 * is below a request's alignment is skipped; lowest_fit_equals_brute_force
 * checks that this never skips the answer, this that the summary is right.
 */
static void a_free_ranges_alignment_is_its_best_page_start(struct ktest *t)
{
	static const struct { unsigned long start, end; unsigned shift; } c[] = {
		{ 0x6000, 0x8000, 13 },         /* a hole after 24 KiB of 32: 0x6000 */
		{ 0x1000, 0x3000, 13 },         /* 0x2000 has its page: 8 KiB */
		{ 0x1000, 0x2000, 12 },         /* one page at 0x1000 */
		{ 0x3000, 0x105000, 20 },       /* 0x100000 (1 MiB) has its page */
		{ 0x3000, 0x100000, 19 },       /* 0x100000 has no page after it: 0x80000 */
		{ 0, 0x1000, 44 },              /* TEST_BASE itself: 2^44 */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		struct vmap_area va = { .va_start = TEST_BASE + c[i].start,
					.va_end = TEST_BASE + c[i].end };

		EXPECT_EQ(t, vmap_align_shift_of(&va), c[i].shift);
	}
}

/*
 * A purge trims each pool to twice what it served since the last purge
 * (at least VMAP_POOL_BATCH = 16 ranges): 40 two-page ranges pooled, one
 * taken, and at the next purge the pool keeps its newest 16 and gives the
 * other 23 back to the free tree, before the purged ranges join the pools.
 */
static void a_purge_trims_a_pool_to_twice_what_it_served(struct ktest *t)
{
	struct vmap_area *v[40], *x, *big, *more;
	struct vmap_stats st;
	struct vmap_space s;

	two_page_areas(t, &s, 512, 256, 80, v, 40);
	ASSERT_NOT_NULL(t, big = take(&s, 40, PAGE_SIZE));     /* not pooled: 40 > lazy room */
	for (int i = 0; i < 40; i++)
		give_back(&s, v[i], true);                      /* 80 pages: no purge yet */
	give_back(&s, big, true);                               /* 120 pages > 80: purge */
	vmap_get_stats(&s, &st);
	ASSERT_EQ(t, st.nr_pooled, 41);                         /* 40 two-page, the 40-page one */
	ASSERT_NOT_NULL(t, x = take(&s, 2, PAGE_SIZE));         /* the pool serves one */
	ASSERT_NOT_NULL(t, big = take(&s, 40, PAGE_SIZE));      /* and the 40-page pool its one */
	ASSERT_NOT_NULL(t, more = take(&s, 50, PAGE_SIZE));     /* the free tree */
	give_back(&s, x, true);
	give_back(&s, big, true);                               /* 42 pages: no purge */
	give_back(&s, more, true);                              /* 92 pages > 80: purge */
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_purges, 2);
	EXPECT_EQ(t, st.nr_pooled, 16 + 3);                    /* 16 kept; x, big, more */
	EXPECT_EQ(t, vmap_check(&s), 0);
	space_done(t, &s);
}

/*
 * The bound: a range with the alignment under VMAP_POOL_SCAN others that
 * lack it is not found (the free tree's lowest fit serves), one place
 * higher it is.
 */
static void an_aligned_request_looks_at_most_pool_scan_ranges_deep(struct ktest *t)
{
	enum { N = VMAP_POOL_SCAN + 1, PAGES = 2 * (N + N / 3 + 2) };
	struct vmap_area *v[PAGES / 2], *a, *top, *x, *y;
	unsigned long want;
	struct vmap_stats st;
	struct vmap_space s;
	int freed = 0;

	two_page_areas(t, &s, 4 * PAGES, 4 * PAGES, 2 * N - 1, v, PAGES / 2);    /* v[i]: page 2i */
	ASSERT_NOT_NULL(t, a = take(&s, 1, PAGE_SIZE));                /* keeps them apart */
	for (int i = 1; freed < N - 1; i++)
		if (i % 4) {                            /* not 8-page aligned */
			give_back(&s, v[i], true);
			v[i] = NULL;
			freed++;
		}
	give_back(&s, v[4], true);      /* page 8 last: purges, pooled first, at the bottom */
	v[4] = NULL;
	vmap_get_stats(&s, &st);
	ASSERT_EQ(t, st.nr_pooled, N);
	want = vmap_lowest_fit(&s, 2 * PAGE_SIZE, 8 * PAGE_SIZE, s.start, s.end);
	ASSERT_NOT_NULL(t, x = take(&s, 2, 8 * PAGE_SIZE));
	EXPECT_EQ(t, x->va_start, want);                /* page 8 is VMAP_POOL_SCAN deep */
	ASSERT_NOT_NULL(t, top = take(&s, 2, PAGE_SIZE));
	ASSERT_NOT_NULL(t, y = take(&s, 2, 8 * PAGE_SIZE));
	EXPECT_EQ(t, y->va_start, TEST_BASE + 8 * PAGE_SIZE);  /* one higher: found */
	EXPECT_EQ(t, vmap_check(&s), 0);
	give_all_back(&s, v, PAGES / 2);
	GIVE_BACK_ALL(&s, a, top, x, y);
	space_done(t, &s);
}

static void pools_hold_at_most_pool_max(struct ktest *t)
{
	struct vmap_area *v[4];
	struct vmap_stats st;
	struct vmap_space s;

	two_page_areas(t, &s, 256, 4, 7, v, 4);
	free_lazily(&s, v, 4);                                  /* 8 pages > 7: one purge */
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_purges, 1);
	EXPECT_EQ(t, st.nr_pooled, 2);                          /* 4 pages pooled */
	EXPECT_EQ(t, st.pooled_bytes, 4 * PAGE_SIZE);
	EXPECT_EQ(t, st.free_bytes + st.pooled_bytes, 256 * PAGE_SIZE);
	EXPECT_EQ(t, vmap_check(&s), 0);
	space_done(t, &s);
}

/*
 * A CPU's purge gives back the pools of sizes nobody took since its last
 * purge, and keeps those that served: the sizes of a past burst do not
 * stay out of the free tree.
 */
static void a_purge_gives_back_pools_nobody_used(struct ktest *t)
{
	struct vmap_area *two[2], *three[2], *four[2], *b;
	struct vmap_stats st;
	struct vmap_space s;

	space_init(t, &s, 256);
	s.pool_max = 64 * PAGE_SIZE;
	s.lazy_max = 5 * PAGE_SIZE;
	for (int i = 0; i < 2; i++) {
		ASSERT_NOT_NULL(t, two[i] = take(&s, 2, PAGE_SIZE));
		ASSERT_NOT_NULL(t, three[i] = take(&s, 3, PAGE_SIZE));
		ASSERT_NOT_NULL(t, four[i] = take(&s, 4, PAGE_SIZE));
	}
	free_lazily(&s, two, 2);
	free_lazily(&s, three, 1);              /* 7 pages > 5: purge; pools: 2, 2, 3 */
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_pooled, 3);
	ASSERT_NOT_NULL(t, b = take(&s, 3, PAGE_SIZE));        /* the 3-page pool serves */
	free_lazily(&s, four, 2);               /* 8 pages > 5: purge; the 2-page pool goes */
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_pooled, 2);                          /* the two 4-page ranges */
	EXPECT_EQ(t, st.pooled_bytes, 8 * PAGE_SIZE);
	EXPECT_EQ(t, vmap_lowest_fit(&s, 2 * PAGE_SIZE, PAGE_SIZE, s.start, s.end), s.start);
	EXPECT_EQ(t, vmap_check(&s), 0);
	give_back(&s, b, false);
	give_back(&s, three[1], false);
	space_done(t, &s);
}

/* Above VMAP_POOL_PAGES, or with pool_max 0 (private spaces), nothing is pooled. */
static void large_ranges_and_unpooled_spaces_skip_the_pools(struct ktest *t)
{
	struct vmap_area *v[2];
	struct vmap_stats st;
	struct vmap_space s;

	space_init(t, &s, 256);
	s.pool_max = 64 * PAGE_SIZE;
	s.lazy_max = PAGE_SIZE;
	ASSERT_NOT_NULL(t, v[0] = take(&s, VMAP_POOL_PAGES + 1, PAGE_SIZE));
	free_lazily(&s, v, 1);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_purges, 1);
	EXPECT_EQ(t, st.nr_pooled, 0);
	s.pool_max = 0;
	ASSERT_NOT_NULL(t, v[1] = take(&s, 1, PAGE_SIZE));
	free_lazily(&s, v + 1, 1);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_purges, 1);                          /* 1 page is not above 1 */
	EXPECT_EQ(t, st.nr_lazy, 1);
	purge_vmap_area_lazy(&s);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_pooled + st.nr_lazy, 0);
	EXPECT_EQ(t, st.nr_free, 1);
	space_done(t, &s);
}

/* alloc_vmap_area() with its nth FAULT_SLAB call failing; *injected: the failures injected. */
static struct vmap_area *alloc_failing(struct ktest *t, struct vmap_space *s, unsigned long nth,
				       unsigned long size, unsigned long align, unsigned long vend,
				       unsigned long *injected)
{
	struct fault_attr fail = { .mode = FAULT_MODE_NTH, .n = nth };
	struct fault_stats fs;
	struct vmap_area *va;

	*injected = 0;
	if (fault_inject_set(FAULT_SLAB, &fail)) {
		KTEST_FAIL(t, "fault_inject_set refused nth %lu", nth);
		return NULL;
	}
	fault_inject_begin();
	va = alloc_vmap_area(s, size, align, s->start, vend);
	fault_inject_end();
	fault_inject_get_stats(FAULT_SLAB, &fs);
	fault_inject_clear(FAULT_SLAB);
	*injected = fs.injected;
	return va;
}

/* A failed call moved nothing: the free tree, the busy zones, the pools as `before`. */
static void expect_nothing_moved(struct ktest *t, struct vmap_space *s,
				 const struct vmap_stats *before)
{
	struct vmap_stats now;

	vmap_get_stats(s, &now);
	EXPECT_EQ(t, now.nr_free, before->nr_free);
	EXPECT_EQ(t, now.free_bytes, before->free_bytes);
	EXPECT_EQ(t, now.nr_busy, before->nr_busy);
	EXPECT_EQ(t, now.nr_pooled, before->nr_pooled);
	EXPECT_EQ(t, now.pool_refills, before->pool_refills);
	EXPECT_EQ(t, vmap_check(s), 0);
}

/* 2-page requests on a space with free 2-page holes at pages 0 and 4: [0,2) [4,6) [8,256). */
static void two_holes(struct ktest *t, struct vmap_space *s, struct vmap_area **h)
{
	space_init(t, s, 256);
	for (int i = 0; i < 4; i++)
		ASSERT_NOT_NULL(t, h[i] = take(s, 2, PAGE_SIZE));       /* no pools yet: no miss */
	give_back(s, h[0], false);
	give_back(s, h[2], false);
	s->pool_max = 64 * PAGE_SIZE;
	s->pool_batch = 4;
}

/*
 * Takes n 2-page areas aligned to `align` into v[], each expected at page
 * want[i] with pooled[i] ranges pooled after it; *st: the stats after the last.
 */
static void take_in_turn(struct ktest *t, struct vmap_space *s, unsigned long align,
			 const unsigned long *want, const unsigned long *pooled,
			 struct vmap_area **v, unsigned n, struct vmap_stats *st)
{
	for (unsigned i = 0; i < n; i++) {
		ASSERT_NOT_NULL(t, v[i] = take(s, 2, align));
		EXPECT_EQ(t, v[i]->va_start, TEST_BASE + want[i] * PAGE_SIZE);
		vmap_get_stats(s, st);
		EXPECT_EQ(t, st->nr_pooled, pooled[i]);
		EXPECT_EQ(t, vmap_check(s), 0);
	}
}

/*
 * A pool that runs dry again is refilled in a batch, in one hold of the
 * free tree's lock: the ranges the free tree would have given the next
 * requests of that size one by one (holes first, in address order), 2 at
 * the second miss since the CPU's last purge, then 4 (s.pool_batch). The
 * pool hands them out in that order, and the free tree, which no longer
 * has them, still gives the exact lowest fit for what it serves.
 */
static void a_dry_pool_is_refilled_with_the_next_lowest_fits(struct ktest *t)
{
	static const unsigned long want[] = { 0, 4, 8, 10, 12, 14, 16 };      /* pages */
	static const unsigned long pooled[] = { 0, 1, 0, 3, 2, 1, 0 };        /* after each */
	struct vmap_area *h[4], *v[ARRAY_SIZE(want)], *other;
	struct vmap_stats st;
	struct vmap_space s;

	two_holes(t, &s, h);
	take_in_turn(t, &s, PAGE_SIZE, want, pooled, v, ARRAY_SIZE(want), &st);
	EXPECT_EQ(t, st.pool_refills, 2);
	EXPECT_EQ(t, st.pool_hits, 4);
	/* The free tree: everything below page 18 is taken; 3 pages, 8 aligned, lowest fits. */
	EXPECT_EQ(t, vmap_lowest_fit(&s, 2 * PAGE_SIZE, PAGE_SIZE, s.start, s.end),
		     TEST_BASE + 18 * PAGE_SIZE);
	EXPECT_EQ(t, vmap_lowest_fit(&s, 3 * PAGE_SIZE, 8 * PAGE_SIZE, s.start, s.end),
		     vmap_lowest_fit_brute(&s, 3 * PAGE_SIZE, 8 * PAGE_SIZE, s.start, s.end));
	ASSERT_NOT_NULL(t, other = take(&s, 3, PAGE_SIZE));
	EXPECT_EQ(t, other->va_start, TEST_BASE + 18 * PAGE_SIZE);
	give_back(&s, other, false);
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
		give_back(&s, v[i], false);
	give_back(&s, h[1], false);
	give_back(&s, h[3], false);
	space_done(t, &s);
}

/*
 * An aligned request whose pool has no range with its alignment is
 * refilled in batches as well: the next lowest fits with that alignment
 * (2-page ranges at every 4th page here), the holes between them left in
 * the free tree, where a page-aligned request of the size then finds them;
 * but not when the alignment would make each hole larger than its range.
 */
static void an_aligned_pool_miss_is_refilled_with_aligned_lowest_fits(struct ktest *t)
{
	static const unsigned long want[] = { 0, 4, 8, 12, 16, 20, 24 };      /* pages */
	static const unsigned long pooled[] = { 0, 1, 0, 3, 2, 1, 0 };        /* after each */
	struct vmap_area *v[ARRAY_SIZE(want)], *far[3], *hole;
	struct vmap_stats st;
	struct vmap_space s;

	space_init(t, &s, 256);
	s.pool_max = 64 * PAGE_SIZE;
	s.pool_batch = 4;
	take_in_turn(t, &s, 4 * PAGE_SIZE, want, pooled, v, ARRAY_SIZE(want), &st);
	EXPECT_EQ(t, st.pool_refills, 2);
	EXPECT_EQ(t, st.pool_aligned_hits, 4);
	EXPECT_EQ(t, st.tree_aligned_allocs, 1);                /* the first miss */
	/* Aligned to more than twice their size: never batched, the free tree's lowest fits. */
	for (unsigned i = 0; i < ARRAY_SIZE(far); i++) {
		unsigned long want_far = vmap_lowest_fit(&s, 2 * PAGE_SIZE, 8 * PAGE_SIZE, s.start, s.end);

		ASSERT_NOT_NULL(t, far[i] = take(&s, 2, 8 * PAGE_SIZE));
		EXPECT_EQ(t, far[i]->va_start, want_far);
	}
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.pool_refills, 2);
	EXPECT_EQ(t, st.tree_aligned_allocs, 1 + ARRAY_SIZE(far));
	ASSERT_NOT_NULL(t, hole = take(&s, 2, PAGE_SIZE));
	EXPECT_EQ(t, hole->va_start, TEST_BASE + 2 * PAGE_SIZE);
	give_back(&s, hole, false);
	give_all_back(&s, v, (int)ARRAY_SIZE(v));
	give_all_back(&s, far, (int)ARRAY_SIZE(far));
	space_done(t, &s);
}

/*
 * A batch refill allocates its area objects before it takes the free
 * tree's lock; each of them may fail (FAULT_SLAB): the call returns NULL,
 * one injected failure is counted, and nothing moved (no range taken, no
 * object kept: the case's leak check). The refill with no failure works.
 */
static void a_failed_batch_refill_takes_nothing(struct ktest *t)
{
	struct vmap_area *h[4], *first, *v = NULL;
	struct vmap_stats before, after;
	unsigned long nth, injected;
	struct vmap_space s;

	two_holes(t, &s, h);
	ASSERT_NOT_NULL(t, first = take(&s, 2, PAGE_SIZE));    /* the first miss: no batch */
	vmap_get_stats(&s, &before);
	EXPECT_EQ(t, before.nr_pooled + before.pool_refills, 0);
	for (nth = 1; nth <= 8; nth++) {
		v = alloc_failing(t, &s, nth, 2 * PAGE_SIZE, PAGE_SIZE, s.end, &injected);
		if (v)
			break;
		EXPECT_EQ(t, injected, 1);
		expect_nothing_moved(t, &s, &before);
	}
	/* The 1st object of a batch of 2, then the 2nd, 3rd, 4th of batches of 4 (misses count on). */
	EXPECT_EQ(t, nth, 5);
	ASSERT_NOT_NULL(t, v);
	EXPECT_EQ(t, v->va_start, TEST_BASE + 4 * PAGE_SIZE);
	vmap_get_stats(&s, &after);
	EXPECT_EQ(t, after.nr_pooled, 3);
	EXPECT_EQ(t, after.pool_refills, 1);
	give_back(&s, v, false);
	give_back(&s, first, false);
	give_back(&s, h[1], false);
	give_back(&s, h[3], false);
	space_done(t, &s);
}

/*
 * A purge gives its leftovers to the free tree sorted, touching ones
 * joined first: 40 ranges freed in a scrambled order (rising and falling
 * runs) end as one free range, every object but one freed (the case's
 * leak check), the space tiled exactly (the checker).
 */
static void a_purge_of_scrambled_ranges_leaves_them_joined(struct ktest *t)
{
	enum { N = 40 };
	struct vmap_area *v[N], *order[N], *after;
	struct vmap_stats st;
	struct vmap_space s;

	space_init(t, &s, 64);
	s.lazy_max = 64 * PAGE_SIZE;
	for (int i = 0; i < N; i++)
		ASSERT_NOT_NULL(t, v[i] = take(&s, 1, PAGE_SIZE));
	ASSERT_NOT_NULL(t, after = take(&s, 1, PAGE_SIZE));   /* keeps them apart from the rest */
	for (int i = 0; i < N; i++)
		order[i] = v[i * 7 % N];                        /* 7 and 40 coprime: each once */
	free_lazily(&s, order, N);
	purge_vmap_area_lazy(&s);
	vmap_get_stats(&s, &st);
	EXPECT_EQ(t, st.nr_lazy, 0);
	EXPECT_EQ(t, st.nr_free, 2);                            /* [0, 40) and [41, 64) */
	EXPECT_EQ(t, st.largest_free, N * PAGE_SIZE);
	EXPECT_EQ(t, vmap_lowest_fit(&s, N * PAGE_SIZE, PAGE_SIZE, s.start, s.end), s.start);
	EXPECT_EQ(t, vmap_check(&s), 0);
	give_back(&s, after, false);
	space_done(t, &s);
}

/* A range in the wrong pool, counts that disagree, a list range over a busy one. */
static void checker_catches_broken_lists(struct ktest *t)
{
	struct vmap_area *v[2], *a, *pooled;
	struct ktest_capture cap;
	struct vmap_cpu *c;
	struct vmap_space s;
	char buf[256];
	static const char *const want[] = { "another size", "lazy count", "overlap" };

	space_init(t, &s, 64);
	s.pool_max = 16 * PAGE_SIZE;
	s.lazy_max = 3 * PAGE_SIZE;
	ASSERT_NOT_NULL(t, v[0] = take(&s, 2, PAGE_SIZE));
	ASSERT_NOT_NULL(t, v[1] = take(&s, 2, PAGE_SIZE));
	ASSERT_NOT_NULL(t, a = take(&s, 2, PAGE_SIZE));
	free_lazily(&s, v, 2);                  /* both pooled, on this CPU */
	c = &s.cpu[arch_cpu_id()];
	ASSERT_NOT_NULL(t, pooled = c->pool[1]);
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		if (i == 0) {                   /* the 2-page pool's head moved to the 3-page one */
			c->pool[1] = pooled->next;
			pooled->next = NULL;
			c->pool[2] = pooled;
		} else if (i == 1) {
			c->nr_lazy++;
		} else {                        /* a lazy entry over busy area a */
			a->next = NULL;
			c->lazy = a;
			c->nr_lazy = 1;
			c->lazy_bytes = 2 * PAGE_SIZE;
		}
		ktest_capture_start(&cap, buf, sizeof(buf), true);
		EXPECT_EQ(t, vmap_check(&s), -EINVAL);
		EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
		EXPECT_TRUE(t, ktest_contains(buf, want[i]));
		if (i == 0) {
			c->pool[2] = NULL;
			pooled->next = c->pool[1];
			c->pool[1] = pooled;
		} else if (i == 1) {
			c->nr_lazy--;
		} else {
			c->lazy = NULL;
			c->nr_lazy = 0;
			c->lazy_bytes = 0;
		}
	}
	EXPECT_EQ(t, vmap_check(&s), 0);
	give_back(&s, a, false);
	space_done(t, &s);
}

/* --- failure and checking ----------------------------------------------- */

static void failed_split_changes_nothing(struct ktest *t)
{
	struct vmap_stats before;
	struct vmap_area *a, *b;
	struct vmap_space s;

	space_init(t, &s, 64);
	a = take(&s, 8, PAGE_SIZE);
	ASSERT_NOT_NULL(t, a);
	give_back(&s, a, false);
	a = take(&s, 1, PAGE_SIZE);                    /* keeps the space from merging */
	ASSERT_NOT_NULL(t, a);
	vmap_get_stats(&s, &before);
	/*
	 * 16 KiB aligned inside [1, 64): a middle cut, which needs a node for
	 * the right part besides the area's own. Each of the two fails in turn.
	 */
	for (unsigned long nth = 1; nth <= 2; nth++) {
		unsigned long injected;

		b = alloc_failing(t, &s, nth, PAGE_SIZE, 4 * PAGE_SIZE, s.start + 8 * PAGE_SIZE,
				  &injected);
		EXPECT_EQ(t, injected, 1);
		EXPECT_NULL(t, b);
		expect_nothing_moved(t, &s, &before);
	}
	b = alloc_vmap_area(&s, PAGE_SIZE, 4 * PAGE_SIZE, s.start, s.start + 8 * PAGE_SIZE);
	ASSERT_NOT_NULL(t, b);
	EXPECT_EQ(t, b->va_start, TEST_BASE + 4 * PAGE_SIZE);
	give_back(&s, b, false);
	give_back(&s, a, false);
	space_done(t, &s);
}

static void checker_catches_broken_trees(struct ktest *t)
{
	struct ktest_capture cap;
	struct vmap_area *a, *b;
	struct vmap_space s;
	unsigned long saved;
	struct vmap_area *f;
	char buf[256];

	space_init(t, &s, 64);
	a = take(&s, 2, PAGE_SIZE);
	b = take(&s, 2, PAGE_SIZE);
	ASSERT_TRUE(t, a && b);
	give_back(&s, a, false);
	f = rb_entry(s.free.node, struct vmap_area, rb_node);

	saved = f->subtree_max_size;                    /* a wrong cached maximum */
	f->subtree_max_size = saved + PAGE_SIZE;
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_EQ(t, vmap_check(&s), -EINVAL);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "maximum"));
	f->subtree_max_size = saved;

	b->va_end += PAGE_SIZE;                                /* overlaps the free tail */
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_EQ(t, vmap_check(&s), -EINVAL);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "overlap"));
	b->va_end -= 2 * PAGE_SIZE;                            /* leaves a hole */
	ktest_capture_start(&cap, buf, sizeof(buf), true);
	EXPECT_EQ(t, vmap_check(&s), -EINVAL);
	EXPECT_EQ(t, ktest_capture_stop(&cap), 1);
	EXPECT_TRUE(t, ktest_contains(buf, "hole"));
	b->va_end += PAGE_SIZE;
	EXPECT_EQ(t, vmap_check(&s), 0);
	give_back(&s, b, false);
	space_done(t, &s);
}

static void kernel_space_is_consistent(struct ktest *t)
{
	struct vmap_stats st;

	EXPECT_EQ(t, vmap_check(&kernel_vmap_space), 0);
	vmap_get_stats(&kernel_vmap_space, &st);
	EXPECT_EQ(t, st.free_bytes + st.busy_bytes + st.lazy_bytes + st.pooled_bytes,
		  VMALLOC_END - VMALLOC_START);
	EXPECT_GE(t, st.nr_free, 1);
}

static const struct ktest_case vmap_area_cases[] = {
	KTEST_CASE(rbtree_random_operations_keep_invariants),
	KTEST_CASE(rbtree_sequential_keys_stay_balanced),
	KTEST_CASE(allocation_is_lowest_first_fit),
	KTEST_CASE(frees_merge_with_free_neighbours),
	KTEST_CASE(alignment_and_window_are_respected),
	KTEST_CASE(lookup_finds_the_containing_area),
	KTEST_CASE_TIMEOUT(lowest_fit_equals_brute_force, 60),
	KTEST_CASE(lazy_ranges_are_not_reused_before_the_purge),
	KTEST_CASE(full_space_purges_and_retries),
	KTEST_CASE(lazy_threshold_triggers_a_purge),
	KTEST_CASE(pool_serves_purged_ranges_of_its_size),
	KTEST_CASE(an_aligned_request_finds_any_pooled_range_that_has_it),
	KTEST_CASE(a_smaller_request_cuts_the_smallest_larger_pooled_range),
	KTEST_CASE(a_purge_trims_a_pool_to_twice_what_it_served),
	KTEST_CASE(a_free_ranges_alignment_is_its_best_page_start),
	KTEST_CASE(an_aligned_request_looks_at_most_pool_scan_ranges_deep),
	KTEST_CASE(pools_hold_at_most_pool_max),
	KTEST_CASE(a_purge_gives_back_pools_nobody_used),
	KTEST_CASE(large_ranges_and_unpooled_spaces_skip_the_pools),
	KTEST_CASE(a_dry_pool_is_refilled_with_the_next_lowest_fits),
	KTEST_CASE(an_aligned_pool_miss_is_refilled_with_aligned_lowest_fits),
	KTEST_CASE(a_failed_batch_refill_takes_nothing),
	KTEST_CASE(a_purge_of_scrambled_ranges_leaves_them_joined),
	KTEST_CASE(checker_catches_broken_lists),
	KTEST_CASE(failed_split_changes_nothing),
	KTEST_CASE(checker_catches_broken_trees),
	KTEST_CASE(each_home_region_has_zones_of_its_own),
	KTEST_CASE(kernel_space_is_consistent),
	{}
};

static const struct ktest_suite vmap_area_suite = {
	.name = "vmap_area",
	.cases = vmap_area_cases,
	.init = va_case_init,
	.exit = va_case_exit,
};
KTEST_SUITE_REGISTER(vmap_area_suite);
