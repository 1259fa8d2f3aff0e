/* 8254 PIT: the 100 Hz tick behind the test watchdog, and TSC calibration. */
#include "arch/x86_64/timer.h"
#include "asm/cpu.h"
#include "kernel/irqflags.h"
#include "arch/x86_64/trap.h"

#define PIT_HZ          1193182u
#define PIT_CH0         0x40
#define PIT_CH2         0x42
#define PIT_CMD         0x43
#define PIT_GATE        0x61    /* bit 0: channel 2 gate, bit 5: its output */
#define PIT_CH0_RATE    0x34    /* channel 0, lo/hi byte, mode 2 (rate generator) */
#define PIT_CH2_ONESHOT 0xb0    /* channel 2, lo/hi byte, mode 0 (one shot) */
#define CALIBRATE_MS    20

static volatile u64 ticks;
static u64 watchdog_deadline;
static timer_watchdog_fn watchdog_fn;
static u64 tsc_rate;

static void timer_tick(struct trap_frame *frame)
{
	(void)frame;
	ticks++;
	if (watchdog_fn && ticks >= watchdog_deadline) {
		timer_watchdog_fn fn = watchdog_fn;

		watchdog_fn = NULL;
		fn();
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

u64 timer_ticks(void)
{
	return ticks;
}

void timer_set_watchdog(u64 deadline, timer_watchdog_fn fn)
{
	unsigned long flags = irq_save();

	watchdog_deadline = deadline;
	watchdog_fn = fn;
	irq_restore(flags);
}

u64 tsc_hz(void)
{
	return tsc_rate;
}
