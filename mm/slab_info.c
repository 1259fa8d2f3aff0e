/*
 * /proc/slabinfo in Linux's version 2.1 format (mm/slab_common.c:
 * print_slabinfo_header and cache_show). There are no per-CPU tunables
 * here, so their columns are zeros, as SLUB prints them.
 */
#include "mm/slab.h"
#include "kernel/printk.h"

static void show_cache(const struct kmem_cache *c, const struct kmem_cache_stats *st,
		       void *arg)
{
	(void)arg;
	printk("%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu\n",
	       c->name, st->active_objs, st->num_objs, c->size, c->objs_per_slab, 1, 0, 0, 0,
	       st->nr_slabs - st->nr_spare, st->nr_slabs, 0ul);
}

void slabinfo_print(void)
{
	printk("slabinfo - version: 2.1\n");
	printk("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
	       " : tunables <limit> <batchcount> <sharedfactor>"
	       " : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	slab_for_each_cache(show_cache, NULL);
}
