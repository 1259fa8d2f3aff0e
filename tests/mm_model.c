/*
 * The model engine: the byte source, the model's bookkeeping, the checks
 * and the run (see tests/mm_model.h). The operations are in mm_ops.c.
 */
#include "tests/mm_model_internal.h"
#include "kernel/bench.h"
#include "kernel/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/probe.h"
#include "mm/arena.h"
#include "mm/fault_inject.h"
#include "mm/layout.h"
#include "mm/pfa.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

#define MARGIN_FRAMES   256     /* below this many free frames, running out is expected */

/* --- the byte source ------------------------------------------------------------ */

u8 model_byte(struct model *m)
{
	u8 b = 0;

	if (!m->cfg->data)
		b = (u8)ktest_rand(&m->rand);
	else if (m->p < m->end)
		b = *m->p++;
	if (m->nr_bytes < sizeof(m->bytes))
		m->bytes[m->nr_bytes++] = b;
	return b;
}

unsigned long model_below(struct model *m, unsigned long n)
{
	unsigned long v = model_byte(m);

	if (n > 256)
		v = v << 8 | model_byte(m);
	return v % n;
}

unsigned long model_between(struct model *m, unsigned long lo, unsigned long hi)
{
	return lo + model_below(m, hi - lo + 1);
}

bool model_chance(struct model *m, unsigned percent)
{
	return model_byte(m) * 100u < percent * 256u;
}

u64 model_tag(const struct model *m)
{
	u64 x = ((m->op + 1) ^ (m->cfg->shared ? m->cfg->seed << 24 : 0)) * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29);
}

/* --- objects ---------------------------------------------------------------------- */

struct mobj *model_slot(struct model *m)
{
	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++) {
		if (!m->objs[i].live) {
			memset(&m->objs[i], 0, sizeof(m->objs[i]));
			return &m->objs[i];
		}
	}
	return NULL;
}

void model_add(struct model *m, struct mobj *o)
{
	o->live = true;
	m->nr_live++;
}

void model_drop(struct model *m, struct mobj *o)
{
	o->live = false;
	m->nr_live--;
}

static bool fits(const struct mobj *o, enum mkind kind, bool (*ok)(const struct mobj *o))
{
	return o->live && (kind == MK_NR || o->kind == kind) && (!ok || ok(o));
}

struct mobj *model_pick(struct model *m, enum mkind kind, bool (*ok)(const struct mobj *o))
{
	unsigned n = 0, k;

	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++)
		n += fits(&m->objs[i], kind, ok);
	if (!n)
		return NULL;
	k = model_below(m, n);
	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++)
		if (fits(&m->objs[i], kind, ok) && k-- == 0)
			return &m->objs[i];
	return NULL;
}

u64 model_mask(unsigned long first, unsigned long count)
{
	u64 ones = count >= 64 ? ~0ull : (1ull << count) - 1;

	return first >= 64 ? 0 : ones << first;
}

long model_lowest_free_run(const struct mobj *o, unsigned long count)
{
	for (unsigned long first = 0; first + count <= o->nr_pages; first++)
		if (!(o->mapped & model_mask(first, count)))
			return (long)first;
	return -1;
}

bool model_page_mapped(const struct mobj *o, unsigned long i)
{
	if (o->kind == MK_SPARSE || o->kind == MK_ARENA)
		return o->mapped & model_mask(i, 1);
	return o->kind != MK_AREA && o->kind != MK_KMALLOC;
}

void model_remember_freed(struct model *m, unsigned long addr)
{
	m->recent[m->nr_recent++ % MODEL_RECENT] = addr;
}

/* --- reporting -------------------------------------------------------------------- */

static void say(struct model *m, const char *fmt, ...) __printf(2, 3);
static void say(struct model *m, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (m->cfg->log)
		m->cfg->log(line);
	else
		printk("model: %s\n", line);
}

