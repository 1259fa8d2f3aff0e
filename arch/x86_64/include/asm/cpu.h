/*
 * asm/cpu.h for x86-64: control registers, TLB instructions, port I/O,
 * MSRs, CPUID, TSC and interrupt flag. The only place with inline assembly
 * besides the arch .c files that need one instruction of their own. The
 * host build has its own asm/cpu.h with the same names (arch/host/include).
 */
#ifndef ARCH_X86_64_ASM_CPU_H
#define ARCH_X86_64_ASM_CPU_H

#include "asm/cpu_bits.h"
#include "kernel/types.h"

static inline u64 read_cr2(void)
{
	u64 v;
	__asm__ __volatile__("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline u64 read_cr3(void)
{
	u64 v;
	__asm__ __volatile__("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(u64 v)
{
	__asm__ __volatile__("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline u64 read_cr4(void)
{
	u64 v;
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(u64 v)
{
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void invlpg(unsigned long addr)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(addr) : "memory");
}

static inline void outb(u16 port, u8 v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(u16 port, u32 v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(sub));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

static inline unsigned long read_flags(void)
{
	unsigned long f;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(f) : : "memory");
	return f;
}

static inline void irq_enable(void)
{
	__asm__ __volatile__("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	__asm__ __volatile__("cli" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" : : : "memory");
}

/*
 * The calling CPU's number (0 = the boot CPU): struct percpu's `cpu`
 * field, at offset 8 of the area GS points at (arch/x86_64/percpu.h).
 */
static inline unsigned arch_cpu_id(void)
{
	unsigned id;

	__asm__ __volatile__("movl %%gs:8, %0" : "=r"(id));
	return id;
}

/*
 * Called by every busy-wait that may run with interrupts off (spinlocks):
 * services the TLB-shootdown requests sent to this CPU (docs/smp.md).
 */
void arch_spin_poll(void);

static inline void cpu_halt(void)
{
	__asm__ __volatile__("hlt" : : : "memory");
}

#endif
