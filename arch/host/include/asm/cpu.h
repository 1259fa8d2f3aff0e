/*
 * asm/cpu.h of the host build (docs/host.md): arch/host/include is the
 * host's architecture directory, as arch/x86_64/include is the kernel's,
 * so every #include "asm/cpu.h" of mm/, kernel/ and the arch/x86_64 .c
 * files the host compiles lands here. Same names, constants and
 * signatures as the x86-64 header, whose privileged instructions would
 * trap in a user process; the bodies go to the simulated CPU
 * (arch/host/cpu.c):
 *
 *   CR3, CR4, MSRs, CPUID   registers of the simulated CPU
 *   INVLPG, CR3/CR4 writes  recorded, and applied to the simulated TLB
 *   RFLAGS.IF               a flag word (irq_save/restore, the watchdog)
 *   port I/O                refused: nothing in mm/ may touch a device
 *   RDTSC, PAUSE            the real instructions (unprivileged)
 */
#ifndef ARCH_HOST_ASM_CPU_H
#define ARCH_HOST_ASM_CPU_H

#include "arch/x86_64/include/asm/cpu_bits.h"
#include "kernel/types.h"

/*
 * The simulated CPU (arch/host/cpu.c). Host threads may act as CPUs
 * (host/machine.h, host_cpu_enter()): each has its own CPU number and
 * RFLAGS.IF; CR3, CR4, the MSRs and the TLB are one for all.
 */
extern __thread unsigned long host_cpu_rflags;
extern __thread unsigned host_cpu_this;
u64 host_cpu_read_cr(int n);
void host_cpu_write_cr(int n, u64 v);
void host_cpu_invlpg(unsigned long addr);
u64 host_cpu_rdmsr(u32 msr);
void host_cpu_wrmsr(u32 msr, u64 v);
void host_cpu_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d);
__attribute__((noreturn)) void host_cpu_port_io(u16 port, const char *what);
__attribute__((noreturn)) void host_cpu_halt(void);

static inline u64 read_cr2(void) { return host_cpu_read_cr(2); }
static inline u64 read_cr3(void) { return host_cpu_read_cr(3); }
static inline void write_cr3(u64 v) { host_cpu_write_cr(3, v); }
static inline u64 read_cr4(void) { return host_cpu_read_cr(4); }
static inline void write_cr4(u64 v) { host_cpu_write_cr(4, v); }
static inline void invlpg(unsigned long addr) { host_cpu_invlpg(addr); }

static inline void outb(u16 port, u8 v) { (void)v; host_cpu_port_io(port, "outb"); }
static inline u8 inb(u16 port) { host_cpu_port_io(port, "inb"); }
static inline void outl(u16 port, u32 v) { (void)v; host_cpu_port_io(port, "outl"); }

static inline u64 rdmsr(u32 msr) { return host_cpu_rdmsr(msr); }
static inline void wrmsr(u32 msr, u64 v) { host_cpu_wrmsr(msr, v); }

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	host_cpu_cpuid(leaf, sub, a, b, c, d);
}

static inline u64 rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}

static inline unsigned long read_flags(void)
{
	return __atomic_load_n(&host_cpu_rflags, __ATOMIC_RELAXED);
}

static inline void irq_enable(void)
{
	__atomic_or_fetch(&host_cpu_rflags, X86_EFLAGS_IF, __ATOMIC_SEQ_CST);
}

static inline void irq_disable(void)
{
	__atomic_and_fetch(&host_cpu_rflags, ~X86_EFLAGS_IF, __ATOMIC_SEQ_CST);
}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* CPU 0, or the number a host thread took; no shootdown requests to serve (one TLB). */
static inline unsigned arch_cpu_id(void) { return host_cpu_this; }
static inline void arch_spin_poll(void) { }

static inline void cpu_halt(void)
{
	host_cpu_halt();
}

#endif
