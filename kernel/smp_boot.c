/*
 * Bringing the application processors up (docs/smp.md):
 *
 *   1. acpi_init() listed the CPUs of the MADT; `nosmp` / `smp=N` cap them.
 *   2. The boot CPU's local APIC is enabled (arch/x86_64/apic.c), and its
 *      tick moves from the PIT to its APIC timer (arch/x86_64/timer.c).
 *   3. The trampoline (arch/x86_64/trampoline.asm) is copied into four free
 *      frames below 1 MiB found in the memory map: its code, and a
 *      temporary PML4 / PDPT / PD that identity-map 0 - 2 MiB and share
 *      the kernel's upper half.
 *   4. For each AP in turn: a kernel stack and a #DF stack (vmalloc space,
 *      guard page below), INIT, then start-up IPIs, then wait up to
 *      AP_TIMEOUT_MS for it to mark itself online. An AP that does not
 *      answer gets INIT again (parked) and a boot line saying so.
 *   5. Each AP: GS base, its own GDT/TSS, the shared IDT, PAT and global
 *      pages, its local APIC and APIC timer tick, online, then the idle
 *      loop (arch/x86_64/smp.c, smp_call.c).
 *
 * It sits above mm/ (stacks from mm/vstack, the APIC's registers through
 * mm/ioremap, free low frames from the memory map); the arch layer below
 * keeps the CPU-level parts and calls nothing in mm/.
 */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp_internal.h"
#include "arch/x86_64/timer.h"
#include "asm/cpu.h"
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "mm/arch_mmu.h"
#include "mm/ioremap.h"
#include "mm/memmap.h"
#include "mm/pgtable.h"
#include "mm/vstack.h"

#define AP_TIMEOUT_MS   2000
#define KSTACK_SIZE     (4 * PAGE_SIZE)
#define DF_STACK_SIZE   (2 * PAGE_SIZE)
#define TRAMP_FRAMES    4               /* code, PML4, PDPT, PD */
#define LOW_LIMIT       0x100000ull     /* real mode reaches the first MiB */
#define TABLE_FLAGS     (X86_PTE_P | X86_PTE_RW)

struct tramp_data {                     /* trampoline.asm's tramp_data */
	u64 pml4;
	u64 kernel_cr3;
	u64 entry;
	u64 stack;
	u64 cpu;
};

extern const char tramp_start[], tramp_end[], tramp_data[];
extern const char ap_entry64[];

static phys_addr_t tramp_phys;
/* True if [pa, pa + len) holds nothing the kernel still needs. */
static bool low_range_is_free(phys_addr_t pa, phys_addr_t len)
{
	const struct boot_info *bi = bootinfo();

	if (pa < bi->info_end && bi->info_start < pa + len)
		return false;
	for (unsigned i = 0; i < bi->module_count; i++)
		if (pa < bi->modules[i].end && bi->modules[i].start < pa + len)
			return false;
	return true;
}

/*
 * The lowest TRAMP_FRAMES free frames below 1 MiB, in RAM the firmware
 * map calls usable (the kernel keeps the whole first MiB out of its
 * allocator, so nothing else uses them), page 0 excluded. 0 if none.
 */
static phys_addr_t find_low_frames(void)
{
	const struct mem_ranges *ram = memmap_ram();
	const phys_addr_t len = TRAMP_FRAMES * PAGE_SIZE;

	for (unsigned i = 0; i < ram->count; i++) {
		phys_addr_t pa = MAX(ALIGN_UP(ram->range[i].start, PAGE_SIZE), PAGE_SIZE);
		phys_addr_t end = MIN(ram->range[i].end, LOW_LIMIT);

		for (; pa + len <= end; pa += PAGE_SIZE)
			if (low_range_is_free(pa, len))
				return pa;
	}
	return 0;
}

/* Copies the trampoline to P and builds the temporary tables after it. */
static void setup_trampoline(phys_addr_t p)
{
	u64 *pml4 = phys_to_virt(p + PAGE_SIZE), *pdpt = phys_to_virt(p + 2 * PAGE_SIZE);
	u64 *pd = phys_to_virt(p + 3 * PAGE_SIZE);
	const u64 *kernel_root = phys_to_virt(kernel_pgtable.root_phys);

	memset(phys_to_virt(p), 0, TRAMP_FRAMES * PAGE_SIZE);
	memcpy(phys_to_virt(p), tramp_start, tramp_end - tramp_start);
	pml4[0] = (p + 2 * PAGE_SIZE) | TABLE_FLAGS;
	pdpt[0] = (p + 3 * PAGE_SIZE) | TABLE_FLAGS;
	pd[0] = 0 | TABLE_FLAGS | X86_PTE_PS;   /* 0 - 2 MiB, executable */
	for (unsigned i = ARCH_PT_ENTRIES / 2; i < ARCH_PT_ENTRIES; i++)
		pml4[i] = kernel_root[i];
	tramp_phys = p;
}

static struct tramp_data *tramp(void)
{
	return (struct tramp_data *)((char *)phys_to_virt(tramp_phys) +
				     (tramp_data - tramp_start));
}

static bool wait_online(unsigned cpu, u64 timeout_us)
{
	u64 end = rdtsc() + tsc_hz() / 1000000 * timeout_us;

	while (rdtsc() < end)
		if (smp_cpu_online(cpu))
			return true;
	return smp_cpu_online(cpu);
}

