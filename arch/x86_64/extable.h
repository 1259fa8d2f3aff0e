/* The exception fixup table (see arch/x86_64/probe.asm). */
#ifndef ARCH_X86_64_EXTABLE_H
#define ARCH_X86_64_EXTABLE_H

#include "arch/x86_64/trap.h"

/*
 * If the faulting instruction has a fixup (or a probe_exec() target failed
 * to fetch), moves the frame's RIP (and RSP) there and returns true.
 */
bool extable_fixup(struct trap_frame *frame);

#endif
