/*
 * The kernel command line: space-separated `key` or `key=value` words,
 * e.g. "ktest.filter=pfa.* ktest.exit=0 ptdump".
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "kernel/types.h"

#define CMDLINE_MAX 1024                /* bytes kept, with the NUL */
#define CMDLINE_MAX_WORDS 64

/*
 * Copies and splits `line` (may be NULL). Later calls replace the old line.
 * A longer line or one with more words is cut, with one warning naming
 * where ("cmdline: longer than 1023 bytes" / "cmdline: more than 64 words").
 */
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
