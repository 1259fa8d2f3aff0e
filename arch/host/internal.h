/* Shared by the files of the host machine in arch/host; nothing else includes it. */
#ifndef ARCH_HOST_INTERNAL_H
#define ARCH_HOST_INTERNAL_H

#include "host/machine.h"

/* CR4.PGE is set: leaves with the G bit are cached as global. */
bool host_cpu_pge(void);

/* Sets CR2, as the CPU does before a page fault. */
void host_cpu_set_cr2(unsigned long va);

/* The root table CR3 points to. */
phys_addr_t host_cpu_root(void);

/*
 * The host pointer to `len` bytes of simulated RAM at `pa`, or NULL if
 * any of them lies outside the RAM the machine has.
 */
void *host_phys_ptr(phys_addr_t pa, size_t len);

/* The RAM file (file offset = physical address), for mapping pages of it elsewhere. */
int host_ram_fd(void);

/*
 * For the page-fault handler: the TLB entry for an access to `va` (filled
 * on a miss, as sim_translate), now also backing a host mapping, which
 * host_unmap_range() removes when the entry goes. 0 with a copy of the
 * entry, or -EFAULT.
 */
int sim_tlb_map_for_host(unsigned long va, enum sim_access access, struct sim_tlb_entry *e);

/* The simulated MMU's lock (recursive), for a user of several of its entry points at once. */
void sim_lock(void);
void sim_unlock(void);

/* Unmaps what the page-fault handler mapped in [va, va + size). */
void host_unmap_range(unsigned long va, unsigned long size);

/* Installs the page-fault handler (again: a fuzzer may have replaced it). */
void host_pagefault_init(void);

#endif
