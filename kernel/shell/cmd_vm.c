/* `vmalloc SIZE`, `vfree ADDR` and `objects`: what the shell holds. */
#include "kernel/shell/shell_internal.h"
#include "kernel/printk.h"
#include "mm/arena.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"

static int cmd_vmalloc(int argc, char **argv)
{
	struct shell_obj o = { .kind = SHELL_VMALLOC };
	u64 size;
	void *p;

	if (!shell_number("vmalloc", "SIZE", argv[1], &size))
		return -1;
	if (!size || size > (u64)pfa_total_pages() * PAGE_SIZE) {
		printk("vmalloc: SIZE must be 1 to %lu bytes (all managed RAM)\n",
		       pfa_total_pages() * PAGE_SIZE);
		return -1;
	}
	p = vmalloc(size);
	if (!p) {
		printk("vmalloc: out of memory for %llu bytes\n", (unsigned long long)size);
		return -1;
	}
	o.start = (unsigned long)p;
	o.size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (!shell_obj_add("vmalloc", &o)) {
		vfree(p);
		return -1;
	}
	printk("vmalloc: 0x%016lx-0x%016lx (%lu pages, then a guard page)\n", o.start,
	       o.start + o.size, o.size / PAGE_SIZE);
	return 0;
}

static int cmd_vfree(int argc, char **argv)
{
	struct shell_obj *o = shell_obj_lookup("vfree", SHELL_VMALLOC, argv[1], false);

	if (!o)
		return -1;
	vfree((void *)o->start);
	printk("vfree: 0x%016lx freed (%lu pages)\n", o->start, o->size / PAGE_SIZE);
	shell_obj_remove(o);
	return 0;
}

static void print_obj(struct shell_obj *o, void *arg)
{
	(*(unsigned *)arg)++;
	printk("  %-8s 0x%016lx-0x%016lx %6lu pages", shell_obj_kind_name(o->kind), o->start,
	       o->start + o->size, o->size / PAGE_SIZE);
	if (o->kind == SHELL_SPARSE)
		printk(", %lu mapped\n", o->mapped);
	else if (o->kind == SHELL_ARENA)
		printk(", %lu allocated (%lu by fault-in)\n", o->arena->nr_allocated,
		       o->arena->nr_faults);
	else
		printk("\n");
}

static int cmd_objects(int argc, char **argv)
{
	unsigned n = 0;

	printk("objects the shell holds:\n");
	shell_obj_for_each(print_obj, &n);
	if (!n)
		printk("  none\n");
	return 0;
}

const struct shell_cmd shell_vm_cmds[] = {
	{ "vmalloc", "SIZE", "allocate SIZE bytes of vmalloc memory", 1, 1, cmd_vmalloc, NULL },
	{ "vfree", "ADDR", "free an area 'vmalloc' made", 1, 1, cmd_vfree, NULL },
	{ "sparse", NULL, NULL, 0, 0, NULL, shell_sparse_cmds },
	{ "arena", NULL, NULL, 0, 0, NULL, shell_arena_cmds },
	{ "objects", NULL, "what the shell created and holds", 0, 0, cmd_objects, NULL },
	{}
};
