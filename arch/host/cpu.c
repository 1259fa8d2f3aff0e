/*
 * The simulated CPU behind the host's asm/cpu.h: the registers
 * mm/ and arch/x86_64/mmu.c touch (CR3, CR4, the PAT and EFER MSRs, the
 * CPUID leaves of paging features, RFLAGS.IF), with every TLB operation
 * applied to the simulated TLB (arch/host/sim_mmu.c) and counted:
 *
 *   INVLPG va          drops the translation of va
 *   MOV to CR3         drops every non-global translation
 *   CR4.PGE changes    drops every translation, global ones included
 *
 * Its data sits in the state section (arch/host/host.ld), so a machine
 * snapshot restores the registers together with the tables they point to.
 */
#include "asm/cpu.h"
#include "arch/host/internal.h"
#include "mm/arch_mmu.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

#define PAT_RESET       0x0007040600070406ull   /* WB WT UC- UC, twice (SDM 11.12.4) */
#define EFER_LME        (1ull << 8)
#define EFER_LMA        (1ull << 10)

#define CPUID_EXT_MAX           0x80000000u
#define CPUID_EXT_FEATURES      0x80000001u
#define CPUID_EDX_NX            (1u << 20)
#define CPUID_EDX_PDPE1GB       (1u << 26)
#define CPUID_EDX_LM            (1u << 29)

__thread unsigned long host_cpu_rflags = X86_EFLAGS_IF;
__thread unsigned host_cpu_this;
static __thread u64 cr2;                /* each CPU's own: set by its page fault */
/*
 * CR4 of CPUs other than 0 (host threads, host_cpu_enter()): each CPU
 * toggles its own PGE to flush, so two flushing at once must not share
 * one register (one could end with PGE clear). CPU 0 keeps cpu.cr4,
 * which machine snapshots restore.
 */
static __thread u64 thread_cr4;

static struct {
	u64 cr3, cr4, pat, efer;
	/*
	 * The CR4 a CPU entering with host_cpu_enter() starts with: the last
	 * value written that is not the first half of a flush's PGE toggle,
	 * so that a CPU entering while CPU 0 flushes does not start with PGE
	 * clear (its own flushes would then toggle nothing). Atomic: CPU 0
	 * writes it while others enter.
	 */
	u64 entry_cr4;
	bool pdpe1gb;
	struct host_cpu_stats stats;
} cpu;

void host_cpu_reset(bool pdpe1gb)
{
	cr2 = 0;
	cpu.cr3 = 0;
	cpu.cr4 = X86_CR4_PAE;                         /* as boot/entry.asm leaves it */
	__atomic_store_n(&cpu.entry_cr4, cpu.cr4, __ATOMIC_RELAXED);
	cpu.pat = PAT_RESET;
	cpu.efer = EFER_LME | EFER_LMA | EFER_NXE;     /* as boot/entry.asm leaves it */
	cpu.pdpe1gb = pdpe1gb;
	cpu.stats = (struct host_cpu_stats){ 0 };
	host_cpu_rflags = X86_EFLAGS_IF;
	sim_tlb_flush_all(false);
}

void host_cpu_set_cr2(unsigned long va)
{
	cr2 = va;
}

void host_cpu_enter(unsigned cpu_nr)
{
	host_cpu_this = cpu_nr;
	host_cpu_rflags = X86_EFLAGS_IF;
	thread_cr4 = __atomic_load_n(&cpu.entry_cr4, __ATOMIC_RELAXED);
}

/* This CPU's CR4. */
static u64 *cr4_here(void)
{
	return host_cpu_this ? &thread_cr4 : &cpu.cr4;
}

void host_cpu_get_stats(struct host_cpu_stats *st)
{
	*st = cpu.stats;
}

u64 host_cpu_read_cr(int n)
{
	switch (n) {
	case 2: return cr2;
	case 3: return cpu.cr3;
	case 4: return *cr4_here();
	}
	panic("host cpu: read of CR%d", n);
}

void host_cpu_write_cr(int n, u64 v)
{
	if (n == 3) {
		cpu.cr3 = v;
		__atomic_fetch_add(&cpu.stats.cr3_writes, 1, __ATOMIC_RELAXED);
		sim_tlb_flush_all(*cr4_here() & X86_CR4_PGE);
		return;
	}
	if (n != 4)
		panic("host cpu: write of CR%d", n);
	if ((*cr4_here() ^ v) & X86_CR4_PGE) {
		__atomic_fetch_add(&cpu.stats.pge_toggles, 1, __ATOMIC_RELAXED);
		sim_tlb_flush_all(false);
	}
	if ((v & X86_CR4_PGE) || !(*cr4_here() & X86_CR4_PGE))
		__atomic_store_n(&cpu.entry_cr4, v, __ATOMIC_RELAXED);
	*cr4_here() = v;
}

void host_cpu_invlpg(unsigned long addr)
{
	__atomic_fetch_add(&cpu.stats.invlpg, 1, __ATOMIC_RELAXED);
	sim_tlb_flush_page(addr);
}

u64 host_cpu_rdmsr(u32 msr)
{
	if (msr == X86_PAT_MSR)
		return cpu.pat;
	if (msr == MSR_EFER)
		return cpu.efer;
	panic("host cpu: rdmsr 0x%x: no such MSR (#GP)", msr);
}

void host_cpu_wrmsr(u32 msr, u64 v)
{
	if (msr == X86_PAT_MSR)
		cpu.pat = v;
	else if (msr == MSR_EFER)
		cpu.efer = v;
	else
		panic("host cpu: wrmsr 0x%x: no such MSR (#GP)", msr);
}

void host_cpu_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	(void)sub;
	*a = *b = *c = *d = 0;
	if (leaf == CPUID_EXT_MAX)
		*a = CPUID_EXT_FEATURES;
	else if (leaf == CPUID_EXT_FEATURES)
		*d = CPUID_EDX_NX | CPUID_EDX_LM | (cpu.pdpe1gb ? CPUID_EDX_PDPE1GB : 0);
}

/* Only the simulated MMU asks: translations are global only with CR4.PGE. */
bool host_cpu_pge(void)
{
	return cpu.cr4 & X86_CR4_PGE;
}

phys_addr_t host_cpu_root(void)
{
	return cpu.cr3 & 0x000ffffffffff000ull;
}

__noreturn void host_cpu_port_io(u16 port, const char *what)
{
	panic("host cpu: %s to port 0x%x: the host machine has no devices", what, port);
}

__noreturn void host_cpu_halt(void)
{
	panic("host cpu: hlt: nothing would ever wake the host CPU");
}
