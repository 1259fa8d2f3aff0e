/*
 * The host test runner: kmain for the host machine (docs/host.md).
 *
 *   mm-host-test [word ...]
 *
 * The arguments are the kernel command line, word by word ("ktest",
 * "ktest.filter=pfa*", "ktest.seed=42", "host.machine=bios-128m",
 * "host.watchdog=off", "bench"). It powers on the simulated machine,
 * brings mm/ up with the kernel's own mm_init(), runs the registered
 * suites with the kernel's own harness (KTAP on stdout), and exits the
 * way QEMU does for the kernel: 33 if every test passed, 35 if one
 * failed, anything else (a sanitizer report, a signal) is a crash. So
 * scripts/ktest.py runs it like a QEMU boot.
 */
#include "arch/x86_64/qemu.h"
#include "arch/x86_64/timer.h"
#include "tests/host/host_tests.h"
#include "host/machine.h"
#include "kernel/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/printk.h"
#include "mm/init.h"
#include "tests/ktest.h"

#include <stdio.h>

#define DEFAULT_MACHINE "bios-512m"

static char line[1024];

/* Joins argv into one command line; "ktest" if there is none. */
static void join_args(int argc, char **argv)
{
	size_t len = 0;

	snprintf(line, sizeof(line), "ktest");
	for (int i = 1; i < argc && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", i > 1 ? " " : "",
					argv[i]);
	if (len >= sizeof(line)) {
		fprintf(stderr, "mm-host-test: command line longer than %zu bytes\n", sizeof(line) - 1);
		qemu_exit(QEMU_EXIT_FAILURE);
	}
}

/* The machine the command line names, or the default. */
static const struct host_machine *chosen_machine(void)
{
	static char name[64];
	const struct host_machine *m;

	cmdline_init(line);
	snprintf(name, sizeof(name), "%s",
		 cmdline_get("host.machine") ? cmdline_get("host.machine") : DEFAULT_MACHINE);
	m = host_machine_find(name);
	if (!m) {
		fprintf(stderr, "mm-host-test: unknown machine '%s' (bios-512m, bios-128m, bios-6g, small)\n",
			name);
		qemu_exit(QEMU_EXIT_FAILURE);
	}
	return m;
}

int main(int argc, char **argv)
{
	const struct host_machine *m;
	bool ok = true;

	join_args(argc, argv);
	m = chosen_machine();
	host_machine_init(m, line);
	printk("\nmmkernel: mm/ on the host machine \"%s\" (arch/host)\n", m->name);
	printk("boot: command line \"%s\"\n", line);
	timer_init();
	mm_init();
	host_tests_booted(m, line);
	if (cmdline_has("bench")) {
		host_bench_run_all();
		qemu_exit(QEMU_EXIT_SUCCESS);
	}
	host_mark_kernel_only();
	if (cmdline_has("ktest") || cmdline_has("ktest.filter") || cmdline_has("ktest.list"))
		ok = ktest_run_all();
	qemu_exit(ok ? QEMU_EXIT_SUCCESS : QEMU_EXIT_FAILURE);
}
