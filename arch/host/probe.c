/*
 * The safe probes of kernel/probe.h on the host. An address of the
 * simulated kernel (host/machine.h: sim_is_kernel_addr) is accessed the
 * way the CPU would, through the simulated MMU and its TLB, so a probe
 * sees exactly what a kernel probe sees: not mapped, read-only, non-
 * executable, or a stale translation that was never flushed. Any other
 * address is one of the host process, copied by the kernel on its behalf
 * (process_vm_readv/writev on itself), which gives -EFAULT instead of a
 * crash for a page the process does not have, or a non-canonical address.
 */
#define _GNU_SOURCE
#include "arch/host/internal.h"
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/probe.h"
#include "mm/layout.h"

#include <sys/uio.h>
#include <unistd.h>

/*
 * Copies `n` bytes between host addresses, either of which may be
 * unmapped. The write is done twice when it succeeds: the second time
 * with memcpy, so that Memcheck, which does not follow process_vm_writev
 * into this process, knows the bytes are written.
 */
static int host_copy(void *dst, const void *src, size_t n, bool dst_is_probed)
{
	struct iovec local = { dst_is_probed ? (void *)src : dst, n };
	struct iovec remote = { dst_is_probed ? dst : (void *)src, n };
	ssize_t done = dst_is_probed ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
				     : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	if (done != (ssize_t)n)
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}

/* Copies up to the next page boundary of either side. */
int probe_copy(void *dst, const void *src, size_t len)
{
	char bounce[256];

	while (len) {
		unsigned long s = (unsigned long)src, d = (unsigned long)dst;
		size_t n = MIN(len, sizeof(bounce));

		n = MIN(n, PAGE_SIZE - (s & (PAGE_SIZE - 1)));
		n = MIN(n, PAGE_SIZE - (d & (PAGE_SIZE - 1)));
		if (sim_is_kernel_addr(s) ? sim_read(bounce, s, n) : host_copy(bounce, src, n, false))
			return -EFAULT;
		if (sim_is_kernel_addr(d) ? sim_write(d, bounce, n) : host_copy(dst, bounce, n, true))
			return -EFAULT;
		src = (const char *)src + n;
		dst = (char *)dst + n;
		len -= n;
	}
	return 0;
}

/*
 * A simulated address is fetched, not run: the host checks that the CPU
 * would execute it (mapped, executable) and stops there. A host function
 * is called.
 */
int probe_exec(const void *target)
{
	phys_addr_t pa;

	if (sim_is_kernel_addr((unsigned long)target))
		return sim_translate((unsigned long)target, SIM_FETCH, &pa) ? -EFAULT : 0;
	((void (*)(void))target)();
	return 0;
}