void model_trace(struct model *m, const char *fmt, ...)
{
	char *line = m->trace[m->op % MODEL_TRACE];
	int n = snprintf(line, sizeof(m->trace[0]), "op %lu: ", m->op);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(m->trace[0]) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* The bytes the operation read, as hex (the input format: docs/reliability.md). */
static void print_bytes(struct model *m)
{
	char hex[sizeof(m->bytes) * 3 + 1];
	int n = 0;

	for (unsigned i = 0; i < m->nr_bytes; i++)
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, "%s%02x", i ? " " : "", m->bytes[i]);
	say(m, "bytes %lu: %s", m->op, hex);
}

static void print_replay(struct model *m)
{
	if (model_shared(m)) {
		say(m, "replay: ktest.filter=smp_stress ktest.seed=S on as many CPUs (this CPU's "
		    "operations replay, the interleaving with the other CPUs' does not)");
		return;
	}
	if (m->cfg->data) {
		say(m, "replay: the input's first %lu operations (mm-fuzz FILE, or copy it to "
		    "tests/host/regressions/)", m->op + 1);
		return;
	}
	say(m, "replay: ktest.filter=stress ktest.seed=%llu stress.ops=%lu (kernel or "
	    "mm-host-test; add stress.dump=1 for the bytes)", (unsigned long long)m->cfg->seed,
	    m->op + 1);
}

__noreturn void model_fail(struct model *m, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (m->capturing) {
		ktest_capture_stop(&m->cap);
		m->capturing = false;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m->cfg->verbose)
		print_bytes(m);         /* the failing operation's too */
	say(m, "FAILED at op %lu: %s", m->op, msg);
	say(m, "the last operations:");
	for (unsigned long k = m->op >= MODEL_TRACE ? m->op - MODEL_TRACE + 1 : 0; k <= m->op; k++)
		if (m->trace[k % MODEL_TRACE][0])
			say(m, "  %s", m->trace[k % MODEL_TRACE]);
	print_replay(m);
	if (m->cfg->mode == MM_MODEL_ABORT)
		panic("model: a check failed (see above)");
	klongjmp(&m->bail, 1);
}

bool model_skip_warning(struct model *m, unsigned lines)
{
	if (!lines || !model_shared(m))
		return false;
	model_trace(m, "(skipped on several CPUs: it would warn)");
	return true;
}

void model_expect_warnings(struct model *m, unsigned lines, const char *fn)
{
	m->expect_warnings = lines;
	m->warn_fn = fn;
}

/* The operation's console output is captured: its warning lines are counted and read. */
static void quiet_start(struct model *m)
{
	m->cap_lines = 0;
	if (model_shared(m))
		return;                 /* one capture per machine; shared runs do not warn */
	model_quiet_resume(m);
}

void model_quiet_pause(struct model *m)
{
	if (!m->capturing)
		return;
	m->cap_lines += ktest_capture_stop(&m->cap);
	m->capturing = false;
}

void model_quiet_resume(struct model *m)
{
	if (model_shared(m))
		return;
	ktest_capture_start(&m->cap, m->capbuf, sizeof(m->capbuf), !m->cfg->verbose);
	m->capturing = true;
}

static void quiet_stop(struct model *m)
{
	unsigned lines;
	unsigned long warned;

	if (model_shared(m))
		return;                 /* the caller counts the machine's warnings when all are parked */
	lines = ktest_capture_stop(&m->cap) + m->cap_lines;
	warned = warn_count() - m->op_warnings;
	m->capturing = false;
	MCHECK(m, lines == m->expect_warnings && warned == m->expect_warnings,
	       "%u lines (%lu warnings) printed, the model says %u: %s", lines, warned,
	       m->expect_warnings, m->capbuf);
	MCHECK(m, !lines || ktest_contains(m->capbuf, m->warn_fn),
	       "the warning does not name %s: %s", m->warn_fn, m->capbuf);
	m->warnings += lines;
}

