/* `arena create|alloc|free|destroy`: a demand-paged arena (mm/arena.h) by hand. */
#include "kernel/shell/shell_internal.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "mm/arena.h"

static int arena_cmd_create(int argc, char **argv)
{
	struct shell_obj o = { .kind = SHELL_ARENA };
	unsigned flags = 0;
	u64 size;

	if (!shell_area_size("arena create", argv[1], &size))
		return -1;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "fault_in"))
			flags |= ARENA_FAULT_IN;
		else if (!strcmp(argv[i], "prebuilt"))
			flags |= ARENA_PREBUILT;
		else {
			printk("arena create: unknown flag '%.32s' (fault_in, prebuilt)\n", argv[i]);
			return -1;
		}
	}
	o.arena = arena_create(size, flags);
	if (!o.arena) {
		printk("arena create: out of memory or vmalloc space\n");
		return -1;
	}
	o.start = o.arena->start;
	o.size = o.arena->nr_pages * PAGE_SIZE;
	if (!shell_obj_add("arena create", &o)) {
		arena_destroy(o.arena);
		return -1;
	}
	printk("arena: 0x%016lx-0x%016lx (%lu pages%s%s)\n", o.start, o.start + o.size,
	       o.size / PAGE_SIZE, (flags & ARENA_FAULT_IN) ? ", fault_in" : "",
	       (flags & ARENA_PREBUILT) ? ", prebuilt" : "");
	return 0;
}

/* N [ADDR] within arena `o`: false after one line if arena_*_pages() would refuse it. */
static bool pages_arg(const char *cmd, const struct shell_obj *o, const char *n_arg,
		      const char *addr_arg, u64 *n, unsigned long *addr)
{
	if (!shell_number(cmd, "N", n_arg, n))
		return false;
	*addr = 0;
	if (addr_arg && !shell_addr(cmd, addr_arg, addr))
		return false;
	if (!*n || *n > o->size / PAGE_SIZE ||
	    (addr_arg && (*addr % PAGE_SIZE || *addr - o->start >= o->size ||
			  *n > (o->start + o->size - *addr) / PAGE_SIZE))) {
		printk("%s: N pages%s must fit in the arena's %lu pages\n", cmd,
		       addr_arg ? " from a page-aligned ADDR" : "", o->size / PAGE_SIZE);
		return false;
	}
	return true;
}

static int arena_cmd_alloc(int argc, char **argv)
{
	struct shell_obj *o = shell_obj_lookup("arena alloc", SHELL_ARENA, argv[1], true);
	unsigned long addr;
	void *p;
	int err;
	u64 n;

	if (!o || !pages_arg("arena alloc", o, argv[2], argc > 3 ? argv[3] : NULL, &n, &addr))
		return -1;
	p = arena_alloc_pages(o->arena, addr, n, &err);
	if (!p) {
		printk("arena alloc: %s\n", shell_strerror(err));
		return err;
	}
	printk("arena alloc: 0x%016lx-0x%016lx (%llu page%s)\n", (unsigned long)p,
	       (unsigned long)p + n * PAGE_SIZE, (unsigned long long)n, n == 1 ? "" : "s");
	return 0;
}

static int arena_cmd_free(int argc, char **argv)
{
	struct shell_obj *o = shell_obj_lookup("arena free", SHELL_ARENA, argv[1], true);
	unsigned long addr;
	u64 n;

	if (!o || !pages_arg("arena free", o, argv[3], argv[2], &n, &addr))
		return -1;
	arena_free_pages(o->arena, addr, n);
	printk("arena free: 0x%016lx-0x%016lx freed\n", addr, addr + n * PAGE_SIZE);
	return 0;
}

static int arena_cmd_destroy(int argc, char **argv)
{
	struct shell_obj *o = shell_obj_lookup("arena destroy", SHELL_ARENA, argv[1], false);

	if (!o)
		return -1;
	arena_destroy(o->arena);
	printk("arena destroy: 0x%016lx destroyed\n", o->start);
	shell_obj_remove(o);
	return 0;
}

const struct shell_cmd shell_arena_cmds[] = {
	{ "create", "SIZE [fault_in] [prebuilt]", "a demand-paged arena", 1, 3, arena_cmd_create, NULL },
	{ "alloc", "ARENA N [ADDR]", "allocate N pages (lowest free run, or at ADDR)", 2, 3,
	  arena_cmd_alloc, NULL },
	{ "free", "ARENA ADDR N", "free N pages from ADDR", 3, 3, arena_cmd_free, NULL },
	{ "destroy", "ARENA", "free the arena and its pages", 1, 1, arena_cmd_destroy, NULL },
	{}
};
