/*
 * The kernel's own symbol table, generated from the first link by
 * scripts/gen-ksyms.sh and linked into .rodata (see the Makefile), so
 * backtraces and "%pS" print function+0xoff/0xlen without a debugger.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include "kernel/types.h"

/*
 * Finds the text symbol containing `addr`. On success stores its name,
 * the offset of `addr` into it and its size, and returns true.
 */
bool ksym_lookup(unsigned long addr, const char **name, unsigned long *offset,
		 unsigned long *size);

/* Writes "name+0xoff/0xsize" (or the bare hex address) into `buf`. */
void ksym_format(char *buf, size_t size, unsigned long addr);

/* The start address of the function called `name`, or 0. Linear search. */
unsigned long ksym_address(const char *name);

#endif