/* --- pages and objects ------------------------------------------------------------ */

static u64 word(const struct mobj *o, unsigned long i)
{
	return o->tag + i;
}

static struct page *page_of(const struct mobj *o, unsigned long i)
{
	if (o->kind == MK_PAGES)
		return o->page + i;
	return vmalloc_to_page((void *)(o->addr + i * PAGE_SIZE));
}

void model_tag_page(struct model *m, struct mobj *o, unsigned long i)
{
	unsigned long va = o->addr + i * PAGE_SIZE;
	struct page *page = page_of(o, i);
	u64 *direct, alias = 0;

	MCHECK(m, page, "0x%lx should be mapped, it is not", va);
	direct = page_address(page);
	if (o->read_only)
		direct[0] = word(o, i);
	else
		MCHECK(m, probe_write_u64(va, word(o, i)) == 0, "write to 0x%lx faulted", va);
	direct[1] = ~word(o, i);
	MCHECK(m, direct[0] == word(o, i) && probe_read_u64(va + 8, &alias) == 0 &&
	       alias == ~word(o, i), "0x%lx and its frame in the direct map disagree", va);
}

void model_check_page(struct model *m, const struct mobj *o, unsigned long i, struct page *want)
{
	unsigned long va = o->addr + i * PAGE_SIZE;
	struct page *page = page_of(o, i);
	u64 direct, alias = 0;

	MCHECK(m, page, "0x%lx should be mapped, it is not", va);
	MCHECK(m, !want || page == want, "0x%lx maps pfn 0x%lx, the model says pfn 0x%lx", va,
	       page_to_pfn(page), page_to_pfn(want));
	direct = ((u64 *)page_address(page))[0];
	MCHECK(m, direct == word(o, i), "0x%lx holds 0x%llx through the direct map, the model "
	       "says 0x%llx", va, (unsigned long long)direct, (unsigned long long)word(o, i));
	MCHECK(m, probe_read_u64(va + 8, &alias) == 0, "read of 0x%lx faulted", va + 8);
	MCHECK(m, alias == ~word(o, i), "0x%lx holds 0x%llx, the model says 0x%llx (written "
	       "through the direct map)", va + 8, (unsigned long long)alias,
	       (unsigned long long)~word(o, i));
}

void model_check_frame(struct model *m, const struct mobj *o, unsigned long i)
{
	const u64 *w = page_address(o->frames[i]);

	MCHECK(m, w[0] == word(o, i) && w[1] == ~word(o, i), "pfn 0x%lx holds 0x%llx/0x%llx, "
	       "the model says 0x%llx/0x%llx", page_to_pfn(o->frames[i]),
	       (unsigned long long)w[0], (unsigned long long)w[1],
	       (unsigned long long)word(o, i), (unsigned long long)~word(o, i));
}

void model_check_gone(struct model *m, unsigned long va)
{
	u64 v;

	MCHECK(m, !vmalloc_to_page((void *)va), "0x%lx should be unmapped, it maps pfn 0x%lx",
	       va, vmalloc_to_pfn((void *)va));
	MCHECK(m, probe_read_u64(va, &v) == -EFAULT, "0x%lx is unmapped but still reads "
	       "(0x%llx): stale TLB entry", va, (unsigned long long)v);
}

void model_check_zero(struct model *m, unsigned long va)
{
	u64 w[4] = { 1, 1, 1, 1 };

	MCHECK(m, probe_read(w, (void *)va, sizeof(w)) == 0, "read of 0x%lx faulted", va);
	MCHECK(m, !(w[0] | w[1] | w[2] | w[3]) && mem_is_filled((void *)va, 0, PAGE_SIZE),
	       "0x%lx should be zeroed, it holds 0x%llx...", va,
	       (unsigned long long)(w[0] | w[1] | w[2] | w[3]));
}

