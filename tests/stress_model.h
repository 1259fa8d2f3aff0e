/*
 * The reference model of the random stress test (tests/test_stress.c):
 * what the test believes is live, where, and what each page holds. It
 * is plain bookkeeping with no call into mm/, so that every decision the
 * test makes (which operation, which object, which range) depends only
 * on the seed and on the model, never on the addresses the kernel hands
 * out: a seed replays the same operations whatever ran before.
 *
 * Contents: page i of an object holds two words, tag + i at offset 0
 * (written through the vmalloc address, read through the direct map)
 * and ~(tag + i) at offset 8 (written through the direct map, read
 * through the vmalloc address). A kmalloc object is filled with the low
 * byte of its tag.
 */
#ifndef TESTS_STRESS_MODEL_H
#define TESTS_STRESS_MODEL_H

#include "kernel/types.h"

struct vm_struct;
struct arena;
struct page;

#define STRESS_MAX_OBJS         64      /* live objects at most */
#define STRESS_MAX_PAGES        64      /* pages of a vmap, sparse area or arena */

enum stress_kind { SK_VMALLOC, SK_VMAP, SK_SPARSE, SK_ARENA, SK_KMALLOC, SK_NR };

struct stress_obj {
	enum stress_kind kind;
	bool live;
	unsigned long addr;             /* first byte (kmalloc: the pointer) */
	unsigned long span;             /* bytes it takes: the area with its guard; kmalloc: size */
	unsigned long nr_pages;         /* pages the test uses (kmalloc: 0) */
	u64 tag;                        /* page i holds tag + i; kmalloc: filled with (u8)tag */
	u64 mapped;                     /* bit i: page i is mapped (every page of vmalloc, vmap) */
	unsigned flags;                 /* vmap/sparse: VM_*; arena: ARENA_* */
	unsigned areas;                 /* vmap areas it holds (a vmalloc'ed page array: 2) */
	struct vm_struct *vm;           /* sparse */
	struct arena *arena;            /* arena */
	struct page *pages[STRESS_MAX_PAGES];   /* vmap, sparse: the test's frame at page i */
};

struct stress_model {
	struct stress_obj objs[STRESS_MAX_OBJS];
	unsigned nr_live[SK_NR];
	unsigned nr_live_all;
	unsigned long areas;            /* vmap areas held by live objects */
	unsigned long warnings;         /* warning lines the operations were expected to print */
	u64 rng;                        /* xorshift64* state, never 0 */
};

/* Empties the model and seeds its generator (any seed, 0 included). */
void stress_model_init(struct stress_model *m, u64 seed);

/* The next 64 random bits. */
u64 stress_rand(struct stress_model *m);

/* A random number in [lo, hi] (hi >= lo). */
unsigned long stress_rand_between(struct stress_model *m, unsigned long lo, unsigned long hi);

/* True with probability percent / 100. */
bool stress_chance(struct stress_model *m, unsigned percent);

/* A free slot, zeroed and not yet live, or NULL if the model is full. */
struct stress_obj *stress_slot(struct stress_model *m);

/* Makes a filled-in slot live and counts it (its kind and areas). */
void stress_add(struct stress_model *m, struct stress_obj *o);

/* Forgets a live object. */
void stress_drop(struct stress_model *m, struct stress_obj *o);

/*
 * A random live object of `kind` (SK_NR: any kind) for which `ok` is true
 * (NULL: any), or NULL if there is none.
 */
struct stress_obj *stress_pick(struct stress_model *m, enum stress_kind kind,
			       bool (*ok)(const struct stress_obj *o));

/*
 * A live object other than `self` whose [addr, addr + span) meets
 * [addr, addr + span) and is in the same space (kmalloc objects with
 * kmalloc objects, areas with areas), or NULL.
 */
const struct stress_obj *stress_overlap(const struct stress_model *m, const struct stress_obj *self);

/* Bits [first, first + count) of a 64-bit page mask. */
u64 stress_mask(unsigned long first, unsigned long count);

/* The lowest `first` such that pages [first, first + count) of `o` are unmapped, or -1. */
long stress_lowest_free_run(const struct stress_obj *o, unsigned long count);

/* Pages set in a mask. */
unsigned stress_popcount(u64 mask);

#endif
