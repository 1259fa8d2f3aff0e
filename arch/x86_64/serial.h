/* 16550 UART on COM1, 115200 8N1: the kernel console, the test log and the shell's input. */
#ifndef ARCH_X86_64_SERIAL_H
#define ARCH_X86_64_SERIAL_H

/* Programs COM1 for 115200 baud, 8 data bits, no parity, 1 stop bit. */
void serial_init(void);

/* Writes one byte, turning "\n" into "\r\n"; busy-waits for the FIFO. */
void serial_putc(char c);

/* Writes `len` bytes of `s`. */
void serial_write(const char *s, unsigned long len);

/* --- receive (arch/x86_64/serial_rx.c) --- */

/*
 * Turns on the receive interrupt (IRQ 4) that fills a 256-byte ring.
 * After trap_init() (the PIC); bytes received before are dropped.
 */
void serial_rx_init(void);

/* The next received byte, or -1 if none is waiting. Never blocks. */
int serial_rx_try_getc(void);

/*
 * The next received byte; sleeps (HLT) until one comes. Interrupts must
 * be on.
 */
int serial_rx_getc(void);

struct serial_rx_stats {
	unsigned long irqs;             /* IRQ 4 interrupts taken */
	unsigned long by_irq;           /* bytes the interrupt handler read */
	unsigned long by_poll;          /* bytes the reader polled (no interrupt came) */
	unsigned long dropped;          /* bytes lost to a full ring */
};

void serial_rx_get_stats(struct serial_rx_stats *stats);

#endif
