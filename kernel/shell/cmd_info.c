/*
 * Looking at the memory subsystem, in Linux's /proc formats where Linux
 * has one: meminfo, buddyinfo, pagetypeinfo (frame states), slabinfo,
 * vmallocinfo, ptdump, and the serial receive counters.
 */
#include "kernel/shell/shell_internal.h"
#include "arch/x86_64/serial.h"
#include "kernel/printk.h"
#include "mm/layout.h"
#include "mm/mm_check.h"
#include "mm/pfa.h"
#include "mm/pgtable.h"
#include "mm/ptdump.h"
#include "mm/slab.h"
#include "mm/vmalloc.h"

#define KB(pages)       ((pages) * (PAGE_SIZE >> 10))

static void meminfo_line(const char *name, unsigned long kb)
{
	printk("%-16s%8lu kB\n", name, kb);
}

/* /proc/meminfo's lines that mean something here, in its format. */
static int cmd_meminfo(int argc, char **argv)
{
	struct pfa_stats pfa;
	struct kmem_cache_stats slab;
	unsigned long vmalloc_mapped, vmalloc_tables;

	pfa_get_stats(&pfa);
	slab_get_stats(&slab);
	mm_check_vmalloc_counts(&vmalloc_mapped, &vmalloc_tables);
	meminfo_line("MemTotal:", KB(pfa.total_pages));
	meminfo_line("MemFree:", KB(pfa.free_pages));
	meminfo_line("Slab:", KB(slab.nr_pages));
	meminfo_line("SUnreclaim:", KB(slab.nr_pages));
	meminfo_line("PageTables:", KB(pgtable_total_tables()));
	meminfo_line("VmallocTotal:", (VMALLOC_END - VMALLOC_START) >> 10);
	meminfo_line("VmallocUsed:", KB(vmalloc_mapped));
	meminfo_line("VmallocChunk:", 0);
	meminfo_line("Reserved:", KB(pfa.reserved_pages));   /* ours: RAM kept out of the buddy */
	return 0;
}

static int cmd_buddyinfo(int argc, char **argv)
{
	char line[160];

	pfa_buddyinfo(line, sizeof(line));
	printk("%s\n", line);
	return 0;
}

/* Linux's pagetypeinfo counts free blocks per migrate type; here: frames per state. */
static int cmd_pagetypeinfo(int argc, char **argv)
{
	unsigned long counts[PAGE_STATE_COUNT], total = 0;

	pfa_count_states(counts);
	printk("Page block order: %d\nPages per block:  %lu\n\n", MAX_ORDER, 1ul << MAX_ORDER);
	printk("Frames by state (a block's frames count with its first frame)\n");
	printk("%-12s %10s %12s\n", "state", "frames", "kB");
	for (unsigned s = 0; s < PAGE_STATE_COUNT; s++) {
		if (s == PAGE_TAIL)
			continue;
		printk("%-12s %10lu %12lu\n", page_state_name(s), counts[s], KB(counts[s]));
		total += counts[s];
	}
	printk("%-12s %10lu %12lu\n", "total", total, KB(total));
	return 0;
}

static int cmd_slabinfo(int argc, char **argv)
{
	slabinfo_print();
	return 0;
}

static int cmd_vmallocinfo(int argc, char **argv)
{
	vmallocinfo_print();
	return 0;
}

static void print_line(const char *line, void *arg)
{
	printk("%s\n", line);
}

/* [start, end) rounded out to pages; one line and false if the walker would refuse it. */
static bool ptdump_bounds(char **argv, unsigned long *start, unsigned long *end)
{
	if (!shell_addr("ptdump", argv[1], start) || !shell_addr("ptdump", argv[2], end))
		return false;
	*start &= ~(PAGE_SIZE - 1);
	*end = (*end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (*end <= *start || !arch_va_is_canonical(*start) || !arch_va_is_canonical(*end - 1) ||
	    (*start ^ (*end - 1)) >> 63) {
		printk("ptdump: 0x%lx-0x%lx is not a canonical range in one half\n", *start, *end);
		return false;
	}
	return true;
}

static int cmd_ptdump(int argc, char **argv)
{
	unsigned long start, end;

	if (argc == 1) {
		ptdump_kernel();
		return 0;
	}
	if (argc != 3) {
		printk("usage: ptdump [START END]\n");
		return -1;
	}
	if (!ptdump_bounds(argv, &start, &end))
		return -1;
	printk("---[ 0x%016lx-0x%016lx ]---\n", start, end);
	ptdump_range(&kernel_pgtable, start, end, print_line, NULL);
	return 0;
}

static int cmd_serial(int argc, char **argv)
{
	struct serial_rx_stats st;

	serial_rx_get_stats(&st);
	printk("serial: %lu bytes received, %lu through IRQ 4 (%lu interrupts), "
	       "%lu polled, %lu dropped\n", st.by_irq + st.by_poll, st.by_irq, st.irqs,
	       st.by_poll, st.dropped);
	return 0;
}

const struct shell_cmd shell_info_cmds[] = {
	{ "meminfo", NULL, "memory totals (/proc/meminfo)", 0, 0, cmd_meminfo, NULL },
	{ "buddyinfo", NULL, "free blocks per order (/proc/buddyinfo)", 0, 0, cmd_buddyinfo, NULL },
	{ "pagetypeinfo", NULL, "frames by state (free, slab, pagetable...)", 0, 0,
	  cmd_pagetypeinfo, NULL },
	{ "slabinfo", NULL, "slab caches (/proc/slabinfo)", 0, 0, cmd_slabinfo, NULL },
	{ "vmallocinfo", NULL, "vmalloc areas (/proc/vmallocinfo)", 0, 0, cmd_vmallocinfo, NULL },
	{ "ptdump", "[START END]", "kernel page tables, merged ranges", 0, 2, cmd_ptdump, NULL },
	{ "serial", NULL, "bytes the console received, by IRQ or polling", 0, 0, cmd_serial,
	  NULL },
	{}
};
