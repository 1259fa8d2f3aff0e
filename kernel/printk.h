/* Kernel console output (COM1). */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include "kernel/compiler.h"
#include "kernel/types.h"

/* Formats like vsnprintf() (see kernel/lib/format.h) and writes to the console. */
int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);

/* Writes `len` bytes to the console, starting each line with the line prefix. */
void console_write(const char *s, size_t len);

/* Writes `len` bytes to the console as they are, without the line prefix. */
void console_write_raw(const char *s, size_t len);

/*
 * Sets a string written before every console line (NULL: none). The test
 * harness uses "    # " so kernel messages printed inside a test case are
 * KTAP diagnostics of that case rather than stray lines in its block.
 */
void console_set_line_prefix(const char *prefix);

/*
 * A hook that sees all console text before it is written, for tests that
 * check what a function printed (e.g. its one warning line). It returns
 * true to keep the text off the console. NULL removes it; one at a time.
 */
typedef bool (*console_tap_fn)(const char *text, size_t len, void *ctx);
void console_set_tap(console_tap_fn fn, void *ctx);

#endif
