/* Exceptions and interrupts: the saved register frame and its dispatch. */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include "kernel/types.h"

/* Registers as arch/x86_64/entry.asm leaves them on the stack, lowest first. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;   /* pushed by the CPU */
};

#define TRAP_DE   0     /* divide error */
#define TRAP_NMI  2     /* non-maskable interrupt */
#define TRAP_UD   6     /* invalid opcode */
#define TRAP_DF   8     /* double fault */
#define TRAP_GP  13     /* general protection */
#define TRAP_PF  14     /* page fault */
#define IRQ_BASE 32     /* legacy PIC lines 0-15 are vectors 32-47 */
#define IRQ_TIMER (IRQ_BASE + 0)
#define IRQ_LEGACY_END (IRQ_BASE + 16)  /* local APIC vectors from here */

/* Page-fault error code bits (Intel SDM vol. 3, 4.7). */
#define PF_ERR_PRESENT  (1u << 0)
#define PF_ERR_WRITE    (1u << 1)
#define PF_ERR_USER     (1u << 2)
#define PF_ERR_RSVD     (1u << 3)
#define PF_ERR_FETCH    (1u << 4)

/* Loads the GDT/TSS and the IDT with all 32 exceptions and 16 IRQ lines. */
void trap_init(void);

/* Loads the shared IDT on the calling CPU (each AP on arrival). */
void idt_load(void);

/* Points `vector` (>= IRQ_BASE + 16) at the entry stub `stub`. */
void idt_set_vector(unsigned vector, u64 stub);

/* Called by entry.asm for every vector; may change frame->rip. */
void trap_dispatch(struct trap_frame *frame);

/* Handler for a legacy IRQ line (0-15); runs with interrupts off. */
typedef void (*irq_handler_fn)(struct trap_frame *frame);
void irq_set_handler(unsigned line, irq_handler_fn fn);

/* Prints the full report of an exception: vector, error, registers, trace. */
void trap_report(const struct trap_frame *frame);

struct fault_info;

/*
 * What a report says about the access of `info` apart from the registers
 * and the trace: for a page fault the two "#PF:" lines (the access, the
 * decoded error code), then the explainers' lines (kernel/fault.h: which
 * area owns the address and why it faulted). For a fault a probe caught.
 */
void trap_describe_fault(const struct fault_info *info);

/*
 * Records the fault a probe took on this CPU, for probe_last_fault()
 * (kernel/probe.h); extable_fixup() calls it before resuming at the fixup.
 */
void trap_note_probe_fault(const struct trap_frame *frame);

/* A short name for an exception vector ("page fault"). */
const char *trap_name(unsigned vector);

#endif
