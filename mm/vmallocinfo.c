/*
 * /proc/vmallocinfo, in Linux's format (mm/vmalloc.c: s_show and
 * show_purge_info), e.g.
 *
 *   0xffffc90000000000-0xffffc90000005000   20480 test_fn+0x1c/0x90 pages=4 vmalloc
 *   0xffffc90000005000-0xffffc90000007000    8192 test_fn+0x4e/0x90 vmap
 *   0xffffc90000007000-0xffffc90000009000    8192 unpurged vm_area
 *
 * Busy areas come in address order (the busy zones merged), then each
 * CPU's lazily freed ranges, newest first. The walk holds every lock of
 * the vmap space (vmap_lock_all()), so the listing is one consistent
 * snapshot.
 */
#include "mm/vmalloc.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"
#include "mm/vmap_area.h"

#define LINE_MAX 192

typedef void (*emit_fn)(const char *line, int len, void *ctx);

/* The markers after the numbers, in Linux's order. */
static int format_markers(char *buf, size_t size, const struct vm_struct *v)
{
	return snprintf(buf, size, "%s%s%s%s%s",
			(v->flags & VM_IOREMAP) ? " ioremap" : "",
			(v->flags & VM_SPARSE) ? " sparse" : "",
			(v->flags & VM_ALLOC) ? " vmalloc" : "",
			(v->flags & VM_MAP) ? " vmap" : "",
			is_vmalloc_addr(vm_area_pages(v)) ? " vpages" : "");
}

/* One busy area's line (without the newline); returns its length. */
static int format_area(char *buf, size_t size, const struct vmap_area *va)
{
	const struct vm_struct *v = va->vm;
	int n;

	n = snprintf(buf, size, "0x%016lx-0x%016lx %7ld", va->va_start, va->va_end,
		     (long)(va->va_end - va->va_start));
	if (!v)         /* Linux's name for an area without a vm_struct */
		return n + snprintf(buf + n, size - n, " vm_map_ram");
	if (v->caller)
		n += snprintf(buf + n, size - n, " %pS", v->caller);
	if (vm_area_pages(v) && v->nr_pages)
		n += snprintf(buf + n, size - n, " pages=%u", v->nr_pages);
	if (v->phys_addr)
		n += snprintf(buf + n, size - n, " phys=0x%016llx",
			      (unsigned long long)v->phys_addr);
	return n + format_markers(buf + n, size - n, v);
}

static int format_unpurged(char *buf, size_t size, const struct vmap_area *va)
{
	return snprintf(buf, size, "0x%016lx-0x%016lx %7ld unpurged vm_area", va->va_start,
			va->va_end, (long)(va->va_end - va->va_start));
}

/*
 * Calls `emit` for every line, with every lock of the space held: the busy
 * areas in address order, then each CPU's lazily freed ones (newest first).
 */
static void vmallocinfo_walk(emit_fn emit, void *ctx)
{
	struct vmap_space *s = &kernel_vmap_space;
	unsigned long irq = vmap_lock_all(s);
	struct vmap_busy_iter it;
	char line[LINE_MAX];
	int len;

	for (struct vmap_area *va = vmap_busy_first(&it, s, s->start); va;
	     va = vmap_busy_next(&it)) {
		len = format_area(line, sizeof(line), va);
		emit(line, MIN(len, LINE_MAX - 1), ctx);
	}
	for (unsigned cpu = 0; cpu < SMP_MAX_CPUS; cpu++) {
		for (struct vmap_area *va = s->cpu[cpu].lazy; va; va = va->next) {
			len = format_unpurged(line, sizeof(line), va);
			emit(line, MIN(len, LINE_MAX - 1), ctx);
		}
	}
	vmap_unlock_all(s, irq);
}

struct buf_ctx {
	char *buf;
	size_t size;
	size_t len;             /* what the whole text needs, the NUL excluded */
};

static void emit_to_buf(const char *line, int len, void *ctx)
{
	struct buf_ctx *b = ctx;

	if (b->len < b->size)
		snprintf(b->buf + b->len, b->size - b->len, "%s\n", line);
	b->len += len + 1;
}

int vmallocinfo_show(char *buf, size_t size)
{
	struct buf_ctx b = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	vmallocinfo_walk(emit_to_buf, &b);
	return (int)b.len;
}

static void emit_to_console(const char *line, int len, void *ctx)
{
	printk("%s\n", line);
}

void vmallocinfo_print(void)
{
	printk("vmallocinfo:\n");
	vmallocinfo_walk(emit_to_console, NULL);
}
