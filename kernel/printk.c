/* printk: format into a bounded buffer and write it to the serial console. */
#include "kernel/printk.h"
#include "kernel/lib/format.h"
#include "kernel/spinlock.h"
#include "kernel/lib/string.h"
#include "arch/x86_64/serial.h"

#define PRINTK_MAX 512

/* Serialises console output so lines from different contexts do not mix. */
static spinlock_t console_lock = SPINLOCK_INIT("console");
static console_tap_fn console_tap;
static void *console_tap_ctx;
static const char *line_prefix;
static bool at_line_start = true;

void console_set_line_prefix(const char *prefix)
{
	line_prefix = prefix;
}

void console_set_tap(console_tap_fn fn, void *ctx)
{
	console_tap_ctx = ctx;
	console_tap = fn;
}

static void console_emit_locked(const char *s, size_t len, bool prefixed)
{
	if (console_tap && console_tap(s, len, console_tap_ctx))
		return;
	while (len) {
		size_t n = 0;

		while (n < len && s[n] != '\n')
			n++;
		if (n < len)
			n++;            /* include the newline */
		if (prefixed && at_line_start && line_prefix)
			serial_write(line_prefix, strlen(line_prefix));
		serial_write(s, n);
		at_line_start = s[n - 1] == '\n';
		s += n;
		len -= n;
	}
}

void console_write(const char *s, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&console_lock);

	console_emit_locked(s, len, true);
	spin_unlock_irqrestore(&console_lock, flags);
}

void console_write_raw(const char *s, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&console_lock);

	console_emit_locked(s, len, false);
	spin_unlock_irqrestore(&console_lock, flags);
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[PRINTK_MAX];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t len = n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1;

	console_write(buf, len);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
