/*
 * ptdump: walks a tree region by region and merges runs of leaves with the
 * same protection and level into one line (see ptdump.h for the format).
 */
#include "mm/ptdump.h"
#include "kernel/lib/format.h"
#include "kernel/printk.h"
#include "mm/layout.h"

struct region {
	unsigned long start;    /* the region ends where the next one starts */
	const char *name;
};

/* The kernel's layout (mm/layout.h) covering the canonical address space. */
static const struct region regions[] = {
	{ 0x0000000000000000ul, "Low half (empty)" },
	{ 0xffff800000000000ul, "Unused" },
	{ DIRECT_MAP_BASE, "Direct map" },
	{ DIRECT_MAP_BASE + DIRECT_MAP_SIZE, "Unused" },
	{ VMALLOC_START, "vmalloc" },
	{ VMALLOC_END, "Unused" },
	{ KERNEL_VMA, "Kernel image" },
	{ KERNEL_IMAGE_END, "Unused" },
};

#define LOWER_HALF_END 0x0000800000000000ul

static const char *const level_names[] = { "pte", "pmd", "pud", "pgd" };

/* The run being merged. */
struct dump_state {
	ptdump_line_fn out;
	void *arg;
	unsigned long start, end;       /* start == end: no run yet */
	unsigned prot;
	int level;
};

/* "4K", "1022M", "1G": the largest unit that divides the size exactly. */
static void format_size(char *buf, size_t size, unsigned long bytes)
{
	static const char units[] = "KMGTPE";
	unsigned u = 0;

	bytes >>= 10;
	while (bytes && !(bytes & 1023) && units[u + 1]) {
		bytes >>= 10;
		u++;
	}
	snprintf(buf, size, "%lu%c", bytes, units[u]);
}

static const char *cache_column(unsigned prot)
{
	if (prot & PROT_NOCACHE)
		return "UC  ";
	if (prot & PROT_WRITECOMBINE)
		return "WC  ";
	return "    ";
}

static void flush_run(struct dump_state *s)
{
	char line[128], size[24];

	if (s->start == s->end)
		return;
	format_size(size, sizeof(size), s->end - s->start);
	snprintf(line, sizeof(line), "0x%016lx-0x%016lx   %10s     %s %s            %s%s%s",
		 s->start, s->end, size, s->prot & PROT_WRITE ? "RW" : "ro",
		 cache_column(s->prot), s->prot & PROT_GLOBAL ? "GLB " : "    ",
		 s->prot & PROT_EXEC ? "x  " : "NX ", level_names[s->level]);
	s->out(line, s->arg);
	s->start = s->end;
}

static int dump_entry(const struct pgtable_entry *e, void *arg)
{
	struct dump_state *s = arg;

	if (!e->leaf)
		return 0;
	if (e->va != s->end || e->prot != s->prot || (int)e->level != s->level) {
		flush_run(s);
		s->start = e->va;
		s->prot = e->prot;
		s->level = e->level;
	}
	s->end = e->va + e->size;
	return 0;
}

void ptdump(struct pgtable *pt, ptdump_line_fn out, void *arg)
{
	struct dump_state s = { .out = out, .arg = arg };
	char header[64];

	for (unsigned i = 0; i < ARRAY_SIZE(regions); i++) {
		unsigned long start = regions[i].start;
		unsigned long end = i + 1 < ARRAY_SIZE(regions) ? regions[i + 1].start : 0;

		if (start == 0)
			end = LOWER_HALF_END;
		snprintf(header, sizeof(header), "---[ %s ]---", regions[i].name);
		out(header, arg);
		s.start = s.end = 0;
		pgtable_walk(pt, start, end, dump_entry, &s);
		flush_run(&s);
	}
}

void ptdump_range(struct pgtable *pt, unsigned long start, unsigned long end,
		  ptdump_line_fn out, void *arg)
{
	struct dump_state s = { .out = out, .arg = arg };

	pgtable_walk(pt, start, end, dump_entry, &s);
	flush_run(&s);
}

static void print_line(const char *line, void *arg)
{
	printk("%s\n", line);
}

void ptdump_kernel(void)
{
	printk("ptdump: kernel page tables\n");
	ptdump(&kernel_pgtable, print_line, NULL);
}
