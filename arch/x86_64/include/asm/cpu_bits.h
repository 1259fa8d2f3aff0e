/*
 * x86-64 register and CPUID bits (Intel SDM vol. 3A, 2.5 and 4.1; vol. 2A,
 * CPUID). Constants only, so the host build, which simulates this CPU,
 * shares them (arch/host/include/asm/cpu.h).
 */
#ifndef ARCH_X86_64_ASM_CPU_BITS_H
#define ARCH_X86_64_ASM_CPU_BITS_H

#define X86_EFLAGS_IF   (1ul << 9)
#define X86_CR4_PAE     (1ul << 5)      /* physical address extension (long mode) */
#define X86_CR4_PGE     (1ul << 7)      /* global pages */
#define X86_CR4_SMEP    (1ul << 20)     /* no supervisor fetch from user pages */
#define X86_CR4_SMAP    (1ul << 21)     /* no supervisor access to user pages */
#define X86_CPUID_STRUCT_EXT    7u      /* leaf 7 subleaf 0: structured extended features */
#define X86_CPUID7_EBX_SMEP     (1u << 7)
#define X86_CPUID7_EBX_SMAP     (1u << 20)
#define MSR_EFER        0xc0000080u
#define EFER_NXE        (1ull << 11)

#endif