static void verify_kmalloc(struct model *m, const struct mobj *o)
{
	const u8 *p = (const u8 *)o->addr;

	MCHECK(m, ksize(p) >= o->span, "kmalloc(%lu) = %p has ksize %zu", o->span, p, ksize(p));
	for (unsigned long i = 0; i < o->span; i++)
		MCHECK(m, p[i] == (u8)o->tag, "kmalloc(%lu) = %p: byte %lu is 0x%x, the model "
		       "says 0x%x", o->span, p, i, p[i], (u8)o->tag);
}

void model_verify(struct model *m, const struct mobj *o)
{
	if (o->kind == MK_KMALLOC) {
		verify_kmalloc(m, o);
		return;
	}
	for (unsigned long i = 0; i < o->nr_pages && o->kind != MK_AREA; i++) {
		unsigned long va = o->addr + i * PAGE_SIZE;
		bool own = o->kind == MK_VMAP || o->kind == MK_SPARSE;

		if (model_page_mapped(o, i))
			model_check_page(m, o, i, own ? o->frames[i] : NULL);
		else
			MCHECK(m, !vmalloc_to_page((void *)va), "0x%lx (page %lu) should be "
			       "unmapped", va, i);
	}
}

static const struct mobj *overlap(const struct model *m, const struct mobj *self)
{
	bool heap = self->kind == MK_KMALLOC || self->kind == MK_PAGES;

	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++) {
		const struct mobj *o = &m->objs[i];

		if (!o->live || o == self || (o->kind == MK_KMALLOC || o->kind == MK_PAGES) != heap)
			continue;
		if (self->addr < o->addr + o->span && o->addr < self->addr + self->span)
			return o;
	}
	return NULL;
}

void model_check_placement(struct model *m, const struct mobj *o)
{
	const struct mobj *other = overlap(m, o);

	MCHECK(m, IS_ALIGNED(o->addr, o->align), "0x%lx is not aligned to 0x%lx", o->addr,
	       o->align);
	if (o->kind != MK_KMALLOC && o->kind != MK_PAGES)
		MCHECK(m, is_vmalloc_addr((void *)o->addr) && o->addr + o->span <= VMALLOC_END,
		       "0x%lx-0x%lx is not in the vmalloc space", o->addr, o->addr + o->span);
	MCHECK(m, !other, "0x%lx-0x%lx overlaps the live 0x%lx-0x%lx", o->addr,
	       o->addr + o->span, other ? other->addr : 0, other ? other->addr + other->span : 0);
}

void model_check_area(struct model *m, const struct mobj *o)
{
	struct vm_struct *vm = find_vm_area((void *)o->addr);

	MCHECK(m, vm && vm == o->vm, "no area (or another one) at 0x%lx", o->addr);
	MCHECK(m, (unsigned long)vm->addr == o->addr && vm->size == o->span &&
	       vm->flags == o->flags, "area at 0x%lx: addr %p size 0x%lx flags 0x%lx, the model "
	       "says size 0x%lx flags 0x%lx", o->addr, vm->addr, vm->size, vm->flags, o->span,
	       o->flags);
}

static unsigned popcount(u64 mask)
{
	unsigned n = 0;

	for (; mask; mask &= mask - 1)
		n++;
	return n;
}

void model_check_arena_count(struct model *m, const struct mobj *o)
{
	unsigned n = popcount(o->mapped);

	MCHECK(m, o->arena->nr_allocated == n, "arena 0x%lx has %lu pages allocated, the model "
	       "says %u", o->addr, o->arena->nr_allocated, n);
}

bool model_may_fail(const struct model *m, unsigned long frames)
{
	return m->failing || pfa_free_pages() < frames + MARGIN_FRAMES;
}

void model_watch(struct model *m, unsigned long frames, struct mm_snapshot *before)
{
	if (model_may_fail(m, frames))
		mm_snapshot_take(before);
}

void model_call_begin(struct model *m)
{
	if (m->failing)
		fault_inject_begin();
}

