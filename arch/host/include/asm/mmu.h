/*
 * asm/mmu.h of the host build: the simulated machine is an x86-64 (its
 * MMU, arch/host/sim_mmu.c, walks x86-64 tables), so the host uses the
 * kernel's page-table entry encoding bit for bit. That header has no
 * assembly of its own; its "asm/cpu.h" resolves to the host's.
 */
#ifndef ARCH_HOST_ASM_MMU_H
#define ARCH_HOST_ASM_MMU_H

#include "arch/x86_64/include/asm/mmu.h"

#endif
