/* Ending a QEMU run with a verdict through the isa-debug-exit device. */
#ifndef ARCH_X86_64_QEMU_H
#define ARCH_X86_64_QEMU_H

#include "kernel/compiler.h"

/*
 * QEMU exits with status (value << 1) | 1 when `value` is written to the
 * isa-debug-exit port (-device isa-debug-exit,iobase=0xf4,iosize=0x04):
 * 0x10 gives 33 (all tests passed), 0x11 gives 35 (something failed).
 */
#define QEMU_EXIT_SUCCESS 0x10
#define QEMU_EXIT_FAILURE 0x11

/* Writes `code` to isa-debug-exit; without the device, halts forever. */
__noreturn void qemu_exit(unsigned code);

/*
 * Resets the machine through the 8042 keyboard controller's reset line.
 * QEMU started with -no-reboot (scripts/qemu.sh) exits instead, status 0.
 */
__noreturn void machine_reboot(void);

#endif
