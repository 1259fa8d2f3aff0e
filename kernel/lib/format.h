/* printf-style formatting into a buffer (the engine under printk). */
#ifndef KERNEL_LIB_FORMAT_H
#define KERNEL_LIB_FORMAT_H

#include "kernel/compiler.h"
#include "kernel/types.h"

/*
 * Formats into `buf` (at most `size` bytes including the NUL) and returns
 * the length the full output would have had, like C99 vsnprintf.
 * Conversions: %d %i %u %x %X %o %c %s %p %% with the length modifiers
 * h, hh, l, ll, z and t; flags '-', '0', ' ', '+', '#'; field width and
 * precision (also '*'). Extension: %pS prints a kernel text address as
 * function+0xoff/0xlen.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
