/*
 * The GDT the kernel runs on: flat 64-bit code and data segments and a TSS
 * whose IST1 stack takes double faults, so a kernel stack overflow (a #PF
 * that cannot push its frame) still reaches a handler that reports it.
 */
#include "arch/x86_64/gdt.h"
#include "kernel/compiler.h"
#include "kernel/lib/string.h"

#define IST_STACK_SIZE 8192

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct gdt_ptr {
	u16 limit;
	u64 base;
} __packed;

_Static_assert(sizeof(struct tss) == 104, "TSS layout (SDM vol. 3, 8.7)");

static struct tss tss;
static u8 df_stack[IST_STACK_SIZE] __aligned(16);

/* Null, code, data, then the 16-byte TSS descriptor in two slots. */
static u64 gdt[5] = {
	0,
	0x00209a0000000000ull,  /* GDT_KERNEL_CS: present, DPL 0, code, L=1 */
	0x0000920000000000ull,  /* GDT_KERNEL_DS: present, DPL 0, data, writable */
	0, 0,
};

static void gdt_set_tss(void)
{
	u64 base = (u64)&tss;
	u64 limit = sizeof(tss) - 1;

	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ull << 40) |              /* present, 64-bit TSS (available) */
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
}

void gdt_init(void)
{
	struct gdt_ptr ptr = { sizeof(gdt) - 1, (u64)gdt };

	memset(&tss, 0, sizeof(tss));
	tss.ist[IST_DOUBLE_FAULT - 1] = (u64)(df_stack + sizeof(df_stack));
	tss.iomap_base = sizeof(tss);
	gdt_set_tss();
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

bool gdt_on_double_fault_stack(unsigned long sp)
{
	return sp >= (unsigned long)df_stack &&
	       sp <= (unsigned long)df_stack + sizeof(df_stack);
}
