/* 16550 UART registers of COM1, shared by the transmit and receive sides. */
#ifndef ARCH_X86_64_UART_H
#define ARCH_X86_64_UART_H

#define COM1            0x3f8
#define COM1_IRQ        4       /* its legacy interrupt line */
#define UART_DATA       0       /* DLAB=0: transmit holding / receive buffer */
#define UART_IER        1       /* DLAB=0: interrupt enable */
#define UART_DLL        0       /* DLAB=1: divisor latch low */
#define UART_DLM        1       /* DLAB=1: divisor latch high */
#define UART_FCR        2       /* FIFO control */
#define UART_LCR        3       /* line control */
#define UART_MCR        4       /* modem control */
#define UART_LSR        5       /* line status */

#define IER_RX_AVAILABLE 0x01   /* interrupt when received data is available */
#define MCR_OUT2        0x08    /* on a PC, gates the UART's interrupt to the PIC */
#define LSR_DATA_READY  0x01
#define LSR_THR_EMPTY   0x20

#endif
