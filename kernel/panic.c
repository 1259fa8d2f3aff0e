/* panic(), WARN() and the frame-pointer backtrace they print. */
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/ksyms.h"
#include "kernel/probe.h"
#include "kernel/spinlock.h"
#include "asm/cpu.h"
#include "arch/x86_64/qemu.h"
#include "arch/x86_64/serial.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"

#define BACKTRACE_MAX_FRAMES 32

static unsigned long warnings;
static const struct report_watcher *watcher;

void report_set_watcher(const struct report_watcher *w)
{
	watcher = w;
}

void report_begin(enum report_kind kind, const char *where)
{
	if (watcher)
		watcher->begin(kind, where);
}

void report_end(enum report_kind kind)
{
	if (watcher)
		watcher->end(kind);
}

unsigned long warn_count(void)
{
	return warnings;
}

/* A frame pointer is followed only while it looks like a kernel stack slot. */
static bool frame_is_sane(unsigned long rbp)
{
	return rbp >= 0xffff800000000000ul && IS_ALIGNED(rbp, 8) &&
	       rbp < 0xfffffffffffff000ul;
}

/*
 * Frames are read with probes: after a stack overflow RBP may point into
 * the guard page, and a fault here must not turn a report into a reset.
 * `*bad`: the frame that could not be read, or 0.
 */
static unsigned walk_frames(unsigned long rbp, unsigned long *ips, unsigned max,
			    unsigned long *bad)
{
	unsigned n = 0;

	*bad = 0;
	while (n < max && frame_is_sane(rbp)) {
		u64 frame[2];

		if (probe_read(frame, (const void *)rbp, sizeof(frame))) {
			*bad = rbp;
			break;
		}
		if (!frame[1])
			break;
		ips[n++] = frame[1];
		if (frame[0] <= rbp)
			break;          /* stacks grow down: callers live higher */
		rbp = frame[0];
	}
	return n;
}

unsigned backtrace_save(unsigned long rbp, unsigned long *ips, unsigned max)
{
	unsigned long bad;

	return walk_frames(rbp, ips, max, &bad);
}

void backtrace_print(const unsigned long *ips, unsigned n)
{
	printk("Call Trace:\n");
	for (unsigned i = 0; i < n; i++)
		printk(" [<%016lx>] %pS\n", ips[i], (void *)ips[i]);
}

void dump_backtrace(unsigned long rbp)
{
	unsigned long ips[BACKTRACE_MAX_FRAMES] = { 0 }, bad;
	unsigned n = walk_frames(rbp, ips, BACKTRACE_MAX_FRAMES, &bad);

	backtrace_print(ips, n);
	if (bad)
		printk(" <frame at %016lx unreadable>\n", bad);
}

void dump_backtrace_at(unsigned long ip, unsigned long rbp)
{
	printk("RIP: %pS\n", (void *)ip);
	dump_backtrace(rbp);
}

void warn_at(const char *file, int line, const char *fmt, ...)
{
	char msg[256], where[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnings++;
	snprintf(where, sizeof(where), "%s:%d", file, line);
	report_begin(REPORT_WARNING, where);
	printk("WARNING: %s:%d: %s\n", file, line, msg);
	report_end(REPORT_WARNING);
}

void warn_call_at(const char *file, int line, const char *fn, unsigned long caller,
		  const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn_at(file, line, "%s: %s (caller %pS)", fn, msg, (void *)caller);
}

/* Last words go straight to the UART: the console lock may be what broke. */
static void panic_write(const char *s)
{
	serial_write(s, strlen(s));
}

__noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
	static bool in_panic;
	char msg[256];
	va_list ap;

	irq_disable();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	panic_write("Kernel panic - not syncing: ");
	panic_write(msg);
	panic_write("\n");
	if (!in_panic) {
		in_panic = true;
		snprintf(msg, sizeof(msg), "  at %s:%d\n", file, line);
		panic_write(msg);
		dump_backtrace((unsigned long)__builtin_frame_address(0));
	}
	qemu_exit(QEMU_EXIT_FAILURE);
}

void (*spin_lock_fail_hook)(spinlock_t *lock, const char *why);

void spin_lock_failed(spinlock_t *lock, const char *why, unsigned long ip)
{
	if (spin_lock_fail_hook)
		spin_lock_fail_hook(lock, why);
	panic("spinlock %s: %s at %pS (held from %pS)", lock->name, why,
	      (void *)ip, (void *)lock->holder_ip);
}
