/*
 * The GDTs the kernel runs on, one per CPU: flat 64-bit code and data
 * segments and a TSS whose IST1 stack takes double faults, so a kernel
 * stack overflow (a #PF that cannot push its frame) still reaches a
 * handler that reports it.
 */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "kernel/lib/string.h"

#define IST_STACK_SIZE 8192

struct gdt_ptr {
	u16 limit;
	u64 base;
} __packed;

_Static_assert(sizeof(struct tss) == 104, "TSS layout (SDM vol. 3, 8.7)");

static struct cpu_gdt boot_gdt;
static u8 df_stack[IST_STACK_SIZE] __aligned(16);

/* Every CPU's #DF stack, [bottom, top), for gdt_on_double_fault_stack(). */
static unsigned long df_ranges[SMP_MAX_CPUS][2];
static unsigned nr_df_ranges;

static void gdt_fill(struct cpu_gdt *g, unsigned long df_top)
{
	u64 base = (u64)&g->tss;
	u64 limit = sizeof(g->tss) - 1;

	memset(g, 0, sizeof(*g));
	g->gdt[1] = 0x00209a0000000000ull;  /* GDT_KERNEL_CS: present, DPL 0, code, L=1 */
	g->gdt[2] = 0x0000920000000000ull;  /* GDT_KERNEL_DS: present, DPL 0, data, writable */
	g->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		    (0x89ull << 40) |           /* present, 64-bit TSS (available) */
		    (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	g->gdt[4] = base >> 32;
	g->tss.ist[IST_DOUBLE_FAULT - 1] = df_top;
	g->tss.iomap_base = sizeof(g->tss);
}

static void gdt_load(struct cpu_gdt *g)
{
	struct gdt_ptr ptr = { sizeof(g->gdt) - 1, (u64)g->gdt };

	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"ltr %w3\n\t"
		: : "m"(ptr), "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS), "r"(GDT_TSS)
		: "rax", "memory");
}

void gdt_init_cpu(struct cpu_gdt *g, unsigned long df_bottom, unsigned long df_top)
{
	unsigned n = __atomic_fetch_add(&nr_df_ranges, 1, __ATOMIC_RELAXED);

	if (n < SMP_MAX_CPUS) {
		df_ranges[n][0] = df_bottom;
		df_ranges[n][1] = df_top;
	}
	gdt_fill(g, df_top);
	gdt_load(g);
}

void gdt_init(void)
{
	gdt_init_cpu(&boot_gdt, (unsigned long)df_stack,
		     (unsigned long)df_stack + sizeof(df_stack));
}

bool gdt_on_double_fault_stack(unsigned long sp)
{
	for (unsigned i = 0; i < nr_df_ranges && i < SMP_MAX_CPUS; i++)
		if (sp >= df_ranges[i][0] && sp <= df_ranges[i][1])
			return true;
	return false;
}