void model_call_end(struct model *m)
{
	if (m->failing)
		fault_inject_end();
}

void model_check_no_trace(struct model *m, const struct mm_snapshot *before, const char *what)
{
	struct mm_snapshot base = *before, now;
	bool lists_moved;

	if (model_shared(m))
		return;                 /* other CPUs move the counters: left to the quiescent points */
	mm_snapshot_take(&now);
	mm_snapshot_keep_vmalloc_tables(&base, &now);
	lists_moved = now.vmap_lazy != base.vmap_lazy || now.vmap_free != base.vmap_free ||
		      now.vmap_pooled != base.vmap_pooled;
	/*
	 * Frames may move between the slab and the free lists, never elsewhere:
	 * with the objects of ranges that moved between lists (a failed vmalloc
	 * puts its pooled range in the free tree, which absorbs its object), or
	 * the same objects on fewer pages (a magazine flush emptied a slab).
	 */
	MCHECK(m, now.free_frames == base.free_frames ||
		  (now.free_frames + now.slab_pages == base.free_frames + base.slab_pages &&
		   (lists_moved || now.slab_objects == base.slab_objects)),
	       "failed %s: free frames %lu -> %lu", what, base.free_frames, now.free_frames);
	MCHECK(m, now.pgtable_pages == base.pgtable_pages, "failed %s: page tables %lu -> %lu",
	       what, base.pgtable_pages, now.pgtable_pages);
	MCHECK(m, now.vmap_busy == base.vmap_busy, "failed %s: busy areas %lu -> %lu", what,
	       base.vmap_busy, now.vmap_busy);
	MCHECK(m, now.vmalloc_mapped == base.vmalloc_mapped,
	       "failed %s: mapped vmalloc pages %lu -> %lu", what, base.vmalloc_mapped,
	       now.vmalloc_mapped);
	/* Area objects come and go with free, lazy and pooled ranges (a batch refill stays). */
	if (!lists_moved)
		MCHECK(m, now.slab_objects == base.slab_objects,
		       "failed %s: slab objects %lu -> %lu", what, base.slab_objects,
		       now.slab_objects);
}

/* --- the checkpoint ---------------------------------------------------------------- */

/* Areas: found by find_vm_area() from both ends, disjoint; returns the busy areas held. */
static unsigned long check_areas(struct model *m)
{
	unsigned long busy = 0;

	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++) {
		const struct mobj *o = &m->objs[i];

		if (!o->live)
			continue;
		busy += o->areas;
		if (!o->vm)
			continue;
		MCHECK(m, find_vm_area((void *)o->addr) == o->vm &&
		       find_vm_area((void *)(o->addr + o->span - 1)) == o->vm,
		       "find_vm_area(0x%lx) does not give its area", o->addr);
		model_check_placement(m, o);
	}
	return busy;
}

/* Every object the model holds, as its own checks say; returns the busy areas held. */
static unsigned long check_objects(struct model *m)
{
	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++) {
		struct mobj *o = &m->objs[i];

		if (!o->live)
			continue;
		model_verify(m, o);
		if (o->kind == MK_ARENA) {
			model_check_arena_count(m, o);
			MCHECK(m, arena_check(o->arena) == 0, "arena_check(0x%lx) failed", o->addr);
		}
	}
	return check_areas(m);
}

/* Every object, every checker, the area and warning counts, the TLB rule. */
static void checkpoint(struct model *m)
{
	unsigned long busy, stale;
	struct vmap_stats st;

	busy = check_objects(m);
	if (model_shared(m))
		return;                 /* the rest is global: the caller's quiescent points */
	MCHECK(m, mm_check_all() == 0, "mm_check_all() failed (see above)");
	vmap_get_stats(&kernel_vmap_space, &st);
	MCHECK(m, st.nr_busy == m->base_areas + busy, "%lu busy vmap areas, the model says "
	       "%lu", st.nr_busy, m->base_areas + busy);
	MCHECK(m, warn_count() == m->base_warnings + m->warnings, "%lu warnings printed, the "
	       "model says %lu", warn_count() - m->base_warnings, m->warnings);
	stale = mm_model_stale_outside_lazy();
	MCHECK(m, !stale, "stale TLB entry for 0x%lx outside every lazily freed range: a flush "
	       "is missing", stale);
}

