/*
 * Exception dispatch and reporting. The order of handling is described in
 * kernel/fault.h; this file turns the CPU's frame into a struct fault_info
 * and prints the report in the shape Linux's oops reports have.
 */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/apic.h"
#include "asm/cpu.h"
#include "arch/x86_64/extable.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/qemu.h"
#include "arch/x86_64/smp_internal.h"
#include "kernel/fault.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/probe.h"
#include "kernel/smp.h"
#include "kernel/lib/format.h"

static irq_handler_fn irq_handlers[16];
static unsigned long oops_count;
static struct fault_info probe_faults[SMP_MAX_CPUS];     /* each CPU's last fixed-up fault */

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved", "x87 floating-point error", "alignment check",
	"machine check", "SIMD floating-point error", "virtualization exception",
	"control protection fault",
};

const char *trap_name(unsigned vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	return vector < 32 ? "reserved" : "interrupt";
}

void irq_set_handler(unsigned line, irq_handler_fn fn)
{
	irq_handlers[line] = fn;
	if (fn)
		pic_unmask(line);
	else
		pic_mask(line);
}

static void fault_info_from_frame(const struct trap_frame *f, struct fault_info *info)
{
	*info = (struct fault_info){
		.vector = (unsigned)f->vector,
		.error_code = f->error_code,
		.ip = f->rip,
		.sp = f->rsp,
	};
	if (f->vector == TRAP_PF) {
		info->page_fault = true;
		info->addr = read_cr2();
		info->present = f->error_code & PF_ERR_PRESENT;
		info->write = f->error_code & PF_ERR_WRITE;
		info->fetch = f->error_code & PF_ERR_FETCH;
		info->user = f->error_code & PF_ERR_USER;
	}
}

/* The two #PF lines of a report: the access and the decoded error code. */
static void report_page_fault_error(const struct fault_info *info)
{
	printk("#PF: %s %s in %s mode\n", info->user ? "user" : "supervisor",
	       info->fetch ? "instruction fetch" : info->write ? "write access" : "read access",
	       info->user ? "user" : "kernel");
	printk("#PF: error_code(0x%04llx) - %s\n", (unsigned long long)info->error_code,
	       (info->error_code & PF_ERR_RSVD) ? "reserved bit violation" :
	       info->present ? "permissions violation" : "not-present page");
}

void trap_describe_fault(const struct fault_info *info)
{
	if (info->page_fault)
		report_page_fault_error(info);
	fault_explain(info);
}

void trap_note_probe_fault(const struct trap_frame *f)
{
	fault_info_from_frame(f, &probe_faults[arch_cpu_id()]);
}

bool probe_last_fault(struct fault_info *info)
{
	*info = probe_faults[arch_cpu_id()];
	return info->vector || info->page_fault;
}

static void report_registers(const struct trap_frame *f)
{
	printk("RIP: %04llx:%pS\n", (unsigned long long)f->cs, (void *)f->rip);
	printk("RSP: %016llx EFLAGS: %08llx\n", (unsigned long long)f->rsp,
	       (unsigned long long)f->rflags);
	printk("RAX: %016llx RBX: %016llx RCX: %016llx\n", (unsigned long long)f->rax,
	       (unsigned long long)f->rbx, (unsigned long long)f->rcx);
	printk("RDX: %016llx RSI: %016llx RDI: %016llx\n", (unsigned long long)f->rdx,
	       (unsigned long long)f->rsi, (unsigned long long)f->rdi);
	printk("RBP: %016llx R08: %016llx R09: %016llx\n", (unsigned long long)f->rbp,
	       (unsigned long long)f->r8, (unsigned long long)f->r9);
	printk("R10: %016llx R11: %016llx R12: %016llx\n", (unsigned long long)f->r10,
	       (unsigned long long)f->r11, (unsigned long long)f->r12);
	printk("R13: %016llx R14: %016llx R15: %016llx\n", (unsigned long long)f->r13,
	       (unsigned long long)f->r14, (unsigned long long)f->r15);
	printk("CR2: %016llx CR3: %016llx CPU: %u\n", (unsigned long long)read_cr2(),
	       (unsigned long long)read_cr3(), arch_cpu_id());
}

void trap_report(const struct trap_frame *f)
{
	struct fault_info info;
	char where[96];

	fault_info_from_frame(f, &info);
	snprintf(where, sizeof(where), "%s at %pS", trap_name((unsigned)f->vector), (void *)f->rip);
	report_begin(REPORT_FAULT, where);
	if (info.page_fault) {
		printk("BUG: unable to handle page fault for address: 0x%016lx\n", info.addr);
		report_page_fault_error(&info);
	}
	if (f->vector == TRAP_DF && gdt_on_double_fault_stack((unsigned long)&info))
		printk("double fault: kernel stack overflow? (RSP %016llx)\n",
		       (unsigned long long)f->rsp);
	printk("Oops: %s [#%lu] vector %llu error 0x%llx\n", trap_name((unsigned)f->vector),
	       ++oops_count, (unsigned long long)f->vector,
	       (unsigned long long)f->error_code);
	report_registers(f);
	fault_explain(&info);
	dump_backtrace(f->rbp);
	report_end(REPORT_FAULT);
}

static void handle_irq(struct trap_frame *f)
{
	unsigned line = (unsigned)f->vector - IRQ_BASE;

	pic_eoi(line);          /* before the handler: it may not return */
	if (irq_handlers[line])
		irq_handlers[line](f);
}

void trap_dispatch(struct trap_frame *f)
{
	struct fault_info info;

	if (f->vector >= IRQ_LEGACY_END) {
		apic_dispatch(f);
		return;
	}
	if (f->vector >= IRQ_BASE) {
		handle_irq(f);
		return;
	}
	if (f->vector == TRAP_NMI && smp_nmi_answer(f))
		return;
	if (extable_fixup(f))
		return;
	fault_info_from_frame(f, &info);
	if (fault_try_resolve(&info))
		return;
	trap_report(f);
	smp_fault_in_call(&info);
	fault_catch(&info);
	panic("unhandled %s in kernel mode", trap_name((unsigned)f->vector));
}
