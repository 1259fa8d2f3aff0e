/*
 * The IDT, shared by every CPU: 32 exception gates, 16 legacy IRQ gates
 * (8259 PIC remapped) and the local APIC vectors (arch/x86_64/apic.c).
 */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/pic.h"
#include "kernel/compiler.h"

#define IDT_VECTORS      48
#define GATE_INTERRUPT   0x8e   /* present, DPL 0, 64-bit interrupt gate */

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

struct idt_ptr {
	u16 limit;
	u64 base;
} __packed;

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

extern const u64 trap_stub_table[IDT_VECTORS];
static struct idt_gate idt[256];

static void idt_set_gate(unsigned vector, u64 handler, unsigned ist)
{
	idt[vector] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type_attr = GATE_INTERRUPT,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_high = handler >> 32,
	};
}

void idt_set_vector(unsigned vector, u64 stub)
{
	idt_set_gate(vector, stub, 0);
}

void idt_load(void)
{
	struct idt_ptr ptr = { sizeof(idt) - 1, (u64)idt };

	__asm__ __volatile__("lidt %0" : : "m"(ptr));
}

void trap_init(void)
{
	gdt_init();
	for (unsigned v = 0; v < IDT_VECTORS; v++)
		idt_set_gate(v, trap_stub_table[v],
			     v == TRAP_DF ? IST_DOUBLE_FAULT : 0);
	idt_load();
	pic_init(IRQ_BASE);
}
