/*
 * The simulated machine the host build runs mm/ on (docs/host.md): RAM,
 * the firmware memory map describing it, a CPU with CR3/CR4 and a TLB,
 * and a page-table walker standing in for the MMU. Host-only code (the
 * host test runner, the fuzzer, the benchmarks) includes this; mm/ never
 * does, it sees the machine only through the arch seam.
 *
 *   physical address pa   <->   host pointer DIRECT_MAP_BASE + pa
 *
 * RAM is a shared-memory file mapped at DIRECT_MAP_BASE, only where the
 * map says "usable". Other addresses of the lower-half window (vmalloc,
 * see arch/host/include/asm/layout.h) are mapped on demand
 * through the simulated MMU and unmapped when its TLB drops them.
 *
 * Booting again (host_machine_init a second time) first puts the data of
 * every object in the state section (arch/host/host.ld: mm/, kernel/lib,
 * the simulated CPU...) back to its values at program start, so mm_init()
 * runs on a clean slate: the fuzzer boots a fresh machine for each input.
 */
#ifndef HOST_MACHINE_H
#define HOST_MACHINE_H

#include "kernel/bootinfo.h"
#include "kernel/types.h"

/* --- machines ----------------------------------------------------------------- */

struct host_machine {
	const char *name;
	const struct boot_mem_range *map;       /* BIOS e820 entries, as QEMU gives them */
	unsigned map_count;
	bool pdpe1gb;                           /* CPUID: 1 GiB pages */
};

/*
 * The built-in machines: "bios-512m" and "bios-128m" (QEMU's maps for
 * -m 512M / -m 128M), "bios-6g" (RAM above 4 GiB, the PCI hole), "small"
 * (31 MiB of RAM, for the fuzzer: exhaustion is near).
 * NULL if `name` is unknown.
 */
const struct host_machine *host_machine_find(const char *name);

/*
 * Powers the machine on: maps its RAM (zeroed) at DIRECT_MAP_BASE, fills
 * the boot information (memory map, a pretend kernel image at 2 MiB, the
 * Multiboot2 info and one boot module, `cmdline`), resets the CPU and
 * the TLB and passes the command line to cmdline_init(). A second call
 * first puts every object of the state section back to its values at
 * program start, so mm_init() can run again on the new machine.
 */
void host_machine_init(const struct host_machine *m, const char *cmdline);

/* Bytes of address space from 0 that the RAM file covers (the top of RAM). */
phys_addr_t host_ram_top(void);

/* Drops (true) or writes again (false) what the console prints: the fuzzer's passing inputs. */
void host_console_mute(bool mute);

/*
 * Where qemu_exit() (the end of a run, and of a panic) goes: false, the
 * process exits with QEMU's status for the code ((code << 1) | 1: 33
 * passed, 35 failed); true, it aborts, which a fuzzer reports with a
 * stack trace and the input.
 */
extern bool host_abort_on_exit;

/* --- the simulated CPU ---------------------------------------------------------- */

struct host_cpu_stats {
	unsigned long invlpg;           /* INVLPG instructions */
	unsigned long cr3_writes;       /* MOV to CR3 (drops non-global entries) */
	unsigned long pge_toggles;      /* CR4.PGE changes (drop every entry) */
};

void host_cpu_get_stats(struct host_cpu_stats *st);

/*
 * Makes the calling host thread CPU `cpu_nr` (< SMP_MAX_CPUS; the main
 * thread is CPU 0), with interrupts on: arch_cpu_id() and so every
 * per-CPU array of mm/ and kernel/ (lock order, fault-injection scope)
 * see it. The TLB, CR3 and CR4 stay shared: the simulated MMU is one,
 * serialized by its own lock (docs/host.md, "Threads as CPUs").
 */
void host_cpu_enter(unsigned cpu_nr);

/* While threads act as CPUs 0 .. n - 1: smp_num_online() and smp_cpu_online() say so. */
void host_smp_set_online(unsigned n);

/*
 * Powers the CPU on: CR3 0, CR4.PGE clear, PAT at its reset value,
 * interrupts on, TLB empty; CPUID reports 1 GiB pages if `pdpe1gb`.
 */
void host_cpu_reset(bool pdpe1gb);

/* --- the simulated MMU (arch/host/sim_mmu.c) ------------------------------------ */

enum sim_access { SIM_READ, SIM_WRITE, SIM_FETCH };

/*
 * True if `va` is an address of the simulated kernel: the upper half, or
 * the lower-half window [DIRECT_MAP_BASE, HOST_KERNEL_WINDOW_END) (the
 * direct map, vmalloc and the unowned ranges next to them). Only such
 * addresses go through the MMU; any other is a host pointer.
 */
bool sim_is_kernel_addr(unsigned long va);

/*
 * What the CPU does on an access to `va`: a TLB hit is used as it is
 * (even if the page tables changed since: that is a stale entry); a miss
 * walks the tables from CR3 and caches the translation. 0 with the
 * physical address in *pa, or -EFAULT (not present, a write to a read-
 * only page, a fetch from a non-executable one, a non-canonical address).
 */
int sim_translate(unsigned long va, enum sim_access access, phys_addr_t *pa);

/* Copies through the MMU, page by page; 0 or -EFAULT (after a partial copy). */
int sim_read(void *dst, unsigned long va, size_t len);
int sim_write(unsigned long va, const void *src, size_t len);

/*
 * The walk alone, no TLB: what the page tables say about `va` now.
 * 0 with *pa, *writable and *exec filled, or -EFAULT.
 */
int sim_walk(unsigned long va, phys_addr_t *pa, bool *writable, bool *exec);

/* The raw leaf entry mapping `va` now (accessed/dirty bits included); 0 or -EFAULT. */
int sim_leaf_entry(unsigned long va, u64 *entry);

/* --- the TLB ------------------------------------------------------------------- */

struct sim_tlb_entry {
	unsigned long va;               /* first address of the leaf it caches (4K, 2M, 1G) */
	phys_addr_t pa;                 /* what va translates to */
	bool writable, exec, global;
};

/* The TLB operations of the host's asm/cpu.h. */
void sim_tlb_flush_page(unsigned long va);
void sim_tlb_flush_all(bool keep_global);

/* Called for each stale translation (below). */
typedef void (*sim_tlb_fn)(const struct sim_tlb_entry *e, void *ctx);

/*
 * A cached translation that the tables no longer give (absent, another
 * frame, or fewer rights than cached): the TLB still holds it because
 * nothing flushed it. Calls `fn` (if not NULL) for each one; returns how
 * many there are.
 */
unsigned long sim_tlb_for_each_stale(sim_tlb_fn fn, void *ctx);

#endif
