/*
 * The fuzz engine's model and checks: what is live, and whether the
 * memory subsystem agrees (see tests/host/fuzz.h).
 */
#include "tests/host/fuzz_internal.h"
#include "host/machine.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "mm/arena.h"
#include "mm/layout.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#include <stdlib.h>

/* --- live objects ------------------------------------------------------------ */

struct fobj *fuzz_slot(struct fuzz *f)
{
	for (unsigned i = 0; i < FUZZ_MAX_OBJS; i++) {
		if (!f->objs[i].live) {
			memset(&f->objs[i], 0, sizeof(f->objs[i]));
			return &f->objs[i];
		}
	}
	return NULL;
}

static bool has_memory(const struct fobj *o)
{
	return o->kind != FK_AREA && o->kind != FK_SPARSE;
}

struct fobj *fuzz_pick(struct fuzz *f, enum fkind kind, unsigned n)
{
	unsigned count = 0;

	for (unsigned pass = 0; pass < 2; pass++) {
		unsigned seen = 0;

		for (unsigned i = 0; i < FUZZ_MAX_OBJS; i++) {
			struct fobj *o = &f->objs[i];

			if (!o->live || (kind == FK_NR ? !has_memory(o) : o->kind != kind))
				continue;
			if (pass == 1 && seen == n % count)
				return o;
			seen++;
		}
		count = seen;
		if (!count)
			return NULL;
	}
	return NULL;
}

/* --- reporting ------------------------------------------------------------------ */

void fuzz_trace(struct fuzz *f, const char *fmt, ...)
{
	char *line = f->trace[f->op % FUZZ_TRACE];
	int n = snprintf(line, sizeof(f->trace[0]), "op %u: ", f->op);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(f->trace[0]) - (size_t)n, fmt, ap);
	va_end(ap);
	if (f->verbose)
		printk("fuzz: %s\n", line);
}

__noreturn void fuzz_fail(struct fuzz *f, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	host_console_mute(false);
	printk("fuzz: FAILED at op %u: %s\n", f->op, msg);
	printk("fuzz: the last operations:\n");
	for (unsigned i = f->op >= FUZZ_TRACE ? f->op - FUZZ_TRACE + 1 : 0; i <= f->op; i++)
		printk("fuzz:   %s\n", f->trace[i % FUZZ_TRACE]);
	if (f->mode == FUZZ_ABORT)
		abort();
	klongjmp(&f->bail, 1);
}

/* --- the vmalloc space -------------------------------------------------------- */

#define MAX_LAZY 1024

struct lazy_ranges {
	unsigned n;
	bool overflow;
	unsigned long start[MAX_LAZY], end[MAX_LAZY];
};

static void collect_lazy(struct lazy_ranges *l)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long irq = spin_lock_irqsave(&s->lock);

	l->n = 0;
	l->overflow = false;
	for (struct rb_node *n = rb_first(&s->lazy); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (l->n == MAX_LAZY) {
			l->overflow = true;
			break;
		}
		l->start[l->n] = va->va_start;
		l->end[l->n++] = va->va_end;
	}
	spin_unlock_irqrestore(&s->lock, irq);
}

struct stale_ctx {
	const struct lazy_ranges *lazy;
	unsigned long bad;              /* a stale entry outside every lazy range, or 0 */
};

static void stale_entry(const struct sim_tlb_entry *e, void *arg)
{
	struct stale_ctx *c = arg;

	for (unsigned i = 0; i < c->lazy->n; i++)
		if (e->va >= c->lazy->start[i] && e->va < c->lazy->end[i])
			return;
	if (!c->bad)
		c->bad = e->va;
}

/*
 * The TLB rule: a translation the page tables no longer give may only
 * survive inside a range freed lazily (not reusable until the purge that
 * flushes it). Anywhere else, a flush was missing.
 */
static void check_tlb(struct fuzz *f)
{
	static struct lazy_ranges lazy;
	struct stale_ctx c = { .lazy = &lazy };
	unsigned long stale;

	collect_lazy(&lazy);
	if (lazy.overflow)
		return;
	stale = sim_tlb_for_each_stale(stale_entry, &c);
	FUZZ_CHECK(f, !c.bad, "stale TLB entry for 0x%lx outside every lazily freed range "
		   "(%lu stale entries): a flush is missing", c.bad, stale);
}

