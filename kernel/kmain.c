/*
 * kmain: the C entry point, called by boot/entry.asm on the boot stack in
 * the higher half with the Multiboot2 magic and the physical address of
 * the boot information. Brings the layers up bottom to top, then runs the
 * in-kernel tests when the command line asks for them (`ktest`).
 */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/percpu.h"
#include "asm/cpu.h"
#include "arch/x86_64/qemu.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "kernel/bench.h"
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/mm_demo.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"
#include "kernel/smp.h"
#include "mm/init.h"
#include "mm/ptdump.h"
#include "mm/vmalloc.h"
#include "tests/ktest.h"

void kmain(u32 magic, phys_addr_t boot_info_phys);

static bool tests_requested(void)
{
	return cmdline_has("ktest") || cmdline_has("ktest.filter") ||
	       cmdline_has("ktest.list");
}

void kmain(u32 magic, phys_addr_t boot_info_phys)
{
	percpu_install(0);
	serial_init();
	printk("\nmmkernel: x86-64 memory-management kernel booting\n");
	bootinfo_parse(magic, boot_info_phys);
	cmdline_init(bootinfo()->cmdline);
	trap_init();
	timer_init();
	irq_enable();
	bootinfo_print();
	acpi_init();
	printk("timer: %u Hz tick, TSC %llu kHz\n", TIMER_HZ,
	       (unsigned long long)(tsc_hz() / 1000));
	mm_init();
	smp_init();
	if (cmdline_has("ptdump"))
		ptdump_kernel();
	if (cmdline_has("mmdemo"))
		mm_demo_run();

	if (cmdline_has("bench")) {
		bench_run_all();
		qemu_exit(QEMU_EXIT_SUCCESS);
	}

	bool ok = true;

	if (tests_requested())
		ok = ktest_run_all();
	if (cmdline_has("vmallocinfo"))
		vmallocinfo_print();
	if (!tests_requested() || (cmdline_get("ktest.exit") && !cmdline_get_u64("ktest.exit", 1)))
		shell_run();    /* the serial console's shell (kernel/shell, docs/shell.md) */
	qemu_exit(ok ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
}
