/*
 * What the shell created and still holds: vmalloc areas, VM_SPARSE areas
 * with the frames it mapped into them, arenas. Only these may be freed,
 * mapped into or written to from the shell, and `check` holds each one
 * against the page tables, so a leak or a stray mapping shows.
 */
#include "kernel/shell/shell_internal.h"
#include "kernel/printk.h"
#include "mm/arena.h"
#include "mm/vmalloc.h"

static struct shell_obj objs[SHELL_MAX_OBJS];
static bool used[SHELL_MAX_OBJS];

const char *shell_obj_kind_name(enum shell_obj_kind kind)
{
	static const char *const names[] = { "vmalloc", "sparse", "arena" };

	return names[kind];
}

struct shell_obj *shell_obj_add(const char *cmd, const struct shell_obj *o)
{
	for (unsigned i = 0; i < SHELL_MAX_OBJS; i++) {
		if (!used[i]) {
			used[i] = true;
			objs[i] = *o;
			return &objs[i];
		}
	}
	printk("%s: the shell holds %d objects already; free one first\n", cmd, SHELL_MAX_OBJS);
	return NULL;
}

void shell_obj_remove(struct shell_obj *obj)
{
	used[obj - objs] = false;
}

struct shell_obj *shell_obj_find(enum shell_obj_kind kind, unsigned long addr)
{
	for (unsigned i = 0; i < SHELL_MAX_OBJS; i++)
		if (used[i] && objs[i].kind == kind && addr - objs[i].start < objs[i].size)
			return &objs[i];
	return NULL;
}

struct shell_obj *shell_obj_lookup(const char *cmd, enum shell_obj_kind kind,
				   const char *arg, bool anywhere)
{
	struct shell_obj *o;
	unsigned long addr;

	if (!shell_addr(cmd, arg, &addr))
		return NULL;
	o = shell_obj_find(kind, addr);
	if (o && (anywhere || o->start == addr))
		return o;
	printk("%s: 0x%lx is not %s %s area this shell created (see 'objects')\n", cmd, addr,
	       anywhere ? "in a" : "the start of a", shell_obj_kind_name(kind));
	return NULL;
}

void shell_obj_for_each(void (*fn)(struct shell_obj *obj, void *arg), void *arg)
{
	for (unsigned i = 0; i < SHELL_MAX_OBJS; i++)
		if (used[i])
			fn(&objs[i], arg);
}

static unsigned long mapped_pages(unsigned long start, unsigned long size)
{
	unsigned long n = 0;

	for (unsigned long a = start; a < start + size; a += PAGE_SIZE)
		n += vmalloc_to_page((void *)a) != NULL;
	return n;
}

/* One line per problem; the number of problems. */
static unsigned long check_one(const struct shell_obj *o)
{
	struct vm_struct *v = find_vm_area((void *)o->start);
	unsigned long n;

	if (o->kind == SHELL_ARENA)
		return arena_check(o->arena) ? 1 : 0;
	if (!v || (unsigned long)v->addr != o->start || get_vm_area_size(v) != o->size) {
		printk("check: shell %s area 0x%lx is gone from the vmap space\n",
		       shell_obj_kind_name(o->kind), o->start);
		return 1;
	}
	n = mapped_pages(o->start, o->size);
	if (o->kind == SHELL_SPARSE ? n != o->mapped : n != o->size / PAGE_SIZE) {
		printk("check: shell %s area 0x%lx has %lu pages mapped, the shell mapped %lu\n",
		       shell_obj_kind_name(o->kind), o->start, n,
		       o->kind == SHELL_SPARSE ? o->mapped : o->size / PAGE_SIZE);
		return 1;
	}
	return 0;
}

unsigned long shell_obj_check(void)
{
	unsigned long problems = 0;

	for (unsigned i = 0; i < SHELL_MAX_OBJS; i++)
		if (used[i])
			problems += check_one(&objs[i]);
	return problems;
}
