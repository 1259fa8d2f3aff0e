/* The stress test's reference model: see tests/stress_model.h. */
#include "tests/stress_model.h"
#include "kernel/lib/string.h"

void stress_model_init(struct stress_model *m, u64 seed)
{
	memset(m, 0, sizeof(*m));
	/* splitmix64 of the seed: neighbouring seeds give unrelated streams, never 0. */
	seed += 0x9e3779b97f4a7c15ull;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ull;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebull;
	seed ^= seed >> 31;
	m->rng = seed ? seed : 1;
}

/* xorshift64* (Vigna): small, fast, good enough to pick operations. */
u64 stress_rand(struct stress_model *m)
{
	u64 x = m->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	m->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

unsigned long stress_rand_between(struct stress_model *m, unsigned long lo, unsigned long hi)
{
	return lo + stress_rand(m) % (hi - lo + 1);
}

bool stress_chance(struct stress_model *m, unsigned percent)
{
	return stress_rand(m) % 100 < percent;
}

struct stress_obj *stress_slot(struct stress_model *m)
{
	for (unsigned i = 0; i < STRESS_MAX_OBJS; i++) {
		if (!m->objs[i].live) {
			memset(&m->objs[i], 0, sizeof(m->objs[i]));
			return &m->objs[i];
		}
	}
	return NULL;
}

void stress_add(struct stress_model *m, struct stress_obj *o)
{
	o->live = true;
	m->nr_live[o->kind]++;
	m->nr_live_all++;
	m->areas += o->areas;
}

void stress_drop(struct stress_model *m, struct stress_obj *o)
{
	o->live = false;
	m->nr_live[o->kind]--;
	m->nr_live_all--;
	m->areas -= o->areas;
}

static bool fits(const struct stress_obj *o, enum stress_kind kind,
		 bool (*ok)(const struct stress_obj *o))
{
	return o->live && (kind == SK_NR || o->kind == kind) && (!ok || ok(o));
}

struct stress_obj *stress_pick(struct stress_model *m, enum stress_kind kind,
			       bool (*ok)(const struct stress_obj *o))
{
	unsigned n = 0, k;

	for (unsigned i = 0; i < STRESS_MAX_OBJS; i++)
		n += fits(&m->objs[i], kind, ok);
	if (!n)
		return NULL;
	k = stress_rand(m) % n;
	for (unsigned i = 0; i < STRESS_MAX_OBJS; i++)
		if (fits(&m->objs[i], kind, ok) && k-- == 0)
			return &m->objs[i];
	return NULL;
}

const struct stress_obj *stress_overlap(const struct stress_model *m, const struct stress_obj *self)
{
	bool heap = self->kind == SK_KMALLOC;

	for (unsigned i = 0; i < STRESS_MAX_OBJS; i++) {
		const struct stress_obj *o = &m->objs[i];

		if (!o->live || o == self || (o->kind == SK_KMALLOC) != heap)
			continue;
		if (self->addr < o->addr + o->span && o->addr < self->addr + self->span)
			return o;
	}
	return NULL;
}

u64 stress_mask(unsigned long first, unsigned long count)
{
	u64 ones = count >= 64 ? ~0ull : (1ull << count) - 1;

	return first >= 64 ? 0 : ones << first;
}

long stress_lowest_free_run(const struct stress_obj *o, unsigned long count)
{
	for (unsigned long first = 0; first + count <= o->nr_pages; first++)
		if (!(o->mapped & stress_mask(first, count)))
			return (long)first;
	return -1;
}

unsigned stress_popcount(u64 mask)
{
	unsigned n = 0;

	for (; mask; mask &= mask - 1)
		n++;
	return n;
}
