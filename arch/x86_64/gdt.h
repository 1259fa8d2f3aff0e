/* Segments and the task state segment (interrupt stacks). */
#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#include "kernel/types.h"

#define GDT_KERNEL_CS   0x08
#define GDT_KERNEL_DS   0x10
#define GDT_TSS         0x18
#define IST_DOUBLE_FAULT 1      /* IST slot used by the #DF gate */

/* Loads the kernel GDT, reloads the segment registers and the task register. */
void gdt_init(void);

/* True if `sp` lies on the double-fault IST stack. */
bool gdt_on_double_fault_stack(unsigned long sp);

#endif
