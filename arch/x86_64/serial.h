/* 16550 UART on COM1, 115200 8N1: the kernel console and the test log. */
#ifndef ARCH_X86_64_SERIAL_H
#define ARCH_X86_64_SERIAL_H

/* Programs COM1 for 115200 baud, 8 data bits, no parity, 1 stop bit. */
void serial_init(void);

/* Writes one byte, turning "\n" into "\r\n"; busy-waits for the FIFO. */
void serial_putc(char c);

/* Writes `len` bytes of `s`. */
void serial_write(const char *s, unsigned long len);

#endif
