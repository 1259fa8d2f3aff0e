/*
 * Local APIC access in its two modes. xAPIC: 32-bit registers at 16-byte
 * offsets in a 4 KiB page, which the caller of apic_init_boot() maps
 * uncached. x2APIC: the same registers as MSRs 0x800 + offset / 16, the
 * ICR as one 64-bit MSR.
 */
#include "arch/x86_64/apic.h"
#include "asm/cpu.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/irqflags.h"
#include "kernel/printk.h"

#define MSR_APIC_BASE           0x1bu
#define APIC_BASE_ENABLE        (1ull << 11)
#define APIC_BASE_X2APIC        (1ull << 10)
#define CPUID_1_ECX_X2APIC      (1u << 21)

#define APIC_ID         0x020
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_ESR        0x280
#define APIC_ICR_LOW    0x300
#define APIC_ICR_HIGH   0x310
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_LVT_ERROR  0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR  0x390
#define APIC_TIMER_DIV  0x3e0

#define SVR_ENABLE      (1u << 8)
#define LVT_MASKED      (1u << 16)
#define LVT_EXTINT      (7u << 8)
#define LVT_NMI         (4u << 8)
#define ICR_FIXED       (0u << 8)
#define ICR_INIT        (5u << 8)
#define ICR_NMI         (4u << 8)
#define ICR_STARTUP     (6u << 8)
#define ICR_PENDING     (1u << 12)      /* xAPIC: delivery status */
#define ICR_ASSERT      (1u << 14)
#define TIMER_PERIODIC  (1u << 17)
#define TIMER_DIV_16    0x3u            /* divide configuration: bus clock / 16 */

static volatile u32 *xapic_regs;
static bool x2apic;
static bool enabled;
static apic_handler_fn handlers[16];
extern const u64 apic_stub_table[16];

static u32 apic_read(unsigned reg)
{
	if (x2apic)
		return (u32)rdmsr(0x800u + (reg >> 4));
	return xapic_regs[reg / 4];
}

static void apic_write(unsigned reg, u32 v)
{
	if (x2apic)
		wrmsr(0x800u + (reg >> 4), v);
	else
		xapic_regs[reg / 4] = v;
}

static void apic_write_icr(u32 dest, u32 low)
{
	unsigned long flags = irq_save();

	if (x2apic) {
		wrmsr(0x800u + (APIC_ICR_LOW >> 4), ((u64)dest << 32) | low);
	} else {
		while (apic_read(APIC_ICR_LOW) & ICR_PENDING)
			cpu_relax();
		apic_write(APIC_ICR_HIGH, dest << 24);
		apic_write(APIC_ICR_LOW, low);
	}
	irq_restore(flags);
}

/* Enables this CPU's APIC; the boot CPU keeps LINT0 as the PIC's input. */
static void apic_enable_local(bool boot_cpu)
{
	u64 base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

	/* Disabled -> x2APIC directly is an invalid transition: xAPIC first (SDM 11.12.5). */
	wrmsr(MSR_APIC_BASE, base);
	if (x2apic)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_LVT_LINT0, boot_cpu ? LVT_EXTINT : LVT_MASKED);
	apic_write(APIC_LVT_LINT1, boot_cpu ? LVT_NMI : LVT_NMI | LVT_MASKED);
	apic_write(APIC_LVT_ERROR, LVT_MASKED);
	apic_write(APIC_SVR, SVR_ENABLE | APIC_VECTOR_SPURIOUS);
	if (!x2apic)
		apic_write(APIC_ESR, 0);
}

static bool cpu_has_x2apic(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return (c & CPUID_1_ECX_X2APIC) && !cmdline_has("nox2apic");
}

int apic_init_boot(volatile u32 *regs)
{
	x2apic = cpu_has_x2apic();
	if (!x2apic) {
		xapic_regs = regs;
		if (!xapic_regs)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < 16; i++)
		idt_set_vector(APIC_VECTOR_FIRST + i, apic_stub_table[i]);
	apic_enable_local(true);
	enabled = true;
	printk("apic: %s mode%s, boot CPU APIC id %u\n", x2apic ? "x2APIC (MSRs)" : "xAPIC",
	       x2apic ? "" : " (registers mapped uncached)", apic_id());
	return 0;
}

void apic_init_ap(void)
{
	apic_enable_local(false);
}

bool apic_enabled(void)
{
	return enabled;
}

bool apic_x2apic_mode(void)
{
	return x2apic;
}

u32 apic_id(void)
{
	u32 id = apic_read(APIC_ID);

	return x2apic ? id : id >> 24;
}

void apic_send_ipi(u32 dest, u8 vector)
{
	apic_write_icr(dest, ICR_FIXED | ICR_ASSERT | vector);
}

void apic_send_init(u32 dest)
{
	apic_write_icr(dest, ICR_INIT | ICR_ASSERT);
}

void apic_send_startup(u32 dest, u8 page)
{
	apic_write_icr(dest, ICR_STARTUP | ICR_ASSERT | page);
}

void apic_send_nmi(u32 dest)
{
	apic_write_icr(dest, ICR_NMI | ICR_ASSERT);
}

u32 apic_timer_count_over(u64 tsc_cycles)
{
	u64 end;
	u32 left;

	apic_write(APIC_TIMER_DIV, TIMER_DIV_16);
	apic_write(APIC_LVT_TIMER, LVT_MASKED);         /* one-shot, no interrupt */
	apic_write(APIC_TIMER_INIT, 0xffffffffu);
	end = rdtsc() + tsc_cycles;
	while (rdtsc() < end)
		cpu_relax();
	left = apic_read(APIC_TIMER_CUR);
	apic_write(APIC_TIMER_INIT, 0);                 /* stopped */
	return 0xffffffffu - left;
}

void apic_timer_start_periodic(u8 vector, u32 count)
{
	apic_write(APIC_TIMER_DIV, TIMER_DIV_16);
	apic_write(APIC_LVT_TIMER, TIMER_PERIODIC | vector);
	apic_write(APIC_TIMER_INIT, count);
}

void apic_set_handler(unsigned vector, apic_handler_fn fn)
{
	if (vector >= APIC_VECTOR_FIRST && vector < APIC_VECTOR_SPURIOUS)
		handlers[vector - APIC_VECTOR_FIRST] = fn;
}

void apic_dispatch(struct trap_frame *f)
{
	unsigned v = (unsigned)f->vector;

	if (v == APIC_VECTOR_SPURIOUS || v < APIC_VECTOR_FIRST)
		return;                 /* spurious: no EOI (SDM 11.9) */
	apic_write(APIC_EOI, 0);
	if (handlers[v - APIC_VECTOR_FIRST])
		handlers[v - APIC_VECTOR_FIRST](f);
}
