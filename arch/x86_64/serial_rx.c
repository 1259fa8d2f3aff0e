/*
 * The receive side of COM1: IRQ 4 (through the 8259 PIC, as every legacy
 * line here) drains the UART's receive FIFO into a ring; the reader takes
 * bytes from the ring, sleeping with HLT in between. Should the interrupt
 * never come (a UART without its OUT2 wiring), the reader also polls the
 * line status at each wake-up (the 100 Hz tick wakes it at least that
 * often), so typing works either way; serial_rx_get_stats() says which
 * path delivered the bytes.
 */
#include "arch/x86_64/serial.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/uart.h"
#include "asm/cpu.h"
#include "kernel/irqflags.h"

#define RX_RING_SIZE    256     /* a power of two */

static volatile u8 ring[RX_RING_SIZE];
static volatile unsigned ring_head, ring_tail;  /* head: next write; tail: next read */
static struct serial_rx_stats stats;

/* Interrupts off. */
static void ring_put(u8 c)
{
	if (ring_head - ring_tail == RX_RING_SIZE) {
		stats.dropped++;
		return;
	}
	ring[ring_head++ % RX_RING_SIZE] = c;
}

static void serial_rx_irq(struct trap_frame *frame)
{
	(void)frame;
	stats.irqs++;
	while (inb(COM1 + UART_LSR) & LSR_DATA_READY) {
		ring_put(inb(COM1 + UART_DATA));
		stats.by_irq++;
	}
}

void serial_rx_init(void)
{
	while (inb(COM1 + UART_LSR) & LSR_DATA_READY)       /* what came before boot */
		(void)inb(COM1 + UART_DATA);
	irq_set_handler(COM1_IRQ, serial_rx_irq);
	outb(COM1 + UART_MCR, inb(COM1 + UART_MCR) | MCR_OUT2);
	outb(COM1 + UART_IER, IER_RX_AVAILABLE);
}

int serial_rx_try_getc(void)
{
	unsigned long flags = irq_save();
	int c = -1;

	if (ring_head == ring_tail && (inb(COM1 + UART_LSR) & LSR_DATA_READY)) {
		ring_put(inb(COM1 + UART_DATA));
		stats.by_poll++;
	}
	if (ring_head != ring_tail)
		c = ring[ring_tail++ % RX_RING_SIZE];
	irq_restore(flags);
	return c;
}

int serial_rx_getc(void)
{
	int c;

	while ((c = serial_rx_try_getc()) < 0)
		cpu_halt();     /* IRQ 4 or the tick wakes us */
	return c;
}

void serial_rx_get_stats(struct serial_rx_stats *out)
{
	unsigned long flags = irq_save();

	*out = stats;
	irq_restore(flags);
}
