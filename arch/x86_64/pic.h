/* The legacy 8259 interrupt controller pair (used for the PIT tick). */
#ifndef ARCH_X86_64_PIC_H
#define ARCH_X86_64_PIC_H

/* Remaps IRQ 0-15 to vectors base..base+15 and masks every line. */
void pic_init(unsigned base);
void pic_unmask(unsigned line);
void pic_mask(unsigned line);
/* Acknowledges `line` so it can fire again. */
void pic_eoi(unsigned line);

#endif
