/*
 * mm_snapshot_* (tests/mm_state.h): the allocators' counters, read one by
 * one (not atomically: take snapshots when nothing else runs).
 *
 * The per-CPU caches (docs/percpu.md): frames on the per-CPU lists are
 * free frames (pfa_free_pages() counts them), so nothing is drained; the
 * slab magazines are flushed first, because an object in a magazine keeps
 * its slab frame: without the flush, a failed operation whose kmalloc
 * refilled a magazine from a new slab would look like a lost frame.
 */
#include "tests/mm_state.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"
#include "mm/vmap_area.h"

void mm_snapshot_take(struct mm_snapshot *snap)
{
	struct kmem_cache_stats slab;
	struct vmap_stats vmap;

	slab_flush_all_caches();
	slab_get_stats(&slab);
	vmap_get_stats(&kernel_vmap_space, &vmap);
	*snap = (struct mm_snapshot){
		.free_frames = pfa_free_pages() + slab.nr_spare,
		.slab_objects = slab.active_objs,
		.slab_pages = slab.nr_pages - slab.nr_spare,
		.pgtable_pages = pgtable_total_tables(),
		.vmap_busy = vmap.nr_busy,
		.vmap_free = vmap.nr_free,
		.vmap_lazy = vmap.nr_lazy,
		.vmap_pooled = vmap.nr_pooled,
		.warnings = warn_count(),
	};
	mm_check_vmalloc_counts(&snap->vmalloc_mapped, &snap->vmalloc_tables);
}

void mm_snapshot_keep_vmalloc_tables(struct mm_snapshot *base, const struct mm_snapshot *now)
{
	unsigned long kept;

	if (now->vmalloc_tables <= base->vmalloc_tables)
		return;
	kept = now->vmalloc_tables - base->vmalloc_tables;
	base->vmalloc_tables += kept;
	base->pgtable_pages += kept;
	base->free_frames -= kept;
}

bool mm_snapshot_equal(const struct mm_snapshot *a, const struct mm_snapshot *b,
		       const char *report)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
#define FIELD(f) { #f, __builtin_offsetof(struct mm_snapshot, f) }
		FIELD(free_frames), FIELD(slab_objects), FIELD(slab_pages),
		FIELD(pgtable_pages), FIELD(vmap_busy), FIELD(vmap_free), FIELD(vmap_lazy),
		FIELD(vmap_pooled),
		FIELD(vmalloc_mapped), FIELD(vmalloc_tables), FIELD(warnings),
#undef FIELD
	};
	bool equal = true;
	bool same_slab_layout_only = a->slab_objects == b->slab_objects &&
		a->free_frames + a->slab_pages == b->free_frames + b->slab_pages;

	for (unsigned i = 0; i < ARRAY_SIZE(fields); i++) {
		unsigned long x = *(const unsigned long *)((const char *)a + fields[i].offset);
		unsigned long y = *(const unsigned long *)((const char *)b + fields[i].offset);

		if (x == y)
			continue;
		if (same_slab_layout_only && (fields[i].offset ==
		    __builtin_offsetof(struct mm_snapshot, free_frames) ||
		    fields[i].offset == __builtin_offsetof(struct mm_snapshot, slab_pages)))
			continue;
		equal = false;
		if (report)
			printk("mm_snapshot: %s: %s %lu -> %lu (%+ld)\n", report, fields[i].name,
			       x, y, (long)(y - x));
	}
	return equal;
}

void mm_state_set_vmap_limits(const struct vmap_limits *set, struct vmap_limits *old)
{
	struct vmap_space *s = &kernel_vmap_space;

	purge_vmap_area_lazy(s);
	if (old)
		*old = (struct vmap_limits){ s->lazy_max, s->pool_max };
	s->lazy_max = set->lazy_max;
	s->pool_max = set->pool_max;
}
