/* 8259A PIC: remap away from the exception vectors, mask, acknowledge. */
#include "arch/x86_64/pic.h"
#include "asm/cpu.h"

#define PIC1_CMD    0x20
#define PIC1_DATA   0x21
#define PIC2_CMD    0xa0
#define PIC2_DATA   0xa1
#define ICW1_INIT   0x11        /* edge triggered, cascade, ICW4 follows */
#define ICW4_8086   0x01
#define PIC_EOI     0x20
#define CASCADE_IRQ 2

static u16 pic_masks = 0xffff;

static void pic_write_masks(void)
{
	outb(PIC1_DATA, pic_masks & 0xff);
	outb(PIC2_DATA, pic_masks >> 8);
}

void pic_init(unsigned base)
{
	outb(PIC1_CMD, ICW1_INIT);
	outb(PIC2_CMD, ICW1_INIT);
	outb(PIC1_DATA, base);
	outb(PIC2_DATA, base + 8);
	outb(PIC1_DATA, 1 << CASCADE_IRQ);
	outb(PIC2_DATA, CASCADE_IRQ);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	pic_masks = 0xffff & ~(1u << CASCADE_IRQ);
	pic_write_masks();
}

void pic_unmask(unsigned line)
{
	pic_masks &= ~(1u << line);
	pic_write_masks();
}

void pic_mask(unsigned line)
{
	pic_masks |= 1u << line;
	pic_write_masks();
}

void pic_eoi(unsigned line)
{
	if (line >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}
