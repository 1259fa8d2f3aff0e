/*
 * Seeded random numbers for tests: one generator (xorshift64*, seeded
 * through splitmix64) that every randomised suite uses, so that a run is
 * replayed by its seed. ktest_rand_init_seed() takes the run's seed
 * (`ktest.seed=N`, printed at the start of every run) and a salt, so two
 * generators of one case do not give the same stream.
 */
#ifndef TESTS_KTEST_RAND_H
#define TESTS_KTEST_RAND_H

#include "kernel/types.h"

struct ktest_rand {
	u64 state;              /* never 0 */
};

/* Seeds `r` with `seed` (any value, 0 included): nearby seeds give unrelated streams. */
void ktest_rand_init(struct ktest_rand *r, u64 seed);

/* Seeds `r` from the run's seed (ktest_seed()) mixed with `salt`. */
void ktest_rand_init_seed(struct ktest_rand *r, u64 salt);

/* The next 64 random bits. */
u64 ktest_rand(struct ktest_rand *r);

/* A random number in [0, n) (n > 0). */
unsigned long ktest_rand_below(struct ktest_rand *r, unsigned long n);

/* A random number in [lo, hi] (hi >= lo). */
unsigned long ktest_rand_between(struct ktest_rand *r, unsigned long lo, unsigned long hi);

/* True with probability percent / 100. */
bool ktest_rand_chance(struct ktest_rand *r, unsigned percent);

#endif
