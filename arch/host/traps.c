/*
 * What arch/x86_64/traps.c needs besides the CPU on the host machine: it
 * is compiled unchanged, so a page fault the host cannot resolve is
 * reported (and caught by the test harness) by the kernel's own code.
 * The host has no interrupt controller, no double-fault stack and no
 * exception fixup table (its probes never fault: arch/host/probe.c).
 */
#include "arch/x86_64/extable.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/pic.h"

void pic_init(unsigned base)
{
}

void pic_unmask(unsigned line)
{
}

void pic_mask(unsigned line)
{
}

void pic_eoi(unsigned line)
{
}

bool gdt_on_double_fault_stack(unsigned long sp)
{
	return false;
}

bool extable_fixup(struct trap_frame *frame)
{
	return false;
}