static int by_addr(const void *a, const void *b)
{
	const struct fobj *x = *(const struct fobj *const *)a, *y = *(const struct fobj *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Areas: where the model says, disjoint, found by find_vm_area(), counted busy. */
static void check_areas(struct fuzz *f)
{
	struct fobj *areas[FUZZ_MAX_OBJS];
	unsigned n = 0, busy = 0;
	struct vmap_stats st;

	for (unsigned i = 0; i < FUZZ_MAX_OBJS; i++) {
		struct fobj *o = &f->objs[i];

		if (!o->live)
			continue;
		busy += o->areas;
		if (!o->vm)
			continue;
		areas[n++] = o;
		FUZZ_CHECK(f, o->addr >= VMALLOC_START && o->addr + o->span <= VMALLOC_END &&
			   IS_ALIGNED(o->addr, o->align),
			   "area 0x%lx (+0x%lx) outside the vmalloc space or not aligned to 0x%lx",
			   o->addr, o->span, o->align);
		FUZZ_CHECK(f, find_vm_area((void *)o->addr) == o->vm &&
			   find_vm_area((void *)(o->addr + o->span - 1)) == o->vm,
			   "find_vm_area(0x%lx) does not give its area", o->addr);
	}
	qsort(areas, n, sizeof(areas[0]), by_addr);
	for (unsigned i = 1; i < n; i++)
		FUZZ_CHECK(f, areas[i - 1]->addr + areas[i - 1]->span <= areas[i]->addr,
			   "areas 0x%lx (+0x%lx) and 0x%lx overlap", areas[i - 1]->addr,
			   areas[i - 1]->span, areas[i]->addr);
	vmap_get_stats(&kernel_vmap_space, &st);
	FUZZ_CHECK(f, st.nr_busy == f->busy_at_boot + busy,
		   "%lu busy vmap areas, the model holds %u (+%lu from boot)", st.nr_busy, busy,
		   f->busy_at_boot);
}

/* The first word of the first page the model says is there. */
static void check_contents(struct fuzz *f)
{
	for (unsigned i = 0; i < FUZZ_MAX_OBJS; i++) {
		struct fobj *o = &f->objs[i];
		unsigned long page = 0;

		if (!o->live || !has_memory(o))
			continue;
		if (o->kind == FK_KMALLOC) {
			FUZZ_CHECK(f, *(u8 *)o->addr == (u8)o->tag &&
				   ((u8 *)o->addr)[o->size - 1] == (u8)o->tag,
				   "kmalloc %p (%zu bytes) lost its contents", (void *)o->addr, o->size);
			continue;
		}
		if (o->kind == FK_ARENA) {
			if (!o->mapped)
				continue;
			page = (unsigned long)__builtin_ctzll(o->mapped);
		}
		FUZZ_CHECK(f, *(u64 *)(o->addr + page * PAGE_SIZE) == fuzz_word(o, page),
			   "page %lu of 0x%lx does not hold its tag", page, o->addr);
	}
}

void fuzz_check_all(struct fuzz *f)
{
	unsigned long printed = warn_count() - f->warnings;

	FUZZ_CHECK(f, printed == f->expect_warnings, "%lu warning lines, expected %u", printed,
		   f->expect_warnings);
	FUZZ_CHECK(f, mm_check_all() == 0, "mm_check_all() found a broken invariant");
	check_areas(f);
	check_tlb(f);
	check_contents(f);
}

void fuzz_check_no_trace(struct fuzz *f, const struct mm_snapshot *before, const char *what)
{
	struct mm_snapshot base = *before, now;
	struct vmap_stats st;

	mm_snapshot_take(&now);
	mm_snapshot_keep_vmalloc_tables(&base, &now);
	vmap_get_stats(&kernel_vmap_space, &st);
	FUZZ_CHECK(f, now.free_frames == base.free_frames, "failed %s: free frames %lu -> %lu",
		   what, base.free_frames, now.free_frames);
	FUZZ_CHECK(f, now.pgtable_pages == base.pgtable_pages,
		   "failed %s: page tables %lu -> %lu", what, base.pgtable_pages,
		   now.pgtable_pages);
	FUZZ_CHECK(f, now.vmap_busy == base.vmap_busy, "failed %s: busy areas %lu -> %lu", what,
		   base.vmap_busy, now.vmap_busy);
	FUZZ_CHECK(f, now.vmalloc_mapped == base.vmalloc_mapped,
		   "failed %s: mapped vmalloc pages %lu -> %lu", what, base.vmalloc_mapped,
		   now.vmalloc_mapped);
	if (now.vmap_lazy == base.vmap_lazy && now.vmap_free == base.vmap_free)
		FUZZ_CHECK(f, now.slab_objects == base.slab_objects,
			   "failed %s: slab objects %lu -> %lu", what, base.slab_objects,
			   now.slab_objects);
}