/* --- the run ---------------------------------------------------------------------- */

static unsigned pick_op(struct model *m)
{
	unsigned roll = model_byte(m), i;

	for (i = 0; i < mm_model_nr_op - 1 && roll >= mm_model_ops[i].weight; i++)
		roll -= mm_model_ops[i].weight;
	if (mm_model_ops[i].creates && m->nr_live >= MODEL_MAX_OBJS - 1)
		return 0;               /* full: entry 0 frees */
	return i;
}

static bool input_left(const struct model *m)
{
	return !m->cfg->data || m->p < m->end;
}

/* One operation with everything around it: injection scope, warnings, checks. */
static void run_op(struct model *m, struct mm_model_result *res)
{
	unsigned i;

	m->nr_bytes = 0;
	m->trace[m->op % MODEL_TRACE][0] = 0;
	i = pick_op(m);
	m->failing = m->fail_next && i != mm_model_nr_op - 1;
	model_expect_warnings(m, 0, NULL);
	m->op_warnings = warn_count();
	quiet_start(m);
	mm_model_ops[i].run(m);
	quiet_stop(m);
	if (m->failing) {
		fault_inject_clear_all();
		m->fail_next = m->failing = false;
	}
	res->counts[i]++;
	if (m->cfg->verbose) {
		print_bytes(m);
		say(m, "%s", m->trace[m->op % MODEL_TRACE]);
	}
	if ((m->op + 1) % m->cfg->check_every == 0)
		checkpoint(m);
}

/* Everything freed with its checks and purged: the subsystem is where the run found it. */
static void check_the_end(struct model *m, const struct mm_snapshot *start)
{
	struct mm_snapshot before = *start, after;

	m->op++;
	model_trace(m, "free everything, vm_unmap_aliases");
	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++) {
		m->op_warnings = warn_count();
		model_expect_warnings(m, 0, NULL);
		quiet_start(m);
		if (m->objs[i].live)
			model_free_obj(m, &m->objs[i]);
		quiet_stop(m);
	}
	vm_unmap_aliases();
	checkpoint(m);
	MCHECK(m, mm_model_stale_count() == 0, "stale TLB entries after the final purge");
	mm_snapshot_take(&after);
	mm_snapshot_keep_vmalloc_tables(&before, &after);
	before.warnings += m->warnings;
	MCHECK(m, mm_snapshot_equal(&before, &after, "model"),
	       "freeing everything did not bring the memory subsystem back");
}

/* After a broken check: everything the run held goes back, unchecked. */
static void release_all(struct model *m)
{
	if (!model_shared(m))           /* shared runs inject nothing (op_fail_next()) */
		fault_inject_clear_all();
	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++)
		if (m->objs[i].live)
			model_release_obj(&m->objs[i]);
}

int mm_model_run(const struct mm_model_config *cfg, struct mm_model_result *res)
{
	static struct model model;      /* 40 KiB: not on the stack */
	struct model *m = &model;
	struct mm_snapshot start;
	struct vmap_stats st;

	memset(m, 0, sizeof(*m));
	memset(res, 0, sizeof(*res));
	m->cfg = cfg;
	ktest_rand_init(&m->rand, cfg->seed);
	m->p = cfg->data;
	m->end = cfg->data ? cfg->data + cfg->size : NULL;
	vm_unmap_aliases();
	mm_snapshot_take(&start);
	vmap_get_stats(&kernel_vmap_space, &st);
	m->base_areas = st.nr_busy;
	m->base_warnings = warn_count();
	if (ksetjmp(&m->bail)) {
		release_all(m);
		res->ops = m->op + 1;
		return -1;
	}
	for (m->op = 0; input_left(m) && (!cfg->max_ops || m->op < cfg->max_ops); m->op++)
		run_op(m, res);
	res->ops = m->op;
	check_the_end(m, &start);
	return 0;
}

