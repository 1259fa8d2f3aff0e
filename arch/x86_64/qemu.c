/* isa-debug-exit: how the kernel tells QEMU (and so the runner) its verdict. */
#include "arch/x86_64/qemu.h"
#include "asm/cpu.h"

#define DEBUG_EXIT_PORT 0xf4

__noreturn void qemu_exit(unsigned code)
{
	irq_disable();
	outl(DEBUG_EXIT_PORT, code);
	for (;;)
		cpu_halt();     /* no device: stay halted for the debugger */
}

#define KBD_CONTROLLER  0x64
#define KBD_PULSE_RESET 0xfe    /* pulse the CPU reset line */

__noreturn void machine_reboot(void)
{
	irq_disable();
	outb(KBD_CONTROLLER, KBD_PULSE_RESET);
	for (;;)
		cpu_halt();
}
