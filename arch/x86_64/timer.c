/*
 * The tick and the watchdog. The tick comes at TIMER_HZ from the 8254 PIT
 * (IRQ 0, the boot CPU) while the local APIC is off (one CPU), and from
 * each CPU's own local APIC timer once smp_init() has turned the APIC on:
 * the boot CPU then masks the PIT and ticks from its APIC like every AP.
 * Either source calls the same tick function, which checks the calling
 * CPU's watchdog against the TSC. Also the boot's TSC calibration (PIT).
 */
#include "arch/x86_64/timer.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "asm/cpu.h"
#include "kernel/irqflags.h"
#include "kernel/printk.h"
#include "arch/x86_64/trap.h"

#define PIT_HZ          1193182u
#define PIT_CH0         0x40
#define PIT_CH2         0x42
#define PIT_CMD         0x43
#define PIT_GATE        0x61    /* bit 0: channel 2 gate, bit 5: its output */
#define PIT_CH0_RATE    0x34    /* channel 0, lo/hi byte, mode 2 (rate generator) */
#define PIT_CH2_ONESHOT 0xb0    /* channel 2, lo/hi byte, mode 0 (one shot) */
#define CALIBRATE_MS    20
#define APIC_CALIBRATE_MS 10

static volatile u64 ticks;
static u64 tsc_rate;
static u32 apic_count_per_tick;         /* 0 until the boot CPU measured it */

/* Every CPU's tick, from either source: this CPU's watchdog. */
static void timer_tick(struct trap_frame *frame)
{
	struct percpu *p = this_cpu();

	if (p->cpu == 0)
		ticks++;
	if (p->watchdog_fn && rdtsc() >= p->watchdog_deadline) {
		timer_watchdog_fn fn = p->watchdog_fn;

		p->watchdog_fn = NULL;
		fn(frame);
	}
}

u64 tsc_cycles_over_pit_ms(unsigned ms)
{
	u32 count = PIT_HZ * ms / 1000;
	u8 gate = inb(PIT_GATE);

	outb(PIT_GATE, (gate & ~0x02) | 0x01);  /* speaker off, gate on */
	outb(PIT_CMD, PIT_CH2_ONESHOT);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	u64 start = rdtsc();
	while (!(inb(PIT_GATE) & 0x20))
		cpu_relax();
	u64 end = rdtsc();
	outb(PIT_GATE, gate);
	return end - start;
}

void timer_init(void)
{
	u32 divisor = PIT_HZ / TIMER_HZ;

	tsc_rate = tsc_cycles_over_pit_ms(CALIBRATE_MS) * (1000 / CALIBRATE_MS);
	outb(PIT_CMD, PIT_CH0_RATE);
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
	irq_set_handler(0, timer_tick);
}

/* The APIC timer's counts per tick, measured once against the TSC (boot CPU). */
static u32 measure_apic_timer(void)
{
	u64 window = tsc_rate / 1000 * APIC_CALIBRATE_MS;
	u64 per_s = (u64)apic_timer_count_over(window) * 1000 / APIC_CALIBRATE_MS;

	printk("timer: local APIC timer %llu kHz (bus / 16, %u ms against the TSC); "
	       "every CPU ticks from its own from now on, the PIT is masked\n",
	       (unsigned long long)(per_s / 1000), APIC_CALIBRATE_MS);
	return (u32)(per_s / TIMER_HZ);
}

void timer_start_local_apic(void)
{
	unsigned long flags = irq_save();

	if (!apic_count_per_tick) {
		apic_count_per_tick = measure_apic_timer();
		apic_set_handler(APIC_VECTOR_TIMER, timer_tick);
		irq_set_handler(0, NULL);       /* the PIT's line, masked */
	}
	apic_timer_start_periodic(APIC_VECTOR_TIMER, apic_count_per_tick);
	irq_restore(flags);
}

u64 timer_ticks(void)
{
	return ticks;
}

void timer_set_watchdog(u64 deadline, timer_watchdog_fn fn)
{
	unsigned long flags = irq_save();
	struct percpu *p = this_cpu();

	p->watchdog_deadline = deadline;
	p->watchdog_fn = fn;
	irq_restore(flags);
}

u64 tsc_hz(void)
{
	return tsc_rate;
}