/* --- several models at once (mm_model.h) ---------------------------------------------- */

size_t mm_model_size(void)
{
	return sizeof(struct model);
}

void mm_model_shared_init(struct model *m, const struct mm_model_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	ktest_rand_init(&m->rand, cfg->seed);
}

/* Runs fn(m, arg) where a broken check lands back here: 0, or -1 with everything released. */
static int guarded(struct model *m, void (*fn)(struct model *m, void *arg), void *arg)
{
	if (m->failed)
		return -1;
	if (ksetjmp(&m->bail)) {
		release_all(m);
		m->failed = true;
		return -1;
	}
	fn(m, arg);
	return 0;
}

struct lend_args {
	struct vm_struct *vm;
	unsigned long addr, pages;
	int err;
};

static void lend(struct model *m, void *arg)
{
	struct lend_args *a = arg;
	struct mobj *o = model_slot(m);

	if (!o || a->pages > MODEL_MAX_PAGES) {
		a->err = -ENOSPC;
		return;
	}
	*o = (struct mobj){ .kind = MK_SPARSE, .lent = true, .addr = a->addr, .vm = a->vm,
			    .nr_pages = a->pages, .span = a->pages * PAGE_SIZE, .align = PAGE_SIZE,
			    .flags = a->vm->flags, .tag = model_tag(m) };
	model_add(m, o);
	model_trace(m, "lent 0x%lx, %lu pages of the area at %p", a->addr, a->pages, a->vm->addr);
	model_verify(m, o);             /* nothing mapped there yet */
}

int mm_model_shared_lend(struct model *m, struct vm_struct *vm, unsigned long addr,
			 unsigned long pages)
{
	struct lend_args a = { .vm = vm, .addr = addr, .pages = pages };

	return guarded(m, lend, &a) ?: a.err;
}

struct steps_args {
	unsigned long n;
	struct mm_model_result *res;
};

static void steps(struct model *m, void *arg)
{
	struct steps_args *a = arg;

	for (unsigned long k = 0; k < a->n; k++, m->op++, a->res->ops++)
		run_op(m, a->res);
}

int mm_model_shared_steps(struct model *m, unsigned long n, struct mm_model_result *res)
{
	struct steps_args a = { .n = n, .res = res };

	return guarded(m, steps, &a);
}

static void shared_check(struct model *m, void *arg)
{
	model_trace(m, "check at a quiescent point");
	*(unsigned long *)arg = check_objects(m);
}

int mm_model_shared_check(struct model *m, unsigned long *areas)
{
	*areas = 0;
	return guarded(m, shared_check, areas);
}

static void shared_end(struct model *m, void *arg)
{
	(void)arg;
	model_trace(m, "free everything");
	for (unsigned i = 0; i < MODEL_MAX_OBJS; i++)
		if (m->objs[i].live)
			model_free_obj(m, &m->objs[i]);
}

int mm_model_shared_end(struct model *m)
{
	return guarded(m, shared_end, NULL);
}

unsigned mm_model_nr_ops(void)
{
	return mm_model_nr_op;
}

const char *mm_model_op_name(unsigned i)
{
	return mm_model_ops[i].name;
}

/* --- the kernel's hooks (the host overrides them) ------------------------------------ */

__attribute__((weak)) unsigned long mm_model_stale_outside_lazy(void)
{
	return 0;               /* the kernel cannot list TLB entries: probes check instead */
}

__attribute__((weak)) unsigned long mm_model_stale_count(void)
{
	return 0;
}
