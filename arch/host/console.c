/*
 * The host machine's console and power switch: what arch/x86_64/serial.c
 * and qemu.c are in the kernel. Console bytes go straight to stdout with
 * write(2), unbuffered, so a log cut short by a crash still ends with the
 * last line printed. qemu_exit() ends the process with QEMU's own status
 * for the isa-debug-exit code ((code << 1) | 1: 33 passed, 35 failed), so
 * scripts/ktest.py judges a host run exactly like a QEMU run; the fuzzer
 * sets host_abort_on_exit, turning a panic into a crash it can report,
 * and mutes the console while an input passes.
 */
#include "arch/host/internal.h"
#include "arch/x86_64/qemu.h"
#include "arch/x86_64/serial.h"

#include <stdlib.h>
#include <unistd.h>

static bool muted;
bool host_abort_on_exit;

void host_console_mute(bool mute)
{
	muted = mute;
}

void serial_init(void)
{
}

void serial_write(const char *s, unsigned long len)
{
	while (len && !muted) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n <= 0)
			return;         /* stdout is gone: nobody is reading the log */
		s += n;
		len -= (unsigned long)n;
	}
}

void serial_putc(char c)
{
	serial_write(&c, 1);
}

__noreturn void qemu_exit(unsigned code)
{
	if (host_abort_on_exit)
		abort();
	exit((int)((code << 1) | 1));
}
