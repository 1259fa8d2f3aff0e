/*
 * The kernel command line: space-separated `key` or `key=value` words,
 * e.g. "ktest.filter=pfa.* ktest.exit=0 ptdump".
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "kernel/types.h"

/* Copies and splits `line` (may be NULL). Later calls replace the old line. */
void cmdline_init(const char *line);

/* The whole command line as given. */
const char *cmdline_raw(void);

/* The value of `key=value` (the last one wins), "" for a bare `key`, or NULL. */
const char *cmdline_get(const char *key);

/* True if `key` is present (bare or with a value). */
bool cmdline_has(const char *key);

/* The value of `key` as an unsigned number (decimal or 0x hex), else `def`. */
u64 cmdline_get_u64(const char *key, u64 def);

/* Parses a decimal or 0x-prefixed number with an optional K/M/G suffix. */
bool parse_u64(const char *s, u64 *out);

#endif