/* INIT-SIPI-SIPI (SDM vol. 3A, 9.4.4.1), then waits for the AP. */
static bool start_ap(unsigned cpu)
{
	struct percpu *p = per_cpu(cpu);
	struct tramp_data *td = tramp();

	*td = (struct tramp_data){
		.pml4 = tramp_phys + PAGE_SIZE, .kernel_cr3 = kernel_pgtable.root_phys,
		.entry = (u64)ap_entry64, .stack = p->stack_top, .cpu = cpu,
	};
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apic_send_init(p->apic_id);
	smp_delay_us(10000);
	apic_send_startup(p->apic_id, tramp_phys >> PAGE_SHIFT);
	if (wait_online(cpu, 200))
		return true;
	apic_send_startup(p->apic_id, tramp_phys >> PAGE_SHIFT);
	if (wait_online(cpu, AP_TIMEOUT_MS * 1000ull))
		return true;
	apic_send_init(p->apic_id);     /* park it: it must not wake up later */
	return false;
}

static int alloc_stacks(struct percpu *p)
{
	struct vstack k, df;

	if (vstack_alloc(&k, KSTACK_SIZE))
		return -1;
	if (vstack_alloc(&df, DF_STACK_SIZE)) {
		vstack_free(&k);
		return -1;
	}
	p->stack_top = k.top;
	p->df_stack_bottom = df.bottom;
	p->df_stack_top = df.top;
	return 0;
}

static void bring_up_one(unsigned cpu, const struct acpi_cpu *c)
{
	struct percpu *p = per_cpu(cpu);
	u64 t0 = rdtsc();

	p->apic_id = c->apic_id;
	if (alloc_stacks(p)) {
		printk("smp: CPU %u (APIC id %u): no memory for its stacks, not started\n",
		       cpu, c->apic_id);
		return;
	}
	if (!start_ap(cpu)) {
		printk("smp: CPU %u (APIC id %u) did not answer within %u ms: left offline\n",
		       cpu, c->apic_id, AP_TIMEOUT_MS);
		return;
	}
	printk("smp: CPU %u (APIC id %u) online in %llu us, kernel stack %p-%p\n", cpu,
	       c->apic_id, (unsigned long long)((rdtsc() - t0) * 1000000 / tsc_hz()),
	       (void *)(p->stack_top - KSTACK_SIZE), (void *)p->stack_top);
}

/* The CPU count the command line allows (the boot CPU included). */
static unsigned cpus_allowed(void)
{
	if (cmdline_has("nosmp"))
		return 1;
	return (unsigned)MIN(cmdline_get_u64("smp", SMP_MAX_CPUS), (u64)SMP_MAX_CPUS);
}

/* Why the machine runs on one CPU, or NULL if APs may be started. */
static const char *single_cpu_reason(const struct acpi_info *ai, unsigned allowed)
{
	if (allowed <= 1)
		return cmdline_has("nosmp") ? "nosmp on the command line" : "smp=1";
	if (!ai->have_madt)
		return "no ACPI MADT";
	if (ai->nr_cpus <= 1)
		return "the MADT lists one CPU";
	return NULL;
}

/*
 * `smp_fake_apic=ID` (debug builds): also starts a CPU the MADT does not
 * list, with an APIC id nobody has, to show the path of a CPU that does
 * not answer (make test's smp demo boot checks its line).
 */
static void start_fake_cpu(unsigned cpu)
{
	struct acpi_cpu fake = { .enabled = true };

	if (!KCONFIG_DEBUG || !cmdline_get("smp_fake_apic") || cpu >= SMP_MAX_CPUS)
		return;
	fake.apic_id = (u32)cmdline_get_u64("smp_fake_apic", 0xfe);
	bring_up_one(cpu, &fake);
}

static void start_all(const struct acpi_info *ai, unsigned allowed)
{
	unsigned next = 1;

	for (unsigned i = 0; i < ai->nr_cpus; i++) {
		const struct acpi_cpu *c = &ai->cpu[i];

		if (c->apic_id == per_cpu(0)->apic_id)
			continue;
		if (!c->enabled) {
			printk("smp: APIC id %u is online-capable, not enabled: not started\n",
			       c->apic_id);
			continue;
		}
		if (!apic_x2apic_mode() && c->apic_id > 0xfe) {
			printk("smp: APIC id %u needs x2APIC mode: not started\n", c->apic_id);
			continue;
		}
		if (next >= allowed)
			break;
		bring_up_one(next++, c);
	}
	start_fake_cpu(next);
}

void smp_init(void)
{
	const struct acpi_info *ai = acpi_info();
	unsigned allowed = cpus_allowed();
	const char *why = single_cpu_reason(ai, allowed);
	phys_addr_t low;

	per_cpu(0)->online = true;
	if (why) {
		printk("smp: 1 CPU online (%s)\n", why);
		return;
	}
	if (!(low = find_low_frames())) {
		printk("smp: 1 CPU online (no free frames below 1 MiB for the AP trampoline)\n");
		return;
	}
	if (apic_init_boot(ioremap_uc(ai->lapic_phys, PAGE_SIZE))) {
		printk("smp: 1 CPU online (cannot map the local APIC)\n");
		return;
	}
	per_cpu(0)->apic_id = apic_id();
	timer_start_local_apic();
	setup_trampoline(low);
	smp_ipi_init();
	printk("smp: trampoline at 0x%llx, starting up to %u more CPU%s\n",
	       (unsigned long long)low, MIN(allowed, ai->nr_cpus) - 1,
	       MIN(allowed, ai->nr_cpus) - 1 == 1 ? "" : "s");
	if (smp_shootdown_skipped())
		printk("smp: smp_skip_shootdown: TLB shootdowns are NOT sent "
		       "(a debug demo: the smp tests must catch it)\n");
	start_all(ai, allowed);
	printk("smp: %u CPU%s online\n", smp_num_online(), smp_num_online() == 1 ? "" : "s");
}

