/*
 * `sparse create|map|unmap|free`: a VM_SPARSE area (Linux's
 * get_vm_area(VM_SPARSE) + vm_area_map_pages) driven by hand. The frames
 * mapped into an area are the shell's: `map` allocates them, `unmap` and
 * `free` give them back. Work goes in batches of BATCH pages, so nothing
 * here needs memory besides the frames and page tables themselves.
 */
#include "kernel/shell/shell_internal.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "mm/pfa.h"
#include "mm/vmalloc.h"

#define BATCH 64

/* AREA OFF N: the area and [*start, *end), checked as vm_area_map_pages() would. */
static struct shell_obj *parse_range(const char *cmd, char **argv, unsigned long *start,
				     unsigned long *end)
{
	struct shell_obj *o = shell_obj_lookup(cmd, SHELL_SPARSE, argv[1], true);
	u64 off, n;

	if (!o || !shell_number(cmd, "OFF", argv[2], &off) || !shell_number(cmd, "N", argv[3], &n))
		return NULL;
	if (off % PAGE_SIZE || !n || off >= o->size || n > (o->size - off) / PAGE_SIZE) {
		printk("%s: OFF must be page-aligned and OFF + N pages inside the area's %lu pages\n",
		       cmd, o->size / PAGE_SIZE);
		return NULL;
	}
	*start = o->start + off;
	*end = *start + n * PAGE_SIZE;
	return o;
}

static int sparse_create(int argc, char **argv)
{
	struct shell_obj o = { .kind = SHELL_SPARSE };
	u64 size;

	if (!shell_area_size("sparse create", argv[1], &size))
		return -1;
	o.area = get_vm_area(size, VM_SPARSE);
	if (!o.area) {
		printk("sparse create: no room for %llu bytes\n", (unsigned long long)size);
		return -1;
	}
	o.start = (unsigned long)o.area->addr;
	o.size = get_vm_area_size(o.area);
	if (!shell_obj_add("sparse create", &o)) {
		free_vm_area(o.area);
		return -1;
	}
	printk("sparse: area 0x%016lx-0x%016lx (%lu pages, nothing mapped, then a guard page)\n",
	       o.start, o.start + o.size, o.size / PAGE_SIZE);
	return 0;
}

/* Unmaps [start, end) of the area and frees the frames that were there; their number. */
static unsigned long unmap_and_free(struct shell_obj *o, unsigned long start, unsigned long end)
{
	unsigned long freed = 0;

	for (unsigned long a = start; a < end; a += BATCH * PAGE_SIZE) {
		unsigned long stop = MIN(end, a + BATCH * PAGE_SIZE);
		struct page *pages[BATCH];
		unsigned n = 0;

		for (unsigned long p = a; p < stop; p += PAGE_SIZE)
			if ((pages[n] = vmalloc_to_page((void *)p)))
				n++;
		vm_area_unmap_pages(o->area, a, stop);
		for (unsigned i = 0; i < n; i++)
			free_page(pages[i]);
		freed += n;
	}
	o->mapped -= freed;
	return freed;
}

/* Maps fresh zeroed frames at [start, stop), at most BATCH pages. */
static int map_batch(struct shell_obj *o, unsigned long start, unsigned long stop)
{
	struct page *pages[BATCH];
	unsigned n = (unsigned)((stop - start) / PAGE_SIZE), got;
	int err = 0;

	for (got = 0; got < n; got++)
		if (!(pages[got] = alloc_page(PFA_ZERO)))
			break;
	if (got < n)
		err = -ENOMEM;
	else
		err = vm_area_map_pages(o->area, start, stop, pages);
	if (err) {
		while (got)
			free_page(pages[--got]);
		return err;
	}
	o->mapped += n;
	return 0;
}

static int sparse_map(int argc, char **argv)
{
	unsigned long start, end;
	struct shell_obj *o = parse_range("sparse map", argv, &start, &end);

	if (!o)
		return -1;
	for (unsigned long a = start; a < end; a += PAGE_SIZE) {
		if (vmalloc_to_page((void *)a)) {
			printk("sparse map: 0x%lx is mapped already (unmap it first)\n", a);
			return -1;
		}
	}
	for (unsigned long a = start; a < end; a += BATCH * PAGE_SIZE) {
		int err = map_batch(o, a, MIN(end, a + BATCH * PAGE_SIZE));

		if (err) {
			unmap_and_free(o, start, a);
			printk("sparse map: %s; nothing mapped\n", shell_strerror(err));
			return err;
		}
	}
	printk("sparse map: 0x%016lx-0x%016lx mapped to %lu fresh zeroed frames\n", start, end,
	       (end - start) / PAGE_SIZE);
	return 0;
}

static int sparse_unmap(int argc, char **argv)
{
	unsigned long start, end, freed;
	struct shell_obj *o = parse_range("sparse unmap", argv, &start, &end);

	if (!o)
		return -1;
	freed = unmap_and_free(o, start, end);
	printk("sparse unmap: 0x%016lx-0x%016lx unmapped (TLB flushed), %lu frames freed\n",
	       start, end, freed);
	return 0;
}

static int sparse_free(int argc, char **argv)
{
	struct shell_obj *o = shell_obj_lookup("sparse free", SHELL_SPARSE, argv[1], false);
	unsigned long freed;

	if (!o)
		return -1;
	freed = unmap_and_free(o, o->start, o->start + o->size);
	free_vm_area(o->area);
	printk("sparse free: area 0x%016lx freed, %lu frames that were mapped freed\n", o->start,
	       freed);
	shell_obj_remove(o);
	return 0;
}

const struct shell_cmd shell_sparse_cmds[] = {
	{ "create", "SIZE", "reserve a VM_SPARSE area, nothing mapped", 1, 1, sparse_create, NULL },
	{ "map", "AREA OFF N", "map N fresh pages at byte offset OFF", 3, 3, sparse_map, NULL },
	{ "unmap", "AREA OFF N", "unmap N pages at OFF, free their frames", 3, 3, sparse_unmap, NULL },
	{ "free", "AREA", "unmap everything, free the area", 1, 1, sparse_free, NULL },
	{}
};
