/*
 * The local APIC of each CPU (Intel SDM vol. 3A, chapter 11): xAPIC
 * registers through an uncached ioremap of the MADT's address, or x2APIC
 * MSRs when CPUID offers x2APIC (and `nox2apic` is not on the command
 * line). Used for inter-processor interrupts (NMIs included) and each
 * CPU's timer tick: once the APIC is on, every CPU (the boot CPU too)
 * ticks from its own APIC timer (arch/x86_64/timer.c). The legacy PIC
 * stays wired to the boot CPU's LINT0 (virtual wire mode) with the PIT's
 * line masked; the APs mask LINT0, so legacy IRQs reach the boot CPU alone.
 */
#ifndef ARCH_X86_64_APIC_H
#define ARCH_X86_64_APIC_H

#include "arch/x86_64/trap.h"
#include "kernel/types.h"

#define APIC_VECTOR_FIRST       0xf0    /* the APIC vectors: 0xf0 - 0xff */
#define IPI_VECTOR_FLUSH        0xf0    /* TLB shootdown (arch/x86_64/tlb_smp.c) */
#define IPI_VECTOR_CALL         0xf1    /* cross-call wake-up (arch/x86_64/smp.c) */
#define APIC_VECTOR_TIMER       0xf2    /* each CPU's tick (arch/x86_64/timer.c) */
#define APIC_VECTOR_SPURIOUS    0xff

/*
 * Switches on and enables the boot CPU's local APIC: through `regs`, its
 * 4 KiB of registers mapped uncached by the caller (xAPIC), or through
 * MSRs where the CPU has x2APIC (`regs` is then unused). 0, or -ENOMEM if
 * xAPIC is needed and `regs` is NULL. Prints one line with the mode and
 * the boot CPU's APIC id.
 */
int apic_init_boot(volatile u32 *regs);

/* Enables the calling AP's local APIC (after apic_init_boot()). */
void apic_init_ap(void);

/* True once apic_init_boot() succeeded. */
bool apic_enabled(void);

/* True if the APIC runs in x2APIC mode. */
bool apic_x2apic_mode(void);

/* The calling CPU's APIC id. */
u32 apic_id(void);

/* Sends fixed interrupt `vector` to the CPU with APIC id `dest`. */
void apic_send_ipi(u32 dest, u8 vector);

/* Sends INIT, then a start-up IPI with `page` (physical address >> 12). */
void apic_send_init(u32 dest);
void apic_send_startup(u32 dest, u8 page);

/*
 * Sends a non-maskable interrupt to the CPU with APIC id `dest`: it
 * arrives even while that CPU runs with interrupts off (vector 2).
 */
void apic_send_nmi(u32 dest);

/*
 * The local APIC timer, which counts down at the bus clock divided by 16.
 * apic_timer_count_over() busy-waits `tsc_cycles` TSC ticks and returns
 * how far the timer counted meanwhile (its rate, against the TSC; the
 * timer is left stopped). apic_timer_start_periodic() makes it raise
 * `vector` every `count` counts on the calling CPU.
 */
u32 apic_timer_count_over(u64 tsc_cycles);
void apic_timer_start_periodic(u8 vector, u32 count);

/* The handler of an APIC vector (0xf0 - 0xfe); runs with interrupts off. */
typedef void (*apic_handler_fn)(struct trap_frame *frame);
void apic_set_handler(unsigned vector, apic_handler_fn fn);

/* Called by trap_dispatch() for vectors from IRQ_LEGACY_END up. */
void apic_dispatch(struct trap_frame *frame);

#endif
