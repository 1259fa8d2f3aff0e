/*
 * The serial-console shell (docs/shell.md): the top layer of the kernel,
 * above mm/ and the tests, which it calls and which never call it.
 */
#ifndef KERNEL_SHELL_SHELL_H
#define KERNEL_SHELL_SHELL_H

#include "kernel/compiler.h"

/*
 * Turns on the serial receive interrupt and reads commands from COM1
 * forever, one line at a time (line editing and history: readline.h).
 * Interrupts must be on. Returns only through `reboot` or `poweroff`.
 */
__noreturn void shell_run(void);

#endif
