/* Seeded random numbers for tests: see tests/ktest_rand.h. */
#include "tests/ktest_rand.h"
#include "tests/ktest.h"

void ktest_rand_init(struct ktest_rand *r, u64 seed)
{
	/* splitmix64 of the seed: neighbouring seeds give unrelated streams. */
	seed += 0x9e3779b97f4a7c15ull;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ull;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebull;
	seed ^= seed >> 31;
	r->state = seed ? seed : 1;
}

void ktest_rand_init_seed(struct ktest_rand *r, u64 salt)
{
	ktest_rand_init(r, ktest_seed() ^ (salt * 0x2545f4914f6cdd1dull));
}

/* xorshift64* (Vigna): small, fast, good enough to pick test inputs. */
u64 ktest_rand(struct ktest_rand *r)
{
	u64 x = r->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->state = x;
	return x * 0x2545f4914f6cdd1dull;
}

unsigned long ktest_rand_below(struct ktest_rand *r, unsigned long n)
{
	return ktest_rand(r) % n;
}

unsigned long ktest_rand_between(struct ktest_rand *r, unsigned long lo, unsigned long hi)
{
	return lo + ktest_rand(r) % (hi - lo + 1);
}

bool ktest_rand_chance(struct ktest_rand *r, unsigned percent)
{
	return ktest_rand(r) % 100 < percent;
}
