/*
 * The host's page-fault handler: how a plain pointer into vmalloc space
 * works on the host machine.
 *
 * Nothing is mapped in the lower-half window beyond the direct map
 * (arch/host/include/asm/layout.h). The first access to a
 * page there faults (SIGSEGV); the handler does what the CPU does on a
 * TLB miss: the simulated MMU walks the page tables mm/ built and caches
 * the translation (arch/host/sim_mmu.c), and the handler maps the page of
 * RAM it names at the faulting address, read-only or read/write as the
 * tables say, then returns, and the access is retried. When the TLB
 * entry goes (INVLPG, a CR3 write, a CR4.PGE toggle, eviction) the page
 * is unmapped again. Between the two, the mapping is exactly the stale
 * translation a real TLB would keep: a missing flush shows up on the
 * host as it would on the CPU.
 *
 * If the walk fails (not mapped, a write to a read-only page: the CPU
 * would raise #PF), the handler turns the signal context into the
 * kernel's trap frame and calls the kernel's trap_dispatch(): resolvers
 * (demand paging), then the oops report, then the test harness's fault
 * catcher, then panic. A fault anywhere else (NULL, a host bug) goes to
 * the handler that was there before: AddressSanitizer's report, or the
 * default action.
 *
 * Under Valgrind the faulting instruction is only restarted with precise
 * exceptions (--px-default=allregs-at-mem-access, as `make host-test`
 * runs it), and Memcheck is told not to report the window's accesses as
 * invalid: they are the page faults this handler serves.
 */
#define _GNU_SOURCE
#include "arch/host/internal.h"
#include "arch/x86_64/trap.h"
#include "mm/layout.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(a, l) ((void)0)
#define VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(a, l) ((void)0)
#endif

#define DEMAND_START    (DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
#define DEMAND_END      HOST_KERNEL_WINDOW_END

static struct sigaction previous;
static bool installed, valgrind_told;

/* Addresses mapped on demand: the window after the direct map. */
static bool demand_mapped(unsigned long va)
{
	return va >= DEMAND_START && va < DEMAND_END;
}

void host_unmap_range(unsigned long va, unsigned long size)
{
	unsigned long end = va + size;

	if (va < DEMAND_START)
		va = DEMAND_START;
	if (end > DEMAND_END)
		end = DEMAND_END;
	if (va < end)
		munmap((void *)va, end - va);
}

/* True if the host has something mapped at `va`'s page (it faulted anyway: a write). */
static bool host_page_mapped(unsigned long va)
{
	unsigned char vec;

	return mincore((void *)(va & PAGE_MASK), PAGE_SIZE, &vec) == 0;
}

/*
 * The CPU's TLB fill: 0 if `va` is now mapped as the page tables say,
 * with the rights of the entry (code in simulated RAM runs for real). A
 * read maps the page read-only even if the entry allows writes, so the
 * first write faults again and sets the dirty bit, as on the CPU.
 */
static int map_on_demand_locked(unsigned long va, enum sim_access access)
{
	unsigned long page = va & PAGE_MASK;
	struct sim_tlb_entry e;
	phys_addr_t pa;
	int prot;

	if (sim_tlb_map_for_host(va, access, &e))
		return -1;
	pa = e.pa + (page - e.va);
	if (!host_phys_ptr(pa, PAGE_SIZE))
		return -1;              /* a frame outside RAM: nothing to map */
	prot = PROT_READ | (e.writable && access == SIM_WRITE ? PROT_WRITE : 0) |
	       (e.exec ? PROT_EXEC : 0);
	if (mmap((void *)page, PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED, host_ram_fd(),
		 (off_t)pa) != (void *)page)
		abort();
	return 0;
}

/* The TLB entry and the host page together: no other thread's flush in between. */
static int map_on_demand(unsigned long va, enum sim_access access)
{
	int err;

	sim_lock();
	err = map_on_demand_locked(va, access);
	sim_unlock();
	return err;
}

static void frame_from_context(struct trap_frame *f, const ucontext_t *uc, u64 error)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	*f = (struct trap_frame){
		.r15 = g[REG_R15], .r14 = g[REG_R14], .r13 = g[REG_R13], .r12 = g[REG_R12],
		.r11 = g[REG_R11], .r10 = g[REG_R10], .r9 = g[REG_R9], .r8 = g[REG_R8],
		.rbp = g[REG_RBP], .rdi = g[REG_RDI], .rsi = g[REG_RSI], .rdx = g[REG_RDX],
		.rcx = g[REG_RCX], .rbx = g[REG_RBX], .rax = g[REG_RAX],
		.vector = TRAP_PF, .error_code = error,
		.rip = g[REG_RIP], .cs = 0x08, .rflags = g[REG_EFL], .rsp = g[REG_RSP],
		.ss = 0x10,
	};
}

/* The #PF the CPU would raise: the kernel's own handling, from the top. */
static void kernel_page_fault(const ucontext_t *uc, unsigned long va, enum sim_access access)
{
	struct trap_frame frame;
	phys_addr_t pa;
	bool w, x;
	u64 error = (access == SIM_WRITE ? PF_ERR_WRITE : 0) |
		    (access == SIM_FETCH ? PF_ERR_FETCH : 0) |
		    (sim_walk(va, &pa, &w, &x) == 0 ? PF_ERR_PRESENT : 0);

	frame_from_context(&frame, uc, error);
	host_cpu_set_cr2(va);
	trap_dispatch(&frame);          /* returns only if a resolver fixed it: retry */
}

static void pass_on(int sig, siginfo_t *si, void *ctx)
{
	if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
		previous.sa_sigaction(sig, si, ctx);
		return;
	}
	/* The default action: put it back and let the access fault again. */
	signal(SIGSEGV, previous.sa_handler == SIG_IGN ? SIG_DFL : previous.sa_handler);
}

/*
 * What the faulting access was. Some tools leave the error code out: a
 * fetch is a fault at RIP, and any other fault on a page that is mapped
 * must be a write.
 */
static enum sim_access access_of(const ucontext_t *uc, unsigned long va)
{
	greg_t err = uc->uc_mcontext.gregs[REG_ERR];

	if ((err & PF_ERR_FETCH) || va == (unsigned long)uc->uc_mcontext.gregs[REG_RIP])
		return SIM_FETCH;
	if ((err & PF_ERR_WRITE) || host_page_mapped(va))
		return SIM_WRITE;
	return SIM_READ;
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	unsigned long va = (unsigned long)si->si_addr;
	enum sim_access access;

	if (!sim_is_kernel_addr(va) || (long)va < 0) {
		pass_on(sig, si, ctx);
		return;
	}
	access = access_of(uc, va);
	if (demand_mapped(va) && map_on_demand(va, access) == 0)
		return;
	kernel_page_fault(uc, va, access);
}

static void valgrind_reenable(void)
{
	VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(DIRECT_MAP_BASE,
						      HOST_KERNEL_WINDOW_END - DIRECT_MAP_BASE);
}

void host_pagefault_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
	struct sigaction old;

	if (!valgrind_told) {
		VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(DIRECT_MAP_BASE,
							       HOST_KERNEL_WINDOW_END - DIRECT_MAP_BASE);
		atexit(valgrind_reenable);
		valgrind_told = true;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (!installed || old.sa_sigaction != on_segv)
		previous = old;
	installed = true;
}
