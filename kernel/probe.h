/*
 * Safe probes: access memory that may not be mapped and get -EFAULT back
 * instead of an oops. Tests use them to prove what the CPU sees: mapped or
 * not, readable, writable, executable.
 */
#ifndef KERNEL_PROBE_H
#define KERNEL_PROBE_H

#include "kernel/types.h"

/* Copies `len` bytes from `src` to `dst`; 0, or -EFAULT if any byte faulted. */
int probe_copy(void *dst, const void *src, size_t len);

/* Reads `len` bytes at kernel address `src`, which may be unmapped. */
static inline int probe_read(void *dst, const void *src, size_t len)
{
	return probe_copy(dst, src, len);
}

/* Writes `len` bytes to kernel address `dst`, which may be unmapped or read-only. */
static inline int probe_write(void *dst, const void *src, size_t len)
{
	return probe_copy(dst, src, len);
}

static inline int probe_read_u64(unsigned long addr, u64 *val)
{
	return probe_copy(val, (const void *)addr, sizeof(*val));
}

static inline int probe_write_u64(unsigned long addr, u64 val)
{
	return probe_copy((void *)addr, &val, sizeof(val));
}

struct fault_info;

/*
 * The fault the calling CPU's last probe that returned -EFAULT took
 * (address, access, error code), recorded by the exception fixup before
 * it resumes the probe at its fixup. false if no probe of this CPU faulted yet.
 */
bool probe_last_fault(struct fault_info *info);

/*
 * Calls the code at `target` (it must return). 0 if it ran, -EFAULT if
 * the CPU refused to fetch it (not mapped, or mapped non-executable).
 */
int probe_exec(const void *target);

#endif
