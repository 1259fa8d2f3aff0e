/* Segments and the task state segment (interrupt stacks), one set per CPU. */
#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#include "kernel/compiler.h"
#include "kernel/types.h"

#define GDT_KERNEL_CS   0x08
#define GDT_KERNEL_DS   0x10
#define GDT_TSS         0x18
#define IST_DOUBLE_FAULT 1      /* IST slot used by the #DF gate */

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

/* One CPU's descriptor table (null, code, data, 16-byte TSS) and its TSS. */
struct cpu_gdt {
	u64 gdt[5] __aligned(8);
	struct tss tss __aligned(16);
};

/*
 * Loads the boot CPU's GDT (its #DF stack is static), reloads the segment
 * registers and the task register.
 */
void gdt_init(void);

/*
 * The same for another CPU: fills `g` with a TSS whose #DF IST stack is
 * [df_bottom, df_top) and loads it on the calling CPU.
 */
void gdt_init_cpu(struct cpu_gdt *g, unsigned long df_bottom, unsigned long df_top);

/* True if `sp` lies on any CPU's double-fault IST stack. */
bool gdt_on_double_fault_stack(unsigned long sp);

#endif
